/*
 * engine.c - the behaviour registry, the behaviour API of
 * actord/behavior.h, and the step loop.
 *
 * One step is one call of a behaviour.  The engine picks a runnable
 * actor, finds the first message in its mailbox that matches the shapes
 * it waits for (selective receive is decided here, never by the
 * behaviour), calls the behaviour, and stores in the same transaction:
 * the consumed message's removal, the new continuation and state, every
 * message sent and every actor spawned.  Many steps share a transaction
 * (eng_run); any storage error rolls the whole transaction back, so each
 * step is applied entirely or not at all.
 */
#include "engine/engine.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "actord/behavior.h"
#include "behaviors/behaviors.h"
#include "engine/shape.h"
#include "engine/watchdog.h"
#include "store/store.h"

#define REGISTRY_MAX 64
#define RUNQ_FETCH 64

static const struct behavior *registry[REGISTRY_MAX];
static int registry_count;
static pthread_once_t standard_once = PTHREAD_ONCE_INIT;

struct eng {
    struct store *st;     /* owned */
    struct eng_opts opts; /* with defaults filled in */
    int64_t running;      /* id of the actor whose step runs, or 0 */
    int running_killed;   /* 1 when a link killed it during its step */
    /* The step to undo: eng__step returns ENG__ABORTED after
     * eng__abort, and eng_run rolls back and fails the actor. */
    int64_t abort_id;     /* the actor, or 0 */
    char abort_code[32];  /* its error code, e.g. "step_timeout" */
    char abort_msg[256];  /* and message */
    int careful;          /* 1: eng_run's next transaction puts each step
                             under a savepoint (after an undone step) */
    char *path;           /* owned: the database file */
    int64_t due_checked;  /* ms since the epoch when eng_run last looked
                             for due deadlines and timers */
};

/* How late a due receive timeout or timer may be noticed, ms. */
#define ENG__DUE_EVERY_MS 5

/* One eng_send waiting in its group's queue. */
struct group_send {
    const char *name;        /* borrowed from the caller */
    const json_t *msg;       /* borrowed from the caller */
    int64_t seq;             /* set when delivered */
    int err;                 /* its result, once done */
    int done;                /* 1 once committed or refused */
    pthread_cond_t wake;     /* signalled when done, or to lead */
    struct group_send *next; /* the queue */
};

struct eng_group {
    pthread_mutex_t write_mu; /* held through every write transaction */
    pthread_mutex_t mu;       /* guards what follows */
    struct group_send *head;  /* sends not yet taken by a leader */
    struct group_send **tail;
    int leading;              /* 1 while a leader commits a batch */
    struct eng *conn;         /* owned: the connection leaders write on,
                                 so its page cache stays warm; or NULL */
};

/* Returned by eng__step (never by a public function): the step must be
 * undone; e->abort_* say why. */
#define ENG__ABORTED 1


/* Actors to be killed because an actor linked to them ended abnormally;
 * a queue rather than recursion, so a long chain of links cannot
 * exhaust the stack. */
struct kill_queue {
    int64_t *ids; /* owned */
    size_t n, cap;
};

/* The running actor of one step (struct actor of behavior.h). */
struct actor {
    struct eng *e;           /* borrowed */
    struct store_actor *row; /* borrowed: the stored actor */
    json_t *args;            /* owned */
    json_t *state;           /* owned */
    json_t *msg;             /* owned: the matched message, or NULL */
    int matched;             /* index of the matched shape */
    int point;               /* resume point set by actor_receive */
    json_t *shapes;          /* owned: set by actor_receive */
    json_t *result;          /* owned: set by actor_exit */
    json_t *error;           /* owned: set by actor_fail */
    int64_t deadline;        /* set by actor_receive_timeout: ms since the
                                epoch, or 0 */
    int timed_out;           /* 1 when this step resumes from a timeout */
    int64_t hops;            /* hops of the message this step consumes */
    int err;                 /* first storage error of the step, or 0 */
};

/* ---- the registry ---- */

int
actor_register(const struct behavior *b)
{
    if (b == NULL || b->name == NULL || b->step == NULL ||
        registry_count == REGISTRY_MAX)
        return -1;
    for (int i = 0; i < registry_count; i++)
        if (strcmp(registry[i]->name, b->name) == 0)
            return -1;
    registry[registry_count++] = b;
    return 0;
}

static void
eng__register_standard(void)
{
    wd_init();
    behaviors_register_standard();
}

/* Returns the registered behaviour named name, or NULL (borrowed). */
static const struct behavior *
eng__behavior(const char *name)
{
    for (int i = 0; i < registry_count; i++)
        if (strcmp(registry[i]->name, name) == 0)
            return registry[i];
    return NULL;
}

json_t *
eng_behaviors(void)
{
    pthread_once(&standard_once, eng__register_standard);
    json_t *list = json_array();
    for (int i = 0; list && i < registry_count; i++)
        json_array_append_new(list,
                              json_pack("{s:s, s:s}", "name",
                                        registry[i]->name, "doc",
                                        registry[i]->doc ? registry[i]->doc
                                                         : ""));
    return json_pack("{s:o*}", "behaviors", list);
}

/* ---- small helpers ---- */

