/*
 * handle.c - the actor handle a that every handler gets (LUA.md, "The
 * actor handle"): a fresh table per run with the fields name, version,
 * args, state, waiting_for and timed_out, and the methods of its
 * metatable, each a thin entry that checks its arguments, converts them
 * to JSON and calls the function of actord/behavior.h.
 *
 * The methods that end a handler (receive, call, exit, fail) record the
 * end in the run and return luab__marker, which the handler must return;
 * the trampoline (step.c) makes the engine call.  Every JSON value a
 * method holds while it calls Lua is held by the run (luab__hold), so
 * that a Lua error frees it.
 */
#include <stdlib.h>
#include <string.h>

#include "lua/luab_int.h"

char luab__marker;

/* Registry keys: the handle's metatable, the handle of the run. */
static char mt_key, handle_key;

/* The run of the handle at index 1; raises unless it is this run's
 * handle and the run has an actor. */
static struct luab_run *
check_handle(lua_State *L)
{
    struct luab_run *r = luab__of(L)->run;
    lua_rawgetp(L, LUA_REGISTRYINDEX, &handle_key);
    int ok = lua_rawequal(L, 1, -1);
    lua_pop(L, 1);
    if (!ok || r == NULL || r->a == NULL)
        luaL_error(L, "call the methods of the actor handle as a:method(...), "
                      "during its handler");
    return r;
}

/* The JSON of the argument at idx, held by the run (new: release or
 * take it); raises with the path when it is not JSON. */
static json_t *
arg_json(lua_State *L, int idx, const char *what, int nil_ok)
{
    char err[512];
    json_t *v = luab__to_json(L, idx, what, nil_ok, err, sizeof err);
    if (v == NULL)
        luaL_error(L, "%s", err);
    luab__hold(L, v);
    return v;
}

/* Pushes v (new reference, may be NULL: nil) and drops it. */
static void
push_new(lua_State *L, json_t *v)
{
    luab__hold(L, v);
    luab__push_json(L, v);
    luab__release(L, v);
}

/* Raises when the handler already ended. */
static void
check_not_ended(lua_State *L, struct luab_run *r, const char *what)
{
    if (r->end != LUAB_END_NONE)
        luaL_error(L,
                   "%s: the handler has already ended (it ends with one "
                   "of a:receive, a:call, a:exit, a:fail)",
                   what);
}

/* The point of the handler named at idx; raises when there is none. */
static int
check_point(lua_State *L, int idx, const char *what)
{
    const char *name = luaL_checkstring(L, idx);
    int p = luab_point(&luab__of(L)->b, name);
    if (p <= 0)
        luaL_error(L, "%s: %s is not a handler of this behaviour%s", what, name,
                   p == 0 ? " that a step can resume at" : "");
    return p;
}

static int
h_self(lua_State *L)
{
    struct luab_run *r = check_handle(L);
    push_new(L, actor_self(r->a));
    return 1;
}

static int
h_receive(lua_State *L)
{
    struct luab_run *r = check_handle(L);
    check_not_ended(L, r, "a:receive");
    int point = check_point(L, 2, "a:receive");
    lua_Integer ms = luaL_optinteger(L, 4, -1);
    if (lua_isnoneornil(L, 4))
        ms = -1;
    else if (ms < 0 || ms > ACTOR_MAX_DELAY_MS)
        return luaL_error(L, "a:receive: timeout_ms must be 0 to %lld",
                          (long long)ACTOR_MAX_DELAY_MS);
    json_t *shapes = arg_json(L, 3, "shapes", 0);
    if (!json_is_array(shapes) || json_array_size(shapes) == 0)
        return luaL_error(L, "a:receive: shapes must be a non-empty list of "
                             "shapes");
    r->shapes = luab__take(L, shapes);
    r->point = point;
    r->timeout_ms = ms;
    r->end = LUAB_END_RECEIVE;
    lua_pushlightuserdata(L, &luab__marker);
    return 1;
}

