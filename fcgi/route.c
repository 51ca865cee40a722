/*
 * route.c - the routes of API.md: matches paths, calls the engine, and
 * dispatches; queries, names, numbers and bodies are parsed by parse.c,
 * the answers are response.c's, the routes of /behaviors/NAME
 * behaviors.c's (route_int.h).  No I/O happens here, so
 * the unit tests drive it directly.
 */
#include "fcgi/route_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIST_LIMIT_DEFAULT 100
#define LIST_LIMIT_MAX 1000
#define WAIT_SLICE_MS 250

/* Answers 201 with the document of the actor spawned from the body of
 * req, under name (NULL: generated). */
static void
route__spawn(struct eng *e, const struct fcgi_config *cfg,
             const struct fcgi_request *req, struct fcgi_response *resp,
             const char *name)
{
    json_t *body = NULL;
    if (route__body(cfg, req, resp, &body) != 0)
        return;
    if (!json_is_object(body)) {
        route__error(resp, 400, "bad_json",
                     "the spawn body must be a JSON object");
        goto out;
    }
    const char *behavior = json_string_value(json_object_get(body, "behavior"));
    json_t *args = json_object_get(body, "args");
    if (behavior == NULL) {
        route__error(resp, 400, "bad_request",
                     "the spawn body needs \"behavior\": a string");
        goto out;
    }
    if (args != NULL && !json_is_object(args) && !json_is_null(args)) {
        route__error(resp, 400, "bad_request", "\"args\" must be an object");
        goto out;
    }
    if (json_is_null(args))
        args = NULL;
    json_t *monitors = json_object_get(body, "monitors");
    if (monitors != NULL && !json_is_array(monitors) &&
        !json_is_null(monitors)) {
        route__error(resp, 400, "bad_request",
                     "\"monitors\" must be a list of actor names");
        goto out;
    }
    const json_t *v = json_object_get(body, "version");
    json_int_t version = json_integer_value(v);
    if (v != NULL &&
        (!json_is_integer(v) || version < 1 || version > INT32_MAX)) {
        route__error(resp, 400, "bad_request",
                     "\"version\" must be an integer from 1");
        goto out;
    }
    json_t *doc = NULL;
    const char *why = NULL;
    int err = eng_spawn_version(e, name, behavior, (int)version, args,
                                json_is_array(monitors) ? monitors : NULL, &doc,
                                &why);
    if (err == AD_EBADNAME && why != NULL) {
        route__error(resp, 400, "bad_request", "%s", why);
    } else if (err == AD_ENOTFOUND) {
        route__error(resp, 404, "no_such_actor", "%s",
                     why ? why : "no such actor");
    } else if (err == AD_EBEHAVIOR) {
        if (version != 0)
            route__error(resp, 422, "unknown_behavior",
                         "no version %lld of \"%s\"; GET /behaviors/%s lists "
                         "them",
                         (long long)version, behavior, behavior);
        else
            route__error(resp, 422, "unknown_behavior",
                         "no behaviour named \"%s\"; GET /behaviors lists them",
                         behavior);
    } else if (err == AD_EBADARGS) {
        route__error(resp, 422, "bad_args", "args of %s: %s", behavior,
                     why ? why : "refused");
    } else if (err != AD_OK) {
        route__fail(resp, err, name);
    } else {
        resp->status = 201;
        resp->body = doc;
        resp->wrote = 1;
        route__header(resp, "Location: %.200s/actors/%s\r\n",
                      req->prefix ? req->prefix : "",
                      json_string_value(json_object_get(doc, "name")));
    }
out:
    json_decref(body);
}

/* 503 busy: no more requests may wait. */
static void
route__busy(struct fcgi_response *resp)
{
    route__error(resp, 503, "busy",
                 "too many requests are waiting; try again later");
    snprintf(resp->headers, sizeof resp->headers, "Retry-After: 1\r\n");
}

/* One check of GET /actors/NAME?wait: returns 1 with resp filled once the
 * actor has ended, the deadline has passed or stopping is 1; else 0. */
