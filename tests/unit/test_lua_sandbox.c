/*
 * test_lua_sandbox.c - the Check suite of lua/sandbox.c: every way out of
 * the sandbox that LUA.md closes, tried at compile time (the chunk's
 * first run) and inside steps through the real engine, and the budgets:
 * endless loops, loops under pcall, memory bombs, deep recursion.  Each
 * must end in a clear error; nothing may crash (run it under ASan and
 * valgrind too).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actord/behavior.h"
#include "lua/luab.h"
#include "tests/unit/engutil.h"

/* Compiles a behaviour whose chunk runs pre first; returns the error
 * (static) or NULL when it compiled. */
static const char *
compile_with(const char *pre)
{
    static char err[1024];
    char src[4096];
    snprintf(src, sizeof src,
             "%s\nreturn {start = function(a) return a:exit() end}", pre);
    struct behavior *b = NULL;
    int rc = luab_compile("sbx", 1, src, strlen(src), &b, err, sizeof err);
    luab_free(b);
    return rc == 0 ? NULL : err;
}

/* Asserts that the chunk code pre fails to compile with part in the
 * error. */
static void
assert_refused(const char *pre, const char *part)
{
    const char *err = compile_with(pre);
    ck_assert_msg(err != NULL, "%s: compiled", pre);
    ck_assert_msg(strstr(err, part) != NULL, "%s: error \"%s\" lacks \"%s\"",
                  pre, err, part);
}

/* Asserts that pre compiles (it did nothing forbidden). */
static void
assert_runs(const char *pre)
{
    const char *err = compile_with(pre);
    ck_assert_msg(err == NULL, "%s: %s", pre, err);
}

/* What is absent is nil. */
START_TEST(test_absent)
{
    static const char *const names[] = {
        "os",    "io",       "package",   "require",     "debug",
        "load",  "loadfile", "dofile",    "loadstring",  "collectgarbage",
        "print", "warn",     "coroutine", "string.dump", "module",
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char pre[128];
        snprintf(pre, sizeof pre, "assert(%s == nil, '%s is there')", names[i],
                 names[i]);
        assert_runs(pre);
    }
    assert_refused("os.exit(1)", "attempt to index a nil value (global 'os')");
    assert_refused("io.open('/etc/passwd')", "global 'io'");
    assert_refused("require('os')", "global 'require'");
    assert_refused("package.loadlib('libc.so.6', 'system')",
                   "global 'package'");
    assert_refused("load('return 1')", "global 'load'");
    assert_refused("dofile('/etc/passwd')", "global 'dofile'");
    assert_refused("string.dump(function() end)", "field 'dump'");
    assert_refused("('x'):dump()", "method 'dump'");
    assert_refused("debug.getregistry()", "global 'debug'");
    assert_refused("collectgarbage('stop')", "global 'collectgarbage'");
    /* What is there works. */
    assert_runs("assert(string.format('%d', 3) == '3')");
    assert_runs("assert(('abc'):upper() == 'ABC')");
    assert_runs("assert(table.concat({1, 2}, ',') == '1,2')");
    assert_runs("assert(math.max(1, 2) == 2 and utf8.char(233) == 'é')");
    assert_runs("assert(pcall(error, 'x') == false)");
    assert_runs("for k, v in pairs(string) do assert(k ~= 'dump') end");
    assert_runs(
        "local n = 0 for k in pairs(_G) do n = n + 1 end assert(n > 10)");
}
END_TEST

/* A binary chunk is refused: load mode "t". */
START_TEST(test_binary_chunk)
{
    char src[64] = "\033Lua\x54\x00\x19\x93\r\n\x1a\n";
    struct behavior *b = NULL;
    char err[512];
    ck_assert_int_eq(luab_compile("bin", 1, src, 20, &b, err, sizeof err), -1);
    ck_assert_ptr_null(b);
    ck_assert_msg(strstr(err, "binary chunk") != NULL, "%s", err);
}
END_TEST

