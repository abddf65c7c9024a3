/* nodes/exporters/otlp_grpc/outcome.h — the pure parts of exporting OTLP,
 * shared by exporter:otlp_grpc and exporter:otlp_http: how long to wait
 * before reconnecting, what an answer means for the request's outcome
 * (opentelemetry-proto docs/specification.md, "Failures"), and what to say
 * about it (partial_success of an Export*ServiceResponse, the message of a
 * google.rpc.Status error body). No state: any thread. */
#ifndef DF_NODES_EXPORTERS_OTLP_GRPC_OUTCOME_H
#define DF_NODES_EXPORTERS_OTLP_GRPC_OUTCOME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/conn.h"

#include "df/log.h"
#include "df/node.h"
#include "df/pdata.h"
#include "nodes/exporters/otlp_grpc/otlp_grpc.h"

/* The wait in ns before reconnection attempt number `failures` + 1 after
 * `failures` consecutive failures (0 = the first retry): the interval
 * doubles from initial_interval up to max_interval, and the wait is drawn
 * from its upper half with `random` ("equal jitter"), so that cores and
 * engines that lost a backend together do not come back in lockstep. */
uint64_t otlp_backoff_delay(const struct otlp_backoff *b, unsigned failures, uint64_t random);

/* A step of a xorshift64* generator for the jitter; *state must not be 0. */
uint64_t otlp_random(uint64_t *state);

/* The outcome of a gRPC Export call that ended with `status`: Ack for OK,
 * a transient Nack for retryable statuses (RESOURCE_EXHAUSTED only with
 * RetryInfo), a permanent one otherwise. */
enum df_outcome otlp_grpc_outcome(int status, bool has_retry_info);

/* The outcome of an OTLP/HTTP answer: Ack for 2xx; a transient Nack for
 * 429, 502, 503 and 504; a permanent one for anything else. */
enum df_outcome otlp_http_outcome(int http_status);

/* Reads the partial_success of an Export{Logs,Metrics,Trace}ServiceResponse
 * (field 1: {rejected_* = 1, error_message = 2}, the same numbers for the
 * three signals). Returns 1 when it is present with a rejected count or a
 * message (*rejected and msg[0..msglen) set; msg NUL-terminated and
 * truncated), 0 when absent or empty, DF_EPARSE for a malformed response. */
int otlp_partial_success(const uint8_t *body, size_t len, int64_t *rejected, char *msg,
                         size_t msglen);

/* Describes an OTLP/HTTP error body in out[0..outlen): the message of a
 * google.rpc.Status (protobuf when `content_type` is application/x-protobuf,
 * JSON when application/json), else a printable excerpt of the body (other
 * bytes as '.'). Empty for an empty body. Always NUL-terminates. */
void otlp_error_text(const uint8_t *body, size_t len, const char *content_type, char *out,
                     size_t outlen);

/* Logs a request the exporter failed permanently (the backend refused it:
 * a bad token, a malformed request, an endpoint that is not OTLP), at most
 * once a second per node and core through `limit`, counting the lines left
 * out; the Nack's `reason` says why. Nothing for other outcomes: transient
 * failures are retried, and connection failures are logged where they
 * happen. Core thread. */
void otlp_log_failure(struct df_node *node, struct df_log_limit *limit, enum df_outcome o,
                      const char *reason);

/* A protocol layer in front of a connection's real protocol (HTTP/2 or
 * HTTP/1.1, possibly inside TLS) that forwards everything to it and, once it
 * is destroyed with its inner protocol, calls gone(ud): the last piece of a
 * connection to go, after which an exporter may free what its connections
 * used (a TLS context). The caller allocates it (calloc) and sets it up with
 * otlp_guard_init; its destroy frees it. */
struct otlp_guard {
    struct df_proto base;
    struct df_proto *inner;
    void (*gone)(void *ud);
    void *ud;
};

void otlp_guard_init(struct otlp_guard *g, struct df_proto *inner, void (*gone)(void *ud),
                     void *ud);

#endif
