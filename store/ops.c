/*
 * ops.c - the operator's tools on a whole database: the online backup
 * into another file, VACUUM (full or incremental) and the WAL
 * checkpoint after it, the statistics `actorctl stats` prints, and the
 * invariant checks of `actorctl check`.  Its queries read every table
 * (they are about the whole database) and write none of them: what an
 * operator removes (gc) goes through the files that own the rows.
 * These statements run seldom, so they are prepared per call rather
 * than held in the connection's cache.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store.h"
#include "store/store_int.h"

/* Copies SQLite's message on db (another connection than s's) into s's
 * errmsg and translates rc. */
static int
store__err_other(struct store *s, sqlite3 *db, int rc, const char *what)
{
    snprintf(s->errmsg, sizeof s->errmsg, "%.120s: %.120s", what,
             db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    switch (rc & 0xff) {
    case SQLITE_NOMEM:
        return AD_ENOMEM;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return AD_EBUSY;
    case SQLITE_FULL:
        return AD_EFULL;
    }
    return AD_EIO;
}

/* Says why in s's errmsg (printf's fmt, cut at its size) and returns
 * err. */
static int __attribute__((format(printf, 3, 4)))
store__refuse(struct store *s, int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->errmsg, sizeof s->errmsg, fmt, ap);
    va_end(ap);
    return err;
}

/* Sets *v to the integer in the first column of the first row of sql on
 * db (0 when there is no row). */
static int
store__int(sqlite3 *db, const char *sql, int64_t *v)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        *v = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
        rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
    }
    sqlite3_finalize(st);
    return rc;
}

/* Size in bytes of the file name + suffix, or 0 when there is none. */
static int64_t
store__file_size(const char *name, const char *suffix)
{
    char p[PATH_MAX];
    struct stat sb;
    if (name == NULL || *name == '\0' ||
        snprintf(p, sizeof p, "%s%s", name, suffix) >= (int)sizeof p ||
        stat(p, &sb) != 0)
        return 0;
    return (int64_t)sb.st_size;
}

/* ---- backup ---- */

/* Syncs the folder that holds path, so that a rename in it is durable. */
static int
store__sync_dir(const char *path)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash == NULL)
        snprintf(dir, sizeof dir, ".");
    else if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/*
 * Copies s's database into dst (open, empty) from the read snapshot the
 * caller holds on s, pages a step, pause_ms between steps.  Holding the
 * snapshot across the steps is what makes the copy finish under load:
 * a step that had to open its own read transaction would find the
 * database changed by actord since the last step and start again from
 * page 1.
 */
