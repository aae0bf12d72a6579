/* tp_undefined.c -- needs a symbol nothing defines: dlopen(RTLD_NOW) must refuse it. */
#include "common.h"
extern int tp_function_nobody_defines(void);
static int tp_compute(kl_ctx *ctx, const kl_host *host)
{
    (void)ctx;
    (void)host;
    return tp_function_nobody_defines();
}
static const kl_input_def inputs[] = {{"firms", "year,region", 0}, {NULL, NULL, 0}};
static const kl_column_def columns[] = {TP_KEYS, {NULL, 0, NULL, NULL}};
static const kl_plugin desc = {KLASTER_PLUGIN_HEADER, "tp_undefined", "1.0.0", "unresolved",
                               "test", inputs, columns, 2, NULL, tp_compute, {0}};
KLASTER_DEFINE_PLUGIN(desc)
