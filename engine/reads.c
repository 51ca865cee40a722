/*
 * reads.c - what the engine shows: actor documents, lists of actors,
 * mailboxes and dead letters, each read in a read transaction of its
 * own; and the collection of dead letters.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/eng_int.h"

/* ---- documents ---- */

/* Returns a new actor document for row a (as loaded: its mailbox count is
 * the stored one), or NULL. */
json_t *
eng__doc(const struct store_actor *a)
{
    char created[AD_TIME_LEN], updated[AD_TIME_LEN], deadline[AD_TIME_LEN];
    return json_pack(
        "{s:s, s:s, s:i, s:s, s:o, s:I, s:o, s:s?, s:o, s:o, s:s, s:s}", "name",
        a->name, "behavior", a->behavior, "version", a->version, "status",
        store_status_name(a->status), "state", eng__load(a->state), "mailbox",
        (json_int_t)(a->mailbox - a->taken), "waiting_for",
        eng__load(a->waiting_for), "deadline",
        a->deadline > 0 ? ad_time_iso(a->deadline, deadline) : NULL, "result",
        eng__load(a->result), "error", eng__load(a->error), "created",
        ad_time_iso(a->created, created), "updated",
        ad_time_iso(a->updated, updated));
}

int
eng_doc_ended(const json_t *doc)
{
    const char *st = json_string_value(json_object_get(doc, "status"));
    enum store_status s;
    return st && store_status_parse(st, &s) == AD_OK && store_status_ended(s);
}

/* Loads the document of name into *doc, inside the caller's
 * transaction. */
int
eng__doc_by_name(struct eng *e, const char *name, json_t **doc)
{
    struct store_actor a = {0};
    int err = store_actor_by_name(e->st, name, &a);
    if (err != AD_OK)
        return err;
    *doc = eng__doc(&a);
    store_actor_release(&a);
    return *doc ? AD_OK : AD_ENOMEM;
}

struct get_ctx {
    struct eng *e;
    const char *name; /* borrowed */
    json_t **doc;
};

/* What eng__ties_one adds to: the three lists of names in the document,
 * borrowed from it. */
struct ties_ctx {
    json_t *list[3]; /* by enum store_tie_kind */
};

static int
eng__ties_one(void *ctx, enum store_tie_kind kind, const char *name)
{
    struct ties_ctx *tc = ctx;
    return json_array_append_new(tc->list[kind], json_string(name)) == 0
               ? AD_OK
               : AD_ENOMEM;
}

static int
eng__timer_one(void *ctx, const struct store_timer *t)
{
    json_t *timers = ctx;
    char due[AD_TIME_LEN];
    json_t *msg = NULL;
    if (eng__parse(t->body, strlen(t->body), JSON_DECODE_ANY, &msg) ==
        AD_ENOMEM)
        return AD_ENOMEM;
    json_t *v =
        json_pack("{s:I, s:s, s:o, s:s, s:o}", "id", (json_int_t)t->id, "to",
                  t->target, "message", msg ? msg : json_string(t->body), "due",
                  ad_time_iso(t->due, due), "every_ms",
                  t->every > 0 ? json_integer(t->every) : json_null());
    return v != NULL && json_array_append_new(timers, v) == 0 ? AD_OK
                                                              : AD_ENOMEM;
}

/* Adds to doc (the document of actor id, in the caller's read
 * transaction) its links, monitors both ways, trap_exit and timers. */
static int
eng__doc_ties(struct store *st, int64_t id, json_t *doc)
{
    _Static_assert(STORE_WATCHED_BY == 0 && STORE_WATCHING == 1 &&
                       STORE_LINKED_TO == 2,
                   "ties_ctx's lists");
    static const char *const keys[3] = {"monitored_by", "monitors", "links"};
    struct ties_ctx tc;
    json_t *timers = json_array();
    if (timers == NULL || json_object_set_new(doc, "timers", timers) != 0)
        return AD_ENOMEM;
    for (int i = 0; i < 3; i++) {
        tc.list[i] = json_array();
        if (tc.list[i] == NULL ||
            json_object_set_new(doc, keys[i], tc.list[i]) != 0)
            return AD_ENOMEM;
    }
    int trap = 0;
    int err = store_ties_list(st, id, eng__ties_one, &tc);
    if (err == AD_OK)
        err = store_trap_exit(st, id, &trap);
    if (err == AD_OK &&
        json_object_set_new(doc, "trap_exit", json_boolean(trap)) != 0)
        err = AD_ENOMEM;
    if (err == AD_OK)
        err = store_timer_list(st, id, eng__timer_one, timers);
    return err;
}

