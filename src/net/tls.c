/* TLS contexts and sans-IO connections over OpenSSL (net/tls.h).
 *
 * Each connection's SSL reads and writes through one BIO of a small method
 * of our own: reads take from the connection's input buffer (filled by
 * df_tls_feed) and writes append to its output buffer (shown by
 * df_tls_pending_output). Compared with a pair of BIO_s_mem, the output is
 * handed out in place, without a copy to consume it, and both bounds are
 * exact. */
#include "net/tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "df/error.h"

/* Output beyond which the connection fails rather than buffer more: only a
 * peer that keeps making us answer (while the engine does not drain) gets
 * there, since df_tls_write stops at DF_TLS_MAX_OUTPUT. */
#define OUTPUT_HARD_MAX (2 * DF_TLS_MAX_OUTPUT)

const char *const df_tls_version_names[] = {"1.2", "1.3", NULL};

struct df_tls_ctx {
    SSL_CTX *ssl;
    BIO_METHOD *bio_method;
    bool server;
    bool verify;         /* peer certificates are verified (mTLS server, verifying client) */
    char *server_name;   /* client: the config's override, or NULL */
    unsigned char *alpn; /* ALPN list in wire format (length-prefixed names) */
    size_t alpn_len;
};

struct buf {
    uint8_t *data;
    size_t off, len, cap; /* unread bytes are data[off, len) */
};

struct df_tls_conn {
    const struct df_tls_ctx *ctx;
    SSL *ssl;
    struct buf in, out;
    bool eof;         /* the socket reached EOF: no more input */
    bool done;        /* handshake completed */
    bool failed;      /* fatal error; err says why */
    bool closed;      /* df_tls_close was called */
    bool peer_closed; /* close_notify read */
    bool overflow;    /* output passed OUTPUT_HARD_MAX */
    bool nomem;       /* a buffer could not grow */
    char alpn[256];
    char name[256]; /* client: the name verified, for messages */
    char err[DF_TLS_ERROR_MAX];
};

const char *df_tls_status_text(int status)
{
    switch (status) {
#define DF_TLS_STATUS_CASE(name, value, text)                                                      \
    case name:                                                                                     \
        return text;
        DF_TLS_STATUSES(DF_TLS_STATUS_CASE)
#undef DF_TLS_STATUS_CASE
    }
    return "unknown";
}

const char *df_tls_san_type_name(enum df_tls_san_type type)
{
    static const char *const names[] = {
#define DF_TLS_SAN_NAME(name, text) [name] = text,
        DF_TLS_SAN_TYPES(DF_TLS_SAN_NAME)
#undef DF_TLS_SAN_NAME
    };
    if ((size_t)type < DF_COUNTOF(names))
        return names[type];
    return "unknown";
}

/* ---- buffers -------------------------------------------------------------- */

static size_t buf_pending(const struct buf *b)
{
    return b->len - b->off;
}

/* Makes room for n more bytes at the end: moves the unread bytes to the
 * front, then grows. Returns false when out of memory. */
static bool buf_reserve(struct buf *b, size_t n)
{
    if (b->off > 0) {
        memmove(b->data, b->data + b->off, b->len - b->off);
        b->len -= b->off;
        b->off = 0;
    }
    if (b->cap - b->len >= n)
        return true;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap - b->len < n)
        cap *= 2;
    uint8_t *p = realloc(b->data, cap);
    if (!p)
        return false;
    b->data = p;
    b->cap = cap;
    return true;
}

static void buf_consume(struct buf *b, size_t n)
{
    if (n > buf_pending(b))
        n = buf_pending(b);
    b->off += n;
    if (b->off == b->len)
        b->off = b->len = 0;
}

/* ---- the BIO between an SSL and its connection's buffers ------------------ */

static int bio_write(BIO *bio, const char *data, size_t len, size_t *written)
{
    struct df_tls_conn *c = BIO_get_data(bio);
    BIO_clear_retry_flags(bio);
    *written = 0;
    if (buf_pending(&c->out) + len > OUTPUT_HARD_MAX) {
        c->overflow = true;
        return 0;
    }
    if (!buf_reserve(&c->out, len)) {
        c->nomem = true;
        return 0;
    }
    memcpy(c->out.data + c->out.len, data, len);
    c->out.len += len;
    *written = len;
    return 1;
}

