/*
 * test_lua_handle.c - the Check suite of lua/handle.c, lua/step.c and
 * lua/glue.c, end to end through the real engine: Lua behaviours are
 * compiled in main (before run_suite initialises the engine), registered
 * as C behaviours whose step is luab's trampoline, and driven with
 * eng_spawn, eng_send, eng_run, eng_get and eng_call_*.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actord/behavior.h"
#include "lua/luab.h"
#include "tests/unit/engutil.h"

/* LUA.md's example, as written there. */
static const char account_src[] =
    "return {\n"
    "  doc = \"a balance: deposit, withdraw; call balance\",\n"
    "  check_args = function(args)\n"
    "    if args.start ~= nil and math.type(args.start) ~= \"integer\" then\n"
    "      return \"start must be an integer\"\n"
    "    end\n"
    "  end,\n"
    "  start = function(a)\n"
    "    a.state.balance = a.args.start or 0\n"
    "    return a:receive(\"ready\", {\n"
    "      {deposit = \"$integer\"},\n"
    "      {withdraw = \"$integer\"},\n"
    "      {call = \"$any\", method = \"balance\", address = \"$address\"},\n"
    "    })\n"
    "  end,\n"
    "  ready = function(a, msg, i)\n"
    "    if i == 1 then\n"
    "      a.state.balance = a.state.balance + msg.deposit\n"
    "    elseif i == 2 then\n"
    "      if msg.withdraw > a.state.balance then\n"
    "        return a:fail(\"overdraft\")\n"
    "      end\n"
    "      a.state.balance = a.state.balance - msg.withdraw\n"
    "    else\n"
    "      a:respond(msg, a.state.balance)\n"
    "    end\n"
    "    return a:receive(\"ready\", a.waiting_for)\n"
    "  end,\n"
    "  terminate = function(a, reason) end,\n"
    "  migrate = function(a, from_version, point) return point end,\n"
    "}\n";

/* echo: sends msg to `to` for every {to, msg}; counts in state.n. */
static const char echo_src[] =
    "local shapes = {{to = '$address', msg = '$any'}}\n"
    "return {\n"
    "  start = function(a) a.state.n = 0 return a:receive('loop', shapes) "
    "end,\n"
    "  loop = function(a, m, i)\n"
    "    local ok, why = a:send(m.to, m.msg)\n"
    "    a.state.n = a.state.n + 1\n"
    "    a.state.last = {ok = ok, why = why or actord.null}\n"
    "    return a:receive('loop', shapes)\n"
    "  end,\n"
    "}\n";

/* lua_ring: forwards {token = N} to args.next while N < args.n. */
static const char ring_src[] =
    "return {\n"
    "  start = function(a) return a:receive('hop', {{token = '$integer'}}) "
    "end,\n"
    "  hop = function(a, m)\n"
    "    a.state.seen = m.token\n"
    "    if m.token < a.args.n then\n"
    "      a:send(actord.address(a.args.next), {token = m.token + 1})\n"
    "    end\n"
    "    return a:exit(m.token)\n"
    "  end,\n"
    "}\n";

/* lua_misc: does what each {op = ...} says, for the other methods. */
static const char misc_src[] =
    "local shapes = {{op = '$string'}}\n"
    "local function again(a) return a:receive('op', shapes) end\n"
    "return {\n"
    "  start = function(a)\n"
    "    a.state.me = a:self()\n"
    "    a.state.name = a.name\n"
    "    a.state.version = a.version\n"
    "    a.state.first_waiting = a.waiting_for or 'none'\n"
    "    return again(a)\n"
    "  end,\n"
    "  op = function(a, m)\n"
    "    local op = m.op\n"
    "    if op == 'spawn' then\n"
    "      a.state.child = a:spawn('counter', {start = 7})\n"
    "    elseif op == 'spawn_named' then\n"
    "      a.state.named = a:spawn_named('kid', 'collector')\n"
    "    elseif op == 'badspawn' then\n"
    "      a.state.bad = select(2, pcall(a.spawn, a, 'no_such'))\n"
    "    elseif op == 'call' then\n"
    "      return a:call('got', actord.address('c'), 'add', 3, 60000)\n"
    "    elseif op == 'timer' then\n"
    "      local id = a:send_after(a:self(), {op = 'tick'}, 60000)\n"
    "      a.state.cancelled = a:cancel_timer(id)\n"
    "      a.state.again = a:cancel_timer(id)\n"
    "    elseif op == 'now' then\n"
    "      a.state.now_ok = a:now() > 1600000000000\n"
    "    elseif op == 'nothing' then\n"
    "      return\n"
    "    elseif op == 'error' then\n"
    "      error('boom')\n"
    "    elseif op == 'twice' then\n"
    "      a:exit(1)\n"
    "      return a:exit(2)\n"
    "    elseif op == 'badstate' then\n"
    "      a.state.f = function() end\n"
    "    elseif op == 'arraystate' then\n"
    "      a.state = {1, 2}\n"
    "    elseif op == 'badpoint' then\n"
    "      return a:receive('nowhere', shapes)\n"
    "    elseif op == 'exit' then\n"
    "      return a:exit({done = true, list = actord.array()})\n"
    "    elseif op == 'fail' then\n"
    "      return a:fail('told to')\n"
    "    elseif op == 'args' then\n"
    "      a.args.x = 1\n"
    "    end\n"
    "    return again(a)\n"
    "  end,\n"
    "  got = function(a, m)\n"
    "    a.state.got = m\n"
    "    return again(a)\n"
    "  end,\n"
    "}\n";

