/* exporter:otlp_grpc — sends every request as a unary OTLP/gRPC Export call
 * (opentelemetry.proto.collector.<signal>.v1.<Signal>Service/Export) over
 * HTTP/2, plain or TLS (ALPN h2).
 *
 * Per core, `num_connections` connections (net/conn.c driving net/h2.c's
 * client, behind net/tls_proto.c for https://) carry the calls, spread
 * round robin. A connection that fails or ends is reconnected after a
 * backoff with jitter (outcome.h); a connection counts as established once
 * the server's first bytes arrive, which resets the backoff.
 *
 * A request taken by `process` is a call: waiting (no connection up, or no
 * stream free) or in flight on a connection. At most `max_in_flight` calls
 * are held; at the limit the node pauses its input, so that its queue fills
 * and the pipeline pushes back. Every call has a deadline `timeout` after it
 * was taken (sent as grpc-timeout with what is left): a waiting call past it
 * is Nacked, an in-flight one is cancelled (RST_STREAM) and Nacked. When a
 * connection attempt fails and no other connection is up or connecting, the
 * waiting calls are Nacked (transient): the data goes back upstream rather
 * than piling up here.
 *
 * Outcomes: OK is an Ack (a partial_success is logged, still an Ack);
 * retryable statuses (and RESOURCE_EXHAUSTED with RetryInfo) and transport
 * failures are transient Nacks; every other status is a permanent Nack.
 *
 * One timer serves every deadline and reconnection (calls are kept in
 * arrival order, so the oldest call holds the earliest deadline).
 *
 * Connection teardown is asynchronous: the node's state lives until every
 * connection's protocol was destroyed (a TLS connection needs the context
 * until then), even past `destroy`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "df/node.h"
#include "net/compress.h"
#include "net/conn.h"
#include "net/grpc.h"
#include "net/h2.h"
#include "net/tls_proto.h"
#include "nodes/exporters/otlp_grpc/otlp_grpc.h"
#include "nodes/exporters/otlp_grpc/outbound.h"
#include "nodes/exporters/otlp_grpc/outcome.h"

#define NS_PER_MS 1000000ull
/* How long a cancelled call may wait for its stream to close before the
 * connection is torn down. */
#define CANCEL_GRACE_NS (2000 * NS_PER_MS)

static const char *const export_paths[DF_SIGNAL_COUNT] = {
    "/opentelemetry.proto.collector.logs.v1.LogsService/Export",
    "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
    "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
};

enum conn_state { CONN_DOWN, CONN_CONNECTING, CONN_UP };

struct gconn;
struct grpc_exp;

struct call {
    struct df_pdata *pd;
    struct gconn *gc; /* NULL while waiting */
    int32_t stream;
    uint64_t deadline;          /* uv_hrtime() ns */
    bool timed_out;             /* cancelled: Nack as a timeout when the stream closes */
    struct call *prev, *next;   /* every held call, oldest first */
    struct call *wprev, *wnext; /* the waiting ones */
};

/* The protocol of one connection: HTTP/2 (possibly inside TLS) behind a
 * guard whose destroy runs last, when the TLS layer is gone too. */
struct h2core {
    struct df_proto base;
    struct df_h2_client_conn *h2;
    struct gconn *gc; /* NULL once the connection ended */
};

struct gconn {
    struct grpc_exp *x;
    enum conn_state state;
    struct df_conn *conn;
    struct h2core *p;
    bool established;  /* the server answered on this connection */
    bool killed;       /* closed by us over a stuck cancellation */
    unsigned failures; /* consecutive failed attempts */
    uint64_t retry_at; /* ns, when DOWN */
    char error[160];   /* why the current connection failed */
};

struct grpc_exp {
    struct df_node *node;
    const struct otlp_grpc_exporter_config *cfg;
    struct df_tls_ctx *tls;
    struct df_h2_header *headers; /* the config's, then a slot for authorization */
    size_t nheaders;
    struct otlp_outbound outbound;
    enum df_encoding encoding;
    struct gconn *conns;
    unsigned nconns, rr;
    struct call *head, *tail;   /* held calls */
    struct call *whead, *wtail; /* waiting calls */
    uint32_t held;
    unsigned open;   /* connections connecting or up */
    unsigned protos; /* connection protocols not yet destroyed */
    bool warned;     /* a connection failure was logged at warn this cycle */
    bool paused, draining, closing, destroyed;
    int dispatching;
    bool redispatch;
    uint64_t rng;
    struct df_timer *timer;
    uint64_t timer_at; /* when the timer fires; 0 = stopped */
    struct df_metric *m_ok, *m_failed, *m_in_flight, *m_reconnects, *m_connections;
    struct df_log_limit failure_log; /* permanently failed exports: one line a second */
};

