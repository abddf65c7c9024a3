/* Unit tests for OTLP/JSON <-> protobuf (otlp/json.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "df/error.h"
#include "otlp/gen.h"
#include "otlp/json.h"
#include "otlp/otlp.h"
#include "otlp/wire.h"

/* ---- helpers ----------------------------------------------------------- */

struct pb {
    uint8_t *buf;
    size_t len;
    int rc;
    char err[512];
};

static struct pb decode_n(enum df_signal sig, const char *json, size_t n)
{
    struct pb r = {0};
    struct df_pb_writer w;
    df_pb_writer_init(&w);
    r.rc = df_otlp_json_to_pb(sig, json, n, &w, r.err, sizeof r.err);
    if (r.rc != 0)
        assert_int_equal(w.len, 0); /* nothing left behind */
    r.buf = df_pb_writer_take(&w, &r.len);
    return r;
}

static struct pb decode(enum df_signal sig, const char *json)
{
    return decode_n(sig, json, strlen(json));
}

/* Decodes and requires success, printing the error otherwise. */
static struct pb decode_ok(enum df_signal sig, const char *json)
{
    struct pb r = decode(sig, json);
    if (r.rc != 0)
        print_error("decode failed: %s\n", r.err);
    assert_int_equal(r.rc, 0);
    uint64_t items;
    assert_int_equal(df_otlp_count(sig, r.buf, r.len, &items), 0);
    return r;
}

static char *encode(enum df_signal sig, const uint8_t *buf, size_t len)
{
    struct df_jbuf j;
    df_jbuf_init(&j);
    int rc = df_otlp_pb_to_json(sig, buf, len, &j);
    if (rc != 0)
        print_error("encode failed: %s\n", df_strerror(rc));
    assert_int_equal(rc, 0);
    assert_non_null(j.buf);
    assert_int_equal(strlen(j.buf), j.len);
    return j.buf;
}

/* Follows a path of field numbers such as "1.2[1].9": `[i]` picks the i-th
 * occurrence of that number (default the first). */
static struct df_pb_field at(const uint8_t *p, size_t n, const char *path)
{
    struct df_pb_field f = {0};
    const char *s = path;
    while (*s) {
        char *end;
        uint32_t num = (uint32_t)strtoul(s, &end, 10);
        size_t idx = 0;
        s = end;
        if (*s == '[') {
            idx = strtoul(s + 1, &end, 10);
            s = end + 1;
        }
        if (*s == '.')
            s++;
        struct df_pb_reader r = df_pb_reader_make(p, n);
        bool found = false;
        while (!found && df_pb_next(&r, &f) == 1) {
            if (f.num == num && idx-- == 0)
                found = true;
        }
        if (!found)
            fail_msg("no field at %s", path);
        p = f.data;
        n = f.len;
    }
    return f;
}

static bool has(const uint8_t *p, size_t n, const char *path, uint32_t num)
{
    struct df_pb_field f = at(p, n, path);
    struct df_pb_reader r = df_pb_reader_make(f.data, f.len);
    while (df_pb_next(&r, &f) == 1) {
        if (f.num == num)
            return true;
    }
    return false;
}

static void expect_str(const uint8_t *p, size_t n, const char *path, const char *want)
{
    struct df_pb_field f = at(p, n, path);
    assert_int_equal(f.wtype, DF_PB_LEN);
    assert_int_equal(f.len, strlen(want));
    assert_memory_equal(f.data, want, f.len);
}

static void expect_bytes(const uint8_t *p, size_t n, const char *path, const void *want,
                         size_t wlen)
{
    struct df_pb_field f = at(p, n, path);
    assert_int_equal(f.wtype, DF_PB_LEN);
    assert_int_equal(f.len, wlen);
    assert_memory_equal(f.data, want, wlen);
}

static void expect_u64(const uint8_t *p, size_t n, const char *path, unsigned wtype, uint64_t want)
{
    struct df_pb_field f = at(p, n, path);
    assert_int_equal(f.wtype, wtype);
    assert_int_equal(f.u64, want);
}

static void expect_double(const uint8_t *p, size_t n, const char *path, double want)
{
    struct df_pb_field f = at(p, n, path);
    assert_int_equal(f.wtype, DF_PB_FIXED64);
    assert_true(df_pb_double(f.u64) == want);
}

static void expect_has(const char *s, const char *part)
{
    if (!strstr(s, part))
        print_error("'%s' lacks '%s'\n", s, part);
    assert_non_null(strstr(s, part));
}

/* pb -> JSON -> pb must give back the same bytes; returns the JSON. */
static char *roundtrip(enum df_signal sig, const uint8_t *buf, size_t len)
{
    uint64_t items;
    assert_int_equal(df_otlp_count(sig, buf, len, &items), 0);
    char *json = encode(sig, buf, len);
    struct pb back = decode(sig, json);
    if (back.rc != 0)
        print_error("%s\nfrom %s\n", back.err, json);
    assert_int_equal(back.rc, 0);
    if (back.len != len || memcmp(back.buf, buf, len) != 0)
        print_error("round trip differs (%zu vs %zu bytes): %s\n", back.len, len, json);
    assert_int_equal(back.len, len);
    assert_memory_equal(back.buf, buf, len);
    free(back.buf);
    return json;
}

/* ---- decoding the spec's shapes ---------------------------------------- */

static const char logs_example[] =
    "{\"resourceLogs\":[{\"resource\":{\"attributes\":[{\"key\":\"service.name\","
    "\"value\":{\"stringValue\":\"my.service\"}}]},"
    "\"scopeLogs\":[{\"scope\":{\"name\":\"my.library\",\"version\":\"1.0.0\","
    "\"attributes\":[{\"key\":\"my.scope.attribute\",\"value\":{\"stringValue\":\"some scope "
    "attribute\"}}]},"
    "\"logRecords\":[{\"timeUnixNano\":\"1544712660300000000\","
    "\"observedTimeUnixNano\":\"1544712660300000000\",\"severityNumber\":10,"
    "\"severityText\":\"Information\",\"traceId\":\"5B8EFFF798038103D269B633813FC60C\","
    "\"spanId\":\"EEE19B7EC3C1B174\",\"body\":{\"stringValue\":\"Example log record\"},"
    "\"attributes\":["
    "{\"key\":\"string.attribute\",\"value\":{\"stringValue\":\"some string\"}},"
    "{\"key\":\"boolean.attribute\",\"value\":{\"boolValue\":true}},"
    "{\"key\":\"int.attribute\",\"value\":{\"intValue\":\"10\"}},"
    "{\"key\":\"double.attribute\",\"value\":{\"doubleValue\":637.704}},"
    "{\"key\":\"array.attribute\",\"value\":{\"arrayValue\":{\"values\":[{\"stringValue\":"
    "\"many\"},{\"stringValue\":\"values\"}]}}},"
    "{\"key\":\"map.attribute\",\"value\":{\"kvlistValue\":{\"values\":[{\"key\":\"some.map.key\","
    "\"value\":{\"stringValue\":\"some value\"}}]}}}]}]}]}]}";

static const uint8_t trace_id[16] = {0x5b, 0x8e, 0xff, 0xf7, 0x98, 0x03, 0x81, 0x03,
                                     0xd2, 0x69, 0xb6, 0x33, 0x81, 0x3f, 0xc6, 0x0c};
static const uint8_t span_id[8] = {0xee, 0xe1, 0x9b, 0x7e, 0xc3, 0xc1, 0xb1, 0x74};

static void test_json_decode_logs_example(void **state)
{
    (void)state;
    struct pb r = decode_ok(DF_SIGNAL_LOGS, logs_example);
    const uint8_t *p = r.buf;
    size_t n = r.len;
    expect_str(p, n, "1.1.1.1", "service.name");
    expect_str(p, n, "1.1.1.2.1", "my.service");
    expect_str(p, n, "1.2.1.1", "my.library");
    expect_str(p, n, "1.2.1.2", "1.0.0");
    expect_str(p, n, "1.2.1.3.1", "my.scope.attribute");
    expect_u64(p, n, "1.2.2.1", DF_PB_FIXED64, 1544712660300000000ull);
    expect_u64(p, n, "1.2.2.11", DF_PB_FIXED64, 1544712660300000000ull);
    expect_u64(p, n, "1.2.2.2", DF_PB_VARINT, 10);
    expect_str(p, n, "1.2.2.3", "Information");
    expect_bytes(p, n, "1.2.2.9", trace_id, 16);
    expect_bytes(p, n, "1.2.2.10", span_id, 8);
    expect_str(p, n, "1.2.2.5.1", "Example log record");
    expect_u64(p, n, "1.2.2.6[1].2.2", DF_PB_VARINT, 1);
    expect_u64(p, n, "1.2.2.6[2].2.3", DF_PB_VARINT, 10);
    expect_double(p, n, "1.2.2.6[3].2.4", 637.704);
    expect_str(p, n, "1.2.2.6[4].2.5.1[1].1", "values");
    expect_str(p, n, "1.2.2.6[5].2.6.1.1", "some.map.key");
    expect_str(p, n, "1.2.2.6[5].2.6.1.2.1", "some value");
    /* Canonical: the record starts with time_unix_nano, field 1. */
    assert_int_equal(at(p, n, "1.2.2").data[0], 0x09);
    free(roundtrip(DF_SIGNAL_LOGS, r.buf, r.len));
    free(r.buf);
}

