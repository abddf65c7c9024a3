/* libFuzzer target: extension:bearer_token_auth's auth_check on arbitrary
 * request headers, with a fixed config (three inline tokens, run through
 * the extension manager as the runtime does). The input is split at '\n'
 * into up to 8 headers: `name:value`, or a bare value for `authorization`.
 * Beyond crashes and sanitizer reports it checks each decision against a
 * plain re-implementation of the rules: allow exactly when there is one
 * authorization header whose value, without surrounding spaces and tabs,
 * is `bearer` (any case), one or more spaces and a configured token — then
 * with that token's subject; otherwise deny, with the challenge, no
 * identity, and a detail that names no token. Never error (nothing is
 * loaded from files). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tests/fuzz/auth_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const tokens[] = {"alpha-token", "b3ta/t0ken+==", "gamma.token~_"};
static const char *const subjects[] = {"bearer", "ci", "bearer-1"};

static const char config[] = AUTH_FUZZ_CONFIG(
    "extension:bearer_token_auth",
    "              token: alpha-token\n"
    "              tokens: [{token: 'b3ta/t0ken+==', subject: ci}, {token: gamma.token~_}]\n");

/* The subject the rules give, or NULL for a denial. */
static const char *expected(const struct df_auth_header *h, size_t n)
{
    const struct df_auth_header *a = auth_fuzz_authorization(h, n);
    if (!a)
        return NULL;
    const char *s = a->value;
    size_t len = a->value_len;
    while (len && (*s == ' ' || *s == '\t'))
        s++, len--;
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    if (len < 7 || strncasecmp(s, "bearer ", 7))
        return NULL;
    s += 7, len -= 7;
    while (len && *s == ' ')
        s++, len--;
    for (size_t i = 0; i < 3; i++) {
        if (len == strlen(tokens[i]) && !memcmp(s, tokens[i], len))
            return subjects[i];
    }
    return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!fx.ops)
        auth_fuzz_init(config, DF_EXEC_SHARED);
    struct df_auth_header h[AUTH_FUZZ_HEADERS];
    size_t n = auth_fuzz_headers((const char *)data, size, h);
    /* "Bearer" exactly: the challenge is the configured scheme. */
    auth_fuzz_check(h, n, expected(h, n), "Bearer", tokens, 3);
    return 0;
}
