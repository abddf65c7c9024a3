/* Unit tests for the admin HTTP server (admin/http.h): the socket-free
 * connection engine fed directly, then a real server on 127.0.0.1 (port 0)
 * running its libuv loop on a thread, driven by blocking client sockets
 * with a receive timeout from the test thread. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "net/http1.h"
#include "df/error.h"

/* ---- the handler used everywhere ---------------------------------------- */

#define BIG_BODY 30000

struct ctx {
    atomic_int calls;
    atomic_int cancels;
    struct df_http1_pending *toks[16]; /* "/defer": tokens in request order */
    size_t ntoks;
    bool answer_on_cancel; /* the cancel callback answers its token */
    uv_loop_t *loop;       /* the server's, for deferred answers */
};

static void on_cancel(void *ud, struct df_http1_pending *tok)
{
    struct ctx *ctx = ud;
    atomic_fetch_add(&ctx->cancels, 1);
    if (ctx->answer_on_cancel) {
        for (size_t i = 0; i < ctx->ntoks; i++)
            if (ctx->toks[i] == tok)
                ctx->toks[i] = NULL;
        df_http1_respond(tok, 200, NULL, NULL, 0, "late", 4); /* a no-op that frees */
    }
}

/* Echoes `METHOD PATH QUERY X-TEST BODYLEN:BODY`; a few paths give special
 * answers. */
static void handler(void *ud, const struct df_http1_request *req, struct df_http1_response *res)
{
    struct ctx *ctx = ud;
    atomic_fetch_add(&ctx->calls, 1);
    if (strcmp(req->path, "/defer") == 0 && ctx->ntoks < 16) {
        ctx->toks[ctx->ntoks] = df_http1_defer(req, on_cancel, ctx);
        if (ctx->toks[ctx->ntoks]) {
            ctx->ntoks++;
            assert_null(df_http1_defer(req, on_cancel, ctx)); /* only once */
            return;
        }
    }
    if (strcmp(req->path, "/defer-now") == 0) { /* deferred, answered before returning */
        struct df_http1_pending *tok = df_http1_defer(req, NULL, NULL);
        if (tok) {
            df_http1_respond(tok, 202, "text/plain", NULL, 0, "now", 3);
            return;
        }
    }
    if (strcmp(req->path, "/with-headers") == 0) {
        static const struct df_http1_header h[] = {{"Retry-After", "30"},
                                                   {"Access-Control-Allow-Origin", "*"}};
        df_http1_response_text(res, 429, "text/plain", "slow down");
        res->headers = h;
        res->nheaders = 2;
        return;
    }
    if (strncmp(req->path, "/bad-header/", 12) == 0) {
        static const struct df_http1_header bad[][1] = {
            {{"Content-Length", "3"}}, {{"X-A", "b\r\nX-Injected: 1"}},
            {{"Bad Name", "v"}},       {{"", "v"}},
            {{"Connection", "close"}}, {{"X", NULL}}};
        unsigned i = (unsigned)atoi(req->path + 12) % 6;
        df_http1_response_text(res, 200, "text/plain", "x");
        res->headers = bad[i];
        res->nheaders = 1;
        return;
    }
    if (strcmp(req->path, "/204") == 0) {
        res->status = 204;
        return;
    }
    if (strcmp(req->path, "/missing") == 0) {
        df_http1_response_text(res, 404, "text/plain", "no such page\n");
        return;
    }
    if (strcmp(req->path, "/bad-status") == 0) {
        df_http1_response_text(res, 42, "text/plain", "x");
        return;
    }
    if (strcmp(req->path, "/bad-type") == 0) {
        df_http1_response_text(res, 200, "text/plain\r\nX-Injected: 1", "x");
        return;
    }
    if (strcmp(req->path, "/big") == 0) {
        res->status = 200;
        res->body = malloc(BIG_BODY);
        if (res->body) {
            memset(res->body, 'z', BIG_BODY);
            res->body_len = BIG_BODY;
        }
        return;
    }
    if (strcmp(req->path, "/headers") == 0) {
        const char *host = df_http1_request_header(req, "HOST");
        const char *empty = df_http1_request_header(req, "x-empty");
        const char *dup = df_http1_request_header(req, "X-Dup");
        const char *none = df_http1_request_header(req, "x-none");
        df_http1_response_text(res, 200, NULL,
                               "host=[%s] empty=[%s] dup=[%s] none=%s n=%zu minor=%d",
                               host ? host : "?", empty ? empty : "?", dup ? dup : "?",
                               none ? "set" : "null", req->nheaders, req->http_minor);
        return;
    }
    /* No cmocka asserts here: the server calls this on its loop thread. */
    if (!req->body || req->body[req->body_len] != 0) {
        df_http1_response_text(res, 500, "text/plain", "body not NUL-terminated");
        return;
    }
    const char *x = df_http1_request_header(req, "x-test");
    df_http1_response_text(res, 200, "text/plain", "%s %s %s %s %zu:%.*s", req->method, req->path,
                           req->query ? req->query : "-", x ? x : "-", req->body_len,
                           (int)req->body_len, (const char *)req->body);
}

/* ---- the connection engine, without sockets --------------------------------- */

static int feed(struct df_http1_conn *c, const char *s, struct df_http1_out *out)
{
    return df_http1_conn_feed(c, (const uint8_t *)s, strlen(s), out);
}

/* out's bytes as a string (owned by `out`). */
static const char *out_str(struct df_http1_out *out)
{
    uint8_t *d = realloc(out->data, out->len + 1);
    assert_non_null(d);
    d[out->len] = 0;
    out->data = d;
    out->cap = out->len + 1;
    return (const char *)d;
}

/* `HTTP/1.1 200 OK` with Content-Type text/plain, the right Content-Length,
 * `extra` header lines and `body`. Eight rotating static buffers. */
static const char *ok(const char *extra, const char *body)
{
    static char bufs[8][1024];
    static unsigned next;
    char *b = bufs[next++ % 8];
    snprintf(b, sizeof bufs[0],
             "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n%s\r\n%s",
             strlen(body), extra, body);
    return b;
}

/* Feeds `req` whole and expects `want` (status KEEP/CLOSE) and exact output. */
static void expect_exchange(const struct df_http1_limits *l, const char *req, int want_rc,
                            const char *want_out)
{
    struct ctx ctx = {0};
    struct df_http1_conn c;
    struct df_http1_out out = {0};
    df_http1_conn_init(&c, handler, &ctx, l);
    int rc = feed(&c, req, &out);
    if (rc != want_rc || strcmp(out_str(&out), want_out) != 0)
        print_error("request:\n%s\ngot rc %d:\n%s\n", req, rc, out_str(&out));
    assert_int_equal(rc, want_rc);
    assert_string_equal(out_str(&out), want_out);
    df_http1_out_free(&out);
    df_http1_conn_free(&c);
}

static void test_conn_get(void **state)
{
    (void)state;
    expect_exchange(NULL, "GET /a/b?x=1&y=2 HTTP/1.1\r\nHost: h\r\nX-Test: v\r\n\r\n",
                    DF_HTTP1_KEEP, ok("", "GET /a/b x=1&y=2 v 0:"));
    /* No query; absolute-form URL; 404 from the handler. */
    expect_exchange(NULL, "GET /p HTTP/1.1\r\n\r\n", DF_HTTP1_KEEP, ok("", "GET /p - - 0:"));
    expect_exchange(NULL, "GET http://example.com HTTP/1.1\r\n\r\n", DF_HTTP1_KEEP,
                    ok("", "GET / - - 0:"));
    expect_exchange(
        NULL, "GET /missing HTTP/1.1\r\n\r\n", DF_HTTP1_KEEP,
        "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\n" /* 13
                                                                                              bytes:
                                                                                            */
        "no such page\n");
}

static void test_conn_headers(void **state)
{
    (void)state;
    expect_exchange(
        NULL,
        "GET /headers HTTP/1.1\r\nhOsT:   example  \t\r\nX-Empty:\r\n"
        "X-Dup: first\r\nx-dup: second\r\n\r\n",
        DF_HTTP1_KEEP,
        "HTTP/1.1 200 OK\r\nContent-Length: 57\r\n\r\n" /* no Content-Type: the handler gave none */
        "host=[example] empty=[] dup=[first] none=null n=4 minor=1");
}

static void test_conn_split_anywhere(void **state)
{
    (void)state;
    const char *req = "POST /in?q HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
                      "X-Test: t\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n";
    char want[256];
    snprintf(want, sizeof want, "%s", ok("", "POST /in q t 11:hello world"));
    size_t n = strlen(req);
    /* Every two-way split, then one byte at a time. */
    for (size_t cut = 0; cut <= n; cut++) {
        struct ctx ctx = {0};
        struct df_http1_conn c;
        struct df_http1_out out = {0};
        df_http1_conn_init(&c, handler, &ctx, NULL);
        assert_int_equal(df_http1_conn_feed(&c, (const uint8_t *)req, cut, &out), DF_HTTP1_KEEP);
        if (cut < n)
            assert_int_equal(out.len, 0);
        assert_int_equal(df_http1_conn_feed(&c, (const uint8_t *)req + cut, n - cut, &out),
                         DF_HTTP1_KEEP);
        assert_string_equal(out_str(&out), want);
        assert_int_equal(atomic_load(&ctx.calls), 1);
        df_http1_out_free(&out);
        df_http1_conn_free(&c);
    }
    struct ctx ctx = {0};
    struct df_http1_conn c;
    struct df_http1_out out = {0};
    df_http1_conn_init(&c, handler, &ctx, NULL);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(df_http1_conn_feed(&c, (const uint8_t *)req + i, 1, &out), DF_HTTP1_KEEP);
        assert_int_equal(out.len == 0, i + 1 < n);
    }
    assert_string_equal(out_str(&out), want);
    df_http1_out_free(&out);
    df_http1_conn_free(&c);
}

