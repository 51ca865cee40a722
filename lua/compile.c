/*
 * compile.c - luab_compile and luab_free, resume points by name, and the
 * process-wide limits.  Compiling loads the source (text only) in a fresh
 * sandboxed state, runs it once under the budgets and checks the table
 * it returns; the loaded chunk is kept and run again at every step
 * (step.c), so that nothing a step makes outlives it.
 */
#include <stdlib.h>
#include <string.h>

#include "lua/luab_int.h"

void
luab_set_limits(long long instructions, long long memory_bytes)
{
    if (instructions > 0)
        luab__instructions = instructions;
    if (memory_bytes > 0)
        luab__memory = memory_bytes;
}

/* 1 when s is a Lua identifier (not a keyword: those cannot be fields
 * written as a.name anyway, but a table may still hold them). */
static int
is_identifier(const char *s, size_t n)
{
    if (n == 0 || (s[0] >= '0' && s[0] <= '9'))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return 0;
    return 1;
}

/* Loads and runs the source, checks the table; leaves on the stack the
 * doc (string or nil) and a list of the handler names, and sets the
 * chunk's reference. */
static int
compile_body(lua_State *L)
{
    struct luab *lb = luab__of(L);
    struct luab_run *r = lb->run;
    char chunkname[80];
    luab__open(L);
    snprintf(chunkname, sizeof chunkname, "=%s", lb->name);
    if (luaL_loadbufferx(L, r->src, r->len, chunkname, "t") != LUA_OK)
        return lua_error(L);
    lua_pushvalue(L, -1);
    lb->chunk_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_call(L, 0, 1);
    if (!lua_istable(L, -1))
        return luaL_error(L,
                          "%s: the chunk must return a table (the "
                          "behaviour), not a %s",
                          lb->name, luaL_typename(L, -1));
    int t = lua_gettop(L);
    lua_pushnil(L);  /* doc */
    lua_newtable(L); /* names */
    int names = t + 2;
    int n = 0, has_start = 0;
    lua_pushnil(L);
    while (lua_next(L, t)) {
        if (lua_type(L, -2) != LUA_TSTRING)
            return luaL_error(L,
                              "%s: the behaviour table has a key of type "
                              "%s; its members are named by strings",
                              lb->name, luaL_typename(L, -2));
        size_t klen;
        const char *k = lua_tolstring(L, -2, &klen);
        int fn = lua_type(L, -1) == LUA_TFUNCTION;
        if (strcmp(k, "doc") == 0) {
            if (lua_type(L, -1) != LUA_TSTRING)
                return luaL_error(L, "%s: doc must be a string", lb->name);
            lua_pushvalue(L, -1);
            lua_replace(L, t + 1);
        } else if (strcmp(k, "start") == 0 || strcmp(k, "check_args") == 0 ||
                   strcmp(k, "terminate") == 0 || strcmp(k, "migrate") == 0) {
            if (!fn)
                return luaL_error(L, "%s: %s must be a function, not a %s",
                                  lb->name, k, luaL_typename(L, -1));
            has_start |= k[0] == 's';
            lb->has_check_args |= k[0] == 'c';
            lb->has_terminate |= k[0] == 't';
            lb->has_migrate |= k[0] == 'm';
        } else if (!is_identifier(k, klen)) {
            return luaL_error(L,
                              "%s: member \"%s\" is not a handler name "
                              "(letters, digits and _)",
                              lb->name, k);
        } else if (!fn) {
            return luaL_error(L,
                              "%s: member %s is a %s; handlers are "
                              "functions",
                              lb->name, k, luaL_typename(L, -1));
        } else {
            lua_pushvalue(L, -2);
            lua_rawseti(L, names, ++n);
        }
        lua_pop(L, 1);
    }
    if (!has_start)
        return luaL_error(L, "%s: the behaviour table has no function start",
                          lb->name);
    lua_settop(L, names);
    lua_remove(L, t);
    return 0;
}

static int
cmp_names(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

static int
valid_name(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 64)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
              s[i] == '_'))
            return 0;
    return 1;
}

/* The pcall of luab__pcall leaves nothing on the stack: the body keeps
 * its results in a registry table instead. */
static char results_key;

