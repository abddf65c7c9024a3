/* libFuzzer target: the gRPC message parser (net/grpc.h) fed in arbitrary
 * chunks, and the header decoders. Input: byte 0 picks the mode and
 * encoding, byte 1 the message limit, byte 2 seeds the chunk sizes; the
 * rest is the stream. Any crash, leak or sanitizer report is a bug; so is a
 * delivered message over the limit, an error without a status, or a
 * different result for a different chunking. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/grpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct sink {
    size_t max;
    uint64_t count, bytes;
    uint32_t hash;
};

static int on_message(void *ud, uint8_t *msg, size_t len)
{
    struct sink *s = ud;
    if (!msg || len > s->max)
        abort();
    for (size_t i = 0; i < len; i++)
        s->hash = s->hash * 31 + msg[i];
    s->count++;
    s->bytes += len;
    free(msg);
    return 0;
}

static int run(enum df_encoding enc, size_t max, const uint8_t *in, size_t len, uint32_t seed,
               struct sink *s)
{
    struct df_grpc_parser p;
    df_grpc_parser_init(&p, max, enc);
    memset(s, 0, sizeof *s);
    s->max = max;
    int rc = 0;
    size_t off = 0;
    while (off < len && rc == 0) {
        seed = seed * 1103515245u + 12345u;
        size_t n = seed == 0 ? len - off : (seed >> 16) % 64 + 1;
        if (n > len - off)
            n = len - off;
        rc = df_grpc_parser_feed(&p, in + off, n, on_message, s);
        off += n;
    }
    if (rc == 0)
        rc = df_grpc_parser_finish(&p);
    if (rc != 0 && (p.status == DF_GRPC_OK || !p.reason))
        abort();
    df_grpc_parser_free(&p);
    return rc;
}

static void headers(const uint8_t *in, size_t len)
{
    char *s = malloc(len + 1);
    memcpy(s, in, len);
    s[len] = 0;
    struct df_grpc_status_details d;
    if (df_grpc_status_details_decode(s, len, &d) == 0 && d.has_retry_info &&
        d.retry_delay_ms > 315576000000ull * 1000 + 1000)
        abort();
    uint64_t ms;
    char buf[16];
    if (df_grpc_timeout_parse(s, &ms) == 0 && df_grpc_timeout_format(ms, buf, sizeof buf) != 0 &&
        ms < 99999999ull * 3600000)
        abort();
    char *dec = df_grpc_message_decode(s);
    char *enc = df_grpc_message_encode(dec);
    char *back = df_grpc_message_decode(enc);
    if (strcmp(back, dec) != 0)
        abort();
    free(dec);
    free(enc);
    free(back);
    free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    if (data[0] & 0x80) {
        headers(data + 1, size - 1);
        return 0;
    }
    enum df_encoding enc = (enum df_encoding)(data[0] % 4);
    size_t max = (size_t)data[1] * 64;
    struct sink a, b;
    int ra = run(enc, max, data + 3, size - 3, data[2], &a);
    int rb = run(enc, max, data + 3, size - 3, 0, &b); /* all at once */
    if (ra != rb || a.count != b.count || a.bytes != b.bytes || a.hash != b.hash)
        abort();
    return 0;
}
