/* extensions/bearer_token_auth/bearer_token_auth.c —
 * extension:bearer_token_auth (urn:otel:extension:bearer_token_auth).
 *
 * Accepts requests whose `Authorization: Bearer <token>` carries one of the
 * configured tokens (auth_check), and hands the first configured token to
 * exporters (bearer_token_provider). Shared: one instance per pipeline.
 *
 * State. The accepted tokens are kept as SHA-256 digests, in config order
 * (token/file first, then tokens[]), in an immutable `struct tokens`
 * published through a snapshot cell; it also holds the provider's token
 * (the first one) in clear, with a version that changes when that token
 * does. Each core reads the cell through its own df_snapshot_view, made by
 * attach: a relaxed load per call, no lock. Nothing is published until
 * every token is loaded, so until then checks answer error (fail closed)
 * and the provider answers none.
 *
 * Background task (control thread). The token files are a watched set
 * (extensions/common/file_watch.h): a change of any of them starts a round
 * that reads every file again with libuv's asynchronous uv_fs_* calls (the
 * thread pool), never blocking the control loop even on a slow file
 * system, bounded to BTA_TOKEN_MAX bytes. A file
 * that fails to read or holds no usable token keeps its previous token;
 * each round counts one refresh, ok only when every file read well, and the
 * cell is republished only when a token changed. The instance is ready once
 * every file has loaded.
 *
 * Checks. The presented token is hashed with SHA-256 and its digest
 * compared with every accepted digest using CRYPTO_memcmp, always all of
 * them and selecting the match without a branch, so the time depends on
 * neither the accepted tokens' content or length nor on which one matched.
 * Logs, details and metrics never contain a token. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <uv.h>

#include "df/capabilities/auth_check.h"
#include "df/capabilities/bearer_token_provider.h"
#include "df/extension.h"
#include "extensions/bearer_token_auth/bearer_token_auth.h"
#include "extensions/common/file_watch.h"

#define DIGEST_LEN 32

struct bta;

/* One accepted token, in config order. */
struct source {
    const char *token; /* inline, or NULL */
    const char *path;  /* file, or NULL */
    struct df_identity identity;
    /* Control thread: the token in force. */
    bool loaded;
    unsigned char digest[DIGEST_LEN];
    int file; /* files only: its index in a round's files */
};

/* One published state; immutable. */
struct tokens {
    size_t size; /* of the allocation (wiped when freed) */
    size_t n;
    uint64_t version; /* the provider token's; never 0 */
    size_t len;       /* the provider token's length */
    const char *token;
    const unsigned char (*digests)[DIGEST_LEN]; /* n */
};

struct bta {
    struct df_extension *ext;
    const struct bta_config *c;
    EVP_MD *sha256;
    struct df_snapshot *cell;
    size_t n;
    struct source *src;
    char *subjects; /* the default subjects' text */
    /* Control thread only. */
    struct ext_file_watch *files; /* NULL without token files */
    bool ready, round_failed;
    bool dirty;  /* a token changed since the last publication */
    char *token; /* the provider token (source 0) */
    size_t token_len;
    uint64_t version;
};

/* The per-core `self` of both capabilities. */
struct view {
    struct df_snapshot_view view;
    const struct bta *b;
    EVP_MD_CTX *md;
};

/* ---- state ----------------------------------------------------------------- */

static void tokens_free(void *p)
{
    struct tokens *t = p;
    OPENSSL_cleanse(t, t->size);
    free(t);
}

static int digest(const struct bta *b, const char *s, size_t len, unsigned char out[DIGEST_LEN])
{
    unsigned int n = 0;
    return EVP_Digest(s, len, out, &n, b->sha256, NULL) && n == DIGEST_LEN ? 0 : DF_ENOMEM;
}

static int set_token(struct bta *b, const char *s, size_t len)
{
    char *t = malloc(len + 1);
    if (!t)
        return DF_ENOMEM;
    memcpy(t, s, len);
    t[len] = 0;
    if (b->token) {
        OPENSSL_cleanse(b->token, b->token_len);
        free(b->token);
    }
    b->token = t;
    b->token_len = len;
    b->version++;
    return 0;
}

