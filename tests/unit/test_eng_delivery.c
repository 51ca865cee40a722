/*
 * test_eng_delivery.c - the Check suite of engine/delivery.c: eng_send
 * and eng_send_many with every refusal, which messages make a waiting
 * actor runnable, the mailbox and hop limits, and group commit from many
 * threads.
 */
#include "engine/engine.h"

#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "actord/behavior.h"
#include "tests/unit/engutil.h"

/* ---- group commit ---- */

#define GROUP_THREADS 4
#define GROUP_SENDS 150

struct group_ctx {
    struct eng_group *g;
    int which;   /* thread number */
    int errors;  /* sends that did not answer 0 */
    int running; /* 1: this thread runs the actors instead of sending */
};

static void *
group_thread(void *arg)
{
    struct group_ctx *c = arg;
    struct eng_opts o = {.busy_timeout_ms = 5000, .group = c->g};
    struct eng *e = NULL;
    if (eng_open(db.path, &o, &e) != AD_OK) {
        c->errors = -1;
        return NULL;
    }
    if (c->running) {
        for (int i = 0; i < 200; i++)
            eng_run(e, 0, 5, NULL);
    } else {
        json_t *add = json_pack("{s:i}", "add", c->which + 1);
        json_t *nope = json_pack("{s:i}", "add", 1000);
        for (int i = 0; i < GROUP_SENDS; i++) {
            int64_t seq = 0;
            if (eng_send(e, "c", add, &seq) != AD_OK || seq <= 0)
                c->errors++;
            /* A refusal in a batch is its own: the others commit. */
            if (i % 10 == 0 &&
                eng_send(e, "nobody", nope, NULL) != AD_ENOTFOUND)
                c->errors++;
        }
        json_decref(add);
        json_decref(nope);
    }
    eng_close(e);
    return NULL;
}

START_TEST(test_send)
{
    struct eng *e = open_eng();
    int64_t seq = -1, seq2 = -1;
    ck_assert_int_eq(send_err(e, "nobody", "1", &seq), AD_ENOTFOUND);
    spawn(e, "c", "collector", NULL);
    ck_assert_int_eq(send_err(e, "c", "1", &seq), AD_OK);
    ck_assert_int_gt(seq, 0);
    ck_assert_int_eq(send_err(e, "c", "2", &seq2), AD_OK);
    ck_assert_int_gt(seq2, seq);
    ck_assert_int_eq(send_err(e, "c", "3", NULL), AD_OK);

    /* Committed before eng_send returns: another connection sees it. */
    sqlite3 *raw = raw_open(db.path);
    ck_assert_int_eq(raw_int(raw, "SELECT count(*) FROM mailbox "
                                  "WHERE actor = 'c'"),
                     3);
    sqlite3_close(raw);
    ck_assert_int_eq(eng_changed(e), 0);
    close_eng(e);
}
END_TEST