/* Returns new compact JSON text of v (any value), or NULL. */
static char *
eng__dump(const json_t *v)
{
    return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

/* Returns a new reference to the JSON in text, or, should the stored
 * text not parse, the text as a JSON string, so a document still shows
 * it.  NULL text gives JSON null. */
static json_t *
eng__load(const char *text)
{
    if (text == NULL)
        return json_null();
    json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
    return v ? v : json_string(text);
}

/* Replaces *field (owned text) with the JSON text of v (borrowed). */
static int
eng__set_text(char **field, const json_t *v)
{
    char *t = v ? eng__dump(v) : NULL;
    if (v && t == NULL)
        return AD_ENOMEM;
    free(*field);
    *field = t;
    return AD_OK;
}

/* Returns 1 when shapes text (as eng__dump wrote it) is to stay inline in
 * the actor's row rather than be interned by the store: shapes with a
 * literal, because calls wait for their own call id, so those texts
 * seldom repeat, and interned rows are never deleted. */
static int
eng__shapes_inline(const char *text)
{
    return strstr(text, "\"$literal\"") != NULL;
}

const char *
actor_address_name(const json_t *v)
{
    if (json_is_string(v))
        return json_string_value(v);
    if (json_is_object(v) && json_object_size(v) == 1)
        return json_string_value(json_object_get(v, "$address"));
    return NULL;
}

/* 64 random bits, for generated names and call ids; the clock stands
 * in should the kernel not answer. */
static unsigned long long
eng__random64(void)
{
    uint64_t r = 0;
    if (getrandom(&r, sizeof r, 0) != sizeof r)
        r = (uint64_t)ad_mono_ms() * 0x9e3779b97f4a7c15ull ^ (uint64_t)rand();
    return (unsigned long long)r;
}

/* Writes a fresh random name "a-" + 16 hex digits into buf. */
static void
eng__random_name(char *buf, size_t len)
{
    snprintf(buf, len, "a-%016llx", eng__random64());
}

/* Marks the step of actor id to be undone, its actor to fail with error
 * code and the message of fmt.  The first reason of a step stands. */
static void
eng__abort(struct eng *e, int64_t id, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
eng__abort(struct eng *e, int64_t id, const char *code, const char *fmt, ...)
{
    if (e->abort_id != 0)
        return;
    e->abort_id = id;
    snprintf(e->abort_code, sizeof e->abort_code, "%s", code);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->abort_msg, sizeof e->abort_msg, fmt, ap);
    va_end(ap);
}

/* ---- opening ---- */

int
eng_open(const char *path, const struct eng_opts *opts, struct eng **out)
{
    pthread_once(&standard_once, eng__register_standard);
    struct eng *e = calloc(1, sizeof *e);
    if (e == NULL || (e->path = strdup(path)) == NULL) {
        free(e);
        return AD_ENOMEM;
    }
    if (opts)
        e->opts = *opts;
    if (e->opts.batch_steps <= 0)
        e->opts.batch_steps = 256;
    if (e->opts.batch_ms <= 0)
        e->opts.batch_ms = 50;
    if (e->opts.max_message == 0)
        e->opts.max_message = ENG_MAX_MESSAGE_DEFAULT;
    if (e->opts.max_state == 0)
        e->opts.max_state = ENG_MAX_STATE_DEFAULT;
    if (e->opts.max_mailbox == 0)
        e->opts.max_mailbox = ENG_MAX_MAILBOX_DEFAULT;
    if (e->opts.max_hops == 0)
        e->opts.max_hops = ENG_MAX_HOPS_DEFAULT;
    if (e->opts.step_limit_ms == 0)
        e->opts.step_limit_ms = ENG_STEP_LIMIT_DEFAULT;
    struct store_opts so = {.busy_timeout_ms = e->opts.busy_timeout_ms,
                            .sync_full = e->opts.sync_full,
                            .max_bytes = e->opts.max_db_bytes,
                            .write_mu = e->opts.group
                                            ? &e->opts.group->write_mu
                                            : NULL};
    int err = store_open(path, &so, &e->st);
    if (err != AD_OK) {
        free(e->path);
        free(e);
        return err;
    }
    *out = e;
    return AD_OK;
}

void
eng_close(struct eng *e)
{
    if (e == NULL)
        return;
    /* The thread that ran steps on e is the one that closes it. */
    wd_release();
    store_close(e->st);
    free(e->path);
    free(e);
}

const char *
eng_errmsg(struct eng *e)
{
    return store_errmsg(e->st);
}

int
eng_changed(struct eng *e)
{
    return store_changed(e->st);
}

int
eng_health(struct eng *e)
{
    int64_t n;
    return store_mailbox_count(e->st, 0, &n);
}

int
eng_unstrand(struct eng *e)
{
    int err = store_begin(e->st);
    if (err != AD_OK)
        return err;
    err = store_unstrand(e->st);
    if (err != AD_OK) {
        store_rollback(e->st);
        return err;
    }
    return store_commit(e->st);
}

/* ---- documents ---- */

/* Returns a new actor document for row a (as loaded: its mailbox count is
 * the stored one), or NULL. */
static json_t *
eng__doc(const struct store_actor *a)
{
    char created[AD_TIME_LEN], updated[AD_TIME_LEN], deadline[AD_TIME_LEN];
    return json_pack(
        "{s:s, s:s, s:s, s:o, s:I, s:o, s:s?, s:o, s:o, s:s, s:s}", "name",
        a->name, "behavior", a->behavior, "status",
        store_status_name(a->status), "state", eng__load(a->state),
        "mailbox", (json_int_t)(a->mailbox - a->taken), "waiting_for",
        eng__load(a->waiting_for), "deadline",
        a->deadline > 0 ? ad_time_iso(a->deadline, deadline) : NULL,
        "result", eng__load(a->result), "error", eng__load(a->error),
        "created", ad_time_iso(a->created, created), "updated",
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
static int
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

int
eng_get(struct eng *e, const char *name, json_t **doc)
{
    int err = store_begin_read(e->st);
    if (err != AD_OK)
        return err;
    err = eng__doc_by_name(e, name, doc);
    store_rollback(e->st);
    return err;
}

/* ---- delivery ---- */

/*
 * Appends msg (borrowed) to the mailbox of the actor named to, inside the
 * caller's write transaction, and makes the receiver runnable when it
 * waits for a message of this shape.  sender may be NULL.  Returns 0,
 * AD_ENOTFOUND, AD_EDEAD or a storage error.
 */
static int
eng__deliver(struct eng *e, const char *to, const char *sender,
             const json_t *msg, int64_t hops, int64_t *seq)
{
    int64_t id, queued = 0;
    enum store_status status;
    char *waiting = NULL;
    int err = store_actor_peek(e->st, to, &id, &status, &waiting, &queued);
    if (err != AD_OK)
        return err;
    if (store_status_ended(status)) {
        err = AD_EDEAD;
        goto out;
    }
    const char *resp_id = json_string_value(json_object_get(msg, "response"));
    if (resp_id != NULL) {
        /* A reply to a call the receiver gave up on is not left in its
         * mailbox: it becomes a dead letter. */
        int late = 0;
        err = store_call_take_abandoned(e->st, id, resp_id, &late);
        if (err != AD_OK)
            goto out;
        if (late) {
            char *late_body = eng__dump(msg);
            err = late_body ? store_dead_letter_add(e->st, sender, to,
                                                    "late reply", late_body,
                                                    strlen(late_body),
                                                    ad_now_ms())
                            : AD_ENOMEM;
            free(late_body);
            goto out;
        }
    }
    if (e->opts.max_mailbox > 0 && queued >= e->opts.max_mailbox) {
        err = AD_EMAILBOX;
        goto out;
    }
    char *body = eng__dump(msg);
    if (body == NULL) {
        err = AD_ENOMEM;
        goto out;
    }
    size_t len = strlen(body);
    int wake = 0;
    if (e->opts.max_message > 0 && len > (size_t)e->opts.max_message) {
        err = AD_ETOOLARGE;
    } else {
        if (status == STORE_WAITING && waiting != NULL) {
            json_t *shapes = json_loads(waiting, 0, NULL);
            wake = shapes && shape_match_any(shapes, msg) >= 0;
            json_decref(shapes);
        }
        err = store_mailbox_append(e->st, id, sender, body, len, ad_now_ms(),
                                   hops, wake, seq);
    }
    free(body);
out:
    free(waiting);
    return err;
}

/* Why a message that eng__deliver refused with err becomes a dead letter
 * rather than an error of the sender, or NULL when it does not. */
static const char *
eng__undeliverable(int err)
{
    switch (err) {
    case AD_ENOTFOUND: return "no such actor";
    case AD_EDEAD: return "actor ended";
    case AD_EMAILBOX: return "mailbox full";
    case AD_EINVAL: return "not JSON";
    }
    return NULL;
}

/*
 * Delivers msg (borrowed) from sender, hops steps from outside, as
 * eng__deliver does, for the engine and behaviours: what cannot be
 * delivered becomes a dead letter instead (reason why, when not NULL,
 * without trying).  Returns 0 or a storage error.
 */
static int
eng__deliver_or_bury(struct eng *e, const char *to, const char *sender,
                     const json_t *msg, int64_t hops, const char *why)
{
    int err = why ? AD_OK : eng__deliver(e, to, sender, msg, hops, NULL);
    if (why == NULL && (why = eng__undeliverable(err)) == NULL)
        return err;
    char *body = eng__dump(msg);
    err = body ? store_dead_letter_add(e->st, sender, to, why, body,
                                       strlen(body), ad_now_ms())
               : AD_ENOMEM;
    free(body);
    return err;
}

/* ---- group commit ---- */

struct eng_group *
eng_group_new(void)
{
    struct eng_group *g = calloc(1, sizeof *g);
    if (g == NULL)
        return NULL;
    pthread_mutex_init(&g->write_mu, NULL);
    pthread_mutex_init(&g->mu, NULL);
    g->tail = &g->head;
    return g;
}

void
eng_group_free(struct eng_group *g)
{
    if (g == NULL)
        return;
    eng_close(g->conn);
    pthread_mutex_destroy(&g->mu);
    pthread_mutex_destroy(&g->write_mu);
    free(g);
}

/* Sends msg to name in a transaction of its own. */
static int
eng__send_alone(struct eng *e, const char *name, const json_t *msg,
                int64_t *seq)
{
    int err = store_begin(e->st);
    if (err != AD_OK)
        return err;
    err = eng__deliver(e, name, NULL, msg, 0, seq);
    if (err != AD_OK) {
        store_rollback(e->st);
        return err;
    }
    /* Commit before the caller replies 202. */
    return store_commit(e->st);
}

/* 1 when err refuses one message and wrote nothing of it, so the others
 * of a batch may still commit. */
static int
eng__refusal(int err)
{
    return err == AD_ENOTFOUND || err == AD_EDEAD || err == AD_EMAILBOX ||
           err == AD_ETOOLARGE;
}

/* Delivers the batch list in one transaction and sets each one's err and
 * seq.  When the transaction cannot begin or commit (busy, full), that is
 * every one's answer; when one message meets a storage error, each is
 * sent alone instead, so that error is its own. */
static void
eng__send_batch(struct eng *e, struct group_send *list)
{
    int err = store_begin(e->st);
    int failed_in = 0;
    for (struct group_send *g = list; g && err == AD_OK; g = g->next) {
        g->err = eng__deliver(e, g->name, NULL, g->msg, 0, &g->seq);
        if (g->err != AD_OK && !eng__refusal(g->err))
            err = g->err, failed_in = 1;
    }
    if (err == AD_OK)
        err = store_commit(e->st); /* before any of them replies 202 */
    else
        store_rollback(e->st);
    for (struct group_send *g = list; g && err != AD_OK; g = g->next)
        g->err = failed_in && list->next
                     ? eng__send_alone(e, g->name, g->msg, &g->seq)
                     : err;
}

int
eng_send(struct eng *e, const char *name, const json_t *msg, int64_t *seq)
{
    struct eng_group *grp = e->opts.group;
    if (grp == NULL)
        return eng__send_alone(e, name, msg, seq);
    struct group_send me = {.name = name, .msg = msg};
    pthread_cond_init(&me.wake, NULL);
    pthread_mutex_lock(&grp->mu);
    *grp->tail = &me;
    grp->tail = &me.next;
    while (!me.done) {
        if (grp->leading) {
            pthread_cond_wait(&me.wake, &grp->mu);
            continue;
        }
        /* Lead: commit everything queued so far, this send included, on
         * the group's connection. */
        struct group_send *batch = grp->head;
        grp->head = NULL;
        grp->tail = &grp->head;
        grp->leading = 1;
        pthread_mutex_unlock(&grp->mu);
        if (grp->conn == NULL && e->path != NULL)
            eng_open(e->path, &e->opts, &grp->conn);
        eng__send_batch(grp->conn ? grp->conn : e, batch);
        pthread_mutex_lock(&grp->mu);
        /* Each one's thread waits for the mutex before it may return. */
        for (struct group_send *g = batch; g; g = g->next) {
            g->done = 1;
            if (g != &me)
                pthread_cond_signal(&g->wake);
        }
        grp->leading = 0;
        if (grp->head != NULL)
            pthread_cond_signal(&grp->head->wake); /* the next leader */
    }
    pthread_mutex_unlock(&grp->mu);
    pthread_cond_destroy(&me.wake);
    if (seq)
        *seq = me.seq;
    return me.err;
}

int
eng_send_many(struct eng *e, const char *const *names, json_t *const *msgs,
              size_t n, int dry_run, int *errs, int64_t *seqs)
{
    int err = store_begin(e->st);
    if (err != AD_OK)
        return err;
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t seq = 0;
        errs[i] = eng__deliver(e, names[i], NULL, msgs[i], 0, &seq);
        if (seqs)
            seqs[i] = seq;
        if (eng__refusal(errs[i])) {
            bad = 1;
        } else if (errs[i] != AD_OK) { /* storage errors end the batch */
            store_rollback(e->st);
            return errs[i];
        }
    }
    if (bad || dry_run) {
        store_rollback(e->st);
        return bad ? AD_EINVAL : AD_OK;
    }
    return store_commit(e->st);
}

/* ---- spawning ---- */

/* Checks behaviour name and args (borrowed, object or NULL); sets *b. */
static int
eng__check_spawn(const char *behavior, const json_t *args,
                 const struct behavior **b, const char **why)
{
    *b = eng__behavior(behavior);
    if (*b == NULL)
        return AD_EBEHAVIOR;
    if (args != NULL && !json_is_object(args)) {
        if (why)
            *why = "args must be an object";
        return AD_EBADARGS;
    }
    if ((*b)->check_args) {
        json_t *empty = args ? NULL : json_object();
        const char *w = (*b)->check_args(args ? args : empty);
        json_decref(empty);
        if (w != NULL) {
            if (why)
                *why = w;
            return AD_EBADARGS;
        }
    }
    return AD_OK;
}

/*
 * Inserts a runnable actor name of behaviour b with args, inside the
 * caller's write transaction.  An ended actor of that name is replaced;
 * a live one is AD_EEXISTS.
 */
static int
eng__create(struct eng *e, const char *name, const struct behavior *b,
            const json_t *args, int64_t *new_id)
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
        .created = now,
        .updated = now,
    };
    err = store_actor_insert(e->st, &a);
    free(args_text);
    if (err == AD_OK && new_id)
        *new_id = a.id;
    return err;
}

