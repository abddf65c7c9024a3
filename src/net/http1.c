/* HTTP/1.1 server connections and server (net/http1.h).
 *
 * Connection engine. http-parser is paused in on_headers_complete and in
 * on_message_complete, so one http_parser_execute call never runs past the
 * end of a head or of a request. That gives exact head byte counts (bytes
 * consumed while the head is incomplete, leading blank lines included, so a
 * CRLF flood hits the limit too), a point to check Content-Length and
 * `Expect` before any body byte, and pipelined requests handled one at a
 * time, in order. The URL, header names and values are stored back to back,
 * NUL-terminated, in one head buffer bounded by max_head_bytes; headers are
 * kept as offsets because the buffer moves while it grows, and turned into
 * pointers only when the request is complete.
 *
 * Head hook. Called from head_done, i.e. at the same pause point, after
 * the connection's own head checks and before `100 Continue`. A refusal is
 * answered at once; the body that follows is parsed (so that the next
 * request is found) and dropped, only counted against max_body_bytes, and
 * the message's end does not reach the handler. Closing instead is left
 * for the cases where the end of the body cannot be known or the
 * connection would close anyway.
 *
 * Ordering. Output goes to `ready` while no answer is outstanding. Once a
 * handler defers, everything produced after it (answers, 100 Continue,
 * error responses) is queued as a slot behind the deferred one; answering
 * the head of the queue moves the leading finished slots to `ready`. Parsing
 * stops between requests while max_pending request slots wait; the rest of
 * the input is held until an answer frees room.
 *
 * Server. Each connection has a libuv TCP handle, a timer and a
 * df_http1_conn. The timer runs the header timeout from the connection's
 * start and from the end of each request, and the body timeout from the end
 * of each head; it is off while the connection waits for its own answers
 * (nothing to hold against the client), and it schedules the parsing of held
 * input on the next loop turn (so a handler never runs inside
 * df_http1_respond). When the engine says close (or the peer ends its side),
 * the connection lingers: the final responses are written, the write side is
 * shut down, and what the client still sends is read and discarded until it
 * closes, so that an early 413 is not lost to a TCP reset. The linger is
 * bounded by the header timeout. Reading stops while more than WRITE_HIGH
 * bytes are unsent, so a client that pipelines without reading cannot grow
 * the output without bound. A peer that ends its side while answers are
 * outstanding is taken as gone (as nginx does): the tokens are cancelled. */
#include "net/http1.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/grow.h"
#include "df/error.h"

#define TEXT_PLAIN    "text/plain; charset=utf-8"
#define NO_VALUE      UINT32_MAX /* a header whose value callback never ran */
#define KEEP_HEAD_CAP 4096       /* larger head buffers are freed between requests */
#define ERR_NOMEM     (-1)       /* err_status: allocation failed in a callback */
#define ERR_CLOSE     (-2)       /* err_status: stop reading, no answer (already given) */
#define BACKLOG       128
#define READ_BUF_SIZE 65536
#define WRITE_HIGH    ((size_t)1 << 20) /* unsent bytes above which reading stops */

enum { LAST_NONE, LAST_URL, LAST_FIELD, LAST_VALUE };

struct df_http1_limits df_http1_limits_resolve(const struct df_http1_limits *limits)
{
    struct df_http1_limits l = limits ? *limits : (struct df_http1_limits){0};
    if (!l.max_head_bytes)
        l.max_head_bytes = DF_HTTP1_MAX_HEAD_BYTES;
    if (!l.max_headers)
        l.max_headers = DF_HTTP1_MAX_HEADERS;
    if (!l.max_body_bytes)
        l.max_body_bytes = DF_HTTP1_MAX_BODY_BYTES;
    if (!l.max_connections)
        l.max_connections = DF_HTTP1_MAX_CONNECTIONS;
    if (!l.header_timeout_ms)
        l.header_timeout_ms = DF_HTTP1_HEADER_TIMEOUT_MS;
    if (!l.body_timeout_ms)
        l.body_timeout_ms = DF_HTTP1_BODY_TIMEOUT_MS;
    if (!l.max_pending)
        l.max_pending = DF_HTTP1_MAX_PENDING;
    return l;
}

/* ---- buffers ------------------------------------------------------------ */

void df_http1_out_free(struct df_http1_out *out)
{
    free(out->data);
    out->data = NULL;
    out->len = out->cap = 0;
}

int df_http1_out_append(struct df_http1_out *out, const void *data, size_t len)
{
    if (len == 0)
        return 0;
    if (len > SIZE_MAX - out->len || df_grow(&out->data, &out->cap, out->len + len, 1))
        return DF_ENOMEM;
    memcpy(out->data + out->len, data, len);
    out->len += len;
    return 0;
}

int df_http1_out_printf(struct df_http1_out *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || df_grow(&out->data, &out->cap, out->len + (size_t)n + 1, 1))
        return DF_ENOMEM;
    va_start(ap, fmt);
    vsnprintf((char *)out->data + out->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    out->len += (size_t)n;
    return 0;
}

/* ---- requests and responses --------------------------------------------- */

const char *df_http1_request_header(const struct df_http1_request *req, const char *name)
{
    for (size_t i = 0; i < req->nheaders; i++)
        if (strcasecmp(req->headers[i].name, name) == 0)
            return req->headers[i].value;
    return NULL;
}

int df_http1_response_text(struct df_http1_response *res, int status, const char *content_type,
                           const char *fmt, ...)
{
    free(res->body);
    res->body = NULL;
    res->body_len = 0;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *body = n < 0 ? NULL : malloc((size_t)n + 1);
    if (!body) {
        res->status = 500;
        res->content_type = NULL;
        return DF_ENOMEM;
    }
    va_start(ap, fmt);
    vsnprintf(body, (size_t)n + 1, fmt, ap);
    va_end(ap);
    res->status = status;
    res->content_type = content_type;
    res->body = body;
    res->body_len = (size_t)n;
    return 0;
}

static const char *reason(int status)
{
    const char *r = http_status_str((enum http_status)status);
    if (r && r[0] != '<')
        return r;
    switch (status / 100) {
    case 2:
        return "OK";
    case 3:
        return "Redirection";
    case 4:
        return "Client Error";
    default:
        return "Server Error";
    }
}

/* A content type goes into a header line: no control characters. */
static bool valid_content_type(const char *s)
{
    if (!s)
        return true;
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return false;
    return true;
}

