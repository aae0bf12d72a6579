/*
 * kl_table.h -- a table held as typed columns.
 *
 * A column is one contiguous array per type: INT in the narrowest of
 * int8_t, int16_t, int32_t and int64_t that holds every value so far,
 * widened when a value does not fit (years take 2 bytes, 0/1 flags and
 * small counts 1: memory is a benchmark figure); NUM as double; TEXT as uint32_t codes into a
 * shared kl_strpool.  A missing cell sets a bit in a bitmap allocated on the
 * first missing cell, and stores 0 in the array -- the bitmap, not the value,
 * says it is missing.  A table owns its columns; columns do not own the pool.
 */
#ifndef KL_TABLE_H
#define KL_TABLE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "klaster.h"
#include "kl_error.h"
#include "kl_strpool.h"

typedef struct kl_col {
    char *name;
    kl_type type;
    int int_width;     /* INT only: bytes per cell, 1, 2, 4 or 8 (int8_t ... int64_t) */
    size_t n;          /* cells appended */
    size_t cap;        /* cells allocated */
    void *data;        /* int32_t / int64_t / double / uint32_t[cap] */
    uint64_t *missing; /* bit i = cell i missing; NULL while none is */
    size_t nmissing;
} kl_col;

typedef struct kl_table {
    char *name;        /* dataset or step name, e.g. "firms" */
    char *source;      /* file it was read from, for messages; may be NULL;
                        * owned (kl_malloc'd), freed with the table -- set it
                        * with kl_table_set_source() */
    kl_col **cols;
    size_t ncols;
    size_t nrows;
    kl_strpool *pool;  /* borrowed: text codes refer to it */
    /* Sparse row -> input line map: entries (row, line) where the line of a
     * row stops being "line of previous row + 1" (multi-line records,
     * skipped rows, blank lines).  Use kl_table_row_line(). */
    uint64_t *line_marks; /* pairs: row, line */
    size_t nline_marks;
    size_t cap_line_marks;
} kl_table;

/* Frees c's cells (the column stays, empty: n = 0), to give memory back
 * once no step will read it; kl_table_free() still frees the rest. */
void kl_col_discard(kl_col *c);

/* A new empty table named name (copied); NULL when out of memory. */
kl_table *kl_table_new(const char *name, kl_strpool *pool);
void kl_table_free(kl_table *t);

/* Sets t->source to a copy of source (NULL clears it). */
int kl_table_set_source(kl_table *t, const char *source, kl_error *err);

/* Adds an empty column; returns it (owned by t) or NULL with err set.  A name
 * t already has is KL_ERR_USAGE. */
kl_col *kl_table_add_col(kl_table *t, const char *name, kl_type type, kl_error *err);
/* The column named name, or NULL. */
kl_col *kl_table_col(const kl_table *t, const char *name);

/* Makes room for at least `extra` more cells in c (amortised growth: 1.5x).
 * On failure the column keeps its cells and capacity. */
int kl_col_reserve(kl_col *c, size_t extra, kl_error *err);
/* kl_col_reserve() on every column of t. */
int kl_table_reserve(kl_table *t, size_t extra, kl_error *err);

/* Appending; the caller has reserved room.  Missing cells: kl_col_push_missing
 * (which also grows the column itself if there is no room).  A TEXT cell may
 * also be pushed as code KL_STR_MISSING without the bitmap: readers test
 * kl_col_present(), which treats both alike. */
int kl_col_push_missing(kl_col *c, kl_error *err);
/* Widens an INT column to `width` bytes (2, 4 or 8; no-op when already as
 * wide), keeping the values of its first c->n cells. */
int kl_col_widen_int_to(kl_col *c, int width, kl_error *err);
int kl_col_widen_int(kl_col *c, kl_error *err); /* to 64 bits */

