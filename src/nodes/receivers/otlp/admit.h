/* nodes/receivers/otlp/admit.h — what receiver:otlp does with one export
 * request once a transport (gRPC, HTTP/1.1, HTTP/2) has read it whole:
 * check it, turn it into pdata, send it, and answer the client — at once, or
 * after the pipeline's Ack/Nack with `wait_for_result`.
 *
 * Transports answer in their own terms: the verdicts below map to gRPC
 * statuses and HTTP status codes as the OTLP specification says (the maps
 * are in the transports). Core thread only. */
#ifndef DF_NODES_RECEIVERS_OTLP_ADMIT_H
#define DF_NODES_RECEIVERS_OTLP_ADMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "df/node.h"

#define OTLP_VERDICTS(X)                                                                           \
    X(OTLP_OK, "ok")                   /* accepted (and, waiting, acknowledged) */                 \
    X(OTLP_INVALID, "invalid")         /* undecodable or wrong message: not retryable */           \
    X(OTLP_TOO_LARGE, "too_large")     /* over the size limit: not retryable */                    \
    X(OTLP_UNSUPPORTED, "unsupported") /* media type or encoding: not retryable */                 \
    X(OTLP_BUSY, "busy")               /* backpressure: retry after `retry_after_ms` */            \
    X(OTLP_UNAVAILABLE, "unavailable") /* transient Nack, draining: retryable */                   \
    X(OTLP_FAILED, "failed")           /* permanent Nack: not retryable */                         \
    X(OTLP_TIMEOUT, "timeout")         /* no outcome within `timeout`: retryable */

enum otlp_verdict {
#define OTLP_VERDICT_ENUM(name, text) name,
    OTLP_VERDICTS(OTLP_VERDICT_ENUM)
#undef OTLP_VERDICT_ENUM
        OTLP_VERDICT_COUNT
};

const char *otlp_verdict_name(enum otlp_verdict v);

/* How a transport answers one request. `answer` is called exactly once per
 * admitted request unless the transport cancelled it first (the client went
 * away); `message` is for the client (gRPC message / error body). */
struct otlp_reply {
    void (*answer)(struct otlp_reply *r, enum otlp_verdict v, const char *message,
                   uint32_t retry_after_ms);
};

struct otlp_admit;   /* per node instance */
struct otlp_pending; /* a request waiting for its outcome */

/* How one protocol admits requests. */
struct otlp_policy {
    uint32_t max_in_flight; /* waiting requests beyond which OTLP_BUSY is answered */
    bool wait;              /* answer after the outcome */
    uint64_t timeout_ns;    /* bounds that wait */
};

/* Admission for `node`: its answer counters are node metrics. NULL on
 * exhaustion. */
struct otlp_admit *otlp_admit_new(struct df_node *node);
void otlp_admit_free(struct otlp_admit *a);

/* Handles one request of `signal` whose body is `body` (protobuf, or OTLP/
 * JSON when `json`), already decompressed and within the size limit. When
 * `owned` is not NULL it is `body`'s malloc'd buffer, given to the request
 * (kept as the pdata's bytes, without a copy, or freed); otherwise the body
 * is copied. `identity` (NULL = anonymous) is the sender as authentication
 * found it, put into the pdata's context (it outlives every pdata: see
 * df/capabilities/auth_check.h). Answers through `reply` now, or later when
 * waiting: then returns the pending handle the transport must cancel if it
 * can no longer answer (NULL when answered already). */
struct otlp_pending *otlp_admit_request(struct otlp_admit *a, const struct otlp_policy *pol,
                                        enum df_signal signal, const uint8_t *body, size_t len,
                                        bool json, uint8_t *owned,
                                        const struct df_identity *identity,
                                        struct otlp_reply *reply);

/* Counts an answer a transport gave by itself (a request it could not read:
 * too large, bad encoding, bad media type). */
void otlp_admit_count(struct otlp_admit *a, enum otlp_verdict v);

/* The transport cannot answer `p` any more (connection or stream gone): the
 * outcome, when it comes, is dropped. */
void otlp_admit_cancel(struct otlp_pending *p);

/* The node's outcome hook delegates here (cookie = the pending request). */
bool otlp_admit_outcome(struct otlp_admit *a, struct df_pdata *pd, uint64_t cookie);

/* Requests admitted and not yet answered. */
uint32_t otlp_admit_in_flight(const struct otlp_admit *a);

/* From now on every request is answered OTLP_UNAVAILABLE (draining). */
void otlp_admit_refuse(struct otlp_admit *a);

#endif
