/*
 * kl_lua_config.c -- declarative Lua files (pipeline files) read in the
 * scripts' sandbox: the file calls FN{...} once, and a C reader turns the
 * table into settings while no script code can run (see kl_lua_run_config
 * in kl_lua.h).
 */
#include <string.h>

#include "kl_alloc.h"
#include "kl_lua.h"
#include "kl_lua_int.h"

typedef struct kl_lua_config_call {
    kl_lua_config_fn read;
    void *ud;
    kl_error *err;
    int rc;
} kl_lua_config_call;

/* FN{...}: keeps the table (upvalue 1: the function's name). */
static int kl_lua_config_capture(lua_State *L)
{
    kl_lua_script *s = kl_lua_script_of(L);
    const char *fn = lua_tostring(L, lua_upvalueindex(1));
    if (s->declared)
        return luaL_error(L, "%s{...} may be called only once", fn);
    if (lua_type(L, 1) != LUA_TTABLE || lua_gettop(L) != 1)
        return luaL_error(L, "%s takes one table: %s{...}", fn, fn);
    lua_settop(L, 1);
    lua_setfield(L, LUA_REGISTRYINDEX, KL_LUA_CONFIG_KEY);
    s->declared = 1;
    return 0;
}

/* Protected: replaces indicator by FN (its name: a light userdata). */
static int kl_lua_config_setup(lua_State *L)
{
    const char *fn = lua_touserdata(L, 1);
    lua_pushnil(L);
    lua_setglobal(L, "indicator");
    lua_pushstring(L, fn);
    lua_pushcclosure(L, kl_lua_config_capture, 1);
    lua_setglobal(L, fn);
    return 0;
}

/* Protected: hands the table to the reader. */
static int kl_lua_config_read(lua_State *L)
{
    kl_lua_config_call *c = lua_touserdata(L, 1);
    lua_getfield(L, LUA_REGISTRYINDEX, KL_LUA_CONFIG_KEY);
    c->rc = c->read(L, c->ud, c->err);
    return 0;
}

int kl_lua_run_config(const char *path, const char *name, const char *fn, kl_lua_config_fn read,
                      void *ud, kl_error *err)
{
    kl_lua_config_call call = {read, ud, err, KL_OK};
    kl_lua_script *s;
    char *text = NULL;
    size_t len = 0;
    int rc;

    if (!(s = kl_calloc(1, sizeof *s)))
        return kl_error_oom(err, "reading a file");
    s->slot = -1;
    s->mem_limit = (size_t)KL_LUA_DEFAULT_MEMORY;
    s->instr_limit = KL_LUA_DEFAULT_INSTRUCTIONS;
    s->config = 1;
    if (!(s->path = kl_lua_keep(s, kl_strdup(name))) || !(s->decl_fn = kl_lua_keep(s, kl_strdup(fn)))) {
        kl_lua_free(s);
        return kl_error_oom(err, "reading a file");
    }
    rc = kl_lua_read(path, s->mem_limit, &text, &len, err);
    if (rc == KL_OK && (rc = kl_lua_new_state(s, err)) == KL_OK) {
        lua_pushcfunction(s->L, kl_lua_config_setup);
        lua_pushlightuserdata(s->L, (void *)s->decl_fn);
        if (lua_pcall(s->L, 1, 0, 0) != LUA_OK)
            rc = kl_error_oom(err, "reading a file");
    }
    if (rc == KL_OK)
        rc = kl_lua_run_chunk(s, text, len, err);
    kl_free(text);
    if (rc == KL_OK) {
        /* no script code runs from here on: a metamethod fails at once */
        s->killed = 1;
        lua_sethook(s->L, kl_lua_hook, LUA_MASKCOUNT, 1);
        lua_pushcfunction(s->L, kl_lua_config_read);
        lua_pushlightuserdata(s->L, &call);
        if (lua_pcall(s->L, 1, 0, 0) != LUA_OK)
            rc = kl_error_set(err, KL_ERR_USAGE, "%s: %s{...} cannot be read: %s", name, fn,
                              lua_type(s->L, -1) == LUA_TSTRING &&
                                      strcmp(lua_tostring(s->L, -1), "instruction limit exceeded")
                                  ? lua_tostring(s->L, -1)
                                  : "a metatable in it runs code");
        else
            rc = call.rc;
    }
    kl_lua_free(s);
    return rc;
}