static int
store__backup_copy(struct store *s, sqlite3 *dst, int pages, int pause_ms)
{
    sqlite3_backup *b = sqlite3_backup_init(dst, "main", s->db, "main");
    if (b == NULL)
        return store__err_other(s, dst, sqlite3_errcode(dst), "backup");
    int rc;
    for (;;) {
        rc = sqlite3_backup_step(b, pages);
        if (rc == SQLITE_DONE)
            break;
        if (rc != SQLITE_OK && rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
            break;
        if (pause_ms > 0)
            sqlite3_sleep(pause_ms);
    }
    int frc = sqlite3_backup_finish(b);
    if (rc == SQLITE_DONE)
        rc = frc;
    return rc == SQLITE_DONE || rc == SQLITE_OK
               ? AD_OK
               : store__err_other(s, dst, rc, "backup");
}

/* Runs PRAGMA integrity_check on db; AD_EIO with its first line in s's
 * errmsg unless it says ok. */
static int
store__backup_verify(struct store *s, sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return store__err_other(s, db, rc, "integrity_check of the copy");
    rc = sqlite3_step(st);
    const char *r =
        rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
    int err = AD_OK;
    if (rc != SQLITE_ROW)
        err = store__err_other(s, db, rc, "integrity_check of the copy");
    else if (r == NULL || strcmp(r, "ok") != 0)
        err = store__refuse(s, AD_EIO, "integrity_check of the copy: %.200s",
                            r ? r : "no answer");
    sqlite3_finalize(st);
    return err;
}

int
store_backup(struct store *s, const char *path, int pages, int pause_ms,
             int64_t *bytes)
{
    if (!sqlite3_get_autocommit(s->db))
        return store__refuse(s, AD_EINVAL, "%s", "backup inside a transaction");
    if (pages <= 0)
        pages = 256;
    const char *live = sqlite3_db_filename(s->db, "main");
    struct stat a, b;
    if (live && stat(live, &a) == 0 && stat(path, &b) == 0 &&
        a.st_dev == b.st_dev && a.st_ino == b.st_ino)
        return store__refuse(s, AD_EINVAL, "%.200s is the database itself",
                             path);
    /* The copy is renamed onto path: a device, a pipe or a symbolic link
     * there would be replaced by it. */
    if (lstat(path, &b) == 0 && !S_ISREG(b.st_mode))
        return store__refuse(s, AD_EINVAL, "%.200s is not a regular file",
                             path);
    /* A database file beside its WAL or journal is one in use (or not
     * closed cleanly): replacing the file would pair that WAL with
     * another database. */
    static const char *const in_use[] = {"-wal", "-journal"};
    for (size_t i = 0; i < sizeof in_use / sizeof in_use[0]; i++) {
        char p[PATH_MAX];
        snprintf(p, sizeof p, "%s%s", path, in_use[i]);
        if (access(p, F_OK) == 0)
            return store__refuse(s, AD_EINVAL,
                                 "%.200s exists: that database is in use", p);
    }
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s.tmp-%ld", path, (long)getpid()) >=
        (int)sizeof tmp)
        return store__refuse(s, AD_EINVAL, "%.200s: path too long", path);
    unlink(tmp);

    sqlite3 *dst = NULL;
    int err;
    int rc = sqlite3_open_v2(
        tmp, &dst,
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        err = store__err_other(s, dst, rc, tmp);
        goto out;
    }
    /* The snapshot: a read transaction begun and made to read. */
    int64_t ignored;
    err = store_begin_read(s);
    if (err != AD_OK)
        goto out;
    rc = store__int(s->db, "SELECT count(*) FROM sqlite_schema", &ignored);
    err = rc == SQLITE_OK ? store__backup_copy(s, dst, pages, pause_ms)
                          : store__err(s, rc);
    store_rollback(s);
    if (err == AD_OK)
        err = store__backup_verify(s, dst);
    if (err != AD_OK)
        goto out;
    rc = sqlite3_close(dst);
    dst = NULL;
    if (rc != SQLITE_OK) {
        err = store__err_other(s, NULL, rc, tmp);
        goto out;
    }
    /* SQLite synced the copy when the backup committed; the rename is
     * made durable by syncing the folder. */
    if (rename(tmp, path) != 0) {
        snprintf(s->errmsg, sizeof s->errmsg, "rename onto %.180s: %.60s", path,
                 strerror(errno));
        err = AD_EIO;
        goto out;
    }
    if (store__sync_dir(path) != 0) {
        snprintf(s->errmsg, sizeof s->errmsg,
                 "sync the folder of %.160s: %.60s", path, strerror(errno));
        err = AD_EIO;
        goto out;
    }
    if (bytes)
        *bytes = store__file_size(path, "");
    return AD_OK;
out:
    sqlite3_close(dst);
    unlink(tmp);
    snprintf(tmp + strlen(tmp), sizeof tmp - strlen(tmp), "-journal");
    unlink(tmp);
    return err;
}

/* ---- vacuum ---- */

/* Reads the sizes of s's database into *bytes and *free_pages. */
static int
store__sizes(struct store *s, int64_t *bytes, int64_t *free_pages)
{
    int64_t page_size = 0, pages = 0;
    int rc = store__int(s->db, "PRAGMA page_size", &page_size);
    if (rc == SQLITE_OK)
        rc = store__int(s->db, "PRAGMA page_count", &pages);
    if (rc == SQLITE_OK)
        rc = store__int(s->db, "PRAGMA freelist_count", free_pages);
    *bytes = page_size * pages;
    return store__err(s, rc);
}

