/*
 * test_store_listing.c - the suite of the listing of store/actors.c with
 * a name prefix (store_actor_list_prefix), and the query plans of every
 * listing and of the reads the actor document makes: each filter is a
 * range of an index, in name order, so that a page costs the same among
 * a million actors as among ten.  Plans are read with EXPLAIN QUERY PLAN
 * on the text store__list_sql builds (store_int.h).
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "store/store_int.h"
#include "tests/unit/test_store.h"

struct names {
    int n;
    char name[32][16];
};

static int
list_cb(void *ctx, struct store_actor *a)
{
    struct names *l = ctx;
    ck_assert_int_lt(l->n, 32);
    snprintf(l->name[l->n], sizeof l->name[0], "%s", a->name);
    l->n++;
    return AD_OK;
}

/* Lists with prefix and the other filters into *l; returns more. */
static int
list(struct store *s, const char *behavior, const char *status,
     const char *prefix, const char *after, int limit, struct names *l)
{
    int more = -1;
    memset(l, 0, sizeof *l);
    ck_assert_int_eq(store_actor_list_prefix(s, behavior, status, prefix, after,
                                             limit, list_cb, l, &more),
                     AD_OK);
    ck_assert_int_ne(more, -1);
    return more;
}

START_TEST(test_prefix)
{
    struct store *s = open_store();
    add_actor(s, "a", "counter", STORE_WAITING, 1);
    add_actor(s, "ab", "counter", STORE_WAITING, 1);
    add_actor(s, "ab.1", "counter", STORE_EXITED, 1);
    add_actor(s, "ab.2", "collector", STORE_WAITING, 1);
    add_actor(s, "ab~", "counter", STORE_WAITING, 1);
    add_actor(s, "ac", "counter", STORE_WAITING, 1);
    add_actor(s, "_box", "_reply", STORE_WAITING, 1);
    struct names l;

    ck_assert_int_eq(list(s, NULL, NULL, "ab", NULL, 10, &l), 0);
    ck_assert_int_eq(l.n, 4);
    ck_assert_str_eq(l.name[0], "ab");
    ck_assert_str_eq(l.name[3], "ab~");

    /* Pages of 2, the cursor carried on. */
    ck_assert_int_eq(list(s, NULL, NULL, "ab", NULL, 2, &l), 1);
    ck_assert_str_eq(l.name[1], "ab.1");
    ck_assert_int_eq(list(s, NULL, NULL, "ab", "ab.1", 2, &l), 0);
    ck_assert_int_eq(l.n, 2);
    ck_assert_str_eq(l.name[0], "ab.2");
    ck_assert_str_eq(l.name[1], "ab~");

    /* A cursor below the prefix starts at the prefix; above, nothing. */
    ck_assert_int_eq(list(s, NULL, NULL, "ab", "a", 1, &l), 1);
    ck_assert_str_eq(l.name[0], "ab");
    ck_assert_int_eq(list(s, NULL, NULL, "ab", "zz", 10, &l), 0);
    ck_assert_int_eq(l.n, 0);

    /* With behavior and status. */
    list(s, "collector", NULL, "ab", NULL, 10, &l);
    ck_assert_int_eq(l.n, 1);
    ck_assert_str_eq(l.name[0], "ab.2");
    list(s, NULL, "exited", "ab", NULL, 10, &l);
    ck_assert_int_eq(l.n, 1);
    ck_assert_str_eq(l.name[0], "ab.1");
    list(s, "counter", "waiting", "a", NULL, 10, &l);
    ck_assert_int_eq(l.n, 4); /* a, ab, ab~, ac */

    /* The engine's own actors stay out; "" and NULL are every name. */
    list(s, NULL, NULL, "_", NULL, 10, &l);
    ck_assert_int_eq(l.n, 0);
    list(s, NULL, NULL, "", NULL, 10, &l);
    ck_assert_int_eq(l.n, 6);
    list(s, NULL, NULL, NULL, NULL, 10, &l);
    ck_assert_int_eq(l.n, 6);

    /* A whole name is a prefix of itself; the longest prefix works. */
    list(s, NULL, NULL, "ac", NULL, 10, &l);
    ck_assert_int_eq(l.n, 1);
    char longest[AD_NAME_MAX + 2];
    memset(longest, 'x', AD_NAME_MAX);
    longest[AD_NAME_MAX] = '\0';
    add_actor(s, longest, "counter", STORE_WAITING, 1);
    list(s, NULL, NULL, longest, NULL, 10, &l);
    ck_assert_int_eq(l.n, 1);

    /* Refused: too long, or a byte a name cannot hold. */
    int more;
    longest[AD_NAME_MAX] = 'x';
    longest[AD_NAME_MAX + 1] = '\0';
    ck_assert_int_eq(store_actor_list_prefix(s, NULL, NULL, longest, NULL, 10,
                                             list_cb, &l, &more),
                     AD_EINVAL);
    ck_assert_int_eq(store_actor_list_prefix(s, NULL, NULL, "a\xff", NULL, 10,
                                             list_cb, &l, &more),
                     AD_EINVAL);
    close_store(s);
}
END_TEST

