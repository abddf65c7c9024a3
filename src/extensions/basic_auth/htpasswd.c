/* extensions/basic_auth/htpasswd.c — the htpasswd parser, the password
 * check and the Basic credentials decoder of extension:basic_auth. Pure
 * functions of their input (see basic_auth.h); the parser and the decoder
 * take outside input and are fuzzed (tests/fuzz/fuzz_htpasswd.c). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "df/capabilities/auth_check.h"
#include "df/error.h"
#include "extensions/basic_auth/basic_auth.h"

/* ---- base64 ------------------------------------------------------------------ */

static int b64_value(unsigned char ch)
{
    if (ch >= 'A' && ch <= 'Z')
        return ch - 'A';
    if (ch >= 'a' && ch <= 'z')
        return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9')
        return ch - '0' + 52;
    if (ch == '+')
        return 62;
    if (ch == '/')
        return 63;
    return -1;
}

long ba_base64_decode(const char *in, size_t len, unsigned char *out, size_t cap)
{
    if (len % 4)
        return -1;
    size_t o = 0;
    for (size_t i = 0; i < len; i += 4) {
        int v[4];
        size_t pad = 0;
        for (int k = 0; k < 4; k++) {
            unsigned char ch = (unsigned char)in[i + k];
            if (ch == '=' && i + 4 == len && k >= 2) {
                v[k] = 0;
                pad++;
                continue;
            }
            if (pad || (v[k] = b64_value(ch)) < 0)
                return -1; /* '=' inside, or followed by data */
        }
        unsigned long w = (unsigned long)v[0] << 18 | (unsigned long)v[1] << 12 |
                          (unsigned long)v[2] << 6 | (unsigned long)v[3];
        size_t take = 3 - pad;
        if ((pad == 1 && (w & 0xff)) || (pad == 2 && (w & 0xffff)))
            return -1; /* non-zero bits in the padding: not the canonical form */
        if (o + take > cap)
            return -1;
        out[o++] = (unsigned char)(w >> 16);
        if (take > 1)
            out[o++] = (unsigned char)(w >> 8);
        if (take > 2)
            out[o++] = (unsigned char)w;
    }
    return (long)o;
}

/* ---- hashes -------------------------------------------------------------------- */

/* crypt's base64 alphabet: ./0-9A-Za-z */
static bool is_crypt64(unsigned char ch)
{
    return ch == '.' || ch == '/' || (ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z') ||
           (ch >= 'a' && ch <= 'z');
}

static bool all_crypt64(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (!is_crypt64((unsigned char)s[i]))
            return false;
    }
    return true;
}

/* `$2y$NN$` + 22 characters of salt + 31 of hash. */
static const char *check_bcrypt(const char *h, size_t len)
{
    if (len != 60 || h[3] != '$' || h[6] != '$' || h[4] < '0' || h[4] > '9' || h[5] < '0' ||
        h[5] > '9' || !all_crypt64(h + 7, 53))
        return "malformed bcrypt hash (want $2y$<cost>$ and 53 characters)";
    int cost = (h[4] - '0') * 10 + (h[5] - '0');
    if (cost < 4)
        return "bcrypt cost below 4";
    if (cost > BA_BCRYPT_COST_MAX)
        return "bcrypt cost above 12: each check that misses the cache would block a core "
               "too long";
    return NULL;
}

/* `$5$` / `$6$`, optional `rounds=N$`, 1..16 characters of salt, `$`, and
 * 43 / 86 characters of hash. */
static const char *check_shacrypt(const char *h, size_t len, size_t hash_chars)
{
    const char *p = h + 3, *end = h + len;
    if ((size_t)(end - p) > 7 && !memcmp(p, "rounds=", 7)) {
        p += 7;
        unsigned long rounds = 0;
        const char *digits = p;
        while (p < end && *p >= '0' && *p <= '9' && p - digits < 10)
            rounds = rounds * 10 + (unsigned long)(*p++ - '0');
        if (p == digits || p == end || *p != '$' || (digits[0] == '0'))
            return "malformed SHA-crypt rounds";
        if (rounds < 1000)
            return "SHA-crypt rounds below 1000";
        if (rounds > BA_SHACRYPT_ROUNDS_MAX)
            return "SHA-crypt rounds above 500000: each check that misses the cache would block "
                   "a core too long";
        p++;
    }
    const char *salt = p;
    while (p < end && *p != '$')
        p++;
    if (p == salt || p - salt > 16 || p == end)
        return "malformed SHA-crypt hash (want $5$/$6$[rounds=N$]<salt>$<hash>)";
    for (const char *q = salt; q < p; q++) {
        if ((unsigned char)*q < 0x21 || (unsigned char)*q > 0x7e || *q == ':')
            return "malformed SHA-crypt salt";
    }
    p++;
    if ((size_t)(end - p) != hash_chars || !all_crypt64(p, hash_chars))
        return "malformed SHA-crypt hash (wrong length or characters)";
    return NULL;
}

