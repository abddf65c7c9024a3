/* nodes/receivers/otlp/otlp.h — receiver:otlp's configuration, private to
 * this folder: the struct its option tables fill (config.c) and the runtime
 * reads (otlp.c). Read-only once parsed: any core's thread may read it. */
#ifndef DF_NODES_RECEIVERS_OTLP_OTLP_H
#define DF_NODES_RECEIVERS_OTLP_OTLP_H

#include <stdbool.h>
#include <stdint.h>

#include "df/options.h"
#include "net/tls_config.h"

/* What both protocols share. */
struct otlp_common {
    struct df_sockaddr listening_addr;
    int64_t max_concurrent_requests; /* per core; 0 = the pipeline's channel capacity */
    bool wait_for_result;            /* answer after the downstream Ack/Nack */
    uint64_t timeout;                /* ns: the whole request, reading and waiting */
    bool tcp_nodelay;
    struct df_tls_server_opts *tls; /* NULL = plain TCP */
};

/* gRPC keepalive (ns): a connection silent for `time` gets an HTTP/2 PING,
 * and is closed if it does not acknowledge it within `timeout`. */
struct otlp_keepalive {
    uint64_t time;
    uint64_t timeout;
};

struct otlp_grpc_config {
    struct otlp_common common;
    uint64_t max_recv_msg_size; /* bytes, after decompression */
    int64_t max_concurrent_streams;
    struct otlp_keepalive keepalive;
};

struct otlp_cors {
    struct df_list allowed_origins; /* const char *; "*" = any */
    struct df_list allowed_headers; /* const char * */
    uint64_t max_age;               /* ns; 0 = no Access-Control-Max-Age */
};

struct otlp_http_config {
    struct otlp_common common;
    uint64_t max_request_body_size; /* bytes, on the wire and decompressed */
    bool accept_compressed_requests;
    struct otlp_cors *cors; /* NULL = no CORS headers */
};

struct otlp_receiver_config {
    struct {
        struct otlp_grpc_config *grpc; /* NULL = off */
        struct otlp_http_config *http; /* NULL = off */
    } protocols;
};

/* Options of receiver:otlp; the check requires at least one protocol and
 * distinct addresses. */
extern const struct df_option_table otlp_receiver_table;

#endif
