/* Unit tests for net/tls.h. A group setup makes a small PKI with the OpenSSL
 * 3 API (a CA, a server certificate for localhost and 127.0.0.1, a client
 * certificate with URI, email and DNS SANs, a second CA with its own client,
 * a self-signed and an expired server certificate) and writes it as PEM
 * under a mkdtemp folder. Each test wires a client and a server connection
 * to each other in memory, shuttling each one's pending output into the
 * other's feed until both are quiet. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pthread.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "df/error.h"
#include "net/tls.h"
#include "tests/support/test_pki.h"

/* ---- the test PKI: tests/support/test_pki.c ------------------------------ */

#define path test_pki_path

static int pki_setup(void **state)
{
    (void)state;
    return test_pki_setup();
}

static int pki_teardown(void **state)
{
    (void)state;
    return test_pki_teardown();
}

/* ---- contexts and wiring ----------------------------------------------- */

struct side {
    const char *cert, *key, *ca; /* file names under dir, or NULL */
    const char *server_name;
    const char *alpn[3];
    int min_version;
    bool insecure;
};

static size_t alpn_count(const struct side *s)
{
    size_t n = 0;
    while (n < 3 && s->alpn[n])
        n++;
    return n;
}

static struct df_tls_ctx *server_ctx(const struct side *s)
{
    struct df_tls_server_config cfg = {
        .cert_file = s->cert ? path(s->cert) : path("server.pem"),
        .key_file = s->key ? path(s->key) : path("server.key"),
        .client_ca_file = s->ca ? path(s->ca) : NULL,
        .min_version = s->min_version,
        .alpn = {.count = alpn_count(s), .items = (void *)s->alpn},
    };
    char err[256] = "";
    struct df_tls_ctx *ctx = df_tls_server_ctx_new(&cfg, err, sizeof err);
    if (!ctx)
        fail_msg("server ctx: %s", err);
    return ctx;
}

static struct df_tls_ctx *client_ctx(const struct side *s)
{
    struct df_tls_client_config cfg = {
        .ca_file = path(s->ca ? s->ca : "ca.pem"),
        .cert_file = s->cert ? path(s->cert) : NULL,
        .key_file = s->key ? path(s->key) : NULL,
        .server_name = s->server_name,
        .insecure_skip_verify = s->insecure,
        .min_version = s->min_version,
        .alpn = {.count = alpn_count(s), .items = (void *)s->alpn},
    };
    char err[256] = "";
    struct df_tls_ctx *ctx = df_tls_client_ctx_new(&cfg, err, sizeof err);
    if (!ctx)
        fail_msg("client ctx: %s", err);
    return ctx;
}

/* A client and a server connection wired in memory. */
struct pair {
    struct df_tls_ctx *cctx, *sctx;
    struct df_tls_conn *client, *server;
};

/* Builds both contexts and connections; `host` is the client's endpoint. */
static void pair_open(struct pair *p, const struct side *client, const struct side *server,
                      const char *host)
{
    char err[256] = "";
    p->sctx = server_ctx(server);
    p->cctx = client_ctx(client);
    p->server = df_tls_conn_new(p->sctx, NULL, err, sizeof err);
    assert_non_null(p->server);
    p->client = df_tls_conn_new(p->cctx, host, err, sizeof err);
    if (!p->client)
        fail_msg("client conn: %s", err);
}

static void pair_close(struct pair *p)
{
    df_tls_conn_free(p->client);
    df_tls_conn_free(p->server);
    df_tls_ctx_free(p->cctx);
    df_tls_ctx_free(p->sctx);
}

/* Feeds what `from` has to send into `to`, as much as `to` takes (all of it
 * is dropped when `to` has failed). Returns the bytes moved. */
static size_t move(struct df_tls_conn *from, struct df_tls_conn *to)
{
    const uint8_t *data;
    size_t len;
    df_tls_pending_output(from, &data, &len);
    if (len == 0)
        return 0;
    ssize_t took = df_tls_feed(to, data, len);
    assert_true(took == DF_TLS_FAILED || (took >= 0 && (size_t)took <= len));
    size_t n = took < 0 ? len : (size_t)took;
    df_tls_consume_output(from, n);
    return n;
}

static void pump(struct pair *p)
{
    while (move(p->client, p->server) + move(p->server, p->client) > 0)
        ;
}

/* Pumps, then requires both handshakes to be done. */
static void pair_connect(struct pair *p)
{
    pump(p);
    if (!df_tls_handshake_done(p->client) || !df_tls_handshake_done(p->server))
        fail_msg("handshake: client '%s', server '%s'", df_tls_last_error(p->client),
                 df_tls_last_error(p->server));
}

