/*
 * test_hostile.c - the Check suite of hostile requests to fcgi_route:
 * what a client may send on purpose or by accident that is not a request
 * of API.md.  Deep nesting, huge numbers, invalid UTF-8, NUL bytes,
 * dot and percent-encoded names, long names, duplicate keys, empty and
 * scalar bodies, lying lengths, odd queries.  Each case asserts the exact
 * status and stable error code (docs/api.md), that an error always has
 * its JSON body, and that the engine still serves afterwards.  Inputs the
 * fuzzers of tests/fuzz/ found are kept here as regressions too.
 */
#include "fcgi/fcgi.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/testutil.h"

static struct tmpdb db;

#include "tests/unit/routeutil.h"

static void
setup(void)
{
    struct fcgi_config c = {.max_body = FCGI_MAX_BODY_DEFAULT};
    route_open(&c);
}

static void
teardown(void)
{
    route_close();
}

/* Asserts that method path?query with body answers status and code. */
static void
expect(const char *method, const char *path, const char *query,
       const char *body, int status, const char *code)
{
    req(method, path, query, body);
    if (code != NULL) {
        assert_error(status, code);
    } else {
        ck_assert_msg(resp.status == status, "%s %s: status %d, want %d",
                      method, path, resp.status, status);
    }
}

/* Spawns c1, a counter, and col, a collector. */
static void
fixtures(void)
{
    expect("PUT", "/actors/c1", NULL, "{\"behavior\":\"counter\"}", 201, NULL);
    expect("PUT", "/actors/col", NULL, "{\"behavior\":\"collector\"}", 201,
           NULL);
}

/* Asserts that the engine still answers: healthz and c1's document. */
static void
still_serves(void)
{
    expect("GET", "/healthz", NULL, NULL, 200, NULL);
    expect("GET", "/actors/c1", NULL, NULL, 200, NULL);
}

/* Returns a new string: n times open, then inner, then n times close. */
static char *
nest(size_t n, const char *open, const char *inner, const char *close)
{
    size_t lo = strlen(open), li = strlen(inner), lc = strlen(close);
    char *s = malloc(n * (lo + lc) + li + 1), *p = s;
    ck_assert_ptr_nonnull(s);
    for (size_t i = 0; i < n; i++, p += lo)
        memcpy(p, open, lo);
    memcpy(p, inner, li);
    p += li;
    for (size_t i = 0; i < n; i++, p += lc)
        memcpy(p, close, lc);
    *p = '\0';
    return s;
}

/* ---- nesting ---- */

START_TEST(test_deep_nesting)
{
    fixtures();
    /* jansson stops at 2048 levels: a malformed body, not a crash. */
    char *arrays = nest(100000, "[", "1", "]");
    char *objects = nest(100000, "{\"a\":", "1", "}");
    expect("POST", "/actors/col", NULL, arrays, 400, "bad_json");
    expect("POST", "/actors/col", NULL, objects, 400, "bad_json");
    expect("POST", "/actors/c1/calls/get", NULL, arrays, 400, "bad_json");
    char *spawn = malloc(strlen(objects) + 64);
    ck_assert_ptr_nonnull(spawn);
    sprintf(spawn, "{\"behavior\":\"collector\",\"args\":%s}", objects);
    expect("PUT", "/actors/deep", NULL, spawn, 400, "bad_json");
    sprintf(spawn, "{\"behavior\":\"collector\",\"args\":{\"x\":%s}}", arrays);
    expect("PUT", "/actors/deep", NULL, spawn, 400, "bad_json");
    free(spawn);
    free(objects);
    free(arrays);

    /* Just under the limit is a message like any other: stored, read by
     * the collector, shown in the mailbox and the state. */
    char *deep = nest(2000, "[", "\"x\"", "]");
    expect("POST", "/actors/col", NULL, deep, 202, NULL);
    char *args = nest(2000, "{\"a\":", "1", "}");
    char *body = malloc(strlen(args) + 64);
    ck_assert_ptr_nonnull(body);
    sprintf(body, "{\"behavior\":\"collector\",\"args\":{\"x\":%s}}", args);
    expect("PUT", "/actors/deep", NULL, body, 201, NULL);
    expect("POST", "/actors/deep", NULL, deep, 202, NULL);
    ck_assert_int_eq(eng_run(eng, 0, 0, NULL), AD_OK);
    expect("GET", "/actors/col", NULL, NULL, 200, NULL);
    expect("GET", "/actors/deep", NULL, NULL, 200, NULL);
    expect("GET", "/actors/deep/mailbox", NULL, NULL, 200, NULL);
    free(body);
    free(args);
    free(deep);
    still_serves();
}
END_TEST

