/*
 * test_engine.c - the Check suite of engine/: spawn, get, kill, send,
 * list and mailbox with every error; the standard behaviours (counter,
 * collector, forwarder, ring); the step loop's limits; and behaviours
 * defined here, as a user would write them, for selective receive,
 * state on disk, failures, spawning from a step, stranded actors and the
 * atomicity of a step.  Every test has its own temporary database; a raw
 * SQLite connection edits or checks it behind the engine's back.
 */
#include "engine/engine.h"

#include <check.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "actord/behavior.h"
#include "tests/unit/testutil.h"

static struct tmpdb db;

/* Calls of the behaviours below, counted in this process (reset per
 * test: under CK_FORK=no every test shares the process). */
static int twoshape_calls;
static int puppet_calls;

/* The engine a test has open, closed by teardown should the test fail
 * before it closes it (under CK_FORK=no the process goes on). */
static struct eng *open_engine;

static void
setup(void)
{
    tmpdb_init(&db);
    twoshape_calls = 0;
    puppet_calls = 0;
    open_engine = NULL;
}

static void
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
static enum actor_step
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

static const struct behavior twoshape = {
    .name = "twoshape",
    .version = 1,
    .doc = "test: inc and dec",
    .step = twoshape_step,
};

/* selective: takes {"b": ANY} first, then {"a": ANY}, and exits with
 * [B, A]. */
static enum actor_step
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