static int bio_read(BIO *bio, char *data, size_t cap, size_t *got)
{
    struct df_tls_conn *c = BIO_get_data(bio);
    BIO_clear_retry_flags(bio);
    size_t n = buf_pending(&c->in);
    if (n == 0) {
        *got = 0;
        if (!c->eof)
            BIO_set_retry_read(bio);
        return 0;
    }
    if (n > cap)
        n = cap;
    memcpy(data, c->in.data + c->in.off, n);
    buf_consume(&c->in, n);
    *got = n;
    return 1;
}

static long bio_ctrl(BIO *bio, int cmd, long num, void *ptr)
{
    struct df_tls_conn *c = BIO_get_data(bio);
    switch (cmd) {
    case BIO_CTRL_FLUSH:
    case BIO_CTRL_DUP:
        return 1;
    case BIO_CTRL_PENDING:
        return c ? (long)buf_pending(&c->in) : 0;
    case BIO_CTRL_EOF:
        return c && c->eof && buf_pending(&c->in) == 0;
    default:
        return 0;
    }
}

/* ---- errors ----------------------------------------------------------------- */

/* Writes the reason of the earliest error in this thread's OpenSSL error
 * queue (the root cause), then clears the queue. */
static void ossl_reason(char *buf, size_t len)
{
    unsigned long e = ERR_peek_error();
    const char *r = e ? ERR_reason_error_string(e) : NULL;
    if (r)
        snprintf(buf, len, "%s", r);
    else if (e)
        ERR_error_string_n(e, buf, len);
    else
        snprintf(buf, len, "unknown error");
    ERR_clear_error();
}

/* Marks the connection failed after SSL returned `sslerr`, with a reason. */
static void conn_fail(struct df_tls_conn *c, int sslerr)
{
    c->failed = true;
    unsigned long e = ERR_peek_error();
    if (c->nomem) {
        snprintf(c->err, sizeof c->err, "out of memory");
    } else if (c->overflow) {
        snprintf(c->err, sizeof c->err,
                 "more than %zu bytes of output waiting: the peer does not read",
                 (size_t)OUTPUT_HARD_MAX);
    } else if (ERR_GET_LIB(e) == ERR_LIB_SSL &&
               ERR_GET_REASON(e) == SSL_R_CERTIFICATE_VERIFY_FAILED) {
        long v = SSL_get_verify_result(c->ssl);
        if (v == X509_V_ERR_HOSTNAME_MISMATCH || v == X509_V_ERR_IP_ADDRESS_MISMATCH)
            snprintf(c->err, sizeof c->err, "certificate verify failed: %s (expected '%s')",
                     X509_verify_cert_error_string(v), c->name);
        else
            snprintf(c->err, sizeof c->err, "certificate verify failed: %s",
                     X509_verify_cert_error_string(v));
    } else if (e) {
        ossl_reason(c->err, sizeof c->err);
    } else if (sslerr == SSL_ERROR_SYSCALL || sslerr == SSL_ERROR_ZERO_RETURN) {
        snprintf(c->err, sizeof c->err, "connection closed during the handshake");
    } else {
        snprintf(c->err, sizeof c->err, "TLS error %d", sslerr);
    }
    ERR_clear_error();
}

/* ---- contexts ------------------------------------------------------------- */

static int no_password(char *buf, int size, int rwflag, void *ud)
{
    (void)buf, (void)size, (void)rwflag, (void)ud;
    return -1; /* encrypted keys are not supported: never prompt */
}

/* Checks that `path` names a readable regular file. */
static bool check_file(const char *what, const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s '%s': cannot read: %s", what, path, strerror(errno));
        return false;
    }
    struct stat st;
    bool ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
    close(fd);
    if (!ok)
        snprintf(err, errlen, "%s '%s': not a regular file", what, path);
    return ok;
}

