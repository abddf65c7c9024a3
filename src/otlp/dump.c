/* Human-readable OTLP (otlp/dump.h).
 *
 * The request is validated first (df_otlp_stats) for the summary line and
 * the result; printing then reads it again defensively, skipping fields of
 * the wrong wire type and stopping a message at the first framing error, so
 * a malformed request prints as much as can be read. The detailed level is a
 * table-driven walk over every field; the normal level picks fields with
 * `collect` and prints one line per record. */
#include "otlp/dump.h"

#include <inttypes.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "df/error.h"
#include "otlp/otlp.h"
#include "otlp/wire.h"

#define NFIELDS 17 /* OTLP v1 field numbers are 1..16 */

/* ---- values ----------------------------------------------------------- */

static void put_time(FILE *out, uint64_t ns)
{
    time_t secs = (time_t)(ns / 1000000000u);
    struct tm tm;
    if (!gmtime_r(&secs, &tm)) {
        fprintf(out, "%" PRIu64 "ns", ns);
        return;
    }
    fprintf(out, "%04d-%02d-%02dT%02d:%02d:%02d.%09uZ", tm.tm_year + 1900, tm.tm_mon + 1,
            tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (unsigned)(ns % 1000000000u));
}

static void put_hex(FILE *out, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fprintf(out, "%02x", p[i]);
}

/* Raw text with C escapes for quotes, backslashes and control bytes (bytes
 * from 0x80 pass through: UTF-8 stays readable). */
static void put_text(FILE *out, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        switch (c) {
        case '"':
            fputs("\\\"", out);
            break;
        case '\\':
            fputs("\\\\", out);
            break;
        case '\n':
            fputs("\\n", out);
            break;
        case '\r':
            fputs("\\r", out);
            break;
        case '\t':
            fputs("\\t", out);
            break;
        default:
            if (c < 0x20 || c == 0x7f)
                fprintf(out, "\\x%02x", c);
            else
                fputc(c, out);
        }
    }
}

static void put_quoted(FILE *out, const uint8_t *p, size_t n)
{
    fputc('"', out);
    put_text(out, p, n);
    fputc('"', out);
}

static void put_double(FILE *out, uint64_t bits)
{
    fprintf(out, "%.15g", df_pb_double(bits));
}

static int put_kv(FILE *out, const uint8_t *p, size_t n, unsigned depth);

/* An AnyValue; `depth` counts the AnyValues around it. The last value field
 * wins, as in protobuf; an empty AnyValue prints as null. */
static int put_any(FILE *out, const uint8_t *p, size_t n, unsigned depth)
{
    if (++depth > DF_OTLP_MAX_DEPTH) {
        fputs("...", out);
        return DF_EPARSE;
    }
    struct df_pb_reader r = df_pb_reader_make(p, n);
    struct df_pb_field f, v = {0};
    int rc;
    while ((rc = df_pb_next(&r, &f)) == 1) {
        if (f.num >= 1 && f.num <= 7)
            v = f;
    }
    int wt = v.num == 2 || v.num == 3 ? DF_PB_VARINT : v.num == 4 ? DF_PB_FIXED64 : DF_PB_LEN;
    if (v.num == 0 || v.wtype != wt) {
        fputs(v.num ? "<bad wire type>" : "null", out);
        return rc < 0 || v.num ? DF_EPARSE : 0;
    }
    switch (v.num) {
    case 1:
        put_quoted(out, v.data, v.len);
        break;
    case 2:
        fputs(v.u64 ? "true" : "false", out);
        break;
    case 3:
        fprintf(out, "%" PRId64, (int64_t)v.u64);
        break;
    case 4:
        put_double(out, v.u64);
        break;
    case 5:
    case 6: {
        bool list = v.num == 5;
        struct df_pb_reader e = df_pb_reader_make(v.data, v.len);
        int erc;
        unsigned i = 0;
        fputc(list ? '[' : '{', out);
        while ((erc = df_pb_next(&e, &f)) == 1) {
            if (f.num != 1 || f.wtype != DF_PB_LEN)
                continue;
            fputs(i++ ? ", " : "", out);
            erc = list ? put_any(out, f.data, f.len, depth) : put_kv(out, f.data, f.len, depth);
            if (erc < 0)
                break;
        }
        fputc(list ? ']' : '}', out);
        if (erc < 0)
            return erc;
        break;
    }
    default:
        fputs("0x", out);
        put_hex(out, v.data, v.len);
        break;
    }
    return rc;
}

