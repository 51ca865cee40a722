/*
 * store.h - the only code that speaks SQL.  Opens and migrates the
 * database, keeps prepared statements, and runs transactions.  It knows
 * actors, mailboxes and statuses as data; it never sees behaviours.
 * SQLite result codes are translated to enum ad_err here and never travel
 * upward.  One struct store is one SQLite connection: use it from one
 * thread at a time.
 *
 * The sections below follow the files of store/, one section per file
 * (store_int.h is what the files share privately).
 */
#ifndef ACTORD_STORE_H
#define ACTORD_STORE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

struct store;

/* --- open (open.c) --- */

struct store_opts {
    int busy_timeout_ms; /* how long to wait for the write lock; 0 = 5000 */
    int sync_full;       /* 1: synchronous=FULL, 0: NORMAL (see docs) */
    long long max_bytes; /* > 0: the database may not grow past this
                            size; writes beyond fail with AD_EFULL */
    pthread_mutex_t *write_mu; /* borrowed, may be NULL: held from
                                  store_begin to the commit or rollback,
                                  shared by the connections of a process */
};

/*
 * Opens (creating if needed) the database at path, sets WAL and the
 * busy timeout, and migrates it to the newest schema.  On success *out is
 * a new store, freed with store_close.  Returns 0, AD_ESCHEMA when the
 * file was written by a newer actord, or another ad_err.
 */
int store_open(const char *path, const struct store_opts *opts,
               struct store **out);

/*
 * As store_open.  When it fails and why is not NULL, writes into why
 * (len bytes) why, for a person: SQLite's message and the operating
 * system's reason, such as "unable to open database file (Permission
 * denied)"; the path is the caller's to add.
 */
int store_open_why(const char *path, const struct store_opts *opts,
                   struct store **out, char *why, size_t len);

/* Closes s and frees it.  Accepts NULL.  Rolls back an open transaction. */
void store_close(struct store *s);

/* The last SQLite error message of s, for logs (borrowed). */
const char *store_errmsg(struct store *s);

/* The schema version of the open database. */
int store_schema_version(struct store *s);

/* --- transactions (tx.c) --- */

/* Begins a write transaction (BEGIN IMMEDIATE: takes the write lock now,
 * waiting up to the busy timeout).  Returns 0 or AD_EBUSY, ... */
int store_begin(struct store *s);

/* Inside a write transaction: marks where a step begins, so that it
 * alone can be undone (store_savepoint_undo) or kept
 * (store_savepoint_keep); either ends the mark. */
int store_savepoint(struct store *s);
int store_savepoint_undo(struct store *s);
int store_savepoint_keep(struct store *s);

/* Begins a read transaction: a consistent snapshot for several reads. */
int store_begin_read(struct store *s);

/* Commits.  On error the transaction is rolled back. */
/* The seconds each COMMIT of this process took (store_commit), for
 * /metrics: a copy of the histogram into out. */
void store_commit_seconds(struct ad_hist *out);

int store_commit(struct store *s);

/* Rolls back the open transaction, if any. */
void store_rollback(struct store *s);

/*
 * Runs fn(s, ctx) inside a write transaction: store_begin, then fn, then
 * store_commit when fn returns 0.  When fn returns an error the
 * transaction is rolled back and fn's error returned; when the begin
 * fails fn is not called and the begin's error is returned; when the
 * commit fails it has rolled back and its error is returned.  So 0 means
 * fn's writes are committed, anything else that none of them are.  fn
 * must not begin, commit or roll back s itself; it may use savepoints.
 */
int store_transaction(struct store *s, int (*fn)(struct store *s, void *ctx),
                      void *ctx);

/*
 * Runs fn(s, ctx) inside a read transaction (store_begin_read): its reads
 * see one snapshot.  The transaction is always rolled back (a snapshot
 * has nothing to keep).  Returns the begin's error (fn not called) or
 * fn's.  fn must only read.
 */
int store_transaction_read(struct store *s,
                           int (*fn)(struct store *s, void *ctx), void *ctx);

/* Returns 1 when another connection committed since the last call
 * (PRAGMA data_version changed), else 0. */
int store_changed(struct store *s);

/* --- shapes (shapes.c) ---
 *
 * No functions of its own: store_actor_insert and store_actor_save store
 * waiting_for interned in the shapes table or inline, as
 * store_actor.waiting_inline says, and every load gives the text back. */

