/*
 * kl_step.c -- the host side of the plugin ABI: the kl_host functions a
 * step calls, and the collection, checking and sorting of what it emits
 * (see kl_step.h).
 */
#include "kl_step.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kl_alloc.h"
#include "kl_group.h"
#include "kl_schema.h"

/* ---- workspace --------------------------------------------------------- */

int kl_workspace_init(kl_workspace *ws, kl_error *err)
{
    memset(ws, 0, sizeof *ws);
    ws->pool = kl_strpool_new();
    if (!ws->pool)
        return kl_error_oom(err, "starting a run");
    pthread_rwlock_init(&ws->lock, NULL);
    pthread_mutex_init(&ws->group_lock, NULL);
    pthread_cond_init(&ws->group_built, NULL);
    return KL_OK;
}

static kl_table *kl_workspace_find(const kl_workspace *ws, const char *name)
{
    for (size_t i = 0; i < ws->n; i++)
        if (strcmp(ws->tables[i]->name, name) == 0)
            return ws->tables[i];
    return NULL;
}

kl_table *kl_workspace_get(kl_workspace *ws, const char *name)
{
    kl_table *t;
    pthread_rwlock_rdlock(&ws->lock);
    t = kl_workspace_find(ws, name);
    pthread_rwlock_unlock(&ws->lock);
    return t;
}

int kl_workspace_add(kl_workspace *ws, kl_table *t, kl_error *err)
{
    int rc = KL_OK;
    pthread_rwlock_wrlock(&ws->lock);
    if (kl_workspace_find(ws, t->name)) {
        rc = kl_error_set(err, KL_ERR_USAGE, "two tables are named '%s'", t->name);
    } else if (ws->n == ws->cap) {
        size_t cap = ws->cap ? ws->cap * 2 : 8;
        kl_table **grown = kl_reallocarray(ws->tables, cap, sizeof *grown);
        if (!grown) {
            rc = kl_error_oom(err, "adding a table");
        } else {
            ws->tables = grown;
            ws->cap = cap;
        }
    }
    if (rc == KL_OK)
        ws->tables[ws->n++] = t;
    pthread_rwlock_unlock(&ws->lock);
    if (rc != KL_OK)
        kl_table_free(t);
    return rc;
}

static void kl_ws_groupings_free(kl_workspace *ws);
static void kl_ws_groupings_release(kl_workspace *ws, const kl_table *t, const char *column);

void kl_workspace_release(kl_workspace *ws, const char *name)
{
    kl_table *t = NULL;
    pthread_rwlock_wrlock(&ws->lock);
    for (size_t i = 0; i < ws->n; i++)
        if (strcmp(ws->tables[i]->name, name) == 0) {
            t = ws->tables[i];
            ws->tables[i] = ws->tables[--ws->n];
            break;
        }
    pthread_rwlock_unlock(&ws->lock);
    if (!t)
        return;
    kl_ws_groupings_release(ws, t, NULL);
    kl_table_free(t);
}

/* ---- column by column release ------------------------------------------ */

typedef struct kl_ws_hold {
    const char *table;  /* borrowed from the step descriptors */
    char column[64];
    size_t readers;     /* steps still to finish */
} kl_ws_hold;

/* The next name of a declared column list ("year, region,cluster"):
 * returns 1 with *name and *len set and *p moved past it, 0 at the end. */
static int kl_cols_next(const char **p, const char **name, size_t *len)
{
    const char *s = *p, *end;
    size_t n;
    for (;;) {
        while (*s == ' ')
            s++;
        if (!*s)
            return 0;
        end = strchr(s, ',');
        n = end ? (size_t)(end - s) : strlen(s);
        *p = end ? end + 1 : s + n;
        while (n && s[n - 1] == ' ')
            n--;
        if (n) {
            *name = s;
            *len = n;
            return 1;
        }
        s = *p;
    }
}

static kl_ws_hold *kl_ws_hold_find(const kl_workspace *ws, const char *table, const char *column,
                                   size_t len)
{
    for (size_t i = 0; i < ws->nholds; i++)
        if (strcmp(ws->holds[i].table, table) == 0 && strlen(ws->holds[i].column) == len &&
            memcmp(ws->holds[i].column, column, len) == 0)
            return &ws->holds[i];
    return NULL;
}

/* Walks the columns `step` declares, across its inputs: those of `table`,
 * or of every input when table is NULL.  cur is the current input's table. */
typedef struct kl_decl_iter {
    const kl_input_def *in;
    const char *table;
    const char *cur;
    const char *p;
} kl_decl_iter;