/* A header name is a token (RFC 9110 tchar). */
static bool valid_name(const char *s)
{
    if (!s || !*s)
        return false;
    for (; *s; s++)
        if (!strchr("!#$%&'*+-.^_`|~", *s) && !(*s >= '0' && *s <= '9') &&
            !(*s >= 'a' && *s <= 'z') && !(*s >= 'A' && *s <= 'Z'))
            return false;
    return true;
}

static bool valid_value(const char *s)
{
    if (!s)
        return false;
    for (; *s; s++)
        if (((unsigned char)*s < 0x20 && *s != '\t') || *s == 0x7f)
            return false;
    return true;
}

static bool valid_headers(const struct df_http1_header *h, size_t n)
{
    if (n && !h)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!valid_name(h[i].name) || !valid_value(h[i].value) ||
            !strcasecmp(h[i].name, "content-length") ||
            !strcasecmp(h[i].name, "transfer-encoding") || !strcasecmp(h[i].name, "connection"))
            return false;
    return true;
}

/* How a response is framed: `head`: a HEAD request (no body); `keep`: the
 * connection stays open; `http10`: the client spoke HTTP/1.0 (keep-alive
 * must then be announced). */
struct framing {
    bool head, keep, http10;
};

/* Appends a response; an invalid one (see struct df_http1_response) becomes
 * a 500. */
static int put_response(struct df_http1_out *out, int status, const char *ctype,
                        const struct df_http1_header *hdrs, size_t nhdrs, const void *body,
                        size_t blen, struct framing f)
{
    if (status < 200 || status > 599 || !valid_content_type(ctype) || !valid_headers(hdrs, nhdrs) ||
        (blen && !body)) {
        status = 500;
        ctype = TEXT_PLAIN;
        nhdrs = 0;
        body = "internal server error: the handler gave an invalid response\n";
        blen = strlen(body);
    }
    bool bodiless = status == 204 || status == 304;
    int rc = df_http1_out_printf(out, "HTTP/1.1 %d %s\r\n", status, reason(status));
    if (!rc && ctype)
        rc = df_http1_out_printf(out, "Content-Type: %s\r\n", ctype);
    for (size_t i = 0; !rc && i < nhdrs; i++)
        rc = df_http1_out_printf(out, "%s: %s\r\n", hdrs[i].name, hdrs[i].value);
    if (!rc && !bodiless)
        rc = df_http1_out_printf(out, "Content-Length: %zu\r\n", blen);
    if (!rc && !f.keep)
        rc = df_http1_out_printf(out, "Connection: close\r\n");
    else if (!rc && f.http10)
        rc = df_http1_out_printf(out, "Connection: keep-alive\r\n");
    if (!rc)
        rc = df_http1_out_append(out, "\r\n", 2);
    if (!rc && !f.head && !bodiless)
        rc = df_http1_out_append(out, body, blen);
    return rc;
}

/* ---- the ordered output queue ---------------------------------------------- */

struct df_http1_pending {
    struct df_http1_conn *conn; /* NULL once the connection is gone */
    df_http1_cancel_fn cancel;
    void *cancel_ud;
    struct framing f;
};

struct df_http1_slot {
    struct df_http1_pending *tok; /* unanswered; NULL once data is final */
    uint8_t *data;
    size_t len;
    bool request; /* the answer to a request (counts against max_pending) */
};

/* Moves `tmp` (taking its bytes) to the end of the output: to `ready` when
 * nothing is outstanding, else into a new slot. Returns 0 or DF_ENOMEM. */
static int emit(struct df_http1_conn *c, struct df_http1_out *tmp, bool request)
{
    int rc = 0;
    if (c->qlen == 0) {
        if (c->ready.len == 0) {
            df_http1_out_free(&c->ready);
            c->ready = *tmp;
            *tmp = (struct df_http1_out){0};
        } else {
            rc = df_http1_out_append(&c->ready, tmp->data, tmp->len);
        }
        df_http1_out_free(tmp);
        return rc;
    }
    if (c->qhead + c->qlen == c->qcap && c->qhead > 0) {
        memmove(c->q, c->q + c->qhead, c->qlen * sizeof *c->q);
        c->qhead = 0;
    }
    if (df_grow(&c->q, &c->qcap, c->qhead + c->qlen + 1, sizeof *c->q)) {
        df_http1_out_free(tmp);
        return DF_ENOMEM;
    }
    c->q[c->qhead + c->qlen++] =
        (struct df_http1_slot){.data = tmp->data, .len = tmp->len, .request = request};
    *tmp = (struct df_http1_out){0};
    if (request)
        c->qrequests++;
    return 0;
}

/* Moves the leading answered slots to `ready`. Returns whether any moved. */
static bool flush(struct df_http1_conn *c)
{
    bool moved = false;
    while (c->qlen && !c->q[c->qhead].tok) {
        struct df_http1_slot *s = &c->q[c->qhead];
        if (df_http1_out_append(&c->ready, s->data, s->len))
            c->nomem = true;
        free(s->data);
        if (s->request)
            c->qrequests--;
        c->qhead++;
        c->qlen--;
        moved = true;
    }
    if (c->qlen == 0)
        c->qhead = 0;
    return moved;
}

/* Appends `ready` to `out` (taking it when `out` is empty). */
static int take(struct df_http1_conn *c, struct df_http1_out *out)
{
    if (c->ready.len == 0)
        return 0;
    if (out->len == 0) {
        df_http1_out_free(out);
        *out = c->ready;
        c->ready = (struct df_http1_out){0};
        return 0;
    }
    int rc = df_http1_out_append(out, c->ready.data, c->ready.len);
    df_http1_out_free(&c->ready);
    return rc;
}

/* What the transport does next. */
static int status_of(struct df_http1_conn *c)
{
    if (c->nomem)
        return DF_ENOMEM;
    if (c->closed)
        return DF_HTTP1_CLOSE;
    if (c->input_closed) {
        if (c->qlen)
            return DF_HTTP1_PAUSE;
        c->closed = true;
        return DF_HTTP1_CLOSE;
    }
    return c->qrequests >= c->limits.max_pending ? DF_HTTP1_PAUSE : DF_HTTP1_KEEP;
}

/* Queues the final error response `status` (or records an allocation
 * failure for ERR_NOMEM) and stops parsing. `detail` may be NULL. */
