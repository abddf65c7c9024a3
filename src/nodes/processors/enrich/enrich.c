/* processor:enrich — adds the columns of a dataset row to resources or
 * records, looking the row up by the value of one of their attributes
 * through the dataset_lookup capability (a required binding).
 *
 * Each request goes through the streaming engine of otlp/attrs.h with a
 * per-list hook: the hook reads the key attribute, looks it up and upserts
 * `prefix` + column = value (strings) for each column of the row. Only the
 * messages that change are re-encoded; a request with nothing to add (or
 * nothing to drop) is sent on as it came, without a copy. A request the
 * engine finds malformed is Nacked (permanent).
 *
 * Missing (the key attribute absent, neither a string nor an int, or not in
 * the dataset) follows on_missing: keep, drop (the record, or the resource
 * with everything under it; emptied containers go too) or tag
 * (`prefix`missing = true). A lookup answering error (no dataset loaded yet)
 * leaves the item unchanged and is counted: telemetry is never held back or
 * dropped because the dataset is unavailable. Lookups run on the core's
 * thread and never block; a row is used before the next lookup. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/grow.h"
#include "df/capabilities/dataset_lookup.h"
#include "df/node.h"
#include "nodes/processors/enrich/enrich.h"
#include "otlp/attrs.h"
#include "otlp/otlp.h"

/* A column as the attribute it sets: prefixed key, AnyValue body. */
struct enrich_col {
    const char *key;
    size_t klen;
    const uint8_t *val;
    size_t vlen;
};

struct enrich {
    const struct enrich_config *cfg;
    struct df_dataset_lookup ds;
    struct df_attrs rules;
    struct df_attrs_hook hook;
    struct df_attrs_scratch scratch;
    const char *prefix;
    size_t plen;
    size_t name_len; /* of lookup_key.name */
    char *tag_key;   /* prefix + "missing" */
    size_t tag_len;
    /* The columns of the row found last, encoded (encode_row): their keys
     * and values in buf. */
    struct enrich_col *cols;
    size_t ncols, ncap;
    uint8_t *buf;
    size_t cap;
    /* apply_to record with the key from the resource: the current
     * resource's lookup outcome (found: its row is in cols until the next
     * resource) */
    bool from_resource;
    enum df_dataset_outcome res_outcome;
    struct df_metric *items, *enriched, *missing, *errors, *failed;
};

/* The key attribute's value as lookup text: a string as it is, an int in
 * decimal. Returns false for anything else. */
static bool key_text(const uint8_t *val, size_t vlen, char *num, const char **key, size_t *klen)
{
    struct df_pb_reader r = df_pb_reader_make(val, vlen);
    struct df_pb_field f;
    bool got = false;
    while (df_pb_next(&r, &f) == 1) {
        if (f.num == 1 && f.wtype == DF_PB_LEN) {
            *key = (const char *)f.data;
            *klen = f.len;
            got = true;
        } else if (f.num == 3 && f.wtype == DF_PB_VARINT) {
            *klen = (size_t)snprintf(num, 24, "%" PRId64, (int64_t)f.u64);
            *key = num;
            got = true;
        } else if (f.num >= 2 && f.num <= 7) {
            got = false; /* the last value field wins, as in protobuf */
        }
    }
    return got;
}

/* Encodes `row`'s columns as the attributes to set (prefixed keys, string
 * AnyValues) into e->buf and e->cols. They stay valid until the next call:
 * with apply_to record and the key from the resource, every record under
 * the resource is given the same encoding. */
static int encode_row(struct enrich *e, const struct df_dataset_row *row)
{
    if (df_grow(&e->cols, &e->ncap, row->nattrs, sizeof *e->cols) < 0)
        return DF_ENOMEM;
    size_t need = 0;
    for (size_t i = 0; i < row->nattrs; i++) {
        struct enrich_col *c = &e->cols[i];
        c->klen = strlen(row->attrs[i].key);
        c->vlen = strlen(row->attrs[i].value);
        need += e->plen + c->klen + 2 + DF_PB_VARINT_MAX + c->vlen;
    }
    if (df_grow(&e->buf, &e->cap, need, 1) < 0)
        return DF_ENOMEM;
    uint8_t *p = e->buf;
    for (size_t i = 0; i < row->nattrs; i++) {
        struct enrich_col *c = &e->cols[i];
        c->key = (const char *)p;
        memcpy(p, e->prefix, e->plen);
        memcpy(p + e->plen, row->attrs[i].key, c->klen);
        c->klen += e->plen;
        p += c->klen;
        c->val = p;
        c->vlen = df_attr_value_string(p, row->attrs[i].value, c->vlen);
        p += c->vlen;
    }
    e->ncols = row->nattrs;
    return 0;
}

