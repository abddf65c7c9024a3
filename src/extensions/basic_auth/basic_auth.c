/* extensions/basic_auth/basic_auth.c — extension:basic_auth
 * (urn:otel:extension:basic_auth).
 *
 * Accepts requests whose `Authorization: Basic base64(user:password)`
 * names a user of an htpasswd file and/or inline list with the right
 * password (auth_check). Local: one instance per core, on that core's
 * loop, so its state is plain memory.
 *
 * State. The users in force are a `struct table`: the inline users (parsed
 * once, at create) and the file's (the last good load), the inline entry
 * winning for a user in both, sorted by name. Identities are interned per
 * user name for the instance's life (receivers keep pointers to them in
 * pdata contexts), so a reload never frees one.
 *
 * Checks. A check that misses the cache computes the user's hash
 * synchronously on the core's loop (crypt_rn for bcrypt and SHA-crypt,
 * SHA-1 for {SHA}): bcrypt at cost 10 blocks the core ~50 ms, which is why
 * verified credentials are cached (see docs/extensions/basic_auth.md). An
 * unknown user is checked against another user's hash, so the time does
 * not tell whether a user exists. The cache holds up to BA_CACHE_ENTRIES
 * successful verifications keyed by SHA-256(per-instance random salt ||
 * user:password) — never the password — each valid for cache_ttl, found
 * through buckets by the key's first 8 bytes; when it is full the oldest
 * entry (the first to expire) makes room. Failures are not cached. A reload
 * drops the entries of users removed or whose hash changed.
 *
 * Background task (the core's loop). The file is watched and read with
 * the shared asynchronous watched set (extensions/common/file_watch.h). A
 * file that cannot be read or parsed
 * keeps the last good users (logged at warn with the line and user, never
 * a hash; a failed refresh). Ready once the file has loaded (at once
 * without a file). Logs, details and metrics never contain a password. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <uv.h>

#include "df/capabilities/auth_check.h"
#include "df/extension.h"
#include "extensions/basic_auth/basic_auth.h"
#include "extensions/common/file_watch.h"

#define KEY_LEN  32
#define SALT_LEN 32

/* An identity, interned by user name for the instance's life. */
struct ident {
    struct df_identity id;
    char name[];
};

/* The users in force. */
struct table {
    size_t n;
    const struct ba_user **users;   /* sorted by name */
    const struct df_identity **ids; /* users[i]'s */
    struct ba_users file;           /* the file's load (owns its users) */
};

/* One verified user:password. Entries refer to each other by index + 1
 * (0: none): the next of the same bucket (the key's first 8 bytes modulo
 * BA_CACHE_ENTRIES), or of the free list; and the neighbours in the age
 * list, oldest first. Every entry lives cache_ttl from its insertion, so
 * the age list is also in order of expiry. */
struct entry {
    uint64_t key0; /* the key's first 8 bytes: its bucket, and a quick compare */
    unsigned char key[KEY_LEN];
    uint64_t expires; /* uv_hrtime(); 0 = free */
    const struct ba_user *user;
    const struct df_identity *id;
    uint16_t chain;
    uint16_t older, newer;
};

_Static_assert(BA_CACHE_ENTRIES < UINT16_MAX, "cache references are 16 bits");
_Static_assert((BA_CACHE_ENTRIES & (BA_CACHE_ENTRIES - 1)) == 0, "buckets by mask");

struct ba {
    struct df_extension *ext;
    const struct ba_config *c;
    struct ba_users inline_users;
    struct table *t;       /* NULL until the file loaded */
    struct ident **idents; /* open addressing, by name; half full at most */
    size_t nidents, cap_idents;
    struct ext_file_watch *file; /* with a file only */
    bool ready;
    char challenge[128];
    EVP_MD *sha256;
    EVP_MD_CTX *md;
    unsigned char salt[SALT_LEN];
    struct crypt_data *cd;
    struct entry *cache;                /* BA_CACHE_ENTRIES, or NULL without a cache */
    uint16_t buckets[BA_CACHE_ENTRIES]; /* the first entry of each bucket */
    uint16_t oldest, newest;            /* the age list's ends */
    uint16_t free_list;                 /* entries a reload dropped */
    size_t cache_used;                  /* entries [0, cache_used) were ever taken */
    struct ba_stats stats;
};

/* ---- users -------------------------------------------------------------------- */

static size_t name_hash(const char *s, size_t len)
{
    uint64_t h = 14695981039346656037ull; /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return (size_t)h;
}

