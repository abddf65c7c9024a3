/* Listeners and connections (src/net/conn.c) with real sockets: a loop on
 * the test's thread, blocking clients on another thread. The protocol is a
 * line echo: "quit" answers "bye" and asks for the close. The TLS layer
 * (src/net/tls_proto.c) is tested here too, between a listener and a client
 * connection of the same loop, with the PKI of tests/support/test_pki.c. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>

#include "df/error.h"
#include "net/conn.h"
#include "net/tls_proto.h"
#include "tests/support/test_pki.h"

struct echo {
    struct df_proto base;
    uint8_t out[4096];
    size_t len;
    bool quit;
};

static unsigned destroyed;

static int echo_feed(struct df_proto *p, const uint8_t *data, size_t len)
{
    struct echo *e = (struct echo *)p;
    if (len >= 4 && !memcmp(data, "quit", 4)) {
        memcpy(e->out + e->len, "bye", 3);
        e->len += 3;
        e->quit = true;
        return 0;
    }
    if (len >= 4 && !memcmp(data, "fail", 4))
        return DF_EPARSE;
    if (e->len + len > sizeof e->out)
        return DF_ERANGE;
    memcpy(e->out + e->len, data, len);
    e->len += len;
    return 0;
}

static size_t echo_output(struct df_proto *p, const uint8_t **data)
{
    struct echo *e = (struct echo *)p;
    *data = e->out;
    return e->len;
}

static void echo_consumed(struct df_proto *p, size_t n)
{
    struct echo *e = (struct echo *)p;
    memmove(e->out, e->out + n, e->len - n);
    e->len -= n;
}

static bool echo_done(struct df_proto *p)
{
    return ((struct echo *)p)->quit;
}

static void echo_destroy(struct df_proto *p)
{
    destroyed++;
    free(p);
}

static const struct df_proto_ops echo_ops = {.feed = echo_feed,
                                             .output = echo_output,
                                             .consumed = echo_consumed,
                                             .done = echo_done,
                                             .destroy = echo_destroy};

static struct df_proto *select_echo(void *ud, struct df_conn *conn, const uint8_t *first,
                                    size_t len)
{
    if (first[0] == '!')
        return NULL; /* refused by the protocol selector */
    struct echo *e = calloc(1, sizeof *e);
    e->base.ops = &echo_ops;
    return &e->base;
}

/* ---- a client on its own thread ---------------------------------------- */

struct client {
    int port;
    void (*script)(struct client *);
    char got[256];
    int result;
    int done; /* atomic */
};

static int dial(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    struct timeval tv = {.tv_sec = 5};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Reads until `n` bytes or EOF; returns the count (-1 on timeout/error). */
static int read_n(int fd, char *buf, int n)
{
    int got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, (size_t)(n - got));
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        got += (int)r;
    }
    buf[got] = 0;
    return got;
}

static void *client_main(void *arg)
{
    struct client *c = arg;
    c->script(c);
    __atomic_store_n(&c->done, 1, __ATOMIC_RELEASE);
    return NULL;
}

/* Runs the loop until the client script finished. */
static void run_client(uv_loop_t *loop, struct client *c)
{
    pthread_t t;
    pthread_create(&t, NULL, client_main, c);
    while (!__atomic_load_n(&c->done, __ATOMIC_ACQUIRE))
        uv_run(loop, UV_RUN_NOWAIT);
    pthread_join(t, NULL);
}

static void script_echo_and_quit(struct client *c)
{
    int fd = dial(c->port);
    if (write(fd, "hello", 5) != 5 || read_n(fd, c->got, 5) != 5) {
        c->result = -1;
        close(fd);
        return;
    }
    if (write(fd, "quit", 4) != 4) {
        c->result = -1;
        close(fd);
        return;
    }
    /* "bye" then end of stream: the protocol asked for the close. */
    c->result = read_n(fd, c->got + 5, 100);
    close(fd);
}

