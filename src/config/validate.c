/* Static validation of a shape-checked config (config/model.h):
 * component types, their options, capability bindings, connections, the
 * graph (kinds, ports, cycles, reachability) and policy resolution. Every
 * problem is collected; nothing stops at the first. */
#include <stdlib.h>
#include <string.h>

#include "config/model.h"
#include "core/suggest.h"
#include "registry/registry.h"

#define PATHLEN DF_ERROR_PATH_MAX

struct pctx {
    struct df_config *cfg;
    struct df_pipeline_cfg *pl;
    const char *path; /* groups.<g>.pipelines.<p> */
    struct df_diags *d;
    bool binding_errors; /* a capability binding was reported */
};

static const struct df_mark *entry_key_mark(const struct df_map *m, size_t i)
{
    return &m->src->u.map.entries[i].key_mark;
}

static const struct df_mark *entry_value_mark(const struct df_map *m, size_t i)
{
    return &m->src->u.map.entries[i].value->mark;
}

/* ---- policies ------------------------------------------------------------ */

static void resolve_policies(struct df_config *cfg, struct df_group_cfg *g,
                             struct df_pipeline_cfg *pl)
{
    const struct df_policies *scopes[] = {&pl->policies, &g->policies, &cfg->policies};
    struct df_resolved_policies *r = &pl->resolved;
    r->channel_capacity = (struct df_channel_capacity){
        .control = {.node = 256, .pipeline = 256, .completion = 512}, .pdata = 128};
    r->core_allocation = (struct df_core_allocation){.strategy = DF_CORES_ALL};
    r->core_allocation_scope = DF_SCOPE_BUILTIN;
    bool have_cc = false, have_cores = false;
    for (size_t i = 0; i < DF_COUNTOF(scopes); i++) {
        const struct df_policies *s = scopes[i];
        if (!have_cc && s->channel_capacity) {
            r->channel_capacity = *s->channel_capacity;
            have_cc = true;
        }
        if (!have_cores && s->resources && s->resources->core_allocation) {
            r->core_allocation = *s->resources->core_allocation;
            r->core_allocation_scope = (int)i;
            have_cores = true;
        }
    }
}

/* ---- components ---------------------------------------------------------- */

/* Collects the registered URNs of one kind, sorted; returns the count. */
static size_t types_of_kind(const char **out, size_t max, int urn_kind)
{
    size_t n = 0;
    if (urn_kind == DF_URN_EXTENSION) {
        const struct df_extension_desc *const *v;
        size_t c = df_registry_extensions(&v);
        for (size_t i = 0; i < c && n < max; i++)
            out[n++] = v[i]->urn;
    } else {
        const struct df_node_desc *const *v;
        size_t c = df_registry_nodes(&v);
        for (size_t i = 0; i < c && n < max; i++) {
            if ((int)v[i]->kind == urn_kind)
                out[n++] = v[i]->urn;
        }
    }
    qsort(out, n, sizeof *out, df_cmp_strptr);
    return n;
}

/* Hints at the registered types of the same kind: a near miss first (the
 * id compared within the same namespace), then the list. */
static void suggest_type(struct df_diags *d, const struct df_urn *urn)
{
    const char *types[256];
    size_t n = types_of_kind(types, DF_COUNTOF(types), (int)urn->kind);
    const char *id = strrchr(urn->canonical, ':') + 1;
    size_t prefix = (size_t)(id - urn->canonical);
    const char *ids[256];
    for (size_t i = 0; i < n; i++)
        ids[i] = strncmp(types[i], urn->canonical, prefix) ? NULL : types[i] + prefix;
    const char *near = df_suggest(id, ids, n);
    char list[DF_ERROR_HINT_MAX - 64];
    df_join_names(list, sizeof list, types, n);
    if (near)
        df_diags_hint(d, "did you mean '%.*s%s'? (this build has %s)", (int)prefix, urn->canonical,
                      near, n ? list : "none");
    else
        df_diags_hint(d, "this build has %s types: %s", df_urn_kind_name(urn->kind),
                      n ? list : "none");
}

