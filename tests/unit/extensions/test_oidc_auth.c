/* extension:oidc_auth: config errors through the config loader; the JWKS
 * parser and the token rules (jwt.h) with keys generated here by OpenSSL
 * and tokens signed here (RS256, PS256, ES256, ES384): signatures, alg
 * confusion (none, HS256 keyed with the public key, a key of the wrong type),
 * claims and clock-skew edges; then the instance, driven through the
 * extension manager as the runtime drives a shared provider, against a
 * real issuer: the engine's HTTP/1.1 server on 127.0.0.1 on a thread of its
 * own, serving discovery and a JWKS and counting requests. Checked there:
 * decisions and identities, the cache, error before the keys load, a flood
 * of unknown kids bounded by the refresh rate limit, key rotation on the
 * issuer, the identity bound, several issuers, and an issuer down or lying
 * at start. Every wait runs the loop until a condition holds, bounded. */
#include <arpa/inet.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#define EXT_WAIT_NS 10000000000ull

#include "df/capabilities/auth_check.h"
#include "extension/manager.h"
#include "extensions/oidc_auth/jwt.h"
#include "extensions/oidc_auth/oidc_auth.h"
#include "net/http1.h"
#include "tests/support/test_http_server.h"
#include "tests/support/test_jwt.h"
#include "tests/support/test_pki.h"
#include "tests/unit/extensions/ext_fixture.h"

#define PIPELINE_FMT                                                                               \
    RT_HEADER RT_GROUP "        extensions:\n"                                                     \
                       "          auth: {type: 'extension:oidc_auth', config: %s}\n"               \
                       "        nodes:\n"                                                          \
                       "          gen: {type: 'urn:test:receiver:gen'}\n"                          \
                       "          sink: {type: 'urn:test:exporter:sink'}\n"                        \
                       "        connections: [{from: gen, to: sink}]\n"

/* ---- keys and tokens --------------------------------------------------------- */

static EVP_PKEY *rsa1, *rsa2, *ec256, *ec384;

static char issuer[64];       /* the test issuer's URL, set once the server listens */
static char issuer_https[64]; /* the same issuer over TLS (the test PKI's server) */

/* A payload with exp/nbf/iat relative to now; "" leaves a claim out. */
static const char *claims(const char *iss, const char *aud, const char *sub, long exp, long nbf,
                          const char *extra)
{
    static char buf[2048];
    long now = (long)time(NULL);
    char e[48] = "", n[48] = "";
    if (exp != LONG_MIN)
        snprintf(e, sizeof e, ",\"exp\":%ld", now + exp);
    if (nbf != LONG_MIN)
        snprintf(n, sizeof n, ",\"nbf\":%ld", now + nbf);
    snprintf(buf, sizeof buf, "{\"iss\":\"%s\",\"aud\":%s,\"sub\":\"%s\"%s%s,\"iat\":%ld%s}", iss,
             aud, sub, e, n, now, extra ? extra : "");
    return buf;
}

/* A standard valid token from `k`. */
static char *good(const char *alg, EVP_PKEY *k, const char *kid, const char *sub)
{
    return test_jwt_token(alg, k, kid, claims(issuer, "\"otel\"", sub, 300, LONG_MIN, NULL));
}

/* ---- the issuer ---------------------------------------------------------------- */

static struct {
    struct test_http_server *plain, *tls;
    pthread_mutex_t lock;
    char *jwks;                    /* served at /jwks (lock) */
    const char *iss_said;          /* the discovery document's issuer; NULL = the right one */
    int discovery_hits, jwks_hits; /* atomic */
} srv;

static int hits(const int *v)
{
    return __atomic_load_n(v, __ATOMIC_ACQUIRE);
}

static void serve_jwks(char *doc)
{
    pthread_mutex_lock(&srv.lock);
    free(srv.jwks);
    srv.jwks = doc;
    pthread_mutex_unlock(&srv.lock);
}

/* `ud` is the issuer URL the server serves (set once it listens, before
 * any request). */
static void handle(void *ud, const struct df_http1_request *req, struct df_http1_response *res)
{
    const char *self = ud;
    if (!strcmp(req->path, "/.well-known/openid-configuration")) {
        __atomic_add_fetch(&srv.discovery_hits, 1, __ATOMIC_RELEASE);
        df_http1_response_text(res, 200, "application/json",
                               "{\"issuer\":\"%s\",\"jwks_uri\":\"%s/jwks\","
                               "\"id_token_signing_alg_values_supported\":[\"RS256\"]}",
                               srv.iss_said ? srv.iss_said : self, self);
    } else if (!strcmp(req->path, "/jwks")) {
        __atomic_add_fetch(&srv.jwks_hits, 1, __ATOMIC_RELEASE);
        pthread_mutex_lock(&srv.lock);
        df_http1_response_text(res, 200, "application/json", "%s", srv.jwks);
        pthread_mutex_unlock(&srv.lock);
    } else {
        df_http1_response_text(res, 404, "text/plain", "no %s here", req->path);
    }
}

static int group_setup(void **state)
{
    signal(SIGPIPE, SIG_IGN);
    setenv("http_proxy", "http://127.0.0.1:1", 1); /* ignored by the engine's client */
    rsa1 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    rsa2 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    ec256 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    ec384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
    if (!rsa1 || !rsa2 || !ec256 || !ec384)
        return -1;
    pthread_mutex_init(&srv.lock, NULL);
    if (test_pki_setup() < 0)
        return -1;
    if (!(srv.plain = test_http_server_start(handle, issuer)) ||
        !(srv.tls = test_http_server_start_tls(handle, issuer_https, test_pki_path("server.pem"),
                                               test_pki_path("server.key"))))
        return -1;
    snprintf(issuer, sizeof issuer, "http://127.0.0.1:%d", test_http_server_port(srv.plain));
    snprintf(issuer_https, sizeof issuer_https, "https://127.0.0.1:%d",
             test_http_server_port(srv.tls));
    return 0;
}

