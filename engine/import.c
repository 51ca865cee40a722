/*
 * import.c - moving actors between databases, the second half (export.c
 * is the first): eng_export writes each
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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/eng_int.h"

struct import_ctx {
    struct eng *e;
    json_t *const *values; /* borrowed */
    size_t n;
    int replace;
    struct eng_import t; /* this batch's counts */
    size_t at;           /* the value being imported */
    char *why;           /* borrowed: what is wrong with it */
    size_t whylen;
};

/* Says why (printf's fmt) value at is refused; returns err. */
static int __attribute__((format(printf, 3, 4)))
eng__refuse(struct import_ctx *ic, int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ic->why, ic->whylen, fmt, ap);
    va_end(ap);
    return err;
}

/* Sets *v to the integer at key of o, default def when absent or null;
 * -1 when present and not an integer in [lo, hi]. */
static int
eng__int_field(const json_t *o, const char *key, int64_t lo, int64_t hi,
               int64_t def, int64_t *v)
{
    const json_t *f = json_object_get(o, key);
    if (f == NULL || json_is_null(f)) {
        *v = def;
        return 0;
    }
    if (!json_is_integer(f) || json_integer_value(f) < lo ||
        json_integer_value(f) > hi)
        return -1;
    *v = json_integer_value(f);
    return 0;
}

/* 1 when key of o is absent, null or an array of valid actor names. */
static int
eng__names_ok(const json_t *o, const char *key)
{
    const json_t *a = json_object_get(o, key), *v;
    size_t i;
    if (a == NULL || json_is_null(a))
        return 1;
    if (!json_is_array(a))
        return 0;
    json_array_foreach(a, i, v)
    {
        if (!json_is_string(v) ||
            !ad_name_valid(json_string_value(v), json_string_length(v)))
            return 0;
    }
    return 1;
}

/* The fields of an actor value, checked (borrowed from the value). */
struct import_actor {
    const char *name, *behavior;
    enum store_status status;
    int64_t version, resume, scanned, deadline, spawned, created, updated;
    const json_t *shapes, *args, *state, *result, *error;
    const json_t *mailbox, *timers, *calls;
    int trap_exit;
};

/* Checks the actor value v into *ia: AD_EINVAL (or AD_EBADNAME) with
 * ic->why set when something is wrong. */
