/* One pipeline on one core: graph construction, scheduling, Ack/Nack
 * routing, drain (runtime/runtime.h), and the node API of df/node.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "df/node.h"
#include "runtime/runtime.h"

/* How many pdata a node is handed per scheduling round before the next node
 * gets its turn; bounds the latency one busy node adds to the others. */
#define BURST 64

const char *df_node_state_name(int state)
{
    static const char *const names[] = {
#define NAME(name, text) text,
        DF_NODE_STATES(NAME)
#undef NAME
    };
    return (unsigned)state < DF_COUNTOF(names) ? names[state] : "unknown";
}

const char *df_pipeline_state_name(int state)
{
    static const char *const names[] = {
#define NAME(name, text) text,
        DF_PIPELINE_STATES(NAME)
#undef NAME
    };
    return (unsigned)state < DF_COUNTOF(names) ? names[state] : "unknown";
}

static void set_state(struct df_core_pipeline *pl, int state)
{
    __atomic_store_n(&pl->state, state, __ATOMIC_RELEASE);
    if (pl->notify)
        pl->notify(pl->notify_ud);
}

static void set_node_state(struct df_node *n, int state)
{
    __atomic_store_n(&n->run_state, state, __ATOMIC_RELAXED);
}

static int node_state(const struct df_node *n)
{
    return __atomic_load_n(&n->run_state, __ATOMIC_RELAXED);
}

/* ---- pdata pool ---------------------------------------------------------- */

struct df_bytes *df_bytes_new(size_t len)
{
    struct df_bytes *b = malloc(sizeof *b + (len ? len : 1));
    if (!b)
        return NULL;
    b->refs = 1;
    b->len = len;
    b->data = (uint8_t *)(b + 1);
    return b;
}

struct df_bytes *df_bytes_wrap(uint8_t *data, size_t len)
{
    struct df_bytes *b = malloc(sizeof *b);
    if (!b) {
        free(data);
        return NULL;
    }
    b->refs = 1;
    b->len = len;
    b->data = data;
    return b;
}

void df_bytes_unref(struct df_bytes *b)
{
    if (!b || --b->refs)
        return;
    if (b->data != (uint8_t *)(b + 1))
        free(b->data);
    free(b);
}

struct df_pdata *df_pdata_new(struct df_node *node, enum df_signal signal, struct df_bytes *bytes,
                              const uint8_t *data, size_t len, uint64_t items)
{
    struct df_core_pipeline *pl = node->pl;
    struct df_pdata *pd = pl->pool;
    if (pd)
        pl->pool = pd->next;
    else if (!(pd = malloc(sizeof *pd)))
        return NULL;
    *pd = (struct df_pdata){
        .signal = signal, .items = items, .data = data, .len = len, .bytes = df_bytes_ref(bytes)};
    pl->pdata_live++;
    return pd;
}

static void pdata_release(struct df_core_pipeline *pl, struct df_pdata *pd)
{
    df_bytes_unref(pd->bytes);
    free(pd->reason);
    pd->next = pl->pool;
    pl->pool = pd;
    pl->pdata_live--;
}

static void pool_free(struct df_core_pipeline *pl)
{
    while (pl->pool) {
        struct df_pdata *pd = pl->pool;
        pl->pool = pd->next;
        free(pd);
    }
}

/* ---- scheduling ---------------------------------------------------------- */

static void run_round(uv_idle_t *h);

static void want_round(struct df_core_pipeline *pl)
{
    if (!pl->idle_active) {
        uv_idle_start(&pl->idle, run_round);
        pl->idle_active = true;
    }
}

static void mark_ready(struct df_node *n)
{
    if (n->in_ready)
        return;
    n->in_ready = true;
    n->ready_next = NULL;
    struct df_core_pipeline *pl = n->pl;
    if (pl->ready_tail)
        pl->ready_tail->ready_next = n;
    else
        pl->ready_head = n;
    pl->ready_tail = n;
    want_round(pl);
}

static void enqueue(struct df_node *dst, struct df_pdata *pd)
{
    pd->next = NULL;
    if (dst->qtail)
        dst->qtail->next = pd;
    else
        dst->qhead = pd;
    dst->qtail = pd;
    dst->qlen++;
    dst->pl->pending++;
    DF_COUNTER_SET(dst->stats.queue_depth, dst->qlen);
    mark_ready(dst);
}

static struct df_pdata *dequeue(struct df_node *n)
{
    struct df_pdata *pd = n->qhead;
    n->qhead = pd->next;
    if (!n->qhead)
        n->qtail = NULL;
    n->qlen--;
    n->pl->pending--;
    DF_COUNTER_SET(n->stats.queue_depth, n->qlen);
    pd->next = NULL;
    return pd;
}

