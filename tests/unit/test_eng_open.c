/*
 * test_eng_open.c - the Check suite of engine/open.c: eng_open before
 * eng_init and on a schema too new, eng_open_why's reason, eng_close,
 * reopening, eng_health, eng_changed, eng_errmsg and eng_unstrand.
 */
#include "engine/engine.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "actord/behavior.h"
#include "tests/unit/engutil.h"

START_TEST(test_open_newer_schema)
{
    raw_sql("PRAGMA user_version = 999");
    struct eng *e = NULL;
    ck_assert_int_eq(eng_open(db.path, NULL, &e), AD_ESCHEMA);
    ck_assert_ptr_null(e);
    eng_close(NULL);
}
END_TEST

/* eng_open_why passes the store's reason on: the folder at fault. */
START_TEST(test_open_why)
{
    char path[300], why[512];
    struct eng *e = NULL;
    snprintf(path, sizeof path, "%s/missing/x.db", db.dir);
    ck_assert_int_eq(eng_open_why(path, NULL, &e, why, sizeof why), AD_EIO);
    ck_assert_ptr_null(e);
    ck_assert_ptr_nonnull(strstr(why, "unable to open database file ("));
    ck_assert_ptr_nonnull(strstr(why, "/missing: No such file or directory)"));
}
END_TEST

START_TEST(test_open_health)
{
    struct eng *e = open_eng();
    ck_assert_int_eq(eng_health(e), AD_OK);
    ck_assert_int_eq(eng_changed(e), 0);
    close_eng(e);
}
END_TEST

/* What eng_open answered in main, before run_suite's eng_init, and
 * whether it left a database behind.  Forked tests inherit them. */
static int open_before_init = -1;
static int open_before_init_made_db = -1;

START_TEST(test_open_before_init)
{
    ck_assert_int_eq(open_before_init, AD_EINVAL);
    ck_assert_int_eq(open_before_init_made_db, 0);
}
END_TEST

START_TEST(test_open_changed)
{
    /* eng_changed tells of another connection's commit, once. */
    struct eng *e = open_eng();
    spawn(e, "c", "collector", NULL);
    ck_assert_int_eq(eng_changed(e), 0);
    struct eng *other = NULL;
    ck_assert_int_eq(eng_open(db.path, NULL, &other), AD_OK);
    json_t *m = J("1");
    ck_assert_int_eq(eng_send(other, "c", m, NULL), AD_OK);
    json_decref(m);
    eng_close(other);
    ck_assert_int_eq(eng_changed(e), 1);
    ck_assert_int_eq(eng_changed(e), 0);
    /* Its own commits do not count. */
    send(e, "c", "2");
    ck_assert_int_eq(eng_changed(e), 0);
    ck_assert_ptr_nonnull(eng_errmsg(e));
    close_eng(e);
}
END_TEST

START_TEST(test_open_reopen_keeps_everything)
{
    /* Closing and opening again, with other options, loses nothing;
     * options of 0 take the defaults. */
    struct eng_opts zero = {0};
    struct eng *e = open_eng_opts(&zero);
    spawn(e, "c", "counter", "{\"start\": 2}");
    run(e);
    send(e, "c", "{\"add\": 3}");
    close_eng(e);
    struct eng_opts o = {
        .busy_timeout_ms = 50, .sync_full = 1, .batch_steps = 1, .batch_ms = 1};
    e = open_eng_opts(&o);
    assert_status(e, "c", "runnable");
    run(e);
    assert_actor(e, "c", "state", "{\"count\": 5}");
    ck_assert_int_eq(eng_health(e), AD_OK);
    close_eng(e);
}
END_TEST

START_TEST(test_open_unstrand)
{
    /* eng_unstrand makes every stranded actor runnable: one whose
     * behaviour this build knows again runs; one it still does not know
     * strands again, and keeps its mail. */
    struct eng *e = open_eng();
    spawn(e, "t", "twoshape", NULL);
    spawn(e, "u", "twoshape", NULL);
    run(e);
    raw_sql("UPDATE actors SET version = 5");
    send(e, "t", "{\"inc\": 2}");
    send(e, "u", "{\"inc\": 3}");
    run(e);
    assert_status(e, "t", "stranded");
    assert_status(e, "u", "stranded");
    close_eng(e);
    /* As after an upgrade: t's version is known again, u's is not. */
    raw_sql("UPDATE actors SET version = 1 WHERE name = 't'");
    e = open_eng();
    ck_assert_int_eq(eng_unstrand(e), AD_OK);
    assert_status(e, "t", "runnable");
    assert_status(e, "u", "runnable");
    run(e);
    assert_actor(e, "t", "state", "{\"total\": 2, \"matched\": [0]}");
    assert_status(e, "t", "waiting");
    assert_status(e, "u", "stranded");
    assert_mailbox(e, "u", "[{\"inc\": 3}]");
    /* Nothing stranded: nothing to do. */
    raw_sql("UPDATE actors SET version = 1 WHERE name = 'u'");
    ck_assert_int_eq(eng_unstrand(e), AD_OK);
    ck_assert_int_eq(eng_unstrand(e), AD_OK);
    run(e);
    assert_actor(e, "u", "state", "{\"total\": 3, \"matched\": [0]}");
    close_eng(e);
}
END_TEST

static Suite *
eng_open_suite(void)
{
    Suite *s = suite_create("eng_open");
    TCase *tc;

    tc = tcase("open");
    tcase_add_test(tc, test_open_before_init);
    tcase_add_test(tc, test_open_newer_schema);
    tcase_add_test(tc, test_open_why);
    tcase_add_test(tc, test_open_health);
    tcase_add_test(tc, test_open_changed);
    tcase_add_test(tc, test_open_reopen_keeps_everything);
    suite_add_tcase(s, tc);

    tc = tcase("unstrand");
    tcase_add_test(tc, test_open_unstrand);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    static const struct behavior *const used[] = {&twoshape, NULL};
    /* eng_open before eng_init (run_suite calls it) is refused, and
     * creates nothing. */
    struct eng *e = NULL;
    char dir[] = "/tmp/actord-open-XXXXXX", path[64];
    if (mkdtemp(dir) != NULL) {
        snprintf(path, sizeof path, "%s/test.db", dir);
        open_before_init = eng_open(path, NULL, &e);
        open_before_init_made_db = access(path, F_OK) == 0;
        eng_close(e);
        unlink(path);
        rmdir(dir);
    }
    return run_engine_suite("test_eng_open", used, eng_open_suite());
}
