/* extensions/oidc_auth/jwt.c — JWKS parsing, JWT parsing, signature
 * verification and claim checks (see jwt.h). Keys are built with OpenSSL 3's
 * EVP_PKEY_fromdata and checked with EVP_PKEY_public_check (an EC point must
 * lie on its curve); RSA keys shorter than 2048 bits are refused. ECDSA
 * signatures arrive as JWS's raw r||s and are converted to DER for OpenSSL.
 * JSON is parsed by jansson with duplicate members refused. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include "extensions/oidc_auth/jwt.h"

static const struct {
    const char *name;
    enum oidc_kty kty;
    const char *md;
    const char *crv;
    size_t coord;
} algs[] = {
#define OIDC_ALG_ROW(name, text, kty, md, crv, coord) {text, kty, md, crv, coord},
    OIDC_ALGS(OIDC_ALG_ROW)
#undef OIDC_ALG_ROW
};

const char *oidc_alg_name(enum oidc_alg a)
{
    return (unsigned)a < OIDC_ALG_COUNT ? algs[a].name : "?";
}

static int alg_find(const char *s)
{
    for (int i = 0; i < OIDC_ALG_COUNT; i++) {
        if (!strcmp(algs[i].name, s))
            return i;
    }
    return -1;
}

static void say(char *why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(char *why, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, OIDC_WHY_MAX, fmt, ap);
    va_end(ap);
}

/* ---- base64url ----------------------------------------------------------- */

/* The value of a base64url character (RFC 4648 section 5 only: the
 * standard alphabet's + and / are refused, as JWS requires), or -1. */
static int b64_val(unsigned char c)
{
    static const char url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const char *p = c ? strchr(url, c) : NULL;
    return p ? (int)(p - url) : -1;
}

long oidc_b64url_decode(const char *in, size_t len, unsigned char *out, size_t cap)
{
    if (len % 4 == 1 || len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0) > cap)
        return -1;
    size_t o = 0;
    uint32_t acc = 0;
    unsigned bits = 0;
    for (size_t i = 0; i < len; i++) {
        int v = b64_val((unsigned char)in[i]);
        if (v < 0)
            return -1;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (acc) /* non-canonical: the unused trailing bits must be zero */
        return -1;
    return (long)o;
}

/* ---- JWKS ------------------------------------------------------------------ */

/* Decodes member `name` of `o`, a base64url string, into buf[0..cap);
 * returns its length or -1. */
static long member_b64(json_t *o, const char *name, unsigned char *buf, size_t cap)
{
    json_t *v = json_object_get(o, name);
    if (!json_is_string(v))
        return -1;
    return oidc_b64url_decode(json_string_value(v), json_string_length(v), buf, cap);
}

static EVP_PKEY *from_params(const char *type, OSSL_PARAM_BLD *bld)
{
    EVP_PKEY *pkey = NULL;
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *ctx = params ? EVP_PKEY_CTX_new_from_name(NULL, type, NULL) : NULL;
    if (!ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
        pkey = NULL;
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    if (!pkey)
        return NULL;
    EVP_PKEY_CTX *chk = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    int ok = chk && EVP_PKEY_public_check(chk) == 1;
    EVP_PKEY_CTX_free(chk);
    if (!ok) {
        EVP_PKEY_free(pkey);
        return NULL;
    }
    return pkey;
}

static EVP_PKEY *rsa_key(json_t *o)
{
    unsigned char n[1024 + 1], e[16];
    long nl = member_b64(o, "n", n, sizeof n), el = member_b64(o, "e", e, sizeof e);
    if (nl <= 0 || el <= 0)
        return NULL;
    const unsigned char *np = n;
    while (nl > 0 && !*np)
        np++, nl--;
    if (nl < 256 || nl > 1024) /* 2048 to 8192 bits */
        return NULL;
    BIGNUM *bn = BN_bin2bn(np, (int)nl, NULL), *be = BN_bin2bn(e, (int)el, NULL);
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    EVP_PKEY *pkey = NULL;
    if (bn && be && bld && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) &&
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be))
        pkey = from_params("RSA", bld);
    OSSL_PARAM_BLD_free(bld);
    BN_free(bn);
    BN_free(be);
    return pkey;
}

