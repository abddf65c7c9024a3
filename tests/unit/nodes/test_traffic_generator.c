/* receiver:traffic_generator on a real pipeline: max_signal_count stops it
 * exactly (with and without a rate), signal weights, backpressure in
 * unlimited mode, the signals_per_second rate, Ack/Nack subscription, and
 * the rejection of a config without any signal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "otlp/otlp.h"
#include "tests/unit/runtime/rt_fixture.h"

#define NO_POLICIES ""
#define CAPACITY(n) "policies: {channel_capacity: {pdata: " #n "}}\n"

/* Builds gen -> sink (or gen -> pass -> sink) with the generator's
 * `config`, sets the sink's mode and starts it. The mode is set between
 * build (which resets the probe) and start (after which the generator may
 * produce at the next loop turn). */
static void start(struct rt *t, const char *policies, const char *config, bool pass,
                  enum df_outcome sink_mode)
{
    char yaml[2048];
    snprintf(yaml, sizeof yaml,
             RT_HEADER "%s" RT_GROUP "        nodes:\n"
                       "          gen:\n"
                       "            type: receiver:traffic_generator\n"
                       "            config: %s\n"
                       "%s"
                       "          sink: {type: 'urn:test:exporter:sink'}\n"
                       "        connections: %s\n",
             policies, config, pass ? "          pass: {type: 'urn:test:processor:pass'}\n" : "",
             pass ? "[{from: gen, to: pass}, {from: pass, to: sink}]" : "[{from: gen, to: sink}]");
    rt_build(t, yaml);
    test_probe.sink_mode = (int)sink_mode;
    df_core_pipeline_post(&t->pl, DF_CMD_START);
    for (int i = 0; i < 1000 && df_core_pipeline_state(&t->pl) != DF_PIPELINE_RUNNING; i++)
        rt_spin(t, 1);
    assert_int_equal(df_core_pipeline_state(&t->pl), DF_PIPELINE_RUNNING);
}

static uint64_t sum(const uint64_t v[DF_SIGNAL_COUNT])
{
    uint64_t n = 0;
    for (int s = 0; s < DF_SIGNAL_COUNT; s++)
        n += v[s];
    return n;
}

/* Items the node "sink" was handed so far. */
static struct df_node *g_sink;
static uint64_t sink_items(void)
{
    return sum(g_sink->stats.items_received);
}

static uint64_t sink_requests(void)
{
    return sum(g_sink->stats.requests_received);
}

static void heartbeat(uv_timer_t *h)
{
    (void)h;
}

/* Turns the loop until measure() reaches `want` or `ms` milliseconds pass;
 * returns the last measure. A heartbeat timer bounds every blocking turn, so
 * a generator that stopped early makes the test fail instead of hang. */
static uint64_t wait_for(struct rt *t, uint64_t (*measure)(void), uint64_t want, unsigned ms)
{
    uv_timer_t hb;
    uv_timer_init(&t->pl.loop, &hb);
    uv_timer_start(&hb, heartbeat, 5, 5);
    uint64_t end = uv_hrtime() + (uint64_t)ms * 1000000u;
    while (measure() < want && uv_hrtime() < end)
        uv_run(&t->pl.loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&hb, NULL);
    rt_spin(t, 1); /* runs the close */
    return measure();
}

static uint64_t never(void)
{
    return 0;
}

/* Keeps the loop turning for `ms` milliseconds. */
static void run_for(struct rt *t, unsigned ms)
{
    wait_for(t, never, 1, ms);
}

/* The i-th held request is valid OTLP of its signal holding pd->items. */
static void expect_valid(unsigned i)
{
    struct df_pdata *pd = test_probe.sunk[i].pd;
    assert_non_null(pd);
    assert_int_equal(pd->signal, test_probe.sunk[i].signal);
    uint64_t counted = 0;
    assert_int_equal(df_otlp_count(pd->signal, pd->data, pd->len, &counted), 0);
    assert_int_equal(counted, pd->items);
}

static void settle_all(struct rt *t)
{
    for (unsigned i = 0; i < test_probe.nsunk; i++) {
        if (test_probe.sunk[i].pd)
            test_sink_settle(i, DF_OUTCOME_ACK, NULL);
    }
    rt_spin(t, 2);
}

