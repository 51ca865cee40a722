/*
 * step.c - one step of one actor, in four phases, all inside the caller's
 * write transaction:
 *
 *     load    the row, its behaviour, args and state (or strand it)
 *     match   the first message in the mailbox that matches the shapes
 *             it waits for, or its receive timing out (or wait on)
 *     run     the behaviour's step function, under the watchdog
 *     commit  the consumed message removed, the new continuation and
 *             state stored, or the actor ended
 *
 * and undo: a step to be undone (eng__abort: cut off, or over a limit)
 * is rolled back to its savepoint and its actor fails in the same
 * transaction.  Selective receive is decided here, never by the
 * behaviour.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/eng_int.h"
#include "engine/shape.h"
#include "engine/watchdog.h"

/* Messages read past a match in the same scan (see struct match_ctx). */
#define MATCH_AHEAD 4

/*
 * The first message after some seq that matches a list of shapes.  The
 * scan that finds it reads on up to MATCH_AHEAD messages past it, so that
 * when the step waits again with the same shapes the next match can be
 * looked for in memory, without another statement, if those were all.
 */
struct match_ctx {
    const json_t *shapes; /* borrowed */
    int64_t last;         /* last seq looked at that did not match */
    int64_t seq;          /* seq of the match, or 0 */
    json_t *msg;          /* new: the matched message, or NULL */
    int index;            /* the shape that matched */
    int64_t hops;         /* the matched message's hops */
    int ahead_n;          /* messages read past the match, in seq order */
    int64_t ahead_seq[MATCH_AHEAD];
    json_t *ahead[MATCH_AHEAD]; /* new; NULL: not JSON (matches nothing) */
    int ahead_more;             /* 1: the mailbox holds more than those */
};

/* One step in the making: what the phases hand each other. */
struct step {
    struct store_actor row;   /* owned: the stored actor, as it will be */
    struct actor a;           /* what the behaviour sees; a.row = &row */
    const struct behavior *b; /* borrowed from the registry */
    json_t *shapes;           /* owned: the stored shapes, or NULL */
    struct match_ctx mc;      /* the matched message (a.msg takes it) */
    enum actor_step r;        /* what the behaviour returned */
    int killed;               /* 1 when killed during its step */
    int done;                 /* 1 when a phase finished the step early */
};

/* ---- match ---- */

static int
eng__match_one(void *ctx, int64_t seq, const char *sender, const char *body,
               size_t len, int64_t hops)
{
    (void)sender;
    struct match_ctx *mc = ctx;
    json_t *m = NULL;
    if (mc->seq != 0 && mc->ahead_n == MATCH_AHEAD) {
        mc->ahead_more = 1;
        return 1;
    }
    /* Out of memory is not "does not match": the scan would go past the
     * message for good. */
    if (eng__parse(body, len, JSON_DECODE_ANY, &m) == AD_ENOMEM)
        return AD_ENOMEM;
    if (mc->seq != 0) {
        mc->ahead_seq[mc->ahead_n] = seq;
        mc->ahead[mc->ahead_n++] = m;
        return AD_OK;
    }
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
    return AD_OK; /* read on past it */
}

/* Frees the messages mc read past its match. */
static void
eng__match_release(struct match_ctx *mc)
{
    for (int i = 0; i < mc->ahead_n; i++)
        json_decref(mc->ahead[i]);
    mc->ahead_n = 0;
}

/* Looks through the mailbox of actor id after seq after for the first
 * message that matches one of shapes; fills mc.  stored is the number of
 * its messages in the messages table (its count less those the
 * transaction holds in memory): with none, only the held are read. */
static int
eng__find(struct eng *e, int64_t id, const json_t *shapes, int64_t after,
          int64_t stored, struct match_ctx *mc)
{
    memset(mc, 0, sizeof *mc);
    mc->shapes = shapes;
    mc->last = after;
    int err =
        stored > 0
            ? store_mailbox_scan(e->st, id, after, 0, eng__match_one, mc)
            : store_mailbox_scan_held(e->st, id, after, eng__match_one, mc);
    if (err != AD_OK) {
        json_decref(mc->msg);
        mc->msg = NULL;
        eng__match_release(mc);
    }
    return err;
}

/* ---- load ---- */

/* Marks row stranded with an error document; the continuation, state and
 * mailbox stay as they were.  Ends the step. */
