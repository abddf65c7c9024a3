/* The built-in exporters on a real pipeline (test receiver -> exporter):
 * noop Acks and drops; error Nacks with its message and kind; perf Acks and
 * publishes throughput metrics every `frequency`; console prints each request
 * at its verbosity to stdout, Acks valid requests and Nacks malformed ones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "otlp/dump.h"
#include "otlp/gen.h"
#include "otlp/otlp.h"
#include "tests/unit/runtime/rt_fixture.h"

#define T0 1700000000123456789ull /* 2023-11-14T22:13:20.123456789Z */

/* Starts gen -> out, `out` being `type` with `config` (NULL: none); the
 * test receiver subscribes to what it injects. */
static void start(struct rt *t, const char *type, const char *config)
{
    char yaml[1024];
    snprintf(yaml, sizeof yaml,
             RT_HEADER RT_GROUP "        nodes:\n"
                                "          gen: {type: 'urn:test:receiver:gen'}\n"
                                "          out:\n"
                                "            type: %s\n"
                                "%s%s%s"
                                "        connections: [{from: gen, to: out}]\n",
             type, config ? "            config: " : "", config ? config : "", config ? "\n" : "");
    rt_start(t, yaml);
    test_probe.gen_subscribe = true;
}

/* One generated request of `signal` with `items` items. */
static struct df_bytes *request(enum df_signal signal, uint32_t items)
{
    struct df_pb_writer w;
    df_pb_writer_init(&w);
    struct df_otlp_gen_opts o = {
        .items = items, .log_body_size = 12, .num_attributes = 2, .seed = 1, .time_unix_nano = T0};
    assert_int_equal(df_otlp_gen(signal, &o, &w), 0);
    size_t len;
    uint8_t *buf = df_pb_writer_take(&w, &len);
    return df_bytes_wrap(buf, len);
}

/* Field 1 of length 9 with two bytes left: malformed as any signal. */
static struct df_bytes *malformed(void)
{
    struct df_bytes *b = df_bytes_new(4);
    memcpy(b->data, "\x0a\x09zz", 4);
    return b;
}

static void expect_event(unsigned i, uint64_t cookie, enum df_outcome outcome, const char *reason)
{
    assert_true(i < test_probe.nevents);
    assert_string_equal(test_probe.events[i].node, "gen");
    assert_int_equal(test_probe.events[i].cookie, cookie);
    assert_int_equal(test_probe.events[i].outcome, outcome);
    assert_string_equal(test_probe.events[i].reason, reason);
}

/* ---- noop ---------------------------------------------------------------- */

static void test_noop_acks_and_drops(void **state)
{
    struct rt t;
    start(&t, "exporter:noop", NULL);
    struct df_bytes *b = malformed(); /* never read */
    test_inject(0, DF_SIGNAL_LOGS, b, 3, 1);
    test_inject(0, DF_SIGNAL_METRICS, b, 4, 2);
    test_inject(0, DF_SIGNAL_TRACES, b, 5, 3);
    rt_spin(&t, 3);
    assert_int_equal(test_probe.nevents, 3);
    for (unsigned i = 0; i < 3; i++)
        expect_event(i, i + 1, DF_OUTCOME_ACK, "");
    struct df_node *out = rt_node(&t, "out");
    assert_int_equal(out->stats.acks_sent, 3);
    assert_int_equal(out->stats.nacks_sent[0] + out->stats.nacks_sent[1], 0);
    assert_int_equal(out->stats.items_received[DF_SIGNAL_METRICS], 4);
    /* Dropped: nothing is held, and the buffer is ours alone again. */
    assert_int_equal(t.pl.pdata_live, 0);
    assert_int_equal(b->refs, 1);
    df_bytes_unref(b);
    assert_int_equal(rt_finish(&t), 0);
}

/* ---- error --------------------------------------------------------------- */

static void test_error_default_nack(void **state)
{
    struct rt t;
    start(&t, "exporter:error", NULL);
    struct df_bytes *b = request(DF_SIGNAL_LOGS, 2);
    test_inject(0, DF_SIGNAL_LOGS, b, 2, 7);
    test_inject(0, DF_SIGNAL_TRACES, b, 2, 8);
    rt_spin(&t, 3);
    assert_int_equal(test_probe.nevents, 2);
    expect_event(0, 7, DF_OUTCOME_NACK_PERMANENT, "rejected by exporter:error");
    expect_event(1, 8, DF_OUTCOME_NACK_PERMANENT, "rejected by exporter:error");
    struct df_node *out = rt_node(&t, "out");
    assert_int_equal(out->stats.nacks_sent[1], 2);
    assert_int_equal(out->stats.acks_sent, 0);
    assert_int_equal(rt_node(&t, "gen")->stats.nacks_received[1], 2);
    df_bytes_unref(b);
    assert_int_equal(rt_finish(&t), 0);
}

