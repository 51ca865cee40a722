/*
 * test_eng_run.c - the Check suite of engine/run.c: eng_run's budgets of
 * steps and time, batches of steps per transaction, a transaction that
 * cannot begin or fails rolled back whole, and the messages a
 * transaction holds in memory (store/held.c): never written when taken
 * within it, never lost or applied twice when the process is killed
 * with kill -9 in the middle of it.
 */
#include "engine/engine.h"

#include <check.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

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

/* ---- held messages ---- */

/* Where relay writes a byte per step, or -1. */
static int relay_fd = -1;

/*
 * relay: args {"to": ADDRESS}.  Each {"hop": K, "end": N} it receives
 * is counted in state.seen and passed on as hop K + 1 until N; the one
 * that reaches N is kept in state.final.  Writes a byte to relay_fd (when
 * set) per message, so a test can tell how far a run has gone.
 */
static enum actor_step
relay_step(struct actor *a)
{
    json_t *st = actor_state(a);
    ACTOR_BEGIN(a);
    for (;;) {
        ACTOR_RECEIVE(
            a, 1,
            json_pack("[{s:s, s:s}]", "hop", "$integer", "end", "$integer"));
        const json_t *m = actor_message(a);
        json_int_t hop = json_integer_value(json_object_get(m, "hop"));
        json_int_t end = json_integer_value(json_object_get(m, "end"));
        json_int_t seen = json_integer_value(json_object_get(st, "seen"));
        json_object_set_new(st, "seen", json_integer(seen + 1));
        if (relay_fd >= 0 && write(relay_fd, "x", 1) != 1)
            return actor_fail(a, "the test's pipe is gone");
        if (hop + 1 < end)
            actor_send(a, json_object_get(actor_args(a), "to"),
                       json_pack("{s:I, s:I}", "hop", hop + 1, "end", end));
        else
            json_object_set_new(st, "final", json_integer(hop + 1));
    }
    ACTOR_END(a);
}

static const struct behavior relay = {
    .name = "relay",
    .version = 1,
    .doc = "test: passes a counted message on",
    .step = relay_step,
};

/* Spawns relays r0 .. r(n-1) in a cycle and runs them to their receive. */
static void
spawn_relays(struct eng *e, int n)
{
    char name[16], args[64];
    for (int i = 0; i < n; i++) {
        snprintf(name, sizeof name, "r%d", i);
        snprintf(args, sizeof args, "{\"to\": {\"$address\": \"r%d\"}}",
                 (i + 1) % n);
        spawn(e, name, "relay", args);
    }
    run(e);
}

START_TEST(test_held_taken_not_written)
{
    /* One transaction for the whole run: a message passed 200 times
     * among 10 relays is inserted never, and the seqs it was given are
     * never given again, so a relay whose scanned names the last of them
     * still gets what is sent next. */
    struct eng_opts o = {.busy_timeout_ms = 50, .batch_ms = 600000};
    struct eng *e = open_eng_opts(&o);
    spawn_relays(e, 10);
    raw_sql("CREATE TABLE ins (body TEXT); "
            "CREATE TRIGGER log_ins AFTER INSERT ON messages "
            "BEGIN INSERT INTO ins VALUES (NEW.body); END");
    int64_t seq0 = 0;
    ck_assert_int_eq(send_err(e, "r0", "{\"hop\": 0, \"end\": 200}", &seq0),
                     AD_OK);
    ck_assert_int_eq(run(e), 200);
    sqlite3 *raw = raw_open(db.path);
    ck_assert_int_eq(raw_int(raw, "SELECT count(*) FROM ins"), 1); /* sent */
    ck_assert_int_eq(raw_int(raw, "SELECT count(*) FROM messages"), 0);
    ck_assert_int_eq(raw_int(raw, "SELECT sum(mailbox) FROM actors"), 0);
    /* 199 messages were passed on, with seqs after seq0. */
    ck_assert_int_eq(raw_int(raw, "SELECT seq FROM sqlite_sequence "
                                  "WHERE name = 'messages'"),
                     seq0 + 199);
    ck_assert_int_eq(raw_int(raw, "SELECT scanned FROM actors "
                                  "WHERE name = 'r9'"),
                     seq0 + 199);
    sqlite3_close(raw);
    assert_actor(e, "r9", "state", "{\"seen\": 20, \"final\": 200}");
    assert_actor(e, "r0", "state", "{\"seen\": 20}");

    int64_t seq1 = 0;
    ck_assert_int_eq(send_err(e, "r9", "{\"hop\": 7, \"end\": 8}", &seq1),
                     AD_OK);
    ck_assert_int_eq(seq1, seq0 + 200);
    ck_assert_int_eq(run(e), 1);
    assert_actor(e, "r9", "state", "{\"seen\": 21, \"final\": 8}");
    assert_mailbox_counts();
    close_eng(e);
}
END_TEST