static int
h_call(lua_State *L)
{
    struct luab_run *r = check_handle(L);
    check_not_ended(L, r, "a:call");
    int point = check_point(L, 2, "a:call");
    const char *method = luaL_checkstring(L, 4);
    lua_Integer ms = luaL_checkinteger(L, 6);
    if (ms < 0 || ms > ACTOR_MAX_DELAY_MS)
        return luaL_error(L, "a:call: timeout_ms must be 0 to %lld",
                          (long long)ACTOR_MAX_DELAY_MS);
    json_t *to = arg_json(L, 3, "to", 0);
    json_t *payload = arg_json(L, 5, "payload", 1);
    if (actor_address_name(to) == NULL)
        return luaL_error(L, "a:call: to is not an address");
    char *m = strdup(method);
    if (m == NULL)
        return luaL_error(L, "a:call: out of memory");
    r->method = m;
    r->to = luab__take(L, to);
    r->value = luab__take(L, payload);
    r->point = point;
    r->timeout_ms = ms;
    r->end = LUAB_END_CALL;
    lua_pushlightuserdata(L, &luab__marker);
    return 1;
}

static int
h_exit(lua_State *L)
{
    struct luab_run *r = check_handle(L);
    check_not_ended(L, r, "a:exit");
    r->value = luab__take(L, arg_json(L, 2, "result", 1));
    r->end = LUAB_END_EXIT;
    lua_pushlightuserdata(L, &luab__marker);
    return 1;
}

static int
h_fail(lua_State *L)
{
    struct luab_run *r = check_handle(L);
    check_not_ended(L, r, "a:fail");
    const char *msg = luaL_tolstring(L, 2, NULL);
    r->message = strdup(msg);
    if (r->message == NULL)
        return luaL_error(L, "a:fail: out of memory");
    r->end = LUAB_END_FAIL;
    lua_pushlightuserdata(L, &luab__marker);
    return 1;
}

static int
h_send(lua_State *L)
{
    struct luab_run *r = check_handle(L);
    json_t *to = arg_json(L, 2, "to", 0);
    json_t *msg = arg_json(L, 3, "msg", 0);
    int rc = actor_send(r->a, to, luab__take(L, msg));
    luab__release(L, to);
    static const char *const why[] = {NULL, "dead", "unknown", "refused"};
    if (rc < 0)
        return luaL_error(L, "a:send: to is not an address");
    lua_pushboolean(L, rc == ACTOR_SENT);
    if (rc == ACTOR_SENT)
        return 1;
    lua_pushstring(L, rc <= ACTOR_SENT_REFUSED ? why[rc] : "refused");
    return 2;
}

/* a:spawn, a:spawn_link, a:spawn_monitor, a:spawn_named. */
static int
spawn_common(lua_State *L, int named, const char *what,
             json_t *(*fn)(struct actor *, const char *, json_t *))
{
    struct luab_run *r = check_handle(L);
    const char *name = named ? luaL_checkstring(L, 2) : NULL;
    const char *behavior = luaL_checkstring(L, 2 + named);
    json_t *args = lua_isnoneornil(L, 3 + named)
                       ? NULL
                       : arg_json(L, 3 + named, "args", 0);
    if (args != NULL && !json_is_object(args))
        return luaL_error(L, "%s: args must be a table with string keys", what);
    json_t *addr =
        named ? actor_spawn_named(r->a, name, behavior, luab__take(L, args))
              : fn(r->a, behavior, luab__take(L, args));
    if (addr == NULL)
        return luaL_error(L,
                          "%s: cannot spawn %s (an unknown behaviour, "
                          "args it refused%s)",
                          what, behavior, named ? ", or a name taken" : "");
    push_new(L, addr);
    return 1;
}

static int
h_spawn(lua_State *L)
{
    return spawn_common(L, 0, "a:spawn", actor_spawn);
}

static int
h_spawn_link(lua_State *L)
{
    return spawn_common(L, 0, "a:spawn_link", actor_spawn_link);
}

static int
h_spawn_monitor(lua_State *L)
{
    return spawn_common(L, 0, "a:spawn_monitor", actor_spawn_monitor);
}

