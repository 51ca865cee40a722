/*
 * log.c - actord's log: one line per event on stderr, a level and
 * key=value fields (logfmt), filtered by a process-wide level (util.h).
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/util.h"

static atomic_int log_level = AD_LOG_INFO;

/* 1 when stderr is the journal's stream (the journal adds the time),
 * 0 when not, -1 before the first line. */
static atomic_int log_journal = -1;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void
ad_log_set_level(int level)
{
    atomic_store(&log_level, level);
}

int
ad_log_enabled(int level)
{
    return level >= atomic_load_explicit(&log_level, memory_order_relaxed);
}

int
ad_log_level_parse(const char *name)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(name, level_names[i]) == 0)
            return i;
    return -1;
}

const char *
ad_log_level_name(int level)
{
    return level >= 0 && level < 4 ? level_names[level] : "?";
}

/* What is being written: buf, len bytes, n of them used. */
struct out {
    char *buf;
    size_t len, n;
    int cut; /* 1 once something did not fit */
};

static void
put(struct out *o, const char *s, size_t n)
{
    size_t room = o->len - 1 - o->n;
    if (n > room) {
        n = room;
        o->cut = 1;
    }
    memcpy(o->buf + o->n, s, n);
    o->n += n;
}

static int
needs_quotes(const char *v)
{
    if (*v == '\0')
        return 1;
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        if (*p <= ' ' || *p == 0x7f || *p == '"' || *p == '=' || *p == '\\')
            return 1;
    return 0;
}

/* Appends the value v, quoted and escaped when it must be. */
static void
put_value(struct out *o, const char *v)
{
    if (!needs_quotes(v)) {
        put(o, v, strlen(v));
        return;
    }
    put(o, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        char esc[8];
        const char *s = esc;
        size_t n = 2;
        switch (*p) {
        case '"':
            s = "\\\"";
            break;
        case '\\':
            s = "\\\\";
            break;
        case '\n':
            s = "\\n";
            break;
        case '\r':
            s = "\\r";
            break;
        case '\t':
            s = "\\t";
            break;
        default:
            if (*p < ' ' || *p == 0x7f) {
                n = (size_t)snprintf(esc, sizeof esc, "\\x%02x", *p);
            } else {
                esc[0] = (char)*p;
                n = 1;
            }
        }
        put(o, s, n);
    }
    put(o, "\"", 1);
}

/*
 * Appends the fields of fmt with the values of ap, each value through
 * put_value.  A conversion it does not know ends the fields (the
 * arguments after it cannot be found).
 */
static void
put_fields(struct out *o, const char *fmt, va_list ap)
{
    const char *p = fmt;
    while (*p) {
        const char *pct = strchr(p, '%');
        if (pct == NULL) {
            put(o, p, strlen(p));
            return;
        }
        put(o, p, (size_t)(pct - p));
        if (pct[1] == '%') {
            put(o, "%", 1);
            p = pct + 2;
            continue;
        }
        /* One conversion: flags, width, precision, modifier, letter. */
        const char *q = pct + 1;
        q += strspn(q, "-+ #0");
        q += strspn(q, "0123456789");
        if (*q == '.') {
            q++;
            q += strspn(q, "0123456789");
        }
        int longs = 0, size = 0;
        for (;; q++) {
            if (*q == 'l')
                longs++;
            else if (*q == 'z' || *q == 'j')
                size = *q;
            else if (*q != 'h')
                break;
        }
        char spec[32], val[1024];
        size_t slen = (size_t)(q - pct) + 1;
        if (*q == '\0' || slen >= sizeof spec)
            return;
        memcpy(spec, pct, slen);
        spec[slen] = '\0';
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
        switch (*q) {
        case 's': {
            const char *s = va_arg(ap, const char *);
            snprintf(val, sizeof val, spec, s ? s : "-");
            break;
        }
        case 'd':
        case 'i':
            if (size == 'z')
                snprintf(val, sizeof val, spec, va_arg(ap, ssize_t));
            else if (size == 'j')
                snprintf(val, sizeof val, spec, va_arg(ap, intmax_t));
            else if (longs >= 2)
                snprintf(val, sizeof val, spec, va_arg(ap, long long));
            else if (longs == 1)
                snprintf(val, sizeof val, spec, va_arg(ap, long));
            else
                snprintf(val, sizeof val, spec, va_arg(ap, int));
            break;
        case 'u':
        case 'x':
        case 'X':
        case 'o':
            if (size == 'z')
                snprintf(val, sizeof val, spec, va_arg(ap, size_t));
            else if (size == 'j')
                snprintf(val, sizeof val, spec, va_arg(ap, uintmax_t));
            else if (longs >= 2)
                snprintf(val, sizeof val, spec, va_arg(ap, unsigned long long));
            else if (longs == 1)
                snprintf(val, sizeof val, spec, va_arg(ap, unsigned long));
            else
                snprintf(val, sizeof val, spec, va_arg(ap, unsigned));
            break;
        case 'c':
            snprintf(val, sizeof val, spec, va_arg(ap, int));
            break;
        default:
            return;
        }
#pragma GCC diagnostic pop
        put_value(o, val);
        p = q + 1;
    }
}

static size_t
format_line(char *buf, size_t len, int64_t ms, int pid, int level,
            const char *event, const char *fmt, va_list ap)
{
    struct out o = {.buf = buf, .len = len};
    char head[AD_TIME_LEN + 64];
    int n = 0;
    if (ms >= 0) {
        ad_time_iso(ms, head);
        n = (int)strlen(head);
        head[n++] = ' ';
    }
    n += snprintf(head + n, sizeof head - (size_t)n,
                  "actord[%d] level=%s event=", pid, ad_log_level_name(level));
    put(&o, head, (size_t)n);
    put_value(&o, event ? event : "-");
    if (fmt != NULL && *fmt != '\0') {
        put(&o, " ", 1);
        put_fields(&o, fmt, ap);
    }
    if (o.cut && o.len >= 4) {
        o.n = o.len - 4;
        memcpy(o.buf + o.n, "...", 3);
        o.n += 3;
    }
    o.buf[o.n] = '\0';
    return o.n;
}

size_t
ad_log_format(char *buf, size_t len, int64_t ms, int pid, int level,
              const char *event, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t n = format_line(buf, len, ms, pid, level, event, fmt, ap);
    va_end(ap);
    return n;
}

/* 1 when JOURNAL_STREAM names stderr ("DEVICE:INODE", systemd.exec(5)). */
static int
stderr_is_journal(void)
{
    const char *js = getenv("JOURNAL_STREAM");
    unsigned long long dev, ino;
    struct stat sb;
    if (js == NULL || sscanf(js, "%llu:%llu", &dev, &ino) != 2 ||
        fstat(STDERR_FILENO, &sb) != 0)
        return 0;
    return (unsigned long long)sb.st_dev == dev &&
           (unsigned long long)sb.st_ino == ino;
}

void
ad_log(int level, const char *event, const char *fmt, ...)
{
    if (!ad_log_enabled(level))
        return;
    int journal = atomic_load(&log_journal);
    if (journal < 0) {
        journal = stderr_is_journal();
        atomic_store(&log_journal, journal);
    }
    char line[AD_LOG_LINE];
    va_list ap;
    va_start(ap, fmt);
    /* Room for the newline. */
    size_t n = format_line(line, sizeof line - 1, journal ? -1 : ad_now_ms(),
                           (int)getpid(), level, event, fmt, ap);
    va_end(ap);
    line[n++] = '\n';
    /* One write, so that threads' lines do not mix. */
    ssize_t w = write(STDERR_FILENO, line, n);
    (void)w;
}
