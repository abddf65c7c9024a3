/* df/extension.h — extension provider descriptors.
 *
 * An extension provider implements one or more capabilities
 * (df/capability.h). Its descriptor states, besides the catalog metadata,
 * the execution model it was written for — `local` (one instance per core,
 * touched only by that core) or `shared` (one instance for the scope, its ops
 * thread-safe) — and its lifecycle: `passive` (capabilities, no task),
 * `active` (capabilities and a background task) or `background` (a task, no
 * capabilities). Immutable; registered at link time with
 * DF_REGISTER_EXTENSION. */
#ifndef DF_EXTENSION_H
#define DF_EXTENSION_H

#include "df/options.h"
#include "df/register.h"

#define DF_EXEC_MODELS(X)                                                                          \
    X(DF_EXEC_LOCAL, "local")                                                                      \
    X(DF_EXEC_SHARED, "shared")

enum df_exec_model {
#define DF_EXEC_MODEL_ENUM(name, text) name,
    DF_EXEC_MODELS(DF_EXEC_MODEL_ENUM)
#undef DF_EXEC_MODEL_ENUM
};

#define DF_LIFECYCLES(X)                                                                           \
    X(DF_LIFECYCLE_PASSIVE, "passive")                                                             \
    X(DF_LIFECYCLE_ACTIVE, "active")                                                               \
    X(DF_LIFECYCLE_BACKGROUND, "background")

enum df_lifecycle {
#define DF_LIFECYCLE_ENUM(name, text) name,
    DF_LIFECYCLES(DF_LIFECYCLE_ENUM)
#undef DF_LIFECYCLE_ENUM
};

const char *df_exec_model_name(enum df_exec_model m);
const char *df_lifecycle_name(enum df_lifecycle l);

struct df_extension_desc {
    const char *urn; /* canonical: urn:<namespace>:extension:<id> */
    const char *description;
    const char *documentation_url;
    enum df_exec_model exec_model;
    enum df_lifecycle lifecycle;
    const char *const *capabilities;       /* implemented, NULL-terminated */
    const struct df_option_table *options; /* its `config:`; NULL = no keys */
    const char *def_file;
    int def_line;
};

/* Registers provider `ident`; URN, description and documentation URL must
 * be non-empty string literals. Further fields (.capabilities, .options)
 * follow as designated initialisers. */
#define DF_REGISTER_EXTENSION(ident, urn_, description_, doc_url_, exec_model_, lifecycle_, ...)   \
    DF_REQUIRE_LITERAL(urn_, "extension URN");                                                     \
    DF_REQUIRE_LITERAL(description_, "extension description");                                     \
    DF_REQUIRE_LITERAL(doc_url_, "extension documentation URL");                                   \
    static const struct df_extension_desc ident = {.urn = urn_,                                    \
                                                   .description = description_,                    \
                                                   .documentation_url = doc_url_,                  \
                                                   .exec_model = (exec_model_),                    \
                                                   .lifecycle = (lifecycle_),                      \
                                                   .def_file = __FILE__,                           \
                                                   .def_line = __LINE__,                           \
                                                   __VA_ARGS__};                                   \
    DF_REGISTER_IN("df_extensions", struct df_extension_desc, ident)

#endif