static int publish(struct bta *b)
{
    size_t size = sizeof(struct tokens) + b->n * DIGEST_LEN + b->token_len + 1;
    struct tokens *t = malloc(size);
    if (!t)
        return DF_ENOMEM;
    unsigned char(*digests)[DIGEST_LEN] = (void *)(t + 1);
    char *token = (char *)(digests + b->n);
    for (size_t i = 0; i < b->n; i++)
        memcpy(digests[i], b->src[i].digest, DIGEST_LEN);
    memcpy(token, b->token, b->token_len + 1);
    *t = (struct tokens){.size = size,
                         .n = b->n,
                         .version = b->version,
                         .len = b->token_len,
                         .token = token,
                         .digests = (const unsigned char(*)[DIGEST_LEN])digests};
    return df_snapshot_publish(b->cell, t);
}

/* ---- reading token files ----------------------------------------------------- */

/* The token `r` read (or why not) becomes the source's, if it is usable. */
static void apply(struct bta *b, struct source *s, const struct ext_file_read *r)
{
    size_t start = 0, len = 0;
    const char *why = r->why ? r->why : bta_token_find(r->buf, r->len, &start, &len);
    bool io = r->why != NULL;
    unsigned char d[DIGEST_LEN];
    if (!why && digest(b, r->buf + start, len, d) < 0) {
        why = "out of memory";
        io = true;
    }
    if (why) {
        b->round_failed = true;
        df_extension_log(b->ext, DF_LOG_WARN, "cannot %s token file '%s': %s%s%s",
                         s->loaded ? "reload" : "load", s->path, io ? "" : "the token ", why,
                         s->loaded ? "; the previous token stays in force"
                                   : "; requests are refused until it loads");
        return;
    }
    if (s->loaded && !CRYPTO_memcmp(d, s->digest, DIGEST_LEN))
        return; /* touched, not changed */
    if (s == &b->src[0] && set_token(b, r->buf + start, len) < 0) {
        b->round_failed = true;
        df_extension_log(b->ext, DF_LOG_WARN, "cannot reload token file '%s': out of memory",
                         s->path);
        return;
    }
    df_extension_log(b->ext, DF_LOG_INFO, "token file '%s' %s", s->path,
                     s->loaded ? "changed: new token in force" : "loaded");
    memcpy(s->digest, d, DIGEST_LEN);
    s->loaded = true;
    b->dirty = true;
}

/* Every token file was read (again): one refresh, ok only when every file
 * read well; the cell is republished when a token changed. */
static void on_round(void *ud, const struct ext_file_read *const *files)
{
    struct bta *b = ud;
    b->round_failed = false;
    for (size_t i = 0; i < b->n; i++) {
        if (b->src[i].path)
            apply(b, &b->src[i], files[b->src[i].file]);
    }
    bool all = true;
    for (size_t i = 0; i < b->n; i++)
        all &= b->src[i].loaded;
    if (all && b->dirty) {
        if (publish(b) < 0) {
            b->round_failed = true; /* still dirty: the next round tries again */
            df_extension_log(b->ext, DF_LOG_WARN, "cannot publish the new tokens: out of memory");
        } else {
            b->dirty = false;
        }
    }
    df_extension_refreshed(b->ext, !b->round_failed);
    if (all && !b->ready) {
        b->ready = true;
        df_extension_ready(b->ext);
    }
}

static void on_watch(struct df_extension *ext, void *state)
{
    (void)ext;
    ext_file_watch_kick(((struct bta *)state)->files);
}

/* ---- auth_check ---------------------------------------------------------------- */

static enum df_auth_decision deny(struct df_auth_result *out, enum df_auth_reason reason,
                                  const char *challenge, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static enum df_auth_decision deny(struct df_auth_result *out, enum df_auth_reason reason,
                                  const char *challenge, const char *fmt, ...)
{
    out->decision = DF_AUTH_DENY;
    out->reason = reason;
    out->challenge = challenge;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out->detail, sizeof out->detail, fmt, ap);
    va_end(ap);
    return DF_AUTH_DENY;
}

/* The index of the accepted digest equal to `d`, or n. Compares against
 * every digest and picks the first match with masks: the time is the same
 * whichever one matches, or none. */
static size_t find(const struct tokens *t, const unsigned char d[DIGEST_LEN])
{
    size_t match = t->n, found = 0;
    for (size_t i = 0; i < t->n; i++) {
        size_t eq = (size_t)(CRYPTO_memcmp(d, t->digests[i], DIGEST_LEN) == 0);
        size_t take = (size_t)0 - (eq & (found ^ 1)); /* all ones for the first match */
        match = (match & ~take) | (i & take);
        found |= eq;
    }
    return match;
}

