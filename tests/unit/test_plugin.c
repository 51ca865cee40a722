/*
 * test_plugin.c - the Check suite of plugin/loader.c: the fixture plugins
 * of tests/unit/plugins/ (built by the Makefile into PLUGIN_FIXTURES),
 * one case per way a plugin is refused, with its message, a folder of
 * two loaded in name order, and a good plugin whose behaviour calls
 * every function of actord/behavior.h, loaded and run.
 *
 * Plugins load before eng_init, and eng_init freezes the registry for
 * good, so this suite's main does not use run_suite: it registers the
 * standard behaviours and runs the tests with the engine not yet
 * initialised; the test that runs the good plugin initialises it itself.
 * Check forks each test, so every test starts from that registry.  Under
 * CK_FORK=no (make valgrind) the tests share one process: no fixture is
 * loaded by two tests, and the test that initialises the engine is the
 * last one.
 */
#include "plugin/plugin.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "actord/behavior.h"
#include "tests/unit/testutil.h"

#ifndef PLUGIN_FIXTURES
#error "the Makefile defines PLUGIN_FIXTURES, the folder of the fixtures"
#endif

static char err[1024];

/* Loads the fixture name with plugin_load; returns what it returned, the
 * message in err. */
static int
load(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", PLUGIN_FIXTURES, name);
    err[0] = '\0';
    return plugin_load(path, err, sizeof err);
}

/* Asserts that err is the text that snprintf makes of the rest of the
 * arguments, in which PATH stands for the path of the fixture name. */
#define ASSERT_ERR(name, ...)                                                  \
    do {                                                                       \
        char PATH[512], want_[2048];                                           \
        snprintf(PATH, sizeof PATH, "%s/%s", PLUGIN_FIXTURES, (name));         \
        snprintf(want_, sizeof want_, __VA_ARGS__);                            \
        ck_assert_msg(strcmp(err, want_) == 0, "got  \"%s\"\nwant \"%s\"",     \
                      err, want_);                                             \
    } while (0)

START_TEST(test_abi_mismatch)
{
    /* Its init aborts: the check must come first. */
    ck_assert_int_eq(load("abi.so"), AD_EINVAL);
    ASSERT_ERR("abi.so",
               "plugin %s is not binary compatible: built for actord ABI 2, "
               "this actord has ABI 1",
               PATH);
}
END_TEST

START_TEST(test_no_entry_point)
{
    ck_assert_int_eq(load("noentry.so"), AD_EINVAL);
    ASSERT_ERR("noentry.so",
               "plugin %s has no actor_plugin symbol: it is not an actord "
               "plugin (define it with ACTOR_PLUGIN of actord/behavior.h)",
               PATH);
}
END_TEST

START_TEST(test_null_init)
{
    ck_assert_int_eq(load("nullinit.so"), AD_EINVAL);
    ASSERT_ERR("nullinit.so", "plugin %s (nullinit) has no init function",
               PATH);
}
END_TEST

START_TEST(test_init_fails)
{
    ck_assert_int_eq(load("initfail.so"), AD_EINVAL);
    ASSERT_ERR("initfail.so", "plugin %s (initfail): init failed (returned 7)",
               PATH);
}
END_TEST

START_TEST(test_name_taken)
{
    ck_assert_int_eq(load("taken.so"), AD_EINVAL);
    ASSERT_ERR("taken.so",
               "plugin %s (taken): behaviour \"counter\" is already "
               "registered (by the standard behaviours or an earlier plugin)",
               PATH);
    /* The standard counter keeps its name. */
    ck_assert_int_eq(actor_behavior_known("counter"), 1);
}
END_TEST

START_TEST(test_not_a_shared_object)
{
    ck_assert_int_eq(load("notso.so"), AD_EINVAL);
    ASSERT_ERR("notso.so", "plugin %s cannot be loaded: %s: invalid ELF header",
               PATH, PATH);
}
END_TEST

START_TEST(test_missing_file)
{
    ck_assert_int_eq(load("missing.so"), AD_EINVAL);
    ASSERT_ERR("missing.so",
               "plugin %s cannot be loaded: %s: cannot open shared object "
               "file: No such file or directory",
               PATH, PATH);
}
END_TEST

