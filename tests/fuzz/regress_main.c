/*
 * regress_main.c -- a main() for the fuzz harnesses without libFuzzer: runs
 * LLVMFuzzerTestOneInput once over each file named on the command line.
 * tests/e2e/fuzz_regress.sh links it with each harness and the normal (or
 * ASan) build's library, and replays tests/fuzz/regress/NAME/ through it, so
 * every input that once crashed a harness is run by `make test`.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        unsigned char *buf = NULL;
        size_t len = 0, cap = 0, n;
        if (!f) {
            perror(argv[i]);
            return 1;
        }
        do {
            if (len == cap) {
                unsigned char *nb = realloc(buf, cap = cap ? 2 * cap : 4096);
                if (!nb)
                    return 1;
                buf = nb;
            }
            n = fread(buf + len, 1, cap - len, f);
            len += n;
        } while (n > 0);
        fclose(f);
        LLVMFuzzerTestOneInput(buf, len);
        free(buf);
        printf("ran %s\n", argv[i]);
    }
    return 0;
}
