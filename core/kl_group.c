/*
 * kl_group.c -- grouping a table by key columns, and per-group aggregates
 * (see kl_group.h).
 *
 * Built for millions of rows falling into a few thousand groups:
 *   1. one pass over the rows gives each distinct key tuple a provisional id
 *      from a hash table (consecutive rows with the same key, common in
 *      sorted input, skip the hash) and counts the rows of each;
 *   2. only the distinct tuples are sorted (INT keys numerically, TEXT keys
 *      by the bytes of their strings), giving each provisional id its rank;
 *   3. one branch-free pass remaps rows to ranks and places them (a counting
 *      sort, so each group keeps table order);
 *   4. the hash table is kept as the lookup index, its ids remapped.
 * Aggregates make one sequential pass over the column per call.
 */
#include "kl_group.h"

#include <math.h>

#include "kl_alloc.h"

#define GR_MIN_SLOTS 64u

/* How a key column stores its cells, decoded once for the row loop. */
enum { GR_I8, GR_I16, GR_I32, GR_I64, GR_U32 };

typedef struct gr_keycol {
    const void *data;
    int kind;
} gr_keycol;

/* The provisional groups of pass 1, numbered from 1 in order of first
 * appearance (0 = "in no group", so that later passes need no branch for
 * left-out rows). */
typedef struct gr_build {
    size_t nkeys;
    int64_t *keys;   /* [n * nkeys]: keys of provisional group p at (p - 1) * nkeys */
    uint32_t *counts; /* [n + 1]: rows per provisional group; [0] = left out */
    size_t n, cap;
    uint32_t *slots; /* provisional group; 0 = empty */
    size_t mask;
} gr_build;

/* ---- hashing ------------------------------------------------------------ */

static inline uint64_t gr_hash(const int64_t *key, size_t nkeys)
{
    uint64_t h = UINT64_C(0x243f6a8885a308d3);
    for (size_t k = 0; k < nkeys; k++) {
        h = (h ^ (uint64_t)key[k]) * UINT64_C(0x9e3779b97f4a7c15);
        h ^= h >> 32;
    }
    h *= UINT64_C(0xd6e8feb86659fd93);
    return h ^ (h >> 32);
}

static inline int gr_key_eq(const int64_t *a, const int64_t *b, size_t nkeys)
{
    for (size_t k = 0; k < nkeys; k++)
        if (a[k] != b[k])
            return 0;
    return 1;
}

/* The group with key in slots/keys, or KL_GROUP_NONE; *slot_out = where the
 * probe stopped (the empty slot a new key would take). */
static inline uint32_t gr_lookup(const uint32_t *slots, size_t mask, const int64_t *keys,
                                 size_t nkeys, const int64_t *key, size_t *slot_out)
{
    size_t i = gr_hash(key, nkeys) & mask;
    for (;;) {
        uint32_t e = slots[i];
        if (e == 0)
            break;
        if (gr_key_eq(keys + (size_t)(e - 1) * nkeys, key, nkeys)) {
            *slot_out = i;
            return e - 1;
        }
        i = (i + 1) & mask;
    }
    *slot_out = i;
    return KL_GROUP_NONE;
}

/* Doubles the slot table of b, rehashing from the stored keys. */
static int gr_grow_slots(gr_build *b)
{
    size_t n = (b->mask + 1) * 2;
    uint32_t *slots = kl_calloc(n, sizeof *slots);
    if (!slots)
        return -1;
    for (size_t id = 0; id < b->n; id++) {
        size_t i = gr_hash(b->keys + id * b->nkeys, b->nkeys) & (n - 1);
        while (slots[i] != 0)
            i = (i + 1) & (n - 1);
        slots[i] = (uint32_t)id + 1;
    }
    kl_free(b->slots);
    b->slots = slots;
    b->mask = n - 1;
    return 0;
}

/* The provisional group (from 1) of key, adding it if new; 0 when out of
 * memory. */
