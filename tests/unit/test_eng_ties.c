/*
 * test_eng_ties.c - the Check suite of engine/ties.c: monitors, links,
 * trap_exit, how an actor's end is told, eng_kill and actor_kill.
 */
#include "engine/engine.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "actord/behavior.h"
#include "tests/unit/engutil.h"

#define KILLED_AT(name)                                                        \
    "{\"exception\": {\"error\": \"killed\", \"message\": "                    \
    "\"the actor was killed\"}, \"address\": {\"$address\": \"" name "\"}}"

START_TEST(test_get_kill)
{
    struct eng *e = open_eng();
    json_t *doc = NULL;
    ck_assert_int_eq(eng_get(e, "nobody", &doc), AD_ENOTFOUND);
    ck_assert_int_eq(eng_kill(e, "nobody", &doc), AD_ENOTFOUND);
    ck_assert_ptr_null(doc);

    spawn(e, "c", "counter", NULL);
    run(e);
    ck_assert_int_eq(eng_kill(e, "c", &doc), AD_OK);
    assert_field(doc, "status", "\"killed\"");
    assert_field(doc, "waiting_for", "null");
    assert_field(doc, "state", "{\"count\": 0}");
    ck_assert_int_eq(eng_doc_ended(doc), 1);
    json_decref(doc);
    doc = NULL;
    assert_status(e, "c", "killed");

    ck_assert_int_eq(eng_kill(e, "c", &doc), AD_EDEAD);
    ck_assert_ptr_null(doc);
    ck_assert_int_eq(send_err(e, "c", "{\"add\": 1}", NULL), AD_EDEAD);
    assert_actor(e, "c", "mailbox", "0");

    /* A killed runnable actor is never run. */
    spawn(e, "r", "counter", NULL);
    ck_assert_int_eq(eng_kill(e, "r", &doc), AD_OK);
    json_decref(doc);
    ck_assert_int_eq(run(e), 0);
    assert_actor(e, "r", "state", "{}");

    /* Exited and failed actors are dead to kill and send alike. */
    spawn(e, "p", "puppet", NULL);
    run(e);
    send(e, "p", "{\"op\": \"exit\", \"result\": [1]}");
    run(e);
    doc = NULL;
    ck_assert_int_eq(eng_kill(e, "p", &doc), AD_EDEAD);
    ck_assert_int_eq(send_err(e, "p", "1", NULL), AD_EDEAD);
    doc = get_doc(e, "p");
    assert_field(doc, "status", "\"exited\"");
    assert_field(doc, "result", "[1]");
    ck_assert_int_eq(eng_doc_ended(doc), 1);
    json_decref(doc);
    close_eng(e);
}
END_TEST

START_TEST(test_end_ties_of_the_same_step)
{
    /* What the ending step itself did is cleaned up with it: the mail it
     * sent itself is a dead letter, its timer is gone. */
    struct eng *e = open_eng();
    spawn(e, "p", "puppet", NULL);
    run(e);
    send(e, "p", "{\"op\": \"selfexit\"}");
    run(e);
    assert_status(e, "p", "exited");
    assert_dead(e, "[[\"p\", \"p\", \"unread at exit\", \"to myself\"]]");
    ck_assert_int_eq(count_timers(), 0);
    assert_mailbox_counts();
    close_eng(e);
}
END_TEST

START_TEST(test_monitor_exit)
{
    struct eng *e = open_eng();
    spawn(e, "w", "watcher",
          "{\"spawn\": \"forwarder\", \"child_args\": "
          "{\"to\": \"nobody\", \"once\": true}}");
    run(e);
    assert_status(e, "w", "waiting");
    assert_actor(e, "w", "state", "{\"child\": {\"$address\": \"w.1\"}}");
    send(e, "w.1", "\"bye\"");
    run(e);
    assert_status(e, "w.1", "exited");
    assert_actor(e, "w", "result",
                 "{\"exit\": \"bye\", \"address\": {\"$address\": \"w.1\"}}");
    close_eng(e);
}
END_TEST

