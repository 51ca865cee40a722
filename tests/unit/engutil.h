/*
 * engutil.h - the fixtures the engine suites (test_eng_*.c) and the
 * standard behaviours' suite (test_behaviors.c) share: a fresh engine on
 * the test's temporary database, the behaviours written by the tests as a
 * user would (twoshape, selective, puppet, watcher, linker, waiter,
 * alarm, caller, spinner), and assertions on actors, mailboxes and dead
 * letters.  Header-only, every function static inline and every object
 * marked unused, so a suite that uses one part does not warn about the
 * rest.  A suite's main registers the behaviours it uses with
 * run_engine_suite, before run_suite initialises the engine.
 */
#ifndef ACTORD_ENGUTIL_H
#define ACTORD_ENGUTIL_H

#include <check.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "actord/behavior.h"
#include "engine/engine.h"
#include "tests/unit/testutil.h"

#define ENGUTIL_UNUSED __attribute__((unused))

/* The test's temporary database: fresh for every test (setup). */
static struct tmpdb db;

/* Calls of the behaviours below, counted in this process (reset per
 * test: under CK_FORK=no every test shares the process). */
static int twoshape_calls;
static int puppet_calls;

/* The engine a test has open, closed by teardown should the test fail
 * before it closes it (under CK_FORK=no the process goes on). */
static struct eng *open_engine;

/* The fixture of every test case (tcase below): a fresh database, the
 * counts reset; teardown closes what a failed test left open. */
static inline void
setup(void)
{
    tmpdb_init(&db);
    twoshape_calls = 0;
    puppet_calls = 0;
    open_engine = NULL;
}

static inline void
teardown(void)
{
    eng_close(open_engine);
    open_engine = NULL;
    tmpdb_cleanup(&db);
}

/* ---- behaviours defined by the test, as a user would ---- */

/*
 * twoshape: waits for {"inc": INTEGER} or {"dec": INTEGER}; state
 * {"total": N, "matched": [INDEX, ...]} records the sum and which shape
 * each message matched.  twoshape_calls counts every call of the step.
 */
static inline enum actor_step
twoshape_step(struct actor *a)
{
    json_t *st = actor_state(a);
    twoshape_calls++;
    ACTOR_BEGIN(a);
    json_object_set_new(st, "total", json_integer(0));
    json_object_set_new(st, "matched", json_array());
    for (;;) {
        ACTOR_RECEIVE(
            a, 1,
            json_pack("[{s:s}, {s:s}]", "inc", "$integer", "dec", "$integer"));
        const json_t *m = actor_message(a);
        json_int_t total = json_integer_value(json_object_get(st, "total"));
        if (actor_matched(a) == 0)
            total += json_integer_value(json_object_get(m, "inc"));
        else
            total -= json_integer_value(json_object_get(m, "dec"));
        json_object_set_new(st, "total", json_integer(total));
        json_array_append_new(json_object_get(st, "matched"),
                              json_integer(actor_matched(a)));
    }
    ACTOR_END(a);
}

static const struct behavior twoshape ENGUTIL_UNUSED = {
    .name = "twoshape",
    .version = 1,
    .doc = "test: inc and dec",
    .step = twoshape_step,
};

/* selective: takes {"b": ANY} first, then {"a": ANY}, and exits with
 * [B, A]. */
static inline enum actor_step
selective_step(struct actor *a)
{
    json_t *st = actor_state(a);
    ACTOR_BEGIN(a);
    ACTOR_RECEIVE(a, 1, json_pack("[{s:s}]", "b", "$any"));
    json_object_set_new(st, "first", json_deep_copy(actor_message(a)));
    ACTOR_RECEIVE(a, 2, json_pack("[{s:s}]", "a", "$any"));
    return actor_exit(a, json_pack("[O, o]", json_object_get(st, "first"),
                                   json_deep_copy(actor_message(a))));
    ACTOR_END(a);
}

