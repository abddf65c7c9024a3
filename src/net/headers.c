/* Configured request headers (net/headers.h). */
#include "net/headers.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "df/value.h"

bool df_http_tchar(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

bool df_header_value_ok(const char *value, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)value[i];
        if ((c < 0x20 && c != '\t') || c >= 0x7f)
            return false;
    }
    return true;
}

const char *df_header_name_problem(const char *name, bool grpc)
{
    if (!*name)
        return "is empty";
    for (const char *c = name; *c; c++) {
        if (!df_http_tchar((unsigned char)*c))
            return "is not a valid header name";
    }
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
        const char *name = headers->keys[i], *value = values[i];
        const struct df_mark *mark = headers->src ? &headers->src->u.map.entries[i].key_mark : NULL;
        char p[DF_ERROR_PATH_MAX];
        snprintf(p, sizeof p, "%s.%s", path, name);
        const char *why = df_header_name_problem(name, grpc);
        if (why) {
            df_diags_add(d, mark, p, "header '%s' %s", name, why);
            rc = DF_EINVAL;
        } else if (!df_header_value_ok(value, strlen(value))) {
            df_diags_add(d, mark, p, "the value of header '%s' has a control or non-ASCII byte",
                         name);
            rc = DF_EINVAL;
        }
    }
    return rc;
}