/* ---- numbers ---- */

START_TEST(test_huge_numbers)
{
    fixtures();
    /* Out of range for a double or a 64-bit integer: jansson refuses. */
    expect("POST", "/actors/col", NULL, "1e400", 400, "bad_json");
    expect("POST", "/actors/col", NULL, "-1e400", 400, "bad_json");
    expect("POST", "/actors/col", NULL, "18446744073709551616", 400,
           "bad_json");
    expect("POST", "/actors/col", NULL, "99999999999999999999999", 400,
           "bad_json");
    expect("POST", "/actors/c1", NULL, "{\"add\":99999999999999999999999}", 400,
           "bad_json");
    expect("PUT", "/actors/c2", NULL,
           "{\"behavior\":\"counter\",\"args\":{\"start\":1e400}}", 400,
           "bad_json");
    /* In range: taken as sent. */
    expect("POST", "/actors/col", NULL, "-0", 202, NULL);
    expect("POST", "/actors/col", NULL, "-0.0", 202, NULL);
    expect("POST", "/actors/col", NULL, "1e308", 202, NULL);
    expect("POST", "/actors/col", NULL, "1e-400", 202, NULL);
    expect("POST", "/actors/col", NULL, "9223372036854775807", 202, NULL);
    expect("POST", "/actors/col", NULL, "-9223372036854775808", 202, NULL);
    /* A counter at the top refuses to wrap: it fails, saying why. */
    expect("PUT", "/actors/big", NULL,
           "{\"behavior\":\"counter\",\"args\":"
           "{\"start\":9223372036854775807}}",
           201, NULL);
    expect("POST", "/actors/big", NULL, "{\"add\":1}", 202, NULL);
    /* A spawn arg that is a huge real where an integer is wanted. */
    expect("PUT", "/actors/c3", NULL,
           "{\"behavior\":\"counter\",\"args\":{\"start\":1e300}}", 422,
           "bad_args");
    expect("PUT", "/actors/r1", NULL,
           "{\"behavior\":\"ring\",\"args\":{\"n\":9223372036854775807}}", 422,
           "bad_args");
    expect("PUT", "/actors/t1", NULL,
           "{\"behavior\":\"ticker\",\"args\":{\"every_ms\":-0}}", 422,
           "bad_args");
    ck_assert_int_eq(eng_run(eng, 0, 0, NULL), AD_OK);
    expect("GET", "/actors/big", NULL, NULL, 200, NULL);
    assert_field(resp.body, "status", "\"failed\"");
    expect("GET", "/actors/col", NULL, NULL, 200, NULL);
    still_serves();
}
END_TEST

/* ---- UTF-8 and NUL ---- */

