/*
 * actors.c - the rows of actors: statuses, loading, inserting, saving and
 * removing a row, the run queue, the paginated listing, and the ties
 * bits that say what may point at an actor.  The waiting_for column goes
 * through shapes.c; the messages, watches, links, timers and abandoned
 * calls an actor leaves behind are deleted through their own files.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "store/store_int.h"

#define ACTOR_COLS                                                             \
    "id, name, behavior, version, status, resume, waiting_for, scanned, "      \
    "args, state, result, error, spawned, created, updated, deadline, "        \
    "mailbox"

static const char *const sql[Q_COUNT] = {
    [Q_ACTOR_BY_NAME] = "SELECT " ACTOR_COLS " FROM actors WHERE name = ?1",
    [Q_ACTOR_BY_ID] = "SELECT " ACTOR_COLS " FROM actors WHERE id = ?1",
    [Q_ACTOR_PEEK] =
        "SELECT id, status, waiting_for, mailbox FROM actors WHERE name = ?1",
    [Q_ACTOR_INSERT] =
        "INSERT INTO actors (name, behavior, version, status, resume, "
        "waiting_for, scanned, args, state, result, error, spawned, created, "
        "updated, deadline) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
        "?11, ?12, ?13, ?14, ?15)",
    [Q_ACTOR_SAVE] =
        "UPDATE actors SET status = ?3, resume = ?4, "
        "waiting_for = ?5, scanned = ?6, state = ?7, result = ?8, "
        "error = ?9, spawned = ?10, updated = ?11, deadline = ?12, "
        "mailbox = mailbox - ?13 WHERE id = ?1",
    [Q_ACTOR_SET_VERSION] = "UPDATE actors SET version = ?2 WHERE id = ?1",
    [Q_ACTOR_SET_STATUS] =
        "UPDATE actors SET status = ?2, updated = ?3 WHERE id = ?1",
    [Q_ACTOR_REMOVE] = "DELETE FROM actors WHERE id = ?1",
    [Q_RUNNABLE] = "SELECT id FROM actors WHERE status = 'runnable' "
                   "ORDER BY updated, id LIMIT ?1",
    [Q_UNSTRAND] =
        "UPDATE actors SET status = 'runnable' WHERE status = 'stranded'",
    [Q_TIE] = "UPDATE actors SET ties = ties | ?2 WHERE id IN (?1, ?3)",
    [Q_TIES] = "SELECT mailbox, ties FROM actors WHERE id = ?1",
    [Q_ACTOR_EXPIRED] =
        "SELECT id FROM actors WHERE status IN ('exited', 'failed', "
        "'killed') AND updated < ?1 ORDER BY updated, id LIMIT ?2",
    [Q_ACTOR_OWN_EXPIRED] = "SELECT id FROM actors WHERE behavior GLOB '_*' "
                            "AND created < ?1 ORDER BY created, id LIMIT ?2",
};

/* ---- statuses ---- */

static const char *const status_names[] = {
    [STORE_RUNNABLE] = "runnable", [STORE_WAITING] = "waiting",
    [STORE_EXITED] = "exited",     [STORE_FAILED] = "failed",
    [STORE_KILLED] = "killed",     [STORE_STRANDED] = "stranded",
};

const char *
store_status_name(enum store_status st)
{
    if ((unsigned)st >= sizeof status_names / sizeof status_names[0])
        return "unknown";
    return status_names[st];
}

int
store_status_parse(const char *name, enum store_status *st)
{
    for (unsigned i = 0; i < sizeof status_names / sizeof status_names[0];
         i++) {
        if (strcmp(name, status_names[i]) == 0) {
            *st = (enum store_status)i;
            return AD_OK;
        }
    }
    return AD_EINVAL;
}

int
store_status_ended(enum store_status st)
{
    return st == STORE_EXITED || st == STORE_FAILED || st == STORE_KILLED;
}

/* ---- rows ---- */

void
store_actor_release(struct store_actor *a)
{
    if (a == NULL)
        return;
    free(a->name);
    free(a->behavior);
    free(a->waiting_for);
    free(a->args);
    free(a->state);
    free(a->result);
    free(a->error);
    memset(a, 0, sizeof *a);
}

