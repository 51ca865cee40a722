/*
 * waiters.c - a load client for requests that wait (long-polls, calls),
 * for tests/integration/test_waiters.sh and bench/http.sh.  It opens N
 * TCP connections to 127.0.0.1:PORT, sends one HTTP/1.1 request on each
 * (`Connection: close`), waits with epoll for every answer until a time
 * bound, and prints on standard output:
 *
 *   200 1990        one line per HTTP status, lowest first (000: an
 *                   answer without a status line)
 *   match 1990      answers that contain --grep's text
 *   none 10         connections without an answer (still waiting)
 *   error 0         connect or I/O errors, or closed without an answer
 *   sent 2000       requests written in full
 *   seconds 1.234   from the first connect to the last answer (0: none)
 *
 *   waiters [OPTIONS] PORT PATH
 *
 *   --count N      connections (default 1)
 *   --spread M     each %d in PATH becomes i % M (default 1), so that the
 *                  requests spread over M actors
 *   --method VERB  GET (default) or POST
 *   --body TEXT    a body, sent as application/json
 *   --batch B      connects B at a time (default 50), the next batch
 *   --pause MS     MS ms (default 10) after the last one's requests are
 *                  written: a burst overruns nginx's listen backlog (511),
 *                  or actord's (128) and nginx answers 502
 *   --timeout S    waits for answers until S s after the start (60)
 *   --hold S       keeps the connections S s whatever comes, then closes
 *                  them (clients going away)
 *   --grep TEXT    counts the answers that contain TEXT (in their first
 *                  4 KiB, head and body)
 *   --ready FILE   writes FILE ("sent N") once every request is sent, so
 *                  that a script knows they are waiting
 *
 * Exit status: 0 when every connection was answered (with --hold: when
 * every request was sent and none was answered), 1 otherwise, 2 on a
 * usage or set-up error.  SIGTERM or SIGINT ends the wait at once, and the
 * summary is still printed.  It raises its open-files limit to the hard
 * limit and needs N + 16 descriptors.  Loopback only, libc only.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define ANSWER_MAX 4096 /* bytes of an answer kept for its status and grep */

enum { CONN_NEW, CONN_SENDING, CONN_WAITING, CONN_DONE };

/* One connection. */
struct conn {
    int fd;     /* open while CONN_SENDING or CONN_WAITING */
    int state;  /* CONN_NEW, then one after the other */
    size_t off; /* bytes of the request written */
    char *buf;  /* owned, NUL ended: the answer's first ANSWER_MAX bytes,
                   allocated at its first byte and freed at its end */
    size_t len; /* bytes in buf */
};

/* What the options asked for: numbers as doubles (whole where they
 * count), timeout and hold in s (hold 0: not holding), pause in ms. */
static struct {
    double port, count, spread, batch, pause, timeout, hold;
    const char *method, *path, *body, *grep, *ready;
} opt = {.count = 1,
         .spread = 1,
         .batch = 50,
         .pause = 10,
         .timeout = 60,
         .method = "GET"};

/* What happened so far. */
static struct {
    long status[600]; /* answers by status; [0]: no status line */
    long match, error, sent, ended;
    long sending; /* connections opened, their request not all sent */
    int next;     /* the next connection to open */
    double start, last, next_batch; /* s, monotonic */
} run;

static int epfd = -1;
static volatile sig_atomic_t stop_flag;

static void
on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

/* Seconds from a monotonic clock. */
static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Writes request i into buf (size cap); returns its length, 0 when it
 * does not fit. */
static size_t
request_text(int i, char *buf, size_t cap)
{
    char path[2048], head[128] = "";
    size_t n = 0;
    for (const char *p = opt.path; *p != '\0' && n + 12 < sizeof path; p++) {
        if (p[0] == '%' && p[1] == 'd') {
            n += (size_t)snprintf(path + n, sizeof path - n, "%d",
                                  i % (int)opt.spread);
            p++;
        } else {
            path[n++] = *p;
        }
    }
    path[n] = '\0';
    if (opt.body != NULL)
        snprintf(head, sizeof head,
                 "Content-Type: application/json\r\nContent-Length: %zu\r\n",
                 strlen(opt.body));
    int len = snprintf(buf, cap,
                       "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                       "Connection: close\r\n%s\r\n%s",
                       opt.method, path, (int)opt.port, head,
                       opt.body != NULL ? opt.body : "");
    return len < 0 || (size_t)len >= cap ? 0 : (size_t)len;
}

/* Writes "sent N" to opt.ready through a temporary file, so that a reader
 * never sees half of it. */
