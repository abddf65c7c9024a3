/* extensions/common/file_watch.h — the files a provider keeps loaded
 * (bearer_token_auth's token files, headers_setter's value files,
 * basic_auth's htpasswd file, file_storage's dataset), watched and read
 * again together. Private to src/extensions/.
 *
 * A round reads every file (each distinct path once, with the asynchronous
 * reader of file_read.h: libuv's thread pool) and then calls the provider
 * back once with every file's result. A round starts when a watched file
 * changes (df_extension_watch on each distinct path) or when the provider
 * asks (ext_file_watch_kick: the first load, a reload_interval timer). A
 * kick during a round is coalesced into one more round after it, so a
 * change is never missed and never read twice at once. Every file is read
 * each round (a watch does not say which file changed; they are few and
 * small), so the provider always sees a consistent set.
 *
 * Stop: ext_file_watch_stop calls df_extension_stopped at once when no
 * round is in flight, else when the round ends (its reads use the
 * instance's memory); that round's results are dropped, unseen. Freed after
 * its stop deadline with a round in flight, the readers still reading
 * finish on their own (file_read.h).
 *
 * Thread: the instance's loop, for everything. */
#ifndef DF_EXTENSIONS_COMMON_FILE_WATCH_H
#define DF_EXTENSIONS_COMMON_FILE_WATCH_H

#include <stddef.h>
#include <stdint.h>

#include "df/extension.h"
#include "extensions/common/file_read.h"

struct ext_file_watch;

/* A round is over: files[i] is the read of the i-th path added — why NULL
 * and buf[0..len) its content, or why not (file_read.h); paths added twice
 * share one read. The contents are wiped once this returns. Not called for
 * a round that ends after the stop was asked. */
typedef void (*ext_file_round_fn)(void *ud, const struct ext_file_read *const *files);

/* A set of no files yet, for instance `ext`: files of at most `max` bytes
 * (`too_large_why` is the reason given for a larger one); `what` names
 * them in errors ("token file"). `fn(ud, files)` ends each round. Create
 * or later. NULL on exhaustion. */
struct ext_file_watch *ext_file_watch_new(struct df_extension *ext, const char *what, size_t max,
                                          const char *too_large_why, ext_file_round_fn fn,
                                          void *ud);

/* Adds `path` (kept, not copied: it must outlive the set), before start.
 * Returns its index in the rounds' `files`, or DF_ENOMEM. */
int ext_file_watch_add(struct ext_file_watch *w, const char *path);

/* Watches every distinct path, checked every `interval_ns`; `on_change`,
 * the instance's watch callback, is expected to call ext_file_watch_kick
 * (df_ext_watch_fn hands it the instance state, not the set). Start hook.
 * Returns 0, or a negative code with "cannot watch <what> '<path>': ..." in
 * `err`. Reads nothing: the first round is the caller's kick. */
int ext_file_watch_start(struct ext_file_watch *w, uint64_t interval_ns, df_ext_watch_fn on_change,
                         struct df_error *err);

/* Starts a round, or, with one in flight, asks for one more after it. No-op
 * once stopping. */
void ext_file_watch_kick(struct ext_file_watch *w);

/* The stop hook's part: df_extension_stopped now, or when the round in
 * flight ends. */
void ext_file_watch_stop(struct ext_file_watch *w);

/* Frees the set (NULL is fine); see the header comment for reads in
 * flight. */
void ext_file_watch_free(struct ext_file_watch *w);

#endif
