/* processor:batch on a real pipeline: merge, pass-through, timeout, split at
 * resource boundaries, Ack/Nack fan-back to every merged input, flush on
 * drain, and rejection of what cannot be split. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "df/capabilities/auth_check.h"
#include "otlp/gen.h"
#include "otlp/otlp.h"
#include "tests/unit/runtime/rt_fixture.h"

/* `resources` requests of `items` logs each, concatenated: one request with
 * that many resources. */
static struct df_bytes *logs(unsigned resources, uint32_t items)
{
    struct df_pb_writer w;
    df_pb_writer_init(&w);
    for (unsigned r = 0; r < resources; r++) {
        struct df_otlp_gen_opts o = {
            .items = items, .log_body_size = 20, .num_attributes = 2, .seed = r + 1};
        assert_int_equal(df_otlp_gen(DF_SIGNAL_LOGS, &o, &w), 0);
    }
    size_t len;
    uint8_t *buf = df_pb_writer_take(&w, &len);
    return df_bytes_wrap(buf, len);
}

static void start(struct rt *t, const char *batch_config)
{
    char yaml[1024];
    snprintf(yaml, sizeof yaml,
             RT_HEADER RT_GROUP "        nodes:\n"
                                "          gen: {type: 'urn:test:receiver:gen'}\n"
                                "          batch:\n"
                                "            type: processor:batch\n"
                                "            config: %s\n"
                                "          sink: {type: 'urn:test:exporter:sink'}\n"
                                "        connections: [{from: gen, to: batch}, "
                                "{from: batch, to: sink}]\n",
             batch_config);
    rt_start(t, yaml);
    test_probe.gen_subscribe = true;
}

/* The i-th held batch holds `items` valid log records. */
static void expect_batch(unsigned i, uint64_t items)
{
    struct df_pdata *pd = test_probe.sunk[i].pd;
    assert_non_null(pd);
    assert_int_equal(pd->items, items);
    uint64_t counted = 0;
    assert_int_equal(df_otlp_count(DF_SIGNAL_LOGS, pd->data, pd->len, &counted), 0);
    assert_int_equal(counted, items);
}

static void test_merge_and_ack_every_input(void **state)
{
    struct rt t;
    start(&t, "{send_batch_size: 10, timeout: 1h}");
    test_probe.sink_mode = DF_OUTCOME_NONE;
    struct df_bytes *b = logs(1, 4);
    for (uint64_t i = 1; i <= 3; i++) {
        test_inject(0, DF_SIGNAL_LOGS, b, 4, i);
        rt_spin(&t, 2);
    }
    /* 4 + 4 < 10; the third input makes 12 and the batch goes. */
    assert_int_equal(test_probe.nsunk, 1);
    expect_batch(0, 12);
    assert_int_equal(test_probe.sunk[0].pd->len, 3 * b->len);
    assert_int_equal(test_probe.nevents, 0); /* inputs held until the batch settles */
    test_sink_settle(0, DF_OUTCOME_ACK, NULL);
    rt_spin(&t, 3);
    assert_int_equal(test_probe.nevents, 3);
    for (unsigned i = 0; i < 3; i++) {
        assert_string_equal(test_probe.events[i].node, "gen");
        assert_int_equal(test_probe.events[i].outcome, DF_OUTCOME_ACK);
    }
    df_bytes_unref(b);
    assert_int_equal(rt_finish(&t), 0);
}

static void test_nack_reaches_every_merged_input(void **state)
{
    struct rt t;
    start(&t, "{send_batch_size: 10, timeout: 1h}");
    test_probe.sink_mode = DF_OUTCOME_NACK_PERMANENT;
    struct df_bytes *b = logs(1, 4);
    for (uint64_t i = 1; i <= 3; i++)
        test_inject(0, DF_SIGNAL_LOGS, b, 4, i);
    rt_spin(&t, 6);
    assert_int_equal(test_probe.nsunk, 1);
    assert_int_equal(test_probe.nevents, 3);
    unsigned seen = 0;
    for (unsigned i = 0; i < 3; i++) {
        assert_int_equal(test_probe.events[i].outcome, DF_OUTCOME_NACK_PERMANENT);
        assert_string_equal(test_probe.events[i].reason, "sink says no");
        seen |= 1u << test_probe.events[i].cookie;
    }
    assert_int_equal(seen, 0xe); /* cookies 1, 2 and 3 */
    df_bytes_unref(b);
    assert_int_equal(rt_finish(&t), 0);
}

