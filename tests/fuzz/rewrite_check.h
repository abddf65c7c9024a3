/* tests/fuzz/rewrite_check.h — the oracle the attribute-rewrite fuzz
 * targets share (rewrite_fuzz): a request df_otlp_count accepts must be
 * rewritten without error into one it accepts, with the same item count
 * (or, when `may_drop`, no more); "unchanged" must mean nothing was
 * written; the only error for other input is DF_EPARSE. Aborts
 * otherwise. */
#ifndef DF_TESTS_FUZZ_REWRITE_CHECK_H
#define DF_TESTS_FUZZ_REWRITE_CHECK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "df/error.h"
#include "otlp/attrs.h"
#include "otlp/otlp.h"

/* The oracle for a rewrite whose input df_otlp_count answered `valid`
 * (0: accepted, with `items` items). */
static inline void rewrite_check(enum df_signal sig, int valid, uint64_t items, int rc,
                                 const struct df_attrs_result *res, const struct df_pb_writer *w,
                                 bool may_drop)
{
    if (rc != 0 && rc != DF_EPARSE)
        abort();
    if (valid == 0 && rc != 0)
        abort();
    if (rc != 0)
        return;
    if (!res->changed && w->len)
        abort();
    if (res->changed && valid == 0) {
        uint64_t again = 0;
        if (df_otlp_count(sig, w->buf, w->len, &again) != 0)
            abort();
        if (may_drop ? again > items : again != items)
            abort();
    }
}

/* Rewrites buf[0..len) of `sig` with `rules` and checks the outcome.
 * Returns -1 when df_otlp_count refused the request, else whether the
 * rewrite reported it changed (0 or 1). */
static inline int rewrite_fuzz(const struct df_attrs *rules, enum df_signal sig, const uint8_t *buf,
                               size_t len, struct df_attrs_scratch *scratch, bool may_drop)
{
    uint64_t items = 0;
    int valid = df_otlp_count(sig, buf, len, &items);
    struct df_pb_writer w;
    struct df_attrs_result res;
    df_pb_writer_init(&w);
    int rc = df_attrs_rewrite(rules, sig, buf, len, scratch, &w, &res);
    rewrite_check(sig, valid, items, rc, &res, &w, may_drop);
    df_pb_writer_free(&w);
    return valid != 0 ? -1 : res.changed;
}

#endif
