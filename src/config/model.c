/* The otel_dataflow/v1 config model as option tables (config/model.h).
 *
 * The shape of the whole file is declared with the same option tables that
 * nodes use for their `config:`, so the generic walker gives every part of
 * the file the same strictness and messages. Defaults mirror the Rust
 * engine (rust/otap-dataflow/crates/config). */
#include "config/model.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "config/load.h"

#define OFF(type, field)     offsetof(type, field)
#define PRESENT(type, field) (offsetof(type, field) + 1)

/* ---- policies ------------------------------------------------------------ */

typedef __typeof__(((struct df_channel_capacity *)0)->control) control_capacity_cfg;

static const struct df_option control_capacity_opts[] = {
    {.name = "node",
     .type = DF_OPT_INT,
     .flags = DF_OPT_BOUNDED,
     .min = 1,
     .max = 1 << 20,
     .offset = OFF(control_capacity_cfg, node),
     .def = "256",
     .desc = "capacity of each node's control channel"},
    {.name = "pipeline",
     .type = DF_OPT_INT,
     .flags = DF_OPT_BOUNDED,
     .min = 1,
     .max = 1 << 20,
     .offset = OFF(control_capacity_cfg, pipeline),
     .def = "256",
     .desc = "capacity of the pipeline's orchestration control channel"},
    {.name = "completion",
     .type = DF_OPT_INT,
     .flags = DF_OPT_BOUNDED,
     .min = 1,
     .max = 1 << 20,
     .offset = OFF(control_capacity_cfg, completion),
     .def = "512",
     .desc = "capacity of the Ack/Nack completion channel"},
};

static const struct df_option_table control_capacity_table =
    DF_OPTION_TABLE(control_capacity_cfg, control_capacity_opts, "Control channel capacities.");

static const struct df_option channel_capacity_opts[] = {
    {.name = "control",
     .type = DF_OPT_TABLE,
     .table = &control_capacity_table,
     .offset = OFF(struct df_channel_capacity, control),
     .desc = "control channel capacities"},
    {.name = "pdata",
     .type = DF_OPT_INT,
     .flags = DF_OPT_BOUNDED,
     .min = 1,
     .max = 1 << 20,
     .offset = OFF(struct df_channel_capacity, pdata),
     .def = "128",
     .desc = "capacity of each pdata edge queue, in messages"},
};

static const struct df_option_table channel_capacity_table = DF_OPTION_TABLE(
    struct df_channel_capacity, channel_capacity_opts, "Bounded channel capacities.");

static const char *const core_strategies[] = {"all_cores", "core_count", "core_set", NULL};

static const struct df_option core_range_opts[] = {
    {.name = "start",
     .type = DF_OPT_INT,
     .flags = DF_OPT_REQUIRED | DF_OPT_BOUNDED,
     .min = 0,
     .max = 4095,
     .offset = OFF(struct df_core_range, start),
     .desc = "first core id (inclusive)"},
    {.name = "end",
     .type = DF_OPT_INT,
     .flags = DF_OPT_REQUIRED | DF_OPT_BOUNDED,
     .min = 0,
     .max = 4095,
     .offset = OFF(struct df_core_range, end),
     .desc = "last core id (inclusive)"},
};

static int check_core_range(void *obj, const struct df_value *src, const char *path,
                            struct df_diags *d)
{
    const struct df_core_range *r = obj;
    if (r->start > r->end) {
        df_diags_add(d, &src->mark, path, "core range start %lld is after end %lld",
                     (long long)r->start, (long long)r->end);
        return DF_EINVAL;
    }
    return 0;
}

static const struct df_option_table core_range_table = {
    .name = "core_range",
    .size = sizeof(struct df_core_range),
    .options = core_range_opts,
    .count = DF_COUNTOF(core_range_opts),
    .check = check_core_range,
    .desc = "An inclusive range of core ids.",
};

static const struct df_option core_range_elem = {.type = DF_OPT_TABLE, .table = &core_range_table};

