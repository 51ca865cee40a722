/*
 * behaviors.c - the routes of /behaviors/NAME: uploading a version of a
 * behaviour (PUT, the body is its source), reading its versions and
 * source (GET), removing the versions no live actor runs (DELETE).
 */
#include <stdio.h>
#include <string.h>

#include "fcgi/route_int.h"

/* The error of eng_behavior_* err for the behaviour name; why (may be
 * NULL) is what the engine said. */
static void
route__behavior_fail(struct fcgi_response *resp, int err, const char *name,
                     const char *why)
{
    switch (err) {
    case AD_EEXISTS:
        route__error(resp, 409, "behavior_builtin",
                     "%s is a behaviour built into actord", name);
        break;
    case AD_EBADCODE:
        route__error(resp, 422, "bad_behavior", "%s: %s", name,
                     why && *why ? why : ad_strerror(err));
        break;
    case AD_EINVAL:
        route__error(resp, 403, "uploads_disabled",
                     "this actord takes no uploaded behaviours");
        break;
    case AD_ENOTFOUND:
        route__error(resp, 404, "unknown_behavior", "no behaviour %s", name);
        break;
    case AD_EINUSE:
        route__error(resp, 409, "behavior_in_use",
                     "live actors run every version of %s", name);
        break;
    default:
        route__fail(resp, err, name);
    }
}

/* /behaviors/NAME: PUT uploads a version (the body is the source), GET
 * reads (?version=N&source=1 adds a version's source), DELETE removes
 * the versions no live actor runs. */
void
route__behavior(struct eng *e, const struct fcgi_config *cfg,
                const struct fcgi_request *req, struct fcgi_response *resp,
                const char *name, const struct query *q)
{
    const char *m = req->method;
    json_t *doc = NULL;
    char why[512] = "";
    int err;
    if (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0) {
        int64_t version = 0;
        if (q->version &&
            route__integer(q->version, 1, INT32_MAX, &version) != AD_OK) {
            route__error(resp, 400, "bad_request",
                         "version must be an integer from 1");
            return;
        }
        int source = q->source && strcmp(q->source, "1") == 0;
        err = eng_behavior_get(e, name, (int)version, source, &doc);
        if (err != AD_OK) {
            route__behavior_fail(resp, err, name, NULL);
            return;
        }
        resp->status = 200;
        resp->body = doc;
        return;
    }
    if (strcmp(m, "PUT") != 0 && strcmp(m, "DELETE") != 0) {
        route__not_allowed(resp, m, "GET, HEAD, PUT, DELETE");
        return;
    }
    if (cfg->no_upload) {
        route__behavior_fail(resp, AD_EINVAL, name, NULL);
        return;
    }
    if (strcmp(m, "DELETE") == 0) {
        err = eng_behavior_delete(e, name, &doc);
        if (err != AD_OK) {
            route__behavior_fail(resp, err, name, NULL);
            return;
        }
        resp->status = 200;
        resp->wrote = 1;
        resp->body = doc;
        return;
    }
    if (req->body_truncated ||
        (req->content_length >= 0 &&
         (unsigned long long)req->content_length > cfg->max_body)) {
        route__error(resp, 413, "too_large",
                     "the source is over the limit of %zu bytes",
                     cfg->max_body);
        return;
    }
    int created = 0;
    err = eng_behavior_put(e, name, req->body ? req->body : "", req->body_len,
                           &doc, &created, why, sizeof why);
    if (err != AD_OK) {
        ad_utf8_scrub(why);
        route__behavior_fail(resp, err, name, why);
        return;
    }
    resp->status = created ? 201 : 200;
    resp->wrote = created;
    resp->body = doc;
}