static const char traces_example[] =
    "{\"resourceSpans\":[{\"resource\":{\"attributes\":[{\"key\":\"service.name\","
    "\"value\":{\"stringValue\":\"my.service\"}}]},"
    "\"scopeSpans\":[{\"scope\":{\"name\":\"my.library\",\"version\":\"1.0.0\"},"
    "\"spans\":[{\"traceId\":\"5b8efff798038103d269b633813fc60c\","
    "\"spanId\":\"eee19b7ec3c1b174\",\"parentSpanId\":\"eee19b7ec3c1b173\","
    "\"name\":\"I'm a server span\",\"startTimeUnixNano\":\"1544712660000000000\","
    "\"endTimeUnixNano\":\"1544712661000000000\",\"kind\":2,"
    "\"attributes\":[{\"key\":\"my.span.attr\",\"value\":{\"stringValue\":\"some value\"}}],"
    "\"events\":[{\"timeUnixNano\":\"1544712660500000000\",\"name\":\"cache.miss\","
    "\"droppedAttributesCount\":1}],"
    "\"droppedEventsCount\":3,"
    "\"links\":[{\"traceId\":\"5b8efff798038103d269b633813fc60d\",\"spanId\":"
    "\"eee19b7ec3c1b175\",\"traceState\":\"k=v\",\"flags\":256}],"
    "\"status\":{\"code\":2,\"message\":\"boom\"},\"flags\":257}]}],"
    "\"schemaUrl\":\"https://opentelemetry.io/schemas/1.26.0\"}]}";

static void test_json_decode_traces_example(void **state)
{
    (void)state;
    struct pb r = decode_ok(DF_SIGNAL_TRACES, traces_example);
    const uint8_t *p = r.buf;
    size_t n = r.len;
    uint8_t parent[8];
    memcpy(parent, span_id, 8);
    parent[7] = 0x73;
    expect_bytes(p, n, "1.2.2.1", trace_id, 16);
    expect_bytes(p, n, "1.2.2.2", span_id, 8);
    expect_bytes(p, n, "1.2.2.4", parent, 8);
    expect_str(p, n, "1.2.2.5", "I'm a server span");
    expect_u64(p, n, "1.2.2.6", DF_PB_VARINT, 2);
    expect_u64(p, n, "1.2.2.7", DF_PB_FIXED64, 1544712660000000000ull);
    expect_u64(p, n, "1.2.2.8", DF_PB_FIXED64, 1544712661000000000ull);
    expect_str(p, n, "1.2.2.11.2", "cache.miss");
    expect_u64(p, n, "1.2.2.11.4", DF_PB_VARINT, 1);
    expect_u64(p, n, "1.2.2.12", DF_PB_VARINT, 3);
    expect_str(p, n, "1.2.2.13.3", "k=v");
    expect_u64(p, n, "1.2.2.13.6", DF_PB_FIXED32, 256);
    expect_u64(p, n, "1.2.2.15.3", DF_PB_VARINT, 2);
    expect_str(p, n, "1.2.2.15.2", "boom");
    expect_u64(p, n, "1.2.2.16", DF_PB_FIXED32, 257);
    expect_str(p, n, "1.3", "https://opentelemetry.io/schemas/1.26.0");
    free(roundtrip(DF_SIGNAL_TRACES, r.buf, r.len));
    free(r.buf);
}

static const char metrics_example[] =
    "{\"resourceMetrics\":[{\"resource\":{\"attributes\":[{\"key\":\"service.name\","
    "\"value\":{\"stringValue\":\"my.service\"}}]},"
    "\"scopeMetrics\":[{\"scope\":{\"name\":\"my.library\",\"version\":\"1.0.0\"},"
    "\"metrics\":["
    "{\"name\":\"my.counter\",\"unit\":\"1\",\"description\":\"I am a Counter\","
    "\"sum\":{\"aggregationTemporality\":1,\"isMonotonic\":true,\"dataPoints\":[{\"asDouble\":5,"
    "\"startTimeUnixNano\":\"1544712660300000000\",\"timeUnixNano\":\"1544712660300000000\","
    "\"attributes\":[{\"key\":\"my.counter.attr\",\"value\":{\"stringValue\":\"some "
    "value\"}}]}]}},"
    "{\"name\":\"my.gauge\",\"unit\":\"1\",\"gauge\":{\"dataPoints\":[{\"asInt\":\"-10\","
    "\"timeUnixNano\":\"1544712660300000000\",\"exemplars\":[{\"timeUnixNano\":\"7\","
    "\"asDouble\":1.5,\"spanId\":\"EEE19B7EC3C1B174\","
    "\"traceId\":\"5B8EFFF798038103D269B633813FC60C\",\"filteredAttributes\":[{\"key\":\"k\","
    "\"value\":{\"intValue\":-3}}]}]}]}},"
    "{\"name\":\"my.histogram\",\"unit\":\"1\",\"histogram\":{\"aggregationTemporality\":1,"
    "\"dataPoints\":[{\"startTimeUnixNano\":\"1544712660300000000\","
    "\"timeUnixNano\":\"1544712660300000000\",\"count\":2,\"sum\":2,\"bucketCounts\":[1,1],"
    "\"explicitBounds\":[1],\"min\":0,\"max\":2}]}},"
    "{\"name\":\"my.exponential.histogram\",\"exponentialHistogram\":{"
    "\"aggregationTemporality\":2,\"dataPoints\":[{\"count\":3,\"sum\":10,\"scale\":0,"
    "\"zeroCount\":1,\"positive\":{\"offset\":1,\"bucketCounts\":[0,2]},"
    "\"negative\":{\"offset\":-2,\"bucketCounts\":[\"1\"]},\"min\":0,\"max\":5,"
    "\"zeroThreshold\":0}]}},"
    "{\"name\":\"my.summary\",\"summary\":{\"dataPoints\":[{\"count\":\"4\",\"sum\":12.5,"
    "\"quantileValues\":[{\"quantile\":0,\"value\":1},{\"quantile\":0.5,\"value\":3},"
    "{\"quantile\":1,\"value\":6}]}]}}]}]}]}";

static void test_json_decode_metrics_example(void **state)
{
    (void)state;
    struct pb r = decode_ok(DF_SIGNAL_METRICS, metrics_example);
    const uint8_t *p = r.buf;
    size_t n = r.len;
    uint64_t items;
    assert_int_equal(df_otlp_count(DF_SIGNAL_METRICS, p, n, &items), 0);
    assert_int_equal(items, 5);
    /* sum */
    expect_str(p, n, "1.2.2[0].2", "I am a Counter");
    expect_u64(p, n, "1.2.2[0].7.2", DF_PB_VARINT, 1);
    expect_u64(p, n, "1.2.2[0].7.3", DF_PB_VARINT, 1);
    expect_double(p, n, "1.2.2[0].7.1.4", 5.0);
    /* gauge with an exemplar */
    expect_u64(p, n, "1.2.2[1].5.1.6", DF_PB_FIXED64, (uint64_t)-10);
    expect_u64(p, n, "1.2.2[1].5.1.5.2", DF_PB_FIXED64, 7);
    expect_double(p, n, "1.2.2[1].5.1.5.3", 1.5);
    expect_bytes(p, n, "1.2.2[1].5.1.5.4", span_id, 8);
    expect_bytes(p, n, "1.2.2[1].5.1.5.5", trace_id, 16);
    expect_u64(p, n, "1.2.2[1].5.1.5.7.2.3", DF_PB_VARINT, (uint64_t)-3);
    /* histogram: packed buckets and bounds; `optional` min kept at 0 */
    expect_u64(p, n, "1.2.2[2].9.1.4", DF_PB_FIXED64, 2);
    static const uint8_t counts[16] = {1, 0, 0, 0, 0, 0, 0, 0, 1};
    expect_bytes(p, n, "1.2.2[2].9.1.6", counts, 16);
    static const uint8_t bounds[8] = {0, 0, 0, 0, 0, 0, 0xf0, 0x3f}; /* 1.0 */
    expect_bytes(p, n, "1.2.2[2].9.1.7", bounds, 8);
    expect_double(p, n, "1.2.2[2].9.1.11", 0.0);
    expect_double(p, n, "1.2.2[2].9.1.12", 2.0);
    /* exponential histogram */
    expect_u64(p, n, "1.2.2[3].10.2", DF_PB_VARINT, 2);
    expect_u64(p, n, "1.2.2[3].10.1.7", DF_PB_FIXED64, 1);
    expect_u64(p, n, "1.2.2[3].10.1.8.1", DF_PB_VARINT, 2); /* zigzag(1) */
    static const uint8_t pos[2] = {0, 2};
    expect_bytes(p, n, "1.2.2[3].10.1.8.2", pos, 2);
    expect_u64(p, n, "1.2.2[3].10.1.9.1", DF_PB_VARINT, 3); /* zigzag(-2) */
    assert_false(has(p, n, "1.2.2[3].10.1", 6));            /* scale 0 omitted */
    assert_false(has(p, n, "1.2.2[3].10.1", 14));           /* zero_threshold 0 */
    assert_true(has(p, n, "1.2.2[3].10.1", 12));            /* optional min 0 */
    /* summary */
    expect_u64(p, n, "1.2.2[4].11.1.4", DF_PB_FIXED64, 4);
    expect_double(p, n, "1.2.2[4].11.1.5", 12.5);
    expect_double(p, n, "1.2.2[4].11.1.6[1].1", 0.5);
    expect_double(p, n, "1.2.2[4].11.1.6[2].2", 6.0);
    assert_false(has(p, n, "1.2.2[4].11.1.6[0]", 1)); /* quantile 0 omitted */
    free(roundtrip(DF_SIGNAL_METRICS, r.buf, r.len));
    free(r.buf);
}

