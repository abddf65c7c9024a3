/* processor:attribute — inserts, updates, upserts, deletes, hashes and
 * renames attributes of log records, spans and metric data points (and,
 * with apply_to, of resources and scopes).
 *
 * Each request is rewritten by the streaming engine of otlp/attrs.h: only
 * the messages whose attributes change are re-encoded, everything else is
 * copied as whole spans of bytes, and a request no action touches is sent on
 * as it came, without a copy. A rewritten request replaces the bytes the
 * pdata views, so its Ack/Nack subscriptions and identity travel on
 * unchanged. A request the engine finds malformed is Nacked (permanent).
 *
 * Actions `from_context` take their value from the request's sender (the
 * identity in its pdata context): before a request's rewrite they are given
 * that identity's value, or left out when it has none. The rules so made
 * are kept for the next request of the same identity (identities are
 * immutable), so a stream from one sender resolves them once. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "df/capabilities/auth_check.h"
#include "df/node.h"
#include "nodes/processors/attribute/attribute.h"
#include "otlp/attrs.h"

struct attribute {
    struct df_attrs rules;
    struct df_attr_action *actions;
    uint8_t *values; /* the literal values' encodings */
    struct df_attrs_scratch scratch;
    struct df_metric *items, *modified, *failed;
    /* from_context: the name each action reads (NULL for the others), and
     * the rules made for `sender`'s values (valid while `resolved`). */
    const char **context;
    bool has_context;
    struct df_attrs sender_rules;
    struct df_attr_action *sender_actions;
    uint8_t *sender_values;
    size_t sender_cap;
    const struct df_identity *sender;
    bool resolved;
};

static int attribute_create(struct df_node *node, const void *options, void **state,
                            struct df_error *err)
{
    (void)err;
    const struct attribute_config *cfg = options;
    struct attribute *a = calloc(1, sizeof *a);
    if (!a)
        return DF_ENOMEM;
    *state = a;
    const struct attribute_action_cfg *in = cfg->actions.items;
    size_t n = cfg->actions.count, room = 0;
    for (size_t i = 0; i < n; i++) {
        if (in[i].value)
            room += in[i].value->u.scalar.len + 2 + 10 + DF_ATTR_VALUE_MAX;
    }
    a->actions = calloc(n ? n : 1, sizeof *a->actions);
    a->values = malloc(room ? room : 1);
    a->context = calloc(n ? n : 1, sizeof *a->context);
    a->sender_actions = calloc(n ? n : 1, sizeof *a->sender_actions);
    if (!a->actions || !a->values || !a->context || !a->sender_actions)
        return DF_ENOMEM;
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        struct df_attr_action *o = &a->actions[i];
        o->op = (enum df_attr_op)in[i].action;
        const char *key = o->op == DF_ATTR_RENAME ? in[i].source_key : in[i].key;
        const char *to = o->op == DF_ATTR_RENAME ? in[i].destination_key : in[i].from_attribute;
        o->key = key;
        o->key_len = strlen(key);
        if (to) {
            o->to = to;
            o->to_len = strlen(to);
        }
        if (in[i].value) {
            o->value = a->values + used;
            o->value_len = attribute_encode_value(in[i].value, a->values + used, room - used);
            used += o->value_len;
        }
        if (in[i].from_context) {
            a->context[i] = df_identity_ref(in[i].from_context);
            a->has_context = true;
        }
    }
    a->rules =
        (struct df_attrs){.actions = a->actions, .count = n, .apply_to = attribute_apply_mask(cfg)};
    a->items = df_node_metric(node, DF_METRIC_COUNTER, "df_processor_attribute_items_total",
                              "items (log records, spans, data points) processed");
    a->modified =
        df_node_metric(node, DF_METRIC_COUNTER, "df_processor_attribute_modified_total",
                       "attribute lists changed (of records, and of resources and scopes when "
                       "applied to them)");
    a->failed = df_node_metric(node, DF_METRIC_COUNTER, "df_processor_attribute_failed_total",
                               "items in requests rejected as malformed or for lack of memory");
    if (!a->items || !a->modified || !a->failed)
        return DF_ENOMEM;
    return 0;
}

