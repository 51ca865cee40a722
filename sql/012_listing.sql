-- 012_listing: indexes for what the console and GET /actors read.
--
-- GET /actors?status=S pages by name through the actors of one status.
-- The ended statuses (exited, failed, killed, stranded) are rare among
-- many live actors: without an index a page of them walked the name
-- index past every live actor, a quarter of a second among a million.
-- This index holds the ended actors only, by (status, name), so that
-- each page is a range of it.  It is partial on purpose: a full index on
-- status is rewritten whenever an actor waits or wakes, which made a
-- step 44% dearer; an actor enters this one once, when it ends.  The
-- condition is written with OR, not IN: SQLite evaluates it for every
-- UPDATE of status, and an IN list there costs a temporary b-tree.  The
-- live statuses are most of the table (waiting) or few and brief
-- (runnable): the name index filtered by status serves them.
CREATE INDEX actors_ended ON actors (status, name)
    WHERE status = 'exited' OR status = 'failed' OR status = 'killed'
       OR status = 'stranded';

-- GET /actors/NAME lists the actors it watches (monitors.watcher = id);
-- the primary key (target, watcher) serves only the other direction.  It
-- also lets the removal of an actor find the watches it made without
-- reading the whole table.
CREATE INDEX monitors_by_watcher ON monitors (watcher, target);
