/*
 * kl_dataset.h -- loading one dataset file into a typed table.
 *
 * The loader joins the pieces: the CSV reader gives records, the schema says
 * what each canonical column is, the user's column mapping says what the
 * file calls it, and only the columns a caller asks for are converted and
 * kept.  Every defect is reported with file:line:column; with
 * skip_bad_rows the bad rows are counted (first few kept as examples)
 * instead of failing the load.  Rows that share the schema's unique key
 * (e.g. two rows for one firm in one year) are a data error naming both
 * lines.
 */
#ifndef KL_DATASET_H
#define KL_DATASET_H

#include <stddef.h>
#include <stdint.h>

#include "kl_csv.h"
#include <pthread.h>

#include "kl_error.h"
#include "kl_schema.h"
#include "kl_strpool.h"
#include "kl_table.h"

#define KL_LOAD_MAX_EXAMPLES 5
#define KL_SCHEMA_MAX_COLS 32

typedef struct kl_load_opts {
    kl_csv_opts csv;
    int skip_bad_rows;        /* count and skip bad rows instead of failing */
    const kl_colmap *maps;    /* user column names (entries of other datasets ignored) */
    size_t nmaps;
    const char *const *want;  /* NULL-terminated canonical columns to keep;
                                 NULL = every canonical column the file has */
    /* Added: when the pool is shared with other threads (steps, other
     * loads), the lock that guards it; the loader holds it for writing
     * while it interns (a batch column at a time) and for reading while it
     * reads strings.  NULL: the pool is this load's alone. */
    pthread_rwlock_t *pool_lock;
} kl_load_opts;

typedef struct kl_load_report {
    uint64_t rows_read;        /* data rows in the file */
    uint64_t bad_rows;         /* skipped: wrong shape or bad value */
    uint64_t duplicate_rows;   /* skipped: repeated unique key */
    size_t nexamples;          /* first problems, "file:line:col: ..." */
    char examples[KL_LOAD_MAX_EXAMPLES][KL_ERROR_MSG_MAX];
    char delimiter;
    int gzip;
    uint64_t bytes;            /* decompressed bytes read */
    uint64_t text_followed;    /* text cells whose code was found by following
                                * an earlier stretch of the file, unhashed */
    /* For each schema column (in schema order): the file's name for it, or
     * NULL when the file lacks it.  Owned by the report. */
    char *found_as[KL_SCHEMA_MAX_COLS];
    char *extra_columns;       /* ", "-joined file columns not in the schema, or NULL */
} kl_load_report;

/*
 * Reads path into a new table named after the schema.  Text cells are
 * interned in pool.  opts and rep may be NULL.  On success *out is owned by
 * the caller (kl_table_free).  Statuses: KL_ERR_NOINPUT (no such file),
 * KL_ERR_DATA (bad data), KL_ERR_USAGE (a wanted column unknown to the
 * schema), KL_ERR_IO, KL_ERR_INTERNAL.
 */
int kl_dataset_load(kl_table **out, const kl_schema *schema, const char *path,
                    kl_strpool *pool, const kl_load_opts *opts, kl_load_report *rep,
                    kl_error *err);

/*
 * The columns of dataset s that the given steps declare (their inputs
 * naming s), into want[] (NULL-terminated, at most KL_SCHEMA_MAX_COLS names
 * pointing into the schema).  *readers counts the steps reading s;
 * *required is nonzero when one of them does not mark it optional.  A
 * declared column the schema lacks is KL_ERR_USAGE naming the step.
 */
int kl_dataset_wanted(const kl_schema *s, const kl_plugin *const *steps, size_t nsteps,
                      const char *want[KL_SCHEMA_MAX_COLS + 1], int *readers, int *required,
                      kl_error *err);

/* Frees what a report owns and zeroes it. */
void kl_load_report_clear(kl_load_report *rep);

/*
 * Finds the file for dataset `name` in dir: NAME.csv, NAME.tsv, each
 * possibly with .gz.  *path_out (kl_malloc'd) receives it.  None is
 * KL_ERR_NOINPUT; more than one is KL_ERR_USAGE (ambiguous).
 */
int kl_dataset_find(const char *dir, const char *name, char **path_out, kl_error *err);

#endif /* KL_DATASET_H */
