/* Unit tests for OTLP validation, counting, splitting (otlp/otlp.h) and the
 * request generator (otlp/gen.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "df/error.h"
#include "otlp/gen.h"
#include "otlp/otlp.h"
#include "otlp/wire.h"

#define COUNT_OK(sig, buf, len, want)                                                              \
    do {                                                                                           \
        uint64_t n_ = 12345;                                                                       \
        assert_int_equal(df_otlp_count(sig, buf, len, &n_), 0);                                    \
        assert_int_equal(n_, want);                                                                \
    } while (0)

#define COUNT_BAD(sig, buf, len)                                                                   \
    do {                                                                                           \
        uint64_t n_ = 12345;                                                                       \
        assert_int_equal(df_otlp_count(sig, buf, len, &n_), DF_EPARSE);                            \
        assert_int_equal(n_, 12345);                                                               \
    } while (0)

/* ---- hand-encoded bytes ------------------------------------------------ */

static void test_literal_logs(void **state)
{
    (void)state;
    /* request { resource_logs { scope_logs { log_records {} log_records {} } } } */
    static const uint8_t two[] = {0x0a, 0x06, 0x12, 0x04, 0x12, 0x00, 0x12, 0x00};
    COUNT_OK(DF_SIGNAL_LOGS, two, sizeof two, 2);
    /* A log record whose body is an array holding `true`. */
    static const uint8_t body[] = {0x0a, 0x0c, 0x12, 0x0a, 0x12, 0x08, 0x2a,
                                   0x06, 0x2a, 0x04, 0x0a, 0x02, 0x10, 0x01};
    COUNT_OK(DF_SIGNAL_LOGS, body, sizeof body, 1);
    /* Same, but bool_value is length-delimited: wrong wire type deep down. */
    static const uint8_t bad[] = {0x0a, 0x0c, 0x12, 0x0a, 0x12, 0x08, 0x2a,
                                  0x06, 0x2a, 0x04, 0x0a, 0x02, 0x12, 0x00};
    COUNT_BAD(DF_SIGNAL_LOGS, bad, sizeof bad);
    /* Truncated anywhere: never valid with the same count. */
    for (size_t n = 1; n < sizeof body; n++) {
        uint64_t items = 99;
        int rc = df_otlp_count(DF_SIGNAL_LOGS, body, n, &items);
        assert_int_equal(rc, DF_EPARSE);
    }
    /* Empty request, and the other signals read the same bytes differently. */
    COUNT_OK(DF_SIGNAL_LOGS, NULL, 0, 0);
    COUNT_OK(DF_SIGNAL_TRACES, two, sizeof two, 2);
    /* ScopeMetrics.metrics = 2 with empty Metric: no data points. */
    COUNT_OK(DF_SIGNAL_METRICS, two, sizeof two, 0);
    uint64_t n;
    assert_int_equal(df_otlp_count(DF_SIGNAL_COUNT, two, sizeof two, &n), DF_EINVAL);
}

/* ---- builders ---------------------------------------------------------- */

static void any_string(struct df_pb_writer *w, uint32_t field, const char *s)
{
    size_t m = df_pb_begin(w, field);
    df_pb_put_string(w, 1, s);
    df_pb_end(w, m);
}

static void attr_str(struct df_pb_writer *w, uint32_t field, const char *k, const char *v)
{
    size_t m = df_pb_begin(w, field);
    df_pb_put_string(w, 1, k);
    any_string(w, 2, v);
    df_pb_end(w, m);
}

/* An attribute whose value is a kvlist { inner = [1, "two", 3.0] }. */
static void attr_nested(struct df_pb_writer *w, uint32_t field)
{
    size_t kv = df_pb_begin(w, field);
    df_pb_put_string(w, 1, "outer");
    size_t av = df_pb_begin(w, 2);
    size_t kl = df_pb_begin(w, 6); /* kvlist_value */
    size_t kv2 = df_pb_begin(w, 1);
    df_pb_put_string(w, 1, "inner");
    size_t av2 = df_pb_begin(w, 2);
    size_t arr = df_pb_begin(w, 5); /* array_value */
    size_t e = df_pb_begin(w, 1);
    df_pb_put_varint(w, 3, 1);
    df_pb_end(w, e);
    any_string(w, 1, "two");
    e = df_pb_begin(w, 1);
    df_pb_put_double(w, 4, 3.0);
    df_pb_end(w, e);
    e = df_pb_begin(w, 1);
    df_pb_put_bytes(w, 7, "\x01\x02", 2);
    df_pb_end(w, e);
    df_pb_end(w, arr);
    df_pb_end(w, av2);
    df_pb_end(w, kv2);
    df_pb_end(w, kl);
    df_pb_end(w, av);
    df_pb_end(w, kv);
}

static void resource_with_attrs(struct df_pb_writer *w)
{
    size_t r = df_pb_begin(w, 1);
    attr_str(w, 1, "service.name", "svc");
    df_pb_put_varint(w, 2, 1);     /* dropped_attributes_count */
    size_t er = df_pb_begin(w, 3); /* entity_refs */
    df_pb_put_string(w, 2, "service");
    df_pb_put_string(w, 3, "service.name");
    df_pb_end(w, er);
    df_pb_end(w, r);
}

