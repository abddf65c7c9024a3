/* net/h2.c — HTTP/2 server and client connections over nghttp2's memory
 * API. See h2.h for the contracts.
 *
 * Both roles share the output buffer (frames pulled from nghttp2 up to
 * max_output_buffer) and the header field store. A stream's state lives in
 * a struct attached to the nghttp2 stream as its user data and linked into
 * its connection, so that freeing the connection frees every stream
 * (nghttp2_session_del calls no stream-close callbacks). On close the user
 * data is cleared before the struct is freed, so a late respond on that
 * stream id finds nothing. */
#include "net/h2.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <nghttp2/nghttp2.h>

/* Flow-control windows we grant: a whole OTLP batch (hundreds of KiB) can
 * be in flight on one stream without waiting for WINDOW_UPDATEs, and a
 * connection bounds what all its streams have in flight together. Bodies
 * stay bounded by max_body either way. */
#define STREAM_WINDOW (1u << 20)
#define CONN_WINDOW   (16 << 20)

struct df_h2_limits df_h2_limits_resolve(const struct df_h2_limits *limits)
{
    struct df_h2_limits l = limits ? *limits : (struct df_h2_limits){0};
    if (!l.max_concurrent_streams)
        l.max_concurrent_streams = DF_H2_MAX_CONCURRENT_STREAMS;
    if (!l.max_header_list_size)
        l.max_header_list_size = DF_H2_MAX_HEADER_LIST_SIZE;
    if (!l.max_body)
        l.max_body = DF_H2_MAX_BODY;
    if (!l.max_output_buffer)
        l.max_output_buffer = DF_H2_MAX_OUTPUT_BUFFER;
    return l;
}

/* ---- header fields ------------------------------------------------------ */

/* Received fields: NUL-terminated names and values packed in `buf`, their
 * offsets in `off` (name, value, name, value ...), and their size as RFC
 * 9113 counts it (name + value + 32 per field). */
struct fields {
    char *buf;
    size_t len, cap;
    size_t *off;
    size_t n, ncap;
    size_t size;
    struct df_h2_header *view; /* kept between views: rebuilt without allocating */
    size_t vcap;
};

static void fields_free(struct fields *f)
{
    free(f->buf);
    free(f->off);
    free(f->view);
    memset(f, 0, sizeof *f);
}

static void fields_clear(struct fields *f)
{
    f->len = f->n = f->size = 0;
}

static int fields_add(struct fields *f, const uint8_t *name, size_t nlen, const uint8_t *value,
                      size_t vlen)
{
    size_t need = f->len + nlen + vlen + 2;
    if (need > f->cap) {
        size_t ncap = f->cap ? f->cap * 2 : 512;
        while (ncap < need)
            ncap *= 2;
        char *nb = realloc(f->buf, ncap);
        if (!nb)
            return DF_ENOMEM;
        f->buf = nb;
        f->cap = ncap;
    }
    if (f->n == f->ncap) {
        size_t ncap = f->ncap ? f->ncap * 2 : 16;
        size_t *no = realloc(f->off, ncap * 2 * sizeof *no);
        if (!no)
            return DF_ENOMEM;
        f->off = no;
        f->ncap = ncap;
    }
    f->off[2 * f->n] = f->len;
    memcpy(f->buf + f->len, name, nlen);
    f->len += nlen;
    f->buf[f->len++] = 0;
    f->off[2 * f->n + 1] = f->len;
    memcpy(f->buf + f->len, value, vlen);
    f->len += vlen;
    f->buf[f->len++] = 0;
    f->n++;
    return 0;
}

static const char *fields_get(const struct fields *f, const char *name)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->buf + f->off[2 * i], name) == 0)
            return f->buf + f->off[2 * i + 1];
    return NULL;
}

/* Builds f->view: the fields as df_h2_header, pseudo-headers left out when
 * `regular_only`. Returns the count, or -1 on allocation failure. */
static long fields_view(struct fields *f, bool regular_only)
{
    size_t need = f->n ? f->n : 1;
    if (need > f->vcap) {
        struct df_h2_header *v = realloc(f->view, need * sizeof *v);
        if (!v)
            return -1;
        f->view = v;
        f->vcap = need;
    }
    size_t k = 0;
    for (size_t i = 0; i < f->n; i++) {
        const char *name = f->buf + f->off[2 * i];
        if (regular_only && name[0] == ':')
            continue;
        f->view[k++] = (struct df_h2_header){name, f->buf + f->off[2 * i + 1]};
    }
    return (long)k;
}

/* Builds nghttp2 name/value pairs from `status` (when > 0) and `h`. */
static nghttp2_nv *make_nva(int status, char *status_buf, const struct df_h2_header *h, size_t n,
                            size_t *count)
{
    nghttp2_nv *nva = malloc((n + 1) * sizeof *nva);
    if (!nva)
        return NULL;
    size_t k = 0;
    if (status > 0) {
        snprintf(status_buf, 4, "%03d", status);
        nva[k++] =
            (nghttp2_nv){(uint8_t *)":status", (uint8_t *)status_buf, 7, 3, NGHTTP2_NV_FLAG_NONE};
    }
    for (size_t i = 0; i < n; i++)
        nva[k++] = (nghttp2_nv){(uint8_t *)h[i].name, (uint8_t *)h[i].value, strlen(h[i].name),
                                strlen(h[i].value), NGHTTP2_NV_FLAG_NONE};
    *count = k;
    return nva;
}

/* A fields-owned copy of `h`, kept until trailers are submitted. */
static int fields_copy(struct fields *f, const struct df_h2_header *h, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (fields_add(f, (const uint8_t *)h[i].name, strlen(h[i].name),
                       (const uint8_t *)h[i].value, strlen(h[i].value)) != 0)
            return DF_ENOMEM;
    return 0;
}

static bool valid_fields(const struct df_h2_header *h, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!h[i].name || !h[i].value || !h[i].name[0] || h[i].name[0] == ':')
            return false;
        for (const char *p = h[i].name; *p; p++)
            if ((*p >= 'A' && *p <= 'Z') || (unsigned char)*p <= 0x20)
                return false;
        for (const char *p = h[i].value; *p; p++)
            if (*p == '\r' || *p == '\n')
                return false;
    }
    return true;
}

/* ---- output ------------------------------------------------------------- */

/* Output waiting for the engine: data[off..len). */
struct outbuf {
    uint8_t *data;
    size_t off, len, cap;
};

static int out_append(struct outbuf *o, const uint8_t *p, size_t n)
{
    if (o->off > 0 && o->len + n > o->cap) {
        memmove(o->data, o->data + o->off, o->len - o->off);
        o->len -= o->off;
        o->off = 0;
    }
    if (o->len + n > o->cap) {
        size_t ncap = o->cap ? o->cap * 2 : 16384;
        while (ncap < o->len + n)
            ncap *= 2;
        uint8_t *nb = realloc(o->data, ncap);
        if (!nb)
            return DF_ENOMEM;
        o->data = nb;
        o->cap = ncap;
    }
    memcpy(o->data + o->len, p, n);
    o->len += n;
    return 0;
}

