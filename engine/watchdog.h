/*
 * watchdog.h - cuts off a behaviour step that runs too long, internal to
 * engine/.  A behaviour is C code in our process: one stuck in a loop
 * would hold its thread and the write lock for ever.  While eng_run runs,
 * a CPU-time timer of the calling thread ticks every limit ms; a step
 * still running at the second tick after it began (so after between one
 * and two limits of CPU time) is left with siglongjmp, and eng_run undoes
 * it and fails the actor.
 *
 * This is the one signal handler of actord that does more than set a
 * flag (STYLE.md habit 9): a loop that never calls us cannot read one.
 * The jump is safe only outside the C library's allocator and SQLite, so
 * every engine call a behaviour makes is fenced with WD_GUARD and
 * jansson allocates through wd_malloc/wd_free: a tick inside a fence is
 * remembered and acted on where the outermost fence ends.  Memory a
 * behaviour got from malloc itself and still held is lost with the step.
 */
#ifndef ACTORD_WATCHDOG_H
#define ACTORD_WATCHDOG_H

#include "actord/behavior.h"

/* Installs the signal handler and jansson's fenced allocator, around
 * the allocator jansson had (the C library's, or the process's own); once
 * per process, before any step runs. */
void wd_init(void);

/* How many of jansson's allocations failed on the calling thread so far.
 * jansson answers out of memory as it answers bad input (NULL, or an
 * "invalid token"), so the engine compares this count before and after
 * to tell them apart. */
unsigned long wd_nomem(void);

/* Starts ticking for the calling thread every limit_ms of its CPU time
 * (<= 0: never), unless it ticks already: the timer stays until
 * wd_release, and costs nothing while the thread sleeps or runs no step.
 * Returns 0, or -1 when no timer could be made (the steps then run
 * without a watchdog). */
int wd_start(int limit_ms);

/* Deletes the calling thread's timer.  Harmless without wd_start. */
void wd_release(void);

/*
 * Calls *r = step(a).  Returns 0 when it returned, or 1 when the watchdog
 * cut it off: *r is then unset, and whatever the step was building may be
 * half made: its objects must not be used or freed.
 */
int wd_run(enum actor_step (*step)(struct actor *), struct actor *a,
           enum actor_step *r);

/* Fences the rest of the enclosing block: no cut-off inside it. */
int wd_enter(void);
void wd_leave(int *unused);
#define WD_GUARD                                                               \
    int wd__fence __attribute__((cleanup(wd_leave), unused)) = wd_enter()

/* Keeps p reachable for the life of the process without touching it: the
 * objects of a cut-off step, which may be half updated, so neither
 * usable nor safe to free. */
void wd_abandon(void *p);

#endif
