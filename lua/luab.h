/*
 * luab.h - behaviours written in Lua 5.4 (the contract is
 * /work/shared/LUA.md, "Behaviours in Lua"): compiling a source into a
 * struct behavior whose step, terminate and upgrade are trampolines into
 * a sandboxed lua_State, checking spawn args, naming resume points, and
 * the per-step budgets.  Standalone from storage and REST: the engine
 * stores the sources and versions and calls in here.
 *
 * Threads.  One struct behavior made by luab_compile owns one lua_State,
 * kept alive across steps; a lua_State is not thread-safe, so one compiled
 * behaviour is used by one thread at a time (the engine caches compiled
 * behaviours per connection or per thread).  luab_set_limits,
 * luab_set_fence and luab_set_resolver set process-wide values: call them
 * before the threads start.
 *
 * Nothing outlives a step but a.state.  Each step (and each call of
 * check_args, terminate and migrate) runs the compiled chunk again, so
 * upvalues and tables made by the chunk are fresh every step; the global
 * table, the library tables, the string metatable and actord.array's
 * metatable are read-only, and the random generator is reseeded at each
 * step.  The lua_State itself (its compiled chunk, libraries, garbage)
 * stays.
 *
 * Budgets.  Every run into Lua (a step, terminate, migrate, check_args,
 * the chunk's first run at compile) has an instruction budget, counted by
 * a count hook, and a memory budget: the bytes the lua_State holds (its
 * libraries included) may not go over the limit; an allocation beyond it
 * is refused (after Lua's emergency collection).  A run over either is
 * failed with an error that pcall in the behaviour cannot keep: once the
 * budget is spent the hook raises again at every instruction.  The step
 * trampoline then returns actor_fail(a, "step_timeout: ...") or
 * actor_fail(a, "memory_limit: ...") (the message starts with that word
 * and a colon), so that the engine can undo the step and fail the actor
 * with that reason; any other Lua error fails the actor with the Lua
 * error text ("NAME:LINE: ...").
 *
 * The count hook counts Lua instructions only: a library function written
 * in C (a pattern match that backtracks, a sort) runs without it.  Its
 * memory is bounded by the memory budget; its CPU time only by the
 * engine's step watchdog (--step-limit).  A watchdog cut-off leaves the
 * lua_State in the middle of a call: the engine must never use that
 * compiled behaviour again, nor free it (abandon it, as it abandons the
 * objects of a cut-off C step), and compile the source anew.  The Lua
 * allocator enters the engine's fence (luab_set_fence) around malloc and
 * free so that the cut-off never lands inside them.
 */
#ifndef ACTORD_LUAB_H
#define ACTORD_LUAB_H

#include <jansson.h>
#include <stddef.h>

#include "actord/behavior.h"

/* The defaults of luab_set_limits. */
#define LUAB_INSTRUCTIONS_DEFAULT 10000000LL
#define LUAB_MEMORY_DEFAULT (64LL * 1024 * 1024)

/*
 * Compiles the Lua source (len bytes; text only, a binary chunk is
 * refused) of the behaviour name (1 to 64 of a-z 0-9 _), version version,
 * in a fresh sandboxed lua_State: loads it, runs it under the budgets and
 * checks that it returned a table with a function start and otherwise
 * only: doc (a string), check_args, terminate, migrate (functions), and
 * handlers (functions named by identifiers).  On success returns 0 and
 * sets *out to a new struct behavior (name and doc copied; step,
 * terminate when the table has one, and upgrade are trampolines;
 * check_args is NULL: use luab_check_args), freed with luab_free.  On
 * failure returns -1 and writes a sentence with the Lua error and its
 * line into err (errlen bytes), for 422 bad_behavior.
 */
int luab_compile(const char *name, int version, const char *source, size_t len,
                 struct behavior **out, char *err, size_t errlen);

/* Frees b, made by luab_compile, and its lua_State.  Accepts NULL. */
void luab_free(struct behavior *b);

/* 1 when b was made by luab_compile. */
int luab_is_lua(const struct behavior *b);

/*
 * Runs b's check_args on args (borrowed, an object; NULL means {}), when
 * b has one.  Returns NULL when the args are fine, or why, filled with
 * the sentence check_args returned, or with its error (an error in
 * check_args, over budget included, refuses the args).
 */
const char *luab_check_args(const struct behavior *b, const json_t *args,
                            char *why, size_t len);

/*
 * Resume points.  The engine stores an int; b names its points: 0 is
 * start, and 1 + i is the i-th (from 0) handler name in byte order of
 * the names of the table's functions other than start, check_args,
 * terminate and migrate.  The numbering is a function of the source:
 * another version may number the same name otherwise, so moving an actor
 * between versions goes by name (luab_upgrade).
 */

/* The point of handler name in b, 0 for "start", or -1 when b has no
 * handler of that name. */
int luab_point(const struct behavior *b, const char *name);

/* The name of point in b (borrowed, as long as b), or NULL. */
const char *luab_point_name(const struct behavior *b, int point);

/* How many resume points b has beside start. */
int luab_point_count(const struct behavior *b);

/*
 * Moves the actor a, stored by version from_version at the resume point
 * named from_point (a name of that version: luab_point_name of the old
 * compiled behaviour), onto b: b's migrate, when it has one, runs as
 * migrate(a, from_version, from_point) and may change a.state; it returns
 * the name of the point to go on at, or nil to refuse.  Without migrate
 * the point keeps its name.  Returns the point of b to store, or -1 with
 * why (len bytes) filled: the name is not a point of b, migrate refused,
 * failed or ran over budget.
 */
int luab_upgrade(const struct behavior *b, struct actor *a, int from_version,
                 const char *from_point, char *why, size_t len);

/*
 * How b->upgrade (struct behavior's int point, of the old version) finds
 * the old version's point names: resolve returns the compiled behaviour
 * name version (borrowed for the call), or NULL.  Without a resolver,
 * b->upgrade refuses every upgrade; the engine may call luab_upgrade
 * itself instead.
 */
void luab_set_resolver(const struct behavior *(*resolve)(const char *name,
                                                         int version));

/*
 * The budgets of every run into Lua from now on, process-wide:
 * instructions (> 0) Lua VM instructions, memory_bytes (> 0) bytes the
 * lua_State may hold.  0 or below keeps the current value.  Defaults
 * LUAB_INSTRUCTIONS_DEFAULT and LUAB_MEMORY_DEFAULT.
 */
void luab_set_limits(long long instructions, long long memory_bytes);

/*
 * The fence of the engine's step watchdog (engine/watchdog.h: wd_enter
 * and wd_leave): the Lua allocator calls enter before and leave after
 * each malloc, realloc and free, so that a cut-off never jumps out of the
 * C library's allocator.  NULL, NULL (the default): no fence.
 */
void luab_set_fence(int (*enter)(void), void (*leave)(int *));

/* Lua as the engine's language of uploaded behaviours: give it to
 * eng_set_language (engine.h) before eng_init.  Static. */
struct eng_language;
const struct eng_language *luab_language(void);

#endif
