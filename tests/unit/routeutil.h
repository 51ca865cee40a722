/*
 * routeutil.h - the harness the suites of fcgi/route.c share: an engine
 * on the suite's temporary database, fcgi_route called directly as
 * daemon/worker.c calls it, and the last response kept in resp.  Every
 * response is checked for what holds of all of them: a status in range,
 * a JSON error body on every error, a body that encodes.  Header-only,
 * static inline, included after testutil.h by a suite that defines
 * `static struct tmpdb db`.
 */
#ifndef ACTORD_ROUTEUTIL_H
#define ACTORD_ROUTEUTIL_H

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "fcgi/fcgi.h"
#include "tests/unit/testutil.h"

static struct eng *eng;
static struct fcgi_config cfg;
static struct fcgi_response resp; /* of the last request */

/* For setup: a fresh database, an engine on it, routes configured by c. */
static inline void
route_open(const struct fcgi_config *c)
{
    tmpdb_init(&db);
    struct eng_opts o = {.busy_timeout_ms = 50};
    eng = NULL;
    int err = eng_open(db.path, &o, &eng);
    ck_assert_msg(err == AD_OK, "eng_open: %s", ad_strerror(err));
    cfg = *c;
    memset(&resp, 0, sizeof resp);
}

/* For teardown. */
static inline void
route_close(void)
{
    fcgi_response_free(&resp);
    eng_close(eng);
    eng = NULL;
    tmpdb_cleanup(&db);
}

/* Routes r, replacing the last response; returns the status. */
static inline int
route(const struct fcgi_request *r)
{
    fcgi_response_free(&resp);
    memset(&resp, 0, sizeof resp);
    fcgi_route(eng, &cfg, r, &resp);
    ck_assert_msg(resp.status >= 200 && resp.status < 600, "status %d",
                  resp.status);
    if (resp.status >= 400)
        ck_assert_msg(json_is_string(json_object_get(resp.body, "error")),
                      "status %d without an error body", resp.status);
    if (resp.body != NULL) {
        char *text = json_dumps(resp.body, JSON_COMPACT | JSON_ENCODE_ANY);
        ck_assert_msg(text != NULL, "the body does not encode");
        free(text);
    }
    return resp.status;
}

/*
 * Routes method path?query with body given as exactly len bytes in a
 * buffer of their own (NULL: none), so that a read past the end is caught
 * by the sanitizers, and content_length and truncated as given.  Returns
 * the status.
 */
static inline int
route_full(const char *method, const char *path, const char *query,
           const char *body, size_t len, long long content_length,
           int truncated)
{
    char *copy = NULL;
    if (body != NULL) {
        copy = malloc(len ? len : 1);
        ck_assert_ptr_nonnull(copy);
        memcpy(copy, body, len);
    }
    struct fcgi_request r = {
        .method = method,
        .path = path,
        .query = query,
        .body = copy,
        .body_len = len,
        .content_length = content_length,
        .body_truncated = truncated,
    };
    int status = route(&r);
    free(copy);
    return status;
}

/* As route_full with an honest Content-Length. */
static inline int
req_len(const char *method, const char *path, const char *query,
        const char *body, size_t len)
{
    return route_full(method, path, query, body, len,
                      body ? (long long)len : -1, 0);
}

/* As req_len, the whole of the NUL-terminated body. */
static inline int
req(const char *method, const char *path, const char *query, const char *body)
{
    return req_len(method, path, query, body, body ? strlen(body) : 0);
}

/* Asserts the last response is status with the error code and a
 * message. */
static inline void
assert_error(int status, const char *code)
{
    ck_assert_msg(resp.status == status, "status %d, want %d (%s)", resp.status,
                  status, code);
    ck_assert_ptr_nonnull(resp.body);
    const char *got = json_string_value(json_object_get(resp.body, "error"));
    ck_assert_msg(got && strcmp(got, code) == 0, "error %s, want %s",
                  got ? got : "(none)", code);
    const char *msg = json_string_value(json_object_get(resp.body, "message"));
    ck_assert_msg(msg && *msg, "no message with error %s", code);
}

#endif
