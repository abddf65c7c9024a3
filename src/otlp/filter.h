/* otlp/filter.h — dropping log records, spans and metrics from OTLP
 * requests by the OpenTelemetry Collector's filter rules (the legacy
 * `include` / `exclude` match blocks of its filter processor).
 *
 * A request is read in its wire form: for each record only the fields a rule
 * needs are looked at (body, severity, name, attributes, the resource's
 * attributes), as views into the request. Filtering takes two passes: the
 * scan decides every record and computes the exact size of what is kept; the
 * write then copies the kept records as whole tagged fields (memcpy, nothing
 * decoded or re-encoded), rewriting only the lengths of the scope and
 * resource messages around them. Scopes and resources left without records
 * are dropped whole, as the Collector does.
 *
 * Matching (as the Collector): a record is kept when it matches `include`
 * (if given) and does not match `exclude` (if given). Within a block every
 * property given must match (AND); a list property matches when any entry
 * does (OR); attribute lists need every listed key present and matching.
 * Values are compared in their string form (ints in decimal, bools as
 * true/false, doubles in the shortest round-trip %g form); bytes, arrays
 * and maps never match a value. Regular expressions are POSIX extended
 * (<regex.h>), unanchored like the Collector's RE2, but without RE2-only
 * syntax (\d, (?i), non-greedy operators, ...); strings are matched up to
 * their first NUL byte.
 *
 * Threads: a struct df_filter is used by one thread (it holds compiled
 * regexps and scratch buffers); make one per core. The spec types are plain
 * data and may be shared read-only. */
#ifndef DF_OTLP_FILTER_H
#define DF_OTLP_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "df/signal.h"

#define DF_FILTER_MATCH_TYPES(X)                                                                   \
    X(DF_FILTER_STRICT, "strict")                                                                  \
    X(DF_FILTER_REGEXP, "regexp")

enum df_filter_match_type {
#define DF_FILTER_MATCH_ENUM(name, text) name,
    DF_FILTER_MATCH_TYPES(DF_FILTER_MATCH_ENUM)
#undef DF_FILTER_MATCH_ENUM
};

/* An attribute rule: `key` must be present; when `value` is not NULL, the
 * attribute's string form must equal it (strict) or match it (regexp). */
struct df_filter_kv {
    const char *key;
    const char *value;
};

/* One match block (`include` or `exclude` of one signal). `names` are the
 * log bodies, span names or metric names; `severity_texts` and `severity`
 * apply to logs only; `attributes` are the log record's or span's
 * attributes (ignored for metrics). At least one property should be given: a
 * block with none matches every record. */
struct df_filter_spec {
    enum df_filter_match_type match_type;
    const char *const *names;
    size_t nnames;
    const char *const *severity_texts;
    size_t nseverity_texts;
    bool severity;        /* severity_min / match_undefined apply */
    int32_t severity_min; /* records with severity_number >= this match */
    bool match_undefined; /* whether severity_number 0 (unspecified) matches */
    const struct df_filter_kv *attributes;
    size_t nattributes;
    const struct df_filter_kv *resource_attributes;
    size_t nresource_attributes;
};

/* The rules of every signal; NULL = no such block. */
struct df_filter_config {
    const struct df_filter_spec *include[DF_SIGNAL_COUNT];
    const struct df_filter_spec *exclude[DF_SIGNAL_COUNT];
};

struct df_filter;

/* What a scan found. `out_len` is the size of the rebuilt request (only
 * meaningful when 0 < items_kept < items_in). */
struct df_filter_result {
    uint64_t items_in;
    uint64_t items_kept;
    size_t out_len;
};

/* Compiles `cfg` (its strings are copied). Returns 0 and sets *out, DF_ENOMEM,
 * or DF_EINVAL with a message naming the bad regular expression in err. */
int df_filter_new(const struct df_filter_config *cfg, struct df_filter **out, char *err,
                  size_t errlen);

/* Frees a filter; NULL is ignored. */
void df_filter_free(struct df_filter *f);

/* True when the filter has a rule for `signal` (otherwise every request of
 * that signal passes unchanged). */
bool df_filter_applies(const struct df_filter *f, enum df_signal signal);

/* Decides every item of the request `buf` of `signal` and fills *res.
 * Returns 0, DF_EPARSE when the request is malformed where it was read
 * (framing everywhere it walked, wire types of the fields it interprets),
 * DF_EINVAL for an unknown signal, or DF_ENOMEM (scratch space). The
 * decisions are kept in `f` for df_filter_write. */
int df_filter_scan(struct df_filter *f, enum df_signal signal, const uint8_t *buf, size_t len,
                   struct df_filter_result *res);

/* Writes the kept part of the request last scanned (the same `buf`/`len`) to
 * `out`, which must hold res->out_len bytes, and returns the bytes written
 * (res->out_len). The result is a request of the same signal holding
 * res->items_kept items. `out` may be `buf` itself: the request is then
 * compacted in place (no other overlap is allowed). */
size_t df_filter_write(struct df_filter *f, const uint8_t *buf, size_t len, uint8_t *out);

/* Compiles `re` as the filter would, to report errors at config load: 0, or
 * DF_EINVAL with regerror's message in msg. */
int df_filter_regex_check(const char *re, char *msg, size_t msglen);

/* Parses a severity number: 0..24, or a name TRACE, DEBUG, INFO, WARN, ERROR,
 * FATAL optionally followed by 2, 3 or 4 (INFO3 = 11), case-insensitive.
 * Returns 0 or DF_EINVAL. */
int df_filter_severity_parse(const char *s, int32_t *out);

#endif