static int
route__get_step(struct eng *e, const char *name, int64_t deadline, int stopping,
                struct fcgi_response *resp)
{
    json_t *doc = NULL;
    int err = eng_get(e, name, &doc);
    if (err != AD_OK) {
        route__fail(resp, err, name);
        return 1;
    }
    if (eng_doc_ended(doc) || stopping || deadline - ad_mono_ms() <= 0) {
        resp->status = 200;
        resp->body = doc;
        return 1;
    }
    json_decref(doc);
    return 0;
}

/* GET /actors/NAME, with ?wait=S: answers once the actor has ended or S
 * seconds have passed (or parks the request, with cfg->park). */
static void
route__get(struct eng *e, const struct fcgi_config *cfg,
           struct fcgi_response *resp, const char *name, const struct query *q)
{
    double wait = 0;
    if (q->wait && route__number(q->wait, 0, FCGI_WAIT_MAX, &wait) != AD_OK) {
        route__error(resp, 400, "bad_request",
                     "wait must be a number of seconds from 0 to %d",
                     FCGI_WAIT_MAX);
        return;
    }
    int64_t deadline = ad_mono_ms() + (int64_t)(wait * 1000);
    int stopping = cfg->wait == NULL && !cfg->park;
    for (;;) {
        if (route__get_step(e, name, deadline, stopping, resp))
            return;
        if (cfg->park) {
            if (cfg->park_full) {
                route__busy(resp);
                return;
            }
            resp->park.kind = FCGI_PARK_GET;
            snprintf(resp->park.name, sizeof resp->park.name, "%s", name);
            resp->park.deadline = deadline;
            return;
        }
        int64_t left = deadline - ad_mono_ms();
        if (left < 1)
            left = 1;
        if (cfg->wait(cfg->wait_ctx, e,
                      left < WAIT_SLICE_MS ? (int)left : WAIT_SLICE_MS) != 0)
            stopping = 1;
    }
}

/* What a page cursor is: the kind of thing ?after names on a route. */
enum page_after {
    PAGE_AFTER_NAME, /* an actor name: GET /actors */
    PAGE_AFTER_SEQ,  /* a seq, 0 or more: mailbox and dead letters */
};

/* One page of a paged listing, as ?limit and ?after asked for it. */
struct page {
    int limit;         /* 1 to LIST_LIMIT_MAX */
    const char *after; /* PAGE_AFTER_NAME: a valid name borrowed from the
                          query, or NULL for the first page */
    int64_t after_seq; /* PAGE_AFTER_SEQ: the seq to start after, 0 for
                          the first page */
};

/*
 * The one parser of ?limit and ?after for every paged route.  limit is an
 * integer from 1 to LIST_LIMIT_MAX (limit_default when absent); after is
 * of the kind the route pages by, and cursor says what it is in the error
 * message ("an actor name", "a message seq", ...).  Fills *p and returns
 * 0, or answers 400 bad_request and returns -1.  p->after is borrowed
 * from q.
 */
static int
route__page(const struct query *q, int limit_default, enum page_after kind,
            const char *cursor, struct fcgi_response *resp, struct page *p)
{
    int64_t limit = limit_default;
    p->after = NULL;
    p->after_seq = 0;
    if (q->limit != NULL &&
        route__integer(q->limit, 1, LIST_LIMIT_MAX, &limit) != AD_OK) {
        route__error(resp, 400, "bad_request",
                     "limit must be an integer from 1 to %d", LIST_LIMIT_MAX);
        return -1;
    }
    p->limit = (int)limit;
    if (q->after == NULL)
        return 0;
    if (kind == PAGE_AFTER_NAME
            ? !ad_name_valid(q->after, strlen(q->after))
            : route__integer(q->after, 0, INT64_MAX, &p->after_seq) != AD_OK) {
        route__error(resp, 400, "bad_request", "after must be %s", cursor);
        return -1;
    }
    if (kind == PAGE_AFTER_NAME)
        p->after = q->after;
    return 0;
}

