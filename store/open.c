/*
 * open.c - a connection's life: open (pragmas, migrations, size limit)
 * and close, and the helpers every other file of store/ runs its SQL
 * through: the per-connection cache of prepared statements
 * (SQLITE_PREPARE_PERSISTENT, prepared on first use and reused) and the
 * translation of SQLite result codes to enum ad_err.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/migrations.h"
#include "store/store.h"
#include "store/store_int.h"
#include "util/util.h"

static pthread_once_t store_once = PTHREAD_ONCE_INIT;

/* Process-wide SQLite settings, before SQLite initializes (later they
 * are refused, harmlessly).  Without memory statistics every allocation
 * of SQLite skips a global mutex: callgrind showed those mutexes at 6% of
 * a ring's instructions. */
static void
store__configure(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

/* ---- statements and errors (store_int.h) ---- */

int
store__err(struct store *s, int rc)
{
    switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_DONE:
    case SQLITE_ROW:
        return AD_OK;
    }
    snprintf(s->errmsg, sizeof s->errmsg, "%s", sqlite3_errmsg(s->db));
    switch (rc & 0xff) {
    case SQLITE_NOMEM:
        return AD_ENOMEM;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return AD_EBUSY;
    case SQLITE_FULL:
        return AD_EFULL;
    case SQLITE_CONSTRAINT:
        return AD_EEXISTS;
    case SQLITE_TOOBIG:
        return AD_ETOOLARGE;
    }
    return AD_EIO;
}

sqlite3_stmt *
store__stmt(struct store *s, const char *const *sql, enum stmt_id id, int *err)
{
    assert(id < Q_COUNT && sql[id] != NULL); /* the caller's own statement */
    sqlite3_stmt *st = s->stmt[id];
    if (st == NULL) {
        int rc = sqlite3_prepare_v3(s->db, sql[id], -1,
                                    SQLITE_PREPARE_PERSISTENT, &st, NULL);
        if (rc != SQLITE_OK) {
            *err = store__err(s, rc);
            return NULL;
        }
        s->stmt[id] = st;
    }
    return st;
}

int
store__done(struct store *s, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    int err = rc == SQLITE_DONE ? AD_OK : store__err(s, rc);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return err;
}

void
store__finish(sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

int
store__run(struct store *s, const char *const *sql, enum stmt_id id, int n,
           const int64_t *v, int64_t *changes)
{
    int err = AD_OK;
    sqlite3_stmt *st = store__stmt(s, sql, id, &err);
    if (st == NULL)
        return err;
    for (int i = 0; i < n; i++)
        sqlite3_bind_int64(st, i + 1, v[i]);
    err = store__done(s, st);
    if (err == AD_OK && changes)
        *changes = sqlite3_changes64(s->db);
    return err;
}

int
store__bind_text(sqlite3_stmt *st, int i, const char *text)
{
    if (text == NULL)
        return sqlite3_bind_null(st, i);
    return sqlite3_bind_text(st, i, text, -1, SQLITE_STATIC);
}

char *
store__dup(sqlite3_stmt *st, int i, int *err)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    if (t == NULL)
        return NULL;
    size_t n = (size_t)sqlite3_column_bytes(st, i);
    char *c = malloc(n + 1);
    if (c == NULL) {
        *err = AD_ENOMEM;
        return NULL;
    }
    memcpy(c, t, n + 1);
    return c;
}

/* ---- open and close ---- */

/* Runs sql (several statements, no rows). */
static int
store__exec(struct store *s, const char *sql)
{
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
    return store__err(s, rc);
}

/* The schema versions before and after store__migrate. */
struct migrate_ctx {
    int from, to;
};

/* The body of store__migrate's transaction (ctx a struct migrate_ctx):
 * applies every migration newer than the database's user_version. */
static int
store__migrate_all(struct store *s, void *ctx)
{
    struct migrate_ctx *mc = ctx;
    int version = store_schema_version(s);
    mc->from = mc->to = version;
    int newest = store_migrations[store_migration_count - 1].version;
    if (version > newest)
        return AD_ESCHEMA;
    for (int i = 0; i < store_migration_count; i++) {
        const struct store_migration *m = &store_migrations[i];
        if (m->version <= version)
            continue;
        int err = store__exec(s, m->sql);
        if (err != AD_OK)
            return err;
        char pragma[64];
        snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", m->version);
        if ((err = store__exec(s, pragma)) != AD_OK)
            return err;
        mc->to = m->version;
    }
    return AD_OK;
}

/* Applies every migration newer than the database's user_version, in one
 * write transaction.  Runs before s->write_mu is set: like the rest of
 * store_open it waits for other writers in SQLite's busy handler, never
 * on the process's mutex, which the opening thread may hold. */
static int
store__migrate(struct store *s, const char *path)
{
    assert(s->write_mu == NULL);
    struct migrate_ctx mc = {0, 0};
    int err = store_transaction(s, store__migrate_all, &mc);
    if (err == AD_OK && mc.to != mc.from)
        ad_log(AD_LOG_INFO, "migrated", "file=%s from=%d to=%d", path, mc.from,
               mc.to);
    else if (err == AD_ESCHEMA)
        ad_log(AD_LOG_ERROR, "schema_newer", "file=%s version=%d newest=%d",
               path, mc.from,
               store_migrations[store_migration_count - 1].version);
    return err;
}