static void test_conn_pipelined(void **state)
{
    (void)state;
    struct ctx ctx = {0};
    struct df_http1_conn c;
    struct df_http1_out out = {0};
    df_http1_conn_init(&c, handler, &ctx, NULL);
    int rc = feed(&c,
                  "GET /1 HTTP/1.1\r\n\r\n"
                  "POST /2 HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"
                  "\r\nGET /3 HTTP/1.1\r\nConnection: close\r\n\r\n"
                  "GET /4 HTTP/1.1\r\n\r\n",
                  &out);
    assert_int_equal(rc, DF_HTTP1_CLOSE);
    char want[1024];
    snprintf(want, sizeof want, "%s%s%s", ok("", "GET /1 - - 0:"), ok("", "POST /2 - - 3:abc"),
             ok("Connection: close\r\n", "GET /3 - - 0:"));
    assert_string_equal(out_str(&out), want);
    /* /4 came after `Connection: close`: never handled. */
    assert_int_equal(atomic_load(&ctx.calls), 3);
    assert_int_equal(df_http1_conn_requests(&c), 3);
    df_http1_out_free(&out);
    assert_int_equal(feed(&c, "GET /5 HTTP/1.1\r\n\r\n", &out), DF_HTTP1_CLOSE);
    assert_int_equal(out.len, 0);
    df_http1_conn_free(&c);
}

static void test_conn_http10(void **state)
{
    (void)state;
    expect_exchange(NULL, "GET /old HTTP/1.0\r\n\r\n", DF_HTTP1_CLOSE,
                    ok("Connection: close\r\n", "GET /old - - 0:"));
    expect_exchange(NULL, "GET /old HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", DF_HTTP1_KEEP,
                    ok("Connection: keep-alive\r\n", "GET /old - - 0:"));
    expect_exchange(NULL, "GET /x HTTP/1.1\r\nConnection: close\r\n\r\n", DF_HTTP1_CLOSE,
                    ok("Connection: close\r\n", "GET /x - - 0:"));
}

static void test_conn_other_targets(void **state)
{
    (void)state;
    expect_exchange(NULL, "OPTIONS * HTTP/1.1\r\n\r\n", DF_HTTP1_KEEP, ok("", "OPTIONS * - - 0:"));
    expect_exchange(NULL, "GET /f?q=1#frag HTTP/1.1\r\n\r\n", DF_HTTP1_KEEP,
                    ok("", "GET /f q=1 - 0:"));
    /* Upgrades are not supported: answered, then closed. */
    expect_exchange(NULL,
                    "GET /ws HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\nxyz",
                    DF_HTTP1_CLOSE, ok("Connection: close\r\n", "GET /ws - - 0:"));
    expect_exchange(NULL, "CONNECT h:443 HTTP/1.1\r\n\r\n", DF_HTTP1_CLOSE,
                    ok("Connection: close\r\n", "CONNECT h:443 - - 0:"));
}

