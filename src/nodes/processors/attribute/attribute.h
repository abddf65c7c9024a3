/* nodes/processors/attribute/attribute.h — processor:attribute's
 * configuration, private to this folder: the structs its option table fills
 * and checks (config.c) and the runtime reads (attribute.c). Read-only once
 * parsed, so any core's thread may read them. */
#ifndef DF_NODES_PROCESSORS_ATTRIBUTE_ATTRIBUTE_H
#define DF_NODES_PROCESSORS_ATTRIBUTE_ATTRIBUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "df/options.h"
#include "df/value.h"
#include "otlp/attrs.h"

/* One entry of `actions`. The check fills the literal `value` in: its
 * AnyValue encoding (val, val_len; val_len == 0 when there is none). */
struct attribute_action_cfg {
    int action; /* enum df_attr_op */
    const char *key;
    const struct df_value *value;
    const char *from_attribute;
    const char *from_context; /* "auth.subject", "auth.provider" or "auth.<attribute>" */
    const char *source_key;
    const char *destination_key;
    const struct df_value *src;
};

struct attribute_config {
    struct df_list actions;  /* struct attribute_action_cfg */
    struct df_list apply_to; /* int: 0 signal, 1 resource, 2 scope */
};

/* Options of processor:attribute, filling a struct attribute_config; the
 * per-action check rejects missing or conflicting keys and values that are
 * not scalars. */
extern const struct df_option_table attribute_table;

/* Encodes the literal `value` (a scalar: an unquoted true/false is a bool,
 * an unquoted integer an int, an unquoted number a double, anything else a
 * string) as an AnyValue body into out[cap]. Returns its length, or 0 when
 * it does not fit. */
size_t attribute_encode_value(const struct df_value *value, uint8_t *out, size_t cap);

/* The DF_ATTR_* mask of apply_to. */
unsigned attribute_apply_mask(const struct attribute_config *c);

#endif
