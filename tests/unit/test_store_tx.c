/*
 * test_store_tx.c - the suite of store/tx.c: write and read transactions
 * across two connections, savepoints, store_transaction and
 * store_transaction_read, the write mutex, and store_changed.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <string.h>

#include "store/store.h"
#include "tests/unit/test_store.h"

START_TEST(test_txn_rollback_discards)
{
    struct store *s = open_store();
    int64_t keep = add_actor(s, "keep", "counter", STORE_WAITING, 1);
    ck_assert_int_eq(store_begin(s), AD_OK);
    int64_t id = add_actor(s, "tmp", "counter", STORE_RUNNABLE, 1);
    append(s, id, "1");
    append(s, keep, "2");
    ck_assert_int_eq(store_actor_set_status(s, keep, STORE_RUNNABLE, 9), AD_OK);
    store_rollback(s);

    struct store_actor a = {0};
    ck_assert_int_eq(store_actor_by_name(s, "tmp", &a), AD_ENOTFOUND);
    ck_assert_int_eq(store_actor_by_id(s, keep, &a), AD_OK);
    ck_assert_int_eq(a.status, STORE_WAITING);
    store_actor_release(&a);
    int64_t n = -1;
    ck_assert_int_eq(store_mailbox_count(s, keep, &n), AD_OK);
    ck_assert_int_eq(n, 0);
    /* Rolling back with no transaction open is harmless. */
    store_rollback(s);
    close_store(s);
}
END_TEST

START_TEST(test_txn_commit_keeps)
{
    struct store *s = open_store();
    ck_assert_int_eq(store_begin(s), AD_OK);
    int64_t id = add_actor(s, "t", "counter", STORE_RUNNABLE, 1);
    append(s, id, "1");
    ck_assert_int_eq(store_commit(s), AD_OK);
    close_store(s);

    ck_assert_int_eq(db_int("SELECT count(*) FROM actors WHERE name = 't'"), 1);
    ck_assert_int_eq(db_int("SELECT count(*) FROM mailbox WHERE actor = 't'"),
                     1);
}
END_TEST

START_TEST(test_txn_close_rolls_back)
{
    struct store *s = open_store();
    ck_assert_int_eq(store_begin(s), AD_OK);
    add_actor(s, "t", "counter", STORE_RUNNABLE, 1);
    close_store(s);
    s = open_store();
    struct store_actor a = {0};
    ck_assert_int_eq(store_actor_by_name(s, "t", &a), AD_ENOTFOUND);
    close_store(s);
}
END_TEST

START_TEST(test_txn_second_connection)
{
    struct store *s1 = open_store();
    struct store *s2 = open_store();
    struct store_actor a = {0};

    ck_assert_int_eq(store_changed(s2), 0);
    ck_assert_int_eq(store_begin(s1), AD_OK);
    add_actor(s1, "x", "counter", STORE_RUNNABLE, 1);
    /* Not committed yet: s2 sees nothing. */
    ck_assert_int_eq(store_actor_by_name(s2, "x", &a), AD_ENOTFOUND);
    ck_assert_int_eq(store_changed(s2), 0);
    ck_assert_int_eq(store_commit(s1), AD_OK);

    ck_assert_int_eq(store_changed(s2), 1);
    ck_assert_int_eq(store_changed(s2), 0);
    ck_assert_int_eq(store_actor_by_name(s2, "x", &a), AD_OK);
    store_actor_release(&a);
    /* A connection's own commits are not changes by another. */
    ck_assert_int_eq(store_changed(s1), 0);

    /* A read transaction is a snapshot. */
    ck_assert_int_eq(store_begin_read(s2), AD_OK);
    int64_t n = -1;
    ck_assert_int_eq(store_mailbox_count(s2, 1, &n), AD_OK);
    ck_assert_int_eq(n, 0);
    ck_assert_int_eq(store_mailbox_append(s1, 1, NULL, "1", 1, 1, 0, 0, NULL),
                     AD_OK);
    ck_assert_int_eq(store_mailbox_count(s2, 1, &n), AD_OK);
    ck_assert_int_eq(n, 0);
    store_rollback(s2);
    ck_assert_int_eq(store_mailbox_count(s2, 1, &n), AD_OK);
    ck_assert_int_eq(n, 1);
    close_store(s2);
    close_store(s1);
}
END_TEST