static const struct behavior selective ENGUTIL_UNUSED = {
    .name = "selective",
    .version = 1,
    .doc = "test: b before a",
    .step = selective_step,
};

/*
 * puppet: does what each {"op": OP, ...} message says.
 *   send   actor_send(to, msg); state.send_rc = its return
 *   spawn  actor_spawn(behavior, args); appends the address (or null)
 *          to state.spawned
 *   fail   actor_fail("told to fail: WHY")
 *   exit   actor_exit(result)
 *   badshape, emptyshapes, noreceive: a receive gone wrong
 *   big    actor_send(to, a string of n bytes of x); state.big = n
 *   selfexit  sends itself a message, sets a timer, and exits
 */
static inline enum actor_step
puppet_step(struct actor *a)
{
    json_t *st = actor_state(a);
    const json_t *m;
    const char *op;
    puppet_calls++;
    ACTOR_BEGIN(a);
    for (;;) {
        ACTOR_RECEIVE(a, 1, json_pack("[{s:s}]", "op", "$string"));
        m = actor_message(a);
        op = json_string_value(json_object_get(m, "op"));
        if (strcmp(op, "send") == 0) {
            const json_t *msg = json_object_get(m, "msg");
            int rc = actor_send(a, json_object_get(m, "to"),
                                msg ? json_deep_copy(msg) : json_null());
            json_object_set_new(st, "send_rc", json_integer(rc));
        } else if (strcmp(op, "spawn") == 0) {
            const json_t *args = json_object_get(m, "args");
            json_t *addr = actor_spawn(
                a, json_string_value(json_object_get(m, "behavior")),
                args ? json_deep_copy(args) : NULL);
            json_t *list = json_object_get(st, "spawned");
            if (list == NULL) {
                list = json_array();
                json_object_set_new(st, "spawned", list);
            }
            json_array_append_new(list, addr ? addr : json_null());
        } else if (strcmp(op, "fail") == 0) {
            return actor_fail(a, "told to fail: %s",
                              json_string_value(json_object_get(m, "why")));
        } else if (strcmp(op, "exit") == 0) {
            return actor_exit(a, json_deep_copy(json_object_get(m, "result")));
        } else if (strcmp(op, "badshape") == 0) {
            return actor_receive(a, 2, json_pack("[s]", "$bogus"));
        } else if (strcmp(op, "emptyshapes") == 0) {
            return actor_receive(a, 2, json_array());
        } else if (strcmp(op, "noreceive") == 0) {
            return ACTOR_WAIT;
        } else if (strcmp(op, "selfexit") == 0) {
            /* Ties itself (a timer, mail to itself) and ends in one step. */
            json_t *self = actor_self(a);
            actor_send(a, self, json_string("to myself"));
            actor_send_after(a, self, json_string("later"), 60000, 0);
            json_decref(self);
            return actor_exit(a, json_string("bye"));
        } else if (strcmp(op, "big") == 0) {
            /* Sends "xxx...": n bytes of x. */
            json_int_t n = json_integer_value(json_object_get(m, "n"));
            char *x = calloc(1, (size_t)n + 1);
            memset(x, 'x', (size_t)n);
            actor_send(a, json_object_get(m, "to"), json_string(x));
            free(x);
            json_object_set_new(st, "big", json_integer(n));
        }
    }
    ACTOR_END(a);
}

static const struct behavior puppet ENGUTIL_UNUSED = {
    .name = "puppet",
    .version = 1,
    .doc = "test: does what it is told",
    .step = puppet_step,
};

/*
 * watcher: monitors args.target on its first step (spawning it first when
 * args.spawn names a behaviour), then exits with the first message it
 * gets: the notice.
 */
