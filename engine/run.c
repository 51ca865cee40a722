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

static int eng__run(struct eng *e, long max_steps, int64_t max_ms,
                    long *steps);

int
eng_run(struct eng *e, long max_steps, int64_t max_ms, long *steps)
{
    /* Steps run under the watchdog; without a timer they simply run. */
    wd_start(e->opts.step_limit_ms);
    return eng__run(e, max_steps, max_ms, steps);
}

/* eng_run without the watchdog's start and stop. */
static int
eng__run(struct eng *e, long max_steps, int64_t max_ms, long *steps)
{
    int64_t start = ad_mono_ms();
    long done = 0;
    int err = AD_OK;
    if (steps)
        *steps = 0;
    for (;;) {
        /* The time budget never stops the first step: a run with work
         * always makes progress. */
        if ((max_steps > 0 && done >= max_steps) ||
            (max_ms > 0 && done > 0 && ad_mono_ms() - start >= max_ms))
            break;
        err = store_begin(e->st);
        if (err != AD_OK)
            return err;
        /* Looked for at most every ENG__DUE_EVERY_MS, not in every
         * transaction (two statements, a fifth of a step that commits
         * alone). */
        long fired = 0;
        err = eng__due(e, &fired);
        if (err != AD_OK) {
            store_rollback(e->st);
            return err;
        }
        int64_t t0 = ad_mono_ms();
        long in_tx = 0;
        int idle = 0;
        for (;;) {
            long room = e->opts.batch_steps - in_tx;
            if (max_steps > 0 && max_steps - done - in_tx < room)
                room = max_steps - done - in_tx;
            int64_t t = ad_mono_ms();
            if (room <= 0 || t - t0 >= e->opts.batch_ms ||
                (max_ms > 0 && done + in_tx > 0 && t - start >= max_ms))
                break;
            int64_t ids[RUNQ_FETCH];
            int n = 0;
            err = store_runnable(e->st, ids,
                                 room < RUNQ_FETCH ? (int)room : RUNQ_FETCH,
                                 &n);
            if (err != AD_OK)
                break;
            if (n == 0) {
                idle = 1;
                break;
            }
            for (int i = 0; i < n && err == AD_OK; i++)
                err = eng__step_guarded(e, ids[i]);
            if (err != AD_OK)
                break;
            in_tx += n;
        }
        /* A transaction rolled back undoes the timers and deadlines it
         * fired too: the next one looks for them again, rather than
         * ENG__DUE_EVERY_MS later (a run again at once would skip them). */
        if (err != AD_OK)
            e->due_checked = 0;
        if (err == ENG__ABORTED) {
            /* Run the transaction again, each step under a savepoint. */
            store_rollback(e->st);
            e->abort_id = 0;
            e->careful = 1;
            continue;
        }
        e->careful = 0;
        if (err != AD_OK) {
            store_rollback(e->st);
            return err;
        }
        if (in_tx == 0 && fired == 0) {
            store_rollback(e->st);
            break;
        }
        err = store_commit(e->st);
        if (err != AD_OK) {
            e->due_checked = 0;
            return err;
        }
        done += in_tx;
        if (steps)
            *steps = done;
        if (idle)
            break;
    }
    return AD_OK;
}