static void scope_msg(struct df_pb_writer *w)
{
    size_t s = df_pb_begin(w, 1);
    df_pb_put_string(w, 1, "lib");
    df_pb_put_string(w, 2, "1.2");
    attr_str(w, 3, "k", "v");
    df_pb_put_varint(w, 4, 0);
    df_pb_end(w, s);
}

/* A ResourceLogs with `nscopes` scopes of `per` records each. */
static void resource_logs(struct df_pb_writer *w, int nscopes, int per)
{
    size_t rl = df_pb_begin(w, 1);
    resource_with_attrs(w);
    for (int s = 0; s < nscopes; s++) {
        size_t sl = df_pb_begin(w, 2);
        scope_msg(w);
        for (int i = 0; i < per; i++) {
            size_t lr = df_pb_begin(w, 2);
            df_pb_put_fixed64(w, 1, 1700000000000000000ull);
            df_pb_put_varint(w, 2, 9);
            df_pb_put_string(w, 3, "INFO");
            any_string(w, 5, "hello");
            attr_str(w, 6, "a", "b");
            attr_nested(w, 6);
            df_pb_put_varint(w, 7, 2);
            df_pb_put_fixed32(w, 8, 1);
            df_pb_put_bytes(w, 9, "0123456789abcdef", 16);
            df_pb_put_bytes(w, 10, "01234567", 8);
            df_pb_put_fixed64(w, 11, 1700000000000000001ull);
            df_pb_put_string(w, 12, "evt");
            df_pb_end(w, lr);
        }
        df_pb_put_string(w, 3, "https://schema");
        df_pb_end(w, sl);
    }
    df_pb_put_string(w, 3, "https://schema");
    df_pb_end(w, rl);
}

static void test_logs_count(void **state)
{
    (void)state;
    struct df_pb_writer w;
    df_pb_writer_init(&w);
    resource_logs(&w, 2, 3);
    resource_logs(&w, 1, 0);
    resource_logs(&w, 3, 1);
    assert_int_equal(w.err, 0);
    COUNT_OK(DF_SIGNAL_LOGS, w.buf, w.len, 9);
    struct df_otlp_stats st;
    assert_int_equal(df_otlp_stats(DF_SIGNAL_LOGS, w.buf, w.len, &st), 0);
    assert_int_equal(st.resources, 3);
    assert_int_equal(st.scopes, 6);
    assert_int_equal(st.items, 9);
    assert_int_equal(st.metrics, 0);
    df_pb_writer_free(&w);
}

/* A request whose single log record has a body nested `depth` AnyValues
 * deep (arrays of one element), or kvlists when `kv`. */
static void deep_body(struct df_pb_writer *w, unsigned depth, int kv)
{
    size_t marks[3 * 80];
    size_t n = 0;
    marks[n++] = df_pb_begin(w, 1); /* ResourceLogs */
    marks[n++] = df_pb_begin(w, 2); /* ScopeLogs */
    marks[n++] = df_pb_begin(w, 2); /* LogRecord */
    marks[n++] = df_pb_begin(w, 5); /* body: AnyValue at depth 1 */
    for (unsigned d = 1; d < depth; d++) {
        if (kv) {
            marks[n++] = df_pb_begin(w, 6); /* kvlist_value */
            marks[n++] = df_pb_begin(w, 1); /* KeyValue */
            df_pb_put_string(w, 1, "k");
            marks[n++] = df_pb_begin(w, 2); /* AnyValue */
        } else {
            marks[n++] = df_pb_begin(w, 5); /* array_value */
            marks[n++] = df_pb_begin(w, 1); /* AnyValue */
        }
    }
    df_pb_put_varint(w, 3, 7);
    while (n)
        df_pb_end(w, marks[--n]);
}

static void test_depth_limit(void **state)
{
    (void)state;
    for (int kv = 0; kv <= 1; kv++) {
        struct df_pb_writer w;
        df_pb_writer_init(&w);
        deep_body(&w, DF_OTLP_MAX_DEPTH, kv);
        COUNT_OK(DF_SIGNAL_LOGS, w.buf, w.len, 1);
        df_pb_writer_free(&w);
        deep_body(&w, DF_OTLP_MAX_DEPTH + 1, kv);
        COUNT_BAD(DF_SIGNAL_LOGS, w.buf, w.len);
        df_pb_writer_free(&w);
    }
}

/* ---- metrics ----------------------------------------------------------- */

enum packing { PACKED, UNPACKED };

static void exemplar(struct df_pb_writer *w, uint32_t field)
{
    size_t e = df_pb_begin(w, field);
    attr_str(w, 7, "f", "x");
    df_pb_put_fixed64(w, 2, 5);
    df_pb_put_double(w, 3, 1.5);
    df_pb_put_bytes(w, 4, "01234567", 8);
    df_pb_put_bytes(w, 5, "0123456789abcdef", 16);
    df_pb_end(w, e);
}

