/* extension:oauth2_client_auth: the token response parser (good answers,
 * missing or bad tokens, token types, expires_in forms and bounds, RFC 6749
 * §5.2 errors, not JSON); the form encoding and the Basic header; config
 * errors through the config loader; and the instance against a token
 * endpoint on 127.0.0.1 (tests/support/test_http_server.h): the first
 * token opens the readiness gate, the request is a client credentials
 * grant with the client authenticated, a token is renewed before it
 * expires, an endpoint that fails keeps the current token in service until
 * its expiry (less the margin) and then leaves none, a rotated
 * client_secret_file is sent with the next request, one that cannot be
 * used (a FIFO, a directory, too large) sends none, readers on other
 * threads always see a whole, current token, and an https endpoint is
 * trusted through tls.ca_file only. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "df/capabilities/bearer_token_provider.h"
#include "extensions/oauth2_client_auth/oauth2_client_auth.h"
#include "tests/support/test_http_server.h"
#include "tests/support/test_pki.h"
#include "tests/unit/extensions/ext_fixture.h"

static const char *yaml(const char *cfg)
{
    return ext_pipeline_yaml("oauth", "extension:oauth2_client_auth", cfg);
}

/* ---- the parser ------------------------------------------------------------------ */

static int parse(long status, const char *body, struct o2c_token *t)
{
    return o2c_parse_response(status, (const uint8_t *)body, strlen(body), t);
}

static void expect_token(long status, const char *body, const char *token, int64_t expires_in)
{
    struct o2c_token t;
    int rc = parse(status, body, &t);
    if (rc)
        fail_msg("%s: %s", body, t.why);
    assert_int_equal(t.len, strlen(token));
    assert_string_equal(t.value, token);
    assert_int_equal(t.expires_in, expires_in);
    o2c_token_clear(&t);
    assert_null(t.value);
}

/* A rejection whose reason holds `why` and never the token `secret`. */
static void expect_bad(long status, const char *body, const char *why, const char *secret)
{
    struct o2c_token t;
    assert_int_equal(parse(status, body, &t), DF_EINVAL);
    if (!strstr(t.why, why))
        fail_msg("%s: expected '%s', got '%s'", body, why, t.why);
    if (secret)
        assert_null(strstr(t.why, secret));
    assert_null(t.value);
}