/* GET /actors: the paginated listing. */
static void
route__list(struct eng *e, struct fcgi_response *resp, const struct query *q)
{
    struct page pg;
    if (route__page(q, LIST_LIMIT_DEFAULT, PAGE_AFTER_NAME,
                    "an actor name (the \"next\" cursor)", resp, &pg) != 0)
        return;
    /* An empty prefix (a cleared search box) lists every name. */
    const char *prefix = q->prefix && *q->prefix ? q->prefix : NULL;
    if (prefix != NULL && !ad_name_valid(prefix, strlen(prefix)) &&
        strcmp(prefix, ".") != 0 && strcmp(prefix, "..") != 0) {
        route__error(resp, 400, "bad_request",
                     "prefix must be the start of an actor name: 1 to %d "
                     "of A-Z a-z 0-9 . _ ~ -",
                     AD_NAME_MAX);
        return;
    }
    json_t *out = NULL;
    int err = eng_list_prefix(e, q->behavior, q->status, prefix, pg.after,
                              pg.limit, &out);
    if (err == AD_EINVAL) {
        route__error(resp, 400, "bad_request",
                     "status must be one of runnable, waiting, exited, "
                     "failed, killed, stranded");
        return;
    }
    if (err != AD_OK) {
        route__fail(resp, err, NULL);
        return;
    }
    resp->status = 200;
    resp->body = out;
}

/* GET /actors/NAME/mailbox: the unread messages, by seq; all of them (up
 * to LIST_LIMIT_MAX) unless limit says fewer. */
static void
route__mailbox(struct eng *e, struct fcgi_response *resp, const char *name,
               const struct query *q)
{
    struct page pg;
    if (route__page(q, LIST_LIMIT_MAX, PAGE_AFTER_SEQ,
                    "a message seq: an integer, 0 or more", resp, &pg) != 0)
        return;
    json_t *out = NULL;
    int err = eng_mailbox(e, name, pg.after_seq, pg.limit, &out);
    if (err != AD_OK) {
        route__fail(resp, err, name);
        return;
    }
    resp->status = 200;
    resp->body = out;
}

/* GET /dead-letters: oldest first, paginated by seq. */
static void
route__dead_letters(struct eng *e, struct fcgi_response *resp,
                    const struct query *q)
{
    struct page pg;
    if (route__page(q, LIST_LIMIT_DEFAULT, PAGE_AFTER_SEQ,
                    "a dead letter seq: an integer, 0 or more (the "
                    "\"next\" cursor)",
                    resp, &pg) != 0)
        return;
    json_t *out = NULL;
    int err = eng_dead_letters(e, pg.after_seq, pg.limit, &out);
    if (err != AD_OK) {
        route__fail(resp, err, NULL);
        return;
    }
    resp->status = 200;
    resp->body = out;
}

#define CALL_TIMEOUT_DEFAULT 30

/* One check of a call's reply box: returns 0 while the call must wait
 * on; else ends the box, fills resp and returns 1. */
static int
route__call_step(struct eng *e, const struct fcgi_park *p, int stopping,
                 struct fcgi_response *resp)
{
    json_t *reply = NULL;
    int err = eng_call_poll(e, p->name, p->box, &reply);
    if (err == AD_OK && reply == NULL && !stopping &&
        p->deadline - ad_mono_ms() > 0)
        return 0;
    eng_call_end(e, p->box);
    if (err == AD_EDEAD) {
        route__error(resp, 410, "actor_dead",
                     "%s ended before it answered the call", p->name);
    } else if (err != AD_OK) {
        route__fail(resp, err, p->name);
    } else if (reply == NULL) {
        route__error(resp, 504, "call_timeout",
                     "%s did not answer %s within %g s", p->name, p->method,
                     p->timeout);
    } else if (json_object_get(reply, "exception") != NULL) {
        route__error(resp, 502, "actor_exception",
                     "%s answered %s with an exception", p->name, p->method);
        json_object_set(resp->body, "exception",
                        json_object_get(reply, "exception"));
    } else if (json_object_get(reply, "invalid_method") != NULL) {
        route__error(resp, 404, "invalid_method", "%s has no method %s",
                     p->name, p->method);
    } else {
        resp->status = 200;
        json_t *m = json_object_get(reply, "message");
        resp->body = json_pack("{s:O}", "message", m ? m : json_null());
    }
    json_decref(reply);
    return 1;
}

