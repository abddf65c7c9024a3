/* The exporters' bearer token header (bearer.h). */
#include "nodes/exporters/otlp_grpc/bearer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int otlp_bearer_claim(struct df_node *node, struct otlp_bearer *b, bool static_auth,
                      struct df_error *err)
{
    *b = (struct otlp_bearer){0};
    int rc = df_bearer_token_provider_optional(node, 1, &b->h, err);
    if (rc < 0)
        return rc;
    if (b->h.ops && static_auth) {
        snprintf(err->msg, sizeof err->msg,
                 "`headers` sets Authorization and a bearer_token_provider is bound: keep one");
        return DF_EINVAL;
    }
    return 0;
}

const char *otlp_bearer_value(struct otlp_bearer *b)
{
    struct df_bearer_token t;
    if (df_bearer_token_call(b->h, &t) != DF_BEARER_TOKEN_OK)
        return NULL;
    if (b->value && t.version == b->version)
        return b->value;
    char *v = malloc(t.len + sizeof "Bearer ");
    if (!v)
        return NULL;
    memcpy(v, "Bearer ", 7);
    memcpy(v + 7, t.value, t.len);
    v[7 + t.len] = 0;
    free(b->value);
    b->value = v;
    b->version = t.version;
    return v;
}

void otlp_bearer_free(struct otlp_bearer *b)
{
    free(b->value);
    b->value = NULL;
}
