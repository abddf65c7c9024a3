/* extensions/oidc_auth/oidc_auth.c — extension:oidc_auth
 * (urn:otel:extension:oidc_auth).
 *
 * Accepts requests whose `Authorization: Bearer <JWT>` carries a token
 * signed by a trusted OpenID Connect issuer, for the configured audience,
 * and currently valid (auth_check). Shared: one instance per pipeline,
 * called from every core at once through per-core views made by attach.
 *
 * State. Each issuer's key set (jwt.h) is immutable and published through
 * the issuer's snapshot cell; each core reads it through its own
 * df_snapshot_view: a relaxed load per call, no lock. A new version is
 * published only when the JWKS document changed, with a new generation.
 *
 * Background task (control thread). Per issuer: discovery (GET
 * <issuer_url>/.well-known/openid-configuration, whose `issuer` must equal
 * issuer_url, giving `jwks_uri`) unless jwks_uri is configured, then the
 * JWKS, with df_extension_fetch; again every jwks_refresh_interval. Until
 * every issuer's keys loaded the instance is not ready; a failure of that
 * first load fails the instance with a message naming the URL. Later
 * failures keep the keys in force (a failed refresh is counted, and tried
 * again after jwks_min_refresh_interval).
 *
 * Unknown kids. A token naming a key its issuer's set lacks is denied, and
 * asks for a refresh: the core sets the issuer's `want` flag and posts to
 * the control loop through one uv_async (libuv coalesces the posts). The
 * control thread fetches at most once per jwks_min_refresh_interval per
 * issuer, however many such tokens arrive; the new key then serves the
 * following requests.
 *
 * Per-core state (the view, touched only by its core): the token cache and
 * the identity table. The cache is a direct-mapped table of `cache_size`
 * entries keyed by the SHA-256 of the token; an entry holds the token's
 * exp, its issuer and the generation of the key set that verified it, so a
 * hit (re-checked against exp, and void once the issuer's keys changed)
 * skips parsing and signature verification. Identities are interned by
 * content in a per-core table bounded by max_identities and freed only when
 * the instance is destroyed, since pdata keep the pointer (auth_check.h);
 * views are kept after detach for that reason. A table that is full fails
 * closed (error): dropping identities would break that contract, and
 * accepting anonymously would lose who sent the data.
 *
 * Details (for the log) name the reason of a denial and never the token. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <uv.h>

#include "df/capabilities/auth_check.h"
#include "df/extension.h"
#include "extensions/oidc_auth/jwt.h"
#include "extensions/oidc_auth/oidc_auth.h"

#define DIGEST_LEN     32
#define IDENTITY_MAX   8192 /* the text of one identity */
#define ATTRS_MAX      (1 + OIDC_CLAIMS_MAX)
#define NS_PER_S       1000000000ull
#define DISCOVERY_PATH "/.well-known/openid-configuration"
#define WWW_AUTH       "Bearer"

struct oidc;

struct issuer {
    struct oidc *o;
    const struct oidc_issuer_config *c;
    char *discovery_url; /* NULL when jwks_uri is configured */
    struct df_snapshot *cell;
    int want; /* a core asked for a refresh (atomic) */
    /* Control thread only. */
    char *jwks_url; /* configured, or the discovery document's */
    bool loaded, inflight, again;
    uint64_t last_fetch_ns; /* when the latest fetch began (uv_hrtime) */
    uint64_t due_ns;        /* the next fetch */
    uint64_t gen;
    unsigned char doc_digest[DIGEST_LEN]; /* of the JWKS in force */
};

struct oidc {
    struct df_extension *ext;
    const struct oidc_config *c;
    EVP_MD *sha256;
    size_t n;
    struct issuer *iss;
    struct df_ext_timer *timer;
    uv_async_t async;
    bool async_open; /* async may be sent to (atomic) */
    /* Control thread only. */
    bool stopping, ready, async_init;
    /* Views, attached or detached (their identities live until destroy). */
    pthread_mutex_t lock;
    struct view *views;
};

