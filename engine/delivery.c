/*
 * delivery.c - putting a message in a mailbox, or among the dead
 * letters when it cannot go there; and the sends from outside: eng_send
 * with group commit, and eng_send_many.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "engine/eng_int.h"
#include "engine/shape.h"

/* ---- delivery ---- */

/*
 * Appends msg (borrowed) to the mailbox of the actor named to, inside the
 * caller's write transaction, and makes the receiver runnable when it
 * waits for a message of this shape.  sender may be NULL.  Returns 0,
 * AD_ENOTFOUND, AD_EDEAD or a storage error.
 */
int
eng__deliver(struct eng *e, const char *to, const char *sender,
             const json_t *msg, int64_t hops, int64_t *seq)
{
    int64_t id, queued = 0;
    enum store_status status;
    char *waiting = NULL;
    int err = store_actor_peek(e->st, to, &id, &status, &waiting, &queued);
    if (err != AD_OK)
        return err;
    if (store_status_ended(status)) {
        err = AD_EDEAD;
        goto out;
    }
    const char *resp_id = json_string_value(json_object_get(msg, "response"));
    if (resp_id != NULL) {
        /* A reply to a call the receiver gave up on is not left in its
         * mailbox: it becomes a dead letter. */
        int late = 0;
        err = store_call_take_abandoned(e->st, id, resp_id, &late);
        if (err != AD_OK)
            goto out;
        if (late) {
            char *late_body = eng__dump(msg);
            err = late_body
                      ? store_dead_letter_add(e->st, sender, to, "late reply",
                                              late_body, strlen(late_body),
                                              ad_now_ms())
                      : AD_ENOMEM;
            free(late_body);
            goto out;
        }
    }
    if (e->opts.max_mailbox > 0 && queued >= e->opts.max_mailbox) {
        /* The sender's problem, answered to it: debug only. */
        ad_log(AD_LOG_DEBUG, "limit_hit", "limit=max_mailbox to=%s max=%lld",
               to, (long long)e->opts.max_mailbox);
        err = AD_EMAILBOX;
        goto out;
    }
    char *body = eng__dump(msg);
    if (body == NULL) {
        err = AD_ENOMEM;
        goto out;
    }
    size_t len = strlen(body);
    int wake = 0;
    if (e->opts.max_message > 0 && len > (size_t)e->opts.max_message) {
        ad_log(AD_LOG_DEBUG, "limit_hit",
               "limit=max_message to=%s bytes=%zu max=%lld", to, len,
               (long long)e->opts.max_message);
        err = AD_ETOOLARGE;
    } else {
        if (status == STORE_WAITING && waiting != NULL) {
            /* Out of memory is not "does not match": the receiver would
             * sleep on with the message it waits for. */
            json_t *shapes = NULL;
            err = eng__parse(waiting, strlen(waiting), 0, &shapes);
            wake = shapes && shape_match_any(shapes, msg) >= 0;
            json_decref(shapes);
            if (err == AD_EBADJSON)
                err = AD_OK; /* shapes that are not JSON match nothing */
        }
        if (err == AD_OK)
            err = store_mailbox_append(e->st, id, sender, body, len,
                                       ad_now_ms(), hops, wake, seq);
        if (err == AD_OK) {
            eng__stat_message();
            if (id == e->running)
                e->running_self++;
        }
    }
    free(body);
out:
    free(waiting);
    return err;
}

/* Why a message that eng__deliver refused with err becomes a dead letter
 * rather than an error of the sender, or NULL when it does not. */
const char *
eng__undeliverable(int err)
{
    switch (err) {
    case AD_ENOTFOUND:
        return "no such actor";
    case AD_EDEAD:
        return "actor ended";
    case AD_EMAILBOX:
        return "mailbox full";
    case AD_EINVAL:
        return "not JSON";
    }
    return NULL;
}

/*
 * Delivers msg (borrowed) from sender, hops steps from outside, as
 * eng__deliver does, for the engine and behaviours: what cannot be
 * delivered becomes a dead letter instead (reason why, when not NULL,
 * without trying).  Returns 0 or a storage error.
 */
int
eng__deliver_or_bury(struct eng *e, const char *to, const char *sender,
                     const json_t *msg, int64_t hops, const char *why,
                     int *refused)
{
    int err = why ? AD_EMAILBOX : eng__deliver(e, to, sender, msg, hops, NULL);
    if (refused)
        *refused = eng__undeliverable(err) ? err : AD_OK;
    if (why == NULL && (why = eng__undeliverable(err)) == NULL)
        return err;
    char *body = eng__dump(msg);
    err = body ? store_dead_letter_add(e->st, sender, to, why, body,
                                       strlen(body), ad_now_ms())
               : AD_ENOMEM;
    free(body);
    return err;
}

/* ---- group commit ---- */

struct eng_group *
eng_group_new(void)
{
    struct eng_group *g = calloc(1, sizeof *g);
    if (g == NULL)
        return NULL;
    pthread_mutex_init(&g->write_mu, NULL);
    pthread_mutex_init(&g->mu, NULL);
    g->tail = &g->head;
    return g;
}

void
eng_group_free(struct eng_group *g)
{
    if (g == NULL)
        return;
    eng_close(g->conn);
    pthread_mutex_destroy(&g->mu);
    pthread_mutex_destroy(&g->write_mu);
    free(g);
}

