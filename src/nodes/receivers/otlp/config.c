/* nodes/receivers/otlp/config.c — receiver:otlp's option tables. Keys follow
 * the Rust engine's GrpcServerSettings / HttpServerSettings where they
 * overlap (listening_addr, max_concurrent_requests, max_concurrent_streams,
 * tcp_nodelay, wait_for_result, timeout, max_request_body_size,
 * accept_compressed_requests, tls); `max_recv_msg_size`, `keepalive` and
 * `cors` are the OpenTelemetry Collector's names. */
#include <stddef.h>
#include <string.h>

#include "nodes/receivers/otlp/otlp.h"

static const struct df_option string_elem = {.type = DF_OPT_STRING};

/* The keys both protocols share, for a struct T with a `common` member. */
#define COMMON(T, timeout_default, wait_default)                                                   \
    {.name = "listening_addr",                                                                     \
     .type = DF_OPT_SOCKADDR,                                                                      \
     .flags = DF_OPT_REQUIRED,                                                                     \
     .offset = offsetof(T, common.listening_addr),                                                 \
     .desc = "address to listen on (every core listens on it: SO_REUSEPORT)"},                     \
        {.name = "max_concurrent_requests",                                                        \
         .type = DF_OPT_INT,                                                                       \
         .flags = DF_OPT_BOUNDED,                                                                  \
         .min = 0,                                                                                 \
         .max = 1000000,                                                                           \
         .def = "0",                                                                               \
         .offset = offsetof(T, common.max_concurrent_requests),                                    \
         .desc = "requests in flight per core before answering 'busy' (0 = the pipeline's "        \
                 "channel capacity)"},                                                             \
        {.name = "wait_for_result",                                                                \
         .type = DF_OPT_BOOL,                                                                      \
         .def = wait_default,                                                                      \
         .offset = offsetof(T, common.wait_for_result),                                            \
         .desc = "answer the client only after the pipeline acknowledged the data"},               \
        {.name = "timeout",                                                                        \
         .type = DF_OPT_DURATION,                                                                  \
         .flags = DF_OPT_BOUNDED,                                                                  \
         .min = 1000000,                                                                           \
         .max = 3600000000000LL,                                                                   \
         .def = timeout_default,                                                                   \
         .offset = offsetof(T, common.timeout),                                                    \
         .desc = "longest an answer waits for the pipeline's outcome (wait_for_result)"},          \
        {.name = "tcp_nodelay",                                                                    \
         .type = DF_OPT_BOOL,                                                                      \
         .def = "true",                                                                            \
         .offset = offsetof(T, common.tcp_nodelay),                                                \
         .desc = "disable Nagle's algorithm on accepted connections"},                             \
    {                                                                                              \
        .name = "tls", .type = DF_OPT_TABLE, .flags = DF_OPT_BYREF, .table = &df_tls_server_table, \
        .offset = offsetof(T, common.tls), .desc = "TLS; absent = plain TCP"                       \
    }

static const struct df_option keepalive_opts[] = {
    {.name = "time",
     .type = DF_OPT_DURATION,
     .flags = DF_OPT_BOUNDED,
     .min = 1000000000,
     .max = 86400000000000LL,
     .def = "30s",
     .offset = offsetof(struct otlp_keepalive, time),
     .desc = "send an HTTP/2 PING on a connection silent this long"},
    {.name = "timeout",
     .type = DF_OPT_DURATION,
     .flags = DF_OPT_BOUNDED,
     .min = 100000000,
     .max = 3600000000000LL,
     .def = "10s",
     .offset = offsetof(struct otlp_keepalive, timeout),
     .desc = "close the connection when the PING is not acknowledged within this"},
};

static const struct df_option_table keepalive_table =
    DF_OPTION_TABLE(struct otlp_keepalive, keepalive_opts, "HTTP/2 keepalive PINGs.");

static const struct df_option grpc_opts[] = {
    COMMON(struct otlp_grpc_config, "30s", "false"),
    {.name = "max_recv_msg_size",
     .type = DF_OPT_SIZE,
     .flags = DF_OPT_BOUNDED,
     .min = 1024,
     .max = 256 << 20,
     .def = "4MiB",
     .offset = offsetof(struct otlp_grpc_config, max_recv_msg_size),
     .desc = "largest request message, decompressed (RESOURCE_EXHAUSTED beyond)"},
    {.name = "max_concurrent_streams",
     .type = DF_OPT_INT,
     .flags = DF_OPT_BOUNDED,
     .min = 1,
     .max = 100000,
     .def = "100",
     .offset = offsetof(struct otlp_grpc_config, max_concurrent_streams),
     .desc = "HTTP/2 streams a client may open at once on one connection"},
    {.name = "keepalive",
     .type = DF_OPT_TABLE,
     .table = &keepalive_table,
     .offset = offsetof(struct otlp_grpc_config, keepalive),
     .desc = "HTTP/2 keepalive PINGs"},
};

