/*
 * test_store_held.c - the suite of store/held.c: messages held in memory
 * within a write transaction.  A trigger on the messages table logs
 * every insert (table ins), so each test sees what reached SQLite and
 * what never did; after each commit it checks what is stored, the
 * stored counts, and that sqlite_sequence never lets a seq be given
 * twice.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "store/store.h"
#include "tests/unit/test_store.h"

/* Opens the store, adds actors m and o, and logs inserts into messages. */
static struct store *
open_logged(int64_t *m, int64_t *o)
{
    struct store *s = open_store();
    *m = add_actor(s, "m", "collector", STORE_WAITING, 1);
    *o = add_actor(s, "o", "collector", STORE_WAITING, 1);
    db_exec("CREATE TABLE ins (seq INTEGER); "
            "CREATE TRIGGER log_ins AFTER INSERT ON messages "
            "BEGIN INSERT INTO ins VALUES (NEW.seq); END");
    return s;
}

/* Begins a write transaction that holds messages. */
static void
begin_holding(struct store *s)
{
    ck_assert_int_eq(store_begin(s), AD_OK);
    ck_assert_int_eq(store_hold_begin(s), AD_OK);
}

static long long
stored_count(const char *name)
{
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT mailbox FROM actors WHERE name = '%s'",
             name);
    return db_int(sql);
}

static long long
sequence(void)
{
    return db_int("SELECT coalesce((SELECT seq FROM sqlite_sequence "
                  "WHERE name = 'messages'), 0)");
}

struct seen {
    int n;
    int stop_at; /* return 1 on this call (1-based); 0: never */
    int64_t seqs[16];
    char bodies[16][16];
};

static int
seen_cb(void *ctx, int64_t seq, const char *sender, const char *body,
        size_t len, int64_t hops)
{
    (void)sender;
    (void)hops;
    struct seen *l = ctx;
    ck_assert_int_lt(l->n, 16);
    ck_assert_uint_lt(len, sizeof l->bodies[0]);
    l->seqs[l->n] = seq;
    memcpy(l->bodies[l->n], body, len);
    l->bodies[l->n][len] = '\0';
    l->n++;
    return l->n == l->stop_at ? 1 : 0;
}

START_TEST(test_held_taken_never_written)
{
    int64_t m, o;
    struct store *s = open_logged(&m, &o);
    int64_t before = append(s, m, "\"stored\""); /* outside: written */
    ck_assert_int_eq(db_int("SELECT count(*) FROM ins"), 1);

    begin_holding(s);
    int64_t a = append(s, m, "\"a\"");
    int64_t b = append(s, o, "\"b\"");
    int64_t c = append(s, m, "\"c\"");
    ck_assert_int_eq(a, before + 1);
    ck_assert_int_eq(b, a + 1);
    ck_assert_int_eq(c, b + 1);
    ck_assert_int_eq(store_mailbox_held(s, m), 2);
    ck_assert_int_eq(store_mailbox_held(s, o), 1);
    /* m's mailbox in order: the stored one, then the held ones. */
    struct seen l = {0};
    ck_assert_int_eq(store_mailbox_scan(s, m, 0, 0, seen_cb, &l), AD_OK);
    ck_assert_int_eq(l.n, 3);
    ck_assert_str_eq(l.bodies[0], "\"stored\"");
    ck_assert_str_eq(l.bodies[1], "\"a\"");
    ck_assert_str_eq(l.bodies[2], "\"c\"");
    ck_assert_int_eq(l.seqs[2], c);
    ck_assert_int_eq(store_mailbox_take(s, a), AD_OK);
    ck_assert_int_eq(store_mailbox_take(s, c), AD_OK);
    ck_assert_int_eq(store_mailbox_held(s, m), 0);
    ck_assert_int_eq(store_commit(s), AD_OK);

    /* Only o's b reached SQLite, with the seq it was given. */
    ck_assert_int_eq(db_int("SELECT count(*) FROM ins"), 2);
    ck_assert_int_eq(db_int("SELECT max(seq) FROM ins"), b);
    ck_assert_int_eq(db_int("SELECT count(*) FROM messages"), 2);
    ck_assert_int_eq(db_int("SELECT actor FROM messages WHERE body = '\"b\"'"),
                     o);
    /* c, the last seq given, was taken: the sequence still covers it,
     * and the next message, held or not, comes after it. */
    ck_assert_int_eq(sequence(), c);
    ck_assert_int_gt(append(s, m, "\"d\""), c);
    close_store(s);
}
END_TEST

START_TEST(test_held_sequence_created)
{
    /* The first message the database ever saw was held and taken:
     * there is no sqlite_sequence row to raise, so one is made. */
    int64_t m, o;
    struct store *s = open_logged(&m, &o);
    (void)o;
    ck_assert_int_eq(db_int("SELECT count(*) FROM sqlite_sequence "
                            "WHERE name = 'messages'"),
                     0);
    begin_holding(s);
    int64_t a = append(s, m, "\"a\"");
    ck_assert_int_eq(store_mailbox_take(s, a), AD_OK);
    ck_assert_int_eq(store_commit(s), AD_OK);
    ck_assert_int_eq(db_int("SELECT count(*) FROM ins"), 0);
    ck_assert_int_eq(sequence(), a);
    close_store(s);
    s = open_store();
    ck_assert_int_gt(append(s, m, "\"b\""), a);
    close_store(s);
}
END_TEST

