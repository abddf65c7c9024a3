/* Synthetic OTLP requests (otlp/gen.h). Field numbers are those of the OTLP
 * v1 protos; the comments name the fields. */
#include "otlp/gen.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "df/error.h"

#define DEFAULT_TIME    1700000000000000000ull /* 2023-11-14T22:13:20Z */
#define SCOPE_VERSION   "1.0.0"
#define SPANS_PER_TRACE 4

struct rng {
    uint64_t s;
};

/* splitmix64: fast, and every seed (0 included) gives a good stream. */
static uint64_t next(struct rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint32_t below(struct rng *r, uint32_t n)
{
    return (uint32_t)((next(r) >> 32) * n >> 32);
}

/* A uniform double in [0, 1). */
static double unit(struct rng *r)
{
    return (double)(next(r) >> 11) * 0x1p-53;
}

static void random_bytes(struct rng *r, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i += 8) {
        uint64_t v = next(r);
        for (size_t j = i; j < n && j < i + 8; j++, v >>= 8)
            out[j] = (uint8_t)v;
    }
}

/* ---- common messages --------------------------------------------------- */

static void kv_string(struct df_pb_writer *w, uint32_t field, const char *key, const char *val)
{
    size_t kv = df_pb_begin(w, field);
    df_pb_put_string(w, 1, key); /* KeyValue.key */
    size_t av = df_pb_begin(w, 2);
    df_pb_put_string(w, 1, val); /* AnyValue.string_value */
    df_pb_end(w, av);
    df_pb_end(w, kv);
}

static const char *const attr_keys[] = {
    "http.request.method",
    "http.response.status_code",
    "error",
    "http.server.duration_ms",
    "url.path",
    "net.peer.port",
    "cache.hit",
    "db.latency_ms",
    "user_agent.original",
    "thread.id",
    "retry.enabled",
    "load.ratio",
};
#define NKEYS (sizeof attr_keys / sizeof *attr_keys)

static const char *const methods[] = {"GET", "POST", "PUT", "DELETE", "PATCH"};
static const char *const paths[] = {"/api/users", "/api/orders", "/health", "/api/cart", "/login"};

/* num attributes as repeated KeyValue `field`, cycling through string, int,
 * bool and double values. */
static void attributes(struct df_pb_writer *w, struct rng *r, uint32_t field, uint32_t num)
{
    char key[48], val[32];
    for (uint32_t i = 0; i < num; i++) {
        const char *k = attr_keys[i % NKEYS];
        if (i >= NKEYS) {
            snprintf(key, sizeof key, "%s.%u", k, i / (unsigned)NKEYS);
            k = key;
        }
        size_t kv = df_pb_begin(w, field);
        df_pb_put_string(w, 1, k);
        size_t av = df_pb_begin(w, 2);
        switch (i % 4) {
        case 0: /* string_value */
            if (i % 8 == 0) {
                df_pb_put_string(w, 1, methods[below(r, 5)]);
            } else {
                snprintf(val, sizeof val, "%s/%u", paths[below(r, 5)], below(r, 1000));
                df_pb_put_string(w, 1, val);
            }
            break;
        case 1: /* int_value */
            df_pb_put_varint(w, 3, 200 + 100 * below(r, 4) + below(r, 5));
            break;
        case 2: /* bool_value */
            df_pb_put_varint(w, 2, below(r, 10) == 0);
            break;
        default: /* double_value */
            df_pb_put_double(w, 4, (double)below(r, 100000) / 100.0);
            break;
        }
        df_pb_end(w, av);
        df_pb_end(w, kv);
    }
}

static void resource(struct df_pb_writer *w, uint64_t seed)
{
    char buf[64];
    size_t res = df_pb_begin(w, 1); /* Resource* .resource */
    kv_string(w, 1, "service.name", DF_OTLP_GEN_SCOPE);
    snprintf(buf, sizeof buf, "%016llx", (unsigned long long)seed);
    kv_string(w, 1, "service.instance.id", buf);
    snprintf(buf, sizeof buf, "host-%u", (unsigned)(seed % 16));
    kv_string(w, 1, "host.name", buf);
    kv_string(w, 1, "telemetry.sdk.name", "df_engine");
    df_pb_end(w, res);
}

static void scope(struct df_pb_writer *w)
{
    size_t sc = df_pb_begin(w, 1); /* Scope* .scope */
    df_pb_put_string(w, 1, DF_OTLP_GEN_SCOPE);
    df_pb_put_string(w, 2, SCOPE_VERSION);
    df_pb_end(w, sc);
}

/* ---- logs ------------------------------------------------------------- */

