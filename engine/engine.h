/*
 * engine.h - the actor engine, as fcgi/ and cli/ see it: spawn, send,
 * get, kill, list, and the step loop that runs behaviours.  The engine
 * never sees HTTP; it speaks JSON documents and enum ad_err.  One struct
 * eng is one database connection: use it from one thread at a time (a
 * process may hold many, one per thread).
 */
#ifndef ACTORD_ENGINE_H
#define ACTORD_ENGINE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

struct eng;
struct behavior; /* actord/behavior.h */
struct actor;    /* actord/behavior.h */

/*
 * A commit group: the connections of one process that share one (through
 * eng_opts.group) take turns at writing on a mutex rather than in
 * SQLite's sleeping busy wait, and eng_send calls that arrive while
 * another commits share the next transaction (group commit): one commit
 * answers them all, and each still returns only once its message is
 * committed.  Other processes on the database still meet the busy
 * timeout.
 */
struct eng_group;

/* Makes a group (NULL when out of memory); free it with eng_group_free
 * after every connection using it is closed. */
struct eng_group *eng_group_new(void);
void eng_group_free(struct eng_group *g);

struct eng_opts {
    int busy_timeout_ms; /* 0: 5000 */
    int sync_full;       /* 1: synchronous=FULL; 0: NORMAL */
    int batch_steps;     /* steps per transaction in eng_run; 0: 256 */
    int batch_ms;        /* longest a transaction of eng_run holds the
                            write lock, ms; 0: 50 */
    /* Resource limits; 0 takes the default, -1 means none.  A message
     * over max_message is refused (AD_ETOOLARGE) from outside; a step
     * that sends one, or leaves a state over max_state, is undone and its
     * actor fails.  A mailbox holding max_mailbox messages refuses more
     * (AD_EMAILBOX; from a step, a dead letter).  A message max_hops
     * steps away from the outside world is not delivered (a dead letter).
     * A step running step_limit_ms of CPU time is cut off, undone, and
     * its actor fails. */
    long long max_message;  /* bytes of JSON; default ENG_MAX_MESSAGE_DEFAULT */
    long long max_state;    /* bytes of JSON; default ENG_MAX_STATE_DEFAULT */
    long long max_mailbox;  /* messages; default ENG_MAX_MAILBOX_DEFAULT */
    long long max_hops;     /* steps; default ENG_MAX_HOPS_DEFAULT */
    int step_limit_ms;      /* CPU ms; default ENG_STEP_LIMIT_DEFAULT */
    long long max_db_bytes; /* > 0: the database may not grow past this;
                               writes beyond fail with AD_EFULL */
    struct eng_group *group; /* borrowed, may be NULL: see eng_group */
};

#define ENG_MAX_MESSAGE_DEFAULT (1024LL * 1024)
#define ENG_MAX_STATE_DEFAULT (16LL * 1024 * 1024)
#define ENG_MAX_MAILBOX_DEFAULT 100000LL
#define ENG_MAX_HOPS_DEFAULT 1000000LL
#define ENG_STEP_LIMIT_DEFAULT 2000

/*
 * Initialises the engine for the whole process, once: call it after the
 * process has registered its behaviours (actor_register: the standard
 * ones with behaviors_register_standard, and any of its own) and before
 * the first eng_open, while the process has one thread, as SQLite's
 * sqlite3_initialize.  It installs, for the whole process:
 *   - the step watchdog's signal handler (WD_SIGNAL, a real-time signal, of
 *     engine/watchdog.h), which cuts off a step that runs too long;
 *   - jansson's allocator (json_set_alloc_funcs), fenced so that the
 *     watchdog never cuts a step off inside malloc or free, around the
 *     allocator jansson had: a process that wants its own (to count or
 *     limit memory) installs it before eng_init.  The engine counts the
 *     allocations that fail, so that out of memory in a step, or while
 *     reading stored JSON, is AD_ENOMEM (the transaction rolls back)
 *     rather than bad data;
 * and it freezes the registry: later registrations fail.  Calling it
 * again does nothing.  Returns 0.
 */
