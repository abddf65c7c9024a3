/* Unit tests of the per-core runtime (src/runtime/pipeline.c): queues and
 * backpressure, dispatch, ports, Ack/Nack unwinding, drain and deadlines.
 * Each test builds one pipeline on this thread from YAML, with the test
 * nodes of tests/support/test_nodes.c, and turns its loop by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "config/model.h"
#include "runtime/runtime.h"
#include "tests/unit/runtime/rt_fixture.h"

static void test_backpressure_and_resume(void **state)
{
    struct rt t;
    rt_start(&t, RT_HEADER "policies: {channel_capacity: {pdata: 4}}\n" RT_GROUP "        nodes:\n"
                           "          gen: {type: 'urn:test:receiver:gen'}\n"
                           "          sink: {type: 'urn:test:exporter:sink'}\n"
                           "        connections: [{from: gen, to: sink}]\n");
    struct df_node *gen = test_probe.receivers[0];
    struct df_bytes *b = rt_bytes();
    for (int i = 0; i < 3; i++)
        assert_int_equal(test_inject(0, DF_SIGNAL_LOGS, b, 1, 0), 0);
    assert_true(df_node_can_send(gen));
    assert_int_equal(test_inject(0, DF_SIGNAL_LOGS, b, 1, 0), 0);
    /* Four queued in a queue of four: the receiver must stop. */
    assert_false(df_node_can_send(gen));
    struct df_node *sink = rt_node(&t, "sink");
    assert_int_equal(sink->qlen, 4);
    assert_int_equal(sink->stats.queue_depth, 4);
    assert_int_equal(test_probe.resumes, 0);
    rt_spin(&t, 2);
    assert_int_equal(test_probe.nsunk, 4);
    assert_int_equal(sink->qlen, 0);
    assert_true(df_node_can_send(gen));
    assert_int_equal(test_probe.resumes, 1);
    assert_int_equal(gen->stats.items_sent[DF_SIGNAL_LOGS], 4);
    assert_int_equal(sink->stats.items_received[DF_SIGNAL_LOGS], 4);
    assert_int_equal(sink->stats.acks_sent, 4);
    df_bytes_unref(b);
    assert_int_equal(rt_finish(&t), 0);
}

static void test_processor_waits_for_room(void **state)
{
    struct rt t;
    rt_start(&t,
             RT_HEADER "policies: {channel_capacity: {pdata: 2}}\n" RT_GROUP "        nodes:\n"
                       "          gen: {type: 'urn:test:receiver:gen'}\n"
                       "          pass: {type: 'urn:test:processor:pass'}\n"
                       "          sink: {type: 'urn:test:exporter:sink'}\n"
                       "        connections: [{from: gen, to: pass}, {from: pass, to: sink}]\n");
    struct df_bytes *b = rt_bytes();
    /* Five queued for pass (the test ignores can_send; a receiver would
     * not): pass is handed input only while the sink's queue has room. */
    for (int i = 0; i < 5; i++)
        test_inject(0, DF_SIGNAL_TRACES, b, 2, 0);
    struct df_node *pass = rt_node(&t, "pass"), *sink = rt_node(&t, "sink");
    assert_int_equal(pass->qlen, 5);
    rt_spin(&t, 1);
    assert_int_equal(sink->qlen, 2);
    assert_int_equal(pass->qlen, 3);
    rt_spin(&t, 1);
    assert_int_equal(test_probe.nsunk, 2);
    assert_int_equal(sink->qlen, 2);
    assert_int_equal(pass->qlen, 1);
    rt_spin(&t, 3);
    assert_int_equal(test_probe.nsunk, 5);
    assert_int_equal(sink->stats.items_received[DF_SIGNAL_TRACES], 10);
    assert_int_equal(t.pl.pdata_live, 0);
    df_bytes_unref(b);
    assert_int_equal(rt_finish(&t), 0);
}

