/*
 * rd_intensity_c.c -- the C half of the Lua bridge's speed comparison
 * (bench/lua/rd_intensity_lua.lua is the Lua half): the same indicator,
 * computed through the same host functions.  Not built by the Makefile;
 * bench/lua.sh builds it:
 *   cc -std=c11 -O2 -fPIC -shared -fvisibility=hidden -Icore \
 *      bench/plugins/rd_intensity_c.c -o DIR/rd_intensity_c.so
 */
#include "klaster.h"

static int rd_compute(kl_ctx *ctx, const kl_host *host)
{
    static const char *const keys[] = {"year", "region", "cluster"};
    const kl_groups *g;
    const double *rev, *rd;
    kl_column_view region;
    int rc;

    if ((rc = host->group(ctx, "firms", keys, 3, NULL, &g)) != KL_OK ||
        (rc = host->aggregate(ctx, g, KL_AGG_SUM, "revenue", "rd_spend", &rev)) != KL_OK ||
        (rc = host->aggregate(ctx, g, KL_AGG_SUM, "rd_spend", "revenue", &rd)) != KL_OK ||
        (rc = host->column(ctx, "firms", "region", &region)) != KL_OK)
        return rc;
    for (size_t i = 0; i < g->ngroups; i++) {
        kl_value row[5];
        row[0] = klaster_int_value(klaster_group_key(g, i, 0));
        row[1] = klaster_text_value(host->text(ctx, (uint32_t)klaster_group_key(g, i, 1)));
        row[2] = klaster_text_value(host->text(ctx, (uint32_t)klaster_group_key(g, i, 2)));
        row[3] = klaster_int_value(g->offsets[i + 1] - g->offsets[i]);
        row[4] = rev[i] > 0 ? klaster_num_value(100 * rd[i] / rev[i]) : klaster_missing_value();
        if ((rc = host->emit(ctx, row)) != KL_OK)
            return rc;
    }
    return KL_OK;
}

static const kl_input_def rd_inputs[] = {
    {"firms", "year,region,cluster,rd_spend,revenue", 0},
    {NULL, NULL, 0},
};

static const kl_column_def rd_columns[] = {
    {"year", KL_TYPE_INT, "", ""},
    {"region", KL_TYPE_TEXT, "", ""},
    {"cluster", KL_TYPE_TEXT, "", ""},
    {"firms", KL_TYPE_INT, "firms", "firm rows of the cluster"},
    {"rd_intensity", KL_TYPE_NUM, "%", "100 * sum(rd_spend) / sum(revenue)"},
    {NULL, 0, NULL, NULL},
};

static const kl_plugin rd_plugin = {
    KLASTER_PLUGIN_HEADER,
    "rd_intensity_c",
    "1.0.0",
    "R&D spending as a share of revenue, per cluster (C; benchmark)",
    "OECD/Eurostat (2018) Oslo Manual, 4th ed.",
    rd_inputs,
    rd_columns,
    3,
    NULL,
    rd_compute,
    {0},
};

KLASTER_DEFINE_PLUGIN(rd_plugin)
