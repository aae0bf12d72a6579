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
} kl_load_col;

/* One converted cell waiting for the rest of its row. */
typedef struct kl_staged {
    int missing;
    union {
        int64_t i;
        double n;
        uint32_t code;
    } v;
} kl_staged;

/*
 * Text cells the previous-cell cache cannot answer (firm ids: a million
 * distinct strings) are looked up a few rows late.  A row waits in a small
 * window with its text copied and the hash table slot already requested
 * (kl_strpool_prefetch); when it leaves the window the slot is in cache.
 * The cache miss of one lookup thus overlaps with parsing the next rows
 * instead of stalling each row in turn.
 */
#define KL_LOAD_WINDOW 16          /* rows in flight; a power of two */
#define KL_LOAD_MAX_PENDING 8      /* deferred text cells per row */

typedef struct kl_pending_text {
    uint32_t col;                  /* index into kl_loader.cols */
    uint32_t len;
    uint32_t hash;
    uint32_t field;                /* field index, for messages */
    uint64_t column;               /* byte column, for messages */
    char bytes[KL_LOAD_TEXT_CACHE];
} kl_pending_text;

typedef struct kl_window_row {
    uint64_t line;
    size_t npending;
    kl_pending_text pending[KL_LOAD_MAX_PENDING];
    kl_staged staged[KL_SCHEMA_MAX_COLS];
} kl_window_row;

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
    kl_window_row *window;       /* [KL_LOAD_WINDOW] rows waiting for text codes */
    size_t win_head, win_count;  /* oldest row, rows waiting */
    kl_window_row *cur;          /* the row being converted (a window slot) */
    size_t reserved;             /* rows the columns have room for */
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

/* Converts field f of wanted column lc into st; on a bad value returns
 * KL_ERR_DATA with the message in err (the caller decides fail or skip). */