static void test_conn_head_and_special_responses(void **state)
{
    (void)state;
    /* HEAD: the length of the body GET would get, and no body. */
    expect_exchange(NULL, "HEAD /h HTTP/1.1\r\n\r\n", DF_HTTP1_KEEP,
                    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 14\r\n\r\n");
    /* ... which is the length of "HEAD /h - - 0:". */
    assert_int_equal(strlen("HEAD /h - - 0:"), 14);
    expect_exchange(NULL, "GET /204 HTTP/1.1\r\n\r\n", DF_HTTP1_KEEP,
                    "HTTP/1.1 204 No Content\r\n\r\n");
    const char *invalid = "HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain; "
                          "charset=utf-8\r\nContent-Length: 60\r\n\r\n"
                          "internal server error: the handler gave an invalid response\n";
    expect_exchange(NULL, "GET /bad-status HTTP/1.1\r\n\r\n", DF_HTTP1_KEEP, invalid);
    expect_exchange(NULL, "GET /bad-type HTTP/1.1\r\n\r\n", DF_HTTP1_KEEP, invalid);
}

static void expect_status_close(const struct df_http1_limits *l, const char *req, int status)
{
    struct ctx ctx = {0};
    struct df_http1_conn c;
    struct df_http1_out out = {0};
    df_http1_conn_init(&c, handler, &ctx, l);
    int rc = feed(&c, req, &out);
    char prefix[32];
    snprintf(prefix, sizeof prefix, "HTTP/1.1 %d ", status);
    const char *got = out_str(&out);
    if (rc != DF_HTTP1_CLOSE || strncmp(got, prefix, strlen(prefix)) != 0)
        print_error("request:\n%.200s\ngot rc %d:\n%s\n", req, rc, got);
    assert_int_equal(rc, DF_HTTP1_CLOSE);
    assert_memory_equal(got, prefix, strlen(prefix));
    assert_non_null(strstr(got, "\r\nConnection: close\r\n"));
    assert_non_null(strstr(got, "\r\nContent-Type: text/plain; charset=utf-8\r\n"));
    assert_int_equal(atomic_load(&ctx.calls), 0);
    /* Nothing more after an error. */
    df_http1_out_free(&out);
    assert_int_equal(feed(&c, "GET / HTTP/1.1\r\n\r\n", &out), DF_HTTP1_CLOSE);
    assert_int_equal(out.len, 0);
    df_http1_conn_free(&c);
}

static void test_conn_malformed(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "GARBAGE\r\n\r\n",
        "GET / HTTP/1.1\r\nNo colon here\r\n\r\n",
        "GET / HTTP/9\r\n\r\n",
        "GET  HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n",
        "GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
        "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
        "GET / HTTP/1.1\r\nX: a\x01b\r\n\r\n",
        "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_status_close(NULL, bad[i], 400);
    /* The body says why. */
    struct ctx ctx = {0};
    struct df_http1_conn c;
    struct df_http1_out out = {0};
    df_http1_conn_init(&c, handler, &ctx, NULL);
    assert_int_equal(feed(&c, "GARBAGE\r\n\r\n", &out), DF_HTTP1_CLOSE);
    assert_non_null(strstr(out_str(&out), "\r\n\r\nbad request: invalid HTTP method\n"));
    df_http1_out_free(&out);
    df_http1_conn_free(&c);
}

static void test_conn_head_limits(void **state)
{
    (void)state;
    struct df_http1_limits l = {.max_head_bytes = 256, .max_headers = 3};
    char req[1024];
    /* A 200-byte head passes. */
    snprintf(req, sizeof req, "GET / HTTP/1.1\r\nX-Test: %0150d\r\n\r\n", 0);
    assert_true(strlen(req) < 256);
    struct ctx ctx = {0};
    struct df_http1_conn c;
    struct df_http1_out out = {0};
    df_http1_conn_init(&c, handler, &ctx, &l);
    assert_int_equal(feed(&c, req, &out), DF_HTTP1_KEEP);
    assert_memory_equal(out.data, "HTTP/1.1 200 ", 13);
    df_http1_out_free(&out);
    df_http1_conn_free(&c);
    /* Too long a header, a URL, too many headers, a blank-line flood. */
    snprintf(req, sizeof req, "GET / HTTP/1.1\r\nX-Test: %0300d\r\n\r\n", 0);
    expect_status_close(&l, req, 431);
    snprintf(req, sizeof req, "GET /%0300d HTTP/1.1\r\n\r\n", 0);
    expect_status_close(&l, req, 431);
    expect_status_close(&l, "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n", 431);
    memset(req, 0, sizeof req);
    for (size_t i = 0; i < 300; i += 2)
        memcpy(req + i, "\r\n", 2);
    expect_status_close(&l, req, 431);
    /* Many small header lines: counted as sent, not as stored. */
    char *p = req;
    p += sprintf(p, "GET / HTTP/1.1\r\n");
    for (int i = 0; i < 3; i++)
        p += sprintf(p, "H%d:%090d\r\n", i, 0);
    sprintf(p, "\r\n");
    assert_true(strlen(req) > 256);
    struct df_http1_limits l2 = {.max_head_bytes = 256};
    expect_status_close(&l2, req, 431);
}

static void test_conn_body_limits(void **state)
{
    (void)state;
    struct df_http1_limits l = {.max_body_bytes = 10};
    /* A declared length over the limit is refused before any body byte. */
    expect_status_close(&l, "POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n", 413);
    expect_status_close(&l, "POST / HTTP/1.1\r\nContent-Length: 99999999999999999\r\n\r\n", 413);
    /* Chunked: refused once the decoded body passes the limit. */
    expect_status_close(&l,
                        "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                        "6\r\nabcdef\r\n5\r\nghijk\r\n",
                        413);
    /* Exactly the limit passes, declared or chunked. */
    expect_exchange(&l, "POST /b HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789", DF_HTTP1_KEEP,
                    ok("", "POST /b - - 10:0123456789"));
    expect_exchange(&l,
                    "POST /b HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "6\r\n012345\r\n4\r\n6789\r\n0\r\n\r\n",
                    DF_HTTP1_KEEP, ok("", "POST /b - - 10:0123456789"));
}

static void test_conn_expect(void **state)
{
    (void)state;
    char want[512];
    snprintf(want, sizeof want, "HTTP/1.1 100 Continue\r\n\r\n%s", ok("", "POST /e - - 2:hi"));
    expect_exchange(NULL, "POST /e HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi",
                    DF_HTTP1_KEEP, want);
    /* No body, no 100. */
    expect_exchange(NULL, "GET /e HTTP/1.1\r\nExpect: 100-continue\r\n\r\n", DF_HTTP1_KEEP,
                    ok("", "GET /e - - 0:"));
    expect_status_close(NULL, "POST /e HTTP/1.1\r\nExpect: magic\r\nContent-Length: 2\r\n\r\nhi",
                        417);
}

static void test_conn_phases_and_timeout(void **state)
{
    (void)state;
    struct ctx ctx = {0};
    struct df_http1_conn c;
    struct df_http1_out out = {0};
    df_http1_conn_init(&c, handler, &ctx, NULL);
    assert_int_equal(df_http1_conn_phase(&c), DF_HTTP1_IDLE);
    assert_int_equal(feed(&c, "\r\n", &out), DF_HTTP1_KEEP);
    assert_int_equal(df_http1_conn_phase(&c), DF_HTTP1_IDLE);
    assert_int_equal(feed(&c, "POST / HTTP/1.1\r\nContent-", &out), DF_HTTP1_KEEP);
    assert_int_equal(df_http1_conn_phase(&c), DF_HTTP1_HEAD);
    assert_int_equal(feed(&c, "Length: 4\r\n\r\nab", &out), DF_HTTP1_KEEP);
    assert_int_equal(df_http1_conn_phase(&c), DF_HTTP1_BODY);
    assert_int_equal(out.len, 0);
    assert_int_equal(feed(&c, "cd", &out), DF_HTTP1_KEEP);
    assert_int_equal(df_http1_conn_phase(&c), DF_HTTP1_IDLE);
    assert_int_equal(df_http1_conn_requests(&c), 1);
    df_http1_out_free(&out);
    /* Idle: a timeout closes silently. */
    assert_int_equal(df_http1_conn_timeout(&c, &out), DF_HTTP1_CLOSE);
    assert_int_equal(out.len, 0);
    df_http1_conn_free(&c);

    /* Mid-request: 408. */
    df_http1_conn_init(&c, handler, &ctx, NULL);
    assert_int_equal(feed(&c, "GET / HTTP/1.1\r\nHo", &out), DF_HTTP1_KEEP);
    assert_int_equal(df_http1_conn_timeout(&c, &out), DF_HTTP1_CLOSE);
    assert_memory_equal(out.data, "HTTP/1.1 408 Request Timeout\r\n", 30);
    assert_non_null(strstr(out_str(&out), "\r\nConnection: close\r\n"));
    df_http1_out_free(&out);
    assert_int_equal(feed(&c, "st: x\r\n\r\n", &out), DF_HTTP1_CLOSE);
    assert_int_equal(out.len, 0);
    df_http1_conn_free(&c);
}

static void test_response_text(void **state)
{
    (void)state;
    struct df_http1_response res = {0};
    assert_int_equal(df_http1_response_text(&res, 201, "a/b", "%d-%s", 7, "x"), 0);
    assert_int_equal(res.status, 201);
    assert_string_equal(res.content_type, "a/b");
    assert_int_equal(res.body_len, 3);
    assert_memory_equal(res.body, "7-x", 3);
    assert_int_equal(df_http1_response_text(&res, 404, NULL, "%s", ""), 0); /* frees the old body */
    assert_int_equal(res.status, 404);
    assert_null(res.content_type);
    assert_int_equal(res.body_len, 0);
    free(res.body);
    struct df_http1_limits l = df_http1_limits_resolve(NULL);
    assert_int_equal(l.max_head_bytes, 16384);
    assert_int_equal(l.max_body_bytes, 1 << 20);
    assert_int_equal(l.max_connections, 64);
    assert_int_equal(l.header_timeout_ms, 10000);
    assert_int_equal(l.body_timeout_ms, 10000);
    struct df_http1_limits in = {.max_connections = 3};
    l = df_http1_limits_resolve(&in);
    assert_int_equal(l.max_connections, 3);
    assert_int_equal(l.max_headers, 100);
}

/* ---- deferred answers, without sockets ----------------------------------------- */

static void on_ready(void *ud)
{
    (*(int *)ud)++;
}

static void test_conn_deferred(void **state)
{
    (void)state;
    struct ctx ctx = {0};
    struct df_http1_conn c;
    struct df_http1_out out = {0};
    int readies = 0;
    df_http1_conn_init(&c, handler, &ctx, NULL);
    df_http1_conn_set_ready(&c, on_ready, &readies);
    assert_int_equal(feed(&c, "POST /defer HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi", &out),
                     DF_HTTP1_KEEP);
    assert_int_equal(out.len, 0);
    assert_int_equal(ctx.ntoks, 1);
    assert_int_equal(df_http1_conn_pending(&c), 1);
    assert_int_equal(df_http1_conn_output(&c, &out), DF_HTTP1_KEEP);
    assert_int_equal(out.len, 0);
    static const struct df_http1_header h[] = {{"Retry-After", "5"}};
    assert_int_equal(df_http1_respond(ctx.toks[0], 503, "text/plain", h, 1, "busy", 4), 0);
    assert_int_equal(readies, 1);
    assert_int_equal(df_http1_conn_pending(&c), 0);
    assert_int_equal(df_http1_conn_output(&c, &out), DF_HTTP1_KEEP);
    assert_string_equal(out_str(&out),
                        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: "
                        "text/plain\r\nRetry-After: 5\r\nContent-Length: 4\r\n\r\nbusy");
    df_http1_out_free(&out);
    /* Deferred and answered inside the handler: as if answered at once. */
    assert_int_equal(feed(&c, "GET /defer-now HTTP/1.1\r\n\r\n", &out), DF_HTTP1_KEEP);
    assert_string_equal(out_str(&out), "HTTP/1.1 202 Accepted\r\nContent-Type: text/plain\r\n"
                                       "Content-Length: 3\r\n\r\nnow");
    assert_int_equal(readies, 1);
    df_http1_out_free(&out);
    /* HEAD, deferred: the head only. */
    ctx.ntoks = 0;
    assert_int_equal(feed(&c, "HEAD /defer HTTP/1.1\r\n\r\n", &out), DF_HTTP1_KEEP);
    df_http1_respond(ctx.toks[0], 200, NULL, NULL, 0, "abc", 3);
    assert_int_equal(df_http1_conn_output(&c, &out), DF_HTTP1_KEEP);
    assert_string_equal(out_str(&out), "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n");
    df_http1_out_free(&out);
    assert_int_equal(atomic_load(&ctx.cancels), 0);
    df_http1_conn_free(&c);
}

/* Pipelined requests answered out of order come out in order; a request
 * with `Connection: close` after them closes once everything is out. */
static void test_conn_deferred_in_order(void **state)
{
    (void)state;
    struct ctx ctx = {0};
    struct df_http1_conn c;
    struct df_http1_out out = {0};
    df_http1_conn_init(&c, handler, &ctx, NULL);
    assert_int_equal(
        feed(&c,
             "GET /defer?1 HTTP/1.1\r\n\r\nGET /now HTTP/1.1\r\n\r\n"
             "GET /defer?3 HTTP/1.1\r\n\r\nGET /defer?4 HTTP/1.1\r\n\r\n"
             "GET /last HTTP/1.1\r\nConnection: close\r\n\r\nGET /never HTTP/1.1\r\n\r\n",
             &out),
        DF_HTTP1_PAUSE);
    assert_int_equal(out.len, 0);
    assert_int_equal(atomic_load(&ctx.calls), 5);
    assert_int_equal(df_http1_conn_pending(&c), 5);
    df_http1_respond(ctx.toks[2], 200, "text/plain", NULL, 0, "four", 4);
    df_http1_respond(ctx.toks[1], 200, "text/plain", NULL, 0, "three", 5);
    assert_int_equal(df_http1_conn_output(&c, &out), DF_HTTP1_PAUSE);
    assert_int_equal(out.len, 0); /* all wait for the first */
    df_http1_respond(ctx.toks[0], 200, "text/plain", NULL, 0, "one", 3);
    assert_int_equal(df_http1_conn_output(&c, &out), DF_HTTP1_CLOSE);
    char want[1024];
    snprintf(want, sizeof want, "%s%s%s%s%s", ok("", "one"), ok("", "GET /now - - 0:"),
             ok("", "three"), ok("", "four"), ok("Connection: close\r\n", "GET /last - - 0:"));
    assert_string_equal(out_str(&out), want);
    df_http1_out_free(&out);
    assert_int_equal(feed(&c, "GET /more HTTP/1.1\r\n\r\n", &out), DF_HTTP1_CLOSE);
    assert_int_equal(out.len, 0);
    df_http1_conn_free(&c);
}

/* While max_pending requests wait, the rest of the input is held. */
static void test_conn_deferred_bounded(void **state)
{
    (void)state;
    struct df_http1_limits l = {.max_pending = 2};
    struct ctx ctx = {0};
    struct df_http1_conn c;
    struct df_http1_out out = {0};
    df_http1_conn_init(&c, handler, &ctx, &l);
    assert_int_equal(feed(&c,
                          "GET /defer HTTP/1.1\r\n\r\nGET /defer HTTP/1.1\r\n\r\n"
                          "GET /defer HTTP/1.1\r\n\r\nGET /x HTTP/1.1\r\n\r\n",
                          &out),
                     DF_HTTP1_PAUSE);
    assert_int_equal(atomic_load(&ctx.calls), 2);
    /* Fed anyway while paused: held too. */
    assert_int_equal(feed(&c, "GET /y HTTP/1.1\r\n\r\n", &out), DF_HTTP1_PAUSE);
    assert_int_equal(atomic_load(&ctx.calls), 2);
    df_http1_respond(ctx.toks[1], 200, "text/plain", NULL, 0, "b", 1);
    assert_int_equal(df_http1_conn_output(&c, &out), DF_HTTP1_PAUSE); /* /1 still blocks */
    df_http1_respond(ctx.toks[0], 200, "text/plain", NULL, 0, "a", 1);
    assert_int_equal(df_http1_conn_output(&c, &out), DF_HTTP1_KEEP);
    assert_int_equal(atomic_load(&ctx.calls), 2); /* held input waits for the resume */
    /* The third waits, /x's answer queues behind it: full again. */
    assert_int_equal(df_http1_conn_feed(&c, NULL, 0, &out), DF_HTTP1_PAUSE);
    assert_int_equal(atomic_load(&ctx.calls), 4);
    assert_int_equal(df_http1_conn_pending(&c), 2);
    df_http1_respond(ctx.toks[2], 200, "text/plain", NULL, 0, "c", 1);
    assert_int_equal(df_http1_conn_output(&c, &out), DF_HTTP1_KEEP);
    assert_int_equal(df_http1_conn_feed(&c, NULL, 0, &out), DF_HTTP1_KEEP);
    assert_int_equal(atomic_load(&ctx.calls), 5);
    assert_int_equal(df_http1_conn_pending(&c), 0);
    char want[1024];
    snprintf(want, sizeof want, "%s%s%s%s%s", ok("", "a"), ok("", "b"), ok("", "c"),
             ok("", "GET /x - - 0:"), ok("", "GET /y - - 0:"));
    assert_string_equal(out_str(&out), want);
    df_http1_out_free(&out);
    df_http1_conn_free(&c);
}

/* Errors, 100 Continue and timeouts queue behind outstanding answers. */
static void test_conn_deferred_errors(void **state)
{
    (void)state;
    struct df_http1_limits l = {.max_body_bytes = 4};
    struct ctx ctx = {0};
    struct df_http1_conn c;
    struct df_http1_out out = {0};
    df_http1_conn_init(&c, handler, &ctx, &l);
    assert_int_equal(feed(&c,
                          "GET /defer HTTP/1.1\r\n\r\n"
                          "POST /big HTTP/1.1\r\nContent-Length: 5\r\n\r\nGET /z HTTP/1.1\r\n\r\n",
                          &out),
                     DF_HTTP1_PAUSE);
    assert_int_equal(out.len, 0);
    assert_int_equal(atomic_load(&ctx.calls), 1);
    df_http1_respond(ctx.toks[0], 200, "text/plain", NULL, 0, "a", 1);
    assert_int_equal(df_http1_conn_output(&c, &out), DF_HTTP1_CLOSE);
    const char *got = out_str(&out);
    assert_memory_equal(got, ok("", "a"), strlen(ok("", "a")));
    got += strlen(ok("", "a"));
    assert_memory_equal(got, "HTTP/1.1 413 ", 13);
    assert_non_null(strstr(got, "\r\nConnection: close\r\n"));
    df_http1_out_free(&out);
    df_http1_conn_free(&c);

    /* 100 Continue after the earlier answer; then a timeout mid-request. */
    ctx.ntoks = 0;
    df_http1_conn_init(&c, handler, &ctx, NULL);
    assert_int_equal(feed(&c,
                          "GET /defer HTTP/1.1\r\n\r\nPOST /e HTTP/1.1\r\nExpect: 100-continue\r\n"
                          "Content-Length: 2\r\n\r\n",
                          &out),
                     DF_HTTP1_KEEP);
    assert_int_equal(out.len, 0);
    assert_int_equal(df_http1_conn_timeout(&c, &out), DF_HTTP1_PAUSE);
    assert_int_equal(out.len, 0);
    df_http1_respond(ctx.toks[0], 200, "text/plain", NULL, 0, "a", 1);
    assert_int_equal(df_http1_conn_output(&c, &out), DF_HTTP1_CLOSE);
    got = out_str(&out);
    assert_memory_equal(got, ok("", "a"), strlen(ok("", "a")));
    got += strlen(ok("", "a"));
    assert_memory_equal(got, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 408 ", 38);
    df_http1_out_free(&out);
    df_http1_conn_free(&c);
}

/* The connection goes away with answers outstanding: each owner is told,
 * and the later answer is a harmless no-op (sanitizers watch the frees). */
static void test_conn_deferred_cancel(void **state)
{
    (void)state;
    struct ctx ctx = {0};
    struct df_http1_conn c;
    struct df_http1_out out = {0};
    df_http1_conn_init(&c, handler, &ctx, NULL);
    assert_int_equal(feed(&c, "GET /defer HTTP/1.1\r\n\r\nGET /defer HTTP/1.1\r\n\r\n", &out),
                     DF_HTTP1_KEEP);
    df_http1_conn_abort(&c);
    assert_int_equal(atomic_load(&ctx.cancels), 2);
    assert_int_equal(df_http1_conn_output(&c, &out), DF_HTTP1_CLOSE);
    assert_int_equal(feed(&c, "GET /x HTTP/1.1\r\n\r\n", &out), DF_HTTP1_CLOSE);
    assert_int_equal(out.len, 0);
    assert_int_equal(df_http1_respond(ctx.toks[1], 200, NULL, NULL, 0, "x", 1), 0);
    df_http1_conn_free(&c); /* nothing left to cancel */
    assert_int_equal(atomic_load(&ctx.cancels), 2);
    assert_int_equal(df_http1_respond(ctx.toks[0], 200, NULL, NULL, 0, "x", 1), 0);

    /* The owner answers from inside the cancel callback; freed with the
     * connection. */
    struct ctx ctx2 = {.answer_on_cancel = true};
    df_http1_conn_init(&c, handler, &ctx2, NULL);
    assert_int_equal(feed(&c, "GET /defer HTTP/1.1\r\n\r\nGET /defer HTTP/1.1\r\n\r\n", &out),
                     DF_HTTP1_KEEP);
    df_http1_conn_free(&c);
    assert_int_equal(atomic_load(&ctx2.cancels), 2);
    assert_null(ctx2.toks[0]);
    assert_null(ctx2.toks[1]);
}

/* ---- the head hook ------------------------------------------------------ */

static int head_marker;
static int head_calls;

/* Lets `Authorization: good` through (marking the request); answers 401
 * with a challenge otherwise. */
static void head_hook(void *ud, const struct df_http1_request *head, struct df_http1_response *res,
                      void **user)
{
    (void)ud;
    head_calls++;
    assert_int_equal(head->body_len, 0);
    assert_null(head->user);
    assert_null(*user);
    const char *auth = df_http1_request_header(head, "authorization");
    if (auth && !strcmp(auth, "good")) {
        *user = &head_marker;
        return;
    }
    static const struct df_http1_header h[] = {{"WWW-Authenticate", "Bearer"}};
    df_http1_response_text(res, 401, "text/plain", "no");
    res->headers = h;
    res->nheaders = 1;
}

/* Answers `user=<marked|none> <body length>`. */
static void head_handler(void *ud, const struct df_http1_request *req,
                         struct df_http1_response *res)
{
    struct ctx *ctx = ud;
    atomic_fetch_add(&ctx->calls, 1);
    df_http1_response_text(res, 200, "text/plain", "user=%s %zu",
                           req->user == &head_marker ? "marked" : "none", req->body_len);
}

#define REFUSED                                                                                    \
    "HTTP/1.1 401 Unauthorized\r\nContent-Type: text/plain\r\nWWW-Authenticate: Bearer\r\n"        \
    "Content-Length: 2\r\n\r\nno"

static void head_conn(struct df_http1_conn *c, struct ctx *ctx, const struct df_http1_limits *l)
{
    memset(ctx, 0, sizeof *ctx);
    head_calls = 0;
    df_http1_conn_init(c, head_handler, ctx, l);
    df_http1_conn_set_head(c, head_hook);
}

static void test_conn_head_hook(void **state)
{
    (void)state;
    struct ctx ctx;
    struct df_http1_conn c;
    struct df_http1_out out = {0};
    static const char good[] = "POST /in HTTP/1.1\r\nAuthorization: good\r\nContent-Length: 3\r\n"
                               "\r\nabc";
    char want[512];
    snprintf(want, sizeof want, "%s", ok("", "user=marked 3"));

    /* Refused at its head: answered before any body byte, the body (100000
     * bytes, fed in pieces) dropped, and the connection serves the next
     * request. */
    head_conn(&c, &ctx, NULL);
    assert_int_equal(feed(&c, "POST /in HTTP/1.1\r\nContent-Length: 100000\r\n\r\n", &out),
                     DF_HTTP1_KEEP);
    assert_string_equal(out_str(&out), REFUSED);
    df_http1_out_free(&out);
    assert_int_equal(df_http1_conn_phase(&c), DF_HTTP1_BODY);
    char chunk[10000];
    memset(chunk, 'b', sizeof chunk);
    for (int i = 0; i < 10; i++)
        assert_int_equal(df_http1_conn_feed(&c, (const uint8_t *)chunk, sizeof chunk, &out),
                         DF_HTTP1_KEEP);
    assert_int_equal(out.len, 0);
    assert_null(c.body); /* never buffered */
    assert_int_equal(df_http1_conn_phase(&c), DF_HTTP1_IDLE);
    assert_int_equal(feed(&c, good, &out), DF_HTTP1_KEEP);
    assert_string_equal(out_str(&out), want);
    df_http1_out_free(&out);
    assert_int_equal(atomic_load(&ctx.calls), 1); /* the refused one never reached it */
    assert_int_equal(head_calls, 2);
    assert_int_equal(df_http1_conn_requests(&c), 2);

    /* Chunked, pipelined behind it in one feed: the same. */
    char both[512];
    snprintf(both, sizeof both, "%s%s",
             "POST /in HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
             "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
             good);
    assert_int_equal(feed(&c, both, &out), DF_HTTP1_KEEP);
    char want2[1024];
    snprintf(want2, sizeof want2, "%s%s", REFUSED, want);
    assert_string_equal(out_str(&out), want2);
    df_http1_out_free(&out);
    /* A refused request without a body. */
    assert_int_equal(feed(&c, "GET /x HTTP/1.1\r\n\r\n", &out), DF_HTTP1_KEEP);
    assert_string_equal(out_str(&out), REFUSED);
    df_http1_out_free(&out);
    assert_int_equal(atomic_load(&ctx.calls), 2);
    df_http1_conn_free(&c);

    /* A client waiting for 100 Continue gets the refusal instead, and the
     * connection closes (the body may or may not follow). */
    head_conn(&c, &ctx, NULL);
    assert_int_equal(
        feed(&c, "POST /in HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n", &out),
        DF_HTTP1_CLOSE);
    assert_null(strstr(out_str(&out), "100 Continue"));
    assert_memory_equal(out.data, "HTTP/1.1 401 Unauthorized\r\n", 27);
    assert_non_null(strstr(out_str(&out), "\r\nConnection: close\r\n"));
    df_http1_out_free(&out);
    df_http1_conn_free(&c);
    /* Allowed, it gets its 100 Continue as usual. */
    head_conn(&c, &ctx, NULL);
    assert_int_equal(feed(&c,
                          "POST /in HTTP/1.1\r\nAuthorization: good\r\nExpect: 100-continue\r\n"
                          "Content-Length: 2\r\n\r\n",
                          &out),
                     DF_HTTP1_KEEP);
    assert_string_equal(out_str(&out), "HTTP/1.1 100 Continue\r\n\r\n");
    df_http1_out_free(&out);
    df_http1_conn_free(&c);

    /* Connection: close: refused and closed. */
    head_conn(&c, &ctx, NULL);
    assert_int_equal(
        feed(&c, "POST /in HTTP/1.1\r\nConnection: close\r\nContent-Length: 5\r\n\r\nab", &out),
        DF_HTTP1_CLOSE);
    assert_non_null(strstr(out_str(&out), "\r\nConnection: close\r\n"));
    df_http1_out_free(&out);
    df_http1_conn_free(&c);

    /* A dropped body is still bounded: past max_body_bytes the connection
     * just closes, with no second answer. */
    struct df_http1_limits l = {.max_body_bytes = 100};
    head_conn(&c, &ctx, &l);
    assert_int_equal(feed(&c, "POST /in HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", &out),
                     DF_HTTP1_KEEP);
    assert_string_equal(out_str(&out), REFUSED);
    df_http1_out_free(&out);
    char big[256];
    memset(big, 'z', sizeof big);
    assert_int_equal(feed(&c, "100\r\n", &out), DF_HTTP1_KEEP);
    assert_int_equal(df_http1_conn_feed(&c, (const uint8_t *)big, sizeof big, &out),
                     DF_HTTP1_CLOSE);
    assert_int_equal(out.len, 0);
    df_http1_conn_free(&c);

    /* And by the body timeout: closed without a 408. */
    head_conn(&c, &ctx, NULL);
    assert_int_equal(feed(&c, "POST /in HTTP/1.1\r\nContent-Length: 10\r\n\r\nab", &out),
                     DF_HTTP1_KEEP);
    df_http1_out_free(&out);
    assert_int_equal(df_http1_conn_timeout(&c, &out), DF_HTTP1_CLOSE);
    assert_int_equal(out.len, 0);
    df_http1_conn_free(&c);

    /* Behind a deferred answer, the refusal waits its turn. */
    head_conn(&c, &ctx, NULL);
    c.fn = handler; /* "/defer" defers */
    assert_int_equal(feed(&c,
                          "GET /defer HTTP/1.1\r\nAuthorization: good\r\n\r\n"
                          "GET /x HTTP/1.1\r\n\r\n",
                          &out),
                     DF_HTTP1_KEEP);
    assert_int_equal(out.len, 0);
    assert_int_equal(ctx.ntoks, 1);
    assert_int_equal(df_http1_respond(ctx.toks[0], 200, "text/plain", NULL, 0, "d", 1), 0);
    assert_int_equal(df_http1_conn_output(&c, &out), DF_HTTP1_KEEP);
    char want3[512];
    snprintf(want3, sizeof want3, "%s%s", ok("", "d"), REFUSED);
    assert_string_equal(out_str(&out), want3);
    df_http1_out_free(&out);
    df_http1_conn_free(&c);
}

static void test_conn_response_headers(void **state)
{
    (void)state;
    expect_exchange(NULL, "GET /with-headers HTTP/1.1\r\n\r\n", DF_HTTP1_KEEP,
                    "HTTP/1.1 429 Too Many Requests\r\nContent-Type: text/plain\r\n"
                    "Retry-After: 30\r\nAccess-Control-Allow-Origin: *\r\nContent-Length: 9\r\n"
                    "\r\nslow down");
    const char *invalid = "HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain; "
                          "charset=utf-8\r\nContent-Length: 60\r\n\r\n"
                          "internal server error: the handler gave an invalid response\n";
    for (int i = 0; i < 6; i++) {
        char req[64];
        snprintf(req, sizeof req, "GET /bad-header/%d HTTP/1.1\r\n\r\n", i);
        expect_exchange(NULL, req, DF_HTTP1_KEEP, invalid);
    }
}

/* ---- a real server on a loop thread ----------------------------------------- */

struct fixture {
    struct ctx ctx;
    struct df_http1_limits limits;
    df_http1_handler_fn handler;
    bool reuseport;
    int bind_port;
    uv_loop_t loop;
    uv_async_t stop;
    pthread_t thread;
    struct df_http1_server *srv;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool started;
    int port;
    char err[256];
    atomic_int done_calls;
    int loop_close_rc;
};

static void on_server_closed(void *ud)
{
    struct fixture *f = ud;
    atomic_fetch_add(&f->done_calls, 1);
}

static void on_stop(uv_async_t *a)
{
    struct fixture *f = a->data;
    df_http1_server_close(f->srv, on_server_closed, f);
    uv_close((uv_handle_t *)a, NULL);
}

static void *server_main(void *arg)
{
    struct fixture *f = arg;
    uv_loop_init(&f->loop);
    uv_async_init(&f->loop, &f->stop, on_stop);
    f->stop.data = f;
    struct sockaddr_in a;
    uv_ip4_addr("127.0.0.1", f->bind_port, &a);
    f->ctx.loop = &f->loop;
    struct df_http1_server_config cfg = {.limits = f->limits, .reuseport = f->reuseport};
    f->srv = df_http1_server_start(&f->loop, (const struct sockaddr *)&a, f->handler, &f->ctx, &cfg,
                                   f->err, sizeof f->err);
    pthread_mutex_lock(&f->mu);
    f->port = f->srv ? df_http1_server_port(f->srv) : -1;
    f->started = true;
    pthread_cond_signal(&f->cv);
    pthread_mutex_unlock(&f->mu);
    if (!f->srv)
        uv_close((uv_handle_t *)&f->stop, NULL);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    f->loop_close_rc = uv_loop_close(&f->loop);
    return NULL;
}

static struct fixture *start_server_with(const struct df_http1_limits *limits,
                                         df_http1_handler_fn fn, bool reuseport, int port)
{
    struct fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    if (limits)
        f->limits = *limits;
    f->handler = fn;
    f->reuseport = reuseport;
    f->bind_port = port;
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->cv, NULL);
    assert_int_equal(pthread_create(&f->thread, NULL, server_main, f), 0);
    pthread_mutex_lock(&f->mu);
    while (!f->started)
        pthread_cond_wait(&f->cv, &f->mu);
    pthread_mutex_unlock(&f->mu);
    if (f->port <= 0)
        print_error("server did not start: %s\n", f->err);
    assert_true(f->port > 0);
    return f;
}

static struct fixture *start_server(const struct df_http1_limits *limits)
{
    return start_server_with(limits, handler, false, 0);
}

/* Closes the server from its loop and expects the loop to end with every
 * handle closed and `done` called once. */
static void stop_server_keep(struct fixture *f)
{
    uv_async_send(&f->stop);
    assert_int_equal(pthread_join(f->thread, NULL), 0);
    assert_int_equal(atomic_load(&f->done_calls), 1);
    assert_int_equal(f->loop_close_rc, 0);
    pthread_mutex_destroy(&f->mu);
    pthread_cond_destroy(&f->cv);
}

static void stop_server(struct fixture *f)
{
    stop_server_keep(f);
    free(f);
}

struct client {
    int fd;
    size_t len;
    char buf[1 << 16];
};

static struct client *client_open(int port)
{
    struct client *c = calloc(1, sizeof *c);
    assert_non_null(c);
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(c->fd >= 0);
    struct timeval tv = {.tv_sec = 5};
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(c->fd, (struct sockaddr *)&a, sizeof a), 0);
    return c;
}

