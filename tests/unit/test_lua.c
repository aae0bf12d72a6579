/*
 * test_lua.c -- unit tests of the Lua bridge (core/kl_lua*.c): descriptors
 * made from indicator{}, the k API (tests/lua/good/api.lua checks itself
 * with asserts), emit conversions, objects kept across compute calls,
 * per-call budgets, the script path, the trampoline pool, and every hostile
 * and broken script of tests/lua/ run in-process -- after each failure the
 * next step (and the same script again) must still run.
 *
 * The scripts of tests/lua/ carry their expectations as comments
 * ("-- expect-status: 70", "-- expect-error: ...", "-- limits: ..."), read
 * here and by tests/e2e/lua.sh alike.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>

#include "kt.h"
#include "kl_alloc.h"
#include "kl_cli.h"
#include "kl_dataset.h"
#include "kl_lua.h"
#include "kl_step.h"

#define LT_DATA "tests/fixtures/lua/data"

/* ---- helpers ----------------------------------------------------------- */

/* Loads the named datasets of the fixture into a fresh workspace. */
static void lt_workspace(kl_workspace *ws, const char *const *names)
{
    kl_error err;
    kl_error_clear(&err);
    KT_EQ_INT(kl_workspace_init(ws, &err), KL_OK);
    for (; *names; names++) {
        char *path = NULL;
        kl_table *t = NULL;
        KT_EQ_INT(kl_dataset_find(LT_DATA, *names, &path, &err), KL_OK);
        if (kl_dataset_load(&t, kl_schema_find(*names), path, ws->pool, NULL, NULL, &err) != KL_OK)
            kt_fail(__FILE__, __LINE__, "%s", err.msg);
        kl_free(path);
        KT_EQ_INT(kl_workspace_add(ws, t, &err), KL_OK);
    }
}

static const char *const lt_all[] = {"firms", "regions", "exports", NULL};

/* Warnings of the last run, one per line. */
static char lt_warnings[65536];

static void lt_warn(void *ud, const char *step, const char *message)
{
    size_t n = strlen(lt_warnings);
    (void)ud;
    snprintf(lt_warnings + n, sizeof lt_warnings - n, "%s: %s\n", step, message);
}

static int lt_run(const kl_step_def *def, kl_workspace *ws, kl_table **out, kl_error *err)
{
    kl_step_opts o;
    memset(&o, 0, sizeof o);
    o.warn = lt_warn;
    lt_warnings[0] = '\0';
    kl_error_clear(err);
    return kl_step_run(def, ws, &o, out, err);
}

static void lt_open(const char *path, const kl_lua_limits *lim, kl_step_def *def)
{
    kl_error err;
    kl_error_clear(&err);
    if (kl_lua_open(path, lim, def, &err) != KL_OK)
        kt_fail(__FILE__, __LINE__, "%s", err.msg);
    KT_EQ_INT(def->kind, KL_STEP_SCRIPT);
}

/* A script written to the test's folder from text. */
static const char *lt_script(const char *name, const char *text)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s/%s", kt_tmpdir(), name);
    kt_write_file(path, text, strlen(text));
    return path;
}

/* The value of "-- NAME: value" in the script, or "" (static buffer). */
static const char *lt_header(const char *text, const char *name)
{
    static char value[1024];
    char key[64];
    const char *p;
    size_t n = 0;

    snprintf(key, sizeof key, "-- %s: ", name);
    value[0] = '\0';
    if (!(p = strstr(text, key)))
        return value;
    p += strlen(key);
    while (p[n] && p[n] != '\n' && n + 1 < sizeof value)
        n++;
    memcpy(value, p, n);
    value[n] = '\0';
    return value;
}

/* The limits of "-- limits: --lua-memory 16M --lua-instructions N". */
static kl_lua_limits lt_limits(const char *text)
{
    kl_lua_limits lim = {0, 0};
    const char *h = lt_header(text, "limits"), *p;
    if ((p = strstr(h, "--lua-memory "))) {
        char size[32];
        sscanf(p + 13, "%31s", size);
        KT_CHECK(kl_cli_parse_size(size, &lim.memory));
    }
    if ((p = strstr(h, "--lua-instructions ")))
        lim.instructions = strtoull(p + 19, NULL, 10);
    return lim;
}

