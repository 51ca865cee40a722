-- 001_init: actors, their mailboxes, and views for people using the
-- sqlite3 shell.  Times are milliseconds since the Unix epoch (UTC).
-- JSON is stored as text, as written by actord.

CREATE TABLE actors (
    id          INTEGER PRIMARY KEY,     -- internal; messages refer to it
    name        TEXT NOT NULL UNIQUE,    -- the address: 1-128 of A-Za-z0-9._~-
    behavior    TEXT NOT NULL,           -- registry name, e.g. 'counter'
    version     INTEGER NOT NULL,        -- behaviour version that wrote state
    status      TEXT NOT NULL,           -- runnable, waiting, exited,
                                         -- failed, killed or stranded
    resume      INTEGER NOT NULL DEFAULT 0, -- resume point; 0 = not started
    waiting_for TEXT,                    -- JSON array of shapes, or NULL
    scanned     INTEGER NOT NULL DEFAULT 0, -- mailbox seqs <= this match
                                         -- none of waiting_for
    args        TEXT NOT NULL DEFAULT '{}', -- spawn args (JSON)
    state       TEXT NOT NULL DEFAULT '{}', -- the actor's own state (JSON)
    result      TEXT,                    -- JSON; set when exited
    error       TEXT,                    -- JSON; set when failed/stranded
    spawned     INTEGER NOT NULL DEFAULT 0, -- children spawned (for names)
    created     INTEGER NOT NULL,
    updated     INTEGER NOT NULL
);

-- The run queue: runnable actors, oldest first.
CREATE INDEX actors_runnable ON actors (updated, id)
    WHERE status = 'runnable';
CREATE INDEX actors_by_behavior ON actors (behavior, name);

-- Every message ever accepted gets a fresh seq (AUTOINCREMENT: never
-- reused), so seq order is arrival order and per-sender FIFO holds.
CREATE TABLE messages (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    actor   INTEGER NOT NULL REFERENCES actors (id),
    sender  TEXT,                        -- actor name, or NULL from outside
    body    TEXT NOT NULL,               -- the message (JSON)
    created INTEGER NOT NULL
);
CREATE INDEX messages_by_actor ON messages (actor, seq);

-- Readable views: sqlite3 actord.db 'select * from actor_list'
CREATE VIEW actor_list AS
SELECT a.name, a.behavior, a.status, a.state,
       (SELECT count(*) FROM messages m WHERE m.actor = a.id) AS mailbox,
       a.waiting_for, a.result, a.error,
       strftime('%Y-%m-%dT%H:%M:%fZ', a.created / 1000.0, 'unixepoch')
           AS created,
       strftime('%Y-%m-%dT%H:%M:%fZ', a.updated / 1000.0, 'unixepoch')
           AS updated
FROM actors a;

CREATE VIEW mailbox AS
SELECT a.name AS actor, m.seq, m.sender, m.body,
       strftime('%Y-%m-%dT%H:%M:%fZ', m.created / 1000.0, 'unixepoch')
           AS created
FROM messages m JOIN actors a ON a.id = m.actor;