static struct df_listener *start(uv_loop_t *loop, int port, const struct df_listener_opts *o)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    char err[256];
    struct df_listener *l =
        df_listener_start(loop, (struct sockaddr *)&a, o, select_echo, NULL, err, sizeof err);
    if (!l)
        print_error("%s\n", err);
    return l;
}

static int closed_flag;

static void on_closed(void *ud)
{
    closed_flag = 1;
}

static void close_and_run(uv_loop_t *loop, struct df_listener *l)
{
    closed_flag = 0;
    df_listener_close(l, on_closed, NULL);
    while (!closed_flag)
        uv_run(loop, UV_RUN_ONCE);
}

static void test_echo_and_protocol_close(void **state)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct df_listener_opts o = {.reuseport = true, .tcp_nodelay = true};
    struct df_listener *l = start(&loop, 0, &o);
    assert_non_null(l);
    struct client c = {.port = df_listener_port(l), .script = script_echo_and_quit};
    destroyed = 0;
    run_client(&loop, &c);
    assert_string_equal(c.got, "hellobye");
    assert_int_equal(c.result, 3);
    while (df_listener_connections(l))
        uv_run(&loop, UV_RUN_ONCE);
    assert_int_equal(destroyed, 1);
    close_and_run(&loop, l);
    assert_int_equal(uv_loop_close(&loop), 0);
}

static void script_refused(struct client *c)
{
    int fd = dial(c->port);
    /* '!' makes the selector refuse: the server closes. */
    c->result = (write(fd, "!x", 2) == 2) ? read_n(fd, c->got, 10) : -1;
    close(fd);
}

static void script_failing_feed(struct client *c)
{
    int fd = dial(c->port);
    c->result = (write(fd, "fail", 4) == 4) ? read_n(fd, c->got, 10) : -1;
    close(fd);
}

static void test_refused_and_failed_connections_close(void **state)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct df_listener_opts o = {.reuseport = true};
    struct df_listener *l = start(&loop, 0, &o);
    struct client c = {.port = df_listener_port(l), .script = script_refused};
    run_client(&loop, &c);
    assert_int_equal(c.result, 0); /* EOF, nothing sent */
    struct client d = {.port = df_listener_port(l), .script = script_failing_feed};
    run_client(&loop, &d);
    assert_int_equal(d.result, 0);
    /* The listener still serves. */
    struct client e = {.port = df_listener_port(l), .script = script_echo_and_quit};
    run_client(&loop, &e);
    assert_string_equal(e.got, "hellobye");
    close_and_run(&loop, l);
    assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_reuseport_and_address_in_use(void **state)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct df_listener_opts shared = {.reuseport = true};
    struct df_listener *a = start(&loop, 0, &shared);
    assert_non_null(a);
    int port = df_listener_port(a);
    /* A second core's listener on the same address. */
    struct df_listener *b = start(&loop, port, &shared);
    assert_non_null(b);
    assert_int_equal(df_listener_port(b), port);
    /* Without SO_REUSEPORT the address is taken. */
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    struct df_listener_opts solo = {.reuseport = false};
    char err[256], want[128];
    assert_null(df_listener_start(&loop, (struct sockaddr *)&addr, &solo, select_echo, NULL, err,
                                  sizeof err));
    snprintf(want, sizeof want, "cannot listen on 127.0.0.1:%d: address already in use", port);
    assert_string_equal(err, want);
    close_and_run(&loop, a);
    close_and_run(&loop, b);
    uv_run(&loop, UV_RUN_DEFAULT); /* the failed listener's handle closes */
    assert_int_equal(uv_loop_close(&loop), 0);
}

static void script_idle(struct client *c)
{
    int fd = dial(c->port);
    /* Say nothing: the idle timeout closes the connection. */
    c->result = read_n(fd, c->got, 10);
    close(fd);
}

