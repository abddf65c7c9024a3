/* Unit tests for net/compress.h: encoding names, round trips for every
 * encoding and size, decompression bombs refused at max_out (including zstd
 * frames without a content size), several zstd frames and gzip members,
 * corrupt, truncated and trailing-garbage input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zstd.h>

#include "net/compress.h"

static const enum df_encoding all[] = {DF_ENCODING_IDENTITY, DF_ENCODING_GZIP, DF_ENCODING_DEFLATE,
                                       DF_ENCODING_ZSTD};
static const enum df_encoding packed[] = {DF_ENCODING_GZIP, DF_ENCODING_DEFLATE, DF_ENCODING_ZSTD};

/* Text-like data that compresses but not trivially. */
static uint8_t *sample(size_t n)
{
    uint8_t *b = malloc(n ? n : 1);
    uint32_t x = 12345;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        b[i] = (uint8_t)("abcdefgh ij\n"[(x >> 16) % 12]);
    }
    return b;
}

static void test_encoding_names(void **state)
{
    enum df_encoding e;
    assert_int_equal(df_encoding_parse("gzip", &e), 0);
    assert_int_equal(e, DF_ENCODING_GZIP);
    assert_int_equal(df_encoding_parse("GZip", &e), 0);
    assert_int_equal(e, DF_ENCODING_GZIP);
    assert_int_equal(df_encoding_parse("zstd", &e), 0);
    assert_int_equal(e, DF_ENCODING_ZSTD);
    assert_int_equal(df_encoding_parse("identity", &e), 0);
    assert_int_equal(e, DF_ENCODING_IDENTITY);
    assert_int_equal(df_encoding_parse("deflate", &e), 0);
    assert_int_equal(e, DF_ENCODING_DEFLATE);
    assert_int_equal(df_encoding_parse("br", &e), DF_ENOENT);
    assert_int_equal(df_encoding_parse("", &e), DF_ENOENT);
    assert_int_equal(df_encoding_parse("gzip2", &e), DF_ENOENT);
    assert_string_equal(df_encoding_name(DF_ENCODING_ZSTD), "zstd");
    assert_string_equal(df_encoding_name((enum df_encoding)42), "?");
}

static void test_round_trips(void **state)
{
    static const size_t sizes[] = {0, 1, 100, 4096, 4097, 300000};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        size_t n = sizes[s];
        uint8_t *in = sample(n);
        for (size_t e = 0; e < sizeof all / sizeof all[0]; e++) {
            uint8_t *c, *d;
            size_t clen, dlen;
            assert_int_equal(df_compress(all[e], in, n, &c, &clen), 0);
            if (all[e] != DF_ENCODING_IDENTITY && n >= 4096)
                assert_true(clen < n * 3 / 4);
            /* Exactly at the bound is fine, one byte less is not. */
            assert_int_equal(df_decompress(all[e], c, clen, n, &d, &dlen), 0);
            assert_non_null(d);
            assert_int_equal(dlen, n);
            if (n)
                assert_memory_equal(d, in, n);
            free(d);
            if (n > 0) {
                assert_int_equal(df_decompress(all[e], c, clen, n - 1, &d, &dlen), DF_ERANGE);
                assert_null(d);
            }
            free(c);
        }
        free(in);
    }
}

static void test_bombs_refused(void **state)
{
    size_t n = 64u << 20; /* 64 MiB of zeros: a few KiB compressed */
    uint8_t *zeros = calloc(1, n);
    for (size_t e = 0; e < sizeof packed / sizeof packed[0]; e++) {
        uint8_t *c, *d = (uint8_t *)1;
        size_t clen, dlen;
        assert_int_equal(df_compress(packed[e], zeros, n, &c, &clen), 0);
        assert_true(clen < 1u << 20);
        assert_int_equal(df_decompress(packed[e], c, clen, 1u << 20, &d, &dlen), DF_ERANGE);
        assert_null(d);
        free(c);
    }
    /* zstd without a content size in the header goes the streaming way. */
    ZSTD_CCtx *cc = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(cc, ZSTD_c_contentSizeFlag, 0);
    size_t cap = ZSTD_compressBound(n);
    uint8_t *c = malloc(cap);
    ZSTD_outBuffer ob = {c, cap, 0};
    ZSTD_inBuffer ib = {zeros, n, 0};
    assert_int_equal(ZSTD_compressStream2(cc, &ob, &ib, ZSTD_e_end), 0);
    ZSTD_freeCCtx(cc);
    assert_int_equal(ZSTD_getFrameContentSize(c, ob.pos), ZSTD_CONTENTSIZE_UNKNOWN);
    uint8_t *d;
    size_t dlen;
    assert_int_equal(df_decompress(DF_ENCODING_ZSTD, c, ob.pos, 1u << 20, &d, &dlen), DF_ERANGE);
    assert_null(d);
    /* ...and is fine when the bound allows it. */
    assert_int_equal(df_decompress(DF_ENCODING_ZSTD, c, ob.pos, n, &d, &dlen), 0);
    assert_int_equal(dlen, n);
    assert_memory_equal(d, zeros, n);
    free(d);
    free(c);
    free(zeros);
}

