/*
 * luab_int.h - what the files of lua/ share and nobody else sees (tests
 * aside): the compiled behaviour behind struct behavior's data, one run
 * into Lua, and the luab__ functions one file calls in another.
 *
 *     sandbox.c  the lua_State: allocator and memory budget, count hook
 *                and instruction budget, the libraries opened read-only,
 *                luab__pcall (every run into Lua goes through it)
 *     json.c     JSON <-> Lua values
 *     module.c   the module actord
 *     handle.c   the actor handle a and its methods
 *     step.c     the trampolines (step, terminate, upgrade), check_args
 *     compile.c  luab_compile, luab_free, resume points, limits
 */
#ifndef ACTORD_LUAB_INT_H
#define ACTORD_LUAB_INT_H

#include <jansson.h>
#include <lauxlib.h>
#include <lua.h>

#include "actord/behavior.h"
#include "lua/luab.h"

/* JSON nested deeper than this is refused both ways. */
#define LUAB_MAX_DEPTH 1000

/* Instructions between two calls of the count hook. */
#define LUAB_HOOK_EVERY 1000

/* Which budget a run went over. */
enum luab_hit {
    LUAB_HIT_NONE = 0,
    LUAB_HIT_TIME,   /* the instruction budget */
    LUAB_HIT_MEMORY, /* the memory budget */
};

/* How a handler ended: what a:receive, a:call, a:exit and a:fail record
 * and the trampoline hands the engine. */
enum luab_end {
    LUAB_END_NONE = 0,
    LUAB_END_RECEIVE,
    LUAB_END_CALL,
    LUAB_END_EXIT,
    LUAB_END_FAIL,
};

/* How many JSON values a run may hold while it calls Lua functions that
 * can raise (luab__hold). */
#define LUAB_HELD_MAX 8

/* One run into Lua: a step, terminate, migrate, check_args or the
 * compile.  Lives on the caller's stack. */
struct luab_run {
    struct actor *a;             /* borrowed; NULL for check_args and compile */
    const char *handler;         /* borrowed: the handler the run calls */
    const json_t *arg;           /* borrowed: the reason, or the args */
    int from_version;            /* migrate */
    const char *src;             /* compile: the source, borrowed */
    size_t len;                  /* compile: its bytes */
    enum luab_end end;           /* how the handler ended */
    int point;                   /* RECEIVE, CALL; migrate's answer */
    json_t *shapes;              /* owned: RECEIVE */
    long long timeout_ms;        /* RECEIVE: -1 for none; CALL */
    json_t *to;                  /* owned: CALL */
    char *method;                /* owned (malloc): CALL */
    json_t *value;               /* owned: CALL payload, EXIT result */
    char *message;               /* owned (malloc): FAIL */
    char *why;                   /* check_args: the answer (malloc), or NULL */
    json_t *held[LUAB_HELD_MAX]; /* owned: see luab__hold */
    char err[1024];              /* why the run failed */
};

/* A compiled behaviour: struct behavior's data. */
struct luab {
    struct behavior b; /* what the engine registers; b.data is this */
    char *name;        /* owned: b.name */
    char *doc;         /* owned: b.doc */
    lua_State *L;      /* owned */
    int chunk_ref;     /* the loaded chunk, in L's registry */
    char **points;     /* owned: handler names, sorted; point i + 1 */
    int npoints;
    int has_check_args, has_terminate, has_migrate;
    struct luab_run *run; /* the run under way, or NULL */
    /* The budgets of the run under way. */
    long long instr_limit, instr_used; /* Lua instructions */
    int hook_count;                    /* the hook's count now */
    size_t mem_limit, mem_used;        /* bytes L holds */
    enum luab_hit hit;
    /* An allocation refused, until Lua retries it (after its emergency
     * collection) or goes on without it (the refusal stood). */
    struct {
        int on;
        const void *ptr;
        size_t osize, nsize;
    } refused;
};

/* ---- sandbox.c ---- */

/* The process-wide budgets (luab_set_limits). */
extern long long luab__instructions;
extern long long luab__memory;

/* Makes lb->L, the sandboxed state (libraries not yet opened: see
 * luab__open).  Returns 0, or -1 when out of memory. */
int luab__state_new(struct luab *lb);

/* Opens the libraries of the sandbox in L, read-only, and the module
 * actord; makes the global table read-only.  Raises on error: call it
 * inside luab__pcall. */
void luab__open(lua_State *L);

/* The compiled behaviour of L. */
struct luab *luab__of(lua_State *L);

/*
 * Runs body(L) protected, with lb->run = r, under fresh budgets.
 * Returns 0, or -1 with r->err set: "step_timeout: ..." or
 * "memory_limit: ..." over a budget, else the Lua error's text.  Frees
 * what r holds (luab__hold) either way.
 */
int luab__pcall(struct luab *lb, lua_CFunction body, struct luab_run *r);

/* Raises again when a budget is spent: for C functions that catch Lua
 * errors themselves (a:dispatch). */
void luab__recheck(lua_State *L);

/* Keeps v (new reference, may be NULL) in the run until luab__release or
 * the run's end, so that a Lua error does not leak it.  Raises when the
 * run holds too many. */
void luab__hold(lua_State *L, json_t *v);
void luab__release(lua_State *L, json_t *v);

/* Takes v back from the run (it is the caller's again) and returns it. */
json_t *luab__take(lua_State *L, json_t *v);

/* Reseeds math.random (nothing of a step's randomness reaches the
 * next). */
void luab__reseed(lua_State *L);

/* ---- json.c ---- */

/* Pushes v (borrowed; NULL pushes nil) as a Lua value.  Raises (out of
 * memory, nested deeper than LUAB_MAX_DEPTH). */
void luab__push_json(lua_State *L, const json_t *v);

/*
 * Returns a new reference to the JSON of the Lua value at idx, or NULL
 * with err (len bytes) saying where and why: "WHAT.items[3]: a function
 * is not JSON".  what names the value ("state", "msg").  nil is JSON null
 * when nil_ok, else an error.  Never raises.
 */
json_t *luab__to_json(lua_State *L, int idx, const char *what, int nil_ok,
                      char *err, size_t len);

/* actord.null is a light userdata of &luab__null_key; actord.array's
 * metatable is in the registry at &luab__array_key. */
extern char luab__null_key, luab__array_key;

/* Pushes actord.null. */
void luab__push_null(lua_State *L);

/* ---- module.c ---- */

/* Pushes the module actord (a new table, not yet read-only); once per
 * state, at luab__open. */
void luab__push_actord(lua_State *L);

/* ---- handle.c ---- */

/* Pushes a new actor handle for r (r->a may be NULL: no actor, for
 * migrate tests) and makes it the run's handle. */
void luab__push_handle(lua_State *L, struct luab_run *r);

/* Creates the handle's metatable in the registry; at luab__open. */
void luab__handle_init(lua_State *L);

/* The marker a:receive, a:call, a:exit and a:fail return. */
extern char luab__marker;

/* Stores the handle's state (the table at handle index h) into r->a with
 * actor_set_state.  Raises when it is not a JSON object. */
void luab__store_state(lua_State *L, int h, struct luab_run *r);

/* ---- step.c ---- */

/* Pushes the table the chunk returns, running it again; raises when it
 * returns no table. */
void luab__push_table(lua_State *L);

enum actor_step luab__step(struct actor *a);
void luab__terminate(struct actor *a, const json_t *reason);
int luab__upgrade(struct actor *a, int from_version, int point);

#endif