static int group_teardown(void **state)
{
    int rc = test_http_server_stop(srv.plain);
    rc |= test_http_server_stop(srv.tls);
    test_pki_teardown();
    free(srv.jwks);
    EVP_PKEY_free(rsa1);
    EVP_PKEY_free(rsa2);
    EVP_PKEY_free(ec256);
    EVP_PKEY_free(ec384);
    return rc;
}

/* The usual key set: rsa1 "r1", ec256 "e1", ec384 "e3". */
static char *usual_jwks(void)
{
    return test_jwks(test_jwk(rsa1, "r1", NULL, "sig"), test_jwk(ec256, "e1", "ES256", NULL),
                     test_jwk(ec384, "e3", NULL, NULL));
}

/* ---- the config loader ---------------------------------------------------------- */

static const char *yaml(const char *cfg)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, PIPELINE_FMT, cfg);
    return buf;
}

static void expect_rejected(const char *cfg, const char *want, const char *path)
{
    struct df_diags d;
    memset(&d, 0, sizeof d);
    const char *y = yaml(cfg);
    struct df_config *c = df_config_parse("rt.yaml", y, strlen(y), &d);
    assert_null(c);
    bool found = false;
    for (size_t i = 0; i < d.count && !found; i++)
        found = strstr(d.items[i].msg, want) && strstr(d.items[i].path, path);
    if (!found) {
        fprintf(stderr, "expected '%s' at '%s' for %s\n", want, path, cfg);
        df_diags_print(&d, stderr);
    }
    assert_true(found);
}

static void test_config_errors(void **state)
{
    expect_rejected("{}", "issuer_url is required", "auth.config");
    expect_rejected("{issuer_url: 'https://a.example'}", "audience is required", "auth.config");
    expect_rejected("{issuer_url: 'ftp://a.example', audience: x}", "not an http(s) URL",
                    "auth.config.issuer_url");
    expect_rejected("{issuer_url: 'https://a', audience: x, jwks_uri: '/keys'}",
                    "not an http(s) URL", "auth.config.jwks_uri");
    expect_rejected("{issuer_url: 'https://a', audience: x, issuers: [{issuer_url: 'https://b', "
                    "audience: y}]}",
                    "exclude each other", "auth.config.issuers");
    expect_rejected("{issuers: [{issuer_url: 'https://b'}]}", "audience is required",
                    "auth.config.issuers[0]");
    expect_rejected("{issuers: [{issuer_url: 'https://b', audience: y}, {issuer_url: "
                    "'https://b', audience: z}]}",
                    "listed twice", "auth.config.issuers");
    expect_rejected("{issuer_url: 'https://a', audience: x, clock_skew: 1h}", "out of range",
                    "auth.config.clock_skew");
    expect_rejected("{issuer_url: 'https://a', audience: x, jwks_min_refresh_interval: 1ms}",
                    "out of range", "auth.config.jwks_min_refresh_interval");
    expect_rejected("{issuer_url: 'https://a', audience: x, claims: ['']}", "must not be empty",
                    "auth.config.claims");
    expect_rejected("{issuer_url: 'https://a', audience: x, audiense: y}", "unknown key",
                    "auth.config.audiense");
    expect_rejected("{issuer_url: 'https://', audience: x}", "not an http(s) URL",
                    "auth.config.issuer_url");

    /* A URL's scheme is case-insensitive (RFC 3986 §3.1). */
    struct df_diags d;
    memset(&d, 0, sizeof d);
    const char *y = yaml("{issuer_url: 'HTTPS://a.example', audience: x, "
                         "jwks_uri: 'Http://a.example/keys'}");
    struct df_config *c = df_config_parse("rt.yaml", y, strlen(y), &d);
    if (!c)
        df_diags_print(&d, stderr);
    assert_non_null(c);
    df_config_free(c);
}

/* ---- the rules, without the runtime ----------------------------------------------- */

static struct oidc_keyset *parse_ok(const char *doc, size_t want_keys, size_t want_skipped)
{
    char why[OIDC_WHY_MAX] = "";
    size_t skipped = 99;
    struct oidc_keyset *ks = oidc_jwks_parse(doc, strlen(doc), &skipped, why);
    if (!ks)
        fail_msg("JWKS refused: %s", why);
    assert_int_equal(ks->n, want_keys);
    assert_int_equal(skipped, want_skipped);
    return ks;
}

static void parse_bad(const char *doc, const char *want)
{
    char why[OIDC_WHY_MAX] = "";
    struct oidc_keyset *ks = oidc_jwks_parse(doc, strlen(doc), NULL, why);
    if (ks || !strstr(why, want))
        fail_msg("JWKS %.60s: want '%s', got '%s'", doc, want, why);
}

