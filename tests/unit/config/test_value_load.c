/* Unit tests for the config loader (config/load.h) and the value tree
 * helpers (df/value.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/load.h"
#include "df/arena.h"
#include "df/error.h"
#include "df/value.h"

struct fx {
    struct df_arena a;
    struct df_diags d;
    struct df_value *root;
    /* A growable scratch buffer for generated inputs. */
    char *buf;
    size_t len, cap;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    df_arena_init(&f->a);
    df_diags_reset(&f->d);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    df_arena_free(&f->a);
    free(f->buf);
    free(f);
    return 0;
}

static int load_n(struct fx *f, const char *text, size_t len)
{
    df_diags_reset(&f->d);
    f->root = (struct df_value *)(uintptr_t)1; /* must be overwritten */
    return df_config_load_buffer("test.yaml", text, len, &f->a, &f->root, &f->d);
}

static int load(struct fx *f, const char *text)
{
    int rc = load_n(f, text, strlen(text));
    if (rc == 0)
        assert_non_null(f->root);
    else
        assert_null(f->root);
    return rc;
}

/* Loads text that must be valid. */
static const struct df_value *load_ok(struct fx *f, const char *text)
{
    int rc = load(f, text);
    if (rc != 0)
        df_diags_print(&f->d, stderr);
    assert_int_equal(rc, 0);
    assert_int_equal(df_diags_total(&f->d), 0);
    return f->root;
}

