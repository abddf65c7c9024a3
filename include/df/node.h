/* df/node.h — node (receiver, processor, exporter) descriptors.
 *
 * A node type is a `static const struct df_node_desc` registered at link
 * time with DF_REGISTER_NODE. The descriptor carries the metadata the
 * catalog and the config validator need — canonical URN, kind, description,
 * documentation URL, the option table of its `config:`, the capabilities it
 * can consume — and, from the runtime on, its hooks. Descriptors are
 * immutable; per-instance state belongs to the runtime. */
#ifndef DF_NODE_H
#define DF_NODE_H

#include "df/options.h"
#include "df/register.h"

#define DF_NODE_KINDS(X)                                                                           \
    X(DF_NODE_RECEIVER, "receiver")                                                                \
    X(DF_NODE_PROCESSOR, "processor")                                                              \
    X(DF_NODE_EXPORTER, "exporter")

enum df_node_kind {
#define DF_NODE_KIND_ENUM(name, text) name,
    DF_NODE_KINDS(DF_NODE_KIND_ENUM)
#undef DF_NODE_KIND_ENUM
};

/* Returns "receiver", "processor" or "exporter". */
const char *df_node_kind_name(enum df_node_kind kind);

struct df_node_desc {
    const char *urn; /* canonical: urn:<namespace>:<kind>:<id> */
    enum df_node_kind kind;
    const char *description;
    const char *documentation_url;
    const struct df_option_table *options; /* its `config:`; NULL = no keys */
    const char *const *consumes;           /* capabilities it can bind, NULL-terminated */
    const char *def_file;                  /* where it is registered */
    int def_line;
};

/* Registers node type `ident`. URN, description and documentation URL must
 * be non-empty string literals (checked at compile time); the URN's form and
 * kind are checked by the registry at start-up and by a unit test. Further
 * fields (.options, .consumes) follow as designated initialisers. */
#define DF_REGISTER_NODE(ident, urn_, kind_, description_, doc_url_, ...)                          \
    DF_REQUIRE_LITERAL(urn_, "node URN");                                                          \
    DF_REQUIRE_LITERAL(description_, "node description");                                          \
    DF_REQUIRE_LITERAL(doc_url_, "node documentation URL");                                        \
    static const struct df_node_desc ident = {.urn = urn_,                                         \
                                              .kind = (kind_),                                     \
                                              .description = description_,                         \
                                              .documentation_url = doc_url_,                       \
                                              .def_file = __FILE__,                                \
                                              .def_line = __LINE__,                                \
                                              __VA_ARGS__};                                        \
    DF_REGISTER_IN("df_nodes", struct df_node_desc, ident)

#endif
