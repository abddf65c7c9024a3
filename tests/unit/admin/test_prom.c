/* Unit tests for the Prometheus text format writer (admin/prom.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <math.h>

#include <cmocka.h>

#include "admin/prom.h"
#include "df/error.h"

static void test_content_type(void **state)
{
    (void)state;
    assert_string_equal(DF_PROM_CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
}

static void test_empty(void **state)
{
    (void)state;
    struct df_prom p;
    df_prom_init(&p);
    assert_null(p.buf);
    assert_int_equal(p.len, 0);
    assert_int_equal(p.err, 0);
    size_t len = 99;
    assert_null(df_prom_take(&p, &len));
    assert_int_equal(len, 0);
    df_prom_free(&p);
}

static void test_family_and_samples(void **state)
{
    (void)state;
    struct df_prom p;
    df_prom_init(&p);
    df_prom_family(&p, "df_records_total", "counter", "Records received.");
    const char *names[] = {"node", "signal"};
    const char *values[] = {"in", "logs"};
    df_prom_sample_u64(&p, "df_records_total", names, values, 2, 42);
    df_prom_sample_u64(&p, "df_records_total", NULL, NULL, 0, 0);
    df_prom_family(&p, "df_queue_fill", "gauge", NULL);
    df_prom_sample(&p, "df_queue_fill", names, values, 1, 0.25);
    assert_int_equal(p.err, 0);
    assert_string_equal(p.buf, "# HELP df_records_total Records received.\n"
                               "# TYPE df_records_total counter\n"
                               "df_records_total{node=\"in\",signal=\"logs\"} 42\n"
                               "df_records_total 0\n"
                               "# TYPE df_queue_fill gauge\n"
                               "df_queue_fill{node=\"in\"} 0.25\n");
    assert_int_equal(p.len, strlen(p.buf));
    size_t len = 0;
    char *text = df_prom_take(&p, &len);
    assert_non_null(text);
    assert_int_equal(len, strlen(text));
    assert_null(p.buf);
    assert_int_equal(p.len, 0);
    free(text);
    df_prom_free(&p);
}

static void test_help_escaping(void **state)
{
    (void)state;
    struct df_prom p;
    df_prom_init(&p);
    /* Help escapes backslash and newline but not the double quote. */
    df_prom_family(&p, "a:b_c", "gauge", "line1\nback\\slash \"quoted\"");
    assert_int_equal(p.err, 0);
    assert_string_equal(p.buf, "# HELP a:b_c line1\\nback\\\\slash \"quoted\"\n"
                               "# TYPE a:b_c gauge\n");
    df_prom_free(&p);
}

static void test_label_escaping(void **state)
{
    (void)state;
    struct df_prom p;
    df_prom_init(&p);
    const char *names[] = {"v", "empty", "utf8"};
    const char *values[] = {"a\\b\"c\nd", "", "h\xc3\xa9llo"};
    df_prom_sample_u64(&p, "m", names, values, 3, 7);
    assert_int_equal(p.err, 0);
    assert_string_equal(p.buf, "m{v=\"a\\\\b\\\"c\\nd\",empty=\"\",utf8=\"h\xc3\xa9llo\"} 7\n");
    df_prom_free(&p);
}

static const char *fmt_double(double v, char *out, size_t outlen)
{
    struct df_prom p;
    df_prom_init(&p);
    df_prom_sample(&p, "x", NULL, NULL, 0, v);
    assert_int_equal(p.err, 0);
    assert_true(p.len > 3);
    assert_memory_equal(p.buf, "x ", 2);
    assert_int_equal(p.buf[p.len - 1], '\n');
    assert_true(p.len - 3 < outlen);
    memcpy(out, p.buf + 2, p.len - 3);
    out[p.len - 3] = '\0';
    df_prom_free(&p);
    return out;
}

static void test_special_floats(void **state)
{
    (void)state;
    char b[64];
    assert_string_equal(fmt_double(NAN, b, sizeof b), "NaN");
    assert_string_equal(fmt_double(-NAN, b, sizeof b), "NaN");
    assert_string_equal(fmt_double(INFINITY, b, sizeof b), "+Inf");
    assert_string_equal(fmt_double(-INFINITY, b, sizeof b), "-Inf");
}

