/* net/headers.h — checks of configured request headers (exporters' static
 * `headers:`), at config load. Pure; any thread. */
#ifndef DF_NET_HEADERS_H
#define DF_NET_HEADERS_H

#include <stdbool.h>

#include "df/error.h"
#include "df/options.h"

/* Checks every name and value of `headers` (a map of strings): names must be
 * HTTP tokens (sent lowercased), values visible ASCII or spaces/tabs inside;
 * names the transport sets itself are refused (content-type, content-length,
 * host, te, user-agent, connection, transfer-encoding and, for gRPC, `grpc-*`
 * and `*-bin`). Adds one diagnostic per bad entry under `path`. Returns 0 or
 * DF_EINVAL. */
int df_headers_check(const struct df_map *headers, bool grpc, const char *path, struct df_diags *d);

#endif
