/* receiver:otlp — OTLP/gRPC and OTLP/HTTP (HTTP/1.1 and prior-knowledge
 * HTTP/2), plain or TLS, on every core (SO_REUSEPORT: the kernel spreads
 * the connections).
 *
 * The transports are net/: a listener per protocol (net/conn.c), TLS
 * (net/tls_proto.c) with ALPN, HTTP/2 + gRPC (net/h2.c) and HTTP/1.1
 * (net/http1_proto.c). This file routes a complete request to its signal,
 * checks media type and encoding, and hands the body to admit.c, which
 * validates it, sends it down the pipeline and answers; the answer maps to
 * gRPC statuses and HTTP codes as the OTLP specification says:
 *
 *   verdict      gRPC                          HTTP
 *   ok           OK + empty Export*Response    200 + empty response
 *   invalid      INVALID_ARGUMENT              400
 *   too_large    RESOURCE_EXHAUSTED            413
 *   unsupported  UNIMPLEMENTED                 415
 *   busy         RESOURCE_EXHAUSTED+RetryInfo  503 + Retry-After
 *   unavailable  UNAVAILABLE                   503
 *   failed       INTERNAL                      500
 *   timeout      DEADLINE_EXCEEDED             504
 *
 * HTTP errors carry a google.rpc.Status body, protobuf or JSON like the
 * request. Drain: stop accepting, answer what is in flight, then close the
 * connections (GOAWAY / Connection: close through the protocols).
 *
 * Authentication: with an auth_check extension bound (`capabilities:
 * {auth_check: <extension>}`), every request is decided when its headers
 * are complete, before its body is read — HTTP/2 (gRPC and OTLP/HTTP)
 * through the connection's on_headers hook, HTTP/1.1 through its head hook
 * — from its transport, method, path, headers, peer address and verified
 * TLS client certificate (read once per connection). Allowed requests
 * carry the identity into their pdata; refused ones are answered at once
 * and their bodies dropped unread into memory:
 *
 *   decision                         gRPC               HTTP
 *   deny missing/invalid credential  UNAUTHENTICATED    401 + WWW-Authenticate
 *   deny forbidden                   PERMISSION_DENIED  403
 *   error (cannot decide)            UNAVAILABLE        503 (fails closed)
 *
 * The client sees a generic message; the provider's detail goes to the log
 * only, at most one line per second per node instance. Without a binding
 * none of this runs: the transports get no hooks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "df/capabilities/auth_check.h"
#include "df/node.h"
#include "net/addr.h"
#include "net/compress.h"
#include "net/conn.h"
#include "net/h2.h"
#include "net/http1_proto.h"
#include "net/tls.h"
#include "net/tls_proto.h"
#include "nodes/receivers/otlp/admit.h"
#include "nodes/receivers/otlp/otlp.h"
#include "otlp/wire.h"

enum proto_kind { GRPC, HTTP, NKINDS };

/* Connections per listener and core; more are accepted and closed. */
#define MAX_CONNECTIONS 1024

struct listener_state {
    const struct otlp_common *common;
    struct otlp_policy policy;
    struct df_tls_ctx *tls;
    struct sockaddr_storage addr;
    struct df_listener *listener;
    struct otlp_rx *rx;
    enum proto_kind kind;
};

/* The bound auth_check and what goes with it (auth.h.ops NULL: none). */
struct otlp_auth {
    struct df_auth_check h;
    struct df_metric *allowed, *denied, *errors;
    struct df_log_limit log; /* refusals: one line a second */
    /* Header views for requests with more headers than the stack array:
     * grown when needed and kept, so no request allocates. */
    struct df_auth_header *scratch;
    size_t scratch_cap;
};

struct otlp_rx {
    struct df_node *node;
    const struct otlp_receiver_config *cfg;
    struct otlp_admit *admit;
    struct otlp_auth auth;
    struct listener_state ls[NKINDS];
    struct df_timer *drain_timer;
    bool draining;
    unsigned open_listeners;
    bool destroyed;
};

/* ---- routing ------------------------------------------------------------- */

static const char *const grpc_paths[DF_SIGNAL_COUNT] = {
    "/opentelemetry.proto.collector.logs.v1.LogsService/Export",
    "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
    "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
};

static const char *const http_paths[DF_SIGNAL_COUNT] = {"/v1/logs", "/v1/metrics", "/v1/traces"};

static int signal_of(const char *const *paths, const char *path)
{
    for (int s = 0; s < DF_SIGNAL_COUNT; s++) {
        if (!strcmp(paths[s], path))
            return s;
    }
    return -1;
}

/* 1 for OTLP/JSON, 0 for protobuf, -1 for anything else. */
static int media_type(const char *ct)
{
    if (!ct)
        return -1;
    size_t n = strcspn(ct, "; \t");
    if (n == 22 && !strncasecmp(ct, "application/x-protobuf", n))
        return 0;
    if (n == 16 && !strncasecmp(ct, "application/json", n))
        return 1;
    return -1;
}

