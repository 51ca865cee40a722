/*
 * util.h - what every module of actord shares: the one error enum, names,
 * and time.  Nothing here allocates or touches SQLite.
 */
#ifndef ACTORD_UTIL_H
#define ACTORD_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/*
 * The one error enum of actord.  0 is success, every error is negative.
 * SQLite codes are translated to these inside store/; HTTP statuses are
 * chosen from these only inside fcgi/.
 */
enum ad_err {
    AD_OK = 0,
    AD_ENOMEM = -1,     /* an allocation failed; the transaction rolled back */
    AD_EBUSY = -2,      /* the database stayed locked past the busy timeout */
    AD_EFULL = -3,      /* the disk or the database is full */
    AD_EIO = -4,        /* any other storage error (I/O, corruption) */
    AD_ENOTFOUND = -5,  /* no actor (or row) with that name */
    AD_EEXISTS = -6,    /* a live actor already has that name */
    AD_EDEAD = -7,      /* the actor has ended: exited, failed or killed */
    AD_EBADNAME = -8,   /* not a valid actor name */
    AD_EBADJSON = -9,   /* malformed JSON, or JSON of the wrong type */
    AD_EBEHAVIOR = -10, /* no behaviour of that name in this build */
    AD_EBADARGS = -11,  /* the behaviour refused its spawn args */
    AD_EINVAL = -12,    /* a bad argument or query parameter */
    AD_ETOOLARGE = -13, /* a body, message or state over its limit */
    AD_ESCHEMA = -14,   /* the database was written by a newer actord */
    AD_ESTOPPED = -15,  /* the process is stopping */
    AD_EMAILBOX = -16,  /* the receiver's mailbox holds its limit */
    AD_EUPGRADE = -17,  /* an actor could not move to another version */
    AD_EBADCODE = -18,  /* an uploaded behaviour's source does not load */
    AD_EINUSE = -19,    /* live actors run every version of a behaviour */
};

/* Returns a static sentence describing err. */
const char *ad_strerror(int err);

/* Returns the stable machine code of err, as used in JSON error bodies
 * ("no_such_actor", ...).  Static string. */
const char *ad_errcode(int err);

/* Largest length of an actor name, in bytes. */
#define AD_NAME_MAX 128

/*
 * Returns 1 when name is a valid actor name: 1 to AD_NAME_MAX characters
 * from A-Z a-z 0-9 . _ ~ -, and not "." or "..".  len is its length in
 * bytes (a NUL inside makes it invalid).
 */
int ad_name_valid(const char *name, size_t len);

/* Milliseconds since the Unix epoch, from the wall clock. */
int64_t ad_now_ms(void);

/* Milliseconds from a monotonic clock, for timeouts and budgets. */
int64_t ad_mono_ms(void);

/* Sets *ts to the wall-clock time ms milliseconds from now, the deadline
 * pthread_cond_timedwait and pthread_mutex_timedlock take. */
void ad_realtime_in(struct timespec *ts, int64_t ms);

/* Writes ms (since the epoch) as "2026-11-25T04:40:05.123Z" into buf,
 * which holds at least AD_TIME_LEN bytes. Returns buf. */
#define AD_TIME_LEN 80
char *ad_time_iso(int64_t ms, char *buf);

/*
 * Makes the NUL-terminated s valid UTF-8 in place: every byte that does
 * not start a valid sequence becomes '?'.  For messages that quote client
 * bytes (paths, methods) or were cut short by snprintf in the middle of a
 * character, since JSON strings must be UTF-8.
 */
void ad_utf8_scrub(char *s);

/* ---- counters and histograms for /metrics (process-wide, lock-free) ---- */

/* Seconds since an arbitrary start, monotonic, to the nanosecond. */
double ad_mono_s(void);

/* The upper bounds, in seconds, of a histogram's buckets (the last bucket
 * is +Inf and has no bound here). */
#define AD_HIST_BOUNDS 14
extern const double ad_hist_bounds[AD_HIST_BOUNDS];

/* A latency histogram in Prometheus's sense: counts per bucket (each an
 * upper bound, not cumulative), their total and the sum of the seconds
 * observed.  Zero-initialised; updated with relaxed atomics. */
struct ad_hist {
    uint64_t bucket[AD_HIST_BOUNDS + 1];
    uint64_t count;
    uint64_t sum_ns; /* nanoseconds */
};

/* Adds one observation of secs seconds to h (from any thread). */
void ad_hist_observe(struct ad_hist *h, double secs);

/* Copies h into out consistently enough for a scrape. */
void ad_hist_read(const struct ad_hist *h, struct ad_hist *out);

/* ---- the log (util/log.c) ---- */

/*
 * One line per event on stderr, logfmt style:
 *   2026-12-01T09:10:44.123Z actord[PID] level=warn event=NAME k=v k2="v 2"
 * (no timestamp when stderr is the journal's stream: JOURNAL_STREAM).
 * Lines below the process-wide level (AD_LOG_INFO unless set) are
 * dropped.  docs/logging.md lists the events.
 */
enum ad_log_level {
    AD_LOG_DEBUG = 0,
    AD_LOG_INFO = 1,
    AD_LOG_WARN = 2,
    AD_LOG_ERROR = 3,
    AD_LOG_OFF = 4, /* nothing is written */
};

/* Sets the least level written (from any thread). */
void ad_log_set_level(int level);

/* Returns 1 when a line at level would be written. */
int ad_log_enabled(int level);

/* Returns the level named name ("debug", "info", "warn", "error"), or -1. */
int ad_log_level_parse(const char *name);

/* Returns the name of level ("info"), or "?". */
const char *ad_log_level_name(int level);

/*
 * Writes one event at level: its name (a word), then the fields of fmt,
 * "key=%s key2=%d ...": the text of fmt is copied as is, and each value
 * a conversion makes (%s, %d, %u, %x, %o, %c with flags, width,
 * precision and the h, l, ll, z, j modifiers) is quoted when it is
 * empty or holds a blank, a control character, '"', '=' or '\\', with
 * '"', '\\' and control characters escaped, so that one event is always
 * one line.  A NULL %s is written "-".  Lines longer than AD_LOG_LINE
 * bytes are cut and end in "...".
 */
void ad_log(int level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The longest line ad_log writes, newline included. */
#define AD_LOG_LINE 4096

/*
 * What ad_log writes, into buf (len bytes, at least 16), without the
 * newline: the time ms (none when ms < 0), the pid, the level, the event
 * and the fields of fmt.  Returns the length written.  For the tests.
 */
size_t ad_log_format(char *buf, size_t len, int64_t ms, int pid, int level,
                     const char *event, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

#endif
