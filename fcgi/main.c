/*
 * main.c - actord, the FastCGI program (and plain CGI program).
 *
 * Under FastCGI it runs worker threads that answer requests through
 * fcgi_route, each with its own engine (one SQLite connection), and one
 * scheduler thread that runs runnable actors as soon as work arrives:
 * from this process's requests (signalled) or from another process
 * (actorctl from cron, a second actord: noticed by polling the
 * database's data_version every POLL_MS).  Under CGI it answers one
 * request and, before answering, drains runnable work up to a budget.
 *
 * Signals: SIGINT and SIGTERM are blocked in every thread and taken by a
 * signal thread with sigwait, which sets the stop flag and shuts the
 * listening socket down so that blocked accepts return; requests and the
 * transaction in flight finish, then the process exits.
 */
#include <errno.h>
#include <fcgiapp.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "behaviors/behaviors.h"
#include "engine/engine.h"
#include "fcgi/fcgi.h"
#include "lua/luab.h"
#include "plugin/plugin.h"

#define POLL_MS 100
#define CGI_BUDGET_STEPS 10000
#define CGI_BUDGET_MS 1000

/* One --load FILE or --plugin-dir DIR, in the order given. */
struct plugin_arg {
    int is_dir;       /* 1: --plugin-dir */
    const char *path; /* borrowed from argv */
};

struct options {
    const char *db;     /* database path */
    const char *listen; /* "unix:PATH", "HOST:PORT", or NULL */
    int threads;        /* request threads */
    size_t max_body;    /* bytes */
    struct eng_opts eng;
    struct plugin_arg *plugins; /* owned array of nplugins */
    int nplugins;
    int no_upload;              /* 1: PUT/DELETE /behaviors/NAME 403 */
    long long lua_instructions; /* per step; 0: the default */
    long long lua_memory;       /* bytes per Lua state; 0: the default */
    long max_waiters;           /* parked requests at most */
};

/* A request that waits (a long-poll, a REST call) without a thread: the
 * worker that routed it hands it to the waiter thread, which answers it. */
struct parked {
    struct parked *next;
    FCGX_Request *fr; /* owned: heap, accepted, not yet finished */
    char *method;     /* owned copies of what the answer and log need */
    char *path;
    struct fcgi_park park;
};

/* What the threads of one process share. */
struct hub {
    pthread_mutex_t mu;
    pthread_cond_t changed; /* broadcast when actors may have changed */
    pthread_cond_t work;    /* signalled when work was queued */
    unsigned long gen;      /* bumped with every broadcast of changed */
    int work_pending;       /* 1 when a request queued work */
    /* 1 once stopping: set by the signal thread, the scheduler or main,
     * read by every thread without the lock, hence atomic (volatile is
     * not enough between threads; no signal handler touches it). */
    atomic_int stop;
    int listen_fd;
    const struct options *opt;
    /* Parked requests, under mu.  fresh: parked since the waiter last
     * looked (each is checked once more by the waiter, so that a change
     * between the worker's check and the parking is not missed). */
    struct parked *fresh;
    int workers_done;    /* 1 once every worker has returned: under mu */
    atomic_long nparked; /* parked now (fresh and the waiter's) */
    long max_parked;     /* the cap: --max-waiters, or fewer by fds */
};

static struct hub hub = {
    .mu = PTHREAD_MUTEX_INITIALIZER,
    .changed = PTHREAD_COND_INITIALIZER,
    .work = PTHREAD_COND_INITIALIZER,
    .listen_fd = -1,
};