int
store_vacuum(struct store *s, enum store_vacuum_mode mode,
             struct store_vacuum *out)
{
    memset(out, 0, sizeof *out);
    if (!sqlite3_get_autocommit(s->db))
        return store__refuse(s, AD_EINVAL, "%s", "vacuum inside a transaction");
    int64_t av = 0;
    int err = store__sizes(s, &out->bytes_before, &out->free_before);
    if (err == AD_OK)
        err = store__err(s, store__int(s->db, "PRAGMA auto_vacuum", &av));
    if (err != AD_OK)
        return err;
    const char *sql = "VACUUM";
    out->full = 1;
    if (mode == STORE_VACUUM_AUTO && av == 2) {
        sql = "PRAGMA incremental_vacuum";
        out->full = 0;
    } else if (mode == STORE_VACUUM_INCREMENTAL) {
        /* auto_vacuum changes take effect at the VACUUM that follows. */
        sql = "PRAGMA auto_vacuum = INCREMENTAL; VACUUM";
    } else if (mode == STORE_VACUUM_NONE) {
        sql = "PRAGMA auto_vacuum = NONE; VACUUM";
    }
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return store__err(s, rc);
    /* The rebuilt pages are in the WAL until a checkpoint copies them
     * back; TRUNCATE also empties the WAL file when no reader is in it. */
    sqlite3_stmt *st = NULL;
    rc = sqlite3_prepare_v2(s->db, "PRAGMA wal_checkpoint(TRUNCATE)", -1, &st,
                            NULL);
    if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        out->checkpointed = sqlite3_column_int(st, 0) == 0;
    sqlite3_finalize(st);
    err = store__sizes(s, &out->bytes_after, &out->free_after);
    if (err == AD_OK)
        err = store__err(s, store__int(s->db, "PRAGMA auto_vacuum", &av));
    out->auto_vacuum = (int)av;
    return err;
}

/* ---- statistics ---- */

/* The body of store_stats's read transaction. */
static int
store__stats_tx(struct store *s, void *ctx)
{
    static const struct {
        const char *sql;
        size_t off;
    } counts[] = {
        {"SELECT count(*) FROM actors WHERE behavior GLOB '_*'",
         offsetof(struct store_stats, own)},
        {"SELECT count(*) FROM messages",
         offsetof(struct store_stats, messages)},
        {"SELECT count(*) FROM dead_letters",
         offsetof(struct store_stats, dead_letters)},
        {"SELECT count(*) FROM timers", offsetof(struct store_stats, timers)},
        {"SELECT count(*) FROM monitors",
         offsetof(struct store_stats, monitors)},
        {"SELECT count(*) / 2 FROM links", offsetof(struct store_stats, links)},
        {"SELECT count(DISTINCT name) FROM sources",
         offsetof(struct store_stats, uploaded)},
        {"SELECT count(*) FROM sources",
         offsetof(struct store_stats, versions)},
        {"PRAGMA page_size", offsetof(struct store_stats, page_size)},
        {"PRAGMA page_count", offsetof(struct store_stats, pages)},
        {"PRAGMA freelist_count", offsetof(struct store_stats, free_pages)},
    };
    struct store_stats *out = ctx;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db,
                                "SELECT status, count(*) FROM actors WHERE "
                                "behavior NOT GLOB '_*' GROUP BY status",
                                -1, &st, NULL);
    if (rc != SQLITE_OK)
        return store__err(s, rc);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        enum store_status status;
        /* A status this build does not know counts as stranded, as a
         * load of the row would see it. */
        if (name == NULL || store_status_parse(name, &status) != AD_OK)
            status = STORE_STRANDED;
        out->actors[status] += sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return store__err(s, rc);
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        int64_t *v = (int64_t *)(void *)((char *)out + counts[i].off);
        if ((rc = store__int(s->db, counts[i].sql, v)) != SQLITE_OK)
            return store__err(s, rc);
    }
    return AD_OK;
}

int
store_stats(struct store *s, struct store_stats *out)
{
    memset(out, 0, sizeof *out);
    int err = store_transaction_read(s, store__stats_tx, out);
    if (err != AD_OK)
        return err;
    out->schema = store_schema_version(s);
    out->wal_bytes =
        store__file_size(sqlite3_db_filename(s->db, "main"), "-wal");
    return AD_OK;
}

/* ---- invariants ---- */

#define ENDED "('exited', 'failed', 'killed')"

/* One invariant: sql selects one line of text per row that breaks it
 * (?1, when it has one, is store_check's own_before). */
