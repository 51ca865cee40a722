/*
 * test_eng_step.c - the Check suite of engine/step.c: receives with
 * several shapes and selective receive, state kept on disk, failures and
 * receives gone wrong, stranded actors, and steps undone for going over
 * a limit (message_too_large, state_too_large), and the step's
 * shortcuts: self-sends, reading ahead, messages made in one batch.
 */
#include "engine/engine.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "actord/behavior.h"
#include "tests/unit/engutil.h"

START_TEST(test_user_two_shapes)
{
    struct eng *e = open_eng();
    spawn(e, "t", "twoshape", NULL);
    send(e, "t", "{\"inc\": 5}");
    send(e, "t", "{\"dec\": 2}");
    send(e, "t", "{\"neither\": 1}");
    send(e, "t", "{\"inc\": 1, \"dec\": 100}");
    run(e);
    json_t *doc = get_doc(e, "t");
    /* The shapes are tried in order: inc wins over dec. */
    assert_field(doc, "state", "{\"total\": 4, \"matched\": [0, 1, 0]}");
    assert_field(doc, "waiting_for",
                 "[{\"inc\": \"$integer\"}, {\"dec\": \"$integer\"}]");
    assert_field(doc, "status", "\"waiting\"");
    json_decref(doc);
    assert_mailbox(e, "t", "[{\"neither\": 1}]");
    ck_assert_int_eq(twoshape_calls, 4);
    close_eng(e);
}
END_TEST

START_TEST(test_user_selective_receive)
{
    struct eng *e = open_eng();
    spawn(e, "s", "selective", NULL);
    run(e);
    send(e, "s", "{\"a\": 1}");
    ck_assert_int_eq(run(e), 0);
    assert_status(e, "s", "waiting");
    send(e, "s", "{\"b\": 2}");
    long steps = 0;
    ck_assert_int_eq(eng_run(e, 1, 0, &steps), AD_OK);
    ck_assert_int_eq(steps, 1);
    json_t *doc = get_doc(e, "s");
    assert_field(doc, "state", "{\"first\": {\"b\": 2}}");
    assert_field(doc, "waiting_for", "[{\"a\": \"$any\"}]");
    /* The earlier message stayed, and now matches: runnable. */
    assert_field(doc, "status", "\"runnable\"");
    json_decref(doc);
    assert_mailbox(e, "s", "[{\"a\": 1}]");
    run(e);
    doc = get_doc(e, "s");
    assert_field(doc, "status", "\"exited\"");
    assert_field(doc, "result", "[{\"b\": 2}, {\"a\": 1}]");
    assert_field(doc, "mailbox", "0");
    json_decref(doc);
    close_eng(e);
}
END_TEST

START_TEST(test_user_state_on_disk)
{
    struct eng *e = open_eng();
    spawn(e, "t", "twoshape", NULL);
    send(e, "t", "{\"inc\": 5}");
    run(e);
    close_eng(e);

    sqlite3 *raw = raw_open(db.path);
    char state[128];
    raw_text(raw, "SELECT state FROM actors WHERE name = 't'", state,
             sizeof state);
    json_t *st = J(state);
    assert_json(st, "{\"total\": 5, \"matched\": [0]}");
    json_decref(st);
    ck_assert_int_eq(raw_int(raw, "SELECT resume FROM actors "
                                  "WHERE name = 't'"),
                     1);
    sqlite3_close(raw);

    e = open_eng();
    send(e, "t", "{\"dec\": 2}");
    run(e);
    close_eng(e);
    e = open_eng();
    send(e, "t", "{\"inc\": 10}");
    run(e);
    assert_actor(e, "t", "state", "{\"total\": 13, \"matched\": [0, 1, 0]}");
    close_eng(e);
}
END_TEST