/* A KeyValue as `key = value`. */
static int put_kv(FILE *out, const uint8_t *p, size_t n, unsigned depth)
{
    struct df_pb_reader r = df_pb_reader_make(p, n);
    struct df_pb_field f, key = {0}, val = {0};
    int rc;
    while ((rc = df_pb_next(&r, &f)) == 1) {
        if (f.wtype == DF_PB_LEN && f.num == 1)
            key = f;
        else if (f.wtype == DF_PB_LEN && f.num == 2)
            val = f;
    }
    put_text(out, key.data, key.len);
    fputs(" = ", out);
    int vrc = val.num ? put_any(out, val.data, val.len, depth) : (fputs("null", out), 0);
    return rc < 0 ? rc : vrc;
}

/* The repeated KeyValue field `num` of a message, as ` {k = v, ...}` (nothing
 * when there are none). */
static int put_attrs(FILE *out, const uint8_t *p, size_t n, uint32_t num)
{
    struct df_pb_reader r = df_pb_reader_make(p, n);
    struct df_pb_field f;
    int rc, krc = 0;
    unsigned i = 0;
    while ((rc = df_pb_next(&r, &f)) == 1) {
        if (f.num != num || f.wtype != DF_PB_LEN)
            continue;
        fputs(i++ ? ", " : " {", out);
        krc = put_kv(out, f.data, f.len, 0);
        if (krc < 0)
            break;
    }
    if (i)
        fputc('}', out);
    return rc < 0 ? rc : krc;
}

/* ---- detailed: every field, from a table ------------------------------ */

enum fmt {
    X_NONE,
    X_TIME,     /* fixed64 ns since the epoch */
    X_FIXED,    /* fixed64 unsigned */
    X_SFIXED,   /* sfixed64 */
    X_DOUBLE,   /* double */
    X_FLAGS32,  /* fixed32 in hex */
    X_UINT,     /* varint unsigned */
    X_INT,      /* varint signed (int32/int64) */
    X_SINT,     /* varint zigzag */
    X_BOOL,     /* varint */
    X_FLAGS,    /* varint in hex */
    X_SEVERITY, /* enums, varint */
    X_KIND,
    X_CODE,
    X_TEMPORALITY,
    X_STR,           /* string, quoted */
    X_ID,            /* bytes in hex */
    X_ANY,           /* AnyValue inline */
    X_KV,            /* KeyValue inline */
    X_MSG,           /* singular message: a block */
    X_MSGS,          /* repeated message: numbered blocks */
    X_PACKED_FIXED,  /* repeated fixed64 */
    X_PACKED_DOUBLE, /* repeated double */
    X_PACKED_UINT,   /* repeated uint64 */
};

enum dmsg {
    D_NONE,
    D_LOGS,
    D_METRICS,
    D_TRACES,
    D_RESOURCE_LOGS,
    D_RESOURCE_METRICS,
    D_RESOURCE_SPANS,
    D_RESOURCE,
    D_ENTITY_REF,
    D_SCOPE,
    D_SCOPE_LOGS,
    D_SCOPE_METRICS,
    D_SCOPE_SPANS,
    D_LOG_RECORD,
    D_SPAN,
    D_EVENT,
    D_LINK,
    D_STATUS,
    D_METRIC,
    D_GAUGE,
    D_SUM,
    D_HISTOGRAM,
    D_EXP_HISTOGRAM,
    D_SUMMARY,
    D_NUMBER_POINT,
    D_HISTOGRAM_POINT,
    D_EXP_HISTOGRAM_POINT,
    D_BUCKETS,
    D_SUMMARY_POINT,
    D_QUANTILE,
    D_EXEMPLAR,
    D_COUNT
};

struct fdesc {
    const char *name;
    uint8_t fmt;
    uint8_t msg;
};

#define ATTR                                                                                       \
    {                                                                                              \
        "attribute", X_KV, 0                                                                       \
    }
#define DROPPED                                                                                    \
    {                                                                                              \
        "dropped_attributes_count", X_UINT, 0                                                      \
    }

