/*
 * kl_strpool.h -- interned strings: the dictionary behind text columns.
 *
 * Every text cell of every table loaded in one run is stored once here and
 * referred to by a 32-bit code, so equal strings have equal codes across
 * tables (a region code in `firms` equals the same region in `regions`).
 * Code 0 is the empty string, which klaster reads as a missing cell.
 * Interning is not thread-safe; lookups on a pool nobody writes are.
 */
#ifndef KL_STRPOOL_H
#define KL_STRPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "kl_error.h"

#define KL_STR_MISSING 0u

typedef struct kl_strpool kl_strpool;

/* A new empty pool (holding only code 0 = ""), or NULL when out of memory. */
kl_strpool *kl_strpool_new(void);
void kl_strpool_free(kl_strpool *pool);

/*
 * Returns the code of the len bytes at s, adding them if new.  s need not be
 * NUL-terminated.  New strings are checked to be valid UTF-8 without NUL
 * bytes: on invalid input, or when out of memory, returns UINT32_MAX with err
 * set (KL_ERR_DATA "invalid UTF-8 …" / KL_ERR_INTERNAL).
 */
uint32_t kl_strpool_intern(kl_strpool *pool, const char *s, size_t len, kl_error *err);

/*
 * Interning in steps, so the caller can overlap the cache misses of a big
 * table with other work (the loader interns a million distinct firm ids):
 * kl_strpool_hash() hashes s; kl_strpool_prefetch() starts loading what a
 * lookup of that hash will read -- depth 0 the table slot, depth 1 the
 * string pointer of the slot (call once depth 0 has had time to arrive),
 * depth 2 the string's bytes (after depth 1); kl_strpool_intern_hashed()
 * finally does the lookup (or insert) with the hash.  Prefetching is only a
 * hint and never changes a result.  Same results as kl_strpool_intern.
 */
uint32_t kl_strpool_hash(const char *s, size_t len);
void kl_strpool_prefetch(const kl_strpool *pool, uint32_t hash, int depth);
uint32_t kl_strpool_intern_hashed(kl_strpool *pool, const char *s, size_t len, uint32_t hash,
                                  kl_error *err);

/* Whether code (any value) is the code of s[0..len): a guess checked with
 * one compare and no hashing. */
int kl_strpool_is(const kl_strpool *pool, uint32_t code, const char *s, size_t len);

/* The code of s if interned, else UINT32_MAX.  Does not add. */
uint32_t kl_strpool_find(const kl_strpool *pool, const char *s, size_t len);

/* The NUL-terminated string for code (owned by the pool, stable until it is
 * freed); NULL for a code the pool never gave out (length 0). */
const char *kl_strpool_get(const kl_strpool *pool, uint32_t code);
size_t kl_strpool_len(const kl_strpool *pool, uint32_t code);

/* Number of distinct strings, code 0 included. */
uint32_t kl_strpool_count(const kl_strpool *pool);

/* Byte-order comparison of two codes' strings (strcmp semantics: returns
 * -1, 0 or 1).  Both codes must come from this pool. */
int kl_strpool_cmp(const kl_strpool *pool, uint32_t a, uint32_t b);

/* Drops the spare capacity of the code -> string array (up to a third of
 * it) once loading is done; interning afterwards still works. */
void kl_strpool_shrink(kl_strpool *pool);

/* Bytes the pool holds from the allocator (table, code array, arena), for
 * memory figures. */
size_t kl_strpool_bytes(const kl_strpool *pool);

#endif /* KL_STRPOOL_H */