static void fail_response(struct df_http1_conn *c, int status, const char *detail)
{
    c->input_closed = true;
    if (status == ERR_NOMEM) {
        c->nomem = true;
        return;
    }
    if (status == ERR_CLOSE)
        return;
    const char *what;
    switch (status) {
    case 400:
        what = "bad request";
        break;
    case 408:
        what = "request timeout";
        break;
    case 413:
        what = "request body too large";
        break;
    case 414:
        what = "request URI too long";
        break;
    case 417:
        what = "expectation failed: only 100-continue is supported";
        break;
    case 431:
        what = "request header fields too large";
        break;
    default:
        what = "internal server error";
        break;
    }
    char text[160];
    int n = snprintf(text, sizeof text, "%s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    size_t tlen = n < 0 ? 0 : (size_t)n < sizeof text ? (size_t)n : sizeof text - 1;
    struct df_http1_out tmp = {0};
    int rc = df_http1_out_printf(&tmp,
                                 "HTTP/1.1 %d %s\r\nContent-Type: " TEXT_PLAIN
                                 "\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                                 status, reason(status), tlen);
    if (!rc)
        rc = df_http1_out_append(&tmp, text, tlen);
    if (rc || emit(c, &tmp, false))
        c->nomem = true;
    df_http1_out_free(&tmp);
}

/* ---- http-parser callbacks ------------------------------------------------ */

static struct df_http1_conn *conn_of(http_parser *p)
{
    return p->data;
}

static int fail(struct df_http1_conn *c, int status)
{
    c->err_status = status;
    return 1;
}

static int head_put(struct df_http1_conn *c, const char *at, size_t len)
{
    if (len > c->limits.max_head_bytes || c->head_len + len > c->limits.max_head_bytes)
        return fail(c, 431);
    if (df_grow(&c->head, &c->head_cap, c->head_len + len + 1, 1))
        return fail(c, ERR_NOMEM);
    memcpy(c->head + c->head_len, at, len);
    c->head_len += len;
    return 0;
}

/* Ends the URL, name or value being received: trims a value's trailing
 * whitespace and NUL-terminates. */
static int finish_item(struct df_http1_conn *c)
{
    if (c->last == LAST_NONE)
        return 0;
    if (c->last == LAST_VALUE) {
        size_t start = c->offs[2 * (c->nhdrs - 1) + 1];
        while (c->head_len > start &&
               (c->head[c->head_len - 1] == ' ' || c->head[c->head_len - 1] == '\t'))
            c->head_len--;
    }
    if (df_grow(&c->head, &c->head_cap, c->head_len + 1, 1))
        return fail(c, ERR_NOMEM);
    c->head[c->head_len++] = '\0';
    c->last = LAST_NONE;
    return 0;
}

static int on_message_begin(http_parser *p)
{
    conn_of(p)->phase = DF_HTTP1_HEAD;
    return 0;
}

static int on_url(http_parser *p, const char *at, size_t len)
{
    struct df_http1_conn *c = conn_of(p);
    c->last = LAST_URL; /* the URL comes first, at offset 0 */
    return head_put(c, at, len);
}

static int on_header_field(http_parser *p, const char *at, size_t len)
{
    struct df_http1_conn *c = conn_of(p);
    if (c->last != LAST_FIELD) {
        if (finish_item(c))
            return 1;
        if (c->nhdrs == c->limits.max_headers)
            return fail(c, 431);
        size_t cap = c->hdrs_cap, ocap = c->hdrs_cap;
        if (df_grow(&c->hdrs, &cap, c->nhdrs + 1, sizeof *c->hdrs) ||
            df_grow(&c->offs, &ocap, c->nhdrs + 1, 2 * sizeof *c->offs))
            return fail(c, ERR_NOMEM);
        c->hdrs_cap = cap < ocap ? cap : ocap;
        if (c->head_len > UINT32_MAX - 1)
            return fail(c, 431);
        c->offs[2 * c->nhdrs] = (uint32_t)c->head_len;
        c->offs[2 * c->nhdrs + 1] = NO_VALUE;
        c->nhdrs++;
        c->last = LAST_FIELD;
    }
    return head_put(c, at, len);
}

static int on_header_value(http_parser *p, const char *at, size_t len)
{
    struct df_http1_conn *c = conn_of(p);
    if (c->last != LAST_VALUE) {
        if (c->last != LAST_FIELD)
            return fail(c, 400); /* http-parser always sends a name first */
        if (finish_item(c))
            return 1;
        c->offs[2 * (c->nhdrs - 1) + 1] = (uint32_t)c->head_len;
        c->last = LAST_VALUE;
    }
    return head_put(c, at, len);
}

static int on_headers_complete(http_parser *p)
{
    struct df_http1_conn *c = conn_of(p);
    if (finish_item(c))
        return -1; /* 1 and 2 mean "no body" to http-parser */
    c->phase = DF_HTTP1_BODY;
    http_parser_pause(p, 1);
    return 0;
}

static int on_body(http_parser *p, const char *at, size_t len)
{
    struct df_http1_conn *c = conn_of(p);
    if (c->discard) { /* refused at its head: answered already, only counted */
        if (len > c->limits.max_body_bytes - c->body_len)
            return fail(c, ERR_CLOSE);
        c->body_len += len;
        return 0;
    }
    if (len > c->limits.max_body_bytes - c->body_len)
        return fail(c, 413);
    if (df_grow(&c->body, &c->body_cap, c->body_len + len + 1, 1))
        return fail(c, ERR_NOMEM);
    memcpy(c->body + c->body_len, at, len);
    c->body_len += len;
    return 0;
}

static int on_message_complete(http_parser *p)
{
    struct df_http1_conn *c = conn_of(p);
    if (finish_item(c)) /* chunked trailers */
        return 1;
    c->msg_done = true;
    http_parser_pause(p, 1);
    return 0;
}

static const http_parser_settings parser_settings = {
    .on_message_begin = on_message_begin,
    .on_url = on_url,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

/* ---- the connection engine ------------------------------------------------ */

void df_http1_conn_init(struct df_http1_conn *conn, df_http1_handler_fn fn, void *ud,
                        const struct df_http1_limits *limits)
{
    memset(conn, 0, sizeof *conn);
    http_parser_init(&conn->parser, HTTP_REQUEST);
    conn->parser.data = conn;
    conn->fn = fn;
    conn->ud = ud;
    conn->limits = df_http1_limits_resolve(limits);
    conn->phase = DF_HTTP1_IDLE;
    conn->last = LAST_NONE;
}

void df_http1_conn_set_head(struct df_http1_conn *conn, df_http1_head_fn fn)
{
    conn->head_fn = fn;
}

void df_http1_conn_set_ready(struct df_http1_conn *conn, df_http1_ready_fn fn, void *ud)
{
    conn->ready_fn = fn;
    conn->ready_ud = ud;
}

void df_http1_conn_abort(struct df_http1_conn *conn)
{
    struct df_http1_conn *c = conn;
    c->closed = true;
    c->input_closed = true;
    c->deferred = NULL;
    /* Detach every token before any callback runs: a cancel callback may
     * answer (and so free) any of them. */
    for (size_t i = c->qhead; i < c->qhead + c->qlen; i++)
        if (c->q[i].tok)
            c->q[i].tok->conn = NULL;
    for (size_t i = c->qhead; i < c->qhead + c->qlen; i++) {
        struct df_http1_pending *tok = c->q[i].tok;
        c->q[i].tok = NULL;
        if (tok && tok->cancel)
            tok->cancel(tok->cancel_ud, tok);
    }
    for (size_t i = c->qhead; i < c->qhead + c->qlen; i++)
        free(c->q[i].data);
    c->qhead = c->qlen = c->qrequests = 0;
    free(c->held);
    c->held = NULL;
    c->held_len = c->held_cap = 0;
}

void df_http1_conn_free(struct df_http1_conn *conn)
{
    df_http1_conn_abort(conn);
    free(conn->head);
    free(conn->offs);
    free(conn->hdrs);
    free(conn->body);
    free(conn->q);
    df_http1_out_free(&conn->ready);
    conn->head = NULL;
    conn->offs = NULL;
    conn->hdrs = NULL;
    conn->body = NULL;
    conn->q = NULL;
    conn->qcap = 0;
    conn->head_len = conn->head_cap = conn->nhdrs = conn->hdrs_cap = 0;
    conn->body_len = conn->body_cap = 0;
}

enum df_http1_phase df_http1_conn_phase(const struct df_http1_conn *conn)
{
    return conn->phase;
}

uint64_t df_http1_conn_requests(const struct df_http1_conn *conn)
{
    return conn->requests;
}

size_t df_http1_conn_pending(const struct df_http1_conn *conn)
{
    return conn->qrequests;
}

static void reset_message(struct df_http1_conn *c)
{
    c->phase = DF_HTTP1_IDLE;
    c->last = LAST_NONE;
    c->err_status = 0;
    c->msg_done = false;
    c->discard = false;
    c->target_done = false;
    c->user = NULL;
    c->head_raw = 0;
    c->head_len = 0;
    c->nhdrs = 0;
    c->body_len = 0;
    free(c->body);
    c->body = NULL;
    c->body_cap = 0;
    if (c->head_cap > KEEP_HEAD_CAP) {
        free(c->head);
        c->head = NULL;
        c->head_cap = 0;
    }
}

static const char *find_header(const struct df_http1_conn *c, const char *name)
{
    for (size_t i = 0; i < c->nhdrs; i++)
        if (strcasecmp(c->head + c->offs[2 * i], name) == 0)
            return c->offs[2 * i + 1] == NO_VALUE ? "" : c->head + c->offs[2 * i + 1];
    return NULL;
}

/* Appends a NUL-terminated copy of `lit`, or when it is NULL of
 * head[off..off+len), to the head buffer (outside the head limit: these are
 * copies of bytes already counted) and returns its offset, or -1. */
static long head_copy(struct df_http1_conn *c, const char *lit, size_t off, size_t len)
{
    if (df_grow(&c->head, &c->head_cap, c->head_len + len + 1, 1))
        return -1;
    size_t dst = c->head_len;
    memcpy(c->head + dst, lit ? lit : c->head + off, len); /* after grow: head may move */
    c->head[dst + len] = '\0';
    c->head_len += len + 1;
    return (long)dst;
}

/* Splits the current request's URL into copies of its path and query
 * (path_off, query_off), once per request. Returns 0, or -1 after failing
 * the connection (400, 414, out of memory). */
static int parse_target(struct df_http1_conn *c)
{
    if (c->target_done)
        return 0;
    const http_parser *p = &c->parser;
    if (!c->head) { /* http-parser rejects an empty URL; be sure */
        fail_response(c, 400, "no URL");
        return -1;
    }
    size_t url_len = strlen(c->head);
    if (url_len > UINT16_MAX) { /* http_parser_url offsets are 16 bits */
        fail_response(c, 414, NULL);
        return -1;
    }
    struct http_parser_url u;
    http_parser_url_init(&u);
    if (http_parser_parse_url(c->head, url_len, p->method == HTTP_CONNECT, &u) != 0) {
        fail_response(c, 400, "invalid URL");
        return -1;
    }

    /* Copies of the path and query; offsets, as the buffer may move. */
    long path_off, query_off = -1;
    if (u.field_set & (1u << UF_PATH))
        path_off = head_copy(c, NULL, u.field_data[UF_PATH].off, u.field_data[UF_PATH].len);
    else if (p->method == HTTP_CONNECT)
        path_off = head_copy(c, NULL, 0, url_len);
    else
        path_off = head_copy(c, "/", 0, 1);
    if (u.field_set & (1u << UF_QUERY))
        query_off = head_copy(c, NULL, u.field_data[UF_QUERY].off, u.field_data[UF_QUERY].len);
    if (path_off < 0 || ((u.field_set & (1u << UF_QUERY)) && query_off < 0)) {
        fail_response(c, ERR_NOMEM, NULL);
        return -1;
    }
    c->path_off = path_off;
    c->query_off = query_off;
    c->target_done = true;
    return 0;
}

/* The current request as the hooks see it (parse_target done): header
 * pointers made from their offsets now, as the head buffer may have moved. */
static void fill_request(struct df_http1_conn *c, struct df_http1_request *req)
{
    const http_parser *p = &c->parser;
    for (size_t i = 0; i < c->nhdrs; i++) {
        c->hdrs[i].name = c->head + c->offs[2 * i];
        c->hdrs[i].value = c->offs[2 * i + 1] == NO_VALUE ? "" : c->head + c->offs[2 * i + 1];
    }
    static const uint8_t empty[1] = {0};
    if (c->body)
        c->body[c->body_len] = 0; /* df_grow() always left room */
    *req = (struct df_http1_request){
        .method = http_method_str((enum http_method)p->method),
        .path = c->head + c->path_off,
        .query = c->query_off < 0 ? NULL : c->head + c->query_off,
        .body = c->body ? c->body : empty,
        .body_len = c->body_len,
        .headers = c->hdrs,
        .nheaders = c->nhdrs,
        .http_minor = p->http_minor,
        .conn = c,
        .user = c->user,
    };
}

/* Queues the answer `res` a handler gave synchronously, framed by `f`;
 * exhaustion marks the connection (c->nomem). */
static void respond(struct df_http1_conn *c, const struct df_http1_response *res, struct framing f)
{
    struct df_http1_out tmp = {0};
    if (put_response(&tmp, res->status, res->content_type, res->headers, res->nheaders, res->body,
                     res->body ? res->body_len : 0, f) ||
        emit(c, &tmp, true))
        c->nomem = true;
    df_http1_out_free(&tmp);
}

static struct framing framing_of(const http_parser *p)
{
    return (struct framing){
        .keep = http_should_keep_alive(p) && !p->upgrade,
        .head = p->method == HTTP_HEAD,
        .http10 = p->http_major == 1 && p->http_minor == 0,
    };
}

/* Asks the head hook about the request whose head just completed (see
 * df_http1_head_fn). Returns true when the request goes no further: refused
 * (its answer queued; its body to be dropped, or the connection closing)
 * or failed. */
static bool head_refused(struct df_http1_conn *c, bool expects_continue)
{
    if (parse_target(c))
        return true;
    struct df_http1_request head;
    fill_request(c, &head);
    head.user = NULL;
    struct df_http1_response res = {0};
    c->head_fn(c->ud, &head, &res, &c->user);
    if (!res.status) {
        free(res.body);
        return false;
    }
    c->user = NULL;
    c->requests++;
    const http_parser *p = &c->parser;
    bool has_body = (p->flags & F_CHUNKED) || ((p->flags & F_CONTENTLENGTH) && p->content_length);
    struct framing f = framing_of(p);
    if (expects_continue && has_body)
        f.keep = false; /* the client may not send the body: we cannot tell where it ends */
    respond(c, &res, f);
    free(res.body);
    if (f.keep)
        c->discard = true;
    else
        c->input_closed = true;
    return true;
}

/* The head is complete and no body byte has been parsed: refuse a declared
 * body that is too large, check `Expect`, ask the head hook, then answer
 * `Expect: 100-continue`. */
static void head_done(struct df_http1_conn *c)
{
    const http_parser *p = &c->parser;
    bool has_length = p->flags & F_CONTENTLENGTH;
    if (has_length && p->content_length > c->limits.max_body_bytes) {
        fail_response(c, 413, NULL);
        return;
    }
    const char *expect = find_header(c, "expect");
    if (expect && strcasecmp(expect, "100-continue") != 0) {
        fail_response(c, 417, NULL);
        return;
    }
    if (c->head_fn && head_refused(c, expect != NULL))
        return;
    if (expect) {
        bool has_body = (p->flags & F_CHUNKED) || (has_length && p->content_length > 0);
        struct df_http1_out tmp = {0};
        if (p->http_major == 1 && p->http_minor >= 1 && has_body &&
            (df_http1_out_append(&tmp, "HTTP/1.1 100 Continue\r\n\r\n", 25) ||
             emit(c, &tmp, false))) {
            df_http1_out_free(&tmp);
            fail_response(c, ERR_NOMEM, NULL);
            return;
        }
    }
    if (has_length && p->content_length > 0 &&
        df_grow(&c->body, &c->body_cap, (size_t)p->content_length + 1, 1))
        fail_response(c, ERR_NOMEM, NULL);
}

/* A complete request waits: hands it to the handler and queues the answer
 * (or the handler's token). A request refused at its head only ends. */
static void dispatch(struct df_http1_conn *c)
{
    if (c->discard) {
        reset_message(c);
        return;
    }
    struct framing f = framing_of(&c->parser);
    if (parse_target(c))
        return;
    struct df_http1_request req;
    fill_request(c, &req);
    struct df_http1_response res = {0};
    c->req_head = f.head;
    c->req_keep = f.keep;
    c->req_http10 = f.http10;
    c->in_handler = true;
    c->deferred = NULL;
    c->requests++;
    c->fn(c->ud, &req, &res);
    c->in_handler = false;
    bool deferred = c->deferred != NULL;
    c->deferred = NULL;
    if (!f.keep)
        c->input_closed = true;
    if (!c->closed && !deferred) { /* closed: aborted from inside the handler */
        respond(c, &res, f);
    }
    free(res.body);
    reset_message(c);
    flush(c); /* the handler may have answered a token of this connection */
}

struct df_http1_pending *df_http1_defer(const struct df_http1_request *req,
                                        df_http1_cancel_fn cancel, void *cancel_ud)
{
    struct df_http1_conn *c = req->conn;
    if (!c || !c->in_handler || c->deferred || c->closed)
        return NULL;
    struct df_http1_pending *tok = calloc(1, sizeof *tok);
    if (!tok)
        return NULL;
    tok->conn = c;
    tok->cancel = cancel;
    tok->cancel_ud = cancel_ud;
    tok->f = (struct framing){.head = c->req_head, .keep = c->req_keep, .http10 = c->req_http10};
    /* An empty slot ahead of the answers to come; emit() cannot put it in
     * `ready`, so force the queue path. */
    if (c->qhead + c->qlen == c->qcap && c->qhead > 0) {
        memmove(c->q, c->q + c->qhead, c->qlen * sizeof *c->q);
        c->qhead = 0;
    }
    if (df_grow(&c->q, &c->qcap, c->qhead + c->qlen + 1, sizeof *c->q)) {
        free(tok);
        return NULL;
    }
    c->q[c->qhead + c->qlen++] = (struct df_http1_slot){.tok = tok, .request = true};
    c->qrequests++;
    c->deferred = tok;
    return tok;
}

int df_http1_respond(struct df_http1_pending *tok, int status, const char *content_type,
                     const struct df_http1_header *headers, size_t nheaders, const void *body,
                     size_t len)
{
    struct df_http1_conn *c = tok->conn;
    struct framing f = tok->f;
    if (!c) {
        free(tok); /* the connection is gone: nothing to send */
        return 0;
    }
    struct df_http1_slot *s = NULL;
    for (size_t i = c->qhead; i < c->qhead + c->qlen && !s; i++)
        if (c->q[i].tok == tok)
            s = &c->q[i];
    free(tok);
    if (!s) /* cannot happen: an attached token has its slot */
        return DF_EINVAL;
    struct df_http1_out tmp = {0};
    int rc = put_response(&tmp, status, content_type, headers, nheaders, body, len, f);
    s->tok = NULL;
    s->data = tmp.data;
    s->len = tmp.len;
    if (rc)
        c->nomem = true;
    bool moved = flush(c);
    if (!c->busy && (moved || c->nomem) && c->ready_fn)
        c->ready_fn(c->ready_ud);
    return rc ? DF_ENOMEM : 0;
}

/* Parses data[0..len) until it is used up, the input is closed, or
 * max_pending answers wait. Returns the bytes used (all of them when the
 * rest is to be discarded). */
static size_t parse(struct df_http1_conn *c, const uint8_t *data, size_t len)
{
    size_t used = 0;
    c->parser.data = c;
    while (used < len) {
        if (c->input_closed || c->nomem)
            return len;
        if (c->qrequests >= c->limits.max_pending)
            return used;
        bool in_head = c->phase != DF_HTTP1_BODY;
        size_t n = http_parser_execute(&c->parser, &parser_settings, (const char *)data + used,
                                       len - used);
        if (n > len - used)
            n = len - used;
        used += n;
        if (in_head)
            c->head_raw += n;
        enum http_errno e = HTTP_PARSER_ERRNO(&c->parser);
        if (e != HPE_OK && e != HPE_PAUSED) {
            int status = c->err_status ? c->err_status : e == HPE_HEADER_OVERFLOW ? 431 : 400;
            fail_response(c, status, status == 400 ? http_errno_description(e) : NULL);
            return len;
        }
        if (in_head && c->head_raw > c->limits.max_head_bytes) {
            fail_response(c, 431, NULL);
            return len;
        }
        if (e == HPE_PAUSED) {
            http_parser_pause(&c->parser, 0);
            if (c->msg_done)
                dispatch(c);
            else if (in_head && c->phase == DF_HTTP1_BODY)
                head_done(c);
        } else if (n == 0) {
            return len; /* cannot happen: http-parser consumes all unless it stops */
        }
    }
    return used;
}

static int hold(struct df_http1_conn *c, const uint8_t *data, size_t len)
{
    if (len == 0)
        return 0;
    if (df_grow(&c->held, &c->held_cap, c->held_len + len, 1))
        return DF_ENOMEM;
    memcpy(c->held + c->held_len, data, len);
    c->held_len += len;
    return 0;
}

int df_http1_conn_feed(struct df_http1_conn *conn, const uint8_t *data, size_t len,
                       struct df_http1_out *out)
{
    struct df_http1_conn *c = conn;
    if (c->closed || c->nomem) {
        if (take(c, out))
            c->nomem = true;
        return status_of(c);
    }
    c->busy = true;
    if (c->input_closed) {
        /* discarded: the connection closes once the answers are out */
    } else if (c->held_len || c->qrequests >= c->limits.max_pending) {
        if (hold(c, data, len))
            c->nomem = true;
        size_t n = parse(c, c->held, c->held_len);
        if (n >= c->held_len || c->input_closed) {
            c->held_len = 0;
        } else {
            memmove(c->held, c->held + n, c->held_len - n);
            c->held_len -= n;
        }
    } else {
        size_t n = parse(c, data, len);
        if (n < len && !c->input_closed && hold(c, data + n, len - n))
            c->nomem = true;
    }
    c->busy = false;
    flush(c);
    if (take(c, out))
        c->nomem = true;
    return status_of(c);
}

int df_http1_conn_output(struct df_http1_conn *conn, struct df_http1_out *out)
{
    flush(conn);
    if (take(conn, out))
        conn->nomem = true;
    return status_of(conn);
}

int df_http1_conn_timeout(struct df_http1_conn *conn, struct df_http1_out *out)
{
    struct df_http1_conn *c = conn;
    if (!c->closed && !c->input_closed) {
        if (c->discard) /* answered at its head: no second answer */
            c->input_closed = true;
        else if (c->phase != DF_HTTP1_IDLE)
            fail_response(c, 408, NULL);
        else if (c->qlen == 0)
            c->input_closed = true;
    }
    if (take(c, out))
        c->nomem = true;
    return status_of(c);
}

/* ---- the server ------------------------------------------------------------ */

enum client_state { C_OPEN, C_LINGER, C_CLOSED };
enum timer_mode { T_NONE, T_HEADER, T_BODY, T_RESUME, T_LINGER };

struct client {
    uv_tcp_t tcp;
    uv_timer_t timer;
    uv_shutdown_t shutdown;
    struct df_http1_server *srv;
    struct client *prev, *next;
    struct df_http1_conn conn;
    enum client_state state;
    int handles;     /* of tcp and timer, not yet closed */
    unsigned writes; /* uv_write requests in flight */
    bool reading;
    bool peer_eof;           /* the client ended its side */
    bool shut;               /* our shutdown completed */
    bool paused;             /* the engine said PAUSE: not reading */
    bool resume;             /* held input is parsed on the next loop turn */
    enum timer_mode tmode;   /* what the timer runs */
    uint64_t timed_requests; /* df_http1_conn_requests when the timer was armed */
};

struct write_req {
    uv_write_t req;
    struct client *c;
    uint8_t *data;
};

struct df_http1_server {
    uv_loop_t *loop;
    uv_tcp_t listener;
    df_http1_handler_fn fn;
    void *ud;
    struct df_http1_limits limits;
    bool reuseport;
    struct client *clients;
    unsigned nclients;
    size_t handles; /* open uv handles: listener, connections, timers */
    int port;
    bool closing;
    void (*done)(void *);
    void *done_ud;
    char readbuf[READ_BUF_SIZE]; /* each read is consumed before the next */
};

static void maybe_finish(struct df_http1_server *srv)
{
    if (!srv->closing || srv->handles)
        return;
    void (*done)(void *) = srv->done;
    void *done_ud = srv->done_ud;
    free(srv);
    if (done)
        done(done_ud);
}

static void on_listener_closed(uv_handle_t *h)
{
    struct df_http1_server *srv = h->data;
    srv->handles--;
    maybe_finish(srv);
}

static void on_rejected_closed(uv_handle_t *h)
{
    struct df_http1_server *srv = h->data;
    free(h);
    srv->handles--;
    maybe_finish(srv);
}

static void on_client_closed(uv_handle_t *h)
{
    struct client *c = h->data;
    struct df_http1_server *srv = c->srv;
    srv->handles--;
    if (--c->handles == 0) {
        df_http1_conn_free(&c->conn);
        free(c);
    }
    maybe_finish(srv);
}

/* Closes at once; pending writes are cancelled. */
static void close_client(struct client *c)
{
    if (c->state == C_CLOSED)
        return;
    struct df_http1_server *srv = c->srv;
    c->state = C_CLOSED;
    if (c->prev)
        c->prev->next = c->next;
    else
        srv->clients = c->next;
    if (c->next)
        c->next->prev = c->prev;
    srv->nclients--;
    df_http1_conn_abort(&c->conn); /* owners of outstanding answers learn now */
    uv_close((uv_handle_t *)&c->tcp, on_client_closed);
    uv_close((uv_handle_t *)&c->timer, on_client_closed);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct client *c = h->data;
    buf->base = c->srv->readbuf;
    buf->len = sizeof c->srv->readbuf;
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);
static void on_timer(uv_timer_t *t);

static void start_reading(struct client *c)
{
    if (!c->reading && uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) == 0)
        c->reading = true;
}

static void stop_reading(struct client *c)
{
    if (c->reading)
        uv_read_stop((uv_stream_t *)&c->tcp);
    c->reading = false;
}

static void on_write(uv_write_t *req, int status)
{
    struct write_req *w = req->data;
    struct client *c = w->c;
    free(w->data);
    free(w);
    c->writes--;
    if (c->state == C_CLOSED)
        return;
    if (status < 0) {
        close_client(c);
        return;
    }
    if (c->state == C_OPEN && !c->reading && !c->paused && !c->resume &&
        uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp) < WRITE_HIGH / 2)
        start_reading(c);
}

/* Queues out's bytes (taking them). Returns 0 or a negative error. */
static int send_out(struct client *c, struct df_http1_out *out)
{
    if (out->len == 0) {
        df_http1_out_free(out);
        return 0;
    }
    struct write_req *w = out->len <= UINT32_MAX ? malloc(sizeof *w) : NULL;
    if (!w) {
        df_http1_out_free(out);
        return DF_ENOMEM;
    }
    w->req.data = w;
    w->c = c;
    w->data = out->data;
    uv_buf_t buf = uv_buf_init((char *)out->data, (unsigned)out->len);
    out->data = NULL;
    out->len = out->cap = 0;
    int rc = uv_write(&w->req, (uv_stream_t *)&c->tcp, &buf, 1, on_write);
    if (rc) {
        free(w->data);
        free(w);
        return rc;
    }
    c->writes++;
    return 0;
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    struct client *c = req->data;
    if (c->state == C_CLOSED)
        return;
    c->shut = true;
    if (status < 0 || c->peer_eof)
        close_client(c);
}

/* Sends what is queued, ends our side and lingers until the client closes
 * or the header timeout passes. */
static void begin_close(struct client *c)
{
    if (c->state != C_OPEN)
        return;
    c->state = C_LINGER;
    c->tmode = T_LINGER;
    uv_timer_start(&c->timer, on_timer, c->srv->limits.header_timeout_ms, 0);
    if (c->peer_eof)
        stop_reading(c);
    else
        start_reading(c);
    c->shutdown.data = c;
    if (uv_shutdown(&c->shutdown, (uv_stream_t *)&c->tcp, on_shutdown) != 0)
        close_client(c);
}

/* Runs the timer that applies now: none while the connection waits for its
 * own answers, the header or body timeout otherwise (restarted only when a
 * new request or its body begins, so a trickling client cannot extend it). */
static void set_timer(struct client *c)
{
    if (c->state != C_OPEN)
        return;
    if (c->resume) {
        c->tmode = T_RESUME;
        uv_timer_start(&c->timer, on_timer, 0, 0);
        return;
    }
    enum df_http1_phase phase = df_http1_conn_phase(&c->conn);
    if (c->paused || (df_http1_conn_pending(&c->conn) && phase == DF_HTTP1_IDLE)) {
        c->tmode = T_NONE;
        uv_timer_stop(&c->timer);
        return;
    }
    enum timer_mode mode = phase == DF_HTTP1_BODY ? T_BODY : T_HEADER;
    uint64_t n = df_http1_conn_requests(&c->conn);
    if (mode == c->tmode && n == c->timed_requests)
        return;
    c->tmode = mode;
    c->timed_requests = n;
    const struct df_http1_limits *l = &c->srv->limits;
    uv_timer_start(&c->timer, on_timer, mode == T_BODY ? l->body_timeout_ms : l->header_timeout_ms,
                   0);
}

/* Sends `out` (taking it) and acts on the engine's verdict `r`. */
static void handle_result(struct client *c, int r, struct df_http1_out *out)
{
    if (c->state == C_CLOSED) { /* e.g. the handler closed the server */
        df_http1_out_free(out);
        return;
    }
    if (r < 0 || send_out(c, out) != 0) {
        df_http1_out_free(out);
        close_client(c);
        return;
    }
    if (c->state != C_OPEN)
        return;
    if (r == DF_HTTP1_CLOSE) {
        begin_close(c);
        return;
    }
    if (r == DF_HTTP1_PAUSE) {
        c->paused = true;
        stop_reading(c);
    } else if (c->paused) {
        c->paused = false;
        c->resume = true; /* held input first, then the socket */
    }
    set_timer(c);
    if (uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp) >= WRITE_HIGH)
        stop_reading(c);
}