static EVP_PKEY *ec_key(json_t *o, const char **crv_out)
{
    json_t *crv = json_object_get(o, "crv");
    if (!json_is_string(crv))
        return NULL;
    size_t coord = 0;
    for (int i = 0; i < OIDC_ALG_COUNT; i++) {
        if (algs[i].crv && !strcmp(algs[i].crv, json_string_value(crv))) {
            coord = algs[i].coord;
            *crv_out = algs[i].crv;
        }
    }
    if (!coord)
        return NULL;
    unsigned char pub[1 + 2 * 48];
    pub[0] = 0x04; /* uncompressed point */
    if (member_b64(o, "x", pub + 1, coord) != (long)coord ||
        member_b64(o, "y", pub + 1 + coord, coord) != (long)coord)
        return NULL;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    EVP_PKEY *pkey = NULL;
    if (bld && OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, *crv_out, 0) &&
        OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, 1 + 2 * coord))
        pkey = from_params("EC", bld);
    OSSL_PARAM_BLD_free(bld);
    return pkey;
}

/* Builds key `o` into *k; false when it is not usable. */
static bool jwk_parse(json_t *o, struct oidc_key *k)
{
    if (!json_is_object(o))
        return false;
    json_t *kty = json_object_get(o, "kty"), *use = json_object_get(o, "use");
    json_t *alg = json_object_get(o, "alg"), *kid = json_object_get(o, "kid");
    if (!json_is_string(kty) ||
        (use && !(json_is_string(use) && !strcmp(json_string_value(use), "sig"))))
        return false;
    if (kid && (!json_is_string(kid) || json_string_length(kid) > OIDC_KID_MAX ||
                strlen(json_string_value(kid)) != json_string_length(kid)))
        return false;
    k->alg = -1;
    if (alg && (!json_is_string(alg) || (k->alg = alg_find(json_string_value(alg))) < 0))
        return false;
    const char *t = json_string_value(kty);
    if (!strcmp(t, "RSA")) {
        k->kty = OIDC_KTY_RSA;
        k->crv = NULL;
        k->pkey = rsa_key(o);
    } else if (!strcmp(t, "EC")) {
        k->kty = OIDC_KTY_EC;
        k->pkey = ec_key(o, &k->crv);
    } else {
        return false;
    }
    if (!k->pkey)
        return false;
    if (k->alg >= 0 && (algs[k->alg].kty != k->kty ||
                        (k->kty == OIDC_KTY_EC && strcmp(algs[k->alg].crv, k->crv)))) {
        EVP_PKEY_free(k->pkey);
        return false;
    }
    k->kid = kid ? strdup(json_string_value(kid)) : NULL;
    if (kid && !k->kid) {
        EVP_PKEY_free(k->pkey);
        return false;
    }
    return true;
}

void oidc_keyset_free(struct oidc_keyset *ks)
{
    if (!ks)
        return;
    for (size_t i = 0; i < ks->n; i++) {
        free(ks->keys[i].kid);
        EVP_PKEY_free(ks->keys[i].pkey);
    }
    free(ks);
}

