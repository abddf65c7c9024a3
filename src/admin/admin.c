/* The admin API (admin/admin.h): routes, status JSON, Prometheus metrics. */
#include "admin/admin.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/http1.h"
#include "admin/prom.h"
#include "core/procstat.h"
#include "df/log.h"
#include "df_version.h"
#include "net/addr.h"
#include "registry/registry.h"
#include "runtime/controller.h"

struct df_admin {
    struct df_engine *e;
    struct df_http1_server *srv;
    void (*done)(void *); /* df_admin_close's */
    void *done_ud;
};

/* Calls fn for every node instance whose pipeline has been built (the node
 * array is complete and stays until the engine exits). */
typedef void (*node_visit_fn)(void *ud, const struct df_engine_pipeline *ep,
                              const struct df_core_pipeline *pl, const struct df_node *n);

static bool built(const struct df_core_pipeline *pl)
{
    int st = df_core_pipeline_state(pl);
    return st != DF_PIPELINE_PENDING && st != DF_PIPELINE_FAILED && pl->nodes;
}

static void each_node(const struct df_engine *e, node_visit_fn fn, void *ud)
{
    for (size_t p = 0; p < e->npipelines; p++) {
        const struct df_engine_pipeline *ep = &e->pipelines[p];
        for (size_t c = 0; c < ep->ncores; c++) {
            const struct df_core_pipeline *pl = &ep->slots[c].pl;
            if (!built(pl))
                continue;
            for (uint32_t i = 0; i < pl->nnodes; i++)
                fn(ud, ep, pl, &pl->nodes[i]);
        }
    }
}

/* ---- metrics ------------------------------------------------------------- */

struct emit {
    struct df_prom *p;
    const char *name;
    int field; /* which counter, see node_value */
    int signal;
    int kind;
    const char *extra_label, *extra_value;
};

enum {
    F_ITEMS_RECEIVED,
    F_REQUESTS_RECEIVED,
    F_ITEMS_SENT,
    F_REQUESTS_SENT,
    F_ACKS_SENT,
    F_NACKS_SENT,
    F_ACKS_RECEIVED,
    F_NACKS_RECEIVED,
    F_QUEUE_DEPTH,
    F_QUEUE_CAPACITY,
};

static uint64_t node_value(const struct df_node *n, const struct emit *em)
{
    const struct df_node_stats *s = &n->stats;
    switch (em->field) {
    case F_ITEMS_RECEIVED:
        return DF_COUNTER_GET(s->items_received[em->signal]);
    case F_REQUESTS_RECEIVED:
        return DF_COUNTER_GET(s->requests_received[em->signal]);
    case F_ITEMS_SENT:
        return DF_COUNTER_GET(s->items_sent[em->signal]);
    case F_REQUESTS_SENT:
        return DF_COUNTER_GET(s->requests_sent[em->signal]);
    case F_ACKS_SENT:
        return DF_COUNTER_GET(s->acks_sent);
    case F_NACKS_SENT:
        return DF_COUNTER_GET(s->nacks_sent[em->kind]);
    case F_ACKS_RECEIVED:
        return DF_COUNTER_GET(s->acks_received);
    case F_NACKS_RECEIVED:
        return DF_COUNTER_GET(s->nacks_received[em->kind]);
    case F_QUEUE_DEPTH:
        return DF_COUNTER_GET(s->queue_depth);
    default:
        return n->qcap;
    }
}

static void emit_node(void *ud, const struct df_engine_pipeline *ep,
                      const struct df_core_pipeline *pl, const struct df_node *n)
{
    const struct emit *em = ud;
    char core[16];
    snprintf(core, sizeof core, "%u", pl->core);
    const char *names[] = {"group", "pipeline", "node", "core", em->extra_label};
    const char *values[] = {ep->group, ep->name, n->id, core, em->extra_value};
    df_prom_sample_u64(em->p, em->name, names, values, em->extra_label ? 5 : 4, node_value(n, em));
}

