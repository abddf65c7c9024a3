/* nodes/processors/filter/filter.h — processor:filter's configuration,
 * private to this folder: the structs its option tables fill and check
 * (config.c) and the runtime reads (filter.c). The parsed structs are
 * read-only once built, so any core's thread may read them. */
#ifndef DF_NODES_PROCESSORS_FILTER_FILTER_H
#define DF_NODES_PROCESSORS_FILTER_FILTER_H

#include <stdbool.h>
#include <stdint.h>

#include "df/options.h"

/* `severity_number:` of a logs match block. */
struct filter_severity_cfg {
    const char *min; /* a number or a name (INFO, WARN2, ...) */
    bool match_undefined;
    int32_t min_number; /* `min` parsed by the check */
};

/* One `include:` or `exclude:` block. Which keys exist depends on the
 * signal: `names` is `bodies`, `span_names` or `metric_names`, and
 * `attributes` is `record_attributes` (logs) or `attributes` (spans). */
struct filter_match_cfg {
    int match_type;                /* enum df_filter_match_type */
    struct df_list names;          /* const char * */
    struct df_list severity_texts; /* const char * */
    struct filter_severity_cfg *severity_number;
    struct df_list attributes;          /* struct df_filter_kv */
    struct df_list resource_attributes; /* struct df_filter_kv */
};

struct filter_signal_cfg {
    struct filter_match_cfg *include, *exclude;
};

struct filter_config {
    struct filter_signal_cfg *logs, *spans, *traces, *metrics;
};

/* Options of processor:filter, filling a struct filter_config. The checks
 * reject empty match blocks, bad regular expressions (with their path and
 * regcomp's message), bad severity names, and `spans` given with `traces`. */
extern const struct df_option_table filter_table;

#endif
