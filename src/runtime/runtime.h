/* runtime/runtime.h — one pipeline running on one core.
 *
 * A `struct df_core_pipeline` is a full copy of one pipeline's graph on one
 * core: its node instances, their input queues, the ready list the scheduler
 * walks, the settled pdata waiting for their subscribers, the pdata pool and
 * the core's libuv loop. It is built, run and torn down by the core's thread;
 * the control thread only posts commands (df_core_pipeline_post) and reads
 * the state and the counters, which the core writes with relaxed atomic
 * stores (single writer) so that readers never block it.
 *
 * Scheduling (runtime/pipeline.c). Nodes are callbacks on the loop. A send
 * appends to the destination's input queue (an intrusive list with a depth
 * count); an idle handle runs a round while work is pending: settled pdata
 * go to their subscribers, then every node in reverse topological order
 * (exporters first, which frees room soonest) is handed up to a burst of its
 * queue, but only while each of its output ports has a destination below
 * capacity. A queue may therefore exceed its capacity by what one callback
 * emits (a batch split, a timer flush), never more: nothing is handed to a
 * node whose downstream is full, and receivers check df_node_can_send.
 *
 * Drain: receivers first; a processor or exporter drains once every node
 * upstream of it has drained and its queue is empty. Each stage (receivers,
 * processors, exporters) has its own deadline; when it expires the
 * remaining nodes of that stage are forced (their queued pdata Nacked). */
#ifndef DF_RUNTIME_RUNTIME_H
#define DF_RUNTIME_RUNTIME_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "config/model.h"
#include "df/capability.h"
#include "df/node.h"
#include "extension/manager.h"

/* Per node instance counters: written by the core thread only
 * (DF_COUNTER_ADD), read by anyone with relaxed loads. */
struct df_node_stats {
    uint64_t items_received[DF_SIGNAL_COUNT];
    uint64_t requests_received[DF_SIGNAL_COUNT];
    uint64_t items_sent[DF_SIGNAL_COUNT];
    uint64_t requests_sent[DF_SIGNAL_COUNT];
    uint64_t acks_sent, nacks_sent[2];         /* [0] transient, [1] permanent */
    uint64_t acks_received, nacks_received[2]; /* as a subscriber */
    uint64_t queue_depth;
};

#define DF_COUNTER_ADD(field, n)                                                                   \
    __atomic_store_n(&(field), __atomic_load_n(&(field), __ATOMIC_RELAXED) + (n), __ATOMIC_RELAXED)
#define DF_COUNTER_SET(field, v) __atomic_store_n(&(field), (v), __ATOMIC_RELAXED)
#define DF_COUNTER_GET(field)    __atomic_load_n(&(field), __ATOMIC_RELAXED)

struct df_metric {
    enum df_metric_type type;
    const char *name, *help;
    double value; /* written by the core (relaxed atomic), read by the exposition */
};

struct df_timer {
    uv_timer_t handle;
    struct df_node *node;
    df_timer_fn fn;
    struct df_timer *next;
};

struct df_port {
    const char *name;
    uint32_t *dests; /* node indices */
    uint32_t ndests;
};

#define DF_NODE_STATES(X)                                                                          \
    X(DF_NODE_IDLE, "created")                                                                     \
    X(DF_NODE_RUNNING, "running")                                                                  \
    X(DF_NODE_DRAINING, "draining")                                                                \
    X(DF_NODE_DRAINED, "drained")

enum df_node_state {
#define DF_NODE_STATE_ENUM(name, text) name,
    DF_NODE_STATES(DF_NODE_STATE_ENUM)
#undef DF_NODE_STATE_ENUM
};

const char *df_node_state_name(int state);

struct df_core_pipeline;

/* One capability a node claimed (df_capability_require): the binding record
 * its handle points to. */
#define DF_NODE_CAPS_MAX 8
struct df_node_cap {
    const char *name;
    const struct df_extension *ext;
    struct df_cap_binding b;
};

struct df_node {
    struct df_core_pipeline *pl;
    uint32_t index;
    const char *id;
    const struct df_node_cfg *cfg;
    const struct df_node_desc *desc;
    char scope[192];   /* group/pipeline/node */
    char fields[24];   /* "core=N" */
    void *state;       /* the node's own */
    int run_state;     /* enum df_node_state (relaxed atomic) */
    bool paused;       /* receiver saw can_send false, waits for resume */
    bool input_paused; /* df_node_pause_input: not handed input */
    bool in_ready;
    struct df_port *ports;
    uint32_t nports;
    uint32_t default_port;
    uint32_t *upstream; /* node indices with an edge into this node */
    uint32_t nupstream;
    /* Input queue. */
    struct df_pdata *qhead, *qtail;
    uint32_t qlen, qcap;
    struct df_node *ready_next;
    struct df_timer *timers;
    struct df_metric metrics[DF_NODE_METRICS_MAX];
    uint32_t nmetrics;
    struct df_node_stats stats;
    struct df_node_cap caps[DF_NODE_CAPS_MAX];
    uint32_t ncaps;
};

