/* HTTP(S) fetches (src/net/fetch.c) against a real server on 127.0.0.1:
 * the engine's own HTTP/1.1 stack (net/conn.h listeners, net/http1_proto.h,
 * net/tls_proto.h for https with the PKI of tests/support/test_pki.c) on a
 * thread and loop of its own, answering canned responses by path. The
 * clients run on the test's thread, or on two threads of their own, and
 * every wait runs a loop until a condition holds, with an overall bound. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "df/error.h"
#include "net/conn.h"
#include "net/fetch.h"
#include "net/http1.h"
#include "net/http1_proto.h"
#include "net/tls.h"
#include "net/tls_proto.h"
#include "tests/support/test_pki.h"

#define BOUND_MS 10000 /* no wait of a test lasts longer */

static const char ok_body[] = "{\"keys\":[]}";

/* ---- the server -------------------------------------------------------- */

static struct {
    uv_loop_t loop;
    uv_async_t stop;
    pthread_t thread;
    struct df_tls_ctx *tls_ctx;
    struct df_listener *plain, *tls, *tls_other;
    int plain_port, tls_port, other_port; /* other: TLS on 127.0.0.2, 0 when unavailable */
    int hangs;                            /* /hang requests received (atomic) */
    int hangs_ended;                      /* of those, connections gone (atomic) */
} srv;

static int load(const int *v)
{
    return __atomic_load_n(v, __ATOMIC_ACQUIRE);
}

static void hang_ended(void *ud, struct df_http1_pending *tok)
{
    __atomic_add_fetch(&srv.hangs_ended, 1, __ATOMIC_RELEASE);
    df_http1_respond(tok, 500, NULL, NULL, 0, NULL, 0); /* frees the token; heard by nobody */
}

static void redirect(struct df_http1_response *res, const char *to)
{
    static struct df_http1_header location;
    location = (struct df_http1_header){"Location", to};
    df_http1_response_text(res, 302, "text/plain", "see %s", to);
    res->headers = &location;
    res->nheaders = 1;
}

/* /echo checks what it received: a POST with `X-Test: fetch`; it answers
 * with the body and the Content-Type it got. */
static void echo(const struct df_http1_request *req, struct df_http1_response *res)
{
    const char *x = df_http1_request_header(req, "X-Test");
    const char *ct = df_http1_request_header(req, "Content-Type");
    if (strcmp(req->method, "POST") || !x || strcmp(x, "fetch") ||
        df_http1_request_header(req, "Expect")) {
        df_http1_response_text(res, 400, "text/plain", "unexpected %s, X-Test %s", req->method,
                               x ? x : "(none)");
        return;
    }
    res->status = 200;
    res->content_type = ct ? ct : "none";
    res->body = malloc(req->body_len + 1);
    if (res->body) {
        memcpy(res->body, req->body, req->body_len);
        res->body_len = req->body_len;
    }
}

static void handle(void *ud, const struct df_http1_request *req, struct df_http1_response *res)
{
    const char *p = req->path;
    if (!strcmp(p, "/ok")) {
        df_http1_response_text(res, 200, "application/json", "%s", ok_body);
    } else if (!strcmp(p, "/echo")) {
        echo(req, res);
    } else if (!strcmp(p, "/hang")) {
        /* Never answered; the token is freed when the connection ends. */
        df_http1_defer(req, hang_ended, NULL);
        __atomic_add_fetch(&srv.hangs, 1, __ATOMIC_RELEASE);
    } else if (!strcmp(p, "/big")) {
        res->status = 200;
        res->content_type = "text/plain";
        res->body_len = 256 * 1024;
        res->body = malloc(res->body_len);
        if (res->body)
            memset(res->body, 'x', res->body_len);
        else
            res->body_len = 0;
    } else if (!strcmp(p, "/redirect")) {
        redirect(res, "/ok");
    } else if (!strcmp(p, "/loop")) {
        redirect(res, "/loop");
    } else if (!strcmp(p, "/to-file")) {
        redirect(res, "file:///etc/hostname");
    } else {
        df_http1_response_text(res, 404, "text/plain", "no %s here", p);
    }
}

/* Raw answers the HTTP/1.1 server would not give, picked by the first
 * bytes of the connection:
 *   GET /stream          a response without a length, 4 KiB of its body,
 *                        then nothing more, ever (the connection stays open)
 *   GET /close-redirect  a 302 to /ok, then the server closes: the client
 *                        follows on a new connection, whose socket usually
 *                        gets the closed one's descriptor number at once */