static void number_points(struct df_pb_writer *w, int n)
{
    for (int i = 0; i < n; i++) {
        size_t dp = df_pb_begin(w, 1);
        attr_str(w, 7, "cpu", "0");
        df_pb_put_fixed64(w, 2, 1);
        df_pb_put_fixed64(w, 3, 2);
        if (i % 2)
            df_pb_put_fixed64(w, 6, (uint64_t)-3); /* as_int */
        else
            df_pb_put_double(w, 4, 0.25);
        exemplar(w, 5);
        df_pb_put_varint(w, 8, 0);
        df_pb_end(w, dp);
    }
}

static void histogram_point(struct df_pb_writer *w, enum packing pk)
{
    size_t dp = df_pb_begin(w, 1);
    attr_nested(w, 9);
    df_pb_put_fixed64(w, 2, 1);
    df_pb_put_fixed64(w, 3, 2);
    df_pb_put_fixed64(w, 4, 6);
    df_pb_put_double(w, 5, 10.0);
    if (pk == PACKED) {
        size_t bc = df_pb_begin(w, 6);
        for (uint64_t i = 1; i <= 3; i++)
            df_pb_put_raw_fixed64(w, i);
        df_pb_end(w, bc);
        size_t eb = df_pb_begin(w, 7);
        uint64_t bits;
        double b = 1.0;
        memcpy(&bits, &b, sizeof bits);
        df_pb_put_raw_fixed64(w, bits);
        b = 2.0;
        memcpy(&bits, &b, sizeof bits);
        df_pb_put_raw_fixed64(w, bits);
        df_pb_end(w, eb);
    } else {
        for (uint64_t i = 1; i <= 3; i++)
            df_pb_put_fixed64(w, 6, i);
        df_pb_put_double(w, 7, 1.0);
        df_pb_put_double(w, 7, 2.0);
    }
    exemplar(w, 8);
    df_pb_put_varint(w, 10, 1);
    df_pb_put_double(w, 11, 0.1);
    df_pb_put_double(w, 12, 9.0);
    df_pb_end(w, dp);
}

static void exp_histogram_point(struct df_pb_writer *w, enum packing pk)
{
    size_t dp = df_pb_begin(w, 1);
    attr_str(w, 1, "k", "v");
    df_pb_put_fixed64(w, 2, 1);
    df_pb_put_fixed64(w, 3, 2);
    df_pb_put_fixed64(w, 4, 300);
    df_pb_put_double(w, 5, 10.0);
    df_pb_put_sint(w, 6, -2);
    df_pb_put_fixed64(w, 7, 1);
    for (uint32_t side = 8; side <= 9; side++) {
        size_t b = df_pb_begin(w, side);
        df_pb_put_sint(w, 1, -1);
        if (pk == PACKED) {
            size_t bc = df_pb_begin(w, 2);
            df_pb_put_raw_varint(w, 150);
            df_pb_put_raw_varint(w, 0);
            df_pb_end(w, bc);
        } else {
            df_pb_put_varint(w, 2, 150);
            df_pb_put_varint(w, 2, 0);
        }
        df_pb_end(w, b);
    }
    df_pb_put_varint(w, 10, 0);
    exemplar(w, 11);
    df_pb_put_double(w, 12, 0.5);
    df_pb_put_double(w, 13, 5.0);
    df_pb_put_double(w, 14, 0.0);
    df_pb_end(w, dp);
}

static void summary_point(struct df_pb_writer *w)
{
    size_t dp = df_pb_begin(w, 1);
    df_pb_put_fixed64(w, 2, 1);
    df_pb_put_fixed64(w, 3, 2);
    df_pb_put_fixed64(w, 4, 3);
    df_pb_put_double(w, 5, 4.5);
    for (int q = 0; q < 2; q++) {
        size_t qv = df_pb_begin(w, 6);
        df_pb_put_double(w, 1, q ? 0.99 : 0.5);
        df_pb_put_double(w, 2, q ? 2.0 : 1.0);
        df_pb_end(w, qv);
    }
    attr_str(w, 7, "k", "v");
    df_pb_put_varint(w, 8, 0);
    df_pb_end(w, dp);
}

/* One ResourceMetrics with a metric of each kind: 2 gauge points, 1 sum,
 * 2 histogram (one packed, one not), 1 exponential, 1 summary = 7. */
static void resource_metrics(struct df_pb_writer *w)
{
    size_t rm = df_pb_begin(w, 1);
    resource_with_attrs(w);
    size_t sm = df_pb_begin(w, 2);
    scope_msg(w);
    size_t m = df_pb_begin(w, 2), d;
    df_pb_put_string(w, 1, "g");
    df_pb_put_string(w, 2, "a gauge");
    df_pb_put_string(w, 3, "1");
    d = df_pb_begin(w, 5);
    number_points(w, 2);
    df_pb_end(w, d);
    attr_str(w, 12, "meta", "data");
    df_pb_end(w, m);

    m = df_pb_begin(w, 2);
    df_pb_put_string(w, 1, "s");
    d = df_pb_begin(w, 7);
    number_points(w, 1);
    df_pb_put_varint(w, 2, 2);
    df_pb_put_varint(w, 3, 1);
    df_pb_end(w, d);
    df_pb_end(w, m);

    m = df_pb_begin(w, 2);
    df_pb_put_string(w, 1, "h");
    d = df_pb_begin(w, 9);
    histogram_point(w, PACKED);
    histogram_point(w, UNPACKED);
    df_pb_put_varint(w, 2, 1);
    df_pb_end(w, d);
    df_pb_end(w, m);

    m = df_pb_begin(w, 2);
    df_pb_put_string(w, 1, "e");
    d = df_pb_begin(w, 10);
    exp_histogram_point(w, PACKED);
    df_pb_put_varint(w, 2, 1);
    df_pb_end(w, d);
    df_pb_end(w, m);

    m = df_pb_begin(w, 2);
    df_pb_put_string(w, 1, "q");
    d = df_pb_begin(w, 11);
    summary_point(w);
    df_pb_end(w, d);
    df_pb_end(w, m);
    df_pb_end(w, sm);
    df_pb_end(w, rm);
}

