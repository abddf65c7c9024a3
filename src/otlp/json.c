/* OTLP/JSON <-> protobuf (otlp/json.h).
 *
 * One table describes every OTLP message: for each field number, its JSON
 * names (lowerCamelCase and snake_case), its kind, the nested message or enum
 * it refers to, whether it is repeated or has explicit presence, and its
 * oneof group. Both directions walk that table in field-number order, which
 * is what makes the protobuf canonical and the JSON key order stable.
 *
 * JSON -> protobuf parses the whole document with jansson first, then looks
 * the fields of each message up by name, so the order of keys in the input
 * does not matter. A JSON path is kept as a chain of stack frames and only
 * formatted into text when there is an error.
 *
 * protobuf -> JSON validates the request with df_otlp_count, then reads
 * each message twice: once to note where each field occurs (and which oneof
 * member came last), once per field, in order, to write it. The only
 * allocation besides the output is for merging a singular message that occurs
 * more than once (its payloads are concatenated, as protobuf merges). */
#include "otlp/json.h"

#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "df/error.h"
#include "otlp/schema.h"
#include "otlp/otlp.h"

#define NGROUPS 3 /* oneof groups per message, numbered from 1 */

enum kind {
    K_NONE,     /* not in the schema */
    K_STR,      /* string */
    K_BYTES,    /* bytes, base64 in JSON */
    K_ID,       /* trace/span id: bytes, hex in JSON; `arg` is its size */
    K_BOOL,     /* bool */
    K_ENUM,     /* enum (int32 varint); `arg` is its name table */
    K_UINT32,   /* uint32 varint */
    K_SINT32,   /* sint32 (zigzag varint) */
    K_INT64,    /* int64 varint, a string in JSON */
    K_UINT64,   /* uint64 varint, a string in JSON */
    K_FIXED32,  /* fixed32 */
    K_FIXED64,  /* fixed64, a string in JSON */
    K_SFIXED64, /* sfixed64, a string in JSON */
    K_DOUBLE,   /* double */
    K_MSG,      /* nested message; `arg` is its enum df_otlp_msg */
};

#define F_REP 1 /* repeated (numbers are packed) */
#define F_OPT 2 /* proto3 `optional`: present even when zero */

struct fdef {
    const char *camel, *snake;
    uint8_t kind;
    uint8_t arg;
    uint8_t flags;
    uint8_t oneof; /* 0, or the field's oneof group (1..NGROUPS-1) */
};

enum { E_NONE, E_SEVERITY, E_SPAN_KIND, E_STATUS_CODE, E_TEMPORALITY, E_COUNT };

struct enumdef {
    const char *prefix;
    const char *const *names;
    size_t n;
};

static const char *const severity_names[] = {
    "UNSPECIFIED", "TRACE",  "TRACE2", "TRACE3", "TRACE4", "DEBUG",  "DEBUG2", "DEBUG3", "DEBUG4",
    "INFO",        "INFO2",  "INFO3",  "INFO4",  "WARN",   "WARN2",  "WARN3",  "WARN4",  "ERROR",
    "ERROR2",      "ERROR3", "ERROR4", "FATAL",  "FATAL2", "FATAL3", "FATAL4",
};
static const char *const kind_names[] = {"UNSPECIFIED", "INTERNAL", "SERVER",
                                         "CLIENT",      "PRODUCER", "CONSUMER"};
static const char *const code_names[] = {"UNSET", "OK", "ERROR"};
static const char *const temporality_names[] = {"UNSPECIFIED", "DELTA", "CUMULATIVE"};

#define ENUMDEF(prefix, names)                                                                     \
    {                                                                                              \
        prefix, names, sizeof names / sizeof *names                                                \
    }

static const struct enumdef enums[E_COUNT] = {
    [E_SEVERITY] = ENUMDEF("SEVERITY_NUMBER_", severity_names),
    [E_SPAN_KIND] = ENUMDEF("SPAN_KIND_", kind_names),
    [E_STATUS_CODE] = ENUMDEF("STATUS_CODE_", code_names),
    [E_TEMPORALITY] = ENUMDEF("AGGREGATION_TEMPORALITY_", temporality_names),
};

/* Field descriptors. Names given once are the same in both spellings. */
#define SC(c, s, k)                                                                                \
    {                                                                                              \
        c, s, k, 0, 0, 0                                                                           \
    }
#define STR(c, s) SC(c, s, K_STR)
#define MSG(c, s, m)                                                                               \
    {                                                                                              \
        c, s, K_MSG, m, 0, 0                                                                       \
    }
#define MSGS(c, s, m)                                                                              \
    {                                                                                              \
        c, s, K_MSG, m, F_REP, 0                                                                   \
    }
#define ID(c, s, n)                                                                                \
    {                                                                                              \
        c, s, K_ID, n, 0, 0                                                                        \
    }
#define ENUM(c, s, e)                                                                              \
    {                                                                                              \
        c, s, K_ENUM, e, 0, 0                                                                      \
    }
#define OPT(c, s, k)                                                                               \
    {                                                                                              \
        c, s, k, 0, F_OPT, 0                                                                       \
    }
#define PACKED(c, s, k)                                                                            \
    {                                                                                              \
        c, s, k, 0, F_REP, 0                                                                       \
    }
#define ONEOF(c, s, k, a, g)                                                                       \
    {                                                                                              \
        c, s, k, a, 0, g                                                                           \
    }
#define ATTRS(c, s)    MSGS(c, s, M_KEY_VALUE)
#define ATTRIBUTES     ATTRS("attributes", "attributes")
#define DROPPED        SC("droppedAttributesCount", "dropped_attributes_count", K_UINT32)
#define SCHEMA_URL     STR("schemaUrl", "schema_url")
#define START_TIME     SC("startTimeUnixNano", "start_time_unix_nano", K_FIXED64)
#define TIME           SC("timeUnixNano", "time_unix_nano", K_FIXED64)
#define TRACE_ID       ID("traceId", "trace_id", 16)
#define SPAN_ID        ID("spanId", "span_id", 8)
#define TRACE_STATE    STR("traceState", "trace_state")
#define DATA_POINTS(m) MSGS("dataPoints", "data_points", m)
#define TEMPORALITY    ENUM("aggregationTemporality", "aggregation_temporality", E_TEMPORALITY)
#define EXEMPLARS      MSGS("exemplars", "exemplars", M_EXEMPLAR)
#define COUNT          SC("count", "count", K_FIXED64)
#define FLAGS32        SC("flags", "flags", K_UINT32)

