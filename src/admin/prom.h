/* admin/prom.h — a writer of the Prometheus text exposition format 0.0.4.
 *
 * Builds the body of a /metrics response in a growable buffer: for each
 * metric family a `# HELP` and a `# TYPE` line (df_prom_family), then its
 * samples (df_prom_sample, df_prom_sample_u64), one line each:
 *
 *     # HELP df_records_total Records received.
 *     # TYPE df_records_total counter
 *     df_records_total{node="in",signal="logs"} 42
 *
 * Help text escapes backslash and newline; label values escape backslash,
 * double quote and newline. Names are checked (metric names
 * [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]* not starting
 * with "__"); a call with a bad name or type writes nothing and records
 * DF_EINVAL. Doubles use the shortest form that reads back exactly
 * ("NaN", "+Inf", "-Inf" for the special values; LC_NUMERIC must be "C", the
 * default); u64 samples are exact integers. Errors are sticky in `err`:
 * check it once at the end. After DF_ENOMEM nothing more is written.
 *
 * Not thread-safe: a struct df_prom belongs to the thread that fills it. */
#ifndef DF_ADMIN_PROM_H
#define DF_ADMIN_PROM_H

#include <stddef.h>
#include <stdint.h>

/* The Content-Type of a response carrying this format. */
#define DF_PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* buf[0..len) is the text so far, NUL-terminated when len > 0; malloc'd
 * (cap bytes). err is 0, DF_EINVAL (some call was skipped) or DF_ENOMEM
 * (which replaces DF_EINVAL: the text is incomplete). */
struct df_prom {
    char *buf;
    size_t len, cap;
    int err;
};

/* Starts an empty text. Allocates nothing. */
void df_prom_init(struct df_prom *p);

/* Frees the buffer; `p` may be initialised again. */
void df_prom_free(struct df_prom *p);

/* Returns the malloc'd text (the caller frees it; NULL when empty or when
 * err is set) and its length in *len (may be NULL), and leaves `p` empty,
 * as after df_prom_init (err is kept). Made to become an HTTP response
 * body. */
char *df_prom_take(struct df_prom *p, size_t *len);

/* Writes `# HELP name help` (help may be NULL: no HELP line) and
 * `# TYPE name type`; `type` is "counter" or "gauge". Write each family
 * once, before its samples. */
void df_prom_family(struct df_prom *p, const char *name, const char *type, const char *help);

/* Writes `name{l1="v1",...} value`. label_names and label_values hold
 * nlabels strings each (both may be NULL when nlabels is 0); values are any
 * UTF-8 and are escaped. */
void df_prom_sample(struct df_prom *p, const char *name, const char *const *label_names,
                    const char *const *label_values, size_t nlabels, double value);

/* Same with an exact unsigned integer value (counters). */
void df_prom_sample_u64(struct df_prom *p, const char *name, const char *const *label_names,
                        const char *const *label_values, size_t nlabels, uint64_t value);

#endif
