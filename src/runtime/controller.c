/* The engine controller (runtime/controller.h). */
#define _GNU_SOURCE
#include "runtime/controller.h"

#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin/admin.h"
#include "df/log.h"
#include "net/addr.h"
#include "runtime/placement.h"

const char *df_engine_phase_name(int phase)
{
    static const char *const names[] = {
#define NAME(name, text) text,
        DF_ENGINE_PHASES(NAME)
#undef NAME
    };
    return (unsigned)phase < DF_COUNTOF(names) ? names[phase] : "unknown";
}

bool df_engine_ready(const struct df_engine *e)
{
    if (e->phase != DF_ENGINE_RUNNING)
        return false;
    for (size_t p = 0; p < e->npipelines; p++) {
        for (size_t c = 0; c < e->pipelines[p].ncores; c++) {
            const struct df_core_pipeline *pl = &e->pipelines[p].slots[c].pl;
            if (df_core_pipeline_state(pl) != DF_PIPELINE_RUNNING || df_core_pipeline_error(pl))
                return false;
        }
    }
    return true;
}

/* ---- core threads -------------------------------------------------------- */

static void notify_control(void *ud)
{
    uv_async_send(&((struct df_engine *)ud)->wake);
}

struct thread_arg {
    struct df_engine *e;
    struct df_engine_pipeline *ep;
    struct df_core_slot *slot;
    unsigned core;
};

