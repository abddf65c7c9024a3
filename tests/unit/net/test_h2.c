/* Unit tests for net/h2.h: a server connection and a client connection
 * wired to each other in memory (bytes moved by pump()), plus raw nghttp2
 * sessions and hand-made bytes for misbehaving peers. Covers unary gRPC with
 * and without compression, deferred answers, the stream limit from both
 * sides, bodies and headers over the limits answered while the connection
 * lives on, plain HTTP/2 POSTs, client resets, garbage and floods closing
 * the connection with GOAWAY, graceful shutdown, and requests decided (and
 * refused) from their headers before their bodies are read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <nghttp2/nghttp2.h>

#include "net/h2.h"

#define MAXN 64

enum mode { ECHO, DEFER };

struct seen_req {
    int32_t id;
    char method[16], path[64], authority[64], te[16], encoding[16], ctype[64], xtest[4096];
    bool is_grpc, has_timeout;
    uint64_t timeout_ms;
    uint8_t *body;
    size_t body_len;
    void *stream_ud;
};

struct seen_res {
    void *req_ud;
    enum df_h2_result result;
    uint32_t h2_error;
    int status;
    uint8_t *body;
    size_t body_len;
    char ctype[64], accept[64], trailer[16], www[32];
    struct df_grpc_result grpc;
};

struct fx {
    struct df_h2_server_conn *srv;
    struct df_h2_client_conn *cli;
    enum mode mode;
    int nreq, ncloses, nres;
    int nheads; /* on_headers calls */
    int marker; /* its address is the stream_ud of allowed requests */
    struct seen_req req[MAXN];
    int32_t closed[MAXN];
    uint32_t close_code[MAXN];
    struct seen_res res[MAXN];
};

static void copy_str(char *dst, size_t n, const char *s)
{
    snprintf(dst, n, "%s", s ? s : "");
}

static const char *find(const struct df_h2_header *h, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(h[i].name, name) == 0)
            return h[i].value;
    return NULL;
}

static void on_request(void *ud, struct df_h2_server_conn *c, const struct df_h2_request *r)
{
    struct fx *fx = ud;
    assert_ptr_equal(c, fx->srv);
    assert_true(fx->nreq < MAXN);
    struct seen_req *s = &fx->req[fx->nreq++];
    s->id = r->stream_id;
    copy_str(s->method, sizeof s->method, r->method);
    copy_str(s->path, sizeof s->path, r->path);
    copy_str(s->authority, sizeof s->authority, r->authority);
    copy_str(s->te, sizeof s->te, r->te);
    copy_str(s->encoding, sizeof s->encoding, r->grpc_encoding);
    copy_str(s->ctype, sizeof s->ctype, r->content_type);
    copy_str(s->xtest, sizeof s->xtest, find(r->headers, r->nheaders, "x-test"));
    for (size_t i = 0; i < r->nheaders; i++)
        assert_true(r->headers[i].name[0] != ':');
    s->is_grpc = r->is_grpc;
    s->has_timeout = r->has_timeout;
    s->timeout_ms = r->timeout_ms;
    s->body = malloc(r->body_len + 1);
    memcpy(s->body, r->body, r->body_len);
    s->body_len = r->body_len;
    s->stream_ud = r->stream_ud;
    if (fx->mode == DEFER)
        return;
    if (r->is_grpc) {
        assert_int_equal(
            df_grpc_respond(c, r->stream_id, DF_GRPC_OK, NULL, r->body, r->body_len, -1), 0);
        /* Still being sent (nothing leaves during the callback): a second
         * answer is refused. */
        assert_int_equal(df_grpc_respond(c, r->stream_id, DF_GRPC_INTERNAL, "x", NULL, 0, -1),
                         DF_EEXIST);
    } else {
        char text[64];
        int n = snprintf(text, sizeof text, "got %zu bytes", r->body_len);
        struct df_h2_header h[] = {{"content-type", "text/plain"}};
        assert_int_equal(df_h2_server_respond(c, r->stream_id, 200, h, 1, (const uint8_t *)text,
                                              (size_t)n, NULL, 0),
                         0);
    }
}

static void on_stream_close(void *ud, struct df_h2_server_conn *c, int32_t id, uint32_t code)
{
    struct fx *fx = ud;
    fx->closed[fx->ncloses] = id;
    fx->close_code[fx->ncloses++] = code;
}

static void on_response(void *ud, struct df_h2_client_conn *c, const struct df_h2_response *r)
{
    struct fx *fx = ud;
    assert_true(fx->nres < MAXN);
    struct seen_res *s = &fx->res[fx->nres++];
    s->req_ud = r->req_ud;
    s->result = r->result;
    s->h2_error = r->h2_error;
    s->status = r->status;
    assert_non_null(r->body);
    s->body = malloc(r->body_len + 1);
    memcpy(s->body, r->body, r->body_len);
    s->body_len = r->body_len;
    copy_str(s->ctype, sizeof s->ctype, find(r->headers, r->nheaders, "content-type"));
    copy_str(s->accept, sizeof s->accept, find(r->headers, r->nheaders, "grpc-accept-encoding"));
    copy_str(s->trailer, sizeof s->trailer, find(r->trailers, r->ntrailers, "x-trailer"));
    copy_str(s->www, sizeof s->www, find(r->headers, r->nheaders, "www-authenticate"));
    assert_int_equal(df_grpc_result_from_response(r, 1 << 20, &s->grpc), 0);
}

static void fx_init(struct fx *fx, const struct df_h2_limits *sl, const struct df_h2_limits *cl)
{
    memset(fx, 0, sizeof *fx);
    struct df_h2_server_callbacks cb = {.on_request = on_request,
                                        .on_stream_close = on_stream_close};
    fx->srv = df_h2_server_new(&cb, fx, sl);
    fx->cli = df_h2_client_new(on_response, fx, cl, false);
    assert_non_null(fx->srv);
    assert_non_null(fx->cli);
}