/* Classifies and checks a hash; NULL when usable. */
static const char *check_hash(struct ba_user *u)
{
    const char *h = u->hash;
    size_t len = u->hash_len;
    if (!len)
        return "no hash after ':'";
    if (len >= 4 && h[0] == '$' && h[1] == '2' && (h[2] == 'y' || h[2] == 'b' || h[2] == 'a') &&
        h[3] == '$') {
        u->kind = BA_HASH_BCRYPT;
        return check_bcrypt(h, len);
    }
    if (len >= 3 && (!memcmp(h, "$5$", 3) || !memcmp(h, "$6$", 3))) {
        bool sha256 = h[1] == '5';
        u->kind = sha256 ? BA_HASH_SHA256_CRYPT : BA_HASH_SHA512_CRYPT;
        return check_shacrypt(h, len, sha256 ? 43 : 86);
    }
    if (len >= 5 && !memcmp(h, "{SHA}", 5)) {
        u->kind = BA_HASH_SHA1;
        if (ba_base64_decode(h + 5, len - 5, u->sha1, sizeof u->sha1) != (long)sizeof u->sha1)
            return "malformed {SHA} hash (want the base64 of a 20-byte SHA-1 digest)";
        return NULL;
    }
    if ((len >= 6 && !memcmp(h, "$apr1$", 6)) || (len >= 3 && !memcmp(h, "$1$", 3)))
        return "MD5 hashes ($apr1$, $1$) are not accepted; use bcrypt (htpasswd -B) or "
               "SHA-512-crypt (openssl passwd -6)";
    if (h[0] == '$')
        return "unsupported hash scheme; accepted: bcrypt ($2y$, $2b$, $2a$), SHA-crypt ($5$, "
               "$6$), {SHA}";
    return "not a supported hash (plain-text passwords and crypt(3) DES are not accepted); "
           "accepted: bcrypt ($2y$, $2b$, $2a$), SHA-crypt ($5$, $6$), {SHA}";
}

/* ---- the parser ---------------------------------------------------------------- */

static void say(char *why, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void say(char *why, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, n, fmt, ap);
    va_end(ap);
}

static bool name_ok(const char *s, size_t len)
{
    if (!len || len > BA_USER_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch < 0x20 || ch == 0x7f)
            return false;
    }
    return true;
}

static int cmp_name(const char *a, size_t alen, const char *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    return c ? c : (alen > blen) - (alen < blen);
}

static int cmp_user(const void *x, const void *y)
{
    const struct ba_user *a = x, *b = y;
    int c = cmp_name(a->name, a->name_len, b->name, b->name_len);
    return c ? c : (a->line > b->line) - (a->line < b->line);
}

void ba_users_free(struct ba_users *u)
{
    if (!u)
        return;
    free(u->v);
    free(u->text);
    *u = (struct ba_users){0};
}