static const struct df_option core_allocation_opts[] = {
    {.name = "strategy",
     .type = DF_OPT_ENUM,
     .enums = core_strategies,
     .offset = OFF(struct df_core_allocation, strategy),
     .present = PRESENT(struct df_core_allocation, has_strategy),
     .def = "all_cores",
     .desc = "all_cores, core_count (with count) or core_set (with set)"},
    {.name = "type",
     .type = DF_OPT_ENUM,
     .enums = core_strategies,
     .offset = OFF(struct df_core_allocation, strategy),
     .present = PRESENT(struct df_core_allocation, has_type),
     .desc = "alias of strategy, as the Rust engine accepts"},
    {.name = "count",
     .type = DF_OPT_INT,
     .flags = DF_OPT_BOUNDED,
     .min = 0,
     .max = 4096,
     .offset = OFF(struct df_core_allocation, count),
     .present = PRESENT(struct df_core_allocation, has_count),
     .desc = "core_count: number of cores (0 = all available)"},
    {.name = "set",
     .type = DF_OPT_LIST,
     .elem = &core_range_elem,
     .flags = DF_OPT_BOUNDED,
     .min = 1,
     .max = 4096,
     .offset = OFF(struct df_core_allocation, set),
     .desc = "core_set: list of {start, end} ranges"},
};

static int check_core_allocation(void *obj, const struct df_value *src, const char *path,
                                 struct df_diags *d)
{
    struct df_core_allocation *c = obj;
    const struct df_mark *m = src ? &src->mark : NULL;
    int rc = 0;
    if (c->has_strategy && c->has_type) {
        df_diags_add(d, m, path, "both 'strategy' and its alias 'type' are set");
        df_diags_hint(d, "keep only 'strategy'");
        return DF_EINVAL;
    }
    if (c->strategy == DF_CORES_COUNT && !c->has_count) {
        df_diags_add(d, m, path, "core_count needs 'count'");
        rc = DF_EINVAL;
    }
    if (c->strategy != DF_CORES_COUNT && c->has_count) {
        df_diags_add(d, m, path, "'count' is only valid with strategy core_count");
        rc = DF_EINVAL;
    }
    if (c->strategy == DF_CORES_SET && c->set.count == 0) {
        df_diags_add(d, m, path, "core_set needs a non-empty 'set'");
        df_diags_hint(d, "set: [{start: 0, end: 1}]");
        rc = DF_EINVAL;
    }
    const struct df_core_range *r = c->set.items;
    for (size_t i = 0; i < c->set.count; i++) {
        for (size_t j = 0; j < i; j++) {
            if (r[i].start <= r[j].end && r[j].start <= r[i].end) {
                df_diags_add(d, &c->set.src->u.seq.items[i]->mark, path,
                             "core range %lld-%lld overlaps %lld-%lld", (long long)r[i].start,
                             (long long)r[i].end, (long long)r[j].start, (long long)r[j].end);
                rc = DF_EINVAL;
            }
        }
    }
    if (c->strategy != DF_CORES_SET && c->set.count) {
        df_diags_add(d, m, path, "'set' is only valid with strategy core_set");
        rc = DF_EINVAL;
    }
    return rc;
}

static const struct df_option_table core_allocation_table = {
    .name = "core_allocation",
    .size = sizeof(struct df_core_allocation),
    .options = core_allocation_opts,
    .count = DF_COUNTOF(core_allocation_opts),
    .check = check_core_allocation,
    .desc = "Which cores run the pipeline.",
};

static const struct df_option resources_opts[] = {
    {.name = "core_allocation",
     .type = DF_OPT_TABLE,
     .flags = DF_OPT_BYREF,
     .table = &core_allocation_table,
     .offset = OFF(struct df_resources_policy, core_allocation),
     .desc = "CPU core allocation"},
};

static const struct df_option_table resources_table =
    DF_OPTION_TABLE(struct df_resources_policy, resources_opts, "Resource policies.");

static const struct df_option policies_opts[] = {
    {.name = "channel_capacity",
     .type = DF_OPT_TABLE,
     .flags = DF_OPT_BYREF,
     .table = &channel_capacity_table,
     .offset = OFF(struct df_policies, channel_capacity),
     .desc = "channel capacities"},
    {.name = "resources",
     .type = DF_OPT_TABLE,
     .flags = DF_OPT_BYREF,
     .table = &resources_table,
     .offset = OFF(struct df_policies, resources),
     .desc = "resource policies"},
};