START_TEST(test_invalid_utf8)
{
    fixtures();
    /* In a name: not one of the name's characters. */
    expect("GET", "/actors/\xff", NULL, NULL, 400, "bad_name");
    expect("GET", "/actors/%ff%fe", NULL, NULL, 400, "bad_name");
    expect("PUT", "/actors/\xc3\xa9", NULL, "{\"behavior\":\"counter\"}", 400,
           "bad_name");
    /* In a path that is no route, a method, a call's method: the error
     * still has its body (found by fuzz_route: json_pack refused the
     * message that quoted the bytes, and the 404 went out without one). */
    expect("GET",
           "/a5,\"mee:{s\"ai\x95\xc2"
           "1",
           NULL, NULL, 404, "not_found");
    expect("GET", "/actors/c1/\xff\xfe", NULL, NULL, 404, "not_found");
    expect("G\xffT", "/healthz", NULL, NULL, 405, "method_not_allowed");
    expect("P\xc3", "/actors/c1", NULL, NULL, 405, "method_not_allowed");
    expect("POST", "/actors/c1/calls/g\xff", NULL, NULL, 400, "bad_request");
    /* A message cut inside a character at the 512-byte message limit. */
    char path[700] = "/";
    for (int i = 0; i < 200; i++)
        strcat(path, "\xc3\xa9");
    expect("GET", path, NULL, NULL, 404, "not_found");
    /* In JSON strings: malformed JSON. */
    expect("POST", "/actors/col", NULL, "\"\xff\"", 400, "bad_json");
    expect("POST", "/actors/col", NULL, "{\"\xc3\":1}", 400, "bad_json");
    expect("POST", "/actors/col", NULL, "\"\xed\xa0\x80\"", 400, "bad_json");
    expect("POST", "/actors/col", NULL, "\"\xc0\xaf\"", 400, "bad_json");
    expect("PUT", "/actors/x", NULL, "{\"behavior\":\"count\xe9r\"}", 400,
           "bad_json");
    /* A lone surrogate escape is not a character either. */
    expect("POST", "/actors/col", NULL, "\"\\ud800\"", 400, "bad_json");
    /* Valid UTF-8 is fine in a message, and in a behaviour name it is
     * just not a behaviour. */
    expect("POST", "/actors/col", NULL, "\"h\xc3\xa9 \xf0\x9f\x98\x80\"", 202,
           NULL);
    expect("PUT", "/actors/x", NULL, "{\"behavior\":\"c\xc3\xa9\"}", 422,
           "unknown_behavior");
    still_serves();
}
END_TEST

START_TEST(test_nul_bytes)
{
    fixtures();
    /* Percent-encoded NUL in a name, and a raw one by length. */
    expect("GET", "/actors/a%00b", NULL, NULL, 400, "bad_name");
    expect("PUT", "/actors/c1%00", NULL, "{\"behavior\":\"counter\"}", 400,
           "bad_name");
    expect("POST", "/actors/c1%00x/calls/get", NULL, NULL, 400, "bad_name");
    expect("POST", "/actors/c1/calls/get%00x", NULL, NULL, 400, "bad_request");
    ck_assert(!ad_name_valid("c1\0x", 4));
    ck_assert(!ad_name_valid("\0", 1));
    ck_assert(ad_name_valid("c1\0x", 2));
    /* In JSON: escaped NUL is refused (jansson's rule), and a raw NUL
     * byte in the body is malformed JSON. */
    expect("POST", "/actors/col", NULL, "\"a\\u0000b\"", 400, "bad_json");
    expect("PUT", "/actors/n1", NULL, "{\"behavior\":\"counter\\u0000x\"}", 400,
           "bad_json");
    expect("POST", "/actors/col", NULL, "{\"a\\u0000\":1}", 400, "bad_json");
    req_len("POST", "/actors/col", NULL, "\"a\0b\"", 5);
    assert_error(400, "bad_json");
    req_len("POST", "/actors/col", NULL, "{}\0", 3);
    assert_error(400, "bad_json");
    req_len("PUT", "/actors/n2", NULL, "{\"behavior\":\"counter\"}\0junk", 27);
    assert_error(400, "bad_json");
    /* In a query value: refused. */
    expect("GET", "/actors", "limit=1%00", NULL, 400, "bad_request");
    expect("GET", "/actors", "after=c%001", NULL, 400, "bad_request");
    still_serves();
}
END_TEST

