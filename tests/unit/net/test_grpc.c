/* Unit tests for net/grpc.h: message framing split at every byte, the size
 * limit enforced from the prefix alone, compressed messages, framing
 * errors, grpc-timeout, grpc-message percent-encoding, status details with
 * RetryInfo (checked against bytes built independently), and the OTLP
 * retry rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "net/grpc.h"

/* Collects delivered messages. */
struct sink {
    unsigned count;
    uint8_t *msgs[8];
    size_t lens[8];
};

static int collect(void *ud, uint8_t *msg, size_t len)
{
    struct sink *s = ud;
    assert_non_null(msg);
    if (s->count == 8) {
        free(msg);
        return DF_ERANGE;
    }
    s->msgs[s->count] = msg;
    s->lens[s->count++] = len;
    return 0;
}

static void sink_free(struct sink *s)
{
    for (unsigned i = 0; i < s->count; i++)
        free(s->msgs[i]);
    s->count = 0;
}

static uint8_t *concat3(const uint8_t *a, size_t al, const uint8_t *b, size_t bl, const uint8_t *c,
                        size_t cl, size_t *len)
{
    uint8_t *o = malloc(al + bl + cl);
    memcpy(o, a, al);
    memcpy(o + al, b, bl);
    memcpy(o + al + bl, c, cl);
    *len = al + bl + cl;
    return o;
}

static void test_status_names(void **state)
{
    assert_string_equal(df_grpc_status_name(0), "OK");
    assert_string_equal(df_grpc_status_name(8), "RESOURCE_EXHAUSTED");
    assert_string_equal(df_grpc_status_name(16), "UNAUTHENTICATED");
    assert_null(df_grpc_status_name(17));
    assert_null(df_grpc_status_name(-1));
    assert_int_equal(DF_GRPC_UNAVAILABLE, 14);
    assert_int_equal(DF_GRPC_DATA_LOSS, 15);
}

static void test_otlp_retryable(void **state)
{
    static const int yes[] = {DF_GRPC_CANCELLED,    DF_GRPC_DEADLINE_EXCEEDED, DF_GRPC_ABORTED,
                              DF_GRPC_OUT_OF_RANGE, DF_GRPC_UNAVAILABLE,       DF_GRPC_DATA_LOSS};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        assert_true(df_grpc_status_retryable(yes[i], false));
        assert_true(df_grpc_status_retryable(yes[i], true));
    }
    assert_false(df_grpc_status_retryable(DF_GRPC_RESOURCE_EXHAUSTED, false));
    assert_true(df_grpc_status_retryable(DF_GRPC_RESOURCE_EXHAUSTED, true));
    static const int no[] = {DF_GRPC_OK,
                             DF_GRPC_UNKNOWN,
                             DF_GRPC_INVALID_ARGUMENT,
                             DF_GRPC_NOT_FOUND,
                             DF_GRPC_ALREADY_EXISTS,
                             DF_GRPC_PERMISSION_DENIED,
                             DF_GRPC_FAILED_PRECONDITION,
                             DF_GRPC_UNIMPLEMENTED,
                             DF_GRPC_INTERNAL,
                             DF_GRPC_UNAUTHENTICATED};
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        assert_false(df_grpc_status_retryable(no[i], true));
    assert_int_equal(df_grpc_status_from_http(503), DF_GRPC_UNAVAILABLE);
    assert_int_equal(df_grpc_status_from_http(404), DF_GRPC_UNIMPLEMENTED);
    assert_int_equal(df_grpc_status_from_http(500), DF_GRPC_UNKNOWN);
    assert_int_equal(df_grpc_status_from_h2_error(7), DF_GRPC_UNAVAILABLE);
    assert_int_equal(df_grpc_status_from_h2_error(8), DF_GRPC_CANCELLED);
    assert_int_equal(df_grpc_status_from_h2_error(1), DF_GRPC_INTERNAL);
}