/* google.rpc.Status {code = 1, message = 2} as protobuf or JSON. */
static size_t status_body(bool json, int code, const char *msg, char *buf, size_t len)
{
    if (json) {
        char esc[512];
        size_t o = 0;
        for (const char *c = msg ? msg : ""; *c && o + 7 < sizeof esc; c++) {
            unsigned char ch = (unsigned char)*c;
            if (ch == '"' || ch == '\\') {
                esc[o++] = '\\';
                esc[o++] = (char)ch;
            } else if (ch < 0x20) {
                o += (size_t)snprintf(esc + o, sizeof esc - o, "\\u%04x", ch);
            } else {
                esc[o++] = (char)ch;
            }
        }
        esc[o] = 0;
        int n = snprintf(buf, len, "{\"code\":%d,\"message\":\"%s\"}", code, esc);
        return n < 0 ? 0 : (size_t)n < len ? (size_t)n : len - 1;
    }
    struct df_pb_writer w;
    df_pb_writer_init(&w);
    if (code)
        df_pb_put_varint(&w, 1, (uint64_t)code);
    if (msg && *msg)
        df_pb_put_string(&w, 2, msg);
    size_t n = w.len < len ? w.len : 0;
    if (n)
        memcpy(buf, w.buf, n);
    df_pb_writer_free(&w);
    return n;
}

static const int http_status[OTLP_VERDICT_COUNT] = {200, 400, 413, 415, 503, 503, 500, 504};

/* gRPC codes of the verdicts, also used as google.rpc.Status codes. */
static const enum df_grpc_status grpc_status[OTLP_VERDICT_COUNT] = {
    DF_GRPC_OK,
    DF_GRPC_INVALID_ARGUMENT,
    DF_GRPC_RESOURCE_EXHAUSTED,
    DF_GRPC_UNIMPLEMENTED,
    DF_GRPC_RESOURCE_EXHAUSTED,
    DF_GRPC_UNAVAILABLE,
    DF_GRPC_INTERNAL,
    DF_GRPC_DEADLINE_EXCEEDED,
};

/* ---- authentication ------------------------------------------------------ */

/* Header views built on the stack up to this many headers. */
#define AUTH_STACK_HEADERS 64
/* Refusals are logged at most once per this interval per node instance. */
#define AUTH_LOG_INTERVAL_MS 1000

/* What a check knows of a connection's peer, read once when the
 * connection's protocol is chosen (with an auth_check bound only). */
struct peer {
    const struct sockaddr *addr; /* the connection's; NULL when unknown */
    char *subject;               /* the verified client certificate's (RFC 2253), or NULL */
    char **sans;                 /* its SANs as "DNS:...", "URI:...", "email:...", "IP:..." */
    size_t nsans;
    bool incomplete; /* the certificate could not be read whole: every check fails closed */
};

static int add_san(void *ud, enum df_tls_san_type type, const char *value)
{
    struct peer *p = ud;
    const char *kind = df_tls_san_type_name(type);
    size_t klen = strlen(kind), vlen = strlen(value);
    char *s = malloc(klen + 1 + vlen + 1);
    char **grown = s ? realloc(p->sans, (p->nsans + 1) * sizeof *grown) : NULL;
    if (!grown) {
        free(s);
        p->incomplete = true;
        return 1;
    }
    memcpy(s, kind, klen);
    s[klen] = ':';
    memcpy(s + klen + 1, value, vlen + 1);
    p->sans = grown;
    p->sans[p->nsans++] = s;
    return 0;
}

static void peer_load(struct peer *p, struct df_conn *conn, const struct df_tls_conn *tls)
{
    p->addr = (const struct sockaddr *)df_conn_peer(conn);
    char subject[4096];
    if (!tls || df_tls_peer_subject(tls, subject, sizeof subject) != 0)
        return; /* no verified client certificate */
    if (strlen(subject) == sizeof subject - 1 || !(p->subject = strdup(subject)) ||
        df_tls_peer_sans(tls, add_san, p) < 0)
        p->incomplete = true; /* truncated or out of memory: not to be matched */
}

static void peer_free(struct peer *p)
{
    for (size_t i = 0; i < p->nsans; i++)
        free(p->sans[i]);
    free(p->sans);
    free(p->subject);
}

/* Room for `n` header views: `stack` (AUTH_STACK_HEADERS long) when they
 * fit, else the node's scratch array. NULL on exhaustion. */
static struct df_auth_header *header_room(struct otlp_auth *a, struct df_auth_header *stack,
                                          size_t n)
{
    if (n <= AUTH_STACK_HEADERS)
        return stack;
    if (n > a->scratch_cap) {
        struct df_auth_header *grown = realloc(a->scratch, n * sizeof *grown);
        if (!grown)
            return NULL;
        a->scratch = grown;
        a->scratch_cap = n;
    }
    return a->scratch;
}

/* Logs a refusal: what was refused, from where, and the provider's detail
 * (never a header value), rate-limited with a count of the lines left out. */
static void auth_log(struct otlp_rx *rx, const struct df_auth_request *req,
                     const struct df_auth_result *out)
{
    struct otlp_auth *a = &rx->auth;
    uint64_t left_out;
    if (!df_log_limit_pass(&a->log, uv_now(df_node_loop(rx->node)), AUTH_LOG_INTERVAL_MS,
                           &left_out))
        return;
    char addr[64] = "an unknown address", more[96] = "";
    if (req->peer)
        df_sockaddr_format(req->peer, addr, sizeof addr);
    if (left_out)
        snprintf(more, sizeof more, " (and %llu more refusals not logged)",
                 (unsigned long long)left_out);
    bool error = out->decision == DF_AUTH_ERROR;
    int dlen = (int)strnlen(out->detail, sizeof out->detail);
    /* The path without its query, which may hold a credential (HTTP/2's
     * :path has it; HTTP/1.1's path does not). */
    int plen = (int)strcspn(req->path, "?");
    df_node_log(rx->node, error ? DF_LOG_WARN : DF_LOG_INFO, "refused %s %.*s from %s: %s%s%.*s%s",
                req->transport == DF_AUTH_GRPC ? "gRPC call" : "HTTP request",
                plen < 200 ? plen : 200, req->path, addr,
                error ? "authentication error" : df_auth_reason_name(out->reason), dlen ? ": " : "",
                dlen, out->detail, more);
}