/* Loads a certificate chain and its private key into ctx. */
static bool load_identity(SSL_CTX *ctx, const char *cert_file, const char *key_file, char *err,
                          size_t errlen)
{
    char why[160];
    if (!check_file("cert_file", cert_file, err, errlen) ||
        !check_file("key_file", key_file, err, errlen))
        return false;
    ERR_clear_error();
    if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1) {
        ossl_reason(why, sizeof why);
        snprintf(err, errlen, "cert_file '%s': no usable PEM certificate: %s", cert_file, why);
        return false;
    }
    BIO *in = BIO_new_file(key_file, "r");
    EVP_PKEY *key = in ? PEM_read_bio_PrivateKey(in, NULL, no_password, NULL) : NULL;
    BIO_free(in);
    if (!key) {
        unsigned long e = ERR_peek_last_error();
        if (ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_BAD_PASSWORD_READ)
            snprintf(err, errlen,
                     "key_file '%s': the key is encrypted; only unencrypted keys "
                     "are supported",
                     key_file);
        else if (ERR_GET_LIB(e) == ERR_LIB_OSSL_DECODER)
            snprintf(err, errlen, "key_file '%s': no PEM private key found", key_file);
        else {
            ossl_reason(why, sizeof why);
            snprintf(err, errlen, "key_file '%s': no usable PEM private key: %s", key_file, why);
        }
        ERR_clear_error();
        return false;
    }
    bool ok = X509_check_private_key(SSL_CTX_get0_certificate(ctx), key) == 1 &&
              SSL_CTX_use_PrivateKey(ctx, key) == 1 && SSL_CTX_check_private_key(ctx) == 1;
    EVP_PKEY_free(key);
    if (!ok) {
        ossl_reason(why, sizeof why);
        snprintf(err, errlen, "key_file '%s' does not match cert_file '%s': %s", key_file,
                 cert_file, why);
    }
    return ok;
}

/* Makes `file`'s certificates the trust anchors of ctx. */
static bool load_ca(SSL_CTX *ctx, const char *what, const char *file, char *err, size_t errlen)
{
    char why[160];
    if (!check_file(what, file, err, errlen))
        return false;
    ERR_clear_error();
    if (SSL_CTX_load_verify_file(ctx, file) != 1) {
        ossl_reason(why, sizeof why);
        snprintf(err, errlen, "%s '%s': no usable PEM CA certificate: %s", what, file, why);
        return false;
    }
    return true;
}

/* Builds the wire-format ALPN list of ctx from the configured names. */
static bool set_alpn(struct df_tls_ctx *ctx, const struct df_list *list, char *err, size_t errlen)
{
    const char *const *names = list->items;
    size_t total = 0;
    for (size_t i = 0; i < list->count; i++) {
        size_t n = names[i] ? strlen(names[i]) : 0;
        if (n == 0 || n > 255) {
            snprintf(err, errlen, "alpn[%zu]: a protocol name must be 1 to 255 bytes", i);
            return false;
        }
        total += 1 + n;
    }
    if (total > 65535) {
        snprintf(err, errlen, "alpn: the list is longer than 65535 bytes");
        return false;
    }
    if (total == 0)
        return true;
    ctx->alpn = malloc(total);
    if (!ctx->alpn) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    for (size_t i = 0; i < list->count; i++) {
        size_t n = strlen(names[i]);
        ctx->alpn[ctx->alpn_len++] = (unsigned char)n;
        memcpy(ctx->alpn + ctx->alpn_len, names[i], n);
        ctx->alpn_len += n;
    }
    return true;
}

/* Server ALPN choice: the first of our names (our preference) that the
 * client offered; none is a fatal no_application_protocol alert. */
static int alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                       const unsigned char *in, unsigned int inlen, void *arg)
{
    const struct df_tls_ctx *ctx = arg;
    for (size_t i = 0; i < ctx->alpn_len; i += 1 + (size_t)ctx->alpn[i]) {
        const unsigned char *want = ctx->alpn + i + 1;
        size_t wlen = ctx->alpn[i];
        for (size_t j = 0; j < inlen && j + 1 + (size_t)in[j] <= inlen; j += 1 + (size_t)in[j]) {
            if (in[j] == wlen && memcmp(in + j + 1, want, wlen) == 0) {
                *out = want;
                *outlen = (unsigned char)wlen;
                return SSL_TLSEXT_ERR_OK;
            }
        }
    }
    return SSL_TLSEXT_ERR_ALERT_FATAL;
}

