/*
 * store.c - SQLite behind store.h: open, migrate, prepared statements,
 * transactions, and the few queries actord needs.  Statements are
 * prepared once per connection (SQLITE_PREPARE_PERSISTENT) and reused.
 */
#include "store/store.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/migrations.h"

enum stmt_id {
    Q_BEGIN,
    Q_BEGIN_READ,
    Q_COMMIT,
    Q_ROLLBACK,
    Q_SAVEPOINT,
    Q_ROLLBACK_TO,
    Q_RELEASE,
    Q_ACTOR_BY_NAME,
    Q_ACTOR_BY_ID,
    Q_ACTOR_PEEK,
    Q_ACTOR_INSERT,
    Q_ACTOR_SAVE,
    Q_ACTOR_SET_STATUS,
    Q_ACTOR_REMOVE,
    Q_MAILBOX_CLEAR,
    Q_RUNNABLE,
    Q_UNSTRAND,
    Q_MAILBOX_APPEND,
    Q_MAILBOX_GREW,
    Q_MAILBOX_WAKE,
    Q_MAILBOX_EMPTIED,
    Q_TIE,
    Q_TIES,
    Q_SHAPE_ADD,
    Q_SHAPE_ID,
    Q_SHAPE_TEXT,
    Q_MAILBOX_SCAN,
    Q_MAILBOX_TAKE,
    Q_MAILBOX_COUNT,
    Q_DATA_VERSION,
    Q_DEAD_ADD,
    Q_DEAD_BURY,
    Q_DEAD_LIST,
    Q_DEAD_COLLECT,
    Q_MONITOR_ADD,
    Q_MONITOR_TAKE,
    Q_MONITOR_CLEAR,
    Q_MONITOR_FORGET,
    Q_LINK_ADD,
    Q_LINK_TAKE,
    Q_LINK_FORGET,
    Q_SET_TRAP,
    Q_GET_TRAP,
    Q_FIRE_DUE,
    Q_LINK_REMOVE,
    Q_TIMER_ADD,
    Q_TIMER_CANCEL,
    Q_TIMER_DUE,
    Q_TIMER_DONE,
    Q_TIMER_RESET,
    Q_TIMER_FORGET,
    Q_ABANDON_ADD,
    Q_ABANDON_TAKE,
    Q_ABANDON_FORGET,
    Q_COUNT
};

#define ACTOR_COLS                                                        \
    "id, name, behavior, version, status, resume, waiting_for, scanned, " \
    "args, state, result, error, spawned, created, updated, deadline, " \
    "mailbox"