/* df_http1_respond made output ready. */
static void on_conn_ready(void *ud)
{
    struct client *c = ud;
    if (c->state != C_OPEN)
        return;
    struct df_http1_out out = {0};
    int r = df_http1_conn_output(&c->conn, &out);
    handle_result(c, r, &out);
}

static void on_timer(uv_timer_t *t)
{
    struct client *c = t->data;
    if (c->state != C_OPEN) {
        close_client(c); /* lingered long enough */
        return;
    }
    struct df_http1_out out = {0};
    if (c->resume) {
        c->resume = false;
        int r = df_http1_conn_feed(&c->conn, NULL, 0, &out);
        handle_result(c, r, &out);
        if (c->state == C_OPEN && !c->paused && !c->resume &&
            uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp) < WRITE_HIGH)
            start_reading(c);
        return;
    }
    if (c->writes) {
        close_client(c); /* not reading its responses */
        return;
    }
    int r = df_http1_conn_timeout(&c->conn, &out);
    if (r == DF_HTTP1_CLOSE && out.len == 0) {
        close_client(c);
        return;
    }
    c->tmode = T_NONE;
    handle_result(c, r, &out);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    struct client *c = s->data;
    if (nread == 0 || c->state == C_CLOSED)
        return;
    if (nread < 0) {
        if (nread != UV_EOF) {
            close_client(c);
            return;
        }
        c->peer_eof = true;
        stop_reading(c);
        if (c->state == C_OPEN) {
            /* Gone while answers are outstanding: cancel them, send what is
             * ready and close. */
            struct df_http1_out out = {0};
            if (df_http1_conn_pending(&c->conn))
                df_http1_conn_abort(&c->conn);
            if (df_http1_conn_output(&c->conn, &out) < 0 || send_out(c, &out) != 0) {
                df_http1_out_free(&out);
                close_client(c);
                return;
            }
            begin_close(c);
        } else if (c->shut) {
            close_client(c);
        }
        return;
    }
    if (c->state == C_LINGER)
        return; /* discard what a closing client still sends */
    struct df_http1_out out = {0};
    int r = df_http1_conn_feed(&c->conn, (const uint8_t *)buf->base, (size_t)nread, &out);
    handle_result(c, r, &out);
}

