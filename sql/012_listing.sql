-- 012_listing: indexes for what the console and GET /actors read.
--
-- GET /actors?status=S pages by name through the actors of one status:
-- without an index it walked the name index and skipped every actor of
-- another status, so a rare status (failed, stranded) among a million
-- actors took a quarter of a second a page; with (status, name) each page
-- is a range of the index.  ?behavior=B has actors_by_behavior (001);
-- ?prefix=P is a range of the name index itself (name >= P AND name < P
-- with its last character raised by one), alone or inside either index.
-- The cost: a status change (each step that waits or wakes) moves the
-- row's entry in this index too.
CREATE INDEX actors_by_status ON actors (status, name);

-- GET /actors/NAME lists the actors it watches (monitors.watcher = id);
-- the primary key (target, watcher) serves only the other direction.  It
-- also lets the removal of an actor find the watches it made without
-- reading the whole table.
CREATE INDEX monitors_by_watcher ON monitors (watcher, target);