struct cache_entry {
    unsigned char digest[DIGEST_LEN];
    int64_t exp;
    uint64_t gen;
    size_t issuer;
    const struct df_identity *id; /* NULL: empty */
};

/* One interned identity; `key` (the identity's text) follows the attrs. */
struct interned {
    uint64_t hash;
    size_t len;
    struct df_identity id;
    struct df_identity_attr attrs[];
};

/* The per-core `self`. */
struct view {
    struct oidc_view_stats stats; /* first: see oidc_auth.h */
    struct oidc *o;
    struct view *next;
    struct df_snapshot_view *ks; /* per issuer */
    EVP_MD_CTX *md;              /* token digests, and signature checks (jwt.h) */
    struct cache_entry *cache;
    size_t cache_mask;
    struct interned **ids; /* open addressing */
    size_t ids_cap, ids_count;
    uint64_t seed;
    char scratch[IDENTITY_MAX];
};

/* ---- background: fetching keys ------------------------------------------- */

static void fetch_keys(struct issuer *is);

static void reschedule(struct oidc *o)
{
    if (o->stopping)
        return;
    uint64_t now = uv_hrtime(), due = UINT64_MAX;
    for (size_t i = 0; i < o->n; i++) {
        if (!o->iss[i].inflight && o->iss[i].due_ns < due)
            due = o->iss[i].due_ns;
    }
    if (due == UINT64_MAX)
        return;
    df_ext_timer_start(o->timer, due > now ? due - now : 0, 0);
}

static void on_timer(struct df_extension *ext, void *state)
{
    struct oidc *o = state;
    uint64_t now = uv_hrtime();
    for (size_t i = 0; i < o->n; i++) {
        if (!o->iss[i].inflight && o->iss[i].due_ns <= now)
            fetch_keys(&o->iss[i]);
    }
    reschedule(o);
}

/* A refresh was asked for (an unknown kid): as soon as the rate limit
 * allows. */
static void request_refresh(struct issuer *is)
{
    if (is->inflight) {
        is->again = true;
        return;
    }
    uint64_t earliest = is->last_fetch_ns + is->o->c->jwks_min_refresh_interval;
    if (earliest < is->due_ns)
        is->due_ns = earliest;
}

static void on_async(uv_async_t *h)
{
    struct oidc *o = h->data;
    if (o->stopping)
        return;
    for (size_t i = 0; i < o->n; i++) {
        if (__atomic_exchange_n(&o->iss[i].want, 0, __ATOMIC_ACQ_REL))
            request_refresh(&o->iss[i]);
    }
    reschedule(o);
}

/* The end of a fetch round: `why` NULL when the keys are in force. */
static void round_done(struct issuer *is, const char *why)
{
    struct oidc *o = is->o;
    is->inflight = false;
    if (o->stopping)
        return;
    df_extension_refreshed(o->ext, !why);
    uint64_t now = uv_hrtime();
    if (why && !is->loaded) {
        df_extension_fail(o->ext, "cannot load the keys of issuer '%s': %s", is->c->issuer_url,
                          why);
        return;
    }
    if (why)
        df_extension_log(o->ext, DF_LOG_WARN,
                         "cannot refresh the keys of issuer '%s': %s; the previous keys stay in "
                         "force",
                         is->c->issuer_url, why);
    is->due_ns = now + (why ? o->c->jwks_min_refresh_interval : o->c->jwks_refresh_interval);
    if (is->again) {
        is->again = false;
        request_refresh(is);
    }
    if (!o->ready) {
        bool all = true;
        for (size_t i = 0; i < o->n; i++)
            all &= o->iss[i].loaded;
        if (all) {
            o->ready = true;
            df_extension_ready(o->ext);
        }
    }
    reschedule(o);
}

/* Says why result `r` of GET `url` is unusable into why[n], or returns
 * false. */
static bool failed(const struct df_fetch_result *r, const char *url, char *why, size_t n)
{
    if (r->rc)
        snprintf(why, n, "GET %s: %s", url, r->error[0] ? r->error : df_strerror(r->rc));
    else if (r->status != 200)
        snprintf(why, n, "GET %s: HTTP status %ld", url, r->status);
    else
        return false;
    return true;
}