/* Over the connection limit (or out of memory): accept and close at once,
 * so the client learns immediately and the listener keeps going. */
static void reject(struct df_http1_server *srv)
{
    uv_tcp_t *t = malloc(sizeof *t);
    if (!t)
        return; /* the connection waits in the backlog */
    if (uv_tcp_init(srv->loop, t) != 0) {
        free(t);
        return;
    }
    t->data = srv;
    srv->handles++;
    uv_accept((uv_stream_t *)&srv->listener, (uv_stream_t *)t);
    uv_close((uv_handle_t *)t, on_rejected_closed);
}

static void on_connection(uv_stream_t *server, int status)
{
    struct df_http1_server *srv = server->data;
    if (status < 0 || srv->closing)
        return;
    struct client *c = srv->nclients < srv->limits.max_connections ? calloc(1, sizeof *c) : NULL;
    if (!c) {
        reject(srv);
        return;
    }
    if (uv_tcp_init(srv->loop, &c->tcp) != 0) {
        free(c);
        reject(srv);
        return;
    }
    uv_timer_init(srv->loop, &c->timer);
    c->tcp.data = c;
    c->timer.data = c;
    c->srv = srv;
    c->handles = 2;
    srv->handles += 2;
    c->next = srv->clients;
    if (srv->clients)
        srv->clients->prev = c;
    srv->clients = c;
    srv->nclients++;
    c->state = C_OPEN;
    df_http1_conn_init(&c->conn, srv->fn, srv->ud, &srv->limits);
    df_http1_conn_set_ready(&c->conn, on_conn_ready, c);
    if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0) {
        close_client(c);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    start_reading(c);
    if (!c->reading) {
        close_client(c);
        return;
    }
    c->tmode = T_HEADER;
    uv_timer_start(&c->timer, on_timer, srv->limits.header_timeout_ms, 0);
}

