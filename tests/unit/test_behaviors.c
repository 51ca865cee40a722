/*
 * test_behaviors.c - the Check suite of behaviors/standard.c: each of
 * the eight standard behaviours (counter, collector, forwarder, ring,
 * gather, ticker, supervisor, timer) driven through the public engine
 * API as fcgi/ drives it (eng_spawn, eng_send, eng_run, eng_get,
 * eng_call_*, eng_kill), with the refusals of its check_args.  Behaviours
 * that keep time are waited for with a bounded loop, never timed.
 */
#include "engine/engine.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "actord/behavior.h"
#include "tests/unit/engutil.h"

/* Runs a ring of n forwarders named "r" to the end. */
static void
ring_case(int n, const char *message)
{
    struct eng *e = open_eng();
    char args[128];
    snprintf(args, sizeof args, "{\"n\": %d, \"message\": %s}", n, message);
    spawn(e, "r", "ring", args);
    long steps = run(e);
    /* The ring, n forwarders' first steps, n forwards and the return. */
    ck_assert_int_ge(steps, 2 * n + 2);
    json_t *doc = get_doc(e, "r");
    assert_field(doc, "status", "\"exited\"");
    assert_field(doc, "result", message);
    assert_field(doc, "mailbox", "0");
    json_decref(doc);
    char name[32];
    snprintf(name, sizeof name, "r.%d", n);
    assert_status(e, name, "exited");
    assert_status(e, "r.1", "exited");
    snprintf(name, sizeof name, "r.%d", n + 1);
    json_t *none = NULL;
    ck_assert_int_eq(eng_get(e, name, &none), AD_ENOTFOUND);
    json_t *out = NULL;
    ck_assert_int_eq(eng_list(e, "forwarder", "exited", NULL, 1000, &out),
                     AD_OK);
    ck_assert_int_eq(json_array_size(json_object_get(out, "actors")),
                     (size_t)n);
    json_decref(out);
    close_eng(e);
}

START_TEST(test_counter)
{
    struct eng *e = open_eng();
    spawn(e, "c", "counter", "{\"start\": 5}");
    run(e);
    send(e, "c", "{\"add\": 2}");
    send(e, "c", "{\"foo\": 1}");
    send(e, "c", "{\"add\": \"x\"}");
    send(e, "c", "{\"add\": 3}");
    send(e, "c", "{\"add\": 1.5}");
    run(e);
    json_t *doc = get_doc(e, "c");
    assert_field(doc, "state", "{\"count\": 10}");
    assert_field(doc, "status", "\"waiting\"");
    assert_field(doc, "mailbox", "3");
    json_decref(doc);
    assert_mailbox(e, "c", "[{\"foo\": 1}, {\"add\": \"x\"}, {\"add\": 1.5}]");

    /* Messages it does not want do not make it runnable. */
    send(e, "c", "\"nope\"");
    assert_status(e, "c", "waiting");
    ck_assert_int_eq(run(e), 0);
    send(e, "c", "{\"add\": -10}");
    assert_status(e, "c", "runnable");
    ck_assert_int_eq(run(e), 1);
    assert_actor(e, "c", "state", "{\"count\": 0}");
    assert_mailbox(e, "c",
                   "[{\"foo\": 1}, {\"add\": \"x\"}, {\"add\": 1.5}, "
                   "\"nope\"]");
    close_eng(e);
}
END_TEST

START_TEST(test_counter_overflow_fails)
{
    struct eng *e = open_eng();
    spawn(e, "c", "counter", "{\"start\": 9223372036854775807}");
    run(e);
    send(e, "c", "{\"add\": 1}");
    run(e);
    json_t *doc = get_doc(e, "c");
    assert_field(doc, "status", "\"failed\"");
    const char *msg = json_string_value(
        json_object_get(json_object_get(doc, "error"), "message"));
    ck_assert_ptr_nonnull(msg);
    ck_assert_ptr_nonnull(strstr(msg, "overflow"));
    json_decref(doc);
    close_eng(e);
}
END_TEST

START_TEST(test_collector_order)
{
    struct eng *e = open_eng();
    spawn(e, "c", "collector", NULL);
    static const char *const msgs[] = {
        "1", "\"two\"", "{\"three\": 3}", "[4]", "null", "false", "1.5"};
    for (size_t i = 0; i < sizeof msgs / sizeof msgs[0]; i++)
        send(e, "c", msgs[i]);
    run(e);
    json_t *doc = get_doc(e, "c");
    assert_field(doc, "state",
                 "{\"messages\": [1, \"two\", {\"three\": 3}, [4], null, "
                 "false, 1.5]}");
    assert_field(doc, "mailbox", "0");
    assert_field(doc, "status", "\"waiting\"");
    json_decref(doc);
    close_eng(e);
}
END_TEST

