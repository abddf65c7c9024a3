/* df/arena.h — region allocator for objects that share one lifetime.
 *
 * Everything built from one config generation (the value tree, the model,
 * every node's and extension's parsed options) lives in one arena and is
 * freed at once with it. Allocation is a pointer bump inside blocks obtained
 * from malloc; nothing is freed individually. An arena belongs to one thread
 * at a time. */
#ifndef DF_ARENA_H
#define DF_ARENA_H

#include <stddef.h>

struct df_arena_block;

struct df_arena {
    struct df_arena_block *head;
    size_t used;     /* bytes handed out, for statistics */
    size_t reserved; /* bytes obtained from malloc */
};

/* Initialises an empty arena (no allocation yet). */
void df_arena_init(struct df_arena *a);

/* Frees every block; the arena is empty and reusable afterwards. */
void df_arena_free(struct df_arena *a);

/* Returns `size` bytes aligned to max_align_t, zero-filled; NULL when memory
 * is exhausted. */
void *df_arena_alloc(struct df_arena *a, size_t size);

/* Copies `len` bytes of `s` and appends a NUL; NULL on exhaustion. */
char *df_arena_strndup(struct df_arena *a, const char *s, size_t len);

/* Copies a NUL-terminated string; NULL on exhaustion. */
char *df_arena_strdup(struct df_arena *a, const char *s);

/* printf into the arena; NULL on exhaustion. */
char *df_arena_printf(struct df_arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
