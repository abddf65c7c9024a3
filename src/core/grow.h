/* core/grow.h — growing heap arrays by doubling. Any thread (on memory the
 * caller owns). */
#ifndef DF_CORE_GROW_H
#define DF_CORE_GROW_H

#include <stddef.h>

/* Grows the array whose pointer is stored at `bufp` (*cap elements of
 * `elem` bytes) to hold at least `need` elements, doubling from 16. Returns
 * 0, or DF_ENOMEM with the array unchanged. */
int df_grow(void *bufp, size_t *cap, size_t need, size_t elem);

#endif
