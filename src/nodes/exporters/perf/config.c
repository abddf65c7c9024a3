/* nodes/exporters/perf/config.c — exporter:perf's option table. */
#include <stddef.h>

#include "df/options.h"
#include "nodes/exporters/perf/perf.h"

static const struct df_option perf_opts[] = {
    {.name = "frequency",
     .type = DF_OPT_DURATION,
     .flags = DF_OPT_BOUNDED,
     .min = 10000000,
     .max = 3600000000000LL,
     .def = "1s",
     .offset = offsetof(struct perf_config, frequency),
     .desc = "how often to report"},
};

const struct df_option_table perf_table =
    DF_OPTION_TABLE(struct perf_config, perf_opts, "exporter:perf options.");
