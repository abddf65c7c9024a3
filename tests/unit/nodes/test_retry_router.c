/* processor:retry and processor:type_router on real pipelines (the test
 * receiver injects, the test sink settles as told). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tests/unit/runtime/rt_fixture.h"

static void start_retry(struct rt *t, const char *config)
{
    char yaml[1024];
    snprintf(yaml, sizeof yaml,
             RT_HEADER RT_GROUP "        nodes:\n"
                                "          gen: {type: 'urn:test:receiver:gen'}\n"
                                "          retry:\n"
                                "            type: processor:retry\n"
                                "            config: %s\n"
                                "          sink: {type: 'urn:test:exporter:sink'}\n"
                                "        connections: [{from: gen, to: retry}, "
                                "{from: retry, to: sink}]\n",
             config);
    rt_start(t, yaml);
    test_probe.gen_subscribe = true;
}

static double metric(struct rt *t, const char *node, const char *name)
{
    struct df_node *n = rt_node(t, node);
    for (uint32_t i = 0; i < n->nmetrics; i++) {
        if (!strcmp(n->metrics[i].name, name))
            return n->metrics[i].value;
    }
    fail_msg("no metric %s", name);
    return 0;
}

static void test_transient_nack_is_resent_until_acked(void **state)
{
    struct rt t;
    start_retry(&t, "{initial_interval: 5ms, max_interval: 20ms}");
    test_probe.sink_mode = DF_OUTCOME_NACK_TRANSIENT;
    struct df_bytes *b = rt_bytes();
    test_inject(0, DF_SIGNAL_LOGS, b, 3, 7);
    rt_wait(&t, &test_probe.nsunk, 3, 2000); /* two Nacks, the third try follows */
    assert_true(test_probe.nsunk >= 3);
    assert_int_equal(test_probe.nevents, 0); /* nothing reached the receiver yet */
    test_probe.sink_mode = DF_OUTCOME_ACK;
    rt_wait(&t, &test_probe.nevents, 1, 2000);
    assert_int_equal(test_probe.nevents, 1);
    assert_int_equal(test_probe.events[0].cookie, 7);
    assert_int_equal(test_probe.events[0].outcome, DF_OUTCOME_ACK);
    assert_true(metric(&t, "retry", "df_processor_retry_resent_total") >= 2);
    assert_true(metric(&t, "retry", "df_processor_retry_pending_bytes") == 0);
    df_bytes_unref(b);
    assert_int_equal(rt_finish(&t), 0);
}

static void test_permanent_nack_passes_at_once(void **state)
{
    struct rt t;
    start_retry(&t, "{initial_interval: 5ms}");
    test_probe.sink_mode = DF_OUTCOME_NACK_PERMANENT;
    struct df_bytes *b = rt_bytes();
    test_inject(0, DF_SIGNAL_TRACES, b, 1, 9);
    rt_spin(&t, 4);
    assert_int_equal(test_probe.nsunk, 1);
    assert_int_equal(test_probe.nevents, 1);
    assert_int_equal(test_probe.events[0].outcome, DF_OUTCOME_NACK_PERMANENT);
    assert_string_equal(test_probe.events[0].reason, "sink says no");
    df_bytes_unref(b);
    assert_int_equal(rt_finish(&t), 0);
}

static void test_gives_up_after_max_elapsed_time(void **state)
{
    struct rt t;
    start_retry(&t, "{initial_interval: 5ms, max_interval: 10ms, max_elapsed_time: 60ms}");
    test_probe.sink_mode = DF_OUTCOME_NACK_TRANSIENT;
    struct df_bytes *b = rt_bytes();
    uint64_t t0 = uv_hrtime();
    test_inject(0, DF_SIGNAL_LOGS, b, 1, 1);
    rt_wait(&t, &test_probe.nevents, 1, 3000);
    assert_int_equal(test_probe.nevents, 1);
    assert_int_equal(test_probe.events[0].outcome, DF_OUTCOME_NACK_TRANSIENT);
    assert_true(uv_hrtime() - t0 >= 60000000u);
    assert_true(test_probe.nsunk >= 3);
    assert_int_equal(metric(&t, "retry", "df_processor_retry_gave_up_total"), 1);
    df_bytes_unref(b);
    assert_int_equal(rt_finish(&t), 0);
}

