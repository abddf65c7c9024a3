/* exporter:otlp_http — sends every request as an OTLP/HTTP POST (HTTP/1.1,
 * plain or TLS) to its signal's URL: protobuf or OTLP/JSON, optionally
 * compressed.
 *
 * Per core, up to `max_in_flight` keep-alive connections (net/conn.c
 * driving net/http1_client.c, behind net/tls_proto.c for https://), one
 * request in flight on each (no pipelining). Signals may go to different
 * hosts: connections belong to a target (host, port, TLS), and an idle
 * connection of one target is closed when another needs its slot.
 *
 * Connection failures. A connection that ends before answering anything
 * counts as a failed attempt on its target: its request is Nacked
 * (transient) and the target enters backoff (outcome.h). While it is in
 * backoff, requests for it wait; when the backoff expires one probe
 * connection carries the oldest of them; once the probe is answered, the
 * others go out; if it fails too, every waiting request is Nacked
 * (transient) and the next backoff is longer. A kept-alive connection that
 * the server closed before the request got a byte of answer (the usual race
 * with idle timeouts) has its request resent once on a new connection.
 *
 * Outcomes: 2xx is an Ack; 429, 502, 503 and 504 are transient Nacks (with
 * Retry-After in the reason), any other status a permanent Nack with the
 * google.rpc.Status message of the body (or an excerpt). Each request has a
 * deadline `timeout` after it was taken: past it, the connection carrying it
 * is closed and the request Nacked (transient).
 *
 * Pausing, drain and destroy as exporter:otlp_grpc: at most max_in_flight
 * requests are held (then input pauses); drain waits for them, closes the
 * connections and reports drained once they are gone; the state outlives
 * `destroy` until every connection's protocol was destroyed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <uv.h>

#include "df/node.h"
#include "net/compress.h"
#include "net/conn.h"
#include "net/http1_client.h"
#include "net/tls_proto.h"
#include "nodes/exporters/otlp_grpc/outbound.h"
#include "nodes/exporters/otlp_grpc/outcome.h"
#include "nodes/exporters/otlp_http/otlp_http.h"
#include "otlp/json.h"

#define NS_PER_MS 1000000ull

struct hconn;
struct http_exp;

struct req {
    struct df_pdata *pd;
    struct hconn *hc; /* NULL while waiting */
    unsigned target;
    uint64_t deadline;         /* uv_hrtime() ns */
    bool timed_out;            /* its connection is being closed over it */
    bool resent;               /* already resent once after a stale connection */
    struct req *prev, *next;   /* every held request, oldest first */
    struct req *wprev, *wnext; /* waiting on its target */
};

struct target {
    const struct df_url *url; /* host, port and TLS shared by its signals */
    unsigned failures;        /* consecutive failed attempts */
    uint64_t retry_at;        /* ns, while failures > 0 */
    bool probing;             /* a probe connection is out */
    bool warned;              /* the failure was logged at warn this cycle */
    struct req *whead, *wtail;
};

/* HTTP/1.1 (possibly inside TLS) behind a guard destroyed last. */
struct h1core {
    struct df_proto base;
    struct df_http1_client cl;
    struct df_http1_out out;
    size_t off;
    bool close;       /* the response said close, or it was malformed */
    struct hconn *hc; /* NULL once the connection ended */
};

enum hstate { H_OPEN, H_IDLE, H_BUSY, H_RETIRED };

struct hconn {
    struct http_exp *x;
    unsigned target;
    enum hstate state; /* H_OPEN: connecting or sending its first request */
    struct df_conn *conn;
    struct h1core *p;
    struct req *req;
    bool probe;
    bool answering;    /* bytes of the current answer arrived */
    unsigned answered; /* responses on this connection */
    char error[160];
    struct hconn *prev, *next;
};

