/*
 * good.c - a fixture plugin of tests/unit/test_plugin.c: behaviour
 * "plug_good", whose steps call every function of actord/behavior.h, so
 * that a plugin that uses the whole API loads (every function is
 * exported by the program) and runs.  Its state records what each call
 * gave; the suite reads it back.
 */
#include <stdlib.h>
#include <string.h>

#include "actord/behavior.h"

/* Sets state[key] to v (stolen). */
static void
put(struct actor *a, const char *key, json_t *v)
{
    json_object_set_new(actor_state(a), key, v);
}

static json_t *
good_hello(struct actor *a, const json_t *payload, json_t **exception)
{
    (void)exception;
    return json_pack("{s:s, s:O}", "hello", actor_name(a), "payload",
                     (json_t *)payload);
}

static json_t *
good_refuse(struct actor *a, const json_t *payload, json_t **exception)
{
    (void)a;
    (void)payload;
    *exception = json_pack("{s:s}", "message", "refused");
    return NULL;
}

static const struct actor_method good_methods[] = {
    {"hello", good_hello},
    {"refuse", good_refuse},
    {NULL, NULL},
};

static const char *
good_check(const json_t *args)
{
    if (json_object_get(args, "bad") != NULL)
        return "bad is not allowed";
    return NULL;
}

static enum actor_step
good_step(struct actor *a)
{
    ACTOR_BEGIN(a);
    {
        json_t *self = actor_self(a);
        put(a, "point0", json_integer(actor_resume_point(a)));
        put(a, "behavior", json_string(actor_behavior(a)->name));
        put(a, "name", json_string(actor_name(a)));
        put(a, "self", json_string(actor_address_name(self)));
        put(a, "args", json_deep_copy(actor_args(a)));
        put(a, "first_message", json_boolean(actor_message(a) == NULL));
        put(a, "now", json_boolean(actor_now(a) > 0));
        put(a, "counter_known", json_boolean(actor_behavior_known("counter")));
        json_t *bad = json_pack("{s:s}", "start", "x");
        put(a, "counter_check",
            json_string(actor_check_args("counter", bad) ? "refused" : "ok"));
        json_decref(bad);
        actor_trap_exit(a, 1);

        json_t *c1 = actor_spawn(a, "counter", json_pack("{s:i}", "start", 1));
        actor_monitor(a, c1);
        actor_link(a, c1);
        actor_unlink(a, c1);
        char named[200];
        snprintf(named, sizeof named, "%s-named", actor_name(a));
        json_t *c2 = actor_spawn_named(a, named, "counter", NULL);
        json_t *c3 = actor_spawn_link(a, "counter", NULL);
        json_t *c4 = actor_spawn_monitor(a, "counter", NULL);
        actor_kill(a, c4);
        int64_t t = actor_send_after(a, self, json_pack("{s:i}", "tick", 1),
                                     3600 * 1000, 0);
        put(a, "cancelled", json_integer(actor_cancel_timer(a, t)));
        put(a, "sent",
            json_integer(actor_send(a, c1, json_pack("{s:i}", "add", 2))));
        put(a, "children", json_pack("[O, O, O, O]", c1, c2, c3, c4));
        json_decref(c1);
        json_decref(c2);
        json_decref(c3);
        json_decref(c4);
        json_decref(self);
    }
    /* c1 takes the add before the call: it answers 3. */
    ACTOR_CALL(a, 1,
               json_array_get(json_object_get(actor_state(a), "children"), 0),
               "get", NULL, 10000);
    put(a, "got", json_deep_copy(json_object_get(actor_message(a), "message")));
    ACTOR_RECEIVE_TIMEOUT(a, 2, json_pack("[{s:s}]", "never", "$any"), 0);
    put(a, "timed_out", json_integer(actor_timed_out(a)));
    for (;;) {
        ACTOR_RECEIVE(a, 3,
                      json_pack("[{s:s, s:s, s:s}, {s:s}, {s:s}, {s:s}]",
                                "call", "$any", "method", "$string", "address",
                                "$address", "fail", "$any", "stop", "$any",
                                "replace", "$object"));
        put(a, "matched", json_integer(actor_matched(a)));
        const json_t *m = actor_message(a);
        if (actor_matched(a) == 0) {
            const char *method =
                json_string_value(json_object_get(m, "method"));
            if (strcmp(method, "respond") == 0)
                actor_respond(a, m, json_string("responded"));
            else if (strcmp(method, "exception") == 0)
                actor_respond_exception(
                    a, m, json_pack("{s:s}", "message", "an exception"));
            else if (strcmp(method, "nothing") == 0)
                actor_respond_invalid_method(a, m);
            else
                actor_dispatch(a, m, good_methods);
        } else if (actor_matched(a) == 1) {
            return actor_fail(
                a, "asked to fail: %s",
                json_is_true(json_object_get(m, "fail")) ? "true" : "not true");
        } else if (actor_matched(a) == 2) {
            return actor_exit(a, json_incref(json_object_get(m, "stop")));
        } else {
            actor_set_state(a, json_deep_copy(json_object_get(m, "replace")));
        }
    }
    ACTOR_END(a);
}

static const struct behavior good = {
    .name = "plug_good",
    .version = 1,
    .doc = "test: a plugin's behaviour that calls all of behavior.h",
    .check_args = good_check,
    .step = good_step,
};

static int
good_init(void)
{
    return actor_register(&good);
}

ACTOR_PLUGIN("good", good_init)