int eng_init(void);

/*
 * A language for behaviours uploaded as source (PUT /behaviors/NAME): the
 * engine stores each different source as a new version (table sources),
 * and a connection compiles a version on its first use into a behaviour
 * it then runs as a registered one.  One compiled behaviour is used by
 * one connection, so one thread, at a time.
 */
struct eng_language {
    const char *name; /* "lua" */
    /* Compiles len bytes of source as version of behaviour name into *out
     * (new, freed with release).  Returns 0, or AD_EBADCODE with why
     * (whylen bytes) saying what is wrong, or AD_ENOMEM. */
    int (*compile)(const char *name, int version, const char *source,
                   size_t len, struct behavior **out, char *why, size_t whylen);
    /* Optional.  Checks spawn args (borrowed, an object) for b: NULL when
     * fine, or why, written into the len bytes of why. */
    const char *(*check_args)(const struct behavior *b, const json_t *args,
                              char *why, size_t len);
    /* Optional.  Moves the actor a, stored by from (another version) at
     * resume point point, onto to: may change its state; returns the
     * point of to to go on at, or -1 with why (len bytes) filled. */
    int (*upgrade)(const struct behavior *to, const struct behavior *from,
                   struct actor *a, int point, char *why, size_t len);
    /* Optional.  Given the step watchdog's fence (enter and leave, as
     * WD_GUARD uses them) at eng_set_language, for the language's own
     * allocator: no cut-off lands inside malloc or free. */
    void (*set_fence)(int (*enter)(void), void (*leave)(int *));
    void (*release)(struct behavior *b);
};

/* Installs lang (borrowed for the life of the process) as the language of
 * uploads; before eng_init.  Without one, uploads are refused. */
int eng_set_language(const struct eng_language *lang);

/* Opens the engine on the database at path (created and migrated when
 * needed).  *out is new, freed with eng_close.  Returns 0, AD_EINVAL
 * before eng_init, or another ad_err. */
int eng_open(const char *path, const struct eng_opts *opts, struct eng **out);

/*
 * As eng_open.  When it fails and why is not NULL, writes into why (len
 * bytes) why, for a person and a log: SQLite's message and the operating
 * system's reason ("unable to open database file (Permission denied)");
 * the path is the caller's to add.
 */
int eng_open_why(const char *path, const struct eng_opts *opts,
                 struct eng **out, char *why, size_t len);

/* Closes e.  Accepts NULL. */
void eng_close(struct eng *e);

/* The last storage error message, for logs (borrowed). */
const char *eng_errmsg(struct eng *e);

/*
 * Spawns an actor of behaviour behavior with args (borrowed; NULL means
 * {}, otherwise an object) under name (NULL: a generated name).  A live
 * actor of that name is AD_EEXISTS; an ended one is replaced.  On
 * success *doc is a new reference to the actor document.  On
 * AD_EBADARGS *why (may be NULL) is set to a static sentence.
 */
int eng_spawn(struct eng *e, const char *name, const char *behavior,
              const json_t *args, json_t **doc, const char **why);

/*
 * As eng_spawn, and in the same transaction makes every actor named in
 * monitors (borrowed: NULL or a JSON array of names) watch the new one:
 * when it ends each is sent {"exit": RESULT, "address": A} or
 * {"exception": ERROR, "address": A}.  A name that is not an actor is
 * AD_ENOTFOUND (nothing is created); a malformed list is AD_EBADNAME;
 * *why (may be NULL) then says which.
 */
int eng_spawn_watched(struct eng *e, const char *name, const char *behavior,
                      const json_t *args, const json_t *monitors, json_t **doc,
                      const char **why);

/* As eng_spawn_watched, of version (0: the newest) of behavior: an
 * uploaded behaviour's older version that is still stored, or the
 * registered one's own.  Another is AD_EBEHAVIOR. */
