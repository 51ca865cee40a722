/*
 * calls.c - calls from outside (POST /actors/NAME/calls/M): a reply box
 * for the answer, the call sent as a message, and polling the box.
 * Calls between actors are actor_call in api.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/eng_int.h"

/* The behaviour name of the mailboxes that wait for a REST call's reply:
 * not in the registry, never run (they wait in no receive). */
#define REPLY_BOX "_reply"

/* One REST call, as its transactions see it. */
struct call_ctx {
    struct eng *e;
    const char *name;      /* borrowed: the actor called */
    const char *method;    /* borrowed */
    const json_t *payload; /* borrowed, may be NULL */
    const char *box;       /* borrowed: the reply box's name */
    const char *call_id;   /* borrowed */
    json_t *reply;         /* new: the first message of the box, or NULL */
};

static int
eng__call_begin_tx(struct store *st, void *ctx)
{
    struct call_ctx *cc = ctx;
    int64_t id;
    enum store_status status;
    int err = store_actor_peek(st, cc->name, &id, &status, NULL, NULL);
    if (err == AD_OK && store_status_ended(status))
        err = AD_EDEAD;
    int64_t now = ad_now_ms();
    struct store_actor a = {.name = (char *)cc->box,
                            .behavior = (char *)REPLY_BOX,
                            .version = 1,
                            .status = STORE_WAITING,
                            .created = now,
                            .updated = now};
    if (err == AD_OK)
        err = store_actor_insert(st, &a);
    if (err != AD_OK)
        return err;
    json_t *call = json_pack("{s:s, s:s, s:{s:s}, s:O?}", "call", cc->call_id,
                             "method", cc->method, "address", "$address",
                             cc->box, "message", cc->payload);
    err = call ? eng__deliver(cc->e, cc->name, NULL, call, 0, NULL) : AD_ENOMEM;
    json_decref(call);
    return err;
}

int
eng_call_begin(struct eng *e, const char *name, const char *method,
               const json_t *payload, char *box, char *call_id)
{
    snprintf(call_id, ENG_CALL_ID_LEN, "%016llx", eng__random64());
    snprintf(box, ENG_CALL_ID_LEN + 8, "_call-%s", call_id);
    struct call_ctx cc = {.e = e,
                          .name = name,
                          .method = method,
                          .payload = payload,
                          .box = box,
                          .call_id = call_id};
    /* Committed before the caller waits: the call is durable like any
     * message. */
    return store_transaction(e->st, eng__call_begin_tx, &cc);
}

static int
eng__reply_one(void *ctx, int64_t seq, const char *sender, const char *body,
               size_t len, int64_t hops)
{
    (void)seq;
    (void)hops;
    (void)sender;
    struct call_ctx *cc = ctx;
    /* Out of memory is an error, not "no reply yet". */
    if (eng__parse(body, len, JSON_DECODE_ANY, &cc->reply) == AD_ENOMEM)
        return AD_ENOMEM;
    return 1;
}

static int
eng__call_poll_tx(struct store *st, void *ctx)
{
    struct call_ctx *cc = ctx;
    int64_t id;
    enum store_status status;
    int err = store_actor_peek(st, cc->box, &id, &status, NULL, NULL);
    if (err == AD_OK)
        err = store_mailbox_scan(st, id, 0, 1, eng__reply_one, cc);
    if (err != AD_OK || cc->reply != NULL)
        return err;
    /* No answer yet: a target that has ended will never give one. */
    err = store_actor_peek(st, cc->name, &id, &status, NULL, NULL);
    if (err == AD_ENOTFOUND || (err == AD_OK && store_status_ended(status)))
        return AD_EDEAD;
    return AD_OK;
}

int
eng_call_poll(struct eng *e, const char *name, const char *box, json_t **reply)
{
    struct call_ctx cc = {.e = e, .name = name, .box = box};
    int err = store_transaction_read(e->st, eng__call_poll_tx, &cc);
    *reply = cc.reply;
    return err;
}

static int
eng__call_end_tx(struct store *st, void *ctx)
{
    struct call_ctx *cc = ctx;
    int64_t id;
    enum store_status status;
    int err = store_actor_peek(st, cc->box, &id, &status, NULL, NULL);
    /* The box goes, mailbox included: a late reply finds no actor and
     * becomes a dead letter. */
    return err == AD_OK ? store_actor_remove(st, id) : err;
}

int
eng_call_end(struct eng *e, const char *box)
{
    struct call_ctx cc = {.e = e, .box = box};
    int err = store_transaction(e->st, eng__call_end_tx, &cc);
    return err == AD_ENOTFOUND ? AD_OK : err;
}