static int
eng__strand(struct eng *e, struct step *s, const char *code,
            const char *message)
{
    struct store_actor *row = &s->row;
    json_t *doc = json_pack("{s:s, s:s}", "error", code, "message", message);
    free(row->error);
    row->error = doc ? eng__dump(doc) : NULL;
    json_decref(doc);
    row->status = STORE_STRANDED;
    row->updated = ad_now_ms();
    s->done = 1;
    ad_log(AD_LOG_WARN, "actor_stranded",
           "name=%s behavior=%s version=%d error=%s message=%s", row->name,
           row->behavior, row->version, code, message);
    return store_actor_save(e->st, row);
}

/* Loads actor id, its behaviour, args, state and shapes into s.  An
 * actor not runnable (any more) ends the step; one this build cannot run
 * is stranded. */
static int
eng__step_load(struct eng *e, int64_t id, struct step *s)
{
    char why[256];
    int err = store_actor_by_id(e->st, id, &s->row);
    if (err != AD_OK || s->row.status != STORE_RUNNABLE) {
        s->done = 1;
        return err == AD_ENOTFOUND ? AD_OK : err;
    }
    s->a.b = s->b = eng__behavior_at(e, s->row.behavior, s->row.version);
    if (s->b == NULL || s->b->version != s->row.version) {
        snprintf(why, sizeof why,
                 "behaviour %s version %d is not in this build",
                 s->row.behavior, s->row.version);
        return eng__strand(e, s, "unknown_behavior", why);
    }
    /* Only text that is not JSON strands the actor; out of memory is an
     * error, and the step runs again later. */
    const char *args = s->row.args, *state = s->row.state;
    int args_err = eng__args(e, id, args, &s->a.args);
    int state_err = eng__parse(state, strlen(state), 0, &s->a.state);
    if (args_err == AD_ENOMEM || state_err == AD_ENOMEM)
        return AD_ENOMEM;
    if (!json_is_object(s->a.args) || !json_is_object(s->a.state))
        return eng__strand(e, s, "bad_state",
                           "stored args or state is not a JSON object");
    const char *shapes = s->row.waiting_for;
    err = shapes ? eng__parse(shapes, strlen(shapes), 0, &s->shapes) : AD_OK;
    if (err == AD_EBADJSON)
        return eng__strand(e, s, "bad_state", "stored shapes are not JSON");
    s->a.waiting_for = s->shapes;
    return err;
}

/* Finds the message the actor's receive resumes with, or times the
 * receive out; when neither (woken, but nothing matches yet) it waits
 * on and the step ends.  A first step (no receive) has nothing to do. */
static int
eng__step_match(struct eng *e, struct step *s)
{
    if (s->shapes == NULL)
        return AD_OK;
    struct store_actor *row = &s->row;
    int64_t stored = row->mailbox - store_mailbox_held(e->st, row->id);
    int err = eng__find(e, row->id, s->shapes, row->scanned, stored, &s->mc);
    if (err != AD_OK)
        return err;
    if (s->mc.msg != NULL) {
        s->a.msg = s->mc.msg;
        s->mc.msg = NULL;
        s->a.matched = s->mc.index;
        s->a.hops = s->mc.hops;
        return AD_OK;
    }
    if (row->deadline > 0 && row->deadline <= ad_now_ms()) {
        /* Nothing matched in time: the receive resumes timed out.  If it
         * waited for a call's reply, a late one is dead-lettered. */
        s->a.timed_out = 1;
        s->a.matched = -1;
        const char *call_id = json_string_value(json_object_get(
            json_object_get(json_array_get(s->shapes, 0), "response"),
            "$literal"));
        if (json_array_size(s->shapes) == 1 && call_id != NULL)
            return store_call_abandon(e->st, row->id, call_id, ad_now_ms());
        return AD_OK;
    }
    row->status = STORE_WAITING;
    row->scanned = s->mc.last;
    s->done = 1;
    return store_actor_save(e->st, row);
}

/* ---- run ---- */

/* Calls the behaviour under the watchdog and makes what it returned one
 * of ACTOR_WAIT (with shapes), ACTOR_EXIT (with a result), ACTOR_FAIL
 * (with an error) or ACTOR_STRANDED.  A step cut off is ENG__ABORTED. */