/* ---- errors ------------------------------------------------------------- */

struct bad {
    enum df_signal sig;
    const char *json;
    const char *err; /* expected message (a prefix when it ends in '*') */
};

static const struct bad bads[] = {
    {DF_SIGNAL_LOGS,
     "{\"resourceLogs\":[{\"scopeLogs\":[{},{\"logRecords\":[{},{},{},{\"traceId\":\"abc\"}]}]}]}",
     "resourceLogs[0].scopeLogs[1].logRecords[3].traceId: expected 32 hex digits"},
    {DF_SIGNAL_LOGS, "not json", "line 1 column*"},
    {DF_SIGNAL_LOGS, "{\"resourceLogs\":[]} trailing", "line 1*"},
    {DF_SIGNAL_LOGS, "[]", "(request): expected an object"},
    {DF_SIGNAL_LOGS, "{\"resourceLogs\":{}}", "resourceLogs: expected an array"},
    {DF_SIGNAL_LOGS, "{\"resourceLogs\":[5]}", "resourceLogs[0]: expected an object"},
    {DF_SIGNAL_TRACES,
     "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"spanId\":\"zzzzzzzzzzzzzzzz\"}]}]}]}",
     "resourceSpans[0].scopeSpans[0].spans[0].spanId: expected 16 hex digits"},
    {DF_SIGNAL_TRACES,
     "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"traceId\":\"W47/95gDgQPSabYzgT/GDA==\"}"
     "]}]}]}",
     "resourceSpans[0].scopeSpans[0].spans[0].traceId: expected 32 hex digits"},
    {DF_SIGNAL_LOGS,
     "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"body\":{\"bytesValue\":\"!!!!\"}}]}]}"
     "]}",
     "resourceLogs[0].scopeLogs[0].logRecords[0].body.bytesValue: invalid base64"},
    {DF_SIGNAL_LOGS,
     "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"body\":{\"bytesValue\":\"QUJDR\"}}]}]}"
     "]}",
     "resourceLogs[0].scopeLogs[0].logRecords[0].body.bytesValue: invalid base64"},
    {DF_SIGNAL_LOGS, "{\"resourceLogs\":[{\"resource\":{\"droppedAttributesCount\":4294967296}}]}",
     "resourceLogs[0].resource.droppedAttributesCount: out of range (0 to 4294967295)"},
    {DF_SIGNAL_LOGS,
     "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"timeUnixNano\":\"-1\"}]}]}]}",
     "resourceLogs[0].scopeLogs[0].logRecords[0].timeUnixNano: out of range*"},
    {DF_SIGNAL_LOGS,
     "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"timeUnixNano\":\"12x\"}]}]}]}",
     "resourceLogs[0].scopeLogs[0].logRecords[0].timeUnixNano: expected an unsigned integer*"},
    {DF_SIGNAL_LOGS,
     "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"timeUnixNano\":1.5}]}]}]}",
     "resourceLogs[0].scopeLogs[0].logRecords[0].timeUnixNano: expected an unsigned integer*"},
    {DF_SIGNAL_LOGS,
     "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"timeUnixNano\":"
     "\"18446744073709551616\"}]}]}]}",
     "resourceLogs[0].scopeLogs[0].logRecords[0].timeUnixNano: out of range*"},
    {DF_SIGNAL_LOGS,
     "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"severityNumber\":"
     "\"SEVERITY_NUMBER_LOUD\"}]}]}]}",
     "resourceLogs[0].scopeLogs[0].logRecords[0].severityNumber: unknown enum value "
     "\"SEVERITY_NUMBER_LOUD\""},
    {DF_SIGNAL_LOGS,
     "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"body\":{\"intValue\":"
     "\"9223372036854775808\"}}]}]}]}",
     "resourceLogs[0].scopeLogs[0].logRecords[0].body.intValue: out of range*"},
    {DF_SIGNAL_LOGS,
     "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"body\":{\"stringValue\":\"a\","
     "\"intValue\":\"1\"}}]}]}]}",
     "resourceLogs[0].scopeLogs[0].logRecords[0].body.intValue: only one of stringValue and "
     "intValue may be set"},
    {DF_SIGNAL_LOGS,
     "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"attributes\":[{\"key\":\"k\","
     "\"value\":{\"doubleValue\":\"fast\"}}]}]}]}]}",
     "resourceLogs[0].scopeLogs[0].logRecords[0].attributes[0].value.doubleValue: expected a "
     "number*"},
    {DF_SIGNAL_LOGS, "{\"resourceLogs\":[{\"scopeLogs\":[{\"scope\":{\"name\":5}}]}]}",
     "resourceLogs[0].scopeLogs[0].scope.name: expected a string"},
    {DF_SIGNAL_LOGS, "{\"resourceLogs\":[{\"scopeLogs\":[],\"scope_logs\":[]}]}",
     "resourceLogs[0].scope_logs: given twice (also as scopeLogs)"},
    {DF_SIGNAL_METRICS,
     "{\"resourceMetrics\":[{\"scopeMetrics\":[{\"metrics\":[{\"name\":\"m\",\"gauge\":{},"
     "\"sum\":{}}]}]}]}",
     "resourceMetrics[0].scopeMetrics[0].metrics[0].sum: only one of gauge and sum may be set"},
    {DF_SIGNAL_METRICS,
     "{\"resourceMetrics\":[{\"scopeMetrics\":[{\"metrics\":[{\"sum\":{\"isMonotonic\":"
     "\"true\"}}]}]}]}",
     "resourceMetrics[0].scopeMetrics[0].metrics[0].sum.isMonotonic: expected true or false"},
    {DF_SIGNAL_METRICS,
     "{\"resourceMetrics\":[{\"scopeMetrics\":[{\"metrics\":[{\"histogram\":{\"dataPoints\":[{"
     "\"bucketCounts\":[1,-1]}]}}]}]}]}",
     "resourceMetrics[0].scopeMetrics[0].metrics[0].histogram.dataPoints[0].bucketCounts[1]: out "
     "of range*"},
    {DF_SIGNAL_METRICS,
     "{\"resourceMetrics\":[{\"scopeMetrics\":[{\"metrics\":[{\"exponentialHistogram\":{"
     "\"dataPoints\":[{\"scale\":2147483648}]}}]}]}]}",
     "resourceMetrics[0].scopeMetrics[0].metrics[0].exponentialHistogram.dataPoints[0].scale: "
     "out of range (-2147483648 to 2147483647)"},
    {DF_SIGNAL_TRACES,
     "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"kind\":\"SPAN_KIND_SIDEWAYS\"}]}]}]}",
     "resourceSpans[0].scopeSpans[0].spans[0].kind: unknown enum value \"SPAN_KIND_SIDEWAYS\""},
    {DF_SIGNAL_TRACES,
     "{\"resourceSpans\":[{\"resource\":{\"entityRefs\":[{\"idKeys\":[\"a\",7]}]}}]}",
     "resourceSpans[0].resource.entityRefs[0].idKeys[1]: expected a string"},
};

