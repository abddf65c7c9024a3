/* Protobuf wire format (otlp/wire.h): the general reader path and the
 * writer. */
#include "otlp/wire.h"

#include <stdlib.h>
#include <string.h>

int df_pb_varint_slow(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
    const uint8_t *q = *p;
    uint64_t v = 0;
    for (unsigned i = 0; i < DF_PB_VARINT_MAX; i++) {
        if (q + i >= end)
            return DF_EPARSE;
        uint8_t b = q[i];
        /* The tenth byte holds bit 63 only. */
        if (i == DF_PB_VARINT_MAX - 1 && b > 1)
            return DF_EPARSE;
        v |= (uint64_t)(b & 0x7f) << (7 * i);
        if (b < 0x80) {
            *out = v;
            *p = q + i + 1;
            return 0;
        }
    }
    return DF_EPARSE;
}

int df_pb_next_slow(struct df_pb_reader *r, struct df_pb_field *f)
{
    const uint8_t *p = r->p, *end = r->end;
    if (p >= end)
        return 0;
    const uint8_t *start = p;
    uint64_t tag;
    if (df_pb_varint(&p, end, &tag) < 0)
        return DF_EPARSE;
    uint64_t num = tag >> 3;
    unsigned wt = (unsigned)(tag & 7);
    if (num == 0 || num > DF_PB_MAX_FIELD)
        return DF_EPARSE;
    struct df_pb_field out = {.num = (uint32_t)num, .wtype = (uint8_t)wt, .start = start};
    switch (wt) {
    case DF_PB_VARINT:
        if (df_pb_varint(&p, end, &out.u64) < 0)
            return DF_EPARSE;
        break;
    case DF_PB_FIXED64:
        if (end - p < 8)
            return DF_EPARSE;
        out.u64 = df_pb_load64(p);
        p += 8;
        break;
    case DF_PB_FIXED32:
        if (end - p < 4)
            return DF_EPARSE;
        out.u64 = df_pb_load32(p);
        p += 4;
        break;
    case DF_PB_LEN: {
        uint64_t n;
        if (df_pb_varint(&p, end, &n) < 0 || n > (uint64_t)(end - p))
            return DF_EPARSE;
        out.data = p;
        out.len = (size_t)n;
        p += n;
        break;
    }
    default: /* 3, 4: groups; 6, 7: undefined */
        return DF_EPARSE;
    }
    out.next = p;
    *f = out;
    r->p = p;
    return 1;
}

/* ---- writer ---------------------------------------------------------- */

void df_pb_writer_init(struct df_pb_writer *w)
{
    *w = (struct df_pb_writer){0};
}

void df_pb_writer_free(struct df_pb_writer *w)
{
    free(w->buf);
    *w = (struct df_pb_writer){0};
}

uint8_t *df_pb_writer_take(struct df_pb_writer *w, size_t *len)
{
    uint8_t *buf = w->buf;
    *len = w->len;
    if (w->err || !buf) {
        free(buf);
        buf = NULL;
        *len = 0;
    }
    *w = (struct df_pb_writer){0};
    return buf;
}

/* Makes room for `n` more bytes; false (and err set) when it cannot. */
static int reserve(struct df_pb_writer *w, size_t n)
{
    if (w->err)
        return 0;
    if (w->cap - w->len >= n)
        return 1;
    if (n > SIZE_MAX / 2 - w->len) {
        w->err = DF_ENOMEM;
        return 0;
    }
    size_t cap = w->cap ? w->cap : 256;
    while (cap - w->len < n)
        cap *= 2;
    uint8_t *buf = realloc(w->buf, cap);
    if (!buf) {
        w->err = DF_ENOMEM;
        return 0;
    }
    w->buf = buf;
    w->cap = cap;
    return 1;
}

void df_pb_writer_reserve(struct df_pb_writer *w, size_t n)
{
    reserve(w, n);
}

void df_pb_put_raw_varint(struct df_pb_writer *w, uint64_t v)
{
    if (!reserve(w, DF_PB_VARINT_MAX))
        return;
    w->len += df_pb_varint_encode(w->buf + w->len, v);
}

void df_pb_put_tag(struct df_pb_writer *w, uint32_t field, unsigned wtype)
{
    df_pb_put_raw_varint(w, (uint64_t)field << 3 | (wtype & 7));
}

void df_pb_put_raw(struct df_pb_writer *w, const void *p, size_t n)
{
    if (n == 0 || !reserve(w, n))
        return;
    memcpy(w->buf + w->len, p, n);
    w->len += n;
}

void df_pb_put_raw_fixed64(struct df_pb_writer *w, uint64_t v)
{
    if (!reserve(w, 8))
        return;
    for (int i = 0; i < 8; i++)
        w->buf[w->len++] = (uint8_t)(v >> (8 * i));
}

void df_pb_put_varint(struct df_pb_writer *w, uint32_t field, uint64_t v)
{
    df_pb_put_tag(w, field, DF_PB_VARINT);
    df_pb_put_raw_varint(w, v);
}

void df_pb_put_sint(struct df_pb_writer *w, uint32_t field, int64_t v)
{
    df_pb_put_varint(w, field, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

void df_pb_put_fixed32(struct df_pb_writer *w, uint32_t field, uint32_t v)
{
    df_pb_put_tag(w, field, DF_PB_FIXED32);
    if (!reserve(w, 4))
        return;
    for (int i = 0; i < 4; i++)
        w->buf[w->len++] = (uint8_t)(v >> (8 * i));
}

void df_pb_put_fixed64(struct df_pb_writer *w, uint32_t field, uint64_t v)
{
    df_pb_put_tag(w, field, DF_PB_FIXED64);
    df_pb_put_raw_fixed64(w, v);
}

void df_pb_put_double(struct df_pb_writer *w, uint32_t field, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    df_pb_put_fixed64(w, field, bits);
}

void df_pb_put_bytes(struct df_pb_writer *w, uint32_t field, const void *p, size_t n)
{
    df_pb_put_tag(w, field, DF_PB_LEN);
    df_pb_put_raw_varint(w, n);
    df_pb_put_raw(w, p, n);
}

void df_pb_put_string(struct df_pb_writer *w, uint32_t field, const char *s)
{
    df_pb_put_bytes(w, field, s, strlen(s));
}

/* The mark is the offset of the one byte reserved for the length; bodies of
 * 128 bytes or more are moved up to make room for a longer varint. */
size_t df_pb_begin_sized(struct df_pb_writer *w, uint32_t field, size_t expect)
{
    df_pb_put_tag(w, field, DF_PB_LEN);
    size_t width = df_pb_varint_size(expect);
    if (!reserve(w, width))
        return 0;
    size_t mark = w->len;
    memset(w->buf + mark, 0x80, width - 1);
    w->buf[mark + width - 1] = 0;
    w->len += width;
    return mark;
}

size_t df_pb_begin(struct df_pb_writer *w, uint32_t field)
{
    return df_pb_begin_sized(w, field, 0);
}

void df_pb_end(struct df_pb_writer *w, size_t mark)
{
    if (w->err || mark >= w->len)
        return;
    size_t width = 1;
    while (w->buf[mark + width - 1] & 0x80)
        width++;
    size_t body = w->len - mark - width;
    size_t n = df_pb_varint_size(body);
    if (n > width) {
        if (!reserve(w, n - width))
            return;
        memmove(w->buf + mark + n, w->buf + mark + width, body);
        w->len += n - width;
    } else if (n < width) {
        memmove(w->buf + mark + n, w->buf + mark + width, body);
        w->len -= width - n;
    }
    df_pb_varint_encode(w->buf + mark, body);
}