static void test_paused_input_pushes_back(void **state)
{
    struct rt t;
    rt_start(&t, RT_HEADER "policies: {channel_capacity: {pdata: 3}}\n" RT_GROUP "        nodes:\n"
                           "          gen: {type: 'urn:test:receiver:gen'}\n"
                           "          sink: {type: 'urn:test:exporter:sink'}\n"
                           "        connections: [{from: gen, to: sink}]\n");
    struct df_node *sink = rt_node(&t, "sink");
    df_node_pause_input(sink, true); /* an exporter at its in-flight limit */
    struct df_bytes *b = rt_bytes();
    for (int i = 0; i < 3; i++)
        test_inject(0, DF_SIGNAL_LOGS, b, 1, 0);
    rt_spin(&t, 3);
    assert_int_equal(test_probe.nsunk, 0);
    assert_int_equal(sink->qlen, 3);
    assert_false(df_node_can_send(test_probe.receivers[0]));
    /* Nothing can progress: the loop sleeps instead of spinning. */
    assert_false(t.pl.idle_active);
    df_node_pause_input(sink, false);
    rt_spin(&t, 2);
    assert_int_equal(test_probe.nsunk, 3);
    assert_int_equal(test_probe.resumes, 1);
    df_bytes_unref(b);
    assert_int_equal(rt_finish(&t), 0);
}

static void test_ack_unwinds_to_nearest_subscriber(void **state)
{
    struct rt t;
    rt_start(&t, RT_HEADER RT_GROUP "        nodes:\n"
                                    "          gen: {type: 'urn:test:receiver:gen'}\n"
                                    "          pass: {type: 'urn:test:processor:pass'}\n"
                                    "          sink: {type: 'urn:test:exporter:sink'}\n"
                                    "        connections: [{from: gen, to: pass}, "
                                    "{from: pass, to: sink}]\n");
    test_probe.gen_subscribe = true;
    test_probe.pass_subscribe = true;
    struct df_bytes *b = rt_bytes();
    test_inject(0, DF_SIGNAL_LOGS, b, 5, 7);
    rt_spin(&t, 4);
    /* pass subscribed last, so it hears first; then the receiver. */
    assert_int_equal(test_probe.nevents, 2);
    assert_string_equal(test_probe.events[0].node, "pass");
    assert_int_equal(test_probe.events[0].cookie, 1005);
    assert_int_equal(test_probe.events[0].outcome, DF_OUTCOME_ACK);
    assert_string_equal(test_probe.events[1].node, "gen");
    assert_int_equal(test_probe.events[1].cookie, 7);
    assert_int_equal(test_probe.events[1].outcome, DF_OUTCOME_ACK);
    assert_int_equal(rt_node(&t, "gen")->stats.acks_received, 1);
    assert_int_equal(rt_node(&t, "pass")->stats.acks_received, 1);
    assert_int_equal(t.pl.pdata_live, 0);
    df_bytes_unref(b);
    assert_int_equal(rt_finish(&t), 0);
}

static void test_nack_carries_kind_and_reason(void **state)
{
    struct rt t;
    rt_start(&t, RT_HEADER RT_GROUP "        nodes:\n"
                                    "          gen: {type: 'urn:test:receiver:gen'}\n"
                                    "          sink: {type: 'urn:test:exporter:sink'}\n"
                                    "        connections: [{from: gen, to: sink}]\n");
    test_probe.gen_subscribe = true;
    test_probe.sink_mode = DF_OUTCOME_NACK_PERMANENT;
    struct df_bytes *b = rt_bytes();
    /* The sink decides when it processes a request: after this change. */
    test_inject(0, DF_SIGNAL_METRICS, b, 3, 42);
    test_probe.sink_mode = DF_OUTCOME_NACK_TRANSIENT;
    rt_spin(&t, 3);
    test_probe.sink_mode = DF_OUTCOME_NACK_PERMANENT;
    test_inject(0, DF_SIGNAL_METRICS, b, 3, 43);
    rt_spin(&t, 3);
    assert_int_equal(test_probe.nevents, 2);
    assert_int_equal(test_probe.events[0].cookie, 42);
    assert_int_equal(test_probe.events[0].outcome, DF_OUTCOME_NACK_TRANSIENT);
    assert_string_equal(test_probe.events[0].reason, "sink says no");
    assert_int_equal(test_probe.events[1].cookie, 43);
    assert_int_equal(test_probe.events[1].outcome, DF_OUTCOME_NACK_PERMANENT);
    struct df_node *sink = rt_node(&t, "sink");
    assert_int_equal(sink->stats.nacks_sent[0], 1);
    assert_int_equal(sink->stats.nacks_sent[1], 1);
    assert_int_equal(rt_node(&t, "gen")->stats.nacks_received[1], 1);
    df_bytes_unref(b);
    assert_int_equal(rt_finish(&t), 0);
}