START_TEST(test_undefined_symbol)
{
    /* eng_init is in the program but not in the API it exports. */
    ck_assert_int_eq(load("undefined.so"), AD_EINVAL);
    ASSERT_ERR("undefined.so",
               "plugin %s cannot be loaded: %s: undefined symbol: eng_init",
               PATH, PATH);
}
END_TEST

START_TEST(test_loaded_twice)
{
    ck_assert_int_eq(load("twice.so"), AD_OK);
    ck_assert_int_eq(actor_behavior_known("plug_twice"), 1);
    ck_assert_int_eq(load("twice.so"), AD_EINVAL);
    ASSERT_ERR("twice.so", "plugin %s is loaded already", PATH);
}
END_TEST

START_TEST(test_dir_in_name_order)
{
    /* 20-second.so refuses to load unless 10-first.so loaded before it;
     * README is skipped. */
    err[0] = '\0';
    ck_assert_msg(plugin_load_dir(PLUGIN_FIXTURES "/two", err, sizeof err) ==
                      AD_OK,
                  "%s", err);
    ck_assert_int_eq(actor_behavior_known("plug_first"), 1);
    ck_assert_int_eq(actor_behavior_known("plug_second"), 1);
}
END_TEST

START_TEST(test_dir_missing)
{
    ck_assert_int_eq(plugin_load_dir(PLUGIN_FIXTURES "/none", err, sizeof err),
                     AD_EINVAL);
    ck_assert_str_eq(err, "plugin folder " PLUGIN_FIXTURES
                          "/none cannot be read: No such file or directory");
}
END_TEST

START_TEST(test_dir_stops_at_a_refusal)
{
    /* The fixtures' folder holds refused plugins: abi.so, first in name
     * order, stops it before any init runs (abi.so's would abort). */
    ck_assert_int_eq(plugin_load_dir(PLUGIN_FIXTURES, err, sizeof err),
                     AD_EINVAL);
    ck_assert_msg(strstr(err, "/abi.so is not binary compatible") != NULL, "%s",
                  err);
}
END_TEST

/* Runs every runnable actor of e until none is left. */
static void
run(struct eng *e)
{
    long steps = 0;
    ck_assert_int_eq(eng_run(e, 0, 0, &steps), AD_OK);
}

/* Calls method of name on e with payload (a JSON text or NULL) and
 * returns the reply (new). */
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
    ck_assert_ptr_nonnull(reply);
    ck_assert_int_eq(eng_call_end(e, box), AD_OK);
    json_t *out = json_deep_copy(reply);
    json_decref(reply);
    /* The call id differs each time: compare the rest. */
    json_object_del(out, "response");
    return out;
}

