/* A throwaway PKI for TLS tests (tests/support/test_pki.h), made with the
 * OpenSSL 3 API under a mkdtemp folder. */
#include "tests/support/test_pki.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

static char dir[64];

/* Returns dir/name in one of a few rotating buffers. */
const char *test_pki_path(const char *name)
{
    static char bufs[8][128];
    static unsigned next;
    char *b = bufs[next++ % 8];
    snprintf(b, sizeof bufs[0], "%s/%s", dir, name);
    return b;
}

static int failures;

static void check(int ok)
{
    failures += !ok;
}

static void write_pem(const char *name, X509 *cert, EVP_PKEY *key)
{
    FILE *f = fopen(test_pki_path(name), "w");
    if (!f) {
        failures++;
        return;
    }
    if (cert)
        check(PEM_write_X509(f, cert) == 1);
    if (key)
        check(PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) == 1);
    fclose(f);
}

static void write_text(const char *name, const char *text)
{
    FILE *f = fopen(test_pki_path(name), "w");
    if (!f) {
        failures++;
        return;
    }
    fputs(text, f);
    fclose(f);
}

static void add_ext(X509 *cert, X509V3_CTX *v3, int nid, const char *value)
{
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, v3, nid, value);
    check(ext && X509_add_ext(cert, ext, -1) == 1);
    X509_EXTENSION_free(ext);
}

/* Makes a certificate for `key` named O=df, CN=cn, valid from `from_days` to
 * `to_days` relative to now, signed by issuer (NULL: self-signed). `san` is
 * NULL for a CA, else the leaf's subjectAltName and `eku` its extended key
 * usage. */
static X509 *make_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key,
                       const char *san, const char *eku, long from_days, long to_days)
{
    static long serial = 1;
    X509 *cert = X509_new();
    X509_set_version(cert, X509_VERSION_3);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), serial++);
    X509_gmtime_adj(X509_getm_notBefore(cert), from_days * 86400);
    X509_gmtime_adj(X509_getm_notAfter(cert), to_days * 86400);
    X509_set_pubkey(cert, key);
    X509_NAME *name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"df", -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(cert, issuer ? X509_get_subject_name(issuer) : name);
    X509V3_CTX v3;
    X509V3_set_ctx(&v3, issuer ? issuer : cert, cert, NULL, NULL, 0);
    if (!san) {
        add_ext(cert, &v3, NID_basic_constraints, "critical,CA:TRUE");
        add_ext(cert, &v3, NID_key_usage, "critical,keyCertSign,cRLSign");
    } else {
        add_ext(cert, &v3, NID_basic_constraints, "critical,CA:FALSE");
        add_ext(cert, &v3, NID_key_usage, "critical,digitalSignature");
        add_ext(cert, &v3, NID_ext_key_usage, eku);
        add_ext(cert, &v3, NID_subject_alt_name, san);
    }
    check(X509_sign(cert, issuer_key ? issuer_key : key, EVP_sha256()) > 0);
    return cert;
}

#define SERVER_SAN "DNS:localhost,IP:127.0.0.1"
#define CLIENT_SAN "URI:spiffe://df.test/collector,email:ops@df.test,DNS:client.df.test"

static const char *const files[] = {
    "ca.pem",      "server.pem",  "server.key", "client.pem", "client.key",
    "other.pem",   "stray.pem",   "stray.key",  "self.pem",   "self.key",
    "expired.pem", "expired.key", "junk.pem",   "empty.pem",  "enc.key",
};

int test_pki_setup(void)
{
    failures = 0;
    snprintf(dir, sizeof dir, "/tmp/df_test_tls.XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    EVP_PKEY *ca_key = EVP_EC_gen("P-256"), *other_key = EVP_EC_gen("P-256");
    X509 *ca = make_cert(ca_key, "df test CA", NULL, NULL, NULL, NULL, -1, 30);
    X509 *other = make_cert(other_key, "df other CA", NULL, NULL, NULL, NULL, -1, 30);
    write_pem("ca.pem", ca, NULL);
    write_pem("other.pem", other, NULL);

    struct {
        const char *name, *cn, *san, *eku;
        X509 *issuer;
        EVP_PKEY *issuer_key;
        long from, to;
    } leaves[] = {
        {"server", "localhost", SERVER_SAN, "serverAuth", ca, ca_key, -1, 30},
        {"client", "client", CLIENT_SAN, "clientAuth", ca, ca_key, -1, 30},
        {"stray", "stray client", "DNS:stray.df.test", "clientAuth", other, other_key, -1, 30},
        {"self", "localhost", SERVER_SAN, "serverAuth", NULL, NULL, -1, 30},
        {"expired", "localhost", SERVER_SAN, "serverAuth", ca, ca_key, -30, -1},
    };
    for (size_t i = 0; i < sizeof leaves / sizeof leaves[0]; i++) {
        EVP_PKEY *key = EVP_EC_gen("P-256");
        X509 *cert = make_cert(key, leaves[i].cn, leaves[i].issuer, leaves[i].issuer_key,
                               leaves[i].san, leaves[i].eku, leaves[i].from, leaves[i].to);
        char name[64];
        snprintf(name, sizeof name, "%s.pem", leaves[i].name);
        write_pem(name, cert, NULL);
        snprintf(name, sizeof name, "%s.key", leaves[i].name);
        write_pem(name, NULL, key);
        X509_free(cert);
        EVP_PKEY_free(key);
    }
    write_text("junk.pem", "this is not PEM\n");
    FILE *f = fopen(test_pki_path("enc.key"), "w");
    if (f) {
        check(PEM_write_PrivateKey(f, ca_key, EVP_aes_256_cbc(), (const unsigned char *)"secret", 6,
                                   NULL, NULL) == 1);
        fclose(f);
    } else {
        failures++;
    }
    write_text("empty.pem", "");
    X509_free(ca);
    X509_free(other);
    EVP_PKEY_free(ca_key);
    EVP_PKEY_free(other_key);
    return failures ? -1 : 0;
}

int test_pki_teardown(void)
{
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        unlink(test_pki_path(files[i]));
    return rmdir(dir);
}
