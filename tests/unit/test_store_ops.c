/*
 * test_store_ops.c - the suite of store/ops.c: the online backup (a
 * whole, checked copy; one snapshot while another connection commits
 * between its steps; what it refuses; no temporary file left on
 * failure), vacuum (full, the switch to incremental, incremental),
 * statistics, and each invariant check finding the row that breaks it.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store.h"
#include "tests/unit/test_store.h"

/* A database with a little of everything: two actors, mail, a watch, a
 * link, a timer, a dead letter.  Returns the id of "a". */
static int64_t
fill(struct store *s)
{
    ck_assert_int_eq(store_begin(s), AD_OK);
    int64_t a = add_actor(s, "a", "counter", STORE_WAITING, 10);
    int64_t b = add_actor(s, "b", "counter", STORE_RUNNABLE, 11);
    append(s, a, "{\"add\":1}");
    append(s, a, "{\"add\":2}");
    ck_assert_int_eq(store_monitor_add(s, a, b), AD_OK);
    ck_assert_int_eq(store_link_add(s, a, b), AD_OK);
    ck_assert_int_eq(store_timer_add(s, b, "a", "1", 5000, 0, NULL), AD_OK);
    ck_assert_int_eq(
        store_dead_letter_add(s, NULL, "x", "no such actor", "1", 1, 7), AD_OK);
    ck_assert_int_eq(store_commit(s), AD_OK);
    /* "a" waits in a receive, as a started actor does. */
    db_exec("UPDATE actors SET waiting_for = '[\"$any\"]', resume = 1 "
            "WHERE name = 'a'");
    return a;
}

/* The path of a file name in the test's folder. */
static void
beside(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", db.dir, name);
}

/* Removes a file in the test's folder, with its -wal and -shm (the
 * folder is removed at teardown only when empty). */
static void
remove_beside(const char *name)
{
    char p[256];
    static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "%s/%s%s", db.dir, name, suffix[i]);
        unlink(p);
    }
}

/* Returns the integer sql gives on the database at path. */
static long long
file_int(const char *path, const char *sql)
{
    sqlite3 *raw = raw_open(path);
    long long v = raw_int(raw, sql);
    sqlite3_close(raw);
    return v;
}

/* ---- backup ---- */

START_TEST(test_backup_copy)
{
    struct store *s = open_store();
    fill(s);
    char copy[256];
    beside(copy, sizeof copy, "copy.db");
    int64_t bytes = 0;
    ck_assert_int_eq(store_backup(s, copy, 1, 0, &bytes), AD_OK);
    struct stat sb;
    ck_assert_int_eq(stat(copy, &sb), 0);
    ck_assert_int_eq(bytes, sb.st_size);
    ck_assert_int_gt(bytes, 0);
    ck_assert_int_eq(file_int(copy, "SELECT count(*) FROM actors"), 2);
    ck_assert_int_eq(file_int(copy, "SELECT count(*) FROM messages"), 2);
    ck_assert_int_eq(file_int(copy, "SELECT count(*) FROM timers"), 1);
    ck_assert_int_eq(file_int(copy, "PRAGMA user_version"),
                     store_schema_version(s));
    /* No -wal or -journal is left beside it, nor the temporary file. */
    char p[300];
    snprintf(p, sizeof p, "%s-wal", copy);
    ck_assert_int_ne(access(p, F_OK), 0);
    snprintf(p, sizeof p, "%s.tmp-%ld", copy, (long)getpid());
    ck_assert_int_ne(access(p, F_OK), 0);
    /* Again, onto the file there: it is replaced. */
    append(s, 1, "{\"add\":3}");
    ck_assert_int_eq(store_backup(s, copy, 0, 0, NULL), AD_OK);
    ck_assert_int_eq(file_int(copy, "SELECT count(*) FROM messages"), 3);
    /* The copy opens as a store. */
    struct store *c = NULL;
    ck_assert_int_eq(store_open(copy, NULL, &c), AD_OK);
    struct store_stats st;
    ck_assert_int_eq(store_stats(c, &st), AD_OK);
    ck_assert_int_eq(st.messages, 3);
    store_close(c);
    remove_beside("copy.db");
    close_store(s);
}
END_TEST

