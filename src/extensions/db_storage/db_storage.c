/* extensions/db_storage/db_storage.c — extension:db_storage
 * (urn:otel:extension:db_storage).
 *
 * Provides dataset_lookup from a SQLite database: the rows of `query`
 * (first column the key, the others the attributes) loaded into an
 * immutable dataset table (extensions/common/dataset_table.h) and
 * published through a snapshot cell. Shared: one instance per pipeline;
 * each core reads the cell through its own df_snapshot_view made by
 * attach, so a lookup is a relaxed load, a hash and a probe — never a
 * query, a lock or I/O.
 *
 * Background task (control thread). A timer every refresh_interval starts
 * a load with uv_queue_work on the instance's loop: the database is opened
 * read-only with a busy timeout, the query run and the table built on a
 * libuv thread-pool thread, so neither a core nor the control loop waits
 * for SQLite. The after-work callback (control thread) publishes the table,
 * or keeps the one in force when the load failed (a missing, locked or
 * corrupt database, a bound exceeded), logs why and counts the refresh as
 * failed. One load at a time: a tick during a load is skipped. The first
 * load gates readiness; if it fails, the instance fails with the reason,
 * which names the database. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "df/capabilities/dataset_lookup.h"
#include "df/extension.h"
#include "extensions/common/dataset_table.h"
#include "extensions/common/snapshot_view.h"
#include "extensions/db_storage/db_storage.h"

struct dbs {
    struct df_extension *ext;
    const struct dbs_config *c;
    struct df_snapshot *cell;
    struct df_ext_timer *timer;
    /* Control thread only. */
    bool inflight, stopping, ready;
    uint64_t version; /* of the last table published (a load makes version + 1;
                       * not written while one is in flight) */
    size_t rows;      /* its rows */
    size_t bytes;     /* its allocation */
    /* A load: `work` owns the fields below while inflight. */
    uv_work_t work;
    struct dataset_table *result; /* NULL: failed, `why` says why */
    struct dataset_dups dups;
    size_t null_keys;
    uint64_t took_ns;
    char why[DF_ERROR_MSG_MAX / 2];
};

/* ---- a load (thread pool) ------------------------------------------------ */

static void load_work(uv_work_t *w)
{
    struct dbs *s = w->data;
    uint64_t t0 = uv_hrtime();
    s->result = NULL;
    s->dups = (struct dataset_dups){0};
    s->null_keys = 0;
    sqlite3 *db;
    sqlite3_stmt *stmt;
    int offset;
    if (dbs_open(s->c->path, s->c->query, s->c->busy_timeout, &db, &stmt, s->why, sizeof s->why,
                 &offset) != SQLITE_OK)
        return;
    struct dataset_builder b;
    dataset_builder_init(&b);
    if (!dbs_read(stmt, s->c->max_rows, &b, &s->null_keys, s->why, sizeof s->why) &&
        !(s->result = dataset_table_finish(&b, s->version + 1, &s->dups)))
        snprintf(s->why, sizeof s->why, "out of memory building the table");
    dataset_builder_free(&b);
    sqlite3_finalize(stmt);
    sqlite3_close_v2(db);
    s->took_ns = uv_hrtime() - t0;
}

static void load_done(uv_work_t *w, int status)
{
    struct dbs *s = w->data;
    s->inflight = false;
    struct dataset_table *t = s->result;
    s->result = NULL;
    if (s->stopping) {
        free(t);
        df_extension_stopped(s->ext);
        return;
    }
    if (status < 0 && !t)
        snprintf(s->why, sizeof s->why, "the load did not run: %s", uv_strerror(status));
    if (t) {
        size_t rows = t->nrows, bytes = t->size;
        if (df_snapshot_publish(s->cell, t) < 0) { /* frees t */
            t = NULL;
            snprintf(s->why, sizeof s->why, "out of memory publishing the table");
        } else {
            s->version++;
            s->rows = rows;
            s->bytes = bytes;
            dataset_table_published(s->ext, rows, bytes);
        }
    }
    if (!t) {
        df_extension_refreshed(s->ext, false);
        if (!s->ready) {
            df_extension_fail(s->ext, "first load of database '%s' failed: %s", s->c->path, s->why);
            return;
        }
        df_extension_log(s->ext, DF_LOG_WARN,
                         "cannot reload database '%s': %s; the previous snapshot (%zu rows) "
                         "stays in force",
                         s->c->path, s->why, s->rows);
        return;
    }
    df_extension_refreshed(s->ext, true);
    if (s->dups.count)
        df_extension_log(s->ext, DF_LOG_WARN,
                         "database '%s': %zu row(s) repeat an earlier row's key; the first row "
                         "of each key is kept",
                         s->c->path, s->dups.count);
    df_extension_log(s->ext, s->ready ? DF_LOG_DEBUG : DF_LOG_INFO,
                     "database '%s' loaded: %zu rows (%zu with a NULL key skipped) in %.1f ms "
                     "(snapshot %zu bytes)",
                     s->c->path, s->rows, s->null_keys, (double)s->took_ns / 1e6, s->bytes);
    if (!s->ready) {
        s->ready = true;
        df_extension_ready(s->ext);
    }
}