/* Writes all of `len` bytes on `from` and reads them on `to`, pumping as the
 * bounds require. Checks that pending output stays near its bound. */
static void transfer(struct pair *p, struct df_tls_conn *from, struct df_tls_conn *to,
                     const uint8_t *data, size_t len, size_t chunk, uint8_t *got)
{
    size_t sent = 0, recvd = 0;
    int idle = 0;
    while (recvd < len) {
        bool progress = false;
        if (sent < len) {
            size_t n = len - sent < chunk ? len - sent : chunk;
            ssize_t w = df_tls_write(from, data + sent, n);
            assert_true(w == DF_TLS_AGAIN || (w > 0 && (size_t)w <= n));
            if (w > 0) {
                sent += (size_t)w;
                progress = true;
            }
            const uint8_t *out;
            size_t pending;
            df_tls_pending_output(from, &out, &pending);
            assert_true(pending <= DF_TLS_MAX_OUTPUT + 1024);
        }
        if (move(from, to) > 0)
            progress = true;
        for (;;) {
            ssize_t r = df_tls_read(to, got + recvd, len - recvd);
            assert_true(r >= 0);
            if (r == 0)
                break;
            recvd += (size_t)r;
            progress = true;
        }
        move(to, from);
        idle = progress ? 0 : idle + 1;
        assert_true(idle < 3);
    }
    assert_int_equal(sent, len);
}

/* The reason a connection failed, after it did. */
static const char *failure(const struct df_tls_conn *c)
{
    assert_false(df_tls_handshake_done(c) && df_tls_last_error(c)[0] == 0);
    return df_tls_last_error(c);
}

#define assert_contains(hay, needle)                                                               \
    do {                                                                                           \
        if (!strstr((hay), (needle)))                                                              \
            fail_msg("'%s' does not contain '%s'", (hay), (needle));                               \
    } while (0)

/* ---- handshake and data --------------------------------------------------- */

static void test_handshake_and_data(void **state)
{
    (void)state;
    struct pair p;
    pair_open(&p, &(struct side){0}, &(struct side){0}, "localhost");
    /* Nothing is buffered before the handshake. */
    assert_int_equal(df_tls_write(p.client, (const uint8_t *)"x", 1), DF_TLS_AGAIN);
    assert_int_equal(df_tls_write(p.server, (const uint8_t *)"x", 1), DF_TLS_AGAIN);
    assert_false(df_tls_handshake_done(p.client));
    const uint8_t *hello;
    size_t hello_len;
    df_tls_pending_output(p.client, &hello, &hello_len);
    assert_true(hello_len > 5);
    assert_int_equal(hello[0], 0x16); /* a handshake record: the ClientHello */
    pair_connect(&p);
    assert_string_equal(df_tls_last_error(p.client), "");
    assert_null(df_tls_alpn(p.client));
    assert_null(df_tls_alpn(p.server));

    uint8_t buf[64];
    assert_int_equal(df_tls_read(p.server, buf, sizeof buf), 0);
    assert_int_equal(df_tls_write(p.client, (const uint8_t *)"ping", 4), 4);
    pump(&p);
    assert_int_equal(df_tls_read(p.server, buf, sizeof buf), 4);
    assert_memory_equal(buf, "ping", 4);
    assert_int_equal(df_tls_read(p.server, buf, sizeof buf), 0);
    assert_int_equal(df_tls_write(p.server, (const uint8_t *)"pong!", 5), 5);
    pump(&p);
    assert_int_equal(df_tls_read(p.client, buf, sizeof buf), 5);
    assert_memory_equal(buf, "pong!", 5);

    /* The client verified the server: its identity is available. */
    char subject[128];
    assert_int_equal(df_tls_peer_subject(p.client, subject, sizeof subject), 0);
    assert_string_equal(subject, "CN=localhost,O=df");
    /* No client certificate asked: nothing verified on the server. */
    assert_int_equal(df_tls_peer_subject(p.server, subject, sizeof subject), DF_ENOENT);
    assert_string_equal(subject, "");
    pair_close(&p);
}

static void test_one_mib_both_ways(void **state)
{
    (void)state;
    size_t len = (size_t)1 << 20;
    uint8_t *data = malloc(len), *got = malloc(len);
    assert_non_null(data);
    assert_non_null(got);
    for (size_t i = 0; i < len; i++)
        data[i] = (uint8_t)(i * 7 + (i >> 10));
    struct pair p;
    pair_open(&p, &(struct side){0}, &(struct side){0}, "localhost");
    pair_connect(&p);
    memset(got, 0, len);
    transfer(&p, p.client, p.server, data, len, 10000, got);
    assert_memory_equal(got, data, len);
    memset(got, 0, len);
    transfer(&p, p.server, p.client, data, len, 100000, got);
    assert_memory_equal(got, data, len);
    pair_close(&p);
    free(data);
    free(got);
}

