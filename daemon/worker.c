/*
 * worker.c - the request threads: a request from FastCGI (or from CGI's
 * environment and stdin) into a struct fcgi_request, through fcgi_route,
 * and its answer back out.  A request that must wait is handed to the
 * waiter (park.c) and the thread goes back to accept the next one.
 */
#include <errno.h>
#include <fcgiapp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/daemon.h"

#define CGI_BUDGET_STEPS 10000
#define CGI_BUDGET_MS 1000

/* fcgi_config.wait under CGI: nobody else runs the actors, so run them. */
static int
wait_cgi(void *ctx, struct eng *e, int ms)
{
    (void)ctx;
    long steps = 0;
    eng_run(e, 0, ms, &steps);
    if (steps == 0)
        usleep((useconds_t)(ms < 50 ? ms : 50) * 1000);
    return 0;
}

/* Reads the request body from in (FastCGI) or stdin (CGI, in NULL) into
 * a new buffer *out (NUL-terminated), at most max + 1 bytes. */
static int
read_body(FCGX_Stream *in, size_t max, char **out, size_t *len, int *truncated)
{
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    if (buf == NULL)
        return -1;
    for (;;) {
        if (n == cap) {
            if (cap > max)
                break;
            cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
            char *nb = realloc(buf, cap + 1);
            if (nb == NULL) {
                free(buf);
                return -1;
            }
            buf = nb;
        }
        int r = in ? FCGX_GetStr(buf + n, (int)(cap - n), in)
                   : (int)fread(buf + n, 1, cap - n, stdin);
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    buf[n] = '\0';
    *truncated = n > max;
    *out = buf;
    *len = n;
    return 0;
}

/* Fills req from the CGI/FastCGI parameters given by get. */
static void
fill_request(struct fcgi_request *req, const char *(*get)(const char *, void *),
             void *ctx, char *pathbuf, size_t pathlen)
{
    req->method = get("REQUEST_METHOD", ctx);
    req->path = get("PATH_INFO", ctx);
    req->query = get("QUERY_STRING", ctx);
    req->prefix = get("SCRIPT_NAME", ctx);
    if (req->path == NULL || *req->path == '\0') {
        /* No PATH_INFO: take the path of the URI. */
        const char *uri = get("DOCUMENT_URI", ctx);
        if (uri == NULL)
            uri = get("REQUEST_URI", ctx);
        if (uri == NULL)
            uri = "/";
        snprintf(pathbuf, pathlen, "%s", uri);
        char *q = strchr(pathbuf, '?');
        if (q)
            *q = '\0';
        req->path = pathbuf;
    }
    const char *cl = get("CONTENT_LENGTH", ctx);
    req->content_length = -1;
    if (cl && *cl) {
        char *end;
        errno = 0;
        long long v = strtoll(cl, &end, 10);
        /* An absurd or malformed length is refused before any read. */
        req->content_length = (*end || errno || v < 0) ? (long long)1 << 62 : v;
    }
}

/*
 * Reads and drops what is left of a CGI request's body on stdin: the
 * CONTENT_LENGTH bytes less the req->body_len read already.  Before an
 * answer that did not read the body (413, 405, a database that does not
 * open): mod_cgid stops at a broken pipe while it writes the body to the
 * program, and the answer is then lost or cut short.
 */
static void
discard_cgi_body(const struct fcgi_request *req)
{
    char buf[65536];
    if (req->content_length <= 0 ||
        (unsigned long long)req->content_length <= req->body_len)
        return;
    unsigned long long left =
        (unsigned long long)req->content_length - req->body_len;
    while (left > 0) {
        size_t n = fread(buf, 1, left < sizeof buf ? left : sizeof buf, stdin);
        if (n == 0)
            break;
        left -= n;
    }
}

static int
wants_body(const struct fcgi_request *req)
{
    return req->method && (strcmp(req->method, "POST") == 0 ||
                           strcmp(req->method, "PUT") == 0);
}

/* Formats the head and body of resp; *body is new (free). */
static int
format_response(const struct fcgi_request *req, struct fcgi_response *resp,
                char *head, size_t headlen, char **body)
{
    *body = NULL;
    int with_body = strcmp(req->method ? req->method : "", "HEAD") != 0;
    if (resp->text != NULL) {
        /* Text (GET /metrics) ends with its own newline: taken over. */
        if (with_body) {
            *body = resp->text;
            resp->text = NULL;
        }
    } else if (resp->body && with_body) {
        char *json = json_dumps(resp->body, JSON_COMPACT | JSON_ENCODE_ANY);
        size_t n = json ? strlen(json) : 0;
        char *nl = json ? realloc(json, n + 2) : NULL;
        if (nl == NULL) {
            free(json);
            return -1;
        }
        memcpy(nl + n, "\n", 2);
        *body = nl;
    }
    snprintf(head, headlen,
             "Status: %d %s\r\nContent-Type: %s\r\n"
             "Cache-Control: no-store\r\n%s\r\n",
             resp->status, fcgi_reason(resp->status),
             resp->content_type ? resp->content_type : "application/json",
             resp->headers);
    return 0;
}

static const char *
get_fcgx(const char *name, void *ctx)
{
    return FCGX_GetParam(name, ((FCGX_Request *)ctx)->envp);
}

static const char *
get_env(const char *name, void *ctx)
{
    (void)ctx;
    return getenv(name);
}

/* Logs a server-side error answer. */
static void
log_failure(struct eng *e, const struct fcgi_request *req,
            const struct fcgi_response *resp)
{
    if (resp->status >= 500)
        ad_log(AD_LOG_ERROR, "request_failed",
               "method=%s path=%s status=%d error=%s reason=%s", req->method,
               req->path, resp->status,
               json_string_value(json_object_get(resp->body, "error")),
               eng_errmsg(e));
}

void
worker_answer(struct eng *e, FCGX_Request *fr, const struct fcgi_request *req,
              struct fcgi_response *resp)
{
    log_failure(e, req, resp);
    char head[1024];
    char *out = NULL;
    if (format_response(req, resp, head, sizeof head, &out) == 0) {
        FCGX_PutS(head, fr->out);
        if (out)
            FCGX_PutS(out, fr->out);
    }
    free(out);
}

void
worker_finish(FCGX_Request *fr)
{
    /* What is left of the body, up to 64 KiB: once it is all read,
     * nothing can be left unread and the connection closes at once;
     * libfcgi's own close shuts down and waits (up to 2 s) for the web
     * server to close first, which holds this thread that long. */
    char sink[4096];
    int r = 0;
    for (int i = 0;
         i < 16 && (r = FCGX_GetStr(sink, (int)sizeof sink, fr->in)) > 0; i++)
        ;
    if (r == 0 && FCGX_HasSeenEOF(fr->in) == EOF)
        FCGX_Detach(fr);
    FCGX_Finish_r(fr);
}

/* A new FastCGI request on the listening socket, or NULL. */
static FCGX_Request *
new_fcgx(void)
{
    FCGX_Request *fr = malloc(sizeof *fr);
    if (fr != NULL && FCGX_InitRequest(fr, hub.listen_fd, 0) != 0) {
        free(fr);
        fr = NULL;
    }
    return fr;
}

/* Tells the scheduler that work was queued. */
static void
kick_scheduler(void)
{
    pthread_mutex_lock(&hub.mu);
    hub.work_pending = 1;
    pthread_cond_signal(&hub.work);
    pthread_mutex_unlock(&hub.mu);
}

void *
worker_main(void *arg)
{
    (void)arg;
    static pthread_mutex_t accept_mu = PTHREAD_MUTEX_INITIALIZER;
    struct eng *e = NULL;
    char msg[512];
    if (daemon_open(hub.opt, &e, msg, sizeof msg) != AD_OK)
        return NULL;
    struct fcgi_config cfg = {.max_body = hub.opt->max_body,
                              .no_upload = hub.opt->no_upload,
                              .park = 1,
                              .waiting = park_count};
    FCGX_Request *fr = NULL;
    while (!hub.stop) {
        if (fr == NULL && (fr = new_fcgx()) == NULL) {
            ad_log(AD_LOG_ERROR, "request_failed", "reason=%s",
                   "out of memory for a request");
            break;
        }
        pthread_mutex_lock(&accept_mu);
        int rc = hub.stop ? -1 : FCGX_Accept_r(fr);
        pthread_mutex_unlock(&accept_mu);
        if (rc < 0)
            break;
        struct fcgi_request req = {0};
        struct fcgi_response resp = {0};
        char pathbuf[2048];
        char *in = NULL;
        fill_request(&req, get_fcgx, fr, pathbuf, sizeof pathbuf);
        if (wants_body(&req) &&
            (req.content_length < 0 ||
             (unsigned long long)req.content_length <= cfg.max_body)) {
            if (read_body(fr->in, cfg.max_body, &in, &req.body_len,
                          &req.body_truncated) != 0)
                req.body_truncated = 1;
            req.body = in;
        }
        cfg.park_full = park_full();
        fcgi_route(e, &cfg, &req, &resp);
        if (resp.wrote)
            kick_scheduler();
        if (resp.park.kind != FCGI_PARK_NONE) {
            if (park_add(fr, &req, &resp) == 0) {
                fr = NULL;
                free(in);
                continue;
            }
            /* Could not park: answer with what there is now. */
            fcgi_park_step(e, &resp.park, 1, &resp);
        }
        worker_answer(e, fr, &req, &resp);
        free(in);
        fcgi_response_free(&resp);
        worker_finish(fr);
    }
    if (fr != NULL) {
        FCGX_Free(fr, 0);
        free(fr);
    }
    eng_close(e);
    return NULL;
}

int
worker_cgi(const struct options *o)
{
    struct eng *e = NULL;
    struct fcgi_request req = {0};
    struct fcgi_response resp = {0};
    char pathbuf[2048], head[1024];
    char *in = NULL, *out = NULL;
    struct fcgi_config cfg = {
        .max_body = o->max_body, .no_upload = o->no_upload, .wait = wait_cgi};
    fill_request(&req, get_env, NULL, pathbuf, sizeof pathbuf);
    /* The message names the file and the reason, here and in the log
     * (the web server's error log): a CGI program that cannot open its
     * database is most often one whose user may not write its folder. */
    char msg[512];
    int err = daemon_open(o, &e, msg, sizeof msg);
    if (err != AD_OK) {
        resp.status = 503;
        resp.body =
            json_pack("{s:s, s:s}", "error", ad_errcode(err), "message", msg);
        goto answer;
    }
    if (wants_body(&req) &&
        (req.content_length < 0 ||
         (unsigned long long)req.content_length <= cfg.max_body)) {
        if (read_body(NULL, cfg.max_body, &in, &req.body_len,
                      &req.body_truncated) != 0)
            req.body_truncated = 1;
        req.body = in;
    }
    fcgi_route(e, &cfg, &req, &resp);
    /* No scheduler runs under CGI: drain what is runnable, up to a
     * budget, before answering; actorctl run from cron does the rest. */
    eng_run(e, CGI_BUDGET_STEPS, CGI_BUDGET_MS, NULL);
answer:
    discard_cgi_body(&req);
    if (format_response(&req, &resp, head, sizeof head, &out) == 0) {
        fputs(head, stdout);
        if (out)
            fputs(out, stdout);
    }
    fflush(stdout);
    free(out);
    free(in);
    fcgi_response_free(&resp);
    eng_close(e);
    return 0;
}