static void on_jwks(void *ud, const struct df_fetch_result *r)
{
    struct issuer *is = ud;
    struct oidc *o = is->o;
    char why[DF_FETCH_ERROR_MAX + 256];
    if (r->rc == DF_ECANCELED || o->stopping) {
        is->inflight = false;
        return;
    }
    if (failed(r, is->jwks_url, why, sizeof why)) {
        round_done(is, why);
        return;
    }
    unsigned char d[DIGEST_LEN];
    unsigned int dn = 0;
    if (!EVP_Digest(r->body, r->body_len, d, &dn, o->sha256, NULL)) {
        round_done(is, "cannot hash the JWKS");
        return;
    }
    if (is->loaded && !memcmp(d, is->doc_digest, DIGEST_LEN)) {
        round_done(is, NULL); /* unchanged */
        return;
    }
    char pwhy[OIDC_WHY_MAX];
    size_t skipped = 0;
    struct oidc_keyset *ks = oidc_jwks_parse((const char *)r->body, r->body_len, &skipped, pwhy);
    if (!ks) {
        snprintf(why, sizeof why, "%s: %s", is->jwks_url, pwhy);
        round_done(is, why);
        return;
    }
    size_t nkeys = ks->n;
    ks->gen = ++is->gen;
    if (df_snapshot_publish(is->cell, ks) < 0) {
        round_done(is, "cannot publish the keys: out of memory");
        return;
    }
    memcpy(is->doc_digest, d, DIGEST_LEN);
    df_extension_log(
        o->ext, DF_LOG_INFO, "%s the keys of issuer '%s' from %s: %zu usable, %zu skipped",
        is->loaded ? "changed" : "loaded", is->c->issuer_url, is->jwks_url, nkeys, skipped);
    is->loaded = true;
    round_done(is, NULL);
}

static void get(struct issuer *is, const char *url, df_fetch_cb cb)
{
    const struct oidc_config *c = is->o->c;
    static const char *const headers[] = {"Accept: application/json", NULL};
    struct df_fetch_req req = {.url = url,
                               .headers = headers,
                               .timeout_ns = c->fetch_timeout,
                               .max_body = OIDC_DOC_MAX,
                               .ca_file = c->tls.ca_file,
                               .insecure_skip_verify = c->tls.insecure_skip_verify};
    int rc = df_extension_fetch(is->o->ext, &req, cb, is);
    if (rc < 0) {
        char why[DF_ERROR_MSG_MAX];
        snprintf(why, sizeof why, "GET %s: %s", url, df_strerror(rc));
        round_done(is, why);
    }
}

static void on_discovery(void *ud, const struct df_fetch_result *r)
{
    struct issuer *is = ud;
    char why[DF_FETCH_ERROR_MAX + 256];
    if (r->rc == DF_ECANCELED || is->o->stopping) {
        is->inflight = false;
        return;
    }
    if (failed(r, is->discovery_url, why, sizeof why)) {
        round_done(is, why);
        return;
    }
    json_error_t jerr;
    json_t *doc = json_loadb((const char *)r->body, r->body_len, JSON_REJECT_DUPLICATES, &jerr);
    const char *iss = json_string_value(json_object_get(doc, "issuer"));
    const char *uri = json_string_value(json_object_get(doc, "jwks_uri"));
    if (!json_is_object(doc))
        snprintf(why, sizeof why, "%s: not a JSON object", is->discovery_url);
    else if (!iss || strcmp(iss, is->c->issuer_url))
        snprintf(why, sizeof why, "%s: its issuer is not '%s'", is->discovery_url,
                 is->c->issuer_url);
    else if (!uri || (strncmp(uri, "https://", 8) && strncmp(uri, "http://", 7)))
        snprintf(why, sizeof why, "%s: no http(s) jwks_uri", is->discovery_url);
    else
        why[0] = 0;
    char *copy = why[0] ? NULL : strdup(uri);
    json_decref(doc);
    if (!why[0] && !copy)
        snprintf(why, sizeof why, "out of memory");
    if (why[0]) {
        round_done(is, why);
        return;
    }
    free(is->jwks_url);
    is->jwks_url = copy;
    get(is, is->jwks_url, on_jwks);
}

