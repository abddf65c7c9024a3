/* libFuzzer target: extension:oidc_auth's JWKS parser (jwt.h) on arbitrary
 * documents, as an issuer's server could send. Beyond crashes, leaks and
 * sanitizer reports it checks the set's invariants: between 1 and
 * OIDC_KEYS_MAX usable keys, each with an OpenSSL key of the type it
 * claims, an alg (when set) of that type (and, for EC, of its curve), and
 * distinct kids. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "extensions/oidc_auth/jwt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Each supported alg's key type and EC curve, from jwt.h's list. */
static const struct {
    enum oidc_kty kty;
    const char *crv;
} algs[] = {
#define ALG_ROW(name, text, kty, md, crv, coord) [name] = {kty, crv},
    OIDC_ALGS(ALG_ROW)
#undef ALG_ROW
};

/* Whether k's alg, when set, is one of the list and fits its type (and
 * its curve for EC). */
static int alg_fits(const struct oidc_key *k)
{
    if (k->alg == -1)
        return 1;
    if (k->alg < 0 || k->alg >= OIDC_ALG_COUNT || algs[k->alg].kty != k->kty)
        return 0;
    return k->kty != OIDC_KTY_EC || (k->crv && !strcmp(k->crv, algs[k->alg].crv));
}

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
        if (!alg_fits(k))
            abort();
        for (size_t j = 0; j < i; j++) {
            if (k->kid && ks->keys[j].kid && !strcmp(k->kid, ks->keys[j].kid))
                abort();
        }
    }
    oidc_keyset_free(ks);
    return 0;
}