/* lua_server: answers calls with a:dispatch; add, boom (raises a table),
 * oops (raises a string). */
static const char server_src[] =
    "local methods = {\n"
    "  add = function(a, n) a.state.total = a.state.total + n "
    "return a.state.total end,\n"
    "  boom = function(a) error({code = 42}) end,\n"
    "  oops = function(a) error('oops') end,\n"
    "}\n"
    "local shapes = {{call = '$any', method = '$string', address = "
    "'$address'}}\n"
    "return {\n"
    "  start = function(a) a.state.total = 0 return a:receive('serve', "
    "shapes) end,\n"
    "  serve = function(a, m) a:dispatch(m, methods) "
    "return a:receive('serve', shapes) end,\n"
    "}\n";

/* lua_timeout: waits 20 ms for anything, then records timed_out. */
static const char timeout_src[] =
    "return {\n"
    "  start = function(a) return a:receive('after', {'$any'}, 20) end,\n"
    "  after = function(a, m, i)\n"
    "    a.state.timed_out = a.timed_out\n"
    "    a.state.msg = m == nil and 'nil' or m\n"
    "    return a:exit('done')\n"
    "  end,\n"
    "}\n";

static struct behavior *compiled[8];
static int ncompiled;

static struct eng *
lopen(void)
{
    struct eng_opts o = {.busy_timeout_ms = 50, .step_limit_ms = 20000};
    return open_eng_opts(&o);
}

/* The example of LUA.md: deposits, withdrawals, a call from outside, an
 * overdraft that fails the actor. */
START_TEST(test_account)
{
    struct eng *e = lopen();
    spawn(e, "acc", "account", "{\"start\": 10}");
    run(e);
    assert_actor(e, "acc", "state", "{\"balance\": 10}");
    send(e, "acc", "{\"deposit\": 5}");
    send(e, "acc", "{\"withdraw\": 3}");
    run(e);
    assert_actor(e, "acc", "state", "{\"balance\": 12}");
    char box[ENG_CALL_ID_LEN + 8], id[ENG_CALL_ID_LEN];
    ck_assert_int_eq(eng_call_begin(e, "acc", "balance", NULL, box, id), AD_OK);
    run(e);
    json_t *reply = NULL;
    ck_assert_int_eq(eng_call_poll(e, "acc", box, &reply), AD_OK);
    ck_assert_ptr_nonnull(reply);
    assert_field(reply, "message", "12");
    json_decref(reply);
    eng_call_end(e, box);
    send(e, "acc", "{\"withdraw\": 100}");
    run(e);
    json_t *doc = get_doc(e, "acc");
    assert_failed_with(doc, "overdraft");
    json_decref(doc);
    close_eng(e);
}
END_TEST

/* check_args runs at spawn through luab_check_args. */
START_TEST(test_account_check_args)
{
    const struct behavior *b = compiled[0];
    char why[256];
    json_t *args = J("{\"start\": \"x\"}");
    const char *w = luab_check_args(b, args, why, sizeof why);
    ck_assert_ptr_nonnull(w);
    ck_assert_str_eq(w, "start must be an integer");
    json_decref(args);
    args = J("{\"start\": 3}");
    ck_assert_ptr_null(luab_check_args(b, args, why, sizeof why));
    json_decref(args);
    ck_assert_ptr_null(luab_check_args(b, NULL, why, sizeof why));
}
END_TEST