static void test_metrics_count(void **state)
{
    (void)state;
    struct df_pb_writer w;
    df_pb_writer_init(&w);
    resource_metrics(&w);
    assert_int_equal(w.err, 0);
    COUNT_OK(DF_SIGNAL_METRICS, w.buf, w.len, 7);
    resource_metrics(&w);
    COUNT_OK(DF_SIGNAL_METRICS, w.buf, w.len, 14);
    struct df_otlp_stats st;
    assert_int_equal(df_otlp_stats(DF_SIGNAL_METRICS, w.buf, w.len, &st), 0);
    assert_int_equal(st.resources, 2);
    assert_int_equal(st.metrics, 10);
    assert_int_equal(st.items, 14);
    df_pb_writer_free(&w);

    /* Unpacked exponential buckets too. */
    size_t rm = df_pb_begin(&w, 1);
    size_t sm = df_pb_begin(&w, 2);
    size_t m = df_pb_begin(&w, 2);
    size_t d = df_pb_begin(&w, 10);
    exp_histogram_point(&w, UNPACKED);
    exp_histogram_point(&w, PACKED);
    df_pb_end(&w, d);
    df_pb_end(&w, m);
    df_pb_end(&w, sm);
    df_pb_end(&w, rm);
    COUNT_OK(DF_SIGNAL_METRICS, w.buf, w.len, 2);
    df_pb_writer_free(&w);
}

/* Wraps one histogram data point body (given raw) into a request. */
static void wrap_hist_point(struct df_pb_writer *w, const uint8_t *dp, size_t n)
{
    size_t rm = df_pb_begin(w, 1);
    size_t sm = df_pb_begin(w, 2);
    size_t m = df_pb_begin(w, 2);
    size_t d = df_pb_begin(w, 9);
    df_pb_put_bytes(w, 1, dp, n);
    df_pb_end(w, d);
    df_pb_end(w, m);
    df_pb_end(w, sm);
    df_pb_end(w, rm);
}

static void test_packed_rules(void **state)
{
    (void)state;
    struct df_pb_writer w;
    df_pb_writer_init(&w);
    /* bucket_counts packed with 16 bytes: fine; 12 bytes: not a multiple of 8. */
    static const uint8_t ok[] = {0x32, 0x10, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0};
    wrap_hist_point(&w, ok, sizeof ok);
    COUNT_OK(DF_SIGNAL_METRICS, w.buf, w.len, 1);
    df_pb_writer_free(&w);
    static const uint8_t odd[] = {0x32, 0x0c, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0};
    wrap_hist_point(&w, odd, sizeof odd);
    COUNT_BAD(DF_SIGNAL_METRICS, w.buf, w.len);
    df_pb_writer_free(&w);
    /* explicit_bounds as a varint or fixed32: wrong. */
    static const uint8_t bvar[] = {0x38, 0x01};
    wrap_hist_point(&w, bvar, sizeof bvar);
    COUNT_BAD(DF_SIGNAL_METRICS, w.buf, w.len);
    df_pb_writer_free(&w);
    static const uint8_t b32[] = {0x3d, 0, 0, 0, 0};
    wrap_hist_point(&w, b32, sizeof b32);
    COUNT_BAD(DF_SIGNAL_METRICS, w.buf, w.len);
    df_pb_writer_free(&w);
    /* count (fixed64) as a varint: wrong. */
    static const uint8_t cvar[] = {0x20, 0x05};
    wrap_hist_point(&w, cvar, sizeof cvar);
    COUNT_BAD(DF_SIGNAL_METRICS, w.buf, w.len);
    df_pb_writer_free(&w);

    /* Exponential buckets: packed varints must each be complete. */
    static const uint8_t good_b[] = {0x12, 0x03, 0x96, 0x01, 0x00};
    static const uint8_t trunc_b[] = {0x12, 0x02, 0x96, 0x96};
    for (int bad = 0; bad <= 1; bad++) {
        size_t rm = df_pb_begin(&w, 1);
        size_t sm = df_pb_begin(&w, 2);
        size_t m = df_pb_begin(&w, 2);
        size_t d = df_pb_begin(&w, 10);
        size_t dp = df_pb_begin(&w, 1);
        size_t b = df_pb_begin(&w, 8);
        if (bad)
            df_pb_put_raw(&w, trunc_b, sizeof trunc_b);
        else
            df_pb_put_raw(&w, good_b, sizeof good_b);
        df_pb_end(&w, b);
        df_pb_end(&w, dp);
        df_pb_end(&w, d);
        df_pb_end(&w, m);
        df_pb_end(&w, sm);
        df_pb_end(&w, rm);
        if (bad)
            COUNT_BAD(DF_SIGNAL_METRICS, w.buf, w.len);
        else
            COUNT_OK(DF_SIGNAL_METRICS, w.buf, w.len, 1);
        df_pb_writer_free(&w);
    }
}

