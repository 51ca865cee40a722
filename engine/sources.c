/*
 * sources.c - behaviours uploaded as source (PUT /behaviors/NAME, in the
 * language installed with eng_set_language): storing a version, reading
 * and removing versions, and the compiled behaviours a connection keeps
 * (eng__behavior_at), so that a source is compiled once per connection,
 * not once per step.  A version never changes once stored: an actor stays
 * on the version it was spawned with.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/eng_int.h"
#include "engine/watchdog.h"

static const struct eng_language *language; /* borrowed, or NULL */

int
eng_set_language(const struct eng_language *lang)
{
    if (eng__initialized() || lang == NULL || lang->compile == NULL ||
        lang->release == NULL)
        return AD_EINVAL;
    language = lang;
    if (lang->set_fence != NULL)
        lang->set_fence(wd_enter, wd_leave);
    return AD_OK;
}

const struct eng_language *
eng__language(void)
{
    return language;
}

/* ---- what a connection has compiled ---- */

void
eng__compiled_abandon(struct eng *e, const struct behavior *b)
{
    for (size_t i = 0; i < e->ncompiled; i++)
        if (e->compiled[i] == b) {
            /* Cut off in the middle of a call: never used again, never
             * freed (it may be half changed); the next use compiles the
             * source anew. */
            wd_abandon(e->compiled[i]);
            e->compiled[i] = e->compiled[--e->ncompiled];
            return;
        }
}

int
eng__uploaded(const struct behavior *b)
{
    return eng__behavior(b->name) != b;
}

void
eng__compiled_free(struct eng *e)
{
    for (size_t i = 0; i < e->ncompiled; i++)
        language->release(e->compiled[i]);
    free(e->compiled);
    e->compiled = NULL;
    e->ncompiled = 0;
}

/* Compiles version of name from the store and keeps it on e. */
static const struct behavior *
eng__compile_stored(struct eng *e, const char *name, int version)
{
    struct store_source src = {0};
    struct behavior *b = NULL;
    char why[256];
    if (store_source_get(e->st, name, version, &src) != AD_OK)
        return NULL;
    struct behavior **more =
        realloc(e->compiled, (e->ncompiled + 1) * sizeof *more);
    if (more != NULL) {
        e->compiled = more;
        if (language->compile(src.name, src.version, src.source, src.source_len,
                              &b, why, sizeof why) != AD_OK)
            b = NULL;
        if (b != NULL)
            e->compiled[e->ncompiled++] = b;
    }
    store_source_release(&src);
    return b;
}

const struct behavior *
eng__behavior_at(struct eng *e, const char *name, int version)
{
    const struct behavior *b = eng__behavior(name);
    if (b != NULL || language == NULL)
        return b;
    int newest = version == 0;
    for (size_t i = 0; !newest && i < e->ncompiled; i++)
        if (e->compiled[i]->version == version &&
            strcmp(e->compiled[i]->name, name) == 0)
            return e->compiled[i];
    if (newest) {
        /* The newest version is whatever the store says now. */
        struct store_source src = {0};
        if (store_source_get(e->st, name, 0, &src) != AD_OK)
            return NULL;
        version = src.version;
        store_source_release(&src);
        return eng__behavior_at(e, name, version);
    }
    return eng__compile_stored(e, name, version);
}

const char *
eng__check_uploaded(const struct behavior *b, const json_t *args, char *why,
                    size_t len)
{
    if (language == NULL || language->check_args == NULL ||
        eng__behavior(b->name) == b)
        return NULL;
    return language->check_args(b, args, why, len);
}

/* ---- PUT ---- */

struct put_ctx {
    struct eng *e;
    const char *name, *source; /* borrowed */
    size_t len;
    const char *doc; /* borrowed from the compiled behaviour */
    int version;     /* set: the version stored */
    int created;     /* set: 1 when a new version was stored */
};

