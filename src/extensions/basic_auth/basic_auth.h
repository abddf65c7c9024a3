/* extensions/basic_auth/basic_auth.h — extension:basic_auth's configuration,
 * its htpasswd parser and password check, and the `Authorization: Basic`
 * decoder, shared by its config check (config.c), its runtime
 * (basic_auth.c), the unit tests and the fuzz target. Private to this
 * folder.
 *
 * Everything here is pure (no I/O, no global state) and may run on any
 * thread; ba_verify uses the caller's crypt buffer. */
#ifndef DF_EXTENSIONS_BASIC_AUTH_BASIC_AUTH_H
#define DF_EXTENSIONS_BASIC_AUTH_BASIC_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "df/options.h"

/* The largest htpasswd file (and inline text). */
#define BA_FILE_MAX (1024 * 1024)
/* The longest user name. */
#define BA_USER_MAX 255
/* The longest decoded `user:password` a request may carry. */
#define BA_CRED_MAX 1024
/* Verified credentials remembered per instance (one per core). */
#define BA_CACHE_ENTRIES 1024
/* The most expensive hashes accepted: a check that misses the cache runs
 * one on the core's loop (bcrypt cost 12 is ~0.25 s; so are ~500000
 * SHA-crypt rounds). */
#define BA_BCRYPT_COST_MAX     12
#define BA_SHACRYPT_ROUNDS_MAX 500000

struct ba_htpasswd_config {
    const char *file; /* NULL: none */
    const char *text; /* `inline`, or NULL */
};

struct ba_config {
    struct ba_htpasswd_config htpasswd;
    uint64_t cache_ttl;      /* ns; 0 = no cache */
    uint64_t watch_interval; /* ns between checks of the file */
    const char *realm;       /* of the 401 challenge */
};

/* The option table of `config:`; its checks parse `inline` and read and
 * parse `file` once (the runtime's rules: readable, at most BA_FILE_MAX,
 * every line valid, at least one user). */
extern const struct df_option_table ba_table;

enum ba_hash_kind { BA_HASH_BCRYPT, BA_HASH_SHA256_CRYPT, BA_HASH_SHA512_CRYPT, BA_HASH_SHA1 };

/* One htpasswd line. Strings are NUL-terminated and point into the owning
 * ba_users' text. */
struct ba_user {
    const char *name;
    size_t name_len;
    const char *hash; /* as written: "$2y$10$...", "{SHA}..." */
    size_t hash_len;
    enum ba_hash_kind kind;
    unsigned line;
    unsigned char sha1[20]; /* {SHA}: the decoded digest */
};

/* A parsed htpasswd text: users sorted by name (unique). */
struct ba_users {
    struct ba_user *v;
    size_t n;
    char *text; /* a copy of the input the users point into */
};

/* Parses htpasswd content buf[0..len): lines `user:hash`, blank lines and
 * lines starting with '#' ignored, CR LF accepted. Returns 0 and fills *out
 * (free with ba_users_free), DF_ENOMEM, or DF_EINVAL with why[] saying which
 * line (and user, when the name is readable) is wrong and how — never a hash
 * or anything after the first ':'. A text without any user is an error. */
int ba_htpasswd_parse(const char *buf, size_t len, struct ba_users *out, char *why, size_t n);
void ba_users_free(struct ba_users *u);

/* The user named name[0..len), or NULL. */
const struct ba_user *ba_users_find(const struct ba_users *u, const char *name, size_t len);

struct crypt_data;

/* True when `password` (NUL-terminated, `len` bytes) matches u's hash:
 * crypt_rn for bcrypt and SHA-crypt, SHA-1 for {SHA}; the computed and
 * stored values are compared with CRYPTO_memcmp. `cd` is scratch, zeroed
 * once by its owner. */
bool ba_verify(const struct ba_user *u, const char *password, size_t len, struct crypt_data *cd);

/* Counters of one instance (one core), for tests: cache hits and misses,
 * hashes computed (ba_verify calls), cache entries dropped by a reload. */
struct ba_stats {
    uint64_t hits, misses, hashes, invalidated;
};

/* Copies the counters of the instance whose state is `state` (the `self`
 * of its auth_check). The instance's core thread. */
void ba_stats_get(const void *state, struct ba_stats *out);

/* What an Authorization value holds. */
enum ba_header {
    BA_HEADER_OK,
    BA_HEADER_MISSING,      /* blank */
    BA_HEADER_OTHER_SCHEME, /* not `Basic` */
    BA_HEADER_MALFORMED,    /* no token, bad base64, no ':', empty user,
                               control characters, longer than BA_CRED_MAX */
};

/* Decodes the credentials of `Basic <token>`: `token` (b64[0..len), what
 * df_auth_credential gives) must be base64(user:password). On OK (else
 * MALFORMED), cred[0..*cred_len) is `user:password` followed by a NUL,
 * *user_len the user's length (the first ':' ends it; the password may
 * contain ':'). `cred` has BA_CRED_MAX + 1 bytes; the caller wipes it. */
enum ba_header ba_credential_decode(const char *b64, size_t len, char *cred, size_t *cred_len,
                                    size_t *user_len);

/* Decodes `Basic base64(user:password)` from one Authorization value
 * value[0..len): df_auth_credential's rules (RFC 7617: surrounding spaces
 * and tabs ignored, scheme case-insensitive, one or more spaces), then
 * ba_credential_decode's. */
enum ba_header ba_header_decode(const char *value, size_t len, char *cred, size_t *cred_len,
                                size_t *user_len);

/* Strict base64 (RFC 4648 alphabet, padded, length a multiple of 4, the
 * padding's bits zero: only the canonical encoding) into out[0..cap).
 * Returns the decoded length, or -1. */
long ba_base64_decode(const char *in, size_t len, unsigned char *out, size_t cap);

#endif
