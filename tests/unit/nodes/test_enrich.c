/* processor:enrich on a real pipeline with the test dataset_lookup provider
 * (urn:test:extension:dataset): resource and record modes for every
 * signal, the prefix, upsert without duplicates, each on_missing, zero copy
 * when nothing is added, malformed input Nacked permanently, the metrics;
 * and the config checks at load. */
#define _GNU_SOURCE /* memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "otlp/otlp.h"
#include "otlp/wire.h"
#include "tests/support/test_kv.h"
#include "tests/unit/runtime/rt_fixture.h"

/* ---- requests ----------------------------------------------------------- */

/* A KeyValue as field `field`: a string value, or an int when the value
 * starts with '#'. */
static void put_kv(struct df_pb_writer *w, uint32_t field, const char *key, const char *value)
{
    size_t kv = df_pb_begin(w, field);
    df_pb_put_string(w, 1, key);
    size_t av = df_pb_begin(w, 2);
    if (value[0] == '#')
        df_pb_put_varint(w, 3, (uint64_t)strtoll(value + 1, NULL, 10));
    else
        df_pb_put_string(w, 1, value);
    df_pb_end(w, av);
    df_pb_end(w, kv);
}

/* One record of `s` with attribute user = `user` (none when NULL) and,
 * when `extra` is set, `extra` = "old". */
static void put_record(struct df_pb_writer *w, enum df_signal s, const char *user,
                       const char *extra)
{
    static const uint32_t attr_field[] = {
        [DF_SIGNAL_LOGS] = 6, [DF_SIGNAL_TRACES] = 9, [DF_SIGNAL_METRICS] = 7};
    size_t m = 0, g = 0;
    if (s == DF_SIGNAL_METRICS) {
        m = df_pb_begin(w, 2); /* ScopeMetrics.metrics */
        df_pb_put_string(w, 1, "m");
        g = df_pb_begin(w, 5); /* gauge */
    }
    size_t r = df_pb_begin(w, s == DF_SIGNAL_METRICS ? 1 : 2);
    if (s == DF_SIGNAL_TRACES)
        df_pb_put_string(w, 5, "span");
    if (s == DF_SIGNAL_METRICS)
        df_pb_put_double(w, 4, 1.5);
    if (s == DF_SIGNAL_LOGS)
        df_pb_put_varint(w, 2, 9);
    if (user)
        put_kv(w, attr_field[s], "user", user);
    if (extra)
        put_kv(w, attr_field[s], extra, "old");
    df_pb_end(w, r);
    if (s == DF_SIGNAL_METRICS) {
        df_pb_end(w, g);
        df_pb_end(w, m);
    }
}

/* A request of `s` with one resource per host (host = hosts[i], none when
 * "") each holding one scope with users[i][0..] records (NULL-terminated;
 * "-" = a record without user). */
static struct df_bytes *request(enum df_signal s, const char *const *hosts,
                                const char *const *const *users, size_t nres, const char *extra)
{
    struct df_pb_writer w;
    df_pb_writer_init(&w);
    for (size_t i = 0; i < nres; i++) {
        size_t rx = df_pb_begin(&w, 1);
        if (*hosts[i]) {
            size_t res = df_pb_begin(&w, 1);
            put_kv(&w, 1, "host", hosts[i]);
            df_pb_end(&w, res);
        }
        size_t sx = df_pb_begin(&w, 2);
        for (const char *const *u = users[i]; *u; u++)
            put_record(&w, s, strcmp(*u, "-") ? *u : NULL, extra);
        df_pb_end(&w, sx);
        df_pb_end(&w, rx);
    }
    size_t len;
    uint8_t *buf = df_pb_writer_take(&w, &len);
    return df_bytes_wrap(buf, len);
}

static uint64_t count(enum df_signal s, const struct df_pdata *pd)
{
    uint64_t n = 0;
    assert_int_equal(df_otlp_count(s, pd->data, pd->len, &n), 0);
    return n;
}

