/*
 * eng_int.h - what the files of engine/ share and nobody else sees: the
 * structs behind struct eng, struct eng_group and struct actor, and the
 * eng__ functions one file of the engine calls in another.  Never
 * included outside engine/ (SQLite's vdbeInt.h pattern).
 *
 * The files, and what each may touch:
 *
 *     registry.c  the behaviours known to this process; eng_init
 *     open.c      opening and closing a connection, health
 *     helpers.c   JSON text in and out, random names, marking a step undone
 *     reads.c     actor documents, lists, mailboxes, dead letters
 *     delivery.c  putting a message in a mailbox; eng_send and group commit
 *     spawn.c     creating actors
 *     ties.c      monitors, links, how an actor ends, kills
 *     time.c      receive deadlines and timers that come due
 *     calls.c     REST calls: the reply box
 *     api.c       the behaviour API of actord/behavior.h, in its order
 *     step.c      one step: load, match, run, commit or undo
 *     run.c       eng_run: transactions of many steps
 *     upgrade.c   moving an actor onto another version of its behaviour
 *     sources.c   behaviours uploaded as source: versions, and what a
 *                 connection compiled
 *     stats.c     what this process's engines have done, for /metrics
 *     shape.c     the shape matcher (shape.h)
 *     watchdog.c  the step watchdog (watchdog.h)
 *     ops.c       the operator's tools: backup, vacuum, stats, check, gc
 *     export.c    export: actors written out to move between databases
 *     import.c    import: those actors put into this database
 *
 * Every eng__ function that writes does so inside the caller's
 * transaction; none begins or ends one.
 */
#ifndef ACTORD_ENG_INT_H
#define ACTORD_ENG_INT_H

#include <jansson.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "actord/behavior.h"
#include "engine/engine.h"
#include "store/store.h"

/* Returned by eng__step (never by a public function): the step must be
 * undone; e->abort_* say why. */
#define ENG__ABORTED 1

/* Returned by the fn of a store_transaction to roll back when nothing
 * went wrong (a dry run, a transaction with nothing to keep). */
#define ENG__UNDO 2

/* struct actor.err while a terminate or upgrade handler runs: every call
 * of the behaviour API that would change more than its state (and, for
 * terminate, its sends) does nothing. */
#define ENG__RESTRICTED 3

/* How late a due receive timeout or timer may be noticed, ms. */
#define ENG__DUE_EVERY_MS 5

/* Actors to be killed because an actor linked to them ended abnormally;
 * a queue rather than recursion, so a long chain of links cannot
 * exhaust the stack.  One per connection (struct eng.kills): filled by
 * eng__end and eng__kill_id, emptied by eng__kill_queued. */
struct eng__kill_queue {
    int64_t *ids; /* owned */
    size_t n, cap;
};

/*
 * Parsed spawn args, kept across steps (they never change while an actor
 * lives, and parsing them was a tenth of a step): a direct-mapped table
 * by actor id, each entry checked against the stored text before use, so
 * a stale one (a name spawned again) is only a miss.  Args over
 * ENG__ARGS_MAX bytes are not kept.
 */
#define ENG__ARGS_SLOTS 1024
#define ENG__ARGS_MAX 1024

struct eng__args_slot {
    int64_t id;   /* 0: empty */
    char *text;   /* owned: the stored args text */
    json_t *args; /* owned reference: the parsed args */
};

