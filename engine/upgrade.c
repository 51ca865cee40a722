/*
 * upgrade.c - moving a stored actor onto another version of its
 * behaviour (POST /actors/NAME/upgrade): the behaviour's upgrade
 * function, under the step watchdog, rewrites the state and names the
 * resume point to go on at.  An actor is never reset: without an upgrade
 * function it stays stranded.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/eng_int.h"
#include "engine/watchdog.h"

struct upgrade_ctx {
    struct eng *e;
    const char *name; /* borrowed */
    int version;      /* wanted, 0: the registered one */
    json_t **doc;     /* the caller's: set on success */
    const char **why; /* the caller's, may be NULL */
    int from;         /* for eng__upgrade_step: the stored version */
    const struct behavior *from_b; /* uploaded: the stored version's */
    int point;                     /* what the upgrade function answered */
};

/* What an uploaded behaviour's language said, for *why. */
static _Thread_local char upgrade_why[256];

/* The upgrade this thread runs, for eng__upgrade_step. */
static _Thread_local struct upgrade_ctx *upgrade_running;

/* The upgrade function of a->b, as a step for wd_run. */
static enum actor_step
eng__upgrade_step(struct actor *a)
{
    struct upgrade_ctx *uc = upgrade_running;
    if (uc->from_b != NULL) /* uploaded: the language goes by names */
        uc->point =
            eng__language()->upgrade(a->b, uc->from_b, a, a->row->resume,
                                     upgrade_why, sizeof upgrade_why);
    else
        uc->point = a->b->upgrade(a, uc->from, a->row->resume);
    return ACTOR_WAIT;
}

/* Hands row (stored by another version of b) to b's upgrade function;
 * on success row holds the new state, version and resume point. */
static int
eng__upgrade_row(struct upgrade_ctx *uc, const struct behavior *b,
                 struct store_actor *row)
{
    uc->from_b = NULL;
    upgrade_why[0] = '\0';
    if (eng__uploaded(b) && eng__language()->upgrade != NULL) {
        uc->from_b = eng__behavior_at(uc->e, row->behavior, row->version);
        if (uc->from_b == NULL) {
            *uc->why = "the actor's own version is not stored any more";
            return AD_EUPGRADE;
        }
    } else if (b->upgrade == NULL) {
        *uc->why = "the behaviour has no upgrade function: the actor stays "
                   "as it is";
        return AD_EUPGRADE;
    }
    struct actor a = {.e = uc->e, .b = b, .row = row, .err = ENG__RESTRICTED};
    unsigned long nomem = wd_nomem();
    int err = eng__parse(row->args, strlen(row->args), 0, &a.args);
    int serr = eng__parse(row->state, strlen(row->state), 0, &a.state);
    if (err == AD_ENOMEM || serr == AD_ENOMEM) {
        err = AD_ENOMEM;
        goto out;
    }
    err = AD_EUPGRADE;
    if (!json_is_object(a.args) || !json_is_object(a.state)) {
        *uc->why = "the stored args or state is not a JSON object";
        goto out;
    }
    uc->from = row->version;
    uc->point = -1;
    upgrade_running = uc;
    enum actor_step r;
    int cut = wd_run(eng__upgrade_step, &a, &r);
    upgrade_running = NULL;
    if (cut) {
        json_t **objs[] = {&a.args,   &a.state,  &a.msg,
                           &a.shapes, &a.result, &a.error};
        for (size_t i = 0; i < sizeof objs / sizeof objs[0]; i++) {
            wd_abandon(*objs[i]);
            *objs[i] = NULL;
        }
        *uc->why = "the upgrade function ran over the step limit";
        if (eng__uploaded(b))
            eng__compiled_abandon(uc->e, b);
        goto out;
    }
    if (uc->point < 0) {
        *uc->why = upgrade_why[0] ? upgrade_why
                                  : "the upgrade function refused the actor";
        goto out;
    }
    err = eng__set_text(&row->state, a.state);
    if (err == AD_OK && wd_nomem() != nomem)
        err = AD_ENOMEM;
    if (err == AD_OK) {
        row->version = b->version;
        row->resume = uc->point;
    }
out:
    json_decref(a.args);
    json_decref(a.state);
    json_decref(a.msg);
    json_decref(a.shapes);
    json_decref(a.result);
    json_decref(a.error);
    return err;
}

static int
eng__upgrade_tx(struct store *st, void *ctx)
{
    struct upgrade_ctx *uc = ctx;
    struct store_actor row = {0};
    int err = store_actor_by_name(st, uc->name, &row);
    if (err != AD_OK)
        return err;
    const struct behavior *b =
        eng__behavior_at(uc->e, row.behavior, uc->version);
    if (store_status_ended(row.status)) {
        err = AD_EDEAD;
    } else if (b == NULL || (uc->version != 0 && uc->version != b->version)) {
        /* (a registered behaviour has one version, this build's) */
        *uc->why = "that version of the behaviour is not in this build";
        err = AD_EUPGRADE;
    } else if (row.version != b->version) {
        err = eng__upgrade_row(uc, b, &row);
    }
    if (err == AD_OK && row.status == STORE_STRANDED) {
        /* Run again: a receive it waits in looks at its mailbox anew. */
        row.status = STORE_RUNNABLE;
        row.scanned = 0;
        free(row.error);
        row.error = NULL;
    }
    if (err == AD_OK) {
        row.updated = ad_now_ms();
        err = store_actor_save(st, &row);
    }
    if (err == AD_OK)
        *uc->doc = eng__doc(&row);
    if (err == AD_OK && *uc->doc == NULL)
        err = AD_ENOMEM;
    store_actor_release(&row);
    return err;
}

int
eng_upgrade(struct eng *e, const char *name, int version, json_t **doc,
            const char **why)
{
    const char *ignored;
    struct upgrade_ctx uc = {.e = e,
                             .name = name,
                             .version = version,
                             .doc = doc,
                             .why = why ? why : &ignored};
    *doc = NULL;
    /* Upgrade functions run under the step watchdog. */
    wd_start(e->opts.step_limit_ms);
    int err = store_transaction(e->st, eng__upgrade_tx, &uc);
    if (err != AD_OK) { /* a document made before a failed commit */
        json_decref(*doc);
        *doc = NULL;
    }
    return err;
}
