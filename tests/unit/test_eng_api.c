/*
 * test_eng_api.c - the Check suite of engine/api.c: the behaviour API
 * entries the other suites do not reach (actor_send's dead letters,
 * actor_spawn's names, actor_spawn_named, actor_unlink, actor_dispatch,
 * actor_set_state, the entries that describe the actor, and every
 * refusal of what is not an address or a call).
 */
#include "engine/engine.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "actord/behavior.h"
#include "tests/unit/engutil.h"

START_TEST(test_user_send_dropped)
{
    struct eng *e = open_eng();
    spawn(e, "p", "puppet", NULL);
    spawn(e, "gone", "collector", NULL);
    json_t *doc = NULL;
    ck_assert_int_eq(eng_kill(e, "gone", &doc), AD_OK);
    json_decref(doc);
    run(e);

    /* To an unknown actor: a dead letter, and the sender is told. */
    send(e, "p",
         "{\"op\": \"send\", \"to\": {\"$address\": \"nobody\"}, "
         "\"msg\": 1}");
    run(e);
    doc = get_doc(e, "p");
    assert_field(doc, "status", "\"waiting\"");
    assert_field(doc, "state", "{\"send_rc\": 2}"); /* ACTOR_SENT_UNKNOWN */
    assert_field(doc, "mailbox", "0");
    json_decref(doc);
    json_t *none = NULL;
    ck_assert_int_eq(eng_get(e, "nobody", &none), AD_ENOTFOUND);

    /* To an ended actor: a dead letter too. */
    send(e, "p", "{\"op\": \"send\", \"to\": \"gone\", \"msg\": 2}");
    run(e);
    assert_status(e, "p", "waiting");
    assert_actor(e, "p", "state", "{\"send_rc\": 1}"); /* ACTOR_SENT_DEAD */
    assert_actor(e, "gone", "mailbox", "0");
    assert_dead(e, "[[\"p\", \"nobody\", \"no such actor\", 1], "
                   "[\"p\", \"gone\", \"actor ended\", 2]]");
    /* Paging and collecting. */
    json_t *page = NULL;
    ck_assert_int_eq(eng_dead_letters(e, 0, 1, &page), AD_OK);
    ck_assert_int_eq(json_array_size(json_object_get(page, "dead_letters")), 1);
    json_int_t next = json_integer_value(json_object_get(page, "next"));
    ck_assert_int_gt(next, 0);
    json_decref(page);
    ck_assert_int_eq(eng_dead_letters(e, next, 10, &page), AD_OK);
    ck_assert_int_eq(json_array_size(json_object_get(page, "dead_letters")), 1);
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

/* ---- prober: the API entries the other suites do not reach ---- */

static json_t *
prober_echo(struct actor *a, const json_t *payload, json_t **exception)
{
    (void)a;
    (void)exception;
    return json_deep_copy(payload);
}

static json_t *
prober_boom(struct actor *a, const json_t *payload, json_t **exception)
{
    (void)a;
    (void)payload;
    *exception = json_pack("{s:s}", "message", "boom");
    return NULL;
}

static json_t *
prober_silent(struct actor *a, const json_t *payload, json_t **exception)
{
    (void)a;
    (void)payload;
    (void)exception;
    return NULL;
}

static const struct actor_method prober_methods[] = {
    {"echo", prober_echo},
    {"boom", prober_boom},
    {"silent", prober_silent},
    {NULL, NULL},
};

/*
 * prober: on its first step keeps in state what the API tells of itself
 * (name, self, args, resume point, the clock); then answers calls with
 * prober_methods, and does what each {"op": OP, ...} says:
 *   named     actor_spawn_named(name, behavior); state.named = the address
 *             or null
 *   unlink    actor_link then actor_unlink of target; state.unlink = the
 *             return values
 *   setstate  actor_set_state of a non-object (ignored), then of
 *             {"replaced": true}
 *   bad       the entries' refusals of what is not an address or a call;
 *             state.bad = their return values
 *   point     state.point = the resume point now
 */
static enum actor_step
prober_step(struct actor *a)
{
    json_t *st = actor_state(a);
    const json_t *m;
    const char *op;
    ACTOR_BEGIN(a);
    json_object_set_new(st, "first_point", json_integer(actor_resume_point(a)));
    json_object_set_new(st, "name", json_string(actor_name(a)));
    json_object_set_new(st, "self", actor_self(a));
    json_object_set_new(st, "args", json_deep_copy(actor_args(a)));
    json_object_set_new(st, "now", json_integer(actor_now(a)));
    ck_assert_ptr_null(actor_message(a));
    ck_assert_int_eq(actor_timed_out(a), 0);
    for (;;) {
        ACTOR_RECEIVE(a, 7,
                      json_pack("[{s:s}, {s:s, s:s, s:s}]", "op", "$string",
                                "call", "$any", "method", "$string", "address",
                                "$address"));
        m = actor_message(a);
        if (actor_matched(a) == 1) {
            actor_dispatch(a, m, prober_methods);
            continue;
        }
        op = json_string_value(json_object_get(m, "op"));
        if (strcmp(op, "named") == 0) {
            json_t *addr = actor_spawn_named(
                a, json_string_value(json_object_get(m, "name")),
                json_string_value(json_object_get(m, "behavior")), NULL);
            json_object_set_new(st, "named", addr ? addr : json_null());
        } else if (strcmp(op, "unlink") == 0) {
            const json_t *t = json_object_get(m, "target");
            int l = actor_link(a, t);
            int u = actor_unlink(a, t);
            json_object_set_new(st, "unlink", json_pack("[i, i]", l, u));
        } else if (strcmp(op, "setstate") == 0) {
            actor_set_state(a, json_array());
            actor_set_state(a, json_pack("{s:b}", "replaced", 1));
        } else if (strcmp(op, "bad") == 0) {
            json_t *five = json_integer(5);
            json_t *self = actor_self(a);
            json_t *bad = json_pack("[i, i, i, i, i, i, i, i, i]",
                                    actor_send(a, five, json_integer(1)),
                                    actor_send(a, self, NULL),
                                    actor_monitor(a, five), actor_link(a, five),
                                    actor_unlink(a, five), actor_kill(a, five),
                                    actor_respond(a, m, json_integer(1)),
                                    actor_respond_invalid_method(a, m),
                                    actor_dispatch(a, m, prober_methods));
            json_array_append_new(bad, json_integer(actor_send_after(
                                           a, five, json_integer(1), 1, 0)));
            json_decref(five);
            json_decref(self);
            json_object_set_new(actor_state(a), "bad", bad);
        } else if (strcmp(op, "point") == 0) {
            json_object_set_new(actor_state(a), "point",
                                json_integer(actor_resume_point(a)));
        }
    }
    ACTOR_END(a);
}

static const struct behavior prober = {
    .name = "prober",
    .version = 1,
    .doc = "test: reaches the API entries",
    .step = prober_step,
};

/* Asserts that state[key] of the actor name equals the JSON text want. */
static void
doc_state_field_eq(struct eng *e, const char *name, const char *key,
                   const char *want)
{
    json_t *doc = get_doc(e, name);
    assert_field(json_object_get(doc, "state"), key, want);
    json_decref(doc);
}

START_TEST(test_api_self)
{
    struct eng *e = open_eng();
    int64_t before = (int64_t)time(NULL) * 1000 - 1000;
    spawn(e, "pr", "prober", "{\"x\": [1, 2]}");
    run(e);
    int64_t after = (int64_t)time(NULL) * 1000 + 1000;
    json_t *doc = get_doc(e, "pr");
    json_t *st = json_object_get(doc, "state");
    assert_field(st, "first_point", "0");
    assert_field(st, "name", "\"pr\"");
    assert_field(st, "self", "{\"$address\": \"pr\"}");
    assert_field(st, "args", "{\"x\": [1, 2]}");
    json_int_t now = json_integer_value(json_object_get(st, "now"));
    ck_assert_int_ge(now, before);
    ck_assert_int_le(now, after);
    json_decref(doc);
    send(e, "pr", "{\"op\": \"point\"}");
    run(e);
    doc = get_doc(e, "pr");
    assert_field(json_object_get(doc, "state"), "point", "7");
    json_decref(doc);
    send(e, "pr", "{\"op\": \"setstate\"}");
    run(e);
    assert_actor(e, "pr", "state", "{\"replaced\": true}");
    close_eng(e);
}
END_TEST

START_TEST(test_api_refusals)
{
    /* What is not an address or not a call is refused with -1 (0 for a
     * timer), and nothing is sent. */
    struct eng *e = open_eng();
    spawn(e, "pr", "prober", NULL);
    run(e);
    send(e, "pr", "{\"op\": \"bad\"}");
    run(e);
    assert_status(e, "pr", "waiting");
    doc_state_field_eq(e, "pr", "bad",
                       "[-1, -1, -1, -1, -1, -1, -1, -1, -1, 0]");
    assert_mailbox(e, "pr", "[]");
    assert_dead(e, "[]");
    close_eng(e);
}
END_TEST

START_TEST(test_api_dispatch)
{
    /* A method's result, its exception, a default exception when it
     * gives neither, and invalid_method for the rest. */
    struct eng *e = open_eng();
    spawn(e, "pr", "prober", NULL);
    spawn(e, "k1", "caller",
          "{\"to\": \"pr\", \"method\": \"echo\", \"payload\": {\"e\": 1}, "
          "\"ms\": 60000}");
    spawn(e, "k2", "caller",
          "{\"to\": \"pr\", \"method\": \"boom\", \"ms\": 60000}");
    spawn(e, "k3", "caller",
          "{\"to\": \"pr\", \"method\": \"silent\", \"ms\": 60000}");
    spawn(e, "k4", "caller",
          "{\"to\": \"pr\", \"method\": \"nope\", \"ms\": 60000}");
    run(e);
    static const char *const want[][2] = {{"k1", "message"},
                                          {"k2", "exception"},
                                          {"k3", "exception"},
                                          {"k4", "invalid_method"}};
    static const char *const value[] = {"{\"e\": 1}", "{\"message\": \"boom\"}",
                                        "{\"message\": \"the method failed\"}",
                                        "\"nope\""};
    for (int i = 0; i < 4; i++) {
        json_t *doc = get_doc(e, want[i][0]);
        json_t *got = json_object_get(json_object_get(doc, "state"), "got");
        ck_assert_msg(got != NULL, "%s got no answer", want[i][0]);
        assert_field(got, want[i][1], value[i]);
        ck_assert(json_is_string(json_object_get(got, "response")));
        json_decref(doc);
    }
    close_eng(e);
}
END_TEST

START_TEST(test_api_spawn_named)
{
    struct eng *e = open_eng();
    spawn(e, "pr", "prober", NULL);
    spawn(e, "taken", "counter", NULL);
    run(e);
    /* A valid free name. */
    send(e, "pr",
         "{\"op\": \"named\", \"name\": \"kid\", "
         "\"behavior\": \"collector\"}");
    run(e);
    doc_state_field_eq(e, "pr", "named", "{\"$address\": \"kid\"}");
    assert_status(e, "kid", "waiting");
    /* Taken by a live actor, not a name, an unknown behaviour: null,
     * and the step goes on. */
    send(e, "pr",
         "{\"op\": \"named\", \"name\": \"taken\", "
         "\"behavior\": \"collector\"}");
    run(e);
    doc_state_field_eq(e, "pr", "named", "null");
    assert_actor(e, "taken", "behavior", "\"counter\"");
    send(e, "pr",
         "{\"op\": \"named\", \"name\": \"a b\", "
         "\"behavior\": \"collector\"}");
    run(e);
    doc_state_field_eq(e, "pr", "named", "null");
    send(e, "pr",
         "{\"op\": \"named\", \"name\": \"k2\", "
         "\"behavior\": \"nosuch\"}");
    run(e);
    doc_state_field_eq(e, "pr", "named", "null");
    assert_status(e, "pr", "waiting");
    /* An ended actor's name is taken over. */
    json_t *doc = NULL;
    ck_assert_int_eq(eng_kill(e, "taken", &doc), AD_OK);
    json_decref(doc);
    send(e, "pr",
         "{\"op\": \"named\", \"name\": \"taken\", "
         "\"behavior\": \"collector\"}");
    run(e);
    doc_state_field_eq(e, "pr", "named", "{\"$address\": \"taken\"}");
    assert_actor(e, "taken", "behavior", "\"collector\"");
    assert_status(e, "taken", "waiting");
    close_eng(e);
}
END_TEST

START_TEST(test_api_unlink)
{
    /* Linked and unlinked in one step: the target's failure kills
     * nobody, and no link is left. */
    struct eng *e = open_eng();
    spawn(e, "pr", "prober", NULL);
    spawn(e, "p", "puppet", NULL);
    run(e);
    send(e, "pr", "{\"op\": \"unlink\", \"target\": \"p\"}");
    run(e);
    doc_state_field_eq(e, "pr", "unlink", "[0, 0]");
    sqlite3 *raw = raw_open(db.path);
    ck_assert_int_eq(raw_int(raw, "SELECT count(*) FROM links"), 0);
    sqlite3_close(raw);
    send(e, "p", "{\"op\": \"fail\", \"why\": \"x\"}");
    run(e);
    assert_status(e, "p", "failed");
    assert_status(e, "pr", "waiting");
    close_eng(e);
}
END_TEST

static Suite *
eng_api_suite(void)
{
    Suite *s = suite_create("eng_api");
    TCase *tc;

    tc = tcase("send");
    tcase_add_test(tc, test_user_send_dropped);
    tcase_add_test(tc, test_user_send_to_self);
    suite_add_tcase(s, tc);

    tc = tcase("spawn");
    tcase_add_test(tc, test_user_spawn_names);
    tcase_add_test(tc, test_user_spawn_long_name);
    tcase_add_test(tc, test_api_spawn_named);
    suite_add_tcase(s, tc);

    tc = tcase("self");
    tcase_add_test(tc, test_api_self);
    tcase_add_test(tc, test_api_refusals);
    suite_add_tcase(s, tc);

    tc = tcase("links");
    tcase_add_test(tc, test_api_unlink);
    suite_add_tcase(s, tc);

    tc = tcase("dispatch");
    tcase_add_test(tc, test_api_dispatch);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    static const struct behavior *const used[] = {&puppet, &caller_behavior,
                                                  &prober, NULL};
    return run_engine_suite("test_eng_api", used, eng_api_suite());
}