int
eng_spawn(struct eng *e, const char *name, const char *behavior,
          const json_t *args, json_t **doc, const char **why)
{
    return eng_spawn_watched(e, name, behavior, args, NULL, doc, why);
}

int
eng_spawn_watched(struct eng *e, const char *name, const char *behavior,
                  const json_t *args, const json_t *monitors, json_t **doc,
                  const char **why)
{
    const struct behavior *b;
    int err = eng__check_spawn(behavior, args, &b, why);
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
    err = store_begin(e->st);
    if (err != AD_OK)
        return err;
    char gen[32];
    int64_t id = 0;
    for (int tries = 0;; tries++) {
        if (name == NULL)
            eng__random_name(gen, sizeof gen);
        err = eng__create(e, name ? name : gen, b, args, &id);
        if (err != AD_EEXISTS || name != NULL || tries == 8)
            break;
    }
    /* The watches are made in the same transaction: an unknown watcher
     * leaves nothing behind. */
    json_array_foreach(monitors, i, w)
    {
        if (err != AD_OK)
            break;
        int64_t wid;
        enum store_status ws;
        err = store_actor_peek(e->st, json_string_value(w), &wid, &ws,
                               NULL, NULL);
        if (err == AD_ENOTFOUND && why)
            *why = "a name in monitors is not an actor";
        if (err == AD_OK)
            err = store_monitor_add(e->st, id, wid);
    }
    if (err == AD_OK)
        err = eng__doc_by_name(e, name ? name : gen, doc);
    if (err != AD_OK) {
        store_rollback(e->st);
        return err;
    }
    err = store_commit(e->st);
    if (err != AD_OK) {
        json_decref(*doc);
        *doc = NULL;
    }
    return err;
}

/* ---- monitors ---- */

/* Returns the new notice that the actor name ended, {key: value,
 * "address": {"$address": name}} (value borrowed), or NULL. */
static json_t *
eng__notice(const char *key, const json_t *value, const char *name)
{
    return json_pack("{s:O, s:{s:s}}", key, value, "address", "$address",
                     name);
}

/*
 * Tells every watcher of the actor id (named name) that it ended: notice
 * is {"exit": RESULT, "address": A} or {"exception": ERROR, "address":
 * A} with key and value (borrowed).  A watcher that has ended gets a
 * dead letter instead.  Inside the caller's write transaction.
 */
static int
eng__notify(struct eng *e, int64_t id, const char *name, const char *key,
            const json_t *value)
{
    char **watchers = NULL;
    size_t n = 0;
    int err = store_monitor_take(e->st, id, &watchers, &n);
    if (err != AD_OK || n == 0)
        return err;
    json_t *notice = eng__notice(key, value, name);
    if (notice == NULL)
        err = AD_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        if (err == AD_OK)
            err = eng__deliver_or_bury(e, watchers[i], name, notice, 0, NULL);
        free(watchers[i]);
    }
    free(watchers);
    json_decref(notice);
    return err;
}

/* The exception a killed actor's watchers are told. */
static json_t *
eng__killed_error(void)
{
    return json_pack("{s:s, s:s}", "error", "killed", "message",
                     "the actor was killed");
}

static int
eng__queue_push(struct kill_queue *q, int64_t id)
{
    if (q->n == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 8;
        int64_t *ids = realloc(q->ids, cap * sizeof *ids);
        if (ids == NULL)
            return AD_ENOMEM;
        q->ids = ids;
        q->cap = cap;
    }
    q->ids[q->n++] = id;
    return AD_OK;
}

/*
 * After the actor id (named name) ended, in the caller's transaction:
 * tells its watchers (notice key: value, borrowed), and its linked
 * actors: each is sent the notice, except that when the end was abnormal
 * (failed or killed) one that does not trap exits is queued on q to be
 * killed too.  A notice to an ended actor becomes a dead letter.  ties
 * (STORE_TIE_* bits) says which of timers, watchers and links to look
 * for: a plain actor ends without a query for any.
 */
static int
eng__ended(struct eng *e, int64_t id, const char *name, const char *key,
           const json_t *value, int abnormal, int ties, struct kill_queue *q)
{
    /* Its timers end with it. */
    int err = AD_OK;
    if (ties & STORE_TIE_TIMERS)
        err = store_timer_forget(e->st, id);
    if (err == AD_OK && (ties & STORE_TIE_MONITORS))
        err = eng__notify(e, id, name, key, value);
    struct store_link *links = NULL;
    size_t n = 0;
    if (err == AD_OK && (ties & STORE_TIE_LINKS))
        err = store_link_take(e->st, id, &links, &n);
    if (err != AD_OK || n == 0)
        return err;
    json_t *notice = eng__notice(key, value, name);
    if (notice == NULL)
        err = AD_ENOMEM;
    for (size_t i = 0; i < n && err == AD_OK; i++) {
        if (abnormal && !links[i].trap_exit) {
            err = eng__queue_push(q, links[i].id);
            continue;
        }
        err = eng__deliver_or_bury(e, links[i].name, name, notice, 0, NULL);
    }
    json_decref(notice);
    store_links_free(links, n);
    return err;
}