/* Decides `req` (its headers filled; NULL with nheaders when they could not
 * be viewed) with the bound auth_check, counting and logging. */
static enum df_auth_decision auth_decide(struct otlp_rx *rx, const struct peer *peer,
                                         struct df_auth_request *req, struct df_auth_result *out)
{
    struct otlp_auth *a = &rx->auth;
    req->peer = peer->addr;
    req->tls_subject = peer->subject;
    req->tls_sans = (const char *const *)peer->sans;
    req->ntls_sans = peer->nsans;
    enum df_auth_decision d;
    if ((!req->headers && req->nheaders) || peer->incomplete) {
        /* The request cannot be shown whole: fail closed. */
        *out = (struct df_auth_result){.decision = DF_AUTH_ERROR};
        snprintf(out->detail, sizeof out->detail, "%s",
                 peer->incomplete ? "the client certificate could not be read"
                                  : "out of memory viewing the headers");
        d = DF_AUTH_ERROR;
    } else {
        d = df_auth_check_call(a->h, req, out);
    }
    df_metric_add(d == DF_AUTH_ALLOW ? a->allowed : d == DF_AUTH_DENY ? a->denied : a->errors, 1);
    if (d != DF_AUTH_ALLOW)
        auth_log(rx, req, out);
    return d;
}

/* How a refusal is answered; the message is all the client learns. */
struct refusal {
    int http;
    enum df_grpc_status grpc;
    const char *message;
    const char *challenge; /* WWW-Authenticate (401 only), or NULL */
};

static struct refusal refusal_of(const struct df_auth_result *out)
{
    if (out->decision == DF_AUTH_DENY && out->reason == DF_AUTH_FORBIDDEN)
        return (struct refusal){403, DF_GRPC_PERMISSION_DENIED, "permission denied", NULL};
    if (out->decision == DF_AUTH_DENY)
        return (struct refusal){401, DF_GRPC_UNAUTHENTICATED, "unauthenticated", out->challenge};
    return (struct refusal){503, DF_GRPC_UNAVAILABLE, "authentication unavailable", NULL};
}

/* ---- HTTP/2 (gRPC, and OTLP/HTTP over h2c or h2) ------------------------ */

struct h2_reply;

struct h2p {
    struct df_proto base;
    struct df_h2_server_conn *h2;
    struct df_conn *conn;
    struct listener_state *ls;
    struct h2_reply *replies; /* waiting for their outcome */
    /* gRPC keepalive: PING a connection idle for keepalive.time; close it
     * when the PING is not acknowledged within keepalive.timeout. */
    uv_timer_t *ka;
    bool heard;       /* bytes arrived since the last tick */
    bool ping_out;    /* a PING waits for its ACK */
    uint64_t acked;   /* pings_acked when it was sent */
    struct peer peer; /* with an auth_check bound */
};

struct h2_reply {
    struct otlp_reply base;
    struct h2p *p;
    int32_t stream;
    bool grpc, json;
    struct otlp_pending *pending;
    struct h2_reply *prev, *next;
};

static void h2_unlink(struct h2_reply *r)
{
    if (r->prev)
        r->prev->next = r->next;
    else if (r->p)
        r->p->replies = r->next;
    if (r->next)
        r->next->prev = r->prev;
}

static void h2_answer(struct otlp_reply *base, enum otlp_verdict v, const char *msg,
                      uint32_t retry_ms)
{
    struct h2_reply *r = (struct h2_reply *)base;
    struct h2p *p = r->p;
    if (r->grpc) {
        df_grpc_respond(p->h2, r->stream, grpc_status[v], v == OTLP_OK ? NULL : msg, NULL, 0,
                        v == OTLP_BUSY ? (int64_t)retry_ms : -1);
    } else {
        char body[1024], retry[16];
        size_t n = v == OTLP_OK ? (r->json ? (size_t)snprintf(body, sizeof body, "{}") : 0)
                                : status_body(r->json, (int)grpc_status[v], msg, body, sizeof body);
        struct df_h2_header h[2] = {
            {"content-type", r->json ? "application/json" : "application/x-protobuf"}};
        size_t nh = 1;
        if (v == OTLP_BUSY) {
            snprintf(retry, sizeof retry, "%u", (retry_ms + 999) / 1000);
            h[nh++] = (struct df_h2_header){"retry-after", retry};
        }
        df_h2_server_respond(p->h2, r->stream, http_status[v], h, nh, (const uint8_t *)body, n,
                             NULL, 0);
    }
    h2_unlink(r);
    free(r);
    df_conn_flush(p->conn);
}

/* on_headers, with an auth_check bound: decides the request before its
 * body is read. Allowed: the identity rides on the stream to on_request. */
