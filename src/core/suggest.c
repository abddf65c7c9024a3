/* Nearest-name suggestions (core/suggest.h). */
#include "core/suggest.h"

#include <stdio.h>
#include <string.h>

#define SUGGEST_MAX_LEN 127

unsigned df_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > SUGGEST_MAX_LEN || lb > SUGGEST_MAX_LEN)
        return 255;
    unsigned row[SUGGEST_MAX_LEN + 1];
    for (size_t j = 0; j <= lb; j++)
        row[j] = (unsigned)j;
    for (size_t i = 1; i <= la; i++) {
        unsigned diag = row[0];
        row[0] = (unsigned)i;
        for (size_t j = 1; j <= lb; j++) {
            unsigned up = row[j];
            unsigned cost = a[i - 1] == b[j - 1] ? 0 : 1;
            unsigned best = diag + cost;
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb] > 255 ? 255 : row[lb];
}

const char *df_suggest(const char *word, const char *const *candidates, size_t n)
{
    size_t len = strlen(word);
    if (len > SUGGEST_MAX_LEN)
        return NULL; /* too long to compare: every distance reads 255 */
    unsigned limit = len >= 9 ? (unsigned)(len / 3) : 2;
    const char *best = NULL;
    unsigned best_d = limit + 1;
    for (size_t i = 0; i < n; i++) {
        if (!candidates[i])
            continue;
        unsigned d = df_edit_distance(word, candidates[i]);
        if (d < best_d) {
            best_d = d;
            best = candidates[i];
        }
    }
    return best;
}

void df_join_names(char *buf, size_t n, const char *const *names, size_t count)
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < count; i++) {
        int w = snprintf(buf + len, n - len, "%s%s", i ? ", " : "", names[i]);
        if (w < 0 || (size_t)w >= n - len) {
            snprintf(buf + (len < n - 4 ? len : n - 4), 4, "...");
            return;
        }
        len += (size_t)w;
    }
}

int df_cmp_strptr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}
