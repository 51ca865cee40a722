/*
 * test_store_timers.c - the suite of store/timers.c: adding, cancelling
 * (by its owner only), forgetting, the due list, firing (once or every
 * period), and receive deadlines coming due (store_fire_due).
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "tests/unit/test_store.h"

START_TEST(test_timer_add_and_due)
{
    struct store *s = open_store();
    int64_t a = add_actor(s, "owner_a", "counter", STORE_WAITING, 1);
    int64_t b = add_actor(s, "owner_b", "counter", STORE_WAITING, 1);
    int64_t t1 = 0, t2 = 0, t3 = 0;
    ck_assert_int_eq(store_timer_add(s, a, "x", "{\"n\":1}", 300, 0, &t1),
                     AD_OK);
    ck_assert_int_eq(store_timer_add(s, b, "y", "2", 100, 50, &t2), AD_OK);
    ck_assert_int_eq(store_timer_add(s, a, "z", "3", 100, -5, &t3), AD_OK);
    ck_assert_int_eq(store_timer_add(s, a, "late", "4", 1000, 0, NULL), AD_OK);
    ck_assert_int_eq(store_timer_add(s, a, "x", "5", 2000, 0, NULL), AD_OK);
    ck_assert_int_gt(t1, 0);
    ck_assert_int_gt(t2, t1);

    struct store_timer *t = NULL;
    size_t n = 0;
    ck_assert_int_eq(store_timer_due(s, 99, 10, &t, &n), AD_OK);
    ck_assert_uint_eq(n, 0);
    ck_assert_ptr_null(t);

    /* Due at 300: by due, then id; owners by name; every 0 for once. */
    ck_assert_int_eq(store_timer_due(s, 300, 10, &t, &n), AD_OK);
    ck_assert_uint_eq(n, 3);
    ck_assert_int_eq(t[0].id, t2);
    ck_assert_str_eq(t[0].owner, "owner_b");
    ck_assert_str_eq(t[0].target, "y");
    ck_assert_str_eq(t[0].body, "2");
    ck_assert_int_eq(t[0].due, 100);
    ck_assert_int_eq(t[0].every, 50);
    ck_assert_int_eq(t[1].id, t3);
    ck_assert_int_eq(t[1].every, 0); /* <= 0 is once */
    ck_assert_int_eq(t[2].id, t1);
    ck_assert_str_eq(t[2].owner, "owner_a");
    ck_assert_str_eq(t[2].body, "{\"n\":1}");
    store_timers_free(t, n);

    /* limit. */
    ck_assert_int_eq(store_timer_due(s, 5000, 2, &t, &n), AD_OK);
    ck_assert_uint_eq(n, 2);
    ck_assert_int_eq(t[0].id, t2);
    ck_assert_int_eq(t[1].id, t3);
    store_timers_free(t, n);
    store_timers_free(NULL, 0);
    close_store(s);
}
END_TEST

START_TEST(test_timer_fired)
{
    struct store *s = open_store();
    int64_t a = add_actor(s, "a", "counter", STORE_WAITING, 1);
    int64_t once = 0, every = 0;
    ck_assert_int_eq(store_timer_add(s, a, "a", "1", 10, 0, &once), AD_OK);
    ck_assert_int_eq(store_timer_add(s, a, "a", "2", 10, 100, &every), AD_OK);
    /* Fired once: deleted.  Fired with a next due: moved there. */
    ck_assert_int_eq(store_timer_fired(s, once, 0), AD_OK);
    ck_assert_int_eq(store_timer_fired(s, every, 110), AD_OK);
    struct store_timer *t = NULL;
    size_t n = 0;
    ck_assert_int_eq(store_timer_due(s, 109, 10, &t, &n), AD_OK);
    ck_assert_uint_eq(n, 0);
    ck_assert_int_eq(store_timer_due(s, 110, 10, &t, &n), AD_OK);
    ck_assert_uint_eq(n, 1);
    ck_assert_int_eq(t[0].id, every);
    ck_assert_int_eq(t[0].due, 110);
    ck_assert_int_eq(t[0].every, 100);
    store_timers_free(t, n);
    ck_assert_int_eq(db_int("SELECT count(*) FROM timers"), 1);
    close_store(s);
}
END_TEST