/* The narrowest INT cell width (1, 2, 4, 8) holding every value in lo..hi. */
static inline int kl_int_width_for(int64_t lo, int64_t hi)
{
    if (lo >= INT8_MIN && hi <= INT8_MAX)
        return 1;
    if (lo >= INT16_MIN && hi <= INT16_MAX)
        return 2;
    if (lo >= INT32_MIN && hi <= INT32_MAX)
        return 4;
    return 8;
}

/* Stores v in INT cell i, which the column's width must hold. */
static inline void kl_col_store_int(kl_col *c, size_t i, int64_t v)
{
    switch (c->int_width) {
    case 1:
        ((int8_t *)c->data)[i] = (int8_t)v;
        break;
    case 2:
        ((int16_t *)c->data)[i] = (int16_t)v;
        break;
    case 4:
        ((int32_t *)c->data)[i] = (int32_t)v;
        break;
    default:
        ((int64_t *)c->data)[i] = v;
        break;
    }
}
/* Marks cell i (below the capacity, at or past c->n: the loader writes a
 * batch of cells before it counts them) missing, allocating the bitmap on
 * first use; the value stored there is the caller's business (0). */
int kl_col_set_missing(kl_col *c, size_t i, kl_error *err);

static inline int kl_col_push_int(kl_col *c, int64_t v, kl_error *err)
{
    int need = kl_int_width_for(v, v);
    if (need > c->int_width && kl_col_widen_int_to(c, need, err) != KL_OK)
        return err ? err->status : KL_ERR_INTERNAL;
    kl_col_store_int(c, c->n++, v);
    return KL_OK;
}

static inline void kl_col_push_num(kl_col *c, double v)
{
    ((double *)c->data)[c->n++] = v;
}

static inline void kl_col_push_code(kl_col *c, uint32_t code)
{
    ((uint32_t *)c->data)[c->n++] = code;
}

/* Bytes of one cell of c's data array. */
static inline size_t kl_col_cell_size(const kl_col *c)
{
    return c->type == KL_TYPE_INT ? (size_t)c->int_width
           : c->type == KL_TYPE_NUM ? sizeof(double)
                                    : sizeof(uint32_t);
}

/* Reading. */
static inline int kl_col_is_missing(const kl_col *c, size_t i)
{
    return c->missing && ((c->missing[i >> 6] >> (i & 63)) & 1u);
}

/* Cell i holds a value: not in the bitmap and, for TEXT, not code 0 (""). */
static inline int kl_col_present(const kl_col *c, size_t i)
{
    return !kl_col_is_missing(c, i) &&
           (c->type != KL_TYPE_TEXT || ((const uint32_t *)c->data)[i] != KL_STR_MISSING);
}

static inline int64_t kl_col_int(const kl_col *c, size_t i)
{
    return klaster_int_cell(c->data, c->int_width, i);
}

static inline double kl_col_num(const kl_col *c, size_t i)
{
    return ((const double *)c->data)[i];
}

static inline uint32_t kl_col_code(const kl_col *c, size_t i)
{
    return ((const uint32_t *)c->data)[i];
}

/* Any cell as a double (INT converted); the caller checks missing first. */
static inline double kl_col_as_num(const kl_col *c, size_t i)
{
    return c->type == KL_TYPE_NUM ? kl_col_num(c, i) : (double)kl_col_int(c, i);
}

/* Records that row `row` came from input line `line` (call once per row,
 * in order; stores only the rows where the running offset changes). */
int kl_table_note_line(kl_table *t, size_t row, uint64_t line, kl_error *err);
/* The input line of row (1-based; header = line 1), or 0 if unknown (no line
 * was noted at or before that row).  Rows past the last one noted are
 * extrapolated line by line.  O(log marks). */
uint64_t kl_table_row_line(const kl_table *t, size_t row);

/* Drops spare capacity after loading (peak memory matters): every column and
 * the line map are reallocated to their exact size (a failing realloc keeps
 * the larger block). */
void kl_table_shrink(kl_table *t);

/* Bytes t holds from the allocator (not counting the pool), for memory
 * figures. */
size_t kl_table_bytes(const kl_table *t);

#endif /* KL_TABLE_H */
