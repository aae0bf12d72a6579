/*
 * kl_alloc.c -- the core's allocator choke point (see kl_alloc.h).
 *
 * In a normal build these are thin wrappers.  Built with
 * -DKL_FAULT_INJECTION, the environment variable KLASTER_FAIL_ALLOC_AT=N
 * makes the Nth allocation (counting from 1) and every later one fail, the
 * way SQLite's and curl's torture tests do.
 */
#include "kl_alloc.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static atomic_ulong kl_alloc_calls;

#ifdef KL_FAULT_INJECTION
static unsigned long kl_alloc_fail_at(void)
{
    static atomic_ulong cached; /* 0 = not read yet; ULONG_MAX = never fail */
    unsigned long v = atomic_load(&cached);
    if (v == 0) {
        const char *s = getenv("KLASTER_FAIL_ALLOC_AT");
        v = (s && *s) ? strtoul(s, NULL, 10) : 0;
        if (v == 0)
            v = (unsigned long)-1;
        atomic_store(&cached, v);
    }
    return v;
}
#define KL_ALLOC_SHOULD_FAIL() (atomic_fetch_add(&kl_alloc_calls, 1) + 1 >= kl_alloc_fail_at())
#else
#define KL_ALLOC_SHOULD_FAIL() (atomic_fetch_add_explicit(&kl_alloc_calls, 1, memory_order_relaxed), 0)
#endif

void kl_prefault(void *p, size_t len)
{
#ifdef MADV_POPULATE_WRITE
    const uintptr_t page = 4096;
    uintptr_t start = ((uintptr_t)p + page - 1) & ~(page - 1);
    uintptr_t end = ((uintptr_t)p + len) & ~(page - 1);
    if (p && end > start)
        madvise((void *)start, end - start, MADV_POPULATE_WRITE);
#else
    (void)p;
    (void)len;
#endif
}

#define KL_PREFAULT_QUEUE 64

struct kl_prefaulter {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct {
        void *p;
        size_t len;
    } queue[KL_PREFAULT_QUEUE];
    size_t head, count;
    int stop;
};

static void *kl_prefaulter_main(void *arg)
{
    kl_prefaulter *pf = arg;
    pthread_mutex_lock(&pf->mu);
    for (;;) {
        while (!pf->count && !pf->stop)
            pthread_cond_wait(&pf->cv, &pf->mu);
        if (!pf->count)
            break; /* stopped, and nothing left */
        void *p = pf->queue[pf->head].p;
        size_t len = pf->queue[pf->head].len;
        pf->head = (pf->head + 1) % KL_PREFAULT_QUEUE;
        pf->count--;
        pthread_mutex_unlock(&pf->mu);
        kl_prefault(p, len);
        pthread_mutex_lock(&pf->mu);
    }
    pthread_mutex_unlock(&pf->mu);
    return NULL;
}

kl_prefaulter *kl_prefaulter_start(void)
{
    kl_prefaulter *pf = kl_calloc(1, sizeof *pf);
    if (!pf)
        return NULL;
    pthread_mutex_init(&pf->mu, NULL);
    pthread_cond_init(&pf->cv, NULL);
    if (pthread_create(&pf->thread, NULL, kl_prefaulter_main, pf) != 0) {
        pthread_cond_destroy(&pf->cv);
        pthread_mutex_destroy(&pf->mu);
        kl_free(pf);
        return NULL;
    }
    return pf;
}

void kl_prefaulter_post(kl_prefaulter *pf, void *p, size_t len)
{
    if (!pf || !p || !len)
        return;
    pthread_mutex_lock(&pf->mu);
    if (pf->count < KL_PREFAULT_QUEUE) {
        size_t tail = (pf->head + pf->count) % KL_PREFAULT_QUEUE;
        pf->queue[tail].p = p;
        pf->queue[tail].len = len;
        pf->count++;
        pthread_cond_signal(&pf->cv);
    }
    pthread_mutex_unlock(&pf->mu);
}

void kl_prefaulter_stop(kl_prefaulter *pf)
{
    if (!pf)
        return;
    pthread_mutex_lock(&pf->mu);
    pf->stop = 1;
    pf->count = 0; /* what is still queued is of no use now */
    pthread_cond_signal(&pf->cv);
    pthread_mutex_unlock(&pf->mu);
    pthread_join(pf->thread, NULL);
    pthread_cond_destroy(&pf->cv);
    pthread_mutex_destroy(&pf->mu);
    kl_free(pf);
}

unsigned long kl_alloc_count(void)
{
    return atomic_load(&kl_alloc_calls);
}

void *kl_malloc(size_t size)
{
    if (KL_ALLOC_SHOULD_FAIL())
        return NULL;
    return malloc(size ? size : 1);
}

void *kl_calloc(size_t count, size_t size)
{
    if (KL_ALLOC_SHOULD_FAIL())
        return NULL;
    return calloc(count ? count : 1, size ? size : 1);
}

void *kl_realloc(void *ptr, size_t size)
{
    if (KL_ALLOC_SHOULD_FAIL())
        return NULL;
    return realloc(ptr, size ? size : 1);
}

void *kl_reallocarray(void *ptr, size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        return NULL;
    return kl_realloc(ptr, count * size);
}

void kl_free(void *ptr)
{
    free(ptr);
}

char *kl_strndup(const char *s, size_t len)
{
    char *copy = kl_malloc(len + 1);
    if (copy) {
        memcpy(copy, s, len);
        copy[len] = '\0';
    }
    return copy;
}

char *kl_strdup(const char *s)
{
    return kl_strndup(s, strlen(s));
}
