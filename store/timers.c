/*
 * timers.c - what comes due in time: the timers actors set (a message
 * sent to a target when due, once or every period) and the deadlines of
 * receives (store_fire_due wakes the actors whose wait ran out).  Adding
 * a timer sets the owner's STORE_TIE_TIMERS bit (store__tie, actors.c).
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "store/store_int.h"

static const char *const sql[Q_COUNT] = {
    [Q_TIMER_ADD] = "INSERT INTO timers (owner, target, body, due, every) "
                    "VALUES (?1, ?2, ?3, ?4, ?5)",
    [Q_TIMER_CANCEL] = "DELETE FROM timers WHERE id = ?1 AND owner = ?2",
    [Q_TIMER_DUE] = "SELECT t.id, a.name, t.target, t.body, t.due, t.every "
                    "FROM timers t JOIN actors a ON a.id = t.owner "
                    "WHERE t.due <= ?1 ORDER BY t.due, t.id LIMIT ?2",
    [Q_TIMER_DONE] = "DELETE FROM timers WHERE id = ?1",
    [Q_TIMER_RESET] = "UPDATE timers SET due = ?2 WHERE id = ?1",
    [Q_TIMER_FORGET] = "DELETE FROM timers WHERE owner = ?1",
    [Q_FIRE_DUE] = "UPDATE actors SET status = 'runnable', updated = ?1 "
                   "WHERE deadline <= ?1 AND status = 'waiting'",
    [Q_TIMER_LIST] = "SELECT id, target, body, due, every FROM timers "
                     "WHERE owner = ?1 ORDER BY id",
    [Q_TIMER_RESTORE] = "INSERT OR IGNORE INTO timers (id, owner, target, "
                        "body, due, every) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
};

int
store_timer_add(struct store *s, int64_t owner, const char *target,
                const char *body, int64_t due, int64_t every, int64_t *id)
{
    int err = AD_OK;
    sqlite3_stmt *st = store__stmt(s, sql, Q_TIMER_ADD, &err);
    if (st == NULL)
        return err;
    sqlite3_bind_int64(st, 1, owner);
    sqlite3_bind_text(st, 2, target, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, body, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, due);
    if (every > 0)
        sqlite3_bind_int64(st, 5, every);
    err = store__done(s, st);
    if (err != AD_OK)
        return err;
    if (id)
        *id = sqlite3_last_insert_rowid(s->db);
    return store__tie(s, owner, STORE_TIE_TIMERS, owner);
}

int
store_timer_cancel(struct store *s, int64_t id, int64_t owner, int *found)
{
    int64_t v[] = {id, owner}, changed = 0;
    int err = store__run(s, sql, Q_TIMER_CANCEL, 2, v, &changed);
    if (found)
        *found = err == AD_OK && changed > 0;
    return err;
}

int
store_timer_forget(struct store *s, int64_t owner)
{
    return store__run(s, sql, Q_TIMER_FORGET, 1, &owner, NULL);
}

int
store_timer_due(struct store *s, int64_t now, int limit,
                struct store_timer **out, size_t *n)
{
    int err = AD_OK;
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = store__stmt(s, sql, Q_TIMER_DUE, &err);
    if (st == NULL)
        return err;
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_int(st, 2, limit);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 8;
            struct store_timer *nt = realloc(*out, cap * sizeof *nt);
            if (nt == NULL) {
                err = AD_ENOMEM;
                break;
            }
            *out = nt;
        }
        struct store_timer *t = &(*out)[*n];
        memset(t, 0, sizeof *t);
        t->id = sqlite3_column_int64(st, 0);
        t->owner = store__dup(st, 1, &err);
        t->target = store__dup(st, 2, &err);
        t->body = store__dup(st, 3, &err);
        t->due = sqlite3_column_int64(st, 4);
        t->every = sqlite3_column_int64(st, 5);
        (*n)++;
        if (err != AD_OK || !t->owner || !t->target || !t->body) {
            err = AD_ENOMEM;
            break;
        }
    }
    if (err == AD_OK && rc != SQLITE_DONE)
        err = store__err(s, rc);
    store__finish(st);
    if (err != AD_OK) {
        store_timers_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return err;
}

int
store_timer_list(struct store *s, int64_t owner,
                 int (*fn)(void *ctx, const struct store_timer *t), void *ctx)
{
    int err = AD_OK;
    sqlite3_stmt *st = store__stmt(s, sql, Q_TIMER_LIST, &err);
    if (st == NULL)
        return err;
    sqlite3_bind_int64(st, 1, owner);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_timer t = {
            .id = sqlite3_column_int64(st, 0),
            .target = (char *)sqlite3_column_text(st, 1),
            .body = (char *)sqlite3_column_text(st, 2),
            .due = sqlite3_column_int64(st, 3),
            .every = sqlite3_column_int64(st, 4),
        };
        if (t.target == NULL || t.body == NULL) {
            err = AD_ENOMEM;
            break;
        }
        if ((err = fn(ctx, &t)) != AD_OK)
            break;
    }
    if (err == AD_OK && rc != SQLITE_DONE)
        err = store__err(s, rc);
    store__finish(st);
    return err;
}

int
store_timer_restore(struct store *s, int64_t want, int64_t owner,
                    const char *target, const char *body, int64_t due,
                    int64_t every, int64_t *id)
{
    int err = AD_OK;
    sqlite3_stmt *st = store__stmt(s, sql, Q_TIMER_RESTORE, &err);
    if (st == NULL)
        return err;
    sqlite3_bind_int64(st, 1, want);
    sqlite3_bind_int64(st, 2, owner);
    sqlite3_bind_text(st, 3, target, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, body, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, due);
    if (every > 0)
        sqlite3_bind_int64(st, 6, every);
    err = store__done(s, st);
    if (err != AD_OK)
        return err;
    if (sqlite3_changes64(s->db) == 0) /* the id is taken here */
        return store_timer_add(s, owner, target, body, due, every, id);
    if (id)
        *id = want;
    return store__tie(s, owner, STORE_TIE_TIMERS, owner);
}

void
store_timers_free(struct store_timer *t, size_t n)
{
    for (size_t i = 0; t && i < n; i++) {
        free(t[i].owner);
        free(t[i].target);
        free(t[i].body);
    }
    free(t);
}

int
store_timer_fired(struct store *s, int64_t id, int64_t next_due)
{
    int64_t v[] = {id, next_due};
    return next_due > 0 ? store__run(s, sql, Q_TIMER_RESET, 2, v, NULL)
                        : store__run(s, sql, Q_TIMER_DONE, 1, v, NULL);
}

/* ---- receive deadlines ---- */

int
store_fire_due(struct store *s, int64_t now, int64_t *n)
{
    return store__run(s, sql, Q_FIRE_DUE, 1, &now, n);
}