static void test_buffers_are_bounded(void **state)
{
    (void)state;
    struct pair p;
    pair_open(&p, &(struct side){0}, &(struct side){0}, "localhost");
    pair_connect(&p);
    static uint8_t big[256 << 10];
    /* Undrained output: one write takes at most the output bound. */
    ssize_t w = df_tls_write(p.client, big, sizeof big);
    assert_true(w > 0 && (size_t)w <= DF_TLS_MAX_OUTPUT);
    assert_int_equal(df_tls_write(p.client, big, sizeof big), DF_TLS_AGAIN);
    const uint8_t *out;
    size_t pending;
    df_tls_pending_output(p.client, &out, &pending);
    assert_true(pending >= DF_TLS_MAX_OUTPUT && pending <= DF_TLS_MAX_OUTPUT + 1024);
    /* Draining makes room again. */
    size_t total = 0;
    while (total < DF_TLS_MAX_INPUT + 1) {
        df_tls_pending_output(p.client, &out, &pending);
        if (pending == 0) {
            w = df_tls_write(p.client, big, sizeof big);
            assert_true(w > 0);
            continue;
        }
        /* Unread input: the server takes no more than its bound. */
        ssize_t took = df_tls_feed(p.server, out, pending);
        assert_true(took >= 0);
        df_tls_consume_output(p.client, (size_t)took);
        total += (size_t)took;
        if ((size_t)took < pending)
            break;
    }
    assert_int_equal(total, DF_TLS_MAX_INPUT);
    df_tls_pending_output(p.client, &out, &pending);
    assert_true(pending > 0);
    assert_int_equal(df_tls_feed(p.server, out, pending), 0);
    /* Reading frees input room. */
    uint8_t buf[32768];
    assert_true(df_tls_read(p.server, buf, sizeof buf) > 0);
    assert_true(df_tls_feed(p.server, out, pending) > 0);
    pair_close(&p);
}

/* ---- ALPN and versions -------------------------------------------------- */

static void test_alpn_h2_chosen(void **state)
{
    (void)state;
    struct pair p;
    /* The server's preference wins. */
    pair_open(&p, &(struct side){.alpn = {"http/1.1", "h2"}},
              &(struct side){.alpn = {"h2", "http/1.1"}}, "localhost");
    pair_connect(&p);
    assert_string_equal(df_tls_alpn(p.client), "h2");
    assert_string_equal(df_tls_alpn(p.server), "h2");
    pair_close(&p);

    pair_open(&p, &(struct side){.alpn = {"http/1.1"}}, &(struct side){.alpn = {"h2", "http/1.1"}},
              "localhost");
    pair_connect(&p);
    assert_string_equal(df_tls_alpn(p.client), "http/1.1");
    assert_string_equal(df_tls_alpn(p.server), "http/1.1");
    pair_close(&p);

    /* No common protocol: refused (RFC 7301). */
    pair_open(&p, &(struct side){.alpn = {"http/1.1"}}, &(struct side){.alpn = {"h2"}},
              "localhost");
    pump(&p);
    assert_false(df_tls_handshake_done(p.server));
    assert_false(df_tls_handshake_done(p.client));
    assert_contains(failure(p.client), "no application protocol");
    pair_close(&p);
}

/* A raw OpenSSL client that speaks at most TLS 1.2, over memory BIOs. */
struct raw_client {
    SSL_CTX *ctx;
    SSL *ssl;
    BIO *in, *out;
};

static void raw_open(struct raw_client *r)
{
    r->ctx = SSL_CTX_new(TLS_client_method());
    assert_non_null(r->ctx);
    SSL_CTX_set_max_proto_version(r->ctx, TLS1_2_VERSION);
    r->ssl = SSL_new(r->ctx);
    r->in = BIO_new(BIO_s_mem());
    r->out = BIO_new(BIO_s_mem());
    SSL_set_bio(r->ssl, r->in, r->out);
    SSL_set_connect_state(r->ssl);
}