static void check_bad(const struct bad *b)
{
    struct df_pb_writer w;
    df_pb_writer_init(&w);
    df_pb_put_string(&w, 1, "kept"); /* the writer's earlier contents survive */
    size_t before = w.len;
    char err[512];
    int rc = df_otlp_json_to_pb(b->sig, b->json, strlen(b->json), &w, err, sizeof err);
    if (rc != DF_EPARSE)
        print_error("accepted: %s\n", b->json);
    assert_int_equal(rc, DF_EPARSE);
    assert_int_equal(w.len, before);
    size_t n = strlen(b->err);
    bool prefix = n && b->err[n - 1] == '*';
    if (prefix ? strncmp(err, b->err, n - 1) != 0 : strcmp(err, b->err) != 0)
        print_error("for %s\n got '%s'\nwant '%s'\n", b->json, err, b->err);
    assert_true(prefix ? strncmp(err, b->err, n - 1) == 0 : strcmp(err, b->err) == 0);
    df_pb_writer_free(&w);
}

static void test_json_errors_name_paths(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bads / sizeof *bads; i++)
        check_bad(&bads[i]);
    /* Bad signal; NULL error buffer allowed with errlen 0. */
    struct df_pb_writer w;
    df_pb_writer_init(&w);
    assert_int_equal(df_otlp_json_to_pb(DF_SIGNAL_COUNT, "{}", 2, &w, NULL, 0), DF_EINVAL);
    assert_int_equal(df_otlp_json_to_pb(DF_SIGNAL_LOGS, "{", 1, &w, NULL, 0), DF_EPARSE);
    /* A message that does not fit is truncated, not overrun. */
    char small[8];
    assert_int_equal(df_otlp_json_to_pb(DF_SIGNAL_LOGS, "[]", 2, &w, small, sizeof small),
                     DF_EPARSE);
    assert_int_equal(strlen(small), sizeof small - 1);
    df_pb_writer_free(&w);
}

/* AnyValues nest at most DF_OTLP_MAX_DEPTH deep, in both directions. */
static char *nested_json(unsigned levels)
{
    size_t cap = 64 + levels * 40;
    char *s = malloc(cap);
    assert_non_null(s);
    size_t n = (size_t)snprintf(s, cap,
                                "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{"
                                "\"body\":");
    for (unsigned i = 1; i < levels; i++)
        n += (size_t)snprintf(s + n, cap - n, "{\"arrayValue\":{\"values\":[");
    n += (size_t)snprintf(s + n, cap - n, "{\"boolValue\":true}");
    for (unsigned i = 1; i < levels; i++)
        n += (size_t)snprintf(s + n, cap - n, "]}}");
    snprintf(s + n, cap - n, "}]}]}]}");
    return s;
}

static void test_json_depth_limit(void **state)
{
    (void)state;
    char *ok = nested_json(DF_OTLP_MAX_DEPTH);
    struct pb r = decode_ok(DF_SIGNAL_LOGS, ok);
    free(roundtrip(DF_SIGNAL_LOGS, r.buf, r.len));
    free(r.buf);
    free(ok);

    char *deep = nested_json(DF_OTLP_MAX_DEPTH + 1);
    r = decode(DF_SIGNAL_LOGS, deep);
    assert_int_equal(r.rc, DF_EPARSE);
    expect_has(r.err, "AnyValues nested more than 64 deep");
    expect_has(r.err, "logRecords[0].body.arrayValue.values[0].arrayValue.values[0]");
    free(r.buf);
    free(deep);
}

/* ---- accepted spellings ------------------------------------------------- */

static void expect_same(enum df_signal sig, const char *a, const char *b)
{
    struct pb x = decode_ok(sig, a), y = decode_ok(sig, b);
    if (x.len != y.len || memcmp(x.buf, y.buf, x.len) != 0)
        print_error("differ:\n%s\n%s\n", a, b);
    assert_int_equal(x.len, y.len);
    assert_memory_equal(x.buf, y.buf, x.len);
    free(x.buf);
    free(y.buf);
}

static void test_json_snake_case_accepted(void **state)
{
    (void)state;
    expect_same(DF_SIGNAL_LOGS,
                "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"timeUnixNano\":\"5\","
                "\"observedTimeUnixNano\":\"6\",\"severityNumber\":9,\"severityText\":\"INFO\","
                "\"droppedAttributesCount\":2,\"traceId\":\"5b8efff798038103d269b633813fc60c\","
                "\"eventName\":\"e\",\"body\":{\"kvlistValue\":{\"values\":[{\"key\":\"a\","
                "\"value\":{\"bytesValue\":\"AQI=\"}}]}}}],\"schemaUrl\":\"s\"}]}]}",
                "{\"resource_logs\":[{\"scope_logs\":[{\"log_records\":[{\"time_unix_nano\":\"5\","
                "\"observed_time_unix_nano\":\"6\",\"severity_number\":9,\"severity_text\":"
                "\"INFO\",\"dropped_attributes_count\":2,\"trace_id\":"
                "\"5b8efff798038103d269b633813fc60c\",\"event_name\":\"e\",\"body\":{"
                "\"kvlist_value\":{\"values\":[{\"key\":\"a\",\"value\":{\"bytes_value\":\"AQI=\"}}"
                "]}}}],\"schema_url\":\"s\"}]}]}");
    expect_same(DF_SIGNAL_METRICS,
                "{\"resourceMetrics\":[{\"scopeMetrics\":[{\"metrics\":[{\"exponentialHistogram\":"
                "{\"aggregationTemporality\":2,\"dataPoints\":[{\"zeroCount\":\"1\","
                "\"zeroThreshold\":0.5,\"startTimeUnixNano\":\"1\"}]}},{\"summary\":{"
                "\"dataPoints\":[{\"quantileValues\":[{\"quantile\":0.5}]}]}}]}]}]}",
                "{\"resource_metrics\":[{\"scope_metrics\":[{\"metrics\":[{"
                "\"exponential_histogram\":{\"aggregation_temporality\":2,\"data_points\":[{"
                "\"zero_count\":\"1\",\"zero_threshold\":0.5,\"start_time_unix_nano\":\"1\"}]}},"
                "{\"summary\":{\"data_points\":[{\"quantile_values\":[{\"quantile\":0.5}]}]}}]}]}"
                "]}");
    expect_same(DF_SIGNAL_TRACES,
                "{\"resourceSpans\":[{\"resource\":{\"entityRefs\":[{\"idKeys\":[\"a\"],"
                "\"descriptionKeys\":[\"b\"]}]},\"scopeSpans\":[{\"spans\":[{\"parentSpanId\":"
                "\"0102030405060708\",\"droppedLinksCount\":1,\"startTimeUnixNano\":\"3\"}]}]}]}",
                "{\"resource_spans\":[{\"resource\":{\"entity_refs\":[{\"id_keys\":[\"a\"],"
                "\"description_keys\":[\"b\"]}]},\"scope_spans\":[{\"spans\":[{\"parent_span_id\":"
                "\"0102030405060708\",\"dropped_links_count\":1,\"start_time_unix_nano\":\"3\"}]}]}"
                "]}");
}

static void test_json_unknown_fields_ignored(void **state)
{
    (void)state;
    expect_same(
        DF_SIGNAL_TRACES,
        "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"name\":\"s\",\"kind\":3}]}]}]}",
        "{\"future\":{\"a\":[1,2,{\"b\":null}]},\"resourceSpans\":[{\"x\":1,"
        "\"scopeSpans\":[{\"y\":\"z\",\"spans\":[{\"name\":\"s\",\"newField\":[true],"
        "\"kind\":3,\"status\":null}]}]}],\"zz\":false}");
    /* null counts as absent, and so do empty ids. */
    expect_same(DF_SIGNAL_LOGS, "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{}]}]}]}",
                "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"body\":null,"
                "\"traceId\":\"\",\"spanId\":null,\"severityText\":\"\",\"flags\":0}]}]}]}");
}

