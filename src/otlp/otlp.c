/* OTLP request validation, counting and splitting (otlp/otlp.h).
 *
 * The schema is a table: for each message, what each field number 1..16
 * must be (OTLP v1 uses no higher numbers; anything else is unknown and
 * skipped). One recursive walker checks a message against its row. The only
 * cycles in the schema go through AnyValue, whose depth is limited, so the
 * recursion is bounded. */
#include "otlp/otlp.h"

#include "df/error.h"
#include "otlp/schema.h"
#include "otlp/wire.h"

enum kind {
    UNKNOWN, /* not in the schema: skipped */
    VARINT,  /* int32/64, uint32/64, sint32, bool, enum */
    FIXED64, /* fixed64, sfixed64, double */
    FIXED32,
    LEN,            /* string, bytes */
    MSG,            /* nested message, checked against `msg` */
    PACKED_FIXED64, /* repeated fixed64/double: FIXED64 or packed LEN */
    PACKED_VARINT,  /* repeated uint64: VARINT or packed LEN */
};

struct rule {
    uint8_t kind;
    uint8_t msg;
};

#define V                                                                                          \
    {                                                                                              \
        VARINT, 0                                                                                  \
    }
#define F64                                                                                        \
    {                                                                                              \
        FIXED64, 0                                                                                 \
    }
#define F32                                                                                        \
    {                                                                                              \
        FIXED32, 0                                                                                 \
    }
#define S                                                                                          \
    {                                                                                              \
        LEN, 0                                                                                     \
    }
#define M(m)                                                                                       \
    {                                                                                              \
        MSG, m                                                                                     \
    }
#define P64                                                                                        \
    {                                                                                              \
        PACKED_FIXED64, 0                                                                          \
    }
#define PV                                                                                         \
    {                                                                                              \
        PACKED_VARINT, 0                                                                           \
    }
#define ATTRS    M(M_KEY_VALUE)
#define RESOURCE M(M_RESOURCE)
#define SCOPE    M(M_SCOPE)