static const char *const words[] = {
    "request", "handled", "user",  "order", "payment", "cache",   "miss",   "retry",
    "timeout", "backend", "query", "ok",    "latency", "session", "opened", "closed",
};

static const struct {
    uint8_t number;
    const char *text;
} severities[] = {
    {1, "TRACE"}, {5, "DEBUG"}, {9, "INFO"},   {9, "INFO"},
    {9, "INFO"},  {13, "WARN"}, {17, "ERROR"}, {21, "FATAL"},
};

/* A string AnyValue of exactly `size` printable bytes: words and spaces. */
static void text_body(struct df_pb_writer *w, struct rng *r, uint32_t size)
{
    size_t av = df_pb_begin(w, 5); /* LogRecord.body */
    df_pb_put_tag(w, 1, DF_PB_LEN);
    df_pb_put_raw_varint(w, size);
    char chunk[256];
    size_t n = 0;
    for (uint32_t done = 0; done < size;) {
        const char *word = words[below(r, 16)];
        for (const char *c = word; *c && done < size; c++, done++) {
            chunk[n++] = *c;
            if (n == sizeof chunk) {
                df_pb_put_raw(w, chunk, n);
                n = 0;
            }
        }
        if (done < size) {
            chunk[n++] = ' ';
            done++;
            if (n == sizeof chunk) {
                df_pb_put_raw(w, chunk, n);
                n = 0;
            }
        }
    }
    df_pb_put_raw(w, chunk, n);
    df_pb_end(w, av);
}

static void logs(struct df_pb_writer *w, struct rng *r, const struct df_otlp_gen_opts *o,
                 uint64_t t0)
{
    uint8_t ids[24];
    size_t sl = df_pb_begin(w, 2); /* ResourceLogs.scope_logs */
    scope(w);
    for (uint32_t i = 0; i < o->items && !w->err; i++) {
        uint64_t t = t0 + (uint64_t)i * 1000;
        unsigned s = below(r, 8);
        size_t rec = df_pb_begin(w, 2); /* ScopeLogs.log_records */
        df_pb_put_fixed64(w, 1, t);     /* time_unix_nano */
        df_pb_put_varint(w, 2, severities[s].number);
        df_pb_put_string(w, 3, severities[s].text);
        text_body(w, r, o->log_body_size);
        attributes(w, r, 6, o->num_attributes);
        df_pb_put_fixed32(w, 8, 1); /* flags: sampled */
        random_bytes(r, ids, sizeof ids);
        df_pb_put_bytes(w, 9, ids, 16);      /* trace_id */
        df_pb_put_bytes(w, 10, ids + 16, 8); /* span_id */
        df_pb_put_fixed64(w, 11, t + 1500);  /* observed_time_unix_nano */
        df_pb_end(w, rec);
    }
    df_pb_put_string(w, 3, "https://opentelemetry.io/schemas/1.26.0");
    df_pb_end(w, sl);
}

/* ---- traces ----------------------------------------------------------- */

static const char *const span_names[] = {
    "GET /api/users",        "POST /api/orders",      "SELECT orders", "cache.get",
    "publish order.created", "consume order.created", "charge card",   "render page",
};

static void spans(struct df_pb_writer *w, struct rng *r, const struct df_otlp_gen_opts *o,
                  uint64_t t0)
{
    uint8_t trace_id[16], span_id[8], parent[8];
    size_t ss = df_pb_begin(w, 2); /* ResourceSpans.scope_spans */
    scope(w);
    for (uint32_t i = 0; i < o->items && !w->err; i++) {
        bool root = i % SPANS_PER_TRACE == 0;
        if (root)
            random_bytes(r, trace_id, sizeof trace_id);
        else
            memcpy(parent, span_id, sizeof parent);
        random_bytes(r, span_id, sizeof span_id);
        uint64_t start = t0 + (uint64_t)i * 1000;
        uint64_t dur = 1000 + below(r, 100000000);
        size_t sp = df_pb_begin(w, 2); /* ScopeSpans.spans */
        df_pb_put_bytes(w, 1, trace_id, sizeof trace_id);
        df_pb_put_bytes(w, 2, span_id, sizeof span_id);
        if (!root)
            df_pb_put_bytes(w, 4, parent, sizeof parent); /* parent_span_id */
        df_pb_put_string(w, 5, span_names[below(r, 8)]);
        df_pb_put_varint(w, 6, 1 + i % 5); /* kind: internal .. consumer */
        df_pb_put_fixed64(w, 7, start);
        df_pb_put_fixed64(w, 8, start + dur);
        attributes(w, r, 9, o->num_attributes);
        size_t ev = df_pb_begin(w, 11); /* events */
        df_pb_put_fixed64(w, 1, start + dur / 2);
        df_pb_put_string(w, 2, below(r, 4) ? "cache.miss" : "exception");
        attributes(w, r, 3, 1);
        df_pb_end(w, ev);
        size_t st = df_pb_begin(w, 15); /* status */
        uint32_t roll = below(r, 20);
        if (roll == 0) {
            df_pb_put_string(w, 2, "internal error");
            df_pb_put_varint(w, 3, 2); /* STATUS_CODE_ERROR */
        } else if (roll < 10) {
            df_pb_put_varint(w, 3, 1); /* STATUS_CODE_OK */
        }
        df_pb_end(w, st);
        df_pb_put_fixed32(w, 16, 0x101); /* flags: sampled, has-is-remote */
        df_pb_end(w, sp);
    }
    df_pb_end(w, ss);
}

