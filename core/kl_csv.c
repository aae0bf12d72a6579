/*
 * kl_csv.c -- an RFC 4180 record reader over a kl_source (see kl_csv.h).
 *
 * The reader keeps decompressed bytes in one buffer with a NUL sentinel after
 * the last byte, so the scans need no bounds check: a NUL they stop at is
 * either the sentinel (the record goes on in the next read) or a NUL byte in
 * the data (an error).  Fields are NUL-terminated in place as they are found.
 * When a record runs past the end of the buffer, those NULs are put back
 * (kl_csv_unterminate), the partial record is moved to the front, more is
 * read, and the record is parsed again from its start: no parse state has
 * to survive a refill, which happens once per buffer, not once per record.
 * Doubled quotes are undone only once the record is complete.
 */
#include "kl_csv.h"

#include <stdio.h>
#include <string.h>

#include "kl_alloc.h"

#if defined(__SSE2__) && !defined(KL_CSV_NO_SIMD)
#include <emmintrin.h>
#define KL_CSV_SIMD 1
#endif

/* Zeroed bytes after the sentinel, for the 64-byte blocks scanned from a
 * position at or before it. */
#define KL_CSV_PAD ((size_t)64)
#define KL_CSV_DEFAULT_BUFFER ((size_t)1 << 20)
#define KL_CSV_MIN_BUFFER ((size_t)4) /* room for a BOM and one more byte */
/* The header is scanned for the delimiter up to its end or this far. */
#define KL_CSV_DETECT_LIMIT ((size_t)64 << 20)

/* Where the bytes that matter are: see kl_csv_mark(). */
typedef struct kl_csv_scan {
    const char *blk; /* the 64 bytes the mask describes, or NULL */
    uint64_t mask;
} kl_csv_scan;

enum { KL_CSV_LIVE = 0, KL_CSV_ENDED = 1, KL_CSV_FAILED = 2 };

/* Results of parsing one record. */
enum { KL_CSV_ERROR = -1, KL_CSV_PARTIAL = 0, KL_CSV_RECORD = 1 };

struct kl_csv {
    kl_source *src;
    char *buf;
    size_t cap;      /* usable bytes; then the sentinel, then KL_CSV_PAD bytes */
    size_t pos, end; /* the next record starts at buf + pos; data ends at buf + end */
    int eof;
    int pending_lf; /* the last line ended with CR: a LF right after is part of it */
    uint64_t line;  /* line number at buf + pos */
    uint64_t row_line;
    char delim;
    size_t max_field;
    kl_field *fields;
    uint64_t *cols;
    size_t nfields, fcap;
    int state;
    kl_error ferr; /* the error, repeated by every call once FAILED */
    /* Batches (kl_csv_next_batch): the current record's fields go to
     * fields[base...]; row_start and row_lines describe the records so far. */
    size_t base;
    size_t *row_start;
    uint64_t *row_lines;
    size_t bcap;
    kl_csv_scan scan;       /* kept from record to record until a refill */
    unsigned char cls[256]; /* 1 for the bytes the scan marks (without SSE2) */
};

/* ---- errors ------------------------------------------------------------------ */

static int kl_csv_fail_at(kl_csv *csv, uint64_t line, uint64_t col, const char *what)
{
    kl_error_set(&csv->ferr, KL_ERR_DATA, "%s:%llu:%llu: %s", kl_source_name(csv->src),
                 (unsigned long long)line, (unsigned long long)col, what);
    return KL_CSV_ERROR;
}

static int kl_csv_too_long(kl_csv *csv, uint64_t line, uint64_t col)
{
    char what[200];
    snprintf(what, sizeof what,
             "field is longer than the limit of %zu bytes (raise it with --max-field-size)",
             csv->max_field);
    return kl_csv_fail_at(csv, line, col, what);
}

static const char *kl_csv_delim_name(char d)
{
    return d == '\t' ? "tab" : d == ';' ? "';'" : "','";
}

