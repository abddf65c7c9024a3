/* nodes/processors/attribute/config.c — processor:attribute's option table,
 * its per-action check and the encoding of literal values. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "df/capabilities/auth_check.h"
#include "df/options.h"
#include "nodes/processors/attribute/attribute.h"

#define OFF(type, field) offsetof(type, field)

size_t attribute_encode_value(const struct df_value *value, uint8_t *out, size_t cap)
{
    if (!value || value->kind != DF_VALUE_SCALAR)
        return 0;
    const char *s = value->u.scalar.text;
    char err[64];
    if (!value->u.scalar.quoted && cap >= DF_ATTR_VALUE_MAX) {
        bool b;
        int64_t i;
        double d;
        if ((!strcmp(s, "true") || !strcmp(s, "false")) && !df_parse_bool(s, &b, err, sizeof err))
            return df_attr_value_bool(out, b);
        if (!df_parse_int(s, &i, err, sizeof err))
            return df_attr_value_int(out, i);
        if (!df_parse_float(s, &d, err, sizeof err))
            return df_attr_value_double(out, d);
    }
    size_t len = value->u.scalar.len;
    if (len + 2 + 10 > cap)
        return 0;
    return df_attr_value_string(out, s, len);
}

unsigned attribute_apply_mask(const struct attribute_config *c)
{
    static const unsigned bits[] = {DF_ATTR_SIGNAL, DF_ATTR_RESOURCE, DF_ATTR_SCOPE};
    unsigned mask = 0;
    const int *v = c->apply_to.items;
    for (size_t i = 0; i < c->apply_to.count; i++)
        mask |= bits[v[i]];
    return mask;
}

static int check_action(void *obj, const struct df_value *src, const char *path, struct df_diags *d)
{
    const struct attribute_action_cfg *a = obj;
    const struct df_mark *m = src ? &src->mark : NULL;
    const char *name = df_attr_op_names[a->action];
    int rc = 0;
    if (a->action == DF_ATTR_RENAME) {
        if (!a->source_key || !a->destination_key || !*a->source_key || !*a->destination_key) {
            df_diags_add(d, m, path, "rename needs source_key and destination_key");
            rc = DF_EINVAL;
        }
        if (a->key || a->value || a->from_attribute) {
            df_diags_add(d, m, path, "rename takes only source_key and destination_key");
            rc = DF_EINVAL;
        }
        return rc;
    }
    if (!a->key || !*a->key) {
        df_diags_add(d, m, path, "%s needs a key", name);
        rc = DF_EINVAL;
    }
    if (a->source_key || a->destination_key) {
        df_diags_add(d, m, path, "source_key and destination_key are for rename only");
        df_diags_hint(d, "use key: with %s", name);
        rc = DF_EINVAL;
    }
    bool sets =
        a->action == DF_ATTR_INSERT || a->action == DF_ATTR_UPDATE || a->action == DF_ATTR_UPSERT;
    if (!sets) {
        if (a->value || a->from_attribute || a->from_context) {
            df_diags_add(d, m, path, "%s takes no value, from_attribute or from_context", name);
            rc = DF_EINVAL;
        }
        return rc;
    }
    if (!!a->value + !!a->from_attribute + !!a->from_context != 1) {
        df_diags_add(d, m, path,
                     "%s needs one of value, from_attribute and from_context (exactly one)", name);
        rc = DF_EINVAL;
    } else if (a->from_context && !df_identity_ref(a->from_context)) {
        df_diags_add(d, m, path, "from_context '%s' names nothing a request carries",
                     a->from_context);
        df_diags_hint(d, "use auth.subject, auth.provider or auth.<attribute> (an attribute of "
                         "the sender's identity, such as a claim)");
        rc = DF_EINVAL;
    } else if (a->value && a->value->kind != DF_VALUE_SCALAR) {
        df_diags_add(d, &a->value->mark, path,
                     "value must be a string, integer, double or bool, not a %s",
                     df_value_kind_name(a->value->kind));
        rc = DF_EINVAL;
    }
    return rc;
}

static const char *const apply_names[] = {"signal", "resource", "scope", NULL};

static const struct df_option action_opts[] = {
    {.name = "action",
     .type = DF_OPT_ENUM,
     .flags = DF_OPT_REQUIRED,
     .enums = df_attr_op_names,
     .offset = OFF(struct attribute_action_cfg, action),
     .desc = "insert, update, upsert, delete, hash or rename"},
    {.name = "key",
     .type = DF_OPT_STRING,
     .offset = OFF(struct attribute_action_cfg, key),
     .desc = "the attribute the action applies to (all actions but rename)"},
    {.name = "value",
     .type = DF_OPT_ANY,
     .offset = OFF(struct attribute_action_cfg, value),
     .desc = "insert/update/upsert: the value to set, a string, integer, double or bool"},
    {.name = "from_attribute",
     .type = DF_OPT_STRING,
     .offset = OFF(struct attribute_action_cfg, from_attribute),
     .desc = "insert/update/upsert: take the value of this attribute instead (skipped when "
             "absent)"},
    {.name = "from_context",
     .type = DF_OPT_STRING,
     .offset = OFF(struct attribute_action_cfg, from_context),
     .desc = "insert/update/upsert: take the value from the request's sender: auth.subject, "
             "auth.provider or auth.<attribute> of the identity an auth_check extension gave "
             "it (skipped when the request has none)"},
    {.name = "source_key",
     .type = DF_OPT_STRING,
     .offset = OFF(struct attribute_action_cfg, source_key),
     .desc = "rename: the attribute to rename"},
    {.name = "destination_key",
     .type = DF_OPT_STRING,
     .offset = OFF(struct attribute_action_cfg, destination_key),
     .desc = "rename: its new key (an existing attribute of that key is replaced)"},
};

static const struct df_option_table action_table = {
    .name = "struct attribute_action_cfg",
    .size = sizeof(struct attribute_action_cfg),
    .options = action_opts,
    .count = DF_COUNTOF(action_opts),
    .src = OFF(struct attribute_action_cfg, src) + 1,
    .check = check_action,
    .desc = "One attribute action.",
};

static const struct df_option action_elem = {.type = DF_OPT_TABLE, .table = &action_table};
static const struct df_option apply_elem = {.type = DF_OPT_ENUM, .enums = apply_names};

static const struct df_option attribute_opts[] = {
    {.name = "actions",
     .type = DF_OPT_LIST,
     .elem = &action_elem,
     .flags = DF_OPT_REQUIRED | DF_OPT_BOUNDED,
     .min = 1,
     .max = 256,
     .offset = OFF(struct attribute_config, actions),
     .desc = "actions applied in order to each attribute list: {key, action: "
             "insert|update|upsert|delete|hash, value | from_attribute | from_context} or "
             "{action: rename, "
             "source_key, destination_key}"},
    {.name = "apply_to",
     .type = DF_OPT_LIST,
     .elem = &apply_elem,
     .flags = DF_OPT_ONE_OR_MANY | DF_OPT_BOUNDED,
     .min = 1,
     .max = 3,
     .def = "[signal]",
     .offset = OFF(struct attribute_config, apply_to),
     .desc = "attribute lists to rewrite: signal (log records, spans, metric data points), "
             "resource, scope"},
};

const struct df_option_table attribute_table = {
    .name = "struct attribute_config",
    .size = sizeof(struct attribute_config),
    .options = attribute_opts,
    .count = DF_COUNTOF(attribute_opts),
    .desc = "processor:attribute options.",
};
