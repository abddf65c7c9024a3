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
#include <time.h>
#include <uv.h>

#include "df/node.h"
#include "nodes/receivers/traffic_generator/traffic_generator.h"
#include "otlp/gen.h"
#include "otlp/wire.h"

#define VARIANTS 4
#define TICK_NS  100000000ull

struct payload {
    struct df_bytes *bytes;
    uint64_t items;
};

struct gen {
    const struct traffic_generator_config *cfg;
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

/* Record timestamps are wall-clock time (uv_hrtime is monotonic). */
static uint64_t wall_clock_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static struct df_bytes *generate(enum df_signal s, const struct traffic_config *t, uint32_t items,
                                 uint64_t seed, uint64_t *count)
{
    struct df_pb_writer w;
    df_pb_writer_init(&w);
    struct df_otlp_gen_opts o = {.items = items,
                                 .log_body_size = (uint32_t)t->log_body_size_bytes,
                                 .num_attributes = (uint32_t)t->num_attributes,
                                 .seed = seed,
                                 .time_unix_nano = wall_clock_ns()};
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
                 "docs/nodes.md#receivertraffic_generator", .options = &traffic_generator_table,
                 .ops = &gen_ops);
