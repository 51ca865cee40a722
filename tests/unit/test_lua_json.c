/*
 * test_lua_json.c - the Check suite of lua/json.c and lua/module.c: JSON
 * values as Lua values and back (LUA.md, "JSON and Lua"), what JSON
 * cannot hold, deep nesting, and the module actord.  Each test runs a
 * Lua snippet in the sandbox of a compiled behaviour through luab__pcall:
 * the snippet gets the JSON input as ... and its result is converted
 * back.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua/luab.h"
#include "lua/luab_int.h"
#include "tests/unit/testutil.h"

/* The behaviour whose state the snippets run in. */
static struct behavior *sb;

/* One evaluation: src gets in as ..., out is its result as JSON. */
struct eval {
    const char *src;
    const json_t *in;
    json_t *out;
    char err[1024];
};
static struct eval *cur;

static int
eval_body(lua_State *L)
{
    if (luaL_loadbufferx(L, cur->src, strlen(cur->src), "=snippet", "t") !=
        LUA_OK)
        return lua_error(L);
    luab__push_json(L, cur->in);
    lua_call(L, 1, 1);
    cur->out = luab__to_json(L, -1, "value", 1, cur->err, sizeof cur->err);
    return 0;
}

/* Runs src with in (JSON text or NULL); returns its result (new) or NULL
 * with *err (may be NULL) the error. */
static json_t *
eval(const char *src, const char *in, char *err, size_t len)
{
    struct eval e = {.src = src};
    json_t *v = in ? J(in) : NULL;
    e.in = v;
    cur = &e;
    struct luab_run r = {.timeout_ms = -1};
    int rc = luab__pcall(sb->data, eval_body, &r);
    json_decref(v);
    if (rc != 0) {
        json_decref(e.out);
        if (err)
            snprintf(err, len, "%s", r.err);
        return NULL;
    }
    if (e.out == NULL && err)
        snprintf(err, len, "%s", e.err);
    return e.out;
}

/* Asserts src(in) gives want (JSON text). */
static void
assert_eval(const char *src, const char *in, const char *want)
{
    char err[1024] = "";
    json_t *v = eval(src, in, err, sizeof err);
    ck_assert_msg(v != NULL, "%s: %s", src, err);
    assert_json(v, want);
    json_decref(v);
}

/* Asserts src(in) fails with an error containing part. */
static void
assert_eval_fails(const char *src, const char *in, const char *part)
{
    char err[1024] = "";
    json_t *v = eval(src, in, err, sizeof err);
    ck_assert_msg(v == NULL, "%s: did not fail", src);
    ck_assert_msg(strstr(err, part) != NULL, "%s: error \"%s\" lacks \"%s\"",
                  src, err, part);
}

static void
lsetup(void)
{
    char err[256];
    int rc = luab_compile("jsontest", 1,
                          "return {start = function(a) return a:exit() end}",
                          48, &sb, err, sizeof err);
    ck_assert_msg(rc == 0, "%s", err);
}

static void
lteardown(void)
{
    luab_free(sb);
    sb = NULL;
}

/* Every JSON type goes in and comes back as it was. */
START_TEST(test_round_trip_types)
{
    static const char *const docs[] = {
        "1",
        "-9223372036854775808",
        "9223372036854775807",
        "1.5",
        "2.0",
        "-0.25",
        "1e300",
        "\"text\"",
        "\"\"",
        "\"caf\\u00e9 \\u2603 \\ud83d\\ude00\"",
        "true",
        "false",
        "null",
        "[]",
        "{}",
        "[1, \"a\", null, true, 2.5, [], {}]",
        "{\"a\": {\"b\": [1, {\"c\": null}]}, \"\": 0}",
        "{\"$address\": \"x\"}",
        "[null, null]",
    };
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++)
        assert_eval("return ...", docs[i], docs[i]);
}
END_TEST

/* Lua sees JSON as LUA.md says. */
START_TEST(test_lua_view)
{
    assert_eval("local v = ... return math.type(v)", "3", "\"integer\"");
    assert_eval("local v = ... return math.type(v)", "3.0", "\"float\"");
    assert_eval("local v = ... return v == actord.null", "null", "true");
    assert_eval("local v = ... return #v", "[1, 2, 3]", "3");
    assert_eval("local v = ... return getmetatable(v)", "[]",
                "\"actord.array\"");
    assert_eval("local v = ... return getmetatable(v) == nil", "{}", "true");
    assert_eval("local v = ... return v[2] == actord.null", "[1, null, 3]",
                "true");
    assert_eval("local v = ... return actord.is_address(v)",
                "{\"$address\": \"x\"}", "true");
    assert_eval("local v = ... return actord.is_address(v)", "{\"a\": 1}",
                "false");
}
END_TEST

/* Tables going out: 1..n is an array, {} an object, actord.array() an
 * empty array, an address an object. */
START_TEST(test_tables_out)
{
    assert_eval("return {1, 2, 3}", NULL, "[1, 2, 3]");
    assert_eval("return {}", NULL, "{}");
    assert_eval("return actord.array()", NULL, "[]");
    assert_eval("return actord.array({})", NULL, "[]");
    assert_eval("return actord.array({4})", NULL, "[4]");
    assert_eval("return {a = {b = {}}}", NULL, "{\"a\": {\"b\": {}}}");
    assert_eval("return actord.address('x')", NULL, "{\"$address\": \"x\"}");
    assert_eval("return {[1] = 'a', [2] = 'b'}", NULL, "[\"a\", \"b\"]");
    assert_eval("return {x = actord.null}", NULL, "{\"x\": null}");
    assert_eval("return 2^53", NULL, "9007199254740992.0");
    assert_eval("return 7 // 2", NULL, "3");
    /* A table met twice (not a cycle) is written twice. */
    assert_eval("local t = {1} return {t, t}", NULL, "[[1], [1]]");
    assert_eval("return nil", NULL, "null");
}
END_TEST

