/*
 * language.c - Lua as the engine's language of uploaded behaviours
 * (engine.h, struct eng_language): the engine stores sources and
 * versions and calls in here to compile, check args, move an actor
 * between versions by the names of its resume points, and free.
 */
#include <stdio.h>

#include "engine/engine.h"
#include "lua/luab.h"

static int
lang_compile(const char *name, int version, const char *source, size_t len,
             struct behavior **out, char *why, size_t whylen)
{
    return luab_compile(name, version, source, len, out, why, whylen) == 0
               ? AD_OK
               : AD_EBADCODE;
}

static int
lang_upgrade(const struct behavior *to, const struct behavior *from,
             struct actor *a, int point, char *why, size_t len)
{
    const char *name = luab_point_name(from, point);
    if (name == NULL) {
        snprintf(why, len, "resume point %d is not in version %d", point,
                 from->version);
        return -1;
    }
    return luab_upgrade(to, a, from->version, name, why, len);
}

static const struct eng_language lua = {
    .name = "lua",
    .compile = lang_compile,
    .check_args = luab_check_args,
    .upgrade = lang_upgrade,
    .set_fence = luab_set_fence,
    .release = luab_free,
};

const struct eng_language *
luab_language(void)
{
    return &lua;
}