/*
 * Finds what keeps this process from path: writes "PATH: REASON" into
 * buf (len bytes) and returns 1 when the file exists but may not be read
 * and written, or when its folder may not be written (SQLite makes the
 * -wal and -shm files there) or does not exist; returns 0 when nothing
 * is wrong that access(2) can tell.  SQLite's own errno is no help
 * there: after open(2) fails with EACCES it tries to open the file read
 * only, and that fails with ENOENT.
 */
static int
store__path_why(const char *path, char *buf, size_t len)
{
    char folder[PATH_MAX], ebuf[128];
    const char *what = path;
    int e = 0;
    if (faccessat(AT_FDCWD, path, R_OK | W_OK, AT_EACCESS) != 0 &&
        errno != ENOENT) {
        e = errno;
    } else {
        const char *slash = strrchr(path, '/');
        if (slash == NULL)
            snprintf(folder, sizeof folder, ".");
        else if (slash == path)
            snprintf(folder, sizeof folder, "/");
        else
            snprintf(folder, sizeof folder, "%.*s", (int)(slash - path), path);
        what = folder;
        if (faccessat(AT_FDCWD, folder, W_OK | X_OK, AT_EACCESS) != 0)
            e = errno;
    }
    if (e == 0)
        return 0;
    snprintf(buf, len, "%s: %s", what, strerror_r(e, ebuf, sizeof ebuf));
    return 1;
}

/* Writes into why (len bytes, may be NULL) why opening path as s failed
 * with err: SQLite's last message, with the operating system's reason. */
static void
store__open_why(struct store *s, const char *path, int err, char *why,
                size_t len)
{
    char reason[PATH_MAX + 128];
    if (why == NULL || len == 0)
        return;
    if (s == NULL || s->db == NULL || s->errmsg[0] == '\0' ||
        err == AD_ESCHEMA) {
        snprintf(why, len, "%s", ad_strerror(err));
        return;
    }
    int sys = sqlite3_system_errno(s->db);
    int rc = sqlite3_extended_errcode(s->db) & 0xff;
    /* Only the errors of files that cannot be opened or written are
     * explained by the file's and folder's permissions. */
    int file_error = rc == SQLITE_CANTOPEN || rc == SQLITE_READONLY ||
                     rc == SQLITE_PERM || rc == SQLITE_IOERR;
    if (file_error && store__path_why(path, reason, sizeof reason))
        snprintf(why, len, "%s (%s)", s->errmsg, reason);
    else if (sys != 0)
        snprintf(why, len, "%s (%s)", s->errmsg,
                 strerror_r(sys, reason, sizeof reason));
    else
        snprintf(why, len, "%s", s->errmsg);
}

int
store_open(const char *path, const struct store_opts *opts, struct store **out)
{
    return store_open_why(path, opts, out, NULL, 0);
}

int
store_open_why(const char *path, const struct store_opts *opts,
               struct store **out, char *why, size_t len)
{
    int err;
    pthread_once(&store_once, store__configure);
    struct store *s = calloc(1, sizeof *s);
    if (s == NULL) {
        store__open_why(NULL, path, AD_ENOMEM, why, len);
        return AD_ENOMEM;
    }
    int rc = sqlite3_open_v2(
        path, &s->db,
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        err = s->db ? store__err(s, rc) : AD_ENOMEM;
        goto fail;
    }
    int busy = opts && opts->busy_timeout_ms > 0 ? opts->busy_timeout_ms : 5000;
    sqlite3_busy_timeout(s->db, busy);
    s->busy_ms = busy;
    /* journal_mode=WAL persists in the file; asking again is cheap. */
    err = store__exec(s, "PRAGMA journal_mode = WAL");
    if (err != AD_OK)
        goto fail;
    err =
        store__exec(s, opts && opts->sync_full ? "PRAGMA synchronous = FULL"
                                               : "PRAGMA synchronous = NORMAL");
    if (err != AD_OK)
        goto fail;
    err = store__migrate(s, path);
    if (err == AD_OK)
        err = store__tx_prepare(s);
    if (err != AD_OK)
        goto fail;
    if (opts && opts->max_bytes > 0) {
        /* max_page_count holds for this connection only: every
         * connection of actord sets it.  A write past it fails with
         * SQLITE_FULL (AD_EFULL), as a full disk does. */
        char sql[96];
        int page = 4096;
        sqlite3_stmt *ps = NULL;
        if (sqlite3_prepare_v2(s->db, "PRAGMA page_size", -1, &ps, NULL) ==
                SQLITE_OK &&
            sqlite3_step(ps) == SQLITE_ROW)
            page = sqlite3_column_int(ps, 0);
        sqlite3_finalize(ps);
        long long pages = opts->max_bytes / (page > 0 ? page : 4096);
        snprintf(sql, sizeof sql, "PRAGMA max_page_count = %lld",
                 pages > 1 ? pages : 1);
        err = store__exec(s, sql);
        if (err != AD_OK)
            goto fail;
    }
    s->write_mu = opts ? opts->write_mu : NULL;
    store_changed(s);
    *out = s;
    return AD_OK;
fail:
    store__open_why(s, path, err, why, len);
    store_close(s);
    return err;
}

void
store_close(struct store *s)
{
    if (s == NULL)
        return;
    store__ended(s);
    store__shapes_free(s);
    store__held_free(s);
    for (int i = 0; i < Q_COUNT; i++)
        sqlite3_finalize(s->stmt[i]);
    if (s->db && !sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(s->db);
    free(s);
}

const char *
store_errmsg(struct store *s)
{
    return s->errmsg;
}

int
store_schema_version(struct store *s)
{
    sqlite3_stmt *st;
    int v = 0;
    if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) !=
        SQLITE_OK)
        return -1;
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}
