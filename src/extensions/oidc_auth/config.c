/* extensions/oidc_auth/config.c — extension:oidc_auth's options and their
 * cross-field rules: one issuer at the top level or a list under `issuers`
 * (not both); every issuer has an http(s) `issuer_url` and an `audience`,
 * an optional http(s) `jwks_uri` (which skips discovery), and non-empty
 * claim names; no issuer is listed twice (a token's `iss` picks one). */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "extensions/common/fetch_config.h"
#include "extensions/oidc_auth/oidc_auth.h"

static const struct df_option string_elem = {.type = DF_OPT_STRING};

/* The per-issuer keys, over struct T's issuer fields at `base`. */
#define ISSUER_OPTS(T, base)                                                                       \
    {.name = "issuer_url",                                                                         \
     .type = DF_OPT_STRING,                                                                        \
     .offset = offsetof(T, base issuer_url),                                                       \
     .desc = "the issuer: tokens' `iss` must equal it; its keys are found at "                     \
             "<issuer_url>/.well-known/openid-configuration unless jwks_uri is set"},              \
        {.name = "jwks_uri",                                                                       \
         .type = DF_OPT_STRING,                                                                    \
         .offset = offsetof(T, base jwks_uri),                                                     \
         .desc = "the issuer's JWKS URL, skipping discovery"},                                     \
        {.name = "audience",                                                                       \
         .type = DF_OPT_STRING,                                                                    \
         .offset = offsetof(T, base audience),                                                     \
         .desc = "required: tokens' `aud` (a string or an array) must contain it"},                \
        {.name = "username_claim",                                                                 \
         .type = DF_OPT_STRING,                                                                    \
         .def = "sub",                                                                             \
         .offset = offsetof(T, base username_claim),                                               \
         .desc = "the claim (a string) that becomes the identity's subject"},                      \
        {.name = "groups_claim",                                                                   \
         .type = DF_OPT_STRING,                                                                    \
         .offset = offsetof(T, base groups_claim),                                                 \
         .desc = "a claim (a string or an array of strings) copied, comma-joined, into the "       \
                 "identity attribute of the same name"},                                           \
    {                                                                                              \
        .name = "claims", .type = DF_OPT_LIST, .flags = DF_OPT_BOUNDED | DF_OPT_ONE_OR_MANY,       \
        .min = 0, .max = OIDC_CLAIMS_MAX, .elem = &string_elem,                                    \
        .offset = offsetof(T, base claims),                                                        \
        .desc = "further claims copied into identity attributes of the same name (strings as "     \
                "they are, other values as compact JSON; absent claims are left out)"              \
    }

static bool is_http_url(const char *s)
{
    const char *rest = ext_http_url_rest(s);
    return rest && *rest;
}

/* The value at `key` of `src` (a mapping), for marks. */
static const struct df_value *at_key(const struct df_value *src, const char *key)
{
    return src ? df_value_get(src, key) : NULL;
}

static int bad(const struct df_value *src, const char *path, const char *key, struct df_diags *d,
               const char *msg, const char *hint)
{
    const struct df_value *v = key ? at_key(src, key) : NULL;
    char p[DF_ERROR_PATH_MAX];
    if (key)
        snprintf(p, sizeof p, "%s.%s", path, key);
    else
        snprintf(p, sizeof p, "%s", path);
    df_diags_add(d, v ? &v->mark : (src ? &src->mark : NULL), p, "%s", msg);
    if (hint)
        df_diags_hint(d, "%s", hint);
    return DF_EINVAL;
}

static int check_issuer(const struct oidc_issuer_config *c, const struct df_value *src,
                        const char *path, struct df_diags *d)
{
    int rc = 0;
    if (!c->issuer_url)
        rc = bad(src, path, NULL, d, "issuer_url is required",
                 "like issuer_url: https://login.example.com/realms/otel");
    else if (!is_http_url(c->issuer_url))
        rc = bad(src, path, "issuer_url", d, "issuer_url is not an http(s) URL", NULL);
    if (c->jwks_uri && !is_http_url(c->jwks_uri))
        rc = bad(src, path, "jwks_uri", d, "jwks_uri is not an http(s) URL", NULL);
    if (!c->audience || !*c->audience)
        rc = bad(src, path, c->audience ? "audience" : NULL, d, "audience is required",
                 "the value your issuer puts in the tokens' `aud` for this collector");
    if (!*c->username_claim)
        rc = bad(src, path, "username_claim", d, "username_claim must not be empty", NULL);
    if (c->groups_claim && !*c->groups_claim)
        rc = bad(src, path, "groups_claim", d, "groups_claim must not be empty", NULL);
    for (size_t i = 0; i < c->claims.count; i++) {
        if (!**DF_LIST_AT(c->claims, const char *, i))
            rc = bad(src, path, "claims", d, "a claim name must not be empty", NULL);
    }
    return rc;
}

