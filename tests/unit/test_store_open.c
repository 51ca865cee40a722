/*
 * test_store_open.c - the suite of store/open.c: opening creates or
 * migrates the schema, refuses a newer one, sets WAL and the size limit;
 * closing rolls back; errors are translated and their message kept; a
 * failed open says why (store_open_why).
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "store/migrations.h"
#include "store/store.h"
#include "tests/unit/test_store.h"

/* The newest schema version this build knows. */
#define NEWEST (store_migrations[store_migration_count - 1].version)

/* A database left at schema 1 by an older actord, holding an actor and a
 * message, is migrated on open and keeps them. */
START_TEST(test_open_migrates_older)
{
    ck_assert_int_ge(NEWEST, 2);
    sqlite3 *raw = raw_open(db.path);
    raw_exec(raw, store_migrations[0].sql);
    raw_exec(raw, "PRAGMA user_version = 1;"
                  "INSERT INTO actors (name, behavior, version, status, "
                  "created, updated) VALUES ('old', 'counter', 1, "
                  "'waiting', 1, 1);"
                  "INSERT INTO messages (actor, body, created) "
                  "VALUES (1, '{\"add\":1}', 1);");
    ck_assert_int_eq(raw_int(raw, "SELECT count(*) FROM sqlite_master "
                                  "WHERE name = 'dead_letters'"),
                     0);
    sqlite3_close(raw);

    struct store *s = open_store();
    ck_assert_int_eq(store_schema_version(s), NEWEST);
    int64_t n = -1;
    ck_assert_int_eq(store_mailbox_count(s, 1, &n), AD_OK);
    ck_assert_int_eq(n, 1);
    close_store(s);
    raw = raw_open(db.path);
    ck_assert_int_eq(raw_int(raw, "SELECT count(*) FROM sqlite_master "
                                  "WHERE name = 'dead_letters'"),
                     1);
    ck_assert_int_eq(raw_int(raw, "SELECT count(*) FROM actors "
                                  "WHERE name = 'old'"),
                     1);
    sqlite3_close(raw);
}
END_TEST

START_TEST(test_open_creates_schema)
{
    struct store *s = open_store();
    ck_assert_int_eq(store_schema_version(s), NEWEST);
    close_store(s);

    sqlite3 *raw = raw_open(db.path);
    char mode[32];
    ck_assert_int_eq(raw_int(raw, "PRAGMA user_version"), NEWEST);
    ck_assert_int_eq(raw_int(raw, "SELECT count(*) FROM sqlite_master "
                                  "WHERE type = 'table' AND name IN "
                                  "('actors', 'messages')"),
                     2);
    ck_assert_int_eq(raw_int(raw, "SELECT count(*) FROM sqlite_master "
                                  "WHERE type = 'view' AND name IN "
                                  "('actor_list', 'mailbox')"),
                     2);
    raw_text(raw, "PRAGMA journal_mode", mode, sizeof mode);
    ck_assert_str_eq(mode, "wal");
    /* The views answer, empty. */
    ck_assert_int_eq(raw_int(raw, "SELECT count(*) FROM actor_list"), 0);
    ck_assert_int_eq(raw_int(raw, "SELECT count(*) FROM mailbox"), 0);
    sqlite3_close(raw);
}
END_TEST

START_TEST(test_open_wal_while_open)
{
    struct store *s = open_store();
    sqlite3 *raw = raw_open(db.path);
    char mode[32];
    raw_text(raw, "PRAGMA journal_mode", mode, sizeof mode);
    ck_assert_str_eq(mode, "wal");
    sqlite3_close(raw);
    close_store(s);
}
END_TEST

START_TEST(test_open_reopen)
{
    struct store *s = open_store();
    int64_t id = add_actor(s, "keep", "counter", STORE_WAITING, 7);
    int64_t seq = append(s, id, "{\"x\":1}");
    close_store(s);

    s = open_store();
    ck_assert_int_eq(store_schema_version(s), NEWEST);
    struct store_actor a = {0};
    ck_assert_int_eq(store_actor_by_name(s, "keep", &a), AD_OK);
    ck_assert_int_eq(a.id, id);
    ck_assert_int_eq(a.status, STORE_WAITING);
    store_actor_release(&a);
    int64_t n = -1;
    ck_assert_int_eq(store_mailbox_count(s, id, &n), AD_OK);
    ck_assert_int_eq(n, 1);
    /* The migration did not run twice: seqs go on from where they were. */
    ck_assert_int_gt(append(s, id, "2"), seq);
    close_store(s);
}
END_TEST