static const struct fdef schema[M_COUNT][DF_OTLP_NFIELDS] = {
    [M_ANY_VALUE] = {[1] = ONEOF("stringValue", "string_value", K_STR, 0, 1),
                     [2] = ONEOF("boolValue", "bool_value", K_BOOL, 0, 1),
                     [3] = ONEOF("intValue", "int_value", K_INT64, 0, 1),
                     [4] = ONEOF("doubleValue", "double_value", K_DOUBLE, 0, 1),
                     [5] = ONEOF("arrayValue", "array_value", K_MSG, M_ARRAY_VALUE, 1),
                     [6] = ONEOF("kvlistValue", "kvlist_value", K_MSG, M_KV_LIST, 1),
                     [7] = ONEOF("bytesValue", "bytes_value", K_BYTES, 0, 1)},
    [M_ARRAY_VALUE] = {[1] = MSGS("values", "values", M_ANY_VALUE)},
    [M_KV_LIST] = {[1] = MSGS("values", "values", M_KEY_VALUE)},
    [M_KEY_VALUE] = {[1] = STR("key", "key"), [2] = MSG("value", "value", M_ANY_VALUE)},
    [M_SCOPE] = {[1] = STR("name", "name"),
                 [2] = STR("version", "version"),
                 [3] = ATTRIBUTES,
                 [4] = DROPPED},
    [M_RESOURCE] =
        {[1] = ATTRIBUTES, [2] = DROPPED, [3] = MSGS("entityRefs", "entity_refs", M_ENTITY_REF)},
    [M_ENTITY_REF] = {[1] = SCHEMA_URL,
                      [2] = STR("type", "type"),
                      [3] = {"idKeys", "id_keys", K_STR, 0, F_REP, 0},
                      [4] = {"descriptionKeys", "description_keys", K_STR, 0, F_REP, 0}},

    [M_LOGS_REQUEST] = {[1] = MSGS("resourceLogs", "resource_logs", M_RESOURCE_LOGS)},
    [M_RESOURCE_LOGS] = {[1] = MSG("resource", "resource", M_RESOURCE),
                         [2] = MSGS("scopeLogs", "scope_logs", M_SCOPE_LOGS),
                         [3] = SCHEMA_URL},
    [M_SCOPE_LOGS] = {[1] = MSG("scope", "scope", M_SCOPE),
                      [2] = MSGS("logRecords", "log_records", M_LOG_RECORD),
                      [3] = SCHEMA_URL},
    [M_LOG_RECORD] = {[1] = TIME,
                      [2] = ENUM("severityNumber", "severity_number", E_SEVERITY),
                      [3] = STR("severityText", "severity_text"),
                      [5] = MSG("body", "body", M_ANY_VALUE),
                      [6] = ATTRIBUTES,
                      [7] = DROPPED,
                      [8] = SC("flags", "flags", K_FIXED32),
                      [9] = TRACE_ID,
                      [10] = SPAN_ID,
                      [11] = SC("observedTimeUnixNano", "observed_time_unix_nano", K_FIXED64),
                      [12] = STR("eventName", "event_name")},

    [M_TRACES_REQUEST] = {[1] = MSGS("resourceSpans", "resource_spans", M_RESOURCE_SPANS)},
    [M_RESOURCE_SPANS] = {[1] = MSG("resource", "resource", M_RESOURCE),
                          [2] = MSGS("scopeSpans", "scope_spans", M_SCOPE_SPANS),
                          [3] = SCHEMA_URL},
    [M_SCOPE_SPANS] = {[1] = MSG("scope", "scope", M_SCOPE),
                       [2] = MSGS("spans", "spans", M_SPAN),
                       [3] = SCHEMA_URL},
    [M_SPAN] = {[1] = TRACE_ID,
                [2] = SPAN_ID,
                [3] = TRACE_STATE,
                [4] = ID("parentSpanId", "parent_span_id", 8),
                [5] = STR("name", "name"),
                [6] = ENUM("kind", "kind", E_SPAN_KIND),
                [7] = START_TIME,
                [8] = SC("endTimeUnixNano", "end_time_unix_nano", K_FIXED64),
                [9] = ATTRIBUTES,
                [10] = DROPPED,
                [11] = MSGS("events", "events", M_EVENT),
                [12] = SC("droppedEventsCount", "dropped_events_count", K_UINT32),
                [13] = MSGS("links", "links", M_LINK),
                [14] = SC("droppedLinksCount", "dropped_links_count", K_UINT32),
                [15] = MSG("status", "status", M_STATUS),
                [16] = SC("flags", "flags", K_FIXED32)},
    [M_EVENT] = {[1] = TIME, [2] = STR("name", "name"), [3] = ATTRIBUTES, [4] = DROPPED},
    [M_LINK] = {[1] = TRACE_ID,
                [2] = SPAN_ID,
                [3] = TRACE_STATE,
                [4] = ATTRIBUTES,
                [5] = DROPPED,
                [6] = SC("flags", "flags", K_FIXED32)},
    [M_STATUS] = {[2] = STR("message", "message"), [3] = ENUM("code", "code", E_STATUS_CODE)},

    [M_METRICS_REQUEST] = {[1] = MSGS("resourceMetrics", "resource_metrics", M_RESOURCE_METRICS)},
    [M_RESOURCE_METRICS] = {[1] = MSG("resource", "resource", M_RESOURCE),
                            [2] = MSGS("scopeMetrics", "scope_metrics", M_SCOPE_METRICS),
                            [3] = SCHEMA_URL},
    [M_SCOPE_METRICS] = {[1] = MSG("scope", "scope", M_SCOPE),
                         [2] = MSGS("metrics", "metrics", M_METRIC),
                         [3] = SCHEMA_URL},
    [M_METRIC] = {[1] = STR("name", "name"),
                  [2] = STR("description", "description"),
                  [3] = STR("unit", "unit"),
                  [5] = ONEOF("gauge", "gauge", K_MSG, M_GAUGE, 1),
                  [7] = ONEOF("sum", "sum", K_MSG, M_SUM, 1),
                  [9] = ONEOF("histogram", "histogram", K_MSG, M_HISTOGRAM, 1),
                  [10] = ONEOF("exponentialHistogram", "exponential_histogram", K_MSG,
                               M_EXP_HISTOGRAM, 1),
                  [11] = ONEOF("summary", "summary", K_MSG, M_SUMMARY, 1),
                  [12] = ATTRS("metadata", "metadata")},
    [M_GAUGE] = {[1] = DATA_POINTS(M_NUMBER_POINT)},
    [M_SUM] = {[1] = DATA_POINTS(M_NUMBER_POINT),
               [2] = TEMPORALITY,
               [3] = SC("isMonotonic", "is_monotonic", K_BOOL)},
    [M_HISTOGRAM] = {[1] = DATA_POINTS(M_HISTOGRAM_POINT), [2] = TEMPORALITY},
    [M_EXP_HISTOGRAM] = {[1] = DATA_POINTS(M_EXP_HISTOGRAM_POINT), [2] = TEMPORALITY},
    [M_SUMMARY] = {[1] = DATA_POINTS(M_SUMMARY_POINT)},
    [M_NUMBER_POINT] = {[2] = START_TIME,
                        [3] = TIME,
                        [4] = ONEOF("asDouble", "as_double", K_DOUBLE, 0, 1),
                        [5] = EXEMPLARS,
                        [6] = ONEOF("asInt", "as_int", K_SFIXED64, 0, 1),
                        [7] = ATTRIBUTES,
                        [8] = FLAGS32},
    [M_HISTOGRAM_POINT] = {[2] = START_TIME,
                           [3] = TIME,
                           [4] = COUNT,
                           [5] = OPT("sum", "sum", K_DOUBLE),
                           [6] = PACKED("bucketCounts", "bucket_counts", K_FIXED64),
                           [7] = PACKED("explicitBounds", "explicit_bounds", K_DOUBLE),
                           [8] = EXEMPLARS,
                           [9] = ATTRIBUTES,
                           [10] = FLAGS32,
                           [11] = OPT("min", "min", K_DOUBLE),
                           [12] = OPT("max", "max", K_DOUBLE)},
    [M_EXP_HISTOGRAM_POINT] = {[1] = ATTRIBUTES,
                               [2] = START_TIME,
                               [3] = TIME,
                               [4] = COUNT,
                               [5] = OPT("sum", "sum", K_DOUBLE),
                               [6] = SC("scale", "scale", K_SINT32),
                               [7] = SC("zeroCount", "zero_count", K_FIXED64),
                               [8] = MSG("positive", "positive", M_BUCKETS),
                               [9] = MSG("negative", "negative", M_BUCKETS),
                               [10] = FLAGS32,
                               [11] = EXEMPLARS,
                               [12] = OPT("min", "min", K_DOUBLE),
                               [13] = OPT("max", "max", K_DOUBLE),
                               [14] = SC("zeroThreshold", "zero_threshold", K_DOUBLE)},
    [M_BUCKETS] = {[1] = SC("offset", "offset", K_SINT32),
                   [2] = PACKED("bucketCounts", "bucket_counts", K_UINT64)},
    [M_SUMMARY_POINT] = {[2] = START_TIME,
                         [3] = TIME,
                         [4] = COUNT,
                         [5] = SC("sum", "sum", K_DOUBLE),
                         [6] = MSGS("quantileValues", "quantile_values", M_QUANTILE),
                         [7] = ATTRIBUTES,
                         [8] = FLAGS32},
    [M_QUANTILE] =
        {[1] = SC("quantile", "quantile", K_DOUBLE), [2] = SC("value", "value", K_DOUBLE)},
    [M_EXEMPLAR] =
        {[2] = TIME,
         [3] = ONEOF("asDouble", "as_double", K_DOUBLE, 0, 1),
         [4] = SPAN_ID,
         [5] = TRACE_ID,
         [6] = ONEOF("asInt", "as_int", K_SFIXED64, 0, 1),
         [7] = ATTRS("filteredAttributes", "filtered_attributes")},
};