static void test_idle_timeout(void **state)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct df_listener_opts o = {.idle_timeout_ms = 50};
    struct df_listener *l = start(&loop, 0, &o);
    struct client c = {.port = df_listener_port(l), .script = script_idle};
    uint64_t t0 = uv_hrtime();
    run_client(&loop, &c);
    assert_int_equal(c.result, 0);
    uint64_t ms = (uv_hrtime() - t0) / 1000000;
    assert_true(ms >= 45 && ms < 4000);
    close_and_run(&loop, l);
    assert_int_equal(uv_loop_close(&loop), 0);
}

static void script_two_connections(struct client *c)
{
    int a = dial(c->port);
    char buf[8];
    /* Make sure the first is accepted and served before the second. */
    if (write(a, "ping", 4) != 4 || read_n(a, buf, 4) != 4) {
        c->result = -1;
        return;
    }
    int b = dial(c->port);
    c->result = read_n(b, c->got, 10); /* closed at once: over the limit */
    close(b);
    close(a);
}

static void test_max_connections(void **state)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct df_listener_opts o = {.max_connections = 1};
    struct df_listener *l = start(&loop, 0, &o);
    struct client c = {.port = df_listener_port(l), .script = script_two_connections};
    run_client(&loop, &c);
    assert_int_equal(c.result, 0);
    close_and_run(&loop, l);
    assert_int_equal(uv_loop_close(&loop), 0);
}

static void script_hold_open(struct client *c)
{
    int fd = dial(c->port);
    char buf[8];
    c->result = (write(fd, "ping", 4) == 4) ? read_n(fd, buf, 4) : -1;
    /* Leave it open: the test closes the listener under it. */
    c->port = fd;
}

static void test_close_with_open_connections(void **state)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct df_listener_opts o = {0};
    struct df_listener *l = start(&loop, 0, &o);
    struct client c = {.port = df_listener_port(l), .script = script_hold_open};
    destroyed = 0;
    run_client(&loop, &c);
    assert_int_equal(c.result, 4);
    assert_int_equal(df_listener_connections(l), 1);
    close_and_run(&loop, l);
    assert_int_equal(destroyed, 1);
    char buf[4];
    assert_int_equal(read(c.port, buf, sizeof buf), 0); /* the server side closed */
    close(c.port);
    assert_int_equal(uv_loop_close(&loop), 0);
}

/* ---- client connections ------------------------------------------------ */

struct sender {
    struct df_proto base;
    const char *say; /* sent once connected */
    size_t said;
    char got[64];
    size_t ngot;
};

static int sender_feed(struct df_proto *p, const uint8_t *data, size_t len)
{
    struct sender *s = (struct sender *)p;
    if (s->ngot + len >= sizeof s->got)
        return DF_ERANGE;
    memcpy(s->got + s->ngot, data, len);
    s->ngot += len;
    return 0;
}

static size_t sender_output(struct df_proto *p, const uint8_t **data)
{
    struct sender *s = (struct sender *)p;
    *data = (const uint8_t *)s->say + s->said;
    return strlen(s->say) - s->said;
}

static void sender_consumed(struct df_proto *p, size_t n)
{
    ((struct sender *)p)->said += n;
}

static bool sender_done(struct df_proto *p)
{
    return false;
}

static char last_got[64];

static void sender_destroy(struct df_proto *p)
{
    struct sender *s = (struct sender *)p;
    memcpy(last_got, s->got, sizeof last_got);
    free(p);
}

static const struct df_proto_ops sender_ops = {.feed = sender_feed,
                                               .output = sender_output,
                                               .consumed = sender_consumed,
                                               .done = sender_done,
                                               .destroy = sender_destroy};

struct events {
    int connected, ended, status;
    struct df_conn *conn;
};

static void on_event(void *ud, struct df_conn *c, int status)
{
    struct events *e = ud;
    if (status == 0) {
        e->connected++;
        e->conn = c;
    } else {
        e->ended++;
        e->status = status;
        e->conn = NULL;
    }
}