static void test_max_signal_count_stops_exactly(void **state)
{
    struct rt t;
    start(&t, NO_POLICIES,
          "{traffic_config: {max_signal_count: 1005, max_batch_size: 100, "
          "log_body_size_bytes: 16, num_attributes: 2}}",
          false, DF_OUTCOME_NONE);
    g_sink = rt_node(&t, "sink");
    assert_int_equal(wait_for(&t, sink_items, 1005, 5000), 1005);
    run_for(&t, 50); /* nothing more comes */
    assert_int_equal(sink_items(), 1005);
    /* Ten full requests, then the five left over; signals take turns. */
    assert_int_equal(test_probe.nsunk, 11);
    uint64_t total = 0;
    for (unsigned i = 0; i < test_probe.nsunk; i++) {
        assert_int_equal(test_probe.sunk[i].items, i < 10 ? 100 : 5);
        assert_int_equal(test_probe.sunk[i].signal, (enum df_signal)(i % DF_SIGNAL_COUNT));
        expect_valid(i);
        total += test_probe.sunk[i].items;
    }
    assert_int_equal(total, 1005);
    assert_int_equal(sum(rt_node(&t, "gen")->stats.items_sent), 1005);
    settle_all(&t);
    assert_int_equal(rt_finish(&t), 0);
}

static void test_max_signal_count_with_rate(void **state)
{
    struct rt t;
    /* The first 100 ms tick holds 10000 tokens: the cap, not the rate, stops
     * it. */
    start(&t, NO_POLICIES,
          "{traffic_config: {signals_per_second: 100000, max_signal_count: 250, "
          "max_batch_size: 100, log_weight: 0, metric_weight: 0}}",
          false, DF_OUTCOME_NONE);
    g_sink = rt_node(&t, "sink");
    assert_int_equal(wait_for(&t, sink_items, 250, 5000), 250);
    run_for(&t, 250); /* two more ticks */
    assert_int_equal(sink_items(), 250);
    assert_int_equal(test_probe.nsunk, 3);
    for (unsigned i = 0; i < 3; i++) {
        assert_int_equal(test_probe.sunk[i].items, i < 2 ? 100 : 50);
        assert_int_equal(test_probe.sunk[i].signal, DF_SIGNAL_TRACES);
        expect_valid(i);
    }
    settle_all(&t);
    assert_int_equal(rt_finish(&t), 0);
}

static void test_zero_max_sends_nothing(void **state)
{
    struct rt t;
    start(&t, NO_POLICIES, "{traffic_config: {max_signal_count: 0}}", false, DF_OUTCOME_ACK);
    g_sink = rt_node(&t, "sink");
    run_for(&t, 30);
    assert_int_equal(sink_requests(), 0);
    assert_int_equal(rt_finish(&t), 0);
}

static void test_weights_set_the_mix(void **state)
{
    struct rt t;
    start(&t, NO_POLICIES,
          "{traffic_config: {max_signal_count: 30, max_batch_size: 1, log_weight: 2, "
          "metric_weight: 1, trace_weight: 0}}",
          false, DF_OUTCOME_NONE);
    g_sink = rt_node(&t, "sink");
    assert_int_equal(wait_for(&t, sink_items, 30, 5000), 30);
    assert_int_equal(test_probe.nsunk, 30);
    unsigned n[DF_SIGNAL_COUNT] = {0};
    for (unsigned i = 0; i < test_probe.nsunk; i++) {
        expect_valid(i);
        n[test_probe.sunk[i].signal]++;
        /* Interleaved, not in runs: every prefix keeps close to 2:1. */
        int skew = (int)n[DF_SIGNAL_LOGS] - 2 * (int)n[DF_SIGNAL_METRICS];
        if (skew < -2 || skew > 2)
            fail_msg("request %u: %u logs to %u metrics", i, n[DF_SIGNAL_LOGS],
                     n[DF_SIGNAL_METRICS]);
    }
    assert_int_equal(n[DF_SIGNAL_LOGS], 20);
    assert_int_equal(n[DF_SIGNAL_METRICS], 10);
    assert_int_equal(n[DF_SIGNAL_TRACES], 0);
    struct df_node *gen = rt_node(&t, "gen");
    assert_int_equal(gen->stats.items_sent[DF_SIGNAL_LOGS], 20);
    assert_int_equal(gen->stats.items_sent[DF_SIGNAL_METRICS], 10);
    assert_int_equal(gen->stats.items_sent[DF_SIGNAL_TRACES], 0);
    settle_all(&t);
    assert_int_equal(rt_finish(&t), 0);
}