static void test_framing_split_everywhere(void **state)
{
    uint8_t big[300];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)(i * 7);
    uint8_t *a, *b, *c;
    size_t al, bl, cl, len;
    assert_int_equal(df_grpc_frame_encode(DF_ENCODING_IDENTITY, NULL, 0, &a, &al), 0);
    assert_int_equal(al, 5);
    assert_memory_equal(a, "\0\0\0\0\0", 5);
    assert_int_equal(df_grpc_frame_encode(DF_ENCODING_IDENTITY, big, sizeof big, &b, &bl), 0);
    assert_int_equal(bl, 305);
    assert_memory_equal(b, "\0\0\0\x01\x2c", 5);
    assert_int_equal(df_grpc_frame_encode(DF_ENCODING_GZIP, big, sizeof big, &c, &cl), 0);
    assert_int_equal(c[0], 1);
    uint8_t *stream = concat3(a, al, b, bl, c, cl, &len);
    for (size_t cut1 = 0; cut1 <= len; cut1++) {
        size_t cut2 = cut1 + (len - cut1) / 2;
        struct df_grpc_parser p;
        struct sink s = {0};
        df_grpc_parser_init(&p, 1000, DF_ENCODING_GZIP);
        assert_int_equal(df_grpc_parser_feed(&p, stream, cut1, collect, &s), 0);
        assert_int_equal(df_grpc_parser_feed(&p, stream + cut1, cut2 - cut1, collect, &s), 0);
        assert_int_equal(df_grpc_parser_feed(&p, stream + cut2, len - cut2, collect, &s), 0);
        assert_int_equal(df_grpc_parser_finish(&p), 0);
        assert_int_equal(s.count, 3);
        assert_int_equal(s.lens[0], 0);
        assert_int_equal(s.lens[1], sizeof big);
        assert_memory_equal(s.msgs[1], big, sizeof big);
        assert_int_equal(s.lens[2], sizeof big);
        assert_memory_equal(s.msgs[2], big, sizeof big);
        assert_int_equal(p.messages, 3);
        sink_free(&s);
        df_grpc_parser_free(&p);
    }
    /* One byte at a time. */
    struct df_grpc_parser p;
    struct sink s = {0};
    df_grpc_parser_init(&p, 1000, DF_ENCODING_GZIP);
    for (size_t i = 0; i < len; i++)
        assert_int_equal(df_grpc_parser_feed(&p, stream + i, 1, collect, &s), 0);
    assert_int_equal(s.count, 3);
    sink_free(&s);
    df_grpc_parser_free(&p);
    free(stream);
    free(a);
    free(b);
    free(c);
}

static void test_limit_from_prefix(void **state)
{
    struct df_grpc_parser p;
    struct sink s = {0};
    /* 101 announced with a limit of 100: refused from the 5 bytes alone. */
    df_grpc_parser_init(&p, 100, DF_ENCODING_IDENTITY);
    assert_int_equal(df_grpc_parser_feed(&p, (const uint8_t *)"\0\0\0\0\x65", 5, collect, &s),
                     DF_ERANGE);
    assert_int_equal(p.status, DF_GRPC_RESOURCE_EXHAUSTED);
    assert_non_null(p.reason);
    assert_null(p.body);
    assert_int_equal(s.count, 0);
    /* Sticky. */
    assert_int_equal(df_grpc_parser_feed(&p, (const uint8_t *)"x", 1, collect, &s), DF_ERANGE);
    assert_int_equal(df_grpc_parser_finish(&p), DF_ERANGE);
    df_grpc_parser_free(&p);
    /* 4 GiB - 1 announced: same, nothing allocated. */
    df_grpc_parser_init(&p, 4u << 20, DF_ENCODING_IDENTITY);
    assert_int_equal(df_grpc_parser_feed(&p, (const uint8_t *)"\0\xff\xff\xff\xff", 5, collect, &s),
                     DF_ERANGE);
    df_grpc_parser_free(&p);
    /* Exactly the limit is accepted, and buffers only what arrived. */
    df_grpc_parser_init(&p, 100, DF_ENCODING_IDENTITY);
    assert_int_equal(df_grpc_parser_feed(&p, (const uint8_t *)"\0\0\0\0\x64xy", 7, collect, &s), 0);
    assert_int_equal(p.body_have, 2);
    assert_int_equal(s.count, 0);
    assert_int_equal(df_grpc_parser_finish(&p), DF_EPARSE); /* truncated */
    assert_int_equal(p.status, DF_GRPC_INTERNAL);
    df_grpc_parser_free(&p);
}

