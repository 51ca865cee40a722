/*
 * sources.c - behaviours uploaded as source (Lua), one row a version in
 * table sources.  The store keeps the text; what it means is the
 * engine's and the language's business.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "store/store_int.h"

/* A live actor: runnable, waiting or stranded. */
#define LIVE "status IN ('runnable', 'waiting', 'stranded')"

static const char *const sql[Q_COUNT] = {
    [Q_SOURCE_ADD] = "INSERT INTO sources (name, version, language, doc, "
                     "source, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [Q_SOURCE_GET] = "SELECT name, version, language, doc, created, source "
                     "FROM sources WHERE name = ?1 AND (version = ?2 OR ?2 = "
                     "0) ORDER BY version DESC LIMIT 1",
    [Q_SOURCE_VERSIONS] =
        "SELECT s.name, s.version, s.language, s.doc, s.created, "
        "(SELECT count(*) FROM actors a WHERE a.behavior = s.name AND "
        "a.version = s.version AND a." LIVE ") FROM sources s "
        "WHERE s.name = ?1 ORDER BY s.version",
    [Q_SOURCE_LIST] = "SELECT name, version, language, doc, created, 0 FROM "
                      "sources s WHERE version = (SELECT max(version) FROM "
                      "sources WHERE name = s.name) ORDER BY name",
    [Q_SOURCE_REMOVE_UNUSED] =
        "DELETE FROM sources WHERE name = ?1 AND NOT EXISTS (SELECT 1 FROM "
        "actors a WHERE a.behavior = sources.name AND a.version = "
        "sources.version AND a." LIVE ")",
    [Q_SOURCE_NEXT] = "INSERT INTO source_versions (name, last) VALUES (?1, "
                      "1) ON CONFLICT (name) DO UPDATE SET last = last + 1 "
                      "RETURNING last",
    [Q_SOURCE_RAISE] = "INSERT INTO source_versions (name, last) VALUES (?1, "
                       "?2) ON CONFLICT (name) DO UPDATE SET last = "
                       "max(last, ?2)",
};

void
store_source_release(struct store_source *src)
{
    if (src == NULL)
        return;
    free(src->name);
    free(src->language);
    free(src->doc);
    free(src->source);
    memset(src, 0, sizeof *src);
}

int
store_source_add(struct store *s, const struct store_source *src)
{
    int err = AD_OK;
    sqlite3_stmt *st = store__stmt(s, sql, Q_SOURCE_ADD, &err);
    if (st == NULL)
        return err;
    sqlite3_bind_text(st, 1, src->name, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, src->version);
    sqlite3_bind_text(st, 3, src->language, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, src->doc ? src->doc : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, src->source, (int)src->source_len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, src->created);
    return store__done(s, st); /* the key taken: AD_EEXISTS */
}

/* Copies the row st stands on (columns name, version, language, doc,
 * created, then source or actors) into *src. */
static int
store__source_row(sqlite3_stmt *st, int with_source, struct store_source *src)
{
    int err = AD_OK;
    memset(src, 0, sizeof *src);
    src->name = store__dup(st, 0, &err);
    src->version = sqlite3_column_int(st, 1);
    src->language = store__dup(st, 2, &err);
    src->doc = store__dup(st, 3, &err);
    src->created = sqlite3_column_int64(st, 4);
    if (with_source) {
        src->source = store__dup(st, 5, &err);
        src->source_len = (size_t)sqlite3_column_bytes(st, 5);
    } else {
        src->actors = sqlite3_column_int64(st, 5);
    }
    if (err != AD_OK)
        store_source_release(src);
    return err;
}

int
store_source_get(struct store *s, const char *name, int version,
                 struct store_source *src)
{
    int err = AD_OK;
    sqlite3_stmt *st = store__stmt(s, sql, Q_SOURCE_GET, &err);
    if (st == NULL)
        return err;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, version);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        err = store__source_row(st, 1, src);
    else
        err = rc == SQLITE_DONE ? AD_ENOTFOUND : store__err(s, rc);
    store__finish(st);
    return err;
}

/* Calls fn for each row of the query st (reset by the caller). */
static int
store__source_each(struct store *s, sqlite3_stmt *st,
                   int (*fn)(void *ctx, const struct store_source *src),
                   void *ctx)
{
    int rc, err = AD_OK;
    while (err == AD_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_source src;
        err = store__source_row(st, 0, &src);
        if (err == AD_OK)
            err = fn(ctx, &src);
        store_source_release(&src);
    }
    if (err == AD_OK && rc != SQLITE_DONE)
        err = store__err(s, rc);
    store__finish(st);
    return err;
}

int
store_source_versions(struct store *s, const char *name,
                      int (*fn)(void *ctx, const struct store_source *src),
                      void *ctx)
{
    int err = AD_OK;
    sqlite3_stmt *st = store__stmt(s, sql, Q_SOURCE_VERSIONS, &err);
    if (st == NULL)
        return err;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    return store__source_each(s, st, fn, ctx);
}

int
store_source_list(struct store *s,
                  int (*fn)(void *ctx, const struct store_source *src),
                  void *ctx)
{
    int err = AD_OK;
    sqlite3_stmt *st = store__stmt(s, sql, Q_SOURCE_LIST, &err);
    if (st == NULL)
        return err;
    return store__source_each(s, st, fn, ctx);
}

int
store_source_next_version(struct store *s, const char *name, int *version)
{
    int err = AD_OK;
    sqlite3_stmt *st = store__stmt(s, sql, Q_SOURCE_NEXT, &err);
    if (st == NULL)
        return err;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *version = sqlite3_column_int(st, 0);
    else
        err = store__err(s, rc);
    store__finish(st);
    return err;
}

int
store_source_remove_unused(struct store *s, const char *name, int64_t *removed)
{
    int err = AD_OK;
    sqlite3_stmt *st = store__stmt(s, sql, Q_SOURCE_REMOVE_UNUSED, &err);
    if (st == NULL)
        return err;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    err = store__done(s, st);
    if (err == AD_OK && removed)
        *removed = sqlite3_changes64(s->db);
    return err;
}

int
store_source_restore(struct store *s, const struct store_source *src)
{
    int err = store_source_add(s, src);
    if (err != AD_OK)
        return err;
    sqlite3_stmt *st = store__stmt(s, sql, Q_SOURCE_RAISE, &err);
    if (st == NULL)
        return err;
    sqlite3_bind_text(st, 1, src->name, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, src->version);
    return store__done(s, st);
}