static void kl_decl_begin(kl_decl_iter *it, const kl_plugin *step, const char *table)
{
    it->in = step->inputs;
    it->table = table;
    it->cur = NULL;
    it->p = "";
}

static int kl_decl_next(kl_decl_iter *it, const char **name, size_t *len)
{
    while (!kl_cols_next(&it->p, name, len)) {
        while (it->in->table && it->table && strcmp(it->in->table, it->table) != 0)
            it->in++;
        if (!it->in->table)
            return 0;
        it->cur = it->in->table;
        it->p = it->in->columns;
        it->in++;
    }
    return 1;
}

int kl_workspace_hold_columns(kl_workspace *ws, const kl_plugin *step, const char *table,
                              kl_error *err)
{
    kl_decl_iter it;
    const char *name;
    size_t len;
    kl_decl_begin(&it, step, table);
    while (kl_decl_next(&it, &name, &len)) {
        kl_ws_hold *h = kl_ws_hold_find(ws, table, name, len);
        if (h) {
            h->readers++;
            continue;
        }
        if (len >= sizeof h->column)
            continue; /* no such canonical column: never loaded */
        if (ws->nholds == ws->cap_holds) {
            size_t cap = ws->cap_holds ? ws->cap_holds * 2 : 16;
            kl_ws_hold *grown = kl_reallocarray(ws->holds, cap, sizeof *grown);
            if (!grown)
                return kl_error_oom(err, "planning the run");
            ws->holds = grown;
            ws->cap_holds = cap;
        }
        h = &ws->holds[ws->nholds++];
        h->table = it.cur;
        memcpy(h->column, name, len);
        h->column[len] = '\0';
        h->readers = 1;
    }
    return KL_OK;
}

void kl_workspace_drop_columns(kl_workspace *ws, const kl_plugin *step)
{
    kl_decl_iter it;
    const char *name;
    size_t len;
    kl_decl_begin(&it, step, NULL);
    while (kl_decl_next(&it, &name, &len)) {
        kl_ws_hold *h;
        int last;
        kl_table *t;
        kl_col *c;
        pthread_mutex_lock(&ws->group_lock);
        h = kl_ws_hold_find(ws, it.cur, name, len); /* none: not a dataset */
        last = h && h->readers > 0 && --h->readers == 0;
        pthread_mutex_unlock(&ws->group_lock);
        if (!last || !(t = kl_workspace_get(ws, it.cur)) || !(c = kl_table_col(t, h->column)))
            continue;
        /* no step reads it any more (a step reads only what it declared),
         * so neither it nor a grouping on it is in use */
        kl_ws_groupings_release(ws, t, h->column);
        kl_col_discard(c);
    }
}

size_t kl_workspace_sole_bytes(const kl_workspace *ws, const kl_plugin *step)
{
    size_t bytes = 0, len;
    kl_decl_iter it;
    const char *name;
    kl_decl_begin(&it, step, NULL);
    while (kl_decl_next(&it, &name, &len)) {
        const kl_ws_hold *h = kl_ws_hold_find(ws, it.cur, name, len);
        const kl_schema *s;
        const kl_schema_col *sc;
        if (!h || h->readers != 1)
            continue;
        s = kl_schema_find(it.cur);
        sc = s ? kl_schema_find_col(s, h->column) : NULL;
        bytes += sc && sc->type == KL_TYPE_NUM ? 8 : 4;
    }
    return bytes;
}

void kl_workspace_free(kl_workspace *ws)
{
    if (!ws->pool)
        return;
    kl_ws_groupings_free(ws);
    kl_free(ws->holds);
    pthread_cond_destroy(&ws->group_built);
    pthread_mutex_destroy(&ws->group_lock);
    for (size_t i = 0; i < ws->n; i++)
        kl_table_free(ws->tables[i]);
    kl_free(ws->tables);
    kl_strpool_free(ws->pool);
    pthread_rwlock_destroy(&ws->lock);
    memset(ws, 0, sizeof *ws);
}

/* ---- the per-step context ---------------------------------------------- */

typedef struct kl_ws_grouping {
    char *signature;  /* "table|key,key|require,require" */
    kl_grouping *g;   /* NULL while a step is building it */
    kl_groups view;
} kl_ws_grouping;

/* Does signature "table|k1,k2|r1,r2" name column? */
static int kl_ws_signature_names(const char *sig, const char *column)
{
    size_t clen = strlen(column);
    const char *p = strchr(sig, '|');
    while (p) {
        const char *name = p + 1;
        size_t len = strcspn(name, ",|");
        if (len == clen && memcmp(name, column, len) == 0)
            return 1;
        p = name[len] ? name + len : NULL;
    }
    return 0;
}