static void start_load(struct dbs *s)
{
    if (s->inflight || s->stopping)
        return; /* one load at a time: this tick is skipped */
    s->work.data = s;
    int rc = uv_queue_work(df_extension_loop(s->ext), &s->work, load_work, load_done);
    if (rc < 0) {
        df_extension_refreshed(s->ext, false);
        df_extension_log(s->ext, DF_LOG_WARN, "cannot start a load of '%s': %s", s->c->path,
                         uv_strerror(rc));
        return;
    }
    s->inflight = true;
}

static void on_tick(struct df_extension *ext, void *state)
{
    (void)ext;
    start_load(state);
}

/* ---- dataset_lookup -------------------------------------------------------- */

/* Found: the row's attributes stay valid until the next call on this core
 * (the view keeps its table until it reads again). */
static enum df_dataset_outcome lookup(void *self, const char *key, size_t len,
                                      struct df_dataset_row *row)
{
    struct ext_view *v = self; /* a core's handle target */
    return dataset_table_lookup(df_snapshot_read(&v->view), key, len, row);
}

static const struct df_dataset_lookup_ops lookup_ops = {.lookup = lookup};

/* ---- hooks -------------------------------------------------------------------- */

static void dbs_free(struct dbs *s)
{
    df_snapshot_free(s->cell);
    free(s);
}

static int dbs_create(struct df_extension *ext, const void *options, void **state,
                      struct df_error *err)
{
    if (!sqlite3_threadsafe()) {
        snprintf(err->msg, sizeof err->msg, "SQLite was built without thread support");
        return DF_EINVAL;
    }
    struct dbs *s = calloc(1, sizeof *s);
    if (!s || !(s->cell = df_snapshot_new(dataset_table_free))) {
        free(s);
        return DF_ENOMEM;
    }
    s->ext = ext;
    s->c = options;
    if (!(s->timer = df_extension_timer(ext, on_tick))) {
        dbs_free(s);
        return DF_ENOMEM;
    }
    *state = s;
    return 0;
}

static int dbs_start(struct df_extension *ext, void *state, struct df_error *err)
{
    (void)ext;
    (void)err;
    struct dbs *s = state;
    start_load(s);
    df_ext_timer_start(s->timer, s->c->refresh_interval, s->c->refresh_interval);
    return 0;
}

/* Waits for a load in flight (it writes into the instance); one not begun
 * yet is cancelled. */
static void dbs_stop(struct df_extension *ext, void *state)
{
    struct dbs *s = state;
    s->stopping = true;
    if (!s->inflight) {
        df_extension_stopped(ext);
        return;
    }
    uv_cancel((uv_req_t *)&s->work); /* load_done runs either way */
}

static void dbs_destroy(struct df_extension *ext, void *state)
{
    (void)ext;
    dbs_free(state);
}

static int dbs_attach(struct df_extension *ext, void *state, unsigned core, void **self,
                      struct df_error *err)
{
    (void)ext;
    (void)core;
    (void)err;
    struct dbs *s = state;
    return ext_view_attach(s, s->cell, self);
}

static void dbs_detach(struct df_extension *ext, void *state, void *self)
{
    (void)ext;
    (void)state;
    ext_view_detach(self);
}

static const struct df_extension_ops dbs_ops = {.create = dbs_create,
                                                .start = dbs_start,
                                                .stop = dbs_stop,
                                                .destroy = dbs_destroy,
                                                .attach = dbs_attach,
                                                .detach = dbs_detach};

static const struct df_ext_capability dbs_caps[] = {
    {DF_DATASET_LOOKUP_NAME, DF_DATASET_LOOKUP_VERSION, &lookup_ops},
    {0},
};

DF_REGISTER_EXTENSION(db_storage, "urn:otel:extension:db_storage",
                      "A dataset read from a SQLite database by a query, reloaded periodically "
                      "off the cores: looks keys up in it (dataset_lookup).",
                      "docs/extensions/db_storage.md", DF_EXEC_SHARED, DF_LIFECYCLE_ACTIVE,
                      .capabilities = dbs_caps, .options = &dbs_table, .ops = &dbs_ops,
                      .ready_timeout_ns = 30000000000ull);
