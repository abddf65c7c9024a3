/* exporter:noop — Acks every request and drops it. The end of pipelines
 * that measure everything upstream of the exporter. */
#include "df/node.h"

static int noop_create(struct df_node *node, const void *options, void **state,
                       struct df_error *err)
{
    return 0;
}

static void noop_process(struct df_node *node, void *state, struct df_pdata *pd)
{
    df_node_ack(node, pd);
}

static const struct df_node_ops noop_ops = {.create = noop_create, .process = noop_process};

DF_REGISTER_NODE(noop_exporter, "urn:otel:exporter:noop", DF_NODE_EXPORTER,
                 "Acknowledges and drops every request.", "docs/nodes.md#exporternoop",
                 .ops = &noop_ops);
