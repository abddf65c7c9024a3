/* extensions/oauth2_client_auth/token.c — the token request's encoding and
 * the parser of the token endpoint's response (RFC 6749 §4.4, §5.1, §5.2).
 * Pure functions over their arguments; the parser is what the fuzz target
 * fuzz_oauth2_token drives. Nothing here quotes a token or a secret. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "df/error.h"
#include "extensions/common/file_read.h"
#include "extensions/oauth2_client_auth/oauth2_client_auth.h"

/* ---- form encoding ---------------------------------------------------------- */

static bool reserve(struct o2c_buf *b, size_t more)
{
    if (b->oom)
        return false;
    if (b->len + more + 1 <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 128;
    while (cap < b->len + more + 1)
        cap *= 2;
    char *p = malloc(cap);
    if (!p) {
        o2c_buf_wipe(b);
        b->oom = true;
        return false;
    }
    if (b->p) {
        memcpy(p, b->p, b->len);
        OPENSSL_cleanse(b->p, b->cap); /* a secret must not linger in freed memory */
        free(b->p);
    }
    b->p = p;
    b->cap = cap;
    return true;
}

void o2c_buf_add(struct o2c_buf *b, const char *s, size_t len)
{
    if (!reserve(b, len))
        return;
    memcpy(b->p + b->len, s, len);
    b->len += len;
    b->p[b->len] = 0;
}

static bool unreserved(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

void o2c_buf_urlencode(struct o2c_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    if (!reserve(b, 3 * n))
        return;
    char *o = b->p + b->len;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (unreserved(c)) {
            *o++ = (char)c;
        } else if (c == ' ') {
            *o++ = '+';
        } else {
            *o++ = '%';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
    }
    b->len = (size_t)(o - b->p);
    b->p[b->len] = 0;
}

void o2c_buf_form_field(struct o2c_buf *b, const char *key, const char *value)
{
    o2c_buf_urlencode(b, key, strlen(key));
    o2c_buf_add(b, "=", 1);
    o2c_buf_urlencode(b, value, strlen(value));
}

void o2c_buf_wipe(struct o2c_buf *b)
{
    if (b->p) {
        OPENSSL_cleanse(b->p, b->cap);
        free(b->p);
    }
    *b = (struct o2c_buf){0};
}

int o2c_basic_header(const char *id, const char *secret, size_t secret_len, struct o2c_buf *out)
{
    struct o2c_buf pair = {0};
    o2c_buf_urlencode(&pair, id, strlen(id));
    o2c_buf_add(&pair, ":", 1);
    o2c_buf_urlencode(&pair, secret, secret_len);
    static const char prefix[] = "Authorization: Basic ";
    o2c_buf_add(out, prefix, sizeof prefix - 1);
    if (!pair.oom && pair.len <= INT_MAX / 2 && reserve(out, 4 * ((pair.len + 2) / 3))) {
        int n = EVP_EncodeBlock((unsigned char *)out->p + out->len, (unsigned char *)pair.p,
                                (int)pair.len);
        out->len += (size_t)n;
        out->p[out->len] = 0;
    }
    o2c_buf_wipe(&pair);
    return out->oom ? DF_ENOMEM : 0;
}

/* ---- the response ----------------------------------------------------------------- */

void o2c_token_clear(struct o2c_token *t)
{
    if (t->value) {
        OPENSSL_cleanse(t->value, t->len);
        free(t->value);
    }
    t->value = NULL;
    t->len = 0;
}

/* Copies an untrusted string for a message: at most 120 bytes, anything
 * but printable ASCII as '?'. */
static void sanitize(char *dst, size_t n, const char *s)
{
    size_t i = 0;
    for (; s && s[i] && i + 1 < n && i < 120; i++)
        dst[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
    dst[i] = 0;
    if (s && s[i] && i == 120 && n > 124)
        memcpy(dst + i, "...", 4);
}

static int fail(struct o2c_token *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct o2c_token *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out->why, sizeof out->why, fmt, ap);
    va_end(ap);
    o2c_token_clear(out);
    return DF_EINVAL;
}

/* An RFC 6749 §5.2 error response, or the status alone. */
static int error_response(long status, json_t *root, struct o2c_token *out)
{
    json_t *e = root ? json_object_get(root, "error") : NULL;
    json_t *d = root ? json_object_get(root, "error_description") : NULL;
    char code[128] = "", desc[128] = "";
    if (json_is_string(e))
        sanitize(code, sizeof code, json_string_value(e));
    if (json_is_string(d))
        sanitize(desc, sizeof desc, json_string_value(d));
    if (status >= 200 && status < 300)
        return fail(out, "the token endpoint answered with an error: %s%s%s%s",
                    *code ? code : "(no code)", *desc ? " (" : "", desc, *desc ? ")" : "");
    if (*code)
        return fail(out, "the token endpoint answered %ld: %s%s%s%s", status, code,
                    *desc ? " (" : "", desc, *desc ? ")" : "");
    return fail(out, "the token endpoint answered %ld", status);
}

/* expires_in: an integer, a number (truncated) or a string of digits. */
static int expires_in(json_t *v, struct o2c_token *out)
{
    double x;
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        if (i <= 0)
            return fail(out, "expires_in is %lld, not a positive number of seconds", (long long)i);
        out->expires_in = i > O2C_EXPIRES_IN_MAX ? O2C_EXPIRES_IN_MAX : (int64_t)i;
        return 0;
    }
    if (json_is_real(v)) {
        x = json_real_value(v);
    } else if (json_is_string(v)) {
        const char *s = json_string_value(v);
        size_t n = json_string_length(v);
        if (!n || n > 30 || strspn(s, "0123456789") != n)
            return fail(out, "expires_in is a string that is not a number of seconds");
        errno = 0;
        x = strtod(s, NULL);
    } else {
        return fail(out, "expires_in is not a number");
    }
    if (!isfinite(x) || x < 1)
        return fail(out, "expires_in is not a positive number of seconds");
    out->expires_in = x > (double)O2C_EXPIRES_IN_MAX ? O2C_EXPIRES_IN_MAX : (int64_t)x;
    return 0;
}

int o2c_parse_response(long status, const uint8_t *body, size_t len, struct o2c_token *out)
{
    *out = (struct o2c_token){0};
    json_error_t jerr;
    json_t *root = len ? json_loadb((const char *)body, len, JSON_REJECT_DUPLICATES, &jerr) : NULL;
    int rc;
    if (status < 200 || status >= 300) {
        rc = error_response(status, json_is_object(root) ? root : NULL, out);
        goto done;
    }
    if (!json_is_object(root)) {
        rc = root ? fail(out, "the token response is not a JSON object")
             /* Not jansson's text: it quotes the input near the error. */
             : len ? fail(out, "the token response is not JSON (line %d, column %d)", jerr.line,
                          jerr.column)
                   : fail(out, "the token response is empty");
        goto done;
    }
    json_t *error = json_object_get(root, "error");
    if (error && !json_is_null(error)) {
        rc = error_response(status, root, out);
        goto done;
    }
    json_t *tok = json_object_get(root, "access_token");
    json_t *type = json_object_get(root, "token_type");
    json_t *exp = json_object_get(root, "expires_in");
    if (!json_is_string(tok)) {
        rc = fail(out, tok ? "access_token is not a string" : "the response has no access_token");
        goto done;
    }
    const char *s = json_string_value(tok);
    size_t n = json_string_length(tok);
    if (!n || n > O2C_TOKEN_MAX) {
        rc = fail(out, n ? "access_token is longer than 16KiB" : "access_token is empty");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e) {
            rc = fail(out, "access_token holds spaces, control or non-ASCII characters (a token is "
                           "visible ASCII)");
            goto done;
        }
    }
    if (type && !json_is_null(type) &&
        (!json_is_string(type) || strcasecmp(json_string_value(type), "bearer") ||
         json_string_length(type) != 6)) {
        char t[128] = "(not a string)";
        if (json_is_string(type))
            sanitize(t, sizeof t, json_string_value(type));
        rc = fail(out, "token_type '%s' is not Bearer", t);
        goto done;
    }
    if (exp && !json_is_null(exp) && (rc = expires_in(exp, out)) < 0)
        goto done;
    if (!(out->value = malloc(n + 1))) {
        rc = DF_ENOMEM;
        snprintf(out->why, sizeof out->why, "out of memory");
        goto done;
    }
    memcpy(out->value, s, n + 1);
    out->len = n;
    rc = 0;
done:
    if (root) {
        /* The token was in jansson's memory: wipe it before it is freed. */
        json_t *t = json_is_object(root) ? json_object_get(root, "access_token") : NULL;
        if (json_is_string(t))
            OPENSSL_cleanse((void *)json_string_value(t), json_string_length(t));
        json_decref(root);
    }
    return rc;
}

const char *o2c_secret_find(const char *buf, size_t len, size_t *start, size_t *slen)
{
    ext_file_trim(buf, len, start, slen);
    if (!*slen)
        return "is empty";
    if (*slen > O2C_SECRET_MAX)
        return "is longer than 16KiB";
    return NULL;
}
