/* Capability claims (df_capability_require / _optional, df/capability.h):
 * a node's binding `capabilities: {<cap>: <extension>}` resolved, once, into
 * a handle {ops, binding} while the node is created. Static validation has
 * already checked the binding against the registry; what is checked here is
 * what only the running node knows: that it asks, when, how often, and for
 * which version. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "registry/registry.h"
#include "runtime/runtime.h"

static const char *bound_instance(const struct df_node *n, const char *cap)
{
    const struct df_map *m = &n->cfg->capabilities;
    for (size_t i = 0; i < m->count; i++) {
        if (!strcmp(m->keys[i], cap))
            return *DF_MAP_AT(*m, const char *, i);
    }
    return NULL;
}

static int refuse(struct df_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int refuse(struct df_error *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    err->code = code;
    return code;
}

static int claim(struct df_node *n, const char *name, uint32_t min_version, struct df_cap *h,
                 bool optional, struct df_error *err)
{
    struct df_core_pipeline *pl = n->pl;
    *h = (struct df_cap){0};
    if (!pl->creating)
        return refuse(err, DF_EINVAL, "node '%s' claimed capability '%s' outside its create hook",
                      n->id, name);
    if (!df_registry_list_has(n->desc->consumes, name))
        return refuse(err, DF_EINVAL,
                      "node type %s does not declare capability '%s' in its consumes list",
                      n->desc->urn, name);
    for (uint32_t i = 0; i < n->ncaps; i++) {
        if (!strcmp(n->caps[i].name, name))
            return refuse(err, DF_EEXIST, "node '%s' claimed capability '%s' twice", n->id, name);
    }
    const char *inst = bound_instance(n, name);
    if (!inst) {
        if (optional)
            return 0;
        return refuse(err, DF_ENOENT,
                      "node '%s' needs capability '%s': bind an extension that provides it with "
                      "`capabilities: {%s: <extension>}`",
                      n->id, name, name);
    }
    struct df_extension *x = df_ext_set_find(&pl->exts, inst);
    bool shared = false;
    if (!x && (x = df_ext_set_find(pl->shared, inst)))
        shared = true;
    if (!x)
        return refuse(err, DF_ENOENT,
                      "node '%s': extension '%s' bound to capability '%s' is not running", n->id,
                      inst, name);
    const struct df_ext_capability *c = df_extension_capability(x->desc, name);
    if (!c)
        return refuse(err, DF_EINVAL,
                      "node '%s': extension '%s' (%s) does not provide capability '%s'", n->id,
                      inst, x->desc->urn, name);
    if (c->version < min_version)
        return refuse(err, DF_ERANGE,
                      "node '%s' needs capability '%s' version %u; extension '%s' (%s) implements "
                      "version %u",
                      n->id, name, (unsigned)min_version, inst, x->desc->urn, (unsigned)c->version);
    if (n->ncaps == DF_NODE_CAPS_MAX)
        return refuse(err, DF_ERANGE, "node '%s' claims more than %d capabilities", n->id,
                      DF_NODE_CAPS_MAX);
    struct df_node_cap *nc = &n->caps[n->ncaps++];
    *nc = (struct df_node_cap){.name = c->name, .ext = x};
    nc->b.self = shared ? df_ext_self(x, pl->slot) : x->state;
    *h = (struct df_cap){.ops = c->ops, .b = &nc->b};
    return 0;
}

int df_capability_require(struct df_node *node, const char *name, uint32_t min_version,
                          struct df_cap *h, struct df_error *err)
{
    return claim(node, name, min_version, h, false, err);
}

int df_capability_optional(struct df_node *node, const char *name, uint32_t min_version,
                           struct df_cap *h, struct df_error *err)
{
    return claim(node, name, min_version, h, true, err);
}
