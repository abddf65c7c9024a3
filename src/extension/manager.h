/* extension/manager.h — the extension instances of one pipeline.
 *
 * A `struct df_ext_set` holds the instances of one execution model declared
 * in one pipeline's `extensions:`: the local ones of one core (built, run
 * and torn down by that core's thread, on its loop) or the shared ones of
 * the pipeline (on the control thread's loop, used by every core of the
 * pipeline through per-core `self` objects made by the provider's attach
 * hook). Instances are created in declaration order and stopped in reverse.
 *
 * Life: build (create hooks) -> [attach per core, shared] -> start (start
 * hooks; readiness timers armed) -> ready / failed events -> stop (stop
 * hooks, one deadline for the set) -> stopped event -> [detach per core] ->
 * close (handles closed; run the loop once after) -> destroy (destroy hooks)
 * -> free (the instance records). Every function runs on the set's loop thread, except attach and
 * detach, which run on a core's thread and touch only that core's slot.
 *
 * Events (`on_event`, on the set's loop) say that something changed: an
 * instance became ready, failed, or the stop finished; the owner then reads
 * df_ext_set_ready / ->failed / df_ext_set_stopped. */
#ifndef DF_EXTENSION_MANAGER_H
#define DF_EXTENSION_MANAGER_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "config/model.h"
#include "df/extension.h"
#include "net/fetch.h"

#define DF_EXT_STATES(X)                                                                           \
    X(DF_EXT_CREATED, "created")                                                                   \
    X(DF_EXT_STARTING, "starting")                                                                 \
    X(DF_EXT_RUNNING, "running")                                                                   \
    X(DF_EXT_STOPPING, "stopping")                                                                 \
    X(DF_EXT_STOPPED, "stopped")                                                                   \
    X(DF_EXT_FAILED, "failed")

enum df_ext_state {
#define DF_EXT_STATE_ENUM(name, text) name,
    DF_EXT_STATES(DF_EXT_STATE_ENUM)
#undef DF_EXT_STATE_ENUM
};

const char *df_ext_state_name(int state);

struct df_ext_set;
typedef void (*df_ext_event_fn)(struct df_ext_set *set, void *ud);

struct df_ext_timer {
    uv_timer_t handle;
    struct df_extension *ext;
    df_ext_timer_fn fn;
    struct df_ext_timer *next;
};

struct df_ext_watch;

struct df_extension {
    struct df_ext_set *set;
    const char *id;
    const struct df_extension_desc *desc;
    const struct df_extension_cfg *cfg;
    char scope[192]; /* group/pipeline/extension */
    char fields[24]; /* "core=N" (local) or "" */
    void *state;
    int lstate; /* enum df_ext_state (relaxed atomic: the metrics read it) */
    bool created, started, ready, stop_requested, stopped;
    uint64_t start_ns;
    uint64_t ready_ns;     /* 0 until ready (relaxed atomic) */
    uint64_t last_ok_ns;   /* last ok refresh, or ready time (relaxed atomic) */
    uint64_t refreshes[2]; /* [0] ok, [1] failed (relaxed atomic) */
    uint64_t size[2];      /* state in force: [0] entries + 1 (0: never told), [1] bytes
                            * (relaxed atomics) */
    uv_timer_t ready_timer;
    struct df_ext_timer *timers;
    struct df_ext_watch *watches;
    void **selves;                 /* shared: per core slot, from attach (NULL = state) */
    struct df_fetch_client *fetch; /* made by df_extension_fetch; closed at stop */
    char error[DF_ERROR_MSG_MAX];
};

struct df_ext_set {
    uv_loop_t *loop;
    const char *group, *pipeline;
    enum df_exec_model model;
    int core; /* the core of a local set, -1 for shared */
    struct df_extension *items;
    size_t n;
    unsigned nslots; /* shared: how many cores attach */
    df_ext_event_fn on_event;
    void *ud;
    uv_timer_t stop_timer;
    bool handles_init, stopping, stop_done, closed;
    char error[DF_ERROR_MSG_MAX]; /* the first failure, naming the extension */
    bool failed;
};

/* Creates the instances of `cfg->extensions` whose provider has execution
 * model `model`, on `loop` (local: core `core`; shared: core -1 and `nslots`
 * attach slots). Returns 0, or a negative code with `set->error` naming the
 * extension (the instances created so far are destroyed). */
int df_ext_set_build(struct df_ext_set *set, const char *group, const char *pipeline,
                     const struct df_pipeline_cfg *cfg, enum df_exec_model model, int core,
                     unsigned nslots, uv_loop_t *loop, df_ext_event_fn on_event, void *ud);

/* The instance named `id`, or NULL. Any thread once built. */
struct df_extension *df_ext_set_find(const struct df_ext_set *set, const char *id);

/* Shared sets: makes core slot `slot`'s self objects (attach hooks), on the
 * core's thread. Returns 0, or a negative code with `err` naming the
 * extension (the slot's attachments made so far are undone). */
int df_ext_set_attach(struct df_ext_set *set, unsigned slot, unsigned core, struct df_error *err);
void df_ext_set_detach(struct df_ext_set *set, unsigned slot);

/* The `self` a handle on core slot `slot` passes to `ext`'s methods. */
void *df_ext_self(const struct df_extension *ext, unsigned slot);

/* Starts every instance. Returns 0, or a negative code with set->error (the
 * set is then failed; stop it as usual). */
int df_ext_set_start(struct df_ext_set *set);

/* True when every instance has reported ready (or needs no gate). */
bool df_ext_set_ready(const struct df_ext_set *set);

/* Asks every started instance to stop, in reverse order; the stopped event
 * comes when all did or `deadline_ns` passed (the laggards are named in the
 * log). Idempotent. */
void df_ext_set_stop(struct df_ext_set *set, uint64_t deadline_ns);
bool df_ext_set_stopped(const struct df_ext_set *set);

/* Closes every handle of the set (timers, watches); run the loop afterwards
 * so the close callbacks complete before df_ext_set_destroy. */
void df_ext_set_close(struct df_ext_set *set);

/* Calls the destroy hooks (reverse order) and frees what the instances
 * held. The instance records stay readable (names, states, counters: the
 * metrics exposition may still read them from another thread) until
 * df_ext_set_free. */
void df_ext_set_destroy(struct df_ext_set *set);
void df_ext_set_free(struct df_ext_set *set);

#endif