int eng_spawn_version(struct eng *e, const char *name, const char *behavior,
                      int version, const json_t *args, const json_t *monitors,
                      json_t **doc, const char **why);

/*
 * Sends msg (borrowed, any JSON value) to the actor named name and
 * commits before returning.  *seq (may be NULL) is the message's seq.
 * Returns 0, AD_ENOTFOUND, AD_EDEAD, or a storage error.
 */
int eng_send(struct eng *e, const char *name, const json_t *msg, int64_t *seq);

/*
 * Sends n messages in one transaction: msgs[i] (borrowed) to names[i].
 * All or nothing: errs[i] is set for every message (0 or its ad_err),
 * and if any is not 0 nothing is sent and AD_EINVAL is returned.  With
 * dry_run, every message is checked the same way but nothing is sent
 * even when all are fine.  seqs (may be NULL) receives the seqs.  A
 * storage error is returned as is.
 */
int eng_send_many(struct eng *e, const char *const *names, json_t *const *msgs,
                  size_t n, int dry_run, int *errs, int64_t *seqs);

/*
 * Sets *doc to a new reference to the actor document of name, or returns
 * AD_ENOTFOUND.  Beyond the document every route answers (eng__doc:
 * name, behavior, version, status, state, mailbox, waiting_for, deadline,
 * result, error, created, updated), it holds what ties the actor, read in
 * the same snapshot: "links" (names linked to it), "monitors" (names it
 * watches), "monitored_by" (names watching it), "trap_exit" (a boolean)
 * and "timers" ([{"id", "to", "message", "due", "every_ms"}, ...], in id
 * order; every_ms null for a one-shot timer).
 */
int eng_get(struct eng *e, const char *name, json_t **doc);

/* Ends the live actor name with status killed.  *doc as eng_get.
 * Returns AD_ENOTFOUND or AD_EDEAD for an actor that has ended. */
int eng_kill(struct eng *e, const char *name, json_t **doc);

/*
 * Sets *out to {"actors": [DOC, ...], "next": NAME or null}: up to limit
 * actors in name order after the name after (NULL: from the start),
 * filtered by behavior and status (either may be NULL).  AD_EINVAL for
 * an unknown status.
 */
int eng_list(struct eng *e, const char *behavior, const char *status,
             const char *after, int limit, json_t **out);

/* As eng_list, and only the actors whose name starts with prefix (NULL
 * or "": every name; otherwise 1 to AD_NAME_MAX characters of names,
 * AD_EINVAL else).  Each page is a range of an index, whatever the
 * filters: as fast among a million actors as among ten. */
int eng_list_prefix(struct eng *e, const char *behavior, const char *status,
                    const char *prefix, const char *after, int limit,
                    json_t **out);

/* Sets *out to {"messages": [{"seq": N, "from": NAME|null,
 * "body": ...}, ...]}, up to limit after seq after. */
int eng_mailbox(struct eng *e, const char *name, int64_t after, int limit,
                json_t **out);

/*
 * Sets *out to {"dead_letters": [{"seq": N, "from": NAME|null, "to": NAME,
 * "reason": TEXT, "body": ..., "time": T}, ...], "next": SEQ or null}: up
 * to limit dead letters with seq > after, oldest first.  A dead letter
 * is a message a behaviour sent to an unknown or ended actor, or one left
 * unread in the mailbox of an actor that exited, failed or was killed.
 */
int eng_dead_letters(struct eng *e, int64_t after, int limit, json_t **out);

/* Deletes the dead letters with seq <= upto (INT64_MAX: all); *n (may be
 * NULL) counts them. */
int eng_dead_letters_collect(struct eng *e, int64_t upto, int64_t *n);

/* Bytes for a call id (and, with 8 more, its reply box's name). */
#define ENG_CALL_ID_LEN 24

