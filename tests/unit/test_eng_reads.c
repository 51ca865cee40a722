/*
 * test_eng_reads.c - the Check suite of engine/reads.c: eng_get and the
 * actor document (version, links, monitors both ways, trap_exit, timers),
 * eng_list and eng_list_prefix with their paging and filters,
 * eng_mailbox, eng_dead_letters with paging and
 * eng_dead_letters_collect.
 */
#include "engine/engine.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "actord/behavior.h"
#include "tests/unit/engutil.h"

START_TEST(test_list)
{
    struct eng *e = open_eng();
    json_t *out = NULL;
    char name[16];
    for (int i = 0; i < 7; i++) {
        snprintf(name, sizeof name, "c%d", i);
        spawn(e, name, i < 5 ? "counter" : "collector", NULL);
    }
    run(e);
    json_t *doc = NULL;
    ck_assert_int_eq(eng_kill(e, "c1", &doc), AD_OK);
    json_decref(doc);

    ck_assert_int_eq(eng_list(e, NULL, NULL, NULL, 0, &out), AD_EINVAL);
    ck_assert_int_eq(eng_list(e, NULL, "sleeping", NULL, 10, &out), AD_EINVAL);

    ck_assert_int_eq(eng_list(e, "counter", NULL, NULL, 3, &out), AD_OK);
    json_t *actors = json_object_get(out, "actors");
    ck_assert_int_eq(json_array_size(actors), 3);
    assert_field(json_array_get(actors, 0), "name", "\"c0\"");
    assert_field(json_array_get(actors, 2), "name", "\"c2\"");
    assert_field(json_array_get(actors, 0), "state", "{\"count\": 0}");
    assert_field(out, "next", "\"c2\"");
    json_decref(out);

    ck_assert_int_eq(eng_list(e, "counter", NULL, "c2", 3, &out), AD_OK);
    actors = json_object_get(out, "actors");
    ck_assert_int_eq(json_array_size(actors), 2);
    assert_field(json_array_get(actors, 0), "name", "\"c3\"");
    assert_field(out, "next", "null");
    json_decref(out);

    ck_assert_int_eq(eng_list(e, "counter", "waiting", NULL, 10, &out), AD_OK);
    ck_assert_int_eq(json_array_size(json_object_get(out, "actors")), 4);
    json_decref(out);
    ck_assert_int_eq(eng_list(e, NULL, "killed", NULL, 10, &out), AD_OK);
    actors = json_object_get(out, "actors");
    ck_assert_int_eq(json_array_size(actors), 1);
    assert_field(json_array_get(actors, 0), "name", "\"c1\"");
    json_decref(out);
    close_eng(e);
}
END_TEST

START_TEST(test_mailbox)
{
    struct eng *e = open_eng();
    json_t *out = NULL;
    ck_assert_int_eq(eng_mailbox(e, "nobody", 0, 0, &out), AD_ENOTFOUND);
    spawn(e, "c", "counter", NULL);
    spawn(e, "p", "puppet", NULL);
    int64_t s1, s2, s3;
    ck_assert_int_eq(send_err(e, "c", "\"one\"", &s1), AD_OK);
    ck_assert_int_eq(send_err(e, "c", "{\"two\": 2}", &s2), AD_OK);
    ck_assert_int_eq(send_err(e, "c", "[3]", &s3), AD_OK);

    ck_assert_int_eq(eng_mailbox(e, "c", 0, 0, &out), AD_OK);
    json_t *msgs = json_object_get(out, "messages");
    ck_assert_int_eq(json_array_size(msgs), 3);
    json_t *m = json_array_get(msgs, 0);
    ck_assert_int_eq(json_integer_value(json_object_get(m, "seq")), s1);
    assert_field(m, "from", "null");
    assert_field(m, "body", "\"one\"");
    json_decref(out);

    ck_assert_int_eq(eng_mailbox(e, "c", s1, 1, &out), AD_OK);
    msgs = json_object_get(out, "messages");
    ck_assert_int_eq(json_array_size(msgs), 1);
    ck_assert_int_eq(
        json_integer_value(json_object_get(json_array_get(msgs, 0), "seq")),
        s2);
    json_decref(out);

    /* A message from an actor names its sender. */
    run(e);
    send(e, "p", "{\"op\": \"send\", \"to\": \"c\", \"msg\": \"hi\"}");
    run(e);
    ck_assert_int_eq(eng_mailbox(e, "c", s3, 0, &out), AD_OK);
    msgs = json_object_get(out, "messages");
    ck_assert_int_eq(json_array_size(msgs), 1);
    assert_field(json_array_get(msgs, 0), "from", "\"p\"");
    assert_field(json_array_get(msgs, 0), "body", "\"hi\"");
    json_decref(out);
    close_eng(e);
}
END_TEST