static void fx_free(struct fx *fx)
{
    df_h2_server_free(fx->srv);
    df_h2_client_free(fx->cli);
    for (int i = 0; i < fx->nreq; i++)
        free(fx->req[i].body);
    for (int i = 0; i < fx->nres; i++) {
        free(fx->res[i].body);
        df_grpc_result_free(&fx->res[i].grpc);
    }
}

/* Moves bytes both ways until neither side has anything to send. Returns
 * the number of bytes moved. */
static size_t pump(struct fx *fx)
{
    size_t total = 0;
    for (;;) {
        const uint8_t *p;
        size_t n, moved = 0;
        df_h2_client_pending_output(fx->cli, &p, &n);
        if (n) {
            df_h2_server_feed(fx->srv, p, n);
            df_h2_client_consume_output(fx->cli, n);
            moved += n;
        }
        df_h2_server_pending_output(fx->srv, &p, &n);
        if (n) {
            df_h2_client_feed(fx->cli, p, n);
            df_h2_server_consume_output(fx->srv, n);
            moved += n;
        }
        if (!moved)
            return total;
        total += moved;
    }
}

static int32_t grpc_call(struct fx *fx, const char *msg, enum df_encoding enc, void *ud)
{
    return df_grpc_client_call(fx->cli, "/opentelemetry.proto.collector.logs.v1.LogsService/Export",
                               "collector:4317", NULL, 0, (const uint8_t *)msg, strlen(msg), enc,
                               5000, ud);
}

/* Frames in a server's output: counts frames of `type` and returns the
 * error code of the last GOAWAY (or -1). */
static long scan_frames(const uint8_t *p, size_t n, uint8_t type, int *count)
{
    long goaway = -1;
    *count = 0;
    while (n >= 9) {
        size_t len = (size_t)p[0] << 16 | (size_t)p[1] << 8 | p[2];
        if (n < 9 + len)
            break;
        if (p[3] == type)
            (*count)++;
        if (p[3] == NGHTTP2_GOAWAY && len >= 8)
            goaway = (long)((uint32_t)p[13] << 24 | (uint32_t)p[14] << 16 | (uint32_t)p[15] << 8 |
                            p[16]);
        p += 9 + len;
        n -= 9 + len;
    }
    return goaway;
}

/* ---- tests -------------------------------------------------------------- */

static void test_grpc_unary(void **state)
{
    static const enum df_encoding encs[] = {DF_ENCODING_IDENTITY, DF_ENCODING_GZIP,
                                            DF_ENCODING_ZSTD, DF_ENCODING_DEFLATE};
    struct fx fx;
    fx_init(&fx, NULL, NULL);
    for (size_t i = 0; i < sizeof encs / sizeof encs[0]; i++) {
        char msg[2000];
        memset(msg, 'a' + (int)i, sizeof msg - 1);
        msg[sizeof msg - 1] = 0;
        int32_t id = grpc_call(&fx, msg, encs[i], &fx);
        assert_true(id > 0);
        pump(&fx);
        assert_int_equal(fx.nreq, (int)i + 1);
        struct seen_req *q = &fx.req[i];
        assert_int_equal(q->id, id);
        assert_true(q->is_grpc);
        assert_string_equal(q->method, "POST");
        assert_string_equal(q->path, "/opentelemetry.proto.collector.logs.v1.LogsService/Export");
        assert_string_equal(q->authority, "collector:4317");
        assert_string_equal(q->te, "trailers");
        assert_string_equal(q->ctype, "application/grpc");
        assert_string_equal(q->encoding,
                            encs[i] == DF_ENCODING_IDENTITY ? "" : df_encoding_name(encs[i]));
        assert_true(q->has_timeout);
        assert_int_equal(q->timeout_ms, 5000);
        /* Decompressed by the connection. */
        assert_int_equal(q->body_len, strlen(msg));
        assert_memory_equal(q->body, msg, strlen(msg));
        assert_int_equal(fx.nres, (int)i + 1);
        struct seen_res *r = &fx.res[i];
        assert_ptr_equal(r->req_ud, &fx);
        assert_int_equal(r->result, DF_H2_OK);
        assert_int_equal(r->status, 200);
        assert_string_equal(r->ctype, "application/grpc");
        assert_int_equal(r->grpc.status, DF_GRPC_OK);
        assert_null(r->grpc.message);
        assert_false(r->grpc.has_retry_info);
        assert_int_equal(r->grpc.body_len, strlen(msg));
        assert_memory_equal(r->grpc.body, msg, strlen(msg));
    }
    /* An empty message is a message. */
    assert_true(grpc_call(&fx, "", DF_ENCODING_IDENTITY, NULL) > 0);
    pump(&fx);
    assert_int_equal(fx.nreq, 5);
    assert_int_equal(fx.req[4].body_len, 0);
    assert_int_equal(fx.res[4].grpc.status, DF_GRPC_OK);
    assert_int_equal(fx.res[4].grpc.body_len, 0);
    assert_int_equal(df_h2_client_open_streams(fx.cli), 0);
    struct df_h2_server_stats st;
    df_h2_server_stats(fx.srv, &st);
    assert_int_equal(st.requests, 5);
    assert_int_equal(st.rejected, 0);
    assert_int_equal(st.open_streams, 0);
    fx_free(&fx);
}

