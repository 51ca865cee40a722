/*
 * conf.c - the keys of actord's configuration, the checking of a value,
 * the `key = value` file and the command line's override (conf.h).
 */
#include "conf/conf.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

/* The largest file conf_load reads, and the longest line, bytes. */
#define CONF_FILE_MAX (1024 * 1024)
#define CONF_LINE_MAX 4096

/* The limits (max-message ... max-db-size) take 0 for "none" and have no
 * maximum. */
const struct conf_key conf_keys[CONF_NKEYS] = {
    [CONF_DB] = {"db", CONF_K_TEXT, 0, 0, CONF_CTL},
    [CONF_LISTEN] = {"listen", CONF_K_LISTEN, 0, 0, 0},
    [CONF_SOCKET_MODE] = {"socket-mode", CONF_K_MODE, 0, 0777, 0},
    [CONF_SOCKET_GROUP] = {"socket-group", CONF_K_TEXT, 0, 0, 0},
    [CONF_THREADS] = {"threads", CONF_K_INT, 1, 1024, 0},
    [CONF_MAX_WAITERS] = {"max-waiters", CONF_K_INT, 0, 10000000, 0},
    [CONF_MAX_BODY] = {"max-body", CONF_K_INT, 1, 1LL << 30, 0},
    [CONF_SYNC] = {"sync", CONF_K_SYNC, 0, 0, CONF_CTL},
    [CONF_BATCH] = {"batch", CONF_K_INT, 1, 1000000, CONF_CTL},
    [CONF_LOAD] = {"load", CONF_K_TEXT, 0, 0, CONF_REPEAT | CONF_CTL},
    [CONF_PLUGIN_DIR] = {"plugin-dir", CONF_K_TEXT, 0, 0,
                         CONF_REPEAT | CONF_CTL},
    [CONF_NO_UPLOAD] = {"no-upload", CONF_K_BOOL, 0, 0, CONF_FLAG},
    [CONF_LUA_INSTRUCTIONS] = {"lua-instructions", CONF_K_INT, 1, LLONG_MAX,
                               CONF_CTL},
    [CONF_LUA_MEMORY] = {"lua-memory", CONF_K_INT, 1, LLONG_MAX, CONF_CTL},
    [CONF_MAX_MESSAGE] = {"max-message", CONF_K_INT, 0, LLONG_MAX, CONF_CTL},
    [CONF_MAX_STATE] = {"max-state", CONF_K_INT, 0, LLONG_MAX, CONF_CTL},
    [CONF_MAX_MAILBOX] = {"max-mailbox", CONF_K_INT, 0, LLONG_MAX, CONF_CTL},
    [CONF_MAX_HOPS] = {"max-hops", CONF_K_INT, 0, LLONG_MAX, CONF_CTL},
    [CONF_STEP_LIMIT] = {"step-limit", CONF_K_INT, 0, 3600 * 1000, CONF_CTL},
    [CONF_MAX_DB_SIZE] = {"max-db-size", CONF_K_INT, 0, LLONG_MAX, CONF_CTL},
    [CONF_LOG_LEVEL] = {"log-level", CONF_K_LEVEL, 0, 0, 0},
};

void
conf_init(struct conf *c)
{
    memset(c, 0, sizeof *c);
}

void
conf_free(struct conf *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->n; i++)
        free(c->items[i].text);
    free(c->items);
    free(c->file);
    conf_init(c);
}

int
conf_find(const char *name, size_t len)
{
    for (int i = 0; i < CONF_NKEYS; i++)
        if (strlen(conf_keys[i].name) == len &&
            memcmp(conf_keys[i].name, name, len) == 0)
            return i;
    return -1;
}

/* ---- values ---- */

/* Parses s, all decimal digits, into *out.  Returns 0, or -1 when s is
 * not that or overflows. */
static int
conf__digits(const char *s, int base, long long *out)
{
    if (*s == '\0')
        return -1;
    for (const char *p = s; *p; p++)
        if (*p < '0' || *p > (base == 8 ? '7' : '9'))
            return -1;
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, base);
    if (errno != 0 || *end != '\0')
        return -1;
    *out = v;
    return 0;
}