static const struct fdesc fields[D_COUNT][NFIELDS] = {
    [D_LOGS] = {[1] = {"resource_logs", X_MSGS, D_RESOURCE_LOGS}},
    [D_METRICS] = {[1] = {"resource_metrics", X_MSGS, D_RESOURCE_METRICS}},
    [D_TRACES] = {[1] = {"resource_spans", X_MSGS, D_RESOURCE_SPANS}},
    [D_RESOURCE_LOGS] = {[1] = {"resource", X_MSG, D_RESOURCE},
                         [2] = {"scope_logs", X_MSGS, D_SCOPE_LOGS},
                         [3] = {"schema_url", X_STR, 0}},
    [D_RESOURCE_METRICS] = {[1] = {"resource", X_MSG, D_RESOURCE},
                            [2] = {"scope_metrics", X_MSGS, D_SCOPE_METRICS},
                            [3] = {"schema_url", X_STR, 0}},
    [D_RESOURCE_SPANS] = {[1] = {"resource", X_MSG, D_RESOURCE},
                          [2] = {"scope_spans", X_MSGS, D_SCOPE_SPANS},
                          [3] = {"schema_url", X_STR, 0}},
    [D_RESOURCE] = {[1] = ATTR, [2] = DROPPED, [3] = {"entity_ref", X_MSGS, D_ENTITY_REF}},
    [D_ENTITY_REF] = {[1] = {"schema_url", X_STR, 0},
                      [2] = {"type", X_STR, 0},
                      [3] = {"id_key", X_STR, 0},
                      [4] = {"description_key", X_STR, 0}},
    [D_SCOPE] = {[1] = {"name", X_STR, 0}, [2] = {"version", X_STR, 0}, [3] = ATTR, [4] = DROPPED},
    [D_SCOPE_LOGS] = {[1] = {"scope", X_MSG, D_SCOPE},
                      [2] = {"log_record", X_MSGS, D_LOG_RECORD},
                      [3] = {"schema_url", X_STR, 0}},
    [D_SCOPE_METRICS] = {[1] = {"scope", X_MSG, D_SCOPE},
                         [2] = {"metric", X_MSGS, D_METRIC},
                         [3] = {"schema_url", X_STR, 0}},
    [D_SCOPE_SPANS] = {[1] = {"scope", X_MSG, D_SCOPE},
                       [2] = {"span", X_MSGS, D_SPAN},
                       [3] = {"schema_url", X_STR, 0}},
    [D_LOG_RECORD] = {[1] = {"time", X_TIME, 0},
                      [2] = {"severity_number", X_SEVERITY, 0},
                      [3] = {"severity_text", X_STR, 0},
                      [5] = {"body", X_ANY, 0},
                      [6] = ATTR,
                      [7] = DROPPED,
                      [8] = {"flags", X_FLAGS32, 0},
                      [9] = {"trace_id", X_ID, 0},
                      [10] = {"span_id", X_ID, 0},
                      [11] = {"observed_time", X_TIME, 0},
                      [12] = {"event_name", X_STR, 0}},
    [D_SPAN] = {[1] = {"trace_id", X_ID, 0},
                [2] = {"span_id", X_ID, 0},
                [3] = {"trace_state", X_STR, 0},
                [4] = {"parent_span_id", X_ID, 0},
                [5] = {"name", X_STR, 0},
                [6] = {"kind", X_KIND, 0},
                [7] = {"start_time", X_TIME, 0},
                [8] = {"end_time", X_TIME, 0},
                [9] = ATTR,
                [10] = DROPPED,
                [11] = {"event", X_MSGS, D_EVENT},
                [12] = {"dropped_events_count", X_UINT, 0},
                [13] = {"link", X_MSGS, D_LINK},
                [14] = {"dropped_links_count", X_UINT, 0},
                [15] = {"status", X_MSG, D_STATUS},
                [16] = {"flags", X_FLAGS32, 0}},
    [D_EVENT] = {[1] = {"time", X_TIME, 0}, [2] = {"name", X_STR, 0}, [3] = ATTR, [4] = DROPPED},
    [D_LINK] = {[1] = {"trace_id", X_ID, 0},
                [2] = {"span_id", X_ID, 0},
                [3] = {"trace_state", X_STR, 0},
                [4] = ATTR,
                [5] = DROPPED,
                [6] = {"flags", X_FLAGS32, 0}},
    [D_STATUS] = {[2] = {"message", X_STR, 0}, [3] = {"code", X_CODE, 0}},
    [D_METRIC] = {[1] = {"name", X_STR, 0},
                  [2] = {"description", X_STR, 0},
                  [3] = {"unit", X_STR, 0},
                  [5] = {"gauge", X_MSG, D_GAUGE},
                  [7] = {"sum", X_MSG, D_SUM},
                  [9] = {"histogram", X_MSG, D_HISTOGRAM},
                  [10] = {"exponential_histogram", X_MSG, D_EXP_HISTOGRAM},
                  [11] = {"summary", X_MSG, D_SUMMARY},
                  [12] = {"metadata", X_KV, 0}},
    [D_GAUGE] = {[1] = {"data_point", X_MSGS, D_NUMBER_POINT}},
    [D_SUM] = {[1] = {"data_point", X_MSGS, D_NUMBER_POINT},
               [2] = {"aggregation_temporality", X_TEMPORALITY, 0},
               [3] = {"is_monotonic", X_BOOL, 0}},
    [D_HISTOGRAM] = {[1] = {"data_point", X_MSGS, D_HISTOGRAM_POINT},
                     [2] = {"aggregation_temporality", X_TEMPORALITY, 0}},
    [D_EXP_HISTOGRAM] = {[1] = {"data_point", X_MSGS, D_EXP_HISTOGRAM_POINT},
                         [2] = {"aggregation_temporality", X_TEMPORALITY, 0}},
    [D_SUMMARY] = {[1] = {"data_point", X_MSGS, D_SUMMARY_POINT}},
    [D_NUMBER_POINT] = {[2] = {"start_time", X_TIME, 0},
                        [3] = {"time", X_TIME, 0},
                        [4] = {"as_double", X_DOUBLE, 0},
                        [5] = {"exemplar", X_MSGS, D_EXEMPLAR},
                        [6] = {"as_int", X_SFIXED, 0},
                        [7] = ATTR,
                        [8] = {"flags", X_FLAGS, 0}},
    [D_HISTOGRAM_POINT] = {[2] = {"start_time", X_TIME, 0},
                           [3] = {"time", X_TIME, 0},
                           [4] = {"count", X_FIXED, 0},
                           [5] = {"sum", X_DOUBLE, 0},
                           [6] = {"bucket_counts", X_PACKED_FIXED, 0},
                           [7] = {"explicit_bounds", X_PACKED_DOUBLE, 0},
                           [8] = {"exemplar", X_MSGS, D_EXEMPLAR},
                           [9] = ATTR,
                           [10] = {"flags", X_FLAGS, 0},
                           [11] = {"min", X_DOUBLE, 0},
                           [12] = {"max", X_DOUBLE, 0}},
    [D_EXP_HISTOGRAM_POINT] = {[1] = ATTR,
                               [2] = {"start_time", X_TIME, 0},
                               [3] = {"time", X_TIME, 0},
                               [4] = {"count", X_FIXED, 0},
                               [5] = {"sum", X_DOUBLE, 0},
                               [6] = {"scale", X_SINT, 0},
                               [7] = {"zero_count", X_FIXED, 0},
                               [8] = {"positive", X_MSG, D_BUCKETS},
                               [9] = {"negative", X_MSG, D_BUCKETS},
                               [10] = {"flags", X_FLAGS, 0},
                               [11] = {"exemplar", X_MSGS, D_EXEMPLAR},
                               [12] = {"min", X_DOUBLE, 0},
                               [13] = {"max", X_DOUBLE, 0},
                               [14] = {"zero_threshold", X_DOUBLE, 0}},
    [D_BUCKETS] = {[1] = {"offset", X_SINT, 0}, [2] = {"bucket_counts", X_PACKED_UINT, 0}},
    [D_SUMMARY_POINT] = {[2] = {"start_time", X_TIME, 0},
                         [3] = {"time", X_TIME, 0},
                         [4] = {"count", X_FIXED, 0},
                         [5] = {"sum", X_DOUBLE, 0},
                         [6] = {"quantile_value", X_MSGS, D_QUANTILE},
                         [7] = ATTR,
                         [8] = {"flags", X_FLAGS, 0}},
    [D_QUANTILE] = {[1] = {"quantile", X_DOUBLE, 0}, [2] = {"value", X_DOUBLE, 0}},
    [D_EXEMPLAR] = {[2] = {"time", X_TIME, 0},
                    [3] = {"as_double", X_DOUBLE, 0},
                    [4] = {"span_id", X_ID, 0},
                    [5] = {"trace_id", X_ID, 0},
                    [6] = {"as_int", X_SFIXED, 0},
                    [7] = {"filtered_attribute", X_KV, 0}},
};

