/*
 * engine.c - actord's engine measured through engine.h, as fcgi/ and
 * cli/ use it.
 *
 *     engine DIR speed     ring, batched and single-commit steps, spawns
 *     engine DIR idle N    N idle counters: disk and RSS per actor
 *
 * Databases are created in DIR.  Prints "key value" lines for
 * bench/run.sh.  Short figures are the median of 3 runs.  No figure is
 * asserted: this program measures, it does not judge.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/engine.h"

#define RUNS 3
#define CYCLE 1000 /* forwarders in the cycle of the step figures */

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
die(struct eng *e, const char *what, int err)
{
    fprintf(stderr, "engine bench: %s: error %d (%s)\n", what, err,
            e ? eng_errmsg(e) : "");
    exit(1);
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double
median3(double v[RUNS])
{
    qsort(v, RUNS, sizeof v[0], cmp_double);
    return v[RUNS / 2];
}

/* Removes path and its WAL and shared-memory files. */
static void
remove_db(const char *path)
{
    char p[4200];
    unlink(path);
    snprintf(p, sizeof p, "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", path);
    unlink(p);
}

static struct eng *
open_fresh(const char *path, int batch_steps)
{
    struct eng_opts opts = {.batch_steps = batch_steps};
    struct eng *e = NULL;
    int err;
    remove_db(path);
    if ((err = eng_open(path, &opts, &e)) != 0)
        die(e, "eng_open", err);
    return e;
}

static void
spawn(struct eng *e, const char *name, const char *behavior, json_t *args)
{
    json_t *doc = NULL;
    const char *why = NULL;
    int err = eng_spawn(e, name, behavior, args, &doc, &why);
    if (err != 0) {
        fprintf(stderr, "engine bench: spawn %s: %s\n", behavior,
                why ? why : "");
        die(e, "eng_spawn", err);
    }
    json_decref(doc);
}

/*
 * (a) The ring of n: one step spawns n forwarders (one transaction), then
 * the message goes round.  *spawn_s is the first step alone.
 */
static double
ring_once(const char *path, long n, double *spawn_s, long *steps)
{
    struct eng *e = open_fresh(path, 0);
    json_t *args = json_pack("{s:I, s:s}", "n", (json_int_t)n, "message",
                             "hi");
    json_t *doc = NULL;
    long s1 = 0, s2 = 0;
    int err;
    double t0, t1, t2;

    t0 = now_s();
    spawn(e, "ring", "ring", args);
    if ((err = eng_run(e, 1, 0, &s1)) != 0)
        die(e, "eng_run", err);
    t1 = now_s();
    if ((err = eng_run(e, 0, 0, &s2)) != 0)
        die(e, "eng_run", err);
    t2 = now_s();
    if ((err = eng_get(e, "ring", &doc)) != 0 || !eng_doc_ended(doc))
        die(e, "the ring did not end", err);
    json_decref(doc);
    json_decref(args);
    eng_close(e);
    *spawn_s = t1 - t0;
    *steps = s1 + s2;
    return t2 - t0;
}

/*
 * A cycle of CYCLE forwarders f0 -> f1 -> ... -> f0, each fed one message
 * with eng_send_many: every step then reads the oldest message, stores
 * the actor, deletes the message and sends one to the next actor, like
 * the bare loop's step.
 */
static struct eng *
cycle_open(const char *path, int batch_steps)
{
    struct eng *e = open_fresh(path, batch_steps);
    const char *names[CYCLE];
    json_t *msgs[CYCLE];
    int errs[CYCLE];
    char name[32], to[32];
    int err;

    for (int i = 0; i < CYCLE; i++) {
        snprintf(name, sizeof name, "f%d", i);
        snprintf(to, sizeof to, "f%d", (i + 1) % CYCLE);
        json_t *args = json_pack("{s:{s:s}}", "to", "$address", to);
        spawn(e, name, "forwarder", args);
        json_decref(args);
    }
    if ((err = eng_run(e, 0, 0, NULL)) != 0) /* first steps: all wait */
        die(e, "eng_run", err);
    for (int i = 0; i < CYCLE; i++) {
        snprintf(name, sizeof name, "f%d", i);
        names[i] = strdup(name);
        msgs[i] = json_string("hi");
    }
    if ((err = eng_send_many(e, names, msgs, CYCLE, 0, errs, NULL)) != 0)
        die(e, "eng_send_many", err);
    for (int i = 0; i < CYCLE; i++) {
        free((char *)names[i]);
        json_decref(msgs[i]);
    }
    return e;
}

/* Runs n steps of the cycle; returns steps/s. */
static double
cycle_run(struct eng *e, long n)
{
    long steps = 0;
    double t0 = now_s();
    int err = eng_run(e, n, 0, &steps);
    if (err != 0)
        die(e, "eng_run", err);
    if (steps != n)
        die(e, "the cycle stopped early", 0);
    return steps / (now_s() - t0);
}

/* (d) n eng_spawn calls, each its own transaction; returns spawns/s. */
static double
spawn_loop(struct eng *e, long n)
{
    double t0 = now_s();
    for (long i = 0; i < n; i++)
        spawn(e, NULL, "counter", NULL);
    return n / (now_s() - t0);
}

static int
speed(const char *dir)
{
    char path[4096];
    double v[RUNS], sp[RUNS], spawn_s;
    long steps = 0;
    struct eng *e;

    snprintf(path, sizeof path, "%s/engine.db", dir);

    for (int r = 0; r < RUNS; r++) {
        v[r] = ring_once(path, 10000, &spawn_s, &steps);
        sp[r] = 10000 / spawn_s;
    }
    printf("ring_s %.3f\n", median3(v));
    printf("ring_steps %ld\n", steps);
    printf("ring_spawns_per_s %.0f\n", median3(sp));

    e = cycle_open(path, 0);
    cycle_run(e, 2000); /* warm the cache */
    for (int r = 0; r < RUNS; r++)
        v[r] = cycle_run(e, 50000);
    printf("batched_steps_per_s %.0f\n", median3(v));
    eng_close(e);

    e = cycle_open(path, 1);
    cycle_run(e, 500);
    for (int r = 0; r < RUNS; r++)
        v[r] = cycle_run(e, 10000);
    printf("single_steps_per_s %.0f\n", median3(v));
    eng_close(e);

    e = open_fresh(path, 0);
    for (int r = 0; r < RUNS; r++)
        v[r] = spawn_loop(e, 5000);
    printf("spawns_per_s %.0f\n", median3(v));
    eng_close(e);
    remove_db(path);
    return 0;
}

/* (e) n idle counters: bytes on disk and max RSS. */
static int
idle(const char *dir, long n)
{
    char path[4096];
    struct rusage ru;
    struct stat sb;
    long steps = 0;
    double t0;
    int err;
    struct eng *e;

    snprintf(path, sizeof path, "%s/idle.db", dir);
    e = open_fresh(path, 0);
    t0 = now_s();
    for (long i = 0; i < n; i++)
        spawn(e, NULL, "counter", NULL);
    if ((err = eng_run(e, 0, 0, &steps)) != 0)
        die(e, "eng_run", err);
    printf("idle_%ld_s %.3f\n", n, now_s() - t0);
    eng_close(e); /* checkpoints the WAL into the database file */
    if (stat(path, &sb) != 0)
        die(NULL, "stat", 0);
    getrusage(RUSAGE_SELF, &ru);
    printf("idle_%ld_bytes_per_actor %.0f\n", n, (double)sb.st_size / n);
    printf("idle_%ld_maxrss_kb %ld\n", n, ru.ru_maxrss);
    remove_db(path);
    return 0;
}

int
main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[2], "speed") == 0)
        return speed(argv[1]);
    if (argc == 4 && strcmp(argv[2], "idle") == 0)
        return idle(argv[1], atol(argv[3]));
    fprintf(stderr, "usage: engine DIR speed | engine DIR idle N\n");
    return 2;
}