static void test_big_request_passes_through(void **state)
{
    struct rt t;
    start(&t, "{send_batch_size: 10, timeout: 1h}");
    test_probe.sink_mode = DF_OUTCOME_NONE;
    struct df_bytes *b = logs(1, 20);
    test_inject(0, DF_SIGNAL_LOGS, b, 20, 9);
    rt_spin(&t, 2);
    assert_int_equal(test_probe.nsunk, 1);
    expect_batch(0, 20);
    /* Not copied: the very bytes the receiver sent. */
    assert_ptr_equal(test_probe.sunk[0].pd->data, b->data);
    test_sink_settle(0, DF_OUTCOME_ACK, NULL);
    rt_spin(&t, 2);
    assert_int_equal(test_probe.nevents, 1);
    assert_int_equal(test_probe.events[0].cookie, 9);
    df_bytes_unref(b);
    assert_int_equal(rt_finish(&t), 0);
}

static void test_timeout_flushes(void **state)
{
    struct rt t;
    start(&t, "{send_batch_size: 1000, timeout: 20ms}");
    struct df_bytes *b = logs(1, 3);
    uint64_t t0 = uv_hrtime();
    test_inject(0, DF_SIGNAL_LOGS, b, 3, 1);
    rt_spin(&t, 2);
    assert_int_equal(test_probe.nsunk, 0);
    rt_wait(&t, &test_probe.nsunk, 1, 2000);
    assert_int_equal(test_probe.nsunk, 1);
    assert_true(uv_hrtime() - t0 >= 19000000u);
    assert_int_equal(test_probe.sunk[0].items, 3);
    rt_spin(&t, 2);
    assert_int_equal(test_probe.nevents, 1);
    assert_int_equal(test_probe.events[0].outcome, DF_OUTCOME_ACK);
    df_bytes_unref(b);
    assert_int_equal(rt_finish(&t), 0);
}

static void test_split_at_resource_boundaries(void **state)
{
    struct rt t;
    start(&t, "{send_batch_size: 4, send_batch_max_size: 5, timeout: 1h}");
    test_probe.sink_mode = DF_OUTCOME_NONE;
    struct df_bytes *b = logs(5, 2); /* five resources of two records */
    test_inject(0, DF_SIGNAL_LOGS, b, 10, 1);
    rt_spin(&t, 2);
    /* 2+2 reach send_batch_size twice; the last resource waits. */
    assert_int_equal(test_probe.nsunk, 2);
    expect_batch(0, 4);
    expect_batch(1, 4);
    /* Contiguous parts of one input are views, not copies. */
    assert_ptr_equal(test_probe.sunk[0].pd->data, b->data);
    assert_ptr_equal(test_probe.sunk[1].pd->data,
                     test_probe.sunk[0].pd->data + test_probe.sunk[0].pd->len);
    test_sink_settle(0, DF_OUTCOME_ACK, NULL);
    test_sink_settle(1, DF_OUTCOME_ACK, NULL);
    rt_spin(&t, 2);
    assert_int_equal(test_probe.nevents, 0); /* a part is still pending */
    test_probe.sink_mode = DF_OUTCOME_ACK;
    assert_int_equal(rt_finish(&t), 0); /* drain flushes the rest */
    assert_int_equal(test_probe.nsunk, 3);
    assert_int_equal(test_probe.sunk[2].items, 2);
    assert_int_equal(test_probe.nevents, 1);
    assert_int_equal(test_probe.events[0].outcome, DF_OUTCOME_ACK);
    df_bytes_unref(b);
}

static void test_split_never_exceeds_max(void **state)
{
    struct rt t;
    start(&t, "{send_batch_size: 6, send_batch_max_size: 6, timeout: 1h}");
    test_probe.sink_mode = DF_OUTCOME_NONE;
    struct df_bytes *a = logs(1, 4), *b = logs(3, 3);
    test_inject(0, DF_SIGNAL_LOGS, a, 4, 1);
    test_inject(0, DF_SIGNAL_LOGS, b, 9, 2);
    rt_spin(&t, 3);
    /* 4 pending; +3 would be 7 > 6: flush 4, then 3+3 = 6 flushes, 3 wait. */
    assert_int_equal(test_probe.nsunk, 2);
    expect_batch(0, 4);
    expect_batch(1, 6);
    for (unsigned i = 0; i < 2; i++)
        test_sink_settle(i, i ? DF_OUTCOME_NACK_TRANSIENT : DF_OUTCOME_ACK, "later");
    rt_spin(&t, 3);
    /* Input 1 is complete and acked; input 2 still has a pending part. */
    assert_int_equal(test_probe.nevents, 1);
    assert_int_equal(test_probe.events[0].cookie, 1);
    assert_int_equal(test_probe.events[0].outcome, DF_OUTCOME_ACK);
    test_probe.sink_mode = DF_OUTCOME_ACK;
    assert_int_equal(rt_finish(&t), 0);
    /* Input 2 had a part Nacked: the Nack wins. */
    assert_int_equal(test_probe.nevents, 2);
    assert_int_equal(test_probe.events[1].cookie, 2);
    assert_int_equal(test_probe.events[1].outcome, DF_OUTCOME_NACK_TRANSIENT);
    assert_string_equal(test_probe.events[1].reason, "later");
    df_bytes_unref(a);
    df_bytes_unref(b);
}

