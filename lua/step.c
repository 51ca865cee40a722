/*
 * step.c - the trampolines that struct behavior points at (step,
 * terminate, upgrade), and luab_check_args and luab_upgrade.  One C
 * step function serves every Lua behaviour: actor_behavior(a)->data is
 * the compiled behaviour.
 *
 * A step: the handler of the resume point (0: start) is called as
 * handler(a, msg, i), msg the matched message (nil on the first step or
 * a timeout) and i the 1-based index of the shape it matched, inside
 * luab__pcall; the state is stored; then, outside Lua, the end the
 * handler returned becomes actor_receive, actor_call, actor_exit or
 * actor_fail.
 */
#include <stdlib.h>
#include <string.h>

#include "lua/luab_int.h"

static const struct behavior *(*resolver)(const char *name, int version);

void
luab_set_resolver(const struct behavior *(*resolve)(const char *, int))
{
    resolver = resolve;
}

void
luab__push_table(lua_State *L)
{
    struct luab *lb = luab__of(L);
    luaL_checkstack(L, 4, "the behaviour table");
    lua_rawgeti(L, LUA_REGISTRYINDEX, lb->chunk_ref);
    lua_call(L, 0, 1);
    if (!lua_istable(L, -1))
        luaL_error(L,
                   "%s: the chunk returned a %s this time, not the "
                   "behaviour table",
                   lb->name, luaL_typename(L, -1));
}

/* Pushes the handler name of the table at t; raises when it is not a
 * function. */
static void
push_handler(lua_State *L, int t, const char *name)
{
    if (lua_getfield(L, t, name) != LUA_TFUNCTION)
        luaL_error(L, "%s: the behaviour table has no function %s",
                   luab__of(L)->name, name);
}

/* Frees what the handler's end holds. */
static void
run_clear(struct luab_run *r)
{
    json_decref(r->shapes);
    json_decref(r->to);
    json_decref(r->value);
    free(r->method);
    free(r->message);
    free(r->why);
    r->shapes = r->to = r->value = NULL;
    r->method = r->message = r->why = NULL;
}

static int
step_body(lua_State *L)
{
    struct luab *lb = luab__of(L);
    struct luab_run *r = lb->run;
    struct actor *a = r->a;
    luab__reseed(L);
    luab__push_table(L);
    int t = lua_gettop(L);
    luab__push_handle(L, r);
    int h = lua_gettop(L);
    push_handler(L, t, r->handler);
    lua_pushvalue(L, h);
    const json_t *msg = actor_message(a);
    luab__push_json(L, msg);
    if (msg != NULL)
        lua_pushinteger(L, actor_matched(a) + 1);
    else
        lua_pushnil(L);
    lua_call(L, 3, LUA_MULTRET);
    int n = lua_gettop(L) - h;
    if (n != 1 || lua_touserdata(L, -1) != &luab__marker ||
        r->end == LUAB_END_NONE)
        luaL_error(L,
                   "%s: handler %s returned %s; a handler ends by returning "
                   "a:receive(...), a:call(...), a:exit(...) or a:fail(...)",
                   lb->name, r->handler, n == 0 ? "nothing" : "something else");
    luab__store_state(L, h, r);
    return 0;
}

enum actor_step
luab__step(struct actor *a)
{
    struct luab *lb = actor_behavior(a)->data;
    struct luab_run r = {.a = a, .timeout_ms = -1};
    int point = actor_resume_point(a);
    r.handler = luab_point_name(&lb->b, point);
    if (r.handler == NULL)
        return actor_fail(a, "%s version %d has no resume point %d", lb->name,
                          lb->b.version, point);
    if (luab__pcall(lb, step_body, &r) != 0) {
        run_clear(&r);
        return actor_fail(a, "%s", r.err);
    }
    enum actor_step s;
    switch (r.end) {
    case LUAB_END_RECEIVE:
        s = r.timeout_ms < 0
                ? actor_receive(a, r.point, r.shapes)
                : actor_receive_timeout(a, r.point, r.shapes, r.timeout_ms);
        r.shapes = NULL; /* stolen */
        break;
    case LUAB_END_CALL:
        s = actor_call(a, r.point, r.to, r.method, r.value, r.timeout_ms);
        r.value = NULL; /* stolen */
        break;
    case LUAB_END_EXIT:
        s = actor_exit(a, r.value);
        r.value = NULL; /* stolen */
        break;
    default:
        s = actor_fail(a, "%s", r.message ? r.message : "failed");
        break;
    }
    run_clear(&r);
    return s;
}