static void test_unlimited_respects_backpressure(void **state)
{
    struct rt t;
    start(&t, CAPACITY(4), "{traffic_config: {max_batch_size: 10}}", true, DF_OUTCOME_ACK);
    struct df_node *gen = rt_node(&t, "gen"), *pass = rt_node(&t, "pass");
    g_sink = rt_node(&t, "sink");
    uint32_t max_pass = 0, max_sink = 0;
    unsigned full = 0, paused = 0;
    for (int i = 0; i < 300; i++) {
        rt_spin(&t, 1);
        /* The generator checks df_node_can_send before every request, so
         * its destination never goes past capacity; pass emits one request
         * per input, so the sink's queue may hold at most one more. */
        max_pass = pass->qlen > max_pass ? pass->qlen : max_pass;
        max_sink = g_sink->qlen > max_sink ? g_sink->qlen : max_sink;
        full += pass->qlen == 4;
        paused += gen->paused;
        /* Nothing is lost or made up on the way. */
        assert_int_equal(sum(gen->stats.requests_sent),
                         sink_requests() + pass->qlen + g_sink->qlen);
    }
    assert_in_range(max_pass, 1, 4);
    assert_in_range(max_sink, 1, 5);
    /* It did fill the pipeline and stop, and it came back every time. */
    assert_true(full > 100);
    assert_true(paused > 100);
    assert_true(sink_requests() > 300);
    uint64_t before = sink_requests();
    rt_spin(&t, 10);
    assert_true(sink_requests() > before);
    assert_int_equal(rt_finish(&t), 0);
}

static void test_rate_limits_throughput(void **state)
{
    struct rt t;
    uint64_t t0 = uv_hrtime(); /* before the generator's clock starts */
    start(&t, NO_POLICIES, "{traffic_config: {signals_per_second: 2000, max_batch_size: 100}}",
          false, DF_OUTCOME_ACK);
    g_sink = rt_node(&t, "sink");
    /* Flat out, a thousand items would take a few loop turns. */
    rt_spin(&t, 20);
    assert_int_equal(sink_items(), 0); /* the first tick is 100 ms away */
    for (uint64_t want = 1000; want <= 2000; want += 1000) {
        uint64_t got = wait_for(&t, sink_items, want, 5000);
        double secs = (double)(uv_hrtime() - t0) / 1e9;
        /* The bucket never grants more than the rate times the time since
         * start, however late the ticks come; and it keeps up with it. */
        if (got < want || (double)got > 2000 * secs + 1 || secs > 3.0 * (double)want / 1000)
            fail_msg("%llu items after %.3f s at 2000/s", (unsigned long long)got, secs);
    }
    for (int s = 0; s < DF_SIGNAL_COUNT; s++)
        assert_true(g_sink->stats.items_received[s] > 0);
    assert_int_equal(rt_finish(&t), 0);
}

