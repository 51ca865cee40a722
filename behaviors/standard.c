/*
 * standard.c - the standard behaviours: counter, collector, forwarder,
 * ring, gather, ticker and supervisor of API.md, and timer beyond it.
 * Each is a stackless coroutine; its resume points are the numbers in
 * its ACTOR_RECEIVEs and never change meaning.
 */
#include "behaviors/behaviors.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "actord/behavior.h"
#include "util/util.h"

/* Returns 1 when v is a JSON integer from lo to hi. */
static int
int_in(const json_t *v, json_int_t lo, json_int_t hi)
{
    return json_is_integer(v) && json_integer_value(v) >= lo &&
           json_integer_value(v) <= hi;
}

/* Adds delta to the integer state[key]. */
static void
state_add(json_t *st, const char *key, json_int_t delta)
{
    json_object_set_new(
        st, key,
        json_integer(json_integer_value(json_object_get(st, key)) + delta));
}

/* ---- counter: {"start": N}; state {"count": N}; {"add": INT} adds ---- */

static const char *
counter_check(const json_t *args)
{
    const json_t *start = json_object_get(args, "start");
    if (start != NULL && !json_is_integer(start))
        return "start must be an integer";
    return NULL;
}

/* counter's calls: get answers the count; add adds an integer payload
 * and answers the new count. */
static json_t *
counter_get(struct actor *a, const json_t *payload, json_t **exception)
{
    (void)payload;
    (void)exception;
    return json_incref(json_object_get(actor_state(a), "count"));
}

static json_t *
counter_add(struct actor *a, const json_t *payload, json_t **exception)
{
    json_t *st = actor_state(a);
    json_int_t sum;
    if (!json_is_integer(payload)) {
        *exception =
            json_pack("{s:s}", "message", "add takes an integer payload");
        return NULL;
    }
    if (__builtin_add_overflow(json_integer_value(json_object_get(st, "count")),
                               json_integer_value(payload), &sum)) {
        *exception = json_pack("{s:s}", "message", "the count would overflow");
        return NULL;
    }
    json_object_set_new(st, "count", json_integer(sum));
    return json_integer(sum);
}

static const struct actor_method counter_methods[] = {
    {"get", counter_get},
    {"add", counter_add},
    {NULL, NULL},
};

static enum actor_step
counter_step(struct actor *a)
{
    json_t *st = actor_state(a);
    ACTOR_BEGIN(a);
    json_object_set_new(st, "count",
                        json_integer(json_integer_value(
                            json_object_get(actor_args(a), "start"))));
    for (;;) {
        /* {"add": N}, or any call: get, add (an integer payload), and
         * invalid_method for the rest.  (Point 1 once waited for adds
         * only; a counter stored there resumes here just the same.) */
        ACTOR_RECEIVE(a, 1,
                      json_pack("[{s:s}, {s:s, s:s, s:s}]", "add", "$integer",
                                "call", "$any", "method", "$string", "address",
                                "$address"));
        if (actor_matched(a) == 1) {
            actor_dispatch(a, actor_message(a), counter_methods);
            continue;
        }
        {
            json_int_t count = json_integer_value(json_object_get(st, "count"));
            json_int_t add =
                json_integer_value(json_object_get(actor_message(a), "add"));
            json_int_t sum;
            if (__builtin_add_overflow(count, add, &sum))
                return actor_fail(a, "count overflows: %lld + %lld",
                                  (long long)count, (long long)add);
            json_object_set_new(st, "count", json_integer(sum));
        }
    }
    ACTOR_END(a);
}

