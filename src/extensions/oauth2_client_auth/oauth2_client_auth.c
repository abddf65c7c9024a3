/* extensions/oauth2_client_auth/oauth2_client_auth.c —
 * extension:oauth2_client_auth (urn:otel:extension:oauth2_client_auth).
 *
 * Gets access tokens from an OAuth2 token endpoint with the client
 * credentials grant (RFC 6749 §4.4) and hands the current one to exporters
 * (bearer_token_provider). Shared: one instance per pipeline.
 *
 * Background task (control thread). One request at a time, made with
 * df_extension_fetch: at start, then at the token's expiry minus
 * `expiry_buffer` (at most half its lifetime), less up to a tenth of the
 * wait as jitter; a token without expires_in is fetched again every
 * O2C_NO_EXPIRY_REFRESH_NS. A failed request is retried after
 * retry_initial_interval, doubled after each further failure up to
 * retry_max_interval, each wait drawn at random from its upper half. The
 * client secret is read from `client_secret_file` before each request, so
 * a rotated secret needs no restart. Every request counts one refresh
 * (df_extension_refreshed); the first token opens the readiness gate.
 *
 * State. Each token is published whole, with its version and the moment
 * (uv_hrtime) it stops being served — its expiry less the safety margin,
 * O2C_SERVE_MARGIN_NS or a tenth of its lifetime when shorter, counted from
 * when the request was sent — through a snapshot cell; each core reads it
 * through its own view: a relaxed load and a clock read per call, no lock.
 * A failed refresh keeps the current token in service until that moment;
 * past it the provider answers none (and the task publishes "nothing", so
 * the token leaves memory) until a request succeeds.
 *
 * Logs and metrics never contain the secret or a token. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <uv.h>

#include "df/capabilities/bearer_token_provider.h"
#include "df/extension.h"
#include "extensions/common/file_read.h"
#include "extensions/common/snapshot_view.h"
#include "extensions/oauth2_client_auth/oauth2_client_auth.h"

#define NS_PER_S 1000000000ull

/* One published token; immutable. */
struct token {
    size_t size; /* of the allocation (wiped when freed) */
    uint64_t version;
    uint64_t serve_until; /* uv_hrtime(); UINT64_MAX: no known expiry */
    size_t len;
    char value[];
};

struct o2c {
    struct df_extension *ext;
    const struct o2c_config *c;
    struct df_snapshot *cell;
    struct df_ext_timer *next;   /* the next request */
    struct df_ext_timer *expiry; /* the current token's end of service */
    char *scope;                 /* the scopes, space-separated; NULL without */
    /* Control thread only. */
    bool inflight, stopping, ready, serving;
    unsigned failures; /* in a row */
    uint64_t version;
    uint64_t sent;        /* uv_hrtime() of the request in flight */
    uint64_t serve_until; /* of the token in service */
    uint64_t rng;
};

static void token_free(void *p)
{
    struct token *t = p;
    OPENSSL_cleanse(t, t->size);
    free(t);
}

/* xorshift64*: jitter only. */
static uint64_t rnd(struct o2c *o)
{
    o->rng ^= o->rng >> 12;
    o->rng ^= o->rng << 25;
    o->rng ^= o->rng >> 27;
    return o->rng * 2685821657736338717ull;
}

static void schedule(struct o2c *o, uint64_t delay_ns)
{
    df_ext_timer_start(o->next, delay_ns, 0);
}

/* After a failure: the next wait of the backoff, from its upper half. */
static uint64_t backoff(struct o2c *o)
{
    unsigned shift = o->failures > 31 ? 31 : o->failures;
    uint64_t d = o->c->retry_initial << shift;
    if (d > o->c->retry_max || d >> shift != o->c->retry_initial)
        d = o->c->retry_max;
    o->failures++;
    return d - rnd(o) % (d / 2 + 1);
}