static const struct {
    const char *check;
    const char *what;
    const char *sql;
} store__checks[] = {
    {"statuses", "every actor's status is one this build knows",
     "SELECT name || ' (' || status || ')' FROM actors WHERE status NOT IN "
     "('runnable', 'waiting', 'exited', 'failed', 'killed', 'stranded')"},
    {"message_actors", "every message is in the mailbox of an actor",
     "SELECT 'message ' || seq || ' of actor id ' || actor FROM messages m "
     "WHERE NOT EXISTS (SELECT 1 FROM actors a WHERE a.id = m.actor)"},
    {"mailbox_counts", "every actor's stored mailbox count equals its messages",
     "SELECT name || ' (stored ' || mailbox || ', messages ' || n || ')' "
     "FROM (SELECT a.name, a.mailbox, (SELECT count(*) FROM messages m "
     "WHERE m.actor = a.id) AS n FROM actors a) WHERE mailbox <> n"},
    {"ended_mail", "an ended actor holds no messages (they are dead letters)",
     "SELECT a.name || ' (' || a.status || ', ' || count(*) || ' messages)' "
     "FROM actors a JOIN messages m ON m.actor = a.id WHERE a.status IN " ENDED
     " GROUP BY a.id"},
    {"ended_timers", "an ended actor owns no timers",
     "SELECT a.name || ' (' || a.status || ', ' || count(*) || ' timers)' "
     "FROM actors a JOIN timers t ON t.owner = a.id WHERE a.status IN " ENDED
     " GROUP BY a.id"},
    {"waiting_receive",
     "a waiting actor has shapes to wait for and a resume point",
     "SELECT name || ' (resume ' || resume || ', waiting_for ' || "
     "COALESCE(waiting_for, 'null') || ')' FROM actors WHERE status = "
     "'waiting' AND behavior NOT GLOB '_*' AND (waiting_for IS NULL OR "
     "resume <= 0)"},
    {"shapes_rows", "an actor's interned shapes are in table shapes",
     "SELECT name || ' (shapes ' || waiting_for || ')' FROM actors a WHERE "
     "waiting_for IS NOT NULL AND substr(waiting_for, 1, 1) <> '[' AND NOT "
     "EXISTS (SELECT 1 FROM shapes s WHERE s.id = a.waiting_for)"},
    {"json",
     "an actor's state and args are JSON objects, its result and "
     "error JSON",
     "SELECT name FROM actors WHERE (CASE WHEN json_valid(state) THEN "
     "json_type(state) END) IS NOT 'object' OR (CASE WHEN json_valid(args) "
     "THEN json_type(args) END) IS NOT 'object' OR (result IS NOT NULL AND "
     "NOT json_valid(result)) OR (error IS NOT NULL AND NOT "
     "json_valid(error))"},
    {"message_json", "every message body is JSON",
     "SELECT 'message ' || seq FROM messages WHERE NOT json_valid(body)"},
    {"monitor_actors", "every watch is between two actors",
     "SELECT 'watch of id ' || target || ' by id ' || watcher FROM monitors "
     "m WHERE NOT EXISTS (SELECT 1 FROM actors a WHERE a.id = m.target) OR "
     "NOT EXISTS (SELECT 1 FROM actors a WHERE a.id = m.watcher)"},
    {"link_actors", "every link is between two actors",
     "SELECT 'link of id ' || a || ' to id ' || b FROM links l WHERE NOT "
     "EXISTS (SELECT 1 FROM actors x WHERE x.id = l.a) OR NOT EXISTS "
     "(SELECT 1 FROM actors x WHERE x.id = l.b)"},
    {"links_both_ways", "every link is stored both ways",
     "SELECT 'link of id ' || a || ' to id ' || b FROM links l WHERE NOT "
     "EXISTS (SELECT 1 FROM links r WHERE r.a = l.b AND r.b = l.a)"},
    {"timer_owners", "every timer's owner is an actor",
     "SELECT 'timer ' || id || ' of id ' || owner FROM timers t WHERE NOT "
     "EXISTS (SELECT 1 FROM actors a WHERE a.id = t.owner)"},
    {"call_actors", "every abandoned call's caller is an actor",
     "SELECT 'call ' || call_id || ' of id ' || actor FROM abandoned_calls c "
     "WHERE NOT EXISTS (SELECT 1 FROM actors a WHERE a.id = c.actor)"},
    {"ties_bits", "an actor's ties bits cover its timers, watchers and links",
     "SELECT a.name || ' (timers)' FROM actors a WHERE (a.ties & 1) = 0 AND "
     "EXISTS (SELECT 1 FROM timers t WHERE t.owner = a.id) UNION ALL "
     "SELECT a.name || ' (watchers)' FROM actors a WHERE (a.ties & 2) = 0 "
     "AND EXISTS (SELECT 1 FROM monitors m WHERE m.target = a.id) UNION ALL "
     "SELECT a.name || ' (links)' FROM actors a WHERE (a.ties & 4) = 0 AND "
     "EXISTS (SELECT 1 FROM links l WHERE l.a = a.id)"},
    {"source_versions",
     "no stored version of a behaviour is above its "
     "last version number",
     "SELECT name || ' version ' || version FROM sources s WHERE version > "
     "COALESCE((SELECT last FROM source_versions v WHERE v.name = s.name), "
     "0)"},
    {"stale_calls",
     "no REST call's reply box is older than the longest a "
     "call waits",
     "SELECT name || ' (created ' || strftime('%Y-%m-%dT%H:%M:%SZ', created "
     "/ 1000, 'unixepoch') || ')' FROM actors WHERE behavior GLOB '_*' AND "
     "created < ?1"},
};

