/*
 * kl_run.c -- `klaster run` (see kl_run.h).
 *
 * The order of a run: resolve the steps and their graph (refusing unknown
 * inputs and cycles before touching anything), take the lock, fingerprint
 * inputs and steps, maybe stop (--if-changed), make the run folder with a
 * "running" manifest, load the datasets, run the steps on a small pool of
 * threads, write the outputs, write the final manifest, and only then move
 * `latest`.  Every file is written to a temporary name and renamed.  A run
 * that fails on the way says so in its manifest ("failed") when the disk
 * still lets it write one.
 */
#include "kl_run.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kl_alloc.h"
#include "kl_compute.h"
#include "kl_dataset.h"
#include "kl_lua.h"
#include "kl_plugin.h"
#include "kl_report.h"
#include "kl_runs.h"
#include "kl_sched.h"
#include "kl_sha256.h"
#include "kl_step.h"
#include "kl_writer.h"

#define KL_RUN_MAX_STEPS 256
#define KL_RUN_MAX_INPUTS 8

typedef struct kl_run_step {
    const kl_pipeline_step *ps;
    const kl_step_def *def;
    char sha256[65];          /* of the plugin or script file */
    size_t deps[32];          /* the steps it reads */
    size_t ndeps;
    size_t task_deps[32 + KL_RUN_MAX_INPUTS]; /* as tasks: loads, then steps */
    kl_sched_state state;
    int status;
    char error[KL_ERROR_MSG_MAX];
    double seconds;
    size_t rows;
    char out_file[256];
    char out_sha256[65];
} kl_run_step;

typedef struct kl_run_input {
    const kl_schema *schema;
    const kl_pipeline_dataset *cfg; /* may be NULL: found in the data folder */
    char *path;
    uint64_t size;
    char sha256[65];
    uint64_t rows;
    double seconds;
    int status;                     /* of loading it */
    char error[KL_ERROR_MSG_MAX];
} kl_run_input;

typedef struct kl_run {
    const kl_pipeline *p;
    const kl_run_opts *o;
    kl_log *log;
    kl_lua_limits lim;
    kl_registry reg;
    kl_run_step steps[KL_RUN_MAX_STEPS];
    size_t nsteps;
    kl_run_input inputs[KL_RUN_MAX_INPUTS];
    size_t ninputs;
    kl_workspace ws;
    char fingerprint[65];
    char id[KL_RUN_ID_MAX];
    char dir[PATH_MAX];
    char started[32];
    double t0;
    char changes[1024];
    char error[KL_ERROR_MSG_MAX];
    int lock_fd;
    /* the tasks: loading inputs[load_order[t]] for t < ninputs, then the
     * steps; see kl_run_tasks */
    kl_sched_task tasks[KL_RUN_MAX_INPUTS + KL_RUN_MAX_STEPS];
    size_t load_order[KL_RUN_MAX_INPUTS];
    size_t steps_settled;
} kl_run;

static double kl_run_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void kl_run_utc(char *buf, size_t cap)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static const char *kl_run_state_name(kl_sched_state s)
{
    switch (s) {
    case KL_SCHED_DONE:
        return "success";
    case KL_SCHED_FAILED:
        return "failed";
    case KL_SCHED_SKIPPED:
        return "skipped";
    case KL_SCHED_RUNNING:
        return "running";
    default:
        return "pending";
    }
}

/* ---- resolving the steps and their graph ------------------------------- */

/* The registry entry that is the very file `path`, or NULL. */
static const kl_step_def *kl_run_same_file(const kl_registry *reg, const char *path)
{
    struct stat a, b;
    if (stat(path, &a) != 0)
        return NULL;
    for (size_t i = 0; i < reg->n; i++)
        if (reg->steps[i].path && stat(reg->steps[i].path, &b) == 0 && a.st_dev == b.st_dev &&
            a.st_ino == b.st_ino)
            return &reg->steps[i];
    return NULL;
}