/* Runs the raw client's handshake against `server`; returns SSL's result. */
static int raw_handshake(struct raw_client *r, struct df_tls_conn *server)
{
    int rc = 0;
    for (int round = 0; round < 10; round++) {
        rc = SSL_do_handshake(r->ssl);
        char *data;
        long n = BIO_get_mem_data(r->out, &data);
        if (n > 0) {
            df_tls_feed(server, (const uint8_t *)data, (size_t)n);
            (void)BIO_reset(r->out);
        }
        const uint8_t *out;
        size_t len;
        df_tls_pending_output(server, &out, &len);
        if (len > 0) {
            BIO_write(r->in, out, (int)len);
            df_tls_consume_output(server, len);
        } else if (n <= 0) {
            break;
        }
    }
    return rc;
}

static void raw_close(struct raw_client *r)
{
    SSL_free(r->ssl);
    SSL_CTX_free(r->ctx);
}

static void test_min_version(void **state)
{
    (void)state;
    char err[128];
    /* A 1.2-only client is served by default... */
    struct df_tls_ctx *sctx = server_ctx(&(struct side){0});
    struct df_tls_conn *server = df_tls_conn_new(sctx, NULL, err, sizeof err);
    struct raw_client raw;
    raw_open(&raw);
    assert_int_equal(raw_handshake(&raw, server), 1);
    assert_int_equal(SSL_version(raw.ssl), TLS1_2_VERSION);
    assert_true(df_tls_handshake_done(server));
    raw_close(&raw);
    df_tls_conn_free(server);
    df_tls_ctx_free(sctx);

    /* ...and refused with min_version 1.3. */
    sctx = server_ctx(&(struct side){.min_version = DF_TLS_VERSION_1_3});
    server = df_tls_conn_new(sctx, NULL, err, sizeof err);
    raw_open(&raw);
    assert_true(raw_handshake(&raw, server) <= 0);
    assert_false(df_tls_handshake_done(server));
    assert_contains(failure(server), "unsupported protocol");
    assert_int_equal(df_tls_read(server, (uint8_t *)err, sizeof err), DF_TLS_FAILED);
    raw_close(&raw);
    df_tls_conn_free(server);
    df_tls_ctx_free(sctx);

    /* Two df sides with 1.3 minimum agree. */
    struct pair p;
    pair_open(&p, &(struct side){.min_version = DF_TLS_VERSION_1_3},
              &(struct side){.min_version = DF_TLS_VERSION_1_3}, "localhost");
    pair_connect(&p);
    pair_close(&p);
    assert_string_equal(df_tls_version_names[DF_TLS_VERSION_1_2], "1.2");
    assert_string_equal(df_tls_version_names[DF_TLS_VERSION_1_3], "1.3");
    assert_null(df_tls_version_names[2]);
}

/* ---- mTLS ------------------------------------------------------------------- */

static void test_mtls_without_client_cert_fails(void **state)
{
    (void)state;
    struct pair p;
    pair_open(&p, &(struct side){0}, &(struct side){.ca = "ca.pem"}, "localhost");
    pump(&p);
    assert_false(df_tls_handshake_done(p.server));
    assert_contains(failure(p.server), "peer did not return a certificate");
    /* TLS 1.3: the client learns it from the server's alert. */
    uint8_t buf[16];
    assert_int_equal(df_tls_read(p.client, buf, sizeof buf), DF_TLS_FAILED);
    assert_contains(df_tls_last_error(p.client), "certificate required");
    assert_int_equal(df_tls_write(p.client, buf, 1), DF_TLS_FAILED);
    assert_int_equal(df_tls_close(p.client), DF_TLS_FAILED);
    pair_close(&p);
}

static void test_mtls_client_cert_from_other_ca_fails(void **state)
{
    (void)state;
    struct pair p;
    pair_open(&p, &(struct side){.cert = "stray.pem", .key = "stray.key"},
              &(struct side){.ca = "ca.pem"}, "localhost");
    pump(&p);
    assert_false(df_tls_handshake_done(p.server));
    assert_string_equal(failure(p.server),
                        "certificate verify failed: unable to get local issuer certificate");
    char subject[64];
    assert_int_equal(df_tls_peer_subject(p.server, subject, sizeof subject), DF_ENOENT);
    uint8_t buf[16];
    assert_int_equal(df_tls_read(p.client, buf, sizeof buf), DF_TLS_FAILED);
    pair_close(&p);
}

struct sans {
    int n;
    enum df_tls_san_type type[8];
    char value[8][64];
};

static int collect_san(void *ud, enum df_tls_san_type type, const char *value)
{
    struct sans *s = ud;
    if (s->n < 8) {
        s->type[s->n] = type;
        snprintf(s->value[s->n], sizeof s->value[0], "%s", value);
    }
    s->n++;
    return 0;
}