static void format_addr(const struct sockaddr *addr, char *buf, size_t len)
{
    char ip[64] = "?";
    if (addr && addr->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)addr;
        uv_ip4_name(in, ip, sizeof ip);
        snprintf(buf, len, "%s:%u", ip, (unsigned)ntohs(in->sin_port));
    } else if (addr && addr->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)addr;
        uv_ip6_name(in6, ip, sizeof ip);
        snprintf(buf, len, "[%s]:%u", ip, (unsigned)ntohs(in6->sin6_port));
    } else {
        snprintf(buf, len, "(no address)");
    }
}

struct df_http1_server *df_http1_server_start(uv_loop_t *loop, const struct sockaddr *addr,
                                              df_http1_handler_fn fn, void *ud,
                                              const struct df_http1_server_config *cfg, char *err,
                                              size_t errlen)
{
    char name[96];
    format_addr(addr, name, sizeof name);
    if (!loop || !fn || !addr || (addr->sa_family != AF_INET && addr->sa_family != AF_INET6)) {
        snprintf(err, errlen, "cannot listen on %s: need a loop, a handler and an IP address",
                 name);
        return NULL;
    }
    /* The socket is bound and listening before libuv sees it, so every
     * likely failure happens before a handle exists (closing a handle would
     * need the loop to run). */
    socklen_t alen =
        addr->sa_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
    int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    int on = 1;
    struct sockaddr_storage bound;
    socklen_t blen = sizeof bound;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0 ||
        (cfg && cfg->reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0) ||
        bind(fd, addr, alen) != 0 || listen(fd, BACKLOG) != 0 ||
        getsockname(fd, (struct sockaddr *)&bound, &blen) != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        snprintf(err, errlen, "cannot listen on %s: %s", name,
                 uv_strerror(uv_translate_sys_error(e)));
        return NULL;
    }
    struct df_http1_server *srv = calloc(1, sizeof *srv);
    if (!srv || uv_tcp_init(loop, &srv->listener) != 0) {
        free(srv);
        close(fd);
        snprintf(err, errlen, "cannot listen on %s: out of memory", name);
        return NULL;
    }
    srv->loop = loop;
    srv->fn = fn;
    srv->ud = ud;
    srv->limits = df_http1_limits_resolve(cfg ? &cfg->limits : NULL);
    srv->reuseport = cfg && cfg->reuseport;
    srv->listener.data = srv;
    srv->handles = 1;
    srv->port = bound.ss_family == AF_INET ? ntohs(((struct sockaddr_in *)&bound)->sin_port)
                                           : ntohs(((struct sockaddr_in6 *)&bound)->sin6_port);
    int rc = uv_tcp_open(&srv->listener, fd);
    if (rc != 0)
        close(fd);
    else
        rc = uv_listen((uv_stream_t *)&srv->listener, BACKLOG, on_connection);
    if (rc != 0) {
        snprintf(err, errlen, "cannot listen on %s: %s", name, uv_strerror(rc));
        srv->closing = true; /* freed by the close callback when the loop runs */
        uv_close((uv_handle_t *)&srv->listener, on_listener_closed);
        return NULL;
    }
    return srv;
}

int df_http1_server_port(const struct df_http1_server *srv)
{
    return srv->port;
}

void df_http1_server_close(struct df_http1_server *srv, void (*done)(void *), void *done_ud)
{
    srv->closing = true;
    srv->done = done;
    srv->done_ud = done_ud;
    uv_close((uv_handle_t *)&srv->listener, on_listener_closed);
    while (srv->clients)
        close_client(srv->clients);
}