static void test_decompressed_limit(void **state)
{
    uint8_t zeros[10000] = {0};
    uint8_t *f;
    size_t fl;
    for (int e = DF_ENCODING_GZIP; e <= DF_ENCODING_ZSTD; e++) {
        assert_int_equal(df_grpc_frame_encode((enum df_encoding)e, zeros, sizeof zeros, &f, &fl),
                         0);
        assert_true(fl < 1000);
        struct df_grpc_parser p;
        struct sink s = {0};
        df_grpc_parser_init(&p, 1000, (enum df_encoding)e);
        assert_int_equal(df_grpc_parser_feed(&p, f, fl, collect, &s), DF_ERANGE);
        assert_int_equal(p.status, DF_GRPC_RESOURCE_EXHAUSTED);
        assert_int_equal(s.count, 0);
        df_grpc_parser_free(&p);
        /* With room, it round-trips. */
        df_grpc_parser_init(&p, sizeof zeros, (enum df_encoding)e);
        assert_int_equal(df_grpc_parser_feed(&p, f, fl, collect, &s), 0);
        assert_int_equal(s.count, 1);
        assert_int_equal(s.lens[0], sizeof zeros);
        assert_memory_equal(s.msgs[0], zeros, sizeof zeros);
        sink_free(&s);
        df_grpc_parser_free(&p);
        free(f);
    }
}

static void test_framing_errors(void **state)
{
    struct df_grpc_parser p;
    struct sink s = {0};
    df_grpc_parser_init(&p, 100, DF_ENCODING_GZIP);
    assert_int_equal(df_grpc_parser_feed(&p, (const uint8_t *)"\x02\0\0\0\x01z", 6, collect, &s),
                     DF_EPARSE);
    assert_int_equal(p.status, DF_GRPC_INTERNAL);
    df_grpc_parser_free(&p);
    /* Compressed flag on a call without grpc-encoding. */
    df_grpc_parser_init(&p, 100, DF_ENCODING_IDENTITY);
    assert_int_equal(df_grpc_parser_feed(&p, (const uint8_t *)"\x01\0\0\0\x01z", 6, collect, &s),
                     DF_EPARSE);
    assert_int_equal(p.status, DF_GRPC_INTERNAL);
    df_grpc_parser_free(&p);
    /* Compressed data that is not gzip. */
    df_grpc_parser_init(&p, 100, DF_ENCODING_GZIP);
    assert_int_equal(df_grpc_parser_feed(&p, (const uint8_t *)"\x01\0\0\0\x03zzz", 8, collect, &s),
                     DF_EPARSE);
    assert_int_equal(p.status, DF_GRPC_INTERNAL);
    assert_int_equal(s.count, 0);
    df_grpc_parser_free(&p);
    /* A callback's refusal stops the parser. */
    df_grpc_parser_init(&p, 100, DF_ENCODING_IDENTITY);
    s.count = 8;
    assert_int_equal(df_grpc_parser_feed(&p, (const uint8_t *)"\0\0\0\0\x01z", 6, collect, &s),
                     DF_ERANGE);
    assert_int_equal(p.status, DF_GRPC_INTERNAL);
    df_grpc_parser_free(&p);
}

static void test_timeout(void **state)
{
    uint64_t ms;
    assert_int_equal(df_grpc_timeout_parse("1H", &ms), 0);
    assert_int_equal(ms, 3600000);
    assert_int_equal(df_grpc_timeout_parse("2M", &ms), 0);
    assert_int_equal(ms, 120000);
    assert_int_equal(df_grpc_timeout_parse("5S", &ms), 0);
    assert_int_equal(ms, 5000);
    assert_int_equal(df_grpc_timeout_parse("100m", &ms), 0);
    assert_int_equal(ms, 100);
    assert_int_equal(df_grpc_timeout_parse("1500u", &ms), 0);
    assert_int_equal(ms, 2);
    assert_int_equal(df_grpc_timeout_parse("1n", &ms), 0);
    assert_int_equal(ms, 1);
    assert_int_equal(df_grpc_timeout_parse("0m", &ms), 0);
    assert_int_equal(ms, 0);
    assert_int_equal(df_grpc_timeout_parse("99999999H", &ms), 0);
    assert_int_equal(ms, 99999999ull * 3600000ull);
    assert_int_equal(df_grpc_timeout_parse("123456789S", &ms), DF_EPARSE);
    assert_int_equal(df_grpc_timeout_parse("", &ms), DF_EPARSE);
    assert_int_equal(df_grpc_timeout_parse("10", &ms), DF_EPARSE);
    assert_int_equal(df_grpc_timeout_parse("S", &ms), DF_EPARSE);
    assert_int_equal(df_grpc_timeout_parse("10x", &ms), DF_EPARSE);
    assert_int_equal(df_grpc_timeout_parse("10SS", &ms), DF_EPARSE);
    assert_int_equal(df_grpc_timeout_parse("-1S", &ms), DF_EPARSE);
    char buf[16];
    assert_int_equal(df_grpc_timeout_format(100, buf, sizeof buf), 0);
    assert_string_equal(buf, "100m");
    assert_int_equal(df_grpc_timeout_format(100000000, buf, sizeof buf), 0);
    assert_string_equal(buf, "100000S");
    assert_int_equal(df_grpc_timeout_format(100000001, buf, sizeof buf), 0);
    assert_string_equal(buf, "100001S"); /* rounded up */
    assert_int_equal(df_grpc_timeout_parse(buf, &ms), 0);
    assert_true(ms >= 100000001);
    assert_int_equal(df_grpc_timeout_format(UINT64_MAX, buf, sizeof buf), DF_ERANGE);
    assert_int_equal(df_grpc_timeout_format(1, buf, 4), DF_ERANGE);
}

