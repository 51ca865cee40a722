/*
 * test_store_shapes.c - the suite of store/shapes.c: waiting_for stored
 * interned in the shapes table or inline, as the caller says
 * (store_actor.waiting_inline), read back the same either way, on this
 * connection and another, across rollbacks and a full cache.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "tests/unit/test_store.h"

/* Saves shapes as the waiting_for of actor id, inline when keep_inline
 * is 1, else interned. */
static void
save_shapes(struct store *s, int64_t id, const char *shapes, int keep_inline)
{
    struct store_actor a = {0};
    ck_assert_int_eq(store_actor_by_id(s, id, &a), AD_OK);
    free(a.waiting_for);
    a.waiting_for = strdup(shapes);
    a.waiting_inline = keep_inline;
    a.status = STORE_WAITING;
    ck_assert_int_eq(store_actor_save(s, &a), AD_OK);
    store_actor_release(&a);
}

/* Asserts that actor id waits for want, as loaded and as peeked. */
static void
assert_shapes(struct store *s, int64_t id, const char *want)
{
    struct store_actor a = {0};
    ck_assert_int_eq(store_actor_by_id(s, id, &a), AD_OK);
    ck_assert_str_eq(a.waiting_for, want);
    char *w = NULL;
    int64_t pid = 0;
    enum store_status st;
    ck_assert_int_eq(store_actor_peek(s, a.name, &pid, &st, &w, NULL), AD_OK);
    ck_assert_str_eq(w, want);
    free(w);
    store_actor_release(&a);
}

START_TEST(test_shapes_interned)
{
    /* The same text is stored once; one the caller keeps inline stays
     * inline; an interned row added by a transaction that rolled back
     * (whole, or to a step's savepoint) is not used afterwards. */
    const char *x = "[{\"add\":\"$integer\"}]";
    const char *lit = "[{\"response\":{\"$literal\":\"id-1\"}}]";
    struct store *s = open_store();
    int64_t a = add_actor(s, "x", "counter", STORE_RUNNABLE, 1);
    ck_assert_int_eq(store_begin(s), AD_OK);
    save_shapes(s, a, x, 0);
    store_rollback(s);
    ck_assert_int_eq(store_begin(s), AD_OK);
    ck_assert_int_eq(store_savepoint(s), AD_OK);
    save_shapes(s, a, x, 0);
    ck_assert_int_eq(store_savepoint_undo(s), AD_OK);
    ck_assert_int_eq(store_commit(s), AD_OK);
    save_shapes(s, a, x, 0);
    assert_shapes(s, a, x);
    close_store(s);

    sqlite3 *raw = raw_open(db.path);
    ck_assert_int_eq(raw_int(raw, "SELECT count(*) FROM shapes"), 1);
    ck_assert_int_eq(raw_int(raw, "SELECT count(*) FROM actors a JOIN shapes s "
                                  "ON s.id = a.waiting_for AND s.text = "
                                  "'[{\"add\":\"$integer\"}]'"),
                     1);
    raw_exec(raw, "INSERT INTO actors (name, behavior, version, status, "
                  "created, updated) VALUES ('y', 'counter', 1, 'waiting', "
                  "1, 1)");
    sqlite3_close(raw);

    /* Another connection reads the interned text from the table. */
    s = open_store();
    assert_shapes(s, a, x);
    int64_t b = 0;
    enum store_status st;
    ck_assert_int_eq(store_actor_peek(s, "y", &b, &st, NULL, NULL), AD_OK);
    save_shapes(s, b, x, 0);
    save_shapes(s, a, lit, 1);
    assert_shapes(s, a, lit);
    assert_shapes(s, b, x);
    close_store(s);
    raw = raw_open(db.path);
    ck_assert_int_eq(raw_int(raw, "SELECT count(*) FROM shapes"), 1);
    ck_assert_int_eq(raw_int(raw, "SELECT count(*) FROM actor_list WHERE "
                                  "waiting_for LIKE '[%'"),
                     2);
    sqlite3_close(raw);
}
END_TEST

/* Whether a text is interned is the caller's choice alone: the store
 * interns a text with a literal when told to, and keeps one without
 * inline when told to. */
START_TEST(test_shapes_callers_choice)
{
    const char *lit = "[{\"response\":{\"$literal\":\"id-1\"}}]";
    const char *plain = "[\"$any\"]";
    struct store *s = open_store();
    int64_t a = add_actor(s, "a", "counter", STORE_RUNNABLE, 1);
    int64_t b = add_actor(s, "b", "counter", STORE_RUNNABLE, 1);
    save_shapes(s, a, lit, 0);
    save_shapes(s, b, plain, 1);
    assert_shapes(s, a, lit);
    assert_shapes(s, b, plain);
    ck_assert_int_eq(db_int("SELECT count(*) FROM shapes"), 1);
    ck_assert_int_eq(db_int("SELECT count(*) FROM shapes WHERE text = "
                            "'[{\"response\":{\"$literal\":\"id-1\"}}]'"),
                     1);
    ck_assert_int_eq(db_int("SELECT count(*) FROM actors WHERE name = 'b' "
                            "AND waiting_for = '[\"$any\"]'"),
                     1);
    close_store(s);
}
END_TEST

