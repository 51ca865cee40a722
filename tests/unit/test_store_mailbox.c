/*
 * test_store_mailbox.c - the suite of store/mailbox.c: appending (seqs,
 * the stored count, waking), scanning, taking, counting, and burying a
 * mailbox in the dead letters.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "store/store.h"
#include "tests/unit/test_store.h"

START_TEST(test_mailbox_seq_increases)
{
    struct store *s = open_store();
    int64_t id = add_actor(s, "m", "collector", STORE_WAITING, 1);
    int64_t s1 = append(s, id, "1");
    int64_t s2 = append(s, id, "2");
    int64_t s3 = append(s, id, "3");
    ck_assert_int_gt(s2, s1);
    ck_assert_int_gt(s3, s2);
    /* Taking the newest message must not free its seq (AUTOINCREMENT). */
    ck_assert_int_eq(store_mailbox_take(s, s3), AD_OK);
    int64_t s4 = append(s, id, "4");
    ck_assert_int_gt(s4, s3);
    ck_assert_int_eq(store_mailbox_take(s, s1), AD_OK);
    ck_assert_int_eq(store_mailbox_take(s, s2), AD_OK);
    ck_assert_int_eq(store_mailbox_take(s, s4), AD_OK);
    int64_t n = -1;
    ck_assert_int_eq(store_mailbox_count(s, id, &n), AD_OK);
    ck_assert_int_eq(n, 0);
    /* Empty table, and after a reopen: still no reuse. */
    close_store(s);
    s = open_store();
    int64_t s5 = append(s, id, "5");
    ck_assert_int_gt(s5, s4);
    close_store(s);
}
END_TEST

struct scan_log {
    int n;
    int stop_at; /* return 1 on this call (1-based); 0: never */
    int64_t seqs[16];
    char bodies[16][32];
    char senders[16][16];
};

static int
scan_cb(void *ctx, int64_t seq, const char *sender, const char *body,
        size_t len, int64_t hops)
{
    (void)hops;
    struct scan_log *l = ctx;
    ck_assert_int_lt(l->n, 16);
    ck_assert_uint_lt(len, sizeof l->bodies[0]);
    l->seqs[l->n] = seq;
    memcpy(l->bodies[l->n], body, len);
    l->bodies[l->n][len] = '\0';
    snprintf(l->senders[l->n], sizeof l->senders[0], "%s",
             sender ? sender : "(null)");
    l->n++;
    return l->n == l->stop_at ? 1 : 0;
}

START_TEST(test_mailbox_scan)
{
    struct store *s = open_store();
    int64_t id = add_actor(s, "m", "collector", STORE_WAITING, 1);
    int64_t other = add_actor(s, "o", "collector", STORE_WAITING, 1);
    int64_t seq[5];
    const char *const bodies[5] = {"\"a\"", "\"b\"", "\"c\"", "\"d\"", "\"e\""};
    for (int i = 0; i < 5; i++) {
        if (i == 2)
            append(s, other, "\"other\"");
        /* The length is what counts, not the NUL: trailing bytes are
         * not stored. */
        char buf[16];
        snprintf(buf, sizeof buf, "%sJUNK", bodies[i]);
        ck_assert_int_eq(store_mailbox_append(s, id, i == 1 ? "bob" : NULL, buf,
                                              strlen(bodies[i]), 5, 0, 0,
                                              &seq[i]),
                         AD_OK);
    }

    struct scan_log l = {0};
    ck_assert_int_eq(store_mailbox_scan(s, id, 0, 0, scan_cb, &l), AD_OK);
    ck_assert_int_eq(l.n, 5);
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(l.seqs[i], seq[i]);
        ck_assert_str_eq(l.bodies[i], bodies[i]);
    }
    ck_assert_str_eq(l.senders[0], "(null)");
    ck_assert_str_eq(l.senders[1], "bob");

    /* after: only seqs greater than it. */
    memset(&l, 0, sizeof l);
    ck_assert_int_eq(store_mailbox_scan(s, id, seq[2], 0, scan_cb, &l), AD_OK);
    ck_assert_int_eq(l.n, 2);
    ck_assert_int_eq(l.seqs[0], seq[3]);
    ck_assert_int_eq(l.seqs[1], seq[4]);

    /* limit. */
    memset(&l, 0, sizeof l);
    ck_assert_int_eq(store_mailbox_scan(s, id, seq[0], 2, scan_cb, &l), AD_OK);
    ck_assert_int_eq(l.n, 2);
    ck_assert_int_eq(l.seqs[0], seq[1]);
    ck_assert_int_eq(l.seqs[1], seq[2]);

    /* The callback stops the scan by returning 1; the scan answers 0. */
    memset(&l, 0, sizeof l);
    l.stop_at = 3;
    ck_assert_int_eq(store_mailbox_scan(s, id, 0, 0, scan_cb, &l), AD_OK);
    ck_assert_int_eq(l.n, 3);
    ck_assert_int_eq(l.seqs[2], seq[2]);

    /* An unknown actor has an empty mailbox. */
    memset(&l, 0, sizeof l);
    ck_assert_int_eq(store_mailbox_scan(s, 9999, 0, 0, scan_cb, &l), AD_OK);
    ck_assert_int_eq(l.n, 0);
    close_store(s);
}
END_TEST

