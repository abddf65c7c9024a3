/* exporter:otlp_grpc and exporter:otlp_http: the pure helpers they share
 * (backoff, status -> outcome, partial_success, error bodies), then each
 * exporter on a real pipeline talking to a scripted server that runs on
 * the same loop (net/conn.c listeners with net/h2.c or net/http1_proto.c):
 * what goes on the wire, and what each answer becomes for the sender. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "net/compress.h"
#include "net/conn.h"
#include "net/h2.h"
#include "net/http1_proto.h"
#include "nodes/exporters/otlp_grpc/outcome.h"
#include "otlp/gen.h"
#include "otlp/json.h"
#include "otlp/wire.h"
#include "tests/unit/runtime/rt_fixture.h"

#define MS 1000000ull

/* ---- pure helpers ---------------------------------------------------------- */

static void test_backoff_doubles_with_jitter_and_caps(void **state)
{
    struct otlp_backoff b = {.initial_interval = 100 * MS, .max_interval = 1000 * MS};
    /* random 0 gives the lower end (half the interval), ~0 the upper end. */
    assert_int_equal(otlp_backoff_delay(&b, 0, 0), 50 * MS);
    assert_int_equal(otlp_backoff_delay(&b, 0, 50 * MS), 100 * MS);
    assert_int_equal(otlp_backoff_delay(&b, 1, 0), 100 * MS);
    assert_int_equal(otlp_backoff_delay(&b, 2, 0), 200 * MS);
    assert_int_equal(otlp_backoff_delay(&b, 3, 0), 400 * MS);
    assert_int_equal(otlp_backoff_delay(&b, 4, 0), 500 * MS); /* 1600 capped at 1000 */
    assert_int_equal(otlp_backoff_delay(&b, 1000, 0), 500 * MS);
    assert_int_equal(otlp_backoff_delay(&b, 1000, 500 * MS), 1000 * MS);
    uint64_t rng = 42, lo = UINT64_MAX, hi = 0;
    for (int i = 0; i < 2000; i++) {
        uint64_t d = otlp_backoff_delay(&b, 2, otlp_random(&rng));
        assert_true(d >= 200 * MS && d <= 400 * MS);
        lo = d < lo ? d : lo;
        hi = d > hi ? d : hi;
    }
    /* Jitter spreads over the upper half. */
    assert_true(lo < 220 * MS && hi > 380 * MS);
}

static void test_grpc_status_to_outcome(void **state)
{
    assert_int_equal(otlp_grpc_outcome(DF_GRPC_OK, false), DF_OUTCOME_ACK);
    assert_int_equal(otlp_grpc_outcome(DF_GRPC_UNAVAILABLE, false), DF_OUTCOME_NACK_TRANSIENT);
    assert_int_equal(otlp_grpc_outcome(DF_GRPC_DEADLINE_EXCEEDED, false),
                     DF_OUTCOME_NACK_TRANSIENT);
    assert_int_equal(otlp_grpc_outcome(DF_GRPC_CANCELLED, false), DF_OUTCOME_NACK_TRANSIENT);
    assert_int_equal(otlp_grpc_outcome(DF_GRPC_RESOURCE_EXHAUSTED, false),
                     DF_OUTCOME_NACK_PERMANENT);
    assert_int_equal(otlp_grpc_outcome(DF_GRPC_RESOURCE_EXHAUSTED, true),
                     DF_OUTCOME_NACK_TRANSIENT);
    assert_int_equal(otlp_grpc_outcome(DF_GRPC_INVALID_ARGUMENT, true), DF_OUTCOME_NACK_PERMANENT);
    assert_int_equal(otlp_grpc_outcome(DF_GRPC_INTERNAL, false), DF_OUTCOME_NACK_PERMANENT);
    assert_int_equal(otlp_grpc_outcome(DF_GRPC_UNAUTHENTICATED, false), DF_OUTCOME_NACK_PERMANENT);
}