static const char *const severities[] = {
    "UNSPECIFIED", "TRACE",  "TRACE2", "TRACE3", "TRACE4", "DEBUG",  "DEBUG2", "DEBUG3", "DEBUG4",
    "INFO",        "INFO2",  "INFO3",  "INFO4",  "WARN",   "WARN2",  "WARN3",  "WARN4",  "ERROR",
    "ERROR2",      "ERROR3", "ERROR4", "FATAL",  "FATAL2", "FATAL3", "FATAL4",
};
static const char *const kinds[] = {"UNSPECIFIED", "INTERNAL", "SERVER",
                                    "CLIENT",      "PRODUCER", "CONSUMER"};
static const char *const codes[] = {"UNSET", "OK", "ERROR"};
static const char *const temporalities[] = {"UNSPECIFIED", "DELTA", "CUMULATIVE"};

#define NAME_OF(table, v) ((v) < sizeof table / sizeof *table ? table[v] : "?")

static int wire_of(enum fmt x)
{
    switch (x) {
    case X_TIME:
    case X_FIXED:
    case X_SFIXED:
    case X_DOUBLE:
        return DF_PB_FIXED64;
    case X_FLAGS32:
        return DF_PB_FIXED32;
    case X_UINT:
    case X_INT:
    case X_SINT:
    case X_BOOL:
    case X_FLAGS:
    case X_SEVERITY:
    case X_KIND:
    case X_CODE:
    case X_TEMPORALITY:
        return DF_PB_VARINT;
    default:
        return DF_PB_LEN;
    }
}

