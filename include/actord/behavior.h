/*
 * actord/behavior.h - the behaviour API: the one header a behaviour needs.
 *
 * A behaviour is a stackless coroutine.  The engine calls its step function
 * once per step; the step runs from the actor's resume point until it
 * waits in a receive, exits or fails, and returns.  Nothing survives on the
 * C stack between steps: what must outlive a step lives in the actor's
 * JSON state.  Resume points are numbers chosen by the behaviour's author,
 * stable across builds (never __LINE__); the engine stores them.
 *
 *     static enum actor_step
 *     echo_step(struct actor *a)
 *     {
 *         ACTOR_BEGIN(a);
 *         for (;;) {
 *             ACTOR_RECEIVE(a, 1, json_pack("[s]", "$any"));
 *             actor_send(a, json_object_get(actor_message(a), "to"),
 *                        json_incref(actor_message(a)));
 *         }
 *         ACTOR_END(a);
 *     }
 *
 * Local variables do not survive ACTOR_RECEIVE; keep them in the state.
 * Behaviours must not block, sleep or do I/O: they compute and return.
 *
 * JSON follows jansson's ownership rules: "borrowed" pointers stay valid
 * until the step returns; "steals" means the callee takes the reference.
 */
#ifndef ACTORD_BEHAVIOR_H
#define ACTORD_BEHAVIOR_H

#include <jansson.h>
#include <stdint.h>

/*
 * The ABI of this header: the layout of struct behavior and struct
 * actor_plugin and the functions below.  It changes whenever any of them
 * changes incompatibly; a plugin built against another ABI is refused
 * before any of its code runs.
 */
#define ACTOR_ABI_VERSION 1

/* The longest timer delay or period, and the longest receive timeout:
 * a year (of 366 days), in ms. */
#define ACTOR_MAX_DELAY_MS (366LL * 24 * 3600 * 1000)

/* The running actor during one step; owned by the engine. */
struct actor;

/* What a step returns: how it stopped. */
enum actor_step {
    ACTOR_WAIT = 1, /* waiting in a receive (set by actor_receive) */
    ACTOR_EXIT,     /* returned (set by actor_exit) */
    ACTOR_FAIL,     /* raised an error (set by actor_fail) */
    ACTOR_STRANDED, /* the resume point is unknown to this build: the
                       engine undoes nothing, consumes nothing, and
                       stops running the actor (set by ACTOR_END) */
};

struct behavior {
    const char *name; /* registry name: 1-64 of a-z 0-9 _, not starting
                         with _ (the engine's own) */
    int version;      /* bump when stored state or resume points change
                         incompatibly; actors stored by another version
                         are not run (they are reported as stranded) */
    const char *doc;  /* one line for GET /behaviors */
    /* Optional.  Checks spawn args (borrowed, an object) before anything
     * is stored.  Returns NULL when they are fine, or a static sentence
     * saying what is wrong (the spawn answers 422 bad_args). */
    const char *(*check_args)(const json_t *args);
    /* Runs one step.  Must end by returning the value of actor_receive,
     * actor_exit or actor_fail (the ACTOR_* macros do). */
    enum actor_step (*step)(struct actor *a);
    /* Optional.  Runs when the actor is killed (DELETE, actor_kill, or a
     * linked actor's failure when it does not trap exits), inside the
     * kill's transaction and under the step budget, with reason (borrowed)
     * the error it ends with.  It may send and spawn, and read and change
     * its state (stored as the actor's final state); it cannot undo the
     * kill (actor_receive and actor_exit change nothing there; after
     * actor_fail its sends and state are dropped, the kill stands).  A
     * terminate that runs over the step budget is cut off: its sends are
     * undone, the kill stands. */
    void (*terminate)(struct actor *a, const json_t *reason);
    /* Optional.  Moves an actor stored by an older version from_version
     * of this behaviour, waiting at resume point point, onto this version
     * (POST /actors/NAME/upgrade): it may rewrite the state, and returns
     * the resume point of this version to go on at, or -1 to refuse (the
     * upgrade fails and nothing changes).  Without it, an actor of
     * another version stays stranded; it is never reset. */
    int (*upgrade)(struct actor *a, int from_version, int point);
    /* The behaviour's own, for a step function that serves many
     * behaviours (actor_behavior gives it back); the engine never reads
     * it. */
    void *data;
};

