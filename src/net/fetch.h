/* net/fetch.h — asynchronous HTTP(S) requests for slow-path fetches:
 * what an extension's background task needs from a web server now and then
 * (a JWKS document, an OAuth2 token), never the telemetry data path.
 *
 * Built on libcurl's multi "socket" interface driven by a libuv loop: one
 * uv_poll_t per socket libcurl asks to watch, one uv_timer_t for libcurl's
 * timeouts. Nothing blocks the loop (host names are resolved on libcurl's
 * resolver threads). Requests on one client share libcurl's connection
 * cache, so repeated fetches of one server reuse their connection.
 *
 * What a request may do, whatever the server answers: only http:// and
 * https:// (redirects included); at most 3 redirects (a 301/302/303 turns a
 * POST into a GET, as browsers do, a 307/308 repeats it with its body; an
 * Authorization or Cookie header is not sent to another host, port or
 * scheme, the other headers are); a bounded time for the whole request; a
 * bounded response body (enforced while it arrives); TLS 1.2 or later, the
 * peer certificate and host name verified unless a test says otherwise.
 * Proxies are never used: the http_proxy / https_proxy / no_proxy
 * environment variables are ignored, so a fetch goes where its URL says.
 * HTTP/1.1, or HTTP/2 with an https server that offers it. The response
 * body is handed over as received (no Accept-Encoding is sent).
 *
 * Threads: a client belongs to one loop and is used only on that loop's
 * thread: every function here is called there and every callback runs
 * there. Clients on different threads' loops are independent and may run
 * at the same time (libcurl's global initialisation is done once per
 * process, on the first df_fetch_client_new, whichever thread it is on). */
#ifndef DF_NET_FETCH_H
#define DF_NET_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#define DF_FETCH_DEFAULT_TIMEOUT_NS (30ull * 1000000000ull)
#define DF_FETCH_DEFAULT_MAX_BODY   ((size_t)1 << 20)
#define DF_FETCH_MAX_REDIRECTS      3
#define DF_FETCH_ERROR_MAX          256

/* One libuv loop's requests (libcurl multi handle, its uv handles). */
struct df_fetch_client;

/* One request, from df_fetch_start until its callback returns. */
struct df_fetch_op;

/* A request. Everything is copied by df_fetch_start: the struct and the
 * memory it points to need not outlive the call. */
struct df_fetch_req {
    const char *method;         /* "GET" (also when NULL) or "POST"; nothing else */
    const char *url;            /* absolute http:// or https:// URL; required */
    const char *const *headers; /* "Name: value" lines without CR/LF, NULL-terminated; NULL =
                                   none. "Name:" with no value removes a header libcurl
                                   would send (Accept, User-Agent, ...). A POST without
                                   Content-Type is sent as application/x-www-form-urlencoded
                                   (libcurl's default) */
    const void *body;           /* POST body, body_len bytes (NULL when 0); GET has none */
    size_t body_len;
    uint64_t timeout_ns;       /* the whole request, redirects included; 0 = 30 s */
    size_t max_body;           /* a larger response body fails the request with DF_ERANGE, as
                                  soon as it is announced or received; 0 = 1 MiB */
    const char *ca_file;       /* PEM bundle: the only CAs trusted for https; NULL = the
                                  system's default trust store */
    bool insecure_skip_verify; /* accept any server certificate and name. Tests only */
};

/* The outcome of one request, valid only during the callback. */
struct df_fetch_result {
    /* 0: an HTTP response arrived (whatever its status). Else a negative
     * code: DF_ETIMEDOUT (timeout_ns passed), DF_ERANGE (body over
     * max_body), DF_ECANCELED (df_fetch_cancel or df_fetch_client_close),
     * DF_ENOMEM, DF_EIO (any transport failure: resolution, connection,
     * TLS, protocol, too many redirects, a redirect to another scheme). */
    int rc;
    long status;              /* HTTP status of the last response; 0 when none or DF_ECANCELED */
    const char *content_type; /* its Content-Type; NULL when absent or rc != 0 */
    const uint8_t *body;      /* never NULL; followed by a NUL not counted in body_len */
    size_t body_len;          /* 0 when rc != 0 */
    char error[DF_FETCH_ERROR_MAX]; /* when rc != 0: what happened, in words
                                       (libcurl's message, and which limit was hit);
                                       "" when rc == 0 */
};

/* Called exactly once per started request, from the loop (never inside a
 * df_fetch_* call). The result and everything it points to are valid only
 * during the call. The callback may start requests, cancel others, or close
 * the client. */
typedef void (*df_fetch_cb)(void *ud, const struct df_fetch_result *r);

/* Makes a client for `loop`. Returns NULL when libcurl cannot be
 * initialised or memory is exhausted. The client's handles do not keep the
 * loop alive while no request is in flight, but the loop cannot be closed
 * before df_fetch_client_close finished. */
struct df_fetch_client *df_fetch_client_new(uv_loop_t *loop);

/* Starts `req`; cb(ud, result) runs once when it ends. When `op` is not
 * NULL, *op receives the handle for df_fetch_cancel, valid until the
 * callback returns. Returns 0, or (and then the callback never runs and *op
 * is untouched) DF_EINVAL for a request breaking the rules of struct
 * df_fetch_req or a client being closed, DF_ENOMEM on exhaustion, DF_EIO
 * when libcurl refuses the transfer. */
int df_fetch_start(struct df_fetch_client *c, const struct df_fetch_req *req, df_fetch_cb cb,
                   void *ud, struct df_fetch_op **op);

/* Stops a request: its callback runs later with rc DF_ECANCELED, even when
 * its response had already arrived and was waiting to be handed over. A no-op
 * for NULL, a second time, or from the request's own callback. */
void df_fetch_cancel(struct df_fetch_op *op);

/* Cancels every request not yet handed over (their callbacks run with
 * DF_ECANCELED), closes the client's connections and uv handles, frees the
 * client, and then calls closed(ud) (`closed` may be NULL). All of it runs
 * from the loop after this returns. Call once. Until `closed` runs, `c` may
 * still be given to df_fetch_start (from those callbacks, say), which then
 * fails with DF_EINVAL; after it, `c` is gone. */
void df_fetch_client_close(struct df_fetch_client *c, void (*closed)(void *ud), void *ud);

#endif