/* Sets the encoded columns on list l. */
static int upsert_cols(struct enrich *e, struct df_attrs_list *l)
{
    for (size_t i = 0; i < e->ncols; i++) {
        const struct enrich_col *c = &e->cols[i];
        if (df_attrs_list_upsert(l, c->key, c->klen, c->val, c->vlen) < 0)
            return DF_ENOMEM;
    }
    return 0;
}

/* Looks list l's key attribute up: not_found when it is absent or neither
 * a string nor an int. */
static enum df_dataset_outcome lookup(struct enrich *e, const struct df_attrs_list *l,
                                      struct df_dataset_row *row)
{
    const uint8_t *val;
    size_t vlen, klen = 0;
    const char *key = NULL;
    char num[24];
    if (df_attrs_list_find(l, e->cfg->lookup_key.name, e->name_len, &val, &vlen) &&
        key_text(val, vlen, num, &key, &klen))
        return df_dataset_lookup_call(e->ds, key, klen, row);
    return DF_DATASET_NOT_FOUND;
}

static int on_list(void *arg, unsigned which, struct df_attrs_list *l)
{
    struct enrich *e = arg;
    enum df_dataset_outcome o;
    struct df_dataset_row row;
    if (which == 0) { /* a new resource: no key until its list is seen */
        e->res_outcome = DF_DATASET_NOT_FOUND;
        return 0;
    }
    if (e->from_resource && which == DF_ATTR_RESOURCE) {
        e->res_outcome = lookup(e, l, &row);
        if (e->res_outcome == DF_DATASET_FOUND && encode_row(e, &row) < 0)
            return DF_ENOMEM;
        return 0;
    }
    if (e->from_resource) {
        o = e->res_outcome; /* found: its row is encoded already */
    } else if ((o = lookup(e, l, &row)) == DF_DATASET_FOUND && encode_row(e, &row) < 0) {
        return DF_ENOMEM;
    }
    if (o == DF_DATASET_ERROR) {
        df_metric_add(e->errors, 1);
        return 0;
    }
    if (o == DF_DATASET_FOUND) {
        df_metric_add(e->enriched, 1);
        return upsert_cols(e, l);
    }
    df_metric_add(e->missing, 1);
    static const uint8_t true_value[] = {2 << 3 | DF_PB_VARINT, 1};
    switch (e->cfg->on_missing) {
    case ENRICH_DROP:
        return DF_ATTRS_DROP;
    case ENRICH_TAG:
        return df_attrs_list_upsert(l, e->tag_key, e->tag_len, true_value, sizeof true_value);
    default:
        return 0;
    }
}

