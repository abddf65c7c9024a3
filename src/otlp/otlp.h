/* otlp/otlp.h — validating, counting and splitting OTLP export requests.
 *
 * A request is the protobuf encoding of an ExportLogsServiceRequest,
 * ExportMetricsServiceRequest or ExportTraceServiceRequest (OTLP v1), kept in
 * its wire form: these helpers read it in place and never copy or allocate.
 *
 * Validation follows the OTLP schema down to every known field of every known
 * message (resources, entity refs, scopes, log records, spans with events,
 * links and status, the five metric kinds with their data points, buckets,
 * quantiles and exemplars, and AnyValue / ArrayValue / KeyValueList /
 * KeyValue recursively): each known field must have the wire type the schema
 * gives it, and each nested message must itself be valid. Repeated
 * fixed64/double (histogram bucket counts and explicit bounds) and repeated
 * uint64 (exponential histogram buckets) are accepted packed and unpacked.
 * Unknown fields are skipped but must be well-formed. Strings are not checked
 * for UTF-8, enum values are not range-checked, and the oneofs are not
 * checked for exclusivity (protobuf keeps the last one seen). AnyValues may
 * nest at most DF_OTLP_MAX_DEPTH deep (an AnyValue directly in a record,
 * attribute or scope is at depth 1).
 *
 * Batching: protobuf merges repeated fields by concatenation, and every
 * request's only field is the repeated field 1 (ResourceLogs /
 * ResourceMetrics / ResourceSpans). So the concatenation of several
 * requests of one signal is a valid request holding all their resources —
 * batching is appending bytes — and splitting at field-1 boundaries
 * (df_otlp_parts) yields pieces that are requests themselves.
 *
 * All functions are pure and may be called from any thread. */
#ifndef DF_OTLP_OTLP_H
#define DF_OTLP_OTLP_H

#include <stddef.h>
#include <stdint.h>

#include "df/signal.h"

#define DF_OTLP_MAX_DEPTH 64

/* What a valid request holds. `items` is the signal's unit of count: log
 * records, spans, or metric data points (gauge, sum, histogram, exponential
 * histogram and summary points together). */
struct df_otlp_stats {
    uint64_t resources;
    uint64_t scopes;
    uint64_t metrics; /* Metric messages; 0 for logs and traces */
    uint64_t items;
};

/* Validates `len` bytes of `buf` as a request of `signal` and fills *stats.
 * Returns 0, or DF_EPARSE when malformed (then *stats holds what was counted
 * before the error) or DF_EINVAL for an unknown signal. */
int df_otlp_stats(enum df_signal signal, const uint8_t *buf, size_t len,
                  struct df_otlp_stats *stats);

/* Validates as above and stores the number of items in *items. Returns 0 or
 * DF_EPARSE (DF_EINVAL for an unknown signal); *items is written only on
 * success. */
int df_otlp_count(enum df_signal signal, const uint8_t *buf, size_t len, uint64_t *items);

/* One resource-level piece of a request: bytes [off, off + len) of the
 * request are one whole tagged field 1 (tag, length and body), holding
 * `items` items. */
struct df_otlp_part {
    size_t off, len;
    uint64_t items;
};

/* Validates `buf` and splits it into one part per top-level field 1, in
 * order, stored in parts[0..max). Concatenating any subset of the parts, in
 * order, gives a valid request of the same signal (unknown top-level fields,
 * if any, belong to no part and are left out). Stores the number of parts
 * found in *n and returns 0; DF_ERANGE when there are more than `max` (*n is
 * then the number needed, and `parts` holds the first `max`); DF_EPARSE when
 * malformed; DF_EINVAL for an unknown signal. `parts` may be NULL when `max`
 * is 0. */
int df_otlp_parts(enum df_signal signal, const uint8_t *buf, size_t len, struct df_otlp_part *parts,
                  size_t max, size_t *n);

#endif