static bool h2_on_headers(void *ud, struct df_h2_server_conn *c, const struct df_h2_request *req,
                          void **stream_ud)
{
    struct h2p *p = ud;
    struct otlp_rx *rx = p->ls->rx;
    struct df_auth_header stack[AUTH_STACK_HEADERS];
    struct df_auth_header *h = header_room(&rx->auth, stack, req->nheaders);
    for (size_t i = 0; h && i < req->nheaders; i++)
        h[i] = (struct df_auth_header){req->headers[i].name, strlen(req->headers[i].name),
                                       req->headers[i].value, strlen(req->headers[i].value)};
    struct df_auth_request ar = {.transport = req->is_grpc ? DF_AUTH_GRPC : DF_AUTH_HTTP,
                                 .method = req->method,
                                 .path = req->path,
                                 .headers = h,
                                 .nheaders = req->nheaders};
    struct df_auth_result out;
    if (auth_decide(rx, &p->peer, &ar, &out) == DF_AUTH_ALLOW) {
        *stream_ud = (void *)out.identity;
        return true;
    }
    struct refusal rf = refusal_of(&out);
    if (req->is_grpc) {
        df_grpc_respond(c, req->stream_id, rf.grpc, rf.message, NULL, 0, -1);
        return false;
    }
    bool json = media_type(req->content_type) == 1;
    char body[256];
    size_t n = status_body(json, (int)rf.grpc, rf.message, body, sizeof body);
    struct df_h2_header hh[2] = {
        {"content-type", json ? "application/json" : "application/x-protobuf"}};
    size_t nh = 1;
    if (rf.challenge)
        hh[nh++] = (struct df_h2_header){"www-authenticate", rf.challenge};
    df_h2_server_respond(c, req->stream_id, rf.http, hh, nh, (const uint8_t *)body, n, NULL, 0);
    return false;
}

static void h2_on_request(void *ud, struct df_h2_server_conn *c, const struct df_h2_request *req)
{
    struct h2p *p = ud;
    struct listener_state *ls = p->ls;
    struct otlp_rx *rx = ls->rx;
    int sig;
    bool json = false;
    if (req->is_grpc) {
        sig = signal_of(grpc_paths, req->path);
        if (sig < 0 || ls->kind != GRPC) {
            otlp_admit_count(rx->admit, OTLP_UNSUPPORTED);
            df_grpc_respond(c, req->stream_id, DF_GRPC_UNIMPLEMENTED, "unknown method", NULL, 0,
                            -1);
            return;
        }
    } else {
        sig = ls->kind == HTTP ? signal_of(http_paths, req->path) : -1;
        int mt = media_type(req->content_type);
        const char *err = sig < 0                       ? "not found"
                          : strcmp(req->method, "POST") ? "method not allowed"
                          : mt < 0 ? "unsupported media type: use application/x-protobuf or "
                                     "application/json"
                                   : NULL;
        if (err) {
            int status = sig < 0 ? 404 : strcmp(req->method, "POST") ? 405 : 415;
            struct df_h2_header h[] = {{"content-type", "text/plain"}};
            df_h2_server_respond(c, req->stream_id, status, h, 1, (const uint8_t *)err, strlen(err),
                                 NULL, 0);
            return;
        }
        json = mt == 1;
    }
    struct h2_reply *r = calloc(1, sizeof *r);
    if (!r) {
        df_grpc_respond(c, req->stream_id, DF_GRPC_RESOURCE_EXHAUSTED, "out of memory", NULL, 0,
                        1000);
        return;
    }
    r->base.answer = h2_answer;
    r->p = p;
    r->stream = req->stream_id;
    r->grpc = req->is_grpc;
    r->json = json;
    r->next = p->replies;
    if (p->replies)
        p->replies->prev = r;
    p->replies = r;
    /* Answered at once (and `r` freed), or waiting: then `r` lives until the
     * outcome or the stream's end. */
    /* The body's buffer becomes the pdata's bytes: no copy. */
    uint8_t *owned = df_h2_server_take_body(c, req->stream_id);
    struct otlp_pending *pending =
        otlp_admit_request(rx->admit, &ls->policy, (enum df_signal)sig, req->body, req->body_len,
                           json, owned, req->stream_ud, &r->base);
    if (pending)
        r->pending = pending;
}

static struct h2_reply *find_stream(struct h2p *p, int32_t stream)
{
    for (struct h2_reply *r = p->replies; r; r = r->next) {
        if (r->stream == stream)
            return r;
    }
    return NULL;
}

static void h2_on_stream_close(void *ud, struct df_h2_server_conn *c, int32_t stream,
                               uint32_t h2_error)
{
    struct h2p *p = ud;
    struct h2_reply *r = find_stream(p, stream);
    if (!r)
        return;
    if (r->pending)
        otlp_admit_cancel(r->pending);
    h2_unlink(r);
    free(r);
}

static int h2p_feed(struct df_proto *base, const uint8_t *data, size_t len)
{
    struct h2p *p = (struct h2p *)base;
    p->heard = true;
    return df_h2_server_feed(p->h2, data, len);
}

static void ka_closed(uv_handle_t *h)
{
    free(h);
}

static void ka_tick(uv_timer_t *t)
{
    struct h2p *p = t->data;
    const struct otlp_keepalive *ka = &p->ls->rx->cfg->protocols.grpc->keepalive;
    struct df_h2_server_stats st;
    df_h2_server_stats(p->h2, &st);
    if (p->ping_out) {
        if (st.pings_acked == p->acked) {
            df_node_log(p->ls->rx->node, DF_LOG_DEBUG,
                        "closing a gRPC connection: keepalive PING not acknowledged");
            df_conn_close(p->conn);
            return;
        }
        p->ping_out = false;
    } else if (!p->heard) {
        df_h2_server_ping(p->h2);
        p->ping_out = true;
        p->acked = st.pings_acked;
        uv_timer_start(t, ka_tick, ka->timeout / 1000000, 0);
        df_conn_flush(p->conn);
        return;
    }
    p->heard = false;
    uv_timer_start(t, ka_tick, ka->time / 1000000, 0);
}

static size_t h2p_output(struct df_proto *base, const uint8_t **data)
{
    struct h2p *p = (struct h2p *)base;
    size_t len;
    if (p->ls->rx->draining)
        df_h2_server_shutdown(p->h2); /* GOAWAY: no new streams */
    df_h2_server_pending_output(p->h2, data, &len);
    return len;
}

