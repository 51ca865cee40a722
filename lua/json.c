/*
 * json.c - JSON values as Lua values and back (LUA.md, "JSON and Lua"),
 * and the module actord.
 *
 *     JSON            Lua
 *     object          table with string keys, no metatable
 *     array           table 1..n with the actord.array metatable
 *     integer         integer;  other numbers: float
 *     string          string (UTF-8)
 *     true, false     boolean
 *     null            actord.null (a light userdata)
 *
 * Going out, a table without the metatable whose keys are exactly 1..n
 * (n >= 1) is an array too, an empty one is an object.  What JSON cannot
 * hold is refused with a path: "state.items[3]" (indexes 1-based, as in
 * Lua).  Lua to JSON never raises (the callers hold JSON of their own
 * while they convert); JSON to Lua raises on out of memory.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua/luab_int.h"

/* actord.null is &luab__null_key; actord.array's metatable is in the
 * registry at &luab__array_key. */
char luab__null_key, luab__array_key;

void
luab__push_null(lua_State *L)
{
    lua_pushlightuserdata(L, &luab__null_key);
}

/* ---- JSON to Lua ---- */

static void
push_array_mt(lua_State *L)
{
    lua_rawgetp(L, LUA_REGISTRYINDEX, &luab__array_key);
}

static void
push_json(lua_State *L, const json_t *v, int depth)
{
    if (depth > LUAB_MAX_DEPTH)
        luaL_error(L, "JSON nested deeper than %d", LUAB_MAX_DEPTH);
    luaL_checkstack(L, 4, "JSON nested too deep");
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *k;
        json_t *x;
        lua_createtable(L, 0, (int)json_object_size(v));
        json_object_foreach((json_t *)v, k, x)
        {
            lua_pushlstring(
                L, k, json_object_iter_key_len(json_object_key_to_iter(k)));
            push_json(L, x, depth + 1);
            lua_rawset(L, -3);
        }
        break;
    }
    case JSON_ARRAY: {
        size_t n = json_array_size(v);
        lua_createtable(L, (int)n, 0);
        for (size_t i = 0; i < n; i++) {
            push_json(L, json_array_get(v, i), depth + 1);
            lua_rawseti(L, -2, (lua_Integer)i + 1);
        }
        push_array_mt(L);
        lua_setmetatable(L, -2);
        break;
    }
    case JSON_STRING:
        lua_pushlstring(L, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        lua_pushinteger(L, (lua_Integer)json_integer_value(v));
        break;
    case JSON_REAL:
        lua_pushnumber(L, json_real_value(v));
        break;
    case JSON_TRUE:
        lua_pushboolean(L, 1);
        break;
    case JSON_FALSE:
        lua_pushboolean(L, 0);
        break;
    default:
        luab__push_null(L);
        break;
    }
}

void
luab__push_json(lua_State *L, const json_t *v)
{
    if (v == NULL)
        lua_pushnil(L);
    else
        push_json(L, v, 0);
}

/* ---- Lua to JSON ---- */

/* A conversion under way: the path of the value being converted, the
 * tables it is inside (for cycles), and the first error. */
struct tojson {
    lua_State *L;
    char path[256];
    size_t plen;
    const void *inside[LUAB_MAX_DEPTH + 1];
    char *err;
    size_t errlen;
};

static json_t *tj_fail(struct tojson *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Sets the error, at the path, and returns NULL. */
static json_t *
tj_fail(struct tojson *c, const char *fmt, ...)
{
    char why[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    snprintf(c->err, c->errlen, "%s: %s", c->path, why);
    return NULL;
}

/* Appends to the path; returns the length to go back to. */
static size_t
path_key(struct tojson *c, const char *k, size_t n)
{
    size_t at = c->plen;
    int ident = n > 0 && n <= 40 && !(k[0] >= '0' && k[0] <= '9');
    for (size_t i = 0; ident && i < n; i++)
        ident = (k[i] >= 'a' && k[i] <= 'z') || (k[i] >= 'A' && k[i] <= 'Z') ||
                (k[i] >= '0' && k[i] <= '9') || k[i] == '_';
    if (at < sizeof c->path) {
        if (ident)
            snprintf(c->path + at, sizeof c->path - at, ".%.*s", (int)n, k);
        else
            snprintf(c->path + at, sizeof c->path - at, "[\"%.*s\"]",
                     (int)(n > 40 ? 40 : n), k);
        c->plen = strlen(c->path);
    }
    return at;
}

static size_t
path_index(struct tojson *c, lua_Integer i)
{
    size_t at = c->plen;
    if (at < sizeof c->path) {
        snprintf(c->path + at, sizeof c->path - at, "[%lld]", (long long)i);
        c->plen = strlen(c->path);
    }
    return at;
}

static void
path_back(struct tojson *c, size_t at)
{
    c->plen = at;
    if (at < sizeof c->path)
        c->path[at] = '\0';
}

/* 1 when the n bytes at s are UTF-8 (shortest forms, no surrogates, up
 * to U+10FFFF). */
static int
utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t k;
        unsigned min, cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            k = 1, min = 0x80, cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            k = 2, min = 0x800, cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            k = 3, min = 0x10000, cp = c & 0x07;
        } else {
            return 0;
        }
        if (n - i <= k)
            return 0; /* cut short */
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + j] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += k + 1;
    }
    return 1;
}

static json_t *tj_value(struct tojson *c, int idx, int depth);

static int
is_array_marked(lua_State *L, int idx)
{
    if (!lua_getmetatable(L, idx))
        return 0;
    push_array_mt(L);
    int yes = lua_rawequal(L, -1, -2);
    lua_pop(L, 2);
    return yes;
}

