-- 006_timers: durable timers.  A behaviour sends a message after a delay,
-- once or every N ms; rows indexed by due time, so they fire after a
-- restart too (late, never lost, never twice).  A repeating timer that
-- missed periods fires once and keeps its period.  An actor's timers go
-- when it ends.

CREATE TABLE timers (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    owner   INTEGER NOT NULL,            -- actors.id that set it
    target  TEXT NOT NULL,               -- name the message goes to
    body    TEXT NOT NULL,               -- the message (JSON)
    due     INTEGER NOT NULL,            -- ms since the epoch
    every   INTEGER                      -- period in ms, or NULL for once
);
CREATE INDEX timers_due ON timers (due);
CREATE INDEX timers_owner ON timers (owner);

CREATE VIEW timer_list AS
SELECT t.id, a.name AS owner, t.target, t.body,
       strftime('%Y-%m-%dT%H:%M:%fZ', t.due / 1000.0, 'unixepoch') AS due,
       t.every
FROM timers t JOIN actors a ON a.id = t.owner;
