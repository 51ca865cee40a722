-- 009_shapes: each distinct shapes text is stored once.  actors.waiting_for
-- holds either the JSON array of shapes (it starts with '[') or the id of
-- its row in shapes (shapes with a "$literal", such as a call waiting for
-- its own reply, stay inline: they seldom repeat).  Rows of shapes are
-- never deleted.  actor_list shows the text either way.

CREATE TABLE shapes (
    id   INTEGER PRIMARY KEY,
    text TEXT NOT NULL UNIQUE            -- a JSON array of shapes
);

DROP VIEW actor_list;
CREATE VIEW actor_list AS
SELECT a.name, a.behavior, a.status, a.state, a.mailbox,
       COALESCE(s.text, a.waiting_for) AS waiting_for,
       a.result, a.error,
       strftime('%Y-%m-%dT%H:%M:%fZ', a.created / 1000.0, 'unixepoch')
           AS created,
       strftime('%Y-%m-%dT%H:%M:%fZ', a.updated / 1000.0, 'unixepoch')
           AS updated
FROM actors a LEFT JOIN shapes s ON s.id = a.waiting_for;
