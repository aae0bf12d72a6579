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

/*
 * The same in the background: a thread that maps posted ranges while the
 * poster goes on working, for a poster that knows a step ahead which
 * memory it will fill (the loader, its columns' next rows), so that the
 * cost of mapping them moves to the other core.  kl_prefaulter_start()
 * returns NULL when no thread can be had; post then does nothing (the
 * pages are mapped when first written), as it does when the queue is
 * full.  A posted range may be freed meanwhile: mapping is advice and
 * never changes memory contents.  Stop joins the thread.
 */
typedef struct kl_prefaulter kl_prefaulter;
kl_prefaulter *kl_prefaulter_start(void);
void kl_prefaulter_post(kl_prefaulter *pf, void *p, size_t len);
void kl_prefaulter_stop(kl_prefaulter *pf);

/* Number of allocations made so far (for fault-injection sweeps). */
unsigned long kl_alloc_count(void);

#endif /* KL_ALLOC_H */