static int kl_csv_after_quote(kl_csv *csv, uint64_t line, uint64_t col, unsigned char c)
{
    char what[200], shown[16];
    if (c >= 0x20 && c < 0x7f)
        snprintf(shown, sizeof shown, "'%c'", (char)c);
    else
        snprintf(shown, sizeof shown, "byte 0x%02x", c);
    snprintf(what, sizeof what,
             "unexpected %s after the closing quote of a field (expected the delimiter %s or "
             "the end of the line)",
             shown, kl_csv_delim_name(csv->delim));
    return kl_csv_fail_at(csv, line, col, what);
}

static int kl_csv_nul(kl_csv *csv, uint64_t line, uint64_t col)
{
    return kl_csv_fail_at(csv, line, col,
                          "NUL byte in the data (expected text; is this a binary file?)");
}

/* Line and column of the byte after the last one the source delivered:
 * where a truncated or corrupt stream stops making sense.  Lines count as
 * the parse counts them (CRLF, LF or a bare CR; inside quotes too).  (A BOM
 * is never counted: the source only fails after the first read, and by then
 * the BOM is behind pos.) */
static void kl_csv_end_position(const kl_csv *csv, uint64_t *line, uint64_t *col)
{
    const char *p = csv->buf + csv->pos, *end = csv->buf + csv->end, *ls = p;
    uint64_t l = csv->line;

    for (; p < end; p++) {
        if (*p == '\n' || (*p == '\r' && (p + 1 == end || p[1] != '\n'))) {
            l++;
            ls = p + 1;
        }
    }
    *line = l;
    *col = (uint64_t)(end - ls) + 1;
}

/* Turns the source's "NAME: what" into "NAME:LINE:COLUMN: what". */
static int kl_csv_source_error(kl_csv *csv)
{
    kl_error *e = &csv->ferr;
    const char *name = kl_source_name(csv->src);
    size_t n = strlen(name);

    if (e->status != KL_ERR_INTERNAL && strncmp(e->msg, name, n) == 0 && e->msg[n] == ':' &&
        e->msg[n + 1] == ' ') {
        char tail[KL_ERROR_MSG_MAX];
        uint64_t line, col;
        kl_csv_end_position(csv, &line, &col);
        snprintf(tail, sizeof tail, "%s", e->msg + n + 2);
        kl_error_set(e, e->status, "%s:%llu:%llu: %s", name, (unsigned long long)line,
                     (unsigned long long)col, tail);
    }
    return KL_CSV_ERROR;
}

/* ---- the buffer ---------------------------------------------------------------- */

/* Moves the unparsed tail to the front, grows the buffer if that tail is
 * more than half of it, and reads until the buffer is full or the input
 * ends.  Returns 0, or -1 with ferr set. */
static int kl_csv_refill(kl_csv *csv)
{
    size_t keep = csv->end - csv->pos;

    csv->scan.blk = NULL; /* the bytes are about to move */
    if (csv->pos) {
        memmove(csv->buf, csv->buf + csv->pos, keep);
        csv->pos = 0;
        csv->end = keep;
    }
    if (keep > csv->cap / 2) {
        size_t ncap = csv->cap * 2;
        char *nbuf = ncap > csv->cap && ncap < SIZE_MAX - KL_CSV_PAD - 1
                         ? kl_realloc(csv->buf, ncap + 1 + KL_CSV_PAD)
                         : NULL;
        if (!nbuf) {
            kl_error_oom(&csv->ferr, "growing the CSV buffer for a long record");
            return -1;
        }
        /* the new tail is read by the vector loads before it is filled */
        memset(nbuf + csv->cap + 1 + KL_CSV_PAD, 0, ncap - csv->cap);
        csv->buf = nbuf;
        csv->cap = ncap;
    }
    while (csv->end < csv->cap && !csv->eof) {
        ssize_t n = kl_source_read(csv->src, csv->buf + csv->end, csv->cap - csv->end, &csv->ferr);
        if (n > 0) {
            csv->end += (size_t)n;
        } else if (n == 0) {
            csv->eof = 1;
        } else if (csv->end > keep) {
            break; /* parse what came before the fault; the error comes back next read */
        } else {
            csv->buf[csv->end] = '\0';
            return kl_csv_source_error(csv);
        }
    }
    csv->buf[csv->end] = '\0';
    return 0;
}