static int stop_after_one(void *ud, enum df_tls_san_type type, const char *value)
{
    (void)type, (void)value;
    ++*(int *)ud;
    return 1;
}

static void test_mtls_good_client_identity(void **state)
{
    (void)state;
    struct pair p;
    pair_open(&p, &(struct side){.cert = "client.pem", .key = "client.key", .alpn = {"h2"}},
              &(struct side){.ca = "ca.pem", .alpn = {"h2"}}, "localhost");
    pair_connect(&p);
    assert_int_equal(df_tls_write(p.client, (const uint8_t *)"hi", 2), 2);
    pump(&p);
    uint8_t buf[8];
    assert_int_equal(df_tls_read(p.server, buf, sizeof buf), 2);
    assert_string_equal(df_tls_alpn(p.server), "h2");

    char subject[128];
    assert_int_equal(df_tls_peer_subject(p.server, subject, sizeof subject), 0);
    assert_string_equal(subject, "CN=client,O=df");
    char small[6];
    assert_int_equal(df_tls_peer_subject(p.server, small, sizeof small), 0);
    assert_string_equal(small, "CN=cl");

    struct sans s = {0};
    assert_int_equal(df_tls_peer_sans(p.server, collect_san, &s), 3);
    assert_int_equal(s.n, 3);
    assert_int_equal(s.type[0], DF_TLS_SAN_URI);
    assert_string_equal(s.value[0], "spiffe://df.test/collector");
    assert_int_equal(s.type[1], DF_TLS_SAN_EMAIL);
    assert_string_equal(s.value[1], "ops@df.test");
    assert_int_equal(s.type[2], DF_TLS_SAN_DNS);
    assert_string_equal(s.value[2], "client.df.test");
    int calls = 0;
    assert_int_equal(df_tls_peer_sans(p.server, stop_after_one, &calls), 1);
    assert_int_equal(calls, 1);

    /* And the client sees the server's SANs, IP included. */
    memset(&s, 0, sizeof s);
    assert_int_equal(df_tls_peer_sans(p.client, collect_san, &s), 2);
    assert_int_equal(s.type[0], DF_TLS_SAN_DNS);
    assert_string_equal(s.value[0], "localhost");
    assert_int_equal(s.type[1], DF_TLS_SAN_IP);
    assert_string_equal(s.value[1], "127.0.0.1");
    assert_string_equal(df_tls_san_type_name(DF_TLS_SAN_EMAIL), "email");
    pair_close(&p);
}

/* ---- server verification ------------------------------------------------ */

static void test_hostname_checks(void **state)
{
    (void)state;
    struct pair p;
    pair_open(&p, &(struct side){0}, &(struct side){0}, "example.com");
    pump(&p);
    assert_false(df_tls_handshake_done(p.client));
    assert_string_equal(failure(p.client),
                        "certificate verify failed: hostname mismatch (expected 'example.com')");
    /* The server hears about it through the client's alert. */
    assert_false(df_tls_handshake_done(p.server));
    assert_contains(failure(p.server), "alert");
    pair_close(&p);

    /* IP SANs: 127.0.0.1 matches, 127.0.0.2 does not. */
    pair_open(&p, &(struct side){0}, &(struct side){0}, "127.0.0.1");
    pair_connect(&p);
    pair_close(&p);
    pair_open(&p, &(struct side){0}, &(struct side){0}, "127.0.0.2");
    pump(&p);
    assert_contains(failure(p.client), "IP address mismatch");
    pair_close(&p);

    /* server_name from the config overrides the endpoint host. */
    pair_open(&p, &(struct side){.server_name = "localhost"}, &(struct side){0}, "10.1.2.3");
    pair_connect(&p);
    pair_close(&p);
    pair_open(&p, &(struct side){.server_name = "other.test"}, &(struct side){0}, "localhost");
    pump(&p);
    assert_contains(failure(p.client), "hostname mismatch (expected 'other.test')");
    pair_close(&p);

    /* A verifying client needs a name. */
    struct df_tls_ctx *cctx = client_ctx(&(struct side){0});
    char err[128] = "";
    assert_null(df_tls_conn_new(cctx, NULL, err, sizeof err));
    assert_contains(err, "no server name");
    df_tls_ctx_free(cctx);
}