static int
compile_entry(lua_State *L)
{
    compile_body(L);
    /* stack: doc names */
    lua_createtable(L, 2, 0);
    lua_insert(L, -3);
    lua_rawseti(L, -3, 2);
    lua_rawseti(L, -2, 1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &results_key);
    return 0;
}

/* Copies the results of compile_entry into lb; never raises.  Returns
 * 0, or -1 when out of memory. */
static int
take_results(struct luab *lb)
{
    lua_State *L = lb->L;
    lua_rawgetp(L, LUA_REGISTRYINDEX, &results_key);
    lua_rawgeti(L, -1, 1);
    const char *doc = lua_tostring(L, -1); /* a string or nil */
    lb->doc = strdup(doc ? doc : "");
    lua_pop(L, 1);
    lua_rawgeti(L, -1, 2);
    int n = (int)lua_rawlen(L, -1);
    lb->points = calloc((size_t)n + 1, sizeof *lb->points);
    for (int i = 0; lb->points != NULL && i < n; i++) {
        lua_rawgeti(L, -1, i + 1);
        lb->points[i] = strdup(lua_tostring(L, -1));
        lua_pop(L, 1);
        if (lb->points[i] == NULL)
            break;
        lb->npoints = i + 1;
    }
    lua_settop(L, 0);
    if (lb->doc == NULL || lb->points == NULL || lb->npoints != n)
        return -1;
    qsort(lb->points, (size_t)n, sizeof *lb->points, cmp_names);
    return 0;
}

int
luab_compile(const char *name, int version, const char *source, size_t len,
             struct behavior **out, char *err, size_t errlen)
{
    *out = NULL;
    if (!valid_name(name)) {
        snprintf(err, errlen, "a behaviour name is 1 to 64 of a-z 0-9 _");
        return -1;
    }
    struct luab *lb = calloc(1, sizeof *lb);
    if (lb == NULL || (lb->name = strdup(name)) == NULL ||
        luab__state_new(lb) != 0) {
        snprintf(err, errlen, "%s: out of memory", name);
        goto fail;
    }
    lb->chunk_ref = LUA_NOREF;
    struct luab_run r = {.src = source, .len = len, .timeout_ms = -1};
    if (luab__pcall(lb, compile_entry, &r) != 0) {
        snprintf(err, errlen, "%s", r.err);
        goto fail;
    }
    if (take_results(lb) != 0) {
        snprintf(err, errlen, "%s: out of memory", name);
        goto fail;
    }
    lb->b.name = lb->name;
    lb->b.version = version;
    lb->b.doc = lb->doc;
    lb->b.step = luab__step;
    lb->b.terminate = lb->has_terminate ? luab__terminate : NULL;
    lb->b.upgrade = luab__upgrade;
    lb->b.data = lb;
    *out = &lb->b;
    return 0;
fail:
    if (lb != NULL)
        luab_free(&lb->b);
    return -1;
}

void
luab_free(struct behavior *b)
{
    if (b == NULL)
        return;
    struct luab *lb = b->data ? b->data : (struct luab *)b;
    if (lb->L != NULL)
        lua_close(lb->L);
    for (int i = 0; i < lb->npoints; i++)
        free(lb->points[i]);
    free(lb->points);
    free(lb->name);
    free(lb->doc);
    free(lb);
}

int
luab_is_lua(const struct behavior *b)
{
    return b != NULL && b->step == luab__step;
}

int
luab_point(const struct behavior *b, const char *name)
{
    const struct luab *lb = b->data;
    if (name == NULL)
        return -1;
    if (strcmp(name, "start") == 0)
        return 0;
    int lo = 0, hi = lb->npoints - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        int c = strcmp(name, lb->points[mid]);
        if (c == 0)
            return mid + 1;
        if (c < 0)
            hi = mid - 1;
        else
            lo = mid + 1;
    }
    return -1;
}

const char *
luab_point_name(const struct behavior *b, int point)
{
    const struct luab *lb = b->data;
    if (point == 0)
        return "start";
    if (point < 1 || point > lb->npoints)
        return NULL;
    return lb->points[point - 1];
}

int
luab_point_count(const struct behavior *b)
{
    return ((const struct luab *)b->data)->npoints;
}