struct canned {
    struct df_proto base;
    char out[4096 + 256];
    size_t len, sent;
    bool close; /* once sent */
};

static int canned_feed(struct df_proto *p, const uint8_t *data, size_t len)
{
    return 0;
}

static size_t canned_output(struct df_proto *p, const uint8_t **data)
{
    struct canned *k = (struct canned *)p;
    *data = (const uint8_t *)k->out + k->sent;
    return k->len - k->sent;
}

static void canned_consumed(struct df_proto *p, size_t n)
{
    ((struct canned *)p)->sent += n;
}

static bool canned_done(struct df_proto *p)
{
    struct canned *k = (struct canned *)p;
    return k->close && k->sent == k->len;
}

static void canned_destroy(struct df_proto *p)
{
    free(p);
}

static const struct df_proto_ops canned_ops = {.feed = canned_feed,
                                               .output = canned_output,
                                               .consumed = canned_consumed,
                                               .done = canned_done,
                                               .destroy = canned_destroy};

static struct df_proto *canned_new(bool stream)
{
    struct canned *k = calloc(1, sizeof *k);
    if (!k)
        return NULL;
    k->base.ops = &canned_ops;
    if (stream) {
        int n =
            snprintf(k->out, sizeof k->out,
                     "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n");
        memset(k->out + n, 'y', 4096);
        k->len = (size_t)n + 4096;
    } else {
        k->len = (size_t)snprintf(k->out, sizeof k->out,
                                  "HTTP/1.1 302 Found\r\nLocation: /ok\r\nContent-Length: 0\r\n"
                                  "Connection: close\r\n\r\n");
        k->close = true;
    }
    return &k->base;
}

static bool starts(const uint8_t *first, size_t len, const char *prefix)
{
    return len >= strlen(prefix) && !memcmp(first, prefix, strlen(prefix));
}

static struct df_proto *select_plain(void *ud, struct df_conn *conn, const uint8_t *first,
                                     size_t len)
{
    if (starts(first, len, "GET /stream "))
        return canned_new(true);
    if (starts(first, len, "GET /close-redirect "))
        return canned_new(false);
    return df_http1_proto_new(conn, handle, NULL, NULL, NULL);
}

static struct df_proto *select_inner(void *ud, struct df_conn *conn, const char *alpn,
                                     const struct df_tls_conn *tls, const uint8_t *first,
                                     size_t len)
{
    return df_http1_proto_new(conn, handle, NULL, NULL, NULL);
}

static void tls_failed(void *ud, const char *reason) {}

static struct df_proto *select_tls(void *ud, struct df_conn *conn, const uint8_t *first, size_t len)
{
    return df_tls_proto_server(srv.tls_ctx, conn, select_inner, tls_failed, NULL);
}

static struct df_listener *listen_on(const char *ip, df_proto_select_fn select, int *port)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    inet_pton(AF_INET, ip, &a.sin_addr);
    struct df_listener_opts o = {.tcp_nodelay = true};
    char err[256];
    struct df_listener *l =
        df_listener_start(&srv.loop, (struct sockaddr *)&a, &o, select, NULL, err, sizeof err);
    if (!l)
        print_message("%s\n", err);
    *port = l ? df_listener_port(l) : 0;
    return l;
}

static void stop_server(uv_async_t *a)
{
    df_listener_close(srv.plain, NULL, NULL);
    df_listener_close(srv.tls, NULL, NULL);
    if (srv.tls_other)
        df_listener_close(srv.tls_other, NULL, NULL);
    uv_close((uv_handle_t *)&srv.stop, NULL);
}

static void *server_main(void *arg)
{
    uv_run(&srv.loop, UV_RUN_DEFAULT);
    return NULL;
}