/* Parses a component's `config:` against its option table. */
static void *parse_component_options(struct pctx *c, const struct df_option_table *t,
                                     const struct df_value *config, const struct df_value *src,
                                     const char *urn, const char *path)
{
    char p[PATHLEN];
    snprintf(p, sizeof p, "%s.config", path);
    if (!t) {
        if (config && !(config->kind == DF_VALUE_NULL ||
                        (config->kind == DF_VALUE_MAP && config->u.map.count == 0))) {
            df_diags_add(c->d, &config->mark, p, "'%s' takes no config", urn);
            df_diags_hint(c->d, "remove the config: key");
        }
        return NULL;
    }
    void *obj = df_arena_alloc(&c->cfg->arena, t->size);
    if (!obj) {
        df_diags_add(c->d, NULL, p, "out of memory");
        return NULL;
    }
    if (df_options_parse(t, config, &src->mark, obj, p, &c->cfg->arena, c->d))
        return NULL;
    return obj;
}

/* Node and extension ids appear in connection selectors and config paths:
 * they must be non-empty and free of brackets, quotes and white space. */
static void check_id(struct pctx *c, const struct df_map *m, size_t i, const char *what)
{
    const char *id = m->keys[i];
    if (*id && !id[strcspn(id, "[]\"' \t")])
        return;
    df_diags_add(c->d, entry_key_mark(m, i), c->path, "invalid %s id '%s'", what, id);
    df_diags_hint(c->d, "an id is non-empty, without brackets, quotes or spaces");
}

static void resolve_extensions(struct pctx *c)
{
    struct df_map *m = &c->pl->extensions;
    for (size_t i = 0; i < m->count; i++) {
        struct df_extension_cfg *e = DF_MAP_AT(*m, struct df_extension_cfg, i);
        char path[PATHLEN], err[256], hint[128];
        snprintf(path, sizeof path, "%s.extensions.%s", c->path, m->keys[i]);
        e->id = m->keys[i];
        check_id(c, m, i, "extension");
        const struct df_value *tv = df_value_get(e->src, "type");
        char tpath[PATHLEN];
        snprintf(tpath, sizeof tpath, "%s.type", path);
        if (df_urn_parse(e->type, DF_URN_EXTENSION_KINDS, &e->urn, err, sizeof err, hint,
                         sizeof hint)) {
            df_diags_add(c->d, &tv->mark, tpath, "%s", err);
            if (hint[0])
                df_diags_hint(c->d, "%s", hint);
            continue;
        }
        e->desc = df_registry_find_extension(e->urn.canonical);
        if (!e->desc) {
            df_diags_add(c->d, &tv->mark, tpath, "unknown extension type '%s'", e->type);
            suggest_type(c->d, &e->urn);
            continue;
        }
        e->options =
            parse_component_options(c, e->desc->options, e->config, e->src, e->desc->urn, path);
    }
}

/* Collects the registered capability names, sorted; returns the count. */
static size_t capability_names(const char **out, size_t max)
{
    const struct df_capability_desc *const *v;
    size_t nc = df_registry_capabilities(&v);
    size_t k = 0;
    for (; k < nc && k < max; k++)
        out[k] = v[k]->name;
    qsort(out, k, sizeof *out, df_cmp_strptr);
    return k;
}

/* Writes the URNs of the providers implementing `cap`, sorted and
 * comma-separated; returns how many there are. */
static size_t provider_list(const char *cap, char *buf, size_t n)
{
    const struct df_extension_desc *const *v;
    size_t ne = df_registry_extensions(&v);
    const char *urns[256];
    size_t k = 0;
    for (size_t i = 0; i < ne && k < DF_COUNTOF(urns); i++) {
        if (df_extension_capability(v[i], cap))
            urns[k++] = v[i]->urn;
    }
    qsort(urns, k, sizeof *urns, df_cmp_strptr);
    df_join_names(buf, n, urns, k);
    return k;
}