static void test_jwks_parse(void **state)
{
    char *doc = usual_jwks();
    oidc_keyset_free(parse_ok(doc, 3, 0));
    free(doc);
    parse_bad("", "not JSON");
    parse_bad("[1]", "no `keys` array");
    parse_bad("{\"keys\":{}}", "no `keys` array");
    parse_bad("{\"keys\":[]}", "no usable signing key");
    parse_bad("{\"keys\":[],\"keys\":[]}", "not JSON"); /* duplicate member */
    /* Skipped: encryption keys, symmetric keys, unknown algs, bad members,
     * a curve point off the curve, a short RSA modulus, a key/alg mismatch. */
    char *r1 = test_jwk(rsa1, "r1", NULL, NULL);
    char bad[8192];
    snprintf(bad, sizeof bad,
             "{\"keys\":[%s,{\"kty\":\"oct\",\"k\":\"AAAA\"},"
             "{\"kty\":\"RSA\",\"kid\":\"enc\",\"use\":\"enc\",\"n\":\"AQAB\",\"e\":\"AQAB\"},"
             "{\"kty\":\"RSA\",\"kid\":\"short\",\"n\":\"AQAB\",\"e\":\"AQAB\"},"
             "{\"kty\":\"RSA\",\"kid\":\"pad\",\"n\":\"AQAB==\",\"e\":\"AQAB\"},"
             "{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"off\",\"x\":\"%s\",\"y\":\"%s\"},"
             "{\"kty\":\"EC\",\"crv\":\"P-521\",\"kid\":\"p521\",\"x\":\"AA\",\"y\":\"AA\"},"
             "{\"kty\":\"RSA\",\"kid\":\"hs\",\"alg\":\"HS256\",\"n\":\"AQAB\",\"e\":\"AQAB\"},"
             "7]}",
             r1, "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA",
             "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA");
    oidc_keyset_free(parse_ok(bad, 1, 8));
    /* An RSA key declared for ES256 is not usable. */
    char *mis = test_jwk(rsa1, "m", "ES256", NULL);
    snprintf(bad, sizeof bad, "{\"keys\":[%s]}", mis);
    parse_bad(bad, "no usable signing key");
    /* Two keys with one kid. */
    snprintf(bad, sizeof bad, "{\"keys\":[%s,%s]}", r1, r1);
    parse_bad(bad, "same kid");
    free(mis);
    free(r1);
}

/* Parses and verifies `tok` with `ks`; returns the verify outcome, or
 * OIDC_BAD for a parse error; `why` receives the reason. One context serves
 * every verification, as a view's does. */
static int verify(const char *tok, const struct oidc_keyset *ks, char *why)
{
    static EVP_MD_CTX *mc;
    if (!mc)
        assert_non_null(mc = EVP_MD_CTX_new());
    struct oidc_jwt t;
    if (oidc_jwt_parse(tok, strlen(tok), &t, why) < 0)
        return OIDC_BAD;
    int rc = oidc_jwt_verify(&t, tok, ks, mc, why);
    oidc_jwt_release(&t);
    return rc;
}

static const struct oidc_keyset *ks_now; /* test_signatures' key set */

static void expect_verify(const char *tok, const struct oidc_keyset *ks, int want,
                          const char *want_why)
{
    char why[OIDC_WHY_MAX] = "";
    int rc = verify(tok, ks, why);
    if (rc != want || (want_why && !strstr(why, want_why)))
        fail_msg("token: want %d '%s', got %d '%s'", want, want_why ? want_why : "", rc, why);
}

/* Signs `payload` with `k` as `alg` naming `kid`, and expects `want`. */
static void expect_signed(const char *alg, EVP_PKEY *k, const char *kid, const char *payload,
                          int want, const char *want_why)
{
    char *t = test_jwt_token(alg, k, kid, payload);
    expect_verify(t, ks_now, want, want_why);
    free(t);
}

/* A token with header `h` (JSON), payload `enc` (base64url) and a dummy
 * signature, expected refused for `want_why`. */
static void expect_header(const char *h, const char *enc, const char *want_why)
{
    char hb[256], tok[2048];
    test_b64url_str(h, hb);
    snprintf(tok, sizeof tok, "%s.%s.AAAA", hb, enc);
    expect_verify(tok, ks_now, OIDC_BAD, want_why);
}

