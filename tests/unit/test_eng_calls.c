/*
 * test_eng_calls.c - the Check suite of engine/calls.c (calls from
 * outside: eng_call_begin, eng_call_poll, eng_call_end) and of
 * actor_call between actors.
 */
#include "engine/engine.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "actord/behavior.h"
#include "tests/unit/engutil.h"

START_TEST(test_call_counter)
{
    struct eng *e = open_eng();
    spawn(e, "c", "counter", "{\"start\": 5}");
    spawn(e, "k1", "caller",
          "{\"to\": \"c\", \"method\": \"add\", \"payload\": 3, "
          "\"ms\": 60000}");
    spawn(e, "k2", "caller",
          "{\"to\": \"c\", \"method\": \"nope\", \"ms\": 60000}");
    run(e);
    json_t *doc = get_doc(e, "k1");
    json_t *got = json_object_get(json_object_get(doc, "state"), "got");
    ck_assert_int_eq(json_integer_value(json_object_get(got, "message")), 8);
    ck_assert(json_is_string(json_object_get(got, "response")));
    json_decref(doc);
    doc = get_doc(e, "k2");
    got = json_object_get(json_object_get(doc, "state"), "got");
    ck_assert_str_eq(json_string_value(json_object_get(got, "invalid_method")),
                     "nope");
    json_decref(doc);
    assert_actor(e, "c", "state", "{\"count\": 8}");
    close_eng(e);
}
END_TEST

/* A call that times out leaves nothing waiting; its late reply becomes a
 * dead letter, not a message in the caller's mailbox. */
START_TEST(test_call_timeout_late_reply)
{
    struct eng *e = open_eng();
    spawn(e, "col", "collector", NULL);
    spawn(e, "k", "caller",
          "{\"to\": \"col\", \"method\": \"get\", \"ms\": 30}");
    run(e);
    assert_status(e, "k", "waiting");
    sleep_ms(50);
    run(e);
    assert_actor(e, "k", "state", "{\"got\": \"timeout\"}");
    assert_status(e, "k", "waiting");
    /* The collector holds the call; answer it now, late. */
    json_t *doc = get_doc(e, "col");
    json_t *call = json_array_get(
        json_object_get(json_object_get(doc, "state"), "messages"), 0);
    json_t *reply = json_pack("{s:O, s:s}", "response",
                              json_object_get(call, "call"), "message", "late");
    json_decref(doc);
    ck_assert_int_eq(eng_send(e, "k", reply, NULL), AD_OK);
    json_decref(reply);
    run(e);
    assert_actor(e, "k", "mailbox", "0");
    assert_status(e, "k", "waiting");
    json_t *out = NULL;
    ck_assert_int_eq(eng_dead_letters(e, 0, 10, &out), AD_OK);
    json_t *d = json_array_get(json_object_get(out, "dead_letters"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(d, "reason")),
                     "late reply");
    ck_assert_str_eq(json_string_value(json_object_get(d, "to")), "k");
    json_decref(out);
    send(e, "k", "\"bye\"");
    run(e);
    assert_actor(e, "k", "result", "\"bye\"");
    close_eng(e);
}
END_TEST

/* A call from outside: begin sends the call, poll finds nothing until the
 * actor answers, then the answer; end removes the box. */