/* Frees the cached groupings of table t (only those on `column`, when
 * not NULL). */
static void kl_ws_groupings_release(kl_workspace *ws, const kl_table *t, const char *column)
{
    pthread_mutex_lock(&ws->group_lock);
    for (size_t i = 0; i < ws->ngroupings;) {
        kl_ws_grouping *cg = ws->groupings[i];
        /* (one being built is on another table, or on columns still read) */
        if (!cg->g || cg->g->table != t ||
            (column && !kl_ws_signature_names(cg->signature, column))) {
            i++;
            continue;
        }
        kl_grouping_free(cg->g);
        kl_free(cg->signature);
        kl_free(cg);
        ws->groupings[i] = ws->groupings[--ws->ngroupings];
    }
    pthread_mutex_unlock(&ws->group_lock);
}

static void kl_ws_groupings_free(kl_workspace *ws)
{
    for (size_t i = 0; i < ws->ngroupings; i++) {
        kl_grouping_free(ws->groupings[i]->g);
        kl_free(ws->groupings[i]->signature);
        kl_free(ws->groupings[i]);
    }
    kl_free(ws->groupings);
    ws->groupings = NULL;
    ws->ngroupings = ws->cap_groupings = 0;
}

struct kl_ctx {
    const kl_plugin *desc;
    kl_workspace *ws;
    const kl_step_opts *opts;
    kl_error *err;
    int failed;
    kl_table *out;
    kl_col **out_cols;
    size_t nout;
    void **allocs;
    size_t nallocs, cap_allocs;
};

static int kl_ctx_fail(kl_ctx *ctx, int status, const char *fmt, ...) KL_PRINTF(3, 4);
static int kl_ctx_fail(kl_ctx *ctx, int status, const char *fmt, ...)
{
    va_list ap;
    if (status <= 0 || status > 125)
        status = KL_ERR_INTERNAL;
    if (!ctx->failed) {
        va_start(ap, fmt);
        kl_error_setv(ctx->err, status, fmt, ap);
        va_end(ap);
        ctx->failed = 1;
    }
    return ctx->err->status;
}

/* Is `column` of `table` among the step's declared inputs?  Returns the
 * input, or NULL. */
static const kl_input_def *kl_ctx_declared(const kl_ctx *ctx, const char *table, const char *column)
{
    size_t clen = column ? strlen(column) : 0;
    for (const kl_input_def *in = ctx->desc->inputs; in->table; in++) {
        const char *p = in->columns, *name;
        size_t len;
        if (strcmp(in->table, table) != 0)
            continue;
        if (!column)
            return in;
        while (kl_cols_next(&p, &name, &len))
            if (len == clen && strncmp(name, column, len) == 0)
                return in;
        return NULL;
    }
    return NULL;
}

/* The table behind a declared input; KL_ERR_NOINPUT (no message) when an
 * optional input is absent. */
static int kl_ctx_table(kl_ctx *ctx, const char *table, const char *column, kl_table **out)
{
    const kl_input_def *in = kl_ctx_declared(ctx, table, column);
    *out = NULL;
    if (!in)
        return kl_ctx_fail(ctx, KL_ERR_USAGE,
                           column ? "reads %s.%s without declaring it in its inputs"
                                  : "reads table '%s' without declaring it in its inputs%s",
                           table, column ? column : "");
    *out = kl_workspace_get(ctx->ws, table);
    if (!*out) {
        if (in->flags & KL_INPUT_OPTIONAL)
            return KL_ERR_NOINPUT;
        return kl_ctx_fail(ctx, KL_ERR_NOINPUT, "input '%s' is not available", table);
    }
    return KL_OK;
}

static void kl_ctx_view(const kl_col *c, kl_column_view *v)
{
    v->name = c->name;
    v->type = c->type;
    v->int_width = c->type == KL_TYPE_INT ? c->int_width : 4;
    v->nrows = c->n;
    v->data = c->data;
    v->missing = c->nmissing ? c->missing : NULL;
}

static void *kl_host_alloc(kl_ctx *ctx, size_t size);

/* A plugin built for ABI 1.0 reads INT cells as int32_t or int64_t only
 * (its klaster_int() knows no narrower width): lend it an int32_t copy of
 * a narrow column, freed with the step. */
