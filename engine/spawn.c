/*
 * spawn.c - creating actors: the checks of a behaviour and its args, the
 * row of a new actor, and eng_spawn from outside (with its watchers).
 * Spawns from a step go through actor_spawn (api.c).
 */
#include <stdlib.h>
#include <string.h>

#include "engine/eng_int.h"

/* ---- spawning ---- */

int
eng__check_spawn(struct eng *e, const char *behavior, int version,
                 const json_t *args, const struct behavior **b,
                 const char **why)
{
    /* The reason an uploaded behaviour gives is made, not static. */
    static _Thread_local char uploaded_why[256];
    *b = NULL;
    if (behavior != NULL)
        *b = e ? eng__behavior_at(e, behavior, version)
               : eng__behavior(behavior);
    if (*b == NULL || (version != 0 && (*b)->version != version))
        return AD_EBEHAVIOR;
    const char *w = NULL;
    if (args != NULL && !json_is_object(args)) {
        w = "args must be an object";
    } else {
        /* A check_args is always given an object. */
        json_t *empty = args ? NULL : json_object();
        if (args == NULL && empty == NULL)
            return AD_ENOMEM;
        if ((*b)->check_args)
            w = (*b)->check_args(args ? args : empty);
        else if (e != NULL)
            w = eng__check_uploaded(*b, args ? args : empty, uploaded_why,
                                    sizeof uploaded_why);
        json_decref(empty);
    }
    if (w == NULL)
        return AD_OK;
    if (why)
        *why = w;
    return AD_EBADARGS;
}

const char *
actor_check_args(const char *behavior, const json_t *args)
{
    const struct behavior *b;
    const char *why = NULL;
    switch (eng__check_spawn(NULL, behavior, 0, args, &b, &why)) {
    case AD_OK:
        return NULL;
    case AD_EBEHAVIOR:
        return "no behaviour of that name is registered";
    case AD_EBADARGS:
        return why;
    default:
        return "out of memory while checking args";
    }
}

/*
 * Inserts a runnable actor name of behaviour b with args, inside the
 * caller's write transaction.  An ended actor of that name is replaced;
 * a live one is AD_EEXISTS.
 */
int
eng__create(struct eng *e, const char *name, const struct behavior *b,
            const json_t *args, int64_t *new_id, json_t **doc)
{
    int64_t id;
    enum store_status status;
    int err = store_actor_peek(e->st, name, &id, &status, NULL, NULL);
    if (err == AD_OK) {
        if (!store_status_ended(status))
            return AD_EEXISTS;
        err = store_actor_remove(e->st, id);
    } else if (err == AD_ENOTFOUND) {
        err = AD_OK;
    }
    if (err != AD_OK)
        return err;
    char *args_text = args ? eng__dump(args) : NULL;
    if (args && args_text == NULL)
        return AD_ENOMEM;
    int64_t now = ad_now_ms();
    struct store_actor a = {
        .name = (char *)name,
        .behavior = (char *)b->name,
        .version = b->version,
        .status = STORE_RUNNABLE,
        .args = args_text,
        .state = (char *)"{}",
        .created = now,
        .updated = now,
    };
    err = store_actor_insert(e->st, &a);
    free(args_text);
    if (err == AD_OK && new_id)
        *new_id = a.id;
    if (err == AD_OK && doc && (*doc = eng__doc(&a)) == NULL)
        err = AD_ENOMEM;
    return err;
}

int
eng_spawn(struct eng *e, const char *name, const char *behavior,
          const json_t *args, json_t **doc, const char **why)
{
    return eng_spawn_watched(e, name, behavior, args, NULL, doc, why);
}

/* A spawn from outside, as its transaction sees it. */
struct spawn_ctx {
    struct eng *e;
    const char *name;         /* borrowed, or NULL: generate one */
    const struct behavior *b; /* borrowed */
    const json_t *args;       /* borrowed, may be NULL */
    const json_t *monitors;   /* borrowed, may be NULL */
    json_t **doc;             /* the caller's: set on success */
    const char **why;         /* the caller's, may be NULL */
};

static int
eng__spawn_tx(struct store *st, void *ctx)
{
    struct spawn_ctx *sc = ctx;
    char gen[32];
    int64_t id = 0;
    int err;
    for (int tries = 0;; tries++) {
        if (sc->name == NULL)
            eng__random_name(gen, sizeof gen);
        err = eng__create(sc->e, sc->name ? sc->name : gen, sc->b, sc->args,
                          &id, sc->doc);
        if (err != AD_EEXISTS || sc->name != NULL || tries == 8)
            break;
    }
    /* The watches are made in the same transaction: an unknown watcher
     * leaves nothing behind. */
    size_t i;
    json_t *w;
    json_array_foreach(sc->monitors, i, w)
    {
        if (err != AD_OK)
            break;
        int64_t wid;
        enum store_status ws;
        err = store_actor_peek(st, json_string_value(w), &wid, &ws, NULL, NULL);
        if (err == AD_ENOTFOUND && sc->why)
            *sc->why = "a name in monitors is not an actor";
        if (err == AD_OK)
            err = store_monitor_add(st, id, wid);
    }
    return err;
}

int
eng_spawn_watched(struct eng *e, const char *name, const char *behavior,
                  const json_t *args, const json_t *monitors, json_t **doc,
                  const char **why)
{
    return eng_spawn_version(e, name, behavior, 0, args, monitors, doc, why);
}

int
eng_spawn_version(struct eng *e, const char *name, const char *behavior,
                  int version, const json_t *args, const json_t *monitors,
                  json_t **doc, const char **why)
{
    const struct behavior *b;
    int err = eng__check_spawn(e, behavior, version, args, &b, why);
    if (err != AD_OK)
        return err;
    if (name != NULL && !ad_name_valid(name, strlen(name)))
        return AD_EBADNAME;
    size_t i;
    json_t *w;
    json_array_foreach(monitors, i, w)
    {
        const char *wn = json_string_value(w);
        if (wn == NULL || !ad_name_valid(wn, strlen(wn))) {
            if (why)
                *why = "monitors must be a list of actor names";
            return AD_EBADNAME;
        }
    }
    struct spawn_ctx sc = {.e = e,
                           .name = name,
                           .b = b,
                           .args = args,
                           .monitors = monitors,
                           .doc = doc,
                           .why = why};
    *doc = NULL;
    err = store_transaction(e->st, eng__spawn_tx, &sc);
    if (err != AD_OK) { /* a document made before a failed commit */
        json_decref(*doc);
        *doc = NULL;
    }
    return err;
}
