/*
 * glue.c - what the Lua handle needs and actord/behavior.h does not give
 * yet: the shapes the step resumes from (a.waiting_for).  It reads the
 * engine's own struct actor (engine/eng_int.h), the one place in lua/
 * that does; when behavior.h gains an accessor (actor_waiting_for, say),
 * this file becomes a call of it.
 */
#include <string.h>

#include "engine/eng_int.h"
#include "lua/luab_int.h"

json_t *
luab__waiting_for(struct actor *a)
{
    const char *text = a->row ? a->row->waiting_for : NULL;
    if (text == NULL)
        return NULL;
    return json_loads(text, 0, NULL);
}
