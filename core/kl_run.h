/*
 * kl_run.h -- `klaster run`: one unattended, idempotent run of a pipeline.
 *
 * A run takes the output folder's lock, fingerprints what it would compute
 * (klaster's version, the pipeline file, each input's and each step's
 * content, the parameters), and -- with --if-changed -- stops there when the
 * last good run had the same fingerprint.  Otherwise it loads each dataset
 * once, runs the steps as a graph (independent steps in parallel; a step
 * whose input failed is skipped, not failed), writes every output and
 * manifest.json into OUT/runs/<run-id>/, and only when every step succeeded
 * switches OUT/latest to it.  A failed or interrupted run never touches
 * `latest`.
 */
#ifndef KL_RUN_H
#define KL_RUN_H

#include "kl_error.h"
#include "kl_log.h"
#include "kl_pipeline.h"

typedef struct kl_run_opts {
    unsigned jobs;     /* steps run at once; 0 = the number of cores */
    int if_changed;    /* do nothing when nothing changed since the last good run */
    int no_wait;       /* another run holds the lock: fail (75) instead of waiting */
    kl_log *log;
} kl_run_opts;

/* Runs the pipeline; the exit status of the run (KL_OK when it succeeded or
 * had nothing to do).  The run id (if a run folder was made) goes to
 * run_id[64] when not NULL. */
int kl_run_pipeline(const kl_pipeline *p, const kl_run_opts *o, char *run_id, kl_error *err);

#endif /* KL_RUN_H */