static void
usage(FILE *f)
{
    fprintf(
        f,
        "usage: actord [options]\n"
        "\n"
        "The actord FastCGI program: durable actors in SQLite behind a web\n"
        "server.  With --listen it serves FastCGI on that socket in the\n"
        "foreground until SIGTERM or SIGINT.  Without it, it serves FastCGI\n"
        "on standard input when that is a socket (spawn-fcgi, mod_fcgid),\n"
        "or else runs once as a CGI program.\n"
        "\n"
        "options:\n"
        "  --db PATH          database file (default ./actord.db, or\n"
        "                     $ACTORD_DB); created and migrated as needed\n"
        "  --listen ADDR      unix:PATH or 127.0.0.1:PORT\n"
        "  --threads N        request threads (default 16); requests\n"
        "                     that wait (long-polls, calls) hold none\n"
        "  --max-waiters N    requests that may wait at once (default\n"
        "                     10000, fewer when file descriptors are\n"
        "                     short); beyond, 503 busy\n"
        "  --max-body BYTES   largest request body (default 1048576)\n"
        "  --sync MODE        normal (default) or full: SQLite synchronous\n"
        "                     setting; see docs/durability.md\n"
        "  --batch N          actor steps per transaction (default 256)\n"
        "\n"
        "plugins (behaviours in C; see docs/behaviors.md):\n"
        "  --load FILE        load the plugin FILE (a shared object)\n"
        "  --plugin-dir DIR   load every *.so in DIR, in name order\n"
        "                     Both repeat, and load in the order given,\n"
        "                     after the standard behaviours; a plugin\n"
        "                     that is refused (another ABI, a behaviour\n"
        "                     name taken, a failed init) stops actord\n"
        "\n"
        "behaviours in Lua, uploaded with PUT /behaviors/NAME\n"
        "(see docs/behaviors.md and docs/lua.md):\n"
        "  --no-upload        refuse uploads (403 uploads_disabled); the\n"
        "                     behaviours uploaded before still run\n"
        "  --lua-instructions N  Lua instructions one step may run\n"
        "                     (10000000); over it the step is undone and\n"
        "                     the actor fails with step_timeout\n"
        "  --lua-memory BYTES    memory one Lua behaviour may hold\n"
        "                     (67108864); over it: memory_limit\n"
        "\n"
        "limits (0 means none; see docs/limits.md):\n"
        "  --max-message BYTES  largest message, as compact JSON (1048576)\n"
        "  --max-state BYTES    largest actor state (16777216)\n"
        "  --max-mailbox N      messages waiting per actor (100000); a\n"
        "                       send to a full mailbox answers 429\n"
        "  --max-hops N         steps a chain of messages may take from one\n"
        "                       sent from outside (1000000)\n"
        "  --step-limit MS      CPU time of one step before it is cut off\n"
        "                       and its actor fails (2000)\n"
        "  --max-db-size BYTES  the database may not grow past this (none);\n"
        "                       writes beyond answer 507\n"
        "  --help             this text\n");
}