/* POST /actors/NAME/calls/METHOD?timeout=S: sends the call message with a
 * reply box for an address, waits (without holding the write lock) for
 * the reply, and always removes the box.  With cfg->park it does not
 * wait: the request is parked and finished by fcgi_park_step. */
static void
route__call(struct eng *e, const struct fcgi_config *cfg,
            const struct fcgi_request *req, struct fcgi_response *resp,
            const char *name, const char *method, const struct query *q)
{
    double timeout = CALL_TIMEOUT_DEFAULT;
    if (q->timeout &&
        route__number(q->timeout, 0.001, FCGI_WAIT_MAX, &timeout) != AD_OK) {
        route__error(resp, 400, "bad_request",
                     "timeout must be a number of seconds above 0 and at "
                     "most %d",
                     FCGI_WAIT_MAX);
        return;
    }
    json_t *payload = NULL;
    if (req->body_len > 0 || req->body_truncated || (req->content_length > 0))
        if (route__body(cfg, req, resp, &payload) != 0)
            return;
    if (cfg->park && cfg->park_full) {
        json_decref(payload);
        route__busy(resp);
        return;
    }
    struct fcgi_park p = {.kind = FCGI_PARK_CALL, .timeout = timeout};
    char id[ENG_CALL_ID_LEN];
    int err = eng_call_begin(e, name, method, payload, p.box, id);
    json_decref(payload);
    if (err != AD_OK) {
        route__fail(resp, err, name);
        return;
    }
    resp->wrote = 1;
    snprintf(p.name, sizeof p.name, "%s", name);
    snprintf(p.method, sizeof p.method, "%s", method);
    p.deadline = ad_mono_ms() + (int64_t)(timeout * 1000);
    int stopping = cfg->wait == NULL && !cfg->park;
    for (;;) {
        if (route__call_step(e, &p, stopping, resp))
            return;
        if (cfg->park) {
            resp->park = p;
            return;
        }
        int64_t left = p.deadline - ad_mono_ms();
        if (left < 1)
            left = 1;
        if (cfg->wait(cfg->wait_ctx, e,
                      left < WAIT_SLICE_MS ? (int)left : WAIT_SLICE_MS) != 0)
            stopping = 1;
    }
}

int
fcgi_park_step(struct eng *e, const struct fcgi_park *p, int stopping,
               struct fcgi_response *resp)
{
    int done = 1;
    switch (p->kind) {
    case FCGI_PARK_GET:
        resp->route = FCGI_ROUTE_ACTOR;
        done = route__get_step(e, p->name, p->deadline, stopping, resp);
        break;
    case FCGI_PARK_CALL:
        resp->route = FCGI_ROUTE_CALL;
        done = route__call_step(e, p, stopping, resp);
        break;
    default:
        break;
    }
    if (done)
        fcgi__count(resp);
    return done;
}

/* POST /actors/NAME/upgrade, body {"version": N} or none (the version
 * this actord has): moves the actor onto that version of its behaviour;
 * 200 with its document, or 409 upgrade_failed saying why. */
static void
route__upgrade(struct eng *e, const struct fcgi_config *cfg,
               const struct fcgi_request *req, struct fcgi_response *resp,
               const char *name)
{
    json_t *body = NULL;
    if (req->body_len > 0 || req->body_truncated || req->content_length > 0)
        if (route__body(cfg, req, resp, &body) != 0)
            return;
    const json_t *v = json_object_get(body, "version");
    int64_t version = 0;
    if (body != NULL && (!json_is_object(body) ||
                         json_object_size(body) != (v != NULL ? 1 : 0))) {
        route__error(resp, 400, "bad_json",
                     "the body is {\"version\": N} or nothing");
        json_decref(body);
        return;
    }
    if (v != NULL) {
        version = json_is_integer(v) ? json_integer_value(v) : 0;
        if (version < 1 || version > INT32_MAX) {
            route__error(resp, 400, "bad_json",
                         "version must be an integer from 1");
            json_decref(body);
            return;
        }
    }
    json_decref(body);
    json_t *doc = NULL;
    const char *why = NULL;
    int err = eng_upgrade(e, name, (int)version, &doc, &why);
    if (err == AD_EUPGRADE) {
        route__error(resp, 409, "upgrade_failed", "%s: %s", name,
                     why ? why : ad_strerror(err));
    } else if (err != AD_OK) {
        route__fail(resp, err, name);
    } else {
        resp->status = 200;
        resp->wrote = 1;
        resp->body = doc;
    }
}

