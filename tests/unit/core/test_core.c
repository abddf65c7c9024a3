/* Unit tests for the core modules: the arena (df/arena.h), error codes and
 * the diagnostic collector (df/error.h), and name suggestions
 * (core/suggest.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/suggest.h"
#include "df/arena.h"
#include "df/error.h"

#define ALIGN _Alignof(max_align_t)

/* ---- arena ------------------------------------------------------------ */

static void test_arena_init_is_empty(void **state)
{
    (void)state;
    struct df_arena a;
    memset(&a, 0xab, sizeof a);
    df_arena_init(&a);
    assert_null(a.head);
    assert_int_equal(a.used, 0);
    assert_int_equal(a.reserved, 0);
    df_arena_free(&a); /* freeing an empty arena is fine */
    assert_null(a.head);
}

static void test_arena_alignment(void **state)
{
    (void)state;
    struct df_arena a;
    df_arena_init(&a);
    static const size_t sizes[] = {1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 33, 100, 1000, 4095, 0};
    unsigned char *prev = NULL;
    for (int round = 0; round < 20; round++) {
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
            unsigned char *p = df_arena_alloc(&a, sizes[i]);
            assert_non_null(p);
            assert_int_equal((uintptr_t)p % ALIGN, 0);
            assert_ptr_not_equal(p, prev);
            prev = p;
        }
    }
    df_arena_free(&a);
}

static void test_arena_sizes_do_not_overlap(void **state)
{
    (void)state;
    struct df_arena a;
    df_arena_init(&a);
    enum { N = 64 };
    unsigned char *p[N];
    size_t sz[N];
    for (size_t i = 0; i < N; i++) {
        sz[i] = 1 + (i * 37) % 300;
        p[i] = df_arena_alloc(&a, sz[i]);
        assert_non_null(p[i]);
        memset(p[i], (int)i + 1, sz[i]);
    }
    /* Every allocation kept its own bytes: none was overwritten by a later one. */
    for (size_t i = 0; i < N; i++) {
        for (size_t j = 0; j < sz[i]; j++)
            assert_int_equal(p[i][j], (unsigned char)(i + 1));
    }
    df_arena_free(&a);
}

static void test_arena_zero_fill(void **state)
{
    (void)state;
    /* ASan fills fresh malloc memory with a non-zero byte, so this fails
     * under the sanitizer build if the arena skipped the zeroing. Blocks are
     * also reused after dirtying to catch a stale-memory leak without ASan. */
    struct df_arena a;
    df_arena_init(&a);
    for (int round = 0; round < 3; round++) {
        for (size_t size = 1; size < 3000; size += 131) {
            unsigned char *p = df_arena_alloc(&a, size);
            assert_non_null(p);
            for (size_t i = 0; i < size; i++)
                assert_int_equal(p[i], 0);
            memset(p, 0xff, size);
        }
        df_arena_free(&a);
    }
    unsigned char *big = df_arena_alloc(&a, 200000);
    assert_non_null(big);
    for (size_t i = 0; i < 200000; i++)
        assert_int_equal(big[i], 0);
    df_arena_free(&a);
}

static void test_arena_zero_size(void **state)
{
    (void)state;
    struct df_arena a;
    df_arena_init(&a);
    void *p = df_arena_alloc(&a, 0);
    void *q = df_arena_alloc(&a, 0);
    assert_non_null(p);
    assert_non_null(q);
    assert_ptr_not_equal(p, q);
    assert_int_equal((uintptr_t)p % ALIGN, 0);
    assert_int_equal((uintptr_t)q % ALIGN, 0);
    df_arena_free(&a);
}

static void test_arena_accounting(void **state)
{
    (void)state;
    struct df_arena a;
    df_arena_init(&a);
    assert_non_null(df_arena_alloc(&a, 1));
    assert_int_equal(a.used, ALIGN);
    assert_non_null(df_arena_alloc(&a, ALIGN + 1));
    assert_int_equal(a.used, 3 * ALIGN);
    assert_true(a.reserved >= a.used);
    df_arena_free(&a);
    assert_int_equal(a.used, 0);
    assert_int_equal(a.reserved, 0);
}