static void test_signatures(void **state)
{
    char *doc = test_jwks(test_jwk(rsa1, "r1", NULL, "sig"), test_jwk(ec256, "e1", "ES256", NULL),
                          test_jwk(ec384, "e3", NULL, NULL));
    struct oidc_keyset *ks = parse_ok(doc, 3, 0);
    ks_now = ks;
    const char *p = claims(issuer, "\"otel\"", "alice", 300, LONG_MIN, NULL);
    struct {
        const char *alg;
        EVP_PKEY *k;
        const char *kid;
    } ok[] = {{"RS256", rsa1, "r1"},  {"RS384", rsa1, "r1"}, {"RS512", rsa1, "r1"},
              {"PS256", rsa1, "r1"},  {"PS384", rsa1, "r1"}, {"PS512", rsa1, "r1"},
              {"ES256", ec256, "e1"}, {"ES384", ec384, "e3"}};
    for (size_t i = 0; i < DF_COUNTOF(ok); i++) {
        char *t = test_jwt_token(ok[i].alg, ok[i].k, ok[i].kid, p);
        expect_verify(t, ks, OIDC_OK, NULL);
        /* Tampered signature: the last character changed. */
        size_t n = strlen(t);
        t[n - 2] = t[n - 2] == 'A' ? 'B' : 'A';
        expect_verify(t, ks, OIDC_BAD, "bad signature");
        free(t);
    }
    /* Tampered payload: another subject under the same signature. */
    char *t = good("RS256", rsa1, "r1", "alice");
    char other[512], *dot1 = strchr(t, '.'), *dot2 = strchr(dot1 + 1, '.');
    char enc[1024];
    test_b64url_str(claims(issuer, "\"otel\"", "mallory", 300, LONG_MIN, NULL), enc);
    snprintf(other, sizeof other, "%.*s.%s%s", (int)(dot1 - t), t, enc, dot2);
    expect_verify(other, ks, OIDC_BAD, "bad signature");
    free(t);
    /* Signed by another key under a known kid. */
    t = good("RS256", rsa2, "r1", "alice");
    expect_verify(t, ks, OIDC_BAD, "bad signature");
    free(t);
    /* Unknown kid. */
    t = good("RS256", rsa2, "r9", "alice");
    expect_verify(t, ks, OIDC_UNKNOWN_KID, "unknown kid");
    free(t);
    /* alg none, with and without a signature. */
    char none[1024], h[128];
    test_b64url_str("{\"alg\":\"none\",\"kid\":\"r1\"}", h);
    snprintf(none, sizeof none, "%s.%s.", h, enc);
    expect_verify(none, ks, OIDC_BAD, "alg none");
    snprintf(none, sizeof none, "%s.%s.AAAA", h, enc);
    expect_verify(none, ks, OIDC_BAD, "alg none");
    /* HS256 keyed with the public key's PEM, naming the RSA key. */
    expect_signed("HS256", rsa1, "r1", p, OIDC_BAD, "HMAC");
    /* A key of the wrong type for the alg: ES256 naming the RSA key, RS256
     * naming an EC key, ES384 naming the P-256 key (whose JWK says ES256). */
    expect_signed("ES256", ec256, "r1", p, OIDC_BAD, "does not fit");
    expect_signed("RS256", rsa1, "e3", p, OIDC_BAD, "does not fit");
    expect_signed("ES384", ec384, "e1", p, OIDC_BAD, "does not fit");
    /* Without a kid: the only key that fits the alg. */
    expect_signed("ES384", ec384, NULL, p, OIDC_OK, NULL);
    /* Malformed: parts, encodings, JSON. */
    expect_verify("abc", ks, OIDC_BAD, "three");
    expect_verify("a.b.c.d", ks, OIDC_BAD, "three");
    expect_verify("!!!.e30.AAAA", ks, OIDC_BAD, "base64url");
    expect_header("{\"alg\":\"RS256\",\"alg\":\"RS256\"}", enc, "not a JSON object");
    expect_header("{\"alg\":\"RS256\",\"crit\":[\"exp\"]}", enc, "crit");
    expect_header("{\"alg\":\"EdDSA\"}", enc, "unsupported alg");
    expect_header("{\"alg\":\"RS256\",\"kid\":7}", enc, "bad kid");
    expect_header("{\"alg\":\"RS256\"}", "W10", "payload is not a JSON object"); /* [] */
    oidc_keyset_free(ks);
    free(doc);
}

/* Claim checks at a fixed `now` with a skew of 60 s. */
static void expect_claims(const char *payload, int64_t now, const char *want_why)
{
    char why[OIDC_WHY_MAX] = "", enc[2048], tok[2200];
    test_b64url_str(payload, enc);
    snprintf(tok, sizeof tok, "eyJhbGciOiJSUzI1NiJ9.%s.AAAA", enc);
    struct oidc_jwt t;
    assert_int_equal(oidc_jwt_parse(tok, strlen(tok), &t, why), 0);
    int64_t exp = 0;
    int rc = oidc_jwt_check_claims(&t, "https://i", "otel", now, 60, &exp, why);
    oidc_jwt_release(&t);
    if (want_why ? rc == 0 || !strstr(why, want_why) : rc != 0)
        fail_msg("%s at %lld: want '%s', got %d '%s'", payload, (long long)now,
                 want_why ? want_why : "ok", rc, why);
}

static void test_claims(void **state)
{
    const int64_t T = 1700000000;
    const char *p = "{\"iss\":\"https://i\",\"aud\":\"otel\",\"exp\":1700000000}";
    expect_claims(p, T - 1000, NULL);
    /* exp with 60 s of skew: valid up to 59 s after, refused from 60 s. */
    expect_claims(p, T + 59, NULL);
    expect_claims(p, T + 60, "expired");
    expect_claims(p, T + 3600, "expired");
    /* nbf and iat: accepted up to 60 s in the future. */
    p = "{\"iss\":\"https://i\",\"aud\":\"otel\",\"exp\":1800000000,\"nbf\":1700000060}";
    expect_claims(p, T, NULL);
    expect_claims(p, T - 1, "not yet valid");
    p = "{\"iss\":\"https://i\",\"aud\":\"otel\",\"exp\":1800000000,\"iat\":1700000060.5}";
    expect_claims(p, T, NULL);
    expect_claims(p, T - 1, "issued in the future");
    /* aud as an array; wrong audiences. */
    expect_claims("{\"iss\":\"https://i\",\"aud\":[\"x\",\"otel\"],\"exp\":1800000000}", T, NULL);
    expect_claims("{\"iss\":\"https://i\",\"aud\":[\"x\",1],\"exp\":1800000000}", T,
                  "wrong audience");
    expect_claims("{\"iss\":\"https://i\",\"aud\":\"otel2\",\"exp\":1800000000}", T,
                  "wrong audience");
    expect_claims("{\"iss\":\"https://i\",\"exp\":1800000000}", T, "wrong audience");
    /* Issuer; exp required and numeric. */
    expect_claims("{\"iss\":\"https://j\",\"aud\":\"otel\",\"exp\":1800000000}", T, "wrong issuer");
    expect_claims("{\"aud\":\"otel\",\"exp\":1800000000}", T, "wrong issuer");
    expect_claims("{\"iss\":\"https://i\",\"aud\":\"otel\"}", T, "no exp");
    expect_claims("{\"iss\":\"https://i\",\"aud\":\"otel\",\"exp\":\"1800000000\"}", T,
                  "malformed exp");
    expect_claims("{\"iss\":\"https://i\",\"aud\":\"otel\",\"exp\":1e300}", T, "malformed exp");
    expect_claims("{\"iss\":\"https://i\",\"aud\":\"otel\",\"exp\":1800000000,\"nbf\":null}", T,
                  "malformed nbf");
}

