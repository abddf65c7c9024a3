/* Unit tests for the protobuf wire reader and writer (otlp/wire.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "df/error.h"
#include "otlp/wire.h"

/* Reads exactly one field from bytes and expects the reader at the end. */
static struct df_pb_field one_field(const uint8_t *buf, size_t len)
{
    struct df_pb_reader r = df_pb_reader_make(buf, len);
    struct df_pb_field f;
    assert_int_equal(df_pb_next(&r, &f), 1);
    assert_ptr_equal(f.start, buf);
    assert_ptr_equal(f.next, buf + len);
    assert_int_equal(df_pb_next(&r, &f), 0);
    return f;
}

static void test_varint_roundtrip(void **state)
{
    (void)state;
    static const struct {
        uint64_t v;
        size_t size; /* encoded value bytes */
    } cases[] = {
        {0, 1},          {1, 1},           {127, 1},         {128, 2},
        {300, 2},        {16383, 2},       {16384, 3},       {UINT32_MAX, 5},
        {1ull << 56, 9}, {1ull << 63, 10}, {UINT64_MAX, 10},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct df_pb_writer w;
        df_pb_writer_init(&w);
        df_pb_put_varint(&w, 3, cases[i].v);
        assert_int_equal(w.err, 0);
        assert_int_equal(w.len, 1 + cases[i].size);
        assert_int_equal(w.buf[0], 3 << 3 | DF_PB_VARINT);
        struct df_pb_field f = one_field(w.buf, w.len);
        assert_int_equal(f.num, 3);
        assert_int_equal(f.wtype, DF_PB_VARINT);
        assert_true(f.u64 == cases[i].v);
        df_pb_writer_free(&w);
    }
    /* Known encodings. */
    struct df_pb_writer w;
    df_pb_writer_init(&w);
    df_pb_put_raw_varint(&w, 300);
    assert_int_equal(w.len, 2);
    assert_int_equal(w.buf[0], 0xac);
    assert_int_equal(w.buf[1], 0x02);
    df_pb_writer_free(&w);
}

static void test_fields_roundtrip(void **state)
{
    (void)state;
    struct df_pb_writer w;
    df_pb_writer_init(&w);
    df_pb_put_sint(&w, 1, -5);
    df_pb_put_fixed32(&w, 2, 0xdeadbeef);
    df_pb_put_fixed64(&w, 3, 0x0102030405060708ull);
    df_pb_put_double(&w, 4, -2.5);
    df_pb_put_bytes(&w, 5, "\x00\x01\x02", 3);
    df_pb_put_string(&w, 6, "hello");
    size_t m = df_pb_begin(&w, 7);
    df_pb_put_varint(&w, 1, 42);
    df_pb_end(&w, m);
    df_pb_put_varint(&w, DF_PB_MAX_FIELD, 9);
    assert_int_equal(w.err, 0);

    struct df_pb_reader r = df_pb_reader_make(w.buf, w.len);
    struct df_pb_field f;
    const uint8_t *prev = w.buf;

    assert_int_equal(df_pb_next(&r, &f), 1);
    assert_int_equal(f.num, 1);
    assert_int_equal(f.wtype, DF_PB_VARINT);
    assert_int_equal(f.u64, 9); /* zigzag(-5) */
    assert_int_equal(df_pb_zigzag(f.u64), -5);
    assert_ptr_equal(f.start, prev);
    prev = f.next;

    assert_int_equal(df_pb_next(&r, &f), 1);
    assert_int_equal(f.num, 2);
    assert_int_equal(f.wtype, DF_PB_FIXED32);
    assert_int_equal(f.u64, 0xdeadbeef);
    assert_ptr_equal(f.start, prev);
    assert_int_equal(f.next - f.start, 5);
    prev = f.next;

    assert_int_equal(df_pb_next(&r, &f), 1);
    assert_int_equal(f.num, 3);
    assert_int_equal(f.wtype, DF_PB_FIXED64);
    assert_true(f.u64 == 0x0102030405060708ull);
    assert_int_equal(f.start[1], 0x08); /* little endian */
    assert_int_equal(f.next - f.start, 9);
    prev = f.next;

    assert_int_equal(df_pb_next(&r, &f), 1);
    assert_int_equal(f.num, 4);
    assert_true(df_pb_double(f.u64) == -2.5);

    assert_int_equal(df_pb_next(&r, &f), 1);
    assert_int_equal(f.num, 5);
    assert_int_equal(f.wtype, DF_PB_LEN);
    assert_int_equal(f.len, 3);
    assert_memory_equal(f.data, "\x00\x01\x02", 3);
    assert_ptr_equal(f.data, f.start + 2);
    assert_ptr_equal(f.next, f.data + 3);

    assert_int_equal(df_pb_next(&r, &f), 1);
    assert_int_equal(f.num, 6);
    assert_int_equal(f.len, 5);
    assert_memory_equal(f.data, "hello", 5);

    assert_int_equal(df_pb_next(&r, &f), 1);
    assert_int_equal(f.num, 7);
    assert_int_equal(f.len, 2);
    struct df_pb_field g = one_field(f.data, f.len);
    assert_int_equal(g.num, 1);
    assert_int_equal(g.u64, 42);

    assert_int_equal(df_pb_next(&r, &f), 1);
    assert_int_equal(f.num, DF_PB_MAX_FIELD);
    assert_int_equal(f.u64, 9);
    assert_ptr_equal(f.next, w.buf + w.len);
    assert_int_equal(df_pb_next(&r, &f), 0);
    assert_int_equal(df_pb_next(&r, &f), 0); /* stays at the end */
    df_pb_writer_free(&w);
}

