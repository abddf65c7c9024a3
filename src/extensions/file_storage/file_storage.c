/* extensions/file_storage/file_storage.c — extension:file_storage and
 * extension:file_storage_local: dataset_lookup over a dataset file
 * (dataset.h), reloaded into a new immutable snapshot when the file
 * changes (and every reload_interval, when set).
 *
 * One provider, two registrations, because a descriptor declares one
 * execution model:
 *   file_storage        shared: one instance loads the file on the control
 *                       thread and publishes each snapshot in a
 *                       df_snapshot cell; every core reads it through its
 *                       own df_snapshot_view (made in attach);
 *   file_storage_local  local: each core's instance loads its own copy on
 *                       that core's loop and reads it through one view.
 * Either way a lookup is a view read (one relaxed load and a compare) and
 * a hash probe; the view keeps the previous snapshot until the next call on
 * that core, so a returned row stays valid until then. The file is read
 * as a watched set of one (extensions/common/file_watch.h). A failed reload
 * keeps the snapshot in force. Thread: the instance's loop for the task;
 * lookups on the core's thread. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "df/extension.h"
#include "extensions/common/file_watch.h"
#include "extensions/common/snapshot_view.h"
#include "extensions/file_storage/file_storage.h"

struct fs {
    struct df_extension *ext;
    const struct fs_config *c;
    enum fs_format format;
    struct ext_file_watch *file;
    struct df_ext_timer *timer; /* reload_interval, when set */
    struct df_snapshot *cell;
    struct df_snapshot_view local;              /* file_storage_local's reader */
    uint64_t loads;                             /* successful loads so far */
    unsigned char digest[SHA256_DIGEST_LENGTH]; /* of the content in force */
};

static enum df_dataset_outcome lookup_shared(void *self, const char *key, size_t len,
                                             struct df_dataset_row *row)
{
    struct ext_view *v = self; /* a core's handle target */
    return dataset_table_lookup(df_snapshot_read(&v->view), key, len, row);
}

static enum df_dataset_outcome lookup_local(void *self, const char *key, size_t len,
                                            struct df_dataset_row *row)
{
    struct fs *s = self;
    return dataset_table_lookup(df_snapshot_read(&s->local), key, len, row);
}

static const struct df_dataset_lookup_ops ops_shared = {.lookup = lookup_shared};
static const struct df_dataset_lookup_ops ops_local = {.lookup = lookup_local};

/* ---- the background task ------------------------------------------------------ */

/* Parses what was read and publishes it, unless it is the content in force
 * (the same SHA-256): a periodic reload of an unchanged file makes no new
 * snapshot. Logs the outcome; returns whether the file's content is in
 * force. */
static bool load(struct fs *s, const struct ext_file_read *r)
{
    struct fs_parse_error e = {0};
    unsigned char digest[SHA256_DIGEST_LENGTH];
    bool hashed = !r->why && EVP_Digest(r->buf, r->len, digest, NULL, EVP_sha256(), NULL);
    if (r->why) {
        snprintf(e.msg, sizeof e.msg, "cannot be read: %s", r->why);
    } else if (hashed && s->loads && !memcmp(digest, s->digest, sizeof digest)) {
        df_extension_log(s->ext, DF_LOG_DEBUG, "dataset '%s' unchanged (%zu bytes)", s->c->path,
                         r->len);
        return true;
    } else {
        struct dataset_table *ds =
            fs_dataset_parse(r->buf, r->len, s->format, s->c->key, s->loads + 1, &e);
        size_t rows = ds ? ds->nrows : 0, bytes = ds ? ds->size : 0;
        if (ds && df_snapshot_publish(s->cell, ds) < 0) { /* frees ds */
            snprintf(e.msg, sizeof e.msg, "cannot be published: out of memory");
        } else if (ds) {
            s->loads++;
            dataset_table_published(s->ext, rows, bytes);
            if (hashed)
                memcpy(s->digest, digest, sizeof digest);
            else
                memset(s->digest, 0, sizeof s->digest);
            df_extension_log(s->ext, DF_LOG_INFO,
                             "dataset '%s' %s: %zu rows from %zu bytes (snapshot %zu bytes, "
                             "load %llu)",
                             s->c->path, s->loads > 1 ? "reloaded" : "loaded", rows, r->len, bytes,
                             (unsigned long long)s->loads);
            return true;
        }
    }
    char at[32] = "";
    if (e.line)
        snprintf(at, sizeof at, "line %zu: ", e.line);
    df_extension_log(s->ext, DF_LOG_WARN, "cannot %s dataset '%s': %s%s%s",
                     s->loads ? "reload" : "load", s->c->path, at, e.msg,
                     s->loads ? "; the previous snapshot stays in force" : "");
    return false;
}

/* The dataset was read (again): one refresh; ready once a load is in force. */
static void on_round(void *ud, const struct ext_file_read *const *files)
{
    struct fs *s = ud;
    bool ok = load(s, files[0]);
    df_extension_refreshed(s->ext, ok);
    if (ok) /* idempotent */
        df_extension_ready(s->ext);
}