static bool port_has_room(const struct df_core_pipeline *pl, const struct df_port *p)
{
    if (!p->ndests)
        return true; /* unconnected: sends are Nacked, never queued */
    for (uint32_t i = 0; i < p->ndests; i++) {
        const struct df_node *d = &pl->nodes[p->dests[i]];
        if (d->qlen < d->qcap)
            return true;
    }
    return false;
}

bool df_node_can_send(const struct df_node *node)
{
    for (uint32_t i = 0; i < node->nports; i++) {
        if (!port_has_room(node->pl, &node->ports[i]))
            return false;
    }
    return true;
}

/* Queues a settled pdata for its nearest subscriber, or releases it when it
 * has none left. */
static void push_settled(struct df_core_pipeline *pl, struct df_pdata *pd)
{
    if (!pd->ctx.depth) {
        pdata_release(pl, pd);
        return;
    }
    pd->next = NULL;
    if (pl->settled_tail)
        pl->settled_tail->next = pd;
    else
        pl->settled_head = pd;
    pl->settled_tail = pd;
    pl->pending++;
}

/* Hands the settled pdata to their subscribers. */
static void deliver_settled(struct df_core_pipeline *pl)
{
    struct df_pdata *list = pl->settled_head;
    pl->settled_head = pl->settled_tail = NULL;
    while (list) {
        struct df_pdata *pd = list;
        list = pd->next;
        pd->next = NULL;
        pl->pending--;
        struct df_ack_frame f = pd->ctx.frames[--pd->ctx.depth];
        struct df_node *s = &pl->nodes[f.node];
        if (pd->outcome == DF_OUTCOME_ACK)
            DF_COUNTER_ADD(s->stats.acks_received, 1);
        else
            DF_COUNTER_ADD(s->stats.nacks_received[pd->outcome == DF_OUTCOME_NACK_PERMANENT], 1);
        bool kept = s->desc->ops->outcome && s->desc->ops->outcome(s, s->state, pd, f.cookie);
        if (!kept)
            push_settled(pl, pd); /* the same outcome, to the next subscriber */
    }
}

static void check_drain(struct df_core_pipeline *pl);

static void run_round(uv_idle_t *h)
{
    struct df_core_pipeline *pl = h->data;
    deliver_settled(pl);
    /* Exporters first: they free room for everything upstream. */
    for (uint32_t k = pl->nnodes; k-- > 0;) {
        struct df_node *n = &pl->nodes[pl->order[k]];
        if (!n->qlen || n->input_paused)
            continue;
        for (int b = 0; b < BURST && n->qlen && !n->input_paused && df_node_can_send(n); b++) {
            struct df_pdata *pd = dequeue(n);
            DF_COUNTER_ADD(n->stats.items_received[pd->signal], pd->items);
            DF_COUNTER_ADD(n->stats.requests_received[pd->signal], 1);
            n->desc->ops->process(n, n->state, pd);
        }
    }
    /* The ready list only wakes the loop; the walk above is the schedule. */
    for (struct df_node *n = pl->ready_head; n; n = n->ready_next)
        n->in_ready = false;
    pl->ready_head = pl->ready_tail = NULL;
    for (uint32_t i = 0; i < pl->nnodes; i++) {
        struct df_node *n = &pl->nodes[i];
        if (n->paused && df_node_can_send(n)) {
            n->paused = false;
            if (n->desc->ops->resume && node_state(n) == DF_NODE_RUNNING)
                n->desc->ops->resume(n, n->state);
        }
    }
    if (pl->draining)
        check_drain(pl);
    /* Keep turning while a next round can make progress; otherwise sleep
     * until an event (a send, a settle, a resumed input, a drained node)
     * asks for a round. Queues behind a paused exporter wait for it. */
    bool work = pl->settled_head != NULL;
    for (uint32_t i = 0; i < pl->nnodes && !work; i++) {
        const struct df_node *n = &pl->nodes[i];
        work = n->qlen && !n->input_paused && df_node_can_send(n);
    }
    if (!work) {
        uv_idle_stop(&pl->idle);
        pl->idle_active = false;
    }
}

/* ---- node API ------------------------------------------------------------ */

const char *df_node_name(const struct df_node *node)
{
    return node->id;
}

unsigned df_node_core(const struct df_node *node)
{
    return node->pl->core;
}

const char *df_node_scope(const struct df_node *node)
{
    return node->scope;
}