static int
terminate_body(lua_State *L)
{
    struct luab_run *r = luab__of(L)->run;
    luab__reseed(L);
    luab__push_table(L);
    int t = lua_gettop(L);
    luab__push_handle(L, r);
    int h = lua_gettop(L);
    push_handler(L, t, "terminate");
    lua_pushvalue(L, h);
    luab__push_json(L, r->arg);
    lua_call(L, 2, 0);
    luab__store_state(L, h, r);
    return 0;
}

/* What terminate does with a:receive, a:exit or a:fail: nothing (the
 * kill stands).  An error in it, or a budget spent, goes to actor_fail,
 * which the engine ignores during a kill: its effects are those of
 * behavior.h's terminate that failed. */
void
luab__terminate(struct actor *a, const json_t *reason)
{
    struct luab *lb = actor_behavior(a)->data;
    struct luab_run r = {.a = a, .arg = reason, .timeout_ms = -1};
    if (luab__pcall(lb, terminate_body, &r) != 0)
        actor_fail(a, "%s", r.err);
    run_clear(&r);
}

static int
migrate_body(lua_State *L)
{
    struct luab *lb = luab__of(L);
    struct luab_run *r = lb->run;
    luab__push_table(L);
    int t = lua_gettop(L);
    luab__push_handle(L, r);
    int h = lua_gettop(L);
    push_handler(L, t, "migrate");
    lua_pushvalue(L, h);
    lua_pushinteger(L, r->from_version);
    lua_pushstring(L, r->handler);
    lua_call(L, 3, 1);
    if (lua_isnil(L, -1)) {
        r->point = -1;
        snprintf(r->err, sizeof r->err, "%s: migrate refused", lb->name);
        return 0;
    }
    const char *to = lua_tostring(L, -1);
    if (lua_type(L, -1) != LUA_TSTRING || luab_point(&lb->b, to) <= 0)
        luaL_error(L,
                   "%s: migrate must return the name of a handler to go on "
                   "at, or nil",
                   lb->name);
    r->point = luab_point(&lb->b, to);
    luab__store_state(L, h, r);
    return 0;
}

int
luab_upgrade(const struct behavior *b, struct actor *a, int from_version,
             const char *from_point, char *why, size_t len)
{
    struct luab *lb = b->data;
    if (!lb->has_migrate) {
        int p = luab_point(b, from_point);
        if (p < 0)
            snprintf(why, len, "%s version %d has no handler %s", lb->name,
                     b->version, from_point);
        return p;
    }
    struct luab_run r = {.a = a,
                         .handler = from_point,
                         .from_version = from_version,
                         .timeout_ms = -1};
    int rc = luab__pcall(lb, migrate_body, &r);
    run_clear(&r);
    if (rc != 0 || r.point < 0) {
        snprintf(why, len, "%s", r.err);
        return -1;
    }
    return r.point;
}

int
luab__upgrade(struct actor *a, int from_version, int point)
{
    const struct behavior *b = actor_behavior(a);
    const struct behavior *old =
        resolver ? resolver(b->name, from_version) : NULL;
    const char *name =
        old && luab_is_lua(old) ? luab_point_name(old, point) : NULL;
    char why[256];
    return name ? luab_upgrade(b, a, from_version, name, why, sizeof why) : -1;
}

static int
check_body(lua_State *L)
{
    struct luab_run *r = luab__of(L)->run;
    luab__push_table(L);
    push_handler(L, lua_gettop(L), "check_args");
    if (r->arg != NULL)
        luab__push_json(L, r->arg);
    else
        lua_newtable(L);
    lua_call(L, 1, 1);
    if (lua_isnil(L, -1))
        return 0;
    if (lua_type(L, -1) != LUA_TSTRING)
        luaL_error(L, "check_args returned a %s, not a string or nil",
                   luaL_typename(L, -1));
    r->why = strdup(lua_tostring(L, -1));
    if (r->why == NULL)
        luaL_error(L, "out of memory");
    return 0;
}

const char *
luab_check_args(const struct behavior *b, const json_t *args, char *why,
                size_t len)
{
    struct luab *lb = b->data;
    if (!lb->has_check_args)
        return NULL;
    struct luab_run r = {.arg = args, .timeout_ms = -1};
    const char *out = NULL;
    if (luab__pcall(lb, check_body, &r) != 0) {
        snprintf(why, len, "%s", r.err);
        out = why;
    } else if (r.why != NULL) {
        snprintf(why, len, "%s", r.why);
        out = why;
    }
    run_clear(&r);
    return out;
}