START_TEST(test_timer_cancel_and_forget)
{
    struct store *s = open_store();
    int64_t a = add_actor(s, "a", "counter", STORE_WAITING, 1);
    int64_t b = add_actor(s, "b", "counter", STORE_WAITING, 1);
    int64_t ta = 0, tb = 0;
    ck_assert_int_eq(store_timer_add(s, a, "a", "1", 10, 0, &ta), AD_OK);
    ck_assert_int_eq(store_timer_add(s, b, "b", "2", 10, 0, &tb), AD_OK);
    ck_assert_int_eq(store_timer_add(s, a, "a", "3", 10, 0, NULL), AD_OK);
    ck_assert_int_eq(store_timer_add(s, a, "a", "4", 10, 0, NULL), AD_OK);

    /* Only its owner cancels a timer. */
    int found = -1;
    ck_assert_int_eq(store_timer_cancel(s, tb, a, &found), AD_OK);
    ck_assert_int_eq(found, 0);
    ck_assert_int_eq(store_timer_cancel(s, ta, a, &found), AD_OK);
    ck_assert_int_eq(found, 1);
    ck_assert_int_eq(store_timer_cancel(s, ta, a, &found), AD_OK);
    ck_assert_int_eq(found, 0);
    ck_assert_int_eq(store_timer_cancel(s, tb, b, NULL), AD_OK);
    ck_assert_int_eq(db_int("SELECT count(*) FROM timers"), 2);

    ck_assert_int_eq(store_timer_add(s, b, "b", "5", 10, 0, NULL), AD_OK);
    ck_assert_int_eq(store_timer_forget(s, a), AD_OK);
    ck_assert_int_eq(db_int("SELECT count(*) FROM timers"), 1);
    ck_assert_int_eq(db_int("SELECT count(*) FROM timers WHERE owner = 2"), 1);
    close_store(s);
}
END_TEST

/* A timer whose owner was removed is not listed (the join drops it). */
START_TEST(test_timer_due_owner_gone)
{
    struct store *s = open_store();
    int64_t a = add_actor(s, "a", "counter", STORE_WAITING, 1);
    ck_assert_int_eq(store_timer_add(s, a, "a", "1", 10, 0, NULL), AD_OK);
    db_exec("DELETE FROM actors");
    struct store_timer *t = NULL;
    size_t n = 1;
    ck_assert_int_eq(store_timer_due(s, 100, 10, &t, &n), AD_OK);
    ck_assert_uint_eq(n, 0);
    close_store(s);
}
END_TEST

/* Waiting actors whose deadline has come become runnable at now; others
 * (later deadline, none, not waiting) stay. */