static void test_fan_out_competing_consumers_and_fan_in(void **state)
{
    struct rt t;
    rt_start(&t, RT_HEADER "policies: {channel_capacity: {pdata: 3}}\n" RT_GROUP "        nodes:\n"
                           "          a: {type: 'urn:test:receiver:gen'}\n"
                           "          b: {type: 'urn:test:receiver:gen'}\n"
                           "          s1: {type: 'urn:test:exporter:sink'}\n"
                           "          s2: {type: 'urn:test:exporter:sink'}\n"
                           "        connections: [{from: [a, b], to: [s1, s2]}]\n");
    struct df_bytes *b = rt_bytes();
    /* Six from each receiver without turning the loop: one-of dispatch picks
     * the least loaded sink, so each sink holds an equal share. */
    for (int i = 0; i < 3; i++) {
        test_inject(0, DF_SIGNAL_LOGS, b, 1, 0);
        test_inject(1, DF_SIGNAL_LOGS, b, 1, 0);
    }
    struct df_node *s1 = rt_node(&t, "s1"), *s2 = rt_node(&t, "s2");
    assert_int_equal(s1->qlen, 3);
    assert_int_equal(s2->qlen, 3);
    assert_false(df_node_can_send(test_probe.receivers[0]));
    rt_spin(&t, 2);
    assert_int_equal(test_probe.nsunk, 6);
    assert_int_equal(s1->stats.items_received[DF_SIGNAL_LOGS], 3);
    assert_int_equal(s2->stats.items_received[DF_SIGNAL_LOGS], 3);
    df_bytes_unref(b);
    assert_int_equal(rt_finish(&t), 0);
}

static void test_named_ports_and_unconnected_port(void **state)
{
    struct rt t;
    rt_start(&t, RT_HEADER RT_GROUP "        nodes:\n"
                                    "          gen:\n"
                                    "            type: 'urn:test:receiver:gen'\n"
                                    "            outputs: [main, spare, other]\n"
                                    "            default_output: spare\n"
                                    "          s1: {type: 'urn:test:exporter:sink'}\n"
                                    "          s2: {type: 'urn:test:exporter:sink'}\n"
                                    "        connections:\n"
                                    "          - {from: 'gen[\"main\"]', to: s1}\n"
                                    "          - {from: 'gen[\"spare\"]', to: s2}\n");
    struct df_node *gen = test_probe.receivers[0];
    assert_int_equal(df_node_port(gen, "main"), 0);
    assert_int_equal(df_node_port(gen, "other"), 2);
    assert_int_equal(df_node_port(gen, "nope"), DF_ENOENT);
    test_probe.gen_subscribe = true;
    struct df_bytes *b = rt_bytes();
    test_inject(0, DF_SIGNAL_LOGS, b, 1, 1); /* default port: spare -> s2 */
    struct df_pdata *pd = df_pdata_new(gen, DF_SIGNAL_LOGS, b, b->data, b->len, 1);
    df_pdata_subscribe(gen, pd, 2);
    assert_int_equal(df_node_send(gen, 0, pd), 0); /* main -> s1 */
    pd = df_pdata_new(gen, DF_SIGNAL_LOGS, b, b->data, b->len, 1);
    df_pdata_subscribe(gen, pd, 3);
    assert_int_equal(df_node_send(gen, 2, pd), 0); /* other: not connected */
    pd = df_pdata_new(gen, DF_SIGNAL_LOGS, b, b->data, b->len, 1);
    df_pdata_subscribe(gen, pd, 4);
    assert_int_equal(df_node_send(gen, 9, pd), DF_ENOENT);
    rt_spin(&t, 3);
    assert_int_equal(rt_node(&t, "s2")->stats.items_received[DF_SIGNAL_LOGS], 1);
    assert_int_equal(rt_node(&t, "s1")->stats.items_received[DF_SIGNAL_LOGS], 1);
    assert_int_equal(test_probe.nevents, 4);
    for (unsigned i = 0; i < 4; i++) {
        const struct test_event *e = &test_probe.events[i];
        if (e->cookie == 3) {
            assert_int_equal(e->outcome, DF_OUTCOME_NACK_PERMANENT);
            assert_non_null(strstr(e->reason, "'other'"));
            assert_non_null(strstr(e->reason, "not connected"));
        } else if (e->cookie == 4) {
            assert_int_equal(e->outcome, DF_OUTCOME_NACK_PERMANENT);
        } else {
            assert_int_equal(e->outcome, DF_OUTCOME_ACK);
        }
    }
    df_bytes_unref(b);
    assert_int_equal(rt_finish(&t), 0);
}