struct http_exp {
    struct df_node *node;
    const struct otlp_http_exporter_config *cfg;
    struct df_tls_ctx *tls;
    struct df_http1_header *headers; /* fixed ones, then a slot for Authorization */
    size_t nheaders;
    struct otlp_outbound outbound;
    enum df_encoding encoding;
    struct target targets[DF_SIGNAL_COUNT];
    unsigned ntargets;
    unsigned sig_target[DF_SIGNAL_COUNT];
    struct req *head, *tail;
    struct hconn *conns;
    uint32_t held;
    unsigned live;   /* connections not retired (they count against max_in_flight) */
    unsigned open;   /* connections whose end event has not come */
    unsigned protos; /* protocols not yet destroyed */
    bool paused, draining, closing, destroyed;
    uint64_t rng;
    struct df_timer *timer;
    uint64_t timer_at;
    struct df_metric *m_ok, *m_failed, *m_in_flight, *m_reconnects, *m_connections;
    struct df_log_limit failure_log; /* permanently failed exports: one line a second */
};

static void assign(struct http_exp *x, struct req *r);
static void arm(struct http_exp *x);
static void check_drain(struct http_exp *x);

static void free_exp(struct http_exp *x)
{
    free(x->headers);
    otlp_outbound_free(&x->outbound);
    df_tls_ctx_free(x->tls);
    free(x);
}

static void target_name(const struct http_exp *x, unsigned t, char *buf, size_t len)
{
    const struct df_url *u = x->targets[t].url;
    snprintf(buf, len, "%s://%s", u->tls ? "https" : "http", u->authority);
}

/* ---- requests ------------------------------------------------------------- */

static void wait_unlink(struct target *t, struct req *r)
{
    if (r->wprev)
        r->wprev->wnext = r->wnext;
    else
        t->whead = r->wnext;
    if (r->wnext)
        r->wnext->wprev = r->wprev;
    else
        t->wtail = r->wprev;
    r->wprev = r->wnext = NULL;
}

static bool is_waiting(const struct target *t, const struct req *r)
{
    return r->wprev || t->whead == r;
}

static void wait_push(struct target *t, struct req *r)
{
    r->wprev = t->wtail;
    r->wnext = NULL;
    if (t->wtail)
        t->wtail->wnext = r;
    else
        t->whead = r;
    t->wtail = r;
}

static void finish(struct http_exp *x, struct req *r, enum df_outcome o, const char *reason)
{
    struct target *t = &x->targets[r->target];
    if (is_waiting(t, r))
        wait_unlink(t, r);
    if (r->hc && r->hc->req == r)
        r->hc->req = NULL;
    if (r->prev)
        r->prev->next = r->next;
    else
        x->head = r->next;
    if (r->next)
        r->next->prev = r->prev;
    else
        x->tail = r->prev;
    x->held--;
    if (o == DF_OUTCOME_ACK) {
        df_metric_add(x->m_ok, 1);
        df_node_ack(x->node, r->pd);
    } else {
        df_metric_add(x->m_failed, 1);
        otlp_log_failure(x->node, &x->failure_log, o, reason);
        df_node_nack(x->node, r->pd, o, "%s", reason);
    }
    free(r);
    if (x->destroyed)
        return;
    if (x->paused && x->held < (uint32_t)x->cfg->max_in_flight) {
        x->paused = false;
        df_node_pause_input(x->node, false);
    }
    df_metric_set(x->m_in_flight, x->held);
    check_drain(x);
}

static void fail_waiting(struct http_exp *x, unsigned t, const char *why)
{
    char name[300], reason[DF_ERROR_MSG_MAX];
    target_name(x, t, name, sizeof name);
    snprintf(reason, sizeof reason, "OTLP/HTTP: no connection to %s: %s", name, why);
    while (x->targets[t].whead)
        finish(x, x->targets[t].whead, DF_OUTCOME_NACK_TRANSIENT, reason);
}

/* Writes the POST of `r` on `hc`. Returns false when the request was
 * settled instead (it cannot be encoded). */
