/* Test-only capabilities, providers and consumers (test_extensions.h). */
#include "tests/support/test_extensions.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "df/capabilities/auth_check.h"
#include "df/capabilities/dataset_lookup.h"
#include "df/extension.h"
#include "df/node.h"
#include "df/options.h"
#include "tests/support/test_components.h"

/* ---- journal ------------------------------------------------------------- */

static pthread_mutex_t journal_lock = PTHREAD_MUTEX_INITIALIZER;
static char journal[TEST_JOURNAL_MAX][96];
static size_t journal_n;

void test_journal_reset(void)
{
    pthread_mutex_lock(&journal_lock);
    journal_n = 0;
    pthread_mutex_unlock(&journal_lock);
}

void test_journal(const char *fmt, ...)
{
    pthread_mutex_lock(&journal_lock);
    if (journal_n < TEST_JOURNAL_MAX) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(journal[journal_n++], sizeof journal[0], fmt, ap);
        va_end(ap);
    }
    pthread_mutex_unlock(&journal_lock);
}

size_t test_journal_count(void)
{
    pthread_mutex_lock(&journal_lock);
    size_t n = journal_n;
    pthread_mutex_unlock(&journal_lock);
    return n;
}

void test_journal_get(size_t i, char *buf, size_t n)
{
    pthread_mutex_lock(&journal_lock);
    snprintf(buf, n, "%s", i < journal_n ? journal[i] : "");
    pthread_mutex_unlock(&journal_lock);
}

long test_journal_find(const char *s)
{
    pthread_mutex_lock(&journal_lock);
    long at = -1;
    for (size_t i = 0; i < journal_n && at < 0; i++) {
        if (!strcmp(journal[i], s))
            at = (long)i;
    }
    pthread_mutex_unlock(&journal_lock);
    return at;
}

/* ---- capabilities ---------------------------------------------------------- */

static const char *const test_auth_methods[] = {"check(user, password) -> allow | deny", NULL};
static const char *const test_auth_outcomes[] = {"allow", "deny", NULL};
DF_REGISTER_CAPABILITY(test_auth_cap, "test_auth", 1, "Test: accepts or rejects a request.",
                       .methods = test_auth_methods, .outcomes = test_auth_outcomes);

static const char *const test_lookup_methods[] = {"lookup(key) -> found(value) | not_found | error",
                                                  "generation() -> the snapshot's number", NULL};
static const char *const test_lookup_outcomes[] = {"found", "not_found", "error", NULL};
DF_REGISTER_CAPABILITY(test_lookup_cap, "test_lookup", 2, "Test: looks a key up in a dataset.",
                       .methods = test_lookup_methods, .outcomes = test_lookup_outcomes);

/* ---- urn:test:extension:auth (local, passive) ------------------------------ */

static const struct df_option string_elem = {.type = DF_OPT_STRING};

static const struct df_option auth_opts[] = {
    {.name = "users",
     .type = DF_OPT_MAP,
     .elem = &string_elem,
     .offset = offsetof(struct test_auth_config, users),
     .desc = "user -> password"},
};

static const struct df_option_table auth_table =
    DF_OPTION_TABLE(struct test_auth_config, auth_opts, "Test auth options.");

static bool auth_check(void *self, const char *user, const char *password)
{
    const struct test_auth_config *c = self;
    for (size_t i = 0; i < c->users.count; i++) {
        if (!strcmp(c->users.keys[i], user))
            return !strcmp(*DF_MAP_AT(c->users, const char *, i), password);
    }
    return false;
}

static const struct test_auth_ops auth_ops = {.check = auth_check};

static int auth_create(struct df_extension *ext, const void *options, void **state,
                       struct df_error *err)
{
    (void)err;
    test_journal("create %s", df_extension_name(ext));
    *state = (void *)options; /* stateless: the config is all it reads */
    return 0;
}

static void auth_destroy(struct df_extension *ext, void *state)
{
    (void)state;
    test_journal("destroy %s", df_extension_name(ext));
}

static const struct df_extension_ops auth_ext_ops = {.create = auth_create,
                                                     .destroy = auth_destroy};

static const struct df_ext_capability auth_caps[] = {{"test_auth", 1, &auth_ops}, {0}};