/* Pulls frames from nghttp2 while less than `max` bytes are pending (so it
 * may end up to one frame above). Returns 0 or a negative nghttp2 error. */
static int out_fill(nghttp2_session *s, struct outbuf *o, size_t max)
{
    while (o->len - o->off < max) {
        const uint8_t *p;
        ssize_t n = nghttp2_session_mem_send(s, &p);
        if (n < 0)
            return (int)n;
        if (n == 0)
            break;
        if (out_append(o, p, (size_t)n) != 0)
            return NGHTTP2_ERR_NOMEM;
    }
    return 0;
}

static void out_pending(const struct outbuf *o, const uint8_t **data, size_t *len)
{
    *data = o->data ? o->data + o->off : NULL;
    *len = o->len - o->off;
}

static void out_consume(struct outbuf *o, size_t n)
{
    size_t pending = o->len - o->off;
    o->off += n < pending ? n : pending;
    if (o->off == o->len)
        o->off = o->len = 0;
}

static nghttp2_option *make_options(void)
{
    nghttp2_option *opt;
    if (nghttp2_option_new(&opt) != 0)
        return NULL;
    /* Closed streams are kept only for priorities, which we do not use. */
    nghttp2_option_set_no_closed_streams(opt, 1);
    return opt;
}

/* ---- server ------------------------------------------------------------- */

struct sstream {
    struct df_h2_server_conn *c;
    struct sstream *prev, *next;
    int32_t id;
    struct fields f;
    bool headers_too_big;
    bool is_grpc;
    bool remote_closed; /* END_STREAM received */
    bool rejected;      /* answered by the connection or refused by on_headers; input ignored */
    bool in_headers;    /* on_headers runs: it may answer the stream */
    bool delivered;     /* handed to on_request */
    bool responded;     /* a response was submitted */
    bool complete;      /* the response's END_STREAM was sent */
    bool notified;      /* on_stream_close was called */
    bool rst_after_end; /* tell the client to stop sending once answered */
    enum df_encoding encoding;
    void *stream_ud; /* on_headers' */
    /* Request body: raw (plain HTTP) or unframed message (gRPC). */
    uint8_t *body;
    size_t body_len, body_cap;
    struct df_grpc_parser parser;
    uint8_t *msg;
    size_t msg_len;
    /* Response body being sent and the trailers that follow it. */
    uint8_t *resp;
    size_t resp_len, resp_off;
    struct fields trailers;
};

struct df_h2_server_conn {
    nghttp2_session *s;
    struct df_h2_server_callbacks cb;
    void *ud;
    struct df_h2_limits lim;
    struct outbuf out;
    struct sstream *streams;
    int in_recv; /* inside nghttp2_session_mem_recv: no mem_send now */
    bool dead;   /* fatal error: no more input */
    bool goaway_recv;
    bool shutdown;
    struct df_h2_server_stats stats;
};

static void sstream_release_input(struct sstream *st)
{
    free(st->body);
    st->body = NULL;
    st->body_len = st->body_cap = 0;
    free(st->msg);
    st->msg = NULL;
    st->msg_len = 0;
    df_grpc_parser_free(&st->parser);
}

static void sstream_free(struct sstream *st)
{
    struct df_h2_server_conn *c = st->c;
    if (st->prev)
        st->prev->next = st->next;
    else
        c->streams = st->next;
    if (st->next)
        st->next->prev = st->prev;
    sstream_release_input(st);
    fields_free(&st->f);
    fields_free(&st->trailers);
    free(st->resp);
    free(st);
}

static struct sstream *sstream_get(struct df_h2_server_conn *c, int32_t id)
{
    return nghttp2_session_get_stream_user_data(c->s, id);
}

static ssize_t resp_read(nghttp2_session *s, int32_t id, uint8_t *buf, size_t length,
                         uint32_t *flags, nghttp2_data_source *src, void *ud)
{
    struct sstream *st = src->ptr;
    size_t n = st->resp_len - st->resp_off;
    if (n > length)
        n = length;
    if (n)
        memcpy(buf, st->resp + st->resp_off, n);
    st->resp_off += n;
    if (st->resp_off == st->resp_len) {
        *flags |= NGHTTP2_DATA_FLAG_EOF;
        if (st->trailers.n > 0) {
            size_t count;
            long k = fields_view(&st->trailers, false);
            nghttp2_nv *nva =
                k < 0 ? NULL : make_nva(0, NULL, st->trailers.view, (size_t)k, &count);
            if (!nva)
                return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
            int rv = nghttp2_submit_trailer(s, id, nva, count);
            free(nva);
            if (rv != 0)
                return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
            *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
        }
    }
    return (ssize_t)n;
}

static int server_flush(struct df_h2_server_conn *c);

/* Submits a response on a live stream. Does not flush. */
static int submit_response(struct df_h2_server_conn *c, struct sstream *st, int status,
                           const struct df_h2_header *headers, size_t nheaders, const uint8_t *body,
                           size_t body_len, const struct df_h2_header *trailers, size_t ntrailers)
{
    if (st->responded)
        return DF_EEXIST;
    if (status < 200 || status > 599 || !valid_fields(headers, nheaders) ||
        !valid_fields(trailers, ntrailers))
        return DF_EINVAL;
    char status_buf[4];
    size_t count;
    nghttp2_nv *nva = make_nva(status, status_buf, headers, nheaders, &count);
    if (!nva)
        return DF_ENOMEM;
    int rv;
    if (body_len == 0 && ntrailers == 0) {
        rv = nghttp2_submit_response(c->s, st->id, nva, count, NULL);
    } else if (body_len == 0) {
        /* Headers then trailers, no DATA: no need to keep anything. */
        size_t tcount;
        nghttp2_nv *tnva = make_nva(0, NULL, trailers, ntrailers, &tcount);
        rv = tnva ? nghttp2_submit_headers(c->s, NGHTTP2_FLAG_NONE, st->id, NULL, nva, count, NULL)
                  : NGHTTP2_ERR_NOMEM;
        if (rv >= 0)
            rv = nghttp2_submit_trailer(c->s, st->id, tnva, tcount);
        free(tnva);
    } else {
        st->resp = malloc(body_len);
        if (!st->resp || fields_copy(&st->trailers, trailers, ntrailers) != 0) {
            free(nva);
            free(st->resp);
            st->resp = NULL;
            fields_free(&st->trailers);
            return DF_ENOMEM;
        }
        memcpy(st->resp, body, body_len);
        st->resp_len = body_len;
        st->resp_off = 0;
        nghttp2_data_provider prd = {.source.ptr = st, .read_callback = resp_read};
        rv = nghttp2_submit_response(c->s, st->id, nva, count, &prd);
    }
    free(nva);
    if (rv < 0)
        return rv == NGHTTP2_ERR_NOMEM ? DF_ENOMEM : DF_EINVAL;
    st->responded = true;
    return 0;
}

