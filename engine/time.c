/*
 * time.c - what comes due: receives whose deadline has passed become
 * runnable again, and timers send their messages.  Timers are made and
 * cancelled in api.c (actor_send_after, actor_cancel_timer).
 */
#include <stdlib.h>
#include <string.h>

#include "engine/eng_int.h"

#define TIMERS_PER_TXN 256

/*
 * Fires up to TIMERS_PER_TXN timers due at now, inside the caller's
 * transaction: each message is delivered from the timer's owner (a dead
 * letter when the target is unknown or ended).  A repeating timer that
 * missed periods fires once and moves to its next due time after now.
 * *fired counts them.
 */
static int
eng__fire_timers(struct eng *e, int64_t now, long *fired)
{
    struct store_timer *t = NULL;
    size_t n = 0;
    *fired = 0;
    int err = store_timer_due(e->st, now, TIMERS_PER_TXN, &t, &n);
    for (size_t i = 0; i < n && err == AD_OK; i++) {
        json_t *msg = NULL;
        err = eng__parse(t[i].body, strlen(t[i].body), JSON_DECODE_ANY, &msg);
        if (err == AD_OK)
            err = eng__deliver(e, t[i].target, t[i].owner, msg, 0, NULL);
        else if (err == AD_EBADJSON)
            err = AD_EINVAL; /* buried as "not JSON" */
        json_decref(msg);
        const char *why = eng__undeliverable(err);
        if (why != NULL)
            err = store_dead_letter_add(e->st, t[i].owner, t[i].target, why,
                                        t[i].body, strlen(t[i].body), now);
        int64_t next = 0;
        if (t[i].every > 0)
            next = t[i].due + t[i].every * ((now - t[i].due) / t[i].every + 1);
        if (err == AD_OK)
            err = store_timer_fired(e->st, t[i].id, next);
        (*fired)++;
    }
    store_timers_free(t, n);
    return err;
}

int
eng__due(struct eng *e, long *fired)
{
    int64_t now = ad_now_ms(), woken = 0;
    *fired = 0;
    if (now - e->due_checked < ENG__DUE_EVERY_MS && now >= e->due_checked)
        return AD_OK;
    e->due_checked = now;
    int err = store_fire_due(e->st, now, &woken);
    if (err == AD_OK)
        err = eng__fire_timers(e, now, fired);
    if (err != AD_OK || *fired == TIMERS_PER_TXN)
        e->due_checked = 0; /* more may be due: look again */
    return err;
}
