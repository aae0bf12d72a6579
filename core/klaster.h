/*
 * klaster.h -- the one public header of klaster, for people who extend it.
 *
 * Ownership, in one sentence: everything the host hands to a plugin (tables,
 * columns, groupings, strings) is owned by the host and stays valid until the
 * plugin's compute call returns, and everything a plugin hands to the host
 * (rows, messages) is copied by the host before the host function returns.
 *
 * This part of the header holds the types shared by the core and by plugins:
 * status codes (which are also the program's exit statuses), column types,
 * and cell values.  The plugin ABI (descriptor and host function table) is
 * declared further down.
 */
#ifndef KLASTER_H
#define KLASTER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KLASTER_VERSION "0.1.0"

/*
 * Status codes.  Every klaster function that can fail returns one of these;
 * the `klaster` program exits with the same number (they follow BSD
 * sysexits.h, which cron and systemd operators already know).
 */
enum {
    KL_OK = 0,
    KL_ERR_USAGE = 64,     /* bad command line or pipeline file */
    KL_ERR_DATA = 65,      /* bad input data: format, values, limits */
    KL_ERR_NOINPUT = 66,   /* an input file does not exist or cannot be read */
    KL_ERR_INTERNAL = 70,  /* a bug in klaster or a plugin; out of memory */
    KL_ERR_CANTCREAT = 73, /* an output cannot be created or written */
    KL_ERR_IO = 74,        /* an I/O error while reading */
    KL_ERR_TEMPFAIL = 75   /* try again later: another run holds the lock */
};

/* Column types. */
typedef enum kl_type {
    KL_TYPE_INT = 1,  /* 64-bit signed integer (stored as 32 bits when it fits) */
    KL_TYPE_NUM = 2,  /* IEEE double */
    KL_TYPE_TEXT = 3  /* UTF-8 text, dictionary-encoded */
} kl_type;

/*
 * One cell value, as plugins emit them.  `type` 0 means missing (written as
 * an empty CSV cell or a JSON null).  Text is borrowed: the host copies it.
 */
typedef struct kl_value {
    int type; /* 0 = missing, else a kl_type */
    union {
        int64_t i;
        double n;
        const char *s;
    } u;
} kl_value;

#ifdef __cplusplus
}
#endif
#endif /* KLASTER_H */