/* --- actors (actors.c) --- */

enum store_status {
    STORE_RUNNABLE,
    STORE_WAITING,
    STORE_EXITED,
    STORE_FAILED,
    STORE_KILLED,
    STORE_STRANDED,
};

/* Returns the status's name as stored ("runnable", ...); static. */
const char *store_status_name(enum store_status st);

/* Parses a status name; returns 0 and sets *st, or AD_EINVAL. */
int store_status_parse(const char *name, enum store_status *st);

/* Returns 1 when st is an ended status (exited, failed, killed). */
int store_status_ended(enum store_status st);

/*
 * One row of actors.  Every string is owned by the struct (malloc) and
 * freed by store_actor_release; NULL where the column is NULL.
 */
struct store_actor {
    int64_t id;
    char *name;
    char *behavior;
    int version;
    enum store_status status;
    int resume;         /* resume point, 0 = not started */
    char *waiting_for;  /* JSON array of shapes, or NULL */
    int waiting_inline; /* 1: keep waiting_for inline in the row rather
                           than interned in shapes (the engine sets it
                           for shapes that seldom repeat: interned rows
                           are never deleted); loading sets it to how
                           the row holds waiting_for now */
    int64_t scanned;    /* mailbox seqs <= scanned match no shape */
    char *args;         /* JSON object */
    char *state;        /* JSON object */
    char *result;       /* JSON, or NULL */
    char *error;        /* JSON, or NULL */
    int64_t spawned;    /* children spawned so far */
    int64_t created;    /* ms since the epoch */
    int64_t updated;    /* ms since the epoch */
    int64_t deadline;   /* ms since the epoch when the receive times
                           out, or 0 for none */
    int64_t mailbox;    /* messages in its mailbox, when loaded */
    int taken;          /* messages taken since loaded; store_actor_save
                           subtracts them from the stored count */
    int stored_version; /* version as loaded: store_actor_save writes
                           version only when it differs (an upgrade), so
                           that a step leaves its index alone */
};

/* Frees the strings of a (not a itself) and zeroes it.  Accepts NULL. */
void store_actor_release(struct store_actor *a);

/* Loads the actor named name into *a (which must be zeroed or released).
 * Returns 0 or AD_ENOTFOUND. */
int store_actor_by_name(struct store *s, const char *name,
                        struct store_actor *a);

/* Loads the actor with this id into *a.  Returns 0 or AD_ENOTFOUND. */
int store_actor_by_id(struct store *s, int64_t id, struct store_actor *a);

/*
 * The light look-up a send needs: id, status, waiting_for (a new
 * malloc'd string or NULL, freed by the caller; pass NULL when it is not
 * wanted) and the mailbox count (may be NULL) of the actor named name.
 * Returns 0 or AD_ENOTFOUND.
 */
int store_actor_peek(struct store *s, const char *name, int64_t *id,
                     enum store_status *status, char **waiting_for,
                     int64_t *mailbox);

/* Inserts a (id is ignored and set).  Returns 0, or AD_EEXISTS when a
 * row already has that name. */
int store_actor_insert(struct store *s, struct store_actor *a);

/* Writes every mutable column of a to its row (by a->id). */
int store_actor_save(struct store *s, const struct store_actor *a);

/* Sets the status (and updated) of actor id. */
int store_actor_set_status(struct store *s, int64_t id, enum store_status st,
                           int64_t now);

/* Deletes actor id, its mailbox, and every watch, link, timer and
 * abandoned call it is part of. */
int store_actor_remove(struct store *s, int64_t id);

/* What store_actor_purge removed, added to by each call. */
struct store_removed {
    int64_t actors;   /* rows of actors */
    int64_t messages; /* rows of messages: their mailboxes */
    int64_t monitors; /* rows of monitors, either end */
    int64_t links;    /* rows of links (two a link), either end */
    int64_t timers;   /* rows of timers they owned */
    int64_t calls;    /* rows of abandoned_calls */
};

/* As store_actor_remove, and adds to *r (may be NULL) the rows it
 * deleted. */
int store_actor_purge(struct store *s, int64_t id, struct store_removed *r);

/*
 * Sets *ids to up to max actors that may be removed, oldest first; *n
 * their count.  With own 0: ended actors (exited, failed, killed) last
 * updated before before (ms since the epoch); with own 1: the engine's
 * own actors (a behaviour starting with '_', such as a REST call's reply
 * box) created before before.
 */
