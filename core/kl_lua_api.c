/*
 * kl_lua_api.c -- the `k` object a script's compute(k) receives: k.rows,
 * k.nrows, k.available, k.emit, k.param, k.warn and k.name (k.groups and
 * k.grouping live in kl_lua_group.c).  Every function goes through the
 * kl_host table of the running step; reads of tables or columns the script
 * did not declare are refused for the whole step (kl_lua_refuse), so the
 * host's rule "a step reads only what it declared" holds for scripts with
 * the script's own line in the message.
 */
#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "kl_lua_int.h"

/* The script, checked to be inside a compute call. */
static kl_lua_script *kl_lua_running(lua_State *L, const char *fn)
{
    kl_lua_script *s = kl_lua_script_of(L);
    if (!s->ctx)
        luaL_error(L, "%s: only available while compute runs", fn);
    return s;
}

int kl_lua_refuse(lua_State *L, int status, const char *fmt, ...)
{
    kl_lua_script *s = kl_lua_script_of(L);
    va_list ap;

    luaL_where(L, 1);
    if (!kl_lua_names_script(s, lua_tostring(L, -1))) { /* called from C: no position */
        lua_pop(L, 1);
        lua_pushfstring(L, "%s: ", s->path);
    }
    va_start(ap, fmt);
    lua_pushvfstring(L, fmt, ap);
    va_end(ap);
    lua_concat(L, 2);
    if (s->ctx)
        s->host->error(s->ctx, status, "%s", lua_tostring(L, -1));
    return lua_error(L);
}

static void kl_lua_need_table(lua_State *L, kl_lua_script *s, const char *fn, const char *table)
{
    if (!kl_lua_find_input(s, table, NULL))
        kl_lua_refuse(L, KL_ERR_USAGE, "%s: reads table '%s', which the script does not declare "
                      "in its inputs", fn, table);
}

/* ---- k.rows ------------------------------------------------------------ */

typedef struct kl_lua_rows {
    uint64_t gen;
    size_t nrows, pos, ncols;
    kl_column_view views[]; /* names: the uservalue, an array */
} kl_lua_rows;

/* The iterator: upvalue 1 is the kl_lua_rows. */
static int kl_lua_rows_next(lua_State *L)
{
    kl_lua_rows *r = lua_touserdata(L, lua_upvalueindex(1));
    kl_lua_script *s = kl_lua_script_of(L);
    size_t row;

    if (!s->ctx || r->gen != s->generation)
        return luaL_error(L, "k.rows: the iterator was used after its compute call ended");
    if (r->pos >= r->nrows)
        return 0;
    row = r->pos++;
    lua_createtable(L, 0, (int)r->ncols);
    lua_getiuservalue(L, lua_upvalueindex(1), 1);
    for (size_t c = 0; c < r->ncols; c++) {
        if (klaster_missing(&r->views[c], row))
            continue;
        lua_rawgeti(L, -1, (lua_Integer)c + 1);
        kl_lua_push_cell(L, s, &r->views[c], row);
        lua_rawset(L, -4);
    }
    lua_pop(L, 1);
    return 1;
}

