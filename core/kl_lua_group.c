/*
 * kl_lua_group.c -- grouping and group objects of the Lua API: the fast
 * path of scripts.
 *
 * k.grouping(table, keys [, require]) wraps host->group(); each group
 * object is a small userdata (grouping, index).  g:sum(col, also) and the
 * other aggregates call host->aggregate() once per (aggregate, column, also)
 * for the whole grouping and cache the array, so every later call for any
 * group is a lookup: no per-row Lua value is ever made.  g:values(col) is
 * the slow path that does make them.
 *
 * Groupings and groups hold pointers the host lends only while compute
 * runs; each records the compute call it belongs to and refuses to work
 * after that call has ended.
 */
#include <math.h>
#include <string.h>

#include "kl_lua_int.h"

#define KL_LUA_MAX_KEYS 8     /* KL_GROUP_MAX_KEYS */
#define KL_LUA_MAX_REQUIRE 16
#define KL_LUA_MAX_AGGS 64    /* distinct aggregates cached per grouping */

typedef struct kl_lua_agg {
    int agg;
    const char *col, *also; /* anchored in the grouping's uservalue */
    const double *v;        /* host-owned, [ngroups] */
} kl_lua_agg;

typedef struct kl_lua_grouping {
    uint64_t gen;
    const kl_groups *g;
    const char *table;                 /* anchored */
    size_t nkeys;
    const char *keys[KL_LUA_MAX_KEYS]; /* anchored */
    int text[KL_LUA_MAX_KEYS];         /* key k is TEXT */
    size_t nagg;
    kl_lua_agg agg[KL_LUA_MAX_AGGS];
} kl_lua_grouping;

typedef struct kl_lua_group {
    kl_lua_grouping *gr;
    uint32_t i;
} kl_lua_group;

static const char *const kl_lua_agg_names[] = {"g:sum", "g:count", "g:present", "g:mean",
                                                     "g:min", "g:max"};

/* The script, checked to be inside the compute call the object belongs to. */
static kl_lua_script *kl_lua_live(lua_State *L, uint64_t gen)
{
    kl_lua_script *s = kl_lua_script_of(L);
    if (!s->ctx || gen != s->generation)
        luaL_error(L, "a grouping or group was used after the compute call that made it ended");
    return s;
}

/* Keeps the value at idx alive as long as the grouping at gidx. */
static void kl_lua_anchor(lua_State *L, int gidx, int idx)
{
    idx = lua_absindex(L, idx);
    lua_getiuservalue(L, gidx, 1);
    lua_pushvalue(L, idx);
    lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
    lua_pop(L, 1);
}

int kl_lua_host_failed(lua_State *L)
{
    return luaL_error(L, "klaster refused the request; the step fails (its error says why)");
}

/* ---- making groupings -------------------------------------------------- */

/* Reads a list of column names (a string or an array of strings) at idx
 * into names[]; the strings stay anchored by the argument.  Returns n. */
static size_t kl_lua_names(lua_State *L, int idx, const char **names, size_t max, const char *what)
{
    size_t n;
    if (lua_type(L, idx) == LUA_TSTRING) {
        names[0] = lua_tostring(L, idx);
        return 1;
    }
    luaL_checktype(L, idx, LUA_TTABLE);
    n = lua_rawlen(L, idx);
    if (n > max)
        luaL_error(L, "%s: at most %d columns", what, (int)max);
    for (size_t i = 0; i < n; i++) {
        if (lua_rawgeti(L, idx, (lua_Integer)i + 1) != LUA_TSTRING)
            luaL_error(L, "%s: entry %d is not a column name", what, (int)i + 1);
        names[i] = lua_tostring(L, -1);
        lua_pop(L, 1); /* still referenced by the table */
    }
    return n;
}