static void dispatch(struct grpc_exp *x);
static void arm(struct grpc_exp *x);

static const char *endpoint(const struct grpc_exp *x)
{
    return x->cfg->grpc_endpoint;
}

static void free_exp(struct grpc_exp *x)
{
    for (size_t i = 0; i < x->nheaders; i++)
        free((char *)x->headers[i].name);
    free(x->headers);
    otlp_outbound_free(&x->outbound);
    free(x->conns);
    df_tls_ctx_free(x->tls);
    free(x);
}

static void update_gauges(struct grpc_exp *x)
{
    unsigned up = 0;
    for (unsigned i = 0; i < x->nconns; i++)
        up += x->conns[i].state == CONN_UP;
    df_metric_set(x->m_in_flight, x->held);
    df_metric_set(x->m_connections, up);
}

/* ---- calls ---------------------------------------------------------------- */

static void wait_unlink(struct grpc_exp *x, struct call *c)
{
    if (c->wprev)
        c->wprev->wnext = c->wnext;
    else
        x->whead = c->wnext;
    if (c->wnext)
        c->wnext->wprev = c->wprev;
    else
        x->wtail = c->wprev;
    c->wprev = c->wnext = NULL;
}

static void wait_push(struct grpc_exp *x, struct call *c, bool front)
{
    if (front) {
        c->wnext = x->whead;
        c->wprev = NULL;
        if (x->whead)
            x->whead->wprev = c;
        else
            x->wtail = c;
        x->whead = c;
    } else {
        c->wprev = x->wtail;
        c->wnext = NULL;
        if (x->wtail)
            x->wtail->wnext = c;
        else
            x->whead = c;
        x->wtail = c;
    }
}

static bool is_waiting(const struct grpc_exp *x, const struct call *c)
{
    return !c->gc && (c->wprev || x->whead == c);
}

static void check_drain(struct grpc_exp *x);

/* Settles a held call (Ack, or Nack with `reason`) and forgets it. */
static void finish(struct grpc_exp *x, struct call *c, enum df_outcome o, const char *reason)
{
    if (is_waiting(x, c))
        wait_unlink(x, c);
    if (c->prev)
        c->prev->next = c->next;
    else
        x->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    else
        x->tail = c->prev;
    x->held--;
    if (o == DF_OUTCOME_ACK) {
        df_metric_add(x->m_ok, 1);
        df_node_ack(x->node, c->pd);
    } else {
        df_metric_add(x->m_failed, 1);
        otlp_log_failure(x->node, &x->failure_log, o, reason);
        df_node_nack(x->node, c->pd, o, "%s", reason);
    }
    free(c);
    if (x->destroyed)
        return;
    if (x->paused && x->held < (uint32_t)x->cfg->max_in_flight) {
        x->paused = false;
        df_node_pause_input(x->node, false);
    }
    update_gauges(x);
    check_drain(x);
}

/* Nacks every waiting call (the connection attempts failed). */
static void fail_waiting(struct grpc_exp *x, const char *why)
{
    char reason[320];
    snprintf(reason, sizeof reason, "OTLP/gRPC: no connection to %s: %s", endpoint(x), why);
    while (x->whead)
        finish(x, x->whead, DF_OUTCOME_NACK_TRANSIENT, reason);
}

/* Starts `c` on `gc`. Returns false when the connection has no stream
 * free (the call stays waiting). */
