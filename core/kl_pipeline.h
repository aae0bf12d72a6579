/*
 * kl_pipeline.h -- pipeline files: what a scheduled run computes.
 *
 * A pipeline file is a declarative Lua file, read in the same sandbox as
 * indicator scripts, that calls pipeline{...} once: its datasets (path,
 * delimiter, column mapping), its steps (plugins and scripts by name,
 * scripts by path, each with parameters), the output folder and format,
 * and how many past runs to keep.  docs/pipelines.md is the reference.
 * Relative paths in the file are relative to the file's own folder, so a
 * pipeline runs the same from cron, systemd or a shell.
 */
#ifndef KL_PIPELINE_H
#define KL_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include "kl_error.h"
#include "kl_schema.h"
#include "kl_step.h"
#include "kl_writer.h"

typedef struct kl_pipeline_dataset {
    const char *name;     /* canonical dataset name (static string) */
    char *path;           /* resolved file path; NULL = look in data_dir */
    char delimiter;       /* 0 = detect */
    kl_colmap *maps;
    size_t nmaps;
} kl_pipeline_dataset;

typedef struct kl_pipeline_step {
    char *name;           /* step name; for a script given by path, its indicator's name
                             once loaded (NULL until then) */
    char *script;         /* resolved script path, or NULL for a step found by name */
    kl_param *params;     /* name/value strings owned by the pipeline */
    size_t nparams;
} kl_pipeline_step;

typedef struct kl_pipeline {
    char *path;           /* the pipeline file, as given (for messages) */
    char *abspath;        /* the same, absolute (for manifests) */
    char *name;
    char *sha256;         /* of the file's bytes */
    char *data_dir;       /* resolved */
    kl_pipeline_dataset datasets[8];
    size_t ndatasets;
    kl_pipeline_step *steps;
    size_t nsteps;
    char *out_dir;        /* resolved */
    kl_format format;
    unsigned keep;        /* runs to keep; 0 = all */
    char *plugin_path;    /* resolved, colon separated; may be NULL */
    char *script_path;
    char *report;         /* report file name inside each run, or NULL */
    int skip_bad_rows;
    uint64_t max_field, max_input, lua_memory, lua_instructions;
} kl_pipeline;

/*
 * Reads and checks the pipeline file at path.  Errors name the file (and
 * the line, for Lua errors) and what is wrong: KL_ERR_NOINPUT when it cannot
 * be read, KL_ERR_USAGE for anything wrong in it.  Release with
 * kl_pipeline_free().
 */
int kl_pipeline_load(kl_pipeline *p, const char *path, kl_error *err);
void kl_pipeline_free(kl_pipeline *p);

#endif /* KL_PIPELINE_H */