static int grpc_submit(struct df_h2_server_conn *c, struct sstream *st, enum df_grpc_status status,
                       const char *message, const uint8_t *body, size_t len, int64_t retry_delay_ms,
                       bool trailers_only_extra_accept)
{
    char code[12];
    snprintf(code, sizeof code, "%d", (int)status);
    char *msg = message && *message ? df_grpc_message_encode(message) : NULL;
    char *details = NULL;
    uint8_t *framed = NULL;
    size_t framed_len = 0;
    int rc = DF_ENOMEM;
    if (message && *message && !msg)
        goto out;
    if (retry_delay_ms >= 0 &&
        df_grpc_status_details_encode((int)status, message, retry_delay_ms, &details) != 0)
        goto out;
    /* A successful unary call carries exactly one message, if empty. */
    if (!body && status == DF_GRPC_OK) {
        body = (const uint8_t *)"";
        len = 0;
    }
    if (body && df_grpc_frame_encode(DF_ENCODING_IDENTITY, body, len, &framed, &framed_len) != 0)
        goto out;
    struct df_h2_header h[6];
    size_t n = 0;
    h[n++] = (struct df_h2_header){"content-type", "application/grpc"};
    if (trailers_only_extra_accept)
        h[n++] = (struct df_h2_header){"grpc-accept-encoding", "identity,gzip,deflate,zstd"};
    struct df_h2_header *t = h + n;
    size_t nt = 0;
    t[nt++] = (struct df_h2_header){"grpc-status", code};
    if (msg)
        t[nt++] = (struct df_h2_header){"grpc-message", msg};
    if (details)
        t[nt++] = (struct df_h2_header){"grpc-status-details-bin", details};
    if (status != DF_GRPC_OK && !body)
        rc = submit_response(c, st, 200, h, n + nt, NULL, 0, NULL, 0); /* Trailers-Only */
    else
        rc = submit_response(c, st, 200, h, n, framed, framed_len, t, nt);
out:
    free(msg);
    free(details);
    free(framed);
    return rc;
}

/* The connection answers `st` itself: the request never reaches the engine,
 * its input is dropped and the client is asked to stop sending. */
static void reject_http(struct df_h2_server_conn *c, struct sstream *st, int status)
{
    st->rejected = true;
    st->rst_after_end = true;
    sstream_release_input(st);
    c->stats.rejected++;
    if (submit_response(c, st, status, NULL, 0, NULL, 0, NULL, 0) != 0)
        nghttp2_submit_rst_stream(c->s, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_INTERNAL_ERROR);
}

static void reject_grpc(struct df_h2_server_conn *c, struct sstream *st, enum df_grpc_status status,
                        const char *reason)
{
    st->rejected = true;
    st->rst_after_end = true;
    sstream_release_input(st);
    c->stats.rejected++;
    if (grpc_submit(c, st, status, reason, NULL, 0, -1, status == DF_GRPC_UNIMPLEMENTED) != 0)
        nghttp2_submit_rst_stream(c->s, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_INTERNAL_ERROR);
}

static bool is_grpc_content_type(const char *ct)
{
    static const char prefix[] = "application/grpc";
    size_t n = sizeof prefix - 1;
    return ct && strncasecmp(ct, prefix, n) == 0 && (ct[n] == 0 || ct[n] == '+' || ct[n] == ';');
}

/* The request's header block is complete: classify and check it. */
static void request_headers_done(struct df_h2_server_conn *c, struct sstream *st)
{
    st->is_grpc = is_grpc_content_type(fields_get(&st->f, "content-type"));
    if (st->headers_too_big) {
        if (st->is_grpc)
            reject_grpc(c, st, DF_GRPC_RESOURCE_EXHAUSTED, "request header list too large");
        else
            reject_http(c, st, 431);
        return;
    }
    if (st->is_grpc) {
        const char *method = fields_get(&st->f, ":method");
        if (!method || strcmp(method, "POST") != 0) {
            reject_http(c, st, 405);
            return;
        }
        const char *enc = fields_get(&st->f, "grpc-encoding");
        st->encoding = DF_ENCODING_IDENTITY;
        if (enc && df_encoding_parse(enc, &st->encoding) != 0) {
            reject_grpc(c, st, DF_GRPC_UNIMPLEMENTED, "unsupported grpc-encoding");
            return;
        }
        df_grpc_parser_init(&st->parser, c->lim.max_body, st->encoding);
        return;
    }
    const char *enc = fields_get(&st->f, "content-encoding");
    st->encoding = DF_ENCODING_IDENTITY;
    if (enc && df_encoding_parse(enc, &st->encoding) != 0) {
        reject_http(c, st, 415);
        return;
    }
    const char *cl = fields_get(&st->f, "content-length");
    if (cl && strtoull(cl, NULL, 10) > c->lim.max_body)
        reject_http(c, st, 413);
}

static int on_grpc_message(void *ud, uint8_t *msg, size_t len)
{
    struct sstream *st = ud;
    if (st->msg) {
        free(msg);
        df_grpc_parser_fail(&st->parser, DF_EINVAL, DF_GRPC_UNIMPLEMENTED,
                            "more than one request message on a unary call");
        return DF_EINVAL;
    }
    st->msg = msg;
    st->msg_len = len;
    return 0;
}

/* The request as on_headers and on_request see it. Returns 0, or DF_ENOMEM
 * when the header view cannot be built. */
static int fill_request(struct sstream *st, struct df_h2_request *out, const uint8_t *body,
                        size_t body_len)
{
    long n = fields_view(&st->f, true);
    if (n < 0)
        return DF_ENOMEM;
    const char *authority = fields_get(&st->f, ":authority");
    if (!authority)
        authority = fields_get(&st->f, "host");
    struct df_h2_request req = {
        .stream_id = st->id,
        .method = fields_get(&st->f, ":method"),
        .path = fields_get(&st->f, ":path"),
        .authority = authority ? authority : "",
        .scheme = fields_get(&st->f, ":scheme"),
        .content_type = fields_get(&st->f, "content-type"),
        .te = fields_get(&st->f, "te"),
        .grpc_encoding = fields_get(&st->f, "grpc-encoding"),
        .grpc_timeout = fields_get(&st->f, "grpc-timeout"),
        .is_grpc = st->is_grpc,
        .headers = st->f.view,
        .nheaders = (size_t)n,
        .body = body ? body : (const uint8_t *)"",
        .body_len = body_len,
        .stream_ud = st->stream_ud,
    };
    if (!req.method)
        req.method = "";
    if (!req.path)
        req.path = "";
    if (!req.scheme)
        req.scheme = "";
    if (req.grpc_timeout && df_grpc_timeout_parse(req.grpc_timeout, &req.timeout_ms) == 0)
        req.has_timeout = true;
    *out = req;
    return 0;
}