static inline enum actor_step
watcher_step(struct actor *a)
{
    const json_t *args = actor_args(a);
    ACTOR_BEGIN(a);
    {
        const char *b = json_string_value(json_object_get(args, "spawn"));
        if (b != NULL) {
            json_t *child = actor_spawn_monitor(
                a, b, json_deep_copy(json_object_get(args, "child_args")));
            if (child == NULL)
                return actor_fail(a, "spawn failed");
            json_object_set_new(actor_state(a), "child", child);
        } else if (actor_monitor(a, json_object_get(args, "target")) != 0) {
            return actor_fail(a, "not an address");
        }
    }
    ACTOR_RECEIVE(a, 1, json_pack("[s]", "$any"));
    return actor_exit(a, json_deep_copy(actor_message(a)));
    ACTOR_END(a);
}

static const struct behavior watcher ENGUTIL_UNUSED = {
    .name = "watcher",
    .version = 1,
    .doc = "test: watches args.target and exits with the notice",
    .step = watcher_step,
};

/*
 * linker: on its first step traps exits when args.trap, links to
 * args.link, kills args.kill; then exits with the first message it gets.
 */
static inline enum actor_step
linker_step(struct actor *a)
{
    const json_t *args = actor_args(a);
    ACTOR_BEGIN(a);
    if (json_is_true(json_object_get(args, "trap")))
        actor_trap_exit(a, 1);
    if (json_object_get(args, "link") &&
        actor_link(a, json_object_get(args, "link")) != 0)
        return actor_fail(a, "not an address");
    if (json_object_get(args, "kill"))
        actor_kill(a, json_object_get(args, "kill"));
    ACTOR_RECEIVE(a, 1, json_pack("[s]", "$any"));
    return actor_exit(a, json_deep_copy(actor_message(a)));
    ACTOR_END(a);
}

static const struct behavior linker ENGUTIL_UNUSED = {
    .name = "linker",
    .version = 1,
    .doc = "test: links, traps, kills, then exits with a message",
    .step = linker_step,
};

/*
 * waiter: receives {"go": ANY} with a timeout of args.ms; exits with
 * "timeout" or with the message.
 */
static inline enum actor_step
waiter_step(struct actor *a)
{
    ACTOR_BEGIN(a);
    ACTOR_RECEIVE_TIMEOUT(
        a, 1, json_pack("[{s:s}]", "go", "$any"),
        json_integer_value(json_object_get(actor_args(a), "ms")));
    if (actor_timed_out(a)) {
        ck_assert_ptr_null(actor_message(a));
        return actor_exit(a, json_string("timeout"));
    }
    return actor_exit(a, json_deep_copy(actor_message(a)));
    ACTOR_END(a);
}

static const struct behavior waiter ENGUTIL_UNUSED = {
    .name = "waiter",
    .version = 1,
    .doc = "test: a receive with a timeout",
    .step = waiter_step,
};

/*
 * alarm: sets a timer to itself, or to args.to when given ({"ring": true}
 * after args.ms, every args.every), cancels it when args.cancel, then
 * counts the rings it gets in state.
 */
static inline enum actor_step
alarm_step(struct actor *a)
{
    const json_t *args = actor_args(a);
    json_t *st = actor_state(a);
    ACTOR_BEGIN(a);
    {
        const json_t *to = json_object_get(args, "to");
        json_t *self = to ? json_deep_copy(to) : actor_self(a);
        int64_t id = actor_send_after(
            a, self, json_pack("{s:b}", "ring", 1),
            json_integer_value(json_object_get(args, "ms")),
            json_integer_value(json_object_get(args, "every")));
        json_decref(self);
        json_object_set_new(st, "timer", json_integer(id));
        json_object_set_new(st, "rings", json_integer(0));
        if (json_is_true(json_object_get(args, "cancel")))
            json_object_set_new(st, "cancelled",
                                json_integer(actor_cancel_timer(a, id)));
    }
    for (;;) {
        ACTOR_RECEIVE(a, 1, json_pack("[{s:s}]", "ring", "$any"));
        json_object_set_new(
            st, "rings",
            json_integer(json_integer_value(json_object_get(st, "rings")) + 1));
    }
    ACTOR_END(a);
}