START_TEST(test_get_documents)
{
    struct eng *e = open_eng();
    json_t *doc = NULL;
    ck_assert_int_eq(eng_get(e, "nobody", &doc), AD_ENOTFOUND);
    ck_assert_ptr_null(doc);
    /* A document shows each status, and eng_doc_ended tells the ended
     * ones. */
    spawn(e, "r", "counter", NULL);
    doc = get_doc(e, "r");
    assert_field(doc, "status", "\"runnable\"");
    ck_assert_int_eq(eng_doc_ended(doc), 0);
    json_decref(doc);
    spawn(e, "w", "counter", NULL);
    spawn(e, "x", "forwarder", "{\"to\": \"nobody\", \"once\": true}");
    spawn(e, "f", "puppet", NULL);
    run(e);
    send(e, "x", "\"bye\"");
    send(e, "f", "{\"op\": \"fail\", \"why\": \"w\"}");
    run(e);
    static const char *const live[] = {"r", "w"};
    static const char *const ended[] = {"x", "f"};
    for (size_t i = 0; i < 2; i++) {
        doc = get_doc(e, live[i]);
        ck_assert_int_eq(eng_doc_ended(doc), 0);
        assert_field(doc, "status", "\"waiting\"");
        json_decref(doc);
        doc = get_doc(e, ended[i]);
        ck_assert_int_eq(eng_doc_ended(doc), 1);
        json_decref(doc);
    }
    assert_actor(e, "x", "result", "\"bye\"");
    assert_actor(e, "f", "error", "{\"message\": \"told to fail: w\"}");
    /* The document counts the unread mail. */
    send(e, "w", "\"unread\"");
    assert_actor(e, "w", "mailbox", "1");
    close_eng(e);
}
END_TEST

START_TEST(test_dead_letters_paging)
{
    struct eng *e = open_eng();
    json_t *out = NULL;
    ck_assert_int_eq(eng_dead_letters(e, 0, 10, &out), AD_OK);
    assert_json(out, "{\"dead_letters\": [], \"next\": null}");
    json_decref(out);
    /* Five dead letters: the unread mail of a killed actor. */
    spawn(e, "s", "selective", NULL);
    run(e);
    char msg[32];
    for (int i = 0; i < 5; i++) {
        snprintf(msg, sizeof msg, "{\"a\": %d}", i);
        send(e, "s", msg);
    }
    json_t *doc = NULL;
    ck_assert_int_eq(eng_kill(e, "s", &doc), AD_OK);
    json_decref(doc);
    /* Pages of two, oldest first, each with its seq and time. */
    int64_t after = 0, last = 0;
    int seen = 0;
    for (int page = 0; page < 10; page++) {
        ck_assert_int_eq(eng_dead_letters(e, after, 2, &out), AD_OK);
        json_t *list = json_object_get(out, "dead_letters");
        size_t i;
        json_t *d;
        json_array_foreach(list, i, d)
        {
            json_int_t seq = json_integer_value(json_object_get(d, "seq"));
            ck_assert_int_gt(seq, last);
            last = seq;
            snprintf(msg, sizeof msg, "{\"a\": %d}", seen++);
            assert_field(d, "body", msg);
            assert_field(d, "reason", "\"unread at kill\"");
            assert_field(d, "to", "\"s\"");
            assert_field(d, "from", "null");
            ck_assert_ptr_nonnull(json_object_get(d, "time"));
        }
        json_t *next = json_object_get(out, "next");
        if (json_is_null(next)) {
            json_decref(out);
            break;
        }
        ck_assert_int_eq(json_array_size(list), 2);
        after = json_integer_value(next);
        json_decref(out);
    }
    ck_assert_int_eq(seen, 5);
    /* Collecting up to a seq deletes those and no others; n may be
     * NULL; INT64_MAX takes the rest. */
    ck_assert_int_eq(eng_dead_letters_collect(e, after, NULL), AD_OK);
    ck_assert_int_eq(eng_dead_letters(e, 0, 10, &out), AD_OK);
    ck_assert_int_eq(json_array_size(json_object_get(out, "dead_letters")), 1);
    json_decref(out);
    int64_t n = -1;
    ck_assert_int_eq(eng_dead_letters_collect(e, INT64_MAX, &n), AD_OK);
    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(eng_dead_letters_collect(e, INT64_MAX, &n), AD_OK);
    ck_assert_int_eq(n, 0);
    assert_dead(e, "[]");
    close_eng(e);
}
END_TEST