/* Refuses a column of table the script did not declare. */
static void kl_lua_need_declared(lua_State *L, kl_lua_script *s, const char *what,
                                 const char *table, const char *column)
{
    if (!kl_lua_find_input(s, table, NULL))
        kl_lua_refuse(L, KL_ERR_USAGE, "%s: reads table '%s', which the script does not declare "
                      "in its inputs", what, table);
    if (column && !kl_lua_find_input(s, table, column))
        kl_lua_refuse(L, KL_ERR_USAGE, "%s: reads %s.%s, which the script does not declare in "
                      "inputs.%s", what, table, column, table);
}

/* k.grouping(table, keys [, require]) -> grouping, or nil when the input is
 * an absent optional one. */
int kl_lua_k_grouping(lua_State *L)
{
    kl_lua_script *s = kl_lua_script_of(L);
    const char *keys[KL_LUA_MAX_KEYS], *req[KL_LUA_MAX_REQUIRE + 1];
    const char *table = luaL_checkstring(L, 1);
    size_t nkeys, nreq = 0;
    const kl_groups *groups;
    kl_lua_grouping *gr;
    kl_column_view view;
    int text[KL_LUA_MAX_KEYS], rc;

    if (!s->ctx)
        return luaL_error(L, "k.groups: only available while compute runs");
    kl_lua_need_declared(L, s, "k.groups", table, NULL);
    if ((nkeys = kl_lua_names(L, 2, keys, KL_LUA_MAX_KEYS, "k.groups keys")) == 0)
        return luaL_error(L, "k.groups: name at least one key column");
    if (!lua_isnoneornil(L, 3))
        nreq = kl_lua_names(L, 3, req, KL_LUA_MAX_REQUIRE, "k.groups require");
    req[nreq] = NULL;
    for (size_t i = 0; i < nkeys + nreq; i++)
        kl_lua_need_declared(L, s, "k.groups", table, i < nkeys ? keys[i] : req[i - nkeys]);
    for (size_t i = 0; i < nkeys; i++) {
        rc = s->host->column(s->ctx, table, keys[i], &view);
        if (rc == KL_ERR_NOINPUT && kl_lua_input_optional(s, table)) {
            lua_pushnil(L);
            return 1;
        }
        if (rc != KL_OK)
            return kl_lua_host_failed(L);
        if (view.type == KL_TYPE_NUM)
            return luaL_error(L, "k.groups: cannot group by %s.%s, a number column (keys are "
                              "int or text)", table, keys[i]);
        text[i] = view.type == KL_TYPE_TEXT;
    }
    rc = s->host->group(s->ctx, table, keys, nkeys, nreq ? req : NULL, &groups);
    if (rc == KL_ERR_NOINPUT && kl_lua_input_optional(s, table)) {
        lua_pushnil(L);
        return 1;
    }
    if (rc != KL_OK)
        return kl_lua_host_failed(L);
    gr = lua_newuserdatauv(L, sizeof *gr, 1);
    memset(gr, 0, sizeof *gr);
    lua_createtable(L, (int)nkeys + 1, 0);
    lua_setiuservalue(L, -2, 1);
    luaL_setmetatable(L, KL_LUA_GROUPING_MT);
    gr->gen = s->generation;
    gr->g = groups;
    gr->nkeys = nkeys;
    lua_pushvalue(L, 1);
    kl_lua_anchor(L, -2, -1);
    gr->table = lua_tostring(L, -1);
    lua_pop(L, 1);
    for (size_t i = 0; i < nkeys; i++) {
        lua_pushstring(L, keys[i]);
        kl_lua_anchor(L, -2, -1);
        gr->keys[i] = lua_tostring(L, -1);
        gr->text[i] = text[i];
        lua_pop(L, 1);
    }
    return 1;
}

/* ---- groups ------------------------------------------------------------ */

static void kl_lua_push_group(lua_State *L, int gidx, kl_lua_grouping *gr, uint32_t i)
{
    kl_lua_group *g;
    gidx = lua_absindex(L, gidx);
    g = lua_newuserdatauv(L, sizeof *g, 1);
    g->gr = gr;
    g->i = i;
    lua_pushvalue(L, gidx);
    lua_setiuservalue(L, -2, 1);
    luaL_setmetatable(L, KL_LUA_GROUP_MT);
}

