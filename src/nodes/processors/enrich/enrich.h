/* nodes/processors/enrich/enrich.h — processor:enrich's configuration,
 * private to this folder: the structs its option table fills and checks
 * (config.c) and the runtime reads (enrich.c). Read-only once parsed, so any
 * core's thread may read them. */
#ifndef DF_NODES_PROCESSORS_ENRICH_ENRICH_H
#define DF_NODES_PROCESSORS_ENRICH_ENRICH_H

#include "df/options.h"
#include "df/value.h"

enum enrich_from { ENRICH_FROM_RESOURCE_ATTRIBUTE, ENRICH_FROM_ATTRIBUTE };
enum enrich_missing { ENRICH_KEEP, ENRICH_DROP, ENRICH_TAG };
enum enrich_apply { ENRICH_APPLY_RESOURCE, ENRICH_APPLY_RECORD };

struct enrich_key_cfg {
    int from; /* enum enrich_from */
    const char *name;
};

struct enrich_config {
    struct enrich_key_cfg lookup_key;
    const char *prefix; /* NULL: none */
    int on_missing;     /* enum enrich_missing */
    int apply_to;       /* enum enrich_apply */
};

/* Options of processor:enrich, filling a struct enrich_config; the check
 * rejects an empty key name and a lookup_key.from that the apply_to level
 * cannot read. */
extern const struct df_option_table enrich_table;

#endif
