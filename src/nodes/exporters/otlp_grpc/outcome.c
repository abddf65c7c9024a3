/* nodes/exporters/otlp_grpc/outcome.c — see outcome.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <uv.h>

#include "net/grpc.h"
#include "nodes/exporters/otlp_grpc/outcome.h"
#include "otlp/wire.h"

uint64_t otlp_backoff_delay(const struct otlp_backoff *b, unsigned failures, uint64_t random)
{
    uint64_t base = b->initial_interval ? b->initial_interval : 1;
    for (unsigned i = 0; i < failures && base < b->max_interval; i++)
        base = base > UINT64_MAX / 2 ? UINT64_MAX : base * 2;
    if (base > b->max_interval)
        base = b->max_interval;
    uint64_t half = base / 2;
    return base - half + random % (half + 1);
}

uint64_t otlp_random(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1Dull;
}

enum df_outcome otlp_grpc_outcome(int status, bool has_retry_info)
{
    if (status == DF_GRPC_OK)
        return DF_OUTCOME_ACK;
    return df_grpc_status_retryable(status, has_retry_info) ? DF_OUTCOME_NACK_TRANSIENT
                                                            : DF_OUTCOME_NACK_PERMANENT;
}

enum df_outcome otlp_http_outcome(int http_status)
{
    if (http_status >= 200 && http_status < 300)
        return DF_OUTCOME_ACK;
    switch (http_status) {
    case 429:
    case 502:
    case 503:
    case 504:
        return DF_OUTCOME_NACK_TRANSIENT;
    default:
        return DF_OUTCOME_NACK_PERMANENT;
    }
}

/* Copies text into out[0..outlen), NUL-terminated, control bytes (and with
 * `ascii` every non-ASCII byte) as '.'. */
static void copy_text(const uint8_t *p, size_t n, char *out, size_t outlen, bool ascii)
{
    if (!outlen)
        return;
    if (n > outlen - 1)
        n = outlen - 1;
    for (size_t i = 0; i < n; i++)
        out[i] = p[i] >= 0x20 && p[i] != 0x7f && (!ascii || p[i] < 0x80) ? (char)p[i] : '.';
    out[n] = 0;
}

int otlp_partial_success(const uint8_t *body, size_t len, int64_t *rejected, char *msg,
                         size_t msglen)
{
    struct df_pb_reader r = df_pb_reader_make(body, len);
    struct df_pb_field f;
    int rc;
    bool found = false;
    *rejected = 0;
    if (msglen)
        msg[0] = 0;
    while ((rc = df_pb_next(&r, &f)) == 1) {
        if (f.num != 1 || f.wtype != DF_PB_LEN)
            continue;
        /* Repeated occurrences of a message merge: later fields win. */
        struct df_pb_reader in = df_pb_reader_make(f.data, f.len);
        struct df_pb_field g;
        int rc2;
        while ((rc2 = df_pb_next(&in, &g)) == 1) {
            if (g.num == 1 && g.wtype == DF_PB_VARINT) {
                *rejected = (int64_t)g.u64;
                found |= g.u64 != 0;
            } else if (g.num == 2 && g.wtype == DF_PB_LEN) {
                copy_text(g.data, g.len, msg, msglen, false);
                found |= g.len != 0;
            }
        }
        if (rc2 < 0)
            return DF_EPARSE;
    }
    if (rc < 0)
        return DF_EPARSE;
    return found ? 1 : 0;
}

/* The media type of a Content-Type value, without parameters. */
static bool is_type(const char *ct, const char *want)
{
    if (!ct)
        return false;
    size_t n = strcspn(ct, "; \t");
    return n == strlen(want) && !strncasecmp(ct, want, n);
}

/* google.rpc.Status.message (field 2) of a protobuf body. */
static bool pb_message(const uint8_t *body, size_t len, char *out, size_t outlen)
{
    struct df_pb_reader r = df_pb_reader_make(body, len);
    struct df_pb_field f;
    int rc;
    bool found = false;
    while ((rc = df_pb_next(&r, &f)) == 1) {
        if (f.num == 2 && f.wtype == DF_PB_LEN) {
            copy_text(f.data, f.len, out, outlen, false);
            found = true;
        }
    }
    return rc == 0 && found;
}

/* The string value of the first "message" key of a JSON body; escapes
 * decoded, non-ASCII \u escapes as '?'. */
