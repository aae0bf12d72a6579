/*
 * kl_dataset.c -- loading one dataset file into a typed table (see
 * kl_dataset.h).
 *
 * The row loop is the hot path of every run: per row it touches only the
 * fields of wanted columns, converts each once into a small staging array,
 * and appends the staged row only when every cell was good -- so a bad row
 * never leaves half its cells in the columns.
 */
#include "kl_dataset.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "kl_alloc.h"
#include "kl_number.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define KL_LOAD_TEXT_CACHE 32

/* A wanted column: where it is in the file and where it goes. */
typedef struct kl_load_col {
    const kl_schema_col *def;
    size_t field;  /* index in the file's records */
    kl_col *col;   /* destination */
    /* TEXT: the previous cell, since files are usually sorted by region and
     * cluster and the same string follows itself for thousands of rows. */
    uint32_t last_len;
    uint32_t last_code;
    char last[KL_LOAD_TEXT_CACHE];
    /* TEXT whose cells mostly differ from the row before (firm ids): the
     * batch goes by following an earlier stretch (kl_load_text_follow). */
    int follow;
    int track;             /* next_row is kept up to date (by both ways) */
    unsigned follow_retry; /* batches before following is tried again */
    size_t cursor;         /* row whose code the next new cell is guessed to have */
    uint32_t *next_row;    /* code -> 1 + the last row holding it (0: none) */
    size_t next_row_cap;
} kl_load_col;

/* One converted cell (the row-at-a-time path that explains a bad row). */
typedef struct kl_staged {
    int missing;
    union {
        int64_t i;
        double n;
        uint32_t code;
    } v;
} kl_staged;

/*
 * Rows are converted in batches, one column at a time: each column's loop
 * is short and predictable (one parser, one destination array), and a text
 * column's hash table lookups are prefetched several rows ahead so that the
 * cache misses of a million distinct firm ids overlap instead of stalling
 * each row in turn.  Cells go straight into the columns; a row found bad is
 * dropped afterwards (skip) or fails the load, with its message worked out
 * again by the row-at-a-time path, in row order.
 */
#define KL_LOAD_BATCH 512
/* A TEXT column is followed once 3/4 of a batch's cells differ from the row
 * before.  A followed batch that guessed wrong more often than right goes
 * back to hashing for KL_LOAD_FOLLOW_RETRY batches; one whose texts were
 * mostly new (a first year; a new cluster's firms), where hashing prefetches
 * the inserts, for KL_LOAD_FOLLOW_PAUSE. */
#define KL_LOAD_FOLLOW_RETRY 64
#define KL_LOAD_FOLLOW_PAUSE 16
/* How many lookups ahead each prefetch level runs (see kl_strpool_prefetch). */
#define KL_LOAD_AHEAD_SLOT 24
#define KL_LOAD_AHEAD_PTR 16
#define KL_LOAD_AHEAD_BYTES 8
/* Text cell markers during a batch: never real codes (the pool stops far
 * below them). */
#define KL_LOAD_SAME UINT32_MAX          /* as the row before */
#define KL_LOAD_PENDING (UINT32_MAX - 1) /* to be interned */

typedef struct kl_loader {
    const kl_schema *schema;
    const kl_load_opts *opts;
    kl_load_report *rep;
    kl_csv *csv;
    kl_table *table;
    kl_strpool *pool;
    size_t nfields;              /* cells per record, from the header */
    kl_load_col cols[KL_SCHEMA_MAX_COLS];
    size_t ncols;
    size_t reserved;             /* rows the columns have room for */
    kl_prefaulter *prefaulter;   /* maps the columns' next rows; may be NULL */
    /* The batch being loaded. */
    const kl_csv_batch *batch;
    size_t nbad;                 /* rows of the batch marked in bad[] */
    uint8_t bad[KL_LOAD_BATCH];
    uint32_t pend_row[KL_LOAD_BATCH]; /* text cells to intern: row, hash */
    uint32_t pend_hash[KL_LOAD_BATCH];
    int64_t ints[KL_LOAD_BATCH];     /* an INT column's values */
} kl_loader;

#define KL_LOAD_RESERVE_STEP 65536

void kl_load_report_clear(kl_load_report *rep)
{
    if (!rep)
        return;
    for (size_t i = 0; i < KL_SCHEMA_MAX_COLS; i++)
        kl_free(rep->found_as[i]);
    kl_free(rep->extra_columns);
    memset(rep, 0, sizeof *rep);
}

/* The name the user's file gives canonical column `column`. */
static const char *kl_load_source_name(const kl_loader *ld, const char *column)
{
    const kl_load_opts *o = ld->opts;
    for (size_t i = 0; o && i < o->nmaps; i++)
        if (strcmp(o->maps[i].dataset, ld->schema->name) == 0 &&
            strcmp(o->maps[i].column, column) == 0)
            return o->maps[i].source;
    return column;
}

/* A short, printable rendering of a cell for messages. */
static void kl_load_quote_value(char *buf, size_t cap, const char *s, size_t len)
{
    size_t o = 0;
    buf[o++] = '"';
    for (size_t i = 0; i < len && o + 6 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        if (i == 40) {
            memcpy(buf + o, "...", 3);
            o += 3;
            break;
        }
        if (c < 0x20 || c == 0x7f) {
            o += (size_t)snprintf(buf + o, cap - o, "\\x%02x", c);
        } else {
            if (c == '"')
                buf[o++] = '\\';
            buf[o++] = (char)c;
        }
    }
    buf[o++] = '"';
    buf[o] = '\0';
}

/* The shared pool's lock (kl_load_opts.pool_lock), if any. */
static void kl_load_pool_lock(const kl_loader *ld, int write)
{
    pthread_rwlock_t *l = ld->opts ? ld->opts->pool_lock : NULL;
    if (l && write)
        pthread_rwlock_wrlock(l);
    else if (l)
        pthread_rwlock_rdlock(l);
}

static void kl_load_pool_unlock(const kl_loader *ld)
{
    if (ld->opts && ld->opts->pool_lock)
        pthread_rwlock_unlock(ld->opts->pool_lock);
}