/* ---- the instance, against the issuer ------------------------------------------------ */

struct fx {
    struct ext_fx e;
    const struct df_auth_check_ops *auth;
};

#define RUN_UNTIL(f, cond) EXT_RUN_UNTIL(&(f)->e, cond)

static void fx_build(struct fx *f, const char *cfg)
{
    ext_fx_build(&f->e, yaml(cfg), "auth", 1);
    f->auth = df_extension_capability(f->e.x->desc, DF_AUTH_CHECK_NAME)->ops;
}

static void fx_start(struct fx *f, const char *cfg)
{
    fx_build(f, cfg);
    ext_fx_run(&f->e);
}

/* fx_start with a config made by printf. */
static void fx_startf(struct fx *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fx_startf(struct fx *f, const char *fmt, ...)
{
    char cfg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cfg, sizeof cfg, fmt, ap);
    va_end(ap);
    fx_start(f, cfg);
}

static const struct oidc_view_stats *stats(struct fx *f)
{
    return f->e.self;
}

static enum df_auth_decision check_value(struct fx *f, const char *value, struct df_auth_result *r)
{
    return ext_auth_check_value(f->auth, f->e.self, value, r);
}

/* "Bearer <tok>", in a static buffer. */
static const char *bearer(const char *tok)
{
    static char value[OIDC_TOKEN_MAX + 64];
    snprintf(value, sizeof value, "Bearer %s", tok);
    return value;
}

static enum df_auth_decision check_token(struct fx *f, const char *tok, struct df_auth_result *r)
{
    return check_value(f, bearer(tok), r);
}

static const struct df_identity *expect_allow(struct fx *f, const char *tok, const char *subject)
{
    return ext_expect_allow(f->auth, f->e.self, bearer(tok), subject);
}

/* A token of rsa1 ("r1") with these claims: allowed as `subject`, or
 * (subject NULL) denied for `detail`. */
static void expect_claims_decision(struct fx *f, const char *payload, const char *subject,
                                   const char *detail);

static void expect_deny(struct fx *f, const char *tok, const char *detail)
{
    struct df_auth_result r;
    ext_expect_deny(f->auth, f->e.self, bearer(tok), DF_AUTH_INVALID_CREDENTIAL, detail, false, &r);
    assert_string_equal(r.challenge, "Bearer");
    const char *sig = strrchr(tok, '.');
    if (sig && strlen(sig) > 8)
        assert_null(strstr(r.detail, sig + 1)); /* never the token */
}

static void expect_claims_decision(struct fx *f, const char *payload, const char *subject,
                                   const char *detail)
{
    char *t = test_jwt_token("RS256", rsa1, "r1", payload);
    if (subject)
        expect_allow(f, t, subject);
    else
        expect_deny(f, t, detail);
    free(t);
}

static char cfgbuf[1024];

static const char *cfg_with(const char *extra)
{
    snprintf(cfgbuf, sizeof cfgbuf,
             "{issuer_url: '%s', audience: otel, groups_claim: groups, claims: [tenant, level], "
             "jwks_min_refresh_interval: 300ms%s%s}",
             issuer, extra ? ", " : "", extra ? extra : "");
    return cfgbuf;
}

