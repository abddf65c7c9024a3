/* extensions/common/file_read.h — reading a small secret file, for the
 * extension providers that watch one (bearer_token_auth's token files,
 * basic_auth's htpasswd file) or read one per request (oauth2_client_auth's
 * client secret). Private to src/extensions/.
 *
 * Two ways, the same rules: the file is opened non-blocking (a FIFO put in
 * its place cannot hang a thread) and read whole, up to a bound; the
 * content is wiped when the reader lets go of it.
 *
 *   ext_file_read_sync   a blocking read into the caller's buffer, for
 *                        config checks (main thread, config load) and
 *                        a background task's one small file (its thread);
 *   struct ext_file_read an asynchronous read with libuv's uv_fs_* calls
 *                        (the thread pool) on an instance's loop, reused
 *                        read after read; its callback runs on that loop.
 *                        Thread: the loop's. */
#ifndef DF_EXTENSIONS_COMMON_FILE_READ_H
#define DF_EXTENSIONS_COMMON_FILE_READ_H

#include <stdbool.h>
#include <stddef.h>

#include <uv.h>

#include "df/options.h"

/* The `watch_interval` option of a provider watching files: a duration
 * 10ms..1h, default 500ms, into `config_type`'s uint64_t `field`; `what` names
 * the files ("the htpasswd file is"). */
#define EXT_OPT_WATCH_INTERVAL(config_type, field, what)                                           \
    {                                                                                              \
        .name = "watch_interval", .type = DF_OPT_DURATION, .flags = DF_OPT_BOUNDED,                \
        .min = 10000000, .max = 3600000000000LL, .def = "500ms",                                   \
        .offset = offsetof(config_type, field),                                                    \
        .desc = "how often " what " checked for a change (identity, size, times)"                  \
    }

/* Reads `path` into buf[0..cap): sets *len (cap means "cap bytes or more";
 * callers pass their bound + 1 to tell "too large"). Returns NULL, or why
 * the file could not be read (strerror's text). */
const char *ext_file_read_sync(const char *path, char *buf, size_t cap, size_t *len);

/* The content of buf[0..len) without the blanks (spaces, tabs, CR, LF)
 * around it, as *start and *n: a one-line secret file as `echo` or an
 * editor writes it. */
void ext_file_trim(const char *buf, size_t len, size_t *start, size_t *n);

struct ext_file_read;

/* The read is over: on success r->why is NULL and r->buf[0..r->len) holds
 * the content (r->len <= max); otherwise r->why says why (a static string:
 * an I/O error's text, or "it is larger than <max>" when too_large). The
 * buffer is wiped after the callback returns, unless it started another
 * read of the same object or called ext_file_read_hold. */
typedef void (*ext_file_read_fn)(struct ext_file_read *r, void *ud);

struct ext_file_read {
    uv_fs_t req;
    uv_loop_t *loop;
    ext_file_read_fn done; /* NULL once orphaned by ext_file_read_free */
    void *ud;
    uv_file fd;
    bool busy;
    bool held; /* the content outlives the callback (ext_file_read_hold) */
    bool too_large;
    const char *why;
    const char *too_large_why;
    size_t max, len, cap;
    char *buf; /* grows up to max + 1 bytes */
};

/* A reader on `loop` of files of at most `max` bytes (`too_large_why`, a
 * static string, is the reason given for a larger one). NULL on
 * exhaustion. */
struct ext_file_read *ext_file_read_new(uv_loop_t *loop, size_t max, const char *too_large_why);

/* Starts reading `path`; `done(r, ud)` runs exactly once, later or (when
 * the open cannot even be submitted) before this returns. The reader must
 * not be busy. */
void ext_file_read_start(struct ext_file_read *r, const char *path, ext_file_read_fn done,
                         void *ud);

/* From the callback: keeps the content past it, until
 * ext_file_read_release, the next start or the free (which wipe it). */
void ext_file_read_hold(struct ext_file_read *r);
void ext_file_read_release(struct ext_file_read *r);

/* Frees the reader; a read still in flight (its owner went away after its
 * stop deadline) finishes on its own and frees it then, without calling
 * back. */
void ext_file_read_free(struct ext_file_read *r);

#endif
