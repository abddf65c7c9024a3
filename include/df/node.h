/* df/node.h — node (receiver, processor, exporter) types and the runtime
 * interface they program against.
 *
 * A node type is a `static const struct df_node_desc` registered at link
 * time with DF_REGISTER_NODE: its metadata (canonical URN, kind,
 * description, documentation URL, the option table of its `config:`, the
 * capabilities it can consume) and its hooks (`struct df_node_ops`).
 * Descriptors are immutable; the runtime makes one instance of each node per
 * core the pipeline runs on.
 *
 * Threads. Every hook of an instance is called on its core's thread, and
 * every df_node_* function below must be called from that thread only (an
 * instance, its pdata, timers and metrics belong to one core; nothing is
 * locked). The hooks never run concurrently with each other.
 *
 * Life of an instance on a core:
 *   create   while the pipeline is built, before any node starts: parse
 *            nothing (options arrive parsed), allocate state, claim ports,
 *            timers and metrics. Failing stops the whole engine from starting.
 *   start    the loop is about to run; receivers begin producing.
 *   process  processors and exporters: one pdata, whose ownership passes to
 *            the node; it must eventually be sent on, or settled with
 *            df_node_ack / df_node_nack. Only called while every output port
 *            has room, so a processor may send what one input produces.
 *   outcome  the Ack or Nack of a pdata this node subscribed to.
 *   resume   receivers: df_node_can_send turned true again after it was false.
 *   drain    the pipeline is shutting down and every upstream node has
 *            drained: receivers stop accepting and finish what they took in;
 *            processors flush what they hold; exporters flush. The node calls
 *            df_node_drained (possibly from within the hook) once done. Input
 *            still arriving after drain (a flush upstream) is processed as
 *            usual.
 *   destroy  Nacks whatever pdata the node still holds (a forced drain, an
 *            aborted start: everything queued has been settled by then) and
 *            frees the state; the runtime closes the timers itself.
 */
#ifndef DF_NODE_H
#define DF_NODE_H

#include <stdbool.h>
#include <stdint.h>

#include "df/error.h"
#include "df/log.h"
#include "df/options.h"
#include "df/pdata.h"
#include "df/register.h"

#define DF_NODE_KINDS(X)                                                                           \
    X(DF_NODE_RECEIVER, "receiver")                                                                \
    X(DF_NODE_PROCESSOR, "processor")                                                              \
    X(DF_NODE_EXPORTER, "exporter")

enum df_node_kind {
#define DF_NODE_KIND_ENUM(name, text) name,
    DF_NODE_KINDS(DF_NODE_KIND_ENUM)
#undef DF_NODE_KIND_ENUM
};

/* Returns "receiver", "processor" or "exporter". */
const char *df_node_kind_name(enum df_node_kind kind);

struct df_node; /* an instance on one core (runtime-owned) */

struct df_node_ops {
    /* Returns 0, or a negative code with a message in `err`. `options` is
     * the parsed `config:` (NULL when the type has no option table); it lives
     * as long as the instance. Sets *state (may stay NULL). */
    int (*create)(struct df_node *node, const void *options, void **state, struct df_error *err);
    /* Optional. Returns 0 or a negative code with `err`. */
    int (*start)(struct df_node *node, void *state, struct df_error *err);
    /* Required for processors and exporters; never called for receivers. */
    void (*process)(struct df_node *node, void *state, struct df_pdata *pd);
    /* Optional. `pd->outcome` and `pd->reason` say what happened; `cookie`
     * is what was subscribed with. Return false to let the runtime pass the
     * same outcome on to the next subscriber (releasing the pdata when none
     * is left); return true when the node keeps the pdata (to resend it,
     * say). Without the hook a subscription only counts the outcome in the
     * node's metrics, as if the hook returned false. */
    bool (*outcome)(struct df_node *node, void *state, struct df_pdata *pd, uint64_t cookie);
    /* Optional, receivers. */
    void (*resume)(struct df_node *node, void *state);
    /* Optional: without it the node counts as drained at once. */
    void (*drain)(struct df_node *node, void *state);
    /* Optional. */
    void (*destroy)(struct df_node *node, void *state);
};

struct df_node_desc {
    const char *urn; /* canonical: urn:<namespace>:<kind>:<id> */
    enum df_node_kind kind;
    const char *description;
    const char *documentation_url;
    const struct df_option_table *options; /* its `config:`; NULL = no keys */
    const char *const *consumes;           /* capabilities it can bind, NULL-terminated */
    const struct df_node_ops *ops;         /* NULL: validation only (cannot run) */
    const char *def_file;                  /* where it is registered */
    int def_line;
};

/* Registers node type `ident`. URN, description and documentation URL must
 * be non-empty string literals (checked at compile time); the URN's form and
 * kind are checked by the registry at start-up and by a unit test. Further
 * fields (.options, .consumes) follow as designated initialisers. */