static void fetch_keys(struct issuer *is)
{
    if (is->inflight || is->o->stopping)
        return;
    is->inflight = true;
    is->last_fetch_ns = uv_hrtime();
    is->due_ns = UINT64_MAX;
    if (is->discovery_url)
        get(is, is->discovery_url, on_discovery);
    else
        get(is, is->jwks_url, on_jwks);
}

/* ---- identities ----------------------------------------------------------- */

static uint64_t hash_bytes(uint64_t seed, const char *s, size_t n)
{
    uint64_t h = seed ^ 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
    return h ^ (h >> 29);
}

static const char *key_of(const struct interned *e, size_t nattrs)
{
    return (const char *)&e->attrs[nattrs];
}

/* Grows the table to `cap` slots (a power of two). */
static int ids_grow(struct view *v, size_t cap)
{
    struct interned **t = calloc(cap, sizeof *t);
    if (!t)
        return DF_ENOMEM;
    for (size_t i = 0; i < v->ids_cap; i++) {
        struct interned *e = v->ids[i];
        if (!e)
            continue;
        size_t k = e->hash & (cap - 1);
        while (t[k])
            k = (k + 1) & (cap - 1);
        t[k] = e;
    }
    free(v->ids);
    v->ids = t;
    v->ids_cap = cap;
    return 0;
}

/* The identity whose text is key[0..len) (subject, then attribute key and
 * value, each NUL-terminated; `nattrs` attributes), made once per core.
 * NULL with *full when max_identities are taken, or on exhaustion. */
static const struct df_identity *intern(struct view *v, const char *key, size_t len, size_t nattrs,
                                        bool *full)
{
    *full = false;
    uint64_t h = hash_bytes(v->seed, key, len);
    size_t mask = v->ids_cap - 1, k = h & mask;
    for (struct interned *e; (e = v->ids[k]); k = (k + 1) & mask) {
        if (e->hash == h && e->len == len && e->id.nattrs == nattrs &&
            !memcmp(key_of(e, nattrs), key, len))
            return &e->id;
    }
    if (v->ids_count >= (size_t)v->o->c->max_identities) {
        *full = true;
        return NULL;
    }
    if (v->ids_count + 2 > v->ids_cap)
        return NULL; /* earlier growth failed: keep an empty slot, so probes end */
    struct interned *e = malloc(sizeof *e + nattrs * sizeof e->attrs[0] + len);
    if (!e)
        return NULL;
    char *text = (char *)&e->attrs[nattrs];
    memcpy(text, key, len);
    e->hash = h;
    e->len = len;
    const char *p = text;
    e->id = (struct df_identity){.subject = p,
                                 .attrs = nattrs ? e->attrs : NULL,
                                 .nattrs = nattrs,
                                 .provider = df_extension_name(v->o->ext)};
    p += strlen(p) + 1;
    for (size_t i = 0; i < nattrs; i++) {
        e->attrs[i].key = p;
        p += strlen(p) + 1;
        e->attrs[i].value = p;
        p += strlen(p) + 1;
    }
    v->ids[k] = e;
    if (++v->ids_count * 2 > v->ids_cap)
        ids_grow(v, v->ids_cap * 2); /* on failure the table stays (still below its load) */
    return &e->id;
}

/* Appends s[0..n) and a NUL to the scratch text; false when it is full. */
static bool put(struct view *v, size_t *at, const char *s, size_t n)
{
    if (memchr(s, 0, n) || *at + n + 1 > sizeof v->scratch)
        return false;
    memcpy(v->scratch + *at, s, n);
    v->scratch[*at + n] = 0;
    *at += n + 1;
    return true;
}

