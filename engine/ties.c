/*
 * ties.c - what ties actors together and how an actor ends: watchers
 * (monitors) and links are told, unread mail is buried, timers go, and
 * linked actors that do not trap exits are killed with it; eng_kill
 * from outside.  Links and watches are made in api.c (actor_link,
 * actor_monitor) and spawn.c.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/eng_int.h"
#include "engine/watchdog.h"

/* ---- notices ---- */

json_t *
eng__notice(const char *key, const json_t *value, const char *name)
{
    return json_pack("{s:O, s:{s:s}}", key, value, "address", "$address", name);
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
            err = eng__deliver_or_bury(e, watchers[i], name, notice, 0, NULL,
                                       NULL);
        free(watchers[i]);
    }
    free(watchers);
    json_decref(notice);
    return err;
}

json_t *
eng__killed_error(void)
{
    return json_pack("{s:s, s:s}", "error", "killed", "message",
                     "the actor was killed");
}

/* ---- ending ---- */

/* Queues actor id on q. */
static int
eng__queue_push(struct eng__kill_queue *q, int64_t id)
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
 * (failed or killed) one that does not trap exits is queued on e->kills
 * to be killed too.  A notice to an ended actor becomes a dead letter.  ties
 * (STORE_TIE_* bits) says which of timers, watchers and links to look
 * for: a plain actor ends without a query for any.
 */
static int
eng__ended(struct eng *e, int64_t id, const char *name, const char *key,
           const json_t *value, int abnormal, int ties)
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
            err = eng__queue_push(&e->kills, links[i].id);
            continue;
        }
        err =
            eng__deliver_or_bury(e, links[i].name, name, notice, 0, NULL, NULL);
    }
    json_decref(notice);
    store_links_free(links, n);
    return err;
}

int
eng__end(struct eng *e, struct store_actor *row, enum store_status status,
         const json_t *value)
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
                                 exited                   ? "unread at exit"
                                 : status == STORE_KILLED ? "unread at kill"
                                                          : "unread at failure",
                                 row->updated);
    /* The stored count is 0 now, whatever the step took. */
    if (queued - row->taken > 0)
        row->taken = 0;
    if (err == AD_OK)
        err = eng__ended(e, row->id, row->name, exited ? "exit" : "exception",
                         value, !exited, ties);
    /* A killed actor's terminate handler runs later in this transaction,
     * where no behaviour runs (eng__terminate_queued). */
    const struct behavior *b = eng__behavior_at(e, row->behavior, row->version);
    if (err == AD_OK && status == STORE_KILLED && b != NULL &&
        b->version == row->version && b->terminate != NULL)
        err = eng__queue_push(&e->terminates, row->id);
    if (err == AD_OK && !exited) {
        /* Logged in the transaction: a rollback after it undoes the end
         * but not the line (docs/logging.md). */
        const json_t *code = json_object_get(value, "error");
        const json_t *msg = json_object_get(value, "message");
        ad_log(status == STORE_KILLED ? AD_LOG_INFO : AD_LOG_WARN,
               status == STORE_KILLED ? "actor_killed" : "actor_failed",
               "name=%s behavior=%s version=%d error=%s message=%s", row->name,
               row->behavior, row->version,
               json_is_string(code) ? json_string_value(code) : "-",
               json_is_string(msg) ? json_string_value(msg) : "-");
    }
    return err;
}

/* ---- kills ---- */

/*
 * Kills the actor id: status killed, its mailbox buried, its watchers and
 * links told (linked actors that do not trap exits are queued on
 * e->kills).  AD_EDEAD when it had ended already.  The actor whose step
 * is running is only marked; its step ends it.
 */
static int
eng__kill_id(struct eng *e, int64_t id)
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
    err = killed ? eng__end(e, &a, STORE_KILLED, killed) : AD_ENOMEM;
    json_decref(killed);
    if (err == AD_OK)
        err = store_actor_save(e->st, &a);
    store_actor_release(&a);
    return err;
}

int
eng__kill_queued(struct eng *e)
{
    struct eng__kill_queue *q = &e->kills;
    int err = AD_OK;
    while (q->n > 0 && err == AD_OK) {
        err = eng__kill_id(e, q->ids[--q->n]);
        if (err == AD_EDEAD || err == AD_ENOTFOUND)
            err = AD_OK;
    }
    q->n = 0; /* the ids array stays for the next kill */
    return err;
}

int
eng__kill(struct eng *e, int64_t id)
{
    int err = eng__kill_id(e, id);
    if (err == AD_OK)
        err = eng__kill_queued(e);
    e->kills.n = 0;
    return err;
}

/* ---- terminate handlers ---- */

