/*
 * api.c - the behaviour API of actord/behavior.h, in the order of that
 * header.  Every entry has the same shape: check what the behaviour
 * passed, translate it to the engine's terms, call the engine, and keep
 * the first storage error of the step in a->err (the step's
 * transaction is then rolled back; see step.c).  Every entry that may
 * allocate is fenced with WD_GUARD (watchdog.h).  Elsewhere:
 * actor_register and actor_behavior_known in registry.c,
 * actor_check_args in spawn.c, actor_address_name in helpers.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/eng_int.h"
#include "engine/shape.h"
#include "engine/watchdog.h"

int
actor_resume_point(struct actor *a)
{
    return a->row->resume;
}

const struct behavior *
actor_behavior(struct actor *a)
{
    return a->b;
}

const char *
actor_name(struct actor *a)
{
    return a->row->name;
}

json_t *
actor_self(struct actor *a)
{
    return json_pack("{s:s}", "$address", a->row->name);
}

const json_t *
actor_args(struct actor *a)
{
    return a->args;
}

json_t *
actor_state(struct actor *a)
{
    return a->state;
}

void
actor_set_state(struct actor *a, json_t *state)
{
    WD_GUARD;
    if (!json_is_object(state)) {
        json_decref(state);
        return;
    }
    json_decref(a->state);
    a->state = state;
}

const json_t *
actor_message(struct actor *a)
{
    return a->msg;
}

const json_t *
actor_waiting_for(struct actor *a)
{
    return a->waiting_for;
}

int
actor_matched(struct actor *a)
{
    return a->matched;
}

/* What actor_send answers for a refusal of eng__deliver_or_bury. */
static int
eng__sent(int refused)
{
    switch (refused) {
    case AD_OK:
        return ACTOR_SENT;
    case AD_EDEAD:
        return ACTOR_SENT_DEAD;
    case AD_ENOTFOUND:
        return ACTOR_SENT_UNKNOWN;
    default:
        return ACTOR_SENT_REFUSED;
    }
}

/* actor_send while terminate runs: msg (stolen) to name is kept on
 * a->outbox, delivered when the handler returns; the answer is what the
 * target is now. */
static int
eng__send_later(struct actor *a, const char *name, json_t *msg)
{
    int64_t id;
    enum store_status status;
    int err = store_actor_peek(a->e->st, name, &id, &status, NULL, NULL);
    json_t *item = json_pack("[s, o]", name, msg);
    if (item == NULL || json_array_append_new(a->outbox, item) != 0)
        return ACTOR_SENT_REFUSED; /* out of memory: nothing sent */
    if (err == AD_ENOTFOUND)
        return ACTOR_SENT_UNKNOWN;
    return err == AD_OK && store_status_ended(status) ? ACTOR_SENT_DEAD
                                                      : ACTOR_SENT;
}

int
actor_send(struct actor *a, const json_t *to, json_t *msg)
{
    WD_GUARD;
    const char *name = actor_address_name(to);
    if (name == NULL || msg == NULL) {
        json_decref(msg);
        return -1;
    }
    if (a->outbox != NULL)
        return eng__send_later(a, name, msg);
    int refused = AD_OK;
    if (a->err == AD_OK) {
        struct eng *e = a->e;
        int64_t hops = a->hops + 1;
        /* What cannot be delivered becomes a dead letter; the sender is
         * told why. */
        a->err = eng__deliver_or_bury(
            e, name, a->row->name, msg, hops,
            e->opts.max_hops > 0 && hops > e->opts.max_hops ? "hop limit"
                                                            : NULL,
            &refused);
        if (a->err == AD_ETOOLARGE) {
            /* Storing it, even as a dead letter, would take what the
             * limit protects: the step is undone and the actor fails
             * (see eng_run). */
            eng__abort(e, a->row->id, "message_too_large",
                       "a message to %s is over the limit of %lld bytes", name,
                       e->opts.max_message);
            a->err = ENG__ABORTED;
        }
    }
    json_decref(msg);
    return eng__sent(refused);
}

