/* libFuzzer target: extension:bearer_token_auth's auth_check on arbitrary
 * request headers, with a fixed config (three inline tokens, run through
 * the extension manager as the runtime does). The input is split at '\n'
 * into up to 8 headers: `name:value`, or a bare value for `authorization`.
 * Beyond crashes and sanitizer reports it checks each decision against a
 * plain re-implementation of the rules: allow exactly when there is one
 * authorization header whose value, without surrounding spaces and tabs,
 * is `bearer` (any case), one or more spaces and a configured token — then
 * with that token's subject; otherwise deny, with the challenge, no
 * identity, and a detail that names no token. Never error (nothing is
 * loaded from files). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/model.h"
#include "df/capabilities/auth_check.h"
#include "extension/manager.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const tokens[] = {"alpha-token", "b3ta/t0ken+==", "gamma.token~_"};
static const char *const subjects[] = {"bearer", "ci", "bearer-1"};

static const char config[] =
    "version: otel_dataflow/v1\n"
    "groups:\n"
    "  g:\n"
    "    pipelines:\n"
    "      p:\n"
    "        extensions:\n"
    "          auth:\n"
    "            type: extension:bearer_token_auth\n"
    "            config:\n"
    "              token: alpha-token\n"
    "              tokens: [{token: 'b3ta/t0ken+==', subject: ci}, {token: gamma.token~_}]\n"
    "        nodes:\n"
    "          gen: {type: 'urn:test:receiver:gen'}\n"
    "          sink: {type: 'urn:test:exporter:sink'}\n"
    "        connections: [{from: gen, to: sink}]\n";

static struct {
    struct df_config *cfg;
    uv_loop_t loop;
    struct df_ext_set set;
    const struct df_auth_check_ops *ops;
    void *self;
} fx;

/* Built once; lives as long as the process. */
static void init(void)
{
    struct df_diags d = {0};
    struct df_error err = {0};
    fx.cfg = df_config_parse("fuzz.yaml", config, strlen(config), &d);
    if (!fx.cfg)
        abort();
    const struct df_group_cfg *g = DF_MAP_AT(fx.cfg->groups, struct df_group_cfg, 0);
    const struct df_pipeline_cfg *p = DF_MAP_AT(g->pipelines, struct df_pipeline_cfg, 0);
    uv_loop_init(&fx.loop);
    if (df_ext_set_build(&fx.set, "g", "p", p, DF_EXEC_SHARED, -1, 1, &fx.loop, NULL, NULL) ||
        df_ext_set_attach(&fx.set, 0, 0, &err) || df_ext_set_start(&fx.set) ||
        !df_ext_set_ready(&fx.set))
        abort();
    const struct df_extension *x = df_ext_set_find(&fx.set, "auth");
    fx.ops = df_extension_capability(x->desc, DF_AUTH_CHECK_NAME)->ops;
    fx.self = df_ext_self(x, 0);
}

static bool is_auth(const struct df_auth_header *h)
{
    static const char name[] = "authorization";
    if (h->name_len != sizeof name - 1)
        return false;
    for (size_t i = 0; i < h->name_len; i++) {
        char ch = h->name[i];
        if (ch >= 'A' && ch <= 'Z')
            ch = (char)(ch - 'A' + 'a');
        if (ch != name[i])
            return false;
    }
    return true;
}

/* The subject the rules give, or NULL for a denial. */
static const char *expected(const struct df_auth_header *h, size_t n)
{
    const struct df_auth_header *a = NULL;
    for (size_t i = 0; i < n; i++) {
        if (is_auth(&h[i])) {
            if (a)
                return NULL;
            a = &h[i];
        }
    }
    if (!a)
        return NULL;
    const char *s = a->value;
    size_t len = a->value_len;
    while (len && (*s == ' ' || *s == '\t'))
        s++, len--;
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    if (len < 7 || strncasecmp(s, "bearer ", 7))
        return NULL;
    s += 7, len -= 7;
    while (len && *s == ' ')
        s++, len--;
    for (size_t i = 0; i < 3; i++) {
        if (len == strlen(tokens[i]) && !memcmp(s, tokens[i], len))
            return subjects[i];
    }
    return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!fx.ops)
        init();
    struct df_auth_header h[8];
    size_t n = 0;
    const char *p = (const char *)data, *end = p + size;
    while (p < end && n < 8) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        const char *colon = memchr(p, ':', (size_t)(eol - p));
        if (colon)
            h[n++] = (struct df_auth_header){p, (size_t)(colon - p), colon + 1,
                                             (size_t)(eol - colon - 1)};
        else
            h[n++] = (struct df_auth_header){"authorization", 13, p, (size_t)(eol - p)};
        p = eol + 1;
    }
    struct df_auth_request req = {
        .transport = DF_AUTH_GRPC, .method = "POST", .path = "/", .headers = h, .nheaders = n};
    struct df_auth_result out;
    memset(&out, 0, sizeof out);
    enum df_auth_decision d = fx.ops->check(fx.self, &req, &out);
    const char *want = expected(h, n);
    if (d != out.decision || memchr(out.detail, 0, sizeof out.detail) == NULL)
        abort();
    for (size_t i = 0; i < 3; i++) {
        if (strstr(out.detail, tokens[i]))
            abort();
    }
    if (want) {
        if (d != DF_AUTH_ALLOW || !out.identity || strcmp(out.identity->subject, want) ||
            strcmp(out.identity->provider, "auth"))
            abort();
    } else if (d != DF_AUTH_DENY || out.identity || !out.challenge ||
               strcmp(out.challenge, "Bearer") ||
               (out.reason != DF_AUTH_MISSING_CREDENTIAL &&
                out.reason != DF_AUTH_INVALID_CREDENTIAL)) {
        abort();
    }
    return 0;
}