static void test_json_numbers_and_enums(void **state)
{
    (void)state;
    /* 64-bit integers as strings or numbers; doubles as numbers or strings;
     * enums as integers or names. */
    expect_same(DF_SIGNAL_LOGS,
                "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"timeUnixNano\":"
                "\"1544712660300000000\",\"severityNumber\":17,\"body\":{\"doubleValue\":1.5}}]}]}"
                "]}",
                "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"timeUnixNano\":"
                "1544712660300000000,\"severityNumber\":\"SEVERITY_NUMBER_ERROR\",\"body\":{"
                "\"doubleValue\":\"1.5\"}}]}]}]}");
    expect_same(DF_SIGNAL_TRACES,
                "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"kind\":2,\"status\":{"
                "\"code\":1},\"droppedEventsCount\":4}]}]}]}",
                "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"kind\":\"SPAN_KIND_SERVER\","
                "\"status\":{\"code\":\"STATUS_CODE_OK\"},\"droppedEventsCount\":\"4\"}]}]}]}");
    expect_same(DF_SIGNAL_METRICS,
                "{\"resourceMetrics\":[{\"scopeMetrics\":[{\"metrics\":[{\"sum\":{"
                "\"aggregationTemporality\":2,\"dataPoints\":[{\"asInt\":\"-7\",\"flags\":1}]}}]}]}"
                "]}",
                "{\"resourceMetrics\":[{\"scopeMetrics\":[{\"metrics\":[{\"sum\":{"
                "\"aggregationTemporality\":\"AGGREGATION_TEMPORALITY_CUMULATIVE\",\"dataPoints\":"
                "[{\"asInt\":-7,\"flags\":1.0}]}}]}]}]}");
    /* NaN and the infinities as strings. */
    struct pb r =
        decode_ok(DF_SIGNAL_METRICS, "{\"resourceMetrics\":[{\"scopeMetrics\":[{\"metrics\":[{"
                                     "\"gauge\":{\"dataPoints\":[{\"asDouble\":\"NaN\"},{"
                                     "\"asDouble\":\"Infinity\"},{\"asDouble\":\"-Infinity\"},{"
                                     "\"asDouble\":0}]}}]}]}]}");
    expect_u64(r.buf, r.len, "1.2.2.5.1[0].4", DF_PB_FIXED64, 0x7ff8000000000000ull);
    expect_u64(r.buf, r.len, "1.2.2.5.1[1].4", DF_PB_FIXED64, 0x7ff0000000000000ull);
    expect_u64(r.buf, r.len, "1.2.2.5.1[2].4", DF_PB_FIXED64, 0xfff0000000000000ull);
    expect_u64(r.buf, r.len, "1.2.2.5.1[3].4", DF_PB_FIXED64, 0); /* oneof: kept */
    free(r.buf);
}

static void test_json_base64_and_hex(void **state)
{
    (void)state;
    static const uint8_t want[] = {0xfb, 0xff, 0x01};
    const char *forms[] = {"+/8B", "-_8B"}; /* standard and URL-safe alphabets */
    for (size_t i = 0; i < 2; i++) {
        char json[256];
        snprintf(json, sizeof json,
                 "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"body\":{\"bytesValue\":"
                 "\"%s\"}}]}]}]}",
                 forms[i]);
        struct pb r = decode_ok(DF_SIGNAL_LOGS, json);
        expect_bytes(r.buf, r.len, "1.2.2.5.7", want, sizeof want);
        free(r.buf);
    }
    /* Padding is optional: "AQ" == "AQ==" == bytes {1}; "AQI" == "AQI=". */
    expect_same(DF_SIGNAL_LOGS,
                "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"body\":{\"bytesValue\":"
                "\"AQ\"}},{\"body\":{\"bytesValue\":\"AQI\"}}]}]}]}",
                "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"body\":{\"bytesValue\":"
                "\"AQ==\"}},{\"body\":{\"bytesValue\":\"AQI=\"}}]}]}]}");
    /* Ids are hex, any case, never base64; output is lower case. */
    expect_same(DF_SIGNAL_LOGS,
                "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"traceId\":"
                "\"5B8EFFF798038103D269B633813FC60C\",\"spanId\":\"EEE19B7EC3C1B174\"}]}]}]}",
                "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"traceId\":"
                "\"5b8eFFF798038103d269b633813fc60c\",\"spanId\":\"eee19b7ec3c1b174\"}]}]}]}");
    struct pb r = decode_ok(DF_SIGNAL_LOGS,
                            "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"traceId\":"
                            "\"5B8EFFF798038103D269B633813FC60C\",\"body\":{\"bytesValue\":"
                            "\"+/8B\"}}]}]}]}");
    char *json = encode(DF_SIGNAL_LOGS, r.buf, r.len);
    assert_string_equal(json, "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"body\":{"
                              "\"bytesValue\":\"+/8B\"},\"traceId\":"
                              "\"5b8efff798038103d269b633813fc60c\"}]}]}]}");
    free(json);
    free(r.buf);
}

/* ---- protobuf -> JSON --------------------------------------------------- */

static void kv_str(struct df_pb_writer *w, uint32_t field, const char *k, const char *v)
{
    size_t kv = df_pb_begin(w, field);
    if (*k)
        df_pb_put_string(w, 1, k);
    size_t av = df_pb_begin(w, 2);
    df_pb_put_string(w, 1, v);
    df_pb_end(w, av);
    df_pb_end(w, kv);
}

static void test_json_encode_exact(void **state)
{
    (void)state;
    struct df_pb_writer w;
    df_pb_writer_init(&w);
    size_t rl = df_pb_begin(&w, 1);
    size_t sl = df_pb_begin(&w, 2);
    size_t lr = df_pb_begin(&w, 2);
    df_pb_put_fixed64(&w, 1, 1);
    df_pb_put_varint(&w, 2, 9);
    size_t body = df_pb_begin(&w, 5);
    df_pb_put_string(&w, 1, "h\xc3\xa9\"\\\n\x01");
    df_pb_end(&w, body);
    kv_str(&w, 6, "k", "v");
    df_pb_put_fixed32(&w, 8, 1);
    df_pb_put_bytes(&w, 10, span_id, 8);
    df_pb_end(&w, lr);
    df_pb_end(&w, sl);
    df_pb_end(&w, rl);
    char *json = roundtrip(DF_SIGNAL_LOGS, w.buf, w.len);
    assert_string_equal(json,
                        "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"timeUnixNano\":"
                        "\"1\",\"severityNumber\":9,\"body\":{\"stringValue\":\"h\xc3\xa9\\\"\\\\"
                        "\\n\\u0001\"},\"attributes\":[{\"key\":\"k\",\"value\":{\"stringValue\":"
                        "\"v\"}}],\"flags\":1,\"spanId\":\"eee19b7ec3c1b174\"}]}]}]}");
    free(json);
    /* Empty requests. */
    json = encode(DF_SIGNAL_TRACES, NULL, 0);
    assert_string_equal(json, "{}");
    free(json);
    df_pb_writer_free(&w);
}

/* A logs request touching every field and the AnyValue corners. */
static void build_logs(struct df_pb_writer *w)
{
    static const uint8_t bytes[] = {0x00, 0xff, 0x10};
    size_t rl = df_pb_begin(w, 1);
    size_t res = df_pb_begin(w, 1);
    kv_str(w, 1, "service.name", "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80");
    df_pb_put_varint(w, 2, 3);
    size_t er = df_pb_begin(w, 3);
    df_pb_put_string(w, 1, "https://example.com/schema");
    df_pb_put_string(w, 2, "service");
    df_pb_put_string(w, 3, "service.name");
    df_pb_put_string(w, 3, "");
    df_pb_put_string(w, 4, "host.name");
    df_pb_end(w, er);
    df_pb_end(w, res);
    size_t sl = df_pb_begin(w, 2);
    size_t sc = df_pb_begin(w, 1);
    df_pb_put_string(w, 1, "lib");
    df_pb_put_varint(w, 4, 4294967295u);
    df_pb_end(w, sc);
    size_t lr = df_pb_begin(w, 2);
    df_pb_put_fixed64(w, 1, UINT64_MAX);
    df_pb_put_varint(w, 2, 24);
    df_pb_put_string(w, 3, "quote\" backslash\\ nl\n tab\t ctl\x01\x1f del\x7f / \xe2\x80\xa8");
    size_t body = df_pb_begin(w, 5);
    size_t kvl = df_pb_begin(w, 6);
    kv_str(w, 1, "", ""); /* empty key (omitted), empty string value (kept) */
    size_t kv = df_pb_begin(w, 1);
    df_pb_put_string(w, 1, "int0");
    size_t av = df_pb_begin(w, 2);
    df_pb_put_varint(w, 3, 0);
    df_pb_end(w, av);
    df_pb_end(w, kv);
    kv = df_pb_begin(w, 1);
    df_pb_put_string(w, 1, "intmin");
    av = df_pb_begin(w, 2);
    df_pb_put_varint(w, 3, (uint64_t)INT64_MIN);
    df_pb_end(w, av);
    df_pb_end(w, kv);
    kv = df_pb_begin(w, 1);
    df_pb_put_string(w, 1, "false");
    av = df_pb_begin(w, 2);
    df_pb_put_varint(w, 2, 0);
    df_pb_end(w, av);
    df_pb_end(w, kv);
    static const uint64_t doubles[] = {0x8000000000000000ull /* -0.0 */,
                                       0x7ff8000000000000ull,
                                       0x7ff0000000000000ull,
                                       0xfff0000000000000ull,
                                       0x0000000000000001ull /* smallest denormal */,
                                       0x3fb999999999999aull /* 0.1 */,
                                       0};
    for (size_t i = 0; i < sizeof doubles / sizeof *doubles; i++) {
        kv = df_pb_begin(w, 1);
        df_pb_put_string(w, 1, "d");
        av = df_pb_begin(w, 2);
        df_pb_put_fixed64(w, 4, doubles[i]);
        df_pb_end(w, av);
        df_pb_end(w, kv);
    }
    kv = df_pb_begin(w, 1);
    df_pb_put_string(w, 1, "bytes");
    av = df_pb_begin(w, 2);
    df_pb_put_bytes(w, 7, bytes, sizeof bytes);
    df_pb_end(w, av);
    df_pb_end(w, kv);
    kv = df_pb_begin(w, 1);
    df_pb_put_string(w, 1, "nobytes");
    av = df_pb_begin(w, 2);
    df_pb_put_bytes(w, 7, "", 0);
    df_pb_end(w, av);
    df_pb_end(w, kv);
    kv = df_pb_begin(w, 1);
    df_pb_put_string(w, 1, "arr");
    av = df_pb_begin(w, 2);
    size_t arr = df_pb_begin(w, 5);
    df_pb_end(w, df_pb_begin(w, 1)); /* an empty AnyValue */
    size_t e = df_pb_begin(w, 1);
    df_pb_put_string(w, 1, "x");
    df_pb_end(w, e);
    e = df_pb_begin(w, 1);
    df_pb_end(w, df_pb_begin(w, 5)); /* an empty array */
    df_pb_end(w, e);
    e = df_pb_begin(w, 1);
    df_pb_end(w, df_pb_begin(w, 6)); /* an empty kvlist */
    df_pb_end(w, e);
    df_pb_end(w, arr);
    df_pb_end(w, av);
    df_pb_end(w, kv);
    kv = df_pb_begin(w, 1);
    df_pb_put_string(w, 1, "novalue");
    df_pb_end(w, kv);
    df_pb_end(w, kvl);
    df_pb_end(w, body);
    kv_str(w, 6, "attr", "\xe4\xb8\xad\xe6\x96\x87");
    df_pb_put_varint(w, 7, 1);
    df_pb_put_fixed32(w, 8, 0xffffffffu);
    df_pb_put_bytes(w, 9, trace_id, 16);
    df_pb_put_bytes(w, 10, span_id, 8);
    df_pb_put_fixed64(w, 11, 1);
    df_pb_put_string(w, 12, "ev");
    df_pb_end(w, lr);
    df_pb_end(w, df_pb_begin(w, 2)); /* an empty record */
    df_pb_put_string(w, 3, "schema");
    df_pb_end(w, sl);
    df_pb_end(w, rl);
    df_pb_end(w, df_pb_begin(w, 1)); /* an empty ResourceLogs */
}

