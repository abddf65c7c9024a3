/* libFuzzer target: the HTTP/1.1 client codec's response parser
 * (net/http1_client.h) on arbitrary bytes. The first byte picks where the
 * rest is split into two feeds and whether the request was a HEAD; after
 * each complete keep-alive response another request is put in flight; the
 * input ends with the end of the connection. Any crash, leak, sanitizer
 * report or hang is a bug; so is a callback after the codec said close or
 * failed, or a response breaking its own contract. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "df/error.h"
#include "net/http1_client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct state {
    size_t responses;
    bool keep;
    bool done; /* CLOSE or an error was returned */
};

static void on_response(void *ud, const struct df_http1_client_response *res)
{
    struct state *st = ud;
    if (st->done || res->status < 100 || res->status > 999 || res->body[res->body_len] != 0 ||
        res->body_len > 4096 || res->retry_after_s < -1)
        abort();
    for (size_t i = 0; i < res->nheaders; i++)
        if (strlen(res->headers[i].name) + strlen(res->headers[i].value) > 2048)
            abort();
    st->responses++;
    st->keep = res->keep_alive;
}

static int request(struct df_http1_client *cl, bool head)
{
    struct df_http1_out out = {0};
    int rc =
        df_http1_client_request(cl, &out, head ? "HEAD" : "POST", "h", "/v1/logs", NULL, 0, "x", 1);
    df_http1_out_free(&out);
    return rc;
}

/* Feeds in pieces at most as long as one response, re-arming a request
 * after each keep-alive response. */
static int feed(struct df_http1_client *cl, struct state *st, const uint8_t *p, size_t n, bool head)
{
    int rc = DF_HTTP1_KEEP;
    while (n > 0 && rc == DF_HTTP1_KEEP) {
        if (!df_http1_client_busy(cl) && request(cl, head) != 0)
            abort();
        size_t before = st->responses;
        size_t step = n < 64 ? n : 64;
        rc = df_http1_client_feed(cl, p, step);
        if (rc != DF_HTTP1_KEEP)
            st->done = true;
        if (st->responses > before + 1 && rc == DF_HTTP1_KEEP)
            abort(); /* no pipelining: one response per request */
        p += step;
        n -= step;
    }
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    size_t rest = size - 1;
    size_t cut = rest * (data[0] >> 1) / 127;
    bool head = data[0] & 1;
    struct df_http1_client_limits limits = {
        .max_head_bytes = 2048, .max_headers = 16, .max_body_bytes = 4096};
    struct state st = {0};
    struct df_http1_client cl;
    df_http1_client_init(&cl, on_response, &st, &limits);
    int rc = feed(&cl, &st, data + 1, cut, head);
    if (rc == DF_HTTP1_KEEP)
        rc = feed(&cl, &st, data + 1 + cut, rest - cut, head);
    if (rc == DF_HTTP1_KEEP) {
        rc = df_http1_client_eof(&cl);
        if (rc != DF_HTTP1_CLOSE && rc != DF_EPARSE && rc != DF_ERANGE && rc != DF_ENOMEM)
            abort();
        st.done = true;
    }
    /* Done: later calls change nothing and call nothing. */
    size_t n = st.responses;
    if (df_http1_client_feed(&cl, data, size) != rc || st.responses != n)
        abort();
    df_http1_client_free(&cl);
    return 0;
}
