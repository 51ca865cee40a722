/*
 * export.c - moving actors between databases, the first half (import.c
 * is the second): eng_export writes each
 * actor as one JSON value with everything its resumption needs (the
 * stored continuation, state and args, its mailbox in order, its timers,
 * watches, links and abandoned calls), after the sources of the uploaded
 * behaviour versions they run; eng_import puts such values into this
 * database, a batch a transaction.  The format is docs/operations.md's.
 *
 * Seqs and row ids are this database's own, so they do not travel: a
 * mailbox is exported as its messages in order, and the point up to
 * which the actor has looked at it (actors.scanned, a seq) as a count of
 * messages; timer ids are kept when free here, because a behaviour may
 * hold one in its state for actor_cancel_timer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/eng_int.h"

/* Actors read a page at a time from the snapshot. */
#define EXPORT_PAGE 256

/* ---- export ---- */

struct export_ctx {
    struct eng *e;
    const char *behavior; /* borrowed, may be NULL: all */
    int (*fn)(void *ctx, const json_t *value);
    void *ctx;
    json_t *versions; /* owned: {BEHAVIOR: {VERSION: true}} seen in pass 1 */
    char after[AD_NAME_MAX + 1]; /* the last name of the page */
    int64_t actors, behaviors;
    /* The actor being written (pass 2). */
    json_t *line;    /* owned while built */
    int64_t scanned; /* its actors.scanned (a seq) */
    int64_t seen;    /* messages with seq <= scanned, so far */
    char why[160];   /* what failed, when it is not the store's error */
};

/* Pass 1: remembers the behaviour and version of a. */
static int
eng__export_version(void *ctx, struct store_actor *a)
{
    struct export_ctx *x = ctx;
    snprintf(x->after, sizeof x->after, "%s", a->name);
    json_t *vs = json_object_get(x->versions, a->behavior);
    if (vs == NULL) {
        vs = json_object();
        if (vs == NULL || json_object_set_new(x->versions, a->behavior, vs))
            return AD_ENOMEM;
    }
    char v[16];
    snprintf(v, sizeof v, "%d", a->version);
    return json_object_set_new(vs, v, json_true()) == 0 ? AD_OK : AD_ENOMEM;
}

/* Writes the source of every uploaded version pass 1 saw. */
static int
eng__export_sources(struct export_ctx *x, struct store *st)
{
    const char *name;
    json_t *vs;
    json_object_foreach(x->versions, name, vs)
    {
        const char *v;
        json_t *ignored;
        json_object_foreach(vs, v, ignored)
        {
            struct store_source src = {0};
            int err = store_source_get(st, name, atoi(v), &src);
            if (err == AD_ENOTFOUND)
                continue; /* a registered behaviour, or none here */
            json_t *line = NULL;
            if (err == AD_OK)
                line = json_pack("{s:s, s:s, s:i, s:s, s:s, s:I, s:s%}", "type",
                                 "behavior", "name", src.name, "version",
                                 src.version, "language", src.language, "doc",
                                 src.doc ? src.doc : "", "created",
                                 (json_int_t)src.created, "source", src.source,
                                 src.source_len);
            if (err == AD_OK && line == NULL)
                err = AD_ENOMEM;
            if (err == AD_OK)
                err = x->fn(x->ctx, line);
            json_decref(line);
            store_source_release(&src);
            if (err != AD_OK)
                return err;
            x->behaviors++;
        }
    }
    return AD_OK;
}

/* Sets key of x->line to value (stolen); AD_ENOMEM when either failed. */
static int
eng__set(struct export_ctx *x, const char *key, json_t *value)
{
    return value && json_object_set_new(x->line, key, value) == 0 ? AD_OK
                                                                  : AD_ENOMEM;
}