/*
 * A plugin: a shared object built against this header
 * (cc -shared -fPIC), loaded by actord and actorctl at start
 * (--load FILE, --plugin-dir DIR) and never unloaded.  It defines one
 * symbol, with ACTOR_PLUGIN:
 *
 *     static int
 *     bank_init(void)
 *     {
 *         return actor_register(&account);
 *     }
 *     ACTOR_PLUGIN("bank", bank_init)
 *
 * The loader reads abi before calling anything in the plugin and refuses
 * one built for another ACTOR_ABI_VERSION; then it calls init, which
 * registers the plugin's behaviours and returns 0, or not 0 to refuse to
 * load (actord then does not start).
 */
struct actor_plugin {
    int abi;          /* ACTOR_ABI_VERSION the plugin was built with */
    const char *name; /* for messages */
    int (*init)(void);
};

#define ACTOR_PLUGIN(name, init)                                               \
    const struct actor_plugin actor_plugin = {ACTOR_ABI_VERSION, (name),       \
                                              (init)};

/*
 * Registers b (borrowed for the life of the process) under b->name.
 * Call before eng_init (a plugin calls it from its init).  Returns 0, or
 * -1 when b has no name or step, the name is not 1-64 of a-z 0-9 _, the
 * name is taken, or the engine is initialised already.
 */
int actor_register(const struct behavior *b);

/* The resume point this step starts at: 0 on the first step. */
int actor_resume_point(struct actor *a);

/* The behaviour this actor runs (borrowed; the one registered). */
const struct behavior *actor_behavior(struct actor *a);

/* The actor's own name (borrowed). */
const char *actor_name(struct actor *a);

/* A new reference to the actor's address, {"$address": NAME}. */
json_t *actor_self(struct actor *a);

/* The spawn args: a borrowed object, the same on every step. */
const json_t *actor_args(struct actor *a);

/* The state: a borrowed object the step may change in place.  It is {} on
 * the first step; what it holds when the step returns is stored. */
json_t *actor_state(struct actor *a);

/* Replaces the state with state (stolen; must be an object). */
void actor_set_state(struct actor *a, json_t *state);

/* The message that the receive this step resumes from matched (borrowed),
 * or NULL on the first step. */
const json_t *actor_message(struct actor *a);

/* The shapes of the receive this step resumes from (borrowed: a JSON
 * array), or NULL on the first step. */
const json_t *actor_waiting_for(struct actor *a);

/* The index, in the receive's shape list, of the shape that matched. */
int actor_matched(struct actor *a);

/*
 * Sends msg (stolen) to the actor at address to (borrowed: an address
 * object {"$address": NAME} or a plain name string).  The message is
 * delivered when this step commits.  Returns ACTOR_SENT, or -1 when to is
 * not an address; a message to an actor that has ended (ACTOR_SENT_DEAD)
 * or does not exist (ACTOR_SENT_UNKNOWN), or that a limit refuses
 * (ACTOR_SENT_REFUSED), is kept as a dead letter, and the sender may then
 * fail, as python-actors raised DeadActor.
 */
int actor_send(struct actor *a, const json_t *to, json_t *msg);

/* What actor_send returns beside -1. */
enum {
    ACTOR_SENT = 0,         /* in the receiver's mailbox when this commits */
    ACTOR_SENT_DEAD = 1,    /* the receiver has ended: a dead letter */
    ACTOR_SENT_UNKNOWN = 2, /* no actor has that name: a dead letter */
    ACTOR_SENT_REFUSED = 3, /* its mailbox is full, or the message went
                               too many hops: a dead letter */
};

/*
 * Spawns an actor of the named behaviour with args (stolen; NULL means
 * {}), with a fresh name derived from this actor's.  It starts when this
 * step commits.  Returns a new reference to its address, or NULL when the
 * behaviour is unknown or refused the args (then the step should fail).
 */
json_t *actor_spawn(struct actor *a, const char *behavior, json_t *args);