START_TEST(test_list_paging_all)
{
    /* Paging through every actor with next gives each once, in name
     * order. */
    struct eng *e = open_eng();
    char name[16];
    for (int i = 0; i < 11; i++) {
        snprintf(name, sizeof name, "n%02d", i);
        spawn(e, name, "collector", NULL);
    }
    char after[64] = "";
    int seen = 0;
    for (int page = 0; page < 20; page++) {
        json_t *out = NULL;
        ck_assert_int_eq(
            eng_list(e, NULL, NULL, after[0] ? after : NULL, 4, &out), AD_OK);
        size_t i;
        json_t *a;
        json_array_foreach(json_object_get(out, "actors"), i, a)
        {
            snprintf(name, sizeof name, "\"n%02d\"", seen++);
            assert_field(a, "name", name);
        }
        json_t *next = json_object_get(out, "next");
        if (json_is_null(next)) {
            json_decref(out);
            break;
        }
        snprintf(after, sizeof after, "%s", json_string_value(next));
        json_decref(out);
    }
    ck_assert_int_eq(seen, 11);
    /* Filters that match nothing give an empty page. */
    json_t *out = NULL;
    ck_assert_int_eq(eng_list(e, "nosuch", NULL, NULL, 10, &out), AD_OK);
    assert_json(out, "{\"actors\": [], \"next\": null}");
    json_decref(out);
    close_eng(e);
}
END_TEST

