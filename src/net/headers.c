/* Configured request headers (net/headers.h). */
#include "net/headers.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "df/value.h"

static bool token_char(unsigned char c)
{
    return isalnum(c) || strchr("!#$%&'*+-.^_`|~", c);
}

static const char *reserved(const char *name, bool grpc)
{
    static const char *const always[] = {
        "content-type",      "content-length",  "host", "te", "user-agent", "connection",
        "transfer-encoding", "content-encoding"};
    for (size_t i = 0; i < DF_COUNTOF(always); i++) {
        if (!strcasecmp(name, always[i]))
            return "is set by the transport";
    }
    if (grpc && !strncasecmp(name, "grpc-", 5))
        return "uses the grpc- prefix reserved by gRPC";
    size_t n = strlen(name);
    if (grpc && n > 4 && !strcasecmp(name + n - 4, "-bin"))
        return "ends in -bin, reserved for binary gRPC metadata";
    return NULL;
}

int df_headers_check(const struct df_map *headers, bool grpc, const char *path, struct df_diags *d)
{
    int rc = 0;
    const char *const *values = headers->values;
    for (size_t i = 0; i < headers->count; i++) {
        const char *name = headers->keys[i], *value = values[i], *why = NULL;
        const struct df_mark *mark = headers->src ? &headers->src->u.map.entries[i].key_mark : NULL;
        char p[DF_ERROR_PATH_MAX];
        snprintf(p, sizeof p, "%s.%s", path, name);
        for (const char *c = name; *c && !why; c++)
            why = token_char((unsigned char)*c) ? NULL : "is not a valid header name";
        if (!*name)
            why = "is empty";
        if (!why)
            why = reserved(name, grpc);
        if (why) {
            df_diags_add(d, mark, p, "header '%s' %s", name, why);
            rc = DF_EINVAL;
            continue;
        }
        for (const unsigned char *c = (const unsigned char *)value; *c; c++) {
            if ((*c < 0x20 && *c != '\t') || *c >= 0x7f) {
                df_diags_add(d, mark, p,
                             "the value of header '%s' has a control or non-ASCII "
                             "byte",
                             name);
                rc = DF_EINVAL;
                break;
            }
        }
    }
    return rc;
}