/*
 * Watches the actor at address target (borrowed): when it ends this actor
 * is sent {"exit": RESULT, "address": A} (it returned) or {"exception":
 * ERROR, "address": A} (it failed or was killed).  Watching an actor that
 * has already ended, or does not exist, sends the notice at once.
 * Returns 0, or -1 when target is not an address.
 */
int actor_monitor(struct actor *a, const json_t *target);

/*
 * Links this actor and the actor at target (borrowed), both ways, as in
 * Erlang.  When either ends, the other is sent {"exit": RESULT,
 * "address": A} if it returned; if it failed or was killed, the other is
 * killed too, unless it traps exits (actor_trap_exit), in which case it
 * is sent {"exception": ERROR, "address": A}.  Linking to an actor that
 * has ended, or does not exist, acts at once.  Returns 0, or -1 when
 * target is not an address.
 */
int actor_link(struct actor *a, const json_t *target);

/* Removes the link between this actor and target, both ways.  Returns
 * 0, or -1 when target is not an address. */
int actor_unlink(struct actor *a, const json_t *target);

/*
 * As actor_spawn, under the given name: an ended actor of that name is
 * replaced (its mailbox is already dead letters).  Returns NULL as
 * actor_spawn does, and also when a live actor has the name or the name
 * is not valid.
 */
json_t *actor_spawn_named(struct actor *a, const char *name,
                          const char *behavior, json_t *args);

/*
 * A durable timer: sends msg (stolen) to the actor at address to
 * (borrowed) after ms milliseconds, and then every every_ms ms when
 * every_ms > 0, from this actor.  Timers are rows indexed by due time:
 * they fire after a restart too, late but never lost nor twice, and a
 * repeating timer that missed periods fires once and keeps its period.
 * They end when this actor ends.  Returns the timer's id (for
 * actor_cancel_timer), or 0 when to is not an address or a delay is
 * below 0 or over ACTOR_MAX_DELAY_MS.
 */
int64_t actor_send_after(struct actor *a, const json_t *to, json_t *msg,
                         long long ms, long long every_ms);

/* Cancels this actor's timer id.  Returns 1 when it was pending. */
int actor_cancel_timer(struct actor *a, int64_t id);

/*
 * Answers call, a call message {"call": ID, "method": M, "address": A,
 * "message": P} (borrowed), with {"response": ID, "message": result}
 * (result stolen; NULL means null).  Returns 0, or -1 when call is not a
 * call message.
 */
int actor_respond(struct actor *a, const json_t *call, json_t *result);

/* As actor_respond, with {"response": ID, "exception": error}. */
int actor_respond_exception(struct actor *a, const json_t *call, json_t *error);

/* As actor_respond, with {"response": ID, "invalid_method": M}. */
int actor_respond_invalid_method(struct actor *a, const json_t *call);

/*
 * Calls the actor at to (borrowed): sends {"call": ID, "method": method,
 * "address": self, "message": payload (stolen; NULL means null)} and
 * waits, at point, up to timeout_ms for {"response": ID, ...}.  On
 * resume actor_message is the response, or NULL with actor_timed_out
 * true; a response that arrives after the timeout becomes a dead letter
 * (reason "late reply"), never a stray message.  Use ACTOR_CALL.
 */
enum actor_step actor_call(struct actor *a, int point, const json_t *to,
                           const char *method, json_t *payload,
                           long long timeout_ms);

/*
 * One method of a server (as python-actors' Server): fn answers payload
 * (borrowed; null when the call had none) with a new reference to the
 * result, or returns NULL and sets *exception to a new reference to an
 * error document.
 */
struct actor_method {
    const char *name;
    json_t *(*fn)(struct actor *a, const json_t *payload, json_t **exception);
};

/*
 * Answers call (borrowed) by calling the method of that name in methods
 * (an array ended by {NULL, NULL}): its result, its exception, or
 * invalid_method when there is none.  Returns 0, or -1 when call is not
 * a call message.
 */
int actor_dispatch(struct actor *a, const json_t *call,
                   const struct actor_method *methods);

