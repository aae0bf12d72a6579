/*
 * kl_error.c -- filling the error context (see kl_error.h).
 */
#include "kl_error.h"

#include <stdio.h>
#include <string.h>

int kl_error_setv(kl_error *err, int status, const char *fmt, va_list ap)
{
    if (err) {
        err->status = status;
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    }
    return status;
}

int kl_error_set(kl_error *err, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kl_error_setv(err, status, fmt, ap);
    va_end(ap);
    return status;
}

int kl_error_prefix(kl_error *err, const char *fmt, ...)
{
    char joined[KL_ERROR_MSG_MAX];
    size_t used, rest;
    int n;
    va_list ap;

    if (!err)
        return KL_ERR_INTERNAL;
    va_start(ap, fmt);
    n = vsnprintf(joined, sizeof joined, fmt, ap);
    va_end(ap);
    used = n < 0 ? 0 : (size_t)n;
    if (used > sizeof joined - 3)
        used = sizeof joined - 3;
    joined[used++] = ':';
    joined[used++] = ' ';
    /* Keep as much of the original message as fits after the prefix. */
    rest = strnlen(err->msg, sizeof err->msg);
    if (rest > sizeof joined - 1 - used)
        rest = sizeof joined - 1 - used;
    memcpy(joined + used, err->msg, rest);
    joined[used + rest] = '\0';
    memcpy(err->msg, joined, sizeof joined);
    return err->status;
}

void kl_error_clear(kl_error *err)
{
    if (err) {
        err->status = KL_OK;
        err->msg[0] = '\0';
    }
}

int kl_error_oom(kl_error *err, const char *what)
{
    return kl_error_set(err, KL_ERR_INTERNAL, "out of memory while %s", what);
}
