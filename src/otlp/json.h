/* otlp/json.h — OTLP/JSON: converting export requests between the JSON
 * encoding of OTLP/HTTP (Content-Type: application/json) and protobuf.
 *
 * The engine keeps OTLP as protobuf bytes; this module is the door for JSON
 * on both sides. The JSON form is the proto3 JSON mapping with the OTLP
 * exceptions:
 *   - keys are lowerCamelCase (resourceSpans, timeUnixNano); the decoder also
 *     accepts the original snake_case names (resource_spans) and ignores
 *     unknown keys at every level;
 *   - trace and span ids (traceId, spanId, parentSpanId, in spans, links,
 *     log records and exemplars) are hex strings of exactly 32 / 16 digits
 *     (any case on input, lower case on output); other bytes are base64
 *     (standard or URL-safe alphabet, padding optional, on input);
 *   - enums are integers (the decoder also accepts their names, such as
 *     "SPAN_KIND_SERVER");
 *   - 64-bit integers are decimal strings (the decoder also accepts JSON
 *     numbers, up to 2^63-1 — larger values must be strings);
 *   - doubles are numbers, or the strings "NaN", "Infinity", "-Infinity"
 *     (the decoder also accepts numbers written as strings); a JSON null
 *     counts as an absent field.
 *
 * Every message of the three signals is covered: resources (with entity
 * refs), scopes, log records, spans with events, links and status, the five
 * metric kinds with their data points, exemplars, bucket counts and bounds,
 * exponential histogram buckets and summary quantiles, and AnyValue /
 * ArrayValue / KeyValueList nesting up to DF_OTLP_MAX_DEPTH AnyValues deep.
 *
 * The protobuf written is canonical: fields in field-number order, scalar
 * zero values left out as proto3 does (except oneof members and `optional`
 * fields, whose presence is kept), repeated numbers packed, nested lengths
 * minimal. So, for canonical protobuf input, pb -> JSON -> pb gives back the
 * same bytes.
 *
 * All functions are pure: no shared state, any thread. */
#ifndef DF_OTLP_JSON_H
#define DF_OTLP_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "df/signal.h"
#include "otlp/wire.h"

/* A growable text buffer. `buf` is NUL-terminated whenever it is non-NULL
 * (the NUL is not counted in `len`). `err` becomes DF_ENOMEM when growing
 * fails and stays so; every later append is then a no-op. Owned by its
 * thread. */
struct df_jbuf {
    char *buf;
    size_t len, cap;
    int err;
};

/* Starts an empty buffer (no allocation until the first byte). */
void df_jbuf_init(struct df_jbuf *b);

/* Releases the buffer and resets it to empty; safe to call twice. */
void df_jbuf_free(struct df_jbuf *b);

/* Decodes the `len` bytes at `json`, an Export{Logs,Metrics,Trace}Service-
 * Request of `signal` in OTLP/JSON, and appends its canonical protobuf
 * encoding to `out`. Returns 0; DF_EPARSE for bad input — not JSON, a known
 * field of the wrong JSON type, a bad id, bad base64, a number out of range
 * for its field, more than one member of a oneof, AnyValues nested too deep —
 * with a message naming the JSON path written to err[0..errlen) (for example
 * `resourceLogs[0].scopeLogs[1].logRecords[3].traceId: expected 32 hex
 * digits`); DF_ENOMEM; DF_EINVAL for an unknown signal. On failure `out` is
 * left as it was on entry (unless it is in error). `err` may be NULL when
 * `errlen` is 0. */
int df_otlp_json_to_pb(enum df_signal signal, const char *json, size_t len,
                       struct df_pb_writer *out, char *err, size_t errlen);

/* Encodes the `len`-byte protobuf request `buf` of `signal` as compact,
 * single-line OTLP/JSON appended to `out`. Fields come in field-number order;
 * absent fields and proto3 zero values are left out (oneof members and
 * `optional` fields are written when present). Protobuf merging rules are
 * followed: the last value of a repeated scalar wins, repeated occurrences of
 * a singular message are merged. Strings are copied as they are, except
 * that in a string that is not valid UTF-8 each byte that does not begin a
 * valid sequence becomes U+FFFD (so the output is always valid JSON). Returns 0; DF_EPARSE when the
 * request is malformed (as by df_otlp_count) or has a trace/span id that is not 16/8 bytes;
 * DF_ENOMEM; DF_EINVAL for an unknown signal. On failure `out` is left as it was on entry (unless
 * it is in error). */
int df_otlp_pb_to_json(enum df_signal signal, const uint8_t *buf, size_t len, struct df_jbuf *out);

#endif
