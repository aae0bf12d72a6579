/*
 * kl_writer.h -- writing a result table safely: CSV, gzip CSV or JSON Lines.
 *
 * A result is written to a temporary file in the target's own folder, then
 * flushed, fsync'd, renamed over the final name and the folder fsync'd: a
 * reader (a user, a later step, a scheduled job) sees the old file or the
 * complete new one, never a partial one, whatever happens in between (crash,
 * kill -9, full disk).  A write error is KL_ERR_CANTCREAT naming the file.
 */
#ifndef KL_WRITER_H
#define KL_WRITER_H

#include <stddef.h>

#include "klaster.h"
#include "kl_error.h"

typedef enum kl_format {
    KL_FORMAT_CSV = 1,
    KL_FORMAT_CSV_GZ = 2,
    KL_FORMAT_JSONL = 3
} kl_format;

/* "csv", "csv.gz", "jsonl" -> format; 0 if unknown. */
kl_format kl_format_from_name(const char *name);
/* The file extension for a format, e.g. ".csv.gz". */
const char *kl_format_extension(kl_format fmt);

typedef struct kl_writer kl_writer;

/*
 * Starts writing to path (the final name; "-" = standard output, written
 * directly).  columns[0..ncols) are the header names (copied).  Nothing
 * appears under path until kl_writer_commit() succeeds.
 */
int kl_writer_open(kl_writer **out, const char *path, kl_format fmt,
                   const char *const *columns, size_t ncols, kl_error *err);

/* Writes one row of ncols values (type 0 = missing: empty cell / JSON null).
 * NUM values must be finite; a non-finite one is written as missing. */
int kl_writer_row(kl_writer *w, const kl_value *values, kl_error *err);

/* Rows written so far. */
size_t kl_writer_rows(const kl_writer *w);

/* Finishes: flush, fsync, rename into place, fsync the folder; frees w. */
int kl_writer_commit(kl_writer *w, kl_error *err);

/* Gives up: removes the temporary file; frees w.  NULL is a no-op. */
void kl_writer_abort(kl_writer *w);

/*
 * Writes a whole small file (e.g. a manifest) atomically the same way.
 */
int kl_write_file_atomic(const char *path, const void *data, size_t len, kl_error *err);

#endif /* KL_WRITER_H */
