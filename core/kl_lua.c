/*
 * kl_lua.c -- the Lua bridge's sandboxed state, script loading and the
 * compute trampolines (see kl_lua.h; kl_lua_int.h says what the other
 * bridge files do).
 *
 * The sandbox, in the order a hostile script meets it:
 *   - memory: lua_newstate with an allocator that counts bytes and refuses
 *     to grow past the limit (count hooks do not fire inside C functions
 *     such as string.rep, so the allocator is the defence);
 *   - libraries: base, string, table, math and utf8 only, each cut down to
 *     an allow-list; `load` is replaced by a text-only version, `print` goes
 *     to k.warn; the globals table and the string metatable are protected;
 *   - code: text chunks only (luaL_loadbufferx mode "t");
 *   - time: a count hook every KL_LUA_HOOK_EVERY instructions; past the
 *     limit it raises an error and re-arms itself to fire on every
 *     instruction, so a pcall in the script cannot swallow the kill.  Lua
 *     runs some code with hooks off: finalizers (so setmetatable refuses
 *     __gc) and message handlers when the error comes from a hook (so
 *     xpcall calls its handler after unwinding, and the bridge's own
 *     protected calls have no handler).
 * Every call into Lua from C happens under lua_pcall, so an error (including
 * out of memory) never reaches Lua's panic function.
 */
#include "kl_lua.h"

#include <errno.h>
#include <limits.h>
#include <lualib.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kl_alloc.h"
#include "kl_lua_int.h"

#define KL_LUA_HOOK_EVERY 1000

/* ---- descriptor memory ------------------------------------------------- */

void *kl_lua_keep(kl_lua_script *s, void *p)
{
    if (!p)
        return NULL;
    if (s->nallocs == s->cap_allocs) {
        size_t cap = s->cap_allocs ? s->cap_allocs * 2 : 32;
        void **grown = kl_reallocarray(s->allocs, cap, sizeof *grown);
        if (!grown) {
            kl_free(p);
            return NULL;
        }
        s->allocs = grown;
        s->cap_allocs = cap;
    }
    s->allocs[s->nallocs++] = p;
    return p;
}

/* ---- the compute trampolines -------------------------------------------
 * kl_plugin.compute receives only (ctx, host), and kl_ctx is the host's
 * opaque per-step context, so each loaded script gets a compute function of
 * its own from a fixed pool; the function's number finds the script.
 */

static kl_lua_script *kl_lua_slots[KL_LUA_MAX_SCRIPTS];
static pthread_mutex_t kl_lua_slots_lock = PTHREAD_MUTEX_INITIALIZER;

static int kl_lua_compute(kl_lua_script *s, kl_ctx *ctx, const kl_host *host);

static int kl_lua_dispatch(int slot, kl_ctx *ctx, const kl_host *host)
{
    kl_lua_script *s;
    pthread_mutex_lock(&kl_lua_slots_lock);
    s = kl_lua_slots[slot];
    pthread_mutex_unlock(&kl_lua_slots_lock);
    if (!s)
        return host->error(ctx, KL_ERR_INTERNAL, "Lua script slot %d is not in use", slot);
    return kl_lua_compute(s, ctx, host);
}

/* 4 x 4 x 4 x 4 = 256 = KL_LUA_MAX_SCRIPTS functions, numbered in base 4. */
_Static_assert(KL_LUA_MAX_SCRIPTS == 256, "the trampoline pool holds 256 functions");
#define KL_T(a, b, c, d)                                                                   \
    static int kl_lua_tramp_##a##b##c##d(kl_ctx *ctx, const kl_host *host)                 \
    {                                                                                      \
        return kl_lua_dispatch(a * 64 + b * 16 + c * 4 + d, ctx, host);                    \
    }
#define KL_T1(a, b, c) KL_T(a, b, c, 0) KL_T(a, b, c, 1) KL_T(a, b, c, 2) KL_T(a, b, c, 3)
#define KL_T2(a, b) KL_T1(a, b, 0) KL_T1(a, b, 1) KL_T1(a, b, 2) KL_T1(a, b, 3)
#define KL_T3(a) KL_T2(a, 0) KL_T2(a, 1) KL_T2(a, 2) KL_T2(a, 3)
KL_T3(0) KL_T3(1) KL_T3(2) KL_T3(3)

