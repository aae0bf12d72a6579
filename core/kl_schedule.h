/*
 * kl_schedule.h -- `klaster schedule`: the systemd service + timer pair, or
 * the crontab line, that runs a pipeline unattended.
 *
 * Both run `klaster run --if-changed`, so a timer may fire often and the
 * pipeline computes only when its inputs (or steps, or klaster) changed;
 * the run's lock keeps two runs from overlapping.
 */
#ifndef KL_SCHEDULE_H
#define KL_SCHEDULE_H

#include <stdio.h>

#include "kl_error.h"

typedef struct kl_schedule_opts {
    const char *pipeline;     /* the pipeline file (made absolute) */
    const char *name;         /* the pipeline's name: units are klaster-NAME.* */
    const char *on_calendar;  /* systemd OnCalendar= expression */
    int cron;                 /* print a crontab line instead */
    const char *install_dir;  /* write the unit files there instead of printing */
} kl_schedule_opts;

int kl_schedule_run(const kl_schedule_opts *o, FILE *out, kl_error *err);

/* Translates the OnCalendar forms cron can express ("daily", "hourly",
 * "weekly", "monthly", "[Mon,Tue..] *-*-* HH:MM[:00]") into the five cron
 * fields; KL_ERR_USAGE for any other. */
int kl_schedule_cron_fields(const char *on_calendar, char *buf, size_t cap, kl_error *err);

#endif /* KL_SCHEDULE_H */
