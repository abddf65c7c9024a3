/* extension:headers_setter — provides request_headers: the headers an
 * exporter adds to each outgoing request, fixed (`value`), read from a file
 * (`file`, reloaded when it changes) or taken from the request's sender
 * (`from_context: auth.subject`) — the multi-tenant case: a backend told
 * which tenant each batch belongs to by the identity the receiver's
 * auth_check gave it.
 *
 * Shared and active. The parsed list, with names lowercased, is immutable
 * once created. The files' values are published through a snapshot cell
 * (all of them together, each a copy): every core reads it through its own
 * view, without a lock, and the strings it hands out stay valid until that
 * core's next call. A background task watches the files and reads them all
 * again when one changes (extensions/common/file_watch.h); a file that
 * cannot be read, or holds no usable value, keeps its previous value in
 * force (and is logged). Each file read counts a refresh. The instance is
 * ready once every file was read once.
 *
 * Values from an identity are checked on each call: one with a byte a header
 * cannot carry (a CR or LF from a token's claim) is never sent; the default
 * value, or no header, goes instead. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "df/capabilities/request_headers.h"
#include "df/extension.h"
#include "extensions/common/file_watch.h"
#include "extensions/common/snapshot_view.h"
#include "extensions/headers_setter/headers_setter.h"
#include "net/headers.h"

struct hs_header {
    char *name;          /* lowercased */
    const char *value;   /* fixed value, or NULL */
    const char *context; /* the identity field from_context names, or NULL */
    const char *fallback;
    int file; /* index into hs.files, or -1 */
};

/* A header whose value a file holds (its index is its round's). Control
 * loop only. */
struct hs_file {
    const char *path;
    char *value; /* the value in force (malloc'd), NULL before the first read */
};

/* What the cores read: each file's value, by file index. */
struct hs_values {
    size_t n;
    char *v[];
};

struct hs {
    struct df_extension *ext;
    const struct hs_config *c;
    struct hs_header *h;
    size_t n;
    struct hs_file *files;
    size_t nfiles;
    struct ext_file_watch *watch; /* NULL without files */
    struct df_snapshot *cell;
    bool ready;
};

static size_t hs_headers(void *self, const struct df_identity *sender,
                         struct df_request_header *out)
{
    struct ext_view *v = self; /* a core's handle target */
    const struct hs *s = v->state;
    const struct hs_values *files = s->nfiles ? df_snapshot_read(&v->view) : NULL;
    size_t n = 0;
    for (size_t i = 0; i < s->n; i++) {
        const struct hs_header *h = &s->h[i];
        const char *val = h->value;
        if (h->file >= 0) {
            val = files ? files->v[h->file] : NULL;
        } else if (h->context) {
            val = df_identity_get(sender, h->context);
            if (!val || !df_header_value_ok(val, strlen(val)))
                val = h->fallback;
        }
        if (val)
            out[n++] = (struct df_request_header){h->name, val};
    }
    return n;
}

static const struct df_request_headers_ops hs_ops_cap = {.headers = hs_headers};

/* ---- the files ---------------------------------------------------------------- */

static void values_free(void *p)
{
    struct hs_values *vals = p;
    for (size_t i = 0; vals && i < vals->n; i++)
        free(vals->v[i]);
    free(vals);
}

/* Publishes a copy of every file's value. */
static int publish(struct hs *s)
{
    struct hs_values *vals = calloc(1, sizeof *vals + s->nfiles * sizeof vals->v[0]);
    if (!vals)
        return DF_ENOMEM;
    vals->n = s->nfiles;
    for (size_t i = 0; i < s->nfiles; i++) {
        if (s->files[i].value && !(vals->v[i] = strdup(s->files[i].value))) {
            values_free(vals);
            return DF_ENOMEM;
        }
    }
    return df_snapshot_publish(s->cell, vals);
}

/* What `r` read becomes f's value, if it is usable; returns whether the
 * read went well and sets *changed when the value changed. */
static bool apply(struct hs *s, struct hs_file *f, const struct ext_file_read *r, bool *changed)
{
    size_t start = 0, len = 0;
    const char *why = r->why ? r->why : hs_value_find(r->buf, r->len, &start, &len);
    if (why) {
        df_extension_log(s->ext, DF_LOG_WARN, "cannot %s the value file '%s': it %s%s",
                         f->value ? "reload" : "load", f->path, why,
                         f->value ? "; the previous value stays in force" : "");
        return false;
    }
    if (f->value && strlen(f->value) == len && !memcmp(f->value, r->buf + start, len))
        return true;
    char *v = strndup(r->buf + start, len);
    if (!v)
        return false;
    df_extension_log(s->ext, DF_LOG_INFO, "value file '%s' %s", f->path,
                     f->value ? "changed: new value in force" : "loaded");
    free(f->value);
    f->value = v;
    *changed = true;
    return true;
}

/* Every file was read (again): one refresh per file, a failed one for a
 * file that did not read well or whose new value could not be published. */
