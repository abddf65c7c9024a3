/* net/headers.h — checks of configured request headers (exporters' static
 * `headers:`), at config load. Pure; any thread. */
#ifndef DF_NET_HEADERS_H
#define DF_NET_HEADERS_H

#include <stdbool.h>
#include <stddef.h>

#include "df/error.h"
#include "df/options.h"

/* True for an RFC 9110 `tchar`: what header names and auth schemes are
 * made of. */
bool df_http_tchar(unsigned char c);

/* Why `name` cannot be a header of an OTLP exporter's requests, or NULL:
 * not an HTTP token, empty, or set by the transport itself (content-type,
 * content-length, host, te, user-agent, connection, transfer-encoding,
 * content-encoding and, when `grpc`, `grpc-*` and `*-bin`). */
const char *df_header_name_problem(const char *name, bool grpc);

/* True when value[0..len) may be sent as a header value: visible ASCII,
 * spaces and tabs only (no CR, LF, NUL or other control or non-ASCII
 * byte). */
bool df_header_value_ok(const char *value, size_t len);

/* Checks every name and value of `headers` (a map of strings): names must be
 * HTTP tokens (sent lowercased), values visible ASCII or spaces/tabs inside;
 * names the transport sets itself are refused (content-type, content-length,
 * host, te, user-agent, connection, transfer-encoding and, for gRPC, `grpc-*`
 * and `*-bin`). Adds one diagnostic per bad entry under `path`. Returns 0 or
 * DF_EINVAL. */
int df_headers_check(const struct df_map *headers, bool grpc, const char *path, struct df_diags *d);

#endif
