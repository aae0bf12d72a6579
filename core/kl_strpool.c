/*
 * kl_strpool.c -- the string interner behind text columns (see kl_strpool.h).
 *
 * Loading calls kl_strpool_intern() once per text cell (millions of times),
 * and most cells repeat a string already seen (regions, clusters, firm ids
 * over the years), so the design keeps that case to one hash and one
 * compare:
 *   - an open-addressing table (linear probing, power-of-two capacity, at
 *     most 3/4 full) whose 8-byte slots hold (32-bit hash << 32 | code): a
 *     probe compares hashes in the slot and touches the string only when
 *     they match, and growing rehashes from the slots alone, without reading
 *     any string;
 *   - the bytes live in arena chunks of up to 1 MiB (never one malloc per
 *     string), each entry laid out as [uint32 length][bytes][NUL], so a
 *     candidate's length and bytes share a cache line;
 *   - a code -> string array gives kl_strpool_get() in O(1);
 *   - UTF-8 is validated only when a string is new.
 * Code 0 is "" and is never stored in the table, so a zero slot means
 * "empty".  (A variant whose slots point straight at the entry, skipping the
 * code -> string array, was measured: 10% faster on random-order lookups of
 * 5M distinct strings, but 15-20% slower to insert and 4 bytes more per
 * string, and no faster on the repeated-in-order case that loading sees.)
 */
#include "kl_strpool.h"

#include <string.h>

#include "kl_alloc.h"

/* Table load limit 3/4: probes stay within a cache line or two. */
#define SP_LOAD_NUM 3u
#define SP_LOAD_DEN 4u
#define SP_MIN_SLOTS 1024u
#define SP_MIN_CODES 256u
/* Arena chunks grow from small (a pool holding a few names should not cost a
 * megabyte) to 1 MiB; a string longer than a quarter of that gets a chunk of
 * its own so the current chunk is not abandoned. */
#define SP_FIRST_CHUNK ((size_t)4096)
#define SP_MAX_CHUNK ((size_t)1 << 20)
#define SP_ENTRY_OVERHEAD 5u /* length prefix + NUL */
/* Slot indexes come from 32 hash bits and the table is kept under 3/4 full,
 * so 2^31 codes is the most the table can address. */
#define SP_MAX_CODES ((uint32_t)1 << 31)

typedef struct sp_chunk {
    struct sp_chunk *next;
    size_t size;
    char data[];
} sp_chunk;

struct kl_strpool {
    uint64_t *slots;    /* (hash32 << 32) | code; 0 = empty */
    size_t mask;        /* slot count - 1 */
    uint32_t count;     /* codes in use, code 0 included */
    const char **strs;  /* code -> bytes; the length sits in the 4 bytes before */
    size_t strs_cap;
    sp_chunk *chunks;   /* newest first; the current one is chunks */
    size_t chunk_used;  /* bytes used in the current chunk */
    size_t next_chunk;  /* size of the next regular chunk */
    size_t arena_bytes; /* sum of chunk sizes, for kl_strpool_bytes */
};

/* The bytes of "" with its length prefix, so code 0 needs no allocation. */
static const char sp_empty_entry[SP_ENTRY_OVERHEAD] = {0, 0, 0, 0, 0};

/* ---- hashing ---------------------------------------------------------- */

/* 64x64 -> 128 bit multiply folded to 64 bits: the mixing step of wyhash. */
static inline uint64_t sp_mum(uint64_t a, uint64_t b)
{
#ifdef __SIZEOF_INT128__
    __extension__ typedef unsigned __int128 sp_u128;
    sp_u128 r = (sp_u128)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
#else
    uint64_t ha = a >> 32, la = (uint32_t)a, hb = b >> 32, lb = (uint32_t)b;
    uint64_t rh = ha * hb, rm0 = ha * lb, rm1 = hb * la, rl = la * lb;
    uint64_t t = rl + (rm0 << 32), c = t < rl;
    uint64_t lo = t + (rm1 << 32);
    c += lo < t;
    uint64_t hi = rh + (rm0 >> 32) + (rm1 >> 32) + c;
    return lo ^ hi;
#endif
}

static inline uint64_t sp_r64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static inline uint64_t sp_r32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

#define SP_P0 UINT64_C(0xa0761d6478bd642f)
#define SP_P1 UINT64_C(0xe7037ed1a0b428db)
#define SP_P2 UINT64_C(0x8ebc6af09c88c6e3)

/* Hash of len > 0 bytes.  Reads whole words (overlapping at the tail) and
 * never past s + len, so s need not be NUL-terminated. */