/* 1 when a behaviour of that name is registered (for check_args). */
int actor_behavior_known(const char *name);

/*
 * Checks args (borrowed: an object, or NULL for {}) as a spawn of the
 * behaviour named behavior would check them, so that the check_args of a
 * behaviour that spawns others (a supervisor) can refuse a bad child spec
 * at its own spawn.  Returns NULL when that spawn would take them, or a
 * static sentence saying why not: behavior is not registered, args is
 * not an object, or what the behaviour's check_args returned.  Has no
 * effect; may be called from check_args and from a step.
 */
const char *actor_check_args(const char *behavior, const json_t *args);

/* The wall clock, ms since the epoch, for behaviours that keep time in
 * their state (restart intensity, say). */
int64_t actor_now(struct actor *a);

/* actor_spawn and actor_link of the child in one atomic step. */
json_t *actor_spawn_link(struct actor *a, const char *behavior, json_t *args);

/* With on, exit notices of linked actors arrive as messages instead of
 * killing this actor.  Stored with the actor. */
void actor_trap_exit(struct actor *a, int on);

/*
 * Kills the actor at target (borrowed) when this step commits: status
 * killed, its watchers and links told.  Killing oneself is allowed (the
 * step's effects stand).  An unknown or ended target is left alone.
 * Returns 0, or -1 when target is not an address.
 */
int actor_kill(struct actor *a, const json_t *target);

/* actor_spawn and actor_monitor of the child in one atomic step. */
json_t *actor_spawn_monitor(struct actor *a, const char *behavior,
                            json_t *args);

/*
 * Waits for a message matching one of shapes (stolen: a JSON array of
 * shapes, see docs/shapes.md), to resume at point.  Returns ACTOR_WAIT, or
 * ACTOR_FAIL when the shapes are malformed.  Use ACTOR_RECEIVE.
 */
enum actor_step actor_receive(struct actor *a, int point, json_t *shapes);

/*
 * As actor_receive, with a timeout of ms milliseconds (0: poll the
 * mailbox and go on at once).  The deadline is stored with the
 * continuation and fires after a restart too.  When no message matched
 * in time, the step resumes at point with actor_timed_out true and
 * actor_message NULL.  A timeout below 0 or over ACTOR_MAX_DELAY_MS fails
 * the actor.  Use ACTOR_RECEIVE_TIMEOUT.
 */
enum actor_step actor_receive_timeout(struct actor *a, int point,
                                      json_t *shapes, long long ms);

/* 1 when this step resumes from a receive that timed out, else 0. */
int actor_timed_out(struct actor *a);

/* Ends the actor with result (stolen; NULL means null).  Returns
 * ACTOR_EXIT. */
enum actor_step actor_exit(struct actor *a, json_t *result);

/* Ends the actor with an error {"message": TEXT}.  Returns ACTOR_FAIL. */
enum actor_step actor_fail(struct actor *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Helpers for reading args. */
/* Returns the address name inside v ({"$address": NAME} or a string),
 * borrowed, or NULL. */
const char *actor_address_name(const json_t *v);

/*
 * The coroutine macros.  Points are positive integers, unique within the
 * behaviour (the compiler rejects duplicates: they are case labels).
 */
#define ACTOR_BEGIN(a)                                                         \
    switch (actor_resume_point(a)) {                                           \
    case 0:

#define ACTOR_RECEIVE(a, point, shapes)                                        \
    do {                                                                       \
        return actor_receive((a), (point), (shapes));                          \
    case (point):;                                                             \
    } while (0)

#define ACTOR_RECEIVE_TIMEOUT(a, point, shapes, ms)                            \
    do {                                                                       \
        return actor_receive_timeout((a), (point), (shapes), (ms));            \
    case (point):;                                                             \
    } while (0)

#define ACTOR_CALL(a, point, to, method, payload, ms)                          \
    do {                                                                       \
        return actor_call((a), (point), (to), (method), (payload), (ms));      \
    case (point):;                                                             \
    } while (0)

#define ACTOR_END(a)                                                           \
    return actor_exit((a), NULL);                                              \
    default:                                                                   \
        return ACTOR_STRANDED;                                                 \
        }

#endif