static void test_zstd_frames(void **state)
{
    uint8_t *in = sample(10000);
    uint8_t *c, *d;
    size_t clen, dlen;
    assert_int_equal(df_compress(DF_ENCODING_ZSTD, in, 10000, &c, &clen), 0);
    /* A header announcing more than max_out is refused before any work. */
    assert_int_equal(df_decompress(DF_ENCODING_ZSTD, c, clen, 9999, &d, &dlen), DF_ERANGE);
    /* Two frames back to back are one input. */
    uint8_t *two = malloc(2 * clen);
    memcpy(two, c, clen);
    memcpy(two + clen, c, clen);
    assert_int_equal(df_decompress(DF_ENCODING_ZSTD, two, 2 * clen, 20000, &d, &dlen), 0);
    assert_int_equal(dlen, 20000);
    assert_memory_equal(d + 10000, in, 10000);
    free(d);
    assert_int_equal(df_decompress(DF_ENCODING_ZSTD, two, 2 * clen, 19999, &d, &dlen), DF_ERANGE);
    free(two);
    free(c);
    free(in);
}

static void test_corrupt_input(void **state)
{
    uint8_t *in = sample(50000);
    for (size_t e = 0; e < sizeof packed / sizeof packed[0]; e++) {
        uint8_t *c, *d;
        size_t clen, dlen;
        assert_int_equal(df_compress(packed[e], in, 50000, &c, &clen), 0);
        /* Truncated anywhere. */
        for (size_t cut = 0; cut < clen; cut += clen / 7 + 1) {
            assert_int_equal(df_decompress(packed[e], c, cut, 1u << 20, &d, &dlen), DF_EPARSE);
            assert_null(d);
        }
        assert_int_equal(df_decompress(packed[e], c, clen - 1, 1u << 20, &d, &dlen), DF_EPARSE);
        /* Trailing garbage. */
        uint8_t *more = malloc(clen + 3);
        memcpy(more, c, clen);
        memcpy(more + clen, "xyz", 3);
        assert_int_equal(df_decompress(packed[e], more, clen + 3, 1u << 20, &d, &dlen), DF_EPARSE);
        /* A flipped byte in the payload: checksums (gzip CRC, zlib Adler,
         * zstd block structure) catch it. */
        memcpy(more, c, clen);
        more[clen / 2] ^= 0x55;
        more[clen / 2 + 1] ^= 0xaa;
        int rc = df_decompress(packed[e], more, clen, 1u << 20, &d, &dlen);
        if (rc == 0) {
            /* zstd has no checksum by default: it may decode to other data,
             * but never to the original. */
            assert_int_equal(packed[e], DF_ENCODING_ZSTD);
            assert_false(dlen == 50000 && memcmp(d, in, 50000) == 0);
            free(d);
        } else {
            assert_true(rc == DF_EPARSE || rc == DF_ERANGE);
        }
        free(more);
        free(c);
    }
    uint8_t *d;
    size_t dlen;
    assert_int_equal(df_decompress(DF_ENCODING_ZSTD, (const uint8_t *)"hello", 5, 100, &d, &dlen),
                     DF_EPARSE);
    assert_int_equal(df_decompress(DF_ENCODING_GZIP, (const uint8_t *)"hello", 5, 100, &d, &dlen),
                     DF_EPARSE);
    assert_int_equal(df_decompress(DF_ENCODING_GZIP, NULL, 0, 100, &d, &dlen), DF_EPARSE);
    assert_int_equal(df_decompress(DF_ENCODING_ZSTD, NULL, 0, 100, &d, &dlen), DF_EPARSE);
    assert_int_equal(df_decompress(DF_ENCODING_IDENTITY, (const uint8_t *)"hello", 5, 4, &d, &dlen),
                     DF_ERANGE);
    assert_int_equal(df_decompress((enum df_encoding)9, (const uint8_t *)"x", 1, 4, &d, &dlen),
                     DF_EINVAL);
    free(in);
}

static void test_gzip_members(void **state)
{
    uint8_t *a, *b, *d;
    size_t alen, blen, dlen;
    assert_int_equal(df_compress(DF_ENCODING_GZIP, (const uint8_t *)"hello ", 6, &a, &alen), 0);
    assert_int_equal(df_compress(DF_ENCODING_GZIP, (const uint8_t *)"world", 5, &b, &blen), 0);
    uint8_t *ab = malloc(alen + blen);
    memcpy(ab, a, alen);
    memcpy(ab + alen, b, blen);
    assert_int_equal(df_decompress(DF_ENCODING_GZIP, ab, alen + blen, 100, &d, &dlen), 0);
    assert_int_equal(dlen, 11);
    assert_memory_equal(d, "hello world", 11);
    free(d);
    assert_int_equal(df_decompress(DF_ENCODING_GZIP, ab, alen + blen, 10, &d, &dlen), DF_ERANGE);
    /* deflate (zlib) does not take gzip data. */
    assert_int_equal(df_decompress(DF_ENCODING_DEFLATE, a, alen, 100, &d, &dlen), DF_EPARSE);
    free(ab);
    free(a);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encoding_names), cmocka_unit_test(test_round_trips),
        cmocka_unit_test(test_bombs_refused),  cmocka_unit_test(test_zstd_frames),
        cmocka_unit_test(test_corrupt_input),  cmocka_unit_test(test_gzip_members),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