static void on_round(void *ud, const struct ext_file_read *const *files)
{
    struct hs *s = ud;
    size_t failed = 0, fresh = 0;
    for (size_t i = 0; i < s->nfiles; i++) {
        bool changed = false;
        failed += !apply(s, &s->files[i], files[i], &changed);
        fresh += changed;
    }
    if (fresh && publish(s) < 0) {
        failed += fresh;
        df_extension_log(s->ext, DF_LOG_WARN, "cannot publish the new values: out of memory");
    }
    for (size_t i = 0; i < s->nfiles; i++)
        df_extension_refreshed(s->ext, i >= failed);
    bool all = true;
    for (size_t i = 0; i < s->nfiles; i++)
        all &= s->files[i].value != NULL;
    if (all && !s->ready) {
        s->ready = true;
        df_extension_ready(s->ext);
    }
}

/* A watched file changed: every file is read again (a watch does not say
 * which one; they are few and small). */
static void on_watch(struct df_extension *ext, void *state)
{
    (void)ext;
    ext_file_watch_kick(((struct hs *)state)->watch);
}

/* ---- hooks ---------------------------------------------------------------------- */

static void hs_free(struct hs *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        free(s->h[i].name);
    ext_file_watch_free(s->watch);
    for (size_t i = 0; s->files && i < s->nfiles; i++)
        free(s->files[i].value);
    if (s->cell)
        df_snapshot_free(s->cell);
    free(s->files);
    free(s->h);
    free(s);
}

static int hs_create(struct df_extension *ext, const void *options, void **state,
                     struct df_error *err)
{
    (void)err;
    const struct hs_config *c = options;
    const struct hs_header_config *in = c->headers.items;
    size_t n = c->headers.count;
    struct hs *s = calloc(1, sizeof *s);
    if (!s || !(s->h = calloc(n, sizeof *s->h)) || !(s->files = calloc(n, sizeof *s->files)) ||
        !(s->cell = df_snapshot_new(values_free))) {
        hs_free(s);
        return DF_ENOMEM;
    }
    s->ext = ext;
    s->c = c;
    for (size_t i = 0; i < n; i++, s->n++) {
        struct hs_header *h = &s->h[i];
        h->file = -1;
        if (!(h->name = strdup(in[i].key))) {
            hs_free(s);
            return DF_ENOMEM;
        }
        for (char *p = h->name; *p; p++)
            *p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
        h->value = in[i].value;
        h->context = in[i].from_context ? df_identity_ref(in[i].from_context) : NULL;
        h->fallback = in[i].default_value;
        if (in[i].file) {
            s->files[s->nfiles].path = in[i].file;
            if ((!s->watch &&
                 !(s->watch = ext_file_watch_new(ext, "value file", HS_FILE_MAX * 2,
                                                 "is larger than 16KiB", on_round, s))) ||
                ext_file_watch_add(s->watch, in[i].file) < 0) {
                hs_free(s);
                return DF_ENOMEM;
            }
            h->file = (int)s->nfiles++;
        }
    }
    *state = s;
    return 0;
}

static int hs_start(struct df_extension *ext, void *state, struct df_error *err)
{
    struct hs *s = state;
    if (!s->watch) {
        s->ready = true;
        df_extension_ready(ext);
        return 0;
    }
    int rc = ext_file_watch_start(s->watch, s->c->watch_interval, on_watch, err);
    if (rc < 0)
        return rc;
    ext_file_watch_kick(s->watch);
    return 0;
}

/* Waits for a round in flight (its reads use the instance's memory). */
static void hs_stop(struct df_extension *ext, void *state)
{
    struct hs *s = state;
    if (s->watch)
        ext_file_watch_stop(s->watch);
    else
        df_extension_stopped(ext);
}

static void hs_destroy(struct df_extension *ext, void *state)
{
    (void)ext;
    hs_free(state);
}

static int hs_attach(struct df_extension *ext, void *state, unsigned core, void **self,
                     struct df_error *err)
{
    (void)ext;
    (void)core;
    (void)err;
    const struct hs *s = state;
    return ext_view_attach(s, s->cell, self);
}

static void hs_detach(struct df_extension *ext, void *state, void *self)
{
    (void)ext;
    (void)state;
    ext_view_detach(self);
}

static const struct df_extension_ops hs_ops = {.create = hs_create,
                                               .start = hs_start,
                                               .stop = hs_stop,
                                               .destroy = hs_destroy,
                                               .attach = hs_attach,
                                               .detach = hs_detach};

static const struct df_ext_capability hs_caps[] = {
    {DF_REQUEST_HEADERS_NAME, 1, &hs_ops_cap},
    {0},
};

DF_REGISTER_EXTENSION(headers_setter, "urn:otel:extension:headers_setter",
                      "Adds headers to exporters' outgoing requests: fixed values, values of "
                      "files reloaded when they change, or values of the request's sender "
                      "(from_context: auth.subject), e.g. a tenant header.",
                      "docs/extensions/headers_setter.md", DF_EXEC_SHARED, DF_LIFECYCLE_ACTIVE,
                      .capabilities = hs_caps, .options = &hs_table, .ops = &hs_ops,
                      .ready_timeout_ns = 5000000000ull);