/* Parses the stored JSON text of a (named name) field into *v (new). */
static int
eng__export_parse(struct export_ctx *x, const char *name, const char *field,
                  const char *text, json_t **v)
{
    *v = NULL;
    if (text == NULL) {
        *v = json_null();
        return *v ? AD_OK : AD_ENOMEM;
    }
    int err = eng__parse(text, strlen(text), JSON_DECODE_ANY, v);
    if (err == AD_EBADJSON)
        snprintf(x->why, sizeof x->why, "%.128s: stored %s is not JSON", name,
                 field);
    return err;
}

/* One message of the mailbox, appended to "mailbox". */
static int
eng__export_message(void *ctx, int64_t seq, const char *sender,
                    const char *body, size_t len, int64_t hops)
{
    struct export_ctx *x = ctx;
    json_t *b = NULL;
    int err = eng__parse(body, len, JSON_DECODE_ANY, &b);
    if (err == AD_EBADJSON)
        snprintf(x->why, sizeof x->why, "message %lld is not JSON",
                 (long long)seq);
    if (err != AD_OK)
        return err;
    if (seq <= x->scanned)
        x->seen++;
    json_t *m = json_pack("{s:s?, s:o, s:I}", "from", sender, "body", b, "hops",
                          (json_int_t)hops);
    return m && json_array_append_new(json_object_get(x->line, "mailbox"), m) ==
                       0
               ? AD_OK
               : AD_ENOMEM;
}

static int
eng__export_timer(void *ctx, const struct store_timer *t)
{
    struct export_ctx *x = ctx;
    json_t *b = NULL;
    int err = eng__parse(t->body, strlen(t->body), JSON_DECODE_ANY, &b);
    if (err == AD_EBADJSON)
        snprintf(x->why, sizeof x->why, "timer %lld is not JSON",
                 (long long)t->id);
    if (err != AD_OK)
        return err;
    json_t *o =
        json_pack("{s:I, s:s, s:o, s:I, s:o}", "id", (json_int_t)t->id,
                  "target", t->target, "body", b, "due", (json_int_t)t->due,
                  "every", t->every > 0 ? json_integer(t->every) : json_null());
    return o && json_array_append_new(json_object_get(x->line, "timers"), o) ==
                       0
               ? AD_OK
               : AD_ENOMEM;
}

static int
eng__export_tie(void *ctx, enum store_tie_kind kind, const char *name)
{
    struct export_ctx *x = ctx;
    const char *key = kind == STORE_WATCHED_BY ? "watchers"
                      : kind == STORE_WATCHING ? "watching"
                                               : "links";
    return json_array_append_new(json_object_get(x->line, key),
                                 json_string(name)) == 0
               ? AD_OK
               : AD_ENOMEM;
}

static int
eng__export_call(void *ctx, const char *call_id, int64_t created)
{
    struct export_ctx *x = ctx;
    json_t *c = json_pack("{s:s, s:I}", "call_id", call_id, "created",
                          (json_int_t)created);
    return c && json_array_append_new(
                    json_object_get(x->line, "abandoned_calls"), c) == 0
               ? AD_OK
               : AD_ENOMEM;
}

/* Builds the value of actor a (its row, then what hangs off it) in
 * x->line. */
