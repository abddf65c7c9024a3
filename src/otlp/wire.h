/* otlp/wire.h — protobuf wire format: a zero-copy reader and a growable
 * writer.
 *
 * The reader walks the fields of one message in a caller-owned buffer and
 * never copies or allocates: length-delimited fields point into the buffer.
 * It checks the framing only (varints, lengths, field numbers, wire types);
 * what a field means is the caller's business (see otlp/otlp.h for the OTLP
 * schema). The writer appends encoded fields to a malloc'ed buffer; nested
 * messages are written in place with df_pb_begin/df_pb_end, which leave a
 * canonical (minimal) length varint.
 *
 * Neither side keeps global state: a reader or writer belongs to the thread
 * using it. */
#ifndef DF_OTLP_WIRE_H
#define DF_OTLP_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "df/error.h"

/* Wire types (groups, 3 and 4, are rejected by the reader). */
#define DF_PB_VARINT  0
#define DF_PB_FIXED64 1
#define DF_PB_LEN     2
#define DF_PB_FIXED32 5

#define DF_PB_MAX_FIELD  0x1fffffffu /* 2^29 - 1 */
#define DF_PB_VARINT_MAX 10          /* bytes in the longest varint */

/* Writes `v` as a varint at out[0..DF_PB_VARINT_MAX); returns its length. */
static inline size_t df_pb_varint_encode(uint8_t *out, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        out[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    out[n++] = (uint8_t)v;
    return n;
}

/* The length of `v` as a varint (1 to DF_PB_VARINT_MAX). */
static inline size_t df_pb_varint_size(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

/* The unread part of a message: [p, end). */
struct df_pb_reader {
    const uint8_t *p, *end;
};

/* One decoded field. `u64` holds the value of VARINT, FIXED64 and FIXED32
 * fields (fixed values decoded from little endian); `data`/`len` the payload
 * of LEN fields (pointing into the reader's buffer). `start` is the first
 * byte of the tag and `next` the first byte after the field, so
 * [start, next) is the whole tagged field. */
struct df_pb_field {
    uint32_t num;
    uint8_t wtype;
    uint64_t u64;
    const uint8_t *data;
    size_t len;
    const uint8_t *start;
    const uint8_t *next;
};

static inline struct df_pb_reader df_pb_reader_make(const uint8_t *buf, size_t len)
{
    /* NULL + 0 is undefined behaviour in C: an empty NULL buffer stays NULL. */
    return (struct df_pb_reader){.p = buf, .end = buf ? buf + len : buf};
}

/* Decodes one varint at *p (not past `end`), advancing *p. Returns 0, or
 * DF_EPARSE when it is truncated, longer than 10 bytes or overflows 64 bits
 * (*p is then left unchanged). */
int df_pb_varint_slow(const uint8_t **p, const uint8_t *end, uint64_t *out);

static inline int df_pb_varint(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
    const uint8_t *q = *p;
    if (q < end && *q < 0x80) {
        *out = *q;
        *p = q + 1;
        return 0;
    }
    return df_pb_varint_slow(p, end, out);
}

/* Little-endian loads, for fixed-width values. One unaligned load each
 * (a byte loop here cost the validator a sixth of its time). */
static inline uint64_t df_pb_load64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

static inline uint32_t df_pb_load32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap32(v);
#endif
    return v;
}

/* Reads the next field of `r` into *f and advances `r`. Returns 1 for a
 * field, 0 at the clean end of the message, DF_EPARSE on malformed input
 * (truncated or over-long varint, length or fixed value past the end, field
 * number 0 or above 2^29-1, wire types 3, 4, 6 and 7); after an error `r` is
 * unchanged. The hot path of the engine: no allocation, no copies. */
int df_pb_next_slow(struct df_pb_reader *r, struct df_pb_field *f);

static inline __attribute__((always_inline)) int df_pb_next(struct df_pb_reader *r,
                                                            struct df_pb_field *f)
{
    const uint8_t *p = r->p;
    if (p >= r->end)
        return 0;
    /* Fast paths for a one-byte tag: a one-byte varint or length, a
     * two-byte length, a fixed64 or a fixed32 (the bulk of OTLP: ids,
     * timestamps, attributes and records of up to 16 KiB). */
    uint8_t tag = p[0];
    size_t left = (size_t)(r->end - p);
    if (tag < 0x80 && tag >= 8 && left >= 2) {
        uint8_t wt = tag & 7;
        if (wt == DF_PB_VARINT && p[1] < 0x80) {
            *f = (struct df_pb_field){
                .num = tag >> 3, .wtype = wt, .u64 = p[1], .start = p, .next = p + 2};
            r->p = p + 2;
            return 1;
        }
        if (wt == DF_PB_LEN) {
            size_t n, hdr;
            if (p[1] < 0x80) {
                n = p[1];
                hdr = 2;
            } else if (left >= 3 && p[2] < 0x80) {
                n = (size_t)(p[1] & 0x7f) | (size_t)p[2] << 7;
                hdr = 3;
            } else {
                return df_pb_next_slow(r, f);
            }
            if (left - hdr >= n) {
                *f = (struct df_pb_field){.num = tag >> 3,
                                          .wtype = wt,
                                          .data = p + hdr,
                                          .len = n,
                                          .start = p,
                                          .next = p + hdr + n};
                r->p = f->next;
                return 1;
            }
        } else if (wt == DF_PB_FIXED64 && left >= 9) {
            *f = (struct df_pb_field){.num = tag >> 3,
                                      .wtype = wt,
                                      .u64 = df_pb_load64(p + 1),
                                      .start = p,
                                      .next = p + 9};
            r->p = p + 9;
            return 1;
        } else if (wt == DF_PB_FIXED32 && left >= 5) {
            *f = (struct df_pb_field){.num = tag >> 3,
                                      .wtype = wt,
                                      .u64 = df_pb_load32(p + 1),
                                      .start = p,
                                      .next = p + 5};
            r->p = p + 5;
            return 1;
        }
    }
    return df_pb_next_slow(r, f);
}

/* Reinterprets the bits of a FIXED64 field as a double. */
static inline double df_pb_double(uint64_t bits)
{
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

/* Zigzag decoding of sint32/sint64 varints. */
static inline int64_t df_pb_zigzag(uint64_t v)
{
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

/* ---- writer ---------------------------------------------------------- */

/* A growable output buffer. `err` becomes DF_ENOMEM when growing fails and
 * stays so: every later call is a no-op, so a caller can write a whole
 * message and check `err` once at the end. */
struct df_pb_writer {
    uint8_t *buf;
    size_t len, cap;
    int err;
};

/* Starts an empty writer (no allocation until the first byte). */
void df_pb_writer_init(struct df_pb_writer *w);

/* Releases the buffer and resets the writer to empty; safe to call twice. */
void df_pb_writer_free(struct df_pb_writer *w);

/* Makes room for `n` more bytes at once (a writer whose final size is
 * known, or well guessed, then grows without copying). Sets `err` on
 * exhaustion, as a write would. */
void df_pb_writer_reserve(struct df_pb_writer *w, size_t n);

/* Hands the buffer over: returns it (the caller frees it with free()) with
 * its length in *len, and resets the writer to empty. Returns NULL with *len
 * = 0 when the writer is in error (its buffer is freed) or empty. */
uint8_t *df_pb_writer_take(struct df_pb_writer *w, size_t *len);

/* Raw encoders: a varint, a tag, bytes as they are, a little-endian 64-bit
 * value (for packed fixed64/double). */
void df_pb_put_raw_varint(struct df_pb_writer *w, uint64_t v);
void df_pb_put_tag(struct df_pb_writer *w, uint32_t field, unsigned wtype);
void df_pb_put_raw(struct df_pb_writer *w, const void *p, size_t n);
void df_pb_put_raw_fixed64(struct df_pb_writer *w, uint64_t v);

/* Tagged fields: `field` must be 1..2^29-1. df_pb_put_sint zigzag-encodes
 * (sint32/sint64); df_pb_put_string writes a NUL-terminated string without
 * its NUL. */
void df_pb_put_varint(struct df_pb_writer *w, uint32_t field, uint64_t v);
void df_pb_put_sint(struct df_pb_writer *w, uint32_t field, int64_t v);
void df_pb_put_fixed32(struct df_pb_writer *w, uint32_t field, uint32_t v);
void df_pb_put_fixed64(struct df_pb_writer *w, uint32_t field, uint64_t v);
void df_pb_put_double(struct df_pb_writer *w, uint32_t field, double v);
void df_pb_put_bytes(struct df_pb_writer *w, uint32_t field, const void *p, size_t n);
void df_pb_put_string(struct df_pb_writer *w, uint32_t field, const char *s);

/* Opens a nested message (or any length-delimited field written piecewise)
 * as field `field` and returns a mark to give to df_pb_end, which closes it
 * with a minimal length varint. Begin/end pairs nest like parentheses.
 * df_pb_begin keeps one byte for the length; df_pb_begin_sized keeps as
 * many as a body of `expect` bytes needs (a rewrite of a message of known
 * size): df_pb_end moves the body only when its length's width differs
 * from the room kept (the room is a padded varint, 0x80... 0x00, so the
 * mark alone tells its width). */
size_t df_pb_begin(struct df_pb_writer *w, uint32_t field);
size_t df_pb_begin_sized(struct df_pb_writer *w, uint32_t field, size_t expect);
void df_pb_end(struct df_pb_writer *w, size_t mark);

#endif
