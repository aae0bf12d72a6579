/*
 * kl_table.c -- typed columns and tables (see kl_table.h).
 *
 * The loader appends millions of cells, so appending is inline in the header
 * and this file only grows arrays: geometrically while loading (1.5x, which
 * wastes less than doubling at the end of a load), then exactly once loading
 * is done (kl_table_shrink), because peak memory is a benchmark figure.
 * Every allocation failure leaves the column as it was (still consistent and
 * freeable) and reports out of memory.
 */
#include "kl_table.h"

#include "kl_alloc.h"

#define TB_MIN_CAP 64u

static size_t tb_bitmap_words(size_t cells)
{
    return (cells + 63) / 64;
}

static void tb_col_free(kl_col *c)
{
    if (!c)
        return;
    kl_free(c->name);
    kl_free(c->data);
    kl_free(c->missing);
    kl_free(c);
}

void kl_col_discard(kl_col *c)
{
    kl_free(c->data);
    kl_free(c->missing);
    c->data = NULL;
    c->missing = NULL;
    c->n = c->cap = c->nmissing = 0;
}

kl_table *kl_table_new(const char *name, kl_strpool *pool)
{
    kl_table *t = kl_calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->name = kl_strdup(name ? name : "");
    if (!t->name) {
        kl_free(t);
        return NULL;
    }
    t->pool = pool;
    return t;
}

void kl_table_free(kl_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->ncols; i++)
        tb_col_free(t->cols[i]);
    kl_free(t->cols);
    kl_free(t->line_marks);
    kl_free(t->source);
    kl_free(t->name);
    kl_free(t);
}

int kl_table_set_source(kl_table *t, const char *source, kl_error *err)
{
    char *copy = NULL;
    if (source && !(copy = kl_strdup(source)))
        return kl_error_oom(err, "naming a table's source");
    kl_free(t->source);
    t->source = copy;
    return KL_OK;
}

kl_col *kl_table_add_col(kl_table *t, const char *name, kl_type type, kl_error *err)
{
    if (type != KL_TYPE_INT && type != KL_TYPE_NUM && type != KL_TYPE_TEXT) {
        kl_error_set(err, KL_ERR_INTERNAL, "column %s: unknown type %d", name, (int)type);
        return NULL;
    }
    if (kl_table_col(t, name)) {
        kl_error_set(err, KL_ERR_USAGE, "table %s already has a column %s", t->name, name);
        return NULL;
    }

    kl_col *c = kl_calloc(1, sizeof *c);
    if (!c || !(c->name = kl_strdup(name))) {
        kl_free(c);
        kl_error_oom(err, "adding a column");
        return NULL;
    }
    c->type = type;
    c->int_width = type == KL_TYPE_INT ? 1 : 0; /* widened as values need */

    kl_col **cols = kl_reallocarray(t->cols, t->ncols + 1, sizeof *cols);
    if (!cols) {
        tb_col_free(c);
        kl_error_oom(err, "adding a column");
        return NULL;
    }
    t->cols = cols;
    t->cols[t->ncols++] = c;
    return c;
}

kl_col *kl_table_col(const kl_table *t, const char *name)
{
    for (size_t i = 0; i < t->ncols; i++)
        if (strcmp(t->cols[i]->name, name) == 0)
            return t->cols[i];
    return NULL;
}

/* Grows c to exactly cap cells (cap > c->cap), bitmap included. */
static int tb_col_grow(kl_col *c, size_t cap, kl_error *err)
{
    void *data = kl_reallocarray(c->data, cap, kl_col_cell_size(c));
    if (!data)
        return kl_error_oom(err, "growing a column");
    c->data = data;
    if (c->missing) {
        size_t old_words = tb_bitmap_words(c->cap), words = tb_bitmap_words(cap);
        uint64_t *bits = kl_reallocarray(c->missing, words, sizeof *bits);
        if (!bits) /* data is larger than cap says: harmless, still freeable */
            return kl_error_oom(err, "growing a column");
        memset(bits + old_words, 0, (words - old_words) * sizeof *bits);
        c->missing = bits;
    }
    c->cap = cap;
    return KL_OK;
}

