/*
 * fuzz_pipeline.c -- libFuzzer harness for the pipeline-file parser: bytes
 * as a pipeline file (in a private temporary folder, since the
 * loader resolves its path) -> kl_pipeline_load (Lua sandbox + the checks of
 * pipeline{...}).
 *
 * A pipeline file runs with the default Lua limits (1e9 instructions, 256
 * MiB), so an input that loops could only end by running into them, slowly.
 * The harness caps its own resources instead: inputs over 8 KiB, and those
 * containing a loop or a function (while, repeat, for, goto, function), are
 * skipped -- the limits themselves are tested in tests/lua/hostile.
 */
#include <stdint.h>

#include "fuzz_common.h"
#include "kl_pipeline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const slow[] = {"while", "repeat", "for", "goto", "function", NULL};
    kl_pipeline p;
    kl_error err;
    char path[128];

    if (size > 8192)
        return 0;
    for (size_t i = 0; slow[i]; i++)
        if (fuzz_has(data, size, slow[i]))
            return 0;
    if (fuzz_tmpfile(data, size, "pipeline.lua", path, sizeof path) != 0)
        return 0;
    memset(&p, 0, sizeof p);
    kl_error_clear(&err);
    (void)kl_pipeline_load(&p, path, &err);
    kl_pipeline_free(&p); /* also after a failure: the caller frees */
    return 0;
}
