/*
 * test_eng_transfer.c - the Check suite of engine/export.c and engine/import.c:
 * eng_export and eng_import.  Actors in every state move to an empty database
 * that then exports the same values and, given the same messages, reaches the
 * same states (selective receive over mail it had looked at, timers with
 * their ids, watches, links, abandoned calls, a Lua behaviour with its
 * source); import refuses what it must, a batch at a time, keeping
 * nothing of a refused batch.
 */
#include "engine/engine.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "actord/behavior.h"
#include "lua/luab.h"
#include "tests/unit/engutil.h"

/* A Lua behaviour: adds {"add": N} to state.n. */
static const char lua_adder[] =
    "return {\n"
    "  start = function(a)\n"
    "    a.state.n = 0\n"
    "    return a:receive('go', {{add = '$integer'}})\n"
    "  end,\n"
    "  go = function(a, msg)\n"
    "    a.state.n = a.state.n + msg.add\n"
    "    return a:receive('go', a.waiting_for)\n"
    "  end,\n"
    "}\n";

/* The second database of a test, and its engine. */
static struct tmpdb db2;
static struct eng *e2;

static void
setup2(void)
{
    setup();
    tmpdb_init(&db2);
    e2 = NULL;
}

static void
teardown2(void)
{
    eng_close(e2);
    e2 = NULL;
    tmpdb_cleanup(&db2);
    teardown();
}

/* Opens the engine on the second database (closed by teardown). */
static struct eng *
open_eng2(void)
{
    ck_assert_ptr_null(e2);
    struct eng_opts o = {.busy_timeout_ms = 50};
    ck_assert_int_eq(eng_open(db2.path, &o, &e2), AD_OK);
    return e2;
}

/* eng_export's callback: appends a copy of each value to the array ctx. */
static int
collect(void *ctx, const json_t *value)
{
    json_t *copy = json_deep_copy(value);
    ck_assert_ptr_nonnull(copy);
    ck_assert_int_eq(json_array_append_new(ctx, copy), 0);
    return AD_OK;
}

/* Returns a new array of everything e exports (of behavior, may be
 * NULL). */
static json_t *
export_all(struct eng *e, const char *behavior)
{
    json_t *out = json_array();
    int64_t actors = -1, behaviors = -1;
    char why[200];
    ck_assert_int_eq(eng_export(e, behavior, collect, out, &actors, &behaviors,
                                why, sizeof why),
                     AD_OK);
    ck_assert_int_eq((int64_t)json_array_size(out), actors + behaviors);
    return out;
}

/* Imports the values of the array vs into e in batches of batch; fails
 * the test on error.  Returns the tally. */
static struct eng_import
import_all(struct eng *e, json_t *vs, size_t batch, int replace)
{
    struct eng_import t = {0};
    char why[256];
    size_t n = json_array_size(vs);
    json_t **values = calloc(n + 1, sizeof *values);
    for (size_t i = 0; i < n; i++)
        values[i] = json_array_get(vs, i);
    for (size_t i = 0; i < n; i += batch) {
        size_t k = n - i < batch ? n - i : batch, bad = 99;
        int err =
            eng_import(e, values + i, k, replace, &t, &bad, why, sizeof why);
        ck_assert_msg(err == AD_OK, "import at %zu: %s: %s", i + bad,
                      ad_errcode(err), why);
    }
    free(values);
    return t;
}

/* The value named name in the array vs (borrowed), or NULL. */
static json_t *
find(json_t *vs, const char *name)
{
    size_t i;
    json_t *v;
    json_array_foreach(vs, i, v)
    {
        if (strcmp(json_string_value(json_object_get(v, "name")), name) == 0)
            return v;
    }
    return NULL;
}

