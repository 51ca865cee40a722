/*
 * test_eng_registry.c - the Check suite of engine/registry.c: what
 * actor_register refuses (taken names, bad names, no step, after
 * eng_init), eng_behaviors and actor_behavior_known.
 */
#include "engine/engine.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "actord/behavior.h"
#include "tests/unit/engutil.h"

START_TEST(test_behaviors)
{
    json_t *b = eng_behaviors();
    ck_assert_ptr_nonnull(b);
    json_t *list = json_object_get(b, "behaviors");
    ck_assert(json_is_array(list));
    static const char *const want[] = {"counter",    "collector", "forwarder",
                                       "ring",       "gather",    "ticker",
                                       "supervisor", "timer"};
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

/* What actor_register answered in main, before run_suite's eng_init: a
 * behaviour with a name of each kind the registry refuses, and one it
 * takes.  Forked tests inherit them. */
static const struct behavior bad_upper = {
    .name = "Upper", .version = 1, .step = twoshape_step};
static const struct behavior bad_empty = {
    .name = "", .version = 1, .step = twoshape_step};
static const struct behavior bad_long = {
    .name = "a123456789a123456789a123456789a123456789a123456789a123456789"
            "abcde", /* 65 */
    .version = 1,
    .step = twoshape_step};
static const struct behavior good_long = {
    .name = "a123456789a123456789a123456789a123456789a123456789a123456789"
            "abcd", /* 64 */
    .version = 1,
    .doc = "test: the longest name",
    .step = twoshape_step};
static const struct behavior late = {.name = "late",
                                     .version = 1,
                                     .doc = "test: too late",
                                     .step = twoshape_step};
static int rc_upper, rc_empty, rc_long, rc_good_long;

START_TEST(test_registry_names)
{
    /* Before eng_init: a-z 0-9 _, 1 to 64 of them. */
    ck_assert_int_eq(rc_upper, -1);
    ck_assert_int_eq(rc_empty, -1);
    ck_assert_int_eq(rc_long, -1);
    ck_assert_int_eq(rc_good_long, 0);
    ck_assert_int_eq(actor_behavior_known(good_long.name), 1);
    ck_assert_int_eq(actor_behavior_known("Upper"), 0);
}
END_TEST

START_TEST(test_registry_after_init)
{
    /* eng_init (run_suite) froze the registry: a fresh, valid name is
     * refused, and not listed. */
    ck_assert_int_eq(actor_register(&late), -1);
    ck_assert_int_eq(actor_behavior_known("late"), 0);
    json_t *b = eng_behaviors();
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(b, "behaviors"), i, it) ck_assert_str_ne(
        json_string_value(json_object_get(it, "name")), "late");
    json_decref(b);
    /* eng_init again does nothing, and still succeeds. */
    ck_assert_int_eq(eng_init(), AD_OK);
    ck_assert_int_eq(actor_register(&late), -1);
    /* Spawning a behaviour that was refused fails as unknown. */
    struct eng *e = open_eng();
    ck_assert_int_eq(spawn_err(e, "x", "late", NULL, NULL), AD_EBEHAVIOR);
    close_eng(e);
}
END_TEST

START_TEST(test_registry_known)
{
    static const char *const standard[] = {
        "counter", "collector", "forwarder",  "ring",
        "gather",  "ticker",    "supervisor", "timer"};
    for (size_t i = 0; i < sizeof standard / sizeof standard[0]; i++)
        ck_assert_msg(actor_behavior_known(standard[i]) == 1, "%s unknown",
                      standard[i]);
    ck_assert_int_eq(actor_behavior_known("twoshape"), 1);
    ck_assert_int_eq(actor_behavior_known("nosuch"), 0);
    ck_assert_int_eq(actor_behavior_known(""), 0);
    ck_assert_int_eq(actor_behavior_known(NULL), 0);
    /* Registered by the test, listed with its doc. */
    json_t *b = eng_behaviors();
    int found = 0;
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(b, "behaviors"), i, it)
    {
        if (strcmp(json_string_value(json_object_get(it, "name")),
                   "twoshape") == 0) {
            found++;
            assert_field(it, "doc", "\"test: inc and dec\"");
        }
    }
    ck_assert_int_eq(found, 1);
    json_decref(b);
}
END_TEST

static Suite *
eng_registry_suite(void)
{
    Suite *s = suite_create("eng_registry");
    TCase *tc;

    tc = tcase("registry");
    tcase_add_test(tc, test_behaviors);
    tcase_add_test(tc, test_registry_names);
    tcase_add_test(tc, test_registry_after_init);
    tcase_add_test(tc, test_registry_known);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    static const struct behavior *const used[] = {&twoshape, NULL};
    /* Before run_suite's eng_init, while registering is allowed. */
    rc_upper = actor_register(&bad_upper);
    rc_empty = actor_register(&bad_empty);
    rc_long = actor_register(&bad_long);
    rc_good_long = actor_register(&good_long);
    return run_engine_suite("test_eng_registry", used, eng_registry_suite());
}
