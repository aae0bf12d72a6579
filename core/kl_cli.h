/*
 * kl_cli.h -- the command line: options, their parsing, and help texts.
 *
 * main() parses argv into a kl_cli with kl_cli_parse() and dispatches on
 * cli.command; everything about *what* an option means to a subsystem lives
 * in that subsystem.  Keeping the option table here, as data, lets
 * `klaster help COMMAND` list exactly the options the parser accepts.
 */
#ifndef KL_CLI_H
#define KL_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "kl_error.h"
#include "kl_schema.h"

#define KL_CLI_MAX_MAPS 64
#define KL_CLI_MAX_ARGS 64

typedef struct kl_cli {
    const char *command;       /* "check", "help", ... (NULL: none given) */
    const char *args[KL_CLI_MAX_ARGS]; /* positional arguments after the command */
    size_t nargs;
    const char *data_dir;      /* --data */
    const char *out;           /* --out */
    const char *format;        /* --format */
    const char *plugin_path;   /* --plugin-path */
    const char *script_path;   /* --script-path */
    uint64_t lua_memory;       /* --lua-memory, 0 = default */
    uint64_t lua_instructions; /* --lua-instructions, 0 = default */
    char delimiter;            /* --delimiter, 0 = detect */
    uint64_t max_field;        /* --max-field-size, 0 = default */
    uint64_t max_input;        /* --max-input-size, 0 = default */
    int skip_bad_rows;         /* --skip-bad-rows */
    int if_changed;            /* --if-changed */
    int no_wait;               /* --no-wait */
    unsigned jobs;             /* --jobs, 0 = the number of cores */
    int quiet, verbose;        /* --quiet, --verbose */
    int log_json;              /* --log-format json */
    const char *on_calendar;   /* --on-calendar */
    int cron;                  /* --cron */
    const char *install_dir;   /* --install */
    int help;                  /* --help */
    int version;               /* --version */
    kl_colmap maps[KL_CLI_MAX_MAPS]; /* --map */
    size_t nmaps;
} kl_cli;

/* Parses argv; on a usage error returns KL_ERR_USAGE with err set.
 * Release with kl_cli_clear(). */
int kl_cli_parse(kl_cli *cli, int argc, char **argv, kl_error *err);
void kl_cli_clear(kl_cli *cli);

/* Prints the overall help, or one command's help (KL_ERR_USAGE if unknown). */
void kl_cli_print_help(FILE *out);
int kl_cli_print_command_help(FILE *out, const char *command, kl_error *err);

/* Parses "123", "64K", "16M", "2G" (binary multiples) into bytes. */
int kl_cli_parse_size(const char *text, uint64_t *out);

#endif /* KL_CLI_H */
