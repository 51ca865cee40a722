/*
 * test_oom.c - out of memory in the engine and the store (STYLE.md habit
 * 7): for each operation of a representative workload, and each N from 1
 * up, the N-th allocation fails, and the operation must either succeed
 * with the right result or return AD_ENOMEM with the database as it was:
 * no crash, no leak (make SAN=1 unit, make valgrind), integrity_check ok,
 * no lock left held, the operation's effects all there or none, and the
 * same operation succeeding once allocations succeed again.
 *
 * The allocations counted are jansson's and SQLite's, one countdown for
 * both.  jansson's wrapper goes in place in main, before run_suite's
 * eng_init, so that the allocator eng_init installs wraps it and sees its
 * failures as it would see malloc's (engine.h: that is how the engine
 * tells out of memory from bad JSON).  SQLite's wraps its default
 * sqlite3_mem_methods, configured in main before SQLite initialises.  Each N is
 * tried twice: failing the N-th allocation only (transient), and the N-th and
 * every one after it until the operation returns (persistent: the error
 * paths themselves then run out of memory).  The operations: spawn, send,
 * a step that spawns and sends (the standard ring), kill of an actor with
 * a watcher and links, a timer firing with the step it wakes, the four
 * parts of a REST call (begin, the counter's answering step, poll, end),
 * and an import of two actors with their mail, a timer and ties.  Each N starts
 * from a copy of a database the operation's build function made once, and from
 * a freshly opened engine, so that the statements the operation uses are
 * prepared under the countdown too.
 */
#include "engine/engine.h"

#include <check.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "actord/behavior.h"
#include "tests/unit/testutil.h"

/* ---- the countdown ---- */

enum oom_mode {
    OOM_OFF,     /* every allocation succeeds */
    OOM_COUNT,   /* counting down to the allocation that fails */
    OOM_FAILING, /* persistent: failing every allocation */
};

static enum oom_mode oom_mode;
static long oom_countdown; /* allocations until the one that fails */
static int oom_persistent; /* 1: after the first failure all fail */
static long oom_failed;    /* allocations failed since oom_arm */

/* Makes the n-th allocation from now fail (n >= 1); with persistent,
 * every one after it too, until oom_disarm. */
static void
oom_arm(long n, int persistent)
{
    oom_countdown = n;
    oom_persistent = persistent;
    oom_failed = 0;
    oom_mode = OOM_COUNT;
}

/* Lets every allocation succeed again; returns how many failed. */
static long
oom_disarm(void)
{
    oom_mode = OOM_OFF;
    return oom_failed;
}

/* 1 when the allocation being made is to fail. */
static int
oom_fails(void)
{
    switch (oom_mode) {
    case OOM_OFF:
        return 0;
    case OOM_COUNT:
        if (--oom_countdown > 0)
            return 0;
        oom_mode = oom_persistent ? OOM_FAILING : OOM_OFF;
        break;
    case OOM_FAILING:
        break;
    }
    oom_failed++;
    return 1;
}

/* The operation under test arms the countdown with oom_go once its own
 * arguments are made (the countdown is about the engine, not the test),
 * and disarms it with oom_stop before checking what it answered. */
static long oom_next_n;         /* N of the next oom_go; 0: do not arm */
static int oom_next_persistent; /* and its mode */
static long oom_last_failed;    /* what oom_stop found failed */

static void
oom_go(void)
{
    if (oom_next_n > 0)
        oom_arm(oom_next_n, oom_next_persistent);
}

static void
oom_stop(void)
{
    oom_last_failed = oom_disarm();
}

/* jansson: under the allocator eng_init installs (the watchdog's). */
static json_malloc_t inner_json_malloc;
static json_free_t inner_json_free;

static void *
oom_json_malloc(size_t n)
{
    return oom_fails() ? NULL : inner_json_malloc(n);
}

static void
oom_json_free(void *p)
{
    inner_json_free(p);
}

/* SQLite: around its default allocator. */
static sqlite3_mem_methods inner_mem;

static void *
oom_sql_malloc(int n)
{
    return oom_fails() ? NULL : inner_mem.xMalloc(n);
}

static void
oom_sql_free(void *p)
{
    inner_mem.xFree(p);
}

