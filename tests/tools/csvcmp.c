/*
 * csvcmp.c -- compares two CSV files cell by cell, for the tests.
 *
 *   csvcmp EXPECTED ACTUAL
 *
 * The files must have the same header and the same number of rows.  Two
 * cells are equal when both are empty, when both are numbers within a
 * relative 1e-9 of each other (or an absolute 1e-12 near zero), or when
 * their text is identical; an empty cell equals only an empty cell.  Each
 * difference is printed as "ACTUAL:LINE: column NAME: expected X, got Y".
 * Exit status: 0 equal, 1 different, 2 usage or I/O error.
 *
 * Fields are split on commas; a field may be quoted ("a,b", "" for a quote)
 * but may not span lines.  A trailing CR and a final empty line are ignored.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CC_REL 1e-9
#define CC_ABS 1e-12

typedef struct cc_row {
    char **cells;
    size_t n, cap;
} cc_row;

typedef struct cc_file {
    const char *path;
    FILE *f;
    char *line;
    size_t linecap;
    long lineno;
    char *buf; /* unquoted cells of the current line */
} cc_file;

static int cc_push(cc_row *row, char *cell)
{
    if (row->n == row->cap) {
        size_t cap = row->cap ? row->cap * 2 : 16;
        char **cells = realloc(row->cells, cap * sizeof *cells);
        if (!cells)
            return -1;
        row->cells = cells;
        row->cap = cap;
    }
    row->cells[row->n++] = cell;
    return 0;
}

/* Reads the next line of f into row.  Returns 1 for a row, 0 at the end,
 * -1 on error (message printed). */
static int cc_read(cc_file *f, cc_row *row)
{
    errno = 0;
    ssize_t len = getline(&f->line, &f->linecap, f->f);
    if (len < 0) {
        if (ferror(f->f)) {
            fprintf(stderr, "csvcmp: %s: %s\n", f->path, strerror(errno ? errno : EIO));
            return -1;
        }
        return 0;
    }
    f->lineno++;
    while (len > 0 && (f->line[len - 1] == '\n' || f->line[len - 1] == '\r'))
        f->line[--len] = '\0';
    if (len == 0) { /* an empty last line is no row; an empty line elsewhere is */
        int c = fgetc(f->f);
        if (c == EOF)
            return 0;
        ungetc(c, f->f);
    }

    free(f->buf);
    f->buf = malloc((size_t)len + 1);
    if (!f->buf) {
        fprintf(stderr, "csvcmp: out of memory\n");
        return -1;
    }
    row->n = 0;
    const char *p = f->line;
    char *out = f->buf;
    for (;;) {
        char *cell = out;
        if (*p == '"') {
            p++;
            for (;;) {
                if (*p == '\0') {
                    fprintf(stderr, "csvcmp: %s:%ld: unterminated quote\n", f->path, f->lineno);
                    return -1;
                }
                if (*p == '"') {
                    if (p[1] != '"')
                        break;
                    p++;
                }
                *out++ = *p++;
            }
            p++; /* closing quote */
            if (*p != ',' && *p != '\0') {
                fprintf(stderr, "csvcmp: %s:%ld: text after a closing quote\n", f->path,
                        f->lineno);
                return -1;
            }
        } else {
            while (*p != ',' && *p != '\0')
                *out++ = *p++;
        }
        *out++ = '\0';
        if (cc_push(row, cell) != 0) {
            fprintf(stderr, "csvcmp: out of memory\n");
            return -1;
        }
        if (*p == '\0')
            break;
        p++; /* the comma */
    }
    return 1;
}

/* A decimal number: [+-]digits[.digits][(e|E)[+-]digits], at least one digit
 * (no "nan", "inf" or hex: those compare as text). */
static int cc_number(const char *s, double *out)
{
    const char *p = s;
    int digits = 0;
    if (*p == '+' || *p == '-')
        p++;
    while (*p >= '0' && *p <= '9')
        p++, digits++;
    if (*p == '.') {
        p++;
        while (*p >= '0' && *p <= '9')
            p++, digits++;
    }
    if (!digits)
        return 0;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!(*p >= '0' && *p <= '9'))
            return 0;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    if (*p != '\0')
        return 0;
    *out = strtod(s, NULL);
    return 1;
}

