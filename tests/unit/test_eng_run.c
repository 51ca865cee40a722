/*
 * test_eng_run.c - the Check suite of engine/run.c: eng_run's budgets of
 * steps and time, batches of steps per transaction, and a transaction
 * that cannot begin or fails rolled back whole.
 */
#include "engine/engine.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "actord/behavior.h"
#include "tests/unit/engutil.h"

START_TEST(test_run_max_steps)
{
    struct eng *e = open_eng();
    char name[16];
    for (int i = 0; i < 5; i++) {
        snprintf(name, sizeof name, "c%d", i);
        spawn(e, name, "counter", NULL);
    }
    long steps = -1;
    ck_assert_int_eq(eng_run(e, 3, 0, &steps), AD_OK);
    ck_assert_int_eq(steps, 3);
    json_t *out = NULL;
    ck_assert_int_eq(eng_list(e, NULL, "runnable", NULL, 10, &out), AD_OK);
    ck_assert_int_eq(json_array_size(json_object_get(out, "actors")), 2);
    json_decref(out);
    ck_assert_int_eq(eng_list(e, NULL, "waiting", NULL, 10, &out), AD_OK);
    ck_assert_int_eq(json_array_size(json_object_get(out, "actors")), 3);
    json_decref(out);

    ck_assert_int_eq(eng_run(e, 0, 0, &steps), AD_OK);
    ck_assert_int_eq(steps, 2);
    ck_assert_int_eq(eng_list(e, NULL, "waiting", NULL, 10, &out), AD_OK);
    ck_assert_int_eq(json_array_size(json_object_get(out, "actors")), 5);
    json_decref(out);

    /* Nothing runnable: no steps, and steps may be NULL. */
    ck_assert_int_eq(eng_run(e, 0, 0, &steps), AD_OK);
    ck_assert_int_eq(steps, 0);
    ck_assert_int_eq(eng_run(e, 1, 0, NULL), AD_OK);

    /* One step at a time through a counter's mail. */
    send(e, "c0", "{\"add\": 1}");
    send(e, "c0", "{\"add\": 1}");
    ck_assert_int_eq(eng_run(e, 1, 0, &steps), AD_OK);
    ck_assert_int_eq(steps, 1);
    assert_actor(e, "c0", "state", "{\"count\": 1}");
    assert_status(e, "c0", "runnable");
    ck_assert_int_eq(eng_run(e, 1, 0, &steps), AD_OK);
    assert_actor(e, "c0", "state", "{\"count\": 2}");
    assert_status(e, "c0", "waiting");
    close_eng(e);
}
END_TEST

START_TEST(test_run_max_ms)
{
    /*
     * max_ms is honoured between the steps of one transaction too (it
     * once was only checked between transactions): with a huge batch,
     * eng_run(max_ms = 1) must still stop long before the ~6000 steps of
     * a 3000-ring, after at least one step.
     */
    struct eng_opts o = {
        .busy_timeout_ms = 50, .batch_steps = 1000000, .batch_ms = 600000};
    struct eng *e = open_eng_opts(&o);
    spawn(e, "r", "ring", "{\"n\": 3000, \"message\": 1}");
    long steps = -1;
    ck_assert_int_eq(eng_run(e, 0, 1, &steps), AD_OK);
    ck_assert_int_ge(steps, 1);
    ck_assert_msg(steps < 6002, "eng_run(max_ms = 1) ran all %ld steps", steps);
    assert_status(e, "r", "waiting");
    /* The rest runs on a later call. */
    run(e);
    assert_status(e, "r", "exited");
    close_eng(e);
}
END_TEST

START_TEST(test_ring_small_batches)
{
    /* One step per transaction gives the same outcome. */
    struct eng_opts o = {.busy_timeout_ms = 50, .batch_steps = 1};
    struct eng *e = open_eng_opts(&o);
    spawn(e, "r", "ring", "{\"n\": 10, \"message\": null}");
    long steps = 0;
    ck_assert_int_eq(eng_run(e, 0, 0, &steps), AD_OK);
    ck_assert_int_ge(steps, 22);
    json_t *doc = get_doc(e, "r");
    assert_field(doc, "status", "\"exited\"");
    assert_field(doc, "result", "null");
    json_decref(doc);
    close_eng(e);
}
END_TEST

