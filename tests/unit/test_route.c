/*
 * test_route.c - the Check suite of fcgi/route.c: fcgi_route driven
 * directly with struct fcgi_request values against an engine on a
 * temporary database, for every route and error of API.md (but calls
 * and metrics): statuses, error codes, headers, bodies, long-polls, the
 * page parameters of the three paged routes (actors, mailbox, dead
 * letters), supervisor specs refused at spawn, and every truncation of a
 * body.
 */
#include "fcgi/fcgi.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/unit/testutil.h"

#define MAX_BODY 1024

static struct tmpdb db;

#include "tests/unit/routeutil.h"

static int wait_calls;

/* cfg.wait for the tests: runs the actors for up to ms, and sleeps a
 * little when there was nothing to run, as a real wait would block. */
static int
wait_run(void *ctx, struct eng *e, int ms)
{
    int *calls = ctx;
    long steps = 0;
    (*calls)++;
    if (eng_run(e, 0, ms, &steps) != AD_OK || steps == 0) {
        int nap = ms < 20 ? ms : 20;
        struct timespec ts = {0, (long)nap * 1000000L};
        nanosleep(&ts, NULL);
    }
    return 0;
}

/* cfg.wait of a process that is stopping. */
static int
wait_stopping(void *ctx, struct eng *e, int ms)
{
    (void)e;
    (void)ms;
    int *calls = ctx;
    (*calls)++;
    return -1;
}

static void
setup(void)
{
    struct fcgi_config c = {
        .max_body = MAX_BODY, .wait = wait_run, .wait_ctx = &wait_calls};
    route_open(&c);
    wait_calls = 0;
}

static void
teardown(void)
{
    route_close();
}

/* Asserts field key of the last response's body equals want (JSON). */
static void
assert_body(const char *key, const char *want)
{
    ck_assert_ptr_nonnull(resp.body);
    assert_field(resp.body, key, want);
}

/* Spawns name with the PUT body text; asserts 201. */
static void
put(const char *name, const char *body)
{
    char path[256];
    snprintf(path, sizeof path, "/actors/%s", name);
    ck_assert_int_eq(req("PUT", path, NULL, body), 201);
}

/* Runs every runnable actor. */
static void
run_all(void)
{
    ck_assert_int_eq(eng_run(eng, 0, 0, NULL), AD_OK);
}

/* Returns the number of actors the listing shows. */
static size_t
actor_count(void)
{
    ck_assert_int_eq(req("GET", "/actors", "limit=1000", NULL), 200);
    return json_array_size(json_object_get(resp.body, "actors"));
}

/* ---- healthz, behaviors, unknown paths ---- */

START_TEST(test_healthz)
{
    ck_assert_int_eq(req("GET", "/healthz", NULL, NULL), 200);
    assert_json(resp.body, "{\"ok\": true}");
    ck_assert_int_eq(req("HEAD", "/healthz", NULL, NULL), 200);
    ck_assert_int_eq(req("GET", "/healthz/", NULL, NULL), 200);
    ck_assert_int_eq(req("POST", "/healthz", NULL, "{}"), 405);
    assert_error(405, "method_not_allowed");
    ck_assert_str_eq(resp.headers, "Allow: GET, HEAD\r\n");
}
END_TEST

START_TEST(test_behaviors)
{
    ck_assert_int_eq(req("GET", "/behaviors", NULL, NULL), 200);
    json_t *list = json_object_get(resp.body, "behaviors");
    ck_assert_int_eq(json_array_size(list), 8);
    static const char *const want[] = {"counter",    "collector", "forwarder",
                                       "ring",       "gather",    "ticker",
                                       "supervisor", "timer"};
    for (size_t w = 0; w < 8; w++) {
        int found = 0;
        size_t i;
        json_t *b;
        json_array_foreach(list, i, b)
        {
            const char *n = json_string_value(json_object_get(b, "name"));
            ck_assert_ptr_nonnull(n);
            ck_assert(json_is_string(json_object_get(b, "doc")));
            found += strcmp(n, want[w]) == 0;
        }
        ck_assert_msg(found == 1, "%s listed %d times", want[w], found);
    }
    ck_assert_int_eq(req("PUT", "/behaviors", NULL, "{}"), 405);
    assert_error(405, "method_not_allowed");
    ck_assert_str_eq(resp.headers, "Allow: GET, HEAD\r\n");
}
END_TEST

START_TEST(test_not_found)
{
    static const char *const paths[] = {
        "/",
        "/nope",
        "/actorsx",
        "/actors/x/nope",
        "/actors/x/mailbox/more",
        "/actors/x/mailboxes",
        "/healthzz",
        "actors",
        "/ACTORS",
        "/actors//mailbox/x",
    };
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        ck_assert_msg(req("GET", paths[i], NULL, NULL) == 404, "GET %s: %d",
                      paths[i], resp.status);
        assert_error(404, "not_found");
    }
    /* Any verb. */
    ck_assert_int_eq(req("DELETE", "/nope", NULL, NULL), 404);
    assert_error(404, "not_found");
    /* No path at all is "/". */
    struct fcgi_request r = {.method = "GET", .content_length = -1};
    ck_assert_int_eq(route(&r), 404);
    assert_error(404, "not_found");
}
END_TEST