static int kl_csv_grow_fields(kl_csv *csv)
{
    size_t n = csv->fcap * 2;
    kl_field *f = kl_reallocarray(csv->fields, n, sizeof *f);
    uint64_t *c;

    if (!f)
        goto oom;
    csv->fields = f;
    if (!(c = kl_reallocarray(csv->cols, n, sizeof *c)))
        goto oom;
    csv->cols = c;
    csv->fcap = n;
    return 0;
oom:
    kl_error_oom(&csv->ferr, "reading a record with many fields");
    return -1;
}

/* ---- parsing ------------------------------------------------------------------------ */

/*
 * Finding the bytes that matter.  A 64-bit mask marks, for 64 bytes from
 * scan->blk, each delimiter, '"', LF, CR and NUL not yet consumed; the parse
 * goes from one mark to the next with count-trailing-zeros and clears each
 * mark it consumes.  So the step from one field to the next is a couple of
 * register operations with no load on that path (a search per field would
 * make every field wait for the previous one's load; this is ~1.4x faster
 * than a byte loop over a class table).  With SSE2 (every x86-64) a mask
 * takes four 16-byte loads; elsewhere a table lookup per byte.  A block may
 * reach 63 bytes past the sentinel, hence KL_CSV_PAD bytes of padding; a
 * marked byte always exists at or before the sentinel.
 */

#ifdef KL_CSV_SIMD
static inline uint64_t kl_csv_mask16(const char *p, __m128i d)
{
    const __m128i q = _mm_set1_epi8('"'), lf = _mm_set1_epi8('\n');
    const __m128i cr = _mm_set1_epi8('\r'), zero = _mm_setzero_si128();
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, d), _mm_cmpeq_epi8(x, q)),
                             _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, lf), _mm_cmpeq_epi8(x, cr)),
                                          _mm_cmpeq_epi8(x, zero)));
    return (uint64_t)(unsigned)_mm_movemask_epi8(m);
}

static inline uint64_t kl_csv_mask(const kl_csv *csv, const char *p)
{
    __m128i d = _mm_set1_epi8(csv->delim);
    return kl_csv_mask16(p, d) | kl_csv_mask16(p + 16, d) << 16 | kl_csv_mask16(p + 32, d) << 32 |
           kl_csv_mask16(p + 48, d) << 48;
}
#else
static inline uint64_t kl_csv_mask(const kl_csv *csv, const char *p)
{
    uint64_t m = 0;
    for (unsigned i = 0; i < 64; i++)
        m |= (uint64_t)csv->cls[(unsigned char)p[i]] << i;
    return m;
}
#endif

/* Drops the marks before p, so that the next mark is the first at or after p. */
static inline void kl_csv_seek(const kl_csv *csv, kl_csv_scan *sc, const char *p)
{
    size_t off;

    if (sc->blk && (off = (size_t)(p - sc->blk)) < 64) {
        sc->mask &= ~(uint64_t)0 << off;
    } else {
        sc->blk = p;
        sc->mask = kl_csv_mask(csv, p);
    }
}

/* The next mark (not consumed). */
static inline char *kl_csv_mark(const kl_csv *csv, kl_csv_scan *sc)
{
    while (!sc->mask) {
        sc->blk += 64;
        sc->mask = kl_csv_mask(csv, sc->blk);
    }
    return (char *)sc->blk + __builtin_ctzll(sc->mask);
}

/* Consumes the mark kl_csv_mark() returned. */
static inline void kl_csv_consume(kl_csv_scan *sc)
{
    sc->mask &= sc->mask - 1;
}

