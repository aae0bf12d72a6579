/* tp_count.c -- a good test plugin: firm rows per (year, region). */
#include "common.h"

static const char *const keys[] = {"year", "region"};

static int tp_compute(kl_ctx *ctx, const kl_host *host)
{
    const kl_groups *g;
    const double *n;
    int rc;
    if ((rc = host->group(ctx, "firms", keys, 2, NULL, &g)) != KL_OK ||
        (rc = host->aggregate(ctx, g, KL_AGG_COUNT, "firm", NULL, &n)) != KL_OK)
        return rc;
    for (size_t i = g->ngroups; i-- > 0;) { /* emitted backwards: the host sorts */
        kl_value row[3] = {klaster_int_value(klaster_group_key(g, i, 0)),
                           klaster_text_value(host->text(ctx, (uint32_t)klaster_group_key(g, i, 1))),
                           klaster_int_value((int64_t)n[i])};
        if ((rc = host->emit(ctx, row)) != KL_OK)
            return rc;
    }
    return KL_OK;
}

static const kl_input_def inputs[] = {{"firms", "year,region,firm", 0}, {NULL, NULL, 0}};
static const kl_column_def columns[] = {TP_KEYS, {"rows", KL_TYPE_INT, "", "firm rows"}, {NULL, 0, NULL, NULL}};
static const kl_plugin desc = {KLASTER_PLUGIN_HEADER, "tp_count", "1.0.0", "rows per region",
                               "test", inputs, columns, 2, NULL, tp_compute, {0}};
KLASTER_DEFINE_PLUGIN(desc)