static void build_traces(struct df_pb_writer *w)
{
    size_t rs = df_pb_begin(w, 1);
    df_pb_end(w, df_pb_begin(w, 1)); /* empty resource */
    size_t ss = df_pb_begin(w, 2);
    size_t sp = df_pb_begin(w, 2);
    df_pb_put_bytes(w, 1, trace_id, 16);
    df_pb_put_bytes(w, 2, span_id, 8);
    df_pb_put_string(w, 3, "a=b,c=d");
    df_pb_put_bytes(w, 4, span_id, 8);
    df_pb_put_string(w, 5, "GET /");
    df_pb_put_varint(w, 6, 5);
    df_pb_put_fixed64(w, 7, 1);
    df_pb_put_fixed64(w, 8, UINT64_MAX);
    kv_str(w, 9, "k", "v");
    df_pb_put_varint(w, 10, 1);
    size_t ev = df_pb_begin(w, 11);
    df_pb_put_fixed64(w, 1, 2);
    df_pb_put_string(w, 2, "exception");
    kv_str(w, 3, "exception.message", "line1\nline2");
    df_pb_put_varint(w, 4, 7);
    df_pb_end(w, ev);
    df_pb_end(w, df_pb_begin(w, 11)); /* an empty event */
    df_pb_put_varint(w, 12, 4294967295u);
    size_t ln = df_pb_begin(w, 13);
    df_pb_put_bytes(w, 1, trace_id, 16);
    df_pb_put_bytes(w, 2, span_id, 8);
    df_pb_put_string(w, 3, "x=y");
    kv_str(w, 4, "l", "");
    df_pb_put_varint(w, 5, 2);
    df_pb_put_fixed32(w, 6, 0x300);
    df_pb_end(w, ln);
    df_pb_put_varint(w, 14, 9);
    size_t st = df_pb_begin(w, 15);
    df_pb_put_string(w, 2, "not found");
    df_pb_put_varint(w, 3, 2);
    df_pb_end(w, st);
    df_pb_put_fixed32(w, 16, 0x101);
    df_pb_end(w, sp);
    sp = df_pb_begin(w, 2);
    df_pb_put_varint(w, 6, (uint64_t)-1); /* an enum value of -1 */
    df_pb_end(w, df_pb_begin(w, 15));     /* an empty status */
    df_pb_end(w, sp);
    df_pb_put_string(w, 3, "https://opentelemetry.io/schemas/1.26.0");
    df_pb_end(w, ss);
    df_pb_end(w, rs);
}

static void exemplar(struct df_pb_writer *w, uint32_t field, bool as_int)
{
    size_t ex = df_pb_begin(w, field);
    df_pb_put_fixed64(w, 2, 3);
    if (!as_int)
        df_pb_put_double(w, 3, -2.5);
    df_pb_put_bytes(w, 4, span_id, 8);
    df_pb_put_bytes(w, 5, trace_id, 16);
    if (as_int)
        df_pb_put_fixed64(w, 6, (uint64_t)-1);
    kv_str(w, 7, "f", "g");
    df_pb_end(w, ex);
}

static void build_metrics(struct df_pb_writer *w)
{
    size_t rm = df_pb_begin(w, 1);
    size_t sm = df_pb_begin(w, 2);
    /* gauge: as_double 0 and as_int 0 are oneof members, kept */
    size_t m = df_pb_begin(w, 2);
    df_pb_put_string(w, 1, "g");
    df_pb_put_string(w, 3, "ms");
    size_t d = df_pb_begin(w, 5);
    size_t dp = df_pb_begin(w, 1);
    df_pb_put_fixed64(w, 4, 0);
    exemplar(w, 5, false);
    exemplar(w, 5, true);
    df_pb_end(w, dp);
    dp = df_pb_begin(w, 1);
    df_pb_put_fixed64(w, 2, 10);
    df_pb_put_fixed64(w, 3, 20);
    df_pb_put_fixed64(w, 6, 0);
    kv_str(w, 7, "a", "b");
    df_pb_put_varint(w, 8, 1);
    df_pb_end(w, dp);
    dp = df_pb_begin(w, 1);
    df_pb_put_fixed64(w, 6, (uint64_t)INT64_MIN);
    df_pb_end(w, dp);
    df_pb_end(w, df_pb_begin(w, 1)); /* no value at all */
    df_pb_end(w, d);
    kv_str(w, 12, "meta", "data");
    df_pb_end(w, m);
    /* sum */
    m = df_pb_begin(w, 2);
    df_pb_put_string(w, 1, "s");
    d = df_pb_begin(w, 7);
    dp = df_pb_begin(w, 1);
    df_pb_put_fixed64(w, 6, INT64_MAX);
    df_pb_end(w, dp);
    df_pb_put_varint(w, 2, 2);
    df_pb_put_varint(w, 3, 1);
    df_pb_end(w, d);
    df_pb_end(w, m);
    /* histogram: optional sum 0 kept; min -inf, max NaN */
    m = df_pb_begin(w, 2);
    df_pb_put_string(w, 1, "h");
    d = df_pb_begin(w, 9);
    dp = df_pb_begin(w, 1);
    df_pb_put_fixed64(w, 4, UINT64_MAX);
    df_pb_put_fixed64(w, 5, 0);
    size_t bc = df_pb_begin(w, 6);
    df_pb_put_raw_fixed64(w, 0);
    df_pb_put_raw_fixed64(w, UINT64_MAX);
    df_pb_put_raw_fixed64(w, 5);
    df_pb_end(w, bc);
    size_t eb = df_pb_begin(w, 7);
    df_pb_put_raw_fixed64(w, 0x8000000000000000ull);
    df_pb_put_raw_fixed64(w, 0x7fefffffffffffffull); /* DBL_MAX */
    df_pb_end(w, eb);
    exemplar(w, 8, false);
    kv_str(w, 9, "h", "i");
    df_pb_put_varint(w, 10, 1);
    df_pb_put_fixed64(w, 11, 0xfff0000000000000ull);
    df_pb_put_fixed64(w, 12, 0x7ff8000000000000ull);
    df_pb_end(w, dp);
    dp = df_pb_begin(w, 1); /* no sum, min or max */
    df_pb_put_fixed64(w, 4, 1);
    df_pb_end(w, dp);
    df_pb_put_varint(w, 2, 1);
    df_pb_end(w, d);
    df_pb_end(w, m);
    /* exponential histogram */
    m = df_pb_begin(w, 2);
    df_pb_put_string(w, 1, "e");
    d = df_pb_begin(w, 10);
    dp = df_pb_begin(w, 1);
    kv_str(w, 1, "x", "y");
    df_pb_put_fixed64(w, 2, 1);
    df_pb_put_fixed64(w, 3, 2);
    df_pb_put_fixed64(w, 4, 9);
    df_pb_put_double(w, 5, 1e300);
    df_pb_put_sint(w, 6, -5);
    df_pb_put_fixed64(w, 7, 3);
    size_t pos = df_pb_begin(w, 8);
    df_pb_put_sint(w, 1, -3);
    bc = df_pb_begin(w, 2);
    df_pb_put_raw_varint(w, 0);
    df_pb_put_raw_varint(w, 1);
    df_pb_put_raw_varint(w, UINT64_MAX);
    df_pb_end(w, bc);
    df_pb_end(w, pos);
    df_pb_end(w, df_pb_begin(w, 9)); /* empty negative buckets, present */
    df_pb_put_varint(w, 10, 1);
    exemplar(w, 11, true);
    df_pb_put_double(w, 12, 0);
    df_pb_put_double(w, 13, 12.75);
    df_pb_put_double(w, 14, 1e-300);
    df_pb_end(w, dp);
    df_pb_put_varint(w, 2, 2);
    df_pb_end(w, d);
    df_pb_end(w, m);
    /* summary */
    m = df_pb_begin(w, 2);
    df_pb_put_string(w, 1, "q");
    d = df_pb_begin(w, 11);
    dp = df_pb_begin(w, 1);
    df_pb_put_fixed64(w, 2, 1);
    df_pb_put_fixed64(w, 3, 2);
    df_pb_put_fixed64(w, 4, 100);
    df_pb_put_double(w, 5, 1234.5);
    df_pb_end(w, df_pb_begin(w, 6)); /* quantile 0, value 0 */
    size_t q = df_pb_begin(w, 6);
    df_pb_put_double(w, 1, 0.99);
    df_pb_put_double(w, 2, 1e10);
    df_pb_end(w, q);
    kv_str(w, 7, "s", "t");
    df_pb_put_varint(w, 8, 1);
    df_pb_end(w, dp);
    df_pb_end(w, d);
    df_pb_end(w, m);
    /* a metric without data, and empty data of each kind */
    m = df_pb_begin(w, 2);
    df_pb_put_string(w, 1, "none");
    df_pb_end(w, m);
    static const uint32_t kinds[] = {5, 7, 9, 10, 11};
    for (size_t i = 0; i < 5; i++) {
        m = df_pb_begin(w, 2);
        df_pb_end(w, df_pb_begin(w, kinds[i]));
        df_pb_end(w, m);
    }
    df_pb_end(w, sm);
    df_pb_end(w, rm);
}