static void test_untrusted_and_insecure_skip_verify(void **state)
{
    (void)state;
    struct pair p;
    struct side self = {.cert = "self.pem", .key = "self.key"};
    pair_open(&p, &(struct side){0}, &self, "localhost");
    pump(&p);
    assert_false(df_tls_handshake_done(p.client));
    assert_contains(failure(p.client), "certificate verify failed: self");
    pair_close(&p);

    /* The same server is accepted when verification is off, even without a
     * name; but its identity is not reported as verified. */
    pair_open(&p, &(struct side){.insecure = true}, &self, NULL);
    pair_connect(&p);
    assert_int_equal(df_tls_write(p.server, (const uint8_t *)"ok", 2), 2);
    pump(&p);
    uint8_t buf[4];
    assert_int_equal(df_tls_read(p.client, buf, sizeof buf), 2);
    char subject[64];
    assert_int_equal(df_tls_peer_subject(p.client, subject, sizeof subject), DF_ENOENT);
    assert_int_equal(df_tls_peer_sans(p.client, collect_san, &(struct sans){0}), DF_ENOENT);
    pair_close(&p);
}

static void test_expired_cert_fails(void **state)
{
    (void)state;
    struct pair p;
    pair_open(&p, &(struct side){0}, &(struct side){.cert = "expired.pem", .key = "expired.key"},
              "localhost");
    pump(&p);
    assert_false(df_tls_handshake_done(p.client));
    assert_string_equal(failure(p.client), "certificate verify failed: certificate has expired");
    pair_close(&p);
}

/* ---- closing ------------------------------------------------------------ */

static void test_close_notify_is_a_clean_close(void **state)
{
    (void)state;
    struct pair p;
    pair_open(&p, &(struct side){0}, &(struct side){0}, "localhost");
    pair_connect(&p);
    assert_int_equal(df_tls_write(p.client, (const uint8_t *)"last", 4), 4);
    assert_int_equal(df_tls_close(p.client), 0);
    assert_int_equal(df_tls_close(p.client), 0);
    assert_int_equal(df_tls_write(p.client, (const uint8_t *)"more", 4), DF_TLS_CLOSED);
    pump(&p);
    uint8_t buf[16];
    /* Data sent before close_notify comes first. */
    assert_int_equal(df_tls_read(p.server, buf, sizeof buf), 4);
    assert_memory_equal(buf, "last", 4);
    assert_int_equal(df_tls_read(p.server, buf, sizeof buf), DF_TLS_CLOSED);
    assert_int_equal(df_tls_read(p.server, buf, sizeof buf), DF_TLS_CLOSED);
    assert_string_equal(df_tls_last_error(p.server), "");
    /* The server answers with its own close_notify. */
    assert_int_equal(df_tls_close(p.server), 0);
    pump(&p);
    assert_int_equal(df_tls_read(p.client, buf, sizeof buf), DF_TLS_CLOSED);
    pair_close(&p);

    /* EOF without close_notify is a truncation, not a clean close. */
    pair_open(&p, &(struct side){0}, &(struct side){0}, "localhost");
    pair_connect(&p);
    assert_int_equal(df_tls_write(p.client, (const uint8_t *)"cut", 3), 3);
    pump(&p);
    assert_int_equal(df_tls_feed(p.server, NULL, 0), 0);
    assert_int_equal(df_tls_read(p.server, buf, sizeof buf), 3);
    assert_int_equal(df_tls_read(p.server, buf, sizeof buf), DF_TLS_FAILED);
    assert_contains(df_tls_last_error(p.server), "unexpected eof");
    pair_close(&p);

    /* EOF during the handshake fails it. */
    pair_open(&p, &(struct side){0}, &(struct side){0}, "localhost");
    assert_int_equal(df_tls_feed(p.client, NULL, 0), DF_TLS_FAILED);
    assert_contains(df_tls_last_error(p.client), "unexpected eof");
    /* Closing before the handshake sends nothing. */
    assert_int_equal(df_tls_close(p.server), 0);
    const uint8_t *out;
    size_t len;
    df_tls_pending_output(p.server, &out, &len);
    assert_int_equal(len, 0);
    pair_close(&p);
}

/* ---- sharing -------------------------------------------------------------- */