/*
 * Starts a call from outside: in one transaction, makes a reply box (a
 * mailbox named box, "_call-ID", that never runs) and sends the actor
 * name {"call": ID, "method": method, "address": box, "message":
 * payload (borrowed, may be NULL)}.  call_id (ENG_CALL_ID_LEN bytes) and
 * box (ENG_CALL_ID_LEN + 8) are filled in.  Returns 0, AD_ENOTFOUND,
 * AD_EDEAD or a storage error.  End every started call with eng_call_end.
 */
int eng_call_begin(struct eng *e, const char *name, const char *method,
                   const json_t *payload, char *box, char *call_id);

/* Sets *reply to a new reference to the reply in box, or NULL when none
 * came yet.  Returns AD_EDEAD when none came and the actor name has
 * ended (no answer will come). */
int eng_call_poll(struct eng *e, const char *name, const char *box,
                  json_t **reply);

/* Removes the reply box: no waiting state is left, and a reply that
 * comes later becomes a dead letter. */
int eng_call_end(struct eng *e, const char *box);

/*
 * For the plugin loader's messages: copies into buf (len bytes) the name
 * of the last behaviour that actor_register refused because a behaviour
 * of that name was registered already, and forgets it.  Returns buf, or
 * NULL when there was none since the last call.
 */
const char *eng_registry_taken(char *buf, size_t len);

/* A new {"behaviors": [{"name": B, "language": "c", "version": N,
 * "doc": TEXT}, ...]}, in the order they were registered. */
json_t *eng_behaviors(void);

/* Returns 1 when the actor document doc (borrowed) is of an ended actor. */
int eng_doc_ended(const json_t *doc);

/*
 * Runs runnable actors, many steps per transaction, until none is
 * runnable, max_steps steps were run (<= 0: no limit) or max_ms passed
 * (<= 0: no limit; when there is work, at least one step runs).  *steps (may be
 * NULL) counts the steps run. Returns 0 or a storage error (the failed
 * transaction is rolled back; its steps will run again).
 */
int eng_run(struct eng *e, long max_steps, int64_t max_ms, long *steps);

/*
 * Moves the actor name onto version (0: the one registered) of its
 * behaviour, in one transaction: an actor stored by another version is
 * handed to the behaviour's upgrade function, which may rewrite its state
 * and says the resume point to go on at; a stranded actor becomes
 * runnable again.  An actor already on that version and not stranded is
 * left as it is.  On success *doc is a new reference to its document.
 * Returns 0, AD_ENOTFOUND, AD_EDEAD, AD_EUPGRADE (*why, may be NULL, a
 * static sentence: the version is not in this build, the behaviour has no
 * upgrade function, or it refused) or a storage error.
 */
int eng_upgrade(struct eng *e, const char *name, int version, json_t **doc,
                const char **why);

/*
 * Stores source (len bytes) as the newest version of the uploaded
 * behaviour name, after it compiled in the sandbox: a source different
 * from the newest makes a new version (*created = 1), the same source
 * again changes nothing.  *doc is {"name", "language", "version"}.
 * Returns 0, AD_EEXISTS (a registered behaviour has the name),
 * AD_EBADCODE (why says what), AD_EINVAL (no language: uploads are off)
 * or a storage error.
 */
int eng_behavior_put(struct eng *e, const char *name, const char *source,
                     size_t len, json_t **doc, int *created, char *why,
                     size_t whylen);

/*
 * Sets *doc to {"name", "language", "doc", "version": NEWEST, "versions":
 * [{"version", "created", "actors"}, ...]} for an uploaded behaviour
 * (with_source: and "source" of version, 0 the newest, with
 * "source_version"), or the same for a registered one (one version, no
 * source).  Returns 0 or AD_ENOTFOUND.
 */
int eng_behavior_get(struct eng *e, const char *name, int version,
                     int with_source, json_t **doc);

/* Removes the versions of the uploaded behaviour name that no live actor
 * runs; *doc is {"name", "removed": N, "kept": N}.  Returns 0,
 * AD_ENOTFOUND, AD_EEXISTS (a registered behaviour), AD_EINUSE (live
 * actors run every version: nothing removed) or a storage error. */
