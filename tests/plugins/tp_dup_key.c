/* tp_dup_key.c -- emits the same key twice: the host refuses the result. */
#include "common.h"
static int tp_compute(kl_ctx *ctx, const kl_host *host)
{
    kl_value row[2] = {klaster_int_value(2020), klaster_text_value("UZ-AN")};
    int rc = host->emit(ctx, row);
    return rc != KL_OK ? rc : host->emit(ctx, row);
}
static const kl_input_def inputs[] = {{"firms", "year,region", 0}, {NULL, NULL, 0}};
static const kl_column_def columns[] = {TP_KEYS, {NULL, 0, NULL, NULL}};
static const kl_plugin desc = {KLASTER_PLUGIN_HEADER, "tp_dup_key", "1.0.0", "duplicate keys",
                               "test", inputs, columns, 2, NULL, tp_compute, {0}};
KLASTER_DEFINE_PLUGIN(desc)
