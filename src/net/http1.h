/* net/http1.h — HTTP/1.1 server connections, a libuv server, and (in
 * net/http1_client.h) the client side: the engine's HTTP/1.1 for the admin
 * API and the OTLP/HTTP receiver.
 *
 * Two layers. struct df_http1_conn is the socket-free protocol engine of one
 * server connection: fed with the bytes a client sent, it parses requests
 * with http-parser, calls the handler once per complete request and produces
 * the serialised responses, strictly in request order, enforcing the size
 * limits (oversized heads get 431, bodies 413 before they are buffered,
 * malformed requests 400; each of these closes the connection). It knows
 * nothing of sockets, so a TLS layer can sit between it and the network: feed
 * it decrypted bytes, encrypt what it produces. The server (df_http1_server_*)
 * runs it over plain TCP on a caller-given libuv loop: it accepts
 * connections, shuttles bytes, and enforces the connection count and the
 * per-connection timeouts, so a slow or idle client cannot pin memory.
 *
 * Answers now or later. The handler either fills its response at once, or
 * takes a token with df_http1_defer and answers later with df_http1_respond
 * (the OTLP receiver answers once the pipeline acknowledged the data).
 * Pipelined requests are answered in order whatever order the answers come
 * in; while answers are outstanding the connection goes on parsing requests
 * until `max_pending` of them wait, then holds the rest of its input (the
 * transport must stop reading: see DF_HTTP1_PAUSE).
 *
 * Deciding from the head. An optional head hook (df_http1_conn_set_head)
 * sees each request when its head is complete, before any body byte is
 * read, and may refuse it with an answer of its own (authentication, say):
 * the answer is queued at once and the body is read and dropped, never
 * buffered, so that the connection serves its next request (see
 * df_http1_head_fn for when it closes instead).
 *
 * Supported: HTTP/1.1 keep-alive and pipelining, HTTP/1.0 (closing unless the
 * client asks for keep-alive), `Connection: close`, Content-Length and chunked
 * request bodies, `Expect: 100-continue`, HEAD (headers only), extra response
 * headers. Not supported: upgrades and CONNECT tunnels (answered, then the
 * connection is closed); TLS is the embedder's layer (see above).
 *
 * Threads: a server and all its callbacks, including the handler and the
 * cancel callbacks, run on the thread that runs its loop; call every
 * df_http1_server_* function and df_http1_respond there. A df_http1_conn and
 * its tokens belong to the thread that feeds it. The process must ignore
 * SIGPIPE (libuv writes with write(2)), or a client that resets its
 * connection kills it. */
#ifndef DF_NET_HTTP1_H
#define DF_NET_HTTP1_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <http_parser.h>
#include <uv.h>

/* Limits of one server or connection. A zero field takes its default. */
struct df_http1_limits {
    size_t max_head_bytes;      /* request line + headers (+ trailers); 16 KiB */
    size_t max_headers;         /* header lines per request; 100 */
    size_t max_body_bytes;      /* decoded request body; 1 MiB */
    unsigned max_connections;   /* open connections; extras are accepted and closed; 64 */
    unsigned header_timeout_ms; /* idle time + time until the head is complete; 10 s */
    unsigned body_timeout_ms;   /* from the end of the head until the body is complete; 10 s */
    unsigned max_pending;       /* requests parsed but not yet answered, per connection; 16 */
};

#define DF_HTTP1_MAX_HEAD_BYTES    ((size_t)16 << 10)
#define DF_HTTP1_MAX_HEADERS       100
#define DF_HTTP1_MAX_BODY_BYTES    ((size_t)1 << 20)
#define DF_HTTP1_MAX_CONNECTIONS   64
#define DF_HTTP1_HEADER_TIMEOUT_MS 10000
#define DF_HTTP1_BODY_TIMEOUT_MS   10000
#define DF_HTTP1_MAX_PENDING       16

/* Returns `limits` (NULL means all defaults) with every zero field replaced
 * by its default. */
struct df_http1_limits df_http1_limits_resolve(const struct df_http1_limits *limits);

struct df_http1_header {
    const char *name;  /* as sent */
    const char *value; /* without surrounding whitespace; "" when empty */
};

struct df_http1_conn;

/* One complete request, valid only during the handler call. Strings are
 * NUL-terminated; path and query are as sent (not percent-decoded). */