static void test_grpc_deferred(void **state)
{
    struct fx fx;
    fx_init(&fx, NULL, NULL);
    fx.mode = DEFER;
    int tag[3];
    for (int i = 0; i < 3; i++)
        assert_true(grpc_call(&fx, "payload", DF_ENCODING_IDENTITY, &tag[i]) > 0);
    pump(&fx);
    assert_int_equal(fx.nreq, 3);
    assert_int_equal(fx.nres, 0); /* nothing answered yet */
    assert_int_equal(df_h2_client_open_streams(fx.cli), 3);
    /* Answer out of order, later. */
    assert_int_equal(df_grpc_respond(fx.srv, fx.req[2].id, DF_GRPC_UNAVAILABLE,
                                     "try later, 100% busy", NULL, 0, 1500),
                     0);
    assert_int_equal(
        df_grpc_respond(fx.srv, fx.req[1].id, DF_GRPC_RESOURCE_EXHAUSTED, "full", NULL, 0, -1), 0);
    pump(&fx);
    assert_int_equal(fx.nres, 2);
    assert_ptr_equal(fx.res[0].req_ud, &tag[2]);
    assert_int_equal(fx.res[0].grpc.status, DF_GRPC_UNAVAILABLE);
    assert_string_equal(fx.res[0].grpc.message, "try later, 100% busy");
    assert_true(fx.res[0].grpc.has_retry_info);
    assert_int_equal(fx.res[0].grpc.retry_delay_ms, 1500);
    assert_true(df_grpc_status_retryable(fx.res[0].grpc.status, fx.res[0].grpc.has_retry_info));
    assert_ptr_equal(fx.res[1].req_ud, &tag[1]);
    assert_int_equal(fx.res[1].grpc.status, DF_GRPC_RESOURCE_EXHAUSTED);
    assert_false(fx.res[1].grpc.has_retry_info);
    assert_false(df_grpc_status_retryable(fx.res[1].grpc.status, fx.res[1].grpc.has_retry_info));
    /* Answered twice: refused; unknown stream: no-op. */
    assert_int_equal(
        df_grpc_respond(fx.srv, fx.req[0].id, DF_GRPC_OK, NULL, (const uint8_t *)"ack", 3, -1), 0);
    /* Completely sent at once, so the stream is already gone. */
    assert_int_equal(df_grpc_respond(fx.srv, fx.req[0].id, DF_GRPC_OK, NULL, NULL, 0, -1),
                     DF_ENOENT);
    assert_int_equal(df_grpc_respond(fx.srv, 999, DF_GRPC_OK, NULL, NULL, 0, -1), DF_ENOENT);
    pump(&fx);
    assert_int_equal(fx.nres, 3);
    assert_int_equal(fx.res[2].grpc.status, DF_GRPC_OK);
    assert_int_equal(fx.res[2].grpc.body_len, 3);
    assert_memory_equal(fx.res[2].grpc.body, "ack", 3);
    /* After completion the stream is gone: a late answer is a no-op. */
    assert_int_equal(df_grpc_respond(fx.srv, fx.req[0].id, DF_GRPC_OK, NULL, NULL, 0, -1),
                     DF_ENOENT);
    assert_int_equal(fx.ncloses, 0);
    fx_free(&fx);
}

static void test_stream_limit(void **state)
{
    struct df_h2_limits sl = {.max_concurrent_streams = 4};
    struct fx fx;
    fx_init(&fx, &sl, NULL);
    fx.mode = DEFER;
    pump(&fx); /* SETTINGS exchange: the client learns the limit */
    assert_int_equal(df_h2_client_available_streams(fx.cli), 4);
    for (int i = 0; i < 4; i++)
        assert_true(grpc_call(&fx, "x", DF_ENCODING_IDENTITY, NULL) > 0);
    assert_int_equal(grpc_call(&fx, "x", DF_ENCODING_IDENTITY, NULL), DF_ERANGE);
    assert_int_equal(df_h2_client_available_streams(fx.cli), 0);
    pump(&fx);
    assert_int_equal(fx.nreq, 4);
    assert_int_equal(df_grpc_respond(fx.srv, fx.req[0].id, DF_GRPC_OK, NULL, NULL, 0, -1), 0);
    pump(&fx);
    assert_int_equal(fx.nres, 1);
    assert_int_equal(df_h2_client_available_streams(fx.cli), 1);
    assert_true(grpc_call(&fx, "y", DF_ENCODING_IDENTITY, NULL) > 0);
    pump(&fx);
    assert_int_equal(fx.nreq, 5);
    fx_free(&fx);

    /* A client that does not wait for SETTINGS: the server refuses the
     * streams over its limit, and the client reports them as retryable. */
    fx_init(&fx, &sl, NULL);
    fx.mode = DEFER;
    for (int i = 0; i < 6; i++)
        assert_true(grpc_call(&fx, "x", DF_ENCODING_IDENTITY, NULL) > 0);
    pump(&fx);
    assert_int_equal(fx.nreq, 4);
    assert_int_equal(fx.nres, 2);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(fx.res[i].result, DF_H2_REFUSED);
        assert_int_equal(fx.res[i].grpc.status, DF_GRPC_UNAVAILABLE);
    }
    fx_free(&fx);

    /* Many streams at once within the default limit. */
    fx_init(&fx, NULL, NULL);
    pump(&fx);
    for (int i = 0; i < MAXN; i++) {
        char m[32];
        snprintf(m, sizeof m, "message %d", i);
        assert_true(grpc_call(&fx, m, DF_ENCODING_GZIP, (void *)(intptr_t)(i + 1)) > 0);
    }
    pump(&fx);
    assert_int_equal(fx.nres, MAXN);
    for (int i = 0; i < MAXN; i++) {
        char m[32];
        int k = (int)(intptr_t)fx.res[i].req_ud - 1;
        snprintf(m, sizeof m, "message %d", k);
        assert_int_equal(fx.res[i].grpc.status, DF_GRPC_OK);
        assert_int_equal(fx.res[i].grpc.body_len, strlen(m));
        assert_memory_equal(fx.res[i].grpc.body, m, strlen(m));
    }
    fx_free(&fx);
}