static struct df_proto *new_sender(const char *say)
{
    struct sender *s = calloc(1, sizeof *s);
    s->base.ops = &sender_ops;
    s->say = say;
    return &s->base;
}

static void test_client_round_trip(void **state)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct df_listener_opts o = {.reuseport = true};
    struct df_listener *l = start(&loop, 0, &o);
    struct df_conn_client_opts co = {.host = "localhost",
                                     .port = (uint16_t)df_listener_port(l),
                                     .connect_timeout_ms = 2000,
                                     .tcp_nodelay = true};
    struct events ev = {0};
    memset(last_got, 0, sizeof last_got);
    struct sender *snd = (struct sender *)new_sender("ping");
    struct df_conn *c = df_conn_connect(&loop, &co, &snd->base, on_event, &ev);
    assert_non_null(c);
    uint64_t end = uv_hrtime() + 5000000000ull;
    while (!ev.connected && !ev.ended && uv_hrtime() < end)
        uv_run(&loop, UV_RUN_ONCE);
    assert_int_equal(ev.connected, 1);
    assert_ptr_equal(ev.conn, c);
    /* The listener's echo answers "ping". */
    while (snd->ngot < 4 && !ev.ended && uv_hrtime() < end)
        uv_run(&loop, UV_RUN_ONCE);
    assert_int_equal(snd->ngot, 4);
    df_conn_close(c);
    while (!ev.ended && uv_hrtime() < end)
        uv_run(&loop, UV_RUN_ONCE);
    assert_int_equal(ev.ended, 1);
    assert_int_equal(ev.status, UV_ECANCELED);
    assert_string_equal(last_got, "ping");
    close_and_run(&loop, l);
    assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_client_refused(void **state)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    /* A port nothing listens on: bind one, note it, close it. */
    struct df_listener_opts o = {0};
    struct df_listener *l = start(&loop, 0, &o);
    int port = df_listener_port(l);
    close_and_run(&loop, l);
    struct df_conn_client_opts co = {
        .host = "127.0.0.1", .port = (uint16_t)port, .connect_timeout_ms = 2000};
    struct events ev = {0};
    df_conn_connect(&loop, &co, new_sender("x"), on_event, &ev);
    while (!ev.ended)
        uv_run(&loop, UV_RUN_ONCE);
    assert_int_equal(ev.connected, 0);
    assert_int_equal(ev.status, UV_ECONNREFUSED);
    assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_client_close_while_resolving(void **state)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct df_conn_client_opts co = {.host = "localhost", .port = 9};
    struct events ev = {0};
    struct df_conn *c = df_conn_connect(&loop, &co, new_sender("x"), on_event, &ev);
    df_conn_close(c); /* before the resolver answered */
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(ev.connected, 0);
    assert_int_equal(ev.ended, 1);
    assert_int_equal(ev.status, UV_ECANCELED);
    assert_int_equal(uv_loop_close(&loop), 0);
}

/* ---- TLS between a listener and a client -------------------------------- */

static char seen_alpn[16];
static char fail_reason[256];

static struct df_proto *select_inner(void *ud, struct df_conn *conn, const char *alpn,
                                     const struct df_tls_conn *tls, const uint8_t *first,
                                     size_t len)
{
    snprintf(seen_alpn, sizeof seen_alpn, "%s", alpn ? alpn : "(none)");
    return select_echo(ud, conn, first, len);
}

static void on_tls_fail(void *ud, const char *reason)
{
    snprintf(fail_reason, sizeof fail_reason, "%s", reason);
}

static const struct df_tls_ctx *server_tls;

static struct df_proto *select_tls(void *ud, struct df_conn *conn, const uint8_t *first, size_t len)
{
    return df_tls_proto_server(server_tls, conn, select_inner, on_tls_fail, ud);
}

/* Runs one TLS exchange: the client sends "ping" through TLS with `ca` as
 * its trust anchor; returns what came back ("" when nothing). */
