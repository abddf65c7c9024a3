/* config/model.h — the otel_dataflow/v1 config model.
 *
 *   version: otel_dataflow/v1
 *   policies: {channel_capacity, resources}        top-level defaults
 *   engine: {http_admin: {bind_address}, telemetry: {logs: {level}, ...}}
 *   groups:
 *     <group>:
 *       policies: {...}                            overrides top-level
 *       pipelines:
 *         <pipeline>:
 *           type: otap | otlp
 *           policies: {...}                        overrides group
 *           nodes: {<id>: {type, description, config, outputs,
 *                          default_output, capabilities: {<cap>: <ext>}}}
 *           extensions: {<id>: {type, description, config}}
 *           connections: [{from: a | [a, b["port"]], to: c | [c, d],
 *                          policies: {dispatch: one_of | broadcast}}]
 *
 * df_config_load reads a file, checks its shape with option tables
 * (config/model.c), then resolves and validates it (config/validate.c):
 * component types against the registry, each node's and extension's
 * `config:` against its option table, capability bindings, the connection
 * graph, and policies. Every problem is collected in one df_diags with
 * file:line:col and the config path. A loaded config is immutable, owned by
 * its arena, and used from the main thread (the runtime copies what a core
 * needs). */
#ifndef DF_CONFIG_MODEL_H
#define DF_CONFIG_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "config/urn.h"
#include "df/arena.h"
#include "df/error.h"
#include "df/extension.h"
#include "df/log.h"
#include "df/node.h"
#include "df/options.h"

#define DF_CONFIG_VERSION "otel_dataflow/v1"

struct df_channel_capacity {
    struct {
        int64_t node, pipeline, completion;
    } control;
    int64_t pdata;
};

enum df_core_strategy { DF_CORES_ALL, DF_CORES_COUNT, DF_CORES_SET };

struct df_core_range {
    int64_t start, end; /* inclusive */
};

struct df_core_allocation {
    int strategy;      /* enum df_core_strategy */
    bool has_strategy; /* written as `strategy:` */
    bool has_type;     /* written as `type:` (the Rust engine's alias) */
    int64_t count;     /* core_count: 0 = every available core */
    bool has_count;
    struct df_list set; /* core_set: struct df_core_range items */
};

struct df_resources_policy {
    struct df_core_allocation *core_allocation; /* NULL = inherit */
};

/* Policies as declared at one scope; NULL members inherit. */
struct df_policies {
    struct df_channel_capacity *channel_capacity;
    struct df_resources_policy *resources;
};

/* Policies after pipeline -> group -> top-level -> built-in resolution: the
 * nearest scope declaring a policy wins, whole. */
enum df_policy_scope { DF_SCOPE_PIPELINE, DF_SCOPE_GROUP, DF_SCOPE_TOP, DF_SCOPE_BUILTIN };

struct df_resolved_policies {
    struct df_channel_capacity channel_capacity;
    struct df_core_allocation core_allocation;
    int core_allocation_scope; /* enum df_policy_scope it came from */
};

struct df_node_cfg {
    const char *type;
    const char *description;
    const struct df_value *config;
    struct df_list outputs; /* const char * */
    const char *default_output;
    struct df_map capabilities; /* const char * extension instance names */
    const struct df_value *src;
    /* Resolved by validation. */
    const char *id;
    struct df_urn urn;
    const struct df_node_desc *desc; /* NULL when the type is unknown */
    void *options;                   /* parsed `config:` (desc->options), or NULL */
};

struct df_extension_cfg {
    const char *type;
    const char *description;
    const struct df_value *config;
    /* Node-only keys, accepted by the shape only to be rejected with a
     * message that says why (an extension neither binds nor has outputs). */
    const struct df_value *capabilities, *outputs, *default_output;
    const struct df_value *src;
    /* Resolved by validation. */
    const char *id;
    struct df_urn urn;
    const struct df_extension_desc *desc;
    void *options;
};

enum df_dispatch { DF_DISPATCH_ONE_OF, DF_DISPATCH_BROADCAST };

struct df_connection_policies {
    int dispatch; /* enum df_dispatch */
};

struct df_connection_cfg {
    struct df_list from; /* const char * selectors: node or node["port"] */
    struct df_list to;   /* const char * node ids */
    struct df_connection_policies policies;
    const struct df_value *src;
};

enum df_pipeline_type { DF_PIPELINE_OTAP, DF_PIPELINE_OTLP };

struct df_pipeline_cfg {
    int type; /* enum df_pipeline_type */
    struct df_policies policies;
    struct df_map nodes;        /* struct df_node_cfg */
    struct df_map extensions;   /* struct df_extension_cfg */
    struct df_list connections; /* struct df_connection_cfg */
    const struct df_value *src;
    /* Resolved by validation. */
    struct df_resolved_policies resolved;
};

struct df_group_cfg {
    struct df_policies policies;
    struct df_map pipelines; /* struct df_pipeline_cfg */
    const struct df_value *src;
};

struct df_engine_cfg {
    struct {
        struct df_sockaddr bind_address;
    } http_admin;
    struct {
        struct {
            int level; /* enum df_log_level */
        } logs;
        uint64_t reporting_interval; /* ns */
        struct df_map resource;      /* const struct df_value * scalars */
    } telemetry;
};

struct df_config {
    const char *file;
    const char *version;
    struct df_policies policies;
    struct df_engine_cfg engine;
    struct df_map groups; /* struct df_group_cfg */
    const struct df_value *root;
    struct df_arena arena; /* owns everything above */
};

/* Loads, resolves and validates a config. `name` labels marks; `buf`/`len`
 * hold the text. Returns a config (free with df_config_free) or NULL after
 * adding diagnostics to `d`. */
struct df_config *df_config_parse(const char *name, const char *buf, size_t len,
                                  struct df_diags *d);

/* Reads the file at `path` and parses it as above. */
struct df_config *df_config_load(const char *path, struct df_diags *d);

void df_config_free(struct df_config *cfg);

/* Validation (config/validate.c): resolves types, options, bindings,
 * connections and policies of a shape-checked config. Returns 0 or DF_EINVAL. */
int df_config_validate(struct df_config *cfg, struct df_diags *d);

/* Splits a connection source `node["port"]` (or node['port'], or plain
 * node) into spans of `s`: node, and port (NULL for the node's default).
 * Returns 0, or DF_EINVAL with a message in `err`. */
int df_config_selector(const char *s, const char **node, size_t *node_len, const char **port,
                       size_t *port_len, char *err, size_t errlen);

/* The embedded default config (src/config/default.yaml), NUL-terminated. */
extern const char df_default_config[];
extern const unsigned long df_default_config_len;

#endif
