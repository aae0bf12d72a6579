/*
 * klaster.h -- the one public header of klaster, for people who extend it.
 *
 * Ownership, in one sentence: everything the host hands to a plugin (tables,
 * columns, groupings, strings) is owned by the host and stays valid until the
 * plugin's compute call returns, and everything a plugin hands to the host
 * (rows, messages) is copied by the host before the host function returns.
 *
 * First the types shared by the core and by plugins: status codes (which are
 * also the program's exit statuses), column types and cell values.  Then the
 * plugin ABI: the descriptor a plugin exports, the views of input columns
 * and groupings it is lent, and the table of host functions it calls.
 * docs/plugins.md is the guide, with a complete worked example.
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

/* ======================================================================
 * The plugin ABI
 *
 * A plugin is a shared object exporting one symbol, klaster_plugin_v1 (the
 * ABI major version is in its name), a function returning a pointer to a
 * static kl_plugin descriptor.  The descriptor is data: the host reads a
 * plugin's name, version, inputs, output columns and parameters without
 * running any of its code, and refuses a plugin built for another ABI major
 * (or a newer minor) with a message naming both versions.  The host then
 * calls compute() with a kl_host table of functions: plugins never open
 * files, print or exit -- they read inputs, emit rows and report errors
 * through that table only.
 *
 * Versioning rules (as GStreamer and SQLite do it):
 *   - KLASTER_ABI_MAJOR changes when anything existing changes; the entry
 *     symbol's name changes with it.
 *   - KLASTER_ABI_MINOR grows when something is appended (a host function at
 *     the end of kl_host, a field at the end of a descriptor or view).  A
 *     plugin built against minor m runs on hosts with minor >= m.
 *   - kl_host.size and kl_plugin.size say how much each side has, so a
 *     plugin can test for a newer host function:
 *       if (host->size > offsetof(kl_host, fn) && host->fn) ...
 * ====================================================================== */

#define KLASTER_ABI_MAJOR 1
#define KLASTER_ABI_MINOR 1

/* Facts a plugin and the host must agree on beyond the version numbers
 * (a plugin compiled with a different header or data model is refused). */
#define KLASTER_ABI_CHECK                                                      \
    ((uint32_t)(sizeof(void *) | (sizeof(size_t) << 4) | (sizeof(kl_value) << 8) | \
                (sizeof(double) << 16) | (sizeof(int) << 24)))

#if defined(_WIN32)
#define KLASTER_EXPORT __declspec(dllexport)
#elif defined(__GNUC__)
#define KLASTER_EXPORT __attribute__((visibility("default")))
#else
#define KLASTER_EXPORT
#endif

/* The host's per-step context: opaque to plugins. */
typedef struct kl_ctx kl_ctx;
typedef struct kl_host kl_host;

/* An input a plugin reads: a dataset ("firms", "exports", "regions",
 * "clusters") or another step's output, and the columns it needs (comma
 * separated).  Only those columns are loaded. */
enum { KL_INPUT_OPTIONAL = 1 }; /* absent input: host->column() says KL_ERR_NOINPUT */

typedef struct kl_input_def {
    const char *table;
    const char *columns;
    unsigned flags;
} kl_input_def;

/* An output column. */
typedef struct kl_column_def {
    const char *name;
    int type;                /* KL_TYPE_INT, KL_TYPE_NUM or KL_TYPE_TEXT */
    const char *unit;        /* "%", "persons", "USD", "" ... */
    const char *description; /* one line, shown by `klaster info` and reports */
} kl_column_def;

/* A parameter, passed as text (pipeline files set them; absent = default). */
typedef struct kl_param_def {
    const char *name;
    const char *default_value;
    const char *description;
} kl_param_def;

/* The descriptor a plugin's entry function returns (static storage). */
typedef struct kl_plugin {
    uint32_t size;         /* sizeof(kl_plugin) as the plugin was built */
    uint16_t abi_major;    /* KLASTER_ABI_MAJOR */
    uint16_t abi_minor;    /* KLASTER_ABI_MINOR */
    uint32_t abi_check;    /* KLASTER_ABI_CHECK */
    const char *name;      /* [a-z0-9_]+, unique among plugins and scripts */
    const char *version;   /* the plugin's own version, e.g. "1.0.0" */
    const char *description;
    const char *source;    /* the methodology it follows, for users to check */
    const kl_input_def *inputs;    /* terminated by an entry with table NULL */
    const kl_column_def *columns;  /* terminated by an entry with name NULL */
    uint32_t nkeys;        /* the first nkeys columns identify a row; rows
                              are sorted by them (text: "*" first, then bytes) */
    const kl_param_def *params;    /* terminated by name NULL; may be NULL */
    /* Computes the output: reads inputs and emits rows through host.
     * Returns KL_OK, or the status returned by host->error(). */
    int (*compute)(kl_ctx *ctx, const kl_host *host);
    void *reserved[4];     /* zero */
} kl_plugin;