/* The slot of `name` in the set, or the free slot where it would go. */
static struct ident **ident_slot(struct ident **set, size_t cap, const char *name, size_t len)
{
    for (size_t i = name_hash(name, len) & (cap - 1);; i = (i + 1) & (cap - 1)) {
        if (!set[i] || (strlen(set[i]->name) == len && !memcmp(set[i]->name, name, len)))
            return &set[i];
    }
}

static const struct df_identity *intern(struct ba *b, const char *name, size_t len)
{
    if (2 * (b->nidents + 1) > b->cap_idents) {
        size_t cap = b->cap_idents ? 2 * b->cap_idents : 64;
        struct ident **set = calloc(cap, sizeof *set);
        if (!set)
            return NULL;
        for (size_t i = 0; i < b->cap_idents; i++) {
            struct ident *x = b->idents[i];
            if (x)
                *ident_slot(set, cap, x->name, strlen(x->name)) = x;
        }
        free(b->idents);
        b->idents = set;
        b->cap_idents = cap;
    }
    struct ident **slot = ident_slot(b->idents, b->cap_idents, name, len);
    if (*slot)
        return &(*slot)->id;
    struct ident *i = malloc(sizeof *i + len + 1);
    if (!i)
        return NULL;
    memcpy(i->name, name, len);
    i->name[len] = 0;
    i->id = (struct df_identity){.subject = i->name, .provider = df_extension_name(b->ext)};
    *slot = i;
    b->nidents++;
    return &i->id;
}

static void table_free(struct table *t)
{
    if (!t)
        return;
    free(t->users);
    free(t->ids);
    ba_users_free(&t->file);
    free(t);
}

static int cmp_users(const void *x, const void *y)
{
    const struct ba_user *a = *(const struct ba_user *const *)x;
    const struct ba_user *b = *(const struct ba_user *const *)y;
    size_t n = a->name_len < b->name_len ? a->name_len : b->name_len;
    int c = memcmp(a->name, b->name, n);
    return c ? c : (a->name_len > b->name_len) - (a->name_len < b->name_len);
}

/* The inline users and the file's (taking ownership of `file`); NULL on
 * exhaustion (then `file` is freed). */
static struct table *table_new(struct ba *b, struct ba_users *file)
{
    struct table *t = calloc(1, sizeof *t);
    size_t max = b->inline_users.n + (file ? file->n : 0);
    if (!t || !(t->users = calloc(max, sizeof *t->users)) ||
        !(t->ids = calloc(max, sizeof *t->ids))) {
        table_free(t);
        ba_users_free(file);
        return NULL;
    }
    if (file) {
        t->file = *file;
        *file = (struct ba_users){0};
    }
    for (size_t i = 0; i < b->inline_users.n; i++)
        t->users[t->n++] = &b->inline_users.v[i];
    for (size_t i = 0; i < t->file.n; i++) {
        const struct ba_user *u = &t->file.v[i];
        if (ba_users_find(&b->inline_users, u->name, u->name_len))
            continue; /* the inline entry wins */
        t->users[t->n++] = u;
    }
    qsort(t->users, t->n, sizeof *t->users, cmp_users);
    for (size_t i = 0; i < t->n; i++) {
        if (!(t->ids[i] = intern(b, t->users[i]->name, t->users[i]->name_len))) {
            table_free(t);
            return NULL;
        }
    }
    return t;
}

/* The index of the user named name[0..len) in t, or t->n. */
static size_t table_find(const struct table *t, const char *name, size_t len)
{
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct ba_user *u = t->users[mid];
        int c = memcmp(u->name, name, u->name_len < len ? u->name_len : len);
        if (!c)
            c = (u->name_len > len) - (u->name_len < len);
        if (!c)
            return mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return t->n;
}

static void cache_drop(struct ba *b, struct entry *e);

/* Makes `t` current: cache entries of users gone or whose hash changed are
 * dropped, the others point into `t`. */
static void install(struct ba *b, struct table *t)
{
    for (size_t i = 0; b->cache && i < BA_CACHE_ENTRIES; i++) {
        struct entry *e = &b->cache[i];
        if (!e->expires)
            continue;
        size_t at = table_find(t, e->user->name, e->user->name_len);
        if (at == t->n || t->users[at]->hash_len != e->user->hash_len ||
            memcmp(t->users[at]->hash, e->user->hash, e->user->hash_len)) {
            cache_drop(b, e);
            b->stats.invalidated++;
            continue;
        }
        e->user = t->users[at];
    }
    table_free(b->t);
    b->t = t;
}

/* ---- the file ------------------------------------------------------------------- */

/* The file was read (again): its users replace the ones in force when it
 * parses. */