static json_t *
tj_table(struct tojson *c, int idx, int depth)
{
    lua_State *L = c->L;
    const void *self = lua_topointer(L, idx);
    if (depth >= LUAB_MAX_DEPTH)
        return tj_fail(c, "nested deeper than %d", LUAB_MAX_DEPTH);
    for (int i = 0; i < depth; i++)
        if (c->inside[i] == self)
            return tj_fail(c, "%s", "a cycle (a table inside itself)");
    if (!lua_checkstack(L, 4))
        return tj_fail(c, "%s", "nested too deep for the Lua stack");
    c->inside[depth] = self;
    int marked = is_array_marked(L, idx);
    lua_Integer nint = 0, max = 0, nstr = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) == LUA_TSTRING) {
            nstr++;
        } else if (lua_isinteger(L, -1) && lua_tointeger(L, -1) >= 1) {
            nint++;
            if (lua_tointeger(L, -1) > max)
                max = lua_tointeger(L, -1);
        } else {
            int kt = lua_type(L, -1);
            lua_pop(L, 1);
            return tj_fail(c,
                           "a key of type %s (JSON objects have string "
                           "keys, arrays 1..n)",
                           kt == LUA_TNUMBER ? "number that is not 1..n"
                                             : lua_typename(L, kt));
        }
    }
    if (marked && nstr > 0)
        return tj_fail(c, "%s", "an actord.array with string keys");
    if (nstr > 0 && nint > 0)
        return tj_fail(c, "%s", "a table with both string and integer keys");
    if (nint != max)
        return tj_fail(c, "%s",
                       "an array with holes (keys are not 1..n; put "
                       "actord.null in the holes)");
    if (marked || nint > 0) {
        json_t *arr = json_array();
        if (arr == NULL)
            return tj_fail(c, "%s", "out of memory");
        for (lua_Integer i = 1; i <= max; i++) {
            size_t at = path_index(c, i);
            lua_rawgeti(L, idx, i);
            json_t *x = tj_value(c, lua_gettop(L), depth + 1);
            lua_pop(L, 1);
            if (x == NULL || json_array_append_new(arr, x) != 0) {
                if (x != NULL)
                    tj_fail(c, "%s", "out of memory");
                json_decref(arr);
                return NULL;
            }
            path_back(c, at);
        }
        return arr;
    }
    json_t *obj = json_object();
    if (obj == NULL)
        return tj_fail(c, "%s", "out of memory");
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        size_t n;
        const char *k = lua_tolstring(L, -2, &n); /* a string: no copy */
        size_t at = path_key(c, k, n);
        json_t *x = NULL;
        if (!utf8_valid((const unsigned char *)k, n))
            tj_fail(c, "%s", "a key that is not UTF-8");
        else
            x = tj_value(c, lua_gettop(L), depth + 1);
        lua_pop(L, 1);
        if (x == NULL || json_object_setn_new_nocheck(obj, k, n, x) != 0) {
            if (x != NULL)
                tj_fail(c, "%s", "out of memory");
            lua_pop(L, 1);
            json_decref(obj);
            return NULL;
        }
        path_back(c, at);
    }
    return obj;
}

static json_t *
tj_value(struct tojson *c, int idx, int depth)
{
    lua_State *L = c->L;
    json_t *v = NULL;
    switch (lua_type(L, idx)) {
    case LUA_TBOOLEAN:
        v = json_boolean(lua_toboolean(L, idx));
        break;
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx)) {
            v = json_integer((json_int_t)lua_tointeger(L, idx));
        } else {
            double d = (double)lua_tonumber(L, idx);
            if (!isfinite(d))
                return tj_fail(c, "%s", "NaN or infinity is not JSON");
            v = json_real(d);
        }
        break;
    case LUA_TSTRING: {
        size_t n;
        const char *s = lua_tolstring(L, idx, &n);
        if (!utf8_valid((const unsigned char *)s, n))
            return tj_fail(c, "%s", "a string that is not UTF-8");
        v = json_stringn_nocheck(s, n);
        break;
    }
    case LUA_TLIGHTUSERDATA:
        if (lua_touserdata(L, idx) != &luab__null_key)
            return tj_fail(c, "%s", "a userdata is not JSON");
        v = json_null();
        break;
    case LUA_TTABLE:
        return tj_table(c, idx, depth);
    case LUA_TNIL:
        return tj_fail(c, "%s", "nil is not JSON (use actord.null)");
    default:
        return tj_fail(c, "a %s is not JSON",
                       lua_typename(L, lua_type(L, idx)));
    }
    if (v == NULL)
        return tj_fail(c, "%s", "out of memory");
    return v;
}

json_t *
luab__to_json(lua_State *L, int idx, const char *what, int nil_ok, char *err,
              size_t len)
{
    idx = lua_absindex(L, idx);
    if (lua_isnoneornil(L, idx) && nil_ok)
        return json_null();
    struct tojson *c = malloc(sizeof *c);
    if (c == NULL) {
        snprintf(err, len, "%s: out of memory", what);
        return NULL;
    }
    c->L = L;
    snprintf(c->path, sizeof c->path, "%s", what);
    c->plen = strlen(c->path);
    c->err = err;
    c->errlen = len;
    int top = lua_gettop(L);
    json_t *v = lua_isnone(L, idx)
                    ? tj_fail(c, "%s", "nil is not JSON (use actord.null)")
                    : tj_value(c, idx, 0);
    lua_settop(L, top);
    free(c);
    return v;
}