/* The parts common to both sides. */
static struct df_tls_ctx *ctx_new(bool server, int min_version, const struct df_list *alpn,
                                  char *err, size_t errlen)
{
    if (min_version != DF_TLS_VERSION_1_2 && min_version != DF_TLS_VERSION_1_3) {
        snprintf(err, errlen, "min_version: must be \"1.2\" or \"1.3\"");
        return NULL;
    }
    struct df_tls_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    ctx->server = server;
    ERR_clear_error();
    ctx->ssl = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
    ctx->bio_method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "df_tls");
    if (!ctx->ssl || !ctx->bio_method || !BIO_meth_set_write_ex(ctx->bio_method, bio_write) ||
        !BIO_meth_set_read_ex(ctx->bio_method, bio_read) ||
        !BIO_meth_set_ctrl(ctx->bio_method, bio_ctrl)) {
        char why[160];
        ossl_reason(why, sizeof why);
        snprintf(err, errlen, "cannot create a TLS context: %s", why);
        df_tls_ctx_free(ctx);
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx->ssl, min_version == DF_TLS_VERSION_1_3 ? TLS1_3_VERSION
                                                                              : TLS1_2_VERSION);
    /* No renegotiation and no resumption: nothing for connections to share
     * or change in the context. */
    SSL_CTX_set_options(ctx->ssl, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET);
    SSL_CTX_set_session_cache_mode(ctx->ssl, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_num_tickets(ctx->ssl, 0);
    if (!set_alpn(ctx, alpn, err, errlen)) {
        df_tls_ctx_free(ctx);
        return NULL;
    }
    return ctx;
}