static void *
oom_sql_realloc(void *p, int n)
{
    return oom_fails() ? NULL : inner_mem.xRealloc(p, n);
}

static int
oom_sql_size(void *p)
{
    return inner_mem.xSize(p);
}

static int
oom_sql_roundup(int n)
{
    return inner_mem.xRoundup(n);
}

static int
oom_sql_init(void *data)
{
    (void)data;
    return inner_mem.xInit(inner_mem.pAppData);
}

static void
oom_sql_shutdown(void *data)
{
    (void)data;
    inner_mem.xShutdown(inner_mem.pAppData);
}

/* Puts the SQLite wrapper in place; before SQLite initialises (the first
 * connection).  Returns 0 or -1. */
static int
oom_install_sqlite(void)
{
    static sqlite3_mem_methods mine = {
        oom_sql_malloc,  oom_sql_free, oom_sql_realloc,  oom_sql_size,
        oom_sql_roundup, oom_sql_init, oom_sql_shutdown, NULL,
    };
    if (sqlite3_shutdown() != SQLITE_OK ||
        sqlite3_config(SQLITE_CONFIG_GETMALLOC, &inner_mem) != SQLITE_OK ||
        sqlite3_config(SQLITE_CONFIG_MALLOC, &mine) != SQLITE_OK)
        return -1;
    return 0;
}

/* Puts the jansson wrapper in place: before eng_init, which wraps it. */
static void
oom_install_jansson(void)
{
    json_get_alloc_funcs(&inner_json_malloc, &inner_json_free);
    json_set_alloc_funcs(oom_json_malloc, oom_json_free);
}

/* ---- a test behaviour ---- */

/* tie: {"peer": NAME, "trap": BOOL}: traps exits when trap, links to
 * peer, and then takes every message. */
static enum actor_step
tie_step(struct actor *a)
{
    const json_t *args = actor_args(a);
    ACTOR_BEGIN(a);
    if (json_is_true(json_object_get(args, "trap")))
        actor_trap_exit(a, 1);
    actor_link(a, json_object_get(args, "peer"));
    for (;;)
        ACTOR_RECEIVE(a, 1, json_pack("[s]", "$any"));
    ACTOR_END(a);
}

static const struct behavior tie = {
    .name = "tie",
    .version = 1,
    .doc = "links to args.peer (trapping exits with args.trap), then "
           "takes every message",
    .step = tie_step,
};

/* ---- fixture ---- */

static struct tmpdb db;
static char work_path[200];  /* the copy each N works on */
static char *template_bytes; /* the database build made, owned */
static size_t template_len;
static struct eng *open_engine; /* closed by teardown should a test fail */
static sqlite3 *open_raw;       /* likewise */

static void
setup(void)
{
    oom_disarm();
    tmpdb_init(&db);
    snprintf(work_path, sizeof work_path, "%s/work.db", db.dir);
    open_engine = NULL;
    open_raw = NULL;
}

/* Removes the work copy with its -wal and -shm. */
static void
work_remove(void)
{
    static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
    char p[220];
    for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
        snprintf(p, sizeof p, "%s%s", work_path, suffix[i]);
        unlink(p);
    }
}

static void
teardown(void)
{
    oom_disarm();
    eng_close(open_engine);
    open_engine = NULL;
    sqlite3_close(open_raw);
    open_raw = NULL;
    free(template_bytes);
    template_bytes = NULL;
    work_remove();
    tmpdb_cleanup(&db);
}

/* Reads the whole file at path into template_bytes. */
static void
template_read(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    ck_assert(n > 0);
    rewind(f);
    template_bytes = malloc((size_t)n);
    ck_assert(template_bytes != NULL);
    ck_assert(fread(template_bytes, 1, (size_t)n, f) == (size_t)n);
    fclose(f);
    template_len = (size_t)n;
}

