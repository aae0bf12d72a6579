/*
 * kl_sched.c -- runs tasks that wait for one another on a few threads (see
 * kl_sched.h).
 *
 * One mutex and one condition variable: tasks are few (datasets and
 * pipeline steps, at most a few hundred) and long (tenths of seconds), so
 * a linear scan for the next ready task under the lock costs nothing next
 * to the work, and keeps the rules -- ready, skipped, aborted, cycle -- in
 * one small function.
 */
#include "kl_sched.h"

#include <pthread.h>
#include <unistd.h>

#include "kl_alloc.h"
#include "kl_error.h"

typedef struct kl_sched {
    kl_sched_task *tasks;
    size_t ntasks;
    const kl_sched_ops *ops;
    void *userdata;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    size_t unsettled; /* tasks not yet DONE, FAILED or SKIPPED */
    size_t *waiting;  /* per task: tasks needing it not yet settled; NULL if
                       * no released callback (or out of memory: then it
                       * is never called, which only costs memory) */
    size_t running;
    int aborted;      /* a fatal task failed: start nothing more */
    size_t abort_cause;
} kl_sched;

unsigned kl_sched_jobs(unsigned requested, size_t ntasks)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    size_t jobs = requested ? requested : (cores > 0 ? (size_t)cores : 1);
    if (jobs > ntasks)
        jobs = ntasks;
    if (jobs > KL_SCHED_MAX_THREADS)
        jobs = KL_SCHED_MAX_THREADS;
    return jobs ? (unsigned)jobs : 1;
}

/* Under the lock: task i has settled; what it needed may now be released. */
static void kl_sched_settled(kl_sched *s, size_t i)
{
    const kl_sched_task *t = &s->tasks[i];
    s->unsettled--;
    if (!s->waiting)
        return;
    for (size_t d = 0; d < t->ndeps; d++) {
        size_t dep = t->deps[d];
        if (dep < s->ntasks && dep != i && --s->waiting[dep] == 0)
            s->ops->released(s->userdata, dep);
    }
}

/* Under the lock. */
static void kl_sched_skip(kl_sched *s, size_t i, size_t cause)
{
    s->tasks[i].state = KL_SCHED_SKIPPED;
    if (s->ops->skipped)
        s->ops->skipped(s->userdata, i, cause);
    kl_sched_settled(s, i);
}

/* Under the lock: skips what can no longer run, then finds the ready task
 * (every need DONE) of highest priority.  Returns 1 with *pick set, or 0. */
static int kl_sched_pick(kl_sched *s, size_t *pick)
{
    int changed = 1, found = 0;
    while (changed) {
        changed = 0;
        found = 0;
        for (size_t i = 0; i < s->ntasks; i++) {
            const kl_sched_task *t = &s->tasks[i];
            size_t doomed = SIZE_MAX;
            int ready = 1;
            if (t->state != KL_SCHED_PENDING)
                continue;
            if (s->aborted)
                doomed = s->abort_cause;
            for (size_t d = 0; d < t->ndeps && doomed == SIZE_MAX; d++) {
                size_t dep = t->deps[d];
                if (dep >= s->ntasks || dep == i) {
                    doomed = i; /* a broken graph: never runnable */
                } else if (s->tasks[dep].state == KL_SCHED_FAILED ||
                           s->tasks[dep].state == KL_SCHED_SKIPPED) {
                    doomed = dep;
                } else if (s->tasks[dep].state != KL_SCHED_DONE) {
                    ready = 0;
                }
            }
            if (doomed != SIZE_MAX) {
                kl_sched_skip(s, i, doomed);
                changed = 1;
            } else if (ready && (!found || t->priority > s->tasks[*pick].priority)) {
                *pick = i;
                found = 1;
            }
        }
    }
    return found;
}

static void *kl_sched_worker(void *arg)
{
    kl_sched *s = arg;
    size_t i;

    pthread_mutex_lock(&s->mu);
    while (s->unsettled > 0) {
        if (!kl_sched_pick(s, &i)) {
            if (s->unsettled > 0 && s->running == 0) {
                /* Nothing runs and nothing is ready: a cycle. */
                for (size_t k = 0; k < s->ntasks; k++)
                    if (s->tasks[k].state == KL_SCHED_PENDING)
                        kl_sched_skip(s, k, k);
            } else if (s->unsettled > 0) {
                pthread_cond_wait(&s->cv, &s->mu);
            }
            continue;
        }
        s->tasks[i].state = KL_SCHED_RUNNING;
        s->running++;
        pthread_mutex_unlock(&s->mu);
        int rc = s->ops->run(s->userdata, i);
        pthread_mutex_lock(&s->mu);
        s->running--;
        s->tasks[i].state = rc == KL_OK ? KL_SCHED_DONE : KL_SCHED_FAILED;
        if (rc != KL_OK && s->tasks[i].fatal && !s->aborted) {
            s->aborted = 1;
            s->abort_cause = i;
        }
        if (s->ops->finished)
            s->ops->finished(s->userdata, i, s->ntasks - s->unsettled + 1, s->ntasks);
        kl_sched_settled(s, i);
        pthread_cond_broadcast(&s->cv);
    }
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

void kl_sched_run(kl_sched_task *tasks, size_t ntasks, unsigned jobs, const kl_sched_ops *ops,
                  void *userdata)
{
    pthread_t threads[KL_SCHED_MAX_THREADS];
    kl_sched s = {.tasks = tasks, .ntasks = ntasks, .ops = ops, .userdata = userdata,
                  .unsettled = ntasks};
    unsigned started = 0;

    for (size_t i = 0; i < ntasks; i++)
        tasks[i].state = KL_SCHED_PENDING;
    if (ops->released && (s.waiting = kl_calloc(ntasks ? ntasks : 1, sizeof *s.waiting)))
        for (size_t i = 0; i < ntasks; i++)
            for (size_t d = 0; d < tasks[i].ndeps; d++)
                if (tasks[i].deps[d] < ntasks && tasks[i].deps[d] != i)
                    s.waiting[tasks[i].deps[d]]++;
    if (jobs > KL_SCHED_MAX_THREADS)
        jobs = KL_SCHED_MAX_THREADS;
    pthread_mutex_init(&s.mu, NULL);
    pthread_cond_init(&s.cv, NULL);
    for (unsigned t = 1; t < jobs; t++)
        if (pthread_create(&threads[started], NULL, kl_sched_worker, &s) == 0)
            started++;
    kl_sched_worker(&s); /* this thread works too */
    for (unsigned t = 0; t < started; t++)
        pthread_join(threads[t], NULL);
    pthread_cond_destroy(&s.cv);
    pthread_mutex_destroy(&s.mu);
    kl_free(s.waiting);
}
