/* net/tls_proto.h — TLS as a layer between a connection and a protocol.
 *
 * A df_proto (net/conn.h) that decrypts what the socket brings and feeds the
 * plaintext to an inner protocol, and encrypts the inner protocol's output.
 * On a server the inner protocol is chosen once the first application bytes
 * arrive, knowing the ALPN the client agreed on (h2 or http/1.1); a client
 * gives its inner protocol up front, whose output flows once the handshake
 * is done. When the inner protocol is done, close_notify is sent. A failed
 * handshake closes the connection after sending the alert; the reason is
 * logged by the owner through `on_fail`. Loop thread only. */
#ifndef DF_NET_TLS_PROTO_H
#define DF_NET_TLS_PROTO_H

#include "net/conn.h"
#include "net/tls.h"

/* Chooses the inner protocol of a server connection from its first
 * plaintext bytes and the agreed ALPN (NULL when none); NULL closes. The
 * handshake is done: `tls` is the session, for df_tls_peer_subject and
 * df_tls_peer_sans (the client certificate is fixed for the connection's
 * life: no renegotiation), valid during the call only. */
typedef struct df_proto *(*df_tls_inner_fn)(void *ud, struct df_conn *conn, const char *alpn,
                                            const struct df_tls_conn *tls, const uint8_t *first,
                                            size_t len);

/* Told why a connection's TLS failed (handshake or later). */
typedef void (*df_tls_fail_fn)(void *ud, const char *reason);

/* A server side: NULL on exhaustion. `ctx` must outlive the connection. */
struct df_proto *df_tls_proto_server(const struct df_tls_ctx *ctx, struct df_conn *conn,
                                     df_tls_inner_fn select, df_tls_fail_fn on_fail, void *ud);

/* A client side for `host` around `inner` (owned from now on, destroyed
 * with the layer). NULL with a message in `err` (then `inner` is destroyed). */
struct df_proto *df_tls_proto_client(const struct df_tls_ctx *ctx, const char *host,
                                     struct df_proto *inner, df_tls_fail_fn on_fail, void *ud,
                                     char *err, size_t errlen);

#endif
