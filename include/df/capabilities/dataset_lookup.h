/* df/capabilities/dataset_lookup.h — looking a key up in an external
 * dataset (a file, a database table) to enrich telemetry.
 *
 * Semantics every provider keeps: a lookup reads a consistent snapshot of
 * the dataset (the rows of one load, never a mix of two), never blocks and
 * never performs I/O (a background task loads new snapshots); a row stays
 * valid until the next call through the same handle on the same core.
 * A provider that has no snapshot yet answers error, not "not found".
 *
 * Version 1: lookup. */
#ifndef DF_CAPABILITIES_DATASET_LOOKUP_H
#define DF_CAPABILITIES_DATASET_LOOKUP_H

#include <stddef.h>
#include <stdint.h>

#include "df/capability.h"

#define DF_DATASET_LOOKUP_NAME    "dataset_lookup"
#define DF_DATASET_LOOKUP_VERSION 1

/* Outcomes, in the order of the capability's `outcomes` labels. */
enum df_dataset_outcome { DF_DATASET_FOUND, DF_DATASET_NOT_FOUND, DF_DATASET_ERROR };

/* One attribute of a row; strings are NUL-terminated. */
struct df_dataset_attr {
    const char *key;
    const char *value;
};

struct df_dataset_row {
    const struct df_dataset_attr *attrs;
    size_t nattrs;
    uint64_t snapshot; /* which load the row comes from (grows with each load) */
};

struct df_dataset_lookup_ops {
    /* v1. Looks `key` (`len` bytes) up; fills *row when found. */
    enum df_dataset_outcome (*lookup)(void *self, const char *key, size_t len,
                                      struct df_dataset_row *row);
};

struct df_dataset_lookup {
    const struct df_dataset_lookup_ops *ops;
    struct df_cap_binding *b;
};

DF_CAP_CLAIMS(df_dataset_lookup, struct df_dataset_lookup, DF_DATASET_LOOKUP_NAME)

static inline enum df_dataset_outcome df_dataset_lookup_call(struct df_dataset_lookup h,
                                                             const char *key, size_t len,
                                                             struct df_dataset_row *row)
{
    *row = (struct df_dataset_row){0};
    enum df_dataset_outcome o = h.ops->lookup(h.b->self, key, len, row);
    if ((unsigned)o > DF_DATASET_ERROR)
        o = DF_DATASET_ERROR;
    df_cap_count(h.b, o);
    return o;
}

#endif
