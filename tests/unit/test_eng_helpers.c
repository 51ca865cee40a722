/*
 * test_eng_helpers.c - the Check suite of engine/helpers.c:
 * actor_address_name and generated names.
 */
#include "engine/engine.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "actord/behavior.h"
#include "tests/unit/engutil.h"

START_TEST(test_address_name)
{
    static const struct {
        const char *json;
        const char *want; /* NULL: not an address */
    } cases[] = {
        {"{\"$address\": \"a\"}", "a"},
        {"\"plain\"", "plain"},
        {"{\"$address\": \"a\", \"x\": 1}", NULL},
        {"{\"$address\": 5}", NULL},
        {"{\"address\": \"a\"}", NULL},
        {"5", NULL},
        {"null", NULL},
        {"[\"a\"]", NULL},
        {"{}", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *v = J(cases[i].json);
        const char *got = actor_address_name(v);
        if (cases[i].want == NULL)
            ck_assert_msg(got == NULL, "%s gave \"%s\"", cases[i].json, got);
        else
            ck_assert_msg(got != NULL && strcmp(got, cases[i].want) == 0,
                          "%s gave %s", cases[i].json, got ? got : "NULL");
        json_decref(v);
    }
    ck_assert_ptr_null(actor_address_name(NULL));
}
END_TEST

START_TEST(test_generated_names)
{
    /* Generated names are valid, distinct, and of the documented form
     * "a-" and 16 hex digits. */
    struct eng *e = open_eng();
    json_t *seen = json_object();
    for (int i = 0; i < 50; i++) {
        json_t *doc = NULL;
        ck_assert_int_eq(eng_spawn(e, NULL, "collector", NULL, &doc, NULL),
                         AD_OK);
        const char *n = json_string_value(json_object_get(doc, "name"));
        ck_assert_ptr_nonnull(n);
        ck_assert_int_eq(strlen(n), 18);
        ck_assert_int_eq(strncmp(n, "a-", 2), 0);
        ck_assert_int_eq(strspn(n + 2, "0123456789abcdef"), 16);
        ck_assert_ptr_null(json_object_get(seen, n));
        json_object_set_new(seen, n, json_true());
        json_decref(doc);
    }
    json_decref(seen);
    close_eng(e);
}
END_TEST

static Suite *
eng_helpers_suite(void)
{
    Suite *s = suite_create("eng_helpers");
    TCase *tc;

    tc = tcase("helpers");
    tcase_add_test(tc, test_address_name);
    tcase_add_test(tc, test_generated_names);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return run_engine_suite("test_eng_helpers", NULL, eng_helpers_suite());
}
