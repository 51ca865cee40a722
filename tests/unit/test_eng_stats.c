/*
 * test_eng_stats.c - the Check suite of engine/stats.c and eng_counts
 * (reads.c): steps and messages counted as they happen, step durations
 * in the histogram, the database's counts by status.
 */
#include "engine/engine.h"

#include <check.h>
#include <string.h>

#include "actord/behavior.h"
#include "tests/unit/engutil.h"

START_TEST(test_stats_count_work)
{
    struct eng *e = open_eng();
    struct eng_process_stats before, after;
    eng_process_stats(&before);
    spawn(e, "c", "collector", NULL);
    for (int i = 0; i < 3; i++) {
        json_t *m = json_integer(i);
        ck_assert_int_eq(eng_send(e, "c", m, NULL), AD_OK);
        json_decref(m);
    }
    ck_assert_int_eq(eng_run(e, 0, 0, NULL), AD_OK);
    eng_process_stats(&after);
    /* The collector's first step, then one per message. */
    ck_assert_uint_eq(after.steps - before.steps, 4);
    ck_assert_uint_eq(after.messages - before.messages, 3);
    ck_assert_uint_eq(after.step_seconds.count, after.steps);
    ck_assert_uint_gt(after.commit_seconds.count, before.commit_seconds.count);
    close_eng(e);
}
END_TEST

START_TEST(test_counts_by_status)
{
    struct eng *e = open_eng();
    spawn(e, "a", "collector", NULL);
    spawn(e, "b", "collector", NULL);
    struct eng_counts n;
    ck_assert_int_eq(eng_counts(e, &n), AD_OK);
    ck_assert_int_eq(n.actors[0] + n.actors[1], 2); /* runnable, waiting */
    ck_assert_str_eq(eng_status_name(0), "runnable");
    ck_assert_int_eq(eng_run(e, 0, 0, NULL), AD_OK);
    json_t *doc = NULL;
    ck_assert_int_eq(eng_kill(e, "b", &doc), AD_OK);
    json_decref(doc);
    json_t *m = json_integer(7);
    ck_assert_int_eq(eng_send(e, "a", m, NULL), AD_OK);
    json_decref(m);
    ck_assert_int_eq(eng_counts(e, &n), AD_OK);
    int killed = -1, waiting = -1, runnable = -1;
    for (int i = 0; i < ENG_STATUSES; i++) {
        if (strcmp(eng_status_name(i), "killed") == 0)
            killed = i;
        else if (strcmp(eng_status_name(i), "waiting") == 0)
            waiting = i;
        else if (strcmp(eng_status_name(i), "runnable") == 0)
            runnable = i;
    }
    ck_assert_int_eq(n.actors[killed], 1);
    ck_assert_int_eq(n.actors[waiting] + n.actors[runnable], 1);
    ck_assert_int_eq(n.queued, 1);
    ck_assert_int_gt(n.db_bytes, 0);
    close_eng(e);
}
END_TEST

static Suite *
eng_stats_suite(void)
{
    Suite *s = suite_create("eng_stats");
    TCase *tc = tcase("stats");
    tcase_add_test(tc, test_stats_count_work);
    tcase_add_test(tc, test_counts_by_status);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    static const struct behavior *const used[] = {NULL};
    return run_engine_suite("test_eng_stats", used, eng_stats_suite());
}