static int kl_ctx_widen_view(kl_ctx *ctx, const kl_col *c, kl_column_view *v)
{
    int32_t *copy = kl_host_alloc(ctx, (c->n ? c->n : 1) * sizeof *copy);
    if (!copy)
        return kl_ctx_fail(ctx, KL_ERR_INTERNAL, "out of memory lending column '%s'", c->name);
    for (size_t i = 0; i < c->n; i++)
        copy[i] = (int32_t)kl_col_int(c, i);
    v->int_width = 4;
    v->data = copy;
    return KL_OK;
}

static int kl_host_column(kl_ctx *ctx, const char *table, const char *column, kl_column_view *out)
{
    kl_table *t;
    kl_col *c;
    int rc = kl_ctx_table(ctx, table, column, &t);

    memset(out, 0, sizeof *out);
    if (rc != KL_OK)
        return rc;
    if (!(c = kl_table_col(t, column)))
        return kl_ctx_fail(ctx, KL_ERR_DATA, "input '%s' has no column '%s'", table, column);
    kl_ctx_view(c, out);
    if (c->type == KL_TYPE_INT && c->int_width < 4 && ctx->desc->abi_minor < 1)
        return kl_ctx_widen_view(ctx, c, out);
    return KL_OK;
}

static int kl_host_rows(kl_ctx *ctx, const char *table, size_t *out)
{
    kl_table *t;
    int rc = kl_ctx_table(ctx, table, NULL, &t);
    *out = t ? t->nrows : 0;
    return rc;
}

static void *kl_host_alloc(kl_ctx *ctx, size_t size)
{
    void *p;
    if (ctx->nallocs == ctx->cap_allocs) {
        size_t cap = ctx->cap_allocs ? ctx->cap_allocs * 2 : 16;
        void **grown = kl_reallocarray(ctx->allocs, cap, sizeof *grown);
        if (!grown)
            return NULL;
        ctx->allocs = grown;
        ctx->cap_allocs = cap;
    }
    p = kl_calloc(1, size);
    if (p)
        ctx->allocs[ctx->nallocs++] = p;
    return p;
}

/* "table|k1,k2|r1,r2": identifies a grouping for the cache. */
static char *kl_ctx_signature(const char *table, const char *const *keys, size_t nkeys,
                              const char *const *require)
{
    size_t len = strlen(table) + 3;
    char *s, *p;
    for (size_t i = 0; i < nkeys; i++)
        len += strlen(keys[i]) + 1;
    for (const char *const *r = require; r && *r; r++)
        len += strlen(*r) + 1;
    if (!(s = kl_malloc(len)))
        return NULL;
    p = s + sprintf(s, "%s|", table);
    for (size_t i = 0; i < nkeys; i++)
        p += sprintf(p, "%s%s", i ? "," : "", keys[i]);
    *p++ = '|';
    *p = '\0';
    for (const char *const *r = require; r && *r; r++)
        p += sprintf(p, "%s%s", r == require ? "" : ",", *r);
    return s;
}