START_TEST(test_fire_due)
{
    struct store *s = open_store();
    struct store_actor rows[] = {
        {.name = (char *)"due", .status = STORE_WAITING, .deadline = 100},
        {.name = (char *)"now", .status = STORE_WAITING, .deadline = 200},
        {.name = (char *)"later", .status = STORE_WAITING, .deadline = 201},
        {.name = (char *)"none", .status = STORE_WAITING, .deadline = 0},
        {.name = (char *)"runs", .status = STORE_RUNNABLE, .deadline = 100},
        {.name = (char *)"ended", .status = STORE_EXITED, .deadline = 100},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        rows[i].behavior = (char *)"counter";
        rows[i].version = 1;
        rows[i].created = rows[i].updated = 1;
        ck_assert_int_eq(store_actor_insert(s, &rows[i]), AD_OK);
    }
    int64_t n = -1;
    ck_assert_int_eq(store_fire_due(s, 200, &n), AD_OK);
    ck_assert_int_eq(n, 2);
    static const enum store_status want[] = {STORE_RUNNABLE, STORE_RUNNABLE,
                                             STORE_WAITING,  STORE_WAITING,
                                             STORE_RUNNABLE, STORE_EXITED};
    static const int64_t updated[] = {200, 200, 1, 1, 1, 1};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct store_actor a = {0};
        ck_assert_int_eq(store_actor_by_id(s, rows[i].id, &a), AD_OK);
        ck_assert_msg(a.status == want[i], "%s: status %s", a.name,
                      store_status_name(a.status));
        ck_assert_int_eq(a.updated, updated[i]);
        store_actor_release(&a);
    }
    /* Nothing more is due; n may be NULL. */
    ck_assert_int_eq(store_fire_due(s, 200, &n), AD_OK);
    ck_assert_int_eq(n, 0);
    ck_assert_int_eq(store_fire_due(s, 300, NULL), AD_OK);
    struct store_actor a = {0};
    ck_assert_int_eq(store_actor_by_name(s, "later", &a), AD_OK);
    ck_assert_int_eq(a.status, STORE_RUNNABLE);
    store_actor_release(&a);
    close_store(s);
}
END_TEST

/* What store_timer_list saw: "id:target:body:due:every" joined. */
static int
timer_seen(void *ctx, const struct store_timer *t)
{
    char *line = ctx;
    size_t used = strlen(line);
    ck_assert_ptr_null(t->owner);
    snprintf(line + used, 256 - used, "%s%lld:%s:%s:%lld:%lld", used ? " " : "",
             (long long)t->id, t->target, t->body, (long long)t->due,
             (long long)t->every);
    return AD_OK;
}

START_TEST(test_timer_list_and_restore)
{
    struct store *s = open_store();
    int64_t a = add_actor(s, "a", "counter", STORE_WAITING, 1);
    int64_t b = add_actor(s, "b", "counter", STORE_WAITING, 1);
    int64_t t1 = 0, id = 0;
    ck_assert_int_eq(store_timer_add(s, a, "x", "1", 300, 0, &t1), AD_OK);
    ck_assert_int_eq(store_timer_add(s, b, "y", "2", 100, 50, NULL), AD_OK);
    /* A free id is kept; the owner's ties bit is set. */
    ck_assert_int_eq(store_timer_restore(s, 40, b, "z", "3", 500, 0, &id),
                     AD_OK);
    ck_assert_int_eq(id, 40);
    ck_assert_int_eq(db_int("SELECT ties & 1 FROM actors WHERE name = 'b'"), 1);
    /* A taken one gets a new id, above every other (AUTOINCREMENT). */
    ck_assert_int_eq(store_timer_restore(s, t1, b, "w", "4", 600, 70, &id),
                     AD_OK);
    ck_assert_int_gt(id, 40);
    char line[256] = "";
    ck_assert_int_eq(store_timer_list(s, b, timer_seen, line), AD_OK);
    char want[256];
    snprintf(want, sizeof want, "%lld:y:2:100:50 40:z:3:500:0 %lld:w:4:600:70",
             (long long)t1 + 1, (long long)id);
    ck_assert_str_eq(line, want);
    line[0] = '\0';
    ck_assert_int_eq(store_timer_list(s, a, timer_seen, line), AD_OK);
    ck_assert_str_eq(line, "1:x:1:300:0");
    close_store(s);
}
END_TEST

static Suite *
timers_suite(void)
{
    Suite *s = suite_create("store_timers");
    TCase *tc;

    tc = tcase("timers");
    tcase_add_test(tc, test_timer_add_and_due);
    tcase_add_test(tc, test_timer_fired);
    tcase_add_test(tc, test_timer_cancel_and_forget);
    tcase_add_test(tc, test_timer_due_owner_gone);
    tcase_add_test(tc, test_timer_list_and_restore);
    suite_add_tcase(s, tc);

    tc = tcase("deadlines");
    tcase_add_test(tc, test_fire_due);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return run_suite(timers_suite());
}
