/* Error codes and the fixed-capacity diagnostic collector (df/error.h). */
#include "df/error.h"

#include <stdarg.h>
#include <string.h>

const char *df_strerror(int code)
{
    switch (code) {
#define DF_ERR_CASE(name, value, text)                                                             \
    case value:                                                                                    \
        return text;
        DF_ERRORS(DF_ERR_CASE)
#undef DF_ERR_CASE
    }
    return "unknown error";
}

void df_diags_reset(struct df_diags *d)
{
    d->count = 0;
    d->dropped = 0;
    d->warnings = 0;
}

/* Stores one diagnostic, or counts it as dropped when the collector is full. */
static void vadd(struct df_diags *d, bool warning, const struct df_mark *mark, const char *path,
                 const char *fmt, va_list ap)
{
    if (warning)
        d->warnings++;
    if (d->count == DF_DIAGS_MAX) {
        d->dropped++;
        return;
    }
    struct df_error *e = &d->items[d->count++];
    e->code = DF_EINVAL;
    e->warning = warning;
    e->mark = mark ? *mark : (struct df_mark){0};
    if (e->mark.file) {
        snprintf(e->file, sizeof e->file, "%s", e->mark.file);
        e->mark.file = e->file;
    }
    snprintf(e->path, sizeof e->path, "%s", path ? path : "");
    e->hint[0] = '\0';
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
}

void df_diags_add(struct df_diags *d, const struct df_mark *mark, const char *path, const char *fmt,
                  ...)
{
    va_list ap;
    va_start(ap, fmt);
    vadd(d, false, mark, path, fmt, ap);
    va_end(ap);
}

void df_diags_warn(struct df_diags *d, const struct df_mark *mark, const char *path,
                   const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vadd(d, true, mark, path, fmt, ap);
    va_end(ap);
}

void df_diags_hint(struct df_diags *d, const char *fmt, ...)
{
    if (d->count == 0 || d->dropped > 0)
        return;
    struct df_error *e = &d->items[d->count - 1];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->hint, sizeof e->hint, fmt, ap);
    va_end(ap);
}

/* Orders diagnostics by file, then line, then column; unmarked ones last. */
static int before(const struct df_error *a, const struct df_error *b)
{
    if (!a->mark.file || !b->mark.file)
        return a->mark.file && !b->mark.file;
    int c = strcmp(a->mark.file, b->mark.file);
    if (c)
        return c < 0;
    if (a->mark.line != b->mark.line)
        return a->mark.line < b->mark.line;
    return a->mark.col < b->mark.col;
}

void df_diags_print(const struct df_diags *d, FILE *out)
{
    /* Stable insertion sort of indices, so errors read in document order. */
    size_t order[DF_DIAGS_MAX];
    for (size_t i = 0; i < d->count; i++) {
        size_t j = i;
        while (j > 0 && before(&d->items[i], &d->items[order[j - 1]])) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
    for (size_t i = 0; i < d->count; i++) {
        const struct df_error *e = &d->items[order[i]];
        if (e->mark.file && e->mark.line && e->mark.col)
            fprintf(out, "%s:%u:%u: ", e->mark.file, e->mark.line, e->mark.col);
        else if (e->mark.file && e->mark.line)
            fprintf(out, "%s:%u: ", e->mark.file, e->mark.line);
        else if (e->mark.file)
            fprintf(out, "%s: ", e->mark.file);
        fprintf(out, "%s: ", e->warning ? "warning" : "error");
        if (e->path[0])
            fprintf(out, "%s: ", e->path);
        fprintf(out, "%s\n", e->msg);
        if (e->hint[0])
            fprintf(out, "    hint: %s\n", e->hint);
    }
    size_t errors = df_diags_total(d), warnings = d->warnings;
    if (d->dropped)
        fprintf(out, "... and %zu more\n", d->dropped);
    if (errors)
        fprintf(out, "%zu error%s%s", errors, errors == 1 ? "" : "s", warnings ? ", " : "\n");
    if (warnings)
        fprintf(out, "%zu warning%s\n", warnings, warnings == 1 ? "" : "s");
}