/* echo forwards to a collector; send answers true. */
START_TEST(test_echo)
{
    struct eng *e = lopen();
    spawn(e, "col", "collector", NULL);
    spawn(e, "echo", "echo", NULL);
    run(e);
    send(
        e, "echo",
        "{\"to\": {\"$address\": \"col\"}, \"msg\": {\"hi\": [1, 2.5, null]}}");
    run(e);
    assert_actor(e, "col", "state",
                 "{\"messages\": [{\"hi\": [1, 2.5, null]}]}");
    json_t *doc = get_doc(e, "echo");
    json_t *st = json_object_get(doc, "state");
    assert_field(st, "n", "1");
    assert_field(st, "last", "{\"ok\": true, \"why\": null}");
    json_decref(doc);
    /* To an actor that does not exist: a dead letter; send answers false
     * and "unknown" once the engine gives actor_send's results (true
     * until then). */
    send(e, "echo", "{\"to\": {\"$address\": \"nobody\"}, \"msg\": 1}");
    run(e);
    doc = get_doc(e, "echo");
    json_t *last = json_object_get(json_object_get(doc, "state"), "last");
    const char *why = json_string_value(json_object_get(last, "why"));
    ck_assert(json_is_true(json_object_get(last, "ok")) ||
              (why != NULL && strcmp(why, "unknown") == 0));
    json_decref(doc);
    close_eng(e);
}
END_TEST

/* A ring of 100 Lua actors passes a token around once. */
START_TEST(test_ring_100)
{
    struct eng *e = lopen();
    char name[16], args[64];
    for (int i = 0; i < 100; i++) {
        snprintf(name, sizeof name, "r%d", i);
        snprintf(args, sizeof args, "{\"next\": \"r%d\", \"n\": 100}",
                 (i + 1) % 100);
        spawn(e, name, "lua_ring", args);
    }
    run(e);
    send(e, "r0", "{\"token\": 1}");
    run(e);
    for (int i = 0; i < 100; i++) {
        char want[16];
        snprintf(name, sizeof name, "r%d", i);
        snprintf(want, sizeof want, "%d", i + 1);
        assert_status(e, name, "exited");
        assert_actor(e, name, "result", want);
    }
    close_eng(e);
}
END_TEST

/* Fields of the handle, spawn, spawn_named, a refused spawn, timers,
 * now, and a:call to a C counter. */
START_TEST(test_handle_methods)
{
    struct eng *e = lopen();
    spawn(e, "c", "counter", "{\"start\": 5}");
    spawn(e, "m", "lua_misc", NULL);
    run(e);
    json_t *doc = get_doc(e, "m");
    json_t *st = json_object_get(doc, "state");
    assert_field(st, "me", "{\"$address\": \"m\"}");
    assert_field(st, "name", "\"m\"");
    assert_field(st, "version", "1");
    assert_field(st, "first_waiting", "\"none\"");
    json_decref(doc);
    const char *ops[] = {"{\"op\": \"spawn\"}",    "{\"op\": \"spawn_named\"}",
                         "{\"op\": \"badspawn\"}", "{\"op\": \"timer\"}",
                         "{\"op\": \"now\"}",      "{\"op\": \"args\"}",
                         "{\"op\": \"call\"}"};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        send(e, "m", ops[i]);
    run(e);
    doc = get_doc(e, "m");
    assert_field(doc, "status", "\"waiting\"");
    st = json_object_get(doc, "state");
    ck_assert(json_is_object(json_object_get(st, "child")));
    assert_field(st, "named", "{\"$address\": \"kid\"}");
    const char *bad = json_string_value(json_object_get(st, "bad"));
    ck_assert_ptr_nonnull(bad);
    ck_assert_msg(strstr(bad, "cannot spawn no_such") != NULL, "%s", bad);
    assert_field(st, "cancelled", "true");
    assert_field(st, "again", "false");
    assert_field(st, "now_ok", "true");
    assert_field(json_object_get(st, "got"), "message", "8");
    json_decref(doc);
    assert_status(e, "kid", "waiting");
    assert_actor(e, "c", "state", "{\"count\": 8}");
    send(e, "m", "{\"op\": \"exit\"}");
    run(e);
    assert_actor(e, "m", "result", "{\"done\": true, \"list\": []}");
    close_eng(e);
}
END_TEST

/* A handler that ends otherwise than by returning a:receive, a:call,
 * a:exit or a:fail, or raises, or leaves a state JSON cannot hold, fails
 * the actor with the reason. */
