/* Unit tests for the human-readable OTLP dump (otlp/dump.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "df/error.h"
#include "otlp/dump.h"
#include "otlp/gen.h"
#include "otlp/wire.h"

#define T0 1700000000123456789ull /* 2023-11-14T22:13:20.123456789Z */

struct text {
    char *s;
    int rc;
};

static struct text dump(enum df_signal sig, const uint8_t *buf, size_t len,
                        enum df_otlp_verbosity v)
{
    struct text t = {0};
    size_t n = 0;
    FILE *f = open_memstream(&t.s, &n);
    assert_non_null(f);
    t.rc = df_otlp_dump(f, sig, buf, len, v);
    assert_int_equal(fclose(f), 0);
    return t;
}

static void expect_has(const struct text *t, const char *part)
{
    if (!strstr(t->s, part))
        print_error("output lacks '%s':\n%s\n", part, t->s);
    assert_non_null(strstr(t->s, part));
}

static void expect_lacks(const struct text *t, const char *part)
{
    if (strstr(t->s, part))
        print_error("output has '%s':\n%s\n", part, t->s);
    assert_null(strstr(t->s, part));
}

static size_t lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* ---- builders ---------------------------------------------------------- */

static void attr_str(struct df_pb_writer *w, uint32_t field, const char *k, const char *v)
{
    size_t m = df_pb_begin(w, field);
    df_pb_put_string(w, 1, k);
    size_t a = df_pb_begin(w, 2);
    df_pb_put_string(w, 1, v);
    df_pb_end(w, a);
    df_pb_end(w, m);
}

/* k = [1, "x", {a = true}, 2.5, 0x00ff, null] */
static void attr_mixed(struct df_pb_writer *w, uint32_t field)
{
    size_t kv = df_pb_begin(w, field);
    df_pb_put_string(w, 1, "k");
    size_t av = df_pb_begin(w, 2);
    size_t arr = df_pb_begin(w, 5);
    size_t e = df_pb_begin(w, 1);
    df_pb_put_varint(w, 3, (uint64_t)-1);
    df_pb_end(w, e);
    e = df_pb_begin(w, 1);
    df_pb_put_string(w, 1, "x");
    df_pb_end(w, e);
    e = df_pb_begin(w, 1);
    size_t kl = df_pb_begin(w, 6);
    size_t kv2 = df_pb_begin(w, 1);
    df_pb_put_string(w, 1, "a");
    size_t av2 = df_pb_begin(w, 2);
    df_pb_put_varint(w, 2, 1);
    df_pb_end(w, av2);
    df_pb_end(w, kv2);
    df_pb_end(w, kl);
    df_pb_end(w, e);
    e = df_pb_begin(w, 1);
    df_pb_put_double(w, 4, 2.5);
    df_pb_end(w, e);
    e = df_pb_begin(w, 1);
    df_pb_put_bytes(w, 7, "\x00\xff", 2);
    df_pb_end(w, e);
    e = df_pb_begin(w, 1);
    df_pb_end(w, e);
    df_pb_end(w, arr);
    df_pb_end(w, av);
    df_pb_end(w, kv);
}

static void resource_and_scope_open(struct df_pb_writer *w, size_t *rl, size_t *sl)
{
    *rl = df_pb_begin(w, 1);
    size_t r = df_pb_begin(w, 1);
    attr_str(w, 1, "service.name", "checkout");
    df_pb_put_varint(w, 2, 4); /* dropped_attributes_count */
    df_pb_end(w, r);
    df_pb_put_string(w, 3, "https://schema/1");
    *sl = df_pb_begin(w, 2);
    size_t s = df_pb_begin(w, 1);
    df_pb_put_string(w, 1, "mylib");
    df_pb_put_string(w, 2, "2.0");
    attr_str(w, 3, "scope.attr", "sv");
    df_pb_end(w, s);
}

static void close2(struct df_pb_writer *w, size_t rl, size_t sl)
{
    df_pb_end(w, sl);
    df_pb_end(w, rl);
}

