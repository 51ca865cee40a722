/*
 * ties.c - what ties actors to each other: monitors (a watcher told when
 * its target ends), links (both ended together unless one traps exits)
 * and the trap_exit flag, and the list of an actor's ties (export).  Adding a
 * watch or a link also sets the ties bits of the actors' rows (store__tie,
 * actors.c).
 */
#include <sqlite3.h>
#include <stdlib.h>

#include "store/store.h"
#include "store/store_int.h"

static const char *const sql[Q_COUNT] = {
    [Q_MONITOR_ADD] =
        "INSERT OR IGNORE INTO monitors (target, watcher) VALUES (?1, ?2)",
    [Q_MONITOR_TAKE] = "SELECT a.name FROM monitors m JOIN actors a "
                       "ON a.id = m.watcher WHERE m.target = ?1 "
                       "ORDER BY m.watcher",
    [Q_MONITOR_CLEAR] = "DELETE FROM monitors WHERE target = ?1",
    [Q_MONITOR_FORGET] =
        "DELETE FROM monitors WHERE target = ?1 OR watcher = ?1",
    [Q_LINK_ADD] = "INSERT OR IGNORE INTO links (a, b) VALUES (?1, ?2), "
                   "(?2, ?1)",
    [Q_LINK_REMOVE] = "DELETE FROM links WHERE (a = ?1 AND b = ?2) OR "
                      "(a = ?2 AND b = ?1)",
    [Q_LINK_TAKE] = "SELECT l.b, x.name, x.trap_exit FROM links l "
                    "JOIN actors x ON x.id = l.b WHERE l.a = ?1 ORDER BY l.b",
    [Q_LINK_FORGET] = "DELETE FROM links WHERE a = ?1 OR b = ?1",
    [Q_SET_TRAP] = "UPDATE actors SET trap_exit = ?2 WHERE id = ?1",
    [Q_GET_TRAP] = "SELECT trap_exit FROM actors WHERE id = ?1",
    [Q_TIES_WATCHERS] = "SELECT a.name FROM monitors m JOIN actors a "
                        "ON a.id = m.watcher WHERE m.target = ?1 "
                        "ORDER BY m.watcher",
    [Q_TIES_WATCHING] = "SELECT a.name FROM monitors m JOIN actors a "
                        "ON a.id = m.target WHERE m.watcher = ?1 "
                        "ORDER BY m.target",
    [Q_TIES_LINKED] = "SELECT x.name FROM links l JOIN actors x "
                      "ON x.id = l.b WHERE l.a = ?1 ORDER BY l.b",
};

int
store__ties_forget(struct store *s, int64_t id, int64_t *monitors,
                   int64_t *links)
{
    int err = store__run(s, sql, Q_MONITOR_FORGET, 1, &id, monitors);
    return err == AD_OK ? store__run(s, sql, Q_LINK_FORGET, 1, &id, links)
                        : err;
}

/* Calls fn with kind for every name the statement id (actor id bound)
 * selects. */
static int
store__ties_each(
    struct store *s, enum stmt_id q, int64_t id, enum store_tie_kind kind,
    int (*fn)(void *ctx, enum store_tie_kind kind, const char *name), void *ctx)
{
    int err = AD_OK;
    sqlite3_stmt *st = store__stmt(s, sql, q, &err);
    if (st == NULL)
        return err;
    sqlite3_bind_int64(st, 1, id);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        if (name == NULL) {
            err = AD_ENOMEM;
            break;
        }
        if ((err = fn(ctx, kind, name)) != AD_OK)
            break;
    }
    if (err == AD_OK && rc != SQLITE_DONE)
        err = store__err(s, rc);
    store__finish(st);
    return err;
}

int
store_ties_list(struct store *s, int64_t id,
                int (*fn)(void *ctx, enum store_tie_kind kind,
                          const char *name),
                void *ctx)
{
    int err =
        store__ties_each(s, Q_TIES_WATCHERS, id, STORE_WATCHED_BY, fn, ctx);
    if (err == AD_OK)
        err = store__ties_each(s, Q_TIES_WATCHING, id, STORE_WATCHING, fn, ctx);
    if (err == AD_OK)
        err = store__ties_each(s, Q_TIES_LINKED, id, STORE_LINKED_TO, fn, ctx);
    return err;
}