static int kl_load_convert(kl_loader *ld, kl_load_col *lc, size_t fi, const kl_field *f,
                           kl_staged *st, kl_error *err)
{
    const kl_schema_col *def = lc->def;
    kl_num_status ns;
    char shown[128];

    st->missing = 0;
    switch (def->type) {
    case KL_TYPE_TEXT:
        if (f->len == 0) {
            st->missing = 1;
            st->v.code = KL_STR_MISSING;
            break;
        }
        if (f->len == lc->last_len && memcmp(f->ptr, lc->last, f->len) == 0) {
            st->v.code = lc->last_code;
            return KL_OK;
        }
        if (f->len < KL_LOAD_TEXT_CACHE && ld->cur->npending < KL_LOAD_MAX_PENDING) {
            kl_pending_text *pt = &ld->cur->pending[ld->cur->npending++];
            pt->col = (uint32_t)(lc - ld->cols);
            pt->len = f->len;
            pt->field = (uint32_t)fi;
            pt->column = kl_csv_field_column(ld->csv, fi);
            memcpy(pt->bytes, f->ptr, f->len);
            pt->hash = kl_strpool_prefetch(ld->pool, pt->bytes, pt->len);
            return KL_OK;
        }
        st->v.code = kl_strpool_intern(ld->pool, f->ptr, f->len, err);
        if (st->v.code != UINT32_MAX && f->len < KL_LOAD_TEXT_CACHE) {
            memcpy(lc->last, f->ptr, f->len);
            lc->last_len = f->len;
            lc->last_code = st->v.code;
        }
        if (st->v.code == UINT32_MAX) {
            if (err->status != KL_ERR_DATA)
                return err->status;
            return kl_error_prefix(err, "%s:%llu:%llu: column '%s'", kl_csv_name(ld->csv),
                                   (unsigned long long)kl_csv_row_line(ld->csv),
                                   (unsigned long long)kl_csv_field_column(ld->csv, fi),
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
            st->v.i = 0;
            break;
        }
        kl_load_quote_value(shown, sizeof shown, f->ptr, f->len);
        return kl_error_set(
            err, KL_ERR_DATA, "%s:%llu:%llu: column '%s': expected %s, got %s%s",
            kl_csv_name(ld->csv), (unsigned long long)kl_csv_row_line(ld->csv),
            (unsigned long long)kl_csv_field_column(ld->csv, fi), def->name,
            kl_load_type_word(def), shown,
            ns == KL_NUM_RANGE            ? " (out of range)"
            : ns == KL_NUM_DECIMAL_COMMA ? " (a decimal comma: write 1.5, not 1,5)"
                                          : "");
    }
    if (st->missing && (def->flags & KL_COL_NONEMPTY))
        return kl_error_set(err, KL_ERR_DATA, "%s:%llu:%llu: column '%s' must not be empty",
                            kl_csv_name(ld->csv), (unsigned long long)kl_csv_row_line(ld->csv),
                            (unsigned long long)kl_csv_field_column(ld->csv, fi), def->name);
    return KL_OK;
}

static int kl_load_reserve(kl_loader *ld, kl_error *err)
{
    for (size_t c = 0; c < ld->ncols; c++) {
        kl_col *col = ld->cols[c].col;
        size_t width = col->type == KL_TYPE_NUM ? sizeof(double)
                       : col->type == KL_TYPE_INT ? (size_t)col->int_width
                                                  : sizeof(uint32_t);
        if (kl_col_reserve(col, KL_LOAD_RESERVE_STEP, err) != KL_OK)
            return err->status;
        /* Map the pages the next rows will fill in one go (see kl_prefault). */
        kl_prefault((char *)col->data + col->n * width, KL_LOAD_RESERVE_STEP * width);
    }
    ld->reserved += KL_LOAD_RESERVE_STEP;
    return KL_OK;
}

static int kl_load_append(kl_loader *ld, const kl_window_row *wr, kl_error *err)
{
    size_t row = ld->table->nrows;
    if (row == ld->reserved && kl_load_reserve(ld, err) != KL_OK)
        return err->status;
    for (size_t c = 0; c < ld->ncols; c++) {
        kl_col *col = ld->cols[c].col;
        const kl_staged *st = &wr->staged[c];
        if (st->missing) {
            if (kl_col_push_missing(col, err) != KL_OK)
                return err->status;
            continue;
        }
        switch (col->type) {
        case KL_TYPE_INT:
            if (kl_col_push_int(col, st->v.i, err) != KL_OK)
                return err->status;
            break;
        case KL_TYPE_NUM:
            kl_col_push_num(col, st->v.n);
            break;
        case KL_TYPE_TEXT:
            kl_col_push_code(col, st->v.code);
            break;
        }
    }
    ld->table->nrows = row + 1;
    return kl_table_note_line(ld->table, row, wr->line, err);
}

/* The oldest waiting row leaves the window: its text cells get their codes
 * (the slots were prefetched when it came in) and it joins the table. */
static int kl_load_window_pop(kl_loader *ld, kl_error *err)
{
    kl_window_row *wr = &ld->window[ld->win_head];
    ld->win_head = (ld->win_head + 1) & (KL_LOAD_WINDOW - 1);
    ld->win_count--;
    for (size_t i = 0; i < wr->npending; i++) {
        kl_pending_text *pt = &wr->pending[i];
        kl_load_col *lc = &ld->cols[pt->col];
        uint32_t code = kl_strpool_intern_hashed(ld->pool, pt->bytes, pt->len, pt->hash, err);
        if (code == UINT32_MAX) {
            char msg[KL_ERROR_MSG_MAX];
            if (err->status != KL_ERR_DATA)
                return err->status;
            memcpy(msg, err->msg, sizeof msg);
            return kl_load_bad_row(ld, err, "%s:%llu:%llu: column '%s': %s", kl_csv_name(ld->csv),
                                   (unsigned long long)wr->line, (unsigned long long)pt->column,
                                   lc->def->name, msg);
        }
        wr->staged[pt->col].v.code = code;
        memcpy(lc->last, pt->bytes, pt->len);
        lc->last_len = pt->len;
        lc->last_code = code;
    }
    return kl_load_append(ld, wr, err);
}

/* Empties the window (at the end of the input). */
static int kl_load_window_drain(kl_loader *ld, kl_error *err)
{
    while (ld->win_count > 0)
        if (kl_load_window_pop(ld, err) != KL_OK)
            return err->status;
    return KL_OK;
}

/* Handles one data record; KL_OK also when the row was skipped. */
static int kl_load_row(kl_loader *ld, const kl_field *f, size_t nf, kl_error *err)
{
    if (ld->rep)
        ld->rep->rows_read++;
    if (nf != ld->nfields) {
        size_t at = nf > ld->nfields ? ld->nfields : (nf ? nf - 1 : 0);
        return kl_load_bad_row(ld, err, "%s:%llu:%llu: expected %zu cells (as in the header), found %zu",
                               kl_csv_name(ld->csv), (unsigned long long)kl_csv_row_line(ld->csv),
                               (unsigned long long)kl_csv_field_column(ld->csv, at), ld->nfields,
                               nf);
    }
    if (ld->win_count == KL_LOAD_WINDOW && kl_load_window_pop(ld, err) != KL_OK)
        return err->status;
    ld->cur = &ld->window[(ld->win_head + ld->win_count) & (KL_LOAD_WINDOW - 1)];
    ld->cur->npending = 0;
    ld->cur->line = kl_csv_row_line(ld->csv);
    for (size_t c = 0; c < ld->ncols; c++) {
        size_t fi = ld->cols[c].field;
        int rc = kl_load_convert(ld, &ld->cols[c], fi, &f[fi], &ld->cur->staged[c], err);
        if (rc == KL_ERR_DATA) {
            char msg[KL_ERROR_MSG_MAX];
            memcpy(msg, err->msg, sizeof msg);
            return kl_load_bad_row(ld, err, "%s", msg);
        }
        if (rc != KL_OK)
            return rc;
    }
    ld->win_count++; /* the row waits for its text codes */
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
        size_t width = col->type == KL_TYPE_INT ? (size_t)col->int_width
                       : col->type == KL_TYPE_NUM ? sizeof(double)
                                                  : sizeof(uint32_t);
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

    kl_keyset_describe(ks, t, r, key, sizeof key);
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

    if (ks->ncols != 2 || year->type != KL_TYPE_INT || id->type != KL_TYPE_TEXT)
        return 0;
    for (size_t r = 0; r < t->nrows; r++) {
        int64_t y = kl_col_int(year, r);
        lo = y < lo ? y : lo;
        hi = y > hi ? y : hi;
    }
    if (hi - lo >= 64)
        return 0;
    if (!(bits = kl_calloc(kl_strpool_count(t->pool), sizeof *bits))) {
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
    size_t nf;
    int r = kl_csv_next_row(ld->csv, &f, &nf, err);

    if (r < 0)
        return err->status;
    if (r == 0)
        return kl_error_set(err, KL_ERR_DATA, "%s: empty file (expected a header line)",
                            kl_csv_name(ld->csv));
    if (kl_load_header(ld, f, nf, err) != KL_OK)
        return err->status;
    if (!(ld->window = kl_malloc(KL_LOAD_WINDOW * sizeof *ld->window)))
        return kl_error_oom(err, "loading a dataset");
    while ((r = kl_csv_next_row(ld->csv, &f, &nf, err)) > 0)
        if (kl_load_row(ld, f, nf, err) != KL_OK)
            return err->status;
    if (r < 0)
        return err->status;
    return kl_load_window_drain(ld, err);
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
        else
            rc = kl_load_rows(&ld, err);
    }
    if (rc == KL_OK)
        rc = kl_load_check_unique(&ld, err);
    if (rc == KL_OK && rep) {
        rep->delimiter = kl_csv_delimiter(ld.csv);
        rep->gzip = kl_csv_is_gzip(ld.csv);
        rep->bytes = kl_csv_bytes(ld.csv);
    }
    kl_csv_close(ld.csv);
    kl_free(ld.window);
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