/* Fills e with actors in many states; runs them. */
static void
fill(struct eng *e)
{
    /* twoshape: one message it took, one it does not read. */
    spawn(e, "two", "twoshape", NULL);
    run(e);
    send(e, "two", "{\"x\":1}");
    send(e, "two", "{\"inc\":2}");
    /* selective: waits for b; a came first and stays. */
    spawn(e, "sel", "selective", NULL);
    run(e);
    send(e, "sel", "{\"a\":\"first\"}");
    /* A timer with its id in the state. */
    spawn(e, "al", "alarm", "{\"ms\":3600000,\"every\":3600000}");
    /* A watch and a link. */
    spawn(e, "target", "twoshape", NULL);
    spawn(e, "w", "watcher", "{\"target\":{\"$address\":\"target\"}}");
    spawn(e, "ln", "linker",
          "{\"trap\":true,\"link\":{\"$address\":\"target\"}}");
    /* A call that timed out: an abandoned call, then waiting for more. */
    spawn(e, "deaf", "collector", NULL);
    spawn(e, "cl", "caller",
          "{\"to\":{\"$address\":\"deaf\"},\"method\":\"m\",\"ms\":1}");
    run(e);
    sleep_ms(20);
    run(e);
    /* A deadline. */
    spawn(e, "wt", "waiter", "{\"ms\":3600000}");
    /* Ended ones, and work queued that nobody ran. */
    spawn(e, "k", "counter", NULL);
    run(e);
    json_t *doc = NULL;
    ck_assert_int_eq(eng_kill(e, "k", &doc), AD_OK);
    json_decref(doc);
    spawn(e, "c", "counter", "{\"start\":3}");
    run(e);
    send(e, "c", "{\"add\":4}");
    /* Lua. */
    int created = 0;
    char why[200];
    ck_assert_int_eq(eng_behavior_put(e, "adder", lua_adder, strlen(lua_adder),
                                      &doc, &created, why, sizeof why),
                     AD_OK);
    json_decref(doc);
    spawn(e, "lu", "adder", NULL);
    run(e);
    send(e, "lu", "{\"add\":5}");
    run(e);
    send(e, "c", "{\"add\":6}");
}

START_TEST(test_round_trip)
{
    struct eng *a = open_eng();
    fill(a);
    json_t *out = export_all(a, NULL);
    /* The behaviour first, then actors in name order. */
    assert_field(json_array_get(out, 0), "type", "\"behavior\"");
    assert_field(json_array_get(out, 0), "name", "\"adder\"");
    assert_field(json_array_get(out, 1), "name", "\"al\"");
    json_t *two = find(out, "two");
    assert_field(two, "mailbox",
                 "[{\"from\": null, \"body\": {\"x\": 1}, "
                 "\"hops\": 0}]");
    assert_field(two, "scanned", "1");
    /* A message that matches nothing does not wake its receiver: sel
     * has not looked at its mail yet. */
    assert_field(find(out, "sel"), "scanned", "0");
    assert_field(find(out, "target"), "watchers", "[\"w\"]");
    assert_field(find(out, "target"), "links", "[\"ln\"]");
    assert_field(find(out, "w"), "watching", "[\"target\"]");
    assert_field(find(out, "ln"), "trap_exit", "true");
    ck_assert_int_eq(
        json_array_size(json_object_get(find(out, "cl"), "abandoned_calls")),
        1);
    ck_assert_int_eq(
        json_array_size(json_object_get(find(out, "al"), "timers")), 1);
    assert_field(find(out, "c"), "status", "\"runnable\"");
    assert_field(find(out, "k"), "status", "\"killed\"");
    ck_assert(json_is_integer(json_object_get(find(out, "wt"), "deadline")));

    struct eng *b = open_eng2();
    struct eng_import t = import_all(b, out, 3, 0);
    ck_assert_int_eq(t.actors, 12);
    ck_assert_int_eq(t.behaviors, 1);
    ck_assert_int_eq(t.messages, 3);
    ck_assert_int_eq(t.timers, 1);
    ck_assert_int_eq(t.renumbered, 0);
    ck_assert_int_eq(t.ties, 2);
    ck_assert_int_eq(t.replaced, 0);
    json_t *back = export_all(b, NULL);
    ck_assert_msg(json_equal(out, back), "the import exports otherwise");
    json_decref(back);

    /* The same messages to both, run: the same states. */
    struct eng *both[] = {a, b};
    for (int i = 0; i < 2; i++) {
        struct eng *e = both[i];
        send(e, "sel", "{\"b\":\"second\"}");
        send(e, "two", "{\"dec\":1}");
        send(e, "c", "{\"add\":10}");
        send(e, "lu", "{\"add\":7}");
        send(e, "cl", "\"bye\"");
        send(e, "wt", "{\"go\":1}");
        run(e);
        json_t *doc = NULL;
        ck_assert_int_eq(eng_kill(e, "target", &doc), AD_OK);
        json_decref(doc);
        run(e);
    }
    assert_actor(b, "sel", "result",
                 "[{\"b\": \"second\"}, {\"a\": \"first\"}]");
    assert_actor(b, "two", "state", "{\"total\": 1, \"matched\": [0, 1]}");
    assert_actor(b, "c", "state", "{\"count\": 23}");
    assert_actor(b, "lu", "state", "{\"n\": 12}");
    assert_actor(b, "cl", "result", "\"bye\"");
    assert_actor(b, "wt", "result", "{\"go\": 1}");
    assert_status(b, "w", "exited");
    assert_status(b, "ln", "exited");
    json_t *xa = export_all(a, NULL), *xb = export_all(b, NULL);
    size_t i;
    json_t *v;
    json_array_foreach(xa, i, v)
    {
        json_t *w = json_array_get(xb, i);
        json_object_del(v, "updated");
        json_object_del(w, "updated");
        ck_assert_msg(json_equal(v, w), "%s differs after the same run",
                      json_string_value(json_object_get(v, "name")));
    }
    json_decref(xa);
    json_decref(xb);
    json_decref(out);
    close_eng(a);
}
END_TEST

