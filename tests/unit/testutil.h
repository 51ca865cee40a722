/*
 * testutil.h - what the unit suites of store/, engine/ and fcgi/ share: a
 * fresh temporary database per test (a file in its own mkdtemp folder,
 * removed with its -wal and -shm afterwards) and a raw SQLite connection
 * on it for looking behind the module's back, and JSON assertions.
 * Header-only: every function is static inline, so a suite that does not
 * use one does not warn.
 */
#ifndef ACTORD_TESTUTIL_H
#define ACTORD_TESTUTIL_H

#include <check.h>
#include <ftw.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "behaviors/behaviors.h"
#include "engine/engine.h"

/* A temporary database: dir is the mkdtemp folder, path the file in it. */
struct tmpdb {
    char dir[128];
    char path[160];
};

/* The folder of this run that holds every test's folder (set up by
 * run_suite), so that what a failed test left behind is removed too: a
 * failed check ends a forked test with _exit, skipping its teardown. */
static char tmpdb_base[80];

/* Removes the database of t with its -wal, -shm and -journal, then the
 * folder.  Safe to call twice. */
static inline void
tmpdb_cleanup(struct tmpdb *t)
{
    static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
    char p[200];
    if (t->dir[0] == '\0')
        return;
    for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
        snprintf(p, sizeof p, "%s%s", t->path, suffix[i]);
        unlink(p);
    }
    rmdir(t->dir);
    t->dir[0] = '\0';
}

/* Makes a fresh folder for t and sets t->path to a database file in it
 * (not created: opening creates it).  Fails the test on error. */
static inline void
tmpdb_init(struct tmpdb *t)
{
    const char *base = tmpdb_base;
    if (*base == '\0') {
        base = getenv("TMPDIR");
        if (base == NULL || *base == '\0' || strlen(base) > 60)
            base = "/tmp";
    }
    snprintf(t->dir, sizeof t->dir, "%s/actord-test-XXXXXX", base);
    ck_assert_msg(mkdtemp(t->dir) != NULL, "mkdtemp %s failed", t->dir);
    snprintf(t->path, sizeof t->path, "%s/test.db", t->dir);
}

/* Opens a raw SQLite connection on path (new; sqlite3_close it) with a
 * short busy timeout.  Fails the test on error. */
static inline sqlite3 *
raw_open(const char *path)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(path, &db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    ck_assert_msg(rc == SQLITE_OK, "sqlite3_open_v2 %s: %s", path,
                  db ? sqlite3_errmsg(db) : "no memory");
    sqlite3_busy_timeout(db, 2000);
    return db;
}

/* Runs sql on db; fails the test with SQLite's message on error. */
static inline void
raw_exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    ck_assert_msg(rc == SQLITE_OK, "%s: %s", sql, msg ? msg : "?");
    sqlite3_free(msg);
}

/* Returns the integer in the first column of the first row of sql, or
 * fails the test when there is no row. */
static inline long long
raw_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    ck_assert_msg(rc == SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(db));
    rc = sqlite3_step(st);
    ck_assert_msg(rc == SQLITE_ROW, "%s: no row (%d)", sql, rc);
    long long v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* Copies the text in the first column of the first row of sql into buf
 * (len bytes); "" for NULL.  Fails the test when there is no row. */
static inline void
raw_text(sqlite3 *db, const char *sql, char *buf, size_t len)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    ck_assert_msg(rc == SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(db));
    rc = sqlite3_step(st);
    ck_assert_msg(rc == SQLITE_ROW, "%s: no row (%d)", sql, rc);
    const unsigned char *t = sqlite3_column_text(st, 0);
    snprintf(buf, len, "%s", t ? (const char *)t : "");
    sqlite3_finalize(st);
}

/* Returns the JSON text parsed, any value (new reference); fails the
 * test when text is not JSON. */
static inline json_t *
J(const char *text)
{
    json_error_t jerr;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &jerr);
    ck_assert_msg(v != NULL, "bad JSON in the test: %s: %s", text, jerr.text);
    return v;
}

/* Asserts that v (borrowed, may be NULL) equals the JSON text want. */
static inline void
assert_json(const json_t *v, const char *want)
{
    json_t *w = J(want);
    char *got = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    int eq = v != NULL && json_equal((json_t *)v, w);
    char msg[1024];
    snprintf(msg, sizeof msg, "got %.500s, want %.500s", got ? got : "(none)",
             want);
    free(got);
    json_decref(w);
    ck_assert_msg(eq, "%s", msg);
}

/* Asserts that field key of the object v (borrowed) equals the JSON
 * text want. */
static inline void
assert_field(const json_t *v, const char *key, const char *want)
{
    const json_t *f = json_object_get(v, key);
    ck_assert_msg(f != NULL, "no \"%s\" in the document", key);
    assert_json(f, want);
}

/* nftw callback of run_suite: removes one file or (emptied) folder. */
static inline int
tmpdb__remove(const char *path, const struct stat *sb, int flag,
              struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

/* A new test case named name, run between the suite's setup and
 * teardown, limited to secs seconds. */
static inline TCase *
tcase_with(const char *name, void (*setup)(void), void (*teardown)(void),
           int secs)
{
    TCase *tc = tcase_create(name);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, secs);
    return tc;
}

/* Runs the suite s (taken over) and returns what main should return:
 * 0 when every test passed.  Registers the standard behaviours (after
 * any the test's main registered) and initialises the engine first, as
 * a program does.  Every test's database lives in one folder of this
 * run, removed at the end whatever the tests left. */
static inline int
run_suite(Suite *s)
{
    if (behaviors_register_standard() != 0 || eng_init() != 0) {
        fprintf(stderr, "run_suite: the engine did not initialise\n");
        return 1;
    }
    const char *tmp = getenv("TMPDIR");
    if (tmp == NULL || *tmp == '\0' || strlen(tmp) > 40)
        tmp = "/tmp";
    snprintf(tmpdb_base, sizeof tmpdb_base, "%s/actord-unit-XXXXXX", tmp);
    if (mkdtemp(tmpdb_base) == NULL)
        tmpdb_base[0] = '\0';
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    if (tmpdb_base[0] != '\0')
        nftw(tmpdb_base, tmpdb__remove, 8, FTW_DEPTH | FTW_PHYS);
    return failed == 0 ? 0 : 1;
}

#endif
