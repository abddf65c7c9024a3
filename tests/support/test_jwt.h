/* JWTs for tests and benchmarks of token verifiers: base64url, public JWKs
 * and JWKS documents of OpenSSL keys, and tokens signed here (RS*, PS*,
 * ES* with the raw r||s signature, and HS256 keyed with the PEM of the
 * public key: the classic algorithm confusion). Every text returned is
 * malloc'd; an OpenSSL failure aborts (a broken test setup). */
#ifndef DF_TEST_JWT_H
#define DF_TEST_JWT_H

#include <stddef.h>

#include <openssl/evp.h>

/* base64url without padding of `n` bytes into `out` (4 * n / 3 + 4 bytes). */
void test_b64url(const unsigned char *d, size_t n, char *out);
void test_b64url_str(const char *s, char *out);

/* The public JWK of `k` (RSA, EC P-256 or P-384) as a JSON object text;
 * `alg`, `use` optional. */
char *test_jwk(EVP_PKEY *k, const char *kid, const char *alg, const char *use);

/* A JWKS of up to three JWKs (NULL ends), which it frees. */
char *test_jwks(char *k1, char *k2, char *k3);

/* header.payload (JSON texts) signed with `k` for `alg`. */
char *test_jwt_sign(const char *alg, EVP_PKEY *k, const char *header, const char *payload);

/* A token of `payload` signed with `k` for `alg`, its header naming the
 * algorithm, "typ":"JWT" and `kid` (when not NULL). */
char *test_jwt_token(const char *alg, EVP_PKEY *k, const char *kid, const char *payload);

#endif