static void test_json_roundtrip_hand_built(void **state)
{
    (void)state;
    void (*builders[DF_SIGNAL_COUNT])(struct df_pb_writer *) = {
        [DF_SIGNAL_LOGS] = build_logs,
        [DF_SIGNAL_METRICS] = build_metrics,
        [DF_SIGNAL_TRACES] = build_traces,
    };
    char *json[DF_SIGNAL_COUNT];
    for (int s = 0; s < DF_SIGNAL_COUNT; s++) {
        struct df_pb_writer w;
        df_pb_writer_init(&w);
        builders[s](&w);
        assert_int_equal(w.err, 0);
        json[s] = roundtrip((enum df_signal)s, w.buf, w.len);
        df_pb_writer_free(&w);
    }
    const char *logs = json[DF_SIGNAL_LOGS];
    expect_has(logs, "\"stringValue\":\"caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80\"");
    expect_has(logs, "\"entityRefs\":[{\"schemaUrl\":\"https://example.com/schema\",\"type\":"
                     "\"service\",\"idKeys\":[\"service.name\",\"\"],\"descriptionKeys\":["
                     "\"host.name\"]}]");
    expect_has(logs, "\"droppedAttributesCount\":4294967295");
    expect_has(logs, "\"timeUnixNano\":\"18446744073709551615\"");
    expect_has(logs, "\"severityText\":\"quote\\\" backslash\\\\ nl\\n tab\\t "
                     "ctl\\u0001\\u001f del\x7f / \xe2\x80\xa8\"");
    expect_has(logs, "{\"value\":{\"stringValue\":\"\"}}");
    expect_has(logs, "{\"key\":\"int0\",\"value\":{\"intValue\":\"0\"}}");
    expect_has(logs, "\"intValue\":\"-9223372036854775808\"");
    expect_has(logs, "\"boolValue\":false");
    expect_has(logs, "\"doubleValue\":-0.0}");
    expect_has(logs, "\"doubleValue\":\"NaN\"}");
    expect_has(logs, "\"doubleValue\":\"Infinity\"}");
    expect_has(logs, "\"doubleValue\":\"-Infinity\"}");
    expect_has(logs, "\"doubleValue\":4.94065645841247e-324}");
    expect_has(logs, "\"doubleValue\":0.1}");
    expect_has(logs, "\"doubleValue\":0}");
    expect_has(logs, "\"bytesValue\":\"AP8Q\"");
    expect_has(logs, "\"bytesValue\":\"\"");
    expect_has(logs, "\"arrayValue\":{\"values\":[{},{\"stringValue\":\"x\"},{\"arrayValue\":{}},"
                     "{\"kvlistValue\":{}}]}");
    expect_has(logs, "{\"key\":\"novalue\"}");
    expect_has(logs, "\"flags\":4294967295");
    expect_has(logs, "\"traceId\":\"5b8efff798038103d269b633813fc60c\"");
    expect_has(logs, "\"logRecords\":[{");
    expect_has(logs, "},{}],\"schemaUrl\":\"schema\"}]},{}]}");
    const char *traces = json[DF_SIGNAL_TRACES];
    expect_has(traces, "{\"resourceSpans\":[{\"resource\":{},");
    expect_has(traces, "\"kind\":5,");
    expect_has(traces, "\"kind\":-1,\"status\":{}}");
    expect_has(traces, "\"events\":[{\"timeUnixNano\":\"2\",\"name\":\"exception\"");
    expect_has(traces, "\"droppedEventsCount\":4294967295");
    expect_has(traces, "\"status\":{\"message\":\"not found\",\"code\":2}");
    const char *metrics = json[DF_SIGNAL_METRICS];
    expect_has(metrics, "\"gauge\":{\"dataPoints\":[{\"asDouble\":0,\"exemplars\":[{");
    expect_has(metrics, "\"asInt\":\"0\"");
    expect_has(metrics, "\"asInt\":\"-9223372036854775808\"");
    expect_has(metrics, "\"asInt\":\"-1\"");
    expect_has(metrics, "\"metadata\":[{\"key\":\"meta\"");
    expect_has(metrics, "\"count\":\"18446744073709551615\",\"sum\":0,\"bucketCounts\":[\"0\","
                        "\"18446744073709551615\",\"5\"],\"explicitBounds\":[-0.0,"
                        "1.7976931348623157e+308]");
    expect_has(metrics, "\"min\":\"-Infinity\",\"max\":\"NaN\"");
    expect_has(metrics, "\"scale\":-5,\"zeroCount\":\"3\",\"positive\":{\"offset\":-3,"
                        "\"bucketCounts\":[\"0\",\"1\",\"18446744073709551615\"]},\"negative\":{}");
    expect_has(metrics, "\"min\":0,\"max\":12.75,\"zeroThreshold\":1e-300");
    expect_has(metrics, "\"quantileValues\":[{},{\"quantile\":0.99,\"value\":10000000000}]");
    expect_has(metrics, "{\"name\":\"none\"},{\"gauge\":{}},{\"sum\":{}},{\"histogram\":{}},"
                        "{\"exponentialHistogram\":{}},{\"summary\":{}}");
    for (int s = 0; s < DF_SIGNAL_COUNT; s++)
        free(json[s]);
}

/* df_otlp_gen writes a few proto3 zero values (summary quantile 0.0, a
 * zero_count of 0), so its bytes are not quite canonical: the JSON must be
 * the same either way, and the re-encoded bytes must be a fixed point. */