/*
 * Ends row (in memory: the caller saves it) with status exited, failed or
 * killed and value (borrowed) as its result or error, inside the
 * caller's transaction: its unread mail becomes dead letters and its
 * watchers and links are told (see eng__ended).
 */
static int
eng__end(struct eng *e, struct store_actor *row, enum store_status status,
         const json_t *value, struct kill_queue *q)
{
    int exited = status == STORE_EXITED;
    free(row->waiting_for);
    row->waiting_for = NULL;
    row->scanned = 0;
    row->deadline = 0;
    row->status = status;
    /* What is stored now, not what row says: the step may have sent to
     * itself or tied itself since row was loaded. */
    int64_t queued = 0;
    int ties = 0;
    int err = eng__set_text(exited ? &row->result : &row->error, value);
    if (err == AD_OK)
        err = store_actor_ties(e->st, row->id, &queued, &ties);
    if (err == AD_OK && queued - row->taken > 0)
        err = store_mailbox_bury(e->st, row->id, row->name,
                                 exited                     ? "unread at exit"
                                 : status == STORE_KILLED ? "unread at kill"
                                                          : "unread at failure",
                                 row->updated);
    /* The stored count is 0 now, whatever the step took. */
    if (queued - row->taken > 0)
        row->taken = 0;
    if (err == AD_OK)
        err = eng__ended(e, row->id, row->name, exited ? "exit" : "exception",
                         value, !exited, ties, q);
    return err;
}

/*
 * Kills the actor id, inside the caller's transaction: status killed, its
 * mailbox buried, its watchers and links told (linked actors that do not
 * trap exits are queued on q).  AD_EDEAD when it had ended already.  The
 * actor whose step is running is only marked; its step ends it.
 */
static int
eng__kill_id(struct eng *e, int64_t id, struct kill_queue *q)
{
    if (id == e->running) {
        e->running_killed = 1;
        return AD_OK;
    }
    struct store_actor a = {0};
    int err = store_actor_by_id(e->st, id, &a);
    if (err != AD_OK)
        return err;
    if (store_status_ended(a.status)) {
        store_actor_release(&a);
        return AD_EDEAD;
    }
    a.updated = ad_now_ms();
    json_t *killed = eng__killed_error();
    err = killed ? eng__end(e, &a, STORE_KILLED, killed, q) : AD_ENOMEM;
    json_decref(killed);
    if (err == AD_OK)
        err = store_actor_save(e->st, &a);
    store_actor_release(&a);
    return err;
}

/* Kills every actor queued on q, and those their links queue, and frees
 * the queue. */
static int
eng__kill_queued(struct eng *e, struct kill_queue *q)
{
    int err = AD_OK;
    while (q->n > 0 && err == AD_OK) {
        err = eng__kill_id(e, q->ids[--q->n], q);
        if (err == AD_EDEAD || err == AD_ENOTFOUND)
            err = AD_OK;
    }
    free(q->ids);
    memset(q, 0, sizeof *q);
    return err;
}

/* ---- timers ---- */

#define TIMERS_PER_TXN 256

/*
 * Fires up to TIMERS_PER_TXN timers due at now, inside the caller's
 * transaction: each message is delivered from the timer's owner (a dead
 * letter when the target is unknown or ended).  A repeating timer that
 * missed periods fires once and moves to its next due time after now.
 * *fired counts them.
 */
static int
eng__fire_timers(struct eng *e, int64_t now, long *fired)
{
    struct store_timer *t = NULL;
    size_t n = 0;
    *fired = 0;
    int err = store_timer_due(e->st, now, TIMERS_PER_TXN, &t, &n);
    for (size_t i = 0; i < n && err == AD_OK; i++) {
        json_t *msg = json_loads(t[i].body, JSON_DECODE_ANY, NULL);
        err = msg ? eng__deliver(e, t[i].target, t[i].owner, msg, 0, NULL)
                  : AD_EINVAL;
        json_decref(msg);
        const char *why = eng__undeliverable(err);
        if (why != NULL)
            err = store_dead_letter_add(e->st, t[i].owner, t[i].target, why,
                                        t[i].body, strlen(t[i].body), now);
        int64_t next = 0;
        if (t[i].every > 0)
            next = t[i].due + t[i].every * ((now - t[i].due) / t[i].every + 1);
        if (err == AD_OK)
            err = store_timer_fired(e->st, t[i].id, next);
        (*fired)++;
    }
    store_timers_free(t, n);
    return err;
}

/* ---- kill, list, mailbox ---- */

int
eng_kill(struct eng *e, const char *name, json_t **doc)
{
    struct store_actor a = {0};
    int err = store_begin(e->st);
    if (err != AD_OK)
        return err;
    struct kill_queue q = {0};
    err = store_actor_by_name(e->st, name, &a);
    if (err != AD_OK)
        goto fail;
    err = eng__kill_id(e, a.id, &q);
    if (err == AD_OK)
        err = eng__kill_queued(e, &q);
    free(q.ids);
    store_actor_release(&a);
    if (err == AD_OK)
        err = store_actor_by_name(e->st, name, &a);
    if (err != AD_OK)
        goto fail;
    *doc = eng__doc(&a);
    if (*doc == NULL) {
        err = AD_ENOMEM;
        goto fail;
    }
    store_actor_release(&a);
    err = store_commit(e->st);
    if (err != AD_OK) {
        json_decref(*doc);
        *doc = NULL;
    }
    return err;
fail:
    store_actor_release(&a);
    store_rollback(e->st);
    return err;
}

