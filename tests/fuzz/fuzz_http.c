/* libFuzzer target: the HTTP/1.1 server connection engine (net/http1.h) on
 * arbitrary bytes. The first byte picks where the rest is split into two
 * feeds, to exercise requests cut at any point; requests whose path has an
 * odd length are answered later, in reverse order, and bit 0 of the second
 * byte (when there is one) drops the connection before they are answered.
 * The head hook refuses requests whose path length is a multiple of 3 (their
 * bodies are then dropped) and marks the others, which the handler checks.
 * Any crash, leak, sanitizer report or hang is a bug; so is output that is
 * not a sequence of HTTP/1.1 responses, or output after the engine said
 * close. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/http1.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_TOKS 64

struct state {
    struct df_http1_pending *toks[MAX_TOKS];
    size_t ntoks;
    size_t cancels;
};

static void on_cancel(void *ud, struct df_http1_pending *tok)
{
    struct state *st = ud;
    st->cancels++;
}

/* Answers 200 with a small body, touching every request field. */
static void handler(void *ud, const struct df_http1_request *req, struct df_http1_response *res)
{
    struct state *st = ud;
    size_t sum = strlen(req->method) + strlen(req->path) + (req->query ? strlen(req->query) : 0);
    for (size_t i = 0; i < req->nheaders; i++)
        sum += strlen(req->headers[i].name) + strlen(req->headers[i].value);
    for (size_t i = 0; i < req->body_len; i++)
        sum += req->body[i];
    if (req->body[req->body_len] != 0 || req->user != st)
        abort();
    if (strlen(req->path) % 2 && st->ntoks < MAX_TOKS) {
        st->toks[st->ntoks] = df_http1_defer(req, on_cancel, st);
        if (st->toks[st->ntoks]) {
            st->ntoks++;
            return;
        }
    }
    static const struct df_http1_header h[] = {{"Access-Control-Allow-Origin", "*"}};
    const char *host = df_http1_request_header(req, "host");
    df_http1_response_text(res, 200, "text/plain", "ok %zu %s", sum, host ? host : "-");
    res->headers = h;
    res->nheaders = 1;
}

/* Refuses a request whose path length is a multiple of 3, marks the rest. */
static void head_hook(void *ud, const struct df_http1_request *head, struct df_http1_response *res,
                      void **user)
{
    size_t n = strlen(head->method) + strlen(head->path);
    for (size_t i = 0; i < head->nheaders; i++)
        n += strlen(head->headers[i].name) + strlen(head->headers[i].value);
    if (head->body_len || head->user || *user)
        abort();
    if (strlen(head->path) % 3 == 0) {
        static const struct df_http1_header h[] = {{"WWW-Authenticate", "Bearer"}};
        df_http1_response_text(res, 401, "text/plain", "no %zu", n);
        res->headers = h;
        res->nheaders = 1;
        return;
    }
    *user = ud;
}

static void check_output(const struct df_http1_out *out, size_t from)
{
    if (out->len > from && (out->len - from < 9 || memcmp(out->data + from, "HTTP/1.1 ", 9) != 0))
        abort();
}

/* Answers the outstanding tokens, last first, resuming held input as the
 * engine allows. */
static int answer_all(struct df_http1_conn *conn, struct state *st, struct df_http1_out *out,
                      int rc)
{
    while (st->ntoks > 0) {
        struct df_http1_pending *tok = st->toks[--st->ntoks];
        df_http1_respond(tok, 503, "text/plain", NULL, 0, "later", 5);
        size_t mark = out->len;
        rc = df_http1_conn_output(conn, out);
        if (rc == DF_HTTP1_KEEP)
            rc = df_http1_conn_feed(conn, NULL, 0, out);
        check_output(out, mark);
    }
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    size_t rest = size - 1;
    size_t cut = rest * data[0] / 255;
    bool drop = size > 1 && (data[1] & 1);
    const uint8_t *in = data + 1;
    /* Small limits, so that the limit paths are reachable. */
    struct df_http1_limits limits = {
        .max_head_bytes = 2048, .max_headers = 16, .max_body_bytes = 4096, .max_pending = 3};
    struct state st = {0};
    struct df_http1_conn conn;
    struct df_http1_out out = {0};
    df_http1_conn_init(&conn, handler, &st, &limits);
    df_http1_conn_set_head(&conn, head_hook);
    int rc = df_http1_conn_feed(&conn, in, cut, &out);
    check_output(&out, 0);
    size_t mark = out.len;
    if (rc == DF_HTTP1_KEEP || rc == DF_HTTP1_PAUSE) {
        rc = df_http1_conn_feed(&conn, in + cut, rest - cut, &out);
        check_output(&out, mark);
    }
    if (drop) {
        size_t n = st.ntoks;
        df_http1_conn_abort(&conn);
        if (st.cancels != n)
            abort();
        rc = DF_HTTP1_CLOSE;
        while (st.ntoks > 0) /* no-ops that free */
            df_http1_respond(st.toks[--st.ntoks], 200, NULL, NULL, 0, NULL, 0);
    }
    rc = answer_all(&conn, &st, &out, rc);
    if (rc == DF_HTTP1_KEEP) {
        mark = out.len;
        rc = df_http1_conn_timeout(&conn, &out);
        check_output(&out, mark);
        rc = answer_all(&conn, &st, &out, rc);
    }
    if (rc == DF_HTTP1_PAUSE && df_http1_conn_pending(&conn) == 0)
        abort(); /* waiting for nothing */
    /* After close, nothing more comes out. */
    mark = out.len;
    if (rc == DF_HTTP1_CLOSE &&
        (df_http1_conn_feed(&conn, in, rest, &out) != DF_HTTP1_CLOSE || out.len != mark))
        abort();
    df_http1_out_free(&out);
    df_http1_conn_free(&conn);
    if (st.ntoks)
        abort();
    return 0;
}
