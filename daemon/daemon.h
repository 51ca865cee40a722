/*
 * daemon.h - what the files of actord, the program, share.  The REST
 * front (fcgi/fcgi.h) answers one request; this folder is the process
 * around it: options (options.c), the request threads and their I/O
 * (worker.c), the requests that wait without a thread (park.c), and the
 * process itself: its threads, signals and the CGI mode (main.c).
 */
#ifndef ACTORD_DAEMON_H
#define ACTORD_DAEMON_H

#include <fcgiapp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

#include "engine/engine.h"
#include "fcgi/fcgi.h"

/* One --load FILE or --plugin-dir DIR, in the order given. */
struct plugin_arg {
    int is_dir;       /* 1: --plugin-dir */
    const char *path; /* borrowed from the process's configuration */
};

/* What actord was told, from its command line and its configuration
 * file.  Every string is borrowed from the process's configuration
 * (options.c), which lives as long as the process. */
struct options {
    const char *db;     /* database path */
    const char *listen; /* "unix:PATH", "HOST:PORT", or NULL */
    int socket_mode;    /* permissions of listen's unix socket; -1: as made */
    long socket_gid;    /* group of listen's unix socket; -1: as made */
    int threads;        /* request threads */
    size_t max_body;    /* bytes */
    struct eng_opts eng;
    struct plugin_arg *plugins; /* owned array of nplugins */
    int nplugins;
    int no_upload;              /* 1: PUT/DELETE /behaviors/NAME 403 */
    long long lua_instructions; /* per step; 0: the default */
    long long lua_memory;       /* bytes per Lua state; 0: the default */
    long max_waiters;           /* parked requests at most */
    int log_level;              /* enum ad_log_level: the least written */
};

/* What the threads of one process share. */
struct hub {
    pthread_mutex_t mu;
    pthread_cond_t work; /* signalled when work was queued */
    int work_pending;    /* 1 when a request queued work */
    /* 1 once stopping: set by the signal thread, the scheduler or main,
     * read by every thread without the lock, hence atomic (volatile is
     * not enough between threads; no signal handler touches it). */
    atomic_int stop;
    int listen_fd;
    const struct options *opt;
};

extern struct hub hub;

/* ---- main.c ---- */

/*
 * Opens an engine on o->db with o->eng into *out (eng_open_why).  When
 * it fails, logs and writes into msg (len bytes) "cannot open the
 * database PATH: REASON" (SQLite's message and the operating system's
 * reason) and returns the ad_err.
 */
int daemon_open(const struct options *o, struct eng **out, char *msg,
                size_t len);

/* ---- options.c ---- */

/*
 * Parses argv, and the file of --config, into o (zeroed by the caller);
 * flags override the file's keys.  Exits on --help or --version (0), on
 * --check-config (0 valid, 1 not), on a bad option (2), and on a bad
 * configuration (1), after saying what is wrong on stderr.
 */
void options_parse(int argc, char **argv, struct options *o);

/* ---- worker.c ---- */

/* One request thread under FastCGI: accept, route, answer, until
 * hub.stop.  A request that must wait is parked (park_add). */
void *worker_main(void *arg);

/* Answers one request as a CGI program (the environment and stdin). */
int worker_cgi(const struct options *o);

/* Writes resp for req to fr (not finished here) and logs it if it is a
 * server error. */
void worker_answer(struct eng *e, FCGX_Request *fr,
                   const struct fcgi_request *req, struct fcgi_response *resp);

/* Ends the request fr (answered): reads what is left of its body and
 * closes its connection, at once when nothing was left unread. */
void worker_finish(FCGX_Request *fr);

/* ---- park.c ---- */

/*
 * Sets up parking for o: raises the limit of open files as far as it may
 * and sets the cap on parked requests (--max-waiters, or fewer when file
 * descriptors are short), and says so.  Returns 0 or -1.
 */
int park_init(const struct options *o);

/* Requests parked now. */
long park_count(void);

/* The requests that may wait at once (--max-waiters, or fewer when open
 * files are short), and the open files allowed; set by park_init. */
long park_capacity(void);
long park_open_files(void);

/* 1 when no more requests may park. */
int park_full(void);

/*
 * Hands the accepted request fr, whose route answered resp->park, to the
 * waiter.  Returns 0, or -1 when it could not (fr is then still the
 * caller's, who answers it at once).
 */
int park_add(FCGX_Request *fr, const struct fcgi_request *req,
             const struct fcgi_response *resp);

/* Tells the waiter that actors may have changed (the scheduler ran
 * steps, or another process wrote). */
void park_changed(void);

/* Tells the waiter that the workers have returned: it answers what is
 * parked with what there is, and ends. */
void park_stop(void);

/* The waiter thread: answers parked requests when actors may have
 * changed, at their deadlines, and when stopping; drops a request whose
 * web server connection closed (its client went away).  arg is its own
 * engine, closed when it ends. */
void *park_main(void *arg);

#endif