static void test_byte_budget_bounds_waiting(void **state)
{
    struct rt t;
    start_retry(&t, "{initial_interval: 1h, max_interval: 1h, max_pending_bytes: 1KiB}");
    test_probe.sink_mode = DF_OUTCOME_NACK_TRANSIENT;
    struct df_bytes *big = df_bytes_new(700);
    memset(big->data, 0, 700);
    test_inject(0, DF_SIGNAL_LOGS, big, 1, 1); /* waits: 700 <= 1024 */
    test_inject(0, DF_SIGNAL_LOGS, big, 1, 2); /* would make 1400: passes on */
    rt_spin(&t, 6);
    assert_int_equal(test_probe.nevents, 1);
    assert_int_equal(test_probe.events[0].cookie, 2);
    assert_int_equal(test_probe.events[0].outcome, DF_OUTCOME_NACK_TRANSIENT);
    assert_true(metric(&t, "retry", "df_processor_retry_pending_bytes") == 700);
    /* Draining gives the waiting one up: its Nack reaches the receiver. */
    df_bytes_unref(big);
    assert_int_equal(rt_finish(&t), 0);
    assert_int_equal(test_probe.nevents, 2);
    assert_int_equal(test_probe.events[1].cookie, 1);
    assert_int_equal(test_probe.events[1].outcome, DF_OUTCOME_NACK_TRANSIENT);
}

static void test_config_check(void **state)
{
    struct df_diags d = {0};
    const char *yaml = RT_HEADER RT_GROUP "        nodes:\n"
                                          "          gen: {type: 'urn:test:receiver:gen'}\n"
                                          "          retry:\n"
                                          "            type: processor:retry\n"
                                          "            config: {initial_interval: 10s, "
                                          "max_interval: 1s}\n"
                                          "          sink: {type: 'urn:test:exporter:sink'}\n"
                                          "        connections: [{from: gen, to: retry}, "
                                          "{from: retry, to: sink}]\n";
    assert_null(df_config_parse("r.yaml", yaml, strlen(yaml), &d));
    assert_int_equal(df_diags_total(&d), 1);
    assert_non_null(strstr(d.items[0].msg, "max_interval is shorter"));
}

static void test_type_router_routes_by_signal(void **state)
{
    struct rt t;
    rt_start(&t, RT_HEADER RT_GROUP "        nodes:\n"
                                    "          gen: {type: 'urn:test:receiver:gen'}\n"
                                    "          route:\n"
                                    "            type: processor:type_router\n"
                                    "            outputs: [logs, traces, other]\n"
                                    "            default_output: other\n"
                                    "          l: {type: 'urn:test:exporter:sink'}\n"
                                    "          tr: {type: 'urn:test:exporter:sink'}\n"
                                    "          o: {type: 'urn:test:exporter:sink'}\n"
                                    "        connections:\n"
                                    "          - {from: gen, to: route}\n"
                                    "          - {from: 'route[\"logs\"]', to: l}\n"
                                    "          - {from: 'route[\"traces\"]', to: tr}\n"
                                    "          - {from: 'route[\"other\"]', to: o}\n");
    struct df_bytes *b = rt_bytes();
    test_inject(0, DF_SIGNAL_LOGS, b, 2, 0);
    test_inject(0, DF_SIGNAL_TRACES, b, 3, 0);
    test_inject(0, DF_SIGNAL_METRICS, b, 5, 0); /* no metrics port: the default */
    rt_spin(&t, 4);
    assert_int_equal(rt_node(&t, "l")->stats.items_received[DF_SIGNAL_LOGS], 2);
    assert_int_equal(rt_node(&t, "tr")->stats.items_received[DF_SIGNAL_TRACES], 3);
    assert_int_equal(rt_node(&t, "o")->stats.items_received[DF_SIGNAL_METRICS], 5);
    assert_int_equal(rt_node(&t, "l")->stats.requests_received[DF_SIGNAL_TRACES], 0);
    df_bytes_unref(b);
    assert_int_equal(rt_finish(&t), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transient_nack_is_resent_until_acked),
        cmocka_unit_test(test_permanent_nack_passes_at_once),
        cmocka_unit_test(test_gives_up_after_max_elapsed_time),
        cmocka_unit_test(test_byte_budget_bounds_waiting),
        cmocka_unit_test(test_config_check),
        cmocka_unit_test(test_type_router_routes_by_signal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
