/* tp_fails.c -- emits a row, then reports an error through the host. */
#include "common.h"
static int tp_compute(kl_ctx *ctx, const kl_host *host)
{
    kl_value row[2] = {klaster_int_value(2020), klaster_text_value("UZ-AN")};
    int rc = host->emit(ctx, row);
    if (rc != KL_OK)
        return rc;
    return host->error(ctx, KL_ERR_DATA, "deliberate failure after %d row", 1);
}
static const kl_input_def inputs[] = {{"firms", "year,region", 0}, {NULL, NULL, 0}};
static const kl_column_def columns[] = {TP_KEYS, {NULL, 0, NULL, NULL}};
static const kl_plugin desc = {KLASTER_PLUGIN_HEADER, "tp_fails", "1.0.0", "always fails",
                               "test", inputs, columns, 2, NULL, tp_compute, {0}};
KLASTER_DEFINE_PLUGIN(desc)