static void test_long_tags_and_lengths(void **state)
{
    (void)state;
    /* Field 1000 (two-byte tag) with a 300-byte payload (two-byte length):
     * takes the general path. */
    struct df_pb_writer w;
    df_pb_writer_init(&w);
    uint8_t payload[300];
    memset(payload, 'x', sizeof payload);
    df_pb_put_bytes(&w, 1000, payload, sizeof payload);
    df_pb_put_varint(&w, 20, 1u << 20);
    struct df_pb_reader r = df_pb_reader_make(w.buf, w.len);
    struct df_pb_field f;
    assert_int_equal(df_pb_next(&r, &f), 1);
    assert_int_equal(f.num, 1000);
    assert_int_equal(f.len, 300);
    assert_ptr_equal(f.data, w.buf + 4);
    assert_int_equal(df_pb_next(&r, &f), 1);
    assert_int_equal(f.num, 20);
    assert_int_equal(f.u64, 1u << 20);
    assert_int_equal(df_pb_next(&r, &f), 0);
    df_pb_writer_free(&w);
}

static void expect_malformed(const char *what, const uint8_t *buf, size_t len)
{
    struct df_pb_reader r = df_pb_reader_make(buf, len);
    struct df_pb_field f;
    int rc = df_pb_next(&r, &f);
    if (rc != DF_EPARSE)
        print_error("%s: got %d\n", what, rc);
    assert_int_equal(rc, DF_EPARSE);
    /* The reader did not move. */
    assert_ptr_equal(r.p, buf);
    assert_int_equal(df_pb_next(&r, &f), DF_EPARSE);
}

#define MALFORMED(what, ...)                                                                       \
    do {                                                                                           \
        static const uint8_t b_[] = {__VA_ARGS__};                                                 \
        expect_malformed(what, b_, sizeof b_);                                                     \
    } while (0)

static void test_malformed(void **state)
{
    (void)state;
    MALFORMED("truncated tag", 0x80);
    MALFORMED("truncated tag 2", 0x88, 0x80);
    MALFORMED("truncated varint value", 0x08);
    MALFORMED("truncated varint value 2", 0x08, 0x80);
    MALFORMED("11-byte varint", 0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
              0x01);
    MALFORMED("varint over 64 bits", 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
              0x02);
    MALFORMED("11-byte tag", 0x88, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00);
    MALFORMED("length past end", 0x0a, 0x05, 'a', 'b');
    MALFORMED("length past end, long form", 0x0a, 0x81, 0x01, 'a');
    MALFORMED("huge length", 0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01);
    MALFORMED("truncated length", 0x0a);
    MALFORMED("truncated fixed32", 0x0d, 1, 2, 3);
    MALFORMED("truncated fixed64", 0x09, 1, 2, 3, 4, 5, 6, 7);
    MALFORMED("field 0 varint", 0x00, 0x01);
    MALFORMED("field 0 len", 0x02, 0x00);
    /* field 2^29 = tag 2^32: varint 80 80 80 80 10 */
    MALFORMED("field 2^29", 0x80, 0x80, 0x80, 0x80, 0x10, 0x00);
    MALFORMED("tag above 32 bits", 0x88, 0x80, 0x80, 0x80, 0x80, 0x01, 0x00);
    MALFORMED("start group", 0x0b);
    MALFORMED("end group", 0x0c);
    MALFORMED("wire type 6", 0x0e, 0x00);
    MALFORMED("wire type 7", 0x0f, 0x00);
    MALFORMED("wire type 3, long tag", 0x83, 0x01);
}