static const struct df_option_table policies_table =
    DF_OPTION_TABLE(struct df_policies, policies_opts, "Policies of one scope.");

/* ---- nodes, extensions, connections --------------------------------------- */

static const struct df_option string_elem = {.type = DF_OPT_STRING};

static const struct df_option node_opts[] = {
    {.name = "type",
     .type = DF_OPT_STRING,
     .flags = DF_OPT_REQUIRED,
     .offset = OFF(struct df_node_cfg, type),
     .desc = "node type URN, e.g. receiver:otlp"},
    {.name = "description",
     .type = DF_OPT_STRING,
     .offset = OFF(struct df_node_cfg, description),
     .desc = "free text"},
    {.name = "config",
     .type = DF_OPT_ANY,
     .offset = OFF(struct df_node_cfg, config),
     .desc = "the node type's options"},
    {.name = "outputs",
     .type = DF_OPT_LIST,
     .elem = &string_elem,
     .offset = OFF(struct df_node_cfg, outputs),
     .desc = "named output ports"},
    {.name = "default_output",
     .type = DF_OPT_STRING,
     .offset = OFF(struct df_node_cfg, default_output),
     .desc = "output port used when none is selected"},
    {.name = "capabilities",
     .type = DF_OPT_MAP,
     .elem = &string_elem,
     .offset = OFF(struct df_node_cfg, capabilities),
     .desc = "capability -> extension instance bindings"},
};

static const struct df_option_table node_table = {
    .name = "node",
    .size = sizeof(struct df_node_cfg),
    .options = node_opts,
    .count = DF_COUNTOF(node_opts),
    .src = PRESENT(struct df_node_cfg, src),
    .desc = "A receiver, processor or exporter.",
};

static const struct df_option extension_opts[] = {
    {.name = "type",
     .type = DF_OPT_STRING,
     .flags = DF_OPT_REQUIRED,
     .offset = OFF(struct df_extension_cfg, type),
     .desc = "extension provider URN, e.g. extension:basic_auth"},
    {.name = "description",
     .type = DF_OPT_STRING,
     .offset = OFF(struct df_extension_cfg, description),
     .desc = "free text"},
    {.name = "config",
     .type = DF_OPT_ANY,
     .offset = OFF(struct df_extension_cfg, config),
     .desc = "the provider's options"},
    /* Node keys: present only so that check_extension can say why they are
     * wrong here, rather than the walker's "unknown key". */
    {.name = "capabilities",
     .type = DF_OPT_ANY,
     .offset = OFF(struct df_extension_cfg, capabilities),
     .desc = "not valid here: only nodes bind capabilities"},
    {.name = "outputs",
     .type = DF_OPT_ANY,
     .offset = OFF(struct df_extension_cfg, outputs),
     .desc = "not valid here: only nodes have outputs"},
    {.name = "default_output",
     .type = DF_OPT_ANY,
     .offset = OFF(struct df_extension_cfg, default_output),
     .desc = "not valid here: only nodes have outputs"},
};

/* Rejects the node keys an extension declaration carries. A node binds an
 * instance (`capabilities: {<capability>: <extension>}`); the instance
 * itself binds nothing and has no ports. */
static int check_extension(void *obj, const struct df_value *src, const char *path,
                           struct df_diags *d)
{
    const struct df_extension_cfg *e = obj;
    if (!src || src->kind != DF_VALUE_MAP)
        return 0;
    /* The id is what follows `.extensions.` in the path (it may hold dots). */
    const char *id = path;
    for (const char *at = path; (at = strstr(at, ".extensions.")); at++)
        id = at + strlen(".extensions.");
    int rc = 0;
    for (size_t i = 0; i < src->u.map.count; i++) {
        const struct df_value_entry *ent = &src->u.map.entries[i];
        bool caps = !strcmp(ent->key, "capabilities");
        if (!caps && strcmp(ent->key, "outputs") && strcmp(ent->key, "default_output"))
            continue;
        char p[DF_ERROR_PATH_MAX];
        snprintf(p, sizeof p, "%s.%s", path, ent->key);
        df_diags_add(d, &ent->key_mark, p,
                     "extension '%s' has '%s': extensions do not bind capabilities or have "
                     "outputs; only nodes do",
                     id, ent->key);
        const struct df_value *v = e->capabilities;
        if (caps && v && v->kind == DF_VALUE_MAP && v->u.map.count)
            df_diags_hint(d, "remove it; a node that calls '%s' binds it: capabilities: {%s: %s}",
                          id, v->u.map.entries[0].key, id);
        else if (caps)
            df_diags_hint(d,
                          "remove it; a node that calls '%s' binds it: capabilities: "
                          "{<capability>: %s}",
                          id, id);
        else
            df_diags_hint(d, "remove it; output ports are declared on nodes");
        rc = DF_EINVAL;
    }
    return rc;
}

