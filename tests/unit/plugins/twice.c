/* twice.c - a fixture plugin that the suite loads twice. */
#include "actord/behavior.h"

static enum actor_step
twice_step(struct actor *a)
{
    return actor_exit(a, NULL);
}

static const struct behavior twice = {
    .name = "plug_twice",
    .version = 1,
    .step = twice_step,
};

static int
twice_init(void)
{
    return actor_register(&twice);
}

ACTOR_PLUGIN("twice", twice_init)