struct eng {
    struct store *st;     /* owned */
    struct eng_opts opts; /* with defaults filled in */
    int64_t running;      /* id of the actor whose step runs, or 0 */
    int running_killed;   /* 1 when a link killed it during its step */
    long running_self;    /* messages it sent itself during its step */
    /* The step to undo: eng__step returns ENG__ABORTED after
     * eng__abort, and eng_run rolls back and fails the actor. */
    int64_t abort_id;    /* the actor, or 0 */
    char abort_code[32]; /* its error code, e.g. "step_timeout" */
    char abort_msg[256]; /* and message */
    int careful;         /* 1: eng_run's next transaction puts each step
                            under a savepoint (after an undone step) */
    char *path;          /* owned: the database file */
    int64_t due_checked; /* ms since the epoch when eng_run last looked
                            for due deadlines and timers */
    struct eng__kill_queue kills; /* empty between engine calls */
    struct behavior **compiled;   /* owned: uploaded behaviours compiled
                                     on this connection (sources.c) */
    size_t ncompiled;
    struct eng__args_slot *args_cache; /* owned, ENG__ARGS_SLOTS, or NULL
                                          until first used */
    struct eng__kill_queue terminates; /* killed actors whose terminate
                                          handler is still to run; empty
                                          between engine calls */
};

/* One eng_send waiting in its group's queue. */
struct eng__group_send {
    const char *name;             /* borrowed from the caller */
    const json_t *msg;            /* borrowed from the caller */
    int64_t seq;                  /* set when delivered */
    int err;                      /* its result, once done */
    int done;                     /* 1 once committed or refused */
    pthread_cond_t wake;          /* signalled when done, or to lead */
    struct eng__group_send *next; /* the queue */
};

struct eng_group {
    pthread_mutex_t write_mu;     /* held through every write transaction */
    pthread_mutex_t mu;           /* guards what follows */
    struct eng__group_send *head; /* sends not yet taken by a leader */
    struct eng__group_send **tail;
    int leading;      /* 1 while a leader commits a batch */
    struct eng *conn; /* owned: the connection leaders write on,
                         so its page cache stays warm; or NULL */
};

/* The running actor of one step (struct actor of behavior.h). */
struct actor {
    struct eng *e;             /* borrowed */
    const struct behavior *b;  /* borrowed: the behaviour it runs */
    struct store_actor *row;   /* borrowed: the stored actor */
    json_t *args;              /* owned */
    json_t *state;             /* owned */
    json_t *msg;               /* owned: the matched message, or NULL */
    int matched;               /* index of the matched shape */
    int point;                 /* resume point set by actor_receive */
    json_t *shapes;            /* owned: set by actor_receive */
    json_t *result;            /* owned: set by actor_exit */
    json_t *error;             /* owned: set by actor_fail */
    int64_t deadline;          /* set by actor_receive_timeout: ms since the
                                  epoch, or 0 */
    int timed_out;             /* 1 when this step resumes from a timeout */
    int64_t hops;              /* hops of the message this step consumes */
    int err;                   /* first storage error of the step, or 0 */
    json_t *outbox;            /* owned: while terminate runs, what it sends,
                                  [[NAME, MESSAGE], ...]; else NULL */
    const json_t *reason;      /* borrowed: while terminate runs, why */
    const json_t *waiting_for; /* borrowed: the shapes the step resumed
                                  from, or NULL */
};

/* ---- registry.c ---- */

/* Returns the registered behaviour named name, or NULL (borrowed). */
const struct behavior *eng__behavior(const char *name);

/* 1 once eng_init has run. */
int eng__initialized(void);

/* 1 when name is a behaviour name: 1-64 of a-z 0-9 _, not starting with
 * _ (those are the engine's own, such as REST calls' reply boxes). */
int eng__behavior_name_valid(const char *name);

/* ---- sources.c ---- */

/* The language of uploaded behaviours, or NULL (borrowed). */
const struct eng_language *eng__language(void);

/*
 * The behaviour name runs, at version (0: the newest): a registered one
 * (whatever its version: the caller compares), or an uploaded one,
 * compiled from the store on first use by e and kept until eng_close.
 * NULL when there is none.  Inside the caller's transaction.
 */
const struct behavior *eng__behavior_at(struct eng *e, const char *name,
                                        int version);

/* Checks spawn args for an uploaded behaviour b: NULL, or why (in the
 * len bytes of why).  NULL for a registered one. */
const char *eng__check_uploaded(const struct behavior *b, const json_t *args,
                                char *why, size_t len);