/* Decides from the `header` header:
 *   several of them                         deny invalid_credential
 *   absent (or blank)                       deny missing_credential
 *   a scheme other than `scheme`            deny invalid_credential
 *   `<scheme>` without a token, or a token with characters other than
 *   visible ASCII                           deny invalid_credential
 *   nothing loaded yet                      error
 *   a token that is not accepted            deny invalid_credential
 *   an accepted token                       allow, with its entry's identity
 * The header is read by df_auth_credential (surrounding spaces and tabs
 * ignored, the scheme compared case-insensitively, one or more spaces
 * before the token). Every denial carries the scheme as its challenge. */
static enum df_auth_decision check(void *self, const struct df_auth_request *req,
                                   struct df_auth_result *out)
{
    struct view *v = self;
    const struct bta_config *c = v->b->c;
    const char *scheme = c->scheme;
    const char *tok = NULL;
    size_t tlen = 0;
    switch (df_auth_credential(req, c->header, scheme, &tok, &tlen)) {
    case DF_AUTH_CREDENTIAL_OK:
        break;
    case DF_AUTH_CREDENTIAL_SEVERAL:
        return deny(out, DF_AUTH_INVALID_CREDENTIAL, scheme, "several %s headers", c->header);
    case DF_AUTH_CREDENTIAL_MISSING:
        return deny(out, DF_AUTH_MISSING_CREDENTIAL, scheme, "no %s header", c->header);
    case DF_AUTH_CREDENTIAL_OTHER_SCHEME:
        return deny(out, DF_AUTH_INVALID_CREDENTIAL, scheme, "scheme is not %s", scheme);
    case DF_AUTH_CREDENTIAL_MALFORMED:
        return deny(out, DF_AUTH_INVALID_CREDENTIAL, scheme, "malformed %s header", c->header);
    }
    const struct tokens *t = df_snapshot_read(&v->view);
    if (!t) {
        snprintf(out->detail, sizeof out->detail, "no token loaded yet");
        return out->decision = DF_AUTH_ERROR;
    }
    unsigned char d[DIGEST_LEN];
    unsigned int n = 0;
    if (!EVP_DigestInit_ex2(v->md, v->b->sha256, NULL) || !EVP_DigestUpdate(v->md, tok, tlen) ||
        !EVP_DigestFinal_ex(v->md, d, &n) || n != DIGEST_LEN) {
        snprintf(out->detail, sizeof out->detail, "cannot hash the token (out of memory)");
        return out->decision = DF_AUTH_ERROR;
    }
    size_t at = find(t, d);
    if (at == t->n)
        return deny(out, DF_AUTH_INVALID_CREDENTIAL, scheme, "unknown token");
    out->decision = DF_AUTH_ALLOW;
    out->identity = &v->b->src[at].identity;
    return DF_AUTH_ALLOW;
}

static const struct df_auth_check_ops auth_ops = {.check = check};

/* ---- bearer_token_provider --------------------------------------------------- */

/* The first configured token: `token`/`file`, else tokens[0]. The value
 * stays valid until the next call on the same core (the view keeps its
 * snapshot until then). */
static enum df_bearer_token_outcome provider_token(void *self, struct df_bearer_token *out)
{
    struct view *v = self;
    const struct tokens *t = df_snapshot_read(&v->view);
    if (!t)
        return DF_BEARER_TOKEN_NONE;
    *out = (struct df_bearer_token){.value = t->token, .len = t->len, .version = t->version};
    return DF_BEARER_TOKEN_OK;
}

static const struct df_bearer_token_provider_ops provider_ops = {.token = provider_token};

/* ---- hooks ------------------------------------------------------------------------ */

static void bta_free(struct bta *b)
{
    ext_file_watch_free(b->files);
    if (b->token) {
        OPENSSL_cleanse(b->token, b->token_len);
        free(b->token);
    }
    df_snapshot_free(b->cell);
    EVP_MD_free(b->sha256);
    free(b->subjects);
    free(b->src);
    free(b);
}

