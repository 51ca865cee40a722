/*
 * store_int.h - what the files of store/ share, never seen outside it
 * (SQLite's vdbeInt.h pattern): struct store, the ids of the prepared
 * statements, and the helpers that prepare, run and translate them.
 *
 * The files, in the order of store.h:
 *   open.c     open, migrate, close; the statement cache and the
 *              translation of SQLite result codes (the helpers below)
 *   tx.c       transactions, savepoints, store_transaction, store_changed
 *   shapes.c   the interned shapes table and its per-connection cache
 *   actors.c   statuses and the actor rows, the run queue, the listing,
 *              the ties bits
 *   mailbox.c  messages: append, scan, take, count, bury
 *   held.c     messages held in memory within a write transaction, and
 *              written (or not) when it commits
 *   ties.c     monitors, links, trap_exit
 *   timers.c   timers, and receive deadlines coming due (fire_due)
 *   calls.c    abandoned calls
 *   dead.c     dead letters
 *   sources.c  behaviours uploaded as source, a row a version
 *   ops.c      the operator's tools: backup, vacuum, statistics and the
 *              invariant checks.  Its queries read every table (they
 *              are about the whole database); it writes none of them.
 *              Its statements run seldom and are prepared per call, not
 *              cached.
 *
 * Each file owns the SQL of its statements: a static table of Q_COUNT
 * slots with the text of its own statements at their ids (designated
 * initializers, NULL elsewhere), passed to store__stmt and store__run.
 * A reader who changes a query opens the one file that runs it, and the
 * one enum below still gives every statement its slot in the cache.  A file
 * needs another's table through that file's functions only (for
 * example store__mailbox_clear), never its statements.
 */
#ifndef ACTORD_STORE_INT_H
#define ACTORD_STORE_INT_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>

#include "store/store.h"

/*
 * Every prepared statement of a connection, grouped by the file that owns
 * its SQL.  The id is the statement's slot in struct store's cache.
 */
enum stmt_id {
    /* tx.c */
    Q_BEGIN,
    Q_BEGIN_READ,
    Q_COMMIT,
    Q_ROLLBACK,
    Q_SAVEPOINT,
    Q_ROLLBACK_TO,
    Q_RELEASE,
    Q_DATA_VERSION,
    /* shapes.c */
    Q_SHAPE_ADD,
    Q_SHAPE_ID,
    Q_SHAPE_TEXT,
    /* actors.c */
    Q_ACTOR_BY_NAME,
    Q_ACTOR_BY_ID,
    Q_ACTOR_PEEK,
    Q_ACTOR_INSERT,
    Q_ACTOR_SAVE,
    Q_ACTOR_SET_STATUS,
    Q_ACTOR_SET_VERSION,
    Q_ACTOR_REMOVE,
    Q_RUNNABLE,
    Q_UNSTRAND,
    Q_TIE,
    Q_TIES,
    Q_ACTOR_EXPIRED,
    Q_ACTOR_OWN_EXPIRED,
    /* mailbox.c */
    Q_MAILBOX_APPEND,
    Q_MAILBOX_GREW,
    Q_MAILBOX_WAKE,
    Q_MAILBOX_SCAN,
    Q_MAILBOX_TAKE,
    Q_MAILBOX_COUNT,
    Q_MAILBOX_CLEAR,
    Q_MAILBOX_EMPTIED,
    Q_MAILBOX_BURY,
    /* held.c */
    Q_HELD_LAST,
    Q_HELD_INSERT,
    Q_HELD_RAISE,
    Q_HELD_SEQUENCE,
    /* ties.c */
    Q_MONITOR_ADD,
    Q_MONITOR_TAKE,
    Q_MONITOR_CLEAR,
    Q_MONITOR_FORGET,
    Q_LINK_ADD,
    Q_LINK_REMOVE,
    Q_LINK_TAKE,
    Q_LINK_FORGET,
    Q_SET_TRAP,
    Q_GET_TRAP,
    Q_TIES_WATCHERS,
    Q_TIES_WATCHING,
    Q_TIES_LINKED,
    /* timers.c */
    Q_TIMER_ADD,
    Q_TIMER_CANCEL,
    Q_TIMER_DUE,
    Q_TIMER_DONE,
    Q_TIMER_RESET,
    Q_TIMER_FORGET,
    Q_FIRE_DUE,
    Q_TIMER_LIST,
    Q_TIMER_RESTORE,
    /* calls.c */
    Q_ABANDON_ADD,
    Q_ABANDON_TAKE,
    Q_ABANDON_FORGET,
    Q_ABANDON_LIST,
    /* dead.c */
    Q_DEAD_ADD,
    Q_DEAD_LIST,
    Q_DEAD_COLLECT,
    Q_DEAD_EXPIRE,
    /* sources.c */
    Q_SOURCE_ADD,
    Q_SOURCE_GET,
    Q_SOURCE_VERSIONS,
    Q_SOURCE_LIST,
    Q_SOURCE_REMOVE_UNUSED,
    Q_SOURCE_NEXT,
    Q_SOURCE_RAISE,
    Q_COUNT
};