/* Releases what e compiled. */
void eng__compiled_free(struct eng *e);

/* 1 when b is an uploaded behaviour (not a registered one). */
int eng__uploaded(const struct behavior *b);

/* Forgets b, compiled by e and cut off by the watchdog in the middle of
 * a call: it is kept reachable, never used or freed again. */
void eng__compiled_abandon(struct eng *e, const struct behavior *b);

/* ---- helpers.c ---- */

/* Returns new compact JSON text of v (any value), or NULL. */
char *eng__dump(const json_t *v);

/* Parses len bytes of stored JSON text with jansson's flags into *out
 * (new).  Returns 0, AD_ENOMEM when an allocation failed on the way, or
 * AD_EBADJSON when the text is not JSON (edited behind our back). */
int eng__parse(const char *text, size_t len, size_t flags, json_t **out);

/* Sets *out to a new reference to the args of actor id, stored as text:
 * from the args cache, or parsed (and kept).  Returns as eng__parse. */
int eng__args(struct eng *e, int64_t id, const char *text, json_t **out);

/* Drops the cache's entry for id without releasing its object (the step
 * watchdog keeps it: see wd_abandon). */
void eng__args_abandon(struct eng *e, int64_t id);

/* Frees the args cache. */
void eng__args_free(struct eng *e);

/* Returns a new reference to the JSON in text, or, should the stored
 * text not be JSON, the text as a JSON string, so a document still shows
 * it; NULL when out of memory.  NULL text gives JSON null. */
json_t *eng__load(const char *text);

/* Replaces *field (owned text) with the JSON text of v (borrowed; NULL
 * makes it NULL). */
int eng__set_text(char **field, const json_t *v);

/* 64 random bits, for generated names and call ids. */
unsigned long long eng__random64(void);

/* Writes a fresh random name "a-" + 16 hex digits into buf. */
void eng__random_name(char *buf, size_t len);

/* Marks the step of actor id to be undone, its actor to fail with error
 * code and the message of fmt.  The first reason of a step stands. */
void eng__abort(struct eng *e, int64_t id, const char *code, const char *fmt,
                ...) __attribute__((format(printf, 4, 5)));

/* ---- reads.c ---- */

/* Returns a new actor document for row a (as loaded: its mailbox count
 * is the stored one), or NULL. */
json_t *eng__doc(const struct store_actor *a);

/* Loads the document of name into *doc (new), inside the caller's
 * transaction. */
int eng__doc_by_name(struct eng *e, const char *name, json_t **doc);

/* ---- delivery.c ---- */

/*
 * Appends msg (borrowed) to the mailbox of the actor named to, and makes
 * the receiver runnable when it waits for a message of this shape.
 * sender may be NULL; hops counts steps from the outside world.  Sets
 * *seq (may be NULL).  Returns 0, AD_ENOTFOUND, AD_EDEAD, AD_EMAILBOX,
 * AD_ETOOLARGE or a storage error.
 */
int eng__deliver(struct eng *e, const char *to, const char *sender,
                 const json_t *msg, int64_t hops, int64_t *seq);

/* Why a message that eng__deliver refused with err becomes a dead
 * letter rather than an error of the sender, or NULL when it does not. */
const char *eng__undeliverable(int err);

/*
 * Delivers msg (borrowed) as eng__deliver does, for the engine and
 * behaviours: what cannot be delivered becomes a dead letter instead
 * (reason why, when not NULL, without trying).  *refused (may be NULL)
 * is 0 when it was delivered, else why not (AD_ENOTFOUND, AD_EDEAD,
 * AD_EMAILBOX; AD_EMAILBOX too for a reason given).  Returns 0 or a
 * storage error.
 */
int eng__deliver_or_bury(struct eng *e, const char *to, const char *sender,
                         const json_t *msg, int64_t hops, const char *why,
                         int *refused);

/* ---- spawn.c ---- */

