/* net/tls.h — TLS for the engine's listeners (OTLP receivers) and clients
 * (OTLP exporters, later JWKS/OAuth fetches), without sockets.
 *
 * OpenSSL does all the cryptography; this module only holds it in memory
 * buffers. A struct df_tls_ctx is built once from a config, at start-up, and
 * checks everything it can (files readable, certificate and key parse and
 * match, CA file holds certificates, ALPN names valid). A struct df_tls_conn
 * is one TLS session, sans-IO: the engine's libuv glue feeds it the bytes
 * read from the socket (df_tls_feed), reads decrypted application data
 * (df_tls_read), queues application data (df_tls_write), and sends whatever
 * cipher bytes the connection has for the peer (df_tls_pending_output, then
 * df_tls_consume_output). Any call may produce output (handshake messages,
 * alerts, key updates), so the glue checks df_tls_pending_output after each.
 *
 * Buffering is bounded: a connection holds at most DF_TLS_MAX_INPUT bytes of
 * fed but unprocessed cipher text (df_tls_feed takes fewer bytes when full)
 * and stops taking application data once DF_TLS_MAX_OUTPUT bytes of cipher
 * text wait to be sent (df_tls_write returns DF_TLS_AGAIN). No renegotiation,
 * no session resumption (no session cache, no tickets): every connection
 * makes a full handshake, and a ctx has no state that connections change.
 *
 * Threads: create and free a ctx on one thread (the main thread at start-up
 * and shutdown). A ctx is immutable after creation and may be shared by any
 * number of threads, each creating its own connections from it
 * concurrently; it must outlive every connection made from it. A connection
 * belongs to the thread that created it: call every df_tls_conn function of
 * one connection from that thread only. */
#ifndef DF_NET_TLS_H
#define DF_NET_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "df/options.h"

/* Undrained cipher text a connection buffers, each way (see above). The
 * output may pass DF_TLS_MAX_OUTPUT by one write's record overhead and by
 * protocol messages (handshake, alerts, key updates), which df_tls_write
 * cannot refuse; a connection whose output reaches twice the bound fails
 * instead ("the peer does not read"). */
#define DF_TLS_MAX_INPUT  ((size_t)64 << 10)
#define DF_TLS_MAX_OUTPUT ((size_t)64 << 10)

/* Room for df_tls_last_error's message. */
#define DF_TLS_ERROR_MAX 256

/* Status codes of df_tls_feed, df_tls_read and df_tls_write (besides byte
 * counts); distinct from the DF_E* codes. X-macro: code, value, text. */
#define DF_TLS_STATUSES(X)                                                                         \
    X(DF_TLS_AGAIN, -40, "not now: drain the output or finish the handshake first")                \
    X(DF_TLS_CLOSED, -41, "the TLS session is closed (close_notify)")                              \
    X(DF_TLS_FAILED, -42, "the TLS connection failed")

enum df_tls_status {
#define DF_TLS_STATUS_ENUM(name, value, text) name = value,
    DF_TLS_STATUSES(DF_TLS_STATUS_ENUM)
#undef DF_TLS_STATUS_ENUM
};

/* Returns the static text of a DF_TLS_* status; "unknown" for other values. */
const char *df_tls_status_text(int status);

/* Minimum protocol version, as the configs spell it ("1.2", "1.3"); the zero
 * value is the default, 1.2. df_tls_version_names is the NULL-terminated
 * name list for a DF_OPT_ENUM option. */
enum df_tls_version {
    DF_TLS_VERSION_1_2 = 0,
    DF_TLS_VERSION_1_3 = 1,
};
extern const char *const df_tls_version_names[];

/* A listener's TLS settings. Strings are borrowed during
 * df_tls_server_ctx_new only. */