static void client_close(struct client *c)
{
    close(c->fd);
    free(c);
}

/* Sends it all; false when the peer is gone. */
static bool client_send_n(struct client *c, const void *data, size_t len)
{
    const char *p = data;
    while (len) {
        ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);
        if (n <= 0)
            return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}

static bool client_send(struct client *c, const char *s)
{
    return client_send_n(c, s, strlen(s));
}

/* Receives more into buf: >0 bytes, 0 at EOF or reset, -1 on timeout. */
static ssize_t client_recv(struct client *c)
{
    assert_true(c->len < sizeof c->buf);
    ssize_t n = recv(c->fd, c->buf + c->len, sizeof c->buf - c->len, 0);
    if (n < 0 && errno == ECONNRESET)
        return 0;
    if (n < 0)
        return -1;
    c->len += (size_t)n;
    return n;
}

struct response {
    int status;
    char head[4096];
    char body[1 << 15];
    size_t body_len;
};

/* Header value in a response head ("" when absent). */
static const char *resp_header(const struct response *r, const char *name, char *out, size_t len)
{
    out[0] = '\0';
    size_t nlen = strlen(name);
    for (const char *line = strstr(r->head, "\r\n"); line && line[2];
         line = strstr(line + 2, "\r\n")) {
        if (strncasecmp(line + 2, name, nlen) == 0 && line[2 + nlen] == ':') {
            const char *v = line + 3 + nlen;
            while (*v == ' ')
                v++;
            const char *end = strstr(v, "\r\n");
            snprintf(out, len, "%.*s", (int)(end ? end - v : (long)strlen(v)), v);
            break;
        }
    }
    return out;
}