START_TEST(test_forwarder)
{
    struct eng *e = open_eng();
    spawn(e, "sink", "collector", NULL);
    spawn(e, "once", "forwarder",
          "{\"to\": {\"$address\": \"sink\"}, \"once\": true}");
    spawn(e, "many", "forwarder", "{\"to\": \"sink\"}");
    send(e, "once", "{\"hello\": [1, 2]}");
    send(e, "once", "\"left behind\"");
    run(e);
    json_t *doc = get_doc(e, "once");
    assert_field(doc, "status", "\"exited\"");
    assert_field(doc, "result", "{\"hello\": [1, 2]}");
    json_decref(doc);
    /* What the forwarder left unread became a dead letter. */
    assert_mailbox(e, "once", "[]");
    assert_dead(e, "[[null, \"once\", \"unread at exit\", "
                   "\"left behind\"]]");
    ck_assert_int_eq(send_err(e, "once", "1", NULL), AD_EDEAD);

    send(e, "many", "1");
    send(e, "many", "2");
    run(e);
    assert_status(e, "many", "waiting");
    assert_actor(e, "sink", "state",
                 "{\"messages\": [{\"hello\": [1, 2]}, 1, 2]}");
    close_eng(e);
}
END_TEST

START_TEST(test_ring_1)
{
    ring_case(1, "\"hop\"");
}
END_TEST

START_TEST(test_ring_100)
{
    ring_case(100, "{\"m\": [1, {\"$address\": \"x\"}]}");
}
END_TEST

/* ---- helpers of this suite ---- */

/* Asserts that spawning behavior with args (JSON text) is refused as
 * AD_EBADARGS with a reason, and stores nothing. */
static void
assert_bad_args(struct eng *e, const char *behavior, const char *args)
{
    const char *why = NULL;
    int err = spawn_err(e, "bad", behavior, args, &why);
    ck_assert_msg(err == AD_EBADARGS, "%s %s: %s, want bad args", behavior,
                  args, ad_strerror(err));
    ck_assert_msg(why != NULL && *why != '\0', "%s %s: no reason", behavior,
                  args);
    json_t *none = NULL;
    ck_assert_int_eq(eng_get(e, "bad", &none), AD_ENOTFOUND);
}

/* Calls method of the actor name from outside with payload (JSON text or
 * NULL) as fcgi/ does, runs, and returns the reply (new reference). */
static json_t *
call(struct eng *e, const char *name, const char *method, const char *payload)
{
    char box[ENG_CALL_ID_LEN + 8], id[ENG_CALL_ID_LEN];
    json_t *p = payload ? J(payload) : NULL;
    ck_assert_int_eq(eng_call_begin(e, name, method, p, box, id), AD_OK);
    json_decref(p);
    run(e);
    json_t *reply = NULL;
    ck_assert_int_eq(eng_call_poll(e, name, box, &reply), AD_OK);
    ck_assert_msg(reply != NULL, "%s did not answer %s", name, method);
    ck_assert_str_eq(json_string_value(json_object_get(reply, "response")), id);
    ck_assert_int_eq(eng_call_end(e, box), AD_OK);
    return reply;
}

/* The integer state[key] of the actor name. */
static json_int_t
state_int(struct eng *e, const char *name, const char *key)
{
    json_t *doc = get_doc(e, name);
    json_int_t v =
        json_integer_value(json_object_get(json_object_get(doc, "state"), key));
    json_decref(doc);
    return v;
}

/* Conditions for run_until: arg is an actor name. */
static int
is_ended(struct eng *e, const char *arg)
{
    json_t *doc = get_doc(e, arg);
    int ended = eng_doc_ended(doc);
    json_decref(doc);
    return ended;
}

static int
ticked_thrice(struct eng *e, const char *arg)
{
    return state_int(e, arg, "ticks") >= 3;
}

static int
collected_thrice(struct eng *e, const char *arg)
{
    json_t *doc = get_doc(e, arg);
    size_t n = json_array_size(
        json_object_get(json_object_get(doc, "state"), "messages"));
    json_decref(doc);
    return n >= 3;
}