static const struct behavior selective = {
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
static enum actor_step
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

static const struct behavior puppet = {
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
static enum actor_step
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

static const struct behavior watcher = {
    .name = "watcher",
    .version = 1,
    .doc = "test: watches args.target and exits with the notice",
    .step = watcher_step,
};

/*
 * linker: on its first step traps exits when args.trap, links to
 * args.link, kills args.kill; then exits with the first message it gets.
 */
static enum actor_step
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

static const struct behavior linker = {
    .name = "linker",
    .version = 1,
    .doc = "test: links, traps, kills, then exits with a message",
    .step = linker_step,
};

/*
 * waiter: receives {"go": ANY} with a timeout of args.ms; exits with
 * "timeout" or with the message.
 */
static enum actor_step
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

static const struct behavior waiter = {
    .name = "waiter",
    .version = 1,
    .doc = "test: a receive with a timeout",
    .step = waiter_step,
};

/*
 * alarm: sets a timer to itself ({"ring": true} after args.ms, every
 * args.every), cancels it when args.cancel, then counts rings in state.
 */
static enum actor_step
alarm_step(struct actor *a)
{
    const json_t *args = actor_args(a);
    json_t *st = actor_state(a);
    ACTOR_BEGIN(a);
    {
        json_t *self = actor_self(a);
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
            json_integer(json_integer_value(json_object_get(st, "rings")) +
                         1));
    }
    ACTOR_END(a);
}

static const struct behavior alarm_behavior = {
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
static enum actor_step
caller_step(struct actor *a)
{
    const json_t *args = actor_args(a);
    ACTOR_BEGIN(a);
    ACTOR_CALL(a, 1, json_object_get(args, "to"),
               json_string_value(json_object_get(args, "method")),
               json_deep_copy(json_object_get(args, "payload")),
               json_integer_value(json_object_get(args, "ms")));
    json_object_set_new(actor_state(a), "got",
                        actor_timed_out(a)
                            ? json_string("timeout")
                            : json_deep_copy(actor_message(a)));
    ACTOR_RECEIVE(a, 2, json_pack("[s]", "$any"));
    return actor_exit(a, json_deep_copy(actor_message(a)));
    ACTOR_END(a);
}

static const struct behavior caller_behavior = {
    .name = "caller",
    .version = 1,
    .doc = "test: one call",
    .step = caller_step,
};

/* ---- helpers ---- */

/* Opens the engine on the test database with opts; one at a time. */
static struct eng *
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
static struct eng *
open_eng(void)
{
    struct eng_opts o = {.busy_timeout_ms = 50};
    return open_eng_opts(&o);
}

/* Closes e, opened by open_eng. */
static void
close_eng(struct eng *e)
{
    ck_assert_ptr_eq(e, open_engine);
    eng_close(e);
    open_engine = NULL;
}

/* Returns a new reference to the document of name; fails if absent. */
static json_t *
get_doc(struct eng *e, const char *name)
{
    json_t *doc = NULL;
    int err = eng_get(e, name, &doc);
    ck_assert_msg(err == AD_OK, "eng_get %s: %s", name, ad_strerror(err));
    ck_assert_ptr_nonnull(doc);
    return doc;
}

/* Asserts the status of the actor name. */
static void
assert_status(struct eng *e, const char *name, const char *status)
{
    json_t *doc = get_doc(e, name);
    const char *st = json_string_value(json_object_get(doc, "status"));
    ck_assert_msg(st && strcmp(st, status) == 0, "%s is %s, want %s", name,
                  st ? st : "(none)", status);
    json_decref(doc);
}

/* Asserts that field key of the document of name equals want. */
static void
assert_actor(struct eng *e, const char *name, const char *key, const char *want)
{
    json_t *doc = get_doc(e, name);
    assert_field(doc, key, want);
    json_decref(doc);
}

/* Spawns name of behavior with args (JSON text or NULL); fails on error. */
static void
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
static int
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
static int
send_err(struct eng *e, const char *name, const char *msg, int64_t *seq)
{
    json_t *m = J(msg);
    int err = eng_send(e, name, m, seq);
    json_decref(m);
    return err;
}

/* Sends the JSON text to name; fails on error. */
static void
send(struct eng *e, const char *name, const char *msg)
{
    int err = send_err(e, name, msg, NULL);
    ck_assert_msg(err == AD_OK, "send %s to %s: %s", msg, name,
                  ad_strerror(err));
}

/* Runs until nothing is runnable; returns the steps run. */
static long
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
static void
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
static void
assert_dead(struct eng *e, const char *want)
{
    json_t *out = NULL;
    ck_assert_int_eq(eng_dead_letters(e, 0, 1000, &out), AD_OK);
    json_t *got = json_array();
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(out, "dead_letters"), i, d)
        json_array_append_new(
            got, json_pack("[O, O, O, O]", json_object_get(d, "from"),
                           json_object_get(d, "to"),
                           json_object_get(d, "reason"),
                           json_object_get(d, "body")));
    assert_json(got, want);
    json_decref(got);
    json_decref(out);
}

/* Runs sql on the test database through a connection of its own. */
static void
raw_sql(const char *sql)
{
    sqlite3 *raw = raw_open(db.path);
    raw_exec(raw, sql);
    sqlite3_close(raw);
}

/* ---- open ---- */

START_TEST(test_open_newer_schema)
{
    raw_sql("PRAGMA user_version = 999");
    struct eng *e = NULL;
    ck_assert_int_eq(eng_open(db.path, NULL, &e), AD_ESCHEMA);
    ck_assert_ptr_null(e);
    eng_close(NULL);
}
END_TEST

START_TEST(test_open_health)
{
    struct eng *e = open_eng();
    ck_assert_int_eq(eng_health(e), AD_OK);
    ck_assert_int_eq(eng_changed(e), 0);
    close_eng(e);
}
END_TEST

/* ---- spawn ---- */

START_TEST(test_spawn_document)
{
    struct eng *e = open_eng();
    json_t *args = J("{\"start\": 5}");
    json_t *doc = NULL;
    ck_assert_int_eq(eng_spawn(e, "c1", "counter", args, &doc, NULL), AD_OK);
    json_decref(args);
    assert_field(doc, "name", "\"c1\"");
    assert_field(doc, "behavior", "\"counter\"");
    assert_field(doc, "status", "\"runnable\"");
    assert_field(doc, "state", "{}");
    assert_field(doc, "mailbox", "0");
    assert_field(doc, "waiting_for", "null");
    assert_field(doc, "result", "null");
    assert_field(doc, "error", "null");
    const char *created = json_string_value(json_object_get(doc, "created"));
    ck_assert_ptr_nonnull(created);
    ck_assert_int_eq(strlen(created), 24); /* 2026-11-25T04:40:05.123Z */
    ck_assert_int_eq(created[23], 'Z');
    ck_assert_ptr_nonnull(json_string_value(json_object_get(doc, "updated")));
    ck_assert_int_eq(eng_doc_ended(doc), 0);
    json_decref(doc);

    /* The first step sets the state and waits. */
    ck_assert_int_eq(run(e), 1);
    doc = get_doc(e, "c1");
    assert_field(doc, "status", "\"waiting\"");
    assert_field(doc, "state", "{\"count\": 5}");
    assert_field(doc, "waiting_for",
        "[{\"add\": \"$integer\"}, "
        "{\"call\": \"$any\", \"method\": \"$string\", \"address\": \"$address\"}]");
    json_decref(doc);
    close_eng(e);
}
END_TEST

START_TEST(test_spawn_errors)
{
    struct eng *e = open_eng();
    const char *why;

    why = NULL;
    ck_assert_int_eq(spawn_err(e, "x", "nosuch", NULL, &why), AD_EBEHAVIOR);
    ck_assert_int_eq(spawn_err(e, "x", "", NULL, &why), AD_EBEHAVIOR);

    why = NULL;
    ck_assert_int_eq(spawn_err(e, "x", "counter", "{\"start\": \"x\"}", &why),
                     AD_EBADARGS);
    ck_assert_ptr_nonnull(why);
    ck_assert_str_eq(why, "start must be an integer");

    why = NULL;
    ck_assert_int_eq(spawn_err(e, "x", "counter", "[1]", &why), AD_EBADARGS);
    ck_assert_ptr_nonnull(why);
    ck_assert_str_eq(why, "args must be an object");

    why = NULL;
    ck_assert_int_eq(spawn_err(e, "x", "forwarder", NULL, &why), AD_EBADARGS);
    ck_assert_ptr_nonnull(why);
    ck_assert_ptr_nonnull(strstr(why, "to must be an address"));

    why = NULL;
    ck_assert_int_eq(
        spawn_err(e, "x", "forwarder", "{\"to\": \"c\", \"once\": 1}", &why),
        AD_EBADARGS);
    ck_assert_ptr_nonnull(why);

    why = NULL;
    ck_assert_int_eq(spawn_err(e, "x", "ring", "{\"n\": 0}", &why),
                     AD_EBADARGS);
    ck_assert_ptr_nonnull(why);
    ck_assert_int_eq(spawn_err(e, "x", "ring", "{\"n\": 1000001}", NULL),
                     AD_EBADARGS);

    /* why may be NULL. */
    ck_assert_int_eq(spawn_err(e, "x", "counter", "{\"start\": 1.5}", NULL),
                     AD_EBADARGS);

    /* Bad names. */
    char long_name[AD_NAME_MAX + 2];
    memset(long_name, 'n', AD_NAME_MAX + 1);
    long_name[AD_NAME_MAX + 1] = '\0';
    static const char *const bad[] = {"",    ".",    "..", "a b",
                                      "a/b", "a%2e", "é",  "a\tb"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(spawn_err(e, bad[i], "counter", NULL, NULL) ==
                          AD_EBADNAME,
                      "name \"%s\" was not refused", bad[i]);
    ck_assert_int_eq(spawn_err(e, long_name, "counter", NULL, NULL),
                     AD_EBADNAME);

    /* Nothing was stored. */
    json_t *out = NULL;
    ck_assert_int_eq(eng_list(e, NULL, NULL, NULL, 100, &out), AD_OK);
    ck_assert_int_eq(json_array_size(json_object_get(out, "actors")), 0);
    json_decref(out);

    /* Names at the limits are fine. */
    long_name[AD_NAME_MAX] = '\0';
    spawn(e, long_name, "counter", NULL);
    spawn(e, "...", "counter", NULL);
    spawn(e, "A-z_0.9~", "counter", NULL);
    close_eng(e);
}
END_TEST

START_TEST(test_spawn_exists_and_replace)
{
    struct eng *e = open_eng();
    spawn(e, "c", "counter", "{\"start\": 1}");
    ck_assert_int_eq(spawn_err(e, "c", "collector", NULL, NULL), AD_EEXISTS);
    run(e);
    /* A waiting actor is live too. */
    ck_assert_int_eq(spawn_err(e, "c", "collector", NULL, NULL), AD_EEXISTS);
    assert_actor(e, "c", "behavior", "\"counter\"");

    /* Leave an unread message, then end it: a new actor replaces it with
     * an empty mailbox. */
    send(e, "c", "{\"unread\": true}");
    assert_actor(e, "c", "mailbox", "1");
    json_t *doc = NULL;
    ck_assert_int_eq(eng_kill(e, "c", &doc), AD_OK);
    json_decref(doc);
    doc = NULL;
    ck_assert_int_eq(eng_spawn(e, "c", "collector", NULL, &doc, NULL), AD_OK);
    assert_field(doc, "behavior", "\"collector\"");
    assert_field(doc, "status", "\"runnable\"");
    assert_field(doc, "mailbox", "0");
    assert_field(doc, "state", "{}");
    json_decref(doc);
    run(e);
    assert_actor(e, "c", "state", "{\"messages\": []}");

    /* Exited and failed actors are replaced as well. */
    spawn(e, "p", "puppet", NULL);
    spawn(e, "q", "puppet", NULL);
    run(e);
    send(e, "p", "{\"op\": \"exit\", \"result\": 1}");
    send(e, "q", "{\"op\": \"fail\", \"why\": \"w\"}");
    run(e);
    assert_status(e, "p", "exited");
    assert_status(e, "q", "failed");
    spawn(e, "p", "counter", NULL);
    spawn(e, "q", "counter", NULL);
    assert_status(e, "p", "runnable");
    assert_actor(e, "q", "error", "null");
    close_eng(e);
}
END_TEST

START_TEST(test_spawn_generated_name)
{
    struct eng *e = open_eng();
    json_t *d1 = NULL, *d2 = NULL;
    ck_assert_int_eq(eng_spawn(e, NULL, "collector", NULL, &d1, NULL), AD_OK);
    ck_assert_int_eq(eng_spawn(e, NULL, "collector", NULL, &d2, NULL), AD_OK);
    const char *n1 = json_string_value(json_object_get(d1, "name"));
    const char *n2 = json_string_value(json_object_get(d2, "name"));
    ck_assert_ptr_nonnull(n1);
    ck_assert_ptr_nonnull(n2);
    ck_assert_int_eq(ad_name_valid(n1, strlen(n1)), 1);
    ck_assert_str_ne(n1, n2);
    json_t *doc = get_doc(e, n1);
    assert_field(doc, "behavior", "\"collector\"");
    json_decref(doc);
    json_decref(d1);
    json_decref(d2);
    close_eng(e);
}
END_TEST

/* ---- get, kill ---- */

START_TEST(test_get_kill)
{
    struct eng *e = open_eng();
    json_t *doc = NULL;
    ck_assert_int_eq(eng_get(e, "nobody", &doc), AD_ENOTFOUND);
    ck_assert_int_eq(eng_kill(e, "nobody", &doc), AD_ENOTFOUND);
    ck_assert_ptr_null(doc);

    spawn(e, "c", "counter", NULL);
    run(e);
    ck_assert_int_eq(eng_kill(e, "c", &doc), AD_OK);
    assert_field(doc, "status", "\"killed\"");
    assert_field(doc, "waiting_for", "null");
    assert_field(doc, "state", "{\"count\": 0}");
    ck_assert_int_eq(eng_doc_ended(doc), 1);
    json_decref(doc);
    doc = NULL;
    assert_status(e, "c", "killed");

    ck_assert_int_eq(eng_kill(e, "c", &doc), AD_EDEAD);
    ck_assert_ptr_null(doc);
    ck_assert_int_eq(send_err(e, "c", "{\"add\": 1}", NULL), AD_EDEAD);
    assert_actor(e, "c", "mailbox", "0");

    /* A killed runnable actor is never run. */
    spawn(e, "r", "counter", NULL);
    ck_assert_int_eq(eng_kill(e, "r", &doc), AD_OK);
    json_decref(doc);
    ck_assert_int_eq(run(e), 0);
    assert_actor(e, "r", "state", "{}");

    /* Exited and failed actors are dead to kill and send alike. */
    spawn(e, "p", "puppet", NULL);
    run(e);
    send(e, "p", "{\"op\": \"exit\", \"result\": [1]}");
    run(e);
    doc = NULL;
    ck_assert_int_eq(eng_kill(e, "p", &doc), AD_EDEAD);
    ck_assert_int_eq(send_err(e, "p", "1", NULL), AD_EDEAD);
    doc = get_doc(e, "p");
    assert_field(doc, "status", "\"exited\"");
    assert_field(doc, "result", "[1]");
    ck_assert_int_eq(eng_doc_ended(doc), 1);
    json_decref(doc);
    close_eng(e);
}
END_TEST

/* ---- send ---- */

START_TEST(test_send)
{
    struct eng *e = open_eng();
    int64_t seq = -1, seq2 = -1;
    ck_assert_int_eq(send_err(e, "nobody", "1", &seq), AD_ENOTFOUND);
    spawn(e, "c", "collector", NULL);
    ck_assert_int_eq(send_err(e, "c", "1", &seq), AD_OK);
    ck_assert_int_gt(seq, 0);
    ck_assert_int_eq(send_err(e, "c", "2", &seq2), AD_OK);
    ck_assert_int_gt(seq2, seq);
    ck_assert_int_eq(send_err(e, "c", "3", NULL), AD_OK);

    /* Committed before eng_send returns: another connection sees it. */
    sqlite3 *raw = raw_open(db.path);
    ck_assert_int_eq(raw_int(raw, "SELECT count(*) FROM mailbox "
                                  "WHERE actor = 'c'"),
                     3);
    sqlite3_close(raw);
    ck_assert_int_eq(eng_changed(e), 0);
    close_eng(e);
}
END_TEST

START_TEST(test_send_many)
{
    struct eng *e = open_eng();
    spawn(e, "a", "collector", NULL);
    spawn(e, "b", "collector", NULL);
    spawn(e, "dead", "collector", NULL);
    json_t *doc = NULL;
    ck_assert_int_eq(eng_kill(e, "dead", &doc), AD_OK);
    json_decref(doc);

    json_t *msgs[4] = {J("1"), J("{\"x\": 2}"), J("3"), J("[4]")};
    const char *bad[4] = {"a", "nobody", "b", "dead"};
    int errs[4] = {-99, -99, -99, -99};
    ck_assert_int_eq(eng_send_many(e, bad, msgs, 4, 0, errs, NULL), AD_EINVAL);
    ck_assert_int_eq(errs[0], AD_OK);
    ck_assert_int_eq(errs[1], AD_ENOTFOUND);
    ck_assert_int_eq(errs[2], AD_OK);
    ck_assert_int_eq(errs[3], AD_EDEAD);
    /* Nothing at all was sent. */
    assert_mailbox(e, "a", "[]");
    assert_mailbox(e, "b", "[]");

    /* The same bad batch as a dry run: the same answers. */
    memset(errs, 0x55, sizeof errs);
    ck_assert_int_eq(eng_send_many(e, bad, msgs, 4, 1, errs, NULL), AD_EINVAL);
    ck_assert_int_eq(errs[0], AD_OK);
    ck_assert_int_eq(errs[1], AD_ENOTFOUND);
    ck_assert_int_eq(errs[2], AD_OK);
    ck_assert_int_eq(errs[3], AD_EDEAD);

    /* A good batch as a dry run: fine, and still nothing sent. */
    const char *good[4] = {"a", "b", "a", "b"};
    memset(errs, 0x55, sizeof errs);
    ck_assert_int_eq(eng_send_many(e, good, msgs, 4, 1, errs, NULL), AD_OK);
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(errs[i], AD_OK);
    assert_mailbox(e, "a", "[]");
    assert_mailbox(e, "b", "[]");

    int64_t seqs[4] = {0};
    ck_assert_int_eq(eng_send_many(e, good, msgs, 4, 0, errs, seqs), AD_OK);
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(errs[i], AD_OK);
        ck_assert_int_gt(seqs[i], 0);
        if (i > 0)
            ck_assert_int_gt(seqs[i], seqs[i - 1]);
    }
    assert_mailbox(e, "a", "[1, 3]");
    assert_mailbox(e, "b", "[{\"x\": 2}, [4]]");
    run(e);
    assert_actor(e, "a", "state", "{\"messages\": [1, 3]}");
    assert_actor(e, "b", "state", "{\"messages\": [{\"x\": 2}, [4]]}");
    for (int i = 0; i < 4; i++)
        json_decref(msgs[i]);

    /* n = 0 is an empty, successful batch. */
    ck_assert_int_eq(eng_send_many(e, good, msgs, 0, 0, errs, NULL), AD_OK);
    close_eng(e);
}
END_TEST

/* ---- list and mailbox ---- */

START_TEST(test_list)
{
    struct eng *e = open_eng();
    json_t *out = NULL;
    char name[16];
    for (int i = 0; i < 7; i++) {
        snprintf(name, sizeof name, "c%d", i);
        spawn(e, name, i < 5 ? "counter" : "collector", NULL);
    }
    run(e);
    json_t *doc = NULL;
    ck_assert_int_eq(eng_kill(e, "c1", &doc), AD_OK);
    json_decref(doc);

    ck_assert_int_eq(eng_list(e, NULL, NULL, NULL, 0, &out), AD_EINVAL);
    ck_assert_int_eq(eng_list(e, NULL, "sleeping", NULL, 10, &out), AD_EINVAL);

    ck_assert_int_eq(eng_list(e, "counter", NULL, NULL, 3, &out), AD_OK);
    json_t *actors = json_object_get(out, "actors");
    ck_assert_int_eq(json_array_size(actors), 3);
    assert_field(json_array_get(actors, 0), "name", "\"c0\"");
    assert_field(json_array_get(actors, 2), "name", "\"c2\"");
    assert_field(json_array_get(actors, 0), "state", "{\"count\": 0}");
    assert_field(out, "next", "\"c2\"");
    json_decref(out);

    ck_assert_int_eq(eng_list(e, "counter", NULL, "c2", 3, &out), AD_OK);
    actors = json_object_get(out, "actors");
    ck_assert_int_eq(json_array_size(actors), 2);
    assert_field(json_array_get(actors, 0), "name", "\"c3\"");
    assert_field(out, "next", "null");
    json_decref(out);

    ck_assert_int_eq(eng_list(e, "counter", "waiting", NULL, 10, &out), AD_OK);
    ck_assert_int_eq(json_array_size(json_object_get(out, "actors")), 4);
    json_decref(out);
    ck_assert_int_eq(eng_list(e, NULL, "killed", NULL, 10, &out), AD_OK);
    actors = json_object_get(out, "actors");
    ck_assert_int_eq(json_array_size(actors), 1);
    assert_field(json_array_get(actors, 0), "name", "\"c1\"");
    json_decref(out);
    close_eng(e);
}
END_TEST

START_TEST(test_mailbox)
{
    struct eng *e = open_eng();
    json_t *out = NULL;
    ck_assert_int_eq(eng_mailbox(e, "nobody", 0, 0, &out), AD_ENOTFOUND);
    spawn(e, "c", "counter", NULL);
    spawn(e, "p", "puppet", NULL);
    int64_t s1, s2, s3;
    ck_assert_int_eq(send_err(e, "c", "\"one\"", &s1), AD_OK);
    ck_assert_int_eq(send_err(e, "c", "{\"two\": 2}", &s2), AD_OK);
    ck_assert_int_eq(send_err(e, "c", "[3]", &s3), AD_OK);

    ck_assert_int_eq(eng_mailbox(e, "c", 0, 0, &out), AD_OK);
    json_t *msgs = json_object_get(out, "messages");
    ck_assert_int_eq(json_array_size(msgs), 3);
    json_t *m = json_array_get(msgs, 0);
    ck_assert_int_eq(json_integer_value(json_object_get(m, "seq")), s1);
    assert_field(m, "from", "null");
    assert_field(m, "body", "\"one\"");
    json_decref(out);

    ck_assert_int_eq(eng_mailbox(e, "c", s1, 1, &out), AD_OK);
    msgs = json_object_get(out, "messages");
    ck_assert_int_eq(json_array_size(msgs), 1);
    ck_assert_int_eq(
        json_integer_value(json_object_get(json_array_get(msgs, 0), "seq")),
        s2);
    json_decref(out);

    /* A message from an actor names its sender. */
    run(e);
    send(e, "p", "{\"op\": \"send\", \"to\": \"c\", \"msg\": \"hi\"}");
    run(e);
    ck_assert_int_eq(eng_mailbox(e, "c", s3, 0, &out), AD_OK);
    msgs = json_object_get(out, "messages");
    ck_assert_int_eq(json_array_size(msgs), 1);
    assert_field(json_array_get(msgs, 0), "from", "\"p\"");
    assert_field(json_array_get(msgs, 0), "body", "\"hi\"");
    json_decref(out);
    close_eng(e);
}
END_TEST

START_TEST(test_behaviors)
{
    json_t *b = eng_behaviors();
    ck_assert_ptr_nonnull(b);
    json_t *list = json_object_get(b, "behaviors");
    ck_assert(json_is_array(list));
    static const char *const want[] = {"counter", "collector", "forwarder",
                                       "ring", "gather", "ticker", "supervisor", "timer"};
    for (size_t w = 0; w < 8; w++) {
        int found = 0;
        size_t i;
        json_t *it;
        json_array_foreach(list, i, it)
        {
            const char *name = json_string_value(json_object_get(it, "name"));
            const char *doc = json_string_value(json_object_get(it, "doc"));
            ck_assert_ptr_nonnull(name);
            ck_assert_ptr_nonnull(doc);
            if (strcmp(name, want[w]) == 0) {
                found++;
                ck_assert_int_gt(strlen(doc), 0);
            }
        }
        ck_assert_msg(found == 1, "%s listed %d times", want[w], found);
    }
    json_decref(b);

    /* The registry refuses a second behaviour of a taken name. */
    static const struct behavior again = {
        .name = "counter", .version = 9, .step = twoshape_step};
    static const struct behavior nostep = {.name = "nostep", .version = 1};
    ck_assert_int_eq(actor_register(&again), -1);
    ck_assert_int_eq(actor_register(&twoshape), -1);
    ck_assert_int_eq(actor_register(&nostep), -1);
    ck_assert_int_eq(actor_register(NULL), -1);
}
END_TEST

/* ---- the standard behaviours ---- */

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

START_TEST(test_scan_skips_behaviour)
{
    struct eng *e = open_eng();
    spawn(e, "t", "twoshape", NULL);
    ck_assert_int_eq(run(e), 1);
    ck_assert_int_eq(twoshape_calls, 1);
    send(e, "t", "{\"other\": 1}");
    send(e, "t", "{\"inc\": \"1\"}");
    send(e, "t", "[1]");
    ck_assert_int_eq(run(e), 0);
    ck_assert_int_eq(twoshape_calls, 1);
    assert_status(e, "t", "waiting");
    /* One match behind three misses: one call. */
    send(e, "t", "{\"dec\": 4}");
    ck_assert_int_eq(run(e), 1);
    ck_assert_int_eq(twoshape_calls, 2);
    assert_actor(e, "t", "state", "{\"total\": -4, \"matched\": [1]}");
    assert_mailbox(e, "t", "[{\"other\": 1}, {\"inc\": \"1\"}, [1]]");
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

START_TEST(test_ring_small_batches)
{
    /* One step per transaction gives the same outcome. */
    struct eng_opts o = {.busy_timeout_ms = 50, .batch_steps = 1};
    struct eng *e = open_eng_opts(&o);
    spawn(e, "r", "ring", "{\"n\": 10, \"message\": null}");
    long steps = 0;
    ck_assert_int_eq(eng_run(e, 0, 0, &steps), AD_OK);
    ck_assert_int_ge(steps, 22);
    json_t *doc = get_doc(e, "r");
    assert_field(doc, "status", "\"exited\"");
    assert_field(doc, "result", "null");
    json_decref(doc);
    close_eng(e);
}
END_TEST

/* ---- the step loop ---- */

START_TEST(test_run_max_steps)
{
    struct eng *e = open_eng();
    char name[16];
    for (int i = 0; i < 5; i++) {
        snprintf(name, sizeof name, "c%d", i);
        spawn(e, name, "counter", NULL);
    }
    long steps = -1;
    ck_assert_int_eq(eng_run(e, 3, 0, &steps), AD_OK);
    ck_assert_int_eq(steps, 3);
    json_t *out = NULL;
    ck_assert_int_eq(eng_list(e, NULL, "runnable", NULL, 10, &out), AD_OK);
    ck_assert_int_eq(json_array_size(json_object_get(out, "actors")), 2);
    json_decref(out);
    ck_assert_int_eq(eng_list(e, NULL, "waiting", NULL, 10, &out), AD_OK);
    ck_assert_int_eq(json_array_size(json_object_get(out, "actors")), 3);
    json_decref(out);

    ck_assert_int_eq(eng_run(e, 0, 0, &steps), AD_OK);
    ck_assert_int_eq(steps, 2);
    ck_assert_int_eq(eng_list(e, NULL, "waiting", NULL, 10, &out), AD_OK);
    ck_assert_int_eq(json_array_size(json_object_get(out, "actors")), 5);
    json_decref(out);

    /* Nothing runnable: no steps, and steps may be NULL. */
    ck_assert_int_eq(eng_run(e, 0, 0, &steps), AD_OK);
    ck_assert_int_eq(steps, 0);
    ck_assert_int_eq(eng_run(e, 1, 0, NULL), AD_OK);

    /* One step at a time through a counter's mail. */
    send(e, "c0", "{\"add\": 1}");
    send(e, "c0", "{\"add\": 1}");
    ck_assert_int_eq(eng_run(e, 1, 0, &steps), AD_OK);
    ck_assert_int_eq(steps, 1);
    assert_actor(e, "c0", "state", "{\"count\": 1}");
    assert_status(e, "c0", "runnable");
    ck_assert_int_eq(eng_run(e, 1, 0, &steps), AD_OK);
    assert_actor(e, "c0", "state", "{\"count\": 2}");
    assert_status(e, "c0", "waiting");
    close_eng(e);
}
END_TEST

START_TEST(test_run_max_ms)
{
    /*
     * max_ms is honoured between the steps of one transaction too (it
     * once was only checked between transactions): with a huge batch,
     * eng_run(max_ms = 1) must still stop long before the ~6000 steps of
     * a 3000-ring, after at least one step.
     */
    struct eng_opts o = {
        .busy_timeout_ms = 50, .batch_steps = 1000000, .batch_ms = 600000};
    struct eng *e = open_eng_opts(&o);
    spawn(e, "r", "ring", "{\"n\": 3000, \"message\": 1}");
    long steps = -1;
    ck_assert_int_eq(eng_run(e, 0, 1, &steps), AD_OK);
    ck_assert_int_ge(steps, 1);
    ck_assert_msg(steps < 6002, "eng_run(max_ms = 1) ran all %ld steps", steps);
    assert_status(e, "r", "waiting");
    /* The rest runs on a later call. */
    run(e);
    assert_status(e, "r", "exited");
    close_eng(e);
}
END_TEST

/* ---- user-defined behaviours ---- */

START_TEST(test_user_two_shapes)
{
    struct eng *e = open_eng();
    spawn(e, "t", "twoshape", NULL);
    send(e, "t", "{\"inc\": 5}");
    send(e, "t", "{\"dec\": 2}");
    send(e, "t", "{\"neither\": 1}");
    send(e, "t", "{\"inc\": 1, \"dec\": 100}");
    run(e);
    json_t *doc = get_doc(e, "t");
    /* The shapes are tried in order: inc wins over dec. */
    assert_field(doc, "state", "{\"total\": 4, \"matched\": [0, 1, 0]}");
    assert_field(doc, "waiting_for",
                 "[{\"inc\": \"$integer\"}, {\"dec\": \"$integer\"}]");
    assert_field(doc, "status", "\"waiting\"");
    json_decref(doc);
    assert_mailbox(e, "t", "[{\"neither\": 1}]");
    ck_assert_int_eq(twoshape_calls, 4);
    close_eng(e);
}
END_TEST

START_TEST(test_user_selective_receive)
{
    struct eng *e = open_eng();
    spawn(e, "s", "selective", NULL);
    run(e);
    send(e, "s", "{\"a\": 1}");
    ck_assert_int_eq(run(e), 0);
    assert_status(e, "s", "waiting");
    send(e, "s", "{\"b\": 2}");
    long steps = 0;
    ck_assert_int_eq(eng_run(e, 1, 0, &steps), AD_OK);
    ck_assert_int_eq(steps, 1);
    json_t *doc = get_doc(e, "s");
    assert_field(doc, "state", "{\"first\": {\"b\": 2}}");
    assert_field(doc, "waiting_for", "[{\"a\": \"$any\"}]");
    /* The earlier message stayed, and now matches: runnable. */
    assert_field(doc, "status", "\"runnable\"");
    json_decref(doc);
    assert_mailbox(e, "s", "[{\"a\": 1}]");
    run(e);
    doc = get_doc(e, "s");
    assert_field(doc, "status", "\"exited\"");
    assert_field(doc, "result", "[{\"b\": 2}, {\"a\": 1}]");
    assert_field(doc, "mailbox", "0");
    json_decref(doc);
    close_eng(e);
}
END_TEST

START_TEST(test_user_state_on_disk)
{
    struct eng *e = open_eng();
    spawn(e, "t", "twoshape", NULL);
    send(e, "t", "{\"inc\": 5}");
    run(e);
    close_eng(e);

    sqlite3 *raw = raw_open(db.path);
    char state[128];
    raw_text(raw, "SELECT state FROM actors WHERE name = 't'", state,
             sizeof state);
    json_t *st = J(state);
    assert_json(st, "{\"total\": 5, \"matched\": [0]}");
    json_decref(st);
    ck_assert_int_eq(raw_int(raw, "SELECT resume FROM actors "
                                  "WHERE name = 't'"),
                     1);
    sqlite3_close(raw);

    e = open_eng();
    send(e, "t", "{\"dec\": 2}");
    run(e);
    close_eng(e);
    e = open_eng();
    send(e, "t", "{\"inc\": 10}");
    run(e);
    assert_actor(e, "t", "state", "{\"total\": 13, \"matched\": [0, 1, 0]}");
    close_eng(e);
}
END_TEST

START_TEST(test_user_fail)
{
    struct eng *e = open_eng();
    spawn(e, "p", "puppet", NULL);
    run(e);
    send(e, "p", "{\"op\": \"fail\", \"why\": \"because\"}");
    send(e, "p", "{\"op\": \"exit\"}");
    run(e);
    json_t *doc = get_doc(e, "p");
    assert_field(doc, "status", "\"failed\"");
    assert_field(doc, "error", "{\"message\": \"told to fail: because\"}");
    assert_field(doc, "result", "null");
    assert_field(doc, "waiting_for", "null");
    ck_assert_int_eq(eng_doc_ended(doc), 1);
    json_decref(doc);
    /* The failing step consumed its message; the next one is buried. */
    assert_mailbox(e, "p", "[]");
    assert_dead(e, "[[null, \"p\", \"unread at failure\", "
                   "{\"op\": \"exit\"}]]");
    ck_assert_int_eq(send_err(e, "p", "{\"op\": \"exit\"}", NULL), AD_EDEAD);
    ck_assert_int_eq(run(e), 0);
    close_eng(e);
}
END_TEST

/* Spawns a puppet p, runs it to its receive, tells it op, runs, and
 * returns its document (new reference). */
static json_t *
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
static void
assert_failed_with(const json_t *doc, const char *part)
{
    assert_field(doc, "status", "\"failed\"");
    const char *msg = json_string_value(
        json_object_get(json_object_get(doc, "error"), "message"));
    ck_assert_ptr_nonnull(msg);
    ck_assert_msg(strstr(msg, part) != NULL, "error \"%s\" lacks \"%s\"", msg,
                  part);
}

START_TEST(test_user_bad_shape)
{
    struct eng *e = open_eng();
    json_t *doc = puppet_after(e, "badshape");
    assert_failed_with(doc, "bad shape 0 in receive");
    assert_failed_with(doc, "$bogus");
    assert_field(doc, "waiting_for", "null");
    json_decref(doc);
    close_eng(e);
}
END_TEST

START_TEST(test_user_empty_shapes)
{
    struct eng *e = open_eng();
    json_t *doc = puppet_after(e, "emptyshapes");
    assert_failed_with(doc, "non-empty array of shapes");
    json_decref(doc);
    close_eng(e);
}
END_TEST

START_TEST(test_user_no_receive)
{
    struct eng *e = open_eng();
    json_t *doc = puppet_after(e, "noreceive");
    assert_failed_with(doc, "without a receive");
    json_decref(doc);
    close_eng(e);
}
END_TEST

START_TEST(test_user_send_dropped)
{
    struct eng *e = open_eng();
    spawn(e, "p", "puppet", NULL);
    spawn(e, "gone", "collector", NULL);
    json_t *doc = NULL;
    ck_assert_int_eq(eng_kill(e, "gone", &doc), AD_OK);
    json_decref(doc);
    run(e);

    /* To an unknown actor: a dead letter, not an error. */
    send(e, "p",
         "{\"op\": \"send\", \"to\": {\"$address\": \"nobody\"}, "
         "\"msg\": 1}");
    run(e);
    doc = get_doc(e, "p");
    assert_field(doc, "status", "\"waiting\"");
    assert_field(doc, "state", "{\"send_rc\": 0}");
    assert_field(doc, "mailbox", "0");
    json_decref(doc);
    json_t *none = NULL;
    ck_assert_int_eq(eng_get(e, "nobody", &none), AD_ENOTFOUND);

    /* To an ended actor: a dead letter too. */
    send(e, "p", "{\"op\": \"send\", \"to\": \"gone\", \"msg\": 2}");
    run(e);
    assert_status(e, "p", "waiting");
    assert_actor(e, "gone", "mailbox", "0");
    assert_dead(e, "[[\"p\", \"nobody\", \"no such actor\", 1], "
                   "[\"p\", \"gone\", \"actor ended\", 2]]");
    /* Paging and collecting. */
    json_t *page = NULL;
    ck_assert_int_eq(eng_dead_letters(e, 0, 1, &page), AD_OK);
    ck_assert_int_eq(json_array_size(json_object_get(page, "dead_letters")),
                     1);
    json_int_t next = json_integer_value(json_object_get(page, "next"));
    ck_assert_int_gt(next, 0);
    json_decref(page);
    ck_assert_int_eq(eng_dead_letters(e, next, 10, &page), AD_OK);
    ck_assert_int_eq(json_array_size(json_object_get(page, "dead_letters")),
                     1);
    ck_assert(json_is_null(json_object_get(page, "next")));
    json_decref(page);
    int64_t collected = 0;
    ck_assert_int_eq(eng_dead_letters_collect(e, next, &collected), AD_OK);
    ck_assert_int_eq(collected, 1);
    assert_dead(e, "[[\"p\", \"gone\", \"actor ended\", 2]]");

    /* Not an address: actor_send says so. */
    send(e, "p", "{\"op\": \"send\", \"to\": 5, \"msg\": 3}");
    run(e);
    assert_actor(e, "p", "state", "{\"send_rc\": -1}");
    assert_status(e, "p", "waiting");
    close_eng(e);
}
END_TEST

START_TEST(test_user_send_to_self)
{
    struct eng *e = open_eng();
    spawn(e, "p", "puppet", NULL);
    run(e);
    send(e, "p",
         "{\"op\": \"send\", \"to\": {\"$address\": \"p\"}, "
         "\"msg\": {\"op\": \"exit\", \"result\": \"self\"}}");
    /* The message it sends itself is taken by its next receive, in the
     * same run. */
    run(e);
    json_t *doc = get_doc(e, "p");
    assert_field(doc, "status", "\"exited\"");
    assert_field(doc, "result", "\"self\"");
    assert_field(doc, "mailbox", "0");
    json_decref(doc);
    ck_assert_int_eq(puppet_calls, 3);
    close_eng(e);
}
END_TEST

START_TEST(test_user_spawn_names)
{
    struct eng *e = open_eng();
    spawn(e, "P", "puppet", NULL);
    run(e);
    send(e, "P", "{\"op\": \"spawn\", \"behavior\": \"collector\"}");
    send(e, "P",
         "{\"op\": \"spawn\", \"behavior\": \"counter\", "
         "\"args\": {\"start\": 7}}");
    run(e);
    assert_actor(e, "P", "state",
                 "{\"spawned\": [{\"$address\": \"P.1\"}, "
                 "{\"$address\": \"P.2\"}]}");
    json_t *doc = get_doc(e, "P.1");
    assert_field(doc, "behavior", "\"collector\"");
    assert_field(doc, "status", "\"waiting\""); /* it ran */
    json_decref(doc);
    assert_actor(e, "P.2", "state", "{\"count\": 7}");

    /* Refused spawns give null and use up no number. */
    send(e, "P", "{\"op\": \"spawn\", \"behavior\": \"nosuch\"}");
    send(e, "P",
         "{\"op\": \"spawn\", \"behavior\": \"counter\", "
         "\"args\": {\"start\": \"x\"}}");
    run(e);
    assert_status(e, "P", "waiting");

    /* The count is on disk, and a taken name is skipped. */
    close_eng(e);
    e = open_eng();
    spawn(e, "P.3", "collector", NULL);
    send(e, "P", "{\"op\": \"spawn\", \"behavior\": \"collector\"}");
    run(e);
    assert_actor(e, "P", "state",
                 "{\"spawned\": [{\"$address\": \"P.1\"}, "
                 "{\"$address\": \"P.2\"}, null, null, "
                 "{\"$address\": \"P.4\"}]}");
    assert_status(e, "P.4", "waiting");
    close_eng(e);
}
END_TEST

START_TEST(test_user_spawn_long_name)
{
    /* "NAME.1" would be over AD_NAME_MAX: the child gets a fresh name. */
    struct eng *e = open_eng();
    char name[AD_NAME_MAX];
    memset(name, 'P', AD_NAME_MAX - 1);
    name[AD_NAME_MAX - 1] = '\0';
    spawn(e, name, "puppet", NULL);
    run(e);
    send(e, name, "{\"op\": \"spawn\", \"behavior\": \"collector\"}");
    run(e);
    json_t *doc = get_doc(e, name);
    assert_field(doc, "status", "\"waiting\"");
    const char *child = json_string_value(json_object_get(
        json_array_get(
            json_object_get(json_object_get(doc, "state"), "spawned"), 0),
        "$address"));
    ck_assert_ptr_nonnull(child);
    ck_assert_int_eq(ad_name_valid(child, strlen(child)), 1);
    ck_assert_str_ne(child, name);
    assert_status(e, child, "waiting");
    json_decref(doc);
    close_eng(e);
}
END_TEST

START_TEST(test_user_stranded_version)
{
    struct eng *e = open_eng();
    spawn(e, "t", "twoshape", NULL);
    send(e, "t", "{\"inc\": 1}");
    run(e);
    ck_assert_int_eq(twoshape_calls, 2);

    /* As if stored by another version of the behaviour. */
    raw_sql("UPDATE actors SET version = 2 WHERE name = 't'");
    send(e, "t", "{\"inc\": 10}");
    run(e);
    ck_assert_int_eq(twoshape_calls, 2); /* not run */
    json_t *doc = get_doc(e, "t");
    assert_field(doc, "status", "\"stranded\"");
    assert_field(doc, "state", "{\"total\": 1, \"matched\": [0]}");
    assert_field(doc, "mailbox", "1");
    json_t *err = json_object_get(doc, "error");
    assert_field(err, "error", "\"unknown_behavior\"");
    const char *msg = json_string_value(json_object_get(err, "message"));
    ck_assert_ptr_nonnull(msg);
    ck_assert_ptr_nonnull(strstr(msg, "version 2"));
    ck_assert_int_eq(eng_doc_ended(doc), 0);
    json_decref(doc);
    assert_mailbox(e, "t", "[{\"inc\": 10}]");

    /* It stays stranded: more mail does not run it. */
    send(e, "t", "{\"inc\": 100}");
    ck_assert_int_eq(run(e), 0);
    assert_status(e, "t", "stranded");
    json_t *out = NULL;
    ck_assert_int_eq(eng_list(e, NULL, "stranded", NULL, 10, &out), AD_OK);
    ck_assert_int_eq(json_array_size(json_object_get(out, "actors")), 1);
    json_decref(out);

    /* A build that knows the version picks up where it stopped. */
    raw_sql("UPDATE actors SET version = 1 WHERE name = 't'");
    ck_assert_int_eq(eng_unstrand(e), AD_OK);
    run(e);
    ck_assert_int_eq(twoshape_calls, 4);
    doc = get_doc(e, "t");
    assert_field(doc, "status", "\"waiting\"");
    assert_field(doc, "state", "{\"total\": 111, \"matched\": [0, 0, 0]}");
    assert_field(doc, "mailbox", "0");
    json_decref(doc);
    close_eng(e);
}
END_TEST

START_TEST(test_user_stranded_resume_point)
{
    struct eng *e = open_eng();
    spawn(e, "t", "twoshape", NULL);
    run(e);
    raw_sql("UPDATE actors SET resume = 99 WHERE name = 't'");
    send(e, "t", "{\"inc\": 3}");
    run(e);
    json_t *doc = get_doc(e, "t");
    assert_field(doc, "status", "\"stranded\"");
    assert_field(doc, "state", "{\"total\": 0, \"matched\": []}");
    assert_field(doc, "mailbox", "1");
    json_t *err = json_object_get(doc, "error");
    assert_field(err, "error", "\"unknown_resume_point\"");
    const char *msg = json_string_value(json_object_get(err, "message"));
    ck_assert_ptr_nonnull(msg);
    ck_assert_ptr_nonnull(strstr(msg, "99"));
    json_decref(doc);
    assert_mailbox(e, "t", "[{\"inc\": 3}]");

    /* Never silently reset: the resume point is still 99. */
    sqlite3 *raw = raw_open(db.path);
    ck_assert_int_eq(raw_int(raw, "SELECT resume FROM actors "
                                  "WHERE name = 't'"),
                     99);
    sqlite3_close(raw);
    ck_assert_int_eq(eng_unstrand(e), AD_OK);
    run(e);
    assert_status(e, "t", "stranded");
    assert_mailbox(e, "t", "[{\"inc\": 3}]");
    close_eng(e);
}
END_TEST

START_TEST(test_user_unknown_behaviour_stranded)
{
    struct eng *e = open_eng();
    spawn(e, "t", "twoshape", NULL);
    raw_sql("UPDATE actors SET behavior = 'gone_away' WHERE name = 't'");
    run(e);
    ck_assert_int_eq(twoshape_calls, 0);
    json_t *doc = get_doc(e, "t");
    assert_field(doc, "status", "\"stranded\"");
    assert_field(json_object_get(doc, "error"), "error",
                 "\"unknown_behavior\"");
    json_decref(doc);
    close_eng(e);
}
END_TEST

START_TEST(test_user_bad_stored_state)
{
    struct eng *e = open_eng();
    spawn(e, "t", "twoshape", NULL);
    run(e);
    raw_sql("UPDATE actors SET state = '[1, 2]' WHERE name = 't'");
    send(e, "t", "{\"inc\": 1}");
    run(e);
    ck_assert_int_eq(twoshape_calls, 1);
    json_t *doc = get_doc(e, "t");
    assert_field(doc, "status", "\"stranded\"");
    assert_field(json_object_get(doc, "error"), "error", "\"bad_state\"");
    assert_field(doc, "state", "[1, 2]");
    assert_field(doc, "mailbox", "1");
    json_decref(doc);
    close_eng(e);
}
END_TEST

START_TEST(test_user_bad_stored_shapes_id)
{
    /* waiting_for naming a shapes row that is not there (edited by hand)
     * strands that actor; the others go on. */
    struct eng *e = open_eng();
    spawn(e, "t", "twoshape", NULL);
    spawn(e, "u", "twoshape", NULL);
    run(e);
    raw_sql("UPDATE actors SET waiting_for = '999', status = 'runnable' "
            "WHERE name = 't'");
    send(e, "u", "{\"inc\": 2}");
    run(e);
    json_t *doc = get_doc(e, "t");
    assert_field(doc, "status", "\"stranded\"");
    assert_field(json_object_get(doc, "error"), "error", "\"bad_state\"");
    json_decref(doc);
    assert_actor(e, "u", "state", "{\"total\": 2, \"matched\": [0]}");
    close_eng(e);
}
END_TEST

/* ---- atomicity ---- */

START_TEST(test_atomic_busy)
{
    struct eng *e = open_eng();
    spawn(e, "t", "collector", NULL);
    spawn(e, "p", "puppet", NULL);
    run(e);
    send(e, "p", "{\"op\": \"send\", \"to\": \"t\", \"msg\": \"x\"}");

    sqlite3 *raw = raw_open(db.path);
    raw_exec(raw, "BEGIN IMMEDIATE");
    long steps = -1;
    ck_assert_int_eq(eng_run(e, 0, 0, &steps), AD_EBUSY);
    ck_assert_int_eq(puppet_calls, 1);
    raw_exec(raw, "ROLLBACK");

    assert_mailbox(e, "p",
                   "[{\"op\": \"send\", \"to\": \"t\", "
                   "\"msg\": \"x\"}]");
    assert_mailbox(e, "t", "[]");
    assert_status(e, "p", "runnable");
    /* While the lock is held, spawn and send fail too, and store
     * nothing. */
    raw_exec(raw, "BEGIN IMMEDIATE");
    ck_assert_int_eq(send_err(e, "t", "1", NULL), AD_EBUSY);
    ck_assert_int_eq(spawn_err(e, "n", "collector", NULL, NULL), AD_EBUSY);
    raw_exec(raw, "ROLLBACK");
    sqlite3_close(raw);
    json_t *none = NULL;
    ck_assert_int_eq(eng_get(e, "n", &none), AD_ENOTFOUND);

    run(e);
    assert_mailbox(e, "p", "[]");
    assert_actor(e, "t", "state", "{\"messages\": [\"x\"]}");
    close_eng(e);
}
END_TEST

START_TEST(test_atomic_rollback)
{
    /* One transaction for the whole run, however slow the machine (under
     * valgrind a 50 ms batch would commit the early steps). */
    struct eng_opts o = {.busy_timeout_ms = 50, .batch_ms = 600000};
    struct eng *e = open_eng_opts(&o);
    spawn(e, "t", "collector", NULL);
    spawn(e, "p1", "puppet", NULL);
    spawn(e, "p2", "puppet", NULL);
    run(e);
    ck_assert_int_eq(puppet_calls, 2);
    send(e, "p1", "{\"op\": \"send\", \"to\": \"t\", \"msg\": \"ok\"}");
    send(e, "p2", "{\"op\": \"spawn\", \"behavior\": \"collector\"}");
    send(e, "p2", "{\"op\": \"send\", \"to\": \"t\", \"msg\": \"boom\"}");

    /* Every insert of a message saying boom fails: p1 sends ok, p2
     * spawns, t takes ok, then p2's second step fails at the store, all
     * in one transaction. */
    raw_sql("CREATE TRIGGER boom BEFORE INSERT ON messages "
            "WHEN NEW.body LIKE '%boom%' "
            "BEGIN SELECT RAISE(ABORT, 'injected'); END");
    long steps = -1;
    int err = eng_run(e, 0, 0, &steps);
    ck_assert_int_ne(err, AD_OK);
    ck_assert_int_eq(puppet_calls, 5); /* p1 once, p2 twice: all undone */

    /* Nothing of any step is visible. */
    sqlite3 *raw = raw_open(db.path);
    ck_assert_int_eq(raw_int(raw, "SELECT count(*) FROM mailbox "
                                  "WHERE actor = 't'"),
                     0);
    ck_assert_int_eq(raw_int(raw, "SELECT count(*) FROM mailbox "
                                  "WHERE actor = 'p1'"),
                     1);
    ck_assert_int_eq(raw_int(raw, "SELECT count(*) FROM mailbox "
                                  "WHERE actor = 'p2'"),
                     2);
    ck_assert_int_eq(raw_int(raw, "SELECT count(*) FROM actors "
                                  "WHERE name = 'p2.1'"),
                     0);
    ck_assert_int_eq(raw_int(raw, "SELECT spawned FROM actors "
                                  "WHERE name = 'p2'"),
                     0);
    ck_assert_int_eq(raw_int(raw, "SELECT count(*) FROM actors "
                                  "WHERE status = 'runnable'"),
                     2);
    sqlite3_close(raw);
    assert_actor(e, "p1", "state", "{}");
    assert_actor(e, "p2", "state", "{}");
    assert_actor(e, "t", "state", "{\"messages\": []}");
    assert_status(e, "t", "waiting");

    /* With the fault gone the same steps run, once each. */
    raw_sql("DROP TRIGGER boom");
    run(e);
    assert_actor(e, "t", "state", "{\"messages\": [\"ok\", \"boom\"]}");
    assert_actor(e, "p1", "state", "{\"send_rc\": 0}");
    assert_actor(e, "p2", "state",
                 "{\"send_rc\": 0, \"spawned\": [{\"$address\": \"p2.1\"}]}");
    assert_mailbox(e, "p1", "[]");
    assert_mailbox(e, "p2", "[]");
    assert_status(e, "p2.1", "waiting");
    ck_assert_int_eq(puppet_calls, 8);
    close_eng(e);
}
END_TEST

/* ---- the suite ---- */

static TCase *
tcase(const char *name)
{
    return tcase_with(name, setup, teardown, 60);
}

/* ---- monitors ---- */

START_TEST(test_monitor_exit)
{
    struct eng *e = open_eng();
    spawn(e, "w", "watcher",
          "{\"spawn\": \"forwarder\", \"child_args\": "
          "{\"to\": \"nobody\", \"once\": true}}");
    run(e);
    assert_status(e, "w", "waiting");
    assert_actor(e, "w", "state", "{\"child\": {\"$address\": \"w.1\"}}");
    send(e, "w.1", "\"bye\"");
    run(e);
    assert_status(e, "w.1", "exited");
    assert_actor(e, "w", "result",
                 "{\"exit\": \"bye\", \"address\": {\"$address\": \"w.1\"}}");
    close_eng(e);
}
END_TEST

START_TEST(test_monitor_kill_and_fail)
{
    struct eng *e = open_eng();
    spawn(e, "k", "counter", NULL);
    spawn(e, "w", "watcher", "{\"target\": \"k\"}");
    spawn(e, "p", "puppet", NULL);
    spawn(e, "w2", "watcher", "{\"target\": {\"$address\": \"p\"}}");
    run(e);
    json_t *doc = NULL;
    ck_assert_int_eq(eng_kill(e, "k", &doc), AD_OK);
    json_decref(doc);
    run(e);
    assert_actor(e, "w", "result",
                 "{\"exception\": {\"error\": \"killed\", \"message\": "
                 "\"the actor was killed\"}, \"address\": "
                 "{\"$address\": \"k\"}}");
    send(e, "p", "{\"op\": \"fail\", \"why\": \"because\"}");
    run(e);
    assert_status(e, "p", "failed");
    assert_actor(e, "w2", "result",
                 "{\"exception\": {\"message\": \"told to fail: because\"}, "
                 "\"address\": {\"$address\": \"p\"}}");
    /* The watches are gone once told: nothing is left in the table. */
    sqlite3 *raw = raw_open(db.path);
    ck_assert_int_eq(raw_int(raw, "SELECT count(*) FROM monitors"), 0);
    sqlite3_close(raw);
    close_eng(e);
}
END_TEST

START_TEST(test_monitor_ended_and_unknown)
{
    struct eng *e = open_eng();
    spawn(e, "f", "forwarder", "{\"to\": \"nobody\", \"once\": true}");
    send(e, "f", "7");
    run(e);
    assert_status(e, "f", "exited");
    /* Watching an ended actor: told at once. */
    spawn(e, "w", "watcher", "{\"target\": \"f\"}");
    spawn(e, "w2", "watcher", "{\"target\": \"ghost\"}");
    run(e);
    assert_actor(e, "w", "result",
                 "{\"exit\": 7, \"address\": {\"$address\": \"f\"}}");
    assert_actor(e, "w2", "result",
                 "{\"exception\": {\"error\": \"no_such_actor\", "
                 "\"message\": \"no such actor\"}, \"address\": "
                 "{\"$address\": \"ghost\"}}");
    /* A watcher that ended before its target: the notice is a dead
     * letter. */
    spawn(e, "t", "counter", NULL);
    spawn(e, "w3", "watcher", "{\"target\": \"t\"}");
    run(e);
    json_t *doc = NULL;
    ck_assert_int_eq(eng_kill(e, "w3", &doc), AD_OK);
    json_decref(doc);
    ck_assert_int_eq(eng_kill(e, "t", &doc), AD_OK);
    json_decref(doc);
    json_t *out = NULL;
    ck_assert_int_eq(eng_dead_letters(e, 0, 10, &out), AD_OK);
    json_t *list = json_object_get(out, "dead_letters");
    json_t *last = json_array_get(list, json_array_size(list) - 1);
    ck_assert_str_eq(json_string_value(json_object_get(last, "to")), "w3");
    ck_assert_str_eq(json_string_value(json_object_get(last, "from")), "t");
    json_decref(out);
    close_eng(e);
}
END_TEST

START_TEST(test_monitor_spawn_watched)
{
    struct eng *e = open_eng();
    spawn(e, "col", "collector", NULL);
    json_t *doc = NULL, *mons = json_pack("[s]", "col");
    json_t *bad = json_pack("[s, s]", "col", "nobody");
    json_t *badname = json_pack("[i]", 5);
    const char *why = NULL;
    ck_assert_int_eq(eng_spawn_watched(e, "x", "counter", NULL, bad, &doc,
                                       &why),
                     AD_ENOTFOUND);
    ck_assert_ptr_nonnull(why);
    json_t *none = NULL;
    ck_assert_int_eq(eng_get(e, "x", &none), AD_ENOTFOUND);
    ck_assert_int_eq(eng_spawn_watched(e, "x", "counter", NULL, badname,
                                       &doc, &why),
                     AD_EBADNAME);
    ck_assert_int_eq(eng_spawn_watched(e, "x", "counter", NULL, mons, &doc,
                                       &why),
                     AD_OK);
    json_decref(doc);
    run(e);
    ck_assert_int_eq(eng_kill(e, "x", &doc), AD_OK);
    json_decref(doc);
    run(e);
    assert_actor(e, "col", "state",
                 "{\"messages\": [{\"exception\": {\"error\": \"killed\", "
                 "\"message\": \"the actor was killed\"}, \"address\": "
                 "{\"$address\": \"x\"}}]}");
    json_decref(mons);
    json_decref(bad);
    json_decref(badname);
    close_eng(e);
}
END_TEST

/* ---- links ---- */

#define KILLED_AT(name)                                                     \
    "{\"exception\": {\"error\": \"killed\", \"message\": "                \
    "\"the actor was killed\"}, \"address\": {\"$address\": \"" name "\"}}"

/* A failure propagates along a chain of links and stops at the actor that
 * traps exits, which gets the notice as a message. */
START_TEST(test_link_chain)
{
    struct eng *e = open_eng();
    spawn(e, "c", "counter", NULL);
    spawn(e, "l1", "linker", "{\"link\": \"c\"}");
    run(e);
    spawn(e, "l2", "linker", "{\"link\": \"l1\"}");
    run(e);
    spawn(e, "l3", "linker", "{\"link\": \"l2\", \"trap\": true}");
    run(e);
    sqlite3 *raw = raw_open(db.path);
    ck_assert_int_eq(raw_int(raw, "SELECT count(*) FROM link_list"), 6);
    sqlite3_close(raw);
    json_t *doc = NULL;
    ck_assert_int_eq(eng_kill(e, "c", &doc), AD_OK);
    json_decref(doc);
    assert_status(e, "l1", "killed");
    assert_status(e, "l2", "killed");
    run(e);
    assert_status(e, "l3", "exited");
    assert_actor(e, "l3", "result", KILLED_AT("l2"));
    raw = raw_open(db.path);
    ck_assert_int_eq(raw_int(raw, "SELECT count(*) FROM links"), 0);
    sqlite3_close(raw);
    close_eng(e);
}
END_TEST

/* A normal exit is told to linked actors and kills nobody. */
START_TEST(test_link_normal_exit)
{
    struct eng *e = open_eng();
    spawn(e, "f", "forwarder", "{\"to\": \"nobody\", \"once\": true}");
    spawn(e, "l", "linker", "{\"link\": \"f\"}");
    run(e);
    send(e, "f", "\"done\"");
    run(e);
    assert_status(e, "f", "exited");
    assert_actor(e, "l", "result",
                 "{\"exit\": \"done\", \"address\": {\"$address\": \"f\"}}");
    /* A failing puppet kills its non-trapping linker. */
    spawn(e, "p", "puppet", NULL);
    run(e);
    spawn(e, "l2", "linker", "{\"link\": \"p\"}");
    run(e);
    send(e, "p", "{\"op\": \"fail\", \"why\": \"x\"}");
    run(e);
    assert_status(e, "p", "failed");
    assert_status(e, "l2", "killed");
    close_eng(e);
}
END_TEST

/* Linking to an unknown actor kills a non-trapping linker at once and
 * tells a trapping one; actor_kill from a behaviour kills its target and
 * what is linked to it, itself included. */
START_TEST(test_link_ended_and_kill)
{
    struct eng *e = open_eng();
    spawn(e, "l", "linker", "{\"link\": \"ghost\"}");
    spawn(e, "t", "linker", "{\"link\": \"ghost\", \"trap\": true}");
    run(e);
    assert_status(e, "l", "killed");
    assert_actor(e, "t", "result",
                 "{\"exception\": {\"error\": \"no_such_actor\", "
                 "\"message\": \"no such actor\"}, \"address\": "
                 "{\"$address\": \"ghost\"}}");
    spawn(e, "v", "counter", NULL);
    spawn(e, "k", "linker", "{\"kill\": \"v\"}");
    run(e);
    assert_status(e, "v", "killed");
    assert_status(e, "k", "waiting");
    /* k links to v2 and kills it: the link brings k down in the same
     * step. */
    spawn(e, "v2", "counter", NULL);
    spawn(e, "k2", "linker", "{\"link\": \"v2\", \"kill\": \"v2\"}");
    run(e);
    assert_status(e, "v2", "killed");
    assert_status(e, "k2", "killed");
    assert_actor(e, "k2", "error",
                 "{\"error\": \"killed\", \"message\": "
                 "\"the actor was killed\"}");
    close_eng(e);
}
END_TEST

/* ---- timeouts ---- */

/* A timeout of 0 polls: with nothing there, it resumes timed out at
 * once; with a matching message there, it takes it. */
START_TEST(test_timeout_poll)
{
    struct eng *e = open_eng();
    spawn(e, "w", "waiter", "{\"ms\": 0}");
    run(e);
    assert_status(e, "w", "exited");
    assert_actor(e, "w", "result", "\"timeout\"");
    spawn(e, "w2", "waiter", "{\"ms\": 0}");
    send(e, "w2", "{\"go\": 1}");
    run(e);
    assert_actor(e, "w2", "result", "{\"go\": 1}");
    close_eng(e);
}
END_TEST

/* The deadline is stored: it fires on a later run by a new engine, late
 * but once. */
START_TEST(test_timeout_fires_after_reopen)
{
    struct eng *e = open_eng();
    spawn(e, "w", "waiter", "{\"ms\": 150}");
    run(e);
    assert_status(e, "w", "waiting");
    json_t *doc = get_doc(e, "w");
    ck_assert(json_is_string(json_object_get(doc, "deadline")));
    json_decref(doc);
    close_eng(e);
    struct timespec ts = {0, 300 * 1000000};
    nanosleep(&ts, NULL);
    e = open_eng();
    run(e);
    assert_status(e, "w", "exited");
    assert_actor(e, "w", "result", "\"timeout\"");
    assert_actor(e, "w", "deadline", "null");
    ck_assert_int_eq(run(e), 0);
    close_eng(e);
}
END_TEST

/* A message that matches before the deadline wins; unmatched messages do
 * not count. */
START_TEST(test_timeout_message_first)
{
    struct eng *e = open_eng();
    spawn(e, "w", "waiter", "{\"ms\": 60000}");
    run(e);
    send(e, "w", "\"noise\"");
    run(e);
    assert_status(e, "w", "waiting");
    send(e, "w", "{\"go\": 2}");
    run(e);
    assert_actor(e, "w", "result", "{\"go\": 2}");
    close_eng(e);
}
END_TEST

START_TEST(test_timeout_bad)
{
    struct eng *e = open_eng();
    spawn(e, "neg", "waiter", "{\"ms\": -1}");
    spawn(e, "big", "waiter", "{\"ms\": 100000000000000}");
    run(e);
    assert_status(e, "neg", "failed");
    assert_status(e, "big", "failed");
    json_t *doc = get_doc(e, "neg");
    const char *msg = json_string_value(
        json_object_get(json_object_get(doc, "error"), "message"));
    ck_assert_ptr_nonnull(strstr(msg, "out of range"));
    json_decref(doc);
    json_t *out = NULL, *args = json_pack("{s:i}", "every_ms", 0);
    const char *why = NULL;
    ck_assert_int_eq(eng_spawn(e, "t", "ticker", args, &out, &why),
                     AD_EBADARGS);
    ck_assert_ptr_nonnull(why);
    json_decref(args);
    close_eng(e);
}
END_TEST

START_TEST(test_ticker)
{
    struct eng *e = open_eng();
    spawn(e, "t", "ticker", "{\"every_ms\": 20}");
    for (int i = 0; i < 4; i++) {
        run(e);
        struct timespec ts = {0, 30 * 1000000};
        nanosleep(&ts, NULL);
    }
    run(e);
    json_t *doc = get_doc(e, "t");
    json_int_t ticks = json_integer_value(
        json_object_get(json_object_get(doc, "state"), "ticks"));
    json_decref(doc);
    ck_assert_int_ge(ticks, 3);
    ck_assert_int_le(ticks, 5);
    send(e, "t", "{\"stop\": true}");
    run(e);
    assert_status(e, "t", "exited");
    close_eng(e);
}
END_TEST

/* ---- timers ---- */

static void
sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

static int
count_timers(void)
{
    sqlite3 *raw = raw_open(db.path);
    int n = raw_int(raw, "SELECT count(*) FROM timers");
    sqlite3_close(raw);
    return n;
}

START_TEST(test_timer_once)
{
    struct eng *e = open_eng();
    spawn(e, "a", "alarm", "{\"ms\": 40}");
    run(e);
    assert_actor(e, "a", "state", "{\"timer\": 1, \"rings\": 0}");
    ck_assert_int_eq(count_timers(), 1);
    sleep_ms(60);
    run(e);
    assert_actor(e, "a", "state", "{\"timer\": 1, \"rings\": 1}");
    ck_assert_int_eq(count_timers(), 0);
    sleep_ms(60);
    run(e);
    assert_actor(e, "a", "state", "{\"timer\": 1, \"rings\": 1}");
    close_eng(e);
}
END_TEST

/* A repeating timer whose periods passed while nothing ran (the engine
 * closed, as after a crash) fires once on recovery, then keeps its
 * period. */
START_TEST(test_timer_missed_periods)
{
    struct eng *e = open_eng();
    spawn(e, "a", "alarm", "{\"ms\": 20, \"every\": 20}");
    run(e);
    close_eng(e);
    sleep_ms(250);
    e = open_eng();
    run(e);
    assert_actor(e, "a", "state", "{\"timer\": 1, \"rings\": 1}");
    ck_assert_int_eq(count_timers(), 1);
    sleep_ms(45);
    run(e);
    assert_actor(e, "a", "state", "{\"timer\": 1, \"rings\": 2}");
    close_eng(e);
}
END_TEST

START_TEST(test_timer_cancel_and_end)
{
    struct eng *e = open_eng();
    spawn(e, "c", "alarm", "{\"ms\": 10, \"cancel\": true}");
    spawn(e, "k", "alarm", "{\"ms\": 60000, \"every\": 1000}");
    run(e);
    assert_actor(e, "c", "state",
                 "{\"timer\": 1, \"rings\": 0, \"cancelled\": 1}");
    ck_assert_int_eq(count_timers(), 1);
    sleep_ms(30);
    run(e);
    assert_actor(e, "c", "state",
                 "{\"timer\": 1, \"rings\": 0, \"cancelled\": 1}");
    json_t *doc = NULL;
    ck_assert_int_eq(eng_kill(e, "k", &doc), AD_OK);
    json_decref(doc);
    ck_assert_int_eq(count_timers(), 0);
    close_eng(e);
}
END_TEST

/* ---- calls ---- */

START_TEST(test_call_counter)
{
    struct eng *e = open_eng();
    spawn(e, "c", "counter", "{\"start\": 5}");
    spawn(e, "k1", "caller",
          "{\"to\": \"c\", \"method\": \"add\", \"payload\": 3, "
          "\"ms\": 60000}");
    spawn(e, "k2", "caller",
          "{\"to\": \"c\", \"method\": \"nope\", \"ms\": 60000}");
    run(e);
    json_t *doc = get_doc(e, "k1");
    json_t *got = json_object_get(json_object_get(doc, "state"), "got");
    ck_assert_int_eq(json_integer_value(json_object_get(got, "message")), 8);
    ck_assert(json_is_string(json_object_get(got, "response")));
    json_decref(doc);
    doc = get_doc(e, "k2");
    got = json_object_get(json_object_get(doc, "state"), "got");
    ck_assert_str_eq(json_string_value(json_object_get(got,
                                                       "invalid_method")),
                     "nope");
    json_decref(doc);
    assert_actor(e, "c", "state", "{\"count\": 8}");
    close_eng(e);
}
END_TEST

/* A call that times out leaves nothing waiting; its late reply becomes a
 * dead letter, not a message in the caller's mailbox. */
START_TEST(test_call_timeout_late_reply)
{
    struct eng *e = open_eng();
    spawn(e, "col", "collector", NULL);
    spawn(e, "k", "caller",
          "{\"to\": \"col\", \"method\": \"get\", \"ms\": 30}");
    run(e);
    assert_status(e, "k", "waiting");
    sleep_ms(50);
    run(e);
    assert_actor(e, "k", "state", "{\"got\": \"timeout\"}");
    assert_status(e, "k", "waiting");
    /* The collector holds the call; answer it now, late. */
    json_t *doc = get_doc(e, "col");
    json_t *call = json_array_get(
        json_object_get(json_object_get(doc, "state"), "messages"), 0);
    json_t *reply = json_pack("{s:O, s:s}", "response",
                              json_object_get(call, "call"), "message",
                              "late");
    json_decref(doc);
    ck_assert_int_eq(eng_send(e, "k", reply, NULL), AD_OK);
    json_decref(reply);
    run(e);
    assert_actor(e, "k", "mailbox", "0");
    assert_status(e, "k", "waiting");
    json_t *out = NULL;
    ck_assert_int_eq(eng_dead_letters(e, 0, 10, &out), AD_OK);
    json_t *d = json_array_get(json_object_get(out, "dead_letters"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(d, "reason")),
                     "late reply");
    ck_assert_str_eq(json_string_value(json_object_get(d, "to")), "k");
    json_decref(out);
    send(e, "k", "\"bye\"");
    run(e);
    assert_actor(e, "k", "result", "\"bye\"");
    close_eng(e);
}
END_TEST


/* ---- resource limits ---- */

/*
 * spinner: on {"spin": "pure"} loops for ever in its own code; on
 * {"spin": "calls"} loops for ever calling the engine (each call a fenced
 * region, so the cut-off waits for the fence to end); on {"ok": N} adds
 * N to state.total.
 */
static enum actor_step
spinner_step(struct actor *a)
{
    json_t *st = actor_state(a);
    const char *how;
    volatile unsigned long spins = 0;
    ACTOR_BEGIN(a);
    for (;;) {
        ACTOR_RECEIVE(a, 1, json_pack("[{s:s}, {s:s}]", "spin", "$string",
                                      "ok", "$integer"));
        if (actor_matched(a) == 1) {
            json_object_set_new(
                st, "total",
                json_integer(
                    json_integer_value(json_object_get(st, "total")) +
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

static const struct behavior spinner = {
    .name = "spinner",
    .version = 1,
    .doc = "test: loops for ever when told",
    .step = spinner_step,
};

/* Checks that every actor's stored mailbox count is its true count. */
static void
assert_mailbox_counts(void)
{
    sqlite3 *raw = raw_open(db.path);
    long long off = raw_int(
        raw, "SELECT count(*) FROM actors a WHERE a.mailbox != "
             "(SELECT count(*) FROM messages m WHERE m.actor = a.id)");
    sqlite3_close(raw);
    ck_assert_int_eq(off, 0);
}

START_TEST(test_limit_message_size)
{
    struct eng_opts o = {.busy_timeout_ms = 50, .max_message = 40};
    struct eng *e = open_eng_opts(&o);
    spawn(e, "c", "collector", NULL);
    spawn(e, "p", "puppet", NULL);
    run(e);
    /* From outside: refused, nothing stored. */
    ck_assert_int_eq(send_err(e, "c", "\"0123456789012345678901234567890123"
                                      "4567890123456789\"", NULL),
                     AD_ETOOLARGE);
    assert_mailbox(e, "c", "[]");
    /* From a step: the step is undone and the puppet fails; the step
     * before it stands; what it was told stays, as a dead letter. */
    send(e, "p", "{\"op\": \"big\", \"to\": \"c\", \"n\": 30}");
    send(e, "p", "{\"op\": \"big\", \"to\": \"c\", \"n\": 39}");
    run(e);
    json_t *doc = get_doc(e, "p");
    assert_field(json_object_get(doc, "error"), "error",
                 "\"message_too_large\"");
    assert_failed_with(doc, "over the limit of 40 bytes");
    assert_field(doc, "state", "{\"big\": 30}");
    json_decref(doc);
    assert_mailbox(e, "c", "[]");
    assert_actor(e, "c", "state",
                 "{\"messages\": [\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"]}");
    assert_dead(e, "[[null, \"p\", \"unread at failure\", {\"op\": \"big\", "
                   "\"to\": \"c\", \"n\": 39}]]");
    close_eng(e);
}
END_TEST

START_TEST(test_limit_state_size)
{
    struct eng_opts o = {.busy_timeout_ms = 50, .max_state = 60};
    struct eng *e = open_eng_opts(&o);
    spawn(e, "c", "collector", NULL);
    send(e, "c", "\"first-0123456789\"");
    send(e, "c", "\"second-0123456789\"");
    send(e, "c", "\"third-0123456789\"");
    run(e);
    /* The third would make the state 61 bytes or more: that step is
     * undone, the actor fails, the third message is a dead letter. */
    json_t *doc = get_doc(e, "c");
    assert_field(json_object_get(doc, "error"), "error",
                 "\"state_too_large\"");
    assert_failed_with(doc, "over the limit of 60");
    assert_field(doc, "state", "{\"messages\": [\"first-0123456789\", "
                               "\"second-0123456789\"]}");
    json_decref(doc);
    assert_dead(e, "[[null, \"c\", \"unread at failure\", "
                   "\"third-0123456789\"]]");
    close_eng(e);
}
END_TEST

START_TEST(test_limit_mailbox)
{
    struct eng_opts o = {.busy_timeout_ms = 50, .max_mailbox = 3};
    struct eng *e = open_eng_opts(&o);
    spawn(e, "s", "selective", NULL);
    spawn(e, "p", "puppet", NULL);
    run(e);
    send(e, "s", "{\"a\": 1}");
    send(e, "s", "{\"a\": 2}");
    send(e, "s", "{\"a\": 3}");
    ck_assert_int_eq(send_err(e, "s", "{\"b\": 1}", NULL), AD_EMAILBOX);
    /* A batch is all or nothing: the full mailbox refuses all of it. */
    const char *names[] = {"p", "s"};
    json_t *msgs[] = {J("{\"op\": \"x\"}"), J("{\"b\": 1}")};
    int errs[2];
    ck_assert_int_eq(eng_send_many(e, names, msgs, 2, 0, errs, NULL),
                     AD_EINVAL);
    ck_assert_int_eq(errs[0], AD_OK);
    ck_assert_int_eq(errs[1], AD_EMAILBOX);
    json_decref(msgs[0]);
    json_decref(msgs[1]);
    /* From a step: a dead letter, and the step goes on. */
    send(e, "p", "{\"op\": \"send\", \"to\": \"s\", \"msg\": {\"b\": 2}}");
    run(e);
    assert_status(e, "p", "waiting");
    assert_dead(e, "[[\"p\", \"s\", \"mailbox full\", {\"b\": 2}]]");
    assert_mailbox_counts();
    close_eng(e);
}
END_TEST

START_TEST(test_limit_mailbox_counts)
{
    /* Every way a message comes and goes keeps the stored count true. */
    struct eng_opts o = {.busy_timeout_ms = 50, .max_mailbox = 2};
    struct eng *e = open_eng_opts(&o);
    spawn(e, "t", "twoshape", NULL);
    spawn(e, "s", "selective", NULL);
    run(e);
    for (int round = 0; round < 5; round++) {
        send(e, "t", "{\"inc\": 1}");
        send(e, "t", "{\"inc\": 2}");
        ck_assert_int_eq(send_err(e, "t", "{\"inc\": 3}", NULL), AD_EMAILBOX);
        assert_mailbox_counts();
        run(e);
        assert_mailbox_counts();
    }
    assert_actor(e, "t", "state",
                 "{\"total\": 15, \"matched\": [0, 0, 0, 0, 0, 0, 0, 0, 0, "
                 "0]}");
    send(e, "s", "{\"a\": 1}");
    send(e, "s", "{\"b\": 1}");
    run(e); /* takes b, then a, and exits */
    assert_status(e, "s", "exited");
    assert_mailbox_counts();
    spawn(e, "k", "selective", NULL);
    run(e);
    send(e, "k", "{\"a\": 1}");
    json_t *doc = NULL;
    ck_assert_int_eq(eng_kill(e, "k", &doc), AD_OK);
    json_decref(doc);
    assert_mailbox_counts();
    close_eng(e);
}
END_TEST

START_TEST(test_limit_hops)
{
    /* Two forwarders pointing at each other: a runaway, cut off. */
    struct eng_opts o = {.busy_timeout_ms = 50, .max_hops = 50};
    struct eng *e = open_eng_opts(&o);
    spawn(e, "f1", "forwarder", "{\"to\": \"f2\"}");
    spawn(e, "f2", "forwarder", "{\"to\": \"f1\"}");
    run(e);
    send(e, "f1", "\"ping\"");
    long steps = run(e);
    /* 50 steps deliver, the 51st step's send is cut off. */
    ck_assert_int_eq(steps, 51);
    assert_dead(e, "[[\"f1\", \"f2\", \"hop limit\", \"ping\"]]");
    assert_status(e, "f1", "waiting");
    assert_status(e, "f2", "waiting");
    close_eng(e);
}
END_TEST

START_TEST(test_end_ties_of_the_same_step)
{
    /* What the ending step itself did is cleaned up with it: the mail it
     * sent itself is a dead letter, its timer is gone. */
    struct eng *e = open_eng();
    spawn(e, "p", "puppet", NULL);
    run(e);
    send(e, "p", "{\"op\": \"selfexit\"}");
    run(e);
    assert_status(e, "p", "exited");
    assert_dead(e, "[[\"p\", \"p\", \"unread at exit\", \"to myself\"]]");
    ck_assert_int_eq(count_timers(), 0);
    assert_mailbox_counts();
    close_eng(e);
}
END_TEST

/* ---- group commit ---- */

#define GROUP_THREADS 4
#define GROUP_SENDS 150

struct group_ctx {
    struct eng_group *g;
    int which;   /* thread number */
    int errors;  /* sends that did not answer 0 */
    int running; /* 1: this thread runs the actors instead of sending */
};

static void *
group_thread(void *arg)
{
    struct group_ctx *c = arg;
    struct eng_opts o = {.busy_timeout_ms = 5000, .group = c->g};
    struct eng *e = NULL;
    if (eng_open(db.path, &o, &e) != AD_OK) {
        c->errors = -1;
        return NULL;
    }
    if (c->running) {
        for (int i = 0; i < 200; i++)
            eng_run(e, 0, 5, NULL);
    } else {
        json_t *add = json_pack("{s:i}", "add", c->which + 1);
        json_t *nope = json_pack("{s:i}", "add", 1000);
        for (int i = 0; i < GROUP_SENDS; i++) {
            int64_t seq = 0;
            if (eng_send(e, "c", add, &seq) != AD_OK || seq <= 0)
                c->errors++;
            /* A refusal in a batch is its own: the others commit. */
            if (i % 10 == 0 && eng_send(e, "nobody", nope, NULL) !=
                                   AD_ENOTFOUND)
                c->errors++;
        }
        json_decref(add);
        json_decref(nope);
    }
    eng_close(e);
    return NULL;
}

START_TEST(test_group_commit)
{
    /* Threads sending at once through one group, beside a thread running
     * the actors: every send answers, each add counts once. */
    struct eng_group *g = eng_group_new();
    ck_assert_ptr_nonnull(g);
    struct eng *e = open_eng();
    spawn(e, "c", "counter", NULL);
    close_eng(e);
    pthread_t t[GROUP_THREADS + 1];
    struct group_ctx c[GROUP_THREADS + 1];
    for (int i = 0; i <= GROUP_THREADS; i++) {
        c[i] = (struct group_ctx){.g = g, .which = i,
                                  .running = i == GROUP_THREADS};
        ck_assert_int_eq(pthread_create(&t[i], NULL, group_thread, &c[i]), 0);
    }
    for (int i = 0; i <= GROUP_THREADS; i++) {
        pthread_join(t[i], NULL);
        ck_assert_int_eq(c[i].errors, 0);
    }
    eng_group_free(g);
    e = open_eng();
    run(e);
    int want = 0;
    for (int i = 0; i < GROUP_THREADS; i++)
        want += (i + 1) * GROUP_SENDS;
    char state[64];
    snprintf(state, sizeof state, "{\"count\": %d}", want);
    assert_actor(e, "c", "state", state);
    assert_mailbox_counts();
    close_eng(e);
}
END_TEST

/* A spinner told to spin how, beside a twoshape that must still run. */
static void
spin_case(const char *how)
{
    struct eng_opts o = {.busy_timeout_ms = 50, .step_limit_ms = 100};
    struct eng *e = open_eng_opts(&o);
    char msg[64];
    spawn(e, "w", "spinner", NULL);
    spawn(e, "t", "twoshape", NULL);
    run(e);
    send(e, "w", "{\"ok\": 5}");
    send(e, "t", "{\"inc\": 1}");
    run(e);
    snprintf(msg, sizeof msg, "{\"spin\": \"%s\"}", how);
    send(e, "w", msg);
    send(e, "w", "{\"ok\": 7}");
    send(e, "t", "{\"inc\": 2}");
    run(e);
    json_t *doc = get_doc(e, "w");
    assert_field(json_object_get(doc, "error"), "error", "\"step_timeout\"");
    assert_failed_with(doc, "ms of CPU time and was cut off");
    /* The step before stands; the cut-off one left nothing. */
    assert_field(doc, "state", "{\"total\": 5}");
    json_decref(doc);
    snprintf(msg, sizeof msg, "\"%s\"", how);
    char want[256];
    snprintf(want, sizeof want,
             "[[null, \"w\", \"unread at failure\", {\"spin\": %s}], "
             "[null, \"w\", \"unread at failure\", {\"ok\": 7}]]",
             msg);
    assert_dead(e, want);
    /* The service goes on. */
    assert_actor(e, "t", "state", "{\"total\": 3, \"matched\": [0, 0]}");
    send(e, "t", "{\"inc\": 4}");
    run(e);
    assert_actor(e, "t", "state", "{\"total\": 7, \"matched\": [0, 0, 0]}");
    close_eng(e);
}

START_TEST(test_limit_step_pure_loop)
{
    spin_case("pure");
}
END_TEST

START_TEST(test_limit_step_calls_loop)
{
    spin_case("calls");
}
END_TEST

static Suite *
engine_suite(void)
{
    Suite *s = suite_create("engine");
    TCase *tc;

    tc = tcase("open");
    tcase_add_test(tc, test_open_newer_schema);
    tcase_add_test(tc, test_open_health);
    suite_add_tcase(s, tc);

    tc = tcase("spawn");
    tcase_add_test(tc, test_spawn_document);
    tcase_add_test(tc, test_spawn_errors);
    tcase_add_test(tc, test_spawn_exists_and_replace);
    tcase_add_test(tc, test_spawn_generated_name);
    suite_add_tcase(s, tc);

    tc = tcase("get_kill");
    tcase_add_test(tc, test_get_kill);
    suite_add_tcase(s, tc);

    tc = tcase("send");
    tcase_add_test(tc, test_send);
    tcase_add_test(tc, test_send_many);
    suite_add_tcase(s, tc);

    tc = tcase("list_mailbox");
    tcase_add_test(tc, test_list);
    tcase_add_test(tc, test_mailbox);
    suite_add_tcase(s, tc);

    tc = tcase("behaviors");
    tcase_add_test(tc, test_behaviors);
    suite_add_tcase(s, tc);

    tc = tcase("counter");
    tcase_add_test(tc, test_counter);
    tcase_add_test(tc, test_counter_overflow_fails);
    tcase_add_test(tc, test_scan_skips_behaviour);
    suite_add_tcase(s, tc);

    tc = tcase("collector");
    tcase_add_test(tc, test_collector_order);
    suite_add_tcase(s, tc);

    tc = tcase("forwarder");
    tcase_add_test(tc, test_forwarder);
    suite_add_tcase(s, tc);

    tc = tcase("ring");
    tcase_add_test(tc, test_ring_1);
    tcase_add_test(tc, test_ring_100);
    tcase_add_test(tc, test_ring_small_batches);
    suite_add_tcase(s, tc);

    tc = tcase("run_limits");
    tcase_add_test(tc, test_run_max_steps);
    tcase_add_test(tc, test_run_max_ms);
    suite_add_tcase(s, tc);

    tc = tcase("user_receive");
    tcase_add_test(tc, test_user_two_shapes);
    tcase_add_test(tc, test_user_selective_receive);
    suite_add_tcase(s, tc);

    tc = tcase("user_state");
    tcase_add_test(tc, test_user_state_on_disk);
    suite_add_tcase(s, tc);

    tc = tcase("user_fail");
    tcase_add_test(tc, test_user_fail);
    tcase_add_test(tc, test_user_bad_shape);
    tcase_add_test(tc, test_user_empty_shapes);
    tcase_add_test(tc, test_user_no_receive);
    suite_add_tcase(s, tc);

    tc = tcase("user_send");
    tcase_add_test(tc, test_user_send_dropped);
    tcase_add_test(tc, test_user_send_to_self);
    suite_add_tcase(s, tc);

    tc = tcase("user_spawn");
    tcase_add_test(tc, test_user_spawn_names);
    tcase_add_test(tc, test_user_spawn_long_name);
    suite_add_tcase(s, tc);

    tc = tcase("stranded");
    tcase_add_test(tc, test_user_stranded_version);
    tcase_add_test(tc, test_user_stranded_resume_point);
    tcase_add_test(tc, test_user_unknown_behaviour_stranded);
    tcase_add_test(tc, test_user_bad_stored_state);
    tcase_add_test(tc, test_user_bad_stored_shapes_id);
    suite_add_tcase(s, tc);

    tc = tcase("monitors");
    tcase_add_test(tc, test_monitor_exit);
    tcase_add_test(tc, test_monitor_kill_and_fail);
    tcase_add_test(tc, test_monitor_ended_and_unknown);
    tcase_add_test(tc, test_monitor_spawn_watched);
    suite_add_tcase(s, tc);

    tc = tcase("links");
    tcase_add_test(tc, test_link_chain);
    tcase_add_test(tc, test_link_normal_exit);
    tcase_add_test(tc, test_link_ended_and_kill);
    suite_add_tcase(s, tc);

    tc = tcase("timeouts");
    tcase_add_test(tc, test_timeout_poll);
    tcase_add_test(tc, test_timeout_fires_after_reopen);
    tcase_add_test(tc, test_timeout_message_first);
    tcase_add_test(tc, test_timeout_bad);
    tcase_add_test(tc, test_ticker);
    suite_add_tcase(s, tc);

    tc = tcase("timers");
    tcase_add_test(tc, test_timer_once);
    tcase_add_test(tc, test_timer_missed_periods);
    tcase_add_test(tc, test_timer_cancel_and_end);
    suite_add_tcase(s, tc);

    tc = tcase("calls");
    tcase_add_test(tc, test_call_counter);
    tcase_add_test(tc, test_call_timeout_late_reply);
    suite_add_tcase(s, tc);

    tc = tcase("limits");
    tcase_add_test(tc, test_limit_message_size);
    tcase_add_test(tc, test_limit_state_size);
    tcase_add_test(tc, test_limit_mailbox);
    tcase_add_test(tc, test_limit_mailbox_counts);
    tcase_add_test(tc, test_limit_hops);
    tcase_add_test(tc, test_limit_step_pure_loop);
    tcase_add_test(tc, test_limit_step_calls_loop);
    tcase_add_test(tc, test_end_ties_of_the_same_step);
    suite_add_tcase(s, tc);

    tc = tcase("group");
    tcase_add_test(tc, test_group_commit);
    suite_add_tcase(s, tc);

    tc = tcase("atomicity");
    tcase_add_test(tc, test_atomic_busy);
    tcase_add_test(tc, test_atomic_rollback);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    /* User behaviours are registered before any engine is opened. */
    if (actor_register(&twoshape) != 0 || actor_register(&selective) != 0 ||
        actor_register(&puppet) != 0 || actor_register(&watcher) != 0 ||
        actor_register(&linker) != 0 || actor_register(&waiter) != 0 ||
        actor_register(&alarm_behavior) != 0 ||
        actor_register(&caller_behavior) != 0 ||
        actor_register(&spinner) != 0) {
        fprintf(stderr, "test_engine: actor_register failed\n");
        return 1;
    }
    return run_suite(engine_suite());
}
