/* net/conn.h — listeners and server connections on a core's libuv loop.
 *
 * The protocol code (HTTP/1.1, HTTP/2 + gRPC) is sans-IO: it is fed bytes
 * and produces bytes. This module owns the sockets: a listener bound with
 * SO_REUSEPORT (every core binds the same address and the kernel spreads the
 * connections), and per accepted connection the read/write pump between the
 * socket and a `struct df_proto`, with an idle timeout and a bound on unsent
 * output (reading stops while the peer does not read our answers).
 *
 * The protocol is chosen when the first bytes arrive (`select`), so that one
 * port can serve HTTP/1.1 and prior-knowledge HTTP/2 by sniffing the
 * connection preface.
 *
 * Client connections (exporters) use the same pump: df_conn_connect
 * resolves, connects with a timeout and then drives the given protocol.
 *
 * Threads: a listener and its connections belong to the loop's thread; every
 * function here and every callback runs there. */
#ifndef DF_NET_CONN_H
#define DF_NET_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

struct df_proto;

struct df_proto_ops {
    /* Consumes received bytes. Returns 0, or a negative code when the
     * connection must close (after the output already queued is sent). */
    int (*feed)(struct df_proto *p, const uint8_t *data, size_t len);
    /* Bytes ready to send: stores a pointer and returns their count (0 =
     * none). The bytes stay valid until `consumed`. */
    size_t (*output)(struct df_proto *p, const uint8_t **data);
    /* The first `n` bytes of `output` were taken. */
    void (*consumed)(struct df_proto *p, size_t n);
    /* True when the protocol wants the connection closed once its output is
     * sent (Connection: close, GOAWAY sent, ...). */
    bool (*done)(struct df_proto *p);
    /* Frees the protocol state; the connection is going away. */
    void (*destroy)(struct df_proto *p);
    /* Optional: false while the protocol takes no more input (answers are
     * outstanding); reading resumes at the next df_conn_flush where it is
     * true again. NULL = always true. */
    bool (*want_read)(struct df_proto *p);
};

struct df_proto {
    const struct df_proto_ops *ops;
};

struct df_conn;

/* Picks and creates the protocol for a new connection from its first bytes
 * (at least `len` >= 1 of them; more may follow). Return NULL to close the
 * connection. `conn` is handed so that the protocol can ask for flushes of
 * deferred output later (df_conn_flush). */
typedef struct df_proto *(*df_proto_select_fn)(void *ud, struct df_conn *conn, const uint8_t *first,
                                               size_t len);

struct df_listener_opts {
    bool reuseport;           /* SO_REUSEPORT: one socket per core on the same address */
    bool tcp_nodelay;         /* disable Nagle on accepted sockets (default true) */
    uint64_t idle_timeout_ms; /* close a connection silent this long (0 = never) */
    size_t max_output;        /* stop reading while this much output is unsent */
    unsigned max_connections; /* accepted and then closed beyond this (0 = no limit) */
};

struct df_listener;

/* Binds and listens on `addr` on `loop`. NULL with a message in `err`
 * (`cannot listen on 127.0.0.1:4317: address already in use`). */
struct df_listener *df_listener_start(uv_loop_t *loop, const struct sockaddr *addr,
                                      const struct df_listener_opts *opts,
                                      df_proto_select_fn select, void *ud, char *err,
                                      size_t errlen);

/* The bound port (useful with port 0). */
int df_listener_port(const struct df_listener *l);

/* Connections currently open. */
unsigned df_listener_connections(const struct df_listener *l);

/* Stops accepting; open connections stay until they end or
 * df_listener_close_all. */
void df_listener_stop_accepting(struct df_listener *l);

/* Stops accepting and lets every connection end gracefully: each sends
 * what its protocol has queued (an HTTP/2 protocol its GOAWAY) and closes;
 * `done(ud)` runs once all are closed and the listener is freed. */
void df_listener_shutdown(struct df_listener *l, void (*done)(void *), void *done_ud);

/* Closes the listener and every connection (their protocols destroyed);
 * `done(ud)` runs once every handle is closed. */
void df_listener_close(struct df_listener *l, void (*done)(void *), void *done_ud);

struct df_conn_client_opts {
    const char *host; /* name or IP literal; resolved on the thread pool */
    uint16_t port;
    uint64_t connect_timeout_ms; /* resolving and connecting (0 = none) */
    uint64_t idle_timeout_ms;    /* close when nothing was received this long (0 = never) */
    bool tcp_nodelay;
    size_t max_output; /* stop reading while this much output is unsent (0 = 4 MiB) */
};

/* A client connection's events: `status` 0 once connected (the protocol may
 * send: call df_conn_flush), then exactly once a negative libuv code when it
 * ends (connection refused, timed out, reset, closed by either side: UV_EOF
 * for an orderly close). During the negative event the protocol still
 * exists (the owner may fail what it had in flight on it); right after, the
 * connection and its protocol are freed, and no df_conn_* call may be made on
 * it from the event. A connection that fails before connecting gets only the
 * negative event. */
typedef void (*df_conn_event_fn)(void *ud, struct df_conn *c, int status);

/* Starts connecting to o->host:o->port; `proto` (owned by the connection
 * from now on) is driven once connected. Never NULL except on exhaustion (then
 * `proto` is destroyed and no event follows). */
struct df_conn *df_conn_connect(uv_loop_t *loop, const struct df_conn_client_opts *o,
                                struct df_proto *proto, df_conn_event_fn on_event, void *ud);

/* Closes a connection now (pending output dropped); a client connection's
 * event callback still runs with UV_ECANCELED. */
void df_conn_close(struct df_conn *c);

/* Asks the connection to send whatever its protocol has queued (deferred
 * answers) and to close if the protocol is done. */
void df_conn_flush(struct df_conn *c);

/* The loop the connection runs on (for the protocol's own timers). */
uv_loop_t *df_conn_loop(struct df_conn *c);

/* The peer's address, for logs and authentication. */
const struct sockaddr_storage *df_conn_peer(const struct df_conn *c);

#endif