/* Runs e, 5 ms apart, until done(e, arg) holds, for at most 2000 rounds
 * and 20 s: time-driven behaviours are waited for, never timed.  Fails
 * the test when done never held. */
static void
run_until(struct eng *e, int (*done)(struct eng *, const char *),
          const char *arg)
{
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < 2000; i++) {
        run(e);
        if (done(e, arg))
            return;
        clock_gettime(CLOCK_MONOTONIC, &t);
        if (t.tv_sec - t0.tv_sec > 20)
            break;
        sleep_ms(5);
    }
    ck_abort_msg("%s: the condition never held", arg);
}

/* ---- counter ---- */

START_TEST(test_counter_calls)
{
    struct eng *e = open_eng();
    spawn(e, "c", "counter", "{\"start\": 10}");
    json_t *r = call(e, "c", "get", NULL);
    assert_field(r, "message", "10");
    json_decref(r);
    r = call(e, "c", "add", "-4");
    assert_field(r, "message", "6");
    json_decref(r);
    r = call(e, "c", "add", "\"x\"");
    assert_field(r, "exception",
                 "{\"message\": \"add takes an integer payload\"}");
    json_decref(r);
    r = call(e, "c", "add", NULL);
    ck_assert_ptr_nonnull(json_object_get(r, "exception"));
    json_decref(r);
    r = call(e, "c", "reset", NULL);
    assert_field(r, "invalid_method", "\"reset\"");
    json_decref(r);
    /* Calls and {"add": N} messages add to the same count. */
    send(e, "c", "{\"add\": 1}");
    run(e);
    r = call(e, "c", "get", NULL);
    assert_field(r, "message", "7");
    json_decref(r);
    assert_actor(e, "c", "state", "{\"count\": 7}");
    assert_status(e, "c", "waiting");
    /* An add that would overflow is answered with an exception; the
     * count stays. */
    close_eng(e);
    e = open_eng();
    spawn(e, "m", "counter", "{\"start\": 9223372036854775807}");
    r = call(e, "m", "add", "1");
    assert_field(r, "exception", "{\"message\": \"the count would overflow\"}");
    json_decref(r);
    assert_actor(e, "m", "state", "{\"count\": 9223372036854775807}");
    assert_status(e, "m", "waiting");
    close_eng(e);
}
END_TEST

START_TEST(test_counter_args)
{
    struct eng *e = open_eng();
    assert_bad_args(e, "counter", "{\"start\": \"1\"}");
    assert_bad_args(e, "counter", "{\"start\": 1.5}");
    assert_bad_args(e, "counter", "{\"start\": null}");
    assert_bad_args(e, "counter", "[]");
    /* No start is 0; other keys are let be. */
    spawn(e, "z", "counter", NULL);
    spawn(e, "o", "counter", "{\"other\": 1}");
    run(e);
    assert_actor(e, "z", "state", "{\"count\": 0}");
    assert_actor(e, "o", "state", "{\"count\": 0}");
    close_eng(e);
}
END_TEST

/* ---- collector ---- */

START_TEST(test_collector_args_and_calls)
{
    /* Any object is fine; whatever comes, calls included, is kept in
     * order and never answered. */
    struct eng *e = open_eng();
    assert_bad_args(e, "collector", "[1]");
    spawn(e, "c", "collector", "{\"anything\": [1]}");
    send(e, "c", "1");
    char box[ENG_CALL_ID_LEN + 8], id[ENG_CALL_ID_LEN];
    ck_assert_int_eq(eng_call_begin(e, "c", "get", NULL, box, id), AD_OK);
    send(e, "c", "2");
    run(e);
    json_t *reply = NULL;
    ck_assert_int_eq(eng_call_poll(e, "c", box, &reply), AD_OK);
    ck_assert_ptr_null(reply);
    ck_assert_int_eq(eng_call_end(e, box), AD_OK);
    json_t *doc = get_doc(e, "c");
    json_t *msgs = json_object_get(json_object_get(doc, "state"), "messages");
    ck_assert_int_eq(json_array_size(msgs), 3);
    assert_json(json_array_get(msgs, 0), "1");
    assert_field(json_array_get(msgs, 1), "method", "\"get\"");
    assert_json(json_array_get(msgs, 2), "2");
    json_decref(doc);
    close_eng(e);
}
END_TEST

/* ---- forwarder ---- */

