/* libFuzzer target: extension:basic_auth's parsers of outside input. The
 * first byte picks what the rest of the input is:
 *
 *   0  an htpasswd text for ba_htpasswd_parse: on success, at least one
 *      user, names sorted and unique, without ':' or control characters,
 *      each found by ba_users_find, {SHA} users verified against their
 *      digest; on failure a message naming a line, which never contains
 *      that line's hash (when it is long enough to tell);
 *   1  an Authorization value for ba_header_decode: on OK the credentials
 *      re-encode to exactly the value's token (only the canonical base64 is
 *      accepted), the user ends at the first ':', nothing is a control
 *      character;
 *   2  request headers (split at '\n' into up to 8, `name:value` or a bare
 *      authorization value) checked by a running instance (inline users,
 *      {SHA} hashes so that each run is fast, the cache on): allow exactly
 *      when there is one authorization header whose decoded credentials are
 *      a configured user's, with that user as subject; otherwise deny with
 *      the Basic challenge, never error, and no password in the detail. */
#define _GNU_SOURCE /* memmem */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "config/model.h"
#include "df/capabilities/auth_check.h"
#include "extension/manager.h"
#include "extensions/basic_auth/basic_auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* dave:dave-pw, erin:pa:ss:w */
static const char *const users[] = {"dave", "erin"};
static const char *const passwords[] = {"dave-pw", "pa:ss:w"};

static const char config[] = "version: otel_dataflow/v1\n"
                             "groups:\n"
                             "  g:\n"
                             "    pipelines:\n"
                             "      p:\n"
                             "        extensions:\n"
                             "          auth:\n"
                             "            type: extension:basic_auth\n"
                             "            config:\n"
                             "              htpasswd:\n"
                             "                inline: |\n"
                             "                  dave:{SHA}uE1+cBGmURe+4zihKsjfuHZgJbQ=\n"
                             "                  erin:{SHA}%s\n"
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

static void sha1_b64(const char *s, size_t len, char out[29])
{
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (!EVP_Digest(s, len, d, &n, EVP_sha1(), NULL) || n != 20)
        abort();
    EVP_EncodeBlock((unsigned char *)out, d, 20);
}

/* Built once; lives as long as the process. */
static void init(void)
{
    char erin[29], text[sizeof config + 32];
    sha1_b64(passwords[1], strlen(passwords[1]), erin);
    snprintf(text, sizeof text, config, erin);
    struct df_diags d = {0};
    fx.cfg = df_config_parse("fuzz.yaml", text, strlen(text), &d);
    if (!fx.cfg) {
        df_diags_print(&d, stderr);
        abort();
    }
    const struct df_group_cfg *g = DF_MAP_AT(fx.cfg->groups, struct df_group_cfg, 0);
    const struct df_pipeline_cfg *p = DF_MAP_AT(g->pipelines, struct df_pipeline_cfg, 0);
    uv_loop_init(&fx.loop);
    if (df_ext_set_build(&fx.set, "g", "p", p, DF_EXEC_LOCAL, 0, 0, &fx.loop, NULL, NULL) ||
        df_ext_set_start(&fx.set) || !df_ext_set_ready(&fx.set))
        abort();
    const struct df_extension *x = df_ext_set_find(&fx.set, "auth");
    fx.ops = df_extension_capability(x->desc, DF_AUTH_CHECK_NAME)->ops;
    fx.self = df_ext_self(x, 0);
}

static bool is_ctl(unsigned char ch)
{
    return ch < 0x20 || ch == 0x7f;
}

/* ---- 0: the htpasswd parser ------------------------------------------------------ */

static int cmp(const struct ba_user *a, const struct ba_user *b)
{
    size_t n = a->name_len < b->name_len ? a->name_len : b->name_len;
    int c = memcmp(a->name, b->name, n);
    return c ? c : (a->name_len > b->name_len) - (a->name_len < b->name_len);
}

/* The hash part of line `want` (1-based) of text[0..len), or NULL. */
static const char *line_hash(const char *text, size_t len, unsigned want, size_t *hlen,
                             const char **name, size_t *nlen)
{
    const char *p = text, *end = text + len;
    for (unsigned line = 1; p < end; line++) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        if (line == want) {
            const char *colon = memchr(p, ':', (size_t)(eol - p));
            if (!colon)
                return NULL;
            *name = p;
            *nlen = (size_t)(colon - p);
            *hlen = (size_t)(eol - colon - 1);
            return colon + 1;
        }
        p = eol + 1;
    }
    return NULL;
}