int store_actor_expired(struct store *s, int own, int64_t before, int64_t *ids,
                        int max, int *n);

/* Sets *ids to up to max runnable actors, oldest first; *n their count. */
int store_runnable(struct store *s, int64_t *ids, int max, int *n);

/* Marks every stranded actor runnable again (after an upgrade, say). */
int store_unstrand(struct store *s);

/*
 * Calls fn for up to limit actors in name order, after the name after
 * (NULL: from the start), filtered by behavior and status when those are
 * not NULL.  Actors of a behaviour whose name starts with '_' are the
 * engine's own (a REST call's reply box) and are never listed.  a is owned by
 * the store and valid during the call; fn returns 0 to go on or an ad_err to
 * stop with it.  *more is set to 1 when further actors follow.
 */
int store_actor_list(struct store *s, const char *behavior, const char *status,
                     const char *after, int limit,
                     int (*fn)(void *ctx, struct store_actor *a), void *ctx,
                     int *more);

/*
 * As store_actor_list, and only the actors whose name starts with prefix
 * (NULL or "": every name).  Every filter is a range of an index (name,
 * actors_by_behavior, actors_ended), so that a page costs the same among
 * a million actors as among ten; but a live status (runnable, waiting)
 * filters the name index row by row.  AD_EINVAL for a prefix longer
 * than AD_NAME_MAX or holding a byte outside ASCII's printable range.
 */
int store_actor_list_prefix(struct store *s, const char *behavior,
                            const char *status, const char *prefix,
                            const char *after, int limit,
                            int (*fn)(void *ctx, struct store_actor *a),
                            void *ctx, int *more);

/* What may point at an actor, as bits of actors.ties: set by
 * store_timer_add (the owner), store_monitor_add (the target) and
 * store_link_add (both), never cleared. */
#define STORE_TIE_TIMERS 1
#define STORE_TIE_MONITORS 2
#define STORE_TIE_LINKS 4

/* Sets *mailbox to the stored count of actor id's mailbox and *ties to
 * its STORE_TIE_* bits, as stored now.  AD_ENOTFOUND when no such actor. */
int store_actor_ties(struct store *s, int64_t id, int64_t *mailbox, int *ties);

/* --- mailboxes (mailbox.c) --- */

/* Appends body (len bytes of JSON), hops steps away from the outside
 * world, to actor's mailbox and counts it; with wake the actor also
 * becomes runnable.  sender may be NULL.  Sets *seq (may be NULL) to the
 * message's seq. */
int store_mailbox_append(struct store *s, int64_t actor, const char *sender,
                         const char *body, size_t len, int64_t now,
                         int64_t hops, int wake, int64_t *seq);

/*
 * Calls fn for up to limit (<= 0: all) messages of actor with seq > after,
 * in seq order.  body is borrowed for the call.  fn returns 0 to go on,
 * 1 to stop (store_mailbox_scan then returns 0), or an ad_err.
 */
int store_mailbox_scan(struct store *s, int64_t actor, int64_t after, int limit,
                       int (*fn)(void *ctx, int64_t seq, const char *sender,
                                 const char *body, size_t len, int64_t hops),
                       void *ctx);

/*
 * As store_mailbox_scan, for a caller that knows actor has no stored
 * messages with seq > after: reads only the messages held in memory
 * (store_hold_begin), without a statement.
 */
int store_mailbox_scan_held(struct store *s, int64_t actor, int64_t after,
                            int (*fn)(void *ctx, int64_t seq,
                                      const char *sender, const char *body,
                                      size_t len, int64_t hops),
                            void *ctx);

/* How many of actor's messages are held in memory now (counted in its
 * stored count, not yet in the messages table). */
int64_t store_mailbox_held(struct store *s, int64_t actor);

/*
 * (held.c) Inside a write transaction: from now until it ends, appended
 * messages are held in memory with their seqs, and one taken in the same
 * transaction is never written; what is left is written when the
 * transaction commits, before anything else reads the messages table,
 * and before a savepoint.  Every function here sees them as stored.
 * AD_EINVAL outside a write transaction.
 */
int store_hold_begin(struct store *s);

/* Deletes the message seq.  The caller counts it in its row's taken. */
int store_mailbox_take(struct store *s, int64_t seq);

