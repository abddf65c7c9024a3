/* processor:attribute on a real pipeline: a rename reaches the sink with the
 * item count and Ack path intact, untouched requests pass without a copy,
 * malformed ones are Nacked permanently, the metrics count; and the config
 * checks at load. */
#define _GNU_SOURCE /* memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "df/capabilities/auth_check.h"
#include "otlp/gen.h"
#include "otlp/otlp.h"
#include "tests/support/test_kv.h"
#include "tests/unit/runtime/rt_fixture.h"

static struct df_bytes *gen(enum df_signal s, uint32_t items)
{
    struct df_pb_writer w;
    df_pb_writer_init(&w);
    struct df_otlp_gen_opts o = {
        .items = items, .log_body_size = 20, .num_attributes = 4, .seed = 3};
    assert_int_equal(df_otlp_gen(s, &o, &w), 0);
    size_t len;
    uint8_t *buf = df_pb_writer_take(&w, &len);
    return df_bytes_wrap(buf, len);
}

static const char *yaml_for(char *yaml, size_t n, const char *config)
{
    snprintf(yaml, n,
             RT_HEADER RT_GROUP "        nodes:\n"
                                "          gen: {type: 'urn:test:receiver:gen'}\n"
                                "          attr:\n"
                                "            type: processor:attribute\n"
                                "            config: %s\n"
                                "          sink: {type: 'urn:test:exporter:sink'}\n"
                                "        connections: [{from: gen, to: attr}, "
                                "{from: attr, to: sink}]\n",
             config);
    return yaml;
}

static double metric(struct rt *t, const char *name)
{
    struct df_node *node = rt_node(t, "attr");
    for (uint32_t i = 0; i < node->nmetrics; i++) {
        if (!strcmp(node->metrics[i].name, name))
            return node->metrics[i].value;
    }
    fail_msg("no metric %s", name);
    return -1;
}

static void test_rename_through_pipeline(void **state)
{
    (void)state;
    char yaml[2048];
    struct rt t;
    rt_start(&t, yaml_for(yaml, sizeof yaml,
                          "{actions: [{action: rename, source_key: http.request.method, "
                          "destination_key: http.method}, {key: env, action: insert, value: "
                          "prod}, {key: retries, action: upsert, value: 3}]}"));
    test_probe.gen_subscribe = true;
    test_probe.sink_mode = DF_OUTCOME_NONE;
    struct df_bytes *b = gen(DF_SIGNAL_LOGS, 10);
    test_inject(0, DF_SIGNAL_LOGS, b, 10, 7);
    rt_spin(&t, 2);
    assert_int_equal(test_probe.nsunk, 1);
    struct df_pdata *pd = test_probe.sunk[0].pd;
    assert_int_equal(pd->items, 10);
    assert_ptr_not_equal(pd->data, b->data);
    uint64_t n = 0;
    assert_int_equal(df_otlp_count(DF_SIGNAL_LOGS, pd->data, pd->len, &n), 0);
    assert_int_equal(n, 10);
    assert_null(memmem(pd->data, pd->len, "http.request.method", 19));
    assert_non_null(memmem(pd->data, pd->len, "http.method", 11));
    assert_non_null(memmem(pd->data, pd->len, "prod", 4));
    /* The Ack reaches the receiver's subscription. */
    test_sink_settle(0, DF_OUTCOME_ACK, NULL);
    rt_spin(&t, 3);
    assert_int_equal(test_probe.nevents, 1);
    assert_int_equal(test_probe.events[0].outcome, DF_OUTCOME_ACK);
    assert_int_equal(test_probe.events[0].cookie, 7);
    assert_true(metric(&t, "df_processor_attribute_items_total") == 10);
    assert_true(metric(&t, "df_processor_attribute_modified_total") == 10);
    assert_true(metric(&t, "df_processor_attribute_failed_total") == 0);
    df_bytes_unref(b);
    assert_int_equal(rt_finish(&t), 0);
}