START_TEST(test_user_fail)
{
    struct eng *e = open_eng();
    spawn(e, "p", "puppet", NULL);
    run(e);
    send(e, "p", "{\"op\": \"fail\", \"why\": \"because\"}");
    send(e, "p", "{\"op\": \"exit\"}");
    run(e);
    json_t *doc = get_doc(e, "p");
    assert_field(doc, "status", "\"failed\"");
    assert_field(doc, "error", "{\"message\": \"told to fail: because\"}");
    assert_field(doc, "result", "null");
    assert_field(doc, "waiting_for", "null");
    ck_assert_int_eq(eng_doc_ended(doc), 1);
    json_decref(doc);
    /* The failing step consumed its message; the next one is buried. */
    assert_mailbox(e, "p", "[]");
    assert_dead(e, "[[null, \"p\", \"unread at failure\", "
                   "{\"op\": \"exit\"}]]");
    ck_assert_int_eq(send_err(e, "p", "{\"op\": \"exit\"}", NULL), AD_EDEAD);
    ck_assert_int_eq(run(e), 0);
    close_eng(e);
}
END_TEST

START_TEST(test_user_bad_shape)
{
    struct eng *e = open_eng();
    json_t *doc = puppet_after(e, "badshape");
    assert_failed_with(doc, "bad shape 0 in receive");
    assert_failed_with(doc, "$bogus");
    assert_field(doc, "waiting_for", "null");
    json_decref(doc);
    close_eng(e);
}
END_TEST

START_TEST(test_user_empty_shapes)
{
    struct eng *e = open_eng();
    json_t *doc = puppet_after(e, "emptyshapes");
    assert_failed_with(doc, "non-empty array of shapes");
    json_decref(doc);
    close_eng(e);
}
END_TEST

START_TEST(test_user_no_receive)
{
    struct eng *e = open_eng();
    json_t *doc = puppet_after(e, "noreceive");
    assert_failed_with(doc, "without a receive");
    json_decref(doc);
    close_eng(e);
}
END_TEST

START_TEST(test_user_stranded_version)
{
    struct eng *e = open_eng();
    spawn(e, "t", "twoshape", NULL);
    send(e, "t", "{\"inc\": 1}");
    run(e);
    ck_assert_int_eq(twoshape_calls, 2);

    /* As if stored by another version of the behaviour. */
    raw_sql("UPDATE actors SET version = 2 WHERE name = 't'");
    send(e, "t", "{\"inc\": 10}");
    run(e);
    ck_assert_int_eq(twoshape_calls, 2); /* not run */
    json_t *doc = get_doc(e, "t");
    assert_field(doc, "status", "\"stranded\"");
    assert_field(doc, "state", "{\"total\": 1, \"matched\": [0]}");
    assert_field(doc, "mailbox", "1");
    json_t *err = json_object_get(doc, "error");
    assert_field(err, "error", "\"unknown_behavior\"");
    const char *msg = json_string_value(json_object_get(err, "message"));
    ck_assert_ptr_nonnull(msg);
    ck_assert_ptr_nonnull(strstr(msg, "version 2"));
    ck_assert_int_eq(eng_doc_ended(doc), 0);
    json_decref(doc);
    assert_mailbox(e, "t", "[{\"inc\": 10}]");

    /* It stays stranded: more mail does not run it. */
    send(e, "t", "{\"inc\": 100}");
    ck_assert_int_eq(run(e), 0);
    assert_status(e, "t", "stranded");
    json_t *out = NULL;
    ck_assert_int_eq(eng_list(e, NULL, "stranded", NULL, 10, &out), AD_OK);
    ck_assert_int_eq(json_array_size(json_object_get(out, "actors")), 1);
    json_decref(out);

    /* A build that knows the version picks up where it stopped. */
    raw_sql("UPDATE actors SET version = 1 WHERE name = 't'");
    ck_assert_int_eq(eng_unstrand(e), AD_OK);
    run(e);
    ck_assert_int_eq(twoshape_calls, 4);
    doc = get_doc(e, "t");
    assert_field(doc, "status", "\"waiting\"");
    assert_field(doc, "state", "{\"total\": 111, \"matched\": [0, 0, 0]}");
    assert_field(doc, "mailbox", "0");
    json_decref(doc);
    close_eng(e);
}
END_TEST

