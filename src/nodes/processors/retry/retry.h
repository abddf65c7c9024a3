/* nodes/processors/retry/retry.h — processor:retry's configuration, private
 * to this folder. Read-only once parsed: any core's thread may read it. */
#ifndef DF_NODES_PROCESSORS_RETRY_RETRY_H
#define DF_NODES_PROCESSORS_RETRY_RETRY_H

#include <stdint.h>

#include "df/options.h"

struct retry_config {
    uint64_t initial_interval;  /* ns: the first wait */
    uint64_t max_interval;      /* ns: the longest wait */
    uint64_t max_elapsed_time;  /* ns: give up this long after the first attempt (0 = never) */
    double multiplier;          /* each wait is the previous one times this */
    uint64_t max_pending_bytes; /* bytes of requests waiting to be resent, per core */
};

/* Options of processor:retry; the check rejects max_interval below
 * initial_interval. */
extern const struct df_option_table retry_table;

#endif