/* The listeners are made here, then the server thread takes the loop. */
static int server_start(void)
{
    char err[512];
    struct df_tls_server_config sc = {.cert_file = test_pki_path("server.pem"),
                                      .key_file = test_pki_path("server.key")};
    srv.tls_ctx = df_tls_server_ctx_new(&sc, err, sizeof err);
    if (!srv.tls_ctx) {
        print_message("%s\n", err);
        return -1;
    }
    uv_loop_init(&srv.loop);
    uv_async_init(&srv.loop, &srv.stop, stop_server);
    srv.plain = listen_on("127.0.0.1", select_plain, &srv.plain_port);
    srv.tls = listen_on("127.0.0.1", select_tls, &srv.tls_port);
    /* The certificate names localhost and 127.0.0.1, not this address (any
     * of 127/8 is the loopback on Linux; elsewhere the check is skipped). */
    srv.tls_other = listen_on("127.0.0.2", select_tls, &srv.other_port);
    if (!srv.plain || !srv.tls)
        return -1;
    return pthread_create(&srv.thread, NULL, server_main, NULL) ? -1 : 0;
}

static int server_stop(void)
{
    uv_async_send(&srv.stop);
    pthread_join(srv.thread, NULL);
    int rc = uv_loop_close(&srv.loop);
    df_tls_ctx_free(srv.tls_ctx);
    return rc ? -1 : 0;
}

/* ---- a client's loop ----------------------------------------------------- */

struct env {
    uv_loop_t loop;
    uv_timer_t tick; /* wakes the loop to look at conditions */
    uint64_t deadline;
    bool expired;
    struct df_fetch_client *c;
};

static void tick(uv_timer_t *t)
{
    struct env *e = t->data;
    if (uv_now(&e->loop) >= e->deadline) {
        e->expired = true;
        uv_stop(&e->loop);
    }
}

static void env_init(struct env *e)
{
    memset(e, 0, sizeof *e);
    uv_loop_init(&e->loop);
    uv_timer_init(&e->loop, &e->tick);
    e->tick.data = e;
    /* Any thread: no cmocka assertion here. e->c stays NULL on failure. */
    (void)df_fetch_client_new(&e->loop, &e->c);
}

/* Runs the loop until *v >= want (a counter of this thread or, read
 * atomically, of the server's), BOUND_MS at most. The tick returns control
 * every millisecond so that a change made by another thread is seen too.
 * Returns whether the condition holds. */
static bool run_until(struct env *e, const int *v, int want)
{
    e->expired = false;
    uv_update_time(&e->loop);
    e->deadline = uv_now(&e->loop) + BOUND_MS;
    uv_timer_start(&e->tick, tick, 1, 1);
    while (load(v) < want && !e->expired)
        uv_run(&e->loop, UV_RUN_ONCE);
    uv_timer_stop(&e->tick);
    return load(v) >= want;
}

static void set_flag(void *ud)
{
    (*(int *)ud)++;
}

/* Closes the client (when still open) and the loop; false when a handle was
 * left open. */
static bool env_fini(struct env *e)
{
    if (e->c) {
        int closed = 0;
        df_fetch_client_close(e->c, set_flag, &closed);
        if (!run_until(e, &closed, 1))
            return false;
    }
    uv_close((uv_handle_t *)&e->tick, NULL);
    uv_run(&e->loop, UV_RUN_DEFAULT);
    return uv_loop_close(&e->loop) == 0;
}

/* ---- outcomes ------------------------------------------------------------ */

struct outcome {
    int calls;
    int rc;
    long status;
    bool has_ctype;
    char ctype[64];
    char body[512];
    size_t body_len;
    bool nul_after_body;
    char error[DF_FETCH_ERROR_MAX];
    uint64_t at_ms; /* when the callback ran (uv_hrtime) */
    /* Optional actions from inside the callback. */
    struct df_fetch_op *self;  /* cancelled from its own callback: a no-op */
    struct df_fetch_client *c; /* a request is tried on it; its result here */
    int start_rc;
    int *seq; /* a shared counter: the callback's rank */
    int rank;
};

static void on_result(void *ud, const struct df_fetch_result *r)
{
    struct outcome *o = ud;
    o->calls++;
    o->rc = r->rc;
    o->status = r->status;
    o->has_ctype = r->content_type != NULL;
    snprintf(o->ctype, sizeof o->ctype, "%s", r->content_type ? r->content_type : "");
    o->body_len = r->body_len;
    memcpy(o->body, r->body, r->body_len < sizeof o->body ? r->body_len : sizeof o->body);
    o->nul_after_body = r->body[r->body_len] == 0;
    snprintf(o->error, sizeof o->error, "%s", r->error);
    o->at_ms = uv_hrtime() / 1000000;
    if (o->self)
        df_fetch_cancel(o->self);
    if (o->c) {
        struct df_fetch_req again = {.url = "http://127.0.0.1:1/"};
        o->start_rc = df_fetch_start(o->c, &again, on_result, o, NULL);
    }
    if (o->seq)
        o->rank = ++*o->seq;
}