START_TEST(test_monitor_kill_and_fail)
{
    struct eng *e = open_eng();
    spawn(e, "k", "counter", NULL);
    spawn(e, "w", "watcher", "{\"target\": \"k\"}");
    spawn(e, "p", "puppet", NULL);
    spawn(e, "w2", "watcher", "{\"target\": {\"$address\": \"p\"}}");
    run(e);
    json_t *doc = NULL;
    ck_assert_int_eq(eng_kill(e, "k", &doc), AD_OK);
    json_decref(doc);
    run(e);
    assert_actor(e, "w", "result",
                 "{\"exception\": {\"error\": \"killed\", \"message\": "
                 "\"the actor was killed\"}, \"address\": "
                 "{\"$address\": \"k\"}}");
    send(e, "p", "{\"op\": \"fail\", \"why\": \"because\"}");
    run(e);
    assert_status(e, "p", "failed");
    assert_actor(e, "w2", "result",
                 "{\"exception\": {\"message\": \"told to fail: because\"}, "
                 "\"address\": {\"$address\": \"p\"}}");
    /* The watches are gone once told: nothing is left in the table. */
    sqlite3 *raw = raw_open(db.path);
    ck_assert_int_eq(raw_int(raw, "SELECT count(*) FROM monitors"), 0);
    sqlite3_close(raw);
    close_eng(e);
}
END_TEST

START_TEST(test_monitor_ended_and_unknown)
{
    struct eng *e = open_eng();
    spawn(e, "f", "forwarder", "{\"to\": \"nobody\", \"once\": true}");
    send(e, "f", "7");
    run(e);
    assert_status(e, "f", "exited");
    /* Watching an ended actor: told at once. */
    spawn(e, "w", "watcher", "{\"target\": \"f\"}");
    spawn(e, "w2", "watcher", "{\"target\": \"ghost\"}");
    run(e);
    assert_actor(e, "w", "result",
                 "{\"exit\": 7, \"address\": {\"$address\": \"f\"}}");
    assert_actor(e, "w2", "result",
                 "{\"exception\": {\"error\": \"no_such_actor\", "
                 "\"message\": \"no such actor\"}, \"address\": "
                 "{\"$address\": \"ghost\"}}");
    /* A watcher that ended before its target: the notice is a dead
     * letter. */
    spawn(e, "t", "counter", NULL);
    spawn(e, "w3", "watcher", "{\"target\": \"t\"}");
    run(e);
    json_t *doc = NULL;
    ck_assert_int_eq(eng_kill(e, "w3", &doc), AD_OK);
    json_decref(doc);
    ck_assert_int_eq(eng_kill(e, "t", &doc), AD_OK);
    json_decref(doc);
    json_t *out = NULL;
    ck_assert_int_eq(eng_dead_letters(e, 0, 10, &out), AD_OK);
    json_t *list = json_object_get(out, "dead_letters");
    json_t *last = json_array_get(list, json_array_size(list) - 1);
    ck_assert_str_eq(json_string_value(json_object_get(last, "to")), "w3");
    ck_assert_str_eq(json_string_value(json_object_get(last, "from")), "t");
    json_decref(out);
    close_eng(e);
}
END_TEST

/* A failure propagates along a chain of links and stops at the actor that
 * traps exits, which gets the notice as a message. */
START_TEST(test_link_chain)
{
    struct eng *e = open_eng();
    spawn(e, "c", "counter", NULL);
    spawn(e, "l1", "linker", "{\"link\": \"c\"}");
    run(e);
    spawn(e, "l2", "linker", "{\"link\": \"l1\"}");
    run(e);
    spawn(e, "l3", "linker", "{\"link\": \"l2\", \"trap\": true}");
    run(e);
    sqlite3 *raw = raw_open(db.path);
    ck_assert_int_eq(raw_int(raw, "SELECT count(*) FROM link_list"), 6);
    sqlite3_close(raw);
    json_t *doc = NULL;
    ck_assert_int_eq(eng_kill(e, "c", &doc), AD_OK);
    json_decref(doc);
    assert_status(e, "l1", "killed");
    assert_status(e, "l2", "killed");
    run(e);
    assert_status(e, "l3", "exited");
    assert_actor(e, "l3", "result", KILLED_AT("l2"));
    raw = raw_open(db.path);
    ck_assert_int_eq(raw_int(raw, "SELECT count(*) FROM links"), 0);
    sqlite3_close(raw);
    close_eng(e);
}
END_TEST

