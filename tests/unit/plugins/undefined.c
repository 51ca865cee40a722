/*
 * undefined.c - a fixture plugin that calls a function of the engine
 * outside behavior.h (eng_init): the program does not export it, so the
 * plugin does not load.
 */
#include "actord/behavior.h"

int eng_init(void);

static int
undefined_init(void)
{
    return eng_init();
}

ACTOR_PLUGIN("undefined", undefined_init)