static const char *const stmt_sql[Q_COUNT] = {
    [Q_BEGIN] = "BEGIN IMMEDIATE",
    [Q_BEGIN_READ] = "BEGIN",
    [Q_COMMIT] = "COMMIT",
    [Q_ROLLBACK] = "ROLLBACK",
    [Q_SAVEPOINT] = "SAVEPOINT step",
    [Q_ROLLBACK_TO] = "ROLLBACK TO step",
    [Q_RELEASE] = "RELEASE step",
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
        "UPDATE actors SET version = ?2, status = ?3, resume = ?4, "
        "waiting_for = ?5, scanned = ?6, state = ?7, result = ?8, "
        "error = ?9, spawned = ?10, updated = ?11, deadline = ?12, "
        "mailbox = mailbox - ?13 WHERE id = ?1",
    [Q_ACTOR_SET_STATUS] =
        "UPDATE actors SET status = ?2, updated = ?3 WHERE id = ?1",
    [Q_ACTOR_REMOVE] = "DELETE FROM actors WHERE id = ?1",
    [Q_MONITOR_FORGET] =
        "DELETE FROM monitors WHERE target = ?1 OR watcher = ?1",
    [Q_LINK_ADD] = "INSERT OR IGNORE INTO links (a, b) VALUES (?1, ?2), "
                   "(?2, ?1)",
    [Q_LINK_TAKE] = "SELECT l.b, x.name, x.trap_exit FROM links l "
                    "JOIN actors x ON x.id = l.b WHERE l.a = ?1 ORDER BY l.b",
    [Q_LINK_FORGET] = "DELETE FROM links WHERE a = ?1 OR b = ?1",
    [Q_SET_TRAP] = "UPDATE actors SET trap_exit = ?2 WHERE id = ?1",
    [Q_GET_TRAP] = "SELECT trap_exit FROM actors WHERE id = ?1",
    [Q_LINK_REMOVE] = "DELETE FROM links WHERE (a = ?1 AND b = ?2) OR "
                      "(a = ?2 AND b = ?1)",
    [Q_TIMER_ADD] = "INSERT INTO timers (owner, target, body, due, every) "
                    "VALUES (?1, ?2, ?3, ?4, ?5)",
    [Q_TIMER_CANCEL] = "DELETE FROM timers WHERE id = ?1 AND owner = ?2",
    [Q_TIMER_DUE] = "SELECT t.id, a.name, t.target, t.body, t.due, t.every "
                    "FROM timers t JOIN actors a ON a.id = t.owner "
                    "WHERE t.due <= ?1 ORDER BY t.due, t.id LIMIT ?2",
    [Q_TIMER_DONE] = "DELETE FROM timers WHERE id = ?1",
    [Q_TIMER_RESET] = "UPDATE timers SET due = ?2 WHERE id = ?1",
    [Q_TIMER_FORGET] = "DELETE FROM timers WHERE owner = ?1",
    [Q_ABANDON_ADD] = "INSERT OR IGNORE INTO abandoned_calls (actor, "
                      "call_id, created) VALUES (?1, ?2, ?3)",
    [Q_ABANDON_TAKE] = "DELETE FROM abandoned_calls WHERE actor = ?1 AND "
                       "call_id = ?2",
    [Q_ABANDON_FORGET] = "DELETE FROM abandoned_calls WHERE actor = ?1",
    [Q_FIRE_DUE] = "UPDATE actors SET status = 'runnable', updated = ?1 "
                   "WHERE deadline <= ?1 AND status = 'waiting'",
    [Q_MAILBOX_CLEAR] = "DELETE FROM messages WHERE actor = ?1",
    [Q_RUNNABLE] = "SELECT id FROM actors WHERE status = 'runnable' "
                   "ORDER BY updated, id LIMIT ?1",
    [Q_UNSTRAND] =
        "UPDATE actors SET status = 'runnable' WHERE status = 'stranded'",
    [Q_MAILBOX_APPEND] = "INSERT INTO messages (actor, sender, body, "
                         "created, hops) VALUES (?1, ?2, ?3, ?4, ?5)",
    [Q_MAILBOX_GREW] = "UPDATE actors SET mailbox = mailbox + 1 "
                       "WHERE id = ?1",
    [Q_MAILBOX_WAKE] = "UPDATE actors SET mailbox = mailbox + 1, "
                       "status = 'runnable', updated = ?2 WHERE id = ?1",
    [Q_MAILBOX_EMPTIED] = "UPDATE actors SET mailbox = 0 WHERE id = ?1",
    [Q_TIE] = "UPDATE actors SET ties = ties | ?2 WHERE id IN (?1, ?3)",
    [Q_TIES] = "SELECT mailbox, ties FROM actors WHERE id = ?1",
    [Q_SHAPE_ADD] = "INSERT OR IGNORE INTO shapes (text) VALUES (?1)",
    [Q_SHAPE_ID] = "SELECT id FROM shapes WHERE text = ?1",
    [Q_SHAPE_TEXT] = "SELECT text FROM shapes WHERE id = ?1",
    [Q_MAILBOX_SCAN] = "SELECT seq, sender, body, hops FROM messages "
                       "WHERE actor = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
    [Q_MAILBOX_TAKE] = "DELETE FROM messages WHERE seq = ?1",
    [Q_MAILBOX_COUNT] = "SELECT count(*) FROM messages WHERE actor = ?1",
    [Q_DATA_VERSION] = "PRAGMA data_version",
    [Q_DEAD_ADD] = "INSERT INTO dead_letters (sender, target, reason, body, "
                   "created) VALUES (?1, ?2, ?3, ?4, ?5)",
    [Q_DEAD_BURY] = "INSERT INTO dead_letters (sender, target, reason, body, "
                    "created) SELECT sender, ?2, ?3, body, ?4 FROM messages "
                    "WHERE actor = ?1 ORDER BY seq",
    [Q_DEAD_LIST] = "SELECT seq, sender, target, reason, body, created "
                    "FROM dead_letters WHERE seq > ?1 ORDER BY seq LIMIT ?2",
    [Q_DEAD_COLLECT] = "DELETE FROM dead_letters WHERE seq <= ?1",
    [Q_MONITOR_ADD] =
        "INSERT OR IGNORE INTO monitors (target, watcher) VALUES (?1, ?2)",
    [Q_MONITOR_TAKE] = "SELECT a.name FROM monitors m JOIN actors a "
                       "ON a.id = m.watcher WHERE m.target = ?1 "
                       "ORDER BY m.watcher",
    [Q_MONITOR_CLEAR] = "DELETE FROM monitors WHERE target = ?1",
};

