/* net/grpc.c — gRPC message framing, status codes, headers and status
 * details. See grpc.h for the contracts. */
#include "net/grpc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otlp/wire.h"

/* ---- status codes ------------------------------------------------------- */

static const char *const status_names[] = {
#define DF_GRPC_STATUS_NAME(name, value, text) [value] = text,
    DF_GRPC_STATUSES(DF_GRPC_STATUS_NAME)
#undef DF_GRPC_STATUS_NAME
};

const char *df_grpc_status_name(int code)
{
    if (code < 0 || (size_t)code >= sizeof status_names / sizeof status_names[0])
        return NULL;
    return status_names[code];
}

bool df_grpc_status_retryable(int status, bool has_retry_info)
{
    switch (status) {
    case DF_GRPC_CANCELLED:
    case DF_GRPC_DEADLINE_EXCEEDED:
    case DF_GRPC_ABORTED:
    case DF_GRPC_OUT_OF_RANGE:
    case DF_GRPC_UNAVAILABLE:
    case DF_GRPC_DATA_LOSS:
        return true;
    case DF_GRPC_RESOURCE_EXHAUSTED:
        return has_retry_info;
    default:
        return false;
    }
}

enum df_grpc_status df_grpc_status_from_http(int http_status)
{
    switch (http_status) {
    case 400:
        return DF_GRPC_INTERNAL;
    case 401:
        return DF_GRPC_UNAUTHENTICATED;
    case 403:
        return DF_GRPC_PERMISSION_DENIED;
    case 404:
        return DF_GRPC_UNIMPLEMENTED;
    case 429:
    case 502:
    case 503:
    case 504:
        return DF_GRPC_UNAVAILABLE;
    default:
        return DF_GRPC_UNKNOWN;
    }
}

enum df_grpc_status df_grpc_status_from_h2_error(uint32_t h2_error)
{
    switch (h2_error) {
    case 0x7: /* REFUSED_STREAM: the server did not process it */
        return DF_GRPC_UNAVAILABLE;
    case 0x8: /* CANCEL */
        return DF_GRPC_CANCELLED;
    case 0xb: /* ENHANCE_YOUR_CALM */
        return DF_GRPC_RESOURCE_EXHAUSTED;
    case 0xc: /* INADEQUATE_SECURITY */
        return DF_GRPC_PERMISSION_DENIED;
    default:
        return DF_GRPC_INTERNAL;
    }
}

/* ---- message framing ---------------------------------------------------- */

void df_grpc_parser_init(struct df_grpc_parser *p, size_t max_message, enum df_encoding encoding)
{
    memset(p, 0, sizeof *p);
    p->max_message = max_message;
    p->encoding = encoding;
    p->status = DF_GRPC_OK;
}

void df_grpc_parser_free(struct df_grpc_parser *p)
{
    free(p->body);
    p->body = NULL;
    p->body_need = p->body_have = p->body_cap = 0;
    p->prefix_have = 0;
}

void df_grpc_parser_fail(struct df_grpc_parser *p, int err, enum df_grpc_status status,
                         const char *reason)
{
    if (p->err)
        return; /* the first error is the one reported */
    p->err = err;
    p->status = status;
    p->reason = reason;
    df_grpc_parser_free(p);
}

static int parser_error(struct df_grpc_parser *p, int err, enum df_grpc_status status,
                        const char *reason)
{
    df_grpc_parser_fail(p, err, status, reason);
    return p->err;
}

/* Hands the completed message to `fn`, decompressing it first when its flag
 * says so. */
static int deliver(struct df_grpc_parser *p, df_grpc_message_fn fn, void *ud)
{
    uint8_t *wire = p->body;
    size_t wire_len = p->body_need;
    bool compressed = p->prefix[0] == 1;
    p->body = NULL;
    p->body_need = p->body_have = p->body_cap = 0;
    p->prefix_have = 0;
    uint8_t *msg = wire;
    size_t msg_len = wire_len;
    if (compressed) {
        int rc = df_decompress(p->encoding, wire, wire_len, p->max_message, &msg, &msg_len);
        free(wire);
        if (rc == DF_ERANGE)
            return parser_error(p, rc, DF_GRPC_RESOURCE_EXHAUSTED,
                                "decompressed message larger than the limit");
        if (rc == DF_ENOMEM)
            return parser_error(p, rc, DF_GRPC_RESOURCE_EXHAUSTED, "out of memory");
        if (rc != 0)
            return parser_error(p, DF_EPARSE, DF_GRPC_INTERNAL, "could not decompress message");
    }
    p->messages++;
    int rc = fn(ud, msg, msg_len);
    if (rc < 0)
        return parser_error(p, rc, DF_GRPC_INTERNAL, "message rejected");
    return p->err;
}

