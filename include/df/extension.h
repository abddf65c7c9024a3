/* df/extension.h — extension provider descriptors.
 *
 * An extension provider implements one or more capabilities
 * (df/capability.h). Its descriptor states, besides the catalog metadata,
 * the execution model it was written for — `local` (one instance per core,
 * touched only by that core) or `shared` (one instance for the scope, its ops
 * thread-safe) — and its lifecycle: `passive` (capabilities, no task),
 * `active` (capabilities and a background task) or `background` (a task, no
 * capabilities). Immutable; registered at link time with
 * DF_REGISTER_EXTENSION. */
#ifndef DF_EXTENSION_H
#define DF_EXTENSION_H

#include <stdbool.h>
#include <stdint.h>

#include "df/error.h"
#include "df/fetch.h"
#include "df/log.h"
#include "df/options.h"
#include "df/register.h"

#define DF_EXEC_MODELS(X)                                                                          \
    X(DF_EXEC_LOCAL, "local")                                                                      \
    X(DF_EXEC_SHARED, "shared")

enum df_exec_model {
#define DF_EXEC_MODEL_ENUM(name, text) name,
    DF_EXEC_MODELS(DF_EXEC_MODEL_ENUM)
#undef DF_EXEC_MODEL_ENUM
};

#define DF_LIFECYCLES(X)                                                                           \
    X(DF_LIFECYCLE_PASSIVE, "passive")                                                             \
    X(DF_LIFECYCLE_ACTIVE, "active")                                                               \
    X(DF_LIFECYCLE_BACKGROUND, "background")

enum df_lifecycle {
#define DF_LIFECYCLE_ENUM(name, text) name,
    DF_LIFECYCLES(DF_LIFECYCLE_ENUM)
#undef DF_LIFECYCLE_ENUM
};

const char *df_exec_model_name(enum df_exec_model m);
const char *df_lifecycle_name(enum df_lifecycle l);

/* One capability a provider implements: its name, the ops-table version it
 * fills and the table (a `struct df_<capability>_ops`). */
struct df_ext_capability {
    const char *name;
    uint32_t version;
    const void *ops;
};

struct df_extension; /* an instance (runtime-owned) */

/* The provider's hooks. Which thread calls them:
 *   local   everything on the core's thread: one instance per core, touched
 *           by nothing else, so plain memory and no atomics;
 *   shared  create, start, stop and destroy on the control thread (one
 *           instance for the pipeline); attach and detach on each core's
 *           thread, possibly at the same time on several cores; the
 *           capability methods on every core at once, so they must be
 *           thread-safe, and should read state published with
 *           df_snapshot_publish through a per-core df_snapshot_view rather
 *           than take a lock per call.
 *
 * Order: create (before the nodes that bind the instance are created),
 * attach per core (shared: as each core's nodes are created), start (before
 * any of those nodes start; with `ready_timeout_ns`, pipeline start waits
 * for df_extension_ready), then, local: stop (after the core's nodes
 * drained and were destroyed, also when the pipeline failed), destroy;
 * shared: detach (as each core finishes tearing down), stop (after every
 * core of the pipeline finished), destroy. */
struct df_extension_ops {
    /* Returns 0, or a negative code with a message in `err`. `options` is
     * the parsed `config:` (NULL without an option table), valid for the
     * instance's life. Sets *state. Failing stops the engine from starting. */
    int (*create)(struct df_extension *ext, const void *options, void **state,
                  struct df_error *err);
    /* Optional: begin the background task (timers, watches, fetches made
     * with the df_extension_* functions below run on the instance's loop).
     * Returns 0 or a negative code with `err`. */
    int (*start)(struct df_extension *ext, void *state, struct df_error *err);
    /* Optional: stop the task. Call df_extension_stopped once done (possibly
     * from within the hook); the runtime waits up to its stop deadline, then
     * goes on. Timers, watches and fetches are closed by the runtime after. */
    void (*stop)(struct df_extension *ext, void *state);
    /* Optional. */
    void (*destroy)(struct df_extension *ext, void *state);
    /* Optional, shared providers: the object a core's handles pass as `self`
     * (a per-core view, say); without it `self` is the instance state.
     * Returns 0 or a negative code with `err`. */
    int (*attach)(struct df_extension *ext, void *state, unsigned core, void **self,
                  struct df_error *err);
    void (*detach)(struct df_extension *ext, void *state, void *self);
};

