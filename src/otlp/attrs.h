/* otlp/attrs.h — streaming attribute rewrites of OTLP export requests.
 *
 * A rule set is an ordered list of actions (insert, update, upsert, delete,
 * hash, rename) applied to the attribute lists it targets: the records' own
 * (log records, spans, metric data points of every kind), the resources'
 * and/or the instrumentation scopes'. The rewrite walks the request with the
 * wire reader and never decodes records into objects: a message none of whose
 * attribute lists changes is copied as one span of bytes; a changed message
 * is re-encoded with its untouched fields copied as they are and its new
 * attribute list appended, and each of its ancestors is rebuilt around it
 * (their length prefixes change) with their untouched siblings copied whole.
 * Nothing is written until the first change, so a request no action touches
 * costs one read and no copy.
 *
 * Semantics follow the OpenTelemetry Collector's attributes processor:
 *   insert  adds key = value when the key is absent;
 *   update  sets the value of every entry with the key, when present;
 *   upsert  update when present, insert otherwise;
 *   delete  removes every entry with the key;
 *   hash    replaces the value of every entry with the key by the lowercase
 *           hex SHA-256 of the value's string form (a string as it is, an int
 *           in decimal, a double in shortest round-trip form, a bool as
 *           true/false, bytes as they are, an array or map as its protobuf
 *           encoding);
 *   rename  when source_key is present: removes every destination_key entry
 *           and every source_key entry, and adds destination_key with the
 *           first source_key entry's value.
 * insert/update/upsert take either a literal value or the value of another
 * attribute of the same list (`from`, skipped when that one is absent).
 *
 * Validation: the walk checks the framing and wire types of every message it
 * descends into and returns DF_EPARSE when they are wrong; messages it does
 * not descend into (bodies, events, buckets, messages above no targeted
 * list) are copied unchecked. Receivers validate what they admit
 * (df_otlp_count), and for a request df_otlp_count accepts the output is
 * accepted too, with the same item count (fewer when a hook drops).
 *
 * A rule set is immutable once built and may be shared by every thread; a
 * struct df_attrs_scratch belongs to one thread. */
#ifndef DF_OTLP_ATTRS_H
#define DF_OTLP_ATTRS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "df/signal.h"
#include "otlp/wire.h"

#define DF_ATTR_OPS(X)                                                                             \
    X(DF_ATTR_INSERT, "insert")                                                                    \
    X(DF_ATTR_UPDATE, "update")                                                                    \
    X(DF_ATTR_UPSERT, "upsert")                                                                    \
    X(DF_ATTR_DELETE, "delete")                                                                    \
    X(DF_ATTR_HASH, "hash")                                                                        \
    X(DF_ATTR_RENAME, "rename")

enum df_attr_op {
#define DF_ATTR_OP_ENUM(name, text) name,
    DF_ATTR_OPS(DF_ATTR_OP_ENUM)
#undef DF_ATTR_OP_ENUM
};

/* NULL-terminated names, in enum order ("insert", ...). */
extern const char *const df_attr_op_names[];

/* Which attribute lists a rule set applies to (bit mask). */
enum {
    DF_ATTR_SIGNAL = 1u << 0,   /* log records, spans, metric data points */
    DF_ATTR_RESOURCE = 1u << 1, /* Resource.attributes */
    DF_ATTR_SCOPE = 1u << 2,    /* InstrumentationScope.attributes */
};

/* One action. Strings are not NUL-terminated (pointer + length) and must
 * outlive the rule set. */
struct df_attr_action {
    enum df_attr_op op;
    const char *key; /* the key; rename: source_key */
    size_t key_len;
    const char *to; /* rename: destination_key; insert/update/upsert: `from` attribute, or NULL */
    size_t to_len;
    /* insert/update/upsert without `from`: the AnyValue message body to set
     * (df_attr_value_* encode one). */
    const uint8_t *value;
    size_t value_len;
};

struct df_attrs_list;