static inline uint64_t sp_hash(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    uint64_t h = SP_P0 ^ ((uint64_t)len * SP_P1);
    uint64_t a, b;
    size_t n = len;

    while (n > 16) {
        h = sp_mum(sp_r64(p) ^ SP_P1, sp_r64(p + 8) ^ h);
        p += 16;
        n -= 16;
    }
    if (n > 8) {
        a = sp_r64(p);
        b = sp_r64(p + n - 8);
    } else if (n >= 4) {
        a = sp_r32(p);
        b = sp_r32(p + n - 4);
    } else {
        a = ((uint64_t)p[0] << 16) | ((uint64_t)p[n >> 1] << 8) | p[n - 1];
        b = 0;
    }
    return sp_mum(SP_P2 ^ len, sp_mum(a ^ SP_P1, b ^ h));
}

/* ---- entries ------------------------------------------------------------ */

static inline size_t sp_entry_len(const char *bytes)
{
    uint32_t n;
    memcpy(&n, bytes - 4, 4);
    return n;
}

/* The 32 hash bits kept in a slot; they also pick the slot. */
static inline uint32_t sp_hash32(const char *s, size_t len)
{
    return (uint32_t)(sp_hash(s, len) >> 32);
}

/* Where the probe for (s, len, h32) ends: the slot holding it (*found = its
 * code) or the empty slot where it would go (*found = UINT32_MAX). */
static inline size_t sp_probe(const kl_strpool *pool, const char *s, size_t len,
                              uint32_t h32, uint32_t *found)
{
    size_t i = h32 & pool->mask;
    for (;;) {
        uint64_t e = pool->slots[i];
        if (e == 0) {
            *found = UINT32_MAX;
            return i;
        }
        if ((uint32_t)(e >> 32) == h32) {
            uint32_t code = (uint32_t)e;
            const char *p = pool->strs[code];
            if (sp_entry_len(p) == len && memcmp(p, s, len) == 0) {
                *found = code;
                return i;
            }
        }
        i = (i + 1) & pool->mask;
    }
}

/* ---- UTF-8 validation --------------------------------------------------- */

/* Checks s[0..len) is UTF-8 without NUL bytes (Unicode 15, table 3-7: no
 * overlong forms, no surrogates, nothing past U+10FFFF). */
static int sp_check_utf8(const char *s, size_t len, kl_error *err)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    const char *why;

    while (i < len) {
        /* ASCII fast path, 8 bytes at a time: no high bit and no zero byte. */
        while (i + 8 <= len) {
            uint64_t w = sp_r64(p + i);
            uint64_t zero = (w - UINT64_C(0x0101010101010101)) & ~w & UINT64_C(0x8080808080808080);
            if ((w & UINT64_C(0x8080808080808080)) || zero)
                break;
            i += 8;
        }
        if (i >= len)
            break;
        unsigned c = p[i];
        if (c >= 0x01 && c < 0x80) {
            i++;
            continue;
        }
        if (c == 0) {
            why = "NUL byte";
            goto bad;
        }
        size_t need;
        unsigned lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
        if (c >= 0xC2 && c <= 0xDF) {
            need = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 2;
            if (c == 0xE0)
                lo = 0xA0; /* below is an overlong form */
            else if (c == 0xED)
                hi = 0x9F; /* above is a surrogate */
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3;
            if (c == 0xF0)
                lo = 0x90; /* below is an overlong form */
            else if (c == 0xF4)
                hi = 0x8F; /* above is past U+10FFFF */
        } else if (c == 0xC0 || c == 0xC1) {
            why = "overlong encoding";
            goto bad;
        } else if (c >= 0x80 && c <= 0xBF) {
            why = "unexpected continuation byte";
            goto bad;
        } else {
            why = "code point above U+10FFFF";
            goto bad;
        }
        if (i + need >= len) { /* the sequence runs past the end */
            why = "truncated sequence";
            goto bad;
        }
        unsigned c1 = p[i + 1];
        if (c1 < lo || c1 > hi) {
            if (c1 >= 0x80 && c1 <= 0xBF)
                why = c == 0xED ? "surrogate code point"
                      : c == 0xF4 ? "code point above U+10FFFF"
                                  : "overlong encoding";
            else
                why = "truncated sequence";
            goto bad;
        }
        for (size_t k = 2; k <= need; k++) {
            if ((p[i + k] & 0xC0) != 0x80) {
                why = "truncated sequence";
                goto bad;
            }
        }
        i += need + 1;
    }
    return KL_OK;
bad:
    return kl_error_set(err, KL_ERR_DATA, "invalid UTF-8 at byte %zu of the text: %s",
                        i + 1, why);
}

/* ---- growth ------------------------------------------------------------- */

