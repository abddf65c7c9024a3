/* nodes/exporters/perf/perf.h — exporter:perf's configuration, private to
 * this folder: the struct its option table fills (config.c) and the runtime
 * reads (perf.c). The parsed struct is read-only once built, so any core's
 * thread may read it. */
#ifndef DF_NODES_EXPORTERS_PERF_PERF_H
#define DF_NODES_EXPORTERS_PERF_PERF_H

#include <stdint.h>

#include "df/options.h"

struct perf_config {
    uint64_t frequency; /* ns */
};

/* Options of exporter:perf, filling a struct perf_config. */
extern const struct df_option_table perf_table;

#endif