/* Appends the text of claim value `j`: a string as it is, others as
 * compact JSON; as a new string, or (`sep` not NULL) at the end of the
 * previous one after `sep`. */
static bool put_value(struct view *v, size_t *at, json_t *j, const char *sep)
{
    char *dump = json_is_string(j) ? NULL : json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
    const char *s = dump ? dump : json_string_value(j);
    size_t n = dump ? strlen(dump) : json_string_length(j);
    bool ok = s != NULL;
    if (ok && sep && *sep) {
        (*at)--; /* over the previous NUL */
        ok = put(v, at, sep, strlen(sep));
    }
    if (ok && sep)
        (*at)--;
    ok = ok && put(v, at, s, n);
    free(dump);
    return ok;
}

/* The identity for verified claims `p` of issuer `ic`, or NULL with the
 * decision and detail set in `out`. */
static const struct df_identity *identity(struct view *v, const struct oidc_issuer_config *ic,
                                          json_t *p, struct df_auth_result *out)
{
    json_t *sub = json_object_get(p, ic->username_claim);
    size_t at = 0, nattrs = 0;
    if (!json_is_string(sub) || !json_string_length(sub)) {
        out->decision = DF_AUTH_DENY;
        out->reason = DF_AUTH_INVALID_CREDENTIAL;
        snprintf(out->detail, sizeof out->detail, "no string '%.40s' claim", ic->username_claim);
        return NULL;
    }
    bool ok = put_value(v, &at, sub, NULL);
    json_t *groups = ic->groups_claim ? json_object_get(p, ic->groups_claim) : NULL;
    if (ok && groups) {
        ok = put(v, &at, ic->groups_claim, strlen(ic->groups_claim));
        if (json_is_array(groups)) {
            size_t i;
            json_t *g;
            ok = ok && put(v, &at, "", 0);
            json_array_foreach(groups, i, g) ok = ok && put_value(v, &at, g, i ? "," : "");
        } else {
            ok = ok && put_value(v, &at, groups, NULL);
        }
        nattrs++;
    }
    for (size_t i = 0; ok && i < ic->claims.count; i++) {
        const char *name = *DF_LIST_AT(ic->claims, const char *, i);
        json_t *val = json_object_get(p, name);
        if (!val)
            continue;
        ok = put(v, &at, name, strlen(name)) && put_value(v, &at, val, NULL);
        nattrs++;
    }
    if (!ok) {
        out->decision = DF_AUTH_DENY;
        out->reason = DF_AUTH_INVALID_CREDENTIAL;
        snprintf(out->detail, sizeof out->detail,
                 "the identity's claims are larger than %d bytes or hold NUL", IDENTITY_MAX);
        return NULL;
    }
    bool full;
    const struct df_identity *id = intern(v, v->scratch, at, nattrs, &full);
    if (!id) {
        out->decision = DF_AUTH_ERROR;
        if (full)
            snprintf(out->detail, sizeof out->detail,
                     "identity table full (max_identities %lld on this core): new identities "
                     "are refused",
                     (long long)v->o->c->max_identities);
        else
            snprintf(out->detail, sizeof out->detail, "out of memory interning an identity");
    }
    return id;
}

/* ---- auth_check ------------------------------------------------------------- */

static enum df_auth_decision deny(struct df_auth_result *out, enum df_auth_reason reason,
                                  const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static enum df_auth_decision deny(struct df_auth_result *out, enum df_auth_reason reason,
                                  const char *fmt, ...)
{
    out->decision = DF_AUTH_DENY;
    out->reason = reason;
    out->challenge = WWW_AUTH;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out->detail, sizeof out->detail, fmt, ap);
    va_end(ap);
    return DF_AUTH_DENY;
}

static enum df_auth_decision fail(struct df_auth_result *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static enum df_auth_decision fail(struct df_auth_result *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out->detail, sizeof out->detail, fmt, ap);
    va_end(ap);
    return out->decision = DF_AUTH_ERROR;
}

static int64_t now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec;
}

