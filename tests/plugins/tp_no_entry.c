/* tp_no_entry.c -- a shared object without the klaster entry symbol. */
#include "common.h"
KLASTER_EXPORT int tp_something_else(void);
KLASTER_EXPORT int tp_something_else(void) { return 42; }
