/* The HTTP/1.1 client codec (net/http1_client.h).
 *
 * http-parser runs in response mode and is paused at the end of each head
 * (to check Content-Length against the body limit before any body byte) and
 * of each response (so bytes after a response, which a server must not send
 * unasked, are seen as such). Header names and values are stored back to
 * back, NUL-terminated, in one buffer bounded by max_head_bytes, as offsets
 * while it grows and as pointers once the response is complete. */
#define _GNU_SOURCE /* strptime, timegm */
#include "net/http1_client.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/grow.h"
#include "df/error.h"

#define NO_VALUE    UINT32_MAX
#define MAX_DELAY_S ((int64_t)1 << 40)

enum { S_IDLE, S_WAITING, S_CLOSED, S_FAILED };
enum { LAST_NONE, LAST_FIELD, LAST_VALUE };

/* ---- Retry-After ---------------------------------------------------------- */

int df_http1_retry_after(const char *value, time_t now, int64_t *secs)
{
    if (!value)
        return DF_EPARSE;
    const char *s = value;
    while (*s == ' ' || *s == '\t')
        s++;
    if (isdigit((unsigned char)*s)) {
        int64_t v = 0;
        for (; isdigit((unsigned char)*s); s++)
            v = v < MAX_DELAY_S ? v * 10 + (*s - '0') : MAX_DELAY_S;
        while (*s == ' ' || *s == '\t')
            s++;
        if (*s)
            return DF_EPARSE;
        *secs = v < MAX_DELAY_S ? v : MAX_DELAY_S;
        return 0;
    }
    /* IMF-fixdate, RFC 850 (two-digit year), asctime. */
    static const char *const forms[] = {"%a, %d %b %Y %H:%M:%S GMT", "%A, %d-%b-%y %H:%M:%S GMT",
                                        "%a %b %e %H:%M:%S %Y"};
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        struct tm tm;
        memset(&tm, 0, sizeof tm);
        const char *end = strptime(s, forms[i], &tm);
        if (!end)
            continue;
        while (*end == ' ' || *end == '\t')
            end++;
        if (*end)
            continue;
        time_t t = timegm(&tm);
        if (t == (time_t)-1)
            return DF_EPARSE;
        *secs = t > now ? (int64_t)(t - now) : 0;
        return 0;
    }
    return DF_EPARSE;
}

/* ---- parser callbacks ------------------------------------------------------ */

static struct df_http1_client *client_of(http_parser *p)
{
    return p->data;
}

static int fail(struct df_http1_client *cl, int err)
{
    cl->err = err;
    return 1;
}

static int head_put(struct df_http1_client *cl, const char *at, size_t len)
{
    if (len > cl->limits.max_head_bytes || cl->head_len + len > cl->limits.max_head_bytes)
        return fail(cl, DF_ERANGE);
    if (df_grow(&cl->head, &cl->head_cap, cl->head_len + len + 1, 1))
        return fail(cl, DF_ENOMEM);
    memcpy(cl->head + cl->head_len, at, len);
    cl->head_len += len;
    return 0;
}

static int finish_item(struct df_http1_client *cl)
{
    if (cl->last == LAST_NONE)
        return 0;
    if (cl->last == LAST_VALUE) {
        size_t start = cl->offs[2 * (cl->nhdrs - 1) + 1];
        while (cl->head_len > start &&
               (cl->head[cl->head_len - 1] == ' ' || cl->head[cl->head_len - 1] == '\t'))
            cl->head_len--;
    }
    if (df_grow(&cl->head, &cl->head_cap, cl->head_len + 1, 1))
        return fail(cl, DF_ENOMEM);
    cl->head[cl->head_len++] = '\0';
    cl->last = LAST_NONE;
    return 0;
}

static void reset_message(struct df_http1_client *cl)
{
    cl->last = LAST_NONE;
    cl->head_len = 0;
    cl->nhdrs = 0;
    cl->body_len = 0;
}

static int on_message_begin(http_parser *p)
{
    struct df_http1_client *cl = client_of(p);
    if (cl->state != S_WAITING)
        return fail(cl, DF_EPARSE); /* a response nobody asked for */
    reset_message(cl);
    return 0;
}

static int on_header_field(http_parser *p, const char *at, size_t len)
{
    struct df_http1_client *cl = client_of(p);
    if (cl->last != LAST_FIELD) {
        if (finish_item(cl))
            return 1;
        if (cl->nhdrs == cl->limits.max_headers)
            return fail(cl, DF_ERANGE);
        size_t cap = cl->hdrs_cap, ocap = cl->hdrs_cap;
        if (df_grow(&cl->hdrs, &cap, cl->nhdrs + 1, sizeof *cl->hdrs) ||
            df_grow(&cl->offs, &ocap, cl->nhdrs + 1, 2 * sizeof *cl->offs))
            return fail(cl, DF_ENOMEM);
        cl->hdrs_cap = cap < ocap ? cap : ocap;
        cl->offs[2 * cl->nhdrs] = (uint32_t)cl->head_len;
        cl->offs[2 * cl->nhdrs + 1] = NO_VALUE;
        cl->nhdrs++;
        cl->last = LAST_FIELD;
    }
    return head_put(cl, at, len);
}