/*
 * Scans the quoted field whose opening quote is at *pp (the next mark), up
 * to its closing quote.  On KL_CSV_RECORD *pp is just past the closing quote
 * (and the scan there), *lenp is the length once doubled quotes are undone,
 * and *quotedp is 1 (the closing quote is now the field's NUL) or 2 (doubled
 * quotes still to undo; nothing written).  Nothing is written on any other
 * result.
 */
static int kl_csv_quoted(kl_csv *csv, kl_csv_scan *sc, char **pp, char **lsp, uint64_t *linep,
                         size_t *lenp, uint32_t *quotedp)
{
    char *const end = csv->buf + csv->end;
    char *f = *pp, *q, *ls = *lsp;
    uint64_t line = *linep, fline = line, fcol = (uint64_t)(f - ls) + 1;
    size_t ndq = 0, len;

    kl_csv_consume(sc); /* the opening quote */
    for (;;) {
        q = kl_csv_mark(csv, sc);
        if (*q == '"') {
            if (q + 1 == end && !csv->eof)
                goto partial; /* a doubled quote may straddle the refill */
            if (q[1] != '"')
                break;
            ndq++;
            kl_csv_seek(csv, sc, q + 2);
        } else if (*q == '\n' || *q == '\r') {
            if (*q == '\r') {
                if (q + 1 == end && !csv->eof)
                    goto partial;
                if (q[1] == '\n')
                    q++;
            }
            line++;
            ls = q + 1;
            kl_csv_seek(csv, sc, ls);
        } else if (*q != '\0') {
            kl_csv_consume(sc); /* a delimiter inside quotes */
        } else if (q != end) {
            return kl_csv_nul(csv, line, (uint64_t)(q - ls) + 1);
        } else if (!csv->eof) {
            goto partial;
        } else {
            return kl_csv_fail_at(csv, fline, fcol,
                                  "quoted field is never closed (expected a closing '\"' before "
                                  "the end of the input)");
        }
    }
    kl_csv_consume(sc); /* the closing quote */
    len = (size_t)(q - f - 1) - ndq;
    if (len > csv->max_field)
        return kl_csv_too_long(csv, fline, fcol);
    if (!ndq)
        *q = '\0';
    *pp = q + 1;
    *lsp = ls;
    *linep = line;
    *lenp = len;
    *quotedp = ndq ? 2 : 1;
    return KL_CSV_RECORD;
partial:
    if ((size_t)(q - f - 1) - ndq > csv->max_field)
        return kl_csv_too_long(csv, fline, fcol);
    return KL_CSV_PARTIAL;
}

/* Undoes doubled quotes in place (each "" in the raw field becomes ") and
 * terminates the field. */
static void kl_csv_unquote(kl_field *fl)
{
    char *w = (char *)fl->ptr;
    const char *r = fl->ptr, *stop = fl->ptr + fl->len;

    while (w < stop) {
        char c = *r++;
        if (c == '"')
            r++;
        *w++ = c;
    }
    *w = '\0';
    fl->quoted = 1;
}

/*
 * The record turned out to be partial: put back the bytes the parse
 * replaced by NULs (the delimiters between fields, and the closing quotes),
 * so that it can be parsed again from the start after the refill.  `cur` is
 * the start of a field not yet in fields[], or NULL.
 */
static void kl_csv_unterminate(kl_csv *csv, size_t nf, char *cur)
{
    kl_field *fields = csv->fields + csv->base;

    for (size_t i = 0; i < nf; i++) {
        char *start = (char *)fields[i].ptr - (fields[i].quoted ? 1 : 0);
        if (i > 0)
            start[-1] = csv->delim;
        if (fields[i].quoted == 1)
            ((char *)fields[i].ptr)[fields[i].len] = '"';
    }
    if (cur && nf > 0)
        cur[-1] = csv->delim;
}