START_TEST(test_user_stranded_resume_point)
{
    struct eng *e = open_eng();
    spawn(e, "t", "twoshape", NULL);
    run(e);
    raw_sql("UPDATE actors SET resume = 99 WHERE name = 't'");
    send(e, "t", "{\"inc\": 3}");
    run(e);
    json_t *doc = get_doc(e, "t");
    assert_field(doc, "status", "\"stranded\"");
    assert_field(doc, "state", "{\"total\": 0, \"matched\": []}");
    assert_field(doc, "mailbox", "1");
    json_t *err = json_object_get(doc, "error");
    assert_field(err, "error", "\"unknown_resume_point\"");
    const char *msg = json_string_value(json_object_get(err, "message"));
    ck_assert_ptr_nonnull(msg);
    ck_assert_ptr_nonnull(strstr(msg, "99"));
    json_decref(doc);
    assert_mailbox(e, "t", "[{\"inc\": 3}]");

    /* Never silently reset: the resume point is still 99. */
    sqlite3 *raw = raw_open(db.path);
    ck_assert_int_eq(raw_int(raw, "SELECT resume FROM actors "
                                  "WHERE name = 't'"),
                     99);
    sqlite3_close(raw);
    ck_assert_int_eq(eng_unstrand(e), AD_OK);
    run(e);
    assert_status(e, "t", "stranded");
    assert_mailbox(e, "t", "[{\"inc\": 3}]");
    close_eng(e);
}
END_TEST

START_TEST(test_user_unknown_behaviour_stranded)
{
    struct eng *e = open_eng();
    spawn(e, "t", "twoshape", NULL);
    raw_sql("UPDATE actors SET behavior = 'gone_away' WHERE name = 't'");
    run(e);
    ck_assert_int_eq(twoshape_calls, 0);
    json_t *doc = get_doc(e, "t");
    assert_field(doc, "status", "\"stranded\"");
    assert_field(json_object_get(doc, "error"), "error",
                 "\"unknown_behavior\"");
    json_decref(doc);
    close_eng(e);
}
END_TEST

START_TEST(test_user_bad_stored_state)
{
    struct eng *e = open_eng();
    spawn(e, "t", "twoshape", NULL);
    run(e);
    raw_sql("UPDATE actors SET state = '[1, 2]' WHERE name = 't'");
    send(e, "t", "{\"inc\": 1}");
    run(e);
    ck_assert_int_eq(twoshape_calls, 1);
    json_t *doc = get_doc(e, "t");
    assert_field(doc, "status", "\"stranded\"");
    assert_field(json_object_get(doc, "error"), "error", "\"bad_state\"");
    assert_field(doc, "state", "[1, 2]");
    assert_field(doc, "mailbox", "1");
    json_decref(doc);
    close_eng(e);
}
END_TEST

START_TEST(test_user_bad_stored_shapes_id)
{
    /* waiting_for naming a shapes row that is not there (edited by hand)
     * strands that actor; the others go on. */
    struct eng *e = open_eng();
    spawn(e, "t", "twoshape", NULL);
    spawn(e, "u", "twoshape", NULL);
    run(e);
    raw_sql("UPDATE actors SET waiting_for = '999', status = 'runnable' "
            "WHERE name = 't'");
    send(e, "u", "{\"inc\": 2}");
    run(e);
    json_t *doc = get_doc(e, "t");
    assert_field(doc, "status", "\"stranded\"");
    assert_field(json_object_get(doc, "error"), "error", "\"bad_state\"");
    json_decref(doc);
    assert_actor(e, "u", "state", "{\"total\": 2, \"matched\": [0]}");
    close_eng(e);
}
END_TEST

