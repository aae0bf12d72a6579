/*
 * kl_pipeline.c -- reading pipeline files (see kl_pipeline.h).
 *
 * The file runs in the Lua sandbox (kl_lua_run_config); this file turns the
 * table given to pipeline{...} into a kl_pipeline, refusing unknown keys so
 * that a typo ("ouput") is an error, not a silently ignored setting.
 */
#include "kl_pipeline.h"

#include <errno.h>
#include <lauxlib.h>
#include <limits.h>
#include <lua.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kl_alloc.h"
#include "kl_cli.h"
#include "kl_lua.h"
#include "kl_number.h"
#include "kl_sha256.h"

typedef struct kl_pipeline_reader {
    kl_pipeline *p;
    char dir[PATH_MAX]; /* the pipeline file's folder, absolute */
    /* The readers' temporary strings live here, not in C locals: a Lua
     * error (out of memory inside lua_getfield) longjmps past a function's
     * cleanup, and kl_pipeline_load then frees whatever was left. */
    char *data, *plugin_path, *script_path, *ds_path, *ds_delim, *step_script, *step_plugin,
        *out_dir, *out_format;
} kl_pipeline_reader;

static int kl_pl_fail(kl_pipeline_reader *r, kl_error *err, const char *fmt, ...) KL_PRINTF(3, 4);
static int kl_pl_fail(kl_pipeline_reader *r, kl_error *err, const char *fmt, ...)
{
    char msg[KL_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return kl_error_set(err, KL_ERR_USAGE, "%s: %s", r->p->path, msg);
}

/* An absolute path for `rel` (relative to the pipeline's folder). */
static char *kl_pl_resolve(const kl_pipeline_reader *r, const char *rel)
{
    char buf[PATH_MAX * 2];
    if (rel[0] == '/')
        return kl_strdup(rel);
    snprintf(buf, sizeof buf, "%s/%s", r->dir, rel);
    return kl_strdup(buf);
}

/* A colon-separated list of folders, each resolved like kl_pl_resolve. */
static char *kl_pl_resolve_list(const kl_pipeline_reader *r, const char *list)
{
    char *out = NULL;
    size_t len = 0;
    const char *p = list;
    for (;;) {
        const char *colon = strchr(p, ':');
        size_t n = colon ? (size_t)(colon - p) : strlen(p);
        char *entry = kl_strndup(p, n), *abs = entry ? kl_pl_resolve(r, entry) : NULL;
        char *grown = abs ? kl_realloc(out, len + strlen(abs) + 2) : NULL;
        kl_free(entry);
        if (!grown) {
            kl_free(abs);
            kl_free(out);
            return NULL;
        }
        out = grown;
        len += (size_t)sprintf(out + len, "%s%s", len ? ":" : "", abs);
        kl_free(abs);
        if (!colon)
            return out;
        p = colon + 1;
    }
}

/* Checks that every key of the table at idx is in `allowed`. */
static int kl_pl_known_keys(lua_State *L, int idx, const char *const *allowed, const char *where,
                            kl_pipeline_reader *r, kl_error *err)
{
    idx = lua_absindex(L, idx);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        const char *key = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
        int ok = 0;
        for (const char *const *a = allowed; key && *a; a++)
            ok |= strcmp(*a, key) == 0;
        lua_pop(L, 1);
        if (!ok) {
            lua_pop(L, 1);
            return kl_pl_fail(r, err, "unknown setting '%s' in %s (allowed: see docs/pipelines.md)",
                              key ? key : "(not a name)", where);
        }
    }
    return KL_OK;
}

/* A kl_malloc'd copy of the string or number at idx.  Numbers are
 * formatted here rather than by lua_tostring, which would allocate in Lua
 * (and could raise an error outside a protected call). */