int kl_col_reserve(kl_col *c, size_t extra, kl_error *err)
{
    if (extra <= c->cap - c->n)
        return KL_OK;
    if (extra > SIZE_MAX / 16 - c->n)
        return kl_error_oom(err, "growing a column");
    size_t need = c->n + extra;
    size_t cap = c->cap + c->cap / 2;
    if (cap < need)
        cap = need;
    if (cap < TB_MIN_CAP)
        cap = TB_MIN_CAP;
    return tb_col_grow(c, cap, err);
}

int kl_table_reserve(kl_table *t, size_t extra, kl_error *err)
{
    for (size_t i = 0; i < t->ncols; i++)
        if (kl_col_reserve(t->cols[i], extra, err) != KL_OK)
            return err ? err->status : KL_ERR_INTERNAL;
    return KL_OK;
}

int kl_col_push_missing(kl_col *c, kl_error *err)
{
    /* Robust even without a reserve: missing cells are off the hot path. */
    if (c->n >= c->cap && kl_col_reserve(c, 1, err) != KL_OK)
        return err ? err->status : KL_ERR_INTERNAL;
    if (!c->missing) {
        c->missing = kl_calloc(tb_bitmap_words(c->cap), sizeof *c->missing);
        if (!c->missing)
            return kl_error_oom(err, "marking a missing cell");
    }
    size_t i = c->n;
    c->missing[i >> 6] |= UINT64_C(1) << (i & 63);
    switch (c->type) {
    case KL_TYPE_INT:
        kl_col_store_int(c, i, 0);
        break;
    case KL_TYPE_NUM:
        ((double *)c->data)[i] = 0.0;
        break;
    default:
        ((uint32_t *)c->data)[i] = KL_STR_MISSING;
        break;
    }
    c->n++;
    c->nmissing++;
    return KL_OK;
}

int kl_col_set_missing(kl_col *c, size_t i, kl_error *err)
{
    if (i >= c->cap)
        return kl_error_set(err, KL_ERR_INTERNAL, "column %s: cell %zu is past its capacity",
                            c->name, i);
    if (!c->missing) {
        c->missing = kl_calloc(tb_bitmap_words(c->cap), sizeof *c->missing);
        if (!c->missing)
            return kl_error_oom(err, "marking a missing cell");
    }
    uint64_t bit = UINT64_C(1) << (i & 63);
    c->nmissing += !(c->missing[i >> 6] & bit);
    c->missing[i >> 6] |= bit;
    return KL_OK;
}

int kl_col_widen_int_to(kl_col *c, int width, kl_error *err)
{
    if (c->type != KL_TYPE_INT)
        return kl_error_set(err, KL_ERR_INTERNAL, "column %s is not an integer column",
                            c->name);
    if (width != 2 && width != 4 && width != 8)
        return kl_error_set(err, KL_ERR_INTERNAL, "column %s: no integer width %d", c->name,
                            width);
    if (c->int_width >= width)
        return KL_OK;
    /* realloc in place (large blocks are remapped, not copied), then spread
     * the values from the end so none is overwritten before it is read. */
    unsigned char *p = kl_reallocarray(c->data, c->cap ? c->cap : 1, (size_t)width);
    if (!p)
        return kl_error_oom(err, "widening an integer column");
    c->data = p;
    for (size_t i = c->n; i-- > 0;) {
        int64_t v = kl_col_int(c, i); /* still read at the old width */
        switch (width) {
        case 2: {
            int16_t w = (int16_t)v;
            memcpy(p + 2 * i, &w, 2);
            break;
        }
        case 4: {
            int32_t w = (int32_t)v;
            memcpy(p + 4 * i, &w, 4);
            break;
        }
        default:
            memcpy(p + 8 * i, &v, 8);
            break;
        }
    }
    c->int_width = width;
    return KL_OK;
}