/* /actors/NAME */
static void
route__actor(struct eng *e, const struct fcgi_config *cfg,
             const struct fcgi_request *req, struct fcgi_response *resp,
             const char *name, const struct query *q)
{
    const char *m = req->method;
    json_t *doc = NULL;
    int err;
    if (strcmp(m, "GET") == 0) {
        route__get(e, cfg, resp, name, q);
    } else if (strcmp(m, "HEAD") == 0) {
        err = eng_get(e, name, &doc);
        if (err != AD_OK)
            route__fail(resp, err, name);
        else
            resp->status = 200;
        json_decref(doc);
    } else if (strcmp(m, "PUT") == 0) {
        route__spawn(e, cfg, req, resp, name);
    } else if (strcmp(m, "POST") == 0) {
        json_t *msg = NULL;
        if (route__body(cfg, req, resp, &msg) != 0)
            return;
        int64_t seq = 0;
        /* eng_send commits before it returns: 202 means durable. */
        err = eng_send(e, name, msg, &seq);
        json_decref(msg);
        if (err != AD_OK) {
            route__fail(resp, err, name);
            return;
        }
        resp->status = 202;
        resp->wrote = 1;
        resp->body =
            json_pack("{s:b, s:I}", "accepted", 1, "seq", (json_int_t)seq);
    } else if (strcmp(m, "DELETE") == 0) {
        err = eng_kill(e, name, &doc);
        if (err != AD_OK) {
            route__fail(resp, err, name);
            return;
        }
        resp->status = 200;
        resp->wrote = 1;
        resp->body = doc;
    } else {
        route__not_allowed(resp, m, "GET, HEAD, PUT, POST, DELETE");
    }
}