START_TEST(test_bad_endings)
{
    static const struct {
        const char *op, *part;
    } cases[] = {
        {"nothing", "handler op returned nothing"},
        {"error", "lua_misc:30: boom"},
        {"twice", "a:exit: the handler has already ended"},
        {"badstate", "state.f: a function is not JSON"},
        {"arraystate", "a.state must be a table with string keys"},
        {"badpoint", "a:receive: nowhere is not a handler"},
        {"fail", "told to"},
    };
    struct eng *e = lopen();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char name[32], msg[64];
        snprintf(name, sizeof name, "m%zu", i);
        spawn(e, name, "lua_misc", NULL);
        snprintf(msg, sizeof msg, "{\"op\": \"%s\"}", cases[i].op);
        send(e, name, msg);
        run(e);
        json_t *doc = get_doc(e, name);
        assert_failed_with(doc, cases[i].part);
        json_decref(doc);
    }
    close_eng(e);
}
END_TEST

/* a:dispatch: results, exceptions from errors, invalid_method. */
START_TEST(test_dispatch)
{
    struct eng *e = lopen();
    spawn(e, "srv", "lua_server", NULL);
    run(e);
    static const struct {
        const char *method, *payload, *key, *want;
    } calls[] = {
        {"add", "4", "message", "4"},
        {"add", "6", "message", "10"},
        {"boom", NULL, "exception", "{\"code\": 42}"},
        {"oops", NULL, "exception", "{\"message\": \"lua_server:4: oops\"}"},
        {"nope", NULL, "invalid_method", "\"nope\""},
    };
    for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
        char box[ENG_CALL_ID_LEN + 8], id[ENG_CALL_ID_LEN];
        json_t *p = calls[i].payload ? J(calls[i].payload) : NULL;
        ck_assert_int_eq(eng_call_begin(e, "srv", calls[i].method, p, box, id),
                         AD_OK);
        json_decref(p);
        run(e);
        json_t *reply = NULL;
        ck_assert_int_eq(eng_call_poll(e, "srv", box, &reply), AD_OK);
        ck_assert_msg(reply != NULL, "no reply to %s", calls[i].method);
        assert_field(reply, calls[i].key, calls[i].want);
        json_decref(reply);
        eng_call_end(e, box);
    }
    assert_actor(e, "srv", "state", "{\"total\": 10}");
    assert_status(e, "srv", "waiting");
    close_eng(e);
}
END_TEST

/* A receive with a timeout resumes with msg nil and a.timed_out. */
START_TEST(test_receive_timeout)
{
    struct eng *e = lopen();
    spawn(e, "t", "lua_timeout", NULL);
    run(e);
    assert_status(e, "t", "waiting");
    sleep_ms(40);
    run(e);
    assert_actor(e, "t", "result", "\"done\"");
    assert_actor(e, "t", "state", "{\"timed_out\": true, \"msg\": \"nil\"}");
    close_eng(e);
}
END_TEST

/* Killing an actor with terminate runs it (here: an empty one). */
START_TEST(test_terminate_runs)
{
    struct eng *e = lopen();
    spawn(e, "acc", "account", NULL);
    run(e);
    json_t *doc = NULL;
    ck_assert_int_eq(eng_kill(e, "acc", &doc), AD_OK);
    json_decref(doc);
    assert_status(e, "acc", "killed");
    close_eng(e);
}
END_TEST

static int
compile_register(const char *name, const char *src)
{
    char err[512];
    struct behavior *b = NULL;
    if (luab_compile(name, 1, src, strlen(src), &b, err, sizeof err) != 0) {
        fprintf(stderr, "luab_compile %s: %s\n", name, err);
        return -1;
    }
    compiled[ncompiled++] = b;
    if (actor_register(b) != 0) {
        fprintf(stderr, "actor_register %s failed\n", name);
        return -1;
    }
    return 0;
}

int
main(void)
{
    if (compile_register("account", account_src) != 0 ||
        compile_register("echo", echo_src) != 0 ||
        compile_register("lua_ring", ring_src) != 0 ||
        compile_register("lua_misc", misc_src) != 0 ||
        compile_register("lua_server", server_src) != 0 ||
        compile_register("lua_timeout", timeout_src) != 0)
        return 1;
    Suite *s = suite_create("lua_handle");
    TCase *tc = tcase("handle");
    tcase_add_test(tc, test_account);
    tcase_add_test(tc, test_account_check_args);
    tcase_add_test(tc, test_echo);
    tcase_add_test(tc, test_ring_100);
    tcase_add_test(tc, test_handle_methods);
    tcase_add_test(tc, test_bad_endings);
    tcase_add_test(tc, test_dispatch);
    tcase_add_test(tc, test_receive_timeout);
    tcase_add_test(tc, test_terminate_runs);
    suite_add_tcase(s, tc);
    int rc = run_suite(s);
    for (int i = 0; i < ncompiled; i++)
        luab_free(compiled[i]);
    return rc;
}