struct oidc_keyset *oidc_jwks_parse(const char *doc, size_t len, size_t *skipped, char *why)
{
    if (skipped)
        *skipped = 0;
    if (len > OIDC_DOC_MAX) {
        say(why, "the JWKS is larger than %d bytes", OIDC_DOC_MAX);
        return NULL;
    }
    json_error_t jerr;
    json_t *root = json_loadb(doc, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        say(why, "the JWKS is not JSON: %s (line %d)", jerr.text, jerr.line);
        return NULL;
    }
    json_t *keys = json_object_get(root, "keys");
    struct oidc_keyset *ks = NULL;
    if (!json_is_object(root) || !json_is_array(keys)) {
        say(why, "the JWKS has no `keys` array");
        goto out;
    }
    size_t n = json_array_size(keys);
    if (n > OIDC_KEYS_MAX) {
        say(why, "the JWKS holds %zu keys, more than %d", n, OIDC_KEYS_MAX);
        goto out;
    }
    if (!(ks = calloc(1, sizeof *ks + n * sizeof ks->keys[0]))) {
        say(why, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        struct oidc_key *k = &ks->keys[ks->n];
        if (!jwk_parse(json_array_get(keys, i), k)) {
            if (skipped)
                (*skipped)++;
            continue;
        }
        for (size_t j = 0; j < ks->n && k->kid; j++) {
            if (ks->keys[j].kid && !strcmp(ks->keys[j].kid, k->kid)) {
                say(why, "two keys of the JWKS have the same kid");
                ks->n++;
                oidc_keyset_free(ks);
                ks = NULL;
                goto out;
            }
        }
        ks->n++;
    }
    if (!ks->n) {
        say(why, "the JWKS has no usable signing key (RSA >= 2048 bits, EC P-256/P-384)");
        oidc_keyset_free(ks);
        ks = NULL;
    }
out:
    json_decref(root);
    return ks;
}

/* ---- JWT ------------------------------------------------------------------- */

/* Decodes the base64url JSON object tok[0..len) or returns NULL. */
static json_t *part_json(const char *tok, size_t len, char *why, const char *what)
{
    unsigned char buf[OIDC_TOKEN_MAX];
    long n = oidc_b64url_decode(tok, len, buf, sizeof buf);
    if (n < 0) {
        say(why, "malformed token: the %s is not base64url", what);
        return NULL;
    }
    json_error_t jerr;
    json_t *j = json_loadb((const char *)buf, (size_t)n, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(j)) {
        json_decref(j);
        say(why, "malformed token: the %s is not a JSON object", what);
        return NULL;
    }
    return j;
}

void oidc_jwt_release(struct oidc_jwt *t)
{
    json_decref(t->payload);
    t->payload = NULL;
}

int oidc_jwt_parse(const char *tok, size_t len, struct oidc_jwt *out, char *why)
{
    out->payload = NULL;
    const char *d1 = memchr(tok, '.', len);
    const char *d2 = d1 ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - tok)) : NULL;
    if (!d2 || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - tok))) {
        say(why, "malformed token: not three dot-separated parts");
        return -1;
    }
    json_t *h = part_json(tok, (size_t)(d1 - tok), why, "header");
    if (!h)
        return -1;
    int rc = -1;
    json_t *alg = json_object_get(h, "alg"), *kid = json_object_get(h, "kid");
    const char *a = json_string_value(alg);
    if (!a) {
        say(why, "malformed token: the header has no string alg");
    } else if (!strcmp(a, "none")) {
        say(why, "alg none is refused");
    } else if (!strncmp(a, "HS", 2)) {
        say(why, "HMAC alg %.8s is refused (only asymmetric signatures)", a);
    } else if (alg_find(a) < 0) {
        say(why, "unsupported alg");
    } else if (json_object_get(h, "crit")) {
        say(why, "the header has crit extensions, none of which is supported");
    } else if (kid && (!json_is_string(kid) || json_string_length(kid) > OIDC_KID_MAX ||
                       strlen(json_string_value(kid)) != json_string_length(kid))) {
        say(why, "malformed token: bad kid");
    } else {
        rc = 0;
    }
    if (!rc) {
        out->alg = (enum oidc_alg)alg_find(a);
        out->has_kid = kid != NULL;
        snprintf(out->kid, sizeof out->kid, "%s", kid ? json_string_value(kid) : "");
    }
    json_decref(h);
    if (rc)
        return -1;
    if (!(out->payload = part_json(d1 + 1, (size_t)(d2 - d1 - 1), why, "payload")))
        return -1;
    json_t *iss = json_object_get(out->payload, "iss");
    if (iss && !json_is_string(iss)) {
        say(why, "malformed token: iss is not a string");
        oidc_jwt_release(out);
        return -1;
    }
    out->iss = json_string_value(iss);
    long sl = oidc_b64url_decode(d2 + 1, len - (size_t)(d2 + 1 - tok), out->sig, sizeof out->sig);
    if (sl <= 0) {
        say(why, "malformed token: bad signature encoding");
        oidc_jwt_release(out);
        return -1;
    }
    out->sig_len = (size_t)sl;
    out->signed_len = (size_t)(d2 - tok);
    return 0;
}

static bool key_fits(const struct oidc_key *k, enum oidc_alg a)
{
    return k->kty == algs[a].kty && (k->alg < 0 || k->alg == (int)a) &&
           (k->kty != OIDC_KTY_EC || !strcmp(k->crv, algs[a].crv));
}

/* The DER form of the raw ECDSA signature r||s, into der[0..*len). */
static bool ecdsa_der(const unsigned char *sig, size_t coord, unsigned char *der, size_t *len)
{
    ECDSA_SIG *es = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(sig, (int)coord, NULL), *s = BN_bin2bn(sig + coord, (int)coord, NULL);
    if (!es || !r || !s || !ECDSA_SIG_set0(es, r, s)) {
        BN_free(r);
        BN_free(s);
        ECDSA_SIG_free(es);
        return false;
    }
    int n = i2d_ECDSA_SIG(es, NULL);
    bool ok = n > 0 && (size_t)n <= *len;
    if (ok) {
        unsigned char *p = der;
        *len = (size_t)i2d_ECDSA_SIG(es, &p);
    }
    ECDSA_SIG_free(es);
    return ok;
}