/* Fills a from the current row of a statement selecting ACTOR_COLS. */
static int
store__row_actor(struct store *s, sqlite3_stmt *st, struct store_actor *a)
{
    int err = AD_OK;
    a->id = sqlite3_column_int64(st, 0);
    a->name = store__dup(st, 1, &err);
    a->behavior = store__dup(st, 2, &err);
    a->version = a->stored_version = sqlite3_column_int(st, 3);
    const char *status = (const char *)sqlite3_column_text(st, 4);
    if (status == NULL || store_status_parse(status, &a->status) != AD_OK)
        a->status = STORE_STRANDED;
    a->resume = sqlite3_column_int(st, 5);
    const char *raw = (const char *)sqlite3_column_text(st, 6);
    /* Saved back unchanged, the row keeps the form it has. */
    a->waiting_inline = raw != NULL && raw[0] == '[';
    a->waiting_for = store__shapes_text(s, raw, &err);
    a->scanned = sqlite3_column_int64(st, 7);
    a->args = store__dup(st, 8, &err);
    a->state = store__dup(st, 9, &err);
    a->result = store__dup(st, 10, &err);
    a->error = store__dup(st, 11, &err);
    a->spawned = sqlite3_column_int64(st, 12);
    a->created = sqlite3_column_int64(st, 13);
    a->updated = sqlite3_column_int64(st, 14);
    a->deadline = sqlite3_column_int64(st, 15);
    a->mailbox = sqlite3_column_int64(st, 16);
    a->taken = 0;
    if (err == AD_OK && (a->name == NULL || a->behavior == NULL ||
                         a->args == NULL || a->state == NULL))
        err = AD_ENOMEM;
    if (err != AD_OK)
        store_actor_release(a);
    return err;
}

/* Loads into a the one actor st (with its key bound) selects. */
static int
store__actor_one(struct store *s, sqlite3_stmt *st, struct store_actor *a)
{
    int rc = sqlite3_step(st);
    int err;
    if (rc == SQLITE_ROW)
        err = store__row_actor(s, st, a);
    else if (rc == SQLITE_DONE)
        err = AD_ENOTFOUND;
    else
        err = store__err(s, rc);
    store__finish(st);
    return err;
}

int
store_actor_by_name(struct store *s, const char *name, struct store_actor *a)
{
    int err = AD_OK;
    sqlite3_stmt *st = store__stmt(s, sql, Q_ACTOR_BY_NAME, &err);
    if (st == NULL)
        return err;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    return store__actor_one(s, st, a);
}

int
store_actor_by_id(struct store *s, int64_t id, struct store_actor *a)
{
    int err = AD_OK;
    sqlite3_stmt *st = store__stmt(s, sql, Q_ACTOR_BY_ID, &err);
    if (st == NULL)
        return err;
    sqlite3_bind_int64(st, 1, id);
    return store__actor_one(s, st, a);
}

int
store_actor_peek(struct store *s, const char *name, int64_t *id,
                 enum store_status *status, char **waiting_for,
                 int64_t *mailbox)
{
    int err = AD_OK;
    sqlite3_stmt *st = store__stmt(s, sql, Q_ACTOR_PEEK, &err);
    if (st == NULL)
        return err;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(st, 0);
        const char *t = (const char *)sqlite3_column_text(st, 1);
        if (t == NULL || store_status_parse(t, status) != AD_OK)
            *status = STORE_STRANDED;
        if (waiting_for)
            *waiting_for = store__shapes_text(
                s, (const char *)sqlite3_column_text(st, 2), &err);
        if (mailbox)
            *mailbox = sqlite3_column_int64(st, 3);
    } else if (rc == SQLITE_DONE) {
        err = AD_ENOTFOUND;
    } else {
        err = store__err(s, rc);
    }
    store__finish(st);
    return err;
}

int
store_actor_insert(struct store *s, struct store_actor *a)
{
    int err = AD_OK;
    sqlite3_stmt *st = store__stmt(s, sql, Q_ACTOR_INSERT, &err);
    if (st == NULL)
        return err;
    sqlite3_bind_text(st, 1, a->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, a->behavior, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, a->version);
    sqlite3_bind_text(st, 4, store_status_name(a->status), -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 5, a->resume);
    err = store__shapes_bind(s, st, 6, a->waiting_for, a->waiting_inline);
    if (err != AD_OK) {
        store__finish(st);
        return err;
    }
    sqlite3_bind_int64(st, 7, a->scanned);
    store__bind_text(st, 8, a->args ? a->args : "{}");
    store__bind_text(st, 9, a->state ? a->state : "{}");
    store__bind_text(st, 10, a->result);
    store__bind_text(st, 11, a->error);
    sqlite3_bind_int64(st, 12, a->spawned);
    sqlite3_bind_int64(st, 13, a->created);
    sqlite3_bind_int64(st, 14, a->updated);
    if (a->deadline > 0)
        sqlite3_bind_int64(st, 15, a->deadline);
    err = store__done(s, st);
    if (err == AD_OK)
        a->id = sqlite3_last_insert_rowid(s->db);
    return err;
}