int eng_behavior_delete(struct eng *e, const char *name, json_t **doc);

/* Sets *out to eng_behaviors() with the newest version of every uploaded
 * behaviour after the registered ones. */
int eng_behavior_list(struct eng *e, json_t **out);

/* Returns 1 when another connection committed since the last call. */
int eng_changed(struct eng *e);

/* Makes every stranded actor runnable again, so that a build that
 * knows its behaviour runs it (call once at start-up). */
int eng_unstrand(struct eng *e);

/* Returns 0 when the database answers a query. */
int eng_health(struct eng *e);

/* What this process's engines have done since it started (stats.c). */
struct eng_process_stats {
    uint64_t steps;    /* steps run */
    uint64_t messages; /* messages put in mailboxes */
    struct ad_hist step_seconds;
    struct ad_hist commit_seconds; /* every COMMIT of the process */
};

/* Fills out; from any thread. */
void eng_process_stats(struct eng_process_stats *out);

/* What the database holds, counted in one snapshot (store_stats): actors
 * by status (indexed by enum store_status, named by eng_status_name; reply
 * boxes aside), messages queued, timers, dead letters, file sizes; for
 * /metrics, where eng_stats's JSON would be parsed back. */
#define ENG_STATUSES 6
struct eng_counts {
    int64_t actors[ENG_STATUSES];
    int64_t queued, timers, dead_letters, db_bytes, wal_bytes;
};
int eng_counts(struct eng *e, struct eng_counts *out);

/* Sets ended[i] to 1 when the actor names[i] has ended or does not
 * exist, else 0, all read in one snapshot without loading any state: the
 * light check of many long-polls at once. */
int eng_ended(struct eng *e, const char *const *names, size_t n,
              unsigned char *ended);

/* The name of status i of eng_counts ("runnable", ...); static. */
const char *eng_status_name(int i);

/* ---- the operator's tools (ops.c, export.c, import.c) ----
 *
 * For actorctl: each works beside running actord processes on the same
 * database, in transactions short enough that actord goes on serving.
 */

/*
 * Copies the database into the file path with SQLite's online backup,
 * pages pages a step (<= 0: 256) with pause_ms between steps, from one
 * read snapshot: the copy holds what was committed when the backup began,
 * and actord's writers are not held up (WAL).  It is written beside path,
 * passes PRAGMA integrity_check, and is then renamed onto path.  *bytes
 * (may be NULL) is its size.  Returns 0, AD_EINVAL (path is the database
 * itself, or a database in use: eng_errmsg says why) or a storage error.
 */
int eng_backup(struct eng *e, const char *path, int pages, int pause_ms,
               int64_t *bytes);

/* What eng_vacuum does. */
enum eng_vacuum_mode {
    ENG_VACUUM_AUTO,        /* incremental when the database is set up for
                               it (auto_vacuum = incremental), else full */
    ENG_VACUUM_FULL,        /* VACUUM: rebuilds the whole file */
    ENG_VACUUM_INCREMENTAL, /* sets auto_vacuum = incremental, then VACUUM */
    ENG_VACUUM_NONE,        /* sets auto_vacuum = none, then VACUUM */
};

/*
 * Gives free pages back to the file system, as mode says, then
 * checkpoints the WAL.  A full VACUUM holds the write lock until it has
 * rebuilt the file (actord's writes wait, then answer busy) and needs
 * free disk space the size of the database.  *out is a new {"vacuum":
 * "full"|"incremental", "auto_vacuum": "none"|"full"|"incremental",
 * "bytes_before", "bytes_after", "free_pages_before", "free_pages_after",
 * "checkpointed": true|false}.
 */
int eng_vacuum(struct eng *e, enum eng_vacuum_mode mode, json_t **out);

