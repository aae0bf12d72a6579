/*
 * kl_cli.c -- command-line parsing and help (see kl_cli.h).
 *
 * Commands and options are two tables of data.  Each option names the
 * commands it applies to, so giving `--out` to `check` is a clear usage
 * error instead of being silently ignored, and `klaster help check` prints
 * exactly the options `check` takes.
 */
#include "kl_cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "klaster.h"
#include "kl_csv.h"
#include "kl_source.h"

enum {
    KL_CMD_CHECK = 1 << 0,
    KL_CMD_COMPUTE = 1 << 1,
    KL_CMD_LIST = 1 << 2,
    KL_CMD_INFO = 1 << 3,
    KL_CMD_RUN = 1 << 4,
    KL_CMD_HISTORY = 1 << 5,
    KL_CMD_SCHEDULE = 1 << 6,
    KL_CMD_REPORT = 1 << 7,
    KL_CMD_DATA = KL_CMD_CHECK | KL_CMD_COMPUTE
};

typedef struct kl_cli_command {
    const char *name;
    unsigned mask;
    const char *synopsis;
    const char *description;
} kl_cli_command;

static const kl_cli_command kl_cli_commands[] = {
    {"check", KL_CMD_CHECK, "klaster check --data DIR [options]",
     "Validates the datasets in DIR (firms, exports, regions, clusters; each\n"
     "NAME.csv or NAME.tsv, optionally gzip-compressed as NAME.csv.gz) against the\n"
     "canonical schema and prints a data-quality report per dataset: rows,\n"
     "columns found and missing, missing cells per column, rows with bad values\n"
     "(the first few with file:line:column), duplicate rows, export rows the\n"
     "indicators ignore, and the years and regions covered with gaps named.\n"
     "Exits 0 when the data can be used (warnings do not fail), 65 when a dataset\n"
     "has bad rows, duplicates or lacks a required column, 66 when DIR or every\n"
     "dataset is missing."},
    {"compute", KL_CMD_COMPUTE,
     "klaster compute NAME... --data DIR [--out OUT] [options]",
     "Computes the named indicators (C plugins or Lua scripts; see klaster list)\n"
     "over the datasets in DIR, first running any step they read, and writes\n"
     "OUT/NAME.csv (or .csv.gz, .jsonl) for each named one.  Only the columns the\n"
     "steps declare are loaded.  Results are written to temporary files and renamed\n"
     "into place only when every step has succeeded: a failed step publishes\n"
     "nothing.  Without --out, the one named indicator goes to standard output."},
    {"list", KL_CMD_LIST, "klaster list [--plugin-path DIRS] [--script-path DIRS]",
     "Lists every plugin and script found, with its version, what it reads and what\n"
     "it writes.  Plugins are searched in --plugin-path (folders separated by ':'),\n"
     "then $KLASTER_PLUGIN_PATH, then the built-in plugin folder; Lua scripts in\n"
     "--script-path (folders or .lua files), then $KLASTER_SCRIPT_PATH, then the\n"
     "built-in script folder (docs/lua.md)."},
    {"info", KL_CMD_INFO, "klaster info NAME [--plugin-path DIRS] [--script-path DIRS]",
     "Shows one plugin or script in full: its methodology, inputs, and every output\n"
     "column with its type, unit and meaning."},
    {"run", KL_CMD_RUN, "klaster run PIPELINE [--if-changed] [--no-wait] [--jobs N]",
     "Runs a pipeline file (docs/pipelines.md): loads each dataset once, runs the\n"
     "steps as a graph (independent steps in parallel), and writes every output and\n"
     "a manifest.json into OUT/runs/<run-id>/.  Only when every step succeeded does\n"
     "OUT/latest switch to the new run, atomically; a failed run keeps its folder\n"
     "and manifest for diagnosis.  A step whose input failed is skipped.  Two runs\n"
     "of one pipeline never overlap: the second waits (or, with --no-wait, exits\n"
     "75).  With --if-changed, nothing is computed (exit 0) when the inputs, the\n"
     "steps and klaster are the same as for the last good run.  Logs go to stderr."},
    {"history", KL_CMD_HISTORY, "klaster history OUT",
     "Lists the runs in the output folder OUT, newest first: id, status, duration\n"
     "and what changed since the run before.  '*' marks the run OUT/latest points at."},
    {"schedule", KL_CMD_SCHEDULE,
     "klaster schedule PIPELINE --on-calendar WHEN [--cron | --install DIR]",
     "Prints a systemd service and timer that run the pipeline at WHEN (systemd\n"
     "OnCalendar syntax, e.g. 'Mon *-*-* 03:00' or 'daily'), or with --cron the\n"
     "equivalent crontab line; both use `klaster run --if-changed`.  --install DIR\n"
     "writes the two unit files into DIR (e.g. /etc/systemd/system)."},
    {"report", KL_CMD_REPORT, "klaster report RUN_DIR -o FILE.html [--data DIR]",
     "Writes one self-contained HTML page (no network, no external files; prints\n"
     "on A4) from a run folder such as OUT/latest: a headline table per region for\n"
     "the latest year with the change since the year before, a bar chart across\n"
     "regions and small-multiple line charts per cluster for each mission\n"
     "indicator, the cluster efficiency ranking with each cluster's stage and type,\n"
     "data quality (as klaster check reports it), the run's provenance, and every\n"
     "indicator's definition as its plugin or script describes itself.  The data\n"
     "folder, plugin path and script path default to those of the pipeline file\n"
     "the run's manifest names.  A pipeline's `report` setting makes klaster run\n"
     "write it into every run folder (docs/report.md)."},
    {"help", 0, "klaster help [COMMAND]", "Shows the overall help, or one command's help."},
    {"version", 0, "klaster version", "Prints klaster's version and plugin ABI version."},
};

