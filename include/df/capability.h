/* df/capability.h — capability descriptors.
 *
 * A capability is a typed interface defined only by the engine core: a
 * versioned, append-only ops table (declared in df/capabilities/<name>.h)
 * plus documented semantics. This descriptor is its registry entry: the name
 * nodes bind in `capabilities: {<name>: <instance>}`, the ops-table version,
 * its methods and the outcomes its calls are counted by, for the catalog and
 * the metrics. Immutable; registered at link time.
 *
 * Versioning: an ops table only grows (methods are appended, never changed
 * or removed), and its version counts the methods. A provider declares the
 * version it implements; a node asks for the least version whose methods it
 * calls, and binding fails when the provider's is older. Nothing here
 * assumes a method is synchronous: an asynchronous method (a completion
 * callback on the caller's loop) is a method like any other. */
#ifndef DF_CAPABILITY_H
#define DF_CAPABILITY_H

#include <stdint.h>

#include "df/error.h"
#include "df/register.h"

/* How many outcomes a capability may count per call (allow, deny, error...). */
#define DF_CAP_OUTCOMES_MAX 4

struct df_capability_desc {
    const char *name; /* [a-z0-9_]+, unique */
    uint32_t version; /* ops-table version; grows when methods are appended */
    const char *description;
    const char *const *methods;  /* "name(args) -> result: meaning", NULL-terminated */
    const char *const *outcomes; /* labels of df_extension_calls_total, NULL-terminated */
    const char *def_file;        /* where it is registered, for duplicate reports */
    int def_line;
};

/* Registers capability `ident` named `name_`. Name and description must be
 * string literals; version must be >= 1. .methods and .outcomes follow as
 * designated initialisers. */
#define DF_REGISTER_CAPABILITY(ident, name_, version_, description_, ...)                          \
    DF_REQUIRE_LITERAL(name_, "capability name");                                                  \
    DF_REQUIRE_LITERAL(description_, "capability description");                                    \
    _Static_assert((version_) >= 1, "capability version starts at 1");                             \
    static const struct df_capability_desc ident = {.name = name_,                                 \
                                                    .version = (version_),                         \
                                                    .description = description_,                   \
                                                    .def_file = __FILE__,                          \
                                                    .def_line = __LINE__,                          \
                                                    __VA_ARGS__};                                  \
    DF_REGISTER_IN("df_capabilities", struct df_capability_desc, ident)

/* ---- handles ------------------------------------------------------------
 *
 * What a node holds for a bound capability: the provider's ops table and the
 * runtime's binding record, two words resolved once when the node is
 * created (df_capability_require, df/node.h). A call is an indirect call
 * through `ops` with `b->self`, plus one non-atomic counter bump; there is
 * no lookup, lock or atomic read-modify-write on the way. Each capability
 * header wraps this in a typed handle and typed call functions.
 *
 * The binding record belongs to one (node instance, capability) on one core
 * and is written only by that core's thread; the metrics exposition reads
 * the counters with relaxed loads. */
struct df_cap_binding {
    void *self; /* the provider's object for this core (see df/extension.h) */
    uint64_t calls[DF_CAP_OUTCOMES_MAX];
};

struct df_cap {
    const void *ops;
    struct df_cap_binding *b;
};

struct df_node;

/* Claims the handle of capability `name` that the node's config binds
 * (`capabilities: {<name>: <extension>}`), for a node type that lists `name`
 * in its `consumes`. Only from the node's create hook, once per capability
 * per node. The bound provider must implement at least `min_version`.
 * Returns 0 and fills *h; otherwise a negative code with `err` saying why
 * (naming node, capability and extension): DF_ENOENT nothing is bound,
 * DF_EEXIST claimed before, DF_ERANGE the provider's version is older,
 * DF_EINVAL outside create or a capability the type does not consume. */
int df_capability_require(struct df_node *node, const char *name, uint32_t min_version,
                          struct df_cap *h, struct df_error *err);

/* As df_capability_require, but returns 0 with h->ops == NULL when the
 * config binds nothing to `name`. */
int df_capability_optional(struct df_node *node, const char *name, uint32_t min_version,
                           struct df_cap *h, struct df_error *err);

/* Defines the typed claims `<fn>_require` and `<fn>_optional` of a
 * capability whose handle type is `type` (an {ops, b} pair). */
#define DF_CAP_CLAIMS(fn, type, name_)                                                             \
    static inline int fn##_require(struct df_node *node, uint32_t min_version, type *h,            \
                                   struct df_error *err)                                           \
    {                                                                                              \
        struct df_cap c = {0};                                                                     \
        int rc = df_capability_require(node, name_, min_version, &c, err);                         \
        h->ops = c.ops;                                                                            \
        h->b = c.b;                                                                                \
        return rc;                                                                                 \
    }                                                                                              \
    static inline int fn##_optional(struct df_node *node, uint32_t min_version, type *h,           \
                                    struct df_error *err)                                          \
    {                                                                                              \
        struct df_cap c = {0};                                                                     \
        int rc = df_capability_optional(node, name_, min_version, &c, err);                        \
        h->ops = c.ops;                                                                            \
        h->b = c.b;                                                                                \
        return rc;                                                                                 \
    }

/* Counts one call with outcome index `o` (< DF_CAP_OUTCOMES_MAX). */
static inline void df_cap_count(struct df_cap_binding *b, unsigned o)
{
    __atomic_store_n(&b->calls[o], __atomic_load_n(&b->calls[o], __ATOMIC_RELAXED) + 1,
                     __ATOMIC_RELAXED);
}

#endif
