/*
 * kl_log.c -- run logs (see kl_log.h).
 */
#include "kl_log.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* systemd sets JOURNAL_STREAM=DEV:INODE for a stream connected to the
 * journal; compare with out's own device and inode. */
static int kl_log_to_journal(FILE *out)
{
    const char *js = getenv("JOURNAL_STREAM");
    unsigned long long dev, ino;
    struct stat st;
    if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || fstat(fileno(out), &st) != 0)
        return 0;
    return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void kl_log_init(kl_log *log, FILE *out, kl_log_level max_level, int json)
{
    memset(log, 0, sizeof *log);
    log->out = out;
    log->max_level = max_level;
    log->format = json ? KL_LOG_JSON : kl_log_to_journal(out) ? KL_LOG_JOURNAL : KL_LOG_TEXT;
    log->progress = log->format == KL_LOG_TEXT && isatty(fileno(out));
    pthread_mutex_init(&log->lock, NULL);
}

void kl_log_destroy(kl_log *log)
{
    if (log->progress_shown)
        fputc('\n', log->out);
    pthread_mutex_destroy(&log->lock);
}

static const char *kl_log_level_name(kl_log_level level)
{
    switch (level) {
    case KL_LOG_ERROR:
        return "error";
    case KL_LOG_WARN:
        return "warning";
    case KL_LOG_INFO:
        return "info";
    default:
        return "debug";
    }
}

void kl_json_write_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"':
            fputs("\\\"", out);
            break;
        case '\\':
            fputs("\\\\", out);
            break;
        case '\n':
            fputs("\\n", out);
            break;
        case '\r':
            fputs("\\r", out);
            break;
        case '\t':
            fputs("\\t", out);
            break;
        default:
            if (*p < 0x20)
                fprintf(out, "\\u%04x", *p);
            else
                fputc(*p, out);
        }
    }
    fputc('"', out);
}

static void kl_log_time(char *buf, size_t cap)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void kl_log_event(kl_log *log, kl_log_level level, const char *step, const char *fmt, ...)
{
    char msg[2048], when[32];
    va_list ap;

    if (!log || level > log->max_level)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    kl_log_time(when, sizeof when);
    pthread_mutex_lock(&log->lock);
    if (log->progress_shown) {
        fputs("\r\033[K", log->out);
        log->progress_shown = 0;
    }
    switch (log->format) {
    case KL_LOG_JSON:
        fprintf(log->out, "{\"time\":\"%s\",\"level\":\"%s\",\"step\":", when, kl_log_level_name(level));
        if (step)
            kl_json_write_string(log->out, step);
        else
            fputs("null", log->out);
        fputs(",\"message\":", log->out);
        kl_json_write_string(log->out, msg);
        fputs("}\n", log->out);
        break;
    case KL_LOG_JOURNAL:
        fprintf(log->out, "<%d>%s%s%s%s\n", (int)level, step ? "[" : "", step ? step : "",
                step ? "] " : "", msg);
        break;
    case KL_LOG_TEXT:
        fprintf(log->out, "%s %-7s %s%s%s%s\n", when, kl_log_level_name(level), step ? "[" : "",
                step ? step : "", step ? "] " : "", msg);
        break;
    }
    fflush(log->out);
    pthread_mutex_unlock(&log->lock);
}

void kl_log_progress(kl_log *log, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    if (!log || !log->progress || log->max_level < KL_LOG_INFO)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&log->lock);
    fprintf(log->out, "\r\033[K%s", msg);
    fflush(log->out);
    log->progress_shown = 1;
    pthread_mutex_unlock(&log->lock);
}
