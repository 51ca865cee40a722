-- 011_live_index: the index of actors by behaviour version (010) no
-- longer partial.  A partial index whose condition reads status is
-- rewritten by every UPDATE that sets status, that is by every step;
-- with IN ('runnable', 'waiting', 'stranded') SQLite even builds and
-- drops a temporary b-tree twice for it.  That was a third of the
-- instructions of a step.  A full index on (behavior, version) is only
-- touched when an actor is made, upgraded or removed; the queries that
-- count live actors of a version filter on status in the rows they find.

DROP INDEX actors_by_behavior_version;
CREATE INDEX actors_by_behavior_version ON actors (behavior, version);