/* The pipeline's first instance whose provider implements `cap`, or NULL. */
static const char *instance_providing(const struct pctx *c, const char *cap)
{
    const struct df_map *exts = &c->pl->extensions;
    for (size_t k = 0; k < exts->count; k++) {
        const struct df_extension_cfg *e = DF_MAP_AT(*exts, struct df_extension_cfg, k);
        if (e->desc && df_extension_capability(e->desc, cap))
            return exts->keys[k];
    }
    return NULL;
}

/* Checks a node's `capabilities:` statically: each capability exists, is
 * one the node type consumes, and is bound to an instance this pipeline
 * declares whose provider implements it. */
static void check_bindings(struct pctx *c, struct df_node_cfg *n, const char *path)
{
    struct df_map *caps = &n->capabilities;
    size_t before = df_diags_total(c->d);
    for (size_t j = 0; j < caps->count; j++) {
        const char *cap = caps->keys[j];
        const char *inst = *DF_MAP_AT(*caps, const char *, j);
        char p[PATHLEN];
        snprintf(p, sizeof p, "%s.capabilities.%s", path, cap);
        const struct df_capability_desc *cd = df_registry_find_capability(cap);
        if (!cd) {
            const char *names[256];
            size_t k = capability_names(names, DF_COUNTOF(names));
            char list[DF_ERROR_HINT_MAX - 64] = "none";
            if (k)
                df_join_names(list, sizeof list, names, k);
            df_diags_add(c->d, entry_key_mark(caps, j), p,
                         "node '%s' binds unknown capability '%s' (to extension '%s')", n->id, cap,
                         inst);
            const char *near = df_suggest(cap, names, k);
            if (near)
                df_diags_hint(c->d, "did you mean '%s'? known capabilities: %s", near, list);
            else
                df_diags_hint(c->d, "known capabilities: %s", list);
        } else if (n->desc && !df_registry_list_has(n->desc->consumes, cap)) {
            char list[DF_ERROR_HINT_MAX - 64];
            size_t nconsumes = 0;
            while (n->desc->consumes && n->desc->consumes[nconsumes])
                nconsumes++;
            df_join_names(list, sizeof list, n->desc->consumes, nconsumes);
            df_diags_add(c->d, entry_key_mark(caps, j), p,
                         "node '%s' (%s) does not consume capability '%s'", n->id, n->desc->urn,
                         cap);
            if (nconsumes)
                df_diags_hint(c->d, "%s consumes only: %s", n->desc->urn, list);
            else
                df_diags_hint(c->d, "%s consumes no capability; remove the binding", n->desc->urn);
        }
        struct df_extension_cfg *ext = NULL;
        struct df_map *exts = &c->pl->extensions;
        for (size_t k = 0; k < exts->count; k++) {
            if (!strcmp(exts->keys[k], inst))
                ext = DF_MAP_AT(*exts, struct df_extension_cfg, k);
        }
        if (!ext) {
            df_diags_add(c->d, entry_value_mark(caps, j), p,
                         "node '%s' binds capability '%s' to extension '%s', which this pipeline "
                         "does not declare",
                         n->id, cap, inst);
            const char *near = df_suggest(inst, exts->keys, exts->count);
            if (near)
                df_diags_hint(c->d, "did you mean '%s'?", near);
            else
                df_diags_hint(c->d, "declare it under %s.extensions", c->path);
            continue;
        }
        if (!cd || !ext->desc || df_extension_capability(ext->desc, cap))
            continue;
        char list[DF_ERROR_HINT_MAX - 96];
        size_t nprov = provider_list(cap, list, sizeof list);
        const char *other = instance_providing(c, cap);
        df_diags_add(c->d, entry_value_mark(caps, j), p,
                     "node '%s' binds capability '%s' to extension '%s', whose provider %s does "
                     "not implement it",
                     n->id, cap, inst, ext->desc->urn);
        if (other)
            df_diags_hint(c->d, "'%s' is implemented by %s; did you mean '%s'?", cap, list, other);
        else if (nprov)
            df_diags_hint(c->d, "'%s' is implemented by %s", cap, list);
        else
            df_diags_hint(c->d, "no provider in this build implements '%s'", cap);
    }
    c->binding_errors |= df_diags_total(c->d) != before;
}

