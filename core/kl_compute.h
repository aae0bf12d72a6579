/*
 * kl_compute.h -- `klaster compute`: run named steps over a data folder and
 * write their results.
 *
 * Resolves the named steps and, first, the steps they read; loads each
 * dataset once with only the columns the steps declared; runs the steps in
 * dependency order, handing outputs on in memory; and writes the named
 * results (CSV, gzip CSV or JSON Lines) atomically -- all of them only after
 * every step has succeeded, so a failed step publishes nothing.
 */
#ifndef KL_COMPUTE_H
#define KL_COMPUTE_H

#include <stdio.h>

#include "kl_csv.h"
#include "kl_error.h"
#include "kl_lua.h"
#include "kl_schema.h"
#include "kl_step.h"
#include "kl_writer.h"

typedef struct kl_compute_opts {
    const char *const *names;   /* steps to compute and write */
    size_t nnames;
    const char *data_dir;
    const char *out_dir;        /* NULL: standard output (one step only) */
    kl_format format;
    const char *plugin_path;    /* extra plugin folders, colon separated */
    const char *script_path;    /* extra script folders or files, colon separated */
    kl_lua_limits lua;          /* limits of each Lua script (0 = default) */
    kl_csv_opts csv;
    int skip_bad_rows;
    const kl_colmap *maps;
    size_t nmaps;
    kl_warn_fn warn;
    void *warn_userdata;
} kl_compute_opts;

int kl_compute_run(const kl_compute_opts *opts, kl_error *err);

/* `klaster list`: every plugin and script found, one paragraph each (only
 * the plugin_path, script_path and lua fields of opts are read). */
int kl_compute_list(const kl_compute_opts *opts, FILE *out, kl_error *err);
/* `klaster info NAME`: one step in full, with its columns and their meaning. */
int kl_compute_info(const kl_compute_opts *opts, const char *name, FILE *out, kl_error *err);

/* Writes table t to path (NULL writer on failure) without committing:
 * the caller commits or aborts *w. */
int kl_compute_write_table(const kl_table *t, const char *path, kl_format fmt, kl_writer **w,
                           kl_error *err);

#endif /* KL_COMPUTE_H */