START_TEST(test_call_begin_poll_end)
{
    struct eng *e = open_eng();
    spawn(e, "c", "counter", "{\"start\": 4}");
    char box[ENG_CALL_ID_LEN + 8], id[ENG_CALL_ID_LEN];
    json_t *payload = json_integer(3);
    ck_assert_int_eq(eng_call_begin(e, "c", "add", payload, box, id), AD_OK);
    json_decref(payload);
    ck_assert_int_eq(strncmp(box, "_call-", 6), 0);
    ck_assert_str_eq(box + 6, id);
    /* The call is a message like any other, committed at once. */
    json_t *out = NULL;
    ck_assert_int_eq(eng_mailbox(e, "c", 0, 0, &out), AD_OK);
    json_t *call = json_object_get(
        json_array_get(json_object_get(out, "messages"), 0), "body");
    ck_assert_str_eq(json_string_value(json_object_get(call, "call")), id);
    assert_field(call, "method", "\"add\"");
    assert_field(call, "message", "3");
    ck_assert_str_eq(actor_address_name(json_object_get(call, "address")), box);
    json_decref(out);
    /* The reply box is the engine's own: never listed. */
    ck_assert_int_eq(eng_list(e, NULL, NULL, NULL, 100, &out), AD_OK);
    ck_assert_int_eq(json_array_size(json_object_get(out, "actors")), 1);
    json_decref(out);
    ck_assert_int_eq(eng_list(e, "_reply", NULL, NULL, 100, &out), AD_OK);
    ck_assert_int_eq(json_array_size(json_object_get(out, "actors")), 0);
    json_decref(out);
    json_t *reply = NULL;
    ck_assert_int_eq(eng_call_poll(e, "c", box, &reply), AD_OK);
    ck_assert_ptr_null(reply);
    run(e);
    ck_assert_int_eq(eng_call_poll(e, "c", box, &reply), AD_OK);
    ck_assert_ptr_nonnull(reply);
    assert_field(reply, "message", "7");
    ck_assert_str_eq(json_string_value(json_object_get(reply, "response")), id);
    json_decref(reply);
    /* The box never runs. */
    assert_status(e, box, "waiting");
    ck_assert_int_eq(eng_call_end(e, box), AD_OK);
    json_t *none = NULL;
    ck_assert_int_eq(eng_get(e, box, &none), AD_ENOTFOUND);
    /* Ending it twice is fine. */
    ck_assert_int_eq(eng_call_end(e, box), AD_OK);
    assert_actor(e, "c", "state", "{\"count\": 7}");
    close_eng(e);
}
END_TEST

/* Calls to nobody or to an ended actor are refused and leave no box; a
 * target that ends without answering is AD_EDEAD to poll; an answer to
 * a box that was ended becomes a dead letter. */
START_TEST(test_call_errors)
{
    struct eng *e = open_eng();
    char box[ENG_CALL_ID_LEN + 8], id[ENG_CALL_ID_LEN];
    ck_assert_int_eq(eng_call_begin(e, "nobody", "get", NULL, box, id),
                     AD_ENOTFOUND);
    json_t *none = NULL;
    ck_assert_int_eq(eng_get(e, box, &none), AD_ENOTFOUND);
    spawn(e, "dead", "counter", NULL);
    json_t *doc = NULL;
    ck_assert_int_eq(eng_kill(e, "dead", &doc), AD_OK);
    json_decref(doc);
    ck_assert_int_eq(eng_call_begin(e, "dead", "get", NULL, box, id), AD_EDEAD);
    ck_assert_int_eq(eng_get(e, box, &none), AD_ENOTFOUND);

    /* A collector never answers; killed, it never will. */
    spawn(e, "col", "collector", NULL);
    ck_assert_int_eq(eng_call_begin(e, "col", "get", NULL, box, id), AD_OK);
    run(e);
    json_t *reply = NULL;
    ck_assert_int_eq(eng_call_poll(e, "col", box, &reply), AD_OK);
    ck_assert_ptr_null(reply);
    ck_assert_int_eq(eng_kill(e, "col", &doc), AD_OK);
    json_decref(doc);
    ck_assert_int_eq(eng_call_poll(e, "col", box, &reply), AD_EDEAD);
    ck_assert_ptr_null(reply);
    ck_assert_int_eq(eng_call_end(e, box), AD_OK);

    /* A late answer, after the box went. */
    spawn(e, "c", "counter", NULL);
    ck_assert_int_eq(eng_call_begin(e, "c", "get", NULL, box, id), AD_OK);
    ck_assert_int_eq(eng_call_end(e, box), AD_OK);
    run(e);
    json_t *out = NULL;
    ck_assert_int_eq(eng_dead_letters(e, 0, 100, &out), AD_OK);
    json_t *list = json_object_get(out, "dead_letters");
    json_t *last = json_array_get(list, json_array_size(list) - 1);
    ck_assert_str_eq(json_string_value(json_object_get(last, "to")), box);
    assert_field(last, "from", "\"c\"");
    assert_field(last, "reason", "\"no such actor\"");
    json_decref(out);
    close_eng(e);
}
END_TEST

static Suite *
eng_calls_suite(void)
{
    Suite *s = suite_create("eng_calls");
    TCase *tc;

    tc = tcase("rest_calls");
    tcase_add_test(tc, test_call_begin_poll_end);
    tcase_add_test(tc, test_call_errors);
    suite_add_tcase(s, tc);

    tc = tcase("actor_call");
    tcase_add_test(tc, test_call_counter);
    tcase_add_test(tc, test_call_timeout_late_reply);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    static const struct behavior *const used[] = {&caller_behavior, NULL};
    return run_engine_suite("test_eng_calls", used, eng_calls_suite());
}