static kl_lua_grouping *kl_lua_check_grouping(lua_State *L, int idx)
{
    kl_lua_grouping *gr = luaL_checkudata(L, idx, KL_LUA_GROUPING_MT);
    kl_lua_live(L, gr->gen);
    return gr;
}

static kl_lua_group *kl_lua_check_group(lua_State *L, int idx)
{
    kl_lua_group *g = luaL_checkudata(L, idx, KL_LUA_GROUP_MT);
    kl_lua_live(L, g->gr->gen);
    return g;
}

/* The iterator of k.groups / gr:groups(): (grouping, previous group). */
static int kl_lua_groups_next(lua_State *L)
{
    kl_lua_grouping *gr = kl_lua_check_grouping(L, 1);
    uint32_t i = 0;
    if (!lua_isnil(L, 2))
        i = ((kl_lua_group *)luaL_checkudata(L, 2, KL_LUA_GROUP_MT))->i + 1;
    if (i >= gr->g->ngroups)
        return 0;
    kl_lua_push_group(L, 1, gr, i);
    return 1;
}

static int kl_lua_grouping_groups(lua_State *L)
{
    kl_lua_check_grouping(L, 1);
    lua_pushcfunction(L, kl_lua_groups_next);
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    return 3;
}

int kl_lua_no_more(lua_State *L)
{
    (void)L;
    return 0;
}

/* k.groups(table, keys [, require]): for g in k.groups(...) do ... end */
int kl_lua_k_groups(lua_State *L)
{
    lua_settop(L, 3);
    kl_lua_k_grouping(L);
    if (lua_isnil(L, -1)) { /* an absent optional input: no groups */
        lua_pushcfunction(L, kl_lua_no_more);
        return 1;
    }
    lua_replace(L, 1);
    lua_settop(L, 1);
    return kl_lua_grouping_groups(L);
}

/* Pushes key k of group g. */
static void kl_lua_push_key(lua_State *L, kl_lua_script *s, const kl_lua_group *g, size_t k)
{
    int64_t v = klaster_group_key(g->gr->g, g->i, k);
    if (g->gr->text[k])
        lua_pushstring(L, s->host->text(s->ctx, (uint32_t)v));
    else
        lua_pushinteger(L, (lua_Integer)v);
}

/* The key named `name` (or numbered, from 1), or -1. */
static int kl_lua_key_index(lua_State *L, const kl_lua_grouping *gr, int idx)
{
    if (lua_type(L, idx) == LUA_TSTRING) {
        const char *name = lua_tostring(L, idx);
        for (size_t k = 0; k < gr->nkeys; k++)
            if (gr->keys[k] == name || strcmp(gr->keys[k], name) == 0)
                return (int)k;
    } else if (lua_isinteger(L, idx)) {
        lua_Integer k = lua_tointeger(L, idx);
        if (k >= 1 && (size_t)k <= gr->nkeys)
            return (int)k - 1;
    }
    return -1;
}

/* g.KEY, or a method (upvalue 1: the methods). */
static int kl_lua_group_index(lua_State *L)
{
    kl_lua_group *g = luaL_checkudata(L, 1, KL_LUA_GROUP_MT);
    kl_lua_script *s;
    int k;

    lua_pushvalue(L, 2);
    if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL)
        return 1;
    s = kl_lua_live(L, g->gr->gen);
    if (lua_type(L, 2) != LUA_TSTRING || (k = kl_lua_key_index(L, g->gr, 2)) < 0)
        return luaL_error(L, "a group of %s has no key or method '%s'", g->gr->table,
                          luaL_tolstring(L, 2, NULL));
    kl_lua_push_key(L, s, g, (size_t)k);
    return 1;
}

