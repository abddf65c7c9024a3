/* df/pdata.h — the unit of data flowing through a pipeline.
 *
 * A pdata is one OTLP Export*ServiceRequest of one signal: a view
 * (`data`, `len`) into a refcounted byte buffer, the number of items it holds
 * (log records, spans or metric data points) and a context. The context
 * carries the Ack/Nack subscription stack and the identity of the request's
 * sender (filled in by authentication; NULL when anonymous).
 *
 * Ack/Nack: a node that wants to learn the outcome of a pdata it sends calls
 * df_pdata_subscribe (df/node.h) before sending; the frame it pushes names
 * the node and an opaque cookie. When a downstream node settles the pdata
 * (df_node_ack / df_node_nack), the runtime pops the nearest frame and hands
 * the pdata back to that node's `outcome` hook; frames below it wait for that
 * node to pass the outcome on. A pdata whose stack is empty is released when
 * settled. Merging nodes (batch) settle each input themselves.
 *
 * Threads: a pdata and its buffers belong to the core that made them and are
 * touched only by that core's thread; the refcounts are not atomic. */
#ifndef DF_PDATA_H
#define DF_PDATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "df/signal.h"

/* A refcounted, immutable-once-shared byte buffer. */
struct df_bytes {
    uint32_t refs;
    size_t len;
    uint8_t *data;
};

/* Allocates a buffer of `len` bytes (uninitialised, writable until shared)
 * with one reference. NULL when memory is exhausted. */
struct df_bytes *df_bytes_new(size_t len);

/* Wraps `data` (from malloc; ownership passes to the buffer, which frees it
 * with the last reference) with one reference. NULL on exhaustion, in which
 * case `data` is freed. */
struct df_bytes *df_bytes_wrap(uint8_t *data, size_t len);

static inline struct df_bytes *df_bytes_ref(struct df_bytes *b)
{
    b->refs++;
    return b;
}

/* Drops one reference; the last one frees the buffer. NULL is ignored. */
void df_bytes_unref(struct df_bytes *b);

/* How many subscribers one pdata can carry: one per node on its path that
 * asked for the outcome. */
#define DF_ACK_STACK_MAX 8

struct df_ack_frame {
    uint32_t node; /* node index in the core's pipeline */
    uint64_t cookie;
};

/* Defined by the authentication capability; opaque here. */
struct df_identity;

struct df_pdata_ctx {
    uint8_t depth;
    struct df_ack_frame frames[DF_ACK_STACK_MAX];
    const struct df_identity *identity;
};

#define DF_OUTCOMES(X)                                                                             \
    X(DF_OUTCOME_NONE, "none")                                                                     \
    X(DF_OUTCOME_ACK, "ack")                                                                       \
    X(DF_OUTCOME_NACK_TRANSIENT, "transient")                                                      \
    X(DF_OUTCOME_NACK_PERMANENT, "permanent")

enum df_outcome {
#define DF_OUTCOME_ENUM(name, text) name,
    DF_OUTCOMES(DF_OUTCOME_ENUM)
#undef DF_OUTCOME_ENUM
};

struct df_pdata {
    struct df_pdata *next; /* runtime: queue link */
    enum df_signal signal;
    uint64_t items;
    const uint8_t *data; /* the request bytes: a view into `bytes` */
    size_t len;
    struct df_bytes *bytes; /* one reference held by this pdata */
    struct df_pdata_ctx ctx;
    /* Set when settled, read by the subscriber's outcome hook. */
    enum df_outcome outcome;
    char *reason; /* Nack reason (malloc'd, owned by the pdata), NULL for an Ack */
};

/* True when `pd` holds the only reference to its buffer: no other pdata
 * views those bytes, so a processor may rewrite pd->data in place (through a
 * cast) and shrink pd->len. Otherwise the bytes are shared and read-only. */
static inline bool df_pdata_exclusive(const struct df_pdata *pd)
{
    return pd->bytes->refs == 1;
}

/* Makes `pd` view b->data[0..len) instead of its bytes (a processor's
 * rewrite of the request), taking over the caller's reference to `b` and
 * dropping pd's to the old buffer. Subscriptions and context stay. */
static inline void df_pdata_set_bytes(struct df_pdata *pd, struct df_bytes *b, size_t len)
{
    df_bytes_unref(pd->bytes);
    pd->bytes = b;
    pd->data = b->data;
    pd->len = len;
}

#endif