/* The record is complete: undo doubled quotes if any, and move on. */
static inline void kl_csv_finish(kl_csv *csv, size_t nf, int has_dq, char *p, uint64_t line,
                                 int pending_lf)
{
    if (has_dq)
        for (size_t i = csv->base; i < csv->base + nf; i++)
            if (csv->fields[i].quoted == 2)
                kl_csv_unquote(&csv->fields[i]);
    csv->row_line = csv->line;
    csv->nfields = nf;
    csv->pos = (size_t)(p - csv->buf);
    csv->line = line;
    csv->pending_lf = pending_lf;
}

/*
 * Parses the record at buf + pos (which is not a line end).  Fields are
 * NUL-terminated as they are found (over their delimiter or closing quote);
 * a partial record is restored by kl_csv_unterminate().
 */
static inline int kl_csv_parse(kl_csv *csv)
{
    const char delim = csv->delim;
    const size_t max_field = csv->max_field;
    char *const end = csv->buf + csv->end;
    char *p = csv->buf + csv->pos, *ls = p;
    kl_field *fields = csv->fields + csv->base;
    uint64_t *cols = csv->cols + csv->base;
    uint64_t line = csv->line;
    size_t nf = 0, fcap = csv->fcap - csv->base;
    kl_csv_scan sc = csv->scan; /* NULs written since are marked bytes too */
    int has_dq = 0, r = KL_CSV_RECORD;

    kl_csv_seek(csv, &sc, p);

    for (;;) {
        char *f = p;
        size_t len = 0;
        uint32_t quoted = 0;
        unsigned char c;

        if (nf == fcap) {
            if (kl_csv_grow_fields(csv) != 0)
                return KL_CSV_ERROR;
            fields = csv->fields + csv->base;
            cols = csv->cols + csv->base;
            fcap = csv->fcap - csv->base;
        }
        cols[nf] = (uint64_t)(f - ls) + 1;
        /* The scan is at f: the next mark ends the field, unless it is a
         * quote: at f it opens a quoted field, later it is just text. */
        p = kl_csv_mark(csv, &sc);
        if (p != f || *p != '"') {
            while (*p == '"') {
                kl_csv_consume(&sc);
                p = kl_csv_mark(csv, &sc);
            }
            kl_csv_consume(&sc);
            len = (size_t)(p - f);
            if (len > max_field)
                return kl_csv_too_long(csv, line, cols[nf]);
            fields[nf].ptr = f;
        } else {
            r = kl_csv_quoted(csv, &sc, &p, &ls, &line, &len, &quoted);
            if (r != KL_CSV_RECORD) {
                if (r == KL_CSV_PARTIAL)
                    kl_csv_unterminate(csv, nf, f);
                break;
            }
            has_dq |= quoted == 2;
            fields[nf].ptr = f + 1;
            /* what follows the closing quote must be a mark (or an error) */
            if (kl_csv_mark(csv, &sc) == p)
                kl_csv_consume(&sc);
        }
        fields[nf].len = (uint32_t)len;
        fields[nf].quoted = quoted;
        nf++;
        c = (unsigned char)*p;
        if (c == (unsigned char)delim) {
            *p++ = '\0';
        } else if (c == '\n' || c == '\r') {
            *p = '\0';
            kl_csv_finish(csv, nf, has_dq, p + 1, line + 1, c == '\r');
            break;
        } else if (c != '\0') {
            return kl_csv_after_quote(csv, line, (uint64_t)(p - ls) + 1, c);
        } else if (p != end) {
            return kl_csv_nul(csv, line, (uint64_t)(p - ls) + 1);
        } else if (!csv->eof) {
            kl_csv_unterminate(csv, nf, NULL);
            r = KL_CSV_PARTIAL;
            break;
        } else {
            kl_csv_finish(csv, nf, has_dq, p, line, 0); /* last line without a line end */
            break;
        }
    }
    csv->scan = sc;
    return r;
}