/* k.rows(table [, columns]): for row in k.rows("jobs_created") do ... end */
static int kl_lua_k_rows(lua_State *L)
{
    kl_lua_script *s = kl_lua_running(L, "k.rows");
    const char *table = luaL_checkstring(L, 1);
    const kl_lua_input *in;
    kl_lua_rows *r;
    size_t ncols;
    int names;

    kl_lua_need_table(L, s, "k.rows", table);
    in = kl_lua_find_input(s, table, NULL);
    if (lua_isnoneornil(L, 2)) { /* every declared column */
        lua_createtable(L, (int)in->ncols, 0);
        for (size_t c = 0; c < in->ncols; c++) {
            lua_pushstring(L, in->cols[c]);
            lua_rawseti(L, -2, (lua_Integer)c + 1);
        }
    } else {
        luaL_checktype(L, 2, LUA_TTABLE);
        lua_createtable(L, (int)lua_rawlen(L, 2), 0);
        for (lua_Integer c = 1; c <= (lua_Integer)lua_rawlen(L, 2); c++) {
            if (lua_rawgeti(L, 2, c) != LUA_TSTRING)
                return luaL_error(L, "k.rows: columns[%d] is not a column name", (int)c);
            if (!kl_lua_find_input(s, table, lua_tostring(L, -1)))
                return kl_lua_refuse(L, KL_ERR_USAGE, "k.rows: reads %s.%s, which the script "
                                     "does not declare in inputs.%s", table, lua_tostring(L, -1),
                                     table);
            lua_rawseti(L, -2, c);
        }
    }
    names = lua_gettop(L);
    ncols = lua_rawlen(L, names);
    r = lua_newuserdatauv(L, sizeof *r + ncols * sizeof r->views[0], 1);
    memset(r, 0, sizeof *r);
    r->gen = s->generation;
    r->ncols = ncols;
    lua_pushvalue(L, names);
    lua_setiuservalue(L, -2, 1);
    luaL_setmetatable(L, KL_LUA_ROWS_MT);
    for (size_t c = 0; c < ncols; c++) {
        int rc;
        lua_rawgeti(L, names, (lua_Integer)c + 1);
        rc = s->host->column(s->ctx, table, lua_tostring(L, -1), &r->views[c]);
        lua_pop(L, 1);
        if (rc == KL_ERR_NOINPUT && kl_lua_input_optional(s, table)) {
            lua_pushcfunction(L, kl_lua_no_more);
            return 1;
        }
        if (rc != KL_OK)
            return kl_lua_host_failed(L);
        r->nrows = r->views[c].nrows;
    }
    if (ncols == 0 && s->host->rows(s->ctx, table, &r->nrows) != KL_OK)
        r->nrows = 0;
    lua_pushcclosure(L, kl_lua_rows_next, 1);
    return 1;
}

/* k.nrows(table): rows of an input, nil when an optional one is absent. */
static int kl_lua_k_nrows(lua_State *L)
{
    kl_lua_script *s = kl_lua_running(L, "k.nrows");
    const char *table = luaL_checkstring(L, 1);
    size_t n = 0;
    int rc;

    kl_lua_need_table(L, s, "k.nrows", table);
    rc = s->host->rows(s->ctx, table, &n);
    if (rc == KL_ERR_NOINPUT && kl_lua_input_optional(s, table))
        return 0;
    if (rc != KL_OK)
        return kl_lua_host_failed(L);
    lua_pushinteger(L, (lua_Integer)n);
    return 1;
}

/* k.available(table): is this (optional) input present? */
static int kl_lua_k_available(lua_State *L)
{
    kl_lua_script *s = kl_lua_running(L, "k.available");
    const char *table = luaL_checkstring(L, 1);
    size_t n;
    int rc;

    kl_lua_need_table(L, s, "k.available", table);
    rc = s->host->rows(s->ctx, table, &n);
    if (rc != KL_OK && !(rc == KL_ERR_NOINPUT && kl_lua_input_optional(s, table)))
        return kl_lua_host_failed(L);
    lua_pushboolean(L, rc == KL_OK);
    return 1;
}

/* ---- k.emit ------------------------------------------------------------ */

/* The Lua value at idx as a value of output column c. */
static void kl_lua_emit_value(lua_State *L, const kl_column_def *c, int idx, kl_value *v)
{
    int type = lua_type(L, idx);
    v->type = 0;
    v->u.i = 0;
    if (type == LUA_TNIL)
        return;
    if (type == LUA_TNUMBER && c->type != KL_TYPE_TEXT) {
        if (lua_isinteger(L, idx)) {
            lua_Integer i = lua_tointeger(L, idx);
            *v = c->type == KL_TYPE_INT ? klaster_int_value(i) : klaster_num_value((double)i);
            return;
        }
        double n = lua_tonumber(L, idx);
        if (!isfinite(n))
            return; /* NaN and infinities are missing */
        if (c->type == KL_TYPE_NUM)
            *v = klaster_num_value(n);
        else if (n == floor(n) && fabs(n) < 9.2e18)
            *v = klaster_int_value((int64_t)n);
        else
            luaL_error(L, "k.emit: column '%s' takes integers, got %f", c->name, n);
        return;
    }
    if (type == LUA_TSTRING && c->type == KL_TYPE_TEXT) {
        size_t len;
        const char *s = lua_tolstring(L, idx, &len);
        if (strlen(s) != len)
            luaL_error(L, "k.emit: text for column '%s' contains a NUL byte", c->name);
        *v = klaster_text_value(s);
        return;
    }
    luaL_error(L, "k.emit: column '%s' takes %s, got %s", c->name,
               c->type == KL_TYPE_TEXT ? "text" : c->type == KL_TYPE_INT ? "integers" : "numbers",
               luaL_typename(L, idx));
}