int oidc_jwt_verify(const struct oidc_jwt *t, const char *tok, const struct oidc_keyset *ks,
                    EVP_MD_CTX *mc, char *why)
{
    const struct oidc_key *k = NULL;
    if (t->has_kid) {
        for (size_t i = 0; i < ks->n && !k; i++) {
            if (ks->keys[i].kid && !strcmp(ks->keys[i].kid, t->kid))
                k = &ks->keys[i];
        }
        if (!k) {
            say(why, "unknown kid");
            return OIDC_UNKNOWN_KID;
        }
        if (!key_fits(k, t->alg)) {
            say(why, "the key named by kid does not fit alg %s", algs[t->alg].name);
            return OIDC_BAD;
        }
    } else {
        for (size_t i = 0; i < ks->n; i++) {
            if (!key_fits(&ks->keys[i], t->alg))
                continue;
            if (k) {
                say(why, "no kid, and several keys fit alg %s", algs[t->alg].name);
                return OIDC_BAD;
            }
            k = &ks->keys[i];
        }
        if (!k) {
            say(why, "no kid, and no key fits alg %s", algs[t->alg].name);
            return OIDC_UNKNOWN_KID;
        }
    }
    const unsigned char *sig = t->sig;
    size_t sig_len = t->sig_len;
    unsigned char der[2 * 48 + 16];
    if (algs[t->alg].kty == OIDC_KTY_EC) {
        size_t dlen = sizeof der;
        if (sig_len != 2 * algs[t->alg].coord || !ecdsa_der(sig, algs[t->alg].coord, der, &dlen)) {
            say(why, "bad signature (ECDSA length)");
            return OIDC_BAD;
        }
        sig = der;
        sig_len = dlen;
    } else if (sig_len != (size_t)EVP_PKEY_get_size(k->pkey)) {
        say(why, "bad signature (RSA length)");
        return OIDC_BAD;
    }
    /* Reset first: OpenSSL would otherwise reinitialise the context with the
     * key of its previous verification. */
    EVP_MD_CTX_reset(mc);
    EVP_PKEY_CTX *pc = NULL;
    int ok = EVP_DigestVerifyInit_ex(mc, &pc, algs[t->alg].md, NULL, NULL, k->pkey, NULL) == 1;
    if (ok && t->alg >= OIDC_PS256 && t->alg <= OIDC_PS512)
        ok = EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING) == 1 &&
             EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, RSA_PSS_SALTLEN_DIGEST) == 1 &&
             EVP_PKEY_CTX_set_rsa_mgf1_md_name(pc, algs[t->alg].md, NULL) == 1;
    else if (ok && algs[t->alg].kty == OIDC_KTY_RSA)
        ok = EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) == 1;
    ok = ok && EVP_DigestVerify(mc, sig, sig_len, (const unsigned char *)tok, t->signed_len) == 1;
    EVP_MD_CTX_reset(mc); /* back to a plain context (EVP_DigestInit on it would verify again) */
    if (!ok) {
        say(why, "bad signature");
        return OIDC_BAD;
    }
    return OIDC_OK;
}

/* Member `name` as whole seconds: 0 absent, 1 read, -1 not a sane number. */
static int numeric_date(json_t *p, const char *name, int64_t *out)
{
    json_t *v = json_object_get(p, name);
    if (!v)
        return 0;
    if (!json_is_number(v))
        return -1;
    double d = json_number_value(v);
    if (!isfinite(d) || d < -1e15 || d > 1e15)
        return -1;
    *out = (int64_t)floor(d);
    return 1;
}

static bool aud_holds(json_t *aud, const char *audience)
{
    if (json_is_string(aud))
        return !strcmp(json_string_value(aud), audience);
    if (!json_is_array(aud))
        return false;
    size_t i;
    json_t *v;
    json_array_foreach(aud, i, v)
    {
        if (json_is_string(v) && !strcmp(json_string_value(v), audience))
            return true;
    }
    return false;
}

int oidc_jwt_check_claims(const struct oidc_jwt *t, const char *issuer, const char *audience,
                          int64_t now, int64_t skew, int64_t *exp, char *why)
{
    int64_t nbf = 0, iat = 0;
    int e = numeric_date(t->payload, "exp", exp), n = numeric_date(t->payload, "nbf", &nbf),
        i = numeric_date(t->payload, "iat", &iat);
    if (!t->iss || strcmp(t->iss, issuer)) {
        say(why, "wrong issuer");
    } else if (!aud_holds(json_object_get(t->payload, "aud"), audience)) {
        say(why, "wrong audience");
    } else if (e <= 0) {
        say(why, e ? "malformed exp" : "no exp claim");
    } else if (n < 0 || i < 0) {
        say(why, n < 0 ? "malformed nbf" : "malformed iat");
    } else if (*exp <= now - skew) {
        say(why, "expired");
    } else if (n && nbf > now + skew) {
        say(why, "not yet valid (nbf)");
    } else if (i && iat > now + skew) {
        say(why, "issued in the future (iat)");
    } else {
        return 0;
    }
    return -1;
}