/* Checks value for key k and sets *num.  Returns 0, or -1 with why
 * (len bytes) a sentence that quotes the value: "\"x\" is not ...". */
static int
conf__check(const struct conf_key *k, const char *value, long long *num,
            char *why, size_t len)
{
    static const char *const yes[] = {"yes", "true", "on", "1"};
    static const char *const no[] = {"no", "false", "off", "0"};
    const char *bad = NULL;
    *num = 0;
    if (*value == '\0') {
        snprintf(why, len, "needs a value");
        return -1;
    }
    if (*value == '"' || *value == '\'') {
        snprintf(why, len, "%.60s: values are written without quotes", value);
        return -1;
    }
    switch (k->kind) {
    case CONF_K_TEXT:
        return 0;
    case CONF_K_LISTEN: {
        if (strncmp(value, "unix:", 5) == 0) {
            if (value[5] != '\0')
                return 0;
            bad = "has no path after unix:";
            break;
        }
        const char *colon = strrchr(value, ':');
        long long port;
        if (colon != NULL && colon != value &&
            conf__digits(colon + 1, 10, &port) == 0 && port >= 1 &&
            port <= 65535)
            return 0;
        bad = "is neither unix:PATH nor HOST:PORT (PORT from 1 to 65535)";
        break;
    }
    case CONF_K_INT:
        if (conf__digits(value, 10, num) == 0 && *num >= k->min &&
            *num <= k->max)
            return 0;
        if (k->max == LLONG_MAX)
            snprintf(why, len,
                     "\"%.60s\" is not a whole number of at least %lld", value,
                     k->min);
        else
            snprintf(why, len,
                     "\"%.60s\" is not a whole number from %lld to %lld", value,
                     k->min, k->max);
        return -1;
    case CONF_K_BOOL:
        for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
            if (strcmp(value, yes[i]) == 0) {
                *num = 1;
                return 0;
            }
            if (strcmp(value, no[i]) == 0)
                return 0;
        }
        bad = "is neither yes nor no";
        break;
    case CONF_K_SYNC:
        if (strcmp(value, "full") == 0)
            *num = 1;
        else if (strcmp(value, "normal") != 0)
            bad = "is neither normal nor full";
        break;
    case CONF_K_LEVEL: {
        int level = ad_log_level_parse(value);
        if (level >= 0)
            *num = level;
        else
            bad = "is not debug, info, warn or error";
        break;
    }
    case CONF_K_MODE:
        if (conf__digits(value, 8, num) == 0 && *num <= k->max)
            return 0;
        bad = "is not an octal mode from 0 to 0777 (such as 0660)";
        break;
    }
    if (bad == NULL)
        return 0;
    snprintf(why, len, "\"%.60s\" %s", value, bad);
    return -1;
}

int
conf_set(struct conf *c, enum conf_id id, const char *value, const char *src,
         int line, char *why, size_t len)
{
    long long num;
    if (conf__check(&conf_keys[id], value, &num, why, len) != 0)
        return -1;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        struct conf_item *items = realloc(c->items, cap * sizeof *items);
        if (items == NULL)
            goto oom;
        c->items = items;
        c->cap = cap;
    }
    char *text = strdup(value);
    if (text == NULL)
        goto oom;
    c->items[c->n++] = (struct conf_item){
        .id = id, .text = text, .num = num, .src = src, .line = line};
    return 0;
oom:
    snprintf(why, len, "out of memory");
    return -1;
}

/* ---- the file ---- */

static int
conf__blank(char ch)
{
    return ch == ' ' || ch == '\t';
}