static int
scan_fail_cb(void *ctx, int64_t seq, const char *sender, const char *body,
             size_t len, int64_t hops)
{
    (void)hops;
    (void)seq;
    (void)sender;
    (void)body;
    (void)len;
    int *calls = ctx;
    (*calls)++;
    return AD_ENOMEM;
}

START_TEST(test_mailbox_scan_error_stops)
{
    struct store *s = open_store();
    int64_t id = add_actor(s, "m", "collector", STORE_WAITING, 1);
    append(s, id, "1");
    append(s, id, "2");
    int calls = 0;
    ck_assert_int_eq(store_mailbox_scan(s, id, 0, 0, scan_fail_cb, &calls),
                     AD_ENOMEM);
    ck_assert_int_eq(calls, 1);
    /* The statement was reset: the next scan works. */
    struct scan_log l = {0};
    ck_assert_int_eq(store_mailbox_scan(s, id, 0, 0, scan_cb, &l), AD_OK);
    ck_assert_int_eq(l.n, 2);
    close_store(s);
}
END_TEST

START_TEST(test_mailbox_count)
{
    struct store *s = open_store();
    int64_t a = add_actor(s, "a", "collector", STORE_WAITING, 1);
    int64_t b = add_actor(s, "b", "collector", STORE_WAITING, 1);
    int64_t n = -1;
    ck_assert_int_eq(store_mailbox_count(s, a, &n), AD_OK);
    ck_assert_int_eq(n, 0);
    int64_t s1 = append(s, a, "1");
    append(s, a, "2");
    append(s, b, "3");
    ck_assert_int_eq(store_mailbox_count(s, a, &n), AD_OK);
    ck_assert_int_eq(n, 2);
    ck_assert_int_eq(store_mailbox_count(s, b, &n), AD_OK);
    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(store_mailbox_take(s, s1), AD_OK);
    ck_assert_int_eq(store_mailbox_count(s, a, &n), AD_OK);
    ck_assert_int_eq(n, 1);
    close_store(s);
}
END_TEST

/* An append counts the message in the actor's row; with wake it also
 * makes the actor runnable, updated at now.  sender and hops are kept. */
START_TEST(test_mailbox_append_wake)
{
    struct store *s = open_store();
    int64_t id = add_actor(s, "w", "collector", STORE_WAITING, 1);
    ck_assert_int_eq(store_mailbox_append(s, id, "bob", "1", 1, 50, 3, 0, NULL),
                     AD_OK);
    struct store_actor a = {0};
    ck_assert_int_eq(store_actor_by_id(s, id, &a), AD_OK);
    ck_assert_int_eq(a.status, STORE_WAITING);
    ck_assert_int_eq(a.updated, 1);
    ck_assert_int_eq(a.mailbox, 1);
    store_actor_release(&a);

    int64_t seq = 0;
    ck_assert_int_eq(store_mailbox_append(s, id, NULL, "2", 1, 60, 0, 1, &seq),
                     AD_OK);
    ck_assert_int_gt(seq, 0);
    ck_assert_int_eq(store_actor_by_id(s, id, &a), AD_OK);
    ck_assert_int_eq(a.status, STORE_RUNNABLE);
    ck_assert_int_eq(a.updated, 60);
    ck_assert_int_eq(a.mailbox, 2);
    store_actor_release(&a);

    ck_assert_int_eq(db_int("SELECT hops FROM messages WHERE sender = 'bob'"),
                     3);
    ck_assert_int_eq(db_int("SELECT created FROM messages WHERE sender = "
                            "'bob'"),
                     50);
    close_store(s);
}
END_TEST