static void test_http_status_to_outcome(void **state)
{
    assert_int_equal(otlp_http_outcome(200), DF_OUTCOME_ACK);
    assert_int_equal(otlp_http_outcome(202), DF_OUTCOME_ACK);
    for (int s = 0; s < 4; s++)
        assert_int_equal(otlp_http_outcome((int[]){429, 502, 503, 504}[s]),
                         DF_OUTCOME_NACK_TRANSIENT);
    assert_int_equal(otlp_http_outcome(400), DF_OUTCOME_NACK_PERMANENT);
    assert_int_equal(otlp_http_outcome(404), DF_OUTCOME_NACK_PERMANENT);
    assert_int_equal(otlp_http_outcome(500), DF_OUTCOME_NACK_PERMANENT);
    assert_int_equal(otlp_http_outcome(301), DF_OUTCOME_NACK_PERMANENT);
}

/* Export*ServiceResponse{partial_success{rejected = 1, error_message = 2}}. */
static uint8_t *partial(int64_t rejected, const char *msg, size_t *len)
{
    struct df_pb_writer w;
    df_pb_writer_init(&w);
    size_t m = df_pb_begin(&w, 1);
    if (rejected)
        df_pb_put_varint(&w, 1, (uint64_t)rejected);
    if (msg)
        df_pb_put_string(&w, 2, msg);
    df_pb_end(&w, m);
    return df_pb_writer_take(&w, len);
}

static void test_partial_success(void **state)
{
    int64_t rejected;
    char msg[16];
    size_t len;
    uint8_t *b = partial(7, "quota exceeded for tenant", &len);
    assert_int_equal(otlp_partial_success(b, len, &rejected, msg, sizeof msg), 1);
    assert_int_equal(rejected, 7);
    assert_string_equal(msg, "quota exceeded "); /* truncated to the buffer */
    free(b);
    b = partial(0, NULL, &len); /* present but empty: a full success */
    assert_int_equal(otlp_partial_success(b, len, &rejected, msg, sizeof msg), 0);
    free(b);
    assert_int_equal(otlp_partial_success(NULL, 0, &rejected, msg, sizeof msg), 0);
    assert_int_equal(
        otlp_partial_success((const uint8_t *)"\x0a\x05\x08", 3, &rejected, msg, sizeof msg),
        DF_EPARSE);
}

static void test_error_text(void **state)
{
    char out[64];
    struct df_pb_writer w;
    df_pb_writer_init(&w);
    df_pb_put_varint(&w, 1, 3);
    df_pb_put_string(&w, 2, "bad span id");
    otlp_error_text(w.buf, w.len, "application/x-protobuf", out, sizeof out);
    assert_string_equal(out, "bad span id");
    df_pb_writer_free(&w);
    const char *json = "{\"code\": 3, \"message\" : \"bad \\\"id\\\"\\n\\u0041\\u00e9\"}";
    otlp_error_text((const uint8_t *)json, strlen(json), "application/json; charset=utf-8", out,
                    sizeof out);
    assert_string_equal(out, "bad \"id\" A?");
    /* Anything else: a printable excerpt, bounded by the buffer. */
    const char *html = "<h1>Bad\x01Gateway\xff</h1>";
    otlp_error_text((const uint8_t *)html, strlen(html), "text/html", out, 12);
    assert_string_equal(out, "<h1>Bad.Gat"); /* 11 bytes and the NUL */
    otlp_error_text((const uint8_t *)"", 0, "application/json", out, sizeof out);
    assert_string_equal(out, "");
}

/* ---- a scripted server on the pipeline's loop ------------------------------ */

struct answer {
    int status; /* gRPC status, or HTTP status */
    const char *message;
    int64_t retry_ms;  /* gRPC RetryInfo (-1 none); HTTP Retry-After seconds (-1 none) */
    bool partial;      /* gRPC: OK with a partial_success */
    const char *ctype; /* HTTP body's content type */
    const char *body;  /* HTTP body */
};

static struct server {
    const struct answer *script;
    unsigned nscript, requests;
    char path[128], header[64], ctype[64], cencoding[16];
    uint8_t body[4096];
    size_t body_len;
} srv;

static void record(const char *path, const char *hdr, const char *ct, const char *ce,
                   const uint8_t *body, size_t len)
{
    snprintf(srv.path, sizeof srv.path, "%s", path);
    snprintf(srv.header, sizeof srv.header, "%s", hdr ? hdr : "");
    snprintf(srv.ctype, sizeof srv.ctype, "%s", ct ? ct : "");
    snprintf(srv.cencoding, sizeof srv.cencoding, "%s", ce ? ce : "");
    srv.body_len = len < sizeof srv.body ? len : sizeof srv.body;
    memcpy(srv.body, body, srv.body_len);
}