static _Thread_local char url_buf[8][128];

/* An http URL of the plain server (a few rotating buffers per thread). */
static const char *url(const char *path)
{
    static _Thread_local unsigned next;
    char *b = url_buf[next++ % 8];
    snprintf(b, sizeof url_buf[0], "http://127.0.0.1:%d%s", srv.plain_port, path);
    return b;
}

/* Starts `req`, checks that the callback did not run inside, and runs the
 * loop until it ran. */
static void fetch(struct env *e, const struct df_fetch_req *req, struct outcome *o)
{
    memset(o, 0, sizeof *o);
    assert_int_equal(df_fetch_start(e->c, req, on_result, o, NULL), 0);
    assert_int_equal(o->calls, 0);
    assert_true(run_until(e, &o->calls, 1));
}

/* ---- tests ---------------------------------------------------------------- */

static void test_get_ok(void **state)
{
    struct env e;
    env_init(&e);
    assert_non_null(e.c);
    struct outcome o;
    struct df_fetch_req req = {.url = url("/ok")};
    fetch(&e, &req, &o);
    assert_int_equal(o.rc, 0);
    assert_int_equal(o.status, 200);
    assert_string_equal(o.ctype, "application/json");
    assert_int_equal(o.body_len, strlen(ok_body));
    assert_memory_equal(o.body, ok_body, o.body_len);
    assert_true(o.nul_after_body);
    assert_string_equal(o.error, "");
    /* Again on the same client (its cached connection), explicitly GET. */
    req.method = "GET";
    fetch(&e, &req, &o);
    assert_int_equal(o.rc, 0);
    assert_int_equal(o.status, 200);
    /* Idle, the client keeps nothing of the loop alive. */
    uv_run(&e.loop, UV_RUN_NOWAIT);
    assert_false(uv_loop_alive(&e.loop));
    assert_true(env_fini(&e));
}

static void test_not_found_is_a_response(void **state)
{
    struct env e;
    env_init(&e);
    struct outcome o;
    struct df_fetch_req req = {.url = url("/nope")};
    fetch(&e, &req, &o);
    assert_int_equal(o.rc, 0);
    assert_int_equal(o.status, 404);
    assert_string_equal(o.ctype, "text/plain");
    assert_int_equal(o.body_len, strlen("no /nope here"));
    assert_memory_equal(o.body, "no /nope here", o.body_len);
    assert_true(env_fini(&e));
}

static void test_post_headers_and_body(void **state)
{
    struct env e;
    env_init(&e);
    struct outcome o;
    /* Headers and body are copied: overwritten right after the start. */
    char body[] = "a\0b=c";
    char h1[] = "X-Test: fetch", h2[] = "Content-Type: application/octet-stream";
    const char *headers[] = {h1, h2, NULL};
    struct df_fetch_req req = {
        .method = "POST", .url = url("/echo"), .headers = headers, .body = body, .body_len = 5};
    memset(&o, 0, sizeof o);
    assert_int_equal(df_fetch_start(e.c, &req, on_result, &o, NULL), 0);
    memset(body, '-', sizeof body);
    memset(h1, '-', sizeof h1 - 1);
    headers[1] = NULL;
    memset(&req, 0, sizeof req);
    assert_true(run_until(&e, &o.calls, 1));
    assert_int_equal(o.rc, 0);
    assert_int_equal(o.status, 200);
    assert_string_equal(o.ctype, "application/octet-stream");
    assert_int_equal(o.body_len, 5);
    assert_memory_equal(o.body, "a\0b=c", 5);

    /* Without a Content-Type, a form (what a token endpoint wants). */
    const char *xtest[] = {"X-Test: fetch", NULL};
    struct df_fetch_req form = {.method = "POST",
                                .url = url("/echo"),
                                .headers = xtest,
                                .body = "grant_type=client_credentials",
                                .body_len = strlen("grant_type=client_credentials")};
    fetch(&e, &form, &o);
    assert_int_equal(o.status, 200);
    assert_string_equal(o.ctype, "application/x-www-form-urlencoded");
    assert_int_equal(o.body_len, form.body_len);
    /* A larger body goes at once (the server refuses an Expect). */
    enum { LARGE = 64 * 1024 };
    char *large = malloc(LARGE);
    assert_non_null(large);
    memset(large, 'z', LARGE);
    struct df_fetch_req post_large = {
        .method = "POST", .url = url("/echo"), .headers = xtest, .body = large, .body_len = LARGE};
    fetch(&e, &post_large, &o);
    free(large);
    assert_int_equal(o.status, 200);
    assert_int_equal(o.body_len, LARGE);
    assert_int_equal(o.body[0], 'z');
    /* An empty POST, and one the server refuses (no X-Test). */
    struct df_fetch_req empty = {.method = "POST", .url = url("/echo"), .headers = xtest};
    fetch(&e, &empty, &o);
    assert_int_equal(o.status, 200);
    assert_int_equal(o.body_len, 0);
    empty.headers = NULL;
    fetch(&e, &empty, &o);
    assert_int_equal(o.rc, 0);
    assert_int_equal(o.status, 400);
    assert_true(env_fini(&e));
}

