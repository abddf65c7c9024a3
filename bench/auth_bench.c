/* The cost of one auth_check call of each real provider, with a credential
 * it already verified, next to a no-op baseline (an empty function called
 * through a pointer), measured in one process run:
 *
 *   baseline          the empty call
 *   bearer            extension:bearer_token_auth, {token: ...} (shared)
 *   basic_cached      extension:basic_auth, an inline htpasswd user with a
 *                     SHA-512 crypt hash (default rounds), the credential
 *                     in the cache (local)
 *   basic_miss_first  the first call of that instance: one cache miss
 *   basic_miss        the same user with cache_ttl: 0 (every call hashes)
 *   oidc_cached       extension:oidc_auth, an RS256 token of an issuer
 *                     served here (discovery and JWKS), the token in the
 *                     per-core cache (shared)
 *   oidc_full         the same with cache_size: 0 (every call verifies the
 *                     signature and the claims)
 *
 * The instances are built and started through the extension manager as
 * the runtime does (tests/unit/extensions/ext_fixture.h), then the
 * capability's ops are called directly with a gRPC request carrying
 * content-type, te, user-agent and authorization. Each case makes `calls`
 * calls per round (a smaller count for the slow cases) in `rounds` rounds
 * and prints the median in ns per call:
 *
 *     auth_bench [calls] [rounds]
 */
#include <crypt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "config/model.h"
#include "bench_time.h"
#include "df/capabilities/auth_check.h"
#include "extension/manager.h"
#include "tests/support/test_http_server.h"
#include "tests/support/test_jwt.h"
#include "tests/support/test_loop.h"

#define PIPELINE_FMT                                                                               \
    "version: otel_dataflow/v1\n"                                                                  \
    "groups:\n  g:\n    pipelines:\n      p:\n"                                                    \
    "        extensions:\n"                                                                        \
    "          auth: {type: '%s', config: %s}\n"                                                   \
    "        nodes:\n"                                                                             \
    "          gen: {type: 'urn:test:receiver:gen'}\n"                                             \
    "          sink: {type: 'urn:test:exporter:sink'}\n"                                           \
    "        connections: [{from: gen, to: sink}]\n"

static _Noreturn void die(const char *what, const char *why)
{
    fprintf(stderr, "auth_bench: %s: %s\n", what, why ? why : "failed");
    exit(1);
}

/* ---- an instance, driven as the runtime drives it ------------------------------ */

struct inst {
    struct df_config *cfg;
    uv_loop_t loop;
    struct df_ext_set set;
    struct df_extension *x;
    void *self; /* core slot 0 */
    const struct df_auth_check_ops *ops;
};

/* Turns the loop until `cond` holds or 10 s passed. */
#define RUN_UNTIL(in, cond) TEST_RUN_UNTIL_NS(&(in)->loop, cond, 10000000000ull)

/* Parses the pipeline with extension `auth` of `type` and `config`, builds
 * the set (shared: slot 0 attached; local: core 0's), starts it and waits
 * until it is ready. */
static void inst_start(struct inst *in, const char *type, const char *config,
                       enum df_exec_model model)
{
    char yaml[4096];
    snprintf(yaml, sizeof yaml, PIPELINE_FMT, type, config);
    memset(in, 0, sizeof *in);
    struct df_diags d;
    memset(&d, 0, sizeof d);
    if (!(in->cfg = df_config_parse("bench.yaml", yaml, strlen(yaml), &d))) {
        df_diags_print(&d, stderr);
        die(type, "config rejected");
    }
    const struct df_group_cfg *g = DF_MAP_AT(in->cfg->groups, struct df_group_cfg, 0);
    const struct df_pipeline_cfg *p = DF_MAP_AT(g->pipelines, struct df_pipeline_cfg, 0);
    uv_loop_init(&in->loop);
    bool shared = model == DF_EXEC_SHARED;
    if (df_ext_set_build(&in->set, "g", "p", p, model, shared ? -1 : 0, shared ? 1 : 0, &in->loop,
                         NULL, NULL))
        die(type, in->set.error);
    if (!(in->x = df_ext_set_find(&in->set, "auth")))
        die(type, "no instance");
    struct df_error err = {0};
    if (shared && df_ext_set_attach(&in->set, 0, 0, &err))
        die(type, "attach");
    in->self = df_ext_self(in->x, 0);
    in->ops = df_extension_capability(in->x->desc, DF_AUTH_CHECK_NAME)->ops;
    if (df_ext_set_start(&in->set))
        die(type, in->set.error);
    if (!RUN_UNTIL(in, df_ext_set_ready(&in->set) || in->set.failed) || in->set.failed)
        die(type, in->set.failed ? in->set.error : "not ready");
}