static const uint8_t requests[DF_SIGNAL_COUNT] = {
    [DF_SIGNAL_LOGS] = M_LOGS_REQUEST,
    [DF_SIGNAL_METRICS] = M_METRICS_REQUEST,
    [DF_SIGNAL_TRACES] = M_TRACES_REQUEST,
};

static uint64_t double_bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

/* ======================================================================
 * JSON -> protobuf
 * ====================================================================== */

/* One step of a JSON path: an object key, or (key NULL) an array index. */
struct seg {
    const struct seg *up;
    const char *key;
    size_t idx;
};

struct dec {
    struct df_pb_writer *w;
    char *err;
    size_t errlen;
};

#define PATH_SEGS 512  /* steps of a path kept in an error */
#define PATH_TEXT 8192 /* bytes of a path before it is shortened */

static void path_text(char *buf, size_t cap, const struct seg *at)
{
    const struct seg *chain[PATH_SEGS];
    size_t n = 0, len = 0;
    for (; at && n < PATH_SEGS; at = at->up)
        chain[n++] = at;
    buf[0] = '\0';
    if (n == 0)
        snprintf(buf, cap, "(request)");
    while (n-- > 0 && len < cap) {
        const struct seg *s = chain[n];
        int k = s->key ? snprintf(buf + len, cap - len, "%s%s", len ? "." : "", s->key)
                       : snprintf(buf + len, cap - len, "[%zu]", s->idx);
        len += k > 0 ? (size_t)k : 0;
    }
}

