/*
 * kl_lua_desc.c -- indicator{...}: turns the table a script declares itself
 * with into the kl_plugin descriptor `list`, `info` and `compute` read.
 *
 * Runs inside the script's call to indicator (so errors carry the script's
 * file and line); every field is checked, unknown fields are errors (a typo
 * such as `colums` must not pass silently), and every string is copied into
 * memory the script owns (kl_lua_keep), so the descriptor outlives the Lua
 * values it came from.  Tables are read with raw access only: a metatable
 * on the declaration cannot run code here.
 */
#include <stdio.h>
#include <string.h>

#include "kl_alloc.h"
#include "kl_lua_int.h"

#define KL_LUA_NAME_MAX 64

static const char *const kl_lua_indicator_fields[] = {
    "name", "version", "description", "source", "inputs", "columns", "keys", "params",
    "compute", NULL};

static int kl_lua_desc_oom(lua_State *L)
{
    return luaL_error(L, "indicator: out of memory");
}

/* A kept copy of the string at idx. */
static const char *kl_lua_desc_copy(lua_State *L, int idx)
{
    size_t len;
    const char *s = lua_tolstring(L, idx, &len);
    char *copy = kl_lua_keep(kl_lua_script_of(L), kl_strndup(s, len));
    if (!copy)
        kl_lua_desc_oom(L);
    return copy;
}

/* Kept zeroed memory for n items. */
static void *kl_lua_desc_array(lua_State *L, size_t n, size_t size)
{
    void *p = kl_lua_keep(kl_lua_script_of(L), kl_calloc(n + 1, size));
    if (!p)
        kl_lua_desc_oom(L);
    return p;
}

/* Pushes t[key] (raw) and returns its type. */
static int kl_lua_desc_get(lua_State *L, int t, const char *key)
{
    lua_pushstring(L, key);
    return lua_rawget(L, t);
}

/* A name of letters, digits and '_' (lower case only if `lower`). */
static int kl_lua_desc_name_ok(const char *s, size_t len, int lower)
{
    if (len == 0 || len > KL_LUA_NAME_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
              (!lower && c >= 'A' && c <= 'Z')))
            return 0;
    }
    return 1;
}

/* t[key] as a kept string; NULL when absent and optional. */
static const char *kl_lua_desc_string(lua_State *L, int t, const char *key, const char *where,
                                      int required)
{
    const char *v = NULL;
    int type = kl_lua_desc_get(L, t, key);
    if (type == LUA_TSTRING)
        v = kl_lua_desc_copy(L, -1);
    else if (type != LUA_TNIL || required)
        luaL_error(L, "indicator: %s '%s' must be a string, not %s", where, key,
                   type == LUA_TNIL ? "missing" : lua_typename(L, type));
    lua_pop(L, 1);
    return v;
}

/* Every string key of table t is among `allowed` (integer keys 1..nint too). */
static void kl_lua_desc_known(lua_State *L, int t, const char *const *allowed, lua_Integer nint,
                              const char *where)
{
    lua_pushnil(L);
    while (lua_next(L, t)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) == LUA_TSTRING) {
            const char *k = lua_tostring(L, -1);
            const char *const *a = allowed;
            while (*a && strcmp(*a, k) != 0)
                a++;
            if (!*a)
                luaL_error(L, "indicator: %s has no field '%s'", where, k);
        } else if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1 ||
                   lua_tointeger(L, -1) > nint) {
            luaL_error(L, "indicator: %s has an unexpected %s key", where,
                       luaL_typename(L, -1));
        }
    }
}

/* ---- inputs ------------------------------------------------------------ */

/* The column list at idx (an array of names) into in; its joined form into
 * def->columns. */
