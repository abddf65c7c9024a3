/* exporter:perf — Acks every request and, every `frequency`, reports the
 * throughput it saw (items/s and bytes/s per signal window), the CPU used by
 * its core's thread and the process's RSS, to the log and as node metrics.
 * The measuring end of benchmarks. */
#include <stdlib.h>

#include "core/procstat.h"
#include "df/node.h"
#include "nodes/exporters/perf/perf.h"
#include "uv.h"

struct perf {
    const struct perf_config *cfg;
    struct df_timer *timer;
    uint64_t items, bytes, requests; /* since the last report */
    uint64_t last_ns;
    double last_cpu;
    struct df_metric *items_rate, *bytes_rate, *cpu, *rss;
};

static void perf_report(struct df_node *node, void *state);

static int perf_create(struct df_node *node, const void *options, void **state,
                       struct df_error *err)
{
    struct perf *p = calloc(1, sizeof *p);
    if (!p)
        return DF_ENOMEM;
    p->cfg = options;
    p->timer = df_node_timer(node, perf_report);
    p->items_rate = df_node_metric(node, DF_METRIC_GAUGE, "df_perf_items_per_second",
                                   "Items per second seen by exporter:perf in its last window.");
    p->bytes_rate = df_node_metric(node, DF_METRIC_GAUGE, "df_perf_bytes_per_second",
                                   "Request bytes per second seen by exporter:perf.");
    p->cpu = df_node_metric(node, DF_METRIC_GAUGE, "df_perf_core_cpu_utilization",
                            "Share of one CPU used by the core thread in the last window (0-1).");
    p->rss = df_node_metric(node, DF_METRIC_GAUGE, "df_perf_process_resident_memory_bytes",
                            "Resident memory of the process at the last report.");
    *state = p;
    if (!p->timer || !p->items_rate || !p->bytes_rate || !p->cpu || !p->rss)
        return DF_ENOMEM;
    return 0;
}

static void perf_report(struct df_node *node, void *state)
{
    struct perf *p = state;
    uint64_t now = uv_hrtime();
    double cpu = df_thread_cpu_seconds();
    double secs = (double)(now - p->last_ns) / 1e9;
    if (secs <= 0)
        return;
    double items = (double)p->items / secs, bytes = (double)p->bytes / secs;
    double util = (cpu - p->last_cpu) / secs;
    uint64_t rss = df_proc_rss_bytes();
    df_metric_set(p->items_rate, items);
    df_metric_set(p->bytes_rate, bytes);
    df_metric_set(p->cpu, util);
    df_metric_set(p->rss, (double)rss);
    df_node_log(node, DF_LOG_INFO,
                "%.0f items/s, %.1f MiB/s, %.0f requests/s, core CPU %.0f%%, RSS %.1f MiB", items,
                bytes / 1048576.0, (double)p->requests / secs, util * 100, rss / 1048576.0);
    p->items = p->bytes = p->requests = 0;
    p->last_ns = now;
    p->last_cpu = cpu;
}

static int perf_start(struct df_node *node, void *state, struct df_error *err)
{
    struct perf *p = state;
    p->last_ns = uv_hrtime();
    p->last_cpu = df_thread_cpu_seconds();
    df_timer_start(p->timer, p->cfg->frequency, p->cfg->frequency);
    return 0;
}

static void perf_process(struct df_node *node, void *state, struct df_pdata *pd)
{
    struct perf *p = state;
    p->items += pd->items;
    p->bytes += pd->len;
    p->requests++;
    df_node_ack(node, pd);
}

static void perf_destroy(struct df_node *node, void *state)
{
    free(state);
}

static const struct df_node_ops perf_ops = {
    .create = perf_create, .start = perf_start, .process = perf_process, .destroy = perf_destroy};

DF_REGISTER_NODE(perf_exporter, "urn:otel:exporter:perf", DF_NODE_EXPORTER,
                 "Acks every request and reports throughput, CPU and memory periodically.",
                 "docs/nodes.md#exporterperf", .options = &perf_table, .ops = &perf_ops);