static int kl_run_registry(kl_run *r, kl_error *err)
{
    const kl_pipeline *p = r->p;
    const char *names[KL_RUN_MAX_STEPS];
    int rc;

    if ((rc = kl_registry_load(&r->reg, p->plugin_path, err)) != KL_OK ||
        (rc = kl_lua_load_path(&r->reg, p->script_path, &r->lim, err)) != KL_OK)
        return rc;
    if (p->nsteps > KL_RUN_MAX_STEPS)
        return kl_error_set(err, KL_ERR_USAGE, "%s: too many steps", p->path);
    /* Scripts named by path join the registry first; pointers into it are
     * taken only once it stops growing. */
    for (size_t i = 0; i < p->nsteps; i++) {
        const kl_pipeline_step *ps = &p->steps[i];
        const kl_step_def *known;
        kl_step_def def;
        names[i] = ps->name;
        if (!ps->script)
            continue;
        if ((known = kl_run_same_file(&r->reg, ps->script)) != NULL) {
            names[i] = known->desc->name;
            continue;
        }
        if ((rc = kl_lua_open(ps->script, &r->lim, &def, err)) != KL_OK)
            return rc;
        names[i] = def.desc->name;
        if ((rc = kl_registry_add_step(&r->reg, &def, err)) != KL_OK)
            return rc;
        names[i] = r->reg.steps[r->reg.n - 1].desc->name;
    }
    for (size_t i = 0; i < p->nsteps; i++) {
        kl_run_step *s = &r->steps[i];
        s->ps = &p->steps[i];
        s->def = kl_registry_find(&r->reg, names[i]);
        if (!s->def)
            return kl_error_set(err, KL_ERR_USAGE,
                                "%s: step %zu: no plugin or script called '%s' (klaster list shows "
                                "what is found; give a script by path with script = \"...\")",
                                p->path, i + 1, names[i]);
        if (s->ps->name && s->ps->script && strcmp(s->ps->name, s->def->desc->name) != 0)
            return kl_error_set(err, KL_ERR_USAGE, "%s: step %zu: the script %s declares '%s', not '%s'",
                                p->path, i + 1, s->ps->script, s->def->desc->name, s->ps->name);
        for (size_t j = 0; j < i; j++)
            if (r->steps[j].def == s->def)
                return kl_error_set(err, KL_ERR_USAGE, "%s: step '%s' is listed twice", p->path,
                                    names[i]);
        for (size_t k = 0; k < s->ps->nparams; k++) {
            const kl_param_def *d = s->def->desc->params;
            while (d && d->name && strcmp(d->name, s->ps->params[k].name) != 0)
                d++;
            if (!d || !d->name)
                return kl_error_set(err, KL_ERR_USAGE,
                                    "%s: step '%s' has no parameter '%s' (klaster info %s lists them)",
                                    p->path, names[i], s->ps->params[k].name, names[i]);
        }
    }
    r->nsteps = p->nsteps;
    return KL_OK;
}

/* Links each step to the steps it reads; unknown inputs are errors. */
static int kl_run_graph(kl_run *r, kl_error *err)
{
    for (size_t i = 0; i < r->nsteps; i++) {
        kl_run_step *s = &r->steps[i];
        for (const kl_input_def *in = s->def->desc->inputs; in->table; in++) {
            size_t j = 0;
            if (kl_schema_find(in->table))
                continue;
            while (j < r->nsteps && strcmp(r->steps[j].def->desc->name, in->table) != 0)
                j++;
            if (j == r->nsteps)
                return kl_error_set(err, KL_ERR_USAGE,
                                    "%s: step '%s' reads '%s', which is neither a dataset nor a step "
                                    "of this pipeline (add it to steps)",
                                    r->p->path, s->def->desc->name, in->table);
            if (s->ndeps == sizeof s->deps / sizeof s->deps[0])
                return kl_error_set(err, KL_ERR_USAGE, "%s: step '%s' reads too many steps",
                                    r->p->path, s->def->desc->name);
            s->deps[s->ndeps++] = j;
        }
    }
    return KL_OK;
}

/* Depth-first search for a cycle; names it: a -> b -> a. */
static int kl_run_find_cycle(const kl_run *r, size_t i, int *mark, size_t *path, size_t depth,
                             kl_error *err)
{
    mark[i] = 1; /* on the current path */
    path[depth] = i;
    for (size_t d = 0; d < r->steps[i].ndeps; d++) {
        size_t j = r->steps[i].deps[d];
        if (mark[j] == 1) {
            char msg[KL_ERROR_MSG_MAX];
            size_t o = 0, start = 0;
            while (path[start] != j)
                start++;
            for (size_t k = start; k <= depth && o < sizeof msg; k++)
                o += (size_t)snprintf(msg + o, sizeof msg - o, "%s reads ",
                                      r->steps[path[k]].def->desc->name);
            if (o < sizeof msg)
                snprintf(msg + o, sizeof msg - o, "%s", r->steps[j].def->desc->name);
            return kl_error_set(err, KL_ERR_USAGE, "%s: the steps read each other in a cycle: %s",
                                r->p->path, msg);
        }
        if (mark[j] == 0 && kl_run_find_cycle(r, j, mark, path, depth + 1, err) != KL_OK)
            return err->status;
    }
    mark[i] = 2; /* done */
    return KL_OK;
}

static int kl_run_check_cycles(const kl_run *r, kl_error *err)
{
    int mark[KL_RUN_MAX_STEPS] = {0};
    size_t path[KL_RUN_MAX_STEPS];
    for (size_t i = 0; i < r->nsteps; i++)
        if (mark[i] == 0 && kl_run_find_cycle(r, i, mark, path, 0, err) != KL_OK)
            return err->status;
    return KL_OK;
}

