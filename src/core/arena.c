/* Region allocator (df/arena.h): blocks from malloc, bump allocation inside. */
#include "df/arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_BLOCK_MIN (16 * 1024)

struct df_arena_block {
    struct df_arena_block *next;
    size_t size; /* usable bytes in data[] */
    size_t off;  /* first free byte */
    _Alignas(max_align_t) unsigned char data[];
};

void df_arena_init(struct df_arena *a)
{
    memset(a, 0, sizeof *a);
}

void df_arena_free(struct df_arena *a)
{
    struct df_arena_block *b = a->head;
    while (b) {
        struct df_arena_block *next = b->next;
        free(b);
        b = next;
    }
    df_arena_init(a);
}

void *df_arena_alloc(struct df_arena *a, size_t size)
{
    const size_t align = _Alignof(max_align_t);
    if (size > SIZE_MAX / 2)
        return NULL;
    size_t need = (size + align - 1) & ~(align - 1);
    if (need == 0)
        need = align;
    struct df_arena_block *b = a->head;
    if (!b || b->size - b->off < need) {
        size_t bsize = need > ARENA_BLOCK_MIN ? need : ARENA_BLOCK_MIN;
        b = malloc(sizeof *b + bsize);
        if (!b)
            return NULL;
        b->size = bsize;
        b->off = 0;
        if (a->head && need > ARENA_BLOCK_MIN) {
            /* A large one-off allocation: keep the current block first so
             * its free space stays in use. */
            b->next = a->head->next;
            a->head->next = b;
        } else {
            b->next = a->head;
            a->head = b;
        }
        a->reserved += bsize;
    }
    void *p = b->data + b->off;
    b->off += need;
    a->used += need;
    memset(p, 0, size);
    return p;
}

char *df_arena_strndup(struct df_arena *a, const char *s, size_t len)
{
    char *p = df_arena_alloc(a, len + 1);
    if (!p)
        return NULL;
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *df_arena_strdup(struct df_arena *a, const char *s)
{
    return df_arena_strndup(a, s, strlen(s));
}

char *df_arena_printf(struct df_arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *p = df_arena_alloc(a, (size_t)n + 1);
    if (!p)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}
