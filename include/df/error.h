/* df/error.h — error codes, source marks and collected diagnostics.
 *
 * Every fallible df_ function returns an int: 0 on success, a negative
 * DF_E* code on failure. Functions that can report several problems at once
 * (config loading and validation) append them to a caller-owned
 * struct df_diags, a fixed-capacity collector: adding a diagnostic never
 * allocates, so failure paths cannot fail again. A diagnostic is an error
 * (the input is rejected) or a warning (accepted, but probably not what was
 * meant); only errors make an operation fail. Not thread-safe; a collector
 * belongs to the thread that fills it. */
#ifndef DF_ERROR_H
#define DF_ERROR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* X-macro: error code, value, short text. */
#define DF_ERRORS(X)                                                                               \
    X(DF_OK, 0, "ok")                                                                              \
    X(DF_EINVAL, -1, "invalid argument or configuration")                                          \
    X(DF_ENOMEM, -2, "out of memory")                                                              \
    X(DF_EIO, -3, "input/output error")                                                            \
    X(DF_ENOENT, -4, "not found")                                                                  \
    X(DF_EEXIST, -5, "already exists")                                                             \
    X(DF_ERANGE, -6, "value out of range")                                                         \
    X(DF_EPARSE, -7, "parse error")                                                                \
    X(DF_ECANCELED, -8, "canceled")                                                                \
    X(DF_ETIMEDOUT, -9, "timed out")

enum df_errcode {
#define DF_ERR_ENUM(name, value, text) name = value,
    DF_ERRORS(DF_ERR_ENUM)
#undef DF_ERR_ENUM
};

/* Returns the static text of an error code; never NULL. */
const char *df_strerror(int code);

/* A position in a source file. `file` points at storage that outlives the
 * mark (the config arena or a string literal); line and col are 1-based,
 * 0 when unknown. */
struct df_mark {
    const char *file;
    uint32_t line;
    uint32_t col;
};

#define DF_ERROR_FILE_MAX 256
#define DF_ERROR_PATH_MAX 256
#define DF_ERROR_MSG_MAX  512
#define DF_ERROR_HINT_MAX 256

/* One diagnostic: code, where (mark and config path), what, and how to fix;
 * `warning` marks one that does not reject the input.
 * A diagnostic outlives the config it describes: mark.file points at the
 * struct's own `file` copy (so copy a df_error with df_diags_add, not by
 * value). */
struct df_error {
    int code;
    struct df_mark mark;
    char file[DF_ERROR_FILE_MAX];
    char path[DF_ERROR_PATH_MAX];
    char msg[DF_ERROR_MSG_MAX];
    char hint[DF_ERROR_HINT_MAX];
    bool warning;
};

#define DF_DIAGS_MAX 64

/* Fixed-capacity diagnostic collector. Diagnostics beyond DF_DIAGS_MAX are
 * counted in `dropped`; `warnings` counts the warnings among all of them
 * (stored or dropped). Zero-initialise before use (or df_diags_reset). */
struct df_diags {
    size_t count;
    size_t dropped;
    size_t warnings;
    struct df_error items[DF_DIAGS_MAX];
};

void df_diags_reset(struct df_diags *d);

/* Appends a diagnostic with code DF_EINVAL. `mark` and `path` may be NULL.
 * The message is printf-formatted and truncated to DF_ERROR_MSG_MAX. */
void df_diags_add(struct df_diags *d, const struct df_mark *mark, const char *path, const char *fmt,
                  ...) __attribute__((format(printf, 4, 5)));

/* As df_diags_add, but a warning: printed as `warning:` and not counted by
 * df_diags_total, so it does not fail validation. */
void df_diags_warn(struct df_diags *d, const struct df_mark *mark, const char *path,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Sets the hint of the most recently added diagnostic (no-op when none was
 * stored). */
void df_diags_hint(struct df_diags *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prints every diagnostic, in file:line:col order, as
 * `file:line:col: error: path: message` (`warning:` for a warning) with an
 * indented `hint:` line, then a summary line ("2 errors, 1 warning"). */
void df_diags_print(const struct df_diags *d, FILE *out);

/* Returns the number of errors ever added (stored + dropped); warnings are
 * not counted, so "no new errors" is a total that did not change. */
static inline size_t df_diags_total(const struct df_diags *d)
{
    return d->count + d->dropped - d->warnings;
}

#endif