static int
eng__import_check(struct import_ctx *ic, const json_t *v,
                  struct import_actor *ia)
{
    int64_t now = ad_now_ms();
    memset(ia, 0, sizeof *ia);
    ia->name = json_string_value(json_object_get(v, "name"));
    if (ia->name == NULL || !ad_name_valid(ia->name, strlen(ia->name)))
        return eng__refuse(ic, AD_EBADNAME, "name: not an actor name");
    ia->behavior = json_string_value(json_object_get(v, "behavior"));
    if (ia->behavior == NULL || !eng__behavior_name_valid(ia->behavior))
        return eng__refuse(ic, AD_EINVAL, "%s: behavior: not a behaviour name",
                           ia->name);
    const char *status = json_string_value(json_object_get(v, "status"));
    if (status == NULL || store_status_parse(status, &ia->status) != AD_OK)
        return eng__refuse(ic, AD_EINVAL, "%s: status: not a status", ia->name);
    const char *bad = NULL;
    if (eng__int_field(v, "version", 1, INT32_MAX, -1, &ia->version) ||
        ia->version < 0)
        bad = "version";
    else if (eng__int_field(v, "resume", 0, INT32_MAX, 0, &ia->resume))
        bad = "resume";
    else if (eng__int_field(v, "scanned", 0, INT64_MAX, 0, &ia->scanned))
        bad = "scanned";
    else if (eng__int_field(v, "deadline", 1, INT64_MAX, 0, &ia->deadline))
        bad = "deadline";
    else if (eng__int_field(v, "spawned", 0, INT64_MAX, 0, &ia->spawned))
        bad = "spawned";
    else if (eng__int_field(v, "created", 0, INT64_MAX, now, &ia->created))
        bad = "created";
    else if (eng__int_field(v, "updated", 0, INT64_MAX, now, &ia->updated))
        bad = "updated";
    if (bad)
        return eng__refuse(ic, AD_EINVAL, "%s: %s: not an integer in range",
                           ia->name, bad);
    ia->shapes = json_object_get(v, "waiting_for");
    if (ia->shapes && json_is_null(ia->shapes))
        ia->shapes = NULL;
    ia->args = json_object_get(v, "args");
    ia->state = json_object_get(v, "state");
    ia->result = json_object_get(v, "result");
    ia->error = json_object_get(v, "error");
    ia->mailbox = json_object_get(v, "mailbox");
    ia->timers = json_object_get(v, "timers");
    ia->calls = json_object_get(v, "abandoned_calls");
    const json_t *trap = json_object_get(v, "trap_exit");
    ia->trap_exit = json_is_true(trap);
    if (ia->shapes && !json_is_array(ia->shapes))
        bad = "waiting_for";
    else if (!json_is_object(ia->args))
        bad = "args";
    else if (!json_is_object(ia->state))
        bad = "state";
    else if (trap && !json_is_boolean(trap) && !json_is_null(trap))
        bad = "trap_exit";
    else if (ia->mailbox && !json_is_array(ia->mailbox) &&
             !json_is_null(ia->mailbox))
        bad = "mailbox";
    else if (ia->timers && !json_is_array(ia->timers) &&
             !json_is_null(ia->timers))
        bad = "timers";
    else if (ia->calls && !json_is_array(ia->calls) && !json_is_null(ia->calls))
        bad = "abandoned_calls";
    else if (!eng__names_ok(v, "watchers"))
        bad = "watchers";
    else if (!eng__names_ok(v, "watching"))
        bad = "watching";
    else if (!eng__names_ok(v, "links"))
        bad = "links";
    if (bad)
        return eng__refuse(ic, AD_EINVAL, "%s: %s: not of the export's form",
                           ia->name, bad);
    if (ia->result && json_is_null(ia->result))
        ia->result = NULL;
    if (ia->error && json_is_null(ia->error))
        ia->error = NULL;
    return AD_OK;
}

/* Appends the mailbox of ia to actor id; *scanned becomes the seq of its
 * ia->scanned-th message (0 when none). */
static int
eng__import_mailbox(struct import_ctx *ic, const struct import_actor *ia,
                    int64_t id, int64_t *scanned)
{
    const json_t *m;
    size_t i;
    int64_t now = ad_now_ms();
    *scanned = 0;
    json_array_foreach(ia->mailbox, i, m)
    {
        const json_t *body = json_object_get(m, "body");
        const json_t *from = json_object_get(m, "from");
        int64_t hops;
        if (!json_is_object(m) || body == NULL ||
            (from && !json_is_string(from) && !json_is_null(from)) ||
            eng__int_field(m, "hops", 0, INT64_MAX, 0, &hops))
            return eng__refuse(ic, AD_EINVAL,
                               "%s: mailbox message %zu: not of the export's "
                               "form",
                               ia->name, i + 1);
        char *text = eng__dump(body);
        if (text == NULL)
            return AD_ENOMEM;
        int64_t seq = 0;
        int err = store_mailbox_append(ic->e->st, id, json_string_value(from),
                                       text, strlen(text), now, hops, 0, &seq);
        free(text);
        if (err != AD_OK)
            return err;
        if ((int64_t)i < ia->scanned)
            *scanned = seq;
        ic->t.messages++;
    }
    return AD_OK;
}