static void test_doubles_round_trip(void **state)
{
    (void)state;
    char b[64];
    assert_string_equal(fmt_double(0, b, sizeof b), "0");
    assert_string_equal(fmt_double(1, b, sizeof b), "1");
    assert_string_equal(fmt_double(-2.5, b, sizeof b), "-2.5");
    assert_string_equal(fmt_double(0.1, b, sizeof b), "0.1");
    assert_string_equal(fmt_double(1e-9, b, sizeof b), "1e-09");
    assert_string_equal(fmt_double(123456789, b, sizeof b), "123456789");
    /* Needs all 17 digits to read back exactly. */
    assert_string_equal(fmt_double(0.1 + 0.2, b, sizeof b), "0.30000000000000004");
    static const double vals[] = {
        1.0 / 3, 2.0 / 3, 1e300, -1e-300, 4.9e-324, 1.7976931348623157e308, 9007199254740993.0};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++)
        assert_true(strtod(fmt_double(vals[i], b, sizeof b), NULL) == vals[i]);
}

static void test_u64_exact(void **state)
{
    (void)state;
    struct df_prom p;
    df_prom_init(&p);
    df_prom_sample_u64(&p, "big", NULL, NULL, 0, UINT64_MAX);
    df_prom_sample_u64(&p, "big", NULL, NULL, 0, 10000000000000000000u);
    assert_string_equal(p.buf, "big 18446744073709551615\nbig 10000000000000000000\n");
    df_prom_free(&p);
}

static void test_invalid_names(void **state)
{
    (void)state;
    struct df_prom p;
    df_prom_init(&p);
    df_prom_family(&p, "ok", "counter", "fine");
    size_t len = p.len;
    const char *good[] = {"node"};
    const char *v[] = {"x"};
    const char *bad_label[] = {"__reserved"};
    const char *bad_label2[] = {"has-dash"};
    const char *bad_label3[] = {"a:b"}; /* colons only in metric names */
    df_prom_family(&p, "9starts_with_digit", "counter", "x");
    df_prom_family(&p, "ok2", "histogram", "x");
    df_prom_family(&p, "", "gauge", "x");
    df_prom_sample(&p, "has space", NULL, NULL, 0, 1);
    df_prom_sample(&p, "m", bad_label, v, 1, 1);
    df_prom_sample_u64(&p, "m", bad_label2, v, 1, 1);
    df_prom_sample_u64(&p, "m", bad_label3, v, 1, 1);
    df_prom_sample_u64(&p, "m", NULL, v, 1, 1);
    /* Nothing was written by the rejected calls. */
    assert_int_equal(p.len, len);
    assert_int_equal(p.err, DF_EINVAL);
    /* Later valid calls still write; the error stays. */
    df_prom_sample_u64(&p, "ok", good, v, 1, 3);
    assert_string_equal(p.buf, "# HELP ok fine\n# TYPE ok counter\nok{node=\"x\"} 3\n");
    assert_int_equal(p.err, DF_EINVAL);
    size_t tlen = 5;
    assert_null(df_prom_take(&p, &tlen)); /* an erroneous text is not handed out */
    assert_int_equal(tlen, 0);
    df_prom_free(&p);
}

static void test_growth(void **state)
{
    (void)state;
    struct df_prom p;
    df_prom_init(&p);
    char name[32];
    for (int i = 0; i < 2000; i++) {
        snprintf(name, sizeof name, "m_%d", i);
        df_prom_sample_u64(&p, name, NULL, NULL, 0, (uint64_t)i);
    }
    assert_int_equal(p.err, 0);
    assert_true(p.len < p.cap);
    assert_non_null(strstr(p.buf, "\nm_1999 1999\n"));
    assert_memory_equal(p.buf, "m_0 0\nm_1 1\n", 12);
    df_prom_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_content_type),       cmocka_unit_test(test_empty),
        cmocka_unit_test(test_family_and_samples), cmocka_unit_test(test_help_escaping),
        cmocka_unit_test(test_label_escaping),     cmocka_unit_test(test_special_floats),
        cmocka_unit_test(test_doubles_round_trip), cmocka_unit_test(test_u64_exact),
        cmocka_unit_test(test_invalid_names),      cmocka_unit_test(test_growth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