/* The end of a response head in buf[0..len), or NULL. */
static char *find_head_end(char *buf, size_t len)
{
    for (size_t i = 0; i + 4 <= len; i++)
        if (memcmp(buf + i, "\r\n\r\n", 4) == 0)
            return buf + i;
    return NULL;
}

/* Reads one response (no body when `head_only`); false on EOF or timeout. */
static bool read_response(struct client *c, struct response *r, bool head_only)
{
    memset(r, 0, sizeof *r);
    char *end;
    while (!(end = find_head_end(c->buf, c->len)))
        if (client_recv(c) <= 0)
            return false;
    size_t hlen = (size_t)(end - c->buf) + 4;
    assert_true(hlen < sizeof r->head);
    memcpy(r->head, c->buf, hlen);
    r->head[hlen] = '\0';
    assert_int_equal(sscanf(r->head, "HTTP/1.1 %d ", &r->status), 1);
    char v[64];
    size_t blen = head_only ? 0 : strtoul(resp_header(r, "Content-Length", v, sizeof v), NULL, 10);
    assert_true(blen < sizeof r->body);
    while (c->len < hlen + blen)
        if (client_recv(c) <= 0)
            return false;
    memcpy(r->body, c->buf + hlen, blen);
    r->body[blen] = '\0';
    r->body_len = blen;
    memmove(c->buf, c->buf + hlen + blen, c->len - hlen - blen);
    c->len -= hlen + blen;
    return true;
}