/* Doubles the slot table, placing every entry by the hash kept in its slot. */
static int sp_grow_slots(kl_strpool *pool)
{
    size_t old_n = pool->mask + 1, n = old_n * 2;
    uint64_t *slots = kl_calloc(n, sizeof *slots);
    if (slots)
        kl_prefault(slots, n * sizeof *slots); /* every page gets written: map them at once */
    if (!slots)
        return -1;
    for (size_t i = 0; i < old_n; i++) {
        uint64_t e = pool->slots[i];
        if (e == 0)
            continue;
        size_t j = (uint32_t)(e >> 32) & (n - 1);
        while (slots[j] != 0)
            j = (j + 1) & (n - 1);
        slots[j] = e;
    }
    kl_free(pool->slots);
    pool->slots = slots;
    pool->mask = n - 1;
    return 0;
}

/* Room for one more code in the code -> string array (1.5x growth). */
static int sp_grow_strs(kl_strpool *pool)
{
    if (pool->count < pool->strs_cap)
        return 0;
    size_t cap = pool->strs_cap + pool->strs_cap / 2;
    const char **strs = kl_reallocarray(pool->strs, cap, sizeof *strs);
    if (strs)
        kl_prefault(strs + pool->count, (cap - pool->count) * sizeof *strs);
    if (!strs)
        return -1;
    pool->strs = strs;
    pool->strs_cap = cap;
    return 0;
}

/* Copies s[0..len) into the arena as [length][bytes][NUL]; returns the bytes. */
static const char *sp_arena_add(kl_strpool *pool, const char *s, size_t len)
{
    size_t need = len + SP_ENTRY_OVERHEAD;
    sp_chunk *c = pool->chunks;
    char *at;

    if (c && c->size - pool->chunk_used >= need) {
        at = c->data + pool->chunk_used;
        pool->chunk_used += need;
    } else if (need > SP_MAX_CHUNK / 4) {
        /* A big string gets a chunk of its own, linked behind the current
         * one so that the current one keeps filling. */
        sp_chunk *own = kl_malloc(sizeof *own + need);
        if (!own)
            return NULL;
        own->size = need;
        if (c) {
            own->next = c->next;
            c->next = own;
        } else {
            own->next = NULL;
            pool->chunks = own;
            pool->chunk_used = need;
        }
        pool->arena_bytes += need;
        at = own->data;
    } else {
        size_t size = pool->next_chunk;
        while (size < need)
            size *= 2;
        sp_chunk *fresh = kl_malloc(sizeof *fresh + size);
        if (fresh)
            kl_prefault(fresh, sizeof *fresh + size);
        if (!fresh)
            return NULL;
        fresh->size = size;
        fresh->next = c;
        pool->chunks = fresh;
        pool->chunk_used = need;
        pool->arena_bytes += size;
        if (pool->next_chunk < SP_MAX_CHUNK)
            pool->next_chunk *= 2;
        at = fresh->data;
    }
    uint32_t n32 = (uint32_t)len;
    memcpy(at, &n32, 4);
    memcpy(at + 4, s, len);
    at[4 + len] = '\0';
    return at + 4;
}

/* ---- public ------------------------------------------------------------- */

kl_strpool *kl_strpool_new(void)
{
    kl_strpool *pool = kl_calloc(1, sizeof *pool);
    if (!pool)
        return NULL;
    pool->slots = kl_calloc(SP_MIN_SLOTS, sizeof *pool->slots);
    pool->strs = kl_reallocarray(NULL, SP_MIN_CODES, sizeof *pool->strs);
    if (!pool->slots || !pool->strs) {
        kl_strpool_free(pool);
        return NULL;
    }
    pool->mask = SP_MIN_SLOTS - 1;
    pool->strs_cap = SP_MIN_CODES;
    pool->strs[0] = sp_empty_entry + 4;
    pool->count = 1;
    pool->next_chunk = SP_FIRST_CHUNK;
    return pool;
}

void kl_strpool_free(kl_strpool *pool)
{
    if (!pool)
        return;
    sp_chunk *c = pool->chunks;
    while (c) {
        sp_chunk *next = c->next;
        kl_free(c);
        c = next;
    }
    kl_free(pool->slots);
    kl_free(pool->strs);
    kl_free(pool);
}

uint32_t kl_strpool_hash(const char *s, size_t len)
{
    return len ? sp_hash32(s, len) : 0;
}