static void node_family(const struct df_engine *e, struct df_prom *p, const char *name,
                        const char *type, const char *help, int field)
{
    df_prom_family(p, name, type, help);
    struct emit em = {.p = p, .name = name, .field = field};
    if (field <= F_REQUESTS_SENT) {
        em.extra_label = "signal";
        for (int s = 0; s < DF_SIGNAL_COUNT; s++) {
            em.signal = s;
            em.extra_value = df_signal_name((enum df_signal)s);
            each_node(e, emit_node, &em);
        }
    } else if (field == F_NACKS_SENT || field == F_NACKS_RECEIVED) {
        static const char *const kinds[] = {"transient", "permanent"};
        em.extra_label = "kind";
        for (int k = 0; k < 2; k++) {
            em.kind = k;
            em.extra_value = kinds[k];
            each_node(e, emit_node, &em);
        }
    } else {
        each_node(e, emit_node, &em);
    }
}

/* Node-declared metrics (df_node_metric), one family per distinct name. */
struct custom {
    struct df_prom *p;
    const char *name;
    bool declared;
};

static void emit_custom(void *ud, const struct df_engine_pipeline *ep,
                        const struct df_core_pipeline *pl, const struct df_node *n)
{
    struct custom *c = ud;
    for (uint32_t i = 0; i < n->nmetrics; i++) {
        const struct df_metric *m = &n->metrics[i];
        if (strcmp(m->name, c->name))
            continue;
        if (!c->declared) {
            df_prom_family(c->p, m->name, m->type == DF_METRIC_COUNTER ? "counter" : "gauge",
                           m->help);
            c->declared = true;
        }
        char core[16];
        snprintf(core, sizeof core, "%u", pl->core);
        const char *names[] = {"group", "pipeline", "node", "core"};
        const char *values[] = {ep->group, ep->name, n->id, core};
        double v;
        __atomic_load(&m->value, &v, __ATOMIC_RELAXED);
        df_prom_sample(c->p, m->name, names, values, 4, v);
    }
}

struct names {
    const char *v[256];
    size_t n;
};

static void collect_names(void *ud, const struct df_engine_pipeline *ep,
                          const struct df_core_pipeline *pl, const struct df_node *n)
{
    struct names *ns = ud;
    for (uint32_t i = 0; i < n->nmetrics; i++) {
        bool seen = false;
        for (size_t k = 0; k < ns->n && !seen; k++)
            seen = !strcmp(ns->v[k], n->metrics[i].name);
        if (!seen && ns->n < DF_COUNTOF(ns->v))
            ns->v[ns->n++] = n->metrics[i].name;
    }
}

/* The runtime's per-node metrics (docs/metrics.md). */
static const struct node_family {
    const char *name, *type, *help;
    int field;
} node_families[] = {
    {"df_node_items_received_total", "counter",
     "Items (log records, spans, metric data points) a node took in.", F_ITEMS_RECEIVED},
    {"df_node_requests_received_total", "counter", "Requests (pdata) a node took in.",
     F_REQUESTS_RECEIVED},
    {"df_node_items_sent_total", "counter", "Items a node sent downstream.", F_ITEMS_SENT},
    {"df_node_requests_sent_total", "counter", "Requests a node sent downstream.", F_REQUESTS_SENT},
    {"df_node_acks_sent_total", "counter", "Requests a node acknowledged.", F_ACKS_SENT},
    {"df_node_nacks_sent_total", "counter", "Requests a node rejected.", F_NACKS_SENT},
    {"df_node_acks_received_total", "counter",
     "Acks delivered to a node that subscribed to a request's outcome.", F_ACKS_RECEIVED},
    {"df_node_nacks_received_total", "counter",
     "Nacks delivered to a node that subscribed to a request's outcome.", F_NACKS_RECEIVED},
    {"df_node_queue_depth", "gauge", "Requests waiting in a node's input queue.", F_QUEUE_DEPTH},
    {"df_node_queue_capacity", "gauge",
     "Capacity of a node's input queue (policies.channel_capacity.pdata).", F_QUEUE_CAPACITY},
};

/* ---- extension metrics ---------------------------------------------------- */

/* Calls fn for every extension instance: each pipeline's shared ones (core
 * label "shared"), then the local ones of every built core. */
typedef void (*ext_visit_fn)(void *ud, const struct df_engine_pipeline *ep, const char *core,
                             const struct df_extension *x);

