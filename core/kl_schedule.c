/*
 * kl_schedule.c -- systemd units and crontab lines for a pipeline (see
 * kl_schedule.h).
 */
#include "kl_schedule.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "klaster.h"
#include "kl_writer.h"

/* A unit-name-safe form of the pipeline's name (or file name, without the
 * folder and extension). */
static void kl_schedule_name(const char *path, char *buf, size_t cap)
{
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    size_t len = strcspn(base, ".");
    if (len >= cap)
        len = cap - 1;
    for (size_t i = 0; i < len; i++)
        buf[i] = isalnum((unsigned char)base[i]) || base[i] == '-' || base[i] == '_' ? base[i] : '-';
    buf[len] = '\0';
}

/* A weekday name as systemd writes it (Mon or Monday, any case): 0-6, or -1. */
static int kl_schedule_day(const char *p, size_t n)
{
    static const char *const days[] = {"Sunday", "Monday", "Tuesday", "Wednesday",
                                       "Thursday", "Friday", "Saturday"};
    for (int i = 0; i < 7; i++)
        if ((n == 3 || n == strlen(days[i])) && strncasecmp(p, days[i], n) == 0)
            return i;
    return -1;
}

/* "Mon,Wed..Fri" -> "1,3-5"; 0 when it is not such a list. */
static int kl_schedule_weekdays(const char *spec, size_t len, char *out, size_t cap)
{
    size_t o = 0;
    const char *p = spec, *end = spec + len;
    while (p < end) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *item_end = comma ? comma : end;
        const char *dots = memchr(p, '.', (size_t)(item_end - p));
        int a, b;
        if (dots) {
            if (dots + 1 >= item_end || dots[1] != '.')
                return 0;
            a = kl_schedule_day(p, (size_t)(dots - p));
            b = kl_schedule_day(dots + 2, (size_t)(item_end - dots - 2));
            if (a < 0 || b < 0 || b < a || o + 8 >= cap)
                return 0;
            o += (size_t)snprintf(out + o, cap - o, "%s%d-%d", o ? "," : "", a, b);
        } else {
            a = kl_schedule_day(p, (size_t)(item_end - p));
            if (a < 0 || o + 4 >= cap)
                return 0;
            o += (size_t)snprintf(out + o, cap - o, "%s%d", o ? "," : "", a);
        }
        p = comma ? comma + 1 : end;
    }
    return o > 0;
}

/* Writes s quoted for a systemd command line: "..." with \ and " escaped
 * and % doubled (systemd expands %-specifiers). */