/* An enum value: its name when known, the number otherwise. */
static void put_enum(FILE *out, const char *const *names, size_t n, uint64_t v)
{
    if (v < n)
        fprintf(out, "%s", names[v]);
    else
        fprintf(out, "%" PRIu64, v);
}

/* Elements of a packed or unpacked repeated field as a list. */
static int put_packed(FILE *out, enum fmt x, const struct df_pb_field *f)
{
    fputc('[', out);
    if (f->wtype != DF_PB_LEN) { /* one unpacked element */
        if (x == X_PACKED_DOUBLE)
            put_double(out, f->u64);
        else
            fprintf(out, "%" PRIu64, f->u64);
        fputc(']', out);
        return 0;
    }
    const uint8_t *p = f->data, *end = f->data + f->len;
    int rc = 0;
    for (unsigned i = 0; p < end; i++) {
        uint64_t v;
        if (x == X_PACKED_UINT) {
            rc = df_pb_varint(&p, end, &v);
            if (rc < 0)
                break;
        } else {
            if (end - p < 8) {
                rc = DF_EPARSE;
                break;
            }
            v = df_pb_load64(p);
            p += 8;
        }
        fputs(i ? ", " : "", out);
        if (x == X_PACKED_DOUBLE)
            put_double(out, v);
        else
            fprintf(out, "%" PRIu64, v);
    }
    fputc(']', out);
    return rc;
}

static int put_scalar(FILE *out, enum fmt x, const struct df_pb_field *f)
{
    switch (x) {
    case X_TIME:
        put_time(out, f->u64);
        break;
    case X_FIXED:
    case X_UINT:
        fprintf(out, "%" PRIu64, f->u64);
        break;
    case X_SFIXED:
    case X_INT:
        fprintf(out, "%" PRId64, (int64_t)f->u64);
        break;
    case X_SINT:
        fprintf(out, "%" PRId64, df_pb_zigzag(f->u64));
        break;
    case X_DOUBLE:
        put_double(out, f->u64);
        break;
    case X_FLAGS32:
        fprintf(out, "0x%08" PRIx64, f->u64);
        break;
    case X_FLAGS:
        fprintf(out, "0x%" PRIx64, f->u64);
        break;
    case X_BOOL:
        fputs(f->u64 ? "true" : "false", out);
        break;
    case X_SEVERITY:
        fprintf(out, "%" PRIu64 " (%s)", f->u64, NAME_OF(severities, f->u64));
        break;
    case X_KIND:
        put_enum(out, kinds, sizeof kinds / sizeof *kinds, f->u64);
        break;
    case X_CODE:
        put_enum(out, codes, sizeof codes / sizeof *codes, f->u64);
        break;
    case X_TEMPORALITY:
        put_enum(out, temporalities, sizeof temporalities / sizeof *temporalities, f->u64);
        break;
    case X_STR:
        put_quoted(out, f->data, f->len);
        break;
    case X_ID:
        put_hex(out, f->data, f->len);
        break;
    case X_ANY:
        return put_any(out, f->data, f->len, 0);
    case X_KV:
        return put_kv(out, f->data, f->len, 0);
    default:
        return put_packed(out, x, f);
    }
    return 0;
}

static void indent(FILE *out, int n)
{
    fprintf(out, "%*s", 2 * n, "");
}

/* Every field of message `m`, one per line at nesting `level`. The schema
 * has no cycles outside AnyValue, so the recursion is bounded. */