static bool start_call(struct grpc_exp *x, struct gconn *gc, struct call *c)
{
    uint64_t now = uv_hrtime();
    uint64_t left_ms = c->deadline > now ? (c->deadline - now + NS_PER_MS - 1) / NS_PER_MS : 1;
    struct df_pdata *pd = c->pd;
    size_t nh = x->nheaders;
    struct df_request_header extra[OTLP_OUTBOUND_MAX];
    const char *why;
    int ne = otlp_outbound_headers(&x->outbound, pd->ctx.identity, extra, &why);
    if (ne < 0) {
        char reason[DF_ERROR_MSG_MAX];
        snprintf(reason, sizeof reason, "OTLP/gRPC: %s", why);
        finish(x, c, DF_OUTCOME_NACK_TRANSIENT, reason);
        return true;
    }
    for (int i = 0; i < ne; i++)
        x->headers[nh++] = (struct df_h2_header){extra[i].name, extra[i].value};
    int32_t id = df_grpc_client_call(gc->p->h2, export_paths[pd->signal], x->cfg->url.authority,
                                     x->headers, nh, pd->data, pd->len, x->encoding, left_ms, c);
    if (id == DF_ERANGE || id == DF_EIO)
        return false;
    wait_unlink(x, c);
    if (id < 0) {
        finish(x, c, id == DF_ENOMEM ? DF_OUTCOME_NACK_TRANSIENT : DF_OUTCOME_NACK_PERMANENT,
               id == DF_ENOMEM ? "OTLP/gRPC: out of memory" : "OTLP/gRPC: cannot start the call");
        return true;
    }
    c->gc = gc;
    c->stream = id;
    return true;
}

/* An up connection with a stream free, round robin. */
static struct gconn *pick(struct grpc_exp *x)
{
    for (unsigned k = 0; k < x->nconns; k++) {
        struct gconn *gc = &x->conns[(x->rr + k) % x->nconns];
        if (gc->state == CONN_UP && gc->p && df_h2_client_available_streams(gc->p->h2) > 0) {
            x->rr = (x->rr + k + 1) % x->nconns;
            return gc;
        }
    }
    return NULL;
}

/* Starts waiting calls while connections have streams free. Reentrant
 * calls (a stream closing while output is produced) only ask the outer
 * one to go round again. */
static void dispatch(struct grpc_exp *x)
{
    if (x->destroyed)
        return;
    if (x->dispatching) {
        x->redispatch = true;
        return;
    }
    x->dispatching++;
    do {
        x->redispatch = false;
        struct gconn *used[64];
        unsigned nused = 0;
        while (x->whead) {
            struct gconn *gc = pick(x);
            if (!gc || !start_call(x, gc, x->whead))
                break;
            bool seen = false;
            for (unsigned i = 0; i < nused; i++)
                seen |= used[i] == gc;
            if (!seen && nused < 64)
                used[nused++] = gc;
        }
        for (unsigned i = 0; i < nused; i++) {
            if (used[i]->conn)
                df_conn_flush(used[i]->conn);
        }
    } while (x->redispatch);
    x->dispatching--;
}

/* ---- responses ------------------------------------------------------------ */

static void on_response(void *ud, struct df_h2_client_conn *h2, const struct df_h2_response *res)
{
    struct call *c = res->req_ud;
    struct gconn *gc = c->gc;
    struct grpc_exp *x = gc->x;
    char reason[DF_ERROR_MSG_MAX];
    if (c->timed_out) {
        snprintf(reason, sizeof reason, "OTLP/gRPC export to %s timed out after %llu ms",
                 endpoint(x), (unsigned long long)(x->cfg->timeout / NS_PER_MS));
        finish(x, c, DF_OUTCOME_NACK_TRANSIENT, reason);
        return;
    }
    if (res->result == DF_H2_CONN_FAILED && gc->error[0]) {
        snprintf(reason, sizeof reason, "OTLP/gRPC export to %s failed: connection lost: %s",
                 endpoint(x), gc->error);
        finish(x, c, DF_OUTCOME_NACK_TRANSIENT, reason);
        return;
    }
    gc->established = true;
    struct df_grpc_result r;
    if (df_grpc_result_from_response(res, DF_H2_MAX_BODY, &r) < 0) {
        finish(x, c, DF_OUTCOME_NACK_TRANSIENT, "OTLP/gRPC: out of memory");
        return;
    }
    enum df_outcome o = otlp_grpc_outcome((int)r.status, r.has_retry_info);
    if (o == DF_OUTCOME_ACK) {
        int64_t rejected;
        char msg[256];
        if (otlp_partial_success(r.body, r.body_len, &rejected, msg, sizeof msg) == 1)
            df_node_log(x->node, DF_LOG_WARN, "partial success from %s: %lld %s rejected%s%s",
                        endpoint(x), (long long)rejected, df_signal_name(c->pd->signal),
                        msg[0] ? ": " : "", msg);
        df_grpc_result_free(&r);
        finish(x, c, DF_OUTCOME_ACK, NULL);
    } else {
        char delay[48] = "";
        if (r.has_retry_info)
            snprintf(delay, sizeof delay, " (retry after %llu ms)",
                     (unsigned long long)r.retry_delay_ms);
        const char *name = df_grpc_status_name((int)r.status);
        snprintf(reason, sizeof reason, "OTLP/gRPC export to %s failed: %s%s%s%s", endpoint(x),
                 name ? name : "unknown status", r.message && r.message[0] ? ": " : "",
                 r.message ? r.message : "", delay);
        df_grpc_result_free(&r);
        finish(x, c, o, reason);
    }
    dispatch(x);
}