#define KL_P(a, b, c, d) kl_lua_tramp_##a##b##c##d,
#define KL_P1(a, b, c) KL_P(a, b, c, 0) KL_P(a, b, c, 1) KL_P(a, b, c, 2) KL_P(a, b, c, 3)
#define KL_P2(a, b) KL_P1(a, b, 0) KL_P1(a, b, 1) KL_P1(a, b, 2) KL_P1(a, b, 3)
#define KL_P3(a) KL_P2(a, 0) KL_P2(a, 1) KL_P2(a, 2) KL_P2(a, 3)
static int (*const kl_lua_tramps[KL_LUA_MAX_SCRIPTS])(kl_ctx *, const kl_host *) = {
    KL_P3(0) KL_P3(1) KL_P3(2) KL_P3(3)};

static int kl_lua_slot_take(kl_lua_script *s)
{
    int slot = -1;
    pthread_mutex_lock(&kl_lua_slots_lock);
    for (int i = 0; i < KL_LUA_MAX_SCRIPTS && slot < 0; i++)
        if (!kl_lua_slots[i]) {
            kl_lua_slots[i] = s;
            slot = i;
        }
    pthread_mutex_unlock(&kl_lua_slots_lock);
    return slot;
}

static void kl_lua_slot_release(int slot)
{
    if (slot < 0)
        return;
    pthread_mutex_lock(&kl_lua_slots_lock);
    kl_lua_slots[slot] = NULL;
    pthread_mutex_unlock(&kl_lua_slots_lock);
}

/* ---- limits: the allocator and the instruction hook -------------------- */

static void *kl_lua_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    kl_lua_script *s = ud;
    void *p;

    if (!ptr)
        osize = 0; /* then osize says what kind of object is being made */
    if (nsize == 0) {
        kl_free(ptr);
        s->mem_used -= osize;
        return NULL;
    }
    if (nsize > osize && nsize - osize > s->mem_limit - s->mem_used) {
        s->mem_refused = 1;
        return NULL;
    }
    p = kl_realloc(ptr, nsize);
    if (!p) {
        if (!ptr || nsize > osize)
            return NULL;
        p = ptr; /* a shrink that failed: the old, larger block will do */
    }
    s->mem_used = s->mem_used - osize + nsize;
    return p;
}

void kl_lua_hook(lua_State *L, lua_Debug *ar)
{
    kl_lua_script *s = kl_lua_script_of(L);
    (void)ar;
    if (!s->killed) {
        lua_Debug where;
        s->instr_used += KL_LUA_HOOK_EVERY;
        if (s->instr_used <= s->instr_limit)
            return;
        s->killed = 1;
        if (lua_getstack(L, 0, &where) && lua_getinfo(L, "l", &where))
            s->kill_line = where.currentline;
        /* From now on, fail at every instruction: a pcall that catches this
         * error is stopped again at its next instruction. */
        lua_sethook(L, kl_lua_hook, LUA_MASKCOUNT, 1);
    }
    lua_pushliteral(L, "instruction limit exceeded");
    lua_error(L);
}

/* Resets the budgets for one load or compute call. */
static void kl_lua_arm(kl_lua_script *s)
{
    s->instr_used = 0;
    s->killed = 0;
    s->kill_line = 0;
    s->mem_refused = 0;
    lua_sethook(s->L, kl_lua_hook, LUA_MASKCOUNT, KL_LUA_HOOK_EVERY);
}

/* ---- the sandboxed libraries ------------------------------------------- */

static const char *const kl_lua_base_allowed[] = {
    "_G", "_VERSION", "assert", "error", "getmetatable", "ipairs", "next", "pairs", "pcall",
    "rawequal", "rawget", "rawlen", "rawset", "select", "setmetatable", "tonumber", "tostring",
    "type", "xpcall", NULL};
static const char *const kl_lua_string_allowed[] = {
    "byte", "char", "find", "format", "gmatch", "gsub", "len", "lower", "match", "pack",
    "packsize", "rep", "reverse", "sub", "unpack", "upper", NULL};
