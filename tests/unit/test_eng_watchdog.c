/*
 * test_eng_watchdog.c - the Check suite of engine/watchdog.c: a step
 * spinning in its own code, or in calls to the engine, is cut off and
 * undone, its actor fails, and the others go on; within one run of
 * eng_run, messages sent earlier in the run and consumed by the cut-off
 * step are not lost.
 */
#include "engine/engine.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "actord/behavior.h"
#include "tests/unit/engutil.h"

/* A spinner told to spin how, beside a twoshape that must still run. */
static void
spin_case(const char *how)
{
    struct eng_opts o = {.busy_timeout_ms = 50, .step_limit_ms = 100};
    struct eng *e = open_eng_opts(&o);
    char msg[64];
    spawn(e, "w", "spinner", NULL);
    spawn(e, "t", "twoshape", NULL);
    run(e);
    send(e, "w", "{\"ok\": 5}");
    send(e, "t", "{\"inc\": 1}");
    run(e);
    snprintf(msg, sizeof msg, "{\"spin\": \"%s\"}", how);
    send(e, "w", msg);
    send(e, "w", "{\"ok\": 7}");
    send(e, "t", "{\"inc\": 2}");
    run(e);
    json_t *doc = get_doc(e, "w");
    assert_field(json_object_get(doc, "error"), "error", "\"step_timeout\"");
    assert_failed_with(doc, "ms of CPU time and was cut off");
    /* The step before stands; the cut-off one left nothing. */
    assert_field(doc, "state", "{\"total\": 5}");
    json_decref(doc);
    snprintf(msg, sizeof msg, "\"%s\"", how);
    char want[256];
    snprintf(want, sizeof want,
             "[[null, \"w\", \"unread at failure\", {\"spin\": %s}], "
             "[null, \"w\", \"unread at failure\", {\"ok\": 7}]]",
             msg);
    assert_dead(e, want);
    /* The service goes on. */
    assert_actor(e, "t", "state", "{\"total\": 3, \"matched\": [0, 0]}");
    send(e, "t", "{\"inc\": 4}");
    run(e);
    assert_actor(e, "t", "state", "{\"total\": 7, \"matched\": [0, 0, 0]}");
    close_eng(e);
}

START_TEST(test_limit_step_pure_loop)
{
    spin_case("pure");
}
END_TEST

START_TEST(test_limit_step_calls_loop)
{
    spin_case("calls");
}
END_TEST

/*
 * Messages sent within one run of eng_run and consumed in it by a step
 * that the watchdog then cuts off: the steps before it (p's sends and
 * w's first) stand, the cut-off step is undone, and what w had not
 * consumed becomes a dead letter, each message once.
 */
START_TEST(test_limit_step_in_batch)
{
    struct eng_opts o = {.busy_timeout_ms = 50, .step_limit_ms = 100};
    struct eng *e = open_eng_opts(&o);
    spawn(e, "w", "spinner", NULL);
    spawn(e, "p", "puppet", NULL);
    run(e);
    send(e, "p", "{\"op\": \"send\", \"to\": \"w\", \"msg\": {\"ok\": 3}}");
    send(e, "p",
         "{\"op\": \"send\", \"to\": \"w\", \"msg\": {\"spin\": \"pure\"}}");
    send(e, "p", "{\"op\": \"send\", \"to\": \"w\", \"msg\": {\"ok\": 4}}");
    run(e);
    json_t *doc = get_doc(e, "w");
    assert_field(json_object_get(doc, "error"), "error", "\"step_timeout\"");
    assert_field(doc, "state", "{\"total\": 3}");
    json_decref(doc);
    /* ok 4 was in w's mailbox when it failed, or sent after: p's last
     * send said which. */
    int ended = assert_dead_after_failure(e, "\"p\"", "{\"spin\": \"pure\"}",
                                          "{\"ok\": 4}");
    assert_actor(e, "p", "state",
                 ended ? "{\"send_rc\": 1}" : "{\"send_rc\": 0}");
    assert_mailbox(e, "w", "[]");
    assert_mailbox(e, "p", "[]");
    assert_mailbox_counts();
    close_eng(e);
}
END_TEST

static Suite *
eng_watchdog_suite(void)
{
    Suite *s = suite_create("eng_watchdog");
    TCase *tc;

    tc = tcase("watchdog");
    tcase_add_test(tc, test_limit_step_pure_loop);
    tcase_add_test(tc, test_limit_step_calls_loop);
    tcase_add_test(tc, test_limit_step_in_batch);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    static const struct behavior *const used[] = {&spinner, &twoshape, &puppet,
                                                  NULL};
    return run_engine_suite("test_eng_watchdog", used, eng_watchdog_suite());
}
