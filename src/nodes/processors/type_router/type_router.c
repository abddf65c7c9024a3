/* processor:type_router — sends each request out of the port named after its
 * signal: `logs`, `metrics` or `traces`. A signal whose port the node does not
 * declare goes to the default output (`default_output`, or the first port);
 * a port left unconnected Nacks what reaches it (permanent), so a missing
 * route shows in the metrics rather than vanishing. No options. */
#include <stdlib.h>

#include "df/node.h"

struct router {
    int port[DF_SIGNAL_COUNT]; /* output port per signal */
};

static int router_create(struct df_node *node, const void *options, void **state,
                         struct df_error *err)
{
    struct router *r = malloc(sizeof *r);
    if (!r)
        return DF_ENOMEM;
    for (int s = 0; s < DF_SIGNAL_COUNT; s++) {
        int p = df_node_port(node, df_signal_name((enum df_signal)s));
        r->port[s] = p >= 0 ? p : DF_PORT_DEFAULT;
    }
    *state = r;
    return 0;
}

static void router_process(struct df_node *node, void *state, struct df_pdata *pd)
{
    const struct router *r = state;
    df_node_send(node, r->port[pd->signal], pd);
}

static void router_destroy(struct df_node *node, void *state)
{
    free(state);
}

static const struct df_node_ops router_ops = {
    .create = router_create, .process = router_process, .destroy = router_destroy};

DF_REGISTER_NODE(type_router, "urn:otel:processor:type_router", DF_NODE_PROCESSOR,
                 "Routes each request to the output port named after its signal.",
                 "docs/processors/type_router.md", .ops = &router_ops);