struct df_extension_desc {
    const char *urn; /* canonical: urn:<namespace>:extension:<id> */
    const char *description;
    const char *documentation_url;
    enum df_exec_model exec_model;
    enum df_lifecycle lifecycle;
    const struct df_ext_capability *capabilities; /* implemented; ends with {0} */
    const struct df_option_table *options;        /* its `config:`; NULL = no keys */
    const struct df_extension_ops *ops;           /* NULL: validation only (cannot run) */
    /* > 0: a readiness gate. Pipeline start waits until the instance calls
     * df_extension_ready, and fails, naming the extension, when that takes
     * longer than this. 0: ready when started. */
    uint64_t ready_timeout_ns;
    const char *def_file;
    int def_line;
};

/* Registers provider `ident`; URN, description and documentation URL must
 * be non-empty string literals. Further fields (.capabilities, .options,
 * .ops, .ready_timeout_ns) follow as designated initialisers. */
#define DF_REGISTER_EXTENSION(ident, urn_, description_, doc_url_, exec_model_, lifecycle_, ...)   \
    DF_REQUIRE_LITERAL(urn_, "extension URN");                                                     \
    DF_REQUIRE_LITERAL(description_, "extension description");                                     \
    DF_REQUIRE_LITERAL(doc_url_, "extension documentation URL");                                   \
    static const struct df_extension_desc ident = {.urn = urn_,                                    \
                                                   .description = description_,                    \
                                                   .documentation_url = doc_url_,                  \
                                                   .exec_model = (exec_model_),                    \
                                                   .lifecycle = (lifecycle_),                      \
                                                   .def_file = __FILE__,                           \
                                                   .def_line = __LINE__,                           \
                                                   __VA_ARGS__};                                   \
    DF_REGISTER_IN("df_extensions", struct df_extension_desc, ident)

/* The capability `name` of `d`, or NULL when it does not implement it. */
const struct df_ext_capability *df_extension_capability(const struct df_extension_desc *d,
                                                        const char *name);

/* ---- the instance's runtime interface -------------------------------------
 *
 * Every function below is called on the instance's loop thread (the core's
 * for a local instance, the control thread's for a shared one), from its
 * hooks or its background task's callbacks, except where it says otherwise. */

const char *df_extension_name(const struct df_extension *ext);  /* the id in the config */
const char *df_extension_scope(const struct df_extension *ext); /* "group/pipeline/ext" */
struct uv_loop_s *df_extension_loop(struct df_extension *ext);