static bool send_req(struct http_exp *x, struct hconn *hc, struct req *r)
{
    struct df_pdata *pd = r->pd;
    size_t nh = x->nheaders;
    struct df_request_header extra[OTLP_OUTBOUND_MAX];
    const char *why;
    int ne = otlp_outbound_headers(&x->outbound, pd->ctx.identity, extra, &why);
    if (ne < 0) {
        char reason[DF_ERROR_MSG_MAX];
        snprintf(reason, sizeof reason, "OTLP/HTTP: %s", why);
        finish(x, r, DF_OUTCOME_NACK_TRANSIENT, reason);
        return false;
    }
    for (int i = 0; i < ne; i++)
        x->headers[nh++] = (struct df_http1_header){extra[i].name, extra[i].value};
    const uint8_t *body = pd->data;
    size_t len = pd->len;
    struct df_jbuf j;
    df_jbuf_init(&j);
    uint8_t *packed = NULL;
    int rc = 0;
    if (x->cfg->encoding == OTLP_HTTP_JSON) {
        rc = df_otlp_pb_to_json(pd->signal, pd->data, pd->len, &j);
        if (!rc && j.err)
            rc = DF_ENOMEM;
        body = (const uint8_t *)j.buf;
        len = j.len;
    }
    if (!rc && x->encoding != DF_ENCODING_IDENTITY) {
        rc = df_compress(x->encoding, body, len, &packed, &len);
        body = packed;
    }
    const struct df_url *u = &x->cfg->urls[pd->signal];
    if (!rc)
        rc = df_http1_client_request(&hc->p->cl, &hc->p->out, "POST", u->authority,
                                     u->path[0] ? u->path : "/", x->headers, nh, body, len);
    free(packed);
    df_jbuf_free(&j);
    if (rc) {
        finish(x, r, rc == DF_EPARSE ? DF_OUTCOME_NACK_PERMANENT : DF_OUTCOME_NACK_TRANSIENT,
               rc == DF_EPARSE   ? "OTLP/HTTP: malformed request"
               : rc == DF_ENOMEM ? "OTLP/HTTP: out of memory"
                                 : "OTLP/HTTP: cannot write the request");
        return false;
    }
    hc->req = r;
    hc->answering = false;
    r->hc = hc;
    if (hc->state != H_OPEN)
        hc->state = H_BUSY;
    if (hc->conn)
        df_conn_flush(hc->conn);
    return true;
}

/* ---- the connection's protocol ------------------------------------------- */

static void on_response(void *ud, const struct df_http1_client_response *res);
static void release_waiting(struct http_exp *x, unsigned t);

static int core_feed(struct df_proto *base, const uint8_t *data, size_t len)
{
    struct h1core *p = (struct h1core *)base;
    if (p->hc && len)
        p->hc->answering = true;
    int rc = df_http1_client_feed(&p->cl, data, len);
    /* Not from inside the codec's callback: this connection may take one. */
    if (p->hc && !p->hc->x->destroyed)
        release_waiting(p->hc->x, p->hc->target);
    if (rc == DF_HTTP1_KEEP)
        return 0;
    p->close = true;
    if (rc < 0 && p->hc)
        snprintf(p->hc->error, sizeof p->hc->error, "%s",
                 rc == DF_ERANGE ? "response too large" : "malformed response");
    return rc < 0 ? rc : DF_EIO;
}

static size_t core_output(struct df_proto *base, const uint8_t **data)
{
    struct h1core *p = (struct h1core *)base;
    *data = p->out.data ? p->out.data + p->off : NULL; /* NULL + 0 is undefined */
    return p->out.len - p->off;
}

static void core_consumed(struct df_proto *base, size_t n)
{
    struct h1core *p = (struct h1core *)base;
    p->off += n;
    if (p->off == p->out.len)
        p->off = p->out.len = 0;
}

