/* exporter:error — Nacks every request with a configured message, for
 * fault-injection tests of Ack/Nack paths. */
#include "df/node.h"
#include "nodes/exporters/error/error.h"

static int error_create(struct df_node *node, const void *options, void **state,
                        struct df_error *err)
{
    *state = (void *)options;
    return 0;
}

static void error_process(struct df_node *node, void *state, struct df_pdata *pd)
{
    const struct error_config *c = state;
    df_node_nack(node, pd, c->kind ? DF_OUTCOME_NACK_PERMANENT : DF_OUTCOME_NACK_TRANSIENT, "%s",
                 c->message ? c->message : "rejected by exporter:error");
}

static const struct df_node_ops error_ops = {.create = error_create, .process = error_process};

DF_REGISTER_NODE(error_exporter, "urn:otel:exporter:error", DF_NODE_EXPORTER,
                 "Nacks every request with a configured message (fault injection).",
                 "docs/nodes.md#exportererror", .options = &error_exporter_table,
                 .ops = &error_ops);
