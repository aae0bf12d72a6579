/*
 * main.c -- the `klaster` program: parse the command line, dispatch to the
 * subsystem that does the work, and turn its status into a message on
 * stderr and the exit status.  Nothing else happens here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "klaster.h"
#include "kl_check.h"
#include "kl_compute.h"
#include "kl_log.h"
#include "kl_pipeline.h"
#include "kl_report.h"
#include "kl_run.h"
#include "kl_runs.h"
#include "kl_schedule.h"
#include "kl_alloc.h"
#include "kl_cli.h"
#include "kl_error.h"
#include "kl_io.h"

typedef int (*kl_command_fn)(const kl_cli *cli, kl_error *err);

static void kl_main_csv_opts(const kl_cli *cli, kl_csv_opts *csv)
{
    memset(csv, 0, sizeof *csv);
    csv->delimiter = cli->delimiter;
    csv->max_field = (size_t)cli->max_field;
    csv->source.max_bytes = cli->max_input;
}

static int kl_main_check(const kl_cli *cli, kl_error *err)
{
    kl_check_opts o;
    if (!cli->data_dir)
        return kl_error_set(err, KL_ERR_USAGE, "check needs --data DIR (see klaster help check)");
    if (cli->nargs)
        return kl_error_set(err, KL_ERR_USAGE, "check takes no arguments besides options ('%s')",
                            cli->args[0]);
    memset(&o, 0, sizeof o);
    o.data_dir = cli->data_dir;
    kl_main_csv_opts(cli, &o.csv);
    o.maps = cli->maps;
    o.nmaps = cli->nmaps;
    return kl_check_run(&o, stdout, err);
}

static void kl_main_warn(void *userdata, const char *step, const char *message)
{
    (void)userdata;
    fprintf(stderr, "klaster: warning: %s: %s\n", step, message);
}

/* Where steps come from: plugin and script paths, Lua limits. */
static void kl_main_step_opts(const kl_cli *cli, kl_compute_opts *o)
{
    memset(o, 0, sizeof *o);
    o->plugin_path = cli->plugin_path;
    o->script_path = cli->script_path;
    o->lua.memory = cli->lua_memory;
    o->lua.instructions = cli->lua_instructions;
}

static int kl_main_compute(const kl_cli *cli, kl_error *err)
{
    kl_compute_opts o;
    if (!cli->data_dir)
        return kl_error_set(err, KL_ERR_USAGE, "compute needs --data DIR (see klaster help compute)");
    kl_main_step_opts(cli, &o);
    o.names = cli->args;
    o.nnames = cli->nargs;
    o.data_dir = cli->data_dir;
    o.out_dir = cli->out;
    o.format = cli->format ? kl_format_from_name(cli->format) : KL_FORMAT_CSV;
    if (!o.format)
        return kl_error_set(err, KL_ERR_USAGE, "--format takes csv, csv.gz or jsonl, not '%s'",
                            cli->format);
    kl_main_csv_opts(cli, &o.csv);
    o.skip_bad_rows = cli->skip_bad_rows;
    o.maps = cli->maps;
    o.nmaps = cli->nmaps;
    o.warn = kl_main_warn;
    return kl_compute_run(&o, err);
}

static int kl_main_list(const kl_cli *cli, kl_error *err)
{
    kl_compute_opts o;
    if (cli->nargs)
        return kl_error_set(err, KL_ERR_USAGE, "list takes no arguments ('%s')", cli->args[0]);
    kl_main_step_opts(cli, &o);
    return kl_compute_list(&o, stdout, err);
}

static int kl_main_info(const kl_cli *cli, kl_error *err)
{
    kl_compute_opts o;
    if (cli->nargs != 1)
        return kl_error_set(err, KL_ERR_USAGE, "info takes one NAME (see klaster list)");
    kl_main_step_opts(cli, &o);
    return kl_compute_info(&o, cli->args[0], stdout, err);
}

static int kl_main_run(const kl_cli *cli, kl_error *err)
{
    kl_pipeline p;
    kl_run_opts o;
    kl_log log;
    int rc;

    if (cli->nargs != 1)
        return kl_error_set(err, KL_ERR_USAGE, "run takes one PIPELINE file (see klaster help run)");
    kl_log_init(&log, stderr, cli->quiet ? KL_LOG_WARN : cli->verbose ? KL_LOG_DEBUG : KL_LOG_INFO,
                cli->log_json);
    if ((rc = kl_pipeline_load(&p, cli->args[0], err)) == KL_OK) {
        memset(&o, 0, sizeof o);
        o.jobs = cli->jobs;
        o.if_changed = cli->if_changed;
        o.no_wait = cli->no_wait;
        o.log = &log;
        rc = kl_run_pipeline(&p, &o, NULL, err);
    }
    if (rc != KL_OK && log.format != KL_LOG_TEXT && err->msg[0]) {
        /* In JSON or the journal, the failure is a log event in that shape
         * (so shippers and `journalctl -p err` see it), not a plain line. */
        kl_log_event(&log, KL_LOG_ERROR, NULL, "%s", err->msg);
        err->msg[0] = '\0';
    }
    kl_log_destroy(&log);
    kl_pipeline_free(&p);
    return rc;
}