static int detail(FILE *out, enum dmsg m, const uint8_t *p, size_t len, int level)
{
    unsigned seen[NFIELDS] = {0};
    struct df_pb_reader r = df_pb_reader_make(p, len);
    struct df_pb_field f;
    int rc, bad = 0;
    while ((rc = df_pb_next(&r, &f)) == 1) {
        const struct fdesc *d = f.num < NFIELDS ? &fields[m][f.num] : NULL;
        indent(out, level);
        if (!d || !d->name) {
            fprintf(out, "unknown field %" PRIu32 " (wire type %u)\n", f.num, f.wtype);
            continue;
        }
        enum fmt x = (enum fmt)d->fmt;
        bool packed = x == X_PACKED_FIXED || x == X_PACKED_DOUBLE || x == X_PACKED_UINT;
        bool ok = f.wtype == wire_of(x) ||
                  (packed && f.wtype == (x == X_PACKED_UINT ? DF_PB_VARINT : DF_PB_FIXED64));
        if (!ok) {
            fprintf(out, "%s: <wire type %u, expected %d>\n", d->name, f.wtype, wire_of(x));
            bad = DF_EPARSE;
            continue;
        }
        if (x == X_MSG || x == X_MSGS) {
            if (x == X_MSGS)
                fprintf(out, "%s #%u\n", d->name, seen[f.num]++);
            else
                fprintf(out, "%s\n", d->name);
            int crc = detail(out, (enum dmsg)d->msg, f.data, f.len, level + 1);
            if (crc < 0)
                bad = crc;
            continue;
        }
        fprintf(out, "%s: ", d->name);
        int vrc = put_scalar(out, x, &f);
        fputc('\n', out);
        if (vrc < 0)
            bad = vrc;
    }
    if (rc < 0) {
        indent(out, level);
        fputs("<malformed>\n", out);
        return rc;
    }
    return bad;
}

/* ---- normal: a line per resource, scope and record --------------------- */

/* The last occurrence of each field 1..16 of a message, whatever its wire
 * type (accessors check it). Returns 0 or DF_EPARSE (fields read up to the
 * error are kept). */
static int collect(const uint8_t *p, size_t len, struct df_pb_field *fs)
{
    memset(fs, 0, NFIELDS * sizeof *fs);
    struct df_pb_reader r = df_pb_reader_make(p, len);
    struct df_pb_field f;
    int rc;
    while ((rc = df_pb_next(&r, &f)) == 1) {
        if (f.num < NFIELDS)
            fs[f.num] = f;
    }
    return rc;
}

static bool has(const struct df_pb_field *fs, uint32_t num, int wtype)
{
    return fs[num].num == num && fs[num].wtype == wtype;
}

static uint64_t u64_or(const struct df_pb_field *fs, uint32_t num, int wtype, uint64_t dflt)
{
    return has(fs, num, wtype) ? fs[num].u64 : dflt;
}

static void put_duration(FILE *out, uint64_t start, uint64_t end)
{
    if (end < start) {
        fputs("-", out);
        return;
    }
    uint64_t d = end - start;
    fprintf(out, "%" PRIu64 ".%06" PRIu64 "ms", d / 1000000, d % 1000000);
}

static int line_log(FILE *out, const uint8_t *p, size_t len)
{
    struct df_pb_field fs[NFIELDS];
    int rc = collect(p, len, fs);
    indent(out, 2);
    if (has(fs, 1, DF_PB_FIXED64) && fs[1].u64)
        put_time(out, fs[1].u64);
    else if (has(fs, 11, DF_PB_FIXED64))
        put_time(out, fs[11].u64);
    else
        fputs("-", out);
    fputc(' ', out);
    if (has(fs, 3, DF_PB_LEN) && fs[3].len)
        put_text(out, fs[3].data, fs[3].len);
    else
        fputs(NAME_OF(severities, u64_or(fs, 2, DF_PB_VARINT, 0)), out);
    fputc(' ', out);
    int vrc =
        has(fs, 5, DF_PB_LEN) ? put_any(out, fs[5].data, fs[5].len, 0) : (fputs("null", out), 0);
    int arc = put_attrs(out, p, len, 6);
    fputc('\n', out);
    return rc < 0 ? rc : vrc < 0 ? vrc : arc;
}

static void put_id(FILE *out, const struct df_pb_field *fs, uint32_t num)
{
    if (has(fs, num, DF_PB_LEN) && fs[num].len)
        put_hex(out, fs[num].data, fs[num].len);
    else
        fputs("-", out);
}