DF_REGISTER_EXTENSION(test_auth_ext, "urn:test:extension:auth", "Test auth provider (local).",
                      "https://example.invalid/df_engine/test", DF_EXEC_LOCAL, DF_LIFECYCLE_PASSIVE,
                      .capabilities = auth_caps, .options = &auth_table, .ops = &auth_ext_ops);

/* ---- urn:test:extension:header_auth (local, passive): auth_check ---------- */

struct header_auth_config {
    struct df_map tokens;     /* token -> subject */
    struct df_list forbidden; /* tokens */
    const char *error_token;  /* NULL = none */
    bool log_peer;
};

static const struct df_option header_auth_opts[] = {
    {.name = "tokens",
     .type = DF_OPT_MAP,
     .elem = &string_elem,
     .offset = offsetof(struct header_auth_config, tokens),
     .desc = "bearer token -> the subject of its identity"},
    {.name = "forbidden",
     .type = DF_OPT_LIST,
     .elem = &string_elem,
     .flags = DF_OPT_ONE_OR_MANY,
     .offset = offsetof(struct header_auth_config, forbidden),
     .desc = "tokens denied as forbidden (403 / PERMISSION_DENIED)"},
    {.name = "error_token",
     .type = DF_OPT_STRING,
     .offset = offsetof(struct header_auth_config, error_token),
     .desc = "a token answered with error (cannot decide: 503 / UNAVAILABLE)"},
    {.name = "log_peer",
     .type = DF_OPT_BOOL,
     .def = "false",
     .offset = offsetof(struct header_auth_config, log_peer),
     .desc = "log each request's TLS client certificate subject and SANs"},
};

static const struct df_option_table header_auth_table =
    DF_OPTION_TABLE(struct header_auth_config, header_auth_opts, "Test header_auth options.");

struct header_auth {
    struct df_extension *ext;
    const struct header_auth_config *c;
    struct df_identity *ids; /* one per configured token, in config order */
};

/* Compares in time that depends on the lengths only. */
static bool same_secret(const char *a, size_t alen, const char *b)
{
    size_t blen = strlen(b);
    unsigned diff = alen != blen;
    for (size_t i = 0; i < alen; i++)
        diff |= (unsigned char)a[i] ^ (unsigned char)b[i < blen ? i : 0];
    return diff == 0 && blen > 0;
}

static void log_peer(struct header_auth *a, const struct df_auth_request *req)
{
    char sans[512] = "";
    size_t o = 0;
    for (size_t i = 0; i < req->ntls_sans && o < sizeof sans; i++)
        o += (size_t)snprintf(sans + o, sizeof sans - o, "%s%s", i ? "," : "", req->tls_sans[i]);
    df_extension_log(a->ext, DF_LOG_INFO, "peer tls_subject=%s tls_sans=%s",
                     req->tls_subject ? req->tls_subject : "(none)", o ? sans : "(none)");
}

static enum df_auth_decision header_auth_check(void *self, const struct df_auth_request *req,
                                               struct df_auth_result *out)
{
    struct header_auth *a = self;
    if (a->c->log_peer)
        log_peer(a, req);
    size_t len;
    const char *v = df_auth_header_get(req, "authorization", 0, &len);
    out->decision = DF_AUTH_DENY;
    if (!v) {
        out->reason = DF_AUTH_MISSING_CREDENTIAL;
        out->challenge = "Bearer";
        snprintf(out->detail, sizeof out->detail, "no authorization header");
        return out->decision;
    }
    if (len < 7 || strncasecmp(v, "bearer ", 7)) {
        out->reason = DF_AUTH_MISSING_CREDENTIAL;
        out->challenge = "Bearer";
        snprintf(out->detail, sizeof out->detail, "not a Bearer credential");
        return out->decision;
    }
    const char *tok = v + 7;
    size_t tlen = len - 7;
    while (tlen && *tok == ' ') {
        tok++;
        tlen--;
    }
    if (a->c->error_token && same_secret(tok, tlen, a->c->error_token)) {
        out->decision = DF_AUTH_ERROR;
        snprintf(out->detail, sizeof out->detail, "the error token (as configured)");
        return out->decision;
    }
    const char *const *forbidden = a->c->forbidden.items;
    for (size_t i = 0; i < a->c->forbidden.count; i++) {
        if (same_secret(tok, tlen, forbidden[i])) {
            out->reason = DF_AUTH_FORBIDDEN;
            snprintf(out->detail, sizeof out->detail, "a forbidden token");
            return out->decision;
        }
    }
    for (size_t i = 0; i < a->c->tokens.count; i++) {
        if (same_secret(tok, tlen, a->c->tokens.keys[i])) {
            out->decision = DF_AUTH_ALLOW;
            out->identity = &a->ids[i];
            out->detail[0] = 0;
            return out->decision;
        }
    }
    out->reason = DF_AUTH_INVALID_CREDENTIAL;
    out->challenge = "Bearer";
    snprintf(out->detail, sizeof out->detail, "an unknown token");
    return out->decision;
}