static void h2p_consumed(struct df_proto *base, size_t n)
{
    df_h2_server_consume_output(((struct h2p *)base)->h2, n);
}

static bool h2p_done(struct df_proto *base)
{
    return df_h2_server_want_close(((struct h2p *)base)->h2);
}

static void h2p_destroy(struct df_proto *base)
{
    struct h2p *p = (struct h2p *)base;
    if (p->ka)
        uv_close((uv_handle_t *)p->ka, ka_closed);
    df_h2_server_fail(p->h2); /* reports waiting streams: their answers are dropped */
    df_h2_server_free(p->h2);
    peer_free(&p->peer);
    free(p);
}

static const struct df_proto_ops h2p_ops = {.feed = h2p_feed,
                                            .output = h2p_output,
                                            .consumed = h2p_consumed,
                                            .done = h2p_done,
                                            .destroy = h2p_destroy};

static struct df_proto *new_h2(struct listener_state *ls, struct df_conn *conn,
                               const struct df_tls_conn *tls)
{
    struct h2p *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->base.ops = &h2p_ops;
    p->conn = conn;
    p->ls = ls;
    struct df_h2_limits lim = {0};
    if (ls->kind == GRPC) {
        const struct otlp_grpc_config *g = ls->rx->cfg->protocols.grpc;
        lim.max_concurrent_streams = (uint32_t)g->max_concurrent_streams;
        lim.max_body = g->max_recv_msg_size;
    } else {
        lim.max_body = ls->rx->cfg->protocols.http->max_request_body_size;
    }
    struct df_h2_server_callbacks cb = {.on_request = h2_on_request,
                                        .on_stream_close = h2_on_stream_close};
    if (ls->rx->auth.h.ops) {
        cb.on_headers = h2_on_headers;
        peer_load(&p->peer, conn, tls);
    }
    if (!(p->h2 = df_h2_server_new(&cb, p, &lim))) {
        peer_free(&p->peer);
        free(p);
        return NULL;
    }
    if (ls->kind == GRPC && (p->ka = malloc(sizeof *p->ka)) != NULL) {
        uv_timer_init(df_conn_loop(conn), p->ka);
        p->ka->data = p;
        uv_timer_start(p->ka, ka_tick, ls->rx->cfg->protocols.grpc->keepalive.time / 1000000, 0);
    }
    return &p->base;
}

/* ---- HTTP/1.1 ------------------------------------------------------------ */

/* One HTTP/1.1 connection: the handlers' `ud`. */
struct h1c {
    struct listener_state *ls;
    struct peer peer; /* with an auth_check bound */
};

static void h1c_free(void *ud)
{
    struct h1c *hc = ud;
    peer_free(&hc->peer);
    free(hc);
}

struct h1_reply {
    struct otlp_reply base;
    struct df_http1_pending *tok;
    struct otlp_pending *pending;
    bool json;
    const char *allow_origin; /* CORS: the value of Access-Control-Allow-Origin, or NULL */
};

/* CORS: the Access-Control-Allow-Origin value for a request from `origin`
 * (the configured entry: "*" or the origin itself), or NULL when not
 * allowed or CORS is off. */
static const char *cors_origin(const struct otlp_http_config *hc, const char *origin)
{
    if (!hc->cors || !origin)
        return NULL;
    const char *const *allowed = hc->cors->allowed_origins.items;
    for (size_t i = 0; i < hc->cors->allowed_origins.count; i++) {
        if (!strcmp(allowed[i], "*") || !strcasecmp(allowed[i], origin))
            return allowed[i];
    }
    return NULL;
}

/* Answers a CORS preflight (OPTIONS) for an allowed origin: POST with the
 * safelisted headers, Content-Encoding and the configured ones. */
static void cors_preflight(const struct otlp_http_config *hc, const char *allow,
                           struct df_http1_response *res)
{
    static _Thread_local char headers[1024], max_age[24];
    size_t o = (size_t)snprintf(headers, sizeof headers, "Content-Type, Content-Encoding");
    const char *const *extra = hc->cors->allowed_headers.items;
    for (size_t i = 0; i < hc->cors->allowed_headers.count && o < sizeof headers; i++)
        o += (size_t)snprintf(headers + o, sizeof headers - o, ", %s", extra[i]);
    static _Thread_local struct df_http1_header h[4];
    size_t n = 0;
    h[n++] = (struct df_http1_header){"Access-Control-Allow-Origin", allow};
    h[n++] = (struct df_http1_header){"Access-Control-Allow-Methods", "POST"};
    h[n++] = (struct df_http1_header){"Access-Control-Allow-Headers", headers};
    if (hc->cors->max_age) {
        snprintf(max_age, sizeof max_age, "%llu",
                 (unsigned long long)(hc->cors->max_age / 1000000000u));
        h[n++] = (struct df_http1_header){"Access-Control-Max-Age", max_age};
    }
    res->status = 204;
    res->headers = h;
    res->nheaders = n;
}

static void h1_answer(struct otlp_reply *base, enum otlp_verdict v, const char *msg,
                      uint32_t retry_ms)
{
    struct h1_reply *r = (struct h1_reply *)base;
    char body[1024], retry[16];
    size_t n = v == OTLP_OK ? (r->json ? (size_t)snprintf(body, sizeof body, "{}") : 0)
                            : status_body(r->json, (int)grpc_status[v], msg, body, sizeof body);
    struct df_http1_header h[3];
    size_t nh = 0;
    if (v == OTLP_BUSY) {
        snprintf(retry, sizeof retry, "%u", (retry_ms + 999) / 1000);
        h[nh++] = (struct df_http1_header){"Retry-After", retry};
    }
    if (r->allow_origin) {
        h[nh++] = (struct df_http1_header){"Access-Control-Allow-Origin", r->allow_origin};
        h[nh++] = (struct df_http1_header){"Vary", "Origin"};
    }
    df_http1_respond(r->tok, http_status[v],
                     r->json ? "application/json" : "application/x-protobuf", h, nh, body, n);
    free(r);
}