/* Adds the timers of ia to actor id. */
static int
eng__import_timers(struct import_ctx *ic, const struct import_actor *ia,
                   int64_t id)
{
    const json_t *t;
    size_t i;
    json_array_foreach(ia->timers, i, t)
    {
        const char *target = json_string_value(json_object_get(t, "target"));
        const json_t *body = json_object_get(t, "body");
        int64_t want, due, every;
        if (!json_is_object(t) || target == NULL ||
            !ad_name_valid(target, strlen(target)) || body == NULL ||
            eng__int_field(t, "id", 1, INT64_MAX, -1, &want) || want < 0 ||
            eng__int_field(t, "due", 0, INT64_MAX, -1, &due) || due < 0 ||
            eng__int_field(t, "every", 1, INT64_MAX, 0, &every))
            return eng__refuse(ic, AD_EINVAL,
                               "%s: timer %zu: not of the export's form",
                               ia->name, i + 1);
        char *text = eng__dump(body);
        if (text == NULL)
            return AD_ENOMEM;
        int64_t got = 0;
        int err = store_timer_restore(ic->e->st, want, id, target, text, due,
                                      every, &got);
        free(text);
        if (err != AD_OK)
            return err;
        ic->t.timers++;
        ic->t.renumbered += got != want;
    }
    return AD_OK;
}

/* Makes the watches and links of v that reach an actor here already; the
 * others are made when their other end is imported (it lists this one),
 * or never. */
static int
eng__import_ties(struct import_ctx *ic, const json_t *v, int64_t id)
{
    static const char *const keys[] = {"watchers", "watching", "links"};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        const json_t *names = json_object_get(v, keys[k]), *n;
        size_t i;
        json_array_foreach(names, i, n)
        {
            int64_t other;
            enum store_status status;
            int err = store_actor_peek(ic->e->st, json_string_value(n), &other,
                                       &status, NULL, NULL);
            if (err == AD_ENOTFOUND)
                continue;
            if (err == AD_OK)
                err = k == 0   ? store_monitor_add(ic->e->st, id, other)
                      : k == 1 ? store_monitor_add(ic->e->st, other, id)
                               : store_link_add(ic->e->st, id, other);
            if (err != AD_OK)
                return err;
            ic->t.ties++;
        }
    }
    return AD_OK;
}

/* Adds the abandoned calls of ia to actor id. */
static int
eng__import_calls(struct import_ctx *ic, const struct import_actor *ia,
                  int64_t id)
{
    const json_t *c;
    size_t i;
    json_array_foreach(ia->calls, i, c)
    {
        const char *call_id = json_string_value(json_object_get(c, "call_id"));
        int64_t created;
        if (call_id == NULL ||
            eng__int_field(c, "created", 0, INT64_MAX, 0, &created))
            return eng__refuse(ic, AD_EINVAL,
                               "%s: abandoned call %zu: not of the export's "
                               "form",
                               ia->name, i + 1);
        int err = store_call_abandon(ic->e->st, id, call_id, created);
        if (err != AD_OK)
            return err;
    }
    return AD_OK;
}