START_TEST(test_method_not_allowed)
{
    put("x", "{\"behavior\": \"counter\"}");
    static const struct {
        const char *method, *path, *allow;
    } cases[] = {
        {"PATCH", "/actors/x", "GET, HEAD, PUT, POST, DELETE"},
        {"OPTIONS", "/actors/nobody", "GET, HEAD, PUT, POST, DELETE"},
        {"DELETE", "/actors", "GET, HEAD, POST"},
        {"PUT", "/actors", "GET, HEAD, POST"},
        {"POST", "/actors/x/mailbox", "GET, HEAD"},
        {"DELETE", "/actors/x/mailbox", "GET, HEAD"},
        {"DELETE", "/healthz", "GET, HEAD"},
        {"POST", "/behaviors", "GET, HEAD"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char want[128];
        ck_assert_msg(req(cases[i].method, cases[i].path, NULL, "{}") == 405,
                      "%s %s: %d", cases[i].method, cases[i].path, resp.status);
        assert_error(405, "method_not_allowed");
        snprintf(want, sizeof want, "Allow: %s\r\n", cases[i].allow);
        ck_assert_str_eq(resp.headers, want);
        ck_assert_int_eq(resp.wrote, 0);
    }
    /* Nothing happened to x. */
    ck_assert_int_eq(req("GET", "/actors/x", NULL, NULL), 200);
    assert_body("status", "\"runnable\"");
    assert_body("mailbox", "0");
}
END_TEST

/* ---- names ---- */

START_TEST(test_bad_names)
{
    char long_name[AD_NAME_MAX + 2];
    memset(long_name, 'a', AD_NAME_MAX + 1);
    long_name[AD_NAME_MAX + 1] = '\0';
    const char *const bad[] = {
        "..",    "%2e%2e", "%2E%2E", ".", "%2e", "a%20b",    "a%00b",  "a+b",
        "a%2Fb", "a%2",    "a%zz",   "%", "a b", "\xc3\xa9", long_name};
    static const char *const methods[] = {"GET", "HEAD", "PUT", "POST",
                                          "DELETE"};
    char path[512];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        for (size_t m = 0; m < sizeof methods / sizeof methods[0]; m++) {
            snprintf(path, sizeof path, "/actors/%s", bad[i]);
            ck_assert_msg(req(methods[m], path, NULL,
                              "{\"behavior\": \"counter\"}") == 400,
                          "%s %s: %d", methods[m], path, resp.status);
            assert_error(400, "bad_name");
        }
        snprintf(path, sizeof path, "/actors/%s/mailbox", bad[i]);
        ck_assert_msg(req("GET", path, NULL, NULL) == 400, "GET %s: %d", path,
                      resp.status);
        assert_error(400, "bad_name");
    }
    ck_assert_int_eq(actor_count(), 0);

    /* 128 characters, and percent-encoded letters, are fine. */
    long_name[AD_NAME_MAX] = '\0';
    snprintf(path, sizeof path, "/actors/%s", long_name);
    ck_assert_int_eq(req("GET", path, NULL, NULL), 404);
    assert_error(404, "no_such_actor");
    ck_assert_int_eq(req("PUT", path, NULL, "{\"behavior\": \"counter\"}"),
                     201);
    ck_assert_int_eq(
        req("PUT", "/actors/%41b%2e~_-", NULL, "{\"behavior\": \"counter\"}"),
        201);
    assert_body("name", "\"Ab.~_-\"");
    ck_assert_int_eq(req("GET", "/actors/Ab.~_-", NULL, NULL), 200);
    ck_assert_int_eq(
        req("PUT", "/actors/...", NULL, "{\"behavior\": \"counter\"}"), 201);
}
END_TEST

/* ---- spawning ---- */

START_TEST(test_put_spawn)
{
    ck_assert_int_eq(req("PUT", "/actors/c1", NULL,
                         "{\"behavior\": \"counter\", \"args\": "
                         "{\"start\": 3}, \"monitors\": []}"),
                     201);
    ck_assert_str_eq(resp.headers, "Location: /actors/c1\r\n");
    ck_assert_int_eq(resp.wrote, 1);
    /* Mounted under a prefix (SCRIPT_NAME), Location keeps it. */
    const char *body = "{\"behavior\": \"counter\"}";
    struct fcgi_request pr = {.method = "PUT",
                              .path = "/actors/c9",
                              .prefix = "/actord",
                              .body = body,
                              .body_len = strlen(body),
                              .content_length = (long long)strlen(body)};
    ck_assert_int_eq(route(&pr), 201);
    ck_assert_str_eq(resp.headers, "Location: /actord/actors/c9\r\n");
    ck_assert_int_eq(req("GET", "/actors/c1", NULL, NULL), 200);
    assert_body("name", "\"c1\"");
    assert_body("behavior", "\"counter\"");
    assert_body("status", "\"runnable\"");
    assert_body("mailbox", "0");
    run_all();
    ck_assert_int_eq(req("GET", "/actors/c1", NULL, NULL), 200);
    assert_body("state", "{\"count\": 3}");

    /* A trailing slash names the same actor. */
    ck_assert_int_eq(req("GET", "/actors/c1/", NULL, NULL), 200);
    assert_body("name", "\"c1\"");

    /* args may be absent or null. */
    put("c2", "{\"behavior\": \"collector\"}");
    put("c3", "{\"behavior\": \"collector\", \"args\": null}");
}
END_TEST

START_TEST(test_put_errors)
{
    put("c1", "{\"behavior\": \"counter\"}");
    ck_assert_int_eq(
        req("PUT", "/actors/c1", NULL, "{\"behavior\": \"collector\"}"), 409);
    assert_error(409, "actor_exists");
    ck_assert_int_eq(resp.headers[0], '\0');

    ck_assert_int_eq(
        req("PUT", "/actors/u", NULL, "{\"behavior\": \"nosuch\"}"), 422);
    assert_error(422, "unknown_behavior");

    ck_assert_int_eq(req("PUT", "/actors/u", NULL,
                         "{\"behavior\": \"counter\", \"args\": "
                         "{\"start\": \"x\"}}"),
                     422);
    assert_error(422, "bad_args");
    ck_assert_ptr_nonnull(
        strstr(json_string_value(json_object_get(resp.body, "message")),
               "start must be an integer"));
    ck_assert_int_eq(
        req("PUT", "/actors/u", NULL, "{\"behavior\": \"ring\", \"args\": {}}"),
        422);
    assert_error(422, "bad_args");

    static const char *const bad_request[] = {
        "{}",
        "{\"behavior\": 5}",
        "{\"behavior\": null}",
        "{\"args\": {}}",
        "{\"behavior\": \"counter\", \"args\": [1]}",
        "{\"behavior\": \"counter\", \"args\": \"x\"}",
    };
    for (size_t i = 0; i < sizeof bad_request / sizeof bad_request[0]; i++) {
        ck_assert_msg(req("PUT", "/actors/u", NULL, bad_request[i]) == 400,
                      "%s: %d", bad_request[i], resp.status);
        assert_error(400, "bad_request");
    }

    static const char *const bad_json[] = {
        "[]",
        "\"counter\"",
        "1",
        "null",
        "{",
        "{\"behavior\": counter}",
        "{\"behavior\": \"counter\"} x",
        "{\"behavior\": \"counter\",}",
    };
    for (size_t i = 0; i < sizeof bad_json / sizeof bad_json[0]; i++) {
        ck_assert_msg(req("PUT", "/actors/u", NULL, bad_json[i]) == 400,
                      "%s: %d", bad_json[i], resp.status);
        assert_error(400, "bad_json");
    }
    /* No body, or an empty one. */
    ck_assert_int_eq(req("PUT", "/actors/u", NULL, NULL), 400);
    assert_error(400, "bad_json");
    ck_assert_int_eq(req("PUT", "/actors/u", NULL, ""), 400);
    assert_error(400, "bad_json");

    /* None of it stored anything. */
    ck_assert_int_eq(req("GET", "/actors/u", NULL, NULL), 404);
    ck_assert_int_eq(actor_count(), 1);
}
END_TEST