/* g:key(name or number) */
static int kl_lua_group_key(lua_State *L)
{
    kl_lua_group *g = kl_lua_check_group(L, 1);
    int k = kl_lua_key_index(L, g->gr, 2);
    if (k < 0)
        return luaL_error(L, "g:key: the grouping has no key %s", luaL_tolstring(L, 2, NULL));
    kl_lua_push_key(L, kl_lua_script_of(L), g, (size_t)k);
    return 1;
}

static int kl_lua_group_tostring(lua_State *L)
{
    kl_lua_group *g = luaL_checkudata(L, 1, KL_LUA_GROUP_MT);
    kl_lua_script *s = kl_lua_script_of(L);
    luaL_Buffer b;

    if (!s->ctx || g->gr->gen != s->generation) {
        lua_pushliteral(L, "group (of an ended compute call)");
        return 1;
    }
    luaL_buffinit(L, &b);
    luaL_addstring(&b, "group(");
    for (size_t k = 0; k < g->gr->nkeys; k++) {
        if (k)
            luaL_addstring(&b, ", ");
        luaL_addstring(&b, g->gr->keys[k]);
        luaL_addchar(&b, '=');
        kl_lua_push_key(L, s, g, k);
        luaL_addvalue(&b);
    }
    luaL_addchar(&b, ')');
    luaL_pushresult(&b);
    return 1;
}

/* ---- aggregates -------------------------------------------------------- */

/* The cached per-group array of aggregate agg over col (and also); the
 * group is at stack index 1. */
static const double *kl_lua_agg_values(lua_State *L, kl_lua_script *s, kl_lua_grouping *gr,
                                       int agg, int colidx, int alsoidx)
{
    const char *col = lua_tostring(L, colidx);
    const char *also = alsoidx ? lua_tostring(L, alsoidx) : NULL;
    kl_lua_agg *a;

    for (size_t i = 0; i < gr->nagg; i++) {
        a = &gr->agg[i];
        if (a->agg == agg && (a->col == col || strcmp(a->col, col) == 0) &&
            (a->also == also || (a->also && also && strcmp(a->also, also) == 0)))
            return a->v;
    }
    kl_lua_need_declared(L, s, kl_lua_agg_names[agg], gr->table, col);
    if (also)
        kl_lua_need_declared(L, s, kl_lua_agg_names[agg], gr->table, also);
    if (gr->nagg == KL_LUA_MAX_AGGS)
        luaL_error(L, "%s: more than %d different aggregates of one grouping", kl_lua_agg_names[agg],
                   KL_LUA_MAX_AGGS);
    a = &gr->agg[gr->nagg];
    if (s->host->aggregate(s->ctx, gr->g, agg, col, also, &a->v) != KL_OK)
        kl_lua_host_failed(L);
    lua_getiuservalue(L, 1, 1); /* the grouping: anchor the names there */
    kl_lua_anchor(L, -1, colidx);
    if (alsoidx)
        kl_lua_anchor(L, -1, alsoidx);
    lua_pop(L, 1);
    a->agg = agg;
    a->col = col;
    a->also = also;
    gr->nagg++;
    return a->v;
}

static int kl_lua_group_agg(lua_State *L, int agg)
{
    kl_lua_group *g = kl_lua_check_group(L, 1);
    kl_lua_script *s = kl_lua_script_of(L);
    double v;

    luaL_checktype(L, 2, LUA_TSTRING);
    if (!lua_isnoneornil(L, 3))
        luaL_checktype(L, 3, LUA_TSTRING);
    v = kl_lua_agg_values(L, s, g->gr, agg, 2, lua_isnoneornil(L, 3) ? 0 : 3)[g->i];
    if (agg == KL_AGG_PRESENT)
        lua_pushinteger(L, (lua_Integer)v);
    else if (isnan(v))
        lua_pushnil(L);
    else
        lua_pushnumber(L, v);
    return 1;
}

