/* The extension manager (extension/manager.h) and the instance side of the
 * provider SDK (df/extension.h). */
#include "extension/manager.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "df/log.h"

const char *df_ext_state_name(int state)
{
    static const char *const names[] = {
#define NAME(name, text) text,
        DF_EXT_STATES(NAME)
#undef NAME
    };
    return (unsigned)state < DF_COUNTOF(names) ? names[state] : "unknown";
}

struct df_ext_watch {
    uv_fs_poll_t handle;
    struct df_extension *ext;
    df_ext_watch_fn fn;
    struct df_ext_watch *next;
};

static void set_lstate(struct df_extension *x, int st)
{
    __atomic_store_n(&x->lstate, st, __ATOMIC_RELAXED);
}

static void emit(struct df_ext_set *s)
{
    if (s->on_event)
        s->on_event(s, s->ud);
}

/* Records the set's first failure and tells the owner. */
static void fail_instance(struct df_extension *x, const char *msg)
{
    struct df_ext_set *s = x->set;
    if (x->lstate == DF_EXT_FAILED)
        return;
    snprintf(x->error, sizeof x->error, "%s", msg);
    set_lstate(x, DF_EXT_FAILED);
    uv_timer_stop(&x->ready_timer);
    df_log(DF_LOG_ERROR, x->scope, x->fields, "%s", msg);
    if (!s->failed) {
        s->failed = true;
        snprintf(s->error, sizeof s->error, "extension '%s' (%s): %s", x->id, x->desc->urn, msg);
    }
    emit(s);
}

/* ---- build --------------------------------------------------------------- */

static void destroy_hooks(struct df_ext_set *s)
{
    for (size_t i = s->n; i-- > 0;) {
        struct df_extension *x = &s->items[i];
        if (x->created && x->desc->ops->destroy)
            x->desc->ops->destroy(x, x->state);
        x->created = false;
        x->state = NULL;
    }
}

int df_ext_set_build(struct df_ext_set *s, const char *group, const char *pipeline,
                     const struct df_pipeline_cfg *cfg, enum df_exec_model model, int core,
                     unsigned nslots, uv_loop_t *loop, df_ext_event_fn on_event, void *ud)
{
    *s = (struct df_ext_set){.loop = loop,
                             .group = group,
                             .pipeline = pipeline,
                             .model = model,
                             .core = core,
                             .nslots = nslots,
                             .on_event = on_event,
                             .ud = ud};
    size_t n = 0;
    for (size_t i = 0; i < cfg->extensions.count; i++)
        n += DF_MAP_AT(cfg->extensions, struct df_extension_cfg, i)->desc->exec_model == model;
    uv_timer_init(loop, &s->stop_timer);
    s->stop_timer.data = s;
    s->handles_init = true;
    if (!n)
        return 0;
    s->items = calloc(n, sizeof *s->items);
    if (!s->items) {
        snprintf(s->error, sizeof s->error, "out of memory");
        return DF_ENOMEM;
    }
    for (size_t i = 0; i < cfg->extensions.count; i++) {
        const struct df_extension_cfg *ec = DF_MAP_AT(cfg->extensions, struct df_extension_cfg, i);
        if (ec->desc->exec_model != model)
            continue;
        struct df_extension *x = &s->items[s->n++];
        x->set = s;
        x->id = cfg->extensions.keys[i];
        x->desc = ec->desc;
        x->cfg = ec;
        snprintf(x->scope, sizeof x->scope, "%s/%s/%s", group, pipeline, x->id);
        if (core >= 0)
            snprintf(x->fields, sizeof x->fields, "core=%d", core);
        uv_timer_init(loop, &x->ready_timer);
        x->ready_timer.data = x;
        if (nslots && !(x->selves = calloc(nslots, sizeof *x->selves))) {
            snprintf(s->error, sizeof s->error, "out of memory");
            destroy_hooks(s);
            return DF_ENOMEM;
        }
    }
    for (size_t i = 0; i < s->n; i++) {
        struct df_extension *x = &s->items[i];
        struct df_error err = {0};
        int rc =
            x->desc->ops ? x->desc->ops->create(x, x->cfg->options, &x->state, &err) : DF_EINVAL;
        if (rc < 0) {
            snprintf(s->error, sizeof s->error, "extension '%s' (%s): %s", x->id, x->desc->urn,
                     err.msg[0]     ? err.msg
                     : x->desc->ops ? df_strerror(rc)
                                    : "this build cannot run it (validation only)");
            destroy_hooks(s);
            return rc;
        }
        x->created = true;
        set_lstate(x, DF_EXT_CREATED);
    }
    return 0;
}