START_TEST(test_limit_message_size)
{
    struct eng_opts o = {.busy_timeout_ms = 50, .max_message = 40};
    struct eng *e = open_eng_opts(&o);
    spawn(e, "c", "collector", NULL);
    spawn(e, "p", "puppet", NULL);
    run(e);
    /* From outside: refused, nothing stored. */
    ck_assert_int_eq(send_err(e, "c",
                              "\"0123456789012345678901234567890123"
                              "4567890123456789\"",
                              NULL),
                     AD_ETOOLARGE);
    assert_mailbox(e, "c", "[]");
    /* From a step: the step is undone and the puppet fails; the step
     * before it stands; what it was told stays, as a dead letter. */
    send(e, "p", "{\"op\": \"big\", \"to\": \"c\", \"n\": 30}");
    send(e, "p", "{\"op\": \"big\", \"to\": \"c\", \"n\": 39}");
    run(e);
    json_t *doc = get_doc(e, "p");
    assert_field(json_object_get(doc, "error"), "error",
                 "\"message_too_large\"");
    assert_failed_with(doc, "over the limit of 40 bytes");
    assert_field(doc, "state", "{\"big\": 30}");
    json_decref(doc);
    assert_mailbox(e, "c", "[]");
    assert_actor(e, "c", "state",
                 "{\"messages\": [\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"]}");
    assert_dead(e, "[[null, \"p\", \"unread at failure\", {\"op\": \"big\", "
                   "\"to\": \"c\", \"n\": 39}]]");
    close_eng(e);
}
END_TEST

START_TEST(test_limit_state_size)
{
    struct eng_opts o = {.busy_timeout_ms = 50, .max_state = 60};
    struct eng *e = open_eng_opts(&o);
    spawn(e, "c", "collector", NULL);
    send(e, "c", "\"first-0123456789\"");
    send(e, "c", "\"second-0123456789\"");
    send(e, "c", "\"third-0123456789\"");
    run(e);
    /* The third would make the state 61 bytes or more: that step is
     * undone, the actor fails, the third message is a dead letter. */
    json_t *doc = get_doc(e, "c");
    assert_field(json_object_get(doc, "error"), "error", "\"state_too_large\"");
    assert_failed_with(doc, "over the limit of 60");
    assert_field(doc, "state",
                 "{\"messages\": [\"first-0123456789\", "
                 "\"second-0123456789\"]}");
    json_decref(doc);
    assert_dead(e, "[[null, \"c\", \"unread at failure\", "
                   "\"third-0123456789\"]]");
    close_eng(e);
}
END_TEST

/* A timer whose message is over the limit undoes the step that set it,
 * as a message sent would. */
START_TEST(test_limit_timer_message_size)
{
    struct eng_opts o = {.busy_timeout_ms = 50, .max_message = 10};
    struct eng *e = open_eng_opts(&o);
    spawn(e, "a", "alarm", "{\"ms\": 60000}");
    run(e);
    json_t *doc = get_doc(e, "a");
    assert_field(json_object_get(doc, "error"), "error",
                 "\"message_too_large\"");
    assert_failed_with(doc, "over the limit of 10 bytes");
    assert_field(doc, "state", "{}");
    json_decref(doc);
    ck_assert_int_eq(count_timers(), 0);
    close_eng(e);
}
END_TEST

/* ---- the step's shortcuts (engine/step.c) ---- */

/* A step that sends itself a message and waits again finds it: the
 * mailbox it took its only message from is not empty after all. */
START_TEST(test_fast_self_send)
{
    struct eng *e = open_eng();
    spawn(e, "c", "collector", NULL);
    spawn(e, "p", "puppet", NULL);
    run(e);
    send(e, "p",
         "{\"op\": \"send\", \"to\": \"p\", \"msg\": {\"op\": \"send\", "
         "\"to\": \"p\", \"msg\": {\"op\": \"send\", \"to\": \"c\", "
         "\"msg\": \"third\"}}}");
    /* One run: p runs three times in a row, then c once. */
    ck_assert_int_eq(run(e), 4);
    assert_status(e, "p", "waiting");
    assert_mailbox(e, "p", "[]");
    assert_actor(e, "c", "state", "{\"messages\": [\"third\"]}");
    assert_mailbox_counts();
    close_eng(e);
}
END_TEST