static void test_json_roundtrip_generated(void **state)
{
    (void)state;
    for (int s = 0; s < DF_SIGNAL_COUNT; s++) {
        for (uint64_t seed = 1; seed <= 4; seed++) {
            enum df_signal sig = (enum df_signal)s;
            struct df_otlp_gen_opts o = {.items = 3 + 5 * (uint32_t)seed,
                                         .log_body_size = 40,
                                         .num_attributes = (uint32_t)seed * 3,
                                         .seed = seed};
            struct df_pb_writer w;
            df_pb_writer_init(&w);
            assert_int_equal(df_otlp_gen(sig, &o, &w), 0);
            char *json = encode(sig, w.buf, w.len);
            struct pb back = decode_ok(sig, json);
            uint64_t a, b;
            assert_int_equal(df_otlp_count(sig, w.buf, w.len, &a), 0);
            assert_int_equal(df_otlp_count(sig, back.buf, back.len, &b), 0);
            assert_int_equal(a, b);
            char *again = roundtrip(sig, back.buf, back.len);
            assert_string_equal(again, json);
            /* The generator writes canonical protobuf: byte for byte. */
            assert_int_equal(back.len, w.len);
            assert_memory_equal(back.buf, w.buf, w.len);
            free(again);
            free(json);
            free(back.buf);
            df_pb_writer_free(&w);
        }
    }
}

/* Non-canonical protobuf reads with protobuf's merge rules and comes out
 * canonical. */
static void test_json_encode_merges(void **state)
{
    (void)state;
    struct df_pb_writer w;
    df_pb_writer_init(&w);
    size_t rs = df_pb_begin(&w, 1);
    size_t ss = df_pb_begin(&w, 2);
    size_t sp = df_pb_begin(&w, 2);
    df_pb_put_string(&w, 5, "first");
    df_pb_put_varint(&w, 99, 1); /* unknown: dropped */
    size_t st = df_pb_begin(&w, 15);
    df_pb_put_string(&w, 2, "msg");
    df_pb_end(&w, st);
    df_pb_put_string(&w, 5, "second"); /* last wins */
    df_pb_put_varint(&w, 6, 0);        /* zero: left out */
    st = df_pb_begin(&w, 15);          /* merged with the first status */
    df_pb_put_varint(&w, 3, 1);
    df_pb_end(&w, st);
    kv_str(&w, 9, "a", "1");
    size_t kv = df_pb_begin(&w, 9);
    df_pb_put_string(&w, 1, "b");
    size_t av = df_pb_begin(&w, 2);
    df_pb_put_string(&w, 1, "dropped"); /* oneof: the last member wins */
    df_pb_put_varint(&w, 3, 5);
    df_pb_end(&w, av);
    df_pb_end(&w, kv);
    df_pb_end(&w, sp);
    df_pb_end(&w, ss);
    df_pb_end(&w, rs);
    char *json = encode(DF_SIGNAL_TRACES, w.buf, w.len);
    assert_string_equal(json, "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"name\":"
                              "\"second\",\"attributes\":[{\"key\":\"a\",\"value\":{"
                              "\"stringValue\":\"1\"}},{\"key\":\"b\",\"value\":{\"intValue\":"
                              "\"5\"}}],\"status\":{\"message\":\"msg\",\"code\":1}}]}]}]}");
    free(json);
    df_pb_writer_free(&w);

    /* Unpacked repeated numbers read like packed ones. */
    df_pb_writer_init(&w);
    size_t rm = df_pb_begin(&w, 1);
    size_t sm = df_pb_begin(&w, 2);
    size_t m = df_pb_begin(&w, 2);
    size_t h = df_pb_begin(&w, 9);
    size_t dp = df_pb_begin(&w, 1);
    df_pb_put_fixed64(&w, 6, 1);
    size_t bc = df_pb_begin(&w, 6);
    df_pb_put_raw_fixed64(&w, 2);
    df_pb_end(&w, bc);
    df_pb_put_fixed64(&w, 6, 3);
    df_pb_end(&w, df_pb_begin(&w, 7)); /* an empty packed list */
    df_pb_end(&w, dp);
    df_pb_end(&w, h);
    df_pb_end(&w, m);
    df_pb_end(&w, sm);
    df_pb_end(&w, rm);
    json = encode(DF_SIGNAL_METRICS, w.buf, w.len);
    assert_string_equal(json, "{\"resourceMetrics\":[{\"scopeMetrics\":[{\"metrics\":[{"
                              "\"histogram\":{\"dataPoints\":[{\"bucketCounts\":[\"1\",\"2\","
                              "\"3\"]}]}}]}]}]}");
    free(json);
    df_pb_writer_free(&w);
}

static void test_json_encode_rejects(void **state)
{
    (void)state;
    struct df_jbuf j;
    df_jbuf_init(&j);
    /* Malformed protobuf (a truncated length). */
    static const uint8_t trunc[] = {0x0a, 0x05, 0x12};
    assert_int_equal(df_otlp_pb_to_json(DF_SIGNAL_LOGS, trunc, sizeof trunc, &j), DF_EPARSE);
    assert_int_equal(j.len, 0);
    /* A 3-byte trace id. */
    static const uint8_t badid[] = {0x0a, 0x09, 0x12, 0x07, 0x12, 0x05, 0x4a, 0x03, 1, 2, 3};
    uint64_t items;
    assert_int_equal(df_otlp_count(DF_SIGNAL_LOGS, badid, sizeof badid, &items), 0);
    assert_int_equal(df_otlp_pb_to_json(DF_SIGNAL_LOGS, badid, sizeof badid, &j), DF_EPARSE);
    assert_int_equal(j.len, 0);
    assert_int_equal(df_otlp_pb_to_json(DF_SIGNAL_COUNT, badid, sizeof badid, &j), DF_EINVAL);
    /* Earlier contents of the buffer stay on failure, and output appends. */
    assert_int_equal(df_otlp_pb_to_json(DF_SIGNAL_LOGS, NULL, 0, &j), 0);
    assert_int_equal(df_otlp_pb_to_json(DF_SIGNAL_LOGS, badid, sizeof badid, &j), DF_EPARSE);
    assert_int_equal(df_otlp_pb_to_json(DF_SIGNAL_LOGS, NULL, 0, &j), 0);
    assert_string_equal(j.buf, "{}{}");
    df_jbuf_free(&j);
    df_jbuf_free(&j);
    assert_null(j.buf);
}

static void test_json_invalid_utf8_replaced(void **state)
{
    (void)state;
    struct df_pb_writer w;
    df_pb_writer_init(&w);
    size_t rl = df_pb_begin(&w, 1);
    size_t sl = df_pb_begin(&w, 2);
    size_t lr = df_pb_begin(&w, 2);
    /* a lone continuation byte, an overlong '/', a surrogate, a cut sequence */
    df_pb_put_string(&w, 3,
                     "a\x80"
                     "b\xc0\xaf"
                     "c\xed\xa0\x80"
                     "d\xe2\x82");
    df_pb_end(&w, lr);
    df_pb_end(&w, sl);
    df_pb_end(&w, rl);
    char *json = encode(DF_SIGNAL_LOGS, w.buf, w.len);
    const char *r = "\xef\xbf\xbd";
    char want[256];
    snprintf(want, sizeof want,
             "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"severityText\":"
             "\"a%sb%s%sc%s%s%sd%s%s\"}]}]}]}",
             r, r, r, r, r, r, r, r);
    assert_string_equal(json, want);
    /* ... and from there on it is stable. */
    struct pb back = decode_ok(DF_SIGNAL_LOGS, json);
    char *again = encode(DF_SIGNAL_LOGS, back.buf, back.len);
    assert_string_equal(again, json);
    free(again);
    free(back.buf);
    free(json);
    df_pb_writer_free(&w);
}

static void test_json_nul_in_strings(void **state)
{
    (void)state;
    static const char json[] = "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"body\":{"
                               "\"stringValue\":\"a\\u0000b\"}}]}]}]}";
    struct pb r = decode_ok(DF_SIGNAL_LOGS, json);
    expect_bytes(r.buf, r.len, "1.2.2.5.1", "a\0b", 3);
    char *out = roundtrip(DF_SIGNAL_LOGS, r.buf, r.len);
    assert_string_equal(out, json);
    free(out);
    free(r.buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_decode_logs_example),
        cmocka_unit_test(test_json_decode_traces_example),
        cmocka_unit_test(test_json_decode_metrics_example),
        cmocka_unit_test(test_json_errors_name_paths),
        cmocka_unit_test(test_json_depth_limit),
        cmocka_unit_test(test_json_snake_case_accepted),
        cmocka_unit_test(test_json_unknown_fields_ignored),
        cmocka_unit_test(test_json_numbers_and_enums),
        cmocka_unit_test(test_json_base64_and_hex),
        cmocka_unit_test(test_json_encode_exact),
        cmocka_unit_test(test_json_roundtrip_hand_built),
        cmocka_unit_test(test_json_roundtrip_generated),
        cmocka_unit_test(test_json_encode_merges),
        cmocka_unit_test(test_json_encode_rejects),
        cmocka_unit_test(test_json_invalid_utf8_replaced),
        cmocka_unit_test(test_json_nul_in_strings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
