-- 007_abandoned_calls: calls a behaviour stopped waiting for (timed out).
-- A reply that arrives later is not left in the caller's mailbox: it
-- becomes a dead letter (reason 'late reply') and the row goes.

CREATE TABLE abandoned_calls (
    actor   INTEGER NOT NULL,            -- actors.id of the caller
    call_id TEXT NOT NULL,               -- the call's ID
    created INTEGER NOT NULL,            -- ms since the epoch
    PRIMARY KEY (actor, call_id)
) WITHOUT ROWID;