/* ---- monitors ---- */

int
store_monitor_add(struct store *s, int64_t target, int64_t watcher)
{
    int64_t v[] = {target, watcher};
    int err = store__run(s, sql, Q_MONITOR_ADD, 2, v, NULL);
    return err == AD_OK ? store__tie(s, target, STORE_TIE_MONITORS, target)
                        : err;
}

int
store_monitor_take(struct store *s, int64_t target, char ***names, size_t *n)
{
    int err = AD_OK;
    *names = NULL;
    *n = 0;
    sqlite3_stmt *st = store__stmt(s, sql, Q_MONITOR_TAKE, &err);
    if (st == NULL)
        return err;
    sqlite3_bind_int64(st, 1, target);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 4;
            char **nn = realloc(*names, cap * sizeof *nn);
            if (nn == NULL) {
                err = AD_ENOMEM;
                break;
            }
            *names = nn;
        }
        char *name = store__dup(st, 0, &err);
        if (name == NULL) {
            err = AD_ENOMEM;
            break;
        }
        (*names)[(*n)++] = name;
    }
    if (err == AD_OK && rc != SQLITE_DONE)
        err = store__err(s, rc);
    store__finish(st);
    if (err == AD_OK)
        err = store__run(s, sql, Q_MONITOR_CLEAR, 1, &target, NULL);
    if (err != AD_OK) {
        for (size_t i = 0; i < *n; i++)
            free((*names)[i]);
        free(*names);
        *names = NULL;
        *n = 0;
    }
    return err;
}

/* ---- links ---- */

int
store_link_add(struct store *s, int64_t a, int64_t b)
{
    int64_t v[] = {a, b};
    int err = store__run(s, sql, Q_LINK_ADD, 2, v, NULL);
    return err == AD_OK ? store__tie(s, a, STORE_TIE_LINKS, b) : err;
}

int
store_link_remove(struct store *s, int64_t a, int64_t b)
{
    int64_t v[] = {a, b};
    return store__run(s, sql, Q_LINK_REMOVE, 2, v, NULL);
}

int
store_link_take(struct store *s, int64_t id, struct store_link **out, size_t *n)
{
    int err = AD_OK;
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = store__stmt(s, sql, Q_LINK_TAKE, &err);
    if (st == NULL)
        return err;
    sqlite3_bind_int64(st, 1, id);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 4;
            struct store_link *nl = realloc(*out, cap * sizeof *nl);
            if (nl == NULL) {
                err = AD_ENOMEM;
                break;
            }
            *out = nl;
        }
        struct store_link *l = &(*out)[*n];
        l->id = sqlite3_column_int64(st, 0);
        l->name = store__dup(st, 1, &err);
        l->trap_exit = sqlite3_column_int(st, 2);
        if (l->name == NULL) {
            err = AD_ENOMEM;
            break;
        }
        (*n)++;
    }
    if (err == AD_OK && rc != SQLITE_DONE)
        err = store__err(s, rc);
    store__finish(st);
    if (err == AD_OK)
        err = store__run(s, sql, Q_LINK_FORGET, 1, &id, NULL);
    if (err != AD_OK) {
        store_links_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return err;
}

void
store_links_free(struct store_link *links, size_t n)
{
    for (size_t i = 0; links && i < n; i++)
        free(links[i].name);
    free(links);
}

/* ---- trapping exits ---- */

int
store_set_trap_exit(struct store *s, int64_t id, int on)
{
    int64_t v[] = {id, on ? 1 : 0};
    return store__run(s, sql, Q_SET_TRAP, 2, v, NULL);
}

int
store_trap_exit(struct store *s, int64_t id, int *on)
{
    int err = AD_OK;
    sqlite3_stmt *st = store__stmt(s, sql, Q_GET_TRAP, &err);
    if (st == NULL)
        return err;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *on = sqlite3_column_int(st, 0);
    else
        err = rc == SQLITE_DONE ? AD_ENOTFOUND : store__err(s, rc);
    store__finish(st);
    return err;
}