/* Records a bad row: fails the load, or counts it and keeps an example. */
static int kl_load_bad_row(kl_loader *ld, kl_error *err, const char *fmt, ...) KL_PRINTF(3, 4);
static int kl_load_bad_row(kl_loader *ld, kl_error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kl_error_setv(err, KL_ERR_DATA, fmt, ap);
    va_end(ap);
    if (!ld->opts || !ld->opts->skip_bad_rows)
        return KL_ERR_DATA;
    if (ld->rep) {
        ld->rep->bad_rows++;
        if (ld->rep->nexamples < KL_LOAD_MAX_EXAMPLES)
            memcpy(ld->rep->examples[ld->rep->nexamples++], err->msg, sizeof err->msg);
    }
    kl_error_clear(err);
    return KL_OK;
}

static int kl_load_is_wanted(const kl_loader *ld, const char *name)
{
    const char *const *w = ld->opts ? ld->opts->want : NULL;
    if (!w)
        return 1;
    for (; *w; w++)
        if (strcmp(*w, name) == 0)
            return 1;
    return 0;
}

static int kl_load_check_wanted(const kl_loader *ld, const char *path, kl_error *err)
{
    const char *const *w = ld->opts ? ld->opts->want : NULL;
    for (; w && *w; w++)
        if (!kl_schema_find_col(ld->schema, *w))
            return kl_error_set(err, KL_ERR_USAGE, "%s: dataset '%s' has no column '%s'",
                                path, ld->schema->name, *w);
    return KL_OK;
}

/* Appends "name" to a ", "-joined list; returns 0 when out of memory. */
static int kl_load_list_append(char **list, const char *name)
{
    size_t old = *list ? strlen(*list) : 0;
    size_t add = strlen(name);
    char *grown = kl_realloc(*list, old + add + 3);
    if (!grown)
        return 0;
    if (old) {
        memcpy(grown + old, ", ", 2);
        old += 2;
    }
    memcpy(grown + old, name, add + 1);
    *list = grown;
    return 1;
}

/* Checks the header (duplicates, empty names), matches it to the schema,
 * and creates the wanted columns. */
static int kl_load_header(kl_loader *ld, const kl_field *f, size_t nf, kl_error *err)
{
    const char *path = kl_csv_name(ld->csv);
    const kl_schema *s = ld->schema;
    char *missing = NULL;

    ld->nfields = nf;
    for (size_t i = 0; i < nf; i++) {
        if (f[i].len == 0)
            return kl_error_set(err, KL_ERR_DATA, "%s:%llu:%llu: column %zu has an empty name",
                                path, (unsigned long long)kl_csv_row_line(ld->csv),
                                (unsigned long long)kl_csv_field_column(ld->csv, i), i + 1);
        for (size_t j = 0; j < i; j++)
            if (f[j].len == f[i].len && memcmp(f[j].ptr, f[i].ptr, f[i].len) == 0)
                return kl_error_set(err, KL_ERR_DATA,
                                    "%s:%llu:%llu: duplicate column name '%s' (columns %zu and %zu)",
                                    path, (unsigned long long)kl_csv_row_line(ld->csv),
                                    (unsigned long long)kl_csv_field_column(ld->csv, i), f[i].ptr,
                                    j + 1, i + 1);
    }
    for (size_t c = 0; c < s->ncols; c++) {
        const kl_schema_col *def = &s->cols[c];
        const char *source = kl_load_source_name(ld, def->name);
        size_t field = nf;
        for (size_t i = 0; i < nf; i++)
            if (strcmp(f[i].ptr, source) == 0) {
                field = i;
                break;
            }
        if (field == nf) {
            int needed = (def->flags & KL_COL_REQUIRED) ||
                         (ld->opts && ld->opts->want && kl_load_is_wanted(ld, def->name));
            if (needed && !kl_load_list_append(&missing, source)) {
                kl_free(missing);
                return kl_error_oom(err, "reading a header");
            }
            continue;
        }
        if (ld->rep && !(ld->rep->found_as[c] = kl_strdup(source))) {
            kl_free(missing);
            return kl_error_oom(err, "reading a header");
        }
        if (!kl_load_is_wanted(ld, def->name) && !(def->flags & KL_COL_NONEMPTY))
            continue;
        ld->cols[ld->ncols].def = def;
        ld->cols[ld->ncols].field = field;
        ld->cols[ld->ncols].col = kl_table_add_col(ld->table, def->name, def->type, err);
        if (!ld->cols[ld->ncols].col) {
            kl_free(missing);
            return err->status;
        }
        ld->ncols++;
    }
    if (missing) {
        kl_error_set(err, KL_ERR_DATA,
                     "%s:%llu: missing required column(s) %s for dataset '%s' (if your file "
                     "calls a column differently, map it, e.g. --map %s.%s=YOUR_NAME)",
                     path, (unsigned long long)kl_csv_row_line(ld->csv), missing, s->name,
                     s->name, strchr(missing, ',') ? "COLUMN" : missing);
        kl_free(missing);
        return KL_ERR_DATA;
    }
    if (ld->rep) {
        for (size_t i = 0; i < nf; i++) {
            int known = 0;
            for (size_t c = 0; c < s->ncols && !known; c++)
                known = ld->rep->found_as[c] && strcmp(ld->rep->found_as[c], f[i].ptr) == 0;
            if (!known && !kl_load_list_append(&ld->rep->extra_columns, f[i].ptr))
                return kl_error_oom(err, "reading a header");
        }
    }
    return KL_OK;
}

static const char *kl_load_type_word(const kl_schema_col *def)
{
    if (def->flags & KL_COL_FLAG)
        return "0 or 1";
    return def->type == KL_TYPE_INT ? "an integer" : "a number";
}

/* ---- explaining a bad row (the slow path) ------------------------------ */

/* The line and column of field fi of batch row r, for messages. */
#define KL_LOAD_WHERE(ld, r, fi)                                                   \
    kl_csv_name((ld)->csv), (unsigned long long)(ld)->batch->lines[r],            \
        (unsigned long long)kl_csv_batch_column((ld)->batch, (r), (fi))

/* Converts cell fi of batch row r for wanted column lc into st, one cell at a
 * time; on a bad value returns KL_ERR_DATA with the message in err.  Only
 * used to explain a row the column loops found bad, so it must find the same
 * faults they do. */
