/* Doubling arrays (core/grow.h). */
#include "core/grow.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "df/error.h"

int df_grow(void *bufp, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap : 16;
    while (n < need) {
        if (n > SIZE_MAX / 2 / elem)
            return DF_ENOMEM;
        n *= 2;
    }
    void *old;
    memcpy(&old, bufp, sizeof old);
    void *p = realloc(old, n * elem);
    if (!p)
        return DF_ENOMEM;
    memcpy(bufp, &p, sizeof p);
    *cap = n;
    return 0;
}