static void test_timeout(void **state)
{
    struct env e;
    env_init(&e);
    struct outcome o;
    struct df_fetch_req req = {.url = url("/hang"), .timeout_ns = 200 * 1000000ull};
    uint64_t t0 = uv_hrtime() / 1000000;
    fetch(&e, &req, &o);
    uint64_t ms = o.at_ms - t0;
    assert_int_equal(o.rc, DF_ETIMEDOUT);
    assert_true(ms >= 190 && ms < 3000);
    assert_non_null(strstr(o.error, "request timeout (200 ms) reached"));
    assert_int_equal(o.body_len, 0);
    assert_false(o.has_ctype);
    assert_true(env_fini(&e));
}

static void test_body_limit(void **state)
{
    struct env e;
    env_init(&e);
    struct outcome o;
    /* Without a length and never ending: stopped once 1000 bytes are passed,
     * long before the timeout. First, so that it opens a connection (the
     * raw answer is picked by a connection's first bytes). */
    struct df_fetch_req stream = {
        .url = url("/stream"), .max_body = 1000, .timeout_ns = 5000 * 1000000ull};
    uint64_t t0 = uv_hrtime() / 1000000;
    fetch(&e, &stream, &o);
    assert_int_equal(o.rc, DF_ERANGE);
    assert_true(o.at_ms - t0 < 4000);
    assert_non_null(strstr(o.error, "larger than max_body (1000 bytes)"));
    /* Announced by Content-Length. */
    struct df_fetch_req req = {.url = url("/big"), .max_body = 1000};
    fetch(&e, &req, &o);
    assert_int_equal(o.rc, DF_ERANGE);
    assert_non_null(strstr(o.error, "larger than max_body (1000 bytes)"));
    assert_int_equal(o.body_len, 0);
    /* Exactly max_body is fine; one byte less is not. */
    struct df_fetch_req exact = {.url = url("/ok"), .max_body = strlen(ok_body)};
    fetch(&e, &exact, &o);
    assert_int_equal(o.rc, 0);
    assert_int_equal(o.body_len, strlen(ok_body));
    exact.max_body--;
    fetch(&e, &exact, &o);
    assert_int_equal(o.rc, DF_ERANGE);
    /* The default (1 MiB) takes /big. */
    struct df_fetch_req big = {.url = url("/big")};
    fetch(&e, &big, &o);
    assert_int_equal(o.rc, 0);
    assert_int_equal(o.body_len, 256 * 1024);
    assert_true(env_fini(&e));
}

static void test_connection_refused(void **state)
{
    struct env e;
    env_init(&e);
    /* A port bound but not listening: a connection is refused. */
    uv_tcp_t hold;
    uv_tcp_init(&e.loop, &hold);
    struct sockaddr_in a = {.sin_family = AF_INET};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    assert_int_equal(uv_tcp_bind(&hold, (struct sockaddr *)&a, 0), 0);
    struct sockaddr_storage bound;
    int len = sizeof bound;
    uv_tcp_getsockname(&hold, (struct sockaddr *)&bound, &len);
    char u[64];
    snprintf(u, sizeof u, "http://127.0.0.1:%d/ok",
             ntohs(((struct sockaddr_in *)&bound)->sin_port));
    struct outcome o;
    struct df_fetch_req req = {.url = u};
    fetch(&e, &req, &o);
    assert_int_equal(o.rc, DF_EIO);
    assert_int_equal(o.status, 0);
    assert_non_null(strstr(o.error, "onnect"));
    uv_close((uv_handle_t *)&hold, NULL);
    assert_true(env_fini(&e));
}