/* Parses argv into o; exits on --help or a usage error. */
static void
parse_options(int argc, char **argv, struct options *o)
{
    static const struct option longs[] = {
        {"db", required_argument, NULL, 'd'},
        {"listen", required_argument, NULL, 'l'},
        {"threads", required_argument, NULL, 't'},
        {"max-body", required_argument, NULL, 'm'},
        {"sync", required_argument, NULL, 's'},
        {"batch", required_argument, NULL, 'b'},
        {"max-message", required_argument, NULL, 'M'},
        {"max-state", required_argument, NULL, 'S'},
        {"max-mailbox", required_argument, NULL, 'X'},
        {"max-hops", required_argument, NULL, 'H'},
        {"step-limit", required_argument, NULL, 'L'},
        {"max-db-size", required_argument, NULL, 'D'},
        {"load", required_argument, NULL, 'P'},
        {"plugin-dir", required_argument, NULL, 'Q'},
        {"no-upload", no_argument, NULL, 'U'},
        {"lua-instructions", required_argument, NULL, 'I'},
        {"lua-memory", required_argument, NULL, 'Y'},
        {"max-waiters", required_argument, NULL, 'W'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *env = getenv("ACTORD_DB");
    o->db = env && *env ? env : "actord.db";
    o->threads = 16;
    o->max_waiters = 10000;
    o->max_body = FCGI_MAX_BODY_DEFAULT;
    int c;
    char *end;
    while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        switch (c) {
        case 'd':
            o->db = optarg;
            break;
        case 'l':
            o->listen = optarg;
            break;
        case 't':
            o->threads = (int)strtol(optarg, &end, 10);
            if (*end || o->threads < 1 || o->threads > 1024)
                goto bad;
            break;
        case 'm':
            o->max_body = (size_t)strtoull(optarg, &end, 10);
            if (*end || o->max_body < 1 || o->max_body > (1u << 30))
                goto bad;
            break;
        case 's':
            if (strcmp(optarg, "full") == 0)
                o->eng.sync_full = 1;
            else if (strcmp(optarg, "normal") != 0)
                goto bad;
            break;
        case 'b':
            o->eng.batch_steps = (int)strtol(optarg, &end, 10);
            if (*end || o->eng.batch_steps < 1)
                goto bad;
            break;
        case 'M':
        case 'S':
        case 'X':
        case 'H':
        case 'L':
        case 'D': {
            long long v = strtoll(optarg, &end, 10);
            if (*end || end == optarg || v < 0 || (c == 'L' && v > 3600 * 1000))
                goto bad;
            /* 0 on the command line is "none": -1 to the engine. */
            long long lim = v == 0 ? -1 : v;
            switch (c) {
            case 'M':
                o->eng.max_message = lim;
                break;
            case 'S':
                o->eng.max_state = lim;
                break;
            case 'X':
                o->eng.max_mailbox = lim;
                break;
            case 'H':
                o->eng.max_hops = lim;
                break;
            case 'L':
                o->eng.step_limit_ms = (int)lim;
                break;
            case 'D':
                o->eng.max_db_bytes = v;
                break;
            }
            break;
        }
        case 'P':
        case 'Q': {
            struct plugin_arg *p =
                realloc(o->plugins, (size_t)(o->nplugins + 1) * sizeof *p);
            if (p == NULL) {
                fprintf(stderr, "actord: out of memory\n");
                exit(1);
            }
            o->plugins = p;
            p[o->nplugins].is_dir = c == 'Q';
            p[o->nplugins].path = optarg;
            o->nplugins++;
            break;
        }
        case 'W':
            o->max_waiters = strtol(optarg, &end, 10);
            if (*end || end == optarg || o->max_waiters < 0 ||
                o->max_waiters > 10000000)
                goto bad;
            break;
        case 'U':
            o->no_upload = 1;
            break;
        case 'I':
        case 'Y': {
            long long v = strtoll(optarg, &end, 10);
            if (*end || end == optarg || v < 1)
                goto bad;
            *(c == 'I' ? &o->lua_instructions : &o->lua_memory) = v;
            break;
        }
        case 'h':
            usage(stdout);
            exit(0);
        default:
            goto bad;
        }
    }
    if (optind == argc)
        return;
bad:
    usage(stderr);
    exit(2);
}

static void log_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Writes one line to stderr with a timestamp. */
static void
log_msg(const char *fmt, ...)
{
    char ts[AD_TIME_LEN];
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s actord[%d]: %s\n", ad_time_iso(ad_now_ms(), ts),
            (int)getpid(), line);
}

/* Tells waiting long-polls that actors may have changed. */
static void
hub_broadcast(void)
{
    pthread_mutex_lock(&hub.mu);
    hub.gen++;
    pthread_cond_broadcast(&hub.changed);
    pthread_mutex_unlock(&hub.mu);
}

/* Tells the scheduler that work was queued. */
static void
hub_kick(void)
{
    pthread_mutex_lock(&hub.mu);
    hub.work_pending = 1;
    pthread_cond_signal(&hub.work);
    pthread_mutex_unlock(&hub.mu);
}

