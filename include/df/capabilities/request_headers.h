/* df/capabilities/request_headers.h — headers an exporter adds to each
 * outgoing request: static values, values a background task reads (files),
 * or values of the request's sender (its identity), e.g. a tenant header
 * for a multi-tenant backend.
 *
 * Semantics every provider keeps: `headers` never blocks and never performs
 * I/O. Names are lowercase HTTP field names (tokens); values hold only
 * visible ASCII, spaces and tabs (never CR or LF, whatever an identity
 * carried), with no surrounding whitespace. The strings stay valid until
 * the next call through the same handle on the same core. A caller adds
 * the headers after its own and sends the request as it would otherwise.
 *
 * Version 1: headers. */
#ifndef DF_CAPABILITIES_REQUEST_HEADERS_H
#define DF_CAPABILITIES_REQUEST_HEADERS_H

#include <stddef.h>

#include "df/capabilities/auth_check.h"
#include "df/capability.h"

#define DF_REQUEST_HEADERS_NAME    "request_headers"
#define DF_REQUEST_HEADERS_VERSION 1

/* The most headers one call may return. */
#define DF_REQUEST_HEADERS_MAX 16

/* Outcomes, in the order of the capability's `outcomes` labels. */
enum df_request_headers_outcome { DF_REQUEST_HEADERS_SET, DF_REQUEST_HEADERS_NONE };

/* One header; NUL-terminated strings. */
struct df_request_header {
    const char *name;
    const char *value;
};

struct df_request_headers_ops {
    /* v1. Fills out[0..DF_REQUEST_HEADERS_MAX) with the headers of one
     * request whose data came from `sender` (NULL: no identity, or data
     * of several senders) and returns how many. */
    size_t (*headers)(void *self, const struct df_identity *sender, struct df_request_header *out);
};

struct df_request_headers {
    const struct df_request_headers_ops *ops;
    struct df_cap_binding *b;
};

DF_CAP_CLAIMS(df_request_headers, struct df_request_headers, DF_REQUEST_HEADERS_NAME)

/* The headers for a request from `sender`; core thread of the node holding
 * `h`. Returns their count (0..DF_REQUEST_HEADERS_MAX). */
static inline size_t df_request_headers_call(struct df_request_headers h,
                                             const struct df_identity *sender,
                                             struct df_request_header *out)
{
    size_t n = h.ops->headers(h.b->self, sender, out);
    if (n > DF_REQUEST_HEADERS_MAX)
        n = DF_REQUEST_HEADERS_MAX;
    df_cap_count(h.b, n ? DF_REQUEST_HEADERS_SET : DF_REQUEST_HEADERS_NONE);
    return n;
}

#endif
