/*
 * kl_lua.h -- the Lua 5.4 bridge: indicator scripts as pipeline steps.
 *
 * A script is a Lua file that calls indicator{...} once when it is loaded.
 * The bridge turns that table into a kl_plugin descriptor (validated like a
 * C plugin's), so `klaster list`, `info` and `compute` treat scripts and
 * plugins alike; the descriptor's compute function is a C trampoline that
 * calls the script's compute(k) with the `k` API over the kl_host table.
 * docs/lua.md is the analyst's guide.
 *
 * Each script gets its own lua_State, created with an allocator that refuses
 * to grow past a memory limit, with only a filtered (allow-listed) subset of
 * the base, string, table, math and utf8 libraries, text chunks only, and a
 * count hook that stops a script past an instruction limit (and keeps
 * stopping it, so pcall cannot swallow the kill).  The state lives as long
 * as the step definition; kl_step_def_clear() closes it.
 */
#ifndef KL_LUA_H
#define KL_LUA_H

#include <lua.h>
#include <stdint.h>

#include "kl_error.h"
#include "kl_plugin.h"

#define KL_LUA_DEFAULT_MEMORY ((uint64_t)256 << 20)   /* bytes per script */
#define KL_LUA_DEFAULT_INSTRUCTIONS 1000000000ull     /* per load and per run */
#define KL_LUA_MAX_SCRIPTS 256 /* scripts loaded at once in one process */

typedef struct kl_lua_limits {
    uint64_t memory;       /* bytes a script's state may hold; 0 = default */
    uint64_t instructions; /* VM instructions per load and per compute; 0 = default */
} kl_lua_limits;

/*
 * Loads the script at path into *def (kind KL_STEP_SCRIPT; the descriptor
 * and the Lua state are owned by def->owner, released by
 * kl_step_def_clear()).  lim may be NULL (defaults).  Errors name the file:
 * KL_ERR_NOINPUT when it cannot be read, KL_ERR_USAGE for a script that does
 * not compile, fails, exceeds a limit while loading, or declares a bad
 * indicator; KL_ERR_INTERNAL when out of memory.
 */
int kl_lua_open(const char *path, const kl_lua_limits *lim, kl_step_def *def, kl_error *err);

/*
 * Adds every script of the script path to reg: the entries of `user_path`
 * (colon separated, may be NULL; a folder contributes its *.lua files in
 * name order, a .lua file itself), then $KLASTER_SCRIPT_PATH, then the
 * default folder: `scripts/` of the source tree when the program runs from a
 * build tree (<program's folder>/../scripts holding .lua files), else the
 * installed KL_SCRIPTDIR.  A script named like a step already in reg is an
 * error naming both files.
 */
int kl_lua_load_path(kl_registry *reg, const char *user_path, const kl_lua_limits *lim,
                     kl_error *err);

/*
 * Reads a declarative Lua file (a pipeline file) in the same sandbox, with
 * the default limits: the file at `path` must call the global function
 * named `fn` exactly once with a table, e.g. pipeline{...}.  Then
 * read(L, ud, err) is called with that table on top of L's stack (inside a
 * protected call, where no script code can run any more: a metamethod the
 * table carries fails at once) and returns KL_OK or a status with err set.
 * `name` is the file as messages show it ("pipelines/daily.lua:3: ...").
 * Errors: KL_ERR_NOINPUT when the file cannot be read, KL_ERR_USAGE for a
 * file that fails, exceeds a limit, or never calls fn; read's own status.
 */
typedef int (*kl_lua_config_fn)(lua_State *L, void *ud, kl_error *err);
int kl_lua_run_config(const char *path, const char *name, const char *fn, kl_lua_config_fn read,
                      void *ud, kl_error *err);

#endif /* KL_LUA_H */