START_TEST(test_good_plugin_runs)
{
    struct tmpdb t;
    struct eng *e = NULL;
    json_t *doc = NULL;
    const char *why = NULL;
    ck_assert_msg(load("good.so") == AD_OK, "%s", err);
    ck_assert_int_eq(eng_init(), AD_OK);
    tmpdb_init(&t);
    ck_assert_int_eq(eng_open(t.path, NULL, &e), AD_OK);

    /* Its check_args runs at spawn. */
    json_t *bad = J("{\"bad\": 1}");
    ck_assert_int_eq(eng_spawn(e, "g0", "plug_good", bad, &doc, &why),
                     AD_EBADARGS);
    ck_assert_str_eq(why, "bad is not allowed");
    json_decref(bad);

    json_t *args = J("{\"x\": 1}");
    ck_assert_int_eq(eng_spawn(e, "g", "plug_good", args, &doc, NULL), AD_OK);
    json_decref(args);
    json_decref(doc);
    run(e);
    ck_assert_int_eq(eng_get(e, "g", &doc), AD_OK);
    assert_field(doc, "status", "\"waiting\"");
    const json_t *st = json_object_get(doc, "state");
    assert_field(st, "point0", "0");
    assert_field(st, "behavior", "\"plug_good\"");
    assert_field(st, "name", "\"g\"");
    assert_field(st, "self", "\"g\"");
    assert_field(st, "args", "{\"x\": 1}");
    assert_field(st, "first_message", "true");
    assert_field(st, "now", "true");
    assert_field(st, "counter_known", "true");
    assert_field(st, "counter_check", "\"refused\"");
    assert_field(st, "cancelled", "1");
    assert_field(st, "sent", "0");
    assert_field(st, "got", "3");
    assert_field(st, "timed_out", "1");
    json_decref(doc);
    /* The named child, and the monitored one it killed. */
    ck_assert_int_eq(eng_get(e, "g-named", &doc), AD_OK);
    assert_field(doc, "status", "\"waiting\"");
    json_decref(doc);
    ck_assert_int_eq(eng_get(e, "g.3", &doc), AD_OK);
    assert_field(doc, "status", "\"killed\"");
    json_decref(doc);

    json_t *r = call(e, "g", "hello", "5");
    assert_json(r, "{\"message\": {\"hello\": \"g\", \"payload\": 5}}");
    json_decref(r);
    r = call(e, "g", "refuse", NULL);
    assert_json(r, "{\"exception\": {\"message\": \"refused\"}}");
    json_decref(r);
    r = call(e, "g", "respond", NULL);
    assert_json(r, "{\"message\": \"responded\"}");
    json_decref(r);
    r = call(e, "g", "exception", NULL);
    assert_json(r, "{\"exception\": {\"message\": \"an exception\"}}");
    json_decref(r);
    r = call(e, "g", "nothing", NULL);
    assert_json(r, "{\"invalid_method\": \"nothing\"}");
    json_decref(r);
    r = call(e, "g", "other", NULL);
    assert_json(r, "{\"invalid_method\": \"other\"}");
    json_decref(r);

    json_t *m = J("{\"replace\": {\"only\": 1}}");
    ck_assert_int_eq(eng_send(e, "g", m, NULL), AD_OK);
    json_decref(m);
    run(e);
    ck_assert_int_eq(eng_get(e, "g", &doc), AD_OK);
    assert_field(doc, "state", "{\"only\": 1}");
    json_decref(doc);

    m = J("{\"fail\": true}");
    ck_assert_int_eq(eng_send(e, "g", m, NULL), AD_OK);
    json_decref(m);
    run(e);
    ck_assert_int_eq(eng_get(e, "g", &doc), AD_OK);
    assert_field(doc, "status", "\"failed\"");
    char *text = json_dumps(doc, 0);
    ck_assert_msg(strstr(text, "asked to fail: true") != NULL, "%s", text);
    free(text);
    json_decref(doc);

    /* Another: exits with a result. */
    ck_assert_int_eq(eng_spawn(e, "h", "plug_good", NULL, &doc, NULL), AD_OK);
    json_decref(doc);
    run(e);
    m = J("{\"stop\": \"done\"}");
    ck_assert_int_eq(eng_send(e, "h", m, NULL), AD_OK);
    json_decref(m);
    run(e);
    ck_assert_int_eq(eng_get(e, "h", &doc), AD_OK);
    assert_field(doc, "status", "\"exited\"");
    json_decref(doc);
    eng_close(e);
    tmpdb_cleanup(&t);
}
END_TEST

int
main(void)
{
    /* As actord: the standard behaviours first; eng_init is left to
     * test_good_plugin_runs. */
    if (behaviors_register_standard() != 0) {
        fprintf(stderr, "test_plugin: the standard behaviours did not "
                        "register\n");
        return 1;
    }
    Suite *s = suite_create("plugin");
    TCase *tc = tcase_create("loader");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_abi_mismatch);
    tcase_add_test(tc, test_no_entry_point);
    tcase_add_test(tc, test_null_init);
    tcase_add_test(tc, test_init_fails);
    tcase_add_test(tc, test_name_taken);
    tcase_add_test(tc, test_not_a_shared_object);
    tcase_add_test(tc, test_missing_file);
    tcase_add_test(tc, test_undefined_symbol);
    tcase_add_test(tc, test_loaded_twice);
    tcase_add_test(tc, test_dir_in_name_order);
    tcase_add_test(tc, test_dir_missing);
    tcase_add_test(tc, test_dir_stops_at_a_refusal);
    /* Last: it initialises the engine (see the top). */
    tcase_add_test(tc, test_good_plugin_runs);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
