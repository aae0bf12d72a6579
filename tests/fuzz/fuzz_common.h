/*
 * fuzz_common.h -- shared by the libFuzzer harnesses of tests/fuzz/ and by
 * the regression runner (tests/fuzz/regress.c): the fuzzer's bytes as a
 * file that klaster's readers can open by name.
 *
 * The bytes go into an anonymous memory file (memfd); its name
 * /proc/self/fd/N opens like any path, so no temporary file is left behind
 * and nothing touches the disk.
 */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Writes data into a fresh memory file; *fd receives it (close it after),
 * path (at least 64 bytes) its name.  Returns 0, or -1 on failure. */
static inline int fuzz_memfile(const unsigned char *data, size_t size, int *fd, char *path,
                               size_t pathsize)
{
    size_t off = 0;
    *fd = memfd_create("klaster-fuzz", 0);
    if (*fd < 0)
        return -1;
    while (off < size) {
        ssize_t n = write(*fd, data + off, size - off);
        if (n <= 0) {
            close(*fd);
            return -1;
        }
        off += (size_t)n;
    }
    snprintf(path, pathsize, "/proc/self/fd/%d", *fd);
    return 0;
}

/* Writes data to NAME in a private temporary folder made on the first
 * call (for readers that resolve the path: a memfd has no real one).
 * path receives the file's name.  Returns 0, or -1 on failure. */
static inline int fuzz_tmpfile(const unsigned char *data, size_t size, const char *name,
                               char *path, size_t pathsize)
{
    static char dir[64];
    FILE *f;
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/klaster-fuzz-XXXXXX");
        if (!mkdtemp(dir)) {
            dir[0] = '\0';
            return -1;
        }
    }
    snprintf(path, pathsize, "%s/%s", dir, name);
    if (!(f = fopen(path, "wb")))
        return -1;
    if (size && fwrite(data, 1, size, f) != size) {
        fclose(f);
        return -1;
    }
    return fclose(f) == 0 ? 0 : -1;
}

/* Nonzero when the text contains word (a cheap filter for inputs whose
 * only possible outcome is running into a limit slowly). */
static inline int fuzz_has(const unsigned char *data, size_t size, const char *word)
{
    size_t n = strlen(word);
    for (size_t i = 0; i + n <= size; i++)
        if (memcmp(data + i, word, n) == 0)
            return 1;
    return 0;
}
#endif /* FUZZ_COMMON_H */
