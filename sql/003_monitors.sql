-- 003_monitors: one-way watches.  When the target ends, each watcher is
-- sent {"exit": RESULT, "address": A} (it returned) or {"exception":
-- ERROR, "address": A} (it failed or was killed), and the rows go.
-- Keyed by actor id: a watch is on one incarnation of a name.

CREATE TABLE monitors (
    target  INTEGER NOT NULL,            -- actors.id of the watched actor
    watcher INTEGER NOT NULL,            -- actors.id of the one told
    PRIMARY KEY (target, watcher)
) WITHOUT ROWID;

CREATE VIEW monitor_list AS
SELECT t.name AS target, w.name AS watcher
FROM monitors m JOIN actors t ON t.id = m.target
JOIN actors w ON w.id = m.watcher;