static int on_header_value(http_parser *p, const char *at, size_t len)
{
    struct df_http1_client *cl = client_of(p);
    if (cl->last != LAST_VALUE) {
        if (cl->last != LAST_FIELD)
            return fail(cl, DF_EPARSE);
        if (finish_item(cl))
            return 1;
        cl->offs[2 * (cl->nhdrs - 1) + 1] = (uint32_t)cl->head_len;
        cl->last = LAST_VALUE;
    }
    return head_put(cl, at, len);
}

static int on_headers_complete(http_parser *p)
{
    struct df_http1_client *cl = client_of(p);
    if (finish_item(cl))
        return -1;
    if (p->status_code < 100) {
        fail(cl, DF_EPARSE);
        return -1;
    }
    if ((p->flags & F_CONTENTLENGTH) && p->content_length > cl->limits.max_body_bytes &&
        !cl->head_request && p->status_code / 100 != 1 && p->status_code != 204 &&
        p->status_code != 304) {
        fail(cl, DF_ERANGE);
        return -1;
    }
    /* A response to HEAD has no body, whatever its headers say. */
    return cl->head_request ? 1 : 0;
}

static int on_body(http_parser *p, const char *at, size_t len)
{
    struct df_http1_client *cl = client_of(p);
    if (len > cl->limits.max_body_bytes - cl->body_len)
        return fail(cl, DF_ERANGE);
    if (df_grow(&cl->body, &cl->body_cap, cl->body_len + len + 1, 1))
        return fail(cl, DF_ENOMEM);
    memcpy(cl->body + cl->body_len, at, len);
    cl->body_len += len;
    return 0;
}

static int on_message_complete(http_parser *p)
{
    struct df_http1_client *cl = client_of(p);
    if (finish_item(cl)) /* chunked trailers */
        return 1;
    if (p->status_code / 100 == 1 && p->status_code != 101) {
        reset_message(cl); /* interim: the final response follows */
        return 0;
    }
    for (size_t i = 0; i < cl->nhdrs; i++) {
        cl->hdrs[i].name = cl->head + cl->offs[2 * i];
        cl->hdrs[i].value = cl->offs[2 * i + 1] == NO_VALUE ? "" : cl->head + cl->offs[2 * i + 1];
    }
    static const uint8_t empty[1] = {0};
    if (cl->body)
        cl->body[cl->body_len] = 0; /* df_grow() always left room */
    struct df_http1_client_response res = {
        .status = p->status_code,
        .headers = cl->hdrs,
        .nheaders = cl->nhdrs,
        .body = cl->body ? cl->body : empty,
        .body_len = cl->body_len,
        .retry_after_s = -1,
        .keep_alive = http_should_keep_alive(p) && p->status_code != 101,
    };
    for (size_t i = 0; i < cl->nhdrs; i++)
        if (!strcasecmp(cl->hdrs[i].name, "retry-after")) {
            int64_t s;
            if (df_http1_retry_after(cl->hdrs[i].value, cl->now ? cl->now : time(NULL), &s) == 0)
                res.retry_after_s = s;
            break;
        }
    cl->state = res.keep_alive ? S_IDLE : S_CLOSED;
    cl->fn(cl->ud, &res);
    reset_message(cl);
    if (cl->body_cap > 65536) {
        free(cl->body);
        cl->body = NULL;
        cl->body_cap = 0;
    }
    http_parser_pause(p, 1);
    return 0;
}

static const http_parser_settings settings = {
    .on_message_begin = on_message_begin,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

/* ---- the codec -------------------------------------------------------------- */

void df_http1_client_init(struct df_http1_client *cl, df_http1_response_fn fn, void *ud,
                          const struct df_http1_client_limits *limits)
{
    memset(cl, 0, sizeof *cl);
    http_parser_init(&cl->parser, HTTP_RESPONSE);
    cl->parser.data = cl;
    cl->fn = fn;
    cl->ud = ud;
    if (limits)
        cl->limits = *limits;
    if (!cl->limits.max_head_bytes)
        cl->limits.max_head_bytes = DF_HTTP1_MAX_HEAD_BYTES;
    if (!cl->limits.max_headers)
        cl->limits.max_headers = DF_HTTP1_MAX_HEADERS;
    if (!cl->limits.max_body_bytes)
        cl->limits.max_body_bytes = DF_HTTP1_MAX_BODY_BYTES;
    cl->state = S_IDLE;
}

void df_http1_client_free(struct df_http1_client *cl)
{
    free(cl->head);
    free(cl->offs);
    free(cl->hdrs);
    free(cl->body);
    cl->head = NULL;
    cl->offs = NULL;
    cl->hdrs = NULL;
    cl->body = NULL;
    cl->head_cap = cl->hdrs_cap = cl->body_cap = 0;
    cl->head_len = cl->nhdrs = cl->body_len = 0;
}

bool df_http1_client_busy(const struct df_http1_client *cl)
{
    return cl->state == S_WAITING;
}

static bool token(const char *s)
{
    if (!s || !*s)
        return false;
    for (; *s; s++)
        if (!strchr("!#$%&'*+-.^_`|~", *s) && !isalnum((unsigned char)*s))
            return false;
    return true;
}

static bool clean(const char *s, bool allow_space)
{
    if (!s || !*s)
        return false;
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f || (!allow_space && *s == ' ')) {
            if (!(allow_space && *s == '\t'))
                return false;
        }
    return true;
}