static void test_parse_response(void **state)
{
    (void)state;
    expect_token(200,
                 "{\"access_token\":\"abc.def-ghi\",\"token_type\":\"Bearer\","
                 "\"expires_in\":3600}",
                 "abc.def-ghi", 3600);
    expect_token(200, "{\"access_token\":\"t1\",\"token_type\":\"bearer\"}", "t1", 0);
    expect_token(200, "{\"access_token\":\"t1\",\"token_type\":\"BEARER\",\"expires_in\":null}",
                 "t1", 0);
    expect_token(200, "{\"access_token\":\"t1\"}", "t1", 0);
    expect_token(200, "{\"access_token\":\"t1\",\"error\":null}", "t1", 0);
    expect_token(201, "{\"expires_in\":\"7200\",\"access_token\":\"t1\",\"scope\":\"a b\"}", "t1",
                 7200);
    expect_token(200, "{\"access_token\":\"t1\",\"expires_in\":59.9}", "t1", 59);
    expect_token(200, " {\"access_token\":\"t1\",\"expires_in\":1} \n", "t1", 1);
    /* Huge lifetimes are taken as a year. */
    expect_token(200, "{\"access_token\":\"t1\",\"expires_in\":99999999999999}", "t1",
                 O2C_EXPIRES_IN_MAX);
    expect_token(200, "{\"access_token\":\"t1\",\"expires_in\":1e300}", "t1", O2C_EXPIRES_IN_MAX);
    expect_token(200, "{\"access_token\":\"t1\",\"expires_in\":\"123456789012345678901234\"}", "t1",
                 O2C_EXPIRES_IN_MAX);

    expect_bad(200, "{\"token_type\":\"Bearer\"}", "no access_token", NULL);
    expect_bad(200, "{\"access_token\":\"\"}", "access_token is empty", NULL);
    expect_bad(200, "{\"access_token\":42}", "access_token is not a string", NULL);
    expect_bad(200, "{\"access_token\":\"two words\"}", "visible", "two words");
    expect_bad(200, "{\"access_token\":\"ctl\\u0001in\"}", "visible", NULL);
    expect_bad(200, "{\"access_token\":\"nul\\u0000in\"}", "not JSON", NULL);
    expect_bad(200, "{\"access_token\":\"caf\\u00e9\"}", "visible", NULL);
    expect_bad(200, "{\"access_token\":\"s3cret\",\"token_type\":\"mac\"}",
               "token_type 'mac' is not Bearer", "s3cret");
    expect_bad(200, "{\"access_token\":\"s3cret\",\"token_type\":\"bearerx\"}", "is not Bearer",
               "s3cret");
    expect_bad(200, "{\"access_token\":\"s3cret\",\"token_type\":1}", "is not Bearer", "s3cret");
    expect_bad(200, "{\"access_token\":\"s3cret\",\"expires_in\":-5}", "expires_in is -5",
               "s3cret");
    expect_bad(200, "{\"access_token\":\"s3cret\",\"expires_in\":0}", "expires_in is 0", NULL);
    expect_bad(200, "{\"access_token\":\"s3cret\",\"expires_in\":0.5}", "not a positive", NULL);
    expect_bad(200, "{\"access_token\":\"s3cret\",\"expires_in\":\"-1\"}", "not a number", NULL);
    expect_bad(200, "{\"access_token\":\"s3cret\",\"expires_in\":\"1h\"}", "not a number", NULL);
    expect_bad(200, "{\"access_token\":\"s3cret\",\"expires_in\":true}", "not a number", NULL);
    expect_bad(200, "{\"access_token\":\"s3cret\",\"access_token\":\"x\"}", "not JSON", "s3cret");
    /* Not JSON, or not an object: never quoting the input. */
    expect_bad(200, "", "empty", NULL);
    expect_bad(200, "access_token=s3cret&token_type=bearer", "not JSON", "s3cret");
    expect_bad(200, "{\"access_token\": s3cret}", "not JSON (line 1", "s3cret");
    expect_bad(200, "{\"access_token\":\"s3cret\"", "not JSON", "s3cret");
    expect_bad(200, "[\"s3cret\"]", "not a JSON object", "s3cret");
    expect_bad(200, "\"s3cret\"", "not JSON", "s3cret"); /* jansson wants an array or object */
    /* RFC 6749 §5.2 errors, on 400/401 or (wrongly) on 200. */
    expect_bad(400, "{\"error\":\"invalid_client\",\"error_description\":\"bad secret\"}",
               "the token endpoint answered 400: invalid_client (bad secret)", NULL);
    expect_bad(401, "{\"error\":\"invalid_scope\"}", "answered 401: invalid_scope", NULL);
    expect_bad(200, "{\"error\":\"unauthorized_client\",\"access_token\":\"s3cret\"}",
               "answered with an error: unauthorized_client", "s3cret");
    expect_bad(400, "{\"error\":\"a\\u0001b\\nc\"}", "answered 400: a?b?c", NULL);
    expect_bad(503, "Service Unavailable", "the token endpoint answered 503", NULL);
    expect_bad(500, "", "answered 500", NULL);
    /* A very long description is cut. */
    char body[1024];
    snprintf(body, sizeof body, "{\"error\":\"e\",\"error_description\":\"%0600d\"}", 0);
    struct o2c_token t;
    assert_int_equal(parse(400, body, &t), DF_EINVAL);
    assert_true(strlen(t.why) < 200);
    /* Long tokens: up to 16 KiB. */
    static char big[O2C_TOKEN_MAX + 64];
    int n = snprintf(big, sizeof big, "{\"access_token\":\"");
    memset(big + n, 'x', O2C_TOKEN_MAX);
    snprintf(big + n + O2C_TOKEN_MAX, sizeof big - (size_t)n - O2C_TOKEN_MAX, "\"}");
    assert_int_equal(parse(200, big, &t), 0);
    assert_int_equal(t.len, O2C_TOKEN_MAX);
    o2c_token_clear(&t);
    memset(big + n, 'x', O2C_TOKEN_MAX + 1);
    snprintf(big + n + O2C_TOKEN_MAX + 1, sizeof big - (size_t)n - O2C_TOKEN_MAX - 1, "\"}");
    expect_bad(200, big, "longer than 16KiB", NULL);
    /* The body is read up to len only. */
    const char *cut = "{\"access_token\":\"t1\"}trailing";
    assert_int_equal(o2c_parse_response(200, (const uint8_t *)cut, 21, &t), 0);
    o2c_token_clear(&t);
}