/* Skips line ends (blank lines) before the next record.  Returns 1 when a
 * record starts at buf + pos, 0 at the end of the input, -1 on error, and
 * KL_CSV_WAIT when the buffer is used up but may_refill is 0 (records
 * handed out in a batch still point into it). */
#define KL_CSV_WAIT 2
static inline int kl_csv_skip_blank(kl_csv *csv, int may_refill)
{
    for (;;) {
        char *p = csv->buf + csv->pos, *end = csv->buf + csv->end;
        while (p < end && (*p == '\n' || *p == '\r')) {
            if (*p == '\r') {
                csv->line++;
                csv->pending_lf = 1;
            } else if (csv->pending_lf) {
                csv->pending_lf = 0; /* the LF of a CRLF */
            } else {
                csv->line++;
            }
            p++;
        }
        csv->pos = (size_t)(p - csv->buf);
        if (p < end) {
            csv->pending_lf = 0;
            return 1;
        }
        if (csv->eof)
            return 0;
        if (!may_refill)
            return KL_CSV_WAIT;
        if (kl_csv_refill(csv) != 0)
            return -1;
    }
}

/* ---- opening ------------------------------------------------------------------------ */

/* Counts , ; and tab outside quotes in the header line: the most frequent
 * wins; a tie or none of them means comma. */
static int kl_csv_detect(kl_csv *csv, char *out)
{
    size_t n[3];

    for (;;) {
        int inq = 0, done = 0;
        n[0] = n[1] = n[2] = 0;
        for (const char *p = csv->buf + csv->pos, *e = csv->buf + csv->end; p < e; p++) {
            if (*p == '"')
                inq = !inq;
            else if (inq)
                continue;
            else if (*p == '\n' || *p == '\r') {
                done = 1;
                break;
            } else
                n[0] += *p == ',', n[1] += *p == ';', n[2] += *p == '\t';
        }
        if (done || csv->eof || csv->end - csv->pos >= KL_CSV_DETECT_LIMIT)
            break;
        if (kl_csv_refill(csv) != 0)
            return -1;
    }
    if (n[1] > n[0] && n[1] > n[2])
        *out = ';';
    else if (n[2] > n[0] && n[2] > n[1])
        *out = '\t';
    else
        *out = ',';
    return 0;
}

static void kl_csv_tables(kl_csv *csv)
{
    memset(csv->cls, 0, sizeof csv->cls);
    csv->cls[0] = csv->cls['\n'] = csv->cls['\r'] = csv->cls['"'] = 1;
    csv->cls[(unsigned char)csv->delim] = 1;
}

/* Everything after the source is open: first read, BOM, blank lines,
 * delimiter. */
static int kl_csv_start(kl_csv *csv, char delim)
{
    int r;

    if (kl_csv_refill(csv) != 0)
        return -1;
    if (csv->end >= 3 && memcmp(csv->buf, "\xEF\xBB\xBF", 3) == 0)
        csv->pos = 3;
    r = kl_csv_skip_blank(csv, 1);
    if (r < 0)
        return -1;
    if (r == 0) {
        kl_error_set(&csv->ferr, KL_ERR_DATA, "%s: empty file (expected a header line)",
                     kl_source_name(csv->src));
        return -1;
    }
    if (!delim && kl_csv_detect(csv, &delim) != 0)
        return -1;
    csv->delim = delim;
    kl_csv_tables(csv);
    return 0;
}