static void append(struct fx *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void append(struct fx *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    assert_true(n >= 0);
    if (f->len + (size_t)n + 1 > f->cap) {
        size_t cap = f->cap ? f->cap : 256;
        while (cap < f->len + (size_t)n + 1)
            cap *= 2;
        char *b = realloc(f->buf, cap);
        assert_non_null(b);
        f->buf = b;
        f->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(f->buf + f->len, f->cap - f->len, fmt, ap);
    va_end(ap);
    f->len += (size_t)n;
}

static void reset_buf(struct fx *f)
{
    f->len = 0;
    if (f->buf)
        f->buf[0] = '\0';
}

static const struct df_value *get(const struct df_value *map, const char *key)
{
    const struct df_value *v = df_value_get(map, key);
    if (!v)
        print_error("key '%s' missing\n", key);
    assert_non_null(v);
    return v;
}

static void assert_scalar(const struct df_value *v, const char *text, bool quoted)
{
    assert_non_null(v);
    assert_int_equal(v->kind, DF_VALUE_SCALAR);
    assert_string_equal(v->u.scalar.text, text);
    assert_int_equal(v->u.scalar.len, strlen(text));
    assert_int_equal(v->u.scalar.quoted, quoted);
}

static void assert_mark(struct df_mark m, uint32_t line, uint32_t col)
{
    if (m.line != line || m.col != col)
        print_error("mark %u:%u, expected %u:%u\n", m.line, m.col, line, col);
    assert_int_equal(m.line, line);
    assert_int_equal(m.col, col);
}

/* Asserts diagnostic i has the code, the mark and a message containing `part`. */
static void assert_diag(const struct fx *f, size_t i, int code, uint32_t line, uint32_t col,
                        const char *part)
{
    assert_true(i < f->d.count);
    const struct df_error *e = &f->d.items[i];
    if (!strstr(e->msg, part))
        print_error("diagnostic '%s' lacks '%s'\n", e->msg, part);
    assert_non_null(strstr(e->msg, part));
    assert_int_equal(e->code, code);
    assert_non_null(e->mark.file);
    assert_string_equal(e->mark.file, "test.yaml");
    assert_mark(e->mark, line, col);
}

/* ---- marks --------------------------------------------------------------- */

static void test_marks(void **state)
{
    struct fx *f = *state;
    const char *name = "test.yaml";
    const struct df_value *root = load_ok(f, "server:\n"
                                             "  host: localhost\n"
                                             "  ports:\n"
                                             "    - 80\n"
                                             "    -   443\n"
                                             "name: x\n");
    assert_int_equal(root->kind, DF_VALUE_MAP);
    assert_mark(root->mark, 1, 1);
    assert_string_equal(root->mark.file, name);
    assert_int_equal(root->u.map.count, 2);

    const struct df_value_entry *server = &root->u.map.entries[0];
    assert_string_equal(server->key, "server");
    assert_mark(server->key_mark, 1, 1);
    assert_int_equal(server->value->kind, DF_VALUE_MAP);
    assert_mark(server->value->mark, 2, 3);

    const struct df_value_entry *host = &server->value->u.map.entries[0];
    assert_string_equal(host->key, "host");
    assert_mark(host->key_mark, 2, 3);
    assert_scalar(host->value, "localhost", false);
    assert_mark(host->value->mark, 2, 9);

    const struct df_value_entry *ports = &server->value->u.map.entries[1];
    assert_mark(ports->key_mark, 3, 3);
    assert_int_equal(ports->value->kind, DF_VALUE_SEQ);
    assert_mark(ports->value->mark, 4, 5);
    assert_int_equal(ports->value->u.seq.count, 2);
    assert_scalar(ports->value->u.seq.items[0], "80", false);
    assert_mark(ports->value->u.seq.items[0]->mark, 4, 7);
    assert_scalar(ports->value->u.seq.items[1], "443", false);
    assert_mark(ports->value->u.seq.items[1]->mark, 5, 9);

    assert_mark(root->u.map.entries[1].key_mark, 6, 1);
    assert_mark(root->u.map.entries[1].value->mark, 6, 7);
}

static void test_mark_file_is_copied(void **state)
{
    struct fx *f = *state;
    char name[] = "copied.yaml";
    struct df_value *root = NULL;
    int rc = df_config_load_buffer(name, "a: 1", 4, &f->a, &root, &f->d);
    assert_int_equal(rc, 0);
    assert_ptr_not_equal(root->mark.file, name);
    name[0] = 'X';
    assert_string_equal(root->mark.file, "copied.yaml");
    assert_ptr_equal(root->u.map.entries[0].key_mark.file, root->mark.file);
}

static void test_flow_marks(void **state)
{
    struct fx *f = *state;
    const struct df_value *root = load_ok(f, "list: [a, {b: c}]\n");
    const struct df_value *list = get(root, "list");
    assert_mark(list->mark, 1, 7);
    assert_mark(list->u.seq.items[0]->mark, 1, 8);
    const struct df_value *inner = list->u.seq.items[1];
    assert_int_equal(inner->kind, DF_VALUE_MAP);
    assert_mark(inner->mark, 1, 11);
    assert_mark(inner->u.map.entries[0].key_mark, 1, 12);
    assert_mark(inner->u.map.entries[0].value->mark, 1, 15);
}

/* ---- scalars --------------------------------------------------------------- */

static void test_null_forms(void **state)
{
    struct fx *f = *state;
    const struct df_value *root = load_ok(f, "a: ~\n"
                                             "b: null\n"
                                             "c: Null\n"
                                             "d: NULL\n"
                                             "e:\n"
                                             "f: ''\n"
                                             "g: \"null\"\n"
                                             "h: nULL\n"
                                             "i: !!str null\n"
                                             "j: [~, null, '~']\n"
                                             "k: none\n");
    const char *nulls[] = {"a", "b", "c", "d", "e"};
    for (size_t i = 0; i < sizeof nulls / sizeof *nulls; i++)
        assert_int_equal(get(root, nulls[i])->kind, DF_VALUE_NULL);
    /* A missing value still has a mark on its key's line. */
    assert_int_equal(get(root, "e")->mark.line, 5);
    assert_scalar(get(root, "f"), "", true);
    assert_scalar(get(root, "g"), "null", true);
    assert_scalar(get(root, "h"), "nULL", false);
    assert_scalar(get(root, "i"), "null", false);
    const struct df_value *j = get(root, "j");
    assert_int_equal(j->u.seq.items[0]->kind, DF_VALUE_NULL);
    assert_int_equal(j->u.seq.items[1]->kind, DF_VALUE_NULL);
    assert_scalar(j->u.seq.items[2], "~", true);
    assert_scalar(get(root, "k"), "none", false);
}

static void test_quoted_flag(void **state)
{
    struct fx *f = *state;
    const struct df_value *root = load_ok(f, "plain: 8080\n"
                                             "single: '8080'\n"
                                             "double: \"a\\tb\"\n"
                                             "literal: |\n"
                                             "  line1\n"
                                             "  line2\n"
                                             "folded: >\n"
                                             "  a\n"
                                             "  b\n"
                                             "bool: true\n");
    assert_scalar(get(root, "plain"), "8080", false);
    assert_scalar(get(root, "single"), "8080", true);
    assert_scalar(get(root, "double"), "a\tb", true);
    assert_scalar(get(root, "literal"), "line1\nline2\n", true);
    assert_scalar(get(root, "folded"), "a b\n", true);
    assert_scalar(get(root, "bool"), "true", false);
}

/* ---- environment substitution -------------------------------------------- */

static void test_env_in_scalars(void **state)
{
    struct fx *f = *state;
    setenv("DF_TL_HOST", "collector.local", 1);
    unsetenv("DF_TL_PORT");
    const struct df_value *root =
        load_ok(f, "host: ${env:DF_TL_HOST}\n"
                   "port: \"${env:DF_TL_PORT:-4317}\"\n"
                   "url: 'http://${env:DF_TL_HOST}:${env:DF_TL_PORT:-1}'\n"
                   "${env:DF_TL_HOST}: key kept\n"
                   "price: $$5\n"
                   "list: [\"${env:DF_TL_HOST}\"]\n"
                   "blank: ${env:DF_TL_PORT:-}\n");
    assert_scalar(get(root, "host"), "collector.local", false);
    assert_scalar(get(root, "port"), "4317", true);
    assert_scalar(get(root, "url"), "http://collector.local:1", true);
    /* Keys are not substituted. */
    assert_scalar(get(root, "${env:DF_TL_HOST}"), "key kept", false);
    assert_scalar(get(root, "price"), "$5", false);
    assert_scalar(get(root, "list")->u.seq.items[0], "collector.local", true);
    /* Substituted to empty text is a scalar, not null: null is decided on
     * the text as written. */
    assert_scalar(get(root, "blank"), "", false);
    unsetenv("DF_TL_HOST");
}

static void test_env_errors(void **state)
{
    struct fx *f = *state;
    unsetenv("DF_TL_MISSING");
    int rc = load(f, "a: 1\n"
                     "nested:\n"
                     "  b: x${env:DF_TL_MISSING}\n"
                     "c: [ok, '${env:1bad}']\n");
    assert_int_equal(rc, DF_EINVAL);
    assert_int_equal(f->d.count, 2);
    assert_diag(f, 0, DF_EINVAL, 3, 6, "environment substitution: ");
    assert_non_null(strstr(f->d.items[0].msg, "DF_TL_MISSING"));
    assert_non_null(strstr(f->d.items[0].hint, "${env:VAR:-"));
    assert_string_equal(f->d.items[0].path, "nested.b");
    assert_diag(f, 1, DF_EINVAL, 4, 9, "invalid environment variable name");
    assert_string_equal(f->d.items[1].path, "c[1]");

    /* Values that are thrown away anyway (of a duplicate or merge key) are
     * not substituted, so they add no second error. */
    rc = load(f, "a: 1\n"
                 "a: ${env:DF_TL_MISSING}\n"
                 "b:\n"
                 "  <<: {x: [\"${env:DF_TL_MISSING}\"]}\n");
    assert_int_equal(rc, DF_EINVAL);
    assert_int_equal(f->d.count, 2);
    assert_diag(f, 0, DF_EINVAL, 2, 1, "duplicate key 'a'");
    assert_diag(f, 1, DF_EINVAL, 4, 3, "merge keys");
}

/* ---- structure errors ---------------------------------------------------- */

static void test_duplicate_keys(void **state)
{
    struct fx *f = *state;
    int rc = load(f, "pipeline:\n"
                     "  nodes:\n"
                     "    a: 1\n"
                     "  nodes:\n"
                     "    b: 2\n"
                     "other: 1\n"
                     "other: [x]\n");
    assert_int_equal(rc, DF_EINVAL);
    assert_int_equal(f->d.count, 2); /* collecting goes on after the first */
    assert_diag(f, 0, DF_EINVAL, 4, 3, "duplicate key 'nodes' (first at line 2)");
    assert_string_equal(f->d.items[0].path, "pipeline");
    assert_true(f->d.items[0].hint[0] != '\0');
    assert_diag(f, 1, DF_EINVAL, 7, 1, "duplicate key 'other' (first at line 6)");
    assert_string_equal(f->d.items[1].path, "");
}

static void test_duplicate_keys_large_map(void **state)
{
    struct fx *f = *state;
    for (int i = 0; i < 200; i++)
        append(f, "k%d: %d\n", i, i);
    append(f, "k150: again\n");
    append(f, "k3: again\n");
    int rc = load(f, f->buf);
    assert_int_equal(rc, DF_EINVAL);
    assert_int_equal(f->d.count, 2);
    assert_diag(f, 0, DF_EINVAL, 201, 1, "duplicate key 'k150' (first at line 151)");
    assert_diag(f, 1, DF_EINVAL, 202, 1, "duplicate key 'k3' (first at line 4)");

    /* The same map without the repeats loads, in document order. */
    f->buf[f->len - strlen("k150: again\nk3: again\n")] = '\0';
    const struct df_value *root = load_ok(f, f->buf);
    assert_int_equal(root->u.map.count, 200);
    assert_string_equal(root->u.map.entries[199].key, "k199");
    assert_scalar(get(root, "k150"), "150", false);
}

static void test_many_errors_are_bounded(void **state)
{
    struct fx *f = *state;
    append(f, "a: 0\n");
    for (int i = 0; i < 100; i++)
        append(f, "a: %d\n", i);
    int rc = load(f, f->buf);
    assert_int_equal(rc, DF_EINVAL);
    assert_int_equal(f->d.count, DF_DIAGS_MAX);
    assert_int_equal(df_diags_total(&f->d), 100);
}

static void test_non_scalar_key(void **state)
{
    struct fx *f = *state;
    int rc = load(f, "? [a, b]\n"
                     ": 1\n"
                     "ok: 2\n"
                     "? {x: y}\n"
                     ": 3\n");
    assert_int_equal(rc, DF_EINVAL);
    assert_int_equal(f->d.count, 2);
    assert_diag(f, 0, DF_EINVAL, 1, 3, "must be a scalar, not a sequence");
    assert_diag(f, 1, DF_EINVAL, 4, 3, "must be a scalar, not a mapping");
}

static void test_multiple_documents(void **state)
{
    struct fx *f = *state;
    int rc = load(f, "a: 1\n"
                     "---\n"
                     "b: 2\n");
    assert_int_equal(rc, DF_EINVAL);
    assert_int_equal(f->d.count, 1);
    assert_diag(f, 0, DF_EINVAL, 2, 1, "a config holds one document");

    /* Explicit markers around a single document are fine. */
    const struct df_value *root = load_ok(f, "---\na: 1\n...\n");
    assert_scalar(get(root, "a"), "1", false);
}

static void test_syntax_error(void **state)
{
    struct fx *f = *state;
    int rc = load(f, "a: 1\n"
                     "b:\n"
                     "  c: 2\n"
                     " d: 3\n");
    assert_int_equal(rc, DF_EPARSE);
    assert_int_equal(f->d.count, 1);
    assert_diag(f, 0, DF_EPARSE, 4, 2, "did not find expected key");
    assert_non_null(strstr(f->d.items[0].msg, "while parsing a block mapping"));

    rc = load(f, "list: [1, 2\n"
                 "next: 3\n");
    assert_int_equal(rc, DF_EPARSE);
    assert_int_equal(f->d.count, 1);
    assert_int_equal(f->d.items[0].code, DF_EPARSE);
    assert_int_equal(f->d.items[0].mark.line, 2);

    /* Errors found before the syntax error are kept. */
    rc = load(f, "a: 1\n"
                 "a: 2\n"
                 "b: 'unterminated\n");
    assert_int_equal(rc, DF_EPARSE);
    assert_int_equal(f->d.count, 2);
    assert_diag(f, 0, DF_EINVAL, 2, 1, "duplicate key 'a'");
    assert_int_equal(f->d.items[1].code, DF_EPARSE);
    assert_int_equal(f->d.items[1].mark.line, 4);
    assert_string_equal(f->d.items[1].path, "");
}

static void test_invalid_encoding(void **state)
{
    struct fx *f = *state;
    int rc = load(f, "a: 1\nb: \xff\xfe\n");
    assert_int_equal(rc, DF_EPARSE);
    assert_int_equal(f->d.count, 1);
    assert_diag(f, 0, DF_EPARSE, 2, 4, "invalid leading UTF-8 octet");
    assert_non_null(strstr(f->d.items[0].msg, "byte offset 8"));

    static const char nul[] = "a: 1\0b: 2";
    rc = load_n(f, nul, sizeof nul - 1);
    assert_int_equal(rc, DF_EPARSE);
    assert_null(f->root);
}

/* ---- anchors and aliases --------------------------------------------------- */

static void test_aliases_share_nodes(void **state)
{
    struct fx *f = *state;
    const struct df_value *root = load_ok(f, "defaults: &d\n"
                                             "  timeout: 5s\n"
                                             "  retries: 3\n"
                                             "a: *d\n"
                                             "b: &s text\n"
                                             "c: *s\n"
                                             "list: [*d, *s, &n ~, *n]\n"
                                             "&k key: *k\n");
    const struct df_value *d = get(root, "defaults");
    assert_int_equal(d->kind, DF_VALUE_MAP);
    assert_ptr_equal(get(root, "a"), d);
    assert_ptr_equal(get(root, "c"), get(root, "b"));
    const struct df_value *list = get(root, "list");
    assert_int_equal(list->u.seq.count, 4);
    assert_ptr_equal(list->u.seq.items[0], d);
    assert_ptr_equal(list->u.seq.items[1], get(root, "b"));
    assert_int_equal(list->u.seq.items[3]->kind, DF_VALUE_NULL);
    assert_scalar(get(root, "key"), "key", false);
}

static void test_alias_errors(void **state)
{
    struct fx *f = *state;
    int rc = load(f, "a: *nope\n"
                     "b: &r [1, *r]\n"
                     "c: &s x\n"
                     "*s : 2\n");
    assert_int_equal(rc, DF_EINVAL);
    assert_int_equal(f->d.count, 3);
    assert_diag(f, 0, DF_EINVAL, 1, 4, "unknown alias '*nope'");
    assert_diag(f, 1, DF_EINVAL, 2, 11, "alias '*r' is recursive");
    assert_diag(f, 2, DF_EINVAL, 4, 1, "cannot be a mapping key");
}

static void test_billion_laughs_shares(void **state)
{
    struct fx *f = *state;
    append(f, "l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for (int i = 1; i < 30; i++) {
        append(f, "l%d: &l%d [", i, i);
        for (int j = 0; j < 9; j++)
            append(f, "%s*l%d", j ? ", " : "", i - 1);
        append(f, "]\n");
    }
    size_t used_before = f->a.used;
    const struct df_value *root = load_ok(f, f->buf);
    /* 9^30 nodes if expanded; shared, the tree is as big as the text. */
    assert_true(f->a.used - used_before < 1024 * 1024);
    const struct df_value *top = get(root, "l29");
    assert_ptr_equal(top->u.seq.items[0], get(root, "l28"));
}

static void test_merge_key_rejected(void **state)
{
    struct fx *f = *state;
    int rc = load(f, "base: &b {x: 1}\n"
                     "derived:\n"
                     "  <<: *b\n"
                     "  y: 2\n");
    assert_int_equal(rc, DF_EINVAL);
    assert_int_equal(f->d.count, 1);
    assert_diag(f, 0, DF_EINVAL, 3, 3, "merge keys (<<) are not supported");
    assert_non_null(strstr(f->d.items[0].hint, "write"));

    /* Quoted, "<<" is an ordinary key. */
    const struct df_value *root = load_ok(f, "\"<<\": 1\n");
    assert_scalar(get(root, "<<"), "1", false);
}

/* ---- depth ---------------------------------------------------------------- */

static void nest(struct fx *f, int levels)
{
    for (int i = 0; i < levels; i++)
        append(f, "[");
    append(f, "x");
    for (int i = 0; i < levels; i++)
        append(f, "]");
}

static void test_depth_limit(void **state)
{
    struct fx *f = *state;
    nest(f, 256);
    const struct df_value *v = load_ok(f, f->buf);
    int levels = 0;
    while (v->kind == DF_VALUE_SEQ) {
        levels++;
        v = v->u.seq.items[0];
    }
    assert_int_equal(levels, 256);
    assert_scalar(v, "x", false);

    reset_buf(f);
    nest(f, 1000000); /* a few MB: must still be fast */
    int rc = load(f, f->buf);
    assert_int_equal(rc, DF_EINVAL);
    assert_int_equal(f->d.count, 1); /* once, not once per level */
    assert_diag(f, 0, DF_EINVAL, 1, 257, "deeper than 256 levels");

    /* Loading stops at the first too-deep node: libyaml needs time quadratic
     * in nesting depth, so reading on would let a small file stall start-up.
     * Errors before it are kept. */
    reset_buf(f);
    for (int i = 0; i < 300; i++)
        append(f, "%*sk:\n", i, "");
    append(f, "%*sk: v\nz: [1]\nz: 2\n", 300, "");
    rc = load(f, f->buf);
    assert_int_equal(rc, DF_EINVAL);
    assert_int_equal(f->d.count, 1);
    assert_diag(f, 0, DF_EINVAL, 257, 257, "deeper than 256 levels");

    reset_buf(f);
    append(f, "a: 1\na: 2\nb: ");
    nest(f, 300);
    append(f, "\nc: *nope\n");
    rc = load(f, f->buf);
    assert_int_equal(rc, DF_EINVAL);
    assert_int_equal(f->d.count, 2);
    assert_diag(f, 0, DF_EINVAL, 2, 1, "duplicate key 'a'");
    assert_diag(f, 1, DF_EINVAL, 3, 259, "deeper than 256 levels");
}

static void test_depth_limit_through_aliases(void **state)
{
    struct fx *f = *state;
    /* The anchored value is 200 deep; placed under 100 more levels it
     * would make a 301-deep tree for whoever walks it. */
    append(f, "a: &a ");
    nest(f, 200);
    append(f, "\nb: ");
    for (int i = 0; i < 100; i++)
        append(f, "[");
    append(f, "*a");
    for (int i = 0; i < 100; i++)
        append(f, "]");
    append(f, "\n");
    int rc = load(f, f->buf);
    assert_int_equal(rc, DF_EINVAL);
    assert_int_equal(f->d.count, 1);
    assert_diag(f, 0, DF_EINVAL, 2, 104, "alias '*a' nests the config deeper than 256");

    /* 1 (root) + 55 + 200 = 256 levels: allowed. */
    reset_buf(f);
    append(f, "a: &a ");
    nest(f, 200);
    append(f, "\nb: ");
    for (int i = 0; i < 55; i++)
        append(f, "[");
    append(f, "*a");
    for (int i = 0; i < 55; i++)
        append(f, "]");
    append(f, "\n");
    load_ok(f, f->buf);
}

/* ---- JSON and empty input ------------------------------------------------- */

static void test_json_with_tabs(void **state)
{
    struct fx *f = *state;
    const struct df_value *root = load_ok(f, "{\n"
                                             "\t\"a\": 1,\n"
                                             "\t\"b\":\t[true, null, \"x\"],\n"
                                             "\t\"c\": {\"d\": \"${env:DF_TL_UNSET_J:-e}\"}\n"
                                             "}\n");
    assert_int_equal(root->kind, DF_VALUE_MAP);
    assert_scalar(get(root, "a"), "1", false);
    assert_mark(root->u.map.entries[0].key_mark, 2, 2);
    const struct df_value *b = get(root, "b");
    assert_int_equal(b->u.seq.count, 3);
    assert_scalar(b->u.seq.items[0], "true", false);
    assert_int_equal(b->u.seq.items[1]->kind, DF_VALUE_NULL);
    assert_scalar(b->u.seq.items[2], "x", true);
    assert_scalar(get(get(root, "c"), "d"), "e", true);

    int rc = load(f, "{\"a\": 1,\n\t\"a\": 2}");
    assert_int_equal(rc, DF_EINVAL);
    assert_diag(f, 0, DF_EINVAL, 2, 2, "duplicate key 'a' (first at line 1)");
}

static void test_empty_document(void **state)
{
    struct fx *f = *state;
    const char *empties[] = {"", "\n\n", "# only a comment\n", "---\n", "--- ~\n"};
    for (size_t i = 0; i < sizeof empties / sizeof *empties; i++) {
        const struct df_value *root = load_ok(f, empties[i]);
        assert_int_equal(root->kind, DF_VALUE_NULL);
        assert_non_null(root->mark.file);
    }
    struct df_value *root = NULL;
    assert_int_equal(df_config_load_buffer("x", NULL, 0, &f->a, &root, &f->d), 0);
    assert_int_equal(root->kind, DF_VALUE_NULL);
}

static void test_scalar_root(void **state)
{
    struct fx *f = *state;
    assert_scalar(load_ok(f, "just text\n"), "just text", false);
}

/* ---- files ---------------------------------------------------------------- */

static void test_load_file(void **state)
{
    struct fx *f = *state;
    char path[] = "/tmp/df_test_load_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *text = "x:\n  - 1\n";
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);

    struct df_value *root = NULL;
    int rc = df_config_load_file(path, &f->a, &root, &f->d);
    assert_int_equal(rc, 0);
    assert_string_equal(root->mark.file, path);
    const struct df_value *x = get(root, "x");
    assert_mark(x->u.seq.items[0]->mark, 2, 5);

    /* Too large: a sparse file, rejected before reading. */
    assert_int_equal(truncate(path, (off_t)(64 << 20) + 1), 0);
    rc = df_config_load_file(path, &f->a, &root, &f->d);
    assert_int_equal(rc, DF_EIO);
    assert_null(root);
    assert_int_equal(f->d.items[0].code, DF_EIO);
    assert_non_null(strstr(f->d.items[0].msg, "larger than 64 MiB"));
    unlink(path);
}

static void test_load_file_errors(void **state)
{
    struct fx *f = *state;
    struct df_value *root = (struct df_value *)(uintptr_t)1;
    const char *missing = "/nonexistent/df/config.yaml";
    int rc = df_config_load_file(missing, &f->a, &root, &f->d);
    assert_int_equal(rc, DF_EIO);
    assert_null(root);
    assert_int_equal(f->d.count, 1);
    const struct df_error *e = &f->d.items[0];
    assert_int_equal(e->code, DF_EIO);
    assert_string_equal(e->mark.file, missing);
    assert_int_equal(e->mark.line, 0);
    assert_string_equal(e->msg, "cannot read config file: No such file or directory");

    df_diags_reset(&f->d);
    rc = df_config_load_file("/tmp", &f->a, &root, &f->d);
    assert_int_equal(rc, DF_EIO);
    assert_string_equal(f->d.items[0].msg, "cannot read config file: Is a directory");
}

/* ---- robustness ------------------------------------------------------------- */

/* Random YAML-ish texts: every outcome is a tree or diagnostics, never a
 * crash or a leak (the sanitizer build checks those). */
static void test_random_inputs(void **state)
{
    struct fx *f = *state;
    static const char *const atoms[] = {
        "a",      "b",   ":",     ": ", "- ",     "\n",    "  ",          "[",
        "]",      "{",   "}",     ",",  "&x ",    "*x",    "&y ",         "*y",
        "<<: ",   "'q'", "\"d\"", "~",  "? ",     "---\n", "|\n",         "${env:HOME}",
        "${env:", "$$",  "#c",    "\t", "!!str ", "...\n", "\"\\u00e9\"", "%YAML 1.1\n"};
    uint32_t seed = 12345;
    for (int iter = 0; iter < 3000; iter++) {
        reset_buf(f);
        int n = 1 + (int)(seed % 40);
        for (int i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            append(f, "%s", atoms[(seed >> 16) % (sizeof atoms / sizeof *atoms)]);
        }
        int rc = load(f, f->buf);
        assert_true(rc == 0 || rc == DF_EPARSE || rc == DF_EINVAL);
        if (rc == 0)
            assert_int_equal(df_diags_total(&f->d), 0);
        else
            assert_true(df_diags_total(&f->d) > 0);
        df_arena_free(&f->a);
    }
}

/* ---- value helpers ---------------------------------------------------------- */

static void test_value_get(void **state)
{
    struct fx *f = *state;
    const struct df_value *root = load_ok(f, "a: 1\nb: {c: 2}\nlist: [a]\nn:\n");
    assert_scalar(df_value_get(root, "a"), "1", false);
    assert_scalar(df_value_get(df_value_get(root, "b"), "c"), "2", false);
    assert_null(df_value_get(root, "missing"));
    assert_null(df_value_get(root, "A"));
    assert_null(df_value_get(df_value_get(root, "list"), "a"));
    assert_null(df_value_get(df_value_get(root, "a"), "a"));
    assert_null(df_value_get(NULL, "a"));
    assert_null(df_value_get(root, NULL));
    assert_int_equal(df_value_get(root, "n")->kind, DF_VALUE_NULL);
}

static void test_kind_names(void **state)
{
    (void)state;
    assert_string_equal(df_value_kind_name(DF_VALUE_NULL), "null");
    assert_string_equal(df_value_kind_name(DF_VALUE_SCALAR), "scalar");
    assert_string_equal(df_value_kind_name(DF_VALUE_SEQ), "sequence");
    assert_string_equal(df_value_kind_name(DF_VALUE_MAP), "mapping");
    assert_string_equal(df_value_kind_name((enum df_value_kind)42), "unknown");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_marks),
        T(test_mark_file_is_copied),
        T(test_flow_marks),
        T(test_null_forms),
        T(test_quoted_flag),
        T(test_env_in_scalars),
        T(test_env_errors),
        T(test_duplicate_keys),
        T(test_duplicate_keys_large_map),
        T(test_many_errors_are_bounded),
        T(test_non_scalar_key),
        T(test_multiple_documents),
        T(test_syntax_error),
        T(test_invalid_encoding),
        T(test_aliases_share_nodes),
        T(test_alias_errors),
        T(test_billion_laughs_shares),
        T(test_merge_key_rejected),
        T(test_depth_limit),
        T(test_depth_limit_through_aliases),
        T(test_json_with_tabs),
        T(test_empty_document),
        T(test_scalar_root),
        T(test_load_file),
        T(test_load_file_errors),
        T(test_random_inputs),
        T(test_value_get),
        T(test_kind_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