static void test_untouched_and_malformed(void **state)
{
    (void)state;
    char yaml[2048];
    struct rt t;
    rt_start(&t, yaml_for(yaml, sizeof yaml,
                          "{actions: [{key: absent, action: delete}], apply_to: [signal, "
                          "resource, scope]}"));
    test_probe.gen_subscribe = true;
    struct df_bytes *b = gen(DF_SIGNAL_TRACES, 8);
    test_inject(0, DF_SIGNAL_TRACES, b, 8, 1);
    rt_spin(&t, 2);
    assert_int_equal(test_probe.nsunk, 1);
    assert_ptr_equal(test_probe.sunk[0].pd ? test_probe.sunk[0].pd->data : b->data, b->data);
    /* A record that is a varint, not a message. */
    struct df_bytes *bad = df_bytes_new(6);
    memcpy(bad->data, (const uint8_t[]){0x0a, 0x04, 0x12, 0x02, 0x10, 0x01}, 6);
    test_inject(0, DF_SIGNAL_TRACES, bad, 1, 2);
    rt_spin(&t, 3);
    assert_int_equal(test_probe.nsunk, 1);
    assert_int_equal(test_probe.nevents, 2);
    assert_int_equal(test_probe.events[1].cookie, 2);
    assert_int_equal(test_probe.events[1].outcome, DF_OUTCOME_NACK_PERMANENT);
    assert_true(metric(&t, "df_processor_attribute_items_total") == 9);
    assert_true(metric(&t, "df_processor_attribute_modified_total") == 0);
    assert_true(metric(&t, "df_processor_attribute_failed_total") == 1);
    df_bytes_unref(b);
    df_bytes_unref(bad);
    assert_int_equal(rt_finish(&t), 0);
}

static void test_zero_copy_pointer(void **state)
{
    (void)state;
    char yaml[2048];
    struct rt t;
    rt_start(&t, yaml_for(yaml, sizeof yaml, "{actions: [{key: nope, action: hash}]}"));
    test_probe.sink_mode = DF_OUTCOME_NONE;
    struct df_bytes *b = gen(DF_SIGNAL_METRICS, 10);
    test_inject(0, DF_SIGNAL_METRICS, b, 10, 1);
    rt_spin(&t, 2);
    assert_int_equal(test_probe.nsunk, 1);
    assert_ptr_equal(test_probe.sunk[0].pd->data, b->data);
    assert_ptr_equal(test_probe.sunk[0].pd->bytes, b);
    test_sink_settle(0, DF_OUTCOME_ACK, NULL);
    rt_spin(&t, 2);
    df_bytes_unref(b);
    assert_int_equal(rt_finish(&t), 0);
}

static bool parses(const char *config, struct df_diags *d)
{
    char yaml[2048];
    yaml_for(yaml, sizeof yaml, config);
    memset(d, 0, sizeof *d);
    struct df_config *cfg = df_config_parse("a.yaml", yaml, strlen(yaml), d);
    df_config_free(cfg);
    return cfg != NULL;
}

/* Whether `pd` holds the KeyValue {key: value (a string)}, as encoded. */
static bool has_string_kv(const struct df_pdata *pd, const char *key, const char *value)
{
    return test_string_kv_count(pd->data, pd->len, key, value) > 0;
}