/* Fails the test unless every line of the plan of sql (on raw) reads an
 * index or a primary key, with no sort: "SEARCH ... USING ..." when
 * search is 1, else at least "SCAN ... USING INDEX" (in order); and one
 * line names index, when not NULL. */
static void
assert_plan(sqlite3 *raw, const char *sql, int search, const char *index)
{
    char text[1024];
    snprintf(text, sizeof text, "EXPLAIN QUERY PLAN %s", sql);
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(raw, text, -1, &st, NULL);
    ck_assert_msg(rc == SQLITE_OK, "%s: %s", text, sqlite3_errmsg(raw));
    int lines = 0, named = index == NULL;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *d = (const char *)sqlite3_column_text(st, 3);
        ck_assert_ptr_nonnull(d);
        lines++;
        ck_assert_msg(strstr(d, "TEMP B-TREE") == NULL, "%s sorts: %s", sql, d);
        ck_assert_msg(strstr(d, "INDEX") || strstr(d, "PRIMARY KEY"),
                      "%s reads no index: %s", sql, d);
        ck_assert_msg(!search || strncmp(d, "SEARCH", 6) == 0, "%s scans: %s",
                      sql, d);
        named |= index != NULL && strstr(d, index) != NULL;
    }
    ck_assert_msg(named, "%s does not use %s", sql, index);
    ck_assert_int_eq(rc, SQLITE_DONE);
    ck_assert_int_gt(lines, 0);
    sqlite3_finalize(st);
}

START_TEST(test_list_plans)
{
    /* The schema as migrated, a few rows (plans without ANALYZE do not
     * depend on them). */
    struct store *s = open_store();
    add_actor(s, "a", "counter", STORE_WAITING, 1);
    close_store(s);
    sqlite3 *raw = raw_open(db.path);
    char sql[1024];
    for (int flags = 0; flags < 16; flags++) {
        for (int ended = 0; ended < 2; ended++) {
            if (ended && !(flags & STORE_LIST_STATUS))
                continue;
            enum store_status st = ended ? STORE_FAILED : STORE_WAITING;
            store__list_sql(sql, sizeof sql, flags, st);
            /* An ended status: a range of the ended actors' index, or of
             * the behaviour's.  A live status alone: the name index read
             * in order (most actors wait), as with no filter; with other
             * filters, a range of their index. */
            int others = flags & ~STORE_LIST_STATUS;
            int search = ended || others != 0;
            const char *index = NULL;
            if (ended && !(flags & STORE_LIST_BEHAVIOR))
                index = "actors_ended";
            else if (flags & STORE_LIST_BEHAVIOR && !ended)
                index = "actors_by_behavior";
            assert_plan(raw, sql, search, index);
        }
    }
    /* The actor document's reads: its ties both ways and its timers. */
    assert_plan(raw,
                "SELECT a.name FROM monitors m JOIN actors a ON a.id = "
                "m.target WHERE m.watcher = 1 ORDER BY m.target",
                1, "monitors_by_watcher");
    assert_plan(raw,
                "SELECT a.name FROM monitors m JOIN actors a ON a.id = "
                "m.watcher WHERE m.target = 1 ORDER BY m.watcher",
                1, NULL);
    assert_plan(raw,
                "SELECT id, target, body, due, every FROM timers WHERE "
                "owner = 1 ORDER BY id",
                1, "timers_owner");
    sqlite3_close(raw);
}
END_TEST

static Suite *
listing_suite(void)
{
    Suite *s = suite_create("store_listing");
    TCase *tc = tcase("prefix");
    tcase_add_test(tc, test_prefix);
    suite_add_tcase(s, tc);
    tc = tcase("plans");
    tcase_add_test(tc, test_list_plans);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return run_suite(listing_suite());
}
