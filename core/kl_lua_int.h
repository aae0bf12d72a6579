/*
 * kl_lua_int.h -- what the Lua bridge's files share (not a public header).
 *
 *   kl_lua.c       the sandboxed state: allocator, instruction hook, library
 *                  allow-lists, loading a script, the compute trampolines
 *   kl_lua_path.c  the script path: folders and files -> registry
 *   kl_lua_config.c declarative files (pipelines) in the same sandbox
 *   kl_lua_desc.c  indicator{...}: the script's table -> kl_plugin descriptor
 *   kl_lua_api.c   the `k` object handed to compute(k): rows, emit, param,
 *                  warn
 *   kl_lua_group.c k.groups: grouping and group objects, cached aggregates
 *
 * One kl_lua_script per script file owns its lua_State, its descriptor and
 * every string the descriptor points to; the allocator's userdata is the
 * script, so any C function called from Lua finds it with kl_lua_script_of().
 */
#ifndef KL_LUA_INT_H
#define KL_LUA_INT_H

#include <lauxlib.h>
#include <lua.h>
#include <stddef.h>
#include <stdint.h>

#include "klaster.h"
#include "kl_error.h"

/* Registry keys of the bridge. */
#define KL_LUA_COMPUTE_KEY "klaster.compute"  /* the script's compute function */
#define KL_LUA_GROUPING_MT "klaster.grouping" /* metatable of grouping objects */
#define KL_LUA_GROUP_MT "klaster.group"       /* metatable of group objects */
#define KL_LUA_ROWS_MT "klaster.rows"         /* metatable of k.rows() iterators */
#define KL_LUA_CONFIG_KEY "klaster.config"    /* the table a config file declared */

#define KL_LUA_MAX_WARNINGS 100 /* k.warn messages shown per compute call */

/* A declared input, as parsed from the script (strings owned by the script). */
typedef struct kl_lua_input {
    const char *table;
    const char **cols; /* NULL-terminated */
    size_t ncols;
} kl_lua_input;

typedef struct kl_lua_script {
    lua_State *L;
    const char *path;      /* owned (in allocs) */
    int slot;              /* index of its compute trampoline, -1 = none */

    /* limits and what has been used of them */
    size_t mem_used, mem_limit;
    int mem_refused;       /* an allocation was refused for the limit */
    uint64_t instr_used, instr_limit;
    int killed;            /* the instruction limit was hit: the hook keeps erroring */
    int kill_line;         /* the line running when it was hit (0 = unknown) */

    /* the descriptor and the memory behind it */
    kl_plugin desc;
    kl_input_def *inputs;
    kl_lua_input *lin;     /* the same inputs, columns split */
    size_t ninputs;
    kl_column_def *columns;
    size_t ncols;
    kl_param_def *params;
    size_t nparams;
    int declared;          /* indicator{} (or a config's function) has been called */
    const char *decl_fn;   /* its name, for messages: "indicator" */
    int config;            /* a declarative file (kl_lua_run_config), not a script */
    void **allocs;         /* every block the descriptor uses */
    size_t nallocs, cap_allocs;

    /* while compute runs (ctx NULL otherwise) */
    kl_ctx *ctx;
    const kl_host *host;
    uint64_t generation;   /* bumped per compute call: stale objects are refused */
    kl_value *row;         /* [ncols] emit buffer */
    unsigned warnings;
} kl_lua_script;

static inline kl_lua_script *kl_lua_script_of(lua_State *L)
{
    void *ud = NULL;
    lua_getallocf(L, &ud);
    return ud;
}

/* kl_lua.c: the sandboxed state, shared with kl_lua_config.c. */
/* Reads a file's text (at most `limit` bytes) into a kl_malloc'd buffer. */
int kl_lua_read(const char *path, size_t limit, char **out, size_t *len, kl_error *err);
/* Creates s->L: the allocator, the hook, the filtered libraries. */
int kl_lua_new_state(kl_lua_script *s, kl_error *err);
/* Compiles (text only) and runs a file's text; s->declared must be set. */
int kl_lua_run_chunk(kl_lua_script *s, const char *text, size_t len, kl_error *err);
/* The instruction hook; set with count 1 and s->killed, no code runs. */
void kl_lua_hook(lua_State *L, lua_Debug *ar);
/* Closes the state and frees s and everything it keeps. */
void kl_lua_free(void *owner);

/* Keeps a kl_malloc'd block until the script is freed; NULL on OOM (and p is
 * freed). */
void *kl_lua_keep(kl_lua_script *s, void *p);

/* indicator{...}: the global function scripts call at load time. */
int kl_lua_indicator(lua_State *L);

/* The input declared for table, or NULL; column NULL checks the table only. */
const kl_lua_input *kl_lua_find_input(const kl_lua_script *s, const char *table,
                                      const char *column);

/* Is the declared input `table` optional? */
int kl_lua_input_optional(const kl_lua_script *s, const char *table);

/* kl_lua_group.c: k.grouping, k.groups and the group objects. */
int kl_lua_k_grouping(lua_State *L);
int kl_lua_k_groups(lua_State *L);
void kl_lua_group_init(lua_State *L);
/* An iterator that yields nothing. */
int kl_lua_no_more(lua_State *L);
/* Pushes row r of a column (nil when missing; "" counts as missing). */
void kl_lua_push_cell(lua_State *L, kl_lua_script *s, const kl_column_view *c, size_t r);
/* Raises the error that follows a host function's failure (the host has
 * already recorded the step's error). */
int kl_lua_host_failed(lua_State *L);

/* Creates the metatables of the k API in the registry (at load time). */
void kl_lua_api_init(lua_State *L);
/* Pushes a fresh `k` object for one compute call. */
void kl_lua_api_push_k(lua_State *L);
/* Sends a message through k.warn (print() goes here too). */
int kl_lua_warn(lua_State *L);

/* Does msg start with the script's path, as Lua's "path:line:" does? */
int kl_lua_names_script(const kl_lua_script *s, const char *msg);

/* Fails the step for good (recorded through host->error, so a pcall in the
 * script cannot hide it) and raises a Lua error with the same message,
 * prefixed with the script's current position. */
int kl_lua_refuse(lua_State *L, int status, const char *fmt, ...);

#endif /* KL_LUA_INT_H */