struct df_tls_server_config {
    const char *cert_file;      /* PEM: the server certificate, then any intermediates;
                                   required */
    const char *key_file;       /* PEM: the unencrypted private key of cert_file; required */
    const char *client_ca_file; /* PEM CA certificates. When set (mTLS), every client must
                                   present a certificate that chains to one of them, or the
                                   handshake fails; NULL = no client certificates asked */
    int min_version;            /* enum df_tls_version; default 1.2 */
    struct df_list alpn;        /* const char * items, in the server's order of preference
                                   (e.g. "h2", "http/1.1"). When not empty, a client offering
                                   none of them is refused (RFC 7301); empty = no ALPN */
};

/* A client's TLS settings. Strings are borrowed during
 * df_tls_client_ctx_new only. */
struct df_tls_client_config {
    const char *ca_file;       /* PEM CA certificates the server must chain to; NULL = the
                                  system's default trust store */
    const char *cert_file;     /* PEM client certificate (+ intermediates) for mTLS; set
                                  together with key_file, or neither */
    const char *key_file;      /* PEM: the unencrypted private key of cert_file */
    const char *server_name;   /* name sent as SNI and checked against the server certificate
                                  (DNS name, or IP address checked against IP SANs, no SNI);
                                  NULL = the endpoint host given to df_tls_conn_new */
    bool insecure_skip_verify; /* accept any server certificate: no chain, expiry or name
                                  check. For tests only */
    int min_version;           /* enum df_tls_version; default 1.2 */
    struct df_list alpn;       /* const char * items offered, in order; empty = no ALPN. A
                                  server answer outside the list fails the handshake */
};

struct df_tls_ctx;
struct df_tls_conn;

/* Builds a listener's context, loading and checking every file. Returns
 * NULL with a message naming the file and OpenSSL's reason in err[errlen]
 * (e.g. "key_file 'k.pem' does not match cert_file 'c.pem': key values
 * mismatch"). Main thread, at start-up: reads files. */
struct df_tls_ctx *df_tls_server_ctx_new(const struct df_tls_server_config *cfg, char *err,
                                         size_t errlen);

/* Same for a client's context. */
struct df_tls_ctx *df_tls_client_ctx_new(const struct df_tls_client_config *cfg, char *err,
                                         size_t errlen);

/* Frees a context; NULL is a no-op. Every connection made from it must have
 * been freed before. */
void df_tls_ctx_free(struct df_tls_ctx *ctx);

/* Starts one connection from `ctx`, either side. For a client, `host` is the
 * endpoint host, used for SNI and verification unless the config sets
 * server_name; a verifying client with neither fails here. Servers ignore
 * `host` (may be NULL). The client's first handshake message is queued at
 * once (see df_tls_pending_output). Returns NULL with a reason in err[errlen]
 * (no name to verify, out of memory). Any thread; the connection belongs to
 * it. */
struct df_tls_conn *df_tls_conn_new(const struct df_tls_ctx *ctx, const char *host, char *err,
                                    size_t errlen);

/* Frees a connection and its buffers; NULL is a no-op. Sends nothing: call
 * df_tls_close and drain the output first for a clean close. */
void df_tls_conn_free(struct df_tls_conn *c);

/* Hands the connection `len` cipher bytes read from the socket and advances
 * the handshake. Takes at most what fits under DF_TLS_MAX_INPUT: returns the
 * number of bytes taken (0..len; feed the rest after df_tls_read has drained
 * application data), or DF_TLS_FAILED (handshake failure: see
 * df_tls_last_error; send the pending output, which may hold an alert, then
 * close the socket). len 0 tells the connection the socket reached EOF; a
 * later df_tls_read then reports DF_TLS_CLOSED if the peer had sent
 * close_notify, else DF_TLS_FAILED ("unexpected eof"). */
ssize_t df_tls_feed(struct df_tls_conn *c, const uint8_t *cipher, size_t len);

/* Copies up to `cap` bytes of decrypted application data into buf. Returns
 * the number of bytes (> 0); 0 when none is available yet (feed more);
 * DF_TLS_CLOSED once the peer's close_notify has been read (every byte
 * before it has been returned); DF_TLS_FAILED on a protocol error, a fatal
 * alert from the peer or an EOF without close_notify. Drives the handshake
 * too, so call it after each feed until it returns 0 or less. */
ssize_t df_tls_read(struct df_tls_conn *c, uint8_t *buf, size_t cap);