static int kl_load_convert(kl_loader *ld, kl_load_col *lc, size_t r, kl_staged *st, kl_error *err)
{
    const kl_schema_col *def = lc->def;
    const kl_field *f = kl_csv_batch_field(ld->batch, r, lc->field);
    size_t fi = lc->field;
    kl_num_status ns;
    char shown[128];

    st->missing = 0;
    switch (def->type) {
    case KL_TYPE_TEXT:
        if (f->len == 0) {
            st->missing = 1;
            break;
        }
        kl_load_pool_lock(ld, 1);
        st->v.code = kl_strpool_intern(ld->pool, f->ptr, f->len, err);
        kl_load_pool_unlock(ld);
        if (st->v.code == UINT32_MAX) {
            if (err->status != KL_ERR_DATA)
                return err->status;
            return kl_error_prefix(err, "%s:%llu:%llu: column '%s'", KL_LOAD_WHERE(ld, r, fi),
                                   def->name);
        }
        return KL_OK;
    case KL_TYPE_INT:
        ns = kl_parse_int(f->ptr, f->len, &st->v.i);
        if (ns == KL_NUM_OK && (def->flags & KL_COL_FLAG) && st->v.i != 0 && st->v.i != 1)
            ns = KL_NUM_SYNTAX;
        goto number;
    case KL_TYPE_NUM:
        ns = kl_parse_num(f->ptr, f->len, &st->v.n);
    number:
        if (ns == KL_NUM_OK)
            return KL_OK;
        if (ns == KL_NUM_EMPTY) {
            st->missing = 1;
            break;
        }
        kl_load_quote_value(shown, sizeof shown, f->ptr, f->len);
        return kl_error_set(
            err, KL_ERR_DATA, "%s:%llu:%llu: column '%s': expected %s, got %s%s",
            KL_LOAD_WHERE(ld, r, fi), def->name, kl_load_type_word(def), shown,
            ns == KL_NUM_RANGE            ? " (out of range)"
            : ns == KL_NUM_DECIMAL_COMMA ? " (a decimal comma: write 1.5, not 1,5)"
                                          : "");
    }
    if (st->missing && (def->flags & KL_COL_NONEMPTY))
        return kl_error_set(err, KL_ERR_DATA, "%s:%llu:%llu: column '%s' must not be empty",
                            KL_LOAD_WHERE(ld, r, fi), def->name);
    return KL_OK;
}

/* Sets err to what is wrong with batch row r (KL_ERR_DATA), or returns
 * another status when explaining itself fails (out of memory). */
static int kl_load_explain(kl_loader *ld, size_t r, kl_error *err)
{
    size_t nf = kl_csv_batch_nfields(ld->batch, r);
    kl_staged st;

    if (nf != ld->nfields) {
        size_t at = nf > ld->nfields ? ld->nfields : (nf ? nf - 1 : 0);
        return kl_error_set(err, KL_ERR_DATA,
                            "%s:%llu:%llu: expected %zu cells (as in the header), found %zu",
                            KL_LOAD_WHERE(ld, r, at), ld->nfields, nf);
    }
    for (size_t c = 0; c < ld->ncols; c++) {
        int rc = kl_load_convert(ld, &ld->cols[c], r, &st, err);
        if (rc != KL_OK)
            return rc;
    }
    return kl_error_set(err, KL_ERR_INTERNAL, "%s:%llu: row rejected without a reason",
                        kl_csv_name(ld->csv), (unsigned long long)ld->batch->lines[r]);
}

/* ---- the column loops ---------------------------------------------------- */

static inline void kl_load_mark_bad(kl_loader *ld, size_t r)
{
    ld->nbad += !ld->bad[r];
    ld->bad[r] = 1;
}

/* Room for the rows of the next batch.  Columns grow a step of rows at a
 * time, with room for one step more, whose pages the prefaulter maps in
 * the background meanwhile (see kl_prefault: one call instead of a fault
 * per page).  Without a prefaulter, or for the first step, this thread
 * maps them itself. */
static int kl_load_reserve(kl_loader *ld, size_t rows, kl_error *err)
{
    const size_t step = KL_LOAD_RESERVE_STEP;
    while (ld->table->nrows + rows > ld->reserved) {
        for (size_t c = 0; c < ld->ncols; c++) {
            kl_col *col = ld->cols[c].col;
            size_t width = kl_col_cell_size(col);
            if (kl_col_reserve(col, ld->reserved - col->n + 2 * step, err) != KL_OK)
                return err->status;
            if (!ld->prefaulter || ld->reserved == 0)
                kl_prefault((char *)col->data + ld->reserved * width, step * width);
            kl_prefaulter_post(ld->prefaulter, (char *)col->data + (ld->reserved + step) * width,
                               step * width);
        }
        ld->reserved += step;
    }
    return KL_OK;
}

/* A NUM column over the batch, into data[n0 ...]. */
static int kl_load_num_column(kl_loader *ld, kl_load_col *lc, size_t n0, kl_error *err)
{
    const kl_csv_batch *b = ld->batch;
    kl_col *col = lc->col;
    double *dst = (double *)col->data + n0;
    const int nonempty = (lc->def->flags & KL_COL_NONEMPTY) != 0;

    for (size_t r = 0; r < b->nrows; r++) {
        const kl_field *f;
        kl_num_status ns;
        if (ld->bad[r]) { /* maybe not even this many cells */
            dst[r] = 0.0;
            continue;
        }
        f = kl_csv_batch_field(b, r, lc->field);
        if (kl_parse_num_padded(f->ptr, f->len, &dst[r])) /* the reader pads its buffer */
            continue;
        ns = kl_parse_num(f->ptr, f->len, &dst[r]);
        if (ns == KL_NUM_OK)
            continue;
        dst[r] = 0.0;
        if (ns != KL_NUM_EMPTY || nonempty)
            kl_load_mark_bad(ld, r);
        else if (kl_col_set_missing(col, n0 + r, err) != KL_OK)
            return err->status;
    }
    return KL_OK;
}

/* An INT column over the batch: parsed into a scratch array first, so the
 * column is widened at most once per batch, before any cell is stored. */