/* ---- metrics ---------------------------------------------------------- */

static void exemplar(struct df_pb_writer *w, struct rng *r, uint32_t field, uint64_t t,
                     double value)
{
    uint8_t ids[24];
    random_bytes(r, ids, sizeof ids);
    size_t ex = df_pb_begin(w, field);
    df_pb_put_fixed64(w, 2, t); /* time_unix_nano */
    df_pb_put_double(w, 3, value);
    df_pb_put_bytes(w, 4, ids + 16, 8); /* span_id */
    df_pb_put_bytes(w, 5, ids, 16);     /* trace_id */
    df_pb_end(w, ex);
}

static void number_point(struct df_pb_writer *w, struct rng *r, uint32_t nattrs, uint64_t t,
                         bool as_int, uint32_t i)
{
    size_t dp = df_pb_begin(w, 1); /* data_points */
    df_pb_put_fixed64(w, 2, t - 60000000000ull);
    df_pb_put_fixed64(w, 3, t);
    if (as_int)
        df_pb_put_fixed64(w, 6, (uint64_t)i * 17 + below(r, 1000)); /* as_int */
    else
        df_pb_put_double(w, 4, unit(r)); /* as_double */
    attributes(w, r, 7, nattrs);
    df_pb_end(w, dp);
}

static const double bounds[] = {5, 10, 25, 50, 100, 250, 500, 1000};
#define NBOUNDS (sizeof bounds / sizeof *bounds)

static void histogram_point(struct df_pb_writer *w, struct rng *r, uint32_t nattrs, uint64_t t)
{
    uint64_t counts[NBOUNDS + 1], total = 0;
    for (size_t b = 0; b <= NBOUNDS; b++)
        total += counts[b] = below(r, 50);
    double sum = (double)total * (20.0 + 100.0 * unit(r));
    size_t dp = df_pb_begin(w, 1);
    df_pb_put_fixed64(w, 2, t - 60000000000ull);
    df_pb_put_fixed64(w, 3, t);
    df_pb_put_fixed64(w, 4, total); /* count */
    df_pb_put_double(w, 5, sum);
    size_t bc = df_pb_begin(w, 6); /* bucket_counts, packed */
    for (size_t b = 0; b <= NBOUNDS; b++)
        df_pb_put_raw_fixed64(w, counts[b]);
    df_pb_end(w, bc);
    size_t eb = df_pb_begin(w, 7); /* explicit_bounds, packed */
    for (size_t b = 0; b < NBOUNDS; b++) {
        uint64_t bits;
        memcpy(&bits, &bounds[b], sizeof bits);
        df_pb_put_raw_fixed64(w, bits);
    }
    df_pb_end(w, eb);
    exemplar(w, r, 8, t - 1000, 42.5);
    attributes(w, r, 9, nattrs);
    df_pb_put_double(w, 11, 0.5);  /* min */
    df_pb_put_double(w, 12, 999.); /* max */
    df_pb_end(w, dp);
}

static void exp_histogram_point(struct df_pb_writer *w, struct rng *r, uint32_t nattrs, uint64_t t)
{
    uint64_t counts[6], total = 0;
    for (size_t b = 0; b < 6; b++)
        total += counts[b] = below(r, 300);
    uint64_t zero = below(r, 3);
    size_t dp = df_pb_begin(w, 1);
    attributes(w, r, 1, nattrs);
    df_pb_put_fixed64(w, 2, t - 60000000000ull);
    df_pb_put_fixed64(w, 3, t);
    df_pb_put_fixed64(w, 4, total + zero); /* count */
    df_pb_put_double(w, 5, (double)total * 3.5);
    df_pb_put_sint(w, 6, 3);           /* scale */
    if (zero)                          /* proto3 leaves zero values out: canonical bytes */
        df_pb_put_fixed64(w, 7, zero); /* zero_count */
    size_t pos = df_pb_begin(w, 8);    /* positive */
    df_pb_put_sint(w, 1, -2);          /* offset */
    size_t bc = df_pb_begin(w, 2);     /* bucket_counts, packed */
    for (size_t b = 0; b < 6; b++)
        df_pb_put_raw_varint(w, counts[b]);
    df_pb_end(w, bc);
    df_pb_end(w, pos);
    df_pb_put_double(w, 14, 1e-9); /* zero_threshold */
    df_pb_end(w, dp);
}

