-- 002_dead_letters: messages that could not be delivered, kept for people
-- to read (GET /dead-letters, actorctl dead-letters) and collect.
--   reason 'no such actor'   a behaviour sent to a name nobody has
--   reason 'actor ended'     a behaviour sent to an actor that had ended
--   reason 'unread at exit'  left in the mailbox when its actor exited,
--          'unread at failure', 'unread at kill' likewise

CREATE TABLE dead_letters (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    sender  TEXT,                        -- actor name, or NULL from outside
    target  TEXT NOT NULL,               -- the name it was sent to
    reason  TEXT NOT NULL,
    body    TEXT NOT NULL,               -- the message (JSON)
    created INTEGER NOT NULL             -- ms since the epoch, when buried
);

CREATE VIEW dead_letter_list AS
SELECT seq, sender, target, reason, body,
       strftime('%Y-%m-%dT%H:%M:%fZ', created / 1000.0, 'unixepoch') AS time
FROM dead_letters;