/* ---- form encoding -------------------------------------------------------------------- */

static void test_form_encoding(void **state)
{
    (void)state;
    struct o2c_buf b = {0};
    o2c_buf_form_field(&b, "grant_type", "client_credentials");
    o2c_buf_add(&b, "&", 1);
    o2c_buf_form_field(&b, "scope", "read:logs write/all a+b");
    o2c_buf_add(&b, "&", 1);
    o2c_buf_form_field(&b, "k=1&x", "caf\xc3\xa9 ~._-%\"");
    assert_false(b.oom);
    assert_string_equal(b.p, "grant_type=client_credentials&scope=read%3Alogs+write%2Fall+a%2Bb"
                             "&k%3D1%26x=caf%C3%A9+~._-%25%22");
    assert_int_equal(b.len, strlen(b.p));
    o2c_buf_wipe(&b);
    assert_null(b.p);
    o2c_buf_urlencode(&b, "a\0b", 3); /* by length: a NUL is a byte like others */
    assert_string_equal(b.p, "a%00b");
    o2c_buf_wipe(&b);

    /* RFC 6749 §2.3.1: base64 of the form-encoded id and secret. */
    assert_int_equal(o2c_basic_header("my client", "p@ss:w rd", 9, &b), 0);
    const char *prefix = "Authorization: Basic ";
    assert_memory_equal(b.p, prefix, strlen(prefix));
    unsigned char dec[128];
    int n = EVP_DecodeBlock(dec, (const unsigned char *)b.p + strlen(prefix),
                            (int)(b.len - strlen(prefix)));
    assert_true(n > 0);
    const char *want = "my+client:p%40ss%3Aw+rd";
    assert_true((size_t)n >= strlen(want)); /* EVP_DecodeBlock counts padding bytes as zeros */
    assert_memory_equal(dec, want, strlen(want));
    o2c_buf_wipe(&b);

    size_t start, len;
    assert_null(o2c_secret_find(" \tsec ret\r\n", 11, &start, &len));
    assert_int_equal(start, 2);
    assert_int_equal(len, 7);
    assert_string_equal(o2c_secret_find(" \n\r\t", 4, &start, &len), "is empty");
}

/* ---- config ------------------------------------------------------------------------------ */

static const char *secret_path(void)
{
    return ext_path("secret");
}

static void write_secret(const char *content)
{
    ext_rotate(secret_path(), content); /* atomically, as a rotation does */
}

static void rejected(const char *cfg, const char *want, const char *path, const char *secret)
{
    ext_expect_rejected(yaml(cfg), 7, want, path, secret);
}