static const struct df_auth_check_ops header_auth_ops = {.check = header_auth_check};

static int header_auth_create(struct df_extension *ext, const void *options, void **state,
                              struct df_error *err)
{
    (void)err;
    const struct header_auth_config *c = options;
    struct header_auth *a = calloc(1, sizeof *a);
    if (!a || !(a->ids = calloc(c->tokens.count + 1, sizeof *a->ids))) {
        free(a);
        return DF_ENOMEM;
    }
    a->ext = ext;
    a->c = c;
    for (size_t i = 0; i < c->tokens.count; i++)
        a->ids[i] = (struct df_identity){.subject = *DF_MAP_AT(c->tokens, const char *, i),
                                         .provider = df_extension_name(ext)};
    *state = a;
    test_journal("create %s", df_extension_name(ext));
    return 0;
}

static void header_auth_destroy(struct df_extension *ext, void *state)
{
    struct header_auth *a = state;
    test_journal("destroy %s", df_extension_name(ext));
    free(a->ids);
    free(a);
}

static const struct df_extension_ops header_auth_ext_ops = {.create = header_auth_create,
                                                            .destroy = header_auth_destroy};

static const struct df_ext_capability header_auth_caps[] = {
    {DF_AUTH_CHECK_NAME, 1, &header_auth_ops}, {0}};

DF_REGISTER_EXTENSION(test_header_auth_ext, "urn:test:extension:header_auth",
                      "Test auth_check provider: bearer tokens from the Authorization header.",
                      "https://example.invalid/df_engine/test", DF_EXEC_LOCAL, DF_LIFECYCLE_PASSIVE,
                      .capabilities = header_auth_caps, .options = &header_auth_table,
                      .ops = &header_auth_ext_ops);

/* ---- urn:test:extension:lookup (shared) and :lookup_local ------------------ */

struct lookup_config {
    const char *fetch_url;
    struct df_map entries;
    uint64_t ready_after, refresh, stop_delay;
    int64_t fail_after;
    bool exit_early, fail_start;
};

static const struct df_option lookup_opts[] = {
    {.name = "fetch_url",
     .type = DF_OPT_STRING,
     .flags = DF_OPT_NULLABLE,
     .offset = offsetof(struct lookup_config, fetch_url),
     .desc = "GET this URL at start (df_extension_fetch); the outcome is journaled"},
    {.name = "entries",
     .type = DF_OPT_MAP,
     .elem = &string_elem,
     .offset = offsetof(struct lookup_config, entries),
     .desc = "key -> value"},
    {.name = "ready_after",
     .type = DF_OPT_DURATION,
     .def = "0s",
     .offset = offsetof(struct lookup_config, ready_after),
     .desc = "delay before the first publication"},
    {.name = "refresh",
     .type = DF_OPT_DURATION,
     .def = "0s",
     .offset = offsetof(struct lookup_config, refresh),
     .desc = "republish interval (0 = never)"},
    {.name = "stop_delay",
     .type = DF_OPT_DURATION,
     .def = "0s",
     .offset = offsetof(struct lookup_config, stop_delay),
     .desc = "time the stop takes"},
    {.name = "fail_after",
     .type = DF_OPT_INT,
     .def = "0",
     .offset = offsetof(struct lookup_config, fail_after),
     .desc = "fail after this many refreshes (0 = never)"},
    {.name = "exit_early",
     .type = DF_OPT_BOOL,
     .def = "false",
     .offset = offsetof(struct lookup_config, exit_early),
     .desc = "report stopped unasked once ready"},
    {.name = "fail_start",
     .type = DF_OPT_BOOL,
     .def = "false",
     .offset = offsetof(struct lookup_config, fail_start),
     .desc = "the start hook fails"},
};