#define DF_REGISTER_NODE(ident, urn_, kind_, description_, doc_url_, ...)                          \
    DF_REQUIRE_LITERAL(urn_, "node URN");                                                          \
    DF_REQUIRE_LITERAL(description_, "node description");                                          \
    DF_REQUIRE_LITERAL(doc_url_, "node documentation URL");                                        \
    static const struct df_node_desc ident = {.urn = urn_,                                         \
                                              .kind = (kind_),                                     \
                                              .description = description_,                         \
                                              .documentation_url = doc_url_,                       \
                                              .def_file = __FILE__,                                \
                                              .def_line = __LINE__,                                \
                                              __VA_ARGS__};                                        \
    DF_REGISTER_IN("df_nodes", struct df_node_desc, ident)

/* --- Identity -------------------------------------------------------- */

const char *df_node_name(const struct df_node *node);  /* the node id in the config */
unsigned df_node_core(const struct df_node *node);     /* the CPU the instance runs on */
const char *df_node_scope(const struct df_node *node); /* "group/pipeline/node" */
struct uv_loop_s *df_node_loop(struct df_node *node);  /* the core's libuv loop */

/* The pipeline's queue capacity (policies.channel_capacity.pdata): a
 * natural bound for what a receiver keeps in flight. */
uint32_t df_node_channel_capacity(const struct df_node *node);

/* Logs under the node's scope with its core as a field (df/log.h). */
void df_node_log(const struct df_node *node, enum df_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* --- Sending ---------------------------------------------------------- */

/* The default output port (`default_output`, or the only port). */
#define DF_PORT_DEFAULT (-1)

/* Index of the output port `name`, or DF_ENOENT when the node has none by
 * that name. Ports are the node's `outputs:` (or one port, "default"). */
int df_node_port(const struct df_node *node, const char *name);

/* True when every output port has at least one destination whose queue is
 * below capacity. A receiver checks before taking input in; when false it
 * stops reading and waits for its `resume` hook. */
bool df_node_can_send(const struct df_node *node);

/* Stops (true) or resumes (false) handing this node input: an exporter at
 * its limit of requests in flight pauses, so that its queue fills and the
 * pipeline pushes back, and resumes when a request completes. A paused node
 * does not finish draining until it resumes (or its stage's deadline). */
void df_node_pause_input(struct df_node *node, bool paused);

/* Sends `pd` out of `port`; ownership passes to the runtime. With several
 * destinations (dispatch one_of) the least loaded one takes it. Never
 * blocks; the capacity contract is df_node_can_send's. A port that is not
 * connected Nacks `pd` (permanent). Returns 0 or DF_ENOENT for an unknown
 * port (then `pd` is Nacked as well). */
int df_node_send(struct df_node *node, int port, struct df_pdata *pd);

/* --- pdata and outcomes ---------------------------------------------- */

/* A new pdata on this core with an empty context: takes one more reference
 * to `bytes` and views [data, data + len) inside it. NULL when memory is
 * exhausted. */
struct df_pdata *df_pdata_new(struct df_node *node, enum df_signal signal, struct df_bytes *bytes,
                              const uint8_t *data, size_t len, uint64_t items);

/* Asks for the outcome of `pd`: pushes a frame (this node, cookie).
 * Returns DF_ERANGE when the stack is full (the outcome then goes to the
 * nearer subscribers only). */
int df_pdata_subscribe(struct df_node *node, struct df_pdata *pd, uint64_t cookie);

/* Settles `pd` (ownership passes to the runtime): the outcome travels to the
 * nearest subscriber, or the pdata is released when there is none. The
 * outcome hook runs later, from the core's loop, never inside this call. */
void df_node_ack(struct df_node *node, struct df_pdata *pd);
void df_node_nack(struct df_node *node, struct df_pdata *pd, enum df_outcome kind, const char *fmt,
                  ...) __attribute__((format(printf, 4, 5)));

/* --- Lifecycle -------------------------------------------------------- */

/* Tells the runtime this node finished draining (see `drain`). */
void df_node_drained(struct df_node *node);

/* --- Timers ----------------------------------------------------------- */

struct df_timer;
typedef void (*df_timer_fn)(struct df_node *node, void *state);

/* Creates a timer calling `fn(node, state)` on the core's loop; create only.
 * The runtime closes it when the instance is destroyed. NULL on exhaustion. */
struct df_timer *df_node_timer(struct df_node *node, df_timer_fn fn);

/* (Re)arms: first call after `timeout_ns`, then every `repeat_ns` (0 = once). */
void df_timer_start(struct df_timer *t, uint64_t timeout_ns, uint64_t repeat_ns);
void df_timer_stop(struct df_timer *t);

/* --- Metrics ---------------------------------------------------------- */

enum df_metric_type { DF_METRIC_COUNTER, DF_METRIC_GAUGE };

struct df_metric;

/* Declares a node metric, exported as `name{group,pipeline,node,core}`;
 * create only. `name` and `help` must be string literals (or otherwise
 * outlive the engine). NULL on exhaustion or when the node already declared
 * DF_NODE_METRICS_MAX metrics. */
#define DF_NODE_METRICS_MAX 16
struct df_metric *df_node_metric(struct df_node *node, enum df_metric_type type, const char *name,
                                 const char *help);

/* Writes a metric; only its node's core thread may. */
void df_metric_set(struct df_metric *m, double v);
void df_metric_add(struct df_metric *m, double v);

#endif
