/*
 * two_first.c - a fixture plugin of the folder two/, as 10-first.so:
 * registers "plug_first".
 */
#include "actord/behavior.h"

static enum actor_step
first_step(struct actor *a)
{
    return actor_exit(a, json_string("first"));
}

static const struct behavior first = {
    .name = "plug_first",
    .version = 1,
    .step = first_step,
};

static int
first_init(void)
{
    return actor_register(&first);
}

ACTOR_PLUGIN("first", first_init)
