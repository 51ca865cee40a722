/*
 * test_lua_compile.c - the Check suite of lua/compile.c and the parts of
 * lua/step.c that need no engine: what luab_compile accepts and refuses
 * (with the line), the struct behavior it makes, resume points by name,
 * luab_check_args, and luab_upgrade without migrate.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua/luab.h"
#include "tests/unit/testutil.h"

static struct behavior *
compile_ok(const char *name, const char *src)
{
    char err[1024];
    struct behavior *b = NULL;
    int rc = luab_compile(name, 3, src, strlen(src), &b, err, sizeof err);
    ck_assert_msg(rc == 0, "%s", err);
    ck_assert_ptr_nonnull(b);
    return b;
}

static void
assert_compile_fails(const char *src, const char *part)
{
    char err[1024] = "";
    struct behavior *b = NULL;
    int rc = luab_compile("bad", 1, src, strlen(src), &b, err, sizeof err);
    ck_assert_msg(rc == -1, "%s: compiled", src);
    ck_assert_ptr_null(b);
    ck_assert_msg(strstr(err, part) != NULL, "%s: error \"%s\" lacks \"%s\"",
                  src, err, part);
}

/* The struct behavior: name, version, doc, trampolines; points in
 * sorted order. */
START_TEST(test_compiled_behavior)
{
    struct behavior *b =
        compile_ok("multi", "return {\n"
                            "  doc = 'several points',\n"
                            "  start = function(a) end,\n"
                            "  zeta = function(a) end,\n"
                            "  alpha = function(a) end,\n"
                            "  mid_1 = function(a) end,\n"
                            "  terminate = function(a, r) end,\n"
                            "  check_args = function(args) end,\n"
                            "}\n");
    ck_assert_str_eq(b->name, "multi");
    ck_assert_int_eq(b->version, 3);
    ck_assert_str_eq(b->doc, "several points");
    ck_assert_ptr_nonnull(b->step);
    ck_assert_ptr_nonnull(b->terminate);
    ck_assert_ptr_nonnull(b->upgrade);
    ck_assert_ptr_null(b->check_args);
    ck_assert_ptr_nonnull(b->data);
    ck_assert(luab_is_lua(b));
    ck_assert_int_eq(luab_point_count(b), 3);
    ck_assert_int_eq(luab_point(b, "start"), 0);
    ck_assert_int_eq(luab_point(b, "alpha"), 1);
    ck_assert_int_eq(luab_point(b, "mid_1"), 2);
    ck_assert_int_eq(luab_point(b, "zeta"), 3);
    ck_assert_int_eq(luab_point(b, "terminate"), -1);
    ck_assert_int_eq(luab_point(b, "check_args"), -1);
    ck_assert_int_eq(luab_point(b, "nope"), -1);
    ck_assert_str_eq(luab_point_name(b, 0), "start");
    ck_assert_str_eq(luab_point_name(b, 1), "alpha");
    ck_assert_str_eq(luab_point_name(b, 3), "zeta");
    ck_assert_ptr_null(luab_point_name(b, 4));
    ck_assert_ptr_null(luab_point_name(b, -1));
    luab_free(b);
    /* No doc: ""; no terminate: NULL. */
    b = compile_ok("plain", "return {start = function(a) end}");
    ck_assert_str_eq(b->doc, "");
    ck_assert_ptr_null(b->terminate);
    ck_assert_int_eq(luab_point_count(b), 0);
    luab_free(b);
    luab_free(NULL);
}
END_TEST

