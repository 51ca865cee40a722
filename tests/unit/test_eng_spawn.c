/*
 * test_eng_spawn.c - the Check suite of engine/spawn.c: eng_spawn's
 * document and refusals (behaviour, args, names), replacing an ended
 * actor, generated names, and eng_spawn_watched.
 */
#include "engine/engine.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "actord/behavior.h"
#include "tests/unit/engutil.h"

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
    /* The document is made from the row as inserted, not read back: each
     * of its fields is what a read of the stored row gives. */
    json_t *got = get_doc(e, "c1");
    const char *key;
    json_t *v;
    ck_assert_int_ge(json_object_size(doc), 12);
    json_object_foreach(doc, key, v)
    {
        json_t *w = json_object_get(got, key);
        ck_assert_msg(w != NULL && json_equal(v, w), "field %s differs", key);
    }
    json_decref(got);
    json_decref(doc);

    /* The first step sets the state and waits. */
    ck_assert_int_eq(run(e), 1);
    doc = get_doc(e, "c1");
    assert_field(doc, "status", "\"waiting\"");
    assert_field(doc, "state", "{\"count\": 5}");
    assert_field(doc, "waiting_for",
                 "[{\"add\": \"$integer\"}, "
                 "{\"call\": \"$any\", \"method\": \"$string\", \"address\": "
                 "\"$address\"}]");
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

START_TEST(test_monitor_spawn_watched)
{
    struct eng *e = open_eng();
    spawn(e, "col", "collector", NULL);
    json_t *doc = NULL, *mons = json_pack("[s]", "col");
    json_t *bad = json_pack("[s, s]", "col", "nobody");
    json_t *badname = json_pack("[i]", 5);
    const char *why = NULL;
    ck_assert_int_eq(
        eng_spawn_watched(e, "x", "counter", NULL, bad, &doc, &why),
        AD_ENOTFOUND);
    ck_assert_ptr_nonnull(why);
    json_t *none = NULL;
    ck_assert_int_eq(eng_get(e, "x", &none), AD_ENOTFOUND);
    ck_assert_int_eq(
        eng_spawn_watched(e, "x", "counter", NULL, badname, &doc, &why),
        AD_EBADNAME);
    ck_assert_int_eq(
        eng_spawn_watched(e, "x", "counter", NULL, mons, &doc, &why), AD_OK);
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

START_TEST(test_spawn_args)
{
    /* args are kept as given; a non-object is refused even for a
     * behaviour without check_args. */
    struct eng *e = open_eng();
    const char *why = NULL;
    ck_assert_int_eq(spawn_err(e, "x", "collector", "\"s\"", &why),
                     AD_EBADARGS);
    ck_assert_str_eq(why, "args must be an object");
    ck_assert_int_eq(spawn_err(e, "x", "collector", "null", NULL), AD_EBADARGS);
    spawn(e, "n", "collector", NULL);
    spawn(e, "c", "counter", "{\"start\": 3, \"extra\": [1, {\"a\": null}]}");
    sqlite3 *raw = raw_open(db.path);
    char args[128];
    raw_text(raw, "SELECT args FROM actors WHERE name = 'c'", args,
             sizeof args);
    json_t *a = J(args);
    assert_json(a, "{\"start\": 3, \"extra\": [1, {\"a\": null}]}");
    json_decref(a);
    sqlite3_close(raw);
    run(e);
    assert_actor(e, "c", "state", "{\"count\": 3}");
    close_eng(e);
}
END_TEST

START_TEST(test_spawn_watched_many)
{
    /* Several watchers at once, an empty list, and a refused spawn
     * (bad args) that leaves no watch behind. */
    struct eng *e = open_eng();
    spawn(e, "c1", "collector", NULL);
    spawn(e, "c2", "collector", NULL);
    json_t *mons = J("[\"c1\", \"c2\"]"), *none = J("[]");
    json_t *args = J("{\"n\": 0}");
    json_t *doc = NULL;
    const char *why = NULL;
    ck_assert_int_eq(eng_spawn_watched(e, "r", "ring", args, mons, &doc, &why),
                     AD_EBADARGS);
    ck_assert_ptr_null(doc);
    ck_assert_int_eq(
        eng_spawn_watched(e, "q", "collector", NULL, none, &doc, NULL), AD_OK);
    json_decref(doc);
    json_decref(args);
    args = J("{\"to\": \"nobody\", \"once\": true}");
    ck_assert_int_eq(
        eng_spawn_watched(e, "f", "forwarder", args, mons, &doc, NULL), AD_OK);
    json_decref(doc);
    sqlite3 *raw = raw_open(db.path);
    ck_assert_int_eq(raw_int(raw, "SELECT count(*) FROM monitors"), 2);
    sqlite3_close(raw);
    send(e, "f", "\"x\"");
    run(e);
    static const char *const who[] = {"c1", "c2"};
    for (int i = 0; i < 2; i++)
        assert_actor(e, who[i], "state",
                     "{\"messages\": [{\"exit\": \"x\", \"address\": "
                     "{\"$address\": \"f\"}}]}");
    json_decref(mons);
    json_decref(none);
    json_decref(args);
    close_eng(e);
}
END_TEST

static Suite *
eng_spawn_suite(void)
{
    Suite *s = suite_create("eng_spawn");
    TCase *tc;

    tc = tcase("spawn");
    tcase_add_test(tc, test_spawn_document);
    tcase_add_test(tc, test_spawn_errors);
    tcase_add_test(tc, test_spawn_args);
    tcase_add_test(tc, test_spawn_exists_and_replace);
    tcase_add_test(tc, test_spawn_generated_name);
    suite_add_tcase(s, tc);

    tc = tcase("watched");
    tcase_add_test(tc, test_monitor_spawn_watched);
    tcase_add_test(tc, test_spawn_watched_many);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    static const struct behavior *const used[] = {&puppet, NULL};
    return run_engine_suite("test_eng_spawn", used, eng_spawn_suite());
}
