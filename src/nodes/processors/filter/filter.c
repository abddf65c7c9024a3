/* processor:filter — drops log records, spans and metrics by the
 * OpenTelemetry Collector's filter rules (legacy include/exclude config).
 *
 * Each core compiles its own copy of the rules (regexps included) at
 * create. A request is scanned in its wire form (otlp/filter.h): when
 * nothing is dropped the very pdata goes on (zero copy); when everything is
 * dropped it is Acked and nothing is sent; otherwise the kept records are
 * compacted into the pdata's own buffer when no other pdata shares it, or
 * copied into a new buffer that replaces it, and the same pdata goes on (its
 * subscribers learn the outcome of what was kept). A request malformed where
 * it was read is Nacked as permanent. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "df/node.h"
#include "nodes/processors/filter/filter.h"
#include "otlp/filter.h"

struct filter {
    struct df_filter *f;
    struct df_metric *m_items, *m_dropped, *m_failed;
};

static void fill_spec(struct df_filter_spec *sp, const struct filter_match_cfg *m)
{
    *sp = (struct df_filter_spec){
        .match_type = (enum df_filter_match_type)m->match_type,
        .names = m->names.items,
        .nnames = m->names.count,
        .severity_texts = m->severity_texts.items,
        .nseverity_texts = m->severity_texts.count,
        .severity = m->severity_number != NULL,
        .severity_min = m->severity_number ? m->severity_number->min_number : 0,
        .match_undefined = m->severity_number && m->severity_number->match_undefined,
        .attributes = m->attributes.items,
        .nattributes = m->attributes.count,
        .resource_attributes = m->resource_attributes.items,
        .nresource_attributes = m->resource_attributes.count,
    };
}

static int filter_create(struct df_node *node, const void *options, void **state,
                         struct df_error *err)
{
    const struct filter_config *c = options;
    struct filter *x = calloc(1, sizeof *x);
    if (!x)
        return DF_ENOMEM;
    *state = x;
    struct df_filter_spec specs[2 * DF_SIGNAL_COUNT];
    struct df_filter_config fc = {0};
    const struct filter_signal_cfg *sig[DF_SIGNAL_COUNT] = {
        [DF_SIGNAL_LOGS] = c->logs,
        [DF_SIGNAL_METRICS] = c->metrics,
        [DF_SIGNAL_TRACES] = c->spans ? c->spans : c->traces,
    };
    for (int s = 0; s < DF_SIGNAL_COUNT; s++) {
        if (!sig[s])
            continue;
        if (sig[s]->include) {
            fill_spec(&specs[2 * s], sig[s]->include);
            fc.include[s] = &specs[2 * s];
        }
        if (sig[s]->exclude) {
            fill_spec(&specs[2 * s + 1], sig[s]->exclude);
            fc.exclude[s] = &specs[2 * s + 1];
        }
    }
    int rc = df_filter_new(&fc, &x->f, err->msg, sizeof err->msg);
    if (rc)
        return rc;
    x->m_items = df_node_metric(node, DF_METRIC_COUNTER, "df_processor_filter_items_total",
                                "items (log records, spans, data points) the filter examined");
    x->m_dropped = df_node_metric(node, DF_METRIC_COUNTER, "df_processor_filter_dropped_total",
                                  "items the filter dropped");
    x->m_failed = df_node_metric(node, DF_METRIC_COUNTER, "df_processor_filter_failed_total",
                                 "items of requests the filter could not read (Nacked)");
    if (!x->m_items || !x->m_dropped || !x->m_failed)
        return DF_ENOMEM;
    return 0;
}

static void filter_process(struct df_node *node, void *state, struct df_pdata *pd)
{
    struct filter *x = state;
    if (!df_filter_applies(x->f, pd->signal)) {
        df_node_send(node, DF_PORT_DEFAULT, pd);
        return;
    }
    struct df_filter_result r;
    int rc = df_filter_scan(x->f, pd->signal, pd->data, pd->len, &r);
    if (rc < 0) {
        df_metric_add(x->m_failed, (double)pd->items);
        df_node_nack(node, pd,
                     rc == DF_EPARSE ? DF_OUTCOME_NACK_PERMANENT : DF_OUTCOME_NACK_TRANSIENT,
                     "filter processor: cannot read a %s request: %s", df_signal_name(pd->signal),
                     df_strerror(rc));
        return;
    }
    df_metric_add(x->m_items, (double)r.items_in);
    df_metric_add(x->m_dropped, (double)(r.items_in - r.items_kept));
    if (r.items_kept == r.items_in) {
        df_node_send(node, DF_PORT_DEFAULT, pd);
        return;
    }
    if (r.items_kept == 0) {
        df_node_ack(node, pd);
        return;
    }
    if (df_pdata_exclusive(pd)) {
        /* Compacted inside its own buffer: no allocation, no copy to cold
         * memory, and the same pdata (with its subscribers) goes on. */
        pd->len = df_filter_write(x->f, pd->data, pd->len, (uint8_t *)pd->data);
    } else {
        struct df_bytes *b = df_bytes_new(r.out_len);
        if (!b) {
            df_node_nack(node, pd, DF_OUTCOME_NACK_TRANSIENT, "filter processor: out of memory");
            return;
        }
        df_pdata_set_bytes(pd, b, df_filter_write(x->f, pd->data, pd->len, b->data));
    }
    pd->items = r.items_kept;
    df_node_send(node, DF_PORT_DEFAULT, pd);
}

static void filter_destroy(struct df_node *node, void *state)
{
    (void)node;
    struct filter *x = state;
    if (!x)
        return;
    df_filter_free(x->f);
    free(x);
}

static const struct df_node_ops filter_ops = {
    .create = filter_create, .process = filter_process, .destroy = filter_destroy};

DF_REGISTER_NODE(filter_processor, "urn:otel:processor:filter", DF_NODE_PROCESSOR,
                 "Drops log records, spans and metrics matching include/exclude rules.",
                 "docs/processors/filter.md", .options = &filter_table, .consumes = NULL,
                 .ops = &filter_ops);