/*
 * A step's scan reads a few messages past its match; when the actor
 * waits again with the same shapes the next match is looked for among
 * them.  Matches inside that window, past it, and none at all (the
 * unmatched ones stay, in order, and a later match still wakes it).
 */
START_TEST(test_fast_read_ahead)
{
    static const char *const bodies[] = {
        "{\"inc\": 1}", "{\"n\": 1}", "{\"inc\": 2}", "{\"n\": 2}",
        "{\"n\": 3}",   "{\"n\": 4}", "{\"n\": 5}",   "{\"n\": 6}",
        "{\"dec\": 3}", "{\"n\": 7}",
    };
    struct eng *e = open_eng();
    spawn(e, "t", "twoshape", NULL);
    run(e);
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++)
        send(e, "t", bodies[i]);
    long steps = 0;
    /* inc 1: inc 2 is next but one, inside the window. */
    ck_assert_int_eq(eng_run(e, 1, 0, &steps), AD_OK);
    assert_status(e, "t", "runnable");
    /* inc 2: dec 3 is five messages on, past the window. */
    ck_assert_int_eq(eng_run(e, 1, 0, &steps), AD_OK);
    assert_status(e, "t", "runnable");
    /* dec 3: only n 7 is left, inside the window: it waits. */
    ck_assert_int_eq(eng_run(e, 1, 0, &steps), AD_OK);
    assert_status(e, "t", "waiting");
    ck_assert_int_eq(run(e), 0);
    json_t *doc = get_doc(e, "t");
    assert_field(doc, "state", "{\"total\": 0, \"matched\": [0, 0, 1]}");
    json_decref(doc);
    assert_mailbox(e, "t",
                   "[{\"n\": 1}, {\"n\": 2}, {\"n\": 3}, {\"n\": 4}, "
                   "{\"n\": 5}, {\"n\": 6}, {\"n\": 7}]");
    send(e, "t", "{\"inc\": 9}");
    ck_assert_int_eq(run(e), 1);
    assert_actor(e, "t", "state", "{\"total\": 9, \"matched\": [0, 0, 1, 0]}");
    assert_status(e, "t", "waiting");
    assert_mailbox_counts();
    close_eng(e);
}
END_TEST

/* Messages made inside one transaction of eng_run, some that match and
 * some that do not, are received in the order they were sent; those
 * that match nothing stay. */
START_TEST(test_fast_selective_in_batch)
{
    struct eng *e = open_eng();
    spawn(e, "t", "twoshape", NULL);
    spawn(e, "p", "puppet", NULL);
    run(e);
    static const char *const msgs[] = {"{\"n\": 1}", "{\"inc\": 5}",
                                       "{\"n\": 2}", "{\"dec\": 2}",
                                       "{\"n\": 3}", "{\"inc\": 1}"};
    char body[128];
    for (size_t i = 0; i < sizeof msgs / sizeof msgs[0]; i++) {
        snprintf(body, sizeof body,
                 "{\"op\": \"send\", \"to\": \"t\", \"msg\": %s}", msgs[i]);
        send(e, "p", body);
    }
    raw_sql("CREATE TABLE ins (body TEXT); "
            "CREATE TRIGGER log_ins AFTER INSERT ON messages "
            "BEGIN INSERT INTO ins VALUES (NEW.body); END");
    /* One transaction: p's six steps, t's three. */
    long steps = 0;
    ck_assert_int_eq(eng_run(e, 0, 0, &steps), AD_OK);
    ck_assert_int_eq(steps, 9);
    assert_actor(e, "t", "state", "{\"total\": 4, \"matched\": [0, 1, 0]}");
    assert_mailbox(e, "t", "[{\"n\": 1}, {\"n\": 2}, {\"n\": 3}]");
    /* Held in memory (store/held.c): the three t took were never
     * written; the three it passed over were, at the commit, in order. */
    sqlite3 *raw = raw_open(db.path);
    char text[128];
    raw_text(raw, "SELECT group_concat(body, ' ') FROM ins", text, sizeof text);
    ck_assert_str_eq(text, "{\"n\":1} {\"n\":2} {\"n\":3}");
    sqlite3_close(raw);
    assert_status(e, "t", "waiting");
    assert_mailbox_counts();
    close_eng(e);
}
END_TEST