/* ---- traces ------------------------------------------------------------ */

static void span(struct df_pb_writer *w, uint32_t flags_wtype)
{
    size_t sp = df_pb_begin(w, 2);
    df_pb_put_bytes(w, 1, "0123456789abcdef", 16);
    df_pb_put_bytes(w, 2, "01234567", 8);
    df_pb_put_string(w, 3, "k=v");
    df_pb_put_bytes(w, 4, "76543210", 8);
    df_pb_put_string(w, 5, "op");
    df_pb_put_varint(w, 6, 2);
    df_pb_put_fixed64(w, 7, 100);
    df_pb_put_fixed64(w, 8, 200);
    attr_nested(w, 9);
    df_pb_put_varint(w, 10, 0);
    size_t ev = df_pb_begin(w, 11);
    df_pb_put_fixed64(w, 1, 150);
    df_pb_put_string(w, 2, "event");
    attr_str(w, 3, "a", "b");
    df_pb_put_varint(w, 4, 1);
    df_pb_end(w, ev);
    df_pb_put_varint(w, 12, 0);
    size_t ln = df_pb_begin(w, 13);
    df_pb_put_bytes(w, 1, "0123456789abcdef", 16);
    df_pb_put_bytes(w, 2, "01234567", 8);
    df_pb_put_string(w, 3, "");
    attr_str(w, 4, "a", "b");
    df_pb_put_varint(w, 5, 0);
    df_pb_put_fixed32(w, 6, 1);
    df_pb_end(w, ln);
    df_pb_put_varint(w, 14, 3);
    size_t st = df_pb_begin(w, 15);
    df_pb_put_string(w, 2, "oops");
    df_pb_put_varint(w, 3, 2);
    df_pb_end(w, st);
    if (flags_wtype == DF_PB_FIXED32)
        df_pb_put_fixed32(w, 16, 0x100);
    else
        df_pb_put_varint(w, 16, 0x100);
    df_pb_end(w, sp);
}

static void test_traces_count(void **state)
{
    (void)state;
    struct df_pb_writer w;
    df_pb_writer_init(&w);
    for (int r = 0; r < 2; r++) {
        size_t rs = df_pb_begin(&w, 1);
        resource_with_attrs(&w);
        size_t ss = df_pb_begin(&w, 2);
        scope_msg(&w);
        for (int i = 0; i < 4; i++)
            span(&w, DF_PB_FIXED32);
        df_pb_end(&w, ss);
        df_pb_end(&w, rs);
    }
    COUNT_OK(DF_SIGNAL_TRACES, w.buf, w.len, 8);
    /* Read as logs, the spans' fields do not fit LogRecord's schema. */
    COUNT_BAD(DF_SIGNAL_LOGS, w.buf, w.len);
    df_pb_writer_free(&w);

    /* Span.flags is fixed32: a varint is rejected. */
    size_t rs = df_pb_begin(&w, 1);
    size_t ss = df_pb_begin(&w, 2);
    span(&w, DF_PB_VARINT);
    df_pb_end(&w, ss);
    df_pb_end(&w, rs);
    COUNT_BAD(DF_SIGNAL_TRACES, w.buf, w.len);
    df_pb_writer_free(&w);
}

/* ---- wrong wire types, unknown fields ---------------------------------- */

/* A logs request around one log record made of the raw bytes given. */
static int logs_with_record(const uint8_t *rec, size_t n, uint64_t *items)
{
    struct df_pb_writer w;
    df_pb_writer_init(&w);
    size_t rl = df_pb_begin(&w, 1);
    size_t sl = df_pb_begin(&w, 2);
    df_pb_put_bytes(&w, 2, rec, n);
    df_pb_end(&w, sl);
    df_pb_end(&w, rl);
    int rc = df_otlp_count(DF_SIGNAL_LOGS, w.buf, w.len, items);
    df_pb_writer_free(&w);
    return rc;
}