static pthread_once_t store_once = PTHREAD_ONCE_INIT;

struct store;
static void store__ended(struct store *s);

/* Process-wide SQLite settings, before SQLite initializes (later they
 * are refused, harmlessly).  Without memory statistics every allocation
 * of SQLite skips a global mutex: callgrind showed those mutexes at 6% of
 * a ring's instructions. */
static void
store__configure(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

/* One interned shapes text, as the connection has seen it. */
struct store_shape {
    int64_t id;
    uint32_t hash;
    char *text; /* owned */
};

/* Distinct shapes texts a connection remembers; beyond, it asks SQLite. */
#define SHAPES_CACHED 256

struct store {
    sqlite3 *db;
    struct store_shape shapes[SHAPES_CACHED]; /* interned texts seen */
    int nshapes;        /* entries in shapes */
    int shapes_kept;    /* entries known committed: a rollback drops the
                           rest, whose rows it undid */
    int shapes_mark;    /* entries at the step's savepoint */
    pthread_mutex_t *write_mu; /* borrowed: see store_opts, or NULL */
    int busy_ms;               /* the busy timeout, ms */
    int writing;               /* 1 inside store_begin's transaction */
    sqlite3_stmt *stmt[Q_COUNT]; /* prepared on first use, owned */
    int64_t data_version;        /* last value seen by store_changed */
    char errmsg[256];            /* last SQLite error, for logs */
};

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

/* Translates SQLite result code rc into an ad_err, remembering the
 * message of the connection for store_errmsg. */
static int
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
    case SQLITE_NOMEM: return AD_ENOMEM;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return AD_EBUSY;
    case SQLITE_FULL: return AD_EFULL;
    case SQLITE_CONSTRAINT: return AD_EEXISTS;
    case SQLITE_TOOBIG: return AD_ETOOLARGE;
    }
    return AD_EIO;
}

/* Returns the prepared statement id, reset and unbound, or NULL (then
 * *err is set).  Borrowed from s. */
static sqlite3_stmt *
store__stmt(struct store *s, enum stmt_id id, int *err)
{
    sqlite3_stmt *st = s->stmt[id];
    if (st == NULL) {
        int rc = sqlite3_prepare_v3(s->db, stmt_sql[id], -1,
                                    SQLITE_PREPARE_PERSISTENT, &st, NULL);
        if (rc != SQLITE_OK) {
            *err = store__err(s, rc);
            return NULL;
        }
        s->stmt[id] = st;
    }
    return st;
}

/* Runs a statement that returns no rows, then resets it. */
static int
store__done(struct store *s, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    int err = rc == SQLITE_DONE ? AD_OK : store__err(s, rc);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return err;
}

