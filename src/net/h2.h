/* net/h2.h — sans-IO HTTP/2 connections (RFC 9113) on nghttp2's memory API,
 * for the OTLP/gRPC and OTLP/HTTP (h2c) receivers and the OTLP/gRPC
 * exporter.
 *
 * A connection object never touches a socket or a loop. The engine feeds it
 * the bytes it received (df_h2_*_feed), writes out what the connection has
 * to send (df_h2_*_pending_output / df_h2_*_consume_output), and closes the
 * transport when df_h2_*_want_close says so (after writing the last bytes).
 * Complete requests and responses are reported through callbacks; TLS,
 * timers and sockets are the engine's.
 *
 * Server (struct df_h2_server_conn): prior-knowledge h2c or h2 after ALPN
 * (no HTTP/1.1 Upgrade). Each complete request is handed to on_request with
 * its body; the answer may come in the same call or any time later
 * (df_h2_server_respond, df_grpc_respond), e.g. after a downstream
 * acknowledgement. gRPC requests (content-type application/grpc*) have
 * their body unframed and decompressed by the connection, which answers by
 * itself (without calling on_request) when a call is malformed: unknown
 * grpc-encoding -> UNIMPLEMENTED, message over the limit -> RESOURCE_EXHAUSTED,
 * bad framing or undecodable data -> INTERNAL, not exactly one message ->
 * UNIMPLEMENTED. Plain HTTP requests get Content-Encoding (gzip, deflate,
 * zstd) removed, 413 for a body over the limit, 415 for an unknown
 * encoding, 431 for too large a header list. Such a request is answered
 * early and the client told to stop sending (RST_STREAM NO_ERROR after the
 * answer); the body is never buffered past the limit and other streams on
 * the connection carry on.
 *
 * A server may also decide a request from its headers alone (on_headers,
 * e.g. authentication): called once the header block is complete and
 * before any of the body is read, it either lets the request go on or
 * answers it at once; a refused request's body is then dropped as it
 * arrives, never buffered, and the connection carries on (see
 * df_h2_headers_fn).
 *
 * Client (struct df_h2_client_conn): requests with a complete body, the
 * response reported whole (headers, body, trailers) or as an error.
 *
 * Bounds: concurrent streams (ours and, for the client, the peer's
 * SETTINGS), header list size, body size per stream, and the output held
 * by the connection (max_output_buffer; beyond it the connection stops
 * producing frames, and nghttp2 tears the connection down when a peer
 * that does not read keeps asking for SETTINGS/PING acknowledgements).
 * Memory per connection is therefore about max_concurrent_streams x
 * max_body plus max_output_buffer plus one frame.
 *
 * Threads: a connection and its callbacks belong to the thread that created
 * it; no function may be called from another thread. Callbacks run inside
 * feed/respond/request calls; they may call respond/request on the same
 * connection but must not free it. */
#ifndef DF_NET_H2_H
#define DF_NET_H2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "df/error.h"
#include "net/compress.h"
#include "net/grpc.h"

/* Limits of one connection. A zero field takes its default. */
struct df_h2_limits {
    uint32_t max_concurrent_streams; /* streams open at once; 100 */
    size_t max_header_list_size;     /* per header block, RFC 9113 sizing; 16 KiB */
    size_t max_body;                 /* per request (server) or response (client) body,
                                      * on the wire and decompressed; 4 MiB */
    size_t max_output_buffer;        /* output held before the engine takes it; 1 MiB */
};

#define DF_H2_MAX_CONCURRENT_STREAMS 100
#define DF_H2_MAX_HEADER_LIST_SIZE   ((size_t)16 << 10)
#define DF_H2_MAX_BODY               ((size_t)4 << 20)
#define DF_H2_MAX_OUTPUT_BUFFER      ((size_t)1 << 20)

/* Returns `limits` (NULL means all defaults) with zero fields defaulted. */
struct df_h2_limits df_h2_limits_resolve(const struct df_h2_limits *limits);

/* A header field. Received names are lowercase (HTTP/2 requires it);
 * strings are NUL-terminated (nghttp2 rejects NUL, CR and LF in fields).
 * Headers given to respond/request must be lowercase too and must not be
 * pseudo-headers or connection-specific (connection, transfer-encoding). */
struct df_h2_header {
    const char *name;
    const char *value;
};

/* ---- server ------------------------------------------------------------- */

struct df_h2_server_conn;