static void test_decisions(void **state)
{
    serve_jwks(usual_jwks());
    int d0 = hits(&srv.discovery_hits), j0 = hits(&srv.jwks_hits);
    struct fx f;
    fx_build(&f, cfg_with(NULL));
    /* Before the keys load: error (503), never allow. */
    char *t1 = good("RS256", rsa1, "r1", "alice");
    struct df_auth_result r;
    assert_int_equal(check_token(&f, t1, &r), DF_AUTH_ERROR);
    assert_non_null(strstr(r.detail, "not loaded yet"));
    assert_int_equal(df_ext_set_start(&f.e.set), 0);
    assert_true(RUN_UNTIL(&f, df_ext_set_ready(&f.e.set) || f.e.set.failed));
    assert_false(f.e.set.failed);
    assert_int_equal(hits(&srv.discovery_hits), d0 + 1);
    assert_int_equal(hits(&srv.jwks_hits), j0 + 1);
    assert_int_equal(f.e.x->refreshes[0], 1);

    /* Missing and malformed credentials. */
    assert_int_equal(check_value(&f, NULL, &r), DF_AUTH_DENY);
    assert_int_equal(r.reason, DF_AUTH_MISSING_CREDENTIAL);
    assert_int_equal(check_value(&f, " ", &r), DF_AUTH_DENY);
    assert_int_equal(r.reason, DF_AUTH_MISSING_CREDENTIAL);
    assert_int_equal(check_value(&f, "Basic YTpi", &r), DF_AUTH_DENY);
    assert_int_equal(r.reason, DF_AUTH_INVALID_CREDENTIAL);
    expect_deny(&f, "not-a-jwt", "three");

    /* Accepted, with the identity: subject, groups joined, claims
     * stringified, and the same identity object every time. */
    const char *extra = ",\"groups\":[\"dev\",\"ops\"],\"tenant\":\"acme\",\"level\":3";
    char *t2 = test_jwt_token("PS256", rsa1, "r1",
                              claims(issuer, "[\"x\",\"otel\"]", "bob", 300, -10, extra));
    const struct df_identity *id = expect_allow(&f, t2, "bob");
    assert_int_equal(id->nattrs, 3);
    assert_string_equal(id->attrs[0].key, "groups");
    assert_string_equal(id->attrs[0].value, "dev,ops");
    assert_string_equal(id->attrs[1].key, "tenant");
    assert_string_equal(id->attrs[1].value, "acme");
    assert_string_equal(id->attrs[2].key, "level");
    assert_string_equal(id->attrs[2].value, "3");
    char *t3 = test_jwt_token("ES256", ec256, "e1",
                              claims(issuer, "\"otel\"", "bob", 200, LONG_MIN, extra));
    assert_ptr_equal(expect_allow(&f, t3, "bob"), id); /* another token, same identity */
    char *t4 = test_jwt_token("ES384", ec384, "e3",
                              claims(issuer, "\"otel\"", "carol", 200, LONG_MIN, NULL));
    const struct df_identity *carol = expect_allow(&f, t4, "carol");
    assert_int_equal(carol->nattrs, 0);

    /* The cache: the second use of a token is not verified again. */
    uint64_t v0 = stats(&f)->verified, h0 = stats(&f)->cache_hits;
    expect_allow(&f, t1, "alice");
    expect_allow(&f, t1, "alice");
    expect_allow(&f, t1, "alice");
    assert_int_equal(stats(&f)->verified, v0 + 1);
    assert_int_equal(stats(&f)->cache_hits, h0 + 2);
    /* A tampered copy of a cached token is another digest: verified, refused. */
    size_t n = strlen(t1);
    t1[n - 3] = t1[n - 3] == 'A' ? 'B' : 'A';
    expect_deny(&f, t1, "bad signature");

    /* Claims refused. */
    char *t;
    expect_claims_decision(&f, claims(issuer, "\"otel\"", "alice", -120, LONG_MIN, NULL), NULL,
                           "expired");
    expect_claims_decision(&f, claims(issuer, "\"otel\"", "alice", 300, 120, NULL), NULL,
                           "not yet valid");
    /* The default skew is 1 minute: nbf 30 s ahead and exp 30 s ago pass. */
    expect_claims_decision(&f, claims(issuer, "\"otel\"", "skew", -30, 30, NULL), "skew", NULL);
    expect_claims_decision(&f, claims(issuer, "\"other\"", "alice", 300, LONG_MIN, NULL), NULL,
                           "wrong audience");
    expect_claims_decision(&f, claims("http://evil.example", "\"otel\"", "a", 300, LONG_MIN, NULL),
                           NULL, "wrong issuer");
    expect_claims_decision(&f, "{\"iss\":\"x\",\"aud\":\"otel\",\"sub\":\"a\"}", NULL,
                           "wrong issuer");
    /* No subject claim. */
    char p[512];
    snprintf(p, sizeof p, "{\"iss\":\"%s\",\"aud\":\"otel\",\"exp\":%ld}", issuer,
             (long)time(NULL) + 100);
    expect_claims_decision(&f, p, NULL, "no string 'sub' claim");
    /* alg confusion through the whole path. */
    t = test_jwt_token("HS256", rsa1, "r1",
                       claims(issuer, "\"otel\"", "alice", 300, LONG_MIN, NULL));
    expect_deny(&f, t, "HMAC");
    free(t);
    t = test_jwt_token("ES256", ec256, "r1",
                       claims(issuer, "\"otel\"", "alice", 300, LONG_MIN, NULL));
    expect_deny(&f, t, "does not fit");
    free(t);
    free(t1);
    free(t2);
    free(t3);
    free(t4);
    ext_fx_finish(&f.e);
}

/* Unknown kids: each is denied and asks for a refresh; however many
 * arrive, the issuer sees at most one JWKS request per
 * jwks_min_refresh_interval (300 ms). A rotated key set is then picked up
 * without a restart: the new key serves, the old one is gone. */
static void test_unknown_kid_flood_and_rotation(void **state)
{
    serve_jwks(usual_jwks());
    struct fx f;
    fx_start(&f, cfg_with(NULL));
    int j0 = hits(&srv.jwks_hits);
    uint64_t start = uv_hrtime();
    char *tok[64];
    for (int i = 0; i < 64; i++) {
        char kid[32];
        snprintf(kid, sizeof kid, "random-%d-%d", rand(), i);
        tok[i] = good("ES256", ec256, kid, "flood");
    }
    struct df_auth_result r;
    uint64_t until = uv_hrtime() + 1000000000ull;
    int sent = 0;
    while (uv_hrtime() < until) {
        expect_deny(&f, tok[sent++ % 64], "unknown kid");
        uv_run(&f.e.loop, UV_RUN_NOWAIT);
        usleep(1000);
    }
    /* Let any refresh in flight finish. */
    int j1 = hits(&srv.jwks_hits);
    RUN_UNTIL(&f, false || uv_hrtime() > until + 400000000ull);
    double elapsed_ms = (double)(uv_hrtime() - start) / 1e6;
    int fetches = hits(&srv.jwks_hits) - j0;
    print_message("%d unknown-kid requests in %.0f ms: %d JWKS fetches\n", sent, elapsed_ms,
                  fetches);
    assert_true(sent > 100);
    assert_true(j1 > j0); /* a refresh did happen */
    assert_true(fetches <= 1 + (int)(elapsed_ms / 300.0));
    for (int i = 0; i < 64; i++)
        free(tok[i]);

    /* Rotation: the issuer now serves rsa2 as "r2" and drops rsa1. */
    char *old = good("RS256", rsa1, "r1", "before");
    expect_allow(&f, old, "before");
    serve_jwks(test_jwks(test_jwk(rsa2, "r2", "RS256", "sig"), NULL, NULL));
    char *fresh = good("RS256", rsa2, "r2", "after");
    expect_deny(&f, fresh, "unknown kid"); /* now; it asks for the refresh */
    assert_true(RUN_UNTIL(&f, check_token(&f, fresh, &r) == DF_AUTH_ALLOW));
    assert_string_equal(r.identity->subject, "after");
    /* The old key is gone, cached or not. */
    expect_deny(&f, old, "unknown kid");
    assert_true(f.e.x->refreshes[0] >= 3);
    free(old);
    free(fresh);
    ext_fx_finish(&f.e);
}