START_TEST(test_held_insert_fails_at_commit)
{
    /* What is still held when the transaction commits is inserted then:
     * should that fail, the whole transaction is rolled back, the steps
     * that sent it included, and runs again once it can. */
    struct eng_opts o = {.busy_timeout_ms = 50, .batch_ms = 600000};
    struct eng *e = open_eng_opts(&o);
    spawn(e, "t", "collector", NULL);
    spawn(e, "p", "puppet", NULL);
    run(e);
    send(e, "p", "{\"op\": \"send\", \"to\": \"t\", \"msg\": \"boom\"}");
    raw_sql("CREATE TRIGGER boom BEFORE INSERT ON messages "
            "WHEN NEW.body LIKE '%boom%' "
            "BEGIN SELECT RAISE(ABORT, 'injected'); END");
    /* One step: p sends boom, held, then the commit must write it. */
    long steps = -1;
    ck_assert_int_ne(eng_run(e, 1, 0, &steps), AD_OK);
    ck_assert_int_eq(steps, 0);
    assert_actor(e, "p", "state", "{}");
    assert_mailbox(e, "p",
                   "[{\"op\": \"send\", \"to\": \"t\", "
                   "\"msg\": \"boom\"}]");
    assert_mailbox(e, "t", "[]");
    assert_status(e, "t", "waiting");
    assert_mailbox_counts();
    raw_sql("DROP TRIGGER boom");
    ck_assert_int_eq(run(e), 2);
    assert_actor(e, "t", "state", "{\"messages\": [\"boom\"]}");
    assert_actor(e, "p", "state", "{\"send_rc\": 0}");
    close_eng(e);
}
END_TEST

START_TEST(test_held_kill9)
{
    /* A child process runs 10,000 steps of relays in one transaction,
     * every message held in memory, and is killed with SIGKILL once it
     * has run 1,000 of them.  Nothing of that transaction may be seen
     * after it; run again, the message goes round exactly once. */
    struct eng_opts o = {
        .busy_timeout_ms = 5000, .batch_ms = 600000, .batch_steps = 1000000};
    struct eng *e = open_eng_opts(&o);
    spawn_relays(e, 50);
    int64_t seq0 = 0;
    ck_assert_int_eq(send_err(e, "r0", "{\"hop\": 0, \"end\": 10000}", &seq0),
                     AD_OK);
    close_eng(e);

    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        close(fds[0]);
        relay_fd = fds[1];
        struct eng *ce = NULL;
        if (eng_open(db.path, &o, &ce) != AD_OK)
            _exit(2);
        eng_run(ce, 0, 0, NULL);
        _exit(3); /* not reached when the kill came in time */
    }
    close(fds[1]);
    char buf[256];
    long got = 0;
    while (got < 1000) {
        ssize_t n = read(fds[0], buf, sizeof buf);
        ck_assert_int_gt(n, 0); /* the child is still running */
        got += n;
    }
    ck_assert_int_eq(kill(pid, SIGKILL), 0);
    int status = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    close(fds[0]);

    /* All as it was before the child ran. */
    sqlite3 *raw = raw_open(db.path);
    char ok[16];
    raw_text(raw, "PRAGMA integrity_check", ok, sizeof ok);
    ck_assert_str_eq(ok, "ok");
    ck_assert_int_eq(raw_int(raw, "SELECT count(*) FROM messages"), 1);
    ck_assert_int_eq(raw_int(raw, "SELECT seq FROM messages"), seq0);
    ck_assert_int_eq(raw_int(raw, "SELECT seq FROM sqlite_sequence "
                                  "WHERE name = 'messages'"),
                     seq0);
    ck_assert_int_eq(raw_int(raw, "SELECT count(*) FROM actors WHERE "
                                  "state != '{}'"),
                     0);
    sqlite3_close(raw);

    e = open_eng_opts(&o);
    ck_assert_int_eq(run(e), 10000);
    char name[16];
    for (int i = 0; i < 50; i++) {
        snprintf(name, sizeof name, "r%d", i);
        assert_actor(e, name, "state",
                     i == 49 ? "{\"seen\": 200, \"final\": 10000}"
                             : "{\"seen\": 200}");
    }
    assert_mailbox_counts();
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

    tc = tcase("held");
    tcase_add_test(tc, test_held_taken_not_written);
    tcase_add_test(tc, test_held_insert_fails_at_commit);
    tcase_add_test(tc, test_held_kill9);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    static const struct behavior *const used[] = {&puppet, &relay, NULL};
    return run_engine_suite("test_eng_run", used, eng_run_suite());
}
