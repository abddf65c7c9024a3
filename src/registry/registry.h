/* registry/registry.h — the link-time component registry.
 *
 * Node types, extension providers and capabilities register themselves
 * with DF_REGISTER_NODE / DF_REGISTER_EXTENSION / DF_REGISTER_CAPABILITY
 * (df/node.h, df/extension.h, df/capability.h). This module walks those
 * linker sections. df_registry_check runs once at start-up, before any
 * lookup: it rejects duplicate URNs or names (naming both definitions),
 * malformed URNs, and extensions implementing or nodes consuming an
 * unregistered capability. Lookups are read-only and thread-safe after that. */
#ifndef DF_REGISTRY_H
#define DF_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>

#include "df/capability.h"
#include "df/error.h"
#include "df/extension.h"
#include "df/node.h"

/* Sets *out to the section's descriptors (in link order) and returns how
 * many there are; they are never NULL. */
size_t df_registry_nodes(const struct df_node_desc *const **out);
size_t df_registry_extensions(const struct df_extension_desc *const **out);
size_t df_registry_capabilities(const struct df_capability_desc *const **out);

/* Checks the registered set (see above). Returns 0 or DF_EINVAL with
 * diagnostics in `d`. */
int df_registry_check(struct df_diags *d);

/* Look-ups by canonical URN (node, extension) or name (capability); NULL
 * when absent. */
const struct df_node_desc *df_registry_find_node(const char *urn);
const struct df_extension_desc *df_registry_find_extension(const char *urn);
const struct df_capability_desc *df_registry_find_capability(const char *name);

/* Returns true when `list` (NULL-terminated, may be NULL) contains `name`. */
bool df_registry_list_has(const char *const *list, const char *name);

#endif