static const struct df_option_table lookup_table =
    DF_OPTION_TABLE(struct lookup_config, lookup_opts, "Test lookup options.");

/* One published generation of the dataset. */
struct table {
    uint64_t generation;
    size_t n;
    char **keys, **values;
};

static void table_free(void *p)
{
    struct table *t = p;
    for (size_t i = 0; i < t->n; i++) {
        free(t->keys[i]);
        free(t->values[i]);
    }
    free(t->keys);
    free(t->values);
    free(t);
}

struct lookup {
    struct df_extension *ext;
    const struct lookup_config *c;
    struct df_snapshot *cell;
    struct df_ext_timer *ready_timer, *refresh_timer, *stop_timer;
    uint64_t generation;
    int64_t refreshes;
    struct df_snapshot_view view; /* the local variant's (its self is the state) */
};

static int publish(struct lookup *l)
{
    struct table *t = calloc(1, sizeof *t);
    size_t n = l->c->entries.count;
    if (!t || !(t->keys = calloc(n + 1, sizeof *t->keys)) ||
        !(t->values = calloc(n + 1, sizeof *t->values))) {
        if (t)
            free(t->keys);
        free(t);
        return DF_ENOMEM;
    }
    t->generation = ++l->generation;
    for (size_t i = 0; i < n; i++) {
        char v[128];
        const char *base = *DF_MAP_AT(l->c->entries, const char *, i);
        if (t->generation > 1)
            snprintf(v, sizeof v, "%s#%llu", base, (unsigned long long)t->generation);
        else
            snprintf(v, sizeof v, "%s", base);
        t->keys[i] = strdup(l->c->entries.keys[i]);
        t->values[i] = strdup(v);
        t->n = i + 1;
    }
    return df_snapshot_publish(l->cell, t);
}

static enum test_lookup_outcome view_lookup(struct df_snapshot_view *v, const char *key,
                                            const char **value)
{
    const struct table *t = df_snapshot_read(v);
    if (!t)
        return TEST_LOOKUP_ERROR; /* nothing loaded: cannot decide */
    for (size_t i = 0; i < t->n; i++) {
        if (!strcmp(t->keys[i], key)) {
            *value = t->values[i];
            return TEST_LOOKUP_FOUND;
        }
    }
    return TEST_LOOKUP_NOT_FOUND;
}

static uint64_t view_generation(struct df_snapshot_view *v)
{
    const struct table *t = df_snapshot_read(v);
    return t ? t->generation : 0;
}

/* Shared: self is a per-core view made by attach. */
static enum test_lookup_outcome shared_lookup(void *self, const char *key, const char **value)
{
    return view_lookup(self, key, value);
}

static uint64_t shared_generation(void *self)
{
    return view_generation(self);
}

/* Local: self is the state. */
static enum test_lookup_outcome local_lookup(void *self, const char *key, const char **value)
{
    return view_lookup(&((struct lookup *)self)->view, key, value);
}

static uint64_t local_generation(void *self)
{
    return view_generation(&((struct lookup *)self)->view);
}

static const struct test_lookup_ops shared_lookup_ops = {.lookup = shared_lookup,
                                                         .generation = shared_generation};
static const struct test_lookup_ops local_lookup_ops = {.lookup = local_lookup,
                                                        .generation = local_generation};

static int lookup_create(struct df_extension *ext, const void *options, void **state,
                         struct df_error *err)
{
    (void)err;
    struct lookup *l = calloc(1, sizeof *l);
    if (!l || !(l->cell = df_snapshot_new(table_free))) {
        free(l);
        return DF_ENOMEM;
    }
    l->ext = ext;
    l->c = options;
    df_snapshot_view_init(&l->view, l->cell);
    *state = l;
    test_journal("create %s", df_extension_name(ext));
    return 0;
}

static void on_ready(struct df_extension *ext, void *state)
{
    struct lookup *l = state;
    if (publish(l) < 0) {
        df_extension_fail(ext, "out of memory");
        return;
    }
    test_journal("ready %s", df_extension_name(ext));
    df_extension_ready(ext);
    if (l->c->refresh)
        df_ext_timer_start(l->refresh_timer, l->c->refresh, l->c->refresh);
    if (l->c->exit_early)
        df_extension_stopped(ext);
}

