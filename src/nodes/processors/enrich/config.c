/* nodes/processors/enrich/config.c — processor:enrich's option table and
 * its checks. */
#include <stddef.h>

#include "df/options.h"
#include "nodes/processors/enrich/enrich.h"

#define OFF(type, field) offsetof(type, field)

static const char *const from_names[] = {"resource_attribute", "attribute", NULL};
static const char *const missing_names[] = {"keep", "drop", "tag", NULL};
static const char *const apply_names[] = {"resource", "record", NULL};

static int check_key(void *obj, const struct df_value *src, const char *path, struct df_diags *d)
{
    const struct enrich_key_cfg *k = obj;
    if (k->name && *k->name)
        return 0;
    df_diags_add(d, src ? &src->mark : NULL, path, "lookup_key needs a non-empty name");
    return DF_EINVAL;
}

static int check_enrich(void *obj, const struct df_value *src, const char *path, struct df_diags *d)
{
    const struct enrich_config *c = obj;
    if (c->apply_to == ENRICH_APPLY_RESOURCE && c->lookup_key.from == ENRICH_FROM_ATTRIBUTE) {
        df_diags_add(d, src ? &src->mark : NULL, path,
                     "lookup_key.from: attribute reads a record's attribute, but apply_to is "
                     "resource");
        df_diags_hint(d, "use from: resource_attribute, or apply_to: record");
        return DF_EINVAL;
    }
    return 0;
}

static const struct df_option key_opts[] = {
    {.name = "from",
     .type = DF_OPT_ENUM,
     .enums = from_names,
     .def = "resource_attribute",
     .offset = OFF(struct enrich_key_cfg, from),
     .desc = "where the key is read: the resource's attributes or the record's own"},
    {.name = "name",
     .type = DF_OPT_STRING,
     .flags = DF_OPT_REQUIRED,
     .offset = OFF(struct enrich_key_cfg, name),
     .desc = "the attribute holding the key (a string, or an int looked up in decimal)"},
};

static const struct df_option_table key_table = {
    .name = "struct enrich_key_cfg",
    .size = sizeof(struct enrich_key_cfg),
    .options = key_opts,
    .count = DF_COUNTOF(key_opts),
    .check = check_key,
    .desc = "The attribute whose value is looked up.",
};

static const struct df_option enrich_opts[] = {
    {.name = "lookup_key",
     .type = DF_OPT_TABLE,
     .table = &key_table,
     .flags = DF_OPT_REQUIRED,
     .offset = OFF(struct enrich_config, lookup_key),
     .desc = "{from: resource_attribute|attribute, name}: the attribute looked up"},
    {.name = "prefix",
     .type = DF_OPT_STRING,
     .offset = OFF(struct enrich_config, prefix),
     .desc = "prepended to each column name to make the attribute key (none by default)"},
    {.name = "on_missing",
     .type = DF_OPT_ENUM,
     .enums = missing_names,
     .def = "keep",
     .offset = OFF(struct enrich_config, on_missing),
     .desc = "when the key is absent or not in the dataset: keep (unchanged), drop (the "
             "resource or record), tag (add <prefix>missing = true)"},
    {.name = "apply_to",
     .type = DF_OPT_ENUM,
     .enums = apply_names,
     .def = "resource",
     .offset = OFF(struct enrich_config, apply_to),
     .desc = "what is enriched: resource (Resource.attributes) or record (log records, spans, "
             "metric data points)"},
};

const struct df_option_table enrich_table = {
    .name = "struct enrich_config",
    .size = sizeof(struct enrich_config),
    .options = enrich_opts,
    .count = DF_COUNTOF(enrich_opts),
    .check = check_enrich,
    .desc = "processor:enrich options.",
};
