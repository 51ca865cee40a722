/*
 * shapes.c - the interned shapes table.  The waiting_for column of an
 * actor holds either its shapes text inline (JSON, starting with '[') or
 * the id of a row of shapes holding that text, so that thousands of
 * actors waiting for the same shapes store them once.  Which of the two
 * is the caller's choice (store_actor.waiting_inline): the store never
 * looks inside the text.  Interned rows are never deleted.
 *
 * Each connection caches the texts it has interned or read
 * (struct store_shapes), and keeps the cache in step with its
 * transaction: an entry whose row a rollback undid is dropped.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "store/store_int.h"

static const char *const sql[Q_COUNT] = {
    [Q_SHAPE_ADD] = "INSERT OR IGNORE INTO shapes (text) VALUES (?1)",
    [Q_SHAPE_ID] = "SELECT id FROM shapes WHERE text = ?1",
    [Q_SHAPE_TEXT] = "SELECT text FROM shapes WHERE id = ?1",
};

static uint32_t
store__shapes_hash(const char *t)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *t; t++)
        h = (h ^ (unsigned char)*t) * 16777619u;
    return h;
}

/* Forgets the cached shapes from entry keep on. */
static void
store__shapes_forget(struct store *s, int keep)
{
    struct store_shapes *c = &s->shapes;
    while (c->n > keep)
        free(c->e[--c->n].text);
}

/* Remembers that row id of shapes holds text (copied). */
static void
store__shapes_remember(struct store *s, int64_t id, uint32_t hash,
                       const char *text)
{
    struct store_shapes *c = &s->shapes;
    char *copy;
    if (c->n == SHAPES_CACHED || (copy = strdup(text)) == NULL)
        return; /* a cache, not a record: SQLite still answers */
    c->e[c->n++] = (struct store_shape){id, hash, copy};
}

/* Sets *id to the row of shapes holding text (not NULL), adding it when
 * none does, inside the caller's write transaction. */
static int
store__shapes_intern(struct store *s, const char *text, int64_t *id)
{
    struct store_shapes *c = &s->shapes;
    uint32_t h = store__shapes_hash(text);
    for (int i = 0; i < c->n; i++)
        if (c->e[i].hash == h && strcmp(c->e[i].text, text) == 0) {
            *id = c->e[i].id;
            return AD_OK;
        }
    int err = AD_OK;
    sqlite3_stmt *st = store__stmt(s, sql, Q_SHAPE_ADD, &err);
    if (st == NULL)
        return err;
    sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
    if ((err = store__done(s, st)) != AD_OK)
        return err;
    if ((st = store__stmt(s, sql, Q_SHAPE_ID, &err)) == NULL)
        return err;
    sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *id = sqlite3_column_int64(st, 0);
    else
        err = rc == SQLITE_DONE ? AD_EIO : store__err(s, rc);
    store__finish(st);
    if (err == AD_OK)
        store__shapes_remember(s, *id, h, text);
    return err;
}

int
store__shapes_bind(struct store *s, sqlite3_stmt *st, int i, const char *text,
                   int keep_inline)
{
    if (text == NULL || keep_inline) {
        store__bind_text(st, i, text);
        return AD_OK;
    }
    int64_t id = 0;
    int err = store__shapes_intern(s, text, &id);
    if (err != AD_OK)
        return err;
    sqlite3_bind_int64(st, i, id); /* stored as text: "12" */
    return AD_OK;
}

char *
store__shapes_text(struct store *s, const char *raw, int *err)
{
    if (raw == NULL)
        return NULL;
    if (raw[0] == '[') {
        char *c = strdup(raw);
        if (c == NULL)
            *err = AD_ENOMEM;
        return c;
    }
    struct store_shapes *cache = &s->shapes;
    int64_t id = strtoll(raw, NULL, 10);
    for (int i = 0; i < cache->n; i++)
        if (cache->e[i].id == id) {
            char *c = strdup(cache->e[i].text);
            if (c == NULL)
                *err = AD_ENOMEM;
            return c;
        }
    int e = AD_OK;
    char *c = NULL;
    sqlite3_stmt *st = store__stmt(s, sql, Q_SHAPE_TEXT, &e);
    if (st != NULL) {
        sqlite3_bind_int64(st, 1, id);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
            c = store__dup(st, 0, &e);
        else if (rc != SQLITE_DONE)
            e = store__err(s, rc);
        store__finish(st);
    }
    if (c != NULL) {
        store__shapes_remember(s, id, store__shapes_hash(c), c);
    } else if (e == AD_OK) {
        /* No such row (the column was edited by hand): the text as it
         * is, which is not JSON, so the engine strands the actor rather
         * than failing every run. */
        if ((c = strdup(raw)) == NULL)
            e = AD_ENOMEM;
    }
    if (e != AD_OK)
        *err = e;
    return c;
}

void
store__shapes_savepoint(struct store *s)
{
    s->shapes.mark = s->shapes.n;
}

void
store__shapes_undo(struct store *s)
{
    store__shapes_forget(s, s->shapes.mark);
}

void
store__shapes_commit(struct store *s)
{
    s->shapes.kept = s->shapes.n;
}

void
store__shapes_rollback(struct store *s)
{
    store__shapes_forget(s, s->shapes.kept);
}

void
store__shapes_free(struct store *s)
{
    store__shapes_forget(s, 0);
}