START_TEST(test_send_many)
{
    struct eng *e = open_eng();
    spawn(e, "a", "collector", NULL);
    spawn(e, "b", "collector", NULL);
    spawn(e, "dead", "collector", NULL);
    json_t *doc = NULL;
    ck_assert_int_eq(eng_kill(e, "dead", &doc), AD_OK);
    json_decref(doc);

    json_t *msgs[4] = {J("1"), J("{\"x\": 2}"), J("3"), J("[4]")};
    const char *bad[4] = {"a", "nobody", "b", "dead"};
    int errs[4] = {-99, -99, -99, -99};
    ck_assert_int_eq(eng_send_many(e, bad, msgs, 4, 0, errs, NULL), AD_EINVAL);
    ck_assert_int_eq(errs[0], AD_OK);
    ck_assert_int_eq(errs[1], AD_ENOTFOUND);
    ck_assert_int_eq(errs[2], AD_OK);
    ck_assert_int_eq(errs[3], AD_EDEAD);
    /* Nothing at all was sent. */
    assert_mailbox(e, "a", "[]");
    assert_mailbox(e, "b", "[]");

    /* The same bad batch as a dry run: the same answers. */
    memset(errs, 0x55, sizeof errs);
    ck_assert_int_eq(eng_send_many(e, bad, msgs, 4, 1, errs, NULL), AD_EINVAL);
    ck_assert_int_eq(errs[0], AD_OK);
    ck_assert_int_eq(errs[1], AD_ENOTFOUND);
    ck_assert_int_eq(errs[2], AD_OK);
    ck_assert_int_eq(errs[3], AD_EDEAD);

    /* A good batch as a dry run: fine, and still nothing sent. */
    const char *good[4] = {"a", "b", "a", "b"};
    memset(errs, 0x55, sizeof errs);
    ck_assert_int_eq(eng_send_many(e, good, msgs, 4, 1, errs, NULL), AD_OK);
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(errs[i], AD_OK);
    assert_mailbox(e, "a", "[]");
    assert_mailbox(e, "b", "[]");

    int64_t seqs[4] = {0};
    ck_assert_int_eq(eng_send_many(e, good, msgs, 4, 0, errs, seqs), AD_OK);
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(errs[i], AD_OK);
        ck_assert_int_gt(seqs[i], 0);
        if (i > 0)
            ck_assert_int_gt(seqs[i], seqs[i - 1]);
    }
    assert_mailbox(e, "a", "[1, 3]");
    assert_mailbox(e, "b", "[{\"x\": 2}, [4]]");
    run(e);
    assert_actor(e, "a", "state", "{\"messages\": [1, 3]}");
    assert_actor(e, "b", "state", "{\"messages\": [{\"x\": 2}, [4]]}");
    for (int i = 0; i < 4; i++)
        json_decref(msgs[i]);

    /* n = 0 is an empty, successful batch. */
    ck_assert_int_eq(eng_send_many(e, good, msgs, 0, 0, errs, NULL), AD_OK);
    close_eng(e);
}
END_TEST

START_TEST(test_scan_skips_behaviour)
{
    struct eng *e = open_eng();
    spawn(e, "t", "twoshape", NULL);
    ck_assert_int_eq(run(e), 1);
    ck_assert_int_eq(twoshape_calls, 1);
    send(e, "t", "{\"other\": 1}");
    send(e, "t", "{\"inc\": \"1\"}");
    send(e, "t", "[1]");
    ck_assert_int_eq(run(e), 0);
    ck_assert_int_eq(twoshape_calls, 1);
    assert_status(e, "t", "waiting");
    /* One match behind three misses: one call. */
    send(e, "t", "{\"dec\": 4}");
    ck_assert_int_eq(run(e), 1);
    ck_assert_int_eq(twoshape_calls, 2);
    assert_actor(e, "t", "state", "{\"total\": -4, \"matched\": [1]}");
    assert_mailbox(e, "t", "[{\"other\": 1}, {\"inc\": \"1\"}, [1]]");
    close_eng(e);
}
END_TEST

START_TEST(test_limit_mailbox)
{
    struct eng_opts o = {.busy_timeout_ms = 50, .max_mailbox = 3};
    struct eng *e = open_eng_opts(&o);
    spawn(e, "s", "selective", NULL);
    spawn(e, "p", "puppet", NULL);
    run(e);
    send(e, "s", "{\"a\": 1}");
    send(e, "s", "{\"a\": 2}");
    send(e, "s", "{\"a\": 3}");
    ck_assert_int_eq(send_err(e, "s", "{\"b\": 1}", NULL), AD_EMAILBOX);
    /* A batch is all or nothing: the full mailbox refuses all of it. */
    const char *names[] = {"p", "s"};
    json_t *msgs[] = {J("{\"op\": \"x\"}"), J("{\"b\": 1}")};
    int errs[2];
    ck_assert_int_eq(eng_send_many(e, names, msgs, 2, 0, errs, NULL),
                     AD_EINVAL);
    ck_assert_int_eq(errs[0], AD_OK);
    ck_assert_int_eq(errs[1], AD_EMAILBOX);
    json_decref(msgs[0]);
    json_decref(msgs[1]);
    /* From a step: a dead letter, and the step goes on. */
    send(e, "p", "{\"op\": \"send\", \"to\": \"s\", \"msg\": {\"b\": 2}}");
    run(e);
    assert_status(e, "p", "waiting");
    assert_actor(e, "p", "state", "{\"send_rc\": 3}"); /* ACTOR_SENT_REFUSED */
    assert_dead(e, "[[\"p\", \"s\", \"mailbox full\", {\"b\": 2}]]");
    assert_mailbox_counts();
    close_eng(e);
}
END_TEST

