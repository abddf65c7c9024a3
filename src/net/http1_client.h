/* net/http1_client.h — the socket-free client side of HTTP/1.1, for the
 * OTLP/HTTP exporter.
 *
 * struct df_http1_client is one connection's codec: df_http1_client_request
 * serialises a request (with Host and Content-Length), df_http1_client_feed
 * parses the server's bytes with http-parser (any split is fine) and reports
 * each complete response through a callback: status, headers, Retry-After,
 * body (Content-Length, chunked, or delimited by the end of the connection:
 * see df_http1_client_eof), and whether the connection can carry the next
 * request. One request at a time per connection (no pipelining); interim 1xx
 * responses are skipped. Response heads and bodies are bounded by limits
 * checked before the bytes are buffered.
 *
 * Threads: a client codec belongs to the thread that calls it; the callback
 * runs inside df_http1_client_feed / df_http1_client_eof. */
#ifndef DF_NET_HTTP1_CLIENT_H
#define DF_NET_HTTP1_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <http_parser.h>

#include "net/http1.h"

/* Limits of one client connection. A zero field takes its default. */
struct df_http1_client_limits {
    size_t max_head_bytes; /* status line + headers (+ trailers); 16 KiB */
    size_t max_headers;    /* header lines per response; 100 */
    size_t max_body_bytes; /* decoded response body; 1 MiB */
};

/* One complete response, valid only during the callback. */
struct df_http1_client_response {
    int status;
    const struct df_http1_header *headers; /* in order, chunked trailers last */
    size_t nheaders;
    const uint8_t *body; /* never NULL; followed by a NUL not counted in body_len */
    size_t body_len;
    /* Retry-After in seconds from now (an HTTP-date in the past gives 0);
     * -1 when absent or unparseable. */
    int64_t retry_after_s;
    bool keep_alive; /* false: close the connection; it carries no more requests */
};

typedef void (*df_http1_response_fn)(void *ud, const struct df_http1_client_response *res);

/* The fields are private. */
struct df_http1_client {
    http_parser parser;
    df_http1_response_fn fn;
    void *ud;
    struct df_http1_client_limits limits;
    time_t now; /* fixed clock for Retry-After dates (tests); 0: time(NULL) */
    int state;  /* idle, waiting for a response, closed, failed */
    int err;    /* error chosen inside a parser callback */
    int last;   /* which kind of data callback ran last */
    bool head_request;
    char *head; /* NUL-terminated header names and values */
    size_t head_len, head_cap;
    uint32_t *offs;
    struct df_http1_header *hdrs;
    size_t nhdrs, hdrs_cap;
    uint8_t *body;
    size_t body_len, body_cap;
};

/* Prepares `cl` for a new connection; responses go to fn(ud, ...).
 * `limits` may be NULL (defaults); it is copied. Allocates nothing. */
void df_http1_client_init(struct df_http1_client *cl, df_http1_response_fn fn, void *ud,
                          const struct df_http1_client_limits *limits);

/* Appends a request to `out`: `method` `path` HTTP/1.1, `Host: host`, the
 * given headers (not Host, Content-Length nor Transfer-Encoding; names must
 * be tokens and values free of control characters), Content-Length when
 * there is a body or the method is not GET/HEAD, then body[0..len). Marks a
 * response as expected. Returns 0, DF_EINVAL (bad argument, a request
 * already in flight, or the connection is done) or DF_ENOMEM. */
int df_http1_client_request(struct df_http1_client *cl, struct df_http1_out *out,
                            const char *method, const char *host, const char *path,
                            const struct df_http1_header *headers, size_t nheaders,
                            const void *body, size_t len);

/* Feeds bytes received from the server (not kept). Calls the callback for a
 * complete response. Returns DF_HTTP1_KEEP (the connection stays usable),
 * DF_HTTP1_CLOSE (a response said close: close the connection), or a
 * negative error, after which the connection must be closed: DF_EPARSE
 * (malformed, or bytes with no request in flight), DF_ERANGE (a limit was
 * passed: head or body too large), DF_ENOMEM. Once CLOSE or an error was
 * returned, later calls return the same and call nothing. */
int df_http1_client_feed(struct df_http1_client *cl, const uint8_t *data, size_t len);

/* The server closed the connection: completes a response whose body runs
 * to the end of the connection (calling the callback). Returns
 * DF_HTTP1_CLOSE, or DF_EPARSE when a response was cut short (or none came
 * for the request in flight). */
int df_http1_client_eof(struct df_http1_client *cl);

/* Returns whether a response is awaited. */
bool df_http1_client_busy(const struct df_http1_client *cl);

/* Parses a Retry-After value: delay-seconds, or an HTTP-date (IMF-fixdate,
 * RFC 850 or asctime form) turned into seconds after `now` (0 when past).
 * Returns 0 with *secs set, or DF_EPARSE. */
int df_http1_retry_after(const char *value, time_t now, int64_t *secs);

/* Frees the codec's buffers; `cl` may be initialised again. */
void df_http1_client_free(struct df_http1_client *cl);

#endif
