/* The config value tree (df/value.h): kind names and mapping lookup. */
#include "df/value.h"

#include <string.h>

const char *df_value_kind_name(enum df_value_kind kind)
{
    switch (kind) {
    case DF_VALUE_NULL:
        return "null";
    case DF_VALUE_SCALAR:
        return "scalar";
    case DF_VALUE_SEQ:
        return "sequence";
    case DF_VALUE_MAP:
        return "mapping";
    }
    return "unknown";
}

const struct df_value *df_value_get(const struct df_value *map, const char *key)
{
    if (!map || !key || map->kind != DF_VALUE_MAP)
        return NULL;
    /* Linear: config mappings are small, and the loader already rejected
     * duplicates, so the first match is the only one. */
    for (size_t i = 0; i < map->u.map.count; i++) {
        const struct df_value_entry *e = &map->u.map.entries[i];
        if (strcmp(e->key, key) == 0)
            return e->value;
    }
    return NULL;
}