static const struct answer *next_answer(void)
{
    assert_true(srv.requests < srv.nscript);
    return &srv.script[srv.requests++];
}

struct h2srv {
    struct df_proto base;
    struct df_h2_server_conn *h2;
};

static void h2_request(void *ud, struct df_h2_server_conn *c, const struct df_h2_request *req)
{
    const char *tenant = NULL;
    for (size_t i = 0; i < req->nheaders; i++) {
        if (!strcmp(req->headers[i].name, "x-tenant"))
            tenant = req->headers[i].value;
    }
    record(req->path, tenant, req->content_type, req->grpc_encoding, req->body, req->body_len);
    const struct answer *a = next_answer();
    size_t len = 0;
    uint8_t *body = a->partial ? partial(3, "3 spans too old", &len) : NULL;
    df_grpc_respond(c, req->stream_id, (enum df_grpc_status)a->status, a->message, body, len,
                    a->retry_ms);
    free(body);
}

static int h2s_feed(struct df_proto *p, const uint8_t *d, size_t n)
{
    return df_h2_server_feed(((struct h2srv *)p)->h2, d, n);
}

static size_t h2s_output(struct df_proto *p, const uint8_t **d)
{
    size_t n;
    df_h2_server_pending_output(((struct h2srv *)p)->h2, d, &n);
    return n;
}

static void h2s_consumed(struct df_proto *p, size_t n)
{
    df_h2_server_consume_output(((struct h2srv *)p)->h2, n);
}

static bool h2s_done(struct df_proto *p)
{
    return df_h2_server_want_close(((struct h2srv *)p)->h2);
}

static void h2s_destroy(struct df_proto *p)
{
    df_h2_server_free(((struct h2srv *)p)->h2);
    free(p);
}

static const struct df_proto_ops h2s_ops = {.feed = h2s_feed,
                                            .output = h2s_output,
                                            .consumed = h2s_consumed,
                                            .done = h2s_done,
                                            .destroy = h2s_destroy};

static struct df_proto *select_h2(void *ud, struct df_conn *conn, const uint8_t *first, size_t len)
{
    struct h2srv *p = calloc(1, sizeof *p);
    struct df_h2_server_callbacks cb = {.on_request = h2_request};
    p->base.ops = &h2s_ops;
    p->h2 = df_h2_server_new(&cb, p, NULL);
    return &p->base;
}

static void h1_handle(void *ud, const struct df_http1_request *req, struct df_http1_response *res)
{
    record(req->path, df_http1_request_header(req, "X-Tenant"),
           df_http1_request_header(req, "Content-Type"),
           df_http1_request_header(req, "Content-Encoding"), req->body, req->body_len);
    const struct answer *a = next_answer();
    static char retry[16];
    static struct df_http1_header h[1];
    df_http1_response_text(res, a->status, a->ctype ? a->ctype : "application/x-protobuf", "%s",
                           a->body ? a->body : "");
    if (a->retry_ms >= 0) {
        snprintf(retry, sizeof retry, "%lld", (long long)a->retry_ms);
        h[0] = (struct df_http1_header){"Retry-After", retry};
        res->headers = h;
        res->nheaders = 1;
    }
}

static struct df_proto *select_h1(void *ud, struct df_conn *conn, const uint8_t *first, size_t len)
{
    return df_http1_proto_new(conn, h1_handle, NULL, NULL, NULL);
}

static void closed(void *ud)
{
    *(bool *)ud = true;
}

/* Listens on loopback `port` on the pipeline's loop. */
static struct df_listener *listen_on(struct rt *t, df_proto_select_fn sel, int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(0x7f000001)};
    struct df_listener_opts o = {.tcp_nodelay = true};
    char err[256];
    struct df_listener *l =
        df_listener_start(&t->pl.loop, (struct sockaddr *)&a, &o, sel, NULL, err, sizeof err);
    if (!l)
        fail_msg("%s", err);
    return l;
}