START_TEST(test_put_replaces_ended)
{
    put("c", "{\"behavior\": \"counter\"}");
    ck_assert_int_eq(req("DELETE", "/actors/c", NULL, NULL), 200);
    ck_assert_int_eq(
        req("PUT", "/actors/c", NULL, "{\"behavior\": \"collector\"}"), 201);
    assert_body("behavior", "\"collector\"");
    assert_body("status", "\"runnable\"");
    ck_assert_str_eq(resp.headers, "Location: /actors/c\r\n");
}
END_TEST

START_TEST(test_post_spawn)
{
    ck_assert_int_eq(
        req("POST", "/actors", NULL, "{\"behavior\": \"collector\"}"), 201);
    ck_assert_int_eq(resp.wrote, 1);
    const char *name = json_string_value(json_object_get(resp.body, "name"));
    ck_assert_ptr_nonnull(name);
    ck_assert_int_eq(ad_name_valid(name, strlen(name)), 1);
    char want[256], path[256];
    snprintf(want, sizeof want, "Location: /actors/%s\r\n", name);
    snprintf(path, sizeof path, "/actors/%s", name);
    ck_assert_str_eq(resp.headers, want);
    ck_assert_int_eq(req("GET", path, NULL, NULL), 200);
    assert_body("behavior", "\"collector\"");

    ck_assert_int_eq(
        req("POST", "/actors/", NULL, "{\"behavior\": \"counter\"}"), 201);
    ck_assert_int_eq(req("POST", "/actors", NULL, "{\"behavior\": \"nosuch\"}"),
                     422);
    assert_error(422, "unknown_behavior");
    ck_assert_int_eq(
        req("POST", "/actors", NULL, "{\"behavior\": \"forwarder\"}"), 422);
    assert_error(422, "bad_args");
    ck_assert_int_eq(req("POST", "/actors", NULL, "{\"behavior\""), 400);
    assert_error(400, "bad_json");
    ck_assert_int_eq(req("POST", "/actors", NULL, "{}"), 400);
    assert_error(400, "bad_request");
    ck_assert_int_eq(actor_count(), 2);
}
END_TEST

/* ---- sending ---- */

START_TEST(test_post_message)
{
    put("c", "{\"behavior\": \"counter\"}");
    ck_assert_int_eq(req("POST", "/actors/c", NULL, "{\"add\": 2}"), 202);
    ck_assert_int_eq(resp.wrote, 1);
    ck_assert_int_eq(json_object_size(resp.body), 2);
    assert_body("accepted", "true");
    json_int_t seq1 = json_integer_value(json_object_get(resp.body, "seq"));
    ck_assert_int_gt(seq1, 0);
    ck_assert_int_eq(req("POST", "/actors/c", NULL, "\"text\""), 202);
    json_int_t seq2 = json_integer_value(json_object_get(resp.body, "seq"));
    ck_assert_int_gt(seq2, seq1);
    /* Any JSON value is a message. */
    ck_assert_int_eq(req("POST", "/actors/c", NULL, "null"), 202);
    ck_assert_int_eq(req("POST", "/actors/c", NULL, " [1, 2] "), 202);
    run_all();
    ck_assert_int_eq(req("GET", "/actors/c", NULL, NULL), 200);
    assert_body("state", "{\"count\": 2}");
    assert_body("mailbox", "3");

    /* Exactly max_body is fine. */
    char big[MAX_BODY + 1];
    memset(big, 'x', MAX_BODY);
    big[0] = big[MAX_BODY - 1] = '"';
    big[MAX_BODY] = '\0';
    ck_assert_int_eq(req("POST", "/actors/c", NULL, big), 202);
}
END_TEST

START_TEST(test_post_message_errors)
{
    ck_assert_int_eq(req("POST", "/actors/nobody", NULL, "1"), 404);
    assert_error(404, "no_such_actor");

    put("c", "{\"behavior\": \"collector\"}");
    ck_assert_int_eq(req("POST", "/actors/c", NULL, "{\"a\": "), 400);
    assert_error(400, "bad_json");
    ck_assert_int_eq(req("POST", "/actors/c", NULL, "1 2"), 400);
    assert_error(400, "bad_json");
    ck_assert_int_eq(req("POST", "/actors/c", NULL, ""), 400);
    assert_error(400, "bad_json");
    ck_assert_int_eq(req("POST", "/actors/c", NULL, NULL), 400);
    assert_error(400, "bad_json");

    /* Too large, by the announced length... */
    struct fcgi_request r = {.method = "POST",
                             .path = "/actors/c",
                             .body = "1",
                             .body_len = 1,
                             .content_length = MAX_BODY + 1};
    ck_assert_int_eq(route(&r), 413);
    assert_error(413, "too_large");
    /* ... or by what came. */
    r.content_length = -1;
    r.body_truncated = 1;
    ck_assert_int_eq(route(&r), 413);
    assert_error(413, "too_large");
    /* The same limit holds for spawn bodies. */
    r.method = "PUT";
    ck_assert_int_eq(route(&r), 413);
    assert_error(413, "too_large");
    r.path = "/actors";
    r.method = "POST";
    r.body_truncated = 0;
    r.content_length = 1LL << 62;
    ck_assert_int_eq(route(&r), 413);
    assert_error(413, "too_large");

    ck_assert_int_eq(req("GET", "/actors/c/mailbox", NULL, NULL), 200);
    assert_body("messages", "[]");

    ck_assert_int_eq(req("DELETE", "/actors/c", NULL, NULL), 200);
    ck_assert_int_eq(req("POST", "/actors/c", NULL, "1"), 410);
    assert_error(410, "actor_dead");
    ck_assert_int_eq(resp.wrote, 0);
}
END_TEST

START_TEST(test_busy)
{
    put("c", "{\"behavior\": \"collector\"}");
    sqlite3 *raw = raw_open(db.path);
    raw_exec(raw, "BEGIN IMMEDIATE");
    ck_assert_int_eq(req("POST", "/actors/c", NULL, "1"), 503);
    assert_error(503, "busy");
    ck_assert_str_eq(resp.headers, "Retry-After: 1\r\n");
    ck_assert_int_eq(
        req("PUT", "/actors/d", NULL, "{\"behavior\": \"counter\"}"), 503);
    assert_error(503, "busy");
    /* Reads go on while another process writes. */
    ck_assert_int_eq(req("GET", "/actors/c", NULL, NULL), 200);
    raw_exec(raw, "ROLLBACK");
    sqlite3_close(raw);
    ck_assert_int_eq(req("POST", "/actors/c", NULL, "1"), 202);
}
END_TEST

/* ---- reading ---- */

