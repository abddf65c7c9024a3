/* df/capabilities/bearer_token_provider.h — the token an exporter sends
 * with each outgoing request (`Authorization: Bearer <token>`).
 *
 * Semantics every provider keeps: `token` returns the current token without
 * blocking or doing I/O (a background task fetches, reads or renews it), and
 * never one within the provider's safety margin of its expiry: past that it
 * answers "no token" until a fresh one is in. The token's version changes
 * whenever the token does — the change notification: a caller that built a
 * header from version v rebuilds it when a later call reports another
 * version, and otherwise reuses what it built.
 *
 * Version 1: token. */
#ifndef DF_CAPABILITIES_BEARER_TOKEN_PROVIDER_H
#define DF_CAPABILITIES_BEARER_TOKEN_PROVIDER_H

#include <stddef.h>
#include <stdint.h>

#include "df/capability.h"

#define DF_BEARER_TOKEN_PROVIDER_NAME    "bearer_token_provider"
#define DF_BEARER_TOKEN_PROVIDER_VERSION 1

/* Outcomes, in the order of the capability's `outcomes` labels. */
enum df_bearer_token_outcome { DF_BEARER_TOKEN_OK, DF_BEARER_TOKEN_NONE };

/* A token: not NUL-terminated, valid until the next call through the same
 * handle (on the same core), which is when the provider may let go of it. */
struct df_bearer_token {
    const char *value;
    size_t len;
    uint64_t version; /* changes when the token changes; never 0 for a token */
};

struct df_bearer_token_provider_ops {
    /* v1. Sets *out and returns DF_BEARER_TOKEN_OK, or DF_BEARER_TOKEN_NONE
     * when there is no usable token now (not loaded yet, expired). */
    enum df_bearer_token_outcome (*token)(void *self, struct df_bearer_token *out);
};

struct df_bearer_token_provider {
    const struct df_bearer_token_provider_ops *ops;
    struct df_cap_binding *b;
};

DF_CAP_CLAIMS(df_bearer_token_provider, struct df_bearer_token_provider,
              DF_BEARER_TOKEN_PROVIDER_NAME)

/* The current token; core thread of the node holding `h`. */
static inline enum df_bearer_token_outcome df_bearer_token_call(struct df_bearer_token_provider h,
                                                                struct df_bearer_token *out)
{
    *out = (struct df_bearer_token){0};
    enum df_bearer_token_outcome o = h.ops->token(h.b->self, out);
    if (o != DF_BEARER_TOKEN_OK || !out->value)
        o = DF_BEARER_TOKEN_NONE;
    df_cap_count(h.b, o);
    return o;
}

#endif
