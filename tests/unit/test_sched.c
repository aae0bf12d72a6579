/*
 * test_sched.c -- the task scheduler behind run and compute: order, waiting
 * for needs, skipping after a failure, aborting after a fatal failure,
 * broken graphs, and many threads on many small tasks.
 */
#include "kt.h"

#include <pthread.h>
#include <stdatomic.h>

#include "kl_error.h"
#include "kl_sched.h"

typedef struct sc_log {
    pthread_mutex_t mu;
    size_t order[64];
    size_t n;
    int fail[64];               /* status task i returns */
    size_t skipped_cause[64];
    int released[64];           /* times released, and ... */
    int settled_at_release[64]; /* ... its dependents all settled then */
    atomic_int running, max_running;
    kl_sched_task *tasks;
    size_t ntasks;
} sc_log;

static int sc_run(void *ud, size_t i)
{
    sc_log *l = ud;
    int now = atomic_fetch_add(&l->running, 1) + 1;
    int seen = atomic_load(&l->max_running);
    while (now > seen && !atomic_compare_exchange_weak(&l->max_running, &seen, now))
        ;
    /* every need is DONE before a task starts */
    for (size_t d = 0; d < l->tasks[i].ndeps; d++)
        KT_EQ_INT(l->tasks[l->tasks[i].deps[d]].state, KL_SCHED_DONE);
    pthread_mutex_lock(&l->mu);
    l->order[l->n++] = i;
    pthread_mutex_unlock(&l->mu);
    atomic_fetch_sub(&l->running, 1);
    return l->fail[i];
}

static void sc_skipped(void *ud, size_t i, size_t cause)
{
    sc_log *l = ud;
    l->skipped_cause[i] = cause;
}

static void sc_released(void *ud, size_t i)
{
    sc_log *l = ud;
    l->released[i]++;
    l->settled_at_release[i] = 1;
    for (size_t k = 0; k < l->ntasks; k++)
        for (size_t d = 0; d < l->tasks[k].ndeps; d++)
            if (l->tasks[k].deps[d] == i && (l->tasks[k].state == KL_SCHED_PENDING ||
                                             l->tasks[k].state == KL_SCHED_RUNNING))
                l->settled_at_release[i] = 0;
}

static const kl_sched_ops sc_ops = {sc_run, sc_skipped, NULL, sc_released};

static void sc_init(sc_log *l, kl_sched_task *tasks, size_t ntasks)
{
    memset(l, 0, sizeof *l);
    pthread_mutex_init(&l->mu, NULL);
    l->tasks = tasks;
    l->ntasks = ntasks;
    for (size_t i = 0; i < 64; i++)
        l->skipped_cause[i] = SIZE_MAX;
}

KT_TEST(sched_one_thread_runs_in_index_order_after_needs)
{
    /* 0 needs 2; 1 needs nothing; 2 needs nothing: one thread runs 1, 2, 0 */
    static const size_t d0[] = {2};
    kl_sched_task t[3] = {{.deps = d0, .ndeps = 1}, {0}, {0}};
    sc_log l;
    sc_init(&l, t, 3);
    kl_sched_run(t, 3, 1, &sc_ops, &l);
    KT_EQ_INT(l.n, 3);
    KT_EQ_INT(l.order[0], 1);
    KT_EQ_INT(l.order[1], 2);
    KT_EQ_INT(l.order[2], 0);
    for (size_t i = 0; i < 3; i++)
        KT_EQ_INT(t[i].state, KL_SCHED_DONE);
}

KT_TEST(sched_highest_priority_first_ties_by_index)
{
    /* one thread: 3 and 1 (priority 9) before 0 and 4 (5) before 2 (0);
     * 5 (priority 100) waits for 2, the lowest */
    static const size_t d5[] = {2};
    kl_sched_task t[6] = {{.priority = 5}, {.priority = 9}, {0},
                          {.priority = 9}, {.priority = 5}, {.deps = d5, .ndeps = 1, .priority = 100}};
    sc_log l;
    sc_init(&l, t, 6);
    kl_sched_run(t, 6, 1, &sc_ops, &l);
    static const size_t expected[] = {1, 3, 0, 4, 2, 5};
    KT_EQ_INT(l.n, 6);
    for (size_t i = 0; i < 6; i++)
        KT_EQ_INT(l.order[i], expected[i]);
}

KT_TEST(sched_failure_skips_dependents_only)
{
    /* 0 fails; 1 needs 0; 2 needs 1; 3 is independent */
    static const size_t d1[] = {0}, d2[] = {1};
    kl_sched_task t[4] = {{0}, {.deps = d1, .ndeps = 1}, {.deps = d2, .ndeps = 1}, {0}};
    sc_log l;
    sc_init(&l, t, 4);
    l.fail[0] = KL_ERR_DATA;
    kl_sched_run(t, 4, 2, &sc_ops, &l);
    KT_EQ_INT(t[0].state, KL_SCHED_FAILED);
    KT_EQ_INT(t[1].state, KL_SCHED_SKIPPED);
    KT_EQ_INT(t[2].state, KL_SCHED_SKIPPED);
    KT_EQ_INT(t[3].state, KL_SCHED_DONE);
    KT_EQ_INT(l.skipped_cause[1], 0);
    KT_EQ_INT(l.skipped_cause[2], 1);
    KT_EQ_INT(l.n, 2);
}