static void ask_refresh(struct oidc *o, size_t issuer)
{
    if (!__atomic_exchange_n(&o->iss[issuer].want, 1, __ATOMIC_ACQ_REL) &&
        __atomic_load_n(&o->async_open, __ATOMIC_ACQUIRE))
        uv_async_send(&o->async);
}

/* Verifies `t`'s signature, counting it. */
static int verify(struct view *v, const struct oidc_jwt *t, const char *tok,
                  const struct oidc_keyset *ks, char *why)
{
    v->stats.verified++;
    return oidc_jwt_verify(t, tok, ks, v->md, why);
}

/* Decides from the `authorization` header:
 *   absent or blank                          deny missing_credential
 *   several, another scheme, a malformed or
 *   unverifiable token, a failed claim check deny invalid_credential
 *   a token naming an unknown kid            deny invalid_credential, and a
 *                                            (rate-limited) refresh of keys
 *   the issuer's keys not loaded yet, the
 *   identity table full                      error
 *   a valid token                            allow, with its identity */
static enum df_auth_decision check(void *self, const struct df_auth_request *req,
                                   struct df_auth_result *out)
{
    struct view *v = self;
    struct oidc *o = v->o;
    const char *tok = NULL;
    size_t tlen = 0;
    switch (df_auth_credential(req, "authorization", "Bearer", &tok, &tlen)) {
    case DF_AUTH_CREDENTIAL_OK:
        break;
    case DF_AUTH_CREDENTIAL_SEVERAL:
        return deny(out, DF_AUTH_INVALID_CREDENTIAL, "several authorization headers");
    case DF_AUTH_CREDENTIAL_MISSING:
        return deny(out, DF_AUTH_MISSING_CREDENTIAL, "no authorization header");
    case DF_AUTH_CREDENTIAL_OTHER_SCHEME:
    case DF_AUTH_CREDENTIAL_MALFORMED:
        return deny(out, DF_AUTH_INVALID_CREDENTIAL, "not a Bearer token");
    }
    if (tlen > OIDC_TOKEN_MAX)
        return deny(out, DF_AUTH_INVALID_CREDENTIAL, "token longer than %d bytes", OIDC_TOKEN_MAX);
    int64_t now = now_s(), skew = (int64_t)(o->c->clock_skew / NS_PER_S);

    unsigned char d[DIGEST_LEN];
    unsigned int dn = 0;
    struct cache_entry *ce = NULL;
    if (v->cache) {
        if (!EVP_DigestInit_ex2(v->md, o->sha256, NULL) || !EVP_DigestUpdate(v->md, tok, tlen) ||
            !EVP_DigestFinal_ex(v->md, d, &dn))
            return fail(out, "cannot hash the token (out of memory)");
        uint64_t slot;
        memcpy(&slot, d, sizeof slot);
        ce = &v->cache[slot & v->cache_mask];
        if (ce->id && !CRYPTO_memcmp(ce->digest, d, DIGEST_LEN) && ce->exp > now - skew) {
            const struct oidc_keyset *ks = df_snapshot_read(&v->ks[ce->issuer]);
            if (ks && ks->gen == ce->gen) {
                v->stats.cache_hits++;
                out->decision = DF_AUTH_ALLOW;
                out->identity = ce->id;
                return DF_AUTH_ALLOW;
            }
        }
    }