static void on_round(void *ud, const struct ext_file_read *const *files)
{
    struct ba *b = ud;
    const struct ext_file_read *r = files[0];
    const char *path = b->c->htpasswd.file;
    const char *keeping =
        b->t ? "; the previous users stay in force" : "; requests are refused until it loads";
    struct ba_users file;
    char why[192];
    struct table *t = NULL;
    if (r->why) {
        df_extension_log(b->ext, DF_LOG_WARN, "cannot %s htpasswd file '%s': %s%s",
                         b->t ? "reload" : "load", path, r->why, keeping);
    } else if (ba_htpasswd_parse(r->buf, r->len, &file, why, sizeof why) < 0) {
        df_extension_log(b->ext, DF_LOG_WARN, "htpasswd file '%s': %s%s", path, why, keeping);
    } else if (!(t = table_new(b, &file))) {
        df_extension_log(b->ext, DF_LOG_WARN, "cannot load htpasswd file '%s': out of memory%s",
                         path, keeping);
    }
    if (t) {
        df_extension_log(b->ext, DF_LOG_INFO, "htpasswd file '%s' %s: %zu user%s", path,
                         b->t ? "changed" : "loaded", t->n, t->n == 1 ? "" : "s");
        install(b, t);
    }
    df_extension_refreshed(b->ext, t != NULL);
    if (t && !b->ready) {
        b->ready = true;
        df_extension_ready(b->ext);
    }
}

static void on_watch(struct df_extension *ext, void *state)
{
    (void)ext;
    ext_file_watch_kick(((struct ba *)state)->file);
}

/* ---- auth_check -------------------------------------------------------------------- */

static enum df_auth_decision deny(struct ba *b, struct df_auth_result *out,
                                  enum df_auth_reason reason, const char *detail)
{
    out->decision = DF_AUTH_DENY;
    out->reason = reason;
    out->challenge = b->challenge;
    snprintf(out->detail, sizeof out->detail, "%s", detail);
    return DF_AUTH_DENY;
}

static int cache_key(struct ba *b, const char *cred, size_t len, unsigned char key[KEY_LEN])
{
    unsigned int n = 0;
    return EVP_DigestInit_ex2(b->md, b->sha256, NULL) &&
                   EVP_DigestUpdate(b->md, b->salt, SALT_LEN) &&
                   EVP_DigestUpdate(b->md, cred, len) && EVP_DigestFinal_ex(b->md, key, &n) &&
                   n == KEY_LEN
               ? 0
               : DF_ENOMEM;
}

static size_t bucket(uint64_t key0)
{
    return (size_t)key0 & (BA_CACHE_ENTRIES - 1);
}

static uint16_t ref(const struct ba *b, const struct entry *e)
{
    return (uint16_t)(e - b->cache + 1);
}

/* Takes `e` out of its bucket and the age list. */
static void cache_unlink(struct ba *b, struct entry *e)
{
    uint16_t r = ref(b, e);
    for (uint16_t *p = &b->buckets[bucket(e->key0)]; *p; p = &b->cache[*p - 1].chain) {
        if (*p == r) {
            *p = e->chain;
            break;
        }
    }
    if (e->older)
        b->cache[e->older - 1].newer = e->newer;
    else
        b->oldest = e->newer;
    if (e->newer)
        b->cache[e->newer - 1].older = e->older;
    else
        b->newest = e->older;
}

/* Drops `e` (its user changed): wiped and free. */
static void cache_drop(struct ba *b, struct entry *e)
{
    cache_unlink(b, e);
    OPENSSL_cleanse(e, sizeof *e);
    e->chain = b->free_list;
    b->free_list = ref(b, e);
}

/* The live entry for `key`, or NULL: a walk of its bucket. */
static struct entry *cache_find(struct ba *b, const unsigned char key[KEY_LEN], uint64_t now)
{
    uint64_t key0;
    memcpy(&key0, key, sizeof key0);
    for (uint16_t r = b->buckets[bucket(key0)]; r; r = b->cache[r - 1].chain) {
        struct entry *e = &b->cache[r - 1];
        if (e->key0 == key0 && e->expires > now && !CRYPTO_memcmp(e->key, key, KEY_LEN))
            return e;
    }
    return NULL;
}

/* Remembers `key` for user `u` until now + cache_ttl, in a free entry if
 * there is one, else in place of the oldest, which is the one expiring
 * first (expired, when any is). */
