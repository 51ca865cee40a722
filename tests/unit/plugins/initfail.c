/* initfail.c - a fixture plugin whose init refuses to load (returns 7). */
#include "actord/behavior.h"

static int
initfail_init(void)
{
    return 7;
}

ACTOR_PLUGIN("initfail", initfail_init)
