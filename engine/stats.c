/*
 * stats.c - what this process's engines have done, for /metrics: steps
 * and their durations, messages delivered.  Process-wide and lock-free
 * (relaxed atomics): every connection of every thread adds to the same
 * counters.  They count work done, including work of a transaction later
 * rolled back, and start at zero with the process.
 */
#include "engine/eng_int.h"

static struct ad_hist step_seconds;
static uint64_t messages;

void
eng__stat_step(double secs)
{
    ad_hist_observe(&step_seconds, secs);
}

void
eng__stat_message(void)
{
    __atomic_fetch_add(&messages, 1, __ATOMIC_RELAXED);
}

void
eng_process_stats(struct eng_process_stats *out)
{
    ad_hist_read(&step_seconds, &out->step_seconds);
    out->steps = out->step_seconds.count;
    out->messages = __atomic_load_n(&messages, __ATOMIC_RELAXED);
    store_commit_seconds(&out->commit_seconds);
}