static const struct behavior alarm_behavior ENGUTIL_UNUSED = {
    .name = "alarm",
    .version = 1,
    .doc = "test: a durable timer to itself",
    .step = alarm_step,
};

/*
 * caller: calls args.to's args.method with args.payload, waiting
 * args.ms; keeps the response (or "timeout") in state.got, then exits
 * with the next message.
 */
static inline enum actor_step
caller_step(struct actor *a)
{
    const json_t *args = actor_args(a);
    ACTOR_BEGIN(a);
    ACTOR_CALL(a, 1, json_object_get(args, "to"),
               json_string_value(json_object_get(args, "method")),
               json_deep_copy(json_object_get(args, "payload")),
               json_integer_value(json_object_get(args, "ms")));
    json_object_set_new(actor_state(a), "got",
                        actor_timed_out(a) ? json_string("timeout")
                                           : json_deep_copy(actor_message(a)));
    ACTOR_RECEIVE(a, 2, json_pack("[s]", "$any"));
    return actor_exit(a, json_deep_copy(actor_message(a)));
    ACTOR_END(a);
}

static const struct behavior caller_behavior ENGUTIL_UNUSED = {
    .name = "caller",
    .version = 1,
    .doc = "test: one call",
    .step = caller_step,
};

/* ---- helpers ---- */

/* Opens the engine on the test database with opts; one at a time. */
static inline struct eng *
open_eng_opts(const struct eng_opts *o)
{
    struct eng *e = NULL;
    ck_assert_ptr_null(open_engine);
    int err = eng_open(db.path, o, &e);
    ck_assert_msg(err == AD_OK, "eng_open: %s", ad_strerror(err));
    ck_assert_ptr_nonnull(e);
    open_engine = e;
    return e;
}

/* Opens the engine on the test database with a short busy timeout. */
static inline struct eng *
open_eng(void)
{
    struct eng_opts o = {.busy_timeout_ms = 50};
    return open_eng_opts(&o);
}

/* Closes e, opened by open_eng. */
static inline void
close_eng(struct eng *e)
{
    ck_assert_ptr_eq(e, open_engine);
    eng_close(e);
    open_engine = NULL;
}

/* Returns a new reference to the document of name; fails if absent. */
static inline json_t *
get_doc(struct eng *e, const char *name)
{
    json_t *doc = NULL;
    int err = eng_get(e, name, &doc);
    ck_assert_msg(err == AD_OK, "eng_get %s: %s", name, ad_strerror(err));
    ck_assert_ptr_nonnull(doc);
    return doc;
}

/* Asserts the status of the actor name. */
static inline void
assert_status(struct eng *e, const char *name, const char *status)
{
    json_t *doc = get_doc(e, name);
    const char *st = json_string_value(json_object_get(doc, "status"));
    ck_assert_msg(st && strcmp(st, status) == 0, "%s is %s, want %s", name,
                  st ? st : "(none)", status);
    json_decref(doc);
}

/* Asserts that field key of the document of name equals want. */
static inline void
assert_actor(struct eng *e, const char *name, const char *key, const char *want)
{
    json_t *doc = get_doc(e, name);
    assert_field(doc, key, want);
    json_decref(doc);
}

/* Spawns name of behavior with args (JSON text or NULL); fails on error. */
static inline void
spawn(struct eng *e, const char *name, const char *behavior, const char *args)
{
    json_t *a = args ? J(args) : NULL;
    json_t *doc = NULL;
    const char *why = NULL;
    int err = eng_spawn(e, name, behavior, a, &doc, &why);
    ck_assert_msg(err == AD_OK, "spawn %s: %s (%s)", name, ad_strerror(err),
                  why ? why : "");
    json_decref(doc);
    json_decref(a);
}

/* Returns eng_spawn's error for the arguments; doc must stay NULL on
 * error. */