static void test_arena_large_allocations(void **state)
{
    (void)state;
    struct df_arena a;
    df_arena_init(&a);
    unsigned char *small = df_arena_alloc(&a, 64);
    assert_non_null(small);
    size_t reserved_small = a.reserved;
    assert_true(reserved_small > 64);

    /* Larger than any default block: a block of its own. */
    const size_t big_size = 1u << 20;
    unsigned char *big = df_arena_alloc(&a, big_size);
    assert_non_null(big);
    assert_int_equal((uintptr_t)big % ALIGN, 0);
    memset(big, 0x5a, big_size); /* ASan flags any overflow of the block */
    assert_true(a.reserved >= reserved_small + big_size);
    size_t reserved_big = a.reserved;

    /* The partly used small block stays current: the next small
     * allocation fits in it without reserving more memory. */
    unsigned char *small2 = df_arena_alloc(&a, 64);
    assert_non_null(small2);
    assert_int_equal(a.reserved, reserved_big);
    assert_ptr_equal(small2, small + 64);
    assert_int_equal(big[0], 0x5a);
    assert_int_equal(big[big_size - 1], 0x5a);

    /* Several large ones in a row, all usable. */
    for (int i = 0; i < 4; i++) {
        unsigned char *p = df_arena_alloc(&a, 100000 + (size_t)i);
        assert_non_null(p);
        memset(p, i, 100000 + (size_t)i);
    }
    df_arena_free(&a);
}

static void test_arena_filling_blocks(void **state)
{
    (void)state;
    struct df_arena a;
    df_arena_init(&a);
    /* Many medium allocations spill over several blocks. */
    unsigned char *first = df_arena_alloc(&a, 1000);
    assert_non_null(first);
    memset(first, 0x22, 1000);
    for (int i = 0; i < 200; i++) {
        unsigned char *p = df_arena_alloc(&a, 1000);
        assert_non_null(p);
        memset(p, 0x11, 1000);
    }
    for (size_t i = 0; i < 1000; i++)
        assert_int_equal(first[i], 0x22);
    assert_true(a.used >= 200 * 1000);
    assert_true(a.reserved >= a.used);
    df_arena_free(&a);
}

static void test_arena_too_large(void **state)
{
    (void)state;
    struct df_arena a;
    df_arena_init(&a);
    assert_null(df_arena_alloc(&a, SIZE_MAX));
    assert_null(df_arena_alloc(&a, SIZE_MAX / 2 + 1));
    assert_int_equal(a.used, 0);
    /* Still usable afterwards. */
    assert_non_null(df_arena_alloc(&a, 8));
    df_arena_free(&a);
}

static void test_arena_strdup(void **state)
{
    (void)state;
    struct df_arena a;
    df_arena_init(&a);
    const char *src = "hello, arena";
    char *s = df_arena_strdup(&a, src);
    assert_non_null(s);
    assert_ptr_not_equal(s, src);
    assert_string_equal(s, src);

    char *e = df_arena_strdup(&a, "");
    assert_non_null(e);
    assert_string_equal(e, "");

    char *n = df_arena_strndup(&a, "abcdef", 3);
    assert_non_null(n);
    assert_string_equal(n, "abc");
    assert_int_equal(n[3], '\0');

    /* strndup copies exactly len bytes, embedded NUL included. */
    char *z = df_arena_strndup(&a, "ab\0cd", 5);
    assert_non_null(z);
    assert_memory_equal(z, "ab\0cd", 6);

    char *none = df_arena_strndup(&a, "xyz", 0);
    assert_non_null(none);
    assert_string_equal(none, "");
    df_arena_free(&a);
}

static void test_arena_printf(void **state)
{
    (void)state;
    struct df_arena a;
    df_arena_init(&a);
    char *s = df_arena_printf(&a, "%s-%d-%05.1f", "x", 42, 3.5);
    assert_non_null(s);
    assert_string_equal(s, "x-42-003.5");

    char *e = df_arena_printf(&a, "%s", "");
    assert_non_null(e);
    assert_string_equal(e, "");

    /* Longer than a default block. */
    char *big = df_arena_printf(&a, "%40000d|", 7);
    assert_non_null(big);
    assert_int_equal(strlen(big), 40001);
    assert_int_equal(big[39999], '7');
    assert_int_equal(big[40000], '|');
    assert_int_equal(big[0], ' ');
    df_arena_free(&a);
}

