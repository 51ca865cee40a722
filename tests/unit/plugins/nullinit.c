/* nullinit.c - a fixture plugin whose actor_plugin has no init. */
#include <stddef.h>

#include "actord/behavior.h"

ACTOR_PLUGIN("nullinit", NULL)