static char *kl_pl_text(lua_State *L, int idx)
{
    char buf[64];
    if (lua_type(L, idx) == LUA_TSTRING) {
        size_t len;
        const char *s = lua_tolstring(L, idx, &len);
        return kl_strndup(s, len);
    }
    if (lua_isinteger(L, idx))
        snprintf(buf, sizeof buf, "%lld", (long long)lua_tointeger(L, idx));
    else
        kl_format_num(buf, (double)lua_tonumber(L, idx)); /* shortest form: 0.1 stays 0.1 */
    return kl_strdup(buf);
}

/* A string field (numbers are converted); NULL when absent. */
static int kl_pl_string(lua_State *L, int idx, const char *key, const char *where, char **out,
                        kl_pipeline_reader *r, kl_error *err)
{
    int t = lua_getfield(L, idx, key);
    *out = NULL;
    if (t == LUA_TNIL) {
        lua_pop(L, 1);
        return KL_OK;
    }
    if (t != LUA_TSTRING && t != LUA_TNUMBER) {
        lua_pop(L, 1);
        return kl_pl_fail(r, err, "%s.%s must be a string, not a %s", where, key, lua_typename(L, t));
    }
    *out = kl_pl_text(L, -1);
    lua_pop(L, 1);
    return *out ? KL_OK : kl_error_oom(err, "reading a pipeline");
}

/* A size field ("64M" or a number of bytes); unchanged when absent. */
static int kl_pl_size(lua_State *L, int idx, const char *key, const char *where, uint64_t *out,
                      kl_pipeline_reader *r, kl_error *err)
{
    char *text;
    int rc = kl_pl_string(L, idx, key, where, &text, r, err);
    if (rc != KL_OK || !text)
        return rc;
    if (!kl_cli_parse_size(text, out))
        rc = kl_pl_fail(r, err, "%s.%s: '%s' is not a size (e.g. 4096, 64K, 16M, 2G)", where, key,
                        text);
    kl_free(text);
    return rc;
}

static int kl_pl_dataset(lua_State *L, kl_pipeline_reader *r, const char *name, kl_error *err)
{
    static const char *const keys[] = {"path", "delimiter", "map", NULL};
    kl_pipeline *p = r->p;
    kl_pipeline_dataset *d;
    char where[64];
    int rc = KL_OK;

    if (!kl_schema_find(name))
        return kl_pl_fail(r, err, "datasets.%s: no such dataset (firms, exports, regions, clusters)",
                          name);
    if (p->ndatasets == sizeof p->datasets / sizeof p->datasets[0])
        return kl_pl_fail(r, err, "too many datasets");
    d = &p->datasets[p->ndatasets++];
    d->name = kl_schema_find(name)->name;
    snprintf(where, sizeof where, "datasets.%s", name);
    if (lua_type(L, -1) == LUA_TSTRING) {
        char *rel = kl_pl_text(L, -1);
        d->path = rel ? kl_pl_resolve(r, rel) : NULL;
        kl_free(rel);
        return d->path ? KL_OK : kl_error_oom(err, "reading a pipeline");
    }
    if (lua_type(L, -1) != LUA_TTABLE)
        return kl_pl_fail(r, err, "%s must be a file name or a table", where);
    if ((rc = kl_pl_known_keys(L, -1, keys, where, r, err)) != KL_OK ||
        (rc = kl_pl_string(L, -1, "path", where, &r->ds_path, r, err)) != KL_OK ||
        (rc = kl_pl_string(L, -1, "delimiter", where, &r->ds_delim, r, err)) != KL_OK)
        goto out;
    if (r->ds_path && !(d->path = kl_pl_resolve(r, r->ds_path))) {
        rc = kl_error_oom(err, "reading a pipeline");
        goto out;
    }
    if (r->ds_delim) {
        if (strcmp(r->ds_delim, ",") == 0 || strcmp(r->ds_delim, ";") == 0)
            d->delimiter = r->ds_delim[0];
        else if (strcmp(r->ds_delim, "tab") == 0 || strcmp(r->ds_delim, "\t") == 0)
            d->delimiter = '\t';
        else {
            rc = kl_pl_fail(r, err, "%s.delimiter must be ',', ';' or 'tab'", where);
            goto out;
        }
    }
    if (lua_getfield(L, -1, "map") == LUA_TTABLE) {
        lua_pushnil(L);
        while (rc == KL_OK && lua_next(L, -2)) {
            char spec[1024];
            kl_colmap *grown;
            if (lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TSTRING) {
                lua_pop(L, 2);
                rc = kl_pl_fail(r, err, "%s.map: write canonical = \"your column\"", where);
                break;
            }
            snprintf(spec, sizeof spec, "%s.%s=%s", name, lua_tostring(L, -2), lua_tostring(L, -1));
            /* (both are strings: checked above, so lua_tostring allocates nothing) */
            lua_pop(L, 1);
            if (!(grown = kl_reallocarray(d->maps, d->nmaps + 1, sizeof *grown))) {
                lua_pop(L, 1);
                rc = kl_error_oom(err, "reading a pipeline");
                break;
            }
            d->maps = grown;
            if ((rc = kl_colmap_parse(&d->maps[d->nmaps], spec, err)) != KL_OK) {
                lua_pop(L, 1);
                kl_error_prefix(err, "%s: %s.map", p->path, where);
                break;
            }
            d->nmaps++;
        }
    } else if (lua_type(L, -1) != LUA_TNIL) {
        rc = kl_pl_fail(r, err, "%s.map must be a table { canonical = \"your column\" }", where);
    }
    lua_pop(L, 1);
out:
    kl_free(r->ds_path);
    r->ds_path = NULL;
    kl_free(r->ds_delim);
    r->ds_delim = NULL;
    return rc;
}