/* Makes room for `more` bytes of the current message, growing with the data
 * received rather than trusting the prefix: a peer announcing a large
 * message and sending nothing costs nothing. */
static int reserve(struct df_grpc_parser *p, size_t more)
{
    size_t want = p->body_have + more;
    if (p->body && want <= p->body_cap)
        return 0;
    size_t ncap = p->body_cap * 2;
    if (ncap < 16384)
        ncap = 16384;
    if (ncap < want)
        ncap = want;
    if (ncap > p->body_need)
        ncap = p->body_need;
    uint8_t *nb = realloc(p->body, ncap ? ncap : 1);
    if (!nb)
        return DF_ENOMEM;
    p->body = nb;
    p->body_cap = ncap;
    return 0;
}

int df_grpc_parser_feed(struct df_grpc_parser *p, const uint8_t *data, size_t len,
                        df_grpc_message_fn fn, void *ud)
{
    if (p->err)
        return p->err;
    for (;;) {
        if (p->prefix_have < DF_GRPC_PREFIX_LEN) {
            if (len == 0)
                return 0;
            size_t n = DF_GRPC_PREFIX_LEN - p->prefix_have;
            if (n > len)
                n = len;
            memcpy(p->prefix + p->prefix_have, data, n);
            p->prefix_have += n;
            data += n;
            len -= n;
            if (p->prefix_have < DF_GRPC_PREFIX_LEN)
                return 0;
            if (p->prefix[0] > 1)
                return parser_error(p, DF_EPARSE, DF_GRPC_INTERNAL, "invalid message flag");
            if (p->prefix[0] == 1 && p->encoding == DF_ENCODING_IDENTITY)
                return parser_error(p, DF_EPARSE, DF_GRPC_INTERNAL,
                                    "compressed message without grpc-encoding");
            uint32_t need = (uint32_t)p->prefix[1] << 24 | (uint32_t)p->prefix[2] << 16 |
                            (uint32_t)p->prefix[3] << 8 | p->prefix[4];
            if (need > p->max_message)
                return parser_error(p, DF_ERANGE, DF_GRPC_RESOURCE_EXHAUSTED,
                                    "message larger than the limit");
            p->body_need = need;
            p->body_have = 0;
        }
        size_t n = p->body_need - p->body_have;
        if (n > len)
            n = len;
        if (!p->body || n > 0) {
            if (reserve(p, n) != 0)
                return parser_error(p, DF_ENOMEM, DF_GRPC_RESOURCE_EXHAUSTED, "out of memory");
        }
        if (n > 0) {
            memcpy(p->body + p->body_have, data, n);
            p->body_have += n;
            data += n;
            len -= n;
        }
        if (p->body_have < p->body_need)
            return 0;
        int rc = deliver(p, fn, ud);
        if (rc != 0)
            return rc;
    }
}

int df_grpc_parser_finish(struct df_grpc_parser *p)
{
    if (p->err)
        return p->err;
    if (p->prefix_have > 0)
        return parser_error(p, DF_EPARSE, DF_GRPC_INTERNAL, "truncated message");
    return 0;
}

int df_grpc_frame_encode(enum df_encoding encoding, const uint8_t *msg, size_t len, uint8_t **out,
                         size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    uint8_t *packed = NULL;
    size_t plen = len;
    const uint8_t *payload = msg;
    if (encoding != DF_ENCODING_IDENTITY) {
        int rc = df_compress(encoding, msg, len, &packed, &plen);
        if (rc != 0)
            return rc;
        payload = packed;
    }
    if (plen > UINT32_MAX) {
        free(packed);
        return DF_ERANGE;
    }
    uint8_t *buf = malloc(DF_GRPC_PREFIX_LEN + plen);
    if (!buf) {
        free(packed);
        return DF_ENOMEM;
    }
    buf[0] = encoding != DF_ENCODING_IDENTITY;
    buf[1] = (uint8_t)(plen >> 24);
    buf[2] = (uint8_t)(plen >> 16);
    buf[3] = (uint8_t)(plen >> 8);
    buf[4] = (uint8_t)plen;
    if (plen)
        memcpy(buf + DF_GRPC_PREFIX_LEN, payload, plen);
    free(packed);
    *out = buf;
    *out_len = DF_GRPC_PREFIX_LEN + plen;
    return 0;
}

/* ---- headers ------------------------------------------------------------ */

