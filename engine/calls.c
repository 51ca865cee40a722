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

int
eng_call_begin(struct eng *e, const char *name, const char *method,
               const json_t *payload, char *box, char *call_id)
{
    snprintf(call_id, ENG_CALL_ID_LEN, "%016llx", eng__random64());
    snprintf(box, ENG_CALL_ID_LEN + 8, "_call-%s", call_id);
    int err = store_begin(e->st);
    if (err != AD_OK)
        return err;
    int64_t id;
    enum store_status status;
    err = store_actor_peek(e->st, name, &id, &status, NULL, NULL);
    if (err == AD_OK && store_status_ended(status))
        err = AD_EDEAD;
    int64_t now = ad_now_ms();
    struct store_actor a = {.name = box,
                            .behavior = (char *)REPLY_BOX,
                            .version = 1,
                            .status = STORE_WAITING,
                            .created = now,
                            .updated = now};
    if (err == AD_OK)
        err = store_actor_insert(e->st, &a);
    json_t *call = json_pack("{s:s, s:s, s:{s:s}, s:O?}", "call", call_id,
                             "method", method, "address", "$address", box,
                             "message", payload);
    if (err == AD_OK)
        err = call ? eng__deliver(e, name, NULL, call, 0, NULL) : AD_ENOMEM;
    json_decref(call);
    if (err != AD_OK) {
        store_rollback(e->st);
        return err;
    }
    /* Commit before waiting: the call is durable like any message. */
    return store_commit(e->st);
}

struct reply_ctx {
    json_t *reply; /* new: the first message of the box, or NULL */
};

static int
eng__reply_one(void *ctx, int64_t seq, const char *sender, const char *body,
               size_t len, int64_t hops)
{
    (void)seq;
    (void)hops;
    (void)sender;
    struct reply_ctx *rc = ctx;
    /* Out of memory is an error, not "no reply yet". */
    if (eng__parse(body, len, JSON_DECODE_ANY, &rc->reply) == AD_ENOMEM)
        return AD_ENOMEM;
    return 1;
}

int
eng_call_poll(struct eng *e, const char *name, const char *box,
              json_t **reply)
{
    struct reply_ctx rc = {0};
    int64_t id, tid;
    enum store_status status, tstatus;
    *reply = NULL;
    int err = store_begin_read(e->st);
    if (err == AD_OK)
        err = store_actor_peek(e->st, box, &id, &status, NULL, NULL);
    if (err == AD_OK)
        err = store_mailbox_scan(e->st, id, 0, 1, eng__reply_one, &rc);
    if (err == AD_OK && rc.reply == NULL) {
        /* No answer yet: a target that has ended will never give one. */
        int terr =
            store_actor_peek(e->st, name, &tid, &tstatus, NULL, NULL);
        if (terr == AD_ENOTFOUND ||
            (terr == AD_OK && store_status_ended(tstatus)))
            err = AD_EDEAD;
    }
    store_rollback(e->st);
    *reply = rc.reply;
    return err;
}

int
eng_call_end(struct eng *e, const char *box)
{
    int err = store_begin(e->st);
    if (err != AD_OK)
        return err;
    int64_t id;
    enum store_status status;
    err = store_actor_peek(e->st, box, &id, &status, NULL, NULL);
    /* The box goes, mailbox included: a late reply finds no actor and
     * becomes a dead letter. */
    if (err == AD_OK)
        err = store_actor_remove(e->st, id);
    if (err != AD_OK) {
        store_rollback(e->st);
        return err == AD_ENOTFOUND ? AD_OK : err;
    }
    return store_commit(e->st);
}
