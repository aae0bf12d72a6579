/*
 * test_alloc.c -- the background prefaulter (kl_alloc.h): posted pages end
 * up mapped without being touched by the poster; posting to a NULL
 * prefaulter, past a full queue, or a range freed meanwhile is harmless.
 */
#include "kt.h"

#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "kl_alloc.h"

/* Pages of [p, p + len) that are resident. */
static size_t ta_resident(void *p, size_t len)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE), n = len / page, count = 0;
    unsigned char vec[256];
    KT_CHECK(n <= sizeof vec);
    if (mincore(p, len, vec) != 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        count += vec[i] & 1;
    return count;
}

KT_TEST(prefaulter_maps_posted_pages)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE), len = 64 * page;
    struct timespec nap = {0, 1000000};
    char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    kl_prefaulter *pf = kl_prefaulter_start();
    size_t resident = 0;

    KT_CHECK(p != MAP_FAILED);
    KT_CHECK(pf != NULL);
    KT_EQ_INT(ta_resident(p, len), 0); /* never touched */
    kl_prefaulter_post(pf, p, len);
    for (int i = 0; i < 2000 && resident < 64; i++) { /* up to 2 s */
        resident = ta_resident(p, len);
        nanosleep(&nap, NULL);
    }
#ifdef MADV_POPULATE_WRITE
    KT_EQ_INT(resident, 64);
#endif
    for (size_t i = 0; i < len; i += page) /* contents untouched: still zero */
        KT_EQ_INT(p[i], 0);
    kl_prefaulter_stop(pf);
    munmap(p, len);
}

KT_TEST(prefaulter_harmless_misuse)
{
    kl_prefaulter *pf = kl_prefaulter_start();
    char *block = kl_malloc(1 << 20);
    KT_CHECK(pf != NULL && block != NULL);
    kl_prefaulter_post(NULL, block, 1 << 20); /* no prefaulter: nothing */
    for (int i = 0; i < 1000; i++)            /* far past the queue */
        kl_prefaulter_post(pf, block, 1 << 20);
    kl_free(block); /* freed while maybe still queued */
    kl_prefaulter_post(pf, NULL, 4096);
    kl_prefaulter_stop(pf);
    kl_prefaulter_stop(NULL);
}
