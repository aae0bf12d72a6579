/*
 * kl_csv.h -- an RFC 4180 record reader over a kl_source.
 *
 * Accepts comma, semicolon or tab (detected from the header line, or forced),
 * quoted fields with doubled quotes and embedded delimiters and line breaks
 * (also across buffer and gzip member boundaries), CRLF, LF and bare CR line
 * ends, a UTF-8 BOM at the very start, and a missing or blank last line.
 * Rejects, with file:line:column: an unterminated quote (reported at the line
 * where the field started), a character after a closing quote, a NUL byte, a
 * field larger than the cap.  Blank lines are skipped.  The reader does not
 * know about column counts or types; the dataset loader does.
 */
#ifndef KL_CSV_H
#define KL_CSV_H

#include <stddef.h>
#include <stdint.h>

#include "kl_error.h"
#include "kl_source.h"

/* Default cap on one field: 1 MiB. */
#define KL_CSV_DEFAULT_MAX_FIELD ((size_t)1 << 20)

typedef struct kl_csv_opts {
    char delimiter;     /* ',', ';', '\t', or 0 to detect from the header */
    size_t max_field;   /* cap on one field's bytes; 0 = the default */
    kl_source_opts source;
    /* Added: initial size of the reader's buffer in bytes; 0 = the default
     * (1 MiB).  It grows when one record does not fit.  Tests use tiny
     * values to put buffer boundaries everywhere. */
    size_t buffer_size;
} kl_csv_opts;

/*
 * One field of the current record: ptr points into the reader's buffer, is
 * NUL-terminated at ptr[len] and stays valid until the next call to
 * kl_csv_next_row() or kl_csv_close().  Quotes are already removed and
 * doubled quotes undone.  `quoted` says whether the field was quoted (a
 * quoted empty field "" is still empty, i.e. missing).
 */
typedef struct kl_field {
    const char *ptr;
    uint32_t len;
    uint32_t quoted;
} kl_field;

typedef struct kl_csv kl_csv;

/* Opens path ("-" = stdin) and reads enough to detect the delimiter.
 * An empty input (no bytes, or only a BOM / blank lines) is KL_ERR_DATA
 * "empty file".  opts may be NULL.  Release with kl_csv_close(). */
int kl_csv_open(kl_csv **out, const char *path, const kl_csv_opts *opts, kl_error *err);

/*
 * Reads the next record (the first call returns the header).  On 1, *fields
 * and *nfields describe it (owned by the reader, valid until the next call);
 * 0 means end of input; -1 means an error, with err naming file:line:column.
 */
int kl_csv_next_row(kl_csv *csv, const kl_field **fields, size_t *nfields, kl_error *err);

/*
 * Records in batches: the loader's fast path, which converts a column at a
 * time over many rows instead of a row at a time.  Row r's fields are
 * fields[start[r]] .. fields[start[r + 1] - 1] (rows may differ in length:
 * the reader does not check shapes), it started on line lines[r], and
 * cols[start[r] + i] is the 1-based column of its field i.  Everything points
 * into the reader and stays valid until the next call to kl_csv_next_batch(),
 * kl_csv_next_row() or kl_csv_close().
 */
typedef struct kl_csv_batch {
    size_t nrows;
    const kl_field *fields;
    const size_t *start;  /* nrows + 1 offsets into fields and cols */
    const uint64_t *lines;
    const uint64_t *cols;
} kl_csv_batch;

/*
 * Reads up to max_rows records (fewer at the end of the reader's buffer or
 * of the input).  Returns 1 with *b filled, 0 at the end of the input, -1 on
 * error (err set as for kl_csv_next_row).  An error or the end found after
 * some records is returned by the next call, so every record before a bad
 * one is delivered first.  Mixing with kl_csv_next_row() is allowed.
 */
int kl_csv_next_batch(kl_csv *csv, size_t max_rows, kl_csv_batch *b, kl_error *err);

static inline size_t kl_csv_batch_nfields(const kl_csv_batch *b, size_t row)
{
    return b->start[row + 1] - b->start[row];
}

static inline const kl_field *kl_csv_batch_field(const kl_csv_batch *b, size_t row, size_t i)
{
    return &b->fields[b->start[row] + i];
}

/* Column and line of field i of row `row`, as kl_csv_field_column() and
 * kl_csv_field_line() for a single record; 0 when i is out of range. */
uint64_t kl_csv_batch_column(const kl_csv_batch *b, size_t row, size_t i);
uint64_t kl_csv_batch_field_line(const kl_csv_batch *b, size_t row, size_t i);

/* 1-based line on which the record last returned started.  Errors from the
 * source (truncated gzip, read error...) come back as "NAME:LINE: ..." with
 * the line the reader had reached. */
uint64_t kl_csv_row_line(const kl_csv *csv);
/* 1-based character column (in bytes) where field i of the last record started
 * (the opening quote for a quoted field; a UTF-8 BOM is not counted; 0 when
 * i is out of range). */
uint64_t kl_csv_field_column(const kl_csv *csv, size_t i);
/* Added: 1-based line on which field i of the last record started; differs
 * from kl_csv_row_line() only after a quoted field with a line break in it.
 * Pair it with kl_csv_field_column() in messages.  0 when i is out of range. */
uint64_t kl_csv_field_line(const kl_csv *csv, size_t i);
/* The delimiter in use. */
char kl_csv_delimiter(const kl_csv *csv);
/* Nonzero when the input is gzip-compressed. */
int kl_csv_is_gzip(const kl_csv *csv);
/* The input's name as given (stdin shown as "<stdin>"). */
const char *kl_csv_name(const kl_csv *csv);
/* Decompressed bytes consumed so far. */
uint64_t kl_csv_bytes(const kl_csv *csv);

void kl_csv_close(kl_csv *csv);

#endif /* KL_CSV_H */