/* Occurrences of the KeyValue {key: value (a string)}, as encoded. */
static int kv_count(const struct df_pdata *pd, const char *key, const char *value)
{
    return test_string_kv_count(pd->data, pd->len, key, value);
}

static int key_count(const struct df_pdata *pd, const char *key)
{
    int c = 0;
    size_t n = strlen(key);
    const uint8_t *p = pd->data, *end = pd->data + pd->len;
    while (p < end && (p = memmem(p, (size_t)(end - p), key, n))) {
        c++;
        p += n;
    }
    return c;
}

/* ---- pipeline ----------------------------------------------------------- */

#define DATASET "{rows: {a: 'region=eu tier=gold', b: 'region=us', '42': 'name=bob'}}"

/* gen -> enrich (bound to a test dataset with config `ds`) -> sink. */
static const char *yaml_ds(char *yaml, size_t n, const char *ds, const char *config)
{
    snprintf(yaml, n,
             RT_HEADER RT_GROUP "        extensions:\n"
                                "          ds: {type: 'urn:test:extension:dataset', "
                                "config: %s}\n"
                                "        nodes:\n"
                                "          gen: {type: 'urn:test:receiver:gen'}\n"
                                "          enrich:\n"
                                "            type: processor:enrich\n"
                                "            capabilities: {dataset_lookup: ds}\n"
                                "            config: %s\n"
                                "          sink: {type: 'urn:test:exporter:sink'}\n"
                                "        connections: [{from: gen, to: enrich}, "
                                "{from: enrich, to: sink}]\n",
             ds, config);
    return yaml;
}

static const char *yaml_for(char *yaml, size_t n, const char *config)
{
    return yaml_ds(yaml, n, DATASET, config);
}

static double metric(struct rt *t, const char *name)
{
    struct df_node *node = rt_node(t, "enrich");
    char full[96];
    snprintf(full, sizeof full, "df_processor_enrich_%s_total", name);
    for (uint32_t i = 0; i < node->nmetrics; i++) {
        if (!strcmp(node->metrics[i].name, full))
            return node->metrics[i].value;
    }
    fail_msg("no metric %s", full);
    return -1;
}

/* Runs one request through `config`; the sunk pdata (held) or NULL. */
static struct df_pdata *run(struct rt *t, const char *config, enum df_signal s, struct df_bytes *b,
                            uint64_t items)
{
    static char yaml[4096];
    rt_start(t, yaml_for(yaml, sizeof yaml, config));
    test_probe.gen_subscribe = true;
    test_probe.sink_mode = DF_OUTCOME_NONE;
    test_inject(0, s, b, items, 1);
    rt_spin(t, 2);
    return test_probe.nsunk ? test_probe.sunk[0].pd : NULL;
}

static void finish(struct rt *t, struct df_bytes *b)
{
    if (test_probe.nsunk)
        test_sink_settle(0, DF_OUTCOME_ACK, NULL);
    rt_spin(t, 2);
    df_bytes_unref(b);
    assert_int_equal(rt_finish(t), 0);
}

static const char *const ab[] = {"a", "zz"};
static const char *const two[] = {"u1", "u2", NULL};
static const char *const *const two_each[] = {two, two};

static void test_resource_mode_all_signals(void **state)
{
    (void)state;
    for (int s = 0; s < DF_SIGNAL_COUNT; s++) {
        struct rt t;
        struct df_bytes *b = request((enum df_signal)s, ab, two_each, 2, NULL);
        struct df_pdata *pd =
            run(&t, "{lookup_key: {name: host}, prefix: 'geo.'}", (enum df_signal)s, b, 4);
        assert_non_null(pd);
        assert_ptr_not_equal(pd->data, b->data);
        assert_int_equal(pd->items, 4);
        assert_int_equal(count((enum df_signal)s, pd), 4);
        assert_int_equal(kv_count(pd, "geo.region", "eu"), 1);
        assert_int_equal(kv_count(pd, "geo.tier", "gold"), 1);
        assert_int_equal(key_count(pd, "geo.missing"), 0);
        assert_true(metric(&t, "items") == 4);
        assert_true(metric(&t, "enriched") == 1);
        assert_true(metric(&t, "missing") == 1);
        assert_true(metric(&t, "errors") == 0);
        finish(&t, b);
    }
}