/* Cell (row, col) of t as text ("" when missing). */
static const char *lt_cell(const kl_table *t, size_t row, size_t col)
{
    static char buf[128];
    const kl_col *c = t->cols[col];
    if (!kl_col_present(c, row))
        return "";
    if (c->type == KL_TYPE_TEXT)
        return kl_strpool_get(t->pool, kl_col_code(c, row));
    if (c->type == KL_TYPE_INT)
        snprintf(buf, sizeof buf, "%lld", (long long)kl_col_int(c, row));
    else
        snprintf(buf, sizeof buf, "%.17g", kl_col_num(c, row));
    return buf;
}

/* The .lua files of dir, sorted; NULL-terminated, malloc'd. */
static char **lt_list(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **names = calloc(256, sizeof *names);
    size_t n = 0;
    KT_CHECK(d && names);
    while ((e = readdir(d)) != NULL && n < 255) {
        size_t len = strlen(e->d_name);
        if (len > 4 && strcmp(e->d_name + len - 4, ".lua") == 0) {
            names[n] = malloc(strlen(dir) + len + 2);
            sprintf(names[n++], "%s/%s", dir, e->d_name);
        }
    }
    closedir(d);
    for (size_t i = 1; i < n; i++) /* insertion sort: a handful of names */
        for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            char *t = names[j];
            names[j] = names[j - 1];
            names[j - 1] = t;
        }
    return names;
}

static void lt_free_list(char **names)
{
    for (size_t i = 0; names[i]; i++)
        free(names[i]);
    free(names);
}

/* ---- descriptors ------------------------------------------------------- */

KT_TEST(test_lua_descriptor)
{
    kl_step_def def;
    const kl_plugin *d;

    lt_open("docs/examples/lua/employment_share.lua", NULL, &def);
    d = def.desc;
    KT_EQ_STR(def.path, "docs/examples/lua/employment_share.lua");
    KT_EQ_STR(d->name, "example_employment_share");
    KT_EQ_STR(d->version, "1.0.0");
    KT_EQ_STR(d->source, "klaster documentation example");
    KT_EQ_INT(d->abi_major, KLASTER_ABI_MAJOR);
    KT_EQ_INT(d->size, sizeof(kl_plugin));
    /* inputs sorted by name, columns joined, optional flag */
    KT_EQ_STR(d->inputs[0].table, "firms");
    KT_EQ_STR(d->inputs[0].columns, "year,region,cluster,employees");
    KT_EQ_INT(d->inputs[0].flags, 0);
    KT_EQ_STR(d->inputs[1].table, "regions");
    KT_EQ_STR(d->inputs[1].columns, "year,region,employment");
    KT_EQ_INT(d->inputs[1].flags, KL_INPUT_OPTIONAL);
    KT_CHECK(d->inputs[2].table == NULL);
    KT_EQ_INT(d->nkeys, 3);
    KT_EQ_STR(d->columns[3].name, "employees");
    KT_EQ_INT(d->columns[3].type, KL_TYPE_INT);
    KT_EQ_STR(d->columns[3].unit, "persons");
    KT_EQ_STR(d->columns[4].description, "100 * employees / regional employment");
    KT_EQ_STR(d->columns[1].unit, "");
    KT_CHECK(d->columns[5].name == NULL);
    KT_CHECK(d->params == NULL);
    KT_CHECK(d->compute != NULL);
    kl_step_def_clear(&def);

    lt_open("tests/lua/good/api.lua", NULL, &def);
    d = def.desc;
    KT_EQ_STR(d->params[0].name, "label");
    KT_EQ_STR(d->params[0].default_value, "x");
    KT_EQ_STR(d->params[1].default_value, "2"); /* a number default, as text */
    KT_CHECK(d->params[2].default_value == NULL);
    KT_CHECK(d->params[3].name == NULL);
    KT_EQ_STR(d->inputs[0].table, "clusters");
    kl_step_def_clear(&def);
}