static uint32_t gr_intern(gr_build *b, const int64_t *key)
{
    size_t slot;
    uint32_t id = gr_lookup(b->slots, b->mask, b->keys, b->nkeys, key, &slot);
    if (id != KL_GROUP_NONE)
        return id + 1;
    if (b->n == b->cap) {
        size_t cap = b->cap * 2;
        int64_t *keys = kl_reallocarray(b->keys, cap, b->nkeys * sizeof *keys);
        if (!keys)
            return 0;
        b->keys = keys;
        uint32_t *counts = kl_reallocarray(b->counts, cap + 1, sizeof *counts);
        if (!counts)
            return 0;
        b->counts = counts;
        b->cap = cap;
    }
    if ((b->n + 1) * 2 > b->mask + 1) { /* keep the table at most half full */
        if (gr_grow_slots(b) != 0)
            return 0;
        gr_lookup(b->slots, b->mask, b->keys, b->nkeys, key, &slot);
    }
    memcpy(b->keys + b->n * b->nkeys, key, b->nkeys * sizeof *key);
    b->n++;
    b->counts[b->n] = 0;
    b->slots[slot] = (uint32_t)b->n;
    return (uint32_t)b->n;
}

/* ---- sorting the distinct keys ------------------------------------------ */

typedef struct gr_order {
    const int64_t *keys;
    size_t nkeys;
    const int *is_text;
    const kl_strpool *pool;
} gr_order;

static int gr_cmp(const gr_order *o, uint32_t a, uint32_t b)
{
    const int64_t *ka = o->keys + (size_t)a * o->nkeys, *kb = o->keys + (size_t)b * o->nkeys;
    for (size_t k = 0; k < o->nkeys; k++) {
        if (ka[k] == kb[k])
            continue;
        if (o->is_text[k])
            return kl_strpool_cmp(o->pool, (uint32_t)ka[k], (uint32_t)kb[k]);
        return ka[k] < kb[k] ? -1 : 1;
    }
    return 0;
}

/* Merge sort of ids[0..n) by key, using tmp[0..n) (no qsort: the comparator
 * needs context, and qsort_r is not portable). */
static void gr_sort(const gr_order *o, uint32_t *ids, uint32_t *tmp, size_t n)
{
    if (n <= 16) {
        for (size_t i = 1; i < n; i++) {
            uint32_t v = ids[i];
            size_t j = i;
            while (j > 0 && gr_cmp(o, ids[j - 1], v) > 0) {
                ids[j] = ids[j - 1];
                j--;
            }
            ids[j] = v;
        }
        return;
    }
    size_t half = n / 2;
    gr_sort(o, ids, tmp, half);
    gr_sort(o, ids + half, tmp, n - half);
    if (gr_cmp(o, ids[half - 1], ids[half]) <= 0)
        return; /* already in order (sorted input) */
    memcpy(tmp, ids, half * sizeof *ids);
    size_t i = 0, j = half, k = 0;
    while (i < half && j < n)
        ids[k++] = gr_cmp(o, tmp[i], ids[j]) <= 0 ? tmp[i++] : ids[j++];
    while (i < half)
        ids[k++] = tmp[i++];
}

/* ---- building ----------------------------------------------------------- */

static const kl_col *gr_resolve(const kl_table *t, const char *name, kl_error *err)
{
    const kl_col *c = name ? kl_table_col(t, name) : NULL;
    if (!c) {
        kl_error_set(err, KL_ERR_USAGE, "table %s has no column %s", t->name,
                     name ? name : "(null)");
        return NULL;
    }
    if (c->n < t->nrows) {
        kl_error_set(err, KL_ERR_INTERNAL, "table %s: column %s has %zu cells for %zu rows",
                     t->name, c->name, c->n, t->nrows);
        return NULL;
    }
    return c;
}

/* ORs c's missing cells (and, for TEXT, its empty ones) into *skip,
 * allocating it on first use. */