struct df_http1_request {
    const char *method;  /* "GET", "POST", ... */
    const char *path;    /* without the query; "/" for an absolute URL without one */
    const char *query;   /* after '?', NULL when none */
    const uint8_t *body; /* never NULL; followed by a NUL not counted in body_len */
    size_t body_len;
    const struct df_http1_header *headers; /* in order, chunked trailers last */
    size_t nheaders;
    int http_minor;             /* 1 for HTTP/1.1, 0 for HTTP/1.0 */
    struct df_http1_conn *conn; /* the connection, for df_http1_defer */
    void *user;                 /* what the head hook stored for this request, else NULL */
};

/* Returns the value of the first header called `name` (compared
 * case-insensitively), or NULL when there is none. The string lives as long
 * as the request. */
const char *df_http1_request_header(const struct df_http1_request *req, const char *name);

/* What the handler answers now. The server hands it zeroed; the handler sets
 * status (200..599), content_type (NULL for none), extra headers and body:
 * malloc'd, owned by the server from then on and freed by it (NULL with
 * body_len 0 for no body). content_type and the headers' strings must stay
 * valid until the handler returns (they are copied out then). Header names
 * must be tokens and values free of control characters; Content-Length,
 * Transfer-Encoding and Connection are the server's. A response breaking
 * these rules is replaced by a 500. */
struct df_http1_response {
    int status;
    const char *content_type;
    const struct df_http1_header *headers;
    size_t nheaders;
    char *body;
    size_t body_len;
};

/* Sets `res` to `status`, `content_type` and a printf-formatted body
 * (replacing and freeing any previous body). Returns 0, or DF_ENOMEM (then
 * status is 500 and the body is empty). */
