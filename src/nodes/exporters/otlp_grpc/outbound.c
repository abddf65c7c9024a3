/* The exporters' capability-given headers (outbound.h). */
#include "nodes/exporters/otlp_grpc/outbound.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *const otlp_outbound_consumes[] = {DF_BEARER_TOKEN_PROVIDER_NAME,
                                              DF_REQUEST_HEADERS_NAME, NULL};

int otlp_outbound_claim(struct df_node *node, struct otlp_outbound *o, const struct df_map *headers,
                        struct df_error *err)
{
    *o = (struct otlp_outbound){0};
    bool static_auth = false;
    for (size_t i = 0; i < headers->count; i++)
        static_auth |= !strcasecmp(headers->keys[i], "authorization");
    int rc = df_bearer_token_provider_optional(node, 1, &o->bearer, err);
    if (rc < 0)
        return rc;
    if (o->bearer.ops && static_auth) {
        snprintf(err->msg, sizeof err->msg,
                 "`headers` sets Authorization and a bearer_token_provider is bound: keep one");
        return DF_EINVAL;
    }
    return df_request_headers_optional(node, 1, &o->headers, err);
}

/* The Authorization value, or NULL (see otlp_outbound_headers). */
static const char *bearer_value(struct otlp_outbound *o, const char **why)
{
    struct df_bearer_token t;
    if (df_bearer_token_call(o->bearer, &t) != DF_BEARER_TOKEN_OK) {
        *why = "the bearer_token_provider has no token now";
        return NULL;
    }
    if (o->auth && t.version == o->version)
        return o->auth;
    char *v = malloc(t.len + sizeof "Bearer ");
    if (!v) {
        *why = "out of memory";
        return NULL;
    }
    memcpy(v, "Bearer ", 7);
    memcpy(v + 7, t.value, t.len);
    v[7 + t.len] = 0;
    free(o->auth);
    o->auth = v;
    o->version = t.version;
    return v;
}

int otlp_outbound_headers(struct otlp_outbound *o, const struct df_identity *sender,
                          struct df_request_header *out, const char **why)
{
    size_t n = 0;
    if (o->bearer.ops) {
        const char *auth = bearer_value(o, why);
        if (!auth)
            return -1;
        out[n++] = (struct df_request_header){"authorization", auth};
    }
    if (o->headers.ops)
        n += df_request_headers_call(o->headers, sender, out + n);
    return (int)n;
}

void otlp_outbound_free(struct otlp_outbound *o)
{
    free(o->auth);
    o->auth = NULL;
}