static void test_wrong_wire_types(void **state)
{
    (void)state;
    static const struct {
        const char *what;
        uint8_t bytes[10];
        size_t n;
    } bad[] = {
        {"time as varint", {0x08, 0x01}, 2},
        {"severity_number as fixed64", {0x11, 0, 0, 0, 0, 0, 0, 0, 0}, 9},
        {"severity_text as varint", {0x18, 0x01}, 2},
        {"body as varint", {0x28, 0x01}, 2},
        {"attributes as fixed32", {0x35, 0, 0, 0, 0}, 5},
        {"flags as varint", {0x40, 0x01}, 2},
        {"flags as fixed64", {0x41, 0, 0, 0, 0, 0, 0, 0, 0}, 9},
        {"trace_id as varint", {0x48, 0x01}, 2},
        {"observed_time as fixed32", {0x5d, 0, 0, 0, 0}, 5},
        {"body with string_value as varint", {0x2a, 0x02, 0x08, 0x01}, 4},
        {"attribute key as varint", {0x32, 0x02, 0x08, 0x01}, 4},
        {"attribute value as varint", {0x32, 0x02, 0x10, 0x01}, 4},
        {"body double_value as varint", {0x2a, 0x02, 0x20, 0x01}, 4},
        {"body kvlist as varint", {0x2a, 0x02, 0x30, 0x01}, 4},
        {"attribute holding garbage", {0x32, 0x02, 0x0a, 0x05}, 4},
    };
    uint64_t items;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int rc = logs_with_record(bad[i].bytes, bad[i].n, &items);
        if (rc != DF_EPARSE)
            print_error("%s: accepted\n", bad[i].what);
        assert_int_equal(rc, DF_EPARSE);
    }
    /* The same fields with their right wire types are fine. */
    static const uint8_t good[] = {0x09, 1,    0,    0,    0, 0, 0, 0, 0, /* time */
                                   0x10, 0x09,                            /* severity_number */
                                   0x1a, 0x01, 'I',                       /* severity_text */
                                   0x2a, 0x02, 0x10, 0x01,                /* body: bool true */
                                   0x45, 1,    0,    0,    0,             /* flags */
                                   0x4a, 0x00};                           /* trace_id */
    items = 0;
    assert_int_equal(logs_with_record(good, sizeof good, &items), 0);
    assert_int_equal(items, 1);

    /* Top level: field 1 must be length-delimited. */
    static const uint8_t top[] = {0x08, 0x01};
    COUNT_BAD(DF_SIGNAL_LOGS, top, sizeof top);
    /* Resource as varint inside ResourceSpans. */
    static const uint8_t res[] = {0x0a, 0x02, 0x08, 0x01};
    COUNT_BAD(DF_SIGNAL_TRACES, res, sizeof res);
    /* Metric.gauge as fixed32. */
    static const uint8_t gauge[] = {0x0a, 0x09, 0x12, 0x07, 0x12, 0x05, 0x2d, 0, 0, 0, 0};
    COUNT_BAD(DF_SIGNAL_METRICS, gauge, sizeof gauge);
    /* Status.code as LEN. */
    static const uint8_t status[] = {0x0a, 0x08, 0x12, 0x06, 0x12, 0x04, 0x7a, 0x02, 0x1a, 0x00};
    COUNT_BAD(DF_SIGNAL_TRACES, status, sizeof status);
}

static void test_unknown_fields(void **state)
{
    (void)state;
    /* Unknown fields at every level are skipped, whatever their type. */
    static const uint8_t rec[] = {
        0x20, 0x07,                                     /* field 4 (reserved) varint */
        0x9a, 0x01, 0x03, 0xff, 0xfe, 0xfd,             /* field 19 bytes (not a message) */
        0xa5, 0x01, 1,    2,    3,    4,                /* field 20 fixed32 */
        0xa1, 0x06, 1,    2,    3,    4,    5, 6, 7, 8, /* field 100 fixed64 */
    };
    uint64_t items = 0;
    assert_int_equal(logs_with_record(rec, sizeof rec, &items), 0);
    assert_int_equal(items, 1);
    static const uint8_t top[] = {0x10, 0x01, 0x0a, 0x02, 0x12, 0x00, 0x1a, 0x01, 0x00};
    COUNT_OK(DF_SIGNAL_LOGS, top, sizeof top, 0);
    /* ...but must be well-formed. */
    static const uint8_t grp[] = {0x23};
    assert_int_equal(logs_with_record(grp, sizeof grp, &items), DF_EPARSE);
    static const uint8_t trunc[] = {0x9a, 0x01, 0x05, 0x00};
    assert_int_equal(logs_with_record(trunc, sizeof trunc, &items), DF_EPARSE);
    static const uint8_t toplevel_bad[] = {0x0a, 0x00, 0x13};
    COUNT_BAD(DF_SIGNAL_LOGS, toplevel_bad, sizeof toplevel_bad);
}

/* ---- parts ------------------------------------------------------------- */

static void gen(struct df_pb_writer *w, enum df_signal sig, uint32_t items, uint64_t seed)
{
    struct df_otlp_gen_opts o = {
        .items = items, .log_body_size = 32, .num_attributes = 3, .seed = seed};
    assert_int_equal(df_otlp_gen(sig, &o, w), 0);
}