/* Imports the actor value v, inside the batch's transaction. */
static int
eng__import_actor(struct import_ctx *ic, const json_t *v)
{
    struct import_actor ia;
    int err = eng__import_check(ic, v, &ia);
    if (err != AD_OK)
        return err;
    struct store *st = ic->e->st;
    int64_t old;
    enum store_status status;
    err = store_actor_peek(st, ia.name, &old, &status, NULL, NULL);
    if (err == AD_OK && !ic->replace)
        return eng__refuse(ic, AD_EEXISTS,
                           "%s: an actor of that name is here (--replace "
                           "replaces it)",
                           ia.name);
    if (err == AD_OK) {
        err = store_actor_purge(st, old, NULL);
        ic->t.replaced++;
    } else if (err == AD_ENOTFOUND) {
        err = AD_OK;
    }
    if (err != AD_OK)
        return err;
    struct store_actor a = {
        .name = (char *)ia.name,
        .behavior = (char *)ia.behavior,
        .version = (int)ia.version,
        .status = ia.status,
        .resume = (int)ia.resume,
        .spawned = ia.spawned,
        .created = ia.created,
        .updated = ia.updated,
        .deadline = ia.deadline,
    };
    a.waiting_for = ia.shapes ? eng__dump(ia.shapes) : NULL;
    a.waiting_inline = a.waiting_for && eng__shapes_inline(a.waiting_for);
    a.args = eng__dump(ia.args);
    a.state = eng__dump(ia.state);
    a.result = ia.result ? eng__dump(ia.result) : NULL;
    a.error = ia.error ? eng__dump(ia.error) : NULL;
    if ((ia.shapes && !a.waiting_for) || !a.args || !a.state ||
        (ia.result && !a.result) || (ia.error && !a.error))
        err = AD_ENOMEM;
    if (err == AD_OK)
        err = store_actor_insert(st, &a);
    if (err == AD_OK && ia.mailbox)
        err = eng__import_mailbox(ic, &ia, a.id, &a.scanned);
    /* The count the appends made is the stored one; saving sets scanned. */
    if (err == AD_OK && a.scanned > 0)
        err = store_actor_save(st, &a);
    if (err == AD_OK && ia.trap_exit)
        err = store_set_trap_exit(st, a.id, 1);
    if (err == AD_OK && ia.timers)
        err = eng__import_timers(ic, &ia, a.id);
    if (err == AD_OK)
        err = eng__import_ties(ic, v, a.id);
    if (err == AD_OK && ia.calls)
        err = eng__import_calls(ic, &ia, a.id);
    if (err == AD_OK)
        ic->t.actors++;
    free(a.waiting_for);
    free(a.args);
    free(a.state);
    free(a.result);
    free(a.error);
    return err;
}

/* The fields of a behaviour value, checked; sets *src (borrowing from v)
 * or says why not. */
static int
eng__import_source_check(struct import_ctx *ic, const json_t *v,
                         struct store_source *src)
{
    int64_t version, created;
    const json_t *text = json_object_get(v, "source");
    memset(src, 0, sizeof *src);
    src->name = (char *)json_string_value(json_object_get(v, "name"));
    src->language = (char *)json_string_value(json_object_get(v, "language"));
    src->doc = (char *)json_string_value(json_object_get(v, "doc"));
    if (src->name == NULL || !eng__behavior_name_valid(src->name))
        return eng__refuse(ic, AD_EBADNAME, "name: not a behaviour name");
    if (eng__int_field(v, "version", 1, INT32_MAX, -1, &version) ||
        version < 0 || !json_is_string(text) || src->language == NULL ||
        eng__int_field(v, "created", 0, INT64_MAX, ad_now_ms(), &created))
        return eng__refuse(ic, AD_EINVAL,
                           "behaviour %s: not of the export's form", src->name);
    src->version = (int)version;
    src->created = created;
    src->source = (char *)json_string_value(text);
    src->source_len = json_string_length(text);
    if (eng__behavior(src->name) != NULL)
        return eng__refuse(ic, AD_EEXISTS,
                           "behaviour %s: a registered behaviour has the name",
                           src->name);
    const struct eng_language *lang = eng__language();
    if (lang == NULL || strcmp(lang->name, src->language) != 0)
        return eng__refuse(ic, AD_EINVAL,
                           "behaviour %s: no %s behaviours in this build",
                           src->name, src->language);
    return AD_OK;
}

/* Compiles the behaviour value v, as an upload would be: before the
 * transaction, since a compile runs the language. */