/*
 * Sets *out to a new flat object of counts, for a shell: actors_STATUS
 * for each status and actors_total (the engine's own reply boxes aside:
 * calls_pending), messages_queued, dead_letters, timers_pending,
 * monitors, links, behaviors_c (registered in this process: the standard
 * ones and its plugins), behaviors_lua and lua_versions (uploaded),
 * db_page_size, db_pages, db_free_pages, db_bytes (page_size * pages),
 * wal_bytes and schema_version.
 */
int eng_stats(struct eng *e, json_t **out);

/*
 * Checks the database: PRAGMA integrity_check and actord's own
 * invariants (store_check in store.h lists them); a reply box created
 * before now - call_max_ms is one no call waits for any more.  *out is a
 * new {"ok": true|false, "checks": [{"check": NAME, "ok": BOOL, "what":
 * TEXT, "count": N, "examples": TEXT}, ...]}.  Returns 0 when the checks
 * ran, whatever they found.
 */
int eng_check(struct eng *e, int64_t call_max_ms, json_t **out);

/*
 * Removes what nobody will read again, batch rows a transaction (<= 0:
 * 500): ended actors (exited, failed, killed) last changed at least
 * age_ms ago, with everything that refers to them (mailbox rows,
 * watches, links, timers, abandoned calls); reply boxes of REST calls
 * older than call_max_ms; and dead letters buried at least age_ms ago.
 * Each batch commits on its own: an error leaves the batches before it
 * done.  *out (set also on error, may be NULL) is a new {"actors",
 * "reply_boxes", "messages", "monitors", "links", "timers",
 * "abandoned_calls", "dead_letters", "transactions"} of counts (monitors
 * and links in rows; a link is two).
 */
int eng_gc(struct eng *e, int64_t age_ms, int64_t call_max_ms, int batch,
           json_t **out);

/*
 * Exports actors as JSON values for moving them to another database:
 * first one {"type": "behavior", ...} per uploaded behaviour version the
 * exported actors run (its source), then one {"type": "actor", ...} per
 * actor in name order (those of behavior only, when not NULL; never the
 * engine's own) with its stored continuation, state, args, status, its
 * mailbox in order, its timers, watches, links and abandoned calls
 * (docs/operations.md has the format).  fn is called with each value
 * (borrowed for the call) and returns 0 to go on or an ad_err to stop
 * with it.  All from one read snapshot.  *actors and *behaviors (may be
 * NULL) count the values of each type.  On error why (whylen bytes) says
 * what failed: stored text that is not JSON (AD_EBADJSON, naming the
 * actor), or the storage error's message.
 */
int eng_export(struct eng *e, const char *behavior,
               int (*fn)(void *ctx, const json_t *value), void *ctx,
               int64_t *actors, int64_t *behaviors, char *why, size_t whylen);

/* What eng_import added, counted over its calls. */
struct eng_import {
    int64_t actors;     /* actors imported */
    int64_t replaced;   /* of them, ones that replaced an actor here */
    int64_t messages;   /* mailbox messages */
    int64_t timers;     /* timers */
    int64_t renumbered; /* of them, ones whose id was taken here and that
                           got a new one (a state naming the old id, for
                           actor_cancel_timer, no longer finds it) */
    int64_t ties;       /* watches and links made (a tie to an actor not
                           in this database is dropped) */
    int64_t behaviors;  /* behaviour versions added */
    int64_t same;       /* behaviour versions here already, the same */
};

/*
 * Imports n values of eng_export (borrowed) in one transaction.  An actor
 * whose name is taken here is refused (AD_EEXISTS), or with replace the
 * actor here is removed first (not killed: nobody is told).  A behaviour
 * version here already must have the same source; a new one must compile.
 * On success adds what it did to *tally.  On error nothing of the n is
 * kept: *bad is the index of the value at fault (n for a storage error)
 * and why (whylen bytes) says what is wrong with it.
 */
int eng_import(struct eng *e, json_t *const *values, size_t n, int replace,
               struct eng_import *tally, size_t *bad, char *why, size_t whylen);

#endif