/* Writes "FILE:LINE: " and the message to errs. */
static void conf__error(FILE *errs, const struct conf *c, int line,
                        const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
conf__error(FILE *errs, const struct conf *c, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(errs, "%s:%d: ", c->file ? c->file : "-", line);
    va_start(ap, fmt);
    vfprintf(errs, fmt, ap);
    va_end(ap);
    fputc('\n', errs);
}

/*
 * Parses the line s (len bytes, no newline) numbered line.  Returns 0
 * (set, or nothing on it), 1 after reporting an error, or -1 when memory
 * ran out.
 */
static int
conf__line(struct conf *c, char *s, size_t len, int line, FILE *errs)
{
    char why[256];
    if (len > 0 && s[len - 1] == '\r')
        s[--len] = '\0';
    if (memchr(s, '\0', len) != NULL) {
        conf__error(errs, c, line, "a NUL byte: not a text file");
        return 1;
    }
    if (len > CONF_LINE_MAX) {
        conf__error(errs, c, line, "longer than %d bytes", CONF_LINE_MAX);
        return 1;
    }
    /* A comment: '#' first, or after a blank. */
    for (size_t i = 0; i < len; i++)
        if (s[i] == '#' && (i == 0 || conf__blank(s[i - 1]))) {
            len = i;
            break;
        }
    s[len] = '\0';
    char *p = s;
    while (conf__blank(*p))
        p++;
    if (*p == '\0')
        return 0;
    char *key = p;
    while (*p != '\0' && *p != '=' && !conf__blank(*p))
        p++;
    size_t keylen = (size_t)(p - key);
    while (conf__blank(*p))
        p++;
    if (keylen == 0 || *p != '=') {
        conf__error(errs, c, line, "expected KEY = VALUE");
        return 1;
    }
    p++;
    while (conf__blank(*p))
        p++;
    char *end = p + strlen(p);
    while (end > p && conf__blank(end[-1]))
        *--end = '\0';
    key[keylen] = '\0';
    int id = conf_find(key, keylen);
    if (id < 0) {
        conf__error(errs, c, line, "%s: unknown key", key);
        return 1;
    }
    if (!(conf_keys[id].flags & CONF_REPEAT)) {
        const struct conf_item *first = conf_get(c, (enum conf_id)id);
        if (first != NULL) {
            conf__error(errs, c, line, "%s: set twice (first on line %d)", key,
                        first->line);
            return 1;
        }
    }
    if (conf_set(c, (enum conf_id)id, p, c->file, line, why, sizeof why) != 0) {
        if (strcmp(why, "out of memory") == 0)
            return -1;
        conf__error(errs, c, line, "%s: %s", key, why);
        return 1;
    }
    return 0;
}

int
conf_parse(struct conf *c, const char *text, size_t len, FILE *errs)
{
    /* A copy with room for a NUL after the longest line allowed. */
    char *buf = malloc(CONF_LINE_MAX + 2);
    if (buf == NULL)
        return -1;
    int errors = 0, line = 0;
    size_t at = 0;
    while (at < len) {
        const char *nl = memchr(text + at, '\n', len - at);
        size_t n = nl ? (size_t)(nl - (text + at)) : len - at;
        line++;
        /* A line over the limit (with a CR to spare) is refused whole. */
        size_t keep = n > CONF_LINE_MAX + 1 ? CONF_LINE_MAX + 1 : n;
        memcpy(buf, text + at, keep);
        buf[keep] = '\0';
        int rc = conf__line(c, buf, keep, line, errs);
        if (rc < 0) {
            free(buf);
            return -1;
        }
        errors += rc;
        at += n + (nl != NULL);
    }
    free(buf);
    return errors;
}

int
conf_load(struct conf *c, const char *path, FILE *errs)
{
    free(c->file);
    if ((c->file = strdup(path)) == NULL)
        return -1;
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(errs, "%s: cannot read: %s\n", path, strerror(errno));
        return 1;
    }
    char *text = malloc(CONF_FILE_MAX + 1);
    if (text == NULL) {
        fclose(f);
        return -1;
    }
    size_t len = fread(text, 1, CONF_FILE_MAX + 1, f);
    int rc;
    if (ferror(f)) {
        fprintf(errs, "%s: cannot read: %s\n", path, strerror(errno));
        rc = 1;
    } else if (len > CONF_FILE_MAX) {
        fprintf(errs, "%s: larger than %d bytes: not a configuration file\n",
                path, CONF_FILE_MAX);
        rc = 1;
    } else {
        rc = conf_parse(c, text, len, errs);
    }
    free(text);
    fclose(f);
    return rc;
}

/* ---- the command line over the file ---- */

/* 1 when the key id is one of the plugins' list. */
static int
conf__plugin_key(enum conf_id id)
{
    return id == CONF_LOAD || id == CONF_PLUGIN_DIR;
}