static void test_parts(void **state)
{
    (void)state;
    for (int s = 0; s < DF_SIGNAL_COUNT; s++) {
        enum df_signal sig = (enum df_signal)s;
        struct df_pb_writer w;
        df_pb_writer_init(&w);
        gen(&w, sig, 3, 1);
        size_t first = w.len;
        df_pb_put_varint(&w, 7, 1); /* unknown top-level field */
        gen(&w, sig, 0, 2);
        gen(&w, sig, 5, 3);
        COUNT_OK(sig, w.buf, w.len, 8);

        struct df_otlp_part parts[4];
        size_t n = 0;
        assert_int_equal(df_otlp_parts(sig, w.buf, w.len, parts, 4, &n), 0);
        assert_int_equal(n, 3);
        assert_int_equal(parts[0].off, 0);
        assert_int_equal(parts[0].len, first);
        assert_int_equal(parts[0].items, 3);
        assert_int_equal(parts[1].off, first + 2);
        assert_int_equal(parts[1].items, 0);
        assert_int_equal(parts[2].items, 5);
        assert_int_equal(parts[2].off + parts[2].len, w.len);

        /* Every subset, concatenated in order, is a request of its items. */
        for (unsigned mask = 0; mask < 8; mask++) {
            struct df_pb_writer c;
            df_pb_writer_init(&c);
            uint64_t want = 0;
            for (unsigned i = 0; i < 3; i++) {
                if (mask & (1u << i)) {
                    df_pb_put_raw(&c, w.buf + parts[i].off, parts[i].len);
                    want += parts[i].items;
                }
            }
            COUNT_OK(sig, c.buf, c.len, want);
            struct df_otlp_part sub[3];
            size_t sn;
            assert_int_equal(df_otlp_parts(sig, c.buf, c.len, sub, 3, &sn), 0);
            assert_int_equal(sn, (size_t)__builtin_popcount(mask));
            df_pb_writer_free(&c);
        }

        /* Too many parts: DF_ERANGE with the number needed. */
        n = 0;
        memset(parts, 0, sizeof parts);
        assert_int_equal(df_otlp_parts(sig, w.buf, w.len, parts, 2, &n), DF_ERANGE);
        assert_int_equal(n, 3);
        assert_int_equal(parts[1].items, 0);
        assert_int_equal(parts[1].off, first + 2);
        assert_int_equal(df_otlp_parts(sig, w.buf, w.len, NULL, 0, &n), DF_ERANGE);
        assert_int_equal(n, 3);

        /* Malformed: DF_EPARSE, even when the parts would not fit. */
        assert_int_equal(df_otlp_parts(sig, w.buf, w.len - 1, parts, 4, &n), DF_EPARSE);
        assert_int_equal(df_otlp_parts(sig, w.buf, w.len - 1, NULL, 0, &n), DF_EPARSE);
        df_pb_writer_free(&w);
    }
}

/* ---- generator --------------------------------------------------------- */

/* The first field `num` of the message in [p, p+len) (asserted present). */
static struct df_pb_field field_of(const uint8_t *p, size_t len, uint32_t num)
{
    struct df_pb_reader r = df_pb_reader_make(p, len);
    struct df_pb_field f;
    while (df_pb_next(&r, &f) == 1) {
        if (f.num == num)
            return f;
    }
    fail_msg("field %u not found", num);
    return f;
}

static unsigned count_fields(const uint8_t *p, size_t len, uint32_t num)
{
    struct df_pb_reader r = df_pb_reader_make(p, len);
    struct df_pb_field f;
    unsigned n = 0;
    while (df_pb_next(&r, &f) == 1)
        n += f.num == num;
    return n;
}

static void test_gen_counts(void **state)
{
    (void)state;
    static const uint32_t sizes[] = {0, 1, 2, 5, 7, 100, 1000};
    for (int s = 0; s < DF_SIGNAL_COUNT; s++) {
        for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
            struct df_pb_writer w;
            df_pb_writer_init(&w);
            struct df_otlp_gen_opts o = {.items = sizes[i],
                                         .log_body_size = 300,
                                         .num_attributes = (uint32_t)i * 3,
                                         .seed = i};
            assert_int_equal(df_otlp_gen((enum df_signal)s, &o, &w), 0);
            COUNT_OK((enum df_signal)s, w.buf, w.len, sizes[i]);
            struct df_otlp_stats st;
            assert_int_equal(df_otlp_stats((enum df_signal)s, w.buf, w.len, &st), 0);
            assert_int_equal(st.resources, 1);
            assert_int_equal(st.scopes, 1);
            df_pb_writer_free(&w);
        }
    }
    struct df_pb_writer w;
    df_pb_writer_init(&w);
    struct df_otlp_gen_opts o = {.items = 1};
    assert_int_equal(df_otlp_gen(DF_SIGNAL_COUNT, &o, &w), DF_EINVAL);
    df_pb_writer_free(&w);
}