uint32_t df_node_channel_capacity(const struct df_node *node)
{
    return (uint32_t)node->pl->cfg->resolved.channel_capacity.pdata;
}

struct uv_loop_s *df_node_loop(struct df_node *node)
{
    return &node->pl->loop;
}

void df_node_log(const struct df_node *node, enum df_log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    df_logv(level, node->scope, node->fields, fmt, ap);
    va_end(ap);
}

int df_node_port(const struct df_node *node, const char *name)
{
    for (uint32_t i = 0; i < node->nports; i++) {
        if (!strcmp(node->ports[i].name, name))
            return (int)i;
    }
    return DF_ENOENT;
}

void df_node_pause_input(struct df_node *node, bool paused)
{
    node->input_paused = paused;
    if (!paused && node->qlen)
        want_round(node->pl);
}

static void settle(struct df_node *node, struct df_pdata *pd, enum df_outcome o)
{
    pd->outcome = o;
    push_settled(node->pl, pd);
    want_round(node->pl);
}

void df_node_ack(struct df_node *node, struct df_pdata *pd)
{
    DF_COUNTER_ADD(node->stats.acks_sent, 1);
    free(pd->reason);
    pd->reason = NULL;
    settle(node, pd, DF_OUTCOME_ACK);
}

static void nackv(struct df_node *node, struct df_pdata *pd, enum df_outcome kind, const char *fmt,
                  va_list ap)
{
    if (kind != DF_OUTCOME_NACK_PERMANENT)
        kind = DF_OUTCOME_NACK_TRANSIENT;
    DF_COUNTER_ADD(node->stats.nacks_sent[kind == DF_OUTCOME_NACK_PERMANENT], 1);
    char buf[DF_ERROR_MSG_MAX];
    vsnprintf(buf, sizeof buf, fmt, ap);
    free(pd->reason);
    pd->reason = strdup(buf); /* NULL on exhaustion: the Nack still travels */
    settle(node, pd, kind);
}

void df_node_nack(struct df_node *node, struct df_pdata *pd, enum df_outcome kind, const char *fmt,
                  ...)
{
    va_list ap;
    va_start(ap, fmt);
    nackv(node, pd, kind, fmt, ap);
    va_end(ap);
}

