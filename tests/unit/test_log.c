/*
 * test_log.c - the Check suite of util/log.c: the line's head, values
 * quoted and escaped (blanks, quotes, '=', backslashes, newlines, control
 * characters, empty, NULL), each kind of conversion, a line cut short,
 * and the levels: their names and the process-wide filter.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/util.h"

static char line[AD_LOG_LINE];

START_TEST(test_head)
{
    ad_log_format(line, sizeof line, 0, 42, AD_LOG_INFO, "start", NULL);
    ck_assert_str_eq(line, "1970-01-01T00:00:00.000Z actord[42] level=info "
                           "event=start");
    ad_log_format(line, sizeof line, -1, 7, AD_LOG_WARN, "stop", "%s", "");
    ck_assert_str_eq(line, "actord[7] level=warn event=stop \"\"");
}
END_TEST

/* NULL, where the compiler cannot see it is. */
static const char *volatile nothing = NULL;

START_TEST(test_quoting)
{
    ad_log_format(line, sizeof line, -1, 1, AD_LOG_ERROR, "e",
                  "a=%s b=%s c=%s d=%s e=%s f=%s g=%s", "plain", "two words",
                  "say \"hi\"", "k=v", "back\\slash", "", nothing);
    ck_assert_str_eq(line, "actord[1] level=error event=e a=plain "
                           "b=\"two words\" c=\"say \\\"hi\\\"\" d=\"k=v\" "
                           "e=\"back\\\\slash\" f=\"\" g=-");
    ad_log_format(line, sizeof line, -1, 1, AD_LOG_INFO, "e", "m=%s",
                  "one\ntwo\r\tthree\x01");
    ck_assert_str_eq(line, "actord[1] level=info event=e "
                           "m=\"one\\ntwo\\r\\tthree\\x01\"");
    ck_assert_ptr_null(strchr(line, '\n'));
    /* The text of fmt is copied as is; a literal %. */
    ad_log_format(line, sizeof line, -1, 1, AD_LOG_INFO, "e", "p=100%% q=%s",
                  "x y");
    ck_assert_str_eq(line, "actord[1] level=info event=e p=100% q=\"x y\"");
}
END_TEST

START_TEST(test_conversions)
{
    ad_log_format(line, sizeof line, -1, 1, AD_LOG_DEBUG, "n",
                  "i=%d l=%ld ll=%lld u=%u z=%zu o=%04o x=%x c=%c s=%.3s", -3,
                  123456789L, -9000000000LL, 7u, (size_t)42, 0660u, 255u, 'q',
                  "abcdef");
    ck_assert_str_eq(line, "actord[1] level=debug event=n i=-3 l=123456789 "
                           "ll=-9000000000 u=7 z=42 o=0660 x=ff c=q s=abc");
}
END_TEST

START_TEST(test_cut)
{
    char small[40];
    size_t n = ad_log_format(small, sizeof small, -1, 1, AD_LOG_INFO, "e",
                             "m=%s", "a long value that does not fit here");
    ck_assert_uint_eq(n, strlen(small));
    ck_assert_uint_eq(n, sizeof small - 1);
    ck_assert_str_eq(small + n - 3, "...");
}
END_TEST

START_TEST(test_levels)
{
    ck_assert_int_eq(ad_log_level_parse("debug"), AD_LOG_DEBUG);
    ck_assert_int_eq(ad_log_level_parse("info"), AD_LOG_INFO);
    ck_assert_int_eq(ad_log_level_parse("warn"), AD_LOG_WARN);
    ck_assert_int_eq(ad_log_level_parse("error"), AD_LOG_ERROR);
    ck_assert_int_eq(ad_log_level_parse("warning"), -1);
    ck_assert_int_eq(ad_log_level_parse(""), -1);
    ck_assert_str_eq(ad_log_level_name(AD_LOG_WARN), "warn");
    ck_assert_str_eq(ad_log_level_name(9), "?");
    /* info by default */
    ck_assert(!ad_log_enabled(AD_LOG_DEBUG));
    ck_assert(ad_log_enabled(AD_LOG_INFO));
    ad_log_set_level(AD_LOG_WARN);
    ck_assert(!ad_log_enabled(AD_LOG_INFO));
    ck_assert(ad_log_enabled(AD_LOG_WARN));
    ck_assert(ad_log_enabled(AD_LOG_ERROR));
    ad_log_set_level(AD_LOG_OFF);
    ck_assert(!ad_log_enabled(AD_LOG_ERROR));
    ad_log_set_level(AD_LOG_INFO);
}
END_TEST

/* What ad_log writes on stderr: filtered lines are not written at all. */
START_TEST(test_filtered)
{
    char path[] = "/tmp/test_log.XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    fflush(stderr);
    int saved = dup(2);
    dup2(fd, 2);
    ad_log_set_level(AD_LOG_WARN);
    ad_log(AD_LOG_INFO, "hidden", "k=%d", 1);
    ad_log(AD_LOG_WARN, "shown", "k=%s", "a b");
    ad_log_set_level(AD_LOG_INFO);
    dup2(saved, 2);
    close(saved);
    char buf[512] = {0};
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    close(fd);
    unlink(path);
    ck_assert_int_gt(n, 0);
    ck_assert_ptr_null(strstr(buf, "hidden"));
    ck_assert_ptr_nonnull(strstr(buf, " level=warn event=shown k=\"a b\"\n"));
    /* One line: its only newline is the last byte. */
    ck_assert_ptr_eq(strchr(buf, '\n'), buf + n - 1);
}
END_TEST

static Suite *
log_suite(void)
{
    Suite *s = suite_create("log");
    TCase *tc = tcase_create("format");
    tcase_add_test(tc, test_head);
    tcase_add_test(tc, test_quoting);
    tcase_add_test(tc, test_conversions);
    tcase_add_test(tc, test_cut);
    tcase_add_test(tc, test_levels);
    tcase_add_test(tc, test_filtered);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(log_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
