/* net/grpc.h — the gRPC-specific parts of gRPC over HTTP/2 that are not
 * HTTP/2 itself (see grpc/grpc doc/PROTOCOL-HTTP2.md):
 *
 *  - Length-Prefixed-Message framing: a streaming parser that takes the
 *    bytes of DATA frames in chunks of any size, refuses a message whose
 *    5-byte prefix announces more than the size limit before buffering any
 *    of it, and decompresses compressed messages with the call's
 *    grpc-encoding; and an encoder for one message.
 *  - Status codes (doc/statuscodes.md) with their names, the OTLP retry
 *    rules, grpc-timeout parsing and formatting, and the percent-encoding of
 *    grpc-message.
 *  - grpc-status-details-bin: a google.rpc.Status carrying a
 *    google.rpc.RetryInfo, as OTLP servers send for retryable
 *    RESOURCE_EXHAUSTED / UNAVAILABLE answers.
 *
 * No sockets, no global state: a parser belongs to the thread feeding it;
 * the other functions may be called from any thread. */
#ifndef DF_NET_GRPC_H
#define DF_NET_GRPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "df/error.h"
#include "net/compress.h"

/* ---- status codes ------------------------------------------------------- */

#define DF_GRPC_STATUSES(X)                                                                        \
    X(DF_GRPC_OK, 0, "OK")                                                                         \
    X(DF_GRPC_CANCELLED, 1, "CANCELLED")                                                           \
    X(DF_GRPC_UNKNOWN, 2, "UNKNOWN")                                                               \
    X(DF_GRPC_INVALID_ARGUMENT, 3, "INVALID_ARGUMENT")                                             \
    X(DF_GRPC_DEADLINE_EXCEEDED, 4, "DEADLINE_EXCEEDED")                                           \
    X(DF_GRPC_NOT_FOUND, 5, "NOT_FOUND")                                                           \
    X(DF_GRPC_ALREADY_EXISTS, 6, "ALREADY_EXISTS")                                                 \
    X(DF_GRPC_PERMISSION_DENIED, 7, "PERMISSION_DENIED")                                           \
    X(DF_GRPC_RESOURCE_EXHAUSTED, 8, "RESOURCE_EXHAUSTED")                                         \
    X(DF_GRPC_FAILED_PRECONDITION, 9, "FAILED_PRECONDITION")                                       \
    X(DF_GRPC_ABORTED, 10, "ABORTED")                                                              \
    X(DF_GRPC_OUT_OF_RANGE, 11, "OUT_OF_RANGE")                                                    \
    X(DF_GRPC_UNIMPLEMENTED, 12, "UNIMPLEMENTED")                                                  \
    X(DF_GRPC_INTERNAL, 13, "INTERNAL")                                                            \
    X(DF_GRPC_UNAVAILABLE, 14, "UNAVAILABLE")                                                      \
    X(DF_GRPC_DATA_LOSS, 15, "DATA_LOSS")                                                          \
    X(DF_GRPC_UNAUTHENTICATED, 16, "UNAUTHENTICATED")

enum df_grpc_status {
#define DF_GRPC_STATUS_ENUM(name, value, text) name = value,
    DF_GRPC_STATUSES(DF_GRPC_STATUS_ENUM)
#undef DF_GRPC_STATUS_ENUM
};

/* "RESOURCE_EXHAUSTED" for 8; NULL for a code outside 0..16. */
const char *df_grpc_status_name(int code);

/* Whether an OTLP exporter may retry a call that ended with `status`
 * (opentelemetry-proto docs/specification.md, "Failures"): CANCELLED,
 * DEADLINE_EXCEEDED, ABORTED, OUT_OF_RANGE, UNAVAILABLE and DATA_LOSS are
 * retryable; RESOURCE_EXHAUSTED only when the server sent RetryInfo
 * (`has_retry_info`); everything else (and OK) is not. */
bool df_grpc_status_retryable(int status, bool has_retry_info);

/* Maps an HTTP status of a response that is not a gRPC response (no
 * grpc-status) to a gRPC status (doc/http-grpc-status-mapping.md). */
enum df_grpc_status df_grpc_status_from_http(int http_status);

/* Maps an HTTP/2 RST_STREAM error code to the status of the call it ended
 * (PROTOCOL-HTTP2.md, "Errors"). */
enum df_grpc_status df_grpc_status_from_h2_error(uint32_t h2_error);

/* ---- message framing ---------------------------------------------------- */

#define DF_GRPC_PREFIX_LEN 5

/* Called once per complete message. `msg` is malloc'd (never NULL, even for
 * an empty message) and its ownership passes to the callee, which frees it
 * with free(). Return 0 to go on, or a negative DF_E* code to stop the
 * parser (the parser then reports DF_GRPC_INTERNAL unless the callee set
 * status and reason with df_grpc_parser_fail). */
typedef int (*df_grpc_message_fn)(void *ud, uint8_t *msg, size_t len);

