/* The processors on requests made by the OpenTelemetry JS SDK
 * (tests/fixtures/sdk), through a real pipeline: attribute renames in logs,
 * spans and metric points; filter drops by severity text and span name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "otlp/json.h"
#include "otlp/otlp.h"
#include "tests/unit/runtime/rt_fixture.h"

static struct df_bytes *fixture(const char *name)
{
    char path[1024];
    const char *src = getenv("DF_SOURCE_DIR");
    snprintf(path, sizeof path, "%s/tests/fixtures/sdk/%s", src ? src : ".", name);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    uint8_t buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    struct df_bytes *b = df_bytes_new(n);
    memcpy(b->data, buf, n);
    return b;
}

/* Runs `bytes` of `signal` (`items` items) through a processor configured
 * by `node_yaml`; returns the JSON of what the sink got (NULL when nothing),
 * and its item count in *out_items. The receiver sees an Ack. */
static char *through(const char *node_yaml, enum df_signal signal, const char *file, uint64_t items,
                     uint64_t *out_items)
{
    char yaml[2048];
    snprintf(yaml, sizeof yaml,
             RT_HEADER RT_GROUP "        nodes:\n"
                                "          gen: {type: 'urn:test:receiver:gen'}\n"
                                "%s"
                                "          sink: {type: 'urn:test:exporter:sink'}\n"
                                "        connections: [{from: gen, to: proc}, "
                                "{from: proc, to: sink}]\n",
             node_yaml);
    struct rt t;
    rt_start(&t, yaml);
    test_probe.gen_subscribe = true;
    test_probe.sink_mode = DF_OUTCOME_NONE;
    struct df_bytes *b = fixture(file);
    test_inject(0, signal, b, items, 1);
    rt_spin(&t, 4);
    char *json = NULL;
    *out_items = 0;
    if (test_probe.nsunk) {
        struct df_pdata *pd = test_probe.sunk[0].pd;
        *out_items = pd->items;
        uint64_t counted = 0;
        assert_int_equal(df_otlp_count(signal, pd->data, pd->len, &counted), 0);
        assert_int_equal(counted, pd->items);
        struct df_jbuf j;
        df_jbuf_init(&j);
        assert_int_equal(df_otlp_pb_to_json(signal, pd->data, pd->len, &j), 0);
        json = strdup(j.buf);
        df_jbuf_free(&j);
        test_sink_settle(0, DF_OUTCOME_ACK, NULL);
    }
    rt_spin(&t, 3);
    assert_int_equal(test_probe.nevents, 1);
    assert_int_equal(test_probe.events[0].outcome, DF_OUTCOME_ACK);
    df_bytes_unref(b);
    assert_int_equal(rt_finish(&t), 0);
    return json;
}

#define ATTRIBUTE(from, to)                                                                        \
    "          proc:\n"                                                                            \
    "            type: processor:attribute\n"                                                      \
    "            config: {actions: [{action: rename, source_key: " from ", destination_key: " to   \
    "}]}\n"

static void test_attribute_on_sdk_payloads(void **state)
{
    uint64_t n;
    char *json = through(ATTRIBUTE("index", "idx"), DF_SIGNAL_LOGS, "logs.pb", 6, &n);
    assert_int_equal(n, 6);
    assert_non_null(strstr(json, "\"key\":\"idx\""));
    assert_null(strstr(json, "\"key\":\"index\""));
    free(json);
    json = through(ATTRIBUTE("http.method", "http.request.method"), DF_SIGNAL_TRACES, "traces.pb",
                   4, &n);
    assert_int_equal(n, 4);
    assert_non_null(strstr(json, "\"key\":\"http.request.method\""));
    free(json);
    json = through(ATTRIBUTE("route", "http.route"), DF_SIGNAL_METRICS, "metrics.pb", 10, &n);
    assert_int_equal(n, 10);
    assert_non_null(strstr(json, "\"key\":\"http.route\""));
    assert_null(strstr(json, "\"key\":\"route\""));
    free(json);
}

static void test_filter_on_sdk_payloads(void **state)
{
    uint64_t n;
    /* The SDK sender's log records have severity texts S0..S5. */
    char *json = through("          proc:\n"
                         "            type: processor:filter\n"
                         "            config: {logs: {exclude: {match_type: strict, "
                         "severity_texts: [S0, S3]}}}\n",
                         DF_SIGNAL_LOGS, "logs.pb", 6, &n);
    assert_int_equal(n, 4);
    assert_null(strstr(json, "\"severityText\":\"S0\""));
    assert_null(strstr(json, "\"severityText\":\"S3\""));
    assert_non_null(strstr(json, "\"severityText\":\"S1\""));
    free(json);
    json = through("          proc:\n"
                   "            type: processor:filter\n"
                   "            config: {spans: {include: {match_type: regexp, "
                   "span_names: ['^child-']}}}\n",
                   DF_SIGNAL_TRACES, "traces.pb", 4, &n);
    assert_int_equal(n, 3);
    assert_null(strstr(json, "\"name\":\"parent\""));
    free(json);
    /* Everything dropped: nothing reaches the sink, the receiver is Acked. */
    json = through("          proc:\n"
                   "            type: processor:filter\n"
                   "            config: {metrics: {exclude: {match_type: regexp, "
                   "metric_names: ['^conformance[.]']}}}\n",
                   DF_SIGNAL_METRICS, "metrics.pb", 10, &n);
    assert_null(json);
    assert_int_equal(n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_attribute_on_sdk_payloads),
        cmocka_unit_test(test_filter_on_sdk_payloads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