START_TEST(test_get)
{
    ck_assert_int_eq(req("GET", "/actors/nobody", NULL, NULL), 404);
    assert_error(404, "no_such_actor");
    put("c", "{\"behavior\": \"counter\", \"args\": {\"start\": 1}}");
    run_all();
    ck_assert_int_eq(req("GET", "/actors/c", NULL, NULL), 200);
    ck_assert_int_eq(resp.wrote, 0);
    assert_body("name", "\"c\"");
    assert_body("status", "\"waiting\"");
    assert_body("state", "{\"count\": 1}");
    assert_body("waiting_for", "[{\"add\": \"$integer\"}, "
                               "{\"call\": \"$any\", \"method\": \"$string\", "
                               "\"address\": \"$address\"}]");
    assert_body("result", "null");
    assert_body("error", "null");
    ck_assert(json_is_string(json_object_get(resp.body, "created")));
    ck_assert(json_is_string(json_object_get(resp.body, "updated")));
    /* Unknown query parameters are ignored. */
    ck_assert_int_eq(req("GET", "/actors/c", "foo=bar&x", NULL), 200);
}
END_TEST

START_TEST(test_head)
{
    ck_assert_int_eq(req("HEAD", "/actors/nobody", NULL, NULL), 404);
    put("c", "{\"behavior\": \"counter\"}");
    ck_assert_int_eq(req("HEAD", "/actors/c", NULL, NULL), 200);
    ck_assert_ptr_null(resp.body);
    ck_assert_int_eq(resp.wrote, 0);
    /* A body sent with HEAD is ignored. */
    ck_assert_int_eq(
        req("HEAD", "/actors/d", NULL, "{\"behavior\": \"counter\"}"), 404);
    ck_assert_int_eq(req("HEAD", "/actors/c", NULL, "{\"add\": 1}"), 200);
    ck_assert_int_eq(req("GET", "/actors/c", NULL, NULL), 200);
    assert_body("mailbox", "0");
    ck_assert_int_eq(req("HEAD", "/actors", NULL, NULL), 200);
    ck_assert_int_eq(req("HEAD", "/actors/c/mailbox", NULL, NULL), 200);
    ck_assert_int_eq(req("HEAD", "/actors/nobody/mailbox", NULL, NULL), 404);
    ck_assert_int_eq(actor_count(), 1);
}
END_TEST