/* Warns about instances no node binds: they would be created and started,
 * but nothing would call them. A background provider (a task and no
 * capabilities) is never bound, so it is exempt. After a binding error the
 * warning would most likely repeat it (a node bound the wrong name), so the
 * pipeline gets none. */
static void check_unbound(struct pctx *c)
{
    if (c->binding_errors)
        return;
    const struct df_map *exts = &c->pl->extensions, *nodes = &c->pl->nodes;
    for (size_t i = 0; i < exts->count; i++) {
        const struct df_extension_cfg *e = DF_MAP_AT(*exts, struct df_extension_cfg, i);
        if (!e->desc || e->desc->lifecycle == DF_LIFECYCLE_BACKGROUND)
            continue;
        bool bound = false;
        for (size_t k = 0; k < nodes->count && !bound; k++) {
            const struct df_map *caps = &DF_MAP_AT(*nodes, struct df_node_cfg, k)->capabilities;
            for (size_t j = 0; j < caps->count && !bound; j++)
                bound = !strcmp(*DF_MAP_AT(*caps, const char *, j), exts->keys[i]);
        }
        if (bound)
            continue;
        char p[PATHLEN];
        snprintf(p, sizeof p, "%s.extensions.%s", c->path, exts->keys[i]);
        df_diags_warn(c->d, entry_key_mark(exts, i), p,
                      "extension '%s' (%s) is not bound by any node; it runs, but nothing calls it",
                      exts->keys[i], e->desc->urn);
        const char *cap = e->desc->capabilities && e->desc->capabilities[0].name
                              ? e->desc->capabilities[0].name
                              : "<capability>";
        df_diags_hint(c->d, "bind it on a node, capabilities: {%s: %s}, or remove it", cap,
                      exts->keys[i]);
    }
}

static void resolve_nodes(struct pctx *c)
{
    struct df_map *m = &c->pl->nodes;
    for (size_t i = 0; i < m->count; i++) {
        struct df_node_cfg *n = DF_MAP_AT(*m, struct df_node_cfg, i);
        char path[PATHLEN], tpath[PATHLEN], err[256], hint[128];
        snprintf(path, sizeof path, "%s.nodes.%s", c->path, m->keys[i]);
        snprintf(tpath, sizeof tpath, "%s.type", path);
        n->id = m->keys[i];
        check_id(c, m, i, "node");
        const struct df_value *tv = df_value_get(n->src, "type");
        bool urn_ok = df_urn_parse(n->type, DF_URN_NODE_KINDS, &n->urn, err, sizeof err, hint,
                                   sizeof hint) == 0;
        if (!urn_ok) {
            df_diags_add(c->d, &tv->mark, tpath, "%s", err);
            if (hint[0])
                df_diags_hint(c->d, "%s", hint);
        } else {
            n->desc = df_registry_find_node(n->urn.canonical);
            if (!n->desc) {
                df_diags_add(c->d, &tv->mark, tpath, "unknown %s type '%s'",
                             df_urn_kind_name(n->urn.kind), n->type);
                suggest_type(c->d, &n->urn);
            } else {
                n->options = parse_component_options(c, n->desc->options, n->config, n->src,
                                                     n->desc->urn, path);
            }
        }
        /* Output ports: unique; default_output must be one of them. */
        const char **outs = n->outputs.items;
        for (size_t a = 0; a < n->outputs.count; a++) {
            for (size_t b = 0; b < a; b++) {
                if (strcmp(outs[a], outs[b]))
                    continue;
                char p[PATHLEN];
                snprintf(p, sizeof p, "%s.outputs[%zu]", path, a);
                df_diags_add(c->d, &n->outputs.src->u.seq.items[a]->mark, p,
                             "output port '%s' is declared twice", outs[a]);
            }
        }
        if (n->default_output) {
            bool found = false;
            for (size_t a = 0; a < n->outputs.count; a++)
                found |= !strcmp(outs[a], n->default_output);
            if (!found) {
                char p[PATHLEN];
                snprintf(p, sizeof p, "%s.default_output", path);
                const struct df_value *dv = df_value_get(n->src, "default_output");
                df_diags_add(c->d, &dv->mark, p,
                             "default_output '%s' is not one of the declared outputs",
                             n->default_output);
                df_diags_hint(c->d, "declare it: outputs: [%s]", n->default_output);
            }
        }
        check_bindings(c, n, path);
    }
}