int df_grpc_timeout_parse(const char *s, uint64_t *ms)
{
    uint64_t v = 0;
    size_t n = 0;
    while (s[n] >= '0' && s[n] <= '9') {
        if (n == 8)
            return DF_EPARSE;
        v = v * 10 + (uint64_t)(s[n] - '0');
        n++;
    }
    if (n == 0 || s[n] == 0 || s[n + 1] != 0)
        return DF_EPARSE;
    switch (s[n]) {
    case 'H':
        *ms = v * 3600000u;
        return 0;
    case 'M':
        *ms = v * 60000u;
        return 0;
    case 'S':
        *ms = v * 1000u;
        return 0;
    case 'm':
        *ms = v;
        return 0;
    case 'u':
        *ms = (v + 999u) / 1000u;
        return 0;
    case 'n':
        *ms = (v + 999999u) / 1000000u;
        return 0;
    default:
        return DF_EPARSE;
    }
}

int df_grpc_timeout_format(uint64_t ms, char *buf, size_t len)
{
    static const struct {
        uint64_t ms;
        char unit;
    } units[] = {{1, 'm'}, {1000, 'S'}, {60000, 'M'}, {3600000, 'H'}};
    if (len < 10)
        return DF_ERANGE;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        uint64_t v = ms / units[i].ms + (ms % units[i].ms != 0);
        if (v <= 99999999u) {
            snprintf(buf, len, "%llu%c", (unsigned long long)v, units[i].unit);
            return 0;
        }
    }
    return DF_ERANGE;
}

static bool keep_plain(unsigned char c)
{
    return c >= 0x20 && c <= 0x7e && c != '%';
}

char *df_grpc_message_encode(const char *msg)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = 0;
    for (const unsigned char *q = (const unsigned char *)msg; *q; q++)
        n += keep_plain(*q) ? 1 : 3;
    char *out = malloc(n + 1), *w = out;
    if (!out)
        return NULL;
    for (const unsigned char *q = (const unsigned char *)msg; *q; q++) {
        if (keep_plain(*q)) {
            *w++ = (char)*q;
        } else {
            *w++ = '%';
            *w++ = hex[*q >> 4];
            *w++ = hex[*q & 15];
        }
    }
    *w = 0;
    return out;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

char *df_grpc_message_decode(const char *value)
{
    size_t n = strlen(value);
    char *out = malloc(n + 1), *w = out;
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        int hi, lo;
        if (value[i] == '%' && i + 2 < n && (hi = hexval(value[i + 1])) >= 0 &&
            (lo = hexval(value[i + 2])) >= 0) {
            *w++ = (char)(hi << 4 | lo);
            i += 2;
        } else {
            *w++ = value[i];
        }
    }
    *w = 0;
    return out;
}

/* ---- base64 ------------------------------------------------------------- */

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *base64_encode(const uint8_t *in, size_t len)
{
    char *out = malloc((len + 2) / 3 * 4 + 1), *w = out;
    if (!out)
        return NULL;
    size_t i = 0;
    for (; i + 3 <= len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        *w++ = b64_alphabet[v >> 18];
        *w++ = b64_alphabet[(v >> 12) & 63];
        *w++ = b64_alphabet[(v >> 6) & 63];
        *w++ = b64_alphabet[v & 63];
    }
    if (len - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        *w++ = b64_alphabet[v >> 18];
        *w++ = b64_alphabet[(v >> 12) & 63];
    } else if (len - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        *w++ = b64_alphabet[v >> 18];
        *w++ = b64_alphabet[(v >> 12) & 63];
        *w++ = b64_alphabet[(v >> 6) & 63];
    }
    *w = 0;
    return out;
}

static int b64_value(char c)
{
    const char *q = c ? strchr(b64_alphabet, c) : NULL;
    return q ? (int)(q - b64_alphabet) : -1;
}

/* Decodes padded or unpadded base64. Returns 0, DF_EPARSE or DF_ENOMEM. */
static int base64_decode(const char *in, size_t len, uint8_t **out, size_t *out_len)
{
    if (len % 4 == 0 && len >= 2 && in[len - 1] == '=')
        len -= in[len - 2] == '=' ? 2 : 1;
    if (len % 4 == 1)
        return DF_EPARSE;
    uint8_t *buf = malloc(len / 4 * 3 + 3), *w = buf;
    if (!buf)
        return DF_ENOMEM;
    uint32_t acc = 0;
    unsigned bits = 0;
    for (size_t i = 0; i < len; i++) {
        int v = b64_value(in[i]);
        if (v < 0) {
            free(buf);
            return DF_EPARSE;
        }
        acc = (acc << 6 | (uint32_t)v) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            *w++ = (uint8_t)(acc >> bits);
        }
    }
    *out = buf;
    *out_len = (size_t)(w - buf);
    return 0;
}

/* ---- grpc-status-details-bin ------------------------------------------- */