static void test_arena_free_and_reuse(void **state)
{
    (void)state;
    struct df_arena a;
    df_arena_init(&a);
    for (int round = 0; round < 3; round++) {
        char *s = df_arena_strdup(&a, "round");
        assert_non_null(s);
        assert_non_null(df_arena_alloc(&a, 50000));
        assert_non_null(a.head);
        assert_true(a.used > 0);
        df_arena_free(&a);
        assert_null(a.head);
        assert_int_equal(a.used, 0);
        assert_int_equal(a.reserved, 0);
    }
    df_arena_free(&a); /* twice is harmless */
}

/* ---- error codes ------------------------------------------------------ */

static void test_strerror(void **state)
{
    (void)state;
    assert_string_equal(df_strerror(DF_OK), "ok");
    assert_string_equal(df_strerror(DF_EINVAL), "invalid argument or configuration");
    assert_string_equal(df_strerror(DF_ENOMEM), "out of memory");
    assert_string_equal(df_strerror(DF_EIO), "input/output error");
    assert_string_equal(df_strerror(DF_ENOENT), "not found");
    assert_string_equal(df_strerror(DF_EEXIST), "already exists");
    assert_string_equal(df_strerror(DF_ERANGE), "value out of range");
    assert_string_equal(df_strerror(DF_EPARSE), "parse error");
    assert_string_equal(df_strerror(DF_ECANCELED), "canceled");
    assert_string_equal(df_strerror(DF_ETIMEDOUT), "timed out");
    assert_string_equal(df_strerror(1), "unknown error");
    assert_string_equal(df_strerror(-10), "unknown error");
    assert_string_equal(df_strerror(-1000), "unknown error");
    assert_int_equal(DF_OK, 0);
    assert_true(DF_EINVAL < 0 && DF_ENOMEM < 0 && DF_EPARSE < 0);
}

/* ---- diagnostics ------------------------------------------------------ */

struct diags_fx {
    struct df_diags d;
};

static int diags_setup(void **state)
{
    struct diags_fx *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    *state = f;
    return 0;
}

static int diags_teardown(void **state)
{
    free(*state);
    return 0;
}

static void test_diags_add(void **state)
{
    struct diags_fx *f = *state;
    struct df_diags *d = &f->d;
    struct df_mark m = {.file = "c.yaml", .line = 3, .col = 7};
    df_diags_add(d, &m, "a.b", "bad %s %d", "thing", 5);
    assert_int_equal(d->count, 1);
    assert_int_equal(d->dropped, 0);
    assert_int_equal(df_diags_total(d), 1);
    const struct df_error *e = &d->items[0];
    assert_int_equal(e->code, DF_EINVAL);
    assert_string_equal(e->mark.file, "c.yaml");
    assert_int_equal(e->mark.line, 3);
    assert_int_equal(e->mark.col, 7);
    assert_string_equal(e->path, "a.b");
    assert_string_equal(e->msg, "bad thing 5");
    assert_string_equal(e->hint, "");

    /* NULL mark and path. */
    df_diags_add(d, NULL, NULL, "plain");
    e = &d->items[1];
    assert_null(e->mark.file);
    assert_int_equal(e->mark.line, 0);
    assert_int_equal(e->mark.col, 0);
    assert_string_equal(e->path, "");
    assert_string_equal(e->msg, "plain");
    assert_int_equal(df_diags_total(d), 2);
}

static void test_diags_truncation(void **state)
{
    struct diags_fx *f = *state;
    struct df_diags *d = &f->d;
    char longmsg[DF_ERROR_MSG_MAX * 2];
    memset(longmsg, 'm', sizeof longmsg - 1);
    longmsg[sizeof longmsg - 1] = '\0';
    char longpath[DF_ERROR_PATH_MAX * 2];
    memset(longpath, 'p', sizeof longpath - 1);
    longpath[sizeof longpath - 1] = '\0';
    df_diags_add(d, NULL, longpath, "%s", longmsg);
    assert_int_equal(strlen(d->items[0].msg), DF_ERROR_MSG_MAX - 1);
    assert_int_equal(strlen(d->items[0].path), DF_ERROR_PATH_MAX - 1);
    char longhint[DF_ERROR_HINT_MAX * 2];
    memset(longhint, 'h', sizeof longhint - 1);
    longhint[sizeof longhint - 1] = '\0';
    df_diags_hint(d, "%s", longhint);
    assert_int_equal(strlen(d->items[0].hint), DF_ERROR_HINT_MAX - 1);
}