/* ---- dots, slashes, percent-encoding, length ---- */

START_TEST(test_dot_names)
{
    fixtures();
    static const char *const bad[] = {
        "/actors/..",      "/actors/.",          "/actors/%2e%2e",
        "/actors/%2E%2E",  "/actors/%2e",        "/actors/.%2e",
        "/actors/a%2Fb",   "/actors/a%2fb",      "/actors/%2F",
        "/actors/..%2F..", "/actors/%252e%252e", "/actors/a%5Cb",
        "/actors/a%20b",   "/actors/a+b",        "/actors/%",
        "/actors/%2",      "/actors/%zz",        "/actors/a%2",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        req("GET", bad[i], NULL, NULL);
        /* Some are malformed escapes, some decode to bad names: all are
         * bad_name, none reaches the engine. */
        assert_error(400, "bad_name");
        req("PUT", bad[i], NULL, "{\"behavior\":\"counter\"}");
        assert_error(400, "bad_name");
    }
    expect("GET", "/actors/%2e%2e/mailbox", NULL, NULL, 400, "bad_name");
    expect("POST", "/actors/./calls/get", NULL, NULL, 400, "bad_name");
    /* The router takes the path as given (nginx normalises it first):
     * "/actors/../healthz" is a name ".." and a rest "/healthz", which is
     * no route. */
    expect("GET", "/actors/../healthz", NULL, NULL, 404, "not_found");
    expect("GET", "/actors/c1/../c1", NULL, NULL, 404, "not_found");
    expect("GET", "/actors//c1", NULL, NULL, 404, "not_found");
    expect("GET", "/actors/c1/mailbox/..", NULL, NULL, 404, "not_found");
    /* Dots that are not "." or ".." are fine; %41 is A. */
    expect("PUT", "/actors/...", NULL, "{\"behavior\":\"counter\"}", 201, NULL);
    expect("PUT", "/actors/.a", NULL, "{\"behavior\":\"counter\"}", 201, NULL);
    expect("GET", "/actors/%2e%2e%2e", NULL, NULL, 200, NULL);
    expect("GET", "/actors/%63%31", NULL, NULL, 200, NULL);
    assert_field(resp.body, "name", "\"c1\"");
    still_serves();
}
END_TEST

START_TEST(test_long_names)
{
    char path[2048], name[1024];
    memset(name, 'n', 128);
    name[128] = '\0';
    snprintf(path, sizeof path, "/actors/%s", name);
    expect("PUT", path, NULL, "{\"behavior\":\"counter\"}", 201, NULL);
    expect("GET", path, NULL, NULL, 200, NULL);
    name[128] = 'n';
    name[129] = '\0';
    snprintf(path, sizeof path, "/actors/%s", name);
    expect("PUT", path, NULL, "{\"behavior\":\"counter\"}", 400, "bad_name");
    expect("GET", path, NULL, NULL, 400, "bad_name");
    /* 128 characters spelled as %41: 384 bytes, one name of 128. */
    strcpy(path, "/actors/");
    for (int i = 0; i < 128; i++)
        strcat(path, "%41");
    expect("PUT", path, NULL, "{\"behavior\":\"counter\"}", 201, NULL);
    strcat(path, "%41");
    expect("GET", path, NULL, NULL, 400, "bad_name");
    /* A name of 100000 bytes, and one in a monitors list. */
    char *huge = malloc(100000 + 16);
    ck_assert_ptr_nonnull(huge);
    strcpy(huge, "/actors/");
    memset(huge + 8, 'x', 100000);
    huge[100008] = '\0';
    expect("GET", huge, NULL, NULL, 400, "bad_name");
    expect("POST", huge, NULL, "{}", 400, "bad_name");
    char *body = malloc(100000 + 128);
    ck_assert_ptr_nonnull(body);
    snprintf(body, 100000 + 128,
             "{\"behavior\":\"counter\",\"monitors\":[\"%s\"]}", huge + 8);
    expect("PUT", "/actors/m1", NULL, body, 400, "bad_request");
    expect("PUT", "/actors/m1", NULL,
           "{\"behavior\":\"counter\",\"monitors\":[\"..\"]}", 400,
           "bad_request");
    expect("PUT", "/actors/m1", NULL,
           "{\"behavior\":\"counter\",\"monitors\":[1]}", 400, "bad_request");
    free(body);
    free(huge);
    /* A method of 64 is the longest; 65 is refused. */
    memset(name, 'm', 65);
    name[64] = '\0';
    snprintf(path, sizeof path, "/actors/n/calls/%s", name);
    expect("POST", path, "timeout=0.001", NULL, 404, "no_such_actor");
    name[64] = 'm';
    name[65] = '\0';
    snprintf(path, sizeof path, "/actors/n/calls/%s", name);
    expect("POST", path, NULL, NULL, 400, "bad_request");
}
END_TEST