static int gr_add_skips(uint64_t **skip, const kl_col *c, size_t nrows, int text_zero)
{
    size_t words = (nrows + 63) / 64;
    if (!c->missing && !text_zero)
        return 0;
    if (!*skip && !(*skip = kl_calloc(words ? words : 1, sizeof **skip)))
        return -1;
    if (c->missing)
        for (size_t w = 0; w < words; w++)
            (*skip)[w] |= c->missing[w];
    if (text_zero) {
        const uint32_t *codes = c->data;
        for (size_t r = 0; r < nrows; r++)
            if (codes[r] == KL_STR_MISSING)
                (*skip)[r >> 6] |= UINT64_C(1) << (r & 63);
    }
    if (words && nrows % 64) /* bits past the last row: not rows, keep clear */
        (*skip)[words - 1] &= (UINT64_C(1) << (nrows % 64)) - 1;
    return 0;
}

/* Pass 1: provisional groups (0 = none) into g->row_group, and their sizes. */
static int gr_assign(kl_grouping *g, gr_build *b, const gr_keycol *kc, const uint64_t *skip,
                     size_t nrows)
{
    size_t nkeys = g->nkeys;
    int64_t key[KL_GROUP_MAX_KEYS], last[KL_GROUP_MAX_KEYS];
    uint32_t last_id = 0;
    uint32_t *counts = b->counts;

    for (size_t r = 0; r < nrows; r++) {
        uint32_t id = 0;
        if (skip && ((skip[r >> 6] >> (r & 63)) & 1u))
            goto store;
        for (size_t k = 0; k < nkeys; k++) {
            switch (kc[k].kind) {
            case GR_I8:
                key[k] = ((const int8_t *)kc[k].data)[r];
                break;
            case GR_I16:
                key[k] = ((const int16_t *)kc[k].data)[r];
                break;
            case GR_I32:
                key[k] = ((const int32_t *)kc[k].data)[r];
                break;
            case GR_I64:
                key[k] = ((const int64_t *)kc[k].data)[r];
                break;
            default:
                key[k] = ((const uint32_t *)kc[k].data)[r];
                if (key[k] == KL_STR_MISSING)
                    goto store;
                break;
            }
        }
        if (last_id != 0 && gr_key_eq(key, last, nkeys)) {
            id = last_id;
        } else {
            id = gr_intern(b, key);
            if (id == 0)
                return -1;
            counts = b->counts; /* may have moved */
            memcpy(last, key, nkeys * sizeof *key);
            last_id = id;
        }
    store:
        g->row_group[r] = id;
        counts[id]++;
    }
    return 0;
}

/* Passes 2-4 (see the top of the file); takes b's slot table as the index.
 * The last pass has no data-dependent branch: a left-out row (provisional
 * group 0) maps to KL_GROUP_NONE and is "placed" in a spare cell past the
 * last row, which is never advanced, so random left-out rows cost no branch
 * mispredictions. */
static int gr_finish(kl_grouping *g, gr_build *b, const int *is_text, size_t nrows)
{
    size_t n = b->n, nkeys = g->nkeys;
    uint32_t *order = kl_reallocarray(NULL, n + 1, sizeof *order);
    uint32_t *rank = kl_reallocarray(NULL, n + 1, sizeof *rank);
    int rc = -1;

    g->key_values = kl_reallocarray(NULL, n ? n * nkeys : 1, sizeof *g->key_values);
    g->offsets = kl_reallocarray(NULL, n + 1, sizeof *g->offsets);
    if (!order || !rank || !g->key_values || !g->offsets)
        goto done;

    gr_order o = {b->keys, nkeys, is_text, g->table->pool};
    for (size_t i = 0; i < n; i++)
        order[i] = (uint32_t)i;
    gr_sort(&o, order, rank, n);
    /* rank[p] = final group of provisional group p; offsets from the counts. */
    rank[0] = KL_GROUP_NONE;
    g->offsets[0] = 0;
    for (size_t i = 0; i < n; i++) {
        rank[order[i] + 1] = (uint32_t)i;
        memcpy(g->key_values + i * nkeys, b->keys + (size_t)order[i] * nkeys,
               nkeys * sizeof *g->key_values);
        g->offsets[i + 1] = g->offsets[i] + b->counts[order[i] + 1];
    }
    g->ngroups = n;

    /* Counting sort: each row goes to its group's next free place, in table
     * order, while row_group is rewritten to final groups. */
    uint32_t total = g->offsets[n];
    g->rows = kl_reallocarray(NULL, (size_t)total + 1, sizeof *g->rows);
    if (g->rows)
        kl_prefault(g->rows, ((size_t)total + 1) * sizeof *g->rows);
    if (!g->rows)
        goto done;
    uint32_t *next = order; /* by provisional group; no longer needed as order */
    next[0] = total;
    for (size_t p = 1; p <= n; p++)
        next[p] = g->offsets[rank[p]];
    uint32_t *row_group = g->row_group, *rows = g->rows;
    for (size_t r = 0; r < nrows; r++) {
        uint32_t p = row_group[r];
        uint32_t at = next[p];
        row_group[r] = rank[p];
        rows[at] = (uint32_t)r;
        next[p] = at + (p != 0);
    }

    /* Groups that are runs of the table in order let aggregates go group by
     * group (see GR_RUNS): rows[] is then increasing. */
    g->rows_in_order = 1;
    for (size_t k = 1; k < total && g->rows_in_order; k++)
        g->rows_in_order = rows[k] > rows[k - 1];

    /* The provisional table becomes the index: same hashes, final groups. */
    for (size_t i = 0; i <= b->mask; i++)
        if (b->slots[i] != 0)
            b->slots[i] = rank[b->slots[i]] + 1;
    g->index = b->slots;
    g->index_mask = b->mask;
    b->slots = NULL;
    rc = 0;
done:
    kl_free(order);
    kl_free(rank);
    return rc;
}

