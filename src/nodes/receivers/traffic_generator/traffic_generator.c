/* receiver:traffic_generator — synthetic OTLP logs, metrics and traces.
 *
 * Payloads are generated once at start (a few variants per signal of
 * `max_batch_size` items each) and then sent again and again as views of the
 * same buffers, so one core can saturate the rest of the pipeline. Signals
 * take turns in proportion to their weights. With `signals_per_second` the
 * generator runs a token bucket on a 100 ms tick (per core: each core's
 * instance produces that rate); without it, it produces whenever the
 * pipeline has room. A rate sends full requests only, unless one 100 ms
 * tick's quota is smaller than a request; requests of another size (that
 * quota, the last one before `max_signal_count`) are generated when first
 * needed and the latest kept. After `max_signal_count` items (per core) it stops and
 * lets the pipeline drain; the engine keeps running. Counts are items: log
 * records, spans, metric data points. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <uv.h>

#include "df/node.h"
#include "otlp/gen.h"
#include "otlp/wire.h"

struct traffic_config {
    int64_t signals_per_second;
    bool has_rate;
    int64_t max_signal_count;
    bool has_max;
    int64_t max_batch_size;
    int64_t weights[DF_SIGNAL_COUNT]; /* logs, metrics, traces */
    int64_t log_body_size_bytes;
    int64_t num_attributes;
};

struct gen_config {
    struct traffic_config traffic;
    bool enable_ack_nack;
};

#define INT_OPT(key, field, lo, hi, dflt, text)                                                    \
    {                                                                                              \
        .name = key, .type = DF_OPT_INT, .flags = DF_OPT_BOUNDED, .min = lo, .max = hi,            \
        .def = dflt, .offset = offsetof(struct traffic_config, field), .desc = text                \
    }

static const struct df_option traffic_opts[] = {
    {.name = "signals_per_second",
     .type = DF_OPT_INT,
     .flags = DF_OPT_BOUNDED | DF_OPT_NULLABLE,
     .min = 1,
     .max = 1000000000,
     .offset = offsetof(struct traffic_config, signals_per_second),
     .present = offsetof(struct traffic_config, has_rate) + 1,
     .desc = "items per second per core; null or absent = as fast as the pipeline takes them"},
    {.name = "max_signal_count",
     .type = DF_OPT_INT,
     .flags = DF_OPT_BOUNDED | DF_OPT_NULLABLE,
     .min = 0,
     .max = INT64_MAX,
     .offset = offsetof(struct traffic_config, max_signal_count),
     .present = offsetof(struct traffic_config, has_max) + 1,
     .desc = "stop after this many items per core; null or absent = never"},
    INT_OPT("max_batch_size", max_batch_size, 1, 1 << 20, "1000", "items per request"),
    INT_OPT("log_weight", weights[DF_SIGNAL_LOGS], 0, 1000, "1", "share of requests that are logs"),
    INT_OPT("metric_weight", weights[DF_SIGNAL_METRICS], 0, 1000, "1",
            "share of requests that are metrics"),
    INT_OPT("trace_weight", weights[DF_SIGNAL_TRACES], 0, 1000, "1",
            "share of requests that are traces"),
    INT_OPT("log_body_size_bytes", log_body_size_bytes, 0, 1 << 20, "100",
            "bytes of each log record's body"),
    INT_OPT("num_attributes", num_attributes, 0, 128, "4", "attributes on each record"),
};

static int check_traffic(void *obj, const struct df_value *src, const char *path,
                         struct df_diags *d)
{
    const struct traffic_config *t = obj;
    if (!t->weights[0] && !t->weights[1] && !t->weights[2]) {
        df_diags_add(d, src ? &src->mark : NULL, path, "every signal weight is 0");
        df_diags_hint(d, "set log_weight, metric_weight or trace_weight above 0");
        return DF_EINVAL;
    }
    return 0;
}

static const struct df_option_table traffic_table = {
    .name = "struct traffic_config",
    .size = sizeof(struct traffic_config),
    .options = traffic_opts,
    .count = DF_COUNTOF(traffic_opts),
    .desc = "Rate, batch size and signal mix.",
    .check = check_traffic,
};