static int
eng__step_run(struct eng *e, struct step *s)
{
    struct actor *a = &s->a;
    e->running = s->row.id;
    e->running_killed = 0;
    e->running_self = 0;
    s->r = ACTOR_FAIL;
    if (wd_run(s->b->step, a, &s->r) != 0) {
        /* Cut off: what the step was building may be half made, so its
         * objects are kept, never touched again. */
        e->running = 0;
        eng__abort(e, s->row.id, "step_timeout",
                   "a step of %s ran for over %d ms of CPU time and was "
                   "cut off",
                   s->row.behavior, e->opts.step_limit_ms);
        eng__args_abandon(e, s->row.id); /* a->args may be the cache's */
        json_t **objs[] = {&a->args,   &a->state,  &a->msg,
                           &a->shapes, &a->result, &a->error};
        for (size_t i = 0; i < sizeof objs / sizeof objs[0]; i++) {
            wd_abandon(*objs[i]);
            *objs[i] = NULL;
        }
        if (eng__uploaded(s->b))
            eng__compiled_abandon(e, s->b);
        return ENG__ABORTED;
    }
    e->running = 0;
    s->killed = e->running_killed;
    if (a->err != AD_OK)
        return a->err;
    if (s->r == ACTOR_FAIL && !s->killed && eng__uploaded(s->b)) {
        /* An uploaded behaviour over its budget of instructions or memory
         * fails as a C step over --step-limit does: undone. */
        const char *m = json_string_value(json_object_get(a->error, "message"));
        static const char *const budgets[] = {"step_timeout", "memory_limit"};
        for (size_t i = 0; m != NULL && i < 2; i++) {
            size_t n = strlen(budgets[i]);
            if (strncmp(m, budgets[i], n) == 0 && m[n] == ':') {
                eng__abort(e, s->row.id, budgets[i], "%s",
                           m + n + 1 + (m[n + 1] == ' '));
                return ENG__ABORTED;
            }
        }
    }
    if (s->killed) {
        /* A link (or the actor itself, through actor_kill) killed it
         * during the step: what the step did stands, and it ends killed. */
        json_decref(a->error);
        a->error = eng__killed_error();
        s->r = ACTOR_FAIL;
    }
    if (s->r == ACTOR_STRANDED)
        return AD_OK;
    if (s->r == ACTOR_WAIT && a->shapes == NULL)
        s->r = actor_fail(a, "the step returned without a receive");
    else if (s->r == ACTOR_EXIT && a->result == NULL)
        s->r = actor_exit(a, NULL);
    else if (s->r == ACTOR_FAIL && a->error == NULL)
        s->r = actor_fail(a, "the step failed");
    else if (s->r != ACTOR_WAIT && s->r != ACTOR_EXIT && s->r != ACTOR_FAIL)
        s->r = actor_fail(a, "the step returned %d", (int)s->r);
    return AD_OK;
}

/* ---- commit ---- */

int
eng__shapes_inline(const char *text)
{
    return strstr(text, "\"$literal\"") != NULL;
}

/* The actor waits again: stores its new receive, runnable at once when a
 * message already matches or the deadline has passed. */
static int
eng__step_wait(struct eng *e, struct step *s)
{
    struct store_actor *row = &s->row;
    char *text = eng__dump(s->a.shapes);
    if (text == NULL)
        return AD_ENOMEM;
    /* Same shapes as before: what was already looked at cannot match now
     * either, so the scan goes on from the consumed message. */
    int64_t from =
        row->waiting_for && s->mc.seq && strcmp(text, row->waiting_for) == 0
            ? s->mc.seq
            : 0;
    free(row->waiting_for);
    row->waiting_for = text;
    row->waiting_inline = eng__shapes_inline(text);
    row->resume = s->a.point;
    /* What is left to look at is known without a statement when the
     * mailbox is left empty (none were there but the one taken, and the
     * step sent itself none), or, with the same shapes, when the match's
     * scan read every message past it. */
    struct match_ctx next = {.last = from};
    int err = AD_OK;
    if (row->mailbox - row->taken + e->running_self == 0) {
        /* nothing */
    } else if (from != 0 && from == s->mc.seq && !s->mc.ahead_more &&
               e->running_self == 0) {
        for (int i = 0; i < s->mc.ahead_n && next.seq == 0; i++) {
            if (s->mc.ahead[i] != NULL &&
                shape_match_any(s->a.shapes, s->mc.ahead[i]) >= 0)
                next.seq = s->mc.ahead_seq[i];
            else
                next.last = s->mc.ahead_seq[i];
        }
    } else {
        /* Its stored count has grown by the messages it sent itself,
         * and will lose the one it took. */
        int64_t stored = row->mailbox - row->taken + e->running_self -
                         store_mailbox_held(e->st, row->id);
        err = eng__find(e, row->id, s->a.shapes, from, stored, &next);
        json_decref(next.msg);
        eng__match_release(&next);
    }
    if (err != AD_OK)
        return err;
    row->deadline = s->a.deadline;
    row->status =
        next.seq || (s->a.deadline > 0 && s->a.deadline <= row->updated)
            ? STORE_RUNNABLE
            : STORE_WAITING;
    row->scanned = next.last;
    return AD_OK;
}

/* Stores what the step did: the consumed message taken, the state, and
 * the new receive or the end; then kills what its end takes with it. */