START_TEST(test_forwarder_args)
{
    struct eng *e = open_eng();
    assert_bad_args(e, "forwarder", "{}");
    assert_bad_args(e, "forwarder", "{\"to\": 5}");
    assert_bad_args(e, "forwarder", "{\"to\": {\"$address\": 5}}");
    assert_bad_args(e, "forwarder", "{\"to\": {\"name\": \"x\"}}");
    assert_bad_args(e, "forwarder", "{\"to\": \"x\", \"once\": \"yes\"}");
    assert_bad_args(e, "forwarder", "{\"to\": \"x\", \"once\": 1}");
    /* A target that does not exist is not checked at spawn: what goes
     * to it is a dead letter. */
    spawn(e, "f", "forwarder", "{\"to\": \"ghost\", \"once\": false}");
    send(e, "f", "\"lost\"");
    run(e);
    assert_status(e, "f", "waiting");
    assert_dead(e, "[[\"f\", \"ghost\", \"no such actor\", \"lost\"]]");
    close_eng(e);
}
END_TEST

START_TEST(test_forwarder_chain)
{
    /* Forwarders in a row pass a message along, the sender of each copy
     * being the forwarder before. */
    struct eng *e = open_eng();
    spawn(e, "sink", "collector", NULL);
    spawn(e, "f2", "forwarder", "{\"to\": \"sink\"}");
    spawn(e, "f1", "forwarder", "{\"to\": {\"$address\": \"f2\"}}");
    send(e, "f1", "{\"deep\": [1, 2, 3]}");
    send(e, "f1", "\"second\"");
    run(e);
    assert_actor(e, "sink", "state",
                 "{\"messages\": [{\"deep\": [1, 2, 3]}, \"second\"]}");
    assert_status(e, "f1", "waiting");
    assert_status(e, "f2", "waiting");
    close_eng(e);
}
END_TEST

/* ---- ring ---- */

START_TEST(test_ring_args)
{
    struct eng *e = open_eng();
    assert_bad_args(e, "ring", "{}");
    assert_bad_args(e, "ring", "{\"n\": 0}");
    assert_bad_args(e, "ring", "{\"n\": -3}");
    assert_bad_args(e, "ring", "{\"n\": 100001}");
    assert_bad_args(e, "ring", "{\"n\": \"3\"}");
    assert_bad_args(e, "ring", "{\"n\": 2.5}");
    /* Without a message it carries null. */
    spawn(e, "r", "ring", "{\"n\": 3}");
    run(e);
    assert_status(e, "r", "exited");
    assert_actor(e, "r", "result", "null");
    /* The largest ring is accepted (killed before it runs). */
    spawn(e, "big", "ring", "{\"n\": 100000}");
    json_t *doc = NULL;
    ck_assert_int_eq(eng_kill(e, "big", &doc), AD_OK);
    json_decref(doc);
    close_eng(e);
}
END_TEST

/* ---- gather ---- */

START_TEST(test_gather_in_order)
{
    /* Results come in the order of the children, not of their ends. */
    struct eng *e = open_eng();
    spawn(e, "g", "gather",
          "{\"children\": ["
          "{\"behavior\": \"forwarder\", \"args\": {\"to\": \"nobody\", "
          "\"once\": true}},"
          "{\"behavior\": \"ring\", \"args\": {\"n\": 2, \"message\": "
          "\"second\"}},"
          "{\"behavior\": \"forwarder\", \"args\": {\"to\": \"nobody\", "
          "\"once\": true}}]}");
    run(e);
    assert_status(e, "g", "waiting");
    assert_actor(e, "g", "state",
                 "{\"children\": [{\"$address\": \"g.1\"}, "
                 "{\"$address\": \"g.2\"}, {\"$address\": \"g.3\"}], "
                 "\"results\": [null, \"second\", null], \"left\": 2}");
    send(e, "g.3", "\"third\"");
    run(e);
    assert_status(e, "g", "waiting");
    send(e, "g.1", "{\"first\": 1}");
    run(e);
    json_t *doc = get_doc(e, "g");
    assert_field(doc, "status", "\"exited\"");
    assert_field(doc, "result", "[{\"first\": 1}, \"second\", \"third\"]");
    json_decref(doc);
    /* No children: done at once. */
    spawn(e, "none", "gather", "{\"children\": []}");
    run(e);
    assert_actor(e, "none", "result", "[]");
    close_eng(e);
}
END_TEST