static int bta_create(struct df_extension *ext, const void *options, void **state,
                      struct df_error *err)
{
    const struct bta_config *c = options;
    struct bta *b = calloc(1, sizeof *b);
    if (!b)
        return DF_ENOMEM;
    b->ext = ext;
    b->c = c;
    bool top = c->token || c->file;
    b->n = top + c->tokens.count;
    enum { SUBJECT_MAX = 32 };
    if (!(b->src = calloc(b->n, sizeof *b->src)) ||
        !(b->subjects = calloc(c->tokens.count + 1, SUBJECT_MAX)) ||
        !(b->cell = df_snapshot_new(tokens_free))) {
        bta_free(b);
        return DF_ENOMEM;
    }
    if (!(b->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL))) {
        snprintf(err->msg, sizeof err->msg, "OpenSSL has no SHA-256");
        bta_free(b);
        return DF_EINVAL;
    }
    if (top)
        b->src[0] = (struct source){.token = c->token, .path = c->file};
    for (size_t i = 0; i < c->tokens.count; i++) {
        const struct bta_entry_config *e = DF_LIST_AT(c->tokens, struct bta_entry_config, i);
        b->src[top + i] = (struct source){.token = e->token, .path = e->file};
    }
    for (size_t i = 0; i < b->n; i++) {
        struct source *s = &b->src[i];
        const char *subject = c->subject;
        if (!top || i > 0) {
            subject = DF_LIST_AT(c->tokens, struct bta_entry_config, i - top)->subject;
            if (!subject) {
                char *own = b->subjects + i * SUBJECT_MAX;
                snprintf(own, SUBJECT_MAX, "bearer-%zu", i - top);
                subject = own;
            }
        }
        s->identity = (struct df_identity){.subject = subject, .provider = df_extension_name(ext)};
        if (s->token) {
            if (digest(b, s->token, strlen(s->token), s->digest) < 0 ||
                (i == 0 && set_token(b, s->token, strlen(s->token)) < 0)) {
                bta_free(b);
                return DF_ENOMEM;
            }
            s->loaded = true;
            continue;
        }
        if (!b->files && !(b->files = ext_file_watch_new(ext, "token file", BTA_TOKEN_MAX,
                                                         "it is larger than 16KiB", on_round, b))) {
            bta_free(b);
            return DF_ENOMEM;
        }
        if ((s->file = ext_file_watch_add(b->files, s->path)) < 0) {
            bta_free(b);
            return DF_ENOMEM;
        }
    }
    if (!b->files && publish(b) < 0) {
        bta_free(b);
        return DF_ENOMEM;
    }
    *state = b;
    return 0;
}

static int bta_start(struct df_extension *ext, void *state, struct df_error *err)
{
    struct bta *b = state;
    if (!b->files) {
        b->ready = true;
        df_extension_ready(ext);
        return 0;
    }
    int rc = ext_file_watch_start(b->files, b->c->watch_interval, on_watch, err);
    if (rc < 0)
        return rc;
    ext_file_watch_kick(b->files);
    return 0;
}

/* Waits for a round in flight (its reads use the instance's memory). */
static void bta_stop(struct df_extension *ext, void *state)
{
    struct bta *b = state;
    if (b->files)
        ext_file_watch_stop(b->files);
    else
        df_extension_stopped(ext);
}

static void bta_destroy(struct df_extension *ext, void *state)
{
    (void)ext;
    bta_free(state);
}

static int bta_attach(struct df_extension *ext, void *state, unsigned core, void **self,
                      struct df_error *err)
{
    (void)ext;
    (void)core;
    (void)err;
    struct bta *b = state;
    struct view *v = calloc(1, sizeof *v);
    if (!v || !(v->md = EVP_MD_CTX_new())) {
        free(v);
        return DF_ENOMEM;
    }
    v->b = b;
    df_snapshot_view_init(&v->view, b->cell);
    *self = v;
    return 0;
}

static void bta_detach(struct df_extension *ext, void *state, void *self)
{
    (void)ext;
    (void)state;
    struct view *v = self;
    df_snapshot_view_close(&v->view);
    EVP_MD_CTX_free(v->md);
    free(v);
}

static const struct df_extension_ops bta_ops = {.create = bta_create,
                                                .start = bta_start,
                                                .stop = bta_stop,
                                                .destroy = bta_destroy,
                                                .attach = bta_attach,
                                                .detach = bta_detach};

static const struct df_ext_capability bta_caps[] = {
    {DF_AUTH_CHECK_NAME, 1, &auth_ops},
    {DF_BEARER_TOKEN_PROVIDER_NAME, 1, &provider_ops},
    {0},
};

DF_REGISTER_EXTENSION(bearer_token_auth, "urn:otel:extension:bearer_token_auth",
                      "Static bearer tokens, inline or from files reloaded when they change: "
                      "accepts requests carrying one (auth_check) and supplies the first to "
                      "exporters (bearer_token_provider).",
                      "docs/extensions/bearer_token_auth.md", DF_EXEC_SHARED, DF_LIFECYCLE_ACTIVE,
                      .capabilities = bta_caps, .options = &bta_table, .ops = &bta_ops,
                      .ready_timeout_ns = 5000000000ull);
