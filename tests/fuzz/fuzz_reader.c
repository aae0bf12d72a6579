/*
 * fuzz_reader.c -- libFuzzer harness for the reader: bytes -> gzip-or-plain
 * source -> CSV records -> a typed firms table (kl_source, kl_csv,
 * kl_dataset_load).
 *
 * The first byte picks the reader's knobs (tiny blocks and buffers put
 * block and buffer boundaries everywhere; inflating on or off its thread);
 * the rest is the file (knob bits: 0-1 block size, 2 inflate thread, 3-4
 * buffer size, 5-6 delimiter, 7 skip bad rows).  Resources are capped here so that only crashes,
 * sanitizer reports and leaks are findings: 1 MiB of decompressed data, 4
 * KiB fields.  Every record's fields must be NUL-terminated in place.
 */
#include <stdint.h>

#include "fuzz_common.h"
#include "kl_alloc.h"
#include "kl_csv.h"
#include "kl_dataset.h"
#include "kl_schema.h"
#include "kl_strpool.h"
#include "kl_table.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t blocks[] = {4096, 1, 7, 64};
    static const size_t buffers[] = {4096, 1, 16, 300};
    kl_csv_opts o;
    kl_error err;
    kl_csv *csv = NULL;
    char path[64];
    int fd;
    uint8_t knobs;

    if (size < 1)
        return 0;
    knobs = data[0];
    data++;
    size--;
    if (fuzz_memfile(data, size, &fd, path, sizeof path) != 0)
        return 0;

    memset(&o, 0, sizeof o);
    o.source.max_bytes = 1 << 20;
    o.source.block_size = blocks[knobs & 3];
    o.source.no_thread = !((knobs >> 2) & 1); /* threads are slow to start: off by default */
    o.buffer_size = buffers[(knobs >> 3) & 3];
    o.max_field = 4096;
    static const char delims[] = {0, ',', ';', '\t'};
    o.delimiter = delims[(knobs >> 5) & 3];

    /* The record reader alone. */
    kl_error_clear(&err);
    if (kl_csv_open(&csv, path, &o, &err) == KL_OK) {
        const kl_field *f;
        size_t nf;
        int rc;
        while ((rc = kl_csv_next_row(csv, &f, &nf, &err)) == 1) {
            for (size_t i = 0; i < nf; i++)
                if (f[i].ptr[f[i].len] != '\0')
                    abort();
            (void)kl_csv_field_column(csv, nf);
            (void)kl_csv_field_line(csv, 0);
        }
        kl_csv_close(csv);
    }

    /* The whole loader into typed columns. */
    {
        kl_strpool *pool = kl_strpool_new();
        kl_table *t = NULL;
        kl_load_opts lo;
        kl_load_report rep;
        memset(&lo, 0, sizeof lo);
        memset(&rep, 0, sizeof rep);
        lo.csv = o;
        lo.skip_bad_rows = (knobs >> 7) & 1;
        kl_error_clear(&err);
        if (pool && kl_dataset_load(&t, kl_schema_find("firms"), path, pool, &lo, &rep, &err) == KL_OK)
            kl_table_free(t);
        kl_load_report_clear(&rep);
        kl_strpool_free(pool);
    }
    close(fd);
    return 0;
}
