/* extensions/common/fetch_config.c — the `tls` option table and the http(s)
 * URL scheme check of providers using df_extension_fetch. See
 * fetch_config.h. */
#include <stddef.h>
#include <strings.h>

#include "extensions/common/fetch_config.h"

static const struct df_option tls_opts[] = {
    {.name = "ca_file",
     .type = DF_OPT_PATH,
     .flags = DF_OPT_MUST_EXIST,
     .offset = offsetof(struct ext_tls_config, ca_file),
     .desc = "PEM bundle: the only CAs trusted for https requests (default: the system's trust "
             "store)"},
    {.name = "insecure_skip_verify",
     .type = DF_OPT_BOOL,
     .def = "false",
     .offset = offsetof(struct ext_tls_config, insecure_skip_verify),
     .desc = "accept any server certificate and name (tests only)"},
};

const struct df_option_table ext_tls_table = DF_OPTION_TABLE(
    struct ext_tls_config, tls_opts, "TLS of an extension's outgoing HTTP requests.");

const char *ext_http_url_rest(const char *url)
{
    if (!strncasecmp(url, "https://", 8))
        return url + 8;
    if (!strncasecmp(url, "http://", 7))
        return url + 7;
    return NULL;
}