static void cache_put(struct ba *b, const unsigned char key[KEY_LEN], uint64_t now,
                      const struct ba_user *u, const struct df_identity *id)
{
    struct entry *e;
    if (b->cache_used < BA_CACHE_ENTRIES) {
        e = &b->cache[b->cache_used++];
    } else if (b->free_list) {
        e = &b->cache[b->free_list - 1];
        b->free_list = e->chain;
    } else {
        e = &b->cache[b->oldest - 1];
        cache_unlink(b, e);
    }
    uint64_t key0;
    memcpy(&key0, key, sizeof key0);
    *e = (struct entry){.key0 = key0,
                        .expires = now + b->c->cache_ttl,
                        .user = u,
                        .id = id,
                        .chain = b->buckets[bucket(key0)],
                        .older = b->newest};
    memcpy(e->key, key, KEY_LEN);
    uint16_t r = ref(b, e);
    b->buckets[bucket(key0)] = r;
    if (b->newest)
        b->cache[b->newest - 1].newer = r;
    else
        b->oldest = r;
    b->newest = r;
}

/* Decides from the Authorization header:
 *   several of them                           deny invalid_credential
 *   absent (or blank)                         deny missing_credential
 *   a scheme other than Basic                 deny invalid_credential
 *   Basic without valid base64(user:password) deny invalid_credential
 *   the file not loaded yet                   error
 *   unknown user or wrong password            deny invalid_credential
 *   the right password                        allow, subject = the user
 * Every denial carries the challenge `Basic realm="..."`. */
static enum df_auth_decision check(void *self, const struct df_auth_request *req,
                                   struct df_auth_result *out)
{
    struct ba *b = self;
    const char *b64 = NULL;
    size_t b64_len = 0;
    switch (df_auth_credential(req, "authorization", "Basic", &b64, &b64_len)) {
    case DF_AUTH_CREDENTIAL_OK:
        break;
    case DF_AUTH_CREDENTIAL_SEVERAL:
        return deny(b, out, DF_AUTH_INVALID_CREDENTIAL, "several authorization headers");
    case DF_AUTH_CREDENTIAL_MISSING:
        return deny(b, out, DF_AUTH_MISSING_CREDENTIAL, "no authorization header");
    case DF_AUTH_CREDENTIAL_OTHER_SCHEME:
        return deny(b, out, DF_AUTH_INVALID_CREDENTIAL, "scheme is not Basic");
    case DF_AUTH_CREDENTIAL_MALFORMED:
        return deny(b, out, DF_AUTH_INVALID_CREDENTIAL, "malformed authorization header");
    }
    char cred[BA_CRED_MAX + 1];
    size_t cred_len = 0, user_len = 0;
    if (ba_credential_decode(b64, b64_len, cred, &cred_len, &user_len) != BA_HEADER_OK) {
        OPENSSL_cleanse(cred, sizeof cred);
        return deny(b, out, DF_AUTH_INVALID_CREDENTIAL, "malformed authorization header");
    }
    enum df_auth_decision d = DF_AUTH_ERROR;
    const struct table *t = b->t;
    unsigned char key[KEY_LEN];
    uint64_t now = uv_hrtime();
    if (!t) {
        snprintf(out->detail, sizeof out->detail, "htpasswd file not loaded yet");
        out->decision = d;
        goto done;
    }
    if (b->cache) {
        if (cache_key(b, cred, cred_len, key) < 0) {
            snprintf(out->detail, sizeof out->detail, "cannot hash the credentials");
            out->decision = d;
            goto done;
        }
        struct entry *e = cache_find(b, key, now);
        if (e) {
            b->stats.hits++;
            out->decision = d = DF_AUTH_ALLOW;
            out->identity = e->id;
            goto done;
        }
        b->stats.misses++;
    }
    if (!t->n) {
        d = deny(b, out, DF_AUTH_INVALID_CREDENTIAL, "invalid user name or password");
        goto done;
    }
    size_t at = table_find(t, cred, user_len);
    /* An unknown user costs the same: its password is checked against the
     * first user's hash (and the result ignored). */
    const struct ba_user *u = t->users[at < t->n ? at : 0];
    b->stats.hashes++;
    bool ok = ba_verify(u, cred + user_len + 1, cred_len - user_len - 1, b->cd) && at < t->n;
    if (!ok) {
        d = deny(b, out, DF_AUTH_INVALID_CREDENTIAL, "invalid user name or password");
        goto done;
    }
    if (b->cache)
        cache_put(b, key, now, u, t->ids[at]);
    out->decision = d = DF_AUTH_ALLOW;
    out->identity = t->ids[at];
done:
    OPENSSL_cleanse(cred, sizeof cred);
    OPENSSL_cleanse(key, sizeof key);
    return d;
}

