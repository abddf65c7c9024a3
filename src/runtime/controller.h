/* runtime/controller.h — the engine: placement, core threads, control loop.
 *
 * df_engine_run is the whole life of a running engine on the calling
 * (control) thread: it resolves each pipeline's cores, starts one pinned
 * thread per (pipeline, core) that builds its copy of the graph (the shared
 * extension instances of each pipeline are created first, on the control
 * thread), starts the shared extensions once every core has built and the
 * cores once those are ready (or aborts them all when one failed), hosts
 * the admin API and signal handling on its own libuv loop, and on SIGTERM,
 * SIGINT or POST /api/v1/groups/shutdown drains every core, stops the shared
 * extensions and joins the threads. A second signal exits 1 at once. The core threads never wait on
 * the control thread: it reads their states and counters (relaxed atomics)
 * and posts commands through each core's coalescing async handle. */
#ifndef DF_RUNTIME_CONTROLLER_H
#define DF_RUNTIME_CONTROLLER_H

#include <stdint.h>
#include <uv.h>

#include "config/model.h"
#include "runtime/runtime.h"

struct df_engine_opts {
    int64_t num_cores;                    /* --num-cores, 0 = not given */
    int64_t core_lo, core_hi;             /* --core-id-range, -1 = not given */
    const struct df_sockaddr *admin_bind; /* NULL = the config's */
    uint64_t drain_deadline_ns;           /* per drain stage */
};

#define DF_DEFAULT_DRAIN_DEADLINE_NS (60ull * 1000000000ull)

/* One pipeline on one core, with its thread. */
struct df_core_slot {
    unsigned core; /* set before the thread starts; the control thread reads this one */
    struct df_core_pipeline pl;
    uv_thread_t thread;
    bool thread_started;
    bool final_posted; /* DF_CMD_DRAIN or _ABORT sent: post nothing more */
    int rc;
};

struct df_engine_pipeline {
    const char *group, *name;
    const struct df_pipeline_cfg *cfg;
    size_t ncores;
    struct df_core_slot *slots;
    struct df_ext_set shared; /* its shared extension instances (control loop) */
    bool shared_built;
};

#define DF_ENGINE_PHASES(X)                                                                        \
    X(DF_ENGINE_STARTING, "starting")                                                              \
    X(DF_ENGINE_RUNNING, "running")                                                                \
    X(DF_ENGINE_STOPPING, "stopping")                                                              \
    X(DF_ENGINE_STOPPED, "stopped")

enum df_engine_phase {
#define DF_ENGINE_PHASE_ENUM(name, text) name,
    DF_ENGINE_PHASES(DF_ENGINE_PHASE_ENUM)
#undef DF_ENGINE_PHASE_ENUM
};

const char *df_engine_phase_name(int phase);

struct df_admin;

struct df_engine {
    const struct df_config *cfg;
    struct df_engine_opts opts;
    struct df_core_range cli_range; /* --core-id-range as a core_set */
    uv_loop_t loop;                 /* the control thread's */
    uv_async_t wake;
    uv_signal_t sigint, sigterm;
    struct df_engine_pipeline *pipelines;
    size_t npipelines;
    int phase; /* enum df_engine_phase; control thread */
    bool shutdown_requested;
    int signals;
    int exit_code;
    uint64_t created_ns;  /* uv_hrtime when df_engine_run began */
    uint64_t started_ns;  /* uv_hrtime when every pipeline ran, 0 before */
    bool shared_started;  /* the shared extensions were started */
    bool shared_stopping; /* ... and asked to stop */
    struct df_admin *admin;
};

/* Runs `cfg` until shutdown. Returns the process exit code: 0 after a clean
 * drain, 1 when the engine could not start or a drain deadline expired. */
int df_engine_run(const struct df_config *cfg, const struct df_engine_opts *opts);

/* Starts the drain of every pipeline (idempotent); control thread. */
void df_engine_shutdown(struct df_engine *e, const char *why);

/* Sets the per-stage drain deadline for a drain not yet begun; control
 * thread. */
void df_engine_set_drain_deadline(struct df_engine *e, uint64_t ns);

/* True when every pipeline runs on every core it was placed on. */
bool df_engine_ready(const struct df_engine *e);

#endif
