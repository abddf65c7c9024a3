/* The OTLP modules on requests made by the OpenTelemetry JS SDK
 * (tests/fixtures/sdk): validation and counts, resource parts, JSON round
 * trips and the console dump. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "otlp/dump.h"
#include "otlp/json.h"
#include "otlp/otlp.h"

static uint8_t *load(const char *name, size_t *len)
{
    char path[1024];
    const char *src = getenv("DF_SOURCE_DIR");
    snprintf(path, sizeof path, "%s/tests/fixtures/sdk/%s", src ? src : ".", name);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    static uint8_t buf[1 << 16];
    *len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    return buf;
}

static void check(const char *file, enum df_signal s, uint64_t want_items)
{
    size_t len;
    const uint8_t *buf = load(file, &len);
    uint64_t items = 0;
    assert_int_equal(df_otlp_count(s, buf, len, &items), 0);
    assert_int_equal(items, want_items);
    /* Resource parts cover the whole request. */
    struct df_otlp_part parts[16];
    size_t n = 0, bytes = 0;
    uint64_t sum = 0;
    assert_int_equal(df_otlp_parts(s, buf, len, parts, 16, &n), 0);
    for (size_t i = 0; i < n; i++) {
        bytes += parts[i].len;
        sum += parts[i].items;
    }
    assert_int_equal(bytes, len);
    assert_int_equal(sum, want_items);
    /* JSON and back: the same items, and stable JSON. */
    struct df_jbuf j;
    df_jbuf_init(&j);
    assert_int_equal(df_otlp_pb_to_json(s, buf, len, &j), 0);
    struct df_pb_writer w;
    df_pb_writer_init(&w);
    char err[256];
    assert_int_equal(df_otlp_json_to_pb(s, j.buf, j.len, &w, err, sizeof err), 0);
    uint64_t again = 0;
    assert_int_equal(df_otlp_count(s, w.buf, w.len, &again), 0);
    assert_int_equal(again, want_items);
    struct df_jbuf j2;
    df_jbuf_init(&j2);
    assert_int_equal(df_otlp_pb_to_json(s, w.buf, w.len, &j2), 0);
    assert_string_equal(j2.buf, j.buf);
    /* The dump reads all of it. */
    FILE *null = fopen("/dev/null", "w");
    assert_int_equal(df_otlp_dump(null, s, buf, len, DF_OTLP_DETAILED), 0);
    fclose(null);
    df_jbuf_free(&j);
    df_jbuf_free(&j2);
    df_pb_writer_free(&w);
}

static void test_sdk_logs(void **state)
{
    check("logs.pb", DF_SIGNAL_LOGS, 6);
}

static void test_sdk_traces(void **state)
{
    check("traces.pb", DF_SIGNAL_TRACES, 4);
}

static void test_sdk_metrics(void **state)
{
    /* Two exports of: requests (2 points), queue (1), latency (1),
     * temperature (1). */
    check("metrics.pb", DF_SIGNAL_METRICS, 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sdk_logs),
        cmocka_unit_test(test_sdk_traces),
        cmocka_unit_test(test_sdk_metrics),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
