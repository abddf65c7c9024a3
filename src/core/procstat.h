/* core/procstat.h — process and thread resource figures for metrics. Any
 * thread. */
#ifndef DF_CORE_PROCSTAT_H
#define DF_CORE_PROCSTAT_H

#include <stdint.h>

/* Resident set size of the process in bytes (0 when unknown). */
uint64_t df_proc_rss_bytes(void);

/* CPU time (user + system) used by the whole process, in seconds. */
double df_proc_cpu_seconds(void);

/* CPU time used by the calling thread, in seconds. */
double df_thread_cpu_seconds(void);

#endif
