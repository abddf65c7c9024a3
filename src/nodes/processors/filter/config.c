/* nodes/processors/filter/config.c — processor:filter's option tables (the
 * Collector filter processor's legacy `include` / `exclude` layout) and
 * their checks. */
#include <stddef.h>
#include <stdio.h>

#include "df/options.h"
#include "nodes/processors/filter/filter.h"
#include "otlp/filter.h"

static const char *const match_types[] = {
#define DF_FILTER_MATCH_NAME(name, text) text,
    DF_FILTER_MATCH_TYPES(DF_FILTER_MATCH_NAME)
#undef DF_FILTER_MATCH_NAME
        NULL};

static const struct df_option string_elem = {.type = DF_OPT_STRING};

static const struct df_option kv_opts[] = {
    {.name = "key",
     .type = DF_OPT_STRING,
     .flags = DF_OPT_REQUIRED,
     .offset = offsetof(struct df_filter_kv, key),
     .desc = "attribute key that must be present"},
    {.name = "value",
     .type = DF_OPT_STRING,
     .offset = offsetof(struct df_filter_kv, value),
     .desc = "value the attribute's string form must equal (strict) or match (regexp); "
             "absent = the key alone"},
};

static const struct df_option_table kv_table = {
    .name = "struct df_filter_kv",
    .size = sizeof(struct df_filter_kv),
    .options = kv_opts,
    .count = DF_COUNTOF(kv_opts),
    .desc = "An attribute rule.",
};

static const struct df_option kv_elem = {.type = DF_OPT_TABLE, .table = &kv_table};

static int check_severity(void *obj, const struct df_value *src, const char *path,
                          struct df_diags *d)
{
    struct filter_severity_cfg *c = obj;
    if (!c->min)
        return 0;
    if (df_filter_severity_parse(c->min, &c->min_number)) {
        const struct df_value *v = df_value_get(src, "min");
        df_diags_add(d, v ? &v->mark : (src ? &src->mark : NULL), path,
                     "min: '%s' is not a severity number", c->min);
        df_diags_hint(d, "a number 0 to 24, or TRACE, DEBUG, INFO, WARN, ERROR, FATAL "
                         "optionally followed by 2, 3 or 4");
        return DF_EINVAL;
    }
    return 0;
}

static const struct df_option severity_opts[] = {
    {.name = "min",
     .type = DF_OPT_STRING,
     .offset = offsetof(struct filter_severity_cfg, min),
     .desc = "lowest severity number that matches: 1 to 24 or a name (INFO, WARN2, ...)"},
    {.name = "match_undefined",
     .type = DF_OPT_BOOL,
     .def = "false",
     .offset = offsetof(struct filter_severity_cfg, match_undefined),
     .desc = "whether records with no severity number (0) match"},
};

static const struct df_option_table severity_table = {
    .name = "struct filter_severity_cfg",
    .size = sizeof(struct filter_severity_cfg),
    .options = severity_opts,
    .count = DF_COUNTOF(severity_opts),
    .check = check_severity,
    .desc = "A log severity rule.",
};

static const struct df_mark *item_mark(const struct df_list *l, size_t i)
{
    if (!l->src)
        return NULL;
    if (l->src->kind == DF_VALUE_SEQ && i < l->src->u.seq.count)
        return &l->src->u.seq.items[i]->mark;
    return &l->src->mark;
}

static int check_regex(const char *re, const struct df_mark *mark, const char *path,
                       const char *key, size_t i, const char *sub, struct df_diags *d)
{
    char msg[128];
    if (!re || !df_filter_regex_check(re, msg, sizeof msg))
        return 0;
    char p[DF_ERROR_PATH_MAX];
    snprintf(p, sizeof p, "%s.%s[%zu]%s", path, key, i, sub);
    df_diags_add(d, mark, p, "bad regular expression '%s': %s", re, msg);
    df_diags_hint(d, "POSIX extended syntax (not RE2: no \\d, \\w, (?i), lazy quantifiers)");
    return DF_EINVAL;
}

/* Key names of one signal's match block, for messages. */
struct keys {
    const char *names, *attributes; /* keys of the lists */
    const char *props;              /* every property, for the hint */
};