static void kl_lua_desc_input_cols(lua_State *L, int idx, const char *table, kl_lua_input *in,
                                   kl_input_def *def)
{
    lua_Integer n = (lua_Integer)lua_rawlen(L, idx);
    size_t total = 1;
    char *joined;

    if (lua_type(L, idx) != LUA_TTABLE || n == 0)
        luaL_error(L, "indicator: inputs.%s must list its columns, e.g. {\"year\", \"region\"}",
                   table);
    kl_lua_desc_known(L, idx, (const char *const[]){NULL}, n, "an input's column list");
    in->cols = kl_lua_desc_array(L, (size_t)n, sizeof *in->cols);
    for (lua_Integer i = 1; i <= n; i++) {
        size_t len;
        const char *c;
        if (lua_rawgeti(L, idx, i) != LUA_TSTRING)
            luaL_error(L, "indicator: inputs.%s[%d] must be a column name", table, (int)i);
        c = lua_tolstring(L, -1, &len);
        if (!kl_lua_desc_name_ok(c, len, 0))
            luaL_error(L, "indicator: inputs.%s: '%s' is not a column name", table, c);
        in->cols[in->ncols++] = kl_lua_desc_copy(L, -1);
        total += len + 1;
        lua_pop(L, 1);
    }
    if (!(joined = kl_lua_desc_array(L, total, 1)))
        return;
    for (size_t i = 0; i < in->ncols; i++) {
        if (i)
            strcat(joined, ",");
        strcat(joined, in->cols[i]);
    }
    def->columns = joined;
}

/* inputs.NAME: a column list, or {columns = {...}, optional = true}. */
static void kl_lua_desc_input(lua_State *L, int idx, kl_lua_input *in, kl_input_def *def)
{
    static const char *const fields[] = {"columns", "optional", NULL};
    if (lua_type(L, idx) != LUA_TTABLE)
        luaL_error(L, "indicator: inputs.%s must be a table of columns", in->table);
    if (kl_lua_desc_get(L, idx, "columns") == LUA_TNIL) {
        lua_pop(L, 1);
        kl_lua_desc_input_cols(L, idx, in->table, in, def);
        return;
    }
    kl_lua_desc_known(L, idx, fields, 0, "an input with named fields");
    kl_lua_desc_input_cols(L, lua_gettop(L), in->table, in, def);
    lua_pop(L, 1);
    if (kl_lua_desc_get(L, idx, "optional") != LUA_TNIL) {
        if (!lua_isboolean(L, -1))
            luaL_error(L, "indicator: inputs.%s.optional must be true or false", in->table);
        if (lua_toboolean(L, -1))
            def->flags |= KL_INPUT_OPTIONAL;
    }
    lua_pop(L, 1);
}

static void kl_lua_desc_inputs(lua_State *L, int t, kl_lua_script *s)
{
    int idx;
    size_t n = 0;

    if (kl_lua_desc_get(L, t, "inputs") != LUA_TTABLE)
        luaL_error(L, "indicator: field 'inputs' must be a table such as "
                   "{firms = {\"year\", \"region\"}}");
    idx = lua_gettop(L);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        size_t len;
        const char *k;
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING)
            luaL_error(L, "indicator: inputs must be keyed by table name (firms, regions, a step)");
        k = lua_tolstring(L, -1, &len);
        if (!kl_lua_desc_name_ok(k, len, 1))
            luaL_error(L, "indicator: inputs: '%s' is not a table name", k);
        n++;
    }
    if (n == 0)
        luaL_error(L, "indicator: field 'inputs' declares no input");
    s->inputs = kl_lua_desc_array(L, n, sizeof *s->inputs);
    s->lin = kl_lua_desc_array(L, n, sizeof *s->lin);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        /* keep the inputs sorted by name: traversal order is not stable */
        const char *name = lua_tostring(L, -2);
        size_t at = s->ninputs;
        while (at > 0 && strcmp(s->lin[at - 1].table, name) > 0) {
            s->lin[at] = s->lin[at - 1];
            s->inputs[at] = s->inputs[at - 1];
            at--;
        }
        memset(&s->lin[at], 0, sizeof s->lin[at]);
        memset(&s->inputs[at], 0, sizeof s->inputs[at]);
        s->ninputs++;
        s->lin[at].table = s->inputs[at].table = kl_lua_desc_copy(L, -2);
        kl_lua_desc_input(L, lua_gettop(L), &s->lin[at], &s->inputs[at]);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
}

/* ---- columns and params ------------------------------------------------ */

static int kl_lua_desc_type(const char *t)
{
    if (strcmp(t, "int") == 0 || strcmp(t, "integer") == 0)
        return KL_TYPE_INT;
    if (strcmp(t, "num") == 0 || strcmp(t, "number") == 0)
        return KL_TYPE_NUM;
    if (strcmp(t, "text") == 0)
        return KL_TYPE_TEXT;
    return 0;
}