static int
h_spawn_named(lua_State *L)
{
    return spawn_common(L, 1, "a:spawn_named", NULL);
}

/* a:link, a:unlink, a:monitor, a:kill. */
static int
tie_common(lua_State *L, const char *what,
           int (*fn)(struct actor *, const json_t *))
{
    struct luab_run *r = check_handle(L);
    json_t *to = arg_json(L, 2, "address", 0);
    int rc = fn(r->a, to);
    luab__release(L, to);
    if (rc != 0)
        return luaL_error(L, "%s: not an address", what);
    return 0;
}

static int
h_link(lua_State *L)
{
    return tie_common(L, "a:link", actor_link);
}

static int
h_unlink(lua_State *L)
{
    return tie_common(L, "a:unlink", actor_unlink);
}

static int
h_monitor(lua_State *L)
{
    return tie_common(L, "a:monitor", actor_monitor);
}

static int
h_kill(lua_State *L)
{
    return tie_common(L, "a:kill", actor_kill);
}

static int
h_trap_exit(lua_State *L)
{
    struct luab_run *r = check_handle(L);
    luaL_checkany(L, 2);
    actor_trap_exit(r->a, lua_toboolean(L, 2));
    return 0;
}

/* a:respond, a:respond_exception. */
static int
respond_common(lua_State *L, const char *what,
               int (*fn)(struct actor *, const json_t *, json_t *))
{
    struct luab_run *r = check_handle(L);
    json_t *call = arg_json(L, 2, "call", 0);
    json_t *v = arg_json(L, 3, "result", 1);
    int rc = fn(r->a, call, luab__take(L, v));
    luab__release(L, call);
    if (rc != 0)
        return luaL_error(L, "%s: not a call message", what);
    return 0;
}

static int
h_respond(lua_State *L)
{
    return respond_common(L, "a:respond", actor_respond);
}

static int
h_respond_exception(lua_State *L)
{
    return respond_common(L, "a:respond_exception", actor_respond_exception);
}

static int
h_respond_invalid_method(lua_State *L)
{
    struct luab_run *r = check_handle(L);
    json_t *call = arg_json(L, 2, "call", 0);
    int rc = actor_respond_invalid_method(r->a, call);
    luab__release(L, call);
    if (rc != 0)
        return luaL_error(L, "a:respond_invalid_method: not a call message");
    return 0;
}

/* a:dispatch(call, methods): answers call by methods[call.method](a,
 * payload): its result, or the error it raised as an exception (a table
 * as it is, other errors as {"message": TEXT}), or invalid_method. */
static int
h_dispatch(lua_State *L)
{
    struct luab_run *r = check_handle(L);
    luaL_checktype(L, 3, LUA_TTABLE);
    lua_settop(L, 3);
    json_t *call = arg_json(L, 2, "call", 0);
    const char *method = json_string_value(json_object_get(call, "method"));
    if (method == NULL || json_object_get(call, "call") == NULL)
        return luaL_error(L, "a:dispatch: not a call message");
    int rc;
    if (lua_getfield(L, 3, method) != LUA_TFUNCTION) {
        rc = actor_respond_invalid_method(r->a, call);
    } else {
        lua_pushvalue(L, 1);
        lua_getfield(L, 2, "message");
        int status = lua_pcall(L, 2, 1, 0);
        luab__recheck(L); /* a budget is no method's error */
        char err[512];
        json_t *v;
        if (status == LUA_OK) {
            v = arg_json(L, -1, "result", 1);
            rc = actor_respond(r->a, call, luab__take(L, v));
        } else {
            v = lua_istable(L, -1)
                    ? luab__to_json(L, -1, "exception", 0, err, sizeof err)
                    : NULL;
            if (v == NULL) {
                const char *text = lua_tostring(L, -1);
                v = json_pack("{s:s}", "message",
                              text ? text : "a method raised an error");
            }
            rc = actor_respond_exception(r->a, call, v);
        }
    }
    luab__release(L, call);
    if (rc != 0)
        return luaL_error(L, "a:dispatch: not a call message");
    return 0;
}

