/*
 * sandbox.c - the lua_State of a compiled behaviour: the allocator that
 * keeps the memory budget, the count hook that keeps the instruction
 * budget, the libraries the sandbox opens (read-only), and luab__pcall,
 * through which every run into Lua goes.
 *
 * Sandbox decisions (LUA.md, "The sandbox"):
 *   - base without load, loadfile, dofile, collectgarbage, print, warn;
 *     string without dump; table, math, utf8; the module actord.  No io,
 *     os, package (so no require), debug, coroutine.
 *   - The global table and every library table is an empty proxy whose
 *     metatable reads through to the real table and refuses writes; the
 *     real tables are reachable from no Lua value.  rawset refuses a
 *     read-only table; pairs over one walks the real table.
 *   - getmetatable on a string, a proxy or the actor handle gives false,
 *     on an actord array the string "actord.array": no metatable of ours
 *     can be reached, so none can be changed.
 *   - setmetatable refuses a metatable with __gc: finalizers run with
 *     Lua's hooks off (an endless __gc would escape the budget, or hang
 *     lua_close).  For the same reason xpcall calls its message handler
 *     after unwinding (safe_xpcall).
 *   - Binary chunks are refused (load mode "t", in compile.c).
 */
#include <stdlib.h>
#include <string.h>

#include <lualib.h>

#include "lua/luab_int.h"

long long luab__instructions = LUAB_INSTRUCTIONS_DEFAULT;
long long luab__memory = LUAB_MEMORY_DEFAULT;

static int (*fence_enter)(void);
static void (*fence_leave)(int *);

/* Registry keys: the error value the hook raises, the mark of a
 * read-only table's metatable, the real math.randomseed. */
static char budget_key, readonly_key, reseed_key;

void
luab_set_fence(int (*enter)(void), void (*leave)(int *))
{
    fence_enter = enter;
    fence_leave = leave;
}

struct luab *
luab__of(lua_State *L)
{
    return *(struct luab **)lua_getextraspace(L);
}

/* ---- the budgets ---- */

static void budget_hook(lua_State *L, lua_Debug *ar);

/* The count of the hook between two checks of the budget. */
static int
hook_every(const struct luab *lb)
{
    return lb->instr_limit < LUAB_HOOK_EVERY ? (int)lb->instr_limit
                                             : LUAB_HOOK_EVERY;
}

/* Calls the hook every count instructions (count 1 after a refusal: the
 * budget is checked at the next instruction). */
static void
set_hook(struct luab *lb, int count)
{
    lb->hook_count = count;
    lua_sethook(lb->L, budget_hook, LUA_MASKCOUNT, count);
}

static void
budget_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    struct luab *lb = luab__of(L);
    if (lb->hit == LUAB_HIT_NONE) {
        if (lb->refused.on) {
            lb->hit = LUAB_HIT_MEMORY; /* the refusal stood */
        } else {
            lb->instr_used += lb->hook_count;
            if (lb->instr_used >= lb->instr_limit)
                lb->hit = LUAB_HIT_TIME;
            else if (lb->hook_count != hook_every(lb))
                set_hook(lb, hook_every(lb)); /* the retry went through */
        }
    }
    if (lb->hit != LUAB_HIT_NONE) {
        /* From now on at every instruction: a pcall in the behaviour
         * that caught this cannot go on. */
        set_hook(lb, 1);
        lua_pushlightuserdata(L, &budget_key); /* allocates nothing */
        lua_error(L);
    }
}

static void
fenced_free(void *p)
{
    int f = fence_enter ? fence_enter() : 0;
    free(p);
    if (fence_leave)
        fence_leave(&f);
}

/*
 * The lua_Alloc of every state: counts the bytes the state holds and
 * refuses growth beyond lb->mem_limit.  Lua answers a refusal with a full
 * collection and one retry of the same request: a retry refused again,
 * or any other growth after a refusal (it stood), spends the memory
 * budget, and then every growth is refused until the run ends.
 */