/* GET /metrics: text, not JSON; answers counted by route and status. */
START_TEST(test_metrics)
{
    put("c", "{\"behavior\": \"counter\"}");
    ck_assert_int_eq(req("GET", "/actors/nobody", NULL, NULL), 404);
    ck_assert_int_eq(req("GET", "/metrics", NULL, NULL), 200);
    ck_assert_ptr_null(resp.body);
    ck_assert_ptr_nonnull(resp.text);
    ck_assert_uint_eq(strlen(resp.text), resp.text_len);
    ck_assert_str_eq(resp.content_type,
                     "text/plain; version=0.0.4; charset=utf-8");
    ck_assert_ptr_nonnull(strstr(
        resp.text, "actord_requests_total{route=\"actor\",status=\"404\"} "));
    ck_assert_ptr_nonnull(
        strstr(resp.text, "actord_actors{status=\"runnable\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(resp.text, "actord_up 1\n"));
    ck_assert_int_eq(req("POST", "/metrics", NULL, "{}"), 405);
    assert_error(405, "method_not_allowed");
}
END_TEST

START_TEST(test_get_wait)
{
    put("r", "{\"behavior\": \"ring\", \"args\": {\"n\": 20, "
             "\"message\": {\"m\": 1}}}");
    /* wait=0: at once, as it is. */
    ck_assert_int_eq(req("GET", "/actors/r", "wait=0", NULL), 200);
    assert_body("status", "\"runnable\"");
    ck_assert_int_eq(wait_calls, 0);

    static const char *const bad[] = {"wait=abc", "wait=",   "wait=-1",
                                      "wait=301", "wait=1x", "wait=nan",
                                      "wait=inf", "wait=%zz"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_msg(req("GET", "/actors/r", bad[i], NULL) == 400, "%s: %d",
                      bad[i], resp.status);
        assert_error(400, "bad_request");
    }
    ck_assert_int_eq(wait_calls, 0);

    /* wait=2: the ring runs meanwhile and the answer comes once it has
     * exited, well before the two seconds. */
    int64_t t0 = ad_mono_ms();
    ck_assert_int_eq(req("GET", "/actors/r", "wait=2", NULL), 200);
    int64_t took = ad_mono_ms() - t0;
    assert_body("status", "\"exited\"");
    assert_body("result", "{\"m\": 1}");
    ck_assert_int_ge(wait_calls, 1);
    ck_assert_msg(took < 1900, "wait=2 took %lld ms", (long long)took);

    /* An ended actor answers at once. */
    wait_calls = 0;
    ck_assert_int_eq(req("GET", "/actors/r", "wait=300", NULL), 200);
    ck_assert_int_eq(wait_calls, 0);

    /* Unknown: 404 at once. */
    ck_assert_int_eq(req("GET", "/actors/nobody", "wait=5", NULL), 404);
    assert_error(404, "no_such_actor");
    ck_assert_int_eq(wait_calls, 0);
}
END_TEST

START_TEST(test_get_wait_times_out)
{
    put("c", "{\"behavior\": \"counter\"}");
    int64_t t0 = ad_mono_ms();
    ck_assert_int_eq(req("GET", "/actors/c", "wait=0.3", NULL), 200);
    int64_t took = ad_mono_ms() - t0;
    assert_body("status", "\"waiting\"");
    ck_assert_msg(took >= 250 && took < 2000, "wait=0.3 took %lld ms",
                  (long long)took);
    ck_assert_int_ge(wait_calls, 1);

    /* A stopping process answers at once. */
    cfg.wait = wait_stopping;
    wait_calls = 0;
    t0 = ad_mono_ms();
    ck_assert_int_eq(req("GET", "/actors/c", "wait=5", NULL), 200);
    took = ad_mono_ms() - t0;
    assert_body("status", "\"waiting\"");
    ck_assert_int_eq(wait_calls, 1);
    ck_assert_msg(took < 1000, "a stopping wait took %lld ms", (long long)took);

    /* No wait function: at once too. */
    cfg.wait = NULL;
    t0 = ad_mono_ms();
    ck_assert_int_eq(req("GET", "/actors/c", "wait=5", NULL), 200);
    ck_assert_int_lt(ad_mono_ms() - t0, 1000);
}
END_TEST

/* ---- killing ---- */

START_TEST(test_delete)
{
    ck_assert_int_eq(req("DELETE", "/actors/nobody", NULL, NULL), 404);
    assert_error(404, "no_such_actor");
    put("c", "{\"behavior\": \"counter\"}");
    ck_assert_int_eq(req("DELETE", "/actors/c", NULL, NULL), 200);
    ck_assert_int_eq(resp.wrote, 1);
    assert_body("name", "\"c\"");
    assert_body("status", "\"killed\"");
    ck_assert_int_eq(req("DELETE", "/actors/c", NULL, NULL), 410);
    assert_error(410, "actor_dead");
    ck_assert_int_eq(req("GET", "/actors/c", NULL, NULL), 200);
    assert_body("status", "\"killed\"");
}
END_TEST

/* ---- listing ---- */

START_TEST(test_list_walk)
{
    char name[16], body[64];
    for (int i = 0; i < 25; i++) {
        /* Created out of order, listed in name order. */
        snprintf(name, sizeof name, "a%02d", (i * 7) % 25);
        snprintf(body, sizeof body, "{\"behavior\": \"%s\"}",
                 i % 5 == 0 ? "collector" : "counter");
        put(name, body);
    }
    ck_assert_int_eq(req("GET", "/actors", NULL, NULL), 200);
    ck_assert_int_eq(json_array_size(json_object_get(resp.body, "actors")), 25);
    assert_body("next", "null");

    char query[64];
    int seen = 0, pages = 0;
    snprintf(query, sizeof query, "limit=10");
    for (;;) {
        ck_assert_int_eq(req("GET", "/actors", query, NULL), 200);
        json_t *actors = json_object_get(resp.body, "actors");
        size_t i;
        json_t *doc;
        json_array_foreach(actors, i, doc)
        {
            char want[32];
            snprintf(want, sizeof want, "\"a%02d\"", seen);
            assert_field(doc, "name", want);
            seen++;
        }
        pages++;
        const json_t *next = json_object_get(resp.body, "next");
        if (pages < 3) {
            ck_assert_int_eq(json_array_size(actors), 10);
            ck_assert(json_is_string(next));
            snprintf(name, sizeof name, "a%02d", seen - 1);
            ck_assert_str_eq(json_string_value(next), name);
            snprintf(query, sizeof query, "limit=10&after=%s",
                     json_string_value(next));
        } else {
            ck_assert_int_eq(json_array_size(actors), 5);
            ck_assert(json_is_null(next));
            break;
        }
    }
    ck_assert_int_eq(seen, 25);
}
END_TEST

START_TEST(test_list_filters)
{
    put("c1", "{\"behavior\": \"counter\"}");
    put("c2", "{\"behavior\": \"counter\"}");
    put("k1", "{\"behavior\": \"collector\"}");
    put("k2", "{\"behavior\": \"collector\"}");
    put("k3", "{\"behavior\": \"collector\"}");
    run_all();
    ck_assert_int_eq(req("DELETE", "/actors/k2", NULL, NULL), 200);

    ck_assert_int_eq(req("GET", "/actors", "behavior=collector", NULL), 200);
    ck_assert_int_eq(json_array_size(json_object_get(resp.body, "actors")), 3);
    ck_assert_int_eq(
        req("GET", "/actors", "behavior=collector&status=waiting", NULL), 200);
    json_t *actors = json_object_get(resp.body, "actors");
    ck_assert_int_eq(json_array_size(actors), 2);
    assert_field(json_array_get(actors, 0), "name", "\"k1\"");
    assert_field(json_array_get(actors, 1), "name", "\"k3\"");
    ck_assert_int_eq(req("GET", "/actors", "status=killed&limit=1", NULL), 200);
    actors = json_object_get(resp.body, "actors");
    ck_assert_int_eq(json_array_size(actors), 1);
    assert_field(json_array_get(actors, 0), "name", "\"k2\"");
    assert_body("next", "null");
    ck_assert_int_eq(req("GET", "/actors", "behavior=nosuch", NULL), 200);
    assert_body("actors", "[]");
    /* Percent-encoded values. */
    ck_assert_int_eq(req("GET", "/actors", "after=c%31&limit=1", NULL), 200);
    actors = json_object_get(resp.body, "actors");
    assert_field(json_array_get(actors, 0), "name", "\"c2\"");
    assert_body("next", "\"c2\"");

    static const char *const bad[] = {
        "limit=0",     "limit=1001",  "limit=abc",       "limit=1.5",
        "limit=",      "limit=-1",    "status=sleeping", "status=",
        "after=..",    "after=a%20b", "after=a+b",       "after=%zz",
        "after=a%00b",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_msg(req("GET", "/actors", bad[i], NULL) == 400, "%s: %d",
                      bad[i], resp.status);
        assert_error(400, "bad_request");
    }
    /* A query too long for the parser is refused, not cut. */
    char longq[1200] = "after=";
    memset(longq + 6, 'a', sizeof longq - 7);
    longq[sizeof longq - 1] = '\0';
    ck_assert_int_eq(req("GET", "/actors", longq, NULL), 400);
    assert_error(400, "bad_request");
    /* Parameters that fill the parser's storage to the last byte, then
     * one more (empty) parameter: refused, nothing written past the end
     * (found by fuzz_route). */
    char fullq[1200];
    int at = snprintf(fullq, sizeof fullq, "after=");
    memset(fullq + at, 'a', 1022);
    snprintf(fullq + at + 1022, sizeof fullq - (size_t)at - 1022,
             "&status=&wait=");
    ck_assert_int_eq(req("GET", "/actors", fullq, NULL), 400);
    assert_error(400, "bad_request");
}
END_TEST

/* ---- mailbox ---- */

START_TEST(test_mailbox)
{
    ck_assert_int_eq(req("GET", "/actors/nobody/mailbox", NULL, NULL), 404);
    assert_error(404, "no_such_actor");
    put("c", "{\"behavior\": \"counter\"}");
    ck_assert_int_eq(req("GET", "/actors/c/mailbox", NULL, NULL), 200);
    assert_json(resp.body, "{\"messages\": []}");

    json_int_t seq[4];
    static const char *const msgs[] = {"{\"add\": 1}", "\"x\"",
                                       "{\"add\": \"y\"}", "[1]"};
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(req("POST", "/actors/c", NULL, msgs[i]), 202);
        seq[i] = json_integer_value(json_object_get(resp.body, "seq"));
    }
    run_all();
    ck_assert_int_eq(req("GET", "/actors/c/mailbox/", NULL, NULL), 200);
    json_t *m = json_object_get(resp.body, "messages");
    ck_assert_int_eq(json_array_size(m), 3);
    for (int i = 0; i < 3; i++) {
        json_t *one = json_array_get(m, (size_t)i);
        ck_assert_int_eq(json_integer_value(json_object_get(one, "seq")),
                         seq[i + 1]);
        assert_field(one, "body", msgs[i + 1]);
    }
    char q[64];
    snprintf(q, sizeof q, "after=%lld&limit=1", (long long)seq[1]);
    ck_assert_int_eq(req("GET", "/actors/c/mailbox", q, NULL), 200);
    m = json_object_get(resp.body, "messages");
    ck_assert_int_eq(json_array_size(m), 1);
    assert_field(json_array_get(m, 0), "body", msgs[2]);

    static const char *const bad[] = {"limit=0", "limit=x", "after=-1",
                                      "after=x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_msg(req("GET", "/actors/c/mailbox", bad[i], NULL) == 400,
                      "%s: %d", bad[i], resp.status);
        assert_error(400, "bad_request");
    }
}
END_TEST

