/*
 * mailbox.c - the messages of actors: appending (and counting it in the
 * actor's row, waking it if asked), scanning in seq order, taking one,
 * counting, and burying a whole mailbox in the dead letters.  The stored
 * count (actors.mailbox) moves with every change made here; a taken
 * message is subtracted when the row is saved (store_actor.taken).
 * While a transaction holds messages in memory (held.c), appending,
 * scanning and taking go through them; whatever else touches the
 * messages table writes them first.
 */
#include <sqlite3.h>

#include "store/store.h"
#include "store/store_int.h"

static const char *const sql[Q_COUNT] = {
    [Q_MAILBOX_APPEND] = "INSERT INTO messages (actor, sender, body, "
                         "created, hops) VALUES (?1, ?2, ?3, ?4, ?5)",
    [Q_MAILBOX_GREW] = "UPDATE actors SET mailbox = mailbox + 1 "
                       "WHERE id = ?1",
    [Q_MAILBOX_WAKE] = "UPDATE actors SET mailbox = mailbox + 1, "
                       "status = 'runnable', updated = ?2 WHERE id = ?1",
    [Q_MAILBOX_SCAN] = "SELECT seq, sender, body, hops FROM messages "
                       "WHERE actor = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
    [Q_MAILBOX_TAKE] = "DELETE FROM messages WHERE seq = ?1",
    [Q_MAILBOX_COUNT] = "SELECT count(*) FROM messages WHERE actor = ?1",
    [Q_MAILBOX_CLEAR] = "DELETE FROM messages WHERE actor = ?1",
    [Q_MAILBOX_EMPTIED] = "UPDATE actors SET mailbox = 0 WHERE id = ?1",
    [Q_MAILBOX_BURY] =
        "INSERT INTO dead_letters (sender, target, reason, body, "
        "created) SELECT sender, ?2, ?3, body, ?4 FROM messages "
        "WHERE actor = ?1 ORDER BY seq",
};

int
store_mailbox_append(struct store *s, int64_t actor, const char *sender,
                     const char *body, size_t len, int64_t now, int64_t hops,
                     int wake, int64_t *seq)
{
    int err = AD_OK;
    int64_t given = 0;
    if (store__held_on(s)) {
        err =
            store__held_append(s, actor, sender, body, len, now, hops, &given);
    } else {
        sqlite3_stmt *st = store__stmt(s, sql, Q_MAILBOX_APPEND, &err);
        if (st == NULL)
            return err;
        sqlite3_bind_int64(st, 1, actor);
        store__bind_text(st, 2, sender);
        sqlite3_bind_text64(st, 3, body, len, SQLITE_STATIC, SQLITE_UTF8);
        sqlite3_bind_int64(st, 4, now);
        sqlite3_bind_int64(st, 5, hops);
        err = store__done(s, st);
        given = sqlite3_last_insert_rowid(s->db);
    }
    if (err != AD_OK)
        return err;
    if (seq)
        *seq = given;
    int64_t v[2] = {actor, now};
    return wake ? store__run(s, sql, Q_MAILBOX_WAKE, 2, v, NULL)
                : store__run(s, sql, Q_MAILBOX_GREW, 1, v, NULL);
}

int
store_mailbox_scan(struct store *s, int64_t actor, int64_t after, int limit,
                   int (*fn)(void *ctx, int64_t seq, const char *sender,
                             const char *body, size_t len, int64_t hops),
                   void *ctx)
{
    int err = AD_OK;
    sqlite3_stmt *st = store__stmt(s, sql, Q_MAILBOX_SCAN, &err);
    if (st == NULL)
        return err;
    sqlite3_bind_int64(st, 1, actor);
    sqlite3_bind_int64(st, 2, after);
    sqlite3_bind_int(st, 3, limit > 0 ? limit : -1);
    int left = limit > 0 ? limit : -1; /* then the held ones */
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *body = (const char *)sqlite3_column_text(st, 2);
        size_t len = (size_t)sqlite3_column_bytes(st, 2);
        if (body == NULL) {
            err = AD_ENOMEM;
            break;
        }
        if (left > 0)
            left--;
        err = fn(ctx, sqlite3_column_int64(st, 0),
                 (const char *)sqlite3_column_text(st, 1), body, len,
                 sqlite3_column_int64(st, 3));
        if (err != AD_OK)
            break;
    }
    if (err == AD_OK && rc != SQLITE_DONE)
        err = store__err(s, rc);
    store__finish(st);
    /* Every held seq is above every stored one. */
    if (err == AD_OK && left != 0)
        err = store__held_scan(s, actor, after, &left, fn, ctx);
    return err == 1 ? AD_OK : err;
}

int
store_mailbox_scan_held(struct store *s, int64_t actor, int64_t after,
                        int (*fn)(void *ctx, int64_t seq, const char *sender,
                                  const char *body, size_t len, int64_t hops),
                        void *ctx)
{
    int left = -1;
    int err = store__held_scan(s, actor, after, &left, fn, ctx);
    return err == 1 ? AD_OK : err;
}

int
store_mailbox_take(struct store *s, int64_t seq)
{
    int taken = 0;
    int err = store__held_take(s, seq, &taken);
    if (err != AD_OK || taken)
        return err;
    return store__run(s, sql, Q_MAILBOX_TAKE, 1, &seq, NULL);
}

int
store_mailbox_count(struct store *s, int64_t actor, int64_t *n)
{
    int err = store__held_flush(s);
    sqlite3_stmt *st = err ? NULL : store__stmt(s, sql, Q_MAILBOX_COUNT, &err);
    if (st == NULL)
        return err;
    sqlite3_bind_int64(st, 1, actor);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *n = sqlite3_column_int64(st, 0);
    else
        err = store__err(s, rc);
    store__finish(st);
    return err;
}

int
store__mailbox_clear(struct store *s, int64_t actor)
{
    int err = store__held_flush(s);
    return err ? err : store__run(s, sql, Q_MAILBOX_CLEAR, 1, &actor, NULL);
}

int
store_mailbox_bury(struct store *s, int64_t actor, const char *target,
                   const char *reason, int64_t now)
{
    int err = store__held_flush(s);
    sqlite3_stmt *st = err ? NULL : store__stmt(s, sql, Q_MAILBOX_BURY, &err);
    if (st == NULL)
        return err;
    sqlite3_bind_int64(st, 1, actor);
    sqlite3_bind_text(st, 2, target, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, reason, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, now);
    err = store__done(s, st);
    if (err == AD_OK)
        err = store__mailbox_clear(s, actor);
    if (err == AD_OK)
        err = store__run(s, sql, Q_MAILBOX_EMPTIED, 1, &actor, NULL);
    return err;
}