void kl_strpool_prefetch(const kl_strpool *pool, uint32_t hash, int depth)
{
    size_t i = hash & pool->mask;
    uint64_t e;

    if (depth == 0) {
        __builtin_prefetch(&pool->slots[i]);
        return;
    }
    /* Deeper levels follow the first slot whose hash matches (almost always
     * the one the lookup will compare); they only read what an earlier
     * level brought in, so a wrong guess costs nothing but a useless load. */
    e = pool->slots[i];
    if (e == 0 || (uint32_t)(e >> 32) != hash) {
        e = pool->slots[(i + 1) & pool->mask];
        if (e == 0 || (uint32_t)(e >> 32) != hash)
            return;
    }
    if (depth == 1)
        __builtin_prefetch(&pool->strs[(uint32_t)e]);
    else
        __builtin_prefetch(pool->strs[(uint32_t)e] - 4);
}

uint32_t kl_strpool_intern(kl_strpool *pool, const char *s, size_t len, kl_error *err)
{
    return kl_strpool_intern_hashed(pool, s, len, len ? sp_hash32(s, len) : 0, err);
}

uint32_t kl_strpool_intern_hashed(kl_strpool *pool, const char *s, size_t len, uint32_t h32,
                                  kl_error *err)
{
    if (len == 0)
        return KL_STR_MISSING;

    uint32_t code;
    size_t slot = sp_probe(pool, s, len, h32, &code);
    if (code != UINT32_MAX)
        return code;

    /* A new string: the slow path. */
    if (len > UINT32_MAX - SP_ENTRY_OVERHEAD) {
        kl_error_set(err, KL_ERR_DATA, "text of %zu bytes is too long", len);
        return UINT32_MAX;
    }
    if (sp_check_utf8(s, len, err) != KL_OK)
        return UINT32_MAX;
    if (pool->count >= SP_MAX_CODES) {
        kl_error_set(err, KL_ERR_DATA, "more than %lu distinct texts",
                     (unsigned long)SP_MAX_CODES);
        return UINT32_MAX;
    }
    if (sp_grow_strs(pool) != 0)
        goto oom;
    if ((size_t)pool->count * SP_LOAD_DEN >= (pool->mask + 1) * SP_LOAD_NUM) {
        if (sp_grow_slots(pool) != 0)
            goto oom;
        slot = h32 & pool->mask;
        while (pool->slots[slot] != 0)
            slot = (slot + 1) & pool->mask;
    }
    const char *bytes = sp_arena_add(pool, s, len);
    if (!bytes)
        goto oom;
    code = pool->count++;
    pool->strs[code] = bytes;
    pool->slots[slot] = ((uint64_t)h32 << 32) | code;
    return code;
oom:
    kl_error_oom(err, "storing a text value");
    return UINT32_MAX;
}

uint32_t kl_strpool_find(const kl_strpool *pool, const char *s, size_t len)
{
    if (len == 0)
        return KL_STR_MISSING;
    uint32_t code;
    sp_probe(pool, s, len, sp_hash32(s, len), &code);
    return code;
}

const char *kl_strpool_get(const kl_strpool *pool, uint32_t code)
{
    return code < pool->count ? pool->strs[code] : NULL;
}

int kl_strpool_is(const kl_strpool *pool, uint32_t code, const char *s, size_t len)
{
    if (code >= pool->count || len == 0)
        return 0;
    const char *p = pool->strs[code];
    return sp_entry_len(p) == len && memcmp(p, s, len) == 0;
}

size_t kl_strpool_len(const kl_strpool *pool, uint32_t code)
{
    return code < pool->count ? sp_entry_len(pool->strs[code]) : 0;
}

uint32_t kl_strpool_count(const kl_strpool *pool)
{
    return pool->count;
}

int kl_strpool_cmp(const kl_strpool *pool, uint32_t a, uint32_t b)
{
    if (a == b)
        return 0;
    const char *pa = pool->strs[a], *pb = pool->strs[b];
    size_t la = sp_entry_len(pa), lb = sp_entry_len(pb);
    int c = memcmp(pa, pb, la < lb ? la : lb);
    if (c != 0)
        return c < 0 ? -1 : 1;
    return la < lb ? -1 : la > lb;
}

void kl_strpool_shrink(kl_strpool *pool)
{
    /* Only the code array: chunks cannot move (kl_strpool_get pointers are
     * stable) and the slot table must stay sparse to be fast. */
    if (pool->strs_cap > pool->count) {
        const char **strs = kl_reallocarray(pool->strs, pool->count, sizeof *strs);
        if (strs) { /* else the larger array stays: still correct */
            pool->strs = strs;
            pool->strs_cap = pool->count;
        }
    }
}

size_t kl_strpool_bytes(const kl_strpool *pool)
{
    size_t chunk_heads = 0;
    for (const sp_chunk *c = pool->chunks; c; c = c->next)
        chunk_heads += sizeof *c;
    return sizeof *pool + (pool->mask + 1) * sizeof *pool->slots +
           pool->strs_cap * sizeof *pool->strs + pool->arena_bytes + chunk_heads;
}
