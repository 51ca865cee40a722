/*
 * fuzz_route.c - libFuzzer target for fcgi/route.c: the request router,
 * and behind it the engine's parsing of spawn bodies, messages, calls and
 * queries, and the standard behaviours that run on what it stored.
 *
 * Input: a CGI-like request in text.
 *
 *   METHOD SP TARGET [SP LENGTH] LF BODY
 *
 * METHOD is REQUEST_METHOD and TARGET is PATH_INFO, up to its first "?",
 * after which comes QUERY_STRING.  LENGTH, when present, is
 * CONTENT_LENGTH as sent (any integer, even a lie), or "T" for a body cut
 * short at the limit (body_truncated); without it CONTENT_LENGTH is the
 * length of BODY.  No LF at all: no body, and CONTENT_LENGTH absent (-1).
 * Every field is copied into a buffer of its own, so that reads past an
 * end are caught; a NUL in METHOD or TARGET ends it there, as it would in
 * a CGI environment.
 *
 * One engine (fuzz_common.h) serves every input; after each request
 * eng_run runs a few steps, so behaviours parse what was stored.  The
 * invariants checked: the status is one that route.c produces (500 and
 * 507 count as findings: a fresh database never fails), every error has a
 * JSON body {"error": CODE, "message": TEXT} with strings, every 2xx but a
 * HEAD has a body, every body can be encoded (as main.c must), and a 201
 * names its actor in Location.
 *
 * Built and run by tests/fuzz/run.sh; seeds in tests/fuzz/corpus/route/.
 */
#include "fcgi/fcgi.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz_common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Largest body the router accepts here; smaller than the inputs, so that
 * the 413 paths are reached. */
#define FUZZ_MAX_BODY 2048

/* cfg.wait: runs a few steps (so that a call may be answered), and after
 * three waits in one request says that the process is stopping, so that a
 * long-poll or a call ends at once. */
static int waits; /* cfg.wait calls in this request */

static int
fuzz_wait(void *ctx, struct eng *e, int ms)
{
    (void)ctx;
    (void)ms;
    if (++waits > 3)
        return -1;
    eng_run(e, 32, 20, NULL);
    return 0;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_init();
    return 0;
}

/* Returns a new NUL-terminated copy of the n bytes at s (malloc). */
static char *
dup_n(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p == NULL)
        abort();
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

/* Aborts unless resp is one route.c may produce for method. */
static void
check_response(const struct fcgi_response *resp, const char *method)
{
    switch (resp->status) {
    case 200:
    case 201:
    case 202:
    case 400:
    case 403: /* uploads_disabled: the fuzzer sets no language */
    case 404:
    case 405:
    case 409:
    case 410:
    case 413:
    case 422:
    case 429:
    case 502:
    case 503:
    case 504:
        break;
    default:
        fprintf(stderr, "fuzz_route: status %d\n", resp->status);
        abort();
    }
    if (resp->status >= 400) {
        const json_t *b = resp->body;
        if (!json_is_object(b) ||
            !json_is_string(json_object_get(b, "error")) ||
            !json_is_string(json_object_get(b, "message"))) {
            fprintf(stderr, "fuzz_route: %d without an error body\n",
                    resp->status);
            abort();
        }
    } else if (resp->body == NULL && resp->text == NULL &&
               strcmp(method, "HEAD") != 0) {
        fprintf(stderr, "fuzz_route: %d without a body\n", resp->status);
        abort();
    }
    if (resp->body != NULL) {
        char *text = json_dumps(resp->body, JSON_COMPACT | JSON_ENCODE_ANY);
        if (text == NULL) {
            fprintf(stderr, "fuzz_route: a body that does not encode\n");
            abort();
        }
        free(text);
    }
    if (memchr(resp->headers, '\0', sizeof resp->headers) == NULL)
        abort();
    if (resp->status == 201 && strstr(resp->headers, "Location: ") == NULL)
        abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    const char *lf = memchr(in, '\n', size);
    size_t llen = lf ? (size_t)(lf - in) : size;
    const char *sp = memchr(in, ' ', llen);
    if (sp == NULL)
        return 0;
    size_t mlen = (size_t)(sp - in);
    const char *target = sp + 1;
    size_t tlen = llen - mlen - 1;
    const char *sp2 = memchr(target, ' ', tlen);
    const char *lentok = NULL;
    size_t lenlen = 0;
    if (sp2 != NULL) {
        lentok = sp2 + 1;
        lenlen = tlen - (size_t)(sp2 - target) - 1;
        tlen = (size_t)(sp2 - target);
    }
    const char *qm = memchr(target, '?', tlen);
    size_t plen = qm ? (size_t)(qm - target) : tlen;

    char *method = dup_n(in, mlen);
    char *path = dup_n(target, plen);
    char *query = qm ? dup_n(qm + 1, tlen - plen - 1) : NULL;
    char *body = NULL;
    size_t blen = 0;
    struct fcgi_request req = {.method = method,
                               .path = path,
                               .query = query,
                               .prefix = "",
                               .content_length = -1};
    if (lf != NULL) {
        blen = size - llen - 1;
        /* Exactly blen bytes, unterminated: route.c must not need a NUL. */
        body = malloc(blen ? blen : 1);
        if (body == NULL)
            abort();
        memcpy(body, lf + 1, blen);
        req.body = body;
        req.body_len = blen;
        req.content_length = (long long)blen;
    }
    if (lentok != NULL && lenlen > 0) {
        if (lentok[0] == 'T') {
            req.body_truncated = 1;
        } else {
            char *t = dup_n(lentok, lenlen);
            req.content_length = strtoll(t, NULL, 10);
            free(t);
        }
    }

    json_t *parsed =
        body ? json_loadb(body, blen, JSON_DECODE_ANY, NULL) : NULL;
    int skip = fuzz_too_big(parsed, 0);
    json_decref(parsed);
    if (!skip) {
        struct fcgi_config cfg = {.max_body = FUZZ_MAX_BODY, .wait = fuzz_wait};
        struct fcgi_response resp;
        memset(&resp, 0, sizeof resp);
        waits = 0;
        fcgi_route(fuzz_eng, &cfg, &req, &resp);
        check_response(&resp, method);
        fcgi_response_free(&resp);
        eng_run(fuzz_eng, 64, 50, NULL);
    }
    free(body);
    free(query);
    free(path);
    free(method);
    fuzz_tick();
    return 0;
}