static int line_span(FILE *out, const uint8_t *p, size_t len)
{
    struct df_pb_field fs[NFIELDS], st[NFIELDS];
    int rc = collect(p, len, fs);
    indent(out, 2);
    if (has(fs, 5, DF_PB_LEN))
        put_quoted(out, fs[5].data, fs[5].len);
    else
        fputs("\"\"", out);
    fputc(' ', out);
    put_id(out, fs, 1);
    fputc(' ', out);
    put_id(out, fs, 2);
    fputc(' ', out);
    put_enum(out, kinds, sizeof kinds / sizeof *kinds, u64_or(fs, 6, DF_PB_VARINT, 0));
    fputc(' ', out);
    put_duration(out, u64_or(fs, 7, DF_PB_FIXED64, 0), u64_or(fs, 8, DF_PB_FIXED64, 0));
    fputc(' ', out);
    int src = 0;
    if (has(fs, 15, DF_PB_LEN)) {
        src = collect(fs[15].data, fs[15].len, st);
        put_enum(out, codes, sizeof codes / sizeof *codes, u64_or(st, 3, DF_PB_VARINT, 0));
        if (has(st, 2, DF_PB_LEN) && st[2].len) {
            fputc(' ', out);
            put_quoted(out, st[2].data, st[2].len);
        }
    } else {
        fputs("UNSET", out);
    }
    fputc('\n', out);
    return rc < 0 ? rc : src;
}

/* A data point's value: a number, or count/sum for the distributions. */
static void put_point_value(FILE *out, uint32_t data, const struct df_pb_field *fs)
{
    if (data == 5 || data == 7) {
        if (has(fs, 6, DF_PB_FIXED64))
            fprintf(out, "%" PRId64, (int64_t)fs[6].u64);
        else if (has(fs, 4, DF_PB_FIXED64))
            put_double(out, fs[4].u64);
        else
            fputs("-", out);
        return;
    }
    fprintf(out, "count=%" PRIu64 " sum=", u64_or(fs, 4, DF_PB_FIXED64, 0));
    put_double(out, u64_or(fs, 5, DF_PB_FIXED64, 0));
    uint32_t min = data == 9 ? 11 : 12, max = min + 1;
    if (data != 11 && has(fs, min, DF_PB_FIXED64)) {
        fputs(" min=", out);
        put_double(out, fs[min].u64);
    }
    if (data != 11 && has(fs, max, DF_PB_FIXED64)) {
        fputs(" max=", out);
        put_double(out, fs[max].u64);
    }
    if (data == 10)
        fprintf(out, " scale=%" PRId64, df_pb_zigzag(u64_or(fs, 6, DF_PB_VARINT, 0)));
}

static int line_metric(FILE *out, const uint8_t *p, size_t len)
{
    static const char *const types[NFIELDS] = {[5] = "gauge",
                                               [7] = "sum",
                                               [9] = "histogram",
                                               [10] = "exponential_histogram",
                                               [11] = "summary"};
    struct df_pb_field fs[NFIELDS], dp[NFIELDS];
    int rc = collect(p, len, fs);
    uint32_t data = 0;
    for (uint32_t n = 5; n <= 11; n++) {
        if (types[n] && has(fs, n, DF_PB_LEN))
            data = n;
    }
    indent(out, 2);
    if (has(fs, 1, DF_PB_LEN))
        put_text(out, fs[1].data, fs[1].len);
    fprintf(out, " %s", data ? types[data] : "(no data)");
    if (has(fs, 3, DF_PB_LEN) && fs[3].len) {
        fputs(" ", out);
        put_text(out, fs[3].data, fs[3].len);
    }
    fputc('\n', out);
    if (!data)
        return rc;
    uint32_t attrs_field = data == 9 ? 9 : data == 10 ? 1 : 7;
    struct df_pb_reader r = df_pb_reader_make(fs[data].data, fs[data].len);
    struct df_pb_field f;
    int prc;
    while ((prc = df_pb_next(&r, &f)) == 1) {
        if (f.num != 1 || f.wtype != DF_PB_LEN)
            continue;
        int crc = collect(f.data, f.len, dp);
        indent(out, 3);
        put_point_value(out, data, dp);
        int arc = put_attrs(out, f.data, f.len, attrs_field);
        fputc('\n', out);
        if (crc < 0 || arc < 0)
            return crc < 0 ? crc : arc;
    }
    return rc < 0 ? rc : prc;
}