int
conf_override(struct conf *c, struct conf *cli)
{
    int over[CONF_NKEYS] = {0};
    for (size_t i = 0; i < cli->n; i++) {
        enum conf_id id = cli->items[i].id;
        over[id] = 1;
        if (conf__plugin_key(id))
            over[CONF_LOAD] = over[CONF_PLUGIN_DIR] = 1;
    }
    size_t need = c->n + cli->n;
    if (need > c->cap) {
        struct conf_item *items = realloc(c->items, need * sizeof *items);
        if (items == NULL)
            return -1;
        c->items = items;
        c->cap = need;
    }
    size_t kept = 0;
    for (size_t i = 0; i < c->n; i++) {
        if (over[c->items[i].id])
            free(c->items[i].text);
        else
            c->items[kept++] = c->items[i];
    }
    /* The command line's items name no file: their src stays NULL. */
    if (cli->n > 0)
        memcpy(c->items + kept, cli->items, cli->n * sizeof *cli->items);
    c->n = kept + cli->n;
    free(cli->items);
    free(cli->file);
    conf_init(cli);
    return 0;
}

const struct conf_item *
conf_get(const struct conf *c, enum conf_id id)
{
    for (size_t i = c->n; i > 0; i--)
        if (c->items[i - 1].id == id)
            return &c->items[i - 1];
    return NULL;
}

void
conf_report(FILE *f, const char *prog, const struct conf_item *it,
            const char *fmt, ...)
{
    va_list ap;
    const struct conf_key *k = &conf_keys[it->id];
    if (it->src != NULL)
        fprintf(f, "%s:%d: %s: ", it->src, it->line, k->name);
    else
        fprintf(f, "%s: --%s: ", prog, k->name);
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    fputc('\n', f);
}

/* ---- getopt ---- */

int
conf_longopts(struct option *out, unsigned mask)
{
    int n = 0;
    for (int i = 0; i < CONF_NKEYS; i++) {
        const struct conf_key *k = &conf_keys[i];
        if ((k->flags & mask) != mask)
            continue;
        out[n++] = (struct option){
            k->name, (k->flags & CONF_FLAG) ? no_argument : required_argument,
            NULL, CONF_OPT + i};
    }
    out[n] = (struct option){NULL, 0, NULL, 0};
    return n;
}

int
conf_set_option(struct conf *c, const char *prog, int val, const char *arg,
                FILE *errs)
{
    char why[256];
    int id = val - CONF_OPT;
    if (id < 0 || id >= CONF_NKEYS)
        return -1; /* not one of conf_longopts' */
    const struct conf_key *k = &conf_keys[id];
    if (arg == NULL)
        arg = "yes";
    if (conf_set(c, (enum conf_id)id, arg, NULL, 0, why, sizeof why) == 0)
        return 0;
    fprintf(errs, "%s: --%s: %s\n", prog, k->name, why);
    return -1;
}

/* ---- the engine's options ---- */

void
conf_eng_opts(const struct conf *c, struct eng_opts *o)
{
    const struct conf_item *it;
    if ((it = conf_get(c, CONF_SYNC)) != NULL)
        o->sync_full = (int)it->num;
    if ((it = conf_get(c, CONF_BATCH)) != NULL)
        o->batch_steps = (int)it->num;
    /* A limit of 0 is "none": -1 to the engine, whose 0 is its default;
     * but max_db_bytes takes 0 for none. */
    if ((it = conf_get(c, CONF_MAX_MESSAGE)) != NULL)
        o->max_message = it->num ? it->num : -1;
    if ((it = conf_get(c, CONF_MAX_STATE)) != NULL)
        o->max_state = it->num ? it->num : -1;
    if ((it = conf_get(c, CONF_MAX_MAILBOX)) != NULL)
        o->max_mailbox = it->num ? it->num : -1;
    if ((it = conf_get(c, CONF_MAX_HOPS)) != NULL)
        o->max_hops = it->num ? it->num : -1;
    if ((it = conf_get(c, CONF_STEP_LIMIT)) != NULL)
        o->step_limit_ms = it->num ? (int)it->num : -1;
    if ((it = conf_get(c, CONF_MAX_DB_SIZE)) != NULL)
        o->max_db_bytes = it->num;
}
