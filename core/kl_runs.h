/*
 * kl_runs.h -- the output folder of a scheduled pipeline: one folder per
 * run, a lock, the `latest` pointer, retention and history.
 *
 *   OUT/.lock                 flock(2)ed by the run in progress; the kernel
 *                             drops it when the holder dies, even by kill -9,
 *                             so a lock is never stale
 *   OUT/runs/<run-id>/        one run: its outputs and manifest.json
 *   OUT/latest -> runs/<id>   the last run that succeeded; replaced by
 *                             rename(2) of a new symlink, so readers see the
 *                             old run or the new one, never neither
 *
 * A run id is the UTC start time and a short hash, so ids sort by time:
 * 20261128T031500Z-3fa9c1.
 */
#ifndef KL_RUNS_H
#define KL_RUNS_H

#include <stddef.h>
#include <stdio.h>

#include "kl_error.h"

#define KL_RUN_ID_MAX 64

/*
 * Takes the lock of out_dir (created if missing).  With wait, blocks until
 * a run holding it finishes; without, KL_ERR_TEMPFAIL "another run is in
 * progress".  *fd receives the lock's descriptor for kl_runs_unlock().
 */
int kl_runs_lock(const char *out_dir, int wait, int *fd, kl_error *err);
void kl_runs_unlock(int fd);

/* A new run id from the current UTC time and `salt` (e.g. a fingerprint). */
void kl_runs_new_id(char id[KL_RUN_ID_MAX], const char *salt);

/* Creates OUT/runs/<id>/ and puts its path in path[cap]. */
int kl_runs_create(const char *out_dir, const char *id, char *path, size_t cap, kl_error *err);

/* The id `latest` points at, in id[KL_RUN_ID_MAX]; 0 when there is none. */
int kl_runs_latest(const char *out_dir, char id[KL_RUN_ID_MAX]);

/* Points OUT/latest at runs/<id> atomically. */
int kl_runs_publish(const char *out_dir, const char *id, kl_error *err);

/* Removes the oldest run folders beyond `keep`, never the one `latest`
 * points at (keep 0 = keep everything).  *removed counts them. */
int kl_runs_prune(const char *out_dir, unsigned keep, unsigned *removed, kl_error *err);

/*
 * Reads the top-level field `key` of a manifest written by klaster (string
 * or number, unquoted) into buf; 0 if absent.
 */
int kl_manifest_field(const char *manifest_path, const char *key, char *buf, size_t cap);

/* `klaster history OUT`: one line per run, newest first. */
int kl_runs_history(const char *out_dir, FILE *out, kl_error *err);

#endif /* KL_RUNS_H */