static int normal(FILE *out, enum df_signal signal, const uint8_t *buf, size_t len)
{
    struct df_pb_reader top = df_pb_reader_make(buf, len);
    struct df_pb_field rf, fs[NFIELDS], sc[NFIELDS];
    int rc, bad = 0;
    unsigned ri = 0;
    while ((rc = df_pb_next(&top, &rf)) == 1) {
        if (rf.num != 1 || rf.wtype != DF_PB_LEN)
            continue;
        fprintf(out, "resource #%u", ri++);
        struct df_pb_reader r = df_pb_reader_make(rf.data, rf.len);
        struct df_pb_field f;
        int frc;
        /* The Resource (field 1) may come after the scopes: find it first. */
        if (collect(rf.data, rf.len, fs) < 0)
            bad = DF_EPARSE;
        if (has(fs, 1, DF_PB_LEN) && put_attrs(out, fs[1].data, fs[1].len, 1) < 0)
            bad = DF_EPARSE;
        fputc('\n', out);
        unsigned si = 0;
        while ((frc = df_pb_next(&r, &f)) == 1) {
            if (f.num != 2 || f.wtype != DF_PB_LEN)
                continue;
            indent(out, 1);
            fprintf(out, "scope #%u", si++);
            int src = collect(f.data, f.len, sc);
            if (has(sc, 1, DF_PB_LEN)) {
                struct df_pb_field is[NFIELDS];
                if (collect(sc[1].data, sc[1].len, is) < 0)
                    bad = DF_EPARSE;
                for (uint32_t n = 1; n <= 2; n++) {
                    if (has(is, n, DF_PB_LEN)) {
                        fputc(' ', out);
                        put_text(out, is[n].data, is[n].len);
                    }
                }
            }
            fputc('\n', out);
            if (src < 0)
                bad = src;
            struct df_pb_reader s = df_pb_reader_make(f.data, f.len);
            struct df_pb_field g;
            while (df_pb_next(&s, &g) == 1) {
                if (g.num != 2 || g.wtype != DF_PB_LEN)
                    continue;
                int lrc = signal == DF_SIGNAL_LOGS     ? line_log(out, g.data, g.len)
                          : signal == DF_SIGNAL_TRACES ? line_span(out, g.data, g.len)
                                                       : line_metric(out, g.data, g.len);
                if (lrc < 0)
                    bad = lrc;
            }
        }
        if (frc < 0)
            bad = frc;
    }
    return rc < 0 ? rc : bad;
}

/* ---- entry ------------------------------------------------------------ */

static const char *plural(uint64_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

static void summary(FILE *out, enum df_signal signal, const struct df_otlp_stats *st)
{
    fprintf(out, "%s: %" PRIu64 " %s", df_signal_name(signal), st->resources,
            plural(st->resources, "resource", "resources"));
    switch (signal) {
    case DF_SIGNAL_LOGS:
        fprintf(out, ", %" PRIu64 " %s", st->items, plural(st->items, "log record", "log records"));
        break;
    case DF_SIGNAL_TRACES:
        fprintf(out, ", %" PRIu64 " %s", st->items, plural(st->items, "span", "spans"));
        break;
    default:
        fprintf(out, ", %" PRIu64 " %s, %" PRIu64 " %s", st->metrics,
                plural(st->metrics, "metric", "metrics"), st->items,
                plural(st->items, "data point", "data points"));
        break;
    }
}

int df_otlp_dump(FILE *out, enum df_signal signal, const uint8_t *buf, size_t len,
                 enum df_otlp_verbosity verbosity)
{
    if ((unsigned)signal >= DF_SIGNAL_COUNT || (unsigned)verbosity > DF_OTLP_DETAILED)
        return DF_EINVAL;
    struct df_otlp_stats st;
    int rc = df_otlp_stats(signal, buf, len, &st);
    summary(out, signal, &st);
    fputs(rc < 0 ? " (malformed)\n" : "\n", out);
    int prc = 0;
    if (verbosity == DF_OTLP_NORMAL) {
        prc = normal(out, signal, buf, len);
    } else if (verbosity == DF_OTLP_DETAILED) {
        static const uint8_t roots[DF_SIGNAL_COUNT] = {[DF_SIGNAL_LOGS] = D_LOGS,
                                                       [DF_SIGNAL_METRICS] = D_METRICS,
                                                       [DF_SIGNAL_TRACES] = D_TRACES};
        prc = detail(out, (enum dmsg)roots[signal], buf, len, 0);
    }
    if (rc < 0 || prc < 0) {
        if (verbosity != DF_OTLP_BASIC)
            fputs("malformed request: printed what could be read\n", out);
        rc = DF_EPARSE;
    }
    if (ferror(out))
        return DF_EIO;
    return rc;
}