#define DF_PIPELINE_STATES(X)                                                                      \
    X(DF_PIPELINE_PENDING, "pending")                                                              \
    X(DF_PIPELINE_BUILT, "built")                                                                  \
    X(DF_PIPELINE_RUNNING, "running")                                                              \
    X(DF_PIPELINE_DRAINING, "draining")                                                            \
    X(DF_PIPELINE_STOPPED, "stopped")                                                              \
    X(DF_PIPELINE_FAILED, "failed")

enum df_pipeline_state {
#define DF_PIPELINE_STATE_ENUM(name, text) name,
    DF_PIPELINE_STATES(DF_PIPELINE_STATE_ENUM)
#undef DF_PIPELINE_STATE_ENUM
};

const char *df_pipeline_state_name(int state);

/* Commands the control thread posts (bit flags, coalescing). */
enum { DF_CMD_START = 1u << 0, DF_CMD_DRAIN = 1u << 1, DF_CMD_ABORT = 1u << 2 };

/* Called on the core thread after each state change (built, running,
 * stopped, failed); the control thread's wake-up. */
typedef void (*df_core_notify_fn)(void *ud);

struct df_core_pipeline {
    uv_loop_t loop;
    const char *group, *name;
    const struct df_pipeline_cfg *cfg;
    unsigned core;
    uint64_t drain_deadline_ns; /* per stage */
    df_core_notify_fn notify;
    void *notify_ud;

    struct df_node *nodes;
    uint32_t nnodes;
    uint32_t *order; /* topological: receivers first */

    struct df_node *ready_head, *ready_tail;
    struct df_pdata *settled_head, *settled_tail;
    uint64_t pending; /* queued + settled pdata */

    uv_idle_t idle;
    bool idle_active;
    uv_async_t wake;
    unsigned commands; /* DF_CMD_* (atomic) */
    uv_timer_t deadline;
    bool draining;
    int drain_stage; /* least node kind not yet drained, -1 when all are */
    bool forced;     /* a deadline expired */

    /* Extensions: this core's local instances, and the pipeline's shared
     * set (owned by the controller) with this core's attach slot. */
    struct df_ext_set exts;
    struct df_ext_set *shared;
    unsigned slot;
    bool creating;      /* node create hooks are running (claims allowed) */
    bool exts_waiting;  /* START received, waiting for local readiness */
    bool exts_stopping; /* teardown waits for the local extensions to stop */

    struct df_pdata *pool; /* free pdata */
    uint64_t pdata_live;   /* allocated and not yet released */
    int state;             /* enum df_pipeline_state (atomic) */
    /* The core's first error (a node that failed to build or start, an
     * extension that failed): written once by the core, then `error_set` is
     * stored with release; other threads read it with df_core_pipeline_error. */
    char error[DF_ERROR_MSG_MAX];
    int error_set;
};

/* Initialises `pl` for (group, pipeline) on `core`, on the calling thread,
 * and builds the graph: the core's local extension instances are created,
 * the shared ones of `shared` (may be NULL) attached in slot `slot`, then
 * every node's create hook runs. Returns 0 with
 * state BUILT, or a negative code with state FAILED and `pl->error` set (the
 * nodes created so far are destroyed). */
int df_core_pipeline_build(struct df_core_pipeline *pl, const char *group, const char *name,
                           const struct df_pipeline_cfg *cfg, unsigned core,
                           uint64_t drain_deadline_ns, df_core_notify_fn notify, void *notify_ud,
                           struct df_ext_set *shared, unsigned slot);

/* Runs the loop until the pipeline stops: waits for DF_CMD_START, starts the
 * local extensions and, once they are ready, the nodes; runs; drains on
 * DF_CMD_DRAIN; then destroys the nodes, stops the local extensions (bounded
 * by the drain deadline), destroys them, detaches from the shared ones and
 * closes the loop. DF_CMD_ABORT before start tears down without starting.
 * Returns 0 when everything drained cleanly, 1 when a deadline forced a
 * stage, a node failed to start or an extension failed. Core thread. */
int df_core_pipeline_run(struct df_core_pipeline *pl);

/* Frees the node array once the core's thread has returned from
 * df_core_pipeline_run (or build failed); control thread. */
void df_core_pipeline_free(struct df_core_pipeline *pl);

/* Posts commands to the core; any thread. */
void df_core_pipeline_post(struct df_core_pipeline *pl, unsigned commands);

/* The core's error, or NULL while it has none; any thread. */
static inline const char *df_core_pipeline_error(const struct df_core_pipeline *pl)
{
    return __atomic_load_n(&pl->error_set, __ATOMIC_ACQUIRE) ? pl->error : NULL;
}

/* The state, readable from any thread. */
static inline int df_core_pipeline_state(const struct df_core_pipeline *pl)
{
    return __atomic_load_n(&pl->state, __ATOMIC_ACQUIRE);
}

#endif