static void *
budget_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    struct luab *lb = ud;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        fenced_free(ptr);
        lb->mem_used -= old;
        return NULL;
    }
    if (nsize > old) {
        int over = lb->mem_used - old + nsize > lb->mem_limit;
        if (lb->refused.on) {
            int retry = lb->refused.ptr == ptr && lb->refused.osize == osize &&
                        lb->refused.nsize == nsize;
            lb->refused.on = 0;
            if (!retry || over)
                lb->hit = LUAB_HIT_MEMORY;
        }
        if (lb->hit == LUAB_HIT_MEMORY || over) {
            if (lb->hit != LUAB_HIT_MEMORY) {
                lb->refused.on = 1;
                lb->refused.ptr = ptr;
                lb->refused.osize = osize;
                lb->refused.nsize = nsize;
            }
            if (lb->L != NULL && lb->run != NULL)
                set_hook(lb, 1);
            return NULL;
        }
    }
    int f = fence_enter ? fence_enter() : 0;
    void *p = realloc(ptr, nsize);
    if (fence_leave)
        fence_leave(&f);
    if (p != NULL)
        lb->mem_used = lb->mem_used - old + nsize;
    return p;
}

int
luab__state_new(struct luab *lb)
{
    /* The state's own set-up is under the budget too, but never refused
     * for it: limits apply from the first run. */
    lb->mem_limit = (size_t)-1;
    lua_State *L = lua_newstate(budget_alloc, lb);
    if (L == NULL)
        return -1;
    *(struct luab **)lua_getextraspace(L) = lb;
    lb->L = L;
    return 0;
}

void
luab__recheck(lua_State *L)
{
    struct luab *lb = luab__of(L);
    if (lb->refused.on)
        lb->hit = LUAB_HIT_MEMORY;
    if (lb->hit != LUAB_HIT_NONE) {
        lua_pushlightuserdata(L, &budget_key);
        lua_error(L);
    }
}

void
luab__hold(lua_State *L, json_t *v)
{
    struct luab_run *r = luab__of(L)->run;
    if (v == NULL)
        return;
    for (int i = 0; i < LUAB_HELD_MAX; i++)
        if (r->held[i] == NULL) {
            r->held[i] = v;
            return;
        }
    json_decref(v);
    luaL_error(L, "luab: too many values held");
}

json_t *
luab__take(lua_State *L, json_t *v)
{
    struct luab_run *r = luab__of(L)->run;
    for (int i = 0; v != NULL && i < LUAB_HELD_MAX; i++)
        if (r->held[i] == v) {
            r->held[i] = NULL;
            break;
        }
    return v;
}

void
luab__release(lua_State *L, json_t *v)
{
    struct luab_run *r = luab__of(L)->run;
    for (int i = 0; v != NULL && i < LUAB_HELD_MAX; i++)
        if (r->held[i] == v) {
            r->held[i] = NULL;
            break;
        }
    json_decref(v);
}

/* Copies the error at the top of L (a string, a number, or another value
 * named by its type) into err; allocates nothing. */
static void
error_text(lua_State *L, char *err, size_t len)
{
    int t = lua_type(L, -1);
    if (t == LUA_TSTRING)
        snprintf(err, len, "%s", lua_tostring(L, -1));
    else if (t == LUA_TNUMBER && lua_isinteger(L, -1))
        snprintf(err, len, "%lld", (long long)lua_tointeger(L, -1));
    else if (t == LUA_TNUMBER)
        snprintf(err, len, "%.17g", (double)lua_tonumber(L, -1));
    else
        snprintf(err, len, "an error value of type %s", lua_typename(L, t));
}

int
luab__pcall(struct luab *lb, lua_CFunction body, struct luab_run *r)
{
    lua_State *L = lb->L;
    struct luab_run *outer = lb->run;
    lb->run = r;
    lb->instr_limit = luab__instructions;
    lb->instr_used = 0;
    lb->mem_limit = (size_t)luab__memory;
    lb->hit = LUAB_HIT_NONE;
    lb->refused.on = 0;
    lua_settop(L, 0);
    set_hook(lb, hook_every(lb));
    lua_pushcfunction(L, body);
    int status = lua_pcall(L, 0, 0, 0);
    lua_sethook(L, NULL, 0, 0);
    lb->hook_count = 0;
    if (lb->refused.on)
        lb->hit = LUAB_HIT_MEMORY;
    if (lb->hit == LUAB_HIT_TIME)
        snprintf(r->err, sizeof r->err,
                 "step_timeout: %s ran over its budget of %lld Lua "
                 "instructions",
                 lb->name, lb->instr_limit);
    else if (lb->hit == LUAB_HIT_MEMORY)
        snprintf(r->err, sizeof r->err,
                 "memory_limit: %s went over its budget of %zu bytes of "
                 "Lua memory",
                 lb->name, lb->mem_limit);
    else if (status != LUA_OK)
        error_text(L, r->err, sizeof r->err);
    int failed = status != LUA_OK || lb->hit != LUAB_HIT_NONE;
    lua_settop(L, 0);
    for (int i = 0; i < LUAB_HELD_MAX; i++) {
        json_decref(r->held[i]);
        r->held[i] = NULL;
    }
    lb->hit = LUAB_HIT_NONE;
    lb->refused.on = 0;
    lb->mem_limit = (size_t)-1;
    lb->run = outer;
    return failed ? -1 : 0;
}

