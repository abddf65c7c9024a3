/* nodes/exporters/otlp_grpc/otlp_grpc.h — exporter:otlp_grpc's
 * configuration, private to this folder (config.c fills it, otlp_grpc.c
 * reads it). Read-only once parsed: any core's thread may read it. */
#ifndef DF_NODES_EXPORTERS_OTLP_GRPC_OTLP_GRPC_H
#define DF_NODES_EXPORTERS_OTLP_GRPC_OTLP_GRPC_H

#include <stdint.h>

#include "df/options.h"
#include "net/tls_config.h"
#include "net/url.h"

enum otlp_compression { OTLP_COMPRESSION_NONE, OTLP_COMPRESSION_GZIP, OTLP_COMPRESSION_ZSTD };

/* Reconnection and retry pacing. */
struct otlp_backoff {
    uint64_t initial_interval; /* ns */
    uint64_t max_interval;     /* ns */
};

struct otlp_grpc_exporter_config {
    const char *grpc_endpoint;
    int compression;  /* enum otlp_compression */
    uint64_t timeout; /* ns, per export */
    uint64_t connect_timeout;
    struct df_map headers; /* const char * values */
    int64_t max_in_flight;
    int64_t num_connections;
    struct otlp_backoff backoff;
    struct df_tls_client_opts *tls; /* NULL: TLS only for https:// with defaults */
    struct df_url url;              /* grpc_endpoint, parsed by the check */
};

extern const struct df_option_table otlp_grpc_exporter_table;

/* Shared with exporter:otlp_http (defined in this folder's config.c). */
extern const struct df_option_table otlp_backoff_table;
extern const char *const otlp_compressions[];

#endif