static void build_logs(struct df_pb_writer *w)
{
    size_t rl, sl;
    resource_and_scope_open(w, &rl, &sl);
    size_t lr = df_pb_begin(w, 2);
    df_pb_put_fixed64(w, 1, T0);
    df_pb_put_varint(w, 2, 13);
    df_pb_put_string(w, 3, "WARN");
    size_t b = df_pb_begin(w, 5);
    df_pb_put_string(w, 1, "disk \"full\"\n");
    df_pb_end(w, b);
    attr_mixed(w, 6);
    df_pb_put_varint(w, 7, 3);
    df_pb_put_fixed32(w, 8, 1);
    df_pb_put_bytes(w, 9, "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10", 16);
    df_pb_put_bytes(w, 10, "\xa1\xa2\xa3\xa4\xa5\xa6\xa7\xa8", 8);
    df_pb_put_fixed64(w, 11, T0 + 1);
    df_pb_put_string(w, 12, "disk.alert");
    df_pb_end(w, lr);
    /* A record with only a severity number and no body. */
    lr = df_pb_begin(w, 2);
    df_pb_put_varint(w, 2, 17);
    df_pb_end(w, lr);
    close2(w, rl, sl);
}

static void build_traces(struct df_pb_writer *w)
{
    size_t rl, sl;
    resource_and_scope_open(w, &rl, &sl);
    size_t sp = df_pb_begin(w, 2);
    df_pb_put_bytes(w, 1, "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10", 16);
    df_pb_put_bytes(w, 2, "\xa1\xa2\xa3\xa4\xa5\xa6\xa7\xa8", 8);
    df_pb_put_bytes(w, 4, "\xb1\xb2\xb3\xb4\xb5\xb6\xb7\xb8", 8);
    df_pb_put_string(w, 3, "vendor=x");
    df_pb_put_string(w, 5, "GET /cart");
    df_pb_put_varint(w, 6, 2);
    df_pb_put_fixed64(w, 7, T0);
    df_pb_put_fixed64(w, 8, T0 + 1500000);
    attr_str(w, 9, "http.method", "GET");
    df_pb_put_varint(w, 10, 1);
    size_t ev = df_pb_begin(w, 11);
    df_pb_put_fixed64(w, 1, T0 + 10);
    df_pb_put_string(w, 2, "retry");
    attr_str(w, 3, "attempt", "2");
    df_pb_end(w, ev);
    df_pb_put_varint(w, 12, 5);
    size_t ln = df_pb_begin(w, 13);
    df_pb_put_bytes(w, 1, "\xc1\xc2\xc3\xc4\xc5\xc6\xc7\xc8\xc9\xca\xcb\xcc\xcd\xce\xcf\xd0", 16);
    df_pb_put_bytes(w, 2, "\xd1\xd2\xd3\xd4\xd5\xd6\xd7\xd8", 8);
    df_pb_put_fixed32(w, 6, 0x300);
    df_pb_end(w, ln);
    df_pb_put_varint(w, 14, 6);
    size_t st = df_pb_begin(w, 15);
    df_pb_put_string(w, 2, "boom");
    df_pb_put_varint(w, 3, 2);
    df_pb_end(w, st);
    df_pb_put_fixed32(w, 16, 1);
    df_pb_end(w, sp);
    close2(w, rl, sl);
}