static const char *const kl_lua_table_allowed[] = {
    "concat", "insert", "move", "pack", "remove", "sort", "unpack", NULL};
static const char *const kl_lua_math_allowed[] = {
    "abs", "acos", "asin", "atan", "ceil", "cos", "deg", "exp", "floor", "fmod", "huge", "log",
    "max", "maxinteger", "min", "mininteger", "modf", "pi", "rad", "random", "randomseed",
    "sin", "sqrt", "tan", "tointeger", "type", "ult", NULL};
static const char *const kl_lua_utf8_allowed[] = {
    "char", "charpattern", "codepoint", "codes", "len", "offset", NULL};

static int kl_lua_listed(const char *const *list, const char *name)
{
    for (; *list; list++)
        if (strcmp(*list, name) == 0)
            return 1;
    return 0;
}

/* Removes every field of the table on top of the stack not in `allowed`. */
static void kl_lua_filter(lua_State *L, const char *const *allowed)
{
    int t = lua_gettop(L);
    lua_pushnil(L);
    while (lua_next(L, t)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING || !kl_lua_listed(allowed, lua_tostring(L, -1))) {
            lua_pushvalue(L, -1);
            lua_pushnil(L); /* clearing a field while traversing is allowed */
            lua_rawset(L, t);
        }
    }
}

/* setmetatable(t, mt) refusing finalizers: Lua runs __gc with debug hooks
 * off, so the instruction limit could not stop one.  (A __gc field added to
 * a metatable after setmetatable marks nothing for finalization.) */
static int kl_lua_safe_setmetatable(lua_State *L)
{
    lua_settop(L, 2);
    if (lua_type(L, 2) == LUA_TTABLE) {
        lua_pushliteral(L, "__gc");
        if (lua_rawget(L, 2) != LUA_TNIL)
            return luaL_error(L, "setmetatable: finalizers (__gc) are not allowed in klaster "
                              "scripts");
        lua_pop(L, 1);
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, 2, 1);
    return 1;
}

/* xpcall(f, handler, ...) calling the handler after the error has unwound,
 * with hooks on (Lua would run it with hooks off when the error comes from
 * the instruction hook).  Scripts have no debug library, so a handler can
 * not see the failed stack anyway: the results are the same. */
static int kl_lua_safe_xpcall(lua_State *L)
{
    int n = lua_gettop(L), status;

    luaL_checktype(L, 2, LUA_TFUNCTION);
    luaL_checkstack(L, n + 2, "too many arguments to xpcall");
    lua_pushvalue(L, 1);
    for (int i = 3; i <= n; i++)
        lua_pushvalue(L, i);
    status = lua_pcall(L, n - 2, LUA_MULTRET, 0);
    if (status == LUA_OK) {
        lua_pushboolean(L, 1);
        lua_insert(L, n + 1);
        return lua_gettop(L) - n;
    }
    lua_pushvalue(L, 2);
    lua_insert(L, -2);
    lua_pcall(L, 1, 1, 0); /* the handler's error, if it fails, is the result */
    lua_pushboolean(L, 0);
    lua_insert(L, -2);
    return 2;
}

/* load(chunk [, chunkname [, mode [, env]]]): strings of text only. */
static int kl_lua_safe_load(lua_State *L)
{
    size_t len;
    const char *chunk = luaL_checklstring(L, 1, &len);
    const char *name = luaL_optstring(L, 2, "=(load)");
    const char *mode = luaL_optstring(L, 3, "t");
    int env = lua_isnone(L, 4) ? 0 : 4;

    if (strcmp(mode, "t") != 0) {
        luaL_pushfail(L);
        lua_pushliteral(L, "load: only text chunks (mode \"t\") are allowed in klaster scripts");
        return 2;
    }
    if (luaL_loadbufferx(L, chunk, len, name, "t") != LUA_OK) {
        luaL_pushfail(L);
        lua_insert(L, -2);
        return 2;
    }
    if (env) {
        lua_pushvalue(L, env);
        if (!lua_setupvalue(L, -2, 1))
            lua_pop(L, 1);
    }
    return 1;
}