static void on_refresh(struct df_extension *ext, void *state)
{
    struct lookup *l = state;
    if (l->c->fail_after && ++l->refreshes >= l->c->fail_after) {
        df_extension_refreshed(ext, false);
        df_extension_fail(ext, "refresh %lld failed (as configured)", (long long)l->refreshes);
        return;
    }
    df_extension_refreshed(ext, publish(l) == 0);
}

static void fetched(void *ud, const struct df_fetch_result *r)
{
    struct lookup *l = ud;
    test_journal("fetch %s rc=%d status=%ld", df_extension_name(l->ext), r->rc, r->status);
}

static void stop_now(struct df_extension *ext, void *state)
{
    (void)state;
    df_extension_stopped(ext);
}

static int lookup_start(struct df_extension *ext, void *state, struct df_error *err)
{
    struct lookup *l = state;
    test_journal("start %s", df_extension_name(ext));
    if (l->c->fail_start) {
        snprintf(err->msg, sizeof err->msg, "configured to fail at start");
        return DF_EINVAL;
    }
    if (!(l->ready_timer = df_extension_timer(ext, on_ready)) ||
        !(l->refresh_timer = df_extension_timer(ext, on_refresh)) ||
        !(l->stop_timer = df_extension_timer(ext, stop_now)))
        return DF_ENOMEM;
    df_ext_timer_start(l->ready_timer, l->c->ready_after, 0);
    if (l->c->fetch_url) {
        struct df_fetch_req req = {.url = l->c->fetch_url, .timeout_ns = 60000000000ull};
        return df_extension_fetch(ext, &req, fetched, l);
    }
    return 0;
}

static void lookup_stop(struct df_extension *ext, void *state)
{
    struct lookup *l = state;
    test_journal("stop %s", df_extension_name(ext));
    if (l->c->stop_delay && l->stop_timer)
        df_ext_timer_start(l->stop_timer, l->c->stop_delay, 0);
    else
        df_extension_stopped(ext);
}

static void lookup_destroy(struct df_extension *ext, void *state)
{
    struct lookup *l = state;
    test_journal("destroy %s", df_extension_name(ext));
    df_snapshot_view_close(&l->view);
    df_snapshot_free(l->cell);
    free(l);
}

static int lookup_attach(struct df_extension *ext, void *state, unsigned core, void **self,
                         struct df_error *err)
{
    (void)err;
    struct lookup *l = state;
    struct df_snapshot_view *v = malloc(sizeof *v);
    if (!v)
        return DF_ENOMEM;
    df_snapshot_view_init(v, l->cell);
    *self = v;
    test_journal("attach %s core=%u", df_extension_name(ext), core);
    return 0;
}

static void lookup_detach(struct df_extension *ext, void *state, void *self)
{
    (void)state;
    df_snapshot_view_close(self);
    free(self);
    test_journal("detach %s", df_extension_name(ext));
}

static const struct df_extension_ops shared_ext_ops = {.create = lookup_create,
                                                       .start = lookup_start,
                                                       .stop = lookup_stop,
                                                       .destroy = lookup_destroy,
                                                       .attach = lookup_attach,
                                                       .detach = lookup_detach};
static const struct df_extension_ops local_ext_ops = {
    .create = lookup_create, .start = lookup_start, .stop = lookup_stop, .destroy = lookup_destroy};

static const struct df_ext_capability shared_caps[] = {{"test_lookup", 2, &shared_lookup_ops}, {0}};
static const struct df_ext_capability local_caps[] = {{"test_lookup", 2, &local_lookup_ops}, {0}};

DF_REGISTER_EXTENSION(test_lookup_ext, "urn:test:extension:lookup",
                      "Test lookup provider (shared, with a refresh task).",
                      "https://example.invalid/df_engine/test", DF_EXEC_SHARED, DF_LIFECYCLE_ACTIVE,
                      .capabilities = shared_caps, .options = &lookup_table, .ops = &shared_ext_ops,
                      .ready_timeout_ns = 500000000);