static const struct df_option_table grpc_table =
    DF_OPTION_TABLE(struct otlp_grpc_config, grpc_opts, "OTLP/gRPC listener.");

static const struct df_option cors_opts[] = {
    {.name = "allowed_origins",
     .type = DF_OPT_LIST,
     .elem = &string_elem,
     .flags = DF_OPT_ONE_OR_MANY,
     .offset = offsetof(struct otlp_cors, allowed_origins),
     .desc = "origins allowed to send from a browser (\"*\" = any)"},
    {.name = "allowed_headers",
     .type = DF_OPT_LIST,
     .elem = &string_elem,
     .flags = DF_OPT_ONE_OR_MANY,
     .offset = offsetof(struct otlp_cors, allowed_headers),
     .desc = "request headers allowed besides the CORS-safelisted ones"},
    {.name = "max_age",
     .type = DF_OPT_DURATION,
     .flags = DF_OPT_BOUNDED,
     .min = 0,
     .max = 86400000000000LL,
     .def = "0s",
     .offset = offsetof(struct otlp_cors, max_age),
     .desc = "how long browsers may cache a preflight answer (0 = not sent)"},
};

static const struct df_option_table cors_table =
    DF_OPTION_TABLE(struct otlp_cors, cors_opts, "CORS for browser clients.");

static const struct df_option http_opts[] = {
    COMMON(struct otlp_http_config, "30s", "false"),
    {.name = "max_request_body_size",
     .type = DF_OPT_SIZE,
     .flags = DF_OPT_BOUNDED,
     .min = 1024,
     .max = 256 << 20,
     .def = "4MiB",
     .offset = offsetof(struct otlp_http_config, max_request_body_size),
     .desc = "largest request body, on the wire and decompressed (413 beyond)"},
    {.name = "accept_compressed_requests",
     .type = DF_OPT_BOOL,
     .def = "true",
     .offset = offsetof(struct otlp_http_config, accept_compressed_requests),
     .desc = "accept Content-Encoding gzip and zstd (415 otherwise)"},
    {.name = "cors",
     .type = DF_OPT_TABLE,
     .flags = DF_OPT_BYREF,
     .table = &cors_table,
     .offset = offsetof(struct otlp_http_config, cors),
     .desc = "CORS for browser clients; absent = none"},
};

static const struct df_option_table http_table =
    DF_OPTION_TABLE(struct otlp_http_config, http_opts, "OTLP/HTTP listener.");

static const struct df_option protocols_opts[] = {
    {.name = "grpc",
     .type = DF_OPT_TABLE,
     .flags = DF_OPT_BYREF,
     .table = &grpc_table,
     .offset = offsetof(struct otlp_receiver_config, protocols.grpc) -
               offsetof(struct otlp_receiver_config, protocols),
     .desc = "OTLP/gRPC; absent = off"},
    {.name = "http",
     .type = DF_OPT_TABLE,
     .flags = DF_OPT_BYREF,
     .table = &http_table,
     .offset = offsetof(struct otlp_receiver_config, protocols.http) -
               offsetof(struct otlp_receiver_config, protocols),
     .desc = "OTLP/HTTP (HTTP/1.1 and prior-knowledge HTTP/2); absent = off"},
};

struct protocols {
    struct otlp_grpc_config *grpc;
    struct otlp_http_config *http;
};

static int check_protocols(void *obj, const struct df_value *src, const char *path,
                           struct df_diags *d)
{
    const struct protocols *p = obj;
    if (!p->grpc && !p->http) {
        df_diags_add(d, src ? &src->mark : NULL, path, "no protocol is enabled");
        df_diags_hint(d, "add grpc: {listening_addr: 127.0.0.1:4317} and/or "
                         "http: {listening_addr: 127.0.0.1:4318}");
        return DF_EINVAL;
    }
    if (p->grpc && p->http &&
        p->grpc->common.listening_addr.port == p->http->common.listening_addr.port &&
        !strcmp(p->grpc->common.listening_addr.host, p->http->common.listening_addr.host)) {
        df_diags_add(d, src ? &src->mark : NULL, path, "grpc and http both listen on %s",
                     p->http->common.listening_addr.text);
        df_diags_hint(d, "give each protocol its own port (OTLP's are 4317 and 4318)");
        return DF_EINVAL;
    }
    return 0;
}

static const struct df_option_table protocols_table = {
    .name = "struct protocols",
    .size = sizeof(struct protocols),
    .options = protocols_opts,
    .count = DF_COUNTOF(protocols_opts),
    .check = check_protocols,
    .desc = "The OTLP protocols to serve.",
};

static const struct df_option receiver_opts[] = {
    {.name = "protocols",
     .type = DF_OPT_TABLE,
     .flags = DF_OPT_REQUIRED,
     .table = &protocols_table,
     .offset = offsetof(struct otlp_receiver_config, protocols),
     .desc = "the OTLP protocols to serve: grpc, http or both"},
};

const struct df_option_table otlp_receiver_table =
    DF_OPTION_TABLE(struct otlp_receiver_config, receiver_opts, "receiver:otlp options.");