/* Parameters in name order: Lua's table order differs from one process to
 * the next, and the run's fingerprint must not. */
static int kl_pl_cmp_param(const void *a, const void *b)
{
    return strcmp(((const kl_param *)a)->name, ((const kl_param *)b)->name);
}

static int kl_pl_params(lua_State *L, kl_pipeline_reader *r, kl_pipeline_step *s, const char *where,
                        kl_error *err)
{
    int rc = KL_OK;
    if (lua_getfield(L, -1, "params") == LUA_TNIL) {
        lua_pop(L, 1);
        return KL_OK;
    }
    if (lua_type(L, -1) != LUA_TTABLE) {
        lua_pop(L, 1);
        return kl_pl_fail(r, err, "%s.params must be a table { name = value }", where);
    }
    lua_pushnil(L);
    while (rc == KL_OK && lua_next(L, -2)) {
        kl_param *grown;

        int t = lua_type(L, -1);
        if (lua_type(L, -2) != LUA_TSTRING ||
            (t != LUA_TSTRING && t != LUA_TNUMBER && t != LUA_TBOOLEAN)) {
            lua_pop(L, 2);
            rc = kl_pl_fail(r, err, "%s.params: each must be name = string, number or boolean", where);
            break;
        }
        if (!(grown = kl_reallocarray(s->params, s->nparams + 1, sizeof *grown))) {
            lua_pop(L, 2);
            rc = kl_error_oom(err, "reading a pipeline");
            break;
        }
        s->params = grown;
        s->params[s->nparams].name = kl_pl_text(L, -2);
        s->params[s->nparams].value = t == LUA_TBOOLEAN
                                          ? kl_strdup(lua_toboolean(L, -1) ? "true" : "false")
                                          : kl_pl_text(L, -1);
        s->nparams++;
        if (!s->params[s->nparams - 1].name || !s->params[s->nparams - 1].value)
            rc = kl_error_oom(err, "reading a pipeline");
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    if (rc == KL_OK && s->nparams > 1)
        qsort(s->params, s->nparams, sizeof *s->params, kl_pl_cmp_param);
    return rc;
}

static int kl_pl_step(lua_State *L, kl_pipeline_reader *r, size_t i, kl_error *err)
{
    static const char *const keys[] = {"name", "plugin", "script", "params", NULL};
    kl_pipeline_step *s = &r->p->steps[i];
    char where[64];
    int rc;

    snprintf(where, sizeof where, "steps[%zu]", i + 1);
    if (lua_type(L, -1) == LUA_TSTRING) {
        s->name = kl_pl_text(L, -1);
        return s->name ? KL_OK : kl_error_oom(err, "reading a pipeline");
    }
    if (lua_type(L, -1) != LUA_TTABLE)
        return kl_pl_fail(r, err, "%s must be a step name or a table", where);
    if ((rc = kl_pl_known_keys(L, -1, keys, where, r, err)) != KL_OK ||
        (rc = kl_pl_string(L, -1, "name", where, &s->name, r, err)) != KL_OK ||
        (rc = kl_pl_string(L, -1, "plugin", where, &r->step_plugin, r, err)) != KL_OK ||
        (rc = kl_pl_string(L, -1, "script", where, &r->step_script, r, err)) != KL_OK)
        goto out;
    if (r->step_plugin && (r->step_script || (s->name && strcmp(s->name, r->step_plugin) != 0))) {
        rc = kl_pl_fail(r, err, "%s: give a step by name, plugin or script, not several", where);
        goto out;
    }
    if (r->step_plugin && !s->name) {
        s->name = r->step_plugin;
        r->step_plugin = NULL;
    }
    if (r->step_script && !(s->script = kl_pl_resolve(r, r->step_script))) {
        rc = kl_error_oom(err, "reading a pipeline");
        goto out;
    }
    if (!s->name && !s->script) {
        rc = kl_pl_fail(r, err, "%s needs a name (a plugin or script on the path) or a script path",
                        where);
        goto out;
    }
    rc = kl_pl_params(L, r, s, where, err);
out:
    kl_free(r->step_script);
    r->step_script = NULL;
    kl_free(r->step_plugin);
    r->step_plugin = NULL;
    return rc;
}

static int kl_pl_output(lua_State *L, kl_pipeline_reader *r, kl_error *err)
{
    static const char *const keys[] = {"dir", "format", "keep", NULL};
    kl_pipeline *p = r->p;
    int rc;

    if (lua_getfield(L, -1, "output") != LUA_TTABLE) {
        lua_pop(L, 1);
        return kl_pl_fail(r, err, "needs output = { dir = \"...\" } (where runs are written)");
    }
    if ((rc = kl_pl_known_keys(L, -1, keys, "output", r, err)) != KL_OK ||
        (rc = kl_pl_string(L, -1, "dir", "output", &r->out_dir, r, err)) != KL_OK ||
        (rc = kl_pl_string(L, -1, "format", "output", &r->out_format, r, err)) != KL_OK)
        goto out;
    if (!r->out_dir) {
        rc = kl_pl_fail(r, err, "output.dir is missing");
        goto out;
    }
    if (!(p->out_dir = kl_pl_resolve(r, r->out_dir))) {
        rc = kl_error_oom(err, "reading a pipeline");
        goto out;
    }
    p->format = r->out_format ? kl_format_from_name(r->out_format) : KL_FORMAT_CSV;
    if (!p->format) {
        rc = kl_pl_fail(r, err, "output.format must be csv, csv.gz or jsonl, not '%s'", r->out_format);
        goto out;
    }
    if (lua_getfield(L, -1, "keep") != LUA_TNIL) {
        int isnum;
        lua_Integer keep = lua_tointegerx(L, -1, &isnum);
        if (!isnum || keep < 0 || keep > 100000)
            rc = kl_pl_fail(r, err, "output.keep must be a whole number of runs (0 = keep all)");
        else
            p->keep = (unsigned)keep;
    }
    lua_pop(L, 1);
out:
    lua_pop(L, 1);
    kl_free(r->out_dir);
    r->out_dir = NULL;
    kl_free(r->out_format);
    r->out_format = NULL;
    return rc;
}

/* The visitor: the table given to pipeline{...} is on top of L's stack. */
static int kl_pl_read(lua_State *L, void *ud, kl_error *err)
{
    static const char *const keys[] = {"name",        "data",   "datasets",      "steps",
                                       "output",      "report", "plugin_path",   "script_path",
                                       "skip_bad_rows", "limits", NULL};
    static const char *const limit_keys[] = {"max_field_size", "max_input_size", "lua_memory",
                                             "lua_instructions", NULL};
    kl_pipeline_reader *r = ud;
    kl_pipeline *p = r->p;
    int rc;

    if ((rc = kl_pl_known_keys(L, -1, keys, "pipeline{}", r, err)) != KL_OK ||
        (rc = kl_pl_string(L, -1, "name", "pipeline", &p->name, r, err)) != KL_OK ||
        (rc = kl_pl_string(L, -1, "data", "pipeline", &r->data, r, err)) != KL_OK ||
        (rc = kl_pl_string(L, -1, "report", "pipeline", &p->report, r, err)) != KL_OK ||
        (rc = kl_pl_string(L, -1, "plugin_path", "pipeline", &r->plugin_path, r, err)) != KL_OK ||
        (rc = kl_pl_string(L, -1, "script_path", "pipeline", &r->script_path, r, err)) != KL_OK)
        goto out;
    p->data_dir = kl_pl_resolve(r, r->data ? r->data : ".");
    if (r->plugin_path)
        p->plugin_path = kl_pl_resolve_list(r, r->plugin_path);
    if (r->script_path)
        p->script_path = kl_pl_resolve_list(r, r->script_path);
    if (!p->data_dir || (r->plugin_path && !p->plugin_path) || (r->script_path && !p->script_path)) {
        rc = kl_error_oom(err, "reading a pipeline");
        goto out;
    }
    if (lua_getfield(L, -1, "skip_bad_rows") != LUA_TNIL && lua_type(L, -1) != LUA_TBOOLEAN) {
        lua_pop(L, 1);
        rc = kl_pl_fail(r, err, "skip_bad_rows must be true or false");
        goto out;
    }
    p->skip_bad_rows = lua_toboolean(L, -1);
    lua_pop(L, 1);
    if (lua_getfield(L, -1, "limits") == LUA_TTABLE) {
        int isnum;
        if ((rc = kl_pl_known_keys(L, -1, limit_keys, "limits", r, err)) != KL_OK ||
            (rc = kl_pl_size(L, -1, "max_field_size", "limits", &p->max_field, r, err)) != KL_OK ||
            (rc = kl_pl_size(L, -1, "max_input_size", "limits", &p->max_input, r, err)) != KL_OK ||
            (rc = kl_pl_size(L, -1, "lua_memory", "limits", &p->lua_memory, r, err)) != KL_OK) {
            lua_pop(L, 1);
            goto out;
        }
        if (lua_getfield(L, -1, "lua_instructions") != LUA_TNIL) {
            lua_Number n = lua_tonumberx(L, -1, &isnum);
            if (!isnum || n < 1 || n > 1e15)
                rc = kl_pl_fail(r, err, "limits.lua_instructions must be a positive number");
            else
                p->lua_instructions = (uint64_t)n;
        }
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    if (rc != KL_OK)
        goto out;
    if (lua_getfield(L, -1, "datasets") == LUA_TTABLE) {
        lua_pushnil(L);
        while (rc == KL_OK && lua_next(L, -2)) {
            if (lua_type(L, -2) != LUA_TSTRING)
                rc = kl_pl_fail(r, err, "datasets: keys must be dataset names");
            else
                rc = kl_pl_dataset(L, r, lua_tostring(L, -2), err);
            lua_pop(L, 1);
        }
        if (rc != KL_OK)
            lua_pop(L, 1);
    } else if (lua_type(L, -1) != LUA_TNIL) {
        rc = kl_pl_fail(r, err, "datasets must be a table { firms = \"firms.csv.gz\", ... }");
    }
    lua_pop(L, 1);
    if (rc != KL_OK)
        goto out;
    if (lua_getfield(L, -1, "steps") != LUA_TTABLE || lua_rawlen(L, -1) == 0) {
        lua_pop(L, 1);
        rc = kl_pl_fail(r, err, "needs steps = { \"jobs_created\", ... } (at least one step)");
        goto out;
    }
    p->nsteps = lua_rawlen(L, -1);
    if (!(p->steps = kl_calloc(p->nsteps, sizeof *p->steps))) {
        p->nsteps = 0; /* kl_pipeline_free walks steps[0..nsteps) */
        lua_pop(L, 1);
        rc = kl_error_oom(err, "reading a pipeline");
        goto out;
    }
    for (size_t i = 0; i < p->nsteps && rc == KL_OK; i++) {
        lua_rawgeti(L, -1, (lua_Integer)i + 1);
        rc = kl_pl_step(L, r, i, err);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    if (rc == KL_OK)
        rc = kl_pl_output(L, r, err);
out:
    kl_free(r->data);
    r->data = NULL;
    kl_free(r->plugin_path);
    r->plugin_path = NULL;
    kl_free(r->script_path);
    r->script_path = NULL;
    return rc;
}

int kl_pipeline_load(kl_pipeline *p, const char *path, kl_error *err)
{
    kl_pipeline_reader r;
    char hex[65], absfile[PATH_MAX], *slash;
    uint64_t size;
    int rc;

    memset(p, 0, sizeof *p);
    memset(&r, 0, sizeof r);
    r.p = p;
    if (!(p->path = kl_strdup(path)))
        return kl_error_oom(err, "reading a pipeline");
    if (!realpath(path, absfile))
        return kl_error_set(err, KL_ERR_NOINPUT, "%s: cannot read the pipeline file: %s", path,
                            strerror(errno));
    if (!(p->abspath = kl_strdup(absfile)))
        return kl_error_oom(err, "reading a pipeline");
    if ((rc = kl_sha256_file(absfile, hex, &size, err)) != KL_OK)
        return rc;
    if (!(p->sha256 = kl_strdup(hex)))
        return kl_error_oom(err, "reading a pipeline");
    memcpy(r.dir, absfile, sizeof r.dir);
    slash = strrchr(r.dir, '/');
    if (slash)
        *(slash == r.dir ? slash + 1 : slash) = '\0';
    rc = kl_lua_run_config(absfile, p->path, "pipeline", kl_pl_read, &r, err);
    /* what a Lua error jumped past */
    kl_free(r.data);
    kl_free(r.plugin_path);
    kl_free(r.script_path);
    kl_free(r.ds_path);
    kl_free(r.ds_delim);
    kl_free(r.step_script);
    kl_free(r.step_plugin);
    kl_free(r.out_dir);
    kl_free(r.out_format);
    if (rc == KL_OK && !p->name) {
        const char *base = strrchr(absfile, '/') ? strrchr(absfile, '/') + 1 : absfile;
        if (!(p->name = kl_strndup(base, strcspn(base, "."))))
            rc = kl_error_oom(err, "reading a pipeline");
    }
    return rc;
}

void kl_pipeline_free(kl_pipeline *p)
{
    for (size_t i = 0; i < p->ndatasets; i++) {
        kl_free(p->datasets[i].path);
        for (size_t m = 0; m < p->datasets[i].nmaps; m++)
            kl_colmap_clear(&p->datasets[i].maps[m]);
        kl_free(p->datasets[i].maps);
    }
    for (size_t i = 0; i < p->nsteps; i++) {
        kl_free(p->steps[i].name);
        kl_free(p->steps[i].script);
        for (size_t k = 0; k < p->steps[i].nparams; k++) {
            kl_free((char *)p->steps[i].params[k].name);
            kl_free((char *)p->steps[i].params[k].value);
        }
        kl_free(p->steps[i].params);
    }
    kl_free(p->steps);
    kl_free(p->path);
    kl_free(p->abspath);
    kl_free(p->name);
    kl_free(p->sha256);
    kl_free(p->data_dir);
    kl_free(p->out_dir);
    kl_free(p->plugin_path);
    kl_free(p->script_path);
    kl_free(p->report);
    memset(p, 0, sizeof *p);
}