static const struct behavior counter = {
    .name = "counter",
    .version = 1,
    .doc = "state {\"count\": N} from args {\"start\": N}; "
           "message {\"add\": INTEGER} adds; calls get and add (an "
           "integer); other messages stay unread",
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

#define RING_MAX 100000

static const char *
ring_check(const json_t *args)
{
    const json_t *n = json_object_get(args, "n");
    if (!int_in(n, 1, RING_MAX))
        return "n must be an integer from 1 to 100000";
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
    if (!int_in(every, 1, 86400000))
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
        state_add(st, "ticks", 1);
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

/* ---- timer: {"to": ADDRESS, "message": M, "after_ms": N, "every_ms": P}
 * A durable timer as an actor: sends message to `to` after N ms, then
 * every P ms when P > 0; exits after the one send when P is 0 or absent.
 * {"cancel": ANY} ends it early.  For cron-like work inside actord. ---- */

static const char *
timer_check(const json_t *args)
{
    const json_t *after = json_object_get(args, "after_ms");
    const json_t *every = json_object_get(args, "every_ms");
    if (actor_address_name(json_object_get(args, "to")) == NULL)
        return "to must be an address {\"$address\": NAME} or a name";
    if (json_object_get(args, "message") == NULL)
        return "message is needed";
    if (!int_in(after, 0, ACTOR_MAX_DELAY_MS))
        return "after_ms must be an integer from 0 to a year of ms";
    if (every != NULL && !int_in(every, 0, ACTOR_MAX_DELAY_MS))
        return "every_ms must be an integer from 0 to a year of ms";
    return NULL;
}

static enum actor_step
timer_step(struct actor *a)
{
    const json_t *args = actor_args(a);
    const json_t *to = json_object_get(args, "to");
    const json_t *message = json_object_get(args, "message");
    json_int_t after = json_integer_value(json_object_get(args, "after_ms"));
    json_int_t every = json_integer_value(json_object_get(args, "every_ms"));
    ACTOR_BEGIN(a);
    if (every > 0) {
        /* Repeating: a durable timer row; it lives as long as we do. */
        actor_send_after(a, to, json_deep_copy(message), after, every);
        ACTOR_RECEIVE(a, 1, json_pack("[{s:s}]", "cancel", "$any"));
        return actor_exit(a, json_string("cancelled"));
    }
    /* Once: the receive's deadline is the timer, durable as well. */
    ACTOR_RECEIVE_TIMEOUT(a, 2, json_pack("[{s:s}]", "cancel", "$any"), after);
    if (!actor_timed_out(a))
        return actor_exit(a, json_string("cancelled"));
    actor_send(a, to, json_deep_copy(message));
    return actor_exit(a, json_string("sent"));
    ACTOR_END(a);
}

static const struct behavior timer = {
    .name = "timer",
    .version = 1,
    .doc = "sends args.message to args.to after after_ms, then every "
           "every_ms if given; {\"cancel\": ANY} stops it",
    .check_args = timer_check,
    .step = timer_step,
};

/* ---- supervisor ---- */

#define SUP_CHILDREN_MAX 1000

/* ad_name_valid's rule in words, for a child's name it refuses. */
static const char sup_bad_name[] =
    "a child's name must be 1 to 128 characters from A-Z a-z 0-9 . _ ~ -, "
    "and not . or ..";
_Static_assert(AD_NAME_MAX == 128, "sup_bad_name gives the longest name");

static const char *
supervisor_check(const json_t *args)
{
    const json_t *strategy = json_object_get(args, "strategy");
    const json_t *intensity = json_object_get(args, "intensity");
    const json_t *period = json_object_get(args, "period");
    const json_t *children = json_object_get(args, "children");
    const char *sname = json_string_value(strategy);
    if (strategy != NULL &&
        (sname == NULL || (strcmp(sname, "one_for_one") != 0 &&
                           strcmp(sname, "one_for_all") != 0 &&
                           strcmp(sname, "rest_for_one") != 0)))
        return "strategy must be one_for_one, one_for_all or rest_for_one";
    if (intensity != NULL && !int_in(intensity, 0, 1000))
        return "intensity must be an integer from 0 to 1000";
    if (period != NULL &&
        (!json_is_number(period) || !(json_number_value(period) > 0) ||
         json_number_value(period) > 86400))
        return "period must be a number of seconds, above 0 and at most "
               "86400";
    if (!json_is_array(children) ||
        json_array_size(children) > SUP_CHILDREN_MAX)
        return "children must be a list of at most 1000 child specs";
    size_t i, j;
    const json_t *c, *d;
    json_array_foreach(children, i, c)
    {
        const char *name = json_string_value(json_object_get(c, "name"));
        const char *b = json_string_value(json_object_get(c, "behavior"));
        const json_t *cargs = json_object_get(c, "args");
        const char *restart = json_string_value(json_object_get(c, "restart"));
        const char *why;
        if (!json_is_object(c) || name == NULL || b == NULL)
            return "each child is {\"name\": NAME, \"behavior\": B, "
                   "\"args\": {...}, \"restart\": R}";
        /* The engine's own rule: a child it could not spawn under its
         * name would fail the supervisor later instead. */
        if (!ad_name_valid(name, strlen(name)))
            return sup_bad_name;
        if (!actor_behavior_known(b))
            return "a child names a behaviour that does not exist";
        if (cargs != NULL && !json_is_object(cargs))
            return "a child's args must be an object";
        /* Its own behaviour's check, as its spawn will make it (a nested
         * supervisor's spec is checked here in turn). */
        if ((why = actor_check_args(b, cargs)) != NULL)
            return why;
        if (json_object_get(c, "restart") != NULL &&
            (restart == NULL || (strcmp(restart, "permanent") != 0 &&
                                 strcmp(restart, "transient") != 0 &&
                                 strcmp(restart, "temporary") != 0)))
            return "restart must be permanent, transient or temporary";
        json_array_foreach(children, j, d)
        {
            const char *other = json_string_value(json_object_get(d, "name"));
            if (j < i && other && strcmp(other, name) == 0)
                return "two children have the same name";
        }
    }
    return NULL;
}

/* Spawns child i of the spec, linked, under its name; marks it running.
 * Returns 0, or -1 when it could not be spawned. */
static int
supervisor_start(struct actor *a, size_t i)
{
    const json_t *spec =
        json_array_get(json_object_get(actor_args(a), "children"), i);
    const json_t *cargs = json_object_get(spec, "args");
    json_t *addr =
        actor_spawn_named(a, json_string_value(json_object_get(spec, "name")),
                          json_string_value(json_object_get(spec, "behavior")),
                          cargs ? json_deep_copy(cargs) : NULL);
    if (addr == NULL)
        return -1;
    actor_link(a, addr);
    json_decref(addr);
    json_array_set_new(json_object_get(actor_state(a), "running"), i,
                       json_true());
    return 0;
}

/* The restart policy of child i: 'p'ermanent, 't'ransient or
 * te'm'porary. */
static char
supervisor_policy(struct actor *a, size_t i)
{
    const char *r = json_string_value(json_object_get(
        json_array_get(json_object_get(actor_args(a), "children"), i),
        "restart"));
    if (r == NULL || strcmp(r, "permanent") == 0)
        return 'p';
    return strcmp(r, "transient") == 0 ? 't' : 'm';
}

/* Records a restart now; returns 1 when more than intensity restarts
 * fell within the period. */
static int
supervisor_too_many(struct actor *a)
{
    const json_t *args = actor_args(a);
    const json_t *ij = json_object_get(args, "intensity");
    const json_t *pj = json_object_get(args, "period");
    json_int_t intensity = ij ? json_integer_value(ij) : 3;
    double period_ms = (pj ? json_number_value(pj) : 5) * 1000;
    int64_t now = actor_now(a);
    json_t *old = json_object_get(actor_state(a), "restarts");
    json_t *recent = json_array();
    size_t i;
    json_t *t;
    json_array_foreach(old, i, t)
    {
        if ((double)(now - json_integer_value(t)) < period_ms)
            json_array_append(recent, t);
    }
    json_array_append_new(recent, json_integer(now));
    json_object_set_new(actor_state(a), "restarts", recent);
    return (json_int_t)json_array_size(recent) > intensity;
}

static enum actor_step
supervisor_step(struct actor *a)
{
    const json_t *args = actor_args(a);
    json_t *st = actor_state(a);
    const json_t *specs = json_object_get(args, "children");
    size_t n = json_array_size(specs);
    ACTOR_BEGIN(a);
    actor_trap_exit(a, 1);
    json_object_set_new(st, "restarts", json_array());
    json_object_set_new(st, "running", json_array());
    for (size_t i = 0; i < n; i++)
        json_array_append_new(json_object_get(st, "running"), json_false());
    for (size_t i = 0; i < n; i++)
        if (supervisor_start(a, i) != 0)
            return actor_fail(a,
                              "child %zu could not be started (its name "
                              "is taken by a live actor?)",
                              i);
    for (;;) {
        ACTOR_RECEIVE(a, 1,
                      json_pack("[{s:s, s:s}, {s:s, s:s}]", "exit", "$any",
                                "address", "$address", "exception", "$any",
                                "address", "$address"));
        {
            const char *who = actor_address_name(
                json_object_get(actor_message(a), "address"));
            json_t *running = json_object_get(st, "running");
            size_t idx = n;
            for (size_t i = 0; i < n; i++)
                if (strcmp(json_string_value(json_object_get(
                               json_array_get(specs, i), "name")),
                           who) == 0)
                    idx = i;
            if (idx == n || !json_is_true(json_array_get(running, idx)))
                continue;
            json_array_set_new(running, idx, json_false());
            int abnormal = actor_matched(a) == 1;
            char policy = supervisor_policy(a, idx);
            if (policy == 'm' || (policy == 't' && !abnormal))
                continue;
            if (supervisor_too_many(a))
                return actor_fail(a,
                                  "restart intensity exceeded: child %s "
                                  "ended once too often",
                                  who);
            const char *strategy =
                json_string_value(json_object_get(args, "strategy"));
            size_t from = idx, to = idx + 1;
            if (strategy && strcmp(strategy, "one_for_all") == 0)
                from = 0, to = n;
            else if (strategy && strcmp(strategy, "rest_for_one") == 0)
                to = n;
            /* Stop the others first, unlinked so that their ends are not
             * taken for new failures. */
            for (size_t j = from; j < to; j++) {
                if (j == idx || !json_is_true(json_array_get(running, j)))
                    continue;
                json_t *addr = json_pack(
                    "{s:O}", "$address",
                    json_object_get(json_array_get(specs, j), "name"));
                actor_unlink(a, addr);
                actor_kill(a, addr);
                json_decref(addr);
                json_array_set_new(running, j, json_false());
            }
            for (size_t j = from; j < to; j++) {
                if (j != idx && supervisor_policy(a, j) == 'm')
                    continue;
                if (supervisor_start(a, j) != 0)
                    return actor_fail(a, "child %zu could not be restarted", j);
            }
        }
    }
    ACTOR_END(a);
}

static const struct behavior supervisor = {
    .name = "supervisor",
    .version = 1,
    .doc = "starts args.children linked to it and restarts them by "
           "args.strategy; more than intensity restarts in period seconds "
           "and it fails",
    .check_args = supervisor_check,
    .step = supervisor_step,
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
                return actor_fail(a,
                                  "child %zu could not be spawned: "
                                  "unknown behaviour or bad args",
                                  i);
            json_array_append_new(children, addr);
            json_array_append_new(results, json_null());
        }
        json_object_set_new(
            st, "left", json_integer((json_int_t)json_array_size(children)));
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
            state_add(st, "left", -1);
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

/* Every standard behaviour, in the order GET /behaviors lists them. */
static const struct behavior *const standard[] = {
    &counter, &collector, &forwarder,  &ring,
    &gather,  &ticker,    &supervisor, &timer,
};

int
behaviors_register_standard(void)
{
    for (size_t i = 0; i < sizeof standard / sizeof standard[0]; i++)
        if (actor_register(standard[i]) != 0)
            return -1;
    return 0;
}
