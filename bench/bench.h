/*
 * bench.h - what the benchmark programs of bench/ share: a clock, an
 * order for qsort, removing a database with its WAL files, and the
 * engine's start-up.
 * Header-only: each program is one file.
 */
#ifndef ACTORD_BENCH_H
#define ACTORD_BENCH_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "behaviors/behaviors.h"
#include "engine/engine.h"

/* Registers the standard behaviours and initialises the engine, as
 * actord does; exits when it cannot. */
static inline void
bench_init(void)
{
    if (behaviors_register_standard() != 0 || eng_init() != 0) {
        fprintf(stderr, "bench: the engine did not initialise\n");
        exit(1);
    }
}

/* Seconds from a monotonic clock. */
static inline double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* qsort's order for doubles, ascending. */
static inline int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Removes path and its WAL and shared-memory files. */
static inline void
remove_db(const char *path)
{
    char p[4200];
    unlink(path);
    snprintf(p, sizeof p, "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", path);
    unlink(p);
}

#endif