/* fcgi_config.wait under FastCGI: sleeps until the next broadcast. */
static int
wait_fastcgi(void *ctx, struct eng *e, int ms)
{
    (void)ctx;
    (void)e;
    struct timespec ts;
    ad_realtime_in(&ts, ms);
    pthread_mutex_lock(&hub.mu);
    unsigned long gen = hub.gen;
    while (!hub.stop && hub.gen == gen)
        if (pthread_cond_timedwait(&hub.changed, &hub.mu, &ts) == ETIMEDOUT)
            break;
    pthread_mutex_unlock(&hub.mu);
    return hub.stop ? -1 : 0;
}

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
    if (resp->body && strcmp(req->method ? req->method : "", "HEAD") != 0) {
        *body = json_dumps(resp->body, JSON_COMPACT | JSON_ENCODE_ANY);
        if (*body == NULL)
            return -1;
    }
    snprintf(head, headlen,
             "Status: %d %s\r\nContent-Type: application/json\r\n"
             "Cache-Control: no-store\r\n%s\r\n",
             resp->status, fcgi_reason(resp->status), resp->headers);
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
        log_msg("%s %s: %d %s (%s)", req->method ? req->method : "-", req->path,
                resp->status,
                json_string_value(json_object_get(resp->body, "error")),
                eng_errmsg(e));
}