/* Resets st after a query that returned rows. */
static void
store__finish(sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

/*
 * Runs statement id, which returns no rows, with its parameters ?1..?n
 * bound to the n integers in v.  *changes (may be NULL) is the number of
 * rows it changed.
 */
static int
store__run(struct store *s, enum stmt_id id, int n, const int64_t *v,
           int64_t *changes)
{
    int err = AD_OK;
    sqlite3_stmt *st = store__stmt(s, id, &err);
    if (st == NULL)
        return err;
    for (int i = 0; i < n; i++)
        sqlite3_bind_int64(st, i + 1, v[i]);
    err = store__done(s, st);
    if (err == AD_OK && changes)
        *changes = sqlite3_changes64(s->db);
    return err;
}

/* Binds text that may be NULL. */
static int
store__bind_text(sqlite3_stmt *st, int i, const char *text)
{
    if (text == NULL)
        return sqlite3_bind_null(st, i);
    return sqlite3_bind_text(st, i, text, -1, SQLITE_STATIC);
}

/* Returns a malloc'd copy of column i, or NULL for NULL; sets *err on
 * allocation failure. */
static char *
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

/* Fills a from the current row of a statement selecting ACTOR_COLS. */
/* ---- interned shapes ---- */

static uint32_t
store__hash(const char *t)
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
    while (s->nshapes > keep)
        free(s->shapes[--s->nshapes].text);
}

static void
store__shapes_remember(struct store *s, int64_t id, uint32_t hash,
                       const char *text)
{
    char *copy;
    if (s->nshapes == SHAPES_CACHED || (copy = strdup(text)) == NULL)
        return; /* a cache, not a record: SQLite still answers */
    s->shapes[s->nshapes++] = (struct store_shape){id, hash, copy};
}

/*
 * Sets *id to the row of shapes holding text, adding it when none does,
 * inside the caller's write transaction; *id = 0 for a text that is not
 * interned.  Shapes with a literal are left inline: calls wait for their
 * own call id, so those texts seldom repeat, and interned rows are never
 * deleted.
 */