static int fail(struct dec *d, const struct seg *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Writes "path: message" to the caller's buffer and returns DF_EPARSE. A
 * path too long for the buffer keeps its head and its tail around "...". */
static int fail(struct dec *d, const struct seg *at, const char *fmt, ...)
{
    if (d->errlen == 0)
        return DF_EPARSE;
    char path[PATH_TEXT], msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    path_text(path, sizeof path, at);
    size_t plen = strlen(path), mlen = strlen(msg);
    size_t room = d->errlen > mlen + 3 ? d->errlen - mlen - 3 : 0; /* ": " and NUL */
    if (plen > room && room >= 16) {
        size_t head = (room - 3) / 2, tail = room - 3 - head;
        memmove(path + head + 3, path + plen - tail, tail + 1);
        memcpy(path + head, "...", 3);
    }
    snprintf(d->err, d->errlen, "%s: %s", path, msg);
    return DF_EPARSE;
}

/* Reads an integer given as a JSON integer, an integral JSON real or a
 * decimal string, as sign and magnitude. Returns 0, -1 when it is not an
 * integer, -2 when its magnitude does not fit 64 bits. */
static int integer(const json_t *v, bool *neg, uint64_t *mag)
{
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        *neg = i < 0;
        *mag = *neg ? (uint64_t)0 - (uint64_t)i : (uint64_t)i;
        return 0;
    }
    if (json_is_real(v)) {
        double x = json_real_value(v);
        if (!isfinite(x) || x != floor(x))
            return -1;
        if (fabs(x) >= 0x1p64)
            return -2;
        *neg = x < 0;
        *mag = (uint64_t)fabs(x);
        return 0;
    }
    if (!json_is_string(v))
        return -1;
    const char *s = json_string_value(v);
    size_t n = json_string_length(v), i = 0;
    *neg = n > 0 && s[0] == '-';
    i = *neg;
    if (i == n)
        return -1;
    uint64_t m = 0;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        unsigned dg = (unsigned)(s[i] - '0');
        if (m > (UINT64_MAX - dg) / 10)
            return -2;
        m = m * 10 + dg;
    }
    *mag = m;
    return 0;
}

static int get_uint(struct dec *d, const json_t *v, const struct seg *at, uint64_t max,
                    uint64_t *out)
{
    bool neg;
    uint64_t mag;
    int rc = integer(v, &neg, &mag);
    if (rc == -1)
        return fail(d, at, "expected an unsigned integer (a number or a decimal string)");
    if (rc == -2 || (neg && mag) || mag > max)
        return fail(d, at, "out of range (0 to %" PRIu64 ")", max);
    *out = mag;
    return 0;
}

static int get_int(struct dec *d, const json_t *v, const struct seg *at, int64_t min, int64_t max,
                   int64_t *out)
{
    bool neg;
    uint64_t mag;
    int rc = integer(v, &neg, &mag);
    if (rc == -1)
        return fail(d, at, "expected an integer (a number or a decimal string)");
    uint64_t lim = neg ? (uint64_t)(-(min + 1)) + 1 : (uint64_t)max;
    if (rc == -2 || mag > lim)
        return fail(d, at, "out of range (%" PRId64 " to %" PRId64 ")", min, max);
    *out = neg ? (int64_t)(0 - mag) : (int64_t)mag;
    return 0;
}

static int get_enum(struct dec *d, const json_t *v, const struct seg *at, unsigned e, int64_t *out)
{
    if (json_is_string(v) && e != E_NONE) {
        const struct enumdef *ed = &enums[e];
        const char *s = json_string_value(v);
        size_t plen = strlen(ed->prefix);
        if (strncmp(s, ed->prefix, plen) == 0) {
            for (size_t i = 0; i < ed->n; i++) {
                if (strcmp(s + plen, ed->names[i]) == 0) {
                    *out = (int64_t)i;
                    return 0;
                }
            }
        }
        bool neg;
        uint64_t mag;
        if (integer(v, &neg, &mag) == -1)
            return fail(d, at, "unknown enum value \"%.64s\"", s);
    }
    return get_int(d, v, at, INT32_MIN, INT32_MAX, out);
}

static int get_double(struct dec *d, const json_t *v, const struct seg *at, double *out)
{
    if (json_is_number(v)) {
        *out = json_number_value(v);
        return 0;
    }
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        size_t n = json_string_length(v);
        if (strcmp(s, "NaN") == 0) {
            uint64_t qnan = 0x7ff8000000000000ull; /* one canonical NaN */
            memcpy(out, &qnan, sizeof *out);
            return 0;
        }
        if (strcmp(s, "Infinity") == 0 || strcmp(s, "-Infinity") == 0) {
            *out = s[0] == '-' ? -INFINITY : INFINITY;
            return 0;
        }
        /* A number in a string: JSON number characters only (strtod alone
         * would take hex, "inf" and leading spaces). */
        bool ok = n > 0 && strlen(s) == n;
        for (size_t i = 0; ok && i < n; i++)
            ok = strchr("0123456789+-.eE", s[i]) != NULL;
        char *end;
        double x = ok ? strtod(s, &end) : 0;
        if (ok && *end == '\0') {
            if (!isfinite(x))
                return fail(d, at, "out of range for a double");
            *out = x;
            return 0;
        }
    }
    return fail(d, at, "expected a number, \"NaN\", \"Infinity\" or \"-Infinity\"");
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int b64val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+' || c == '-')
        return 62;
    if (c == '/' || c == '_')
        return 63;
    return -1;
}

/* Writes the base64 text s[0..n) as bytes field `num` (left out when empty
 * and `presence` is false). Returns 0, or -1 when s is not base64. */
static int put_base64(struct df_pb_writer *w, uint32_t num, const char *s, size_t n, bool presence)
{
    size_t m = n;
    while (m > 0 && s[m - 1] == '=' && n - m < 2)
        m--;
    if ((m < n && n % 4 != 0) || m % 4 == 1)
        return -1;
    for (size_t i = 0; i < m; i++) {
        if (b64val((unsigned char)s[i]) < 0)
            return -1;
    }
    size_t out = m / 4 * 3 + (m % 4 ? m % 4 - 1 : 0);
    if (out == 0 && !presence)
        return 0;
    df_pb_put_tag(w, num, DF_PB_LEN);
    df_pb_put_raw_varint(w, out);
    uint8_t chunk[192];
    size_t c = 0;
    for (size_t i = 0; i < m; i += 4) {
        uint32_t acc = 0;
        size_t k = m - i < 4 ? m - i : 4;
        for (size_t j = 0; j < 4; j++)
            acc = acc << 6 | (uint32_t)(j < k ? b64val((unsigned char)s[i + j]) : 0);
        uint8_t b[3] = {(uint8_t)(acc >> 16), (uint8_t)(acc >> 8), (uint8_t)acc};
        for (size_t j = 0; j + 1 < k; j++)
            chunk[c++] = b[j];
        if (c + 3 > sizeof chunk) {
            df_pb_put_raw(w, chunk, c);
            c = 0;
        }
    }
    df_pb_put_raw(w, chunk, c);
    return 0;
}