static inline int
spawn_err(struct eng *e, const char *name, const char *behavior,
          const char *args, const char **why)
{
    json_t *a = args ? J(args) : NULL;
    json_t *doc = NULL;
    int err = eng_spawn(e, name, behavior, a, &doc, why);
    if (err != AD_OK)
        ck_assert_ptr_null(doc);
    json_decref(doc);
    json_decref(a);
    return err;
}

/* Sends the JSON text to name; returns eng_send's error. */
static inline int
send_err(struct eng *e, const char *name, const char *msg, int64_t *seq)
{
    json_t *m = J(msg);
    int err = eng_send(e, name, m, seq);
    json_decref(m);
    return err;
}

/* Sends the JSON text to name; fails on error. */
static inline void
send(struct eng *e, const char *name, const char *msg)
{
    int err = send_err(e, name, msg, NULL);
    ck_assert_msg(err == AD_OK, "send %s to %s: %s", msg, name,
                  ad_strerror(err));
}

/* Runs until nothing is runnable; returns the steps run. */
static inline long
run(struct eng *e)
{
    long steps = -1;
    int err = eng_run(e, 0, 0, &steps);
    ck_assert_msg(err == AD_OK, "eng_run: %s (%s)", ad_strerror(err),
                  eng_errmsg(e));
    ck_assert_int_ge(steps, 0);
    return steps;
}

/* Asserts the bodies of name's mailbox, in order, as a JSON array text. */
static inline void
assert_mailbox(struct eng *e, const char *name, const char *bodies)
{
    json_t *out = NULL;
    ck_assert_int_eq(eng_mailbox(e, name, 0, 0, &out), AD_OK);
    json_t *got = json_array();
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(out, "messages"), i, m)
        json_array_append(got, json_object_get(m, "body"));
    assert_json(got, bodies);
    json_decref(got);
    json_decref(out);
}

/* Asserts the dead letters, oldest first, as a JSON array text of
 * [FROM, TO, REASON, BODY] quadruples. */
static inline void
assert_dead(struct eng *e, const char *want)
{
    json_t *out = NULL;
    ck_assert_int_eq(eng_dead_letters(e, 0, 1000, &out), AD_OK);
    json_t *got = json_array();
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(out, "dead_letters"), i, d)
        json_array_append_new(got, json_pack("[O, O, O, O]",
                                             json_object_get(d, "from"),
                                             json_object_get(d, "to"),
                                             json_object_get(d, "reason"),
                                             json_object_get(d, "body")));
    assert_json(got, want);
    json_decref(got);
    json_decref(out);
}

/*
 * Asserts the two dead letters a failed actor left, both sent by from (a
 * JSON text, e.g. "\"p\""): first, unread when it failed, then last,
 * which was in its mailbox when it failed or was sent after it had
 * ended.  Returns 1 in the second case, 0 in the first.
 */
static inline int
assert_dead_after_failure(struct eng *e, const char *from, const char *first,
                          const char *last)
{
    json_t *out = NULL;
    ck_assert_int_eq(eng_dead_letters(e, 0, 1000, &out), AD_OK);
    json_t *dead = json_object_get(out, "dead_letters");
    ck_assert_int_eq(json_array_size(dead), 2);
    assert_field(json_array_get(dead, 0), "from", from);
    assert_field(json_array_get(dead, 1), "from", from);
    assert_field(json_array_get(dead, 0), "body", first);
    assert_field(json_array_get(dead, 0), "reason", "\"unread at failure\"");
    assert_field(json_array_get(dead, 1), "body", last);
    const char *why =
        json_string_value(json_object_get(json_array_get(dead, 1), "reason"));
    ck_assert(strcmp(why, "unread at failure") == 0 ||
              strcmp(why, "actor ended") == 0);
    int ended = strcmp(why, "actor ended") == 0;
    json_decref(out);
    return ended;
}

/* Runs sql on the test database through a connection of its own. */
static inline void
raw_sql(const char *sql)
{
    sqlite3 *raw = raw_open(db.path);
    raw_exec(raw, sql);
    sqlite3_close(raw);
}