int kl_csv_open(kl_csv **out, const char *path, const kl_csv_opts *opts, kl_error *err)
{
    char delim = opts ? opts->delimiter : 0;
    kl_csv *csv;
    int rc;

    *out = NULL;
    if (delim != 0 && delim != ',' && delim != ';' && delim != '\t')
        return kl_error_set(err, KL_ERR_USAGE,
                            "invalid CSV delimiter 0x%02x (expected ',', ';' or tab)",
                            (unsigned char)delim);
    if (!(csv = kl_calloc(1, sizeof *csv)))
        return kl_error_oom(err, "opening a CSV input");
    csv->line = 1;
    csv->max_field = opts && opts->max_field ? opts->max_field : KL_CSV_DEFAULT_MAX_FIELD;
    if (csv->max_field > UINT32_MAX - 1)
        csv->max_field = UINT32_MAX - 1; /* kl_field.len is 32 bits */
    csv->cap = opts && opts->buffer_size ? opts->buffer_size : KL_CSV_DEFAULT_BUFFER;
    if (csv->cap < KL_CSV_MIN_BUFFER)
        csv->cap = KL_CSV_MIN_BUFFER;
    csv->fcap = 16;
    csv->buf = csv->cap < SIZE_MAX - KL_CSV_PAD - 1 ? kl_calloc(1, csv->cap + 1 + KL_CSV_PAD) : NULL;
    csv->fields = kl_calloc(csv->fcap, sizeof *csv->fields);
    csv->cols = kl_calloc(csv->fcap, sizeof *csv->cols);
    if (!csv->buf || !csv->fields || !csv->cols) {
        kl_csv_close(csv);
        return kl_error_oom(err, "opening a CSV input");
    }
    rc = kl_source_open(&csv->src, path, opts ? &opts->source : NULL, err);
    if (rc != KL_OK) {
        kl_csv_close(csv);
        return rc;
    }
    if (kl_csv_start(csv, delim) != 0) {
        rc = kl_error_set(err, csv->ferr.status, "%s", csv->ferr.msg);
        kl_csv_close(csv);
        return rc;
    }
    *out = csv;
    return KL_OK;
}

/* ---- reading ------------------------------------------------------------------------- */

static int kl_csv_finished(kl_csv *csv, kl_error *err)
{
    if (csv->state == KL_CSV_ENDED)
        return 0;
    if (err)
        *err = csv->ferr;
    return -1;
}

int kl_csv_next_row(kl_csv *csv, const kl_field **fields, size_t *nfields, kl_error *err)
{
    int r;

    if (csv->state != KL_CSV_LIVE)
        return kl_csv_finished(csv, err);
    for (;;) {
        r = kl_csv_skip_blank(csv, 1);
        if (r <= 0)
            break;
        r = kl_csv_parse(csv);
        if (r != KL_CSV_PARTIAL)
            break;
        if (kl_csv_refill(csv) != 0) {
            r = KL_CSV_ERROR;
            break;
        }
    }
    if (r == KL_CSV_RECORD) {
        *fields = csv->fields;
        *nfields = csv->nfields;
        return 1;
    }
    csv->nfields = 0;
    csv->state = r == 0 ? KL_CSV_ENDED : KL_CSV_FAILED;
    return kl_csv_finished(csv, err);
}

uint64_t kl_csv_row_line(const kl_csv *csv)
{
    return csv->row_line;
}

uint64_t kl_csv_field_column(const kl_csv *csv, size_t i)
{
    return i < csv->nfields ? csv->cols[i] : 0;
}

/* The line field i of a record starting on `line` starts on.  Only quoted
 * fields hold line breaks, and they keep them as they were (CRLF, LF or
 * CR), so the parse's count can be redone here on demand instead of costing
 * every field a store. */
static uint64_t kl_csv_line_of(const kl_field *fields, uint64_t line, size_t i)
{
    for (size_t k = 0; k < i; k++) {
        const kl_field *f = &fields[k];
        for (uint32_t j = 0; f->quoted && j < f->len; j++)
            line += f->ptr[j] == '\r' || (f->ptr[j] == '\n' && (j == 0 || f->ptr[j - 1] != '\r'));
    }
    return line;
}

uint64_t kl_csv_field_line(const kl_csv *csv, size_t i)
{
    return i < csv->nfields ? kl_csv_line_of(csv->fields, csv->row_line, i) : 0;
}

/* ---- batches ------------------------------------------------------------------------- */

