/*
 * fuzz_common.h - what the fuzz targets that need an engine share: one
 * engine on a database in a mkdtemp folder of their own (under /dev/shm
 * when it exists, else TMPDIR or /tmp), a few actors spawned on it for
 * requests to find, and a periodic reset so that the database stays small
 * however long the run.  Header-only, included by one target each.
 */
#ifndef ACTORD_FUZZ_COMMON_H
#define ACTORD_FUZZ_COMMON_H

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "behaviors/behaviors.h"
#include "engine/engine.h"

/* Inputs between two fresh databases. */
#define FUZZ_RESET_EVERY 256

/* Largest "n" a request may carry: a ring of a million forwarders is a
 * legal spawn that takes seconds, which libFuzzer would call a hang. */
#define FUZZ_N_MAX 1000

static char fuzz_dir[128];        /* the mkdtemp folder; "" before init */
static char fuzz_path[160];       /* the database file in it */
static struct eng *fuzz_eng;      /* owned: the engine of every input */
static unsigned long fuzz_inputs; /* inputs since the last reset */

/* Removes the database file with its -wal and -shm. */
static void
fuzz_db_remove(void)
{
    static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
    char p[200];
    for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
        snprintf(p, sizeof p, "%s%s", fuzz_path, suffix[i]);
        unlink(p);
    }
}

/* atexit: closes the engine and removes the folder. */
static void
fuzz_cleanup(void)
{
    eng_close(fuzz_eng);
    fuzz_eng = NULL;
    if (fuzz_dir[0] != '\0') {
        fuzz_db_remove();
        rmdir(fuzz_dir);
        fuzz_dir[0] = '\0';
    }
}

/* Spawns name as behavior with args (JSON text); aborts on failure, as
 * the harness is then broken, not the input. */
static void
fuzz_spawn_fixture(const char *name, const char *behavior, const char *args)
{
    json_t *a = json_loads(args, 0, NULL);
    json_t *doc = NULL;
    if (a == NULL || eng_spawn(fuzz_eng, name, behavior, a, &doc, NULL) != 0)
        abort();
    json_decref(doc);
    json_decref(a);
}

/* (Re)opens the engine on a fresh database with the fixtures: c1 a
 * counter, col a collector, fw a forwarder to col, t1 a ticker. */
static void
fuzz_db_open(void)
{
    static int initialized;
    if (!initialized) {
        if (behaviors_register_standard() != 0 || eng_init() != 0) {
            fprintf(stderr, "fuzz: the engine did not initialise\n");
            abort();
        }
        initialized = 1;
    }
    eng_close(fuzz_eng);
    fuzz_eng = NULL;
    fuzz_db_remove();
    struct eng_opts o = {.busy_timeout_ms = 100};
    if (eng_open(fuzz_path, &o, &fuzz_eng) != 0) {
        fprintf(stderr, "fuzz: eng_open %s failed\n", fuzz_path);
        abort();
    }
    fuzz_spawn_fixture("c1", "counter", "{\"start\": 1}");
    fuzz_spawn_fixture("col", "collector", "{}");
    fuzz_spawn_fixture("fw", "forwarder", "{\"to\": {\"$address\": \"col\"}}");
    fuzz_spawn_fixture("t1", "ticker", "{\"every_ms\": 5}");
    fuzz_inputs = 0;
}

/* Makes the folder and opens the engine; for LLVMFuzzerInitialize. */
static void
fuzz_init(void)
{
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : NULL;
    if (base == NULL) {
        base = getenv("TMPDIR");
        if (base == NULL || *base == '\0' || strlen(base) > 80)
            base = "/tmp";
    }
    snprintf(fuzz_dir, sizeof fuzz_dir, "%s/actord-fuzz-XXXXXX", base);
    if (mkdtemp(fuzz_dir) == NULL) {
        perror("fuzz: mkdtemp");
        abort();
    }
    snprintf(fuzz_path, sizeof fuzz_path, "%s/fuzz.db", fuzz_dir);
    atexit(fuzz_cleanup);
    fuzz_db_open();
}

/* Counts one input and starts a fresh database every FUZZ_RESET_EVERY. */
static void
fuzz_tick(void)
{
    if (++fuzz_inputs >= FUZZ_RESET_EVERY)
        fuzz_db_open();
}

/* Returns 1 when v (borrowed, may be NULL) holds, at any depth, a key "n"
 * with a number over FUZZ_N_MAX; below 64 levels it stops looking, as no
 * behaviour's args nest that deep. */
static int
fuzz_too_big(const json_t *v, int depth)
{
    const char *key;
    json_t *sub;
    size_t i;
    if (v == NULL)
        return 0;
    if (depth > 64)
        return 0;
    if (json_is_array(v)) {
        json_array_foreach(v, i,
                           sub) if (fuzz_too_big(sub, depth + 1)) return 1;
    } else if (json_is_object(v)) {
        json_object_foreach((json_t *)v, key, sub)
        {
            if (strcmp(key, "n") == 0 && json_is_number(sub) &&
                json_number_value(sub) > FUZZ_N_MAX)
                return 1;
            if (fuzz_too_big(sub, depth + 1))
                return 1;
        }
    }
    return 0;
}

#endif