static bool core_done(struct df_proto *base)
{
    struct h1core *p = (struct h1core *)base;
    return p->close && p->off == p->out.len;
}

static void core_destroy(struct df_proto *base)
{
    struct h1core *p = (struct h1core *)base;
    df_http1_client_free(&p->cl);
    df_http1_out_free(&p->out);
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
    struct http_exp *x = ud;
    x->protos--;
    if (x->destroyed && !x->protos && !x->open)
        free_exp(x);
}

/* ---- connections ---------------------------------------------------------- */

static void update_conns(struct http_exp *x)
{
    df_metric_set(x->m_connections, x->live);
}

/* Takes `hc` out of the count of connections that may carry requests. */
static void retire(struct http_exp *x, struct hconn *hc)
{
    if (hc->state == H_RETIRED)
        return;
    hc->state = H_RETIRED;
    x->live--;
    update_conns(x);
}

static void tls_failed(void *ud, const char *reason)
{
    struct hconn *hc = ud;
    snprintf(hc->error, sizeof hc->error, "TLS: %s", reason);
}

static void on_event(void *ud, struct df_conn *conn, int status);

/* Opens a connection to target `t` carrying `r`. Returns false when it
 * could not even start (then `r` was Nacked). */
static bool open_conn(struct http_exp *x, unsigned t, struct req *r, bool probe)
{
    const struct df_url *u = x->targets[t].url;
    char err[256] = "out of memory";
    struct hconn *hc = calloc(1, sizeof *hc);
    struct h1core *p = calloc(1, sizeof *p);
    struct otlp_guard *g = calloc(1, sizeof *g);
    struct df_proto *proto = p ? &p->base : NULL;
    if (p) {
        p->base.ops = &core_ops;
        p->hc = hc;
        df_http1_client_init(&p->cl, on_response, p, NULL);
    }
    if (proto && x->tls && hc && g)
        proto = df_tls_proto_client(x->tls, u->host, proto, tls_failed, hc, err, sizeof err);
    else if (proto && (!hc || !g)) {
        proto->ops->destroy(proto);
        proto = NULL;
    }
    if (!proto) {
        free(hc);
        free(g);
        char name[300], reason[DF_ERROR_MSG_MAX];
        target_name(x, t, name, sizeof name);
        snprintf(reason, sizeof reason, "OTLP/HTTP: cannot connect to %s: %s", name, err);
        finish(x, r, DF_OUTCOME_NACK_TRANSIENT, reason);
        return false;
    }
    otlp_guard_init(g, proto, guard_gone, x);
    x->protos++;
    hc->x = x;
    hc->target = t;
    hc->state = H_OPEN;
    hc->p = p;
    hc->probe = probe;
    hc->next = x->conns;
    if (x->conns)
        x->conns->prev = hc;
    x->conns = hc;
    x->live++;
    x->open++;
    if (probe) {
        x->targets[t].probing = true;
        df_metric_add(x->m_reconnects, 1);
    }
    update_conns(x);
    if (!send_req(x, hc, r)) {
        /* Unencodable: the connection opens anyway and idles. */
    }
    struct df_conn_client_opts o = {
        .host = u->host,
        .port = u->port,
        .connect_timeout_ms = x->cfg->connect_timeout / NS_PER_MS,
        .tcp_nodelay = true,
    };
    hc->conn = df_conn_connect(df_node_loop(x->node), &o, &g->base, on_event, hc);
    if (!hc->conn) { /* the guard is gone and no event follows */
        struct req *held = hc->req;
        if (hc->prev)
            hc->prev->next = hc->next;
        else
            x->conns = hc->next;
        if (hc->next)
            hc->next->prev = hc->prev;
        x->live--;
        x->open--;
        if (probe)
            x->targets[t].probing = false;
        free(hc);
        if (held) {
            held->hc = NULL;
            finish(x, held, DF_OUTCOME_NACK_TRANSIENT, "OTLP/HTTP: out of memory");
        }
        update_conns(x);
        return false;
    }
    return true;
}

