/* exporter:error — Nacks every request with a configured message, for
 * fault-injection tests of Ack/Nack paths. */
#include <stddef.h>

#include "df/node.h"

struct error_config {
    const char *message;
    int kind; /* 0 transient, 1 permanent */
};

static const char *const nack_kinds[] = {"transient", "permanent", NULL};

static const struct df_option error_opts[] = {
    {.name = "message",
     .type = DF_OPT_STRING,
     .offset = offsetof(struct error_config, message),
     .desc = "the Nack reason (default: \"rejected by exporter:error\")"},
    {.name = "nack",
     .type = DF_OPT_ENUM,
     .enums = nack_kinds,
     .def = "permanent",
     .offset = offsetof(struct error_config, kind),
     .desc = "transient (a retry may succeed) or permanent"},
};

static const struct df_option_table error_table =
    DF_OPTION_TABLE(struct error_config, error_opts, "exporter:error options.");

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
                 "docs/nodes.md#exportererror", .options = &error_table, .ops = &error_ops);
