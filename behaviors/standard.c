/*
 * standard.c - the standard behaviours of API.md: counter, collector,
 * forwarder and ring.  Each is a stackless coroutine; its resume points
 * are the numbers in its ACTOR_RECEIVEs and never change meaning.
 */
#include "behaviors/behaviors.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

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

/* ---- ticker: {"every_ms": N}; state {"ticks": K} ---- */

static const char *
ticker_check(const json_t *args)
{
    const json_t *every = json_object_get(args, "every_ms");
    if (!json_is_integer(every) || json_integer_value(every) < 1 ||
        json_integer_value(every) > 86400000)
        return "every_ms must be an integer from 1 to 86400000";
    return NULL;
}

static enum actor_step
ticker_step(struct actor *a)
{
    json_t *st = actor_state(a);
    json_int_t every =
        json_integer_value(json_object_get(actor_args(a), "every_ms"));
    ACTOR_BEGIN(a);
    json_object_set_new(st, "ticks", json_integer(0));
    for (;;) {
        ACTOR_RECEIVE_TIMEOUT(a, 1, json_pack("[{s:s}]", "stop", "$any"),
                              every);
        if (!actor_timed_out(a))
            return actor_exit(a, json_incref(json_object_get(st, "ticks")));
        json_object_set_new(
            st, "ticks",
            json_integer(json_integer_value(json_object_get(st, "ticks")) +
                         1));
    }
    ACTOR_END(a);
}

static const struct behavior ticker = {
    .name = "ticker",
    .version = 1,
    .doc = "waits in a receive with an every_ms timeout, forever; state "
           "{\"ticks\": K} counts the timeouts; {\"stop\": ANY} ends it "
           "with K",
    .check_args = ticker_check,
    .step = ticker_step,
};

/* ---- gather: {"children": [{"behavior": B, "args": {...}}, ...]} ---- */

#define GATHER_MAX 10000

static const char *
gather_check(const json_t *args)
{
    const json_t *children = json_object_get(args, "children");
    size_t i;
    const json_t *c;
    if (!json_is_array(children) || json_array_size(children) > GATHER_MAX)
        return "children must be a list of at most 10000 "
               "{\"behavior\": B, \"args\": {...}}";
    json_array_foreach(children, i, c)
    {
        const json_t *cargs = json_object_get(c, "args");
        if (!json_is_string(json_object_get(c, "behavior")) ||
            (cargs != NULL && !json_is_object(cargs)))
            return "each child is {\"behavior\": B, \"args\": {...}}";
    }
    return NULL;
}

/* The index of the child at address addr in state.children, or -1. */
static int
gather_index(const json_t *children, const json_t *addr)
{
    const char *name = actor_address_name(addr);
    size_t i;
    const json_t *c;
    json_array_foreach(children, i, c)
    {
        const char *cn = actor_address_name(c);
        if (name && cn && strcmp(name, cn) == 0)
            return (int)i;
    }
    return -1;
}

static enum actor_step
gather_step(struct actor *a)
{
    json_t *st = actor_state(a);
    json_t *children = json_object_get(st, "children");
    json_t *results = json_object_get(st, "results");
    ACTOR_BEGIN(a);
    {
        /* Exits of the linked children come as messages. */
        actor_trap_exit(a, 1);
        children = json_array();
        results = json_array();
        json_object_set_new(st, "children", children);
        json_object_set_new(st, "results", results);
        size_t i;
        const json_t *c;
        json_array_foreach(json_object_get(actor_args(a), "children"), i, c)
        {
            const json_t *cargs = json_object_get(c, "args");
            json_t *addr = actor_spawn_link(
                a, json_string_value(json_object_get(c, "behavior")),
                cargs ? json_deep_copy(cargs) : NULL);
            if (addr == NULL)
                return actor_fail(a, "child %zu could not be spawned: "
                                     "unknown behaviour or bad args", i);
            json_array_append_new(children, addr);
            json_array_append_new(results, json_null());
        }
        json_object_set_new(st, "left",
                            json_integer((json_int_t)json_array_size(
                                children)));
    }
    while (json_integer_value(json_object_get(st, "left")) > 0) {
        ACTOR_RECEIVE(a, 1,
                      json_pack("[{s:s, s:s}, {s:s, s:s}]", "exit", "$any",
                                "address", "$address", "exception", "$any",
                                "address", "$address"));
        {
            const json_t *m = actor_message(a);
            int i = gather_index(children, json_object_get(m, "address"));
            if (i < 0)
                continue;
            if (actor_matched(a) == 1) {
                char *err = json_dumps(json_object_get(m, "exception"),
                                       JSON_COMPACT | JSON_ENCODE_ANY);
                enum actor_step r = actor_fail(
                    a, "child %s failed: %s",
                    actor_address_name(json_object_get(m, "address")),
                    err ? err : "?");
                free(err);
                return r;
            }
            json_array_set(results, (size_t)i, json_object_get(m, "exit"));
            json_object_set_new(
                st, "left",
                json_integer(json_integer_value(json_object_get(st, "left")) -
                             1));
        }
    }
    return actor_exit(a, json_incref(results));
    ACTOR_END(a);
}

static const struct behavior gather = {
    .name = "gather",
    .version = 1,
    .doc = "spawns args.children linked to it and exits with the list of "
           "their results, in the order given; fails if one fails",
    .check_args = gather_check,
    .step = gather_step,
};

void
behaviors_register_standard(void)
{
    actor_register(&counter);
    actor_register(&collector);
    actor_register(&forwarder);
    actor_register(&ring);
    actor_register(&gather);
    actor_register(&ticker);
}