/* ---- inputs and the fingerprint ---------------------------------------- */

static const kl_pipeline_dataset *kl_run_dataset_cfg(const kl_pipeline *p, const char *name)
{
    for (size_t i = 0; i < p->ndatasets; i++)
        if (strcmp(p->datasets[i].name, name) == 0)
            return &p->datasets[i];
    return NULL;
}

static int kl_run_find_inputs(kl_run *r, kl_error *err)
{
    const kl_plugin *descs[KL_RUN_MAX_STEPS];
    size_t nschemas;
    const kl_schema *all = kl_schema_all(&nschemas);

    for (size_t i = 0; i < r->nsteps; i++)
        descs[i] = r->steps[i].def->desc;
    for (size_t d = 0; d < nschemas; d++) {
        const char *want[KL_SCHEMA_MAX_COLS + 1];
        int readers, required, rc;
        kl_run_input *in;
        if ((rc = kl_dataset_wanted(&all[d], descs, r->nsteps, want, &readers, &required, err)) != KL_OK)
            return rc;
        if (!readers)
            continue;
        in = &r->inputs[r->ninputs];
        in->schema = &all[d];
        in->cfg = kl_run_dataset_cfg(r->p, all[d].name);
        if (in->cfg && in->cfg->path) {
            struct stat st;
            if (stat(in->cfg->path, &st) != 0) {
                if (!required)
                    continue;
                return kl_error_set(err, KL_ERR_NOINPUT, "%s: dataset '%s': %s", in->cfg->path,
                                    all[d].name, strerror(errno));
            }
            if (!(in->path = kl_strdup(in->cfg->path)))
                return kl_error_oom(err, "finding the inputs");
        } else {
            rc = kl_dataset_find(r->p->data_dir, all[d].name, &in->path, err);
            if (rc == KL_ERR_NOINPUT && !required) {
                kl_error_clear(err);
                continue;
            }
            if (rc != KL_OK)
                return rc;
        }
        r->ninputs++;
    }
    return KL_OK;
}

static int kl_run_hash_inputs(kl_run *r, kl_error *err)
{
    for (size_t i = 0; i < r->ninputs; i++) {
        kl_run_input *in = &r->inputs[i];
        int rc = kl_sha256_file(in->path, in->sha256, &in->size, err);
        if (rc != KL_OK)
            return rc;
    }
    for (size_t i = 0; i < r->nsteps; i++) {
        kl_run_step *s = &r->steps[i];
        int rc = kl_sha256_file(s->def->path, s->sha256, NULL, err);
        if (rc != KL_OK)
            return rc;
    }
    return KL_OK;
}

/* Everything a result depends on, hashed: klaster, the pipeline file, the
 * inputs' bytes, the steps' files and versions and parameters. */
static void kl_run_fingerprint(kl_run *r)
{
    kl_sha256 h;
    char line[2048];

    kl_sha256_init(&h);
#define KL_FP(...)                                                                                 \
    do {                                                                                           \
        int n_ = snprintf(line, sizeof line, __VA_ARGS__);                                         \
        kl_sha256_update(&h, line, n_ > 0 && (size_t)n_ < sizeof line ? (size_t)n_ : sizeof line - 1); \
    } while (0)
    KL_FP("klaster %s abi %d.%d\n", KLASTER_VERSION, KLASTER_ABI_MAJOR, KLASTER_ABI_MINOR);
    KL_FP("pipeline %s\n", r->p->sha256);
    for (size_t i = 0; i < r->ninputs; i++)
        KL_FP("input %s %s\n", r->inputs[i].schema->name, r->inputs[i].sha256);
    for (size_t i = 0; i < r->nsteps; i++) {
        const kl_run_step *s = &r->steps[i];
        KL_FP("step %s %s %s\n", s->def->desc->name, s->def->desc->version, s->sha256);
        for (size_t k = 0; k < s->ps->nparams; k++)
            KL_FP("param %s %s\n", s->ps->params[k].name, s->ps->params[k].value);
    }
#undef KL_FP
    kl_sha256_final_hex(&h, r->fingerprint);
}

/* "firms=<sha>,exports=<sha>" for the manifest; the next run compares. */
static void kl_run_hash_list(const kl_run *r, int steps, char *buf, size_t cap)
{
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < (steps ? r->nsteps : r->ninputs) && o < cap; i++)
        o += (size_t)snprintf(buf + o, cap - o, "%s%s=%.16s", i ? "," : "",
                              steps ? r->steps[i].def->desc->name : r->inputs[i].schema->name,
                              steps ? r->steps[i].sha256 : r->inputs[i].sha256);
}