START_TEST(test_atomic_busy)
{
    struct eng *e = open_eng();
    spawn(e, "t", "collector", NULL);
    spawn(e, "p", "puppet", NULL);
    run(e);
    send(e, "p", "{\"op\": \"send\", \"to\": \"t\", \"msg\": \"x\"}");

    sqlite3 *raw = raw_open(db.path);
    raw_exec(raw, "BEGIN IMMEDIATE");
    long steps = -1;
    ck_assert_int_eq(eng_run(e, 0, 0, &steps), AD_EBUSY);
    ck_assert_int_eq(puppet_calls, 1);
    raw_exec(raw, "ROLLBACK");

    assert_mailbox(e, "p",
                   "[{\"op\": \"send\", \"to\": \"t\", "
                   "\"msg\": \"x\"}]");
    assert_mailbox(e, "t", "[]");
    assert_status(e, "p", "runnable");
    /* While the lock is held, spawn and send fail too, and store
     * nothing. */
    raw_exec(raw, "BEGIN IMMEDIATE");
    ck_assert_int_eq(send_err(e, "t", "1", NULL), AD_EBUSY);
    ck_assert_int_eq(spawn_err(e, "n", "collector", NULL, NULL), AD_EBUSY);
    raw_exec(raw, "ROLLBACK");
    sqlite3_close(raw);
    json_t *none = NULL;
    ck_assert_int_eq(eng_get(e, "n", &none), AD_ENOTFOUND);

    run(e);
    assert_mailbox(e, "p", "[]");
    assert_actor(e, "t", "state", "{\"messages\": [\"x\"]}");
    close_eng(e);
}
END_TEST

START_TEST(test_atomic_rollback)
{
    /* One transaction for the whole run, however slow the machine (under
     * valgrind a 50 ms batch would commit the early steps). */
    struct eng_opts o = {.busy_timeout_ms = 50, .batch_ms = 600000};
    struct eng *e = open_eng_opts(&o);
    spawn(e, "t", "collector", NULL);
    spawn(e, "p1", "puppet", NULL);
    spawn(e, "p2", "puppet", NULL);
    run(e);
    ck_assert_int_eq(puppet_calls, 2);
    send(e, "p1", "{\"op\": \"send\", \"to\": \"t\", \"msg\": \"ok\"}");
    send(e, "p2", "{\"op\": \"spawn\", \"behavior\": \"collector\"}");
    send(e, "p2", "{\"op\": \"send\", \"to\": \"t\", \"msg\": \"boom\"}");

    /* Every save of a state saying boom fails: p1 sends ok, p2 spawns,
     * t takes ok, p2 sends boom, then t's step that takes it fails at
     * the store, all in one transaction.  (A message sent and taken in
     * one transaction is never inserted: a trigger on messages would
     * not see boom.) */
    raw_sql("CREATE TRIGGER boom BEFORE UPDATE ON actors "
            "WHEN NEW.state LIKE '%boom%' "
            "BEGIN SELECT RAISE(ABORT, 'injected'); END");
    long steps = -1;
    int err = eng_run(e, 0, 0, &steps);
    ck_assert_int_ne(err, AD_OK);
    ck_assert_int_eq(puppet_calls, 5); /* p1 once, p2 twice: all undone */

    /* Nothing of any step is visible. */
    sqlite3 *raw = raw_open(db.path);
    ck_assert_int_eq(raw_int(raw, "SELECT count(*) FROM mailbox "
                                  "WHERE actor = 't'"),
                     0);
    ck_assert_int_eq(raw_int(raw, "SELECT count(*) FROM mailbox "
                                  "WHERE actor = 'p1'"),
                     1);
    ck_assert_int_eq(raw_int(raw, "SELECT count(*) FROM mailbox "
                                  "WHERE actor = 'p2'"),
                     2);
    ck_assert_int_eq(raw_int(raw, "SELECT count(*) FROM actors "
                                  "WHERE name = 'p2.1'"),
                     0);
    ck_assert_int_eq(raw_int(raw, "SELECT spawned FROM actors "
                                  "WHERE name = 'p2'"),
                     0);
    ck_assert_int_eq(raw_int(raw, "SELECT count(*) FROM actors "
                                  "WHERE status = 'runnable'"),
                     2);
    sqlite3_close(raw);
    assert_actor(e, "p1", "state", "{}");
    assert_actor(e, "p2", "state", "{}");
    assert_actor(e, "t", "state", "{\"messages\": []}");
    assert_status(e, "t", "waiting");

    /* With the fault gone the same steps run, once each. */
    raw_sql("DROP TRIGGER boom");
    run(e);
    assert_actor(e, "t", "state", "{\"messages\": [\"ok\", \"boom\"]}");
    assert_actor(e, "p1", "state", "{\"send_rc\": 0}");
    assert_actor(e, "p2", "state",
                 "{\"send_rc\": 0, \"spawned\": [{\"$address\": \"p2.1\"}]}");
    assert_mailbox(e, "p1", "[]");
    assert_mailbox(e, "p2", "[]");
    assert_status(e, "p2.1", "waiting");
    ck_assert_int_eq(puppet_calls, 8);
    close_eng(e);
}
END_TEST

static Suite *
eng_run_suite(void)
{
    Suite *s = suite_create("eng_run");
    TCase *tc;

    tc = tcase("budgets");
    tcase_add_test(tc, test_run_max_steps);
    tcase_add_test(tc, test_run_max_ms);
    suite_add_tcase(s, tc);

    tc = tcase("batching");
    tcase_add_test(tc, test_ring_small_batches);
    suite_add_tcase(s, tc);

    tc = tcase("atomicity");
    tcase_add_test(tc, test_atomic_busy);
    tcase_add_test(tc, test_atomic_rollback);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    static const struct behavior *const used[] = {&puppet, NULL};
    return run_engine_suite("test_eng_run", used, eng_run_suite());
}