START_TEST(test_list_prefix)
{
    struct eng *e = open_eng();
    json_t *out = NULL;
    static const char *const names[] = {"a",   "ab",  "ab.1", "ab.2",
                                        "ab~", "abc", "ac",   "b"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        spawn(e, names[i], i == 5 ? "collector" : "counter", NULL);
    run(e);

    /* Every name that starts with "ab", in name order (bytes): "ab~"
     * last, since '~' is the greatest character of names, and "ac" not. */
    ck_assert_int_eq(eng_list_prefix(e, NULL, NULL, "ab", NULL, 10, &out),
                     AD_OK);
    json_t *actors = json_object_get(out, "actors");
    ck_assert_int_eq(json_array_size(actors), 5);
    assert_field(json_array_get(actors, 0), "name", "\"ab\"");
    assert_field(json_array_get(actors, 3), "name", "\"abc\"");
    assert_field(json_array_get(actors, 4), "name", "\"ab~\"");
    assert_field(out, "next", "null");
    json_decref(out);

    /* Paged: the cursor continues inside the prefix's range. */
    ck_assert_int_eq(eng_list_prefix(e, NULL, NULL, "ab", NULL, 2, &out),
                     AD_OK);
    assert_field(out, "next", "\"ab.1\"");
    json_decref(out);
    ck_assert_int_eq(eng_list_prefix(e, NULL, NULL, "ab", "ab.1", 2, &out),
                     AD_OK);
    actors = json_object_get(out, "actors");
    ck_assert_int_eq(json_array_size(actors), 2);
    assert_field(json_array_get(actors, 0), "name", "\"ab.2\"");
    assert_field(out, "next", "\"abc\"");
    json_decref(out);
    /* A cursor before the range starts at the prefix; one past it ends. */
    ck_assert_int_eq(eng_list_prefix(e, NULL, NULL, "ab", "a", 1, &out), AD_OK);
    assert_field(json_array_get(json_object_get(out, "actors"), 0), "name",
                 "\"ab\"");
    json_decref(out);
    ck_assert_int_eq(eng_list_prefix(e, NULL, NULL, "ab", "abc", 5, &out),
                     AD_OK);
    actors = json_object_get(out, "actors");
    ck_assert_int_eq(json_array_size(actors), 1);
    assert_field(json_array_get(actors, 0), "name", "\"ab~\"");
    json_decref(out);
    ck_assert_int_eq(eng_list_prefix(e, NULL, NULL, "ab", "ab~", 5, &out),
                     AD_OK);
    assert_json(out, "{\"actors\": [], \"next\": null}");
    json_decref(out);

    /* With the other filters. */
    ck_assert_int_eq(
        eng_list_prefix(e, "collector", NULL, "ab", NULL, 10, &out), AD_OK);
    actors = json_object_get(out, "actors");
    ck_assert_int_eq(json_array_size(actors), 1);
    assert_field(json_array_get(actors, 0), "name", "\"abc\"");
    json_decref(out);
    json_t *doc = NULL;
    ck_assert_int_eq(eng_kill(e, "ab.2", &doc), AD_OK);
    json_decref(doc);
    ck_assert_int_eq(
        eng_list_prefix(e, "counter", "killed", "ab", NULL, 10, &out), AD_OK);
    actors = json_object_get(out, "actors");
    ck_assert_int_eq(json_array_size(actors), 1);
    assert_field(json_array_get(actors, 0), "name", "\"ab.2\"");
    json_decref(out);

    /* "" is no filter; "." is a prefix; what no name starts with is not. */
    ck_assert_int_eq(eng_list_prefix(e, NULL, NULL, "", NULL, 100, &out),
                     AD_OK);
    ck_assert_int_eq(json_array_size(json_object_get(out, "actors")), 8);
    json_decref(out);
    ck_assert_int_eq(eng_list_prefix(e, NULL, NULL, ".", NULL, 10, &out),
                     AD_OK);
    assert_json(out, "{\"actors\": [], \"next\": null}");
    json_decref(out);
    ck_assert_int_eq(eng_list_prefix(e, NULL, NULL, "a b", NULL, 10, &out),
                     AD_EINVAL);
    ck_assert_int_eq(eng_list_prefix(e, NULL, NULL, "a/", NULL, 10, &out),
                     AD_EINVAL);
    close_eng(e);
}
END_TEST

START_TEST(test_get_ties_and_timers)
{
    struct eng *e = open_eng();
    spawn(e, "t", "puppet", NULL);
    /* w watches t; l links to t and traps exits; al sets a repeating
     * timer to t. */
    spawn(e, "w", "watcher", "{\"target\": {\"$address\": \"t\"}}");
    spawn(e, "l", "linker",
          "{\"link\": {\"$address\": \"t\"}, \"trap\": true}");
    spawn(e, "al", "alarm",
          "{\"to\": {\"$address\": \"t\"}, \"ms\": 600000, "
          "\"every\": 60000}");
    run(e);

    json_t *doc = get_doc(e, "t");
    assert_field(doc, "version", "1");
    assert_field(doc, "monitored_by", "[\"w\"]");
    assert_field(doc, "monitors", "[]");
    assert_field(doc, "links", "[\"l\"]");
    assert_field(doc, "trap_exit", "false");
    assert_field(doc, "timers", "[]");
    json_decref(doc);

    doc = get_doc(e, "w");
    assert_field(doc, "monitors", "[\"t\"]");
    assert_field(doc, "monitored_by", "[]");
    json_decref(doc);

    doc = get_doc(e, "l");
    assert_field(doc, "links", "[\"t\"]");
    assert_field(doc, "trap_exit", "true");
    json_decref(doc);

    doc = get_doc(e, "al");
    json_t *timers = json_object_get(doc, "timers");
    ck_assert_int_eq(json_array_size(timers), 1);
    json_t *t = json_array_get(timers, 0);
    assert_field(t, "to", "\"t\"");
    assert_field(t, "message", "{\"ring\": true}");
    assert_field(t, "every_ms", "60000");
    ck_assert(json_is_integer(json_object_get(t, "id")));
    ck_assert(json_integer_value(json_object_get(t, "id")) ==
              json_integer_value(
                  json_object_get(json_object_get(doc, "state"), "timer")));
    ck_assert_int_eq(strlen(json_string_value(json_object_get(t, "due"))), 24);
    json_decref(doc);

    /* The listing gives version but not what ties the actor: a page
     * reads one row an actor. */
    json_t *out = NULL;
    ck_assert_int_eq(eng_list(e, "alarm", NULL, NULL, 10, &out), AD_OK);
    json_t *a = json_array_get(json_object_get(out, "actors"), 0);
    assert_field(a, "version", "1");
    ck_assert_ptr_null(json_object_get(a, "timers"));
    ck_assert_ptr_null(json_object_get(a, "links"));
    json_decref(out);

    /* When t ends its ties go, and the document says so. */
    send(e, "t", "{\"op\": \"exit\", \"result\": 1}");
    run(e);
    doc = get_doc(e, "t");
    assert_field(doc, "status", "\"exited\"");
    assert_field(doc, "monitored_by", "[]");
    assert_field(doc, "links", "[]");
    json_decref(doc);
    close_eng(e);
}
END_TEST

static Suite *
eng_reads_suite(void)
{
    Suite *s = suite_create("eng_reads");
    TCase *tc;

    tc = tcase("get");
    tcase_add_test(tc, test_get_documents);
    tcase_add_test(tc, test_get_ties_and_timers);
    suite_add_tcase(s, tc);

    tc = tcase("list");
    tcase_add_test(tc, test_list);
    tcase_add_test(tc, test_list_paging_all);
    tcase_add_test(tc, test_list_prefix);
    suite_add_tcase(s, tc);

    tc = tcase("mailbox");
    tcase_add_test(tc, test_mailbox);
    suite_add_tcase(s, tc);

    tc = tcase("dead_letters");
    tcase_add_test(tc, test_dead_letters_paging);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    static const struct behavior *const used[] = {
        &puppet, &selective, &watcher, &linker, &alarm_behavior, NULL};
    return run_engine_suite("test_eng_reads", used, eng_reads_suite());
}