static int
h_send_after(lua_State *L)
{
    struct luab_run *r = check_handle(L);
    lua_Integer ms = luaL_checkinteger(L, 4);
    lua_Integer every = luaL_optinteger(L, 5, 0);
    json_t *to = arg_json(L, 2, "to", 0);
    json_t *msg = arg_json(L, 3, "msg", 0);
    int64_t id = actor_send_after(r->a, to, luab__take(L, msg), ms, every);
    luab__release(L, to);
    if (id == 0)
        return luaL_error(L, "a:send_after: to is not an address, or a "
                             "delay is below 0 or over a year");
    lua_pushinteger(L, (lua_Integer)id);
    return 1;
}

static int
h_cancel_timer(lua_State *L)
{
    struct luab_run *r = check_handle(L);
    lua_Integer id = luaL_checkinteger(L, 2);
    lua_pushboolean(L, actor_cancel_timer(r->a, id) == 1);
    return 1;
}

static int
h_now(lua_State *L)
{
    struct luab_run *r = check_handle(L);
    lua_pushinteger(L, (lua_Integer)actor_now(r->a));
    return 1;
}

void
luab__handle_init(lua_State *L)
{
    static const luaL_Reg methods[] = {
        {"self", h_self},
        {"receive", h_receive},
        {"send", h_send},
        {"spawn", h_spawn},
        {"spawn_named", h_spawn_named},
        {"spawn_link", h_spawn_link},
        {"spawn_monitor", h_spawn_monitor},
        {"link", h_link},
        {"unlink", h_unlink},
        {"monitor", h_monitor},
        {"trap_exit", h_trap_exit},
        {"kill", h_kill},
        {"call", h_call},
        {"respond", h_respond},
        {"respond_exception", h_respond_exception},
        {"respond_invalid_method", h_respond_invalid_method},
        {"dispatch", h_dispatch},
        {"send_after", h_send_after},
        {"cancel_timer", h_cancel_timer},
        {"exit", h_exit},
        {"fail", h_fail},
        {"now", h_now},
        {NULL, NULL},
    };
    lua_createtable(L, 0, 2);
    luaL_newlib(L, methods);
    lua_setfield(L, -2, "__index");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_rawsetp(L, LUA_REGISTRYINDEX, &mt_key);
}

void
luab__push_handle(lua_State *L, struct luab_run *r)
{
    struct actor *a = r->a;
    struct luab *lb = luab__of(L);
    luaL_checkstack(L, 6, "the actor handle");
    lua_createtable(L, 0, 6);
    lua_pushstring(L, actor_name(a));
    lua_setfield(L, -2, "name");
    lua_pushinteger(L, lb->b.version);
    lua_setfield(L, -2, "version");
    luab__push_json(L, actor_args(a));
    lua_setfield(L, -2, "args");
    luab__push_json(L, actor_state(a));
    lua_setfield(L, -2, "state");
    push_new(L, json_incref((json_t *)actor_waiting_for(a)));
    lua_setfield(L, -2, "waiting_for");
    lua_pushboolean(L, actor_timed_out(a));
    lua_setfield(L, -2, "timed_out");
    lua_rawgetp(L, LUA_REGISTRYINDEX, &mt_key);
    lua_setmetatable(L, -2);
    lua_pushvalue(L, -1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &handle_key);
}

void
luab__store_state(lua_State *L, int h, struct luab_run *r)
{
    char err[512];
    lua_getfield(L, h, "state");
    if (!lua_istable(L, -1))
        luaL_error(L, "a.state must be a table, not a %s",
                   luaL_typename(L, -1));
    json_t *st = luab__to_json(L, -1, "state", 0, err, sizeof err);
    if (st == NULL)
        luaL_error(L, "%s", err);
    if (!json_is_object(st)) {
        json_decref(st);
        luaL_error(L, "a.state must be a table with string keys, not an "
                      "array");
    }
    lua_pop(L, 1);
    actor_set_state(r->a, st);
}