struct df_tls_ctx *df_tls_server_ctx_new(const struct df_tls_server_config *cfg, char *err,
                                         size_t errlen)
{
    if (!cfg->cert_file || !cfg->key_file) {
        snprintf(err, errlen, "a TLS server needs cert_file and key_file");
        return NULL;
    }
    struct df_tls_ctx *ctx = ctx_new(true, cfg->min_version, &cfg->alpn, err, errlen);
    if (!ctx)
        return NULL;
    if (!load_identity(ctx->ssl, cfg->cert_file, cfg->key_file, err, errlen))
        goto fail;
    if (cfg->client_ca_file) {
        if (!load_ca(ctx->ssl, "client_ca_file", cfg->client_ca_file, err, errlen))
            goto fail;
        /* The CA names sent in the CertificateRequest, so that clients pick
         * a matching certificate. */
        STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(cfg->client_ca_file);
        if (!names) {
            char why[160];
            ossl_reason(why, sizeof why);
            snprintf(err, errlen, "client_ca_file '%s': no usable PEM CA certificate: %s",
                     cfg->client_ca_file, why);
            goto fail;
        }
        SSL_CTX_set_client_CA_list(ctx->ssl, names);
        SSL_CTX_set_verify(ctx->ssl, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
        ctx->verify = true;
    }
    static const unsigned char sid[] = "df_engine";
    SSL_CTX_set_session_id_context(ctx->ssl, sid, sizeof sid - 1);
    if (ctx->alpn_len)
        SSL_CTX_set_alpn_select_cb(ctx->ssl, alpn_select, ctx);
    return ctx;
fail:
    df_tls_ctx_free(ctx);
    return NULL;
}

struct df_tls_ctx *df_tls_client_ctx_new(const struct df_tls_client_config *cfg, char *err,
                                         size_t errlen)
{
    if (!cfg->cert_file != !cfg->key_file) {
        snprintf(err, errlen, "cert_file and key_file go together: set both or neither");
        return NULL;
    }
    if (cfg->server_name && !cfg->server_name[0]) {
        snprintf(err, errlen, "server_name: must not be empty");
        return NULL;
    }
    struct df_tls_ctx *ctx = ctx_new(false, cfg->min_version, &cfg->alpn, err, errlen);
    if (!ctx)
        return NULL;
    if (cfg->cert_file && !load_identity(ctx->ssl, cfg->cert_file, cfg->key_file, err, errlen))
        goto fail;
    if (cfg->ca_file) {
        if (!load_ca(ctx->ssl, "ca_file", cfg->ca_file, err, errlen))
            goto fail;
    } else if (SSL_CTX_set_default_verify_paths(ctx->ssl) != 1) {
        char why[160];
        ossl_reason(why, sizeof why);
        snprintf(err, errlen, "cannot load the system trust store: %s", why);
        goto fail;
    }
    ctx->verify = !cfg->insecure_skip_verify;
    SSL_CTX_set_verify(ctx->ssl, ctx->verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, NULL);
    if (cfg->server_name && !(ctx->server_name = strdup(cfg->server_name))) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    /* Note: the OpenSSL call returns 0 on success. */
    if (ctx->alpn_len && SSL_CTX_set_alpn_protos(ctx->ssl, ctx->alpn, (unsigned)ctx->alpn_len)) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    return ctx;
fail:
    df_tls_ctx_free(ctx);
    return NULL;
}

void df_tls_ctx_free(struct df_tls_ctx *ctx)
{
    if (!ctx)
        return;
    SSL_CTX_free(ctx->ssl);
    BIO_meth_free(ctx->bio_method);
    free(ctx->server_name);
    free(ctx->alpn);
    free(ctx);
}

/* ---- connections ---------------------------------------------------------- */

/* Advances the handshake if it is still running. Returns 0 or
 * DF_TLS_FAILED. */
static int handshake(struct df_tls_conn *c)
{
    if (c->done)
        return 0;
    ERR_clear_error();
    int r = SSL_do_handshake(c->ssl);
    if (r == 1) {
        c->done = true;
        const unsigned char *p = NULL;
        unsigned len = 0;
        SSL_get0_alpn_selected(c->ssl, &p, &len);
        if (p && len < sizeof c->alpn) {
            memcpy(c->alpn, p, len);
            c->alpn[len] = 0;
        }
        return 0;
    }
    int e = SSL_get_error(c->ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        ERR_clear_error();
        return 0;
    }
    conn_fail(c, e);
    return DF_TLS_FAILED;
}

static bool is_ip_literal(const char *s)
{
    unsigned char a[16];
    return inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1;
}

/* Sets SNI and the name the certificate must match on a client connection. */
static bool set_peer_name(struct df_tls_conn *c, const char *name, char *err, size_t errlen)
{
    snprintf(c->name, sizeof c->name, "%s", name);
    bool ip = is_ip_literal(name);
    /* RFC 6066: no IP literals in SNI. */
    if (!ip && SSL_set_tlsext_host_name(c->ssl, name) != 1) {
        snprintf(err, errlen, "server name '%s' cannot be sent as SNI", name);
        return false;
    }
    if (!c->ctx->verify)
        return true;
    if (ip) {
        if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), name) != 1) {
            snprintf(err, errlen, "bad IP address '%s'", name);
            return false;
        }
        return true;
    }
    SSL_set_hostflags(c->ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    if (SSL_set1_host(c->ssl, name) != 1) {
        snprintf(err, errlen, "bad server name '%s'", name);
        return false;
    }
    return true;
}

