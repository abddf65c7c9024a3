/* Component type URNs (config/urn.h). */
#include "config/urn.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "df/error.h"

const char *df_urn_kind_name(enum df_urn_kind kind)
{
    switch (kind) {
#define DF_URN_KIND_CASE(name, text)                                                               \
    case name:                                                                                     \
        return text;
        DF_URN_KINDS(DF_URN_KIND_CASE)
#undef DF_URN_KIND_CASE
    }
    return "?";
}

static bool valid_segment(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

int df_urn_parse(const char *raw, unsigned accepted, struct df_urn *out, char *err, size_t errlen,
                 char *hint, size_t hintlen)
{
    hint[0] = '\0';
    const char *seg[5];
    size_t len[5];
    size_t n = 0;
    const char *p = raw;
    for (;;) {
        const char *colon = strchr(p, ':');
        if (n == 5) {
            n++;
            break;
        }
        seg[n] = p;
        len[n] = colon ? (size_t)(colon - p) : strlen(p);
        n++;
        if (!colon)
            break;
        p = colon + 1;
    }
    const char *ns = "otel", *kind, *id;
    size_t ns_len = 4, kind_len, id_len;
    if (n == 2) {
        kind = seg[0], kind_len = len[0];
        id = seg[1], id_len = len[1];
    } else if (n == 4) {
        if (len[0] != 3 || strncasecmp(seg[0], "urn", 3)) {
            snprintf(err, errlen, "invalid type '%s': the scheme must be 'urn'", raw);
            return DF_EINVAL;
        }
        ns = seg[1], ns_len = len[1];
        kind = seg[2], kind_len = len[2];
        id = seg[3], id_len = len[3];
    } else {
        snprintf(err, errlen,
                 "invalid type '%s': expected urn:<namespace>:<kind>:<id> or <kind>:<id>", raw);
        return DF_EINVAL;
    }
    char nsbuf[64];
    if (ns_len >= sizeof nsbuf) {
        snprintf(err, errlen, "invalid type '%s': namespace too long", raw);
        return DF_EINVAL;
    }
    for (size_t i = 0; i < ns_len; i++)
        nsbuf[i] = (char)((ns[i] >= 'A' && ns[i] <= 'Z') ? ns[i] - 'A' + 'a' : ns[i]);
    nsbuf[ns_len] = '\0';
    if (!valid_segment(nsbuf, ns_len)) {
        snprintf(err, errlen, "invalid type '%s': namespace '%s' must match [a-z0-9._-]+", raw,
                 nsbuf);
        return DF_EINVAL;
    }
    int k = -1;
    for (int i = 0; i <= DF_URN_EXTENSION; i++) {
        const char *name = df_urn_kind_name((enum df_urn_kind)i);
        if (strlen(name) == kind_len && !strncasecmp(name, kind, kind_len))
            k = i;
    }
    if (k < 0) {
        snprintf(err, errlen,
                 "invalid type '%s': unknown kind '%.*s' (expected receiver, processor, exporter "
                 "or extension)",
                 raw, (int)kind_len, kind);
        return DF_EINVAL;
    }
    if (!(accepted & (1u << k))) {
        bool node_section = accepted & DF_URN_NODE_KINDS;
        snprintf(err, errlen, "'%s' is %s %s, which does not belong under %s", raw,
                 (k == DF_URN_EXTENSION || k == DF_URN_EXPORTER) ? "an" : "a",
                 df_urn_kind_name((enum df_urn_kind)k), node_section ? "nodes:" : "extensions:");
        snprintf(hint, hintlen, "declare it under %s instead",
                 node_section ? "the pipeline's extensions:" : "the pipeline's nodes:");
        return DF_EINVAL;
    }
    if (!valid_segment(id, id_len)) {
        snprintf(err, errlen, "invalid type '%s': id '%.*s' must match [a-z0-9._-]+", raw,
                 (int)id_len, id);
        return DF_EINVAL;
    }
    int w = snprintf(out->canonical, sizeof out->canonical, "urn:%s:%s:%.*s", nsbuf,
                     df_urn_kind_name((enum df_urn_kind)k), (int)id_len, id);
    if (w < 0 || (size_t)w >= sizeof out->canonical) {
        snprintf(err, errlen, "invalid type '%s': too long", raw);
        return DF_EINVAL;
    }
    out->kind = (enum df_urn_kind)k;
    return 0;
}
