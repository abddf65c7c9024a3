/* nodes/exporters/otlp_http/config.c — exporter:otlp_http's options: the
 * OTLP/HTTP exporter keys of the OpenTelemetry Collector (endpoint and the
 * per-signal endpoints, encoding, compression, headers, timeout) plus
 * max_in_flight and tls. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "net/headers.h"
#include "nodes/exporters/otlp_http/otlp_http.h"

static const char *const encodings[] = {"proto", "json", NULL};
static const struct df_option string_elem = {.type = DF_OPT_STRING};
static const char *const signal_keys[DF_SIGNAL_COUNT] = {"logs_endpoint", "metrics_endpoint",
                                                         "traces_endpoint"};

static int check(void *obj, const struct df_value *src, const char *path, struct df_diags *d)
{
    struct otlp_http_exporter_config *c = obj;
    char err[512], p[DF_ERROR_PATH_MAX], url[1024];
    int rc = 0;
    for (int s = 0; s < DF_SIGNAL_COUNT; s++) {
        const char *key = signal_keys[s], *text = c->signal_endpoints[s];
        if (!text && c->endpoint) {
            /* The base endpoint with /v1/<signal> appended (the spec's rule). */
            size_t n = strlen(c->endpoint);
            snprintf(url, sizeof url, "%s%sv1/%s", c->endpoint,
                     n && c->endpoint[n - 1] == '/' ? "" : "/", df_signal_name(s));
            text = url;
            key = "endpoint";
        }
        if (!text) {
            snprintf(p, sizeof p, "%s", path);
            df_diags_add(d, src ? &src->mark : NULL, p, "no endpoint for %s", df_signal_name(s));
            df_diags_hint(d, "set endpoint (the base URL) or %s", signal_keys[s]);
            rc = DF_EINVAL;
            continue;
        }
        if (df_url_parse(text, &c->urls[s], err, sizeof err)) {
            const struct df_value *v = src ? df_value_get(src, key) : NULL;
            snprintf(p, sizeof p, "%s.%s", path, key);
            df_diags_add(d, v ? &v->mark : NULL, p, "%s", err);
            df_diags_hint(d, "like http://127.0.0.1:4318 or https://collector.example.com:4318");
            rc = DF_EINVAL;
            if (!strcmp(key, "endpoint"))
                break; /* one message for the base */
        } else if (c->tls && !c->urls[s].tls) {
            snprintf(p, sizeof p, "%s.tls", path);
            df_diags_add(d, NULL, p, "tls is set but the %s endpoint is http://",
                         df_signal_name(s));
            rc = DF_EINVAL;
        }
    }
    snprintf(p, sizeof p, "%s.headers", path);
    if (df_headers_check(&c->headers, false, p, d))
        rc = DF_EINVAL;
    return rc;
}

#define ENDPOINT(key, field, what)                                                                 \
    {                                                                                              \
        .name = key, .type = DF_OPT_STRING,                                                        \
        .offset = offsetof(struct otlp_http_exporter_config, field), .desc = what                  \
    }

static const struct df_option opts[] = {
    ENDPOINT("endpoint", endpoint, "base URL; /v1/logs, /v1/metrics and /v1/traces are appended"),
    ENDPOINT("logs_endpoint", signal_endpoints[DF_SIGNAL_LOGS], "full URL for logs"),
    ENDPOINT("metrics_endpoint", signal_endpoints[DF_SIGNAL_METRICS], "full URL for metrics"),
    ENDPOINT("traces_endpoint", signal_endpoints[DF_SIGNAL_TRACES], "full URL for traces"),
    {.name = "encoding",
     .type = DF_OPT_ENUM,
     .enums = encodings,
     .def = "proto",
     .offset = offsetof(struct otlp_http_exporter_config, encoding),
     .desc = "request body: proto (application/x-protobuf) or json (application/json)"},
    {.name = "compression",
     .type = DF_OPT_ENUM,
     .enums = otlp_compressions,
     .def = "none",
     .offset = offsetof(struct otlp_http_exporter_config, compression),
     .desc = "Content-Encoding of requests"},
    {.name = "timeout",
     .type = DF_OPT_DURATION,
     .flags = DF_OPT_BOUNDED,
     .min = 1000000,
     .max = 3600000000000LL,
     .def = "10s",
     .offset = offsetof(struct otlp_http_exporter_config, timeout),
     .desc = "deadline of each export; a transient Nack when exceeded"},
    {.name = "connect_timeout",
     .type = DF_OPT_DURATION,
     .flags = DF_OPT_BOUNDED,
     .min = 1000000,
     .max = 600000000000LL,
     .def = "5s",
     .offset = offsetof(struct otlp_http_exporter_config, connect_timeout),
     .desc = "longest a connection attempt (TCP and TLS) may take"},
    {.name = "headers",
     .type = DF_OPT_MAP,
     .elem = &string_elem,
     .offset = offsetof(struct otlp_http_exporter_config, headers),
     .desc = "headers added to every request"},
    {.name = "max_in_flight",
     .type = DF_OPT_INT,
     .flags = DF_OPT_BOUNDED,
     .min = 1,
     .max = 1000,
     .def = "5",
     .offset = offsetof(struct otlp_http_exporter_config, max_in_flight),
     .desc = "exports awaiting an answer per core (one per connection)"},
    {.name = "backoff",
     .type = DF_OPT_TABLE,
     .table = &otlp_backoff_table,
     .offset = offsetof(struct otlp_http_exporter_config, backoff),
     .desc = "reconnection backoff"},
    {.name = "tls",
     .type = DF_OPT_TABLE,
     .flags = DF_OPT_BYREF,
     .table = &df_tls_client_table,
     .offset = offsetof(struct otlp_http_exporter_config, tls),
     .desc = "TLS settings (https:// endpoints use TLS with the system's CAs without it)"},
};

const struct df_option_table otlp_http_exporter_table = {
    .name = "struct otlp_http_exporter_config",
    .size = sizeof(struct otlp_http_exporter_config),
    .options = opts,
    .count = DF_COUNTOF(opts),
    .check = check,
    .desc = "exporter:otlp_http options.",
};