#define RETRY_INFO_TYPE   "type.googleapis.com/google.rpc.RetryInfo"
#define MAX_DURATION_SECS 315576000000LL /* google.protobuf.Duration's range */

int df_grpc_status_details_encode(int code, const char *message, int64_t retry_delay_ms, char **b64)
{
    struct df_pb_writer w;
    df_pb_writer_init(&w);
    /* google.rpc.Status: 1 code (int32), 2 message, 3 details (Any). */
    if (code != 0)
        df_pb_put_varint(&w, 1, (uint64_t)(int64_t)code);
    if (message && *message)
        df_pb_put_string(&w, 2, message);
    if (retry_delay_ms >= 0) {
        size_t any = df_pb_begin(&w, 3);
        df_pb_put_string(&w, 1, RETRY_INFO_TYPE);
        size_t value = df_pb_begin(&w, 2);    /* Any.value: RetryInfo */
        size_t duration = df_pb_begin(&w, 1); /* RetryInfo.retry_delay */
        int64_t secs = retry_delay_ms / 1000;
        int32_t nanos = (int32_t)(retry_delay_ms % 1000) * 1000000;
        if (secs)
            df_pb_put_varint(&w, 1, (uint64_t)secs);
        if (nanos)
            df_pb_put_varint(&w, 2, (uint64_t)nanos);
        df_pb_end(&w, duration);
        df_pb_end(&w, value);
        df_pb_end(&w, any);
    }
    if (w.err) {
        df_pb_writer_free(&w);
        return DF_ENOMEM;
    }
    *b64 = base64_encode(w.buf, w.len);
    df_pb_writer_free(&w);
    return *b64 ? 0 : DF_ENOMEM;
}

/* Parses RetryInfo{retry_delay: Duration} into milliseconds. */
static int parse_retry_info(const uint8_t *buf, size_t len, uint64_t *ms)
{
    struct df_pb_reader r = df_pb_reader_make(buf, len);
    struct df_pb_field f;
    int64_t secs = 0, nanos = 0;
    int rc;
    while ((rc = df_pb_next(&r, &f)) == 1) {
        if (f.num != 1 || f.wtype != DF_PB_LEN)
            continue;
        struct df_pb_reader d = df_pb_reader_make(f.data, f.len);
        struct df_pb_field g;
        while ((rc = df_pb_next(&d, &g)) == 1) {
            if (g.num == 1 && g.wtype == DF_PB_VARINT)
                secs = (int64_t)g.u64;
            else if (g.num == 2 && g.wtype == DF_PB_VARINT)
                nanos = (int32_t)(uint32_t)g.u64;
        }
        if (rc < 0)
            return DF_EPARSE;
    }
    if (rc < 0 || secs < 0 || secs > MAX_DURATION_SECS || nanos < 0 || nanos > 999999999)
        return DF_EPARSE;
    *ms = (uint64_t)secs * 1000u + (uint64_t)(nanos + 999999) / 1000000u;
    return 0;
}

static bool is_retry_info(const uint8_t *url, size_t len)
{
    static const char suffix[] = "/google.rpc.RetryInfo";
    size_t n = sizeof suffix - 1;
    return len >= n && memcmp(url + len - n, suffix, n) == 0;
}

int df_grpc_status_details_decode(const char *b64, size_t len, struct df_grpc_status_details *out)
{
    memset(out, 0, sizeof *out);
    uint8_t *buf;
    size_t n;
    int rc = base64_decode(b64, len, &buf, &n);
    if (rc != 0)
        return rc;
    struct df_pb_reader r = df_pb_reader_make(buf, n);
    struct df_pb_field f;
    while ((rc = df_pb_next(&r, &f)) == 1) {
        if (f.num == 1 && f.wtype == DF_PB_VARINT) {
            out->code = (int32_t)(uint32_t)f.u64;
        } else if (f.num == 3 && f.wtype == DF_PB_LEN) {
            struct df_pb_reader a = df_pb_reader_make(f.data, f.len);
            struct df_pb_field g;
            const uint8_t *url = NULL, *value = NULL;
            size_t url_len = 0, value_len = 0;
            while ((rc = df_pb_next(&a, &g)) == 1) {
                if (g.num == 1 && g.wtype == DF_PB_LEN) {
                    url = g.data;
                    url_len = g.len;
                } else if (g.num == 2 && g.wtype == DF_PB_LEN) {
                    value = g.data;
                    value_len = g.len;
                }
            }
            if (rc < 0)
                break;
            if (url && is_retry_info(url, url_len)) {
                rc = parse_retry_info(value, value_len, &out->retry_delay_ms);
                if (rc < 0)
                    break;
                out->has_retry_info = true;
            }
        }
    }
    free(buf);
    return rc < 0 ? DF_EPARSE : 0;
}