static void test_error_configured_message_and_kind(void **state)
{
    struct rt t;
    start(&t, "exporter:error", "{message: 'disk on fire: 100%', nack: transient}");
    struct df_bytes *b = request(DF_SIGNAL_METRICS, 2);
    test_inject(0, DF_SIGNAL_METRICS, b, 2, 9);
    rt_spin(&t, 3);
    assert_int_equal(test_probe.nevents, 1);
    /* The message is the reason as written (not a format string). */
    expect_event(0, 9, DF_OUTCOME_NACK_TRANSIENT, "disk on fire: 100%");
    assert_int_equal(rt_node(&t, "out")->stats.nacks_sent[0], 1);
    df_bytes_unref(b);
    assert_int_equal(rt_finish(&t), 0);

    start(&t, "exporter:error", "{nack: permanent, message: boom}");
    b = request(DF_SIGNAL_TRACES, 1);
    test_inject(0, DF_SIGNAL_TRACES, b, 1, 10);
    rt_spin(&t, 3);
    assert_int_equal(test_probe.nevents, 1);
    expect_event(0, 10, DF_OUTCOME_NACK_PERMANENT, "boom");
    df_bytes_unref(b);
    assert_int_equal(rt_finish(&t), 0);
}

static void test_error_rejects_unknown_kind(void **state)
{
    const char *yaml = RT_HEADER RT_GROUP "        nodes:\n"
                                          "          gen: {type: 'urn:test:receiver:gen'}\n"
                                          "          out:\n"
                                          "            type: exporter:error\n"
                                          "            config: {nack: sometimes}\n"
                                          "        connections: [{from: gen, to: out}]\n";
    struct df_diags d = {0};
    assert_null(df_config_parse("e.yaml", yaml, strlen(yaml), &d));
    assert_int_equal(df_diags_total(&d), 1);
    assert_non_null(strstr(d.items[0].path, "nack"));
}

/* ---- perf ---------------------------------------------------------------- */

static const struct df_metric *metric(struct df_node *node, const char *name)
{
    for (uint32_t i = 0; i < node->nmetrics; i++) {
        if (!strcmp(node->metrics[i].name, name))
            return &node->metrics[i];
    }
    fail_msg("node %s has no metric %s", node->id, name);
    return NULL;
}

static void heartbeat(uv_timer_t *h)
{
    (void)h;
}

/* Turns the loop until `*m`'s value is (`nonzero`) or is not above zero, or
 * `ms` pass; a heartbeat bounds every blocking turn. */
static bool wait_metric(struct rt *t, const struct df_metric *m, bool nonzero, unsigned ms)
{
    uv_timer_t hb;
    uv_timer_init(&t->pl.loop, &hb);
    uv_timer_start(&hb, heartbeat, 5, 5);
    uint64_t end = uv_hrtime() + (uint64_t)ms * 1000000u;
    while ((m->value > 0) != nonzero && uv_hrtime() < end)
        uv_run(&t->pl.loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&hb, NULL);
    rt_spin(t, 1);
    return (m->value > 0) == nonzero;
}