/* Waits for the server to close (EOF or reset) with no more bytes. */
static bool wait_closed(struct client *c)
{
    for (;;) {
        ssize_t n = client_recv(c);
        if (n == 0)
            return c->len == 0;
        if (n < 0)
            return false;
    }
}

static void expect_ok(struct client *c, const char *req, const char *body)
{
    struct response r;
    assert_true(client_send(c, req));
    assert_true(read_response(c, &r, false));
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, body);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void test_server_get(void **state)
{
    (void)state;
    struct fixture *f = start_server(NULL);
    struct client *c = client_open(f->port);
    struct response r;
    assert_true(client_send(c, "GET /hello?a=1&b=%20 HTTP/1.1\r\nHost: x\r\nX-Test: yes\r\n\r\n"));
    assert_true(read_response(c, &r, false));
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "GET /hello a=1&b=%20 yes 0:");
    char v[64];
    assert_string_equal(resp_header(&r, "Content-Type", v, sizeof v), "text/plain");
    assert_string_equal(resp_header(&r, "Content-Length", v, sizeof v), "27");
    assert_string_equal(resp_header(&r, "Connection", v, sizeof v), "");
    assert_true(client_send(c, "GET /missing HTTP/1.1\r\n\r\n"));
    assert_true(read_response(c, &r, false));
    assert_int_equal(r.status, 404);
    assert_memory_equal(r.head, "HTTP/1.1 404 Not Found\r\n", 24);
    client_close(c);
    stop_server(f);
}

static void test_server_keepalive_and_head(void **state)
{
    (void)state;
    struct fixture *f = start_server(NULL);
    struct client *c = client_open(f->port);
    expect_ok(c, "GET /one HTTP/1.1\r\n\r\n", "GET /one - - 0:");
    /* HEAD: headers only; the next response on the connection parses. */
    struct response r;
    assert_true(client_send(c, "HEAD /two HTTP/1.1\r\n\r\n"));
    assert_true(read_response(c, &r, true));
    assert_int_equal(r.status, 200);
    char v[64];
    assert_string_equal(resp_header(&r, "Content-Length", v, sizeof v),
                        "16"); /* "HEAD /two - - 0:" */
    expect_ok(c, "GET /three HTTP/1.1\r\n\r\n", "GET /three - - 0:");
    assert_int_equal(atomic_load(&f->ctx.calls), 3);
    client_close(c);
    stop_server(f);
}

static void test_server_pipelined(void **state)
{
    (void)state;
    struct fixture *f = start_server(NULL);
    struct client *c = client_open(f->port);
    assert_true(client_send(c,
                            "GET /a HTTP/1.1\r\n\r\nPOST /b HTTP/1.1\r\nContent-Length: 2\r\n\r\n"
                            "xyGET /c?d HTTP/1.1\r\n\r\n"));
    struct response r;
    assert_true(read_response(c, &r, false));
    assert_string_equal(r.body, "GET /a - - 0:");
    assert_true(read_response(c, &r, false));
    assert_string_equal(r.body, "POST /b - - 2:xy");
    assert_true(read_response(c, &r, false));
    assert_string_equal(r.body, "GET /c d - 0:");
    client_close(c);
    stop_server(f);
}

static void test_server_post(void **state)
{
    (void)state;
    struct fixture *f = start_server(NULL);
    struct client *c = client_open(f->port);
    expect_ok(c, "POST /p HTTP/1.1\r\nContent-Length: 11\r\n\r\nhello world",
              "POST /p - - 11:hello world");
    expect_ok(c, "POST /p HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
              "POST /p - - 3:abc");
    /* A body in pieces, with 100-continue. */
    struct response r;
    assert_true(
        client_send(c, "PUT /q HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 6\r\n\r\n"));
    assert_true(read_response(c, &r, false));
    assert_int_equal(r.status, 100);
    assert_true(client_send(c, "abc"));
    assert_true(client_send(c, "def"));
    assert_true(read_response(c, &r, false));
    assert_string_equal(r.body, "PUT /q - - 6:abcdef");
    client_close(c);
    stop_server(f);
}