/* ---- the connection's protocol ------------------------------------------- */

static int core_feed(struct df_proto *base, const uint8_t *data, size_t len)
{
    struct h2core *p = (struct h2core *)base;
    struct gconn *gc = p->gc;
    if (gc && !gc->established && len) {
        gc->established = true;
        if (gc->failures || gc->x->warned)
            df_node_log(gc->x->node, DF_LOG_INFO, "connected to %s", endpoint(gc->x));
        gc->failures = 0;
        gc->x->warned = false;
    }
    int rc = df_h2_client_feed(p->h2, data, len);
    if (gc && gc->x)
        dispatch(gc->x); /* streams may have been freed, or the peer's SETTINGS arrived */
    return rc;
}

static size_t core_output(struct df_proto *base, const uint8_t **data)
{
    size_t len;
    df_h2_client_pending_output(((struct h2core *)base)->h2, data, &len);
    return len;
}

static void core_consumed(struct df_proto *base, size_t n)
{
    df_h2_client_consume_output(((struct h2core *)base)->h2, n);
}

static bool core_done(struct df_proto *base)
{
    return df_h2_client_want_close(((struct h2core *)base)->h2);
}

static void core_destroy(struct df_proto *base)
{
    struct h2core *p = (struct h2core *)base;
    df_h2_client_free(p->h2); /* pending calls were reported by the end event */
    free(p);
}

static const struct df_proto_ops core_ops = {.feed = core_feed,
                                             .output = core_output,
                                             .consumed = core_consumed,
                                             .done = core_done,
                                             .destroy = core_destroy};

/* The last piece of a connection went: the exporter may go with it (a TLS
 * layer needs the context until now). */
static void guard_gone(void *ud)
{
    struct grpc_exp *x = ud;
    x->protos--;
    if (x->destroyed && !x->protos && !x->open)
        free_exp(x);
}

/* ---- connections ---------------------------------------------------------- */

static void tls_failed(void *ud, const char *reason)
{
    struct gconn *gc = ud;
    snprintf(gc->error, sizeof gc->error, "TLS: %s", reason);
}

static void schedule_retry(struct gconn *gc)
{
    struct grpc_exp *x = gc->x;
    unsigned n = gc->failures ? gc->failures - 1 : 0;
    gc->retry_at = uv_hrtime() + otlp_backoff_delay(&x->cfg->backoff, n, otlp_random(&x->rng));
}

static bool any_live(const struct grpc_exp *x)
{
    for (unsigned i = 0; i < x->nconns; i++) {
        if (x->conns[i].state != CONN_DOWN)
            return true;
    }
    return false;
}

/* A failed attempt: logged at warn once per run of failures, then debug. */
static void attempt_failed(struct gconn *gc, const char *why)
{
    struct grpc_exp *x = gc->x;
    gc->failures++;
    if (!x->warned) {
        x->warned = true;
        df_node_log(x->node, DF_LOG_WARN,
                    "cannot connect to %s: %s; retrying with backoff (logged once until "
                    "connected)",
                    endpoint(x), why);
    } else {
        df_node_log(x->node, DF_LOG_DEBUG, "cannot connect to %s: %s (attempt %u)", endpoint(x),
                    why, gc->failures);
    }
    schedule_retry(gc);
    if (!any_live(x))
        fail_waiting(x, why);
}