static void deliver_request(struct df_h2_server_conn *c, struct sstream *st, const uint8_t *body,
                            size_t body_len)
{
    struct df_h2_request req;
    if (fill_request(st, &req, body, body_len) != 0) {
        reject_http(c, st, 503);
        return;
    }
    st->delivered = true;
    c->stats.requests++;
    c->cb.on_request(c->ud, c, &req);
}

/* The header block passed the connection's checks: on_headers decides
 * (see df_h2_headers_fn). A refused stream is marked as the connection's
 * own rejections are, so its DATA is dropped and RST_STREAM(NO_ERROR)
 * follows the answer. */
static void decide_headers(struct df_h2_server_conn *c, struct sstream *st)
{
    struct df_h2_request req;
    if (fill_request(st, &req, NULL, 0) != 0) {
        reject_http(c, st, 503);
        return;
    }
    req.stream_ud = NULL;
    st->in_headers = true;
    bool go_on = c->cb.on_headers(c->ud, c, &req, &st->stream_ud);
    st->in_headers = false;
    if (go_on && !st->responded)
        return;
    st->rejected = true;
    st->rst_after_end = true;
    st->stream_ud = NULL;
    sstream_release_input(st);
    c->stats.refused++;
    if (!st->responded)
        nghttp2_submit_rst_stream(c->s, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_INTERNAL_ERROR);
}

/* END_STREAM received: finish the body and hand the request over. */
static void request_done(struct df_h2_server_conn *c, struct sstream *st)
{
    st->remote_closed = true;
    if (st->rejected || st->delivered)
        return;
    if (st->is_grpc) {
        if (df_grpc_parser_finish(&st->parser) != 0) {
            reject_grpc(c, st, st->parser.status, st->parser.reason);
            return;
        }
        if (!st->msg) {
            reject_grpc(c, st, DF_GRPC_UNIMPLEMENTED, "no request message on a unary call");
            return;
        }
        deliver_request(c, st, st->msg, st->msg_len);
    } else if (st->encoding != DF_ENCODING_IDENTITY) {
        uint8_t *plain;
        size_t plain_len;
        int rc = df_decompress(st->encoding, st->body, st->body_len, c->lim.max_body, &plain,
                               &plain_len);
        if (rc != 0) {
            reject_http(c, st, rc == DF_ERANGE ? 413 : rc == DF_ENOMEM ? 503 : 400);
            return;
        }
        free(st->body);
        st->body = plain;
        st->body_len = st->body_cap = plain_len;
        deliver_request(c, st, st->body, st->body_len);
    } else {
        deliver_request(c, st, st->body, st->body_len);
    }
    /* The engine has what it needs; keep only what the response needs. */
    sstream_release_input(st);
}

static int s_on_begin_headers(nghttp2_session *s, const nghttp2_frame *frame, void *ud)
{
    struct df_h2_server_conn *c = ud;
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
        return 0;
    struct sstream *st = calloc(1, sizeof *st);
    if (!st)
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE; /* resets this stream only */
    st->c = c;
    st->id = frame->hd.stream_id;
    df_grpc_parser_init(&st->parser, c->lim.max_body, DF_ENCODING_IDENTITY);
    st->next = c->streams;
    if (c->streams)
        c->streams->prev = st;
    c->streams = st;
    c->stats.open_streams++;
    nghttp2_session_set_stream_user_data(s, st->id, st);
    return 0;
}

static int s_on_header(nghttp2_session *s, const nghttp2_frame *frame, const uint8_t *name,
                       size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags,
                       void *ud)
{
    struct df_h2_server_conn *c = ud;
    struct sstream *st = sstream_get(c, frame->hd.stream_id);
    if (!st || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
        return 0; /* request trailers carry nothing we use */
    st->f.size += namelen + valuelen + 32;
    if (st->f.size > c->lim.max_header_list_size) {
        /* Keep only what classifies the request, for the right answer. */
        st->headers_too_big = true;
        if (!(namelen == 12 && memcmp(name, "content-type", 12) == 0) ||
            fields_get(&st->f, "content-type"))
            return 0;
    }
    if (fields_add(&st->f, name, namelen, value, valuelen) != 0)
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    return 0;
}

static int s_on_data_chunk(nghttp2_session *s, uint8_t flags, int32_t id, const uint8_t *data,
                           size_t len, void *ud)
{
    struct df_h2_server_conn *c = ud;
    struct sstream *st = sstream_get(c, id);
    if (!st || st->rejected || st->delivered)
        return 0;
    if (st->is_grpc) {
        if (df_grpc_parser_feed(&st->parser, data, len, on_grpc_message, st) != 0)
            reject_grpc(c, st, st->parser.status, st->parser.reason);
        return 0;
    }
    if (len > c->lim.max_body - st->body_len) {
        reject_http(c, st, 413);
        return 0;
    }
    if (st->body_len + len > st->body_cap) {
        size_t ncap = st->body_cap ? st->body_cap * 2 : 16384;
        while (ncap < st->body_len + len)
            ncap *= 2;
        if (ncap > c->lim.max_body)
            ncap = c->lim.max_body;
        uint8_t *nb = realloc(st->body, ncap);
        if (!nb) {
            reject_http(c, st, 503);
            return 0;
        }
        st->body = nb;
        st->body_cap = ncap;
    }
    memcpy(st->body + st->body_len, data, len);
    st->body_len += len;
    return 0;
}

static int s_on_frame_recv(nghttp2_session *s, const nghttp2_frame *frame, void *ud)
{
    struct df_h2_server_conn *c = ud;
    if (frame->hd.type == NGHTTP2_GOAWAY) {
        c->goaway_recv = true;
        return 0;
    }
    if (frame->hd.type == NGHTTP2_PING && (frame->hd.flags & NGHTTP2_FLAG_ACK)) {
        c->stats.pings_acked++;
        return 0;
    }
    if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA)
        return 0;
    struct sstream *st = sstream_get(c, frame->hd.stream_id);
    if (!st)
        return 0;
    if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
        request_headers_done(c, st);
        if (c->cb.on_headers && !st->rejected)
            decide_headers(c, st);
    }
    if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM)
        request_done(c, st);
    return 0;
}

static int s_on_frame_send(nghttp2_session *s, const nghttp2_frame *frame, void *ud)
{
    struct df_h2_server_conn *c = ud;
    if ((frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) ||
        !(frame->hd.flags & NGHTTP2_FLAG_END_STREAM))
        return 0;
    struct sstream *st = sstream_get(c, frame->hd.stream_id);
    if (!st)
        return 0;
    st->complete = true;
    /* RFC 9113 8.1: a complete early response, then NO_ERROR asks the
     * client to stop sending the rest of the request. */
    if (st->rst_after_end && !st->remote_closed)
        nghttp2_submit_rst_stream(s, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_NO_ERROR);
    return 0;
}

static void notify_close(struct df_h2_server_conn *c, struct sstream *st, uint32_t code)
{
    if (st->delivered && !st->complete && !st->notified) {
        st->notified = true;
        c->stats.resets++;
        if (c->cb.on_stream_close)
            c->cb.on_stream_close(c->ud, c, st->id, code);
    }
}

