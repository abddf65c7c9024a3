/* net/compress.c — gzip/deflate via zlib, zstd via libzstd, with bounded
 * output. See compress.h for the contracts. */
#include "net/compress.h"

#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

static const char *const encoding_names[] = {
#define DF_ENCODING_NAME(name, text) [name] = text,
    DF_ENCODINGS(DF_ENCODING_NAME)
#undef DF_ENCODING_NAME
};

#define NENCODINGS (sizeof encoding_names / sizeof encoding_names[0])

const char *df_encoding_name(enum df_encoding e)
{
    return (unsigned)e < NENCODINGS ? encoding_names[e] : "?";
}

int df_encoding_parse(const char *name, enum df_encoding *out)
{
    for (size_t i = 0; i < NENCODINGS; i++) {
        if (strcasecmp(name, encoding_names[i]) == 0) {
            *out = (enum df_encoding)i;
            return 0;
        }
    }
    return DF_ENOENT;
}

/* The first output buffer: a guess from the input size (compression ratios
 * of telemetry are typically 5-10x), never above the caller's bound. */
static size_t first_capacity(size_t len, size_t max_out)
{
    size_t cap = len > SIZE_MAX / 4 ? SIZE_MAX : len * 4;
    if (cap < 4096)
        cap = 4096;
    return cap < max_out ? cap : max_out;
}

/* Grows *buf to the next capacity (doubling, capped at max_out). Returns 0
 * or DF_ENOMEM. Only called while *cap < max_out. */
static int grow(uint8_t **buf, size_t *cap, size_t max_out)
{
    size_t ncap = *cap > max_out / 2 ? max_out : *cap * 2;
    if (ncap == 0)
        ncap = max_out < 4096 ? max_out : 4096;
    uint8_t *nb = realloc(*buf, ncap ? ncap : 1);
    if (!nb)
        return DF_ENOMEM;
    *buf = nb;
    *cap = ncap;
    return 0;
}

static int copy_out(const uint8_t *in, size_t len, uint8_t **out, size_t *out_len)
{
    uint8_t *b = malloc(len ? len : 1);
    if (!b)
        return DF_ENOMEM;
    if (len)
        memcpy(b, in, len);
    *out = b;
    *out_len = len;
    return 0;
}

/* zlib inflate of in[0..len) with `window_bits` selecting the wrapper
 * (16+15: gzip, 15: zlib). `multi` accepts several members back to back. */
static int inflate_bounded(int window_bits, bool multi, const uint8_t *in, size_t len,
                           size_t max_out, uint8_t **out, size_t *out_len)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, window_bits) != Z_OK)
        return DF_ENOMEM;
    size_t cap = first_capacity(len, max_out), total = 0, in_left = len;
    uint8_t *buf = malloc(cap ? cap : 1);
    int rc = buf ? DF_EPARSE : DF_ENOMEM;
    zs.next_in = (Bytef *)in;
    while (buf) {
        if (zs.avail_in == 0 && in_left > 0) {
            zs.avail_in = in_left > UINT_MAX ? UINT_MAX : (uInt)in_left;
            in_left -= zs.avail_in;
        }
        uint8_t probe;
        bool probing = false;
        if (total == cap && cap < max_out) {
            if (grow(&buf, &cap, max_out) != 0) {
                rc = DF_ENOMEM;
                break;
            }
        }
        if (total == cap) {
            /* At the bound: one more byte of output means too much. */
            zs.next_out = &probe;
            zs.avail_out = 1;
            probing = true;
        } else {
            zs.next_out = buf + total;
            size_t room = cap - total;
            zs.avail_out = room > UINT_MAX ? UINT_MAX : (uInt)room;
        }
        uInt before = zs.avail_out;
        int r = inflate(&zs, Z_NO_FLUSH);
        size_t produced = before - zs.avail_out;
        if (probing && produced > 0) {
            rc = DF_ERANGE;
            break;
        }
        if (!probing)
            total += produced;
        if (r == Z_STREAM_END) {
            if (zs.avail_in == 0 && in_left == 0) {
                rc = 0;
                break;
            }
            if (!multi || inflateReset(&zs) != Z_OK)
                break; /* trailing bytes after the stream */
            continue;
        }
        if (r == Z_MEM_ERROR) {
            rc = DF_ENOMEM;
            break;
        }
        if (r != Z_OK && r != Z_BUF_ERROR)
            break; /* Z_DATA_ERROR, Z_NEED_DICT, ... */
        /* No progress with input exhausted and room to write: truncated. */
        if (zs.avail_in == 0 && in_left == 0 && zs.avail_out > 0)
            break;
    }
    inflateEnd(&zs);
    if (rc != 0) {
        free(buf);
        return rc;
    }
    *out = buf;
    *out_len = total;
    return 0;
}