static const struct rule schema[M_COUNT][DF_OTLP_NFIELDS] = {
    /* string_value, bool_value, int_value, double_value, array_value,
     * kvlist_value, bytes_value */
    [M_ANY_VALUE] =
        {[1] = S, [2] = V, [3] = V, [4] = F64, [5] = M(M_ARRAY_VALUE), [6] = M(M_KV_LIST), [7] = S},
    [M_ARRAY_VALUE] = {[1] = M(M_ANY_VALUE)},
    [M_KV_LIST] = {[1] = M(M_KEY_VALUE)},
    [M_KEY_VALUE] = {[1] = S, [2] = M(M_ANY_VALUE)},
    /* name, version, attributes, dropped_attributes_count */
    [M_SCOPE] = {[1] = S, [2] = S, [3] = ATTRS, [4] = V},
    /* attributes, dropped_attributes_count, entity_refs */
    [M_RESOURCE] = {[1] = ATTRS, [2] = V, [3] = M(M_ENTITY_REF)},
    /* schema_url, type, id_keys, description_keys */
    [M_ENTITY_REF] = {[1] = S, [2] = S, [3] = S, [4] = S},

    [M_LOGS_REQUEST] = {[1] = M(M_RESOURCE_LOGS)},
    [M_RESOURCE_LOGS] = {[1] = RESOURCE, [2] = M(M_SCOPE_LOGS), [3] = S},
    [M_SCOPE_LOGS] = {[1] = SCOPE, [2] = M(M_LOG_RECORD), [3] = S},
    /* time, severity_number, severity_text, (4 reserved), body, attributes,
     * dropped_attributes_count, flags, trace_id, span_id, observed_time,
     * event_name */
    [M_LOG_RECORD] = {[1] = F64,
                      [2] = V,
                      [3] = S,
                      [5] = M(M_ANY_VALUE),
                      [6] = ATTRS,
                      [7] = V,
                      [8] = F32,
                      [9] = S,
                      [10] = S,
                      [11] = F64,
                      [12] = S},

    [M_TRACES_REQUEST] = {[1] = M(M_RESOURCE_SPANS)},
    [M_RESOURCE_SPANS] = {[1] = RESOURCE, [2] = M(M_SCOPE_SPANS), [3] = S},
    [M_SCOPE_SPANS] = {[1] = SCOPE, [2] = M(M_SPAN), [3] = S},
    /* trace_id, span_id, trace_state, parent_span_id, name, kind, start, end,
     * attributes, dropped_attributes_count, events, dropped_events_count,
     * links, dropped_links_count, status, flags */
    [M_SPAN] = {[1] = S,
                [2] = S,
                [3] = S,
                [4] = S,
                [5] = S,
                [6] = V,
                [7] = F64,
                [8] = F64,
                [9] = ATTRS,
                [10] = V,
                [11] = M(M_EVENT),
                [12] = V,
                [13] = M(M_LINK),
                [14] = V,
                [15] = M(M_STATUS),
                [16] = F32},
    /* time, name, attributes, dropped_attributes_count */
    [M_EVENT] = {[1] = F64, [2] = S, [3] = ATTRS, [4] = V},
    /* trace_id, span_id, trace_state, attributes, dropped_attributes_count,
     * flags */
    [M_LINK] = {[1] = S, [2] = S, [3] = S, [4] = ATTRS, [5] = V, [6] = F32},
    /* (1 reserved), message, code */
    [M_STATUS] = {[2] = S, [3] = V},

    [M_METRICS_REQUEST] = {[1] = M(M_RESOURCE_METRICS)},
    [M_RESOURCE_METRICS] = {[1] = RESOURCE, [2] = M(M_SCOPE_METRICS), [3] = S},
    [M_SCOPE_METRICS] = {[1] = SCOPE, [2] = M(M_METRIC), [3] = S},
    /* name, description, unit, gauge, sum, histogram, exponential_histogram,
     * summary, metadata */
    [M_METRIC] = {[1] = S,
                  [2] = S,
                  [3] = S,
                  [5] = M(M_GAUGE),
                  [7] = M(M_SUM),
                  [9] = M(M_HISTOGRAM),
                  [10] = M(M_EXP_HISTOGRAM),
                  [11] = M(M_SUMMARY),
                  [12] = ATTRS},
    /* data_points, aggregation_temporality, is_monotonic */
    [M_GAUGE] = {[1] = M(M_NUMBER_POINT)},
    [M_SUM] = {[1] = M(M_NUMBER_POINT), [2] = V, [3] = V},
    [M_HISTOGRAM] = {[1] = M(M_HISTOGRAM_POINT), [2] = V},
    [M_EXP_HISTOGRAM] = {[1] = M(M_EXP_HISTOGRAM_POINT), [2] = V},
    [M_SUMMARY] = {[1] = M(M_SUMMARY_POINT)},
    /* start, time, as_double, exemplars, as_int, attributes, flags */
    [M_NUMBER_POINT] =
        {[2] = F64, [3] = F64, [4] = F64, [5] = M(M_EXEMPLAR), [6] = F64, [7] = ATTRS, [8] = V},
    /* start, time, count, sum, bucket_counts, explicit_bounds, exemplars,
     * attributes, flags, min, max */
    [M_HISTOGRAM_POINT] = {[2] = F64,
                           [3] = F64,
                           [4] = F64,
                           [5] = F64,
                           [6] = P64,
                           [7] = P64,
                           [8] = M(M_EXEMPLAR),
                           [9] = ATTRS,
                           [10] = V,
                           [11] = F64,
                           [12] = F64},
    /* attributes, start, time, count, sum, scale, zero_count, positive,
     * negative, flags, exemplars, min, max, zero_threshold */
    [M_EXP_HISTOGRAM_POINT] = {[1] = ATTRS,
                               [2] = F64,
                               [3] = F64,
                               [4] = F64,
                               [5] = F64,
                               [6] = V,
                               [7] = F64,
                               [8] = M(M_BUCKETS),
                               [9] = M(M_BUCKETS),
                               [10] = V,
                               [11] = M(M_EXEMPLAR),
                               [12] = F64,
                               [13] = F64,
                               [14] = F64},
    /* offset, bucket_counts */
    [M_BUCKETS] = {[1] = V, [2] = PV},
    /* start, time, count, sum, quantile_values, attributes, flags */
    [M_SUMMARY_POINT] =
        {[2] = F64, [3] = F64, [4] = F64, [5] = F64, [6] = M(M_QUANTILE), [7] = ATTRS, [8] = V},
    /* quantile, value */
    [M_QUANTILE] = {[1] = F64, [2] = F64},
    /* time, as_double, span_id, trace_id, as_int, filtered_attributes */
    [M_EXEMPLAR] = {[2] = F64, [3] = F64, [4] = S, [5] = S, [6] = F64, [7] = ATTRS},
};

static const uint8_t requests[DF_SIGNAL_COUNT] = {
    [DF_SIGNAL_LOGS] = M_RESOURCE_LOGS,
    [DF_SIGNAL_METRICS] = M_RESOURCE_METRICS,
    [DF_SIGNAL_TRACES] = M_RESOURCE_SPANS,
};

static int packed_varints(const uint8_t *p, size_t len)
{
    const uint8_t *end = p + len;
    uint64_t v;
    while (p < end) {
        if (df_pb_varint(&p, end, &v) < 0)
            return DF_EPARSE;
    }
    return 0;
}