static int kl_main_history(const kl_cli *cli, kl_error *err)
{
    if (cli->nargs != 1)
        return kl_error_set(err, KL_ERR_USAGE, "history takes one OUT folder (see klaster help history)");
    return kl_runs_history(cli->args[0], stdout, err);
}

static int kl_main_schedule(const kl_cli *cli, kl_error *err)
{
    kl_schedule_opts o;
    kl_pipeline p;
    int rc;
    if (cli->nargs != 1 || !cli->on_calendar)
        return kl_error_set(err, KL_ERR_USAGE,
                            "schedule takes one PIPELINE file and --on-calendar WHEN (see klaster help "
                            "schedule)");
    if (cli->cron && cli->install_dir)
        return kl_error_set(err, KL_ERR_USAGE, "--cron prints a crontab line; --install is for systemd units");
    /* Read the pipeline first: units for a broken file would fail every night. */
    if ((rc = kl_pipeline_load(&p, cli->args[0], err)) == KL_OK) {
        memset(&o, 0, sizeof o);
        o.pipeline = cli->args[0];
        o.name = p.name;
        o.on_calendar = cli->on_calendar;
        o.cron = cli->cron;
        o.install_dir = cli->install_dir;
        rc = kl_schedule_run(&o, stdout, err);
    }
    kl_pipeline_free(&p);
    return rc;
}

static int kl_main_report(const kl_cli *cli, kl_error *err)
{
    kl_report_opts o;
    if (cli->nargs != 1 || !cli->out)
        return kl_error_set(err, KL_ERR_USAGE,
                            "report takes one RUN_DIR and -o FILE.html (see klaster help report)");
    memset(&o, 0, sizeof o);
    o.run_dir = cli->args[0];
    o.out_path = cli->out;
    o.plugin_path = cli->plugin_path;
    o.script_path = cli->script_path;
    o.data_dir = cli->data_dir;
    return kl_report_write(&o, err);
}

static int kl_main_help(const kl_cli *cli, kl_error *err)
{
    if (cli->nargs == 0) {
        kl_cli_print_help(stdout);
        return KL_OK;
    }
    return kl_cli_print_command_help(stdout, cli->args[0], err);
}

static int kl_main_version(const kl_cli *cli, kl_error *err)
{
    (void)cli;
    (void)err;
    printf("klaster %s\n", KLASTER_VERSION);
    return KL_OK;
}

static const struct {
    const char *name;
    kl_command_fn fn;
} kl_main_commands[] = {
    {"check", kl_main_check},
    {"compute", kl_main_compute},
    {"list", kl_main_list},
    {"info", kl_main_info},
    {"run", kl_main_run},
    {"history", kl_main_history},
    {"schedule", kl_main_schedule},
    {"report", kl_main_report},
    {"help", kl_main_help},
    {"version", kl_main_version},
};

int main(int argc, char **argv)
{
    kl_cli cli;
    kl_error err;
    int rc;

    kl_error_clear(&err);
    kl_io_hook_stdout(); /* fault-injection builds only: stdout can fail too */
    rc = kl_cli_parse(&cli, argc, argv, &err);
    if (rc == KL_OK && cli.version && !cli.command) {
        rc = kl_main_version(&cli, &err);
    } else if (rc == KL_OK && (cli.help || !cli.command)) {
        if (cli.command)
            rc = kl_cli_print_command_help(stdout, cli.command, &err);
        else if (cli.help)
            kl_cli_print_help(stdout);
        else {
            kl_cli_print_help(stderr);
            rc = KL_ERR_USAGE;
            err.msg[0] = '\0';
        }
    } else if (rc == KL_OK) {
        for (size_t i = 0; i < sizeof kl_main_commands / sizeof kl_main_commands[0]; i++)
            if (strcmp(kl_main_commands[i].name, cli.command) == 0)
                rc = kl_main_commands[i].fn(&cli, &err);
    }
    /* ferror too: a write that failed in the middle of the output (a full
     * disk) is not repeated by the final fflush, which may then succeed. */
    if ((fflush(stdout) != 0 || ferror(stdout)) && rc == KL_OK)
        rc = kl_error_set(&err, KL_ERR_CANTCREAT, "cannot write to standard output");
    if (rc != KL_OK && err.msg[0])
        fprintf(stderr, "klaster: %s\n", err.msg);
    kl_cli_clear(&cli);
#ifdef KL_FAULT_INJECTION
    /* For `make torture`: how many allocations and output file-system
     * calls (kl_io.h) this run made. */
    if (getenv("KLASTER_ALLOC_REPORT"))
        fprintf(stderr, "klaster: allocations: %lu\nklaster: writes: %lu\n", kl_alloc_count(),
                kl_io_count());
#endif
    return rc;
}