/* The terminate handler of a->b, as a step for wd_run. */
static enum actor_step
eng__terminate_step(struct actor *a)
{
    a->b->terminate(a, a->reason);
    return ACTOR_EXIT;
}

/* Runs the terminate handler of the killed actor id: its sends are
 * delivered and its state stored when it returns; cut off by the
 * watchdog, it leaves nothing. */
static int
eng__terminate_one(struct eng *e, int64_t id)
{
    struct store_actor row = {0};
    int err = store_actor_by_id(e->st, id, &row);
    if (err != AD_OK)
        return err == AD_ENOTFOUND ? AD_OK : err;
    const struct behavior *b = eng__behavior_at(e, row.behavior, row.version);
    struct actor a = {.e = e, .b = b, .row = &row, .err = ENG__RESTRICTED};
    json_t *reason = NULL;
    if (row.status != STORE_KILLED || b == NULL || b->terminate == NULL)
        goto out;
    unsigned long nomem = wd_nomem();
    int args_err = eng__parse(row.args, strlen(row.args), 0, &a.args);
    int state_err = eng__parse(row.state, strlen(row.state), 0, &a.state);
    reason = eng__load(row.error);
    a.outbox = json_array();
    if (args_err == AD_ENOMEM || state_err == AD_ENOMEM || reason == NULL ||
        a.outbox == NULL) {
        err = AD_ENOMEM;
        goto out;
    }
    if (!json_is_object(a.args) || !json_is_object(a.state))
        goto out; /* nothing to run it on: the kill stands as it is */
    a.reason = reason;
    e->running = id; /* a kill inside finds it ending already */
    enum actor_step r;
    int cut = wd_run(eng__terminate_step, &a, &r);
    e->running = 0;
    if (cut) {
        /* As a step cut off: what it was building may be half made. */
        json_t **objs[] = {&a.args,   &a.state,  &a.outbox, &a.msg,
                           &a.shapes, &a.result, &a.error};
        for (size_t i = 0; i < sizeof objs / sizeof objs[0]; i++) {
            wd_abandon(*objs[i]);
            *objs[i] = NULL;
        }
        if (eng__uploaded(b))
            eng__compiled_abandon(e, b);
        goto out;
    }
    if (a.error != NULL)
        goto out; /* it failed (a Lua error, say): as if it never ran */
    size_t i;
    json_t *item;
    json_array_foreach(a.outbox, i, item)
    {
        if (err != AD_OK)
            break;
        err = eng__deliver_or_bury(
            e, json_string_value(json_array_get(item, 0)), row.name,
            json_array_get(item, 1), 0, NULL, NULL);
    }
    if (err == AD_OK)
        err = eng__set_text(&row.state, a.state);
    if (err == AD_OK && wd_nomem() != nomem)
        err = AD_ENOMEM; /* what it made of a NULL is not what it means */
    if (err == AD_OK)
        err = store_actor_save(e->st, &row);
out:
    json_decref(reason);
    json_decref(a.args);
    json_decref(a.state);
    json_decref(a.outbox);
    json_decref(a.msg);
    json_decref(a.shapes);
    json_decref(a.result);
    json_decref(a.error);
    store_actor_release(&row);
    return err;
}

int
eng__terminate_queued(struct eng *e)
{
    struct eng__kill_queue *q = &e->terminates;
    int err = AD_OK;
    for (size_t i = 0; i < q->n && err == AD_OK; i++)
        err = eng__terminate_one(e, q->ids[i]);
    q->n = 0;
    return err;
}

/* ---- targets that are gone ---- */

json_t *
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

/* ---- eng_kill ---- */

struct kill_ctx {
    struct eng *e;
    const char *name; /* borrowed */
    json_t **doc;     /* the caller's: set on success */
};

static int
eng__kill_tx(struct store *st, void *ctx)
{
    struct kill_ctx *kc = ctx;
    int64_t id;
    enum store_status status;
    int err = store_actor_peek(st, kc->name, &id, &status, NULL, NULL);
    if (err == AD_OK)
        err = eng__kill(kc->e, id);
    if (err == AD_OK)
        err = eng__terminate_queued(kc->e);
    kc->e->terminates.n = 0;
    if (err == AD_OK)
        err = eng__doc_by_name(kc->e, kc->name, kc->doc);
    return err;
}

int
eng_kill(struct eng *e, const char *name, json_t **doc)
{
    struct kill_ctx kc = {e, name, doc};
    *doc = NULL;
    /* Terminate handlers run under the step watchdog. */
    wd_start(e->opts.step_limit_ms);
    int err = store_transaction(e->st, eng__kill_tx, &kc);
    if (err != AD_OK) { /* a document made before a failed commit */
        json_decref(*doc);
        *doc = NULL;
    }
    return err;
}