/* Sets *n to the number of messages in actor's mailbox. */
int store_mailbox_count(struct store *s, int64_t actor, int64_t *n);

/* Moves every message of actor's mailbox to the dead letters, addressed
 * to target, with reason, in order; the stored count becomes 0. */
int store_mailbox_bury(struct store *s, int64_t actor, const char *target,
                       const char *reason, int64_t now);

/* --- monitors, links, trapping exits (ties.c) --- */

/* Records that watcher is told when target ends (once per pair). */
int store_monitor_add(struct store *s, int64_t target, int64_t watcher);

/*
 * Removes every watch on target and returns the watchers' names: *names
 * is a new array of *n new strings (free each, then the array), in
 * watcher order.
 */
int store_monitor_take(struct store *s, int64_t target, char ***names,
                       size_t *n);

/* One linked actor, as store_link_take returns it. */
struct store_link {
    int64_t id;
    char *name;    /* owned */
    int trap_exit; /* 1 when it takes exit notices as messages */
};

/* Links a and b, both ways (once). */
int store_link_add(struct store *s, int64_t a, int64_t b);

/* Removes the link between a and b, both ways. */
int store_link_remove(struct store *s, int64_t a, int64_t b);

/* Removes every link of id (both ways) and returns the actors it was
 * linked to: *out is a new array of *n, freed with store_links_free. */
int store_link_take(struct store *s, int64_t id, struct store_link **out,
                    size_t *n);

/* Frees what store_link_take returned.  Accepts NULL. */
void store_links_free(struct store_link *links, size_t n);

/* The ties of one actor, as store_ties_list gives them. */
enum store_tie_kind {
    STORE_WATCHED_BY, /* name watches the actor (monitors.watcher) */
    STORE_WATCHING,   /* the actor watches name (monitors.target) */
    STORE_LINKED_TO,  /* name is linked to the actor */
};

/* Calls fn for every watch and link actor id is part of: its watchers,
 * then the actors it watches, then the ones linked to it, each in id
 * order; name is borrowed for the call.  fn returns 0 to go on or an
 * ad_err to stop with it. */
int store_ties_list(struct store *s, int64_t id,
                    int (*fn)(void *ctx, enum store_tie_kind kind,
                              const char *name),
                    void *ctx);

/* Sets whether actor id traps exits. */
int store_set_trap_exit(struct store *s, int64_t id, int on);

/* Sets *on to 1 when actor id traps exits. */
int store_trap_exit(struct store *s, int64_t id, int *on);

/* --- timers and receive deadlines (timers.c) --- */

/* A due timer, as store_timer_due returns it; strings owned. */
struct store_timer {
    int64_t id;
    char *owner;   /* the name of the actor that set it */
    char *target;  /* the name the message goes to */
    char *body;    /* JSON */
    int64_t due;   /* ms since the epoch */
    int64_t every; /* period in ms, or 0 for once */
};

/* Adds a timer of owner; every <= 0 for once.  *id (may be NULL) is its
 * id. */
int store_timer_add(struct store *s, int64_t owner, const char *target,
                    const char *body, int64_t due, int64_t every, int64_t *id);

/* Deletes timer id when owner set it; *found (may be NULL) says whether
 * it did. */
int store_timer_cancel(struct store *s, int64_t id, int64_t owner, int *found);

/* Deletes every timer of owner. */
int store_timer_forget(struct store *s, int64_t owner);

/* Calls fn for every timer owner set, in id order; t (owner NULL) is
 * borrowed for the call.  fn returns 0 to go on or an ad_err. */
int store_timer_list(struct store *s, int64_t owner,
                     int (*fn)(void *ctx, const struct store_timer *t),
                     void *ctx);

/* Adds a timer of owner as store_timer_add does, under the id want when
 * no timer has it, else under a new one; *id (may be NULL) is the id it
 * got. */
int store_timer_restore(struct store *s, int64_t want, int64_t owner,
                        const char *target, const char *body, int64_t due,
                        int64_t every, int64_t *id);

/* Sets *out to a new array of up to limit timers due at now, oldest
 * first (free with store_timers_free). */
int store_timer_due(struct store *s, int64_t now, int limit,
                    struct store_timer **out, size_t *n);

/* Frees what store_timer_due returned.  Accepts NULL. */
void store_timers_free(struct store_timer *t, size_t n);

/* After timer id fired: deletes it, or, with next_due > 0, moves it
 * there. */