static int kl_load_int_column(kl_loader *ld, kl_load_col *lc, size_t n0, kl_error *err)
{
    const kl_csv_batch *b = ld->batch;
    kl_col *col = lc->col;
    int64_t *v = ld->ints, lo = 0, hi = 0;
    const int nonempty = (lc->def->flags & KL_COL_NONEMPTY) != 0;
    const int flag = (lc->def->flags & KL_COL_FLAG) != 0;
    int width;

    for (size_t r = 0; r < b->nrows; r++) {
        kl_num_status ns = KL_NUM_OK;
        v[r] = 0;
        if (!ld->bad[r]) {
            const kl_field *f = kl_csv_batch_field(b, r, lc->field);
            if (!kl_parse_int_padded(f->ptr, f->len, &v[r])) /* the reader pads its buffer */
                ns = kl_parse_int(f->ptr, f->len, &v[r]);
        }
        if (ns == KL_NUM_OK && flag && v[r] != 0 && v[r] != 1)
            ns = KL_NUM_SYNTAX;
        if (ns != KL_NUM_OK) {
            v[r] = 0;
            if (ns != KL_NUM_EMPTY || nonempty)
                kl_load_mark_bad(ld, r);
            else if (kl_col_set_missing(col, n0 + r, err) != KL_OK)
                return err->status;
        }
        lo = v[r] < lo ? v[r] : lo;
        hi = v[r] > hi ? v[r] : hi;
    }
    width = kl_int_width_for(lo, hi);
    if (width > col->int_width) {
        col->n = n0; /* the cells to carry over */
        if (kl_col_widen_int_to(col, width, err) != KL_OK)
            return err->status;
    }
    switch (col->int_width) {
    case 1:
        for (size_t r = 0; r < b->nrows; r++)
            ((int8_t *)col->data)[n0 + r] = (int8_t)v[r];
        break;
    case 2:
        for (size_t r = 0; r < b->nrows; r++)
            ((int16_t *)col->data)[n0 + r] = (int16_t)v[r];
        break;
    case 4:
        for (size_t r = 0; r < b->nrows; r++)
            ((int32_t *)col->data)[n0 + r] = (int32_t)v[r];
        break;
    default:
        memcpy((int64_t *)col->data + n0, v, b->nrows * sizeof *v);
        break;
    }
    return KL_OK;
}

/* Records that row `row` holds code, growing next_row to the pool's size. */
static int kl_load_follow_note(kl_loader *ld, kl_load_col *lc, uint32_t code, size_t row,
                               kl_error *err)
{
    if (row >= UINT32_MAX - 1)
        return KL_OK; /* past 4G rows only hashing finds them: still right */
    if (code >= lc->next_row_cap) {
        size_t cap = lc->next_row_cap * 2 > kl_strpool_count(ld->pool)
                         ? lc->next_row_cap * 2
                         : kl_strpool_count(ld->pool) + 1024;
        uint32_t *p = kl_reallocarray(lc->next_row, cap, sizeof *p);
        if (!p)
            return kl_error_oom(err, "loading a text column");
        memset(p + lc->next_row_cap, 0, (cap - lc->next_row_cap) * sizeof *p);
        lc->next_row = p;
        lc->next_row_cap = cap;
    }
    lc->next_row[code] = (uint32_t)(row + 1);
    return KL_OK;
}

/* The second pass of kl_load_text_column: resolves the marked cells of
 * the batch in row order (*code, *prev_bad: the last text's code, and
 * whether it was bad), the hash table lookups prefetched ahead. */
static int kl_load_text_intern(kl_loader *ld, kl_load_col *lc, uint32_t *dst, size_t npend,
                               uint32_t *codep, int *prev_badp, kl_error *err)
{
    const kl_csv_batch *b = ld->batch;
    uint32_t code = *codep;
    int prev_bad = *prev_badp;
    size_t k = 0;

    for (size_t i = 0; i < npend && i < KL_LOAD_AHEAD_SLOT; i++)
        kl_strpool_prefetch(ld->pool, ld->pend_hash[i], 0);
    for (size_t r = 0; r < b->nrows; r++) {
        if (dst[r] == KL_LOAD_SAME) {
            if (prev_bad)
                kl_load_mark_bad(ld, r); /* the same bad text */
            dst[r] = prev_bad ? KL_STR_MISSING : code;
        } else if (dst[r] == KL_LOAD_PENDING) {
            const kl_field *f = kl_csv_batch_field(b, r, lc->field);
            uint32_t got;
            if (k + KL_LOAD_AHEAD_SLOT < npend)
                kl_strpool_prefetch(ld->pool, ld->pend_hash[k + KL_LOAD_AHEAD_SLOT], 0);
            if (k + KL_LOAD_AHEAD_PTR < npend)
                kl_strpool_prefetch(ld->pool, ld->pend_hash[k + KL_LOAD_AHEAD_PTR], 1);
            if (k + KL_LOAD_AHEAD_BYTES < npend)
                kl_strpool_prefetch(ld->pool, ld->pend_hash[k + KL_LOAD_AHEAD_BYTES], 2);
            got = kl_strpool_intern_hashed(ld->pool, f->ptr, f->len, ld->pend_hash[k++], err);
            if (got == UINT32_MAX) {
                if (err->status != KL_ERR_DATA)
                    return err->status;
                kl_error_clear(err); /* explained again in row order */
                kl_load_mark_bad(ld, r);
                dst[r] = KL_STR_MISSING;
                prev_bad = 1;
            } else {
                dst[r] = code = got;
                prev_bad = 0;
                if (lc->track && kl_load_follow_note(ld, lc, got, ld->table->nrows + r, err) != KL_OK)
                    return err->status;
            }
        }
    }
    *codep = code;
    *prev_badp = prev_bad;
    return KL_OK;
}

/*
 * Whether a[0..len) == b[0..len), where 16 bytes are readable from both
 * (a field in the reader's padded buffer; b such a field or lc->last, which
 * has KL_LOAD_TEXT_CACHE bytes).  Short texts -- regions, clusters, ids --
 * take one 16-byte compare instead of a call to memcmp per row.
 */
static inline int kl_load_same_text(const char *a, const char *b, size_t len)
{
#ifdef __SSE2__
    if (len <= 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)a);
        __m128i y = _mm_loadu_si128((const __m128i *)(const void *)b);
        unsigned eq = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, y));
        unsigned want = len == 16 ? 0xffffu : (1u << len) - 1;
        return (eq & want) == want;
    }
#endif
    return memcmp(a, b, len) == 0;
}

/* The next batch compares its first cell with this one's last text (row
 * last_r, code, or bad). */
static void kl_load_text_remember(kl_loader *ld, kl_load_col *lc, size_t last_r, uint32_t code,
                                  int bad)
{
    if (last_r == SIZE_MAX)
        return;
    const kl_field *f = kl_csv_batch_field(ld->batch, last_r, lc->field);
    if (bad || f->len >= KL_LOAD_TEXT_CACHE) {
        lc->last_len = 0;
    } else {
        memcpy(lc->last, f->ptr, f->len);
        lc->last_len = f->len;
        lc->last_code = code;
    }
}

