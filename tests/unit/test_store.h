/*
 * test_store.h - the harness the suites of store/ share, one suite per
 * file of store/ (test_store_open.c for open.c, ...): a fresh temporary
 * database per test, the stores a test opened (closed by teardown should
 * the test fail first), and the few rows most tests need.  Header-only,
 * like testutil.h: every function is static inline.
 */
#ifndef ACTORD_TEST_STORE_H
#define ACTORD_TEST_STORE_H

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "tests/unit/testutil.h"

/* The database of the running test. */
static struct tmpdb db;

/* The stores a test has open, closed by teardown should the test fail
 * before it closes them (under CK_FORK=no the process goes on). */
#define OPEN_STORES 2
static struct store *open_stores[OPEN_STORES];

static inline void
setup(void)
{
    tmpdb_init(&db);
    memset(open_stores, 0, sizeof open_stores);
}

static inline void
teardown(void)
{
    for (int i = 0; i < OPEN_STORES; i++)
        store_close(open_stores[i]);
    memset(open_stores, 0, sizeof open_stores);
    tmpdb_cleanup(&db);
}

/* A test case of the suite: setup and teardown around each test, 30 s. */
static inline TCase *
tcase(const char *name)
{
    return tcase_with(name, setup, teardown, 30);
}

/* Opens the test database with opts (NULL: a busy timeout of 50 ms);
 * fails the test on error. */
static inline struct store *
open_store_with(const struct store_opts *opts)
{
    struct store_opts o = {.busy_timeout_ms = 50};
    struct store *s = NULL;
    int err = store_open(db.path, opts ? opts : &o, &s);
    ck_assert_msg(err == AD_OK, "store_open: %s", ad_strerror(err));
    ck_assert_ptr_nonnull(s);
    for (int i = 0; i < OPEN_STORES; i++) {
        if (open_stores[i] == NULL) {
            open_stores[i] = s;
            return s;
        }
    }
    ck_abort_msg("more than %d stores open", OPEN_STORES);
    return NULL;
}

/* Opens the test database with a short busy timeout; fails on error. */
static inline struct store *
open_store(void)
{
    return open_store_with(NULL);
}

/* Closes s, opened by open_store. */
static inline void
close_store(struct store *s)
{
    for (int i = 0; i < OPEN_STORES; i++)
        if (open_stores[i] == s)
            open_stores[i] = NULL;
    store_close(s);
}

/* Inserts an actor name of behaviour behavior with status st and updated
 * time updated; returns its id. */
static inline int64_t
add_actor(struct store *s, const char *name, const char *behavior,
          enum store_status st, int64_t updated)
{
    struct store_actor a = {
        .name = (char *)name,
        .behavior = (char *)behavior,
        .version = 1,
        .status = st,
        .created = 1000,
        .updated = updated,
    };
    int err = store_actor_insert(s, &a);
    ck_assert_msg(err == AD_OK, "insert %s: %s", name, ad_strerror(err));
    ck_assert_int_gt(a.id, 0);
    return a.id;
}

/* Appends the NUL-terminated body to actor's mailbox; returns its seq. */
static inline int64_t
append(struct store *s, int64_t actor, const char *body)
{
    int64_t seq = 0;
    int err =
        store_mailbox_append(s, actor, NULL, body, strlen(body), 5, 0, 0, &seq);
    ck_assert_int_eq(err, AD_OK);
    ck_assert_int_gt(seq, 0);
    return seq;
}

/* Returns the integer raw_int gives for sql on the test database, through
 * a connection of its own (behind the store's back). */
static inline long long
db_int(const char *sql)
{
    sqlite3 *raw = raw_open(db.path);
    long long v = raw_int(raw, sql);
    sqlite3_close(raw);
    return v;
}

/* Runs sql on the test database through a connection of its own. */
static inline void
db_exec(const char *sql)
{
    sqlite3 *raw = raw_open(db.path);
    raw_exec(raw, sql);
    sqlite3_close(raw);
}

#endif