static unsigned ceil_log2(size_t v)
{
    unsigned lg = 0;
    while (lg < 63 && ((size_t)1 << lg) < v)
        lg++;
    return lg;
}

/* The summed content size of every frame in in[0..len) (zstd's own
 * ZSTD_findDecompressedSize is not in its stable API):
 * ZSTD_CONTENTSIZE_UNKNOWN when a frame does not say, ZSTD_CONTENTSIZE_ERROR
 * for input that is not a sequence of whole frames. */
static unsigned long long zstd_content_size(const uint8_t *in, size_t len)
{
    unsigned long long total = 0;
    bool unknown = false;
    while (len > 0) {
        unsigned long long fcs = ZSTD_getFrameContentSize(in, len);
        size_t fsz = ZSTD_findFrameCompressedSize(in, len);
        if (fcs == ZSTD_CONTENTSIZE_ERROR || ZSTD_isError(fsz) || fsz > len)
            return ZSTD_CONTENTSIZE_ERROR;
        if (fcs == ZSTD_CONTENTSIZE_UNKNOWN)
            unknown = true;
        else if (total + fcs < total)
            return ZSTD_CONTENTSIZE_ERROR;
        else
            total += fcs;
        in += fsz;
        len -= fsz;
    }
    return unknown ? ZSTD_CONTENTSIZE_UNKNOWN : total;
}

static int zstd_bounded(const uint8_t *in, size_t len, size_t max_out, uint8_t **out,
                        size_t *out_len)
{
    if (len == 0)
        return DF_EPARSE;
    unsigned long long fcs = zstd_content_size(in, len);
    if (fcs == ZSTD_CONTENTSIZE_ERROR)
        return DF_EPARSE;
    ZSTD_DCtx *d = ZSTD_createDCtx();
    if (!d)
        return DF_ENOMEM;
    int rc = DF_EPARSE;
    uint8_t *buf = NULL;
    size_t total = 0;
    if (fcs != ZSTD_CONTENTSIZE_UNKNOWN) {
        /* Every frame declares its size: one pass into an exact buffer, no
         * window allocation. A frame that lies about its size fails. */
        if (fcs > max_out) {
            rc = DF_ERANGE;
            goto done;
        }
        buf = malloc(fcs ? (size_t)fcs : 1);
        if (!buf) {
            rc = DF_ENOMEM;
            goto done;
        }
        size_t r = ZSTD_decompressDCtx(d, buf, (size_t)fcs, in, len);
        if (!ZSTD_isError(r) && r == fcs) {
            total = r;
            rc = 0;
        }
        goto done;
    }
    /* Streaming: the window the frame asks for is allocated by zstd, so cap
     * it in proportion to what we accept (at least 8 MiB, the common
     * default of streaming compressors, at most zstd's own default cap). */
    unsigned wlog = ceil_log2(max_out);
    wlog = wlog < 23 ? 23 : wlog > 27 ? 27 : wlog;
    ZSTD_DCtx_setParameter(d, ZSTD_d_windowLogMax, (int)wlog);
    size_t cap = first_capacity(len, max_out);
    buf = malloc(cap ? cap : 1);
    if (!buf) {
        rc = DF_ENOMEM;
        goto done;
    }
    ZSTD_inBuffer ib = {in, len, 0};
    size_t ret = 1;
    for (;;) {
        if (ib.pos == ib.size && ret == 0) {
            rc = 0;
            break;
        }
        if (total == cap && cap < max_out && grow(&buf, &cap, max_out) != 0) {
            rc = DF_ENOMEM;
            break;
        }
        uint8_t probe;
        bool probing = total == cap;
        ZSTD_outBuffer ob = probing ? (ZSTD_outBuffer){&probe, 1, 0}
                                    : (ZSTD_outBuffer){buf + total, cap - total, 0};
        ret = ZSTD_decompressStream(d, &ob, &ib);
        if (ZSTD_isError(ret)) {
            rc = ZSTD_getErrorCode(ret) == ZSTD_error_frameParameter_windowTooLarge ? DF_ERANGE
                                                                                    : DF_EPARSE;
            break;
        }
        if (probing && ob.pos > 0) {
            rc = DF_ERANGE;
            break;
        }
        if (!probing)
            total += ob.pos;
        /* Everything flushed, input used up, frame unfinished: truncated. */
        if (ib.pos == ib.size && ret != 0 && ob.pos < ob.size)
            break;
    }
done:
    ZSTD_freeDCtx(d);
    if (rc != 0) {
        free(buf);
        return rc;
    }
    *out = buf;
    *out_len = total;
    return 0;
}