static void test_diags_hint_applies_to_last(void **state)
{
    struct diags_fx *f = *state;
    struct df_diags *d = &f->d;
    df_diags_hint(d, "ignored"); /* none stored: no-op */
    assert_int_equal(d->count, 0);
    assert_int_equal(d->dropped, 0);

    df_diags_add(d, NULL, "x", "first");
    df_diags_add(d, NULL, "y", "second");
    df_diags_hint(d, "try %d", 2);
    assert_string_equal(d->items[0].hint, "");
    assert_string_equal(d->items[1].hint, "try 2");
    df_diags_hint(d, "replaced");
    assert_string_equal(d->items[1].hint, "replaced");
    df_diags_add(d, NULL, "z", "third");
    assert_string_equal(d->items[2].hint, "");
    assert_string_equal(d->items[1].hint, "replaced");
}

static void test_diags_capacity(void **state)
{
    struct diags_fx *f = *state;
    struct df_diags *d = &f->d;
    for (int i = 0; i < DF_DIAGS_MAX; i++) {
        df_diags_add(d, NULL, NULL, "error %d", i);
        df_diags_hint(d, "hint %d", i);
    }
    assert_int_equal(d->count, DF_DIAGS_MAX);
    assert_int_equal(d->dropped, 0);
    assert_string_equal(d->items[DF_DIAGS_MAX - 1].msg, "error 63");
    assert_string_equal(d->items[DF_DIAGS_MAX - 1].hint, "hint 63");

    df_diags_add(d, NULL, NULL, "error %d", 64);
    /* The dropped one's hint must not land on the last stored one. */
    df_diags_hint(d, "hint for the dropped one");
    df_diags_add(d, NULL, NULL, "error %d", 65);
    df_diags_add(d, NULL, NULL, "error %d", 66);
    assert_int_equal(d->count, DF_DIAGS_MAX);
    assert_int_equal(d->dropped, 3);
    assert_int_equal(df_diags_total(d), DF_DIAGS_MAX + 3);
    assert_string_equal(d->items[DF_DIAGS_MAX - 1].msg, "error 63");
    assert_string_equal(d->items[DF_DIAGS_MAX - 1].hint, "hint 63");
}

static void test_diags_reset(void **state)
{
    struct diags_fx *f = *state;
    struct df_diags *d = &f->d;
    struct df_mark m = {.file = "old.yaml", .line = 4, .col = 2};
    df_diags_add(d, &m, "old.path", "old message");
    df_diags_hint(d, "old hint");
    df_diags_reset(d);
    assert_int_equal(d->count, 0);
    /* A reused slot keeps nothing of its previous diagnostic. */
    df_diags_add(d, NULL, NULL, "new");
    assert_null(d->items[0].mark.file);
    assert_int_equal(d->items[0].mark.line, 0);
    assert_string_equal(d->items[0].path, "");
    assert_string_equal(d->items[0].hint, "");
    assert_string_equal(d->items[0].msg, "new");

    for (int i = 0; i < DF_DIAGS_MAX + 5; i++)
        df_diags_add(d, NULL, "p", "e");
    df_diags_hint(d, "h");
    df_diags_reset(d);
    assert_int_equal(d->count, 0);
    assert_int_equal(d->dropped, 0);
    assert_int_equal(df_diags_total(d), 0);
    df_diags_add(d, NULL, NULL, "again");
    assert_int_equal(d->count, 1);
    assert_string_equal(d->items[0].msg, "again");
    assert_string_equal(d->items[0].path, "");
    assert_string_equal(d->items[0].hint, "");
    /* Hints work again after a reset that cleared the dropped count. */
    df_diags_hint(d, "fix");
    assert_string_equal(d->items[0].hint, "fix");
}

/* Prints `d` into a memory stream and returns the malloc'd text. */
static char *print_to_string(const struct df_diags *d)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    assert_non_null(fp);
    df_diags_print(d, fp);
    assert_int_equal(fclose(fp), 0);
    assert_non_null(buf);
    assert_int_equal(strlen(buf), len);
    return buf;
}

