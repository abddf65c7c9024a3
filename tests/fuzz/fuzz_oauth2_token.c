/* libFuzzer target: extension:oauth2_client_auth's parser of the token
 * endpoint's response (o2c_parse_response). The first two bytes pick the
 * HTTP status (100..599), the rest is the body. Beyond crashes and
 * sanitizer reports it checks the parser's contract: a token is 1 to 16 KiB
 * of visible ASCII, NUL-terminated, with expires_in 0 or within 1..a year,
 * and only from a 2xx; a rejection has a reason, no value, and a reason
 * that never holds the body's access_token value (when the body carries a
 * long enough one that the quotable fields do not repeat). */
#define _GNU_SOURCE /* memmem */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "extensions/oauth2_client_auth/oauth2_client_auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool field_has(json_t *root, const char *key, const char *s)
{
    json_t *v = json_object_get(root, key);
    return json_is_string(v) && strstr(json_string_value(v), s);
}

/* The body's access_token, if it is a string of 8 bytes or more (shorter
 * ones could appear in a reason by chance, like "a" or "JSON") that no
 * field the reason may quote (error, error_description, token_type) holds. */
static char *access_token(const uint8_t *body, size_t len)
{
    json_t *root = json_loadb((const char *)body, len, 0, NULL);
    json_t *t = json_is_object(root) ? json_object_get(root, "access_token") : NULL;
    char *s = json_is_string(t) && json_string_length(t) >= 8 &&
                      strlen(json_string_value(t)) == json_string_length(t)
                  ? strdup(json_string_value(t))
                  : NULL;
    if (s && (field_has(root, "error", s) || field_has(root, "error_description", s) ||
              field_has(root, "token_type", s))) {
        free(s);
        s = NULL;
    }
    json_decref(root);
    return s;
}

/* Whether the reason stays `why` when the token's visible characters are
 * replaced (in the body as written; false when it is not written there as
 * it is): then the reason holds the token's text only because the token
 * spells the parser's own words ("access_token "), not because it was
 * quoted. */
static bool same_reason_without(long status, const uint8_t *body, size_t len, const char *secret,
                                const char *why)
{
    size_t n = strlen(secret);
    char *copy = malloc(len + 1);
    if (!copy)
        return true;
    memcpy(copy, body, len);
    copy[len] = 0;
    char *at = len >= n ? memmem(copy, len, secret, n) : NULL;
    bool same = false;
    if (at) {
        for (size_t i = 0; i < n; i++) {
            if (at[i] > 0x20 && at[i] < 0x7f && at[i] != '"' && at[i] != '\\')
                at[i] = at[i] == 'Z' ? 'Y' : 'Z';
        }
        struct o2c_token t;
        if (o2c_parse_response(status, (const uint8_t *)copy, len, &t) == 0)
            o2c_token_clear(&t);
        else
            same = !strcmp(t.why, why);
    }
    free(copy);
    return same;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    long status = 100 + (long)((data[0] << 8 | data[1]) % 500);
    const uint8_t *body = data + 2;
    size_t len = size - 2;
    struct o2c_token t;
    int rc = o2c_parse_response(status, body, len, &t);
    if (rc == 0) {
        if (status < 200 || status >= 300 || !t.value || t.len < 1 || t.len > O2C_TOKEN_MAX ||
            strlen(t.value) != t.len || t.expires_in < 0 || t.expires_in > O2C_EXPIRES_IN_MAX)
            abort();
        for (size_t i = 0; i < t.len; i++) {
            if ((unsigned char)t.value[i] < 0x21 || (unsigned char)t.value[i] > 0x7e)
                abort();
        }
        o2c_token_clear(&t);
        if (t.value)
            abort();
        return 0;
    }
    if ((rc != DF_EINVAL && rc != DF_ENOMEM) || t.value || !t.why[0] ||
        strlen(t.why) >= sizeof t.why)
        abort();
    char *secret = access_token(body, len);
    if (secret && strstr(t.why, secret) && !same_reason_without(status, body, len, secret, t.why))
        abort();
    free(secret);
    return 0;
}