static void build_metrics(struct df_pb_writer *w)
{
    size_t rl, sl;
    resource_and_scope_open(w, &rl, &sl);
    size_t m = df_pb_begin(w, 2);
    df_pb_put_string(w, 1, "http.requests");
    df_pb_put_string(w, 3, "{request}");
    size_t d = df_pb_begin(w, 7);
    size_t dp = df_pb_begin(w, 1);
    df_pb_put_fixed64(w, 3, T0);
    df_pb_put_fixed64(w, 6, 42);
    attr_str(w, 7, "route", "/cart");
    df_pb_end(w, dp);
    df_pb_put_varint(w, 2, 2);
    df_pb_put_varint(w, 3, 1);
    df_pb_end(w, d);
    df_pb_end(w, m);

    m = df_pb_begin(w, 2);
    df_pb_put_string(w, 1, "latency");
    d = df_pb_begin(w, 9);
    dp = df_pb_begin(w, 1);
    df_pb_put_fixed64(w, 4, 6);
    df_pb_put_double(w, 5, 12.5);
    size_t bc = df_pb_begin(w, 6);
    for (uint64_t i = 1; i <= 3; i++)
        df_pb_put_raw_fixed64(w, i);
    df_pb_end(w, bc);
    df_pb_put_double(w, 7, 0.5); /* explicit_bounds, unpacked */
    df_pb_put_double(w, 7, 1.0);
    size_t ex = df_pb_begin(w, 8);
    df_pb_put_double(w, 3, 0.75);
    df_pb_put_bytes(w, 4, "\xa1\xa2\xa3\xa4\xa5\xa6\xa7\xa8", 8);
    df_pb_end(w, ex);
    df_pb_put_double(w, 11, 0.25);
    df_pb_end(w, dp);
    df_pb_end(w, d);
    df_pb_end(w, m);

    m = df_pb_begin(w, 2);
    df_pb_put_string(w, 1, "temp");
    d = df_pb_begin(w, 5);
    dp = df_pb_begin(w, 1);
    df_pb_put_double(w, 4, 21.5);
    df_pb_end(w, dp);
    dp = df_pb_begin(w, 1);
    df_pb_put_double(w, 4, -3);
    df_pb_end(w, dp);
    df_pb_end(w, d);
    df_pb_end(w, m);

    m = df_pb_begin(w, 2);
    df_pb_put_string(w, 1, "exp");
    d = df_pb_begin(w, 10);
    dp = df_pb_begin(w, 1);
    df_pb_put_fixed64(w, 4, 9);
    df_pb_put_sint(w, 6, -3);
    size_t pos = df_pb_begin(w, 8);
    df_pb_put_sint(w, 1, -2);
    size_t pk = df_pb_begin(w, 2);
    df_pb_put_raw_varint(w, 4);
    df_pb_put_raw_varint(w, 5);
    df_pb_end(w, pk);
    df_pb_end(w, pos);
    df_pb_end(w, dp);
    df_pb_end(w, d);
    df_pb_end(w, m);

    m = df_pb_begin(w, 2);
    df_pb_put_string(w, 1, "rt");
    d = df_pb_begin(w, 11);
    dp = df_pb_begin(w, 1);
    df_pb_put_fixed64(w, 4, 3);
    df_pb_put_double(w, 5, 4.5);
    size_t q = df_pb_begin(w, 6);
    df_pb_put_double(w, 1, 0.99);
    df_pb_put_double(w, 2, 2);
    df_pb_end(w, q);
    df_pb_end(w, dp);
    df_pb_end(w, d);
    df_pb_end(w, m);
    close2(w, rl, sl);
}

/* ---- tests ------------------------------------------------------------- */

