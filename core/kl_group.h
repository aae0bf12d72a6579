/*
 * kl_group.h -- grouping a table by key columns, with per-group aggregates.
 *
 * A grouping assigns every row whose key cells are all present (and whose
 * filter columns are present) to one group; other rows belong to none.
 * Groups are numbered 0..ngroups-1 in key order: INT keys numerically, TEXT
 * keys by the bytes of their strings, so output written in group order is
 * already sorted.  The rows of group g are rows[offsets[g] .. offsets[g+1]),
 * in table order.  Aggregates run in one pass over a column and write one
 * value per group, so plugins and Lua scripts never loop over rows for sums.
 * The previous-year lookup finds the group with the same key but the year
 * key one less.
 */
#ifndef KL_GROUP_H
#define KL_GROUP_H

#include <stddef.h>
#include <stdint.h>

#include "kl_error.h"
#include "kl_table.h"

#define KL_GROUP_MAX_KEYS 8
#define KL_GROUP_NONE UINT32_MAX

typedef struct kl_grouping {
    const kl_table *table;       /* borrowed */
    size_t nkeys;
    const kl_col *keys[KL_GROUP_MAX_KEYS]; /* INT or TEXT columns */
    size_t ngroups;
    int64_t *key_values;         /* [ngroups * nkeys]: INT value or TEXT code */
    uint32_t *row_group;         /* [table->nrows]: group of row, or KL_GROUP_NONE */
    uint32_t *offsets;           /* [ngroups + 1] */
    uint32_t *rows;              /* [offsets[ngroups]] rows by group */
    /* private: hash index from key to group (open addressing, slot = group
     * + 1, 0 = empty) */
    uint32_t *index;
    size_t index_mask;
    size_t nrows;                /* table->nrows when built: row_group's length */
    int rows_in_order;           /* rows[] is increasing: each group a run of the table */
    uint64_t *left_out;          /* bit r: row r is in no group (NULL: none is) */
} kl_grouping;

/*
 * Groups t by the named key columns (INT or TEXT), leaving out rows where a
 * key cell or any column named in `require` (NULL-terminated, may be NULL)
 * is missing (see kl_col_present: a TEXT cell with code 0 is missing too).
 * On success *out is owned by the caller (kl_grouping_free); it borrows t,
 * which must not change while the grouping is used.  An unknown column, a NUM
 * key or nkeys outside 1..KL_GROUP_MAX_KEYS is KL_ERR_USAGE.
 */
int kl_grouping_build(kl_grouping **out, const kl_table *t, const char *const *keys,
                      size_t nkeys, const char *const *require, kl_error *err);
void kl_grouping_free(kl_grouping *g);

/* Number of rows in group g. */
static inline size_t kl_grouping_size(const kl_grouping *g, size_t group)
{
    return g->offsets[group + 1] - g->offsets[group];
}

/* Key k of group g (INT value or TEXT code). */
static inline int64_t kl_grouping_key(const kl_grouping *g, size_t group, size_t k)
{
    return g->key_values[group * g->nkeys + k];
}

/* The group whose keys equal key[0..nkeys), or KL_GROUP_NONE. */
uint32_t kl_grouping_find(const kl_grouping *g, const int64_t *key);

/* The group equal to `group` except that key `year_key` is one less;
 * KL_GROUP_NONE if there is none (or year_key is not an INT key). */
uint32_t kl_grouping_prev(const kl_grouping *g, size_t group, size_t year_key);

/*
 * Aggregates over col (INT or NUM) per group, writing out[ngroups].  Only
 * rows where col is present count -- and, when `also` is not NULL, where
 * `also` is present too (ratios of sums "over firms where both fields are
 * present").  For groups with no such row: sum 0, count 0, mean/min/max NaN.
 * `also` may be of any type (a TEXT cell is present when its code is not 0);
 * col must be INT (either width) or NUM, except for COUNT, which reads
 * neither and accepts any column (or NULL).  Sums are compensated (Neumaier)
 * so their error does not grow with the number of rows.  col and `also`
 * need not belong to g->table but must have at least its number of rows.
 */
/* KL_AGG_SUM, KL_AGG_COUNT (rows of the group, present or not; `also`
 * ignored), KL_AGG_PRESENT (rows where col and `also` are present),
 * KL_AGG_MEAN, KL_AGG_MIN, KL_AGG_MAX -- defined in klaster.h, since
 * plugins ask for them too. */
typedef int kl_agg;

int kl_grouping_aggregate(const kl_grouping *g, kl_agg agg, const kl_col *col,
                          const kl_col *also, double *out, kl_error *err);

#endif /* KL_GROUP_H */