/* What differs from the previous good run, in words, into r->changes. */
static void kl_run_describe_changes(kl_run *r, const char *prev_manifest)
{
    char prev[2][4096], now[4096], prev_fp[80] = "", prev_pipe[80] = "", prev_ver[64] = "";
    size_t o = 0;
    static const char *const keys[2] = {"input_hashes", "step_hashes"};

    if (!prev_manifest || !kl_manifest_field(prev_manifest, "fingerprint", prev_fp, sizeof prev_fp)) {
        snprintf(r->changes, sizeof r->changes, "first run");
        return;
    }
    kl_manifest_field(prev_manifest, "pipeline_sha256", prev_pipe, sizeof prev_pipe);
    kl_manifest_field(prev_manifest, "klaster_version", prev_ver, sizeof prev_ver);
    r->changes[0] = '\0';
    if (strcmp(prev_ver, KLASTER_VERSION) != 0)
        o += (size_t)snprintf(r->changes + o, sizeof r->changes - o, "klaster %s -> %s; ", prev_ver,
                              KLASTER_VERSION);
    if (strcmp(prev_pipe, r->p->sha256) != 0 && o < sizeof r->changes)
        o += (size_t)snprintf(r->changes + o, sizeof r->changes - o, "pipeline file; ");
    for (int k = 0; k < 2; k++) {
        if (!kl_manifest_field(prev_manifest, keys[k], prev[k], sizeof prev[k]))
            prev[k][0] = '\0';
        kl_run_hash_list(r, k, now, sizeof now);
        /* Each "name=hash" of now that prev lacks names a changed item. */
        for (char *item = now, *next; item && *item; item = next) {
            char *comma = strchr(item, ',');
            next = comma ? comma + 1 : NULL;
            if (comma)
                *comma = '\0';
            if (!strstr(prev[k], item) && o < sizeof r->changes) {
                char *eq = strchr(item, '=');
                if (eq)
                    *eq = '\0';
                o += (size_t)snprintf(r->changes + o, sizeof r->changes - o, "%s %s; ",
                                      k ? "step" : "input", item);
            }
        }
    }
    if (o == 0)
        snprintf(r->changes, sizeof r->changes, "nothing (same inputs and steps)");
    else if (o >= 2 && o < sizeof r->changes)
        r->changes[o - 2] = '\0';
}

/* ---- the manifest ------------------------------------------------------ */

static void kl_run_json_str(FILE *f, const char *key, const char *value, int comma)
{
    fprintf(f, "  \"%s\": ", key);
    if (value)
        kl_json_write_string(f, value);
    else
        fputs("null", f);
    fputs(comma ? ",\n" : "\n", f);
}