/* ---- duplicate keys ---- */

START_TEST(test_duplicate_keys)
{
    fixtures();
    /* jansson would keep the last value; actord refuses the body, so
     * that what was meant is never guessed. */
    expect("PUT", "/actors/d1", NULL,
           "{\"behavior\":\"counter\",\"behavior\":\"ring\"}", 400, "bad_json");
    expect("PUT", "/actors/d1", NULL,
           "{\"behavior\":\"counter\",\"args\":{\"start\":1,\"start\":2}}", 400,
           "bad_json");
    expect("POST", "/actors/c1", NULL, "{\"add\":1,\"add\":2}", 400,
           "bad_json");
    expect("POST", "/actors/col", NULL, "[{\"a\":{\"b\":1,\"b\":1}}]", 400,
           "bad_json");
    expect("POST", "/actors/c1/calls/add", NULL, "{\"x\":1,\"x\":1}", 400,
           "bad_json");
    /* Keys that differ only after a NUL escape are refused as NULs. */
    expect("POST", "/actors/col", NULL, "{\"a\":1,\"a\\u0000\":2}", 400,
           "bad_json");
    /* Nothing of them was stored. */
    expect("GET", "/actors/d1", NULL, NULL, 404, "no_such_actor");
    expect("GET", "/actors/c1/mailbox", NULL, NULL, 200, NULL);
    ck_assert_int_eq(json_array_size(json_object_get(resp.body, "messages")),
                     0);
    /* The same key in different objects is fine. */
    expect("POST", "/actors/col", NULL, "[{\"a\":1},{\"a\":2}]", 202, NULL);
    still_serves();
}
END_TEST

/* ---- empty, scalar and mistyped bodies ---- */