/* Spawns a puppet p, runs it to its receive, tells it op, runs, and
 * returns its document (new reference). */
static inline json_t *
puppet_after(struct eng *e, const char *op)
{
    char msg[64];
    spawn(e, "p", "puppet", NULL);
    run(e);
    snprintf(msg, sizeof msg, "{\"op\": \"%s\"}", op);
    send(e, "p", msg);
    run(e);
    return get_doc(e, "p");
}

/* Asserts doc is failed with an error message containing part. */
static inline void
assert_failed_with(const json_t *doc, const char *part)
{
    assert_field(doc, "status", "\"failed\"");
    const char *msg = json_string_value(
        json_object_get(json_object_get(doc, "error"), "message"));
    ck_assert_ptr_nonnull(msg);
    ck_assert_msg(strstr(msg, part) != NULL, "error \"%s\" lacks \"%s\"", msg,
                  part);
}

/* Sleeps ms milliseconds (for receive timeouts and timers to come
 * due). */
static inline void
sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* Returns the number of timer rows in the test database. */
static inline int
count_timers(void)
{
    sqlite3 *raw = raw_open(db.path);
    int n = raw_int(raw, "SELECT count(*) FROM timers");
    sqlite3_close(raw);
    return n;
}

/* ---- the behaviour the watchdog suite spins ---- */

/*
 * spinner: on {"spin": "pure"} loops for ever in its own code; on
 * {"spin": "calls"} loops for ever calling the engine (each call a fenced
 * region, so the cut-off waits for the fence to end); on {"ok": N} adds
 * N to state.total.
 */
static inline enum actor_step
spinner_step(struct actor *a)
{
    json_t *st = actor_state(a);
    const char *how;
    volatile unsigned long spins = 0;
    ACTOR_BEGIN(a);
    for (;;) {
        ACTOR_RECEIVE(
            a, 1,
            json_pack("[{s:s}, {s:s}]", "spin", "$string", "ok", "$integer"));
        if (actor_matched(a) == 1) {
            json_object_set_new(
                st, "total",
                json_integer(json_integer_value(json_object_get(st, "total")) +
                             json_integer_value(
                                 json_object_get(actor_message(a), "ok"))));
            continue;
        }
        how = json_string_value(json_object_get(actor_message(a), "spin"));
        if (strcmp(how, "calls") == 0)
            for (;;)
                actor_cancel_timer(a, 424242);
        for (;;)
            spins++;
    }
    ACTOR_END(a);
}

static const struct behavior spinner ENGUTIL_UNUSED = {
    .name = "spinner",
    .version = 1,
    .doc = "test: loops for ever when told",
    .step = spinner_step,
};

/* Checks that every actor's stored mailbox count is its true count. */
static inline void
assert_mailbox_counts(void)
{
    sqlite3 *raw = raw_open(db.path);
    long long off =
        raw_int(raw, "SELECT count(*) FROM actors a WHERE a.mailbox != "
                     "(SELECT count(*) FROM messages m WHERE m.actor = a.id)");
    sqlite3_close(raw);
    ck_assert_int_eq(off, 0);
}

/* A new test case named name with the fixture above, limited to 60 s. */
static inline TCase *
tcase(const char *name)
{
    return tcase_with(name, setup, teardown, 60);
}

/*
 * Registers the test behaviours of used (a NULL-ended list, borrowed for
 * the life of the process) and runs the suite s (taken over) with
 * run_suite, which initialises the engine: registrations must come
 * first, since eng_init freezes the registry.  Returns what main returns.
 */
static inline int
run_engine_suite(const char *prog, const struct behavior *const *used, Suite *s)
{
    for (size_t i = 0; used != NULL && used[i] != NULL; i++)
        if (actor_register(used[i]) != 0) {
            fprintf(stderr, "%s: actor_register %s failed\n", prog,
                    used[i]->name);
            srunner_free(srunner_create(s)); /* frees s */
            return 1;
        }
    return run_suite(s);
}

#endif
