/* tests/fuzz/rewrite_check.h — the oracle the attribute-rewrite fuzz
 * targets share: a request df_otlp_count accepted (`valid` == 0, `items`
 * items) must be rewritten without error into one it accepts, with the same
 * item count (or, when `may_drop`, no more); "unchanged" must mean nothing
 * was written; the only error for other input is DF_EPARSE. Aborts
 * otherwise. */
#ifndef DF_TESTS_FUZZ_REWRITE_CHECK_H
#define DF_TESTS_FUZZ_REWRITE_CHECK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "df/error.h"
#include "otlp/attrs.h"
#include "otlp/otlp.h"

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

#endif
