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
#include "kl_sched.h"

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
/* ---- running: loads and steps as one graph of tasks (kl_sched) ------------ */

#define KL_COMPUTE_MAX_INPUTS 8

typedef struct kl_compute_job {
    const kl_compute_opts *o;
    const kl_plan *plan;
    kl_workspace *ws;
    kl_step_opts so;
    /* the datasets to load, largest file first: tasks 0 .. nloads-1 */
    const kl_schema *schemas[KL_COMPUTE_MAX_INPUTS];
    const char *want[KL_COMPUTE_MAX_INPUTS][KL_SCHEMA_MAX_COLS + 1];
    char *paths[KL_COMPUTE_MAX_INPUTS];
    off_t sizes[KL_COMPUTE_MAX_INPUTS];
    size_t nloads;
    /* then the plan's steps: tasks nloads .. nloads+plan->n-1 */
    kl_sched_task *tasks;
    size_t *deps;
    kl_error *errs; /* one per task */
} kl_compute_job;

/* Finds the datasets some step reads (a missing required one is an error
 * here, before anything is loaded), largest first. */
static int kl_compute_find_inputs(kl_compute_job *j, kl_error *err)
{
    const kl_plugin *descs[KL_COMPUTE_MAX_STEPS];
    size_t nschemas;
    const kl_schema *schemas = kl_schema_all(&nschemas);

    for (size_t i = 0; i < j->plan->n; i++)
        descs[i] = j->plan->steps[i]->desc;
    for (size_t d = 0; d < nschemas && j->nloads < KL_COMPUTE_MAX_INPUTS; d++) {
        const char *want[KL_SCHEMA_MAX_COLS + 1];
        size_t k;
        int readers, required;
        char *path = NULL;
        struct stat st;
        int rc = kl_dataset_wanted(&schemas[d], descs, j->plan->n, want, &readers, &required, err);
        if (rc != KL_OK)
            return rc;
        if (!readers)
            continue;
        rc = kl_dataset_find(j->o->data_dir, schemas[d].name, &path, err);
        if (rc == KL_ERR_NOINPUT && !required) {
            kl_error_clear(err);
            continue;
        }
        if (rc != KL_OK)
            return rc;
        off_t size = stat(path, &st) == 0 ? st.st_size : 0;
        for (k = j->nloads; k > 0 && j->sizes[k - 1] < size; k--) { /* insertion by size */
            j->schemas[k] = j->schemas[k - 1];
            j->paths[k] = j->paths[k - 1];
            j->sizes[k] = j->sizes[k - 1];
            memcpy(j->want[k], j->want[k - 1], sizeof j->want[k]);
        }
        memcpy(j->want[k], want, sizeof want);
        j->schemas[k] = &schemas[d];
        j->paths[k] = path;
        j->sizes[k] = size;
        j->nloads++;
    }
    return KL_OK;
}

static int kl_compute_load(kl_compute_job *j, size_t t)
{
    kl_load_opts lo;
    kl_table *tab = NULL;
    int rc;

    memset(&lo, 0, sizeof lo);
    lo.csv = j->o->csv;
    lo.skip_bad_rows = j->o->skip_bad_rows;
    lo.maps = j->o->maps;
    lo.nmaps = j->o->nmaps;
    lo.want = j->want[t];
    lo.pool_lock = &j->ws->lock; /* other loads and steps use the pool meanwhile */
    rc = kl_dataset_load(&tab, j->schemas[t], j->paths[t], j->ws->pool, &lo, NULL, &j->errs[t]);
    if (rc != KL_OK)
        return rc;
    return kl_workspace_add(j->ws, tab, &j->errs[t]);
}

static int kl_compute_task(void *userdata, size_t t)
{
    kl_compute_job *j = userdata;
    kl_table *out = NULL;
    int rc;

    if (t < j->nloads)
        return kl_compute_load(j, t);
    rc = kl_step_run(j->plan->steps[t - j->nloads], j->ws, &j->so, &out, &j->errs[t]);
    if (rc == KL_OK)
        rc = kl_workspace_add(j->ws, out, &j->errs[t]);
    kl_workspace_drop_columns(j->ws, j->plan->steps[t - j->nloads]->desc);
    return rc;
}

