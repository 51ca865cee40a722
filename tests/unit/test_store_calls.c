/*
 * test_store_calls.c - the suite of store/calls.c: an abandoned call is
 * recorded once, found (and forgotten) by its actor and call id only.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "store/store.h"
#include "tests/unit/test_store.h"

START_TEST(test_call_abandon_and_take)
{
    struct store *s = open_store();
    int64_t a = add_actor(s, "a", "counter", STORE_WAITING, 1);
    int64_t b = add_actor(s, "b", "counter", STORE_WAITING, 1);
    ck_assert_int_eq(store_call_abandon(s, a, "a/1", 10), AD_OK);
    ck_assert_int_eq(store_call_abandon(s, a, "a/1", 11), AD_OK); /* once */
    ck_assert_int_eq(store_call_abandon(s, a, "a/2", 12), AD_OK);
    ck_assert_int_eq(db_int("SELECT count(*) FROM abandoned_calls"), 2);
    ck_assert_int_eq(db_int("SELECT created FROM abandoned_calls WHERE "
                            "call_id = 'a/1'"),
                     10);

    int found = -1;
    ck_assert_int_eq(store_call_take_abandoned(s, b, "a/1", &found), AD_OK);
    ck_assert_int_eq(found, 0); /* another actor's */
    ck_assert_int_eq(store_call_take_abandoned(s, a, "a/3", &found), AD_OK);
    ck_assert_int_eq(found, 0);
    ck_assert_int_eq(store_call_take_abandoned(s, a, "a/1", &found), AD_OK);
    ck_assert_int_eq(found, 1);
    /* Taken: forgotten. */
    ck_assert_int_eq(store_call_take_abandoned(s, a, "a/1", &found), AD_OK);
    ck_assert_int_eq(found, 0);
    ck_assert_int_eq(db_int("SELECT count(*) FROM abandoned_calls"), 1);
    close_store(s);
}
END_TEST

static int
call_seen(void *ctx, const char *call_id, int64_t created)
{
    char *line = ctx;
    size_t used = strlen(line);
    snprintf(line + used, 128 - used, "%s%s@%lld", used ? " " : "", call_id,
             (long long)created);
    return AD_OK;
}

START_TEST(test_call_list)
{
    struct store *s = open_store();
    int64_t a = add_actor(s, "a", "counter", STORE_WAITING, 1);
    int64_t b = add_actor(s, "b", "counter", STORE_WAITING, 1);
    ck_assert_int_eq(store_call_abandon(s, a, "z9", 10), AD_OK);
    ck_assert_int_eq(store_call_abandon(s, a, "a1", 12), AD_OK);
    ck_assert_int_eq(store_call_abandon(s, b, "b1", 13), AD_OK);
    char line[128] = "";
    ck_assert_int_eq(store_call_list(s, a, call_seen, line), AD_OK);
    ck_assert_str_eq(line, "a1@12 z9@10");
    line[0] = '\0';
    ck_assert_int_eq(store_call_list(s, 99, call_seen, line), AD_OK);
    ck_assert_str_eq(line, "");
    close_store(s);
}
END_TEST

static Suite *
calls_suite(void)
{
    Suite *s = suite_create("store_calls");
    TCase *tc = tcase("abandoned");
    tcase_add_test(tc, test_call_abandon_and_take);
    tcase_add_test(tc, test_call_list);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return run_suite(calls_suite());
}
