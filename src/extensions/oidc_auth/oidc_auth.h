/* extensions/oidc_auth/oidc_auth.h — extension:oidc_auth's configuration,
 * shared by its config check (config.c) and its runtime (oidc_auth.c).
 * Private to this folder.
 *
 * One issuer is written at the top level (`issuer_url`, `audience`, ...) or
 * several under `issuers: [{issuer_url, audience, ...}]`, never both; the
 * other options apply to every issuer. Once parsed the config is read-only;
 * any thread may read it. */
#ifndef DF_EXTENSIONS_OIDC_AUTH_OIDC_AUTH_H
#define DF_EXTENSIONS_OIDC_AUTH_OIDC_AUTH_H

#include <stdbool.h>
#include <stdint.h>

#include "df/options.h"
#include "extensions/common/fetch_config.h"

#define OIDC_ISSUERS_MAX 16
#define OIDC_CLAIMS_MAX  16

/* One trusted issuer. */
struct oidc_issuer_config {
    const char *issuer_url;     /* the expected `iss`; discovery base */
    const char *jwks_uri;       /* NULL: from the discovery document */
    const char *audience;       /* required */
    const char *username_claim; /* "sub" */
    const char *groups_claim;   /* NULL: no groups attribute */
    struct df_list claims;      /* const char *: copied into attributes */
};

struct oidc_config {
    struct oidc_issuer_config single;   /* the top-level form */
    struct df_list issuers;             /* struct oidc_issuer_config */
    uint64_t clock_skew;                /* ns */
    uint64_t jwks_refresh_interval;     /* ns */
    uint64_t jwks_min_refresh_interval; /* ns: at most one fetch per issuer per interval */
    uint64_t fetch_timeout;             /* ns */
    int64_t max_identities;             /* per core */
    int64_t cache_size;                 /* verified tokens per core; 0 = no cache */
    struct ext_tls_config tls;
};

/* Counters of one core's view, its first member (so `self` points at
 * them): plain fields written by that core only. For tests. */
struct oidc_view_stats {
    uint64_t cache_hits; /* allowed from the cache, without verification */
    uint64_t verified;   /* signature verifications made */
};

/* The option table of `config:`. */
extern const struct df_option_table oidc_table;

/* The issuers in force: `issuers`' entries, or the top-level one. */
static inline size_t oidc_issuer_count(const struct oidc_config *c)
{
    return c->issuers.count ? c->issuers.count : 1;
}

static inline const struct oidc_issuer_config *oidc_issuer_at(const struct oidc_config *c, size_t i)
{
    return c->issuers.count ? DF_LIST_AT(c->issuers, struct oidc_issuer_config, i) : &c->single;
}

#endif