static const struct df_option_table extension_table = {
    .name = "extension",
    .size = sizeof(struct df_extension_cfg),
    .options = extension_opts,
    .count = DF_COUNTOF(extension_opts),
    .src = PRESENT(struct df_extension_cfg, src),
    .check = check_extension,
    .desc = "An extension instance.",
};

static const char *const dispatch_names[] = {"one_of", "broadcast", NULL};

static const struct df_option connection_policies_opts[] = {
    {.name = "dispatch",
     .type = DF_OPT_ENUM,
     .enums = dispatch_names,
     .def = "one_of",
     .offset = OFF(struct df_connection_policies, dispatch),
     .desc = "one_of: each message goes to one destination; broadcast: to every one"},
};

static const struct df_option_table connection_policies_table = DF_OPTION_TABLE(
    struct df_connection_policies, connection_policies_opts, "Connection policies.");

static const struct df_option connection_opts[] = {
    {.name = "from",
     .type = DF_OPT_LIST,
     .elem = &string_elem,
     .flags = DF_OPT_REQUIRED | DF_OPT_ONE_OR_MANY | DF_OPT_BOUNDED,
     .min = 1,
     .max = 1024,
     .offset = OFF(struct df_connection_cfg, from),
     .desc = "source node(s): id or id[\"port\"]"},
    {.name = "to",
     .type = DF_OPT_LIST,
     .elem = &string_elem,
     .flags = DF_OPT_REQUIRED | DF_OPT_ONE_OR_MANY | DF_OPT_BOUNDED,
     .min = 1,
     .max = 1024,
     .offset = OFF(struct df_connection_cfg, to),
     .desc = "destination node(s)"},
    {.name = "policies",
     .type = DF_OPT_TABLE,
     .table = &connection_policies_table,
     .offset = OFF(struct df_connection_cfg, policies),
     .desc = "connection policies"},
};

static const struct df_option_table connection_table = {
    .name = "connection",
    .size = sizeof(struct df_connection_cfg),
    .options = connection_opts,
    .count = DF_COUNTOF(connection_opts),
    .src = PRESENT(struct df_connection_cfg, src),
    .desc = "Edges from source nodes to destination nodes.",
};

static const struct df_option node_elem = {.type = DF_OPT_TABLE, .table = &node_table};
static const struct df_option extension_elem = {.type = DF_OPT_TABLE, .table = &extension_table};
static const struct df_option connection_elem = {.type = DF_OPT_TABLE, .table = &connection_table};

/* ---- pipelines, groups, engine, top level ------------------------------------ */

static const char *const pipeline_types[] = {"otap", "otlp", NULL};

static const struct df_option pipeline_opts[] = {
    {.name = "type",
     .type = DF_OPT_ENUM,
     .enums = pipeline_types,
     .def = "otap",
     .offset = OFF(struct df_pipeline_cfg, type),
     .desc = "pdata type; df_engine carries OTLP bytes for both"},
    {.name = "policies",
     .type = DF_OPT_TABLE,
     .table = &policies_table,
     .offset = OFF(struct df_pipeline_cfg, policies),
     .desc = "pipeline policies"},
    {.name = "nodes",
     .type = DF_OPT_MAP,
     .elem = &node_elem,
     .flags = DF_OPT_BOUNDED,
     .min = 0,
     .max = 1024,
     .offset = OFF(struct df_pipeline_cfg, nodes),
     .desc = "nodes by id"},
    {.name = "extensions",
     .type = DF_OPT_MAP,
     .elem = &extension_elem,
     .offset = OFF(struct df_pipeline_cfg, extensions),
     .desc = "extension instances by id"},
    {.name = "connections",
     .type = DF_OPT_LIST,
     .elem = &connection_elem,
     .offset = OFF(struct df_pipeline_cfg, connections),
     .desc = "graph edges"},
};

