/* nodes/exporters/otlp_grpc/config.c — exporter:otlp_grpc's options. Keys
 * follow the Rust engine's (grpc_endpoint, compression, max_in_flight,
 * num_connections, headers, timeout, tls). */
#include <stddef.h>

#include "net/headers.h"
#include "nodes/exporters/otlp_grpc/otlp_grpc.h"

const char *const otlp_compressions[] = {"none", "gzip", "zstd", NULL};

static const struct df_option string_elem = {.type = DF_OPT_STRING};

static const struct df_option backoff_opts[] = {
    {.name = "initial_interval",
     .type = DF_OPT_DURATION,
     .flags = DF_OPT_BOUNDED,
     .min = 1000000,
     .max = 600000000000LL,
     .def = "100ms",
     .offset = offsetof(struct otlp_backoff, initial_interval),
     .desc = "first wait before reconnecting; doubles after each failure"},
    {.name = "max_interval",
     .type = DF_OPT_DURATION,
     .flags = DF_OPT_BOUNDED,
     .min = 1000000,
     .max = 3600000000000LL,
     .def = "30s",
     .offset = offsetof(struct otlp_backoff, max_interval),
     .desc = "longest wait between reconnection attempts"},
};

const struct df_option_table otlp_backoff_table =
    DF_OPTION_TABLE(struct otlp_backoff, backoff_opts, "Reconnection backoff (with jitter).");

static int check(void *obj, const struct df_value *src, const char *path, struct df_diags *d)
{
    struct otlp_grpc_exporter_config *c = obj;
    char err[512], p[DF_ERROR_PATH_MAX];
    int rc = 0;
    if (df_url_parse(c->grpc_endpoint, &c->url, err, sizeof err)) {
        const struct df_value *v = src ? df_value_get(src, "grpc_endpoint") : NULL;
        snprintf(p, sizeof p, "%s.grpc_endpoint", path);
        df_diags_add(d, v ? &v->mark : NULL, p, "%s", err);
        df_diags_hint(d, "like http://127.0.0.1:4317 or https://collector.example.com:4317");
        rc = DF_EINVAL;
    } else if (c->url.path[0] && !(c->url.path[0] == '/' && !c->url.path[1])) {
        const struct df_value *v = src ? df_value_get(src, "grpc_endpoint") : NULL;
        snprintf(p, sizeof p, "%s.grpc_endpoint", path);
        df_diags_add(d, v ? &v->mark : NULL, p, "a gRPC endpoint has no path ('%s')", c->url.path);
        df_diags_hint(d, "gRPC names the service in the request; drop the path");
        rc = DF_EINVAL;
    }
    if (!rc && c->tls && !c->url.tls) {
        snprintf(p, sizeof p, "%s.tls", path);
        df_diags_add(d, NULL, p, "tls is set but the endpoint is http://");
        df_diags_hint(d, "use an https:// endpoint");
        rc = DF_EINVAL;
    }
    snprintf(p, sizeof p, "%s.headers", path);
    if (df_headers_check(&c->headers, true, p, d))
        rc = DF_EINVAL;
    if (c->backoff.max_interval < c->backoff.initial_interval) {
        snprintf(p, sizeof p, "%s.backoff", path);
        df_diags_add(d, NULL, p, "max_interval is shorter than initial_interval");
        rc = DF_EINVAL;
    }
    return rc;
}

static const struct df_option opts[] = {
    {.name = "grpc_endpoint",
     .type = DF_OPT_STRING,
     .flags = DF_OPT_REQUIRED,
     .offset = offsetof(struct otlp_grpc_exporter_config, grpc_endpoint),
     .desc = "http://host:port, or https://host:port for TLS"},
    {.name = "compression",
     .type = DF_OPT_ENUM,
     .enums = otlp_compressions,
     .def = "none",
     .offset = offsetof(struct otlp_grpc_exporter_config, compression),
     .desc = "request compression (grpc-encoding)"},
    {.name = "timeout",
     .type = DF_OPT_DURATION,
     .flags = DF_OPT_BOUNDED,
     .min = 1000000,
     .max = 3600000000000LL,
     .def = "10s",
     .offset = offsetof(struct otlp_grpc_exporter_config, timeout),
     .desc = "deadline of each export (grpc-timeout); a transient Nack when exceeded"},
    {.name = "connect_timeout",
     .type = DF_OPT_DURATION,
     .flags = DF_OPT_BOUNDED,
     .min = 1000000,
     .max = 600000000000LL,
     .def = "5s",
     .offset = offsetof(struct otlp_grpc_exporter_config, connect_timeout),
     .desc = "longest a connection attempt (TCP and TLS) may take"},
    {.name = "headers",
     .type = DF_OPT_MAP,
     .elem = &string_elem,
     .offset = offsetof(struct otlp_grpc_exporter_config, headers),
     .desc = "metadata added to every request (not for credentials: use a bearer token "
             "capability)"},
    {.name = "max_in_flight",
     .type = DF_OPT_INT,
     .flags = DF_OPT_BOUNDED,
     .min = 1,
     .max = 10000,
     .def = "5",
     .offset = offsetof(struct otlp_grpc_exporter_config, max_in_flight),
     .desc = "exports awaiting an answer per core; beyond, the exporter pushes back"},
    {.name = "num_connections",
     .type = DF_OPT_INT,
     .flags = DF_OPT_BOUNDED,
     .min = 1,
     .max = 64,
     .def = "1",
     .offset = offsetof(struct otlp_grpc_exporter_config, num_connections),
     .desc = "HTTP/2 connections per core"},
    {.name = "backoff",
     .type = DF_OPT_TABLE,
     .table = &otlp_backoff_table,
     .offset = offsetof(struct otlp_grpc_exporter_config, backoff),
     .desc = "reconnection backoff"},
    {.name = "tls",
     .type = DF_OPT_TABLE,
     .flags = DF_OPT_BYREF,
     .table = &df_tls_client_table,
     .offset = offsetof(struct otlp_grpc_exporter_config, tls),
     .desc = "TLS settings (https:// endpoints use TLS with the system's CAs without it)"},
};

const struct df_option_table otlp_grpc_exporter_table = {
    .name = "struct otlp_grpc_exporter_config",
    .size = sizeof(struct otlp_grpc_exporter_config),
    .options = opts,
    .count = DF_COUNTOF(opts),
    .check = check,
    .desc = "exporter:otlp_grpc options.",
};
