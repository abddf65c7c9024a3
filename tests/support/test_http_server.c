/* The tests' plain HTTP/1.1 server (test_http_server.h). */
#include "tests/support/test_http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/conn.h"
#include "net/http1_proto.h"
#include "net/tls.h"
#include "net/tls_proto.h"

struct test_http_server {
    uv_loop_t loop;
    uv_async_t stop;
    pthread_t thread;
    struct df_listener *l;
    int port;
    test_http_handler_fn fn;
    void *ud;
    struct df_tls_ctx *tls; /* NULL: plain */
};

static struct df_proto *select_http1(void *ud, struct df_conn *conn, const uint8_t *first,
                                     size_t len)
{
    (void)first;
    (void)len;
    struct test_http_server *s = ud;
    return df_http1_proto_new(conn, s->fn, s->ud, NULL, NULL);
}

static struct df_proto *select_inner(void *ud, struct df_conn *conn, const char *alpn,
                                     const struct df_tls_conn *tls, const uint8_t *first,
                                     size_t len)
{
    (void)alpn;
    (void)tls;
    return select_http1(ud, conn, first, len);
}

static void tls_failed(void *ud, const char *reason)
{
    (void)ud;
    (void)reason; /* the client's problem: it reports it */
}

static struct df_proto *select_tls(void *ud, struct df_conn *conn, const uint8_t *first, size_t len)
{
    (void)first;
    (void)len;
    struct test_http_server *s = ud;
    return df_tls_proto_server(s->tls, conn, select_inner, tls_failed, s);
}

static void on_stop(uv_async_t *a)
{
    struct test_http_server *s = a->data;
    df_listener_close(s->l, NULL, NULL);
    uv_close((uv_handle_t *)&s->stop, NULL);
}

static void *serve(void *arg)
{
    struct test_http_server *s = arg;
    uv_run(&s->loop, UV_RUN_DEFAULT);
    return NULL;
}

static struct test_http_server *start(test_http_handler_fn fn, void *ud, struct df_tls_ctx *tls)
{
    struct test_http_server *s = calloc(1, sizeof *s);
    if (!s || uv_loop_init(&s->loop) < 0) {
        free(s);
        df_tls_ctx_free(tls);
        return NULL;
    }
    s->fn = fn;
    s->ud = ud;
    s->tls = tls;
    uv_async_init(&s->loop, &s->stop, on_stop);
    s->stop.data = s;
    struct sockaddr_in a = {.sin_family = AF_INET};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    struct df_listener_opts o = {.tcp_nodelay = true};
    char err[256];
    s->l = df_listener_start(&s->loop, (struct sockaddr *)&a, &o, tls ? select_tls : select_http1,
                             s, err, sizeof err);
    s->port = s->l ? df_listener_port(s->l) : 0;
    if (!s->l || pthread_create(&s->thread, NULL, serve, s)) {
        fprintf(stderr, "test_http_server: %s\n", s->l ? "cannot start its thread" : err);
        if (s->l)
            df_listener_close(s->l, NULL, NULL);
        uv_close((uv_handle_t *)&s->stop, NULL);
        uv_run(&s->loop, UV_RUN_DEFAULT);
        uv_loop_close(&s->loop);
        df_tls_ctx_free(s->tls);
        free(s);
        return NULL;
    }
    return s;
}

struct test_http_server *test_http_server_start(test_http_handler_fn fn, void *ud)
{
    return start(fn, ud, NULL);
}

struct test_http_server *test_http_server_start_tls(test_http_handler_fn fn, void *ud,
                                                    const char *cert_file, const char *key_file)
{
    char err[512];
    struct df_tls_server_config sc = {.cert_file = cert_file, .key_file = key_file};
    struct df_tls_ctx *tls = df_tls_server_ctx_new(&sc, err, sizeof err);
    if (!tls) {
        fprintf(stderr, "test_http_server: %s\n", err);
        return NULL;
    }
    return start(fn, ud, tls);
}

int test_http_server_port(const struct test_http_server *s)
{
    return s->port;
}

int test_http_server_stop(struct test_http_server *s)
{
    uv_async_send(&s->stop);
    pthread_join(s->thread, NULL);
    int rc = uv_loop_close(&s->loop);
    df_tls_ctx_free(s->tls);
    free(s);
    return rc ? -1 : 0;
}

int test_refusing_port(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    *port = ntohs(a.sin_port);
    return fd;
}
