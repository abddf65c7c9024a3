/* registry/catalog.h — `df_engine catalog`: the registered components.
 *
 * Writes every capability, extension provider and node type the binary
 * contains, sorted by name, with its metadata: a capability with its
 * version, semantics, methods and outcomes, the node types that consume it
 * and the providers that implement it (with the version each fills); a
 * provider with the capabilities and versions it implements, its execution
 * model, lifecycle and readiness gate; providers and nodes with a config
 * reference generated from their option tables. The JSON form only adds
 * keys between releases. The markdown form is committed as docs/catalog.md
 * (a test fails when it is stale). Main thread only. */
#ifndef DF_REGISTRY_CATALOG_H
#define DF_REGISTRY_CATALOG_H

#include <stdio.h>

#define DF_CATALOG_FORMATS(X)                                                                      \
    X(DF_CATALOG_TEXT, "text")                                                                     \
    X(DF_CATALOG_JSON, "json")                                                                     \
    X(DF_CATALOG_MARKDOWN, "markdown")

enum df_catalog_format {
#define DF_CATALOG_FORMAT_ENUM(name, text) name,
    DF_CATALOG_FORMATS(DF_CATALOG_FORMAT_ENUM)
#undef DF_CATALOG_FORMAT_ENUM
};

/* Parses a format name; returns 0 or DF_EINVAL. */
int df_catalog_format_parse(const char *name, enum df_catalog_format *out);

/* Writes the catalog. Returns 0, or DF_EIO / DF_ENOMEM. */
int df_catalog_write(FILE *out, enum df_catalog_format fmt);

#endif