START_TEST(test_open_refuses_newer_schema)
{
    db_exec("CREATE TABLE future (x); PRAGMA user_version = 999");

    struct store *s = NULL;
    int err = store_open(db.path, NULL, &s);
    ck_assert_int_eq(err, AD_ESCHEMA);
    ck_assert_ptr_null(s);

    /* The newer database is left as it was. */
    ck_assert_int_eq(db_int("PRAGMA user_version"), 999);
    ck_assert_int_eq(db_int("SELECT count(*) FROM sqlite_master "
                            "WHERE name = 'actors'"),
                     0);
}
END_TEST

START_TEST(test_open_bad_path)
{
    char path[200];
    struct store *s = NULL;
    snprintf(path, sizeof path, "%s/no/such/dir/x.db", db.dir);
    int err = store_open(path, NULL, &s);
    ck_assert_int_lt(err, 0);
    ck_assert_ptr_null(s);
}
END_TEST

/* store_open_why says why, for a person: SQLite's message and the
 * folder at fault with the operating system's reason; and a newer
 * schema in words. */
START_TEST(test_open_why)
{
    char path[200], why[512], want[512];
    struct store *s = NULL;
    snprintf(path, sizeof path, "%s/no/such/dir/x.db", db.dir);
    ck_assert_int_eq(store_open_why(path, NULL, &s, why, sizeof why), AD_EIO);
    snprintf(want, sizeof want,
             "unable to open database file (%s/no/such/dir: No such file "
             "or directory)",
             db.dir);
    ck_assert_str_eq(why, want);

    /* A file that is not a database: SQLite's message alone, since the
     * file and its folder are writable. */
    FILE *f = fopen(db.path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("not a database, but long enough to have a header of one page.....\n"
          "................................................................\n",
          f);
    fclose(f);
    ck_assert_int_lt(store_open_why(db.path, NULL, &s, why, sizeof why), 0);
    ck_assert_str_eq(why, "file is not a database");

    /* Without a buffer it is store_open. */
    ck_assert_int_lt(store_open_why(path, NULL, &s, NULL, 0), 0);
    ck_assert_ptr_null(s);
}
END_TEST

START_TEST(test_open_why_newer_schema)
{
    char why[512];
    struct store *s = NULL;
    db_exec("PRAGMA user_version = 999");
    ck_assert_int_eq(store_open_why(db.path, NULL, &s, why, sizeof why),
                     AD_ESCHEMA);
    ck_assert_str_eq(why, "the database was written by a newer actord");
}
END_TEST

/* The migration is a write transaction: while another connection holds
 * the write lock, opening an old database waits the busy timeout, then
 * gives up with AD_EBUSY and migrates nothing. */
START_TEST(test_open_migration_busy)
{
    sqlite3 *raw = raw_open(db.path);
    raw_exec(raw, "PRAGMA journal_mode = WAL");
    raw_exec(raw, store_migrations[0].sql);
    raw_exec(raw, "PRAGMA user_version = 1");
    raw_exec(raw, "BEGIN IMMEDIATE");

    struct store_opts o = {.busy_timeout_ms = 50};
    struct store *s = NULL;
    int64_t t0 = ad_mono_ms();
    ck_assert_int_eq(store_open(db.path, &o, &s), AD_EBUSY);
    ck_assert_int_ge(ad_mono_ms() - t0, 40);
    ck_assert_ptr_null(s);
    raw_exec(raw, "ROLLBACK");
    ck_assert_int_eq(raw_int(raw, "PRAGMA user_version"), 1);
    sqlite3_close(raw);

    /* Once the lock is free, the same open migrates. */
    s = open_store();
    ck_assert_int_eq(store_schema_version(s), NEWEST);
    close_store(s);
}
END_TEST

/* A thread that holds the process's write mutex can still open a store
 * sharing it: the migration does not wait on the mutex.  Transactions
 * afterwards do take it. */
START_TEST(test_open_holding_write_mutex)
{
    pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_lock(&mu);
    struct store_opts o = {.busy_timeout_ms = 50, .write_mu = &mu};
    struct store *s = open_store_with(&o);
    ck_assert_int_eq(store_schema_version(s), NEWEST);
    pthread_mutex_unlock(&mu);

    ck_assert_int_eq(store_begin(s), AD_OK);
    ck_assert_int_ne(pthread_mutex_trylock(&mu), 0);
    ck_assert_int_eq(store_commit(s), AD_OK);
    ck_assert_int_eq(pthread_mutex_trylock(&mu), 0);
    pthread_mutex_unlock(&mu);
    close_store(s);
    pthread_mutex_destroy(&mu);
}
END_TEST

/* max_bytes bounds the file: writes past it fail with AD_EFULL, and
 * what was written before stays. */
START_TEST(test_open_max_bytes)
{
    struct store_opts o = {.busy_timeout_ms = 50, .max_bytes = 256 * 1024};
    struct store *s = open_store_with(&o);
    int64_t id = add_actor(s, "big", "collector", STORE_WAITING, 1);
    static char body[8192];
    memset(body, 'x', sizeof body - 3);
    body[0] = '"';
    body[sizeof body - 3] = '"';
    body[sizeof body - 2] = '\0';
    int err = AD_OK, kept = 0;
    for (int i = 0; i < 200 && err == AD_OK; i++) {
        err = store_mailbox_append(s, id, NULL, body, strlen(body), 1, 0, 0,
                                   NULL);
        if (err == AD_OK)
            kept++;
    }
    ck_assert_int_eq(err, AD_EFULL);
    ck_assert_int_gt(kept, 0);
    ck_assert_str_ne(store_errmsg(s), "");
    int64_t n = -1;
    ck_assert_int_eq(store_mailbox_count(s, id, &n), AD_OK);
    ck_assert_int_eq(n, kept);
    close_store(s);
}
END_TEST

/* An SQLite error becomes an ad_err, and its message is kept for logs. */
START_TEST(test_open_errmsg)
{
    struct store *s = open_store();
    ck_assert_str_eq(store_errmsg(s), "");
    add_actor(s, "dup", "counter", STORE_RUNNABLE, 1);
    struct store_actor a = {.name = (char *)"dup",
                            .behavior = (char *)"counter"};
    ck_assert_int_eq(store_actor_insert(s, &a), AD_EEXISTS);
    ck_assert_msg(strstr(store_errmsg(s), "UNIQUE") != NULL, "errmsg: %s",
                  store_errmsg(s));
    close_store(s);
}
END_TEST

/* sync_full is accepted; closing NULL is harmless. */
START_TEST(test_open_sync_full_and_close_null)
{
    struct store_opts o = {.sync_full = 1};
    struct store *s = open_store_with(&o);
    add_actor(s, "a", "counter", STORE_RUNNABLE, 1);
    close_store(s);
    store_close(NULL);
    ck_assert_int_eq(db_int("SELECT count(*) FROM actors"), 1);
}
END_TEST

static Suite *
open_suite(void)
{
    Suite *s = suite_create("store_open");
    TCase *tc = tcase("open");
    tcase_add_test(tc, test_open_creates_schema);
    tcase_add_test(tc, test_open_migrates_older);
    tcase_add_test(tc, test_open_wal_while_open);
    tcase_add_test(tc, test_open_reopen);
    tcase_add_test(tc, test_open_refuses_newer_schema);
    tcase_add_test(tc, test_open_bad_path);
    tcase_add_test(tc, test_open_why);
    tcase_add_test(tc, test_open_why_newer_schema);
    tcase_add_test(tc, test_open_migration_busy);
    tcase_add_test(tc, test_open_holding_write_mutex);
    tcase_add_test(tc, test_open_max_bytes);
    tcase_add_test(tc, test_open_errmsg);
    tcase_add_test(tc, test_open_sync_full_and_close_null);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return run_suite(open_suite());
}