START_TEST(test_limit_mailbox_counts)
{
    /* Every way a message comes and goes keeps the stored count true. */
    struct eng_opts o = {.busy_timeout_ms = 50, .max_mailbox = 2};
    struct eng *e = open_eng_opts(&o);
    spawn(e, "t", "twoshape", NULL);
    spawn(e, "s", "selective", NULL);
    run(e);
    for (int round = 0; round < 5; round++) {
        send(e, "t", "{\"inc\": 1}");
        send(e, "t", "{\"inc\": 2}");
        ck_assert_int_eq(send_err(e, "t", "{\"inc\": 3}", NULL), AD_EMAILBOX);
        assert_mailbox_counts();
        run(e);
        assert_mailbox_counts();
    }
    assert_actor(e, "t", "state",
                 "{\"total\": 15, \"matched\": [0, 0, 0, 0, 0, 0, 0, 0, 0, "
                 "0]}");
    send(e, "s", "{\"a\": 1}");
    send(e, "s", "{\"b\": 1}");
    run(e); /* takes b, then a, and exits */
    assert_status(e, "s", "exited");
    assert_mailbox_counts();
    spawn(e, "k", "selective", NULL);
    run(e);
    send(e, "k", "{\"a\": 1}");
    json_t *doc = NULL;
    ck_assert_int_eq(eng_kill(e, "k", &doc), AD_OK);
    json_decref(doc);
    assert_mailbox_counts();
    close_eng(e);
}
END_TEST

START_TEST(test_limit_hops)
{
    /* Two forwarders pointing at each other: a runaway, cut off. */
    struct eng_opts o = {.busy_timeout_ms = 50, .max_hops = 50};
    struct eng *e = open_eng_opts(&o);
    spawn(e, "f1", "forwarder", "{\"to\": \"f2\"}");
    spawn(e, "f2", "forwarder", "{\"to\": \"f1\"}");
    run(e);
    send(e, "f1", "\"ping\"");
    long steps = run(e);
    /* 50 steps deliver, the 51st step's send is cut off. */
    ck_assert_int_eq(steps, 51);
    assert_dead(e, "[[\"f1\", \"f2\", \"hop limit\", \"ping\"]]");
    assert_status(e, "f1", "waiting");
    assert_status(e, "f2", "waiting");
    close_eng(e);
}
END_TEST

START_TEST(test_group_commit)
{
    /* Threads sending at once through one group, beside a thread running
     * the actors: every send answers, each add counts once. */
    struct eng_group *g = eng_group_new();
    ck_assert_ptr_nonnull(g);
    struct eng *e = open_eng();
    spawn(e, "c", "counter", NULL);
    close_eng(e);
    pthread_t t[GROUP_THREADS + 1];
    struct group_ctx c[GROUP_THREADS + 1];
    for (int i = 0; i <= GROUP_THREADS; i++) {
        c[i] = (struct group_ctx){
            .g = g, .which = i, .running = i == GROUP_THREADS};
        ck_assert_int_eq(pthread_create(&t[i], NULL, group_thread, &c[i]), 0);
    }
    for (int i = 0; i <= GROUP_THREADS; i++) {
        pthread_join(t[i], NULL);
        ck_assert_int_eq(c[i].errors, 0);
    }
    eng_group_free(g);
    e = open_eng();
    run(e);
    int want = 0;
    for (int i = 0; i < GROUP_THREADS; i++)
        want += (i + 1) * GROUP_SENDS;
    char state[64];
    snprintf(state, sizeof state, "{\"count\": %d}", want);
    assert_actor(e, "c", "state", state);
    assert_mailbox_counts();
    close_eng(e);
}
END_TEST

