/*
 * kl_check.h -- `klaster check`: validate a data folder against the
 * canonical schema and print a short data-quality report per dataset.
 *
 * The report covers what an analyst needs before trusting an indicator:
 * rows, columns found and missing, missing cells per column, rows with bad
 * values (the first few with file:line:column), duplicate unique keys,
 * export rows the indicators will ignore, and the years and regions covered
 * with the gaps named.
 */
#ifndef KL_CHECK_H
#define KL_CHECK_H

#include <stdio.h>

#include "kl_dataset.h"
#include "kl_error.h"

typedef struct kl_check_opts {
    const char *data_dir;
    kl_csv_opts csv;
    const kl_colmap *maps;
    size_t nmaps;
} kl_check_opts;

/*
 * Checks every canonical dataset found in opts->data_dir and writes the
 * report to out.  Returns KL_OK when the data are usable (warnings such as
 * missing cells or gaps do not fail), KL_ERR_DATA when some dataset has bad
 * rows, duplicates or missing required columns (err says how many problems),
 * KL_ERR_NOINPUT when the folder or every dataset is missing.
 */
int kl_check_run(const kl_check_opts *opts, FILE *out, kl_error *err);

#endif /* KL_CHECK_H */
