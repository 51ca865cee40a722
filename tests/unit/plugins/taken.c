/*
 * taken.c - a fixture plugin that registers a behaviour named "counter",
 * a name the standard behaviours hold: the loader must refuse it and
 * name the behaviour.
 */
#include "actord/behavior.h"

static enum actor_step
taken_step(struct actor *a)
{
    return actor_exit(a, NULL);
}

static const struct behavior taken = {
    .name = "counter",
    .version = 1,
    .doc = "test: a second counter",
    .step = taken_step,
};

static int
taken_init(void)
{
    return actor_register(&taken);
}

ACTOR_PLUGIN("taken", taken_init)
