/* net/http1_proto.h — an HTTP/1.1 server connection (net/http1.h's engine)
 * as a df_proto, so that it runs over net/conn.h's sockets, behind TLS or
 * beside HTTP/2 on one port. It adds what the engine leaves to its
 * transport: the head and body timeouts (a 408 and the close), pausing input
 * while `max_pending` answers are outstanding, and sending deferred answers
 * as soon as they are ready. Loop thread only. */
#ifndef DF_NET_HTTP1_PROTO_H
#define DF_NET_HTTP1_PROTO_H

#include "net/conn.h"
#include "net/http1.h"

/* What a protocol's owner may add to its request handler. */
struct df_http1_proto_hooks {
    df_http1_head_fn on_head; /* NULL: none; see df_http1_head_fn (same `ud`) */
    /* NULL: none. The protocol is being destroyed and will call nothing
     * more with `ud` (outstanding answers were cancelled just before):
     * per-connection state behind `ud` may be freed. */
    void (*on_destroy)(void *ud);
};

/* A protocol for `conn` whose requests go to fn(ud, ...); `limits` may be
 * NULL (defaults; max_connections is the listener's business), `hooks` too
 * (none; copied). NULL on exhaustion (on_destroy is not called then). */
struct df_proto *df_http1_proto_new(struct df_conn *conn, df_http1_handler_fn fn, void *ud,
                                    const struct df_http1_limits *limits,
                                    const struct df_http1_proto_hooks *hooks);

#endif