START_TEST(test_gather_child_fails)
{
    /* A failing child fails the gather, which takes its other (linked)
     * children with it. */
    struct eng *e = open_eng();
    spawn(e, "g", "gather",
          "{\"children\": ["
          "{\"behavior\": \"collector\"},"
          "{\"behavior\": \"counter\", \"args\": {\"start\": "
          "9223372036854775807}}]}");
    run(e);
    send(e, "g.2", "{\"add\": 1}");
    run(e);
    assert_status(e, "g.2", "failed");
    json_t *doc = get_doc(e, "g");
    assert_failed_with(doc, "child g.2 failed");
    assert_failed_with(doc, "overflow");
    json_decref(doc);
    assert_status(e, "g.1", "killed");
    /* A killed child fails it too. */
    spawn(e, "h", "gather", "{\"children\": [{\"behavior\": \"collector\"}]}");
    run(e);
    json_t *kdoc = NULL;
    ck_assert_int_eq(eng_kill(e, "h.1", &kdoc), AD_OK);
    json_decref(kdoc);
    run(e);
    doc = get_doc(e, "h");
    assert_failed_with(doc, "child h.1 failed");
    assert_failed_with(doc, "killed");
    json_decref(doc);
    /* A child that cannot be spawned fails it at once; the ones it
     * spawned before go with it (a failed step's effects stand, so the
     * link takes them down). */
    spawn(e, "u", "gather",
          "{\"children\": [{\"behavior\": \"collector\"}, "
          "{\"behavior\": \"nosuch\"}]}");
    run(e);
    doc = get_doc(e, "u");
    assert_failed_with(doc, "child 1 could not be spawned");
    json_decref(doc);
    assert_status(e, "u.1", "killed");
    json_t *none = NULL;
    ck_assert_int_eq(eng_get(e, "u.2", &none), AD_ENOTFOUND);
    close_eng(e);
}
END_TEST

START_TEST(test_gather_args)
{
    struct eng *e = open_eng();
    assert_bad_args(e, "gather", "{}");
    assert_bad_args(e, "gather", "{\"children\": {}}");
    assert_bad_args(e, "gather", "{\"children\": [5]}");
    assert_bad_args(e, "gather", "{\"children\": [{}]}");
    assert_bad_args(e, "gather", "{\"children\": [{\"behavior\": 1}]}");
    assert_bad_args(e, "gather",
                    "{\"children\": [{\"behavior\": \"counter\", "
                    "\"args\": [1]}]}");
    close_eng(e);
}
END_TEST

/* ---- ticker ---- */

/* Moved from test_engine.c, where it slept a fixed time and asserted at
 * most 5 ticks (a loaded machine could fail it): now it waits for 3
 * ticks, without an upper bound. */
START_TEST(test_ticker)
{
    struct eng *e = open_eng();
    spawn(e, "t", "ticker", "{\"every_ms\": 20}");
    run_until(e, ticked_thrice, "t");
    ck_assert_int_ge(state_int(e, "t", "ticks"), 3);
    send(e, "t", "{\"stop\": true}");
    run(e);
    assert_status(e, "t", "exited");
    close_eng(e);
}
END_TEST

START_TEST(test_ticker_stop)
{
    struct eng *e = open_eng();
    spawn(e, "t", "ticker", "{\"every_ms\": 1}");
    run(e);
    assert_actor(e, "t", "state", "{\"ticks\": 0}");
    /* Other messages neither stop it nor count. */
    send(e, "t", "{\"go\": 1}");
    run_until(e, ticked_thrice, "t");
    assert_status(e, "t", "waiting");
    send(e, "t", "{\"stop\": true}");
    run(e);
    json_t *doc = get_doc(e, "t");
    assert_field(doc, "status", "\"exited\"");
    json_int_t ticks = json_integer_value(
        json_object_get(json_object_get(doc, "state"), "ticks"));
    ck_assert_int_ge(ticks, 3);
    ck_assert_int_eq(json_integer_value(json_object_get(doc, "result")), ticks);
    json_decref(doc);
    assert_dead(e, "[[null, \"t\", \"unread at exit\", {\"go\": 1}]]");
    /* Ended, it ticks no more. */
    sleep_ms(10);
    ck_assert_int_eq(run(e), 0);
    close_eng(e);
}
END_TEST

START_TEST(test_ticker_args)
{
    struct eng *e = open_eng();
    assert_bad_args(e, "ticker", "{}");
    assert_bad_args(e, "ticker", "{\"every_ms\": 0}");
    assert_bad_args(e, "ticker", "{\"every_ms\": -1}");
    assert_bad_args(e, "ticker", "{\"every_ms\": 86400001}");
    assert_bad_args(e, "ticker", "{\"every_ms\": \"5\"}");
    spawn(e, "slow", "ticker", "{\"every_ms\": 86400000}");
    run(e);
    assert_status(e, "slow", "waiting");
    close_eng(e);
}
END_TEST