static void kl_lua_open_lib(lua_State *L, const char *name, lua_CFunction open,
                            const char *const *allowed)
{
    luaL_requiref(L, name, open, 1);
    kl_lua_filter(L, allowed);
    lua_pop(L, 1);
}

/* A metatable whose __metatable field hides and locks it. */
static void kl_lua_lock_metatable(lua_State *L, int idx)
{
    idx = lua_absindex(L, idx);
    if (!lua_getmetatable(L, idx))
        lua_newtable(L);
    lua_pushliteral(L, "locked by klaster");
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, idx);
}

/* Protected: opens and filters the libraries, adds the bridge's globals. */
static int kl_lua_setup(lua_State *L)
{
    kl_lua_open_lib(L, LUA_GNAME, luaopen_base, kl_lua_base_allowed);
    kl_lua_open_lib(L, LUA_STRLIBNAME, luaopen_string, kl_lua_string_allowed);
    kl_lua_open_lib(L, LUA_TABLIBNAME, luaopen_table, kl_lua_table_allowed);
    kl_lua_open_lib(L, LUA_MATHLIBNAME, luaopen_math, kl_lua_math_allowed);
    kl_lua_open_lib(L, LUA_UTF8LIBNAME, luaopen_utf8, kl_lua_utf8_allowed);
    lua_getglobal(L, "setmetatable");
    lua_pushcclosure(L, kl_lua_safe_setmetatable, 1);
    lua_setglobal(L, "setmetatable");
    lua_register(L, "xpcall", kl_lua_safe_xpcall);
    lua_register(L, "load", kl_lua_safe_load);
    lua_register(L, "print", kl_lua_warn);
    lua_register(L, "indicator", kl_lua_indicator);
    lua_pushglobaltable(L);
    kl_lua_lock_metatable(L, -1);
    lua_pop(L, 1);
    lua_pushliteral(L, "");
    kl_lua_lock_metatable(L, -1);
    lua_pop(L, 1);
    kl_lua_api_init(L);
    return 0;
}

/* Does msg start with the script's name, as Lua's positions give it
 * ("path:" or, for a long path, "...end of path:")? */
int kl_lua_names_script(const kl_lua_script *s, const char *msg)
{
    size_t len = strlen(s->path);
    return (strncmp(msg, s->path, len) == 0 && msg[len] == ':') || strncmp(msg, "...", 3) == 0;
}

/* The message of a failed protected call, and the status klaster reports
 * (`failure` for errors of the script itself). */
static int kl_lua_outcome(kl_lua_script *s, int status, int failure, const char *when, char *msg,
                          size_t cap)
{
    if (s->killed) {
        snprintf(msg, cap, "%s:%d: exceeded the instruction limit of %llu %s (raise it with "
                 "--lua-instructions)", s->path, s->kill_line, (unsigned long long)s->instr_limit,
                 when);
        return failure;
    }
    if (status == LUA_ERRMEM) {
        if (s->mem_refused) {
            snprintf(msg, cap, "%s: exceeded the memory limit of %zu bytes %s (raise it with "
                     "--lua-memory)", s->path, s->mem_limit, when);
            return failure;
        }
        snprintf(msg, cap, "%s: out of memory %s", s->path, when);
        return KL_ERR_INTERNAL;
    }
    if (status == LUA_ERRERR) {
        snprintf(msg, cap, "%s: the stack ran out while handling an error %s", s->path, when);
        return failure;
    }
    /* Only look at the error object: a __tostring would run script code
     * outside any protected call. */
    switch (lua_type(s->L, -1)) {
    case LUA_TSTRING: /* "path:line: message" -- or without the position */
        if (kl_lua_names_script(s, lua_tostring(s->L, -1)))
            snprintf(msg, cap, "%s", lua_tostring(s->L, -1));
        else
            snprintf(msg, cap, "%s: %s", s->path, lua_tostring(s->L, -1));
        break;
    case LUA_TNUMBER:
        if (lua_isinteger(s->L, -1))
            snprintf(msg, cap, "%s: error %lld %s", s->path, (long long)lua_tointeger(s->L, -1),
                     when);
        else
            snprintf(msg, cap, "%s: error %.14g %s", s->path, lua_tonumber(s->L, -1), when);
        break;
    default:
        snprintf(msg, cap, "%s: (error object is a %s value) %s", s->path,
                 luaL_typename(s->L, -1), when);
    }
    return failure;
}