static void test_gen_logs_shape(void **state)
{
    (void)state;
    static const uint32_t bodies[] = {0, 1, 5, 127, 128, 1000, 4096};
    for (size_t b = 0; b < sizeof bodies / sizeof *bodies; b++) {
        struct df_pb_writer w;
        df_pb_writer_init(&w);
        struct df_otlp_gen_opts o = {
            .items = 3, .log_body_size = bodies[b], .num_attributes = 14, .seed = 9};
        assert_int_equal(df_otlp_gen(DF_SIGNAL_LOGS, &o, &w), 0);
        struct df_pb_field rl = field_of(w.buf, w.len, 1);
        /* Resource: service.name first. */
        struct df_pb_field res = field_of(rl.data, rl.len, 1);
        struct df_pb_field kv = field_of(res.data, res.len, 1);
        struct df_pb_field key = field_of(kv.data, kv.len, 1);
        assert_int_equal(key.len, strlen("service.name"));
        assert_memory_equal(key.data, "service.name", key.len);
        struct df_pb_field val =
            field_of(field_of(kv.data, kv.len, 2).data, field_of(kv.data, kv.len, 2).len, 1);
        assert_int_equal(val.len, strlen(DF_OTLP_GEN_SCOPE));
        assert_memory_equal(val.data, DF_OTLP_GEN_SCOPE, val.len);
        assert_true(count_fields(res.data, res.len, 1) >= 3);

        struct df_pb_field sl = field_of(rl.data, rl.len, 2);
        struct df_pb_field sc = field_of(sl.data, sl.len, 1);
        struct df_pb_field name = field_of(sc.data, sc.len, 1);
        assert_memory_equal(name.data, DF_OTLP_GEN_SCOPE, name.len);
        assert_true(field_of(sc.data, sc.len, 2).len > 0);
        assert_int_equal(count_fields(sl.data, sl.len, 2), 3);

        struct df_pb_field rec = field_of(sl.data, sl.len, 2);
        struct df_pb_field body = field_of(rec.data, rec.len, 5);
        struct df_pb_field text = field_of(body.data, body.len, 1);
        assert_int_equal(text.wtype, DF_PB_LEN);
        assert_int_equal(text.len, bodies[b]);
        for (size_t i = 0; i < text.len; i++)
            assert_true(text.data[i] >= 0x20 && text.data[i] < 0x7f);
        assert_int_equal(count_fields(rec.data, rec.len, 6), 14);
        assert_int_equal(field_of(rec.data, rec.len, 9).len, 16);
        assert_int_equal(field_of(rec.data, rec.len, 10).len, 8);
        uint64_t t = field_of(rec.data, rec.len, 1).u64;
        assert_true(field_of(rec.data, rec.len, 11).u64 >= t);
        assert_true(field_of(rec.data, rec.len, 2).u64 >= 1);
        assert_true(field_of(rec.data, rec.len, 3).len > 0);
        df_pb_writer_free(&w);
    }
}

static void test_gen_metric_kinds(void **state)
{
    (void)state;
    struct df_pb_writer w;
    df_pb_writer_init(&w);
    struct df_otlp_gen_opts o = {.items = 10, .num_attributes = 2, .seed = 4};
    assert_int_equal(df_otlp_gen(DF_SIGNAL_METRICS, &o, &w), 0);
    struct df_pb_field rm = field_of(w.buf, w.len, 1);
    struct df_pb_field sm = field_of(rm.data, rm.len, 2);
    unsigned kinds[16] = {0};
    struct df_pb_reader r = df_pb_reader_make(sm.data, sm.len);
    struct df_pb_field m;
    while (df_pb_next(&r, &m) == 1) {
        if (m.num != 2)
            continue;
        static const uint32_t data[] = {5, 7, 9, 10, 11};
        for (size_t i = 0; i < 5; i++)
            kinds[data[i]] += count_fields(m.data, m.len, data[i]);
    }
    assert_int_equal(kinds[5], 2);
    assert_int_equal(kinds[7], 2);
    assert_int_equal(kinds[9], 2);
    assert_int_equal(kinds[10], 2);
    assert_int_equal(kinds[11], 2);
    df_pb_writer_free(&w);
}

static void test_gen_deterministic(void **state)
{
    (void)state;
    for (int s = 0; s < DF_SIGNAL_COUNT; s++) {
        struct df_pb_writer a, b, c;
        df_pb_writer_init(&a);
        df_pb_writer_init(&b);
        df_pb_writer_init(&c);
        struct df_otlp_gen_opts o = {.items = 50,
                                     .log_body_size = 64,
                                     .num_attributes = 5,
                                     .seed = 42,
                                     .time_unix_nano = 1600000000000000000ull};
        assert_int_equal(df_otlp_gen((enum df_signal)s, &o, &a), 0);
        assert_int_equal(df_otlp_gen((enum df_signal)s, &o, &b), 0);
        o.seed = 43;
        assert_int_equal(df_otlp_gen((enum df_signal)s, &o, &c), 0);
        assert_int_equal(a.len, b.len);
        assert_memory_equal(a.buf, b.buf, a.len);
        assert_true(a.len != c.len || memcmp(a.buf, c.buf, a.len) != 0);
        /* Appending: the writer's earlier content is kept. */
        size_t before = a.len;
        assert_int_equal(df_otlp_gen((enum df_signal)s, &o, &a), 0);
        assert_int_equal(a.len, before + c.len);
        assert_memory_equal(a.buf + before, c.buf, c.len);
        COUNT_OK((enum df_signal)s, a.buf, a.len, 100);
        df_pb_writer_free(&a);
        df_pb_writer_free(&b);
        df_pb_writer_free(&c);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_literal_logs),
        cmocka_unit_test(test_logs_count),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_metrics_count),
        cmocka_unit_test(test_packed_rules),
        cmocka_unit_test(test_traces_count),
        cmocka_unit_test(test_wrong_wire_types),
        cmocka_unit_test(test_unknown_fields),
        cmocka_unit_test(test_parts),
        cmocka_unit_test(test_gen_counts),
        cmocka_unit_test(test_gen_logs_shape),
        cmocka_unit_test(test_gen_metric_kinds),
        cmocka_unit_test(test_gen_deterministic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
