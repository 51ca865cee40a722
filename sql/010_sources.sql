-- 010_sources: behaviours uploaded as source (Lua, PUT /behaviors/NAME),
-- one row a version.  A running actor stays on the version it was spawned
-- with (actors.version); the versions no live actor runs can be removed.
-- Read them with: SELECT name, version, source FROM sources;

CREATE TABLE sources (
    name     TEXT NOT NULL,              -- the behaviour: 1-64 of a-z0-9_
    version  INTEGER NOT NULL,           -- 1, 2, ...: each different upload
    language TEXT NOT NULL,              -- 'lua'
    doc      TEXT NOT NULL DEFAULT '',   -- one line, from the source
    source   TEXT NOT NULL,              -- the source as uploaded
    created  INTEGER NOT NULL,           -- ms since the epoch
    PRIMARY KEY (name, version)
) WITHOUT ROWID;

-- The last version number given to each name: numbers are never used
-- twice, even after their rows were removed.
CREATE TABLE source_versions (
    name TEXT PRIMARY KEY,
    last INTEGER NOT NULL
) WITHOUT ROWID;

CREATE INDEX actors_by_behavior_version ON actors (behavior, version)
    WHERE status IN ('runnable', 'waiting', 'stranded');

CREATE VIEW source_list AS
SELECT name, version, language, doc, length(source) AS bytes,
       strftime('%Y-%m-%dT%H:%M:%fZ', created / 1000.0, 'unixepoch')
           AS created
FROM sources;