static void test_malformed_after_good(void **state)
{
    (void)state;
    static const uint8_t b[] = {0x08, 0x01, 0x12, 0x01, 'x', 0x1a, 0x02, 'y'};
    struct df_pb_reader r = df_pb_reader_make(b, sizeof b);
    struct df_pb_field f;
    assert_int_equal(df_pb_next(&r, &f), 1);
    assert_int_equal(df_pb_next(&r, &f), 1);
    assert_int_equal(f.num, 2);
    assert_int_equal(df_pb_next(&r, &f), DF_EPARSE);
    assert_ptr_equal(r.p, b + 5);
}

static void test_edges_accepted(void **state)
{
    (void)state;
    /* 10-byte varint holding 2^64-1; field 2^29-1 (tag ff ff ff ff 0f). */
    static const uint8_t max[] = {0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    struct df_pb_field f = one_field(max, sizeof max);
    assert_true(f.u64 == UINT64_MAX);
    static const uint8_t maxfield[] = {0xf8, 0xff, 0xff, 0xff, 0x0f, 0x00};
    f = one_field(maxfield, sizeof maxfield);
    assert_int_equal(f.num, DF_PB_MAX_FIELD);
    /* Non-minimal varints are accepted (protobuf allows them). */
    static const uint8_t padded[] = {0x08, 0x81, 0x80, 0x00};
    f = one_field(padded, sizeof padded);
    assert_int_equal(f.u64, 1);
    /* Empty LEN field at the very end. */
    static const uint8_t empty[] = {0x0a, 0x00};
    f = one_field(empty, sizeof empty);
    assert_int_equal(f.len, 0);

    struct df_pb_reader r = df_pb_reader_make(NULL, 0);
    assert_int_equal(df_pb_next(&r, &f), 0);
}

/* A nested message of `body` bytes gets a minimal length varint, whatever
 * room was kept for it (`expect`: the size df_pb_begin_sized was told;
 * SIZE_MAX: df_pb_begin). */
static void check_canonical(size_t body, size_t expect)
{
    struct df_pb_writer w;
    df_pb_writer_init(&w);
    df_pb_put_varint(&w, 9, 1); /* something before the mark */
    size_t m = expect == SIZE_MAX ? df_pb_begin(&w, 2) : df_pb_begin_sized(&w, 2, expect);
    uint8_t *chunk = malloc(body ? body : 1);
    assert_non_null(chunk);
    for (size_t i = 0; i < body; i++)
        chunk[i] = (uint8_t)(i * 7);
    df_pb_put_raw(&w, chunk, body);
    df_pb_end(&w, m);
    assert_int_equal(w.err, 0);

    size_t vsize = 1;
    for (size_t v = body; v >= 0x80; v >>= 7)
        vsize++;
    assert_int_equal(w.len, 2 + 1 + vsize + body);
    struct df_pb_reader r = df_pb_reader_make(w.buf, w.len);
    struct df_pb_field f;
    assert_int_equal(df_pb_next(&r, &f), 1);
    assert_int_equal(df_pb_next(&r, &f), 1);
    assert_int_equal(f.num, 2);
    assert_int_equal(f.len, body);
    assert_int_equal(f.data - f.start, 1 + vsize);
    assert_memory_equal(f.data, chunk, body);
    free(chunk);
    df_pb_writer_free(&w);
}

static void test_canonical_lengths(void **state)
{
    (void)state;
    static const size_t sizes[] = {0, 1, 127, 128, 300, 16383, 16384, 2097151, 2097152};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        check_canonical(sizes[i], SIZE_MAX);
        /* Room for a wider, a narrower and the same length. */
        for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++)
            check_canonical(sizes[i], sizes[k]);
    }
}