/* A normal exit is told to linked actors and kills nobody. */
START_TEST(test_link_normal_exit)
{
    struct eng *e = open_eng();
    spawn(e, "f", "forwarder", "{\"to\": \"nobody\", \"once\": true}");
    spawn(e, "l", "linker", "{\"link\": \"f\"}");
    run(e);
    send(e, "f", "\"done\"");
    run(e);
    assert_status(e, "f", "exited");
    assert_actor(e, "l", "result",
                 "{\"exit\": \"done\", \"address\": {\"$address\": \"f\"}}");
    /* A failing puppet kills its non-trapping linker. */
    spawn(e, "p", "puppet", NULL);
    run(e);
    spawn(e, "l2", "linker", "{\"link\": \"p\"}");
    run(e);
    send(e, "p", "{\"op\": \"fail\", \"why\": \"x\"}");
    run(e);
    assert_status(e, "p", "failed");
    assert_status(e, "l2", "killed");
    close_eng(e);
}
END_TEST

/* Linking to an unknown actor kills a non-trapping linker at once and
 * tells a trapping one; actor_kill from a behaviour kills its target and
 * what is linked to it, itself included. */
START_TEST(test_link_ended_and_kill)
{
    struct eng *e = open_eng();
    spawn(e, "l", "linker", "{\"link\": \"ghost\"}");
    spawn(e, "t", "linker", "{\"link\": \"ghost\", \"trap\": true}");
    run(e);
    assert_status(e, "l", "killed");
    assert_actor(e, "t", "result",
                 "{\"exception\": {\"error\": \"no_such_actor\", "
                 "\"message\": \"no such actor\"}, \"address\": "
                 "{\"$address\": \"ghost\"}}");
    spawn(e, "v", "counter", NULL);
    spawn(e, "k", "linker", "{\"kill\": \"v\"}");
    run(e);
    assert_status(e, "v", "killed");
    assert_status(e, "k", "waiting");
    /* k links to v2 and kills it: the link brings k down in the same
     * step. */
    spawn(e, "v2", "counter", NULL);
    spawn(e, "k2", "linker", "{\"link\": \"v2\", \"kill\": \"v2\"}");
    run(e);
    assert_status(e, "v2", "killed");
    assert_status(e, "k2", "killed");
    assert_actor(e, "k2", "error",
                 "{\"error\": \"killed\", \"message\": "
                 "\"the actor was killed\"}");
    close_eng(e);
}
END_TEST

/* A trapping linker is told of a failure as a message, with the error;
 * one that exits normally tells its links and kills nobody. */
START_TEST(test_link_trap_failure)
{
    struct eng *e = open_eng();
    spawn(e, "p", "puppet", NULL);
    run(e);
    spawn(e, "t", "linker", "{\"link\": \"p\", \"trap\": true}");
    spawn(e, "n", "linker", "{\"link\": {\"$address\": \"p\"}}");
    run(e);
    send(e, "p", "{\"op\": \"fail\", \"why\": \"boom\"}");
    run(e);
    assert_status(e, "p", "failed");
    assert_status(e, "t", "exited");
    assert_actor(e, "t", "result",
                 "{\"exception\": {\"message\": \"told to fail: boom\"}, "
                 "\"address\": {\"$address\": \"p\"}}");
    assert_status(e, "n", "killed");
    assert_actor(e, "n", "error",
                 "{\"error\": \"killed\", \"message\": "
                 "\"the actor was killed\"}");
    close_eng(e);
}
END_TEST

/* eng_kill from outside: the unread mail is buried, watchers are told,
 * a non-trapping linked actor dies too, and the link table is left
 * empty. */
START_TEST(test_kill_tells_everyone)
{
    struct eng *e = open_eng();
    spawn(e, "v", "selective", NULL);
    spawn(e, "w", "watcher", "{\"target\": \"v\"}");
    spawn(e, "l", "linker", "{\"link\": \"v\"}");
    run(e);
    send(e, "v", "{\"a\": \"unread\"}");
    json_t *doc = NULL;
    ck_assert_int_eq(eng_kill(e, "v", &doc), AD_OK);
    assert_field(doc, "status", "\"killed\"");
    assert_field(doc, "mailbox", "0");
    json_decref(doc);
    assert_status(e, "l", "killed");
    run(e);
    assert_actor(e, "w", "result", KILLED_AT("v"));
    assert_dead(e, "[[null, \"v\", \"unread at kill\", {\"a\": \"unread\"}]]");
    sqlite3 *raw = raw_open(db.path);
    ck_assert_int_eq(raw_int(raw, "SELECT count(*) FROM links"), 0);
    ck_assert_int_eq(raw_int(raw, "SELECT count(*) FROM monitors"), 0);
    sqlite3_close(raw);
    assert_mailbox_counts();
    close_eng(e);
}
END_TEST