/* The examples a check keeps; the rows beyond are only counted. */
#define CHECK_EXAMPLES 5

/* Appends text to the examples in buf (len bytes), "; "-separated. */
static void
store__example(char *buf, size_t len, const char *text)
{
    size_t used = strlen(buf);
    if (used + 1 >= len)
        return;
    snprintf(buf + used, len - used, "%s%s", used ? "; " : "",
             text ? text : "?");
}

/* Runs one check: sql, with own_before as ?1 when it takes it; fills p. */
static int
store__check_one(struct store *s, const char *sql, int64_t own_before,
                 struct store_problem *p, char *buf, size_t len)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        goto failed;
    if (sqlite3_bind_parameter_count(st) > 0)
        sqlite3_bind_int64(st, 1, own_before);
    int integrity = strncmp(sql, "PRAGMA", 6) == 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *text = (const char *)sqlite3_column_text(st, 0);
        if (integrity && p->count == 0 && text && strcmp(text, "ok") == 0)
            continue;
        if (p->count++ < CHECK_EXAMPLES)
            store__example(buf, len, text);
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE)
        return AD_OK;
failed:
    /* A check that cannot run on this file (it is damaged, say) fails
     * with SQLite's reason; out of memory and a lock are errors. */
    switch (rc & 0xff) {
    case SQLITE_NOMEM:
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_INTERRUPT:
        return store__err(s, rc);
    }
    p->count++;
    char why[200];
    snprintf(why, sizeof why, "could not run: %.180s", sqlite3_errmsg(s->db));
    store__example(buf, len, why);
    return AD_OK;
}

struct check_ctx {
    int64_t own_before;
    int (*fn)(void *ctx, const struct store_problem *p);
    void *ctx;
};

/* The body of store_check's read transaction. */
static int
store__check_tx(struct store *s, void *ctx)
{
    struct check_ctx *cc = ctx;
    char buf[1024];
    struct store_problem p = {
        .check = "integrity_check",
        .what = "SQLite's PRAGMA integrity_check says ok",
        .examples = buf,
    };
    buf[0] = '\0';
    int err =
        store__check_one(s, "PRAGMA integrity_check", 0, &p, buf, sizeof buf);
    if (err == AD_OK)
        err = cc->fn(cc->ctx, &p);
    for (size_t i = 0;
         err == AD_OK && i < sizeof store__checks / sizeof store__checks[0];
         i++) {
        p = (struct store_problem){.check = store__checks[i].check,
                                   .what = store__checks[i].what,
                                   .examples = buf};
        buf[0] = '\0';
        err = store__check_one(s, store__checks[i].sql, cc->own_before, &p, buf,
                               sizeof buf);
        if (err == AD_OK)
            err = cc->fn(cc->ctx, &p);
    }
    return err;
}

int
store_check(struct store *s, int64_t own_before,
            int (*fn)(void *ctx, const struct store_problem *p), void *ctx)
{
    struct check_ctx cc = {.own_before = own_before, .fn = fn, .ctx = ctx};
    return store_transaction_read(s, store__check_tx, &cc);
}
