/* tp_undeclared.c -- reads a column it did not declare: the host refuses. */
#include "common.h"
static int tp_compute(kl_ctx *ctx, const kl_host *host)
{
    kl_column_view v;
    return host->column(ctx, "firms", "revenue", &v);
}
static const kl_input_def inputs[] = {{"firms", "year,region", 0}, {NULL, NULL, 0}};
static const kl_column_def columns[] = {TP_KEYS, {NULL, 0, NULL, NULL}};
static const kl_plugin desc = {KLASTER_PLUGIN_HEADER, "tp_undeclared", "1.0.0", "reads too much",
                               "test", inputs, columns, 2, NULL, tp_compute, {0}};
KLASTER_DEFINE_PLUGIN(desc)