static const struct df_option gen_opts[] = {
    {.name = "traffic_config",
     .type = DF_OPT_TABLE,
     .table = &traffic_table,
     .offset = offsetof(struct gen_config, traffic),
     .desc = "rate, batch size and signal mix"},
    {.name = "enable_ack_nack",
     .type = DF_OPT_BOOL,
     .def = "false",
     .offset = offsetof(struct gen_config, enable_ack_nack),
     .desc = "subscribe to the outcome of every request (counted in the node's Ack/Nack metrics)"},
};

static const struct df_option_table gen_table =
    DF_OPTION_TABLE(struct gen_config, gen_opts, "receiver:traffic_generator options.");

#define VARIANTS 4
#define TICK_NS  100000000ull

struct payload {
    struct df_bytes *bytes;
    uint64_t items;
};

struct gen {
    const struct gen_config *cfg;
    struct payload full[DF_SIGNAL_COUNT][VARIANTS];
    struct payload partial[DF_SIGNAL_COUNT]; /* the last odd-sized request */
    struct df_timer *tick;                   /* rate-limited production */
    struct df_timer *kick;                   /* unlimited: continue next loop turn */
    uint64_t sent;                           /* items */
    double tokens;
    uint64_t last_ns;
    unsigned turn, variant;
    int64_t credit[DF_SIGNAL_COUNT]; /* weighted round robin */
    bool done;
};

static struct df_bytes *generate(enum df_signal s, const struct traffic_config *t, uint32_t items,
                                 uint64_t seed, uint64_t *count)
{
    struct df_pb_writer w;
    df_pb_writer_init(&w);
    struct df_otlp_gen_opts o = {.items = items,
                                 .log_body_size = (uint32_t)t->log_body_size_bytes,
                                 .num_attributes = (uint32_t)t->num_attributes,
                                 .seed = seed,
                                 .time_unix_nano = uv_hrtime()};
    if (df_otlp_gen(s, &o, &w) < 0 || w.err) {
        df_pb_writer_free(&w);
        return NULL;
    }
    size_t len;
    uint8_t *buf = df_pb_writer_take(&w, &len);
    *count = items;
    return df_bytes_wrap(buf, len);
}

/* Picks the next signal by weighted round robin. */
static enum df_signal next_signal(struct gen *g)
{
    const int64_t *w = g->cfg->traffic.weights;
    for (;;) {
        for (int s = 0; s < DF_SIGNAL_COUNT; s++) {
            if (g->credit[s] > 0) {
                g->credit[s]--;
                return (enum df_signal)s;
            }
        }
        for (int s = 0; s < DF_SIGNAL_COUNT; s++)
            g->credit[s] = w[s];
    }
}

/* Sends one request of up to `want` items; returns the items sent (0 when
 * out of memory). */
static uint64_t send_one(struct df_node *node, struct gen *g, uint64_t want)
{
    const struct traffic_config *t = &g->cfg->traffic;
    enum df_signal s = next_signal(g);
    struct payload *p = &g->full[s][g->variant++ % VARIANTS];
    if (want < (uint64_t)t->max_batch_size) {
        p = &g->partial[s];
        if (!p->bytes || p->items != want) {
            df_bytes_unref(p->bytes);
            p->bytes = generate(s, t, (uint32_t)want, g->sent, &p->items);
            if (!p->bytes)
                return 0;
        }
    }
    struct df_pdata *pd = df_pdata_new(node, s, p->bytes, p->bytes->data, p->bytes->len, p->items);
    if (!pd)
        return 0;
    if (g->cfg->enable_ack_nack)
        df_pdata_subscribe(node, pd, 0);
    df_node_send(node, DF_PORT_DEFAULT, pd);
    g->sent += p->items;
    return p->items;
}

static uint64_t remaining(const struct gen *g)
{
    const struct traffic_config *t = &g->cfg->traffic;
    return t->has_max ? (uint64_t)t->max_signal_count - g->sent : UINT64_MAX;
}

static void finish_if_done(struct df_node *node, struct gen *g)
{
    if (!g->done && !remaining(g)) {
        g->done = true;
        df_timer_stop(g->tick);
        df_node_log(node, DF_LOG_INFO, "generated %llu items; done", (unsigned long long)g->sent);
    }
}

/* Unlimited mode: fill the pipeline, then wait for `resume`. One call sends
 * at most a queue's worth, so the loop keeps turning. */
