/* libFuzzer target: a server connection (net/h2.h) fed arbitrary bytes.
 * Input: byte 0 picks the chunk size; the rest is what a client sends
 * (the seeds are real client conversations: preface, SETTINGS, requests).
 * Every request is answered: gRPC ones at once or after the feed, plain
 * ones with a body and trailers; answers to closed streams are tried too.
 * on_headers refuses requests whose path length is a multiple of 3 (with an
 * answer, or none when the length is odd too) and marks the others, which
 * on_request checks.
 * Any crash, leak or sanitizer report is a bug; so is output held beyond
 * the bound, or input accepted after the connection said it is dead. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/h2.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_OUTPUT 8192
#define MAX_FRAME  (16384 + 9)

struct state {
    struct df_h2_server_conn *c;
    int32_t deferred[64];
    size_t ndeferred;
    int32_t closed[64];
    size_t nclosed;
};

static void on_request(void *ud, struct df_h2_server_conn *c, const struct df_h2_request *req)
{
    struct state *st = ud;
    size_t sum =
        strlen(req->method) + strlen(req->path) + strlen(req->authority) + strlen(req->scheme);
    for (size_t i = 0; i < req->nheaders; i++)
        sum += strlen(req->headers[i].name) + strlen(req->headers[i].value);
    for (size_t i = 0; i < req->body_len; i++)
        sum += req->body[i];
    if (req->body_len > 4096 || req->stream_ud != st)
        abort(); /* over the limit given below; not marked by on_headers */
    if (req->is_grpc && (req->stream_id & 2) && st->ndeferred < 64) {
        st->deferred[st->ndeferred++] = req->stream_id;
        return;
    }
    if (req->is_grpc) {
        df_grpc_respond(c, req->stream_id, sum & 1 ? DF_GRPC_OK : DF_GRPC_UNAVAILABLE, "m%",
                        req->body, req->body_len, (int64_t)(sum % 3) - 1);
    } else {
        struct df_h2_header h[] = {{"content-type", "text/plain"}};
        struct df_h2_header t[] = {{"x-sum", "1"}};
        df_h2_server_respond(c, req->stream_id, 200, h, 1, req->body, req->body_len, t, sum & 1);
    }
}

static bool on_headers(void *ud, struct df_h2_server_conn *c, const struct df_h2_request *req,
                       void **stream_ud)
{
    size_t n = strlen(req->path);
    for (size_t i = 0; i < req->nheaders; i++)
        n += strlen(req->headers[i].name) + strlen(req->headers[i].value);
    if (req->body_len || req->stream_ud || *stream_ud)
        abort();
    if (strlen(req->path) % 3) {
        *stream_ud = ud;
        return true;
    }
    if (strlen(req->path) % 2)
        return false; /* unanswered: the stream is reset */
    if (req->is_grpc) {
        df_grpc_respond(c, req->stream_id, DF_GRPC_UNAUTHENTICATED, n & 1 ? "no" : NULL, NULL, 0,
                        -1);
    } else {
        struct df_h2_header h[] = {{"www-authenticate", "Bearer"}};
        df_h2_server_respond(c, req->stream_id, 401, h, 1, (const uint8_t *)"no", n & 1 ? 2 : 0,
                             NULL, 0);
    }
    return n & 2;
}

static void on_close(void *ud, struct df_h2_server_conn *c, int32_t id, uint32_t code)
{
    struct state *st = ud;
    if (st->nclosed < 64)
        st->closed[st->nclosed++] = id;
}

static void drain(struct df_h2_server_conn *c)
{
    const uint8_t *p;
    size_t n;
    df_h2_server_pending_output(c, &p, &n);
    if (n > MAX_OUTPUT + MAX_FRAME)
        abort();
    /* Consume in two steps, as a partial socket write would. */
    df_h2_server_consume_output(c, n / 2);
    df_h2_server_pending_output(c, &p, &n);
    df_h2_server_consume_output(c, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    size_t chunk = (size_t)data[0] * 16 + 1;
    struct df_h2_limits lim = {.max_concurrent_streams = 8,
                               .max_header_list_size = 2048,
                               .max_body = 4096,
                               .max_output_buffer = MAX_OUTPUT};
    struct state st = {0};
    struct df_h2_server_callbacks cb = {
        .on_request = on_request, .on_stream_close = on_close, .on_headers = on_headers};
    st.c = df_h2_server_new(&cb, &st, &lim);
    if (!st.c)
        return 0;
    size_t off = 1;
    int rc = 0;
    while (off < size && rc == 0) {
        size_t n = size - off < chunk ? size - off : chunk;
        rc = df_h2_server_feed(st.c, data + off, n);
        off += n;
        /* Answer what was deferred, and try the closed ones. */
        for (size_t i = 0; i < st.ndeferred; i++)
            df_grpc_respond(st.c, st.deferred[i], DF_GRPC_OK, NULL, (const uint8_t *)"ok", 2, -1);
        st.ndeferred = 0;
        for (size_t i = 0; i < st.nclosed; i++)
            if (df_grpc_respond(st.c, st.closed[i], DF_GRPC_OK, NULL, NULL, 0, -1) == 0)
                abort();
        st.nclosed = 0;
        drain(st.c);
    }
    if (rc != 0 && df_h2_server_feed(st.c, data, size) != DF_EIO)
        abort();
    drain(st.c);
    df_h2_server_shutdown(st.c);
    drain(st.c);
    df_h2_server_free(st.c);
    return 0;
}
