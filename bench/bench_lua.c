/*
 * bench_lua.c -- the Lua bridge's speed against C on the step alone: loads
 * firms once, then runs the same indicator as a C step and as a Lua script
 * (bench/lua/rd_intensity_lua.lua, rd_intensity_firm_lua.lua), best of N
 * runs each, and prints the times and ratios.
 * Two shapes: per (year, region, cluster) -- a few thousand groups, the
 * usual case -- and per (year, firm) -- one group per row, the worst case
 * for Lua, whose loop body runs once per group.
 *
 * Usage: bench_lua DATA_DIR [RUNS]     (run from the repository root)
 * bench/lua.sh adds the whole-program comparison.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kl_alloc.h"
#include "kl_dataset.h"
#include "kl_lua.h"
#include "kl_step.h"

/* The C versions: the same host calls a compiled plugin makes. */
static int bench_rd(kl_ctx *ctx, const kl_host *host, const char *const *keys, size_t nkeys)
{
    const kl_groups *g;
    const double *rev, *rd;
    kl_value row[5];
    int rc;

    if ((rc = host->group(ctx, "firms", keys, nkeys, NULL, &g)) != KL_OK ||
        (rc = host->aggregate(ctx, g, KL_AGG_SUM, "revenue", "rd_spend", &rev)) != KL_OK ||
        (rc = host->aggregate(ctx, g, KL_AGG_SUM, "rd_spend", "revenue", &rd)) != KL_OK)
        return rc;
    for (size_t i = 0; i < g->ngroups; i++) {
        size_t c = 0;
        row[c++] = klaster_int_value(klaster_group_key(g, i, 0));
        for (size_t k = 1; k < nkeys; k++)
            row[c++] = klaster_text_value(host->text(ctx, (uint32_t)klaster_group_key(g, i, k)));
        if (nkeys == 3)
            row[c++] = klaster_int_value(g->offsets[i + 1] - g->offsets[i]);
        row[c++] = rev[i] > 0 ? klaster_num_value(100 * rd[i] / rev[i]) : klaster_missing_value();
        if ((rc = host->emit(ctx, row)) != KL_OK)
            return rc;
    }
    return KL_OK;
}

static int bench_rd_cluster(kl_ctx *ctx, const kl_host *host)
{
    static const char *const keys[] = {"year", "region", "cluster"};
    return bench_rd(ctx, host, keys, 3);
}

static int bench_rd_firm(kl_ctx *ctx, const kl_host *host)
{
    static const char *const keys[] = {"year", "firm"};
    return bench_rd(ctx, host, keys, 2);
}

static const kl_input_def bench_in_cluster[] = {
    {"firms", "year,region,cluster,rd_spend,revenue", 0}, {NULL, NULL, 0}};
static const kl_input_def bench_in_firm[] = {
    {"firms", "year,firm,rd_spend,revenue", 0}, {NULL, NULL, 0}};
static const kl_column_def bench_cols_cluster[] = {
    {"year", KL_TYPE_INT, "", ""}, {"region", KL_TYPE_TEXT, "", ""},
    {"cluster", KL_TYPE_TEXT, "", ""}, {"firms", KL_TYPE_INT, "", ""},
    {"rd_intensity", KL_TYPE_NUM, "%", ""}, {NULL, 0, NULL, NULL}};
static const kl_column_def bench_cols_firm[] = {
    {"year", KL_TYPE_INT, "", ""}, {"firm", KL_TYPE_TEXT, "", ""},
    {"rd_intensity", KL_TYPE_NUM, "%", ""}, {NULL, 0, NULL, NULL}};

static const kl_plugin bench_c_cluster = {
    KLASTER_PLUGIN_HEADER, "rd_intensity_c", "1", "C", NULL, bench_in_cluster,
    bench_cols_cluster, 3, NULL, bench_rd_cluster, {0}};
