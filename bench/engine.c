/*
 * engine.c - actord's engine measured through engine.h, as fcgi/ and
 * cli/ use it.
 *
 *     engine DIR speed        ring, batched and single-commit steps, spawns
 *     engine DIR idle N       N idle counters: disk and RSS per actor
 *     engine DIR selective    selective receive over 10,000 unmatched
 *     engine DIR crowd N      pages, sends and RSS among N idle counters
 *     engine DIR crowd-steps N  batched steps among N idle counters
 *     engine DIR lua          the ring and batched steps in Lua beside C
 *
 * Databases are created in DIR; the crowd modes open DIR/crowd.db, made
 * by bench/crowd.c with N idle counters.  Prints "key value" lines for
 * bench/run.sh.  Short figures are the median of 3 runs (5 for
 * crowd-steps).  The lua mode reads the .lua files of bench/lua/ from
 * the current folder (bench/run.sh runs in the repository's root).  No
 * figure is asserted: this program measures, it does not judge.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench/bench.h"
#include "engine/engine.h"
#include "lua/luab.h"

#define RUNS 3
#define CYCLE 1000   /* forwarders in the cycle of the step figures */
#define NOISE 10000  /* unmatched messages in the selective receive */
#define MATCHES 300  /* matched messages timed per run of it */
#define PAGE 100     /* actors per eng_list page */
#define PAGES 100    /* pages timed at each place in the list */
#define SAMPLES 1000 /* counters of a crowd sent to and got */
/* Runs of the cycle among a crowd: two sizes are compared, so their
 * noise is damped more. */
#define CROWD_RUNS 5

static void
die(struct eng *e, const char *what, int err)
{
    fprintf(stderr, "engine bench: %s: error %d (%s)\n", what, err,
            e ? eng_errmsg(e) : "");
    exit(1);
}

static double
median(double *v, int n)
{
    qsort(v, n, sizeof v[0], cmp_double);
    return v[n / 2];
}