static void test_perf_acks_and_reports(void **state)
{
    struct rt t;
    uint64_t t0 = uv_hrtime();
    start(&t, "exporter:perf", "{frequency: 20ms}");
    struct df_node *out = rt_node(&t, "out");
    const struct df_metric *items = metric(out, "df_perf_items_per_second");
    const struct df_metric *bytes = metric(out, "df_perf_bytes_per_second");
    const struct df_metric *cpu = metric(out, "df_perf_core_cpu_utilization");
    const struct df_metric *rss = metric(out, "df_perf_process_resident_memory_bytes");
    assert_int_equal(items->type, DF_METRIC_GAUGE);
    assert_true(items->value == 0 && bytes->value == 0 && rss->value == 0);

    struct df_bytes *b = request(DF_SIGNAL_LOGS, 10);
    for (uint64_t i = 1; i <= 3; i++)
        test_inject(0, DF_SIGNAL_LOGS, b, 10, i);
    rt_spin(&t, 3);
    assert_int_equal(test_probe.nevents, 3);
    for (unsigned i = 0; i < 3; i++)
        expect_event(i, i + 1, DF_OUTCOME_ACK, "");
    assert_int_equal(out->stats.acks_sent, 3);

    assert_true(wait_metric(&t, items, true, 2000));
    double secs = (double)(uv_hrtime() - t0) / 1e9;
    /* 30 items in a window of at least 20 ms and at most since start. */
    if (items->value > 30 / 0.015 || items->value < 30 / secs)
        fail_msg("30 items in %.3f s reported as %.1f/s", secs, items->value);
    /* Same window: bytes per item is the request's size over its items. */
    double per_item = bytes->value / items->value;
    if (per_item < (double)b->len / 10 * 0.999 || per_item > (double)b->len / 10 * 1.001)
        fail_msg("%.3f bytes per item, want %.3f", per_item, (double)b->len / 10);
    assert_true(rss->value > 1024 * 1024);
    assert_true(cpu->value >= 0 && cpu->value <= 1.5);

    /* The next window saw nothing: the counts were reset. */
    assert_true(wait_metric(&t, items, false, 2000));
    assert_true(bytes->value == 0);
    assert_true(rss->value > 0);
    df_bytes_unref(b);
    assert_int_equal(rt_finish(&t), 0);
}

/* ---- console ------------------------------------------------------------- */

/* Stdout goes to a temporary file between capture_begin and capture_end;
 * no cmocka assertion may run in between (its report would be captured). */
struct capture {
    FILE *file;
    int saved;
};

static struct capture capture_begin(void)
{
    struct capture c = {tmpfile(), -1};
    assert_non_null(c.file);
    fflush(stdout);
    c.saved = dup(STDOUT_FILENO);
    assert_true(c.saved >= 0);
    assert_int_equal(dup2(fileno(c.file), STDOUT_FILENO), STDOUT_FILENO);
    return c;
}

/* Restores stdout; returns what was written (malloc'd). */
static char *capture_end(struct capture *c)
{
    fflush(stdout);
    assert_int_equal(dup2(c->saved, STDOUT_FILENO), STDOUT_FILENO);
    close(c->saved);
    off_t n = lseek(fileno(c->file), 0, SEEK_END);
    assert_true(n >= 0);
    char *s = malloc((size_t)n + 1);
    assert_non_null(s);
    assert_int_equal(pread(fileno(c->file), s, (size_t)n, 0), n);
    s[n] = 0;
    fclose(c->file);
    return s;
}

/* What df_otlp_dump prints for `b`, appended to `acc`. */
static char *append_dump(char *acc, enum df_signal signal, const struct df_bytes *b,
                         enum df_otlp_verbosity v)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    df_otlp_dump(f, signal, b->data, b->len, v);
    assert_int_equal(fclose(f), 0);
    size_t have = acc ? strlen(acc) : 0;
    acc = realloc(acc, have + len + 1);
    assert_non_null(acc);
    memcpy(acc + have, text, len + 1);
    free(text);
    return acc;
}

static void expect_has(const char *out, const char *part)
{
    if (!strstr(out, part))
        fail_msg("console output lacks '%s':\n%s", part, out);
}

static void expect_lacks(const char *out, const char *part)
{
    if (strstr(out, part))
        fail_msg("console output has '%s':\n%s", part, out);
}

