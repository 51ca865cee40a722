/*
 * abi.c - a fixture plugin built for another ABI: the loader must refuse
 * it before calling anything in it (its init would abort the process).
 */
#include <stdlib.h>

#include "actord/behavior.h"

static int
abi_init(void)
{
    abort();
}

const struct actor_plugin actor_plugin = {ACTOR_ABI_VERSION + 1, "abi",
                                          abi_init};
