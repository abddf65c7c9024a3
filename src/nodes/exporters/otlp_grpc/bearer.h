/* nodes/exporters/otlp_grpc/bearer.h — the `bearer_token_provider`
 * capability as the OTLP exporters (otlp_grpc, otlp_http) use it: an
 * optional binding whose current token becomes the `Authorization: Bearer
 * <token>` header of every request. The header value is rebuilt only when
 * the provider reports a new token version, so a request costs one
 * capability call and a compare. Core thread of the exporter. */
#ifndef DF_NODES_EXPORTERS_OTLP_GRPC_BEARER_H
#define DF_NODES_EXPORTERS_OTLP_GRPC_BEARER_H

#include <stddef.h>
#include <stdint.h>

#include "df/capabilities/bearer_token_provider.h"
#include "df/node.h"

struct otlp_bearer {
    struct df_bearer_token_provider h; /* ops NULL: nothing bound */
    uint64_t version;                  /* of the token `value` was built from */
    char *value;                       /* "Bearer <token>" (malloc'd) */
};

/* Claims the node's optional binding (create hook). `static_auth` says
 * whether the exporter's `headers` already set Authorization, which
 * conflicts with a bound provider (refused with a message in `err`).
 * Returns 0 or a negative code. */
int otlp_bearer_claim(struct df_node *node, struct otlp_bearer *b, bool static_auth,
                      struct df_error *err);

/* True when a provider is bound. */
static inline bool otlp_bearer_bound(const struct otlp_bearer *b)
{
    return b->h.ops != NULL;
}

/* The Authorization value for the next request, or NULL when the provider
 * has no usable token now (the request should then be Nacked, transient) or
 * memory ran out. Valid until the next call. */
const char *otlp_bearer_value(struct otlp_bearer *b);

void otlp_bearer_free(struct otlp_bearer *b);

#endif
