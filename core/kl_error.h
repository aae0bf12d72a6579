/*
 * kl_error.h -- the error context every fallible core function fills.
 *
 * Library code never prints or exits: it returns a status (see klaster.h)
 * and leaves one human-readable message in a caller-owned kl_error.  Only
 * main() turns that into stderr text and an exit status.
 */
#ifndef KL_ERROR_H
#define KL_ERROR_H

#include <stdarg.h>

#include "klaster.h"

#define KL_ERROR_MSG_MAX 1024

typedef struct kl_error {
    int status;                 /* KL_OK or a KL_ERR_* code */
    char msg[KL_ERROR_MSG_MAX]; /* "file:line:column: what was expected" */
} kl_error;

#if defined(__GNUC__)
#define KL_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define KL_PRINTF(f, a)
#endif

/* Records status and message in err (err may be NULL); returns status. */
int kl_error_set(kl_error *err, int status, const char *fmt, ...) KL_PRINTF(3, 4);
int kl_error_setv(kl_error *err, int status, const char *fmt, va_list ap);

/* Puts "prefix: " in front of the message already in err; returns err->status. */
int kl_error_prefix(kl_error *err, const char *fmt, ...) KL_PRINTF(2, 3);

/* Resets err to KL_OK with an empty message. */
void kl_error_clear(kl_error *err);

/* Records an out-of-memory error (KL_ERR_INTERNAL) naming what was being done. */
int kl_error_oom(kl_error *err, const char *what);

#endif /* KL_ERROR_H */
