/*
 * main.c - actord, the FastCGI program (and plain CGI program).
 *
 * Under FastCGI it runs request threads (worker.c) that answer requests
 * through fcgi_route, each with its own engine (one SQLite connection);
 * one waiter thread (park.c) that holds the requests that wait; and one
 * scheduler thread that runs runnable actors as soon as work arrives:
 * from this process's requests (signalled) or from another process
 * (actorctl from cron, a second actord: noticed by polling the
 * database's data_version every POLL_MS).  Under CGI it answers one
 * request and, before answering, drains runnable work up to a budget.
 *
 * Signals: SIGINT and SIGTERM are blocked in every thread and taken by a
 * signal thread with sigwait, which sets the stop flag and shuts the
 * listening socket down so that blocked accepts return; requests and the
 * transaction in flight finish, the parked requests are answered with
 * what there is, then the process exits.
 *
 * The listening socket is --listen's, or one that systemd passed (socket
 * activation: LISTEN_PID and LISTEN_FDS, fd 3), or standard input
 * (spawn-fcgi).  systemd's socket outlives the process, so it is never
 * shut down: the signal thread wakes the accept with a connection instead.
 */
#include <errno.h>
#include <fcgiapp.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "behaviors/behaviors.h"
#include "daemon/daemon.h"
#include "lua/luab.h"
#include "plugin/plugin.h"
#include "util/version.h"

#define POLL_MS 100

/* Connections the kernel queues before a request thread accepts them (it
 * caps this at net.core.somaxconn, 4096 on Debian 12): a burst of new
 * requests beyond the queue is refused at once, and nginx answers those
 * 502.  At 128, 2,000 long-polls sent 100 at a time got 1,230 of them. */
#define LISTEN_BACKLOG 4096

struct hub hub = {
    .mu = PTHREAD_MUTEX_INITIALIZER,
    .work = PTHREAD_COND_INITIALIZER,
    .listen_fd = -1,
};

/* 1 when hub.listen_fd came from systemd (socket activation); set by
 * main before any thread starts. */
static int listen_from_systemd;

int
daemon_open(const struct options *o, struct eng **out, char *msg, size_t len)
{
    char why[384];
    int err = eng_open_why(o->db, &o->eng, out, why, sizeof why);
    if (err != AD_OK) {
        snprintf(msg, len, "cannot open the database %s: %s", o->db, why);
        ad_utf8_scrub(msg);
        ad_log(AD_LOG_ERROR, "db_open_failed", "file=%s error=%s reason=%s",
               o->db, ad_errcode(err), why);
    }
    return err;
}