DF_REGISTER_EXTENSION(test_lookup_local_ext, "urn:test:extension:lookup_local",
                      "Test lookup provider (local variant, with a refresh task).",
                      "https://example.invalid/df_engine/test", DF_EXEC_LOCAL, DF_LIFECYCLE_ACTIVE,
                      .capabilities = local_caps, .options = &lookup_table, .ops = &local_ext_ops,
                      .ready_timeout_ns = 500000000);

/* ---- urn:test:extension:dataset (local, passive) ----------------------- */

struct dataset_config {
    struct df_map rows;
    bool unloaded;
};

static const struct df_option dataset_opts[] = {
    {.name = "rows",
     .type = DF_OPT_MAP,
     .elem = &string_elem,
     .offset = offsetof(struct dataset_config, rows),
     .desc = "key -> row, `col=value col=value ...` (space-separated)"},
    {.name = "unloaded",
     .type = DF_OPT_BOOL,
     .def = "false",
     .offset = offsetof(struct dataset_config, unloaded),
     .desc = "answer error to every lookup, as a provider with no dataset loaded"},
};

static const struct df_option_table dataset_table =
    DF_OPTION_TABLE(struct dataset_config, dataset_opts, "Test dataset options.");

struct dataset {
    const struct dataset_config *c;
    char **bufs; /* split copies of the rows the attrs point into */
    struct df_dataset_attr **attrs;
    size_t *nattrs;
};

static void dataset_destroy(struct df_extension *ext, void *state)
{
    (void)ext;
    struct dataset *d = state;
    if (!d)
        return;
    for (size_t i = 0; d->bufs && i < d->c->rows.count; i++) {
        free(d->bufs[i]);
        free(d->attrs[i]);
    }
    free(d->bufs);
    free(d->attrs);
    free(d->nattrs);
    free(d);
}

/* Splits row i (`col=value` tokens; others skipped). */
static int dataset_split(struct dataset *d, size_t i, const char *row)
{
    size_t cap = 1;
    for (const char *p = row; *p; p++)
        cap += *p == '=';
    d->bufs[i] = strdup(row);
    d->attrs[i] = calloc(cap, sizeof *d->attrs[i]);
    if (!d->bufs[i] || !d->attrs[i])
        return DF_ENOMEM;
    char *save = NULL;
    for (char *t = strtok_r(d->bufs[i], " ", &save); t; t = strtok_r(NULL, " ", &save)) {
        char *eq = strchr(t, '=');
        if (!eq)
            continue;
        *eq = 0;
        d->attrs[i][d->nattrs[i]++] = (struct df_dataset_attr){.key = t, .value = eq + 1};
    }
    return 0;
}

static int dataset_create(struct df_extension *ext, const void *options, void **state,
                          struct df_error *err)
{
    (void)ext;
    (void)err;
    const struct dataset_config *c = options;
    struct dataset *d = calloc(1, sizeof *d);
    *state = d;
    if (!d)
        return DF_ENOMEM;
    d->c = c;
    size_t n = c->rows.count;
    d->bufs = calloc(n + 1, sizeof *d->bufs);
    d->attrs = calloc(n + 1, sizeof *d->attrs);
    d->nattrs = calloc(n + 1, sizeof *d->nattrs);
    if (!d->bufs || !d->attrs || !d->nattrs)
        return DF_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        if (dataset_split(d, i, *DF_MAP_AT(c->rows, const char *, i)) < 0)
            return DF_ENOMEM;
    }
    return 0;
}

static enum df_dataset_outcome dataset_lookup(void *self, const char *key, size_t len,
                                              struct df_dataset_row *row)
{
    const struct dataset *d = self;
    if (d->c->unloaded)
        return DF_DATASET_ERROR;
    for (size_t i = 0; i < d->c->rows.count; i++) {
        const char *k = d->c->rows.keys[i];
        if (strlen(k) == len && !memcmp(k, key, len)) {
            *row = (struct df_dataset_row){
                .attrs = d->attrs[i], .nattrs = d->nattrs[i], .snapshot = 1};
            return DF_DATASET_FOUND;
        }
    }
    return DF_DATASET_NOT_FOUND;
}

static const struct df_dataset_lookup_ops dataset_ops = {.lookup = dataset_lookup};
static const struct df_extension_ops dataset_ext_ops = {.create = dataset_create,
                                                        .destroy = dataset_destroy};