static const struct df_option_table pipeline_table = {
    .name = "pipeline",
    .size = sizeof(struct df_pipeline_cfg),
    .options = pipeline_opts,
    .count = DF_COUNTOF(pipeline_opts),
    .src = PRESENT(struct df_pipeline_cfg, src),
    .desc = "A pipeline graph.",
};

static const struct df_option pipeline_elem = {.type = DF_OPT_TABLE, .table = &pipeline_table};

static const struct df_option group_opts[] = {
    {.name = "policies",
     .type = DF_OPT_TABLE,
     .table = &policies_table,
     .offset = OFF(struct df_group_cfg, policies),
     .desc = "group policies"},
    {.name = "pipelines",
     .type = DF_OPT_MAP,
     .elem = &pipeline_elem,
     .offset = OFF(struct df_group_cfg, pipelines),
     .desc = "pipelines by id"},
};

static const struct df_option_table group_table = {
    .name = "group",
    .size = sizeof(struct df_group_cfg),
    .options = group_opts,
    .count = DF_COUNTOF(group_opts),
    .src = PRESENT(struct df_group_cfg, src),
    .desc = "A pipeline group.",
};

static const struct df_option group_elem = {.type = DF_OPT_TABLE, .table = &group_table};

static const char *const log_levels[] = {"off", "error", "warn", "info", "debug", NULL};

struct telemetry_logs {
    int level;
};

static const struct df_option logs_opts[] = {
    {.name = "level",
     .type = DF_OPT_ENUM,
     .enums = log_levels,
     .def = "info",
     .offset = 0,
     .desc = "minimum level written to stderr"},
};

static const struct df_option_table logs_table =
    DF_OPTION_TABLE(struct telemetry_logs, logs_opts, "Engine logs.");

static const struct df_option any_elem = {.type = DF_OPT_ANY};

typedef __typeof__(((struct df_engine_cfg *)0)->telemetry) telemetry_cfg;
typedef __typeof__(((struct df_engine_cfg *)0)->http_admin) http_admin_cfg;

static const struct df_option telemetry_opts[] = {
    {.name = "logs",
     .type = DF_OPT_TABLE,
     .table = &logs_table,
     .offset = OFF(telemetry_cfg, logs),
     .desc = "engine log settings"},
    {.name = "reporting_interval",
     .type = DF_OPT_DURATION,
     .flags = DF_OPT_BOUNDED,
     .min = 100000000LL,
     .max = 3600000000000LL,
     .def = "1s",
     .offset = OFF(telemetry_cfg, reporting_interval),
     .desc = "how often core threads publish their metrics"},
    {.name = "resource",
     .type = DF_OPT_MAP,
     .elem = &any_elem,
     .offset = OFF(telemetry_cfg, resource),
     .desc = "resource attributes of the engine"},
};

static const struct df_option_table telemetry_table =
    DF_OPTION_TABLE(telemetry_cfg, telemetry_opts, "Engine telemetry.");

static const struct df_option http_admin_opts[] = {
    {.name = "bind_address",
     .type = DF_OPT_SOCKADDR,
     .def = "127.0.0.1:8080",
     .offset = OFF(http_admin_cfg, bind_address),
     .desc = "address of the admin HTTP API"},
};

static const struct df_option_table http_admin_table =
    DF_OPTION_TABLE(http_admin_cfg, http_admin_opts, "Admin HTTP API.");

static const struct df_option engine_opts[] = {
    {.name = "http_admin",
     .type = DF_OPT_TABLE,
     .table = &http_admin_table,
     .offset = OFF(struct df_engine_cfg, http_admin),
     .desc = "admin HTTP API"},
    {.name = "telemetry",
     .type = DF_OPT_TABLE,
     .table = &telemetry_table,
     .offset = OFF(struct df_engine_cfg, telemetry),
     .desc = "engine telemetry"},
};

