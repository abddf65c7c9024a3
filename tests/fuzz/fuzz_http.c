/* libFuzzer target: the admin HTTP connection engine (admin/http.h) on
 * arbitrary bytes. The first byte picks where the rest is split into two
 * feeds, to exercise requests cut at any point. Any crash, leak, sanitizer
 * report or hang is a bug; so is output that is not a sequence of HTTP/1.1
 * responses, or output after the engine said close. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/http1.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Answers 200 with a small body, touching every request field. */
static void handler(void *ud, const struct df_http1_request *req, struct df_http1_response *res)
{
    size_t sum = strlen(req->method) + strlen(req->path) + (req->query ? strlen(req->query) : 0);
    for (size_t i = 0; i < req->nheaders; i++)
        sum += strlen(req->headers[i].name) + strlen(req->headers[i].value);
    for (size_t i = 0; i < req->body_len; i++)
        sum += req->body[i];
    if (req->body[req->body_len] != 0)
        abort();
    const char *host = df_http1_request_header(req, "host");
    df_http1_response_text(res, 200, "text/plain", "ok %zu %s", sum, host ? host : "-");
}

static void check_output(const struct df_http1_out *out, size_t from)
{
    if (out->len > from && (out->len - from < 9 || memcmp(out->data + from, "HTTP/1.1 ", 9) != 0))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    size_t rest = size - 1;
    size_t cut = rest * data[0] / 255;
    const uint8_t *in = data + 1;
    /* Small limits, so that the limit paths are reachable. */
    struct df_http1_limits limits = {
        .max_head_bytes = 2048, .max_headers = 16, .max_body_bytes = 4096};
    struct df_http1_conn conn;
    struct df_http1_out out = {0};
    df_http1_conn_init(&conn, handler, NULL, &limits);
    int rc = df_http1_conn_feed(&conn, in, cut, &out);
    check_output(&out, 0);
    size_t mark = out.len;
    if (rc == DF_HTTP1_KEEP) {
        rc = df_http1_conn_feed(&conn, in + cut, rest - cut, &out);
        check_output(&out, mark);
    }
    if (rc == DF_HTTP1_KEEP) {
        mark = out.len;
        rc = df_http1_conn_timeout(&conn, &out);
        check_output(&out, mark);
    }
    /* After close, nothing more comes out. */
    mark = out.len;
    if (rc == DF_HTTP1_CLOSE &&
        (df_http1_conn_feed(&conn, in, rest, &out) != DF_HTTP1_CLOSE || out.len != mark))
        abort();
    df_http1_out_free(&out);
    df_http1_conn_free(&conn);
    return 0;
}
