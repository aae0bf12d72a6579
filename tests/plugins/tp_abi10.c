/* tp_abi10.c -- a plugin as built against ABI 1.0, whose klaster_int()
 * read INT cells as int32_t or int64_t only: the host must lend it 4-byte
 * columns even where it keeps narrower ones.  Reads the cells the 1.0 way
 * and emits, per row, year and employees as it sees them. */
#include "common.h"

static int tp_compute(kl_ctx *ctx, const kl_host *host)
{
    kl_column_view year, emp;
    size_t n;
    int rc;
    if ((rc = host->rows(ctx, "firms", &n)) != KL_OK ||
        (rc = host->column(ctx, "firms", "year", &year)) != KL_OK ||
        (rc = host->column(ctx, "firms", "employees", &emp)) != KL_OK)
        return rc;
    if (year.int_width != 4 || emp.int_width != 4)
        return host->error(ctx, KL_ERR_INTERNAL, "an ABI 1.0 plugin was lent %d- and %d-byte cells",
                          year.int_width, emp.int_width);
    for (size_t r = 0; r < n; r++) {
        const int32_t *y = year.data, *e = emp.data; /* what 1.0's klaster_int did */
        kl_value row[2] = {klaster_int_value(y[r]),
                           klaster_missing(&emp, r) ? klaster_missing_value() : klaster_int_value(e[r])};
        if ((rc = host->emit(ctx, row)) != KL_OK)
            return rc;
    }
    return KL_OK;
}

static const kl_input_def inputs[] = {{"firms", "year,employees", 0}, {NULL, NULL, 0}};
static const kl_column_def columns[] = {{"year", KL_TYPE_INT, "", "year"},
                                        {"employees", KL_TYPE_INT, "", "as read"},
                                        {NULL, 0, NULL, NULL}};
static const kl_plugin desc = {sizeof(kl_plugin), KLASTER_ABI_MAJOR, 0, KLASTER_ABI_CHECK,
                               "tp_abi10", "1.0.0", "an ABI 1.0 plugin", "test", inputs, columns,
                               0, NULL, tp_compute, {0}};
KLASTER_DEFINE_PLUGIN(desc)