/* ---- connections and graph ----------------------------------------------- */

static int find_node(const struct df_map *nodes, const char *id, size_t len)
{
    for (size_t i = 0; i < nodes->count; i++) {
        if (strlen(nodes->keys[i]) == len && !strncmp(nodes->keys[i], id, len))
            return (int)i;
    }
    return -1;
}

int df_config_selector(const char *s, const char **node, size_t *node_len, const char **port,
                       size_t *port_len, char *err, size_t errlen)
{
    const char *open = strchr(s, '[');
    *port = NULL;
    *port_len = 0;
    if (!open) {
        if (strchr(s, ']')) {
            snprintf(err, errlen, "unexpected ']' in '%s'", s);
            return DF_EINVAL;
        }
        *node = s;
        *node_len = strlen(s);
        if (!*node_len) {
            snprintf(err, errlen, "a connection source must not be empty");
            return DF_EINVAL;
        }
        return 0;
    }
    size_t len = strlen(s);
    if (s[len - 1] != ']' || open == s) {
        snprintf(err, errlen, "invalid source '%s': expected node[\"port\"]", s);
        return DF_EINVAL;
    }
    const char *q = open + 1;
    const char *qe = s + len - 2;
    if (qe <= q || (*q != '"' && *q != '\'') || *qe != *q) {
        snprintf(err, errlen, "invalid source '%s': the port must be quoted, like node[\"port\"]",
                 s);
        return DF_EINVAL;
    }
    *node = s;
    *node_len = (size_t)(open - s);
    *port = q + 1;
    *port_len = (size_t)(qe - q - 1);
    if (!*port_len) {
        snprintf(err, errlen, "invalid source '%s': empty port name", s);
        return DF_EINVAL;
    }
    return 0;
}

static bool port_declared(const struct df_node_cfg *n, const char *port, size_t len)
{
    if (n->outputs.count == 0)
        return len == 7 && !strncmp(port, "default", 7);
    const char *const *outs = n->outputs.items;
    for (size_t i = 0; i < n->outputs.count; i++) {
        if (strlen(outs[i]) == len && !strncmp(outs[i], port, len))
            return true;
    }
    return false;
}

/* Depth-first search for cycles; reports each back edge's cycle once. */
struct graph {
    size_t n;
    unsigned char *adj; /* n*n */
    unsigned char *color;
    int *stack;
    size_t depth;
};

static void dfs(struct pctx *c, struct graph *g, size_t u)
{
    g->color[u] = 1;
    g->stack[g->depth++] = (int)u;
    for (size_t v = 0; v < g->n; v++) {
        if (!g->adj[u * g->n + v])
            continue;
        if (g->color[v] == 1) {
            char cyc[DF_ERROR_MSG_MAX - 64];
            size_t len = 0, start = 0;
            while ((size_t)g->stack[start] != v)
                start++;
            for (size_t k = start; k < g->depth && len < sizeof cyc; k++)
                len += (size_t)snprintf(cyc + len, sizeof cyc - len, "%s -> ",
                                        c->pl->nodes.keys[g->stack[k]]);
            if (len < sizeof cyc)
                snprintf(cyc + len, sizeof cyc - len, "%s", c->pl->nodes.keys[v]);
            df_diags_add(c->d, entry_key_mark(&c->pl->nodes, v), c->path,
                         "the connections form a cycle: %s", cyc);
            df_diags_hint(c->d, "a pipeline is a directed acyclic graph");
        } else if (g->color[v] == 0) {
            dfs(c, g, v);
        }
    }
    g->depth--;
    g->color[u] = 2;
}

