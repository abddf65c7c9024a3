/* Finding an OTLP attribute in encoded bytes, for tests that check what a
 * rewrite wrote without decoding it: the KeyValue {key, string value} as
 * serializers (and the engine) encode it, searched for as a byte string. */
#ifndef DF_TEST_KV_H
#define DF_TEST_KV_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Occurrences in data[0..len) of the encoded KeyValue {key: value (a
 * string)}; key and value are shorter than 120 bytes each (aborts
 * otherwise: one length byte each). */
static inline int test_string_kv_count(const uint8_t *data, size_t len, const char *key,
                                       const char *value)
{
    uint8_t kv[256];
    size_t k = strlen(key), v = strlen(value), n = 0;
    if (k >= 120 || v >= 120)
        abort();
    kv[n++] = 0x0a; /* KeyValue.key */
    kv[n++] = (uint8_t)k;
    memcpy(kv + n, key, k);
    n += k;
    kv[n++] = 0x12; /* KeyValue.value: AnyValue */
    kv[n++] = (uint8_t)(v + 2);
    kv[n++] = 0x0a; /* AnyValue.string_value */
    kv[n++] = (uint8_t)v;
    memcpy(kv + n, value, v);
    n += v;
    int c = 0;
    for (size_t i = 0; i + n <= len; i++) {
        if (!memcmp(data + i, kv, n)) {
            c++;
            i += n - 1;
        }
    }
    return c;
}

#endif