/* A per-list hook, run on every targeted attribute list after the actions:
 * it reads the list (df_attrs_list_find) and may upsert entries
 * (df_attrs_list_upsert). `which` is the DF_ATTR_* bit of the list. Returns
 * 0 to keep the list's owner, DF_ATTRS_DROP to drop it (a record is removed;
 * for a resource or scope list its ResourceX / ScopeX container is removed),
 * or a negative error that ends the rewrite. Containers left without records
 * by drops are removed, as otlp/filter.h does. It is also called with
 * `which` 0 and a NULL list (its return then 0 or an error) as each
 * ResourceX begins, before its resource and records; a ResourceX without
 * a Resource message is shown to the hook (resource lists targeted) as an
 * empty resource list after its scopes, and what the hook adds goes into a
 * Resource appended to it (the actions do not run on it). State kept from a
 * resource's list for its records is reset there. Lists are seen in wire
 * order (the resource before its scopes when it is encoded first, as
 * serializers do). Runs on the rewriting thread. */
#define DF_ATTRS_DROP 1
struct df_attrs_hook {
    int (*fn)(void *arg, unsigned which, struct df_attrs_list *list);
    void *arg;
};

struct df_attrs {
    const struct df_attr_action *actions;
    size_t count;
    unsigned apply_to;                /* DF_ATTR_* bits */
    const struct df_attrs_hook *hook; /* NULL: none */
};

/* For hooks: finds the first entry with key [key, klen) and gives its
 * AnyValue body (*val NULL when it has none). Returns whether it exists. */
bool df_attrs_list_find(const struct df_attrs_list *l, const char *key, size_t klen,
                        const uint8_t **val, size_t *vlen);

/* For hooks: sets key [key, klen) to the AnyValue body [val, vlen): the
 * first entry with the key takes the value (unchanged when already equal),
 * later entries with it are removed, and it is appended when absent. The key
 * and value bytes must stay valid until the hook returns and the list is
 * written, i.e. until the next hook call. Returns 0 or DF_ENOMEM. */
int df_attrs_list_upsert(struct df_attrs_list *l, const char *key, size_t klen, const uint8_t *val,
                         size_t vlen);

/* AnyValue encodings for literal values: write into out[] (at least
 * DF_ATTR_VALUE_MAX bytes, or 2 + 10 + len for a string) and return the
 * length. */
#define DF_ATTR_VALUE_MAX 16
size_t df_attr_value_int(uint8_t *out, int64_t v);
size_t df_attr_value_double(uint8_t *out, double v);
size_t df_attr_value_bool(uint8_t *out, bool v);
size_t df_attr_value_string(uint8_t *out, const char *s, size_t len);

/* Reusable per-thread working memory of df_attrs_rewrite (grows to the
 * largest attribute list seen; no allocation per record after that), and
 * the output-to-input size ratio of its last rewrite that changed
 * something, which sizes the next output buffer at once instead of growing
 * it by doubling (each step a copy). Zero it to initialise; release with
 * df_attrs_scratch_free. */
struct df_attrs_scratch {
    struct df_attrs_ent *ents;
    size_t cap;
    uint32_t ratio; /* output bytes per 1024 input bytes; 0: none yet */
};
void df_attrs_scratch_free(struct df_attrs_scratch *s);

/* What one rewrite did. */
struct df_attrs_result {
    bool changed;      /* false: `out` is untouched; the input stands as it is */
    uint64_t modified; /* records (and resources/scopes) whose attributes changed */
    uint64_t dropped;  /* attribute owners a hook dropped */
};

/* Rewrites request `in[0..len)` of `signal` with `rules`, appending the new
 * request to `out` when anything changed (res->changed), and writing nothing
 * to `out` otherwise. Returns 0; DF_EPARSE for malformed input, DF_EINVAL
 * for an unknown signal, DF_ENOMEM on exhaustion (in every error case `out`
 * may hold a partial write the caller discards). Any thread, with its own
 * scratch and writer. */
int df_attrs_rewrite(const struct df_attrs *rules, enum df_signal signal, const uint8_t *in,
                     size_t len, struct df_attrs_scratch *scratch, struct df_pb_writer *out,
                     struct df_attrs_result *res);

#endif