int
store_actor_save(struct store *s, const struct store_actor *a)
{
    int err = AD_OK;
    sqlite3_stmt *st = store__stmt(s, sql, Q_ACTOR_SAVE, &err);
    if (st == NULL)
        return err;
    sqlite3_bind_int64(st, 1, a->id);
    sqlite3_bind_text(st, 3, store_status_name(a->status), -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, a->resume);
    err = store__shapes_bind(s, st, 5, a->waiting_for, a->waiting_inline);
    if (err != AD_OK) {
        store__finish(st);
        return err;
    }
    sqlite3_bind_int64(st, 6, a->scanned);
    store__bind_text(st, 7, a->state ? a->state : "{}");
    store__bind_text(st, 8, a->result);
    store__bind_text(st, 9, a->error);
    sqlite3_bind_int64(st, 10, a->spawned);
    sqlite3_bind_int64(st, 11, a->updated);
    if (a->deadline > 0)
        sqlite3_bind_int64(st, 12, a->deadline);
    sqlite3_bind_int64(st, 13, a->taken);
    err = store__done(s, st);
    if (err == AD_OK && a->version != a->stored_version) {
        int64_t v[2] = {a->id, a->version};
        err = store__run(s, sql, Q_ACTOR_SET_VERSION, 2, v, NULL);
    }
    return err;
}

int
store_actor_set_status(struct store *s, int64_t id, enum store_status stat,
                       int64_t now)
{
    int err = AD_OK;
    sqlite3_stmt *st = store__stmt(s, sql, Q_ACTOR_SET_STATUS, &err);
    if (st == NULL)
        return err;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, store_status_name(stat), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, now);
    return store__done(s, st);
}

int
store_actor_remove(struct store *s, int64_t id)
{
    return store_actor_purge(s, id, NULL);
}

int
store_actor_purge(struct store *s, int64_t id, struct store_removed *r)
{
    /* Its id may be reused by the next actor: no message, watch, link,
     * timer or abandoned call may outlive it.  Each helper runs one
     * statement (ties two, counted apart), so sqlite3_changes64 after
     * it counts what that one deleted. */
    struct store_removed n = {0};
    int err = store__mailbox_clear(s, id);
    n.messages = sqlite3_changes64(s->db);
    if (err == AD_OK)
        err = store__ties_forget(s, id, &n.monitors, &n.links);
    if (err == AD_OK) {
        err = store_timer_forget(s, id);
        n.timers = sqlite3_changes64(s->db);
    }
    if (err == AD_OK) {
        err = store__calls_forget(s, id);
        n.calls = sqlite3_changes64(s->db);
    }
    if (err == AD_OK)
        err = store__run(s, sql, Q_ACTOR_REMOVE, 1, &id, &n.actors);
    if (err == AD_OK && r != NULL) {
        r->actors += n.actors;
        r->messages += n.messages;
        r->monitors += n.monitors;
        r->links += n.links;
        r->timers += n.timers;
        r->calls += n.calls;
    }
    return err;
}

int
store_actor_expired(struct store *s, int own, int64_t before, int64_t *ids,
                    int max, int *n)
{
    int err = AD_OK;
    *n = 0;
    sqlite3_stmt *st =
        store__stmt(s, sql, own ? Q_ACTOR_OWN_EXPIRED : Q_ACTOR_EXPIRED, &err);
    if (st == NULL)
        return err;
    sqlite3_bind_int64(st, 1, before);
    sqlite3_bind_int(st, 2, max);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < max)
        ids[(*n)++] = sqlite3_column_int64(st, 0);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        err = store__err(s, rc);
    store__finish(st);
    return err;
}

/* ---- the run queue ---- */

int
store_runnable(struct store *s, int64_t *ids, int max, int *n)
{
    int err = AD_OK;
    *n = 0;
    sqlite3_stmt *st = store__stmt(s, sql, Q_RUNNABLE, &err);
    if (st == NULL)
        return err;
    sqlite3_bind_int(st, 1, max);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < max)
        ids[(*n)++] = sqlite3_column_int64(st, 0);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        err = store__err(s, rc);
    store__finish(st);
    return err;
}

int
store_unstrand(struct store *s)
{
    return store__run(s, sql, Q_UNSTRAND, 0, NULL, NULL);
}

/* ---- the listing ---- */

int
store_actor_list(struct store *s, const char *behavior, const char *status,
                 const char *after, int limit,
                 int (*fn)(void *ctx, struct store_actor *a), void *ctx,
                 int *more)
{
    return store_actor_list_prefix(s, behavior, status, NULL, after, limit, fn,
                                   ctx, more);
}

/* Sets above to the first string after every name that starts with prefix
 * (its last byte raised by one), so that name >= prefix AND name < above
 * is a range of an index.  prefix holds bytes below 0x7f (the characters
 * of names); above has room for AD_NAME_MAX + 1 bytes. */
