/*
 * test_util.c - the Check suite of util/util.c: ISO times (written digit
 * by digit, checked against gmtime_r and strftime) and names.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/util.h"

/* What ad_time_iso must write for ms, made the slow way. */
static void
slow_iso(int64_t ms, char *out, size_t len)
{
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    char head[32];
    strftime(head, sizeof head, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, len, "%s.%03dZ", head, (int)(ms % 1000));
}

static void
check_iso(int64_t ms)
{
    char got[AD_TIME_LEN], want[AD_TIME_LEN];
    slow_iso(ms, want, sizeof want);
    ck_assert_str_eq(ad_time_iso(ms, got), want);
}

START_TEST(test_iso_known)
{
    char buf[AD_TIME_LEN];
    ck_assert_str_eq(ad_time_iso(0, buf), "1970-01-01T00:00:00.000Z");
    ck_assert_str_eq(ad_time_iso(1764045038689LL, buf),
                     "2025-11-25T04:30:38.689Z");
    /* A leap day, the last millisecond of a century year that is not a
     * leap year, and of one that is. */
    ck_assert_str_eq(ad_time_iso(951782400000LL, buf),
                     "2000-02-29T00:00:00.000Z");
    ck_assert_str_eq(ad_time_iso(4107542399999LL, buf),
                     "2100-02-28T23:59:59.999Z");
    ck_assert_str_eq(ad_time_iso(253402300799999LL, buf),
                     "9999-12-31T23:59:59.999Z");
}
END_TEST

START_TEST(test_iso_against_gmtime)
{
    /* The first millisecond of every third day of 1970-2400, the last of
     * every twenty-first, then pseudo-random times over the whole range. */
    for (int64_t day = 0; day < 157000; day += 3) {
        check_iso(day * 86400000LL);
        if (day % 7 == 0)
            check_iso(day * 86400000LL + 86399999LL);
    }
    uint64_t x = 88172645463325252ULL;
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        check_iso((int64_t)(x % 253402300800000ULL));
    }
}
END_TEST

START_TEST(test_iso_outside)
{
    /* Before 1970 and past 9999 take the slow way: still right. */
    check_iso(253402300800000LL);
    char buf[AD_TIME_LEN];
    ck_assert_str_eq(ad_time_iso(253402300800000LL, buf),
                     "10000-01-01T00:00:00.000Z");
}
END_TEST

START_TEST(test_names)
{
    ck_assert(ad_name_valid("c1", 2));
    ck_assert(ad_name_valid("a-._~Z9", 7));
    ck_assert(!ad_name_valid(".", 1));
    ck_assert(!ad_name_valid("..", 2));
    ck_assert(!ad_name_valid("", 0));
    ck_assert(!ad_name_valid("a/b", 3));
    char long_name[130];
    memset(long_name, 'x', sizeof long_name);
    ck_assert(ad_name_valid(long_name, 128));
    ck_assert(!ad_name_valid(long_name, 129));
}
END_TEST

static Suite *
util_suite(void)
{
    Suite *s = suite_create("util");
    TCase *tc = tcase_create("time");
    tcase_add_test(tc, test_iso_known);
    tcase_add_test(tc, test_iso_against_gmtime);
    tcase_add_test(tc, test_iso_outside);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    tc = tcase_create("names");
    tcase_add_test(tc, test_names);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(util_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