static void tls_exchange(const char *ca, char *got, size_t len, int *status)
{
    const char *alpn[] = {"h2", "http/1.1"};
    char err[512];
    struct df_tls_server_config sc = {.cert_file = test_pki_path("server.pem"),
                                      .key_file = test_pki_path("server.key"),
                                      .alpn = {.count = 2, .items = alpn}};
    struct df_tls_ctx *sctx = df_tls_server_ctx_new(&sc, err, sizeof err);
    assert_non_null(sctx);
    server_tls = sctx;
    const char *client_alpn[] = {"h2"};
    struct df_tls_client_config cc = {.ca_file = test_pki_path(ca),
                                      .alpn = {.count = 1, .items = client_alpn}};
    struct df_tls_ctx *cctx = df_tls_client_ctx_new(&cc, err, sizeof err);
    assert_non_null(cctx);

    uv_loop_t loop;
    uv_loop_init(&loop);
    struct sockaddr_in a = {.sin_family = AF_INET};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    struct df_listener_opts o = {.reuseport = true};
    struct df_listener *l =
        df_listener_start(&loop, (struct sockaddr *)&a, &o, select_tls, NULL, err, sizeof err);
    assert_non_null(l);
    struct sender *snd = (struct sender *)new_sender("ping");
    struct df_proto *p =
        df_tls_proto_client(cctx, "localhost", &snd->base, on_tls_fail, NULL, err, sizeof err);
    assert_non_null(p);
    struct df_conn_client_opts co = {
        .host = "127.0.0.1", .port = (uint16_t)df_listener_port(l), .connect_timeout_ms = 2000};
    struct events ev = {0};
    memset(last_got, 0, sizeof last_got);
    struct df_conn *c = df_conn_connect(&loop, &co, p, on_event, &ev);
    uint64_t end = uv_hrtime() + 5000000000ull;
    while (!ev.ended && snd->ngot < 4 && uv_hrtime() < end)
        uv_run(&loop, UV_RUN_ONCE);
    if (!ev.ended)
        df_conn_close(c);
    while (!ev.ended)
        uv_run(&loop, UV_RUN_ONCE);
    snprintf(got, len, "%s", last_got);
    *status = ev.status;
    close_and_run(&loop, l);
    assert_int_equal(uv_loop_close(&loop), 0);
    df_tls_ctx_free(sctx);
    df_tls_ctx_free(cctx);
}

static void test_tls_round_trip_and_alpn(void **state)
{
    char got[64];
    int status;
    seen_alpn[0] = fail_reason[0] = 0;
    tls_exchange("ca.pem", got, sizeof got, &status);
    assert_string_equal(got, "ping");
    assert_string_equal(seen_alpn, "h2");
    assert_string_equal(fail_reason, "");
}

static void test_tls_untrusted_server_fails(void **state)
{
    char got[64];
    int status;
    fail_reason[0] = 0;
    tls_exchange("other.pem", got, sizeof got, &status);
    assert_string_equal(got, "");
    assert_true(status < 0);
    assert_non_null(strstr(fail_reason, "certificate verify failed"));
}

static int pki_setup(void **state)
{
    return test_pki_setup();
}

static int pki_teardown(void **state)
{
    return test_pki_teardown();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_echo_and_protocol_close),
        cmocka_unit_test(test_refused_and_failed_connections_close),
        cmocka_unit_test(test_reuseport_and_address_in_use),
        cmocka_unit_test(test_idle_timeout),
        cmocka_unit_test(test_max_connections),
        cmocka_unit_test(test_close_with_open_connections),
        cmocka_unit_test(test_client_round_trip),
        cmocka_unit_test(test_client_refused),
        cmocka_unit_test(test_client_close_while_resolving),
        cmocka_unit_test(test_tls_round_trip_and_alpn),
        cmocka_unit_test(test_tls_untrusted_server_fails),
    };
    return cmocka_run_group_tests(tests, pki_setup, pki_teardown);
}
