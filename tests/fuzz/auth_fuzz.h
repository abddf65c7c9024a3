/* What the auth_check fuzz targets share: an extension instance built once
 * from a config (through the extension manager, as the runtime does),
 * request headers cut from the fuzz input, and the checks every decision
 * must pass. Included by one target each; everything is static. */
#ifndef DF_FUZZ_AUTH_FUZZ_H
#define DF_FUZZ_AUTH_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/model.h"
#include "df/capabilities/auth_check.h"
#include "extension/manager.h"

#define AUTH_FUZZ_HEADERS 8

/* A config of one pipeline whose only extension is `auth` of `type` with
 * `config` (block YAML lines indented 14 spaces), beside test nodes that do
 * not bind it: a string literal for auth_fuzz_init (or a printf format). */
#define AUTH_FUZZ_CONFIG(type, config)                                                             \
    "version: otel_dataflow/v1\n"                                                                  \
    "groups:\n"                                                                                    \
    "  g:\n"                                                                                       \
    "    pipelines:\n"                                                                             \
    "      p:\n"                                                                                   \
    "        extensions:\n"                                                                        \
    "          auth:\n"                                                                            \
    "            type: " type "\n"                                                                 \
    "            config:\n" config "        nodes:\n"                                              \
    "          gen: {type: 'urn:test:receiver:gen'}\n"                                             \
    "          sink: {type: 'urn:test:exporter:sink'}\n"                                           \
    "        connections: [{from: gen, to: sink}]\n"

static struct {
    struct df_config *cfg;
    uv_loop_t loop;
    struct df_ext_set set;
    const struct df_auth_check_ops *ops;
    void *self;
} fx;

/* Builds, attaches (shared) and starts the set of `model` of the config's
 * first pipeline, and finds its instance `auth`; aborts on failure. Lives
 * as long as the process. */
static void auth_fuzz_init(const char *config, enum df_exec_model model)
{
    struct df_diags d = {0};
    struct df_error err = {0};
    fx.cfg = df_config_parse("fuzz.yaml", config, strlen(config), &d);
    if (!fx.cfg) {
        df_diags_print(&d, stderr);
        abort();
    }
    const struct df_group_cfg *g = DF_MAP_AT(fx.cfg->groups, struct df_group_cfg, 0);
    const struct df_pipeline_cfg *p = DF_MAP_AT(g->pipelines, struct df_pipeline_cfg, 0);
    uv_loop_init(&fx.loop);
    bool shared = model == DF_EXEC_SHARED;
    if (df_ext_set_build(&fx.set, "g", "p", p, model, shared ? -1 : 0, shared, &fx.loop, NULL,
                         NULL) ||
        (shared && df_ext_set_attach(&fx.set, 0, 0, &err)) || df_ext_set_start(&fx.set) ||
        !df_ext_set_ready(&fx.set))
        abort();
    const struct df_extension *x = df_ext_set_find(&fx.set, "auth");
    fx.ops = df_extension_capability(x->desc, DF_AUTH_CHECK_NAME)->ops;
    fx.self = df_ext_self(x, 0);
}

/* Cuts p[0..size) at '\n' into up to AUTH_FUZZ_HEADERS headers:
 * `name:value`, or a bare value for `authorization`. Returns how many. */
static size_t auth_fuzz_headers(const char *p, size_t size, struct df_auth_header *h)
{
    size_t n = 0;
    const char *end = p + size;
    while (p < end && n < AUTH_FUZZ_HEADERS) {
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
    return n;
}

/* The only authorization header (any case), or NULL for none or several. */
static const struct df_auth_header *auth_fuzz_authorization(const struct df_auth_header *h,
                                                            size_t n)
{
    const struct df_auth_header *a = NULL;
    for (size_t i = 0; i < n; i++) {
        if (h[i].name_len == 13 && !strncasecmp(h[i].name, "authorization", 13)) {
            if (a)
                return NULL;
            a = &h[i];
        }
    }
    return a;
}

/* Checks the request made of h[0..n) and aborts unless: allow exactly when
 * `want` (the expected subject) is set, with that subject and provider
 * "auth"; otherwise deny for a missing or invalid credential, no identity,
 * a challenge starting with `challenge`; never error; a terminated detail
 * naming none of `secrets`. */
static void auth_fuzz_check(const struct df_auth_header *h, size_t n, const char *want,
                            const char *challenge, const char *const *secrets, size_t nsecrets)
{
    struct df_auth_request req = {
        .transport = DF_AUTH_HTTP, .method = "POST", .path = "/", .headers = h, .nheaders = n};
    struct df_auth_result out;
    memset(&out, 0, sizeof out);
    enum df_auth_decision d = fx.ops->check(fx.self, &req, &out);
    if (d != out.decision || !memchr(out.detail, 0, sizeof out.detail))
        abort();
    for (size_t i = 0; i < nsecrets; i++) {
        if (strstr(out.detail, secrets[i]))
            abort();
    }
    if (want) {
        if (d != DF_AUTH_ALLOW || !out.identity || strcmp(out.identity->subject, want) ||
            strcmp(out.identity->provider, "auth"))
            abort();
    } else if (d != DF_AUTH_DENY || out.identity || !out.challenge ||
               strncmp(out.challenge, challenge, strlen(challenge)) ||
               (out.reason != DF_AUTH_MISSING_CREDENTIAL &&
                out.reason != DF_AUTH_INVALID_CREDENTIAL)) {
        abort();
    }
}

#endif
