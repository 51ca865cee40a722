/*
 * open.c - a connection of the engine: opening (defaults of the options
 * filled in), closing, and what the daemon asks of a connection outside
 * any actor (health, changes, strandings after an upgrade).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/eng_int.h"
#include "engine/watchdog.h"

int
eng_open(const char *path, const struct eng_opts *opts, struct eng **out)
{
    return eng_open_why(path, opts, out, NULL, 0);
}

int
eng_open_why(const char *path, const struct eng_opts *opts, struct eng **out,
             char *why, size_t len)
{
    if (!eng__initialized()) {
        if (why != NULL && len > 0)
            snprintf(why, len, "the engine is not initialised");
        return AD_EINVAL; /* eng_init first */
    }
    struct eng *e = calloc(1, sizeof *e);
    if (e == NULL || (e->path = strdup(path)) == NULL) {
        free(e);
        if (why != NULL && len > 0)
            snprintf(why, len, "%s", ad_strerror(AD_ENOMEM));
        return AD_ENOMEM;
    }
    if (opts)
        e->opts = *opts;
    if (e->opts.batch_steps <= 0)
        e->opts.batch_steps = 256;
    if (e->opts.batch_ms <= 0)
        e->opts.batch_ms = 50;
    if (e->opts.max_message == 0)
        e->opts.max_message = ENG_MAX_MESSAGE_DEFAULT;
    if (e->opts.max_state == 0)
        e->opts.max_state = ENG_MAX_STATE_DEFAULT;
    if (e->opts.max_mailbox == 0)
        e->opts.max_mailbox = ENG_MAX_MAILBOX_DEFAULT;
    if (e->opts.max_hops == 0)
        e->opts.max_hops = ENG_MAX_HOPS_DEFAULT;
    if (e->opts.step_limit_ms == 0)
        e->opts.step_limit_ms = ENG_STEP_LIMIT_DEFAULT;
    struct store_opts so = {.busy_timeout_ms = e->opts.busy_timeout_ms,
                            .sync_full = e->opts.sync_full,
                            .max_bytes = e->opts.max_db_bytes,
                            .write_mu = e->opts.group ? &e->opts.group->write_mu
                                                      : NULL};
    int err = store_open_why(path, &so, &e->st, why, len);
    if (err != AD_OK) {
        free(e->path);
        free(e);
        return err;
    }
    *out = e;
    return AD_OK;
}

void
eng_close(struct eng *e)
{
    if (e == NULL)
        return;
    /* The thread that ran steps on e is the one that closes it. */
    wd_release();
    store_close(e->st);
    free(e->kills.ids);
    free(e->terminates.ids);
    if (e->compiled != NULL)
        eng__compiled_free(e);
    eng__args_free(e);
    free(e->path);
    free(e);
}

const char *
eng_errmsg(struct eng *e)
{
    return store_errmsg(e->st);
}

int
eng_changed(struct eng *e)
{
    return store_changed(e->st);
}

int
eng_health(struct eng *e)
{
    int64_t n;
    return store_mailbox_count(e->st, 0, &n);
}

static int
eng__unstrand_tx(struct store *st, void *ctx)
{
    (void)ctx;
    return store_unstrand(st);
}

int
eng_unstrand(struct eng *e)
{
    return store_transaction(e->st, eng__unstrand_tx, NULL);
}