static void test_server_connection_close_and_http10(void **state)
{
    (void)state;
    struct fixture *f = start_server(NULL);
    struct response r;
    char v[64];
    struct client *c = client_open(f->port);
    assert_true(client_send(c, "GET /bye HTTP/1.1\r\nConnection: close\r\n\r\n"));
    assert_true(read_response(c, &r, false));
    assert_string_equal(r.body, "GET /bye - - 0:");
    assert_string_equal(resp_header(&r, "Connection", v, sizeof v), "close");
    assert_true(wait_closed(c));
    client_close(c);

    c = client_open(f->port);
    assert_true(client_send(c, "GET /old HTTP/1.0\r\n\r\n"));
    assert_true(read_response(c, &r, false));
    assert_string_equal(r.body, "GET /old - - 0:");
    assert_string_equal(resp_header(&r, "Connection", v, sizeof v), "close");
    assert_true(wait_closed(c));
    client_close(c);

    c = client_open(f->port);
    assert_true(client_send(c, "GET /old HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
    assert_true(read_response(c, &r, false));
    assert_string_equal(resp_header(&r, "Connection", v, sizeof v), "keep-alive");
    expect_ok(c, "GET /again HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", "GET /again - - 0:");
    client_close(c);

    /* A client that half-closes after its request still gets the answer. */
    c = client_open(f->port);
    assert_true(client_send(c, "GET /half HTTP/1.1\r\n\r\n"));
    shutdown(c->fd, SHUT_WR);
    assert_true(read_response(c, &r, false));
    assert_string_equal(r.body, "GET /half - - 0:");
    assert_true(wait_closed(c));
    client_close(c);
    stop_server(f);
}

static void test_server_malformed(void **state)
{
    (void)state;
    struct fixture *f = start_server(NULL);
    struct client *c = client_open(f->port);
    struct response r;
    assert_true(client_send(c, "GET / HTTP/1.1\r\nBroken header line\r\n\r\n"));
    assert_true(read_response(c, &r, false));
    assert_int_equal(r.status, 400);
    assert_memory_equal(r.body, "bad request: ", 13);
    char v[64];
    assert_string_equal(resp_header(&r, "Connection", v, sizeof v), "close");
    assert_true(wait_closed(c));
    client_close(c);
    /* The server still serves. */
    c = client_open(f->port);
    expect_ok(c, "GET /fine HTTP/1.1\r\n\r\n", "GET /fine - - 0:");
    client_close(c);
    assert_int_equal(atomic_load(&f->ctx.calls), 1);
    stop_server(f);
}

static void test_server_oversized(void **state)
{
    (void)state;
    struct df_http1_limits l = {.max_head_bytes = 1024, .max_body_bytes = 4096};
    struct fixture *f = start_server(&l);
    struct response r;
    static char big[1 << 16];

    struct client *c = client_open(f->port);
    int n = snprintf(big, sizeof big, "GET / HTTP/1.1\r\nX-Big: %02000d\r\n\r\n", 0);
    assert_true(client_send_n(c, big, (size_t)n));
    assert_true(read_response(c, &r, false));
    assert_int_equal(r.status, 431);
    assert_true(wait_closed(c));
    client_close(c);

    /* Declared too large: 413 though the client goes on sending a body
     * larger than the socket buffers (the server drains it while closing,
     * so the answer is not lost to a TCP reset). */
    c = client_open(f->port);
    assert_true(client_send(c, "POST / HTTP/1.1\r\nContent-Length: 4194304\r\n\r\n"));
    memset(big, 'b', sizeof big);
    bool sent_all = true;
    for (int i = 0; i < 64 && sent_all; i++)
        sent_all = client_send_n(c, big, sizeof big);
    assert_true(sent_all);
    assert_true(read_response(c, &r, false));
    assert_int_equal(r.status, 413);
    char v[64];
    assert_string_equal(resp_header(&r, "Connection", v, sizeof v), "close");
    assert_true(wait_closed(c));
    client_close(c);

    /* Chunked past the limit. */
    c = client_open(f->port);
    assert_true(client_send(c, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"));
    memset(big, 'c', 1000);
    for (int i = 0; i < 5; i++) {
        client_send(c, "3e8\r\n");
        client_send_n(c, big, 1000);
        client_send(c, "\r\n");
    }
    assert_true(read_response(c, &r, false));
    assert_int_equal(r.status, 413);
    assert_true(wait_closed(c));
    client_close(c);
    assert_int_equal(atomic_load(&f->ctx.calls), 0);
    stop_server(f);
}

/* A client that pipelines requests for large answers without reading:
 * the server stops reading while its output is backed up, and resumes once
 * the client catches up, answering everything in order. */
static void test_server_backpressure(void **state)
{
    (void)state;
    struct fixture *f = start_server(NULL);
    struct client *c = client_open(f->port);
    static char reqs[300 * 32];
    size_t n = 0;
    for (int i = 0; i < 300; i++)
        n += (size_t)snprintf(reqs + n, sizeof reqs - n, "GET /big HTTP/1.1\r\n\r\n");
    assert_true(client_send_n(c, reqs, n)); /* 9 MB of answers */
    double deadline = now_ms() + 5000;
    while (atomic_load(&f->ctx.calls) < 300 && now_ms() < deadline)
        usleep(1000);
    assert_int_equal(atomic_load(&f->ctx.calls), 300);
    /* Sent while the server is backed up: read only after it resumes. */
    assert_true(client_send(c, "GET /last HTTP/1.1\r\n\r\n"));
    struct response r;
    for (int i = 0; i < 300; i++) {
        assert_true(read_response(c, &r, false));
        assert_int_equal(r.status, 200);
        assert_int_equal(r.body_len, BIG_BODY);
    }
    assert_true(read_response(c, &r, false));
    assert_string_equal(r.body, "GET /last - - 0:");
    client_close(c);
    stop_server(f);
}

static void test_server_too_many_connections(void **state)
{
    (void)state;
    struct df_http1_limits l = {.max_connections = 2};
    struct fixture *f = start_server(&l);
    struct client *a = client_open(f->port);
    struct client *b = client_open(f->port);
    expect_ok(a, "GET /a HTTP/1.1\r\n\r\n", "GET /a - - 0:");
    expect_ok(b, "GET /b HTTP/1.1\r\n\r\n", "GET /b - - 0:");
    /* The third is accepted and closed at once, unanswered. */
    struct client *x = client_open(f->port);
    client_send(x, "GET /x HTTP/1.1\r\n\r\n");
    assert_true(wait_closed(x));
    client_close(x);
    /* The first two still work. */
    expect_ok(a, "GET /a2 HTTP/1.1\r\n\r\n", "GET /a2 - - 0:");
    /* Once one leaves, a new connection gets in (the server sees the close
     * asynchronously: retry until it does). */
    client_close(a);
    bool served = false;
    double deadline = now_ms() + 5000;
    while (!served && now_ms() < deadline) {
        struct client *y = client_open(f->port);
        struct response r;
        served = client_send(y, "GET /y HTTP/1.1\r\n\r\n") && read_response(y, &r, false) &&
                 r.status == 200 && strcmp(r.body, "GET /y - - 0:") == 0;
        client_close(y);
        if (!served)
            usleep(10000);
    }
    assert_true(served);
    client_close(b);
    stop_server(f);
}

static void test_server_timeouts(void **state)
{
    (void)state;
    struct df_http1_limits l = {.header_timeout_ms = 300, .body_timeout_ms = 300};
    struct fixture *f = start_server(&l);

    /* Idle: closed without a response. */
    struct client *c = client_open(f->port);
    double t0 = now_ms();
    assert_true(wait_closed(c));
    double waited = now_ms() - t0;
    assert_true(waited >= 250);
    assert_true(waited < 4000);
    client_close(c);

    /* Idle after a request: the timer restarts, then closes. */
    c = client_open(f->port);
    expect_ok(c, "GET /k HTTP/1.1\r\n\r\n", "GET /k - - 0:");
    assert_true(wait_closed(c));
    client_close(c);

    /* A head that never ends: 408, even when bytes keep trickling. */
    c = client_open(f->port);
    struct response r;
    assert_true(client_send(c, "GET / HTTP/1.1\r\n"));
    t0 = now_ms();
    for (int i = 0; i < 3; i++) {
        usleep(50000);
        client_send(c, "X-A: b\r\n");
    }
    assert_true(read_response(c, &r, false));
    assert_int_equal(r.status, 408);
    assert_true(now_ms() - t0 < 4000);
    assert_true(wait_closed(c));
    client_close(c);

    /* A body that never ends: 408. */
    c = client_open(f->port);
    assert_true(client_send(c, "POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nab"));
    assert_true(read_response(c, &r, false));
    assert_int_equal(r.status, 408);
    assert_true(wait_closed(c));
    client_close(c);
    assert_int_equal(atomic_load(&f->ctx.calls), 1);
    stop_server(f);
}

static void test_server_close_with_open_connections(void **state)
{
    (void)state;
    struct fixture *f = start_server(NULL);
    struct client *idle = client_open(f->port);
    expect_ok(idle, "GET /i HTTP/1.1\r\n\r\n", "GET /i - - 0:");
    struct client *partial = client_open(f->port);
    assert_true(client_send(partial, "POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\nabc"));
    struct client *fresh = client_open(f->port);
    /* Make sure the server has seen all three before closing. */
    struct client *probe = client_open(f->port);
    expect_ok(probe, "GET /p HTTP/1.1\r\n\r\n", "GET /p - - 0:");
    stop_server(f); /* joins the loop thread: every handle closed, done called */
    assert_true(wait_closed(idle));
    assert_true(wait_closed(partial));
    assert_true(wait_closed(fresh));
    assert_true(wait_closed(probe));
    client_close(idle);
    client_close(partial);
    client_close(fresh);
    client_close(probe);
}

static void test_server_listen_errors(void **state)
{
    (void)state;
    struct fixture *f = start_server(NULL);
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct sockaddr_in a;
    uv_ip4_addr("127.0.0.1", f->port, &a);
    struct ctx ctx = {0};
    char err[256] = "";
    assert_null(df_http1_server_start(&loop, (const struct sockaddr *)&a, handler, &ctx, NULL, err,
                                      sizeof err));
    char want[128];
    snprintf(want, sizeof want, "cannot listen on 127.0.0.1:%d: address already in use", f->port);
    assert_string_equal(err, want);
    /* Nothing was left on the loop. */
    assert_int_equal(uv_run(&loop, UV_RUN_NOWAIT), 0);
    assert_int_equal(uv_loop_close(&loop), 0);
    stop_server(f);
}

/* ---- deferred answers over sockets --------------------------------------------- */

/* A deferred answer, given by a loop timer. */
struct later {
    uv_timer_t timer;
    struct df_http1_pending *tok;
    int status;
    char body[96];
    char origin[96];
};

static void later_closed(uv_handle_t *h)
{
    free(h->data);
}

static void later_fire(uv_timer_t *t)
{
    struct later *l = t->data;
    struct df_http1_header h[] = {{"Retry-After", "7"}, {"Access-Control-Allow-Origin", l->origin}};
    df_http1_respond(l->tok, l->status, "text/plain", h, l->origin[0] ? 2 : 1, l->body,
                     strlen(l->body));
    uv_close((uv_handle_t *)t, later_closed);
}

/* "/later/MS" answers after MS milliseconds (status from `?503`), echoing
 * Origin in Access-Control-Allow-Origin; anything else goes to handler(). */
static void later_handler(void *ud, const struct df_http1_request *req,
                          struct df_http1_response *res)
{
    struct ctx *ctx = ud;
    struct later *l = strncmp(req->path, "/later/", 7) == 0 ? calloc(1, sizeof *l) : NULL;
    if (!l) {
        handler(ud, req, res);
        return;
    }
    atomic_fetch_add(&ctx->calls, 1);
    l->tok = df_http1_defer(req, on_cancel, ctx);
    l->status = req->query ? atoi(req->query) : 200;
    snprintf(l->body, sizeof l->body, "%s %s %zu", req->method, req->path, req->body_len);
    const char *origin = df_http1_request_header(req, "origin");
    snprintf(l->origin, sizeof l->origin, "%s", origin ? origin : "");
    uv_timer_init(ctx->loop, &l->timer);
    l->timer.data = l;
    uv_timer_start(&l->timer, later_fire, (uint64_t)atoi(req->path + 7), 0);
}

static void test_server_deferred(void **state)
{
    (void)state;
    struct fixture *f = start_server_with(NULL, later_handler, false, 0);
    struct client *c = client_open(f->port);
    struct response r;
    char v[64];
    assert_true(client_send(c, "POST /later/50?503 HTTP/1.1\r\nOrigin: https://x.example\r\n"
                               "Content-Type: application/x-protobuf\r\nContent-Length: 3\r\n\r\n"
                               "abc"));
    assert_true(read_response(c, &r, false));
    assert_int_equal(r.status, 503);
    assert_string_equal(r.body, "POST /later/50 3");
    assert_string_equal(resp_header(&r, "Retry-After", v, sizeof v), "7");
    assert_string_equal(resp_header(&r, "Access-Control-Allow-Origin", v, sizeof v),
                        "https://x.example");
    /* The connection goes on, and idles without being timed out early. */
    expect_ok(c, "GET /sync HTTP/1.1\r\n\r\n", "GET /sync - - 0:");
    /* Pipelined, the first answered last: in request order all the same. */
    assert_true(client_send(c, "GET /later/300 HTTP/1.1\r\n\r\nGET /later/10 HTTP/1.1\r\n\r\n"
                               "GET /now HTTP/1.1\r\n\r\nGET /later/100 HTTP/1.1\r\n\r\n"));
    assert_true(read_response(c, &r, false));
    assert_string_equal(r.body, "GET /later/300 0");
    assert_true(read_response(c, &r, false));
    assert_string_equal(r.body, "GET /later/10 0");
    assert_true(read_response(c, &r, false));
    assert_string_equal(r.body, "GET /now - - 0:");
    assert_true(read_response(c, &r, false));
    assert_string_equal(r.body, "GET /later/100 0");
    client_close(c);
    assert_int_equal(atomic_load(&f->ctx.cancels), 0);
    stop_server(f);
}

/* max_pending: the server stops reading while that many answers wait, and
 * serves the rest once they come. */
static void test_server_deferred_bounded(void **state)
{
    (void)state;
    struct df_http1_limits l = {.max_pending = 2};
    struct fixture *f = start_server_with(&l, later_handler, false, 0);
    struct client *c = client_open(f->port);
    assert_true(client_send(c, "GET /later/200 HTTP/1.1\r\n\r\nGET /later/200 HTTP/1.1\r\n\r\n"
                               "GET /later/0 HTTP/1.1\r\n\r\nGET /x HTTP/1.1\r\nConnection: "
                               "close\r\n\r\n"));
    usleep(100000);
    assert_int_equal(atomic_load(&f->ctx.calls), 2);
    struct response r;
    assert_true(read_response(c, &r, false));
    assert_string_equal(r.body, "GET /later/200 0");
    assert_true(read_response(c, &r, false));
    assert_true(read_response(c, &r, false));
    assert_string_equal(r.body, "GET /later/0 0");
    assert_true(read_response(c, &r, false));
    assert_string_equal(r.body, "GET /x - - 0:");
    assert_true(wait_closed(c));
    assert_int_equal(atomic_load(&f->ctx.calls), 4);
    client_close(c);
    stop_server(f);
}

/* The client leaves while its answer is pending: the owner is told, and the
 * answer that comes later is dropped. */
static void test_server_deferred_disconnect(void **state)
{
    (void)state;
    struct fixture *f = start_server_with(NULL, later_handler, false, 0);
    struct client *c = client_open(f->port);
    assert_true(client_send(c, "GET /later/300 HTTP/1.1\r\n\r\n"));
    double deadline = now_ms() + 5000;
    while (atomic_load(&f->ctx.calls) < 1 && now_ms() < deadline)
        usleep(1000);
    client_close(c);
    while (atomic_load(&f->ctx.cancels) < 1 && now_ms() < deadline)
        usleep(1000);
    assert_int_equal(atomic_load(&f->ctx.cancels), 1);
    /* A reset rather than an end: the same. */
    c = client_open(f->port);
    assert_true(client_send(c, "GET /later/300 HTTP/1.1\r\n\r\n"));
    while (atomic_load(&f->ctx.calls) < 2 && now_ms() < deadline)
        usleep(1000);
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    client_close(c);
    while (atomic_load(&f->ctx.cancels) < 2 && now_ms() < deadline)
        usleep(1000);
    assert_int_equal(atomic_load(&f->ctx.cancels), 2);
    /* Closing the server with an answer pending cancels it too. */
    c = client_open(f->port);
    assert_true(client_send(c, "GET /later/300 HTTP/1.1\r\n\r\n"));
    while (atomic_load(&f->ctx.calls) < 3 && now_ms() < deadline)
        usleep(1000);
    stop_server_keep(f);
    assert_int_equal(atomic_load(&f->ctx.cancels), 3);
    free(f);
    assert_true(wait_closed(c));
    client_close(c);
}

/* Two servers with SO_REUSEPORT on one port: the kernel gives both
 * connections. */
static void test_server_reuseport(void **state)
{
    (void)state;
    struct fixture *a = start_server_with(NULL, handler, true, 0);
    struct fixture *b = start_server_with(NULL, handler, true, a->port);
    assert_int_equal(b->port, a->port);
    for (int i = 0; i < 200 && (!atomic_load(&a->ctx.calls) || !atomic_load(&b->ctx.calls)); i++) {
        struct client *c = client_open(a->port);
        expect_ok(c, "GET /r HTTP/1.1\r\n\r\n", "GET /r - - 0:");
        client_close(c);
    }
    assert_true(atomic_load(&a->ctx.calls) > 0);
    assert_true(atomic_load(&b->ctx.calls) > 0);
    stop_server(b);
    stop_server(a);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN); /* as the engine must; see admin/http.h */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conn_get),
        cmocka_unit_test(test_conn_headers),
        cmocka_unit_test(test_conn_split_anywhere),
        cmocka_unit_test(test_conn_pipelined),
        cmocka_unit_test(test_conn_http10),
        cmocka_unit_test(test_conn_other_targets),
        cmocka_unit_test(test_conn_head_and_special_responses),
        cmocka_unit_test(test_conn_malformed),
        cmocka_unit_test(test_conn_head_limits),
        cmocka_unit_test(test_conn_body_limits),
        cmocka_unit_test(test_conn_expect),
        cmocka_unit_test(test_conn_phases_and_timeout),
        cmocka_unit_test(test_response_text),
        cmocka_unit_test(test_conn_deferred),
        cmocka_unit_test(test_conn_deferred_in_order),
        cmocka_unit_test(test_conn_deferred_bounded),
        cmocka_unit_test(test_conn_deferred_errors),
        cmocka_unit_test(test_conn_deferred_cancel),
        cmocka_unit_test(test_conn_response_headers),
        cmocka_unit_test(test_conn_head_hook),
        cmocka_unit_test(test_server_get),
        cmocka_unit_test(test_server_keepalive_and_head),
        cmocka_unit_test(test_server_pipelined),
        cmocka_unit_test(test_server_post),
        cmocka_unit_test(test_server_connection_close_and_http10),
        cmocka_unit_test(test_server_malformed),
        cmocka_unit_test(test_server_oversized),
        cmocka_unit_test(test_server_backpressure),
        cmocka_unit_test(test_server_too_many_connections),
        cmocka_unit_test(test_server_timeouts),
        cmocka_unit_test(test_server_close_with_open_connections),
        cmocka_unit_test(test_server_listen_errors),
        cmocka_unit_test(test_server_deferred),
        cmocka_unit_test(test_server_deferred_bounded),
        cmocka_unit_test(test_server_deferred_disconnect),
        cmocka_unit_test(test_server_reuseport),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
