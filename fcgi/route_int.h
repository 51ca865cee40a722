/*
 * route_int.h - what the files of fcgi/'s router share, never seen
 * outside fcgi/: the query parameters, the answers (response.c) and the
 * parsers of numbers and bodies (route.c).
 *
 *     response.c   statuses, headers and JSON error bodies
 *     parse.c      names, queries, numbers and bodies, parsed
 *     route.c      the routes of actors, dead letters, health; the dispatch
 *     behaviors.c  the routes of /behaviors/NAME
 *     metrics.c    GET /metrics, and the count of answers it reports
 */
#ifndef ACTORD_ROUTE_INT_H
#define ACTORD_ROUTE_INT_H

#include <stdint.h>

#include "fcgi/fcgi.h"

/* The query parameters actord knows; each points into the decoded
 * storage, or is NULL when absent. */
struct query {
    char storage[1024];
    const char *wait, *limit, *after, *behavior, *status, *timeout;
    const char *prefix;           /* GET /actors */
    const char *version, *source; /* GET /behaviors/NAME */
};

/* ---- response.c ---- */

/* Appends a header line to resp. */
void route__header(struct fcgi_response *resp, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Answers with status and the error document {"error": code, "message":
 * text}. */
void route__error(struct fcgi_response *resp, int status, const char *code,
                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Answers with the error for err, an ad_err from the engine; what names
 * the subject in the message. */
void route__fail(struct fcgi_response *resp, int err, const char *what);

/* Answers 405 with the Allow header. */
void route__not_allowed(struct fcgi_response *resp, const char *method,
                        const char *allow);

/* ---- parse.c ---- */

/* Percent-decodes the n bytes at s into out (size outlen, NUL-terminated);
 * plus_space turns '+' into ' ' (queries).  Returns the decoded length, or
 * -1 when the input is malformed or too long (a decoded NUL is kept: a
 * caller that needs a C string checks the length). */
long route__decode(const char *s, size_t n, char *out, size_t outlen,
                   int plus_space);

/* Decodes an actor name from the n bytes at s into out (AD_NAME_MAX + 1
 * bytes).  Returns 0 or AD_EBADNAME. */
int route__name(const char *s, size_t n, char *out);

/* Parses query (may be NULL) into q.  Returns 0, or AD_EINVAL with *bad
 * set to what is wrong. */
int route__query(const char *query, struct query *q, const char **bad);

/* Parses a decimal number in [min, max] from s into *out: 0 or
 * AD_EINVAL. */
int route__number(const char *s, double min, double max, double *out);

/* Parses a whole decimal number in [min, max] from s into *out: 0 or
 * AD_EINVAL. */
int route__integer(const char *s, int64_t min, int64_t max, int64_t *out);

/* Parses the body of req as JSON (any value) into *out.  Answers and
 * returns -1 on error. */
int route__body(const struct fcgi_config *cfg, const struct fcgi_request *req,
                struct fcgi_response *resp, json_t **out);

/* ---- behaviors.c ---- */

/* /behaviors/NAME (name checked): PUT, GET, DELETE. */
void route__behavior(struct eng *e, const struct fcgi_config *cfg,
                     const struct fcgi_request *req, struct fcgi_response *resp,
                     const char *name, const struct query *q);

/* ---- metrics.c ---- */

/* Counts one answer, by resp->route and resp->status. */
void fcgi__count(const struct fcgi_response *resp);

/* GET /metrics: the Prometheus text format. */
void route__metrics(struct eng *e, const struct fcgi_config *cfg,
                    struct fcgi_response *resp);

#endif