static void test_config_errors(void **state)
{
    (void)state;
    write_secret("file-s3cret\n");
    char cfg[512];
    rejected("{client_id: a, client_secret: b}", "token_url", "oauth.config", NULL);
    rejected("{token_url: 'http://h/t', client_secret: b}", "client_id", "oauth.config", NULL);
    rejected("{token_url: 'ftp://h/t', client_id: a, client_secret: b}",
             "is not an http:// or https:// URL", "oauth.config.token_url", NULL);
    rejected("{token_url: 'https://', client_id: a, client_secret: b}", "with a host",
             "oauth.config.token_url", NULL);
    rejected("{token_url: 'h/t', client_id: a, client_secret: b}", "not an http",
             "oauth.config.token_url", NULL);
    rejected("{token_url: 'http://h/a b', client_id: a, client_secret: b}", "not an http",
             "oauth.config.token_url", NULL);
    rejected("{token_url: 'http://h/t', client_id: a}", "no client secret is configured",
             "oauth.config", NULL);
    snprintf(cfg, sizeof cfg,
             "{token_url: 'http://h/t', client_id: a, client_secret: inl1ne-s3cret, "
             "client_secret_file: '%s'}",
             secret_path());
    rejected(cfg, "client_secret and client_secret_file exclude each other",
             "oauth.config.client_secret_file", "s3cret");
    rejected("{token_url: 'http://h/t', client_id: a, client_secret: ''}",
             "client_secret must not be empty", "oauth.config.client_secret", NULL);
    rejected("{token_url: 'http://h/t', client_id: '', client_secret: b}",
             "client_id must not be empty", "oauth.config.client_id", NULL);
    snprintf(cfg, sizeof cfg, "{token_url: 'http://h/t', client_id: a, client_secret_file: '%s'}",
             ext_path("no"));
    rejected(cfg, "", "oauth.config.client_secret_file", NULL);
    rejected("{token_url: 'http://h/t', client_id: a, client_secret: b, scopes: ['a b']}",
             "scope 'a b' is empty or holds a space", "oauth.config.scopes", NULL);
    rejected("{token_url: 'http://h/t', client_id: a, client_secret: b, endpoint_params: "
             "{grant_type: password}}",
             "endpoint_params must not set 'grant_type'", "oauth.config.endpoint_params", NULL);
    rejected("{token_url: 'http://h/t', client_id: a, client_secret: b, auth_style: header}", "",
             "oauth.config.auth_style", NULL);
    rejected("{token_url: 'http://h/t', client_id: a, client_secret: b, timeout: 1ms}",
             "out of range", "oauth.config.timeout", NULL);
    rejected("{token_url: 'http://h/t', client_id: a, client_secret: b, retry_initial_interval: "
             "2m, retry_max_interval: 1m}",
             "retry_initial_interval is longer", "oauth.config.retry_initial_interval", NULL);
    rejected("{token_url: 'http://h/t', client_id: a, client_secret: b, tls: {ca: x}}",
             "unknown key 'ca'", "oauth.config.tls.ca", NULL);
    rejected("{token_url: 'http://h/t', client_id: a, client_secret: b, scope: [x]}",
             "unknown key 'scope'", "oauth.config.scope", NULL);

    /* And what is accepted. */
    snprintf(cfg, sizeof cfg,
             "{token_url: 'HTTPS://auth.example.com:8443/t?x=1', client_id: a, "
             "client_secret_file: '%s', scopes: [a, 'b:c'], endpoint_params: {audience: x}, "
             "auth_style: post, expiry_buffer: 0s, tls: {insecure_skip_verify: true}}",
             secret_path());
    ext_expect_accepted(yaml(cfg));
}

/* ---- a token endpoint ---------------------------------------------------------------- */

enum mode { UP, DOWN };

static struct {
    pthread_mutex_t mu;
    enum mode mode;
    int expires_in; /* 0: not in the answer */
    unsigned requests, issued;
    char body[1024], authorization[256], content_type[128], method[16], path[64];
} ep = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void copy(char *dst, size_t n, const char *s)
{
    snprintf(dst, n, "%s", s ? s : "");
}

