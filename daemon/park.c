/*
 * park.c - requests that wait without a thread.  A long-poll or a REST
 * call that cannot be answered at once is handed here by the worker that
 * routed it (park_add); one waiter thread holds them all and answers each
 * when the actor may have changed (park_changed, from the scheduler), at
 * its deadline, or when actord stops.  The waiter sleeps in epoll_wait on
 * an eventfd (the wake-ups) and on every parked connection: a connection
 * the web server closes (its client went away) is dropped at once, a
 * call's reply box ended, instead of being held until its deadline.
 */
#include <errno.h>
#include <fcgiapp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <unistd.h>

#include "daemon/daemon.h"
#include "util/util.h"

/* The least time between two sweeps after changes, ms. */
#define MIN_SWEEP_MS 2

/* A request that waits: the worker that routed it hands it over. */
struct parked {
    struct parked *prev, *next; /* the waiter's list, or fresh */
    FCGX_Request *fr;           /* owned: heap, accepted, not yet finished */
    char *method; /* owned copies of what the answer and log need */
    char *path;
    struct fcgi_park park;
};

static struct {
    pthread_mutex_t mu;
    /* Under mu: parked since the waiter last looked (each is checked
     * once more by the waiter, so that a change between the worker's
     * check and the parking is not missed); 1 when actors may have
     * changed; 1 once the workers have returned. */
    struct parked *fresh;
    int changed;
    int stopping;
    int epfd;      /* the waiter's epoll */
    int wakefd;    /* an eventfd in epfd: written to wake the waiter */
    atomic_long n; /* parked now (fresh and the waiter's) */
    long max;      /* the cap: --max-waiters, or fewer by fds */
    long fds;      /* the open files allowed (RLIMIT_NOFILE) */
} park = {.mu = PTHREAD_MUTEX_INITIALIZER, .epfd = -1, .wakefd = -1};

int
park_init(const struct options *o)
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
     * workers', the scheduler's, the waiter's), the epoll and eventfd,
     * the requests in hand. */
    long margin = 64 + 4L * (o->threads + 3);
    long cap = fds - margin < 0 ? 0 : fds - margin;
    park.max = o->max_waiters < cap ? o->max_waiters : cap;
    park.epfd = epoll_create1(EPOLL_CLOEXEC);
    park.wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    if (park.epfd < 0 || park.wakefd < 0 ||
        epoll_ctl(park.epfd, EPOLL_CTL_ADD, park.wakefd, &ev) != 0) {
        ad_log(AD_LOG_ERROR, "waiter_failed", "reason=%s", strerror(errno));
        return -1;
    }
    park.fds = fds;
    if (park.max < o->max_waiters)
        ad_log(AD_LOG_WARN, "limit_waiters",
               "waiters=%ld max_waiters=%ld open_files=%ld reason=%s", park.max,
               o->max_waiters, fds, "too few open files for --max-waiters");
    return 0;
}

long
park_capacity(void)
{
    return park.max;
}

long
park_open_files(void)
{
    return park.fds;
}

long
park_count(void)
{
    return atomic_load(&park.n);
}

int
park_full(void)
{
    return atomic_load(&park.n) >= park.max;
}

/* Wakes the waiter (an eventfd write never blocks here). */
static void
wake(void)
{
    uint64_t one = 1;
    ssize_t rc = write(park.wakefd, &one, sizeof one);
    (void)rc;
}

int
park_add(FCGX_Request *fr, const struct fcgi_request *req,
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
    /* What is left of the body (a GET's empty one): read now, so that
     * anything readable later means the web server closed or aborted. */
    char sink[512];
    while (FCGX_GetStr(sink, (int)sizeof sink, fr->in) > 0)
        ;
    pk->fr = fr;
    pk->park = resp->park;
    atomic_fetch_add(&park.n, 1);
    pthread_mutex_lock(&park.mu);
    pk->next = park.fresh;
    park.fresh = pk;
    pthread_mutex_unlock(&park.mu);
    wake();
    return 0;
}

void
park_changed(void)
{
    pthread_mutex_lock(&park.mu);
    park.changed = 1;
    pthread_mutex_unlock(&park.mu);
    wake();
}

void
park_stop(void)
{
    pthread_mutex_lock(&park.mu);
    park.stopping = 1;
    pthread_mutex_unlock(&park.mu);
    wake();
}

/* Takes pk out of list *head. */
static void
unlink_parked(struct parked **head, struct parked *pk)
{
    if (pk->prev != NULL)
        pk->prev->next = pk->next;
    else
        *head = pk->next;
    if (pk->next != NULL)
        pk->next->prev = pk->prev;
    pk->prev = pk->next = NULL;
}

/* Closes pk's connection without waiting for the web server (the body was
 * read in park_add) and frees pk. */
static void
free_parked(struct parked *pk)
{
    epoll_ctl(park.epfd, EPOLL_CTL_DEL, pk->fr->ipcFd, NULL);
    worker_finish(pk->fr); /* the body was read: a plain close() */
    free(pk->fr);
    free(pk->method);
    free(pk->path);
    free(pk);
    atomic_fetch_sub(&park.n, 1);
}

/* Answers pk with resp and frees it. */
static void
finish_parked(struct eng *e, struct parked *pk, struct fcgi_response *resp)
{
    struct fcgi_request req = {.method = pk->method, .path = pk->path};
    worker_answer(e, pk->fr, &req, resp);
    fcgi_response_free(resp);
    free_parked(pk);
}