static int
eng__put_tx(struct store *st, void *ctx)
{
    struct put_ctx *pc = ctx;
    struct store_source latest = {0};
    int err = store_source_get(st, pc->name, 0, &latest);
    if (err != AD_OK && err != AD_ENOTFOUND)
        return err;
    if (err == AD_OK && latest.source_len == pc->len &&
        memcmp(latest.source, pc->source, pc->len) == 0) {
        pc->version = latest.version; /* the same source again */
        store_source_release(&latest);
        return AD_OK;
    }
    /* A version number once used is never used again, even after its
     * rows were removed: connections keep what they compiled. */
    int version = 0;
    store_source_release(&latest);
    err = store_source_next_version(st, pc->name, &version);
    if (err != AD_OK)
        return err;
    struct store_source add = {.name = (char *)pc->name,
                               .version = version,
                               .language = (char *)language->name,
                               .doc = (char *)(pc->doc ? pc->doc : ""),
                               .source = (char *)pc->source,
                               .source_len = pc->len,
                               .created = ad_now_ms()};
    err = store_source_add(st, &add);
    if (err == AD_OK) {
        pc->version = add.version;
        pc->created = 1;
    }
    return err;
}

int
eng_behavior_put(struct eng *e, const char *name, const char *source,
                 size_t len, json_t **doc, int *created, char *why,
                 size_t whylen)
{
    *doc = NULL;
    *created = 0;
    if (!eng__behavior_name_valid(name)) {
        snprintf(why, whylen,
                 "a behaviour name is 1 to 64 of a-z 0-9 _, "
                 "not starting with _");
        return AD_EBADNAME;
    }
    if (eng__behavior(name) != NULL) {
        snprintf(why, whylen, "%s is a behaviour built into actord", name);
        return AD_EEXISTS;
    }
    if (language == NULL) {
        snprintf(why, whylen, "uploads are turned off");
        return AD_EINVAL;
    }
    /* Checked in the sandbox before anything is stored. */
    struct behavior *b = NULL;
    int err = language->compile(name, 1, source, len, &b, why, whylen);
    if (err != AD_OK || b == NULL)
        return err != AD_OK && err != AD_EBADARGS ? err : AD_EBADCODE;
    struct put_ctx pc = {
        .e = e, .name = name, .source = source, .len = len, .doc = b->doc};
    err = store_transaction(e->st, eng__put_tx, &pc);
    language->release(b);
    if (err != AD_OK)
        return err;
    *created = pc.created;
    ad_log(AD_LOG_INFO, "behavior_uploaded", "name=%s language=%s version=%d",
           name, language->name, pc.version);
    *doc = json_pack("{s:s, s:s, s:i}", "name", name, "language",
                     language->name, "version", pc.version);
    return *doc ? AD_OK : AD_ENOMEM;
}

/* ---- GET ---- */

struct get_ctx {
    const char *name; /* borrowed */
    int version;      /* 0: none asked for */
    int with_source;
    json_t *doc;      /* owned until returned */
    json_t *versions; /* borrowed from doc */
    int latest;
};

static int
eng__version_one(void *ctx, const struct store_source *src)
{
    struct get_ctx *gc = ctx;
    char created[AD_TIME_LEN];
    json_t *v = json_pack("{s:i, s:s, s:I}", "version", src->version, "created",
                          ad_time_iso(src->created, created), "actors",
                          (json_int_t)src->actors);
    if (v == NULL || json_array_append_new(gc->versions, v) != 0)
        return AD_ENOMEM;
    gc->latest = src->version;
    if (json_object_set_new(gc->doc, "doc", json_string(src->doc)) != 0)
        return AD_ENOMEM;
    return AD_OK;
}

static int
eng__get_tx(struct store *st, void *ctx)
{
    struct get_ctx *gc = ctx;
    int err = store_source_versions(st, gc->name, eng__version_one, gc);
    if (err != AD_OK)
        return err;
    if (gc->latest == 0)
        return AD_ENOTFOUND;
    if (json_object_set_new(gc->doc, "version", json_integer(gc->latest)))
        return AD_ENOMEM;
    if (!gc->with_source)
        return AD_OK;
    struct store_source src = {0};
    err = store_source_get(st, gc->name, gc->version, &src);
    if (err == AD_OK) {
        json_t *text = json_stringn(src.source, src.source_len);
        if (text == NULL ||
            json_object_set_new(gc->doc, "source_version",
                                json_integer(src.version)) != 0 ||
            json_object_set_new(gc->doc, "source", text) != 0)
            err = AD_ENOMEM;
    }
    store_source_release(&src);
    return err;
}

