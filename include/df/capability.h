/* df/capability.h — capability descriptors.
 *
 * A capability is a typed interface defined only by the engine core: a
 * versioned, append-only ops table (declared in df/capabilities/<name>.h)
 * plus documented semantics. This descriptor is its registry entry: the name
 * nodes bind in `capabilities: {<name>: <instance>}`, the ops-table version,
 * and a description for the catalog. Immutable; registered at link time. */
#ifndef DF_CAPABILITY_H
#define DF_CAPABILITY_H

#include <stdint.h>

#include "df/register.h"

struct df_capability_desc {
    const char *name; /* [a-z0-9_]+, unique */
    uint32_t version; /* ops-table version; grows when methods are appended */
    const char *description;
    const char *def_file; /* where it is registered, for duplicate reports */
    int def_line;
};

/* Registers capability `ident` named `name_`. Name and description must be
 * string literals; version must be >= 1. */
#define DF_REGISTER_CAPABILITY(ident, name_, version_, description_)                               \
    DF_REQUIRE_LITERAL(name_, "capability name");                                                  \
    DF_REQUIRE_LITERAL(description_, "capability description");                                    \
    _Static_assert((version_) >= 1, "capability version starts at 1");                             \
    static const struct df_capability_desc ident = {                                               \
        .name = name_,                                                                             \
        .version = (version_),                                                                     \
        .description = description_,                                                               \
        .def_file = __FILE__,                                                                      \
        .def_line = __LINE__,                                                                      \
    };                                                                                             \
    DF_REGISTER_IN("df_capabilities", struct df_capability_desc, ident)

#endif