static int enrich_create(struct df_node *node, const void *options, void **state,
                         struct df_error *err)
{
    const struct enrich_config *cfg = options;
    struct enrich *e = calloc(1, sizeof *e);
    if (!e)
        return DF_ENOMEM;
    *state = e;
    e->cfg = cfg;
    int rc = df_dataset_lookup_require(node, 1, &e->ds, err);
    if (rc < 0)
        return rc;
    e->prefix = cfg->prefix ? cfg->prefix : "";
    e->plen = strlen(e->prefix);
    e->name_len = strlen(cfg->lookup_key.name);
    e->tag_len = e->plen + strlen("missing");
    if (!(e->tag_key = malloc(e->tag_len + 1)))
        return DF_ENOMEM;
    snprintf(e->tag_key, e->tag_len + 1, "%smissing", e->prefix);
    e->hook = (struct df_attrs_hook){.fn = on_list, .arg = e};
    unsigned mask = cfg->apply_to == ENRICH_APPLY_RESOURCE ? DF_ATTR_RESOURCE : DF_ATTR_SIGNAL;
    e->from_resource = cfg->apply_to == ENRICH_APPLY_RECORD &&
                       cfg->lookup_key.from == ENRICH_FROM_RESOURCE_ATTRIBUTE;
    if (e->from_resource)
        mask |= DF_ATTR_RESOURCE;
    e->rules = (struct df_attrs){.apply_to = mask, .hook = &e->hook};
    e->items = df_node_metric(node, DF_METRIC_COUNTER, "df_processor_enrich_items_total",
                              "items (log records, spans, data points) processed");
    e->enriched = df_node_metric(node, DF_METRIC_COUNTER, "df_processor_enrich_enriched_total",
                                 "resources or records (per apply_to) given a row's columns");
    e->missing = df_node_metric(node, DF_METRIC_COUNTER, "df_processor_enrich_missing_total",
                                "resources or records whose key was absent or not found");
    e->errors = df_node_metric(node, DF_METRIC_COUNTER, "df_processor_enrich_errors_total",
                               "lookups answering error (passed unchanged)");
    e->failed = df_node_metric(node, DF_METRIC_COUNTER, "df_processor_enrich_failed_total",
                               "items in requests rejected as malformed or for lack of memory");
    if (!e->items || !e->enriched || !e->missing || !e->errors || !e->failed)
        return DF_ENOMEM;
    return 0;
}

static void fail(struct df_node *node, struct enrich *e, struct df_pdata *pd, int rc)
{
    df_metric_add(e->failed, (double)pd->items);
    if (rc == DF_EPARSE)
        df_node_nack(node, pd, DF_OUTCOME_NACK_PERMANENT, "enrich processor: malformed %s request",
                     df_signal_name(pd->signal));
    else
        df_node_nack(node, pd, DF_OUTCOME_NACK_TRANSIENT, "enrich processor: out of memory");
}

static void enrich_process(struct df_node *node, void *state, struct df_pdata *pd)
{
    struct enrich *e = state;
    struct df_pb_writer w;
    struct df_attrs_result res;
    df_metric_add(e->items, (double)pd->items);
    df_pb_writer_init(&w);
    int rc = df_attrs_rewrite(&e->rules, pd->signal, pd->data, pd->len, &e->scratch, &w, &res);
    if (rc < 0) {
        df_pb_writer_free(&w);
        fail(node, e, pd, rc);
        return;
    }
    if (!res.changed) {
        df_node_send(node, DF_PORT_DEFAULT, pd);
        return;
    }
    size_t len = w.len;
    if (!len) { /* everything dropped */
        df_pb_writer_free(&w);
        df_node_ack(node, pd);
        return;
    }
    uint64_t items = pd->items;
    if (res.dropped && df_otlp_count(pd->signal, w.buf, len, &items) < 0) {
        df_pb_writer_free(&w);
        fail(node, e, pd, DF_EPARSE);
        return;
    }
    if (!items) {
        df_pb_writer_free(&w);
        df_node_ack(node, pd);
        return;
    }
    uint8_t *buf = df_pb_writer_take(&w, &len);
    struct df_bytes *b = buf ? df_bytes_wrap(buf, len) : NULL;
    if (!b) {
        fail(node, e, pd, DF_ENOMEM);
        return;
    }
    df_pdata_set_bytes(pd, b, len);
    pd->items = items;
    df_node_send(node, DF_PORT_DEFAULT, pd);
}

static void enrich_destroy(struct df_node *node, void *state)
{
    (void)node;
    struct enrich *e = state;
    if (!e)
        return;
    df_attrs_scratch_free(&e->scratch);
    free(e->tag_key);
    free(e->buf);
    free(e->cols);
    free(e);
}

static const struct df_node_ops enrich_ops = {
    .create = enrich_create, .process = enrich_process, .destroy = enrich_destroy};

static const char *const enrich_consumes[] = {DF_DATASET_LOOKUP_NAME, NULL};

DF_REGISTER_NODE(enrich_processor, "urn:otel:processor:enrich", DF_NODE_PROCESSOR,
                 "Adds the columns of a dataset row, looked up by an attribute, as attributes.",
                 "docs/processors/enrich.md", .options = &enrich_table, .consumes = enrich_consumes,
                 .ops = &enrich_ops);