static void test_body_over_limit(void **state)
{
    struct df_h2_limits sl = {.max_body = 1000};
    struct fx fx;
    fx_init(&fx, &sl, NULL);
    char big[2001];
    memset(big, 'b', 2000);
    big[2000] = 0;
    /* Announced size over the limit. */
    assert_true(grpc_call(&fx, big, DF_ENCODING_IDENTITY, NULL) > 0);
    pump(&fx);
    assert_int_equal(fx.nreq, 0);
    assert_int_equal(fx.nres, 1);
    assert_int_equal(fx.res[0].grpc.status, DF_GRPC_RESOURCE_EXHAUSTED);
    /* Small on the wire, too big once decompressed. */
    assert_true(grpc_call(&fx, big, DF_ENCODING_GZIP, NULL) > 0);
    pump(&fx);
    assert_int_equal(fx.nreq, 0);
    assert_int_equal(fx.res[1].grpc.status, DF_GRPC_RESOURCE_EXHAUSTED);
    /* Far over the limit (beyond the flow-control window): answered early,
     * the client is told to stop, and the call still ends cleanly. */
    size_t huge = 300000;
    char *h = malloc(huge + 1);
    memset(h, 'h', huge);
    h[huge] = 0;
    assert_true(grpc_call(&fx, h, DF_ENCODING_IDENTITY, NULL) > 0);
    free(h);
    pump(&fx);
    assert_int_equal(fx.nres, 3);
    assert_int_equal(fx.res[2].result, DF_H2_OK);
    assert_int_equal(fx.res[2].grpc.status, DF_GRPC_RESOURCE_EXHAUSTED);
    /* The connection and the next call are fine. */
    assert_true(grpc_call(&fx, "small", DF_ENCODING_IDENTITY, NULL) > 0);
    pump(&fx);
    assert_int_equal(fx.nreq, 1);
    assert_int_equal(fx.res[3].grpc.status, DF_GRPC_OK);
    assert_memory_equal(fx.res[3].grpc.body, "small", 5);
    /* Plain HTTP: 413, body never buffered past the limit. */
    struct df_h2_header ct[] = {{"content-type", "application/x-protobuf"}};
    assert_true(df_h2_client_request(fx.cli, "POST", "/v1/logs", "h", ct, 1, (const uint8_t *)big,
                                     2000, NULL) > 0);
    pump(&fx);
    assert_int_equal(fx.nres, 5);
    assert_int_equal(fx.res[4].status, 413);
    assert_int_equal(fx.nreq, 1);
    struct df_h2_server_stats st;
    df_h2_server_stats(fx.srv, &st);
    assert_int_equal(st.rejected, 4);
    assert_int_equal(st.open_streams, 0);
    assert_false(df_h2_server_want_close(fx.srv));
    fx_free(&fx);
}

static void test_grpc_bad_calls(void **state)
{
    struct fx fx;
    fx_init(&fx, NULL, NULL);
    uint8_t *one;
    size_t one_len;
    assert_int_equal(
        df_grpc_frame_encode(DF_ENCODING_IDENTITY, (const uint8_t *)"m", 1, &one, &one_len), 0);
    uint8_t two[12];
    memcpy(two, one, one_len);
    memcpy(two + one_len, one, one_len);
    struct df_h2_header grpc[] = {{"content-type", "application/grpc"}, {"grpc-encoding", "br"}};
    /* Unknown encoding: UNIMPLEMENTED with the ones we accept. */
    assert_true(df_h2_client_request(fx.cli, "POST", "/s/M", "a", grpc, 2, one, one_len, NULL) > 0);
    /* Two messages on a unary call, then none: cardinality. */
    assert_true(df_h2_client_request(fx.cli, "POST", "/s/M", "a", grpc, 1, two, 2 * one_len, NULL) >
                0);
    assert_true(df_h2_client_request(fx.cli, "POST", "/s/M", "a", grpc, 1, NULL, 0, NULL) > 0);
    /* Compressed flag without grpc-encoding; truncated message. */
    one[0] = 1;
    assert_true(df_h2_client_request(fx.cli, "POST", "/s/M", "a", grpc, 1, one, one_len, NULL) > 0);
    one[0] = 0;
    assert_true(df_h2_client_request(fx.cli, "POST", "/s/M", "a", grpc, 1, one, one_len - 1, NULL) >
                0);
    pump(&fx);
    assert_int_equal(fx.nreq, 0);
    assert_int_equal(fx.nres, 5);
    assert_int_equal(fx.res[0].grpc.status, DF_GRPC_UNIMPLEMENTED);
    assert_non_null(strstr(fx.res[0].accept, "gzip"));
    assert_int_equal(fx.res[1].grpc.status, DF_GRPC_UNIMPLEMENTED);
    assert_int_equal(fx.res[2].grpc.status, DF_GRPC_UNIMPLEMENTED);
    assert_int_equal(fx.res[3].grpc.status, DF_GRPC_INTERNAL);
    assert_int_equal(fx.res[4].grpc.status, DF_GRPC_INTERNAL);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(fx.res[i].result, DF_H2_OK);
        assert_int_equal(fx.res[i].status, 200); /* Trailers-Only */
        assert_non_null(fx.res[i].grpc.message);
    }
    free(one);
    fx_free(&fx);
}