START_TEST(test_txn_busy)
{
    struct store *s1 = open_store();
    struct store *s2 = open_store();
    ck_assert_int_eq(store_begin(s1), AD_OK);
    add_actor(s1, "x", "counter", STORE_RUNNABLE, 1);

    int64_t t0 = ad_mono_ms();
    ck_assert_int_eq(store_begin(s2), AD_EBUSY);
    int64_t waited = ad_mono_ms() - t0;
    ck_assert_msg(waited >= 40,
                  "gave up after %lld ms, before the busy "
                  "timeout of 50 ms",
                  (long long)waited);
    ck_assert_msg(waited < 2000, "waited %lld ms", (long long)waited);
    ck_assert_str_ne(store_errmsg(s2), "");

    /* Reads still work while s1 writes. */
    struct store_actor a = {0};
    ck_assert_int_eq(store_actor_by_name(s2, "x", &a), AD_ENOTFOUND);

    ck_assert_int_eq(store_commit(s1), AD_OK);
    ck_assert_int_eq(store_begin(s2), AD_OK);
    ck_assert_int_eq(store_actor_by_name(s2, "x", &a), AD_OK);
    store_actor_release(&a);
    ck_assert_int_eq(store_commit(s2), AD_OK);
    close_store(s2);
    close_store(s1);
}
END_TEST

/* A step's savepoint: undone, only the step's writes go; kept, they stay
 * with the transaction. */
START_TEST(test_txn_savepoints)
{
    struct store *s = open_store();
    ck_assert_int_eq(store_begin(s), AD_OK);
    add_actor(s, "before", "counter", STORE_RUNNABLE, 1);
    ck_assert_int_eq(store_savepoint(s), AD_OK);
    add_actor(s, "undone", "counter", STORE_RUNNABLE, 1);
    ck_assert_int_eq(store_savepoint_undo(s), AD_OK);
    ck_assert_int_eq(store_savepoint(s), AD_OK);
    add_actor(s, "kept", "counter", STORE_RUNNABLE, 1);
    ck_assert_int_eq(store_savepoint_keep(s), AD_OK);
    ck_assert_int_eq(store_commit(s), AD_OK);
    close_store(s);

    ck_assert_int_eq(db_int("SELECT count(*) FROM actors WHERE name IN "
                            "('before', 'kept')"),
                     2);
    ck_assert_int_eq(
        db_int("SELECT count(*) FROM actors WHERE name = 'undone'"), 0);
}
END_TEST

/* store_begin holds the shared write mutex until the commit or the
 * rollback. */
START_TEST(test_txn_write_mutex)
{
    pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    struct store_opts o = {.busy_timeout_ms = 50, .write_mu = &mu};
    struct store *s = open_store_with(&o);
    ck_assert_int_eq(store_begin(s), AD_OK);
    ck_assert_int_ne(pthread_mutex_trylock(&mu), 0);
    store_rollback(s);
    ck_assert_int_eq(pthread_mutex_trylock(&mu), 0);
    pthread_mutex_unlock(&mu);
    ck_assert_int_eq(store_begin(s), AD_OK);
    ck_assert_int_eq(store_commit(s), AD_OK);
    ck_assert_int_eq(pthread_mutex_trylock(&mu), 0);
    pthread_mutex_unlock(&mu);
    /* A read transaction does not take it. */
    ck_assert_int_eq(store_begin_read(s), AD_OK);
    ck_assert_int_eq(pthread_mutex_trylock(&mu), 0);
    pthread_mutex_unlock(&mu);
    store_rollback(s);
    close_store(s);
    pthread_mutex_destroy(&mu);
}
END_TEST

/* ---- store_transaction ---- */

/* What a transaction body does, and what it saw. */
struct body {
    const char *name; /* the actor it inserts */
    int fail;         /* the error it returns after inserting */
    int calls;
    int64_t seen;        /* store_transaction_read: messages of actor 1 */
    struct store *other; /* appends to actor 1 through it mid-read */
};

static int
body_insert(struct store *s, void *ctx)
{
    struct body *b = ctx;
    b->calls++;
    add_actor(s, b->name, "counter", STORE_RUNNABLE, 1);
    ck_assert_int_eq(store_savepoint(s), AD_OK);
    append(s, 1, "1");
    ck_assert_int_eq(store_savepoint_keep(s), AD_OK);
    return b->fail;
}

/* fn returns 0: everything it wrote is committed, and no transaction is
 * left open (another connection can write at once). */
START_TEST(test_transaction_commits)
{
    struct store *s = open_store();
    struct store *other = open_store();
    struct body b = {.name = (char *)"t"};
    ck_assert_int_eq(store_transaction(s, body_insert, &b), AD_OK);
    ck_assert_int_eq(b.calls, 1);
    ck_assert_int_eq(db_int("SELECT count(*) FROM actors WHERE name = 't'"), 1);
    ck_assert_int_eq(db_int("SELECT count(*) FROM messages"), 1);
    ck_assert_int_eq(store_changed(other), 1);
    ck_assert_int_eq(store_begin(other), AD_OK);
    ck_assert_int_eq(store_commit(other), AD_OK);
    close_store(other);
    close_store(s);
}
END_TEST

/* fn returns an error: its error comes back, nothing it wrote is left
 * (not even what a kept savepoint held), and the connection goes on. */
