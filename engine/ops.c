/*
 * ops.c - the operator's tools that look at or tidy the whole database:
 * backup, vacuum, statistics, the invariant checks and the collection
 * of what nobody will read again (gc).  Moving actors between databases
 * is export.c and import.c.  Each is the store's work (store/ops.c) put into
 * documents, plus what only the engine knows: the registered behaviours
 * and what counts as the engine's own actors.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/eng_int.h"

int
eng_backup(struct eng *e, const char *path, int pages, int pause_ms,
           int64_t *bytes)
{
    return store_backup(e->st, path, pages, pause_ms, bytes);
}

/* The name of an auto_vacuum setting (PRAGMA auto_vacuum's number). */
static const char *
eng__auto_vacuum_name(int v)
{
    return v == 1 ? "full" : v == 2 ? "incremental" : "none";
}

int
eng_vacuum(struct eng *e, enum eng_vacuum_mode mode, json_t **out)
{
    static const enum store_vacuum_mode modes[] = {
        [ENG_VACUUM_AUTO] = STORE_VACUUM_AUTO,
        [ENG_VACUUM_FULL] = STORE_VACUUM_FULL,
        [ENG_VACUUM_INCREMENTAL] = STORE_VACUUM_INCREMENTAL,
        [ENG_VACUUM_NONE] = STORE_VACUUM_NONE,
    };
    *out = NULL;
    if ((unsigned)mode >= sizeof modes / sizeof modes[0])
        return AD_EINVAL;
    struct store_vacuum v;
    int err = store_vacuum(e->st, modes[mode], &v);
    if (err != AD_OK)
        return err;
    *out = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:b}", "vacuum",
                     v.full ? "full" : "incremental", "auto_vacuum",
                     eng__auto_vacuum_name(v.auto_vacuum), "bytes_before",
                     (json_int_t)v.bytes_before, "bytes_after",
                     (json_int_t)v.bytes_after, "free_pages_before",
                     (json_int_t)v.free_before, "free_pages_after",
                     (json_int_t)v.free_after, "checkpointed", v.checkpointed);
    return *out ? AD_OK : AD_ENOMEM;
}

/* ---- statistics ---- */

int
eng_stats(struct eng *e, json_t **out)
{
    *out = NULL;
    struct store_stats st;
    int err = store_stats(e->st, &st);
    if (err != AD_OK)
        return err;
    json_t *registered = eng_behaviors();
    size_t c = json_array_size(json_object_get(registered, "behaviors"));
    json_decref(registered);
    json_t *o = json_object();
    if (o == NULL)
        return AD_ENOMEM;
    int64_t total = 0;
    char key[32];
    err = AD_OK;
    for (int i = STORE_RUNNABLE; i <= STORE_STRANDED; i++) {
        snprintf(key, sizeof key, "actors_%s",
                 store_status_name((enum store_status)i));
        total += st.actors[i];
        if (json_object_set_new(o, key, json_integer(st.actors[i])) != 0)
            err = AD_ENOMEM;
    }
    const struct {
        const char *key;
        int64_t v;
    } rest[] = {
        {"actors_total", total},
        {"calls_pending", st.own},
        {"messages_queued", st.messages},
        {"dead_letters", st.dead_letters},
        {"timers_pending", st.timers},
        {"monitors", st.monitors},
        {"links", st.links},
        {"behaviors_c", (int64_t)c},
        {"behaviors_lua", st.uploaded},
        {"lua_versions", st.versions},
        {"db_page_size", st.page_size},
        {"db_pages", st.pages},
        {"db_free_pages", st.free_pages},
        {"db_bytes", st.page_size * st.pages},
        {"wal_bytes", st.wal_bytes},
        {"schema_version", st.schema},
    };
    for (size_t i = 0; i < sizeof rest / sizeof rest[0]; i++)
        if (json_object_set_new(o, rest[i].key, json_integer(rest[i].v)) != 0)
            err = AD_ENOMEM;
    if (err != AD_OK) {
        json_decref(o);
        return err;
    }
    *out = o;
    return AD_OK;
}

/* ---- checks ---- */

/* store_check's callback: one entry of "checks" per check. */
static int
eng__check_one(void *ctx, const struct store_problem *p)
{
    json_t *checks = ctx;
    json_t *c = json_pack("{s:s, s:b, s:s, s:I, s:s}", "check", p->check, "ok",
                          p->count == 0, "what", p->what, "count",
                          (json_int_t)p->count, "examples", p->examples);
    return c && json_array_append_new(checks, c) == 0 ? AD_OK : AD_ENOMEM;
}

