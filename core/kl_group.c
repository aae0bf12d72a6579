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
 *   3. one pass remaps rows to ranks and places them (a counting sort, so
 *      each group keeps table order);
 *   4. the hash table is kept as the lookup index, its ids remapped.
 * Rows in no group (a missing key or required cell: firms in no cluster)
 * are marked in a bitmap, so passes 1 and 3 and the aggregates go 64 rows
 * at a time and never test them one by one.  Aggregates make one
 * sequential pass over the column per call.
 */
#include "kl_group.h"

#include <math.h>

#include "kl_alloc.h"

#define GR_MIN_SLOTS 64u

/* Set bits of w.  Without -mpopcnt __builtin_popcountll is a libgcc call
 * that counts through a table; this is a few register operations. */
static inline unsigned gr_popcount(uint64_t w)
{
#ifdef __POPCNT__
    return (unsigned)__builtin_popcountll(w);
#else
    w -= (w >> 1) & UINT64_C(0x5555555555555555);
    w = (w & UINT64_C(0x3333333333333333)) + ((w >> 2) & UINT64_C(0x3333333333333333));
    w = (w + (w >> 4)) & UINT64_C(0x0F0F0F0F0F0F0F0F);
    return (unsigned)((w * UINT64_C(0x0101010101010101)) >> 56);
#endif
}

/* Bits for the rows base .. base+63 that exist in a table of nrows rows:
 * loops go 64 rows (one word of a row bitmap) at a time. */
static inline uint64_t gr_word_rows(size_t nrows, size_t base)
{
    return nrows - base < 64 ? (UINT64_C(1) << (nrows - base)) - 1 : ~UINT64_C(0);
}

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
    uint32_t *counts; /* [n + 1]: rows per provisional group ([0] unused) */
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
    if (text_zero) { /* a word of bits at a time, without a branch per row */
        const uint32_t *codes = c->data;
        for (size_t base = 0; base < nrows; base += 64) {
            const uint32_t *w = codes + base;
            size_t n = nrows - base < 64 ? nrows - base : 64;
            uint64_t bits = 0;
            for (size_t i = 0; i < n; i++)
                bits |= (uint64_t)(w[i] == KL_STR_MISSING) << i;
            (*skip)[base >> 6] |= bits;
        }
    }
    if (words && nrows % 64) /* bits past the last row: not rows, keep clear */
        (*skip)[words - 1] &= (UINT64_C(1) << (nrows % 64)) - 1;
    return 0;
}

/* Provisional group of row r (0: a TEXT key is missing); updates the
 * last-seen key and id.  Returns UINT32_MAX when out of memory. */
static inline uint32_t gr_assign_row(gr_build *b, const gr_keycol *kc, size_t nkeys, size_t r,
                                     int64_t *last, uint32_t *last_id)
{
    int64_t key[KL_GROUP_MAX_KEYS];
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
                return 0;
            break;
        }
    }
    if (*last_id != 0 && gr_key_eq(key, last, nkeys))
        return *last_id;
    uint32_t id = gr_intern(b, key);
    if (id == 0)
        return UINT32_MAX;
    memcpy(last, key, nkeys * sizeof *key);
    *last_id = id;
    return id;
}

/*
 * Pass 1: provisional groups into g->row_group (KL_GROUP_NONE for rows left
 * out, also marked in g->left_out), and their sizes.  Rows go 64 at a time
 * by the skip bitmap: in a table where most rows are in no group (firms in
 * no cluster) a test per row would be a branch mispredicted at random.
 */
static int gr_assign(kl_grouping *g, gr_build *b, const gr_keycol *kc, const uint64_t *skip,
                     size_t nrows)
{
    size_t nkeys = g->nkeys;
    int64_t last[KL_GROUP_MAX_KEYS];
    uint32_t last_id = 0, *row_group = g->row_group;
    uint64_t *left_out = kl_calloc(nrows / 64 + 1, sizeof *left_out);
    size_t nleft = 0;

    if (!left_out)
        return -1;
    for (size_t base = 0; base < nrows; base += 64) {
        size_t n = nrows - base < 64 ? nrows - base : 64;
        uint64_t live = gr_word_rows(nrows, base), out = 0;
        if (skip) {
            out = skip[base >> 6] & live;
            live &= ~out;
            memset(row_group + base, 0xff, n * sizeof *row_group); /* KL_GROUP_NONE */
        }
        for (; live; live &= live - 1) {
            size_t r = base + (size_t)__builtin_ctzll(live);
            uint32_t id = gr_assign_row(b, kc, nkeys, r, last, &last_id);
            if (id == UINT32_MAX) {
                kl_free(left_out);
                return -1;
            }
            if (id == 0) { /* a TEXT key is missing */
                out |= UINT64_C(1) << (r - base);
                row_group[r] = KL_GROUP_NONE;
                continue;
            }
            row_group[r] = id;
            b->counts[id]++;
        }
        left_out[base >> 6] = out;
        nleft += (size_t)gr_popcount(out);
    }
    if (nleft)
        g->left_out = left_out; /* also lets aggregates skip them 64 at a time */
    else
        kl_free(left_out);
    return 0;
}