static void
route__dispatch(struct eng *e, const struct fcgi_config *cfg,
                const struct fcgi_request *req, struct fcgi_response *resp)
{
    const char *path = req->path && *req->path ? req->path : "/";
    const char *m = req->method ? req->method : "";
    int get = strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0;
    struct query q;
    const char *bad = NULL;
    resp->status = 0;
    if (route__query(req->query, &q, &bad) != AD_OK) {
        route__error(resp, 400, "bad_request", "%s", bad);
        return;
    }
    size_t plen = strlen(path);
    if (plen > 1 && path[plen - 1] == '/')
        plen--;
    if (plen == 8 && memcmp(path, "/healthz", 8) == 0) {
        resp->route = FCGI_ROUTE_HEALTHZ;
        if (!get)
            route__not_allowed(resp, m, "GET, HEAD");
        else if (eng_health(e) != AD_OK)
            route__error(resp, 503, "unhealthy",
                         "the database does not answer");
        else {
            resp->status = 200;
            resp->body = json_pack("{s:b}", "ok", 1);
        }
        return;
    }
    if (plen == 8 && memcmp(path, "/metrics", 8) == 0) {
        resp->route = FCGI_ROUTE_METRICS;
        if (!get)
            route__not_allowed(resp, m, "GET, HEAD");
        else
            route__metrics(e, cfg, resp);
        return;
    }
    if (plen == 10 && memcmp(path, "/behaviors", 10) == 0) {
        resp->route = FCGI_ROUTE_BEHAVIORS;
        json_t *list = NULL;
        int err;
        if (!get)
            route__not_allowed(resp, m, "GET, HEAD");
        else if ((err = eng_behavior_list(e, &list)) != AD_OK)
            route__fail(resp, err, NULL);
        else {
            resp->status = 200;
            resp->body = list;
        }
        return;
    }
    if (plen > 11 && memcmp(path, "/behaviors/", 11) == 0) {
        resp->route = FCGI_ROUTE_BEHAVIOR;
        const char *bn = path + 11;
        size_t blen = plen - 11;
        char name[65];
        if (blen > 64 || bn[0] == '_' ||
            strspn(bn, "abcdefghijklmnopqrstuvwxyz0123456789_") < blen) {
            route__error(resp, 400, "bad_name",
                         "a behaviour name is 1 to 64 of a-z 0-9 _, not "
                         "starting with _");
            return;
        }
        memcpy(name, bn, blen);
        name[blen] = '\0';
        route__behavior(e, cfg, req, resp, name, &q);
        return;
    }
    if (plen == 13 && memcmp(path, "/dead-letters", 13) == 0) {
        resp->route = FCGI_ROUTE_DEAD_LETTERS;
        if (!get)
            route__not_allowed(resp, m, "GET, HEAD");
        else
            route__dead_letters(e, resp, &q);
        return;
    }
    if (plen == 7 && memcmp(path, "/actors", 7) == 0) {
        resp->route = FCGI_ROUTE_ACTORS;
        if (get)
            route__list(e, resp, &q);
        else if (strcmp(m, "POST") == 0)
            route__spawn(e, cfg, req, resp, NULL);
        else
            route__not_allowed(resp, m, "GET, HEAD, POST");
        return;
    }
    if (plen > 8 && memcmp(path, "/actors/", 8) == 0) {
        const char *seg = path + 8;
        const char *slash = memchr(seg, '/', plen - 8);
        size_t nlen = slash ? (size_t)(slash - seg) : plen - 8;
        char name[AD_NAME_MAX + 1];
        const char *rest = slash ? slash : "";
        size_t rlen = slash ? plen - (size_t)(slash - path) : 0;
        char method[65] = "";
        resp->route = FCGI_ROUTE_ACTOR;
        if (rlen > 7 && memcmp(rest, "/calls/", 7) == 0) {
            resp->route = FCGI_ROUTE_CALL;
            long mlen =
                route__decode(rest + 7, rlen - 7, method, sizeof method, 0);
            if (mlen <= 0 || strspn(method, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                            "abcdefghijklmnopqrstuvwxyz"
                                            "0123456789_.-") != (size_t)mlen) {
                route__error(resp, 400, "bad_request",
                             "a method is 1 to 64 of A-Z a-z 0-9 _ . -");
                return;
            }
        } else if (rlen == 8 && memcmp(rest, "/mailbox", 8) == 0) {
            resp->route = FCGI_ROUTE_MAILBOX;
        } else if (rlen == 8 && memcmp(rest, "/upgrade", 8) == 0) {
            resp->route = FCGI_ROUTE_UPGRADE;
        } else if (rlen != 0) {
            resp->route = FCGI_ROUTE_OTHER;
            route__error(resp, 404, "not_found", "no route for %s", path);
            return;
        }
        if (route__name(seg, nlen, name) != AD_OK) {
            route__error(resp, 400, "bad_name",
                         "a name is 1 to %d characters from A-Z a-z 0-9 . _ "
                         "~ -, and not . or ..",
                         AD_NAME_MAX);
            return;
        }
        if (rlen == 0) {
            route__actor(e, cfg, req, resp, name, &q);
        } else if (method[0] != '\0') {
            if (strcmp(m, "POST") != 0)
                route__not_allowed(resp, m, "POST");
            else
                route__call(e, cfg, req, resp, name, method, &q);
        } else if (memcmp(rest, "/upgrade", 8) == 0) {
            if (strcmp(m, "POST") != 0)
                route__not_allowed(resp, m, "POST");
            else
                route__upgrade(e, cfg, req, resp, name);
        } else if (!get) {
            route__not_allowed(resp, m, "GET, HEAD");
        } else {
            route__mailbox(e, resp, name, &q);
        }
        return;
    }
    route__error(resp, 404, "not_found", "no route for %.200s", path);
}

void
fcgi_route(struct eng *e, const struct fcgi_config *cfg,
           const struct fcgi_request *req, struct fcgi_response *resp)
{
    resp->route = FCGI_ROUTE_OTHER;
    route__dispatch(e, cfg, req, resp);
    if (resp->park.kind == FCGI_PARK_NONE)
        fcgi__count(resp);
}