static void
write_ready(void)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", opt.ready);
    FILE *f = fopen(tmp, "w");
    if (f == NULL || fprintf(f, "sent %ld\n", run.sent) < 0 || fclose(f) != 0 ||
        rename(tmp, opt.ready) != 0)
        fprintf(stderr, "waiters: cannot write %s\n", opt.ready);
}

/* c's request is sent, or failed: once the whole batch is, the next may
 * start after the pause; after the last batch, the ready file. */
static void
sending_over(struct conn *c, int state)
{
    c->state = state;
    if (--run.sending > 0)
        return;
    run.next_batch = now_s() + opt.pause / 1000;
    if (run.next == (int)opt.count && opt.ready != NULL)
        write_ready();
}

/* Ends c: closes it and counts it as an error (failed) or as its answer. */
static void
conn_end(struct conn *c, int failed)
{
    if (!failed && c->len > 0) {
        int status = 0;
        if (sscanf(c->buf, "HTTP/1.%*c %3d", &status) != 1 || status < 100 ||
            status > 599)
            status = 0;
        run.status[status]++;
        run.match += opt.grep != NULL && strstr(c->buf, opt.grep) != NULL;
        run.last = now_s();
    } else {
        run.error++;
    }
    if (c->state == CONN_SENDING)
        sending_over(c, CONN_DONE);
    if (c->fd >= 0)
        close(c->fd); /* which takes it out of epfd */
    c->fd = -1;
    c->state = CONN_DONE;
    run.ended++;
    free(c->buf);
    c->buf = NULL;
}

/* Starts c's connect; its request follows when the socket is writable. */
static void
conn_open(struct conn *c, const struct sockaddr_in *sa)
{
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    c->state = CONN_SENDING;
    run.sending++;
    struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = c};
    if (c->fd < 0 ||
        (connect(c->fd, (const struct sockaddr *)sa, sizeof *sa) != 0 &&
         errno != EINPROGRESS) ||
        epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) != 0)
        conn_end(c, 1);
}

/* Writes what is left of request i on c; once it is all written, c waits
 * for its answer. */
static void
conn_send(struct conn *c, int i)
{
    char req[4096];
    int err = 0;
    socklen_t elen = sizeof err;
    size_t len = request_text(i, req, sizeof req);
    if (len == 0 || getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0 ||
        err)
        goto fail;
    while (c->off < len) {
        ssize_t w = send(c->fd, req + c->off, len - c->off, MSG_NOSIGNAL);
        if (w < 0 && errno == EAGAIN)
            return;
        if (w <= 0)
            goto fail;
        c->off += (size_t)w;
    }
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = c};
    if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev) != 0)
        goto fail;
    run.sent++;
    sending_over(c, CONN_WAITING);
    return;
fail:
    conn_end(c, 1);
}

/* Reads what has come of c's answer; at its end (the server closes, as
 * asked: Connection: close) counts it. */
static void
conn_read(struct conn *c)
{
    char sink[4096];
    for (;;) {
        if (c->buf == NULL && (c->buf = malloc(ANSWER_MAX + 1)) == NULL)
            break;
        size_t room = ANSWER_MAX - c->len;
        char *to = room > 0 ? c->buf + c->len : sink;
        ssize_t r = recv(c->fd, to, room > 0 ? room : sizeof sink, 0);
        if (r < 0 && errno == EAGAIN)
            return;
        if (r <= 0)
            break;
        if (room > 0)
            c->len += (size_t)r;
        c->buf[c->len] = '\0';
    }
    conn_end(c, c->len == 0);
}

static void
usage(void)
{
    fprintf(stderr, "usage: waiters [--count N] [--spread M] [--method "
                    "GET|POST] [--body TEXT] [--batch B] [--pause MS] "
                    "[--timeout S] [--hold S] [--grep TEXT] [--ready FILE] "
                    "PORT PATH\n");
    exit(2);
}

/* text as a number from lo to hi (whole: an integer); exits 2 if not. */
static double
number(const char *text, double lo, double hi, int whole)
{
    char *end;
    double v = strtod(text, &end);
    if (end == text || *end != '\0' || !(v >= lo && v <= hi) ||
        (whole && v != (double)(long)v))
        usage();
    return v;
}

/* The options, all long ones: each takes a number (into num, from lo to
 * hi, whole or not) or a text (into text). */