/* Writes resp to fr (not finished here). */
static void
write_answer(FCGX_Request *fr, const struct fcgi_request *req,
             struct fcgi_response *resp)
{
    char head[1024];
    char *out = NULL;
    if (format_response(req, resp, head, sizeof head, &out) == 0) {
        FCGX_PutS(head, fr->out);
        if (out) {
            FCGX_PutS(out, fr->out);
            FCGX_PutS("\n", fr->out);
        }
    }
    free(out);
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

/* Hands the accepted request fr, whose route answered resp->park, to the
 * waiter.  Returns 0, or -1 when it could not (fr is then still the
 * caller's). */
static int
park_request(FCGX_Request *fr, const struct fcgi_request *req,
             const struct fcgi_response *resp)
{
    struct parked *pk = calloc(1, sizeof *pk);
    if (pk == NULL)
        return -1;
    pk->method = strdup(req->method ? req->method : "");
    pk->path = strdup(req->path ? req->path : "");
    if (pk->method == NULL || pk->path == NULL) {
        free(pk->method);
        free(pk->path);
        free(pk);
        return -1;
    }
    pk->fr = fr;
    pk->park = resp->park;
    atomic_fetch_add(&hub.nparked, 1);
    pthread_mutex_lock(&hub.mu);
    pk->next = hub.fresh;
    hub.fresh = pk;
    pthread_cond_broadcast(&hub.changed);
    pthread_mutex_unlock(&hub.mu);
    return 0;
}

/* One request thread: accept, route, answer, until stopped.  A request
 * that must wait is parked (park_request) and the thread goes on. */
static void *
worker_main(void *arg)
{
    (void)arg;
    static pthread_mutex_t accept_mu = PTHREAD_MUTEX_INITIALIZER;
    struct eng *e = NULL;
    int err = eng_open(hub.opt->db, &hub.opt->eng, &e);
    if (err != AD_OK) {
        log_msg("cannot open %s: %s", hub.opt->db, ad_strerror(err));
        return NULL;
    }
    struct fcgi_config cfg = {.max_body = hub.opt->max_body,
                              .no_upload = hub.opt->no_upload,
                              .wait = wait_fastcgi,
                              .park = 1};
    FCGX_Request *fr = NULL;
    while (!hub.stop) {
        if (fr == NULL && (fr = new_fcgx()) == NULL) {
            log_msg("out of memory for a request");
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
        cfg.park_full = atomic_load(&hub.nparked) >= hub.max_parked;
        fcgi_route(e, &cfg, &req, &resp);
        if (resp.wrote)
            hub_kick();
        if (resp.park.kind != FCGI_PARK_NONE) {
            if (park_request(fr, &req, &resp) == 0) {
                fr = NULL;
                free(in);
                continue;
            }
            /* Could not park: answer with what there is now. */
            fcgi_park_step(e, &resp.park, 1, &resp);
        }
        log_failure(e, &req, &resp);
        write_answer(fr, &req, &resp);
        free(in);
        fcgi_response_free(&resp);
        FCGX_Finish_r(fr);
    }
    if (fr != NULL) {
        FCGX_Free(fr, 0);
        free(fr);
    }
    eng_close(e);
    return NULL;
}

/* Answers the parked request pk with resp and frees it. */
static void
finish_parked(struct eng *e, struct parked *pk, struct fcgi_response *resp)
{
    struct fcgi_request req = {.method = pk->method, .path = pk->path};
    log_failure(e, &req, resp);
    write_answer(pk->fr, &req, resp);
    fcgi_response_free(resp);
    FCGX_Finish_r(pk->fr);
    /* A connection the web server keeps open is closed: no thread
     * accepts on this request again. */
    FCGX_Free(pk->fr, 1);
    free(pk->fr);
    free(pk->method);
    free(pk->path);
    free(pk);
    atomic_fetch_sub(&hub.nparked, 1);
}

/* Checks every request of list once: answers those that are done and
 * returns the others, lowering *earliest to their earliest deadline. */
static struct parked *
check_parked(struct eng *e, struct parked *list, int stopping,
             int64_t *earliest)
{
    struct parked *keep = NULL;
    while (list != NULL) {
        struct parked *pk = list;
        list = pk->next;
        struct fcgi_response resp = {0};
        if (fcgi_park_step(e, &pk->park, stopping, &resp)) {
            finish_parked(e, pk, &resp);
            continue;
        }
        if (pk->park.deadline < *earliest)
            *earliest = pk->park.deadline;
        pk->next = keep;
        keep = pk;
    }
    return keep;
}

/* The waiter: answers parked requests when actors may have changed (the
 * scheduler's broadcasts), at their deadlines, and when stopping.  arg is
 * its engine (opened by serve_fastcgi, used only here). */
static void *
waiter_main(void *arg)
{
    struct eng *e = arg;
    struct parked *mine = NULL;
    int64_t earliest = INT64_MAX; /* of mine */
    pthread_mutex_lock(&hub.mu);
    unsigned long seen = hub.gen;
    for (;;) {
        while (hub.fresh == NULL && hub.gen == seen &&
               !(hub.stop && (mine != NULL || hub.workers_done))) {
            int64_t ms = earliest == INT64_MAX ? 1000 : earliest - ad_mono_ms();
            if (ms <= 0)
                break;
            struct timespec ts;
            ad_realtime_in(&ts, ms > 1000 ? 1000 : (int)ms);
            if (pthread_cond_timedwait(&hub.changed, &hub.mu, &ts) == ETIMEDOUT)
                break;
        }
        struct parked *fresh = hub.fresh;
        hub.fresh = NULL;
        int changed = hub.gen != seen;
        seen = hub.gen;
        int stopping = hub.stop;
        int done = hub.workers_done;
        pthread_mutex_unlock(&hub.mu);
        if (stopping && done && fresh == NULL && mine == NULL)
            break;
        if (changed || stopping || ad_mono_ms() >= earliest) {
            earliest = INT64_MAX;
            mine = check_parked(e, mine, stopping, &earliest);
        }
        fresh = check_parked(e, fresh, stopping, &earliest);
        while (fresh != NULL) {
            struct parked *pk = fresh;
            fresh = pk->next;
            pk->next = mine;
            mine = pk;
        }
        pthread_mutex_lock(&hub.mu);
    }
    eng_close(e);
    return NULL;
}

/* Raises the soft limit of open files to the hard one and sets the cap on
 * parked requests: --max-waiters, or fewer when descriptors are short
 * (each parked request holds its connection). */
static void
set_max_parked(const struct options *o)
{
    struct rlimit rl;
    long fds = 1024;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        if (rl.rlim_cur < rl.rlim_max) {
            rlim_t was = rl.rlim_cur;
            rl.rlim_cur = rl.rlim_max;
            if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
                rl.rlim_cur = was;
        }
        fds = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 100000000
                  ? 100000000
                  : (long)rl.rlim_cur;
    }
    /* The listener, logs, the database's files for each connection (the
     * workers', the scheduler's, the waiter's), the requests in hand. */
    long margin = 64 + 4L * (o->threads + 3);
    long cap = fds - margin < 0 ? 0 : fds - margin;
    hub.max_parked = o->max_waiters < cap ? o->max_waiters : cap;
    log_msg("open files: %ld; up to %ld requests may wait (--max-waiters %ld)",
            fds, hub.max_parked, o->max_waiters);
}

/* The scheduler: runs runnable actors whenever there may be work. */
static void *
scheduler_main(void *arg)
{
    (void)arg;
    struct eng *e = NULL;
    int err = eng_open(hub.opt->db, &hub.opt->eng, &e);
    if (err != AD_OK) {
        log_msg("scheduler cannot open %s: %s", hub.opt->db, ad_strerror(err));
        hub.stop = 1;
        return NULL;
    }
    eng_unstrand(e);
    while (!hub.stop) {
        long steps = 0;
        err = eng_run(e, 0, 200, &steps);
        if (err != AD_OK && err != AD_EBUSY)
            log_msg("scheduler: %s (%s)", ad_strerror(err), eng_errmsg(e));
        if (steps > 0 || eng_changed(e))
            hub_broadcast();
        if (steps > 0 && err == AD_OK)
            continue;
        struct timespec ts;
        ad_realtime_in(&ts, err == AD_OK ? POLL_MS : 500);
        pthread_mutex_lock(&hub.mu);
        while (!hub.stop && !hub.work_pending)
            if (pthread_cond_timedwait(&hub.work, &hub.mu, &ts) == ETIMEDOUT)
                break;
        hub.work_pending = 0;
        pthread_mutex_unlock(&hub.mu);
    }
    eng_close(e);
    return NULL;
}

/* Waits for SIGINT or SIGTERM, then stops everything. */
static void *
signal_main(void *arg)
{
    sigset_t *set = arg;
    int sig = 0;
    sigwait(set, &sig);
    log_msg("signal %d: stopping", sig);
    hub.stop = 1;
    /* Wakes threads blocked in accept(). */
    shutdown(hub.listen_fd, SHUT_RDWR);
    pthread_mutex_lock(&hub.mu);
    pthread_cond_broadcast(&hub.changed);
    pthread_cond_broadcast(&hub.work);
    pthread_mutex_unlock(&hub.mu);
    return NULL;
}

/* Opens the listening socket named by addr. */
static int
open_listener(const char *addr)
{
    if (strncmp(addr, "unix:", 5) == 0) {
        const char *path = addr + 5;
        struct stat sb;
        if (lstat(path, &sb) == 0 && S_ISSOCK(sb.st_mode))
            unlink(path);
        return FCGX_OpenSocket(path, 128);
    }
    if (strchr(addr, ':') == NULL)
        return -1;
    return FCGX_OpenSocket(addr, 128);
}

static int
serve_fastcgi(struct options *o, int fd)
{
    /* The threads' connections take turns at writing and share commits
     * of concurrent sends (engine.h, eng_group). */
    struct eng_group *group = eng_group_new();
    if (group == NULL)
        return 1;
    o->eng.group = group;
    hub.listen_fd = fd;
    hub.opt = o;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    /* Open once here so that a bad path or a newer schema fails loudly
     * before any thread starts. */
    struct eng *probe = NULL;
    int err = eng_open(o->db, &o->eng, &probe);
    if (err != AD_OK) {
        log_msg("cannot open %s: %s (%s)", o->db, ad_strerror(err),
                probe ? eng_errmsg(probe) : "");
        eng_close(probe);
        eng_group_free(group);
        return 1;
    }
    eng_close(probe);

    set_max_parked(o);
    struct eng *we = NULL;
    err = eng_open(o->db, &o->eng, &we);
    pthread_t sig, sched, waiter,
        *workers = calloc((size_t)o->threads, sizeof *workers);
    if (workers == NULL || err != AD_OK) {
        if (err != AD_OK)
            log_msg("cannot open %s: %s", o->db, ad_strerror(err));
        free(workers);
        eng_close(we);
        eng_group_free(group);
        return 1;
    }
    pthread_create(&sig, NULL, signal_main, &set);
    pthread_create(&sched, NULL, scheduler_main, NULL);
    pthread_create(&waiter, NULL, waiter_main, we);
    for (int i = 0; i < o->threads; i++)
        pthread_create(&workers[i], NULL, worker_main, NULL);
    log_msg("serving FastCGI on %s, database %s, %d threads",
            o->listen ? o->listen : "standard input", o->db, o->threads);
    for (int i = 0; i < o->threads; i++)
        pthread_join(workers[i], NULL);
    /* The waiter answers what is parked with what there is, then ends. */
    pthread_mutex_lock(&hub.mu);
    hub.stop = 1;
    hub.workers_done = 1;
    pthread_cond_broadcast(&hub.changed);
    pthread_cond_broadcast(&hub.work);
    pthread_mutex_unlock(&hub.mu);
    pthread_join(waiter, NULL);
    pthread_join(sched, NULL);
    /* The signal thread is still in sigwait when the workers stopped for
     * another reason: wake it. */
    pthread_kill(sig, SIGTERM);
    pthread_join(sig, NULL);
    free(workers);
    eng_group_free(group);
    if (o->listen && strncmp(o->listen, "unix:", 5) == 0)
        unlink(o->listen + 5);
    log_msg("stopped");
    return 0;
}

static int
serve_cgi(const struct options *o)
{
    struct eng *e = NULL;
    struct fcgi_request req = {0};
    struct fcgi_response resp = {0};
    char pathbuf[2048], head[1024];
    char *in = NULL, *out = NULL;
    struct fcgi_config cfg = {
        .max_body = o->max_body, .no_upload = o->no_upload, .wait = wait_cgi};
    fill_request(&req, get_env, NULL, pathbuf, sizeof pathbuf);
    int err = eng_open(o->db, &o->eng, &e);
    if (err != AD_OK) {
        resp.status = 503;
        resp.body = json_pack("{s:s, s:s}", "error", ad_errcode(err), "message",
                              ad_strerror(err));
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
    if (format_response(&req, &resp, head, sizeof head, &out) == 0) {
        fputs(head, stdout);
        if (out)
            printf("%s\n", out);
    }
    fflush(stdout);
    free(out);
    free(in);
    fcgi_response_free(&resp);
    eng_close(e);
    return 0;
}

int
main(int argc, char **argv)
{
    struct options o = {0};
    parse_options(argc, argv, &o);
    /* The standard behaviours first, so that they keep their names; then
     * the plugins, in the order given; then eng_init freezes the
     * registry. */
    if (behaviors_register_standard() != 0) {
        log_msg("the engine did not initialise");
        return 1;
    }
    for (int i = 0; i < o.nplugins; i++) {
        char err[1024];
        const struct plugin_arg *p = &o.plugins[i];
        int rc = p->is_dir ? plugin_load_dir(p->path, err, sizeof err)
                           : plugin_load(p->path, err, sizeof err);
        if (rc != AD_OK) {
            log_msg("%s; not starting", err);
            free(o.plugins);
            return 1;
        }
    }
    free(o.plugins);
    o.plugins = NULL;
    /* Uploaded behaviours are Lua; --no-upload refuses new ones, and
     * those uploaded before still run. */
    luab_set_limits(o.lua_instructions, o.lua_memory);
    if (eng_set_language(luab_language()) != AD_OK || eng_init() != 0) {
        log_msg("the engine did not initialise");
        return 1;
    }
    if (FCGX_Init() != 0) {
        log_msg("FCGX_Init failed");
        return 1;
    }
    if (o.listen) {
        int fd = open_listener(o.listen);
        if (fd < 0) {
            log_msg("cannot listen on %s: %s", o.listen, strerror(errno));
            return 1;
        }
        return serve_fastcgi(&o, fd);
    }
    if (FCGX_IsCGI())
        return serve_cgi(&o);
    return serve_fastcgi(&o, 0);
}