START_TEST(test_transaction_rolls_back)
{
    struct store *s = open_store();
    struct body b = {.name = (char *)"t", .fail = AD_EMAILBOX};
    ck_assert_int_eq(store_transaction(s, body_insert, &b), AD_EMAILBOX);
    ck_assert_int_eq(b.calls, 1);
    ck_assert_int_eq(db_int("SELECT count(*) FROM actors"), 0);
    ck_assert_int_eq(db_int("SELECT count(*) FROM messages"), 0);
    b = (struct body){.name = (char *)"t2"};
    ck_assert_int_eq(store_transaction(s, body_insert, &b), AD_OK);
    ck_assert_int_eq(db_int("SELECT count(*) FROM actors"), 1);
    close_store(s);
}
END_TEST

/* The begin fails (another connection writes): fn is not called and the
 * begin's error is returned. */
START_TEST(test_transaction_begin_busy)
{
    struct store *s1 = open_store();
    struct store *s2 = open_store();
    ck_assert_int_eq(store_begin(s1), AD_OK);
    struct body b = {.name = (char *)"t"};
    ck_assert_int_eq(store_transaction(s2, body_insert, &b), AD_EBUSY);
    ck_assert_int_eq(b.calls, 0);
    store_rollback(s1);
    ck_assert_int_eq(store_transaction(s2, body_insert, &b), AD_OK);
    ck_assert_int_eq(b.calls, 1);
    close_store(s2);
    close_store(s1);
}
END_TEST

static int
body_read(struct store *s, void *ctx)
{
    struct body *b = ctx;
    b->calls++;
    int64_t n = -1;
    ck_assert_int_eq(store_mailbox_count(s, 1, &n), AD_OK);
    ck_assert_int_eq(
        store_mailbox_append(b->other, 1, NULL, "2", 1, 1, 0, 0, NULL), AD_OK);
    ck_assert_int_eq(store_mailbox_count(s, 1, &b->seen), AD_OK);
    ck_assert_int_eq(b->seen, n); /* a snapshot */
    return b->fail;
}

START_TEST(test_transaction_read)
{
    struct store *s = open_store();
    struct store *other = open_store();
    int64_t id = add_actor(s, "r", "counter", STORE_WAITING, 1);
    ck_assert_int_eq(id, 1);
    append(s, id, "1");
    struct body b = {.other = other};
    ck_assert_int_eq(store_transaction_read(s, body_read, &b), AD_OK);
    ck_assert_int_eq(b.calls, 1);
    ck_assert_int_eq(b.seen, 1);
    /* Ended: a write transaction can begin, and sees the new message. */
    ck_assert_int_eq(store_begin(s), AD_OK);
    int64_t n = -1;
    ck_assert_int_eq(store_mailbox_count(s, id, &n), AD_OK);
    ck_assert_int_eq(n, 2);
    ck_assert_int_eq(store_commit(s), AD_OK);
    /* fn's error comes back, and the snapshot ends all the same. */
    b.fail = AD_ENOTFOUND;
    ck_assert_int_eq(store_transaction_read(s, body_read, &b), AD_ENOTFOUND);
    ck_assert_int_eq(b.seen, 2);
    ck_assert_int_eq(store_begin(s), AD_OK);
    ck_assert_int_eq(store_mailbox_count(s, id, &n), AD_OK);
    ck_assert_int_eq(n, 3);
    store_rollback(s);
    close_store(other);
    close_store(s);
}
END_TEST

/* Every COMMIT is timed into the process's histogram (/metrics). */
START_TEST(test_commit_seconds)
{
    struct store *s = open_store();
    struct ad_hist before, after;
    store_commit_seconds(&before);
    ck_assert_int_eq(store_begin(s), AD_OK);
    add_actor(s, "a", "counter", STORE_WAITING, 1);
    ck_assert_int_eq(store_commit(s), AD_OK);
    store_commit_seconds(&after);
    ck_assert_uint_eq(after.count, before.count + 1);
    uint64_t sum = 0;
    for (int i = 0; i <= AD_HIST_BOUNDS; i++)
        sum += after.bucket[i];
    ck_assert_uint_eq(sum, after.count);
}
END_TEST

static Suite *
tx_suite(void)
{
    Suite *s = suite_create("store_tx");
    TCase *tc = tcase("transactions");
    tcase_add_test(tc, test_txn_rollback_discards);
    tcase_add_test(tc, test_commit_seconds);
    tcase_add_test(tc, test_txn_commit_keeps);
    tcase_add_test(tc, test_txn_close_rolls_back);
    tcase_add_test(tc, test_txn_second_connection);
    tcase_add_test(tc, test_txn_busy);
    tcase_add_test(tc, test_txn_savepoints);
    tcase_add_test(tc, test_txn_write_mutex);
    suite_add_tcase(s, tc);

    tc = tcase("store_transaction");
    tcase_add_test(tc, test_transaction_commits);
    tcase_add_test(tc, test_transaction_rolls_back);
    tcase_add_test(tc, test_transaction_begin_busy);
    tcase_add_test(tc, test_transaction_read);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return run_suite(tx_suite());
}