/* ---- supervisor specs ---- */

/* Every malformed supervisor spec is refused at spawn with 422 bad_args,
 * and nothing is created: not the supervisor, not a child. */
START_TEST(test_supervisor_spec_refused)
{
    char long_name[AD_NAME_MAX + 2];
    memset(long_name, 'n', AD_NAME_MAX + 1);
    long_name[AD_NAME_MAX + 1] = '\0';
    char long_spec[512];
    snprintf(long_spec, sizeof long_spec,
             "{\"children\": [{\"name\": \"%s\", \"behavior\": "
             "\"counter\"}]}",
             long_name);
    const char *const specs[] = {
        /* bad child names: the engine's rule (ad_name_valid) */
        "{\"children\": [{\"name\": \"a b\", \"behavior\": \"counter\"}]}",
        "{\"children\": [{\"name\": \"\", \"behavior\": \"counter\"}]}",
        "{\"children\": [{\"name\": \"..\", \"behavior\": \"counter\"}]}",
        "{\"children\": [{\"name\": \"a/b\", \"behavior\": \"counter\"}]}",
        "{\"children\": [{\"name\": \"\\u00e9\", \"behavior\": \"counter\"}]}",
        long_spec,
        "{\"children\": [{\"name\": 5, \"behavior\": \"counter\"}]}",
        "{\"children\": [{\"behavior\": \"counter\"}]}",
        /* duplicate child names */
        "{\"children\": [{\"name\": \"x\", \"behavior\": \"counter\"}, "
        "{\"name\": \"y\", \"behavior\": \"counter\"}, "
        "{\"name\": \"x\", \"behavior\": \"collector\"}]}",
        /* unknown child behaviours */
        "{\"children\": [{\"name\": \"x\", \"behavior\": \"nope\"}]}",
        "{\"children\": [{\"name\": \"x\"}]}",
        "{\"children\": [{\"name\": \"x\", \"behavior\": 1}]}",
        /* args the child's own behaviour refuses */
        "{\"children\": [{\"name\": \"x\", \"behavior\": \"counter\", "
        "\"args\": {\"start\": \"five\"}}]}",
        "{\"children\": [{\"name\": \"x\", \"behavior\": \"ring\"}]}",
        "{\"children\": [{\"name\": \"x\", \"behavior\": \"ticker\", "
        "\"args\": {\"every_ms\": 0}}]}",
        "{\"children\": [{\"name\": \"x\", \"behavior\": \"timer\", "
        "\"args\": {\"to\": \"y\", \"message\": 1, \"after_ms\": "
        "99999999999999}}]}",
        "{\"children\": [{\"name\": \"x\", \"behavior\": \"counter\", "
        "\"args\": [1]}]}",
        "{\"children\": [{\"name\": \"x\", \"behavior\": \"counter\", "
        "\"args\": null}]}",
        /* ... and a nested supervisor's spec, in turn */
        "{\"children\": [{\"name\": \"in\", \"behavior\": \"supervisor\", "
        "\"args\": {\"children\": [{\"name\": \"a b\", \"behavior\": "
        "\"counter\"}]}}]}",
        "{\"children\": [{\"name\": \"in\", \"behavior\": \"supervisor\", "
        "\"args\": {\"children\": [{\"name\": \"x\", \"behavior\": "
        "\"nope\"}]}}]}",
        "{\"children\": [{\"name\": \"in\", \"behavior\": \"supervisor\"}]}",
        /* bad restart values */
        "{\"children\": [{\"name\": \"x\", \"behavior\": \"counter\", "
        "\"restart\": \"sometimes\"}]}",
        "{\"children\": [{\"name\": \"x\", \"behavior\": \"counter\", "
        "\"restart\": 1}]}",
        "{\"children\": [{\"name\": \"x\", \"behavior\": \"counter\", "
        "\"restart\": null}]}",
        /* bad intensity */
        "{\"intensity\": -1, \"children\": []}",
        "{\"intensity\": 2.5, \"children\": []}",
        "{\"intensity\": \"3\", \"children\": []}",
        "{\"intensity\": 1001, \"children\": []}",
        "{\"intensity\": null, \"children\": []}",
        /* bad period */
        "{\"period\": 0, \"children\": []}",
        "{\"period\": -5, \"children\": []}",
        "{\"period\": \"5\", \"children\": []}",
        "{\"period\": 86401, \"children\": []}",
        "{\"period\": true, \"children\": []}",
        /* bad strategy, children */
        "{\"strategy\": \"one_for_none\", \"children\": []}",
        "{\"children\": {}}",
        "{}",
        "{\"children\": [\"x\"]}",
    };
    char body[1024];
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
        snprintf(body, sizeof body,
                 "{\"behavior\": \"supervisor\", \"args\": %s}", specs[i]);
        ck_assert_msg(req("PUT", "/actors/sup", NULL, body) == 422,
                      "PUT %s: %d", specs[i], resp.status);
        assert_error(422, "bad_args");
        ck_assert_msg(req("POST", "/actors", NULL, body) == 422, "POST %s: %d",
                      specs[i], resp.status);
        assert_error(422, "bad_args");
        ck_assert_int_eq(req("GET", "/actors/sup", NULL, NULL), 404);
        assert_error(404, "no_such_actor");
    }
    /* A NUL in a child's name never gets that far: no body holds one. */
    ck_assert_int_eq(req("PUT", "/actors/sup", NULL,
                         "{\"behavior\": \"supervisor\", \"args\": "
                         "{\"children\": [{\"name\": \"a\\u0000b\", "
                         "\"behavior\": \"counter\"}]}}"),
                     400);
    assert_error(400, "bad_json");
    /* The message says what is wrong. */
    snprintf(body, sizeof body, "{\"behavior\": \"supervisor\", \"args\": %s}",
             specs[0]);
    req("PUT", "/actors/sup", NULL, body);
    ck_assert_ptr_nonnull(
        strstr(json_string_value(json_object_get(resp.body, "message")),
               "a child's name must be"));
    run_all();
    ck_assert_int_eq(actor_count(), 0);
    ck_assert_int_eq(req("GET", "/actors/x", NULL, NULL), 404);
    ck_assert_int_eq(req("GET", "/actors/in", NULL, NULL), 404);
}
END_TEST