static void on_event(void *ud, struct df_conn *conn, int status)
{
    struct gconn *gc = ud;
    struct grpc_exp *x = gc->x;
    if (status == 0) {
        gc->state = CONN_UP;
        if (!x->destroyed) {
            update_gauges(x);
            dispatch(x);
        }
        return;
    }
    bool was_established = gc->established;
    gc->state = CONN_DOWN;
    gc->conn = NULL;
    x->open--;
    if (!gc->error[0])
        snprintf(gc->error, sizeof gc->error, "%s",
                 status == UV_EOF ? "closed by the server" : uv_strerror(status));
    struct h2core *p = gc->p;
    gc->p = NULL;
    if (p) {
        df_h2_client_fail(p->h2); /* Nacks the calls in flight on it */
        p->gc = NULL;
    }
    char why[sizeof gc->error];
    memcpy(why, gc->error, sizeof why);
    gc->error[0] = 0;
    gc->established = false;
    gc->killed = false;
    if (x->destroyed) {
        if (!x->open && !x->protos)
            free_exp(x);
        return;
    }
    update_gauges(x);
    if (x->closing) {
        if (!x->open)
            df_node_drained(x->node);
        return;
    }
    df_metric_add(x->m_reconnects, 1);
    if (was_established) {
        df_node_log(x->node, status == UV_EOF ? DF_LOG_INFO : DF_LOG_WARN,
                    "connection to %s ended: %s; reconnecting", endpoint(x), why);
        schedule_retry(gc);
    } else {
        attempt_failed(gc, why);
    }
    arm(x);
}

static void connect_one(struct grpc_exp *x, struct gconn *gc)
{
    char err[256];
    struct h2core *p = calloc(1, sizeof *p);
    struct otlp_guard *g = calloc(1, sizeof *g);
    if (!p || !g || !(p->h2 = df_h2_client_new(on_response, p, NULL, x->cfg->url.tls))) {
        free(p);
        free(g);
        attempt_failed(gc, "out of memory");
        return;
    }
    p->base.ops = &core_ops;
    p->gc = gc;
    struct df_proto *proto = &p->base;
    if (x->tls) {
        proto =
            df_tls_proto_client(x->tls, x->cfg->url.host, proto, tls_failed, gc, err, sizeof err);
        if (!proto) {
            free(g);
            attempt_failed(gc, err);
            return;
        }
    }
    otlp_guard_init(g, proto, guard_gone, x);
    x->protos++;
    gc->p = p;
    gc->state = CONN_CONNECTING;
    gc->error[0] = 0;
    x->open++;
    struct df_conn_client_opts o = {
        .host = x->cfg->url.host,
        .port = x->cfg->url.port,
        .connect_timeout_ms = x->cfg->connect_timeout / NS_PER_MS,
        .tcp_nodelay = true,
    };
    gc->conn = df_conn_connect(df_node_loop(x->node), &o, &g->base, on_event, gc);
    if (!gc->conn) { /* the guard was destroyed; no event follows */
        gc->state = CONN_DOWN;
        gc->p = NULL;
        x->open--;
        attempt_failed(gc, "out of memory");
    }
}

/* ---- the timer: deadlines and reconnections -------------------------------- */

static void arm(struct grpc_exp *x)
{
    if (x->destroyed)
        return;
    uint64_t next = 0;
    for (struct call *c = x->head; c; c = c->next) {
        uint64_t t = c->timed_out ? c->deadline + CANCEL_GRACE_NS : c->deadline;
        if (!next || t < next)
            next = t;
        if (!c->timed_out)
            break; /* later calls have later deadlines */
    }
    if (!x->closing) {
        for (unsigned i = 0; i < x->nconns; i++) {
            const struct gconn *gc = &x->conns[i];
            if (gc->state == CONN_DOWN && (!next || gc->retry_at < next))
                next = gc->retry_at;
        }
    }
    if (!next) {
        df_timer_stop(x->timer);
        x->timer_at = 0;
        return;
    }
    uint64_t now = uv_hrtime();
    df_timer_start(x->timer, next > now ? next - now : 0, 0);
    x->timer_at = next;
}

/* The oldest call past its deadline not yet cancelled, or NULL. */
static struct call *expired(struct grpc_exp *x, uint64_t now)
{
    for (struct call *c = x->head; c && c->deadline <= now; c = c->next) {
        if (!c->timed_out)
            return c;
    }
    return NULL;
}