static void test_config_strings_are_copied(void **state)
{
    (void)state;
    char *name = strdup("localhost"), *proto = strdup("h2");
    const char **alpn = malloc(sizeof *alpn);
    assert_non_null(name);
    assert_non_null(proto);
    assert_non_null(alpn);
    alpn[0] = proto;
    struct df_tls_client_config cc = {
        .ca_file = path("ca.pem"), .server_name = name, .alpn = {.count = 1, .items = alpn}};
    char err[256] = "";
    struct df_tls_ctx *cctx = df_tls_client_ctx_new(&cc, err, sizeof err);
    assert_non_null(cctx);
    /* The config's storage goes away (and is scribbled over) after creation. */
    memset(name, 'x', strlen(name));
    memset(proto, 'y', strlen(proto));
    free(name);
    free(proto);
    free(alpn);
    struct pair p = {.cctx = cctx, .sctx = server_ctx(&(struct side){.alpn = {"h2"}})};
    p.server = df_tls_conn_new(p.sctx, NULL, err, sizeof err);
    p.client = df_tls_conn_new(p.cctx, "10.9.9.9", err, sizeof err);
    assert_non_null(p.server);
    assert_non_null(p.client);
    pair_connect(&p);
    assert_string_equal(df_tls_alpn(p.client), "h2");
    pair_close(&p);
}

struct worker {
    const struct df_tls_ctx *cctx, *sctx;
    pthread_t thread;
    int ok; /* handshakes with a verified echo */
};

/* Runs handshakes and an exchange from shared contexts; no cmocka asserts
 * off the main thread, the count is checked there. */
static void *worker_run(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < 25; i++) {
        char err[256];
        struct df_tls_conn *s = df_tls_conn_new(w->sctx, NULL, err, sizeof err);
        struct df_tls_conn *c = df_tls_conn_new(w->cctx, "localhost", err, sizeof err);
        bool wrote = false;
        uint8_t buf[16];
        for (int round = 0; s && c && round < 20; round++) {
            const uint8_t *out;
            size_t len;
            if (df_tls_handshake_done(c) && !wrote)
                wrote = df_tls_write(c, (const uint8_t *)"thread", 6) == 6;
            df_tls_pending_output(c, &out, &len);
            if (len && df_tls_feed(s, out, len) == (ssize_t)len)
                df_tls_consume_output(c, len);
            df_tls_pending_output(s, &out, &len);
            if (len && df_tls_feed(c, out, len) == (ssize_t)len)
                df_tls_consume_output(s, len);
            if (df_tls_read(s, buf, sizeof buf) == 6 && memcmp(buf, "thread", 6) == 0) {
                char subject[64];
                if (df_tls_peer_subject(s, subject, sizeof subject) == 0 &&
                    strcmp(subject, "CN=client,O=df") == 0)
                    w->ok++;
                break;
            }
        }
        df_tls_conn_free(c);
        df_tls_conn_free(s);
    }
    return NULL;
}