struct list_ctx {
    json_t *actors; /* borrowed */
    const char *last; /* name of the last actor added, borrowed from list */
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

int
eng_list(struct eng *e, const char *behavior, const char *status,
         const char *after, int limit, json_t **out)
{
    enum store_status st;
    if (status && store_status_parse(status, &st) != AD_OK)
        return AD_EINVAL;
    if (limit <= 0)
        return AD_EINVAL;
    struct list_ctx lc = {.actors = json_array()};
    if (lc.actors == NULL)
        return AD_ENOMEM;
    int more = 0;
    int err = store_begin_read(e->st);
    if (err == AD_OK)
        err = store_actor_list(e->st, behavior, status, after, limit,
                               eng__list_one, &lc, &more);
    store_rollback(e->st);
    if (err != AD_OK) {
        json_decref(lc.actors);
        return err;
    }
    *out = json_pack("{s:o, s:s?}", "actors", lc.actors, "next",
                     more ? lc.last : NULL);
    return *out ? AD_OK : AD_ENOMEM;
}

struct mailbox_ctx {
    json_t *messages; /* borrowed */
};

static int
eng__mailbox_one(void *ctx, int64_t seq, const char *sender,
                 const char *body, size_t len, int64_t hops)
{
    (void)hops;
    struct mailbox_ctx *mc = ctx;
    json_t *b = json_loadb(body, len, JSON_DECODE_ANY, NULL);
    json_t *m = json_pack("{s:I, s:s?, s:o}", "seq", (json_int_t)seq, "from",
                          sender, "body", b ? b : json_string(body));
    if (m == NULL || json_array_append_new(mc->messages, m) != 0)
        return AD_ENOMEM;
    return AD_OK;
}

int
eng_mailbox(struct eng *e, const char *name, int64_t after, int limit,
            json_t **out)
{
    struct mailbox_ctx mc = {.messages = json_array()};
    if (mc.messages == NULL)
        return AD_ENOMEM;
    int64_t id;
    enum store_status status;
    int err = store_begin_read(e->st);
    if (err == AD_OK)
        err = store_actor_peek(e->st, name, &id, &status, NULL, NULL);
    if (err == AD_OK)
        err = store_mailbox_scan(e->st, id, after, limit, eng__mailbox_one,
                                 &mc);
    store_rollback(e->st);
    if (err != AD_OK) {
        json_decref(mc.messages);
        return err;
    }
    *out = json_pack("{s:o}", "messages", mc.messages);
    return *out ? AD_OK : AD_ENOMEM;
}

/* ---- dead letters ---- */

struct dead_ctx {
    json_t *list;     /* borrowed */
    int64_t last;     /* seq of the last one added */
};

static int
eng__dead_one(void *ctx, const struct store_dead *d)
{
    struct dead_ctx *dc = ctx;
    char time[AD_TIME_LEN];
    json_t *b = json_loadb(d->body, d->body_len, JSON_DECODE_ANY, NULL);
    json_t *v = json_pack("{s:I, s:s?, s:s, s:s, s:o, s:s}", "seq",
                          (json_int_t)d->seq, "from", d->sender, "to",
                          d->target, "reason", d->reason, "body",
                          b ? b : json_string(d->body), "time",
                          ad_time_iso(d->created, time));
    if (v == NULL || json_array_append_new(dc->list, v) != 0)
        return AD_ENOMEM;
    dc->last = d->seq;
    return AD_OK;
}

int
eng_dead_letters(struct eng *e, int64_t after, int limit, json_t **out)
{
    if (limit <= 0)
        return AD_EINVAL;
    struct dead_ctx dc = {.list = json_array()};
    if (dc.list == NULL)
        return AD_ENOMEM;
    int more = 0;
    int err = store_begin_read(e->st);
    if (err == AD_OK)
        err = store_dead_letter_list(e->st, after, limit, eng__dead_one, &dc,
                                     &more);
    store_rollback(e->st);
    if (err != AD_OK) {
        json_decref(dc.list);
        return err;
    }
    *out = more ? json_pack("{s:o, s:I}", "dead_letters", dc.list, "next",
                            (json_int_t)dc.last)
                : json_pack("{s:o, s:n}", "dead_letters", dc.list, "next");
    return *out ? AD_OK : AD_ENOMEM;
}

int
eng_dead_letters_collect(struct eng *e, int64_t upto, int64_t *n)
{
    int err = store_begin(e->st);
    if (err != AD_OK)
        return err;
    err = store_dead_letter_collect(e->st, upto, n);
    if (err != AD_OK) {
        store_rollback(e->st);
        return err;
    }
    return store_commit(e->st);
}

/* ---- calls from outside ---- */

/* The behaviour name of the mailboxes that wait for a REST call's reply:
 * not in the registry, never run (they wait in no receive). */
#define REPLY_BOX "_reply"

int
eng_call_begin(struct eng *e, const char *name, const char *method,
               const json_t *payload, char *box, char *call_id)
{
    snprintf(call_id, ENG_CALL_ID_LEN, "%016llx", eng__random64());
    snprintf(box, ENG_CALL_ID_LEN + 8, "_call-%s", call_id);
    int err = store_begin(e->st);
    if (err != AD_OK)
        return err;
    int64_t id;
    enum store_status status;
    err = store_actor_peek(e->st, name, &id, &status, NULL, NULL);
    if (err == AD_OK && store_status_ended(status))
        err = AD_EDEAD;
    int64_t now = ad_now_ms();
    struct store_actor a = {.name = box,
                            .behavior = REPLY_BOX,
                            .version = 1,
                            .status = STORE_WAITING,
                            .created = now,
                            .updated = now};
    if (err == AD_OK)
        err = store_actor_insert(e->st, &a);
    json_t *call = json_pack("{s:s, s:s, s:{s:s}, s:O?}", "call", call_id,
                             "method", method, "address", "$address", box,
                             "message", payload);
    if (err == AD_OK)
        err = call ? eng__deliver(e, name, NULL, call, 0, NULL) : AD_ENOMEM;
    json_decref(call);
    if (err != AD_OK) {
        store_rollback(e->st);
        return err;
    }
    /* Commit before waiting: the call is durable like any message. */
    return store_commit(e->st);
}

struct reply_ctx {
    json_t *reply; /* new: the first message of the box, or NULL */
};

static int
eng__reply_one(void *ctx, int64_t seq, const char *sender, const char *body,
               size_t len, int64_t hops)
{
    (void)seq;
    (void)hops;
    (void)sender;
    struct reply_ctx *rc = ctx;
    rc->reply = json_loadb(body, len, JSON_DECODE_ANY, NULL);
    return 1;
}

int
eng_call_poll(struct eng *e, const char *name, const char *box,
              json_t **reply)
{
    struct reply_ctx rc = {0};
    int64_t id, tid;
    enum store_status status, tstatus;
    *reply = NULL;
    int err = store_begin_read(e->st);
    if (err == AD_OK)
        err = store_actor_peek(e->st, box, &id, &status, NULL, NULL);
    if (err == AD_OK)
        err = store_mailbox_scan(e->st, id, 0, 1, eng__reply_one, &rc);
    if (err == AD_OK && rc.reply == NULL) {
        /* No answer yet: a target that has ended will never give one. */
        int terr =
            store_actor_peek(e->st, name, &tid, &tstatus, NULL, NULL);
        if (terr == AD_ENOTFOUND ||
            (terr == AD_OK && store_status_ended(tstatus)))
            err = AD_EDEAD;
    }
    store_rollback(e->st);
    *reply = rc.reply;
    return err;
}

int
eng_call_end(struct eng *e, const char *box)
{
    int err = store_begin(e->st);
    if (err != AD_OK)
        return err;
    int64_t id;
    enum store_status status;
    err = store_actor_peek(e->st, box, &id, &status, NULL, NULL);
    /* The box goes, mailbox included: a late reply finds no actor and
     * becomes a dead letter. */
    if (err == AD_OK)
        err = store_actor_remove(e->st, id);
    if (err != AD_OK) {
        store_rollback(e->st);
        return err == AD_ENOTFOUND ? AD_OK : err;
    }
    return store_commit(e->st);
}

/* ---- the behaviour API ---- */

int
actor_resume_point(struct actor *a)
{
    return a->row->resume;
}

const char *
actor_name(struct actor *a)
{
    return a->row->name;
}

json_t *
actor_self(struct actor *a)
{
    return json_pack("{s:s}", "$address", a->row->name);
}

const json_t *
actor_args(struct actor *a)
{
    return a->args;
}

json_t *
actor_state(struct actor *a)
{
    return a->state;
}

void
actor_set_state(struct actor *a, json_t *state)
{
    WD_GUARD;
    if (!json_is_object(state)) {
        json_decref(state);
        return;
    }
    json_decref(a->state);
    a->state = state;
}

const json_t *
actor_message(struct actor *a)
{
    return a->msg;
}

int
actor_matched(struct actor *a)
{
    return a->matched;
}

int
actor_send(struct actor *a, const json_t *to, json_t *msg)
{
    WD_GUARD;
    const char *name = actor_address_name(to);
    if (name == NULL || msg == NULL) {
        json_decref(msg);
        return -1;
    }
    if (a->err == AD_OK) {
        struct eng *e = a->e;
        int64_t hops = a->hops + 1;
        /* The sender cannot know whether it arrives: what cannot be
         * delivered becomes a dead letter. */
        a->err = eng__deliver_or_bury(
            e, name, a->row->name, msg, hops,
            e->opts.max_hops > 0 && hops > e->opts.max_hops ? "hop limit"
                                                            : NULL);
        if (a->err == AD_ETOOLARGE) {
            /* Storing it, even as a dead letter, would take what the
             * limit protects: the step is undone and the actor fails
             * (see eng_run). */
            eng__abort(e, a->row->id, "message_too_large",
                       "a message to %s is over the limit of %lld bytes",
                       name, e->opts.max_message);
            a->err = ENG__ABORTED;
        }
    }
    json_decref(msg);
    return 0;
}

json_t *
actor_spawn(struct actor *a, const char *behavior, json_t *args)
{
    WD_GUARD;
    const struct behavior *b;
    json_t *addr = NULL;
    if (a->err != AD_OK ||
        eng__check_spawn(behavior, args, &b, NULL) != AD_OK)
        goto out;
    for (int tries = 0; tries < 100; tries++) {
        char name[AD_NAME_MAX + 32];
        a->row->spawned++;
        int n = snprintf(name, sizeof name, "%s.%lld", a->row->name,
                         (long long)a->row->spawned);
        if (n < 0 || n > AD_NAME_MAX)
            eng__random_name(name, sizeof name);
        int err = eng__create(a->e, name, b, args, NULL);
        if (err == AD_EEXISTS)
            continue;
        if (err != AD_OK) {
            a->err = err;
            break;
        }
        addr = json_pack("{s:s}", "$address", name);
        if (addr == NULL)
            a->err = AD_ENOMEM;
        break;
    }
out:
    json_decref(args);
    return addr;
}

/*
 * What watching or linking to a target that is gone tells at once: for
 * the actor *t when it has ended, or for no actor (found 0), sets *key to
 * "exit" or "exception" and returns a new reference to the value.
 * Returns NULL (and sets nothing) when t is live.
 */
static json_t *
eng__gone_value(int found, const struct store_actor *t, const char **key)
{
    *key = "exception";
    if (!found)
        return json_pack("{s:s, s:s}", "error", "no_such_actor", "message",
                         "no such actor");
    if (t->status == STORE_EXITED) {
        *key = "exit";
        return eng__load(t->result);
    }
    if (!store_status_ended(t->status))
        return NULL;
    return t->status == STORE_KILLED ? eng__killed_error()
                                     : eng__load(t->error);
}

int
actor_monitor(struct actor *a, const json_t *target)
{
    WD_GUARD;
    const char *name = actor_address_name(target);
    if (name == NULL)
        return -1;
    if (a->err != AD_OK)
        return 0;
    struct store_actor t = {0};
    int err = store_actor_by_name(a->e->st, name, &t);
    json_t *notice = NULL;
    const char *key;
    json_t *value = err == AD_OK || err == AD_ENOTFOUND
                        ? eng__gone_value(err == AD_OK, &t, &key)
                        : NULL;
    if (value != NULL) {
        notice = eng__notice(key, value, name);
        json_decref(value);
        err = notice ? AD_OK : AD_ENOMEM;
    } else if (err == AD_OK) {
        err = store_monitor_add(a->e->st, t.id, a->row->id);
    }
    /* Watching an actor that has ended (or never was): told at once. */
    if (err == AD_OK && notice != NULL)
        err = eng__deliver_or_bury(a->e, a->row->name, name, notice, 0, NULL);
    json_decref(notice);
    store_actor_release(&t);
    a->err = err;
    return 0;
}

int
actor_link(struct actor *a, const json_t *target)
{
    WD_GUARD;
    const char *name = actor_address_name(target);
    if (name == NULL)
        return -1;
    if (a->err != AD_OK)
        return 0;
    struct store_actor t = {0};
    const char *key = "exception";
    int err = store_actor_by_name(a->e->st, name, &t);
    json_t *value = err == AD_OK || err == AD_ENOTFOUND
                        ? eng__gone_value(err == AD_OK, &t, &key)
                        : NULL;
    if (err == AD_ENOTFOUND)
        err = value ? AD_OK : AD_ENOMEM;
    else if (err == AD_OK && value == NULL && t.id != a->row->id)
        err = store_link_add(a->e->st, t.id, a->row->id);
    /* Linking to an actor that has ended (or never was) acts at once, as
     * if it ended now: a notice, or, abnormally and not trapping exits,
     * the end of this actor. */
    if (err == AD_OK && value != NULL) {
        int traps = 0;
        err = store_trap_exit(a->e->st, a->row->id, &traps);
        if (err == AD_OK && strcmp(key, "exception") == 0 && !traps) {
            a->e->running_killed = 1;
        } else if (err == AD_OK) {
            json_t *notice = eng__notice(key, value, name);
            err = notice ? eng__deliver_or_bury(a->e, a->row->name, name,
                                                notice, 0, NULL)
                         : AD_ENOMEM;
            json_decref(notice);
        }
    }
    json_decref(value);
    store_actor_release(&t);
    a->err = err;
    return 0;
}

int
actor_unlink(struct actor *a, const json_t *target)
{
    WD_GUARD;
    const char *name = actor_address_name(target);
    if (name == NULL)
        return -1;
    if (a->err != AD_OK)
        return 0;
    int64_t id;
    enum store_status st;
    int err = store_actor_peek(a->e->st, name, &id, &st, NULL, NULL);
    if (err == AD_OK)
        err = store_link_remove(a->e->st, id, a->row->id);
    a->err = err == AD_ENOTFOUND ? AD_OK : err;
    return 0;
}

int
actor_behavior_known(const char *name)
{
    return name != NULL && eng__behavior(name) != NULL;
}

int64_t
actor_now(struct actor *a)
{
    (void)a;
    return ad_now_ms();
}

json_t *
actor_spawn_named(struct actor *a, const char *name, const char *behavior,
                  json_t *args)
{
    WD_GUARD;
    const struct behavior *b;
    json_t *addr = NULL;
    if (a->err != AD_OK || !ad_name_valid(name, strlen(name)) ||
        eng__check_spawn(behavior, args, &b, NULL) != AD_OK)
        goto out;
    int err = eng__create(a->e, name, b, args, NULL);
    if (err == AD_OK) {
        addr = json_pack("{s:s}", "$address", name);
        if (addr == NULL)
            a->err = AD_ENOMEM;
    } else if (err != AD_EEXISTS) {
        a->err = err;
    }
out:
    json_decref(args);
    return addr;
}

/* Sends the answer {"response": ID, key: value (stolen)} to the address
 * of call (borrowed). */
static int
eng__respond(struct actor *a, const json_t *call, const char *key,
             json_t *value)
{
    WD_GUARD;
    const json_t *id = json_object_get(call, "call");
    const json_t *to = json_object_get(call, "address");
    if (id == NULL || actor_address_name(to) == NULL || value == NULL) {
        json_decref(value);
        return -1;
    }
    return actor_send(a, to, json_pack("{s:O, s:o}", "response", id, key,
                                       value));
}

int
actor_respond(struct actor *a, const json_t *call, json_t *result)
{
    return eng__respond(a, call, "message", result ? result : json_null());
}

int
actor_respond_exception(struct actor *a, const json_t *call, json_t *error)
{
    return eng__respond(a, call, "exception", error);
}

int
actor_respond_invalid_method(struct actor *a, const json_t *call)
{
    const json_t *m = json_object_get(call, "method");
    return eng__respond(a, call, "invalid_method",
                        m ? json_incref((json_t *)m) : json_null());
}

enum actor_step
actor_call(struct actor *a, int point, const json_t *to, const char *method,
           json_t *payload, long long timeout_ms)
{
    WD_GUARD;
    char id[AD_NAME_MAX + 40];
    snprintf(id, sizeof id, "%s/%016llx", a->row->name, eng__random64());
    json_t *self = actor_self(a);
    json_t *call = json_pack("{s:s, s:s, s:o, s:o}", "call", id, "method",
                             method ? method : "", "address", self,
                             "message", payload ? payload : json_null());
    if (call == NULL || actor_send(a, to, call) != 0)
        return actor_fail(a, "call %s: not an address", method);
    return actor_receive_timeout(
        a, point,
        json_pack("[{s:{s:s}}]", "response", "$literal", id), timeout_ms);
}

int
actor_dispatch(struct actor *a, const json_t *call,
               const struct actor_method *methods)
{
    WD_GUARD;
    const char *method = json_string_value(json_object_get(call, "method"));
    if (method == NULL || json_object_get(call, "call") == NULL)
        return -1;
    for (const struct actor_method *m = methods; m && m->name; m++) {
        if (strcmp(m->name, method) != 0)
            continue;
        json_t *exception = NULL;
        const json_t *payload = json_object_get(call, "message");
        json_t *result = m->fn(a, payload ? payload : json_null(),
                               &exception);
        if (result != NULL) {
            json_decref(exception);
            return actor_respond(a, call, result);
        }
        return actor_respond_exception(
            a, call,
            exception ? exception
                      : json_pack("{s:s}", "message", "the method failed"));
    }
    return actor_respond_invalid_method(a, call);
}

/* Longest timer delay or period: a year, in ms. */
#define TIMER_MAX_MS (366LL * 24 * 3600 * 1000)

int64_t
actor_send_after(struct actor *a, const json_t *to, json_t *msg,
                 long long ms, long long every_ms)
{
    WD_GUARD;
    const char *name = actor_address_name(to);
    int64_t id = 0;
    if (name == NULL || msg == NULL || ms < 0 || ms > TIMER_MAX_MS ||
        every_ms < 0 || every_ms > TIMER_MAX_MS || a->err != AD_OK)
        goto out;
    char *body = eng__dump(msg);
    if (body == NULL) {
        a->err = AD_ENOMEM;
        goto out;
    }
    if (a->e->opts.max_message > 0 &&
        strlen(body) > (size_t)a->e->opts.max_message) {
        free(body);
        eng__abort(a->e, a->row->id, "message_too_large",
                   "a timer's message to %s is over the limit of %lld bytes",
                   name, a->e->opts.max_message);
        a->err = ENG__ABORTED;
        goto out;
    }
    a->err = store_timer_add(a->e->st, a->row->id, name, body,
                             ad_now_ms() + ms, every_ms, &id);
    free(body);
    if (a->err != AD_OK)
        id = 0;
out:
    json_decref(msg);
    return id;
}

int
actor_cancel_timer(struct actor *a, int64_t id)
{
    WD_GUARD;
    int found = 0;
    if (a->err == AD_OK)
        a->err = store_timer_cancel(a->e->st, id, a->row->id, &found);
    return found;
}

json_t *
actor_spawn_link(struct actor *a, const char *behavior, json_t *args)
{
    WD_GUARD;
    json_t *addr = actor_spawn(a, behavior, args);
    if (addr != NULL)
        actor_link(a, addr);
    return addr;
}

void
actor_trap_exit(struct actor *a, int on)
{
    WD_GUARD;
    if (a->err == AD_OK)
        a->err = store_set_trap_exit(a->e->st, a->row->id, on);
}

int
actor_kill(struct actor *a, const json_t *target)
{
    WD_GUARD;
    const char *name = actor_address_name(target);
    if (name == NULL)
        return -1;
    if (a->err != AD_OK)
        return 0;
    int64_t id;
    enum store_status st;
    int err = store_actor_peek(a->e->st, name, &id, &st, NULL, NULL);
    if (err == AD_OK) {
        struct kill_queue q = {0};
        err = eng__kill_id(a->e, id, &q);
        if (err == AD_OK)
            err = eng__kill_queued(a->e, &q);
        free(q.ids);
    }
    /* Killing an unknown or ended actor does nothing. */
    if (err == AD_ENOTFOUND || err == AD_EDEAD)
        err = AD_OK;
    a->err = err;
    return 0;
}

json_t *
actor_spawn_monitor(struct actor *a, const char *behavior, json_t *args)
{
    WD_GUARD;
    json_t *addr = actor_spawn(a, behavior, args);
    if (addr != NULL)
        actor_monitor(a, addr);
    return addr;
}

enum actor_step
actor_receive(struct actor *a, int point, json_t *shapes)
{
    WD_GUARD;
    char why[512];
    if (!json_is_array(shapes) || json_array_size(shapes) == 0) {
        json_decref(shapes);
        return actor_fail(a, "receive needs a non-empty array of shapes");
    }
    size_t i;
    json_t *s;
    json_array_foreach(shapes, i, s)
    {
        if (shape_check(s, why, sizeof why) != 0) {
            json_decref(shapes);
            return actor_fail(a, "bad shape %zu in receive: %s", i, why);
        }
    }
    json_decref(a->shapes);
    a->shapes = shapes;
    a->point = point;
    a->deadline = 0;
    return ACTOR_WAIT;
}

/* Longest receive timeout: a year, in ms. */
#define TIMEOUT_MAX_MS (366LL * 24 * 3600 * 1000)

enum actor_step
actor_receive_timeout(struct actor *a, int point, json_t *shapes,
                      long long ms)
{
    WD_GUARD;
    if (ms < 0 || ms > TIMEOUT_MAX_MS) {
        json_decref(shapes);
        return actor_fail(a, "receive timeout %lld ms is out of range "
                             "(0 to a year)", ms);
    }
    enum actor_step r = actor_receive(a, point, shapes);
    if (r == ACTOR_WAIT)
        a->deadline = ad_now_ms() + ms;
    return r;
}

int
actor_timed_out(struct actor *a)
{
    return a->timed_out;
}

enum actor_step
actor_exit(struct actor *a, json_t *result)
{
    WD_GUARD;
    json_decref(a->result);
    a->result = result ? result : json_null();
    return ACTOR_EXIT;
}

enum actor_step
actor_fail(struct actor *a, const char *fmt, ...)
{
    WD_GUARD;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_decref(a->error);
    a->error = json_pack("{s:s}", "message", msg);
    return ACTOR_FAIL;
}

/* ---- the step ---- */

struct match_ctx {
    const json_t *shapes; /* borrowed */
    int64_t last;         /* last seq looked at that did not match */
    int64_t seq;          /* seq of the match, or 0 */
    json_t *msg;          /* new: the matched message, or NULL */
    int index;            /* the shape that matched */
    int64_t hops;         /* the matched message's hops */
};

static int
eng__match_one(void *ctx, int64_t seq, const char *sender, const char *body,
               size_t len, int64_t hops)
{
    (void)sender;
    struct match_ctx *mc = ctx;
    json_t *m = json_loadb(body, len, JSON_DECODE_ANY, NULL);
    int i = m ? shape_match_any(mc->shapes, m) : -1;
    if (i < 0) {
        json_decref(m);
        mc->last = seq;
        return AD_OK;
    }
    mc->seq = seq;
    mc->msg = m;
    mc->index = i;
    mc->hops = hops;
    return 1;
}

/* Looks through the mailbox of actor id after seq after for the first
 * message that matches one of shapes; fills mc. */
static int
eng__find(struct eng *e, int64_t id, const json_t *shapes, int64_t after,
          struct match_ctx *mc)
{
    memset(mc, 0, sizeof *mc);
    mc->shapes = shapes;
    mc->last = after;
    return store_mailbox_scan(e->st, id, after, 0, eng__match_one, mc);
}

/* Marks row stranded with an error document; the continuation, state and
 * mailbox stay as they were. */
static int
eng__strand(struct eng *e, struct store_actor *row, const char *code,
            const char *message)
{
    json_t *doc = json_pack("{s:s, s:s}", "error", code, "message", message);
    free(row->error);
    row->error = doc ? eng__dump(doc) : NULL;
    json_decref(doc);
    row->status = STORE_STRANDED;
    row->updated = ad_now_ms();
    return store_actor_save(e->st, row);
}

/*
 * Runs one step of the runnable actor id inside the caller's write
 * transaction.  Returns 0 (also when there was nothing to do) or a
 * storage error, after which the caller must roll back.
 */
static int
eng__step(struct eng *e, int64_t id)
{
    struct store_actor row = {0};
    struct actor a = {.e = e, .row = &row};
    struct match_ctx mc = {0};
    struct kill_queue q = {0};
    json_t *shapes = NULL;
    char why[256];
    int killed = 0;
    int err = store_actor_by_id(e->st, id, &row);
    if (err != AD_OK)
        return err == AD_ENOTFOUND ? AD_OK : err;
    if (row.status != STORE_RUNNABLE)
        goto out;
    const struct behavior *b = eng__behavior(row.behavior);
    if (b == NULL || b->version != row.version) {
        snprintf(why, sizeof why,
                 "behaviour %s version %d is not in this build",
                 row.behavior, row.version);
        err = eng__strand(e, &row, "unknown_behavior", why);
        goto out;
    }
    a.args = json_loads(row.args, 0, NULL);
    a.state = json_loads(row.state, 0, NULL);
    if (!json_is_object(a.args) || !json_is_object(a.state)) {
        err = eng__strand(e, &row, "bad_state",
                          "stored args or state is not a JSON object");
        goto out;
    }
    if (row.waiting_for != NULL) {
        shapes = json_loads(row.waiting_for, 0, NULL);
        if (shapes == NULL) {
            err = eng__strand(e, &row, "bad_state",
                              "stored shapes are not JSON");
            goto out;
        }
        err = eng__find(e, id, shapes, row.scanned, &mc);
        if (err != AD_OK)
            goto out;
        if (mc.msg == NULL && row.deadline > 0 &&
            row.deadline <= ad_now_ms()) {
            /* Nothing matched in time: the receive resumes timed out.  If
             * it waited for a call's reply, a late one is dead-lettered. */
            a.timed_out = 1;
            a.matched = -1;
            const char *call_id = json_string_value(json_object_get(
                json_object_get(json_array_get(shapes, 0), "response"),
                "$literal"));
            if (json_array_size(shapes) == 1 && call_id != NULL &&
                (err = store_call_abandon(e->st, id, call_id,
                                          ad_now_ms())) != AD_OK)
                goto out;
        } else if (mc.msg == NULL) {
            /* Woken, but nothing matches (yet): wait on. */
            row.status = STORE_WAITING;
            row.scanned = mc.last;
            err = store_actor_save(e->st, &row);
            goto out;
        } else {
            a.msg = mc.msg;
            mc.msg = NULL;
            a.matched = mc.index;
            a.hops = mc.hops;
        }
    }

    e->running = id;
    e->running_killed = 0;
    enum actor_step r = ACTOR_FAIL;
    if (wd_run(b->step, &a, &r) != 0) {
        /* Cut off: what the step was building may be half made, so its
         * objects are kept, never touched again. */
        e->running = 0;
        eng__abort(e, id, "step_timeout",
                   "a step of %s ran for over %d ms of CPU time and was "
                   "cut off",
                   row.behavior, e->opts.step_limit_ms);
        json_t **objs[] = {&a.args, &a.state, &a.msg,
                           &a.shapes, &a.result, &a.error};
        for (size_t i = 0; i < sizeof objs / sizeof objs[0]; i++) {
            wd_abandon(*objs[i]);
            *objs[i] = NULL;
        }
        err = ENG__ABORTED;
        goto out;
    }
    e->running = 0;
    killed = e->running_killed;
    if (a.err != AD_OK) {
        err = a.err;
        goto out;
    }
    if (killed) {
        /* A link (or the actor itself, through actor_kill) killed it
         * during the step: what the step did stands, and it ends killed. */
        json_decref(a.error);
        a.error = eng__killed_error();
        r = ACTOR_FAIL;
    }
    if (r == ACTOR_STRANDED) {
        snprintf(why, sizeof why, "resume point %d of %s is not in this build",
                 row.resume, row.behavior);
        err = eng__strand(e, &row, "unknown_resume_point", why);
        goto out;
    }
    if (r == ACTOR_WAIT && a.shapes == NULL)
        r = actor_fail(&a, "the step returned without a receive");
    else if (r == ACTOR_EXIT && a.result == NULL)
        r = actor_exit(&a, NULL);
    else if (r == ACTOR_FAIL && a.error == NULL)
        r = actor_fail(&a, "the step failed");
    else if (r != ACTOR_WAIT && r != ACTOR_EXIT && r != ACTOR_FAIL)
        r = actor_fail(&a, "the step returned %d", (int)r);
    if (mc.seq != 0) {
        if ((err = store_mailbox_take(e->st, mc.seq)) != AD_OK)
            goto out;
        row.taken = 1;
    }
    row.updated = ad_now_ms();
    if ((err = eng__set_text(&row.state, a.state)) != AD_OK)
        goto out;
    if (e->opts.max_state > 0 &&
        strlen(row.state) > (size_t)e->opts.max_state) {
        eng__abort(e, id, "state_too_large",
                   "the state of %s would be %zu bytes, over the limit of "
                   "%lld",
                   row.name, strlen(row.state), e->opts.max_state);
        err = ENG__ABORTED;
        goto out;
    }
    if (r == ACTOR_WAIT) {
        char *text = eng__dump(a.shapes);
        if (text == NULL) {
            err = AD_ENOMEM;
            goto out;
        }
        /* Same shapes as before: what was already looked at cannot match
         * now either, so the scan goes on from the consumed message. */
        int64_t from = row.waiting_for && mc.seq &&
                               strcmp(text, row.waiting_for) == 0
                           ? mc.seq
                           : 0;
        free(row.waiting_for);
        row.waiting_for = text;
        row.waiting_inline = eng__shapes_inline(text);
        row.resume = a.point;
        struct match_ctx next;
        err = eng__find(e, id, a.shapes, from, &next);
        json_decref(next.msg);
        if (err != AD_OK)
            goto out;
        row.deadline = a.deadline;
        row.status = next.seq || (a.deadline > 0 && a.deadline <= row.updated)
                         ? STORE_RUNNABLE
                         : STORE_WAITING;
        row.scanned = next.last;
    } else {
        err = r == ACTOR_EXIT ? eng__end(e, &row, STORE_EXITED, a.result, &q)
              : eng__end(e, &row, killed ? STORE_KILLED : STORE_FAILED,
                         a.error, &q);
        if (err != AD_OK)
            goto out;
    }
    err = store_actor_save(e->st, &row);
    if (err == AD_OK)
        err = eng__kill_queued(e, &q);
out:
    e->running = 0;
    free(q.ids);
    json_decref(shapes);
    json_decref(mc.msg);
    json_decref(a.args);
    json_decref(a.state);
    json_decref(a.msg);
    json_decref(a.shapes);
    json_decref(a.result);
    json_decref(a.error);
    store_actor_release(&row);
    return err;
}

/*
 * After the step of e->abort_id was undone (rolled back to its
 * savepoint), inside the caller's transaction: fails that actor with the
 * error {"error": CODE, "message": TEXT}.  The message the step took is
 * back in its mailbox, so it becomes a dead letter with the rest:
 * nothing is lost.
 */
static int
eng__fail_aborted(struct eng *e)
{
    struct store_actor row = {0};
    struct kill_queue q = {0};
    int64_t id = e->abort_id;
    e->abort_id = 0;
    json_t *error = json_pack("{s:s, s:s}", "error", e->abort_code,
                              "message", e->abort_msg);
    int err = error ? store_actor_by_id(e->st, id, &row) : AD_ENOMEM;
    if (err == AD_OK && !store_status_ended(row.status)) {
        row.updated = ad_now_ms();
        err = eng__end(e, &row, STORE_FAILED, error, &q);
        if (err == AD_OK)
            err = store_actor_save(e->st, &row);
        if (err == AD_OK)
            err = eng__kill_queued(e, &q);
    }
    free(q.ids);
    store_actor_release(&row);
    json_decref(error);
    return err == AD_ENOTFOUND ? AD_OK : err;
}

/*
 * Runs the step of id as eng__step does; when e->careful, under a
 * savepoint, so that a step to be undone is undone alone and its actor
 * fails in the same transaction.  Without care, ENG__ABORTED leaves the
 * caller to roll back and run the transaction again with care: a
 * savepoint per step costs, and steps are rarely undone.
 */
static int
eng__step_guarded(struct eng *e, int64_t id)
{
    if (!e->careful)
        return eng__step(e, id);
    int err = store_savepoint(e->st);
    if (err != AD_OK)
        return err;
    err = eng__step(e, id);
    if (err == ENG__ABORTED) {
        err = store_savepoint_undo(e->st);
        if (err == AD_OK)
            err = eng__fail_aborted(e);
        return err;
    }
    int kept = store_savepoint_keep(e->st);
    return err != AD_OK ? err : kept;
}

static int eng__run(struct eng *e, long max_steps, int64_t max_ms,
                    long *steps);

int
eng_run(struct eng *e, long max_steps, int64_t max_ms, long *steps)
{
    /* Steps run under the watchdog; without a timer they simply run. */
    wd_start(e->opts.step_limit_ms);
    return eng__run(e, max_steps, max_ms, steps);
}

/* eng_run without the watchdog's start and stop. */
static int
eng__run(struct eng *e, long max_steps, int64_t max_ms, long *steps)
{
    int64_t start = ad_mono_ms();
    long done = 0;
    int err = AD_OK;
    if (steps)
        *steps = 0;
    for (;;) {
        /* The time budget never stops the first step: a run with work
         * always makes progress. */
        if ((max_steps > 0 && done >= max_steps) ||
            (max_ms > 0 && done > 0 && ad_mono_ms() - start >= max_ms))
            break;
        err = store_begin(e->st);
        if (err != AD_OK)
            return err;
        /* Receives whose deadline has passed become runnable, and due
         * timers send their messages: looked for at most every
         * ENG__DUE_EVERY_MS, not in every transaction (two statements,
         * a fifth of a step that commits alone). */
        int64_t now = ad_now_ms(), woken = 0;
        long fired = 0;
        if (now - e->due_checked >= ENG__DUE_EVERY_MS ||
            now < e->due_checked) {
            e->due_checked = now;
            err = store_fire_due(e->st, now, &woken);
            if (err == AD_OK)
                err = eng__fire_timers(e, now, &fired);
            if (err != AD_OK || fired == TIMERS_PER_TXN)
                e->due_checked = 0; /* more may be due: look again */
        }
        if (err != AD_OK) {
            store_rollback(e->st);
            return err;
        }
        int64_t t0 = ad_mono_ms();
        long in_tx = 0;
        int idle = 0;
        for (;;) {
            long room = e->opts.batch_steps - in_tx;
            if (max_steps > 0 && max_steps - done - in_tx < room)
                room = max_steps - done - in_tx;
            int64_t t = ad_mono_ms();
            if (room <= 0 || t - t0 >= e->opts.batch_ms ||
                (max_ms > 0 && done + in_tx > 0 && t - start >= max_ms))
                break;
            int64_t ids[RUNQ_FETCH];
            int n = 0;
            err = store_runnable(e->st, ids,
                                 room < RUNQ_FETCH ? (int)room : RUNQ_FETCH,
                                 &n);
            if (err != AD_OK)
                break;
            if (n == 0) {
                idle = 1;
                break;
            }
            for (int i = 0; i < n && err == AD_OK; i++)
                err = eng__step_guarded(e, ids[i]);
            if (err != AD_OK)
                break;
            in_tx += n;
        }
        if (err == ENG__ABORTED) {
            /* Run the transaction again, each step under a savepoint. */
            store_rollback(e->st);
            e->abort_id = 0;
            e->careful = 1;
            continue;
        }
        e->careful = 0;
        if (err != AD_OK) {
            store_rollback(e->st);
            return err;
        }
        if (in_tx == 0 && fired == 0) {
            store_rollback(e->st);
            break;
        }
        err = store_commit(e->st);
        if (err != AD_OK)
            return err;
        done += in_tx;
        if (steps)
            *steps = done;
        if (idle)
            break;
    }
    return AD_OK;
}
