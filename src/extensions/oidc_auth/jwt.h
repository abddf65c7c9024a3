/* extensions/oidc_auth/jwt.h — the JSON Web Token and JSON Web Key Set
 * rules of extension:oidc_auth: parsing a JWKS document into OpenSSL public
 * keys, parsing a JWS compact-serialised JWT, verifying its signature with
 * such a key set, and checking its registered claims. Private to this folder.
 *
 * Everything here is pure (no I/O, no globals written) and thread-safe: a
 * key set is immutable once parsed and may be read by any number of
 * threads; a parsed token belongs to its caller. Inputs come from outside
 * (an issuer's server, a request header) and are bounded and parsed
 * strictly; messages written into `why` never quote a token. */
#ifndef DF_EXTENSIONS_OIDC_AUTH_JWT_H
#define DF_EXTENSIONS_OIDC_AUTH_JWT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <openssl/evp.h>

/* The longest token accepted (its compact serialisation); the caller of
 * oidc_jwt_parse refuses longer ones (oidc_auth.c, before hashing them). */
#define OIDC_TOKEN_MAX (16 * 1024)
/* The largest JWKS or discovery document fetched. */
#define OIDC_DOC_MAX (256 * 1024)
/* The most keys a JWKS may hold (usable or not). */
#define OIDC_KEYS_MAX 64
/* The longest `kid` kept. */
#define OIDC_KID_MAX 256
/* Room for a reason. */
#define OIDC_WHY_MAX 128

/* Supported signature algorithms: JOSE name, key type, digest, EC curve
 * (ES only: its NID name) and the size of one ECDSA coordinate. */
#define OIDC_ALGS(X)                                                                               \
    X(OIDC_RS256, "RS256", OIDC_KTY_RSA, "SHA256", NULL, 0)                                        \
    X(OIDC_RS384, "RS384", OIDC_KTY_RSA, "SHA384", NULL, 0)                                        \
    X(OIDC_RS512, "RS512", OIDC_KTY_RSA, "SHA512", NULL, 0)                                        \
    X(OIDC_PS256, "PS256", OIDC_KTY_RSA, "SHA256", NULL, 0)                                        \
    X(OIDC_PS384, "PS384", OIDC_KTY_RSA, "SHA384", NULL, 0)                                        \
    X(OIDC_PS512, "PS512", OIDC_KTY_RSA, "SHA512", NULL, 0)                                        \
    X(OIDC_ES256, "ES256", OIDC_KTY_EC, "SHA256", "P-256", 32)                                     \
    X(OIDC_ES384, "ES384", OIDC_KTY_EC, "SHA384", "P-384", 48)

enum oidc_alg {
#define OIDC_ALG_ENUM(name, text, kty, md, crv, coord) name,
    OIDC_ALGS(OIDC_ALG_ENUM)
#undef OIDC_ALG_ENUM
        OIDC_ALG_COUNT
};

enum oidc_kty { OIDC_KTY_RSA, OIDC_KTY_EC };

const char *oidc_alg_name(enum oidc_alg a);

/* One usable verification key. */
struct oidc_key {
    char *kid; /* NULL when the JWK has none */
    enum oidc_kty kty;
    const char *crv; /* EC: "P-256" or "P-384" (static) */
    int alg;         /* the JWK's `alg` (enum oidc_alg), or -1 when absent */
    EVP_PKEY *pkey;
};

/* A parsed JWKS; immutable. `gen` tells versions apart (set by the owner). */
struct oidc_keyset {
    uint64_t gen;
    size_t n;
    struct oidc_key keys[];
};

/* Parses the JWKS document `doc[0..len)`: a JSON object (duplicate members
 * refused) whose `keys` is an array of at most OIDC_KEYS_MAX objects. Keys
 * of another type than RSA or EC (P-256, P-384), with a `use` other than
 * "sig", with an `alg` the engine does not verify with, or with missing or
 * malformed members are skipped (*skipped counts them; may be NULL); a
 * document whose usable keys are none is refused, as is one where two
 * usable keys share a `kid`. Returns the set (free with oidc_keyset_free),
 * or NULL with the reason in why[OIDC_WHY_MAX]. */
struct oidc_keyset *oidc_jwks_parse(const char *doc, size_t len, size_t *skipped, char *why);
void oidc_keyset_free(struct oidc_keyset *ks);

/* A parsed, not yet verified token. */
struct oidc_jwt {
    enum oidc_alg alg;
    char kid[OIDC_KID_MAX + 1]; /* "" when the header has none */
    bool has_kid;
    json_t *payload;         /* the claims (owned) */
    const char *iss;         /* the payload's `iss` (a string), or NULL */
    size_t signed_len;       /* the signing input: the token's first signed_len bytes */
    unsigned char sig[1024]; /* the decoded signature */
    size_t sig_len;
};

/* Parses `tok[0..len)` (len at most OIDC_TOKEN_MAX, which the caller
 * checks; a longer input is still read within bounds): three base64url
 * parts without padding, a header that is a JSON object with a supported
 * `alg` (`none` and HS* are refused: only asymmetric signatures are
 * verified), an optional string `kid`, no `crit`; a payload that is a JSON
 * object. Returns 0 (release with oidc_jwt_release), or -1 with the reason
 * in why[OIDC_WHY_MAX]. */
int oidc_jwt_parse(const char *tok, size_t len, struct oidc_jwt *out, char *why);
void oidc_jwt_release(struct oidc_jwt *t);

/* Verification outcomes. */
enum { OIDC_OK = 0, OIDC_BAD = -1, OIDC_UNKNOWN_KID = -2 };

/* Verifies `t`'s signature over tok[0..t->signed_len) with the key of `ks`
 * named by its `kid` (without a kid: the only key that fits the alg). The
 * key's type, curve and `alg` must match the token's alg. Returns OIDC_OK,
 * OIDC_UNKNOWN_KID (no such key: a refresh may bring it) or OIDC_BAD, with
 * the reason in why. `mc` is the caller's scratch context (one per thread),
 * reset before and after use, so it may serve plain digests in between. */
int oidc_jwt_verify(const struct oidc_jwt *t, const char *tok, const struct oidc_keyset *ks,
                    EVP_MD_CTX *mc, char *why);

/* Checks the registered claims at time `now` (seconds since the epoch)
 * allowing `skew` seconds either way: `iss` equals `issuer`; `aud` (a
 * string or an array of strings) holds `audience`; `exp` (required) is
 * later than now - skew; `nbf` and `iat`, when present, are no later than
 * now + skew. Numbers must be finite and in range. Returns 0, or -1 with
 * the reason in why. *exp receives `exp` (rounded down). */
int oidc_jwt_check_claims(const struct oidc_jwt *t, const char *issuer, const char *audience,
                          int64_t now, int64_t skew, int64_t *exp, char *why);

/* Decodes unpadded base64url `in[0..len)` into out[0..cap); strict: other
 * characters, padding, a length of 4k+1 and non-zero trailing bits are
 * refused. Returns the decoded length or -1. */
long oidc_b64url_decode(const char *in, size_t len, unsigned char *out, size_t cap);

#endif
