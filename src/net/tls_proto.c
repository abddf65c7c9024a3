/* TLS between a connection and a protocol (net/tls_proto.h). */
#include "net/tls_proto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "df/error.h"

struct tls_proto {
    struct df_proto base;
    struct df_tls_conn *tls;
    struct df_proto *inner; /* NULL until chosen (server) */
    struct df_conn *conn;
    df_tls_inner_fn select;
    df_tls_fail_fn on_fail;
    void *ud;
    bool failed, closed, notified;
};

static void fail(struct tls_proto *t)
{
    if (!t->failed && t->on_fail)
        t->on_fail(t->ud, df_tls_last_error(t->tls));
    t->failed = true;
}

/* Hands decrypted bytes to the inner protocol. Returns <0 to close. */
static int drain_plaintext(struct tls_proto *t)
{
    uint8_t buf[16384];
    for (;;) {
        ssize_t n = df_tls_read(t->tls, buf, sizeof buf);
        if (n == 0)
            return 0;
        if (n == DF_TLS_CLOSED) {
            t->closed = true;
            return 0;
        }
        if (n < 0) {
            fail(t);
            return DF_EIO;
        }
        if (!t->inner) {
            t->inner = t->select(t->ud, t->conn, df_tls_alpn(t->tls), t->tls, buf, (size_t)n);
            if (!t->inner)
                return DF_EINVAL;
        }
        int rc = t->inner->ops->feed(t->inner, buf, (size_t)n);
        if (rc < 0)
            return rc;
    }
}

static int tls_feed(struct df_proto *p, const uint8_t *data, size_t len)
{
    struct tls_proto *t = (struct tls_proto *)p;
    while (len) {
        ssize_t took = df_tls_feed(t->tls, data, len);
        if (took < 0) {
            fail(t);
            return DF_EIO;
        }
        data += took;
        len -= (size_t)took;
        int rc = drain_plaintext(t);
        if (rc < 0)
            return rc;
        if (!took && len) /* input full and nothing could be read: a stuck peer */
            return DF_ERANGE;
    }
    return 0;
}

static size_t tls_output(struct df_proto *p, const uint8_t **data)
{
    struct tls_proto *t = (struct tls_proto *)p;
    /* Move what the inner protocol has into TLS records. */
    const uint8_t *plain;
    size_t n;
    while (t->inner && !t->failed && df_tls_handshake_done(t->tls) &&
           (n = t->inner->ops->output(t->inner, &plain)) > 0) {
        ssize_t w = df_tls_write(t->tls, plain, n);
        if (w <= 0)
            break;
        t->inner->ops->consumed(t->inner, (size_t)w);
    }
    if (t->inner && !t->notified && t->inner->ops->done(t->inner) &&
        !t->inner->ops->output(t->inner, &plain)) {
        df_tls_close(t->tls);
        t->notified = true;
    }
    size_t len;
    df_tls_pending_output(t->tls, data, &len);
    return len;
}

static void tls_consumed(struct df_proto *p, size_t n)
{
    df_tls_consume_output(((struct tls_proto *)p)->tls, n);
}

static bool tls_done(struct df_proto *p)
{
    struct tls_proto *t = (struct tls_proto *)p;
    return t->failed || t->closed || t->notified;
}

static void tls_destroy(struct df_proto *p)
{
    struct tls_proto *t = (struct tls_proto *)p;
    if (t->inner)
        t->inner->ops->destroy(t->inner);
    df_tls_conn_free(t->tls);
    free(t);
}

/* The inner protocol decides; TLS itself always takes input (bounded by
 * DF_TLS_MAX_INPUT). */
static bool tls_want_read(struct df_proto *p)
{
    struct tls_proto *t = (struct tls_proto *)p;
    return !t->inner || !t->inner->ops->want_read || t->inner->ops->want_read(t->inner);
}

static const struct df_proto_ops tls_ops = {.feed = tls_feed,
                                            .output = tls_output,
                                            .consumed = tls_consumed,
                                            .done = tls_done,
                                            .destroy = tls_destroy,
                                            .want_read = tls_want_read};

struct df_proto *df_tls_proto_server(const struct df_tls_ctx *ctx, struct df_conn *conn,
                                     df_tls_inner_fn select, df_tls_fail_fn on_fail, void *ud)
{
    struct tls_proto *t = calloc(1, sizeof *t);
    char err[DF_TLS_ERROR_MAX];
    if (!t || !(t->tls = df_tls_conn_new(ctx, NULL, err, sizeof err))) {
        free(t);
        return NULL;
    }
    t->base.ops = &tls_ops;
    t->conn = conn;
    t->select = select;
    t->on_fail = on_fail;
    t->ud = ud;
    return &t->base;
}

struct df_proto *df_tls_proto_client(const struct df_tls_ctx *ctx, const char *host,
                                     struct df_proto *inner, df_tls_fail_fn on_fail, void *ud,
                                     char *err, size_t errlen)
{
    struct tls_proto *t = calloc(1, sizeof *t);
    if (!t || !(t->tls = df_tls_conn_new(ctx, host, err, errlen))) {
        if (!t)
            snprintf(err, errlen, "out of memory");
        free(t);
        inner->ops->destroy(inner);
        return NULL;
    }
    t->base.ops = &tls_ops;
    t->inner = inner;
    t->on_fail = on_fail;
    t->ud = ud;
    return &t->base;
}
