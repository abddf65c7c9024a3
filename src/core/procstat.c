/* Process figures (core/procstat.h) from /proc and clock_gettime. */
#include "core/procstat.h"

#include <stdio.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

uint64_t df_proc_rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long long size = 0, rss = 0;
    if (!f)
        return 0;
    int n = fscanf(f, "%llu %llu", &size, &rss);
    fclose(f);
    return n == 2 ? rss * (uint64_t)sysconf(_SC_PAGESIZE) : 0;
}

static double ts_seconds(clockid_t id)
{
    struct timespec ts;
    if (clock_gettime(id, &ts))
        return 0;
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double df_proc_cpu_seconds(void)
{
    return ts_seconds(CLOCK_PROCESS_CPUTIME_ID);
}

double df_thread_cpu_seconds(void)
{
    return ts_seconds(CLOCK_THREAD_CPUTIME_ID);
}