static int
eng__step_commit(struct eng *e, struct step *s)
{
    struct store_actor *row = &s->row;
    char why[256];
    if (s->r == ACTOR_STRANDED) {
        snprintf(why, sizeof why, "resume point %d of %s is not in this build",
                 row->resume, row->behavior);
        return eng__strand(e, s, "unknown_resume_point", why);
    }
    int err;
    if (s->mc.seq != 0) {
        if ((err = store_mailbox_take(e->st, s->mc.seq)) != AD_OK)
            return err;
        row->taken = 1;
    }
    row->updated = ad_now_ms();
    if ((err = eng__set_text(&row->state, s->a.state)) != AD_OK)
        return err;
    if (e->opts.max_state > 0 &&
        strlen(row->state) > (size_t)e->opts.max_state) {
        eng__abort(e, row->id, "state_too_large",
                   "the state of %s would be %zu bytes, over the limit of "
                   "%lld",
                   row->name, strlen(row->state), e->opts.max_state);
        return ENG__ABORTED;
    }
    if (s->r == ACTOR_WAIT)
        err = eng__step_wait(e, s);
    else if (s->r == ACTOR_EXIT)
        err = eng__end(e, row, STORE_EXITED, s->a.result);
    else
        err = eng__end(e, row, s->killed ? STORE_KILLED : STORE_FAILED,
                       s->a.error);
    if (err == AD_OK)
        err = store_actor_save(e->st, row);
    if (err == AD_OK)
        err = eng__kill_queued(e);
    if (err == AD_OK)
        err = eng__terminate_queued(e);
    return err;
}

/*
 * Runs one step of the runnable actor id inside the caller's write
 * transaction.  Returns 0 (also when there was nothing to do),
 * ENG__ABORTED, or a storage error, after which the caller must roll
 * back.
 */
static int
eng__step(struct eng *e, int64_t id)
{
    struct step s = {0};
    s.a.e = e;
    s.a.row = &s.row;
    unsigned long nomem = wd_nomem();
    int err = eng__step_load(e, id, &s);
    if (err == AD_OK && !s.done)
        err = eng__step_match(e, &s);
    if (err == AD_OK && !s.done)
        err = eng__step_run(e, &s);
    if (err == AD_OK && !s.done)
        err = eng__step_commit(e, &s);
    if (wd_nomem() != nomem && (err == AD_OK || err == ENG__ABORTED)) {
        /* An allocation failed during the step: what the behaviour or
         * the engine made of the NULL it got (a message not sent, a key
         * missing from the state, a spawn refused for bad args) is not
         * what the step means.  The transaction is rolled back and the
         * step runs again later; the actor is neither failed nor
         * undone for it. */
        err = AD_ENOMEM;
        e->abort_id = 0;
    }
    e->running = 0;
    e->kills.n = 0;
    e->terminates.n = 0;
    json_decref(s.shapes);
    json_decref(s.mc.msg);
    eng__match_release(&s.mc);
    json_decref(s.a.args);
    json_decref(s.a.state);
    json_decref(s.a.msg);
    json_decref(s.a.shapes);
    json_decref(s.a.result);
    json_decref(s.a.error);
    store_actor_release(&s.row);
    return err;
}

/* ---- undo ---- */

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
    int64_t id = e->abort_id;
    e->abort_id = 0;
    json_t *error = json_pack("{s:s, s:s}", "error", e->abort_code, "message",
                              e->abort_msg);
    int err = error ? store_actor_by_id(e->st, id, &row) : AD_ENOMEM;
    if (err == AD_OK && !store_status_ended(row.status)) {
        row.updated = ad_now_ms();
        err = eng__end(e, &row, STORE_FAILED, error);
        if (err == AD_OK)
            err = store_actor_save(e->st, &row);
        if (err == AD_OK)
            err = eng__kill_queued(e);
        if (err == AD_OK)
            err = eng__terminate_queued(e);
    }
    e->kills.n = 0;
    e->terminates.n = 0;
    store_actor_release(&row);
    json_decref(error);
    return err == AD_ENOTFOUND ? AD_OK : err;
}

/* eng__step_guarded without the clock. */
static int
eng__step_careful(struct eng *e, int64_t id)
{
    if (!e->careful)
        return eng__step(e, id);
    /* A savepoint per step costs, and steps are rarely undone: only a
     * transaction run again after one was gets them. */
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

int
eng__step_guarded(struct eng *e, int64_t id)
{
    double t0 = ad_mono_s();
    int err = eng__step_careful(e, id);
    eng__stat_step(ad_mono_s() - t0);
    return err;
}