START_TEST(test_held_rollback)
{
    int64_t m, o;
    struct store *s = open_logged(&m, &o);
    (void)o;
    begin_holding(s);
    append(s, m, "\"a\"");
    append(s, m, "\"b\"");
    store_rollback(s);
    ck_assert_int_eq(db_int("SELECT count(*) FROM messages"), 0);
    ck_assert_int_eq(stored_count("m"), 0);
    ck_assert_int_eq(store_mailbox_held(s, m), 0);
    /* The next transaction does not hold unless asked. */
    ck_assert_int_eq(store_begin(s), AD_OK);
    append(s, m, "\"c\"");
    ck_assert_int_eq(db_int("SELECT count(*) FROM ins"), 0); /* not yet */
    ck_assert_int_eq(store_mailbox_held(s, m), 0);
    ck_assert_int_eq(store_commit(s), AD_OK);
    ck_assert_int_eq(db_int("SELECT count(*) FROM ins"), 1);
    ck_assert_int_eq(stored_count("m"), 1);
    close_store(s);
}
END_TEST

START_TEST(test_held_written_before_readers)
{
    /* Burying and counting read the messages table: what is held is
     * written first, in seq order, and holding goes on. */
    int64_t m, o;
    struct store *s = open_logged(&m, &o);
    int64_t first = append(s, m, "\"one\"");
    begin_holding(s);
    int64_t two = append(s, m, "\"two\"");
    append(s, o, "\"x\"");
    int64_t n = -1;
    ck_assert_int_eq(store_mailbox_count(s, o, &n), AD_OK);
    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(store_mailbox_held(s, m), 0);
    append(s, m, "\"three\"");
    ck_assert_int_eq(store_mailbox_held(s, m), 1);
    ck_assert_int_eq(store_mailbox_bury(s, m, "m", "unread at exit", 7), AD_OK);
    int64_t after = append(s, o, "\"y\"");
    ck_assert_int_eq(store_mailbox_held(s, o), 1);
    ck_assert_int_eq(store_mailbox_take(s, after), AD_OK);
    ck_assert_int_eq(store_commit(s), AD_OK);

    sqlite3 *raw = raw_open(db.path);
    char text[128];
    raw_text(raw,
             "SELECT group_concat(body, ',') FROM (SELECT body FROM "
             "dead_letters ORDER BY seq)",
             text, sizeof text);
    ck_assert_str_eq(text, "\"one\",\"two\",\"three\"");
    ck_assert_int_eq(raw_int(raw, "SELECT count(*) FROM messages"), 1);
    /* x and y counted; the taker subtracts y when it saves its row. */
    ck_assert_int_eq(raw_int(raw, "SELECT mailbox FROM actors "
                                  "WHERE name = 'o'"),
                     2);
    /* one was stored before; two, x and three were written by the
     * flushes; y was taken in memory. */
    ck_assert_int_eq(raw_int(raw, "SELECT count(*) FROM ins"), 4);
    ck_assert_int_gt(two, first);
    sqlite3_close(raw);
    ck_assert_int_eq(sequence(), after);
    close_store(s);
}
END_TEST

START_TEST(test_held_savepoint)
{
    /* A savepoint writes what is held; undoing it forgets what was held
     * since, and what it wrote stays. */
    int64_t m, o;
    struct store *s = open_logged(&m, &o);
    (void)o;
    begin_holding(s);
    int64_t x = append(s, m, "\"x\"");
    ck_assert_int_eq(store_savepoint(s), AD_OK);
    ck_assert_int_eq(store_mailbox_held(s, m), 0);
    append(s, m, "\"y\"");
    ck_assert_int_eq(store_mailbox_held(s, m), 1);
    ck_assert_int_eq(store_savepoint_undo(s), AD_OK);
    ck_assert_int_eq(store_mailbox_held(s, m), 0);
    ck_assert_int_eq(store_savepoint(s), AD_OK);
    int64_t z = append(s, m, "\"z\"");
    ck_assert_int_eq(store_savepoint_keep(s), AD_OK);
    ck_assert_int_eq(store_commit(s), AD_OK);
    struct seen l = {0};
    ck_assert_int_eq(store_mailbox_scan(s, m, 0, 0, seen_cb, &l), AD_OK);
    ck_assert_int_eq(l.n, 2);
    ck_assert_int_eq(l.seqs[0], x);
    ck_assert_int_eq(l.seqs[1], z);
    ck_assert_int_eq(stored_count("m"), 2);
    close_store(s);
}
END_TEST