#define KLASTER_PLUGIN_SYMBOL "klaster_plugin_v1"
typedef const kl_plugin *(*kl_plugin_entry_fn)(void);

/* Defines the entry symbol returning the descriptor `desc`. */
#define KLASTER_DEFINE_PLUGIN(desc)                                            \
    KLASTER_EXPORT const kl_plugin *klaster_plugin_v1(void);                   \
    KLASTER_EXPORT const kl_plugin *klaster_plugin_v1(void) { return &(desc); }

/* Fills the version fields of a descriptor. */
#define KLASTER_PLUGIN_HEADER                                                  \
    sizeof(kl_plugin), KLASTER_ABI_MAJOR, KLASTER_ABI_MINOR, KLASTER_ABI_CHECK

/*
 * A column of an input table, as the host lends it.  data holds nrows
 * values: INT as int8_t, int16_t, int32_t or int64_t (int_width 1, 2, 4 or
 * 8: the narrowest that holds the column's values; read cells with
 * klaster_int(), which knows them all -- since ABI 1.1; a plugin built for
 * 1.0 is lent 4-byte copies of narrower columns), NUM as
 * double, TEXT as uint32_t codes (host->text() turns a code into its string;
 * code 0 is the empty string; equal strings have equal codes across all
 * inputs of a run).  A missing cell has its bit set in `missing` (NULL when
 * no cell is missing); its data value is 0 and means nothing.
 */
typedef struct kl_column_view {
    const char *name;
    int type;
    int int_width;
    size_t nrows;
    const void *data;
    const uint64_t *missing;
} kl_column_view;

static inline int klaster_missing(const kl_column_view *c, size_t row)
{
    return c->missing && ((c->missing[row >> 6] >> (row & 63)) & 1u);
}
/* Cell `row` of an INT array whose cells are `width` bytes. */
static inline int64_t klaster_int_cell(const void *data, int width, size_t row)
{
    switch (width) {
    case 1:
        return ((const int8_t *)data)[row];
    case 2:
        return ((const int16_t *)data)[row];
    case 4:
        return ((const int32_t *)data)[row];
    default:
        return ((const int64_t *)data)[row];
    }
}
/* INT cell (also valid for TEXT: the code). */
static inline int64_t klaster_int(const kl_column_view *c, size_t row)
{
    if (c->type == KL_TYPE_TEXT)
        return ((const uint32_t *)c->data)[row];
    return klaster_int_cell(c->data, c->int_width, row);
}
/* INT or NUM cell as a double. */
static inline double klaster_num(const kl_column_view *c, size_t row)
{
    return c->type == KL_TYPE_NUM ? ((const double *)c->data)[row] : (double)klaster_int(c, row);
}
/* TEXT cell's code. */
static inline uint32_t klaster_code(const kl_column_view *c, size_t row)
{
    return ((const uint32_t *)c->data)[row];
}

/*
 * A grouping of an input table by key columns.  Groups are numbered
 * 0..ngroups-1 in key order (INT keys numerically, TEXT keys by the bytes of
 * their strings); the rows of group g are rows[offsets[g] .. offsets[g+1]),
 * in table order; row_group[r] is the group of row r, or KL_NO_GROUP when a
 * key (or a `require` column) of that row is missing.
 */
#define KL_NO_GROUP UINT32_MAX

typedef struct kl_groups {
    size_t ngroups;
    size_t nkeys;
    const int64_t *keys;      /* [ngroups * nkeys]: INT value or TEXT code */
    const uint32_t *offsets;  /* [ngroups + 1] */
    const uint32_t *rows;
    const uint32_t *row_group;
    size_t nrows;             /* rows of the table */
    const void *host_private;
} kl_groups;

static inline int64_t klaster_group_key(const kl_groups *g, size_t group, size_t k)
{
    return g->keys[group * g->nkeys + k];
}