/* Checks behaviour name (may be NULL) at version (0: the newest, or the
 * registered one) and args (borrowed, object or NULL) as a spawn on e
 * (NULL: registered behaviours only) does; sets *b.  Returns 0, AD_EBEHAVIOR,
 * AD_EBADARGS (then *why, may be NULL, is a sentence valid until the thread's
 * next check) or AD_ENOMEM. */
int eng__check_spawn(struct eng *e, const char *behavior, int version,
                     const json_t *args, const struct behavior **b,
                     const char **why);

/*
 * Inserts a runnable actor name of behaviour b with args (borrowed, may
 * be NULL).  An ended actor of that name is replaced; a live one is
 * AD_EEXISTS.  *new_id (may be NULL) is its row id; *doc (doc may be
 * NULL) its document as eng__doc makes it, from the row as inserted
 * rather than read back.
 */
int eng__create(struct eng *e, const char *name, const struct behavior *b,
                const json_t *args, int64_t *new_id, json_t **doc);

/* ---- ties.c ---- */

/* Returns the new notice that the actor name ended, {key: value,
 * "address": {"$address": name}} (value borrowed), or NULL. */
json_t *eng__notice(const char *key, const json_t *value, const char *name);

/* A new reference to the exception a killed actor's watchers are told. */
json_t *eng__killed_error(void);

/*
 * What watching or linking to a target that is gone tells at once: for
 * the actor *t when it has ended, or for no actor (found 0), sets *key to
 * "exit" or "exception" and returns a new reference to the value.
 * Returns NULL (and sets nothing) when t is live.
 */
json_t *eng__gone_value(int found, const struct store_actor *t,
                        const char **key);

/*
 * Ends row (in memory: the caller saves it) with status exited, failed or
 * killed and value (borrowed) as its result or error: its unread mail
 * becomes dead letters, its timers go, and its watchers and links are
 * told; linked actors that must die with it are queued on e->kills
 * (eng__kill_queued kills them).
 */
int eng__end(struct eng *e, struct store_actor *row, enum store_status status,
             const json_t *value);

/*
 * Kills the live actor id (status killed, mailbox buried, watchers and
 * links told) and every actor its links take with it.  AD_EDEAD when it
 * had ended already.  The actor whose step is running is only marked;
 * its step ends it.
 */
int eng__kill(struct eng *e, int64_t id);

/* Kills every actor queued on e->kills, and those their links queue,
 * and leaves the queue empty, also on error. */
int eng__kill_queued(struct eng *e);

/*
 * Runs the terminate handler of every actor killed since the last call
 * (queued on e->terminates by eng__end), each under the watchdog, and
 * leaves the queue empty.  Called where no behaviour runs: by eng_kill,
 * and by a step's commit for the kills the step made.  A handler's sends
 * are delivered when it returns; one cut off sends nothing.  Returns 0
 * or a storage error.
 */
int eng__terminate_queued(struct eng *e);

/* ---- time.c ---- */

/*
 * At most every ENG__DUE_EVERY_MS: receives whose deadline has passed
 * become runnable, and due timers send their messages (a dead letter
 * when the target is unknown or ended).  *fired counts the timers.
 */
int eng__due(struct eng *e, long *fired);

/* ---- step.c ---- */

/*
 * Runs one step of the runnable actor id inside the caller's write
 * transaction; when e->careful, under a savepoint, so that a step to be
 * undone is undone alone and its actor fails in the same transaction.
 * Returns 0 (also when there was nothing to do), ENG__ABORTED (not
 * careful: roll back and run the transaction again with care), or a
 * storage error, after which the caller must roll back.
 */
int eng__step_guarded(struct eng *e, int64_t id);

/* ---- stats.c ---- */

/* One step of secs seconds was run. */
void eng__stat_step(double secs);

/* One message was put in a mailbox. */
void eng__stat_message(void);

/* 1 when shapes text (JSON) should stay inline in the actor's row rather
 * than be interned: shapes with a literal (a call waits for its own call
 * id) seldom repeat, and interned rows are never deleted. */
int eng__shapes_inline(const char *text);

#endif