static const struct df_option_table engine_table =
    DF_OPTION_TABLE(struct df_engine_cfg, engine_opts, "Engine settings.");

static int check_root(void *obj, const struct df_value *src, const char *path, struct df_diags *d)
{
    const struct df_config *c = obj;
    if (strcmp(c->version, DF_CONFIG_VERSION)) {
        const struct df_value *v = df_value_get(src, "version");
        df_diags_add(d, v ? &v->mark : NULL, "version", "unsupported version '%s'", c->version);
        df_diags_hint(d, "write version: %s", DF_CONFIG_VERSION);
        return DF_EINVAL;
    }
    return 0;
}

static const struct df_option root_opts[] = {
    {.name = "version",
     .type = DF_OPT_STRING,
     .flags = DF_OPT_REQUIRED,
     .offset = OFF(struct df_config, version),
     .desc = "always " DF_CONFIG_VERSION},
    {.name = "policies",
     .type = DF_OPT_TABLE,
     .table = &policies_table,
     .offset = OFF(struct df_config, policies),
     .desc = "top-level policies"},
    {.name = "engine",
     .type = DF_OPT_TABLE,
     .table = &engine_table,
     .offset = OFF(struct df_config, engine),
     .desc = "engine settings"},
    {.name = "groups",
     .type = DF_OPT_MAP,
     .elem = &group_elem,
     .offset = OFF(struct df_config, groups),
     .desc = "pipeline groups by id"},
};

static const struct df_option_table root_table = {
    .name = "config",
    .size = sizeof(struct df_config),
    .options = root_opts,
    .count = DF_COUNTOF(root_opts),
    .check = check_root,
    .desc = "An otel_dataflow/v1 config.",
};

/* ---- loading ----------------------------------------------------------------- */

static struct df_config *parse_root(struct df_config *cfg, struct df_value *root,
                                    struct df_diags *d)
{
    cfg->root = root;
    if (root->kind != DF_VALUE_MAP) {
        df_diags_add(d, &root->mark, NULL, "a config must be a mapping with version and groups");
        df_diags_hint(d, "start the file with: version: %s", DF_CONFIG_VERSION);
        goto fail;
    }
    /* The walker fills the tables of the struct; arena and file stay. */
    struct df_config shape = {0};
    if (df_options_parse(&root_table, root, &root->mark, &shape, "", &cfg->arena, d))
        goto fail;
    shape.arena = cfg->arena;
    shape.file = cfg->file;
    shape.root = root;
    *cfg = shape;
    if (df_config_validate(cfg, d))
        goto fail;
    return cfg;
fail:
    df_config_free(cfg);
    return NULL;
}

static struct df_config *new_config(const char *name)
{
    struct df_config *cfg = calloc(1, sizeof *cfg);
    if (!cfg)
        return NULL;
    df_arena_init(&cfg->arena);
    cfg->file = df_arena_strdup(&cfg->arena, name);
    if (!cfg->file) {
        free(cfg);
        return NULL;
    }
    return cfg;
}

struct df_config *df_config_parse(const char *name, const char *buf, size_t len, struct df_diags *d)
{
    struct df_config *cfg = new_config(name);
    if (!cfg) {
        df_diags_add(d, NULL, NULL, "out of memory loading %s", name);
        return NULL;
    }
    struct df_value *root = NULL;
    if (df_config_load_buffer(name, buf, len, &cfg->arena, &root, d)) {
        df_config_free(cfg);
        return NULL;
    }
    return parse_root(cfg, root, d);
}

struct df_config *df_config_load(const char *path, struct df_diags *d)
{
    struct df_config *cfg = new_config(path);
    if (!cfg) {
        df_diags_add(d, NULL, NULL, "out of memory loading %s", path);
        return NULL;
    }
    struct df_value *root = NULL;
    if (df_config_load_file(path, &cfg->arena, &root, d)) {
        df_config_free(cfg);
        return NULL;
    }
    return parse_root(cfg, root, d);
}

void df_config_free(struct df_config *cfg)
{
    if (!cfg)
        return;
    df_arena_free(&cfg->arena);
    free(cfg);
}