/* jwks_uri without discovery, and the periodic refresh. */
static void test_jwks_uri_and_periodic_refresh(void **state)
{
    serve_jwks(usual_jwks());
    int d0 = hits(&srv.discovery_hits), j0 = hits(&srv.jwks_hits);
    struct fx f;
    fx_startf(&f,
              "{issuer_url: '%s', jwks_uri: '%s/jwks', audience: a1, jwks_refresh_interval: 1s}",
              issuer, issuer);
    expect_claims_decision(&f, claims(issuer, "\"a1\"", "one", 300, LONG_MIN, NULL), "one", NULL);
    int j1 = hits(&srv.jwks_hits);
    assert_int_equal(j1, j0 + 1);
    assert_true(RUN_UNTIL(&f, hits(&srv.jwks_hits) >= j1 + 1));
    assert_int_equal(hits(&srv.discovery_hits), d0);
    assert_true(RUN_UNTIL(&f, f.e.x->refreshes[0] >= 2));
    ext_fx_finish(&f.e);
}

/* Two issuer names served by one server, the second through jwks_uri (its
 * discovery document would name the first): `iss` selects the issuer, and
 * each has its own audience and username claim. */
static void test_several_issuers(void **state)
{
    serve_jwks(usual_jwks());
    struct fx f;
    fx_startf(&f,
              "{issuers: [{issuer_url: '%s', audience: a1}, {issuer_url: 'https://second.example', "
              "jwks_uri: '%s/jwks', audience: a2, username_claim: email}]}",
              issuer, issuer);
    const char *second = "https://second.example", *email = ",\"email\":\"two@example.com\"";
    expect_claims_decision(&f, claims(issuer, "\"a1\"", "one", 300, LONG_MIN, NULL), "one", NULL);
    expect_claims_decision(&f, claims(second, "\"a2\"", "two", 300, LONG_MIN, email),
                           "two@example.com", NULL);
    expect_claims_decision(&f, claims(second, "\"a1\"", "two", 300, LONG_MIN, email), NULL,
                           "wrong audience");
    expect_claims_decision(&f, claims(issuer, "\"a2\"", "one", 300, LONG_MIN, NULL), NULL,
                           "wrong audience");
    /* The second issuer's tokens need the email claim. */
    expect_claims_decision(&f, claims(second, "\"a2\"", "two", 300, LONG_MIN, NULL), NULL,
                           "no string 'email' claim");
    ext_fx_finish(&f.e);
}

/* max_identities: a third distinct identity fails closed (error); known
 * ones still pass. */
static void test_identity_bound(void **state)
{
    serve_jwks(usual_jwks());
    struct fx f;
    fx_start(&f, cfg_with("max_identities: 2"));
    char *a = good("RS256", rsa1, "r1", "a"), *b = good("RS256", rsa1, "r1", "b"),
         *c = good("RS256", rsa1, "r1", "c"), *a2 = good("ES256", ec256, "e1", "a");
    expect_allow(&f, a, "a");
    expect_allow(&f, b, "b");
    struct df_auth_result r;
    assert_int_equal(check_token(&f, c, &r), DF_AUTH_ERROR);
    assert_non_null(strstr(r.detail, "identity table full"));
    assert_null(r.identity);
    expect_allow(&f, a2, "a");
    free(a);
    free(b);
    free(c);
    free(a2);
    ext_fx_finish(&f.e);
}

/* An issuer down at start fails the instance with a message naming the
 * URL; so does a discovery document naming another issuer. */
static void expect_start_failure(const char *cfg, const char *want)
{
    struct fx f;
    fx_build(&f, cfg);
    assert_int_equal(df_ext_set_start(&f.e.set), 0);
    assert_true(RUN_UNTIL(&f, f.e.set.failed || df_ext_set_ready(&f.e.set)));
    assert_true(f.e.set.failed);
    if (!strstr(f.e.set.error, want))
        fail_msg("error '%s' lacks '%s'", f.e.set.error, want);
    assert_non_null(strstr(f.e.set.error, "extension 'auth'"));
    ext_fx_finish(&f.e);
}

static void test_issuer_down_or_lying(void **state)
{
    /* A port nobody listens on (held, so nobody can). */
    int port, refusing = test_refusing_port(&port);
    assert_true(refusing >= 0);
    char cfg[512], want[128];
    snprintf(cfg, sizeof cfg, "{issuer_url: 'http://127.0.0.1:%d', audience: otel}", port);
    snprintf(want, sizeof want,
             "cannot load the keys of issuer 'http://127.0.0.1:%d': GET "
             "http://127.0.0.1:%d/.well-known/openid-configuration",
             port, port);
    expect_start_failure(cfg, want);
    close(refusing);

    srv.iss_said = "https://impostor.example";
    expect_start_failure(cfg_with(NULL), "its issuer is not");
    srv.iss_said = NULL;

    serve_jwks(strdup("{\"keys\":[{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"}]}"));
    expect_start_failure(cfg_with(NULL), "no usable signing key");
}

