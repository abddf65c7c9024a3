/* processor:filter on a real pipeline: a request partly dropped goes on as
 * the same pdata, smaller (compacted in its own buffer when no one else
 * holds it, copied otherwise), and its outcome reaches the input's
 * subscriber; an
 * untouched request goes on as itself; an emptied one is Acked upstream and
 * nothing is sent; a malformed one is Nacked as permanent; bad configs are
 * rejected at load with their path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "otlp/filter.h"
#include "otlp/gen.h"
#include "otlp/otlp.h"
#include "tests/unit/runtime/rt_fixture.h"

static struct df_bytes *logs(uint32_t items, uint64_t seed)
{
    struct df_pb_writer w;
    df_pb_writer_init(&w);
    struct df_otlp_gen_opts o = {
        .items = items, .log_body_size = 20, .num_attributes = 2, .seed = seed};
    assert_int_equal(df_otlp_gen(DF_SIGNAL_LOGS, &o, &w), 0);
    size_t len;
    uint8_t *buf = df_pb_writer_take(&w, &len);
    return df_bytes_wrap(buf, len);
}

#define PIPELINE(cfg)                                                                              \
    RT_HEADER RT_GROUP                                                                             \
        "        nodes:\n"                                                                         \
        "          gen: {type: 'urn:test:receiver:gen'}\n"                                         \
        "          filter:\n"                                                                      \
        "            type: processor:filter\n"                                                     \
        "            config: " cfg "\n"                                                            \
        "          sink: {type: 'urn:test:exporter:sink'}\n"                                       \
        "        connections: [{from: gen, to: filter}, {from: filter, to: sink}]\n"

static void start(struct rt *t, const char *yaml)
{
    rt_start(t, yaml);
    test_probe.gen_subscribe = true;
}

static void test_partial_drop_and_outcome(void **state)
{
    (void)state;
    struct rt t;
    start(&t, PIPELINE("{logs: {include: {match_type: strict, severity_number: {min: WARN}}}}"));
    test_probe.sink_mode = DF_OUTCOME_NONE;
    struct df_bytes *b = logs(64, 1);
    test_inject(0, DF_SIGNAL_LOGS, b, 64, 7);
    rt_spin(&t, 3);
    assert_int_equal(test_probe.nsunk, 1);
    struct df_pdata *pd = test_probe.sunk[0].pd;
    assert_true(pd->items > 0 && pd->items < 64);
    uint64_t n;
    assert_int_equal(df_otlp_count(DF_SIGNAL_LOGS, pd->data, pd->len, &n), 0);
    assert_int_equal(n, pd->items);
    assert_true(pd->len < b->len);
    assert_int_equal(test_probe.nevents, 0); /* the input waits */
    test_sink_settle(0, DF_OUTCOME_NACK_TRANSIENT, "try later");
    rt_spin(&t, 3);
    assert_int_equal(test_probe.nevents, 1);
    assert_string_equal(test_probe.events[0].node, "gen");
    assert_int_equal(test_probe.events[0].cookie, 7);
    assert_int_equal(test_probe.events[0].outcome, DF_OUTCOME_NACK_TRANSIENT);
    assert_string_equal(test_probe.events[0].reason, "try later");
    df_bytes_unref(b);
    assert_int_equal(rt_finish(&t), 0);
}

/* The only holder of its bytes: compacted where it lies, into exactly what
 * a copy would hold. */
static void test_partial_drop_in_place(void **state)
{
    (void)state;
    struct rt t;
    start(&t, PIPELINE("{logs: {include: {match_type: strict, severity_number: {min: WARN}}}}"));
    test_probe.sink_mode = DF_OUTCOME_NONE;
    struct df_bytes *b = logs(64, 1), *copy = df_bytes_new(b->len);
    assert_non_null(copy);
    memcpy(copy->data, b->data, b->len);
    const uint8_t *where = b->data;
    test_inject(0, DF_SIGNAL_LOGS, b, 64, 7);
    df_bytes_unref(b); /* the pdata holds the last reference */
    rt_spin(&t, 3);
    assert_int_equal(test_probe.nsunk, 1);
    struct df_pdata *pd = test_probe.sunk[0].pd;
    assert_ptr_equal(pd->data, where);
    assert_true(pd->items > 0 && pd->items < 64);
    /* The same request filtered from a shared buffer (copied) agrees. */
    struct df_filter_spec sp = {
        .match_type = DF_FILTER_STRICT, .severity = true, .severity_min = 13};
    struct df_filter_config fc = {0};
    fc.include[DF_SIGNAL_LOGS] = &sp;
    struct df_filter *f;
    assert_int_equal(df_filter_new(&fc, &f, NULL, 0), 0);
    struct df_filter_result r;
    assert_int_equal(df_filter_scan(f, DF_SIGNAL_LOGS, copy->data, copy->len, &r), 0);
    assert_int_equal(r.items_kept, pd->items);
    assert_int_equal(r.out_len, pd->len);
    uint8_t *out = malloc(r.out_len);
    assert_non_null(out);
    df_filter_write(f, copy->data, copy->len, out);
    assert_memory_equal(out, pd->data, pd->len);
    free(out);
    df_filter_free(f);
    df_bytes_unref(copy);
    test_sink_settle(0, DF_OUTCOME_ACK, NULL);
    rt_spin(&t, 3);
    assert_int_equal(test_probe.nevents, 1);
    assert_int_equal(test_probe.events[0].cookie, 7);
    assert_int_equal(test_probe.events[0].outcome, DF_OUTCOME_ACK);
    assert_int_equal(rt_finish(&t), 0);
}