/* Passes 2-4 (see the top of the file); takes b's slot table as the index.
 * The placing pass visits only the rows in a group, 64 at a time by
 * g->left_out, so random left-out rows cost no branch mispredictions. */
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
    g->rows = kl_reallocarray(NULL, total ? total : 1, sizeof *g->rows);
    if (g->rows)
        kl_prefault(g->rows, (size_t)total * sizeof *g->rows);
    if (!g->rows)
        goto done;
    uint32_t *next = order; /* by provisional group; no longer needed as order */
    for (size_t p = 1; p <= n; p++)
        next[p] = g->offsets[rank[p]];
    uint32_t *row_group = g->row_group, *rows = g->rows;
    for (size_t base = 0; base < nrows; base += 64) {
        uint64_t live = gr_word_rows(nrows, base);
        if (g->left_out)
            live &= ~g->left_out[base >> 6];
        for (; live; live &= live - 1) {
            size_t r = base + (size_t)__builtin_ctzll(live);
            uint32_t p = row_group[r];
            row_group[r] = rank[p];
            rows[next[p]++] = (uint32_t)r;
        }
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
    kl_free(g->left_out);
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
    const uint64_t *left_out; /* the grouping's, or NULL */
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

/* Rows base .. base+63 in a group that count, as bits (no TEXT `also`). */
static inline uint64_t gr_live_word(const gr_src *s, size_t base)
{
    uint64_t m = 0;
    if (s->left_out)
        m |= s->left_out[base >> 6];
    if (s->miss)
        m |= s->miss[base >> 6];
    if (s->also_miss)
        m |= s->also_miss[base >> 6];
    return ~m;
}

/* The rows that count of the word holding row `at`, from at up to r1
 * (excluded); *base is the word's first row. */
static inline uint64_t gr_range_word(const gr_src *s, size_t at, size_t r1, size_t *base)
{
    *base = at & ~(size_t)63;
    return gr_live_word(s, *base) & (~UINT64_C(0) << (at - *base)) & gr_word_rows(r1, *base);
}

/*
 * Sums.  The spec wants results within 1e-9 of the exact sum whatever the
 * order, and a group can sum values of mixed signs and sizes:
 *   - integer cells up to 4 bytes wide are summed exactly in an int64
 *     (under 2^31 in magnitude times under 2^32 rows cannot overflow), and
 *     rounded once at the end;
 *   - numbers and 8-byte integers are summed with Neumaier's compensation,
 *     in GR_LANES lanes when groups are large (row r going to lane
 *     r % GR_LANES, the lanes combined in a fixed order at the end).  One
 *     chain waits for each addition before the next; four let four be in
 *     flight (a long run sums ~3x faster).  Small groups have one lane:
 *     lanes would only cost memory (8 doubles a group).  Lanes follow the
 *     row number, not the position in the group, so both ways of visiting
 *     rows below give the same bits.
 */
#define GR_LANES 4

/* The running sums of one aggregate call, one entry (or `lanes`) a group. */
typedef struct gr_accs {
    size_t lanes;   /* 1 or GR_LANES */
    double *s, *c;  /* [ngroups * lanes] Neumaier sums and compensations */
    int64_t *exact; /* [ngroups] exact sums */
    uint32_t *n;    /* [ngroups] rows counted */
} gr_accs;

/* How a call sums: only counts (PRESENT), exactly, or compensated. */
enum { GR_COUNT, GR_EXACT, GR_NEUMAIER };

static inline void gr_neumaier(double *s, double *c, double v)
{
    double t = *s + v;
    *c += fabs(*s) >= fabs(v) ? (*s - t) + v : (v - t) + *s;
    *s = t;
}

static double gr_accs_sum(const gr_accs *a, int how, size_t grp)
{
    double s = 0.0, c = 0.0;
    if (how == GR_EXACT)
        return (double)a->exact[grp];
    for (size_t l = 0; l < a->lanes; l++)
        gr_neumaier(&s, &c, a->s[grp * a->lanes + l]);
    for (size_t l = 0; l < a->lanes; l++)
        c += a->c[grp * a->lanes + l];
    return s + c;
}

/*
 * The sum of rows r0 .. r1-1 (a run of the table) into one group's lanes
 * s[LANES], c[LANES] or exact sum *ex, and count *n, 64 rows at a time: a
 * word of the bitmaps tells which rows count, and a word where all do runs
 * without a test per row.
 */
#define GR_SUM_RANGE(NAME, CTYPE, EXACT, LANES)                                \
    static void NAME(const gr_src *src, size_t r0, size_t r1, double *sg, double *cg, \
                     int64_t *ex, uint32_t *np)                                \
    {                                                                          \
        const CTYPE *vals = src->data;                                         \
        double s[LANES] = {0}, c[LANES] = {0};                                 \
        int64_t exact = 0;                                                     \
        uint32_t n = 0;                                                        \
        for (size_t at = r0, base; at < r1; at = base + 64) {                  \
            uint64_t live = gr_range_word(src, at, r1, &base);                 \
            if (live == ~UINT64_C(0)) {                                        \
                const CTYPE *v = vals + base;                                  \
                if (EXACT) {                                                   \
                    for (size_t i = 0; i < 64; i++)                            \
                        exact += (int64_t)v[i];                                \
                } else {                                                       \
                    for (size_t i = 0; i < 64; i += LANES)                     \
                        for (size_t l = 0; l < LANES; l++)                     \
                            gr_neumaier(&s[l], &c[l], (double)v[i + l]);       \
                }                                                              \
                n += 64;                                                       \
            } else {                                                           \
                n += gr_popcount(live);                                        \
                for (; live; live &= live - 1) {                               \
                    size_t r = base + (size_t)__builtin_ctzll(live);           \
                    if (EXACT)                                                 \
                        exact += (int64_t)vals[r];                             \
                    else                                                       \
                        gr_neumaier(&s[r % LANES], &c[r % LANES], (double)vals[r]); \
                }                                                              \
            }                                                                  \
        }                                                                      \
        if (EXACT) {                                                           \
            *ex += exact;                                                      \
        } else {                                                               \
            for (size_t l = 0; l < LANES; l++) /* into lanes already begun */  \
                gr_neumaier(&sg[l], &cg[l], s[l]), cg[l] += c[l];              \
        }                                                                      \
        *np += n;                                                              \
    }

typedef void gr_range_fn(const gr_src *src, size_t r0, size_t r1, double *sg, double *cg,
                         int64_t *ex, uint32_t *np);

/* Only counts the rows of r0 .. r1-1 that count (KL_AGG_PRESENT). */
static void gr_count_range(const gr_src *src, size_t r0, size_t r1, double *sg, double *cg,
                           int64_t *ex, uint32_t *np)
{
    (void)sg, (void)cg, (void)ex;
    for (size_t at = r0, base; at < r1; at = base + 64)
        *np += gr_popcount(gr_range_word(src, at, r1, &base));
}

GR_SUM_RANGE(gr_sum_range_num4, double, 0, GR_LANES)
GR_SUM_RANGE(gr_sum_range_num1, double, 0, 1)
GR_SUM_RANGE(gr_sum_range_i64_4, int64_t, 0, GR_LANES)
GR_SUM_RANGE(gr_sum_range_i64_1, int64_t, 0, 1)
GR_SUM_RANGE(gr_sum_range_i8, int8_t, 1, 1)
GR_SUM_RANGE(gr_sum_range_i16, int16_t, 1, 1)
GR_SUM_RANGE(gr_sum_range_i32, int32_t, 1, 1)

static gr_range_fn *gr_range_for(const kl_col *col, int how, size_t lanes)
{
    if (how == GR_COUNT)
        return gr_count_range;
    if (col->type == KL_TYPE_NUM)
        return lanes == 1 ? gr_sum_range_num1 : gr_sum_range_num4;
    switch (col->int_width) {
    case 1:
        return gr_sum_range_i8;
    case 2:
        return gr_sum_range_i16;
    case 4:
        return gr_sum_range_i32;
    default:
        return lanes == 1 ? gr_sum_range_i64_1 : gr_sum_range_i64_4;
    }
}

/* The value of row r as a double. */
static inline double gr_value(const kl_col *col, size_t r)
{
    return col->type == KL_TYPE_NUM ? ((const double *)col->data)[r] : (double)kl_col_int(col, r);
}

static inline void gr_accs_add(gr_accs *a, int how, size_t grp, const kl_col *col, size_t r)
{
    if (how == GR_EXACT) {
        a->exact[grp] += kl_col_int(col, r);
    } else if (how == GR_NEUMAIER) {
        size_t l = grp * a->lanes + r % a->lanes;
        gr_neumaier(&a->s[l], &a->c[l], gr_value(col, r));
    }
    a->n[grp]++;
}

/*
 * Sum and count of counted rows per group into a.  When groups follow each
 * other in table order (the table sorted by the keys, as panels usually
 * are), the rows from a group's first to its last are its own or in no
 * group, so each group goes over that span 64 rows at a time, the left-out
 * ones masked off like missing cells.  Otherwise row by row, in table
 * order, 64 rows at a time too when the bitmaps say which rows count.
 */
static void gr_sum(const kl_grouping *g, const kl_col *col, const gr_src *src, int how,
                   gr_accs *a)
{
    gr_range_fn *range = gr_range_for(col, how, a->lanes);
    size_t L = a->lanes;

    if (!g->rows_in_order && src->also_codes) {
        for (size_t r = 0; r < g->nrows; r++) {
            uint32_t grp = g->row_group[r];
            if (grp != KL_GROUP_NONE && gr_counts(src, r))
                gr_accs_add(a, how, grp, col, r);
        }
        return;
    }
    if (!g->rows_in_order) {
        /* only the counted rows are visited: rows in no group (firms in no
         * cluster) and missing cells cost no branch */
        for (size_t base = 0; base < g->nrows; base += 64) {
            uint64_t live = gr_live_word(src, base) & gr_word_rows(g->nrows, base);
            for (; live; live &= live - 1) {
                size_t r = base + (size_t)__builtin_ctzll(live);
                gr_accs_add(a, how, g->row_group[r], col, r);
            }
        }
        return;
    }
    for (size_t grp = 0; grp < g->ngroups; grp++) {
        uint32_t lo = g->offsets[grp], hi = g->offsets[grp + 1];
        if (lo == hi)
            continue;
        if (!src->also_codes) {
            range(src, g->rows[lo], (size_t)g->rows[hi - 1] + 1, a->s ? a->s + grp * L : NULL,
                  a->c ? a->c + grp * L : NULL, a->exact ? a->exact + grp : NULL, a->n + grp);
            continue;
        }
        for (uint32_t k = lo; k < hi; k++)
            if (gr_counts(src, g->rows[k]))
                gr_accs_add(a, how, grp, col, g->rows[k]);
    }
}

/* Minimum or maximum per group (NaN when no row counts), row by row. */
static void gr_extreme(const kl_grouping *g, const kl_col *col, const gr_src *src, int max,
                       double *out)
{
    for (size_t r = 0; r < g->nrows; r++) {
        uint32_t grp = g->row_group[r];
        double v;
        if (grp == KL_GROUP_NONE || !gr_counts(src, r))
            continue;
        v = gr_value(col, r);
        if (isnan(out[grp]) || (max ? v > out[grp] : v < out[grp]))
            out[grp] = v;
    }
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

    gr_src src = {col->data, g->left_out, col->missing, NULL, NULL, also != NULL};
    if (also) {
        src.also_miss = also->missing;
        if (also->type == KL_TYPE_TEXT)
            src.also_codes = also->data;
    }
    if (agg == KL_AGG_MIN || agg == KL_AGG_MAX) {
        for (size_t i = 0; i < n; i++)
            out[i] = NAN;
        gr_extreme(g, col, &src, agg == KL_AGG_MAX, out);
        return KL_OK;
    }

    int how = agg == KL_AGG_PRESENT                           ? GR_COUNT
              : col->type == KL_TYPE_INT && col->int_width <= 4 ? GR_EXACT
                                                                : GR_NEUMAIER;
    gr_accs a = {g->nrows >= (size_t)64 * n ? GR_LANES : 1, NULL, NULL, NULL, NULL};
    size_t m = n ? n : 1;
    int ok = (a.n = kl_calloc(m, sizeof *a.n)) != NULL;
    if (ok && how == GR_EXACT)
        ok = (a.exact = kl_calloc(m, sizeof *a.exact)) != NULL;
    if (ok && how == GR_NEUMAIER)
        ok = (a.s = kl_calloc(m * a.lanes, sizeof *a.s)) != NULL &&
             (a.c = kl_calloc(m * a.lanes, sizeof *a.c)) != NULL;
    if (ok) {
        gr_sum(g, col, &src, how, &a);
        for (size_t i = 0; i < n; i++) {
            if (agg == KL_AGG_PRESENT)
                out[i] = (double)a.n[i];
            else if (agg == KL_AGG_SUM)
                out[i] = gr_accs_sum(&a, how, i);
            else
                out[i] = a.n[i] ? gr_accs_sum(&a, how, i) / a.n[i] : NAN;
        }
    }
    kl_free(a.n);
    kl_free(a.exact);
    kl_free(a.s);
    kl_free(a.c);
    return ok ? KL_OK : kl_error_oom(err, "aggregating a column");
}