static void produce(struct df_node *node, void *state)
{
    struct gen *g = state;
    const struct traffic_config *t = &g->cfg->traffic;
    for (int i = 0; i < 256 && !g->done && df_node_can_send(node); i++) {
        uint64_t want = remaining(g);
        if (want > (uint64_t)t->max_batch_size)
            want = (uint64_t)t->max_batch_size;
        if (!send_one(node, g, want)) {
            /* Out of memory: try again shortly rather than stall for good. */
            df_timer_start(g->kick, 10000000, 0);
            return;
        }
        finish_if_done(node, g);
    }
    if (!g->done && df_node_can_send(node))
        df_timer_start(g->kick, 0, 0);
}

static void tick(struct df_node *node, void *state)
{
    struct gen *g = state;
    const struct traffic_config *t = &g->cfg->traffic;
    uint64_t now = uv_hrtime();
    g->tokens += (double)t->signals_per_second * (double)(now - g->last_ns) / 1e9;
    g->last_ns = now;
    if (g->tokens > (double)t->signals_per_second)
        g->tokens = (double)t->signals_per_second; /* at most a second of backlog */
    /* Full requests only, unless one tick's quota is below a full request
     * (a low rate): then each tick sends what it has. */
    uint64_t batch = (uint64_t)t->max_batch_size;
    bool low_rate = (double)t->signals_per_second * (double)TICK_NS / 1e9 < (double)batch;
    while (!g->done && g->tokens >= 1 && df_node_can_send(node)) {
        uint64_t want = (uint64_t)g->tokens;
        if (want > batch)
            want = batch;
        if (want > remaining(g))
            want = remaining(g);
        else if (want < batch && !low_rate)
            break;
        uint64_t n = send_one(node, g, want);
        if (!n)
            break;
        g->tokens -= (double)n;
        finish_if_done(node, g);
    }
}

static int gen_create(struct df_node *node, const void *options, void **state, struct df_error *err)
{
    struct gen *g = calloc(1, sizeof *g);
    if (!g)
        return DF_ENOMEM;
    *state = g;
    g->cfg = options;
    const struct traffic_config *t = &g->cfg->traffic;
    g->tick = df_node_timer(node, tick);
    g->kick = df_node_timer(node, produce);
    if (!g->tick || !g->kick)
        return DF_ENOMEM;
    for (int s = 0; s < DF_SIGNAL_COUNT; s++) {
        if (!t->weights[s])
            continue;
        for (int v = 0; v < VARIANTS; v++) {
            struct payload *p = &g->full[s][v];
            p->bytes = generate((enum df_signal)s, t, (uint32_t)t->max_batch_size,
                                (uint64_t)(v * DF_SIGNAL_COUNT + s + 1) * 7919 + df_node_core(node),
                                &p->items);
            if (!p->bytes) {
                snprintf(err->msg, sizeof err->msg, "cannot generate %s payloads",
                         df_signal_name((enum df_signal)s));
                return DF_ENOMEM;
            }
        }
    }
    return 0;
}

static int gen_start(struct df_node *node, void *state, struct df_error *err)
{
    struct gen *g = state;
    g->last_ns = uv_hrtime();
    finish_if_done(node, g);
    if (g->done)
        return 0;
    if (g->cfg->traffic.has_rate)
        df_timer_start(g->tick, TICK_NS, TICK_NS);
    else
        df_timer_start(g->kick, 0, 0);
    return 0;
}

static void gen_resume(struct df_node *node, void *state)
{
    struct gen *g = state;
    if (!g->cfg->traffic.has_rate)
        produce(node, g);
}

static void gen_drain(struct df_node *node, void *state)
{
    struct gen *g = state;
    g->done = true;
    df_node_drained(node); /* stops the timers */
}

static void gen_destroy(struct df_node *node, void *state)
{
    struct gen *g = state;
    for (int s = 0; s < DF_SIGNAL_COUNT; s++) {
        for (int v = 0; v < VARIANTS; v++)
            df_bytes_unref(g->full[s][v].bytes);
        df_bytes_unref(g->partial[s].bytes);
    }
    free(g);
}

static const struct df_node_ops gen_ops = {.create = gen_create,
                                           .start = gen_start,
                                           .resume = gen_resume,
                                           .drain = gen_drain,
                                           .destroy = gen_destroy};

DF_REGISTER_NODE(traffic_generator, "urn:otel:receiver:traffic_generator", DF_NODE_RECEIVER,
                 "Generates synthetic OTLP logs, metrics and traces at a set rate or flat out.",
                 "docs/nodes.md#receivertraffic_generator", .options = &gen_table, .ops = &gen_ops);