/* The globals, the libraries and the string metatable cannot change. */
START_TEST(test_readonly)
{
    assert_refused("x = 1", "cannot set x: the globals and the library "
                            "tables are read-only");
    assert_refused("_G.x = 1", "cannot set x");
    assert_refused("_ENV.x = 1", "cannot set x");
    assert_refused("string.upper = nil", "cannot set upper");
    assert_refused("math.pi = 3", "cannot set pi");
    assert_refused("table.insert = print", "cannot set insert");
    assert_refused("actord.null = 1", "cannot set null");
    assert_refused("rawset(_G, 'x', 1)", "rawset: the globals");
    assert_refused("rawset(_ENV, 'x', 1)", "rawset: the globals");
    assert_refused("rawset(string, 'x', 1)", "rawset: the globals");
    assert_refused("setmetatable(_G, {})", "cannot change a protected "
                                           "metatable");
    assert_refused("setmetatable(string, nil)", "protected metatable");
    assert_refused("getmetatable('').__index = {}",
                   "attempt to index a boolean value");
    assert_refused("getmetatable(_G).__newindex = nil",
                   "attempt to index a boolean value");
    assert_refused("getmetatable(actord.array()).x = 1",
                   "attempt to index a string value");
    assert_refused("setmetatable(actord.array(), nil)",
                   "cannot change a protected metatable");
    assert_refused("setmetatable({}, {__gc = function() end})",
                   "__gc is not available");
    assert_runs("assert(getmetatable('') == false)");
    assert_runs("local t = setmetatable({}, {__index = function() return 1 "
                "end}) assert(t.x == 1)");
    assert_runs("local x = 1 x = 2 local t = {} t.y = 3 rawset(t, 'z', 4)");
    /* A finalizer set later on an existing metatable is never run: Lua
     * marks an object for finalisation at setmetatable only. */
    assert_runs("local mt = {} setmetatable({}, mt) mt.__gc = function() "
                "while true do end end");
}
END_TEST

/* The budgets at compile: a chunk that loops or eats memory, even under
 * pcall, does not compile; deep recursion is an error. */
START_TEST(test_budgets_compile)
{
    assert_refused("while true do end", "step_timeout:");
    assert_refused("pcall(function() while true do end end)", "step_timeout:");
    assert_refused("while true do pcall(function() while true do end end) end",
                   "step_timeout:");
    assert_refused("local ok = pcall(string.rep, 'x', 1 << 30)",
                   "memory_limit:");
    assert_refused("local s = string.rep('x', 100 * 1024 * 1024)",
                   "memory_limit:");
    assert_refused("local t = {} for i = 1, 1e9 do t[i] = i end",
                   "_limit:" /* memory or time, whichever first */);
    assert_refused("local t = {} while true do t[#t + 1] = "
                   "string.rep('x', 4096) .. #t end",
                   "memory_limit:");
    assert_refused("pcall(function() local t = {} while true do t[#t + 1] = "
                   "string.rep('x', 65536) .. #t end end)",
                   "memory_limit:");
    assert_refused("local s = ('x'):rep(1 << 20) "
                   "s = s:gsub('x', 'xxxxxxxxxxxxxxxxxxxx')",
                   "memory_limit:");
    /* Deep recursion: Lua's stack limit, or first the memory budget
     * (8 MiB here). */
    assert_refused("local function f(n) return 1 + f(n + 1) end f(1)",
                   "memory_limit:");
    assert_refused("local t = setmetatable({}, {__index = function(t, k) "
                   "return t[k] end}) local x = t.x",
                   "stack overflow");
    assert_refused("xpcall(function() while true do end end, "
                   "function() while true do end end)",
                   "step_timeout:");
    assert_refused("xpcall(function() error('x') end, "
                   "function() while true do end end)",
                   "step_timeout:");
    assert_runs("local ok, e = xpcall(function(x) error(x .. '!', 0) end, "
                "function(m) return 'handled ' .. m end, 'boom') "
                "assert(not ok and e == 'handled boom!', e)");
    assert_runs("local ok, a, b = xpcall(function(x, y) return x + y, 7 end, "
                "print or type, 1, 2) assert(ok and a == 3 and b == 7)");
    /* After a refused state, the next compile is unhurt. */
    assert_runs("local s = string.rep('x', 1000)");
}
END_TEST

/* A behaviour that tries to keep something between steps, and budgets
 * spent in a step. */
static const char keeper_src[] =
    "local counter = 0\n"
    "local cache = {}\n"
    "local shapes = {{op = '$string'}}\n"
    "local B\n"
    "B = {\n"
    "  start = function(a) return a:receive('op', shapes) end,\n"
    "  op = function(a, m)\n"
    "    if m.op == 'count' then\n"
    "      counter = counter + 1\n"
    "      cache[#cache + 1] = 'x'\n"
    "      B.extra = true\n"
    "      a.state.counter = counter\n"
    "      a.state.cache = #cache\n"
    "      a.state.extra = B.extra == true\n"
    "    elseif m.op == 'global' then\n"
    "      leak = 1\n"
    "    elseif m.op == 'seed' then\n"
    "      math.randomseed(42)\n"
    "      a.state.r = math.random(1, 1 << 40)\n"
    "    elseif m.op == 'spin' then\n"
    "      while true do end\n"
    "    elseif m.op == 'spin_pcall' then\n"
    "      while true do pcall(function() while true do end end) end\n"
    "    elseif m.op == 'spin_pcall_once' then\n"
    "      pcall(function() while true do end end)\n"
    "      a.state.escaped = true\n"
    "    elseif m.op == 'bomb' then\n"
    "      local ok = pcall(string.rep, 'x', 1 << 30)\n"
    "      a.state.escaped = true\n"
    "    elseif m.op == 'grow' then\n"
    "      local t = {}\n"
    "      while true do t[#t + 1] = string.rep('y', 1024) .. #t end\n"
    "    elseif m.op == 'recurse' then\n"
    "      local function f(n) return 1 + f(n + 1) end\n"
    "      f(1)\n"
    "    end\n"
    "    return a:receive('op', shapes)\n"
    "  end,\n"
    "}\n"
    "return B\n";