/* One complete request, valid only during the on_request call. */
struct df_h2_request {
    int32_t stream_id;        /* the handle for df_h2_server_respond */
    const char *method;       /* :method */
    const char *path;         /* :path, as sent */
    const char *authority;    /* :authority, or the host header; "" when neither */
    const char *scheme;       /* :scheme */
    const char *content_type; /* these four: NULL when absent */
    const char *te;
    const char *grpc_encoding;
    const char *grpc_timeout;
    bool has_timeout; /* grpc-timeout was present and valid */
    uint64_t timeout_ms;
    bool is_grpc;                       /* content-type application/grpc or application/grpc+... */
    const struct df_h2_header *headers; /* every non-pseudo field, in order, repeats kept */
    size_t nheaders;
    /* The body: for gRPC the single request message, decompressed; else the
     * request body with its Content-Encoding removed. Never NULL; empty in
     * on_headers, which comes before the body. */
    const uint8_t *body;
    size_t body_len;
    /* What on_headers stored for this stream; NULL without on_headers and
     * in on_headers itself. */
    void *stream_ud;
};

/* Called when a request's header block is complete and passed the
 * connection's own checks (header list size, gRPC method and
 * grpc-encoding, Content-Encoding, an announced length over the limit),
 * before any DATA of it is read: `req` has everything but the body (see
 * struct df_h2_request). It decides the request from its headers:
 *
 *   true   the request goes on: its body is read and it reaches on_request,
 *          with req->stream_ud set to what this call stored in *stream_ud
 *          (NULL on entry);
 *   false  the request is refused; the call answers it first, with
 *          df_h2_server_respond or df_grpc_respond on req->stream_id (for
 *          gRPC a status without a body: a Trailers-Only response).
 *          on_request and on_stream_close are never called for it; its DATA
 *          is dropped as it arrives, never buffered, while the connection
 *          still returns the flow-control credit (so neither the stream nor
 *          the connection window stalls); once the answer is completely
 *          sent, RST_STREAM(NO_ERROR) tells the client to stop sending the
 *          rest of the body (RFC 9113 8.1), as for the connection's own
 *          early answers. Other streams carry on.
 *
 * Fail-closed: a call that answered the stream refused it whatever it
 * returns, and false without an answer (the answer failed: out of memory,
 * invalid field) resets the stream with RST_STREAM(INTERNAL_ERROR), so a
 * refused request never goes on. A request whose END_STREAM came with its
 * headers is decided the same way. Not called for request trailers. */
typedef bool (*df_h2_headers_fn)(void *ud, struct df_h2_server_conn *c,
                                 const struct df_h2_request *req, void **stream_ud);

/* Called once per request that reached the engine: ud is the server's. */
typedef void (*df_h2_request_fn)(void *ud, struct df_h2_server_conn *c,
                                 const struct df_h2_request *req);

/* Called when a stream that went to on_request closes before its response
 * was completely sent (client reset, connection teardown). `h2_error` is
 * the RST_STREAM/GOAWAY code. A later respond on it is a no-op. */
typedef void (*df_h2_stream_close_fn)(void *ud, struct df_h2_server_conn *c, int32_t stream_id,
                                      uint32_t h2_error);

struct df_h2_server_callbacks {
    df_h2_request_fn on_request;           /* required */
    df_h2_stream_close_fn on_stream_close; /* may be NULL */
    df_h2_headers_fn on_headers;           /* may be NULL: every request is read whole */
};

/* Creates a server connection and queues its SETTINGS. `cb` is copied.
 * Returns NULL on allocation failure. */
struct df_h2_server_conn *df_h2_server_new(const struct df_h2_server_callbacks *cb, void *ud,
                                           const struct df_h2_limits *limits);

/* Frees the connection and everything pending; calls no callback. NULL is
 * a no-op. */
void df_h2_server_free(struct df_h2_server_conn *c);

/* Processes data[0..len) from the client. Returns 0, or when the
 * connection must close (bad preface, protocol error, flood, allocation
 * failure) DF_EPARSE / DF_ENOMEM after queuing GOAWAY: write out the pending
 * output, then close. Feeding a dead connection returns DF_EIO. */
int df_h2_server_feed(struct df_h2_server_conn *c, const uint8_t *data, size_t len);

/* The transport failed or the client closed it: every stream still waiting
 * for its answer is reported to on_stream_close (NGHTTP2_INTERNAL_ERROR)
 * and the connection is dead (want_close is true; respond is a no-op). Call
 * it before df_h2_server_free when answers may be pending. */
void df_h2_server_fail(struct df_h2_server_conn *c);

