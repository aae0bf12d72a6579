/*
 * kl_log.h -- run logs on stderr: one line per event, with time, level and
 * step.
 *
 * Three shapes, chosen once: plain text for people; `--log-format json`, one
 * JSON object per line, for log shippers; and, when stderr goes to the
 * systemd journal ($JOURNAL_STREAM names it), text with the "<3>" / "<4>" /
 * "<6>" / "<7>" priority prefixes journald understands (the journal adds the
 * time itself).  Progress lines appear only on a terminal.  Thread-safe: the
 * steps of a parallel run log through one kl_log.
 */
#ifndef KL_LOG_H
#define KL_LOG_H

#include <pthread.h>
#include <stdio.h>

#include "kl_error.h"

typedef enum kl_log_level {
    KL_LOG_ERROR = 3,
    KL_LOG_WARN = 4,
    KL_LOG_INFO = 6,
    KL_LOG_DEBUG = 7
} kl_log_level;

typedef enum kl_log_format { KL_LOG_TEXT = 0, KL_LOG_JSON = 1, KL_LOG_JOURNAL = 2 } kl_log_format;

typedef struct kl_log {
    FILE *out;
    kl_log_level max_level;  /* events above it are dropped (--quiet: WARN, --verbose: DEBUG) */
    kl_log_format format;
    int progress;            /* nonzero: out is a terminal, progress lines allowed */
    int progress_shown;      /* a progress line is on screen (to be overwritten) */
    pthread_mutex_t lock;
} kl_log;

/* Sets up a log on out; json asks for JSON lines (else text, or journal
 * prefixes when $JOURNAL_STREAM matches out). */
void kl_log_init(kl_log *log, FILE *out, kl_log_level max_level, int json);
void kl_log_destroy(kl_log *log);

/* Logs one event; step may be NULL. */
void kl_log_event(kl_log *log, kl_log_level level, const char *step, const char *fmt, ...)
    KL_PRINTF(4, 5);

/* On a terminal, replaces the progress line (no-op elsewhere). */
void kl_log_progress(kl_log *log, const char *fmt, ...) KL_PRINTF(2, 3);

/* Writes s as a JSON string literal (quotes included) to out. */
void kl_json_write_string(FILE *out, const char *s);

#endif /* KL_LOG_H */