static void
store__prefix_above(const char *prefix, char *above)
{
    size_t n = strlen(prefix);
    memcpy(above, prefix, n + 1);
    above[n - 1] = (char)(above[n - 1] + 1);
}

/* Built per call (the filters vary) from fixed text only: every value
 * is a bound parameter but the status, which is one of store_status_name's
 * constants written into the text, so that the planner can see whether
 * the partial index of ended actors (actors_ended, migration 012) holds
 * it.  Each filter is then a range of an index: name (the unique index),
 * behavior (actors_by_behavior) or an ended status (actors_ended), all in
 * name order, so that a page costs its rows whatever page it is; a live
 * status (runnable, waiting) filters the name index.  With a prefix and
 * a cursor there is one lower bound, the cursor: store_actor_list_prefix
 * drops a cursor below the prefix. */
void
store__list_sql(char *buf, size_t len, int flags, enum store_status status)
{
    int after = flags & STORE_LIST_AFTER;
    snprintf(buf, len,
             "SELECT " ACTOR_COLS " FROM actors WHERE behavior NOT GLOB "
             "'_*'%s%s%s%s%s%s ORDER BY name LIMIT ?4",
             flags & STORE_LIST_BEHAVIOR ? " AND behavior = ?1" : "",
             flags & STORE_LIST_STATUS ? " AND status = '" : "",
             flags & STORE_LIST_STATUS ? store_status_name(status) : "",
             flags & STORE_LIST_STATUS ? "'" : "",
             after ? " AND name > ?3" : "",
             !(flags & STORE_LIST_PREFIX) ? ""
             : after                      ? " AND name < ?6"
                                          : " AND name >= ?5 AND name < ?6");
}

int
store_actor_list_prefix(struct store *s, const char *behavior,
                        const char *status, const char *prefix,
                        const char *after, int limit,
                        int (*fn)(void *ctx, struct store_actor *a), void *ctx,
                        int *more)
{
    char above[AD_NAME_MAX + 1];
    *more = 0;
    if (prefix != NULL && *prefix == '\0')
        prefix = NULL;
    if (prefix != NULL) {
        size_t n = strlen(prefix);
        if (n > AD_NAME_MAX)
            return AD_EINVAL;
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)prefix[i] >= 0x7f)
                return AD_EINVAL;
        store__prefix_above(prefix, above);
        /* One lower bound, so that the index range starts where the page
         * does: a cursor inside the prefix's range, or the prefix. */
        if (after != NULL && strcmp(after, prefix) < 0)
            after = NULL;
    }
    enum store_status stat = STORE_RUNNABLE;
    if (status != NULL && store_status_parse(status, &stat) != AD_OK)
        return AD_EINVAL;
    char text[512];
    store__list_sql(text, sizeof text,
                    (behavior ? STORE_LIST_BEHAVIOR : 0) |
                        (status ? STORE_LIST_STATUS : 0) |
                        (after ? STORE_LIST_AFTER : 0) |
                        (prefix ? STORE_LIST_PREFIX : 0),
                    stat);
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(s->db, text, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return store__err(s, rc);
    if (behavior)
        sqlite3_bind_text(st, 1, behavior, -1, SQLITE_STATIC);
    if (after)
        sqlite3_bind_text(st, 3, after, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, (int64_t)limit + 1);
    if (prefix) {
        if (!after)
            sqlite3_bind_text(st, 5, prefix, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 6, above, -1, SQLITE_STATIC);
    }
    int err = AD_OK, n = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == limit) {
            *more = 1;
            break;
        }
        struct store_actor a = {0};
        err = store__row_actor(s, st, &a);
        if (err != AD_OK)
            break;
        err = fn(ctx, &a);
        store_actor_release(&a);
        if (err != AD_OK)
            break;
        n++;
    }
    if (err == AD_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
        err = store__err(s, rc);
    sqlite3_finalize(st);
    return err;
}

/* ---- ties ---- */

int
store__tie(struct store *s, int64_t a, int bit, int64_t b)
{
    int64_t v[] = {a, bit, b};
    return store__run(s, sql, Q_TIE, 3, v, NULL);
}

int
store_actor_ties(struct store *s, int64_t id, int64_t *mailbox, int *ties)
{
    int err = AD_OK;
    sqlite3_stmt *st = store__stmt(s, sql, Q_TIES, &err);
    if (st == NULL)
        return err;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *mailbox = sqlite3_column_int64(st, 0);
        *ties = sqlite3_column_int(st, 1);
    } else {
        err = rc == SQLITE_DONE ? AD_ENOTFOUND : store__err(s, rc);
    }
    store__finish(st);
    return err;
}