static void test_cancel(void **state)
{
    struct env e;
    env_init(&e);
    /* In flight: the server has the request. */
    struct outcome o = {0};
    struct df_fetch_op *op = NULL;
    int h0 = load(&srv.hangs), end0 = load(&srv.hangs_ended);
    struct df_fetch_req req = {.url = url("/hang")};
    assert_int_equal(df_fetch_start(e.c, &req, on_result, &o, &op), 0);
    assert_non_null(op);
    assert_true(run_until(&e, &srv.hangs, h0 + 1));
    assert_int_equal(o.calls, 0);
    df_fetch_cancel(op);
    df_fetch_cancel(op); /* twice is harmless */
    assert_int_equal(o.calls, 0);
    assert_true(run_until(&e, &o.calls, 1));
    assert_int_equal(o.rc, DF_ECANCELED);
    assert_string_equal(o.error, "canceled");
    assert_int_equal(o.status, 0);
    /* The connection is dropped, and no second callback comes. */
    assert_true(run_until(&e, &srv.hangs_ended, end0 + 1));
    assert_int_equal(o.calls, 1);

    /* Before anything happened; the callback cancels itself (a no-op). */
    struct outcome p = {0};
    struct df_fetch_req ok = {.url = url("/ok")};
    assert_int_equal(df_fetch_start(e.c, &ok, on_result, &p, &p.self), 0);
    df_fetch_cancel(p.self);
    assert_true(run_until(&e, &p.calls, 1));
    assert_int_equal(p.rc, DF_ECANCELED);
    assert_int_equal(p.body_len, 0);
    /* The client still works. */
    fetch(&e, &ok, &o);
    assert_int_equal(o.status, 200);
    assert_int_equal(p.calls, 1);
    df_fetch_cancel(NULL);
    assert_true(env_fini(&e));
}

static void test_close_with_requests_in_flight(void **state)
{
    struct env e;
    env_init(&e);
    int h0 = load(&srv.hangs), end0 = load(&srv.hangs_ended), seq = 0;
    struct outcome o[3] = {0};
    struct df_fetch_req hang = {.url = url("/hang")}, ok = {.url = url("/ok")};
    for (int i = 0; i < 2; i++) {
        o[i].seq = &seq;
        assert_int_equal(df_fetch_start(e.c, &hang, on_result, &o[i], NULL), 0);
    }
    assert_true(run_until(&e, &srv.hangs, h0 + 2));
    o[2].seq = &seq;
    o[2].c = e.c; /* its callback tries one more request: refused */
    assert_int_equal(df_fetch_start(e.c, &ok, on_result, &o[2], NULL), 0);
    int closed = 0;
    df_fetch_client_close(e.c, set_flag, &closed);
    assert_int_equal(df_fetch_start(e.c, &ok, on_result, &o[0], NULL), DF_EINVAL);
    assert_int_equal(o[0].calls + o[1].calls + o[2].calls, 0);
    assert_int_equal(closed, 0);
    assert_true(run_until(&e, &closed, 1));
    e.c = NULL;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(o[i].calls, 1);
        assert_int_equal(o[i].rc, DF_ECANCELED);
        assert_string_equal(o[i].error, "canceled: the client was closed");
    }
    assert_int_equal(seq, 3); /* all of them before `closed` */
    assert_int_equal(o[2].start_rc, DF_EINVAL);
    /* The server sees both connections go. */
    assert_true(run_until(&e, &srv.hangs_ended, end0 + 2));
    assert_true(env_fini(&e)); /* no handle of the client is left */
}

