/* extensions/common/file_watch.c — a provider's watched files, read again
 * together in rounds. See file_watch.h. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extensions/common/file_watch.h"

struct file {
    const char *path;
    bool owner; /* the first of its path: reads and watches it */
};

struct ext_file_watch {
    struct df_extension *ext;
    const char *what;
    size_t max;
    const char *too_large_why;
    ext_file_round_fn fn;
    void *ud;
    size_t n;
    struct file *f;
    struct ext_file_read **r; /* f[i]'s reader, shared by a path's files */
    unsigned inflight;        /* reads of the round in flight */
    bool again, stopping;
};

struct ext_file_watch *ext_file_watch_new(struct df_extension *ext, const char *what, size_t max,
                                          const char *too_large_why, ext_file_round_fn fn, void *ud)
{
    struct ext_file_watch *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    *w = (struct ext_file_watch){
        .ext = ext, .what = what, .max = max, .too_large_why = too_large_why, .fn = fn, .ud = ud};
    return w;
}

int ext_file_watch_add(struct ext_file_watch *w, const char *path)
{
    struct file *f = realloc(w->f, (w->n + 1) * sizeof *f);
    if (f)
        w->f = f;
    struct ext_file_read **r = f ? realloc(w->r, (w->n + 1) * sizeof *r) : NULL;
    if (!r)
        return DF_ENOMEM;
    w->r = r;
    size_t same = 0;
    while (same < w->n && strcmp(w->f[same].path, path))
        same++;
    struct ext_file_read *reader =
        same < w->n ? w->r[same]
                    : ext_file_read_new(df_extension_loop(w->ext), w->max, w->too_large_why);
    if (!reader)
        return DF_ENOMEM;
    w->f[w->n] = (struct file){.path = path, .owner = same == w->n};
    w->r[w->n] = reader;
    return (int)w->n++;
}

int ext_file_watch_start(struct ext_file_watch *w, uint64_t interval_ns, df_ext_watch_fn on_change,
                         struct df_error *err)
{
    for (size_t i = 0; i < w->n; i++) {
        if (!w->f[i].owner)
            continue;
        int rc = df_extension_watch(w->ext, w->f[i].path, interval_ns, on_change);
        if (rc < 0) {
            snprintf(err->msg, sizeof err->msg, "cannot watch %s '%s': %s", w->what, w->f[i].path,
                     df_strerror(rc));
            return rc;
        }
    }
    return 0;
}

/* One read (or the submitting) is over; the last one ends the round. It
 * counts as in flight until the contents are wiped, so a kick from `fn`
 * asks for one more round rather than reusing the readers under it. */
static void read_done(struct ext_file_watch *w)
{
    if (w->inflight > 1) {
        w->inflight--;
        return;
    }
    if (!w->stopping)
        w->fn(w->ud, (const struct ext_file_read *const *)w->r);
    for (size_t i = 0; i < w->n; i++) {
        if (w->f[i].owner)
            ext_file_read_release(w->r[i]);
    }
    w->inflight = 0;
    if (w->stopping) {
        df_extension_stopped(w->ext);
        return;
    }
    if (w->again)
        ext_file_watch_kick(w);
}

static void on_read(struct ext_file_read *r, void *ud)
{
    struct ext_file_watch *w = ud;
    ext_file_read_hold(r); /* until the round ends */
    read_done(w);
}

void ext_file_watch_kick(struct ext_file_watch *w)
{
    if (w->stopping)
        return;
    if (w->inflight) {
        w->again = true;
        return;
    }
    w->again = false;
    w->inflight = 1; /* held until every read is submitted */
    for (size_t i = 0; i < w->n; i++) {
        if (!w->f[i].owner)
            continue;
        w->inflight++;
        ext_file_read_start(w->r[i], w->f[i].path, on_read, w);
    }
    read_done(w);
}

void ext_file_watch_stop(struct ext_file_watch *w)
{
    w->stopping = true;
    if (!w->inflight)
        df_extension_stopped(w->ext);
}

void ext_file_watch_free(struct ext_file_watch *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < w->n; i++) {
        if (w->f[i].owner)
            ext_file_read_free(w->r[i]); /* one still reading frees itself */
    }
    free(w->r);
    free(w->f);
    free(w);
}
