/*
 * test_store_ties.c - the suite of store/ties.c: monitors (add once per
 * pair, take returns the watchers and clears), links (both ways, once;
 * remove; take returns the linked actors and clears both ways) and the
 * trap_exit flag.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "tests/unit/test_store.h"

/* Frees what store_monitor_take returned. */
static void
free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

START_TEST(test_monitor_add_and_take)
{
    struct store *s = open_store();
    int64_t t = add_actor(s, "target", "counter", STORE_WAITING, 1);
    int64_t w2 = add_actor(s, "w2", "counter", STORE_WAITING, 1);
    int64_t w1 = add_actor(s, "w1", "counter", STORE_WAITING, 1);
    int64_t other = add_actor(s, "other", "counter", STORE_WAITING, 1);
    ck_assert_int_eq(store_monitor_add(s, t, w1), AD_OK);
    ck_assert_int_eq(store_monitor_add(s, t, w2), AD_OK);
    ck_assert_int_eq(store_monitor_add(s, t, w1), AD_OK); /* once a pair */
    ck_assert_int_eq(store_monitor_add(s, other, w1), AD_OK);
    ck_assert_int_eq(db_int("SELECT count(*) FROM monitors"), 3);

    char **names = NULL;
    size_t n = 0;
    ck_assert_int_eq(store_monitor_take(s, t, &names, &n), AD_OK);
    ck_assert_uint_eq(n, 2);
    /* In watcher order: w2 was inserted first. */
    ck_assert_str_eq(names[0], "w2");
    ck_assert_str_eq(names[1], "w1");
    free_names(names, n);

    /* Taken: a second take finds none; the other target's watch stays. */
    ck_assert_int_eq(store_monitor_take(s, t, &names, &n), AD_OK);
    ck_assert_uint_eq(n, 0);
    ck_assert_ptr_null(names);
    ck_assert_int_eq(db_int("SELECT count(*) FROM monitors"), 1);
    ck_assert_int_eq(store_monitor_take(s, other, &names, &n), AD_OK);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(names[0], "w1");
    free_names(names, n);
    close_store(s);
}
END_TEST

START_TEST(test_link_add_and_remove)
{
    struct store *s = open_store();
    int64_t a = add_actor(s, "a", "counter", STORE_WAITING, 1);
    int64_t b = add_actor(s, "b", "counter", STORE_WAITING, 1);
    int64_t c = add_actor(s, "c", "counter", STORE_WAITING, 1);
    ck_assert_int_eq(store_link_add(s, a, b), AD_OK);
    ck_assert_int_eq(store_link_add(s, b, a), AD_OK); /* once */
    ck_assert_int_eq(store_link_add(s, a, c), AD_OK);
    ck_assert_int_eq(db_int("SELECT count(*) FROM links"), 4);
    /* Removing works from either end, both ways, and only that pair. */
    ck_assert_int_eq(store_link_remove(s, b, a), AD_OK);
    ck_assert_int_eq(db_int("SELECT count(*) FROM links"), 2);
    ck_assert_int_eq(db_int("SELECT count(*) FROM links WHERE a = 1 AND "
                            "b = 3"),
                     1);
    /* Removing a link that is not there is no error. */
    ck_assert_int_eq(store_link_remove(s, b, c), AD_OK);
    close_store(s);
}
END_TEST

START_TEST(test_link_take)
{
    struct store *s = open_store();
    int64_t a = add_actor(s, "a", "counter", STORE_WAITING, 1);
    int64_t c = add_actor(s, "c", "counter", STORE_WAITING, 1);
    int64_t b = add_actor(s, "b", "counter", STORE_WAITING, 1);
    int64_t d = add_actor(s, "d", "counter", STORE_WAITING, 1);
    ck_assert_int_eq(store_link_add(s, a, b), AD_OK);
    ck_assert_int_eq(store_link_add(s, c, a), AD_OK);
    ck_assert_int_eq(store_link_add(s, c, d), AD_OK);
    ck_assert_int_eq(store_set_trap_exit(s, b, 1), AD_OK);

    struct store_link *l = NULL;
    size_t n = 0;
    ck_assert_int_eq(store_link_take(s, a, &l, &n), AD_OK);
    ck_assert_uint_eq(n, 2);
    /* In id order, with each one's name and trap_exit. */
    ck_assert_int_eq(l[0].id, c);
    ck_assert_str_eq(l[0].name, "c");
    ck_assert_int_eq(l[0].trap_exit, 0);
    ck_assert_int_eq(l[1].id, b);
    ck_assert_str_eq(l[1].name, "b");
    ck_assert_int_eq(l[1].trap_exit, 1);
    store_links_free(l, n);

    /* Gone both ways; c's link to d stays. */
    ck_assert_int_eq(db_int("SELECT count(*) FROM links WHERE a = 1 OR "
                            "b = 1"),
                     0);
    ck_assert_int_eq(db_int("SELECT count(*) FROM links"), 2);
    ck_assert_int_eq(store_link_take(s, a, &l, &n), AD_OK);
    ck_assert_uint_eq(n, 0);
    ck_assert_ptr_null(l);
    store_links_free(NULL, 0);
    close_store(s);
}
END_TEST