struct df_tls_conn *df_tls_conn_new(const struct df_tls_ctx *ctx, const char *host, char *err,
                                    size_t errlen)
{
    const char *name = ctx->server ? NULL : ctx->server_name ? ctx->server_name : host;
    if (name && !name[0])
        name = NULL;
    if (!ctx->server && ctx->verify && !name) {
        snprintf(err, errlen, "no server name to verify the certificate against: set server_name");
        return NULL;
    }
    struct df_tls_conn *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    c->ctx = ctx;
    ERR_clear_error();
    c->ssl = SSL_new(ctx->ssl);
    BIO *bio = BIO_new(ctx->bio_method);
    if (!c->ssl || !bio) {
        BIO_free(bio);
        char why[160];
        ossl_reason(why, sizeof why);
        snprintf(err, errlen, "cannot create a TLS connection: %s", why);
        df_tls_conn_free(c);
        return NULL;
    }
    BIO_set_data(bio, c);
    BIO_set_init(bio, 1);
    SSL_set_bio(c->ssl, bio, bio); /* the SSL owns the BIO now */
    if (ctx->server) {
        SSL_set_accept_state(c->ssl);
        return c;
    }
    SSL_set_connect_state(c->ssl);
    if ((name && !set_peer_name(c, name, err, errlen))) {
        df_tls_conn_free(c);
        return NULL;
    }
    if (handshake(c) != 0) { /* queues the ClientHello */
        snprintf(err, errlen, "%s", c->err);
        df_tls_conn_free(c);
        return NULL;
    }
    return c;
}

void df_tls_conn_free(struct df_tls_conn *c)
{
    if (!c)
        return;
    SSL_free(c->ssl);
    free(c->in.data);
    free(c->out.data);
    free(c);
}

ssize_t df_tls_feed(struct df_tls_conn *c, const uint8_t *cipher, size_t len)
{
    if (c->failed)
        return DF_TLS_FAILED;
    size_t room = DF_TLS_MAX_INPUT - buf_pending(&c->in);
    size_t n = len < room ? len : room;
    if (len == 0) {
        c->eof = true;
    } else if (n > 0) {
        if (!buf_reserve(&c->in, n)) {
            c->nomem = true;
            conn_fail(c, SSL_ERROR_SSL);
            return DF_TLS_FAILED;
        }
        memcpy(c->in.data + c->in.len, cipher, n);
        c->in.len += n;
    }
    if (handshake(c) != 0)
        return DF_TLS_FAILED;
    return (ssize_t)n;
}

ssize_t df_tls_read(struct df_tls_conn *c, uint8_t *buf, size_t cap)
{
    if (c->failed)
        return DF_TLS_FAILED;
    if (c->peer_closed)
        return DF_TLS_CLOSED;
    if (handshake(c) != 0)
        return DF_TLS_FAILED;
    if (!c->done || cap == 0)
        return 0;
    ERR_clear_error();
    int r = SSL_read(c->ssl, buf, cap > INT_MAX ? INT_MAX : (int)cap);
    if (r > 0)
        return r;
    int e = SSL_get_error(c->ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        ERR_clear_error();
        return 0;
    }
    if (e == SSL_ERROR_ZERO_RETURN) {
        c->peer_closed = true;
        return DF_TLS_CLOSED;
    }
    conn_fail(c, e);
    return DF_TLS_FAILED;
}

ssize_t df_tls_write(struct df_tls_conn *c, const uint8_t *plain, size_t len)
{
    if (c->failed)
        return DF_TLS_FAILED;
    if (c->closed)
        return DF_TLS_CLOSED;
    if (!c->done)
        return DF_TLS_AGAIN;
    if (len == 0)
        return 0;
    size_t pending = buf_pending(&c->out);
    if (pending >= DF_TLS_MAX_OUTPUT)
        return DF_TLS_AGAIN;
    size_t n = DF_TLS_MAX_OUTPUT - pending;
    if (n > len)
        n = len;
    ERR_clear_error();
    int r = SSL_write(c->ssl, plain, (int)n);
    if (r > 0)
        return r;
    int e = SSL_get_error(c->ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        ERR_clear_error();
        return DF_TLS_AGAIN;
    }
    conn_fail(c, e);
    return DF_TLS_FAILED;
}

void df_tls_pending_output(const struct df_tls_conn *c, const uint8_t **data, size_t *len)
{
    *len = buf_pending(&c->out);
    *data = *len ? c->out.data + c->out.off : NULL;
}

void df_tls_consume_output(struct df_tls_conn *c, size_t n)
{
    buf_consume(&c->out, n);
}

bool df_tls_handshake_done(const struct df_tls_conn *c)
{
    return c->done && !c->failed;
}