static const struct df_ext_capability dataset_caps[] = {
    {DF_DATASET_LOOKUP_NAME, DF_DATASET_LOOKUP_VERSION, &dataset_ops}, {0}};

DF_REGISTER_EXTENSION(test_dataset_ext, "urn:test:extension:dataset",
                      "Test dataset_lookup provider: rows from its config.",
                      "https://example.invalid/df_engine/test", DF_EXEC_LOCAL, DF_LIFECYCLE_PASSIVE,
                      .capabilities = dataset_caps, .options = &dataset_table,
                      .ops = &dataset_ext_ops);

/* ---- urn:test:extension:heartbeat (shared, background) ------------------- */

/* A task and no capabilities: nothing binds it. Journals its life. */
static int heartbeat_create(struct df_extension *ext, const void *options, void **state,
                            struct df_error *err)
{
    (void)options;
    (void)err;
    *state = NULL;
    test_journal("create %s", df_extension_name(ext));
    return 0;
}

static int heartbeat_start(struct df_extension *ext, void *state, struct df_error *err)
{
    (void)state;
    (void)err;
    test_journal("start %s", df_extension_name(ext));
    return 0;
}

static void heartbeat_stop(struct df_extension *ext, void *state)
{
    (void)state;
    test_journal("stop %s", df_extension_name(ext));
    df_extension_stopped(ext);
}

static void heartbeat_destroy(struct df_extension *ext, void *state)
{
    (void)state;
    test_journal("destroy %s", df_extension_name(ext));
}

static const struct df_extension_ops heartbeat_ops = {.create = heartbeat_create,
                                                      .start = heartbeat_start,
                                                      .stop = heartbeat_stop,
                                                      .destroy = heartbeat_destroy};

DF_REGISTER_EXTENSION(test_heartbeat_ext, "urn:test:extension:heartbeat",
                      "Test background provider: a task and no capabilities.",
                      "https://example.invalid/df_engine/test", DF_EXEC_SHARED,
                      DF_LIFECYCLE_BACKGROUND, .ops = &heartbeat_ops);

/* ---- consumers ----------------------------------------------------------- */

struct test_enrich_seen test_enrich_seen;

struct enrich_config {
    const char *key;
    int64_t min_version;
    bool optional, claim_twice, claim_late;
};

static const struct df_option enrich_opts[] = {
    {.name = "key",
     .type = DF_OPT_STRING,
     .def = "k",
     .offset = offsetof(struct enrich_config, key),
     .desc = "the key looked up for each pdata"},
    {.name = "min_version",
     .type = DF_OPT_INT,
     .def = "1",
     .offset = offsetof(struct enrich_config, min_version),
     .desc = "the test_lookup version required"},
    {.name = "optional",
     .type = DF_OPT_BOOL,
     .def = "false",
     .offset = offsetof(struct enrich_config, optional),
     .desc = "claim with df_capability_optional"},
    {.name = "claim_twice",
     .type = DF_OPT_BOOL,
     .def = "false",
     .offset = offsetof(struct enrich_config, claim_twice),
     .desc = "claim the capability a second time at create"},
    {.name = "claim_late",
     .type = DF_OPT_BOOL,
     .def = "false",
     .offset = offsetof(struct enrich_config, claim_late),
     .desc = "claim again at start (recorded, must fail)"},
};

static const struct df_option_table enrich_table =
    DF_OPTION_TABLE(struct enrich_config, enrich_opts, "Test enrich options.");

struct enrich {
    const struct enrich_config *c;
    struct df_cap h; /* ops: struct test_lookup_ops */
};

static int enrich_create(struct df_node *node, const void *options, void **state,
                         struct df_error *err)
{
    const struct enrich_config *c = options;
    struct enrich *e = calloc(1, sizeof *e);
    if (!e)
        return DF_ENOMEM;
    *state = e;
    e->c = c;
    uint32_t v = (uint32_t)c->min_version;
    int rc = c->optional ? df_capability_optional(node, "test_lookup", v, &e->h, err)
                         : df_capability_require(node, "test_lookup", v, &e->h, err);
    if (!rc && c->claim_twice) {
        struct df_cap again;
        rc = df_capability_require(node, "test_lookup", v, &again, err);
    }
    test_journal("create %s core=%u", df_node_name(node), df_node_core(node));
    return rc;
}