static int s_on_stream_close(nghttp2_session *s, int32_t id, uint32_t code, void *ud)
{
    struct df_h2_server_conn *c = ud;
    struct sstream *st = sstream_get(c, id);
    if (!st)
        return 0;
    nghttp2_session_set_stream_user_data(s, id, NULL);
    c->stats.open_streams--;
    notify_close(c, st, code);
    sstream_free(st);
    return 0;
}

struct df_h2_server_conn *df_h2_server_new(const struct df_h2_server_callbacks *cb, void *ud,
                                           const struct df_h2_limits *limits)
{
    struct df_h2_server_conn *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->cb = *cb;
    c->ud = ud;
    c->lim = df_h2_limits_resolve(limits);
    nghttp2_session_callbacks *cbs;
    if (nghttp2_session_callbacks_new(&cbs) != 0) {
        free(c);
        return NULL;
    }
    nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, s_on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(cbs, s_on_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, s_on_data_chunk);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, s_on_frame_recv);
    nghttp2_session_callbacks_set_on_frame_send_callback(cbs, s_on_frame_send);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, s_on_stream_close);
    nghttp2_option *opt = make_options();
    int rv = opt ? nghttp2_session_server_new2(&c->s, cbs, c, opt) : NGHTTP2_ERR_NOMEM;
    nghttp2_option_del(opt);
    nghttp2_session_callbacks_del(cbs);
    if (rv != 0) {
        free(c);
        return NULL;
    }
    nghttp2_settings_entry iv[] = {
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, c->lim.max_concurrent_streams},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, c->lim.max_header_list_size > UINT32_MAX
                                                    ? UINT32_MAX
                                                    : (uint32_t)c->lim.max_header_list_size},
        {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, STREAM_WINDOW},
    };
    if (nghttp2_submit_settings(c->s, NGHTTP2_FLAG_NONE, iv, sizeof iv / sizeof iv[0]) != 0 ||
        nghttp2_session_set_local_window_size(c->s, NGHTTP2_FLAG_NONE, 0, CONN_WINDOW) != 0 ||
        server_flush(c) != 0) {
        df_h2_server_free(c);
        return NULL;
    }
    return c;
}

void df_h2_server_free(struct df_h2_server_conn *c)
{
    if (!c)
        return;
    nghttp2_session_del(c->s);
    while (c->streams)
        sstream_free(c->streams);
    free(c->out.data);
    free(c);
}

/* The connection is beyond saving: stop reading, tell the engine about the
 * streams it is waiting to answer, and queue GOAWAY with `code`. */
static void server_fatal(struct df_h2_server_conn *c, uint32_t code)
{
    if (c->dead)
        return;
    c->dead = true;
    nghttp2_session_terminate_session(c->s, code);
    for (struct sstream *st = c->streams; st; st = st->next)
        notify_close(c, st, code);
}

static int server_flush(struct df_h2_server_conn *c)
{
    if (c->in_recv)
        return 0;
    int rv = out_fill(c->s, &c->out, c->lim.max_output_buffer);
    if (rv != 0) {
        server_fatal(c, NGHTTP2_INTERNAL_ERROR);
        return rv == NGHTTP2_ERR_NOMEM ? DF_ENOMEM : DF_EIO;
    }
    return 0;
}

void df_h2_server_fail(struct df_h2_server_conn *c)
{
    server_fatal(c, NGHTTP2_INTERNAL_ERROR);
}

int df_h2_server_feed(struct df_h2_server_conn *c, const uint8_t *data, size_t len)
{
    if (c->dead)
        return DF_EIO;
    c->in_recv++;
    ssize_t rv = nghttp2_session_mem_recv(c->s, data, len);
    c->in_recv--;
    int rc = 0;
    if (rv < 0) {
        rc = rv == NGHTTP2_ERR_NOMEM ? DF_ENOMEM : DF_EPARSE;
        server_fatal(c, rv == NGHTTP2_ERR_FLOODED ? NGHTTP2_ENHANCE_YOUR_CALM
                        : rv == NGHTTP2_ERR_NOMEM ? NGHTTP2_INTERNAL_ERROR
                                                  : NGHTTP2_PROTOCOL_ERROR);
    }
    int frc = server_flush(c);
    if (rc == 0 && !c->dead && !nghttp2_session_want_read(c->s) && !c->goaway_recv &&
        !c->shutdown) {
        /* nghttp2 found a connection error and has sent GOAWAY itself
         * (when the output was full, want_close tells the engine later). */
        rc = DF_EPARSE;
        server_fatal(c, NGHTTP2_PROTOCOL_ERROR);
    }
    return rc ? rc : frc;
}

void df_h2_server_pending_output(struct df_h2_server_conn *c, const uint8_t **data, size_t *len)
{
    server_flush(c);
    out_pending(&c->out, data, len);
}

void df_h2_server_consume_output(struct df_h2_server_conn *c, size_t n)
{
    out_consume(&c->out, n);
    server_flush(c);
}

bool df_h2_server_want_close(const struct df_h2_server_conn *c)
{
    if (c->out.len > c->out.off)
        return false;
    return c->dead || (!nghttp2_session_want_read(c->s) && !nghttp2_session_want_write(c->s));
}

uint8_t *df_h2_server_take_body(struct df_h2_server_conn *c, int32_t stream_id)
{
    struct sstream *st = c->dead ? NULL : sstream_get(c, stream_id);
    if (!st || !st->delivered || st->responded)
        return NULL;
    uint8_t **slot = st->is_grpc ? &st->msg : &st->body;
    uint8_t *body = *slot;
    *slot = NULL;
    return body;
}

void df_h2_server_ping(struct df_h2_server_conn *c)
{
    if (c->dead || nghttp2_submit_ping(c->s, NGHTTP2_FLAG_NONE, NULL) != 0)
        return;
    server_flush(c);
}

void df_h2_server_shutdown(struct df_h2_server_conn *c)
{
    if (c->shutdown || c->dead)
        return;
    c->shutdown = true;
    nghttp2_submit_goaway(c->s, NGHTTP2_FLAG_NONE, nghttp2_session_get_last_proc_stream_id(c->s),
                          NGHTTP2_NO_ERROR, NULL, 0);
    server_flush(c);
}

int df_h2_server_respond(struct df_h2_server_conn *c, int32_t stream_id, int status,
                         const struct df_h2_header *headers, size_t nheaders, const uint8_t *body,
                         size_t body_len, const struct df_h2_header *trailers, size_t ntrailers)
{
    struct sstream *st = c->dead ? NULL : sstream_get(c, stream_id);
    if (!st || !(st->delivered || st->in_headers))
        return DF_ENOENT;
    int rc = submit_response(c, st, status, headers, nheaders, body, body_len, trailers, ntrailers);
    if (rc == 0)
        server_flush(c);
    return rc;
}

