/* extensions/oauth2_client_auth/oauth2_client_auth.h —
 * extension:oauth2_client_auth's configuration, and the pure functions its
 * runtime (oauth2_client_auth.c), its config check (config.c), the unit
 * tests and the fuzz target share: the form encoding of the token request
 * and the parser of the token endpoint's response (token.c). Private to
 * this folder and its tests.
 *
 * Once parsed the config is read-only; any thread may read it. The pure
 * functions touch nothing but their arguments: any thread. */
#ifndef DF_EXTENSIONS_OAUTH2_CLIENT_AUTH_OAUTH2_CLIENT_AUTH_H
#define DF_EXTENSIONS_OAUTH2_CLIENT_AUTH_OAUTH2_CLIENT_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "df/options.h"
#include "extensions/common/fetch_config.h"

/* The longest access token accepted, and the longest client secret read
 * from `client_secret_file`. */
#define O2C_TOKEN_MAX  (16 * 1024)
#define O2C_SECRET_MAX (16 * 1024)
/* The largest token response read (df_fetch_req.max_body). */
#define O2C_RESPONSE_MAX (64 * 1024)
/* expires_in above this (a year, in seconds) is taken as this. */
#define O2C_EXPIRES_IN_MAX (365ll * 24 * 3600)
/* A token without expires_in is fetched again after this (ns). */
#define O2C_NO_EXPIRY_REFRESH_NS (300ull * 1000000000ull)
/* A token is served until this long before its expiry (ns), or a tenth of
 * its lifetime when that is shorter (the capability's safety margin). */
#define O2C_SERVE_MARGIN_NS (1000000000ull)

enum o2c_auth_style { O2C_AUTH_BASIC, O2C_AUTH_POST };

struct o2c_config {
    const char *token_url;
    const char *client_id;
    const char *client_secret;      /* or NULL */
    const char *client_secret_file; /* or NULL; exactly one of the two */
    struct df_list scopes;          /* const char * */
    struct df_map endpoint_params;  /* const char * */
    int auth_style;                 /* enum o2c_auth_style */
    uint64_t timeout;               /* ns, per request */
    uint64_t expiry_buffer;         /* ns: refresh this long before expiry */
    uint64_t retry_initial;         /* ns: first backoff after a failure */
    uint64_t retry_max;             /* ns: the longest backoff */
    struct ext_tls_config tls;
};

extern const struct df_option_table o2c_table;

/* ---- pure helpers (token.c) ---- */

/* A growing byte string; `oom` once an append failed (then p may be NULL). */
struct o2c_buf {
    char *p;
    size_t len, cap;
    bool oom;
};

/* Appends `s[0..len)` form-encoded (application/x-www-form-urlencoded, as RFC 6749
 * appendix B asks): letters, digits and -._~ as they are, space as '+',
 * every other byte as %XX. Keeps the buffer NUL-terminated. */
void o2c_buf_urlencode(struct o2c_buf *b, const char *s, size_t len);
/* Appends `s` as it is. */
void o2c_buf_add(struct o2c_buf *b, const char *s, size_t len);
/* Appends `&key=value` (no '&' first), both form-encoded. */
void o2c_buf_form_field(struct o2c_buf *b, const char *key, const char *value);
/* Wipes and frees the buffer's bytes (they may hold a secret). */
void o2c_buf_wipe(struct o2c_buf *b);

/* The `Authorization: Basic ...` header line for RFC 6749 §2.3.1:
 * base64(form-encoded id ":" form-encoded secret), in `out` (wipe it after
 * use). Returns 0 or DF_ENOMEM. */
int o2c_basic_header(const char *id, const char *secret, size_t secret_len, struct o2c_buf *out);

/* The token of a successful response. */
struct o2c_token {
    char *value;        /* malloc'd, NUL-terminated; wipe with o2c_token_clear */
    size_t len;         /* 1..O2C_TOKEN_MAX, visible ASCII only */
    int64_t expires_in; /* seconds, 1..O2C_EXPIRES_IN_MAX; 0 when absent */
    char why[256];      /* when the parse failed: why, never quoting the token */
};

/* Parses the token endpoint's answer: HTTP `status` and the body. A 2xx
 * with a JSON object holding `access_token` (a non-empty string of visible
 * ASCII, at most O2C_TOKEN_MAX), `token_type` absent or "Bearer" (any
 * case), `expires_in` absent, or a positive integer (also written as a
 * string of digits, or a number with a fraction, truncated; above a year it
 * is taken as a year) and no `error` is a token: returns 0 and fills `out`.
 * Anything else returns DF_EINVAL with `out->why` saying what (an RFC 6749
 * §5.2 error response as "invalid_client: <error_description>", control
 * characters replaced, bounded), or DF_ENOMEM. Never reads past len. */
int o2c_parse_response(long status, const uint8_t *body, size_t len, struct o2c_token *out);

/* Wipes and frees the token's value. */
void o2c_token_clear(struct o2c_token *t);

/* Finds the secret in a file's content `buf[0..len)`: surrounding
 * whitespace (spaces, tabs, CR, LF) trimmed. Returns NULL and sets *start
 * and *slen, or why there is none (a static string). */
const char *o2c_secret_find(const char *buf, size_t len, size_t *start, size_t *slen);

#endif