static int
eng__export_build(struct export_ctx *x, struct store *st, struct store_actor *a)
{
    json_t *shapes, *args, *state, *result, *error;
    int err =
        eng__export_parse(x, a->name, "waiting_for", a->waiting_for, &shapes);
    json_t *parsed[] = {NULL, NULL, NULL, NULL};
    if (err == AD_OK)
        err = eng__export_parse(x, a->name, "args", a->args, &parsed[0]);
    if (err == AD_OK)
        err = eng__export_parse(x, a->name, "state", a->state, &parsed[1]);
    if (err == AD_OK)
        err = eng__export_parse(x, a->name, "result", a->result, &parsed[2]);
    if (err == AD_OK)
        err = eng__export_parse(x, a->name, "error", a->error, &parsed[3]);
    args = parsed[0];
    state = parsed[1];
    result = parsed[2];
    error = parsed[3];
    int trap = 0;
    if (err == AD_OK)
        err = store_trap_exit(st, a->id, &trap);
    if (err != AD_OK) {
        json_decref(shapes);
        for (size_t i = 0; i < sizeof parsed / sizeof parsed[0]; i++)
            json_decref(parsed[i]);
        return err;
    }
    x->line = json_pack(
        "{s:s, s:s, s:s, s:i, s:s, s:i, s:o, s:o, s:o, s:o, s:o, s:I, s:b, "
        "s:I, s:I, s:o, s:[], s:[], s:[], s:[], s:[], s:[]}",
        "type", "actor", "name", a->name, "behavior", a->behavior, "version",
        a->version, "status", store_status_name(a->status), "resume", a->resume,
        "waiting_for", shapes, "args", args, "state", state, "result", result,
        "error", error, "spawned", (json_int_t)a->spawned, "trap_exit", trap,
        "created", (json_int_t)a->created, "updated", (json_int_t)a->updated,
        "deadline", a->deadline > 0 ? json_integer(a->deadline) : json_null(),
        "mailbox", "timers", "watchers", "watching", "links",
        "abandoned_calls");
    if (x->line == NULL)
        return AD_ENOMEM;
    x->scanned = a->scanned;
    x->seen = 0;
    err = store_mailbox_scan(st, a->id, 0, 0, eng__export_message, x);
    if (err == AD_OK)
        err = eng__set(x, "scanned", json_integer(x->seen));
    if (err == AD_OK)
        err = store_timer_list(st, a->id, eng__export_timer, x);
    if (err == AD_OK)
        err = store_ties_list(st, a->id, eng__export_tie, x);
    if (err == AD_OK)
        err = store_call_list(st, a->id, eng__export_call, x);
    return err;
}

/* Pass 2: writes the value of actor a. */
static int
eng__export_actor(void *ctx, struct store_actor *a)
{
    struct export_ctx *x = ctx;
    snprintf(x->after, sizeof x->after, "%s", a->name);
    /* store_actor_list's row is ours for the call; the statements below
     * are others than the listing's. */
    int err = eng__export_build(x, x->e->st, a);
    if (err == AD_OK)
        err = x->fn(x->ctx, x->line);
    json_decref(x->line);
    x->line = NULL;
    if (err == AD_OK)
        x->actors++;
    return err;
}

/* Pages through the actors of the snapshot, calling fn for each. */
static int
eng__export_pass(struct export_ctx *x, struct store *st,
                 int (*fn)(void *ctx, struct store_actor *a))
{
    int more = 1, err = AD_OK;
    x->after[0] = '\0';
    while (more && err == AD_OK)
        err = store_actor_list(st, x->behavior, NULL,
                               x->after[0] ? x->after : NULL, EXPORT_PAGE, fn,
                               x, &more);
    return err;
}

static int
eng__export_tx(struct store *st, void *ctx)
{
    struct export_ctx *x = ctx;
    int err = eng__export_pass(x, st, eng__export_version);
    if (err == AD_OK)
        err = eng__export_sources(x, st);
    if (err == AD_OK)
        err = eng__export_pass(x, st, eng__export_actor);
    return err;
}

int
eng_export(struct eng *e, const char *behavior,
           int (*fn)(void *ctx, const json_t *value), void *ctx,
           int64_t *actors, int64_t *behaviors, char *why, size_t whylen)
{
    struct export_ctx x = {.e = e, .behavior = behavior, .fn = fn, .ctx = ctx};
    x.versions = json_object();
    if (x.versions == NULL)
        return AD_ENOMEM;
    int err = store_transaction_read(e->st, eng__export_tx, &x);
    /* The store's message is about the store's errors only. */
    int stored = err == AD_EBUSY || err == AD_EIO || err == AD_EFULL;
    if (err != AD_OK)
        snprintf(why, whylen, "%s",
                 x.why[0] ? x.why
                 : stored ? eng_errmsg(e)
                          : ad_strerror(err));
    json_decref(x.versions);
    json_decref(x.line);
    if (actors)
        *actors = x.actors;
    if (behaviors)
        *behaviors = x.behaviors;
    return err;
}