int df_grpc_respond(struct df_h2_server_conn *c, int32_t stream_id, enum df_grpc_status status,
                    const char *message, const uint8_t *body, size_t len, int64_t retry_delay_ms)
{
    struct sstream *st = c->dead ? NULL : sstream_get(c, stream_id);
    if (!st || !(st->delivered || st->in_headers))
        return DF_ENOENT;
    if (df_grpc_status_name((int)status) == NULL)
        return DF_EINVAL;
    int rc = grpc_submit(c, st, status, message, body, len, retry_delay_ms, false);
    if (rc == 0)
        server_flush(c);
    return rc;
}

void df_h2_server_stats(const struct df_h2_server_conn *c, struct df_h2_server_stats *out)
{
    *out = c->stats;
}

/* ---- client ------------------------------------------------------------- */

static const char *const result_names[] = {
#define DF_H2_RESULT_NAME(name, text) [name] = text,
    DF_H2_RESULTS(DF_H2_RESULT_NAME)
#undef DF_H2_RESULT_NAME
};

const char *df_h2_result_name(enum df_h2_result r)
{
    return (unsigned)r < sizeof result_names / sizeof result_names[0] ? result_names[r] : "?";
}

struct cstream {
    struct df_h2_client_conn *c;
    struct cstream *prev, *next;
    int32_t id;
    void *req_ud;
    uint8_t *req_body;
    size_t req_len, req_off;
    int status;
    bool in_trailers; /* the current header block comes after the final response */
    bool complete;    /* END_STREAM received */
    bool too_large;
    bool cancelled;
    bool reported;
    struct fields h, t;
    uint8_t *body;
    size_t body_len, body_cap;
};

struct df_h2_client_conn {
    nghttp2_session *s;
    df_h2_response_fn on_response;
    void *ud;
    struct df_h2_limits lim;
    const char *scheme;
    struct outbuf out;
    struct cstream *streams;
    uint32_t open;
    int in_recv;
    bool dead;
    bool goaway_recv;
    int32_t goaway_last_id;
};

static void cstream_free(struct cstream *st)
{
    struct df_h2_client_conn *c = st->c;
    if (st->prev)
        st->prev->next = st->next;
    else
        c->streams = st->next;
    if (st->next)
        st->next->prev = st->prev;
    free(st->req_body);
    fields_free(&st->h);
    fields_free(&st->t);
    free(st->body);
    free(st);
}

static struct cstream *cstream_get(struct df_h2_client_conn *c, int32_t id)
{
    return nghttp2_session_get_stream_user_data(c->s, id);
}

/* Calls on_response once for `st`. */
static void report(struct df_h2_client_conn *c, struct cstream *st, enum df_h2_result result,
                   uint32_t h2_error)
{
    if (st->reported)
        return;
    st->reported = true;
    c->open--;
    long nh = result == DF_H2_OK ? fields_view(&st->h, true) : 0;
    long nt = result == DF_H2_OK ? fields_view(&st->t, true) : 0;
    if (nh < 0 || nt < 0) {
        result = DF_H2_CONN_FAILED;
        nh = nt = 0;
    }
    struct df_h2_response res = {
        .req_ud = st->req_ud,
        .stream_id = st->id,
        .result = result,
        .h2_error = h2_error,
        .status = st->status,
        .headers = nh ? st->h.view : NULL,
        .nheaders = (size_t)nh,
        .body = result == DF_H2_OK && st->body ? st->body : (const uint8_t *)"",
        .body_len = result == DF_H2_OK ? st->body_len : 0,
        .trailers = nt ? st->t.view : NULL,
        .ntrailers = (size_t)nt,
    };
    c->on_response(c->ud, c, &res);
}

static int c_on_begin_headers(nghttp2_session *s, const nghttp2_frame *frame, void *ud)
{
    struct df_h2_client_conn *c = ud;
    struct cstream *st = cstream_get(c, frame->hd.stream_id);
    if (st && frame->hd.type == NGHTTP2_HEADERS)
        st->in_trailers = st->status >= 200;
    return 0;
}

static int c_on_header(nghttp2_session *s, const nghttp2_frame *frame, const uint8_t *name,
                       size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags,
                       void *ud)
{
    struct df_h2_client_conn *c = ud;
    struct cstream *st = cstream_get(c, frame->hd.stream_id);
    if (!st || st->too_large)
        return 0;
    struct fields *f = st->in_trailers ? &st->t : &st->h;
    if (!st->in_trailers && namelen == 7 && memcmp(name, ":status", 7) == 0) {
        /* A new response head; an informational one before it is dropped. */
        fields_clear(&st->h);
        st->status = 0;
        for (size_t i = 0; i < valuelen && i < 3; i++)
            st->status = st->status * 10 + (value[i] - '0');
    }
    f->size += namelen + valuelen + 32;
    if (st->h.size + st->t.size > c->lim.max_header_list_size) {
        st->too_large = true;
        nghttp2_submit_rst_stream(s, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_CANCEL);
        return 0;
    }
    if (fields_add(f, name, namelen, value, valuelen) != 0)
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    return 0;
}