static int
eng__import_compile(struct import_ctx *ic, const json_t *v)
{
    struct store_source src;
    int err = eng__import_source_check(ic, v, &src);
    if (err != AD_OK)
        return err;
    const struct eng_language *lang = eng__language();
    struct behavior *b = NULL;
    char why[200];
    err = lang->compile(src.name, src.version, src.source, src.source_len, &b,
                        why, sizeof why);
    if (b != NULL)
        lang->release(b);
    if (err == AD_ENOMEM)
        return err;
    if (err != AD_OK || b == NULL)
        return eng__refuse(ic, AD_EBADCODE, "behaviour %s version %d: %s",
                           src.name, src.version, why);
    return AD_OK;
}

/* Imports the behaviour value v (compiled already), inside the batch's
 * transaction. */
static int
eng__import_source(struct import_ctx *ic, const json_t *v)
{
    struct store_source src, here = {0};
    int err = eng__import_source_check(ic, v, &src);
    if (err != AD_OK)
        return err;
    err = store_source_get(ic->e->st, src.name, src.version, &here);
    if (err == AD_OK) {
        int same = here.source_len == src.source_len &&
                   memcmp(here.source, src.source, src.source_len) == 0;
        store_source_release(&here);
        if (!same)
            return eng__refuse(ic, AD_EEXISTS,
                               "behaviour %s version %d is here with another "
                               "source",
                               src.name, src.version);
        ic->t.same++;
        return AD_OK;
    }
    if (err != AD_ENOTFOUND)
        return err;
    err = store_source_restore(ic->e->st, &src);
    if (err == AD_OK)
        ic->t.behaviors++;
    return err;
}

/* The type of value v: "actor", "behavior", or NULL. */
static const char *
eng__import_type(const json_t *v)
{
    const char *type = json_string_value(json_object_get(v, "type"));
    if (type && (strcmp(type, "actor") == 0 || strcmp(type, "behavior") == 0))
        return type;
    return NULL;
}

static int
eng__import_tx(struct store *st, void *ctx)
{
    (void)st;
    struct import_ctx *ic = ctx;
    int err = AD_OK;
    memset(&ic->t, 0, sizeof ic->t);
    for (ic->at = 0; ic->at < ic->n && err == AD_OK; ic->at++) {
        const json_t *v = ic->values[ic->at];
        err = strcmp(eng__import_type(v), "actor") == 0
                  ? eng__import_actor(ic, v)
                  : eng__import_source(ic, v);
        if (err != AD_OK)
            return err;
    }
    return err;
}

int
eng_import(struct eng *e, json_t *const *values, size_t n, int replace,
           struct eng_import *tally, size_t *bad, char *why, size_t whylen)
{
    struct import_ctx ic = {.e = e,
                            .values = values,
                            .n = n,
                            .replace = replace,
                            .why = why,
                            .whylen = whylen};
    why[0] = '\0';
    *bad = n;
    int err = AD_OK;
    /* What can be checked without the database, before its write lock is
     * taken: the type of each value, and the sources compile. */
    for (ic.at = 0; ic.at < n && err == AD_OK; ic.at++) {
        const char *type = eng__import_type(values[ic.at]);
        if (type == NULL)
            err = eng__refuse(&ic, AD_EINVAL,
                              "type: neither \"actor\" nor \"behavior\"");
        else if (strcmp(type, "behavior") == 0)
            err = eng__import_compile(&ic, values[ic.at]);
        if (err != AD_OK)
            *bad = ic.at;
    }
    if (err != AD_OK)
        return err;
    ic.at = n;
    err = store_transaction(e->st, eng__import_tx, &ic);
    if (err != AD_OK) {
        *bad = ic.at < n ? ic.at : n;
        if (why[0] == '\0')
            snprintf(why, whylen, "%s", eng_errmsg(e));
        return err;
    }
    tally->actors += ic.t.actors;
    tally->replaced += ic.t.replaced;
    tally->messages += ic.t.messages;
    tally->timers += ic.t.timers;
    tally->renumbered += ic.t.renumbered;
    tally->ties += ic.t.ties;
    tally->behaviors += ic.t.behaviors;
    tally->same += ic.t.same;
    return AD_OK;
}