static void test_plain_http_post(void **state)
{
    struct fx fx;
    fx_init(&fx, NULL, NULL);
    struct df_h2_header h[] = {
        {"content-type", "application/x-protobuf"}, {"x-test", "1"}, {"x-test", "2"}};
    assert_true(df_h2_client_request(fx.cli, "POST", "/v1/logs", "collector:4318", h, 3,
                                     (const uint8_t *)"hello", 5, NULL) > 0);
    pump(&fx);
    assert_int_equal(fx.nreq, 1);
    assert_false(fx.req[0].is_grpc);
    assert_string_equal(fx.req[0].path, "/v1/logs");
    assert_string_equal(fx.req[0].ctype, "application/x-protobuf");
    assert_string_equal(fx.req[0].xtest, "1"); /* first of the repeated field */
    assert_int_equal(fx.req[0].body_len, 5);
    assert_memory_equal(fx.req[0].body, "hello", 5);
    assert_int_equal(fx.nres, 1);
    assert_int_equal(fx.res[0].result, DF_H2_OK);
    assert_int_equal(fx.res[0].status, 200);
    assert_string_equal(fx.res[0].ctype, "text/plain");
    assert_int_equal(fx.res[0].body_len, strlen("got 5 bytes"));
    assert_memory_equal(fx.res[0].body, "got 5 bytes", fx.res[0].body_len);
    /* Content-Encoding gzip is removed for the engine. */
    uint8_t *gz;
    size_t gz_len;
    static const char text[] = "{\"resourceLogs\":[]}";
    assert_int_equal(
        df_compress(DF_ENCODING_GZIP, (const uint8_t *)text, strlen(text), &gz, &gz_len), 0);
    struct df_h2_header j[] = {{"content-type", "application/json"}, {"content-encoding", "gzip"}};
    int tags[3];
    assert_true(df_h2_client_request(fx.cli, "POST", "/v1/logs", "c", j, 2, gz, gz_len, &tags[0]) >
                0);
    /* Unknown encoding: 415; corrupt gzip: 400. */
    struct df_h2_header br[] = {{"content-encoding", "br"}};
    assert_true(df_h2_client_request(fx.cli, "POST", "/v1/logs", "c", br, 1, gz, gz_len, &tags[1]) >
                0);
    assert_true(
        df_h2_client_request(fx.cli, "POST", "/v1/logs", "c", j, 2, gz, gz_len - 3, &tags[2]) > 0);
    pump(&fx);
    /* A deferred plain answer with trailers. */
    fx.mode = DEFER;
    assert_true(df_h2_client_request(fx.cli, "GET", "/late", "c", NULL, 0, NULL, 0, NULL) > 0);
    pump(&fx);
    free(gz);
    assert_int_equal(fx.nreq, 3);
    assert_int_equal(fx.req[1].body_len, strlen(text));
    assert_memory_equal(fx.req[1].body, text, strlen(text));
    assert_int_equal(fx.nres, 4);
    for (int i = 1; i < 4; i++) {
        int want = fx.res[i].req_ud == &tags[0] ? 200 : fx.res[i].req_ud == &tags[1] ? 415 : 400;
        assert_true(fx.res[i].req_ud >= (void *)&tags[0] && fx.res[i].req_ud <= (void *)&tags[2]);
        assert_int_equal(fx.res[i].status, want);
    }
    assert_string_equal(fx.req[2].method, "GET");
    struct df_h2_header t[] = {{"x-trailer", "yes"}};
    struct df_h2_header bad[] = {{"Upper", "x"}};
    assert_int_equal(df_h2_server_respond(fx.srv, fx.req[2].id, 99, NULL, 0, NULL, 0, NULL, 0),
                     DF_EINVAL);
    assert_int_equal(df_h2_server_respond(fx.srv, fx.req[2].id, 200, bad, 1, NULL, 0, NULL, 0),
                     DF_EINVAL);
    assert_int_equal(
        df_h2_server_respond(fx.srv, fx.req[2].id, 503, NULL, 0, (const uint8_t *)"busy", 4, t, 1),
        0);
    pump(&fx);
    assert_int_equal(fx.nres, 5);
    assert_int_equal(fx.res[4].status, 503);
    assert_int_equal(fx.res[4].body_len, 4);
    assert_memory_equal(fx.res[4].body, "busy", 4);
    assert_string_equal(fx.res[4].trailer, "yes");
    assert_string_equal(fx.res[0].trailer, "");
    fx_free(&fx);
}

static void test_client_reset_before_answer(void **state)
{
    struct fx fx;
    fx_init(&fx, NULL, NULL);
    fx.mode = DEFER;
    int32_t a = grpc_call(&fx, "a", DF_ENCODING_IDENTITY, NULL);
    int32_t b = grpc_call(&fx, "b", DF_ENCODING_IDENTITY, NULL);
    pump(&fx);
    assert_int_equal(fx.nreq, 2);
    assert_int_equal(df_h2_client_cancel(fx.cli, a), 0);
    pump(&fx);
    /* The engine is told, with the client's code... */
    assert_int_equal(fx.ncloses, 1);
    assert_int_equal(fx.closed[0], fx.req[0].id);
    assert_int_equal(fx.close_code[0], NGHTTP2_CANCEL);
    assert_int_equal(fx.nres, 1);
    assert_int_equal(fx.res[0].result, DF_H2_RESET);
    assert_int_equal(fx.res[0].grpc.status, DF_GRPC_CANCELLED);
    /* ...and its late answer is a harmless no-op. */
    assert_int_equal(df_grpc_respond(fx.srv, fx.req[0].id, DF_GRPC_OK, NULL, NULL, 0, -1),
                     DF_ENOENT);
    assert_int_equal(df_h2_client_cancel(fx.cli, a), DF_ENOENT);
    assert_int_equal(
        df_grpc_respond(fx.srv, fx.req[1].id, DF_GRPC_OK, NULL, (const uint8_t *)"b", 1, -1), 0);
    pump(&fx);
    assert_int_equal(fx.nres, 2);
    assert_int_equal(fx.res[1].grpc.status, DF_GRPC_OK);
    assert_true(b > a);
    struct df_h2_server_stats st;
    df_h2_server_stats(fx.srv, &st);
    assert_int_equal(st.resets, 1);
    assert_int_equal(st.open_streams, 0);
    fx_free(&fx);

    /* The transport goes away with answers pending: each is reported. */
    fx_init(&fx, NULL, NULL);
    fx.mode = DEFER;
    grpc_call(&fx, "a", DF_ENCODING_IDENTITY, NULL);
    grpc_call(&fx, "b", DF_ENCODING_IDENTITY, NULL);
    pump(&fx);
    assert_int_equal(fx.nreq, 2);
    df_h2_server_fail(fx.srv);
    assert_int_equal(fx.ncloses, 2);
    assert_true(fx.closed[0] != fx.closed[1]);
    assert_int_equal(df_grpc_respond(fx.srv, fx.req[0].id, DF_GRPC_OK, NULL, NULL, 0, -1),
                     DF_ENOENT);
    const uint8_t *p;
    size_t n;
    df_h2_server_pending_output(fx.srv, &p, &n);
    df_h2_server_consume_output(fx.srv, n);
    assert_true(df_h2_server_want_close(fx.srv));
    assert_int_equal(df_h2_server_feed(fx.srv, (const uint8_t *)"x", 1), DF_EIO);
    fx_free(&fx);
}

