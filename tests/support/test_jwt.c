/* JWTs for tests and benchmarks (test_jwt.h). */
#include "tests/support/test_jwt.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

/* An OpenSSL call that cannot fail in a sound setup. */
static void need_at(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "test_jwt: %s failed\n", what);
        abort();
    }
}
#define need(x) need_at((x) != 0, #x)

void test_b64url(const unsigned char *d, size_t n, char *out)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)d[i] << 16 | (i + 1 < n ? (uint32_t)d[i + 1] << 8 : 0) |
                     (i + 2 < n ? d[i + 2] : 0);
        out[o++] = tab[v >> 18 & 63];
        out[o++] = tab[v >> 12 & 63];
        if (i + 1 < n)
            out[o++] = tab[v >> 6 & 63];
        if (i + 2 < n)
            out[o++] = tab[v & 63];
    }
    out[o] = 0;
}

void test_b64url_str(const char *s, char *out)
{
    test_b64url((const unsigned char *)s, strlen(s), out);
}

/* The public JWK of `k` as a JSON object text (malloc'd); `alg`, `use`
 * optional. */
char *test_jwk(EVP_PKEY *k, const char *kid, const char *alg, const char *use)
{
    char a[96] = "", u[64] = "", body[1600];
    if (alg)
        snprintf(a, sizeof a, ",\"alg\":\"%s\"", alg);
    if (use)
        snprintf(u, sizeof u, ",\"use\":\"%s\"", use);
    if (EVP_PKEY_is_a(k, "RSA")) {
        BIGNUM *n = NULL, *e = NULL;
        need(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_N, &n) == 1);
        need(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_E, &e) == 1);
        unsigned char nb[1024], eb[16];
        int nl = BN_bn2bin(n, nb), el = BN_bn2bin(e, eb);
        char ns[1400], es[32];
        test_b64url(nb, (size_t)nl, ns);
        test_b64url(eb, (size_t)el, es);
        snprintf(body, sizeof body, "\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"%s\"", ns, es);
        BN_free(n);
        BN_free(e);
    } else {
        unsigned char pub[200];
        size_t len = 0;
        need(EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof pub, &len) ==
             1);
        size_t c = (len - 1) / 2;
        char xs[80], ys[80];
        test_b64url(pub + 1, c, xs);
        test_b64url(pub + 1 + c, c, ys);
        snprintf(body, sizeof body, "\"kty\":\"EC\",\"crv\":\"%s\",\"x\":\"%s\",\"y\":\"%s\"",
                 c == 32 ? "P-256" : "P-384", xs, ys);
    }
    char *out = malloc(2048);
    snprintf(out, 2048, "{\"kid\":\"%s\"%s%s,%s}", kid, a, u, body);
    return out;
}

/* A JWKS of up to three keys (NULL ends), malloc'd. */
char *test_jwks(char *k1, char *k2, char *k3)
{
    char *out = malloc(8192);
    snprintf(out, 8192, "{\"keys\":[%s%s%s%s%s]}", k1 ? k1 : "", k2 ? "," : "", k2 ? k2 : "",
             k3 ? "," : "", k3 ? k3 : "");
    free(k1);
    free(k2);
    free(k3);
    return out;
}

static const char *md_of(const char *alg)
{
    return !strcmp(alg + 2, "256") ? "SHA256" : !strcmp(alg + 2, "384") ? "SHA384" : "SHA512";
}

/* Signs header.payload (JSON texts) with `k` for `alg`; malloc'd token. */
char *test_jwt_sign(const char *alg, EVP_PKEY *k, const char *header, const char *payload)
{
    char *tok = malloc(8192);
    test_b64url_str(header, tok);
    size_t n = strlen(tok);
    tok[n++] = '.';
    test_b64url_str(payload, tok + n);
    size_t signed_len = strlen(tok);
    unsigned char sig[1024];
    size_t sl = sizeof sig;
    if (!strncmp(alg, "HS", 2)) {
        /* HMAC keyed with the PEM of the public key: the classic confusion. */
        BIO *b = BIO_new(BIO_s_mem());
        PEM_write_bio_PUBKEY(b, k);
        char *pem;
        long pl = BIO_get_mem_data(b, &pem);
        need(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, pem, (size_t)pl, (unsigned char *)tok,
                       signed_len, sig, sizeof sig, &sl));
        BIO_free(b);
    } else {
        EVP_MD_CTX *mc = EVP_MD_CTX_new();
        EVP_PKEY_CTX *pc = NULL;
        need(EVP_DigestSignInit_ex(mc, &pc, md_of(alg), NULL, NULL, k, NULL) == 1);
        if (alg[0] == 'P') {
            need(EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING) == 1);
            need(EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, RSA_PSS_SALTLEN_DIGEST) == 1);
        }
        need(EVP_DigestSign(mc, sig, &sl, (const unsigned char *)tok, signed_len) == 1);
        EVP_MD_CTX_free(mc);
        if (alg[0] == 'E') {
            const unsigned char *p = sig;
            ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)sl);
            need(es);
            size_t c = alg[3] == '5' ? 32 : 48;
            BN_bn2binpad(ECDSA_SIG_get0_r(es), sig, (int)c);
            BN_bn2binpad(ECDSA_SIG_get0_s(es), sig + c, (int)c);
            sl = 2 * c;
            ECDSA_SIG_free(es);
        }
    }
    tok[signed_len] = '.';
    test_b64url(sig, sl, tok + signed_len + 1);
    return tok;
}

char *test_jwt_token(const char *alg, EVP_PKEY *k, const char *kid, const char *payload)
{
    char h[128];
    if (kid)
        snprintf(h, sizeof h, "{\"alg\":\"%s\",\"typ\":\"JWT\",\"kid\":\"%s\"}", alg, kid);
    else
        snprintf(h, sizeof h, "{\"alg\":\"%s\",\"typ\":\"JWT\"}", alg);
    return test_jwt_sign(alg, k, h, payload);
}