START_TEST(test_backup_refuses)
{
    struct store *s = open_store();
    fill(s);
    /* The database itself. */
    ck_assert_int_eq(store_backup(s, db.path, 0, 0, NULL), AD_EINVAL);
    ck_assert_ptr_nonnull(strstr(store_errmsg(s), "the database itself"));
    /* A database in use: a -wal (or -journal) beside the file. */
    char busy[256], wal[300];
    beside(busy, sizeof busy, "busy.db");
    snprintf(wal, sizeof wal, "%s-wal", busy);
    FILE *f = fopen(wal, "w");
    ck_assert_ptr_nonnull(f);
    fclose(f);
    ck_assert_int_eq(store_backup(s, busy, 0, 0, NULL), AD_EINVAL);
    ck_assert_ptr_nonnull(strstr(store_errmsg(s), "in use"));
    ck_assert_int_ne(access(busy, F_OK), 0);
    remove_beside("busy.db");
    /* Not a regular file: the rename would replace it. */
    char link[256];
    beside(link, sizeof link, "link.db");
    ck_assert_int_eq(symlink("elsewhere.db", link), 0);
    ck_assert_int_eq(store_backup(s, link, 0, 0, NULL), AD_EINVAL);
    ck_assert_ptr_nonnull(strstr(store_errmsg(s), "not a regular file"));
    unlink(link);
    /* A folder that does not exist: an error naming the file, and the
     * database usable after it. */
    char nowhere[256];
    beside(nowhere, sizeof nowhere, "no/such/folder.db");
    ck_assert_int_eq(store_backup(s, nowhere, 0, 0, NULL), AD_EIO);
    ck_assert_ptr_nonnull(strstr(store_errmsg(s), "folder.db"));
    /* Inside a transaction: refused. */
    ck_assert_int_eq(store_begin_read(s), AD_OK);
    char copy[256];
    beside(copy, sizeof copy, "copy.db");
    ck_assert_int_eq(store_backup(s, copy, 0, 0, NULL), AD_EINVAL);
    store_rollback(s);
    ck_assert_int_eq(store_begin(s), AD_OK);
    append(s, 1, "{}");
    ck_assert_int_eq(store_commit(s), AD_OK);
    close_store(s);
}
END_TEST

/* The writer of test_backup_snapshot: commits one message after
 * another through a connection of its own until told to stop. */
struct writer {
    const char *path;
    volatile int stop;
    int commits;
};

static void *
writer_main(void *arg)
{
    struct writer *w = arg;
    sqlite3 *raw = NULL;
    if (sqlite3_open_v2(w->path, &raw, SQLITE_OPEN_READWRITE, NULL) !=
        SQLITE_OK)
        return NULL;
    sqlite3_busy_timeout(raw, 5000);
    while (!w->stop) {
        if (sqlite3_exec(raw,
                         "BEGIN IMMEDIATE; INSERT INTO messages (actor, body, "
                         "created) VALUES (1, '{\"w\":1}', 0); UPDATE actors "
                         "SET mailbox = mailbox + 1 WHERE id = 1; COMMIT",
                         NULL, NULL, NULL) == SQLITE_OK)
            w->commits++;
        usleep(500);
    }
    sqlite3_close(raw);
    return NULL;
}

/* A backup of one page a step, with another connection committing all
 * the while: it finishes (it does not start over at each commit), and
 * the copy is one snapshot, its counts agreeing with each other. */
START_TEST(test_backup_snapshot)
{
    struct store *s = open_store();
    fill(s);
    /* Enough pages that the backup takes many steps. */
    ck_assert_int_eq(store_begin(s), AD_OK);
    char body[2048];
    memset(body, 'x', sizeof body - 3);
    body[0] = '"';
    body[sizeof body - 3] = '"';
    body[sizeof body - 2] = '\0';
    for (int i = 0; i < 200; i++)
        append(s, 2, body);
    ck_assert_int_eq(store_commit(s), AD_OK);
    long long before = db_int("SELECT count(*) FROM messages");
    struct writer w = {.path = db.path};
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, writer_main, &w), 0);
    while (w.commits < 5)
        usleep(1000);
    char copy[256];
    beside(copy, sizeof copy, "copy.db");
    int err = store_backup(s, copy, 1, 2, NULL);
    int during = w.commits;
    w.stop = 1;
    pthread_join(t, NULL);
    ck_assert_int_eq(err, AD_OK);
    ck_assert_int_gt(during, 5);
    long long n = file_int(copy, "SELECT count(*) FROM messages");
    long long after = db_int("SELECT count(*) FROM messages");
    ck_assert_int_ge(n, before);
    ck_assert_int_lt(n, after); /* the writer went on after its snapshot */
    ck_assert_int_eq(file_int(copy, "SELECT count(*) FROM actors a WHERE "
                                    "a.mailbox <> (SELECT count(*) FROM "
                                    "messages m WHERE m.actor = a.id)"),
                     0);
    remove_beside("copy.db");
    close_store(s);
}
END_TEST

