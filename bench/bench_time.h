/* Timing helpers of the C micro-benchmarks (cap_bench, auth_bench). */
#ifndef DF_BENCH_TIME_H
#define DF_BENCH_TIME_H

#include <stdlib.h>
#include <time.h>

/* CLOCK_MONOTONIC in ns. */
static inline double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static inline int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The median of `n` values (sorts them). */
static inline double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof v[0], cmp_double);
    return v[n / 2];
}

#endif
