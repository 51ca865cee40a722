/*
 * test_store_stats.c - the suite of store/stats.c: store_counts on an
 * empty database and on one holding actors of every status, messages,
 * timers and dead letters; reply boxes are not counted.
 */
#include <sqlite3.h>
#include <string.h>

#include "store/store.h"
#include "tests/unit/test_store.h"

START_TEST(test_counts_empty)
{
    struct store *s = open_store();
    struct store_counts c;
    memset(&c, 0xff, sizeof c);
    ck_assert_int_eq(store_counts(s, &c), AD_OK);
    for (int i = 0; i < STORE_STATUSES; i++)
        ck_assert_int_eq(c.actors[i], 0);
    ck_assert_int_eq(c.queued, 0);
    ck_assert_int_eq(c.timers, 0);
    ck_assert_int_eq(c.dead_letters, 0);
    ck_assert_int_gt(c.db_bytes, 0);
    ck_assert_int_ge(c.wal_bytes, 0);
}
END_TEST

START_TEST(test_counts)
{
    struct store *s = open_store();
    ck_assert_int_eq(store_begin(s), AD_OK);
    int64_t a = add_actor(s, "a", "counter", STORE_WAITING, 1);
    add_actor(s, "b", "counter", STORE_WAITING, 1);
    add_actor(s, "c", "collector", STORE_RUNNABLE, 1);
    add_actor(s, "d", "counter", STORE_KILLED, 1);
    add_actor(s, "e", "counter", STORE_FAILED, 1);
    add_actor(s, "f", "counter", STORE_STRANDED, 1);
    add_actor(s, "g", "counter", STORE_EXITED, 1);
    /* A reply box is no actor an operator counts. */
    add_actor(s, "_call-x", "_call", STORE_WAITING, 1);
    append(s, a, "1");
    append(s, a, "2");
    append(s, a, "3");
    ck_assert_int_eq(store_timer_add(s, a, "a", "{}", 99, 0, NULL), AD_OK);
    ck_assert_int_eq(
        store_dead_letter_add(s, NULL, "zz", "no such actor", "1", 1, 5),
        AD_OK);
    ck_assert_int_eq(store_commit(s), AD_OK);

    struct store_counts c;
    ck_assert_int_eq(store_counts(s, &c), AD_OK);
    ck_assert_int_eq(c.actors[STORE_WAITING], 2);
    ck_assert_int_eq(c.actors[STORE_RUNNABLE], 1);
    ck_assert_int_eq(c.actors[STORE_KILLED], 1);
    ck_assert_int_eq(c.actors[STORE_FAILED], 1);
    ck_assert_int_eq(c.actors[STORE_STRANDED], 1);
    ck_assert_int_eq(c.actors[STORE_EXITED], 1);
    ck_assert_int_eq(c.queued, 3);
    ck_assert_int_eq(c.timers, 1);
    ck_assert_int_eq(c.dead_letters, 1);
    ck_assert_int_eq(c.db_bytes % 512, 0);
    ck_assert_int_gt(c.wal_bytes, 0); /* the commit is in the WAL */
}
END_TEST

START_TEST(test_commit_seconds)
{
    struct store *s = open_store();
    struct ad_hist before, after;
    store_commit_seconds(&before);
    ck_assert_int_eq(store_begin(s), AD_OK);
    add_actor(s, "a", "counter", STORE_WAITING, 1);
    ck_assert_int_eq(store_commit(s), AD_OK);
    store_commit_seconds(&after);
    ck_assert_uint_eq(after.count, before.count + 1);
    uint64_t sum = 0;
    for (int i = 0; i <= AD_HIST_BOUNDS; i++)
        sum += after.bucket[i];
    ck_assert_uint_eq(sum, after.count);
}
END_TEST

static Suite *
stats_suite(void)
{
    Suite *s = suite_create("store_stats");
    TCase *tc = tcase("stats");
    tcase_add_test(tc, test_counts_empty);
    tcase_add_test(tc, test_counts);
    tcase_add_test(tc, test_commit_seconds);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return run_suite(stats_suite());
}
