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
 * at the same time (libcurl is loaded and initialised once per process, on
 * the first df_fetch_client_new, whichever thread it is on). */
#ifndef DF_NET_FETCH_H
#define DF_NET_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "df/fetch.h"

/* One libuv loop's requests (libcurl multi handle, its uv handles). */
struct df_fetch_client;

/* One request, from df_fetch_start until its callback returns. */
struct df_fetch_op;

/* Makes a client for `loop` in *out. Returns 0, DF_EIO when libcurl
 * (libcurl.so.4, loaded on the first call; the reason is logged once)
 * cannot be loaded or initialised, DF_ENOMEM when memory is exhausted. The
 * client's handles do not keep the loop alive while no request is in
 * flight, but the loop cannot be closed before df_fetch_client_close
 * finished. */
int df_fetch_client_new(uv_loop_t *loop, struct df_fetch_client **out);

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