int df_decompress(enum df_encoding enc, const uint8_t *in, size_t len, size_t max_out,
                  uint8_t **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    switch (enc) {
    case DF_ENCODING_IDENTITY:
        return len > max_out ? DF_ERANGE : copy_out(in, len, out, out_len);
    case DF_ENCODING_GZIP:
        return inflate_bounded(16 + MAX_WBITS, true, in, len, max_out, out, out_len);
    case DF_ENCODING_DEFLATE:
        return inflate_bounded(MAX_WBITS, false, in, len, max_out, out, out_len);
    case DF_ENCODING_ZSTD:
        return zstd_bounded(in, len, max_out, out, out_len);
    }
    return DF_EINVAL;
}

static int deflate_all(int window_bits, const uint8_t *in, size_t len, uint8_t **out,
                       size_t *out_len)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY) !=
        Z_OK)
        return DF_ENOMEM;
    /* deflateBound takes a uLong; beyond it, grow as we go. */
    size_t cap = len <= ULONG_MAX / 2 ? deflateBound(&zs, (uLong)len) : len;
    uint8_t *buf = malloc(cap);
    size_t total = 0, in_left = len;
    int rc = DF_ENOMEM;
    zs.next_in = (Bytef *)in;
    while (buf) {
        if (zs.avail_in == 0 && in_left > 0) {
            zs.avail_in = in_left > UINT_MAX ? UINT_MAX : (uInt)in_left;
            in_left -= zs.avail_in;
        }
        if (total == cap) {
            uint8_t *nb = realloc(buf, cap * 2);
            if (!nb)
                break;
            buf = nb;
            cap *= 2;
        }
        size_t room = cap - total;
        zs.next_out = buf + total;
        zs.avail_out = room > UINT_MAX ? UINT_MAX : (uInt)room;
        uInt before = zs.avail_out;
        int r = deflate(&zs, in_left == 0 ? Z_FINISH : Z_NO_FLUSH);
        total += before - zs.avail_out;
        if (r == Z_STREAM_END) {
            rc = 0;
            break;
        }
        if (r != Z_OK && r != Z_BUF_ERROR)
            break;
    }
    deflateEnd(&zs);
    if (rc != 0) {
        free(buf);
        return rc;
    }
    *out = buf;
    *out_len = total;
    return 0;
}

int df_compress(enum df_encoding enc, const uint8_t *in, size_t len, uint8_t **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    switch (enc) {
    case DF_ENCODING_IDENTITY:
        return copy_out(in, len, out, out_len);
    case DF_ENCODING_GZIP:
        return deflate_all(16 + MAX_WBITS, in, len, out, out_len);
    case DF_ENCODING_DEFLATE:
        return deflate_all(MAX_WBITS, in, len, out, out_len);
    case DF_ENCODING_ZSTD: {
        size_t cap = ZSTD_compressBound(len);
        if (ZSTD_isError(cap))
            return DF_ENOMEM;
        uint8_t *buf = malloc(cap);
        if (!buf)
            return DF_ENOMEM;
        size_t r = ZSTD_compress(buf, cap, in, len, ZSTD_CLEVEL_DEFAULT);
        if (ZSTD_isError(r)) {
            free(buf);
            return DF_ENOMEM;
        }
        *out = buf;
        *out_len = r;
        return 0;
    }
    }
    return DF_EINVAL;
}