static void test_ack_nack_subscription(void **state)
{
    const char *cfg = "{traffic_config: {max_signal_count: 50, max_batch_size: 10}, "
                      "enable_ack_nack: true}";
    struct rt t;
    start(&t, NO_POLICIES, cfg, false, DF_OUTCOME_NACK_PERMANENT);
    g_sink = rt_node(&t, "sink");
    struct df_node *gen = rt_node(&t, "gen");
    assert_int_equal(wait_for(&t, sink_requests, 5, 5000), 5);
    rt_spin(&t, 3);
    assert_int_equal(g_sink->stats.nacks_sent[1], 5);
    assert_int_equal(gen->stats.nacks_received[1], 5);
    assert_int_equal(gen->stats.nacks_received[0], 0);
    assert_int_equal(gen->stats.acks_received, 0);
    assert_int_equal(rt_finish(&t), 0);

    start(&t, NO_POLICIES, cfg, false, DF_OUTCOME_NACK_TRANSIENT);
    g_sink = rt_node(&t, "sink");
    gen = rt_node(&t, "gen");
    assert_int_equal(wait_for(&t, sink_requests, 5, 5000), 5);
    rt_spin(&t, 3);
    assert_int_equal(gen->stats.nacks_received[0], 5);
    assert_int_equal(gen->stats.nacks_received[1], 0);
    assert_int_equal(rt_finish(&t), 0);

    start(&t, NO_POLICIES, cfg, false, DF_OUTCOME_ACK);
    g_sink = rt_node(&t, "sink");
    gen = rt_node(&t, "gen");
    assert_int_equal(wait_for(&t, sink_requests, 5, 5000), 5);
    rt_spin(&t, 3);
    assert_int_equal(gen->stats.acks_received, 5);
    assert_int_equal(gen->stats.nacks_received[1], 0);
    assert_int_equal(rt_finish(&t), 0);

    /* Off by default: the outcome is not reported to the generator. */
    start(&t, NO_POLICIES, "{traffic_config: {max_signal_count: 50, max_batch_size: 10}}", false,
          DF_OUTCOME_NACK_PERMANENT);
    g_sink = rt_node(&t, "sink");
    gen = rt_node(&t, "gen");
    assert_int_equal(wait_for(&t, sink_requests, 5, 5000), 5);
    rt_spin(&t, 3);
    assert_int_equal(g_sink->stats.nacks_sent[1], 5);
    assert_int_equal(gen->stats.nacks_received[1], 0);
    assert_int_equal(rt_finish(&t), 0);
}

/* Parses a pipeline whose generator has `config`; returns the config (freed
 * here) or NULL with the diagnostics in *d. */
static bool parses(const char *config, struct df_diags *d)
{
    char yaml[1024];
    snprintf(yaml, sizeof yaml,
             RT_HEADER RT_GROUP "        nodes:\n"
                                "          gen:\n"
                                "            type: receiver:traffic_generator\n"
                                "            config: %s\n"
                                "          sink: {type: 'urn:test:exporter:sink'}\n"
                                "        connections: [{from: gen, to: sink}]\n",
             config);
    memset(d, 0, sizeof *d);
    struct df_config *cfg = df_config_parse("g.yaml", yaml, strlen(yaml), d);
    df_config_free(cfg);
    return cfg != NULL;
}

static void test_config_checks(void **state)
{
    struct df_diags d;
    assert_false(
        parses("{traffic_config: {log_weight: 0, metric_weight: 0, trace_weight: 0}}", &d));
    assert_int_equal(df_diags_total(&d), 1);
    assert_non_null(strstr(d.items[0].msg, "every signal weight is 0"));
    assert_non_null(strstr(d.items[0].path, "traffic_config"));
    assert_non_null(strstr(d.items[0].hint, "log_weight"));
    assert_int_equal(d.items[0].mark.line, 9); /* points at the generator's config */

    /* One signal is enough. */
    assert_true(parses("{traffic_config: {log_weight: 0, metric_weight: 0}}", &d));
    assert_true(parses("{}", &d));
    /* Bounds come from the option table. */
    assert_false(parses("{traffic_config: {max_batch_size: 0}}", &d));
    assert_non_null(strstr(d.items[0].path, "max_batch_size"));
    assert_false(parses("{traffic_config: {signals_per_second: 0}}", &d));
    assert_non_null(strstr(d.items[0].path, "signals_per_second"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_max_signal_count_stops_exactly),
        cmocka_unit_test(test_max_signal_count_with_rate),
        cmocka_unit_test(test_zero_max_sends_nothing),
        cmocka_unit_test(test_weights_set_the_mix),
        cmocka_unit_test(test_unlimited_respects_backpressure),
        cmocka_unit_test(test_rate_limits_throughput),
        cmocka_unit_test(test_ack_nack_subscription),
        cmocka_unit_test(test_config_checks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