/*
 * A TEXT column over the batch, in two passes.  The first settles the cheap
 * cases -- empty (missing), or the same text as the row before (regions and
 * clusters repeat for thousands of rows) -- and hashes the rest.  The second
 * interns those in row order, prefetching the table slot, then the string
 * pointer, then the string of lookups further ahead.
 */
static int kl_load_text_column(kl_loader *ld, kl_load_col *lc, size_t n0, kl_error *err)
{
    const kl_csv_batch *b = ld->batch;
    kl_col *col = lc->col;
    uint32_t *dst = (uint32_t *)col->data + n0;
    const int nonempty = (lc->def->flags & KL_COL_NONEMPTY) != 0;
    const char *prev = lc->last;
    size_t prev_len = lc->last_len, npend = 0, last_r = SIZE_MAX;
    uint32_t code = lc->last_code;
    int prev_bad = 0, rc;

    for (size_t r = 0; r < b->nrows; r++) {
        const kl_field *f = ld->bad[r] ? NULL : kl_csv_batch_field(b, r, lc->field);
        if (!f) {
            dst[r] = KL_STR_MISSING;
        } else if (f->len == 0) {
            dst[r] = KL_STR_MISSING;
            if (nonempty)
                kl_load_mark_bad(ld, r);
            else if (kl_col_set_missing(col, n0 + r, err) != KL_OK)
                return err->status;
        } else {
            if (f->len == prev_len && kl_load_same_text(f->ptr, prev, prev_len)) {
                dst[r] = KL_LOAD_SAME;
            } else {
                dst[r] = KL_LOAD_PENDING;
                ld->pend_row[npend] = (uint32_t)r;
                ld->pend_hash[npend++] = kl_strpool_hash(f->ptr, f->len);
            }
            prev = f->ptr;
            prev_len = f->len;
            last_r = r;
        }
    }
    kl_load_pool_lock(ld, 1);
    rc = kl_load_text_intern(ld, lc, dst, npend, &code, &prev_bad, err);
    kl_load_pool_unlock(ld);
    if (rc != KL_OK)
        return rc;
    kl_load_text_remember(ld, lc, last_r, code, prev_bad);
    /* Mostly new neighbours: note where each text is from now on, and try
     * following from the next batch on. */
    if (npend * 4 >= b->nrows * 3 && b->nrows >= 64) {
        lc->track = 1;
        if (lc->follow_retry == 0)
            lc->follow = 1;
        else
            lc->follow_retry--;
    }
    return KL_OK;
}

/*
 * A TEXT column whose cells mostly differ from the row before but repeat an
 * earlier stretch of the file in the same order: firm ids in a panel
 * written in the same order every year.  Each new cell is guessed to hold
 * the code of row `cursor` -- the row after the one that last held the
 * previous cell's text -- and the guess is checked with one compare against
 * the pool's string.  Right guesses read the column, the code -> string
 * array and the strings in order, where hashing reads a random slot,
 * pointer and string of a table far bigger than the cache (a quarter of
 * the whole load's time for a million firm ids).  A wrong guess interns as
 * usual and moves the cursor after the row that last held that text (a
 * firm that entered or left).  The codes are the same as by hashing: a
 * guess is only ever taken when the strings are equal.
 */
static int kl_load_text_follow(kl_loader *ld, kl_load_col *lc, size_t n0, kl_error *err)
{
    const kl_csv_batch *b = ld->batch;
    kl_col *col = lc->col;
    uint32_t *codes = col->data, *dst = codes + n0;
    const int nonempty = (lc->def->flags & KL_COL_NONEMPTY) != 0;
    const char *prev = lc->last;
    size_t prev_len = lc->last_len, last_r = SIZE_MAX, guesses = 0, hits = 0, added = 0;
    uint32_t code = lc->last_code;
    int prev_bad = 0, rc = KL_OK;

    kl_load_pool_lock(ld, 1);
    for (size_t r = 0; r < b->nrows && rc == KL_OK; r++) {
        const kl_field *f = ld->bad[r] ? NULL : kl_csv_batch_field(b, r, lc->field);
        size_t at = n0 + r;
        dst[r] = KL_STR_MISSING;
        if (!f)
            continue;
        if (f->len == 0) {
            if (nonempty)
                kl_load_mark_bad(ld, r);
            else
                rc = kl_col_set_missing(col, at, err);
            continue;
        }
        last_r = r;
        if (f->len == prev_len && kl_load_same_text(f->ptr, prev, prev_len)) {
            if (prev_bad)
                kl_load_mark_bad(ld, r); /* the same bad text */
            else
                dst[r] = code;
            continue;
        }
        prev = f->ptr;
        prev_len = f->len;
        guesses++;
        if (lc->cursor < at && kl_strpool_is(ld->pool, codes[lc->cursor], f->ptr, f->len)) {
            code = codes[lc->cursor++];
            hits++;
        } else if (lc->cursor + 1 < at &&
                   kl_strpool_is(ld->pool, codes[lc->cursor + 1], f->ptr, f->len)) {
            lc->cursor += 2; /* the row guessed left (a firm that exited) */
            code = codes[lc->cursor - 1];
            hits++;
        } else {
            uint32_t had = kl_strpool_count(ld->pool);
            code = kl_strpool_intern(ld->pool, f->ptr, f->len, err);
            added += kl_strpool_count(ld->pool) != had;
            if (code == UINT32_MAX) {
                if (err->status != KL_ERR_DATA) {
                    rc = err->status;
                    break;
                }
                kl_error_clear(err); /* explained again in row order */
                kl_load_mark_bad(ld, r);
                prev_bad = 1;
                continue;
            }
            if (code < lc->next_row_cap && lc->next_row[code])
                lc->cursor = lc->next_row[code];
        }
        prev_bad = 0;
        dst[r] = code;
        rc = kl_load_follow_note(ld, lc, code, at, err);
    }
    kl_load_pool_unlock(ld);
    if (rc != KL_OK)
        return rc;
    kl_load_text_remember(ld, lc, last_r, code, prev_bad);
    if (ld->rep)
        ld->rep->text_followed += hits;
    if (hits < guesses - hits - added) { /* not following anything */
        lc->follow = 0;
        lc->follow_retry = KL_LOAD_FOLLOW_RETRY;
    } else if (added * 2 > guesses) {
        lc->follow = 0;
        lc->follow_retry = KL_LOAD_FOLLOW_PAUSE;
    }
    return KL_OK;
}