static void token_endpoint(void *ud, const struct df_http1_request *req,
                           struct df_http1_response *res)
{
    (void)ud;
    pthread_mutex_lock(&ep.mu);
    ep.requests++;
    copy(ep.method, sizeof ep.method, req->method);
    copy(ep.path, sizeof ep.path, req->path);
    snprintf(ep.body, sizeof ep.body, "%.*s", (int)req->body_len, (const char *)req->body);
    copy(ep.authorization, sizeof ep.authorization, df_http1_request_header(req, "Authorization"));
    copy(ep.content_type, sizeof ep.content_type, df_http1_request_header(req, "Content-Type"));
    if (ep.mode == DOWN) {
        df_http1_response_text(res, 503, "text/plain", "down");
    } else if (ep.expires_in) {
        df_http1_response_text(res, 200, "application/json",
                               "{\"access_token\":\"tok-%u\",\"token_type\":\"bearer\","
                               "\"expires_in\":%d}",
                               ++ep.issued, ep.expires_in);
    } else {
        df_http1_response_text(res, 200, "application/json", "{\"access_token\":\"tok-%u\"}",
                               ++ep.issued);
    }
    pthread_mutex_unlock(&ep.mu);
}

static void ep_set(enum mode mode, int expires_in)
{
    pthread_mutex_lock(&ep.mu);
    ep.mode = mode;
    ep.expires_in = expires_in;
    pthread_mutex_unlock(&ep.mu);
}

static unsigned ep_requests(void)
{
    pthread_mutex_lock(&ep.mu);
    unsigned n = ep.requests;
    pthread_mutex_unlock(&ep.mu);
    return n;
}

/* The last request's form body contains `s`. */
static bool ep_body_has(const char *s)
{
    pthread_mutex_lock(&ep.mu);
    bool has = strstr(ep.body, s) != NULL;
    pthread_mutex_unlock(&ep.mu);
    return has;
}

struct tfx {
    struct ext_fx e;
    struct test_http_server *srv;
    const struct df_bearer_token_provider_ops *prov;
};

/* Starts an endpoint issuing tokens for `expires_in` seconds and an
 * instance configured with `extra` keys besides token_url and client_id,
 * with `nslots` core slots (slot 0 attached on this thread); waits for the
 * first token. */
static void tfx_start_slots(struct tfx *f, int expires_in, const char *extra, unsigned nslots)
{
    pthread_mutex_lock(&ep.mu);
    ep.requests = ep.issued = 0;
    pthread_mutex_unlock(&ep.mu);
    ep_set(UP, expires_in);
    f->srv = test_http_server_start(token_endpoint, NULL);
    assert_non_null(f->srv);
    char cfg[1024];
    snprintf(cfg, sizeof cfg,
             "{token_url: 'http://127.0.0.1:%d/oauth2/token', client_id: 'c-1', %s}",
             test_http_server_port(f->srv), extra);
    ext_fx_start_slots(&f->e, yaml(cfg), "oauth", nslots);
    assert_ptr_not_equal(f->e.self, f->e.x->state); /* a per-core view */
    f->prov = ext_fx_ops(&f->e, DF_BEARER_TOKEN_PROVIDER_NAME);
}

static void tfx_start(struct tfx *f, int expires_in, const char *extra)
{
    tfx_start_slots(f, expires_in, extra, 1);
}

static void tfx_finish(struct tfx *f)
{
    ext_fx_finish(&f->e);
    assert_int_equal(test_http_server_stop(f->srv), 0);
}

/* The token now: its value in `buf`, its version (0 for none). */
static uint64_t current(struct tfx *f, char *buf, size_t n)
{
    struct df_bearer_token t = {0};
    if (f->prov->token(f->e.self, &t) != DF_BEARER_TOKEN_OK) {
        if (buf)
            buf[0] = 0;
        return 0;
    }
    assert_non_null(t.value);
    assert_int_not_equal(t.version, 0);
    if (buf)
        snprintf(buf, n, "%.*s", (int)t.len, t.value);
    return t.version;
}

static double secs_since(uint64_t t0)
{
    return (double)(uv_hrtime() - t0) / 1e9;
}

/* Ready with the first token; the request it came from; renewal before
 * expiry without a gap. */
