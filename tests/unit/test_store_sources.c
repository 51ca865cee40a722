/*
 * test_store_sources.c - the suite of store/sources.c: versions of
 * behaviours uploaded as source, their numbers, lists and removal.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "store/store.h"
#include "tests/unit/test_store.h"

/* Adds version v of name with source text. */
static void
add_source(struct store *s, const char *name, int v, const char *text)
{
    struct store_source src = {.name = (char *)name,
                               .version = v,
                               .language = (char *)"lua",
                               .doc = (char *)"a doc",
                               .source = (char *)text,
                               .source_len = strlen(text),
                               .created = 1000 + v};
    ck_assert_int_eq(store_source_add(s, &src), AD_OK);
}

/* What a list callback saw: "name/version/actors" joined by spaces. */
static int
seen_cb(void *ctx, const struct store_source *src)
{
    char *line = ctx;
    size_t used = strlen(line);
    snprintf(line + used, 256 - used, "%s%s/%d/%lld", used ? " " : "",
             src->name, src->version, (long long)src->actors);
    ck_assert_ptr_null(src->source); /* lists do not load the text */
    return AD_OK;
}

START_TEST(test_sources_add_get)
{
    struct store *s = open_store();
    ck_assert_int_eq(store_begin(s), AD_OK);
    int v = 0;
    ck_assert_int_eq(store_source_next_version(s, "acc", &v), AD_OK);
    ck_assert_int_eq(v, 1);
    add_source(s, "acc", 1, "return {}");
    ck_assert_int_eq(store_source_next_version(s, "acc", &v), AD_OK);
    ck_assert_int_eq(v, 2);
    add_source(s, "acc", 2, "return {start = 1}");
    struct store_source dup = {.name = (char *)"acc",
                               .version = 2,
                               .language = (char *)"lua",
                               .source = (char *)"x",
                               .source_len = 1};
    ck_assert_int_eq(store_source_add(s, &dup), AD_EEXISTS);
    ck_assert_int_eq(store_commit(s), AD_OK);

    struct store_source got = {0};
    ck_assert_int_eq(store_begin_read(s), AD_OK);
    ck_assert_int_eq(store_source_get(s, "acc", 0, &got), AD_OK);
    ck_assert_int_eq(got.version, 2);
    ck_assert_str_eq(got.source, "return {start = 1}");
    ck_assert_int_eq(got.source_len, 18);
    ck_assert_str_eq(got.language, "lua");
    ck_assert_str_eq(got.doc, "a doc");
    ck_assert_int_eq(got.created, 1002);
    store_source_release(&got);
    ck_assert_int_eq(store_source_get(s, "acc", 1, &got), AD_OK);
    ck_assert_str_eq(got.source, "return {}");
    store_source_release(&got);
    store_source_release(NULL);
    ck_assert_int_eq(store_source_get(s, "acc", 7, &got), AD_ENOTFOUND);
    ck_assert_int_eq(store_source_get(s, "none", 0, &got), AD_ENOTFOUND);
    store_rollback(s);
    close_store(s);
}
END_TEST

START_TEST(test_sources_versions_list_remove)
{
    struct store *s = open_store();
    ck_assert_int_eq(store_begin(s), AD_OK);
    add_source(s, "b", 1, "one");
    add_source(s, "b", 2, "two");
    add_source(s, "a", 1, "uno");
    /* Actors on b version 1: one live, one ended. */
    struct store_actor live = {.name = (char *)"x",
                               .behavior = (char *)"b",
                               .version = 1,
                               .status = STORE_WAITING,
                               .created = 1,
                               .updated = 1};
    ck_assert_int_eq(store_actor_insert(s, &live), AD_OK);
    add_actor(s, "y", "b", STORE_EXITED, 1);
    char line[256] = "";
    ck_assert_int_eq(store_source_versions(s, "b", seen_cb, line), AD_OK);
    ck_assert_str_eq(line, "b/1/1 b/2/0");
    line[0] = '\0';
    ck_assert_int_eq(store_source_list(s, seen_cb, line), AD_OK);
    ck_assert_str_eq(line, "a/1/0 b/2/0");
    int64_t removed = -1;
    ck_assert_int_eq(store_source_remove_unused(s, "b", &removed), AD_OK);
    ck_assert_int_eq(removed, 1);
    line[0] = '\0';
    ck_assert_int_eq(store_source_versions(s, "b", seen_cb, line), AD_OK);
    ck_assert_str_eq(line, "b/1/1");
    /* Numbers are not given twice, even for rows removed. */
    ck_assert_int_eq(store_source_remove_unused(s, "a", NULL), AD_OK);
    int v = 0;
    ck_assert_int_eq(store_source_next_version(s, "b", &v), AD_OK);
    ck_assert_int_eq(v, 1); /* rows added by hand above took no number */
    ck_assert_int_eq(store_source_next_version(s, "b", &v), AD_OK);
    ck_assert_int_eq(v, 2);
    ck_assert_int_eq(store_commit(s), AD_OK);
    close_store(s);
}
END_TEST

/* store_source_restore keeps the version it is given and raises the
 * name's last number to it, never lowers it. */
START_TEST(test_sources_restore)
{
    struct store *s = open_store();
    struct store_source src = {.name = (char *)"moved",
                               .version = 4,
                               .language = (char *)"lua",
                               .source = (char *)"v4",
                               .source_len = 2,
                               .created = 7};
    ck_assert_int_eq(store_begin(s), AD_OK);
    ck_assert_int_eq(store_source_restore(s, &src), AD_OK);
    ck_assert_int_eq(store_source_restore(s, &src), AD_EEXISTS);
    src.version = 2;
    src.source = (char *)"v2";
    ck_assert_int_eq(store_source_restore(s, &src), AD_OK);
    int next = 0;
    ck_assert_int_eq(store_source_next_version(s, "moved", &next), AD_OK);
    ck_assert_int_eq(next, 5);
    ck_assert_int_eq(store_commit(s), AD_OK);
    struct store_source got = {0};
    ck_assert_int_eq(store_source_get(s, "moved", 2, &got), AD_OK);
    ck_assert_str_eq(got.source, "v2");
    ck_assert_int_eq(got.created, 7);
    store_source_release(&got);
    close_store(s);
}
END_TEST

static Suite *
sources_suite(void)
{
    Suite *s = suite_create("store_sources");
    TCase *tc = tcase("sources");
    tcase_add_test(tc, test_sources_add_get);
    tcase_add_test(tc, test_sources_versions_list_remove);
    tcase_add_test(tc, test_sources_restore);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return run_suite(sources_suite());
}