static int enc_msg(struct dec *d, enum df_otlp_msg m, const json_t *obj, const struct seg *at,
                   unsigned depth);

/* One value of a packed repeated field, written raw. */
static int enc_packed(struct dec *d, const struct fdef *fd, const json_t *v, const struct seg *at)
{
    uint64_t u = 0; /* set by get_uint on success; gcc -O3 cannot see it */
    double x;
    int rc;
    switch (fd->kind) {
    case K_DOUBLE:
        rc = get_double(d, v, at, &x);
        if (rc == 0)
            df_pb_put_raw_fixed64(d->w, double_bits(x));
        return rc;
    case K_FIXED64:
        rc = get_uint(d, v, at, UINT64_MAX, &u);
        if (rc == 0)
            df_pb_put_raw_fixed64(d->w, u);
        return rc;
    default: /* K_UINT64 */
        rc = get_uint(d, v, at, UINT64_MAX, &u);
        if (rc == 0)
            df_pb_put_raw_varint(d->w, u);
        return rc;
    }
}

/* A singular scalar field. `presence`: written even when zero. */
static int enc_scalar(struct dec *d, const struct fdef *fd, uint32_t num, const json_t *v,
                      const struct seg *at, bool presence)
{
    struct df_pb_writer *w = d->w;
    uint64_t u = 0; /* as above */
    int64_t i = 0;
    double x;
    int rc = 0;
    switch (fd->kind) {
    case K_STR:
    case K_BYTES:
    case K_ID: {
        if (!json_is_string(v))
            return fail(d, at, "expected a string");
        const char *s = json_string_value(v);
        size_t n = json_string_length(v);
        if (fd->kind == K_STR) {
            if (n || presence)
                df_pb_put_bytes(w, num, s, n);
        } else if (fd->kind == K_BYTES) {
            if (put_base64(w, num, s, n, presence) < 0)
                return fail(d, at, "invalid base64");
        } else if (n) {
            uint8_t id[16];
            bool ok = n == 2u * fd->arg;
            for (size_t k = 0; ok && k < fd->arg; k++) {
                int hi = hexval(s[2 * k]), lo = hexval(s[2 * k + 1]);
                ok = hi >= 0 && lo >= 0;
                id[k] = (uint8_t)(ok ? hi << 4 | lo : 0);
            }
            if (!ok)
                return fail(d, at, "expected %u hex digits", 2u * fd->arg);
            df_pb_put_bytes(w, num, id, fd->arg);
        }
        return 0;
    }
    case K_BOOL:
        if (!json_is_boolean(v))
            return fail(d, at, "expected true or false");
        if (json_is_true(v) || presence)
            df_pb_put_varint(w, num, json_is_true(v));
        return 0;
    case K_ENUM:
        rc = get_enum(d, v, at, fd->arg, &i);
        if (rc == 0 && (i || presence))
            df_pb_put_varint(w, num, (uint64_t)i);
        return rc;
    case K_SINT32:
        rc = get_int(d, v, at, INT32_MIN, INT32_MAX, &i);
        if (rc == 0 && (i || presence))
            df_pb_put_sint(w, num, i);
        return rc;
    case K_INT64:
    case K_SFIXED64:
        rc = get_int(d, v, at, INT64_MIN, INT64_MAX, &i);
        if (rc == 0 && (i || presence)) {
            if (fd->kind == K_INT64)
                df_pb_put_varint(w, num, (uint64_t)i);
            else
                df_pb_put_fixed64(w, num, (uint64_t)i);
        }
        return rc;
    case K_UINT32:
    case K_FIXED32:
        rc = get_uint(d, v, at, UINT32_MAX, &u);
        if (rc == 0 && (u || presence)) {
            if (fd->kind == K_UINT32)
                df_pb_put_varint(w, num, u);
            else
                df_pb_put_fixed32(w, num, (uint32_t)u);
        }
        return rc;
    case K_UINT64:
    case K_FIXED64:
        rc = get_uint(d, v, at, UINT64_MAX, &u);
        if (rc == 0 && (u || presence)) {
            if (fd->kind == K_UINT64)
                df_pb_put_varint(w, num, u);
            else
                df_pb_put_fixed64(w, num, u);
        }
        return rc;
    case K_DOUBLE:
        rc = get_double(d, v, at, &x);
        /* Zero is the bit pattern 0: -0.0 is kept, as protobuf does. */
        if (rc == 0 && (double_bits(x) || presence))
            df_pb_put_fixed64(w, num, double_bits(x));
        return rc;
    default:
        return 0;
    }
}

static int enc_field(struct dec *d, const struct fdef *fd, uint32_t num, const json_t *v,
                     const struct seg *at, unsigned depth)
{
    struct df_pb_writer *w = d->w;
    int rc;
    if (!(fd->flags & F_REP)) {
        if (fd->kind != K_MSG)
            return enc_scalar(d, fd, num, v, at, fd->oneof || (fd->flags & F_OPT));
        size_t mark = df_pb_begin(w, num);
        rc = enc_msg(d, (enum df_otlp_msg)fd->arg, v, at, depth);
        df_pb_end(w, mark);
        return rc;
    }
    if (!json_is_array(v))
        return fail(d, at, "expected an array");
    size_t n = json_array_size(v);
    if (n == 0)
        return 0;
    bool packed = fd->kind != K_MSG && fd->kind != K_STR;
    size_t pmark = packed ? df_pb_begin(w, num) : 0;
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(v, i);
        struct seg s = {at, NULL, i};
        if (fd->kind == K_MSG) {
            size_t mark = df_pb_begin(w, num);
            rc = enc_msg(d, (enum df_otlp_msg)fd->arg, e, &s, depth);
            df_pb_end(w, mark);
        } else if (fd->kind == K_STR) {
            rc = json_is_string(e) ? 0 : fail(d, &s, "expected a string");
            if (rc == 0)
                df_pb_put_bytes(w, num, json_string_value(e), json_string_length(e));
        } else {
            rc = enc_packed(d, fd, e, &s);
        }
        if (rc < 0)
            return rc;
    }
    if (packed)
        df_pb_end(w, pmark);
    return 0;
}

