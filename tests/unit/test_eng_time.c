/*
 * test_eng_time.c - the Check suite of engine/time.c: receive timeouts
 * and durable timers coming due, after a reopen too.
 */
#include "engine/engine.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "actord/behavior.h"
#include "tests/unit/engutil.h"

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

/* A timer's message to an unknown actor, or to one that ended before it
 * fired, becomes a dead letter when it fires. */
START_TEST(test_timer_to_unknown)
{
    struct eng *e = open_eng();
    spawn(e, "gone", "counter", NULL);
    spawn(e, "a", "alarm", "{\"ms\": 10, \"to\": \"ghost\"}");
    spawn(e, "b", "alarm", "{\"ms\": 10, \"to\": {\"$address\": \"gone\"}}");
    run(e);
    json_t *doc = NULL;
    ck_assert_int_eq(eng_kill(e, "gone", &doc), AD_OK);
    json_decref(doc);
    ck_assert_int_eq(count_timers(), 2);
    /* Late is allowed, lost is not: wait until both fired, at most
     * about 5 s. */
    for (int i = 0; i < 500 && count_timers() > 0; i++) {
        sleep_ms(10);
        run(e);
    }
    ck_assert_int_eq(count_timers(), 0);
    assert_dead(e, "[[\"a\", \"ghost\", \"no such actor\", {\"ring\": true}], "
                   "[\"b\", \"gone\", \"actor ended\", {\"ring\": true}]]");
    assert_actor(e, "a", "state", "{\"timer\": 1, \"rings\": 0}");
    close_eng(e);
}
END_TEST

/* Timer delays below 0 or over a year are refused: actor_send_after
 * answers 0 and no timer is stored. */
START_TEST(test_timer_bad_delays)
{
    struct eng *e = open_eng();
    spawn(e, "n", "alarm", "{\"ms\": -1}");
    spawn(e, "y", "alarm", "{\"ms\": 31622400001}");
    spawn(e, "p", "alarm", "{\"ms\": 10, \"every\": -5}");
    spawn(e, "ok", "alarm", "{\"ms\": 31622400000}");
    run(e);
    assert_actor(e, "n", "state", "{\"timer\": 0, \"rings\": 0}");
    assert_actor(e, "y", "state", "{\"timer\": 0, \"rings\": 0}");
    assert_actor(e, "p", "state", "{\"timer\": 0, \"rings\": 0}");
    json_t *doc = get_doc(e, "ok");
    ck_assert_int_gt(json_integer_value(json_object_get(
                         json_object_get(doc, "state"), "timer")),
                     0);
    json_decref(doc);
    ck_assert_int_eq(count_timers(), 1);
    close_eng(e);
}
END_TEST

static Suite *
eng_time_suite(void)
{
    Suite *s = suite_create("eng_time");
    TCase *tc;

    tc = tcase("timeouts");
    tcase_add_test(tc, test_timeout_poll);
    tcase_add_test(tc, test_timeout_fires_after_reopen);
    tcase_add_test(tc, test_timeout_message_first);
    tcase_add_test(tc, test_timeout_bad);
    suite_add_tcase(s, tc);

    tc = tcase("timers");
    tcase_add_test(tc, test_timer_once);
    tcase_add_test(tc, test_timer_missed_periods);
    tcase_add_test(tc, test_timer_cancel_and_end);
    tcase_add_test(tc, test_timer_to_unknown);
    tcase_add_test(tc, test_timer_bad_delays);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    static const struct behavior *const used[] = {&waiter, &alarm_behavior,
                                                  NULL};
    return run_engine_suite("test_eng_time", used, eng_time_suite());
}