static void test_signals_batch_separately(void **state)
{
    struct rt t;
    start(&t, "{send_batch_size: 100, timeout: 1h}");
    struct df_bytes *b = logs(1, 2);
    test_inject(0, DF_SIGNAL_LOGS, b, 2, 1);
    test_inject(0, DF_SIGNAL_TRACES, b, 3, 2); /* bytes unread without max */
    test_inject(0, DF_SIGNAL_LOGS, b, 2, 3);
    rt_spin(&t, 3);
    assert_int_equal(test_probe.nsunk, 0);
    assert_int_equal(rt_finish(&t), 0);
    assert_int_equal(test_probe.nsunk, 2);
    uint64_t logs_items = 0, trace_items = 0;
    for (unsigned i = 0; i < 2; i++) {
        if (test_probe.sunk[i].signal == DF_SIGNAL_LOGS)
            logs_items += test_probe.sunk[i].items;
        else
            trace_items += test_probe.sunk[i].items;
    }
    assert_int_equal(logs_items, 4);
    assert_int_equal(trace_items, 3);
    assert_int_equal(test_probe.nevents, 3);
    df_bytes_unref(b);
}

static void test_unsplittable_input_is_nacked(void **state)
{
    struct rt t;
    start(&t, "{send_batch_size: 2, send_batch_max_size: 2, timeout: 1h}");
    struct df_bytes *b = df_bytes_new(4);
    memcpy(b->data, "\x0a\x09zz", 4); /* field 1, length 9 past the end */
    test_inject(0, DF_SIGNAL_LOGS, b, 5, 1);
    rt_spin(&t, 3);
    assert_int_equal(test_probe.nsunk, 0);
    assert_int_equal(test_probe.nevents, 1);
    assert_int_equal(test_probe.events[0].outcome, DF_OUTCOME_NACK_PERMANENT);
    assert_non_null(strstr(test_probe.events[0].reason, "cannot split"));
    df_bytes_unref(b);
    assert_int_equal(rt_finish(&t), 0);
}

static const struct df_identity alice = {.subject = "alice", .provider = "auth"};
static const struct df_identity bob = {.subject = "bob", .provider = "auth"};

/* The sink's batches of `id`: how many and their items in all. */
static unsigned batches_of(const struct df_identity *id, uint64_t *items)
{
    unsigned n = 0;
    *items = 0;
    for (unsigned i = 0; i < test_probe.nsunk; i++) {
        if (test_probe.sunk[i].identity == id) {
            n++;
            *items += test_probe.sunk[i].items;
        }
    }
    return n;
}

static void test_identities_batch_apart(void **state)
{
    struct rt t;
    start(&t, "{send_batch_size: 6, timeout: 1h}");
    struct df_bytes *b = logs(1, 2);
    /* Interleaved: alice, bob, anonymous, alice, bob, alice. */
    const struct df_identity *who[] = {&alice, &bob, NULL, &alice, &bob, &alice};
    for (unsigned i = 0; i < DF_COUNTOF(who); i++)
        test_inject_as(0, DF_SIGNAL_LOGS, b, 2, i + 1, who[i]);
    rt_spin(&t, 3);
    /* alice reached 6 items: one batch, hers alone. */
    assert_int_equal(test_probe.nsunk, 1);
    assert_ptr_equal(test_probe.sunk[0].identity, &alice);
    assert_int_equal(test_probe.sunk[0].items, 6);
    assert_int_equal(rt_finish(&t), 0); /* the drain sends bob's and the anonymous one */
    uint64_t items;
    assert_int_equal(batches_of(&alice, &items), 1);
    assert_int_equal(items, 6);
    assert_int_equal(batches_of(&bob, &items), 1);
    assert_int_equal(items, 4);
    assert_int_equal(batches_of(NULL, &items), 1);
    assert_int_equal(items, 2);
    assert_int_equal(test_probe.nevents, 6);
    df_bytes_unref(b);
}