static int
eng__get_tx(struct store *st, void *ctx)
{
    struct get_ctx *gc = ctx;
    struct store_actor a = {0};
    int err = store_actor_by_name(st, gc->name, &a);
    if (err != AD_OK)
        return err;
    json_t *doc = eng__doc(&a);
    err = doc ? eng__doc_ties(st, a.id, doc) : AD_ENOMEM;
    store_actor_release(&a);
    if (err != AD_OK) {
        json_decref(doc);
        return err;
    }
    *gc->doc = doc;
    return AD_OK;
}

int
eng_get(struct eng *e, const char *name, json_t **doc)
{
    struct get_ctx gc = {e, name, doc};
    return store_transaction_read(e->st, eng__get_tx, &gc);
}

/* ---- lists ---- */

struct list_ctx {
    const char *behavior, *status, *prefix, *after; /* borrowed filters */
    int limit;
    json_t *actors;   /* borrowed */
    const char *last; /* name of the last actor added, borrowed from list */
    int more;         /* 1 when more actors follow */
};

static int
eng__list_one(void *ctx, struct store_actor *a)
{
    struct list_ctx *lc = ctx;
    json_t *doc = eng__doc(a);
    if (doc == NULL || json_array_append_new(lc->actors, doc) != 0)
        return AD_ENOMEM;
    lc->last = json_string_value(json_object_get(doc, "name"));
    return AD_OK;
}

static int
eng__list_tx(struct store *st, void *ctx)
{
    struct list_ctx *lc = ctx;
    return store_actor_list_prefix(st, lc->behavior, lc->status, lc->prefix,
                                   lc->after, lc->limit, eng__list_one, lc,
                                   &lc->more);
}

int
eng_list(struct eng *e, const char *behavior, const char *status,
         const char *after, int limit, json_t **out)
{
    return eng_list_prefix(e, behavior, status, NULL, after, limit, out);
}

/* Returns 1 when prefix may begin a name: 1 to AD_NAME_MAX of its
 * characters ("." and ".." included, which begin names such as ".a"). */
static int
eng__prefix_valid(const char *prefix)
{
    size_t n = strlen(prefix);
    return ad_name_valid(prefix, n) || strcmp(prefix, ".") == 0 ||
           strcmp(prefix, "..") == 0;
}

int
eng_list_prefix(struct eng *e, const char *behavior, const char *status,
                const char *prefix, const char *after, int limit, json_t **out)
{
    enum store_status st;
    if (status && store_status_parse(status, &st) != AD_OK)
        return AD_EINVAL;
    if (limit <= 0)
        return AD_EINVAL;
    if (prefix != NULL && *prefix == '\0')
        prefix = NULL;
    if (prefix != NULL && !eng__prefix_valid(prefix))
        return AD_EINVAL;
    struct list_ctx lc = {.behavior = behavior,
                          .status = status,
                          .prefix = prefix,
                          .after = after,
                          .limit = limit,
                          .actors = json_array()};
    if (lc.actors == NULL)
        return AD_ENOMEM;
    int err = store_transaction_read(e->st, eng__list_tx, &lc);
    if (err != AD_OK) {
        json_decref(lc.actors);
        return err;
    }
    *out = json_pack("{s:o, s:s?}", "actors", lc.actors, "next",
                     lc.more ? lc.last : NULL);
    return *out ? AD_OK : AD_ENOMEM;
}

/* ---- mailboxes ---- */

struct mailbox_ctx {
    const char *name; /* borrowed */
    int64_t after;
    int limit;
    json_t *messages; /* borrowed */
};

static int
eng__mailbox_one(void *ctx, int64_t seq, const char *sender, const char *body,
                 size_t len, int64_t hops)
{
    (void)hops;
    struct mailbox_ctx *mc = ctx;
    json_t *b = NULL;
    if (eng__parse(body, len, JSON_DECODE_ANY, &b) == AD_ENOMEM)
        return AD_ENOMEM;
    json_t *m = json_pack("{s:I, s:s?, s:o}", "seq", (json_int_t)seq, "from",
                          sender, "body", b ? b : json_string(body));
    if (m == NULL || json_array_append_new(mc->messages, m) != 0)
        return AD_ENOMEM;
    return AD_OK;
}

static int
eng__mailbox_tx(struct store *st, void *ctx)
{
    struct mailbox_ctx *mc = ctx;
    int64_t id;
    enum store_status status;
    int err = store_actor_peek(st, mc->name, &id, &status, NULL, NULL);
    return err != AD_OK ? err
                        : store_mailbox_scan(st, id, mc->after, mc->limit,
                                             eng__mailbox_one, mc);
}