/* A step undone for its state, in the same transaction as the steps
 * that sent it the message and the ones read ahead of it: the message
 * goes back, the actor fails, and every message left is a dead letter,
 * in order. */
START_TEST(test_fast_undo_in_batch)
{
    struct eng_opts o = {.busy_timeout_ms = 50, .max_state = 60};
    struct eng *e = open_eng_opts(&o);
    spawn(e, "c", "collector", NULL);
    spawn(e, "p", "puppet", NULL);
    run(e);
    static const char *const msgs[] = {"\"first-0123456789\"",
                                       "\"second-0123456789\"",
                                       "\"third-0123456789\"", "\"fourth\""};
    char body[128];
    for (size_t i = 0; i < sizeof msgs / sizeof msgs[0]; i++) {
        snprintf(body, sizeof body,
                 "{\"op\": \"send\", \"to\": \"c\", \"msg\": %s}", msgs[i]);
        send(e, "p", body);
    }
    run(e);
    json_t *doc = get_doc(e, "c");
    assert_field(json_object_get(doc, "error"), "error", "\"state_too_large\"");
    assert_field(doc, "state",
                 "{\"messages\": [\"first-0123456789\", "
                 "\"second-0123456789\"]}");
    json_decref(doc);
    /* fourth was in c's mailbox when it failed, or sent after (the
     * order of p's and c's steps within the transaction is the run
     * queue's). */
    assert_dead_after_failure(e, "\"p\"", "\"third-0123456789\"", "\"fourth\"");
    assert_mailbox(e, "c", "[]");
    assert_mailbox_counts();
    close_eng(e);
}
END_TEST

static Suite *
eng_step_suite(void)
{
    Suite *s = suite_create("eng_step");
    TCase *tc;

    tc = tcase("receive");
    tcase_add_test(tc, test_user_two_shapes);
    tcase_add_test(tc, test_user_selective_receive);
    suite_add_tcase(s, tc);

    tc = tcase("state");
    tcase_add_test(tc, test_user_state_on_disk);
    suite_add_tcase(s, tc);

    tc = tcase("fail");
    tcase_add_test(tc, test_user_fail);
    tcase_add_test(tc, test_user_bad_shape);
    tcase_add_test(tc, test_user_empty_shapes);
    tcase_add_test(tc, test_user_no_receive);
    suite_add_tcase(s, tc);

    tc = tcase("stranded");
    tcase_add_test(tc, test_user_stranded_version);
    tcase_add_test(tc, test_user_stranded_resume_point);
    tcase_add_test(tc, test_user_unknown_behaviour_stranded);
    tcase_add_test(tc, test_user_bad_stored_state);
    tcase_add_test(tc, test_user_bad_stored_shapes_id);
    suite_add_tcase(s, tc);

    tc = tcase("fast");
    tcase_add_test(tc, test_fast_self_send);
    tcase_add_test(tc, test_fast_read_ahead);
    tcase_add_test(tc, test_fast_selective_in_batch);
    tcase_add_test(tc, test_fast_undo_in_batch);
    suite_add_tcase(s, tc);

    tc = tcase("undo");
    tcase_add_test(tc, test_limit_message_size);
    tcase_add_test(tc, test_limit_state_size);
    tcase_add_test(tc, test_limit_timer_message_size);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    static const struct behavior *const used[] = {
        &twoshape, &selective, &puppet, &alarm_behavior, NULL};
    return run_engine_suite("test_eng_step", used, eng_step_suite());
}