static int c_on_data_chunk(nghttp2_session *s, uint8_t flags, int32_t id, const uint8_t *data,
                           size_t len, void *ud)
{
    struct df_h2_client_conn *c = ud;
    struct cstream *st = cstream_get(c, id);
    if (!st || st->too_large)
        return 0;
    if (len > c->lim.max_body - st->body_len) {
        st->too_large = true;
        nghttp2_submit_rst_stream(s, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
        return 0;
    }
    if (st->body_len + len > st->body_cap) {
        size_t ncap = st->body_cap ? st->body_cap * 2 : 4096;
        while (ncap < st->body_len + len)
            ncap *= 2;
        if (ncap > c->lim.max_body)
            ncap = c->lim.max_body;
        uint8_t *nb = realloc(st->body, ncap);
        if (!nb)
            return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
        st->body = nb;
        st->body_cap = ncap;
    }
    memcpy(st->body + st->body_len, data, len);
    st->body_len += len;
    return 0;
}

static int c_on_frame_recv(nghttp2_session *s, const nghttp2_frame *frame, void *ud)
{
    struct df_h2_client_conn *c = ud;
    if (frame->hd.type == NGHTTP2_GOAWAY) {
        c->goaway_recv = true;
        c->goaway_last_id = frame->goaway.last_stream_id;
        return 0;
    }
    if ((frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA) &&
        (frame->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
        struct cstream *st = cstream_get(c, frame->hd.stream_id);
        if (st)
            st->complete = true;
    }
    return 0;
}

static int c_on_stream_close(nghttp2_session *s, int32_t id, uint32_t code, void *ud)
{
    struct df_h2_client_conn *c = ud;
    struct cstream *st = cstream_get(c, id);
    if (!st)
        return 0;
    nghttp2_session_set_stream_user_data(s, id, NULL);
    enum df_h2_result r;
    if (st->too_large)
        r = DF_H2_TOO_LARGE;
    else if (st->complete && st->status >= 200)
        r = DF_H2_OK; /* even when RST_STREAM(NO_ERROR) followed an early answer */
    else if (st->cancelled)
        r = DF_H2_RESET;
    else if (code == NGHTTP2_REFUSED_STREAM || (c->goaway_recv && id > c->goaway_last_id))
        r = DF_H2_REFUSED;
    else
        r = DF_H2_RESET;
    report(c, st, r, code);
    cstream_free(st);
    return 0;
}

static ssize_t req_read(nghttp2_session *s, int32_t id, uint8_t *buf, size_t length,
                        uint32_t *flags, nghttp2_data_source *src, void *ud)
{
    struct cstream *st = src->ptr;
    size_t n = st->req_len - st->req_off;
    if (n > length)
        n = length;
    if (n)
        memcpy(buf, st->req_body + st->req_off, n);
    st->req_off += n;
    if (st->req_off == st->req_len) {
        *flags |= NGHTTP2_DATA_FLAG_EOF;
        free(st->req_body); /* sent: no need to keep it */
        st->req_body = NULL;
    }
    return (ssize_t)n;
}

static int client_flush(struct df_h2_client_conn *c);

struct df_h2_client_conn *df_h2_client_new(df_h2_response_fn on_response, void *ud,
                                           const struct df_h2_limits *limits, bool https)
{
    struct df_h2_client_conn *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->on_response = on_response;
    c->ud = ud;
    c->lim = df_h2_limits_resolve(limits);
    c->scheme = https ? "https" : "http";
    nghttp2_session_callbacks *cbs;
    if (nghttp2_session_callbacks_new(&cbs) != 0) {
        free(c);
        return NULL;
    }
    nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, c_on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(cbs, c_on_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, c_on_data_chunk);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, c_on_frame_recv);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, c_on_stream_close);
    nghttp2_option *opt = make_options();
    int rv = opt ? nghttp2_session_client_new2(&c->s, cbs, c, opt) : NGHTTP2_ERR_NOMEM;
    nghttp2_option_del(opt);
    nghttp2_session_callbacks_del(cbs);
    if (rv != 0) {
        free(c);
        return NULL;
    }
    nghttp2_settings_entry iv[] = {
        {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, c->lim.max_header_list_size > UINT32_MAX
                                                    ? UINT32_MAX
                                                    : (uint32_t)c->lim.max_header_list_size},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, STREAM_WINDOW},
    };
    if (nghttp2_submit_settings(c->s, NGHTTP2_FLAG_NONE, iv, sizeof iv / sizeof iv[0]) != 0 ||
        nghttp2_session_set_local_window_size(c->s, NGHTTP2_FLAG_NONE, 0, CONN_WINDOW) != 0 ||
        client_flush(c) != 0) {
        df_h2_client_free(c);
        return NULL;
    }
    return c;
}

void df_h2_client_free(struct df_h2_client_conn *c)
{
    if (!c)
        return;
    nghttp2_session_del(c->s);
    while (c->streams)
        cstream_free(c->streams);
    free(c->out.data);
    free(c);
}

void df_h2_client_fail(struct df_h2_client_conn *c)
{
    if (!c->dead) {
        c->dead = true;
        nghttp2_session_terminate_session(c->s, NGHTTP2_INTERNAL_ERROR);
    }
    for (struct cstream *st = c->streams; st; st = st->next)
        report(c, st, DF_H2_CONN_FAILED, NGHTTP2_INTERNAL_ERROR);
}

static int client_flush(struct df_h2_client_conn *c)
{
    if (c->in_recv)
        return 0;
    int rv = out_fill(c->s, &c->out, c->lim.max_output_buffer);
    if (rv != 0) {
        df_h2_client_fail(c);
        return rv == NGHTTP2_ERR_NOMEM ? DF_ENOMEM : DF_EIO;
    }
    return 0;
}

uint32_t df_h2_client_open_streams(const struct df_h2_client_conn *c)
{
    return c->open;
}

uint32_t df_h2_client_available_streams(const struct df_h2_client_conn *c)
{
    if (c->dead || c->goaway_recv)
        return 0;
    uint32_t peer =
        nghttp2_session_get_remote_settings(c->s, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
    uint32_t max = peer < c->lim.max_concurrent_streams ? peer : c->lim.max_concurrent_streams;
    return c->open < max ? max - c->open : 0;
}

int32_t df_h2_client_request(struct df_h2_client_conn *c, const char *method, const char *path,
                             const char *authority, const struct df_h2_header *headers,
                             size_t nheaders, const uint8_t *body, size_t body_len, void *req_ud)
{
    if (c->dead || c->goaway_recv)
        return DF_EIO;
    if (!method || !path || !authority || !valid_fields(headers, nheaders))
        return DF_EINVAL;
    if (df_h2_client_available_streams(c) == 0)
        return DF_ERANGE;
    struct cstream *st = calloc(1, sizeof *st);
    nghttp2_nv *nva = malloc((nheaders + 4) * sizeof *nva);
    if (!st || !nva || (body_len && !(st->req_body = malloc(body_len)))) {
        if (st)
            free(st->req_body);
        free(st);
        free(nva);
        return DF_ENOMEM;
    }
    st->c = c;
    st->req_ud = req_ud;
    if (body_len)
        memcpy(st->req_body, body, body_len);
    st->req_len = body_len;
    size_t k = 0;
#define NV(n, v)                                                                                   \
    (nghttp2_nv){(uint8_t *)(n), (uint8_t *)(v), strlen(n), strlen(v), NGHTTP2_NV_FLAG_NONE}
    nva[k++] = NV(":method", method);
    nva[k++] = NV(":scheme", c->scheme);
    nva[k++] = NV(":authority", authority);
    nva[k++] = NV(":path", path);
    for (size_t i = 0; i < nheaders; i++)
        nva[k++] = NV(headers[i].name, headers[i].value);
#undef NV
    nghttp2_data_provider prd = {.source.ptr = st, .read_callback = req_read};
    int32_t id = nghttp2_submit_request(c->s, NULL, nva, k, body_len ? &prd : NULL, st);
    free(nva);
    if (id < 0) {
        free(st->req_body);
        free(st);
        return id == NGHTTP2_ERR_NOMEM ? DF_ENOMEM : DF_EINVAL;
    }
    st->id = id;
    st->next = c->streams;
    if (c->streams)
        c->streams->prev = st;
    c->streams = st;
    c->open++;
    client_flush(c);
    return id;
}

int df_h2_client_feed(struct df_h2_client_conn *c, const uint8_t *data, size_t len)
{
    if (c->dead)
        return DF_EIO;
    c->in_recv++;
    ssize_t rv = nghttp2_session_mem_recv(c->s, data, len);
    c->in_recv--;
    int rc = 0;
    if (rv < 0) {
        rc = rv == NGHTTP2_ERR_NOMEM ? DF_ENOMEM : DF_EPARSE;
    } else if (!nghttp2_session_want_read(c->s) && !c->goaway_recv) {
        rc = DF_EPARSE;
    }
    if (rc) {
        df_h2_client_fail(c);
        nghttp2_session_terminate_session(
            c->s, rv == NGHTTP2_ERR_FLOODED ? NGHTTP2_ENHANCE_YOUR_CALM : NGHTTP2_PROTOCOL_ERROR);
    }
    int frc = client_flush(c);
    return rc ? rc : frc;
}

void df_h2_client_pending_output(struct df_h2_client_conn *c, const uint8_t **data, size_t *len)
{
    client_flush(c);
    out_pending(&c->out, data, len);
}

void df_h2_client_consume_output(struct df_h2_client_conn *c, size_t n)
{
    out_consume(&c->out, n);
    client_flush(c);
}

bool df_h2_client_want_close(const struct df_h2_client_conn *c)
{
    if (c->out.len > c->out.off)
        return false;
    return c->dead || (!nghttp2_session_want_read(c->s) && !nghttp2_session_want_write(c->s));
}

int df_h2_client_cancel(struct df_h2_client_conn *c, int32_t stream_id)
{
    struct cstream *st = c->dead ? NULL : cstream_get(c, stream_id);
    if (!st || st->reported)
        return DF_ENOENT;
    st->cancelled = true;
    if (nghttp2_submit_rst_stream(c->s, NGHTTP2_FLAG_NONE, stream_id, NGHTTP2_CANCEL) != 0)
        return DF_ENOMEM;
    client_flush(c);
    return 0;
}

/* ---- gRPC client helpers ------------------------------------------------ */

int32_t df_grpc_client_call(struct df_h2_client_conn *c, const char *path, const char *authority,
                            const struct df_h2_header *headers, size_t nheaders, const uint8_t *msg,
                            size_t len, enum df_encoding encoding, uint64_t timeout_ms,
                            void *req_ud)
{
    uint8_t *framed;
    size_t framed_len;
    int rc = df_grpc_frame_encode(encoding, msg, len, &framed, &framed_len);
    if (rc != 0)
        return rc;
    struct df_h2_header *h = malloc((nheaders + 5) * sizeof *h);
    if (!h) {
        free(framed);
        return DF_ENOMEM;
    }
    size_t n = 0;
    char timeout[16];
    h[n++] = (struct df_h2_header){"content-type", "application/grpc"};
    h[n++] = (struct df_h2_header){"te", "trailers"};
    if (encoding != DF_ENCODING_IDENTITY)
        h[n++] = (struct df_h2_header){"grpc-encoding", df_encoding_name(encoding)};
    h[n++] = (struct df_h2_header){"grpc-accept-encoding", "identity,gzip,deflate,zstd"};
    if (timeout_ms > 0 && df_grpc_timeout_format(timeout_ms, timeout, sizeof timeout) == 0)
        h[n++] = (struct df_h2_header){"grpc-timeout", timeout};
    for (size_t i = 0; i < nheaders; i++)
        h[n++] = headers[i];
    int32_t id = df_h2_client_request(c, "POST", path, authority, h, n, framed, framed_len, req_ud);
    free(h);
    free(framed);
    return id;
}

static const char *header_get(const struct df_h2_header *h, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(h[i].name, name) == 0)
            return h[i].value;
    return NULL;
}