typedef struct kl_cli_option {
    const char *name;    /* without the leading -- */
    const char *arg;     /* NULL for a flag */
    unsigned commands;   /* KL_CMD_* it applies to */
    const char *help;
} kl_cli_option;

static const kl_cli_option kl_cli_options[] = {
    {"data", "DIR", KL_CMD_DATA | KL_CMD_REPORT, "folder holding the datasets"},
    {"map", "DATASET.COLUMN=NAME", KL_CMD_DATA,
     "read canonical COLUMN of DATASET from your column NAME\n"
     "        (repeatable), e.g. --map firms.employees=headcount"},
    {"delimiter", "CHAR", KL_CMD_DATA,
     "field delimiter: ',' ';' or 'tab' (default: detected from the header)"},
    {"max-field-size", "BYTES", KL_CMD_DATA,
     "largest accepted field (default 1M; suffixes K, M, G)"},
    {"max-input-size", "BYTES", KL_CMD_DATA,
     "largest accepted decompressed input file (default 16G)"},
    {"skip-bad-rows", NULL, KL_CMD_COMPUTE,
     "skip and count rows with bad values instead of failing"},
    {"if-changed", NULL, KL_CMD_RUN,
     "do nothing (exit 0) when inputs, steps and klaster are unchanged"},
    {"no-wait", NULL, KL_CMD_RUN, "exit 75 at once if another run holds the lock"},
    {"jobs", "N", KL_CMD_RUN, "steps run at once (default: the number of cores)"},
    {"quiet", NULL, KL_CMD_RUN, "log only warnings and errors"},
    {"verbose", NULL, KL_CMD_RUN, "log debug events too"},
    {"log-format", "FORMAT", KL_CMD_RUN, "text (default) or json (one object per line)"},
    {"on-calendar", "WHEN", KL_CMD_SCHEDULE, "systemd OnCalendar expression, e.g. 'Mon *-*-* 03:00'"},
    {"cron", NULL, KL_CMD_SCHEDULE, "print a crontab line instead of systemd units"},
    {"install", "DIR", KL_CMD_SCHEDULE, "write the service and timer files into DIR"},
    {"out", "DIR", KL_CMD_COMPUTE | KL_CMD_REPORT,
     "folder for the results (created if missing); for report, the HTML file\n"
     "        (also -o FILE)"},
    {"format", "FORMAT", KL_CMD_COMPUTE, "csv (default), csv.gz or jsonl"},
    {"plugin-path", "DIRS", KL_CMD_COMPUTE | KL_CMD_LIST | KL_CMD_INFO | KL_CMD_REPORT,
     "extra plugin folders, separated by ':'"},
    {"script-path", "DIRS", KL_CMD_COMPUTE | KL_CMD_LIST | KL_CMD_INFO | KL_CMD_REPORT,
     "extra Lua script folders or .lua files, separated by ':'"},
    {"lua-memory", "BYTES", KL_CMD_COMPUTE | KL_CMD_LIST | KL_CMD_INFO,
     "memory each Lua script may use (default 256M; suffixes K, M, G)"},
    {"lua-instructions", "N", KL_CMD_COMPUTE | KL_CMD_LIST | KL_CMD_INFO,
     "Lua instructions a script may run per load and per compute\n"
     "        (default 1000000000)"},
};

