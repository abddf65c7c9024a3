/* libFuzzer target: OTLP request validation, splitting and dumping
 * (otlp/otlp.h, otlp/dump.h) on arbitrary bytes. The first byte picks the
 * signal, the rest is the request. Beyond crashes and sanitizer reports it
 * checks the invariants that make zero-copy batching safe: a valid request's
 * parts hold all its items, and the concatenation of all parts is valid
 * with the same count; and that the dump agrees with validation. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "df/error.h"
#include "otlp/dump.h"
#include "otlp/otlp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_PARTS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *null;
    if (!null) {
        null = fopen("/dev/null", "w");
        if (!null)
            abort();
    }
    if (size == 0)
        return 0;
    enum df_signal sig = (enum df_signal)(data[0] % DF_SIGNAL_COUNT);
    const uint8_t *buf = data + 1;
    size_t len = size - 1;

    uint64_t items = 0;
    int rc = df_otlp_count(sig, buf, len, &items);
    if (rc != 0 && rc != DF_EPARSE)
        abort();

    if (rc == 0) {
        struct df_otlp_part parts[MAX_PARTS];
        size_t n = 0;
        int prc = df_otlp_parts(sig, buf, len, parts, MAX_PARTS, &n);
        if (prc == DF_ERANGE) {
            if (n <= MAX_PARTS)
                abort();
        } else if (prc != 0) {
            abort();
        } else {
            uint8_t *cat = malloc(len ? len : 1);
            if (!cat)
                abort();
            size_t clen = 0;
            uint64_t sum = 0;
            for (size_t i = 0; i < n; i++) {
                if (parts[i].off + parts[i].len > len || parts[i].off < clen)
                    abort(); /* in order, in bounds, not overlapping */
                memcpy(cat + clen, buf + parts[i].off, parts[i].len);
                clen += parts[i].len;
                sum += parts[i].items;
            }
            if (sum != items)
                abort();
            uint64_t again = 0;
            if (df_otlp_count(sig, cat, clen, &again) != 0 || again != items)
                abort();
            free(cat);
        }
    }

    for (int v = DF_OTLP_BASIC; v <= DF_OTLP_DETAILED; v++) {
        int drc = df_otlp_dump(null, sig, buf, len, (enum df_otlp_verbosity)v);
        /* The dump reports exactly what validation found. */
        if (drc != rc)
            abort();
    }
    return 0;
}
