/* The link-time component registry (registry/registry.h). */
#include "registry/registry.h"

#include <string.h>

#include "config/urn.h"

/* Linker-provided bounds of each section; weak so an empty section links. */
extern const struct df_node_desc *const __start_df_nodes[] __attribute__((weak));
extern const struct df_node_desc *const __stop_df_nodes[] __attribute__((weak));
extern const struct df_extension_desc *const __start_df_extensions[] __attribute__((weak));
extern const struct df_extension_desc *const __stop_df_extensions[] __attribute__((weak));
extern const struct df_capability_desc *const __start_df_capabilities[] __attribute__((weak));
extern const struct df_capability_desc *const __stop_df_capabilities[] __attribute__((weak));

size_t df_registry_nodes(const struct df_node_desc *const **out)
{
    *out = __start_df_nodes;
    return __start_df_nodes ? (size_t)(__stop_df_nodes - __start_df_nodes) : 0;
}

size_t df_registry_extensions(const struct df_extension_desc *const **out)
{
    *out = __start_df_extensions;
    return __start_df_extensions ? (size_t)(__stop_df_extensions - __start_df_extensions) : 0;
}

size_t df_registry_capabilities(const struct df_capability_desc *const **out)
{
    *out = __start_df_capabilities;
    return __start_df_capabilities ? (size_t)(__stop_df_capabilities - __start_df_capabilities) : 0;
}

bool df_registry_list_has(const char *const *list, const char *name)
{
    for (; list && *list; list++) {
        if (!strcmp(*list, name))
            return true;
    }
    return false;
}

const struct df_node_desc *df_registry_find_node(const char *urn)
{
    const struct df_node_desc *const *v;
    size_t n = df_registry_nodes(&v);
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(v[i]->urn, urn))
            return v[i];
    }
    return NULL;
}

const struct df_extension_desc *df_registry_find_extension(const char *urn)
{
    const struct df_extension_desc *const *v;
    size_t n = df_registry_extensions(&v);
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(v[i]->urn, urn))
            return v[i];
    }
    return NULL;
}

const struct df_capability_desc *df_registry_find_capability(const char *name)
{
    const struct df_capability_desc *const *v;
    size_t n = df_registry_capabilities(&v);
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(v[i]->name, name))
            return v[i];
    }
    return NULL;
}

static void check_urn(struct df_diags *d, const char *urn, unsigned accepted, int want_kind,
                      const char *file, int line)
{
    struct df_urn u;
    char err[256], hint[128];
    struct df_mark m = {.file = file, .line = (uint32_t)line};
    if (df_urn_parse(urn, accepted, &u, err, sizeof err, hint, sizeof hint)) {
        df_diags_add(d, &m, NULL, "registered component: %s", err);
    } else if (strcmp(u.canonical, urn)) {
        df_diags_add(d, &m, NULL, "registered URN '%s' is not canonical (expected '%s')", urn,
                     u.canonical);
    } else if (want_kind >= 0 && (int)u.kind != want_kind) {
        df_diags_add(d, &m, NULL, "registered URN '%s' does not match its declared kind %s", urn,
                     df_urn_kind_name((enum df_urn_kind)want_kind));
    }
}

static void check_caps(struct df_diags *d, const char *urn, const char *const *caps,
                       const char *file, int line)
{
    struct df_mark m = {.file = file, .line = (uint32_t)line};
    for (; caps && *caps; caps++) {
        if (!df_registry_find_capability(*caps))
            df_diags_add(d, &m, NULL, "'%s' names capability '%s', which is not registered", urn,
                         *caps);
    }
}

static void duplicate(struct df_diags *d, const char *what, const char *name, const char *file1,
                      int line1, const char *file2, int line2)
{
    struct df_mark m = {.file = file2, .line = (uint32_t)line2};
    df_diags_add(d, &m, NULL, "duplicate %s '%s' (also defined at %s:%d)", what, name, file1,
                 line1);
}

int df_registry_check(struct df_diags *d)
{
    size_t before = df_diags_total(d);
    const struct df_capability_desc *const *caps;
    size_t ncaps = df_registry_capabilities(&caps);
    for (size_t i = 0; i < ncaps; i++) {
        for (size_t j = 0; j < i; j++) {
            if (!strcmp(caps[i]->name, caps[j]->name))
                duplicate(d, "capability", caps[i]->name, caps[j]->def_file, caps[j]->def_line,
                          caps[i]->def_file, caps[i]->def_line);
        }
    }
    const struct df_node_desc *const *nodes;
    size_t nnodes = df_registry_nodes(&nodes);
    for (size_t i = 0; i < nnodes; i++) {
        const struct df_node_desc *n = nodes[i];
        check_urn(d, n->urn, DF_URN_NODE_KINDS, (int)n->kind, n->def_file, n->def_line);
        check_caps(d, n->urn, n->consumes, n->def_file, n->def_line);
        for (size_t j = 0; j < i; j++) {
            if (!strcmp(n->urn, nodes[j]->urn))
                duplicate(d, "node type", n->urn, nodes[j]->def_file, nodes[j]->def_line,
                          n->def_file, n->def_line);
        }
    }
    const struct df_extension_desc *const *exts;
    size_t nexts = df_registry_extensions(&exts);
    for (size_t i = 0; i < nexts; i++) {
        const struct df_extension_desc *e = exts[i];
        check_urn(d, e->urn, DF_URN_EXTENSION_KINDS, DF_URN_EXTENSION, e->def_file, e->def_line);
        struct df_mark m = {.file = e->def_file, .line = (uint32_t)e->def_line};
        for (const struct df_ext_capability *c = e->capabilities; c && c->name; c++) {
            const struct df_capability_desc *cd = df_registry_find_capability(c->name);
            if (!cd)
                df_diags_add(d, &m, NULL, "'%s' names capability '%s', which is not registered",
                             e->urn, c->name);
            else if (c->version < 1 || c->version > cd->version || !c->ops)
                df_diags_add(d, &m, NULL,
                             "'%s' implements capability '%s' version %u without an ops table or "
                             "beyond the registered version %u",
                             e->urn, c->name, (unsigned)c->version, (unsigned)cd->version);
        }
        bool has_caps = e->capabilities && e->capabilities[0].name;
        if (e->lifecycle == DF_LIFECYCLE_BACKGROUND && has_caps)
            df_diags_add(d, &m, NULL, "'%s' is a background extension but lists capabilities",
                         e->urn);
        if (e->lifecycle != DF_LIFECYCLE_BACKGROUND && !has_caps)
            df_diags_add(d, &m, NULL, "'%s' is %s but implements no capability", e->urn,
                         df_lifecycle_name(e->lifecycle));
        for (size_t j = 0; j < i; j++) {
            if (!strcmp(e->urn, exts[j]->urn))
                duplicate(d, "extension provider", e->urn, exts[j]->def_file, exts[j]->def_line,
                          e->def_file, e->def_line);
        }
    }
    return df_diags_total(d) == before ? 0 : DF_EINVAL;
}

const struct df_ext_capability *df_extension_capability(const struct df_extension_desc *d,
                                                        const char *name)
{
    for (const struct df_ext_capability *c = d ? d->capabilities : NULL; c && c->name; c++) {
        if (!strcmp(c->name, name))
            return c;
    }
    return NULL;
}
