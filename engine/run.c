/*
 * run.c - eng_run: the scheduler's loop.  Each transaction first lets
 * what came due run (time.c), then runs runnable actors, many steps per
 * transaction (group commit: up to batch_steps steps or batch_ms of the
 * write lock), and commits; a storage error rolls the whole transaction
 * back, so each step is applied entirely or not at all.  A step to be
 * undone makes the transaction run again with a savepoint per step.
 */
#include "engine/eng_int.h"
#include "engine/watchdog.h"

/* Runnable actors fetched at a time. */
#define RUNQ_FETCH 64

/* One transaction of eng_run. */
struct run_ctx {
    struct eng *e;
    long max_steps; /* eng_run's (<= 0: no limit) */
    int64_t max_ms; /* eng_run's (<= 0: no limit) */
    int64_t start;  /* ad_mono_ms when eng_run began */
    long done;      /* steps committed by earlier transactions */
    long in_tx;     /* steps run in this one */
    int idle;       /* 1 when no actor was left runnable */
};

/*
 * Runs what came due, then runnable actors, up to batch_steps steps or
 * batch_ms of the write lock, inside one transaction.  Returns 0 (commit
 * it), ENG__UNDO (nothing done: roll back), ENG__ABORTED (a step must be
 * undone: run it again with care), or a storage error.
 */
static int
eng__run_tx(struct store *st, void *ctx)
{
    struct run_ctx *rc = ctx;
    struct eng *e = rc->e;
    rc->in_tx = 0;
    rc->idle = 0;
    /* Messages sent and taken within the transaction need never be
     * written (store_hold_begin).  A transaction run again with a
     * savepoint per step writes them at each one, so it does not hold;
     * nor does one of a single step, which would only pay for it. */
    if (!e->careful && e->opts.batch_steps > 1) {
        int held = store_hold_begin(st);
        if (held != AD_OK)
            return held;
    }
    /* Looked for at most every ENG__DUE_EVERY_MS, not in every
     * transaction (two statements, a fifth of a step that commits
     * alone). */
    long fired = 0;
    int err = eng__due(e, &fired);
    if (err != AD_OK)
        return err;
    int64_t t0 = ad_mono_ms();
    for (;;) {
        long room = e->opts.batch_steps - rc->in_tx;
        long left = rc->max_steps - rc->done - rc->in_tx;
        if (rc->max_steps > 0 && left < room)
            room = left;
        int64_t t = ad_mono_ms();
        if (room <= 0 || t - t0 >= e->opts.batch_ms ||
            (rc->max_ms > 0 && rc->done + rc->in_tx > 0 &&
             t - rc->start >= rc->max_ms))
            break;
        int64_t ids[RUNQ_FETCH];
        int n = 0;
        err = store_runnable(st, ids,
                             room < RUNQ_FETCH ? (int)room : RUNQ_FETCH, &n);
        if (err != AD_OK)
            return err;
        if (n == 0) {
            rc->idle = 1;
            break;
        }
        for (int i = 0; i < n; i++)
            if ((err = eng__step_guarded(e, ids[i])) != AD_OK)
                return err;
        rc->in_tx += n;
    }
    return rc->in_tx == 0 && fired == 0 ? ENG__UNDO : AD_OK;
}

int
eng_run(struct eng *e, long max_steps, int64_t max_ms, long *steps)
{
    /* Steps run under the watchdog; without a timer they simply run. */
    wd_start(e->opts.step_limit_ms);
    struct run_ctx rc = {.e = e,
                         .max_steps = max_steps,
                         .max_ms = max_ms,
                         .start = ad_mono_ms()};
    if (steps)
        *steps = 0;
    for (;;) {
        /* The time budget never stops the first step: a run with work
         * always makes progress. */
        if ((max_steps > 0 && rc.done >= max_steps) ||
            (max_ms > 0 && rc.done > 0 && ad_mono_ms() - rc.start >= max_ms))
            break;
        int err = store_transaction(e->st, eng__run_tx, &rc);
        /* A transaction rolled back undoes the timers and deadlines it
         * fired too: the next one looks for them again, rather than
         * ENG__DUE_EVERY_MS later (a run again at once would skip them). */
        if (err != AD_OK && err != ENG__UNDO)
            e->due_checked = 0;
        if (err == ENG__ABORTED) {
            /* Run the transaction again, each step under a savepoint. */
            e->abort_id = 0;
            e->careful = 1;
            continue;
        }
        e->careful = 0;
        if (err == ENG__UNDO)
            break;
        if (err != AD_OK)
            return err;
        rc.done += rc.in_tx;
        if (steps)
            *steps = rc.done;
        if (rc.idle)
            break;
    }
    return AD_OK;
}