json_t *
actor_spawn(struct actor *a, const char *behavior, json_t *args)
{
    WD_GUARD;
    const struct behavior *b;
    json_t *addr = NULL;
    if (a->err != AD_OK ||
        eng__check_spawn(a->e, behavior, 0, args, &b, NULL) != AD_OK)
        goto out;
    for (int tries = 0; tries < 100; tries++) {
        char name[AD_NAME_MAX + 32];
        a->row->spawned++;
        int n = snprintf(name, sizeof name, "%s.%lld", a->row->name,
                         (long long)a->row->spawned);
        if (n < 0 || n > AD_NAME_MAX)
            eng__random_name(name, sizeof name);
        int err = eng__create(a->e, name, b, args, NULL, NULL);
        if (err == AD_EEXISTS)
            continue;
        if (err != AD_OK) {
            a->err = err;
            break;
        }
        addr = json_pack("{s:s}", "$address", name);
        if (addr == NULL)
            a->err = AD_ENOMEM;
        break;
    }
out:
    json_decref(args);
    return addr;
}

/*
 * Looks up name, the target of a watch or a link: when it is live, *t is
 * its row and *value NULL; when it has ended or never was, *value is a
 * new reference to what its watchers are told, under *key ("exit" or
 * "exception").  Returns 0 or an error.
 */
static int
eng__tie_target(struct actor *a, const char *name, struct store_actor *t,
                json_t **value, const char **key)
{
    *value = NULL;
    *key = "exception";
    int err = store_actor_by_name(a->e->st, name, t);
    if (err != AD_OK && err != AD_ENOTFOUND)
        return err;
    int found = err == AD_OK;
    *value = eng__gone_value(found, t, key);
    if (*value == NULL && (!found || store_status_ended(t->status)))
        return AD_ENOMEM;
    return AD_OK;
}

/* Tells this actor at once that name has ended: {key: value (borrowed),
 * "address": A}, as if it ended now. */
static int
eng__tell_gone(struct actor *a, const char *name, const char *key,
               const json_t *value)
{
    json_t *notice = eng__notice(key, value, name);
    int err = notice ? eng__deliver_or_bury(a->e, a->row->name, name, notice, 0,
                                            NULL, NULL)
                     : AD_ENOMEM;
    json_decref(notice);
    return err;
}

int
actor_monitor(struct actor *a, const json_t *target)
{
    WD_GUARD;
    const char *name = actor_address_name(target);
    if (name == NULL)
        return -1;
    if (a->err != AD_OK)
        return 0;
    struct store_actor t = {0};
    json_t *value;
    const char *key;
    int err = eng__tie_target(a, name, &t, &value, &key);
    if (err == AD_OK && value == NULL)
        err = store_monitor_add(a->e->st, t.id, a->row->id);
    else if (err == AD_OK) /* ended, or never was: told at once */
        err = eng__tell_gone(a, name, key, value);
    json_decref(value);
    store_actor_release(&t);
    a->err = err;
    return 0;
}

int
actor_link(struct actor *a, const json_t *target)
{
    WD_GUARD;
    const char *name = actor_address_name(target);
    if (name == NULL)
        return -1;
    if (a->err != AD_OK)
        return 0;
    struct store_actor t = {0};
    json_t *value;
    const char *key;
    int err = eng__tie_target(a, name, &t, &value, &key);
    if (err == AD_OK && value == NULL && t.id != a->row->id)
        err = store_link_add(a->e->st, t.id, a->row->id);
    /* Linking to an actor that has ended (or never was) acts at once, as
     * if it ended now: a notice, or, abnormally and not trapping exits,
     * the end of this actor. */
    if (err == AD_OK && value != NULL) {
        int traps = 0;
        err = store_trap_exit(a->e->st, a->row->id, &traps);
        if (err == AD_OK && strcmp(key, "exception") == 0 && !traps)
            a->e->running_killed = 1;
        else if (err == AD_OK)
            err = eng__tell_gone(a, name, key, value);
    }
    json_decref(value);
    store_actor_release(&t);
    a->err = err;
    return 0;
}

int
actor_unlink(struct actor *a, const json_t *target)
{
    WD_GUARD;
    const char *name = actor_address_name(target);
    if (name == NULL)
        return -1;
    if (a->err != AD_OK)
        return 0;
    int64_t id;
    enum store_status st;
    int err = store_actor_peek(a->e->st, name, &id, &st, NULL, NULL);
    if (err == AD_OK)
        err = store_link_remove(a->e->st, id, a->row->id);
    a->err = err == AD_ENOTFOUND ? AD_OK : err;
    return 0;
}

