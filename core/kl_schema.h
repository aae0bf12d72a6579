/*
 * kl_schema.h -- the canonical datasets and their columns (spec section 1).
 *
 * The schema is data: each dataset's columns with their types, which ones
 * every dataset file must have (its keys), and which are 0/1 flags.  The
 * loader checks files against it; `klaster check` reports against it; steps
 * name canonical columns.  A user's own column names are mapped onto these
 * (kl_colmap), never the other way round.
 */
#ifndef KL_SCHEMA_H
#define KL_SCHEMA_H

#include <stddef.h>

#include "klaster.h"
#include "kl_error.h"

enum {
    KL_COL_REQUIRED = 1, /* every file of the dataset must have the column */
    KL_COL_NONEMPTY = 2, /* ... and no row may leave it empty (an identity) */
    KL_COL_FLAG = 4      /* INT restricted to 0 and 1 */
};

typedef struct kl_schema_col {
    const char *name;
    kl_type type;
    unsigned flags;
    const char *meaning;
    const char *empty_means; /* what an empty cell says, when it is not "missing" */
} kl_schema_col;

typedef struct kl_schema {
    const char *name;      /* "firms", "exports", "regions", "clusters" */
    const char *meaning;
    const kl_schema_col *cols;
    size_t ncols;
    const char *const *unique; /* NULL-terminated columns no two rows may share */
} kl_schema;

/* The canonical datasets, in a fixed order; *n receives their number. */
const kl_schema *kl_schema_all(size_t *n);
/* The dataset named name, or NULL. */
const kl_schema *kl_schema_find(const char *name);
/* The column called name in schema s, or NULL. */
const kl_schema_col *kl_schema_find_col(const kl_schema *s, const char *name);

/*
 * A column mapping entry: canonical column `column` of dataset `dataset` is
 * called `source` in the user's file.  Parsed from "firms.employees=headcount".
 */
typedef struct kl_colmap {
    char *dataset;
    char *column;
    char *source;
} kl_colmap;

/* Parses "DATASET.COLUMN=NAME" into m (strings kl_malloc'd; free with
 * kl_colmap_clear).  An unknown dataset or column is KL_ERR_USAGE. */
int kl_colmap_parse(kl_colmap *m, const char *spec, kl_error *err);
void kl_colmap_clear(kl_colmap *m);

#endif /* KL_SCHEMA_H */