static int kl_lua_group_sum(lua_State *L) { return kl_lua_group_agg(L, KL_AGG_SUM); }
static int kl_lua_group_present(lua_State *L) { return kl_lua_group_agg(L, KL_AGG_PRESENT); }
static int kl_lua_group_mean(lua_State *L) { return kl_lua_group_agg(L, KL_AGG_MEAN); }
static int kl_lua_group_min(lua_State *L) { return kl_lua_group_agg(L, KL_AGG_MIN); }
static int kl_lua_group_max(lua_State *L) { return kl_lua_group_agg(L, KL_AGG_MAX); }

/* g:count() and g:rows(): rows in the group. */
static int kl_lua_group_count(lua_State *L)
{
    kl_lua_group *g = kl_lua_check_group(L, 1);
    lua_pushinteger(L, (lua_Integer)(g->gr->g->offsets[g->i + 1] - g->gr->g->offsets[g->i]));
    return 1;
}

/* Pushes row r of column view c (nil when missing; "" counts as missing). */
void kl_lua_push_cell(lua_State *L, kl_lua_script *s, const kl_column_view *c, size_t r)
{
    if (klaster_missing(c, r))
        lua_pushnil(L);
    else if (c->type == KL_TYPE_NUM)
        lua_pushnumber(L, ((const double *)c->data)[r]);
    else if (c->type == KL_TYPE_INT)
        lua_pushinteger(L, (lua_Integer)klaster_int(c, r));
    else if (klaster_code(c, r) == 0)
        lua_pushnil(L);
    else
        lua_pushstring(L, s->host->text(s->ctx, klaster_code(c, r)));
}

/* g:values(col): the group's values, in table order ({n = rows}). */
static int kl_lua_group_values(lua_State *L)
{
    kl_lua_group *g = kl_lua_check_group(L, 1);
    kl_lua_script *s = kl_lua_script_of(L);
    const char *col = luaL_checkstring(L, 2);
    const kl_groups *gs = g->gr->g;
    uint32_t from = gs->offsets[g->i], to = gs->offsets[g->i + 1];
    kl_column_view view;

    kl_lua_need_declared(L, s, "g:values", g->gr->table, col);
    if (s->host->column(s->ctx, g->gr->table, col, &view) != KL_OK)
        return kl_lua_host_failed(L);
    lua_createtable(L, (int)(to - from), 1);
    for (uint32_t j = from; j < to; j++) {
        kl_lua_push_cell(L, s, &view, gs->rows[j]);
        lua_rawseti(L, -2, (lua_Integer)(j - from) + 1);
    }
    lua_pushinteger(L, (lua_Integer)(to - from));
    lua_setfield(L, -2, "n");
    return 1;
}

/* g:prev([year_key]): the group with the same keys a year earlier, or nil. */
static int kl_lua_group_prev(lua_State *L)
{
    kl_lua_group *g = kl_lua_check_group(L, 1);
    kl_lua_script *s = kl_lua_script_of(L);
    int k;
    uint32_t p;

    if (lua_isnoneornil(L, 2)) {
        lua_settop(L, 1);
        lua_pushliteral(L, "year");
    }
    if ((k = kl_lua_key_index(L, g->gr, 2)) < 0 || g->gr->text[k])
        return luaL_error(L, "g:prev: the grouping has no integer key %s (name the year key: "
                          "g:prev(\"yr\"))", luaL_tolstring(L, 2, NULL));
    p = s->host->group_prev(s->ctx, g->gr->g, g->i, (size_t)k);
    if (p == KL_NO_GROUP)
        return 0;
    lua_getiuservalue(L, 1, 1);
    kl_lua_push_group(L, -1, g->gr, p);
    return 1;
}

/* ---- grouping methods -------------------------------------------------- */