static void test_drain_settles_everything_then_stops(void **state)
{
    struct rt t;
    rt_start(&t, RT_HEADER RT_GROUP "        nodes:\n"
                                    "          gen: {type: 'urn:test:receiver:gen'}\n"
                                    "          pass: {type: 'urn:test:processor:pass'}\n"
                                    "          sink: {type: 'urn:test:exporter:sink'}\n"
                                    "        connections: [{from: gen, to: pass}, "
                                    "{from: pass, to: sink}]\n");
    test_probe.gen_subscribe = true;
    struct df_bytes *b = rt_bytes();
    for (int i = 0; i < 20; i++)
        test_inject(0, DF_SIGNAL_LOGS, b, 1, (uint64_t)i);
    /* Drain with everything still queued: all of it reaches the sink. */
    assert_int_equal(rt_finish(&t), 0);
    assert_int_equal(test_probe.nsunk, 20);
    assert_int_equal(test_probe.nevents, 20);
    df_bytes_unref(b);
}

static void test_drain_deadline_forces_a_stuck_stage(void **state)
{
    struct rt t;
    rt_start_deadline(&t,
                      RT_HEADER RT_GROUP "        nodes:\n"
                                         "          gen: {type: 'urn:test:receiver:gen'}\n"
                                         "          sink: {type: 'urn:test:exporter:sink'}\n"
                                         "        connections: [{from: gen, to: sink}]\n",
                      20000000ull);
    test_probe.sink_drain_hangs = true;
    test_probe.gen_subscribe = true;
    struct df_bytes *b = rt_bytes();
    test_inject(0, DF_SIGNAL_LOGS, b, 1, 5);
    /* The sink acks but never finishes draining: the 20 ms exporter stage
     * deadline ends the run, reported as exit code 1. */
    assert_int_equal(rt_finish(&t), 1);
    assert_int_equal(test_probe.nevents, 1);
    df_bytes_unref(b);
}

static void test_abort_before_start_releases_everything(void **state)
{
    struct rt t;
    rt_build(&t, RT_HEADER RT_GROUP "        nodes:\n"
                                    "          gen: {type: 'urn:test:receiver:gen'}\n"
                                    "          sink: {type: 'urn:test:exporter:sink'}\n"
                                    "        connections: [{from: gen, to: sink}]\n");
    assert_int_equal(df_core_pipeline_state(&t.pl), DF_PIPELINE_BUILT);
    df_core_pipeline_post(&t.pl, DF_CMD_ABORT);
    assert_int_equal(df_core_pipeline_run(&t.pl), 0);
    assert_int_equal(df_core_pipeline_state(&t.pl), DF_PIPELINE_STOPPED);
    rt_free(&t);
}

static void test_build_fails_for_validation_only_nodes(void **state)
{
    struct rt t;
    rt_parse(&t, RT_HEADER RT_GROUP "        nodes:\n"
                                    "          listen: {type: 'urn:test:receiver:listen'}\n"
                                    "          sink: {type: 'urn:test:exporter:sink'}\n"
                                    "        connections: [{from: listen, to: sink}]\n");
    int rc = df_core_pipeline_build(&t.pl, "g", "p", rt_pipeline(&t), 0, 1000000000ull, NULL, NULL,
                                    NULL, 0);
    assert_int_equal(rc, DF_EINVAL);
    assert_int_equal(df_core_pipeline_state(&t.pl), DF_PIPELINE_FAILED);
    assert_non_null(strstr(t.pl.error, "'listen'"));
    assert_non_null(strstr(t.pl.error, "no runtime implementation"));
    rt_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backpressure_and_resume),
        cmocka_unit_test(test_processor_waits_for_room),
        cmocka_unit_test(test_paused_input_pushes_back),
        cmocka_unit_test(test_ack_unwinds_to_nearest_subscriber),
        cmocka_unit_test(test_nack_carries_kind_and_reason),
        cmocka_unit_test(test_fan_out_competing_consumers_and_fan_in),
        cmocka_unit_test(test_named_ports_and_unconnected_port),
        cmocka_unit_test(test_drain_settles_everything_then_stops),
        cmocka_unit_test(test_drain_deadline_forces_a_stuck_stage),
        cmocka_unit_test(test_abort_before_start_releases_everything),
        cmocka_unit_test(test_build_fails_for_validation_only_nodes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