#define KL_N(a) (sizeof(a) / sizeof((a)[0]))

static const kl_cli_command *kl_cli_find_command(const char *name)
{
    for (size_t i = 0; i < KL_N(kl_cli_commands); i++)
        if (strcmp(kl_cli_commands[i].name, name) == 0)
            return &kl_cli_commands[i];
    return NULL;
}

int kl_cli_parse_size(const char *text, uint64_t *out)
{
    char *end;
    unsigned long long v;
    unsigned shift = 0;

    if (!text || !*text || *text == '-')
        return 0;
    errno = 0;
    v = strtoull(text, &end, 10);
    if (errno || end == text)
        return 0;
    switch (*end) {
    case '\0':
        break;
    case 'k': case 'K':
        shift = 10;
        end++;
        break;
    case 'm': case 'M':
        shift = 20;
        end++;
        break;
    case 'g': case 'G':
        shift = 30;
        end++;
        break;
    default:
        return 0;
    }
    if (*end == 'i' || *end == 'B')
        end += (*end == 'i' && end[1] == 'B') ? 2 : 1;
    if (*end != '\0' || v == 0 || (shift && v > (UINT64_MAX >> shift)))
        return 0;
    *out = (uint64_t)v << shift;
    return 1;
}

/* A positive decimal count (--lua-instructions). */
static int kl_cli_parse_count(const char *v, uint64_t *out, kl_error *err)
{
    char *end;
    unsigned long long n;
    errno = 0;
    n = strtoull(v, &end, 10);
    if (*v < '0' || *v > '9' || errno || *end || n == 0)
        return kl_error_set(err, KL_ERR_USAGE, "--lua-instructions takes a positive whole number "
                            "such as 1000000000, not '%s'", v);
    *out = n;
    return KL_OK;
}

static int kl_cli_set_delimiter(kl_cli *cli, const char *v, kl_error *err)
{
    if (strcmp(v, ",") == 0 || strcmp(v, "comma") == 0)
        cli->delimiter = ',';
    else if (strcmp(v, ";") == 0 || strcmp(v, "semicolon") == 0)
        cli->delimiter = ';';
    else if (strcmp(v, "tab") == 0 || strcmp(v, "\t") == 0 || strcmp(v, "\\t") == 0)
        cli->delimiter = '\t';
    else
        return kl_error_set(err, KL_ERR_USAGE,
                            "--delimiter takes ',', ';' or 'tab', not '%s'", v);
    return KL_OK;
}

