/*
 * kl_compute.c -- `klaster compute`, `list` and `info` (see kl_compute.h).
 */
#include "kl_compute.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "kl_alloc.h"
#include "kl_dataset.h"
#include "kl_plugin.h"

#define KL_COMPUTE_MAX_STEPS 256

/* Every step there is: the plugins, then the Lua scripts. */
static int kl_compute_registry(const kl_compute_opts *o, kl_registry *reg, kl_error *err)
{
    int rc = kl_registry_load(reg, o->plugin_path, err);
    if (rc == KL_OK)
        rc = kl_lua_load_path(reg, o->script_path, &o->lua, err);
    return rc;
}

/* The steps to run, dependencies first. */
typedef struct kl_plan {
    const kl_step_def *steps[KL_COMPUTE_MAX_STEPS];
    size_t n;
} kl_plan;

static int kl_plan_has(const kl_plan *p, const kl_step_def *d)
{
    for (size_t i = 0; i < p->n; i++)
        if (p->steps[i] == d)
            return 1;
    return 0;
}

/* Adds def after the steps it reads (depth-first; `path` catches cycles). */
static int kl_plan_add(kl_plan *p, const kl_registry *reg, const kl_step_def *def,
                       const kl_step_def **path, size_t depth, kl_error *err)
{
    if (kl_plan_has(p, def))
        return KL_OK;
    for (size_t i = 0; i < depth; i++)
        if (path[i] == def)
            return kl_error_set(err, KL_ERR_USAGE, "steps read each other in a cycle: '%s' reads "
                                "'%s' which (through its inputs) reads '%s'",
                                path[depth - 1]->desc->name, def->desc->name,
                                path[depth - 1]->desc->name);
    if (depth == KL_COMPUTE_MAX_STEPS)
        return kl_error_set(err, KL_ERR_USAGE, "steps depend on each other too deeply");
    path[depth] = def;
    for (const kl_input_def *in = def->desc->inputs; in->table; in++) {
        const kl_step_def *dep = kl_registry_find(reg, in->table);
        if (kl_schema_find(in->table))
            continue;
        if (!dep)
            return kl_error_set(err, KL_ERR_USAGE,
                                "step '%s' reads '%s', which is neither a dataset (firms, exports, "
                                "regions, clusters) nor a known step", def->desc->name, in->table);
        if (kl_plan_add(p, reg, dep, path, depth + 1, err) != KL_OK)
            return err->status;
    }
    if (p->n == KL_COMPUTE_MAX_STEPS)
        return kl_error_set(err, KL_ERR_USAGE, "too many steps");
    p->steps[p->n++] = def;
    return KL_OK;
}

/* Loads dataset s for the planned steps, if any of them reads it. */
static int kl_compute_load_dataset(const kl_compute_opts *o, const kl_plan *plan, const kl_schema *s,
                                   kl_workspace *ws, kl_error *err)
{
    const char *want[KL_SCHEMA_MAX_COLS + 1];
    const kl_plugin *descs[KL_COMPUTE_MAX_STEPS];
    int readers, required;
    char *path = NULL;
    kl_table *t = NULL;
    kl_load_opts lo;
    int rc;

    for (size_t i = 0; i < plan->n; i++)
        descs[i] = plan->steps[i]->desc;
    if ((rc = kl_dataset_wanted(s, descs, plan->n, want, &readers, &required, err)) != KL_OK)
        return rc;
    if (!readers)
        return KL_OK;
    rc = kl_dataset_find(o->data_dir, s->name, &path, err);
    if (rc == KL_ERR_NOINPUT && !required) {
        kl_error_clear(err);
        return KL_OK;
    }
    if (rc != KL_OK)
        return rc;
    memset(&lo, 0, sizeof lo);
    lo.csv = o->csv;
    lo.skip_bad_rows = o->skip_bad_rows;
    lo.maps = o->maps;
    lo.nmaps = o->nmaps;
    lo.want = want;
    rc = kl_dataset_load(&t, s, path, ws->pool, &lo, NULL, err);
    kl_free(path);
    if (rc != KL_OK)
        return rc;
    return kl_workspace_add(ws, t, err);
}