static void test_ctx_shared_by_threads(void **state)
{
    (void)state;
    struct df_tls_ctx *sctx = server_ctx(&(struct side){.ca = "ca.pem", .alpn = {"h2"}});
    struct df_tls_ctx *cctx =
        client_ctx(&(struct side){.cert = "client.pem", .key = "client.key", .alpn = {"h2"}});
    struct worker workers[4];
    for (int i = 0; i < 4; i++) {
        workers[i] = (struct worker){.cctx = cctx, .sctx = sctx};
        assert_int_equal(pthread_create(&workers[i].thread, NULL, worker_run, &workers[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(workers[i].thread, NULL), 0);
        assert_int_equal(workers[i].ok, 25);
    }
    df_tls_ctx_free(cctx);
    df_tls_ctx_free(sctx);
}

/* ---- configuration errors ---------------------------------------------- */

static void expect_server_error(const char *cert, const char *key, const char *ca,
                                const char *want1, const char *want2)
{
    struct df_tls_server_config cfg = {
        .cert_file = cert ? path(cert) : NULL,
        .key_file = key ? path(key) : NULL,
        .client_ca_file = ca ? path(ca) : NULL,
    };
    char err[512] = "";
    assert_null(df_tls_server_ctx_new(&cfg, err, sizeof err));
    assert_contains(err, want1);
    assert_contains(err, want2);
}

static void test_bad_config_files(void **state)
{
    (void)state;
    char want[160];
    snprintf(want, sizeof want, "cert_file '%s'", path("missing.pem"));
    expect_server_error("missing.pem", "server.key", NULL, want, "No such file or directory");
    snprintf(want, sizeof want, "key_file '%s'", path("missing.key"));
    expect_server_error("server.pem", "missing.key", NULL, want, "No such file or directory");
    snprintf(want, sizeof want, "cert_file '%s'", path("junk.pem"));
    expect_server_error("junk.pem", "server.key", NULL, want, "no start line");
    snprintf(want, sizeof want, "key_file '%s'", path("junk.pem"));
    expect_server_error("server.pem", "junk.pem", NULL, want, "no PEM private key found");
    /* A certificate is not a key. */
    snprintf(want, sizeof want, "key_file '%s'", path("ca.pem"));
    expect_server_error("server.pem", "ca.pem", NULL, want, "no PEM private key found");
    /* Encrypted keys are refused, without prompting for a passphrase. */
    snprintf(want, sizeof want, "key_file '%s'", path("enc.key"));
    expect_server_error("server.pem", "enc.key", NULL, want, "the key is encrypted");
    snprintf(want, sizeof want, "key_file '%s' does not match cert_file '%s'", path("client.key"),
             path("server.pem"));
    expect_server_error("server.pem", "client.key", NULL, want, "key values mismatch");
    snprintf(want, sizeof want, "client_ca_file '%s'", path("junk.pem"));
    expect_server_error("server.pem", "server.key", "junk.pem", want, "no usable PEM CA");
    snprintf(want, sizeof want, "client_ca_file '%s'", path("empty.pem"));
    expect_server_error("server.pem", "server.key", "empty.pem", want, "no usable PEM CA");
    snprintf(want, sizeof want, "cert_file '%s'", path(""));
    expect_server_error("", "server.key", NULL, want, "not a regular file");

    char err[512] = "";
    struct df_tls_server_config s = {.key_file = path("server.key")};
    assert_null(df_tls_server_ctx_new(&s, err, sizeof err));
    assert_contains(err, "needs cert_file and key_file");
    s = (struct df_tls_server_config){
        .cert_file = path("server.pem"), .key_file = path("server.key"), .min_version = 7};
    assert_null(df_tls_server_ctx_new(&s, err, sizeof err));
    assert_contains(err, "min_version");
    const char *alpn[] = {"h2", ""};
    s.min_version = 0;
    s.alpn = (struct df_list){.count = 2, .items = alpn};
    assert_null(df_tls_server_ctx_new(&s, err, sizeof err));
    assert_contains(err, "alpn[1]");

    struct df_tls_client_config c = {.ca_file = path("missing.pem")};
    assert_null(df_tls_client_ctx_new(&c, err, sizeof err));
    snprintf(want, sizeof want, "ca_file '%s': cannot read", path("missing.pem"));
    assert_contains(err, want);
    c = (struct df_tls_client_config){.ca_file = path("junk.pem")};
    assert_null(df_tls_client_ctx_new(&c, err, sizeof err));
    snprintf(want, sizeof want, "ca_file '%s': no usable PEM CA certificate", path("junk.pem"));
    assert_contains(err, want);
    c = (struct df_tls_client_config){.cert_file = path("client.pem")};
    assert_null(df_tls_client_ctx_new(&c, err, sizeof err));
    assert_contains(err, "cert_file and key_file go together");
    c = (struct df_tls_client_config){.cert_file = path("client.pem"),
                                      .key_file = path("server.key")};
    assert_null(df_tls_client_ctx_new(&c, err, sizeof err));
    assert_contains(err, "does not match");
    /* The system trust store is the default. */
    c = (struct df_tls_client_config){0};
    struct df_tls_ctx *ctx = df_tls_client_ctx_new(&c, err, sizeof err);
    assert_non_null(ctx);
    df_tls_ctx_free(ctx);
}

static void test_status_text(void **state)
{
    (void)state;
    assert_string_equal(df_tls_status_text(DF_TLS_CLOSED),
                        "the TLS session is closed (close_notify)");
    assert_string_equal(df_tls_status_text(DF_TLS_FAILED), "the TLS connection failed");
    assert_string_equal(df_tls_status_text(1), "unknown");
    assert_true(DF_TLS_AGAIN < 0 && DF_TLS_CLOSED < 0 && DF_TLS_FAILED < 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_handshake_and_data),
        cmocka_unit_test(test_one_mib_both_ways),
        cmocka_unit_test(test_buffers_are_bounded),
        cmocka_unit_test(test_alpn_h2_chosen),
        cmocka_unit_test(test_min_version),
        cmocka_unit_test(test_mtls_without_client_cert_fails),
        cmocka_unit_test(test_mtls_client_cert_from_other_ca_fails),
        cmocka_unit_test(test_mtls_good_client_identity),
        cmocka_unit_test(test_hostname_checks),
        cmocka_unit_test(test_untrusted_and_insecure_skip_verify),
        cmocka_unit_test(test_expired_cert_fails),
        cmocka_unit_test(test_close_notify_is_a_clean_close),
        cmocka_unit_test(test_config_strings_are_copied),
        cmocka_unit_test(test_ctx_shared_by_threads),
        cmocka_unit_test(test_bad_config_files),
        cmocka_unit_test(test_status_text),
    };
    return cmocka_run_group_tests(tests, pki_setup, pki_teardown);
}