/* A streaming parser for the messages of one direction of one call. Fields
 * are private; zero-initialised storage is not a valid parser, use
 * df_grpc_parser_init. */
struct df_grpc_parser {
    size_t max_message;        /* bound on the wire and decompressed size */
    enum df_encoding encoding; /* of compressed messages (grpc-encoding) */
    uint8_t prefix[DF_GRPC_PREFIX_LEN];
    size_t prefix_have;
    uint8_t *body; /* the current message's wire bytes */
    size_t body_need, body_have, body_cap;
    uint64_t messages;          /* complete messages so far */
    enum df_grpc_status status; /* after an error */
    const char *reason;         /* after an error: a static string */
    int err;                    /* 0, or the DF_E* that stopped the parser */
};

/* Starts a parser for messages of at most `max_message` bytes (before and
 * after decompression) compressed with `encoding` when their flag says so;
 * DF_ENCODING_IDENTITY means the call declared no grpc-encoding. */
void df_grpc_parser_init(struct df_grpc_parser *p, size_t max_message, enum df_encoding encoding);

/* Releases a partly received message; the parser can be re-initialised. */
void df_grpc_parser_free(struct df_grpc_parser *p);

/* Feeds data[0..len) (any split of the stream) and calls `fn` for each
 * message completed by it. Returns 0, or after an error (and on every later
 * call) a negative code with status and reason set:
 *   DF_ERANGE  a prefix announces more than max_message, or a message
 *              decompresses to more (RESOURCE_EXHAUSTED);
 *   DF_EPARSE  a flag byte other than 0 or 1, a compressed message when the
 *              call has no encoding, or data that does not decompress
 *              (INTERNAL);
 *   DF_ENOMEM  (RESOURCE_EXHAUSTED); or the callback's own code. */
int df_grpc_parser_feed(struct df_grpc_parser *p, const uint8_t *data, size_t len,
                        df_grpc_message_fn fn, void *ud);

/* At the end of the stream: returns 0 when no message is half received,
 * else DF_EPARSE with status INTERNAL ("truncated message"), or the earlier
 * error. */
int df_grpc_parser_finish(struct df_grpc_parser *p);

/* Records an error decided by the message callback: later feeds return
 * `err`, and status/reason describe it. */
void df_grpc_parser_fail(struct df_grpc_parser *p, int err, enum df_grpc_status status,
                         const char *reason);

/* Frames msg[0..len) as one Length-Prefixed-Message into a new malloc'd
 * buffer (*out, *out_len; the caller frees it). A non-identity `encoding`
 * compresses the message and sets the flag. Returns 0, DF_ENOMEM, or
 * DF_ERANGE for a message over 4 GiB - 1. */
int df_grpc_frame_encode(enum df_encoding encoding, const uint8_t *msg, size_t len, uint8_t **out,
                         size_t *out_len);

/* ---- headers ------------------------------------------------------------ */

/* Parses a grpc-timeout value ("1-8 ASCII digits" then H, M, S, m, u or n)
 * into milliseconds, rounding sub-millisecond remainders up so that a
 * non-zero timeout never becomes zero. Returns 0 or DF_EPARSE. */
int df_grpc_timeout_parse(const char *s, uint64_t *ms);

/* Writes `ms` as a grpc-timeout value in the finest unit that fits 8 digits
 * (rounding up) into buf (at least 10 bytes). Returns 0 or DF_ERANGE. */
int df_grpc_timeout_format(uint64_t ms, char *buf, size_t len);

/* Percent-encodes `msg` for grpc-message: bytes outside 0x20..0x7e and '%'
 * become %XX. Returns a new malloc'd string, or NULL on allocation failure. */
char *df_grpc_message_encode(const char *msg);

/* Decodes a grpc-message value: valid %XX sequences become their byte,
 * anything else is kept as sent (the spec asks receivers to be lenient).
 * Returns a new malloc'd string, or NULL on allocation failure. */
char *df_grpc_message_decode(const char *value);

/* ---- grpc-status-details-bin ------------------------------------------- */

/* What a client learns from grpc-status-details-bin. */
struct df_grpc_status_details {
    int code;                /* google.rpc.Status.code */
    bool has_retry_info;     /* a google.rpc.RetryInfo detail was present */
    uint64_t retry_delay_ms; /* its retry_delay, rounded up to ms */
};

/* Encodes google.rpc.Status{code, message, details: [Any(RetryInfo{
 * retry_delay})]} (the detail only when retry_delay_ms >= 0) as unpadded
 * base64, a new malloc'd NUL-terminated string in *b64. Returns 0 or
 * DF_ENOMEM. */
int df_grpc_status_details_encode(int code, const char *message, int64_t retry_delay_ms,
                                  char **b64);

/* Decodes a grpc-status-details-bin value (padded or unpadded base64).
 * Details other than RetryInfo are skipped. Returns 0 or DF_EPARSE (bad
 * base64 or protobuf; a negative or absurd duration counts as bad). */
int df_grpc_status_details_decode(const char *b64, size_t len, struct df_grpc_status_details *out);

#endif
