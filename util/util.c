/*
 * util.c - the error enum's texts, name validation and clocks.
 */
#include "util/util.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

const char *
ad_strerror(int err)
{
    switch (err) {
    case AD_OK:
        return "success";
    case AD_ENOMEM:
        return "out of memory";
    case AD_EBUSY:
        return "the database is busy; try again";
    case AD_EFULL:
        return "the disk or database is full";
    case AD_EIO:
        return "storage error";
    case AD_ENOTFOUND:
        return "no such actor";
    case AD_EEXISTS:
        return "a live actor already has that name";
    case AD_EDEAD:
        return "the actor has ended";
    case AD_EBADNAME:
        return "bad actor name";
    case AD_EBADJSON:
        return "malformed JSON";
    case AD_EBEHAVIOR:
        return "unknown behaviour";
    case AD_EBADARGS:
        return "the behaviour refused its arguments";
    case AD_EINVAL:
        return "bad request";
    case AD_ETOOLARGE:
        return "too large";
    case AD_ESCHEMA:
        return "the database was written by a newer actord";
    case AD_ESTOPPED:
        return "the service is stopping";
    case AD_EMAILBOX:
        return "the actor's mailbox is full; try again later";
    case AD_EUPGRADE:
        return "the actor could not be upgraded";
    case AD_EBADCODE:
        return "the behaviour's source does not load";
    case AD_EINUSE:
        return "live actors run every version of the behaviour";
    }
    return "unknown error";
}

const char *
ad_errcode(int err)
{
    switch (err) {
    case AD_OK:
        return "ok";
    case AD_ENOMEM:
        return "out_of_memory";
    case AD_EBUSY:
        return "busy";
    case AD_EFULL:
        return "storage_full";
    case AD_EIO:
        return "storage_error";
    case AD_ENOTFOUND:
        return "no_such_actor";
    case AD_EEXISTS:
        return "actor_exists";
    case AD_EDEAD:
        return "actor_dead";
    case AD_EBADNAME:
        return "bad_name";
    case AD_EBADJSON:
        return "bad_json";
    case AD_EBEHAVIOR:
        return "unknown_behavior";
    case AD_EBADARGS:
        return "bad_args";
    case AD_EINVAL:
        return "bad_request";
    case AD_ETOOLARGE:
        return "too_large";
    case AD_ESCHEMA:
        return "schema_too_new";
    case AD_ESTOPPED:
        return "stopping";
    case AD_EMAILBOX:
        return "mailbox_full";
    case AD_EUPGRADE:
        return "upgrade_failed";
    case AD_EBADCODE:
        return "bad_behavior";
    case AD_EINUSE:
        return "behavior_in_use";
    }
    return "internal_error";
}

int
ad_name_valid(const char *name, size_t len)
{
    if (len == 0 || len > AD_NAME_MAX)
        return 0;
    if ((len == 1 && name[0] == '.') ||
        (len == 2 && name[0] == '.' && name[1] == '.'))
        return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '~' ||
              c == '-'))
            return 0;
    }
    return 1;
}

int64_t
ad_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
ad_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
ad_realtime_in(struct timespec *ts, int64_t ms)
{
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long)(ms % 1000) * 1000000;
    if (ts->tv_nsec >= 1000000000) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000;
    }
}

/* Writes v as n decimal digits ending at p + n. */
static void
ad__digits(char *p, int n, int v)
{
    while (n-- > 0) {
        p[n] = (char)('0' + v % 10);
        v /= 10;
    }
}

char *
ad_time_iso(int64_t ms, char *buf)
{
    /* Every actor document carries two or three of these: written digit
     * by digit (gmtime_r and snprintf were 7% of a spawn).  The civil
     * date of a day number is Howard Hinnant's civil_from_days. */
    if (ms < 0 || ms >= 253402300800000LL) { /* outside years 1970-9999 */
        time_t s = (time_t)(ms / 1000);
        struct tm tm;
        gmtime_r(&s, &tm);
        snprintf(buf, AD_TIME_LEN, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                 tm.tm_min, tm.tm_sec, (int)(ms % 1000));
        return buf;
    }
    int64_t secs = ms / 1000, days = secs / 86400, sod = secs % 86400;
    int64_t z = days + 719468, era = z / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int d = (int)(doy - (153 * mp + 2) / 5 + 1);
    int m = (int)(mp < 10 ? mp + 3 : mp - 9);
    int y = (int)(yoe + era * 400 + (m <= 2));
    static const char form[] = "0000-00-00T00:00:00.000Z";
    memcpy(buf, form, sizeof form);
    ad__digits(buf, 4, y);
    ad__digits(buf + 5, 2, m);
    ad__digits(buf + 8, 2, d);
    ad__digits(buf + 11, 2, (int)(sod / 3600));
    ad__digits(buf + 14, 2, (int)(sod % 3600 / 60));
    ad__digits(buf + 17, 2, (int)(sod % 60));
    ad__digits(buf + 20, 3, (int)(ms % 1000));
    return buf;
}

/* Returns the length of the valid UTF-8 sequence (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF) that starts at s, or 0
 * when none does.  s is NUL-terminated, so a cut-short sequence ends at a
 * byte that is not a continuation. */
static size_t
ad__utf8_seq(const unsigned char *s)
{
    unsigned c = s[0];
    size_t n;
    unsigned min, v;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        n = 2, min = 0x80, v = c & 0x1f;
    else if (c >= 0xe0 && c <= 0xef)
        n = 3, min = 0x800, v = c & 0x0f;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 4, min = 0x10000, v = c & 0x07;
    else
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    return n;
}

void
ad_utf8_scrub(char *s)
{
    unsigned char *p = (unsigned char *)s;
    while (*p) {
        size_t n = ad__utf8_seq(p);
        if (n == 0)
            *p++ = '?';
        else
            p += n;
    }
}

double
ad_mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

const double ad_hist_bounds[AD_HIST_BOUNDS] = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
    0.025,  0.05,    0.1,    0.25,  0.5,    1,     2.5,
};

void
ad_hist_observe(struct ad_hist *h, double secs)
{
    int i = 0;
    while (i < AD_HIST_BOUNDS && secs > ad_hist_bounds[i])
        i++;
    __atomic_fetch_add(&h->bucket[i], 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&h->count, 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&h->sum_ns, (uint64_t)(secs > 0 ? secs * 1e9 : 0),
                       __ATOMIC_RELAXED);
}

void
ad_hist_read(const struct ad_hist *h, struct ad_hist *out)
{
    /* The count is the sum of the buckets read, so that the +Inf bucket
     * always equals _count. */
    out->count = 0;
    for (int i = 0; i <= AD_HIST_BOUNDS; i++) {
        out->bucket[i] = __atomic_load_n(&h->bucket[i], __ATOMIC_RELAXED);
        out->count += out->bucket[i];
    }
    out->sum_ns = __atomic_load_n(&h->sum_ns, __ATOMIC_RELAXED);
}