/* ---- terminate handlers ---- */

/*
 * mourner: counts {"add": N} into state.count; when killed, its
 * terminate handler notes the reason in state.terminated and sends
 * {"bye": COUNT, "from": NAME} to args.to, and 0 to "nobody" (state.rc
 * is what that send answered).
 */
static enum actor_step
mourner_step(struct actor *a)
{
    json_t *st = actor_state(a);
    ACTOR_BEGIN(a);
    json_object_set_new(st, "count", json_integer(0));
    for (;;) {
        ACTOR_RECEIVE(a, 1, json_pack("[{s:s}]", "add", "$integer"));
        json_object_set_new(
            st, "count",
            json_integer(
                json_integer_value(json_object_get(st, "count")) +
                json_integer_value(json_object_get(actor_message(a), "add"))));
    }
    ACTOR_END(a);
}

static void
mourner_terminate(struct actor *a, const json_t *reason)
{
    json_t *st = actor_state(a);
    json_object_set(st, "terminated", json_object_get(reason, "error"));
    actor_send(a, json_object_get(actor_args(a), "to"),
               json_pack("{s:O, s:s}", "bye", json_object_get(st, "count"),
                         "from", actor_name(a)));
    json_t *nobody = json_string("nobody"); /* to is borrowed */
    int rc = actor_send(a, nobody, json_integer(0));
    json_decref(nobody);
    json_object_set_new(st, "rc", json_integer(rc));
    /* What a terminate cannot do: spawn, or come back to life. */
    json_t *child = actor_spawn(a, "collector", NULL);
    json_object_set_new(st, "spawned", json_boolean(child != NULL));
    json_decref(child);
    actor_receive(a, 9, json_pack("[s]", "$any"));
}

static const struct behavior mourner = {
    .name = "mourner",
    .version = 1,
    .doc = "test: says goodbye when killed",
    .step = mourner_step,
    .terminate = mourner_terminate,
};

/* stubborn: a terminate handler that never returns. */
static void
stubborn_terminate(struct actor *a, const json_t *reason)
{
    (void)reason;
    actor_send(a, json_object_get(actor_args(a), "to"), json_string("no"));
    for (volatile unsigned long i = 0;; i++)
        ;
}

static const struct behavior stubborn = {
    .name = "stubborn",
    .version = 1,
    .doc = "test: a terminate handler that loops",
    .step = mourner_step,
    .terminate = stubborn_terminate,
};

/* quitter: a terminate handler that sends, changes its state, then fails:
 * none of it stands. */
static void
quitter_terminate(struct actor *a, const json_t *reason)
{
    (void)reason;
    actor_send(a, json_object_get(actor_args(a), "to"), json_string("no"));
    json_object_set_new(actor_state(a), "quit", json_true());
    actor_fail(a, "changed my mind");
}

static const struct behavior quitter = {
    .name = "quitter",
    .version = 1,
    .doc = "test: a terminate handler that fails",
    .step = mourner_step,
    .terminate = quitter_terminate,
};

#define BYE(n, name)                                                           \
    "{\"messages\": [{\"bye\": " #n ", \"from\": \"" name "\"}]}"

START_TEST(test_terminate_on_delete)
{
    struct eng *e = open_eng();
    spawn(e, "col", "collector", NULL);
    spawn(e, "m", "mourner", "{\"to\": {\"$address\": \"col\"}}");
    run(e);
    send(e, "m", "{\"add\": 5}");
    run(e);
    json_t *doc = NULL;
    ck_assert_int_eq(eng_kill(e, "m", &doc), AD_OK);
    /* The document answered is the final one: terminate's state. */
    assert_field(doc, "status", "\"killed\"");
    assert_field(doc, "state",
                 "{\"count\": 5, \"terminated\": \"killed\", \"rc\": 2, "
                 "\"spawned\": false}");
    json_decref(doc);
    run(e);
    assert_actor(e, "col", "state", BYE(5, "m"));
    assert_dead(e, "[[\"m\", \"nobody\", \"no such actor\", 0]]");
    close_eng(e);
}
END_TEST

