/* libFuzzer target: bounded decompression (net/compress.h). Input: byte 0
 * picks the encoding, byte 1 the output bound (0..255 KiB), the rest is
 * the compressed data. Any crash, leak or sanitizer report is a bug; so is
 * a result above the bound, or a round trip of the raw input that does not
 * give it back. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/compress.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    enum df_encoding enc = (enum df_encoding)(data[0] % 4);
    size_t max_out = (size_t)data[1] << 10;
    const uint8_t *in = data + 2;
    size_t len = size - 2;
    uint8_t *out;
    size_t out_len;
    int rc = df_decompress(enc, in, len, max_out, &out, &out_len);
    if (rc == 0) {
        if (out_len > max_out || !out)
            abort();
        free(out);
    } else if (out || (rc != DF_ERANGE && rc != DF_EPARSE)) {
        abort();
    }
    /* Whatever the input, compressing it must round-trip. */
    uint8_t *packed;
    size_t packed_len;
    if (df_compress(enc, in, len, &packed, &packed_len) != 0)
        abort();
    if (df_decompress(enc, packed, packed_len, len, &out, &out_len) != 0 || out_len != len ||
        (len && memcmp(out, in, len) != 0))
        abort();
    free(out);
    free(packed);
    return 0;
}