static unsigned count_lines(const char *s)
{
    unsigned n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* Runs gen -> console (`config`) over one request of each signal; checks
 * every one was Acked and the output is their dump at `v`, one request
 * after the other; returns the output. */
static char *console_run(const char *config, enum df_otlp_verbosity v)
{
    struct rt t;
    start(&t, "exporter:console", config);
    struct df_bytes *b[DF_SIGNAL_COUNT];
    for (int s = 0; s < DF_SIGNAL_COUNT; s++)
        b[s] = request((enum df_signal)s, 2);
    struct capture c = capture_begin();
    for (int s = 0; s < DF_SIGNAL_COUNT; s++)
        test_inject(0, (enum df_signal)s, b[s], 2, (uint64_t)s + 1);
    rt_spin(&t, 3);
    char *out = capture_end(&c);
    assert_int_equal(test_probe.nevents, DF_SIGNAL_COUNT);
    for (unsigned i = 0; i < DF_SIGNAL_COUNT; i++)
        expect_event(i, i + 1, DF_OUTCOME_ACK, "");
    assert_int_equal(rt_node(&t, "out")->stats.acks_sent, DF_SIGNAL_COUNT);
    char *want = NULL;
    for (int s = 0; s < DF_SIGNAL_COUNT; s++) {
        want = append_dump(want, (enum df_signal)s, b[s], v);
        df_bytes_unref(b[s]);
    }
    if (strcmp(out, want))
        fail_msg("console printed:\n%s\nwant:\n%s", out, want);
    free(want);
    assert_int_equal(rt_finish(&t), 0);
    return out;
}

static void test_console_basic(void **state)
{
    char *out = console_run("{verbosity: basic}", DF_OTLP_BASIC);
    assert_string_equal(out, "logs: 1 resource, 2 log records\n"
                             "metrics: 1 resource, 2 metrics, 2 data points\n"
                             "traces: 1 resource, 2 spans\n");
    free(out);
}

static void test_console_normal(void **state)
{
    char *out = console_run("{verbosity: normal}", DF_OTLP_NORMAL);
    expect_has(out, "logs: 1 resource, 2 log records\n");
    expect_has(out, "traces: 1 resource, 2 spans\n");
    expect_has(out, "resource #0 {service.name = \"df_engine.traffic_generator\"");
    expect_has(out, "  scope #0 df_engine.traffic_generator 1.0.0\n");
    /* A line per record, starting with its time and severity. */
    expect_has(out, "\n    2023-11-14T22:13:20.123456789Z INFO \"");
    expect_has(out, "\n    2023-11-14T22:13:20.123457789Z INFO \"");
    expect_lacks(out, "log_record #0"); /* detailed only */
    free(out);
    /* normal is the default. */
    out = console_run(NULL, DF_OTLP_NORMAL);
    expect_has(out, "  scope #0 df_engine.traffic_generator 1.0.0\n");
    free(out);
}

static void test_console_detailed(void **state)
{
    char *out = console_run("{verbosity: detailed}", DF_OTLP_DETAILED);
    expect_has(out, "logs: 1 resource, 2 log records\n");
    expect_has(out, "    attribute: service.name = \"df_engine.traffic_generator\"\n");
    expect_has(out, "    log_record #1\n");
    expect_has(out, "      time: 2023-11-14T22:13:20.123457789Z\n");
    expect_has(out, "      severity_number: 9 (INFO)\n");
    expect_has(out, "    span #1\n");
    expect_has(out, "    metric #1\n");
    assert_true(count_lines(out) > 60);
    free(out);
}

static void test_console_nacks_malformed(void **state)
{
    struct rt t;
    start(&t, "exporter:console", "{verbosity: detailed}");
    struct df_bytes *bad = malformed(), *good = request(DF_SIGNAL_LOGS, 1);
    struct capture c = capture_begin();
    test_inject(0, DF_SIGNAL_TRACES, bad, 4, 1);
    test_inject(0, DF_SIGNAL_LOGS, good, 1, 2);
    rt_spin(&t, 3);
    char *out = capture_end(&c);
    assert_int_equal(test_probe.nevents, 2);
    expect_event(0, 1, DF_OUTCOME_NACK_PERMANENT, "malformed traces request");
    expect_event(1, 2, DF_OUTCOME_ACK, ""); /* the next one is fine */
    struct df_node *out_node = rt_node(&t, "out");
    assert_int_equal(out_node->stats.nacks_sent[1], 1);
    assert_int_equal(out_node->stats.acks_sent, 1);
    /* What could be read, and that it was malformed, is still printed. */
    char *want = append_dump(NULL, DF_SIGNAL_TRACES, bad, DF_OTLP_DETAILED);
    want = append_dump(want, DF_SIGNAL_LOGS, good, DF_OTLP_DETAILED);
    if (strcmp(out, want))
        fail_msg("console printed:\n%s\nwant:\n%s", out, want);
    expect_has(out, "malformed");
    free(want);
    free(out);
    df_bytes_unref(bad);
    df_bytes_unref(good);
    assert_int_equal(rt_finish(&t), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_noop_acks_and_drops),
        cmocka_unit_test(test_error_default_nack),
        cmocka_unit_test(test_error_configured_message_and_kind),
        cmocka_unit_test(test_error_rejects_unknown_kind),
        cmocka_unit_test(test_perf_acks_and_reports),
        cmocka_unit_test(test_console_basic),
        cmocka_unit_test(test_console_normal),
        cmocka_unit_test(test_console_detailed),
        cmocka_unit_test(test_console_nacks_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
