/* df/value.h — the config value tree.
 *
 * A YAML or JSON document is loaded into a tree of df_value nodes, each with
 * the file:line:col it came from. Scalars keep their text: whether `8080` is
 * an integer or a string is decided by the option table that reads it
 * (df/options.h), not by the loader. `${env:...}` substitution has already
 * been applied to scalar text. The tree is immutable once loaded and lives in
 * the arena given to the loader. */
#ifndef DF_VALUE_H
#define DF_VALUE_H

#include <stdbool.h>
#include <stddef.h>

#include "df/error.h"

enum df_value_kind {
    DF_VALUE_NULL,   /* `~`, `null`, an empty plain scalar, or a missing value */
    DF_VALUE_SCALAR, /* any other scalar, as text */
    DF_VALUE_SEQ,    /* a sequence */
    DF_VALUE_MAP,    /* a mapping with unique scalar keys, in document order */
};

struct df_value;

struct df_value_entry {
    const char *key;         /* NUL-terminated key text */
    struct df_mark key_mark; /* where the key is written */
    struct df_value *value;  /* never NULL */
};

struct df_value {
    enum df_value_kind kind;
    struct df_mark mark;
    union {
        struct {
            const char *text; /* NUL-terminated, after env substitution */
            size_t len;
            bool quoted; /* written with ' or " (or a block scalar) */
        } scalar;
        struct {
            struct df_value **items;
            size_t count;
        } seq;
        struct {
            struct df_value_entry *entries;
            size_t count;
        } map;
    } u;
};

/* Returns the kind name for messages: "null", "scalar", "sequence", "mapping". */
const char *df_value_kind_name(enum df_value_kind kind);

/* Looks a key up in a mapping; NULL when `map` is not a mapping or lacks it. */
const struct df_value *df_value_get(const struct df_value *map, const char *key);

#endif