static void on_timer(struct df_node *node, void *state)
{
    struct grpc_exp *x = state;
    x->timer_at = 0;
    uint64_t now = uv_hrtime();
    char reason[320];
    struct call *c;
    while ((c = expired(x, now))) {
        if (!c->gc) {
            snprintf(reason, sizeof reason,
                     "OTLP/gRPC export to %s timed out after %llu ms waiting for a connection",
                     endpoint(x), (unsigned long long)(x->cfg->timeout / NS_PER_MS));
            finish(x, c, DF_OUTCOME_NACK_TRANSIENT, reason);
            continue;
        }
        struct gconn *gc = c->gc;
        c->timed_out = true; /* the stream's close reports it (maybe right now) */
        if (df_h2_client_cancel(gc->p->h2, c->stream) == 0 && gc->conn)
            df_conn_flush(gc->conn);
    }
    /* Cancellations that did not complete: the connection is stuck. */
    for (c = x->head; c && c->deadline + CANCEL_GRACE_NS <= now; c = c->next) {
        if (c->timed_out && c->gc && c->gc->conn && !c->gc->killed) {
            c->gc->killed = true;
            snprintf(c->gc->error, sizeof c->gc->error, "stuck after a cancelled call");
            df_conn_close(c->gc->conn);
        }
    }
    if (!x->closing) {
        for (unsigned i = 0; i < x->nconns; i++) {
            struct gconn *gc = &x->conns[i];
            if (gc->state == CONN_DOWN && gc->retry_at <= now)
                connect_one(x, gc);
        }
    }
    arm(x);
}

/* ---- node hooks ----------------------------------------------------------- */

static int grpc_create(struct df_node *node, const void *options, void **state,
                       struct df_error *err)
{
    struct grpc_exp *x = calloc(1, sizeof *x);
    if (!x)
        return DF_ENOMEM;
    *state = x;
    x->node = node;
    x->cfg = options;
    x->rng = (uv_hrtime() ^ ((uint64_t)df_node_core(node) << 32) ^ (uintptr_t)x) | 1;
    static const enum df_encoding enc[] = {[OTLP_COMPRESSION_NONE] = DF_ENCODING_IDENTITY,
                                           [OTLP_COMPRESSION_GZIP] = DF_ENCODING_GZIP,
                                           [OTLP_COMPRESSION_ZSTD] = DF_ENCODING_ZSTD};
    x->encoding = enc[x->cfg->compression];
    x->nconns = (unsigned)x->cfg->num_connections;
    x->conns = calloc(x->nconns, sizeof *x->conns);
    const struct df_map *h = &x->cfg->headers;
    x->headers = calloc(h->count + OTLP_OUTBOUND_MAX, sizeof *x->headers);
    x->timer = df_node_timer(node, on_timer);
    x->m_ok = df_node_metric(node, DF_METRIC_COUNTER, "df_exporter_otlp_grpc_exports_ok_total",
                             "Export calls answered OK (Acked).");
    x->m_failed =
        df_node_metric(node, DF_METRIC_COUNTER, "df_exporter_otlp_grpc_exports_failed_total",
                       "Export calls that failed (Nacked: error status, timeout, no connection).");
    x->m_in_flight = df_node_metric(node, DF_METRIC_GAUGE, "df_exporter_otlp_grpc_in_flight",
                                    "Export calls held: in flight or waiting for a connection.");
    x->m_reconnects =
        df_node_metric(node, DF_METRIC_COUNTER, "df_exporter_otlp_grpc_reconnects_total",
                       "Connections that failed or ended and are retried.");
    x->m_connections = df_node_metric(node, DF_METRIC_GAUGE, "df_exporter_otlp_grpc_connections",
                                      "Connections up.");
    if (!x->conns || !x->headers || !x->timer || !x->m_ok || !x->m_failed || !x->m_in_flight ||
        !x->m_reconnects || !x->m_connections)
        return DF_ENOMEM;
    for (unsigned i = 0; i < x->nconns; i++)
        x->conns[i].x = x;
    /* HTTP/2 wants lowercase names (the check allowed any case). */
    for (size_t i = 0; i < h->count; i++) {
        char *name = strdup(h->keys[i]);
        if (!name)
            return DF_ENOMEM;
        for (char *s = name; *s; s++)
            *s = (char)(*s >= 'A' && *s <= 'Z' ? *s - 'A' + 'a' : *s);
        x->headers[i].name = name;
        x->headers[i].value = ((const char *const *)h->values)[i];
        x->nheaders++;
    }
    int rc = otlp_outbound_claim(node, &x->outbound, h, err);
    if (rc < 0)
        return rc;
    if (x->cfg->url.tls) {
        const struct df_tls_client_opts *t = x->cfg->tls;
        const char *alpn[] = {"h2"};
        struct df_tls_client_config tc = {.alpn = {.count = 1, .items = alpn}};
        if (t) {
            tc.ca_file = t->ca_file;
            tc.cert_file = t->cert_file;
            tc.key_file = t->key_file;
            tc.server_name = t->server_name;
            tc.insecure_skip_verify = t->insecure_skip_verify;
            tc.min_version = t->min_version;
        }
        char msg[512];
        if (!(x->tls = df_tls_client_ctx_new(&tc, msg, sizeof msg))) {
            snprintf(err->msg, sizeof err->msg, "%s", msg);
            return DF_EINVAL;
        }
    }
    return 0;
}