/* gr:find(key1, key2, ...) -> the group with these key values, or nil. */
static int kl_lua_grouping_find(lua_State *L)
{
    kl_lua_grouping *gr = kl_lua_check_grouping(L, 1);
    kl_lua_script *s = kl_lua_script_of(L);
    int64_t key[KL_LUA_MAX_KEYS];
    uint32_t found;

    for (size_t k = 0; k < gr->nkeys; k++) {
        int idx = (int)k + 2;
        if (gr->text[k]) {
            uint32_t code;
            if (lua_type(L, idx) != LUA_TSTRING)
                return luaL_error(L, "gr:find: key '%s' is text, got %s", gr->keys[k],
                                  luaL_typename(L, idx));
            if ((code = s->host->text_code(s->ctx, lua_tostring(L, idx))) == KL_NO_GROUP)
                return 0;
            key[k] = code;
        } else {
            int isint;
            lua_Integer v = lua_tointegerx(L, idx, &isint);
            if (lua_type(L, idx) != LUA_TNUMBER)
                return luaL_error(L, "gr:find: key '%s' is an integer, got %s", gr->keys[k],
                                  luaL_typename(L, idx));
            if (!isint)
                return 0;
            key[k] = v;
        }
    }
    if ((found = s->host->group_find(s->ctx, gr->g, key)) == KL_NO_GROUP)
        return 0;
    kl_lua_push_group(L, 1, gr, found);
    return 1;
}

static int kl_lua_grouping_size(lua_State *L)
{
    kl_lua_grouping *gr = kl_lua_check_grouping(L, 1);
    lua_pushinteger(L, (lua_Integer)gr->g->ngroups);
    return 1;
}

/* gr[i] (the i-th group, from 1), or a method (upvalue 1). */
static int kl_lua_grouping_index(lua_State *L)
{
    kl_lua_grouping *gr = luaL_checkudata(L, 1, KL_LUA_GROUPING_MT);
    if (lua_isinteger(L, 2)) {
        lua_Integer i = lua_tointeger(L, 2);
        kl_lua_live(L, gr->gen);
        if (i < 1 || (size_t)i > gr->g->ngroups)
            return 0;
        kl_lua_push_group(L, 1, gr, (uint32_t)(i - 1));
        return 1;
    }
    lua_pushvalue(L, 2);
    lua_rawget(L, lua_upvalueindex(1));
    return 1;
}

/* ---- metatables -------------------------------------------------------- */

static void kl_lua_metatable(lua_State *L, const char *name, const luaL_Reg *methods,
                             lua_CFunction index)
{
    luaL_newmetatable(L, name);
    lua_newtable(L);
    luaL_setfuncs(L, methods, 0);
    lua_pushcclosure(L, index, 1);
    lua_setfield(L, -2, "__index");
    lua_pushliteral(L, "locked by klaster");
    lua_setfield(L, -2, "__metatable");
}

void kl_lua_group_init(lua_State *L)
{
    static const luaL_Reg group_methods[] = {
        {"sum", kl_lua_group_sum},         {"count", kl_lua_group_count},
        {"rows", kl_lua_group_count},      {"present", kl_lua_group_present},
        {"mean", kl_lua_group_mean},       {"min", kl_lua_group_min},
        {"max", kl_lua_group_max},         {"values", kl_lua_group_values},
        {"prev", kl_lua_group_prev},       {"key", kl_lua_group_key},
        {NULL, NULL}};
    static const luaL_Reg grouping_methods[] = {
        {"groups", kl_lua_grouping_groups}, {"find", kl_lua_grouping_find},
        {"size", kl_lua_grouping_size},     {NULL, NULL}};

    kl_lua_metatable(L, KL_LUA_GROUP_MT, group_methods, kl_lua_group_index);
    lua_pushcfunction(L, kl_lua_group_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pop(L, 1);
    kl_lua_metatable(L, KL_LUA_GROUPING_MT, grouping_methods, kl_lua_grouping_index);
    lua_pushcfunction(L, kl_lua_grouping_size);
    lua_setfield(L, -2, "__len");
    lua_pop(L, 1);
}