int kl_compute_write_table(const kl_table *t, const char *path, kl_format fmt, kl_writer **w,
                           kl_error *err)
{
    const char *names[64];
    kl_value row[64];

    *w = NULL;
    if (t->ncols > 64)
        return kl_error_set(err, KL_ERR_INTERNAL, "%s: too many columns to write", t->name);
    for (size_t c = 0; c < t->ncols; c++)
        names[c] = t->cols[c]->name;
    if (kl_writer_open(w, path, fmt, names, t->ncols, err) != KL_OK)
        return err->status;
    for (size_t r = 0; r < t->nrows; r++) {
        for (size_t c = 0; c < t->ncols; c++) {
            const kl_col *col = t->cols[c];
            row[c].type = kl_col_is_missing(col, r) ? 0 : (int)col->type;
            if (col->type == KL_TYPE_INT)
                row[c].u.i = kl_col_int(col, r);
            else if (col->type == KL_TYPE_NUM)
                row[c].u.n = kl_col_num(col, r);
            else
                row[c].u.s = kl_strpool_get(t->pool, kl_col_code(col, r));
        }
        if (kl_writer_row(*w, row, err) != KL_OK) {
            kl_writer_abort(*w);
            *w = NULL;
            return err->status;
        }
    }
    return KL_OK;
}

/* Writes every named result, then commits them all (or none).  Each is
 * finished (written out, fsync'd, closed) before any is renamed into place:
 * a full disk or an I/O error then publishes nothing, instead of the results
 * committed before the one that failed.  Only a failing rename can still
 * leave some results renamed and not the others. */
static int kl_compute_publish(const kl_compute_opts *o, kl_workspace *ws, kl_error *err)
{
    kl_writer *writers[KL_COMPUTE_MAX_STEPS] = {0};
    int rc = KL_OK;

    if (o->out_dir && (rc = kl_mkdir_p(o->out_dir, err)) != KL_OK)
        return rc;
    for (size_t i = 0; i < o->nnames && rc == KL_OK; i++) {
        char path[4096];
        const kl_table *t = kl_workspace_get(ws, o->names[i]);
        if (o->out_dir)
            snprintf(path, sizeof path, "%s/%s%s", o->out_dir, o->names[i],
                     kl_format_extension(o->format));
        else
            snprintf(path, sizeof path, "-");
        rc = kl_compute_write_table(t, path, o->format, &writers[i], err);
    }
    for (size_t i = 0; i < o->nnames && rc == KL_OK; i++)
        rc = kl_writer_finish(writers[i], err);
    for (size_t i = 0; i < o->nnames; i++) {
        if (!writers[i])
            continue;
        if (rc == KL_OK)
            rc = kl_writer_commit(writers[i], err);
        else
            kl_writer_abort(writers[i]);
    }
    return rc;
}

int kl_compute_run(const kl_compute_opts *o, kl_error *err)
{
    kl_registry reg = {0};
    kl_workspace ws;
    kl_plan plan = {.n = 0};
    const kl_step_def *path[KL_COMPUTE_MAX_STEPS];
    size_t nschemas;
    const kl_schema *schemas = kl_schema_all(&nschemas);
    kl_step_opts so = {.warn = o->warn, .warn_userdata = o->warn_userdata};
    int rc;

    if (o->nnames == 0)
        return kl_error_set(err, KL_ERR_USAGE, "name at least one indicator to compute "
                            "(klaster list shows them)");
    if (!o->out_dir && o->nnames > 1)
        return kl_error_set(err, KL_ERR_USAGE, "computing several indicators needs --out DIR "
                            "(standard output takes one)");
    if (o->nnames > KL_COMPUTE_MAX_STEPS)
        return kl_error_set(err, KL_ERR_USAGE, "too many indicators");
    if ((rc = kl_compute_registry(o, &reg, err)) != KL_OK) {
        kl_registry_free(&reg);
        return rc;
    }
    for (size_t i = 0; i < o->nnames && rc == KL_OK; i++) {
        const kl_step_def *d = kl_registry_find(&reg, o->names[i]);
        for (size_t j = 0; j < i && rc == KL_OK; j++)
            if (strcmp(o->names[j], o->names[i]) == 0)
                rc = kl_error_set(err, KL_ERR_USAGE, "'%s' is named twice", o->names[i]);
        if (rc == KL_OK && !d)
            rc = kl_error_set(err, KL_ERR_USAGE, "no indicator called '%s' (klaster list shows "
                              "the plugins and scripts found)", o->names[i]);
        if (rc == KL_OK)
            rc = kl_plan_add(&plan, &reg, d, path, 0, err);
    }
    if (rc != KL_OK) {
        kl_registry_free(&reg);
        return rc;
    }
    if ((rc = kl_workspace_init(&ws, err)) != KL_OK) {
        kl_registry_free(&reg);
        return rc;
    }
    for (size_t i = 0; i < nschemas && rc == KL_OK; i++)
        rc = kl_compute_load_dataset(o, &plan, &schemas[i], &ws, err);
    for (size_t i = 0; i < plan.n && rc == KL_OK; i++) {
        kl_table *out = NULL;
        rc = kl_step_run(plan.steps[i], &ws, &so, &out, err);
        if (rc == KL_OK)
            rc = kl_workspace_add(&ws, out, err);
    }
    if (rc == KL_OK)
        rc = kl_compute_publish(o, &ws, err);
    kl_workspace_free(&ws);
    kl_registry_free(&reg);
    return rc;
}