/* A good spec, nested, with child args, is taken and runs. */
START_TEST(test_supervisor_spec_taken)
{
    char long_name[AD_NAME_MAX + 1];
    memset(long_name, 'n', AD_NAME_MAX);
    long_name[AD_NAME_MAX] = '\0';
    char body[1024];
    snprintf(body, sizeof body,
             "{\"behavior\": \"supervisor\", \"args\": {\"strategy\": "
             "\"one_for_all\", \"intensity\": 0, \"period\": 0.5, "
             "\"children\": [{\"name\": \"Ab.~_-\", \"behavior\": "
             "\"counter\", \"args\": {\"start\": 5}, \"restart\": "
             "\"transient\"}, {\"name\": \"%s\", \"behavior\": "
             "\"collector\"}, {\"name\": \"in\", \"behavior\": "
             "\"supervisor\", \"args\": {\"children\": [{\"name\": "
             "\"leaf\", \"behavior\": \"ticker\", \"args\": {\"every_ms\": "
             "60000}}]}}]}}",
             long_name);
    ck_assert_int_eq(req("PUT", "/actors/sup", NULL, body), 201);
    run_all();
    ck_assert_int_eq(req("GET", "/actors/sup", NULL, NULL), 200);
    assert_body("status", "\"waiting\"");
    ck_assert_int_eq(req("GET", "/actors/Ab.~_-", NULL, NULL), 200);
    assert_body("state", "{\"count\": 5}");
    ck_assert_int_eq(req("GET", "/actors/leaf", NULL, NULL), 200);
    assert_body("status", "\"waiting\"");
    ck_assert_int_eq(actor_count(), 5);
}
END_TEST

/* ---- the page parameters of every paged route ---- */

/* The three paged routes, with a mailbox that exists. */
static const char *const paged[] = {"/actors", "/actors/c/mailbox",
                                    "/dead-letters"};
#define PAGED (sizeof paged / sizeof paged[0])

/* Asserts the last response is 400 bad_request with message want. */
static void
assert_bad_request(const char *path, const char *query, const char *want)
{
    ck_assert_msg(resp.status == 400, "GET %s?%s: %d", path, query,
                  resp.status);
    assert_error(400, "bad_request");
    const char *msg = json_string_value(json_object_get(resp.body, "message"));
    ck_assert_msg(strcmp(msg, want) == 0, "GET %s?%s: \"%s\", want \"%s\"",
                  path, query, msg, want);
}

START_TEST(test_page_bad_limit)
{
    put("c", "{\"behavior\": \"counter\"}");
    static const char *const bad[] = {
        "limit=2.5",    "limit=1.0",
        "limit=-1",     "limit=0",
        "limit=abc",    "limit=",
        "limit",        "limit=1001",
        "limit=100000", "limit=99999999999999999999999",
        "limit=1e2",    "limit=+5",
        "limit=%205",   "limit=5%20",
        "limit=0x10",
    };
    /* Each alone, and beside a good cursor of the route. */
    static const char *const good_after[PAGED] = {"c", "1", "1"};
    char q[96];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        for (size_t r = 0; r < PAGED; r++)
            for (int with = 0; with < 2; with++) {
                snprintf(q, sizeof q, "%s%s%s", bad[i], with ? "&after=" : "",
                         with ? good_after[r] : "");
                req("GET", paged[r], q, NULL);
                assert_bad_request(paged[r], q,
                                   "limit must be an integer from 1 to 1000");
            }
}
END_TEST

START_TEST(test_page_bad_after)
{
    put("c", "{\"behavior\": \"counter\"}");
    static const char *const bad_name[] = {
        "after=..", "after=a%20b", "after=", "after=%2e", "after=a/b", "after"};
    for (size_t i = 0; i < sizeof bad_name / sizeof bad_name[0]; i++) {
        req("GET", "/actors", bad_name[i], NULL);
        assert_bad_request("/actors", bad_name[i],
                           "after must be an actor name (the \"next\" "
                           "cursor)");
    }
    static const char *const bad_seq[] = {
        "after=-1",  "after=2.5", "after=x",    "after=",
        "after=1e3", "after=+1",  "after=%201", "after=99999999999999999999",
        "after",
    };
    for (size_t i = 0; i < sizeof bad_seq / sizeof bad_seq[0]; i++) {
        req("GET", "/actors/c/mailbox", bad_seq[i], NULL);
        assert_bad_request("/actors/c/mailbox", bad_seq[i],
                           "after must be a message seq: an integer, 0 or "
                           "more");
        req("GET", "/dead-letters", bad_seq[i], NULL);
        assert_bad_request("/dead-letters", bad_seq[i],
                           "after must be a dead letter seq: an integer, 0 "
                           "or more (the \"next\" cursor)");
    }
    /* A name is no seq, and a seq is a name. */
    req("GET", "/dead-letters", "after=c", NULL);
    assert_error(400, "bad_request");
    ck_assert_int_eq(req("GET", "/actors", "after=1", NULL), 200);
}
END_TEST

/* The regression of issue 9: the mailbox alone took limit=2.5. */
START_TEST(test_mailbox_limit_fraction)
{
    put("c", "{\"behavior\": \"counter\"}");
    ck_assert_int_eq(req("POST", "/actors/c", NULL, "\"x\""), 202);
    ck_assert_int_eq(req("POST", "/actors/c", NULL, "\"y\""), 202);
    ck_assert_int_eq(req("GET", "/actors/c/mailbox", "limit=2.5", NULL), 400);
    assert_error(400, "bad_request");
    ck_assert_int_eq(req("GET", "/actors/c/mailbox", "limit=2", NULL), 200);
    ck_assert_int_eq(json_array_size(json_object_get(resp.body, "messages")),
                     2);
}
END_TEST