static void test_redirects(void **state)
{
    struct env e;
    env_init(&e);
    struct outcome o;
    struct df_fetch_req req = {.url = url("/redirect")};
    fetch(&e, &req, &o);
    assert_int_equal(o.rc, 0);
    assert_int_equal(o.status, 200);
    assert_memory_equal(o.body, ok_body, strlen(ok_body));
    /* At most 3. */
    req.url = url("/loop");
    fetch(&e, &req, &o);
    assert_int_equal(o.rc, DF_EIO);
    assert_non_null(strstr(o.error, "edirects"));
    /* Only to http or https. */
    req.url = url("/to-file");
    fetch(&e, &req, &o);
    assert_int_equal(o.rc, DF_EIO);
    assert_int_equal(o.body_len, 0);
    assert_true(env_fini(&e));
}

/* A redirect followed on a new connection after the server closed the
 * first one: the new socket usually gets the descriptor number of the old
 * one while the old one's poll handle is still closing. Each time on a new
 * client, whose first request opens a connection (the raw 302 is picked by
 * a connection's first bytes). */
static void test_redirect_on_a_new_connection(void **state)
{
    for (int i = 0; i < 5; i++) {
        struct env e;
        env_init(&e);
        struct outcome o;
        struct df_fetch_req req = {.url = url("/close-redirect")};
        fetch(&e, &req, &o);
        assert_int_equal(o.rc, 0);
        assert_int_equal(o.status, 200);
        assert_memory_equal(o.body, ok_body, strlen(ok_body));
        assert_true(env_fini(&e));
    }
}

static void test_invalid_requests(void **state)
{
    struct env e;
    env_init(&e);
    struct outcome o = {0};
    struct df_fetch_op *op = NULL;
    const char *no_colon[] = {"X-Test fetch", NULL};
    const char *crlf[] = {"X-Test: a\r\nHost: evil", NULL};
    const char *bad_name[] = {"X Test: a", NULL};
    const struct df_fetch_req bad[] = {
        {.url = NULL},
        {.url = "ftp://127.0.0.1/x"},
        {.url = "file:///etc/hostname"},
        {.url = "127.0.0.1/ok"},
        {.url = "http://127.0.0.1/a b"},
        {.method = "PUT", .url = url("/ok")},
        {.method = "get", .url = url("/ok")},
        {.url = url("/ok"), .body = "x", .body_len = 1},
        {.method = "POST", .url = url("/ok"), .body_len = 1},
        {.url = url("/ok"), .headers = no_colon},
        {.url = url("/ok"), .headers = crlf},
        {.url = url("/ok"), .headers = bad_name},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(df_fetch_start(e.c, &bad[i], on_result, &o, &op), DF_EINVAL);
    struct df_fetch_req good = {.url = url("/ok")};
    assert_int_equal(df_fetch_start(e.c, &good, NULL, &o, &op), DF_EINVAL);
    assert_int_equal(df_fetch_start(e.c, NULL, on_result, &o, &op), DF_EINVAL);
    assert_null(op);
    /* No callback comes of any of them: nothing is even pending. */
    uv_run(&e.loop, UV_RUN_NOWAIT);
    assert_false(uv_loop_alive(&e.loop));
    assert_int_equal(o.calls, 0);
    assert_true(env_fini(&e));
}

/* ---- two clients on two threads at once ----------------------------------- */

struct worker {
    int failures; /* checked by the main thread */
    int done;
    pthread_barrier_t *sync; /* both threads pass it twice */
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct env e;
    env_init(&e);
    /* Both clients exist before either fetches, so the two run at once,
     * and neither closes its loop before the other is done with sockets:
     * libuv closes its loop's descriptors with a raw syscall that
     * ThreadSanitizer does not see, so a number reused meanwhile by the
     * other thread would be reported as a race. */
    pthread_barrier_wait(w->sync);
    if (!e.c) {
        w->failures++;
        pthread_barrier_wait(w->sync);
        return NULL;
    }
    /* Several at once on one client, a GET mix and a POST. */
    enum { N = 6 };
    struct outcome o[N] = {{0}};
    const char *xtest[] = {"X-Test: fetch", NULL};
    int done = 0;
    for (int i = 0; i < N; i++) {
        struct df_fetch_req req = {.url = url("/ok")};
        if (i == N - 1)
            req = (struct df_fetch_req){.method = "POST",
                                        .url = url("/echo"),
                                        .headers = xtest,
                                        .body = "ping",
                                        .body_len = 4};
        o[i].seq = &done;
        if (df_fetch_start(e.c, &req, on_result, &o[i], NULL))
            w->failures++;
    }
    if (!run_until(&e, &done, N))
        w->failures++;
    for (int i = 0; i < N; i++)
        if (o[i].calls != 1 || o[i].rc || o[i].status != 200 ||
            o[i].body_len != (i == N - 1 ? 4 : strlen(ok_body)))
            w->failures++;
    pthread_barrier_wait(w->sync);
    if (!env_fini(&e))
        w->failures++;
    w->done = 1;
    return NULL;
}

static void test_two_clients_on_two_threads(void **state)
{
    pthread_barrier_t sync;
    assert_int_equal(pthread_barrier_init(&sync, NULL, 2), 0);
    struct worker w[2] = {{.sync = &sync}, {.sync = &sync}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&sync);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(w[i].done, 1);
        assert_int_equal(w[i].failures, 0);
    }
}