/* Every step reading dataset t has finished: free it (peak memory). */
static void kl_compute_released(void *userdata, size_t t)
{
    kl_compute_job *j = userdata;
    if (t < j->nloads)
        kl_workspace_release(j->ws, j->schemas[t]->name);
}

/* Runs the tasks; the first that failed, in task order (loads first), is
 * the error (later steps were skipped, or failed on their own). */
static int kl_compute_execute(kl_compute_job *j, kl_error *err)
{
    static const kl_sched_ops ops = {kl_compute_task, NULL, NULL, kl_compute_released};
    size_t ntasks = j->nloads + j->plan->n;

    kl_sched_run(j->tasks, ntasks, kl_sched_jobs(0, ntasks), &ops, j);
    for (size_t t = 0; t < ntasks; t++)
        if (j->tasks[t].state == KL_SCHED_FAILED) {
            *err = j->errs[t];
            return err->status;
        }
    return KL_OK;
}

/* Each step waits for the datasets and the steps it reads.  Loads start
 * first, largest file first; then, among ready steps, the one after which
 * the most dataset memory can be given back (kl_workspace_sole_bytes), to
 * keep the peak low. */
static int kl_compute_graph(kl_compute_job *j, kl_error *err)
{
    size_t ntasks = j->nloads + j->plan->n, ndeps = 0;

    for (size_t i = 0; i < j->plan->n; i++)
        for (const kl_input_def *in = j->plan->steps[i]->desc->inputs; in->table; in++)
            ndeps++;
    j->tasks = kl_calloc(ntasks, sizeof *j->tasks);
    j->deps = kl_calloc(ndeps + 1, sizeof *j->deps);
    j->errs = kl_calloc(ntasks, sizeof *j->errs);
    if (!j->tasks || !j->deps || !j->errs)
        return kl_error_oom(err, "planning the computation");
    for (size_t t = 0; t < j->nloads; t++) {
        j->tasks[t].fatal = 1;
        j->tasks[t].priority = (1ULL << 62) + (unsigned long long)j->sizes[t];
        for (size_t i = 0; i < j->plan->n; i++)
            if (kl_workspace_hold_columns(j->ws, j->plan->steps[i]->desc, j->schemas[t]->name,
                                          err) != KL_OK)
                return err->status;
    }
    for (size_t i = 0; i < j->plan->n; i++)
        j->tasks[j->nloads + i].priority =
            kl_workspace_sole_bytes(j->ws, j->plan->steps[i]->desc);
    ndeps = 0;
    for (size_t i = 0; i < j->plan->n; i++) {
        kl_sched_task *task = &j->tasks[j->nloads + i];
        task->deps = j->deps + ndeps;
        for (const kl_input_def *in = j->plan->steps[i]->desc->inputs; in->table; in++) {
            size_t dep = SIZE_MAX; /* none: an optional dataset that is not there */
            for (size_t k = 0; k < j->nloads && dep == SIZE_MAX; k++)
                if (strcmp(j->schemas[k]->name, in->table) == 0)
                    dep = k;
            for (size_t k = 0; k < j->plan->n && dep == SIZE_MAX; k++)
                if (strcmp(j->plan->steps[k]->desc->name, in->table) == 0)
                    dep = j->nloads + k;
            if (dep != SIZE_MAX)
                j->deps[ndeps++] = dep;
        }
        task->ndeps = (size_t)(j->deps + ndeps - task->deps);
    }
    return KL_OK;
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
    kl_compute_job *job;
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
    if (!(job = kl_calloc(1, sizeof *job))) {
        kl_registry_free(&reg);
        return kl_error_oom(err, "planning the computation");
    }
    if ((rc = kl_workspace_init(&ws, err)) != KL_OK) {
        kl_free(job);
        kl_registry_free(&reg);
        return rc;
    }
    *job = (kl_compute_job){.o = o, .plan = &plan, .ws = &ws,
                            .so = {.warn = o->warn, .warn_userdata = o->warn_userdata}};
    if ((rc = kl_compute_find_inputs(job, err)) == KL_OK && (rc = kl_compute_graph(job, err)) == KL_OK)
        rc = kl_compute_execute(job, err);
    if (rc == KL_OK)
        rc = kl_compute_publish(o, &ws, err);
    for (size_t i = 0; i < job->nloads; i++)
        kl_free(job->paths[i]);
    kl_free(job->tasks);
    kl_free(job->deps);
    kl_free(job->errs);
    kl_free(job);
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