static void test_nested_canonical(void **state)
{
    (void)state;
    /* outer { inner { 200 bytes } }: inner length 2 bytes, outer 2 bytes. */
    struct df_pb_writer w;
    df_pb_writer_init(&w);
    size_t outer = df_pb_begin(&w, 1);
    size_t inner = df_pb_begin(&w, 2);
    uint8_t body[200];
    memset(body, 0x55, sizeof body);
    df_pb_put_bytes(&w, 3, body, sizeof body); /* 1 + 2 + 200 = 203 */
    df_pb_end(&w, inner);                      /* 1 + 2 + 203 = 206 */
    df_pb_end(&w, outer);                      /* 1 + 2 + 206 = 209 */
    assert_int_equal(w.len, 209);
    static const uint8_t head[] = {0x0a, 0xce, 0x01, 0x12, 0xcb, 0x01, 0x1a, 0xc8, 0x01};
    assert_memory_equal(w.buf, head, sizeof head);
    /* Empty nested messages. */
    df_pb_writer_free(&w);
    size_t a = df_pb_begin(&w, 1);
    size_t b = df_pb_begin(&w, 2);
    df_pb_end(&w, b);
    df_pb_end(&w, a);
    static const uint8_t empty[] = {0x0a, 0x02, 0x12, 0x00};
    assert_int_equal(w.len, sizeof empty);
    assert_memory_equal(w.buf, empty, sizeof empty);
    df_pb_writer_free(&w);
}

static void test_take(void **state)
{
    (void)state;
    struct df_pb_writer w;
    df_pb_writer_init(&w);
    size_t len = 99;
    assert_null(df_pb_writer_take(&w, &len));
    assert_int_equal(len, 0);
    df_pb_put_string(&w, 1, "abc");
    uint8_t *buf = df_pb_writer_take(&w, &len);
    assert_non_null(buf);
    assert_int_equal(len, 5);
    assert_memory_equal(buf,
                        "\x0a\x03"
                        "abc",
                        5);
    assert_null(w.buf);
    assert_int_equal(w.len, 0);
    assert_int_equal(w.cap, 0);
    free(buf);
    df_pb_writer_free(&w);
    df_pb_writer_free(&w); /* twice is fine */
}

static void test_error_sticky(void **state)
{
    (void)state;
    struct df_pb_writer w;
    df_pb_writer_init(&w);
    df_pb_put_varint(&w, 1, 1);
    size_t before = w.len;
    w.err = DF_ENOMEM; /* as if a realloc had failed */
    df_pb_put_string(&w, 2, "lost");
    df_pb_put_fixed64(&w, 3, 1);
    df_pb_put_fixed32(&w, 3, 1);
    size_t m = df_pb_begin(&w, 4);
    df_pb_put_raw(&w, "x", 1);
    df_pb_end(&w, m);
    assert_int_equal(w.len, before);
    assert_int_equal(w.err, DF_ENOMEM);
    size_t len = 1;
    assert_null(df_pb_writer_take(&w, &len));
    assert_int_equal(len, 0);
    assert_int_equal(w.err, 0);
}

static void test_growth(void **state)
{
    (void)state;
    /* Many small writes across several reallocations read back intact. */
    struct df_pb_writer w;
    df_pb_writer_init(&w);
    for (uint64_t i = 0; i < 10000; i++)
        df_pb_put_varint(&w, 1 + (uint32_t)(i % 15), i * 131);
    assert_int_equal(w.err, 0);
    struct df_pb_reader r = df_pb_reader_make(w.buf, w.len);
    struct df_pb_field f;
    uint64_t i = 0;
    while (df_pb_next(&r, &f) == 1) {
        assert_int_equal(f.num, 1 + i % 15);
        assert_true(f.u64 == i * 131);
        i++;
    }
    assert_int_equal(i, 10000);
    df_pb_writer_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_varint_roundtrip),
        cmocka_unit_test(test_fields_roundtrip),
        cmocka_unit_test(test_long_tags_and_lengths),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_malformed_after_good),
        cmocka_unit_test(test_edges_accepted),
        cmocka_unit_test(test_canonical_lengths),
        cmocka_unit_test(test_nested_canonical),
        cmocka_unit_test(test_take),
        cmocka_unit_test(test_error_sticky),
        cmocka_unit_test(test_growth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
