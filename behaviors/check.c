/*
 * check.c - actor_check_args of actord/behavior.h, for now.  The registry
 * is the engine's (engine/registry.c), and it shows no behaviour's
 * check_args: the only public lookup is actor_behavior_known.  So this
 * runs the check_args of the standard behaviours (behaviors_standard) and
 * takes the args of any other registered behaviour unchecked; such a
 * child is checked by the engine when it is spawned.  actor_check_args
 * belongs in engine/ beside eng__behavior and eng__check_spawn
 * (engine/spawn.c), where it can check every behaviour; when it moves
 * there this file goes.
 */
#include "behaviors/behaviors.h"

#include "actord/behavior.h"

const char *
actor_check_args(const char *behavior, const json_t *args)
{
    if (behavior == NULL || !actor_behavior_known(behavior))
        return "no behaviour of that name is registered";
    if (args != NULL && !json_is_object(args))
        return "args must be an object";
    const struct behavior *b = behaviors_standard(behavior);
    if (b == NULL || b->check_args == NULL)
        return NULL;
    /* As the engine does: a check_args is always given an object. */
    json_t *empty = NULL;
    if (args == NULL && (empty = json_object()) == NULL)
        return "out of memory while checking args";
    const char *why = b->check_args(args ? args : empty);
    json_decref(empty);
    return why;
}