int store_timer_fired(struct store *s, int64_t id, int64_t next_due);

/* Makes every waiting actor whose deadline is <= now runnable; *n (may
 * be NULL) counts them. */
int store_fire_due(struct store *s, int64_t now, int64_t *n);

/* --- abandoned calls (calls.c) --- */

/* Records that actor stopped waiting for the reply to call_id. */
int store_call_abandon(struct store *s, int64_t actor, const char *call_id,
                       int64_t now);

/* Sets *found to 1 (and forgets it) when actor abandoned call_id. */
int store_call_take_abandoned(struct store *s, int64_t actor,
                              const char *call_id, int *found);

/* Calls fn for every call actor abandoned, in call id order; call_id is
 * borrowed for the call.  fn returns 0 to go on or an ad_err. */
int store_call_list(struct store *s, int64_t actor,
                    int (*fn)(void *ctx, const char *call_id, int64_t created),
                    void *ctx);

/* --- dead letters (dead.c) --- */

/* One dead letter; every pointer borrowed for the callback's duration. */
struct store_dead {
    int64_t seq;
    const char *sender; /* NULL: from outside */
    const char *target;
    const char *reason;
    const char *body; /* JSON text */
    size_t body_len;
    int64_t created; /* ms since the epoch */
};

/* Keeps a message (len bytes of JSON) that could not be delivered to
 * target, with reason (a short phrase). */
int store_dead_letter_add(struct store *s, const char *sender,
                          const char *target, const char *reason,
                          const char *body, size_t len, int64_t now);

/* Calls fn for up to limit dead letters with seq > after, in order; fn
 * returns 0 to go on or an ad_err.  *more is 1 when more follow. */
int store_dead_letter_list(struct store *s, int64_t after, int limit,
                           int (*fn)(void *ctx, const struct store_dead *d),
                           void *ctx, int *more);

/* Deletes the dead letters with seq <= upto; *n (may be NULL) counts
 * them. */
int store_dead_letter_collect(struct store *s, int64_t upto, int64_t *n);

/* Deletes up to limit of the oldest dead letters buried before before
 * (ms since the epoch); *n (may be NULL) counts them. */
int store_dead_letter_expire(struct store *s, int64_t before, int limit,
                             int64_t *n);

/* --- sources (sources.c) --- */

/* One version of a behaviour uploaded as source.  Loaded rows own their
 * strings (store_source_release frees them); rows given to
 * store_source_add are borrowed. */
struct store_source {
    char *name;
    int version;
    char *language; /* "lua" */
    char *doc;
    char *source; /* NULL when not loaded (lists) */
    size_t source_len;
    int64_t created; /* ms since the epoch */
    int64_t actors;  /* live actors on this version (versions only) */
};

/* Frees what a loaded src owns.  Accepts NULL. */
void store_source_release(struct store_source *src);

/* Adds src as a new row (name, version); AD_EEXISTS when that version
 * is there already. */
int store_source_add(struct store *s, const struct store_source *src);

/* Loads version (0: the newest) of name into *src, source included.
 * Returns 0 or AD_ENOTFOUND. */
int store_source_get(struct store *s, const char *name, int version,
                     struct store_source *src);

/* Calls fn for every version of name, oldest first, with actors set and
 * source not loaded (src borrowed for the call); fn returns 0 to go on
 * or an ad_err. */
int store_source_versions(struct store *s, const char *name,
                          int (*fn)(void *ctx, const struct store_source *src),
                          void *ctx);

/* Calls fn for the newest version of every uploaded behaviour, in name
 * order, source not loaded. */
int store_source_list(struct store *s,
                      int (*fn)(void *ctx, const struct store_source *src),
                      void *ctx);

/* Takes the next version number of name into *version: one above the
 * last number it was given, so that no number is used twice, even after
 * its rows were removed.  Inside a write transaction. */
int store_source_next_version(struct store *s, const char *name, int *version);

/* Deletes the versions of name that no live actor (runnable, waiting or
 * stranded) runs; *removed (may be NULL) counts them. */
int store_source_remove_unused(struct store *s, const char *name,
                               int64_t *removed);

/* Adds src (borrowed) under its own version, as a copy of a row of
 * another database: the name's last version number becomes at least
 * src->version.  AD_EEXISTS when that version is there already. */
int store_source_restore(struct store *s, const struct store_source *src);

