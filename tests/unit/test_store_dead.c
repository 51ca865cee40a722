/*
 * test_store_dead.c - the suite of store/dead.c: adding dead letters,
 * listing them in pages, and collecting them.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "store/store.h"
#include "tests/unit/test_store.h"

/* What the list callback saw. */
struct seen {
    int n;
    int fail_at; /* return AD_EINVAL on this call (1-based); 0: never */
    int64_t seq[16];
    char line[16][96]; /* sender|target|reason|body|created */
};

static int
dead_cb(void *ctx, const struct store_dead *d)
{
    struct seen *l = ctx;
    ck_assert_int_lt(l->n, 16);
    l->seq[l->n] = d->seq;
    snprintf(l->line[l->n], sizeof l->line[0], "%s|%s|%s|%.*s|%lld",
             d->sender ? d->sender : "(null)", d->target, d->reason,
             (int)d->body_len, d->body, (long long)d->created);
    l->n++;
    return l->n == l->fail_at ? AD_EINVAL : AD_OK;
}

/* Adds n letters "0".."n-1" for target t. */
static void
add_letters(struct store *s, int n)
{
    char body[16];
    for (int i = 0; i < n; i++) {
        snprintf(body, sizeof body, "%dJUNK", i);
        ck_assert_int_eq(store_dead_letter_add(s, i % 2 ? "from" : NULL, "t",
                                               "no such actor", body,
                                               strlen(body) - 4, 100 + i),
                         AD_OK);
    }
}

START_TEST(test_dead_add_and_list)
{
    struct store *s = open_store();
    add_letters(s, 3);
    struct seen l = {0};
    int more = -1;
    ck_assert_int_eq(store_dead_letter_list(s, 0, 10, dead_cb, &l, &more),
                     AD_OK);
    ck_assert_int_eq(l.n, 3);
    ck_assert_int_eq(more, 0);
    /* Only len bytes of the body are kept. */
    ck_assert_str_eq(l.line[0], "(null)|t|no such actor|0|100");
    ck_assert_str_eq(l.line[1], "from|t|no such actor|1|101");
    ck_assert_str_eq(l.line[2], "(null)|t|no such actor|2|102");
    ck_assert_int_lt(l.seq[0], l.seq[1]);
    ck_assert_int_lt(l.seq[1], l.seq[2]);
    close_store(s);
}
END_TEST

START_TEST(test_dead_list_pages)
{
    struct store *s = open_store();
    add_letters(s, 5);
    struct seen l = {0};
    int more = -1;
    ck_assert_int_eq(store_dead_letter_list(s, 0, 2, dead_cb, &l, &more),
                     AD_OK);
    ck_assert_int_eq(l.n, 2);
    ck_assert_int_eq(more, 1);
    int64_t after = l.seq[1];
    memset(&l, 0, sizeof l);
    ck_assert_int_eq(store_dead_letter_list(s, after, 2, dead_cb, &l, &more),
                     AD_OK);
    ck_assert_int_eq(l.n, 2);
    ck_assert_int_eq(more, 1);
    ck_assert_int_gt(l.seq[0], after);
    after = l.seq[1];
    memset(&l, 0, sizeof l);
    ck_assert_int_eq(store_dead_letter_list(s, after, 2, dead_cb, &l, &more),
                     AD_OK);
    ck_assert_int_eq(l.n, 1);
    ck_assert_int_eq(more, 0);
    ck_assert_str_eq(l.line[0], "(null)|t|no such actor|4|104");

    /* The callback stops the listing with its error. */
    memset(&l, 0, sizeof l);
    l.fail_at = 2;
    ck_assert_int_eq(store_dead_letter_list(s, 0, 10, dead_cb, &l, &more),
                     AD_EINVAL);
    ck_assert_int_eq(l.n, 2);
    close_store(s);
}
END_TEST

START_TEST(test_dead_collect)
{
    struct store *s = open_store();
    add_letters(s, 4);
    struct seen l = {0};
    int more = 0;
    ck_assert_int_eq(store_dead_letter_list(s, 0, 10, dead_cb, &l, &more),
                     AD_OK);
    int64_t n = -1;
    ck_assert_int_eq(store_dead_letter_collect(s, l.seq[1], &n), AD_OK);
    ck_assert_int_eq(n, 2);
    ck_assert_int_eq(db_int("SELECT count(*) FROM dead_letters"), 2);
    memset(&l, 0, sizeof l);
    ck_assert_int_eq(store_dead_letter_list(s, 0, 10, dead_cb, &l, &more),
                     AD_OK);
    ck_assert_int_eq(l.n, 2);
    ck_assert_str_eq(l.line[0], "(null)|t|no such actor|2|102");
    ck_assert_int_eq(store_dead_letter_collect(s, l.seq[1], NULL), AD_OK);
    ck_assert_int_eq(store_dead_letter_collect(s, l.seq[1], &n), AD_OK);
    ck_assert_int_eq(n, 0);
    ck_assert_int_eq(db_int("SELECT count(*) FROM dead_letters"), 0);
    close_store(s);
}
END_TEST

/* store_dead_letter_expire: the oldest buried before the cutoff, up
 * to limit a call. */
START_TEST(test_dead_expire)
{
    struct store *s = open_store();
    add_letters(s, 5); /* created 100..104 */
    int64_t n = -1;
    ck_assert_int_eq(store_dead_letter_expire(s, 100, 10, &n), AD_OK);
    ck_assert_int_eq(n, 0);
    ck_assert_int_eq(store_dead_letter_expire(s, 104, 2, &n), AD_OK);
    ck_assert_int_eq(n, 2);
    ck_assert_int_eq(db_int("SELECT min(created) FROM dead_letters"), 102);
    ck_assert_int_eq(store_dead_letter_expire(s, 104, 10, &n), AD_OK);
    ck_assert_int_eq(n, 2);
    ck_assert_int_eq(db_int("SELECT count(*) FROM dead_letters"), 1);
    ck_assert_int_eq(store_dead_letter_expire(s, 1000, 10, NULL), AD_OK);
    ck_assert_int_eq(db_int("SELECT count(*) FROM dead_letters"), 0);
    close_store(s);
}
END_TEST

static Suite *
dead_suite(void)
{
    Suite *s = suite_create("store_dead");
    TCase *tc = tcase("dead_letters");
    tcase_add_test(tc, test_dead_add_and_list);
    tcase_add_test(tc, test_dead_list_pages);
    tcase_add_test(tc, test_dead_collect);
    tcase_add_test(tc, test_dead_expire);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return run_suite(dead_suite());
}