/* The scheduler: runs runnable actors whenever there may be work. */
static void *
scheduler_main(void *arg)
{
    (void)arg;
    struct eng *e = NULL;
    char msg[512];
    if (daemon_open(hub.opt, &e, msg, sizeof msg) != AD_OK) {
        hub.stop = 1;
        return NULL;
    }
    eng_unstrand(e);
    while (!hub.stop) {
        long steps = 0;
        int err = eng_run(e, 0, 200, &steps);
        if (err != AD_OK && err != AD_EBUSY)
            ad_log(AD_LOG_ERROR, "scheduler_failed", "error=%s reason=%s",
                   ad_errcode(err), eng_errmsg(e));
        if (steps > 0 || eng_changed(e))
            park_changed();
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

/*
 * Wakes the request thread blocked in accept() on fd, a socket systemd
 * passed, without ending the socket: systemd listens on it again once
 * this process is gone, and a socket shut down would stay readable and
 * refuse every connection, so systemd would start actord again and
 * again.  libfcgi is told that we stop, then one connection wakes the
 * accept, which returns an error instead of serving it.  When no thread
 * is in accept the connection stays queued, and the next actord reads
 * an empty request from it, which libfcgi skips.
 */
static void
wake_accept(int fd)
{
    struct sockaddr_storage sa;
    socklen_t len = sizeof sa;
    FCGX_ShutdownPending();
    if (getsockname(fd, (struct sockaddr *)&sa, &len) != 0)
        return;
    int c = socket(sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c < 0)
        return;
    /* Its failure leaves the threads in accept: systemd's stop timeout
     * then ends the process, as it would a hung one. */
    if (connect(c, (struct sockaddr *)&sa, len) != 0)
        ad_log(AD_LOG_WARN, "wake_failed", "reason=%s", strerror(errno));
    close(c);
}

/* Waits for SIGINT or SIGTERM, then stops everything. */
static void *
signal_main(void *arg)
{
    sigset_t *set = arg;
    int sig = 0;
    sigwait(set, &sig);
    ad_log(AD_LOG_INFO, "signal", "signal=%s",
           sig == SIGTERM  ? "SIGTERM"
           : sig == SIGINT ? "SIGINT"
                           : "other");
    hub.stop = 1;
    /* Wakes threads blocked in accept(). */
    if (listen_from_systemd)
        wake_accept(hub.listen_fd);
    else
        shutdown(hub.listen_fd, SHUT_RDWR);
    pthread_mutex_lock(&hub.mu);
    pthread_cond_broadcast(&hub.work);
    pthread_mutex_unlock(&hub.mu);
    return NULL;
}

/*
 * Opens the listening socket of o->listen.  A unix socket gets
 * o->socket_mode and o->socket_gid when they are set (so that the web
 * server's user may connect).  Returns the descriptor, or -1 after
 * logging why.
 */
static int
open_listener(const struct options *o)
{
    const char *addr = o->listen;
    if (strncmp(addr, "unix:", 5) != 0) {
        int fd = strchr(addr, ':') ? FCGX_OpenSocket(addr, LISTEN_BACKLOG) : -1;
        if (fd < 0)
            ad_log(AD_LOG_ERROR, "listen_failed", "listen=%s reason=%s", addr,
                   strerror(errno));
        return fd;
    }
    const char *path = addr + 5;
    struct stat sb;
    if (lstat(path, &sb) == 0 && S_ISSOCK(sb.st_mode))
        unlink(path);
    int fd = FCGX_OpenSocket(path, LISTEN_BACKLOG);
    if (fd < 0) {
        ad_log(AD_LOG_ERROR, "listen_failed", "listen=%s reason=%s", addr,
               strerror(errno));
        return -1;
    }
    if (o->socket_gid >= 0 && chown(path, (uid_t)-1, (gid_t)o->socket_gid)) {
        ad_log(AD_LOG_ERROR, "socket_group_failed", "file=%s gid=%ld reason=%s",
               path, o->socket_gid, strerror(errno));
        goto fail;
    }
    if (o->socket_mode >= 0 && chmod(path, (mode_t)o->socket_mode) != 0) {
        ad_log(AD_LOG_ERROR, "socket_mode_failed",
               "file=%s mode=%04o reason=%s", path, (unsigned)o->socket_mode,
               strerror(errno));
        goto fail;
    }
    return fd;
fail:
    close(fd);
    unlink(path);
    return -1;
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
     * (the file and the reason, in the log) before any thread starts. */
    struct eng *probe = NULL;
    char msg[512];
    if (daemon_open(o, &probe, msg, sizeof msg) != AD_OK) {
        ad_log(AD_LOG_ERROR, "not_starting", "reason=%s",
               "the database did not open");
        eng_group_free(group);
        return 1;
    }
    eng_close(probe);

    struct eng *we = NULL;
    int err =
        park_init(o) != 0 ? AD_EINVAL : daemon_open(o, &we, msg, sizeof msg);
    pthread_t sig, sched, waiter,
        *workers = calloc((size_t)o->threads, sizeof *workers);
    if (workers == NULL || err != AD_OK) {
        free(workers);
        eng_close(we);
        eng_group_free(group);
        return 1;
    }
    /* Logged before any thread serves, so it comes before the log of
     * any request (a client may connect as soon as a worker accepts). */
    ad_log(AD_LOG_INFO, "start",
           "version=%s listen=%s db=%s threads=%d waiters=%ld open_files=%ld "
           "sync=%s",
           ACTORD_VERSION,
           o->listen             ? o->listen
           : listen_from_systemd ? "systemd:fd3"
                                 : "stdin",
           o->db, o->threads, park_capacity(), park_open_files(),
           o->eng.sync_full ? "full" : "normal");
    pthread_create(&sig, NULL, signal_main, &set);
    pthread_create(&sched, NULL, scheduler_main, NULL);
    pthread_create(&waiter, NULL, park_main, we);
    for (int i = 0; i < o->threads; i++)
        pthread_create(&workers[i], NULL, worker_main, NULL);
    for (int i = 0; i < o->threads; i++)
        pthread_join(workers[i], NULL);
    /* The waiter answers what is parked with what there is, then ends. */
    pthread_mutex_lock(&hub.mu);
    hub.stop = 1;
    pthread_cond_broadcast(&hub.work);
    pthread_mutex_unlock(&hub.mu);
    park_stop();
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
    ad_log(AD_LOG_INFO, "stop", NULL);
    return 0;
}

/*
 * The listening socket of socket activation, as sd_listen_fds(3) hands
 * it over (without libsystemd): fd 3, when LISTEN_PID is this process
 * and LISTEN_FDS is 1.  Returns 3, -1 when systemd passed nothing to
 * this process, or -2 after saying why what it passed cannot be served.
 * The variables are removed either way, so that no child takes the
 * socket for its own.
 */
static int
systemd_listener(void)
{
    const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
    int fd = -1;
    char *end;
    struct stat sb;
    if (pid != NULL && fds != NULL && strtol(pid, &end, 10) == (long)getpid() &&
        *end == '\0') {
        long n = strtol(fds, &end, 10);
        fd = -2;
        if (*end == '\0' && n == 0)
            fd = -1;
        else if (*end != '\0' || n != 1)
            ad_log(AD_LOG_ERROR, "not_starting", "listen_fds=%s reason=%s", fds,
                   "systemd passed that many sockets (LISTEN_FDS); actord "
                   "serves one: give its socket unit one ListenStream=");
        else if (fstat(3, &sb) != 0 || !S_ISSOCK(sb.st_mode))
            ad_log(AD_LOG_ERROR, "not_starting", "reason=%s",
                   "fd 3, which systemd passed, is not a socket");
        else
            fd = 3;
    }
    if (fd == 3)
        fcntl(fd, F_SETFD, FD_CLOEXEC);
    unsetenv("LISTEN_PID");
    unsetenv("LISTEN_FDS");
    unsetenv("LISTEN_FDNAMES");
    return fd;
}

int
main(int argc, char **argv)
{
    struct options o = {0};
    options_parse(argc, argv, &o);
    ad_log_set_level(o.log_level);
    /* Before any plugin runs, so that none sees systemd's variables. */
    int sd = systemd_listener();
    if (sd == -2 || (sd >= 0 && o.listen)) {
        if (sd >= 0)
            ad_log(AD_LOG_ERROR, "not_starting", "reason=%s",
                   "both --listen and a socket from systemd: give one");
        free(o.plugins);
        return 1;
    }
    /* The standard behaviours first, so that they keep their names; then
     * the plugins, in the order given; then eng_init freezes the
     * registry. */
    if (behaviors_register_standard() != 0) {
        ad_log(AD_LOG_ERROR, "not_starting", "reason=%s",
               "the engine did not initialise");
        return 1;
    }
    for (int i = 0; i < o.nplugins; i++) {
        char err[1024];
        const struct plugin_arg *p = &o.plugins[i];
        int rc = p->is_dir ? plugin_load_dir(p->path, err, sizeof err)
                           : plugin_load(p->path, err, sizeof err);
        if (rc != AD_OK) {
            ad_log(AD_LOG_ERROR, "plugin_refused", "file=%s reason=%s", p->path,
                   err);
            ad_log(AD_LOG_ERROR, "not_starting", "reason=%s",
                   "a plugin was refused");
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
        ad_log(AD_LOG_ERROR, "not_starting", "reason=%s",
               "the engine did not initialise");
        return 1;
    }
    if (FCGX_Init() != 0) {
        ad_log(AD_LOG_ERROR, "not_starting", "reason=%s", "FCGX_Init failed");
        return 1;
    }
    if (sd >= 0) {
        listen_from_systemd = 1;
        return serve_fastcgi(&o, sd);
    }
    if (o.listen) {
        int fd = open_listener(&o);
        if (fd < 0)
            return 1;
        return serve_fastcgi(&o, fd);
    }
    if (FCGX_IsCGI())
        return worker_cgi(&o);
    return serve_fastcgi(&o, 0);
}