static int kl_host_group(kl_ctx *ctx, const char *table, const char *const *keys, size_t nkeys,
                         const char *const *require, const kl_groups **out)
{
    kl_workspace *ws = ctx->ws;
    kl_table *t;
    kl_ws_grouping *cg;
    kl_grouping *g = NULL;
    char *sig;
    int rc = kl_ctx_table(ctx, table, NULL, &t);

    *out = NULL;
    if (rc != KL_OK)
        return rc;
    if (nkeys == 0 || nkeys > KL_GROUP_MAX_KEYS)
        return kl_ctx_fail(ctx, KL_ERR_USAGE, "groups '%s' by %zu keys (1 to %d allowed)", table,
                           nkeys, KL_GROUP_MAX_KEYS);
    for (size_t i = 0; i < nkeys; i++)
        if (!kl_ctx_declared(ctx, table, keys[i]))
            return kl_ctx_fail(ctx, KL_ERR_USAGE, "groups by %s.%s without declaring it", table,
                               keys[i]);
    for (const char *const *r = require; r && *r; r++)
        if (!kl_ctx_declared(ctx, table, *r))
            return kl_ctx_fail(ctx, KL_ERR_USAGE, "requires %s.%s without declaring it", table, *r);
    if (!(sig = kl_ctx_signature(table, keys, nkeys, require)))
        return kl_ctx_fail(ctx, KL_ERR_INTERNAL, "out of memory while grouping '%s'", table);
    pthread_mutex_lock(&ws->group_lock);
    for (;;) {
        cg = NULL;
        for (size_t i = 0; i < ws->ngroupings && !cg; i++)
            if (strcmp(ws->groupings[i]->signature, sig) == 0)
                cg = ws->groupings[i];
        if (!cg || cg->g)
            break;
        /* another step is building it: wait, then look again (gone if it failed) */
        pthread_cond_wait(&ws->group_built, &ws->group_lock);
    }
    if (cg) {
        pthread_mutex_unlock(&ws->group_lock);
        kl_free(sig);
        *out = &cg->view; /* each allocated alone: views stay put */
        return KL_OK;
    }
    if (ws->ngroupings == ws->cap_groupings) {
        size_t cap = ws->cap_groupings ? ws->cap_groupings * 2 : 8;
        kl_ws_grouping **grown = kl_reallocarray(ws->groupings, cap, sizeof *grown);
        if (!grown) {
            pthread_mutex_unlock(&ws->group_lock);
            kl_free(sig);
            return kl_ctx_fail(ctx, KL_ERR_INTERNAL, "out of memory while grouping '%s'", table);
        }
        ws->groupings = grown;
        ws->cap_groupings = cap;
    }
    if (!(cg = kl_calloc(1, sizeof *cg))) {
        pthread_mutex_unlock(&ws->group_lock);
        kl_free(sig);
        return kl_ctx_fail(ctx, KL_ERR_INTERNAL, "out of memory while grouping '%s'", table);
    }
    cg->signature = sig;
    ws->groupings[ws->ngroupings++] = cg; /* being built (g NULL): others wait for it */
    pthread_mutex_unlock(&ws->group_lock);

    /* Built outside the lock, so that two steps build two groupings at once. */
    pthread_rwlock_rdlock(&ws->lock); /* sorting text keys reads the pool */
    rc = kl_grouping_build(&g, t, keys, nkeys, require, ctx->err);
    pthread_rwlock_unlock(&ws->lock);

    pthread_mutex_lock(&ws->group_lock);
    if (rc == KL_OK) {
        cg->view.ngroups = g->ngroups;
        cg->view.nkeys = g->nkeys;
        cg->view.keys = g->key_values;
        cg->view.offsets = g->offsets;
        cg->view.rows = g->rows;
        cg->view.row_group = g->row_group;
        cg->view.nrows = t->nrows;
        cg->view.host_private = g;
        cg->g = g;
    } else {
        for (size_t i = 0; i < ws->ngroupings; i++)
            if (ws->groupings[i] == cg) {
                ws->groupings[i] = ws->groupings[--ws->ngroupings];
                break;
            }
    }
    pthread_cond_broadcast(&ws->group_built);
    pthread_mutex_unlock(&ws->group_lock);
    if (rc != KL_OK) {
        kl_free(cg->signature);
        kl_free(cg);
        ctx->failed = 1;
        return kl_error_prefix(ctx->err, "grouping '%s'", table);
    }
    *out = &cg->view;
    return KL_OK;
}

static uint32_t kl_host_group_find(kl_ctx *ctx, const kl_groups *g, const int64_t *key)
{
    (void)ctx;
    return kl_grouping_find(g->host_private, key);
}

static uint32_t kl_host_group_prev(kl_ctx *ctx, const kl_groups *g, uint32_t group, size_t year_key)
{
    (void)ctx;
    if (group >= g->ngroups || year_key >= g->nkeys)
        return KL_NO_GROUP;
    return kl_grouping_prev(g->host_private, group, year_key);
}

static int kl_host_aggregate(kl_ctx *ctx, const kl_groups *g, int agg, const char *column,
                             const char *also, const double **out)
{
    const kl_grouping *grp = g->host_private;
    const char *table = grp->table->name;
    const kl_col *col, *also_col = NULL;
    double *values;

    *out = NULL;
    if (agg < KL_AGG_SUM || agg > KL_AGG_MAX)
        return kl_ctx_fail(ctx, KL_ERR_USAGE, "asks for unknown aggregate %d", agg);
    if (!kl_ctx_declared(ctx, table, column) || (also && !kl_ctx_declared(ctx, table, also)))
        return kl_ctx_fail(ctx, KL_ERR_USAGE, "aggregates %s.%s without declaring it", table,
                           kl_ctx_declared(ctx, table, column) ? also : column);
    if (!(col = kl_table_col(grp->table, column)) || (also && !(also_col = kl_table_col(grp->table, also))))
        return kl_ctx_fail(ctx, KL_ERR_DATA, "input '%s' has no column '%s'", table,
                           col ? also : column);
    if (!(values = kl_host_alloc(ctx, (g->ngroups ? g->ngroups : 1) * sizeof *values)))
        return kl_ctx_fail(ctx, KL_ERR_INTERNAL, "out of memory while aggregating");
    if (kl_grouping_aggregate(grp, agg, col, also_col, values, ctx->err) != KL_OK) {
        ctx->failed = 1;
        return ctx->err->status;
    }
    *out = values;
    return KL_OK;
}

