/*
 * tx.c - transactions of a connection: write (store_begin, under the
 * process's write mutex when there is one) and read, the savepoint of a
 * step, commit and rollback, the helpers that run a function inside a
 * transaction, and store_changed.  It keeps the shapes cache in step
 * with what a rollback undoes (shapes.c), and writes the messages held
 * in memory (held.c) before a commit or a savepoint.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <time.h>

#include "store/store.h"
#include "store/store_int.h"

static const char *const sql[Q_COUNT] = {
    [Q_BEGIN] = "BEGIN IMMEDIATE",
    [Q_BEGIN_READ] = "BEGIN",
    [Q_COMMIT] = "COMMIT",
    [Q_ROLLBACK] = "ROLLBACK",
    [Q_SAVEPOINT] = "SAVEPOINT step",
    [Q_ROLLBACK_TO] = "ROLLBACK TO step",
    [Q_RELEASE] = "RELEASE step",
    [Q_DATA_VERSION] = "PRAGMA data_version",
};

/* Runs one of the transaction statements. */
static int
store__txn(struct store *s, enum stmt_id id)
{
    return store__run(s, sql, id, 0, NULL, NULL);
}

void
store__ended(struct store *s)
{
    if (s->writing && s->write_mu)
        pthread_mutex_unlock(s->write_mu);
    s->writing = 0;
}

/*
 * Prepared lazily, the statements that undo would be prepared at the
 * first rollback, which is often one after an allocation failed: should
 * that prepare fail too, the transaction stays open and keeps the write
 * lock, and every later store_begin fails ("cannot start a transaction
 * within a transaction").  Prepared at open, undoing needs no memory.
 */
int
store__tx_prepare(struct store *s)
{
    static const enum stmt_id undo[] = {Q_ROLLBACK, Q_ROLLBACK_TO, Q_RELEASE};
    int err = AD_OK;
    for (size_t i = 0; i < sizeof undo / sizeof undo[0]; i++)
        if (store__stmt(s, sql, undo[i], &err) == NULL)
            return err;
    return AD_OK;
}

int
store_begin(struct store *s)
{
    /* Threads of one process queue on the mutex rather than in SQLite's
     * busy handler, which sleeps and retries.  The wait for the mutex
     * counts against the busy timeout: the holder may itself be waiting
     * for another process. */
    if (s->write_mu) {
        struct timespec until;
        int64_t t0 = ad_mono_ms();
        ad_realtime_in(&until, s->busy_ms);
        if (pthread_mutex_timedlock(s->write_mu, &until) != 0)
            return AD_EBUSY;
        int64_t waited = ad_mono_ms() - t0;
        sqlite3_busy_timeout(
            s->db, waited < s->busy_ms ? s->busy_ms - (int)waited : 1);
    }
    int err = store__txn(s, Q_BEGIN);
    if (err == AD_OK)
        s->writing = 1;
    else if (s->write_mu)
        pthread_mutex_unlock(s->write_mu);
    return err;
}

int
store_savepoint(struct store *s)
{
    /* What a step undone would undo is then all in SQLite, or held
     * since. */
    int err = store__held_flush(s);
    if (err != AD_OK)
        return err;
    store__shapes_savepoint(s);
    return store__txn(s, Q_SAVEPOINT);
}

int
store_savepoint_undo(struct store *s)
{
    store__shapes_undo(s);
    store__held_undo(s);
    int err = store__txn(s, Q_ROLLBACK_TO);
    return err == AD_OK ? store__txn(s, Q_RELEASE) : err;
}

int
store_savepoint_keep(struct store *s)
{
    return store__txn(s, Q_RELEASE);
}

int
store_begin_read(struct store *s)
{
    return store__txn(s, Q_BEGIN_READ);
}

/* Every commit of this process: how long SQLite's COMMIT took. */
static struct ad_hist commit_seconds;

void
store_commit_seconds(struct ad_hist *out)
{
    ad_hist_read(&commit_seconds, out);
}

int
store_commit(struct store *s)
{
    int err = store__held_flush(s);
    if (err != AD_OK) {
        store_rollback(s);
        return err;
    }
    store__held_drop(s);
    double t0 = ad_mono_s();
    err = store__txn(s, Q_COMMIT);
    ad_hist_observe(&commit_seconds, ad_mono_s() - t0);
    if (err != AD_OK)
        store_rollback(s);
    else
        store__shapes_commit(s);
    store__ended(s);
    return err;
}

void
store_rollback(struct store *s)
{
    store__held_drop(s);
    if (!sqlite3_get_autocommit(s->db))
        store__txn(s, Q_ROLLBACK);
    /* The rows of shapes added since the last commit are gone. */
    store__shapes_rollback(s);
    store__ended(s);
}

int
store_transaction(struct store *s, int (*fn)(struct store *s, void *ctx),
                  void *ctx)
{
    int err = store_begin(s);
    if (err != AD_OK)
        return err;
    err = fn(s, ctx);
    if (err != AD_OK) {
        store_rollback(s);
        return err;
    }
    return store_commit(s); /* rolls back itself when it fails */
}

int
store_transaction_read(struct store *s, int (*fn)(struct store *s, void *ctx),
                       void *ctx)
{
    int err = store_begin_read(s);
    if (err != AD_OK)
        return err;
    err = fn(s, ctx);
    store_rollback(s); /* a snapshot has nothing to keep */
    return err;
}

int
store_changed(struct store *s)
{
    int err = AD_OK;
    sqlite3_stmt *st = store__stmt(s, sql, Q_DATA_VERSION, &err);
    if (st == NULL)
        return 1;
    int changed = 1;
    if (sqlite3_step(st) == SQLITE_ROW) {
        int64_t v = sqlite3_column_int64(st, 0);
        changed = v != s->data_version;
        s->data_version = v;
    }
    store__finish(st);
    return changed;
}