/* --- operator tools (ops.c) --- */

/*
 * Copies the database into path with SQLite's online backup, pages pages
 * a step (<= 0: 256) with pause_ms between steps, all from one read
 * snapshot held from the first step to the last, so that writers go on
 * (WAL) and the copy is the database as it was committed when the backup
 * began.  The copy is written to a temporary file beside path, checked
 * (PRAGMA integrity_check), synced, and renamed onto path, replacing a
 * file there.  Refuses (AD_EINVAL) a path that is the database itself or
 * that has a -wal or -journal beside it (a database in use).  Sets
 * *bytes (may be NULL) to the size of the copy.  Outside a transaction.
 */
int store_backup(struct store *s, const char *path, int pages, int pause_ms,
                 int64_t *bytes);

/* What store_vacuum may do. */
enum store_vacuum_mode {
    STORE_VACUUM_AUTO,        /* incremental when the database is set so
                                 (auto_vacuum = INCREMENTAL), else full */
    STORE_VACUUM_FULL,        /* VACUUM */
    STORE_VACUUM_INCREMENTAL, /* set auto_vacuum = INCREMENTAL, VACUUM */
    STORE_VACUUM_NONE,        /* set auto_vacuum = NONE, VACUUM */
};

/* What store_vacuum did. */
struct store_vacuum {
    int full;             /* 1: rebuilt the file (VACUUM); 0: incremental */
    int auto_vacuum;      /* after: 0 none, 1 full, 2 incremental */
    int checkpointed;     /* 1: the WAL was checkpointed and truncated */
    int64_t bytes_before; /* page_count * page_size */
    int64_t bytes_after;
    int64_t free_before; /* pages on the freelist */
    int64_t free_after;
};

/*
 * Gives the free pages of the database back to the file system: VACUUM
 * (which takes the write lock for as long as it rebuilds the whole file,
 * and needs free space as large as the database and its WAL), or
 * PRAGMA incremental_vacuum when the database is set for it (mode).  Then
 * checkpoints the WAL, truncating it when no reader holds it.  Fills
 * *out.  Outside a transaction.
 */
int store_vacuum(struct store *s, enum store_vacuum_mode mode,
                 struct store_vacuum *out);

/* The size of things, as store_stats counts them in one read snapshot. */
struct store_stats {
    int64_t actors[STORE_STRANDED + 1]; /* by status; the engine's own
                                           actors (reply boxes) aside */
    int64_t own;      /* the engine's own actors: pending REST calls */
    int64_t messages; /* in every mailbox */
    int64_t dead_letters;
    int64_t timers;
    int64_t monitors;   /* rows */
    int64_t links;      /* links (each is two rows) */
    int64_t uploaded;   /* behaviours uploaded as source, by name */
    int64_t versions;   /* their stored versions */
    int64_t page_size;  /* bytes */
    int64_t pages;      /* page_count */
    int64_t free_pages; /* freelist_count */
    int64_t wal_bytes;  /* size of the -wal file now; 0 when none */
    int schema;         /* user_version */
};

/* Fills *out.  Outside a transaction (it opens a read one). */
int store_stats(struct store *s, struct store_stats *out);

/* One invariant of the database, as store_check reports it. */
struct store_problem {
    const char *check;    /* static: a name, e.g. "mailbox_counts" */
    const char *what;     /* static: what must hold, one sentence */
    int64_t count;        /* rows breaking it; 0 when it holds */
    const char *examples; /* borrowed for the call: up to a few of them,
                             "; "-separated, or "" */
};

/*
 * Checks the database: PRAGMA integrity_check, then each of actord's own
 * invariants (every message, watch, link, timer and abandoned call refers
 * to an actor that exists; the stored mailbox counts equal the rows;
 * ended actors hold no mail and no timers; a waiting actor has shapes and
 * a resume point; the ties bits cover the ties; links go both ways; state
 * and args are JSON objects and message bodies JSON; no engine's own actor
 * (a REST call's reply box) was created before own_before, ms since the
 * epoch).  Calls fn for every check, in that order, whether it holds or
 * not; fn returns 0 to go on or an ad_err to stop.  All in one read
 * snapshot.  Returns 0 when the checks ran (whatever they found).
 */
int store_check(struct store *s, int64_t own_before,
                int (*fn)(void *ctx, const struct store_problem *p), void *ctx);

#endif