const char *df_tls_alpn(const struct df_tls_conn *c)
{
    return c->done && c->alpn[0] ? c->alpn : NULL;
}

int df_tls_close(struct df_tls_conn *c)
{
    if (c->failed)
        return DF_TLS_FAILED;
    if (c->closed)
        return 0;
    c->closed = true;
    if (!c->done)
        return 0;
    ERR_clear_error();
    int r = SSL_shutdown(c->ssl);
    if (r >= 0)
        return 0;
    int e = SSL_get_error(c->ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        ERR_clear_error();
        return 0;
    }
    conn_fail(c, e);
    return DF_TLS_FAILED;
}

const char *df_tls_last_error(const struct df_tls_conn *c)
{
    return c->failed ? c->err : "";
}

/* The peer's certificate when it was verified, else NULL. */
static X509 *verified_peer(const struct df_tls_conn *c)
{
    if (!c->done || c->failed || !c->ctx->verify || SSL_get_verify_result(c->ssl) != X509_V_OK)
        return NULL;
    return SSL_get0_peer_certificate(c->ssl);
}

int df_tls_peer_subject(const struct df_tls_conn *c, char *buf, size_t len)
{
    if (len)
        buf[0] = 0;
    X509 *cert = verified_peer(c);
    if (!cert)
        return DF_ENOENT;
    BIO *mem = BIO_new(BIO_s_mem());
    if (!mem)
        return DF_ENOMEM;
    int rc = DF_ENOMEM;
    if (X509_NAME_print_ex(mem, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) >= 0) {
        char *p = NULL;
        long n = BIO_get_mem_data(mem, &p);
        if (len)
            snprintf(buf, len, "%.*s", (int)(n > INT_MAX ? INT_MAX : n), p ? p : "");
        rc = 0;
    }
    BIO_free(mem);
    ERR_clear_error();
    return rc;
}

/* Calls fn with a copy of an IA5String SAN; skips names holding a NUL.
 * Returns 1 when called, 0 when skipped, DF_ENOMEM. */
static int san_string(const ASN1_STRING *s, enum df_tls_san_type type, df_tls_san_fn fn, void *ud,
                      int *stop)
{
    const unsigned char *p = ASN1_STRING_get0_data(s);
    size_t n = (size_t)ASN1_STRING_length(s);
    if (memchr(p, 0, n))
        return 0;
    char *v = malloc(n + 1);
    if (!v)
        return DF_ENOMEM;
    memcpy(v, p, n);
    v[n] = 0;
    *stop = fn(ud, type, v);
    free(v);
    return 1;
}

int df_tls_peer_sans(const struct df_tls_conn *c, df_tls_san_fn fn, void *ud)
{
    X509 *cert = verified_peer(c);
    if (!cert)
        return DF_ENOENT;
    GENERAL_NAMES *names = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
    int calls = 0, stop = 0;
    for (int i = 0; names && i < sk_GENERAL_NAME_num(names) && !stop; i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);
        int r = 0;
        if (g->type == GEN_DNS) {
            r = san_string(g->d.dNSName, DF_TLS_SAN_DNS, fn, ud, &stop);
        } else if (g->type == GEN_URI) {
            r = san_string(g->d.uniformResourceIdentifier, DF_TLS_SAN_URI, fn, ud, &stop);
        } else if (g->type == GEN_EMAIL) {
            r = san_string(g->d.rfc822Name, DF_TLS_SAN_EMAIL, fn, ud, &stop);
        } else if (g->type == GEN_IPADD) {
            char text[INET6_ADDRSTRLEN];
            int len = ASN1_STRING_length(g->d.iPAddress);
            const unsigned char *p = ASN1_STRING_get0_data(g->d.iPAddress);
            if ((len == 4 || len == 16) &&
                inet_ntop(len == 4 ? AF_INET : AF_INET6, p, text, sizeof text)) {
                stop = fn(ud, DF_TLS_SAN_IP, text);
                r = 1;
            }
        }
        if (r < 0) {
            calls = r;
            break;
        }
        calls += r;
    }
    GENERAL_NAMES_free(names);
    ERR_clear_error();
    return calls;
}