struct df_extension *df_ext_set_find(const struct df_ext_set *s, const char *id)
{
    for (size_t i = 0; s && i < s->n; i++) {
        if (!strcmp(s->items[i].id, id))
            return &s->items[i];
    }
    return NULL;
}

int df_ext_set_attach(struct df_ext_set *s, unsigned slot, unsigned core, struct df_error *err)
{
    for (size_t i = 0; i < s->n; i++) {
        struct df_extension *x = &s->items[i];
        if (!x->desc->ops->attach)
            continue;
        int rc = x->desc->ops->attach(x, x->state, core, &x->selves[slot], err);
        if (rc < 0) {
            char msg[DF_ERROR_MSG_MAX];
            snprintf(msg, sizeof msg, "extension '%s' (%s) on core %u: %s", x->id, x->desc->urn,
                     core, err->msg[0] ? err->msg : df_strerror(rc));
            snprintf(err->msg, sizeof err->msg, "%s", msg);
            x->selves[slot] = NULL;
            while (i-- > 0) {
                struct df_extension *y = &s->items[i];
                if (y->desc->ops->detach && y->selves[slot])
                    y->desc->ops->detach(y, y->state, y->selves[slot]);
                y->selves[slot] = NULL;
            }
            return rc;
        }
    }
    return 0;
}

void df_ext_set_detach(struct df_ext_set *s, unsigned slot)
{
    for (size_t i = s->n; i-- > 0;) {
        struct df_extension *x = &s->items[i];
        if (x->desc->ops->detach && x->selves[slot])
            x->desc->ops->detach(x, x->state, x->selves[slot]);
        x->selves[slot] = NULL;
    }
}

void *df_ext_self(const struct df_extension *x, unsigned slot)
{
    if (x->selves && x->desc->ops->attach)
        return x->selves[slot];
    return x->state;
}

/* ---- start and readiness ------------------------------------------------- */

static void ready_timeout(uv_timer_t *h)
{
    struct df_extension *x = h->data;
    char msg[DF_ERROR_MSG_MAX];
    snprintf(msg, sizeof msg, "not ready within %llu ms (its first state did not load)",
             (unsigned long long)(x->desc->ready_timeout_ns / 1000000));
    fail_instance(x, msg);
}

int df_ext_set_start(struct df_ext_set *s)
{
    for (size_t i = 0; i < s->n; i++) {
        struct df_extension *x = &s->items[i];
        struct df_error err = {0};
        __atomic_store_n(&x->start_ns, uv_hrtime(), __ATOMIC_RELAXED);
        x->started = true;
        set_lstate(x, DF_EXT_STARTING);
        if (x->desc->ready_timeout_ns)
            uv_timer_start(&x->ready_timer, ready_timeout,
                           (x->desc->ready_timeout_ns + 999999) / 1000000, 0);
        int rc = x->desc->ops->start ? x->desc->ops->start(x, x->state, &err) : 0;
        if (rc < 0) {
            char msg[DF_ERROR_MSG_MAX];
            snprintf(msg, sizeof msg, "failed to start: %s",
                     err.msg[0] ? err.msg : df_strerror(rc));
            fail_instance(x, msg);
            return rc;
        }
        if (!x->desc->ready_timeout_ns)
            df_extension_ready(x);
    }
    return 0;
}

bool df_ext_set_ready(const struct df_ext_set *s)
{
    for (size_t i = 0; i < s->n; i++) {
        if (!s->items[i].ready)
            return false;
    }
    return !s->failed;
}

