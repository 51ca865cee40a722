/*
 * fcgi.h - the REST front of API.md, independent of how requests arrive.
 * fcgi_route maps one request onto the engine and fills a response; the
 * FastCGI and CGI plumbing of fcgi/main.c feeds it.  HTTP statuses are
 * chosen here and nowhere else.
 */
#ifndef ACTORD_FCGI_H
#define ACTORD_FCGI_H

#include <jansson.h>
#include <stddef.h>

#include "engine/engine.h"

/* The default largest request body, bytes. */
#define FCGI_MAX_BODY_DEFAULT (1024 * 1024)

/* Longest ?wait= a GET may ask for, seconds. */
#define FCGI_WAIT_MAX 300

struct fcgi_config {
    size_t max_body; /* largest body accepted, bytes */
    int no_upload;   /* 1: PUT and DELETE /behaviors/NAME answer 403 */
    /*
     * Blocks until something may have changed in the database, or ms
     * milliseconds have passed, whichever is first.  Returns 0, or -1
     * when the process is stopping (a long-poll then answers at once).
     * ctx is wait_ctx.
     */
    int (*wait)(void *ctx, struct eng *e, int ms);
    void *wait_ctx;
};

/* One request; every pointer is borrowed until the request finishes. */
struct fcgi_request {
    const char *method;       /* REQUEST_METHOD */
    const char *path;         /* PATH_INFO: the path below the prefix */
    const char *prefix;       /* SCRIPT_NAME: where the service is mounted,
                                 "" or NULL at the root; for Location */
    const char *query;        /* QUERY_STRING, or NULL */
    const char *body;         /* the body read so far, or NULL */
    size_t body_len;          /* bytes in body */
    long long content_length; /* CONTENT_LENGTH as sent; -1 when absent */
    int body_truncated;       /* 1 when more than max_body bytes came */
};

struct fcgi_response {
    int status;        /* HTTP status */
    char headers[512]; /* extra header lines, each ending "\r\n" */
    json_t *body;      /* owned: the JSON body, or NULL for none */
    int wrote;         /* 1 when the request changed the database */
};

/* Fills resp (zeroed by the caller) for req.  Never fails: every error is
 * a response with a JSON error body.  Release with fcgi_response_free. */
void fcgi_route(struct eng *e, const struct fcgi_config *cfg,
                const struct fcgi_request *req, struct fcgi_response *resp);

/* Frees what resp owns.  Accepts NULL. */
void fcgi_response_free(struct fcgi_response *resp);

/* The reason phrase of an HTTP status ("Not Found"); static. */
const char *fcgi_reason(int status);

#endif