/* Record mode, key from the record (an int, looked up in decimal); an
 * existing attribute of an added key is replaced, never duplicated. */
static void test_record_mode_int_key_upsert(void **state)
{
    (void)state;
    static const char *const users[] = {"#42", "nobody", "-", NULL};
    static const char *const *const per[] = {users};
    static const char *const host[] = {"a"};
    for (int s = 0; s < DF_SIGNAL_COUNT; s++) {
        struct rt t;
        struct df_bytes *b = request((enum df_signal)s, host, per, 1, "u.name");
        struct df_pdata *pd = run(&t,
                                  "{lookup_key: {from: attribute, name: user}, prefix: 'u.', "
                                  "apply_to: record}",
                                  (enum df_signal)s, b, 3);
        assert_non_null(pd);
        assert_int_equal(count((enum df_signal)s, pd), 3);
        assert_int_equal(kv_count(pd, "u.name", "bob"), 1);
        assert_int_equal(kv_count(pd, "u.name", "old"), 2); /* the two not found */
        assert_int_equal(key_count(pd, "u.name"), 3);
        assert_true(metric(&t, "enriched") == 1);
        assert_true(metric(&t, "missing") == 2);
        finish(&t, b);
    }
}

/* Record mode, key from the resource: every record of a found resource
 * gets the row; a resource without the key attribute counts as missing. */
static void test_record_mode_from_resource(void **state)
{
    (void)state;
    static const char *const hosts[] = {"b", "", "a"};
    static const char *const *const per[] = {two, two, two};
    struct rt t;
    struct df_bytes *b = request(DF_SIGNAL_METRICS, hosts, per, 3, NULL);
    struct df_pdata *pd =
        run(&t, "{lookup_key: {name: host}, apply_to: record, on_missing: tag, prefix: 'x_'}",
            DF_SIGNAL_METRICS, b, 6);
    assert_non_null(pd);
    assert_int_equal(count(DF_SIGNAL_METRICS, pd), 6);
    assert_int_equal(kv_count(pd, "x_region", "us"), 2);
    assert_int_equal(kv_count(pd, "x_region", "eu"), 2);
    assert_int_equal(kv_count(pd, "x_tier", "gold"), 2);
    assert_int_equal(key_count(pd, "x_missing"), 2);
    assert_true(metric(&t, "enriched") == 4);
    assert_true(metric(&t, "missing") == 2);
    finish(&t, b);
}

static void test_tag(void **state)
{
    (void)state;
    struct rt t;
    struct df_bytes *b = request(DF_SIGNAL_LOGS, ab, two_each, 2, NULL);
    struct df_pdata *pd = run(&t, "{lookup_key: {name: host}, prefix: 'geo.', on_missing: tag}",
                              DF_SIGNAL_LOGS, b, 4);
    assert_non_null(pd);
    assert_int_equal(count(DF_SIGNAL_LOGS, pd), 4);
    /* geo.missing = true (bool): key, then AnyValue{bool_value: true} */
    static const uint8_t tag[] = {0x0a, 11,  'g', 'e', 'o',  '.', 'm',  'i', 's',
                                  's',  'i', 'n', 'g', 0x12, 2,   0x10, 1};
    assert_non_null(memmem(pd->data, pd->len, tag, sizeof tag));
    assert_int_equal(key_count(pd, "geo.missing"), 1);
    assert_int_equal(kv_count(pd, "geo.region", "eu"), 1);
    finish(&t, b);
}

/* Drop in resource mode removes the whole ResourceX; in record mode the
 * records, and scopes and resources left empty. */