static int
store__intern(struct store *s, const char *text, int64_t *id)
{
    *id = 0;
    if (text == NULL || strstr(text, "\"$literal\"") != NULL)
        return AD_OK;
    uint32_t h = store__hash(text);
    for (int i = 0; i < s->nshapes; i++)
        if (s->shapes[i].hash == h && strcmp(s->shapes[i].text, text) == 0) {
            *id = s->shapes[i].id;
            return AD_OK;
        }
    int err = AD_OK;
    sqlite3_stmt *st = store__stmt(s, Q_SHAPE_ADD, &err);
    if (st == NULL)
        return err;
    sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
    if ((err = store__done(s, st)) != AD_OK)
        return err;
    if ((st = store__stmt(s, Q_SHAPE_ID, &err)) == NULL)
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

/* Binds waiting_for at i: the id of its interned row, or the text. */
static int
store__bind_shapes(struct store *s, sqlite3_stmt *st, int i,
                   const char *text)
{
    int64_t id = 0;
    int err = store__intern(s, text, &id);
    if (err != AD_OK)
        return err;
    if (id > 0)
        sqlite3_bind_int64(st, i, id); /* stored as text: "12" */
    else
        store__bind_text(st, i, text);
    return AD_OK;
}

/* Returns a new copy of the shapes text stored as raw (column text: JSON
 * starting with '[' or the id of an interned row), or NULL for NULL;
 * *err is set when that fails. */
static char *
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
    int64_t id = strtoll(raw, NULL, 10);
    for (int i = 0; i < s->nshapes; i++)
        if (s->shapes[i].id == id) {
            char *c = strdup(s->shapes[i].text);
            if (c == NULL)
                *err = AD_ENOMEM;
            return c;
        }
    int e = AD_OK;
    char *c = NULL;
    sqlite3_stmt *st = store__stmt(s, Q_SHAPE_TEXT, &e);
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
        store__shapes_remember(s, id, store__hash(c), c);
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

static int
store__row_actor(struct store *s, sqlite3_stmt *st, struct store_actor *a)
{
    int err = AD_OK;
    a->id = sqlite3_column_int64(st, 0);
    a->name = store__dup(st, 1, &err);
    a->behavior = store__dup(st, 2, &err);
    a->version = sqlite3_column_int(st, 3);
    const char *status = (const char *)sqlite3_column_text(st, 4);
    if (status == NULL || store_status_parse(status, &a->status) != AD_OK)
        a->status = STORE_STRANDED;
    a->resume = sqlite3_column_int(st, 5);
    a->waiting_for =
        store__shapes_text(s, (const char *)sqlite3_column_text(st, 6), &err);
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

/* Runs sql (several statements, no rows). */
static int
store__exec(struct store *s, const char *sql)
{
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
    return store__err(s, rc);
}

/* Applies every migration newer than the database's user_version, in one
 * transaction. */
static int
store__migrate(struct store *s)
{
    int err = store__exec(s, "BEGIN IMMEDIATE");
    if (err != AD_OK)
        return err;
    int version = store_schema_version(s);
    int newest = store_migrations[store_migration_count - 1].version;
    if (version > newest) {
        err = AD_ESCHEMA;
        goto rollback;
    }
    for (int i = 0; i < store_migration_count; i++) {
        const struct store_migration *m = &store_migrations[i];
        if (m->version <= version)
            continue;
        err = store__exec(s, m->sql);
        if (err != AD_OK)
            goto rollback;
        char pragma[64];
        snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d",
                 m->version);
        err = store__exec(s, pragma);
        if (err != AD_OK)
            goto rollback;
    }
    err = store__exec(s, "COMMIT");
    if (err != AD_OK)
        goto rollback;
    return AD_OK;
rollback:
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return err;
}

int
store_open(const char *path, const struct store_opts *opts,
           struct store **out)
{
    int err;
    pthread_once(&store_once, store__configure);
    struct store *s = calloc(1, sizeof *s);
    if (s == NULL)
        return AD_ENOMEM;
    s->write_mu = opts ? opts->write_mu : NULL;
    int rc = sqlite3_open_v2(path, &s->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                 SQLITE_OPEN_NOMUTEX,
                             NULL);
    if (rc != SQLITE_OK) {
        err = s->db ? store__err(s, rc) : AD_ENOMEM;
        goto fail;
    }
    int busy = opts && opts->busy_timeout_ms > 0 ? opts->busy_timeout_ms
                                                 : 5000;
    sqlite3_busy_timeout(s->db, busy);
    s->busy_ms = busy;
    /* journal_mode=WAL persists in the file; asking again is cheap. */
    err = store__exec(s, "PRAGMA journal_mode = WAL");
    if (err != AD_OK)
        goto fail;
    err = store__exec(s, opts && opts->sync_full
                             ? "PRAGMA synchronous = FULL"
                             : "PRAGMA synchronous = NORMAL");
    if (err != AD_OK)
        goto fail;
    err = store__migrate(s);
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
    store_changed(s);
    *out = s;
    return AD_OK;
fail:
    store_close(s);
    return err;
}

void
store_close(struct store *s)
{
    if (s == NULL)
        return;
    store__ended(s);
    store__shapes_forget(s, 0);
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

/* Runs one of the transaction statements. */
static int
store__txn(struct store *s, enum stmt_id id)
{
    int err = AD_OK;
    sqlite3_stmt *st = store__stmt(s, id, &err);
    if (st == NULL)
        return err;
    return store__done(s, st);
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
        sqlite3_busy_timeout(s->db, waited < s->busy_ms
                                        ? s->busy_ms - (int)waited
                                        : 1);
    }
    int err = store__txn(s, Q_BEGIN);
    if (err == AD_OK)
        s->writing = 1;
    else if (s->write_mu)
        pthread_mutex_unlock(s->write_mu);
    return err;
}

/* The write transaction ended (committed or rolled back). */
static void
store__ended(struct store *s)
{
    if (s->writing && s->write_mu)
        pthread_mutex_unlock(s->write_mu);
    s->writing = 0;
}

int
store_savepoint(struct store *s)
{
    s->shapes_mark = s->nshapes;
    return store__txn(s, Q_SAVEPOINT);
}

int
store_savepoint_undo(struct store *s)
{
    store__shapes_forget(s, s->shapes_mark);
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

int
store_commit(struct store *s)
{
    int err = store__txn(s, Q_COMMIT);
    if (err != AD_OK)
        store_rollback(s);
    else
        s->shapes_kept = s->nshapes;
    store__ended(s);
    return err;
}

void
store_rollback(struct store *s)
{
    if (!sqlite3_get_autocommit(s->db))
        store__txn(s, Q_ROLLBACK);
    /* The rows of shapes added since the last commit are gone. */
    store__shapes_forget(s, s->shapes_kept);
    store__ended(s);
}

int
store_changed(struct store *s)
{
    int err = AD_OK;
    sqlite3_stmt *st = store__stmt(s, Q_DATA_VERSION, &err);
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

/* Loads the one actor selected by statement q with key bound as ?1. */
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
    sqlite3_stmt *st = store__stmt(s, Q_ACTOR_BY_NAME, &err);
    if (st == NULL)
        return err;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    return store__actor_one(s, st, a);
}

int
store_actor_by_id(struct store *s, int64_t id, struct store_actor *a)
{
    int err = AD_OK;
    sqlite3_stmt *st = store__stmt(s, Q_ACTOR_BY_ID, &err);
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
    sqlite3_stmt *st = store__stmt(s, Q_ACTOR_PEEK, &err);
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
    sqlite3_stmt *st = store__stmt(s, Q_ACTOR_INSERT, &err);
    if (st == NULL)
        return err;
    sqlite3_bind_text(st, 1, a->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, a->behavior, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, a->version);
    sqlite3_bind_text(st, 4, store_status_name(a->status), -1,
                      SQLITE_STATIC);
    sqlite3_bind_int(st, 5, a->resume);
    if ((err = store__bind_shapes(s, st, 6, a->waiting_for)) != AD_OK) {
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
    sqlite3_stmt *st = store__stmt(s, Q_ACTOR_SAVE, &err);
    if (st == NULL)
        return err;
    sqlite3_bind_int64(st, 1, a->id);
    sqlite3_bind_int(st, 2, a->version);
    sqlite3_bind_text(st, 3, store_status_name(a->status), -1,
                      SQLITE_STATIC);
    sqlite3_bind_int(st, 4, a->resume);
    if ((err = store__bind_shapes(s, st, 5, a->waiting_for)) != AD_OK) {
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
    return store__done(s, st);
}

int
store_actor_set_status(struct store *s, int64_t id, enum store_status stat,
                       int64_t now)
{
    int err = AD_OK;
    sqlite3_stmt *st = store__stmt(s, Q_ACTOR_SET_STATUS, &err);
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
    /* Its id may be reused by the next actor: no message, watch, link,
     * timer or abandoned call may outlive it. */
    static const enum stmt_id forget[] = {
        Q_MAILBOX_CLEAR, Q_MONITOR_FORGET, Q_LINK_FORGET,
        Q_TIMER_FORGET,  Q_ABANDON_FORGET, Q_ACTOR_REMOVE};
    int err = AD_OK;
    for (size_t i = 0; err == AD_OK && i < sizeof forget / sizeof forget[0];
         i++)
        err = store__run(s, forget[i], 1, &id, NULL);
    return err;
}

int
store_runnable(struct store *s, int64_t *ids, int max, int *n)
{
    int err = AD_OK;
    *n = 0;
    sqlite3_stmt *st = store__stmt(s, Q_RUNNABLE, &err);
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
    return store__run(s, Q_UNSTRAND, 0, NULL, NULL);
}

int
store_actor_list(struct store *s, const char *behavior, const char *status,
                 const char *after, int limit,
                 int (*fn)(void *ctx, struct store_actor *a), void *ctx,
                 int *more)
{
    /* Built per call (the filters vary) from fixed text only: every value
     * is a bound parameter. */
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT " ACTOR_COLS " FROM actors WHERE 1%s%s%s "
             "ORDER BY name LIMIT ?4",
             behavior ? " AND behavior = ?1" : "",
             status ? " AND status = ?2" : "", after ? " AND name > ?3" : "");
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return store__err(s, rc);
    if (behavior)
        sqlite3_bind_text(st, 1, behavior, -1, SQLITE_STATIC);
    if (status)
        sqlite3_bind_text(st, 2, status, -1, SQLITE_STATIC);
    if (after)
        sqlite3_bind_text(st, 3, after, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, (int64_t)limit + 1);
    int err = AD_OK, n = 0;
    *more = 0;
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

int
store_mailbox_append(struct store *s, int64_t actor, const char *sender,
                     const char *body, size_t len, int64_t now, int64_t hops,
                     int wake, int64_t *seq)
{
    int err = AD_OK;
    sqlite3_stmt *st = store__stmt(s, Q_MAILBOX_APPEND, &err);
    if (st == NULL)
        return err;
    sqlite3_bind_int64(st, 1, actor);
    store__bind_text(st, 2, sender);
    sqlite3_bind_text64(st, 3, body, len, SQLITE_STATIC, SQLITE_UTF8);
    sqlite3_bind_int64(st, 4, now);
    sqlite3_bind_int64(st, 5, hops);
    err = store__done(s, st);
    if (err != AD_OK)
        return err;
    if (seq)
        *seq = sqlite3_last_insert_rowid(s->db);
    int64_t v[2] = {actor, now};
    return wake ? store__run(s, Q_MAILBOX_WAKE, 2, v, NULL)
                : store__run(s, Q_MAILBOX_GREW, 1, v, NULL);
}

int
store_mailbox_scan(struct store *s, int64_t actor, int64_t after, int limit,
                   int (*fn)(void *ctx, int64_t seq, const char *sender,
                             const char *body, size_t len, int64_t hops),
                   void *ctx)
{
    int err = AD_OK;
    sqlite3_stmt *st = store__stmt(s, Q_MAILBOX_SCAN, &err);
    if (st == NULL)
        return err;
    sqlite3_bind_int64(st, 1, actor);
    sqlite3_bind_int64(st, 2, after);
    sqlite3_bind_int(st, 3, limit > 0 ? limit : -1);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *body = (const char *)sqlite3_column_text(st, 2);
        size_t len = (size_t)sqlite3_column_bytes(st, 2);
        if (body == NULL) {
            err = AD_ENOMEM;
            break;
        }
        err = fn(ctx, sqlite3_column_int64(st, 0),
                 (const char *)sqlite3_column_text(st, 1), body, len,
                 sqlite3_column_int64(st, 3));
        if (err != AD_OK)
            break;
    }
    if (err == 1)
        err = AD_OK;
    else if (err == AD_OK && rc != SQLITE_DONE)
        err = store__err(s, rc);
    store__finish(st);
    return err;
}

int
store_mailbox_take(struct store *s, int64_t seq)
{
    return store__run(s, Q_MAILBOX_TAKE, 1, &seq, NULL);
}

int
store_mailbox_count(struct store *s, int64_t actor, int64_t *n)
{
    int err = AD_OK;
    sqlite3_stmt *st = store__stmt(s, Q_MAILBOX_COUNT, &err);
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
store_dead_letter_add(struct store *s, const char *sender, const char *target,
                      const char *reason, const char *body, size_t len,
                      int64_t now)
{
    int err = AD_OK;
    sqlite3_stmt *st = store__stmt(s, Q_DEAD_ADD, &err);
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
store_mailbox_bury(struct store *s, int64_t actor, const char *target,
                   const char *reason, int64_t now)
{
    int err = AD_OK;
    sqlite3_stmt *st = store__stmt(s, Q_DEAD_BURY, &err);
    if (st == NULL)
        return err;
    sqlite3_bind_int64(st, 1, actor);
    sqlite3_bind_text(st, 2, target, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, reason, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, now);
    err = store__done(s, st);
    if (err == AD_OK)
        err = store__run(s, Q_MAILBOX_CLEAR, 1, &actor, NULL);
    if (err == AD_OK)
        err = store__run(s, Q_MAILBOX_EMPTIED, 1, &actor, NULL);
    return err;
}

int
store_dead_letter_list(struct store *s, int64_t after, int limit,
                       int (*fn)(void *ctx, const struct store_dead *d),
                       void *ctx, int *more)
{
    int err = AD_OK;
    sqlite3_stmt *st = store__stmt(s, Q_DEAD_LIST, &err);
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
    return store__run(s, Q_DEAD_COLLECT, 1, &upto, n);
}

int
store_monitor_add(struct store *s, int64_t target, int64_t watcher)
{
    int64_t v[] = {target, watcher};
    int err = store__run(s, Q_MONITOR_ADD, 2, v, NULL);
    int64_t tie[] = {target, STORE_TIE_MONITORS, target};
    return err == AD_OK ? store__run(s, Q_TIE, 3, tie, NULL) : err;
}

int
store_monitor_take(struct store *s, int64_t target, char ***names,
                   size_t *n)
{
    int err = AD_OK;
    *names = NULL;
    *n = 0;
    sqlite3_stmt *st = store__stmt(s, Q_MONITOR_TAKE, &err);
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
        err = store__run(s, Q_MONITOR_CLEAR, 1, &target, NULL);
    if (err != AD_OK) {
        for (size_t i = 0; i < *n; i++)
            free((*names)[i]);
        free(*names);
        *names = NULL;
        *n = 0;
    }
    return err;
}

int
store_link_add(struct store *s, int64_t a, int64_t b)
{
    int64_t v[] = {a, b};
    int err = store__run(s, Q_LINK_ADD, 2, v, NULL);
    int64_t tie[] = {a, STORE_TIE_LINKS, b};
    return err == AD_OK ? store__run(s, Q_TIE, 3, tie, NULL) : err;
}

int
store_actor_ties(struct store *s, int64_t id, int64_t *mailbox, int *ties)
{
    int err = AD_OK;
    sqlite3_stmt *st = store__stmt(s, Q_TIES, &err);
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

int
store_link_take(struct store *s, int64_t id, struct store_link **out,
                size_t *n)
{
    int err = AD_OK;
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = store__stmt(s, Q_LINK_TAKE, &err);
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
        err = store__run(s, Q_LINK_FORGET, 1, &id, NULL);
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

int
store_set_trap_exit(struct store *s, int64_t id, int on)
{
    int64_t v[] = {id, on ? 1 : 0};
    return store__run(s, Q_SET_TRAP, 2, v, NULL);
}

int
store_trap_exit(struct store *s, int64_t id, int *on)
{
    int err = AD_OK;
    sqlite3_stmt *st = store__stmt(s, Q_GET_TRAP, &err);
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

int
store_fire_due(struct store *s, int64_t now, int64_t *n)
{
    return store__run(s, Q_FIRE_DUE, 1, &now, n);
}

int
store_link_remove(struct store *s, int64_t a, int64_t b)
{
    int64_t v[] = {a, b};
    return store__run(s, Q_LINK_REMOVE, 2, v, NULL);
}

int
store_timer_add(struct store *s, int64_t owner, const char *target,
                const char *body, int64_t due, int64_t every, int64_t *id)
{
    int err = AD_OK;
    sqlite3_stmt *st = store__stmt(s, Q_TIMER_ADD, &err);
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
    int64_t tie[] = {owner, STORE_TIE_TIMERS, owner};
    return store__run(s, Q_TIE, 3, tie, NULL);
}

int
store_timer_cancel(struct store *s, int64_t id, int64_t owner, int *found)
{
    int64_t v[] = {id, owner}, changed = 0;
    int err = store__run(s, Q_TIMER_CANCEL, 2, v, &changed);
    if (found)
        *found = err == AD_OK && changed > 0;
    return err;
}

int
store_timer_forget(struct store *s, int64_t owner)
{
    return store__run(s, Q_TIMER_FORGET, 1, &owner, NULL);
}

int
store_timer_due(struct store *s, int64_t now, int limit,
                struct store_timer **out, size_t *n)
{
    int err = AD_OK;
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = store__stmt(s, Q_TIMER_DUE, &err);
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
    return next_due > 0 ? store__run(s, Q_TIMER_RESET, 2, v, NULL)
                        : store__run(s, Q_TIMER_DONE, 1, v, NULL);
}

int
store_call_abandon(struct store *s, int64_t actor, const char *call_id,
                   int64_t now)
{
    int err = AD_OK;
    sqlite3_stmt *st = store__stmt(s, Q_ABANDON_ADD, &err);
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
    sqlite3_stmt *st = store__stmt(s, Q_ABANDON_TAKE, &err);
    if (st == NULL)
        return err;
    sqlite3_bind_int64(st, 1, actor);
    sqlite3_bind_text(st, 2, call_id, -1, SQLITE_STATIC);
    err = store__done(s, st);
    if (err == AD_OK)
        *found = sqlite3_changes64(s->db) > 0;
    return err;
}