static int grpc_start(struct df_node *node, void *state, struct df_error *err)
{
    struct grpc_exp *x = state;
    for (unsigned i = 0; i < x->nconns; i++)
        connect_one(x, &x->conns[i]);
    arm(x);
    return 0;
}

static void grpc_process(struct df_node *node, void *state, struct df_pdata *pd)
{
    struct grpc_exp *x = state;
    if (x->closing) {
        df_node_nack(node, pd, DF_OUTCOME_NACK_TRANSIENT, "OTLP/gRPC: the exporter is closing");
        return;
    }
    struct call *c = calloc(1, sizeof *c);
    if (!c) {
        df_node_nack(node, pd, DF_OUTCOME_NACK_TRANSIENT, "OTLP/gRPC: out of memory");
        return;
    }
    c->pd = pd;
    c->deadline = uv_hrtime() + x->cfg->timeout;
    c->prev = x->tail;
    if (x->tail)
        x->tail->next = c;
    else
        x->head = c;
    x->tail = c;
    wait_push(x, c, false);
    if (++x->held >= (uint32_t)x->cfg->max_in_flight && !x->paused) {
        x->paused = true;
        df_node_pause_input(node, true);
    }
    dispatch(x);
    update_gauges(x);
    if (!x->timer_at || c->deadline < x->timer_at)
        arm(x);
}

/* Once nothing is held: close the connections; drained when all ended. */
static void check_drain(struct grpc_exp *x)
{
    if (!x->draining || x->closing || x->held)
        return;
    x->closing = true;
    for (unsigned i = 0; i < x->nconns; i++) {
        if (x->conns[i].conn)
            df_conn_close(x->conns[i].conn);
    }
    if (!x->open)
        df_node_drained(x->node);
}

static void grpc_drain(struct df_node *node, void *state)
{
    struct grpc_exp *x = state;
    x->draining = true;
    check_drain(x);
}

static void grpc_destroy(struct df_node *node, void *state)
{
    struct grpc_exp *x = state;
    if (!x)
        return;
    x->destroyed = true;
    for (unsigned i = 0; i < x->nconns; i++) {
        struct gconn *gc = &x->conns[i];
        if (gc->p) {
            snprintf(gc->error, sizeof gc->error, "the exporter is shutting down");
            df_h2_client_fail(gc->p->h2); /* Nacks what is in flight */
        }
    }
    while (x->head)
        finish(x, x->head, DF_OUTCOME_NACK_TRANSIENT, "OTLP/gRPC: the exporter is shutting down");
    for (unsigned i = 0; i < x->nconns; i++) {
        if (x->conns[i].conn)
            df_conn_close(x->conns[i].conn);
    }
    if (!x->open && !x->protos)
        free_exp(x);
}

static const struct df_node_ops grpc_ops = {.create = grpc_create,
                                            .start = grpc_start,
                                            .process = grpc_process,
                                            .drain = grpc_drain,
                                            .destroy = grpc_destroy};

DF_REGISTER_NODE(otlp_grpc_exporter, "urn:otel:exporter:otlp_grpc", DF_NODE_EXPORTER,
                 "Sends requests as OTLP/gRPC Export calls over HTTP/2 (plain or TLS).",
                 "docs/nodes.md#exporterotlp_grpc", .options = &otlp_grpc_exporter_table,
                 .consumes = otlp_outbound_consumes, .ops = &grpc_ops);
