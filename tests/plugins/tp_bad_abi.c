/* tp_bad_abi.c -- claims to be built for plugin ABI 99.0. */
#include "common.h"
static int tp_compute(kl_ctx *ctx, const kl_host *host) { (void)ctx; (void)host; return KL_OK; }
static const kl_input_def inputs[] = {{"firms", "year,region", 0}, {NULL, NULL, 0}};
static const kl_column_def columns[] = {TP_KEYS, {NULL, 0, NULL, NULL}};
static const kl_plugin desc = {sizeof(kl_plugin), 99, 0, KLASTER_ABI_CHECK, "tp_bad_abi", "1.0.0",
                               "wrong ABI", "test", inputs, columns, 2, NULL, tp_compute, {0}};
KLASTER_DEFINE_PLUGIN(desc)
