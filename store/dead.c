/*
 * dead.c - dead letters: messages that could not be delivered, kept with
 * their target and a reason until collected.  A whole mailbox becomes
 * dead letters through store_mailbox_bury (mailbox.c).
 */
#include <sqlite3.h>

#include "store/store.h"
#include "store/store_int.h"

static const char *const sql[Q_COUNT] = {
    [Q_DEAD_ADD] = "INSERT INTO dead_letters (sender, target, reason, body, "
                   "created) VALUES (?1, ?2, ?3, ?4, ?5)",
    [Q_DEAD_LIST] = "SELECT seq, sender, target, reason, body, created "
                    "FROM dead_letters WHERE seq > ?1 ORDER BY seq LIMIT ?2",
    [Q_DEAD_COLLECT] = "DELETE FROM dead_letters WHERE seq <= ?1",
    [Q_DEAD_EXPIRE] = "DELETE FROM dead_letters WHERE seq IN (SELECT seq "
                      "FROM dead_letters WHERE created < ?1 ORDER BY seq "
                      "LIMIT ?2)",
};

int
store_dead_letter_add(struct store *s, const char *sender, const char *target,
                      const char *reason, const char *body, size_t len,
                      int64_t now)
{
    int err = AD_OK;
    sqlite3_stmt *st = store__stmt(s, sql, Q_DEAD_ADD, &err);
    if (st == NULL)
        return err;
    store__bind_text(st, 1, sender);
    sqlite3_bind_text(st, 2, target, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, reason, -1, SQLITE_STATIC);
    sqlite3_bind_text64(st, 4, body, len, SQLITE_STATIC, SQLITE_UTF8);
    sqlite3_bind_int64(st, 5, now);
    return store__done(s, st);
}

int
store_dead_letter_list(struct store *s, int64_t after, int limit,
                       int (*fn)(void *ctx, const struct store_dead *d),
                       void *ctx, int *more)
{
    int err = AD_OK;
    sqlite3_stmt *st = store__stmt(s, sql, Q_DEAD_LIST, &err);
    if (st == NULL)
        return err;
    sqlite3_bind_int64(st, 1, after);
    sqlite3_bind_int64(st, 2, (int64_t)limit + 1);
    int rc, n = 0;
    *more = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == limit) {
            *more = 1;
            break;
        }
        struct store_dead d = {
            .seq = sqlite3_column_int64(st, 0),
            .sender = (const char *)sqlite3_column_text(st, 1),
            .target = (const char *)sqlite3_column_text(st, 2),
            .reason = (const char *)sqlite3_column_text(st, 3),
            .body = (const char *)sqlite3_column_text(st, 4),
            .body_len = (size_t)sqlite3_column_bytes(st, 4),
            .created = sqlite3_column_int64(st, 5),
        };
        if (d.target == NULL || d.reason == NULL || d.body == NULL) {
            err = AD_ENOMEM;
            break;
        }
        err = fn(ctx, &d);
        if (err != AD_OK)
            break;
        n++;
    }
    if (err == AD_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
        err = store__err(s, rc);
    store__finish(st);
    return err;
}

int
store_dead_letter_collect(struct store *s, int64_t upto, int64_t *n)
{
    return store__run(s, sql, Q_DEAD_COLLECT, 1, &upto, n);
}

int
store_dead_letter_expire(struct store *s, int64_t before, int limit, int64_t *n)
{
    int64_t v[] = {before, limit};
    return store__run(s, sql, Q_DEAD_EXPIRE, 2, v, n);
}
