/*
 * common.h -- shared pieces of the test plugins in this folder, each of
 * which is built and loaded by tests/e2e/plugins.sh to exercise one loader
 * or host failure.
 */
#include <klaster.h>

#define TP_KEYS {"year", KL_TYPE_INT, "", "year"}, {"region", KL_TYPE_TEXT, "", "region"}
