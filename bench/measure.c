/*
 * measure.c -- runs a command and reports its wall time and peak memory,
 * for the benchmarks (no dependency on GNU time).
 *
 * Usage: measure [--best-of K] COMMAND [ARG...]
 * Prints "measure seconds=S max_rss_kb=K status=N" on stderr after the
 * command; with --best-of, the command runs K times and the fastest run is
 * reported (peak memory is the largest seen).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double measure_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int measure_once(char **argv, double *seconds, long *rss_kb)
{
    struct rusage ru;
    int status;
    double start = measure_now();
    pid_t pid = fork();

    if (pid < 0) {
        perror("measure: fork");
        return -1;
    }
    if (pid == 0) {
        execvp(argv[0], argv);
        perror("measure: exec");
        _exit(127);
    }
    if (wait4(pid, &status, 0, &ru) < 0) {
        perror("measure: wait4");
        return -1;
    }
    *seconds = measure_now() - start;
    *rss_kb = ru.ru_maxrss;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(int argc, char **argv)
{
    int first = 1, runs = 1, status = 0;
    double best = 0;
    long peak = 0;

    if (argc > 2 && strcmp(argv[1], "--best-of") == 0) {
        runs = atoi(argv[2]);
        first = 3;
    }
    if (first >= argc || runs < 1) {
        fprintf(stderr, "usage: measure [--best-of K] COMMAND [ARG...]\n");
        return 64;
    }
    for (int i = 0; i < runs; i++) {
        double s;
        long rss;
        status = measure_once(argv + first, &s, &rss);
        if (status != 0)
            break;
        if (i == 0 || s < best)
            best = s;
        if (rss > peak)
            peak = rss;
    }
    fprintf(stderr, "measure seconds=%.3f max_rss_kb=%ld status=%d\n", best, peak, status);
    return status;
}