static int kl_csv_batch_room(kl_csv *csv, size_t rows)
{
    size_t *start;
    uint64_t *lines;

    if (rows + 1 <= csv->bcap)
        return 0;
    if (!(start = kl_reallocarray(csv->row_start, rows + 1, sizeof *start)))
        return -1;
    csv->row_start = start;
    if (!(lines = kl_reallocarray(csv->row_lines, rows + 1, sizeof *lines)))
        return -1;
    csv->row_lines = lines;
    csv->bcap = rows + 1;
    return 0;
}

int kl_csv_next_batch(kl_csv *csv, size_t max_rows, kl_csv_batch *b, kl_error *err)
{
    size_t n = 0, total;
    int r = KL_CSV_RECORD;

    memset(b, 0, sizeof *b);
    if (csv->state != KL_CSV_LIVE)
        return kl_csv_finished(csv, err);
    if (max_rows == 0)
        max_rows = 1;
    if (kl_csv_batch_room(csv, max_rows) != 0) {
        kl_error_oom(&csv->ferr, "reading a batch of records");
        r = KL_CSV_ERROR;
        max_rows = 0;
    }
    csv->base = 0;
    while (n < max_rows) {
        /* Refilling moves the buffer: only before the first record. */
        r = kl_csv_skip_blank(csv, n == 0);
        if (r == KL_CSV_WAIT) {
            r = KL_CSV_RECORD;
            break;
        }
        if (r <= 0)
            break;
        r = kl_csv_parse(csv);
        if (r == KL_CSV_PARTIAL) {
            if (n > 0) {
                /* Parsed again after the refill, next call.  The scan's
                 * mask lost the marks this attempt consumed: drop it, as a
                 * refill would. */
                csv->scan.blk = NULL;
                r = KL_CSV_RECORD;
                break;
            }
            if (kl_csv_refill(csv) != 0) {
                r = KL_CSV_ERROR;
                break;
            }
            continue;
        }
        if (r != KL_CSV_RECORD)
            break;
        csv->row_start[n] = csv->base;
        csv->row_lines[n] = csv->row_line;
        csv->base += csv->nfields;
        n++;
    }
    total = csv->base;
    csv->base = 0;
    csv->nfields = 0; /* the single-record accessors describe no record now */
    if (r != KL_CSV_RECORD) /* the end or an error: reported after these rows */
        csv->state = r == 0 ? KL_CSV_ENDED : KL_CSV_FAILED;
    if (n == 0)
        return kl_csv_finished(csv, err);
    csv->row_start[n] = total;
    b->nrows = n;
    b->fields = csv->fields;
    b->start = csv->row_start;
    b->lines = csv->row_lines;
    b->cols = csv->cols;
    return 1;
}

uint64_t kl_csv_batch_column(const kl_csv_batch *b, size_t row, size_t i)
{
    return i < kl_csv_batch_nfields(b, row) ? b->cols[b->start[row] + i] : 0;
}

uint64_t kl_csv_batch_field_line(const kl_csv_batch *b, size_t row, size_t i)
{
    if (i >= kl_csv_batch_nfields(b, row))
        return 0;
    return kl_csv_line_of(b->fields + b->start[row], b->lines[row], i);
}

int kl_csv_is_gzip(const kl_csv *csv)
{
    return kl_source_is_gzip(csv->src);
}

char kl_csv_delimiter(const kl_csv *csv)
{
    return csv->delim;
}

const char *kl_csv_name(const kl_csv *csv)
{
    return kl_source_name(csv->src);
}

uint64_t kl_csv_bytes(const kl_csv *csv)
{
    return kl_source_bytes_out(csv->src) - (csv->end - csv->pos);
}

void kl_csv_close(kl_csv *csv)
{
    if (!csv)
        return;
    kl_source_close(csv->src);
    kl_free(csv->buf);
    kl_free(csv->fields);
    kl_free(csv->cols);
    kl_free(csv->row_start);
    kl_free(csv->row_lines);
    kl_free(csv);
}
