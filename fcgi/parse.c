/*
 * parse.c - what a request carries, parsed for the routes: percent-encoded
 * names and methods, the query string's parameters, whole and decimal
 * numbers, and the JSON body.  Each refuses what is malformed or too long
 * rather than cutting it.
 */
#include "fcgi/route_int.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
route__hex(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/*
 * Percent-decodes the n bytes at s into out (size outlen, NUL-terminated);
 * plus_space turns '+' into ' ' (queries).  Returns the decoded length, or
 * -1 when the input is malformed or too long.  A decoded NUL is kept, so
 * callers that need a C string must check the length.
 */
long
route__decode(const char *s, size_t n, char *out, size_t outlen, int plus_space)
{
    size_t j = 0;
    if (outlen == 0) /* the query's storage is full */
        return -1;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        if (c == '%') {
            int h, l;
            if (i + 2 >= n || (h = route__hex(s[i + 1])) < 0 ||
                (l = route__hex(s[i + 2])) < 0)
                return -1;
            c = h * 16 + l;
            i += 2;
        } else if (c == '+' && plus_space) {
            c = ' ';
        }
        if (j + 1 >= outlen)
            return -1;
        out[j++] = (char)c;
    }
    out[j] = '\0';
    return (long)j;
}

/* Decodes an actor name from the n bytes at s into out (AD_NAME_MAX + 1
 * bytes).  Returns 0 or AD_EBADNAME. */
int
route__name(const char *s, size_t n, char *out)
{
    long len = route__decode(s, n, out, AD_NAME_MAX + 1, 0);
    if (len < 0 || !ad_name_valid(out, (size_t)len))
        return AD_EBADNAME;
    return AD_OK;
}

/* Parses query (may be NULL).  Returns 0, or AD_EINVAL with *bad set to
 * the offending parameter. */
int
route__query(const char *query, struct query *q, const char **bad)
{
    memset(q, 0, sizeof *q);
    if (query == NULL)
        return AD_OK;
    size_t used = 0;
    const char *p = query;
    while (*p) {
        const char *end = strchr(p, '&');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        size_t klen = eq ? (size_t)(eq - p) : len;
        const char *v = eq ? eq + 1 : p + len;
        size_t vlen = eq ? len - klen - 1 : 0;
        const char **slot = NULL;
        if (klen == 4 && memcmp(p, "wait", 4) == 0)
            slot = &q->wait;
        else if (klen == 5 && memcmp(p, "limit", 5) == 0)
            slot = &q->limit;
        else if (klen == 5 && memcmp(p, "after", 5) == 0)
            slot = &q->after;
        else if (klen == 8 && memcmp(p, "behavior", 8) == 0)
            slot = &q->behavior;
        else if (klen == 6 && memcmp(p, "status", 6) == 0)
            slot = &q->status;
        else if (klen == 6 && memcmp(p, "prefix", 6) == 0)
            slot = &q->prefix;
        else if (klen == 7 && memcmp(p, "timeout", 7) == 0)
            slot = &q->timeout;
        else if (klen == 7 && memcmp(p, "version", 7) == 0)
            slot = &q->version;
        else if (klen == 6 && memcmp(p, "source", 6) == 0)
            slot = &q->source;
        if (slot != NULL) {
            long n = route__decode(v, vlen, q->storage + used,
                                   sizeof q->storage - used, 1);
            if (n < 0 || strlen(q->storage + used) != (size_t)n) {
                *bad = "a query parameter is malformed or too long";
                return AD_EINVAL;
            }
            *slot = q->storage + used;
            used += (size_t)n + 1;
        }
        if (end == NULL)
            break;
        p = end + 1;
    }
    return AD_OK;
}

/* Parses a whole decimal number in [min, max] from s. */
int
route__number(const char *s, double min, double max, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (*s == '\0' || *end != '\0' || errno != 0 || !(v >= min && v <= max))
        return AD_EINVAL;
    *out = v;
    return AD_OK;
}

/* Parses the body of req as JSON (any value) into *out.  Answers and
 * returns -1 on error. */
int
route__body(const struct fcgi_config *cfg, const struct fcgi_request *req,
            struct fcgi_response *resp, json_t **out)
{
    if (req->body_truncated ||
        (req->content_length >= 0 &&
         (unsigned long long)req->content_length > cfg->max_body)) {
        route__error(resp, 413, "too_large",
                     "the body is over the limit of %zu bytes", cfg->max_body);
        return -1;
    }
    if (req->body == NULL || req->body_len == 0) {
        route__error(resp, 400, "bad_json", "the body is empty");
        return -1;
    }
    json_error_t jerr;
    /* The one place request bodies are parsed: an object with a key
     * twice is refused rather than silently keeping the last value. */
    *out = json_loadb(req->body, req->body_len,
                      JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
    if (*out == NULL) {
        route__error(resp, 400, "bad_json", "malformed JSON: %s at byte %d",
                     jerr.text, jerr.position);
        return -1;
    }
    return 0;
}

/*
 * Parses a whole decimal integer in [min, max] from s: digits only, no
 * sign, point, exponent or blank.  Returns 0 and sets *out, or AD_EINVAL.
 */
int
route__integer(const char *s, int64_t min, int64_t max, int64_t *out)
{
    int64_t v = 0;
    if (*s == '\0')
        return AD_EINVAL;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > (INT64_MAX - (*s - '0')) / 10)
            return AD_EINVAL;
        v = v * 10 + (*s - '0');
    }
    if (v < min || v > max)
        return AD_EINVAL;
    *out = v;
    return AD_OK;
}