static int check_match(void *obj, const struct df_value *src, const char *path, struct df_diags *d,
                       const struct keys *k)
{
    const struct filter_match_cfg *c = obj;
    if (!c->names.count && !c->severity_texts.count && !c->severity_number &&
        !c->attributes.count && !c->resource_attributes.count) {
        df_diags_add(d, src ? &src->mark : NULL, path, "a match block needs at least one property");
        df_diags_hint(d, "give %s", k->props);
        return DF_EINVAL;
    }
    if (c->match_type != DF_FILTER_REGEXP)
        return 0;
    int rc = 0;
    const char *const *names = c->names.items;
    for (size_t i = 0; i < c->names.count; i++)
        rc |= check_regex(names[i], item_mark(&c->names, i), path, k->names, i, "", d);
    const char *const *texts = c->severity_texts.items;
    for (size_t i = 0; i < c->severity_texts.count; i++)
        rc |= check_regex(texts[i], item_mark(&c->severity_texts, i), path, "severity_texts", i, "",
                          d);
    const struct df_filter_kv *kv = c->attributes.items;
    for (size_t i = 0; i < c->attributes.count; i++)
        rc |= check_regex(kv[i].value, item_mark(&c->attributes, i), path,
                          k->attributes ? k->attributes : "attributes", i, ".value", d);
    kv = c->resource_attributes.items;
    for (size_t i = 0; i < c->resource_attributes.count; i++)
        rc |= check_regex(kv[i].value, item_mark(&c->resource_attributes, i), path,
                          "resource_attributes", i, ".value", d);
    return rc ? DF_EINVAL : 0;
}

static int check_logs_match(void *obj, const struct df_value *src, const char *path,
                            struct df_diags *d)
{
    static const struct keys k = {"bodies", "record_attributes",
                                  "bodies, severity_texts, severity_number, record_attributes "
                                  "or resource_attributes"};
    return check_match(obj, src, path, d, &k);
}

static int check_spans_match(void *obj, const struct df_value *src, const char *path,
                             struct df_diags *d)
{
    static const struct keys k = {"span_names", "attributes",
                                  "span_names, attributes or resource_attributes"};
    return check_match(obj, src, path, d, &k);
}

static int check_metrics_match(void *obj, const struct df_value *src, const char *path,
                               struct df_diags *d)
{
    static const struct keys k = {"metric_names", NULL, "metric_names or resource_attributes"};
    return check_match(obj, src, path, d, &k);
}

#define MATCH_TYPE_OPT                                                                             \
    {                                                                                              \
        .name = "match_type", .type = DF_OPT_ENUM, .flags = DF_OPT_REQUIRED, .enums = match_types, \
        .offset = offsetof(struct filter_match_cfg, match_type),                                   \
        .desc = "strict: exact string equality; regexp: POSIX extended regular expressions, "      \
                "unanchored"                                                                       \
    }
#define LIST_OPT(key, elem_, field, text)                                                          \
    {                                                                                              \
        .name = key, .type = DF_OPT_LIST, .flags = DF_OPT_ONE_OR_MANY, .elem = &elem_,             \
        .offset = offsetof(struct filter_match_cfg, field), .desc = text                           \
    }
#define RESOURCE_OPT                                                                               \
    LIST_OPT("resource_attributes", kv_elem, resource_attributes,                                  \
             "resource attributes that must all be present and match ({key, value})")

static const struct df_option logs_match_opts[] = {
    MATCH_TYPE_OPT,
    LIST_OPT("bodies", string_elem, names, "log bodies, any of which matches"),
    LIST_OPT("severity_texts", string_elem, severity_texts, "severity texts, any of which matches"),
    {.name = "severity_number",
     .type = DF_OPT_TABLE,
     .flags = DF_OPT_BYREF,
     .table = &severity_table,
     .offset = offsetof(struct filter_match_cfg, severity_number),
     .desc = "records at or above `min` match; `match_undefined` for those without one"},
    LIST_OPT("record_attributes", kv_elem, attributes,
             "log record attributes that must all be present and match ({key, value})"),
    RESOURCE_OPT,
};

static const struct df_option spans_match_opts[] = {
    MATCH_TYPE_OPT,
    LIST_OPT("span_names", string_elem, names, "span names, any of which matches"),
    LIST_OPT("attributes", kv_elem, attributes,
             "span attributes that must all be present and match ({key, value})"),
    RESOURCE_OPT,
};

