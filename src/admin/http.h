/* admin/http.h — the small HTTP/1.1 server that hosts the admin API.
 *
 * Two layers. struct df_http_conn is the socket-free protocol engine of one
 * connection: fed with the bytes a client sent, it parses requests with
 * http-parser, calls the handler once per complete request and appends the
 * serialised responses, in request order, to an output buffer, enforcing the
 * size limits (oversized heads get 431, bodies 413, malformed requests 400;
 * each of these closes the connection). The server (df_http_server_*) runs on
 * a caller-given libuv loop: it accepts connections, shuttles bytes between
 * the sockets and their df_http_conn, and enforces the connection count and
 * the per-connection timeouts, so a slow or idle client cannot pin memory.
 *
 * Supported: HTTP/1.1 keep-alive and pipelining, HTTP/1.0 (closing unless the
 * client asks for keep-alive), `Connection: close`, Content-Length and chunked
 * request bodies, `Expect: 100-continue`, HEAD (headers only). Not supported:
 * upgrades and CONNECT tunnels (answered, then the connection is closed), TLS.
 *
 * Threads: a server and all its callbacks, including the handler, run on the
 * thread that runs its loop (the engine's control thread); call every
 * df_http_server_* function there. A df_http_conn belongs to the thread that
 * feeds it. The process must ignore SIGPIPE (libuv writes with write(2)), or
 * a client that resets its connection kills it. */
#ifndef DF_ADMIN_HTTP_H
#define DF_ADMIN_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <http_parser.h>
#include <uv.h>

/* Limits of one server or connection. A zero field takes its default. */
struct df_http_limits {
    size_t max_head_bytes;      /* request line + headers (+ trailers); 16 KiB */
    size_t max_headers;         /* header lines per request; 100 */
    size_t max_body_bytes;      /* decoded request body; 1 MiB */
    unsigned max_connections;   /* open connections; extras are accepted and closed; 64 */
    unsigned header_timeout_ms; /* idle time + time until the head is complete; 10 s */
    unsigned body_timeout_ms;   /* from the end of the head until the body is complete; 10 s */
};

#define DF_HTTP_MAX_HEAD_BYTES    ((size_t)16 << 10)
#define DF_HTTP_MAX_HEADERS       100
#define DF_HTTP_MAX_BODY_BYTES    ((size_t)1 << 20)
#define DF_HTTP_MAX_CONNECTIONS   64
#define DF_HTTP_HEADER_TIMEOUT_MS 10000
#define DF_HTTP_BODY_TIMEOUT_MS   10000

/* Returns `limits` (NULL means all defaults) with every zero field replaced
 * by its default. */
struct df_http_limits df_http_limits_resolve(const struct df_http_limits *limits);

struct df_http_header {
    const char *name;  /* as sent */
    const char *value; /* without surrounding whitespace; "" when empty */
};

/* One complete request, valid only during the handler call. Strings are
 * NUL-terminated; path and query are as sent (not percent-decoded). */
struct df_http_request {
    const char *method;  /* "GET", "POST", ... */
    const char *path;    /* without the query; "/" for an absolute URL without one */
    const char *query;   /* after '?', NULL when none */
    const uint8_t *body; /* never NULL; followed by a NUL not counted in body_len */
    size_t body_len;
    const struct df_http_header *headers; /* in order, chunked trailers last */
    size_t nheaders;
    int http_minor; /* 1 for HTTP/1.1, 0 for HTTP/1.0 */
};

/* Returns the value of the first header called `name` (compared
 * case-insensitively), or NULL when there is none. The string lives as long
 * as the request. */
const char *df_http_request_header(const struct df_http_request *req, const char *name);

/* What the handler answers. The server hands it zeroed; the handler sets
 * status (200..599; anything else becomes a 500), content_type (a string
 * that outlives the handler call, e.g. a literal; NULL for none; it must not
 * contain control characters) and body: malloc'd, owned by the server from
 * then on and freed by it (NULL with body_len 0 for no body). Content-Length
 * and Connection are the server's. */
struct df_http_response {
    int status;
    const char *content_type;
    char *body;
    size_t body_len;
};

/* Sets `res` to `status`, `content_type` and a printf-formatted body
 * (replacing and freeing any previous body). Returns 0, or DF_ENOMEM (then
 * status is 500 and the body is empty). */
