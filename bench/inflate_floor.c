/*
 * inflate_floor.c -- the benchmark floor for reading gzip inputs.
 *
 *   inflate_floor [--best-of K] FILE...
 *
 * Inflates each gzip file with zlib's gzread (128 KiB gzbuffer, 1 MiB read
 * buffer) and throws the bytes away: no reader of .csv.gz input can be
 * faster than this, so klaster's reading benchmarks are compared with it.
 * Concatenated gzip members are read through; a truncated or corrupt file,
 * or one that is not gzip at all, is an error (gzread alone would accept
 * the first silently and pass the last through as raw bytes).
 *
 * Output, machine-readable, one line per file then the total:
 *   inflate_floor seconds=S bytes_in=N bytes_out=M file=PATH
 *   inflate_floor seconds=S bytes_in=N bytes_out=M
 * seconds is wall time (CLOCK_MONOTONIC) from gzopen to gzclose; with
 * --best-of K every file is read K times and the minimum is reported (for
 * the total: the fastest of the K complete passes).
 *
 * Exit status: 0 ok, 64 bad arguments, 65 corrupt or truncated input,
 * 66 cannot open a file, 70 out of memory.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <zlib.h>

#define EXIT_USAGE 64
#define EXIT_DATAERR 65
#define EXIT_NOINPUT 66
#define EXIT_NOMEM 70

#define GZ_BUFFER (128u * 1024u)
#define READ_BUFFER (1024u * 1024u)
#define MAX_BEST_OF 1000

typedef struct {
    double seconds;
    uint64_t bytes_in, bytes_out;
} result;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void usage(FILE *to)
{
    fputs("usage: inflate_floor [--best-of K] FILE...\n"
          "Inflates each gzip FILE with zlib's gzread and prints\n"
          "  inflate_floor seconds=S bytes_in=N bytes_out=M file=PATH   (per file)\n"
          "  inflate_floor seconds=S bytes_in=N bytes_out=M             (total)\n"
          "--best-of K reads everything K times (1..1000) and reports the minimum.\n",
          to);
}

/* Reads one file to the end; on failure prints why and returns the exit status. */
static int inflate_file(const char *path, unsigned char *buf, result *res)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "inflate_floor: cannot open %s: %s\n", path, strerror(errno));
        return EXIT_NOINPUT;
    }
    double t0 = now();
    gzFile gz = gzopen(path, "rb");
    if (!gz) {
        fprintf(stderr, "inflate_floor: cannot open %s: %s\n", path,
                errno ? strerror(errno) : "out of memory");
        return errno ? EXIT_NOINPUT : EXIT_NOMEM;
    }
    if (gzbuffer(gz, GZ_BUFFER) != 0) {
        gzclose(gz);
        fprintf(stderr, "inflate_floor: gzbuffer failed on %s\n", path);
        return EXIT_NOMEM;
    }
    uint64_t out = 0;
    int n, checked_direct = 0;
    while ((n = gzread(gz, buf, READ_BUFFER)) > 0) {
        if (!checked_direct) {
            checked_direct = 1;
            if (gzdirect(gz)) {
                gzclose(gz);
                fprintf(stderr, "inflate_floor: %s: not gzip-compressed\n", path);
                return EXIT_DATAERR;
            }
        }
        out += (uint64_t)n;
    }
    int err = Z_OK;
    const char *msg = gzerror(gz, &err);
    if (n < 0 || (err != Z_OK && err != Z_STREAM_END)) {
        /* zlib's message already starts with the path */
        if (msg && *msg)
            fprintf(stderr, "inflate_floor: %s\n", msg);
        else
            fprintf(stderr, "inflate_floor: %s: read error\n", path);
        gzclose(gz);
        return err == Z_ERRNO ? EXIT_NOINPUT : EXIT_DATAERR;
    }
    if (!checked_direct && gzdirect(gz)) { /* nothing read: an empty file */
        gzclose(gz);
        fprintf(stderr, "inflate_floor: %s: empty file, not gzip-compressed\n", path);
        return EXIT_DATAERR;
    }
    /* gzclose reports a stream cut short (Z_BUF_ERROR) that gzread did not. */
    int rc = gzclose(gz);
    if (rc != Z_OK) {
        fprintf(stderr, "inflate_floor: %s: %s\n", path,
                rc == Z_BUF_ERROR ? "unexpected end of file (truncated gzip stream)"
                : rc == Z_ERRNO  ? strerror(errno)
                                 : "gzclose failed");
        return rc == Z_ERRNO ? EXIT_NOINPUT : EXIT_DATAERR;
    }
    res->seconds = now() - t0;
    res->bytes_in = (uint64_t)st.st_size;
    res->bytes_out = out;
    return 0;
}

static void print_result(const result *r, const char *path)
{
    printf("inflate_floor seconds=%.6f bytes_in=%llu bytes_out=%llu", r->seconds,
           (unsigned long long)r->bytes_in, (unsigned long long)r->bytes_out);
    if (path)
        printf(" file=%s", path);
    putchar('\n');
}

static int parse_best_of(const char *s, int *k)
{
    if (!s || *s < '0' || *s > '9')
        return -1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < 1 || v > MAX_BEST_OF)
        return -1;
    *k = (int)v;
    return 0;
}

int main(int argc, char **argv)
{
    int best_of = 1, first = 1;
    while (first < argc && argv[first][0] == '-' && argv[first][1]) {
        const char *a = argv[first];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--best-of")) {
            if (parse_best_of(first + 1 < argc ? argv[first + 1] : NULL, &best_of)) {
                fprintf(stderr, "inflate_floor: --best-of wants a whole number from 1 to %d\n",
                        MAX_BEST_OF);
                return EXIT_USAGE;
            }
            first += 2;
        } else if (!strcmp(a, "--")) {
            first++;
            break;
        } else {
            fprintf(stderr, "inflate_floor: unknown option '%s'\n", a);
            usage(stderr);
            return EXIT_USAGE;
        }
    }
    int nfiles = argc - first;
    if (nfiles < 1) {
        usage(stderr);
        return EXIT_USAGE;
    }
    unsigned char *buf = malloc(READ_BUFFER);
    result *best = calloc((size_t)nfiles, sizeof *best);
    if (!buf || !best) {
        fprintf(stderr, "inflate_floor: out of memory\n");
        free(buf);
        free(best);
        return EXIT_NOMEM;
    }
    result total = {0, 0, 0};
    int status = 0;
    for (int round = 0; round < best_of && !status; round++) {
        result pass = {0, 0, 0};
        for (int i = 0; i < nfiles && !status; i++) {
            result r;
            status = inflate_file(argv[first + i], buf, &r);
            if (status)
                break;
            if (round == 0 || r.seconds < best[i].seconds)
                best[i] = r;
            pass.seconds += r.seconds;
            pass.bytes_in += r.bytes_in;
            pass.bytes_out += r.bytes_out;
        }
        if (!status && (round == 0 || pass.seconds < total.seconds))
            total = pass;
    }
    if (!status) {
        for (int i = 0; i < nfiles; i++)
            print_result(&best[i], argv[first + i]);
        print_result(&total, NULL);
    }
    free(buf);
    free(best);
    return status;
}
