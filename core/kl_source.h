/*
 * kl_source.h -- a stream of decompressed bytes from a file or stdin.
 *
 * Plain and gzip input are told apart by their magic bytes, never by the
 * file name.  Gzip is inflated with zlib's inflate() driven directly (not
 * gzread), so that every defect is an error: a truncated stream (at the
 * header, in the data or in the trailer), a bad CRC or length, trailing bytes
 * that are not another gzip member, or more decompressed bytes than the cap.
 * Several concatenated members are one stream.  Inflation runs on its own
 * thread, in large blocks, ahead of the reader, so that parsing on the
 * calling thread overlaps with it.
 */
#ifndef KL_SOURCE_H
#define KL_SOURCE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "kl_error.h"

/* Default cap on the decompressed size of one input: 16 GiB. */
#define KL_SOURCE_DEFAULT_MAX_BYTES (UINT64_C(16) << 30)

typedef struct kl_source_opts {
    uint64_t max_bytes; /* cap on decompressed bytes; 0 = the default */
    int no_thread;      /* nonzero: inflate on the calling thread */
    /* Added: size in bytes of each read from the file and of each block the
     * inflate thread hands over; 0 = the default (1 MiB).  Tests use tiny
     * values to put block boundaries everywhere. */
    size_t block_size;
} kl_source_opts;

typedef struct kl_source kl_source;

/*
 * Opens path ("-" = standard input).  A file that does not exist or cannot
 * be opened is KL_ERR_NOINPUT.  opts may be NULL.  On success *out is owned
 * by the caller and released with kl_source_close().
 */
int kl_source_open(kl_source **out, const char *path, const kl_source_opts *opts,
                   kl_error *err);

/*
 * Copies up to cap decompressed bytes into buf.  Returns the number of bytes
 * copied (> 0), 0 at the clean end of the data, or -1 with err set
 * (KL_ERR_DATA for a corrupt/truncated/oversized stream, KL_ERR_IO for a read
 * error).  Once it returned 0 or -1 it keeps doing so.
 * All bytes that came before a fault are returned before the -1.  Messages
 * start with "NAME: " (no line: the CSV layer adds it).  cap 0 returns 0
 * without reading.
 */
ssize_t kl_source_read(kl_source *src, char *buf, size_t cap, kl_error *err);

/* The path given to kl_source_open ("-" shown as "<stdin>"). */
const char *kl_source_name(const kl_source *src);
/* Nonzero when the input is gzip. */
int kl_source_is_gzip(const kl_source *src);
/* Decompressed bytes handed out so far. */
uint64_t kl_source_bytes_out(const kl_source *src);

/* Stops the inflate thread, closes the file, frees src.  NULL is a no-op. */
void kl_source_close(kl_source *src);

#endif /* KL_SOURCE_H */