static void test_drop(void **state)
{
    (void)state;
    struct rt t;
    struct df_bytes *b = request(DF_SIGNAL_TRACES, ab, two_each, 2, NULL);
    struct df_pdata *pd =
        run(&t, "{lookup_key: {name: host}, on_missing: drop}", DF_SIGNAL_TRACES, b, 4);
    assert_non_null(pd);
    assert_int_equal(pd->items, 2);
    assert_int_equal(count(DF_SIGNAL_TRACES, pd), 2);
    assert_int_equal(key_count(pd, "zz"), 0);
    assert_int_equal(kv_count(pd, "region", "eu"), 1);
    finish(&t, b);

    static const char *const found[] = {"-", "#42", "x", NULL};
    static const char *const none[] = {"x", "y", NULL};
    static const char *const *const per[] = {none, found, none};
    static const char *const hosts[] = {"a", "b", "c"};
    for (int s = 0; s < DF_SIGNAL_COUNT; s++) {
        b = request((enum df_signal)s, hosts, per, 3, NULL);
        pd = run(&t,
                 "{lookup_key: {from: attribute, name: user}, apply_to: record, "
                 "on_missing: drop}",
                 (enum df_signal)s, b, 7);
        assert_non_null(pd);
        assert_int_equal(pd->items, 1);
        assert_int_equal(count((enum df_signal)s, pd), 1);
        assert_int_equal(kv_count(pd, "name", "bob"), 1);
        /* The emptied resources went with their records. */
        assert_int_equal(key_count(pd, "host"), 1);
        assert_true(metric(&t, "missing") == 6);
        finish(&t, b);
    }
}

/* A resource with no Resource message is missing too: tag gives it a
 * Resource holding the tag; drop removes it. */
static void test_absent_resource(void **state)
{
    (void)state;
    static const char *const hosts[] = {"", "a"};
    static const char *const *const per[] = {two, two};
    struct rt t;
    struct df_bytes *b = request(DF_SIGNAL_TRACES, hosts, per, 2, NULL);
    struct df_pdata *pd = run(&t, "{lookup_key: {name: host}, prefix: 'geo.', on_missing: tag}",
                              DF_SIGNAL_TRACES, b, 4);
    assert_non_null(pd);
    assert_int_equal(count(DF_SIGNAL_TRACES, pd), 4);
    assert_int_equal(key_count(pd, "geo.missing"), 1);
    assert_int_equal(kv_count(pd, "geo.region", "eu"), 1);
    assert_true(metric(&t, "missing") == 1);
    finish(&t, b);
    b = request(DF_SIGNAL_TRACES, hosts, per, 2, NULL);
    pd = run(&t, "{lookup_key: {name: host}, on_missing: drop}", DF_SIGNAL_TRACES, b, 4);
    assert_non_null(pd);
    assert_int_equal(pd->items, 2);
    assert_int_equal(count(DF_SIGNAL_TRACES, pd), 2);
    finish(&t, b);
}

/* Everything dropped: the request is Acked and nothing goes on. */
static void test_drop_all_acks(void **state)
{
    (void)state;
    static const char *const hosts[] = {"zz"};
    static const char *const *const per[] = {two};
    struct rt t;
    struct df_bytes *b = request(DF_SIGNAL_LOGS, hosts, per, 1, NULL);
    assert_null(run(&t, "{lookup_key: {name: host}, on_missing: drop}", DF_SIGNAL_LOGS, b, 2));
    assert_int_equal(test_probe.nevents, 1);
    assert_int_equal(test_probe.events[0].outcome, DF_OUTCOME_ACK);
    finish(&t, b);
}

/* keep with nothing found: the very bytes go on. */
static void test_zero_copy(void **state)
{
    (void)state;
    static const char *const hosts[] = {"zz", ""};
    static const char *const *const per[] = {two, two};
    for (int s = 0; s < DF_SIGNAL_COUNT; s++) {
        struct rt t;
        struct df_bytes *b = request((enum df_signal)s, hosts, per, 2, NULL);
        struct df_pdata *pd =
            run(&t, "{lookup_key: {name: host}, apply_to: record}", (enum df_signal)s, b, 4);
        assert_non_null(pd);
        assert_ptr_equal(pd->bytes, b);
        assert_ptr_equal(pd->data, b->data);
        assert_true(metric(&t, "missing") == 4);
        finish(&t, b);
    }
}

