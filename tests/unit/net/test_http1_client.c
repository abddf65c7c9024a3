/* Unit tests for the HTTP/1.1 client codec (net/http1_client.h): request
 * serialisation and incremental response parsing, fed directly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "df/error.h"
#include "net/http1_client.h"

/* The last response seen, copied out of the callback. */
struct seen {
    int calls;
    int status;
    char body[256];
    size_t body_len;
    int64_t retry_after;
    bool keep;
    char ctype[64];
    size_t nheaders;
};

static void on_response(void *ud, const struct df_http1_client_response *res)
{
    struct seen *s = ud;
    s->calls++;
    s->status = res->status;
    s->body_len = res->body_len;
    snprintf(s->body, sizeof s->body, "%.*s", (int)res->body_len, (const char *)res->body);
    s->retry_after = res->retry_after_s;
    s->keep = res->keep_alive;
    s->nheaders = res->nheaders;
    s->ctype[0] = 0;
    for (size_t i = 0; i < res->nheaders; i++)
        if (!strcmp(res->headers[i].name, "Content-Type"))
            snprintf(s->ctype, sizeof s->ctype, "%s", res->headers[i].value);
}

static int feed(struct df_http1_client *cl, const char *s)
{
    return df_http1_client_feed(cl, (const uint8_t *)s, strlen(s));
}

/* A client with a request in flight. */
static void start(struct df_http1_client *cl, struct seen *s, const char *method,
                  const struct df_http1_client_limits *l)
{
    memset(s, 0, sizeof *s);
    df_http1_client_init(cl, on_response, s, l);
    struct df_http1_out out = {0};
    assert_int_equal(df_http1_client_request(cl, &out, method, "h", "/", NULL, 0, NULL, 0), 0);
    df_http1_out_free(&out);
    assert_true(df_http1_client_busy(cl));
}