/* Drops the rows marked bad from the cells the batch wrote at n0... */
static void kl_load_drop_bad(kl_loader *ld, size_t n0)
{
    const kl_csv_batch *b = ld->batch;
    for (size_t c = 0; c < ld->ncols; c++) {
        kl_col *col = ld->cols[c].col;
        size_t width = kl_col_cell_size(col);
        char *data = col->data;
        size_t w = n0;
        for (size_t r = 0; r < b->nrows; r++) {
            size_t at = n0 + r;
            int miss = kl_col_is_missing(col, at);
            if (miss) {
                col->missing[at >> 6] &= ~(UINT64_C(1) << (at & 63));
                col->nmissing--;
            }
            if (ld->bad[r])
                continue;
            if (w != at)
                memcpy(data + w * width, data + at * width, width);
            if (miss) {
                col->missing[w >> 6] |= UINT64_C(1) << (w & 63);
                col->nmissing++;
            }
            w++;
        }
    }
}

/* Loads one batch of records into the columns. */
static int kl_load_batch(kl_loader *ld, const kl_csv_batch *b, kl_error *err)
{
    kl_table *t = ld->table;
    size_t n0 = t->nrows, kept = 0;
    int rc = KL_OK;

    ld->batch = b;
    ld->nbad = 0;
    memset(ld->bad, 0, b->nrows);
    if (ld->rep)
        ld->rep->rows_read += b->nrows;
    if (kl_load_reserve(ld, b->nrows, err) != KL_OK)
        return err->status;
    for (size_t r = 0; r < b->nrows; r++)
        if (kl_csv_batch_nfields(b, r) != ld->nfields)
            kl_load_mark_bad(ld, r);
    for (size_t c = 0; c < ld->ncols && rc == KL_OK; c++) {
        kl_load_col *lc = &ld->cols[c];
        switch (lc->def->type) {
        case KL_TYPE_NUM:
            rc = kl_load_num_column(ld, lc, n0, err);
            break;
        case KL_TYPE_INT:
            rc = kl_load_int_column(ld, lc, n0, err);
            break;
        case KL_TYPE_TEXT:
            rc = lc->follow ? kl_load_text_follow(ld, lc, n0, err)
                            : kl_load_text_column(ld, lc, n0, err);
            break;
        }
    }
    if (rc != KL_OK)
        return rc;
    if (ld->nbad) {
        /* In row order: the first fails the load, or each is counted. */
        for (size_t r = 0; r < b->nrows; r++) {
            if (!ld->bad[r])
                continue;
            rc = kl_load_explain(ld, r, err);
            if (rc != KL_ERR_DATA)
                return rc;
            char msg[KL_ERROR_MSG_MAX];
            memcpy(msg, err->msg, sizeof msg);
            if (kl_load_bad_row(ld, err, "%s", msg) != KL_OK)
                return err->status;
        }
        kl_load_drop_bad(ld, n0);
    }
    for (size_t r = 0; r < b->nrows; r++) {
        if (ld->bad[r])
            continue;
        /* the map keeps only breaks in the line sequence: skip the rest */
        if ((r == 0 || ld->bad[r - 1] || b->lines[r] != b->lines[r - 1] + 1 || kept == 0) &&
            kl_table_note_line(t, n0 + kept, b->lines[r], err) != KL_OK)
            return err->status;
        kept++;
    }
    for (size_t c = 0; c < ld->ncols; c++)
        ld->cols[c].col->n = n0 + kept;
    t->nrows = n0 + kept;
    return KL_OK;
}

/* ---- duplicate keys ---------------------------------------------------- */

typedef struct kl_keyset {
    const kl_col *cols[4];
    size_t ncols;
    uint32_t *slots; /* row + 1; 0 = empty */
    size_t mask;
} kl_keyset;

static uint64_t kl_keyset_hash(const kl_keyset *ks, size_t row)
{
    uint64_t h = 0x9e3779b97f4a7c15u;
    for (size_t k = 0; k < ks->ncols; k++) {
        const kl_col *c = ks->cols[k];
        uint64_t v = c->type == KL_TYPE_TEXT ? kl_col_code(c, row) : (uint64_t)kl_col_int(c, row);
        h ^= v + 0x9e3779b97f4a7c15u + (h << 6) + (h >> 2);
        h *= 0xff51afd7ed558ccdu;
        h ^= h >> 33;
    }
    return h;
}

static int kl_keyset_equal(const kl_keyset *ks, size_t a, size_t b)
{
    for (size_t k = 0; k < ks->ncols; k++) {
        const kl_col *c = ks->cols[k];
        if (c->type == KL_TYPE_TEXT ? kl_col_code(c, a) != kl_col_code(c, b)
                                    : kl_col_int(c, a) != kl_col_int(c, b))
            return 0;
    }
    return 1;
}

/* Describes the key of row for a message: "firm '123' in year 2020". */
static void kl_keyset_describe(const kl_keyset *ks, const kl_table *t, size_t row, char *buf,
                               size_t cap)
{
    size_t o = 0;
    for (size_t k = 0; k < ks->ncols && o < cap; k++) {
        const kl_col *c = ks->cols[k];
        if (c->type == KL_TYPE_TEXT)
            o += (size_t)snprintf(buf + o, cap - o, "%s%s '%s'", k ? ", " : "", c->name,
                                  kl_strpool_get(t->pool, kl_col_code(c, row)));
        else
            o += (size_t)snprintf(buf + o, cap - o, "%s%s %lld", k ? ", " : "", c->name,
                                  (long long)kl_col_int(c, row));
    }
}