json_t *
actor_spawn_named(struct actor *a, const char *name, const char *behavior,
                  json_t *args)
{
    WD_GUARD;
    const struct behavior *b;
    json_t *addr = NULL;
    if (a->err != AD_OK || !ad_name_valid(name, strlen(name)) ||
        eng__check_spawn(a->e, behavior, 0, args, &b, NULL) != AD_OK)
        goto out;
    int err = eng__create(a->e, name, b, args, NULL, NULL);
    if (err == AD_OK) {
        addr = json_pack("{s:s}", "$address", name);
        if (addr == NULL)
            a->err = AD_ENOMEM;
    } else if (err != AD_EEXISTS) {
        a->err = err;
    }
out:
    json_decref(args);
    return addr;
}

int64_t
actor_send_after(struct actor *a, const json_t *to, json_t *msg, long long ms,
                 long long every_ms)
{
    WD_GUARD;
    const char *name = actor_address_name(to);
    int64_t id = 0;
    if (name == NULL || msg == NULL || ms < 0 || ms > ACTOR_MAX_DELAY_MS ||
        every_ms < 0 || every_ms > ACTOR_MAX_DELAY_MS || a->err != AD_OK)
        goto out;
    char *body = eng__dump(msg);
    if (body == NULL) {
        a->err = AD_ENOMEM;
        goto out;
    }
    if (a->e->opts.max_message > 0 &&
        strlen(body) > (size_t)a->e->opts.max_message) {
        free(body);
        eng__abort(a->e, a->row->id, "message_too_large",
                   "a timer's message to %s is over the limit of %lld bytes",
                   name, a->e->opts.max_message);
        a->err = ENG__ABORTED;
        goto out;
    }
    a->err = store_timer_add(a->e->st, a->row->id, name, body, ad_now_ms() + ms,
                             every_ms, &id);
    free(body);
    if (a->err != AD_OK)
        id = 0;
out:
    json_decref(msg);
    return id;
}

int
actor_cancel_timer(struct actor *a, int64_t id)
{
    WD_GUARD;
    int found = 0;
    if (a->err == AD_OK)
        a->err = store_timer_cancel(a->e->st, id, a->row->id, &found);
    return found;
}

/* Sends the answer {"response": ID, key: value (stolen)} to the address
 * of call (borrowed). */
static int
eng__respond(struct actor *a, const json_t *call, const char *key,
             json_t *value)
{
    WD_GUARD;
    const json_t *id = json_object_get(call, "call");
    const json_t *to = json_object_get(call, "address");
    if (id == NULL || actor_address_name(to) == NULL || value == NULL) {
        json_decref(value);
        return -1;
    }
    /* A caller that has ended or gave up gets a dead letter: no error of
     * the one that answers. */
    json_t *answer = json_pack("{s:O, s:o}", "response", id, key, value);
    return actor_send(a, to, answer) < 0 ? -1 : 0;
}

int
actor_respond(struct actor *a, const json_t *call, json_t *result)
{
    return eng__respond(a, call, "message", result ? result : json_null());
}

int
actor_respond_exception(struct actor *a, const json_t *call, json_t *error)
{
    return eng__respond(a, call, "exception", error);
}

int
actor_respond_invalid_method(struct actor *a, const json_t *call)
{
    const json_t *m = json_object_get(call, "method");
    return eng__respond(a, call, "invalid_method",
                        m ? json_incref((json_t *)m) : json_null());
}

enum actor_step
actor_call(struct actor *a, int point, const json_t *to, const char *method,
           json_t *payload, long long timeout_ms)
{
    WD_GUARD;
    char id[AD_NAME_MAX + 40];
    snprintf(id, sizeof id, "%s/%016llx", a->row->name, eng__random64());
    json_t *self = actor_self(a);
    json_t *call = json_pack("{s:s, s:s, s:o, s:o}", "call", id, "method",
                             method ? method : "", "address", self, "message",
                             payload ? payload : json_null());
    if (call == NULL || actor_send(a, to, call) < 0)
        return actor_fail(a, "call %s: not an address", method);
    return actor_receive_timeout(
        a, point, json_pack("[{s:{s:s}}]", "response", "$literal", id),
        timeout_ms);
}