/* ---- the libraries ---- */

static int
readonly_newindex(lua_State *L)
{
    if (lua_type(L, 2) == LUA_TSTRING)
        return luaL_error(L,
                          "cannot set %s: the globals and the library "
                          "tables are read-only (keep data in a.state)",
                          lua_tostring(L, 2));
    return luaL_error(L, "the globals and the library tables are read-only");
}

/* The iterator of pairs over a read-only proxy: next over the real
 * table, its upvalue, which it never hands out. */
static int
readonly_next(lua_State *L)
{
    lua_settop(L, 2);
    if (lua_next(L, lua_upvalueindex(1)))
        return 2;
    lua_pushnil(L);
    return 1;
}

static int
readonly_pairs(lua_State *L)
{
    lua_getmetatable(L, 1);
    lua_getfield(L, -1, "__index");
    lua_pushcclosure(L, readonly_next, 1);
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    return 3;
}

/* Replaces the table at the top with a read-only proxy of it. */
static void
make_readonly(lua_State *L)
{
    lua_newtable(L);          /* t proxy */
    lua_createtable(L, 0, 5); /* t proxy mt */
    lua_pushvalue(L, -3);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, readonly_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_pushcfunction(L, readonly_pairs);
    lua_setfield(L, -2, "__pairs");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_pushboolean(L, 1);
    lua_rawsetp(L, -2, &readonly_key);
    lua_setmetatable(L, -2); /* t proxy */
    lua_remove(L, -2);
}

static int
is_readonly(lua_State *L, int idx)
{
    if (!lua_getmetatable(L, idx))
        return 0;
    int ro = lua_rawgetp(L, -1, &readonly_key) != LUA_TNIL;
    lua_pop(L, 2);
    return ro;
}

static int
safe_rawset(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_checkany(L, 2);
    luaL_checkany(L, 3);
    if (is_readonly(L, 1))
        return luaL_error(L, "rawset: the globals and the library tables "
                             "are read-only");
    lua_settop(L, 3);
    lua_rawset(L, 1);
    return 1;
}

/*
 * xpcall(f, msgh, ...), with msgh called after the stack unwinds rather
 * than where the error was raised.  Lua calls a message handler at the
 * raise, and an error raised by the count hook is raised inside the
 * hook, where hooks are off: the real xpcall would run msgh (an endless
 * loop, say) with no budget.  Without debug a handler cannot look at the
 * stack anyway, so it sees the same error value.  A budget spent is
 * raised again, never handled.
 */
static int
safe_xpcall(lua_State *L)
{
    int n = lua_gettop(L);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    luaL_checkstack(L, n + 2, "xpcall");
    lua_pushvalue(L, 1);
    for (int i = 3; i <= n; i++)
        lua_pushvalue(L, i);
    int status = lua_pcall(L, n - 2, LUA_MULTRET, 0);
    luab__recheck(L);
    if (status == LUA_OK) {
        lua_pushboolean(L, 1);
        lua_insert(L, n + 1);
        return lua_gettop(L) - n;
    }
    lua_pushvalue(L, 2);
    lua_insert(L, -2);
    lua_pcall(L, 1, 1, 0);
    luab__recheck(L);
    lua_pushboolean(L, 0);
    lua_insert(L, -2);
    return 2;
}

static int
safe_setmetatable(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    if (lua_type(L, 2) == LUA_TTABLE) {
        lua_pushliteral(L, "__gc");
        if (lua_rawget(L, 2) != LUA_TNIL)
            return luaL_error(L, "setmetatable: __gc is not available in "
                                 "the sandbox");
        lua_pop(L, 1);
    }
    if (is_readonly(L, 1))
        return luaL_error(L, "cannot change a protected metatable");
    lua_settop(L, 2);
    if (!lua_isnil(L, 2) && !lua_istable(L, 2))
        return luaL_typeerror(L, 2, "nil or table");
    if (luaL_getmetafield(L, 1, "__metatable") != LUA_TNIL)
        return luaL_error(L, "cannot change a protected metatable");
    lua_setmetatable(L, 1);
    return 1;
}