static void failed(struct o2c *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A request that did not bring a token: logged, counted, retried later. */
static void failed(struct o2c *o, const char *fmt, ...)
{
    char why[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    uint64_t wait = backoff(o), now = uv_hrtime();
    char state[96];
    if (!o->serving)
        snprintf(state, sizeof state, "no token to serve");
    else if (o->serve_until == UINT64_MAX)
        snprintf(state, sizeof state, "the current token stays in service");
    else
        snprintf(state, sizeof state, "the current token is served for %.1f s more",
                 o->serve_until > now ? (double)(o->serve_until - now) / 1e9 : 0.0);
    df_extension_log(o->ext, DF_LOG_WARN, "token request failed: %s; %s; retrying in %.1f s", why,
                     state, (double)wait / 1e9);
    df_extension_refreshed(o->ext, false);
    schedule(o, wait);
}

/* The client secret: the inline one, or the file's content now. Returns
 * its length and points *s at it (in `buf` for a file), or -1 after
 * writing why into `why`. */
static long secret(struct o2c *o, char *buf, size_t cap, const char **s, char *why, size_t n)
{
    if (o->c->client_secret) {
        *s = o->c->client_secret;
        return (long)strlen(*s);
    }
    const char *path = o->c->client_secret_file;
    size_t len, start, slen;
    /* Opened non-blocking: a FIFO put in its place cannot hang the loop. */
    const char *bad = ext_file_read_sync(path, buf, cap, &len);
    if (bad) {
        OPENSSL_cleanse(buf, len);
        snprintf(why, n, "cannot read client_secret_file '%s': %s", path, bad);
        return -1;
    }
    bad = len >= cap ? "it is larger than 16KiB" : o2c_secret_find(buf, len, &start, &slen);
    if (bad) {
        OPENSSL_cleanse(buf, len);
        snprintf(why, n, "cannot use client_secret_file '%s': %s", path, bad);
        return -1;
    }
    *s = buf + start;
    return (long)slen;
}

static void on_token(void *ud, const struct df_fetch_result *r);

/* Sends a token request, unless one is in flight. */
static void request(struct df_extension *ext, void *state)
{
    struct o2c *o = state;
    (void)ext;
    if (o->inflight || o->stopping)
        return;
    char buf[O2C_SECRET_MAX + 2];
    const char *sec = NULL;
    char why[320];
    long slen = secret(o, buf, sizeof buf, &sec, why, sizeof why);
    if (slen < 0) {
        failed(o, "%s", why);
        return;
    }
    const struct o2c_config *c = o->c;
    struct o2c_buf body = {0}, auth = {0};
    o2c_buf_form_field(&body, "grant_type", "client_credentials");
    if (o->scope) {
        o2c_buf_add(&body, "&", 1);
        o2c_buf_form_field(&body, "scope", o->scope);
    }
    for (size_t i = 0; i < c->endpoint_params.count; i++) {
        o2c_buf_add(&body, "&", 1);
        o2c_buf_form_field(&body, c->endpoint_params.keys[i],
                           *DF_MAP_AT(c->endpoint_params, const char *, i));
    }
    const char *headers[4] = {"Accept: application/json",
                              "Content-Type: application/x-www-form-urlencoded", NULL, NULL};
    if (c->auth_style == O2C_AUTH_POST) {
        o2c_buf_add(&body, "&", 1);
        o2c_buf_form_field(&body, "client_id", c->client_id);
        o2c_buf_add(&body, "&client_secret=", 15);
        o2c_buf_urlencode(&body, sec, (size_t)slen);
    } else if (o2c_basic_header(c->client_id, sec, (size_t)slen, &auth) == 0) {
        headers[2] = auth.p;
    }
    if (c->client_secret_file)
        OPENSSL_cleanse(buf, sizeof buf);
    int rc = DF_ENOMEM;
    if (!body.oom && !auth.oom) {
        struct df_fetch_req req = {.method = "POST",
                                   .url = c->token_url,
                                   .headers = headers,
                                   .body = body.p,
                                   .body_len = body.len,
                                   .timeout_ns = c->timeout,
                                   .max_body = O2C_RESPONSE_MAX,
                                   .ca_file = c->tls.ca_file,
                                   .insecure_skip_verify = c->tls.insecure_skip_verify};
        o->sent = uv_hrtime();
        rc = df_extension_fetch(o->ext, &req, on_token, o);
    }
    o2c_buf_wipe(&body);
    o2c_buf_wipe(&auth);
    if (rc < 0) {
        failed(o, "cannot start the request: %s", df_strerror(rc));
        return;
    }
    o->inflight = true;
}

/* The token in service reached its end: nothing to serve until a request
 * succeeds (the readers saw it by the clock already). */
static void on_expiry(struct df_extension *ext, void *state)
{
    struct o2c *o = state;
    if (!o->serving || o->serve_until == UINT64_MAX)
        return;
    o->serving = false;
    (void)df_snapshot_publish(o->cell, NULL); /* on failure the old one stays, unserved */
    df_extension_log(ext, DF_LOG_WARN,
                     "the access token expired before a new one could be obtained; exporters "
                     "have no token until a token request succeeds");
}

/* Publishes token `t`, served until `serve_until` (uv_hrtime(); UINT64_MAX:
 * no known expiry). Returns 0 or DF_ENOMEM. */
static int publish(struct o2c *o, const struct o2c_token *t, uint64_t serve_until)
{
    size_t size = sizeof(struct token) + t->len + 1;
    struct token *p = malloc(size);
    if (!p)
        return DF_ENOMEM;
    *p = (struct token){
        .size = size, .version = o->version + 1, .serve_until = serve_until, .len = t->len};
    memcpy(p->value, t->value, t->len + 1);
    int rc = df_snapshot_publish(o->cell, p); /* frees p on failure */
    if (rc < 0)
        return rc;
    o->version++;
    o->serving = true;
    o->serve_until = serve_until;
    return 0;
}

static void on_token(void *ud, const struct df_fetch_result *r)
{
    struct o2c *o = ud;
    o->inflight = false;
    if (o->stopping)
        return; /* DF_ECANCELED: the engine is stopping */
    if (r->rc < 0) {
        failed(o, "%s", r->error[0] ? r->error : df_strerror(r->rc));
        return;
    }
    struct o2c_token t;
    int rc = o2c_parse_response(r->status, r->body, r->body_len, &t);
    /* The token is served for its lifetime less the margin, counted from
     * when the request was sent (0: no expires_in, served without end). */
    uint64_t life = (uint64_t)t.expires_in * NS_PER_S;
    uint64_t margin = life / 10 < O2C_SERVE_MARGIN_NS ? life / 10 : O2C_SERVE_MARGIN_NS;
    uint64_t served = life - margin;
    uint64_t serve_until = life ? o->sent + served : UINT64_MAX;
    if (rc == 0 && (rc = publish(o, &t, serve_until)) < 0)
        snprintf(t.why, sizeof t.why, "out of memory");
    if (rc < 0) {
        o2c_token_clear(&t);
        failed(o, "%s", t.why);
        return;
    }
    o2c_token_clear(&t);
    uint64_t wait;
    if (life) {
        /* At most half the lifetime, and at least twice the serving margin
         * so that a request is out before the token stops being served. */
        uint64_t buffer = o->c->expiry_buffer < life / 2 ? o->c->expiry_buffer : life / 2;
        if (buffer < 2 * margin)
            buffer = 2 * margin;
        uint64_t elapsed = uv_hrtime() - o->sent;
        wait = life - buffer > elapsed ? life - buffer - elapsed : 0;
        df_ext_timer_start(o->expiry, served > elapsed ? served - elapsed : 0, 0);
    } else {
        wait = O2C_NO_EXPIRY_REFRESH_NS;
        df_ext_timer_stop(o->expiry);
    }
    wait -= rnd(o) % (wait / 10 + 1);
    o->failures = 0;
    df_extension_refreshed(o->ext, true);
    df_extension_log(o->ext, o->ready ? DF_LOG_DEBUG : DF_LOG_INFO,
                     "access token obtained (%s%.0f s); the next request in %.1f s",
                     life ? "expires in " : "no expiry given; refreshed every ",
                     life ? (double)life / 1e9 : (double)O2C_NO_EXPIRY_REFRESH_NS / 1e9,
                     (double)wait / 1e9);
    if (!o->ready) {
        o->ready = true;
        df_extension_ready(o->ext);
    }
    schedule(o, wait);
}

/* ---- bearer_token_provider ---------------------------------------------------- */

/* `self` is the core's ext_view. The value stays valid until the next call
 * on the same core (the view holds its version until then). */
static enum df_bearer_token_outcome provider_token(void *self, struct df_bearer_token *out)
{
    struct ext_view *v = self;
    const struct token *t = df_snapshot_read(&v->view);
    if (!t || uv_hrtime() >= t->serve_until)
        return DF_BEARER_TOKEN_NONE;
    *out = (struct df_bearer_token){.value = t->value, .len = t->len, .version = t->version};
    return DF_BEARER_TOKEN_OK;
}

static const struct df_bearer_token_provider_ops provider_ops = {.token = provider_token};

/* ---- hooks ------------------------------------------------------------------------ */

static void o2c_free(struct o2c *o)
{
    if (o->cell)
        df_snapshot_free(o->cell);
    free(o->scope);
    free(o);
}

static int o2c_create(struct df_extension *ext, const void *options, void **state,
                      struct df_error *err)
{
    (void)err;
    const struct o2c_config *c = options;
    struct o2c *o = calloc(1, sizeof *o);
    if (!o || !(o->cell = df_snapshot_new(token_free))) {
        free(o);
        return DF_ENOMEM;
    }
    o->ext = ext;
    o->c = c;
    o->rng = uv_hrtime() ^ (uintptr_t)o ^ 0x9e3779b97f4a7c15ull;
    if (!o->rng)
        o->rng = 1;
    if (c->scopes.count) {
        size_t n = 0;
        for (size_t i = 0; i < c->scopes.count; i++)
            n += strlen(*DF_LIST_AT(c->scopes, const char *, i)) + 1;
        if (!(o->scope = malloc(n))) {
            o2c_free(o);
            return DF_ENOMEM;
        }
        o->scope[0] = 0;
        for (size_t i = 0; i < c->scopes.count; i++) {
            if (i)
                strcat(o->scope, " ");
            strcat(o->scope, *DF_LIST_AT(c->scopes, const char *, i));
        }
    }
    if (!(o->next = df_extension_timer(ext, request)) ||
        !(o->expiry = df_extension_timer(ext, on_expiry))) {
        o2c_free(o);
        return DF_ENOMEM;
    }
    *state = o;
    return 0;
}

static int o2c_start(struct df_extension *ext, void *state, struct df_error *err)
{
    (void)err;
    request(ext, state); /* a failure is retried; the readiness gate bounds the wait */
    return 0;
}

/* A request in flight ends with DF_ECANCELED before destroy; its callback
 * only notes it. */
static void o2c_stop(struct df_extension *ext, void *state)
{
    struct o2c *o = state;
    o->stopping = true;
    df_extension_stopped(ext);
}

static void o2c_destroy(struct df_extension *ext, void *state)
{
    (void)ext;
    o2c_free(state);
}

static int o2c_attach(struct df_extension *ext, void *state, unsigned core, void **self,
                      struct df_error *err)
{
    (void)ext;
    (void)core;
    (void)err;
    const struct o2c *o = state;
    return ext_view_attach(o, o->cell, self);
}

static void o2c_detach(struct df_extension *ext, void *state, void *self)
{
    (void)ext;
    (void)state;
    ext_view_detach(self);
}

static const struct df_extension_ops o2c_ops = {.create = o2c_create,
                                                .start = o2c_start,
                                                .stop = o2c_stop,
                                                .destroy = o2c_destroy,
                                                .attach = o2c_attach,
                                                .detach = o2c_detach};

static const struct df_ext_capability o2c_caps[] = {
    {DF_BEARER_TOKEN_PROVIDER_NAME, 1, &provider_ops},
    {0},
};

DF_REGISTER_EXTENSION(oauth2_client_auth, "urn:otel:extension:oauth2_client_auth",
                      "OAuth2 client credentials grant: gets access tokens from a token endpoint, "
                      "renews them before they expire, and supplies the current one to exporters "
                      "(bearer_token_provider).",
                      "docs/extensions/oauth2_client_auth.md", DF_EXEC_SHARED, DF_LIFECYCLE_ACTIVE,
                      .capabilities = o2c_caps, .options = &o2c_table, .ops = &o2c_ops,
                      .ready_timeout_ns = 30000000000ull);