int
eng_mailbox(struct eng *e, const char *name, int64_t after, int limit,
            json_t **out)
{
    struct mailbox_ctx mc = {
        .name = name, .after = after, .limit = limit, .messages = json_array()};
    if (mc.messages == NULL)
        return AD_ENOMEM;
    int err = store_transaction_read(e->st, eng__mailbox_tx, &mc);
    if (err != AD_OK) {
        json_decref(mc.messages);
        return err;
    }
    *out = json_pack("{s:o}", "messages", mc.messages);
    return *out ? AD_OK : AD_ENOMEM;
}

/* ---- dead letters ---- */

struct dead_ctx {
    int64_t after;
    int limit;
    json_t *list; /* borrowed */
    int64_t last; /* seq of the last one added */
    int more;     /* 1 when more follow */
};

static int
eng__dead_one(void *ctx, const struct store_dead *d)
{
    struct dead_ctx *dc = ctx;
    char time[AD_TIME_LEN];
    json_t *b = NULL;
    if (eng__parse(d->body, d->body_len, JSON_DECODE_ANY, &b) == AD_ENOMEM)
        return AD_ENOMEM;
    json_t *v = json_pack(
        "{s:I, s:s?, s:s, s:s, s:o, s:s}", "seq", (json_int_t)d->seq, "from",
        d->sender, "to", d->target, "reason", d->reason, "body",
        b ? b : json_string(d->body), "time", ad_time_iso(d->created, time));
    if (v == NULL || json_array_append_new(dc->list, v) != 0)
        return AD_ENOMEM;
    dc->last = d->seq;
    return AD_OK;
}

static int
eng__dead_tx(struct store *st, void *ctx)
{
    struct dead_ctx *dc = ctx;
    return store_dead_letter_list(st, dc->after, dc->limit, eng__dead_one, dc,
                                  &dc->more);
}

int
eng_dead_letters(struct eng *e, int64_t after, int limit, json_t **out)
{
    if (limit <= 0)
        return AD_EINVAL;
    struct dead_ctx dc = {.after = after, .limit = limit, .list = json_array()};
    if (dc.list == NULL)
        return AD_ENOMEM;
    int err = store_transaction_read(e->st, eng__dead_tx, &dc);
    if (err != AD_OK) {
        json_decref(dc.list);
        return err;
    }
    *out = dc.more ? json_pack("{s:o, s:I}", "dead_letters", dc.list, "next",
                               (json_int_t)dc.last)
                   : json_pack("{s:o, s:n}", "dead_letters", dc.list, "next");
    return *out ? AD_OK : AD_ENOMEM;
}

struct collect_ctx {
    int64_t upto;
    int64_t *n; /* the caller's, may be NULL */
};

static int
eng__collect_tx(struct store *st, void *ctx)
{
    struct collect_ctx *cc = ctx;
    return store_dead_letter_collect(st, cc->upto, cc->n);
}

int
eng_dead_letters_collect(struct eng *e, int64_t upto, int64_t *n)
{
    struct collect_ctx cc = {upto, n};
    return store_transaction(e->st, eng__collect_tx, &cc);
}

int
eng_counts(struct eng *e, struct eng_counts *out)
{
    _Static_assert(ENG_STATUSES == STORE_STRANDED + 1, "eng_counts' statuses");
    struct store_stats c;
    int err = store_stats(e->st, &c);
    if (err != AD_OK)
        return err;
    memcpy(out->actors, c.actors, sizeof out->actors);
    out->queued = c.messages;
    out->timers = c.timers;
    out->dead_letters = c.dead_letters;
    out->db_bytes = c.page_size * c.pages;
    out->wal_bytes = c.wal_bytes;
    return AD_OK;
}

const char *
eng_status_name(int i)
{
    return store_status_name((enum store_status)i);
}

/* What eng_ended reads in one snapshot. */
struct ended_ctx {
    const char *const *names;
    size_t n;
    unsigned char *ended;
};

static int
eng__ended_tx(struct store *s, void *ctx)
{
    struct ended_ctx *ec = ctx;
    for (size_t i = 0; i < ec->n; i++) {
        int64_t id;
        enum store_status status;
        int err = store_actor_peek(s, ec->names[i], &id, &status, NULL, NULL);
        if (err == AD_ENOTFOUND)
            ec->ended[i] = 1;
        else if (err != AD_OK)
            return err;
        else
            ec->ended[i] = (unsigned char)store_status_ended(status);
    }
    return AD_OK;
}

int
eng_ended(struct eng *e, const char *const *names, size_t n,
          unsigned char *ended)
{
    struct ended_ctx ec = {names, n, ended};
    return n == 0 ? AD_OK : store_transaction_read(e->st, eng__ended_tx, &ec);
}