static bool json_message(const uint8_t *body, size_t len, char *out, size_t outlen)
{
    static const char key[] = "\"message\"";
    const uint8_t *p = NULL, *end = body + len;
    for (const uint8_t *s = body; s + sizeof key - 1 <= end; s++) {
        if (!memcmp(s, key, sizeof key - 1)) {
            p = s + sizeof key - 1;
            break;
        }
    }
    if (!p)
        return false;
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    if (p == end || *p++ != ':')
        return false;
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    if (p == end || *p++ != '"')
        return false;
    size_t o = 0;
    while (p < end && *p != '"' && o + 1 < outlen) {
        uint8_t c = *p++;
        if (c == '\\' && p < end) {
            c = *p++;
            switch (c) {
            case 'n':
            case 't':
            case 'r':
            case 'b':
            case 'f':
                c = ' ';
                break;
            case 'u': {
                unsigned v = 0;
                int i = 0;
                for (; i < 4 && p < end; i++, p++) {
                    unsigned d = *p >= '0' && *p <= '9'   ? (unsigned)(*p - '0')
                                 : *p >= 'a' && *p <= 'f' ? (unsigned)(*p - 'a') + 10u
                                 : *p >= 'A' && *p <= 'F' ? (unsigned)(*p - 'A') + 10u
                                                          : 16u;
                    if (d > 15)
                        break;
                    v = v * 16 + d;
                }
                c = i == 4 && v >= 0x20 && v < 0x7f ? (uint8_t)v : '?';
                break;
            }
            default:
                break; /* \" \\ \/ stand for themselves */
            }
        }
        out[o++] = c >= 0x20 && c != 0x7f ? (char)c : '.';
    }
    out[o] = 0;
    return true;
}

void otlp_log_failure(struct df_node *node, struct df_log_limit *limit, enum df_outcome o,
                      const char *reason)
{
    uint64_t left_out;
    if (o != DF_OUTCOME_NACK_PERMANENT ||
        !df_log_limit_pass(limit, uv_now(df_node_loop(node)), 1000, &left_out))
        return;
    if (left_out)
        df_node_log(node, DF_LOG_WARN, "%s; not retried (and %llu more failed exports not logged)",
                    reason, (unsigned long long)left_out);
    else
        df_node_log(node, DF_LOG_WARN, "%s; not retried", reason);
}

void otlp_error_text(const uint8_t *body, size_t len, const char *content_type, char *out,
                     size_t outlen)
{
    if (!outlen)
        return;
    out[0] = 0;
    if (!len)
        return;
    if (is_type(content_type, "application/x-protobuf") && pb_message(body, len, out, outlen))
        return;
    if (is_type(content_type, "application/json") && json_message(body, len, out, outlen))
        return;
    copy_text(body, len, out, outlen, true);
}

static int guard_feed(struct df_proto *b, const uint8_t *d, size_t n)
{
    struct otlp_guard *g = (struct otlp_guard *)b;
    return g->inner->ops->feed(g->inner, d, n);
}

static size_t guard_output(struct df_proto *b, const uint8_t **d)
{
    struct otlp_guard *g = (struct otlp_guard *)b;
    return g->inner->ops->output(g->inner, d);
}

static void guard_consumed(struct df_proto *b, size_t n)
{
    struct otlp_guard *g = (struct otlp_guard *)b;
    g->inner->ops->consumed(g->inner, n);
}

static bool guard_done(struct df_proto *b)
{
    struct otlp_guard *g = (struct otlp_guard *)b;
    return g->inner->ops->done(g->inner);
}

static bool guard_want_read(struct df_proto *b)
{
    struct otlp_guard *g = (struct otlp_guard *)b;
    return !g->inner->ops->want_read || g->inner->ops->want_read(g->inner);
}

static void guard_destroy(struct df_proto *b)
{
    struct otlp_guard *g = (struct otlp_guard *)b;
    void (*gone)(void *) = g->gone;
    void *ud = g->ud;
    g->inner->ops->destroy(g->inner);
    free(g);
    gone(ud);
}

static const struct df_proto_ops guard_ops = {.feed = guard_feed,
                                              .output = guard_output,
                                              .consumed = guard_consumed,
                                              .done = guard_done,
                                              .destroy = guard_destroy,
                                              .want_read = guard_want_read};

void otlp_guard_init(struct otlp_guard *g, struct df_proto *inner, void (*gone)(void *ud), void *ud)
{
    g->base.ops = &guard_ops;
    g->inner = inner;
    g->gone = gone;
    g->ud = ud;
}