START_TEST(test_held_scan)
{
    int64_t m, o;
    struct store *s = open_logged(&m, &o);
    int64_t s1 = append(s, m, "\"s1\"");
    int64_t s2 = append(s, m, "\"s2\"");
    begin_holding(s);
    int64_t h1 = append(s, m, "\"h1\"");
    append(s, o, "\"other\"");
    int64_t h2 = append(s, m, "\"h2\"");
    /* A limit counts stored and held alike. */
    struct seen l = {0};
    ck_assert_int_eq(store_mailbox_scan(s, m, 0, 3, seen_cb, &l), AD_OK);
    ck_assert_int_eq(l.n, 3);
    ck_assert_int_eq(l.seqs[0], s1);
    ck_assert_int_eq(l.seqs[2], h1);
    /* After a seq: only what follows it. */
    memset(&l, 0, sizeof l);
    ck_assert_int_eq(store_mailbox_scan(s, m, s2, 0, seen_cb, &l), AD_OK);
    ck_assert_int_eq(l.n, 2);
    ck_assert_int_eq(l.seqs[0], h1);
    ck_assert_int_eq(l.seqs[1], h2);
    /* The callback stops it, among the stored or the held. */
    memset(&l, 0, sizeof l);
    l.stop_at = 1;
    ck_assert_int_eq(store_mailbox_scan(s, m, 0, 0, seen_cb, &l), AD_OK);
    ck_assert_int_eq(l.n, 1);
    memset(&l, 0, sizeof l);
    l.stop_at = 3;
    ck_assert_int_eq(store_mailbox_scan(s, m, 0, 0, seen_cb, &l), AD_OK);
    ck_assert_int_eq(l.n, 3);
    /* Only the held ones, past a taken one. */
    ck_assert_int_eq(store_mailbox_take(s, h1), AD_OK);
    memset(&l, 0, sizeof l);
    ck_assert_int_eq(store_mailbox_scan_held(s, m, 0, seen_cb, &l), AD_OK);
    ck_assert_int_eq(l.n, 1);
    ck_assert_str_eq(l.bodies[0], "\"h2\"");
    /* A stored message is taken from SQLite as before. */
    ck_assert_int_eq(store_mailbox_take(s, s1), AD_OK);
    ck_assert_int_eq(store_commit(s), AD_OK);
    memset(&l, 0, sizeof l);
    ck_assert_int_eq(store_mailbox_scan(s, m, 0, 0, seen_cb, &l), AD_OK);
    ck_assert_int_eq(l.n, 2);
    ck_assert_str_eq(l.bodies[0], "\"s2\"");
    ck_assert_str_eq(l.bodies[1], "\"h2\"");
    ck_assert_int_eq(l.seqs[1], h2);
    close_store(s);
}
END_TEST

START_TEST(test_held_many)
{
    /* Enough messages and actors to grow both tables more than once;
     * every other message is taken, the rest stored in order. */
    struct store *s = open_store();
    int64_t ids[300];
    char name[16];
    for (int i = 0; i < 300; i++) {
        snprintf(name, sizeof name, "a%d", i);
        ids[i] = add_actor(s, name, "collector", STORE_WAITING, 1);
    }
    begin_holding(s);
    int64_t seqs[900];
    for (int i = 0; i < 900; i++)
        seqs[i] = append(s, ids[i % 300], "1");
    for (int i = 0; i < 300; i++)
        ck_assert_int_eq(store_mailbox_held(s, ids[i]), 3);
    for (int i = 0; i < 900; i += 2)
        ck_assert_int_eq(store_mailbox_take(s, seqs[i]), AD_OK);
    ck_assert_int_eq(store_commit(s), AD_OK);
    ck_assert_int_eq(db_int("SELECT count(*) FROM messages"), 450);
    ck_assert_int_eq(db_int("SELECT count(*) FROM messages WHERE "
                            "(seq - (SELECT min(seq) FROM messages)) % 2 "
                            "!= 0"),
                     0);
    ck_assert_int_eq(sequence(), seqs[899]);
    close_store(s);
}
END_TEST

START_TEST(test_hold_outside_transaction)
{
    struct store *s = open_store();
    ck_assert_int_eq(store_hold_begin(s), AD_EINVAL);
    int64_t id = add_actor(s, "m", "collector", STORE_WAITING, 1);
    append(s, id, "1");
    ck_assert_int_eq(db_int("SELECT count(*) FROM messages"), 1);
    close_store(s);
}
END_TEST

static Suite *
held_suite(void)
{
    Suite *s = suite_create("store_held");
    TCase *tc = tcase("held");
    tcase_add_test(tc, test_held_taken_never_written);
    tcase_add_test(tc, test_held_sequence_created);
    tcase_add_test(tc, test_held_rollback);
    tcase_add_test(tc, test_held_written_before_readers);
    tcase_add_test(tc, test_held_savepoint);
    tcase_add_test(tc, test_held_scan);
    tcase_add_test(tc, test_held_many);
    tcase_add_test(tc, test_hold_outside_transaction);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return run_suite(held_suite());
}