/* Encrypts up to `len` bytes of application data into the output. Returns
 * the number of bytes taken (1..len; 0 when len is 0) — fewer than len when
 * the output reached DF_TLS_MAX_OUTPUT; DF_TLS_AGAIN when nothing was taken
 * because the handshake is not done yet (nothing is buffered before it: write
 * once df_tls_handshake_done) or the output is full (drain it);
 * DF_TLS_CLOSED after df_tls_close; DF_TLS_FAILED after a failure. */
ssize_t df_tls_write(struct df_tls_conn *c, const uint8_t *plain, size_t len);

/* Points *data at the cipher bytes waiting to be sent and sets *len (0 when
 * none). The bytes stay valid, unchanged, until the next call on the
 * connection other than df_tls_pending_output; copy or send them, then
 * df_tls_consume_output. */
void df_tls_pending_output(const struct df_tls_conn *c, const uint8_t **data, size_t *len);

/* Marks the first n pending output bytes as sent (n is clamped to what is
 * pending). */
void df_tls_consume_output(struct df_tls_conn *c, size_t n);

/* Returns true once this side's handshake completed (and the connection has
 * not failed). In TLS 1.3 a client finishes before the server has checked its
 * certificate; a rejection then shows as DF_TLS_FAILED from df_tls_read. */
bool df_tls_handshake_done(const struct df_tls_conn *c);

/* Returns the ALPN protocol agreed on (e.g. "h2"), or NULL when none was
 * (or the handshake is not done). Valid until df_tls_conn_free. */
const char *df_tls_alpn(const struct df_tls_conn *c);

/* Queues close_notify (an orderly close) and refuses further writes. Returns
 * 0, or DF_TLS_FAILED when the connection had failed (nothing queued). Before
 * the handshake is done nothing is queued either: just close the socket. */
int df_tls_close(struct df_tls_conn *c);

/* Returns the reason of the failure ("certificate verify failed: unable to
 * get local issuer certificate", "tlsv13 alert certificate required", ...),
 * or "" when the connection has not failed. Valid until the next call on
 * the connection. */
const char *df_tls_last_error(const struct df_tls_conn *c);

/* Writes the subject of the peer's verified certificate, RFC 2253 style
 * ("CN=client,O=df"), into buf[len], truncating. Returns 0, or DF_ENOENT
 * when there is none verified (no certificate asked or sent, handshake not
 * done, or insecure_skip_verify), with buf set to "". */
int df_tls_peer_subject(const struct df_tls_conn *c, char *buf, size_t len);

/* Subject alternative name types reported by df_tls_peer_sans. */
#define DF_TLS_SAN_TYPES(X)                                                                        \
    X(DF_TLS_SAN_DNS, "DNS")                                                                       \
    X(DF_TLS_SAN_IP, "IP")                                                                         \
    X(DF_TLS_SAN_URI, "URI")                                                                       \
    X(DF_TLS_SAN_EMAIL, "email")

enum df_tls_san_type {
#define DF_TLS_SAN_ENUM(name, text) name,
    DF_TLS_SAN_TYPES(DF_TLS_SAN_ENUM)
#undef DF_TLS_SAN_ENUM
};

/* Returns the display name of a SAN type ("DNS", "IP", "URI", "email"). */
const char *df_tls_san_type_name(enum df_tls_san_type type);

/* Called once per SAN with its value as a NUL-terminated string (an IP as
 * text: "127.0.0.1", "::1"), valid during the call. Return 0 to go on,
 * non-zero to stop. */
typedef int (*df_tls_san_fn)(void *ud, enum df_tls_san_type type, const char *value);

/* Calls fn for each DNS, IP, URI and email SAN of the peer's verified
 * certificate, in certificate order; other SAN kinds, and names holding a
 * NUL byte, are skipped. Returns the number of calls made, or DF_ENOENT when
 * there is no verified peer certificate (see df_tls_peer_subject). */
int df_tls_peer_sans(const struct df_tls_conn *c, df_tls_san_fn fn, void *ud);

#endif
