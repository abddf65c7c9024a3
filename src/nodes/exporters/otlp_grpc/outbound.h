/* nodes/exporters/otlp_grpc/outbound.h — the headers the OTLP exporters
 * (otlp_grpc, otlp_http) add to each request from the capabilities bound to
 * them, both optional:
 *   bearer_token_provider  `authorization: Bearer <token>`; the value is
 *                          rebuilt only when the provider reports a new
 *                          token version, so a request costs one capability
 *                          call and a compare;
 *   request_headers        the provider's headers for the request's sender
 *                          (the identity in its pdata context).
 * Core thread of the exporter. */
#ifndef DF_NODES_EXPORTERS_OTLP_GRPC_OUTBOUND_H
#define DF_NODES_EXPORTERS_OTLP_GRPC_OUTBOUND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "df/capabilities/bearer_token_provider.h"
#include "df/capabilities/request_headers.h"
#include "df/node.h"
#include "df/options.h"

/* The most headers otlp_outbound_headers adds. */
#define OTLP_OUTBOUND_MAX (1 + DF_REQUEST_HEADERS_MAX)

struct otlp_outbound {
    struct df_bearer_token_provider bearer; /* ops NULL: nothing bound */
    uint64_t version;                       /* of the token `auth` was built from */
    char *auth;                             /* "Bearer <token>" (malloc'd) */
    struct df_request_headers headers;      /* ops NULL: nothing bound */
};

/* The capabilities the OTLP exporters consume (their descriptors'
 * `consumes`). */
extern const char *const otlp_outbound_consumes[];

/* Claims the node's optional bindings (create hook). The exporter's
 * configured `headers` setting Authorization (in any case) conflicts with a
 * bound bearer_token_provider (refused with a message in `err`). Returns 0
 * or a negative code. */
int otlp_outbound_claim(struct df_node *node, struct otlp_outbound *o, const struct df_map *headers,
                        struct df_error *err);

/* Fills out[0..OTLP_OUTBOUND_MAX) with the headers for the next request,
 * whose data came from `sender`, and returns how many; the strings stay
 * valid until the next call. Returns -1 when the request must not be sent
 * now (Nack it, transient): the bearer_token_provider has no usable token,
 * or memory ran out; *why then says which. */
int otlp_outbound_headers(struct otlp_outbound *o, const struct df_identity *sender,
                          struct df_request_header *out, const char **why);

void otlp_outbound_free(struct otlp_outbound *o);

#endif
