/* net/url.h — endpoint URLs of exporters: http://host[:port][/path] and
 * https://... Host names, IPv4 and bracketed IPv6 literals; no user info,
 * query or fragment (an exporter's endpoint needs none). Pure; any thread. */
#ifndef DF_NET_URL_H
#define DF_NET_URL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct df_url {
    bool tls;            /* https */
    char host[256];      /* without brackets */
    uint16_t port;       /* the scheme's default when absent: 80 / 443 */
    char path[512];      /* "" when absent, else starting with '/' */
    char authority[272]; /* host[:port] as an HTTP Host / :authority */
};

/* Parses `s`. Returns 0, or DF_EINVAL with a message in `err`
 * (`expected http:// or https://`, `bad port '99999'`, ...). */
int df_url_parse(const char *s, struct df_url *out, char *err, size_t errlen);

#endif
