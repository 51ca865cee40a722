/*
 * test_eng_watchdog.c - the Check suite of engine/watchdog.c: a step
 * spinning in its own code, or in calls to the engine, is cut off and
 * undone, its actor fails, and the others go on.
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

static Suite *
eng_watchdog_suite(void)
{
    Suite *s = suite_create("eng_watchdog");
    TCase *tc;

    tc = tcase("watchdog");
    tcase_add_test(tc, test_limit_step_pure_loop);
    tcase_add_test(tc, test_limit_step_calls_loop);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    static const struct behavior *const used[] = {&spinner, &twoshape, NULL};
    return run_engine_suite("test_eng_watchdog", used, eng_watchdog_suite());
}