int df_http_response_text(struct df_http_response *res, int status, const char *content_type,
                          const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Called synchronously, on the loop's thread, once per complete request.
 * It must fill `res` and must not keep pointers into `req`. 404 and 405 are
 * the handler's decision. */
typedef void (*df_http_handler_fn)(void *ud, const struct df_http_request *req,
                                   struct df_http_response *res);

/* ---- the socket-free connection engine ------------------------------- */

/* Bytes to send to the client: data[0..len) is malloc'd (cap bytes). The
 * consumer may take `data` (then set all three fields to zero) or free it
 * with df_http_out_free. Zero-initialise before use. */
struct df_http_out {
    uint8_t *data;
    size_t len, cap;
};

void df_http_out_free(struct df_http_out *out);

/* Where a connection is within its current request. */
enum df_http_phase {
    DF_HTTP_IDLE, /* between requests: no byte of the next one seen */
    DF_HTTP_HEAD, /* reading the request line and headers */
    DF_HTTP_BODY, /* reading the body (or chunked trailers) */
};

/* One connection's parser and buffers. The fields are private: use the
 * functions below. */
struct df_http_conn {
    http_parser parser;
    df_http_handler_fn fn;
    void *ud;
    struct df_http_limits limits;
    enum df_http_phase phase;
    int last;       /* which kind of data callback ran last */
    int err_status; /* error status chosen inside a parser callback */
    bool msg_done;  /* a complete request waits for dispatch */
    bool closed;    /* the final response has been produced */
    uint64_t requests;
    size_t head_raw; /* head bytes received for the current request */
    char *head;      /* URL, then NUL-terminated header names and values */
    size_t head_len, head_cap;
    uint32_t *offs; /* per header: offset of its name and of its value */
    struct df_http_header *hdrs;
    size_t nhdrs, hdrs_cap;
    uint8_t *body;
    size_t body_len, body_cap;
};

/* Prepares `conn` for a new connection whose requests go to fn(ud, ...).
 * `limits` may be NULL (defaults); it is copied. Allocates nothing. */
void df_http_conn_init(struct df_http_conn *conn, df_http_handler_fn fn, void *ud,
                       const struct df_http_limits *limits);

#define DF_HTTP_KEEP  0
#define DF_HTTP_CLOSE 1

/* Feeds `len` received bytes (any split of the stream is fine) and appends
 * the responses of every request they complete to `out`. Returns
 * DF_HTTP_KEEP to read on, DF_HTTP_CLOSE when the connection must be closed
 * once `out` is sent (the client asked for it, or an error response was
 * produced; later feeds then produce nothing), or DF_ENOMEM (then send
 * nothing more and close). `data` is not kept. */
int df_http_conn_feed(struct df_http_conn *conn, const uint8_t *data, size_t len,
                      struct df_http_out *out);

/* The connection's timeout expired: appends a 408 response to `out` when a
 * request was partly received (nothing when idle) and returns DF_HTTP_CLOSE,
 * or DF_ENOMEM. */
int df_http_conn_timeout(struct df_http_conn *conn, struct df_http_out *out);

/* Returns the connection's phase, which picks the timeout that applies. */
enum df_http_phase df_http_conn_phase(const struct df_http_conn *conn);

/* Returns the number of requests answered so far (error responses
 * excluded). */
uint64_t df_http_conn_requests(const struct df_http_conn *conn);

/* Frees the connection's buffers; `conn` may be initialised again. */
void df_http_conn_free(struct df_http_conn *conn);

/* ---- the server ------------------------------------------------------- */

struct df_http_server;

/* Binds `addr` (IPv4 or IPv6; port 0 picks a free port), listens, and serves
 * every connection on `loop` with fn(ud, ...). `limits` may be NULL
 * (defaults); it is copied. Returns the server, or NULL with a message such
 * as `cannot listen on 127.0.0.1:8080: address already in use` in
 * err[errlen]. Call on the loop's thread; the loop must be run for the
 * server to do anything. */
struct df_http_server *df_http_server_start(uv_loop_t *loop, const struct sockaddr *addr,
                                            df_http_handler_fn fn, void *ud,
                                            const struct df_http_limits *limits, char *err,
                                            size_t errlen);

/* Returns the port the server listens on. */
int df_http_server_port(const struct df_http_server *srv);

/* Closes the listener and every connection (responses not yet sent are
 * dropped) and frees the server; `done(done_ud)` (may be NULL) is called on
 * the loop's thread once all of the server's handles are closed, after
 * which the loop has nothing of the server left. Call once, on the loop's
 * thread; `srv` is invalid after the call. */
void df_http_server_close(struct df_http_server *srv, void (*done)(void *), void *done_ud);

#endif