void df_extension_log(const struct df_extension *ext, enum df_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The first state is loaded: releases the readiness gate (idempotent). */
void df_extension_ready(struct df_extension *ext);

/* The instance cannot go on: fails its pipeline, which shuts the engine
 * down with exit code 1 and this message in the log. After start only. */
void df_extension_fail(struct df_extension *ext, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The stop hook's work is done (see df_extension_ops.stop). Called before
 * the runtime asked for a stop, it means the task ended early: the pipeline
 * fails as with df_extension_fail. */
void df_extension_stopped(struct df_extension *ext);

/* Records a refresh of the instance's state (a reload, a fetch): counted in
 * df_extension_refreshes_total{result="ok"|"failed"}; an ok one resets
 * df_extension_state_age_seconds. */
void df_extension_refreshed(struct df_extension *ext, bool ok);

/* Tells the size of the state in force (a dataset's rows and its
 * snapshot's bytes, a key set's keys): exported as
 * df_extension_state_entries and df_extension_state_bytes from the first
 * call on. The instance's loop. */
void df_extension_state_size(struct df_extension *ext, uint64_t entries, uint64_t bytes);

/* Timers on the instance's loop; create or later. When the instance is
 * asked to stop, the runtime stops its armed timers (the stop hook may arm
 * one again to bound its own work) and closes them all once it stopped.
 * NULL on exhaustion. */
struct df_ext_timer;
typedef void (*df_ext_timer_fn)(struct df_extension *ext, void *state);
struct df_ext_timer *df_extension_timer(struct df_extension *ext, df_ext_timer_fn fn);
void df_ext_timer_start(struct df_ext_timer *t, uint64_t timeout_ns, uint64_t repeat_ns);
void df_ext_timer_stop(struct df_ext_timer *t);

/* Watches the file at `path` (followed through symlinks): `fn` runs on the
 * instance's loop after its content may have changed — written in place,
 * replaced by an atomic rename, or a symlink swapped (a Kubernetes secret
 * volume's `..data`), or removed and restored. The runtime compares the
 * file's identity (device, inode), size and times every `interval_ns`
 * (0 = 500 ms), so a change is seen within one interval. Start or later;
 * stopped and closed by the runtime when the instance stops. Returns 0,
 * DF_ENOMEM, or DF_EINVAL once the instance is stopping. */
typedef void (*df_ext_watch_fn)(struct df_extension *ext, void *state);
int df_extension_watch(struct df_extension *ext, const char *path, uint64_t interval_ns,
                       df_ext_watch_fn fn);

/* Starts an HTTP(S) request (df/fetch.h) on the instance's loop, through a
 * client the runtime makes for the instance on first use. `cb(ud, result)`
 * runs exactly once, later, on that loop; when the instance is asked to
 * stop, requests still running end with DF_ECANCELED (before the instance is
 * destroyed), and the stop completes once they did. Start or later, before
 * the stop. Returns 0, DF_EINVAL (a request breaking df/fetch.h's rules, or
 * the instance is stopping), DF_ENOMEM, or DF_EIO (libcurl refused the
 * transfer, or libcurl.so.4 could not be loaded: the engine logged why);
 * then `cb` never runs. */
int df_extension_fetch(struct df_extension *ext, const struct df_fetch_req *req, df_fetch_cb cb,
                       void *ud);

/* ---- state published to readers on every core ---------------------------
 *
 * A snapshot cell holds the current version of some immutable state (a
 * parsed token file, a loaded dataset). The background task publishes a new
 * version whole; readers on any core see either the old or the new one,
 * never a mix. Each reader keeps a df_snapshot_view (one per core: the
 * attach hook is the place to make it). Reading through the view is a plain
 * load and a compare with the cell's version (relaxed, no read-modify-write,
 * no lock); only when the version changed does the view take the new state
 * (a short lock and a reference count, once per publication per core). A
 * version is freed with `free_fn` when it is no longer current and no view
 * holds it, on whichever thread let go of it last. */
struct df_snapshot;
struct df_snapshot_ref; /* one published version (runtime-owned) */

struct df_snapshot_view {
    struct df_snapshot *cell;
    const uint64_t *current; /* the cell's version counter */
    uint64_t version;        /* the version `ref` holds */
    struct df_snapshot_ref *ref;
    const void *value;
};

/* A new cell without a value; `free_fn` frees published values (may be
 * NULL). Any thread. NULL on exhaustion. */
struct df_snapshot *df_snapshot_new(void (*free_fn)(void *value));

/* Makes `value` current (ownership passes to the cell; NULL is a valid
 * "nothing loaded" value). Any thread. Returns 0, or DF_ENOMEM (then
 * `value` is freed and the current version stays). */
int df_snapshot_publish(struct df_snapshot *cell, void *value);

/* Frees the cell; every view must have been closed. */
void df_snapshot_free(struct df_snapshot *cell);

/* Views: init on the reader's thread; read and close on that thread only. */
void df_snapshot_view_init(struct df_snapshot_view *v, struct df_snapshot *cell);
void df_snapshot_view_close(struct df_snapshot_view *v);
void df_snapshot_view_refresh(struct df_snapshot_view *v);

/* The current value (NULL before the first publication). */
static inline const void *df_snapshot_read(struct df_snapshot_view *v)
{
    if (__builtin_expect(__atomic_load_n(v->current, __ATOMIC_RELAXED) != v->version, 0))
        df_snapshot_view_refresh(v);
    return v->value;
}

#endif