/* ---- vacuum ---- */

START_TEST(test_vacuum)
{
    struct store *s = open_store();
    fill(s);
    ck_assert_int_eq(store_begin(s), AD_OK);
    char body[1024];
    memset(body, 'y', sizeof body - 3);
    body[0] = '"';
    body[sizeof body - 3] = '"';
    body[sizeof body - 2] = '\0';
    for (int i = 0; i < 300; i++)
        ck_assert_int_eq(
            store_dead_letter_add(s, NULL, "x", "test", body, strlen(body), 1),
            AD_OK);
    ck_assert_int_eq(store_commit(s), AD_OK);
    ck_assert_int_eq(store_begin(s), AD_OK);
    ck_assert_int_eq(store_dead_letter_collect(s, INT64_MAX, NULL), AD_OK);
    ck_assert_int_eq(store_commit(s), AD_OK);

    struct store_vacuum v;
    ck_assert_int_eq(store_vacuum(s, STORE_VACUUM_AUTO, &v), AD_OK);
    ck_assert_int_eq(v.full, 1);
    ck_assert_int_eq(v.auto_vacuum, 0);
    ck_assert_int_gt(v.free_before, 50);
    ck_assert_int_eq(v.free_after, 0);
    ck_assert_int_lt(v.bytes_after, v.bytes_before);
    ck_assert_int_eq(v.checkpointed, 1);

    ck_assert_int_eq(store_vacuum(s, STORE_VACUUM_INCREMENTAL, &v), AD_OK);
    ck_assert_int_eq(v.full, 1);
    ck_assert_int_eq(v.auto_vacuum, 2);
    ck_assert_int_eq(db_int("PRAGMA auto_vacuum"), 2);
    /* Now AUTO frees pages without a rebuild. */
    ck_assert_int_eq(store_begin(s), AD_OK);
    for (int i = 0; i < 100; i++)
        ck_assert_int_eq(
            store_dead_letter_add(s, NULL, "x", "test", body, strlen(body), 1),
            AD_OK);
    ck_assert_int_eq(store_commit(s), AD_OK);
    ck_assert_int_eq(store_begin(s), AD_OK);
    ck_assert_int_eq(store_dead_letter_collect(s, INT64_MAX, NULL), AD_OK);
    ck_assert_int_eq(store_commit(s), AD_OK);
    ck_assert_int_eq(store_vacuum(s, STORE_VACUUM_AUTO, &v), AD_OK);
    ck_assert_int_eq(v.full, 0);
    ck_assert_int_gt(v.free_before, 10);
    ck_assert_int_eq(v.free_after, 0);
    ck_assert_int_lt(v.bytes_after, v.bytes_before);
    /* FULL rebuilds whatever the setting; NONE sets it back. */
    ck_assert_int_eq(store_vacuum(s, STORE_VACUUM_FULL, &v), AD_OK);
    ck_assert_int_eq(v.full, 1);
    ck_assert_int_eq(v.auto_vacuum, 2);
    ck_assert_int_eq(store_vacuum(s, STORE_VACUUM_NONE, &v), AD_OK);
    ck_assert_int_eq(v.auto_vacuum, 0);
    /* Inside a transaction: refused. */
    ck_assert_int_eq(store_begin(s), AD_OK);
    ck_assert_int_eq(store_vacuum(s, STORE_VACUUM_FULL, &v), AD_EINVAL);
    store_rollback(s);
    ck_assert_int_eq(db_int("SELECT count(*) FROM actors"), 2);
    close_store(s);
}
END_TEST

/* ---- statistics ---- */