static void test_basic(void **state)
{
    (void)state;
    static const struct {
        enum df_signal sig;
        uint32_t items;
        const char *want;
    } cases[] = {
        {DF_SIGNAL_LOGS, 512, "logs: 1 resource, 512 log records\n"},
        {DF_SIGNAL_LOGS, 1, "logs: 1 resource, 1 log record\n"},
        {DF_SIGNAL_TRACES, 7, "traces: 1 resource, 7 spans\n"},
        {DF_SIGNAL_METRICS, 5, "metrics: 1 resource, 5 metrics, 5 data points\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct df_pb_writer w;
        df_pb_writer_init(&w);
        struct df_otlp_gen_opts o = {.items = cases[i].items, .log_body_size = 10, .seed = i};
        assert_int_equal(df_otlp_gen(cases[i].sig, &o, &w), 0);
        struct text t = dump(cases[i].sig, w.buf, w.len, DF_OTLP_BASIC);
        assert_int_equal(t.rc, 0);
        assert_string_equal(t.s, cases[i].want);
        free(t.s);
        if (i == 0) { /* two requests back to back */
            assert_int_equal(df_otlp_gen(cases[i].sig, &o, &w), 0);
            t = dump(cases[i].sig, w.buf, w.len, DF_OTLP_BASIC);
            assert_string_equal(t.s, "logs: 2 resources, 1024 log records\n");
            free(t.s);
        }
        df_pb_writer_free(&w);
    }
    struct text t = dump(DF_SIGNAL_TRACES, NULL, 0, DF_OTLP_BASIC);
    assert_int_equal(t.rc, 0);
    assert_string_equal(t.s, "traces: 0 resources, 0 spans\n");
    free(t.s);
}

static void test_normal_logs(void **state)
{
    (void)state;
    struct df_pb_writer w;
    df_pb_writer_init(&w);
    build_logs(&w);
    struct text t = dump(DF_SIGNAL_LOGS, w.buf, w.len, DF_OTLP_NORMAL);
    assert_int_equal(t.rc, 0);
    expect_has(&t, "logs: 1 resource, 2 log records\n");
    expect_has(&t, "resource #0 {service.name = \"checkout\"}\n");
    expect_has(&t, "  scope #0 mylib 2.0\n");
    expect_has(&t, "    2023-11-14T22:13:20.123456789Z WARN \"disk \\\"full\\\"\\n\" "
                   "{k = [-1, \"x\", {a = true}, 2.5, 0x00ff, null]}\n");
    /* Second record: no time, severity from the number, no body. */
    expect_has(&t, "    - ERROR null\n");
    expect_lacks(&t, "0102030405"); /* ids only at the detailed level */
    assert_int_equal(lines(t.s), 5);
    free(t.s);
    df_pb_writer_free(&w);
}

static void test_normal_traces(void **state)
{
    (void)state;
    struct df_pb_writer w;
    df_pb_writer_init(&w);
    build_traces(&w);
    struct text t = dump(DF_SIGNAL_TRACES, w.buf, w.len, DF_OTLP_NORMAL);
    assert_int_equal(t.rc, 0);
    expect_has(&t, "traces: 1 resource, 1 span\n");
    expect_has(&t, "    \"GET /cart\" 0102030405060708090a0b0c0d0e0f10 a1a2a3a4a5a6a7a8 SERVER "
                   "1.500000ms ERROR \"boom\"\n");
    free(t.s);
    df_pb_writer_free(&w);
}

static void test_normal_metrics(void **state)
{
    (void)state;
    struct df_pb_writer w;
    df_pb_writer_init(&w);
    build_metrics(&w);
    struct text t = dump(DF_SIGNAL_METRICS, w.buf, w.len, DF_OTLP_NORMAL);
    assert_int_equal(t.rc, 0);
    expect_has(&t, "metrics: 1 resource, 5 metrics, 6 data points\n");
    expect_has(&t, "    http.requests sum {request}\n      42 {route = \"/cart\"}\n");
    expect_has(&t, "    latency histogram\n      count=6 sum=12.5 min=0.25\n");
    expect_has(&t, "    temp gauge\n      21.5\n      -3\n");
    expect_has(&t, "    exp exponential_histogram\n      count=9 sum=0 scale=-3\n");
    expect_has(&t, "    rt summary\n      count=3 sum=4.5\n");
    free(t.s);
    df_pb_writer_free(&w);
}

static void test_detailed(void **state)
{
    (void)state;
    struct df_pb_writer w;
    df_pb_writer_init(&w);
    build_logs(&w);
    struct text t = dump(DF_SIGNAL_LOGS, w.buf, w.len, DF_OTLP_DETAILED);
    assert_int_equal(t.rc, 0);
    expect_has(&t, "resource_logs #0\n  resource\n    attribute: service.name = \"checkout\"\n"
                   "    dropped_attributes_count: 4\n");
    expect_has(&t, "  schema_url: \"https://schema/1\"\n");
    expect_has(&t, "    scope\n      name: \"mylib\"\n      version: \"2.0\"\n"
                   "      attribute: scope.attr = \"sv\"\n");
    expect_has(&t, "    log_record #0\n      time: 2023-11-14T22:13:20.123456789Z\n");
    expect_has(&t, "      severity_number: 13 (WARN)\n");
    expect_has(&t, "      dropped_attributes_count: 3\n");
    expect_has(&t, "      flags: 0x00000001\n");
    expect_has(&t, "      trace_id: 0102030405060708090a0b0c0d0e0f10\n");
    expect_has(&t, "      span_id: a1a2a3a4a5a6a7a8\n");
    expect_has(&t, "      observed_time: 2023-11-14T22:13:20.123456790Z\n");
    expect_has(&t, "      event_name: \"disk.alert\"\n");
    expect_has(&t, "    log_record #1\n      severity_number: 17 (ERROR)\n");
    free(t.s);
    df_pb_writer_free(&w);

    build_traces(&w);
    t = dump(DF_SIGNAL_TRACES, w.buf, w.len, DF_OTLP_DETAILED);
    assert_int_equal(t.rc, 0);
    expect_has(&t, "      parent_span_id: b1b2b3b4b5b6b7b8\n");
    expect_has(&t, "      trace_state: \"vendor=x\"\n");
    expect_has(&t, "      kind: SERVER\n");
    expect_has(&t, "      end_time: 2023-11-14T22:13:20.124956789Z\n");
    expect_has(&t, "      event #0\n        time: 2023-11-14T22:13:20.123456799Z\n"
                   "        name: \"retry\"\n        attribute: attempt = \"2\"\n");
    expect_has(&t, "      dropped_events_count: 5\n");
    expect_has(&t, "      link #0\n        trace_id: c1c2c3c4c5c6c7c8c9cacbcccdcecfd0\n"
                   "        span_id: d1d2d3d4d5d6d7d8\n        flags: 0x00000300\n");
    expect_has(&t, "      dropped_links_count: 6\n");
    expect_has(&t, "      status\n        message: \"boom\"\n        code: ERROR\n");
    free(t.s);
    df_pb_writer_free(&w);

    build_metrics(&w);
    t = dump(DF_SIGNAL_METRICS, w.buf, w.len, DF_OTLP_DETAILED);
    assert_int_equal(t.rc, 0);
    expect_has(&t, "aggregation_temporality: CUMULATIVE\n");
    expect_has(&t, "is_monotonic: true\n");
    expect_has(&t, "as_int: 42\n");
    expect_has(&t, "bucket_counts: [1, 2, 3]\n");
    expect_has(&t, "explicit_bounds: [0.5]\n");
    expect_has(&t, "explicit_bounds: [1]\n");
    expect_has(&t, "exemplar #0\n");
    expect_has(&t, "as_double: 0.75\n");
    expect_has(&t, "min: 0.25\n");
    expect_has(&t, "scale: -3\n");
    expect_has(&t, "positive\n");
    expect_has(&t, "offset: -2\n");
    expect_has(&t, "bucket_counts: [4, 5]\n");
    expect_has(&t, "quantile_value #0\n");
    expect_has(&t, "quantile: 0.99\n");
    free(t.s);
    df_pb_writer_free(&w);
}

static void test_detailed_unknown_fields(void **state)
{
    (void)state;
    /* resource_logs { field 9 varint } then top-level field 5 fixed32. */
    static const uint8_t b[] = {0x0a, 0x02, 0x48, 0x01, 0x2d, 1, 2, 3, 4};
    struct text t = dump(DF_SIGNAL_LOGS, b, sizeof b, DF_OTLP_DETAILED);
    assert_int_equal(t.rc, 0);
    expect_has(&t, "resource_logs #0\n  unknown field 9 (wire type 0)\nunknown field 5 (wire type "
                   "5)\n");
    free(t.s);
}

static void test_malformed(void **state)
{
    (void)state;
    struct df_pb_writer w;
    df_pb_writer_init(&w);
    build_logs(&w);
    /* A second resource, cut short. */
    size_t good = w.len;
    build_logs(&w);
    for (enum df_otlp_verbosity v = DF_OTLP_BASIC; v <= DF_OTLP_DETAILED; v++) {
        struct text t = dump(DF_SIGNAL_LOGS, w.buf, w.len - 3, v);
        assert_int_equal(t.rc, DF_EPARSE);
        expect_has(&t, "(malformed)");
        if (v != DF_OTLP_BASIC) {
            expect_has(&t, "checkout"); /* the first resource was printed */
            expect_has(&t, "malformed request");
        }
        free(t.s);
    }
    /* A wrong wire type deep inside: printed around, reported. */
    w.len = good;
    static const uint8_t bad[] = {0x0a, 0x08, 0x12, 0x06, 0x12, 0x04, 0x08, 0x01, 0x18, 0x01};
    for (enum df_otlp_verbosity v = DF_OTLP_BASIC; v <= DF_OTLP_DETAILED; v++) {
        struct text t = dump(DF_SIGNAL_LOGS, bad, sizeof bad, v);
        assert_int_equal(t.rc, DF_EPARSE);
        if (v == DF_OTLP_DETAILED)
            expect_has(&t, "time: <wire type 0, expected 1>");
        free(t.s);
    }
    /* Unknown signal or verbosity. */
    FILE *null = fopen("/dev/null", "w");
    assert_non_null(null);
    assert_int_equal(df_otlp_dump(null, DF_SIGNAL_COUNT, w.buf, w.len, DF_OTLP_BASIC), DF_EINVAL);
    assert_int_equal(df_otlp_dump(null, DF_SIGNAL_LOGS, w.buf, w.len, (enum df_otlp_verbosity)3),
                     DF_EINVAL);
    fclose(null);
    df_pb_writer_free(&w);
}

/* A log body nested `depth` arrays deep. */
static void deep(struct df_pb_writer *w, unsigned depth)
{
    size_t marks[200], n = 0;
    marks[n++] = df_pb_begin(w, 1);
    marks[n++] = df_pb_begin(w, 2);
    marks[n++] = df_pb_begin(w, 2);
    marks[n++] = df_pb_begin(w, 5);
    for (unsigned d = 1; d < depth; d++) {
        marks[n++] = df_pb_begin(w, 5);
        marks[n++] = df_pb_begin(w, 1);
    }
    df_pb_put_varint(w, 3, 7);
    while (n)
        df_pb_end(w, marks[--n]);
}

static void test_depth(void **state)
{
    (void)state;
    struct df_pb_writer w;
    df_pb_writer_init(&w);
    deep(&w, 64);
    struct text t = dump(DF_SIGNAL_LOGS, w.buf, w.len, DF_OTLP_NORMAL);
    assert_int_equal(t.rc, 0);
    expect_has(&t, "[[[[7]]]]");
    free(t.s);
    df_pb_writer_free(&w);
    deep(&w, 65);
    for (enum df_otlp_verbosity v = DF_OTLP_BASIC; v <= DF_OTLP_DETAILED; v++) {
        t = dump(DF_SIGNAL_LOGS, w.buf, w.len, v);
        assert_int_equal(t.rc, DF_EPARSE);
        if (v != DF_OTLP_BASIC)
            expect_has(&t, "...");
        free(t.s);
    }
    df_pb_writer_free(&w);
}

static void test_generated_all_levels(void **state)
{
    (void)state;
    for (int s = 0; s < DF_SIGNAL_COUNT; s++) {
        struct df_pb_writer w;
        df_pb_writer_init(&w);
        struct df_otlp_gen_opts o = {
            .items = 10, .log_body_size = 20, .num_attributes = 4, .seed = 3};
        assert_int_equal(df_otlp_gen((enum df_signal)s, &o, &w), 0);
        size_t prev = 0;
        for (enum df_otlp_verbosity v = DF_OTLP_BASIC; v <= DF_OTLP_DETAILED; v++) {
            struct text t = dump((enum df_signal)s, w.buf, w.len, v);
            assert_int_equal(t.rc, 0);
            size_t n = lines(t.s);
            assert_true(n > prev); /* each level says more */
            prev = n;
            if (v != DF_OTLP_BASIC)
                expect_has(&t, "service.name = \"df_engine.traffic_generator\"");
            free(t.s);
        }
        df_pb_writer_free(&w);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic),
        cmocka_unit_test(test_normal_logs),
        cmocka_unit_test(test_normal_traces),
        cmocka_unit_test(test_normal_metrics),
        cmocka_unit_test(test_detailed),
        cmocka_unit_test(test_detailed_unknown_fields),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_depth),
        cmocka_unit_test(test_generated_all_levels),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
