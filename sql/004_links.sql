-- 004_links: two-way links, as in Erlang.  A link is two rows, one each
-- way.  When an actor ends, each linked actor is sent {"exit": RESULT,
-- "address": A} when it returned; when it failed or was killed, a linked
-- actor that traps exits is sent {"exception": ERROR, "address": A} and
-- one that does not is killed too.

CREATE TABLE links (
    a INTEGER NOT NULL,                  -- actors.id
    b INTEGER NOT NULL,                  -- actors.id linked to a
    PRIMARY KEY (a, b)
) WITHOUT ROWID;

ALTER TABLE actors ADD COLUMN trap_exit INTEGER NOT NULL DEFAULT 0;

CREATE VIEW link_list AS
SELECT x.name AS actor, y.name AS linked, y.trap_exit AS linked_traps_exits
FROM links l JOIN actors x ON x.id = l.a JOIN actors y ON y.id = l.b;
