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

/*
 * Writes everything out without publishing: flush, fsync, close.  Then only
 * kl_writer_commit() (which just renames) or kl_writer_abort() may follow;
 * w is not freed either way.  For a caller with several outputs: finish
 * them all, then commit them all, so that a full disk or an I/O error
 * publishes none of them.
 */
int kl_writer_finish(kl_writer *w, kl_error *err);

/* Finishes: flush, fsync, rename into place, fsync the folder; frees w. */
int kl_writer_commit(kl_writer *w, kl_error *err);

/* Gives up: removes the temporary file; frees w.  NULL is a no-op. */
void kl_writer_abort(kl_writer *w);

/* Creates folder dir and any missing parents (mkdir -p);
 * KL_ERR_CANTCREAT naming the folder that could not be made. */
int kl_mkdir_p(const char *dir, kl_error *err);

/*
 * Writes a whole small file (e.g. a manifest) atomically the same way.
 */
int kl_write_file_atomic(const char *path, const void *data, size_t len, kl_error *err);

/*
 * Details (added by the implementation):
 *
 * Files.  The temporary file is ".NAME.tmp.XXXXXX" in the final name's
 * folder (NAME cut to 200 bytes), created with mode 0666 & ~umask -- the mode
 * the result keeps (an existing file's mode is not carried over).  Only a
 * crash or kill -9 can leave it behind.  The folder fsync after the rename is
 * best effort (the file is complete under its name by then).  "-" writes
 * straight to standard output (no temporary file, no fsync; not atomic), and
 * messages call it "<stdout>".
 *
 * Errors.  A folder that does not exist or cannot be written to, or a path
 * naming a folder, is KL_ERR_CANTCREAT from kl_writer_open() naming the path
 * and the folder ("out/x.csv: cannot create a file in folder out: No such
 * file or directory").  A failed write, fsync or close (ENOSPC, EFBIG, EIO,
 * EDQUOT...) is KL_ERR_CANTCREAT "PATH: cannot write: REASON", from the call
 * that hit it (a row, or finish or commit when the last buffer is written).
 * Errors are sticky: every later kl_writer_row() returns the same error; the
 * writer must still be released with kl_writer_abort() (or
 * kl_writer_commit(), which then returns the error).  kl_writer_commit() frees w whether it succeeds or not,
 * and when it fails the temporary file is gone and the final name untouched.
 * A value type other than 0 or a kl_type is KL_ERR_INTERNAL and writes
 * nothing of that row (the writer stays usable).  Out of memory is
 * KL_ERR_INTERNAL, leaving no file.
 *
 * SIGXFSZ.  Past a file-size limit (ulimit -f) the kernel sends SIGXFSZ,
 * whose default action kills the process.  The first kl_writer_open() or
 * kl_write_file_atomic() therefore sets SIGXFSZ to SIG_IGN if it is SIG_DFL
 * (a handler or SIG_IGN installed by the host is left alone), so that the
 * write fails with EFBIG: "PATH: cannot write: File too large".
 *
 * CSV: comma-separated, LF line ends, a header line of the column names.
 * A text (or column name) is quoted when it contains a comma, a double quote,
 * CR or LF, or starts or ends with a space or tab; quotes inside are doubled.
 * A missing value, a non-finite NUM and an empty text are all an empty cell.
 * gzip CSV: the same bytes, one gzip member (deflate level 6).
 *
 * JSON Lines: one object per row, keys = column names in column order; text
 * as a JSON string: '"' and '\\' escaped, control characters as \b \f \n
 * \r \t or \u00XX, other bytes (UTF-8) as they are; numbers as
 * kl_format_num / kl_format_int print them; missing and non-finite -> null.
 */

#endif /* KL_WRITER_H */
