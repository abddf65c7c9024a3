/* extensions/oauth2_client_auth/config.c — extension:oauth2_client_auth's
 * options and their cross-field rules: token_url is an absolute http or
 * https URL; exactly one of client_secret and client_secret_file; the retry
 * backoff's first interval is not above its longest; scopes are RFC 6749
 * scope-tokens; endpoint_params do not set the fields the extension sends.
 * Messages never quote the secret. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "extensions/common/fetch_config.h"
#include "extensions/oauth2_client_auth/oauth2_client_auth.h"

static const char *const auth_styles[] = {"basic", "post", NULL};

static void at_key(const struct df_value *src, const char *path, const char *key,
                   const struct df_mark **mark, char *p, size_t n)
{
    const struct df_value *v = src ? df_value_get(src, key) : NULL;
    *mark = v ? &v->mark : (src ? &src->mark : NULL);
    snprintf(p, n, "%s.%s", path, key);
}

static bool url_ok(const char *u)
{
    const char *rest = ext_http_url_rest(u);
    if (!rest || !*rest || *rest == '/' || *rest == ':' || *rest == '?' || *rest == '#')
        return false;
    for (const char *c = u; *c; c++) {
        if ((unsigned char)*c <= 0x20 || (unsigned char)*c >= 0x7f)
            return false;
    }
    return true;
}

static int check(void *obj, const struct df_value *src, const char *path, struct df_diags *d)
{
    const struct o2c_config *c = obj;
    const struct df_mark *m;
    char p[DF_ERROR_PATH_MAX];
    int rc = 0;
    if (!url_ok(c->token_url)) {
        at_key(src, path, "token_url", &m, p, sizeof p);
        df_diags_add(d, m, p, "token_url '%s' is not an http:// or https:// URL with a host",
                     c->token_url);
        df_diags_hint(d, "like https://auth.example.com/oauth2/token");
        rc = DF_EINVAL;
    }
    if (!*c->client_id) {
        at_key(src, path, "client_id", &m, p, sizeof p);
        df_diags_add(d, m, p, "client_id must not be empty");
        rc = DF_EINVAL;
    }
    if (c->client_secret && c->client_secret_file) {
        at_key(src, path, "client_secret_file", &m, p, sizeof p);
        df_diags_add(d, m, p, "client_secret and client_secret_file exclude each other");
        df_diags_hint(d, "keep one; a file is read again before each token request");
        rc = DF_EINVAL;
    } else if (!c->client_secret && !c->client_secret_file) {
        df_diags_add(d, src ? &src->mark : NULL, path, "no client secret is configured");
        df_diags_hint(d, "set client_secret (like ${env:CLIENT_SECRET}) or client_secret_file");
        rc = DF_EINVAL;
    } else if (c->client_secret && !*c->client_secret) {
        at_key(src, path, "client_secret", &m, p, sizeof p);
        df_diags_add(d, m, p, "client_secret must not be empty");
        rc = DF_EINVAL;
    }
    if (c->retry_initial > c->retry_max) {
        at_key(src, path, "retry_initial_interval", &m, p, sizeof p);
        df_diags_add(d, m, p, "retry_initial_interval is longer than retry_max_interval");
        rc = DF_EINVAL;
    }
    for (size_t i = 0; i < c->scopes.count; i++) {
        const char *s = *DF_LIST_AT(c->scopes, const char *, i);
        if (!*s || strpbrk(s, " \"\\")) {
            at_key(src, path, "scopes", &m, p, sizeof p);
            df_diags_add(d, m, p, "scope '%s' is empty or holds a space, '\"' or '\\'", s);
            df_diags_hint(d, "one scope per list item (RFC 6749 §3.3 scope-token)");
            rc = DF_EINVAL;
        }
    }
    static const char *const reserved[] = {"grant_type", "client_id", "client_secret", "scope"};
    for (size_t i = 0; i < c->endpoint_params.count; i++) {
        for (size_t k = 0; k < DF_COUNTOF(reserved); k++) {
            if (strcmp(c->endpoint_params.keys[i], reserved[k]))
                continue;
            at_key(src, path, "endpoint_params", &m, p, sizeof p);
            df_diags_add(d, m, p, "endpoint_params must not set '%s'", reserved[k]);
            df_diags_hint(d, "the extension sends it; scopes go under `scopes`");
            rc = DF_EINVAL;
        }
    }
    return rc;
}

static const struct df_option scope_elem = {.type = DF_OPT_STRING};
static const struct df_option param_elem = {.type = DF_OPT_STRING};

static const struct df_option opts[] = {
    {.name = "token_url",
     .type = DF_OPT_STRING,
     .flags = DF_OPT_REQUIRED,
     .offset = offsetof(struct o2c_config, token_url),
     .desc = "the token endpoint: an http:// or https:// URL"},
    {.name = "client_id",
     .type = DF_OPT_STRING,
     .flags = DF_OPT_REQUIRED,
     .offset = offsetof(struct o2c_config, client_id),
     .desc = "the client identifier"},
    {.name = "client_secret",
     .type = DF_OPT_STRING,
     .offset = offsetof(struct o2c_config, client_secret),
     .desc = "the client secret (use ${env:NAME}); excludes `client_secret_file`"},
    {.name = "client_secret_file",
     .type = DF_OPT_PATH,
     .flags = DF_OPT_MUST_EXIST,
     .offset = offsetof(struct o2c_config, client_secret_file),
     .desc = "a file holding the client secret (surrounding whitespace ignored), read again "
             "before each token request; excludes `client_secret`"},
    {.name = "scopes",
     .type = DF_OPT_LIST,
     .flags = DF_OPT_BOUNDED,
     .min = 0,
     .max = 64,
     .elem = &scope_elem,
     .offset = offsetof(struct o2c_config, scopes),
     .desc = "scopes requested, sent space-separated as `scope` (none: no `scope`)"},
    {.name = "endpoint_params",
     .type = DF_OPT_MAP,
     .flags = DF_OPT_BOUNDED,
     .min = 0,
     .max = 64,
     .elem = &param_elem,
     .offset = offsetof(struct o2c_config, endpoint_params),
     .desc = "further form fields of the token request (like `audience`)"},
    {.name = "auth_style",
     .type = DF_OPT_ENUM,
     .def = "basic",
     .enums = auth_styles,
     .offset = offsetof(struct o2c_config, auth_style),
     .desc = "how the client authenticates: `basic` (HTTP Basic, RFC 6749 §2.3.1) or `post` "
             "(client_id and client_secret in the form)"},
    {.name = "timeout",
     .type = DF_OPT_DURATION,
     .flags = DF_OPT_BOUNDED,
     .min = 100000000LL,   /* 100ms */
     .max = 60000000000LL, /* 1m */
     .def = "10s",
     .offset = offsetof(struct o2c_config, timeout),
     .desc = "the longest a token request may take"},
    {.name = "expiry_buffer",
     .type = DF_OPT_DURATION,
     .flags = DF_OPT_BOUNDED,
     .min = 0,
     .max = 3600000000000LL, /* 1h */
     .def = "30s",
     .offset = offsetof(struct o2c_config, expiry_buffer),
     .desc = "a new token is requested this long before the current one expires (at most half "
             "its lifetime)"},
    {.name = "retry_initial_interval",
     .type = DF_OPT_DURATION,
     .flags = DF_OPT_BOUNDED,
     .min = 10000000LL,     /* 10ms */
     .max = 600000000000LL, /* 10m */
     .def = "1s",
     .offset = offsetof(struct o2c_config, retry_initial),
     .desc = "the wait after a failed token request; doubled after each further failure"},
    {.name = "retry_max_interval",
     .type = DF_OPT_DURATION,
     .flags = DF_OPT_BOUNDED,
     .min = 10000000LL,      /* 10ms */
     .max = 3600000000000LL, /* 1h */
     .def = "1m",
     .offset = offsetof(struct o2c_config, retry_max),
     .desc = "the longest wait between failed token requests"},
    {.name = "tls",
     .type = DF_OPT_TABLE,
     .table = &ext_tls_table,
     .offset = offsetof(struct o2c_config, tls),
     .desc = "TLS towards an https token_url"},
};

const struct df_option_table o2c_table = {
    .name = "struct o2c_config",
    .size = sizeof(struct o2c_config),
    .options = opts,
    .count = DF_COUNTOF(opts),
    .check = check,
    .desc = "extension:oauth2_client_auth options.",
};