/* Makes the work copy a fresh copy of the template. */
static void
work_reset(void)
{
    work_remove();
    int fd = open(work_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ck_assert_msg(fd >= 0, "cannot create %s", work_path);
    ck_assert(write(fd, template_bytes, template_len) == (ssize_t)template_len);
    close(fd);
}

/* ---- reading the database, allocations succeeding ---- */

/* The document of name (new), or NULL when there is no such actor. */
static json_t *
doc_of(struct eng *e, const char *name)
{
    json_t *doc = NULL;
    int err = eng_get(e, name, &doc);
    if (err == AD_ENOTFOUND)
        return NULL;
    ck_assert_msg(err == AD_OK, "eng_get %s: %s", name, ad_strerror(err));
    return doc;
}

/* The status of name, "none" when there is no such actor, into buf. */
static const char *
status_of(struct eng *e, const char *name, char *buf, size_t len)
{
    json_t *doc = doc_of(e, name);
    snprintf(buf, len, "%s",
             doc ? json_string_value(json_object_get(doc, "status")) : "none");
    json_decref(doc);
    return buf;
}

/* The mailbox count of name as its document shows it (-1: no actor). */
static long long
mailbox_of(struct eng *e, const char *name)
{
    json_t *doc = doc_of(e, name);
    long long n =
        doc ? json_integer_value(json_object_get(doc, "mailbox")) : -1;
    json_decref(doc);
    return n;
}

/* Asserts that field key of name's document equals the JSON text want. */
static void
assert_doc_field(struct eng *e, const char *name, const char *key,
                 const char *want)
{
    json_t *doc = doc_of(e, name);
    ck_assert_msg(doc != NULL, "no actor %s", name);
    assert_field(doc, key, want);
    json_decref(doc);
}

/* What holds whatever the operation did: the file is sound, the stored
 * mailbox counts are the messages there are, nothing points at an actor
 * that is gone, and no transaction holds the write lock. */
static void
assert_sound(sqlite3 *raw, const char *op, long n, int persistent)
{
    char ok[64];
    raw_text(raw, "PRAGMA integrity_check", ok, sizeof ok);
    ck_assert_msg(strcmp(ok, "ok") == 0, "%s, N=%ld%s: integrity_check: %s", op,
                  n, persistent ? " on" : "", ok);
    ck_assert_msg(raw_int(raw,
                          "SELECT count(*) FROM actors a WHERE a.mailbox != "
                          "(SELECT count(*) FROM messages m "
                          "WHERE m.actor = a.id)") == 0,
                  "%s, N=%ld%s: a stored mailbox count is wrong", op, n,
                  persistent ? " on" : "");
    ck_assert_msg(raw_int(raw,
                          "SELECT (SELECT count(*) FROM messages WHERE actor "
                          "NOT IN (SELECT id FROM actors)) + "
                          "(SELECT count(*) FROM monitors WHERE target NOT IN "
                          "(SELECT id FROM actors) OR watcher NOT IN "
                          "(SELECT id FROM actors)) + "
                          "(SELECT count(*) FROM links WHERE a NOT IN "
                          "(SELECT id FROM actors) OR b NOT IN "
                          "(SELECT id FROM actors)) + "
                          "(SELECT count(*) FROM timers WHERE owner NOT IN "
                          "(SELECT id FROM actors))") == 0,
                  "%s, N=%ld%s: rows point at an actor that is gone", op, n,
                  persistent ? " on" : "");
    sqlite3_busy_timeout(raw, 0);
    int rc = sqlite3_exec(raw, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    ck_assert_msg(rc == SQLITE_OK,
                  "%s, N=%ld%s: the engine still holds the write lock (%d)", op,
                  n, persistent ? " on" : "", rc);
    raw_exec(raw, "ROLLBACK");
}

/* ---- the operations ---- */

struct op {
    const char *name;
    /* Makes the database the operation starts from (allocations
     * succeed). */
    void (*build)(struct eng *e);
    /* The operation: returns 0 or an ad_err; on success checks what it
     * answered. */
    int (*run)(struct eng *e);
    /* Returns 1 when the database shows the operation fully done, 0 when
     * not at all; fails the test for anything in between. */
    int (*done)(struct eng *e, sqlite3 *raw);
};

/* Spawns name (behaviour, args as JSON text or NULL), and fails the test
 * on error. */
static void
spawn(struct eng *e, const char *name, const char *behavior, const char *args,
      const char *monitors)
{
    json_t *a = args ? J(args) : NULL;
    json_t *m = monitors ? J(monitors) : NULL;
    json_t *doc = NULL;
    const char *why = NULL;
    int err = eng_spawn_watched(e, name, behavior, a, m, &doc, &why);
    ck_assert_msg(err == AD_OK, "spawn %s: %s %s", name, ad_strerror(err),
                  why ? why : "");
    json_decref(doc);
    json_decref(m);
    json_decref(a);
}

/* Runs every runnable actor; fails the test on error. */
static void
run_all(struct eng *e)
{
    int err = eng_run(e, 0, 0, NULL);
    ck_assert_msg(err == AD_OK, "eng_run: %s", ad_strerror(err));
}

static void
send_text(struct eng *e, const char *name, const char *msg)
{
    json_t *m = J(msg);
    int err = eng_send(e, name, m, NULL);
    json_decref(m);
    ck_assert_msg(err == AD_OK, "send to %s: %s", name, ad_strerror(err));
}

/* -- spawn: a counter "c", watched by the collector "w" -- */

static void
spawn_build(struct eng *e)
{
    spawn(e, "w", "collector", NULL, NULL);
    run_all(e);
}

static int
spawn_run(struct eng *e)
{
    json_t *args = J("{\"start\": 5}");
    json_t *mon = J("[\"w\"]");
    json_t *doc = NULL;
    oom_go();
    int err = eng_spawn_watched(e, "c", "counter", args, mon, &doc, NULL);
    oom_stop();
    if (err == AD_OK) {
        assert_field(doc, "name", "\"c\"");
        assert_field(doc, "status", "\"runnable\"");
    }
    json_decref(doc);
    json_decref(mon);
    json_decref(args);
    return err;
}

static int
spawn_done(struct eng *e, sqlite3 *raw)
{
    char st[32];
    status_of(e, "c", st, sizeof st);
    long long watches = raw_int(raw, "SELECT count(*) FROM monitors");
    if (strcmp(st, "none") == 0) {
        ck_assert_msg(watches == 0, "spawn: a watch without its actor");
        return 0;
    }
    ck_assert_str_eq(st, "runnable");
    assert_doc_field(e, "c", "behavior", "\"counter\"");
    char args[64];
    raw_text(raw, "SELECT args FROM actors WHERE name = 'c'", args,
             sizeof args);
    ck_assert_str_eq(args, "{\"start\":5}");
    ck_assert_msg(watches == 1, "spawn: the actor without its watch");
    return 1;
}

/* -- send: {"add": 2} to a waiting counter -- */

static void
send_build(struct eng *e)
{
    spawn(e, "c", "counter", "{\"start\": 1}", NULL);
    run_all(e);
}

static int
send_run(struct eng *e)
{
    json_t *m = J("{\"add\": 2}");
    int64_t seq = 0;
    oom_go();
    int err = eng_send(e, "c", m, &seq);
    oom_stop();
    if (err == AD_OK)
        ck_assert(seq > 0);
    json_decref(m);
    return err;
}

static int
send_done(struct eng *e, sqlite3 *raw)
{
    char st[32];
    long long box = mailbox_of(e, "c");
    long long rows = raw_int(raw, "SELECT count(*) FROM messages");
    status_of(e, "c", st, sizeof st);
    if (box == 0 && rows == 0) {
        ck_assert_str_eq(st, "waiting");
        return 0;
    }
    ck_assert_msg(box == 1 && rows == 1, "send: mailbox %lld, rows %lld", box,
                  rows);
    char body[64];
    raw_text(raw, "SELECT body FROM messages", body, sizeof body);
    ck_assert_str_eq(body, "{\"add\":2}");
    ck_assert_str_eq(st, "runnable");
    return 1;
}

/* -- a step that spawns and sends: the first step of a ring of 2 -- */

static void
ring_build(struct eng *e)
{
    spawn(e, "r", "ring", "{\"n\": 2, \"message\": \"hi\"}", NULL);
}

static int
ring_run(struct eng *e)
{
    long steps = 0;
    oom_go();
    int err = eng_run(e, 1, 0, &steps);
    oom_stop();
    if (err == AD_OK)
        ck_assert_int_eq(steps, 1);
    return err;
}

static int
ring_done(struct eng *e, sqlite3 *raw)
{
    char st[32], st1[32], st2[32];
    status_of(e, "r", st, sizeof st);
    status_of(e, "r.1", st1, sizeof st1);
    status_of(e, "r.2", st2, sizeof st2);
    long long spawned =
        raw_int(raw, "SELECT spawned FROM actors WHERE name = 'r'");
    if (strcmp(st, "runnable") == 0) {
        ck_assert_str_eq(st1, "none");
        ck_assert_str_eq(st2, "none");
        ck_assert_int_eq(spawned, 0);
        ck_assert_int_eq(raw_int(raw, "SELECT count(*) FROM messages"), 0);
        return 0;
    }
    ck_assert_msg(strcmp(st, "waiting") == 0, "ring: r is %s", st);
    ck_assert_str_eq(st1, "runnable");
    ck_assert_str_eq(st2, "runnable");
    ck_assert_int_eq(spawned, 2);
    ck_assert_int_eq(mailbox_of(e, "r.1"), 0);
    ck_assert_int_eq(mailbox_of(e, "r.2"), 1);
    assert_doc_field(e, "r.2", "state", "{}");
    char body[64];
    raw_text(raw, "SELECT body FROM messages", body, sizeof body);
    ck_assert_str_eq(body, "\"hi\"");
    return 1;
}

/* -- kill: the counter "t", watched by "w", linked to "mate" (dies with
 * it) and "trapper" (told), with an unread message -- */

static void
kill_build(struct eng *e)
{
    spawn(e, "w", "collector", NULL, NULL);
    spawn(e, "t", "counter", NULL, "[\"w\"]");
    spawn(e, "mate", "tie", "{\"peer\": \"t\"}", NULL);
    spawn(e, "trapper", "tie", "{\"peer\": \"t\", \"trap\": true}", NULL);
    run_all(e);
    send_text(e, "t", "{\"unread\": 1}");
}

static int
kill_run(struct eng *e)
{
    json_t *doc = NULL;
    oom_go();
    int err = eng_kill(e, "t", &doc);
    oom_stop();
    if (err == AD_OK)
        assert_field(doc, "status", "\"killed\"");
    json_decref(doc);
    return err;
}

static int
kill_done(struct eng *e, sqlite3 *raw)
{
    char st[32], mate[32];
    status_of(e, "t", st, sizeof st);
    status_of(e, "mate", mate, sizeof mate);
    long long dead = raw_int(raw, "SELECT count(*) FROM dead_letters");
    long long w = mailbox_of(e, "w"), tr = mailbox_of(e, "trapper");
    if (strcmp(st, "waiting") == 0) {
        ck_assert_str_eq(mate, "waiting");
        ck_assert_int_eq(mailbox_of(e, "t"), 1);
        ck_assert_int_eq(dead, 0);
        ck_assert_int_eq(w, 0);
        ck_assert_int_eq(tr, 0);
        return 0;
    }
    ck_assert_msg(strcmp(st, "killed") == 0, "kill: t is %s", st);
    ck_assert_str_eq(mate, "killed");
    ck_assert_int_eq(mailbox_of(e, "t"), 0);
    ck_assert_int_eq(dead, 1);
    ck_assert_int_eq(w, 1);
    ck_assert_int_eq(tr, 1);
    ck_assert_int_eq(raw_int(raw, "SELECT count(*) FROM links"), 0);
    ck_assert_int_eq(raw_int(raw, "SELECT count(*) FROM monitors"), 0);
    return 1;
}

/* -- a timer firing: "tm" repeats {"tick": 1} to the collector "sink"
 * every hour from now; eng_run fires it and sink's step takes it -- */

static void
timer_build(struct eng *e)
{
    spawn(e, "sink", "collector", NULL, NULL);
    spawn(e, "tm", "timer",
          "{\"to\": \"sink\", \"message\": {\"tick\": 1}, \"after_ms\": 0, "
          "\"every_ms\": 3600000}",
          NULL);
    run_all(e);
    ck_assert_int_eq(mailbox_of(e, "sink"), 0);
}

static int
timer_run(struct eng *e)
{
    oom_go();
    int err = eng_run(e, 0, 0, NULL);
    oom_stop();
    return err;
}

static int
timer_done(struct eng *e, sqlite3 *raw)
{
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM timers WHERE due > %lld",
             (long long)ad_now_ms());
    long long later = raw_int(raw, sql);
    ck_assert_int_eq(raw_int(raw, "SELECT count(*) FROM timers"), 1);
    ck_assert_int_eq(mailbox_of(e, "sink"), 0);
    ck_assert_int_eq(raw_int(raw, "SELECT count(*) FROM dead_letters"), 0);
    json_t *doc = doc_of(e, "sink");
    ck_assert(doc != NULL);
    json_t *got = json_object_get(json_object_get(doc, "state"), "messages");
    size_t n = json_array_size(got);
    if (n == 0) {
        json_decref(doc);
        ck_assert_msg(later == 0, "timer: moved on without its message");
        return 0;
    }
    assert_json(got, "[{\"tick\": 1}]");
    json_decref(doc);
    ck_assert_msg(later == 1, "timer: fired but not moved on");
    return 1;
}

/* -- a REST call to a counter's "get", in its four parts -- */

static char call_box[ENG_CALL_ID_LEN + 8];
static char call_id[ENG_CALL_ID_LEN];

static void
call_build(struct eng *e)
{
    spawn(e, "c", "counter", "{\"start\": 7}", NULL);
    run_all(e);
}

static int
call_begin_run(struct eng *e)
{
    oom_go();
    int err = eng_call_begin(e, "c", "get", NULL, call_box, call_id);
    oom_stop();
    return err;
}

/* The reply boxes there are (name into box), and c's mailbox. */
static int
call_begin_done(struct eng *e, sqlite3 *raw)
{
    long long boxes =
        raw_int(raw, "SELECT count(*) FROM actors WHERE behavior = '_reply'");
    long long c = mailbox_of(e, "c");
    if (boxes == 0) {
        ck_assert_int_eq(c, 0);
        return 0;
    }
    ck_assert_int_eq(boxes, 1);
    ck_assert_int_eq(c, 1);
    char box[64];
    raw_text(raw, "SELECT name FROM actors WHERE behavior = '_reply'", box,
             sizeof box);
    char status[32];
    ck_assert_str_eq(status_of(e, box, status, sizeof status), "waiting");
    ck_assert_int_eq(mailbox_of(e, box), 0);
    return 1;
}

/* The calls after the first start from a call begun in the build. */
static void
call_begun_build(struct eng *e)
{
    call_build(e);
    int err = eng_call_begin(e, "c", "get", NULL, call_box, call_id);
    ck_assert_int_eq(err, AD_OK);
}

static int
call_step_run(struct eng *e)
{
    return timer_run(e);
}

static int
call_step_done(struct eng *e, sqlite3 *raw)
{
    (void)raw;
    long long c = mailbox_of(e, "c"), box = mailbox_of(e, call_box);
    char st[32];
    status_of(e, "c", st, sizeof st);
    if (c == 1) {
        ck_assert_int_eq(box, 0);
        ck_assert_str_eq(st, "runnable");
        return 0;
    }
    ck_assert_int_eq(c, 0);
    ck_assert_int_eq(box, 1);
    ck_assert_str_eq(st, "waiting");
    assert_doc_field(e, "c", "state", "{\"count\": 7}");
    return 1;
}

static void
call_answered_build(struct eng *e)
{
    call_begun_build(e);
    run_all(e);
}

static int
call_poll_run(struct eng *e)
{
    json_t *reply = NULL;
    oom_go();
    int err = eng_call_poll(e, "c", call_box, &reply);
    oom_stop();
    if (err == AD_OK) {
        char want[128];
        snprintf(want, sizeof want, "{\"response\": \"%s\", \"message\": 7}",
                 call_id);
        assert_json(reply, want);
    } else {
        ck_assert(reply == NULL);
    }
    json_decref(reply);
    return err;
}

/* A poll reads only: done is its success, and the box is untouched. */
static int call_poll_ok;

static int
call_poll_check_run(struct eng *e)
{
    int err = call_poll_run(e);
    call_poll_ok = err == AD_OK;
    return err;
}

static int
call_poll_done(struct eng *e, sqlite3 *raw)
{
    (void)raw;
    ck_assert_int_eq(mailbox_of(e, call_box), 1);
    return call_poll_ok;
}

static int
call_end_run(struct eng *e)
{
    oom_go();
    int err = eng_call_end(e, call_box);
    oom_stop();
    return err;
}

static int
call_end_done(struct eng *e, sqlite3 *raw)
{
    long long box = mailbox_of(e, call_box);
    long long rows = raw_int(raw, "SELECT count(*) FROM messages");
    if (box == 1) {
        ck_assert_int_eq(rows, 1);
        return 0;
    }
    ck_assert_int_eq(box, -1);
    ck_assert_int_eq(rows, 0);
    return 1;
}

/* -- import: two actors with mail, a timer, a watch on an actor there
 * and a link between them, an abandoned call (engine/import.c) -- */

static void
import_build(struct eng *e)
{
    spawn(e, "w", "collector", NULL, NULL);
    run_all(e);
}

static int
import_run(struct eng *e)
{
    json_t *v[2];
    v[0] = J("{\"type\": \"actor\", \"name\": \"c\", \"behavior\": "
             "\"counter\", \"version\": 1, \"status\": \"waiting\", "
             "\"resume\": 1, \"waiting_for\": [{\"add\": \"$integer\"}], "
             "\"scanned\": 1, \"args\": {}, \"state\": {\"count\": 4}, "
             "\"mailbox\": [{\"from\": \"w\", \"body\": {\"x\": 1}, "
             "\"hops\": 2}, {\"body\": \"two\"}], \"timers\": [{\"id\": 7, "
             "\"target\": \"c\", \"body\": {\"add\": 1}, \"due\": "
             "9999999999999, \"every\": 60000}], \"watchers\": [\"w\"], "
             "\"links\": [\"d\"], \"abandoned_calls\": [{\"call_id\": "
             "\"k1\", \"created\": 5}]}");
    v[1] = J("{\"type\": \"actor\", \"name\": \"d\", \"behavior\": "
             "\"collector\", \"version\": 1, \"status\": \"runnable\", "
             "\"args\": {}, \"state\": {}, \"trap_exit\": true, "
             "\"links\": [\"c\"]}");
    struct eng_import t = {0};
    size_t bad = 0;
    char why[256];
    oom_go();
    int err = eng_import(e, v, 2, 0, &t, &bad, why, sizeof why);
    oom_stop();
    if (err == AD_OK) {
        ck_assert_int_eq(t.actors, 2);
        ck_assert_int_eq(t.messages, 2);
        ck_assert_int_eq(t.timers, 1);
        ck_assert_int_eq(t.ties, 2);
    } else {
        ck_assert_int_eq(t.actors, 0);
    }
    json_decref(v[0]);
    json_decref(v[1]);
    return err;
}

static int
import_done(struct eng *e, sqlite3 *raw)
{
    long long rows[] = {
        raw_int(raw, "SELECT count(*) FROM actors"),
        raw_int(raw, "SELECT count(*) FROM messages"),
        raw_int(raw, "SELECT count(*) FROM timers"),
        raw_int(raw, "SELECT count(*) FROM monitors"),
        raw_int(raw, "SELECT count(*) FROM links"),
        raw_int(raw, "SELECT count(*) FROM abandoned_calls"),
    };
    if (rows[0] == 1) {
        for (size_t i = 1; i < sizeof rows / sizeof rows[0]; i++)
            ck_assert_msg(rows[i] == 0, "import: half done (%zu)", i);
        return 0;
    }
    static const long long want[] = {3, 2, 1, 1, 2, 1};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        ck_assert_msg(rows[i] == want[i], "import: %zu is %lld", i, rows[i]);
    assert_doc_field(e, "c", "state", "{\"count\": 4}");
    assert_doc_field(e, "c", "mailbox", "2");
    ck_assert_int_eq(raw_int(raw, "SELECT id FROM timers"), 7);
    ck_assert_int_eq(raw_int(raw, "SELECT scanned = (SELECT min(seq) FROM "
                                  "messages) FROM actors WHERE name = 'c'"),
                     1);
    return 1;
}

/* ---- the loop ---- */

/* Beyond this N, N grows by a stride of N / 64, to keep the run short:
 * every N up to it is tried. */
#define OOM_EVERY_N_UP_TO 2000

/* The step between one N and the next below OOM_EVERY_N_UP_TO: 1, or
 * $OOM_STRIDE (make valgrind sets it: under valgrind every N takes
 * minutes in all, and the ASan run of make check tries every N). */
static long
oom_stride(void)
{
    const char *s = getenv("OOM_STRIDE");
    long k = s ? strtol(s, NULL, 10) : 1;
    return k >= 1 ? k : 1;
}

/* One N: a fresh copy of the template, a fresh engine, the operation
 * with the N-th allocation failing, and the checks.  Returns 1 when an
 * allocation failed (so that N + 1 is worth trying). */
static int
oom_one(const struct op *op, long n, int persistent)
{
    struct eng *e = NULL;
    const char *on = persistent ? " on" : "";
    work_reset();
    int err = eng_open(work_path, NULL, &e);
    ck_assert_msg(err == AD_OK, "eng_open: %s", ad_strerror(err));
    open_engine = e;
    oom_next_n = n;
    oom_next_persistent = persistent;
    oom_last_failed = 0;
    err = op->run(e);
    long failed = oom_last_failed;
    oom_next_n = 0;
    ck_assert_msg(err == AD_OK || err == AD_ENOMEM,
                  "%s, N=%ld%s: returned %s (%s)", op->name, n, on,
                  ad_errcode(err), eng_errmsg(e));
    ck_assert_msg(failed > 0 || err == AD_OK,
                  "%s, N=%ld%s: %s with no allocation failed", op->name, n, on,
                  ad_errcode(err));
    sqlite3 *raw = open_raw = raw_open(work_path);
    assert_sound(raw, op->name, n, persistent);
    int done = op->done(e, raw);
    ck_assert_msg(done == (err == AD_OK), "%s, N=%ld%s: %s, but %s", op->name,
                  n, on, ad_errcode(err), done ? "done" : "not done");
    if (err != AD_OK) {
        /* Allocations succeed again: so does the operation, on the same
         * connection. */
        err = op->run(e);
        ck_assert_msg(err == AD_OK, "%s, N=%ld%s: again: %s (%s)", op->name, n,
                      on, ad_errcode(err), eng_errmsg(e));
        assert_sound(raw, op->name, n, persistent);
        ck_assert_msg(op->done(e, raw) == 1, "%s, N=%ld%s: again: not done",
                      op->name, n, on);
    }
    sqlite3_close(raw);
    open_raw = NULL;
    eng_close(e);
    open_engine = NULL;
    return failed > 0;
}

/* Runs op with each N in turn failing, transient and persistent, until
 * it runs through with no allocation failed. */
static void
oom_run(const struct op *op)
{
    struct eng *e = NULL;
    int err = eng_open(db.path, NULL, &e);
    ck_assert_msg(err == AD_OK, "eng_open: %s", ad_strerror(err));
    open_engine = e;
    op->build(e);
    eng_close(e);
    open_engine = NULL;
    template_read(db.path);
    for (int persistent = 0; persistent <= 1; persistent++) {
        long n = 1, stride = oom_stride();
        while (oom_one(op, n, persistent))
            n += n < OOM_EVERY_N_UP_TO ? stride : n / 64;
        if (getenv("OOM_VERBOSE"))
            fprintf(stderr, "%s%s: %ld allocations\n", op->name,
                    persistent ? " (persistent)" : "", n - 1);
    }
}

static const struct op ops[] = {
    {"spawn", spawn_build, spawn_run, spawn_done},
    {"send", send_build, send_run, send_done},
    {"ring step", ring_build, ring_run, ring_done},
    {"kill", kill_build, kill_run, kill_done},
    {"timer", timer_build, timer_run, timer_done},
    {"call begin", call_build, call_begin_run, call_begin_done},
    {"call step", call_begun_build, call_step_run, call_step_done},
    {"call poll", call_answered_build, call_poll_check_run, call_poll_done},
    {"call end", call_answered_build, call_end_run, call_end_done},
    {"import", import_build, import_run, import_done},
};

START_TEST(test_oom_op)
{
    oom_run(&ops[_i]);
}
END_TEST

static Suite *
oom_suite(void)
{
    Suite *s = suite_create("oom");
    TCase *tc = tcase_with("operations", setup, teardown, 600);
    tcase_add_loop_test(tc, test_oom_op, 0, (int)(sizeof ops / sizeof ops[0]));
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    if (actor_register(&tie) != 0) {
        fprintf(stderr, "test_oom: actor_register failed\n");
        return 1;
    }
    if (oom_install_sqlite() != 0) {
        fprintf(stderr, "test_oom: SQLite's allocator cannot be wrapped\n");
        return 1;
    }
    oom_install_jansson();
    return run_suite(oom_suite());
}