/* Stores the value of option o. */
static int kl_cli_apply(kl_cli *cli, const kl_cli_option *o, const char *v, kl_error *err)
{
    const char *n = o->name;
    if (strcmp(n, "data") == 0)
        cli->data_dir = v;
    else if (strcmp(n, "map") == 0) {
        if (cli->nmaps == KL_CLI_MAX_MAPS)
            return kl_error_set(err, KL_ERR_USAGE, "too many --map options (at most %d)",
                                KL_CLI_MAX_MAPS);
        if (kl_colmap_parse(&cli->maps[cli->nmaps], v, err) != KL_OK)
            return err->status;
        cli->nmaps++;
    } else if (strcmp(n, "delimiter") == 0)
        return kl_cli_set_delimiter(cli, v, err);
    else if (strcmp(n, "max-field-size") == 0 || strcmp(n, "max-input-size") == 0) {
        uint64_t *dst = n[4] == 'f' ? &cli->max_field : &cli->max_input;
        if (!kl_cli_parse_size(v, dst))
            return kl_error_set(err, KL_ERR_USAGE,
                                "--%s takes a size in bytes such as 4096, 64K, 16M or 2G, not '%s'",
                                n, v);
    } else if (strcmp(n, "skip-bad-rows") == 0)
        cli->skip_bad_rows = 1;
    else if (strcmp(n, "if-changed") == 0)
        cli->if_changed = 1;
    else if (strcmp(n, "no-wait") == 0)
        cli->no_wait = 1;
    else if (strcmp(n, "quiet") == 0)
        cli->quiet = 1;
    else if (strcmp(n, "verbose") == 0)
        cli->verbose = 1;
    else if (strcmp(n, "cron") == 0)
        cli->cron = 1;
    else if (strcmp(n, "on-calendar") == 0)
        cli->on_calendar = v;
    else if (strcmp(n, "install") == 0)
        cli->install_dir = v;
    else if (strcmp(n, "log-format") == 0) {
        if (strcmp(v, "json") != 0 && strcmp(v, "text") != 0)
            return kl_error_set(err, KL_ERR_USAGE, "--log-format takes text or json, not '%s'", v);
        cli->log_json = strcmp(v, "json") == 0;
    } else if (strcmp(n, "jobs") == 0) {
        char *end;
        unsigned long j = strtoul(v, &end, 10);
        if (*v == '\0' || *end != '\0' || j < 1 || j > 64)
            return kl_error_set(err, KL_ERR_USAGE, "--jobs takes a number from 1 to 64, not '%s'", v);
        cli->jobs = (unsigned)j;
    }
    else if (strcmp(n, "out") == 0)
        cli->out = v;
    else if (strcmp(n, "format") == 0)
        cli->format = v;
    else if (strcmp(n, "plugin-path") == 0)
        cli->plugin_path = v;
    else if (strcmp(n, "script-path") == 0)
        cli->script_path = v;
    else if (strcmp(n, "lua-memory") == 0) {
        if (!kl_cli_parse_size(v, &cli->lua_memory))
            return kl_error_set(err, KL_ERR_USAGE,
                                "--lua-memory takes a size in bytes such as 64M or 1G, not '%s'", v);
    } else if (strcmp(n, "lua-instructions") == 0)
        return kl_cli_parse_count(v, &cli->lua_instructions, err);
    return KL_OK;
}

static const kl_cli_option *kl_cli_find_option(const char *name, size_t len)
{
    for (size_t i = 0; i < KL_N(kl_cli_options); i++)
        if (strlen(kl_cli_options[i].name) == len && strncmp(kl_cli_options[i].name, name, len) == 0)
            return &kl_cli_options[i];
    return NULL;
}

/* Handles argv[*i] = "--name[=value]"; advances *i past a separate value. */
static int kl_cli_long_option(kl_cli *cli, int argc, char **argv, int *i,
                              const kl_cli_option **used, size_t *nused, kl_error *err)
{
    const char *a = argv[*i] + 2;
    const char *eq = strchr(a, '=');
    size_t len = eq ? (size_t)(eq - a) : strlen(a);
    const kl_cli_option *o = kl_cli_find_option(a, len);
    const char *value = NULL;

    if (!o)
        return kl_error_set(err, KL_ERR_USAGE, "unknown option '%s' (see klaster --help)", argv[*i]);
    if (o->arg) {
        if (eq)
            value = eq + 1;
        else if (*i + 1 < argc)
            value = argv[++*i];
        else
            return kl_error_set(err, KL_ERR_USAGE, "option --%s needs a value (%s)", o->name,
                                o->arg);
    } else if (eq) {
        return kl_error_set(err, KL_ERR_USAGE, "option --%s takes no value", o->name);
    }
    if (*nused < KL_CLI_MAX_ARGS)
        used[(*nused)++] = o;
    return kl_cli_apply(cli, o, value, err);
}

/* Every option given must apply to the command. */
static int kl_cli_check_options(const kl_cli *cli, const kl_cli_option *const *used, size_t nused,
                                kl_error *err)
{
    const kl_cli_command *c = kl_cli_find_command(cli->command);
    for (size_t i = 0; i < nused; i++)
        if (!(used[i]->commands & c->mask))
            return kl_error_set(err, KL_ERR_USAGE,
                                "option --%s does not apply to '%s' (see klaster help %s)",
                                used[i]->name, cli->command, cli->command);
    return KL_OK;
}