int kl_grouping_build(kl_grouping **out, const kl_table *t, const char *const *keys,
                      size_t nkeys, const char *const *require, kl_error *err)
{
    gr_keycol kc[KL_GROUP_MAX_KEYS];
    int is_text[KL_GROUP_MAX_KEYS];
    size_t nrows = t->nrows;
    uint64_t *skip = NULL;
    gr_build b = {0};
    kl_grouping *g = NULL;

    *out = NULL;
    if (nkeys < 1 || nkeys > KL_GROUP_MAX_KEYS)
        return kl_error_set(err, KL_ERR_USAGE, "grouping %s: %zu key columns (1 to %d allowed)",
                            t->name, nkeys, KL_GROUP_MAX_KEYS);
    if (nrows >= KL_GROUP_NONE)
        return kl_error_set(err, KL_ERR_DATA, "table %s: %zu rows are too many to group",
                            t->name, nrows);

    g = kl_calloc(1, sizeof *g);
    if (!g)
        return kl_error_oom(err, "grouping a table");
    g->table = t;
    g->nkeys = nkeys;
    g->nrows = nrows;

    for (size_t k = 0; k < nkeys; k++) {
        const kl_col *c = gr_resolve(t, keys[k], err);
        if (!c)
            goto fail;
        if (c->type != KL_TYPE_INT && c->type != KL_TYPE_TEXT) {
            kl_error_set(err, KL_ERR_USAGE,
                         "table %s: column %s is a number column and cannot be a group key",
                         t->name, c->name);
            goto fail;
        }
        if (c->type == KL_TYPE_TEXT && !t->pool) {
            kl_error_set(err, KL_ERR_INTERNAL, "table %s has text but no string pool", t->name);
            goto fail;
        }
        g->keys[k] = c;
        is_text[k] = c->type == KL_TYPE_TEXT;
        kc[k].data = c->data;
        kc[k].kind = is_text[k]            ? GR_U32
                     : c->int_width == 1 ? GR_I8
                     : c->int_width == 2 ? GR_I16
                     : c->int_width == 4 ? GR_I32
                                         : GR_I64;
        if (gr_add_skips(&skip, c, nrows, 0) != 0)
            goto oom;
    }
    for (size_t i = 0; require && require[i]; i++) {
        const kl_col *c = gr_resolve(t, require[i], err);
        if (!c)
            goto fail;
        if (gr_add_skips(&skip, c, nrows, c->type == KL_TYPE_TEXT) != 0)
            goto oom;
    }

    b.nkeys = nkeys;
    b.mask = GR_MIN_SLOTS - 1;
    b.cap = GR_MIN_SLOTS / 2;
    b.slots = kl_calloc(GR_MIN_SLOTS, sizeof *b.slots);
    b.keys = kl_reallocarray(NULL, b.cap, nkeys * sizeof *b.keys);
    b.counts = kl_calloc(b.cap + 1, sizeof *b.counts);
    g->row_group = kl_reallocarray(NULL, nrows ? nrows : 1, sizeof *g->row_group);
    if (g->row_group)
        kl_prefault(g->row_group, nrows * sizeof *g->row_group);
    if (!b.slots || !b.keys || !b.counts || !g->row_group)
        goto oom;
    if (gr_assign(g, &b, kc, skip, nrows) != 0 || gr_finish(g, &b, is_text, nrows) != 0)
        goto oom;

    kl_free(skip);
    kl_free(b.keys);
    kl_free(b.counts);
    kl_free(b.slots);
    *out = g;
    return KL_OK;
oom:
    kl_error_oom(err, "grouping a table");
fail:
    kl_free(skip);
    kl_free(b.keys);
    kl_free(b.counts);
    kl_free(b.slots);
    kl_grouping_free(g);
    return err ? err->status : KL_ERR_INTERNAL;
}