static int kl_run_write_manifest(kl_run *r, const char *status, kl_error *err)
{
    char *buf = NULL, path[PATH_MAX + 32], finished[32], hashes[4096];
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    int rc, running = strcmp(status, "running") == 0;

    if (!f)
        return kl_error_oom(err, "writing the manifest");
    kl_run_utc(finished, sizeof finished);
    fputs("{\n", f);
    kl_run_json_str(f, "klaster_version", KLASTER_VERSION, 1);
    kl_run_json_str(f, "run_id", r->id, 1);
    kl_run_json_str(f, "pipeline", r->p->abspath ? r->p->abspath : r->p->path, 1);
    kl_run_json_str(f, "pipeline_sha256", r->p->sha256, 1);
    kl_run_json_str(f, "status", status, 1);
    kl_run_json_str(f, "started", r->started, 1);
    kl_run_json_str(f, "finished", running ? NULL : finished, 1);
    if (running)
        fputs("  \"duration_seconds\": null,\n", f);
    else
        fprintf(f, "  \"duration_seconds\": %.3f,\n", kl_run_now() - r->t0);
    kl_run_json_str(f, "fingerprint", r->fingerprint, 1);
    kl_run_json_str(f, "changes", r->changes, 1);
    kl_run_json_str(f, "error", r->error[0] ? r->error : NULL, 1);
    kl_run_hash_list(r, 0, hashes, sizeof hashes);
    kl_run_json_str(f, "input_hashes", hashes, 1);
    kl_run_hash_list(r, 1, hashes, sizeof hashes);
    kl_run_json_str(f, "step_hashes", hashes, 1);
    fputs("  \"inputs\": [\n", f);
    for (size_t i = 0; i < r->ninputs; i++) {
        const kl_run_input *in = &r->inputs[i];
        fprintf(f, "    {\"dataset\": \"%s\", \"path\": ", in->schema->name);
        kl_json_write_string(f, in->path);
        fprintf(f, ", \"size\": %llu, \"sha256\": \"%s\", \"rows\": %llu}%s\n",
                (unsigned long long)in->size, in->sha256, (unsigned long long)in->rows,
                i + 1 < r->ninputs ? "," : "");
    }
    fputs("  ],\n  \"steps\": [\n", f);
    for (size_t i = 0; i < r->nsteps; i++) {
        const kl_run_step *s = &r->steps[i];
        fprintf(f, "    {\"name\": \"%s\", \"kind\": \"%s\", \"version\": ", s->def->desc->name,
                s->def->kind == KL_STEP_PLUGIN ? "plugin" : "script");
        kl_json_write_string(f, s->def->desc->version);
        fputs(", \"file\": ", f);
        kl_json_write_string(f, s->def->path);
        fprintf(f, ", \"sha256\": \"%s\", \"params\": {", s->sha256);
        for (size_t k = 0; k < s->ps->nparams; k++) {
            fputs(k ? ", " : "", f);
            kl_json_write_string(f, s->ps->params[k].name);
            fputs(": ", f);
            kl_json_write_string(f, s->ps->params[k].value);
        }
        fprintf(f, "}, \"status\": \"%s\", \"rows\": %zu, \"seconds\": %.3f, \"error\": ",
                kl_run_state_name(s->state), s->rows, s->seconds);
        if (s->error[0])
            kl_json_write_string(f, s->error);
        else
            fputs("null", f);
        fprintf(f, "}%s\n", i + 1 < r->nsteps ? "," : "");
    }
    fputs("  ],\n  \"outputs\": [\n", f);
    {
        int first = 1;
        for (size_t i = 0; i < r->nsteps; i++) {
            const kl_run_step *s = &r->steps[i];
            if (!s->out_file[0])
                continue;
            fprintf(f, "%s    {\"step\": \"%s\", \"file\": ", first ? "" : ",\n", s->def->desc->name);
            kl_json_write_string(f, s->out_file);
            fprintf(f, ", \"rows\": %zu, \"sha256\": \"%s\"}", s->rows, s->out_sha256);
            first = 0;
        }
        fputs(first ? "" : "\n", f);
    }
    fputs("  ]\n}\n", f);
    if (fclose(f) != 0) {
        free(buf);
        return kl_error_oom(err, "writing the manifest");
    }
    snprintf(path, sizeof path, "%s/manifest.json", r->dir);
    rc = kl_write_file_atomic(path, buf, len, err);
    free(buf); /* open_memstream's buffer comes from malloc */
    return rc;
}

/* ---- loading and running ------------------------------------------------ */

/* Loads input i (on a scheduler thread); records the outcome in it. */
static int kl_run_load_one(kl_run *r, size_t i)
{
    kl_run_input *in = &r->inputs[i];
    const kl_plugin *descs[KL_RUN_MAX_STEPS];
    const char *want[KL_SCHEMA_MAX_COLS + 1];
    int readers, required, rc;
    kl_load_opts lo;
    kl_load_report rep;
    kl_table *t = NULL;
    kl_error err;
    double t0 = kl_run_now();

    for (size_t k = 0; k < r->nsteps; k++)
        descs[k] = r->steps[k].def->desc;
    memset(&lo, 0, sizeof lo);
    memset(&rep, 0, sizeof rep);
    rc = kl_dataset_wanted(in->schema, descs, r->nsteps, want, &readers, &required, &err);
    if (rc == KL_OK) {
        lo.want = want;
        lo.skip_bad_rows = r->p->skip_bad_rows;
        lo.csv.max_field = (size_t)r->p->max_field;
        lo.csv.source.max_bytes = r->p->max_input;
        lo.pool_lock = &r->ws.lock; /* steps and other loads use the pool meanwhile */
        if (in->cfg) {
            lo.csv.delimiter = in->cfg->delimiter;
            lo.maps = in->cfg->maps;
            lo.nmaps = in->cfg->nmaps;
        }
        kl_log_progress(r->log, "loading %s ...", in->schema->name);
        rc = kl_dataset_load(&t, in->schema, in->path, r->ws.pool, &lo, &rep, &err);
    }
    if (rc == KL_OK && rep.bad_rows + rep.duplicate_rows)
        kl_log_event(r->log, KL_LOG_WARN, NULL, "%s: skipped %llu bad and %llu duplicate rows; first: %s",
                     in->path, (unsigned long long)rep.bad_rows,
                     (unsigned long long)rep.duplicate_rows, rep.examples[0]);
    kl_load_report_clear(&rep);
    if (rc == KL_OK) {
        in->rows = t->nrows;
        in->seconds = kl_run_now() - t0;
        kl_log_event(r->log, KL_LOG_INFO, NULL, "loaded %s: %llu rows in %.2f s (%s)", in->schema->name,
                     (unsigned long long)in->rows, in->seconds, in->path);
        rc = kl_workspace_add(&r->ws, t, &err);
    }
    in->status = rc;
    if (rc != KL_OK)
        memcpy(in->error, err.msg, sizeof in->error);
    return rc;
}