static void check_graph(struct pctx *c)
{
    struct df_map *nodes = &c->pl->nodes;
    size_t n = nodes->count;
    struct graph g = {.n = n};
    g.adj = df_arena_alloc(&c->cfg->arena, n * n + 1);
    g.color = df_arena_alloc(&c->cfg->arena, n + 1);
    g.stack = df_arena_alloc(&c->cfg->arena, sizeof(int) * (n + 1));
    bool *in = df_arena_alloc(&c->cfg->arena, n + 1), *out = df_arena_alloc(&c->cfg->arena, n + 1);
    if (!g.adj || !g.color || !g.stack || !in || !out) {
        df_diags_add(c->d, NULL, c->path, "out of memory");
        return;
    }
    size_t before = df_diags_total(c->d);
    for (size_t i = 0; i < c->pl->connections.count; i++) {
        struct df_connection_cfg *cn = DF_LIST_AT(c->pl->connections, struct df_connection_cfg, i);
        char path[PATHLEN];
        snprintf(path, sizeof path, "%s.connections[%zu]", c->path, i);
        const char *const *to = cn->to.items;
        if (cn->policies.dispatch == DF_DISPATCH_BROADCAST && cn->to.count > 1) {
            df_diags_add(c->d, &cn->src->mark, path,
                         "dispatch: broadcast to several destinations is not supported yet");
            df_diags_hint(c->d, "use one_of, or one connection per destination");
        }
        int dst[1024];
        for (size_t k = 0; k < cn->to.count; k++) {
            const struct df_value *tv =
                cn->to.src->kind == DF_VALUE_SEQ ? cn->to.src->u.seq.items[k] : cn->to.src;
            char p[PATHLEN];
            snprintf(p, sizeof p, "%s.to", path);
            dst[k] = find_node(nodes, to[k], strlen(to[k]));
            if (dst[k] < 0) {
                df_diags_add(c->d, &tv->mark, p, "unknown node '%s'", to[k]);
                const char *near = df_suggest(to[k], nodes->keys, n);
                if (near)
                    df_diags_hint(c->d, "did you mean '%s'?", near);
                continue;
            }
            const struct df_node_cfg *dn = DF_MAP_AT(*nodes, struct df_node_cfg, dst[k]);
            if (dn->urn.kind == DF_URN_RECEIVER && dn->urn.canonical[0]) {
                df_diags_add(c->d, &tv->mark, p,
                             "'%s' is a receiver and cannot be a connection destination", to[k]);
                dst[k] = -1;
            }
        }
        const char *const *from = cn->from.items;
        for (size_t k = 0; k < cn->from.count; k++) {
            const struct df_value *fv =
                cn->from.src->kind == DF_VALUE_SEQ ? cn->from.src->u.seq.items[k] : cn->from.src;
            char p[PATHLEN], err[256];
            snprintf(p, sizeof p, "%s.from", path);
            const char *node, *port;
            size_t node_len, port_len;
            if (df_config_selector(from[k], &node, &node_len, &port, &port_len, err, sizeof err)) {
                df_diags_add(c->d, &fv->mark, p, "%s", err);
                continue;
            }
            int s = find_node(nodes, node, node_len);
            if (s < 0) {
                df_diags_add(c->d, &fv->mark, p, "unknown node '%.*s'", (int)node_len, node);
                char tmp[128];
                snprintf(tmp, sizeof tmp, "%.*s", (int)node_len, node);
                const char *near = df_suggest(tmp, nodes->keys, n);
                if (near)
                    df_diags_hint(c->d, "did you mean '%s'?", near);
                continue;
            }
            const struct df_node_cfg *sn = DF_MAP_AT(*nodes, struct df_node_cfg, s);
            if (sn->urn.kind == DF_URN_EXPORTER && sn->urn.canonical[0]) {
                df_diags_add(c->d, &fv->mark, p,
                             "'%s' is an exporter and cannot be a connection source", sn->id);
                continue;
            }
            bool implicit = !port;
            if (!port && (sn->outputs.count || sn->default_output)) {
                /* No selector: the node's default port. */
                port = sn->default_output ? sn->default_output : "default";
                port_len = strlen(port);
            }
            if (port && !port_declared(sn, port, port_len)) {
                df_diags_add(c->d, &fv->mark, p, "node '%s' has no output port '%.*s'", sn->id,
                             (int)port_len, port);
                if (sn->outputs.count && implicit)
                    df_diags_hint(c->d,
                                  "select a declared port, like %s[\"%s\"], or set %s's "
                                  "default_output",
                                  sn->id, ((const char **)sn->outputs.items)[0], sn->id);
                else if (sn->outputs.count)
                    df_diags_hint(c->d, "its ports are declared in %s.nodes.%s.outputs", c->path,
                                  sn->id);
                else
                    df_diags_hint(c->d, "declare it: outputs: [\"%.*s\"]", (int)port_len, port);
                continue;
            }
            for (size_t t = 0; t < cn->to.count; t++) {
                if (dst[t] < 0)
                    continue;
                g.adj[(size_t)s * n + (size_t)dst[t]] = 1;
                out[s] = true;
                in[dst[t]] = true;
            }
        }
    }
    if (df_diags_total(c->d) != before)
        return; /* the graph is incomplete: cycles and reachability would mislead */
    for (size_t u = 0; u < n; u++) {
        if (g.color[u] == 0)
            dfs(c, &g, u);
    }
    for (size_t u = 0; u < n; u++) {
        const struct df_node_cfg *nd = DF_MAP_AT(*nodes, struct df_node_cfg, u);
        if (!nd->urn.canonical[0])
            continue;
        const char *what = NULL;
        if (nd->urn.kind == DF_URN_RECEIVER && !out[u])
            what = "receiver '%s' sends to nothing";
        else if (nd->urn.kind == DF_URN_EXPORTER && !in[u])
            what = "exporter '%s' receives from nothing";
        else if (nd->urn.kind == DF_URN_PROCESSOR && (!in[u] || !out[u]))
            what =
                !in[u] ? "processor '%s' receives from nothing" : "processor '%s' sends to nothing";
        if (what) {
            char p[PATHLEN];
            snprintf(p, sizeof p, "%s.nodes.%s", c->path, nd->id);
            df_diags_add(c->d, entry_key_mark(nodes, u), p, what, nd->id);
            df_diags_hint(c->d, "connect it in %s.connections or remove it", c->path);
        }
    }
}

