/* extensions/common/fetch_config.h — the config pieces shared by the
 * extension providers that make HTTP(S) requests with df_extension_fetch
 * (oauth2_client_auth's token requests, oidc_auth's discovery and JWKS
 * fetches): the `tls` option table and the check of an http(s) URL's
 * scheme. Private to src/extensions/.
 *
 * The table is read-only and ext_http_url_rest is pure: any thread. */
#ifndef DF_EXTENSIONS_COMMON_FETCH_CONFIG_H
#define DF_EXTENSIONS_COMMON_FETCH_CONFIG_H

#include <stdbool.h>

#include "df/options.h"

/* A provider's `tls` block, passed as df_fetch_req's fields of the same
 * names. */
struct ext_tls_config {
    const char *ca_file;       /* NULL: the system's trust store */
    bool insecure_skip_verify; /* tests only */
};

/* The options of struct ext_tls_config: `ca_file` (a path that must exist)
 * and `insecure_skip_verify` (default false). */
extern const struct df_option_table ext_tls_table;

/* The rest of `url` after an http:// or https:// scheme, the scheme in any
 * case (RFC 3986 §3.1); NULL when `url` starts with neither. */
const char *ext_http_url_rest(const char *url);

#endif