/* The connection went away before the outcome: drop the answer. */
static void h1_cancel(void *ud, struct df_http1_pending *tok)
{
    struct h1_reply *r = ud;
    if (r->pending)
        otlp_admit_cancel(r->pending);
    df_http1_respond(tok, 503, NULL, NULL, 0, NULL, 0); /* frees the token */
    free(r);
}

/* Fills `res` with HTTP status `http` and a google.rpc.Status body of
 * `code` and `msg`, protobuf or JSON like the request. */
static void h1_status(struct df_http1_response *res, int http, enum df_grpc_status code, bool json,
                      const char *msg)
{
    char body[1024];
    size_t n = status_body(json, (int)code, msg, body, sizeof body);
    res->status = http;
    res->content_type = json ? "application/json" : "application/x-protobuf";
    res->body = malloc(n ? n : 1);
    if (res->body) {
        memcpy(res->body, body, n);
        res->body_len = n;
    }
}

static void h1_error(struct df_http1_response *res, struct otlp_admit *a, enum otlp_verdict v,
                     bool json, const char *msg)
{
    otlp_admit_count(a, v);
    h1_status(res, http_status[v], grpc_status[v], json, msg);
}

/* The head hook, with an auth_check bound: decides the request before its
 * body is read. Allowed: the identity rides on the request to h1_handle.
 * A CORS preflight of an allowed origin goes on unchecked: browsers never
 * send credentials on one, and it carries no data. */
static void h1_on_head(void *ud, const struct df_http1_request *head, struct df_http1_response *res,
                       void **user)
{
    struct h1c *hc = ud;
    struct otlp_rx *rx = hc->ls->rx;
    const struct otlp_http_config *cfg = rx->cfg->protocols.http;
    const char *allow = cors_origin(cfg, df_http1_request_header(head, "Origin"));
    if (allow && !strcmp(head->method, "OPTIONS") && signal_of(http_paths, head->path) >= 0)
        return;
    struct df_auth_header stack[AUTH_STACK_HEADERS];
    struct df_auth_header *h = header_room(&rx->auth, stack, head->nheaders);
    for (size_t i = 0; h && i < head->nheaders; i++)
        h[i] = (struct df_auth_header){head->headers[i].name, strlen(head->headers[i].name),
                                       head->headers[i].value, strlen(head->headers[i].value)};
    struct df_auth_request ar = {.transport = DF_AUTH_HTTP,
                                 .method = head->method,
                                 .path = head->path,
                                 .headers = h,
                                 .nheaders = head->nheaders};
    struct df_auth_result out;
    if (auth_decide(rx, &hc->peer, &ar, &out) == DF_AUTH_ALLOW) {
        *user = (void *)out.identity;
        return;
    }
    struct refusal rf = refusal_of(&out);
    bool json = media_type(df_http1_request_header(head, "Content-Type")) == 1;
    h1_status(res, rf.http, rf.grpc, json, rf.message);
    /* Valid until the hook returns, as struct df_http1_response asks. */
    static _Thread_local struct df_http1_header hh[3];
    size_t nh = 0;
    if (rf.challenge)
        hh[nh++] = (struct df_http1_header){"WWW-Authenticate", rf.challenge};
    if (allow) {
        hh[nh++] = (struct df_http1_header){"Access-Control-Allow-Origin", allow};
        hh[nh++] = (struct df_http1_header){"Vary", "Origin"};
    }
    res->headers = hh;
    res->nheaders = nh;
}

static void h1_handle(void *ud, const struct df_http1_request *req, struct df_http1_response *res)
{
    struct listener_state *ls = ((struct h1c *)ud)->ls;
    struct otlp_rx *rx = ls->rx;
    const struct otlp_http_config *hc = rx->cfg->protocols.http;
    int sig = signal_of(http_paths, req->path);
    if (sig < 0) {
        df_http1_response_text(res, 404, "text/plain", "no such endpoint: %s\n", req->path);
        return;
    }
    const char *allow = cors_origin(hc, df_http1_request_header(req, "Origin"));
    if (!strcmp(req->method, "OPTIONS") && allow) {
        cors_preflight(hc, allow, res);
        return;
    }
    if (strcmp(req->method, "POST")) {
        df_http1_response_text(res, 405, "text/plain", "use POST\n");
        return;
    }
    int mt = media_type(df_http1_request_header(req, "Content-Type"));
    if (mt < 0) {
        h1_error(res, rx->admit, OTLP_UNSUPPORTED, false,
                 "unsupported media type: use application/x-protobuf or application/json");
        return;
    }
    bool json = mt == 1;
    const uint8_t *body = req->body;
    size_t len = req->body_len;
    uint8_t *plain = NULL;
    const char *ce = df_http1_request_header(req, "Content-Encoding");
    if (ce && strcasecmp(ce, "identity")) {
        enum df_encoding enc;
        if (!hc->accept_compressed_requests || df_encoding_parse(ce, &enc)) {
            h1_error(res, rx->admit, OTLP_UNSUPPORTED, json, "unsupported Content-Encoding");
            return;
        }
        int rc = df_decompress(enc, body, len, hc->max_request_body_size, &plain, &len);
        if (rc) {
            h1_error(res, rx->admit, rc == DF_ERANGE ? OTLP_TOO_LARGE : OTLP_INVALID, json,
                     rc == DF_ERANGE ? "the decompressed body is over max_request_body_size"
                                     : "the body does not decompress");
            return;
        }
        body = plain;
    }
    struct h1_reply *r = calloc(1, sizeof *r);
    if (r)
        r->tok = df_http1_defer(req, h1_cancel, r);
    if (!r || !r->tok) {
        free(r);
        free(plain);
        h1_error(res, rx->admit, OTLP_BUSY, json, "out of memory");
        return;
    }
    r->base.answer = h1_answer;
    r->json = json;
    r->allow_origin = allow;
    /* Answered at once (and `r` freed), or waiting: then `r` lives until the
     * outcome or the connection's end. */
    struct otlp_pending *pending = otlp_admit_request(rx->admit, &ls->policy, (enum df_signal)sig,
                                                      body, len, json, NULL, req->user, &r->base);
    if (pending)
        r->pending = pending;
    free(plain);
}