/* ---- supervisor ---- */

START_TEST(test_supervisor_restarts)
{
    /* A killed child comes back under its name with fresh state. */
    struct eng *e = open_eng();
    spawn(e, "s", "supervisor",
          "{\"children\": [{\"name\": \"kid\", \"behavior\": \"counter\", "
          "\"args\": {\"start\": 1}}]}");
    run(e);
    assert_status(e, "s", "waiting");
    send(e, "kid", "{\"add\": 41}");
    run(e);
    assert_actor(e, "kid", "state", "{\"count\": 42}");
    for (int round = 0; round < 2; round++) {
        json_t *doc = NULL;
        ck_assert_int_eq(eng_kill(e, "kid", &doc), AD_OK);
        json_decref(doc);
        run(e);
        assert_status(e, "kid", "waiting");
        assert_actor(e, "kid", "state", "{\"count\": 1}");
        assert_status(e, "s", "waiting");
    }
    /* It counts like any counter again. */
    send(e, "kid", "{\"add\": 2}");
    run(e);
    assert_actor(e, "kid", "state", "{\"count\": 3}");
    close_eng(e);
}
END_TEST

START_TEST(test_supervisor_gives_up)
{
    /* More than intensity restarts in period seconds: it fails, and its
     * linked children go with it. */
    struct eng *e = open_eng();
    spawn(e, "s", "supervisor",
          "{\"intensity\": 2, \"period\": 3600, \"children\": ["
          "{\"name\": \"a\", \"behavior\": \"counter\"}, "
          "{\"name\": \"b\", \"behavior\": \"collector\"}]}");
    run(e);
    json_t *doc = NULL;
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(eng_kill(e, "a", &doc), AD_OK);
        json_decref(doc);
        run(e);
        assert_status(e, "a", "waiting");
        assert_status(e, "s", "waiting");
    }
    ck_assert_int_eq(eng_kill(e, "a", &doc), AD_OK);
    json_decref(doc);
    run(e);
    doc = get_doc(e, "s");
    assert_failed_with(doc, "restart intensity exceeded");
    json_decref(doc);
    assert_status(e, "a", "killed");
    assert_status(e, "b", "killed");
    /* Intensity 0: the first end is one too many. */
    spawn(e, "z", "supervisor",
          "{\"intensity\": 0, \"children\": [{\"name\": \"zc\", "
          "\"behavior\": \"counter\"}]}");
    run(e);
    ck_assert_int_eq(eng_kill(e, "zc", &doc), AD_OK);
    json_decref(doc);
    run(e);
    assert_status(e, "z", "failed");
    close_eng(e);
}
END_TEST

START_TEST(test_supervisor_strategies)
{
    struct eng *e = open_eng();
    /* one_for_all: a's end restarts b too. */
    spawn(e, "s", "supervisor",
          "{\"strategy\": \"one_for_all\", \"children\": ["
          "{\"name\": \"a\", \"behavior\": \"counter\"}, "
          "{\"name\": \"b\", \"behavior\": \"counter\"}]}");
    run(e);
    send(e, "b", "{\"add\": 5}");
    run(e);
    json_t *doc = NULL;
    ck_assert_int_eq(eng_kill(e, "a", &doc), AD_OK);
    json_decref(doc);
    run(e);
    assert_actor(e, "b", "state", "{\"count\": 0}");
    assert_status(e, "a", "waiting");
    assert_status(e, "s", "waiting");
    /* rest_for_one: y's end restarts y and z, not x. */
    spawn(e, "r", "supervisor",
          "{\"strategy\": \"rest_for_one\", \"children\": ["
          "{\"name\": \"x\", \"behavior\": \"counter\"}, "
          "{\"name\": \"y\", \"behavior\": \"counter\"}, "
          "{\"name\": \"z\", \"behavior\": \"counter\"}]}");
    run(e);
    send(e, "x", "{\"add\": 1}");
    send(e, "z", "{\"add\": 3}");
    run(e);
    ck_assert_int_eq(eng_kill(e, "y", &doc), AD_OK);
    json_decref(doc);
    run(e);
    assert_actor(e, "x", "state", "{\"count\": 1}");
    assert_actor(e, "y", "state", "{\"count\": 0}");
    assert_actor(e, "z", "state", "{\"count\": 0}");
    /* transient: a normal exit is not restarted; temporary: nothing
     * is. */
    spawn(e, "t", "supervisor",
          "{\"children\": ["
          "{\"name\": \"tr\", \"behavior\": \"forwarder\", \"restart\": "
          "\"transient\", \"args\": {\"to\": \"nobody\", \"once\": true}}, "
          "{\"name\": \"tm\", \"behavior\": \"counter\", \"restart\": "
          "\"temporary\"}]}");
    run(e);
    send(e, "tr", "\"done\"");
    ck_assert_int_eq(eng_kill(e, "tm", &doc), AD_OK);
    json_decref(doc);
    run(e);
    assert_status(e, "tr", "exited");
    assert_status(e, "tm", "killed");
    assert_status(e, "t", "waiting");
    close_eng(e);
}
END_TEST