/* hops reaches the scan callback. */
static int
hops_cb(void *ctx, int64_t seq, const char *sender, const char *body,
        size_t len, int64_t hops)
{
    (void)seq;
    (void)sender;
    (void)body;
    (void)len;
    *(int64_t *)ctx = hops;
    return 1;
}

START_TEST(test_mailbox_scan_hops)
{
    struct store *s = open_store();
    int64_t id = add_actor(s, "h", "collector", STORE_WAITING, 1);
    ck_assert_int_eq(store_mailbox_append(s, id, NULL, "1", 1, 1, 7, 0, NULL),
                     AD_OK);
    int64_t hops = -1;
    ck_assert_int_eq(store_mailbox_scan(s, id, 0, 0, hops_cb, &hops), AD_OK);
    ck_assert_int_eq(hops, 7);
    close_store(s);
}
END_TEST

/* bury moves every message, in order, to the dead letters addressed to
 * target with reason, and the stored count becomes 0; another actor's
 * mail stays. */
START_TEST(test_mailbox_bury)
{
    struct store *s = open_store();
    int64_t id = add_actor(s, "b", "collector", STORE_WAITING, 1);
    int64_t other = add_actor(s, "o", "collector", STORE_WAITING, 1);
    ck_assert_int_eq(
        store_mailbox_append(s, id, "x", "\"one\"", 5, 1, 0, 0, NULL), AD_OK);
    append(s, other, "\"keep\"");
    append(s, id, "\"two\"");
    ck_assert_int_eq(store_mailbox_bury(s, id, "b", "unread at exit", 99),
                     AD_OK);

    int64_t n = -1;
    ck_assert_int_eq(store_mailbox_count(s, id, &n), AD_OK);
    ck_assert_int_eq(n, 0);
    int64_t mailbox = -1;
    int ties = 0;
    ck_assert_int_eq(store_actor_ties(s, id, &mailbox, &ties), AD_OK);
    ck_assert_int_eq(mailbox, 0);
    ck_assert_int_eq(store_mailbox_count(s, other, &n), AD_OK);
    ck_assert_int_eq(n, 1);

    sqlite3 *raw = raw_open(db.path);
    char text[64];
    ck_assert_int_eq(raw_int(raw, "SELECT count(*) FROM dead_letters"), 2);
    raw_text(raw,
             "SELECT group_concat(body, ',') FROM (SELECT body FROM "
             "dead_letters ORDER BY seq)",
             text, sizeof text);
    ck_assert_str_eq(text, "\"one\",\"two\"");
    ck_assert_int_eq(raw_int(raw, "SELECT count(*) FROM dead_letters WHERE "
                                  "target = 'b' AND reason = 'unread at "
                                  "exit' AND created = 99"),
                     2);
    raw_text(raw, "SELECT sender FROM dead_letters ORDER BY seq LIMIT 1", text,
             sizeof text);
    ck_assert_str_eq(text, "x");
    sqlite3_close(raw);

    /* An empty mailbox buries nothing. */
    ck_assert_int_eq(store_mailbox_bury(s, id, "b", "again", 100), AD_OK);
    ck_assert_int_eq(db_int("SELECT count(*) FROM dead_letters"), 2);
    close_store(s);
}
END_TEST

static Suite *
mailbox_suite(void)
{
    Suite *s = suite_create("store_mailbox");
    TCase *tc = tcase("mailbox");
    tcase_add_test(tc, test_mailbox_seq_increases);
    tcase_add_test(tc, test_mailbox_append_wake);
    tcase_add_test(tc, test_mailbox_scan);
    tcase_add_test(tc, test_mailbox_scan_hops);
    tcase_add_test(tc, test_mailbox_scan_error_stops);
    tcase_add_test(tc, test_mailbox_count);
    tcase_add_test(tc, test_mailbox_bury);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return run_suite(mailbox_suite());
}
