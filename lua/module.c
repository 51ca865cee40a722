/*
 * module.c - the module actord of the sandbox (LUA.md): null, array,
 * address, is_address, json_encode, json_decode.  Read-only once opened
 * (sandbox.c).
 */
#include <string.h>

#include "lua/luab_int.h"

/* actord.array([t]): marks t (a table, or a new one) as a JSON array and
 * returns it. */
static int
m_array(lua_State *L)
{
    if (lua_isnoneornil(L, 1)) {
        lua_settop(L, 0);
        lua_newtable(L);
    }
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    if (lua_getmetatable(L, 1)) {
        lua_rawgetp(L, LUA_REGISTRYINDEX, &luab__array_key);
        if (!lua_rawequal(L, -1, -2))
            return luaL_error(L, "actord.array: the table has a metatable");
        lua_settop(L, 1);
        return 1;
    }
    lua_rawgetp(L, LUA_REGISTRYINDEX, &luab__array_key);
    lua_setmetatable(L, 1);
    return 1;
}

/* actord.address(name): {["$address"] = name}. */
static int
m_address(lua_State *L)
{
    luaL_checkstring(L, 1);
    lua_settop(L, 1);
    lua_createtable(L, 0, 1);
    lua_pushvalue(L, 1);
    lua_setfield(L, -2, "$address");
    return 1;
}

/* actord.is_address(v): true when v is a table whose "$address" is a
 * string. */
static int
m_is_address(lua_State *L)
{
    int yes = lua_type(L, 1) == LUA_TTABLE &&
              lua_getfield(L, 1, "$address") == LUA_TSTRING;
    lua_pushboolean(L, yes);
    return 1;
}

/* actord.json_encode(v): compact JSON text; raises with the path of what
 * JSON cannot hold. */
static int
m_json_encode(lua_State *L)
{
    char err[512];
    luaL_checkany(L, 1);
    json_t *v = luab__to_json(L, 1, "value", 0, err, sizeof err);
    if (v == NULL)
        return luaL_error(L, "actord.json_encode: %s", err);
    luab__hold(L, v);
    size_t flags = JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17);
    size_t n = json_dumpb(v, NULL, 0, flags);
    luaL_Buffer b;
    char *p = luaL_buffinitsize(L, &b, n);
    if (json_dumpb(v, p, n, flags) != n)
        return luaL_error(L, "actord.json_encode: out of memory");
    luaL_pushresultsize(&b, n);
    luab__release(L, v);
    return 1;
}

/* actord.json_decode(s): the Lua value of the JSON text s. */
static int
m_json_decode(lua_State *L)
{
    size_t n;
    const char *s = luaL_checklstring(L, 1, &n);
    json_error_t jerr;
    json_t *v = json_loadb(s, n, JSON_DECODE_ANY, &jerr);
    if (v == NULL)
        return luaL_error(L, "actord.json_decode: %s (line %d, column %d)",
                          jerr.text, jerr.line, jerr.column);
    luab__hold(L, v);
    luab__push_json(L, v);
    luab__release(L, v);
    return 1;
}

void
luab__push_actord(lua_State *L)
{
    static const luaL_Reg fns[] = {
        {"array", m_array},
        {"address", m_address},
        {"is_address", m_is_address},
        {"json_encode", m_json_encode},
        {"json_decode", m_json_decode},
        {NULL, NULL},
    };
    /* actord.array's metatable: getmetatable gives "actord.array", and
     * nobody can reach or change it. */
    lua_createtable(L, 0, 1);
    lua_pushliteral(L, "actord.array");
    lua_setfield(L, -2, "__metatable");
    lua_rawsetp(L, LUA_REGISTRYINDEX, &luab__array_key);
    luaL_newlib(L, fns);
    luab__push_null(L);
    lua_setfield(L, -2, "null");
}
