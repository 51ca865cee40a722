/*
 * crowd.c - makes a crowd: a database of N idle counters for the
 * figures of bench/engine.c that need more actors than eng_spawn can make
 * in the time `make bench` has (eng_spawn commits once per call, about
 * 20,000 a second: a million would take about a minute, and engine.h has
 * no batched spawn).
 *
 *     crowd DIR N      makes DIR/crowd.db holding N idle counters
 *
 * How the crowd is made, in three parts:
 *
 *  1. Through engine.h: eng_spawn of one counter under a generated name.
 *     This row, the seed, is exactly what eng_spawn stores for a new
 *     counter (runnable, not started yet).
 *  2. Through bare SQLite, with the engine closed: N - 1 copies of the
 *     seed's row, every column the same (whatever columns the actors
 *     table has now) except id and name, in one transaction.  Each name
 *     is generated as eng_spawn generates one, "a-" and 16 random hex
 *     digits, so the copies come in random name order as spawned actors
 *     do and the indexes on name fill the way they would.  This stands
 *     in for N - 1 eng_spawn calls, and only for them.
 *  3. Through engine.h again: eng_run until no actor is runnable.  The
 *     engine runs the first step of every counter, which leaves each
 *     waiting for {"add": N} or a call, as after eng_spawn and eng_run.
 *
 * bench/engine.c then opens the database with eng_open and sends to,
 * steps, gets and lists the counters.  After eng_close has checkpointed
 * the WAL into the database file, prints "key value" lines for
 * bench/run.sh:
 *
 *     crowd_N_copy_s           seconds of parts 1 and 2
 *     crowd_N_run_s            seconds of part 3 (N steps)
 *     crowd_N_bytes_per_actor  the database file's size / N
 *
 * No figure is asserted: this program measures, it does not judge.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench/bench.h"
#include "engine/engine.h"

static void
die_db(sqlite3 *db, const char *what)
{
    fprintf(stderr, "crowd: %s: %s\n", what, db ? sqlite3_errmsg(db) : "");
    exit(1);
}

/* Part 1: the seed, one counter spawned by the engine itself. */
static void
seed(const char *path)
{
    struct eng_opts opts = {0};
    struct eng *e = NULL;
    json_t *doc = NULL;
    const char *why = NULL;
    int err;

    if ((err = eng_open(path, &opts, &e)) != 0 ||
        (err = eng_spawn(e, NULL, "counter", NULL, &doc, &why)) != 0) {
        fprintf(stderr, "crowd: seed: error %d (%s) %s\n", err,
                e ? eng_errmsg(e) : "", why ? why : "");
        exit(1);
    }
    json_decref(doc);
    eng_close(e);
}

/* The actors table's columns but id and name, comma separated, in
 * cols (of size len). */
static void
copied_columns(sqlite3 *db, char *cols, size_t len)
{
    sqlite3_stmt *st;
    size_t used = 0;

    if (sqlite3_prepare_v2(db, "SELECT name FROM pragma_table_info('actors')",
                           -1, &st, NULL) != SQLITE_OK)
        die_db(db, "table_info");
    cols[0] = '\0';
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *c = (const char *)sqlite3_column_text(st, 0);
        if (strcmp(c, "id") == 0 || strcmp(c, "name") == 0)
            continue;
        int w =
            snprintf(cols + used, len - used, "%s\"%s\"", used ? ", " : "", c);
        if (w < 0 || (size_t)w >= len - used)
            die_db(NULL, "too many columns");
        used += (size_t)w;
    }
    sqlite3_finalize(st);
}

static long long
count_actors(sqlite3 *db)
{
    sqlite3_stmt *st;
    long long n = -1;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM actors", -1, &st, NULL) !=
        SQLITE_OK)
        die_db(db, "count");
    if (sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

/* Part 2: copies of the seed until the table holds n actors.  A
 * generated name that is already taken (about one chance in 40 million
 * at a million) is skipped and made up in the next round. */
static void
copy_seed(const char *path, long n)
{
    char cols[2048], sql[8192];
    sqlite3 *db = NULL;
    sqlite3_stmt *st;
    long long have;

    if (sqlite3_open(path, &db) != SQLITE_OK)
        die_db(db, "open");
    /* A big cache and no journal for this one connection: it is not
     * actord's and it is not measured (eng_open turns WAL on again). */
    if (sqlite3_exec(db,
                     "PRAGMA cache_size = -262144; "
                     "PRAGMA journal_mode = DELETE; "
                     "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF",
                     NULL, NULL, NULL) != SQLITE_OK)
        die_db(db, "pragmas");
    copied_columns(db, cols, sizeof cols);
    snprintf(sql, sizeof sql,
             "WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL "
             "SELECT i + 1 FROM seq WHERE i < ?1) "
             "INSERT OR IGNORE INTO actors (name, %s) "
             "SELECT printf('a-%%016llx', random()), %s "
             "FROM seq, (SELECT * FROM actors "
             "WHERE behavior = 'counter' AND status = 'runnable' LIMIT 1)",
             cols, cols);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        die_db(db, sql);
    if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        die_db(db, "begin");
    while ((have = count_actors(db)) < n) {
        sqlite3_bind_int64(st, 1, n - have);
        if (sqlite3_step(st) != SQLITE_DONE || sqlite3_changes(db) == 0)
            die_db(db, "copy the seed");
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        die_db(db, "commit");
    if (sqlite3_close(db) != SQLITE_OK) /* checkpoints the WAL */
        die_db(db, "close");
}

/* Part 3: the engine runs every counter's first step; returns steps. */
static long
run_all(const char *path)
{
    struct eng_opts opts = {0};
    struct eng *e = NULL;
    long steps = 0;
    int err;

    if ((err = eng_open(path, &opts, &e)) != 0 ||
        (err = eng_run(e, 0, 0, &steps)) != 0) {
        fprintf(stderr, "crowd: run: error %d (%s)\n", err,
                e ? eng_errmsg(e) : "");
        exit(1);
    }
    eng_close(e); /* checkpoints the WAL into the database file */
    return steps;
}

int
main(int argc, char **argv)
{
    char path[4096];
    struct stat sb;
    long n;
    long steps;
    double t0, t1;

    bench_init();
    if (argc != 3 || (n = atol(argv[2])) < 1) {
        fprintf(stderr, "usage: crowd DIR N\n");
        return 2;
    }
    snprintf(path, sizeof path, "%s/crowd.db", argv[1]);
    remove_db(path);
    t0 = now_s();
    seed(path);
    copy_seed(path, n);
    t1 = now_s();
    if ((steps = run_all(path)) != n) {
        fprintf(stderr, "crowd: %ld first steps for %ld counters\n", steps, n);
        return 1;
    }
    if (stat(path, &sb) != 0)
        die_db(NULL, "stat");
    printf("crowd_%ld_copy_s %.3f\n", n, t1 - t0);
    printf("crowd_%ld_run_s %.3f\n", n, now_s() - t1);
    printf("crowd_%ld_bytes_per_actor %.0f\n", n, (double)sb.st_size / n);
    return 0;
}
