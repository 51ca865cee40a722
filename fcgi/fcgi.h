/*
 * fcgi.h - the REST front of API.md, independent of how requests arrive.
 * fcgi_route maps one request onto the engine and fills a response; the
 * FastCGI and CGI plumbing of daemon/ feeds it.  HTTP statuses are
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
    /*
     * 1: a request that must wait is not waited for here: the route does
     * its first check, then fills resp->park and returns (the caller
     * parks it and finishes it with fcgi_park_step).  wait is then unused.
     */
    int park;
    /* With park: 1 when no more requests may park; one that would park
     * answers 503 busy (Retry-After: 1) instead, before any call is sent. */
    int park_full;
    /* Requests parked now, for /metrics; NULL: none park. */
    long (*waiting)(void);
};

/* What a parked request waits for. */
enum fcgi_park_kind {
    FCGI_PARK_NONE = 0,
    FCGI_PARK_GET,  /* GET /actors/NAME?wait=S: until the actor has ended */
    FCGI_PARK_CALL, /* POST /actors/NAME/calls/METHOD: until the reply */
};

struct fcgi_park {
    enum fcgi_park_kind kind;
    char name[AD_NAME_MAX + 1];
    char method[72];               /* FCGI_PARK_CALL */
    char box[ENG_CALL_ID_LEN + 8]; /* FCGI_PARK_CALL: the reply box */
    double timeout;                /* FCGI_PARK_CALL: seconds, as asked */
    int64_t deadline;              /* ad_mono_ms() at which to give up */
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

/* The routes, as /metrics labels requests (metrics.c names them). */
enum fcgi_route_id {
    FCGI_ROUTE_OTHER = 0,
    FCGI_ROUTE_HEALTHZ,
    FCGI_ROUTE_METRICS,
    FCGI_ROUTE_BEHAVIORS,
    FCGI_ROUTE_BEHAVIOR,
    FCGI_ROUTE_DEAD_LETTERS,
    FCGI_ROUTE_ACTORS,
    FCGI_ROUTE_ACTOR,
    FCGI_ROUTE_MAILBOX,
    FCGI_ROUTE_CALL,
    FCGI_ROUTE_UPGRADE,
    FCGI_ROUTES
};

struct fcgi_response {
    int status; /* HTTP status */
    int route;  /* enum fcgi_route_id */
    /* A body that is not JSON (GET /metrics): owned text of text_len
     * bytes and its Content-Type; body is then NULL. */
    char *text;
    size_t text_len;
    const char *content_type;
    char headers[512]; /* extra header lines, each ending "\r\n" */
    json_t *body;      /* owned: the JSON body, or NULL for none */
    int wrote;         /* 1 when the request changed the database */
    /* With fcgi_config.park: kind != FCGI_PARK_NONE when the request
     * must wait; status and body are then unset. */
    struct fcgi_park park;
};

/* Fills resp (zeroed by the caller) for req.  Never fails: every error is
 * a response with a JSON error body.  Release with fcgi_response_free. */
void fcgi_route(struct eng *e, const struct fcgi_config *cfg,
                const struct fcgi_request *req, struct fcgi_response *resp);

/*
 * Checks once more what the parked request p waits for.  Returns 1 and
 * fills resp (zeroed by the caller) when it has its answer: the actor has
 * ended or answered, the deadline has passed, or stopping is 1 (the
 * answer is then what there is now, as a waiting route answers when the
 * process stops).  A call's reply box is ended whenever 1 is returned.
 * Returns 0 while it must wait on.
 */
int fcgi_park_step(struct eng *e, const struct fcgi_park *p, int stopping,
                   struct fcgi_response *resp);

/* Frees what resp owns.  Accepts NULL. */
void fcgi_response_free(struct fcgi_response *resp);

/* The reason phrase of an HTTP status ("Not Found"); static. */
const char *fcgi_reason(int status);

#endif