static const struct {
    const char *name;
    double *num;
    const char **text;
    double lo, hi;
    int whole;
} options[] = {
    {"count", &opt.count, NULL, 1, 1e6, 1},
    {"spread", &opt.spread, NULL, 1, 1e6, 1},
    {"batch", &opt.batch, NULL, 1, 1e5, 1},
    {"pause", &opt.pause, NULL, 0, 1e5, 1},
    {"timeout", &opt.timeout, NULL, .001, 1e5, 0},
    {"hold", &opt.hold, NULL, .001, 1e5, 0},
    {"method", NULL, &opt.method, 0, 0, 0},
    {"body", NULL, &opt.body, 0, 0, 0},
    {"grep", NULL, &opt.grep, 0, 0, 0},
    {"ready", NULL, &opt.ready, 0, 0, 0},
};
#define NOPTIONS (sizeof options / sizeof options[0])

/* Reads the command line into opt; exits 2 on a bad one. */
static void
parse_args(int argc, char **argv)
{
    struct option longs[NOPTIONS + 1] = {{0}};
    for (size_t i = 0; i < NOPTIONS; i++)
        longs[i] = (struct option){options[i].name, 1, NULL, (int)i};
    int i;
    while ((i = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        if (i >= (int)NOPTIONS) /* '?': not an option of the table */
            usage();
        if (options[i].num != NULL)
            *options[i].num =
                number(optarg, options[i].lo, options[i].hi, options[i].whole);
        else
            *options[i].text = optarg;
    }
    if (argc - optind != 2 || argv[optind + 1][0] != '/' ||
        (strcmp(opt.method, "GET") != 0 && strcmp(opt.method, "POST") != 0))
        usage();
    opt.port = number(argv[optind], 1, 65535, 1);
    opt.path = argv[optind + 1];
    if (opt.hold > 0)
        opt.timeout = opt.hold;
}

/* Raises the soft open-files limit to the hard one; 0 when the
 * connections fit. */
static int
raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return -1;
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0 && getrlimit(RLIMIT_NOFILE, &rl))
        return -1;
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < opt.count + 16) {
        fprintf(stderr,
                "waiters: %.0f connections need %.0f descriptors; "
                "the limit is %lu\n",
                opt.count, opt.count + 16, (unsigned long)rl.rlim_cur);
        return -1;
    }
    return 0;
}

int
main(int argc, char **argv)
{
    parse_args(argc, argv);
    if (raise_nofile() != 0)
        return 2;
    int count = (int)opt.count;
    struct conn *conns = calloc((size_t)count, sizeof *conns);
    epfd = epoll_create1(EPOLL_CLOEXEC);
    if (conns == NULL || epfd < 0) {
        fprintf(stderr, "waiters: %s\n", strerror(errno));
        return 2;
    }
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_port = htons((uint16_t)opt.port),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    run.start = run.next_batch = now_s();
    double deadline = run.start + opt.timeout;
    struct epoll_event evs[256];
    while (!stop_flag && (opt.hold > 0 || run.ended < count)) {
        double now = now_s();
        if (now >= deadline)
            break;
        if (run.next < count && run.sending == 0 && now >= run.next_batch)
            for (int k = 0; k < (int)opt.batch && run.next < count; k++)
                conn_open(&conns[run.next++], &addr);
        double wake = deadline;
        if (run.next < count && run.sending == 0 && run.next_batch < wake)
            wake = run.next_batch;
        int n = epoll_wait(epfd, evs, 256, (int)((wake - now) * 1000) + 1);
        for (int k = 0; k < n; k++) {
            struct conn *c = evs[k].data.ptr;
            if (c->state == CONN_SENDING)
                conn_send(c, (int)(c - conns));
            else if (c->state == CONN_WAITING)
                conn_read(c);
        }
    }
    long answered = 0;
    for (int s = 0; s < 600; s++) {
        if (run.status[s] > 0)
            printf("%03d %ld\n", s, run.status[s]);
        answered += run.status[s];
    }
    if (opt.grep != NULL)
        printf("match %ld\n", run.match);
    printf("none %ld\nerror %ld\nsent %ld\nseconds %.3f\n",
           count - answered - run.error, run.error, run.sent,
           answered > 0 ? run.last - run.start : 0.0);
    for (int i = 0; i < count; i++) {
        if (conns[i].state == CONN_SENDING || conns[i].state == CONN_WAITING)
            close(conns[i].fd);
        free(conns[i].buf);
    }
    free(conns);
    close(epfd);
    if (opt.hold > 0)
        return run.sent == count && answered == 0 && run.error == 0 ? 0 : 1;
    return answered == count ? 0 : 1;
}