static const struct df_option metrics_match_opts[] = {
    MATCH_TYPE_OPT,
    LIST_OPT("metric_names", string_elem, names, "metric names, any of which matches"),
    RESOURCE_OPT,
};

#define MATCH_TABLE(ident, opts, check_, text)                                                     \
    static const struct df_option_table ident = {.name = "struct filter_match_cfg",                \
                                                 .size = sizeof(struct filter_match_cfg),          \
                                                 .options = opts,                                  \
                                                 .count = DF_COUNTOF(opts),                        \
                                                 .check = check_,                                  \
                                                 .desc = text}
MATCH_TABLE(logs_match_table, logs_match_opts, check_logs_match, "A logs match block.");
MATCH_TABLE(spans_match_table, spans_match_opts, check_spans_match, "A spans match block.");
MATCH_TABLE(metrics_match_table, metrics_match_opts, check_metrics_match, "A metrics match block.");

#define SIGNAL_OPTS(ident, mtable)                                                                 \
    static const struct df_option ident[] = {                                                      \
        {.name = "include",                                                                        \
         .type = DF_OPT_TABLE,                                                                     \
         .flags = DF_OPT_BYREF,                                                                    \
         .table = &mtable,                                                                         \
         .offset = offsetof(struct filter_signal_cfg, include),                                    \
         .desc = "when given, only records matching it are kept"},                                 \
        {.name = "exclude",                                                                        \
         .type = DF_OPT_TABLE,                                                                     \
         .flags = DF_OPT_BYREF,                                                                    \
         .table = &mtable,                                                                         \
         .offset = offsetof(struct filter_signal_cfg, exclude),                                    \
         .desc = "when given, records matching it are dropped"},                                   \
    }
SIGNAL_OPTS(logs_opts, logs_match_table);
SIGNAL_OPTS(spans_opts, spans_match_table);
SIGNAL_OPTS(metrics_opts, metrics_match_table);

#define SIGNAL_TABLE(ident, opts, text)                                                            \
    static const struct df_option_table ident = {.name = "struct filter_signal_cfg",               \
                                                 .size = sizeof(struct filter_signal_cfg),         \
                                                 .options = opts,                                  \
                                                 .count = DF_COUNTOF(opts),                        \
                                                 .desc = text}
SIGNAL_TABLE(logs_table, logs_opts, "Rules for log records.");
SIGNAL_TABLE(spans_table, spans_opts, "Rules for spans.");
SIGNAL_TABLE(metrics_table, metrics_opts, "Rules for metrics.");

static int check_filter(void *obj, const struct df_value *src, const char *path, struct df_diags *d)
{
    const struct filter_config *c = obj;
    if (c->spans && c->traces) {
        const struct df_value *v = df_value_get(src, "traces");
        df_diags_add(d, v ? &v->mark : NULL, path, "give either spans or traces, not both");
        df_diags_hint(d, "traces is an alias of spans");
        return DF_EINVAL;
    }
    return 0;
}

static const struct df_option filter_opts[] = {
    {.name = "logs",
     .type = DF_OPT_TABLE,
     .flags = DF_OPT_BYREF,
     .table = &logs_table,
     .offset = offsetof(struct filter_config, logs),
     .desc = "include/exclude rules for log records"},
    {.name = "spans",
     .type = DF_OPT_TABLE,
     .flags = DF_OPT_BYREF,
     .table = &spans_table,
     .offset = offsetof(struct filter_config, spans),
     .desc = "include/exclude rules for spans"},
    {.name = "traces",
     .type = DF_OPT_TABLE,
     .flags = DF_OPT_BYREF,
     .table = &spans_table,
     .offset = offsetof(struct filter_config, traces),
     .desc = "alias of spans"},
    {.name = "metrics",
     .type = DF_OPT_TABLE,
     .flags = DF_OPT_BYREF,
     .table = &metrics_table,
     .offset = offsetof(struct filter_config, metrics),
     .desc = "include/exclude rules for metrics (a dropped metric takes all its data points)"},
};

const struct df_option_table filter_table = {
    .name = "struct filter_config",
    .size = sizeof(struct filter_config),
    .options = filter_opts,
    .count = DF_COUNTOF(filter_opts),
    .desc = "processor:filter options.",
    .check = check_filter,
};