    char why[OIDC_WHY_MAX];
    struct oidc_jwt jwt, *t = &jwt;
    if (oidc_jwt_parse(tok, tlen, t, why) < 0)
        return deny(out, DF_AUTH_INVALID_CREDENTIAL, "%s", why);
    size_t i = 0;
    while (i < o->n && (!t->iss || strcmp(t->iss, o->iss[i].c->issuer_url)))
        i++;
    enum df_auth_decision dec = DF_AUTH_DENY;
    const struct oidc_keyset *ks = i < o->n ? df_snapshot_read(&v->ks[i]) : NULL;
    int64_t exp = 0;
    int rc;
    if (i == o->n) {
        deny(out, DF_AUTH_INVALID_CREDENTIAL, "wrong issuer (not a configured one)");
    } else if (!ks) {
        dec = fail(out, "the keys of issuer '%.80s' are not loaded yet", o->iss[i].c->issuer_url);
    } else if ((rc = verify(v, t, tok, ks, why)) != OIDC_OK) {
        if (rc == OIDC_UNKNOWN_KID)
            ask_refresh(o, i);
        deny(out, DF_AUTH_INVALID_CREDENTIAL, "%s%s", why,
             rc == OIDC_UNKNOWN_KID ? " (a refresh of the issuer's keys is asked for)" : "");
    } else if (oidc_jwt_check_claims(t, o->iss[i].c->issuer_url, o->iss[i].c->audience, now, skew,
                                     &exp, why) < 0) {
        deny(out, DF_AUTH_INVALID_CREDENTIAL, "%s", why);
    } else {
        const struct df_identity *id = identity(v, o->iss[i].c, t->payload, out);
        if (id) {
            dec = out->decision = DF_AUTH_ALLOW;
            out->identity = id;
            if (ce) {
                *ce = (struct cache_entry){.exp = exp, .gen = ks->gen, .issuer = i, .id = id};
                memcpy(ce->digest, d, DIGEST_LEN);
            }
        } else {
            dec = out->decision;
            if (dec == DF_AUTH_DENY)
                out->challenge = WWW_AUTH;
        }
    }
    oidc_jwt_release(t);
    return dec;
}

static const struct df_auth_check_ops auth_ops = {.check = check};

/* ---- hooks -------------------------------------------------------------------- */

static void keyset_free(void *p)
{
    oidc_keyset_free(p);
}

static void view_free(struct view *v)
{
    for (size_t i = 0; i < v->ids_cap; i++)
        free(v->ids[i]);
    free(v->ids);
    free(v->cache);
    EVP_MD_CTX_free(v->md);
    free(v->ks);
    free(v);
}

static void oidc_free(struct oidc *o)
{
    while (o->views) {
        struct view *v = o->views;
        o->views = v->next;
        view_free(v);
    }
    for (size_t i = 0; o->iss && i < o->n; i++) {
        df_snapshot_free(o->iss[i].cell);
        free(o->iss[i].discovery_url);
        free(o->iss[i].jwks_url);
    }
    free(o->iss);
    EVP_MD_free(o->sha256);
    pthread_mutex_destroy(&o->lock);
    free(o);
}

static int oidc_create(struct df_extension *ext, const void *options, void **state,
                       struct df_error *err)
{
    const struct oidc_config *c = options;
    struct oidc *o = calloc(1, sizeof *o);
    if (!o)
        return DF_ENOMEM;
    pthread_mutex_init(&o->lock, NULL);
    o->ext = ext;
    o->c = c;
    o->n = oidc_issuer_count(c);
    if (!(o->iss = calloc(o->n, sizeof *o->iss)) ||
        !(o->timer = df_extension_timer(ext, on_timer))) {
        oidc_free(o);
        return DF_ENOMEM;
    }
    if (!(o->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL))) {
        snprintf(err->msg, sizeof err->msg, "OpenSSL has no SHA-256");
        oidc_free(o);
        return DF_EINVAL;
    }
    for (size_t i = 0; i < o->n; i++) {
        struct issuer *is = &o->iss[i];
        is->o = o;
        is->c = oidc_issuer_at(c, i);
        if (!(is->cell = df_snapshot_new(keyset_free))) {
            oidc_free(o);
            return DF_ENOMEM;
        }
        if (is->c->jwks_uri) {
            is->jwks_url = strdup(is->c->jwks_uri);
        } else {
            size_t n = strlen(is->c->issuer_url);
            while (n && is->c->issuer_url[n - 1] == '/')
                n--;
            if ((is->discovery_url = malloc(n + sizeof DISCOVERY_PATH)))
                snprintf(is->discovery_url, n + sizeof DISCOVERY_PATH, "%.*s%s", (int)n,
                         is->c->issuer_url, DISCOVERY_PATH);
        }
        if (!is->jwks_url && !is->discovery_url) {
            oidc_free(o);
            return DF_ENOMEM;
        }
    }
    *state = o;
    return 0;
}