void
luab__reseed(lua_State *L)
{
    lua_rawgetp(L, LUA_REGISTRYINDEX, &reseed_key);
    lua_call(L, 0, 0);
}

/* Opens one library as name in the real globals (at index g), keeping
 * only what the sandbox allows; drops are the members removed. */
static void
open_lib(lua_State *L, int g, const char *name, lua_CFunction open,
         const char *const *drops)
{
    luaL_requiref(L, name, open, 0);
    for (size_t i = 0; drops != NULL && drops[i] != NULL; i++) {
        lua_pushnil(L);
        lua_setfield(L, -2, drops[i]);
    }
    if (g != 0)
        lua_setfield(L, g, name);
    else
        lua_pop(L, 1);
}

void
luab__open(lua_State *L)
{
    static const char *const base_drops[] = {
        "load",  "loadfile", "dofile",  "collectgarbage",
        "print", "warn",     "require", NULL};
    static const char *const string_drops[] = {"dump", NULL};
    luaL_checkstack(L, 20, "luab__open");
    /* The base library opens into the real globals, which luaL_requiref
     * finds in the registry. */
    luaL_requiref(L, LUA_GNAME, luaopen_base, 0);
    int g = lua_gettop(L);
    for (size_t i = 0; base_drops[i] != NULL; i++) {
        lua_pushnil(L);
        lua_setfield(L, g, base_drops[i]);
    }
    lua_pushcfunction(L, safe_rawset);
    lua_setfield(L, g, "rawset");
    lua_pushcfunction(L, safe_setmetatable);
    lua_setfield(L, g, "setmetatable");
    lua_pushcfunction(L, safe_xpcall);
    lua_setfield(L, g, "xpcall");
    open_lib(L, g, LUA_STRLIBNAME, luaopen_string, string_drops);
    open_lib(L, g, LUA_TABLIBNAME, luaopen_table, NULL);
    open_lib(L, g, LUA_MATHLIBNAME, luaopen_math, NULL);
    open_lib(L, g, LUA_UTF8LIBNAME, luaopen_utf8, NULL);
    luab__push_actord(L);
    lua_setfield(L, g, "actord");
    luab__handle_init(L);

    /* The real math.randomseed, for luab__reseed. */
    lua_getfield(L, g, LUA_MATHLIBNAME);
    lua_getfield(L, -1, "randomseed");
    lua_rawsetp(L, LUA_REGISTRYINDEX, &reseed_key);
    lua_pop(L, 1);

    /* The string metatable: __index stays the real string table, and
     * getmetatable("") gives false. */
    lua_pushliteral(L, "");
    lua_getmetatable(L, -1);
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 2);

    /* Every library read-only, then the globals: the proxy is _G, _ENV
     * of every chunk loaded from now on, and the registry's globals. */
    static const char *const libs[] = {LUA_STRLIBNAME,  LUA_TABLIBNAME,
                                       LUA_MATHLIBNAME, LUA_UTF8LIBNAME,
                                       "actord",        NULL};
    for (size_t i = 0; libs[i] != NULL; i++) {
        lua_getfield(L, g, libs[i]);
        make_readonly(L);
        lua_setfield(L, g, libs[i]);
    }
    lua_pushvalue(L, g);
    make_readonly(L);
    lua_pushvalue(L, -1);
    lua_setfield(L, g, LUA_GNAME);
    lua_rawseti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
    /* The real globals stay in the registry's loaded table as _G, which
     * no Lua value reaches (package is not open); drop it too. */
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
    lua_pushnil(L);
    lua_setfield(L, -2, LUA_GNAME);
    lua_pushnil(L);
    lua_setfield(L, -2, LUA_STRLIBNAME);
    lua_pushnil(L);
    lua_setfield(L, -2, LUA_TABLIBNAME);
    lua_pushnil(L);
    lua_setfield(L, -2, LUA_MATHLIBNAME);
    lua_pushnil(L);
    lua_setfield(L, -2, LUA_UTF8LIBNAME);
    lua_settop(L, g - 1);
}
