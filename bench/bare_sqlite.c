/*
 * bare_sqlite.c - the yardstick: the least work SQLite can do for one
 * durable actor step, with nothing of actord in the way.
 *
 *     bare_sqlite DIR
 *
 * Uses DIR/bare.db (WAL, synchronous=NORMAL), prints "key value" lines:
 *
 *     sqlite_version     the library's version
 *     bare_step_tx1      steps/s, one step per transaction
 *     bare_step_tx100    steps/s, 100 steps per transaction
 *     bare_step_tx1000   steps/s, 1000 steps per transaction
 *     bare_insert_tx1    inserts/s of one actor row, one per transaction
 *     bare_insert_tx1000 inserts/s of actor rows, 1000 per transaction
 *
 * A step: read the oldest message of an actor, update the actor's JSON
 * state text, delete the message, insert one message for the next actor.
 * Prepared statements are reused.  Each figure is the median of 3 runs.
 * No figure is asserted: this program measures, it does not judge.
 */
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench/bench.h"

#define N_ACTORS 1000
#define RUNS 3

static sqlite3 *db;
static sqlite3_stmt *st_oldest, *st_update, *st_delete, *st_insert, *st_begin,
    *st_commit, *st_spawn;

static void
die(const char *what)
{
    fprintf(stderr, "bare_sqlite: %s: %s\n", what, sqlite3_errmsg(db));
    exit(1);
}

static void
exec(const char *sql)
{
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        die(sql);
}

static sqlite3_stmt *
prepare(const char *sql)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        die(sql);
    return st;
}

static void
step_done(sqlite3_stmt *st, const char *what)
{
    if (sqlite3_step(st) != SQLITE_DONE)
        die(what);
    sqlite3_reset(st);
}

/* One durable step of actor id: the whole point of the yardstick. */
static void
actor_step(int64_t id, int64_t count)
{
    char state[64];
    int64_t seq;
    const unsigned char *body;
    char copy[256];

    sqlite3_bind_int64(st_oldest, 1, id);
    if (sqlite3_step(st_oldest) != SQLITE_ROW)
        die("no message");
    seq = sqlite3_column_int64(st_oldest, 0);
    body = sqlite3_column_text(st_oldest, 1);
    snprintf(copy, sizeof copy, "%s", body ? (const char *)body : "null");
    sqlite3_reset(st_oldest);

    snprintf(state, sizeof state, "{\"count\":%lld}", (long long)count);
    sqlite3_bind_text(st_update, 1, state, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st_update, 2, id);
    step_done(st_update, "update");

    sqlite3_bind_int64(st_delete, 1, seq);
    step_done(st_delete, "delete");

    sqlite3_bind_int64(st_insert, 1, id % N_ACTORS + 1);
    sqlite3_bind_text(st_insert, 2, copy, -1, SQLITE_TRANSIENT);
    step_done(st_insert, "insert");
}

static int64_t step_counter;

/* Runs n steps, per_tx of them per transaction; returns steps/s. */
static double
run_steps(long n, long per_tx)
{
    double t0 = now_s();
    for (long i = 0; i < n; i += per_tx) {
        step_done(st_begin, "begin");
        for (long j = 0; j < per_tx && i + j < n; j++) {
            step_counter++;
            actor_step((step_counter - 1) % N_ACTORS + 1, step_counter);
        }
        step_done(st_commit, "commit");
    }
    return n / (now_s() - t0);
}

static int64_t spawn_counter;

/* Inserts n actors, per_tx per transaction; returns inserts/s. */
static double
run_inserts(long n, long per_tx)
{
    char name[32];
    double t0 = now_s();
    for (long i = 0; i < n; i += per_tx) {
        step_done(st_begin, "begin");
        for (long j = 0; j < per_tx && i + j < n; j++) {
            snprintf(name, sizeof name, "s%lld", (long long)++spawn_counter);
            sqlite3_bind_text(st_spawn, 1, name, -1, SQLITE_TRANSIENT);
            step_done(st_spawn, "spawn");
        }
        step_done(st_commit, "commit");
    }
    return n / (now_s() - t0);
}

static double
median3(double v[RUNS])
{
    qsort(v, RUNS, sizeof v[0], cmp_double);
    return v[RUNS / 2];
}

int
main(int argc, char **argv)
{
    char path[4096];
    double v[RUNS];

    if (argc != 2) {
        fprintf(stderr, "usage: bare_sqlite DIR\n");
        return 2;
    }
    snprintf(path, sizeof path, "%s/bare.db", argv[1]);
    unlink(path);
    if (sqlite3_open(path, &db) != SQLITE_OK)
        die("open");
    exec("PRAGMA journal_mode = WAL");
    exec("PRAGMA synchronous = NORMAL");
    exec("CREATE TABLE actors (id INTEGER PRIMARY KEY, "
         "name TEXT NOT NULL UNIQUE, state TEXT NOT NULL DEFAULT '{}')");
    exec("CREATE TABLE messages (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
         "actor INTEGER NOT NULL REFERENCES actors (id), "
         "body TEXT NOT NULL)");
    exec("CREATE INDEX messages_by_actor ON messages (actor, seq)");

    /* N_ACTORS actors, one message waiting for each. */
    exec("BEGIN");
    st_spawn = prepare("INSERT INTO actors (name) VALUES (?1)");
    st_insert = prepare("INSERT INTO messages (actor, body) VALUES (?1, ?2)");
    for (int i = 1; i <= N_ACTORS; i++) {
        char name[32];
        snprintf(name, sizeof name, "a%d", i);
        sqlite3_bind_text(st_spawn, 1, name, -1, SQLITE_TRANSIENT);
        step_done(st_spawn, "actor");
        sqlite3_bind_int64(st_insert, 1, i);
        sqlite3_bind_text(st_insert, 2, "\"hi\"", -1, SQLITE_STATIC);
        step_done(st_insert, "message");
    }
    exec("COMMIT");

    st_oldest = prepare("SELECT seq, body FROM messages WHERE actor = ?1 "
                        "ORDER BY seq LIMIT 1");
    st_update = prepare("UPDATE actors SET state = ?1 WHERE id = ?2");
    st_delete = prepare("DELETE FROM messages WHERE seq = ?1");
    st_begin = prepare("BEGIN IMMEDIATE");
    st_commit = prepare("COMMIT");

    printf("sqlite_version %s\n", sqlite3_libversion());
    run_steps(2000, 100); /* warm the cache */
    for (int r = 0; r < RUNS; r++)
        v[r] = run_steps(10000, 1);
    printf("bare_step_tx1 %.0f\n", median3(v));
    for (int r = 0; r < RUNS; r++)
        v[r] = run_steps(50000, 100);
    printf("bare_step_tx100 %.0f\n", median3(v));
    for (int r = 0; r < RUNS; r++)
        v[r] = run_steps(50000, 1000);
    printf("bare_step_tx1000 %.0f\n", median3(v));
    for (int r = 0; r < RUNS; r++)
        v[r] = run_inserts(10000, 1);
    printf("bare_insert_tx1 %.0f\n", median3(v));
    for (int r = 0; r < RUNS; r++)
        v[r] = run_inserts(100000, 1000);
    printf("bare_insert_tx1000 %.0f\n", median3(v));

    sqlite3_finalize(st_oldest);
    sqlite3_finalize(st_update);
    sqlite3_finalize(st_delete);
    sqlite3_finalize(st_insert);
    sqlite3_finalize(st_spawn);
    sqlite3_finalize(st_begin);
    sqlite3_finalize(st_commit);
    sqlite3_close(db);
    return 0;
}