START_TEST(test_export_behavior)
{
    struct eng *a = open_eng();
    fill(a);
    json_t *out = export_all(a, "twoshape");
    ck_assert_int_eq(json_array_size(out), 2);
    assert_field(json_array_get(out, 0), "name", "\"target\"");
    assert_field(json_array_get(out, 1), "name", "\"two\"");
    json_decref(out);
    out = export_all(a, "adder");
    ck_assert_int_eq(json_array_size(out), 2);
    assert_field(json_array_get(out, 0), "type", "\"behavior\"");
    json_decref(out);
    out = export_all(a, "nosuch");
    ck_assert_int_eq(json_array_size(out), 0);
    json_decref(out);
    /* A reply box (the engine's own) is never exported. */
    char box[ENG_CALL_ID_LEN + 8], id[ENG_CALL_ID_LEN];
    ck_assert_int_eq(eng_call_begin(a, "c", "get", NULL, box, id), AD_OK);
    out = export_all(a, NULL);
    ck_assert_ptr_null(find(out, box));
    json_decref(out);
    close_eng(a);
}
END_TEST

static int
stop_at_two(void *ctx, const json_t *value)
{
    (void)value;
    return ++*(int *)ctx == 2 ? AD_EIO : AD_OK;
}

START_TEST(test_export_errors)
{
    struct eng *a = open_eng();
    fill(a);
    int n = 0;
    int64_t actors = -1;
    char why[200];
    ck_assert_int_eq(
        eng_export(a, NULL, stop_at_two, &n, &actors, NULL, why, sizeof why),
        AD_EIO);
    ck_assert_int_eq(n, 2); /* the behaviour, then the first actor */
    ck_assert_int_eq(actors, 0);
    /* Stored text that is not JSON stops the export. */
    raw_sql("UPDATE actors SET state = '{oops' WHERE name = 'c'");
    json_t *out = json_array();
    ck_assert_int_eq(
        eng_export(a, NULL, collect, out, NULL, NULL, why, sizeof why),
        AD_EBADJSON);
    ck_assert_str_eq(why, "c: stored state is not JSON");
    json_decref(out);
    close_eng(a);
}
END_TEST

/* Timer ids: kept when free, new when taken, and counted. */
START_TEST(test_import_timer_ids)
{
    struct eng *a = open_eng();
    spawn(a, "al", "alarm", "{\"ms\":3600000,\"every\":3600000}");
    run(a);
    json_t *out = export_all(a, NULL);
    json_int_t id = json_integer_value(json_object_get(
        json_array_get(json_object_get(find(out, "al"), "timers"), 0), "id"));
    struct eng *b = open_eng2();
    spawn(b, "other", "alarm", "{\"ms\":3600000,\"every\":3600000}");
    run(b);
    struct eng_import t = import_all(b, out, 10, 0);
    ck_assert_int_eq(t.timers, 1);
    ck_assert_int_eq(t.renumbered, 1);
    json_t *back = export_all(b, NULL);
    json_int_t got = json_integer_value(json_object_get(
        json_array_get(json_object_get(find(back, "al"), "timers"), 0), "id"));
    ck_assert_int_ne(got, id);
    json_decref(back);
    json_decref(out);
    close_eng(a);
}
END_TEST

