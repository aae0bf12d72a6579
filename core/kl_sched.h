/*
 * kl_sched.h -- runs tasks that wait for one another on a few threads.
 *
 * The executor behind `klaster run` and `klaster compute`: loading each
 * dataset and computing each step are tasks, and a step waits for the
 * loads and steps it reads.  A task starts once every task it needs has
 * succeeded; it is skipped (never run) when one of them failed or was
 * skipped; a failed `fatal` task (a dataset that cannot be loaded) skips
 * every task not yet started.  Among ready tasks the highest priority
 * starts first (ties: the lowest index) -- the largest file, the step that
 * frees the most memory when it is done.  The calling
 * thread works too; if no thread can be started it does all the work.
 */
#ifndef KL_SCHED_H
#define KL_SCHED_H

#include <stddef.h>

typedef enum kl_sched_state {
    KL_SCHED_PENDING = 0,
    KL_SCHED_RUNNING,
    KL_SCHED_DONE,
    KL_SCHED_FAILED,
    KL_SCHED_SKIPPED
} kl_sched_state;

typedef struct kl_sched_task {
    const size_t *deps; /* indices of the tasks this one needs */
    size_t ndeps;
    int fatal;          /* its failure skips every task not yet started */
    unsigned long long priority; /* higher starts first among ready tasks */
    kl_sched_state state; /* PENDING on entry; DONE, FAILED or SKIPPED on return */
} kl_sched_task;

typedef struct kl_sched_ops {
    /* Runs task i, on some thread, with no lock held; returns KL_OK, or
     * another status and the task has failed (the callee keeps its
     * message).  Required. */
    int (*run)(void *userdata, size_t i);
    /* Task i will not run (state already SKIPPED); `cause` is the task
     * whose failure or skipping decided it.  Called with the scheduler's
     * lock held: keep it short.  May be NULL. */
    void (*skipped)(void *userdata, size_t i, size_t cause);
    /* Task i has settled (DONE or FAILED); nsettled of ntasks have.  Called
     * with the lock held.  May be NULL. */
    void (*finished)(void *userdata, size_t i, size_t nsettled, size_t ntasks);
    /* Every task that needs task i has settled (DONE, FAILED or SKIPPED):
     * what i made is needed by no task any more (a dataset can be freed).
     * Called once, only for tasks some task needs, with the lock held.  May
     * be NULL. */
    void (*released)(void *userdata, size_t i);
} kl_sched_ops;

/* The thread count for `requested` (0 = one per online CPU), at most the
 * number of tasks and at most KL_SCHED_MAX_THREADS, at least 1. */
#define KL_SCHED_MAX_THREADS 64
unsigned kl_sched_jobs(unsigned requested, size_t ntasks);

/* Runs every task on up to `jobs` threads and returns when all are DONE,
 * FAILED or SKIPPED.  A dependency index past ntasks, or a cycle, leaves
 * the tasks concerned SKIPPED with cause == the task itself. */
void kl_sched_run(kl_sched_task *tasks, size_t ntasks, unsigned jobs, const kl_sched_ops *ops,
                  void *userdata);

#endif /* KL_SCHED_H */