static void kl_run_warn(void *userdata, const char *step, const char *message)
{
    kl_log_event(userdata, KL_LOG_WARN, step, "%s", message);
}

/* Runs step i (no lock held); records the outcome in it. */
static void kl_run_one(kl_run *r, size_t i)
{
    kl_run_step *s = &r->steps[i];
    kl_step_opts so = {.params = s->ps->params, .nparams = s->ps->nparams, .warn = kl_run_warn,
                       .warn_userdata = r->log};
    kl_table *out = NULL;
    kl_error err;
    double t0 = kl_run_now();
    int rc;

    kl_log_event(r->log, KL_LOG_DEBUG, s->def->desc->name, "started");
    rc = kl_step_run(s->def, &r->ws, &so, &out, &err);
    if (rc == KL_OK) {
        s->rows = out->nrows;
        rc = kl_workspace_add(&r->ws, out, &err);
    }
    s->seconds = kl_run_now() - t0;
    s->status = rc;
    if (rc != KL_OK) {
        memcpy(s->error, err.msg, sizeof s->error);
        kl_log_event(r->log, KL_LOG_ERROR, s->def->desc->name, "failed: %s", err.msg);
    } else {
        kl_log_event(r->log, KL_LOG_INFO, s->def->desc->name, "%zu rows in %.2f s", s->rows, s->seconds);
    }
}

/* ---- the tasks: loads and steps on a few threads (kl_sched) ------------- */

static int kl_run_task(void *userdata, size_t t)
{
    kl_run *r = userdata;
    if (t < r->ninputs)
        return kl_run_load_one(r, r->load_order[t]);
    kl_run_one(r, t - r->ninputs);
    kl_workspace_drop_columns(&r->ws, r->steps[t - r->ninputs].def->desc);
    return r->steps[t - r->ninputs].status;
}

static void kl_run_task_skipped(void *userdata, size_t t, size_t cause)
{
    kl_run *r = userdata;
    kl_run_step *s;
    if (t < r->ninputs)
        return; /* another input failed first: the run fails with its error */
    s = &r->steps[t - r->ninputs];
    s->state = KL_SCHED_SKIPPED;
    if (cause < r->ninputs)
        snprintf(s->error, sizeof s->error, "skipped: dataset %s could not be loaded",
                 r->inputs[r->load_order[cause]].schema->name);
    else
        snprintf(s->error, sizeof s->error, "skipped: an input step failed");
    if (cause >= r->ninputs)
        kl_log_event(r->log, KL_LOG_WARN, s->def->desc->name, "skipped: a step it reads failed");
    r->steps_settled++;
}

static void kl_run_task_finished(void *userdata, size_t t, size_t nsettled, size_t ntasks)
{
    kl_run *r = userdata;
    (void)nsettled;
    (void)ntasks;
    if (t < r->ninputs)
        return;
    r->steps[t - r->ninputs].state = r->tasks[t].state;
    r->steps_settled++;
    kl_log_progress(r->log, "[%zu/%zu steps done]", r->steps_settled, r->nsteps);
}

/* Every step reading the dataset of task t has finished: free it. */
static void kl_run_task_released(void *userdata, size_t t)
{
    kl_run *r = userdata;
    if (t < r->ninputs)
        kl_workspace_release(&r->ws, r->inputs[r->load_order[t]].schema->name);
}

/* Does the step read dataset `name`? */
static int kl_run_reads(const kl_run_step *s, const char *name)
{
    for (const kl_input_def *in = s->def->desc->inputs; in->table; in++)
        if (strcmp(in->table, name) == 0)
            return 1;
    return 0;
}

/*
 * Loads the inputs and runs the steps as one graph of tasks: each step
 * starts as soon as the datasets and steps it reads are there, while the
 * other datasets are still loading.  The largest file starts loading first
 * (it takes longest); among ready steps, the one after which the most
 * dataset memory is given back (kl_workspace_sole_bytes).  A dataset that
 * cannot be loaded fails the run with its error and starts nothing more; a
 * failed step skips the steps that read it.  Returns KL_OK, or the first
 * failed load's status with err set.
 */