/* A name here: refused, or replaced; a refused batch keeps nothing. */
START_TEST(test_import_exists_replace)
{
    struct eng *a = open_eng();
    spawn(a, "c", "counter", "{\"start\":1}");
    spawn(a, "d", "counter", "{\"start\":2}");
    run(a);
    json_t *out = export_all(a, NULL);
    struct eng *b = open_eng2();
    spawn(b, "d", "counter", "{\"start\":40}");
    spawn(b, "w", "collector", NULL);
    run(b);
    json_t *values[] = {json_array_get(out, 0), json_array_get(out, 1)};
    struct eng_import t = {0};
    size_t bad = 99;
    char why[256];
    ck_assert_int_eq(eng_import(b, values, 2, 0, &t, &bad, why, sizeof why),
                     AD_EEXISTS);
    ck_assert_uint_eq(bad, 1);
    ck_assert_ptr_nonnull(strstr(why, "d: an actor of that name is here"));
    ck_assert_int_eq(t.actors, 0);
    json_t *doc = NULL;
    ck_assert_int_eq(eng_get(b, "c", &doc), AD_ENOTFOUND); /* rolled back */
    ck_assert_int_eq(eng_import(b, values, 2, 1, &t, &bad, why, sizeof why),
                     AD_OK);
    ck_assert_int_eq(t.actors, 2);
    ck_assert_int_eq(t.replaced, 1);
    assert_actor(b, "d", "state", "{\"count\": 2}");
    assert_actor(b, "c", "state", "{\"count\": 1}");
    assert_mailbox_counts();
    json_decref(out);
    close_eng(a);
}
END_TEST

/* Values import refuses, each alone in its batch after a good one: the
 * error, the index, and nothing kept. */
static const struct {
    const char *value;
    int err;
    const char *why; /* part of it */
} refused[] = {
    {"{\"type\":\"planet\"}", AD_EINVAL, "type"},
    {"[1]", AD_EINVAL, "type"},
    {"{\"type\":\"actor\",\"name\":\"bad name\"}", AD_EBADNAME, "name"},
    {"{\"type\":\"actor\",\"name\":\"x\",\"behavior\":\"_reply\"}", AD_EINVAL,
     "behavior"},
    {"{\"type\":\"actor\",\"name\":\"x\",\"behavior\":\"counter\",\"status\":"
     "\"sleepy\"}",
     AD_EINVAL, "status"},
    {"{\"type\":\"actor\",\"name\":\"x\",\"behavior\":\"counter\",\"status\":"
     "\"waiting\",\"version\":0,\"args\":{},\"state\":{}}",
     AD_EINVAL, "version"},
    {"{\"type\":\"actor\",\"name\":\"x\",\"behavior\":\"counter\",\"status\":"
     "\"waiting\",\"version\":1,\"args\":[],\"state\":{}}",
     AD_EINVAL, "args"},
    {"{\"type\":\"actor\",\"name\":\"x\",\"behavior\":\"counter\",\"status\":"
     "\"waiting\",\"version\":1,\"args\":{},\"state\":{},\"resume\":-1}",
     AD_EINVAL, "resume"},
    {"{\"type\":\"actor\",\"name\":\"x\",\"behavior\":\"counter\",\"status\":"
     "\"waiting\",\"version\":1,\"args\":{},\"state\":{},\"waiting_for\":7}",
     AD_EINVAL, "waiting_for"},
    {"{\"type\":\"actor\",\"name\":\"x\",\"behavior\":\"counter\",\"status\":"
     "\"waiting\",\"version\":1,\"args\":{},\"state\":{},\"mailbox\":[{}]}",
     AD_EINVAL, "mailbox message 1"},
    {"{\"type\":\"actor\",\"name\":\"x\",\"behavior\":\"counter\",\"status\":"
     "\"waiting\",\"version\":1,\"args\":{},\"state\":{},\"timers\":[{\"id\":"
     "1,\"target\":\"x\",\"body\":1}]}",
     AD_EINVAL, "timer 1"},
    {"{\"type\":\"actor\",\"name\":\"x\",\"behavior\":\"counter\",\"status\":"
     "\"waiting\",\"version\":1,\"args\":{},\"state\":{},\"links\":[\"a b\"]}",
     AD_EINVAL, "links"},
    {"{\"type\":\"actor\",\"name\":\"x\",\"behavior\":\"counter\",\"status\":"
     "\"waiting\",\"version\":1,\"args\":{},\"state\":{},\"abandoned_calls\":"
     "[{\"created\":1}]}",
     AD_EINVAL, "abandoned call 1"},
    {"{\"type\":\"behavior\",\"name\":\"counter\",\"version\":1,\"language\":"
     "\"lua\",\"source\":\"return {}\"}",
     AD_EEXISTS, "registered"},
    {"{\"type\":\"behavior\",\"name\":\"nb\",\"version\":1,\"language\":"
     "\"cobol\",\"source\":\"x\"}",
     AD_EINVAL, "no cobol behaviours"},
    {"{\"type\":\"behavior\",\"name\":\"nb\",\"version\":1,\"language\":"
     "\"lua\",\"source\":\"this is not lua\"}",
     AD_EBADCODE, "nb version 1"},
    {"{\"type\":\"behavior\",\"name\":\"nb\",\"language\":\"lua\",\"source\":"
     "\"x\"}",
     AD_EINVAL, "behaviour nb"},
};