/* Whether a new connection may open, closing an idle one (of another
 * target: the caller found none of its own) when all slots are taken. */
static bool free_slot(struct http_exp *x)
{
    if (x->live < (unsigned)x->cfg->max_in_flight)
        return true;
    for (struct hconn *hc = x->conns; hc; hc = hc->next) {
        if (hc->state == H_IDLE) {
            retire(x, hc);
            df_conn_close(hc->conn);
            return true;
        }
    }
    return false;
}

/* Gives `r` a connection, or makes it wait for its target's backoff. */
static void assign(struct http_exp *x, struct req *r)
{
    struct target *t = &x->targets[r->target];
    r->hc = NULL;
    if (t->failures) {
        if (t->probing || t->retry_at > uv_hrtime() || !free_slot(x))
            wait_push(t, r);
        else
            open_conn(x, r->target, r, true);
        return;
    }
    for (struct hconn *hc = x->conns; hc; hc = hc->next) {
        if (hc->state == H_IDLE && hc->target == r->target) {
            send_req(x, hc, r);
            return;
        }
    }
    if (free_slot(x))
        open_conn(x, r->target, r, false);
    else
        wait_push(t, r); /* cannot happen while held <= max_in_flight; kept safe */
}

/* Sends what waits on target `t` (its probe was answered). */
static void release_waiting(struct http_exp *x, unsigned t)
{
    struct target *tg = &x->targets[t];
    while (tg->whead && !tg->failures) {
        struct req *r = tg->whead;
        wait_unlink(tg, r);
        unsigned before = x->live;
        assign(x, r);
        if (is_waiting(tg, r) && x->live == before)
            break; /* no slot free */
    }
}

static void on_response(void *ud, const struct df_http1_client_response *res)
{
    struct h1core *p = ud;
    struct hconn *hc = p->hc;
    if (!hc)
        return;
    struct http_exp *x = hc->x;
    struct target *t = &x->targets[hc->target];
    struct req *r = hc->req;
    hc->req = NULL;
    hc->answered++;
    hc->answering = false;
    if (hc->probe || t->failures) {
        if (t->failures) {
            char name[300];
            target_name(x, hc->target, name, sizeof name);
            df_node_log(x->node, DF_LOG_INFO, "connected to %s", name);
        }
        t->failures = 0;
        t->probing = false;
        t->warned = false;
        hc->probe = false;
    }
    if (hc->state != H_RETIRED) {
        if (res->keep_alive && !x->closing)
            hc->state = H_IDLE;
        else
            retire(x, hc);
    }
    if (r) {
        r->hc = NULL;
        enum df_outcome o = otlp_http_outcome(res->status);
        if (o == DF_OUTCOME_ACK) {
            finish(x, r, o, NULL);
        } else {
            char name[300], text[200], retry[48] = "", reason[DF_ERROR_MSG_MAX];
            target_name(x, hc->target, name, sizeof name);
            const char *ct = NULL;
            for (size_t i = 0; i < res->nheaders; i++) {
                if (!strcasecmp(res->headers[i].name, "Content-Type"))
                    ct = res->headers[i].value;
            }
            otlp_error_text(res->body, res->body_len, ct, text, sizeof text);
            if (res->retry_after_s >= 0 && o == DF_OUTCOME_NACK_TRANSIENT)
                snprintf(retry, sizeof retry, " (retry after %lld s)",
                         (long long)res->retry_after_s);
            snprintf(reason, sizeof reason, "OTLP/HTTP export to %s%s failed: HTTP %d%s%s%s", name,
                     x->cfg->urls[r->pd->signal].path, res->status, text[0] ? ": " : "", text,
                     retry);
            finish(x, r, o, reason);
        }
    }
}