int df_config_validate(struct df_config *cfg, struct df_diags *d)
{
    size_t before = df_diags_total(d);
    size_t npipelines = 0;
    for (size_t gi = 0; gi < cfg->groups.count; gi++) {
        struct df_group_cfg *g = DF_MAP_AT(cfg->groups, struct df_group_cfg, gi);
        for (size_t pi = 0; pi < g->pipelines.count; pi++) {
            struct df_pipeline_cfg *pl = DF_MAP_AT(g->pipelines, struct df_pipeline_cfg, pi);
            char path[PATHLEN];
            snprintf(path, sizeof path, "groups.%s.pipelines.%s", cfg->groups.keys[gi],
                     g->pipelines.keys[pi]);
            struct pctx c = {.cfg = cfg, .pl = pl, .path = path, .d = d};
            npipelines++;
            resolve_policies(cfg, g, pl);
            if (pl->nodes.count == 0) {
                df_diags_add(d, pl->src ? &pl->src->mark : NULL, path, "pipeline has no nodes");
                df_diags_hint(d, "add a receiver and an exporter under nodes:");
                continue;
            }
            resolve_extensions(&c);
            resolve_nodes(&c);
            check_unbound(&c);
            check_graph(&c);
        }
    }
    if (npipelines == 0) {
        const struct df_value *groups = df_value_get(cfg->root, "groups");
        df_diags_add(d, groups ? &groups->mark : &cfg->root->mark, "groups",
                     "the config declares no pipeline");
        df_diags_hint(d, "add groups.<group>.pipelines.<pipeline> with nodes and connections");
    }
    return df_diags_total(d) == before ? 0 : DF_EINVAL;
}