static void inst_finish(struct inst *in)
{
    if (in->set.model == DF_EXEC_SHARED)
        df_ext_set_detach(&in->set, 0);
    df_ext_set_stop(&in->set, 1000000000ull);
    RUN_UNTIL(in, df_ext_set_stopped(&in->set));
    df_ext_set_close(&in->set);
    uv_run(&in->loop, UV_RUN_DEFAULT);
    df_ext_set_destroy(&in->set);
    df_ext_set_free(&in->set);
    uv_loop_close(&in->loop);
    df_config_free(in->cfg);
}

/* ---- timing ------------------------------------------------------------------ */

static struct df_auth_header headers[4] = {
    {"content-type", 12, "application/grpc", 16},
    {"te", 2, "trailers", 8},
    {"user-agent", 10, "OTel-OTLP-Exporter-Go/1.28.0 grpc-go/1.66.0", 43},
    {"authorization", 13, NULL, 0},
};
static const struct df_auth_request request = {
    .transport = DF_AUTH_GRPC,
    .method = "POST",
    .path = "/opentelemetry.proto.collector.logs.v1.LogsService/Export",
    .headers = headers,
    .nheaders = 4,
};

static char auth_value[8192];

static void set_authorization(const char *scheme, const char *credential)
{
    snprintf(auth_value, sizeof auth_value, "%s %s", scheme, credential);
    headers[3].value = auth_value;
    headers[3].value_len = strlen(auth_value);
}

/* One call, as df_auth_check_call prepares the result; dies unless it
 * allows. Returns its time in ns. */
static double check_once(const char *name, const struct df_auth_check_ops *ops, void *self)
{
    struct df_auth_result out = {.decision = DF_AUTH_ERROR, .reason = DF_AUTH_MISSING_CREDENTIAL};
    double t0 = now_ns();
    enum df_auth_decision d = ops->check(self, &request, &out);
    double t1 = now_ns();
    if (d != DF_AUTH_ALLOW)
        die(name, out.detail[0] ? out.detail : "denied");
    return t1 - t0;
}

static int rounds = 7;

/* `calls` calls per round, `rounds` rounds; prints the median. */
static void bench(const char *name, const struct df_auth_check_ops *ops, void *self, long calls)
{
    check_once(name, ops, self); /* allowed, and warm */
    double t[64];
    unsigned long allowed = 0;
    for (int r = 0; r < rounds; r++) {
        struct df_auth_result out;
        double t0 = now_ns();
        for (long i = 0; i < calls; i++) {
            out.decision = DF_AUTH_ERROR;
            out.reason = DF_AUTH_MISSING_CREDENTIAL;
            out.identity = NULL;
            out.detail[0] = 0;
            out.challenge = NULL;
            allowed += ops->check(self, &request, &out) == DF_AUTH_ALLOW;
            __asm__ volatile("" ::: "memory");
        }
        t[r] = (now_ns() - t0) / (double)calls;
    }
    if (allowed != (unsigned long)calls * (unsigned long)rounds)
        die(name, "a call was not allowed");
    printf("%-18s %.2f ns/call\n", name, median(t, rounds));
    fflush(stdout);
}

/* Starts an instance of `type` with the config made by printf from `fmt`,
 * times `calls` calls as case `name` (after timing its first call as case
 * `first` when that is not NULL) and finishes it. */
static void bench_instance(const char *name, const char *first, const char *type,
                           enum df_exec_model model, long calls, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static void bench_instance(const char *name, const char *first, const char *type,
                           enum df_exec_model model, long calls, const char *fmt, ...)
{
    char cfg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cfg, sizeof cfg, fmt, ap);
    va_end(ap);
    struct inst in;
    inst_start(&in, type, cfg, model);
    if (first)
        printf("%-18s %.2f ns/call\n", first, check_once(first, in.ops, in.self));
    bench(name, in.ops, in.self, calls);
    inst_finish(&in);
}

/* ---- the baseline ------------------------------------------------------------- */

__attribute__((noinline)) static enum df_auth_decision
empty_check(void *self, const struct df_auth_request *req, struct df_auth_result *out)
{
    (void)self;
    (void)req;
    return out->decision = DF_AUTH_ALLOW;
}