START_TEST(test_import_refuses)
{
    struct eng *b = open_eng();
    json_t *values[2];
    values[0] = J("{\"type\":\"actor\",\"name\":\"good\",\"behavior\":"
                  "\"counter\",\"version\":1,\"status\":\"runnable\","
                  "\"args\":{},\"state\":{},\"mailbox\":[{\"body\":1}]}");
    values[1] = J(refused[_i].value);
    struct eng_import t = {0};
    size_t bad = 99;
    char why[256];
    int err = eng_import(b, values, 2, 0, &t, &bad, why, sizeof why);
    ck_assert_msg(err == refused[_i].err, "value %d: %s, want %s (%s)", _i,
                  ad_errcode(err), ad_errcode(refused[_i].err), why);
    ck_assert_uint_eq(bad, 1);
    ck_assert_msg(strstr(why, refused[_i].why) != NULL, "value %d: why '%s'",
                  _i, why);
    ck_assert_int_eq(t.actors, 0);
    json_t *doc = NULL;
    ck_assert_int_eq(eng_get(b, "good", &doc), AD_ENOTFOUND);
    json_decref(values[0]);
    json_decref(values[1]);
    close_eng(b);
}
END_TEST

/* A behaviour version here already: the same source is skipped, another
 * refused. */
START_TEST(test_import_sources)
{
    struct eng *a = open_eng();
    json_t *doc = NULL;
    int created = 0;
    char why[256];
    ck_assert_int_eq(eng_behavior_put(a, "adder", lua_adder, strlen(lua_adder),
                                      &doc, &created, why, sizeof why),
                     AD_OK);
    json_decref(doc);
    spawn(a, "lu", "adder", NULL);
    json_t *out = export_all(a, NULL);
    json_t *again = export_all(a, "adder");
    struct eng *b = open_eng2();
    struct eng_import t = import_all(b, out, 10, 0);
    ck_assert_int_eq(t.behaviors, 1);
    t = import_all(b, again, 10, 1);
    ck_assert_int_eq(t.behaviors, 0);
    ck_assert_int_eq(t.same, 1);
    ck_assert_int_eq(t.replaced, 1);
    /* The uploads go on from the version imported. */
    const char *v2 = "-- v2\n";
    char *src = malloc(strlen(lua_adder) + strlen(v2) + 1);
    strcpy(src, v2);
    strcat(src, lua_adder);
    ck_assert_int_eq(eng_behavior_put(b, "adder", src, strlen(src), &doc,
                                      &created, why, sizeof why),
                     AD_OK);
    assert_field(doc, "version", "2");
    json_decref(doc);
    json_t *other = json_deep_copy(json_array_get(out, 0));
    json_object_set_new(other, "source", json_string(src));
    json_object_set_new(other, "version", json_integer(2));
    json_t *values[] = {json_deep_copy(json_array_get(out, 0)), other};
    json_object_set_new(values[0], "source", json_string(src));
    size_t bad = 99;
    ck_assert_int_eq(eng_import(b, values, 1, 0, &t, &bad, why, sizeof why),
                     AD_EEXISTS);
    ck_assert_ptr_nonnull(strstr(why, "another source"));
    ck_assert_int_eq(eng_import(b, values + 1, 1, 0, &t, &bad, why, sizeof why),
                     AD_OK);
    free(src);
    json_decref(values[0]);
    json_decref(values[1]);
    json_decref(out);
    json_decref(again);
    close_eng(a);
}
END_TEST

static Suite *
eng_transfer_suite(void)
{
    Suite *s = suite_create("eng_transfer");
    TCase *tc = tcase_with("export_import", setup2, teardown2, 60);
    tcase_add_test(tc, test_round_trip);
    tcase_add_test(tc, test_export_behavior);
    tcase_add_test(tc, test_export_errors);
    tcase_add_test(tc, test_import_timer_ids);
    tcase_add_test(tc, test_import_exists_replace);
    tcase_add_loop_test(tc, test_import_refuses, 0,
                        (int)(sizeof refused / sizeof refused[0]));
    tcase_add_test(tc, test_import_sources);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    static const struct behavior *const used[] = {
        &twoshape, &selective,      &watcher,         &linker,
        &waiter,   &alarm_behavior, &caller_behavior, NULL};
    if (eng_set_language(luab_language()) != AD_OK)
        return 1;
    return run_engine_suite("test_eng_transfer", used, eng_transfer_suite());
}