/* ---- https ------------------------------------------------------------------ */

static void tls_fetch(struct env *e, const char *host, int port, const char *ca, bool insecure,
                      struct outcome *o)
{
    char u[128];
    snprintf(u, sizeof u, "https://%s:%d/ok", host, port);
    struct df_fetch_req req = {
        .url = u, .ca_file = ca ? test_pki_path(ca) : NULL, .insecure_skip_verify = insecure};
    fetch(e, &req, o);
}

static void test_https(void **state)
{
    struct env e;
    env_init(&e);
    struct outcome o;
    /* Verified with the test CA, by IP address and by name. */
    tls_fetch(&e, "127.0.0.1", srv.tls_port, "ca.pem", false, &o);
    assert_int_equal(o.rc, 0);
    assert_int_equal(o.status, 200);
    assert_memory_equal(o.body, ok_body, strlen(ok_body));
    tls_fetch(&e, "localhost", srv.tls_port, "ca.pem", false, &o);
    assert_int_equal(o.rc, 0);
    assert_int_equal(o.status, 200);
    /* The system's store does not know the test CA. */
    tls_fetch(&e, "127.0.0.1", srv.tls_port, NULL, false, &o);
    assert_int_equal(o.rc, DF_EIO);
    assert_non_null(strstr(o.error, "certificate"));
    /* Nor does another CA. */
    tls_fetch(&e, "127.0.0.1", srv.tls_port, "other.pem", false, &o);
    assert_int_equal(o.rc, DF_EIO);
    assert_non_null(strstr(o.error, "certificate"));
    /* Tests may skip the verification. */
    tls_fetch(&e, "127.0.0.1", srv.tls_port, NULL, true, &o);
    assert_int_equal(o.rc, 0);
    assert_int_equal(o.status, 200);
    /* A trusted certificate for another name. */
    if (srv.other_port) {
        tls_fetch(&e, "127.0.0.2", srv.other_port, "ca.pem", false, &o);
        assert_int_equal(o.rc, DF_EIO);
        assert_non_null(strstr(o.error, "127.0.0.2"));
        tls_fetch(&e, "127.0.0.2", srv.other_port, "ca.pem", true, &o);
        assert_int_equal(o.rc, 0);
    } else {
        print_message("no listener on 127.0.0.2: host name mismatch not tested\n");
    }
    assert_true(env_fini(&e));
}

static int setup(void **state)
{
    if (test_pki_setup())
        return -1;
    return server_start();
}

static int teardown(void **state)
{
    int rc = server_stop();
    return test_pki_teardown() || rc ? -1 : 0;
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN); /* as the engine does: a client may go mid-response */
    /* Proxies from the environment are ignored: with these, every request
     * would fail if they were not. */
    setenv("http_proxy", "http://127.0.0.1:1", 1);
    setenv("https_proxy", "http://127.0.0.1:1", 1);
    setenv("all_proxy", "http://127.0.0.1:1", 1);
    const struct CMUnitTest tests[] = {
        /* First: the two threads initialise libcurl at the same time. */
        cmocka_unit_test(test_two_clients_on_two_threads),
        cmocka_unit_test(test_get_ok),
        cmocka_unit_test(test_not_found_is_a_response),
        cmocka_unit_test(test_post_headers_and_body),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_body_limit),
        cmocka_unit_test(test_connection_refused),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_close_with_requests_in_flight),
        cmocka_unit_test(test_redirects),
        cmocka_unit_test(test_redirect_on_a_new_connection),
        cmocka_unit_test(test_invalid_requests),
        cmocka_unit_test(test_https),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
