/* libFuzzer target: the streaming attribute rewrite (otlp/attrs.h) on
 * arbitrary bytes. The first byte picks the signal, the second the lists to
 * apply to, the next two two actions (kind, key, source or destination key,
 * literal value); the rest is the request. Beyond crashes and sanitizer
 * reports it checks that a request df_otlp_count accepts is rewritten
 * without error into one it accepts with the same item count, and that
 * "unchanged" means nothing was written. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "df/error.h"
#include "otlp/attrs.h"
#include "otlp/otlp.h"
#include "tests/fuzz/rewrite_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const keys[] = {"a", "http.request.method", "service.name", ""};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct df_attrs_scratch scratch;
    if (size < 4)
        return 0;
    enum df_signal sig = (enum df_signal)(data[0] % DF_SIGNAL_COUNT);
    unsigned apply = data[1] & 7;
    uint8_t vals[2][DF_ATTR_VALUE_MAX + 8];
    struct df_attr_action acts[2];
    for (int i = 0; i < 2; i++) {
        uint8_t b = data[2 + i];
        const char *k = keys[(b >> 3) & 3];
        const char *t = keys[(b >> 5) & 3];
        acts[i] =
            (struct df_attr_action){.op = (enum df_attr_op)(b % 6), .key = k, .key_len = strlen(k)};
        if (acts[i].op == DF_ATTR_RENAME || (b & 0x80)) {
            acts[i].to = t;
            acts[i].to_len = strlen(t);
        }
        switch ((b >> 6) & 1 ? b % 3 : 3) {
        case 0:
            acts[i].value_len = df_attr_value_int(vals[i], -(int64_t)b);
            break;
        case 1:
            acts[i].value_len = df_attr_value_double(vals[i], b / 3.0);
            break;
        case 2:
            acts[i].value_len = df_attr_value_bool(vals[i], b & 1);
            break;
        default:
            acts[i].value_len = df_attr_value_string(vals[i], "v", 1);
            break;
        }
        acts[i].value = vals[i];
    }
    struct df_attrs rules = {.actions = acts, .count = 2, .apply_to = apply};
    rewrite_fuzz(&rules, sig, data + 4, size - 4, &scratch, false);
    return 0;
}