/* A failed attempt on target `t`: Nacks its waiting requests, backs off,
 * and logs at warn once per run of failures. */
static void attempt_failed(struct http_exp *x, unsigned t, bool probe, const char *why)
{
    struct target *tg = &x->targets[t];
    char name[300];
    target_name(x, t, name, sizeof name);
    if (probe || !tg->failures) {
        tg->failures++;
        tg->retry_at = uv_hrtime() +
                       otlp_backoff_delay(&x->cfg->backoff, tg->failures - 1, otlp_random(&x->rng));
        if (!tg->warned) {
            tg->warned = true;
            df_node_log(x->node, DF_LOG_WARN,
                        "cannot connect to %s: %s; retrying with backoff (logged once until "
                        "connected)",
                        name, why);
        } else {
            df_node_log(x->node, DF_LOG_DEBUG, "cannot connect to %s: %s (attempt %u)", name, why,
                        tg->failures);
        }
    }
    if (probe)
        tg->probing = false;
    fail_waiting(x, t, why);
}

static void on_event(void *ud, struct df_conn *conn, int status)
{
    struct hconn *hc = ud;
    struct http_exp *x = hc->x;
    if (status == 0) {
        if (hc->state == H_OPEN)
            hc->state = hc->req ? H_BUSY : H_IDLE;
        if (hc->probe && !hc->req && !x->destroyed) {
            /* Its request could not be encoded: connecting is proof enough. */
            hc->probe = false;
            x->targets[hc->target].failures = 0;
            x->targets[hc->target].probing = false;
            release_waiting(x, hc->target);
        }
        return;
    }
    struct h1core *p = hc->p;
    if (status == UV_EOF && p && hc->req)
        df_http1_client_eof(&p->cl); /* a body that ran to the end of the connection */
    if (p)
        p->hc = NULL;
    if (hc->prev)
        hc->prev->next = hc->next;
    else
        x->conns = hc->next;
    if (hc->next)
        hc->next->prev = hc->prev;
    if (hc->state != H_RETIRED)
        x->live--;
    x->open--;
    char why[sizeof hc->error];
    if (hc->error[0])
        memcpy(why, hc->error, sizeof why);
    else
        snprintf(why, sizeof why, "%s",
                 status == UV_EOF ? "closed by the server" : uv_strerror(status));
    struct req *r = hc->req;
    unsigned t = hc->target;
    bool failed_attempt = !hc->answered && !x->destroyed && !x->closing && !(r && r->timed_out) &&
                          status != UV_ECANCELED;
    bool probe = hc->probe;
    bool stale = hc->answered && r && !hc->answering && !r->resent;
    free(hc);
    if (x->destroyed) {
        if (!x->open && !x->protos)
            free_exp(x);
        return;
    }
    update_conns(x);
    if (r) {
        r->hc = NULL;
        char name[300], reason[DF_ERROR_MSG_MAX];
        target_name(x, t, name, sizeof name);
        if (r->timed_out) {
            snprintf(reason, sizeof reason, "OTLP/HTTP export to %s timed out after %llu ms", name,
                     (unsigned long long)(x->cfg->timeout / NS_PER_MS));
            finish(x, r, DF_OUTCOME_NACK_TRANSIENT, reason);
        } else if (stale && !x->closing) {
            r->resent = true; /* the server closed an idle connection as we reused it */
            assign(x, r);
        } else {
            snprintf(reason, sizeof reason, "OTLP/HTTP export to %s failed: %s", name, why);
            finish(x, r, DF_OUTCOME_NACK_TRANSIENT, reason);
        }
    }
    if (failed_attempt) {
        df_metric_add(x->m_reconnects, probe ? 0 : 1);
        attempt_failed(x, t, probe, why);
    } else if (probe) {
        x->targets[t].probing = false;
    }
    if (x->closing && !x->open)
        df_node_drained(x->node);
    else if (!x->closing)
        release_waiting(x, t);
    arm(x);
}