/* Bytes to write to the client: sets *data and *len (len 0 when nothing is
 * pending). The pointer stays valid until the next call of another
 * df_h2_server_* function on `c`. */
void df_h2_server_pending_output(struct df_h2_server_conn *c, const uint8_t **data, size_t *len);

/* Marks the first n pending bytes as written (n <= the pending length). */
void df_h2_server_consume_output(struct df_h2_server_conn *c, size_t n);

/* True when the connection is finished (GOAWAY exchanged, fatal error, or
 * the peer closed cleanly) and all output has been consumed: close it. */
bool df_h2_server_want_close(const struct df_h2_server_conn *c);

/* From inside on_request, before responding: takes the request's body
 * buffer (the req->body bytes) so that the caller keeps it without copying;
 * it is malloc'd, the caller frees it. NULL when there is none to take (an
 * empty body): then copy req->body. */
uint8_t *df_h2_server_take_body(struct df_h2_server_conn *c, int32_t stream_id);

/* Queues a PING (keepalive); its acknowledgement shows in the stats'
 * pings_acked. No-op on a dead connection. */
void df_h2_server_ping(struct df_h2_server_conn *c);

/* Starts a graceful shutdown: GOAWAY tells the client no new streams will
 * be accepted; streams already open complete, then want_close is true. */
void df_h2_server_shutdown(struct df_h2_server_conn *c);

/* Responds on `stream_id` (from on_request or later, or from on_headers to
 * refuse the request) with `status` (100..599; 1xx is refused), the
 * given headers, body (copied; NULL/0 for none) and trailers (NULL/0 for
 * none; sent as a final HEADERS frame). content-length is not added.
 * Returns 0; DF_ENOENT when the stream is closed or unknown (a harmless
 * no-op: the client went away, or the answer was completely sent);
 * DF_EEXIST when it was answered and the answer is still being sent;
 * DF_EINVAL for a bad status or field; DF_ENOMEM. */
int df_h2_server_respond(struct df_h2_server_conn *c, int32_t stream_id, int status,
                         const struct df_h2_header *headers, size_t nheaders, const uint8_t *body,
                         size_t body_len, const struct df_h2_header *trailers, size_t ntrailers);

/* Answers a gRPC call. A status other than OK with no body is sent as a
 * Trailers-Only response; otherwise HEADERS (content-type application/grpc),
 * body[0..len) framed as one uncompressed message (an empty one for OK
 * with a NULL body; none for other statuses with a NULL body),
 * then trailers grpc-status, grpc-message (percent-encoded; omitted when
 * NULL or empty) and, when retry_delay_ms >= 0, grpc-status-details-bin
 * with a RetryInfo. Returns as df_h2_server_respond. */
int df_grpc_respond(struct df_h2_server_conn *c, int32_t stream_id, enum df_grpc_status status,
                    const char *message, const uint8_t *body, size_t len, int64_t retry_delay_ms);

/* Counters, for metrics and tests. */
struct df_h2_server_stats {
    uint64_t requests;     /* handed to on_request */
    uint64_t rejected;     /* answered by the connection itself */
    uint64_t refused;      /* refused by on_headers */
    uint64_t resets;       /* streams closed by the client before the answer */
    uint32_t open_streams; /* currently open */
    uint64_t pings_acked;  /* our PINGs the client acknowledged */
};

void df_h2_server_stats(const struct df_h2_server_conn *c, struct df_h2_server_stats *out);

/* ---- client ------------------------------------------------------------- */

struct df_h2_client_conn;

#define DF_H2_RESULTS(X)                                                                           \
    X(DF_H2_OK, "ok")                         /* a complete response */                            \
    X(DF_H2_RESET, "stream reset")            /* RST_STREAM before the response ended */           \
    X(DF_H2_REFUSED, "refused")               /* not processed (GOAWAY, REFUSED_STREAM): retry */  \
    X(DF_H2_TOO_LARGE, "response too large")  /* headers or body over the limits */                \
    X(DF_H2_CONN_FAILED, "connection failed") /* protocol error or df_h2_client_fail */

enum df_h2_result {
#define DF_H2_RESULT_ENUM(name, text) name,
    DF_H2_RESULTS(DF_H2_RESULT_ENUM)
#undef DF_H2_RESULT_ENUM
};

const char *df_h2_result_name(enum df_h2_result r);