static const struct df_auth_check_ops empty_ops = {.check = empty_check};

/* ---- the issuer --------------------------------------------------------------- */

static char issuer[64];
static char *jwks_doc;

static void handle(void *ud, const struct df_http1_request *req, struct df_http1_response *res)
{
    (void)ud;
    if (!strcmp(req->path, "/.well-known/openid-configuration"))
        df_http1_response_text(res, 200, "application/json",
                               "{\"issuer\":\"%s\",\"jwks_uri\":\"%s/jwks\","
                               "\"id_token_signing_alg_values_supported\":[\"RS256\"]}",
                               issuer, issuer);
    else if (!strcmp(req->path, "/jwks"))
        df_http1_response_text(res, 200, "application/json", "%s", jwks_doc);
    else
        df_http1_response_text(res, 404, "text/plain", "no %s here", req->path);
}

/* ---- the cases ------------------------------------------------------------------ */

static void bench_bearer(long calls)
{
    static const char tok[] = "2f6c1d0b9e8a4c3b7f5e1a2d4c6b8a0e9f7d5c3b";
    set_authorization("Bearer", tok);
    bench_instance("bearer", NULL, "extension:bearer_token_auth", DF_EXEC_SHARED, calls,
                   "{token: '%s'}", tok);
}

static void bench_basic(long calls)
{
    char setting[CRYPT_GENSALT_OUTPUT_SIZE];
    struct crypt_data cd;
    memset(&cd, 0, sizeof cd);
    if (!crypt_gensalt_rn("$6$", 0, NULL, 0, setting, sizeof setting))
        die("crypt_gensalt_rn", NULL);
    const char *hash = crypt_rn("s3cret-pass", setting, &cd, sizeof cd);
    if (!hash || hash[0] == '*')
        die("crypt_rn", NULL);
    char cred[64];
    static const unsigned char userpass[] = "alice:s3cret-pass";
    EVP_EncodeBlock((unsigned char *)cred, userpass, (int)sizeof userpass - 1);
    set_authorization("Basic", cred);

    bench_instance("basic_cached", "basic_miss_first", "extension:basic_auth", DF_EXEC_LOCAL, calls,
                   "{htpasswd: {inline: 'alice:%s'}}", hash);
    bench_instance("basic_miss", NULL, "extension:basic_auth", DF_EXEC_LOCAL, calls / 20000 + 1,
                   "{htpasswd: {inline: 'alice:%s'}, cache_ttl: 0}", hash);
}

static void bench_oidc(long calls)
{
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    if (!k)
        die("RSA key", NULL);
    jwks_doc = test_jwks(test_jwk(k, "r1", "RS256", "sig"), NULL, NULL);
    struct test_http_server *srv = test_http_server_start(handle, NULL);
    if (!srv)
        die("issuer", NULL);
    snprintf(issuer, sizeof issuer, "http://127.0.0.1:%d", test_http_server_port(srv));
    char payload[512];
    long now = (long)time(NULL);
    snprintf(payload, sizeof payload,
             "{\"iss\":\"%s\",\"aud\":\"otel\",\"sub\":\"bench\",\"exp\":%ld,\"iat\":%ld}", issuer,
             now + 3600, now);
    char *tok = test_jwt_token("RS256", k, "r1", payload);
    set_authorization("Bearer", tok);

    bench_instance("oidc_cached", NULL, "extension:oidc_auth", DF_EXEC_SHARED, calls,
                   "{issuer_url: '%s', audience: otel}", issuer);
    bench_instance("oidc_full", NULL, "extension:oidc_auth", DF_EXEC_SHARED, calls / 500 + 1,
                   "{issuer_url: '%s', audience: otel, cache_size: 0}", issuer);

    test_http_server_stop(srv);
    free(tok);
    free(jwks_doc);
    EVP_PKEY_free(k);
}

int main(int argc, char **argv)
{
    long calls = argc > 1 ? atol(argv[1]) : 2000000;
    rounds = argc > 2 ? atoi(argv[2]) : 7;
    if (calls <= 0 || rounds <= 0 || rounds > 64)
        return 2;
    signal(SIGPIPE, SIG_IGN);
    printf("calls per round: %ld (basic_miss /20000, oidc_full /500), rounds: %d (medians)\n",
           calls, rounds);
    set_authorization("Bearer", "x");
    bench("baseline", &empty_ops, NULL, calls * 10);
    bench_bearer(calls);
    bench_basic(calls);
    bench_oidc(calls);
    return 0;
}