static void nack_now(struct df_node *node, struct df_pdata *pd, enum df_outcome kind,
                     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void nack_now(struct df_node *node, struct df_pdata *pd, enum df_outcome kind,
                     const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    nackv(node, pd, kind, fmt, ap);
    va_end(ap);
}

int df_pdata_subscribe(struct df_node *node, struct df_pdata *pd, uint64_t cookie)
{
    if (pd->ctx.depth >= DF_ACK_STACK_MAX)
        return DF_ERANGE;
    pd->ctx.frames[pd->ctx.depth++] = (struct df_ack_frame){.node = node->index, .cookie = cookie};
    return 0;
}

int df_node_send(struct df_node *node, int port, struct df_pdata *pd)
{
    if (port == DF_PORT_DEFAULT)
        port = (int)node->default_port;
    if (port < 0 || (uint32_t)port >= node->nports) {
        nack_now(node, pd, DF_OUTCOME_NACK_PERMANENT, "node '%s' has no output port %d", node->id,
                 port);
        return DF_ENOENT;
    }
    struct df_port *p = &node->ports[port];
    if (node_state(node) == DF_NODE_DRAINED) {
        nack_now(node, pd, DF_OUTCOME_NACK_TRANSIENT,
                 "node '%s' has stopped: the engine is shutting down", node->id);
        return 0;
    }
    if (!p->ndests) {
        nack_now(node, pd, DF_OUTCOME_NACK_PERMANENT,
                 "output port '%s' of node '%s' is not connected", p->name, node->id);
        return 0;
    }
    /* One-of dispatch: the least loaded destination. */
    struct df_node *best = &node->pl->nodes[p->dests[0]];
    for (uint32_t i = 1; i < p->ndests; i++) {
        struct df_node *d = &node->pl->nodes[p->dests[i]];
        if (d->qlen < best->qlen)
            best = d;
    }
    DF_COUNTER_ADD(node->stats.items_sent[pd->signal], pd->items);
    DF_COUNTER_ADD(node->stats.requests_sent[pd->signal], 1);
    if (node->desc->kind == DF_NODE_RECEIVER) {
        /* A receiver's input is the outside world: what it sends on is what
         * it accepted. */
        DF_COUNTER_ADD(node->stats.items_received[pd->signal], pd->items);
        DF_COUNTER_ADD(node->stats.requests_received[pd->signal], 1);
    }
    enqueue(best, pd);
    if (node->desc->kind == DF_NODE_RECEIVER && !df_node_can_send(node))
        node->paused = true;
    return 0;
}

/* ---- timers and metrics -------------------------------------------------- */

static void timer_cb(uv_timer_t *h)
{
    struct df_timer *t = h->data;
    t->fn(t->node, t->node->state);
}

struct df_timer *df_node_timer(struct df_node *node, df_timer_fn fn)
{
    struct df_timer *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    uv_timer_init(&node->pl->loop, &t->handle);
    t->handle.data = t;
    t->node = node;
    t->fn = fn;
    t->next = node->timers;
    node->timers = t;
    return t;
}

void df_timer_start(struct df_timer *t, uint64_t timeout_ns, uint64_t repeat_ns)
{
    /* libuv counts milliseconds; round up so a short timeout is not 0. */
    uint64_t to = (timeout_ns + 999999) / 1000000, rep = (repeat_ns + 999999) / 1000000;
    uv_timer_start(&t->handle, timer_cb, to, rep);
}

void df_timer_stop(struct df_timer *t)
{
    uv_timer_stop(&t->handle);
}

struct df_metric *df_node_metric(struct df_node *node, enum df_metric_type type, const char *name,
                                 const char *help)
{
    if (node->nmetrics >= DF_NODE_METRICS_MAX)
        return NULL;
    struct df_metric *m = &node->metrics[node->nmetrics++];
    *m = (struct df_metric){.type = type, .name = name, .help = help};
    return m;
}

void df_metric_set(struct df_metric *m, double v)
{
    __atomic_store(&m->value, &v, __ATOMIC_RELAXED);
}

void df_metric_add(struct df_metric *m, double v)
{
    double cur;
    __atomic_load(&m->value, &cur, __ATOMIC_RELAXED);
    cur += v;
    __atomic_store(&m->value, &cur, __ATOMIC_RELAXED);
}

/* ---- drain --------------------------------------------------------------- */

static void deadline_cb(uv_timer_t *h);

/* The least node kind not yet drained, or -1 when everything drained. */
static int current_stage(const struct df_core_pipeline *pl)
{
    int stage = -1;
    for (uint32_t i = 0; i < pl->nnodes; i++) {
        const struct df_node *n = &pl->nodes[i];
        if (node_state(n) != DF_NODE_DRAINED && (stage < 0 || (int)n->desc->kind < stage))
            stage = (int)n->desc->kind;
    }
    return stage;
}

static void begin_node_drain(struct df_node *n)
{
    set_node_state(n, DF_NODE_DRAINING);
    if (n->desc->ops->drain)
        n->desc->ops->drain(n, n->state);
    else
        df_node_drained(n);
}

void df_node_drained(struct df_node *node)
{
    if (node_state(node) == DF_NODE_DRAINED)
        return;
    set_node_state(node, DF_NODE_DRAINED);
    for (struct df_timer *t = node->timers; t; t = t->next)
        uv_timer_stop(&t->handle);
    want_round(node->pl);
}

/* Starts draining every node whose upstream has drained and whose queue is
 * empty; moves the stage deadline; stops the loop once all is settled. */
static void check_drain(struct df_core_pipeline *pl)
{
    for (uint32_t k = 0; k < pl->nnodes; k++) {
        struct df_node *n = &pl->nodes[pl->order[k]];
        if (node_state(n) != DF_NODE_RUNNING || n->qlen)
            continue;
        bool ready = true;
        for (uint32_t u = 0; u < n->nupstream && ready; u++)
            ready = node_state(&pl->nodes[n->upstream[u]]) == DF_NODE_DRAINED;
        if (ready)
            begin_node_drain(n);
    }
    int stage = current_stage(pl);
    if (stage != pl->drain_stage) {
        pl->drain_stage = stage;
        uv_timer_stop(&pl->deadline);
        if (stage >= 0)
            uv_timer_start(
                &pl->deadline, deadline_cb,
                (__atomic_load_n(&pl->drain_deadline_ns, __ATOMIC_RELAXED) + 999999) / 1000000, 0);
    }
    if (stage < 0 && !pl->pending && !pl->settled_head)
        uv_stop(&pl->loop);
}

static void deadline_cb(uv_timer_t *h)
{
    struct df_core_pipeline *pl = h->data;
    int stage = pl->drain_stage;
    pl->forced = true;
    for (uint32_t i = 0; i < pl->nnodes; i++) {
        struct df_node *n = &pl->nodes[i];
        if ((int)n->desc->kind != stage || node_state(n) == DF_NODE_DRAINED)
            continue;
        df_log(DF_LOG_ERROR, n->scope, n->fields,
               "drain deadline expired with %u queued requests; Nacking them", n->qlen);
        while (n->qlen)
            nack_now(n, dequeue(n), DF_OUTCOME_NACK_TRANSIENT, "the engine is shutting down");
        df_node_drained(n);
    }
    want_round(pl);
}

/* ---- control ------------------------------------------------------------- */

/* Records the core's first error and publishes it (runtime.h). Core
 * thread. */
static void set_errorv(struct df_core_pipeline *pl, const char *fmt, va_list ap)
{
    if (pl->error_set)
        return;
    vsnprintf(pl->error, sizeof pl->error, fmt, ap);
    __atomic_store_n(&pl->error_set, 1, __ATOMIC_RELEASE);
}

static void set_error(struct df_core_pipeline *pl, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void set_error(struct df_core_pipeline *pl, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_errorv(pl, fmt, ap);
    va_end(ap);
}

static void start_nodes(struct df_core_pipeline *pl)
{
    for (uint32_t k = pl->nnodes; k-- > 0;) {
        struct df_node *n = &pl->nodes[pl->order[k]];
        struct df_error err = {0};
        if (n->desc->ops->start && n->desc->ops->start(n, n->state, &err) < 0) {
            /* The controller sees the error and drains every core. */
            df_log(DF_LOG_ERROR, n->scope, n->fields, "node '%s' failed to start: %s", n->id,
                   err.msg[0] ? err.msg : df_strerror(err.code));
            set_error(pl, "node '%s' failed to start: %s", n->id,
                      err.msg[0] ? err.msg : df_strerror(err.code));
        }
        set_node_state(n, DF_NODE_RUNNING);
    }
    set_state(pl, DF_PIPELINE_RUNNING);
}

/* The local extensions changed: one is ready, one failed, or they stopped. */
static void ext_event(struct df_ext_set *set, void *ud)
{
    struct df_core_pipeline *pl = ud;
    if (set->failed && !pl->error_set) {
        /* The controller sees the error and drains (or aborts) every core;
         * a core still waiting to start its nodes then tears down without
         * starting them. The loop ends only on the controller's command. */
        set_error(pl, "%s", set->error);
        if (pl->notify)
            pl->notify(pl->notify_ud);
        return;
    }
    if (pl->exts_waiting && df_ext_set_ready(set)) {
        pl->exts_waiting = false;
        start_nodes(pl);
    }
    if (pl->exts_stopping && df_ext_set_stopped(set))
        uv_stop(&pl->loop);
}

static void wake_cb(uv_async_t *h)
{
    struct df_core_pipeline *pl = h->data;
    unsigned cmd = __atomic_exchange_n(&pl->commands, 0, __ATOMIC_ACQ_REL);
    int st = df_core_pipeline_state(pl);
    if (cmd & DF_CMD_ABORT && st == DF_PIPELINE_BUILT) {
        uv_stop(&pl->loop);
        return;
    }
    if (cmd & DF_CMD_START && st == DF_PIPELINE_BUILT && !pl->exts_waiting) {
        /* Local extensions start before the nodes; the nodes start once
         * every one of them is ready (ext_event). An extension without a
         * readiness gate is ready inside df_ext_set_start, whose event may
         * have started the nodes already (exts_waiting is false then). */
        pl->exts_waiting = true;
        if (df_ext_set_start(&pl->exts) == 0 && pl->exts_waiting && df_ext_set_ready(&pl->exts)) {
            pl->exts_waiting = false;
            start_nodes(pl);
        }
        st = df_core_pipeline_state(pl);
    }
    if (cmd & (DF_CMD_ABORT | DF_CMD_DRAIN) && pl->exts_waiting) {
        /* Stopped before the nodes started: nothing to drain. */
        uv_stop(&pl->loop);
        return;
    }
    if (cmd & DF_CMD_DRAIN && st == DF_PIPELINE_RUNNING) {
        set_state(pl, DF_PIPELINE_DRAINING);
        pl->draining = true;
        pl->drain_stage = -2; /* forces the first deadline to be armed */
        for (uint32_t i = 0; i < pl->nnodes; i++) {
            struct df_node *n = &pl->nodes[i];
            if (n->desc->kind == DF_NODE_RECEIVER && node_state(n) == DF_NODE_RUNNING)
                begin_node_drain(n);
        }
        check_drain(pl);
        want_round(pl);
    }
}

void df_core_pipeline_post(struct df_core_pipeline *pl, unsigned commands)
{
    __atomic_fetch_or(&pl->commands, commands, __ATOMIC_ACQ_REL);
    uv_async_send(&pl->wake);
}

/* ---- build --------------------------------------------------------------- */

static int find_node(const struct df_core_pipeline *pl, const char *id, size_t len)
{
    for (uint32_t i = 0; i < pl->nnodes; i++) {
        if (strlen(pl->nodes[i].id) == len && !strncmp(pl->nodes[i].id, id, len))
            return (int)i;
    }
    return -1;
}

static int add_index(uint32_t **v, uint32_t *n, uint32_t x)
{
    for (uint32_t i = 0; i < *n; i++) {
        if ((*v)[i] == x)
            return 0;
    }
    uint32_t *nv = realloc(*v, (*n + 1) * sizeof **v);
    if (!nv)
        return DF_ENOMEM;
    nv[(*n)++] = x;
    *v = nv;
    return 0;
}

static int fail(struct df_core_pipeline *pl, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(struct df_core_pipeline *pl, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_errorv(pl, fmt, ap);
    va_end(ap);
    return code;
}

/* Nodes, ports and edges from the validated config. */
static int build_graph(struct df_core_pipeline *pl)
{
    const struct df_pipeline_cfg *cfg = pl->cfg;
    pl->nnodes = (uint32_t)cfg->nodes.count;
    pl->nodes = calloc(pl->nnodes ? pl->nnodes : 1, sizeof *pl->nodes);
    pl->order = calloc(pl->nnodes ? pl->nnodes : 1, sizeof *pl->order);
    if (!pl->nodes || !pl->order)
        return fail(pl, DF_ENOMEM, "out of memory building the pipeline");
    for (uint32_t i = 0; i < pl->nnodes; i++) {
        struct df_node *n = &pl->nodes[i];
        n->pl = pl;
        n->index = i;
        n->cfg = DF_MAP_AT(cfg->nodes, struct df_node_cfg, i);
        n->id = cfg->nodes.keys[i];
        n->desc = n->cfg->desc;
        n->qcap = (uint32_t)cfg->resolved.channel_capacity.pdata;
        snprintf(n->scope, sizeof n->scope, "%s/%s/%s", pl->group, pl->name, n->id);
        snprintf(n->fields, sizeof n->fields, "core=%u", pl->core);
        if (!n->desc || !n->desc->ops)
            return fail(pl, DF_EINVAL, "node '%s' (%s) has no runtime implementation in this build",
                        n->id, n->cfg->type);
        if (n->desc->kind != DF_NODE_RECEIVER && !n->desc->ops->process)
            return fail(pl, DF_EINVAL, "node type %s has no process hook", n->desc->urn);
        size_t np = n->cfg->outputs.count;
        if (n->desc->kind == DF_NODE_EXPORTER)
            np = 0;
        else if (!np)
            np = 1;
        n->nports = (uint32_t)np;
        n->ports = calloc(np ? np : 1, sizeof *n->ports);
        if (!n->ports)
            return fail(pl, DF_ENOMEM, "out of memory building the pipeline");
        for (size_t p = 0; p < np; p++) {
            n->ports[p].name =
                n->cfg->outputs.count ? ((const char **)n->cfg->outputs.items)[p] : "default";
            if (n->cfg->default_output && !strcmp(n->ports[p].name, n->cfg->default_output))
                n->default_port = (uint32_t)p;
        }
    }
    for (size_t c = 0; c < cfg->connections.count; c++) {
        const struct df_connection_cfg *cc =
            DF_LIST_AT(cfg->connections, struct df_connection_cfg, c);
        for (size_t f = 0; f < cc->from.count; f++) {
            const char *sel = ((const char **)cc->from.items)[f], *id, *port;
            size_t id_len, port_len;
            char err[256];
            if (df_config_selector(sel, &id, &id_len, &port, &port_len, err, sizeof err))
                return fail(pl, DF_EINVAL, "%s", err);
            int src = find_node(pl, id, id_len);
            if (src < 0)
                return fail(pl, DF_EINVAL, "unknown node in '%s'", sel);
            struct df_node *s = &pl->nodes[src];
            uint32_t pi = s->default_port;
            if (port) {
                int found = -1;
                for (uint32_t k = 0; k < s->nports; k++) {
                    if (strlen(s->ports[k].name) == port_len &&
                        !strncmp(s->ports[k].name, port, port_len))
                        found = (int)k;
                }
                if (found < 0)
                    return fail(pl, DF_EINVAL, "node '%s' has no port in '%s'", s->id, sel);
                pi = (uint32_t)found;
            }
            if (!s->nports)
                return fail(pl, DF_EINVAL, "'%s' cannot be a connection source", s->id);
            for (size_t t = 0; t < cc->to.count; t++) {
                const char *to = ((const char **)cc->to.items)[t];
                int dst = find_node(pl, to, strlen(to));
                if (dst < 0)
                    return fail(pl, DF_EINVAL, "unknown destination '%s'", to);
                if (add_index(&s->ports[pi].dests, &s->ports[pi].ndests, (uint32_t)dst) ||
                    add_index(&pl->nodes[dst].upstream, &pl->nodes[dst].nupstream, (uint32_t)src))
                    return fail(pl, DF_ENOMEM, "out of memory building the pipeline");
            }
        }
    }
    /* Topological order (Kahn); validation rejected cycles. */
    uint32_t *indeg = calloc(pl->nnodes ? pl->nnodes : 1, sizeof *indeg);
    if (!indeg)
        return fail(pl, DF_ENOMEM, "out of memory building the pipeline");
    for (uint32_t i = 0; i < pl->nnodes; i++)
        indeg[i] = pl->nodes[i].nupstream;
    uint32_t head = 0, tail = 0;
    for (uint32_t i = 0; i < pl->nnodes; i++) {
        if (!indeg[i])
            pl->order[tail++] = i;
    }
    while (head < tail) {
        struct df_node *n = &pl->nodes[pl->order[head++]];
        for (uint32_t p = 0; p < n->nports; p++) {
            for (uint32_t d = 0; d < n->ports[p].ndests; d++) {
                uint32_t dst = n->ports[p].dests[d];
                /* A node reached from two ports of one source counts once. */
                bool seen = false;
                for (uint32_t q = 0; q < p && !seen; q++) {
                    for (uint32_t e = 0; e < n->ports[q].ndests; e++)
                        seen |= n->ports[q].dests[e] == dst;
                }
                if (!seen && --indeg[dst] == 0)
                    pl->order[tail++] = dst;
            }
        }
    }
    free(indeg);
    if (tail != pl->nnodes)
        return fail(pl, DF_EINVAL, "the pipeline graph has a cycle");
    return 0;
}

static void destroy_nodes(struct df_core_pipeline *pl, uint32_t created)
{
    for (uint32_t i = 0; i < created; i++) {
        struct df_node *n = &pl->nodes[i];
        while (n->qlen)
            pdata_release(pl, dequeue(n));
        if (n->desc && n->desc->ops && n->desc->ops->destroy)
            n->desc->ops->destroy(n, n->state);
        n->state = NULL;
    }
}

static void close_walk(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

/* Destroys the first `created` nodes, closes every handle on the loop (the
 * nodes' timers, anything a node left open) and closes the loop. The node
 * array stays for df_core_pipeline_free: the control thread may still read
 * its counters. */
static void teardown(struct df_core_pipeline *pl, uint32_t created)
{
    /* Whatever is still queued (an abort, a forced drain) is Nacked and every
     * outcome delivered, so nodes holding inputs hear of them before they are
     * destroyed. Terminates: each delivery pops a frame. */
    while (created && pl->pending) {
        for (uint32_t i = 0; i < created; i++) {
            struct df_node *n = &pl->nodes[i];
            while (n->qlen)
                nack_now(n, dequeue(n), DF_OUTCOME_NACK_TRANSIENT, "the engine is shutting down");
        }
        deliver_settled(pl);
    }
    for (uint32_t i = 0; i < created; i++) {
        struct df_node *n = &pl->nodes[i];
        uint64_t in = 0, out = 0;
        for (int sig = 0; sig < DF_SIGNAL_COUNT; sig++) {
            in += n->stats.items_received[sig];
            out += n->stats.items_sent[sig];
        }
        char fields[192];
        snprintf(fields, sizeof fields,
                 "%s items_received=%llu items_sent=%llu acks_sent=%llu nacks_sent=%llu", n->fields,
                 (unsigned long long)in, (unsigned long long)out,
                 (unsigned long long)n->stats.acks_sent,
                 (unsigned long long)(n->stats.nacks_sent[0] + n->stats.nacks_sent[1]));
        df_log(DF_LOG_INFO, n->scope, fields, "stopped");
    }
    destroy_nodes(pl, created);
    /* Extensions stop after the nodes that use them are gone. */
    df_ext_set_stop(&pl->exts, __atomic_load_n(&pl->drain_deadline_ns, __ATOMIC_RELAXED));
    if (!df_ext_set_stopped(&pl->exts)) {
        pl->exts_stopping = true;
        uv_run(&pl->loop, UV_RUN_DEFAULT); /* until ext_event sees them stopped */
        pl->exts_stopping = false;
    }
    df_ext_set_close(&pl->exts);
    /* Settled pdata nobody will hear of now. */
    while (pl->settled_head) {
        struct df_pdata *pd = pl->settled_head;
        pl->settled_head = pd->next;
        pdata_release(pl, pd);
    }
    pl->settled_tail = NULL;
    uv_walk(&pl->loop, close_walk, NULL);
    uv_run(&pl->loop, UV_RUN_DEFAULT);
    df_ext_set_destroy(&pl->exts);
    if (pl->shared)
        df_ext_set_detach(pl->shared, pl->slot);
    if (pl->pdata_live)
        df_log(DF_LOG_WARN, "runtime", NULL,
               "%s/%s core %u: %llu requests were still held by nodes at shutdown", pl->group,
               pl->name, pl->core, (unsigned long long)pl->pdata_live);
    pool_free(pl);
    uv_loop_close(&pl->loop);
}

void df_core_pipeline_free(struct df_core_pipeline *pl)
{
    for (uint32_t i = 0; pl->nodes && i < pl->nnodes; i++) {
        struct df_node *n = &pl->nodes[i];
        for (uint32_t p = 0; p < n->nports; p++)
            free(n->ports[p].dests);
        free(n->ports);
        free(n->upstream);
        while (n->timers) {
            struct df_timer *t = n->timers;
            n->timers = t->next;
            free(t);
        }
    }
    df_ext_set_free(&pl->exts);
    free(pl->nodes);
    free(pl->order);
    pl->nodes = NULL;
    pl->order = NULL;
}

int df_core_pipeline_build(struct df_core_pipeline *pl, const char *group, const char *name,
                           const struct df_pipeline_cfg *cfg, unsigned core,
                           uint64_t drain_deadline_ns, df_core_notify_fn notify, void *notify_ud,
                           struct df_ext_set *shared, unsigned slot)
{
    /* The caller may have zeroed nodes/order only; everything else here. */
    pl->group = group;
    pl->name = name;
    pl->cfg = cfg;
    pl->core = core;
    __atomic_store_n(&pl->drain_deadline_ns, drain_deadline_ns, __ATOMIC_RELAXED);
    pl->notify = notify;
    pl->notify_ud = notify_ud;
    pl->drain_stage = -1;
    uv_loop_init(&pl->loop);
    uv_idle_init(&pl->loop, &pl->idle);
    pl->idle.data = pl;
    uv_async_init(&pl->loop, &pl->wake, wake_cb);
    pl->wake.data = pl;
    uv_timer_init(&pl->loop, &pl->deadline);
    pl->deadline.data = pl;

    /* Extensions first: the nodes claim their capabilities while created. */
    int rc = df_ext_set_build(&pl->exts, group, name, cfg, DF_EXEC_LOCAL, (int)core, 0, &pl->loop,
                              ext_event, pl);
    if (rc < 0)
        fail(pl, rc, "%s", pl->exts.error);
    if (!rc && shared && shared->n) {
        struct df_error aerr = {0};
        if ((rc = df_ext_set_attach(shared, slot, core, &aerr)) < 0) {
            fail(pl, rc, "%s", aerr.msg);
        } else {
            pl->shared = shared;
            pl->slot = slot;
        }
    }
    if (!rc)
        rc = build_graph(pl);
    uint32_t created = 0;
    pl->creating = true;
    for (; !rc && created < pl->nnodes; created++) {
        struct df_node *n = &pl->nodes[pl->order[created]];
        struct df_error err = {0};
        rc = n->desc->ops->create(n, n->cfg->options, &n->state, &err);
        if (rc < 0)
            fail(pl, rc, "node '%s' (%s): %s", n->id, n->desc->urn,
                 err.msg[0] ? err.msg : df_strerror(rc));
    }
    pl->creating = false;
    if (rc < 0) {
        /* Undo in creation order: `created` counts order[] entries. */
        for (uint32_t k = 0; k < created; k++) {
            struct df_node *n = &pl->nodes[pl->order[k]];
            if (n->desc->ops->destroy && n->state)
                n->desc->ops->destroy(n, n->state);
            n->state = NULL;
        }
        teardown(pl, 0);
        set_state(pl, DF_PIPELINE_FAILED);
        return rc;
    }
    set_state(pl, DF_PIPELINE_BUILT);
    return 0;
}

int df_core_pipeline_run(struct df_core_pipeline *pl)
{
    uv_run(&pl->loop, UV_RUN_DEFAULT);
    teardown(pl, pl->nnodes);
    set_state(pl, DF_PIPELINE_STOPPED);
    return pl->forced || pl->error_set ? 1 : 0;
}