/* What luab_compile refuses, with the line for Lua errors. */
START_TEST(test_compile_errors)
{
    assert_compile_fails("return {start = function(a) end", "bad:1:");
    assert_compile_fails("\n\nlocal x = = 1", "bad:3:");
    assert_compile_fails("error('at load')", "bad:1: at load");
    assert_compile_fails("local t = nil\nreturn t.x",
                         "bad:2: attempt to index");
    assert_compile_fails("return 1", "the chunk must return a table");
    assert_compile_fails("return {}", "no function start");
    assert_compile_fails("return {start = 1}", "start must be a function");
    assert_compile_fails("return {start = function() end, doc = 1}",
                         "doc must be a string");
    assert_compile_fails("return {start = function() end, terminate = 'x'}",
                         "terminate must be a function");
    assert_compile_fails("return {start = function() end, migrate = {}}",
                         "migrate must be a function");
    assert_compile_fails("return {start = function() end, check_args = 2}",
                         "check_args must be a function");
    assert_compile_fails("return {start = function() end, ['my-point'] = "
                         "function() end}",
                         "\"my-point\" is not a handler name");
    assert_compile_fails("return {start = function() end, [1] = "
                         "function() end}",
                         "a key of type number");
    assert_compile_fails("return {start = function() end, x = 5}",
                         "member x is a number; handlers are functions");
    char err[256];
    struct behavior *b = NULL;
    ck_assert_int_eq(
        luab_compile("Bad-Name", 1, "return {}", 9, &b, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "behaviour name") != NULL, "%s", err);
    ck_assert_int_eq(luab_compile("", 1, "return {}", 9, &b, err, sizeof err),
                     -1);
}
END_TEST

/* check_args: nil, a string, an error, a wrong type, none at all. */
START_TEST(test_check_args)
{
    struct behavior *b = compile_ok(
        "checked", "return {\n"
                   "  start = function(a) end,\n"
                   "  check_args = function(args)\n"
                   "    if args.boom then error('exploded') end\n"
                   "    if args.num then return 5 end\n"
                   "    if args.spin then while true do end end\n"
                   "    if args.n == nil then return 'n is required' end\n"
                   "  end,\n"
                   "}\n");
    char why[512];
    json_t *args = J("{\"n\": 1}");
    ck_assert_ptr_null(luab_check_args(b, args, why, sizeof why));
    json_decref(args);
    ck_assert_str_eq(luab_check_args(b, NULL, why, sizeof why),
                     "n is required");
    args = J("{\"boom\": true}");
    ck_assert_str_eq(luab_check_args(b, args, why, sizeof why),
                     "checked:4: exploded");
    json_decref(args);
    args = J("{\"num\": true}");
    ck_assert_msg(strstr(luab_check_args(b, args, why, sizeof why),
                         "check_args returned a number") != NULL,
                  "%s", why);
    json_decref(args);
    args = J("{\"spin\": true}");
    ck_assert_msg(strstr(luab_check_args(b, args, why, sizeof why),
                         "step_timeout:") != NULL,
                  "%s", why);
    json_decref(args);
    luab_free(b);
    b = compile_ok("unchecked", "return {start = function(a) end}");
    ck_assert_ptr_null(luab_check_args(b, NULL, why, sizeof why));
    luab_free(b);
}
END_TEST

/* Without migrate an upgrade keeps the point's name; a name the new
 * version lacks is refused with why. */
START_TEST(test_upgrade_by_name)
{
    struct behavior *v2 = compile_ok(
        "acct", "return {start = function(a) end, b_ready = function(a) end, "
                "a_new = function(a) end}");
    char why[256];
    ck_assert_int_eq(luab_upgrade(v2, NULL, 1, "b_ready", why, sizeof why), 2);
    ck_assert_int_eq(luab_upgrade(v2, NULL, 1, "start", why, sizeof why), 0);
    ck_assert_int_eq(luab_upgrade(v2, NULL, 1, "gone", why, sizeof why), -1);
    ck_assert_msg(strstr(why, "has no handler gone") != NULL, "%s", why);
    luab_free(v2);
}
END_TEST

/* The same source compiles to the same points every time. */
START_TEST(test_points_deterministic)
{
    const char *src = "return {start = function() end, c = function() end, "
                      "b = function() end, a = function() end}";
    for (int i = 0; i < 5; i++) {
        struct behavior *b = compile_ok("det", src);
        ck_assert_int_eq(luab_point(b, "a"), 1);
        ck_assert_int_eq(luab_point(b, "b"), 2);
        ck_assert_int_eq(luab_point(b, "c"), 3);
        luab_free(b);
    }
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("lua_compile");
    TCase *tc = tcase_create("compile");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_compiled_behavior);
    tcase_add_test(tc, test_compile_errors);
    tcase_add_test(tc, test_check_args);
    tcase_add_test(tc, test_upgrade_by_name);
    tcase_add_test(tc, test_points_deterministic);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