static struct df_h2_server_conn *new_server(struct fx *fx, const struct df_h2_limits *l)
{
    memset(fx, 0, sizeof *fx);
    struct df_h2_server_callbacks cb = {.on_request = on_request,
                                        .on_stream_close = on_stream_close};
    fx->srv = df_h2_server_new(&cb, fx, l);
    assert_non_null(fx->srv);
    return fx->srv;
}

/* Drains a server's output into buf; returns its length. */
static size_t drain(struct df_h2_server_conn *s, uint8_t *buf, size_t cap)
{
    size_t len = 0;
    for (;;) {
        const uint8_t *p;
        size_t n;
        df_h2_server_pending_output(s, &p, &n);
        if (n == 0)
            return len;
        if (n > cap - len)
            n = cap - len;
        memcpy(buf + len, p, n);
        len += n;
        df_h2_server_consume_output(s, n);
        if (len == cap)
            return len;
    }
}

static void test_garbage_closes_with_goaway(void **state)
{
    static uint8_t out[1 << 16];
    struct fx fx;
    struct df_h2_server_conn *s = new_server(&fx, NULL);
    static const char http1[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    assert_int_equal(df_h2_server_feed(s, (const uint8_t *)http1, sizeof http1 - 1), DF_EPARSE);
    int n;
    size_t len = drain(s, out, sizeof out);
    assert_int_equal(scan_frames(out, len, NGHTTP2_GOAWAY, &n), NGHTTP2_PROTOCOL_ERROR);
    assert_int_equal(n, 1);
    assert_true(df_h2_server_want_close(s));
    assert_int_equal(df_h2_server_feed(s, (const uint8_t *)"x", 1), DF_EIO);
    df_h2_server_free(s);

    /* A valid preface, then a frame that breaks the protocol (DATA on
     * stream 0). */
    s = new_server(&fx, NULL);
    static const uint8_t bad[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
                                 "\0\0\0\x04\0\0\0\0\0"    /* SETTINGS */
                                 "\0\0\x02\0\0\0\0\0\0xx"; /* DATA, stream 0 */
    assert_int_equal(df_h2_server_feed(s, bad, sizeof bad - 1), DF_EPARSE);
    len = drain(s, out, sizeof out);
    assert_int_equal(scan_frames(out, len, NGHTTP2_GOAWAY, &n), NGHTTP2_PROTOCOL_ERROR);
    assert_true(df_h2_server_want_close(s));
    df_h2_server_free(s);
}

/* Builds the bytes of a raw nghttp2 client: preface, SETTINGS and `npings`
 * PINGs (or empty SETTINGS frames). */
static uint8_t *raw_flood(size_t count, bool settings, size_t *len)
{
    nghttp2_session_callbacks *cbs;
    nghttp2_session *c;
    assert_int_equal(nghttp2_session_callbacks_new(&cbs), 0);
    assert_int_equal(nghttp2_session_client_new(&c, cbs, NULL), 0);
    nghttp2_session_callbacks_del(cbs);
    assert_int_equal(nghttp2_submit_settings(c, NGHTTP2_FLAG_NONE, NULL, 0), 0);
    for (size_t i = 0; i < count; i++) {
        if (settings)
            assert_int_equal(nghttp2_submit_settings(c, NGHTTP2_FLAG_NONE, NULL, 0), 0);
        else
            assert_int_equal(nghttp2_submit_ping(c, NGHTTP2_FLAG_NONE, NULL), 0);
    }
    uint8_t *buf = NULL;
    *len = 0;
    for (;;) {
        const uint8_t *p;
        ssize_t n = nghttp2_session_mem_send(c, &p);
        assert_true(n >= 0);
        if (n == 0)
            break;
        buf = realloc(buf, *len + (size_t)n);
        memcpy(buf + *len, p, (size_t)n);
        *len += (size_t)n;
    }
    nghttp2_session_del(c);
    return buf;
}

static void test_flood_cut_off(void **state)
{
    static uint8_t out[1 << 20];
    for (int kind = 0; kind < 2; kind++) {
        /* A peer that never reads: the output buffer stays full. */
        struct df_h2_limits l = {.max_output_buffer = 4096};
        struct fx fx;
        struct df_h2_server_conn *s = new_server(&fx, &l);
        size_t len;
        uint8_t *flood = raw_flood(5000, kind == 1, &len);
        int rc = 0;
        size_t off = 0;
        while (off < len && rc == 0) {
            size_t n = len - off < 1000 ? len - off : 1000;
            rc = df_h2_server_feed(s, flood + off, n);
            off += n;
            const uint8_t *p;
            size_t pending;
            df_h2_server_pending_output(s, &p, &pending);
            assert_true(pending <= l.max_output_buffer + 16384 + 9);
        }
        assert_int_equal(rc, DF_EPARSE);
        assert_true(off < len); /* cut off before the end */
        size_t olen = drain(s, out, sizeof out);
        int n;
        assert_int_equal(scan_frames(out, olen, NGHTTP2_GOAWAY, &n), NGHTTP2_ENHANCE_YOUR_CALM);
        assert_true(df_h2_server_want_close(s));
        df_h2_server_free(s);
        free(flood);
    }
    /* The same PINGs from a peer that reads its acks are fine. */
    struct fx fx;
    struct df_h2_server_conn *s = new_server(&fx, NULL);
    size_t len;
    uint8_t *pings = raw_flood(500, false, &len);
    assert_int_equal(df_h2_server_feed(s, pings, len), 0);
    size_t olen = drain(s, out, sizeof out);
    int n;
    assert_int_equal(scan_frames(out, olen, NGHTTP2_PING, &n), -1);
    assert_int_equal(n, 500);
    assert_false(df_h2_server_want_close(s));
    df_h2_server_free(s);
    free(pings);
}

static void test_header_limits(void **state)
{
    struct df_h2_limits sl = {.max_header_list_size = 1024};
    struct fx fx;
    fx_init(&fx, &sl, NULL);
    pump(&fx);
    char big[2000];
    memset(big, 'v', sizeof big - 1);
    big[sizeof big - 1] = 0;
    struct df_h2_header h[] = {{"x-test", big}};
    assert_true(df_grpc_client_call(fx.cli, "/s/M", "a", h, 1, (const uint8_t *)"m", 1,
                                    DF_ENCODING_IDENTITY, 0, NULL) > 0);
    struct df_h2_header ph[] = {{"content-type", "text/plain"}, {"x-test", big}};
    assert_true(df_h2_client_request(fx.cli, "POST", "/v1/logs", "a", ph, 2, (const uint8_t *)"b",
                                     1, NULL) > 0);
    /* Just under the limit passes. */
    big[500] = 0;
    assert_true(df_grpc_client_call(fx.cli, "/s/M", "a", h, 1, (const uint8_t *)"m", 1,
                                    DF_ENCODING_IDENTITY, 0, NULL) > 0);
    pump(&fx);
    assert_int_equal(fx.nres, 3);
    assert_int_equal(fx.res[0].grpc.status, DF_GRPC_RESOURCE_EXHAUSTED);
    assert_int_equal(fx.res[1].status, 431);
    assert_int_equal(fx.res[2].grpc.status, DF_GRPC_OK);
    assert_int_equal(fx.nreq, 1);
    assert_string_equal(fx.req[0].xtest, big);
    fx_free(&fx);

    /* The client's own bound on response headers and bodies. */
    struct df_h2_limits cl = {.max_body = 100};
    fx_init(&fx, NULL, &cl);
    char msg[500];
    memset(msg, 'r', sizeof msg - 1);
    msg[sizeof msg - 1] = 0;
    assert_true(grpc_call(&fx, msg, DF_ENCODING_IDENTITY, NULL) > 0);
    pump(&fx);
    assert_int_equal(fx.nres, 1);
    assert_int_equal(fx.res[0].result, DF_H2_TOO_LARGE);
    assert_int_equal(fx.res[0].grpc.status, DF_GRPC_RESOURCE_EXHAUSTED);
    fx_free(&fx);
}

static void test_graceful_shutdown(void **state)
{
    struct fx fx;
    fx_init(&fx, NULL, NULL);
    fx.mode = DEFER;
    assert_true(grpc_call(&fx, "a", DF_ENCODING_IDENTITY, NULL) > 0);
    pump(&fx);
    df_h2_server_shutdown(fx.srv);
    pump(&fx);
    /* No new calls; the open one completes. */
    assert_int_equal(grpc_call(&fx, "b", DF_ENCODING_IDENTITY, NULL), DF_EIO);
    assert_false(df_h2_server_want_close(fx.srv));
    assert_int_equal(df_grpc_respond(fx.srv, fx.req[0].id, DF_GRPC_OK, NULL, NULL, 0, -1), 0);
    pump(&fx);
    assert_int_equal(fx.nres, 1);
    assert_int_equal(fx.res[0].grpc.status, DF_GRPC_OK);
    assert_true(df_h2_server_want_close(fx.srv));
    assert_true(df_h2_client_want_close(fx.cli));
    fx_free(&fx);

    /* A transport failure fails what is pending. */
    fx_init(&fx, NULL, NULL);
    fx.mode = DEFER;
    assert_true(grpc_call(&fx, "a", DF_ENCODING_IDENTITY, NULL) > 0);
    pump(&fx);
    df_h2_client_fail(fx.cli);
    assert_int_equal(fx.nres, 1);
    assert_int_equal(fx.res[0].result, DF_H2_CONN_FAILED);
    assert_int_equal(fx.res[0].grpc.status, DF_GRPC_UNAVAILABLE);
    assert_true(df_grpc_status_retryable(fx.res[0].grpc.status, false));
    assert_true(df_h2_client_want_close(fx.cli));
    fx_free(&fx);
}

/* on_headers as an authentication would use it: `authorization: good`
 * goes on (with &fx->marker as its stream_ud); anything else is refused —
 * answered (gRPC UNAUTHENTICATED, HTTP 401), or with x-mode "silent" not
 * answered at all, or with x-mode "answer-then-true" answered but returning
 * true (still a refusal). */
static bool on_headers(void *ud, struct df_h2_server_conn *c, const struct df_h2_request *r,
                       void **stream_ud)
{
    struct fx *fx = ud;
    fx->nheads++;
    assert_int_equal(r->body_len, 0);
    assert_non_null(r->body);
    assert_null(r->stream_ud);
    assert_null(*stream_ud);
    const char *auth = find(r->headers, r->nheaders, "authorization");
    const char *mode = find(r->headers, r->nheaders, "x-mode");
    if (auth && !strcmp(auth, "good")) {
        *stream_ud = &fx->marker;
        return true;
    }
    if (mode && !strcmp(mode, "silent"))
        return false;
    if (r->is_grpc) {
        assert_int_equal(df_grpc_respond(c, r->stream_id, DF_GRPC_UNAUTHENTICATED,
                                         "unauthenticated", NULL, 0, -1),
                         0);
    } else {
        struct df_h2_header h[] = {{"content-type", "text/plain"}, {"www-authenticate", "Bearer"}};
        assert_int_equal(
            df_h2_server_respond(c, r->stream_id, 401, h, 2, (const uint8_t *)"no", 2, NULL, 0), 0);
    }
    return mode && !strcmp(mode, "answer-then-true");
}

static void fx_init_headers(struct fx *fx)
{
    fx_init(fx, NULL, NULL);
    df_h2_server_free(fx->srv);
    struct df_h2_server_callbacks cb = {
        .on_request = on_request, .on_stream_close = on_stream_close, .on_headers = on_headers};
    fx->srv = df_h2_server_new(&cb, fx, NULL);
    assert_non_null(fx->srv);
}

static void test_headers_decide(void **state)
{
    struct fx fx;
    fx_init_headers(&fx);
    pump(&fx); /* SETTINGS: the client learns our 1 MiB stream window */
    /* 2 MiB bodies: more than a stream window, so the client is still
     * sending when the answer comes. */
    size_t big = (size_t)2 << 20;
    uint8_t *body = malloc(big + 1);
    memset(body, 'x', big);
    body[big] = 0;
    struct df_h2_header good[] = {{"authorization", "good"}};
    struct df_h2_header ct[] = {{"content-type", "application/x-protobuf"}};

    /* gRPC without a credential: refused at its headers, Trailers-Only
     * UNAUTHENTICATED, never reaching on_request. */
    assert_true(df_grpc_client_call(fx.cli, "/s/M", "a", NULL, 0, body, big, DF_ENCODING_IDENTITY,
                                    0, NULL) > 0);
    pump(&fx);
    assert_int_equal(fx.nheads, 1);
    assert_int_equal(fx.nreq, 0);
    assert_int_equal(fx.nres, 1);
    assert_int_equal(fx.res[0].result, DF_H2_OK); /* RST_STREAM(NO_ERROR) after the answer */
    assert_int_equal(fx.res[0].grpc.status, DF_GRPC_UNAUTHENTICATED);
    assert_string_equal(fx.res[0].grpc.message, "unauthenticated");
    /* The same connection serves an allowed call, which carries its
     * stream_ud to on_request. */
    assert_true(df_grpc_client_call(fx.cli, "/s/M", "a", good, 1, (const uint8_t *)"hi", 2,
                                    DF_ENCODING_IDENTITY, 0, NULL) > 0);
    pump(&fx);
    assert_int_equal(fx.nreq, 1);
    assert_ptr_equal(fx.req[0].stream_ud, &fx.marker);
    assert_int_equal(fx.req[0].body_len, 2);
    assert_int_equal(fx.res[1].grpc.status, DF_GRPC_OK);

    /* Plain HTTP: 401 with its headers and body; then an allowed POST. */
    assert_true(df_h2_client_request(fx.cli, "POST", "/v1/logs", "a", ct, 1, body, big, NULL) > 0);
    pump(&fx);
    assert_int_equal(fx.nres, 3);
    assert_int_equal(fx.res[2].result, DF_H2_OK);
    assert_int_equal(fx.res[2].status, 401);
    assert_string_equal(fx.res[2].www, "Bearer");
    assert_int_equal(fx.res[2].body_len, 2);
    assert_memory_equal(fx.res[2].body, "no", 2);
    assert_true(df_h2_client_request(fx.cli, "POST", "/v1/logs", "a", good, 1,
                                     (const uint8_t *)"hello", 5, NULL) > 0);
    pump(&fx);
    assert_int_equal(fx.nreq, 2);
    assert_int_equal(fx.res[3].status, 200);
    assert_ptr_equal(fx.req[1].stream_ud, &fx.marker);

    /* Headers with END_STREAM (no body) are decided the same way. */
    assert_true(df_h2_client_request(fx.cli, "GET", "/v1/logs", "a", NULL, 0, NULL, 0, NULL) > 0);
    pump(&fx);
    assert_int_equal(fx.res[4].status, 401);

    /* Fail-closed: refused without an answer resets the stream; answered
     * yet returning true is still a refusal. */
    struct df_h2_header silent[] = {{"x-mode", "silent"}};
    struct df_h2_header both[] = {{"x-mode", "answer-then-true"}};
    assert_true(df_h2_client_request(fx.cli, "POST", "/v1/logs", "a", silent, 1, body, 1000, NULL) >
                0);
    pump(&fx);
    assert_int_equal(fx.res[5].result, DF_H2_RESET);
    assert_int_equal(fx.res[5].h2_error, NGHTTP2_INTERNAL_ERROR);
    assert_true(df_h2_client_request(fx.cli, "POST", "/v1/logs", "a", both, 1, body, 1000, NULL) >
                0);
    pump(&fx);
    assert_int_equal(fx.res[6].status, 401);
    assert_int_equal(fx.nreq, 2);

    /* Flow control: refused bodies are dropped but their credit returned.
     * Twenty refused 2 MiB uploads each get a stream window (1 MiB) of DATA
     * through, more than the connection window (16 MiB) in all; a
     * connection that kept that credit would stall the last ones and the
     * allowed call after them. */
    size_t moved = 0;
    for (int i = 0; i < 20; i++) {
        assert_true(df_h2_client_request(fx.cli, "POST", "/v1/logs", "a", ct, 1, body, big, NULL) >
                    0);
        moved += pump(&fx);
        assert_int_equal(fx.nres, 8 + i);
        assert_int_equal(fx.res[7 + i].status, 401);
    }
    assert_true(moved > (size_t)17 << 20);
    assert_true(df_grpc_client_call(fx.cli, "/s/M", "a", good, 1, (const uint8_t *)"last", 4,
                                    DF_ENCODING_IDENTITY, 0, NULL) > 0);
    pump(&fx);
    assert_int_equal(fx.nres, 28);
    assert_int_equal(fx.res[27].grpc.status, DF_GRPC_OK);
    assert_int_equal(fx.nreq, 3);

    struct df_h2_server_stats st;
    df_h2_server_stats(fx.srv, &st);
    assert_int_equal(st.requests, 3);
    assert_int_equal(st.refused, 25);
    assert_int_equal(st.rejected, 0);
    assert_int_equal(st.open_streams, 0);
    assert_int_equal(fx.ncloses, 0); /* refused streams are not reported closed */
    assert_false(df_h2_server_want_close(fx.srv));
    /* A refused stream cannot be answered later. */
    assert_int_equal(df_grpc_respond(fx.srv, 1, DF_GRPC_OK, NULL, NULL, 0, -1), DF_ENOENT);
    free(body);
    fx_free(&fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grpc_unary),
        cmocka_unit_test(test_grpc_deferred),
        cmocka_unit_test(test_stream_limit),
        cmocka_unit_test(test_body_over_limit),
        cmocka_unit_test(test_grpc_bad_calls),
        cmocka_unit_test(test_plain_http_post),
        cmocka_unit_test(test_client_reset_before_answer),
        cmocka_unit_test(test_garbage_closes_with_goaway),
        cmocka_unit_test(test_flood_cut_off),
        cmocka_unit_test(test_header_limits),
        cmocka_unit_test(test_graceful_shutdown),
        cmocka_unit_test(test_headers_decide),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