static void fuzz_parse(const char *text, size_t len)
{
    struct ba_users u;
    char why[192];
    int rc = ba_htpasswd_parse(text, len, &u, why, sizeof why);
    if (rc == DF_ENOMEM)
        return;
    if (rc < 0) {
        if (!memchr(why, 0, sizeof why) || u.v || u.n)
            abort();
        unsigned line = 0;
        const char *at = strstr(why, "line ");
        if (at && sscanf(at, "line %u", &line) == 1) {
            const char *name, *hash;
            size_t hlen, nlen;
            /* Checked when it cannot be mistaken for the message's own words
             * (no spaces) or the quoted name (no quote). */
            if ((hash = line_hash(text, len, line, &hlen, &name, &nlen)) && hlen >= 16 &&
                !memchr(hash, 0, hlen) && !memchr(hash, ' ', hlen) && !memchr(hash, '\'', hlen)) {
                char h[64];
                size_t take = hlen < sizeof h - 1 ? hlen : sizeof h - 1;
                memcpy(h, hash, take);
                h[take] = 0;
                /* A hash that also is (part of) a name may be quoted as the name. */
                if (!memmem(name, nlen, h, take) && strstr(why, h))
                    abort();
            }
        }
        return;
    }
    if (!u.n)
        abort();
    for (size_t i = 0; i < u.n; i++) {
        const struct ba_user *x = &u.v[i];
        if (!x->name_len || x->name_len > BA_USER_MAX || strlen(x->name) != x->name_len ||
            strlen(x->hash) != x->hash_len || memchr(x->name, ':', x->name_len))
            abort();
        for (size_t k = 0; k < x->name_len; k++) {
            if (is_ctl((unsigned char)x->name[k]))
                abort();
        }
        if (i && cmp(&u.v[i - 1], x) >= 0)
            abort();
        if (ba_users_find(&u, x->name, x->name_len) != x)
            abort();
        if (x->kind == BA_HASH_SHA1) {
            /* Its own digest's base64 is what was written. */
            char b64[29];
            if (EVP_EncodeBlock((unsigned char *)b64, x->sha1, 20) != 28 || x->hash_len != 33 ||
                memcmp(x->hash + 5, b64, 28))
                abort();
            struct crypt_data *none = NULL; /* {SHA} never touches it */
            if (ba_verify(x, "", 0, none) !=
                !memcmp(x->hash + 5, "2jmj7l5rSw0yVb/vlWAYkK/YBwk=", 28))
                abort();
        }
    }
    ba_users_free(&u);
}

/* ---- 1: the header ------------------------------------------------------------------ */

static void fuzz_header(const char *s, size_t len)
{
    char cred[BA_CRED_MAX + 1];
    size_t clen = 0, ulen = 0;
    enum ba_header h = ba_header_decode(s, len, cred, &clen, &ulen);
    if ((unsigned)h > BA_HEADER_MALFORMED)
        abort();
    if (h != BA_HEADER_OK)
        return;
    if (!clen || clen > BA_CRED_MAX || cred[clen] || !ulen || ulen >= clen || cred[ulen] != ':' ||
        memchr(cred, ':', ulen))
        abort();
    for (size_t i = 0; i < clen; i++) {
        if (is_ctl((unsigned char)cred[i]))
            abort();
    }
    /* The token is the last word of the trimmed value: it re-encodes exactly. */
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    size_t start = len;
    while (start && s[start - 1] != ' ')
        start--;
    unsigned char enc[4 * (BA_CRED_MAX / 3 + 1) + 1];
    int n = EVP_EncodeBlock(enc, (const unsigned char *)cred, (int)clen);
    if ((size_t)n != len - start || memcmp(enc, s + start, (size_t)n))
        abort();
}

/* ---- 2: the check ---------------------------------------------------------------------- */

static bool is_auth(const struct df_auth_header *h)
{
    return h->name_len == 13 && !strncasecmp(h->name, "authorization", 13);
}

/* The user the rules allow, or NULL. */
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
    char cred[BA_CRED_MAX + 1];
    size_t clen, ulen;
    if (!a || ba_header_decode(a->value, a->value_len, cred, &clen, &ulen) != BA_HEADER_OK)
        return NULL;
    for (size_t i = 0; i < 2; i++) {
        if (ulen == strlen(users[i]) && !memcmp(cred, users[i], ulen) &&
            clen - ulen - 1 == strlen(passwords[i]) &&
            !memcmp(cred + ulen + 1, passwords[i], clen - ulen - 1))
            return users[i];
    }
    return NULL;
}

static void fuzz_check(const char *p, size_t size)
{
    if (!fx.ops)
        init();
    struct df_auth_header h[8];
    size_t n = 0;
    const char *end = p + size;
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
        .transport = DF_AUTH_HTTP, .method = "POST", .path = "/", .headers = h, .nheaders = n};
    struct df_auth_result out;
    memset(&out, 0, sizeof out);
    enum df_auth_decision d = fx.ops->check(fx.self, &req, &out);
    const char *want = expected(h, n);
    if (d != out.decision || !memchr(out.detail, 0, sizeof out.detail))
        abort();
    for (size_t i = 0; i < 2; i++) {
        if (strstr(out.detail, passwords[i]))
            abort();
    }
    if (want) {
        if (d != DF_AUTH_ALLOW || !out.identity || strcmp(out.identity->subject, want) ||
            strcmp(out.identity->provider, "auth"))
            abort();
    } else if (d != DF_AUTH_DENY || out.identity || !out.challenge ||
               strncmp(out.challenge, "Basic realm=\"df_engine\"", 23) ||
               (out.reason != DF_AUTH_MISSING_CREDENTIAL &&
                out.reason != DF_AUTH_INVALID_CREDENTIAL)) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!size)
        return 0;
    const char *s = (const char *)data + 1;
    size--;
    switch (data[0] % 3) {
    case 0:
        fuzz_parse(s, size);
        break;
    case 1:
        fuzz_header(s, size);
        break;
    default:
        fuzz_check(s, size);
        break;
    }
    return 0;
}
