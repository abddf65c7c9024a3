/* libFuzzer target: the enrichment rewrite (otlp/attrs.h with a per-list
 * hook, as processor:enrich drives it) on arbitrary bytes, with a fixed
 * in-memory dataset. The first byte picks the signal, the second the lists
 * (resource and/or records) and what happens to a missing key (keep, drop,
 * tag); the rest is the request. Beyond crashes and sanitizer reports it
 * checks that a request df_otlp_count accepts is rewritten without error
 * into one it accepts, with the same item count for keep and tag and no more
 * for drop, that "unchanged" means nothing was written, and that a request
 * in which the hook set a value that was absent or different is reported
 * changed. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "df/error.h"
#include "otlp/attrs.h"
#include "otlp/otlp.h"
#include "tests/fuzz/rewrite_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* key -> columns (col=value pairs). */
static const struct {
    const char *key;
    const char *cols[4];
} dataset[] = {
    {"a", {"region", "eu", "tier", "gold"}},
    {"42", {"name", "bob", NULL, NULL}},
    {"", {"empty", "yes", NULL, NULL}},
};

enum { KEEP, DROP, TAG };

struct env {
    int missing;
    unsigned changes; /* upserts that set an absent or different value */
    uint8_t buf[256];
};

/* df_attrs_list_upsert, counting it in e->changes when the key was absent
 * or its first entry held another value (a removed later duplicate is a
 * change too, but not counted: the count is a lower bound). */
static int upsert(struct env *e, struct df_attrs_list *l, const char *key, size_t klen,
                  const uint8_t *val, size_t vlen)
{
    const uint8_t *old;
    size_t olen = 0;
    bool differs = !df_attrs_list_find(l, key, klen, &old, &olen) || !old || olen != vlen ||
                   memcmp(old, val, vlen);
    int rc = df_attrs_list_upsert(l, key, klen, val, vlen);
    if (rc == 0 && differs)
        e->changes++;
    return rc;
}

static int hook(void *arg, unsigned which, struct df_attrs_list *l)
{
    struct env *e = arg;
    const uint8_t *val;
    size_t vlen;
    if (!which)
        return 0;
    if (!df_attrs_list_find(l, "k", 1, &val, &vlen) || !val || vlen < 2 || val[0] != 0x0a ||
        val[1] != vlen - 2) {
        if (e->missing == DROP)
            return DF_ATTRS_DROP;
        if (e->missing == TAG) {
            static const uint8_t yes[] = {0x10, 1};
            return upsert(e, l, "x.missing", 9, yes, sizeof yes);
        }
        return 0;
    }
    for (size_t i = 0; i < sizeof dataset / sizeof dataset[0]; i++) {
        if (strlen(dataset[i].key) != vlen - 2 || memcmp(dataset[i].key, val + 2, vlen - 2))
            continue;
        uint8_t *p = e->buf;
        for (size_t c = 0; c < 4 && dataset[i].cols[c]; c += 2) {
            size_t n =
                df_attr_value_string(p, dataset[i].cols[c + 1], strlen(dataset[i].cols[c + 1]));
            if (upsert(e, l, dataset[i].cols[c], strlen(dataset[i].cols[c]), p, n) < 0)
                return DF_ENOMEM;
            p += n;
        }
        return 0;
    }
    return e->missing == DROP ? DF_ATTRS_DROP : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct df_attrs_scratch scratch;
    if (size < 2)
        return 0;
    enum df_signal sig = (enum df_signal)(data[0] % DF_SIGNAL_COUNT);
    unsigned apply = (data[1] & 3) ? (data[1] & 3) : DF_ATTR_SIGNAL;
    struct env e = {.missing = (data[1] >> 2) % 3};
    struct df_attrs_hook h = {.fn = hook, .arg = &e};
    struct df_attrs rules = {.apply_to = apply, .hook = &h};
    if (rewrite_fuzz(&rules, sig, data + 2, size - 2, &scratch, e.missing == DROP) == 0 &&
        e.changes)
        abort();
    return 0;
}
