/* otlp/dump.h — human-readable text of OTLP requests, for the console
 * exporter and for debugging.
 *
 * Three levels of detail:
 *   DF_OTLP_BASIC     one summary line:
 *                       logs: 1 resource, 512 log records
 *                       metrics: 1 resource, 5 metrics, 5 data points
 *                       traces: 2 resources, 40 spans
 *   DF_OTLP_NORMAL    the summary, then a line per resource (its
 *                     attributes), per scope (name and version) and per
 *                     record: logs `time severity body {attrs}`, spans
 *                     `name trace_id span_id kind duration status`, metrics
 *                     `name type unit` then a line per data point `value
 *                     {attrs}`;
 *   DF_OTLP_DETAILED  the summary, then every field present in the request,
 *                     one per line, named as in the OTLP protos and indented
 *                     by nesting (attributes as `attribute: key = value`,
 *                     ids in hex, histogram buckets as lists); unknown
 *                     fields are listed by number.
 * AnyValues are rendered readably: strings quoted with C escapes, arrays as
 * [a, b], kvlists as {k = v}, bytes as 0x-prefixed hex. Timestamps are
 * RFC 3339 UTC with nanoseconds (2023-11-14T22:13:20.000000001Z).
 *
 * Any input is safe: a malformed request is validated as by
 * df_otlp_stats, printed as far as it can be read and reported. Any thread,
 * as long as `out` is not written concurrently. */
#ifndef DF_OTLP_DUMP_H
#define DF_OTLP_DUMP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "df/signal.h"

enum df_otlp_verbosity {
    DF_OTLP_BASIC,
    DF_OTLP_NORMAL,
    DF_OTLP_DETAILED,
};

/* Writes the text of the `len`-byte request `buf` of `signal` to `out`.
 * Returns 0; DF_EPARSE when the request is malformed (after printing what
 * could be read, and a line saying so); DF_EINVAL for an unknown signal or
 * verbosity; DF_EIO when writing to `out` failed. */
int df_otlp_dump(FILE *out, enum df_signal signal, const uint8_t *buf, size_t len,
                 enum df_otlp_verbosity verbosity);

#endif