/* Removes the rows whose keep[] is 0, keeping order and the line map. */
static int kl_load_compact(kl_table *t, const uint8_t *keep, kl_error *err)
{
    size_t kept = 0;
    uint64_t *lines = kl_malloc(t->nrows * sizeof *lines);

    if (!lines)
        return kl_error_oom(err, "dropping duplicate rows");
    for (size_t r = 0; r < t->nrows; r++)
        if (keep[r])
            lines[kept++] = kl_table_row_line(t, r);
    t->nline_marks = 0;
    for (size_t r = 0; r < kept; r++)
        if (kl_table_note_line(t, r, lines[r], err) != KL_OK) {
            kl_free(lines);
            return err->status;
        }
    kl_free(lines);
    for (size_t c = 0; c < t->ncols; c++) {
        kl_col *col = t->cols[c];
        size_t width = kl_col_cell_size(col);
        size_t o = 0;
        col->nmissing = 0;
        for (size_t r = 0; r < t->nrows; r++) {
            int miss;
            if (!keep[r])
                continue;
            miss = kl_col_is_missing(col, r);
            memmove((char *)col->data + o * width, (char *)col->data + r * width, width);
            if (col->missing) {
                uint64_t bit = (uint64_t)1 << (o & 63);
                col->missing[o >> 6] = miss ? col->missing[o >> 6] | bit : col->missing[o >> 6] & ~bit;
                col->nmissing += (size_t)miss;
            }
            o++;
        }
        col->n = o;
    }
    t->nrows = kept;
    return KL_OK;
}

/* The first row before `row` with the same key (only for messages). */
static size_t kl_keyset_first(const kl_keyset *ks, size_t row)
{
    for (size_t r = 0; r < row; r++)
        if (kl_keyset_equal(ks, r, row))
            return r;
    return row;
}

/* Handles duplicate `r` found by either method: fail, or mark it dropped. */
static int kl_load_duplicate(kl_loader *ld, const kl_keyset *ks, size_t r, size_t other,
                             uint8_t **keep, kl_error *err)
{
    kl_table *t = ld->table;
    char key[256];

    kl_load_pool_lock(ld, 0);
    kl_keyset_describe(ks, t, r, key, sizeof key);
    kl_load_pool_unlock(ld);
    kl_error_set(err, KL_ERR_DATA, "%s:%llu: duplicate row for %s (first at line %llu)",
                 kl_csv_name(ld->csv), (unsigned long long)kl_table_row_line(t, r), key,
                 (unsigned long long)kl_table_row_line(t, other));
    if (!ld->opts || !ld->opts->skip_bad_rows)
        return KL_ERR_DATA;
    if (!*keep) {
        if (!(*keep = kl_malloc(t->nrows)))
            return kl_error_oom(err, "checking for duplicate rows");
        memset(*keep, 1, t->nrows);
    }
    if (ld->rep) {
        ld->rep->duplicate_rows++;
        if (ld->rep->nexamples < KL_LOAD_MAX_EXAMPLES)
            memcpy(ld->rep->examples[ld->rep->nexamples++], err->msg, sizeof err->msg);
    }
    (*keep)[r] = 0;
    kl_error_clear(err);
    return KL_OK;
}

/*
 * The common key (year, text id) over a span of at most 64 years: one bit
 * per year and id, in an array indexed by the id's code.  Codes are given
 * in order of first appearance, so a panel's later years walk the array
 * nearly in order -- much cheaper than hashing every row.  Returns 0 when
 * the key does not have that shape (then the hash method runs).
 */
static int kl_load_unique_by_bits(kl_loader *ld, const kl_keyset *ks, uint8_t **keep, int *rc,
                                  kl_error *err)
{
    const kl_table *t = ld->table;
    const kl_col *year = ks->cols[0], *id = ks->cols[1];
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    uint64_t *bits;
    uint32_t ncodes;

    if (ks->ncols != 2 || year->type != KL_TYPE_INT || id->type != KL_TYPE_TEXT)
        return 0;
    for (size_t r = 0; r < t->nrows; r++) {
        int64_t y = kl_col_int(year, r);
        lo = y < lo ? y : lo;
        hi = y > hi ? y : hi;
    }
    if (hi - lo >= 64)
        return 0;
    kl_load_pool_lock(ld, 0);
    ncodes = kl_strpool_count(t->pool);
    kl_load_pool_unlock(ld);
    if (!(bits = kl_calloc(ncodes, sizeof *bits))) {
        *rc = kl_error_oom(err, "checking for duplicate rows");
        return 1;
    }
    *rc = KL_OK;
    for (size_t r = 0; r < t->nrows && *rc == KL_OK; r++) {
        uint64_t bit = (uint64_t)1 << (kl_col_int(year, r) - lo);
        uint32_t code = kl_col_code(id, r);
        if (bits[code] & bit)
            *rc = kl_load_duplicate(ld, ks, r, kl_keyset_first(ks, r), keep, err);
        bits[code] |= bit;
    }
    kl_free(bits);
    return 1;
}

/* Checks the schema's unique key; duplicates fail, or are dropped and
 * counted when skipping bad rows. */
static int kl_load_check_unique(kl_loader *ld, kl_error *err)
{
    kl_table *t = ld->table;
    kl_keyset ks = {.ncols = 0};
    uint8_t *keep = NULL;
    size_t cap = 16;
    int rc = KL_OK;

    if (!ld->schema->unique || t->nrows == 0)
        return KL_OK;
    for (const char *const *u = ld->schema->unique; *u; u++) {
        ks.cols[ks.ncols] = kl_table_col(t, *u);
        if (!ks.cols[ks.ncols])
            return KL_OK; /* not loaded: nothing to check against */
        ks.ncols++;
    }
    if (kl_load_unique_by_bits(ld, &ks, &keep, &rc, err))
        goto done;
    while (cap < t->nrows * 2)
        cap <<= 1;
    ks.mask = cap - 1;
    ks.slots = kl_calloc(cap, sizeof *ks.slots);
    if (!ks.slots)
        return kl_error_oom(err, "checking for duplicate rows");
    for (size_t r = 0; r < t->nrows && rc == KL_OK; r++) {
        size_t i = kl_keyset_hash(&ks, r) & ks.mask;
        for (;; i = (i + 1) & ks.mask) {
            if (ks.slots[i] == 0) {
                ks.slots[i] = (uint32_t)r + 1;
                break;
            }
            if (kl_keyset_equal(&ks, ks.slots[i] - 1, r)) {
                rc = kl_load_duplicate(ld, &ks, r, ks.slots[i] - 1, &keep, err);
                break;
            }
        }
    }
    kl_free(ks.slots);
done:
    if (rc == KL_OK && keep)
        rc = kl_load_compact(t, keep, err);
    kl_free(keep);
    return rc;
}

/* ---- the load ---------------------------------------------------------- */