START_TEST(test_page_good)
{
    /* Three unread messages of c become dead letters when it is killed;
     * k is left with three in its mailbox. */
    put("c", "{\"behavior\": \"counter\"}");
    put("k", "{\"behavior\": \"counter\"}");
    json_int_t seq[3];
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(req("POST", "/actors/c", NULL, "\"x\""), 202);
        ck_assert_int_eq(req("POST", "/actors/k", NULL, "\"y\""), 202);
        seq[i] = json_integer_value(json_object_get(resp.body, "seq"));
    }
    run_all();
    ck_assert_int_eq(req("DELETE", "/actors/c", NULL, NULL), 200);

    /* Every route takes the bounds and no parameter at all. */
    static const char *const good[] = {"", "limit=1", "limit=1000",
                                       "limit=0100", "after=0"};
    static const char *const paths[] = {"/actors", "/actors/k/mailbox",
                                        "/dead-letters"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        for (size_t r = 0; r < 3; r++) {
            if (r == 0 && strcmp(good[i], "after=0") == 0)
                continue; /* "0" is a name; it is tested below */
            ck_assert_msg(req("GET", paths[r], good[i], NULL) == 200,
                          "GET %s?%s: %d", paths[r], good[i], resp.status);
        }

    /* /actors pages by name. */
    ck_assert_int_eq(req("GET", "/actors", "limit=1", NULL), 200);
    assert_body("next", "\"c\"");
    ck_assert_int_eq(req("GET", "/actors", "limit=1&after=c", NULL), 200);
    assert_field(json_array_get(json_object_get(resp.body, "actors"), 0),
                 "name", "\"k\"");
    ck_assert_int_eq(req("GET", "/actors", "after=0", NULL), 200);
    ck_assert_int_eq(json_array_size(json_object_get(resp.body, "actors")), 2);

    /* The mailbox by seq: all of it by default, limit and after. */
    ck_assert_int_eq(req("GET", "/actors/k/mailbox", NULL, NULL), 200);
    ck_assert_int_eq(json_array_size(json_object_get(resp.body, "messages")),
                     3);
    char q[96];
    snprintf(q, sizeof q, "limit=1&after=%lld", (long long)seq[0]);
    ck_assert_int_eq(req("GET", "/actors/k/mailbox", q, NULL), 200);
    json_t *m = json_object_get(resp.body, "messages");
    ck_assert_int_eq(json_array_size(m), 1);
    ck_assert_int_eq(
        json_integer_value(json_object_get(json_array_get(m, 0), "seq")),
        seq[1]);
    ck_assert_int_eq(
        req("GET", "/actors/k/mailbox", "after=9223372036854775807", NULL),
        200);
    assert_body("messages", "[]");

    /* Dead letters by seq, following next. */
    ck_assert_int_eq(req("GET", "/dead-letters", NULL, NULL), 200);
    ck_assert_int_eq(
        json_array_size(json_object_get(resp.body, "dead_letters")), 3);
    ck_assert_int_eq(req("GET", "/dead-letters", "limit=2", NULL), 200);
    ck_assert_int_eq(
        json_array_size(json_object_get(resp.body, "dead_letters")), 2);
    json_t *next = json_object_get(resp.body, "next");
    ck_assert(json_is_integer(next));
    snprintf(q, sizeof q, "limit=2&after=%lld",
             (long long)json_integer_value(next));
    ck_assert_int_eq(req("GET", "/dead-letters", q, NULL), 200);
    ck_assert_int_eq(
        json_array_size(json_object_get(resp.body, "dead_letters")), 1);
    assert_body("next", "null");
}
END_TEST

/* ---- truncations ---- */

START_TEST(test_truncated_spawn_body)
{
    static const char body[] =
        "{\"behavior\": \"counter\", \"args\": {\"start\": 5, \"x\": "
        "[1, 2.5, true, null, \"s\\u00e9\"]}, \"monitors\": []}";
    size_t n = sizeof body - 1;
    for (size_t len = 0; len < n; len++) {
        ck_assert_msg(req_len("PUT", "/actors/t", NULL, body, len) == 400,
                      "prefix of %zu bytes: %d", len, resp.status);
        assert_error(400, "bad_json");
        ck_assert_int_eq(resp.wrote, 0);
        ck_assert_msg(req_len("POST", "/actors", NULL, body, len) == 400,
                      "POST prefix of %zu bytes: %d", len, resp.status);
        assert_error(400, "bad_json");
    }
    ck_assert_int_eq(actor_count(), 0);
    ck_assert_int_eq(req("GET", "/actors/t", NULL, NULL), 404);
    ck_assert_int_eq(req_len("PUT", "/actors/t", NULL, body, n), 201);
    ck_assert_int_eq(actor_count(), 1);
}
END_TEST

START_TEST(test_truncated_message_body)
{
    static const char body[] = "{\"add\": [1, {\"k\": \"v\"}], \"n\": -2e3}";
    size_t n = sizeof body - 1;
    put("c", "{\"behavior\": \"collector\"}");
    for (size_t len = 0; len < n; len++) {
        ck_assert_msg(req_len("POST", "/actors/c", NULL, body, len) == 400,
                      "prefix of %zu bytes: %d", len, resp.status);
        assert_error(400, "bad_json");
    }
    ck_assert_int_eq(req("GET", "/actors/c/mailbox", NULL, NULL), 200);
    assert_body("messages", "[]");
    ck_assert_int_eq(req_len("POST", "/actors/c", NULL, body, n), 202);
}
END_TEST

/* ---- the suite ---- */

static TCase *
tcase(const char *name)
{
    return tcase_with(name, setup, teardown, 60);
}

static Suite *
route_suite(void)
{
    Suite *s = suite_create("route");
    TCase *tc;

    tc = tcase("healthz");
    tcase_add_test(tc, test_healthz);
    suite_add_tcase(s, tc);

    tc = tcase("behaviors");
    tcase_add_test(tc, test_behaviors);
    suite_add_tcase(s, tc);

    tc = tcase("not_found");
    tcase_add_test(tc, test_not_found);
    suite_add_tcase(s, tc);

    tc = tcase("method_not_allowed");
    tcase_add_test(tc, test_method_not_allowed);
    suite_add_tcase(s, tc);

    tc = tcase("names");
    tcase_add_test(tc, test_bad_names);
    suite_add_tcase(s, tc);

    tc = tcase("spawn");
    tcase_add_test(tc, test_put_spawn);
    tcase_add_test(tc, test_put_errors);
    tcase_add_test(tc, test_put_replaces_ended);
    tcase_add_test(tc, test_post_spawn);
    suite_add_tcase(s, tc);

    tc = tcase("send");
    tcase_add_test(tc, test_post_message);
    tcase_add_test(tc, test_post_message_errors);
    tcase_add_test(tc, test_busy);
    suite_add_tcase(s, tc);

    tc = tcase("get");
    tcase_add_test(tc, test_get);
    tcase_add_test(tc, test_head);
    tcase_add_test(tc, test_metrics);
    tcase_add_test(tc, test_get_wait);
    tcase_add_test(tc, test_get_wait_times_out);
    suite_add_tcase(s, tc);

    tc = tcase("delete");
    tcase_add_test(tc, test_delete);
    suite_add_tcase(s, tc);

    tc = tcase("list");
    tcase_add_test(tc, test_list_walk);
    tcase_add_test(tc, test_list_filters);
    suite_add_tcase(s, tc);

    tc = tcase("mailbox");
    tcase_add_test(tc, test_mailbox);
    suite_add_tcase(s, tc);

    tc = tcase("supervisor_spec");
    tcase_add_test(tc, test_supervisor_spec_refused);
    tcase_add_test(tc, test_supervisor_spec_taken);
    suite_add_tcase(s, tc);

    tc = tcase("pages");
    tcase_add_test(tc, test_page_bad_limit);
    tcase_add_test(tc, test_page_bad_after);
    tcase_add_test(tc, test_mailbox_limit_fraction);
    tcase_add_test(tc, test_page_good);
    suite_add_tcase(s, tc);

    tc = tcase("truncation");
    tcase_add_test(tc, test_truncated_spawn_body);
    tcase_add_test(tc, test_truncated_message_body);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return run_suite(route_suite());
}