/* One interned shapes text, as the connection has seen it. */
struct store_shape {
    int64_t id;
    uint32_t hash; /* store__shapes_hash of text */
    char *text;    /* owned */
};

/* Distinct shapes texts a connection remembers; beyond, it asks SQLite. */
#define SHAPES_CACHED 256

/* The interned shapes a connection has seen (shapes.c keeps it). */
struct store_shapes {
    struct store_shape e[SHAPES_CACHED];
    int n;    /* entries in e */
    int kept; /* entries known committed: a rollback drops the rest,
                 whose rows it undid */
    int mark; /* entries at the step's savepoint */
};

/* One message held in memory (held.c); its seq is its index + base. */
struct store_held_msg {
    int64_t actor;
    char *text;     /* owned: the body, NUL, then the sender's name, NUL;
                       NULL once taken */
    size_t len;     /* the body's bytes */
    int has_sender; /* 0: from outside (sender NULL) */
    int64_t created, hops;
    long next; /* index of the next held for the same actor, or -1 */
};

/* The held messages of one actor: a list through msg[].next. */
struct store_held_box {
    int64_t actor; /* 0: an empty slot */
    long first;    /* index of its first (maybe taken), or -1 */
    long last;     /* index of its last */
    int64_t held;  /* of them, not taken */
};

/* The messages a write transaction holds in memory (held.c). */
struct store_held {
    int on;                     /* 1 from store_hold_begin to the end of
                                   the transaction */
    int64_t next;               /* the next seq to give, 0: not read yet */
    int64_t base;               /* the seq of msg[0] */
    struct store_held_msg *msg; /* owned, in seq order */
    size_t n, cap;
    struct store_held_box *box; /* owned: by actor, open addressing */
    size_t nbox, nbox_cap;      /* nbox_cap: a power of two, or 0 */
};

/* One connection: never exposed outside store/. */
struct store {
    sqlite3 *db;                 /* owned */
    struct store_shapes shapes;  /* interned texts seen */
    struct store_held held;      /* messages held in memory */
    pthread_mutex_t *write_mu;   /* borrowed: see store_opts, or NULL */
    int busy_ms;                 /* the busy timeout, ms */
    int writing;                 /* 1 inside store_begin's transaction */
    sqlite3_stmt *stmt[Q_COUNT]; /* prepared on first use, owned */
    int64_t data_version;        /* last value seen by store_changed */
    char errmsg[256];            /* last SQLite error, for logs */
};

/* --- open.c: statements and errors --- */

/* Translates SQLite result code rc into an ad_err, remembering the
 * message of the connection for store_errmsg. */
int store__err(struct store *s, int rc);

/* Returns the prepared statement id, whose text is sql[id] (sql is the
 * calling file's table, which must hold id), reset and unbound, or NULL
 * (then *err is set).  Borrowed from s. */
sqlite3_stmt *store__stmt(struct store *s, const char *const *sql,
                          enum stmt_id id, int *err);

/* Runs a statement that returns no rows, then resets it. */
int store__done(struct store *s, sqlite3_stmt *st);

/* Resets st after a query that returned rows. */
void store__finish(sqlite3_stmt *st);

/* Runs statement id of sql, which returns no rows, with its parameters
 * ?1..?n bound to the n integers in v.  *changes (may be NULL) is the
 * number of rows it changed. */
int store__run(struct store *s, const char *const *sql, enum stmt_id id, int n,
               const int64_t *v, int64_t *changes);

/* Binds text that may be NULL (borrowed until the statement is reset). */
int store__bind_text(sqlite3_stmt *st, int i, const char *text);

/* Returns a malloc'd copy of column i, or NULL for NULL; sets *err on
 * allocation failure. */