int kl_col_widen_int(kl_col *c, kl_error *err)
{
    return kl_col_widen_int_to(c, 8, err);
}

/* The line row would have from the marks alone (rows after a mark follow it
 * line by line), or 0 when no mark is at or before row. */
static uint64_t tb_line_from_marks(const uint64_t *marks, size_t nmarks, size_t row)
{
    size_t lo = 0, hi = nmarks; /* find the last mark with mark row <= row */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (marks[2 * mid] <= row)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return 0;
    return marks[2 * (lo - 1) + 1] + (row - marks[2 * (lo - 1)]);
}

int kl_table_note_line(kl_table *t, size_t row, uint64_t line, kl_error *err)
{
    size_t n = t->nline_marks;
    if (n > 0) {
        uint64_t last_row = t->line_marks[2 * (n - 1)];
        if (row < last_row)
            return kl_error_set(err, KL_ERR_INTERNAL,
                                "table %s: line of row %zu noted out of order", t->name, row);
        if (row == last_row) { /* noted again: the later call wins */
            t->line_marks[2 * (n - 1) + 1] = line;
            return KL_OK;
        }
        if (t->line_marks[2 * (n - 1) + 1] + (row - last_row) == line)
            return KL_OK; /* the common case: the line after the previous row's */
    }
    /* The first note is always a mark, so "no marks" means "lines unknown". */
    if (n == t->cap_line_marks) {
        size_t cap = n < 16 ? 16 : n + n / 2;
        uint64_t *marks = kl_reallocarray(t->line_marks, cap, 2 * sizeof *marks);
        if (!marks)
            return kl_error_oom(err, "recording input lines");
        t->line_marks = marks;
        t->cap_line_marks = cap;
    }
    t->line_marks[2 * n] = row;
    t->line_marks[2 * n + 1] = line;
    t->nline_marks = n + 1;
    return KL_OK;
}

uint64_t kl_table_row_line(const kl_table *t, size_t row)
{
    return tb_line_from_marks(t->line_marks, t->nline_marks, row);
}

/* Reallocates c to exactly its cells; keeps the old block if that fails. */
static void tb_col_shrink(kl_col *c)
{
    if (c->cap == c->n)
        return;
    if (c->n == 0) {
        kl_free(c->data);
        kl_free(c->missing);
        c->data = NULL;
        c->missing = NULL;
        c->cap = 0;
        return;
    }
    void *data = kl_reallocarray(c->data, c->n, kl_col_cell_size(c));
    if (!data)
        return;
    c->data = data;
    c->cap = c->n;
    if (c->missing) {
        uint64_t *bits = kl_reallocarray(c->missing, tb_bitmap_words(c->n), sizeof *bits);
        if (bits) /* else the larger bitmap stays: still covers cap */
            c->missing = bits;
    }
}

void kl_table_shrink(kl_table *t)
{
    for (size_t i = 0; i < t->ncols; i++)
        tb_col_shrink(t->cols[i]);
    if (t->cap_line_marks > t->nline_marks) {
        if (t->nline_marks == 0) {
            kl_free(t->line_marks);
            t->line_marks = NULL;
            t->cap_line_marks = 0;
        } else {
            uint64_t *marks =
                kl_reallocarray(t->line_marks, t->nline_marks, 2 * sizeof *marks);
            if (marks) {
                t->line_marks = marks;
                t->cap_line_marks = t->nline_marks;
            }
        }
    }
}

size_t kl_table_bytes(const kl_table *t)
{
    size_t total = sizeof *t + t->ncols * sizeof *t->cols +
                   t->cap_line_marks * 2 * sizeof *t->line_marks;
    for (size_t i = 0; i < t->ncols; i++) {
        const kl_col *c = t->cols[i];
        total += sizeof *c + c->cap * kl_col_cell_size(c);
        if (c->missing)
            total += tb_bitmap_words(c->cap) * sizeof *c->missing;
    }
    return total;
}