START_TEST(test_send_refusals)
{
    /* Refusals from outside store nothing; any JSON value is a message. */
    struct eng_opts o = {.busy_timeout_ms = 50, .max_message = 16};
    struct eng *e = open_eng_opts(&o);
    spawn(e, "c", "collector", NULL);
    ck_assert_int_eq(send_err(e, "c", "\"0123456789abcdef\"", NULL),
                     AD_ETOOLARGE);
    static const char *const any[] = {"1",  "\"s\"", "null", "true",
                                      "[]", "{}",    "-2.5"};
    for (size_t i = 0; i < sizeof any / sizeof any[0]; i++)
        send(e, "c", any[i]);
    /* A batch with one message too large is refused whole. */
    const char *names[] = {"c", "c"};
    json_t *msgs[] = {J("1"), J("\"0123456789abcdef\"")};
    int errs[2] = {-99, -99};
    ck_assert_int_eq(eng_send_many(e, names, msgs, 2, 0, errs, NULL),
                     AD_EINVAL);
    ck_assert_int_eq(errs[0], AD_OK);
    ck_assert_int_eq(errs[1], AD_ETOOLARGE);
    json_decref(msgs[0]);
    json_decref(msgs[1]);
    run(e);
    assert_actor(e, "c", "state",
                 "{\"messages\": [1, \"s\", null, true, [], {}, -2.5]}");
    assert_mailbox_counts();
    close_eng(e);
}
END_TEST

START_TEST(test_send_wakes_only_on_match)
{
    /* A message makes a waiting actor runnable only when it matches the
     * receive it waits in; one sent before the actor waited is matched
     * once it does. */
    struct eng *e = open_eng();
    spawn(e, "s", "selective", NULL);
    send(e, "s", "{\"a\": 1}");
    run(e);
    assert_status(e, "s", "waiting");
    send(e, "s", "{\"c\": 1}");
    assert_status(e, "s", "waiting");
    send(e, "s", "{\"b\": 1}");
    assert_status(e, "s", "runnable");
    run(e);
    assert_actor(e, "s", "result", "[{\"b\": 1}, {\"a\": 1}]");
    assert_dead(e, "[[null, \"s\", \"unread at exit\", {\"c\": 1}]]");
    close_eng(e);
}
END_TEST

START_TEST(test_group_send_alone)
{
    /* One connection in a group: eng_send leads its own batch, and
     * refusals are still its own. */
    struct eng_group *g = eng_group_new();
    ck_assert_ptr_nonnull(g);
    struct eng_opts o = {.busy_timeout_ms = 50, .group = g};
    struct eng *e = open_eng_opts(&o);
    spawn(e, "c", "counter", NULL);
    int64_t seq = 0;
    ck_assert_int_eq(send_err(e, "c", "{\"add\": 2}", &seq), AD_OK);
    ck_assert_int_gt(seq, 0);
    ck_assert_int_eq(send_err(e, "nobody", "1", NULL), AD_ENOTFOUND);
    run(e);
    assert_actor(e, "c", "state", "{\"count\": 2}");
    close_eng(e);
    eng_group_free(g);
    eng_group_free(NULL);
}
END_TEST

static Suite *
eng_delivery_suite(void)
{
    Suite *s = suite_create("eng_delivery");
    TCase *tc;

    tc = tcase("send");
    tcase_add_test(tc, test_send);
    tcase_add_test(tc, test_send_many);
    tcase_add_test(tc, test_send_refusals);
    suite_add_tcase(s, tc);

    tc = tcase("wake");
    tcase_add_test(tc, test_scan_skips_behaviour);
    tcase_add_test(tc, test_send_wakes_only_on_match);
    suite_add_tcase(s, tc);

    tc = tcase("limits");
    tcase_add_test(tc, test_limit_mailbox);
    tcase_add_test(tc, test_limit_mailbox_counts);
    tcase_add_test(tc, test_limit_hops);
    suite_add_tcase(s, tc);

    tc = tcase("group");
    tcase_add_test(tc, test_group_commit);
    tcase_add_test(tc, test_group_send_alone);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    static const struct behavior *const used[] = {&twoshape, &selective,
                                                  &puppet, NULL};
    return run_engine_suite("test_eng_delivery", used, eng_delivery_suite());
}