START_TEST(test_stats)
{
    struct store *s = open_store();
    struct store_stats st;
    ck_assert_int_eq(store_stats(s, &st), AD_OK);
    ck_assert_int_eq(st.actors[STORE_WAITING], 0);
    ck_assert_int_eq(st.messages, 0);
    fill(s);
    ck_assert_int_eq(store_begin(s), AD_OK);
    add_actor(s, "k", "counter", STORE_KILLED, 1);
    add_actor(s, "odd", "counter", STORE_WAITING, 1);
    add_actor(s, "_call-1", "_reply", STORE_WAITING, 1);
    struct store_source src = {.name = (char *)"lb",
                               .version = 1,
                               .language = (char *)"lua",
                               .source = (char *)"x",
                               .source_len = 1};
    ck_assert_int_eq(store_source_add(s, &src), AD_OK);
    src.version = 2;
    ck_assert_int_eq(store_source_add(s, &src), AD_OK);
    ck_assert_int_eq(store_commit(s), AD_OK);
    /* A status this build does not know counts as stranded. */
    db_exec("UPDATE actors SET status = 'dreaming' WHERE name = 'odd'");
    ck_assert_int_eq(store_stats(s, &st), AD_OK);
    ck_assert_int_eq(st.actors[STORE_WAITING], 1);
    ck_assert_int_eq(st.actors[STORE_RUNNABLE], 1);
    ck_assert_int_eq(st.actors[STORE_KILLED], 1);
    ck_assert_int_eq(st.actors[STORE_STRANDED], 1);
    ck_assert_int_eq(st.own, 1);
    ck_assert_int_eq(st.messages, 2);
    ck_assert_int_eq(st.dead_letters, 1);
    ck_assert_int_eq(st.timers, 1);
    ck_assert_int_eq(st.monitors, 1);
    ck_assert_int_eq(st.links, 1);
    ck_assert_int_eq(st.uploaded, 1);
    ck_assert_int_eq(st.versions, 2);
    ck_assert_int_eq(st.page_size, db_int("PRAGMA page_size"));
    ck_assert_int_eq(st.pages, db_int("PRAGMA page_count"));
    ck_assert_int_eq(st.schema, store_schema_version(s));
    ck_assert_int_gt(st.wal_bytes, 0); /* the store writes through a WAL */
    close_store(s);
}
END_TEST

/* ---- checks ---- */

/* What store_check reported: the names of the checks that failed, in
 * order, and the examples of the last. */
struct report {
    int n;            /* checks run */
    char failed[512]; /* "name name ..." */
    char examples[512];
};

static int
report_cb(void *ctx, const struct store_problem *p)
{
    struct report *r = ctx;
    r->n++;
    ck_assert_ptr_nonnull(p->check);
    ck_assert_ptr_nonnull(p->what);
    ck_assert_ptr_nonnull(p->examples);
    if (p->count == 0) {
        ck_assert_str_eq(p->examples, "");
        return AD_OK;
    }
    size_t used = strlen(r->failed);
    snprintf(r->failed + used, sizeof r->failed - used, "%s%s", used ? " " : "",
             p->check);
    snprintf(r->examples, sizeof r->examples, "%s", p->examples);
    return AD_OK;
}

START_TEST(test_check_clean)
{
    struct store *s = open_store();
    fill(s);
    struct report r = {0};
    ck_assert_int_eq(store_check(s, 0, report_cb, &r), AD_OK);
    ck_assert_int_eq(r.n, 18);
    ck_assert_str_eq(r.failed, "");
    /* The callback's error stops the checks. */
    close_store(s);
}
END_TEST

/* Breaking one invariant at a time (sql behind the store's back, on a
 * fresh fill each), and the check that must find it. */
static const struct {
    const char *sql;
    const char *failed;
    const char *example; /* a part of the examples, or NULL */
} breaks[] = {
    {"UPDATE actors SET status = 'dreaming' WHERE name = 'a'", "statuses",
     "a (dreaming)"},
    {"INSERT INTO messages (actor, body, created) VALUES (99, '1', 0); "
     "UPDATE actors SET mailbox = mailbox",
     "message_actors", "of actor id 99"},
    {"UPDATE actors SET mailbox = 5 WHERE name = 'a'", "mailbox_counts",
     "a (stored 5, messages 2)"},
    {"UPDATE actors SET status = 'exited', mailbox = 2 WHERE name = 'a'",
     "ended_mail", "a (exited, 2 messages)"},
    {"UPDATE actors SET status = 'killed' WHERE name = 'b'", "ended_timers",
     "b (killed, 1 timers)"},
    {"UPDATE actors SET waiting_for = NULL WHERE name = 'a'", "waiting_receive",
     "a (resume 1, waiting_for null)"},
    {"UPDATE actors SET waiting_for = '77', resume = 1 WHERE name = 'b'",
     "shapes_rows", "b (shapes 77)"},
    {"UPDATE actors SET state = '[1]' WHERE name = 'a'", "json", "a"},
    {"UPDATE messages SET body = '{oops' WHERE seq = 1", "message_json",
     "message 1"},
    {"INSERT INTO monitors VALUES (1, 42)", "monitor_actors", "by id 42"},
    {"INSERT INTO links VALUES (43, 1), (1, 43)", "link_actors", "id 43"},
    {"DELETE FROM links WHERE a = 1", "links_both_ways",
     "link of id 2 to id 1"},
    {"UPDATE timers SET owner = 44", "timer_owners", "of id 44"},
    {"INSERT INTO abandoned_calls VALUES (45, 'c1', 0)", "call_actors",
     "call c1 of id 45"},
    {"UPDATE actors SET ties = 0", "ties_bits", "b (timers)"},
    {"INSERT INTO sources VALUES ('lb', 3, 'lua', '', 'x', 0)",
     "source_versions", "lb version 3"},
    {"INSERT INTO actors (name, behavior, version, status, created, "
     "updated) VALUES ('_call-old', '_reply', 1, 'waiting', 500, 500)",
     "stale_calls", "_call-old (created 1970-01-01T00:00:00Z)"},
};

