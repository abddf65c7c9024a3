/* Core placement (runtime/placement.h). */
#define _GNU_SOURCE
#include "runtime/placement.h"

#include <sched.h>
#include <stdio.h>
#include <string.h>

size_t df_placement_available(unsigned *cores, size_t max)
{
    cpu_set_t set;
    size_t n = 0;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        for (unsigned c = 0; c < CPU_SETSIZE && n < max; c++) {
            if (CPU_ISSET(c, &set))
                cores[n++] = c;
        }
    }
    if (!n)
        cores[n++] = 0;
    return n;
}

char *df_placement_format(const unsigned *cores, size_t n, char *buf, size_t len)
{
    size_t pos = 0;
    buf[0] = 0;
    for (size_t i = 0; i < n && pos < len;) {
        size_t j = i;
        while (j + 1 < n && cores[j + 1] == cores[j] + 1)
            j++;
        int w = j > i
                    ? snprintf(buf + pos, len - pos, "%s%u-%u", pos ? "," : "", cores[i], cores[j])
                    : snprintf(buf + pos, len - pos, "%s%u", pos ? "," : "", cores[i]);
        if (w < 0)
            break;
        pos += (size_t)w;
        i = j + 1;
    }
    return buf;
}

static bool available(const unsigned *avail, size_t n, unsigned core)
{
    for (size_t i = 0; i < n; i++) {
        if (avail[i] == core)
            return true;
    }
    return false;
}

int df_placement_select(const struct df_core_allocation *alloc, const unsigned *avail,
                        size_t n_avail, unsigned *out, size_t *n_out, char *err, size_t errlen)
{
    char have[256];
    *n_out = 0;
    switch (alloc->strategy) {
    case DF_CORES_COUNT:
        if (alloc->count > (int64_t)n_avail) {
            snprintf(err, errlen, "core_count %lld exceeds the %zu available cores (%s)",
                     (long long)alloc->count, n_avail,
                     df_placement_format(avail, n_avail, have, sizeof have));
            return DF_ERANGE;
        }
        *n_out = alloc->count ? (size_t)alloc->count : n_avail;
        memcpy(out, avail, *n_out * sizeof *out);
        return 0;
    case DF_CORES_SET: {
        const struct df_core_range *r = alloc->set.items;
        for (unsigned c = 0; c < DF_MAX_CORES; c++) {
            bool want = false;
            for (size_t i = 0; i < alloc->set.count && !want; i++)
                want = (int64_t)c >= r[i].start && (int64_t)c <= r[i].end;
            if (!want)
                continue;
            if (!available(avail, n_avail, c)) {
                snprintf(err, errlen, "core %u is not available to this process (available: %s)", c,
                         df_placement_format(avail, n_avail, have, sizeof have));
                *n_out = 0;
                return DF_ERANGE;
            }
            out[(*n_out)++] = c;
        }
        if (!*n_out) {
            snprintf(err, errlen, "core_set selects no core");
            return DF_ERANGE;
        }
        return 0;
    }
    default:
        *n_out = n_avail;
        memcpy(out, avail, n_avail * sizeof *out);
        return 0;
    }
}