int df_http1_response_text(struct df_http1_response *res, int status, const char *content_type,
                           const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Called synchronously once per complete request, on the thread that feeds
 * the connection. It fills `res`, or calls df_http1_defer and answers later
 * (then `res` is ignored). It must not keep pointers into `req`. 404 and 405
 * are the handler's decision. */
typedef void (*df_http1_handler_fn)(void *ud, const struct df_http1_request *req,
                                    struct df_http1_response *res);

/* The head hook: called synchronously once per request whose head is
 * complete and passed the connection's own checks (head limits, URL, a
 * Content-Length over max_body_bytes, an `Expect` other than
 * 100-continue), before any byte of its body is read and before a
 * `100 Continue` is sent. `head` is the request without its body (body ""
 * and body_len 0, no trailers yet, user NULL), valid during the call.
 *
 * To let the request go on, leave res->status 0; the handler then gets the
 * complete request, with req->user set to what this call stored in *user
 * (NULL on entry). To refuse it, fill `res` as a handler fills its answer
 * (the same rules; the body is the server's from then on). The handler is
 * not called for it. The answer is queued at once, in request order, and:
 *   - when the request keeps the connection alive and did not ask
 *     `Expect: 100-continue`, its body is read and dropped as it arrives
 *     (counted against max_body_bytes and bounded by the body timeout;
 *     beyond either the connection just closes, the answer being out), and
 *     the next request on the connection is served;
 *   - otherwise (Connection: close, HTTP/1.0 without keep-alive, or a
 *     client waiting for `100 Continue`, which may or may not send its
 *     body now) the answer says `Connection: close` and the connection
 *     closes after it, its remaining input unread.
 * The hook must not call df_http1_defer. */
typedef void (*df_http1_head_fn)(void *ud, const struct df_http1_request *head,
                                 struct df_http1_response *res, void **user);

/* ---- deferred answers --------------------------------------------------- */

/* The promise of an answer to one request. */
struct df_http1_pending;

/* Tells a token's owner that the connection went away (closed by either
 * side, timed out, server closed) before df_http1_respond was called. The
 * token stays valid: the owner still calls df_http1_respond exactly once
 * (which then only frees it), from the callback or later. */
typedef void (*df_http1_cancel_fn)(void *ud, struct df_http1_pending *tok);

/* From inside the handler: the answer to `req` will come later. Returns the
 * token, or NULL (out of memory, or called twice for one request; then
 * answer through `res`). `cancel` may be NULL. Contract: call
 * df_http1_respond(token, ...) exactly once, on the connection's thread —
 * the token is freed by that call, and only by it, whether the connection
 * still exists or not (after the connection is gone the answer is
 * discarded: a harmless no-op). */
struct df_http1_pending *df_http1_defer(const struct df_http1_request *req,
                                        df_http1_cancel_fn cancel, void *cancel_ud);

/* Answers the request of `tok` and frees `tok`. Arguments as in struct
 * df_http1_response, except that `body` (len bytes; NULL when len is 0) and
 * the strings are copied before the call returns and stay the caller's.
 * The response is sent as soon as every earlier request on the connection
 * has been answered. May be called from inside a handler. Returns 0, or
 * DF_ENOMEM (the token is freed all the same and the connection will be
 * closed by its transport). */
int df_http1_respond(struct df_http1_pending *tok, int status, const char *content_type,
                     const struct df_http1_header *headers, size_t nheaders, const void *body,
                     size_t len);

/* ---- the socket-free connection engine ------------------------------- */

/* Bytes to send to the client: data[0..len) is malloc'd (cap bytes). The
 * consumer may take `data` (then set all three fields to zero) or free it
 * with df_http1_out_free. Zero-initialise before use. */
struct df_http1_out {
    uint8_t *data;
    size_t len, cap;
};

void df_http1_out_free(struct df_http1_out *out);

/* Appends `len` bytes / printf-formatted text to `out`. Return 0 or
 * DF_ENOMEM (then `out` is unchanged). */
int df_http1_out_append(struct df_http1_out *out, const void *data, size_t len);
int df_http1_out_printf(struct df_http1_out *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Where a connection is within its current request. */
enum df_http1_phase {
    DF_HTTP1_IDLE, /* between requests: no byte of the next one seen */
    DF_HTTP1_HEAD, /* reading the request line and headers */
    DF_HTTP1_BODY, /* reading the body (or chunked trailers) */
};

/* Called (on the connection's thread) when df_http1_respond made output
 * ready outside of a feed: the transport then calls df_http1_conn_output. */
typedef void (*df_http1_ready_fn)(void *ud);

struct df_http1_slot; /* one answer in the connection's ordered queue */

/* One connection's parser and buffers. The fields are private: use the
 * functions below. */
struct df_http1_conn {
    http_parser parser;
    df_http1_handler_fn fn;
    void *ud;
    df_http1_ready_fn ready_fn;
    void *ready_ud;
    struct df_http1_limits limits;
    enum df_http1_phase phase;
    int last;          /* which kind of data callback ran last */
    int err_status;    /* error status chosen inside a parser callback */
    bool msg_done;     /* a complete request waits for dispatch */
    bool input_closed; /* no more requests are parsed (closing request or error) */
    bool closed;       /* the final response has been produced */
    bool nomem;        /* an allocation failed: the transport must close */
    bool busy;         /* inside feed: output is collected at its end */
    bool in_handler;   /* the handler runs: df_http1_defer may be called */
    bool discard;      /* the head hook refused the request: its body is dropped */
    bool target_done;  /* path_off/query_off hold the current request's target */
    bool req_head, req_keep, req_http10; /* framing of the request being handled */
    uint64_t requests;
    df_http1_head_fn head_fn;
    void *user;               /* the head hook's, for the current request */
    long path_off, query_off; /* in `head`; query_off -1 when none */
    size_t head_raw;          /* head bytes received for the current request */
    char *head;               /* URL, then NUL-terminated header names and values */
    size_t head_len, head_cap;
    uint32_t *offs; /* per header: offset of its name and of its value */
    struct df_http1_header *hdrs;
    size_t nhdrs, hdrs_cap;
    uint8_t *body;
    size_t body_len, body_cap;
    struct df_http1_pending *deferred; /* the token taken by the current handler call */
    struct df_http1_slot *q;           /* answers waiting behind an unanswered one */
    size_t qhead, qlen, qcap;
    size_t qrequests;          /* of those, answers to requests */
    struct df_http1_out ready; /* output in order, not yet taken */
    uint8_t *held;             /* input held back while max_pending requests wait */
    size_t held_len, held_cap;
};

/* Prepares `conn` for a new connection whose requests go to fn(ud, ...).
 * `limits` may be NULL (defaults); it is copied. Allocates nothing. */
void df_http1_conn_init(struct df_http1_conn *conn, df_http1_handler_fn fn, void *ud,
                        const struct df_http1_limits *limits);

/* Sets the head hook (NULL: none), called with the handler's `ud`. Before
 * the first feed. */
void df_http1_conn_set_head(struct df_http1_conn *conn, df_http1_head_fn fn);

/* Sets the callback that announces deferred output (NULL: none; the owner
 * then polls df_http1_conn_output). */
void df_http1_conn_set_ready(struct df_http1_conn *conn, df_http1_ready_fn fn, void *ud);

/* What the transport does next (feed, output and timeout return these, or
 * DF_ENOMEM: then send nothing more and close). */
#define DF_HTTP1_KEEP  0 /* read on and feed */
#define DF_HTTP1_CLOSE 1 /* close once the output is sent; later calls produce nothing */
#define DF_HTTP1_PAUSE                                                                             \
    2 /* answers are outstanding and no more input is taken: stop                                  \
       * reading until df_http1_conn_output returns KEEP, then call                                \
       * df_http1_conn_feed(conn, NULL, 0, out) to parse what was held */

/* Feeds `len` received bytes (any split of the stream is fine; NULL with 0
 * resumes parsing input held back during a PAUSE) and appends the responses
 * that are ready, in order, to `out`. `data` is not kept. Bytes fed during a
 * PAUSE are held (the transport should not read them). */
int df_http1_conn_feed(struct df_http1_conn *conn, const uint8_t *data, size_t len,
                       struct df_http1_out *out);

/* Appends the responses that became ready since the last call (after
 * df_http1_respond) to `out` and returns what to do next. */
int df_http1_conn_output(struct df_http1_conn *conn, struct df_http1_out *out);

/* The connection's timeout expired: queues a 408 response when a request
 * was partly received (nothing when idle) and closes. Returns CLOSE, PAUSE
 * when the 408 waits behind outstanding answers, or DF_ENOMEM; the output
 * ready is appended to `out`. */
int df_http1_conn_timeout(struct df_http1_conn *conn, struct df_http1_out *out);

/* The peer went away (or the transport gives up): every outstanding token
 * is cancelled (its cancel callback runs), nothing more is produced, and
 * later calls return CLOSE. Output already ready stays in `out`-able form
 * for df_http1_conn_output. */
void df_http1_conn_abort(struct df_http1_conn *conn);

/* Returns the connection's phase, which picks the timeout that applies. */
enum df_http1_phase df_http1_conn_phase(const struct df_http1_conn *conn);

/* Returns the number of requests taken so far: handed to the handler or
 * refused by the head hook. */
uint64_t df_http1_conn_requests(const struct df_http1_conn *conn);

/* Returns the number of requests handed to the handler whose answer has not
 * been produced yet (deferred, or waiting behind a deferred one). */
size_t df_http1_conn_pending(const struct df_http1_conn *conn);

/* Cancels outstanding tokens (as df_http1_conn_abort) and frees the
 * connection's buffers; `conn` may be initialised again. */
void df_http1_conn_free(struct df_http1_conn *conn);

/* ---- the server ------------------------------------------------------- */

struct df_http1_server;

/* How a server listens. Zero-initialised is the default. */
struct df_http1_server_config {
    struct df_http1_limits limits;
    /* SO_REUSEPORT: several servers (one per core) bind the same address
     * and port, and the kernel spreads the connections among them. Every
     * one of them must set it. */
    bool reuseport;
};

/* Binds `addr` (IPv4 or IPv6; port 0 picks a free port), listens, and serves
 * every connection on `loop` with fn(ud, ...). `cfg` may be NULL (defaults);
 * it is copied. Returns the server, or NULL with a message such as `cannot
 * listen on 127.0.0.1:8080: address already in use` in err[errlen]. Call on
 * the loop's thread; the loop must be run for the server to do anything. */
struct df_http1_server *df_http1_server_start(uv_loop_t *loop, const struct sockaddr *addr,
                                              df_http1_handler_fn fn, void *ud,
                                              const struct df_http1_server_config *cfg, char *err,
                                              size_t errlen);

/* Returns the port the server listens on. */
int df_http1_server_port(const struct df_http1_server *srv);

/* Closes the listener and every connection (responses not yet sent are
 * dropped, outstanding tokens cancelled) and frees the server; `done(done_ud)`
 * (may be NULL) is called on the loop's thread once all of the server's
 * handles are closed, after which the loop has nothing of the server left.
 * Call once, on the loop's thread; `srv` is invalid after the call. */
void df_http1_server_close(struct df_http1_server *srv, void (*done)(void *), void *done_ud);

#endif