static const struct df_auth_check_ops auth_ops = {.check = check};

void ba_stats_get(const void *state, struct ba_stats *out)
{
    *out = ((const struct ba *)state)->stats;
}

/* ---- hooks ---------------------------------------------------------------------------- */

static void ba_free(struct ba *b)
{
    ext_file_watch_free(b->file);
    table_free(b->t);
    ba_users_free(&b->inline_users);
    for (size_t i = 0; i < b->cap_idents; i++)
        free(b->idents[i]);
    free(b->idents);
    if (b->cache) {
        OPENSSL_cleanse(b->cache, BA_CACHE_ENTRIES * sizeof *b->cache);
        free(b->cache);
    }
    if (b->cd) {
        OPENSSL_cleanse(b->cd, sizeof *b->cd);
        free(b->cd);
    }
    EVP_MD_CTX_free(b->md);
    EVP_MD_free(b->sha256);
    OPENSSL_cleanse(b->salt, sizeof b->salt);
    free(b);
}

static int ba_create(struct df_extension *ext, const void *options, void **state,
                     struct df_error *err)
{
    const struct ba_config *c = options;
    struct ba *b = calloc(1, sizeof *b);
    if (!b)
        return DF_ENOMEM;
    b->ext = ext;
    b->c = c;
    snprintf(b->challenge, sizeof b->challenge, "Basic realm=\"%s\", charset=\"UTF-8\"", c->realm);
    if (!(b->cd = calloc(1, sizeof *b->cd)) || !(b->md = EVP_MD_CTX_new()) ||
        (c->cache_ttl && !(b->cache = calloc(BA_CACHE_ENTRIES, sizeof *b->cache))) ||
        (c->htpasswd.file &&
         (!(b->file = ext_file_watch_new(ext, "htpasswd file", BA_FILE_MAX,
                                         "it is larger than 1MiB", on_round, b)) ||
          ext_file_watch_add(b->file, c->htpasswd.file) < 0))) {
        ba_free(b);
        return DF_ENOMEM;
    }
    if (!(b->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL)) || RAND_bytes(b->salt, SALT_LEN) != 1) {
        snprintf(err->msg, sizeof err->msg, "OpenSSL has no SHA-256 or no random source");
        ba_free(b);
        return DF_EINVAL;
    }
    if (c->htpasswd.text) {
        char why[192];
        int rc = ba_htpasswd_parse(c->htpasswd.text, strlen(c->htpasswd.text), &b->inline_users,
                                   why, sizeof why);
        if (rc < 0) { /* checked at load: only exhaustion gets here */
            snprintf(err->msg, sizeof err->msg, "inline htpasswd: %s", why);
            ba_free(b);
            return rc;
        }
    }
    if (!c->htpasswd.file && !(b->t = table_new(b, NULL))) {
        ba_free(b);
        return DF_ENOMEM;
    }
    *state = b;
    return 0;
}

static int ba_start(struct df_extension *ext, void *state, struct df_error *err)
{
    struct ba *b = state;
    if (!b->file) {
        b->ready = true;
        df_extension_ready(ext);
        return 0;
    }
    int rc = ext_file_watch_start(b->file, b->c->watch_interval, on_watch, err);
    if (rc < 0)
        return rc;
    ext_file_watch_kick(b->file);
    return 0;
}

/* Waits for a read in flight (it uses the instance's memory). */
static void ba_stop(struct df_extension *ext, void *state)
{
    struct ba *b = state;
    if (b->file)
        ext_file_watch_stop(b->file);
    else
        df_extension_stopped(ext);
}

static void ba_destroy(struct df_extension *ext, void *state)
{
    (void)ext;
    ba_free(state);
}

static const struct df_extension_ops ba_ops = {
    .create = ba_create, .start = ba_start, .stop = ba_stop, .destroy = ba_destroy};

static const struct df_ext_capability ba_caps[] = {
    {DF_AUTH_CHECK_NAME, 1, &auth_ops},
    {0},
};

DF_REGISTER_EXTENSION(basic_auth, "urn:otel:extension:basic_auth",
                      "HTTP Basic authentication against an htpasswd file (bcrypt, SHA-crypt, "
                      "{SHA}) and/or inline users, reloaded when the file changes; verified "
                      "credentials are cached per core (auth_check).",
                      "docs/extensions/basic_auth.md", DF_EXEC_LOCAL, DF_LIFECYCLE_ACTIVE,
                      .capabilities = ba_caps, .options = &ba_table, .ops = &ba_ops,
                      .ready_timeout_ns = 5000000000ull);
