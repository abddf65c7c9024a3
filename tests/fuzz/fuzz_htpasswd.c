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

#include "extensions/basic_auth/basic_auth.h"
#include "tests/fuzz/auth_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* dave:dave-pw, erin:pa:ss:w */
static const char *const users[] = {"dave", "erin"};
static const char *const passwords[] = {"dave-pw", "pa:ss:w"};

static const char config[] = AUTH_FUZZ_CONFIG(
    "extension:basic_auth", "              htpasswd:\n"
                            "                inline: |\n"
                            "                  dave:{SHA}uE1+cBGmURe+4zihKsjfuHZgJbQ=\n"
                            "                  erin:{SHA}%s\n");

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
    auth_fuzz_init(text, DF_EXEC_LOCAL);
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

/* The user the rules allow, or NULL. */
static const char *expected(const struct df_auth_header *h, size_t n)
{
    const struct df_auth_header *a = auth_fuzz_authorization(h, n);
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
    struct df_auth_header h[AUTH_FUZZ_HEADERS];
    size_t n = auth_fuzz_headers(p, size, h);
    auth_fuzz_check(h, n, expected(h, n), "Basic realm=\"df_engine\"", passwords, 2);
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