START_TEST(test_trap_exit)
{
    struct store *s = open_store();
    int64_t a = add_actor(s, "a", "counter", STORE_WAITING, 1);
    int on = -1;
    ck_assert_int_eq(store_trap_exit(s, a, &on), AD_OK);
    ck_assert_int_eq(on, 0);
    ck_assert_int_eq(store_set_trap_exit(s, a, 5), AD_OK); /* any true */
    ck_assert_int_eq(store_trap_exit(s, a, &on), AD_OK);
    ck_assert_int_eq(on, 1);
    ck_assert_int_eq(store_set_trap_exit(s, a, 0), AD_OK);
    ck_assert_int_eq(store_trap_exit(s, a, &on), AD_OK);
    ck_assert_int_eq(on, 0);
    ck_assert_int_eq(store_trap_exit(s, 999, &on), AD_ENOTFOUND);
    close_store(s);
}
END_TEST

/* What store_ties_list saw: "KIND:name" joined, W watcher, T
 * watching, L linked. */
static int
tie_seen(void *ctx, enum store_tie_kind kind, const char *name)
{
    char *line = ctx;
    size_t used = strlen(line);
    snprintf(line + used, 256 - used, "%s%c:%s", used ? " " : "",
             kind == STORE_WATCHED_BY ? 'W'
             : kind == STORE_WATCHING ? 'T'
                                      : 'L',
             name);
    return strcmp(name, "stop") == 0 ? AD_EINVAL : AD_OK;
}

START_TEST(test_ties_list)
{
    struct store *s = open_store();
    int64_t a = add_actor(s, "a", "counter", STORE_WAITING, 1);
    int64_t w2 = add_actor(s, "w2", "counter", STORE_WAITING, 1);
    int64_t w1 = add_actor(s, "w1", "counter", STORE_WAITING, 1);
    int64_t t = add_actor(s, "t", "counter", STORE_WAITING, 1);
    int64_t l = add_actor(s, "l", "counter", STORE_WAITING, 1);
    int64_t stop = add_actor(s, "stop", "counter", STORE_WAITING, 1);
    ck_assert_int_eq(store_monitor_add(s, a, w1), AD_OK);
    ck_assert_int_eq(store_monitor_add(s, a, w2), AD_OK);
    ck_assert_int_eq(store_monitor_add(s, t, a), AD_OK);
    ck_assert_int_eq(store_link_add(s, a, l), AD_OK);
    char line[256] = "";
    ck_assert_int_eq(store_ties_list(s, a, tie_seen, line), AD_OK);
    ck_assert_str_eq(line, "W:w2 W:w1 T:t L:l");
    line[0] = '\0';
    ck_assert_int_eq(store_ties_list(s, l, tie_seen, line), AD_OK);
    ck_assert_str_eq(line, "L:a");
    line[0] = '\0';
    ck_assert_int_eq(store_ties_list(s, w1, tie_seen, line), AD_OK);
    ck_assert_str_eq(line, "T:a");
    /* The callback's error stops the list. */
    ck_assert_int_eq(store_monitor_add(s, stop, a), AD_OK);
    line[0] = '\0';
    ck_assert_int_eq(store_ties_list(s, a, tie_seen, line), AD_EINVAL);
    ck_assert_str_eq(line, "W:w2 W:w1 T:t T:stop");
    close_store(s);
}
END_TEST

static Suite *
ties_suite(void)
{
    Suite *s = suite_create("store_ties");
    TCase *tc;

    tc = tcase("monitors");
    tcase_add_test(tc, test_monitor_add_and_take);
    suite_add_tcase(s, tc);

    tc = tcase("links");
    tcase_add_test(tc, test_link_add_and_remove);
    tcase_add_test(tc, test_link_take);
    tcase_add_test(tc, test_ties_list);
    tcase_add_test(tc, test_trap_exit);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return run_suite(ties_suite());
}