static int kl_load_rows(kl_loader *ld, kl_error *err)
{
    const kl_field *f;
    kl_csv_batch b;
    size_t nf;
    int r = kl_csv_next_row(ld->csv, &f, &nf, err);

    if (r < 0)
        return err->status;
    if (r == 0)
        return kl_error_set(err, KL_ERR_DATA, "%s: empty file (expected a header line)",
                            kl_csv_name(ld->csv));
    if (kl_load_header(ld, f, nf, err) != KL_OK)
        return err->status;
    while ((r = kl_csv_next_batch(ld->csv, KL_LOAD_BATCH, &b, err)) > 0)
        if (kl_load_batch(ld, &b, err) != KL_OK)
            return err->status;
    return r < 0 ? err->status : KL_OK;
}

int kl_dataset_load(kl_table **out, const kl_schema *schema, const char *path, kl_strpool *pool,
                    const kl_load_opts *opts, kl_load_report *rep, kl_error *err)
{
    kl_loader ld;
    int rc;

    *out = NULL;
    memset(&ld, 0, sizeof ld);
    ld.schema = schema;
    ld.opts = opts;
    ld.rep = rep;
    ld.pool = pool;
    if (schema->ncols > KL_SCHEMA_MAX_COLS)
        return kl_error_set(err, KL_ERR_INTERNAL, "schema '%s' has too many columns", schema->name);
    if (kl_load_check_wanted(&ld, path, err) != KL_OK)
        return err->status;
    ld.table = kl_table_new(schema->name, pool);
    if (!ld.table)
        return kl_error_oom(err, "loading a dataset");
    rc = kl_csv_open(&ld.csv, path, opts ? &opts->csv : NULL, err);
    if (rc == KL_OK) {
        if (!(ld.table->source = kl_strdup(kl_csv_name(ld.csv))))
            rc = kl_error_oom(err, "loading a dataset");
        else {
            if (!opts || !opts->csv.source.no_thread)
                ld.prefaulter = kl_prefaulter_start();
            rc = kl_load_rows(&ld, err);
            kl_prefaulter_stop(ld.prefaulter); /* before the columns are freed or shrunk */
        }
    }
    for (size_t c = 0; c < ld.ncols; c++)
        kl_free(ld.cols[c].next_row);
    if (rc == KL_OK)
        rc = kl_load_check_unique(&ld, err);
    if (rc == KL_OK && rep) {
        rep->delimiter = kl_csv_delimiter(ld.csv);
        rep->gzip = kl_csv_is_gzip(ld.csv);
        rep->bytes = kl_csv_bytes(ld.csv);
    }
    kl_csv_close(ld.csv);
    if (rc != KL_OK) {
        kl_table_free(ld.table);
        return rc;
    }
    kl_table_shrink(ld.table);
    *out = ld.table;
    return KL_OK;
}

/* ---- what steps want ---------------------------------------------------- */

/* Adds the comma-separated columns of `list` to want[] without repeats. */
static int kl_dataset_want_list(const kl_schema *s, const char *list, const char *step,
                                const char **want, size_t *n, kl_error *err)
{
    const char *p = list;
    while (*p) {
        const char *end = strchr(p, ',');
        const kl_schema_col *found = NULL;
        size_t len;
        while (*p == ' ')
            p++;
        len = end ? (size_t)(end - p) : strlen(p);
        while (len && p[len - 1] == ' ')
            len--;
        for (size_t c = 0; c < s->ncols && !found; c++)
            if (strlen(s->cols[c].name) == len && strncmp(s->cols[c].name, p, len) == 0)
                found = &s->cols[c];
        if (!found && len)
            return kl_error_set(err, KL_ERR_USAGE,
                                "step '%s' reads %s.%.*s, which is not a column of dataset '%s'",
                                step, s->name, (int)len, p, s->name);
        if (found) {
            size_t i = 0;
            while (i < *n && strcmp(want[i], found->name) != 0)
                i++;
            if (i == *n && *n < KL_SCHEMA_MAX_COLS)
                want[(*n)++] = found->name;
        }
        if (!end)
            break;
        p = end + 1;
    }
    return KL_OK;
}

int kl_dataset_wanted(const kl_schema *s, const kl_plugin *const *steps, size_t nsteps,
                      const char *want[KL_SCHEMA_MAX_COLS + 1], int *readers, int *required,
                      kl_error *err)
{
    size_t n = 0;
    *readers = 0;
    *required = 0;
    for (size_t i = 0; i < nsteps; i++)
        for (const kl_input_def *in = steps[i]->inputs; in->table; in++) {
            if (strcmp(in->table, s->name) != 0)
                continue;
            (*readers)++;
            *required |= !(in->flags & KL_INPUT_OPTIONAL);
            if (kl_dataset_want_list(s, in->columns, steps[i]->name, want, &n, err) != KL_OK)
                return err->status;
        }
    want[n] = NULL;
    return KL_OK;
}

/* ---- finding files ----------------------------------------------------- */

int kl_dataset_find(const char *dir, const char *name, char **path_out, kl_error *err)
{
    static const char *const exts[] = {".csv", ".csv.gz", ".tsv", ".tsv.gz"};
    char found[2][4096];
    size_t nfound = 0;
    struct stat st;

    *path_out = NULL;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return kl_error_set(err, KL_ERR_NOINPUT, "%s: not a readable folder: %s", dir,
                            stat(dir, &st) != 0 ? strerror(errno) : "not a folder");
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
        char candidate[4096];
        if ((size_t)snprintf(candidate, sizeof candidate, "%s/%s%s", dir, name, exts[i]) >=
            sizeof candidate)
            return kl_error_set(err, KL_ERR_USAGE, "%s: path too long", dir);
        if (stat(candidate, &st) == 0) {
            if (nfound < 2)
                memcpy(found[nfound], candidate, sizeof candidate);
            nfound++;
        }
    }
    if (nfound == 0)
        return kl_error_set(err, KL_ERR_NOINPUT,
                            "%s: no '%s' dataset (looked for %s.csv, %s.tsv, each also with .gz)",
                            dir, name, name, name);
    if (nfound > 1)
        return kl_error_set(err, KL_ERR_USAGE,
                            "%s: more than one file for dataset '%s' (%s and %s): keep one", dir,
                            name, found[0], found[1]);
    *path_out = kl_strdup(found[0]);
    return *path_out ? KL_OK : kl_error_oom(err, "finding a dataset");
}