static void tally(struct df_otlp_stats *st, enum df_otlp_msg m)
{
    switch (m) {
    case M_RESOURCE_LOGS:
    case M_RESOURCE_SPANS:
    case M_RESOURCE_METRICS:
        st->resources++;
        break;
    case M_SCOPE_LOGS:
    case M_SCOPE_SPANS:
    case M_SCOPE_METRICS:
        st->scopes++;
        break;
    case M_METRIC:
        st->metrics++;
        break;
    case M_LOG_RECORD:
    case M_SPAN:
    case M_NUMBER_POINT:
    case M_HISTOGRAM_POINT:
    case M_EXP_HISTOGRAM_POINT:
    case M_SUMMARY_POINT:
        st->items++;
        break;
    default:
        break;
    }
}

/* Checks `len` bytes at `p` as message `m`; `depth` is the number of
 * AnyValues enclosing it, including itself. */
static int check(struct df_otlp_stats *st, enum df_otlp_msg m, const uint8_t *p, size_t len,
                 unsigned depth)
{
    if (m == M_ANY_VALUE && ++depth > DF_OTLP_MAX_DEPTH)
        return DF_EPARSE;
    tally(st, m);
    struct df_pb_reader r = df_pb_reader_make(p, len);
    struct df_pb_field f;
    int rc;
    while ((rc = df_pb_next(&r, &f)) == 1) {
        if (f.num >= DF_OTLP_NFIELDS)
            continue;
        const struct rule *ru = &schema[m][f.num];
        switch (ru->kind) {
        case UNKNOWN:
            break;
        case VARINT:
            if (f.wtype != DF_PB_VARINT)
                return DF_EPARSE;
            break;
        case FIXED64:
            if (f.wtype != DF_PB_FIXED64)
                return DF_EPARSE;
            break;
        case FIXED32:
            if (f.wtype != DF_PB_FIXED32)
                return DF_EPARSE;
            break;
        case LEN:
            if (f.wtype != DF_PB_LEN)
                return DF_EPARSE;
            break;
        case MSG:
            if (f.wtype != DF_PB_LEN)
                return DF_EPARSE;
            rc = check(st, (enum df_otlp_msg)ru->msg, f.data, f.len, depth);
            if (rc < 0)
                return rc;
            break;
        case PACKED_FIXED64:
            if (f.wtype != DF_PB_FIXED64 && (f.wtype != DF_PB_LEN || f.len % 8 != 0))
                return DF_EPARSE;
            break;
        case PACKED_VARINT:
            if (f.wtype != DF_PB_VARINT &&
                (f.wtype != DF_PB_LEN || packed_varints(f.data, f.len) < 0))
                return DF_EPARSE;
            break;
        }
    }
    return rc;
}

/* Walks the top level of a request: calls `part` for each field 1 after
 * checking it. */
static int walk(enum df_signal signal, const uint8_t *buf, size_t len, struct df_otlp_stats *st,
                struct df_otlp_part *parts, size_t max, size_t *n)
{
    *st = (struct df_otlp_stats){0};
    if ((unsigned)signal >= DF_SIGNAL_COUNT)
        return DF_EINVAL;
    enum df_otlp_msg child = (enum df_otlp_msg)requests[signal];
    struct df_pb_reader r = df_pb_reader_make(buf, len);
    struct df_pb_field f;
    size_t count = 0;
    int rc;
    while ((rc = df_pb_next(&r, &f)) == 1) {
        if (f.num != 1)
            continue;
        if (f.wtype != DF_PB_LEN)
            return DF_EPARSE;
        uint64_t before = st->items;
        rc = check(st, child, f.data, f.len, 0);
        if (rc < 0)
            return rc;
        if (count < max)
            parts[count] = (struct df_otlp_part){.off = (size_t)(f.start - buf),
                                                 .len = (size_t)(f.next - f.start),
                                                 .items = st->items - before};
        count++;
    }
    if (rc < 0)
        return rc;
    if (n)
        *n = count;
    return count > max && n ? DF_ERANGE : 0;
}

int df_otlp_stats(enum df_signal signal, const uint8_t *buf, size_t len,
                  struct df_otlp_stats *stats)
{
    return walk(signal, buf, len, stats, NULL, 0, NULL);
}

int df_otlp_count(enum df_signal signal, const uint8_t *buf, size_t len, uint64_t *items)
{
    struct df_otlp_stats st;
    int rc = walk(signal, buf, len, &st, NULL, 0, NULL);
    if (rc == 0)
        *items = st.items;
    return rc;
}

int df_otlp_parts(enum df_signal signal, const uint8_t *buf, size_t len, struct df_otlp_part *parts,
                  size_t max, size_t *n)
{
    struct df_otlp_stats st;
    return walk(signal, buf, len, &st, parts, max, n);
}