static int set_message(struct df_grpc_result *out, const char *text)
{
    free(out->message);
    out->message = strdup(text);
    return out->message ? 0 : DF_ENOMEM;
}

struct one_message {
    uint8_t *msg;
    size_t len;
    unsigned count;
};

static int take_message(void *ud, uint8_t *msg, size_t len)
{
    struct one_message *m = ud;
    if (m->count++ > 0) {
        free(msg);
        return DF_EINVAL;
    }
    m->msg = msg;
    m->len = len;
    return 0;
}

int df_grpc_result_from_response(const struct df_h2_response *res, size_t max_message,
                                 struct df_grpc_result *out)
{
    memset(out, 0, sizeof *out);
    if (res->result != DF_H2_OK) {
        out->status = res->result == DF_H2_RESET       ? df_grpc_status_from_h2_error(res->h2_error)
                      : res->result == DF_H2_TOO_LARGE ? DF_GRPC_RESOURCE_EXHAUSTED
                                                       : DF_GRPC_UNAVAILABLE;
        return set_message(out, df_h2_result_name(res->result));
    }
    const char *gs = header_get(res->trailers, res->ntrailers, "grpc-status");
    const struct df_h2_header *meta = res->trailers;
    size_t nmeta = res->ntrailers;
    if (!gs) { /* Trailers-Only */
        gs = header_get(res->headers, res->nheaders, "grpc-status");
        meta = res->headers;
        nmeta = res->nheaders;
    }
    if (res->status != 200) {
        char text[48];
        snprintf(text, sizeof text, "HTTP status %d", res->status);
        out->status = df_grpc_status_from_http(res->status);
        return set_message(out, text);
    }
    char *end = NULL;
    long code = gs ? strtol(gs, &end, 10) : -1;
    if (!gs || *gs == 0 || *end != 0 || code < 0 || code > INT32_MAX) {
        out->status = DF_GRPC_UNKNOWN;
        return set_message(out, gs ? "invalid grpc-status" : "missing grpc-status");
    }
    out->status = (enum df_grpc_status)code;
    const char *gm = header_get(meta, nmeta, "grpc-message");
    if (gm && !(out->message = df_grpc_message_decode(gm)))
        return DF_ENOMEM;
    const char *details = header_get(meta, nmeta, "grpc-status-details-bin");
    struct df_grpc_status_details d;
    if (details && df_grpc_status_details_decode(details, strlen(details), &d) == 0 &&
        d.has_retry_info) {
        out->has_retry_info = true;
        out->retry_delay_ms = d.retry_delay_ms;
    }
    if (out->status != DF_GRPC_OK)
        return 0;
    enum df_encoding enc = DF_ENCODING_IDENTITY;
    const char *ge = header_get(res->headers, res->nheaders, "grpc-encoding");
    if (ge && df_encoding_parse(ge, &enc) != 0) {
        out->status = DF_GRPC_INTERNAL;
        return set_message(out, "unsupported grpc-encoding in response");
    }
    struct df_grpc_parser p;
    struct one_message m = {0};
    df_grpc_parser_init(&p, max_message, enc);
    int rc = df_grpc_parser_feed(&p, res->body, res->body_len, take_message, &m);
    if (rc == 0)
        rc = df_grpc_parser_finish(&p);
    df_grpc_parser_free(&p);
    if (rc != 0 || m.count != 1) {
        free(m.msg);
        out->status = m.count > 1 || (rc == 0 && m.count == 0) ? DF_GRPC_UNIMPLEMENTED : p.status;
        return set_message(out, m.count > 1               ? "more than one response message"
                                : m.count == 0 && rc == 0 ? "no response message"
                                                          : p.reason);
    }
    out->body = m.msg;
    out->body_len = m.len;
    return 0;
}

void df_grpc_result_free(struct df_grpc_result *r)
{
    free(r->message);
    free(r->body);
    memset(r, 0, sizeof *r);
}
