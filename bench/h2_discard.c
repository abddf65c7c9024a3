/* h2_discard — the HTTP/2 ceiling for bench/otlp_bench.py: a server built
 * directly on nghttp2 and libuv, none of df_engine's code, that reads each
 * request whole, discards the body and answers a gRPC Trailers-Only OK.
 *
 *   h2_discard PORT
 *
 * One thread, one loop: what a core can move through HTTP/2 when the
 * application does nothing. */
#include <nghttp2/nghttp2.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

struct conn {
    uv_tcp_t tcp;
    nghttp2_session *s;
};

static char rbuf[65536];

static void on_closed(uv_handle_t *h)
{
    struct conn *c = h->data;
    nghttp2_session_del(c->s);
    free(c);
}

static void write_done(uv_write_t *w, int status)
{
    free(w->data);
    free(w);
}

/* Sends whatever nghttp2 has queued. */
static void flush(struct conn *c)
{
    const uint8_t *data;
    ssize_t n;
    while ((n = nghttp2_session_mem_send(c->s, &data)) > 0) {
        uv_write_t *w = malloc(sizeof *w);
        char *copy = malloc((size_t)n);
        memcpy(copy, data, (size_t)n);
        w->data = copy;
        uv_buf_t b = uv_buf_init(copy, (unsigned)n);
        uv_write(w, (uv_stream_t *)&c->tcp, &b, 1, write_done);
    }
}

static int on_frame_recv(nghttp2_session *s, const nghttp2_frame *f, void *ud)
{
    if ((f->hd.type == NGHTTP2_DATA || f->hd.type == NGHTTP2_HEADERS) &&
        (f->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
        static const nghttp2_nv hdrs[] = {
            {(uint8_t *)":status", (uint8_t *)"200", 7, 3, NGHTTP2_NV_FLAG_NONE},
            {(uint8_t *)"content-type", (uint8_t *)"application/grpc", 12, 16,
             NGHTTP2_NV_FLAG_NONE},
            {(uint8_t *)"grpc-status", (uint8_t *)"0", 11, 1, NGHTTP2_NV_FLAG_NONE},
        };
        nghttp2_submit_response(s, f->hd.stream_id, hdrs, 3, NULL);
    }
    return 0;
}

static int on_data(nghttp2_session *s, uint8_t flags, int32_t stream, const uint8_t *data,
                   size_t len, void *ud)
{
    return 0; /* discarded */
}

static void alloc_cb(uv_handle_t *h, size_t n, uv_buf_t *b)
{
    *b = uv_buf_init(rbuf, sizeof rbuf);
}

static void read_cb(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
    struct conn *c = st->data;
    if (n < 0 || nghttp2_session_mem_recv(c->s, (const uint8_t *)b->base, (size_t)n) < 0) {
        if (!uv_is_closing((uv_handle_t *)st))
            uv_close((uv_handle_t *)st, on_closed);
        return;
    }
    flush(c);
}

static void accept_cb(uv_stream_t *server, int status)
{
    if (status < 0)
        return;
    struct conn *c = calloc(1, sizeof *c);
    uv_tcp_init(server->loop, &c->tcp);
    c->tcp.data = c;
    if (uv_accept(server, (uv_stream_t *)&c->tcp)) {
        uv_close((uv_handle_t *)&c->tcp, on_closed);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    nghttp2_session_callbacks *cb;
    nghttp2_session_callbacks_new(&cb);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data);
    nghttp2_session_server_new(&c->s, cb, c);
    nghttp2_session_callbacks_del(cb);
    nghttp2_settings_entry set[] = {{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 100},
                                    {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 1 << 20}};
    nghttp2_submit_settings(c->s, NGHTTP2_FLAG_NONE, set, 2);
    nghttp2_session_set_local_window_size(c->s, NGHTTP2_FLAG_NONE, 0, 16 << 20);
    flush(c);
    uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, read_cb);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: h2_discard PORT\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    uv_loop_t *loop = uv_default_loop();
    uv_tcp_t server;
    struct sockaddr_in addr;
    uv_ip4_addr("127.0.0.1", atoi(argv[1]), &addr);
    uv_tcp_init(loop, &server);
    if (uv_tcp_bind(&server, (const struct sockaddr *)&addr, 0) ||
        uv_listen((uv_stream_t *)&server, 511, accept_cb)) {
        fprintf(stderr, "h2_discard: cannot listen on port %s\n", argv[1]);
        return 1;
    }
    return uv_run(loop, UV_RUN_DEFAULT);
}