/* Aggregates for host->aggregate(). */
enum {
    KL_AGG_SUM = 0,     /* sum over rows where the column (and `also`) are present */
    KL_AGG_COUNT = 1,   /* rows of the group */
    KL_AGG_PRESENT = 2, /* rows where the column (and `also`) are present */
    KL_AGG_MEAN = 3,
    KL_AGG_MIN = 4,
    KL_AGG_MAX = 5
};

/*
 * The functions the host lends a plugin during compute().  Append-only:
 * new functions go at the end, with KLASTER_ABI_MINOR raised.  Every
 * function returning int returns KL_OK or a KL_ERR_* status, with the
 * message already recorded for the step (a plugin just returns it).
 */
struct kl_host {
    uint32_t size;          /* sizeof(kl_host) in the host */
    uint16_t abi_major;
    uint16_t abi_minor;

    /* Looks up column `column` of input `table` (as declared in inputs). */
    int (*column)(kl_ctx *ctx, const char *table, const char *column, kl_column_view *out);
    /* Rows of input `table`; KL_ERR_NOINPUT (no message) for an absent
     * optional input. */
    int (*rows)(kl_ctx *ctx, const char *table, size_t *out);
    /* Groups `table` by the nkeys columns in keys, leaving out rows where a
     * key or any column in `require` (NULL-terminated, may be NULL) is
     * missing.  The grouping is the host's, valid until compute returns. */
    int (*group)(kl_ctx *ctx, const char *table, const char *const *keys, size_t nkeys,
                 const char *const *require, const kl_groups **out);
    /* The group with exactly these key values, or KL_NO_GROUP. */
    uint32_t (*group_find)(kl_ctx *ctx, const kl_groups *g, const int64_t *key);
    /* The group with the same keys as `group` but key `year_key` one less
     * (the previous year), or KL_NO_GROUP. */
    uint32_t (*group_prev)(kl_ctx *ctx, const kl_groups *g, uint32_t group, size_t year_key);
    /* One aggregate (KL_AGG_*) of `column` per group into a host-owned array
     * of g->ngroups doubles.  `also` (may be NULL) restricts to rows where
     * that column is present too -- "ratios of sums over firms where both
     * fields are present".  Empty groups: sum 0, count 0, others NaN. */
    int (*aggregate)(kl_ctx *ctx, const kl_groups *g, int agg, const char *column,
                     const char *also, const double **out);

    /* The string of a TEXT code; the code of a string (KL_NO_GROUP if no
     * input contains it); byte-order comparison of two codes' strings. */
    const char *(*text)(kl_ctx *ctx, uint32_t code);
    uint32_t (*text_code)(kl_ctx *ctx, const char *s);
    int (*text_cmp)(kl_ctx *ctx, uint32_t a, uint32_t b);

    /* A parameter's value (the default when not set). */
    const char *(*param)(kl_ctx *ctx, const char *name);

    /* Emits one output row: one kl_value per declared output column. */
    int (*emit)(kl_ctx *ctx, const kl_value *row);

    /* Records the step's error and returns status: `return host->error(...)`. */
    int (*error)(kl_ctx *ctx, int status, const char *fmt, ...);
    /* A warning, shown to the user and kept in the run's log. */
    void (*warn)(kl_ctx *ctx, const char *fmt, ...);
    /* Scratch memory freed by the host when the step ends (NULL: out of
     * memory -- return host->error(ctx, KL_ERR_INTERNAL, ...)). */
    void *(*alloc)(kl_ctx *ctx, size_t size);
};

/* Convenience constructors for emitted values. */
static inline kl_value klaster_missing_value(void)
{
    kl_value v;
    v.type = 0;
    v.u.i = 0;
    return v;
}
static inline kl_value klaster_int_value(int64_t i)
{
    kl_value v;
    v.type = KL_TYPE_INT;
    v.u.i = i;
    return v;
}
/* A NUM value; NaN or infinity becomes missing. */
static inline kl_value klaster_num_value(double n)
{
    kl_value v;
    if (n - n != 0) { /* NaN or infinite */
        v.type = 0;
        v.u.i = 0;
    } else {
        v.type = KL_TYPE_NUM;
        v.u.n = n;
    }
    return v;
}
static inline kl_value klaster_text_value(const char *s)
{
    kl_value v;
    v.type = KL_TYPE_TEXT;
    v.u.s = s;
    return v;
}

#ifdef __cplusplus
}
#endif
#endif /* KLASTER_H */