static void test_first_token_and_refresh(void **state)
{
    (void)state;
    struct tfx f;
    tfx_start(&f, 2,
              "client_secret: 's3cr:t 1', scopes: [logs.write, 'metrics:read'], "
              "endpoint_params: {audience: 'https://api.example.com'}, expiry_buffer: 1s");
    uint64_t got = uv_hrtime();
    assert_true(df_ext_set_ready(&f.e.set));
    char tok[64];
    uint64_t v1 = current(&f, tok, sizeof tok);
    assert_int_not_equal(v1, 0);
    assert_string_equal(tok, "tok-1");
    assert_int_equal(ext_fx_refreshes(&f.e, 0), 1);
    assert_int_equal(ext_fx_refreshes(&f.e, 1), 0);
    pthread_mutex_lock(&ep.mu);
    assert_string_equal(ep.method, "POST");
    assert_string_equal(ep.path, "/oauth2/token");
    assert_string_equal(ep.content_type, "application/x-www-form-urlencoded");
    assert_string_equal(ep.body, "grant_type=client_credentials&scope=logs.write+metrics%3Aread"
                                 "&audience=https%3A%2F%2Fapi.example.com");
    /* Basic base64("c-1:s3cr%3At+1") */
    assert_string_equal(ep.authorization, "Basic Yy0xOnMzY3IlM0F0KzE=");
    pthread_mutex_unlock(&ep.mu);

    /* expires_in 2 s, buffer 1 s: the next request after about 0.9..1 s;
     * the first token is served all the while. */
    uint64_t v2 = 0;
    while (!v2 || v2 == v1) {
        assert_true(secs_since(got) < 1.7);
        uv_run(&f.e.loop, UV_RUN_ONCE);
        v2 = current(&f, tok, sizeof tok);
        assert_int_not_equal(v2, 0);
    }
    double at = secs_since(got);
    assert_true(at > 0.8);
    assert_string_equal(tok, "tok-2");
    assert_int_equal(ep_requests(), 2);
    assert_int_equal(ext_fx_refreshes(&f.e, 0), 2);
    tfx_finish(&f);
}

/* The endpoint fails after the first token: the token is served until
 * its expiry less the margin (2 s - 0.2 s), failures are retried with
 * backoff and counted, then there is no token; once the endpoint is back
 * a new token is in. */
static void test_endpoint_down_keeps_token_until_expiry(void **state)
{
    (void)state;
    struct tfx f;
    tfx_start(&f, 2,
              "client_secret: s3cret, expiry_buffer: 1s, retry_initial_interval: 100ms, "
              "retry_max_interval: 200ms");
    uint64_t got = uv_hrtime();
    char tok[64];
    assert_int_not_equal(current(&f, tok, sizeof tok), 0);
    assert_string_equal(tok, "tok-1");
    ep_set(DOWN, 2);
    /* Served until the margin: not before 1.7 s after it arrived. */
    while (current(&f, NULL, 0)) {
        assert_true(secs_since(got) < 2.5);
        uv_run(&f.e.loop, UV_RUN_ONCE);
    }
    double gone = secs_since(got);
    if (gone < 1.7)
        fail_msg("the token was withdrawn %.2f s after it came, before its expiry", gone);
    uint64_t failed = ext_fx_refreshes(&f.e, 1);
    assert_true(failed >= 3); /* about 1 s of retries, 100..200 ms apart */
    assert_true(failed <= 12);
    assert_int_equal(ext_fx_refreshes(&f.e, 0), 1);
    /* Still none while it is down. */
    assert_true(EXT_RUN_UNTIL(&f.e, ext_fx_refreshes(&f.e, 1) >= failed + 2));
    assert_int_equal(current(&f, NULL, 0), 0);
    /* Back: a new token within a backoff interval. */
    ep_set(UP, 2);
    assert_true(EXT_RUN_UNTIL(&f.e, current(&f, tok, sizeof tok) != 0));
    assert_string_equal(tok, "tok-2");
    tfx_finish(&f);
}

/* A token without expires_in is served without end; a failure then
 * changes nothing for the readers. */
static void test_no_expiry(void **state)
{
    (void)state;
    struct tfx f;
    tfx_start(&f, 0, "client_secret: s3cret");
    char tok[64];
    uint64_t v = current(&f, tok, sizeof tok);
    assert_string_equal(tok, "tok-1");
    assert_int_equal(current(&f, NULL, 0), v);
    tfx_finish(&f);
}

