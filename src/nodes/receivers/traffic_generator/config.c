/* nodes/receivers/traffic_generator/config.c — receiver:traffic_generator's
 * option tables (the node's, and its `traffic_config` sub-table with its
 * cross-field check). */
#include <stddef.h>
#include <stdint.h>

#include "df/options.h"
#include "nodes/receivers/traffic_generator/traffic_generator.h"

#define INT_OPT(key, field, lo, hi, dflt, text)                                                    \
    {                                                                                              \
        .name = key, .type = DF_OPT_INT, .flags = DF_OPT_BOUNDED, .min = lo, .max = hi,            \
        .def = dflt, .offset = offsetof(struct traffic_config, field), .desc = text                \
    }

static const struct df_option traffic_opts[] = {
    {.name = "signals_per_second",
     .type = DF_OPT_INT,
     .flags = DF_OPT_BOUNDED | DF_OPT_NULLABLE,
     .min = 1,
     .max = 1000000000,
     .offset = offsetof(struct traffic_config, signals_per_second),
     .present = offsetof(struct traffic_config, has_rate) + 1,
     .desc = "items per second per core; null or absent = as fast as the pipeline takes them"},
    {.name = "max_signal_count",
     .type = DF_OPT_INT,
     .flags = DF_OPT_BOUNDED | DF_OPT_NULLABLE,
     .min = 0,
     .max = INT64_MAX,
     .offset = offsetof(struct traffic_config, max_signal_count),
     .present = offsetof(struct traffic_config, has_max) + 1,
     .desc = "stop after this many items per core; null or absent = never"},
    INT_OPT("max_batch_size", max_batch_size, 1, 1 << 20, "1000", "items per request"),
    INT_OPT("log_weight", weights[DF_SIGNAL_LOGS], 0, 1000, "1", "share of requests that are logs"),
    INT_OPT("metric_weight", weights[DF_SIGNAL_METRICS], 0, 1000, "1",
            "share of requests that are metrics"),
    INT_OPT("trace_weight", weights[DF_SIGNAL_TRACES], 0, 1000, "1",
            "share of requests that are traces"),
    INT_OPT("log_body_size_bytes", log_body_size_bytes, 0, 1 << 20, "100",
            "bytes of each log record's body"),
    INT_OPT("num_attributes", num_attributes, 0, 128, "4", "attributes on each record"),
};

static int check_traffic(void *obj, const struct df_value *src, const char *path,
                         struct df_diags *d)
{
    const struct traffic_config *t = obj;
    if (!t->weights[0] && !t->weights[1] && !t->weights[2]) {
        df_diags_add(d, src ? &src->mark : NULL, path, "every signal weight is 0");
        df_diags_hint(d, "set log_weight, metric_weight or trace_weight above 0");
        return DF_EINVAL;
    }
    return 0;
}

static const struct df_option_table traffic_table = {
    .name = "struct traffic_config",
    .size = sizeof(struct traffic_config),
    .options = traffic_opts,
    .count = DF_COUNTOF(traffic_opts),
    .desc = "Rate, batch size and signal mix.",
    .check = check_traffic,
};

static const struct df_option traffic_generator_opts[] = {
    {.name = "traffic_config",
     .type = DF_OPT_TABLE,
     .table = &traffic_table,
     .offset = offsetof(struct traffic_generator_config, traffic),
     .desc = "rate, batch size and signal mix"},
    {.name = "enable_ack_nack",
     .type = DF_OPT_BOOL,
     .def = "false",
     .offset = offsetof(struct traffic_generator_config, enable_ack_nack),
     .desc = "subscribe to the outcome of every request (counted in the node's Ack/Nack metrics)"},
};

const struct df_option_table traffic_generator_table = DF_OPTION_TABLE(
    struct traffic_generator_config, traffic_generator_opts, "receiver:traffic_generator options.");