/* ---- running compute --------------------------------------------------- */

/* Protected: compute(k). */
static int kl_lua_call_compute(lua_State *L)
{
    lua_getfield(L, LUA_REGISTRYINDEX, KL_LUA_COMPUTE_KEY);
    kl_lua_api_push_k(L);
    lua_call(L, 1, 0);
    return 0;
}

static int kl_lua_compute(kl_lua_script *s, kl_ctx *ctx, const kl_host *host)
{
    lua_State *L = s->L;
    int status, rc = KL_OK;

    s->ctx = ctx;
    s->host = host;
    s->generation++;
    s->warnings = 0;
    lua_settop(L, 0);
    kl_lua_arm(s);
    lua_pushcfunction(L, kl_lua_call_compute);
    status = lua_pcall(L, 0, 0, 0); /* no message handler: it could run with hooks off */
    if (status != LUA_OK || s->killed) {
        char msg[KL_ERROR_MSG_MAX];
        int code = kl_lua_outcome(s, status, KL_ERR_INTERNAL, "in compute", msg, sizeof msg);
        rc = host->error(ctx, code, "%s", msg);
    }
    lua_settop(L, 0);
    s->ctx = NULL;
    s->host = NULL;
    lua_gc(L, LUA_GCCOLLECT); /* give back what this run used */
    return rc;
}

/* ---- loading ----------------------------------------------------------- */

void kl_lua_free(void *owner)
{
    kl_lua_script *s = owner;
    if (!s)
        return;
    kl_lua_slot_release(s->slot);
    if (s->L) {
        /* Finalizers the script set run during lua_close: let them run no
         * more than one instruction each. */
        s->killed = 1;
        lua_sethook(s->L, kl_lua_hook, LUA_MASKCOUNT, 1);
        lua_close(s->L);
    }
    for (size_t i = 0; i < s->nallocs; i++)
        kl_free(s->allocs[i]);
    kl_free(s->allocs);
    kl_free(s);
}

/* Reads the script's text (at most `limit` bytes). */
int kl_lua_read(const char *path, size_t limit, char **out, size_t *len, kl_error *err)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n = 0, cap = 0;
    struct stat st;

    *out = NULL;
    if (!f)
        return kl_error_set(err, KL_ERR_NOINPUT, "%s: cannot open script: %s", path,
                            strerror(errno));
    if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size > limit) {
        fclose(f);
        return kl_error_set(err, KL_ERR_USAGE, "%s: the script is larger than its memory limit "
                            "of %zu bytes", path, limit);
    }
    for (;;) {
        size_t got;
        if (cap - n < 4096) {
            char *grown;
            cap = cap ? cap * 2 : 16384;
            if (!(grown = kl_realloc(buf, cap + 1))) {
                kl_free(buf);
                fclose(f);
                return kl_error_oom(err, "reading a script");
            }
            buf = grown;
        }
        got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n > limit) {
            kl_free(buf);
            fclose(f);
            return kl_error_set(err, KL_ERR_USAGE, "%s: the script is larger than its memory "
                                "limit of %zu bytes", path, limit);
        }
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        kl_free(buf);
        fclose(f);
        return kl_error_set(err, KL_ERR_IO, "%s: cannot read script: %s", path, strerror(errno));
    }
    fclose(f);
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return KL_OK;
}