static void core_thread(void *arg)
{
    struct thread_arg a = *(struct thread_arg *)arg;
    free(arg);
    /* Signals belong to the control thread. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    cpu_set_t cpus;
    CPU_ZERO(&cpus);
    CPU_SET(a.core, &cpus);
    if (pthread_setaffinity_np(pthread_self(), sizeof cpus, &cpus))
        df_log(DF_LOG_WARN, "runtime", NULL, "could not pin a thread to core %u", a.core);
    char name[16];
    snprintf(name, sizeof name, "df-core-%u", a.core);
    pthread_setname_np(pthread_self(), name);
    struct df_core_pipeline *pl = &a.slot->pl;
    if (df_core_pipeline_build(pl, a.ep->group, a.ep->name, a.ep->cfg, a.core,
                               __atomic_load_n(&a.e->opts.drain_deadline_ns, __ATOMIC_RELAXED),
                               notify_control, a.e, &a.ep->shared,
                               (unsigned)(a.slot - a.ep->slots)) < 0) {
        a.slot->rc = 1;
        return;
    }
    a.slot->rc = df_core_pipeline_run(pl);
}

/* ---- control loop -------------------------------------------------------- */

/* Says why the first instance that failed to build did (a node's create
 * hook refusing its bindings, an extension that cannot be made), beside how
 * many failed. */
static void log_build_failure(const struct df_engine *e, size_t failed, size_t total)
{
    for (size_t p = 0; p < e->npipelines; p++) {
        for (size_t c = 0; c < e->pipelines[p].ncores; c++) {
            const struct df_core_pipeline *pl = &e->pipelines[p].slots[c].pl;
            const char *err = df_core_pipeline_error(pl);
            if (df_core_pipeline_state(pl) == DF_PIPELINE_FAILED && err) {
                df_log(DF_LOG_ERROR, "engine", NULL,
                       "%zu of %zu pipeline instances failed to build; not starting: pipeline "
                       "%s/%s on core %u: %s",
                       failed, total, pl->group, pl->name, pl->core, err);
                return;
            }
        }
    }
    df_log(DF_LOG_ERROR, "engine", NULL,
           "%zu of %zu pipeline instances failed to build; not starting", failed, total);
}

/* Posts `cmd` to every core that has built its graph. A core's loop ends
 * only after DF_CMD_DRAIN or DF_CMD_ABORT, so each slot is sent at most one
 * of those and nothing after it: a post never reaches a closed loop. */
static void post_all(struct df_engine *e, unsigned cmd)
{
    for (size_t p = 0; p < e->npipelines; p++) {
        for (size_t c = 0; c < e->pipelines[p].ncores; c++) {
            struct df_core_slot *slot = &e->pipelines[p].slots[c];
            int st = df_core_pipeline_state(&slot->pl);
            if (slot->final_posted || st == DF_PIPELINE_PENDING || st == DF_PIPELINE_FAILED)
                continue;
            if (cmd & (DF_CMD_DRAIN | DF_CMD_ABORT))
                slot->final_posted = true;
            df_core_pipeline_post(&slot->pl, cmd);
        }
    }
}

void df_engine_set_drain_deadline(struct df_engine *e, uint64_t ns)
{
    __atomic_store_n(&e->opts.drain_deadline_ns, ns, __ATOMIC_RELAXED);
    for (size_t p = 0; p < e->npipelines; p++) {
        for (size_t c = 0; c < e->pipelines[p].ncores; c++)
            __atomic_store_n(&e->pipelines[p].slots[c].pl.drain_deadline_ns, ns, __ATOMIC_RELAXED);
    }
}

void df_engine_shutdown(struct df_engine *e, const char *why)
{
    if (e->shutdown_requested)
        return;
    e->shutdown_requested = true;
    df_log(DF_LOG_INFO, "engine", NULL, "shutting down: %s; draining every pipeline", why);
    if (e->phase == DF_ENGINE_RUNNING) {
        e->phase = DF_ENGINE_STOPPING;
        post_all(e, DF_CMD_DRAIN);
    }
    /* STARTING: wake_cb aborts once every core has reported. */
    uv_async_send(&e->wake);
}

static void admin_closed(void *ud)
{
    struct df_engine *e = ud;
    e->admin = NULL;
    uv_close((uv_handle_t *)&e->wake, NULL);
    uv_close((uv_handle_t *)&e->sigint, NULL);
    uv_close((uv_handle_t *)&e->sigterm, NULL);
}

/* Every core is done: the shared extensions stop (bounded by the drain
 * deadline), then the control loop winds down. */
static void finish(struct df_engine *e)
{
    if (e->phase == DF_ENGINE_STOPPED)
        return;
    if (!e->shared_stopping) {
        e->shared_stopping = true;
        for (size_t p = 0; p < e->npipelines; p++)
            df_ext_set_stop(&e->pipelines[p].shared,
                            __atomic_load_n(&e->opts.drain_deadline_ns, __ATOMIC_RELAXED));
    }
    for (size_t p = 0; p < e->npipelines; p++) {
        if (!df_ext_set_stopped(&e->pipelines[p].shared))
            return; /* shared_event wakes us when they are */
    }
    for (size_t p = 0; p < e->npipelines; p++)
        df_ext_set_close(&e->pipelines[p].shared);
    e->phase = DF_ENGINE_STOPPED;
    if (e->admin)
        df_admin_close(e->admin, admin_closed, e);
    else
        admin_closed(e);
}

static void wake_cb(uv_async_t *h)
{
    struct df_engine *e = h->data;
    size_t total = 0, built = 0, running = 0, done = 0, failed = 0, start_failed = 0;
    for (size_t p = 0; p < e->npipelines; p++) {
        for (size_t c = 0; c < e->pipelines[p].ncores; c++) {
            struct df_core_pipeline *pl = &e->pipelines[p].slots[c].pl;
            int st = df_core_pipeline_state(pl);
            total++;
            built += st == DF_PIPELINE_BUILT;
            running += st == DF_PIPELINE_RUNNING;
            failed += st == DF_PIPELINE_FAILED;
            done += st == DF_PIPELINE_STOPPED || st == DF_PIPELINE_FAILED;
            /* A node that failed to start, or an extension that failed
             * (also while its core waits for readiness, still BUILT). */
            start_failed +=
                st != DF_PIPELINE_PENDING && st != DF_PIPELINE_FAILED && df_core_pipeline_error(pl);
        }
    }
    const struct df_ext_set *shared_failed = NULL;
    bool shared_ready = true;
    for (size_t p = 0; p < e->npipelines; p++) {
        const struct df_ext_set *s = &e->pipelines[p].shared;
        if (s->failed && !shared_failed)
            shared_failed = s;
        shared_ready = shared_ready && df_ext_set_ready(s);
    }
    if (e->phase == DF_ENGINE_STARTING && built + failed == total) {
        if (!failed && !e->shutdown_requested && !shared_failed && !e->shared_started) {
            /* Shared extensions start once every core has built; the cores
             * start once those are ready. */
            e->shared_started = true;
            for (size_t p = 0; p < e->npipelines && !shared_failed; p++) {
                if (df_ext_set_start(&e->pipelines[p].shared) < 0)
                    shared_failed = &e->pipelines[p].shared;
                shared_ready = shared_ready && df_ext_set_ready(&e->pipelines[p].shared);
            }
        }
        if (failed || e->shutdown_requested || shared_failed) {
            if (failed) {
                e->exit_code = 1;
                log_build_failure(e, failed, total);
            }
            if (shared_failed) {
                e->exit_code = 1;
                df_log(DF_LOG_ERROR, "engine", NULL, "%s/%s: %s; not starting",
                       shared_failed->group, shared_failed->pipeline, shared_failed->error);
            }
            e->phase = DF_ENGINE_STOPPING;
            post_all(e, DF_CMD_ABORT);
        } else if (shared_ready) {
            e->phase = DF_ENGINE_RUNNING;
            post_all(e, DF_CMD_START);
        }
    }
    if (shared_failed && e->phase == DF_ENGINE_RUNNING && !e->shutdown_requested) {
        e->exit_code = 1;
        char why[DF_ERROR_MSG_MAX + 64];
        snprintf(why, sizeof why, "%s/%s: %s", shared_failed->group, shared_failed->pipeline,
                 shared_failed->error);
        df_engine_shutdown(e, why);
    }
    if (e->phase == DF_ENGINE_RUNNING && running == total && !e->started_ns) {
        e->started_ns = uv_hrtime();
        df_log(DF_LOG_INFO, "engine", NULL, "all %zu pipeline instances are running", total);
    }
    if (start_failed && !e->shutdown_requested) {
        e->exit_code = 1;
        char why[DF_ERROR_MSG_MAX + 128] = "a pipeline failed";
        for (size_t p = 0; p < e->npipelines && !strchr(why, ':'); p++) {
            for (size_t c = 0; c < e->pipelines[p].ncores; c++) {
                const struct df_core_pipeline *pl = &e->pipelines[p].slots[c].pl;
                const char *err = df_core_pipeline_error(pl);
                if (df_core_pipeline_state(pl) != DF_PIPELINE_FAILED && err) {
                    snprintf(why, sizeof why, "pipeline %s/%s failed on core %u: %s", pl->group,
                             pl->name, pl->core, err);
                    break;
                }
            }
        }
        df_engine_shutdown(e, why);
    }
    if (e->phase == DF_ENGINE_STOPPING && done == total)
        finish(e);
}

static void signal_cb(uv_signal_t *h, int signum)
{
    struct df_engine *e = h->data;
    if (++e->signals > 1) {
        df_log(DF_LOG_ERROR, "engine", NULL, "second signal (%s): exiting now", strsignal(signum));
        _exit(1);
    }
    char why[64];
    snprintf(why, sizeof why, "received %s", signum == SIGINT ? "SIGINT" : "SIGTERM");
    df_engine_shutdown(e, why);
}

/* ---- placement ----------------------------------------------------------- */

static int place(struct df_engine *e)
{
    unsigned avail[DF_MAX_CORES], sel[DF_MAX_CORES];
    size_t navail = df_placement_available(avail, DF_COUNTOF(avail));
    struct df_core_allocation cli = {0};
    bool has_cli = false;
    if (e->opts.core_lo >= 0) {
        e->cli_range = (struct df_core_range){e->opts.core_lo, e->opts.core_hi};
        cli = (struct df_core_allocation){.strategy = DF_CORES_SET,
                                          .set = {.items = &e->cli_range, .count = 1}};
        has_cli = true;
    } else if (e->opts.num_cores > 0) {
        cli = (struct df_core_allocation){.strategy = DF_CORES_COUNT, .count = e->opts.num_cores};
        has_cli = true;
    }
    size_t np = 0;
    for (size_t g = 0; g < e->cfg->groups.count; g++)
        np += DF_MAP_AT(e->cfg->groups, struct df_group_cfg, g)->pipelines.count;
    e->pipelines = calloc(np ? np : 1, sizeof *e->pipelines);
    if (!e->pipelines)
        return DF_ENOMEM;
    for (size_t g = 0; g < e->cfg->groups.count; g++) {
        const struct df_group_cfg *gc = DF_MAP_AT(e->cfg->groups, struct df_group_cfg, g);
        for (size_t p = 0; p < gc->pipelines.count; p++) {
            const struct df_pipeline_cfg *pc = DF_MAP_AT(gc->pipelines, struct df_pipeline_cfg, p);
            const struct df_core_allocation *alloc = &pc->resolved.core_allocation;
            if (has_cli && pc->resolved.core_allocation_scope >= DF_SCOPE_TOP)
                alloc = &cli;
            size_t n;
            char err[512];
            if (df_placement_select(alloc, avail, navail, sel, &n, err, sizeof err)) {
                df_log(DF_LOG_ERROR, "engine", NULL, "groups.%s.pipelines.%s: %s%s",
                       e->cfg->groups.keys[g], gc->pipelines.keys[p], err,
                       alloc == &cli ? (e->opts.core_lo >= 0 ? " (from --core-id-range)"
                                                             : " (from --num-cores)")
                                     : "");
                return DF_ERANGE;
            }
            struct df_engine_pipeline *ep = &e->pipelines[e->npipelines++];
            ep->group = e->cfg->groups.keys[g];
            ep->name = gc->pipelines.keys[p];
            ep->cfg = pc;
            ep->slots = calloc(n, sizeof *ep->slots);
            if (!ep->slots)
                return DF_ENOMEM;
            ep->ncores = n;
            for (size_t c = 0; c < n; c++)
                ep->slots[c].core = sel[c];
            char list[256];
            df_log(DF_LOG_INFO, "engine", NULL, "pipeline %s/%s placed on cores %s", ep->group,
                   ep->name, df_placement_format(sel, n, list, sizeof list));
        }
    }
    return 0;
}

/* ---- run ----------------------------------------------------------------- */

/* A shared extension changed (ready, failed, stopped): re-evaluate. */
static void shared_event(struct df_ext_set *set, void *ud)
{
    (void)set;
    uv_async_send(&((struct df_engine *)ud)->wake);
}

/* Creates every pipeline's shared extension instances (control thread,
 * before any core builds its graph). */
static int build_shared(struct df_engine *e)
{
    for (size_t p = 0; p < e->npipelines; p++) {
        struct df_engine_pipeline *ep = &e->pipelines[p];
        int rc = df_ext_set_build(&ep->shared, ep->group, ep->name, ep->cfg, DF_EXEC_SHARED, -1,
                                  (unsigned)ep->ncores, &e->loop, shared_event, e);
        ep->shared_built = true;
        if (rc < 0) {
            df_log(DF_LOG_ERROR, "engine", NULL, "%s/%s: %s; not starting", ep->group, ep->name,
                   ep->shared.error);
            return rc;
        }
    }
    return 0;
}

static void free_engine(struct df_engine *e)
{
    for (size_t p = 0; p < e->npipelines; p++) {
        if (e->pipelines[p].shared_built) {
            df_ext_set_destroy(&e->pipelines[p].shared);
            df_ext_set_free(&e->pipelines[p].shared);
        }
        for (size_t c = 0; c < e->pipelines[p].ncores; c++)
            df_core_pipeline_free(&e->pipelines[p].slots[c].pl);
        free(e->pipelines[p].slots);
    }
    free(e->pipelines);
}

int df_engine_run(const struct df_config *cfg, const struct df_engine_opts *opts)
{
    struct df_engine *e = calloc(1, sizeof *e);
    if (!e)
        return 1;
    e->cfg = cfg;
    e->opts = *opts;
    e->created_ns = uv_hrtime();
    if (!e->opts.drain_deadline_ns)
        e->opts.drain_deadline_ns = DF_DEFAULT_DRAIN_DEADLINE_NS;
    df_log_set_level((enum df_log_level)cfg->engine.telemetry.logs.level);
    /* Batches are a few hundred KiB each, allocated and freed at a high rate
     * on every core. glibc's defaults would serve each from mmap, or trim
     * the core's arena with madvise after each free: a system call and fresh
     * page faults per batch (measured: a 3x slower merge benchmark). Memory
     * in use is bounded by the queues, so keeping freed memory is cheap. */
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
    if (place(e)) {
        free_engine(e);
        free(e);
        return 1;
    }
    uv_loop_init(&e->loop);
    uv_async_init(&e->loop, &e->wake, wake_cb);
    e->wake.data = e;
    uv_signal_init(&e->loop, &e->sigint);
    uv_signal_init(&e->loop, &e->sigterm);
    e->sigint.data = e->sigterm.data = e;
    uv_signal_start(&e->sigint, signal_cb, SIGINT);
    uv_signal_start(&e->sigterm, signal_cb, SIGTERM);

    const struct df_sockaddr *bind =
        opts->admin_bind ? opts->admin_bind : &cfg->engine.http_admin.bind_address;
    struct sockaddr_storage ss;
    char err[512];
    if (df_sockaddr_resolve(bind, &ss, err, sizeof err) ||
        !(e->admin = df_admin_start(e, (struct sockaddr *)&ss, err, sizeof err))) {
        df_log(DF_LOG_ERROR, "admin", NULL, "%s", err);
        e->exit_code = 1;
        e->phase = DF_ENGINE_STOPPED;
        admin_closed(e);
        uv_run(&e->loop, UV_RUN_DEFAULT);
        uv_loop_close(&e->loop);
        free_engine(e);
        free(e);
        return 1;
    }

    e->phase = DF_ENGINE_STARTING;
    if (build_shared(e) < 0) {
        e->exit_code = 1;
        finish(e);
    }
    for (size_t p = 0; p < e->npipelines && e->phase == DF_ENGINE_STARTING; p++) {
        struct df_engine_pipeline *ep = &e->pipelines[p];
        for (size_t c = 0; c < ep->ncores; c++) {
            struct thread_arg *a = malloc(sizeof *a);
            struct df_core_slot *slot = &ep->slots[c];
            if (!a) {
                slot->pl.state = DF_PIPELINE_FAILED;
                continue;
            }
            *a = (struct thread_arg){.e = e, .ep = ep, .slot = slot, .core = slot->core};
            if (uv_thread_create(&slot->thread, core_thread, a)) {
                free(a);
                slot->pl.state = DF_PIPELINE_FAILED;
                continue;
            }
            slot->thread_started = true;
        }
    }
    uv_async_send(&e->wake); /* in case every thread failed to start */
    uv_run(&e->loop, UV_RUN_DEFAULT);

    int code = e->exit_code;
    for (size_t p = 0; p < e->npipelines; p++) {
        for (size_t c = 0; c < e->pipelines[p].ncores; c++) {
            struct df_core_slot *slot = &e->pipelines[p].slots[c];
            if (slot->thread_started)
                uv_thread_join(&slot->thread);
            if (slot->rc)
                code = 1;
        }
    }
    uv_loop_close(&e->loop);
    df_log(code ? DF_LOG_WARN : DF_LOG_INFO, "engine", NULL, "stopped (exit code %d)", code);
    free_engine(e);
    free(e);
    return code;
}
