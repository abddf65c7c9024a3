/* core/suggest.h — "did you mean" suggestions for misspelt names. */
#ifndef DF_CORE_SUGGEST_H
#define DF_CORE_SUGGEST_H

#include <stddef.h>

/* Returns the edit (Levenshtein) distance between two strings, capped at
 * 255; strings longer than 127 bytes compare as distance 255. */
unsigned df_edit_distance(const char *a, const char *b);

/* Returns the candidate nearest to `word` when it is close enough to be a
 * likely typo (distance <= 2, or <= a third of the word's length for long
 * words), else NULL. `candidates` has `n` entries; NULL entries are skipped. */
const char *df_suggest(const char *word, const char *const *candidates, size_t n);

/* Writes "a, b, c" into buf[n], ending with "..." when the names do not
 * fit. */
void df_join_names(char *buf, size_t n, const char *const *names, size_t count);

/* qsort comparator for arrays of `const char *`. */
int df_cmp_strptr(const void *a, const void *b);

#endif