/* Encodes the JSON object `obj` as the fields of message `m`. `depth` counts
 * the AnyValues around it. */
static int enc_msg(struct dec *d, enum df_otlp_msg m, const json_t *obj, const struct seg *at,
                   unsigned depth)
{
    if (m == M_ANY_VALUE && ++depth > DF_OTLP_MAX_DEPTH)
        return fail(d, at, "AnyValues nested more than %d deep", DF_OTLP_MAX_DEPTH);
    if (!json_is_object(obj))
        return fail(d, at, "expected an object");
    const char *seen[NGROUPS] = {0};
    for (uint32_t num = 1; num < DF_OTLP_NFIELDS; num++) {
        const struct fdef *fd = &schema[m][num];
        if (fd->kind == K_NONE)
            continue;
        const char *key = fd->camel;
        json_t *v = json_object_get(obj, fd->camel);
        if (strcmp(fd->camel, fd->snake) != 0) {
            json_t *sv = json_object_get(obj, fd->snake);
            if (v && sv) {
                struct seg s = {at, fd->snake, 0};
                return fail(d, &s, "given twice (also as %s)", fd->camel);
            }
            if (sv) {
                v = sv;
                key = fd->snake;
            }
        }
        if (!v || json_is_null(v))
            continue;
        struct seg s = {at, key, 0};
        if (fd->oneof) {
            if (seen[fd->oneof])
                return fail(d, &s, "only one of %s and %s may be set", seen[fd->oneof], key);
            seen[fd->oneof] = key;
        }
        int rc = enc_field(d, fd, num, v, &s, depth);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int df_otlp_json_to_pb(enum df_signal signal, const char *json, size_t len,
                       struct df_pb_writer *out, char *err, size_t errlen)
{
    if (errlen)
        err[0] = '\0';
    if ((unsigned)signal >= DF_SIGNAL_COUNT)
        return DF_EINVAL;
    if (out->err)
        return out->err;
    json_error_t je;
    json_t *root = json_loadb(json ? json : "", json ? len : 0, JSON_ALLOW_NUL, &je);
    if (!root) {
        if (json_error_code(&je) == json_error_out_of_memory)
            return DF_ENOMEM;
        if (errlen)
            snprintf(err, errlen, "line %d column %d: %s", je.line, je.column, je.text);
        return DF_EPARSE;
    }
    size_t start = out->len;
    struct dec d = {.w = out, .err = err, .errlen = errlen};
    int rc = enc_msg(&d, (enum df_otlp_msg)requests[signal], root, NULL, 0);
    json_decref(root);
    if (out->err)
        return out->err;
    if (rc < 0)
        out->len = start;
    return rc;
}

/* ======================================================================
 * protobuf -> JSON
 * ====================================================================== */

void df_jbuf_init(struct df_jbuf *b)
{
    *b = (struct df_jbuf){0};
}

void df_jbuf_free(struct df_jbuf *b)
{
    free(b->buf);
    *b = (struct df_jbuf){0};
}

static void jb_put(struct df_jbuf *b, const void *p, size_t n)
{
    if (b->err)
        return;
    if (n >= b->cap - b->len) { /* room for n bytes and the NUL */
        size_t cap = b->cap ? b->cap : 256;
        while (n >= cap - b->len) {
            if (cap > SIZE_MAX / 2) {
                b->err = DF_ENOMEM;
                return;
            }
            cap *= 2;
        }
        char *nb = realloc(b->buf, cap);
        if (!nb) {
            b->err = DF_ENOMEM;
            return;
        }
        b->buf = nb;
        b->cap = cap;
    }
    if (n)
        memcpy(b->buf + b->len, p, n);
    b->len += n;
    b->buf[b->len] = '\0';
}

static void jb_puts(struct df_jbuf *b, const char *s)
{
    jb_put(b, s, strlen(s));
}

static void jb_putc(struct df_jbuf *b, char c)
{
    jb_put(b, &c, 1);
}

static void jb_printf(struct df_jbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void jb_printf(struct df_jbuf *b, const char *fmt, ...)
{
    char tmp[64];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        jb_put(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* Length of the valid UTF-8 sequence at p (at most n bytes), 0 if invalid:
 * no overlong forms, surrogates or code points above U+10FFFF. */
static size_t utf8_seq(const uint8_t *p, size_t n)
{
    uint8_t c = p[0];
    size_t k;
    uint32_t cp;
    if (c >= 0xc2 && c <= 0xdf)
        k = 2, cp = c & 0x1f;
    else if (c >= 0xe0 && c <= 0xef)
        k = 3, cp = c & 0x0f;
    else if (c >= 0xf0 && c <= 0xf4)
        k = 4, cp = c & 0x07;
    else
        return 0;
    if (n < k)
        return 0;
    for (size_t j = 1; j < k; j++) {
        if ((p[j] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (p[j] & 0x3f);
    }
    if (k == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)))
        return 0;
    if (k == 4 && (cp < 0x10000 || cp > 0x10ffff))
        return 0;
    return k;
}

/* A JSON string: quotes, backslashes and control characters escaped, bytes
 * that do not start valid UTF-8 replaced by U+FFFD. */
static void jb_string(struct df_jbuf *b, const uint8_t *p, size_t n)
{
    jb_putc(b, '"');
    size_t run = 0; /* start of the bytes not yet written */
    for (size_t i = 0; i < n;) {
        uint8_t c = p[i];
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            i++;
            continue;
        }
        size_t k = c < 0x80 ? 1 : utf8_seq(p + i, n - i);
        if (k > 1) {
            i += k;
            continue;
        }
        jb_put(b, p + run, i - run);
        switch (c) {
        case '"':
            jb_puts(b, "\\\"");
            break;
        case '\\':
            jb_puts(b, "\\\\");
            break;
        case '\n':
            jb_puts(b, "\\n");
            break;
        case '\r':
            jb_puts(b, "\\r");
            break;
        case '\t':
            jb_puts(b, "\\t");
            break;
        case '\b':
            jb_puts(b, "\\b");
            break;
        case '\f':
            jb_puts(b, "\\f");
            break;
        default:
            if (c < 0x20)
                jb_printf(b, "\\u%04x", c);
            else
                jb_puts(b, "\xef\xbf\xbd"); /* U+FFFD */
        }
        run = ++i;
    }
    jb_put(b, p + run, n - run);
    jb_putc(b, '"');
}

static void jb_base64(struct df_jbuf *b, const uint8_t *p, size_t n)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    jb_putc(b, '"');
    for (size_t i = 0; i < n; i += 3) {
        uint32_t acc = (uint32_t)p[i] << 16;
        if (i + 1 < n)
            acc |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n)
            acc |= p[i + 2];
        char q[4] = {abc[acc >> 18], abc[acc >> 12 & 63], i + 1 < n ? abc[acc >> 6 & 63] : '=',
                     i + 2 < n ? abc[acc & 63] : '='};
        jb_put(b, q, 4);
    }
    jb_putc(b, '"');
}

/* The shortest of %.15g..%.17g that reads back exactly. -0 is written as
 * -0.0 so that JSON parsers keep it a double. */
static void jb_double(struct df_jbuf *b, double x)
{
    if (isnan(x)) {
        jb_puts(b, "\"NaN\"");
        return;
    }
    if (isinf(x)) {
        jb_puts(b, x < 0 ? "\"-Infinity\"" : "\"Infinity\"");
        return;
    }
    if (x == 0 && signbit(x)) {
        jb_puts(b, "-0.0");
        return;
    }
    char tmp[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, x);
        if (strtod(tmp, NULL) == x)
            break;
    }
    jb_puts(b, tmp);
}

static void jb_key(struct df_jbuf *b, bool *first, const char *name)
{
    if (!*first)
        jb_putc(b, ',');
    *first = false;
    jb_putc(b, '"');
    jb_puts(b, name);
    jb_puts(b, "\":");
}

static bool wire_ok(const struct fdef *fd, const struct df_pb_field *f)
{
    switch (fd->kind) {
    case K_STR:
    case K_BYTES:
    case K_ID:
    case K_MSG:
        return f->wtype == DF_PB_LEN;
    case K_FIXED32:
        return f->wtype == DF_PB_FIXED32;
    case K_FIXED64:
    case K_SFIXED64:
    case K_DOUBLE:
        if (fd->flags & F_REP)
            return f->wtype == DF_PB_FIXED64 || (f->wtype == DF_PB_LEN && f->len % 8 == 0);
        return f->wtype == DF_PB_FIXED64;
    default:
        if (fd->flags & F_REP)
            return f->wtype == DF_PB_VARINT || f->wtype == DF_PB_LEN;
        return f->wtype == DF_PB_VARINT;
    }
}

static int dump_msg(struct df_jbuf *o, enum df_otlp_msg m, const uint8_t *p, size_t n,
                    unsigned depth);

/* Message field `num` of [p, p+n), occurrences from `from` on, merged. */
static int dump_merged(struct df_jbuf *o, enum df_otlp_msg m, const uint8_t *p, size_t n,
                       uint32_t num, const uint8_t *from, unsigned depth)
{
    struct df_pb_reader r = df_pb_reader_make(from, (size_t)(p + n - from));
    struct df_pb_field f, one = {0};
    size_t count = 0, total = 0;
    while (df_pb_next(&r, &f) == 1) {
        if (f.num == num) {
            count++;
            total += f.len;
            one = f;
        }
    }
    if (count == 1)
        return dump_msg(o, m, one.data, one.len, depth);
    uint8_t *cat = malloc(total ? total : 1);
    if (!cat)
        return DF_ENOMEM;
    size_t at = 0;
    r = df_pb_reader_make(from, (size_t)(p + n - from));
    while (df_pb_next(&r, &f) == 1) {
        if (f.num == num && f.len) {
            memcpy(cat + at, f.data, f.len);
            at += f.len;
        }
    }
    int rc = dump_msg(o, m, cat, total, depth);
    free(cat);
    return rc;
}

/* Every element of repeated field `num` as a JSON array; nothing when there
 * are none. */
static int dump_repeated(struct df_jbuf *o, const struct fdef *fd, uint32_t num, const uint8_t *p,
                         size_t n, bool *first, unsigned depth)
{
    struct df_pb_reader r = df_pb_reader_make(p, n);
    struct df_pb_field f;
    bool open = false;
    int rc = 0;
    while (rc == 0 && df_pb_next(&r, &f) == 1) {
        if (f.num != num)
            continue;
        size_t nvals = 1;
        const uint8_t *q = f.data, *end = f.data ? f.data + f.len : NULL;
        if (f.wtype == DF_PB_LEN && fd->kind != K_MSG && fd->kind != K_STR)
            nvals = fd->kind == K_UINT64 ? SIZE_MAX : f.len / 8; /* packed */
        for (size_t i = 0; i < nvals; i++) {
            uint64_t v = f.u64;
            if (f.wtype == DF_PB_LEN && fd->kind == K_UINT64) {
                if (q == end)
                    break;
                if (df_pb_varint(&q, end, &v) < 0)
                    return DF_EPARSE;
            } else if (f.wtype == DF_PB_LEN && fd->kind != K_MSG && fd->kind != K_STR) {
                v = df_pb_load64(f.data + 8 * i);
            }
            if (open) {
                jb_putc(o, ',');
            } else {
                jb_key(o, first, fd->camel);
                jb_putc(o, '[');
                open = true;
            }
            if (fd->kind == K_MSG)
                rc = dump_msg(o, (enum df_otlp_msg)fd->arg, f.data, f.len, depth);
            else if (fd->kind == K_STR)
                jb_string(o, f.data, f.len);
            else if (fd->kind == K_DOUBLE)
                jb_double(o, df_pb_double(v));
            else
                jb_printf(o, "\"%" PRIu64 "\"", v);
        }
    }
    if (open)
        jb_putc(o, ']');
    return rc;
}

/* The singular scalar field whose last occurrence starts at `last`. */
static int dump_scalar(struct df_jbuf *o, const struct fdef *fd, const uint8_t *last,
                       const uint8_t *end, bool *first, bool presence)
{
    struct df_pb_reader r = df_pb_reader_make(last, (size_t)(end - last));
    struct df_pb_field f;
    if (df_pb_next(&r, &f) != 1)
        return DF_EPARSE;
    uint64_t v = f.u64;
    switch (fd->kind) {
    case K_STR:
    case K_BYTES:
        if (f.len || presence) {
            jb_key(o, first, fd->camel);
            if (fd->kind == K_STR)
                jb_string(o, f.data, f.len);
            else
                jb_base64(o, f.data, f.len);
        }
        break;
    case K_ID:
        if (f.len == 0)
            break;
        if (f.len != fd->arg)
            return DF_EPARSE;
        jb_key(o, first, fd->camel);
        char hex[2 * 16 + 2];
        hex[0] = hex[2 * f.len + 1] = '"';
        for (size_t i = 0; i < f.len; i++) {
            hex[1 + 2 * i] = "0123456789abcdef"[f.data[i] >> 4];
            hex[2 + 2 * i] = "0123456789abcdef"[f.data[i] & 15];
        }
        jb_put(o, hex, 2 * f.len + 2);
        break;
    case K_BOOL:
        if (v || presence) {
            jb_key(o, first, fd->camel);
            jb_puts(o, v ? "true" : "false");
        }
        break;
    case K_ENUM:
        if ((uint32_t)v || presence) {
            jb_key(o, first, fd->camel);
            jb_printf(o, "%" PRId32, (int32_t)(uint32_t)v);
        }
        break;
    case K_SINT32: {
        uint32_t u = (uint32_t)v;
        int32_t s = (int32_t)(u >> 1) ^ -(int32_t)(u & 1);
        if (s || presence) {
            jb_key(o, first, fd->camel);
            jb_printf(o, "%" PRId32, s);
        }
        break;
    }
    case K_UINT32:
    case K_FIXED32:
        if ((uint32_t)v || presence) {
            jb_key(o, first, fd->camel);
            jb_printf(o, "%" PRIu32, (uint32_t)v);
        }
        break;
    case K_INT64:
    case K_SFIXED64:
        if (v || presence) {
            jb_key(o, first, fd->camel);
            jb_printf(o, "\"%" PRId64 "\"", (int64_t)v);
        }
        break;
    case K_UINT64:
    case K_FIXED64:
        if (v || presence) {
            jb_key(o, first, fd->camel);
            jb_printf(o, "\"%" PRIu64 "\"", v);
        }
        break;
    case K_DOUBLE:
        if (v || presence) {
            jb_key(o, first, fd->camel);
            jb_double(o, df_pb_double(v));
        }
        break;
    default:
        break;
    }
    return 0;
}

/* Writes [p, p+n) as a JSON object of message `m`; `depth` counts the
 * AnyValues around it. */
static int dump_msg(struct df_jbuf *o, enum df_otlp_msg m, const uint8_t *p, size_t n,
                    unsigned depth)
{
    if (m == M_ANY_VALUE && ++depth > DF_OTLP_MAX_DEPTH)
        return DF_EPARSE;
    const uint8_t *last[DF_OTLP_NFIELDS] = {0}; /* last occurrence of each field */
    uint8_t winner[NGROUPS] = {0};              /* last oneof member seen */
    const uint8_t *run[NGROUPS] = {0};          /* where the winner's run began */
    struct df_pb_reader r = df_pb_reader_make(p, n);
    struct df_pb_field f;
    int rc;
    while ((rc = df_pb_next(&r, &f)) == 1) {
        if (f.num >= DF_OTLP_NFIELDS)
            continue;
        const struct fdef *fd = &schema[m][f.num];
        if (fd->kind == K_NONE)
            continue;
        if (!wire_ok(fd, &f))
            return DF_EPARSE;
        last[f.num] = f.start;
        if (fd->oneof && winner[fd->oneof] != f.num) {
            winner[fd->oneof] = (uint8_t)f.num;
            run[fd->oneof] = f.start;
        }
    }
    if (rc < 0)
        return rc;
    jb_putc(o, '{');
    bool first = true;
    for (uint32_t num = 1; num < DF_OTLP_NFIELDS && rc == 0; num++) {
        const struct fdef *fd = &schema[m][num];
        if (!last[num] || (fd->oneof && winner[fd->oneof] != num))
            continue;
        if (fd->flags & F_REP) {
            rc = dump_repeated(o, fd, num, p, n, &first, depth);
        } else if (fd->kind == K_MSG) {
            jb_key(o, &first, fd->camel);
            rc = dump_merged(o, (enum df_otlp_msg)fd->arg, p, n, num,
                             fd->oneof ? run[fd->oneof] : p, depth);
        } else {
            rc = dump_scalar(o, fd, last[num], p + n, &first, fd->oneof || (fd->flags & F_OPT));
        }
    }
    jb_putc(o, '}');
    return rc;
}

int df_otlp_pb_to_json(enum df_signal signal, const uint8_t *buf, size_t len, struct df_jbuf *out)
{
    if ((unsigned)signal >= DF_SIGNAL_COUNT)
        return DF_EINVAL;
    if (out->err)
        return out->err;
    uint64_t items;
    int rc = df_otlp_count(signal, buf, len, &items);
    if (rc < 0)
        return rc;
    size_t start = out->len;
    rc = dump_msg(out, (enum df_otlp_msg)requests[signal], buf, len, 0);
    if (out->err)
        return out->err;
    if (rc < 0) {
        out->len = start;
        if (out->buf)
            out->buf[start] = '\0';
    }
    return rc;
}
