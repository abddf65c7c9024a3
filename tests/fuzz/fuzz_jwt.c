/* libFuzzer target: extension:oidc_auth's token rules (jwt.h) on
 * arbitrary input taken as a compact JWT: parsing, signature verification
 * against a fixed key set (an RSA key, a P-256 key restricted to ES256 and a
 * P-384 key; the seeds in corpus/jwt are tokens signed by their private
 * halves, made by tests/e2e/jwt_tool.py), and the claim checks at a fixed
 * clock. Beyond crashes and sanitizer reports it checks that a token that
 * passes has a supported asymmetric alg, a signing input that is a prefix
 * of the input, and an issuer and audience equal to the expected ones. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "extensions/oidc_auth/jwt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW 1700000000

static const char jwks[] =
    "{\"keys\": [{\"kty\": \"RSA\", \"kid\": \"fz-rsa\", \"use\": \"sig\", \"n\": \"rBYDn"
    "YdL4As_U6ElZHx_6voNE04ID52-moqOPl7XsJ97O_jHCz-qDd0tJSk7SO2MImx-L3JfSVgkBlV5o3ifvNlD-"
    "svQlsCPS5V9YCCyzEaAv5Yh3x0UXVuU8eucCX9mKkXnYurszsjbLqZEv0y7J5tPWBv3srkbqvoAEtGAZCR_T"
    "4K9xkzhel5_MabONzWfWCxtDOolF4JsR-WWQpFxecQNhNBKtyhKwlMDNqSbqT3EkSRQR3yk8t-eg3esLzYX7"
    "zatbbzWuM171ntvirpsbJCQl0XmZllPop_kVWEODM3rF0H6iBzRdnDHSDUvTHDZbOfzSLSRJdwo7kYXnYeat"
    "w\", \"e\": \"AQAB\"}, {\"kty\": \"EC\", \"kid\": \"fz-p256\", \"crv\": \"P-256\", \""
    "x\": \"e7z-LNAyATdYFzPZ6j7wYsoQKPkNx5RtArAW2WmWdrE\", \"y\": \"0NolE9icdvPM8yESlJzBQ"
    "W_nJ6cBs--hxiB-3DweYoU\", \"alg\": \"ES256\"}, {\"kty\": \"EC\", \"kid\": \"fz-p384\""
    ", \"crv\": \"P-384\", \"x\": \"4sGpuX5VKpSVDZNqzfcrURjbXtpRspT7cB7tK4P__XKv_l6Dmxpd5"
    "1Z4ouNj0xA5\", \"y\": \"fusPkF1syxbZ6vcUNtJ9wPDJO4havg2v8MwTJJmToEeRqEP8S7FQtvevWXDr"
    "C5m5\"}]}";

static struct oidc_keyset *ks;
static EVP_MD_CTX *mc; /* one for every input, as a view has */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char why[OIDC_WHY_MAX];
    if (!ks && !(ks = oidc_jwks_parse(jwks, strlen(jwks), NULL, why)))
        abort();
    if (!mc && !(mc = EVP_MD_CTX_new()))
        abort();
    struct oidc_jwt t;
    if (oidc_jwt_parse((const char *)data, size, &t, why) < 0)
        return 0;
    if ((unsigned)t.alg >= OIDC_ALG_COUNT || t.signed_len >= size || data[t.signed_len] != '.')
        abort();
    int64_t exp = 0;
    if (oidc_jwt_verify(&t, (const char *)data, ks, mc, why) == OIDC_OK &&
        oidc_jwt_check_claims(&t, "https://issuer.example", "otel", NOW, 60, &exp, why) == 0) {
        if (!t.iss || strcmp(t.iss, "https://issuer.example") || exp <= NOW - 60)
            abort();
    }
    oidc_jwt_release(&t);
    return 0;
}