/* Strings live in arena chunks that never move, so a pointer obtained
 * under the lock stays valid after it is released. */
static const char *kl_host_text(kl_ctx *ctx, uint32_t code)
{
    const char *s = "";
    pthread_rwlock_rdlock(&ctx->ws->lock);
    if (code < kl_strpool_count(ctx->ws->pool))
        s = kl_strpool_get(ctx->ws->pool, code);
    pthread_rwlock_unlock(&ctx->ws->lock);
    return s;
}

static uint32_t kl_host_text_code(kl_ctx *ctx, const char *s)
{
    uint32_t code;
    pthread_rwlock_rdlock(&ctx->ws->lock);
    code = kl_strpool_find(ctx->ws->pool, s, strlen(s));
    pthread_rwlock_unlock(&ctx->ws->lock);
    return code;
}

static int kl_host_text_cmp(kl_ctx *ctx, uint32_t a, uint32_t b)
{
    int c;
    pthread_rwlock_rdlock(&ctx->ws->lock);
    c = kl_strpool_cmp(ctx->ws->pool, a, b);
    pthread_rwlock_unlock(&ctx->ws->lock);
    return c;
}

static const char *kl_host_param(kl_ctx *ctx, const char *name)
{
    const kl_step_opts *o = ctx->opts;
    for (size_t i = 0; o && i < o->nparams; i++)
        if (strcmp(o->params[i].name, name) == 0)
            return o->params[i].value;
    for (const kl_param_def *p = ctx->desc->params; p && p->name; p++)
        if (strcmp(p->name, name) == 0)
            return p->default_value;
    return NULL;
}

/* Appends one emitted value to output column c. */
static int kl_ctx_push(kl_ctx *ctx, kl_col *c, const kl_value *v)
{
    kl_error *err = ctx->err;
    int missing = v->type == 0 || (v->type == KL_TYPE_NUM && !isfinite(v->u.n)) ||
                  (v->type == KL_TYPE_TEXT && (!v->u.s || !*v->u.s));
    uint32_t code;

    if (kl_col_reserve(c, 1, err) != KL_OK)
        return ctx->failed = 1, err->status;
    if (missing)
        return kl_col_push_missing(c, err) == KL_OK ? KL_OK : (ctx->failed = 1, err->status);
    switch (c->type) {
    case KL_TYPE_INT:
        if (v->type == KL_TYPE_INT)
            return kl_col_push_int(c, v->u.i, err) == KL_OK ? KL_OK : (ctx->failed = 1, err->status);
        if (v->type == KL_TYPE_NUM && v->u.n == floor(v->u.n) && fabs(v->u.n) < 9.2e18)
            return kl_col_push_int(c, (int64_t)v->u.n, err) == KL_OK ? KL_OK
                                                                       : (ctx->failed = 1, err->status);
        break;
    case KL_TYPE_NUM:
        if (v->type == KL_TYPE_NUM || v->type == KL_TYPE_INT) {
            kl_col_push_num(c, v->type == KL_TYPE_NUM ? v->u.n : (double)v->u.i);
            return KL_OK;
        }
        break;
    case KL_TYPE_TEXT:
        if (v->type != KL_TYPE_TEXT)
            break;
        pthread_rwlock_wrlock(&ctx->ws->lock);
        code = kl_strpool_intern(ctx->ws->pool, v->u.s, strlen(v->u.s), err);
        pthread_rwlock_unlock(&ctx->ws->lock);
        if (code == UINT32_MAX) {
            ctx->failed = 1;
            return kl_error_prefix(err, "emitted text for column '%s'", c->name);
        }
        kl_col_push_code(c, code);
        return KL_OK;
    }
    return kl_ctx_fail(ctx, KL_ERR_USAGE, "emitted a %s value for %s column '%s'",
                       v->type == KL_TYPE_INT ? "integer" : v->type == KL_TYPE_NUM ? "number" : "text",
                       c->type == KL_TYPE_INT ? "integer" : c->type == KL_TYPE_NUM ? "number" : "text",
                       c->name);
}