static void each_extension(const struct df_engine *e, ext_visit_fn fn, void *ud)
{
    for (size_t p = 0; p < e->npipelines; p++) {
        const struct df_engine_pipeline *ep = &e->pipelines[p];
        for (size_t i = 0; i < ep->shared.n; i++)
            fn(ud, ep, "shared", &ep->shared.items[i]);
        for (size_t c = 0; c < ep->ncores; c++) {
            const struct df_core_pipeline *pl = &ep->slots[c].pl;
            if (!built(pl))
                continue;
            char core[16];
            snprintf(core, sizeof core, "%u", pl->core);
            for (size_t i = 0; i < pl->exts.n; i++)
                fn(ud, ep, core, &pl->exts.items[i]);
        }
    }
}

struct ext_emit {
    struct df_prom *p;
    int which;
    uint64_t now;
};

enum { X_STATE, X_READY, X_REFRESH, X_AGE, X_ENTRIES, X_BYTES };

static void emit_extension(void *ud, const struct df_engine_pipeline *ep, const char *core,
                           const struct df_extension *x)
{
    struct ext_emit *em = ud;
    const char *names[] = {"group", "pipeline", "extension", "core", "state"};
    const char *values[] = {ep->group, ep->name, x->id, core, NULL};
    uint64_t ready = __atomic_load_n(&x->ready_ns, __ATOMIC_RELAXED);
    switch (em->which) {
    case X_STATE:
        values[4] = df_ext_state_name(__atomic_load_n(&x->lstate, __ATOMIC_RELAXED));
        df_prom_sample_u64(em->p, "df_extension_state", names, values, 5, 1);
        break;
    case X_READY:
        if (ready)
            df_prom_sample(em->p, "df_extension_ready_seconds", names, values, 4,
                           (double)(ready - __atomic_load_n(&x->start_ns, __ATOMIC_RELAXED)) / 1e9);
        break;
    case X_REFRESH:
        names[4] = "result";
        values[4] = "ok";
        df_prom_sample_u64(em->p, "df_extension_refreshes_total", names, values, 5,
                           __atomic_load_n(&x->refreshes[0], __ATOMIC_RELAXED));
        values[4] = "failed";
        df_prom_sample_u64(em->p, "df_extension_refreshes_total", names, values, 5,
                           __atomic_load_n(&x->refreshes[1], __ATOMIC_RELAXED));
        break;
    case X_AGE: {
        uint64_t ok = __atomic_load_n(&x->last_ok_ns, __ATOMIC_RELAXED);
        if (ok)
            df_prom_sample(em->p, "df_extension_state_age_seconds", names, values, 4,
                           (double)(em->now - ok) / 1e9);
        break;
    }
    case X_ENTRIES:
    case X_BYTES: {
        uint64_t entries = __atomic_load_n(&x->size[0], __ATOMIC_RELAXED);
        if (entries) /* told */
            df_prom_sample_u64(
                em->p,
                em->which == X_ENTRIES ? "df_extension_state_entries" : "df_extension_state_bytes",
                names, values, 4,
                em->which == X_ENTRIES ? entries - 1
                                       : __atomic_load_n(&x->size[1], __ATOMIC_RELAXED));
        break;
    }
    }
}

/* Calls per (pipeline, extension, capability), summed over every node
 * instance that claimed it on every core. */
struct call_sum {
    const char *extension, *capability;
    const struct df_capability_desc *cd;
    uint64_t n[DF_CAP_OUTCOMES_MAX];
};

static void emit_calls(struct df_prom *p, const struct df_engine *e)
{
    df_prom_family(p, "df_extension_calls_total", "counter",
                   "Capability calls made through nodes' handles, by outcome.");
    for (size_t pi = 0; pi < e->npipelines; pi++) {
        const struct df_engine_pipeline *ep = &e->pipelines[pi];
        struct call_sum sums[64];
        size_t nsums = 0;
        for (size_t c = 0; c < ep->ncores; c++) {
            const struct df_core_pipeline *pl = &ep->slots[c].pl;
            if (!built(pl))
                continue;
            for (uint32_t i = 0; i < pl->nnodes; i++) {
                const struct df_node *n = &pl->nodes[i];
                for (uint32_t k = 0; k < n->ncaps; k++) {
                    const struct df_node_cap *nc = &n->caps[k];
                    size_t j = 0;
                    while (j < nsums && (strcmp(sums[j].extension, nc->ext->id) ||
                                         strcmp(sums[j].capability, nc->name)))
                        j++;
                    if (j == nsums) {
                        if (nsums == DF_COUNTOF(sums))
                            continue;
                        sums[nsums++] =
                            (struct call_sum){.extension = nc->ext->id,
                                              .capability = nc->name,
                                              .cd = df_registry_find_capability(nc->name)};
                    }
                    for (unsigned o = 0; o < DF_CAP_OUTCOMES_MAX; o++)
                        sums[j].n[o] += __atomic_load_n(&nc->b.calls[o], __ATOMIC_RELAXED);
                }
            }
        }
        for (size_t j = 0; j < nsums; j++) {
            const char *const *outcomes = sums[j].cd ? sums[j].cd->outcomes : NULL;
            for (unsigned o = 0; outcomes && outcomes[o] && o < DF_CAP_OUTCOMES_MAX; o++) {
                const char *names[] = {"group", "pipeline", "extension", "capability", "outcome"};
                const char *values[] = {ep->group, ep->name, sums[j].extension, sums[j].capability,
                                        outcomes[o]};
                df_prom_sample_u64(p, "df_extension_calls_total", names, values, 5, sums[j].n[o]);
            }
        }
    }
}