/* ---- the timer ------------------------------------------------------------ */

static void arm(struct http_exp *x)
{
    if (x->destroyed)
        return;
    uint64_t next = 0;
    for (struct req *r = x->head; r; r = r->next) {
        if (!r->timed_out) {
            next = r->deadline; /* the oldest has the earliest deadline */
            break;
        }
    }
    for (unsigned t = 0; t < x->ntargets; t++) {
        const struct target *tg = &x->targets[t];
        if (tg->failures && tg->whead && !tg->probing && (!next || tg->retry_at < next))
            next = tg->retry_at;
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

static struct req *expired(struct http_exp *x, uint64_t now)
{
    for (struct req *r = x->head; r && r->deadline <= now; r = r->next) {
        if (!r->timed_out)
            return r;
    }
    return NULL;
}

static void on_timer(struct df_node *node, void *state)
{
    struct http_exp *x = state;
    x->timer_at = 0;
    uint64_t now = uv_hrtime();
    struct req *r;
    while ((r = expired(x, now))) {
        if (!r->hc) {
            char name[300], reason[DF_ERROR_MSG_MAX];
            target_name(x, r->target, name, sizeof name);
            snprintf(reason, sizeof reason,
                     "OTLP/HTTP export to %s timed out after %llu ms waiting for a connection",
                     name, (unsigned long long)(x->cfg->timeout / NS_PER_MS));
            finish(x, r, DF_OUTCOME_NACK_TRANSIENT, reason);
            continue;
        }
        r->timed_out = true; /* Nacked when its connection's end is reported */
        retire(x, r->hc);
        df_conn_close(r->hc->conn);
    }
    for (unsigned t = 0; t < x->ntargets; t++) {
        struct target *tg = &x->targets[t];
        if (tg->failures && tg->whead && !tg->probing && tg->retry_at <= now && free_slot(x)) {
            struct req *head = tg->whead;
            wait_unlink(tg, head);
            open_conn(x, t, head, true);
        }
    }
    arm(x);
}

/* ---- node hooks ----------------------------------------------------------- */

static bool same_target(const struct df_url *a, const struct df_url *b)
{
    return a->tls == b->tls && a->port == b->port && !strcmp(a->host, b->host);
}

static int http_create(struct df_node *node, const void *options, void **state,
                       struct df_error *err)
{
    struct http_exp *x = calloc(1, sizeof *x);
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
    bool any_tls = false;
    for (unsigned s = 0; s < DF_SIGNAL_COUNT; s++) {
        const struct df_url *u = &x->cfg->urls[s];
        unsigned t = 0;
        while (t < x->ntargets && !same_target(x->targets[t].url, u))
            t++;
        if (t == x->ntargets)
            x->targets[x->ntargets++].url = u;
        x->sig_target[s] = t;
        any_tls |= u->tls;
    }
    const struct df_map *h = &x->cfg->headers;
    x->headers = calloc(h->count + 3 + OTLP_OUTBOUND_MAX, sizeof *x->headers);
    x->timer = df_node_timer(node, on_timer);
    x->m_ok = df_node_metric(node, DF_METRIC_COUNTER, "df_exporter_otlp_http_exports_ok_total",
                             "Exports answered 2xx (Acked).");
    x->m_failed =
        df_node_metric(node, DF_METRIC_COUNTER, "df_exporter_otlp_http_exports_failed_total",
                       "Exports that failed (Nacked: error status, timeout, no connection).");
    x->m_in_flight = df_node_metric(node, DF_METRIC_GAUGE, "df_exporter_otlp_http_in_flight",
                                    "Exports held: in flight or waiting for a connection.");
    x->m_reconnects =
        df_node_metric(node, DF_METRIC_COUNTER, "df_exporter_otlp_http_reconnects_total",
                       "Connection attempts that failed, and probes after a backoff.");
    x->m_connections = df_node_metric(node, DF_METRIC_GAUGE, "df_exporter_otlp_http_connections",
                                      "Connections open or opening.");
    if (!x->headers || !x->timer || !x->m_ok || !x->m_failed || !x->m_in_flight ||
        !x->m_reconnects || !x->m_connections)
        return DF_ENOMEM;
    bool json = x->cfg->encoding == OTLP_HTTP_JSON;
    x->headers[x->nheaders++] = (struct df_http1_header){
        "Content-Type", json ? "application/json" : "application/x-protobuf"};
    if (x->encoding != DF_ENCODING_IDENTITY)
        x->headers[x->nheaders++] =
            (struct df_http1_header){"Content-Encoding", df_encoding_name(x->encoding)};
    x->headers[x->nheaders++] = (struct df_http1_header){"User-Agent", "df_engine"};
    for (size_t i = 0; i < h->count; i++)
        x->headers[x->nheaders++] =
            (struct df_http1_header){h->keys[i], ((const char *const *)h->values)[i]};
    int brc = otlp_outbound_claim(node, &x->outbound, h, err);
    if (brc < 0)
        return brc;
    if (any_tls) {
        const struct df_tls_client_opts *t = x->cfg->tls;
        const char *alpn[] = {"http/1.1"};
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

static void http_process(struct df_node *node, void *state, struct df_pdata *pd)
{
    struct http_exp *x = state;
    if (x->closing) {
        df_node_nack(node, pd, DF_OUTCOME_NACK_TRANSIENT, "OTLP/HTTP: the exporter is closing");
        return;
    }
    struct req *r = calloc(1, sizeof *r);
    if (!r) {
        df_node_nack(node, pd, DF_OUTCOME_NACK_TRANSIENT, "OTLP/HTTP: out of memory");
        return;
    }
    r->pd = pd;
    r->target = x->sig_target[pd->signal];
    r->deadline = uv_hrtime() + x->cfg->timeout;
    r->prev = x->tail;
    if (x->tail)
        x->tail->next = r;
    else
        x->head = r;
    x->tail = r;
    if (++x->held >= (uint32_t)x->cfg->max_in_flight && !x->paused) {
        x->paused = true;
        df_node_pause_input(node, true);
    }
    df_metric_set(x->m_in_flight, x->held);
    assign(x, r);
    if (!x->timer_at || r->deadline < x->timer_at)
        arm(x);
}

static void check_drain(struct http_exp *x)
{
    if (!x->draining || x->closing || x->held)
        return;
    x->closing = true;
    for (struct hconn *hc = x->conns; hc; hc = hc->next) {
        retire(x, hc);
        df_conn_close(hc->conn);
    }
    if (!x->open)
        df_node_drained(x->node);
}

static void http_drain(struct df_node *node, void *state)
{
    struct http_exp *x = state;
    x->draining = true;
    check_drain(x);
}

static void http_destroy(struct df_node *node, void *state)
{
    struct http_exp *x = state;
    if (!x)
        return;
    x->destroyed = true;
    while (x->head)
        finish(x, x->head, DF_OUTCOME_NACK_TRANSIENT, "OTLP/HTTP: the exporter is shutting down");
    for (struct hconn *hc = x->conns; hc; hc = hc->next)
        df_conn_close(hc->conn);
    if (!x->open && !x->protos)
        free_exp(x);
}

static const struct df_node_ops http_ops = {
    .create = http_create, .process = http_process, .drain = http_drain, .destroy = http_destroy};

DF_REGISTER_NODE(otlp_http_exporter, "urn:otel:exporter:otlp_http", DF_NODE_EXPORTER,
                 "Sends requests as OTLP/HTTP POSTs (HTTP/1.1, protobuf or JSON, plain or TLS).",
                 "docs/nodes.md#exporterotlp_http", .options = &otlp_http_exporter_table,
                 .consumes = otlp_outbound_consumes, .ops = &http_ops);
