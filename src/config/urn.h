/* config/urn.h — component type URNs.
 *
 * A type is written `urn:<namespace>:<kind>:<id>` or, for the otel
 * namespace, `<kind>:<id>`. Kinds are receiver, processor, exporter and
 * extension; namespace and id segments match [a-z0-9._-]+ (the scheme, the
 * namespace and the kind are case-insensitive and lower-cased). Parsing
 * yields the canonical form `urn:<namespace>:<kind>:<id>`. */
#ifndef DF_CONFIG_URN_H
#define DF_CONFIG_URN_H

#include <stddef.h>

#define DF_URN_KINDS(X)                                                                            \
    X(DF_URN_RECEIVER, "receiver")                                                                 \
    X(DF_URN_PROCESSOR, "processor")                                                               \
    X(DF_URN_EXPORTER, "exporter")                                                                 \
    X(DF_URN_EXTENSION, "extension")

enum df_urn_kind {
#define DF_URN_KIND_ENUM(name, text) name,
    DF_URN_KINDS(DF_URN_KIND_ENUM)
#undef DF_URN_KIND_ENUM
};

#define DF_URN_NODE_KINDS                                                                          \
    ((1u << DF_URN_RECEIVER) | (1u << DF_URN_PROCESSOR) | (1u << DF_URN_EXPORTER))
#define DF_URN_EXTENSION_KINDS (1u << DF_URN_EXTENSION)

#define DF_URN_MAX 192

struct df_urn {
    enum df_urn_kind kind;
    char canonical[DF_URN_MAX]; /* urn:<namespace>:<kind>:<id> */
};

const char *df_urn_kind_name(enum df_urn_kind kind);

/* Parses `raw` accepting the kinds in the `accepted` bit mask. Returns 0, or
 * DF_EINVAL with a reason in err[errlen] and, when the kind belongs to the
 * other section (a node URN under extensions: or the reverse), a hint in
 * hint[hintlen] (else hint is ""). */
int df_urn_parse(const char *raw, unsigned accepted, struct df_urn *out, char *err, size_t errlen,
                 char *hint, size_t hintlen);

#endif