static const kl_plugin bench_c_firm = {
    KLASTER_PLUGIN_HEADER, "rd_intensity_firm_c", "1", "C", NULL, bench_in_firm,
    bench_cols_firm, 2, NULL, bench_rd_firm, {0}};

static double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Best times of `runs` alternating runs of the C and the Lua step (so that
 * neither always runs on a warmer machine); rows[] gets their results' rows. */
static int bench_pair(const kl_step_def *c, const kl_step_def *lua, kl_workspace *ws, int runs,
                      double best[2], size_t rows[2], kl_error *err)
{
    const kl_step_def *defs[2] = {c, lua};
    best[0] = best[1] = 1e300;
    for (int r = 0; r < runs; r++)
        for (int i = 0; i < 2; i++) {
            int which = (r + i) % 2;
            kl_table *out;
            double t0 = bench_now(), t;
            if (kl_step_run(defs[which], ws, NULL, &out, err) != KL_OK)
                return err->status;
            t = bench_now() - t0;
            rows[which] = out->nrows;
            kl_table_free(out);
            if (t < best[which])
                best[which] = t;
        }
    return KL_OK;
}

static int bench_load(const char *dir, kl_workspace *ws, kl_error *err)
{
    static const char *const want[] = {"year", "region", "cluster", "firm", "rd_spend",
                                       "revenue", NULL};
    kl_load_opts lo;
    kl_table *t = NULL;
    char *path = NULL;
    int rc;

    memset(&lo, 0, sizeof lo);
    lo.want = want;
    if ((rc = kl_dataset_find(dir, "firms", &path, err)) != KL_OK)
        return rc;
    rc = kl_dataset_load(&t, kl_schema_find("firms"), path, ws->pool, &lo, NULL, err);
    kl_free(path);
    return rc == KL_OK ? kl_workspace_add(ws, t, err) : rc;
}

int main(int argc, char **argv)
{
    static const struct {
        const kl_plugin *c;
        const char *lua, *shape;
    } cases[] = {
        {&bench_c_cluster, "bench/lua/rd_intensity_lua.lua", "per (year, region, cluster)"},
        {&bench_c_firm, "bench/lua/rd_intensity_firm_lua.lua", "per (year, firm)"},
    };
    int runs = argc > 2 ? atoi(argv[2]) : 5;
    kl_workspace ws;
    kl_error err;
    int rc;

    if (argc < 2 || runs < 1) {
        fprintf(stderr, "usage: bench_lua DATA_DIR [RUNS]\n");
        return KL_ERR_USAGE;
    }
    kl_error_clear(&err);
    if ((rc = kl_workspace_init(&ws, &err)) != KL_OK || (rc = bench_load(argv[1], &ws, &err)) != KL_OK) {
        fprintf(stderr, "bench_lua: %s\n", err.msg);
        kl_workspace_free(&ws);
        return rc;
    }
    printf("firms: %zu rows; best of %d runs per step\n", ws.tables[0]->nrows, runs);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0] && rc == KL_OK; i++) {
        kl_step_def c = {KL_STEP_PLUGIN, NULL, NULL, cases[i].c, NULL, NULL}, lua;
        double t[2];
        size_t rows[2] = {0, 0};
        if ((rc = kl_lua_open(cases[i].lua, NULL, &lua, &err)) != KL_OK)
            break;
        if ((rc = bench_pair(&c, &lua, &ws, runs, t, rows, &err)) == KL_OK)
            printf("%-28s %9zu groups   C %8.3f s   Lua %8.3f s   Lua/C %5.2f\n", cases[i].shape,
                   rows[0], t[0], t[1], t[1] / t[0]);
        if (rc == KL_OK && rows[0] != rows[1])
            rc = kl_error_set(&err, KL_ERR_INTERNAL, "C made %zu rows, Lua %zu", rows[0], rows[1]);
        kl_step_def_clear(&lua);
    }
    if (rc != KL_OK)
        fprintf(stderr, "bench_lua: %s\n", err.msg);
    kl_workspace_free(&ws);
    return rc;
}