static int kl_run_tasks(kl_run *r, kl_error *err)
{
    static const kl_sched_ops ops = {kl_run_task, kl_run_task_skipped, kl_run_task_finished,
                                     kl_run_task_released};
    size_t ntasks = r->ninputs + r->nsteps;

    for (size_t i = 0; i < r->ninputs; i++) {
        size_t k = i;
        while (k > 0 && r->inputs[r->load_order[k - 1]].size < r->inputs[i].size) {
            r->load_order[k] = r->load_order[k - 1];
            k--;
        }
        r->load_order[k] = i;
    }
    for (size_t t = 0; t < r->ninputs; t++) {
        const char *name = r->inputs[r->load_order[t]].schema->name;
        r->tasks[t] = (kl_sched_task){
            .fatal = 1,
            .priority = (1ULL << 62) + (unsigned long long)r->inputs[r->load_order[t]].size,
        };
        for (size_t i = 0; i < r->nsteps; i++)
            if (kl_workspace_hold_columns(&r->ws, r->steps[i].def->desc, name, err) != KL_OK)
                return err->status;
    }
    for (size_t i = 0; i < r->nsteps; i++) {
        kl_run_step *s = &r->steps[i];
        size_t n = 0;
        for (size_t t = 0; t < r->ninputs; t++)
            if (kl_run_reads(s, r->inputs[r->load_order[t]].schema->name))
                s->task_deps[n++] = t;
        for (size_t d = 0; d < s->ndeps; d++)
            s->task_deps[n++] = r->ninputs + s->deps[d];
        r->tasks[r->ninputs + i] = (kl_sched_task){
            .deps = s->task_deps,
            .ndeps = n,
            .priority = kl_workspace_sole_bytes(&r->ws, s->def->desc),
        };
    }
    r->steps_settled = 0;
    kl_sched_run(r->tasks, ntasks, kl_sched_jobs(r->o->jobs, ntasks), &ops, r);
    for (size_t t = 0; t < r->ninputs; t++) {
        const kl_run_input *in = &r->inputs[r->load_order[t]];
        if (r->tasks[t].state == KL_SCHED_FAILED)
            return kl_error_set(err, in->status, "%s", in->error);
    }
    return KL_OK;
}

static int kl_run_write_outputs(kl_run *r, kl_error *err)
{
    for (size_t i = 0; i < r->nsteps; i++) {
        kl_run_step *s = &r->steps[i];
        const kl_table *t = kl_workspace_get(&r->ws, s->def->desc->name);
        char path[PATH_MAX + 300];
        kl_writer *w;
        int rc;
        if (s->state != KL_SCHED_DONE || !t)
            continue;
        snprintf(s->out_file, sizeof s->out_file, "%s%s", s->def->desc->name,
                 kl_format_extension(r->p->format));
        snprintf(path, sizeof path, "%s/%s", r->dir, s->out_file);
        if ((rc = kl_compute_write_table(t, path, r->p->format, &w, err)) != KL_OK ||
            (rc = kl_writer_commit(w, err)) != KL_OK) {
            s->out_file[0] = '\0';
            return rc;
        }
        if ((rc = kl_sha256_file(path, s->out_sha256, NULL, err)) != KL_OK)
            return rc;
    }
    return KL_OK;
}

/* The pipeline's `report` page, into the run folder.  A report that cannot
 * be written is a warning: the results themselves are good. */
static void kl_run_report(kl_run *r)
{
    kl_report_opts ro;
    kl_error err;
    char path[PATH_MAX + 300];
    if (!r->p->report)
        return;
    snprintf(path, sizeof path, "%s/%s", r->dir, r->p->report);
    memset(&ro, 0, sizeof ro);
    ro.run_dir = r->dir;
    ro.out_path = path;
    ro.pipeline = r->p;
    ro.reg = &r->reg;
    if (kl_report_write(&ro, &err) != KL_OK)
        kl_log_event(r->log, KL_LOG_WARN, NULL, "no report: %s", err.msg);
    else
        kl_log_event(r->log, KL_LOG_INFO, NULL, "report: %s", path);
}

/* ---- the run ------------------------------------------------------------ */