static void test_from_context(void **state)
{
    (void)state;
    char yaml[2048];
    struct rt t;
    rt_start(&t, yaml_for(yaml, sizeof yaml,
                          "{actions: [{key: tenant, action: upsert, from_context: auth.subject}, "
                          "{key: team, action: insert, from_context: auth.team}, "
                          "{key: via, action: insert, from_context: auth.provider}], "
                          "apply_to: [resource]}"));
    test_probe.sink_mode = DF_OUTCOME_NONE;
    static const struct df_identity_attr red[] = {{"team", "red"}};
    static const struct df_identity alice = {
        .subject = "alice", .attrs = red, .nattrs = 1, .provider = "oidc"};
    static const struct df_identity bob = {.subject = "bob", .provider = "tokens"};
    const struct df_identity *who[] = {&alice, &bob, NULL, &alice};
    struct df_bytes *b = gen(DF_SIGNAL_LOGS, 4);
    for (unsigned i = 0; i < DF_COUNTOF(who); i++)
        test_inject_as(0, DF_SIGNAL_LOGS, b, 4, i + 1, who[i]);
    rt_spin(&t, 3);
    assert_int_equal(test_probe.nsunk, 4);
    struct df_pdata *pd[4];
    for (unsigned i = 0; i < 4; i++)
        pd[i] = test_probe.sunk[i].pd;
    for (unsigned i = 0; i < 4; i += 3) { /* alice's, twice (the second resolved once) */
        assert_true(has_string_kv(pd[i], "tenant", "alice"));
        assert_true(has_string_kv(pd[i], "team", "red"));
        assert_true(has_string_kv(pd[i], "via", "oidc"));
        assert_ptr_equal(pd[i]->ctx.identity, &alice);
    }
    /* bob's identity has no team: that action is left out. */
    assert_true(has_string_kv(pd[1], "tenant", "bob"));
    assert_null(memmem(pd[1]->data, pd[1]->len, "team", 4));
    assert_true(has_string_kv(pd[1], "via", "tokens"));
    /* No sender: nothing to write, the request goes on as it came. */
    assert_ptr_equal(pd[2]->data, b->data);
    for (unsigned i = 0; i < 4; i++)
        test_sink_settle(i, DF_OUTCOME_ACK, NULL);
    rt_spin(&t, 2);
    df_bytes_unref(b);
    assert_int_equal(rt_finish(&t), 0);
}

static void test_config_checks(void **state)
{
    (void)state;
    struct df_diags d;
    assert_true(parses("{actions: [{key: a, action: insert, value: 1.5}, {key: b, action: "
                       "update, from_attribute: a}, {key: c, action: hash}, {action: rename, "
                       "source_key: x, destination_key: y}], apply_to: resource}",
                       &d));
    assert_false(parses("{actions: [{key: a, action: insert}]}", &d));
    assert_false(parses("{actions: [{key: a, action: insert, value: 1, from_attribute: b}]}", &d));
    assert_false(parses("{actions: [{key: a, action: upsert, value: [1]}]}", &d));
    assert_false(parses("{actions: [{action: rename, source_key: a}]}", &d));
    assert_false(parses("{actions: [{key: a, action: rename, destination_key: b}]}", &d));
    assert_false(parses("{actions: [{key: a, action: delete, value: 1}]}", &d));
    assert_false(parses("{actions: [{action: delete}]}", &d));
    assert_false(parses("{actions: [{key: a, action: explode}]}", &d));
    assert_false(parses("{actions: [{key: a, action: delete}], apply_to: [span]}", &d));
    assert_false(parses("{actions: []}", &d));
    assert_false(parses("{}", &d));
    assert_true(parses("{actions: [{key: t, action: insert, from_context: auth.tenant}]}", &d));
    assert_false(parses("{actions: [{key: t, action: insert, from_context: tenant}]}", &d));
    assert_non_null(strstr(d.items[0].msg, "names nothing a request carries"));
    assert_false(parses("{actions: [{key: t, action: insert, from_context: 'auth.'}]}", &d));
    assert_false(parses("{actions: [{key: t, action: insert, value: 1, from_context: "
                        "auth.subject}]}",
                        &d));
    assert_false(parses("{actions: [{key: t, action: hash, from_context: auth.subject}]}", &d));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rename_through_pipeline),
        cmocka_unit_test(test_untouched_and_malformed),
        cmocka_unit_test(test_zero_copy_pointer),
        cmocka_unit_test(test_from_context),
        cmocka_unit_test(test_config_checks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