static void test_diags_print_format(void **state)
{
    struct diags_fx *f = *state;
    struct df_diags *d = &f->d;
    struct df_mark m = {.file = "pipe.yaml", .line = 12, .col = 5};
    df_diags_add(d, &m, "groups.g.pipelines.p.nodes.a", "unknown key '%s'", "prot");
    df_diags_hint(d, "did you mean '%s'?", "port");
    df_diags_add(d, &m, NULL, "no path here");
    df_diags_add(d, NULL, "only.path", "no mark here");
    df_diags_hint(d, "a hint");
    df_diags_add(d, NULL, NULL, "bare");
    char *out = print_to_string(d);
    assert_string_equal(out, "pipe.yaml:12:5: error: groups.g.pipelines.p.nodes.a: unknown key "
                             "'prot'\n"
                             "    hint: did you mean 'port'?\n"
                             "pipe.yaml:12:5: error: no path here\n"
                             "error: only.path: no mark here\n"
                             "    hint: a hint\n"
                             "error: bare\n"
                             "4 errors\n");
    free(out);
}

static void test_diags_print_single_and_empty(void **state)
{
    struct diags_fx *f = *state;
    struct df_diags *d = &f->d;
    char *out = print_to_string(d);
    assert_string_equal(out, "");
    free(out);

    struct df_mark m = {.file = "a.yaml", .line = 1, .col = 1};
    df_diags_add(d, &m, "x", "one");
    out = print_to_string(d);
    assert_string_equal(out, "a.yaml:1:1: error: x: one\n1 error\n");
    free(out);
}

static void test_diags_print_dropped(void **state)
{
    struct diags_fx *f = *state;
    struct df_diags *d = &f->d;
    for (int i = 0; i < DF_DIAGS_MAX + 2; i++)
        df_diags_add(d, NULL, NULL, "e%d", i);
    char *out = print_to_string(d);
    /* 64 lines, then the dropped count, then the total. */
    size_t lines = 0;
    for (const char *p = out; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, DF_DIAGS_MAX + 2);
    assert_non_null(strstr(out, "error: e63\n"));
    assert_null(strstr(out, "e64"));
    const char *tail = out + strlen(out) - strlen("... and 2 more\n66 errors\n");
    assert_string_equal(tail, "... and 2 more\n66 errors\n");
    free(out);
}

/* Warnings are stored and printed like errors, but df_diags_total counts
 * errors only, dropped ones included; the summary names both. */
static void test_diags_warnings(void **state)
{
    struct diags_fx *f = *state;
    struct df_diags *d = &f->d;
    struct df_mark m = {.file = "w.yaml", .line = 4, .col = 3};
    df_diags_warn(d, &m, "a.b", "unused %s", "thing");
    df_diags_hint(d, "remove it");
    assert_int_equal(d->count, 1);
    assert_int_equal(d->warnings, 1);
    assert_int_equal(df_diags_total(d), 0);
    assert_true(d->items[0].warning);
    assert_int_equal(d->items[0].code, DF_EINVAL);
    assert_string_equal(d->items[0].msg, "unused thing");
    assert_string_equal(d->items[0].hint, "remove it");
    char *out = print_to_string(d);
    assert_string_equal(out, "w.yaml:4:3: warning: a.b: unused thing\n"
                             "    hint: remove it\n"
                             "1 warning\n");
    free(out);

    struct df_mark early = {.file = "w.yaml", .line = 2, .col = 1};
    df_diags_add(d, &early, "x", "bad");
    assert_false(d->items[1].warning);
    assert_int_equal(df_diags_total(d), 1);
    df_diags_warn(d, NULL, NULL, "also unused");
    out = print_to_string(d);
    assert_string_equal(out, "w.yaml:2:1: error: x: bad\n"
                             "w.yaml:4:3: warning: a.b: unused thing\n"
                             "    hint: remove it\n"
                             "warning: also unused\n"
                             "1 error, 2 warnings\n");
    free(out);

    /* Dropped warnings are not errors either. */
    df_diags_reset(d);
    assert_int_equal(d->warnings, 0);
    for (int i = 0; i < DF_DIAGS_MAX + 2; i++)
        df_diags_warn(d, NULL, NULL, "w%d", i);
    df_diags_add(d, NULL, NULL, "dropped error");
    assert_int_equal(d->dropped, 3);
    assert_int_equal(d->warnings, DF_DIAGS_MAX + 2);
    assert_int_equal(df_diags_total(d), 1);
    out = print_to_string(d);
    const char *tail = "... and 3 more\n1 error, 66 warnings\n";
    assert_string_equal(out + strlen(out) - strlen(tail), tail);
    free(out);
}