static void test_client_request(void **state)
{
    (void)state;
    struct df_http1_client cl;
    struct seen s = {0};
    df_http1_client_init(&cl, on_response, &s, NULL);
    struct df_http1_out out = {0};
    static const struct df_http1_header h[] = {{"Content-Type", "application/x-protobuf"},
                                               {"Content-Encoding", "gzip"}};
    assert_int_equal(
        df_http1_client_request(&cl, &out, "POST", "collector:4318", "/v1/traces", h, 2, "abc", 3),
        0);
    const char *want = "POST /v1/traces HTTP/1.1\r\nHost: collector:4318\r\n"
                       "Content-Type: application/x-protobuf\r\nContent-Encoding: gzip\r\n"
                       "Content-Length: 3\r\n\r\nabc";
    assert_int_equal(out.len, strlen(want));
    assert_memory_equal(out.data, want, out.len);
    /* One in flight at a time. */
    assert_int_equal(df_http1_client_request(&cl, &out, "GET", "h", "/", NULL, 0, NULL, 0),
                     DF_EINVAL);
    df_http1_out_free(&out);
    assert_int_equal(feed(&cl, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"), DF_HTTP1_KEEP);
    assert_false(df_http1_client_busy(&cl));
    /* GET: no Content-Length; bad arguments refused. */
    assert_int_equal(df_http1_client_request(&cl, &out, "GET", "h", "/x", NULL, 0, NULL, 0), 0);
    assert_int_equal(out.len, strlen("GET /x HTTP/1.1\r\nHost: h\r\n\r\n"));
    assert_memory_equal(out.data, "GET /x HTTP/1.1\r\nHost: h\r\n\r\n", out.len);
    df_http1_out_free(&out);
    df_http1_client_free(&cl);
    df_http1_client_init(&cl, on_response, &s, NULL);
    static const struct df_http1_header bad[][1] = {
        {{"Content-Length", "1"}}, {{"Host", "x"}}, {{"X", "a\r\nB: c"}}, {{"A B", "c"}}};
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(df_http1_client_request(&cl, &out, "POST", "h", "/", bad[i], 1, NULL, 0),
                         DF_EINVAL);
    assert_int_equal(df_http1_client_request(&cl, &out, "PO ST", "h", "/", NULL, 0, NULL, 0),
                     DF_EINVAL);
    assert_int_equal(df_http1_client_request(&cl, &out, "GET", "h", "/a b", NULL, 0, NULL, 0),
                     DF_EINVAL);
    assert_int_equal(out.len, 0);
    df_http1_client_free(&cl);
}

static void test_client_content_length(void **state)
{
    (void)state;
    struct df_http1_client cl;
    struct seen s;
    start(&cl, &s, "POST", NULL);
    assert_int_equal(feed(&cl, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                               "Content-Length: 5\r\n\r\nhel"),
                     DF_HTTP1_KEEP);
    assert_int_equal(s.calls, 0);
    assert_int_equal(feed(&cl, "lo"), DF_HTTP1_KEEP);
    assert_int_equal(s.calls, 1);
    assert_int_equal(s.status, 200);
    assert_string_equal(s.body, "hello");
    assert_string_equal(s.ctype, "application/json");
    assert_true(s.keep);
    assert_int_equal(s.retry_after, -1);
    /* Bytes nobody asked for. */
    assert_int_equal(feed(&cl, "HTTP/1.1 200 OK\r\n\r\n"), DF_EPARSE);
    assert_int_equal(feed(&cl, "x"), DF_EPARSE);
    df_http1_client_free(&cl);
    /* HEAD: no body whatever Content-Length says; 100 Continue skipped. */
    start(&cl, &s, "HEAD", NULL);
    assert_int_equal(feed(&cl, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"
                               "Content-Length: 99\r\n\r\n"),
                     DF_HTTP1_KEEP);
    assert_int_equal(s.calls, 1);
    assert_int_equal(s.body_len, 0);
    df_http1_client_free(&cl);
}

static void test_client_chunked_split_anywhere(void **state)
{
    (void)state;
    const char *resp = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n"
                       "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n";
    size_t n = strlen(resp);
    for (size_t cut = 0; cut <= n; cut++) {
        struct df_http1_client cl;
        struct seen s;
        start(&cl, &s, "POST", NULL);
        assert_int_equal(df_http1_client_feed(&cl, (const uint8_t *)resp, cut), DF_HTTP1_KEEP);
        assert_int_equal(s.calls, cut == n);
        assert_int_equal(df_http1_client_feed(&cl, (const uint8_t *)resp + cut, n - cut),
                         DF_HTTP1_KEEP);
        assert_int_equal(s.calls, 1);
        assert_string_equal(s.body, "hello world");
        assert_int_equal(s.nheaders, 3); /* trailer included */
        df_http1_client_free(&cl);
    }
    struct df_http1_client cl;
    struct seen s;
    start(&cl, &s, "POST", NULL);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(df_http1_client_feed(&cl, (const uint8_t *)resp + i, 1), DF_HTTP1_KEEP);
    assert_int_equal(s.calls, 1);
    assert_string_equal(s.body, "hello world");
    df_http1_client_free(&cl);
}

static void test_client_retry_after(void **state)
{
    (void)state;
    int64_t secs = 0;
    time_t now = 784111777; /* Sun, 06 Nov 1994 08:49:37 GMT */
    assert_int_equal(df_http1_retry_after("120", now, &secs), 0);
    assert_int_equal(secs, 120);
    assert_int_equal(df_http1_retry_after("Sun, 06 Nov 1994 08:50:37 GMT", now, &secs), 0);
    assert_int_equal(secs, 60);
    assert_int_equal(df_http1_retry_after("Sunday, 06-Nov-94 08:49:47 GMT", now, &secs), 0);
    assert_int_equal(secs, 10);
    assert_int_equal(df_http1_retry_after("Sun Nov  6 08:49:39 1994", now, &secs), 0);
    assert_int_equal(secs, 2);
    assert_int_equal(df_http1_retry_after("Sat, 05 Nov 1994 08:49:37 GMT", now, &secs), 0);
    assert_int_equal(secs, 0); /* in the past */
    assert_int_equal(df_http1_retry_after("soon", now, &secs), DF_EPARSE);
    assert_int_equal(df_http1_retry_after("12s", now, &secs), DF_EPARSE);
    assert_int_equal(df_http1_retry_after("", now, &secs), DF_EPARSE);
    /* Through a response: seconds, then a date against the codec's clock. */
    struct df_http1_client cl;
    struct seen s;
    start(&cl, &s, "POST", NULL);
    assert_int_equal(feed(&cl, "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 30\r\n"
                               "Content-Length: 0\r\n\r\n"),
                     DF_HTTP1_KEEP);
    assert_int_equal(s.status, 429);
    assert_int_equal(s.retry_after, 30);
    df_http1_client_free(&cl);
    start(&cl, &s, "POST", NULL);
    cl.now = now;
    assert_int_equal(feed(&cl, "HTTP/1.1 503 Service Unavailable\r\n"
                               "Retry-After: Sun, 06 Nov 1994 08:51:37 GMT\r\n"
                               "Content-Length: 0\r\n\r\n"),
                     DF_HTTP1_KEEP);
    assert_int_equal(s.retry_after, 120);
    df_http1_client_free(&cl);
    start(&cl, &s, "POST", NULL);
    assert_int_equal(feed(&cl, "HTTP/1.1 503 x\r\nRetry-After: later\r\nContent-Length: 0\r\n\r\n"),
                     DF_HTTP1_KEEP);
    assert_int_equal(s.retry_after, -1);
    df_http1_client_free(&cl);
}

static void test_client_limits(void **state)
{
    (void)state;
    struct df_http1_client_limits l = {.max_body_bytes = 8, .max_head_bytes = 64, .max_headers = 2};
    struct df_http1_client cl;
    struct seen s;
    /* Declared too large: refused before any body byte. */
    start(&cl, &s, "POST", &l);
    assert_int_equal(feed(&cl, "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n"), DF_ERANGE);
    assert_int_equal(feed(&cl, "123456789"), DF_ERANGE);
    assert_int_equal(s.calls, 0);
    df_http1_client_free(&cl);
    /* Exactly the limit passes. */
    start(&cl, &s, "POST", &l);
    assert_int_equal(feed(&cl, "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\n12345678"),
                     DF_HTTP1_KEEP);
    assert_int_equal(s.calls, 1);
    df_http1_client_free(&cl);
    /* Chunked past the limit; to the end of the connection past it. */
    start(&cl, &s, "POST", &l);
    assert_int_equal(feed(&cl, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                               "5\r\n12345\r\n5\r\n12345\r\n"),
                     DF_ERANGE);
    df_http1_client_free(&cl);
    start(&cl, &s, "POST", &l);
    assert_int_equal(feed(&cl, "HTTP/1.1 200 OK\r\n\r\n123456789"), DF_ERANGE);
    df_http1_client_free(&cl);
    /* Head: too long, too many headers. */
    start(&cl, &s, "POST", &l);
    char big[256];
    snprintf(big, sizeof big, "HTTP/1.1 200 OK\r\nX-Big: %080d\r\n\r\n", 0);
    assert_int_equal(feed(&cl, big), DF_ERANGE);
    df_http1_client_free(&cl);
    start(&cl, &s, "POST", &l);
    assert_int_equal(feed(&cl, "HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n"), DF_ERANGE);
    df_http1_client_free(&cl);
    /* Malformed. */
    start(&cl, &s, "POST", &l);
    assert_int_equal(feed(&cl, "HTTP/1.1 2x0 OK\r\n\r\n"), DF_EPARSE);
    df_http1_client_free(&cl);
}

static void test_client_connection_close(void **state)
{
    (void)state;
    struct df_http1_client cl;
    struct seen s;
    /* Connection: close with a length: the response, then CLOSE. */
    start(&cl, &s, "POST", NULL);
    assert_int_equal(feed(&cl, "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n"
                               "okEXTRA"),
                     DF_HTTP1_CLOSE);
    assert_int_equal(s.calls, 1);
    assert_false(s.keep);
    assert_string_equal(s.body, "ok");
    assert_int_equal(feed(&cl, "more"), DF_HTTP1_CLOSE);
    struct df_http1_out out = {0};
    assert_int_equal(df_http1_client_request(&cl, &out, "GET", "h", "/", NULL, 0, NULL, 0),
                     DF_EINVAL);
    df_http1_client_free(&cl);
    /* A body delimited by the end of the connection. */
    start(&cl, &s, "POST", NULL);
    assert_int_equal(feed(&cl, "HTTP/1.1 200 OK\r\n\r\nto the "), DF_HTTP1_KEEP);
    assert_int_equal(feed(&cl, "end"), DF_HTTP1_KEEP);
    assert_int_equal(s.calls, 0);
    assert_int_equal(df_http1_client_eof(&cl), DF_HTTP1_CLOSE);
    assert_int_equal(s.calls, 1);
    assert_string_equal(s.body, "to the end");
    assert_false(s.keep);
    df_http1_client_free(&cl);
    /* HTTP/1.0 without keep-alive closes. */
    start(&cl, &s, "POST", NULL);
    assert_int_equal(feed(&cl, "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"), DF_HTTP1_CLOSE);
    assert_false(s.keep);
    df_http1_client_free(&cl);
    /* Cut short: an error; none at all for the request: an error too. */
    start(&cl, &s, "POST", NULL);
    assert_int_equal(feed(&cl, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab"), DF_HTTP1_KEEP);
    assert_int_equal(df_http1_client_eof(&cl), DF_EPARSE);
    assert_int_equal(s.calls, 0);
    df_http1_client_free(&cl);
    start(&cl, &s, "POST", NULL);
    assert_int_equal(df_http1_client_eof(&cl), DF_EPARSE);
    df_http1_client_free(&cl);
    /* Idle keep-alive connection closed by the server: fine. */
    start(&cl, &s, "POST", NULL);
    assert_int_equal(feed(&cl, "HTTP/1.1 204 No Content\r\n\r\n"), DF_HTTP1_KEEP);
    assert_int_equal(df_http1_client_eof(&cl), DF_HTTP1_CLOSE);
    df_http1_client_free(&cl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client_request),
        cmocka_unit_test(test_client_content_length),
        cmocka_unit_test(test_client_chunked_split_anywhere),
        cmocka_unit_test(test_client_retry_after),
        cmocka_unit_test(test_client_limits),
        cmocka_unit_test(test_client_connection_close),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