/* Compiles and runs the script's text. */
int kl_lua_run_chunk(kl_lua_script *s, const char *text, size_t len, kl_error *err)
{
    lua_State *L = s->L;
    char chunkname[PATH_MAX + 2];
    size_t skip = 0;
    int status;

    if (len && text[0] == '#') /* a #! line: skipped, its newline kept */
        while (skip < len && text[skip] != '\n')
            skip++;
    snprintf(chunkname, sizeof chunkname, "@%s", s->path);
    lua_settop(L, 0);
    status = luaL_loadbufferx(L, text + skip, len - skip, chunkname, "t");
    if (status == LUA_OK)
        status = lua_pcall(L, 0, 0, 0);
    if (status != LUA_OK || s->killed) {
        char msg[KL_ERROR_MSG_MAX];
        int code = kl_lua_outcome(s, status, KL_ERR_USAGE, "while loading", msg, sizeof msg);
        lua_settop(L, 0);
        return kl_error_set(err, code, "%s", msg);
    }
    lua_settop(L, 0);
    if (!s->declared)
        return kl_error_set(err, KL_ERR_USAGE, "%s: the %s never calls %s{...}%s", s->path,
                            s->config ? "file" : "script", s->decl_fn,
                            strcmp(s->decl_fn, "indicator") == 0
                                ? " (every script declares itself with it; see docs/lua.md)" : "");
    return KL_OK;
}

/* Creates the sandboxed state. */
int kl_lua_new_state(kl_lua_script *s, kl_error *err)
{
    int status;
    if (!(s->L = lua_newstate(kl_lua_alloc, s))) {
        if (s->mem_refused)
            return kl_error_set(err, KL_ERR_USAGE, "%s: a memory limit of %zu bytes is too small "
                                "to start Lua (--lua-memory)", s->path, s->mem_limit);
        return kl_error_oom(err, "starting Lua");
    }
    kl_lua_arm(s);
    lua_pushcfunction(s->L, kl_lua_setup);
    status = lua_pcall(s->L, 0, 0, 0);
    if (status != LUA_OK) {
        char msg[KL_ERROR_MSG_MAX];
        int code = kl_lua_outcome(s, status, KL_ERR_USAGE, "while starting Lua", msg, sizeof msg);
        return kl_error_set(err, code, "%s", msg);
    }
    return KL_OK;
}

int kl_lua_open(const char *path, const kl_lua_limits *lim, kl_step_def *def, kl_error *err)
{
    kl_lua_script *s;
    char *text = NULL;
    size_t len = 0;
    int rc;

    memset(def, 0, sizeof *def);
    if (!(s = kl_calloc(1, sizeof *s)))
        return kl_error_oom(err, "loading a script");
    s->slot = -1;
    s->decl_fn = "indicator";
    s->mem_limit = (size_t)(lim && lim->memory ? lim->memory : KL_LUA_DEFAULT_MEMORY);
    s->instr_limit = lim && lim->instructions ? lim->instructions : KL_LUA_DEFAULT_INSTRUCTIONS;
    if (!(s->path = kl_lua_keep(s, kl_strdup(path)))) {
        kl_lua_free(s);
        return kl_error_oom(err, "loading a script");
    }
    rc = kl_lua_read(path, s->mem_limit, &text, &len, err);
    if (rc == KL_OK)
        rc = kl_lua_new_state(s, err);
    if (rc == KL_OK)
        rc = kl_lua_run_chunk(s, text, len, err);
    kl_free(text);
    if (rc == KL_OK && (s->slot = kl_lua_slot_take(s)) < 0)
        rc = kl_error_set(err, KL_ERR_USAGE, "%s: too many Lua scripts loaded at once (at most %d)",
                          path, KL_LUA_MAX_SCRIPTS);
    if (rc == KL_OK) {
        s->desc.compute = kl_lua_tramps[s->slot];
        rc = kl_plugin_validate(&s->desc, path, err);
    }
    if (rc == KL_OK && !(s->row = kl_lua_keep(s, kl_calloc(s->ncols + 1, sizeof *s->row))))
        rc = kl_error_oom(err, "loading a script");
    if (rc == KL_OK && !(def->path = kl_strdup(path)))
        rc = kl_error_oom(err, "loading a script");
    if (rc != KL_OK) {
        kl_lua_free(s);
        return rc;
    }
    lua_gc(s->L, LUA_GCCOLLECT);
    def->kind = KL_STEP_SCRIPT;
    def->desc = &s->desc;
    def->owner = s;
    def->free_owner = kl_lua_free;
    return KL_OK;
}