int df_http1_client_request(struct df_http1_client *cl, struct df_http1_out *out,
                            const char *method, const char *host, const char *path,
                            const struct df_http1_header *headers, size_t nheaders,
                            const void *body, size_t len)
{
    if (cl->state != S_IDLE || !token(method) || !clean(host, false) || !clean(path, false) ||
        (len && !body) || (nheaders && !headers))
        return DF_EINVAL;
    for (size_t i = 0; i < nheaders; i++)
        if (!token(headers[i].name) || !headers[i].value ||
            (*headers[i].value && !clean(headers[i].value, true)) ||
            !strcasecmp(headers[i].name, "host") ||
            !strcasecmp(headers[i].name, "content-length") ||
            !strcasecmp(headers[i].name, "transfer-encoding"))
            return DF_EINVAL;
    size_t mark = out->len;
    int rc = df_http1_out_printf(out, "%s %s HTTP/1.1\r\nHost: %s\r\n", method, path, host);
    for (size_t i = 0; !rc && i < nheaders; i++)
        rc = df_http1_out_printf(out, "%s: %s\r\n", headers[i].name, headers[i].value);
    if (!rc && (len || (strcmp(method, "GET") && strcmp(method, "HEAD"))))
        rc = df_http1_out_printf(out, "Content-Length: %zu\r\n", len);
    if (!rc)
        rc = df_http1_out_append(out, "\r\n", 2);
    if (!rc)
        rc = df_http1_out_append(out, body, len);
    if (rc) {
        out->len = mark;
        return DF_ENOMEM;
    }
    cl->head_request = !strcmp(method, "HEAD");
    cl->state = S_WAITING;
    return 0;
}

static int failed(struct df_http1_client *cl, int err)
{
    cl->state = S_FAILED;
    cl->err = err;
    return err;
}

int df_http1_client_feed(struct df_http1_client *cl, const uint8_t *data, size_t len)
{
    if (cl->state == S_FAILED)
        return cl->err;
    if (cl->state == S_CLOSED)
        return DF_HTTP1_CLOSE;
    cl->parser.data = cl;
    while (len > 0) {
        if (cl->state == S_CLOSED)
            return DF_HTTP1_CLOSE; /* what follows a closing response is ignored */
        if (cl->state != S_WAITING)
            return failed(cl, DF_EPARSE); /* bytes nobody asked for */
        cl->err = 0;
        size_t n = http_parser_execute(&cl->parser, &settings, (const char *)data, len);
        if (n > len)
            n = len;
        data += n;
        len -= n;
        enum http_errno e = HTTP_PARSER_ERRNO(&cl->parser);
        if (e != HPE_OK && e != HPE_PAUSED)
            return failed(cl, cl->err ? cl->err : DF_EPARSE);
        if (e == HPE_PAUSED)
            http_parser_pause(&cl->parser, 0);
        else if (n == 0)
            return failed(cl, DF_EPARSE);
    }
    return cl->state == S_CLOSED ? DF_HTTP1_CLOSE : DF_HTTP1_KEEP;
}

int df_http1_client_eof(struct df_http1_client *cl)
{
    if (cl->state == S_FAILED)
        return cl->err;
    if (cl->state != S_WAITING) {
        cl->state = S_CLOSED;
        return DF_HTTP1_CLOSE;
    }
    cl->parser.data = cl;
    cl->err = 0;
    http_parser_execute(&cl->parser, &settings, NULL, 0);
    enum http_errno e = HTTP_PARSER_ERRNO(&cl->parser);
    if (e != HPE_OK && e != HPE_PAUSED)
        return failed(cl, cl->err ? cl->err : DF_EPARSE);
    if (cl->state == S_WAITING)
        return failed(cl, DF_EPARSE); /* cut short */
    cl->state = S_CLOSED;
    return DF_HTTP1_CLOSE;
}