void kl_grouping_free(kl_grouping *g)
{
    if (!g)
        return;
    kl_free(g->key_values);
    kl_free(g->row_group);
    kl_free(g->offsets);
    kl_free(g->rows);
    kl_free(g->index);
    kl_free(g);
}

/* ---- lookups ------------------------------------------------------------ */

uint32_t kl_grouping_find(const kl_grouping *g, const int64_t *key)
{
    size_t slot;
    if (!g->index)
        return KL_GROUP_NONE;
    return gr_lookup(g->index, g->index_mask, g->key_values, g->nkeys, key, &slot);
}

uint32_t kl_grouping_prev(const kl_grouping *g, size_t group, size_t year_key)
{
    int64_t key[KL_GROUP_MAX_KEYS];
    if (group >= g->ngroups || year_key >= g->nkeys || g->keys[year_key]->type != KL_TYPE_INT)
        return KL_GROUP_NONE;
    memcpy(key, g->key_values + group * g->nkeys, g->nkeys * sizeof *key);
    if (key[year_key] == INT64_MIN)
        return KL_GROUP_NONE;
    key[year_key]--;
    return kl_grouping_find(g, key);
}

/* ---- aggregates --------------------------------------------------------- */

/* Where a cell's value comes from, decoded once per call. */
typedef struct gr_src {
    const void *data;
    const uint64_t *miss; /* col's bitmap, or NULL */
    const uint64_t *also_miss;
    const uint32_t *also_codes; /* `also` is TEXT: code 0 is absent too */
    int also;                   /* an `also` column was given */
} gr_src;

static inline int gr_bit(const uint64_t *bits, size_t r)
{
    return (int)((bits[r >> 6] >> (r & 63)) & 1u);
}

/* The row counts: its group is known, col and `also` are present. */
static inline int gr_counts(const gr_src *s, size_t r)
{
    if (s->miss && gr_bit(s->miss, r))
        return 0;
    if (s->also) {
        if (s->also_miss && gr_bit(s->also_miss, r))
            return 0;
        if (s->also_codes && s->also_codes[r] == KL_STR_MISSING)
            return 0;
    }
    return 1;
}

/*
 * One loop per (cell type, aggregate), so neither is tested per row.  Sums
 * are compensated (Neumaier): the spec wants results within 1e-9 of exact
 * whatever the order, and a group can sum values of mixed signs.
 */
#define GR_LOOP(CTYPE, BODY)                                                   \
    do {                                                                       \
        const CTYPE *vals = src->data;                                         \
        for (size_t r = 0; r < nrows; r++) {                                   \
            uint32_t grp = row_group[r];                                       \
            if (grp == KL_GROUP_NONE || !gr_counts(src, r))                    \
                continue;                                                      \
            double v = (double)vals[r];                                        \
            BODY                                                               \
        }                                                                      \
    } while (0)

