/*
 * fuzz_lua.c -- libFuzzer harness for the Lua script API: bytes as an
 * indicator script -> kl_lua_open (sandbox, indicator{...} checks) -> its
 * compute over a tiny firms/regions workspace (the k API, emit).
 *
 * Limits are small so that timeouts are not findings: 16 MiB of Lua memory
 * and 200000 instructions per load and per compute; inputs over 8 KiB are
 * skipped.  (A Lua pattern over a long string runs in C, outside the
 * instruction count: docs/security.md.)
 */
#include <stdint.h>

#include "fuzz_common.h"
#include "kl_alloc.h"
#include "kl_dataset.h"
#include "kl_lua.h"
#include "kl_schema.h"
#include "kl_step.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char fuzz_firms[] =
    "year,region,cluster,firm,sector,employees,revenue,local_taxes,rd_spend,innov_revenue,innovating,patents\n"
    "2020,UZ-AN,AN-TEX-01,100000001,13.20,120,5000000.00,150000.00,20000.00,0,0,0\n"
    "2020,UZ-AN,,100000002,47.11,8,300000.00,9000.00,0,0,0,0\n"
    "2021,UZ-AN,AN-TEX-01,100000001,13.20,130,5500000.00,160000.00,25000.00,10000,1,1\n"
    "2021,UZ-FA,FA-SLK-01,100000003,13.10,,700000.00,21000.00,,0,0,0\n";
static const char fuzz_regions[] =
    "year,region,population,employment,local_budget_revenue\n"
    "2020,UZ-AN,3200000,1100000,2500000000\n"
    "2021,UZ-AN,3250000,1120000,2600000000\n"
    "2021,UZ-FA,3900000,1300000,2700000000\n";

static kl_workspace fuzz_ws;

static void fuzz_add(const char *name, const char *csv)
{
    kl_error err;
    kl_table *t = NULL;
    char path[64];
    int fd;
    kl_error_clear(&err);
    if (fuzz_memfile((const unsigned char *)csv, strlen(csv), &fd, path, sizeof path) != 0 ||
        kl_dataset_load(&t, kl_schema_find(name), path, fuzz_ws.pool, NULL, NULL, &err) != KL_OK ||
        kl_workspace_add(&fuzz_ws, t, &err) != KL_OK) {
        fprintf(stderr, "fuzz_lua: cannot load %s: %s\n", name, err.msg);
        abort();
    }
    close(fd);
}

static void fuzz_setup(void)
{
    static int done;
    kl_error err;
    if (done)
        return;
    done = 1;
    kl_error_clear(&err);
    if (kl_workspace_init(&fuzz_ws, &err) != KL_OK)
        abort();
    fuzz_add("firms", fuzz_firms);
    fuzz_add("regions", fuzz_regions);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kl_lua_limits lim = {16u << 20, 200000};
    kl_step_def def;
    kl_error err;
    char path[64];
    int fd;

    if (size > 8192)
        return 0;
    fuzz_setup();
    if (fuzz_memfile(data, size, &fd, path, sizeof path) != 0)
        return 0;
    memset(&def, 0, sizeof def);
    kl_error_clear(&err);
    if (kl_lua_open(path, &lim, &def, &err) == KL_OK) {
        kl_step_opts o;
        kl_table *out = NULL;
        memset(&o, 0, sizeof o);
        kl_error_clear(&err);
        if (kl_step_run(&def, &fuzz_ws, &o, &out, &err) == KL_OK)
            kl_table_free(out);
        kl_step_def_clear(&def);
    }
    close(fd);
    return 0;
}
