/*
 * calls.c - abandoned calls: the call ids whose reply an actor stopped
 * waiting for (its receive timed out), so that a late reply becomes a
 * dead letter rather than mail nobody reads.
 */
#include <sqlite3.h>

#include "store/store.h"
#include "store/store_int.h"

static const char *const sql[Q_COUNT] = {
    [Q_ABANDON_ADD] = "INSERT OR IGNORE INTO abandoned_calls (actor, "
                      "call_id, created) VALUES (?1, ?2, ?3)",
    [Q_ABANDON_TAKE] = "DELETE FROM abandoned_calls WHERE actor = ?1 AND "
                       "call_id = ?2",
    [Q_ABANDON_FORGET] = "DELETE FROM abandoned_calls WHERE actor = ?1",
    [Q_ABANDON_LIST] = "SELECT call_id, created FROM abandoned_calls "
                       "WHERE actor = ?1 ORDER BY call_id",
};

int
store_call_abandon(struct store *s, int64_t actor, const char *call_id,
                   int64_t now)
{
    int err = AD_OK;
    sqlite3_stmt *st = store__stmt(s, sql, Q_ABANDON_ADD, &err);
    if (st == NULL)
        return err;
    sqlite3_bind_int64(st, 1, actor);
    sqlite3_bind_text(st, 2, call_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, now);
    return store__done(s, st);
}

int
store_call_take_abandoned(struct store *s, int64_t actor, const char *call_id,
                          int *found)
{
    int err = AD_OK;
    *found = 0;
    sqlite3_stmt *st = store__stmt(s, sql, Q_ABANDON_TAKE, &err);
    if (st == NULL)
        return err;
    sqlite3_bind_int64(st, 1, actor);
    sqlite3_bind_text(st, 2, call_id, -1, SQLITE_STATIC);
    err = store__done(s, st);
    if (err == AD_OK)
        *found = sqlite3_changes64(s->db) > 0;
    return err;
}

int
store__calls_forget(struct store *s, int64_t actor)
{
    return store__run(s, sql, Q_ABANDON_FORGET, 1, &actor, NULL);
}

int
store_call_list(struct store *s, int64_t actor,
                int (*fn)(void *ctx, const char *call_id, int64_t created),
                void *ctx)
{
    int err = AD_OK;
    sqlite3_stmt *st = store__stmt(s, sql, Q_ABANDON_LIST, &err);
    if (st == NULL)
        return err;
    sqlite3_bind_int64(st, 1, actor);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *id = (const char *)sqlite3_column_text(st, 0);
        if (id == NULL) {
            err = AD_ENOMEM;
            break;
        }
        if ((err = fn(ctx, id, sqlite3_column_int64(st, 1))) != AD_OK)
            break;
    }
    if (err == AD_OK && rc != SQLITE_DONE)
        err = store__err(s, rc);
    store__finish(st);
    return err;
}