static void test_identity_timeouts_apart(void **state)
{
    struct rt t;
    start(&t, "{send_batch_size: 100, timeout: 30ms}");
    struct df_bytes *b = logs(1, 1);
    uint64_t t0 = uv_hrtime();
    test_inject_as(0, DF_SIGNAL_LOGS, b, 1, 1, &alice);
    rt_spin(&t, 2);
    rt_wait(&t, &test_probe.nsunk, 1, 2000);
    assert_int_equal(test_probe.nsunk, 1); /* alice's went on its timer, not the wait's */
    /* bob's batch starts after alice's went: its own 30 ms. */
    uint64_t t1 = uv_hrtime();
    test_inject_as(0, DF_SIGNAL_LOGS, b, 1, 2, &bob);
    test_inject_as(0, DF_SIGNAL_LOGS, b, 1, 3, &bob);
    rt_wait(&t, &test_probe.nsunk, 2, 2000);
    assert_int_equal(test_probe.nsunk, 2);
    assert_true(uv_hrtime() - t1 >= 29000000u);
    assert_true(t1 - t0 >= 29000000u);
    assert_ptr_equal(test_probe.sunk[0].identity, &alice);
    assert_ptr_equal(test_probe.sunk[1].identity, &bob);
    assert_int_equal(test_probe.sunk[1].items, 2);
    df_bytes_unref(b);
    assert_int_equal(rt_finish(&t), 0);
}

static void test_cardinality_limit_sends_oldest(void **state)
{
    struct rt t;
    start(&t, "{send_batch_size: 100, timeout: 1h, metadata_cardinality_limit: 2}");
    struct df_bytes *b = logs(1, 1);
    static const struct df_identity carol = {.subject = "carol", .provider = "auth"};
    test_inject_as(0, DF_SIGNAL_LOGS, b, 1, 1, &alice);
    rt_spin(&t, 2);
    test_inject_as(0, DF_SIGNAL_LOGS, b, 1, 2, &bob);
    rt_spin(&t, 2);
    assert_int_equal(test_probe.nsunk, 0);
    /* A third sender: alice's batch, the oldest, goes to make room. */
    test_inject_as(0, DF_SIGNAL_LOGS, b, 1, 3, &carol);
    rt_spin(&t, 2);
    assert_int_equal(test_probe.nsunk, 1);
    assert_ptr_equal(test_probe.sunk[0].identity, &alice);
    assert_int_equal(rt_finish(&t), 0);
    uint64_t items;
    assert_int_equal(batches_of(&bob, &items), 1);
    assert_int_equal(batches_of(&carol, &items), 1);
    assert_int_equal(test_probe.nevents, 3);
    df_bytes_unref(b);
}

static void test_mixed_when_told(void **state)
{
    struct rt t;
    start(&t, "{send_batch_size: 4, timeout: 1h, partition_by_identity: false}");
    struct df_bytes *b = logs(1, 2);
    test_inject_as(0, DF_SIGNAL_LOGS, b, 2, 1, &alice);
    test_inject_as(0, DF_SIGNAL_LOGS, b, 2, 2, &bob); /* mixed: no identity */
    test_inject_as(0, DF_SIGNAL_LOGS, b, 2, 3, &alice);
    test_inject_as(0, DF_SIGNAL_LOGS, b, 2, 4, &alice); /* all alice's: hers */
    rt_spin(&t, 3);
    assert_int_equal(test_probe.nsunk, 2);
    assert_int_equal(test_probe.sunk[0].items, 4);
    assert_null(test_probe.sunk[0].identity);
    assert_ptr_equal(test_probe.sunk[1].identity, &alice);
    df_bytes_unref(b);
    assert_int_equal(rt_finish(&t), 0);
}

static void test_config_checks(void **state)
{
    struct df_diags d = {0};
    const char *yaml = RT_HEADER RT_GROUP "        nodes:\n"
                                          "          gen: {type: 'urn:test:receiver:gen'}\n"
                                          "          batch:\n"
                                          "            type: processor:batch\n"
                                          "            config: {send_batch_size: 10, "
                                          "send_batch_max_size: 5}\n"
                                          "          sink: {type: 'urn:test:exporter:sink'}\n"
                                          "        connections: [{from: gen, to: batch}, "
                                          "{from: batch, to: sink}]\n";
    assert_null(df_config_parse("b.yaml", yaml, strlen(yaml), &d));
    assert_int_equal(df_diags_total(&d), 1);
    assert_non_null(strstr(d.items[0].msg, "send_batch_max_size (5) is smaller"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_merge_and_ack_every_input),
        cmocka_unit_test(test_nack_reaches_every_merged_input),
        cmocka_unit_test(test_big_request_passes_through),
        cmocka_unit_test(test_timeout_flushes),
        cmocka_unit_test(test_split_at_resource_boundaries),
        cmocka_unit_test(test_split_never_exceeds_max),
        cmocka_unit_test(test_signals_batch_separately),
        cmocka_unit_test(test_unsplittable_input_is_nacked),
        cmocka_unit_test(test_identities_batch_apart),
        cmocka_unit_test(test_identity_timeouts_apart),
        cmocka_unit_test(test_cardinality_limit_sends_oldest),
        cmocka_unit_test(test_mixed_when_told),
        cmocka_unit_test(test_config_checks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