/* client_secret_file is read before each request (post style here): a
 * rotated secret goes out with the next one, without a restart. */
static void test_secret_file_rotation(void **state)
{
    (void)state;
    write_secret("first-s3cret\n");
    char extra[256];
    snprintf(extra, sizeof extra, "client_secret_file: '%s', auth_style: post, expiry_buffer: 0s",
             secret_path());
    struct tfx f;
    tfx_start(&f, 1, extra);
    assert_true(ep_body_has("&client_id=c-1&client_secret=first-s3cret"));
    pthread_mutex_lock(&ep.mu);
    assert_string_equal(ep.authorization, ""); /* post: no Basic header */
    pthread_mutex_unlock(&ep.mu);
    write_secret("  second+s3cret \n");
    assert_true(EXT_RUN_UNTIL(&f.e, ep_body_has("client_secret=second%2Bs3cret")));
    assert_true(ep_body_has("grant_type=client_credentials&client_id=c-1&"));
    /* A secret file that became empty: the request is not sent, the
     * failure counted, the current token kept. */
    unsigned n = ep_requests();
    uint64_t failed = ext_fx_refreshes(&f.e, 1);
    write_secret("\n");
    assert_true(EXT_RUN_UNTIL(&f.e, ext_fx_refreshes(&f.e, 1) > failed));
    assert_int_equal(ep_requests(), n);
    tfx_finish(&f);
}

/* A client_secret_file that cannot be used — a FIFO without a writer (the
 * non-blocking open must not hang the loop), a directory, a file over
 * 16KiB — fails the refresh before any request is sent; a usable file
 * again brings the next token. */
static void test_secret_file_unusable(void **state)
{
    (void)state;
    write_secret("first-s3cret\n");
    char extra[320];
    snprintf(extra, sizeof extra,
             "client_secret_file: '%s', auth_style: post, expiry_buffer: 0s, "
             "retry_initial_interval: 20ms, retry_max_interval: 50ms",
             secret_path());
    struct tfx f;
    tfx_start(&f, 1, extra);
    static char big[O2C_SECRET_MAX + 64];
    memset(big, 'x', sizeof big - 1);
    for (int kind = 0; kind < 3; kind++) {
        assert_int_equal(unlink(secret_path()), 0);
        if (kind == 0)
            assert_int_equal(mkfifo(secret_path(), 0600), 0);
        else if (kind == 1)
            assert_int_equal(mkdir(secret_path(), 0700), 0);
        else
            ext_write_file(secret_path(), big);
        unsigned n = ep_requests();
        uint64_t failed = ext_fx_refreshes(&f.e, 1);
        assert_true(EXT_RUN_UNTIL(&f.e, ext_fx_refreshes(&f.e, 1) > failed));
        assert_int_equal(ep_requests(), n);
        if (kind == 1)
            assert_int_equal(rmdir(secret_path()), 0);
        else
            assert_int_equal(unlink(secret_path()), 0);
        write_secret("second-s3cret\n");
        assert_true(EXT_RUN_UNTIL(&f.e, ep_requests() > n));
        assert_true(ep_body_has("client_secret=second-s3cret"));
    }
    tfx_finish(&f);
}

/* ---- readers on other threads ------------------------------------------------------ */

struct reader {
    struct tfx *f;
    const uint64_t *stop; /* the version the main thread waits for */
    uint64_t calls, max_version;
    int bad;
    struct ext_reader thread;
};

/* One read: token N (the endpoint's N-th) has version N; versions never go
 * back; there is always a token (it is renewed before it expires). */
static bool reader_step(void *self, void *ud)
{
    struct reader *r = ud;
    char want[32];
    struct df_bearer_token t = {0};
    if (r->f->prov->token(self, &t) != DF_BEARER_TOKEN_OK || t.version < r->max_version) {
        r->bad = 1;
        return false;
    }
    r->max_version = t.version;
    int n = snprintf(want, sizeof want, "tok-%llu", (unsigned long long)t.version);
    if (t.len != (size_t)n || memcmp(t.value, want, t.len))
        r->bad = 1;
    r->calls++;
    return t.version < __atomic_load_n(r->stop, __ATOMIC_ACQUIRE);
}