static void test_diags_print_fmemopen(void **state)
{
    struct diags_fx *f = *state;
    struct df_diags *d = &f->d;
    struct df_mark m = {.file = "f.json", .line = 2, .col = 14};
    df_diags_add(d, &m, "a.b[1].c", "expected an integer, found '%s'", "x");
    char buf[256];
    memset(buf, 0, sizeof buf);
    FILE *fp = fmemopen(buf, sizeof buf, "w");
    assert_non_null(fp);
    df_diags_print(d, fp);
    fclose(fp);
    assert_string_equal(buf, "f.json:2:14: error: a.b[1].c: expected an integer, found 'x'\n"
                             "1 error\n");
}

/* ---- suggestions ------------------------------------------------------ */

static void test_edit_distance(void **state)
{
    (void)state;
    assert_int_equal(df_edit_distance("", ""), 0);
    assert_int_equal(df_edit_distance("abc", ""), 3);
    assert_int_equal(df_edit_distance("", "abcd"), 4);
    assert_int_equal(df_edit_distance("same", "same"), 0);
    assert_int_equal(df_edit_distance("kitten", "sitting"), 3);
    assert_int_equal(df_edit_distance("sitting", "kitten"), 3);
    assert_int_equal(df_edit_distance("flaw", "lawn"), 2);
    assert_int_equal(df_edit_distance("endpoint", "endpoit"), 1);   /* deletion */
    assert_int_equal(df_edit_distance("endpoint", "endpoints"), 1); /* insertion */
    assert_int_equal(df_edit_distance("endpoint", "endpoinx"), 1);  /* substitution */
    assert_int_equal(df_edit_distance("timeout", "tiemout"), 2);    /* transposition = 2 */
    assert_int_equal(df_edit_distance("abc", "xyz"), 3);
    assert_int_equal(df_edit_distance("Port", "port"), 1); /* case-sensitive */
}

static void test_edit_distance_long(void **state)
{
    (void)state;
    char a[200], b[200];
    memset(a, 'a', 127);
    a[127] = '\0';
    memset(b, 'b', 127);
    b[127] = '\0';
    /* 127 bytes is the longest compared exactly. */
    assert_int_equal(df_edit_distance(a, a), 0);
    assert_int_equal(df_edit_distance(a, b), 127);
    assert_int_equal(df_edit_distance(a, ""), 127);
    /* Longer strings compare as 255, whichever side. */
    char c[200];
    memset(c, 'a', 128);
    c[128] = '\0';
    assert_int_equal(df_edit_distance(c, c), 255);
    assert_int_equal(df_edit_distance(c, "a"), 255);
    assert_int_equal(df_edit_distance("a", c), 255);
}

static void test_suggest_nearest(void **state)
{
    (void)state;
    const char *const names[] = {"endpoint", "timeout", "headers", "compression"};
    assert_string_equal(df_suggest("endpoit", names, 4), "endpoint");
    assert_string_equal(df_suggest("tiemout", names, 4), "timeout");
    assert_string_equal(df_suggest("header", names, 4), "headers");
    assert_string_equal(df_suggest("compresion", names, 4), "compression");
    assert_string_equal(df_suggest("timeout", names, 4), "timeout");
    assert_null(df_suggest("batch_size", names, 4));
    assert_null(df_suggest("xyz", names, 4));
    assert_null(df_suggest("endpoint", names, 0));
}

static void test_suggest_picks_closest_and_first_on_ties(void **state)
{
    (void)state;
    const char *const names[] = {"abcx", "abyy", "abcd", "abce"};
    /* abcd is at distance 0 even though abcx (1) comes first. */
    assert_string_equal(df_suggest("abcd", names, 4), "abcd");
    /* abcx, abcd, abce are all at 1: the first wins. */
    assert_string_equal(df_suggest("abcz", names, 4), "abcx");
}

static void test_suggest_skips_null(void **state)
{
    (void)state;
    const char *const names[] = {NULL, "port", NULL, "host"};
    assert_string_equal(df_suggest("prt", names, 4), "port");
    assert_string_equal(df_suggest("hst", names, 4), "host");
    const char *const none[] = {NULL, NULL};
    assert_null(df_suggest("port", none, 2));
}