int
eng_behavior_get(struct eng *e, const char *name, int version, int with_source,
                 json_t **doc)
{
    *doc = NULL;
    const struct behavior *b = eng__behavior(name);
    if (b != NULL) {
        *doc =
            json_pack("{s:s, s:s, s:s, s:i, s:[{s:i}]}", "name", b->name,
                      "language", "c", "doc", b->doc ? b->doc : "", "version",
                      b->version, "versions", "version", b->version);
        return *doc ? AD_OK : AD_ENOMEM;
    }
    if (language == NULL)
        return AD_ENOTFOUND;
    struct get_ctx gc = {.name = name,
                         .version = version,
                         .with_source = with_source,
                         .doc =
                             json_pack("{s:s, s:s, s:[]}", "name", name,
                                       "language", language->name, "versions")};
    if (gc.doc == NULL)
        return AD_ENOMEM;
    gc.versions = json_object_get(gc.doc, "versions");
    int err = store_transaction_read(e->st, eng__get_tx, &gc);
    if (err != AD_OK) {
        json_decref(gc.doc);
        return err;
    }
    *doc = gc.doc;
    return AD_OK;
}

/* ---- DELETE ---- */

struct delete_ctx {
    const char *name; /* borrowed */
    int64_t removed;
    int64_t kept; /* versions left: some live actor runs them */
};

static int
eng__count_one(void *ctx, const struct store_source *src)
{
    (void)src;
    ((struct delete_ctx *)ctx)->kept++;
    return AD_OK;
}

static int
eng__delete_tx(struct store *st, void *ctx)
{
    struct delete_ctx *dc = ctx;
    int err = store_source_versions(st, dc->name, eng__count_one, dc);
    if (err == AD_OK && dc->kept == 0)
        return AD_ENOTFOUND;
    dc->kept = 0;
    if (err == AD_OK)
        err = store_source_remove_unused(st, dc->name, &dc->removed);
    if (err == AD_OK)
        err = store_source_versions(st, dc->name, eng__count_one, dc);
    /* Every version in use: nothing was removed, say so. */
    return err == AD_OK && dc->removed == 0 ? AD_EINUSE : err;
}

int
eng_behavior_delete(struct eng *e, const char *name, json_t **doc)
{
    *doc = NULL;
    if (eng__behavior(name) != NULL)
        return AD_EEXISTS;
    if (language == NULL)
        return AD_ENOTFOUND;
    struct delete_ctx dc = {.name = name};
    int err = store_transaction(e->st, eng__delete_tx, &dc);
    if (err != AD_OK)
        return err;
    *doc = json_pack("{s:s, s:I, s:I}", "name", name, "removed",
                     (json_int_t)dc.removed, "kept", (json_int_t)dc.kept);
    return *doc ? AD_OK : AD_ENOMEM;
}

/* ---- the list ---- */

static int
eng__list_one(void *ctx, const struct store_source *src)
{
    json_t *v =
        json_pack("{s:s, s:s, s:i, s:s}", "name", src->name, "language",
                  src->language, "version", src->version, "doc", src->doc);
    return v != NULL && json_array_append_new(ctx, v) == 0 ? AD_OK : AD_ENOMEM;
}

static int
eng__list_tx(struct store *st, void *ctx)
{
    return store_source_list(st, eng__list_one, ctx);
}

int
eng_behavior_list(struct eng *e, json_t **out)
{
    *out = eng_behaviors();
    json_t *list = json_object_get(*out, "behaviors");
    if (list == NULL) {
        json_decref(*out);
        *out = NULL;
        return AD_ENOMEM;
    }
    int err = store_transaction_read(e->st, eng__list_tx, list);
    if (err != AD_OK) {
        json_decref(*out);
        *out = NULL;
    }
    return err;
}
