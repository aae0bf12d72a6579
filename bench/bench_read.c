/*
 * bench_read.c -- the core's read benchmark: load a firms file into typed
 * columns and group it by (year, region, cluster) with a few sums, the
 * work every indicator starts with.
 *
 * Usage: bench_read FIRMS_FILE
 * Prints "bench_read seconds=S rows=N rows_per_second=R groups=G" on stdout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "kl_dataset.h"
#include "kl_group.h"

static double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    static const char *const want[] = {"year", "region", "cluster", "firm", "employees",
                                       "revenue", "local_taxes", NULL};
    static const char *const keys[] = {"year", "region", "cluster"};
    kl_error err;
    kl_load_opts lo = {.want = want};
    kl_table *t = NULL;
    kl_grouping *g = NULL;
    kl_strpool *pool;
    double start, *sums;
    const char *cols[] = {"employees", "revenue", "local_taxes"};

    if (argc != 2) {
        fprintf(stderr, "usage: bench_read FIRMS_FILE\n");
        return 64;
    }
    start = bench_now();
    pool = kl_strpool_new();
    if (!pool || kl_dataset_load(&t, kl_schema_find("firms"), argv[1], pool, &lo, NULL, &err) != KL_OK ||
        kl_grouping_build(&g, t, keys, 3, NULL, &err) != KL_OK) {
        fprintf(stderr, "bench_read: %s\n", pool ? err.msg : "out of memory");
        return 1;
    }
    sums = malloc((g->ngroups + 1) * sizeof *sums);
    for (size_t i = 0; sums && i < 3; i++)
        if (kl_grouping_aggregate(g, KL_AGG_SUM, kl_table_col(t, cols[i]), NULL, sums, &err) != KL_OK) {
            fprintf(stderr, "bench_read: %s\n", err.msg);
            return 1;
        }
    printf("bench_read seconds=%.3f rows=%zu rows_per_second=%.0f groups=%zu\n", bench_now() - start,
           t->nrows, (double)t->nrows / (bench_now() - start), g->ngroups);
    free(sums);
    kl_grouping_free(g);
    kl_table_free(t);
    kl_strpool_free(pool);
    return 0;
}