/* What JSON cannot hold fails, with where. */
START_TEST(test_not_json)
{
    assert_eval_fails("return {f = function() end}", NULL,
                      "value.f: a function is not JSON");
    assert_eval_fails("return {items = {1, 2, function() end}}", NULL,
                      "value.items[3]: a function is not JSON");
    assert_eval_fails("return {[true] = 1}", NULL, "a key of type boolean");
    assert_eval_fails("return {[1.5] = 1}", NULL, "a key of type number");
    assert_eval_fails("return {[0] = 1}", NULL, "a key of type number");
    assert_eval_fails("return {x = 0/0}", NULL, "value.x: NaN or infinity");
    assert_eval_fails("return {x = 1/0}", NULL, "NaN or infinity");
    assert_eval_fails("return {x = -math.huge}", NULL, "NaN or infinity");
    assert_eval_fails("local t = {} t.me = t return t", NULL,
                      "value.me: a cycle");
    assert_eval_fails("return {s = '\\xff'}", NULL,
                      "value.s: a string that is not UTF-8");
    assert_eval_fails("return {s = '\\xed\\xa0\\x80'}", NULL, "not UTF-8");
    assert_eval_fails("return {s = '\\xc0\\x80'}", NULL, "not UTF-8");
    assert_eval_fails("return {s = 'ab\\xe2\\x82'}", NULL, "not UTF-8");
    assert_eval_fails("return {['\\xff'] = 1}", NULL,
                      "a key that is not UTF-8");
    assert_eval_fails("return {1, 2, x = 3}", NULL,
                      "both string and integer keys");
    assert_eval_fails("return {1, nil, 3}", NULL, "an array with holes");
    assert_eval_fails("return {[2] = 'x'}", NULL, "an array with holes");
    assert_eval_fails("local t = actord.array() t.x = 1 return t", NULL,
                      "an actord.array with string keys");
    assert_eval_fails("return {['my key'] = {function() end}}", NULL,
                      "value[\"my key\"][1]: a function");
}
END_TEST

/* Nesting: LUAB_MAX_DEPTH levels convert both ways, one more does not;
 * nothing crashes. */
START_TEST(test_deep_nesting)
{
    char src[256];
    snprintf(src, sizeof src,
             "local t = {} local top = t "
             "for i = 1, %d do t.x = {} t = t.x end return top",
             LUAB_MAX_DEPTH - 1);
    char err[1024] = "";
    json_t *v = eval(src, NULL, err, sizeof err);
    ck_assert_msg(v != NULL, "%s", err);
    /* And back into Lua, and out again. */
    char *text = json_dumps(v, JSON_COMPACT);
    json_decref(v);
    v = eval("return ...", text, err, sizeof err);
    ck_assert_msg(v != NULL, "%s", err);
    json_decref(v);
    free(text);
    snprintf(src, sizeof src,
             "local t = {} local top = t "
             "for i = 1, %d do t.x = {} t = t.x end return top",
             LUAB_MAX_DEPTH + 5);
    assert_eval_fails(src, NULL, "nested deeper than");
    /* Deeper JSON than the limit is refused going in, as an error. */
    json_t *deep = json_array();
    json_t *in = deep;
    for (int i = 0; i < LUAB_MAX_DEPTH + 5; i++) {
        json_t *x = json_array();
        json_array_append_new(in, x);
        in = x;
    }
    struct eval e = {.src = "return 1", .in = deep};
    cur = &e;
    struct luab_run r = {.timeout_ms = -1};
    ck_assert_int_eq(luab__pcall(sb->data, eval_body, &r), -1);
    ck_assert_msg(strstr(r.err, "nested deeper") != NULL, "%s", r.err);
    json_decref(e.out);
    json_decref(deep);
}
END_TEST

/* actord.json_encode and json_decode. */
START_TEST(test_module_json)
{
    assert_eval("return actord.json_encode({a = {1, 2}})", NULL,
                "\"{\\\"a\\\":[1,2]}\"");
    assert_eval("return actord.json_encode(actord.array())", NULL, "\"[]\"");
    assert_eval("return actord.json_encode(1.5)", NULL, "\"1.5\"");
    assert_eval("return actord.json_decode('{\"a\": [1, null, 2.5]}')", NULL,
                "{\"a\": [1, null, 2.5]}");
    assert_eval("return actord.json_decode('[]')", NULL, "[]");
    assert_eval("local ok, e = pcall(actord.json_decode, '{bad') "
                "return e:find('json_decode') ~= nil",
                NULL, "true");
    assert_eval("local ok, e = pcall(actord.json_encode, {f = pcall}) "
                "return ok",
                NULL, "false");
    assert_eval("local ok, e = pcall(actord.json_encode, {f = type}) "
                "return e",
                NULL,
                "\"actord.json_encode: value.f: a function is not JSON\"");
    assert_eval("local ok, e = pcall(actord.array, setmetatable({}, {})) "
                "return ok",
                NULL, "false");
    assert_eval("return actord.array(actord.array({1}))", NULL, "[1]");
    assert_eval("return pcall(actord.address, {})", NULL, "false");
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("lua_json");
    TCase *tc = tcase_with("json", lsetup, lteardown, 60);
    tcase_add_test(tc, test_round_trip_types);
    tcase_add_test(tc, test_lua_view);
    tcase_add_test(tc, test_tables_out);
    tcase_add_test(tc, test_not_json);
    tcase_add_test(tc, test_deep_nesting);
    tcase_add_test(tc, test_module_json);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