/* entry[1] or entry.name (a string), kept. */
static const char *kl_lua_desc_positional(lua_State *L, int e, lua_Integer pos, const char *key,
                                          const char *what, lua_Integer index)
{
    const char *v;
    int type = lua_rawgeti(L, e, pos);
    if (type == LUA_TNIL) {
        lua_pop(L, 1);
        type = kl_lua_desc_get(L, e, key);
    }
    if (type != LUA_TSTRING)
        luaL_error(L, "indicator: %s[%d] needs a %s (a string)", what, (int)index, key);
    v = kl_lua_desc_copy(L, -1);
    lua_pop(L, 1);
    return v;
}

static void kl_lua_desc_column(lua_State *L, int e, lua_Integer i, kl_column_def *c)
{
    static const char *const fields[] = {"name", "type", "unit", "description", NULL};
    const char *type;

    if (lua_type(L, e) != LUA_TTABLE)
        luaL_error(L, "indicator: columns[%d] must be a table such as {\"share\", \"num\"}", (int)i);
    kl_lua_desc_known(L, e, fields, 2, "a column");
    c->name = kl_lua_desc_positional(L, e, 1, "name", "columns", i);
    if (!kl_lua_desc_name_ok(c->name, strlen(c->name), 0))
        luaL_error(L, "indicator: columns[%d]: '%s' is not a column name (letters, digits, _)",
                   (int)i, c->name);
    type = kl_lua_desc_positional(L, e, 2, "type", "columns", i);
    if (!(c->type = kl_lua_desc_type(type)))
        luaL_error(L, "indicator: column '%s' has type '%s' (use int, num or text)", c->name, type);
    c->unit = kl_lua_desc_string(L, e, "unit", "column field", 0);
    c->description = kl_lua_desc_string(L, e, "description", "column field", 0);
    if (!c->unit)
        c->unit = "";
    if (!c->description)
        c->description = "";
}

static void kl_lua_desc_columns(lua_State *L, int t, kl_lua_script *s)
{
    int idx;
    lua_Integer n = 0; /* luaL_error does not return; clang cannot tell */

    if (kl_lua_desc_get(L, t, "columns") != LUA_TTABLE || (n = (lua_Integer)lua_rawlen(L, -1)) == 0)
        luaL_error(L, "indicator: field 'columns' must list the output columns, e.g. "
                   "{{\"year\", \"int\"}, {\"share\", \"num\"}}");
    idx = lua_gettop(L);
    kl_lua_desc_known(L, idx, (const char *const[]){NULL}, n, "the column list");
    s->columns = kl_lua_desc_array(L, (size_t)n, sizeof *s->columns);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, idx, i);
        kl_lua_desc_column(L, lua_gettop(L), i, &s->columns[i - 1]);
        s->ncols++;
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
}

static void kl_lua_desc_param(lua_State *L, int e, lua_Integer i, kl_param_def *p)
{
    static const char *const fields[] = {"name", "default", "description", NULL};
    int type;

    if (lua_type(L, e) != LUA_TTABLE)
        luaL_error(L, "indicator: params[%d] must be a table such as {\"min_firms\", default = \"3\"}",
                   (int)i);
    kl_lua_desc_known(L, e, fields, 1, "a parameter");
    p->name = kl_lua_desc_positional(L, e, 1, "name", "params", i);
    if (!kl_lua_desc_name_ok(p->name, strlen(p->name), 0))
        luaL_error(L, "indicator: params[%d]: '%s' is not a parameter name", (int)i, p->name);
    type = kl_lua_desc_get(L, e, "default");
    if (type == LUA_TSTRING || type == LUA_TNUMBER)
        p->default_value = kl_lua_desc_copy(L, -1);
    else if (type != LUA_TNIL)
        luaL_error(L, "indicator: parameter '%s' has a %s default (use a string or a number)",
                   p->name, lua_typename(L, type));
    lua_pop(L, 1);
    p->description = kl_lua_desc_string(L, e, "description", "parameter field", 0);
    if (!p->description)
        p->description = "";
}