/* The file changed, or reload_interval passed (a watch's and a timer's
 * callback): read it (once more after the read in flight, if there is
 * one). */
static void on_change(struct df_extension *ext, void *state)
{
    (void)ext;
    ext_file_watch_kick(((struct fs *)state)->file);
}

/* ---- hooks ---------------------------------------------------------------------- */

static void fs_free(struct fs *s)
{
    if (!s)
        return;
    if (s->local.cell)
        df_snapshot_view_close(&s->local);
    ext_file_watch_free(s->file);
    if (s->cell)
        df_snapshot_free(s->cell);
    free(s);
}

static int create(struct df_extension *ext, const void *options, void **state, bool local)
{
    const struct fs_config *c = options;
    struct fs *s = calloc(1, sizeof *s);
    if (!s || !(s->cell = df_snapshot_new(dataset_table_free)) ||
        !(s->file = ext_file_watch_new(ext, "dataset", FS_FILE_MAX, "it is larger than 256MiB",
                                       on_round, s)) ||
        ext_file_watch_add(s->file, c->path) < 0) {
        fs_free(s);
        return DF_ENOMEM;
    }
    s->ext = ext;
    s->c = c;
    s->format = fs_config_format(c);
    if (local)
        df_snapshot_view_init(&s->local, s->cell);
    *state = s;
    return 0;
}

static int fs_create_shared(struct df_extension *ext, const void *options, void **state,
                            struct df_error *err)
{
    (void)err;
    return create(ext, options, state, false);
}

static int fs_create_local(struct df_extension *ext, const void *options, void **state,
                           struct df_error *err)
{
    (void)err;
    return create(ext, options, state, true);
}

static int fs_start(struct df_extension *ext, void *state, struct df_error *err)
{
    struct fs *s = state;
    int rc = ext_file_watch_start(s->file, s->c->watch_interval, on_change, err);
    if (rc < 0)
        return rc;
    if (s->c->reload_interval) {
        if (!(s->timer = df_extension_timer(ext, on_change))) {
            snprintf(err->msg, sizeof err->msg, "cannot watch dataset '%s': %s", s->c->path,
                     df_strerror(DF_ENOMEM));
            return DF_ENOMEM;
        }
        df_ext_timer_start(s->timer, s->c->reload_interval, s->c->reload_interval);
    }
    ext_file_watch_kick(s->file);
    return 0;
}

/* Waits for the read in flight (it uses the instance's memory). */
static void fs_stop(struct df_extension *ext, void *state)
{
    (void)ext;
    ext_file_watch_stop(((struct fs *)state)->file);
}

static void fs_destroy(struct df_extension *ext, void *state)
{
    (void)ext;
    fs_free(state);
}

static int fs_attach(struct df_extension *ext, void *state, unsigned core, void **self,
                     struct df_error *err)
{
    (void)ext;
    (void)core;
    (void)err;
    struct fs *s = state;
    return ext_view_attach(s, s->cell, self);
}

static void fs_detach(struct df_extension *ext, void *state, void *self)
{
    (void)ext;
    (void)state;
    ext_view_detach(self);
}

static const struct df_extension_ops fs_ops_shared = {.create = fs_create_shared,
                                                      .start = fs_start,
                                                      .stop = fs_stop,
                                                      .destroy = fs_destroy,
                                                      .attach = fs_attach,
                                                      .detach = fs_detach};

static const struct df_extension_ops fs_ops_local = {
    .create = fs_create_local, .start = fs_start, .stop = fs_stop, .destroy = fs_destroy};

static const struct df_ext_capability fs_caps_shared[] = {
    {DF_DATASET_LOOKUP_NAME, DF_DATASET_LOOKUP_VERSION, &ops_shared},
    {0},
};

static const struct df_ext_capability fs_caps_local[] = {
    {DF_DATASET_LOOKUP_NAME, DF_DATASET_LOOKUP_VERSION, &ops_local},
    {0},
};

DF_REGISTER_EXTENSION(file_storage, "urn:otel:extension:file_storage",
                      "Looks keys up in a dataset file (CSV, JSON lines or YAML) reloaded when it "
                      "changes: one snapshot shared by every core.",
                      "docs/extensions/file_storage.md", DF_EXEC_SHARED, DF_LIFECYCLE_ACTIVE,
                      .capabilities = fs_caps_shared, .options = &fs_table, .ops = &fs_ops_shared,
                      .ready_timeout_ns = 10000000000ull);

DF_REGISTER_EXTENSION(file_storage_local, "urn:otel:extension:file_storage_local",
                      "As extension:file_storage, but each core loads and reads its own copy of "
                      "the dataset (no cross-core sharing; memory times the cores).",
                      "docs/extensions/file_storage.md", DF_EXEC_LOCAL, DF_LIFECYCLE_ACTIVE,
                      .capabilities = fs_caps_local, .options = &fs_table, .ops = &fs_ops_local,
                      .ready_timeout_ns = 10000000000ull);
