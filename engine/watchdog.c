/*
 * watchdog.c - the step watchdog: a CPU-time timer per thread, a signal
 * handler that leaves a stuck step with siglongjmp, and the fences that
 * keep it out of the allocator and SQLite.  See watchdog.h.
 */
#include "engine/watchdog.h"

#include <jansson.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define WD_SIGNAL (SIGRTMIN + 3)

/* The calling thread's watchdog.  The handler runs on this thread (the
 * timer signals its thread only), so it reads these without locks. */
static _Thread_local struct {
    sigjmp_buf *jmp;               /* set while a step runs */
    volatile sig_atomic_t fence;   /* > 0: a jump now is not safe */
    volatile sig_atomic_t pending; /* a cut-off waits for the fence */
    volatile sig_atomic_t step;    /* bumped as each step begins */
    volatile sig_atomic_t seen;    /* step at the previous tick */
    unsigned long nomem;           /* jansson allocations that failed */
    timer_t timer;
    int armed; /* 1 while timer exists */
    int limit; /* its period, ms */
} wd;

static pthread_mutex_t abandoned_mu = PTHREAD_MUTEX_INITIALIZER;
static void **abandoned; /* objects of cut-off steps, kept reachable */
static size_t abandoned_n, abandoned_cap;

static void
wd__tick(int sig)
{
    (void)sig;
    if (wd.jmp == NULL)
        return;
    if (wd.step != wd.seen) {
        /* A step that began since the last tick gets a full period. */
        wd.seen = wd.step;
        return;
    }
    if (wd.fence > 0) {
        wd.pending = 1;
        return;
    }
    siglongjmp(*wd.jmp, 1);
}

/* The allocator jansson had before wd_init: the C library's, or one the
 * process installed (to count or limit memory), which ours wraps. */
static json_malloc_t wd__inner_malloc;
static json_free_t wd__inner_free;

static void *
wd__malloc(size_t n)
{
    WD_GUARD;
    void *p = wd__inner_malloc(n);
    if (p == NULL)
        wd.nomem++;
    return p;
}

static void
wd__free(void *p)
{
    WD_GUARD;
    wd__inner_free(p);
}

unsigned long
wd_nomem(void)
{
    return wd.nomem;
}

void
wd_init(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = wd__tick;
    /* SA_NODEFER: the handler may leave by siglongjmp without the signal
     * staying blocked, so sigsetjmp need not save the mask (a system call
     * per step). */
    sa.sa_flags = SA_RESTART | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    sigaction(WD_SIGNAL, &sa, NULL);
    json_get_alloc_funcs(&wd__inner_malloc, &wd__inner_free);
    json_set_alloc_funcs(wd__malloc, wd__free);
}

int
wd_start(int limit_ms)
{
    if (wd.armed && limit_ms == wd.limit)
        return 0;
    wd_release();
    if (limit_ms <= 0)
        return 0;
    struct sigevent sev;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_THREAD_ID;
    sev.sigev_signo = WD_SIGNAL;
    sev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
    if (timer_create(CLOCK_THREAD_CPUTIME_ID, &sev, &wd.timer) != 0)
        return -1;
    struct itimerspec its = {
        .it_interval = {limit_ms / 1000, (limit_ms % 1000) * 1000000L},
        .it_value = {limit_ms / 1000, (limit_ms % 1000) * 1000000L},
    };
    if (timer_settime(wd.timer, 0, &its, NULL) != 0) {
        timer_delete(wd.timer);
        return -1;
    }
    wd.armed = 1;
    wd.limit = limit_ms;
    return 0;
}

void
wd_release(void)
{
    if (!wd.armed)
        return;
    timer_delete(wd.timer);
    wd.armed = 0;
}

int
wd_run(enum actor_step (*step)(struct actor *), struct actor *a,
       enum actor_step *r)
{
    sigjmp_buf jb;
    if (sigsetjmp(jb, 0) != 0) {
        wd.jmp = NULL;
        wd.fence = 0;
        wd.pending = 0;
        return 1;
    }
    wd.step++;
    wd.pending = 0;
    wd.jmp = &jb;
    *r = step(a);
    wd.jmp = NULL;
    return 0;
}

int
wd_enter(void)
{
    wd.fence++;
    return 0;
}

void
wd_leave(int *unused)
{
    (void)unused;
    if (--wd.fence == 0 && wd.pending && wd.jmp != NULL) {
        wd.pending = 0;
        siglongjmp(*wd.jmp, 1);
    }
}

void
wd_abandon(void *p)
{
    if (p == NULL)
        return;
    pthread_mutex_lock(&abandoned_mu);
    if (abandoned_n == abandoned_cap) {
        size_t cap = abandoned_cap ? abandoned_cap * 2 : 16;
        void **grown = realloc(abandoned, cap * sizeof *grown);
        if (grown != NULL) {
            abandoned = grown;
            abandoned_cap = cap;
        }
    }
    /* Without room the object is simply lost: it is never freed either
     * way. */
    if (abandoned_n < abandoned_cap)
        abandoned[abandoned_n++] = p;
    pthread_mutex_unlock(&abandoned_mu);
}