#define GR_SUM_BODY                                                            \
    {                                                                          \
        double s = out[grp], t = s + v;                                        \
        comp[grp] += fabs(s) >= fabs(v) ? (s - t) + v : (v - t) + s;          \
        out[grp] = t;                                                          \
        if (cnt)                                                               \
            cnt[grp]++;                                                        \
    }
#define GR_PRESENT_BODY { (void)v; out[grp] += 1.0; }
#define GR_MIN_BODY { if (isnan(out[grp]) || v < out[grp]) out[grp] = v; }
#define GR_MAX_BODY { if (isnan(out[grp]) || v > out[grp]) out[grp] = v; }

#define GR_DISPATCH(CTYPE)                                                     \
    do {                                                                       \
        switch (agg) {                                                         \
        case KL_AGG_SUM:                                                       \
        case KL_AGG_MEAN:                                                      \
            GR_LOOP(CTYPE, GR_SUM_BODY);                                       \
            break;                                                             \
        case KL_AGG_PRESENT:                                                   \
            GR_LOOP(CTYPE, GR_PRESENT_BODY);                                   \
            break;                                                             \
        case KL_AGG_MIN:                                                       \
            GR_LOOP(CTYPE, GR_MIN_BODY);                                       \
            break;                                                             \
        default:                                                               \
            GR_LOOP(CTYPE, GR_MAX_BODY);                                       \
            break;                                                             \
        }                                                                      \
    } while (0)

/*
 * The same, group after group, when the rows of each group are a run of
 * rows in table order (the table is sorted by the keys, as panels usually
 * are): each group is summed in registers over its own rows only, instead
 * of every row of the table looking up its group and updating it in memory
 * -- rows outside every group (firms in no cluster) are not even visited.
 * The additions happen in the same order, so the results are the same to
 * the last bit.
 */
#define GR_RUNS(CTYPE, INIT, STEP, DONE)                                       \
    do {                                                                       \
        const CTYPE *vals = src->data;                                         \
        for (size_t grp = 0; grp < g->ngroups; grp++) {                        \
            double acc = INIT, cmp = 0.0;                                      \
            uint32_t n = 0;                                                    \
            for (uint32_t k = g->offsets[grp]; k < g->offsets[grp + 1]; k++) { \
                size_t r = g->rows[k];                                         \
                if (!gr_counts(src, r))                                        \
                    continue;                                                  \
                double v = (double)vals[r];                                    \
                STEP                                                           \
            }                                                                  \
            DONE                                                               \
        }                                                                      \
    } while (0)

#define GR_RUN_SUM_STEP                                                        \
    {                                                                          \
        double t = acc + v;                                                    \
        cmp += fabs(acc) >= fabs(v) ? (acc - t) + v : (v - t) + acc;          \
        acc = t;                                                               \
        n++;                                                                   \
    }
#define GR_RUN_SUM_DONE                                                        \
    {                                                                          \
        out[grp] = acc;                                                        \
        comp[grp] = cmp;                                                       \
        if (cnt)                                                               \
            cnt[grp] = n;                                                      \
    }
#define GR_RUN_PRESENT_STEP { (void)v; n++; }
#define GR_RUN_MIN_STEP { if (isnan(acc) || v < acc) acc = v; }
#define GR_RUN_MAX_STEP { if (isnan(acc) || v > acc) acc = v; }
#define GR_RUN_PRESENT_DONE { (void)acc; (void)cmp; out[grp] = (double)n; }
#define GR_RUN_EXTREME_DONE { (void)cmp; (void)n; out[grp] = acc; }

#define GR_DISPATCH_RUNS(CTYPE)                                                \
    do {                                                                       \
        switch (agg) {                                                         \
        case KL_AGG_SUM:                                                       \
        case KL_AGG_MEAN:                                                      \
            GR_RUNS(CTYPE, 0.0, GR_RUN_SUM_STEP, GR_RUN_SUM_DONE);             \
            break;                                                             \
        case KL_AGG_PRESENT:                                                   \
            GR_RUNS(CTYPE, 0.0, GR_RUN_PRESENT_STEP, GR_RUN_PRESENT_DONE);     \
            break;                                                             \
        case KL_AGG_MIN:                                                       \
            GR_RUNS(CTYPE, NAN, GR_RUN_MIN_STEP, GR_RUN_EXTREME_DONE);         \
            break;                                                             \
        default:                                                               \
            GR_RUNS(CTYPE, NAN, GR_RUN_MAX_STEP, GR_RUN_EXTREME_DONE);         \
            break;                                                             \
        }                                                                      \
    } while (0)