/* ---- list and info ----------------------------------------------------- */

static const char *kl_type_name(int type)
{
    return type == KL_TYPE_INT ? "integer" : type == KL_TYPE_NUM ? "number" : "text";
}

static void kl_compute_print_inputs(const kl_plugin *d, FILE *out)
{
    for (const kl_input_def *in = d->inputs; in->table; in++)
        fprintf(out, "%s%s(%s)%s", in == d->inputs ? "" : ", ", in->table, in->columns,
                (in->flags & KL_INPUT_OPTIONAL) ? " optional" : "");
}

int kl_compute_list(const kl_compute_opts *o, FILE *out, kl_error *err)
{
    kl_registry reg = {0};
    int rc = kl_compute_registry(o, &reg, err);

    if (rc == KL_OK && reg.n == 0)
        fprintf(out, "no plugins or scripts found (see klaster help list)\n");
    for (size_t i = 0; rc == KL_OK && i < reg.n; i++) {
        const kl_step_def *s = &reg.steps[i];
        const kl_plugin *d = s->desc;
        fprintf(out, "%s %s (%s, %s)\n  %s\n  reads: ", d->name, d->version,
                s->kind == KL_STEP_PLUGIN ? "C plugin" : "Lua script", s->path, d->description);
        kl_compute_print_inputs(d, out);
        fprintf(out, "\n  writes: ");
        for (const kl_column_def *c = d->columns; c->name; c++)
            fprintf(out, "%s%s", c == d->columns ? "" : ",", c->name);
        fputc('\n', out);
    }
    kl_registry_free(&reg);
    return rc;
}

int kl_compute_info(const kl_compute_opts *o, const char *name, FILE *out, kl_error *err)
{
    kl_registry reg = {0};
    const kl_step_def *s;
    int rc = kl_compute_registry(o, &reg, err);

    if (rc != KL_OK) {
        kl_registry_free(&reg);
        return rc;
    }
    if (!(s = kl_registry_find(&reg, name))) {
        kl_registry_free(&reg);
        return kl_error_set(err, KL_ERR_USAGE, "no plugin or script called '%s' (see klaster list)",
                            name);
    }
    fprintf(out, "%s %s\n%s\n\nkind: %s\nfile: %s\nmethodology: %s\nreads: ", s->desc->name,
            s->desc->version, s->desc->description,
            s->kind == KL_STEP_PLUGIN ? "C plugin" : "Lua script", s->path,
            s->desc->source ? s->desc->source : "-");
    kl_compute_print_inputs(s->desc, out);
    fprintf(out, "\n\ncolumns (the first %u identify a row):\n", (unsigned)s->desc->nkeys);
    for (const kl_column_def *c = s->desc->columns; c->name; c++)
        fprintf(out, "  %-24s %-8s %-10s %s\n", c->name, kl_type_name(c->type),
                c->unit && *c->unit ? c->unit : "-", c->description ? c->description : "");
    if (s->desc->params && s->desc->params->name) {
        fprintf(out, "\nparameters:\n");
        for (const kl_param_def *p = s->desc->params; p->name; p++)
            fprintf(out, "  %-24s default %-10s %s\n", p->name,
                    p->default_value ? p->default_value : "-", p->description ? p->description : "");
    }
    kl_registry_free(&reg);
    return KL_OK;
}
