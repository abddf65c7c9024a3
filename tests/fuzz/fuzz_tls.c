/* libFuzzer target: a TLS server connection (net/tls.h) fed arbitrary bytes
 * as a ClientHello and beyond. A key and a self-signed certificate are made
 * once, in LLVMFuzzerInitialize, for two server contexts: a plain one with
 * ALPN and an mTLS one. The first input byte picks the context and where the
 * rest is cut into two feeds; each is fed, read and echoed as the engine
 * would. Any crash, leak, sanitizer report or hang is a bug; so is a broken
 * contract: a failed connection that takes more input or reports anything
 * but DF_TLS_FAILED, input taken beyond the bound, output beyond twice the
 * output bound, data read before the handshake, an ALPN we did not offer. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "df/error.h"
#include "net/tls.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct df_tls_ctx *plain_ctx, *mtls_ctx;

static void die(const char *what)
{
    fprintf(stderr, "fuzz_tls: %s\n", what);
    abort();
}

/* Writes a P-256 key and a self-signed certificate for localhost as PEM. */
static void make_identity(const char *cert_path, const char *key_path)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *cert = X509_new();
    if (!key || !cert)
        die("cannot make a key");
    X509_set_version(cert, X509_VERSION_3);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -86400);
    X509_gmtime_adj(X509_getm_notAfter(cert), 86400L * 365);
    X509_set_pubkey(cert, key);
    X509_NAME *name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"localhost", -1, -1,
                               0);
    X509_set_issuer_name(cert, name);
    X509V3_CTX v3;
    X509V3_set_ctx(&v3, cert, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, "DNS:localhost");
    if (!ext || !X509_add_ext(cert, ext, -1) || !X509_sign(cert, key, EVP_sha256()))
        die("cannot make a certificate");
    X509_EXTENSION_free(ext);
    FILE *c = fopen(cert_path, "w"), *k = fopen(key_path, "w");
    if (!c || !k || !PEM_write_X509(c, cert) ||
        !PEM_write_PrivateKey(k, key, NULL, NULL, 0, NULL, NULL))
        die("cannot write PEM");
    fclose(c);
    fclose(k);
    X509_free(cert);
    EVP_PKEY_free(key);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    char dir[] = "/tmp/df_fuzz_tls.XXXXXX";
    if (!mkdtemp(dir))
        die("mkdtemp");
    char cert[64], key[64], err[256];
    snprintf(cert, sizeof cert, "%s/cert.pem", dir);
    snprintf(key, sizeof key, "%s/key.pem", dir);
    make_identity(cert, key);
    const char *alpn[] = {"h2", "http/1.1"};
    struct df_tls_server_config cfg = {
        .cert_file = cert, .key_file = key, .alpn = {.count = 2, .items = alpn}};
    plain_ctx = df_tls_server_ctx_new(&cfg, err, sizeof err);
    cfg.client_ca_file = cert;
    cfg.alpn.count = 0;
    mtls_ctx = df_tls_server_ctx_new(&cfg, err, sizeof err);
    if (!plain_ctx || !mtls_ctx)
        die(err);
    unlink(cert);
    unlink(key);
    rmdir(dir);
    return 0;
}

/* Sends (drops) all pending output, checking its size. */
static void drain(struct df_tls_conn *c)
{
    const uint8_t *out;
    size_t len;
    df_tls_pending_output(c, &out, &len);
    if (len > 2 * DF_TLS_MAX_OUTPUT)
        abort();
    volatile uint8_t sink = 0;
    for (size_t i = 0; i < len; i += 512)
        sink ^= out[i];
    (void)sink;
    df_tls_consume_output(c, len);
}

/* After a failure every call says so, and nothing more is taken. */
static void check_failed(struct df_tls_conn *c)
{
    uint8_t b[1] = {0};
    if (df_tls_last_error(c)[0] == 0 || df_tls_handshake_done(c) ||
        df_tls_feed(c, b, 1) != DF_TLS_FAILED || df_tls_read(c, b, 1) != DF_TLS_FAILED ||
        df_tls_write(c, b, 1) != DF_TLS_FAILED || df_tls_close(c) != DF_TLS_FAILED)
        abort();
}

/* Feeds `len` bytes like the engine would: feed, send the output, read
 * until nothing is left and echo it, repeat for what the feed did not take.
 * Returns false once the connection failed or closed. */
static bool feed(struct df_tls_conn *c, const uint8_t *in, size_t len)
{
    static uint8_t buf[32768];
    while (len > 0) {
        ssize_t took = df_tls_feed(c, in, len);
        if (took == DF_TLS_FAILED) {
            drain(c);
            check_failed(c);
            return false;
        }
        if (took < 0 || (size_t)took > len || (size_t)took > DF_TLS_MAX_INPUT)
            abort();
        in += took;
        len -= (size_t)took;
        drain(c);
        bool progress = took > 0;
        for (;;) {
            ssize_t r = df_tls_read(c, buf, sizeof buf);
            if (r > 0 && !df_tls_handshake_done(c))
                abort();
            if (r > 0) {
                progress = true;
                df_tls_write(c, buf, (size_t)r);
            }
            drain(c);
            if (r == DF_TLS_FAILED) {
                check_failed(c);
                return false;
            }
            if (r == DF_TLS_CLOSED)
                return false;
            if (r < 0)
                abort();
            if (r == 0)
                break;
        }
        if (!progress)
            return true; /* stuck: the engine would wait for the peer */
    }
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const struct df_tls_ctx *ctx = data[0] & 1 ? mtls_ctx : plain_ctx;
    size_t rest = size - 1;
    size_t cut = rest * (data[0] >> 1) / 127;
    if (cut > rest)
        cut = rest;
    const uint8_t *in = data + 1;
    char err[256];
    struct df_tls_conn *c = df_tls_conn_new(ctx, NULL, err, sizeof err);
    if (!c)
        die(err);
    if (feed(c, in, cut) && feed(c, in + cut, rest - cut)) {
        const char *alpn = df_tls_alpn(c);
        if (alpn && strcmp(alpn, "h2") != 0 && strcmp(alpn, "http/1.1") != 0)
            abort();
        char subject[128];
        df_tls_peer_subject(c, subject, sizeof subject);
        df_tls_close(c);
        drain(c);
        df_tls_feed(c, NULL, 0);
        uint8_t buf[64];
        df_tls_read(c, buf, sizeof buf);
    }
    df_tls_conn_free(c);
    return 0;
}