static int check_entry(void *obj, const struct df_value *src, const char *path, struct df_diags *d)
{
    return check_issuer(obj, src, path, d);
}

static const struct df_option entry_opts[] = {ISSUER_OPTS(struct oidc_issuer_config, )};

static const struct df_option_table entry_table = {
    .name = "struct oidc_issuer_config",
    .size = sizeof(struct oidc_issuer_config),
    .options = entry_opts,
    .count = DF_COUNTOF(entry_opts),
    .check = check_entry,
    .desc = "One trusted issuer.",
};

static const struct df_option entry_elem = {.type = DF_OPT_TABLE, .table = &entry_table};

static int check(void *obj, const struct df_value *src, const char *path, struct df_diags *d)
{
    const struct oidc_config *c = obj;
    const struct oidc_issuer_config *s = &c->single;
    bool top = s->issuer_url || s->jwks_uri || s->audience || s->groups_claim || s->claims.count;
    if (c->issuers.count) {
        if (top)
            return bad(src, path, "issuers", d,
                       "issuers and a top-level issuer_url/audience exclude each other",
                       "list every issuer under `issuers`");
        int rc = 0;
        for (size_t i = 1; i < c->issuers.count; i++) {
            const char *url = DF_LIST_AT(c->issuers, struct oidc_issuer_config, i)->issuer_url;
            for (size_t j = 0; j < i; j++) {
                if (!strcmp(url, DF_LIST_AT(c->issuers, struct oidc_issuer_config, j)->issuer_url))
                    rc = bad(src, path, "issuers", d, "an issuer_url is listed twice",
                             "a token's `iss` selects one issuer");
            }
        }
        return rc;
    }
    return check_issuer(s, src, path, d);
}

static const struct df_option opts[] = {
    ISSUER_OPTS(struct oidc_config, single.),
    {.name = "issuers",
     .type = DF_OPT_LIST,
     .flags = DF_OPT_BOUNDED,
     .min = 1,
     .max = OIDC_ISSUERS_MAX,
     .elem = &entry_elem,
     .offset = offsetof(struct oidc_config, issuers),
     .desc = "several trusted issuers, each {issuer_url, jwks_uri, audience, username_claim, "
             "groups_claim, claims}; a token's `iss` selects one. Excludes the top-level form"},
    {.name = "clock_skew",
     .type = DF_OPT_DURATION,
     .flags = DF_OPT_BOUNDED,
     .min = 0,
     .max = 600000000000LL,
     .def = "1m",
     .offset = offsetof(struct oidc_config, clock_skew),
     .desc = "tolerance when checking exp, nbf and iat against this host's clock"},
    {.name = "jwks_refresh_interval",
     .type = DF_OPT_DURATION,
     .flags = DF_OPT_BOUNDED,
     .min = 1000000000,
     .max = 7 * 86400000000000LL,
     .def = "1h",
     .offset = offsetof(struct oidc_config, jwks_refresh_interval),
     .desc = "how often each issuer's keys are fetched again (discovery, then JWKS)"},
    {.name = "jwks_min_refresh_interval",
     .type = DF_OPT_DURATION,
     .flags = DF_OPT_BOUNDED,
     .min = 100000000,
     .max = 86400000000000LL,
     .def = "30s",
     .offset = offsetof(struct oidc_config, jwks_min_refresh_interval),
     .desc = "the least time between two fetches of an issuer's keys, whatever tokens with "
             "unknown kids arrive (each asks for a refresh)"},
    {.name = "fetch_timeout",
     .type = DF_OPT_DURATION,
     .flags = DF_OPT_BOUNDED,
     .min = 100000000,
     .max = 300000000000LL,
     .def = "10s",
     .offset = offsetof(struct oidc_config, fetch_timeout),
     .desc = "the longest a discovery or JWKS request may take"},
    {.name = "max_identities",
     .type = DF_OPT_INT,
     .flags = DF_OPT_BOUNDED,
     .min = 1,
     .max = 10000000,
     .def = "100000",
     .offset = offsetof(struct oidc_config, max_identities),
     .desc = "distinct identities kept per core (they live as long as the instance); beyond, "
             "requests with a new identity fail closed (503)"},
    {.name = "cache_size",
     .type = DF_OPT_INT,
     .flags = DF_OPT_BOUNDED,
     .min = 0,
     .max = 1048576,
     .def = "4096",
     .offset = offsetof(struct oidc_config, cache_size),
     .desc = "verified tokens remembered per core (by SHA-256) until they expire; 0 = none"},
    {.name = "tls",
     .type = DF_OPT_TABLE,
     .table = &ext_tls_table,
     .offset = offsetof(struct oidc_config, tls),
     .desc = "TLS of the discovery and JWKS requests"},
};

const struct df_option_table oidc_table = {
    .name = "struct oidc_config",
    .size = sizeof(struct oidc_config),
    .options = opts,
    .count = DF_COUNTOF(opts),
    .check = check,
    .desc = "extension:oidc_auth options.",
};