/* Loading sets waiting_inline to how the row holds the text, so a row
 * saved back unchanged keeps its form. */
START_TEST(test_shapes_load_keeps_form)
{
    const char *x = "[{\"add\":\"$integer\"}]";
    struct store *s = open_store();
    int64_t a = add_actor(s, "a", "counter", STORE_RUNNABLE, 1);
    int64_t b = add_actor(s, "b", "counter", STORE_RUNNABLE, 1);
    save_shapes(s, a, x, 1);
    save_shapes(s, b, x, 0);
    struct store_actor r = {0};
    ck_assert_int_eq(store_actor_by_id(s, a, &r), AD_OK);
    ck_assert_int_eq(r.waiting_inline, 1);
    r.scanned = 5;
    ck_assert_int_eq(store_actor_save(s, &r), AD_OK);
    store_actor_release(&r);
    ck_assert_int_eq(store_actor_by_id(s, b, &r), AD_OK);
    ck_assert_int_eq(r.waiting_inline, 0);
    r.scanned = 5;
    ck_assert_int_eq(store_actor_save(s, &r), AD_OK);
    store_actor_release(&r);
    /* An actor that waits for nothing loads as not inline. */
    int64_t c = add_actor(s, "c", "counter", STORE_RUNNABLE, 1);
    ck_assert_int_eq(store_actor_by_id(s, c, &r), AD_OK);
    ck_assert_ptr_null(r.waiting_for);
    ck_assert_int_eq(r.waiting_inline, 0);
    store_actor_release(&r);
    close_store(s);

    ck_assert_int_eq(db_int("SELECT count(*) FROM actors WHERE name = 'a' "
                            "AND waiting_for LIKE '[%'"),
                     1);
    ck_assert_int_eq(db_int("SELECT count(*) FROM actors a JOIN shapes s "
                            "ON s.id = a.waiting_for WHERE a.name = 'b'"),
                     1);
    ck_assert_int_eq(db_int("SELECT count(*) FROM shapes"), 1);
}
END_TEST

/* An insert interns as a save does. */
START_TEST(test_shapes_insert)
{
    const char *x = "[{\"add\":\"$integer\"}]";
    struct store *s = open_store();
    struct store_actor in = {.name = (char *)"i",
                             .behavior = (char *)"counter",
                             .version = 1,
                             .status = STORE_WAITING,
                             .waiting_for = (char *)x,
                             .created = 1,
                             .updated = 1};
    ck_assert_int_eq(store_actor_insert(s, &in), AD_OK);
    assert_shapes(s, in.id, x);
    close_store(s);
    ck_assert_int_eq(db_int("SELECT count(*) FROM actors a JOIN shapes s "
                            "ON s.id = a.waiting_for"),
                     1);
}
END_TEST

/* A waiting_for naming a shapes row that is not there (edited by hand)
 * reads as the raw text, which is not JSON: the engine strands it. */
START_TEST(test_shapes_missing_row)
{
    struct store *s = open_store();
    int64_t a = add_actor(s, "a", "counter", STORE_WAITING, 1);
    db_exec("UPDATE actors SET waiting_for = '999'");
    assert_shapes(s, a, "999");
    close_store(s);
}
END_TEST

/* More distinct texts than the cache holds: each still reads back right,
 * on this connection (cache or table) and on a fresh one. */
START_TEST(test_shapes_beyond_cache)
{
    enum { N = 300 };
    char text[64];
    struct store *s = open_store();
    int64_t a = add_actor(s, "a", "counter", STORE_RUNNABLE, 1);
    for (int i = 0; i < N; i++) {
        snprintf(text, sizeof text, "[{\"n\":%d}]", i);
        save_shapes(s, a, text, 0);
        assert_shapes(s, a, text);
    }
    /* The first ones again: interned, not added twice. */
    for (int i = 0; i < 3; i++) {
        snprintf(text, sizeof text, "[{\"n\":%d}]", i);
        save_shapes(s, a, text, 0);
        assert_shapes(s, a, text);
    }
    close_store(s);
    ck_assert_int_eq(db_int("SELECT count(*) FROM shapes"), N);
    s = open_store();
    snprintf(text, sizeof text, "[{\"n\":%d}]", 2);
    assert_shapes(s, a, text);
    close_store(s);
}
END_TEST

static Suite *
shapes_suite(void)
{
    Suite *s = suite_create("store_shapes");
    TCase *tc = tcase("shapes");
    tcase_add_test(tc, test_shapes_interned);
    tcase_add_test(tc, test_shapes_callers_choice);
    tcase_add_test(tc, test_shapes_load_keeps_form);
    tcase_add_test(tc, test_shapes_insert);
    tcase_add_test(tc, test_shapes_missing_row);
    tcase_add_test(tc, test_shapes_beyond_cache);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return run_suite(shapes_suite());
}