/* Every way a declaration can be wrong names the file, line and problem. */
KT_TEST(test_lua_declaration_errors)
{
    static const struct {
        const char *body, *message;
    } cases[] = {
        {"indicator 'x'", "indicator takes one table"},
        {"indicator {}", "field 'name' must be a string, not missing"},
        {"indicator {name = 'a', version = 1}", "field 'version' must be a string, not number"},
        {"indicator {name = 'a', version = '1', description = 'd'}",
         "field 'inputs' must be a table"},
        {"indicator {name = 'a', version = '1', description = 'd', inputs = {}}",
         "field 'inputs' declares no input"},
        {"indicator {name = 'a', version = '1', description = 'd', inputs = {firms = {}}}",
         "inputs.firms must list its columns"},
        {"indicator {name = 'a', version = '1', description = 'd', inputs = {firms = {'a,b'}}}",
         "inputs.firms: 'a,b' is not a column name"},
        {"indicator {name = 'a', version = '1', description = 'd', inputs = {Firms = {'a'}}}",
         "inputs: 'Firms' is not a table name"},
        {"indicator {name = 'a', version = '1', description = 'd', inputs = {firms = {columns = "
         "{'a'}, optional = 1}}}",
         "inputs.firms.optional must be true or false"},
        {"indicator {name = 'a', version = '1', description = 'd', inputs = {firms = {columns = "
         "{'a'}, opt = true}}}",
         "an input with named fields has no field 'opt'"},
        {"indicator {name = 'a', version = '1', description = 'd', inputs = {firms = {'a'}}}",
         "field 'columns' must list the output columns"},
        {"indicator {name = 'a', version = '1', description = 'd', inputs = {firms = {'a'}}, "
         "columns = {{'x'}}}",
         "columns[1] needs a type"},
        {"indicator {name = 'a', version = '1', description = 'd', inputs = {firms = {'a'}}, "
         "columns = {{'x', 'int', units = '%'}}}",
         "a column has no field 'units'"},
        {"indicator {name = 'a', version = '1', description = 'd', inputs = {firms = {'a'}}, "
         "columns = {{'x', 'int'}}, keys = 2}",
         "field 'keys' must be the number of leading key columns (0 to 1)"},
        {"indicator {name = 'a', version = '1', description = 'd', inputs = {firms = {'a'}}, "
         "columns = {{'x', 'int'}}, params = {{'p'}, {'p'}}}",
         "parameter 'p' declared twice"},
        {"indicator {name = 'a', version = '1', description = 'd', inputs = {firms = {'a'}}, "
         "columns = {{'x', 'int'}}, params = {{'p', default = {}}}}",
         "parameter 'p' has a table default"},
        {"indicator {name = 'a', version = '1', description = 'd', inputs = {firms = {'a'}}, "
         "columns = {{'x', 'int'}}, compute = 1}",
         "field 'compute' must be a function"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[2048];
        kl_step_def def;
        kl_error err;
        const char *path;

        snprintf(text, sizeof text, "-- case %zu\n%s\n", i, cases[i].body);
        path = lt_script("decl.lua", text);
        kl_error_clear(&err);
        KT_EQ_INT(kl_lua_open(path, NULL, &def, &err), KL_ERR_USAGE);
        KT_CONTAINS(err.msg, "decl.lua:2: indicator");
        KT_CONTAINS(err.msg, cases[i].message);
        KT_CHECK(def.desc == NULL && def.owner == NULL);
    }
}

/* A declaration that failed half-way, caught and retried, starts afresh. */
KT_TEST(test_lua_declaration_retry)
{
    kl_step_def def;
    const char *path = lt_script("retry.lua",
        "local ok = pcall(indicator, {name = 'retry', version = '1', description = 'd',\n"
        "    inputs = {firms = {'year'}}, columns = {{'year', 'int'}, {'bad', 'float'}}})\n"
        "assert(not ok)\n"
        "indicator {name = 'retry', version = '2', description = 'd',\n"
        "    inputs = {firms = {'year'}}, columns = {{'year', 'int'}}, compute = function() end}\n");
    lt_open(path, NULL, &def);
    KT_EQ_STR(def.desc->version, "2");
    KT_EQ_STR(def.desc->columns[0].name, "year");
    KT_CHECK(def.desc->columns[1].name == NULL);
    kl_step_def_clear(&def);
}

/* ---- compute ----------------------------------------------------------- */

KT_TEST(test_lua_api)
{
    static const char *const data[] = {"firms", "regions", NULL};
    static const char *const want[][2] = {
        {"groups", "8"}, {"inf", ""}, {"int", "3"}, {"missing", ""}, {"nan", ""}};
    kl_workspace ws;
    kl_step_def def;
    kl_table *out;
    kl_error err;

    lt_workspace(&ws, data);
    lt_open("tests/lua/good/api.lua", NULL, &def);
    if (lt_run(&def, &ws, &out, &err) != KL_OK)
        kt_fail(__FILE__, __LINE__, "%s", err.msg);
    KT_EQ_INT(out->nrows, 5);
    for (size_t r = 0; r < 5; r++) {
        KT_EQ_STR(lt_cell(out, r, 0), want[r][0]);
        KT_EQ_STR(lt_cell(out, r, 1), want[r][1]);
    }
    KT_CONTAINS(lt_warnings, "good_api: a warning 1 nil true\n");
    kl_table_free(out);
    kl_step_def_clear(&def);
    kl_workspace_free(&ws);
}

KT_TEST(test_lua_emit_types)
{
    static const char *const want[][4] = {
        {"1", "2", "3", "x"},
        {"2", "", "", ""},
        {"3", "", "", ""},
        {"4", "9007199254740992", "-7", "Toshkent shahri"},
        {"5", "-3", "0.5", "x"},
    };
    kl_workspace ws;
    kl_step_def def;
    kl_table *out;
    kl_error err;

    lt_workspace(&ws, lt_all);
    lt_open("tests/lua/good/emit_types.lua", NULL, &def);
    if (lt_run(&def, &ws, &out, &err) != KL_OK)
        kt_fail(__FILE__, __LINE__, "%s", err.msg);
    KT_EQ_INT(out->nrows, 5);
    for (size_t r = 0; r < 5; r++)
        for (size_t c = 0; c < 4; c++)
            KT_EQ_STR(lt_cell(out, r, c), want[r][c]);
    KT_EQ_INT(out->cols[1]->type, KL_TYPE_INT);
    kl_table_free(out);
    kl_step_def_clear(&def);
    kl_workspace_free(&ws);
}

/* One state serves several compute calls: objects of an ended call are
 * refused, the budgets are per call. */
KT_TEST(test_lua_repeated_runs)
{
    kl_lua_limits lim = {16u << 20, 10000000};
    kl_workspace ws;
    kl_step_def stale, budget;
    kl_table *out;
    kl_error err;

    lt_workspace(&ws, lt_all);
    lt_open("tests/lua/good/stale.lua", NULL, &stale);
    lt_open("tests/lua/good/budget.lua", &lim, &budget);
    for (int run = 1; run <= 3; run++) {
        if (lt_run(&stale, &ws, &out, &err) != KL_OK)
            kt_fail(__FILE__, __LINE__, "run %d: %s", run, err.msg);
        KT_EQ_STR(lt_cell(out, 0, 0), run == 1 ? "1" : "2");
        kl_table_free(out);
        if (lt_run(&budget, &ws, &out, &err) != KL_OK)
            kt_fail(__FILE__, __LINE__, "run %d: %s", run, err.msg);
        KT_EQ_INT(kl_col_int(out->cols[0], 0), run);
        kl_table_free(out);
    }
    kl_step_def_clear(&stale);
    kl_step_def_clear(&budget);
    kl_workspace_free(&ws);
}

/* A script reading an earlier step's output, in a workspace like compute's. */
KT_TEST(test_lua_reads_step_output)
{
    kl_workspace ws;
    kl_step_def rd, rank;
    kl_table *out;
    kl_error err;

    lt_workspace(&ws, lt_all);
    lt_open("docs/examples/lua/rd_intensity.lua", NULL, &rd);
    lt_open("docs/examples/lua/rd_rank.lua", NULL, &rank);
    KT_EQ_INT(lt_run(&rd, &ws, &out, &err), KL_OK);
    KT_EQ_INT(kl_workspace_add(&ws, out, &err), KL_OK);
    if (lt_run(&rank, &ws, &out, &err) != KL_OK)
        kt_fail(__FILE__, __LINE__, "%s", err.msg);
    KT_EQ_INT(out->nrows, 8);
    KT_EQ_STR(lt_cell(out, 7, 1), "TO-TEX");
    KT_EQ_STR(lt_cell(out, 7, 3), "1");
    kl_table_free(out);
    kl_step_def_clear(&rd);
    kl_step_def_clear(&rank);
    kl_workspace_free(&ws);
}

/* ---- hostile and broken scripts ---------------------------------------- */

/* Runs the rd_intensity example and checks one value: the proof that the
 * process is still sound after a hostile script. */
static void lt_next_step_runs(const kl_step_def *good, kl_workspace *ws, const char *after)
{
    kl_table *out;
    kl_error err;
    if (lt_run(good, ws, &out, &err) != KL_OK)
        kt_fail(__FILE__, __LINE__, "after %s: %s", after, err.msg);
    KT_EQ_INT(out->nrows, 8);
    KT_EQ_STR(lt_cell(out, 5, 4), "2.2972972972972974");
    kl_table_free(out);
}

KT_TEST(test_lua_hostile_scripts)
{
    char **names = lt_list("tests/lua/hostile");
    kl_workspace ws;
    kl_step_def good;
    size_t n = 0;

    lt_workspace(&ws, lt_all);
    lt_open("docs/examples/lua/rd_intensity.lua", NULL, &good);
    for (size_t i = 0; names[i]; i++, n++) {
        char *text = kt_read_file(names[i], NULL);
        int status = atoi(lt_header(text, "expect-status"));
        char error[1024];
        kl_lua_limits lim = lt_limits(text);
        kl_step_def def;
        kl_table *out;
        kl_error err;

        snprintf(error, sizeof error, "%s", lt_header(text, "expect-error"));
        lt_open(names[i], &lim, &def);
        for (int run = 0; run < 2; run++) { /* the same state fails the same way twice */
            int rc = lt_run(&def, &ws, &out, &err);
            if (rc != status)
                kt_fail(__FILE__, __LINE__, "%s: status %d, expected %d: %s", names[i], rc, status,
                        err.msg);
            if (rc == KL_OK) {
                KT_CHECK(out != NULL);
                kl_table_free(out);
            } else {
                KT_CHECK(out == NULL);
                KT_CONTAINS(err.msg, error);
                KT_CONTAINS(err.msg, def.desc->name); /* "STEP: ..." */
            }
            lt_next_step_runs(&good, &ws, names[i]);
        }
        kl_step_def_clear(&def);
        free(text);
    }
    KT_CHECK(n >= 30);
    kl_step_def_clear(&good);
    kl_workspace_free(&ws);
    lt_free_list(names);
}

KT_TEST(test_lua_broken_scripts)
{
    char **names = lt_list("tests/lua/bad");
    for (size_t i = 0; names[i]; i++) {
        char *text = kt_read_file(names[i], NULL);
        kl_lua_limits lim = lt_limits(text);
        int status = atoi(lt_header(text, "expect-status"));
        kl_step_def def;
        kl_error err;

        kl_error_clear(&err);
        if (*lt_header(text, "together")) { /* refused when both join a registry */
            kl_registry reg = {0};
            char path[4096];
            snprintf(path, sizeof path, "%s:tests/lua/%s", names[i], lt_header(text, "together"));
            KT_EQ_INT(kl_lua_load_path(&reg, path, &lim, &err), status);
            kl_registry_free(&reg);
        } else {
            KT_EQ_INT(kl_lua_open(names[i], &lim, &def, &err), status);
            KT_CHECK(def.owner == NULL);
        }
        KT_CONTAINS(err.msg, lt_header(text, "expect-error"));
        KT_CONTAINS(err.msg, names[i]);
        free(text);
    }
    lt_free_list(names);
}

KT_TEST(test_lua_binary_and_odd_files)
{
    static const char binary[] = "\033Lua\124\000\031\223\r\n\032\n\004\010\010xV";
    kl_step_def def;
    kl_error err;
    char path[4096];

    snprintf(path, sizeof path, "%s/binary.lua", kt_tmpdir());
    kt_write_file(path, binary, sizeof binary - 1);
    kl_error_clear(&err);
    KT_EQ_INT(kl_lua_open(path, NULL, &def, &err), KL_ERR_USAGE);
    KT_CONTAINS(err.msg, "attempt to load a binary chunk (mode is 't')");

    KT_EQ_INT(kl_lua_open("tests/lua/no_such.lua", NULL, &def, &err), KL_ERR_NOINPUT);
    KT_CONTAINS(err.msg, "tests/lua/no_such.lua: cannot open script");

    /* a #! line is skipped and line numbers stay right */
    lt_script("shebang.lua", "#!/usr/bin/env lua\nlocal x = nil + 1\n");
    snprintf(path, sizeof path, "%s/shebang.lua", kt_tmpdir());
    KT_EQ_INT(kl_lua_open(path, NULL, &def, &err), KL_ERR_USAGE);
    KT_CONTAINS(err.msg, "shebang.lua:2: attempt to perform arithmetic on a nil value");

    /* a script larger than its memory limit is not even read */
    {
        kl_lua_limits lim = {64 << 10, 0};
        char *big = malloc(100000);
        memset(big, '-', 99999);
        big[99999] = '\0';
        lt_script("big.lua", big);
        free(big);
        snprintf(path, sizeof path, "%s/big.lua", kt_tmpdir());
        KT_EQ_INT(kl_lua_open(path, &lim, &def, &err), KL_ERR_USAGE);
        KT_CONTAINS(err.msg, "larger than its memory limit");
    }
    /* a memory limit too small for Lua itself */
    {
        kl_lua_limits lim = {1024, 0};
        KT_CHECK(kl_lua_open("docs/examples/lua/rd_intensity.lua", &lim, &def, &err) != KL_OK);
        KT_CONTAINS(err.msg, "memory limit");
    }
}

/* ---- the script path and the trampoline pool --------------------------- */

KT_TEST(test_lua_script_path)
{
    kl_registry reg = {0};
    kl_error err;
    char dir[4096], path[16384];

    kl_error_clear(&err);
    snprintf(dir, sizeof dir, "%s", kt_tmpdir());
    lt_script("b.lua", "indicator {name = 'b_step', version = '1', description = 'b',\n"
                       "  inputs = {firms = {'year'}}, columns = {{'year', 'int'}},\n"
                       "  compute = function(k) end}\n");
    lt_script("a.lua", "indicator {name = 'a_step', version = '1', description = 'a',\n"
                       "  inputs = {firms = {'year'}}, columns = {{'year', 'int'}},\n"
                       "  compute = function(k) end}\n");
    lt_script("notes.txt", "not a script");
    /* a folder (in name order), then the same folder and a file in it again:
     * each file is loaded once */
    snprintf(path, sizeof path, "%s:%s:%s/a.lua:/no/such/folder", dir, dir, dir);
    setenv("KLASTER_SCRIPT_PATH", "docs/examples/lua", 1);
    if (kl_lua_load_path(&reg, path, NULL, &err) != KL_OK)
        kt_fail(__FILE__, __LINE__, "%s", err.msg);
    KT_CHECK(reg.n >= 7);
    KT_EQ_STR(reg.steps[0].desc->name, "a_step");
    KT_EQ_STR(reg.steps[1].desc->name, "b_step");
    KT_EQ_STR(reg.steps[2].desc->name, "example_employment_share");
    KT_CHECK(kl_registry_find(&reg, "example_rd_rank") != NULL);
    KT_EQ_INT(kl_registry_find(&reg, "a_step")->kind, KL_STEP_SCRIPT);
    kl_registry_free(&reg);

    /* two files, one name */
    lt_script("c.lua", "indicator {name = 'a_step', version = '2', description = 'c',\n"
                       "  inputs = {firms = {'year'}}, columns = {{'year', 'int'}},\n"
                       "  compute = function(k) end}\n");
    unsetenv("KLASTER_SCRIPT_PATH");
    KT_EQ_INT(kl_lua_load_path(&reg, dir, NULL, &err), KL_ERR_USAGE);
    KT_CONTAINS(err.msg, "two steps are named 'a_step'");
    KT_CONTAINS(err.msg, "/a.lua and ");
    KT_CONTAINS(err.msg, "/c.lua");
    kl_registry_free(&reg);
}

KT_TEST(test_lua_many_scripts)
{
    static kl_step_def defs[KL_LUA_MAX_SCRIPTS];
    kl_step_def extra;
    kl_workspace ws;
    kl_table *out;
    kl_error err;
    const char *path = "docs/examples/lua/rd_intensity.lua";

    lt_workspace(&ws, lt_all);
    for (size_t i = 0; i < KL_LUA_MAX_SCRIPTS; i++)
        lt_open(path, NULL, &defs[i]);
    kl_error_clear(&err);
    KT_EQ_INT(kl_lua_open(path, NULL, &extra, &err), KL_ERR_USAGE);
    KT_CONTAINS(err.msg, "too many Lua scripts loaded at once");
    /* each compute function reaches its own script */
    KT_EQ_INT(lt_run(&defs[KL_LUA_MAX_SCRIPTS - 1], &ws, &out, &err), KL_OK);
    kl_table_free(out);
    kl_step_def_clear(&defs[7]);
    lt_open(path, NULL, &extra);
    KT_EQ_INT(lt_run(&extra, &ws, &out, &err), KL_OK);
    KT_EQ_INT(out->nrows, 8);
    kl_table_free(out);
    KT_EQ_INT(lt_run(&defs[0], &ws, &out, &err), KL_OK);
    kl_table_free(out);
    kl_step_def_clear(&extra);
    for (size_t i = 0; i < KL_LUA_MAX_SCRIPTS; i++)
        kl_step_def_clear(&defs[i]);
    kl_workspace_free(&ws);
}

#ifdef KL_FAULT_INJECTION
#include <sys/wait.h>
#include <unistd.h>

/* Loads the fixture, then (allocation count `base`) opens and runs a script
 * and frees it.  Returns the status of the open or the run. */
static int lt_fault_run(unsigned long *base, kl_error *err)
{
    kl_workspace ws;
    kl_step_def def;
    kl_table *out = NULL;
    int rc;

    lt_workspace(&ws, lt_all);
    *base = kl_alloc_count();
    kl_error_clear(err);
    rc = kl_lua_open("docs/examples/lua/employment_share.lua", NULL, &def, err);
    if (rc == KL_OK) {
        rc = kl_step_run(&def, &ws, NULL, &out, err);
        kl_table_free(out);
        kl_step_def_clear(&def);
    }
    kl_workspace_free(&ws);
    return rc;
}

/* Every allocation of loading and running a script, failed in turn (the
 * Lua state's own allocations go through kl_realloc too): each ends in a
 * clean error, never a crash or a leak. */
KT_TEST(test_lua_out_of_memory_is_clean)
{
    unsigned long base = 0, total = 0;
    int fds[2];
    pid_t pid;
    int status;

    /* a run without failures: how many allocations, from where */
    KT_CHECK(pipe(fds) == 0);
    if ((pid = fork()) == 0) {
        kl_error err;
        unsigned long counts[2];
        KT_EQ_INT(lt_fault_run(&counts[0], &err), KL_OK);
        counts[1] = kl_alloc_count();
        KT_CHECK(write(fds[1], counts, sizeof counts) == sizeof counts);
        exit(0);
    }
    {
        unsigned long counts[2];
        KT_CHECK(read(fds[0], counts, sizeof counts) == sizeof counts);
        base = counts[0];
        total = counts[1];
    }
    close(fds[0]);
    close(fds[1]);
    KT_CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    KT_CHECK(total > base + 100);
    for (unsigned long at = base + 1; at <= total; at++) {
        if ((pid = fork()) == 0) {
            char v[32];
            kl_error err;
            unsigned long b;
            snprintf(v, sizeof v, "%lu", at);
            setenv("KLASTER_FAIL_ALLOC_AT", v, 1);
            if (lt_fault_run(&b, &err) != KL_OK && !strstr(err.msg, "memory"))
                kt_fail(__FILE__, __LINE__, "allocation %lu failed: %s", at, err.msg);
            exit(0);
        }
        KT_CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            kt_fail(__FILE__, __LINE__, "allocation %lu of %lu: the child %s %d", at, total,
                    WIFEXITED(status) ? "exited" : "was killed by signal",
                    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    }
}
#endif

/* ---- declarative files ------------------------------------------------- */

/* A reader that takes the `name` field of the table. */
static int lt_config_read(lua_State *L, void *ud, kl_error *err)
{
    char *name = ud;
    if (lua_getfield(L, -1, "name") != LUA_TSTRING)
        return kl_error_set(err, KL_ERR_USAGE, "no name");
    snprintf(name, 64, "%s", lua_tostring(L, -1));
    lua_pop(L, 1);
    return KL_OK;
}

KT_TEST(test_lua_config_files)
{
    static const struct {
        const char *text, *message;
        int status;
    } cases[] = {
        {"pipeline {name = 'daily'}", NULL, KL_OK},
        {"local n = 'weekly'\npipeline {name = n, steps = {}}", NULL, KL_OK},
        {"pipeline {steps = {}}", "no name", KL_ERR_USAGE},
        {"-- nothing\n", "cfg.lua: the file never calls pipeline{...}", KL_ERR_USAGE},
        {"pipeline {name = 'a'}\npipeline {name = 'b'}", "cfg.lua:2: pipeline{...} may be called "
         "only once", KL_ERR_USAGE},
        {"indicator {name = 'a'}", "attempt to call a nil value (global 'indicator')",
         KL_ERR_USAGE},
        {"os.exit(1)", "attempt to index a nil value (global 'os')", KL_ERR_USAGE},
        {"pipeline(setmetatable({}, {__index = function() while true do end end}))",
         "pipeline{...} cannot be read: a metatable in it runs code", KL_ERR_USAGE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char name[64] = "";
        kl_error err;
        const char *path = lt_script("cfg.lua", cases[i].text);
        int rc;

        kl_error_clear(&err);
        rc = kl_lua_run_config(path, "cfg.lua", "pipeline", lt_config_read, name, &err);
        if (rc != cases[i].status)
            kt_fail(__FILE__, __LINE__, "case %zu: status %d: %s", i, rc, err.msg);
        if (cases[i].message)
            KT_CONTAINS(err.msg, cases[i].message);
    }
    {
        char name[64] = "";
        kl_error err;
        KT_EQ_INT(kl_lua_run_config(lt_script("cfg.lua", "pipeline {name = 'daily'}"), "cfg.lua",
                                    "pipeline", lt_config_read, name, &err), KL_OK);
        KT_EQ_STR(name, "daily");
        KT_EQ_INT(kl_lua_run_config("tests/no_such.lua", "tests/no_such.lua", "pipeline",
                                    lt_config_read, name, &err), KL_ERR_NOINPUT);
    }
}
