/* extensions/bearer_token_auth/config.c — extension:bearer_token_auth's
 * options and their cross-field rules: at least one of token, file and
 * tokens; token and file exclude each other; each tokens entry has exactly
 * one of them; no token is empty (an inline one, or a file's content), and
 * no two inline tokens are the same (which subject would they be?). Token
 * files are read once here, synchronously (config load, main thread), so
 * that an empty or unreadable file fails the load with its position; the
 * runtime reads them again. Messages never quote a token. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "extensions/bearer_token_auth/bearer_token_auth.h"
#include "extensions/common/file_read.h"
#include "net/headers.h"

const char *bta_token_check(const char *token, size_t len)
{
    if (!len)
        return "is empty";
    if (len > BTA_TOKEN_MAX)
        return "is longer than 16KiB";
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)token[i];
        if (ch < 0x21 || ch > 0x7e)
            return "holds spaces, control or non-ASCII characters (a token is visible ASCII)";
    }
    return NULL;
}

const char *bta_token_find(const char *buf, size_t len, size_t *start, size_t *tlen)
{
    ext_file_trim(buf, len, start, tlen);
    return bta_token_check(buf + *start, *tlen);
}

/* Reads the token file at `path` as the runtime will and says what is
 * wrong with it, or returns 0. */
static int check_file(const char *path, const struct df_value *v, const char *p, struct df_diags *d)
{
    char buf[BTA_TOKEN_MAX + 1];
    size_t len = 0;
    const char *err = ext_file_read_sync(path, buf, sizeof buf, &len);
    if (err && !len) {
        df_diags_add(d, v ? &v->mark : NULL, p, "cannot read '%s': %s", path, err);
        return DF_EINVAL;
    }
    size_t start, tlen;
    const char *why = err                   ? err
                      : len > BTA_TOKEN_MAX ? "it is larger than 16KiB"
                                            : bta_token_find(buf, len, &start, &tlen);
    OPENSSL_cleanse(buf, len); /* the token does not outlive the check (memset may be elided) */
    if (!why)
        return 0;
    if (err || len > BTA_TOKEN_MAX)
        df_diags_add(d, v ? &v->mark : NULL, p, "cannot use token file '%s': %s", path, why);
    else
        df_diags_add(d, v ? &v->mark : NULL, p, "the token in file '%s' %s", path, why);
    if (!err && len <= BTA_TOKEN_MAX && !tlen)
        df_diags_hint(d, "a token file holds the token (surrounding whitespace is ignored); an "
                         "empty token is never accepted");
    return DF_EINVAL;
}

/* Checks one token source: token and file exclude each other; `need` says
 * one of them is required (a tokens entry). */
static int check_source(const char *token, const char *file, bool need, const struct df_value *src,
                        const char *path, struct df_diags *d)
{
    char p[DF_ERROR_PATH_MAX];
    if (token && file) {
        const struct df_value *v = src ? df_value_get(src, "file") : NULL;
        snprintf(p, sizeof p, "%s.file", path);
        df_diags_add(d, v ? &v->mark : NULL, p, "token and file exclude each other");
        df_diags_hint(d, "keep one of them; list several tokens under `tokens`");
        return DF_EINVAL;
    }
    if (need && !token && !file) {
        df_diags_add(d, src ? &src->mark : NULL, path, "a tokens entry needs token or file");
        df_diags_hint(d, "like {token: ${env:TOKEN}, subject: ci} or {file: /run/secrets/token}");
        return DF_EINVAL;
    }
    if (token) {
        const char *why = bta_token_check(token, strlen(token));
        if (why) {
            const struct df_value *v = src ? df_value_get(src, "token") : NULL;
            snprintf(p, sizeof p, "%s.token", path);
            df_diags_add(d, v ? &v->mark : NULL, p, "the token %s", why);
            return DF_EINVAL;
        }
    }
    if (file) {
        snprintf(p, sizeof p, "%s.file", path);
        return check_file(file, src ? df_value_get(src, "file") : NULL, p, d);
    }
    return 0;
}

static int check_subject(const char *subject, const struct df_value *src, const char *path,
                         struct df_diags *d)
{
    if (subject && !*subject) {
        const struct df_value *v = src ? df_value_get(src, "subject") : NULL;
        char p[DF_ERROR_PATH_MAX];
        snprintf(p, sizeof p, "%s.subject", path);
        df_diags_add(d, v ? &v->mark : NULL, p, "the subject must not be empty");
        return DF_EINVAL;
    }
    return 0;
}

static int check_entry(void *obj, const struct df_value *src, const char *path, struct df_diags *d)
{
    const struct bta_entry_config *e = obj;
    int rc = check_source(e->token, e->file, true, src, path, d);
    if (check_subject(e->subject, src, path, d))
        rc = DF_EINVAL;
    return rc;
}

static const struct df_option entry_opts[] = {
    {.name = "token",
     .type = DF_OPT_STRING,
     .offset = offsetof(struct bta_entry_config, token),
     .desc = "the token (use ${env:NAME} rather than writing it into the file); or `file`"},
    {.name = "file",
     .type = DF_OPT_PATH,
     .offset = offsetof(struct bta_entry_config, file),
     .desc = "a file holding the token (surrounding whitespace ignored), reloaded when it "
             "changes; or `token`"},
    {.name = "subject",
     .type = DF_OPT_STRING,
     .offset = offsetof(struct bta_entry_config, subject),
     .desc = "the identity's subject for requests with this token (default: \"bearer-<index>\")"},
};

static const struct df_option_table entry_table = {
    .name = "struct bta_entry_config",
    .size = sizeof(struct bta_entry_config),
    .options = entry_opts,
    .count = DF_COUNTOF(entry_opts),
    .check = check_entry,
    .desc = "One accepted token and who sends it.",
};

