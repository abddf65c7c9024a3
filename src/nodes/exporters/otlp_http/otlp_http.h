/* nodes/exporters/otlp_http/otlp_http.h — exporter:otlp_http's
 * configuration, private to this folder. Read-only once parsed. */
#ifndef DF_NODES_EXPORTERS_OTLP_HTTP_OTLP_HTTP_H
#define DF_NODES_EXPORTERS_OTLP_HTTP_OTLP_HTTP_H

#include <stdint.h>

#include "df/options.h"
#include "df/signal.h"
#include "net/tls_config.h"
#include "net/url.h"
#include "nodes/exporters/otlp_grpc/otlp_grpc.h"

enum otlp_http_encoding { OTLP_HTTP_PROTO, OTLP_HTTP_JSON };

struct otlp_http_exporter_config {
    const char *endpoint;                          /* base: /v1/<signal> is appended */
    const char *signal_endpoints[DF_SIGNAL_COUNT]; /* logs_, metrics_, traces_endpoint */
    int encoding;                                  /* enum otlp_http_encoding */
    int compression;                               /* enum otlp_compression */
    uint64_t timeout;
    uint64_t connect_timeout;
    struct df_map headers;
    int64_t max_in_flight;
    struct otlp_backoff backoff;
    struct df_tls_client_opts *tls;
    struct df_url urls[DF_SIGNAL_COUNT]; /* where each signal goes, from the check */
};

extern const struct df_option_table otlp_http_exporter_table;

#endif