static void test_malformed(void **state)
{
    (void)state;
    struct rt t;
    /* A Resource that is a varint, not a message. */
    struct df_bytes *bad = df_bytes_new(4);
    memcpy(bad->data, (const uint8_t[]){0x0a, 0x02, 0x08, 0x01}, 4);
    assert_null(run(&t, "{lookup_key: {name: host}}", DF_SIGNAL_LOGS, bad, 1));
    assert_int_equal(test_probe.nevents, 1);
    assert_int_equal(test_probe.events[0].outcome, DF_OUTCOME_NACK_PERMANENT);
    assert_true(metric(&t, "failed") == 1);
    finish(&t, bad);
}

/* A provider with no dataset loaded: everything passes unchanged (not
 * dropped, even with on_missing: drop), counted as errors. */
static void test_lookup_error_passes(void **state)
{
    (void)state;
    static char yaml[4096];
    struct rt t;
    rt_start(&t, yaml_ds(yaml, sizeof yaml, "{unloaded: true, rows: {a: 'x=1'}}",
                         "{lookup_key: {name: host}, on_missing: drop}"));
    test_probe.sink_mode = DF_OUTCOME_NONE;
    struct df_bytes *b = request(DF_SIGNAL_LOGS, ab, two_each, 2, NULL);
    test_inject(0, DF_SIGNAL_LOGS, b, 4, 1);
    rt_spin(&t, 2);
    assert_int_equal(test_probe.nsunk, 1);
    assert_ptr_equal(test_probe.sunk[0].pd->data, b->data);
    assert_true(metric(&t, "errors") == 2);
    assert_true(metric(&t, "missing") == 0);
    finish(&t, b);
}

static bool parses(const char *config, struct df_diags *d)
{
    char yaml[4096];
    yaml_for(yaml, sizeof yaml, config);
    memset(d, 0, sizeof *d);
    struct df_config *cfg = df_config_parse("a.yaml", yaml, strlen(yaml), d);
    df_config_free(cfg);
    return cfg != NULL;
}

static void test_config_checks(void **state)
{
    (void)state;
    struct df_diags d;
    assert_true(parses("{lookup_key: {name: host}}", &d));
    assert_true(parses("{lookup_key: {from: attribute, name: u}, apply_to: record, "
                       "on_missing: drop, prefix: p}",
                       &d));
    assert_false(parses("{}", &d));
    assert_false(parses("{lookup_key: {from: resource_attribute}}", &d));
    assert_false(parses("{lookup_key: {name: ''}}", &d));
    assert_non_null(strstr(d.items[0].msg, "non-empty name"));
    assert_false(parses("{lookup_key: {name: h, from: span}}", &d));
    assert_false(parses("{lookup_key: {name: h}, on_missing: ignore}", &d));
    assert_false(parses("{lookup_key: {name: h}, apply_to: scope}", &d));
    assert_false(parses("{lookup_key: {name: h, from: attribute}}", &d));
    assert_non_null(strstr(d.items[0].msg, "apply_to is resource"));
    assert_true(d.items[0].mark.line > 0);
    assert_false(parses("{lookup_key: {name: h}, prefx: a}", &d));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resource_mode_all_signals),
        cmocka_unit_test(test_record_mode_int_key_upsert),
        cmocka_unit_test(test_record_mode_from_resource),
        cmocka_unit_test(test_tag),
        cmocka_unit_test(test_drop),
        cmocka_unit_test(test_absent_resource),
        cmocka_unit_test(test_drop_all_acks),
        cmocka_unit_test(test_zero_copy),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_lookup_error_passes),
        cmocka_unit_test(test_config_checks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