/* An https issuer: trusted through tls.ca_file (discovery and JWKS both
 * over TLS), or with insecure_skip_verify; without either, the test CA is
 * not trusted and the start fails naming the issuer. */
static void test_https_issuer(void **state)
{
    serve_jwks(usual_jwks());
    struct fx f;
    fx_startf(&f, "{issuer_url: '%s', audience: otel, tls: {ca_file: '%s'}}", issuer_https,
              test_pki_path("ca.pem"));
    expect_claims_decision(&f, claims(issuer_https, "\"otel\"", "tls", 300, LONG_MIN, NULL), "tls",
                           NULL);
    /* The plain issuer's tokens are another issuer's. */
    expect_claims_decision(&f, claims(issuer, "\"otel\"", "tls", 300, LONG_MIN, NULL), NULL,
                           "wrong issuer");
    ext_fx_finish(&f.e);
    fx_startf(&f, "{issuer_url: '%s', audience: otel, tls: {insecure_skip_verify: true}}",
              issuer_https);
    ext_fx_finish(&f.e);
    char cfg[256], want[128];
    snprintf(cfg, sizeof cfg, "{issuer_url: '%s', audience: otel}", issuer_https);
    snprintf(want, sizeof want, "cannot load the keys of issuer '%s': GET %s/.well-known/",
             issuer_https, issuer_https);
    expect_start_failure(cfg, want);
}

/* ---- readers on other threads ------------------------------------------------------ */

struct reader {
    struct fx *f;
    unsigned slot;
    const char *known, *fresh; /* tokens of r1, and of r2 (added while they run) */
    int stop;                  /* atomic */
    int fresh_allowed;         /* atomic */
    int bad;
};

/* Checks the known token (allowed every time, from the cache mostly) and
 * the fresh one (denied with an unknown kid, which asks for refreshes from
 * this thread, until the key set holding r2 is published). */
static void *reader_main(void *arg)
{
    struct reader *r = arg;
    void *self = ext_fx_attach(&r->f->e, r->slot);
    if (!self) {
        r->bad = 1;
        return NULL;
    }
    static char values[2][2][OIDC_TOKEN_MAX];
    snprintf(values[r->slot - 1][0], OIDC_TOKEN_MAX, "Bearer %s", r->known);
    snprintf(values[r->slot - 1][1], OIDC_TOKEN_MAX, "Bearer %s", r->fresh);
    while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
        for (int k = 0; k < 2; k++) {
            const char *v = values[r->slot - 1][k];
            struct df_auth_header h = {"authorization", 13, v, strlen(v)};
            struct df_auth_request req = {.headers = &h, .nheaders = 1};
            struct df_auth_result res;
            memset(&res, 0, sizeof res);
            enum df_auth_decision d = r->f->auth->check(self, &req, &res);
            if (d == DF_AUTH_ALLOW && strcmp(res.identity->subject, k ? "fresh" : "known"))
                r->bad = 1;
            else if (d == DF_AUTH_ALLOW && k)
                __atomic_store_n(&r->fresh_allowed, 1, __ATOMIC_RELEASE);
            else if (d != DF_AUTH_ALLOW && (!k || !strstr(res.detail, "unknown kid")))
                r->bad = 1;
        }
        sched_yield();
    }
    df_ext_set_detach(&r->f->e.set, r->slot);
    return NULL;
}

static void test_concurrent_readers(void **state)
{
    serve_jwks(test_jwks(test_jwk(rsa1, "r1", NULL, NULL), NULL, NULL));
    struct fx f;
    memset(&f, 0, sizeof f);
    ext_fx_build(&f.e, yaml(cfg_with(NULL)), "auth", 3);
    f.auth = df_extension_capability(f.e.x->desc, DF_AUTH_CHECK_NAME)->ops;
    ext_fx_run(&f.e);
    char *known = good("RS256", rsa1, "r1", "known"), *fresh = good("ES256", ec256, "r2", "fresh");
    struct reader r[2] = {{.f = &f, .slot = 1, .known = known, .fresh = fresh},
                          {.f = &f, .slot = 2, .known = known, .fresh = fresh}};
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&th[i], NULL, reader_main, &r[i]), 0);
    /* The readers ask for refreshes while the JWKS still lacks r2. */
    int j0 = hits(&srv.jwks_hits);
    assert_true(RUN_UNTIL(&f, hits(&srv.jwks_hits) > j0));
    serve_jwks(
        test_jwks(test_jwk(rsa1, "r1", NULL, NULL), test_jwk(ec256, "r2", NULL, NULL), NULL));
    assert_true(RUN_UNTIL(&f, __atomic_load_n(&r[0].fresh_allowed, __ATOMIC_ACQUIRE) &&
                                  __atomic_load_n(&r[1].fresh_allowed, __ATOMIC_ACQUIRE)));
    for (int i = 0; i < 2; i++)
        __atomic_store_n(&r[i].stop, 1, __ATOMIC_RELEASE);
    for (int i = 0; i < 2; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(r[i].bad, 0);
    }
    free(known);
    free(fresh);
    ext_fx_finish(&f.e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_jwks_parse),
        cmocka_unit_test(test_signatures),
        cmocka_unit_test(test_claims),
        cmocka_unit_test(test_decisions),
        cmocka_unit_test(test_unknown_kid_flood_and_rotation),
        cmocka_unit_test(test_jwks_uri_and_periodic_refresh),
        cmocka_unit_test(test_several_issuers),
        cmocka_unit_test(test_identity_bound),
        cmocka_unit_test(test_issuer_down_or_lying),
        cmocka_unit_test(test_https_issuer),
        cmocka_unit_test(test_concurrent_readers),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