int
eng_check(struct eng *e, int64_t call_max_ms, json_t **out)
{
    *out = NULL;
    json_t *checks = json_array();
    if (checks == NULL)
        return AD_ENOMEM;
    int err =
        store_check(e->st, ad_now_ms() - call_max_ms, eng__check_one, checks);
    if (err != AD_OK) {
        json_decref(checks);
        return err;
    }
    int ok = 1;
    for (size_t i = 0; i < json_array_size(checks); i++)
        ok &= json_is_true(json_object_get(json_array_get(checks, i), "ok"));
    *out = json_pack("{s:b, s:o}", "ok", ok, "checks", checks);
    return *out ? AD_OK : AD_ENOMEM;
}

/* ---- gc ---- */

/* One transaction of eng_gc. */
struct gc_ctx {
    int own;        /* 1: reply boxes; 0: ended actors */
    int64_t before; /* the cutoff, ms since the epoch: older goes */
    int64_t *ids;   /* batch slots */
    int batch;      /* slots in ids */
    int n;          /* actors (or dead letters) this batch removed */
    struct store_removed removed; /* this batch's rows */
    int64_t letters;              /* this batch's dead letters */
};

static int
eng__gc_actors_tx(struct store *st, void *ctx)
{
    struct gc_ctx *gc = ctx;
    int err = store_actor_expired(st, gc->own, gc->before, gc->ids, gc->batch,
                                  &gc->n);
    memset(&gc->removed, 0, sizeof gc->removed);
    for (int i = 0; err == AD_OK && i < gc->n; i++)
        err = store_actor_purge(st, gc->ids[i], &gc->removed);
    return err;
}

static int
eng__gc_letters_tx(struct store *st, void *ctx)
{
    struct gc_ctx *gc = ctx;
    gc->letters = 0;
    return store_dead_letter_expire(st, gc->before, gc->batch, &gc->letters);
}

int
eng_gc(struct eng *e, int64_t age_ms, int64_t call_max_ms, int batch,
       json_t **out)
{
    if (out)
        *out = NULL;
    if (batch <= 0)
        batch = 500;
    struct gc_ctx gc = {.batch = batch};
    gc.ids = malloc((size_t)batch * sizeof *gc.ids);
    if (gc.ids == NULL)
        return AD_ENOMEM;
    int64_t now = ad_now_ms();
    struct store_removed total = {0};
    int64_t boxes = 0, letters = 0, txs = 0;
    int err = AD_OK;
    /* Ended actors, then reply boxes: a batch at a time, each its own
     * transaction, until a batch comes back short.  "At least age_ms
     * ago" is "before now - age_ms + 1". */
    for (gc.own = 0; gc.own <= 1 && err == AD_OK; gc.own++) {
        gc.before = gc.own ? now - call_max_ms : now - age_ms + 1;
        do {
            err = store_transaction(e->st, eng__gc_actors_tx, &gc);
            if (err != AD_OK)
                break;
            txs++;
            if (gc.own)
                boxes += gc.removed.actors;
            else
                total.actors += gc.removed.actors;
            total.messages += gc.removed.messages;
            total.monitors += gc.removed.monitors;
            total.links += gc.removed.links;
            total.timers += gc.removed.timers;
            total.calls += gc.removed.calls;
        } while (gc.n == batch);
    }
    /* Dead letters are small rows: ten batches' worth a transaction. */
    gc.before = now - age_ms + 1;
    gc.batch = batch * 10;
    while (err == AD_OK) {
        err = store_transaction(e->st, eng__gc_letters_tx, &gc);
        if (err != AD_OK)
            break;
        txs++;
        letters += gc.letters;
        if (gc.letters < gc.batch)
            break;
    }
    free(gc.ids);
    if (out) {
        *out = json_pack(
            "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "actors",
            (json_int_t)total.actors, "reply_boxes", (json_int_t)boxes,
            "messages", (json_int_t)total.messages, "monitors",
            (json_int_t)total.monitors, "links", (json_int_t)total.links,
            "timers", (json_int_t)total.timers, "abandoned_calls",
            (json_int_t)total.calls, "dead_letters", (json_int_t)letters,
            "transactions", (json_int_t)txs);
        if (*out == NULL && err == AD_OK)
            err = AD_ENOMEM;
    }
    return err;
}