static void test_nothing_dropped_is_zero_copy(void **state)
{
    (void)state;
    struct rt t;
    start(&t, PIPELINE("{logs: {exclude: {match_type: regexp, bodies: ['^no such body$']}}}"));
    struct df_bytes *b = logs(16, 2);
    test_inject(0, DF_SIGNAL_LOGS, b, 16, 3);
    rt_spin(&t, 3);
    assert_int_equal(test_probe.nsunk, 1);
    assert_int_equal(test_probe.sunk[0].items, 16);
    assert_int_equal(test_probe.nevents, 1); /* the sink Acked the very input */
    assert_int_equal(test_probe.events[0].outcome, DF_OUTCOME_ACK);
    assert_int_equal(test_probe.events[0].cookie, 3);
    df_bytes_unref(b);
    assert_int_equal(rt_finish(&t), 0);
}

static void test_zero_copy_pointer(void **state)
{
    (void)state;
    struct rt t;
    start(&t, PIPELINE("{spans: {exclude: {match_type: strict, span_names: [x]}}}"));
    test_probe.sink_mode = DF_OUTCOME_NONE;
    struct df_bytes *b = logs(8, 3);
    /* Logs have no rule: passed as they are. */
    test_inject(0, DF_SIGNAL_LOGS, b, 8, 1);
    rt_spin(&t, 3);
    assert_int_equal(test_probe.nsunk, 1);
    assert_ptr_equal(test_probe.sunk[0].pd->data, b->data);
    test_sink_settle(0, DF_OUTCOME_ACK, NULL);
    rt_spin(&t, 3);
    assert_int_equal(test_probe.nevents, 1);
    df_bytes_unref(b);
    assert_int_equal(rt_finish(&t), 0);
}

static void test_all_dropped_acks_upstream(void **state)
{
    (void)state;
    struct rt t;
    start(&t, PIPELINE("{logs: {exclude: {match_type: strict, "
                       "resource_attributes: [{key: service.name, "
                       "value: df_engine.traffic_generator}]}}}"));
    struct df_bytes *b = logs(32, 4);
    test_inject(0, DF_SIGNAL_LOGS, b, 32, 5);
    rt_spin(&t, 3);
    assert_int_equal(test_probe.nsunk, 0);
    assert_int_equal(test_probe.nevents, 1);
    assert_int_equal(test_probe.events[0].outcome, DF_OUTCOME_ACK);
    assert_int_equal(test_probe.events[0].cookie, 5);
    df_bytes_unref(b);
    assert_int_equal(rt_finish(&t), 0);
}

static void test_malformed_nacked_permanent(void **state)
{
    (void)state;
    struct rt t;
    start(&t, PIPELINE("{traces: {include: {match_type: strict, span_names: [a]}}}"));
    struct df_bytes *b = df_bytes_new(3);
    memcpy(b->data, "\x0a\x05\x00", 3); /* length past the end */
    test_inject(0, DF_SIGNAL_TRACES, b, 1, 6);
    rt_spin(&t, 3);
    assert_int_equal(test_probe.nsunk, 0);
    assert_int_equal(test_probe.nevents, 1);
    assert_int_equal(test_probe.events[0].outcome, DF_OUTCOME_NACK_PERMANENT);
    df_bytes_unref(b);
    assert_int_equal(rt_finish(&t), 0);
}

/* Loads a config and expects it rejected with `want` in a message and
 * `path` in a path. */
static void expect_rejected(const char *yaml, const char *want, const char *path)
{
    struct df_diags d;
    memset(&d, 0, sizeof d);
    struct df_config *cfg = df_config_parse("rt.yaml", yaml, strlen(yaml), &d);
    assert_null(cfg);
    bool found = false;
    for (size_t i = 0; i < d.count && !found; i++)
        found = strstr(d.items[i].msg, want) && (!path || strstr(d.items[i].path, path));
    if (!found)
        df_diags_print(&d, stderr);
    assert_true(found);
}

static void test_config_errors(void **state)
{
    (void)state;
    expect_rejected(PIPELINE("{logs: {include: {match_type: regexp, bodies: [ok, '(bad']}}}"),
                    "bad regular expression '(bad'", "logs.include.bodies[1]");
    expect_rejected(PIPELINE("{spans: {exclude: {match_type: regexp, attributes: "
                             "[{key: k, value: 'a['}]}}}"),
                    "bad regular expression", "spans.exclude.attributes[0].value");
    expect_rejected(PIPELINE("{logs: {include: {match_type: strict}}}"), "at least one property",
                    "logs.include");
    expect_rejected(PIPELINE("{logs: {include: {match_type: strict, severity_number: "
                             "{min: NOTICE}}}}"),
                    "not a severity number", NULL);
    expect_rejected(PIPELINE("{logs: {include: {match_type: fuzzy, bodies: [a]}}}"), "fuzzy", NULL);
    expect_rejected(PIPELINE("{spans: {include: {match_type: strict, bodies: [a]}}}"), "bodies",
                    NULL);
    expect_rejected(PIPELINE("{spans: {include: {match_type: strict, span_names: [a]}}, "
                             "traces: {include: {match_type: strict, span_names: [b]}}}"),
                    "not both", NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_partial_drop_and_outcome),
        cmocka_unit_test(test_partial_drop_in_place),
        cmocka_unit_test(test_nothing_dropped_is_zero_copy),
        cmocka_unit_test(test_zero_copy_pointer),
        cmocka_unit_test(test_all_dropped_acks_upstream),
        cmocka_unit_test(test_malformed_nacked_permanent),
        cmocka_unit_test(test_config_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
