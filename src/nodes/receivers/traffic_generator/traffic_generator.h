/* nodes/receivers/traffic_generator/traffic_generator.h —
 * receiver:traffic_generator's configuration, private to this folder: the
 * structs its option tables fill and check (config.c) and the runtime reads
 * (traffic_generator.c). The parsed structs are read-only once built, so any
 * core's thread may read them. */
#ifndef DF_NODES_RECEIVERS_TRAFFIC_GENERATOR_TRAFFIC_GENERATOR_H
#define DF_NODES_RECEIVERS_TRAFFIC_GENERATOR_TRAFFIC_GENERATOR_H

#include <stdbool.h>
#include <stdint.h>

#include "df/options.h"
#include "df/signal.h"

/* The `traffic_config` sub-table: rate, batch size and signal mix. */
struct traffic_config {
    int64_t signals_per_second;
    bool has_rate;
    int64_t max_signal_count;
    bool has_max;
    int64_t max_batch_size;
    int64_t weights[DF_SIGNAL_COUNT]; /* logs, metrics, traces */
    int64_t log_body_size_bytes;
    int64_t num_attributes;
};

struct traffic_generator_config {
    struct traffic_config traffic;
    bool enable_ack_nack;
};

/* Options of receiver:traffic_generator, filling a struct
 * traffic_generator_config; the `traffic_config` sub-table's check rejects
 * all signal weights being 0. */
extern const struct df_option_table traffic_generator_table;

#endif