static void kl_lua_desc_params(lua_State *L, int t, kl_lua_script *s)
{
    int idx, type = kl_lua_desc_get(L, t, "params");
    lua_Integer n;

    if (type == LUA_TNIL) {
        lua_pop(L, 1);
        return;
    }
    if (type != LUA_TTABLE)
        luaL_error(L, "indicator: field 'params' must be a list such as "
                   "{{\"min_firms\", default = \"3\"}}");
    idx = lua_gettop(L);
    n = (lua_Integer)lua_rawlen(L, idx);
    kl_lua_desc_known(L, idx, (const char *const[]){NULL}, n, "the parameter list");
    s->params = kl_lua_desc_array(L, (size_t)n, sizeof *s->params);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, idx, i);
        kl_lua_desc_param(L, lua_gettop(L), i, &s->params[i - 1]);
        for (size_t j = 0; j < s->nparams; j++)
            if (strcmp(s->params[j].name, s->params[i - 1].name) == 0)
                luaL_error(L, "indicator: parameter '%s' declared twice", s->params[j].name);
        s->nparams++;
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
}

static void kl_lua_desc_keys(lua_State *L, int t, kl_lua_script *s)
{
    int type = kl_lua_desc_get(L, t, "keys");
    lua_Integer k = 0;
    if (type != LUA_TNIL) {
        int isint;
        k = lua_tointegerx(L, -1, &isint);
        if (type != LUA_TNUMBER || !isint || k < 0 || (size_t)k > s->ncols)
            luaL_error(L, "indicator: field 'keys' must be the number of leading key columns "
                       "(0 to %d)", (int)s->ncols);
    }
    lua_pop(L, 1);
    s->desc.nkeys = (uint32_t)k;
}

/* ---- indicator{} ------------------------------------------------------- */

int kl_lua_indicator(lua_State *L)
{
    kl_lua_script *s = kl_lua_script_of(L);
    kl_plugin *d = &s->desc;

    if (s->declared)
        return luaL_error(L, "indicator{...} may be called only once per script");
    if (lua_type(L, 1) != LUA_TTABLE || lua_gettop(L) != 1)
        return luaL_error(L, "indicator takes one table: indicator{name = ..., ...}");
    kl_lua_desc_known(L, 1, kl_lua_indicator_fields, 0, "indicator{}");
    /* a declaration that failed half-way and was retried starts afresh */
    memset(d, 0, sizeof *d);
    s->ninputs = s->ncols = s->nparams = 0;
    s->inputs = NULL;
    s->lin = NULL;
    s->columns = NULL;
    s->params = NULL;
    d->size = sizeof *d;
    d->abi_major = KLASTER_ABI_MAJOR;
    d->abi_minor = KLASTER_ABI_MINOR;
    d->abi_check = KLASTER_ABI_CHECK;
    d->name = kl_lua_desc_string(L, 1, "name", "field", 1);
    d->version = kl_lua_desc_string(L, 1, "version", "field", 1);
    d->description = kl_lua_desc_string(L, 1, "description", "field", 1);
    d->source = kl_lua_desc_string(L, 1, "source", "field", 0);
    kl_lua_desc_inputs(L, 1, s);
    kl_lua_desc_columns(L, 1, s);
    kl_lua_desc_keys(L, 1, s);
    kl_lua_desc_params(L, 1, s);
    if (kl_lua_desc_get(L, 1, "compute") != LUA_TFUNCTION)
        return luaL_error(L, "indicator: field 'compute' must be a function compute(k)");
    lua_setfield(L, LUA_REGISTRYINDEX, KL_LUA_COMPUTE_KEY);
    d->inputs = s->inputs;
    d->columns = s->columns;
    d->params = s->params;
    s->declared = 1;
    return 0;
}

const kl_lua_input *kl_lua_find_input(const kl_lua_script *s, const char *table,
                                      const char *column)
{
    for (size_t i = 0; i < s->ninputs; i++) {
        if (strcmp(s->lin[i].table, table) != 0)
            continue;
        if (!column)
            return &s->lin[i];
        for (size_t c = 0; c < s->lin[i].ncols; c++)
            if (strcmp(s->lin[i].cols[c], column) == 0)
                return &s->lin[i];
        return NULL;
    }
    return NULL;
}

int kl_lua_input_optional(const kl_lua_script *s, const char *table)
{
    for (size_t i = 0; i < s->ninputs; i++)
        if (strcmp(s->inputs[i].table, table) == 0)
            return (s->inputs[i].flags & KL_INPUT_OPTIONAL) != 0;
    return 0;
}