KT_TEST(sched_fatal_failure_starts_nothing_more)
{
    /* one thread: 0 (fatal) fails, so 1 and 2 never start */
    kl_sched_task t[3] = {{.fatal = 1}, {0}, {0}};
    sc_log l;
    sc_init(&l, t, 3);
    l.fail[0] = KL_ERR_NOINPUT;
    kl_sched_run(t, 3, 1, &sc_ops, &l);
    KT_EQ_INT(t[0].state, KL_SCHED_FAILED);
    KT_EQ_INT(t[1].state, KL_SCHED_SKIPPED);
    KT_EQ_INT(t[2].state, KL_SCHED_SKIPPED);
    KT_EQ_INT(l.skipped_cause[1], 0);
    KT_EQ_INT(l.n, 1);
}

KT_TEST(sched_broken_graphs_are_skipped_not_hung)
{
    /* 0 <-> 1 a cycle, 2 needs itself, 3 needs task 99, 4 is fine */
    static const size_t d0[] = {1}, d1[] = {0}, d2[] = {2}, d3[] = {99};
    kl_sched_task t[5] = {{.deps = d0, .ndeps = 1}, {.deps = d1, .ndeps = 1},
                          {.deps = d2, .ndeps = 1}, {.deps = d3, .ndeps = 1}, {0}};
    sc_log l;
    sc_init(&l, t, 5);
    kl_sched_run(t, 5, 3, &sc_ops, &l);
    for (size_t i = 0; i < 4; i++)
        KT_EQ_INT(t[i].state, KL_SCHED_SKIPPED);
    KT_EQ_INT(t[4].state, KL_SCHED_DONE);
    KT_EQ_INT(l.skipped_cause[2], 2);
    KT_EQ_INT(l.skipped_cause[3], 3);
}

KT_TEST(sched_many_threads_many_tasks)
{
    /* a chain of 20 and 40 independent tasks on 8 threads: all run once,
     * the chain in order, several at a time */
    static size_t deps[64];
    kl_sched_task t[60];
    sc_log l;
    memset(t, 0, sizeof t);
    for (size_t i = 1; i < 20; i++) {
        deps[i] = i - 1;
        t[i].deps = &deps[i];
        t[i].ndeps = 1;
    }
    sc_init(&l, t, 60);
    kl_sched_run(t, 60, 8, &sc_ops, &l);
    KT_EQ_INT(l.n, 60);
    for (size_t i = 0; i < 60; i++)
        KT_EQ_INT(t[i].state, KL_SCHED_DONE);
    size_t pos[60];
    for (size_t k = 0; k < 60; k++)
        pos[l.order[k]] = k;
    for (size_t i = 1; i < 20; i++)
        KT_CHECK(pos[i] > pos[i - 1]);
    KT_EQ_INT(kl_sched_jobs(0, 0), 1);
    KT_EQ_INT(kl_sched_jobs(3, 2), 2);
    KT_EQ_INT(kl_sched_jobs(1000, 1000), KL_SCHED_MAX_THREADS);
    KT_CHECK(kl_sched_jobs(0, 1000) >= 1);
}

/* What a task made is released once, when the last task needing it has
 * settled -- done, failed or skipped -- and never for what nobody needs. */
KT_TEST(sched_release_after_last_reader)
{
    /* 0 and 1 are "datasets"; 2 reads 0; 3 reads 0 and 1 and fails; 4 reads 3 */
    static const size_t d2[] = {0}, d3[] = {0, 1}, d4[] = {3};
    kl_sched_task t[5] = {{0}, {0}, {.deps = d2, .ndeps = 1}, {.deps = d3, .ndeps = 2},
                          {.deps = d4, .ndeps = 1}};
    for (unsigned jobs = 1; jobs <= 3; jobs++) {
        sc_log l;
        sc_init(&l, t, 5);
        l.fail[3] = KL_ERR_DATA;
        kl_sched_run(t, 5, jobs, &sc_ops, &l);
        KT_EQ_INT(t[4].state, KL_SCHED_SKIPPED);
        static const size_t needed[] = {0, 1, 3};
        for (size_t k = 0; k < 3; k++) {
            KT_EQ_INT(l.released[needed[k]], 1);
            KT_EQ_INT(l.settled_at_release[needed[k]], 1);
        }
        KT_EQ_INT(l.released[2], 0); /* nobody needs these */
        KT_EQ_INT(l.released[4], 0);
    }
}