START_TEST(test_terminate_on_kill_from_a_step)
{
    struct eng *e = open_eng();
    spawn(e, "col", "collector", NULL);
    spawn(e, "m", "mourner", "{\"to\": \"col\"}");
    run(e);
    spawn(e, "k", "linker", "{\"kill\": \"m\"}");
    run(e);
    assert_status(e, "m", "killed");
    assert_actor(e, "col", "state", BYE(0, "m"));
    close_eng(e);
}
END_TEST

START_TEST(test_terminate_on_linked_failure)
{
    struct eng *e = open_eng();
    spawn(e, "col", "collector", NULL);
    spawn(e, "m", "mourner", "{\"to\": \"col\"}");
    spawn(e, "l", "linker", "{\"link\": \"m\"}");
    run(e);
    send(e, "m", "{\"add\": 2}");
    run(e);
    json_t *doc = NULL;
    ck_assert_int_eq(eng_kill(e, "l", &doc), AD_OK);
    json_decref(doc);
    assert_status(e, "m", "killed");
    run(e);
    assert_actor(e, "col", "state", BYE(2, "m"));
    close_eng(e);
}
END_TEST

START_TEST(test_terminate_that_fails)
{
    struct eng *e = open_eng();
    spawn(e, "col", "collector", NULL);
    spawn(e, "q", "quitter", "{\"to\": \"col\"}");
    run(e);
    json_t *doc = NULL;
    ck_assert_int_eq(eng_kill(e, "q", &doc), AD_OK);
    assert_field(doc, "status", "\"killed\"");
    assert_field(doc, "state", "{\"count\": 0}");
    json_decref(doc);
    run(e);
    assert_actor(e, "col", "state", "{\"messages\": []}");
    close_eng(e);
}
END_TEST

START_TEST(test_terminate_cut_off)
{
    struct eng_opts o = {.busy_timeout_ms = 50, .step_limit_ms = 50};
    struct eng *e = open_eng_opts(&o);
    spawn(e, "col", "collector", NULL);
    spawn(e, "s", "stubborn", "{\"to\": \"col\"}");
    run(e);
    json_t *doc = NULL;
    /* Cut off: it sends nothing, and the kill stands. */
    ck_assert_int_eq(eng_kill(e, "s", &doc), AD_OK);
    assert_field(doc, "status", "\"killed\"");
    assert_field(doc, "state", "{\"count\": 0}");
    json_decref(doc);
    run(e);
    assert_actor(e, "col", "state", "{\"messages\": []}");
    assert_mailbox_counts();
    close_eng(e);
}
END_TEST

static Suite *
eng_ties_suite(void)
{
    Suite *s = suite_create("eng_ties");
    TCase *tc;

    tc = tcase("kill");
    tcase_add_test(tc, test_get_kill);
    tcase_add_test(tc, test_kill_tells_everyone);
    tcase_add_test(tc, test_end_ties_of_the_same_step);
    suite_add_tcase(s, tc);

    tc = tcase("monitors");
    tcase_add_test(tc, test_monitor_exit);
    tcase_add_test(tc, test_monitor_kill_and_fail);
    tcase_add_test(tc, test_monitor_ended_and_unknown);
    suite_add_tcase(s, tc);

    tc = tcase("links");
    tcase_add_test(tc, test_link_chain);
    tcase_add_test(tc, test_link_normal_exit);
    tcase_add_test(tc, test_link_ended_and_kill);
    tcase_add_test(tc, test_link_trap_failure);
    suite_add_tcase(s, tc);

    tc = tcase("terminate");
    tcase_add_test(tc, test_terminate_on_delete);
    tcase_add_test(tc, test_terminate_on_kill_from_a_step);
    tcase_add_test(tc, test_terminate_on_linked_failure);
    tcase_add_test(tc, test_terminate_that_fails);
    tcase_add_test(tc, test_terminate_cut_off);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    static const struct behavior *const used[] = {
        &puppet,  &watcher,  &linker,  &selective,
        &mourner, &stubborn, &quitter, NULL};
    return run_engine_suite("test_eng_ties", used, eng_ties_suite());
}