START_TEST(test_check_finds)
{
    struct store *s = open_store();
    fill(s);
    db_exec(breaks[_i].sql);
    struct report r = {0};
    ck_assert_int_eq(store_check(s, 1000, report_cb, &r), AD_OK);
    /* Only the broken one fails. */
    ck_assert_msg(strcmp(r.failed, breaks[_i].failed) == 0,
                  "break %d: failed '%s', want '%s'", _i, r.failed,
                  breaks[_i].failed);
    if (breaks[_i].example)
        ck_assert_msg(strstr(r.examples, breaks[_i].example) != NULL,
                      "break %d: examples '%s', want '%s'", _i, r.examples,
                      breaks[_i].example);
    close_store(s);
}
END_TEST

/* A damaged file: integrity_check reports it, and a check that cannot
 * run on it fails with SQLite's reason rather than stopping the rest. */
START_TEST(test_check_integrity)
{
    struct store *s = open_store();
    fill(s);
    ck_assert_int_eq(store_begin(s), AD_OK);
    for (int i = 0; i < 200; i++)
        append(s, 2,
               "\"a message long enough to fill a few pages of the "
               "table messages and its index\"");
    ck_assert_int_eq(store_commit(s), AD_OK);
    close_store(s);
    /* Junk over the middle of the file, below any page's header. */
    long long pages = file_int(db.path, "PRAGMA page_count");
    long long size = file_int(db.path, "PRAGMA page_size");
    FILE *f = fopen(db.path, "r+b");
    ck_assert_ptr_nonnull(f);
    for (long long pg = 2; pg < pages; pg += 2) {
        ck_assert_int_eq(fseek(f, (long)(pg * size + 100), SEEK_SET), 0);
        for (int i = 0; i < 64; i++)
            fputc(0xA5, f);
    }
    fclose(f);
    s = open_store();
    struct report r = {0};
    ck_assert_int_eq(store_check(s, 0, report_cb, &r), AD_OK);
    ck_assert_int_eq(r.n, 18);
    ck_assert_msg(strncmp(r.failed, "integrity_check", 15) == 0, "failed: %s",
                  r.failed);
    close_store(s);
}
END_TEST

static int
stop_cb(void *ctx, const struct store_problem *p)
{
    (void)p;
    return ++*(int *)ctx == 3 ? AD_EINVAL : AD_OK;
}

START_TEST(test_check_stops)
{
    struct store *s = open_store();
    int n = 0;
    ck_assert_int_eq(store_check(s, 0, stop_cb, &n), AD_EINVAL);
    ck_assert_int_eq(n, 3);
    /* No transaction is left open. */
    ck_assert_int_eq(store_begin(s), AD_OK);
    store_rollback(s);
    close_store(s);
}
END_TEST

static Suite *
ops_suite(void)
{
    Suite *s = suite_create("store_ops");
    TCase *tc = tcase("backup");
    tcase_add_test(tc, test_backup_copy);
    tcase_add_test(tc, test_backup_refuses);
    tcase_add_test(tc, test_backup_snapshot);
    suite_add_tcase(s, tc);
    tc = tcase("vacuum");
    tcase_add_test(tc, test_vacuum);
    suite_add_tcase(s, tc);
    tc = tcase("stats");
    tcase_add_test(tc, test_stats);
    suite_add_tcase(s, tc);
    tc = tcase("check");
    tcase_add_test(tc, test_check_clean);
    tcase_add_loop_test(tc, test_check_finds, 0,
                        (int)(sizeof breaks / sizeof breaks[0]));
    tcase_add_test(tc, test_check_integrity);
    tcase_add_test(tc, test_check_stops);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return run_suite(ops_suite());
}
