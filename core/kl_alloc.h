/*
 * kl_alloc.h -- the allocator every core and bridge allocation goes through.
 *
 * One choke point so that a fault-injection build (-DKL_FAULT_INJECTION) can
 * make the Nth allocation fail (KLASTER_FAIL_ALLOC_AT=N) and the test suite
 * can prove every failure path ends in a clean error.  The functions behave
 * like their libc namesakes; memory from them is released with kl_free().
 */
#ifndef KL_ALLOC_H
#define KL_ALLOC_H

#include <stddef.h>

void *kl_malloc(size_t size);
void *kl_calloc(size_t count, size_t size);
void *kl_realloc(void *ptr, size_t size);
/* realloc for count*size bytes; NULL (ptr untouched) on overflow or failure. */
void *kl_reallocarray(void *ptr, size_t count, size_t size);
void kl_free(void *ptr);
/* A kl_malloc'd copy of s (or of its first len bytes, NUL-terminated). */
char *kl_strdup(const char *s);
char *kl_strndup(const char *s, size_t len);

/*
 * Maps the pages of [p, p + len) now, in one call, instead of one page fault
 * at a time as they are first written -- dear in virtual machines, where a
 * fault can cost more than the work done on the page.  For memory about to
 * be filled (the next rows of a column).  Advice only: no error.
 */
void kl_prefault(void *p, size_t len);

/* Number of allocations made so far (for fault-injection sweeps). */
unsigned long kl_alloc_count(void);

#endif /* KL_ALLOC_H */