START_TEST(test_empty_and_scalar_bodies)
{
    fixtures();
    expect("POST", "/actors/c1", NULL, "", 400, "bad_json");
    expect("POST", "/actors/c1", NULL, NULL, 400, "bad_json");
    expect("PUT", "/actors/e1", NULL, "", 400, "bad_json");
    expect("POST", "/actors", NULL, NULL, 400, "bad_json");
    expect("POST", "/actors/c1", NULL, " \n\t ", 400, "bad_json");
    /* A spawn body must be an object. */
    static const char *const scalars[] = {"1",
                                          "\"counter\"",
                                          "[]",
                                          "null",
                                          "true",
                                          "[{\"behavior\":"
                                          "\"counter\"}]"};
    for (size_t i = 0; i < sizeof scalars / sizeof scalars[0]; i++) {
        expect("PUT", "/actors/e1", NULL, scalars[i], 400, "bad_json");
        expect("POST", "/actors", NULL, scalars[i], 400, "bad_json");
    }
    /* An object with the wrong field types. */
    expect("PUT", "/actors/e1", NULL, "{}", 400, "bad_request");
    expect("PUT", "/actors/e1", NULL, "{\"behavior\":1}", 400, "bad_request");
    expect("PUT", "/actors/e1", NULL, "{\"behavior\":null}", 400,
           "bad_request");
    expect("PUT", "/actors/e1", NULL, "{\"behavior\":\"counter\",\"args\":[]}",
           400, "bad_request");
    expect("PUT", "/actors/e1", NULL,
           "{\"behavior\":\"counter\",\"args\":\"x\"}", 400, "bad_request");
    expect("PUT", "/actors/e1", NULL,
           "{\"behavior\":\"counter\",\"monitors\":\"col\"}", 400,
           "bad_request");
    expect("PUT", "/actors/e1", NULL, "{\"behavior\":\"\"}", 422,
           "unknown_behavior");
    expect("PUT", "/actors/e1", NULL,
           "{\"behavior\":\"counter\",\"args\":{\"start\":\"1\"}}", 422,
           "bad_args");
    /* A message may be any value, scalars included. */
    expect("POST", "/actors/col", NULL, "null", 202, NULL);
    expect("POST", "/actors/col", NULL, "\"\"", 202, NULL);
    expect("POST", "/actors/col", NULL, "0", 202, NULL);
    /* A call with no body has a null payload; counter's add refuses it
     * with an exception, which needs the actor to run, so here it just
     * times out. */
    expect("POST", "/actors/c1/calls/add", "timeout=0.001", NULL, 504,
           "call_timeout");
    expect("POST", "/actors/c1/calls/add", "timeout=0.001", "", 504,
           "call_timeout");
    /* Trailing garbage after a value. */
    expect("POST", "/actors/col", NULL, "{} {}", 400, "bad_json");
    expect("POST", "/actors/col", NULL, "1 2", 400, "bad_json");
    still_serves();
}
END_TEST

/* ---- lengths ---- */

START_TEST(test_content_length_mismatch)
{
    fixtures();
    const char *msg = "{\"add\":1}";
    size_t n = strlen(msg);
    /* A Content-Length over the limit is refused whatever came. */
    route_full("POST", "/actors/c1", NULL, msg, n, (long long)cfg.max_body + 1,
               0);
    assert_error(413, "too_large");
    /* main.c turns an absurd or malformed CONTENT_LENGTH into 2^62. */
    route_full("POST", "/actors/c1", NULL, msg, n, (long long)1 << 62, 0);
    assert_error(413, "too_large");
    route_full("PUT", "/actors/l1", NULL, "{\"behavior\":\"counter\"}", 22,
               (long long)1 << 62, 0);
    assert_error(413, "too_large");
    route_full("POST", "/actors/c1/calls/get", NULL, NULL, 0,
               (long long)1 << 62, 0);
    assert_error(413, "too_large");
    /* More came than the limit. */
    route_full("POST", "/actors/c1", NULL, msg, n, -1, 1);
    assert_error(413, "too_large");
    /* A Content-Length above what came (the client stopped early): what
     * came is all there is. */
    route_full("POST", "/actors/c1", NULL, msg, n - 1, (long long)n, 0);
    assert_error(400, "bad_json");
    route_full("POST", "/actors/c1", NULL, NULL, 0, 100, 0);
    assert_error(400, "bad_json");
    route_full("POST", "/actors/c1/calls/get", NULL, NULL, 0, 5, 0);
    assert_error(400, "bad_json");
    /* Below what came, or absent: the body that came is read. */
    ck_assert_int_eq(route_full("POST", "/actors/c1", NULL, msg, n, 1, 0), 202);
    ck_assert_int_eq(route_full("POST", "/actors/c1", NULL, msg, n, -1, 0),
                     202);
    ck_assert_int_eq(route_full("POST", "/actors/c1", NULL, msg, n, 0, 0), 202);
    /* A body exactly at the limit is read. */
    cfg.max_body = n;
    ck_assert_int_eq(req("POST", "/actors/c1", NULL, msg), 202);
    cfg.max_body = n - 1;
    expect("POST", "/actors/c1", NULL, msg, 413, "too_large");
    cfg.max_body = FCGI_MAX_BODY_DEFAULT;
    expect("GET", "/actors/c1/mailbox", NULL, NULL, 200, NULL);
    ck_assert_int_eq(json_array_size(json_object_get(resp.body, "messages")),
                     4);
    still_serves();
}
END_TEST