static void kl_schedule_quote_systemd(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', out);
        if (*s == '%')
            fputc('%', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

/* Writes s quoted for a crontab command: '...' with ' written as '\'' and %
 * escaped (cron turns a bare % into a newline). */
static void kl_schedule_quote_cron(FILE *out, const char *s)
{
    fputc('\'', out);
    for (; *s; s++) {
        if (*s == '\'')
            fputs("'\\''", out);
        else if (*s == '%')
            fputs("\\%", out);
        else
            fputc(*s, out);
    }
    fputc('\'', out);
}

int kl_schedule_cron_fields(const char *cal, char *buf, size_t cap, kl_error *err)
{
    char dow[32] = "*";
    const char *p = cal, *date;
    int h, m, s = 0, n = 0;

    if (strcmp(cal, "hourly") == 0)
        return snprintf(buf, cap, "0 * * * *"), KL_OK;
    if (strcmp(cal, "daily") == 0)
        return snprintf(buf, cap, "0 0 * * *"), KL_OK;
    if (strcmp(cal, "weekly") == 0)
        return snprintf(buf, cap, "0 0 * * 1"), KL_OK;
    if (strcmp(cal, "monthly") == 0)
        return snprintf(buf, cap, "0 0 1 * *"), KL_OK;
    date = strstr(cal, "*-*-* ");
    if (!date)
        goto unsupported;
    if (date != cal) {
        size_t len = (size_t)(date - cal);
        while (len && cal[len - 1] == ' ')
            len--;
        if (!kl_schedule_weekdays(cal, len, dow, sizeof dow))
            goto unsupported;
    }
    p = date + 6;
    if (sscanf(p, "%d:%d:%d%n", &h, &m, &s, &n) != 3 && (s = 0, sscanf(p, "%d:%d%n", &h, &m, &n) != 2))
        goto unsupported;
    if (p[n] != '\0' || h < 0 || h > 23 || m < 0 || m > 59 || s != 0)
        goto unsupported;
    snprintf(buf, cap, "%d %d * * %s", m, h, dow);
    return KL_OK;
unsupported:
    return kl_error_set(err, KL_ERR_USAGE,
                        "cannot express OnCalendar '%s' as a crontab line: use hourly, daily, weekly, "
                        "monthly or '[Mon,Tue,...] *-*-* HH:MM' (or use the systemd timer)", cal);
}

static void kl_schedule_service(FILE *out, const char *name, const char *exe, const char *pipeline,
                                const char *dir)
{
    fprintf(out,
            "[Unit]\n"
            "Description=klaster pipeline %s\n"
            "\n"
            "[Service]\n"
            "Type=oneshot\n"
            "WorkingDirectory=",
            name);
    /* A path setting, not a command line: no quotes, only %% for %. */
    for (const char *c = dir; *c; c++)
        fputs(*c == '%' ? "%%" : (char[]){*c, 0}, out);
    fputs("\n# Runs only when inputs, steps or klaster changed; a second run waits for the first.\n"
          "ExecStart=", out);
    kl_schedule_quote_systemd(out, exe);
    fputs(" run --if-changed ", out);
    kl_schedule_quote_systemd(out, pipeline);
    fputs("\nNice=10\n"
          "IOSchedulingClass=idle\n"
          "# klaster's log lines carry <3>/<4>/<6> priorities the journal understands.\n"
          "StandardError=journal\n",
          out);
}

static void kl_schedule_timer(FILE *out, const char *name, const char *cal)
{
    fprintf(out,
            "[Unit]\n"
            "Description=Run klaster pipeline %s on schedule\n"
            "\n"
            "[Timer]\n"
            "OnCalendar=%s\n"
            "# A run missed while the machine was off happens at the next boot.\n"
            "Persistent=true\n"
            "\n"
            "[Install]\n"
            "WantedBy=timers.target\n",
            name, cal);
}

static int kl_schedule_install(const char *dir, const char *file, char *text, size_t len,
                               FILE *out, kl_error *err)
{
    char path[PATH_MAX];
    int rc;
    snprintf(path, sizeof path, "%s/%s", dir, file);
    rc = kl_write_file_atomic(path, text, len, err);
    if (rc == KL_OK)
        fprintf(out, "wrote %s\n", path);
    return rc;
}

int kl_schedule_run(const kl_schedule_opts *o, FILE *out, kl_error *err)
{
    char pipeline[PATH_MAX], exe[PATH_MAX], dir[PATH_MAX], name[128], unit[160];
    char *svc = NULL, *tmr = NULL;
    size_t svc_len = 0, tmr_len = 0;
    FILE *fs, *ft;
    ssize_t n;
    int rc = KL_OK;

    for (const char *c = o->on_calendar; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            return kl_error_set(err, KL_ERR_USAGE, "--on-calendar must be one line of text");
    if (!realpath(o->pipeline, pipeline))
        return kl_error_set(err, KL_ERR_NOINPUT, "%s: %s", o->pipeline, strerror(errno));
    n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return kl_error_set(err, KL_ERR_INTERNAL, "cannot find the klaster program's path");
    exe[n] = '\0';
    memcpy(dir, pipeline, sizeof dir);
    *strrchr(dir, '/') = '\0';
    kl_schedule_name(o->name ? o->name : pipeline, name, sizeof name);
    if (o->cron) {
        char fields[64];
        if ((rc = kl_schedule_cron_fields(o->on_calendar, fields, sizeof fields, err)) != KL_OK)
            return rc;
        fprintf(out,
                "# klaster pipeline %s: runs only when inputs, steps or klaster changed;\n"
                "# --quiet keeps cron's mail to warnings and errors.\n"
                "%s cd ",
                name, fields);
        kl_schedule_quote_cron(out, dir);
        fputs(" && ", out);
        kl_schedule_quote_cron(out, exe);
        fputs(" run --if-changed --quiet ", out);
        kl_schedule_quote_cron(out, pipeline);
        fputc('\n', out);
        return KL_OK;
    }
    snprintf(unit, sizeof unit, "klaster-%s", name);
    fs = open_memstream(&svc, &svc_len);
    ft = open_memstream(&tmr, &tmr_len);
    if (!fs || !ft) {
        if (fs)
            fclose(fs);
        if (ft)
            fclose(ft);
        free(svc);
        free(tmr);
        return kl_error_oom(err, "writing units");
    }
    kl_schedule_service(fs, name, exe, pipeline, dir);
    kl_schedule_timer(ft, name, o->on_calendar);
    fclose(fs);
    fclose(ft);
    if (o->install_dir) {
        char file[200];
        snprintf(file, sizeof file, "%s.service", unit);
        rc = kl_schedule_install(o->install_dir, file, svc, svc_len, out, err);
        snprintf(file, sizeof file, "%s.timer", unit);
        if (rc == KL_OK)
            rc = kl_schedule_install(o->install_dir, file, tmr, tmr_len, out, err);
        if (rc == KL_OK)
            fprintf(out, "enable with: systemctl daemon-reload && systemctl enable --now %s.timer\n",
                    unit);
    } else {
        fprintf(out, "# %s.service\n%s\n# %s.timer\n%s", unit, svc, unit, tmr);
    }
    free(svc);
    free(tmr);
    return rc;
}