static int oidc_start(struct df_extension *ext, void *state, struct df_error *err)
{
    struct oidc *o = state;
    int rc = uv_async_init(df_extension_loop(ext), &o->async, on_async);
    if (rc < 0) {
        snprintf(err->msg, sizeof err->msg, "cannot make an async handle: %s", uv_strerror(rc));
        return DF_EIO;
    }
    o->async.data = o;
    o->async_init = true;
    __atomic_store_n(&o->async_open, true, __ATOMIC_RELEASE);
    for (size_t i = 0; i < o->n; i++)
        fetch_keys(&o->iss[i]);
    return 0;
}

static void on_async_closed(uv_handle_t *h)
{
    struct oidc *o = h->data;
    df_extension_stopped(o->ext);
}

/* Fetches in flight end with DF_ECANCELED by the runtime; the stop is done
 * once the async handle closed. */
static void oidc_stop(struct df_extension *ext, void *state)
{
    struct oidc *o = state;
    o->stopping = true;
    __atomic_store_n(&o->async_open, false, __ATOMIC_RELEASE);
    if (o->async_init)
        uv_close((uv_handle_t *)&o->async, on_async_closed);
    else
        df_extension_stopped(ext);
}

static void oidc_destroy(struct df_extension *ext, void *state)
{
    oidc_free(state);
}

static int oidc_attach(struct df_extension *ext, void *state, unsigned core, void **self,
                       struct df_error *err)
{
    struct oidc *o = state;
    struct view *v = calloc(1, sizeof *v);
    if (!v)
        return DF_ENOMEM;
    v->o = o;
    size_t cache = 0;
    if (o->c->cache_size) {
        cache = 1;
        while (cache < (size_t)o->c->cache_size)
            cache <<= 1;
    }
    if (!(v->ks = calloc(o->n, sizeof *v->ks)) || !(v->md = EVP_MD_CTX_new()) ||
        (cache && !(v->cache = calloc(cache, sizeof *v->cache))) || ids_grow(v, 64) < 0 ||
        RAND_bytes((unsigned char *)&v->seed, sizeof v->seed) != 1) {
        view_free(v);
        return DF_ENOMEM;
    }
    v->cache_mask = cache ? cache - 1 : 0;
    for (size_t i = 0; i < o->n; i++)
        df_snapshot_view_init(&v->ks[i], o->iss[i].cell);
    pthread_mutex_lock(&o->lock);
    v->next = o->views;
    o->views = v;
    pthread_mutex_unlock(&o->lock);
    *self = v;
    return 0;
}

/* Closes the snapshot views and drops the cache; the identities stay until
 * destroy (pdata may still point at them). */
static void oidc_detach(struct df_extension *ext, void *state, void *self)
{
    struct view *v = self;
    for (size_t i = 0; i < v->o->n; i++)
        df_snapshot_view_close(&v->ks[i]);
    free(v->cache);
    v->cache = NULL;
}

static const struct df_extension_ops oidc_ops = {.create = oidc_create,
                                                 .start = oidc_start,
                                                 .stop = oidc_stop,
                                                 .destroy = oidc_destroy,
                                                 .attach = oidc_attach,
                                                 .detach = oidc_detach};

static const struct df_ext_capability oidc_caps[] = {
    {DF_AUTH_CHECK_NAME, 1, &auth_ops},
    {0},
};

DF_REGISTER_EXTENSION(oidc_auth, "urn:otel:extension:oidc_auth",
                      "OpenID Connect: accepts requests carrying a JWT signed by a trusted issuer "
                      "(keys from its discovery document or JWKS URL, refreshed in the background) "
                      "for the configured audience (auth_check).",
                      "docs/extensions/oidc_auth.md", DF_EXEC_SHARED, DF_LIFECYCLE_ACTIVE,
                      .capabilities = oidc_caps, .options = &oidc_table, .ops = &oidc_ops,
                      .ready_timeout_ns = 30000000000ull);