static void extension_metrics(const struct df_engine *e, struct df_prom *p)
{
    static const struct {
        const char *name, *type, *help;
    } fams[] = {
        [X_STATE] = {"df_extension_state", "gauge",
                     "1 for the lifecycle state an extension instance is in (label state); core "
                     "is \"shared\" for a pipeline's shared instances."},
        [X_READY] = {"df_extension_ready_seconds", "gauge",
                     "Seconds from an instance's start to its readiness."},
        [X_REFRESH] = {"df_extension_refreshes_total", "counter",
                       "Background refreshes of an instance's state, by result."},
        [X_AGE] = {"df_extension_state_age_seconds", "gauge",
                   "Seconds since an instance's state last loaded successfully."},
        [X_ENTRIES] = {"df_extension_state_entries", "gauge",
                       "Entries of an instance's state in force (a dataset's rows), as its "
                       "provider tells them."},
        [X_BYTES] = {"df_extension_state_bytes", "gauge",
                     "Bytes of an instance's state in force (a dataset's snapshot), as its "
                     "provider tells them."},
    };
    for (int w = 0; w < (int)DF_COUNTOF(fams); w++) {
        df_prom_family(p, fams[w].name, fams[w].type, fams[w].help);
        struct ext_emit em = {.p = p, .which = w, .now = uv_hrtime()};
        each_extension(e, emit_extension, &em);
    }
    emit_calls(p, e);
}

char *df_admin_metrics(const struct df_engine *e, size_t *len)
{
    struct df_prom p;
    df_prom_init(&p);
    for (size_t i = 0; i < DF_COUNTOF(node_families); i++) {
        const struct node_family *f = &node_families[i];
        node_family(e, &p, f->name, f->type, f->help, f->field);
    }

    struct names ns = {.n = 0};
    each_node(e, collect_names, &ns);
    for (size_t i = 0; i < ns.n; i++) {
        struct custom c = {.p = &p, .name = ns.v[i]};
        each_node(e, emit_custom, &c);
    }

    df_prom_family(&p, "df_pipeline_running", "gauge",
                   "1 while a pipeline runs on a core, else 0.");
    df_prom_family(&p, "df_pipeline_state", "gauge",
                   "1 for the state a pipeline instance is in (label state).");
    for (size_t i = 0; i < e->npipelines; i++) {
        const struct df_engine_pipeline *ep = &e->pipelines[i];
        for (size_t c = 0; c < ep->ncores; c++) {
            char core[16];
            snprintf(core, sizeof core, "%u", ep->slots[c].core);
            int st = df_core_pipeline_state(&ep->slots[c].pl);
            const char *names[] = {"group", "pipeline", "core", "state"};
            const char *values[] = {ep->group, ep->name, core, df_pipeline_state_name(st)};
            df_prom_sample_u64(&p, "df_pipeline_running", names, values, 3,
                               st == DF_PIPELINE_RUNNING);
            df_prom_sample_u64(&p, "df_pipeline_state", names, values, 4, 1);
        }
    }
    extension_metrics(e, &p);
    df_prom_family(&p, "df_engine_ready", "gauge", "1 while every pipeline runs on every core.");
    df_prom_sample_u64(&p, "df_engine_ready", NULL, NULL, 0, df_engine_ready(e));
    df_prom_family(&p, "df_process_uptime_seconds", "gauge", "Seconds since the engine started.");
    df_prom_sample(&p, "df_process_uptime_seconds", NULL, NULL, 0,
                   (double)(uv_hrtime() - e->created_ns) / 1e9);
    df_prom_family(&p, "df_process_resident_memory_bytes", "gauge",
                   "Resident memory of the process.");
    df_prom_sample_u64(&p, "df_process_resident_memory_bytes", NULL, NULL, 0, df_proc_rss_bytes());
    df_prom_family(&p, "df_process_cpu_seconds_total", "counter",
                   "CPU time (user and system) used by the process.");
    df_prom_sample(&p, "df_process_cpu_seconds_total", NULL, NULL, 0, df_proc_cpu_seconds());
    df_prom_family(&p, "df_build_info", "gauge", "Always 1; the version in a label.");
    const char *bn[] = {"version"}, *bv[] = {DF_VERSION};
    df_prom_sample_u64(&p, "df_build_info", bn, bv, 1, 1);
    if (p.err) {
        df_prom_free(&p);
        return NULL;
    }
    *len = p.len;
    return p.buf; /* ownership passes to the caller */
}

