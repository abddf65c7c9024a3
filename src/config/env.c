/* Environment substitution in config scalars (config/env.h).
 *
 * Two passes over the input with the same walker: the first validates and
 * measures, the second writes into one arena buffer of exactly that size, so
 * nothing is copied twice and nothing is allocated on the error path. */
#include "config/env.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "df/error.h"

#define ENV_PREFIX     "${env:"
#define ENV_PREFIX_LEN (sizeof ENV_PREFIX - 1)
#define NAME_BUF       256

/* Output cursor: counts every byte, stores them only when `buf` is set. */
struct sink {
    char *buf;
    size_t cap;
    size_t len;
    bool overflow;
};

static void emit(struct sink *s, const char *p, size_t n)
{
    if (n > SIZE_MAX - 1 - s->len) {
        s->overflow = true;
        return;
    }
    if (s->buf && s->len + n <= s->cap)
        memcpy(s->buf + s->len, p, n);
    s->len += n;
}

static bool valid_name(const char *p, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
        bool digit = c >= '0' && c <= '9';
        if (!alpha && !(digit && i > 0))
            return false;
    }
    return true;
}

static const char *find2(const char *p, size_t n, char a, char b)
{
    for (size_t i = 0; i + 1 < n; i++) {
        if (p[i] == a && p[i + 1] == b)
            return p + i;
    }
    return NULL;
}

/* Replaces one `${env:...}` reference whose body (between the prefix and the
 * closing brace) is [body, body + n). */
static int expand_ref(const char *body, size_t n, struct df_arena *a, struct sink *s, char *err,
                      size_t errlen)
{
    const char *sep = find2(body, n, ':', '-');
    size_t name_len = sep ? (size_t)(sep - body) : n;
    if (!valid_name(body, name_len)) {
        int shown = name_len > 64 ? 64 : (int)name_len;
        snprintf(err, errlen,
                 "invalid environment variable name '%.*s%s' (names are [A-Za-z_][A-Za-z0-9_]*)",
                 shown, body, name_len > 64 ? "..." : "");
        return DF_EINVAL;
    }
    char small[NAME_BUF];
    char *name = small;
    if (name_len < sizeof small) {
        memcpy(small, body, name_len);
        small[name_len] = '\0';
    } else {
        name = df_arena_strndup(a, body, name_len);
        if (!name) {
            snprintf(err, errlen, "out of memory");
            return DF_ENOMEM;
        }
    }
    const char *val = getenv(name);
    if (val) {
        emit(s, val, strlen(val));
    } else if (sep) {
        emit(s, sep + 2, n - name_len - 2);
    } else {
        int shown = name_len > 128 ? 128 : (int)name_len;
        snprintf(err, errlen, "environment variable '%.*s' is not set", shown, name);
        return DF_EINVAL;
    }
    return 0;
}

static int walk(const char *in, size_t len, struct df_arena *a, struct sink *s, char *err,
                size_t errlen)
{
    size_t i = 0;
    while (i < len) {
        const char *dollar = memchr(in + i, '$', len - i);
        if (!dollar) {
            emit(s, in + i, len - i);
            break;
        }
        size_t at = (size_t)(dollar - in);
        emit(s, in + i, at - i);
        size_t rest = len - at;
        if (rest >= 2 && in[at + 1] == '$') {
            emit(s, "$", 1);
            i = at + 2;
        } else if (rest >= ENV_PREFIX_LEN && memcmp(in + at, ENV_PREFIX, ENV_PREFIX_LEN) == 0) {
            const char *body = in + at + ENV_PREFIX_LEN;
            size_t avail = rest - ENV_PREFIX_LEN;
            const char *close = memchr(body, '}', avail);
            if (!close) {
                snprintf(err, errlen, "unterminated '${env:' reference (missing '}')");
                return DF_EINVAL;
            }
            int rc = expand_ref(body, (size_t)(close - body), a, s, err, errlen);
            if (rc)
                return rc;
            i = (size_t)(close - in) + 1;
        } else if (rest >= 2 && in[at + 1] == '{') {
            /* Another provider's reference: kept as written, up to its brace. */
            const char *close = memchr(in + at + 2, '}', rest - 2);
            size_t end = close ? (size_t)(close - in) + 1 : at + 1;
            emit(s, in + at, end - at);
            i = end;
        } else {
            emit(s, "$", 1);
            i = at + 1;
        }
        if (s->overflow) {
            snprintf(err, errlen, "substituted text is too large");
            return DF_ENOMEM;
        }
    }
    if (s->overflow) {
        snprintf(err, errlen, "substituted text is too large");
        return DF_ENOMEM;
    }
    return 0;
}

int df_env_substitute(const char *in, size_t len, struct df_arena *a, char **out, size_t *out_len,
                      char *err, size_t errlen)
{
    if (!err)
        errlen = 0;
    if (errlen)
        err[0] = '\0';
    if (!in)
        in = "";
    if (!memchr(in, '$', len)) {
        char *copy = df_arena_strndup(a, in, len);
        if (!copy) {
            snprintf(err, errlen, "out of memory");
            return DF_ENOMEM;
        }
        *out = copy;
        *out_len = len;
        return 0;
    }

    struct sink measure = {0};
    int rc = walk(in, len, a, &measure, err, errlen);
    if (rc)
        return rc;
    char *buf = df_arena_alloc(a, measure.len + 1);
    if (!buf) {
        snprintf(err, errlen, "out of memory");
        return DF_ENOMEM;
    }
    struct sink write = {.buf = buf, .cap = measure.len};
    rc = walk(in, len, a, &write, err, errlen);
    if (rc)
        return rc;
    if (write.len != measure.len) {
        /* Only possible if another thread changed the environment between
         * the passes; refuse rather than return half-written text. */
        snprintf(err, errlen, "the environment changed during substitution");
        return DF_EINVAL;
    }
    buf[write.len] = '\0';
    *out = buf;
    *out_len = write.len;
    return 0;
}