/* ---- connections --------------------------------------------------------- */

static bool h2_preface(const uint8_t *first, size_t len)
{
    return len >= 3 && !memcmp(first, "PRI", 3);
}

static struct df_proto *inner(void *ud, struct df_conn *conn, const char *alpn,
                              const struct df_tls_conn *tls, const uint8_t *first, size_t len)
{
    struct listener_state *ls = ud;
    if (ls->kind == GRPC || (alpn && !strcmp(alpn, "h2")) || h2_preface(first, len))
        return new_h2(ls, conn, tls);
    struct h1c *hc = calloc(1, sizeof *hc);
    if (!hc)
        return NULL;
    hc->ls = ls;
    struct df_http1_proto_hooks hooks = {.on_destroy = h1c_free};
    if (ls->rx->auth.h.ops) {
        hooks.on_head = h1_on_head;
        peer_load(&hc->peer, conn, tls);
    }
    struct df_http1_limits lim = {
        .max_body_bytes = ls->rx->cfg->protocols.http->max_request_body_size, .max_pending = 16};
    struct df_proto *p = df_http1_proto_new(conn, h1_handle, hc, &lim, &hooks);
    if (!p)
        h1c_free(hc);
    return p;
}

static void tls_failed(void *ud, const char *reason)
{
    struct listener_state *ls = ud;
    df_node_log(ls->rx->node, DF_LOG_DEBUG, "TLS handshake failed: %s", reason);
}

static struct df_proto *select_proto(void *ud, struct df_conn *conn, const uint8_t *first,
                                     size_t len)
{
    struct listener_state *ls = ud;
    if (ls->rx->draining)
        return NULL;
    if (ls->tls)
        return df_tls_proto_server(ls->tls, conn, inner, tls_failed, ls);
    if (ls->kind == GRPC && !h2_preface(first, len))
        return NULL; /* gRPC needs HTTP/2 */
    return inner(ls, conn, NULL, NULL, first, len);
}

/* ---- node hooks ---------------------------------------------------------- */

static int setup_listener(struct otlp_rx *rx, enum proto_kind kind,
                          const struct otlp_common *common, struct df_error *err)
{
    struct listener_state *ls = &rx->ls[kind];
    ls->common = common;
    ls->rx = rx;
    ls->kind = kind;
    uint32_t cap = df_node_channel_capacity(rx->node);
    ls->policy = (struct otlp_policy){
        .max_in_flight =
            common->max_concurrent_requests ? (uint32_t)common->max_concurrent_requests : cap,
        .wait = common->wait_for_result,
        .timeout_ns = common->timeout};
    char msg[512];
    if (df_sockaddr_resolve(&common->listening_addr, &ls->addr, msg, sizeof msg)) {
        snprintf(err->msg, sizeof err->msg, "%s", msg);
        return DF_EINVAL;
    }
    if (common->tls) {
        const char *h2_only[] = {"h2"}, *both[] = {"h2", "http/1.1"};
        struct df_tls_server_config tc = {
            .cert_file = common->tls->cert_file,
            .key_file = common->tls->key_file,
            .client_ca_file = common->tls->client_ca_file,
            .min_version = common->tls->min_version,
            .alpn = {.count = kind == GRPC ? 1 : 2, .items = kind == GRPC ? h2_only : both}};
        ls->tls = df_tls_server_ctx_new(&tc, msg, sizeof msg);
        if (!ls->tls) {
            snprintf(err->msg, sizeof err->msg, "%s", msg);
            return DF_EINVAL;
        }
    }
    return 0;
}

static void drain_check(struct df_node *node, void *state);

static int otlp_create(struct df_node *node, const void *options, void **state,
                       struct df_error *err)
{
    struct otlp_rx *rx = calloc(1, sizeof *rx);
    if (!rx)
        return DF_ENOMEM;
    *state = rx;
    rx->node = node;
    rx->cfg = options;
    rx->admit = otlp_admit_new(node);
    rx->drain_timer = df_node_timer(node, drain_check);
    if (!rx->admit || !rx->drain_timer)
        return DF_ENOMEM;
    /* check() is version 1. */
    int rc = df_auth_check_optional(node, 1, &rx->auth.h, err);
    if (rc)
        return rc;
    if (rx->auth.h.ops) {
        struct otlp_auth *a = &rx->auth;
        a->allowed = df_node_metric(node, DF_METRIC_COUNTER, "df_receiver_otlp_auth_allowed_total",
                                    "Requests the auth_check extension allowed.");
        a->denied = df_node_metric(node, DF_METRIC_COUNTER, "df_receiver_otlp_auth_denied_total",
                                   "Requests refused: missing or invalid credential (401 / "
                                   "UNAUTHENTICATED) or forbidden (403 / PERMISSION_DENIED).");
        a->errors = df_node_metric(node, DF_METRIC_COUNTER, "df_receiver_otlp_auth_errors_total",
                                   "Requests refused because authentication could not decide "
                                   "(503 / UNAVAILABLE).");
        if (!a->allowed || !a->denied || !a->errors)
            return DF_ENOMEM;
    }
    if (rx->cfg->protocols.grpc)
        rc = setup_listener(rx, GRPC, &rx->cfg->protocols.grpc->common, err);
    if (!rc && rx->cfg->protocols.http)
        rc = setup_listener(rx, HTTP, &rx->cfg->protocols.http->common, err);
    return rc;
}