static void test_suggest_thresholds(void **state)
{
    (void)state;
    /* Short words: distance <= 2. */
    const char *const short_names[] = {"abcdefgh"};
    assert_string_equal(df_suggest("abcdefxx", short_names, 1), "abcdefgh"); /* 2 */
    assert_null(df_suggest("abcdexxx", short_names, 1));                     /* 3, len 8 */
    const char *const tiny[] = {"ab"};
    assert_string_equal(df_suggest("xy", tiny, 1), "ab"); /* 2 <= 2 */
    assert_null(df_suggest("xyz", tiny, 1));              /* 3 */

    /* Long words: up to a third of the word's length. */
    const char *const nine[] = {"abcdefghi"};
    assert_string_equal(df_suggest("abcdefxxx", nine, 1), "abcdefghi"); /* 3 <= 9/3 */
    assert_null(df_suggest("abcdexxxx", nine, 1));                      /* 4 > 3 */
    const char *const twelve[] = {"abcdefghijkl"};
    assert_string_equal(df_suggest("abcdefghxxxx", twelve, 1), "abcdefghijkl"); /* 4 <= 4 */
    assert_null(df_suggest("abcdefgxxxxx", twelve, 1));                         /* 5 > 4 */
}

static void test_suggest_long_words(void **state)
{
    (void)state;
    /* Words too long to compare never yield a suggestion, however long. */
    const char *const names[] = {"port", "host"};
    static char word[2000];
    for (size_t len = 128; len < sizeof word; len += 97) {
        memset(word, 'p', len);
        word[len] = '\0';
        assert_null(df_suggest(word, names, 2));
    }
    memset(word, 'p', sizeof word - 1);
    word[sizeof word - 1] = '\0';
    assert_null(df_suggest(word, names, 2));
}

int main(void)
{
    const struct CMUnitTest arena_tests[] = {
        cmocka_unit_test(test_arena_init_is_empty),
        cmocka_unit_test(test_arena_alignment),
        cmocka_unit_test(test_arena_sizes_do_not_overlap),
        cmocka_unit_test(test_arena_zero_fill),
        cmocka_unit_test(test_arena_zero_size),
        cmocka_unit_test(test_arena_accounting),
        cmocka_unit_test(test_arena_large_allocations),
        cmocka_unit_test(test_arena_filling_blocks),
        cmocka_unit_test(test_arena_too_large),
        cmocka_unit_test(test_arena_strdup),
        cmocka_unit_test(test_arena_printf),
        cmocka_unit_test(test_arena_free_and_reuse),
    };
    const struct CMUnitTest error_tests[] = {
        cmocka_unit_test(test_strerror),
        cmocka_unit_test_setup_teardown(test_diags_add, diags_setup, diags_teardown),
        cmocka_unit_test_setup_teardown(test_diags_truncation, diags_setup, diags_teardown),
        cmocka_unit_test_setup_teardown(test_diags_hint_applies_to_last, diags_setup,
                                        diags_teardown),
        cmocka_unit_test_setup_teardown(test_diags_capacity, diags_setup, diags_teardown),
        cmocka_unit_test_setup_teardown(test_diags_reset, diags_setup, diags_teardown),
        cmocka_unit_test_setup_teardown(test_diags_print_format, diags_setup, diags_teardown),
        cmocka_unit_test_setup_teardown(test_diags_print_single_and_empty, diags_setup,
                                        diags_teardown),
        cmocka_unit_test_setup_teardown(test_diags_print_dropped, diags_setup, diags_teardown),
        cmocka_unit_test_setup_teardown(test_diags_warnings, diags_setup, diags_teardown),
        cmocka_unit_test_setup_teardown(test_diags_print_fmemopen, diags_setup, diags_teardown),
    };
    const struct CMUnitTest suggest_tests[] = {
        cmocka_unit_test(test_edit_distance),
        cmocka_unit_test(test_edit_distance_long),
        cmocka_unit_test(test_suggest_nearest),
        cmocka_unit_test(test_suggest_picks_closest_and_first_on_ties),
        cmocka_unit_test(test_suggest_skips_null),
        cmocka_unit_test(test_suggest_thresholds),
        cmocka_unit_test(test_suggest_long_words),
    };
    int failed = 0;
    failed += cmocka_run_group_tests_name("arena", arena_tests, NULL, NULL);
    failed += cmocka_run_group_tests_name("error", error_tests, NULL, NULL);
    failed += cmocka_run_group_tests_name("suggest", suggest_tests, NULL, NULL);
    return failed;
}
