/* Endpoint URLs (net/url.h). */
#include "net/url.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "df/error.h"

static int fail(char *err, size_t errlen, const char *s, const char *why)
{
    snprintf(err, errlen, "invalid URL '%s': %s", s, why);
    return DF_EINVAL;
}

int df_url_parse(const char *s, struct df_url *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    const char *p;
    if (!strncmp(s, "http://", 7)) {
        p = s + 7;
    } else if (!strncmp(s, "https://", 8)) {
        p = s + 8;
        out->tls = true;
    } else {
        return fail(err, errlen, s, "expected http:// or https://");
    }
    const char *auth_end = p + strcspn(p, "/?#");
    if (memchr(p, '@', (size_t)(auth_end - p)))
        return fail(err, errlen, s, "user information is not supported");
    const char *host = p, *host_end;
    if (*p == '[') {
        host = p + 1;
        host_end = strchr(host, ']');
        if (!host_end)
            return fail(err, errlen, s, "unclosed '[' in the host");
        p = host_end + 1;
    } else {
        while (*p && *p != ':' && *p != '/' && *p != '?' && *p != '#')
            p++;
        host_end = p;
    }
    size_t hlen = (size_t)(host_end - host);
    if (!hlen)
        return fail(err, errlen, s, "no host");
    if (hlen >= sizeof out->host)
        return fail(err, errlen, s, "host too long");
    memcpy(out->host, host, hlen);
    for (size_t i = 0; i < hlen; i++) {
        unsigned char c = (unsigned char)out->host[i];
        if (!isalnum(c) && c != '.' && c != '-' && c != '_' && c != ':')
            return fail(err, errlen, s, "bad character in the host");
    }
    out->port = out->tls ? 443 : 80;
    if (*p == ':') {
        char *end;
        long port = strtol(p + 1, &end, 10);
        if (end == p + 1 || port < 1 || port > 65535 || (*end && *end != '/'))
            return fail(err, errlen, s, "bad port");
        out->port = (uint16_t)port;
        p = end;
    }
    if (*p == '?' || *p == '#')
        return fail(err, errlen, s, "a query or fragment is not supported");
    if (*p) {
        if (strlen(p) >= sizeof out->path)
            return fail(err, errlen, s, "path too long");
        if (strpbrk(p, "?# "))
            return fail(err, errlen, s, "a query, fragment or space in the path");
        strcpy(out->path, p);
    }
    bool v6 = strchr(out->host, ':') != NULL;
    bool default_port = out->port == (out->tls ? 443 : 80);
    snprintf(out->authority, sizeof out->authority, "%s%s%s", v6 ? "[" : "", out->host,
             v6 ? "]" : "");
    if (!default_port) {
        size_t n = strlen(out->authority);
        snprintf(out->authority + n, sizeof out->authority - n, ":%u", out->port);
    }
    return 0;
}