static struct behavior *keeper;

static struct eng *
lopen(void)
{
    struct eng_opts o = {.busy_timeout_ms = 50, .step_limit_ms = 20000};
    return open_eng_opts(&o);
}

/* Runs a new keeper through op and returns its document (new). */
static json_t *
keeper_after(struct eng *e, const char *name, const char *op)
{
    char msg[64];
    spawn(e, name, "keeper", NULL);
    snprintf(msg, sizeof msg, "{\"op\": \"%s\"}", op);
    send(e, name, msg);
    run(e);
    return get_doc(e, name);
}

/* Upvalues and tables of the chunk are made again every step: nothing
 * but a.state outlives a step. */
START_TEST(test_nothing_outlives_a_step)
{
    struct eng *e = lopen();
    spawn(e, "k", "keeper", NULL);
    send(e, "k", "{\"op\": \"count\"}");
    send(e, "k", "{\"op\": \"count\"}");
    send(e, "k", "{\"op\": \"count\"}");
    run(e);
    assert_actor(e, "k", "state",
                 "{\"counter\": 1, \"cache\": 1, \"extra\": true}");
    json_t *doc = keeper_after(e, "g", "global");
    assert_failed_with(doc, "cannot set leak");
    json_decref(doc);
    /* math.randomseed in one step does not reach the next. */
    doc = keeper_after(e, "s1", "seed");
    json_t *r1 =
        json_deep_copy(json_object_get(json_object_get(doc, "state"), "r"));
    json_decref(doc);
    ck_assert(json_is_integer(r1));
    json_decref(r1);
    close_eng(e);
}
END_TEST

/* Budgets spent in a step fail the actor with step_timeout or
 * memory_limit, pcall or not; the state stays usable for the next
 * actor. */
START_TEST(test_budgets_step)
{
    static const struct {
        const char *op, *part;
    } cases[] = {
        {"spin", "step_timeout: keeper ran over its budget"},
        {"spin_pcall", "step_timeout:"},
        {"spin_pcall_once", "step_timeout:"},
        {"bomb", "memory_limit: keeper went over its budget"},
        {"grow", "memory_limit:"},
        {"recurse", "memory_limit:"},
    };
    struct eng *e = lopen();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char name[16];
        snprintf(name, sizeof name, "b%zu", i);
        json_t *doc = keeper_after(e, name, cases[i].op);
        assert_failed_with(doc, cases[i].part);
        ck_assert_ptr_null(
            json_object_get(json_object_get(doc, "state"), "escaped"));
        json_decref(doc);
        /* The same compiled behaviour runs the next actor fine. */
        doc = keeper_after(e, "after", "count");
        assert_field(doc, "status", "\"waiting\"");
        json_decref(doc);
        json_t *gone = NULL;
        eng_kill(e, "after", &gone);
        json_decref(gone);
    }
    close_eng(e);
}
END_TEST

int
main(void)
{
    /* Small budgets keep the tests quick, under valgrind too. */
    luab_set_limits(2000000, 8 * 1024 * 1024);
    char err[512];
    if (luab_compile("keeper", 1, keeper_src, strlen(keeper_src), &keeper, err,
                     sizeof err) != 0 ||
        actor_register(keeper) != 0) {
        fprintf(stderr, "keeper: %s\n", err);
        return 1;
    }
    Suite *s = suite_create("lua_sandbox");
    TCase *tc = tcase("sandbox");
    tcase_add_test(tc, test_absent);
    tcase_add_test(tc, test_binary_chunk);
    tcase_add_test(tc, test_readonly);
    tcase_add_test(tc, test_budgets_compile);
    tcase_add_test(tc, test_nothing_outlives_a_step);
    tcase_add_test(tc, test_budgets_step);
    suite_add_tcase(s, tc);
    int rc = run_suite(s);
    luab_free(keeper);
    return rc;
}
