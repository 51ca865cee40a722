/*
 * noentry.c - a fixture: a shared object without the actor_plugin
 * symbol (a library, not a plugin).
 */
#include "actord/behavior.h"

int noentry_answer(void);

int
noentry_answer(void)
{
    return 42;
}