#define GR_DISPATCH_ANY(CTYPE)                                                 \
    do {                                                                       \
        if (g->rows_in_order)                                                  \
            GR_DISPATCH_RUNS(CTYPE);                                           \
        else                                                                   \
            GR_DISPATCH(CTYPE);                                                \
    } while (0)

static void gr_run(const kl_grouping *g, kl_agg agg, const kl_col *col, const gr_src *src,
                   double *out, double *comp, uint32_t *cnt)
{
    const uint32_t *row_group = g->row_group;
    size_t nrows = g->nrows;

    if (col->type == KL_TYPE_NUM)
        GR_DISPATCH_ANY(double);
    else if (col->int_width == 1)
        GR_DISPATCH_ANY(int8_t);
    else if (col->int_width == 2)
        GR_DISPATCH_ANY(int16_t);
    else if (col->int_width == 4)
        GR_DISPATCH_ANY(int32_t);
    else
        GR_DISPATCH_ANY(int64_t);
}

static int gr_check_len(const kl_grouping *g, const kl_col *c, kl_error *err)
{
    if (c->n < g->nrows)
        return kl_error_set(err, KL_ERR_USAGE,
                            "column %s has %zu cells but the grouped table has %zu rows",
                            c->name, c->n, g->nrows);
    return KL_OK;
}

int kl_grouping_aggregate(const kl_grouping *g, kl_agg agg, const kl_col *col,
                          const kl_col *also, double *out, kl_error *err)
{
    size_t n = g->ngroups;
    double *comp = NULL;
    uint32_t *cnt = NULL;

    if (agg == KL_AGG_COUNT) { /* the group sizes: no pass over the column */
        for (size_t i = 0; i < n; i++)
            out[i] = (double)(g->offsets[i + 1] - g->offsets[i]);
        return KL_OK;
    }
    if ((int)agg < (int)KL_AGG_SUM || (int)agg > (int)KL_AGG_MAX)
        return kl_error_set(err, KL_ERR_USAGE, "unknown aggregate %d", (int)agg);
    if (!col || (col->type != KL_TYPE_INT && col->type != KL_TYPE_NUM))
        return kl_error_set(err, KL_ERR_USAGE, "column %s is not a number column: cannot aggregate it",
                            col ? col->name : "(null)");
    if (gr_check_len(g, col, err) != KL_OK || (also && gr_check_len(g, also, err) != KL_OK))
        return err ? err->status : KL_ERR_USAGE;

    if (agg == KL_AGG_SUM || agg == KL_AGG_MEAN) {
        comp = kl_calloc(n ? n : 1, sizeof *comp);
        if (agg == KL_AGG_MEAN)
            cnt = kl_calloc(n ? n : 1, sizeof *cnt);
        if (!comp || (agg == KL_AGG_MEAN && !cnt)) {
            kl_free(comp);
            kl_free(cnt);
            return kl_error_oom(err, "aggregating a column");
        }
    }
    double init = agg == KL_AGG_MIN || agg == KL_AGG_MAX ? NAN : 0.0;
    for (size_t i = 0; i < n; i++)
        out[i] = init;

    gr_src src = {col->data, col->missing, NULL, NULL, also != NULL};
    if (also) {
        src.also_miss = also->missing;
        if (also->type == KL_TYPE_TEXT)
            src.also_codes = also->data;
    }
    gr_run(g, agg, col, &src, out, comp, cnt);

    if (comp)
        for (size_t i = 0; i < n; i++)
            out[i] += comp[i];
    if (cnt)
        for (size_t i = 0; i < n; i++)
            out[i] = cnt[i] ? out[i] / cnt[i] : NAN;
    kl_free(comp);
    kl_free(cnt);
    return KL_OK;
}