static void summary_point(struct df_pb_writer *w, struct rng *r, uint32_t nattrs, uint64_t t)
{
    static const double qs[] = {0.0, 0.5, 0.9, 0.99, 1.0};
    uint64_t count = 1 + below(r, 1000);
    size_t dp = df_pb_begin(w, 1);
    df_pb_put_fixed64(w, 2, t - 60000000000ull);
    df_pb_put_fixed64(w, 3, t);
    df_pb_put_fixed64(w, 4, count);
    df_pb_put_double(w, 5, (double)count * 12.25);
    double v = 1.0;
    for (size_t q = 0; q < sizeof qs / sizeof *qs; q++) {
        v += 10.0 * unit(r);
        size_t qv = df_pb_begin(w, 6); /* quantile_values */
        if (qs[q] != 0.0)              /* canonical: no zero values */
            df_pb_put_double(w, 1, qs[q]);
        df_pb_put_double(w, 2, v);
        df_pb_end(w, qv);
    }
    attributes(w, r, 7, nattrs);
    df_pb_end(w, dp);
}

static void metrics(struct df_pb_writer *w, struct rng *r, const struct df_otlp_gen_opts *o,
                    uint64_t t0)
{
    size_t sm = df_pb_begin(w, 2); /* ResourceMetrics.scope_metrics */
    scope(w);
    for (uint32_t i = 0; i < o->items && !w->err; i++) {
        uint64_t t = t0 + (uint64_t)i * 1000;
        size_t m = df_pb_begin(w, 2); /* ScopeMetrics.metrics */
        size_t d;
        switch (i % 5) {
        case 0:
            df_pb_put_string(w, 1, "system.cpu.utilization");
            df_pb_put_string(w, 2, "CPU time used, as a fraction");
            df_pb_put_string(w, 3, "1");
            d = df_pb_begin(w, 5); /* gauge */
            number_point(w, r, o->num_attributes, t, false, i);
            df_pb_end(w, d);
            break;
        case 1:
            df_pb_put_string(w, 1, "http.server.requests");
            df_pb_put_string(w, 3, "{request}");
            d = df_pb_begin(w, 7); /* sum */
            number_point(w, r, o->num_attributes, t, true, i);
            df_pb_put_varint(w, 2, 2); /* cumulative */
            df_pb_put_varint(w, 3, 1); /* is_monotonic */
            df_pb_end(w, d);
            break;
        case 2:
            df_pb_put_string(w, 1, "http.server.request.duration");
            df_pb_put_string(w, 3, "ms");
            d = df_pb_begin(w, 9); /* histogram */
            histogram_point(w, r, o->num_attributes, t);
            df_pb_put_varint(w, 2, 2);
            df_pb_end(w, d);
            break;
        case 3:
            df_pb_put_string(w, 1, "rpc.server.duration");
            df_pb_put_string(w, 3, "ms");
            d = df_pb_begin(w, 10); /* exponential_histogram */
            exp_histogram_point(w, r, o->num_attributes, t);
            df_pb_put_varint(w, 2, 1); /* delta */
            df_pb_end(w, d);
            break;
        default:
            df_pb_put_string(w, 1, "db.query.latency");
            df_pb_put_string(w, 3, "ms");
            d = df_pb_begin(w, 11); /* summary */
            summary_point(w, r, o->num_attributes, t);
            df_pb_end(w, d);
            break;
        }
        df_pb_end(w, m);
    }
    df_pb_end(w, sm);
}

int df_otlp_gen(enum df_signal signal, const struct df_otlp_gen_opts *opts,
                struct df_pb_writer *out)
{
    if ((unsigned)signal >= DF_SIGNAL_COUNT)
        return DF_EINVAL;
    struct rng r = {opts->seed};
    uint64_t t0 = opts->time_unix_nano ? opts->time_unix_nano : DEFAULT_TIME;
    size_t top = df_pb_begin(out, 1); /* Export*ServiceRequest.resource_* */
    resource(out, opts->seed);
    switch (signal) {
    case DF_SIGNAL_LOGS:
        logs(out, &r, opts, t0);
        break;
    case DF_SIGNAL_TRACES:
        spans(out, &r, opts, t0);
        break;
    default:
        metrics(out, &r, opts, t0);
        break;
    }
    df_pb_end(out, top);
    return out->err;
}