/* Sends from outside, as their transactions see them. */
struct send_ctx {
    struct eng *e;
    const char *name;  /* eng__send_alone: borrowed */
    const json_t *msg; /* eng__send_alone: borrowed */
    int64_t *seq;      /* eng__send_alone: the caller's, may be NULL */
    struct eng__group_send *list; /* eng__send_batch: borrowed */
    int failed_in;                /* eng__send_batch: 1 when a message failed */
    const char *const *names;     /* eng_send_many: borrowed */
    json_t *const *msgs;          /* eng_send_many: borrowed */
    size_t n;                     /* eng_send_many */
    int dry_run;                  /* eng_send_many */
    int *errs;                    /* eng_send_many: the caller's */
    int64_t *seqs;                /* eng_send_many: the caller's, may be NULL */
    int bad;                      /* eng_send_many: 1 when one was refused */
};

static int
eng__send_alone_tx(struct store *st, void *ctx)
{
    (void)st;
    struct send_ctx *sc = ctx;
    return eng__deliver(sc->e, sc->name, NULL, sc->msg, 0, sc->seq);
}

/* Sends msg to name in a transaction of its own, committed before the
 * caller replies 202. */
static int
eng__send_alone(struct eng *e, const char *name, const json_t *msg,
                int64_t *seq)
{
    struct send_ctx sc = {.e = e, .name = name, .msg = msg, .seq = seq};
    return store_transaction(e->st, eng__send_alone_tx, &sc);
}

/* 1 when err refuses one message and wrote nothing of it, so the others
 * of a batch may still commit. */
static int
eng__refusal(int err)
{
    return err == AD_ENOTFOUND || err == AD_EDEAD || err == AD_EMAILBOX ||
           err == AD_ETOOLARGE;
}

/* Delivers the batch list in one transaction and sets each one's err and
 * seq.  When the transaction cannot begin or commit (busy, full), that is
 * every one's answer; when one message meets a storage error, each is
 * sent alone instead, so that error is its own. */
static int
eng__send_batch_tx(struct store *st, void *ctx)
{
    (void)st;
    struct send_ctx *sc = ctx;
    for (struct eng__group_send *g = sc->list; g; g = g->next) {
        g->err = eng__deliver(sc->e, g->name, NULL, g->msg, 0, &g->seq);
        if (g->err != AD_OK && !eng__refusal(g->err)) {
            sc->failed_in = 1;
            return g->err;
        }
    }
    return AD_OK;
}

static void
eng__send_batch(struct eng *e, struct eng__group_send *list)
{
    struct send_ctx sc = {.e = e, .list = list};
    /* Committed before any of them replies 202. */
    int err = store_transaction(e->st, eng__send_batch_tx, &sc);
    for (struct eng__group_send *g = list; g && err != AD_OK; g = g->next)
        g->err = sc.failed_in && list->next
                     ? eng__send_alone(e, g->name, g->msg, &g->seq)
                     : err;
}

int
eng_send(struct eng *e, const char *name, const json_t *msg, int64_t *seq)
{
    struct eng_group *grp = e->opts.group;
    if (grp == NULL)
        return eng__send_alone(e, name, msg, seq);
    struct eng__group_send me = {.name = name, .msg = msg};
    pthread_cond_init(&me.wake, NULL);
    pthread_mutex_lock(&grp->mu);
    *grp->tail = &me;
    grp->tail = &me.next;
    while (!me.done) {
        if (grp->leading) {
            pthread_cond_wait(&me.wake, &grp->mu);
            continue;
        }
        /* Lead: commit everything queued so far, this send included, on
         * the group's connection. */
        struct eng__group_send *batch = grp->head;
        grp->head = NULL;
        grp->tail = &grp->head;
        grp->leading = 1;
        pthread_mutex_unlock(&grp->mu);
        if (grp->conn == NULL && e->path != NULL)
            eng_open(e->path, &e->opts, &grp->conn);
        eng__send_batch(grp->conn ? grp->conn : e, batch);
        pthread_mutex_lock(&grp->mu);
        /* Each one's thread waits for the mutex before it may return. */
        for (struct eng__group_send *g = batch; g; g = g->next) {
            g->done = 1;
            if (g != &me)
                pthread_cond_signal(&g->wake);
        }
        grp->leading = 0;
        if (grp->head != NULL)
            pthread_cond_signal(&grp->head->wake); /* the next leader */
    }
    pthread_mutex_unlock(&grp->mu);
    pthread_cond_destroy(&me.wake);
    if (seq)
        *seq = me.seq;
    return me.err;
}

static int
eng__send_many_tx(struct store *st, void *ctx)
{
    (void)st;
    struct send_ctx *sc = ctx;
    for (size_t i = 0; i < sc->n; i++) {
        int64_t seq = 0;
        sc->errs[i] =
            eng__deliver(sc->e, sc->names[i], NULL, sc->msgs[i], 0, &seq);
        if (sc->seqs)
            sc->seqs[i] = seq;
        if (eng__refusal(sc->errs[i]))
            sc->bad = 1;
        else if (sc->errs[i] != AD_OK) /* storage errors end the batch */
            return sc->errs[i];
    }
    return sc->bad || sc->dry_run ? ENG__UNDO : AD_OK;
}

int
eng_send_many(struct eng *e, const char *const *names, json_t *const *msgs,
              size_t n, int dry_run, int *errs, int64_t *seqs)
{
    struct send_ctx sc = {.e = e,
                          .names = names,
                          .msgs = msgs,
                          .n = n,
                          .dry_run = dry_run,
                          .errs = errs,
                          .seqs = seqs};
    int err = store_transaction(e->st, eng__send_many_tx, &sc);
    if (err == ENG__UNDO)
        return sc.bad ? AD_EINVAL : AD_OK;
    return err;
}