int
actor_dispatch(struct actor *a, const json_t *call,
               const struct actor_method *methods)
{
    WD_GUARD;
    const char *method = json_string_value(json_object_get(call, "method"));
    if (method == NULL || json_object_get(call, "call") == NULL)
        return -1;
    for (const struct actor_method *m = methods; m && m->name; m++) {
        if (strcmp(m->name, method) != 0)
            continue;
        json_t *exception = NULL;
        const json_t *payload = json_object_get(call, "message");
        json_t *result = m->fn(a, payload ? payload : json_null(), &exception);
        if (result != NULL) {
            json_decref(exception);
            return actor_respond(a, call, result);
        }
        return actor_respond_exception(
            a, call,
            exception ? exception
                      : json_pack("{s:s}", "message", "the method failed"));
    }
    return actor_respond_invalid_method(a, call);
}

int64_t
actor_now(struct actor *a)
{
    (void)a;
    return ad_now_ms();
}

json_t *
actor_spawn_link(struct actor *a, const char *behavior, json_t *args)
{
    WD_GUARD;
    json_t *addr = actor_spawn(a, behavior, args);
    if (addr != NULL)
        actor_link(a, addr);
    return addr;
}

void
actor_trap_exit(struct actor *a, int on)
{
    WD_GUARD;
    if (a->err == AD_OK)
        a->err = store_set_trap_exit(a->e->st, a->row->id, on);
}

int
actor_kill(struct actor *a, const json_t *target)
{
    WD_GUARD;
    const char *name = actor_address_name(target);
    if (name == NULL)
        return -1;
    if (a->err != AD_OK)
        return 0;
    int64_t id;
    enum store_status st;
    int err = store_actor_peek(a->e->st, name, &id, &st, NULL, NULL);
    if (err == AD_OK)
        err = eng__kill(a->e, id);
    /* Killing an unknown or ended actor does nothing. */
    if (err == AD_ENOTFOUND || err == AD_EDEAD)
        err = AD_OK;
    a->err = err;
    return 0;
}

json_t *
actor_spawn_monitor(struct actor *a, const char *behavior, json_t *args)
{
    WD_GUARD;
    json_t *addr = actor_spawn(a, behavior, args);
    if (addr != NULL)
        actor_monitor(a, addr);
    return addr;
}

enum actor_step
actor_receive(struct actor *a, int point, json_t *shapes)
{
    WD_GUARD;
    char why[512];
    if (!json_is_array(shapes) || json_array_size(shapes) == 0) {
        json_decref(shapes);
        return actor_fail(a, "receive needs a non-empty array of shapes");
    }
    size_t i;
    json_t *s;
    json_array_foreach(shapes, i, s)
    {
        if (shape_check(s, why, sizeof why) != 0) {
            json_decref(shapes);
            return actor_fail(a, "bad shape %zu in receive: %s", i, why);
        }
    }
    json_decref(a->shapes);
    a->shapes = shapes;
    a->point = point;
    a->deadline = 0;
    return ACTOR_WAIT;
}

enum actor_step
actor_receive_timeout(struct actor *a, int point, json_t *shapes, long long ms)
{
    WD_GUARD;
    if (ms < 0 || ms > ACTOR_MAX_DELAY_MS) {
        json_decref(shapes);
        return actor_fail(a,
                          "receive timeout %lld ms is out of range "
                          "(0 to a year)",
                          ms);
    }
    enum actor_step r = actor_receive(a, point, shapes);
    if (r == ACTOR_WAIT)
        a->deadline = ad_now_ms() + ms;
    return r;
}

int
actor_timed_out(struct actor *a)
{
    return a->timed_out;
}

enum actor_step
actor_exit(struct actor *a, json_t *result)
{
    WD_GUARD;
    json_decref(a->result);
    a->result = result ? result : json_null();
    return ACTOR_EXIT;
}

enum actor_step
actor_fail(struct actor *a, const char *fmt, ...)
{
    WD_GUARD;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_decref(a->error);
    a->error = json_pack("{s:s}", "message", msg);
    return ACTOR_FAIL;
}
