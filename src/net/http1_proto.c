/* HTTP/1.1 over net/conn (net/http1_proto.h). */
#include "net/http1_proto.h"

#include <stdlib.h>
#include <string.h>

#include "df/error.h"

struct h1 {
    struct df_proto base;
    struct df_http1_conn http;
    struct df_conn *conn;
    struct df_http1_limits limits;
    void (*on_destroy)(void *ud);
    void *ud;
    struct df_http1_out out; /* bytes for the socket, from out_off */
    size_t out_off;
    int verdict;       /* the engine's last DF_HTTP1_KEEP/CLOSE/PAUSE, or < 0 */
    uv_timer_t *timer; /* heap: it outlives the protocol until closed */
    uint64_t timed_requests;
    int timed_phase; /* -1 = not armed */
};

static void timer_closed(uv_handle_t *h)
{
    free(h);
}

static void take(struct h1 *h, int verdict, struct df_http1_out *more)
{
    if (more->len) {
        if (h->out_off == h->out.len) { /* nothing pending: take it whole */
            df_http1_out_free(&h->out);
            h->out = *more;
            h->out_off = 0;
            *more = (struct df_http1_out){0};
        } else {
            size_t rest = h->out.len - h->out_off;
            uint8_t *buf = malloc(rest + more->len);
            if (!buf) {
                verdict = DF_ENOMEM;
            } else {
                memcpy(buf, h->out.data + h->out_off, rest);
                memcpy(buf + rest, more->data, more->len);
                df_http1_out_free(&h->out);
                h->out = (struct df_http1_out){
                    .data = buf, .len = rest + more->len, .cap = rest + more->len};
                h->out_off = 0;
            }
        }
    }
    df_http1_out_free(more);
    if (h->verdict >= 0 && h->verdict != DF_HTTP1_CLOSE)
        h->verdict = verdict;
}

static void arm_timer(struct h1 *h);

static void timeout_cb(uv_timer_t *t)
{
    struct h1 *h = t->data;
    struct df_http1_out more = {0};
    take(h, df_http1_conn_timeout(&h->http, &more), &more);
    h->timed_phase = -1;
    df_conn_flush(h->conn);
}

/* The head timeout runs from the end of the previous request (or the
 * connection's start) until a head is complete, the body timeout from there
 * until the body is; none while the connection only waits for its own
 * answers. Trickling bytes do not extend either. */
static void arm_timer(struct h1 *h)
{
    enum df_http1_phase phase = df_http1_conn_phase(&h->http);
    if (h->verdict == DF_HTTP1_PAUSE ||
        (df_http1_conn_pending(&h->http) && phase == DF_HTTP1_IDLE)) {
        uv_timer_stop(h->timer);
        h->timed_phase = -1;
        return;
    }
    int mode = phase == DF_HTTP1_BODY;
    uint64_t n = df_http1_conn_requests(&h->http);
    if (mode == h->timed_phase && n == h->timed_requests)
        return;
    h->timed_phase = mode;
    h->timed_requests = n;
    uv_timer_start(h->timer, timeout_cb,
                   mode ? h->limits.body_timeout_ms : h->limits.header_timeout_ms, 0);
}

static int h1_feed(struct df_proto *p, const uint8_t *data, size_t len)
{
    struct h1 *h = (struct h1 *)p;
    struct df_http1_out more = {0};
    take(h, df_http1_conn_feed(&h->http, data, len, &more), &more);
    if (h->verdict < 0)
        return h->verdict;
    arm_timer(h);
    return 0;
}

static size_t h1_output(struct df_proto *p, const uint8_t **data)
{
    struct h1 *h = (struct h1 *)p;
    if (h->verdict == DF_HTTP1_PAUSE || h->verdict == DF_HTTP1_KEEP) {
        struct df_http1_out more = {0};
        int was = h->verdict;
        take(h, df_http1_conn_output(&h->http, &more), &more);
        if (was == DF_HTTP1_PAUSE && h->verdict == DF_HTTP1_KEEP) {
            /* Room again: parse what was held back. */
            take(h, df_http1_conn_feed(&h->http, NULL, 0, &more), &more);
        }
        if (h->verdict >= 0)
            arm_timer(h);
    }
    if (!h->out.data) {
        *data = NULL;
        return 0;
    }
    *data = h->out.data + h->out_off;
    return h->out.len - h->out_off;
}

static void h1_consumed(struct df_proto *p, size_t n)
{
    struct h1 *h = (struct h1 *)p;
    h->out_off += n;
    if (h->out_off == h->out.len) {
        df_http1_out_free(&h->out);
        h->out_off = 0;
    }
}

static bool h1_done(struct df_proto *p)
{
    struct h1 *h = (struct h1 *)p;
    return h->verdict < 0 || h->verdict == DF_HTTP1_CLOSE;
}

static bool h1_want_read(struct df_proto *p)
{
    return ((struct h1 *)p)->verdict == DF_HTTP1_KEEP;
}

static void h1_destroy(struct df_proto *p)
{
    struct h1 *h = (struct h1 *)p;
    df_http1_conn_free(&h->http); /* cancels outstanding answers */
    df_http1_out_free(&h->out);
    uv_close((uv_handle_t *)h->timer, timer_closed);
    if (h->on_destroy)
        h->on_destroy(h->ud);
    free(h);
}

static void on_ready(void *ud)
{
    df_conn_flush(((struct h1 *)ud)->conn);
}

static const struct df_proto_ops h1_ops = {.feed = h1_feed,
                                           .output = h1_output,
                                           .consumed = h1_consumed,
                                           .done = h1_done,
                                           .destroy = h1_destroy,
                                           .want_read = h1_want_read};

struct df_proto *df_http1_proto_new(struct df_conn *conn, df_http1_handler_fn fn, void *ud,
                                    const struct df_http1_limits *limits,
                                    const struct df_http1_proto_hooks *hooks)
{
    struct h1 *h = calloc(1, sizeof *h);
    uv_timer_t *t = malloc(sizeof *t);
    if (!h || !t) {
        free(h);
        free(t);
        return NULL;
    }
    h->base.ops = &h1_ops;
    h->conn = conn;
    h->limits = df_http1_limits_resolve(limits);
    h->timed_phase = -1;
    h->timer = t;
    uv_timer_init(df_conn_loop(conn), t);
    t->data = h;
    df_http1_conn_init(&h->http, fn, ud, &h->limits);
    df_http1_conn_set_ready(&h->http, on_ready, h);
    h->ud = ud;
    if (hooks) {
        df_http1_conn_set_head(&h->http, hooks->on_head);
        h->on_destroy = hooks->on_destroy;
    }
    arm_timer(h);
    return &h->base;
}