int ba_htpasswd_parse(const char *buf, size_t len, struct ba_users *out, char *why, size_t n)
{
    *out = (struct ba_users){0};
    if (len > BA_FILE_MAX) {
        say(why, n, "larger than 1MiB");
        return DF_EINVAL;
    }
    size_t lines = 1;
    for (size_t i = 0; i < len; i++)
        lines += buf[i] == '\n';
    if (!(out->text = malloc(len + 1)) || !(out->v = calloc(lines, sizeof *out->v))) {
        ba_users_free(out);
        say(why, n, "out of memory");
        return DF_ENOMEM;
    }
    memcpy(out->text, buf, len);
    out->text[len] = 0;
    char *p = out->text, *end = out->text + len;
    for (unsigned line = 1; p < end; line++) {
        char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        char *next = eol < end ? eol + 1 : end;
        char *e = eol;
        while (e > p && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
            e--;
        *e = 0;
        char *s = p;
        while (s < e && (*s == ' ' || *s == '\t'))
            s++;
        p = next;
        if (s == e || *s == '#')
            continue;
        if (memchr(s, 0, (size_t)(e - s))) {
            say(why, n, "line %u: holds a NUL byte", line);
            goto bad;
        }
        char *colon = memchr(s, ':', (size_t)(e - s));
        if (!colon) {
            say(why, n, "line %u: no ':' between the user name and the hash", line);
            goto bad;
        }
        struct ba_user *u = &out->v[out->n];
        *u = (struct ba_user){.name = s,
                              .name_len = (size_t)(colon - s),
                              .hash = colon + 1,
                              .hash_len = (size_t)(e - colon - 1),
                              .line = line};
        if (!name_ok(u->name, u->name_len)) {
            say(why, n,
                "line %u: the user name is empty, longer than %d bytes or holds control "
                "characters",
                line, BA_USER_MAX);
            goto bad;
        }
        *colon = 0;
        const char *wrong = check_hash(u);
        if (wrong) {
            say(why, n, "line %u (user '%s'): %s", line, u->name, wrong);
            goto bad;
        }
        out->n++;
    }
    if (!out->n) {
        say(why, n, "holds no user (want lines of user:hash)");
        goto bad;
    }
    qsort(out->v, out->n, sizeof *out->v, cmp_user);
    for (size_t i = 1; i < out->n; i++) {
        const struct ba_user *a = &out->v[i - 1], *b = &out->v[i];
        if (!cmp_name(a->name, a->name_len, b->name, b->name_len)) {
            say(why, n, "line %u (user '%s'): the user appears twice (first on line %u)", b->line,
                b->name, a->line);
            goto bad;
        }
    }
    return 0;
bad:
    OPENSSL_cleanse(out->text, len);
    ba_users_free(out);
    return DF_EINVAL;
}

const struct ba_user *ba_users_find(const struct ba_users *u, const char *name, size_t len)
{
    size_t lo = 0, hi = u->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = cmp_name(u->v[mid].name, u->v[mid].name_len, name, len);
        if (!c)
            return &u->v[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* ---- checking a password ------------------------------------------------------------ */

bool ba_verify(const struct ba_user *u, const char *password, size_t len, struct crypt_data *cd)
{
    if (u->kind == BA_HASH_SHA1) {
        unsigned char d[EVP_MAX_MD_SIZE];
        unsigned int dn = 0;
        bool ok = EVP_Digest(password, len, d, &dn, EVP_sha1(), NULL) && dn == sizeof u->sha1 &&
                  !CRYPTO_memcmp(d, u->sha1, sizeof u->sha1);
        OPENSSL_cleanse(d, sizeof d);
        return ok;
    }
    const char *h = crypt_rn(password, u->hash, cd, (int)sizeof *cd);
    bool ok =
        h && h[0] != '*' && strlen(h) == u->hash_len && !CRYPTO_memcmp(h, u->hash, u->hash_len);
    OPENSSL_cleanse(cd->output, sizeof cd->output);
    return ok;
}

/* ---- the request header -------------------------------------------------------------- */

enum ba_header ba_credential_decode(const char *b64, size_t len, char *cred, size_t *cred_len,
                                    size_t *user_len)
{
    long n = ba_base64_decode(b64, len, (unsigned char *)cred, BA_CRED_MAX);
    if (n <= 0)
        return BA_HEADER_MALFORMED;
    cred[n] = 0;
    const char *colon = memchr(cred, ':', (size_t)n);
    if (!colon || colon == cred)
        return BA_HEADER_MALFORMED;
    for (long k = 0; k < n; k++) {
        unsigned char ch = (unsigned char)cred[k];
        if (ch < 0x20 || ch == 0x7f)
            return BA_HEADER_MALFORMED; /* RFC 7617: no control characters */
    }
    *cred_len = (size_t)n;
    *user_len = (size_t)(colon - cred);
    return BA_HEADER_OK;
}

enum ba_header ba_header_decode(const char *s, size_t len, char *cred, size_t *cred_len,
                                size_t *user_len)
{
    const struct df_auth_header h = {"authorization", 13, s, len};
    const struct df_auth_request req = {.headers = &h, .nheaders = 1};
    const char *b64 = NULL;
    size_t b64_len = 0;
    switch (df_auth_credential(&req, "authorization", "Basic", &b64, &b64_len)) {
    case DF_AUTH_CREDENTIAL_OK:
        return ba_credential_decode(b64, b64_len, cred, cred_len, user_len);
    case DF_AUTH_CREDENTIAL_MISSING:
        return BA_HEADER_MISSING;
    case DF_AUTH_CREDENTIAL_OTHER_SCHEME:
        return BA_HEADER_OTHER_SCHEME;
    case DF_AUTH_CREDENTIAL_SEVERAL: /* not with one header */
    case DF_AUTH_CREDENTIAL_MALFORMED:
        break;
    }
    return BA_HEADER_MALFORMED;
}