static int cc_equal(const char *a, const char *b)
{
    double x, y;
    if (strcmp(a, b) == 0)
        return 1;
    if (!cc_number(a, &x) || !cc_number(b, &y))
        return 0;
    double d = fabs(x - y);
    return d <= CC_ABS || d <= CC_REL * fmax(fabs(x), fabs(y));
}

static int cc_open(cc_file *f, const char *path)
{
    memset(f, 0, sizeof *f);
    f->path = path;
    f->f = fopen(path, "r");
    if (!f->f) {
        fprintf(stderr, "csvcmp: %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

static void cc_close(cc_file *f)
{
    if (f->f)
        fclose(f->f);
    free(f->line);
    free(f->buf);
}

/* Keeps a copy of the header's names (the line buffer is reused). */
static char **cc_copy(const cc_row *row)
{
    char **names = calloc(row->n ? row->n : 1, sizeof *names);
    if (!names)
        return NULL;
    for (size_t i = 0; i < row->n; i++)
        if (!(names[i] = strdup(row->cells[i]))) {
            while (i > 0)
                free(names[--i]);
            free(names);
            return NULL;
        }
    return names;
}

int main(int argc, char **argv)
{
    cc_file ef, af;
    cc_row er = {0}, ar = {0};
    char **names = NULL;
    size_t ncols = 0;
    int status = 0, re, ra;
    long nexp = 0, nact = 0;

    if (argc != 3) {
        fprintf(stderr, "usage: csvcmp EXPECTED ACTUAL\n");
        return 2;
    }
    if (cc_open(&ef, argv[1]) != 0) {
        cc_close(&ef);
        return 2;
    }
    if (cc_open(&af, argv[2]) != 0) {
        cc_close(&ef);
        cc_close(&af);
        return 2;
    }

    /* Header. */
    re = cc_read(&ef, &er);
    ra = cc_read(&af, &ar);
    if (re < 0 || ra < 0) {
        status = 2;
        goto done;
    }
    if (re == 0 || ra == 0) {
        if (re != ra) {
            printf("%s:1: %s\n", af.path, ra == 0 ? "empty file, expected a header" :
                                                     "expected an empty file");
            status = 1;
        }
        goto done;
    }
    if (er.n != ar.n) {
        printf("%s:1: header has %zu columns, expected %zu\n", af.path, ar.n, er.n);
        status = 1;
    }
    for (size_t i = 0; i < er.n && i < ar.n; i++)
        if (strcmp(er.cells[i], ar.cells[i]) != 0) {
            printf("%s:1: header column %zu: expected %s, got %s\n", af.path, i + 1,
                   er.cells[i], ar.cells[i]);
            status = 1;
        }
    ncols = er.n;
    if (!(names = cc_copy(&er))) {
        fprintf(stderr, "csvcmp: out of memory\n");
        status = 2;
        goto done;
    }

    /* Rows. */
    for (;;) {
        re = cc_read(&ef, &er);
        ra = cc_read(&af, &ar);
        if (re < 0 || ra < 0) {
            status = 2;
            goto done;
        }
        nexp += re;
        nact += ra;
        if (re == 0 || ra == 0)
            break;
        if (er.n != ar.n) {
            printf("%s:%ld: %zu cells, expected %zu\n", af.path, af.lineno, ar.n, er.n);
            status = 1;
        }
        for (size_t i = 0; i < er.n && i < ar.n; i++)
            if (!cc_equal(er.cells[i], ar.cells[i])) {
                printf("%s:%ld: column %s: expected %s, got %s\n", af.path, af.lineno,
                       i < ncols ? names[i] : "?", er.cells[i][0] ? er.cells[i] : "(empty)",
                       ar.cells[i][0] ? ar.cells[i] : "(empty)");
                status = 1;
            }
    }
    /* Count what is left of the longer file. */
    while (re == 1 && (re = cc_read(&ef, &er)) == 1)
        nexp++;
    while (ra == 1 && (ra = cc_read(&af, &ar)) == 1)
        nact++;
    if (re < 0 || ra < 0) {
        status = 2;
        goto done;
    }
    if (nexp != nact) {
        printf("%s: %ld rows, expected %ld\n", af.path, nact, nexp);
        status = 1;
    }

done:
    if (names)
        for (size_t i = 0; i < ncols; i++)
            free(names[i]);
    free(names);
    free(er.cells);
    free(ar.cells);
    cc_close(&ef);
    cc_close(&af);
    return status;
}
