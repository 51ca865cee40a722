/*
 * two_second.c - a fixture plugin of the folder two/, as 20-second.so:
 * registers "plug_second", and refuses to load unless 10-first.so was
 * loaded before it (the folder loads in name order).
 */
#include "actord/behavior.h"

static enum actor_step
second_step(struct actor *a)
{
    return actor_exit(a, json_string("second"));
}

static const struct behavior second = {
    .name = "plug_second",
    .version = 1,
    .step = second_step,
};

static int
second_init(void)
{
    if (!actor_behavior_known("plug_first"))
        return 2;
    return actor_register(&second);
}

ACTOR_PLUGIN("second", second_init)