void df_extension_ready(struct df_extension *x)
{
    if (x->ready || x->lstate != DF_EXT_STARTING)
        return;
    uint64_t now = uv_hrtime();
    x->ready = true;
    uv_timer_stop(&x->ready_timer);
    __atomic_store_n(&x->ready_ns, now, __ATOMIC_RELAXED);
    __atomic_store_n(&x->last_ok_ns, now, __ATOMIC_RELAXED);
    set_lstate(x, DF_EXT_RUNNING);
    if (x->desc->ready_timeout_ns)
        df_log(DF_LOG_INFO, x->scope, x->fields, "ready after %.1f ms",
               (double)(now - x->start_ns) / 1e6); /* start_ns: this thread's write */
    emit(x->set);
}

void df_extension_fail(struct df_extension *x, const char *fmt, ...)
{
    char msg[DF_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fail_instance(x, msg);
}

void df_extension_refreshed(struct df_extension *x, bool ok)
{
    __atomic_store_n(&x->refreshes[!ok], x->refreshes[!ok] + 1, __ATOMIC_RELAXED);
    if (ok)
        __atomic_store_n(&x->last_ok_ns, uv_hrtime(), __ATOMIC_RELAXED);
}

void df_extension_state_size(struct df_extension *x, uint64_t entries, uint64_t bytes)
{
    /* Two relaxed stores: a scrape between them may pair the new count with
     * the old bytes, which the next scrape corrects. */
    __atomic_store_n(&x->size[0], entries + 1, __ATOMIC_RELAXED);
    __atomic_store_n(&x->size[1], bytes, __ATOMIC_RELAXED);
}

/* ---- stop ---------------------------------------------------------------- */

static void check_stopped(struct df_ext_set *s)
{
    if (!s->stopping || s->stop_done)
        return;
    for (size_t i = 0; i < s->n; i++) {
        const struct df_extension *x = &s->items[i];
        if ((x->started && !x->stopped) || x->fetch)
            return; /* its stop, or its fetch client's close, is still on */
    }
    s->stop_done = true;
    uv_timer_stop(&s->stop_timer);
    emit(s);
}

static void stop_deadline(uv_timer_t *h)
{
    struct df_ext_set *s = h->data;
    for (size_t i = 0; i < s->n; i++) {
        struct df_extension *x = &s->items[i];
        if (x->started && !x->stopped) {
            df_log(DF_LOG_ERROR, x->scope, x->fields,
                   "did not stop within the deadline; going on without it");
            x->stopped = true;
        }
    }
    check_stopped(s);
}

void df_extension_stopped(struct df_extension *x)
{
    if (x->stopped)
        return;
    x->stopped = true;
    if (!x->stop_requested) {
        fail_instance(x, "its task ended before the engine asked it to stop");
        return;
    }
    if (x->lstate != DF_EXT_FAILED)
        set_lstate(x, DF_EXT_STOPPED);
    check_stopped(x->set);
}

static void fetch_closed(void *ud)
{
    struct df_extension *x = ud;
    x->fetch = NULL;
    check_stopped(x->set);
}

void df_ext_set_stop(struct df_ext_set *s, uint64_t deadline_ns)
{
    if (s->stopping)
        return;
    s->stopping = true;
    uv_timer_start(&s->stop_timer, stop_deadline, (deadline_ns + 999999) / 1000000, 0);
    for (size_t i = s->n; i-- > 0;) {
        struct df_extension *x = &s->items[i];
        uv_timer_stop(&x->ready_timer);
        if (!x->started || x->stopped)
            continue;
        x->stop_requested = true;
        if (x->lstate != DF_EXT_FAILED)
            set_lstate(x, DF_EXT_STOPPING);
        for (struct df_ext_timer *t = x->timers; t; t = t->next)
            uv_timer_stop(&t->handle);
        for (struct df_ext_watch *w = x->watches; w; w = w->next)
            uv_fs_poll_stop(&w->handle);
        if (x->fetch) /* its requests end with DF_ECANCELED, then fetch_closed */
            df_fetch_client_close(x->fetch, fetch_closed, x);
        if (x->desc->ops->stop)
            x->desc->ops->stop(x, x->state);
        else
            df_extension_stopped(x);
    }
    check_stopped(s);
}

bool df_ext_set_stopped(const struct df_ext_set *s)
{
    return s->stop_done;
}

/* ---- close and destroy --------------------------------------------------- */

static void close_if_open(uv_handle_t *h)
{
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

void df_ext_set_close(struct df_ext_set *s)
{
    if (s->closed || !s->handles_init)
        return;
    s->closed = true;
    close_if_open((uv_handle_t *)&s->stop_timer);
    for (size_t i = 0; i < s->n; i++) {
        struct df_extension *x = &s->items[i];
        close_if_open((uv_handle_t *)&x->ready_timer);
        for (struct df_ext_timer *t = x->timers; t; t = t->next)
            close_if_open((uv_handle_t *)&t->handle);
        for (struct df_ext_watch *w = x->watches; w; w = w->next)
            close_if_open((uv_handle_t *)&w->handle);
    }
}

void df_ext_set_destroy(struct df_ext_set *s)
{
    destroy_hooks(s);
    for (size_t i = 0; i < s->n; i++) {
        struct df_extension *x = &s->items[i];
        while (x->timers) {
            struct df_ext_timer *t = x->timers;
            x->timers = t->next;
            free(t);
        }
        while (x->watches) {
            struct df_ext_watch *w = x->watches;
            x->watches = w->next;
            free(w);
        }
        free(x->selves);
        x->selves = NULL;
    }
}

void df_ext_set_free(struct df_ext_set *s)
{
    free(s->items);
    s->items = NULL;
    s->n = 0;
}

/* ---- the instance's runtime interface ------------------------------------ */

const char *df_extension_name(const struct df_extension *x)
{
    return x->id;
}

const char *df_extension_scope(const struct df_extension *x)
{
    return x->scope;
}

struct uv_loop_s *df_extension_loop(struct df_extension *x)
{
    return x->set->loop;
}

void df_extension_log(const struct df_extension *x, enum df_log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    df_logv(level, x->scope, x->fields[0] ? x->fields : NULL, fmt, ap);
    va_end(ap);
}

static void ext_timer_cb(uv_timer_t *h)
{
    struct df_ext_timer *t = h->data;
    t->fn(t->ext, t->ext->state);
}

struct df_ext_timer *df_extension_timer(struct df_extension *x, df_ext_timer_fn fn)
{
    if (x->set->closed)
        return NULL;
    struct df_ext_timer *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->ext = x;
    t->fn = fn;
    uv_timer_init(x->set->loop, &t->handle);
    t->handle.data = t;
    t->next = x->timers;
    x->timers = t;
    return t;
}

void df_ext_timer_start(struct df_ext_timer *t, uint64_t timeout_ns, uint64_t repeat_ns)
{
    uv_timer_start(&t->handle, ext_timer_cb, (timeout_ns + 999999) / 1000000,
                   (repeat_ns + 999999) / 1000000);
}

void df_ext_timer_stop(struct df_ext_timer *t)
{
    uv_timer_stop(&t->handle);
}

static void watch_cb(uv_fs_poll_t *h, int status, const uv_stat_t *prev, const uv_stat_t *curr)
{
    (void)status;
    (void)prev;
    (void)curr;
    struct df_ext_watch *w = h->data;
    w->fn(w->ext, w->ext->state);
}

int df_extension_watch(struct df_extension *x, const char *path, uint64_t interval_ns,
                       df_ext_watch_fn fn)
{
    if (x->set->closed || x->stop_requested)
        return DF_EINVAL;
    struct df_ext_watch *w = calloc(1, sizeof *w);
    if (!w)
        return DF_ENOMEM;
    w->ext = x;
    w->fn = fn;
    uv_fs_poll_init(x->set->loop, &w->handle);
    w->handle.data = w;
    w->next = x->watches;
    x->watches = w;
    unsigned ms = (unsigned)((interval_ns ? interval_ns : 500000000ull) / 1000000);
    if (uv_fs_poll_start(&w->handle, watch_cb, path, ms ? ms : 1) < 0)
        return DF_EIO;
    return 0;
}

int df_extension_fetch(struct df_extension *x, const struct df_fetch_req *req, df_fetch_cb cb,
                       void *ud)
{
    if (x->stop_requested || x->set->closed || !x->started)
        return DF_EINVAL;
    int rc;
    if (!x->fetch && (rc = df_fetch_client_new(x->set->loop, &x->fetch)) < 0)
        return rc;
    return df_fetch_start(x->fetch, req, cb, ud, NULL);
}
