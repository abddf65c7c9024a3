/* libFuzzer target: what extension:headers_setter sends as a header value
 * from outside input — a value file's content (hs_value_find) and a
 * sender's identity field (df_header_value_ok, e.g. a token's claim).
 * Beyond crashes and sanitizer reports it checks their contract: a value
 * found is non-empty, at most HS_FILE_MAX bytes, without surrounding blanks
 * and without a byte that could end or split a header (CR, LF, other
 * controls than tab, DEL, non-ASCII); and df_header_value_ok accepts exactly
 * the strings made of visible ASCII, spaces and tabs. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "extensions/headers_setter/headers_setter.h"
#include "net/headers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool sendable(unsigned char c)
{
    return c == '\t' || (c >= 0x20 && c < 0x7f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    size_t start = 0, len = 0;
    if (!hs_value_find(buf, size, &start, &len)) {
        if (!len || len > HS_FILE_MAX || start + len > size)
            abort();
        for (size_t i = start; i < start + len; i++) {
            if (!sendable((unsigned char)buf[i]))
                abort();
        }
        if (strchr(" \t", buf[start]) || strchr(" \t", buf[start + len - 1]))
            abort();
    }
    /* As a NUL-terminated identity field. */
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = 0;
    bool want = true;
    for (size_t i = 0; s[i]; i++)
        want &= sendable((unsigned char)s[i]);
    if (df_header_value_ok(s, strlen(s)) != want)
        abort();
    free(s);
    return 0;
}