static int kl_host_emit(kl_ctx *ctx, const kl_value *row)
{
    int rc = KL_OK;

    if (ctx->failed)
        return ctx->err->status;
    for (size_t i = 0; i < ctx->nout && rc == KL_OK; i++)
        rc = kl_ctx_push(ctx, ctx->out_cols[i], &row[i]);
    if (rc != KL_OK)
        return rc;
    ctx->out->nrows++;
    return KL_OK;
}

static int kl_host_error(kl_ctx *ctx, int status, const char *fmt, ...)
{
    char msg[KL_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return kl_ctx_fail(ctx, status, "%s", msg);
}

static void kl_host_warn(kl_ctx *ctx, const char *fmt, ...)
{
    char msg[KL_ERROR_MSG_MAX];
    va_list ap;
    if (!ctx->opts || !ctx->opts->warn)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ctx->opts->warn(ctx->opts->warn_userdata, ctx->desc->name, msg);
}

static const kl_host kl_host_table = {
    sizeof(kl_host),     KLASTER_ABI_MAJOR,  KLASTER_ABI_MINOR, kl_host_column,
    kl_host_rows,        kl_host_group,      kl_host_group_find, kl_host_group_prev,
    kl_host_aggregate,   kl_host_text,       kl_host_text_code, kl_host_text_cmp,
    kl_host_param,       kl_host_emit,       kl_host_error,     kl_host_warn,
    kl_host_alloc,
};

/* ---- sorting the output ------------------------------------------------ */

int kl_step_text_order(const kl_strpool *pool, uint32_t a, uint32_t b)
{
    static const char star[] = "*";
    uint32_t s = kl_strpool_find(pool, star, 1);
    if (a == b)
        return 0;
    if (a == s)
        return -1;
    if (b == s)
        return 1;
    return kl_strpool_cmp(pool, a, b);
}

typedef struct kl_sort_ctx {
    const kl_table *t;
    size_t nkeys;
} kl_sort_ctx;

static int kl_step_cmp_cell(const kl_table *t, const kl_col *c, size_t a, size_t b)
{
    int ma = kl_col_is_missing(c, a), mb = kl_col_is_missing(c, b);
    if (ma || mb)
        return mb - ma; /* missing keys first */
    if (c->type == KL_TYPE_TEXT)
        return kl_step_text_order(t->pool, kl_col_code(c, a), kl_col_code(c, b));
    if (c->type == KL_TYPE_INT) {
        int64_t x = kl_col_int(c, a), y = kl_col_int(c, b);
        return (x > y) - (x < y);
    }
    {
        double x = kl_col_num(c, a), y = kl_col_num(c, b);
        return (x > y) - (x < y);
    }
}

static int kl_step_cmp_rows(const void *pa, const void *pb, void *arg)
{
    const kl_sort_ctx *s = arg;
    size_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
    for (size_t k = 0; k < s->nkeys; k++) {
        int c = kl_step_cmp_cell(s->t, s->t->cols[k], a, b);
        if (c)
            return c;
    }
    return (a > b) - (a < b); /* stable */
}

/* Reorders every column of t so that new row i is old row perm[i]. */
static int kl_step_permute(kl_table *t, const uint32_t *perm, kl_error *err)
{
    for (size_t c = 0; c < t->ncols; c++) {
        kl_col *col = t->cols[c];
        size_t w = kl_col_cell_size(col);
        char *data = kl_malloc(t->nrows * w + 1);
        uint64_t *missing = NULL;
        if (!data)
            return kl_error_oom(err, "sorting a result");
        if (col->missing && !(missing = kl_calloc((t->nrows + 63) / 64 + 1, sizeof *missing))) {
            kl_free(data);
            return kl_error_oom(err, "sorting a result");
        }
        for (size_t r = 0; r < t->nrows; r++) {
            memcpy(data + r * w, (char *)col->data + (size_t)perm[r] * w, w);
            if (missing && kl_col_is_missing(col, perm[r]))
                missing[r >> 6] |= (uint64_t)1 << (r & 63);
        }
        kl_free(col->data);
        kl_free(col->missing);
        col->data = data;
        col->missing = missing;
        col->cap = t->nrows;
    }
    return KL_OK;
}

/* Sorts the output by its keys; two rows with equal keys are an error. */
static int kl_step_sort_output(kl_ctx *ctx)
{
    kl_table *t = ctx->out;
    kl_sort_ctx s = {t, ctx->desc->nkeys};
    uint32_t *perm;
    int rc;

    if (t->nrows < 2 || s.nkeys == 0)
        return KL_OK;
    if (!(perm = kl_malloc(t->nrows * sizeof *perm)))
        return kl_ctx_fail(ctx, KL_ERR_INTERNAL, "out of memory while sorting the result");
    for (size_t r = 0; r < t->nrows; r++)
        perm[r] = (uint32_t)r;
    pthread_rwlock_rdlock(&ctx->ws->lock);
    qsort_r(perm, t->nrows, sizeof *perm, kl_step_cmp_rows, &s);
    for (size_t r = 1; r < t->nrows; r++) {
        size_t k = 0;
        while (k < s.nkeys && kl_step_cmp_cell(t, t->cols[k], perm[r - 1], perm[r]) == 0)
            k++;
        if (k == s.nkeys) {
            char key[512];
            size_t o = 0;
            for (k = 0; k < s.nkeys && o < sizeof key; k++) {
                const kl_col *c = t->cols[k];
                size_t row = perm[r];
                if (kl_col_is_missing(c, row))
                    o += (size_t)snprintf(key + o, sizeof key - o, "%s(missing)", k ? ", " : "");
                else if (c->type == KL_TYPE_TEXT)
                    o += (size_t)snprintf(key + o, sizeof key - o, "%s%s", k ? ", " : "",
                                          kl_strpool_get(t->pool, kl_col_code(c, row)));
                else if (c->type == KL_TYPE_INT)
                    o += (size_t)snprintf(key + o, sizeof key - o, "%s%lld", k ? ", " : "",
                                          (long long)kl_col_int(c, row));
                else
                    o += (size_t)snprintf(key + o, sizeof key - o, "%s%g", k ? ", " : "",
                                          kl_col_num(c, row));
            }
            pthread_rwlock_unlock(&ctx->ws->lock);
            kl_free(perm);
            return kl_ctx_fail(ctx, KL_ERR_INTERNAL, "emitted two rows with the same key (%s)", key);
        }
    }
    pthread_rwlock_unlock(&ctx->ws->lock);
    rc = kl_step_permute(t, perm, ctx->err);
    kl_free(perm);
    if (rc != KL_OK)
        ctx->failed = 1;
    return rc;
}

/* ---- running ----------------------------------------------------------- */

static int kl_ctx_make_output(kl_ctx *ctx, kl_error *err)
{
    size_t n = 0;
    for (const kl_column_def *c = ctx->desc->columns; c->name; c++)
        n++;
    ctx->out = kl_table_new(ctx->desc->name, ctx->ws->pool);
    ctx->out_cols = kl_calloc(n, sizeof *ctx->out_cols);
    if (!ctx->out || !ctx->out_cols)
        return kl_error_oom(err, "preparing a result");
    for (size_t i = 0; i < n; i++) {
        const kl_column_def *d = &ctx->desc->columns[i];
        if (!(ctx->out_cols[i] = kl_table_add_col(ctx->out, d->name, (kl_type)d->type, err)))
            return err->status;
    }
    ctx->nout = n;
    return KL_OK;
}

static void kl_ctx_release(kl_ctx *ctx)
{
    for (size_t i = 0; i < ctx->nallocs; i++)
        kl_free(ctx->allocs[i]);
    kl_free(ctx->allocs);
    kl_free(ctx->out_cols);
    kl_table_free(ctx->out);
}

int kl_step_run(const kl_step_def *def, kl_workspace *ws, const kl_step_opts *opts,
                kl_table **out, kl_error *err)
{
    kl_ctx ctx;
    int rc;

    *out = NULL;
    memset(&ctx, 0, sizeof ctx);
    ctx.desc = def->desc;
    ctx.ws = ws;
    ctx.opts = opts;
    ctx.err = err;
    kl_error_clear(err);
    rc = kl_ctx_make_output(&ctx, err);
    if (rc == KL_OK) {
        rc = def->desc->compute(&ctx, &kl_host_table);
        if (rc == KL_OK && ctx.failed)
            rc = err->status;
        else if (rc != KL_OK && !ctx.failed)
            kl_ctx_fail(&ctx, rc, "failed with status %d and no message", rc);
        if (rc != KL_OK)
            rc = err->status;
    }
    if (rc == KL_OK)
        rc = kl_step_sort_output(&ctx);
    if (rc != KL_OK) {
        kl_error_prefix(err, "%s", def->desc->name);
        kl_ctx_release(&ctx);
        return rc;
    }
    kl_table_shrink(ctx.out);
    *out = ctx.out;
    ctx.out = NULL;
    kl_ctx_release(&ctx);
    return KL_OK;
}