char *store__dup(sqlite3_stmt *st, int i, int *err);

/* --- tx.c --- */

/* The write transaction ended (committed or rolled back): releases the
 * process's write mutex when this connection held it. */
void store__ended(struct store *s);

/* Prepares the statements that undo (ROLLBACK, ROLLBACK TO, RELEASE), so
 * that undoing never has to allocate: store_open calls it. */
int store__tx_prepare(struct store *s);

/* --- shapes.c --- */

/* Binds waiting_for text (may be NULL) at i of st, inside the caller's
 * write transaction: as the id of its interned row (added when none
 * holds text), or the text itself when keep_inline is 1.  text is
 * borrowed until st is reset. */
int store__shapes_bind(struct store *s, sqlite3_stmt *st, int i,
                       const char *text, int keep_inline);

/* Returns a new copy of the shapes text stored as raw (column text: JSON
 * starting with '[' or the id of an interned row), or NULL for NULL;
 * *err is set when that fails. */
char *store__shapes_text(struct store *s, const char *raw, int *err);

/* Keep the cache in step with the transaction: a savepoint marks it, an
 * undone step or a rollback drops what its rows no longer back, a commit
 * keeps everything, a close frees everything. */
void store__shapes_savepoint(struct store *s);
void store__shapes_undo(struct store *s);
void store__shapes_commit(struct store *s);
void store__shapes_rollback(struct store *s);
void store__shapes_free(struct store *s);

/* --- actors.c --- */

/* Sets bit (STORE_TIE_*) in the ties of actors a and b (may be equal). */
int store__tie(struct store *s, int64_t a, int bit, int64_t b);

/* Flags of store__list_sql: which filters a listing has. */
#define STORE_LIST_BEHAVIOR 1 /* behavior = ?1 */
#define STORE_LIST_STATUS 2   /* status = 'its name' */
#define STORE_LIST_AFTER 4    /* name > ?3 (the cursor) */
#define STORE_LIST_PREFIX 8   /* name >= ?5 (unless AFTER) AND name < ?6 */

/* Writes into buf (len bytes) the text of the listing's query for the
 * filters in flags (STORE_LIST_*), status among them when flags has
 * STORE_LIST_STATUS; ?4 is the row limit.  Its one caller
 * is store_actor_list_prefix; tests/unit/test_store_listing.c checks
 * each text's query plan. */
void store__list_sql(char *buf, size_t len, int flags,
                     enum store_status status);

/* --- mailbox.c, ties.c, calls.c: what an actor leaves behind --- */

/* Deletes every message of actor; its stored count is left as it is
 * (the caller deletes the row or zeroes the count). */
int store__mailbox_clear(struct store *s, int64_t actor);

/* --- held.c --- */

/* 1 while the transaction holds messages in memory. */
int store__held_on(struct store *s);

/* Holds a message for store_mailbox_append; sets *seq. */
int store__held_append(struct store *s, int64_t actor, const char *sender,
                       const char *body, size_t len, int64_t now, int64_t hops,
                       int64_t *seq);

/* Calls fn for actor's held messages with seq > after, as
 * store_mailbox_scan does, counting *limit down (< 0: no limit).
 * Returns 0, 1 when fn or the limit stopped it, or fn's error. */
int store__held_scan(struct store *s, int64_t actor, int64_t after, int *limit,
                     int (*fn)(void *ctx, int64_t seq, const char *sender,
                               const char *body, size_t len, int64_t hops),
                     void *ctx);

/* Forgets the held message seq, if it is one (*taken = 1). */
int store__held_take(struct store *s, int64_t seq, int *taken);

/* Writes what is held into the messages table and raises sqlite_sequence
 * to the last seq given; holding goes on. */
int store__held_flush(struct store *s);

/* Forgets what is held, and holds on (a savepoint undone: it wrote
 * what was held before it). */
void store__held_undo(struct store *s);

/* Forgets what is held, and stops holding (a rollback, the end). */
void store__held_drop(struct store *s);

/* Frees the connection's held memory (store_close). */
void store__held_free(struct store *s);

/* Deletes every watch and link actor id is part of; *monitors and
 * *links (either may be NULL) count the rows deleted. */
int store__ties_forget(struct store *s, int64_t id, int64_t *monitors,
                       int64_t *links);

/* Deletes every abandoned call of actor. */
int store__calls_forget(struct store *s, int64_t actor);

#endif