/* The part of a run after the lock is taken. */
static int kl_run_locked(kl_run *r, kl_error *err)
{
    char latest[KL_RUN_ID_MAX], prev_manifest[PATH_MAX + 64], prev_fp[80];
    int have_prev, rc, failed_status = KL_OK;
    unsigned removed;

    if ((rc = kl_run_hash_inputs(r, err)) != KL_OK)
        return rc;
    kl_run_fingerprint(r);
    have_prev = kl_runs_latest(r->p->out_dir, latest);
    if (have_prev)
        snprintf(prev_manifest, sizeof prev_manifest, "%s/runs/%s/manifest.json", r->p->out_dir, latest);
    if (r->o->if_changed && have_prev &&
        kl_manifest_field(prev_manifest, "fingerprint", prev_fp, sizeof prev_fp) &&
        strcmp(prev_fp, r->fingerprint) == 0) {
        kl_log_event(r->log, KL_LOG_INFO, NULL,
                     "nothing changed since run %s (same inputs, steps and klaster): nothing to do",
                     latest);
        snprintf(r->id, sizeof r->id, "%s", latest);
        return KL_OK;
    }
    kl_run_describe_changes(r, have_prev ? prev_manifest : NULL);
    kl_runs_new_id(r->id, r->fingerprint);
    if ((rc = kl_runs_create(r->p->out_dir, r->id, r->dir, sizeof r->dir, err)) != KL_OK)
        return rc;
    if ((rc = kl_run_write_manifest(r, "running", err)) != KL_OK) {
        /* The folder is still empty (the writer removed its temporary
         * file): left behind, it would be a run `klaster history` cannot
         * explain, with nothing in it. */
        rmdir(r->dir);
        return rc;
    }
    kl_log_event(r->log, KL_LOG_INFO, NULL, "run %s of %s started (changes: %s)", r->id, r->p->path,
                 r->changes);
    if ((rc = kl_workspace_init(&r->ws, err)) == KL_OK && (rc = kl_run_tasks(r, err)) == KL_OK) {
        for (size_t i = 0; i < r->nsteps && failed_status == KL_OK; i++)
            if (r->steps[i].state == KL_SCHED_FAILED) {
                failed_status = r->steps[i].status;
                snprintf(r->error, sizeof r->error, "step %s failed: %s", r->steps[i].def->desc->name,
                         r->steps[i].error);
            }
        if (failed_status == KL_OK)
            rc = kl_run_write_outputs(r, err);
    }
    if (rc != KL_OK && !r->error[0])
        memcpy(r->error, err->msg, sizeof r->error);
    if (rc == KL_OK && failed_status != KL_OK) {
        rc = kl_error_set(err, failed_status, "%s", r->error);
    }
    {
        kl_error merr;
        int mrc = kl_run_write_manifest(r, rc == KL_OK ? "success" : "failed", &merr);
        if (rc == KL_OK && mrc != KL_OK) {
            *err = merr;
            rc = mrc;
            /* "failed" rather than the "running" manifest, which history
             * would call interrupted -- if the disk lets us (best effort). */
            memcpy(r->error, err->msg, sizeof r->error);
            (void)kl_run_write_manifest(r, "failed", &merr);
        }
    }
    if (rc == KL_OK) {
        kl_run_report(r);
        if ((rc = kl_runs_publish(r->p->out_dir, r->id, err)) != KL_OK) {
            kl_error merr;
            /* The manifest says success, but the run did not become
             * `latest`: it failed after all, and must not look good in
             * history (best effort: the disk may be what failed). */
            memcpy(r->error, err->msg, sizeof r->error);
            (void)kl_run_write_manifest(r, "failed", &merr);
        }
    }
    if (rc != KL_OK) {
        kl_error perr;
        kl_log_event(r->log, KL_LOG_ERROR, NULL, "run %s failed; latest still points at %s", r->id,
                     have_prev ? latest : "no run");
        /* Failed runs count toward retention too: a timer firing on a bad
         * input must not pile up folders. */
        kl_runs_prune(r->p->out_dir, r->p->keep, &removed, &perr);
        return rc;
    }
    kl_log_event(r->log, KL_LOG_INFO, NULL, "run %s succeeded in %.2f s; %s/latest points at it", r->id,
                 kl_run_now() - r->t0, r->p->out_dir);
    if (kl_runs_prune(r->p->out_dir, r->p->keep, &removed, err) != KL_OK)
        kl_log_event(r->log, KL_LOG_WARN, NULL, "could not remove old runs: %s", err->msg);
    else if (removed)
        kl_log_event(r->log, KL_LOG_INFO, NULL, "removed %u old run(s) (keep = %u)", removed, r->p->keep);
    kl_error_clear(err);
    return KL_OK;
}

int kl_run_pipeline(const kl_pipeline *p, const kl_run_opts *o, char *run_id, kl_error *err)
{
    kl_run *r = kl_calloc(1, sizeof *r);
    int rc;

    if (!r)
        return kl_error_oom(err, "starting a run");
    r->p = p;
    r->o = o;
    r->log = o->log;
    r->lock_fd = -1;
    r->lim.memory = p->lua_memory;
    r->lim.instructions = p->lua_instructions;
    r->t0 = kl_run_now();
    kl_run_utc(r->started, sizeof r->started);
    if ((rc = kl_run_registry(r, err)) == KL_OK && (rc = kl_run_graph(r, err)) == KL_OK &&
        (rc = kl_run_check_cycles(r, err)) == KL_OK && (rc = kl_run_find_inputs(r, err)) == KL_OK &&
        (rc = kl_runs_lock(p->out_dir, !o->no_wait, &r->lock_fd, err)) == KL_OK)
        rc = kl_run_locked(r, err);
    if (run_id)
        snprintf(run_id, KL_RUN_ID_MAX, "%s", r->id);
    kl_runs_unlock(r->lock_fd);
    kl_workspace_free(&r->ws);
    kl_registry_free(&r->reg);
    for (size_t i = 0; i < r->ninputs; i++)
        kl_free(r->inputs[i].path);
    kl_free(r);
    return rc;
}