/* ---- queries ---- */

START_TEST(test_hostile_queries)
{
    fixtures();
    expect("GET", "/actors/c1", "wait=1e400", NULL, 400, "bad_request");
    expect("GET", "/actors/c1", "wait=nan", NULL, 400, "bad_request");
    expect("GET", "/actors/c1", "wait=inf", NULL, 400, "bad_request");
    expect("GET", "/actors/c1", "wait=-1", NULL, 400, "bad_request");
    expect("GET", "/actors/c1", "wait=", NULL, 400, "bad_request");
    expect("GET", "/actors/c1", "wait=1x", NULL, 400, "bad_request");
    expect("GET", "/actors/c1", "wait=%", NULL, 400, "bad_request");
    expect("GET", "/actors/c1", "wait=-0", NULL, 200, NULL);
    expect("GET", "/actors", "limit=0", NULL, 400, "bad_request");
    expect("GET", "/actors", "limit=1.5", NULL, 400, "bad_request");
    expect("GET", "/actors", "limit=99999999999999999999999", NULL, 400,
           "bad_request");
    expect("GET", "/actors", "after=..", NULL, 400, "bad_request");
    expect("GET", "/actors", "after=%ff", NULL, 400, "bad_request");
    expect("GET", "/actors", "status=%ff", NULL, 400, "bad_request");
    expect("GET", "/actors", "behavior=%ff%00", NULL, 400, "bad_request");
    expect("GET", "/actors/c1/mailbox", "after=-1", NULL, 400, "bad_request");
    expect("GET", "/actors/c1/mailbox", "after=1e400", NULL, 400,
           "bad_request");
    expect("GET", "/dead-letters", "after=1e16", NULL, 400, "bad_request");
    expect("POST", "/actors/c1/calls/get", "timeout=0", NULL, 400,
           "bad_request");
    expect("POST", "/actors/c1/calls/get", "timeout=1e400", NULL, 400,
           "bad_request");
    /* A query longer than the parser's storage. */
    char q[3000] = "behavior=";
    memset(q + 9, 'b', 2000);
    q[2009] = '\0';
    expect("GET", "/actors", q, NULL, 400, "bad_request");
    /* Unknown and repeated parameters: unknown ones are ignored. */
    expect("GET", "/actors", "x=1&&&=&limit=1&limit=2", NULL, 200, NULL);
    still_serves();
}
END_TEST

static TCase *
tcase(const char *name)
{
    return tcase_with(name, setup, teardown, 60);
}

static Suite *
hostile_suite(void)
{
    Suite *s = suite_create("hostile");
    TCase *tc;

    tc = tcase("nesting");
    tcase_add_test(tc, test_deep_nesting);
    suite_add_tcase(s, tc);

    tc = tcase("numbers");
    tcase_add_test(tc, test_huge_numbers);
    suite_add_tcase(s, tc);

    tc = tcase("utf8_nul");
    tcase_add_test(tc, test_invalid_utf8);
    tcase_add_test(tc, test_nul_bytes);
    suite_add_tcase(s, tc);

    tc = tcase("names");
    tcase_add_test(tc, test_dot_names);
    tcase_add_test(tc, test_long_names);
    suite_add_tcase(s, tc);

    tc = tcase("bodies");
    tcase_add_test(tc, test_duplicate_keys);
    tcase_add_test(tc, test_empty_and_scalar_bodies);
    tcase_add_test(tc, test_content_length_mismatch);
    suite_add_tcase(s, tc);

    tc = tcase("queries");
    tcase_add_test(tc, test_hostile_queries);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return run_suite(hostile_suite());
}
