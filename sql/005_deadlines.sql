-- 005_deadlines: a receive may carry a timeout.  The deadline is stored
-- with the continuation, so it fires after a restart too: late, never
-- lost, never twice.  Indexed by due time, never loaded whole.

ALTER TABLE actors ADD COLUMN deadline INTEGER; -- ms since the epoch, or NULL

CREATE INDEX actors_deadline ON actors (deadline)
    WHERE deadline IS NOT NULL;