static const struct df_option entry_elem = {.type = DF_OPT_TABLE, .table = &entry_table};

/* An RFC 9110 token (scheme, header name), or an error at key `key`. */
static int check_tchars(const char *s, const char *key, const char *example,
                        const struct df_value *src, const char *path, struct df_diags *d)
{
    const char *q = s;
    while (*q && df_http_tchar((unsigned char)*q))
        q++;
    if (*s && !*q)
        return 0;
    const struct df_value *v = src ? df_value_get(src, key) : NULL;
    char p[DF_ERROR_PATH_MAX];
    snprintf(p, sizeof p, "%s.%s", path, key);
    df_diags_add(d, v ? &v->mark : NULL, p, "'%s' is not an HTTP token", s);
    df_diags_hint(d, "letters, digits and !#$%%&'*+-.^_`|~, like %s", example);
    return DF_EINVAL;
}

static int check(void *obj, const struct df_value *src, const char *path, struct df_diags *d)
{
    const struct bta_config *c = obj;
    int rc = 0;
    if (!c->token && !c->file && !c->tokens.count) {
        df_diags_add(d, src ? &src->mark : NULL, path, "no token is configured");
        df_diags_hint(d, "set token, file, or tokens: [{token | file, subject}]");
        return DF_EINVAL;
    }
    if (check_source(c->token, c->file, false, src, path, d))
        rc = DF_EINVAL;
    if (c->has_subject && !c->token && !c->file) {
        const struct df_value *v = src ? df_value_get(src, "subject") : NULL;
        char p[DF_ERROR_PATH_MAX];
        snprintf(p, sizeof p, "%s.subject", path);
        df_diags_add(d, v ? &v->mark : NULL, p, "subject is set but token and file are not");
        df_diags_hint(d, "each tokens entry has its own subject");
        rc = DF_EINVAL;
    }
    if (check_subject(c->subject, src, path, d))
        rc = DF_EINVAL;
    if (check_tchars(c->scheme, "scheme", "Bearer", src, path, d))
        rc = DF_EINVAL;
    if (check_tchars(c->header, "header", "authorization or x-api-key", src, path, d))
        rc = DF_EINVAL;
    /* The same inline token twice: the identity of a request would depend
     * on the order. (Files may agree at some moment; the first entry wins
     * then, see the runtime.) */
    for (size_t i = 0; i < c->tokens.count; i++) {
        const struct bta_entry_config *e = DF_LIST_AT(c->tokens, struct bta_entry_config, i);
        if (!e->token)
            continue;
        const char *twin = c->token && !strcmp(c->token, e->token) ? "token" : NULL;
        char other[32];
        for (size_t j = 0; j < i && !twin; j++) {
            const struct bta_entry_config *f = DF_LIST_AT(c->tokens, struct bta_entry_config, j);
            if (f->token && !strcmp(f->token, e->token)) {
                snprintf(other, sizeof other, "tokens[%zu].token", j);
                twin = other;
            }
        }
        if (twin) {
            const struct df_value *list = src ? df_value_get(src, "tokens") : NULL;
            const struct df_value *item =
                list && list->kind == DF_VALUE_SEQ && i < list->u.seq.count ? list->u.seq.items[i]
                                                                            : NULL;
            const struct df_value *v = item ? df_value_get(item, "token") : NULL;
            char p[DF_ERROR_PATH_MAX];
            snprintf(p, sizeof p, "%s.tokens[%zu].token", path, i);
            df_diags_add(d, v ? &v->mark : NULL, p, "the same token as %s", twin);
            df_diags_hint(d, "each token identifies one subject; remove the repeated one");
            rc = DF_EINVAL;
        }
    }
    return rc;
}

static const struct df_option opts[] = {
    {.name = "token",
     .type = DF_OPT_STRING,
     .offset = offsetof(struct bta_config, token),
     .desc = "the accepted token (use ${env:NAME} rather than writing it into the file); "
             "excludes `file`"},
    {.name = "file",
     .type = DF_OPT_PATH,
     .offset = offsetof(struct bta_config, file),
     .desc = "a file holding the accepted token (surrounding whitespace ignored), reloaded "
             "when it changes (atomic rename, Kubernetes secret volume); excludes `token`"},
    {.name = "subject",
     .type = DF_OPT_STRING,
     .def = "bearer",
     .present = offsetof(struct bta_config, has_subject) + 1,
     .offset = offsetof(struct bta_config, subject),
     .desc = "the identity's subject for requests with `token` / `file`'s token"},
    {.name = "tokens",
     .type = DF_OPT_LIST,
     .flags = DF_OPT_BOUNDED,
     .min = 1,
     .max = BTA_ENTRIES_MAX,
     .elem = &entry_elem,
     .offset = offsetof(struct bta_config, tokens),
     .desc = "further accepted tokens, each with its own subject; the first one is what "
             "bearer_token_provider returns when neither token nor file is set"},
    {.name = "scheme",
     .type = DF_OPT_STRING,
     .def = "Bearer",
     .offset = offsetof(struct bta_config, scheme),
     .desc = "the authentication scheme before the token (compared case-insensitively); also "
             "the 401 challenge"},
    {.name = "header",
     .type = DF_OPT_STRING,
     .def = "authorization",
     .offset = offsetof(struct bta_config, header),
     .desc = "the request header holding `<scheme> <token>` (name compared case-insensitively)"},
    EXT_OPT_WATCH_INTERVAL(struct bta_config, watch_interval, "token files are"),
};

const struct df_option_table bta_table = {
    .name = "struct bta_config",
    .size = sizeof(struct bta_config),
    .options = opts,
    .count = DF_COUNTOF(opts),
    .check = check,
    .desc = "extension:bearer_token_auth options.",
};