static double
median3(double v[RUNS])
{
    return median(v, RUNS);
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
static void upload_lua(struct eng *e);

static double
ring_once(const char *path, const char *behavior, long n, double *spawn_s,
          long *steps)
{
    struct eng *e = open_fresh(path, 0);
    if (strcmp(behavior, "ring") != 0)
        upload_lua(e);
    json_t *args = json_pack("{s:I, s:s}", "n", (json_int_t)n, "message", "hi");
    json_t *doc = NULL;
    long s1 = 0, s2 = 0;
    int err;
    double t0, t1, t2;

    t0 = now_s();
    spawn(e, "ring", behavior, args);
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
 * A cycle of CYCLE forwarders (of behavior) f0 -> f1 -> ... -> f0, each
 * fed one message with eng_send_many: every step then reads the oldest
 * message, stores the actor, deletes the message and sends one to the
 * next actor, like the bare loop's step.
 */
static void
cycle_fill(struct eng *e, const char *behavior)
{
    const char *names[CYCLE];
    json_t *msgs[CYCLE];
    int errs[CYCLE];
    char name[32], to[32];
    int err;

    for (int i = 0; i < CYCLE; i++) {
        snprintf(name, sizeof name, "f%d", i);
        snprintf(to, sizeof to, "f%d", (i + 1) % CYCLE);
        json_t *args = json_pack("{s:{s:s}}", "to", "$address", to);
        spawn(e, name, behavior, args);
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
}

static struct eng *
cycle_open(const char *path, int batch_steps, const char *behavior)
{
    struct eng *e = open_fresh(path, batch_steps);
    if (strcmp(behavior, "forwarder") != 0)
        upload_lua(e);
    cycle_fill(e, behavior);
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
        v[r] = ring_once(path, "ring", 10000, &spawn_s, &steps);
        sp[r] = 10000 / spawn_s;
    }
    printf("ring_s %.3f\n", median3(v));
    printf("ring_steps %ld\n", steps);
    printf("ring_spawns_per_s %.0f\n", median3(sp));

    e = cycle_open(path, 0, "forwarder");
    cycle_run(e, 2000); /* warm the cache */
    for (int r = 0; r < RUNS; r++)
        v[r] = cycle_run(e, 50000);
    printf("batched_steps_per_s %.0f\n", median3(v));
    eng_close(e);

    e = cycle_open(path, 1, "forwarder");
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

/*
 * Sends {"add": 1} to the counter name with eng_send (one commit), then
 * eng_run runs the step it wakes (another); n times.  Returns seconds
 * per message.
 */
static double
feed(struct eng *e, const char *name, int n)
{
    json_t *add = json_pack("{s:i}", "add", 1);
    long steps;
    int err;
    double t0 = now_s();
    for (int i = 0; i < n; i++) {
        if ((err = eng_send(e, name, add, NULL)) != 0)
            die(e, "eng_send", err);
        if ((err = eng_run(e, 0, 0, &steps)) != 0)
            die(e, "eng_run", err);
        if (steps != 1)
            die(e, "a matching message did not run one step", 0);
    }
    double t = (now_s() - t0) / n;
    json_decref(add);
    return t;
}

/* Dies unless the counter name counts count with mailbox messages. */
static void
expect_counter(struct eng *e, const char *name, long count, long mailbox)
{
    json_t *doc = NULL;
    int err = eng_get(e, name, &doc);
    if (err != 0)
        die(e, "eng_get", err);
    json_int_t c = json_integer_value(
        json_object_get(json_object_get(doc, "state"), "count"));
    json_int_t m = json_integer_value(json_object_get(doc, "mailbox"));
    if (c != count || m != mailbox) {
        fprintf(stderr,
                "engine bench: %s counts %lld with %lld queued, not "
                "%ld with %ld\n",
                name, (long long)c, (long long)m, count, mailbox);
        exit(1);
    }
    json_decref(doc);
}

/*
 * (f) Selective receive.  A counter takes {"add": N} and calls; a message
 * {"noise": I} matches none of its shapes, stays in the mailbox, and does
 * not wake it.  Each of RUNS counters is sent NOISE such messages in one
 * eng_send_many; then one {"add": 1} wakes it, and that step looks at all
 * NOISE messages before the match: the one pass (its eng_send and eng_run
 * are timed, as each match below is).  Then MATCHES more adds are fed one
 * at a time (eng_send, then eng_run) to one of them, and as many to a
 * counter with an empty mailbox.  The engine keeps a watermark of what
 * it has looked at (actors.scanned), so the NOISE messages should not be
 * looked at again.
 */
static int
selective(const char *dir)
{
    char path[4096], name[32];
    double pass[RUNS], busy[RUNS], quiet[RUNS];
    const char **names = calloc(NOISE, sizeof *names);
    json_t **msgs = calloc(NOISE, sizeof *msgs);
    int *errs = calloc(NOISE, sizeof *errs);
    int err;

    if (names == NULL || msgs == NULL || errs == NULL)
        die(NULL, "out of memory", 0);
    snprintf(path, sizeof path, "%s/selective.db", dir);
    struct eng *e = open_fresh(path, 0);
    spawn(e, "quiet", "counter", NULL);
    for (int r = 0; r < RUNS; r++) {
        snprintf(name, sizeof name, "busy%d", r);
        spawn(e, name, "counter", NULL);
    }
    if ((err = eng_run(e, 0, 0, NULL)) != 0)
        die(e, "eng_run", err);
    for (int r = 0; r < RUNS; r++) {
        snprintf(name, sizeof name, "busy%d", r);
        for (int i = 0; i < NOISE; i++) {
            names[i] = name;
            msgs[i] = json_pack("{s:i}", "noise", i);
        }
        if ((err = eng_send_many(e, names, msgs, NOISE, 0, errs, NULL)) != 0)
            die(e, "eng_send_many", err);
        for (int i = 0; i < NOISE; i++)
            json_decref(msgs[i]);
        pass[r] = feed(e, name, 1);
    }
    feed(e, "quiet", 1);
    feed(e, "busy0", 20); /* warm the cache */
    feed(e, "quiet", 20);
    for (int r = 0; r < RUNS; r++) {
        busy[r] = feed(e, "busy0", MATCHES);
        quiet[r] = feed(e, "quiet", MATCHES);
    }
    expect_counter(e, "busy0", 1 + 20 + RUNS * MATCHES, NOISE);
    expect_counter(e, "quiet", 1 + 20 + RUNS * MATCHES, 0);
    printf("selective_pass_ms %.3f\n", median3(pass) * 1e3);
    printf("selective_match_ms_%d %.3f\n", NOISE, median3(busy) * 1e3);
    printf("selective_match_ms_0 %.3f\n", median3(quiet) * 1e3);
    eng_close(e);
    remove_db(path);
    free(names);
    free(msgs);
    free(errs);
    return 0;
}

static struct eng *
open_crowd(const char *dir, char *path, size_t len)
{
    struct eng_opts opts = {0};
    struct eng *e = NULL;
    int err;
    snprintf(path, len, "%s/crowd.db", dir);
    if ((err = eng_open(path, &opts, &e)) != 0)
        die(e, "eng_open", err);
    return e;
}

/*
 * Lists up to count pages of PAGE actors with eng_list, the first one
 * after the name after ("": from the start), each next one after the
 * previous one's "next" cursor, as GET /actors pages.  Returns the
 * median time of a page, s.
 */
static double
list_pages(struct eng *e, const char *after, long count)
{
    char cursor[256];
    double *t = malloc(count * sizeof *t);
    long page = 0;
    int err;

    if (t == NULL || strlen(after) >= sizeof cursor)
        die(NULL, "out of memory, or a cursor too long", 0);
    memcpy(cursor, after, strlen(after) + 1);
    while (page < count) {
        json_t *out = NULL;
        double t0 = now_s();
        if ((err = eng_list(e, NULL, NULL, cursor[0] ? cursor : NULL, PAGE,
                            &out)) != 0)
            die(e, "eng_list", err);
        t[page++] = now_s() - t0;
        const char *next = json_string_value(json_object_get(out, "next"));
        snprintf(cursor, sizeof cursor, "%s", next ? next : "");
        json_decref(out);
        if (next == NULL)
            break;
    }
    qsort(t, page, sizeof t[0], cmp_double);
    double m = t[page / 2];
    free(t);
    return m;
}

/* Places in the list where pages are timed: the first PAGES pages,
 * PAGES pages from the middle of the names, the last PAGES pages. */
enum { AT_FIRST, AT_MIDDLE, AT_LAST, AT_COUNT };

/*
 * (g) A crowd of n idle counters (DIR/crowd.db, by bench/crowd.c), in a
 * process of its own so that its max RSS is the engine's alone.  Lists
 * all n with eng_list, PAGE a page, each page after the previous one's
 * "next" cursor (as GET /actors pages), keeping every (n / SAMPLES)-th
 * name and the cursors where the middle and the last PAGES pages begin.
 * Then sends {"add": 1} to each kept counter (eng_send, a commit each),
 * runs the steps they wake (eng_run) and gets each one back (eng_get).
 * Then times PAGES pages from each place, RUNS times in turn (the walk
 * itself is not timed: its first pages meet a cold cache and the
 * writeback of the database just made).  Prints the median page time at
 * each place, the time per kept counter of its send and step, and the
 * max RSS.
 */
static int
crowd(const char *dir, long n)
{
    char path[4096], after[256] = "", at[AT_COUNT][256] = {{0}};
    long npages = (n + PAGE - 1) / PAGE, page = 0, listed = 0;
    long starts[AT_COUNT] = {0, npages / 2,
                             npages > PAGES ? npages - PAGES : 0};
    long every = n / SAMPLES > 0 ? n / SAMPLES : 1, kept = 0;
    char **names = calloc(SAMPLES, sizeof *names);
    json_t *add = json_pack("{s:i}", "add", 1);
    double v[AT_COUNT][RUNS];
    struct rusage ru;
    long steps = 0;
    int err;

    if (names == NULL || add == NULL)
        die(NULL, "out of memory", 0);
    struct eng *e = open_crowd(dir, path, sizeof path);
    for (;; page++) {
        json_t *out = NULL, *doc;
        size_t i;
        for (int k = 0; k < AT_COUNT; k++)
            if (page == starts[k])
                snprintf(at[k], sizeof at[k], "%s", after);
        if ((err = eng_list(e, NULL, NULL, after[0] ? after : NULL, PAGE,
                            &out)) != 0)
            die(e, "eng_list", err);
        json_array_foreach(json_object_get(out, "actors"), i, doc)
        {
            if (listed++ % every == 0 && kept < SAMPLES)
                names[kept++] =
                    strdup(json_string_value(json_object_get(doc, "name")));
        }
        const char *next = json_string_value(json_object_get(out, "next"));
        snprintf(after, sizeof after, "%s", next ? next : "");
        json_decref(out);
        if (next == NULL)
            break;
    }
    if (listed != n)
        die(e, "eng_list did not list every actor", 0);
    double t0 = now_s();
    for (long i = 0; i < kept; i++)
        if ((err = eng_send(e, names[i], add, NULL)) != 0)
            die(e, "eng_send", err);
    if ((err = eng_run(e, 0, 0, &steps)) != 0)
        die(e, "eng_run", err);
    double wake = (now_s() - t0) / kept;
    if (steps != kept)
        die(e, "a send did not wake its counter", 0);
    for (long i = 0; i < kept; i++) {
        expect_counter(e, names[i], 1, 0);
        free(names[i]);
    }
    for (int r = 0; r < RUNS; r++)
        for (int k = 0; k < AT_COUNT; k++)
            v[k][r] = list_pages(e, at[k], PAGES);
    getrusage(RUSAGE_SELF, &ru);
    printf("crowd_%ld_pages %ld\n", n, page + 1);
    printf("crowd_%ld_page_first_ms %.3f\n", n, median3(v[AT_FIRST]) * 1e3);
    printf("crowd_%ld_page_mid_ms %.3f\n", n, median3(v[AT_MIDDLE]) * 1e3);
    printf("crowd_%ld_page_last_ms %.3f\n", n, median3(v[AT_LAST]) * 1e3);
    printf("crowd_%ld_send_step_ms %.3f\n", n, wake * 1e3);
    printf("crowd_%ld_maxrss_kb %ld\n", n, ru.ru_maxrss);
    eng_close(e);
    json_decref(add);
    free(names);
    return 0;
}

/*
 * (h) The batched-steps figure among a crowd: the cycle of CYCLE
 * forwarders is spawned into DIR/crowd.db next to its n idle counters,
 * and run as in speed(), median of CROWD_RUNS runs.  The database is
 * left holding the cycle.
 */
static int
crowd_steps(const char *dir, long n)
{
    char path[4096];
    double v[CROWD_RUNS];
    struct eng *e = open_crowd(dir, path, sizeof path);
    cycle_fill(e, "forwarder");
    cycle_run(e, 2000); /* warm the cache */
    for (int r = 0; r < CROWD_RUNS; r++)
        v[r] = cycle_run(e, 50000);
    printf("crowd_%ld_steps_per_s %.0f\n", n, median(v, CROWD_RUNS));
    eng_close(e);
    return 0;
}

/* Reads the file path whole into a new string; *len its bytes. */
static char *
read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;
    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) != 0 || (buf = malloc(n + 1)) == NULL ||
        fread(buf, 1, n, f) != (size_t)n) {
        fprintf(stderr,
                "engine bench: cannot read %s (run from the "
                "repository's root)\n",
                path);
        exit(1);
    }
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* Uploads the Lua behaviours of bench/lua/ into e's database, as PUT
 * /behaviors/NAME does: bench_forwarder and bench_ring. */
static void
upload_lua(struct eng *e)
{
    static const char *const files[][2] = {
        {"bench_forwarder", "bench/lua/forwarder.lua"},
        {"bench_ring", "bench/lua/ring.lua"},
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char why[512] = "";
        json_t *doc = NULL;
        int created = 0, err;
        size_t len;
        char *src = read_file(files[i][1], &len);
        err = eng_behavior_put(e, files[i][0], src, len, &doc, &created, why,
                               sizeof why);
        if (err != 0) {
            fprintf(stderr, "engine bench: upload %s: %s\n", files[i][1], why);
            die(e, "eng_behavior_put", err);
        }
        json_decref(doc);
        free(src);
    }
}

/*
 * (i) The ring of 10,000 and the batched steps of speed(), with the Lua
 * behaviours of bench/lua/ (a Lua ring of Lua forwarders; a cycle of Lua
 * forwarders), each run in turn with its C twin, so that both meet the
 * same machine: the C figures printed here (lua_c_*) are the yardsticks
 * of the Lua rows.  Medians of RUNS.
 */
static int
lua(const char *dir)
{
    char path[4096];
    double lv[RUNS], cv[RUNS], spawn_s;
    long lsteps = 0, csteps = 0;
    struct eng *le, *ce;

    snprintf(path, sizeof path, "%s/engine.db", dir);
    for (int r = 0; r < RUNS; r++) {
        cv[r] = ring_once(path, "ring", 10000, &spawn_s, &csteps);
        lv[r] = ring_once(path, "bench_ring", 10000, &spawn_s, &lsteps);
    }
    if (lsteps != csteps)
        die(NULL, "the Lua ring ran another number of steps than the C one", 0);
    printf("lua_ring_s %.3f\n", median3(lv));
    printf("lua_c_ring_s %.3f\n", median3(cv));
    printf("lua_ring_steps %ld\n", lsteps);

    /* Two databases, both open: the runs alternate between them. */
    char lpath[4200];
    snprintf(lpath, sizeof lpath, "%s/engine-lua.db", dir);
    ce = cycle_open(path, 0, "forwarder");
    le = cycle_open(lpath, 0, "bench_forwarder");
    cycle_run(ce, 2000); /* warm the caches */
    cycle_run(le, 2000);
    for (int r = 0; r < RUNS; r++) {
        cv[r] = cycle_run(ce, 50000);
        lv[r] = cycle_run(le, 50000);
    }
    printf("lua_batched_steps_per_s %.0f\n", median3(lv));
    printf("lua_c_batched_steps_per_s %.0f\n", median3(cv));
    eng_close(ce);
    eng_close(le);
    remove_db(path);
    remove_db(lpath);
    return 0;
}

int
main(int argc, char **argv)
{
    /* Lua as the language of uploads, as actord installs it: before
     * bench_init, which calls eng_init. */
    if (eng_set_language(luab_language()) != AD_OK) {
        fprintf(stderr, "engine bench: eng_set_language failed\n");
        return 1;
    }
    bench_init();
    if (argc == 3 && strcmp(argv[2], "speed") == 0)
        return speed(argv[1]);
    if (argc == 4 && strcmp(argv[2], "idle") == 0)
        return idle(argv[1], atol(argv[3]));
    if (argc == 3 && strcmp(argv[2], "selective") == 0)
        return selective(argv[1]);
    if (argc == 4 && strcmp(argv[2], "crowd") == 0)
        return crowd(argv[1], atol(argv[3]));
    if (argc == 4 && strcmp(argv[2], "crowd-steps") == 0)
        return crowd_steps(argv[1], atol(argv[3]));
    if (argc == 3 && strcmp(argv[2], "lua") == 0)
        return lua(argv[1]);
    fprintf(stderr, "usage: engine DIR speed | idle N | selective | "
                    "crowd N | crowd-steps N | lua\n");
    return 2;
}