/* pk's web server closed the connection: the client is gone.  A call's
 * reply box is ended (fcgi_park_step with stopping); nothing is sent. */
static void
drop_parked(struct eng *e, struct parked *pk)
{
    struct fcgi_response resp = {0};
    fcgi_park_step(e, &pk->park, 1, &resp);
    fcgi_response_free(&resp);
    free_parked(pk);
}

/* Checks every request of *list once: answers those that are done,
 * lowering *earliest to the deadlines of the others.  The long-polls are
 * first asked about together, by name, in one snapshot (eng_ended): only
 * those whose actor has ended load its document. */
static void
check_list(struct eng *e, struct parked **list, int stopping, int64_t *earliest)
{
    size_t n = 0, i = 0;
    for (struct parked *pk = *list; pk != NULL; pk = pk->next)
        n += pk->park.kind == FCGI_PARK_GET;
    const char **names = n ? malloc(n * sizeof *names) : NULL;
    unsigned char *ended = n ? malloc(n) : NULL;
    int light = n > 0 && names != NULL && ended != NULL && !stopping;
    if (light) {
        for (struct parked *pk = *list; pk != NULL; pk = pk->next)
            if (pk->park.kind == FCGI_PARK_GET)
                names[i++] = pk->park.name;
        light = eng_ended(e, names, n, ended) == AD_OK;
    }
    int64_t now = ad_mono_ms();
    struct parked *pk = *list, *next;
    for (i = 0; pk != NULL; pk = next) {
        next = pk->next;
        /* A long-poll whose actor lives on and whose deadline is ahead
         * waits on without a look at its document. */
        if (light && pk->park.kind == FCGI_PARK_GET && !ended[i++] &&
            pk->park.deadline > now) {
            if (pk->park.deadline < *earliest)
                *earliest = pk->park.deadline;
            continue;
        }
        struct fcgi_response resp = {0};
        if (fcgi_park_step(e, &pk->park, stopping, &resp)) {
            unlink_parked(list, pk);
            finish_parked(e, pk, &resp);
        } else if (pk->park.deadline < *earliest) {
            *earliest = pk->park.deadline;
        }
    }
    free(names);
    free(ended);
}

void *
park_main(void *arg)
{
    struct eng *e = arg;
    struct parked *mine = NULL; /* checked at least once by the waiter */
    int64_t earliest = INT64_MAX;
    /* A sweep of mine costs a read per parked request: after a change it
     * waits until next_sweep, so that sweeping takes at most about a
     * fifth of this thread's time however often actors change. */
    int pending = 0; /* a change not swept yet */
    int64_t next_sweep = 0;
    struct epoll_event evs[256];
    for (;;) {
        int64_t wake_at = earliest;
        if (pending && next_sweep < wake_at)
            wake_at = next_sweep;
        int64_t ms = wake_at == INT64_MAX ? 1000 : wake_at - ad_mono_ms();
        int n = epoll_wait(park.epfd, evs, 256,
                           ms < 0      ? 0
                           : ms > 1000 ? 1000
                                       : (int)ms);
        for (int i = 0; i < n; i++) {
            struct parked *pk = evs[i].data.ptr;
            if (pk == NULL) {
                uint64_t v;
                ssize_t rc = read(park.wakefd, &v, sizeof v);
                (void)rc;
                continue;
            }
            /* Readable or hung up after its whole request was read: the
             * web server closed it (or aborted the request). */
            unlink_parked(&mine, pk);
            drop_parked(e, pk);
        }
        pthread_mutex_lock(&park.mu);
        struct parked *fresh = park.fresh;
        park.fresh = NULL;
        int changed = park.changed;
        park.changed = 0;
        int stopping = park.stopping;
        pthread_mutex_unlock(&park.mu);
        pending |= changed;
        int64_t now = ad_mono_ms();
        if (stopping || now >= earliest || (pending && now >= next_sweep)) {
            earliest = INT64_MAX;
            check_list(e, &mine, stopping, &earliest);
            int64_t took = ad_mono_ms() - now;
            next_sweep =
                now + (took * 5 > MIN_SWEEP_MS ? took * 5 : MIN_SWEEP_MS);
            pending = 0;
        }
        /* fresh was pushed without prev links: link it, check it, and
         * move what still waits into mine, watching its connection. */
        for (struct parked *pk = fresh; pk != NULL; pk = pk->next)
            if (pk->next != NULL)
                pk->next->prev = pk;
        check_list(e, &fresh, stopping, &earliest);
        while (fresh != NULL) {
            struct parked *pk = fresh;
            unlink_parked(&fresh, pk);
            struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP,
                                     .data.ptr = pk};
            if (epoll_ctl(park.epfd, EPOLL_CTL_ADD, pk->fr->ipcFd, &ev) != 0) {
                /* Not watched: answered now with what there is. */
                struct fcgi_response resp = {0};
                fcgi_park_step(e, &pk->park, 1, &resp);
                finish_parked(e, pk, &resp);
                continue;
            }
            pk->next = mine;
            if (mine != NULL)
                mine->prev = pk;
            mine = pk;
        }
        if (stopping && mine == NULL)
            break;
    }
    close(park.wakefd);
    close(park.epfd);
    eng_close(e);
    return NULL;
}