static void test_concurrent_readers(void **state)
{
    (void)state;
    struct tfx f;
    tfx_start_slots(&f, 1, "client_secret: s3cret, expiry_buffer: 0s", 3);
    uint64_t stop = 3;
    struct reader r[2] = {{.f = &f, .stop = &stop}, {.f = &f, .stop = &stop}};
    for (unsigned i = 0; i < 2; i++)
        ext_reader_start(&r[i].thread, &f.e, i + 1, reader_step, &r[i]);
    assert_true(EXT_RUN_UNTIL(&f.e, current(&f, NULL, 0) >= stop));
    for (int i = 0; i < 2; i++)
        ext_reader_join(&r[i].thread);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(r[i].bad, 0);
        assert_true(r[i].max_version >= stop);
        assert_true(r[i].calls > 0);
    }
    tfx_finish(&f);
}

/* An https token_url: trusted through tls.ca_file; without it (the
 * system's trust store) the certificate is refused, the request fails and
 * the instance stays not ready. */
static void test_https_endpoint(void **state)
{
    (void)state;
    assert_int_equal(test_pki_setup(), 0);
    pthread_mutex_lock(&ep.mu);
    ep.requests = ep.issued = 0;
    pthread_mutex_unlock(&ep.mu);
    ep_set(UP, 60);
    struct test_http_server *srv = test_http_server_start_tls(
        token_endpoint, NULL, test_pki_path("server.pem"), test_pki_path("server.key"));
    assert_non_null(srv);
    char cfg[1024];
    snprintf(cfg, sizeof cfg,
             "{token_url: 'https://localhost:%d/token', client_id: c, client_secret: s, "
             "tls: {ca_file: '%s'}}",
             test_http_server_port(srv), test_pki_path("ca.pem"));
    struct ext_fx e;
    ext_fx_start(&e, yaml(cfg), "oauth");
    const struct df_bearer_token_provider_ops *prov = ext_fx_ops(&e, DF_BEARER_TOKEN_PROVIDER_NAME);
    struct df_bearer_token t = {0};
    assert_int_equal(prov->token(e.self, &t), DF_BEARER_TOKEN_OK);
    assert_int_equal(t.len, 5);
    assert_memory_equal(t.value, "tok-1", 5);
    ext_fx_finish(&e);

    snprintf(cfg, sizeof cfg,
             "{token_url: 'https://localhost:%d/token', client_id: c, client_secret: s}",
             test_http_server_port(srv));
    ext_fx_build(&e, yaml(cfg), "oauth", 1);
    assert_int_equal(df_ext_set_start(&e.set), 0);
    assert_true(EXT_RUN_UNTIL(&e, ext_fx_refreshes(&e, 1) >= 1));
    assert_false(df_ext_set_ready(&e.set));
    assert_int_equal(prov->token(e.self, &t), DF_BEARER_TOKEN_NONE);
    assert_int_equal(ep_requests(), 1); /* only the trusted one got through */
    ext_fx_finish(&e);
    assert_int_equal(test_http_server_stop(srv), 0);
    assert_int_equal(test_pki_teardown(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_response),
        cmocka_unit_test(test_form_encoding),
        cmocka_unit_test_setup_teardown(test_config_errors, ext_dir_setup, ext_dir_teardown),
        cmocka_unit_test(test_first_token_and_refresh),
        cmocka_unit_test(test_endpoint_down_keeps_token_until_expiry),
        cmocka_unit_test(test_no_expiry),
        cmocka_unit_test_setup_teardown(test_secret_file_rotation, ext_dir_setup, ext_dir_teardown),
        cmocka_unit_test_setup_teardown(test_secret_file_unusable, ext_dir_setup, ext_dir_teardown),
        cmocka_unit_test(test_concurrent_readers),
        cmocka_unit_test(test_https_endpoint),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