/* The rules for a request from `id`: the configured ones with each
 * from_context action given id's value, or left out when id lacks it.
 * NULL when out of memory. */
static const struct df_attrs *rules_for(struct attribute *a, const struct df_identity *id)
{
    if (!a->has_context)
        return &a->rules;
    if (a->resolved && a->sender == id)
        return &a->sender_rules;
    size_t need = 0;
    for (size_t i = 0; i < a->rules.count; i++) {
        const char *v = a->context[i] ? df_identity_get(id, a->context[i]) : NULL;
        if (v)
            need += 2 + 10 + strlen(v);
    }
    if (need > a->sender_cap) {
        uint8_t *nv = realloc(a->sender_values, need);
        if (!nv)
            return NULL;
        a->sender_values = nv;
        a->sender_cap = need;
    }
    size_t n = 0, used = 0;
    for (size_t i = 0; i < a->rules.count; i++) {
        struct df_attr_action act = a->actions[i];
        if (a->context[i]) {
            const char *v = df_identity_get(id, a->context[i]);
            if (!v)
                continue;
            act.value = a->sender_values + used;
            act.value_len = df_attr_value_string(a->sender_values + used, v, strlen(v));
            used += act.value_len;
        }
        a->sender_actions[n++] = act;
    }
    a->sender_rules =
        (struct df_attrs){.actions = a->sender_actions, .count = n, .apply_to = a->rules.apply_to};
    a->sender = id;
    a->resolved = true;
    return &a->sender_rules;
}

static void attribute_process(struct df_node *node, void *state, struct df_pdata *pd)
{
    struct attribute *a = state;
    struct df_pb_writer w;
    struct df_attrs_result res;
    df_metric_add(a->items, (double)pd->items);
    const struct df_attrs *rules = rules_for(a, pd->ctx.identity);
    if (!rules) {
        df_metric_add(a->failed, (double)pd->items);
        df_node_nack(node, pd, DF_OUTCOME_NACK_TRANSIENT, "attribute processor: out of memory");
        return;
    }
    df_pb_writer_init(&w);
    int rc = df_attrs_rewrite(rules, pd->signal, pd->data, pd->len, &a->scratch, &w, &res);
    if (rc < 0) {
        df_pb_writer_free(&w);
        df_metric_add(a->failed, (double)pd->items);
        if (rc == DF_ENOMEM)
            df_node_nack(node, pd, DF_OUTCOME_NACK_TRANSIENT, "attribute processor: out of memory");
        else
            df_node_nack(node, pd, DF_OUTCOME_NACK_PERMANENT,
                         "attribute processor: malformed %s request", df_signal_name(pd->signal));
        return;
    }
    if (res.changed) {
        size_t len;
        uint8_t *buf = df_pb_writer_take(&w, &len);
        struct df_bytes *b = buf ? df_bytes_wrap(buf, len) : NULL;
        if (!b) {
            df_metric_add(a->failed, (double)pd->items);
            df_node_nack(node, pd, DF_OUTCOME_NACK_TRANSIENT, "attribute processor: out of memory");
            return;
        }
        df_pdata_set_bytes(pd, b, len);
        df_metric_add(a->modified, (double)res.modified);
    }
    df_node_send(node, DF_PORT_DEFAULT, pd);
}

static void attribute_destroy(struct df_node *node, void *state)
{
    (void)node;
    struct attribute *a = state;
    if (!a)
        return;
    df_attrs_scratch_free(&a->scratch);
    free(a->actions);
    free(a->values);
    free(a->context);
    free(a->sender_actions);
    free(a->sender_values);
    free(a);
}

static const struct df_node_ops attribute_ops = {
    .create = attribute_create, .process = attribute_process, .destroy = attribute_destroy};

DF_REGISTER_NODE(attribute_processor, "urn:otel:processor:attribute", DF_NODE_PROCESSOR,
                 "Inserts, updates, upserts, deletes, hashes and renames attributes.",
                 "docs/processors/attribute.md", .options = &attribute_table,
                 .ops = &attribute_ops);