static void test_message_percent_encoding(void **state)
{
    char *e = df_grpc_message_encode("h\xc3\xa9llo 100%\n");
    assert_string_equal(e, "h%C3%A9llo 100%25%0A");
    char *d = df_grpc_message_decode(e);
    assert_string_equal(d, "h\xc3\xa9llo 100%\n");
    free(e);
    free(d);
    /* Invalid sequences are kept as they are. */
    d = df_grpc_message_decode("%zz 50% %4");
    assert_string_equal(d, "%zz 50% %4");
    free(d);
    d = df_grpc_message_decode("a%41%4a");
    assert_string_equal(d, "aAJ");
    free(d);
}

static void test_status_details(void **state)
{
    /* Built independently (python: Status{code:14, details:[Any{
     * type.googleapis.com/google.rpc.RetryInfo, RetryInfo{Duration{2s}}}]}). */
    static const char two_s[] =
        "CA4aMAoodHlwZS5nb29nbGVhcGlzLmNvbS9nb29nbGUucnBjLlJldHJ5SW5mbxIECgIIAg";
    static const char slow_down[] =
        "CAgSCXNsb3cgZG93bho2Cih0eXBlLmdvb2dsZWFwaXMuY29tL2dvb2dsZS5ycGM"
        "uUmV0cnlJbmZvEgoKCAgBEIDKte4B";
    char *b64;
    assert_int_equal(df_grpc_status_details_encode(14, "", 2000, &b64), 0);
    assert_string_equal(b64, two_s);
    free(b64);
    assert_int_equal(df_grpc_status_details_encode(8, "slow down", 1500, &b64), 0);
    assert_string_equal(b64, slow_down);
    struct df_grpc_status_details d;
    assert_int_equal(df_grpc_status_details_decode(b64, strlen(b64), &d), 0);
    assert_int_equal(d.code, 8);
    assert_true(d.has_retry_info);
    assert_int_equal(d.retry_delay_ms, 1500);
    free(b64);
    /* Padded form accepted. */
    char padded[sizeof two_s + 2];
    snprintf(padded, sizeof padded, "%s==", two_s);
    assert_int_equal(df_grpc_status_details_decode(padded, strlen(padded), &d), 0);
    assert_int_equal(d.code, 14);
    assert_int_equal(d.retry_delay_ms, 2000);
    /* No RetryInfo. */
    assert_int_equal(df_grpc_status_details_encode(3, "bad", -1, &b64), 0);
    assert_int_equal(df_grpc_status_details_decode(b64, strlen(b64), &d), 0);
    assert_int_equal(d.code, 3);
    assert_false(d.has_retry_info);
    free(b64);
    /* Zero delay is still a RetryInfo. */
    assert_int_equal(df_grpc_status_details_encode(14, NULL, 0, &b64), 0);
    assert_int_equal(df_grpc_status_details_decode(b64, strlen(b64), &d), 0);
    assert_true(d.has_retry_info);
    assert_int_equal(d.retry_delay_ms, 0);
    free(b64);
    /* Garbage. */
    assert_int_equal(df_grpc_status_details_decode("!!!!", 4, &d), DF_EPARSE);
    assert_int_equal(df_grpc_status_details_decode("A", 1, &d), DF_EPARSE);
    assert_int_equal(df_grpc_status_details_decode("GgM", 3, &d), DF_EPARSE); /* 1a 03: short */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_names),
        cmocka_unit_test(test_otlp_retryable),
        cmocka_unit_test(test_framing_split_everywhere),
        cmocka_unit_test(test_limit_from_prefix),
        cmocka_unit_test(test_decompressed_limit),
        cmocka_unit_test(test_framing_errors),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_message_percent_encoding),
        cmocka_unit_test(test_status_details),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
