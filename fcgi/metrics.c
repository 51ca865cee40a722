/*
 * metrics.c - GET /metrics: the Prometheus text format (version 0.0.4),
 * every name prefixed actord_.  What the process counted since it started
 * (requests by route and status, steps, messages, step and commit
 * durations) says so in its help; what is read from the database (actors
 * by status, messages queued, timers, dead letters, its size) survives a
 * restart.  The requests are counted here: fcgi_route and fcgi_park_step
 * call fcgi__count with each answer.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fcgi/route_int.h"

/* The label of each enum fcgi_route_id. */
static const char *const route_names[FCGI_ROUTES] = {
    [FCGI_ROUTE_OTHER] = "other",
    [FCGI_ROUTE_HEALTHZ] = "healthz",
    [FCGI_ROUTE_METRICS] = "metrics",
    [FCGI_ROUTE_BEHAVIORS] = "behaviors",
    [FCGI_ROUTE_BEHAVIOR] = "behavior",
    [FCGI_ROUTE_DEAD_LETTERS] = "dead_letters",
    [FCGI_ROUTE_ACTORS] = "actors",
    [FCGI_ROUTE_ACTOR] = "actor",
    [FCGI_ROUTE_MAILBOX] = "mailbox",
    [FCGI_ROUTE_CALL] = "call",
    [FCGI_ROUTE_UPGRADE] = "upgrade",
};

/* Answers by route and HTTP status (100-599), since the process started. */
static uint64_t answered[FCGI_ROUTES][500];

void
fcgi__count(const struct fcgi_response *resp)
{
    if (resp->route >= 0 && resp->route < FCGI_ROUTES && resp->status >= 100 &&
        resp->status <= 599)
        __atomic_fetch_add(&answered[resp->route][resp->status - 100], 1,
                           __ATOMIC_RELAXED);
}

/* A growing text buffer; on failure of memory, len is set to -1 and
 * everything after is ignored. */
struct text {
    char *buf;
    long len, cap;
};

static void put(struct text *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
put(struct text *t, const char *fmt, ...)
{
    if (t->len < 0)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t->buf + t->len, (size_t)(t->cap - t->len), fmt, ap);
        va_end(ap);
        if (n < 0) {
            t->len = -1;
            return;
        }
        if (t->len + n < t->cap) {
            t->len += n;
            return;
        }
        long cap = (t->cap + n + 1) * 2;
        char *nb = realloc(t->buf, (size_t)cap);
        if (nb == NULL) {
            t->len = -1;
            return;
        }
        t->buf = nb;
        t->cap = cap;
    }
}

/* The HELP and TYPE lines of one metric. */
static void
head(struct text *t, const char *name, const char *type, const char *help)
{
    put(t, "# HELP actord_%s %s\n# TYPE actord_%s %s\n", name, help, name,
        type);
}

static void
histogram(struct text *t, const char *name, const char *help,
          const struct ad_hist *h)
{
    head(t, name, "histogram", help);
    uint64_t cum = 0;
    for (int i = 0; i < AD_HIST_BOUNDS; i++) {
        cum += h->bucket[i];
        put(t, "actord_%s_bucket{le=\"%g\"} %llu\n", name, ad_hist_bounds[i],
            (unsigned long long)cum);
    }
    put(t, "actord_%s_bucket{le=\"+Inf\"} %llu\n", name,
        (unsigned long long)h->count);
    put(t, "actord_%s_sum %.9f\n", name, (double)h->sum_ns / 1e9);
    put(t, "actord_%s_count %llu\n", name, (unsigned long long)h->count);
}

void
route__metrics(struct eng *e, const struct fcgi_config *cfg,
               struct fcgi_response *resp)
{
    struct text t = {0};
    head(&t, "requests_total", "counter",
         "Requests answered by actord, by route and HTTP status, since this "
         "process started.");
    for (int r = 0; r < FCGI_ROUTES; r++)
        for (int s = 0; s < 500; s++) {
            uint64_t n = __atomic_load_n(&answered[r][s], __ATOMIC_RELAXED);
            if (n > 0)
                put(&t,
                    "actord_requests_total{route=\"%s\",status=\"%d\"} "
                    "%llu\n",
                    route_names[r], s + 100, (unsigned long long)n);
        }
    head(&t, "requests_waiting", "gauge",
         "Requests parked now: long-polls and calls that wait for an "
         "answer.");
    put(&t, "actord_requests_waiting %ld\n",
        cfg->waiting ? cfg->waiting() : 0L);

    struct eng_process_stats st;
    eng_process_stats(&st);
    head(&t, "steps_total", "counter",
         "Actor steps run by this process since it started.");
    put(&t, "actord_steps_total %llu\n", (unsigned long long)st.steps);
    head(&t, "messages_total", "counter",
         "Messages put in mailboxes by this process since it started.");
    put(&t, "actord_messages_total %llu\n", (unsigned long long)st.messages);
    histogram(&t, "step_duration_seconds",
              "How long each actor step took, since this process started.",
              &st.step_seconds);
    histogram(&t, "commit_duration_seconds",
              "How long each SQLite COMMIT of this process took, since it "
              "started.",
              &st.commit_seconds);

    json_t *list = NULL;
    if (eng_behavior_list(e, &list) == AD_OK) {
        long c = 0, lua = 0;
        size_t i;
        json_t *b;
        json_array_foreach(json_object_get(list, "behaviors"), i, b)
        {
            const char *lang =
                json_string_value(json_object_get(b, "language"));
            if (lang && strcmp(lang, "c") == 0)
                c++;
            else
                lua++;
        }
        head(&t, "behaviors", "gauge",
             "Behaviours this actord runs: built in or loaded as plugins "
             "(c), uploaded (lua).");
        put(&t, "actord_behaviors{language=\"c\"} %ld\n", c);
        put(&t, "actord_behaviors{language=\"lua\"} %ld\n", lua);
    }
    json_decref(list);

    struct eng_counts n;
    int err = eng_counts(e, &n);
    if (err == AD_OK) {
        head(&t, "actors", "gauge", "Actors in the database, by status.");
        for (int i = 0; i < ENG_STATUSES; i++)
            put(&t, "actord_actors{status=\"%s\"} %lld\n", eng_status_name(i),
                (long long)n.actors[i]);
        head(&t, "messages_queued", "gauge",
             "Messages in mailboxes, not yet received.");
        put(&t, "actord_messages_queued %lld\n", (long long)n.queued);
        head(&t, "timers_pending", "gauge", "Timers not yet fired.");
        put(&t, "actord_timers_pending %lld\n", (long long)n.timers);
        head(&t, "dead_letters", "gauge",
             "Dead letters kept (not yet collected).");
        put(&t, "actord_dead_letters %lld\n", (long long)n.dead_letters);
        head(&t, "database_bytes", "gauge",
             "Size of the database file and of its write-ahead log.");
        put(&t, "actord_database_bytes{file=\"db\"} %lld\n",
            (long long)n.db_bytes);
        put(&t, "actord_database_bytes{file=\"wal\"} %lld\n",
            (long long)n.wal_bytes);
    }
    head(&t, "up", "gauge", "1 when the database answered this scrape.");
    put(&t, "actord_up %d\n", err == AD_OK ? 1 : 0);
    if (t.len < 0) {
        free(t.buf);
        route__fail(resp, AD_ENOMEM, NULL);
        return;
    }
    resp->status = 200;
    resp->text = t.buf;
    resp->text_len = (size_t)t.len;
    resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
}