/* k.emit{col = value, ...}: every key must be an output column. */
static void kl_lua_emit_named(lua_State *L, kl_lua_script *s)
{
    lua_pushnil(L);
    while (lua_next(L, 1)) {
        size_t c = 0;
        lua_pop(L, 1);
        if (lua_type(L, -1) == LUA_TSTRING)
            while (c < s->ncols && strcmp(s->columns[c].name, lua_tostring(L, -1)) != 0)
                c++;
        if (lua_type(L, -1) != LUA_TSTRING || c == s->ncols)
            luaL_error(L, "k.emit: no output column '%s' (the script declares %s%s)",
                       luaL_tolstring(L, -1, NULL), s->columns[0].name,
                       s->ncols > 1 ? ", ..." : "");
    }
    for (size_t c = 0; c < s->ncols; c++) {
        lua_pushstring(L, s->columns[c].name);
        lua_rawget(L, 1);
        kl_lua_emit_value(L, &s->columns[c], -1, &s->row[c]);
        lua_pop(L, 1); /* a string stays referenced by the table */
    }
}

/* k.emit(v1, v2, ...) in column order, or k.emit{col = value, ...}. */
static int kl_lua_k_emit(lua_State *L)
{
    kl_lua_script *s = kl_lua_running(L, "k.emit");
    int n = lua_gettop(L);

    if (n == 1 && lua_type(L, 1) == LUA_TTABLE) {
        kl_lua_emit_named(L, s);
    } else {
        if ((size_t)n != s->ncols)
            return luaL_error(L, "k.emit: got %d values for the %d output columns (nil for a "
                              "missing value)", n, (int)s->ncols);
        for (int c = 0; c < n; c++)
            kl_lua_emit_value(L, &s->columns[c], c + 1, &s->row[c]);
    }
    if (s->host->emit(s->ctx, s->row) != KL_OK)
        return kl_lua_host_failed(L);
    return 0;
}

/* ---- k.param, k.warn --------------------------------------------------- */

static int kl_lua_k_param(lua_State *L)
{
    kl_lua_script *s = kl_lua_running(L, "k.param");
    const char *name = luaL_checkstring(L, 1);
    const char *v;
    size_t i = 0;

    while (i < s->nparams && strcmp(s->params[i].name, name) != 0)
        i++;
    if (i == s->nparams)
        return luaL_error(L, "k.param: '%s' is not declared in the script's params", name);
    if (!(v = s->host->param(s->ctx, name)))
        return 0;
    lua_pushstring(L, v);
    return 1;
}

int kl_lua_warn(lua_State *L)
{
    kl_lua_script *s = kl_lua_script_of(L);
    int n = lua_gettop(L);
    luaL_Buffer b;

    if (!s->ctx)
        return 0; /* nothing to report to outside a compute call */
    if (++s->warnings > KL_LUA_MAX_WARNINGS) {
        if (s->warnings == KL_LUA_MAX_WARNINGS + 1)
            s->host->warn(s->ctx, "more warnings are not shown (%d shown)", KL_LUA_MAX_WARNINGS);
        return 0;
    }
    luaL_buffinit(L, &b);
    for (int i = 1; i <= n; i++) {
        if (i > 1)
            luaL_addchar(&b, ' ');
        luaL_tolstring(L, i, NULL);
        luaL_addvalue(&b);
    }
    luaL_pushresult(&b);
    s->host->warn(s->ctx, "%s", lua_tostring(L, -1));
    return 0;
}

/* ---- the k object ------------------------------------------------------ */

void kl_lua_api_init(lua_State *L)
{
    kl_lua_group_init(L);
    luaL_newmetatable(L, KL_LUA_ROWS_MT);
    lua_pushliteral(L, "locked by klaster");
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 1);
}

void kl_lua_api_push_k(lua_State *L)
{
    static const luaL_Reg k_functions[] = {
        {"groups", kl_lua_k_groups}, {"grouping", kl_lua_k_grouping},
        {"rows", kl_lua_k_rows},     {"nrows", kl_lua_k_nrows},
        {"available", kl_lua_k_available},
        {"emit", kl_lua_k_emit},     {"param", kl_lua_k_param},
        {"warn", kl_lua_warn},       {NULL, NULL}};
    kl_lua_script *s = kl_lua_script_of(L);

    luaL_newlib(L, k_functions);
    lua_pushstring(L, s->desc.name);
    lua_setfield(L, -2, "name");
}