int kl_cli_parse(kl_cli *cli, int argc, char **argv, kl_error *err)
{
    const kl_cli_option *used[KL_CLI_MAX_ARGS];
    size_t nused = 0;
    int only_args = 0;

    memset(cli, 0, sizeof *cli);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!only_args && (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)) {
            cli->help = 1;
        } else if (!only_args && (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0)) {
            cli->version = 1;
        } else if (!only_args && strcmp(a, "--") == 0) {
            only_args = 1;
        } else if (!only_args && a[0] == '-' && a[1] == '-') {
            if (kl_cli_long_option(cli, argc, argv, &i, used, &nused, err) != KL_OK)
                return err->status;
        } else if (!only_args && strcmp(a, "-o") == 0) { /* short for --out */
            const kl_cli_option *o = kl_cli_find_option("out", 3);
            if (i + 1 >= argc)
                return kl_error_set(err, KL_ERR_USAGE, "option -o needs a value (FILE)");
            if (nused < KL_CLI_MAX_ARGS)
                used[nused++] = o;
            cli->out = argv[++i];
        } else if (!only_args && a[0] == '-' && a[1] != '\0') {
            return kl_error_set(err, KL_ERR_USAGE, "unknown option '%s' (see klaster --help)", a);
        } else if (!cli->command) {
            cli->command = a;
        } else if (cli->nargs < KL_CLI_MAX_ARGS) {
            cli->args[cli->nargs++] = a;
        } else {
            return kl_error_set(err, KL_ERR_USAGE, "too many arguments");
        }
    }
    if (cli->command && !kl_cli_find_command(cli->command))
        return kl_error_set(err, KL_ERR_USAGE, "unknown command '%s' (see klaster --help)",
                            cli->command);
    if (cli->command && !cli->help)
        return kl_cli_check_options(cli, used, nused, err);
    return KL_OK;
}

void kl_cli_clear(kl_cli *cli)
{
    for (size_t i = 0; i < cli->nmaps; i++)
        kl_colmap_clear(&cli->maps[i]);
    cli->nmaps = 0;
}

static const char kl_cli_exit_statuses[] =
    "Exit status:\n"
    "  0   success\n"
    "  64  usage error: bad command line, unknown indicator, unloadable plugin\n"
    "  65  bad input data (format, values, limits); the message names file:line:column\n"
    "  66  an input file or folder does not exist or cannot be read\n"
    "  70  internal error (a bug, or out of memory)\n"
    "  73  an output cannot be created or written\n"
    "  74  an I/O error while reading\n"
    "  75  temporary failure: try again later\n";

void kl_cli_print_help(FILE *out)
{
    fprintf(out,
            "klaster %s -- measures what regional economic clusters deliver\n"
            "\n"
            "Usage: klaster COMMAND [options]\n"
            "\n"
            "Commands:\n",
            KLASTER_VERSION);
    for (size_t i = 0; i < KL_N(kl_cli_commands); i++)
        fprintf(out, "  %s\n", kl_cli_commands[i].synopsis);
    fprintf(out,
            "\n"
            "Options for everything:\n"
            "  -h, --help     this help (klaster help COMMAND for one command)\n"
            "  -V, --version  the version\n"
            "\n%s"
            "\nDocumentation: docs/cli.md, docs/data.md\n",
            kl_cli_exit_statuses);
}

int kl_cli_print_command_help(FILE *out, const char *command, kl_error *err)
{
    const kl_cli_command *c = kl_cli_find_command(command);
    int any = 0;

    if (!c)
        return kl_error_set(err, KL_ERR_USAGE, "unknown command '%s' (see klaster --help)", command);
    fprintf(out, "Usage: %s\n\n%s\n", c->synopsis, c->description);
    for (size_t i = 0; i < KL_N(kl_cli_options); i++) {
        const kl_cli_option *o = &kl_cli_options[i];
        if (!(o->commands & c->mask))
            continue;
        if (!any++)
            fprintf(out, "\nOptions:\n");
        fprintf(out, "  --%s%s%s\n        %s\n", o->name, o->arg ? " " : "", o->arg ? o->arg : "",
                o->help);
    }
    fprintf(out, "\n%s", kl_cli_exit_statuses);
    return KL_OK;
}