/* A port nothing listens on (bound, then closed). */
static int dead_port(void)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    uv_tcp_t tcp;
    uv_tcp_init(&loop, &tcp);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001)};
    assert_int_equal(uv_tcp_bind(&tcp, (struct sockaddr *)&a, 0), 0);
    struct sockaddr_storage ss;
    int n = sizeof ss;
    uv_tcp_getsockname(&tcp, (struct sockaddr *)&ss, &n);
    uv_close((uv_handle_t *)&tcp, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/* Builds gen -> out (the exporter) without starting it, so that the server
 * can listen on the same loop first. */
static void build(struct rt *t, const char *type, const char *config)
{
    char yaml[1024];
    snprintf(yaml, sizeof yaml,
             RT_HEADER RT_GROUP "        nodes:\n"
                                "          gen: {type: 'urn:test:receiver:gen'}\n"
                                "          out:\n"
                                "            type: %s\n"
                                "            config: %s\n"
                                "        connections: [{from: gen, to: out}]\n",
             type, config);
    rt_build(t, yaml);
}

static void run(struct rt *t)
{
    df_core_pipeline_post(&t->pl, DF_CMD_START);
    for (int i = 0; i < 1000 && df_core_pipeline_state(&t->pl) != DF_PIPELINE_RUNNING; i++)
        rt_spin(t, 1);
    assert_int_equal(df_core_pipeline_state(&t->pl), DF_PIPELINE_RUNNING);
    test_probe.gen_subscribe = true;
}

static struct df_bytes *request(enum df_signal signal, uint32_t items)
{
    struct df_pb_writer w;
    df_pb_writer_init(&w);
    struct df_otlp_gen_opts o = {
        .items = items, .log_body_size = 12, .num_attributes = 2, .seed = 1, .time_unix_nano = 1};
    assert_int_equal(df_otlp_gen(signal, &o, &w), 0);
    size_t len;
    uint8_t *buf = df_pb_writer_take(&w, &len);
    return df_bytes_wrap(buf, len);
}

/* Injects one request and turns the loop until its outcome arrives. */
static const struct test_event *send_one(struct rt *t, struct df_bytes *b, enum df_signal s,
                                         uint64_t cookie)
{
    unsigned before = test_probe.nevents;
    assert_int_equal(test_inject(0, s, b, 2, cookie), 0);
    rt_wait(t, &test_probe.nevents, before + 1, 5000);
    assert_int_equal(test_probe.nevents, before + 1);
    assert_int_equal(test_probe.events[before].cookie, cookie);
    return &test_probe.events[before];
}

static void finish_with(struct rt *t, struct df_listener *l)
{
    bool done = false;
    df_listener_close(l, closed, &done);
    assert_int_equal(rt_finish(t), 0);
    assert_true(done);
}

static void test_grpc_exporter_answers(void **state)
{
    static const struct answer script[] = {
        {.status = DF_GRPC_OK, .retry_ms = -1},
        {.status = DF_GRPC_OK, .retry_ms = -1, .partial = true},
        {.status = DF_GRPC_UNAVAILABLE, .message = "backend busy", .retry_ms = -1},
        {.status = DF_GRPC_RESOURCE_EXHAUSTED, .message = "slow down", .retry_ms = 1500},
        {.status = DF_GRPC_RESOURCE_EXHAUSTED, .message = "too big", .retry_ms = -1},
        {.status = DF_GRPC_INVALID_ARGUMENT, .message = "bad trace id", .retry_ms = -1},
    };
    memset(&srv, 0, sizeof srv);
    srv.script = script;
    srv.nscript = DF_COUNTOF(script);
    int port = dead_port();
    char cfg[256];
    snprintf(cfg, sizeof cfg,
             "{grpc_endpoint: 'http://127.0.0.1:%d', compression: gzip, headers: {X-Tenant: "
             "acme}}",
             port);
    struct rt t;
    build(&t, "exporter:otlp_grpc", cfg);
    struct df_listener *l = listen_on(&t, select_h2, port);
    run(&t);
    struct df_bytes *b = request(DF_SIGNAL_TRACES, 2);

    const struct test_event *e = send_one(&t, b, DF_SIGNAL_TRACES, 1);
    assert_int_equal(e->outcome, DF_OUTCOME_ACK);
    /* The call as sent: path, metadata, encoding, and the request bytes. */
    assert_string_equal(srv.path, "/opentelemetry.proto.collector.trace.v1.TraceService/Export");
    assert_string_equal(srv.header, "acme");
    assert_string_equal(srv.ctype, "application/grpc");
    assert_string_equal(srv.cencoding, "gzip");
    assert_int_equal(srv.body_len, b->len);
    assert_memory_equal(srv.body, b->data, b->len);

    e = send_one(&t, b, DF_SIGNAL_LOGS, 2); /* partial success: still an Ack */
    assert_int_equal(e->outcome, DF_OUTCOME_ACK);
    assert_string_equal(srv.path, "/opentelemetry.proto.collector.logs.v1.LogsService/Export");
    e = send_one(&t, b, DF_SIGNAL_METRICS, 3);
    assert_int_equal(e->outcome, DF_OUTCOME_NACK_TRANSIENT);
    assert_non_null(strstr(e->reason, "UNAVAILABLE: backend busy"));
    e = send_one(&t, b, DF_SIGNAL_TRACES, 4);
    assert_int_equal(e->outcome, DF_OUTCOME_NACK_TRANSIENT);
    assert_non_null(strstr(e->reason, "RESOURCE_EXHAUSTED: slow down (retry after 1500 ms)"));
    e = send_one(&t, b, DF_SIGNAL_TRACES, 5);
    assert_int_equal(e->outcome, DF_OUTCOME_NACK_PERMANENT);
    assert_non_null(strstr(e->reason, "RESOURCE_EXHAUSTED: too big"));
    e = send_one(&t, b, DF_SIGNAL_TRACES, 6);
    assert_int_equal(e->outcome, DF_OUTCOME_NACK_PERMANENT);
    assert_non_null(strstr(e->reason, "INVALID_ARGUMENT: bad trace id"));
    assert_int_equal(srv.requests, 6);
    struct df_node *out = rt_node(&t, "out");
    assert_int_equal(out->stats.acks_sent, 2);
    assert_int_equal(out->stats.nacks_sent[0] + out->stats.nacks_sent[1], 4);
    df_bytes_unref(b);
    finish_with(&t, l);
}

static void test_http_exporter_answers(void **state)
{
    static const struct answer script[] = {
        {.status = 200, .retry_ms = -1},
        {.status = 503, .retry_ms = 7, .ctype = "text/plain", .body = "overloaded"},
        {.status = 400,
         .retry_ms = -1,
         .ctype = "application/json",
         .body = "{\"code\":3,\"message\":\"bad span id\"}"},
        {.status = 429, .retry_ms = -1},
        {.status = 200, .retry_ms = -1},
    };
    memset(&srv, 0, sizeof srv);
    srv.script = script;
    srv.nscript = DF_COUNTOF(script);
    int port = dead_port();
    char cfg[256];
    snprintf(cfg, sizeof cfg,
             "{endpoint: 'http://127.0.0.1:%d/base', headers: {X-Tenant: acme}, "
             "max_in_flight: 1}",
             port);
    struct rt t;
    build(&t, "exporter:otlp_http", cfg);
    struct df_listener *l = listen_on(&t, select_h1, port);
    run(&t);
    struct df_bytes *b = request(DF_SIGNAL_LOGS, 2);
    const struct test_event *e = send_one(&t, b, DF_SIGNAL_LOGS, 1);
    assert_int_equal(e->outcome, DF_OUTCOME_ACK);
    assert_string_equal(srv.path, "/base/v1/logs");
    assert_string_equal(srv.header, "acme");
    assert_string_equal(srv.ctype, "application/x-protobuf");
    assert_string_equal(srv.cencoding, "");
    assert_int_equal(srv.body_len, b->len);
    assert_memory_equal(srv.body, b->data, b->len);
    e = send_one(&t, b, DF_SIGNAL_METRICS, 2);
    assert_int_equal(e->outcome, DF_OUTCOME_NACK_TRANSIENT);
    assert_string_equal(srv.path, "/base/v1/metrics");
    assert_non_null(strstr(e->reason, "HTTP 503: overloaded (retry after 7 s)"));
    e = send_one(&t, b, DF_SIGNAL_TRACES, 3);
    assert_int_equal(e->outcome, DF_OUTCOME_NACK_PERMANENT);
    assert_non_null(strstr(e->reason, "/base/v1/traces failed: HTTP 400: bad span id"));
    e = send_one(&t, b, DF_SIGNAL_LOGS, 4);
    assert_int_equal(e->outcome, DF_OUTCOME_NACK_TRANSIENT);
    assert_non_null(strstr(e->reason, "HTTP 429"));
    e = send_one(&t, b, DF_SIGNAL_LOGS, 5);
    assert_int_equal(e->outcome, DF_OUTCOME_ACK);
    assert_int_equal(srv.requests, 5);
    /* max_in_flight 1: one keep-alive connection carried them all. */
    assert_int_equal(df_listener_connections(l), 1);
    df_bytes_unref(b);
    finish_with(&t, l);
}

static void test_http_exporter_json_gzip(void **state)
{
    static const struct answer script[] = {{.status = 200, .retry_ms = -1}};
    memset(&srv, 0, sizeof srv);
    srv.script = script;
    srv.nscript = 1;
    int port = dead_port();
    char cfg[256];
    snprintf(cfg, sizeof cfg,
             "{traces_endpoint: 'http://127.0.0.1:%d/t', endpoint: 'http://127.0.0.1:1', "
             "encoding: json, compression: gzip}",
             port);
    struct rt t;
    build(&t, "exporter:otlp_http", cfg);
    struct df_listener *l = listen_on(&t, select_h1, port);
    run(&t);
    struct df_bytes *b = request(DF_SIGNAL_TRACES, 3);
    assert_int_equal(send_one(&t, b, DF_SIGNAL_TRACES, 1)->outcome, DF_OUTCOME_ACK);
    assert_string_equal(srv.path, "/t");
    assert_string_equal(srv.ctype, "application/json");
    assert_string_equal(srv.cencoding, "gzip");
    /* The server's HTTP engine leaves the body compressed: it is the gzip
     * of the JSON encoding of the request. */
    uint8_t *plain;
    size_t plain_len;
    assert_int_equal(
        df_decompress(DF_ENCODING_GZIP, srv.body, srv.body_len, 1 << 20, &plain, &plain_len), 0);
    struct df_jbuf j;
    df_jbuf_init(&j);
    assert_int_equal(df_otlp_pb_to_json(DF_SIGNAL_TRACES, b->data, b->len, &j), 0);
    assert_int_equal(plain_len, j.len);
    assert_memory_equal(plain, j.buf, j.len);
    free(plain);
    df_jbuf_free(&j);
    df_bytes_unref(b);
    finish_with(&t, l);
}

/* Nothing listens: the request is Nacked (transient) with the reason, once
 * the attempt failed; the exporter then backs off. */
static void test_unreachable_is_transient(void **state)
{
    for (int k = 0; k < 2; k++) {
        char cfg[256];
        int port = dead_port();
        if (k == 0)
            snprintf(cfg, sizeof cfg, "{grpc_endpoint: 'http://127.0.0.1:%d'}", port);
        else
            snprintf(cfg, sizeof cfg, "{endpoint: 'http://127.0.0.1:%d'}", port);
        struct rt t;
        build(&t, k == 0 ? "exporter:otlp_grpc" : "exporter:otlp_http", cfg);
        run(&t);
        struct df_bytes *b = request(DF_SIGNAL_LOGS, 1);
        const struct test_event *e = send_one(&t, b, DF_SIGNAL_LOGS, 1);
        assert_int_equal(e->outcome, DF_OUTCOME_NACK_TRANSIENT);
        assert_non_null(strstr(e->reason, "connection refused"));
        e = send_one(&t, b, DF_SIGNAL_LOGS, 2);
        assert_int_equal(e->outcome, DF_OUTCOME_NACK_TRANSIENT);
        df_bytes_unref(b);
        assert_int_equal(rt_finish(&t), 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backoff_doubles_with_jitter_and_caps),
        cmocka_unit_test(test_grpc_status_to_outcome),
        cmocka_unit_test(test_http_status_to_outcome),
        cmocka_unit_test(test_partial_success),
        cmocka_unit_test(test_error_text),
        cmocka_unit_test(test_grpc_exporter_answers),
        cmocka_unit_test(test_http_exporter_answers),
        cmocka_unit_test(test_http_exporter_json_gzip),
        cmocka_unit_test(test_unreachable_is_transient),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
