/*
 * standard.c - the standard behaviours of API.md: counter, collector,
 * forwarder and ring.  Each is a stackless coroutine; its resume points
 * are the numbers in its ACTOR_RECEIVEs and never change meaning.
 */
#include "behaviors/behaviors.h"

#include <limits.h>

#include "actord/behavior.h"

/* ---- counter: {"start": N}; state {"count": N}; {"add": INT} adds ---- */

static const char *
counter_check(const json_t *args)
{
    const json_t *start = json_object_get(args, "start");
    if (start != NULL && !json_is_integer(start))
        return "start must be an integer";
    return NULL;
}

static enum actor_step
counter_step(struct actor *a)
{
    json_t *st = actor_state(a);
    ACTOR_BEGIN(a);
    json_object_set_new(
        st, "count",
        json_integer(json_integer_value(
            json_object_get(actor_args(a), "start"))));
    for (;;) {
        ACTOR_RECEIVE(a, 1, json_pack("[{s:s}]", "add", "$integer"));
        json_int_t count = json_integer_value(json_object_get(st, "count"));
        json_int_t add = json_integer_value(
            json_object_get(actor_message(a), "add"));
        json_int_t sum;
        if (__builtin_add_overflow(count, add, &sum))
            return actor_fail(a, "count overflows: %lld + %lld",
                              (long long)count, (long long)add);
        json_object_set_new(st, "count", json_integer(sum));
    }
    ACTOR_END(a);
}

static const struct behavior counter = {
    .name = "counter",
    .version = 1,
    .doc = "state {\"count\": N} from args {\"start\": N}; "
           "message {\"add\": INTEGER} adds; other messages stay unread",
    .check_args = counter_check,
    .step = counter_step,
};

/* ---- collector: appends every message to state {"messages": [...]} ---- */

static enum actor_step
collector_step(struct actor *a)
{
    json_t *st = actor_state(a);
    ACTOR_BEGIN(a);
    json_object_set_new(st, "messages", json_array());
    for (;;) {
        ACTOR_RECEIVE(a, 1, json_pack("[s]", "$any"));
        json_array_append(json_object_get(st, "messages"), 
                          (json_t *)actor_message(a));
    }
    ACTOR_END(a);
}

static const struct behavior collector = {
    .name = "collector",
    .version = 1,
    .doc = "appends every message it receives to state {\"messages\": [...]}",
    .step = collector_step,
};

/* ---- forwarder: {"to": ADDRESS, "once": BOOL} ---- */

static const char *
forwarder_check(const json_t *args)
{
    const json_t *once = json_object_get(args, "once");
    if (actor_address_name(json_object_get(args, "to")) == NULL)
        return "to must be an address {\"$address\": NAME} or a name";
    if (once != NULL && !json_is_boolean(once))
        return "once must be true or false";
    return NULL;
}

static enum actor_step
forwarder_step(struct actor *a)
{
    const json_t *args = actor_args(a);
    ACTOR_BEGIN(a);
    for (;;) {
        ACTOR_RECEIVE(a, 1, json_pack("[s]", "$any"));
        actor_send(a, json_object_get(args, "to"),
                   json_deep_copy(actor_message(a)));
        if (json_is_true(json_object_get(args, "once")))
            return actor_exit(a, json_deep_copy(actor_message(a)));
    }
    ACTOR_END(a);
}

static const struct behavior forwarder = {
    .name = "forwarder",
    .version = 1,
    .doc = "sends every message it receives to args.to; with args.once it "
           "exits after the first",
    .check_args = forwarder_check,
    .step = forwarder_step,
};

/* ---- ring: {"n": N, "message": ANY} ---- */

#define RING_MAX 1000000

static const char *
ring_check(const json_t *args)
{
    const json_t *n = json_object_get(args, "n");
    if (!json_is_integer(n) || json_integer_value(n) < 1 ||
        json_integer_value(n) > RING_MAX)
        return "n must be an integer from 1 to 1000000";
    return NULL;
}

static enum actor_step
ring_step(struct actor *a)
{
    const json_t *args = actor_args(a);
    json_t *message = json_object_get(args, "message");
    if (message == NULL)
        message = json_null();
    ACTOR_BEGIN(a);
    {
        /* Spawn the ring backwards so each forwarder knows the next. */
        json_t *next = actor_self(a);
        for (json_int_t i = json_integer_value(json_object_get(args, "n"));
             i > 0 && next != NULL; i--) {
            json_t *to = next;
            next = actor_spawn(a, "forwarder",
                               json_pack("{s:O, s:b}", "to", to, "once", 1));
            json_decref(to);
        }
        if (next == NULL)
            return actor_fail(a, "could not spawn the ring");
        actor_send(a, next, json_deep_copy(message));
        json_decref(next);
    }
    ACTOR_RECEIVE(a, 1, json_pack("[{s:O}]", "$literal", message));
    return actor_exit(a, json_deep_copy(actor_message(a)));
    ACTOR_END(a);
}

static const struct behavior ring = {
    .name = "ring",
    .version = 1,
    .doc = "spawns a ring of n once-forwarders, sends message around it and "
           "exits with it when it comes back",
    .check_args = ring_check,
    .step = ring_step,
};

void
behaviors_register_standard(void)
{
    actor_register(&counter);
    actor_register(&collector);
    actor_register(&forwarder);
    actor_register(&ring);
}
