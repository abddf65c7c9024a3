/* net/compress.h — whole-buffer compression for gRPC messages and HTTP
 * bodies: gzip (RFC 1952), deflate (the zlib format of RFC 1950, which is
 * what HTTP's "deflate" content-coding means) and zstd (RFC 8878).
 *
 * Decompression is bounded: the caller says how many output bytes it accepts
 * and a larger result is refused with DF_ERANGE without ever allocating more
 * than that bound (plus zstd's window, itself capped from the bound), so a
 * decompression bomb costs at most `max_out` bytes of memory.
 *
 * No global state: every function may be called from any thread. */
#ifndef DF_NET_COMPRESS_H
#define DF_NET_COMPRESS_H

#include <stddef.h>
#include <stdint.h>

#include "df/error.h"

/* Encodings and their names as they appear in grpc-encoding and
 * Content-Encoding headers. */
#define DF_ENCODINGS(X)                                                                            \
    X(DF_ENCODING_IDENTITY, "identity")                                                            \
    X(DF_ENCODING_GZIP, "gzip")                                                                    \
    X(DF_ENCODING_DEFLATE, "deflate")                                                              \
    X(DF_ENCODING_ZSTD, "zstd")

enum df_encoding {
#define DF_ENCODING_ENUM(name, text) name,
    DF_ENCODINGS(DF_ENCODING_ENUM)
#undef DF_ENCODING_ENUM
};

/* The header name of `e` ("gzip"), or "?" for a value outside the enum. */
const char *df_encoding_name(enum df_encoding e);

/* Parses an encoding name (ASCII case-insensitive, as content-codings are).
 * Returns 0 with *out set, or DF_ENOENT for a name this module does not
 * implement (the caller answers UNIMPLEMENTED / 415). */
int df_encoding_parse(const char *name, enum df_encoding *out);

/* Decompresses in[0..len) into a new malloc'd buffer *out (never NULL on
 * success, even for an empty result; the caller frees it) of *out_len bytes.
 * Identity copies. Returns 0; DF_ERANGE when the result would exceed max_out
 * bytes; DF_EPARSE for corrupt, truncated or trailing-garbage input (several
 * concatenated gzip members or zstd frames are one valid input); DF_ENOMEM;
 * DF_EINVAL for an unknown encoding. On error *out is NULL. */
int df_decompress(enum df_encoding enc, const uint8_t *in, size_t len, size_t max_out,
                  uint8_t **out, size_t *out_len);

/* Compresses in[0..len) at the library's default level into a new malloc'd
 * buffer *out (the caller frees it). Identity copies. Returns 0, DF_ENOMEM,
 * or DF_EINVAL for an unknown encoding. */
int df_compress(enum df_encoding enc, const uint8_t *in, size_t len, uint8_t **out,
                size_t *out_len);

#endif