START_TEST(test_supervisor_args)
{
    struct eng *e = open_eng();
    static const char *const bad[] = {
        "{}",
        "{\"children\": {}}",
        "{\"children\": [], \"strategy\": \"one_for_some\"}",
        "{\"children\": [], \"strategy\": 1}",
        "{\"children\": [], \"intensity\": -1}",
        "{\"children\": [], \"intensity\": 1001}",
        "{\"children\": [], \"period\": 0}",
        "{\"children\": [], \"period\": 86401}",
        "{\"children\": [], \"period\": \"5\"}",
        "{\"children\": [5]}",
        "{\"children\": [{\"behavior\": \"counter\"}]}",
        "{\"children\": [{\"name\": \"c\"}]}",
        "{\"children\": [{\"name\": \"c\", \"behavior\": \"nosuch\"}]}",
        "{\"children\": [{\"name\": \"c\", \"behavior\": \"counter\", "
        "\"args\": 1}]}",
        "{\"children\": [{\"name\": \"c\", \"behavior\": \"counter\", "
        "\"restart\": \"sometimes\"}]}",
        "{\"children\": [{\"name\": \"c\", \"behavior\": \"counter\"}, "
        "{\"name\": \"c\", \"behavior\": \"collector\"}]}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_bad_args(e, "supervisor", bad[i]);
    /* A child name taken by a live actor: it fails on its first step. */
    spawn(e, "taken", "collector", NULL);
    spawn(e, "s", "supervisor",
          "{\"children\": [{\"name\": \"taken\", \"behavior\": "
          "\"counter\"}]}");
    run(e);
    json_t *doc = get_doc(e, "s");
    assert_failed_with(doc, "could not be started");
    json_decref(doc);
    assert_actor(e, "taken", "behavior", "\"collector\"");
    close_eng(e);
}
END_TEST

/* ---- timer ---- */

START_TEST(test_timer_fires_once)
{
    struct eng *e = open_eng();
    spawn(e, "sink", "collector", NULL);
    spawn(e, "tm", "timer",
          "{\"to\": {\"$address\": \"sink\"}, \"message\": {\"t\": 1}, "
          "\"after_ms\": 5}");
    run(e);
    assert_actor(e, "sink", "state", "{\"messages\": []}");
    run_until(e, is_ended, "tm");
    json_t *doc = get_doc(e, "tm");
    assert_field(doc, "status", "\"exited\"");
    assert_field(doc, "result", "\"sent\"");
    json_decref(doc);
    assert_actor(e, "sink", "state", "{\"messages\": [{\"t\": 1}]}");
    /* Once: later runs send nothing more. */
    sleep_ms(20);
    run(e);
    assert_actor(e, "sink", "state", "{\"messages\": [{\"t\": 1}]}");
    ck_assert_int_eq(count_timers(), 0);
    close_eng(e);
}
END_TEST

START_TEST(test_timer_cancel)
{
    struct eng *e = open_eng();
    spawn(e, "sink", "collector", NULL);
    spawn(e, "tm", "timer",
          "{\"to\": \"sink\", \"message\": 1, \"after_ms\": 3600000}");
    run(e);
    send(e, "tm", "{\"cancel\": true}");
    run(e);
    assert_status(e, "tm", "exited");
    assert_actor(e, "tm", "result", "\"cancelled\"");
    assert_actor(e, "sink", "state", "{\"messages\": []}");
    close_eng(e);
}
END_TEST

START_TEST(test_timer_repeats)
{
    /* every_ms: it sends again and again until cancelled; its timer
     * ends with it. */
    struct eng *e = open_eng();
    spawn(e, "sink", "collector", NULL);
    spawn(e, "tm", "timer",
          "{\"to\": \"sink\", \"message\": \"tick\", \"after_ms\": 0, "
          "\"every_ms\": 5}");
    run(e);
    ck_assert_int_eq(count_timers(), 1);
    run_until(e, collected_thrice, "sink");
    assert_status(e, "tm", "waiting");
    send(e, "tm", "{\"cancel\": 1}");
    run(e);
    assert_actor(e, "tm", "result", "\"cancelled\"");
    ck_assert_int_eq(count_timers(), 0);
    json_t *doc = get_doc(e, "sink");
    size_t i, n = 0;
    json_t *m;
    json_array_foreach(
        json_object_get(json_object_get(doc, "state"), "messages"), i, m)
    {
        assert_json(m, "\"tick\"");
        n++;
    }
    json_decref(doc);
    sleep_ms(20);
    run(e);
    doc = get_doc(e, "sink");
    ck_assert_int_eq(json_array_size(json_object_get(
                         json_object_get(doc, "state"), "messages")),
                     n);
    json_decref(doc);
    close_eng(e);
}
END_TEST

START_TEST(test_timer_args)
{
    struct eng *e = open_eng();
    static const char *const bad[] = {
        "{\"message\": 1, \"after_ms\": 1}",
        "{\"to\": 5, \"message\": 1, \"after_ms\": 1}",
        "{\"to\": \"x\", \"after_ms\": 1}",
        "{\"to\": \"x\", \"message\": 1}",
        "{\"to\": \"x\", \"message\": 1, \"after_ms\": -1}",
        "{\"to\": \"x\", \"message\": 1, \"after_ms\": 31622400001}",
        "{\"to\": \"x\", \"message\": 1, \"after_ms\": \"1\"}",
        "{\"to\": \"x\", \"message\": 1, \"after_ms\": 1, \"every_ms\": -1}",
        "{\"to\": \"x\", \"message\": 1, \"after_ms\": 1, "
        "\"every_ms\": 1.5}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_bad_args(e, "timer", bad[i]);
    /* The message may be any value, null included. */
    spawn(e, "ok", "timer",
          "{\"to\": \"x\", \"message\": null, \"after_ms\": 31622400000, "
          "\"every_ms\": 0}");
    close_eng(e);
}
END_TEST

static Suite *
behaviors_suite(void)
{
    Suite *s = suite_create("behaviors");
    TCase *tc;

    tc = tcase("counter");
    tcase_add_test(tc, test_counter);
    tcase_add_test(tc, test_counter_overflow_fails);
    tcase_add_test(tc, test_counter_calls);
    tcase_add_test(tc, test_counter_args);
    suite_add_tcase(s, tc);

    tc = tcase("collector");
    tcase_add_test(tc, test_collector_order);
    tcase_add_test(tc, test_collector_args_and_calls);
    suite_add_tcase(s, tc);

    tc = tcase("forwarder");
    tcase_add_test(tc, test_forwarder);
    tcase_add_test(tc, test_forwarder_args);
    tcase_add_test(tc, test_forwarder_chain);
    suite_add_tcase(s, tc);

    tc = tcase("ring");
    tcase_add_test(tc, test_ring_1);
    tcase_add_test(tc, test_ring_100);
    tcase_add_test(tc, test_ring_args);
    suite_add_tcase(s, tc);

    tc = tcase("gather");
    tcase_add_test(tc, test_gather_in_order);
    tcase_add_test(tc, test_gather_child_fails);
    tcase_add_test(tc, test_gather_args);
    suite_add_tcase(s, tc);

    tc = tcase("ticker");
    tcase_add_test(tc, test_ticker);
    tcase_add_test(tc, test_ticker_stop);
    tcase_add_test(tc, test_ticker_args);
    suite_add_tcase(s, tc);

    tc = tcase("supervisor");
    tcase_add_test(tc, test_supervisor_restarts);
    tcase_add_test(tc, test_supervisor_gives_up);
    tcase_add_test(tc, test_supervisor_strategies);
    tcase_add_test(tc, test_supervisor_args);
    suite_add_tcase(s, tc);

    tc = tcase("timer");
    tcase_add_test(tc, test_timer_fires_once);
    tcase_add_test(tc, test_timer_cancel);
    tcase_add_test(tc, test_timer_repeats);
    tcase_add_test(tc, test_timer_args);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return run_engine_suite("test_behaviors", NULL, behaviors_suite());
}