static int otlp_start(struct df_node *node, void *state, struct df_error *err)
{
    struct otlp_rx *rx = state;
    for (int k = 0; k < NKINDS; k++) {
        struct listener_state *ls = &rx->ls[k];
        if (!ls->common)
            continue;
        /* gRPC connections are watched by keepalive PINGs (ka_tick); the
         * idle timeout is a backstop. HTTP connections idle 5 minutes
         * close. */
        uint64_t idle_ms = 300000;
        if (k == GRPC) {
            const struct otlp_keepalive *ka = &rx->cfg->protocols.grpc->keepalive;
            idle_ms = 2 * (ka->time + ka->timeout) / 1000000;
        }
        /* At most MAX_CONNECTIONS per core: each may hold up to
         * max_concurrent_streams bodies in flight. */
        struct df_listener_opts o = {.reuseport = true,
                                     .tcp_nodelay = ls->common->tcp_nodelay,
                                     .idle_timeout_ms = idle_ms,
                                     .max_connections = MAX_CONNECTIONS};
        char msg[512];
        ls->listener = df_listener_start(df_node_loop(node), (struct sockaddr *)&ls->addr, &o,
                                         select_proto, ls, msg, sizeof msg);
        if (!ls->listener) {
            snprintf(err->msg, sizeof err->msg, "%s", msg);
            return DF_EIO;
        }
        rx->open_listeners++;
        char where[128];
        struct sockaddr_storage bound = ls->addr;
        ((struct sockaddr_in *)&bound)->sin_port = htons((uint16_t)df_listener_port(ls->listener));
        df_node_log(node, DF_LOG_INFO, "OTLP/%s listening on %s%s", k == GRPC ? "gRPC" : "HTTP",
                    df_sockaddr_format((struct sockaddr *)&bound, where, sizeof where),
                    ls->tls ? " (TLS)" : "");
    }
    return 0;
}

static void free_rx(struct otlp_rx *rx)
{
    for (int k = 0; k < NKINDS; k++)
        df_tls_ctx_free(rx->ls[k].tls);
    otlp_admit_free(rx->admit);
    free(rx->auth.scratch);
    free(rx);
}

static void listener_closed(void *ud)
{
    struct otlp_rx *rx = ud;
    if (--rx->open_listeners)
        return;
    if (rx->destroyed)
        free_rx(rx);
    else if (rx->draining)
        df_node_drained(rx->node);
}

/* Draining: once every admitted request was answered, close the
 * connections. */
static void drain_check(struct df_node *node, void *state)
{
    struct otlp_rx *rx = state;
    if (otlp_admit_in_flight(rx->admit))
        return;
    df_timer_stop(rx->drain_timer);
    if (!rx->open_listeners) {
        df_node_drained(node);
        return;
    }
    for (int k = 0; k < NKINDS; k++) {
        if (rx->ls[k].listener) {
            df_listener_shutdown(rx->ls[k].listener, listener_closed, rx);
            rx->ls[k].listener = NULL;
        }
    }
}

static void otlp_drain(struct df_node *node, void *state)
{
    struct otlp_rx *rx = state;
    rx->draining = true;
    otlp_admit_refuse(rx->admit);
    for (int k = 0; k < NKINDS; k++) {
        if (rx->ls[k].listener)
            df_listener_stop_accepting(rx->ls[k].listener);
    }
    df_timer_start(rx->drain_timer, 0, 20000000);
}

static bool otlp_outcome(struct df_node *node, void *state, struct df_pdata *pd, uint64_t cookie)
{
    return otlp_admit_outcome(((struct otlp_rx *)state)->admit, pd, cookie);
}

static void otlp_destroy(struct df_node *node, void *state)
{
    struct otlp_rx *rx = state;
    if (!rx)
        return;
    rx->destroyed = true;
    bool open = false;
    for (int k = 0; k < NKINDS; k++) {
        if (rx->ls[k].listener) {
            df_listener_close(rx->ls[k].listener, listener_closed, rx);
            rx->ls[k].listener = NULL;
            open = true;
        }
    }
    if (!open && !rx->open_listeners)
        free_rx(rx);
}

static const struct df_node_ops otlp_ops = {.create = otlp_create,
                                            .start = otlp_start,
                                            .outcome = otlp_outcome,
                                            .drain = otlp_drain,
                                            .destroy = otlp_destroy};

/* auth_check is optional: without a binding every request is accepted. */
static const char *const otlp_consumes[] = {DF_AUTH_CHECK_NAME, NULL};

DF_REGISTER_NODE(otlp_receiver, "urn:otel:receiver:otlp", DF_NODE_RECEIVER,
                 "Receives OTLP over gRPC and HTTP (HTTP/1.1 and HTTP/2, plain or TLS).",
                 "docs/nodes.md#receiverotlp", .options = &otlp_receiver_table,
                 .consumes = otlp_consumes, .ops = &otlp_ops);
