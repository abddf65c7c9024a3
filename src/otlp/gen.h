/* otlp/gen.h — synthetic OTLP requests for the traffic generator.
 *
 * Builds one realistic Export*ServiceRequest: one resource (service.name =
 * "df_engine.traffic_generator" and a few more attributes), one scope (name
 * "df_engine.traffic_generator" and a version) and `items` items whose
 * contents vary pseudo-randomly but deterministically with the seed. Meant to
 * be run once at start-up, its bytes then being sent over and over; fast
 * enough for that but not for per-request use. Any thread; no shared state. */
#ifndef DF_OTLP_GEN_H
#define DF_OTLP_GEN_H

#include <stdint.h>

#include "df/signal.h"
#include "otlp/wire.h"

#define DF_OTLP_GEN_SCOPE "df_engine.traffic_generator"

struct df_otlp_gen_opts {
    uint32_t items;          /* log records, spans or metric data points */
    uint32_t log_body_size;  /* bytes of printable text in each log body */
    uint32_t num_attributes; /* per log record, span or data point */
    uint64_t seed;
    uint64_t time_unix_nano; /* time of the first item; 0 picks a fixed date */
};

/* Appends one request of `signal` to `out`.
 *   logs:    time, observed time, severity number and text, a string body of
 *            exactly log_body_size bytes, num_attributes attributes cycling
 *            through string/int/bool/double values, trace and span ids;
 *   traces:  trace/span/parent ids (a few spans per trace), name, kind,
 *            start/end, attributes, one event, a status;
 *   metrics: one metric with one data point per item, cycling through gauge,
 *            sum, histogram, exponential histogram and summary.
 * The same signal, options and seed always give the same bytes, and
 * df_otlp_count of them is `items`. Returns 0, DF_EINVAL for an unknown
 * signal, or DF_ENOMEM (the writer's sticky error). */
int df_otlp_gen(enum df_signal signal, const struct df_otlp_gen_opts *opts,
                struct df_pb_writer *out);

#endif