/* ---- status -------------------------------------------------------------- */

static json_t *status_json(const struct df_engine *e)
{
    json_t *root = json_object();
    json_object_set_new(root, "version", json_string(DF_VERSION));
    json_object_set_new(root, "phase", json_string(df_engine_phase_name(e->phase)));
    json_object_set_new(root, "ready", json_boolean(df_engine_ready(e)));
    json_object_set_new(root, "uptime_seconds",
                        json_real((double)(uv_hrtime() - e->created_ns) / 1e9));
    json_t *groups = json_object();
    json_object_set_new(root, "groups", groups);
    for (size_t i = 0; i < e->npipelines; i++) {
        const struct df_engine_pipeline *ep = &e->pipelines[i];
        json_t *g = json_object_get(groups, ep->group);
        if (!g) {
            g = json_object();
            json_object_set_new(g, "pipelines", json_object());
            json_object_set_new(groups, ep->group, g);
        }
        json_t *pj = json_object();
        json_object_set_new(json_object_get(g, "pipelines"), ep->name, pj);
        json_t *cores = json_array();
        json_object_set_new(pj, "cores", cores);
        size_t running = 0;
        for (size_t c = 0; c < ep->ncores; c++) {
            const struct df_core_pipeline *pl = &ep->slots[c].pl;
            int st = df_core_pipeline_state(pl);
            running += st == DF_PIPELINE_RUNNING;
            json_t *cj = json_object();
            json_object_set_new(cj, "core", json_integer(ep->slots[c].core));
            json_object_set_new(cj, "state", json_string(df_pipeline_state_name(st)));
            const char *err = df_core_pipeline_error(pl);
            if (st != DF_PIPELINE_PENDING && err)
                json_object_set_new(cj, "error", json_string(err));
            if (built(pl)) {
                json_t *nodes = json_object();
                for (uint32_t k = 0; k < pl->nnodes; k++) {
                    const struct df_node *n = &pl->nodes[k];
                    json_t *nj = json_object();
                    json_object_set_new(nj, "type", json_string(n->desc->urn));
                    json_object_set_new(
                        nj, "state", json_string(df_node_state_name(DF_COUNTER_GET(n->run_state))));
                    json_object_set_new(
                        nj, "queue_depth",
                        json_integer((json_int_t)DF_COUNTER_GET(n->stats.queue_depth)));
                    uint64_t rx = 0, tx = 0;
                    for (int sig = 0; sig < DF_SIGNAL_COUNT; sig++) {
                        rx += DF_COUNTER_GET(n->stats.items_received[sig]);
                        tx += DF_COUNTER_GET(n->stats.items_sent[sig]);
                    }
                    json_object_set_new(nj, "items_received", json_integer((json_int_t)rx));
                    json_object_set_new(nj, "items_sent", json_integer((json_int_t)tx));
                    json_object_set_new(nodes, n->id, nj);
                }
                json_object_set_new(cj, "nodes", nodes);
            }
            json_array_append_new(cores, cj);
        }
        json_object_set_new(pj, "state",
                            json_string(running == ep->ncores ? "running"
                                        : running             ? "degraded"
                                                              : "not_running"));
    }
    return root;
}