static int enrich_start(struct df_node *node, void *state, struct df_error *err)
{
    struct enrich *e = state;
    if (e->c->claim_late) {
        struct df_cap late;
        test_enrich_seen.start_claim_rc = df_capability_require(node, "test_lookup", 1, &late, err);
        err->msg[0] = 0;
    }
    test_journal("start %s core=%u", df_node_name(node), df_node_core(node));
    return 0;
}

static void enrich_process(struct df_node *node, void *state, struct df_pdata *pd)
{
    struct enrich *e = state;
    if (e->h.ops) {
        const struct test_lookup_ops *ops = e->h.ops;
        const char *value = NULL;
        enum test_lookup_outcome o = ops->lookup(e->h.b->self, e->c->key, &value);
        df_cap_count(e->h.b, o);
        uint64_t *n = o == TEST_LOOKUP_FOUND       ? &test_enrich_seen.found
                      : o == TEST_LOOKUP_NOT_FOUND ? &test_enrich_seen.not_found
                                                   : &test_enrich_seen.error;
        __atomic_add_fetch(n, 1, __ATOMIC_RELAXED);
        if (e->c->min_version >= 2)
            __atomic_store_n(&test_enrich_seen.last_generation, ops->generation(e->h.b->self),
                             __ATOMIC_RELAXED);
        if (value && df_node_core(node) == 0)
            snprintf(test_enrich_seen.last_value, sizeof test_enrich_seen.last_value, "%s", value);
    }
    df_node_send(node, DF_PORT_DEFAULT, pd);
}

static void enrich_destroy(struct df_node *node, void *state)
{
    test_journal("destroy %s core=%u", df_node_name(node), df_node_core(node));
    free(state);
}

static const struct df_node_ops enrich_ops = {.create = enrich_create,
                                              .start = enrich_start,
                                              .process = enrich_process,
                                              .destroy = enrich_destroy};

static const char *const enrich_consumes[] = {"test_lookup", NULL};

DF_REGISTER_NODE(test_enrich, "urn:test:processor:enrich", DF_NODE_PROCESSOR,
                 "Test processor that binds a lookup.", "https://example.invalid/df_engine/test",
                 .options = &enrich_table, .consumes = enrich_consumes, .ops = &enrich_ops);

struct authn_config {
    const char *user, *password;
};

static const struct df_option authn_opts[] = {
    {.name = "user",
     .type = DF_OPT_STRING,
     .def = "alice",
     .offset = offsetof(struct authn_config, user),
     .desc = "who each pdata claims to be"},
    {.name = "password",
     .type = DF_OPT_STRING,
     .def = "secret",
     .offset = offsetof(struct authn_config, password),
     .desc = "with what password"},
};

static const struct df_option_table authn_table =
    DF_OPTION_TABLE(struct authn_config, authn_opts, "Test authn options.");

struct authn {
    const struct authn_config *c;
    struct df_cap h;
};

static int authn_create(struct df_node *node, const void *options, void **state,
                        struct df_error *err)
{
    struct authn *a = calloc(1, sizeof *a);
    if (!a)
        return DF_ENOMEM;
    *state = a;
    a->c = options;
    return df_capability_require(node, "test_auth", 1, &a->h, err);
}

static void authn_process(struct df_node *node, void *state, struct df_pdata *pd)
{
    struct authn *a = state;
    const struct test_auth_ops *ops = a->h.ops;
    bool ok = ops->check(a->h.b->self, a->c->user, a->c->password);
    df_cap_count(a->h.b, ok ? 0 : 1);
    if (ok)
        df_node_send(node, DF_PORT_DEFAULT, pd);
    else
        df_node_nack(node, pd, DF_OUTCOME_NACK_PERMANENT, "denied");
}

static void authn_destroy(struct df_node *node, void *state)
{
    (void)node;
    free(state);
}

static const struct df_node_ops authn_ops = {
    .create = authn_create, .process = authn_process, .destroy = authn_destroy};

static const char *const authn_consumes[] = {"test_auth", NULL};

DF_REGISTER_NODE(test_authn, "urn:test:processor:authn", DF_NODE_PROCESSOR,
                 "Test processor that checks each pdata with test_auth.",
                 "https://example.invalid/df_engine/test", .options = &authn_table,
                 .consumes = authn_consumes, .ops = &authn_ops);