/* The outcome of one request, valid only during the on_response call. */
struct df_h2_response {
    void *req_ud; /* as given to df_h2_client_request */
    int32_t stream_id;
    enum df_h2_result result;
    uint32_t h2_error; /* the RST_STREAM / GOAWAY code for errors */
    int status;        /* :status; 0 when none arrived */
    const struct df_h2_header *headers;
    size_t nheaders;
    const uint8_t *body; /* as received (no Content-Encoding removed); never NULL */
    size_t body_len;
    const struct df_h2_header *trailers;
    size_t ntrailers;
};

/* Called exactly once per request accepted by df_h2_client_request. */
typedef void (*df_h2_response_fn)(void *ud, struct df_h2_client_conn *c,
                                  const struct df_h2_response *res);

/* Creates a client connection and queues its preface and SETTINGS. `https`
 * selects the :scheme sent. Returns NULL on allocation failure. */
struct df_h2_client_conn *df_h2_client_new(df_h2_response_fn on_response, void *ud,
                                           const struct df_h2_limits *limits, bool https);

/* Frees the connection without calling on_response for pending requests
 * (call df_h2_client_fail first to have them reported). NULL is a no-op. */
void df_h2_client_free(struct df_h2_client_conn *c);

/* Starts a request with a complete body (copied; NULL/0 for none). Returns
 * the stream id (> 0); DF_ERANGE when max concurrent streams (ours or the
 * peer's) are in use (retry after a response); DF_EIO when the connection
 * no longer accepts requests (GOAWAY received, failed); DF_EINVAL; DF_ENOMEM. */
int32_t df_h2_client_request(struct df_h2_client_conn *c, const char *method, const char *path,
                             const char *authority, const struct df_h2_header *headers,
                             size_t nheaders, const uint8_t *body, size_t body_len, void *req_ud);

/* As df_h2_server_feed, for the server's bytes. On a fatal error the
 * pending requests are reported (DF_H2_CONN_FAILED) before it returns. */
int df_h2_client_feed(struct df_h2_client_conn *c, const uint8_t *data, size_t len);

void df_h2_client_pending_output(struct df_h2_client_conn *c, const uint8_t **data, size_t *len);
void df_h2_client_consume_output(struct df_h2_client_conn *c, size_t n);
bool df_h2_client_want_close(const struct df_h2_client_conn *c);

/* Cancels a pending request (RST_STREAM CANCEL); its on_response reports
 * DF_H2_RESET. Returns 0 or DF_ENOENT when it is not pending. */
int df_h2_client_cancel(struct df_h2_client_conn *c, int32_t stream_id);

/* The transport failed or closed: every pending request is reported with
 * DF_H2_CONN_FAILED and the connection is dead (want_close is true). */
void df_h2_client_fail(struct df_h2_client_conn *c);

/* Requests in flight, and how many more may start now. */
uint32_t df_h2_client_open_streams(const struct df_h2_client_conn *c);
uint32_t df_h2_client_available_streams(const struct df_h2_client_conn *c);

/* ---- gRPC client helpers ------------------------------------------------ */

/* Starts a unary gRPC call: POST `path` with content-type application/grpc,
 * te trailers, grpc-encoding `encoding` (the message compressed with it
 * unless identity), grpc-accept-encoding, and grpc-timeout when timeout_ms
 * > 0, plus `headers` (metadata). Returns as df_h2_client_request. */
int32_t df_grpc_client_call(struct df_h2_client_conn *c, const char *path, const char *authority,
                            const struct df_h2_header *headers, size_t nheaders, const uint8_t *msg,
                            size_t len, enum df_encoding encoding, uint64_t timeout_ms,
                            void *req_ud);

/* The outcome of a gRPC call. */
struct df_grpc_result {
    enum df_grpc_status status;
    char *message;           /* grpc-message decoded, or a description; malloc'd or NULL */
    bool has_retry_info;     /* grpc-status-details-bin had a RetryInfo */
    uint64_t retry_delay_ms; /* its delay */
    uint8_t *body;           /* the response message, decompressed; malloc'd or NULL */
    size_t body_len;
};

/* Turns a response into a gRPC outcome: transport errors and non-200 HTTP
 * statuses become their gRPC statuses (PROTOCOL-HTTP2.md), grpc-status and
 * grpc-message come from the trailers (or the headers of a Trailers-Only
 * response), the body is unframed and decompressed (at most max_message
 * bytes; more than one message is UNIMPLEMENTED). Returns 0 (even for a
 * failed call: see out->status) or DF_ENOMEM. Release with
 * df_grpc_result_free. */
int df_grpc_result_from_response(const struct df_h2_response *res, size_t max_message,
                                 struct df_grpc_result *out);

void df_grpc_result_free(struct df_grpc_result *r);

#endif