/* ---- routes -------------------------------------------------------------- */

static void json_reply(struct df_http1_response *res, int status, json_t *j)
{
    char *text = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
    json_decref(j);
    res->status = text ? status : 500;
    res->content_type = "application/json";
    res->body = text;
    res->body_len = text ? strlen(text) : 0;
}

/* timeout_secs=N from the query string; 0 when absent or not a number. */
static uint64_t query_seconds(const char *query, const char *key)
{
    size_t klen = strlen(key);
    for (const char *q = query; q && *q;) {
        if (!strncmp(q, key, klen) && q[klen] == '=') {
            char *end;
            unsigned long long v = strtoull(q + klen + 1, &end, 10);
            return (*end == 0 || *end == '&') ? v : 0;
        }
        q = strchr(q, '&');
        q = q ? q + 1 : NULL;
    }
    return 0;
}

static void handle(void *ud, const struct df_http1_request *req, struct df_http1_response *res)
{
    struct df_admin *a = ud;
    struct df_engine *e = a->e;
    bool get = !strcmp(req->method, "GET") || !strcmp(req->method, "HEAD");
    bool post = !strcmp(req->method, "POST");
    const char *path = req->path;
    if (!strcmp(path, "/api/v1/groups/shutdown")) {
        if (!post) {
            df_http1_response_text(res, 405, "text/plain", "use POST\n");
            return;
        }
        uint64_t secs = query_seconds(req->query, "timeout_secs");
        if (secs)
            df_engine_set_drain_deadline(e, secs * 1000000000ull);
        df_engine_shutdown(e, "requested through the admin API");
        json_t *j = json_object();
        json_object_set_new(j, "status", json_string("accepted"));
        json_reply(res, 202, j);
        return;
    }
    bool known = !strcmp(path, "/api/v1/livez") || !strcmp(path, "/api/v1/readyz") ||
                 !strcmp(path, "/api/v1/status") || !strcmp(path, "/api/v1/metrics") ||
                 !strcmp(path, "/metrics");
    if (!known) {
        df_http1_response_text(res, 404, "text/plain", "no such endpoint: %s\n", path);
        return;
    }
    if (!get) {
        df_http1_response_text(res, 405, "text/plain", "use GET\n");
        return;
    }
    if (!strcmp(path, "/api/v1/livez")) {
        df_http1_response_text(res, 200, "text/plain", "ok\n");
    } else if (!strcmp(path, "/api/v1/readyz")) {
        if (df_engine_ready(e))
            df_http1_response_text(res, 200, "text/plain", "ready\n");
        else
            df_http1_response_text(res, 503, "text/plain", "not ready: engine %s\n",
                                   df_engine_phase_name(e->phase));
    } else if (!strcmp(path, "/api/v1/status")) {
        json_reply(res, 200, status_json(e));
    } else {
        size_t len = 0;
        char *text = df_admin_metrics(e, &len);
        res->status = text ? 200 : 500;
        res->content_type = DF_PROM_CONTENT_TYPE;
        res->body = text;
        res->body_len = text ? len : 0;
    }
}

struct df_admin *df_admin_start(struct df_engine *e, const struct sockaddr *addr, char *err,
                                size_t errlen)
{
    struct df_admin *a = calloc(1, sizeof *a);
    if (!a) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    a->e = e;
    a->srv = df_http1_server_start(&e->loop, addr, handle, a, NULL, err, errlen);
    if (!a->srv) {
        free(a);
        return NULL;
    }
    char where[128];
    struct sockaddr_storage bound;
    memcpy(&bound, addr,
           addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
    ((struct sockaddr_in *)&bound)->sin_port = htons((uint16_t)df_http1_server_port(a->srv));
    df_log(DF_LOG_INFO, "admin", NULL, "admin API listening on %s",
           df_sockaddr_format((struct sockaddr *)&bound, where, sizeof where));
    return a;
}

static void closed(void *ud)
{
    struct df_admin *a = ud;
    void (*done)(void *) = a->done;
    void *done_ud = a->done_ud;
    free(a);
    if (done)
        done(done_ud);
}

void df_admin_close(struct df_admin *a, void (*done)(void *), void *ud)
{
    a->done = done;
    a->done_ud = ud;
    df_http1_server_close(a->srv, closed, a);
}
