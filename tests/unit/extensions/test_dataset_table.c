/* extensions/common/dataset_table: an empty table; many keys (probes that
 * wrap around the slot array, keys that are prefixes of others, the empty
 * key); the first row of a repeated key winning and the others taking no
 * room, the first repeat reported; attributes keyed by their column names;
 * a column name declared once whenever it first appears; the builder's
 * refusals (an attribute without a row, an unknown column or one set twice
 * in a row, a column past the limit). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "df/error.h"
#include "extensions/common/dataset_table.h"

static void test_empty(void **state)
{
    (void)state;
    struct dataset_builder b;
    dataset_builder_init(&b);
    struct dataset_dups dups = {9, 9, 9};
    struct dataset_table *t = dataset_table_finish(&b, 1, &dups);
    assert_non_null(t);
    assert_int_equal(dups.count, 0);
    assert_int_equal(t->nrows, 0);
    assert_null(dataset_table_find(t, "", 0));
    assert_null(dataset_table_find(t, "a", 1));
    free(t);
    dataset_builder_free(&b);
}

enum { N = 5000 };

static void test_many_keys(void **state)
{
    (void)state;
    struct dataset_builder b;
    dataset_builder_init(&b);
    assert_int_equal(dataset_builder_column(&b, "n", 1), 0);
    assert_int_equal(dataset_builder_column(&b, "odd", 3), 1);
    char key[32], val[32];
    for (int i = 0; i < N; i++) {
        int len = snprintf(key, sizeof key, "key-%d", i);
        assert_int_equal(dataset_builder_row(&b, key, (size_t)len), 0);
        len = snprintf(val, sizeof val, "%d", i);
        assert_int_equal(dataset_builder_attr(&b, 0, val, (size_t)len), 0);
        if (i % 2)
            assert_int_equal(dataset_builder_attr(&b, 1, "yes", 3), 0);
    }
    assert_int_equal(dataset_builder_row(&b, "", 0), 0); /* the empty key */
    struct dataset_dups dups;
    struct dataset_table *t = dataset_table_finish(&b, 7, &dups);
    assert_non_null(t);
    assert_int_equal(dups.count, 0);
    assert_int_equal(t->nrows, N + 1);
    assert_int_equal(t->version, 7);
    for (int i = 0; i < N; i++) {
        int len = snprintf(key, sizeof key, "key-%d", i);
        const struct dataset_trow *r = dataset_table_find(t, key, (size_t)len);
        assert_non_null(r);
        assert_int_equal(r->nattrs, i % 2 ? 2 : 1);
        assert_string_equal(r->attrs[0].key, "n");
        snprintf(val, sizeof val, "%d", i);
        assert_string_equal(r->attrs[0].value, val);
        if (i % 2) {
            assert_string_equal(r->attrs[1].key, "odd");
            assert_string_equal(r->attrs[1].value, "yes");
        }
        assert_string_equal(r->key, key);
    }
    const struct dataset_trow *e = dataset_table_find(t, "", 0);
    assert_non_null(e);
    assert_int_equal(e->nattrs, 0);
    assert_null(dataset_table_find(t, "key-", 4));    /* a prefix */
    assert_null(dataset_table_find(t, "key-10x", 7)); /* longer */
    assert_null(dataset_table_find(t, "key-5000", 8));
    assert_non_null(dataset_table_find(t, "key-10x", 6)); /* by length */
    /* One allocation: every pointer lies inside it. */
    const char *lo = (const char *)t, *hi = lo + t->size;
    for (size_t i = 0; i < t->nrows; i++) {
        assert_true(t->rows[i].key >= lo && t->rows[i].key < hi);
        for (size_t k = 0; k < t->rows[i].nattrs; k++)
            assert_true(t->rows[i].attrs[k].value >= lo && t->rows[i].attrs[k].value < hi);
    }
    free(t);
    dataset_builder_free(&b);
}

static void test_first_row_wins(void **state)
{
    (void)state;
    struct dataset_builder b;
    dataset_builder_init(&b);
    assert_int_equal(dataset_builder_column(&b, "v", 1), 0);
    static const char *const rows[][2] = {{"a", "first"}, {"b", "b1"},    {"a", "second"},
                                          {"c", "c1"},    {"a", "third"}, {"b", "b2"}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        assert_int_equal(dataset_builder_row(&b, rows[i][0], 1), 0);
        assert_int_equal(dataset_builder_attr(&b, 0, rows[i][1], strlen(rows[i][1])), 0);
    }
    struct dataset_dups dups;
    struct dataset_table *t = dataset_table_finish(&b, 1, &dups);
    assert_non_null(t);
    assert_int_equal(dups.count, 3);
    assert_int_equal(dups.row, 2); /* the first repeat: row 2 repeats row 0's key */
    assert_int_equal(dups.first, 0);
    struct dataset_dups only; /* the same, without building a table */
    assert_int_equal(dataset_builder_dups(&b, &only), 0);
    assert_memory_equal(&only, &dups, sizeof dups);
    assert_int_equal(t->nrows, 3);
    assert_string_equal(dataset_table_find(t, "a", 1)->attrs[0].value, "first");
    assert_string_equal(dataset_table_find(t, "b", 1)->attrs[0].value, "b1");
    assert_string_equal(dataset_table_find(t, "c", 1)->attrs[0].value, "c1");
    /* The dropped rows take no room: a table of the three first rows alone
     * has the same size. */
    struct dataset_builder u;
    dataset_builder_init(&u);
    assert_int_equal(dataset_builder_column(&u, "v", 1), 0);
    for (size_t i = 0; i < 4; i++) {
        if (i == 2)
            continue;
        assert_int_equal(dataset_builder_row(&u, rows[i][0], 1), 0);
        assert_int_equal(dataset_builder_attr(&u, 0, rows[i][1], strlen(rows[i][1])), 0);
    }
    struct dataset_table *v = dataset_table_finish(&u, 1, &dups);
    assert_non_null(v);
    assert_int_equal(dups.count, 0);
    assert_int_equal(v->size, t->size);
    free(v);
    free(t);
    dataset_builder_free(&u);
    dataset_builder_free(&b);
}

static void test_builder_refusals(void **state)
{
    (void)state;
    struct dataset_builder b;
    dataset_builder_init(&b);
    assert_int_equal(dataset_builder_column(&b, "x", 1), 0);
    assert_int_equal(dataset_builder_attr(&b, 0, "v", 1), DF_EINVAL); /* no row yet */
    assert_int_equal(dataset_builder_row(&b, "k", 1), 0);
    assert_int_equal(dataset_builder_attr(&b, 1, "v", 1), DF_EINVAL); /* unknown column */
    assert_int_equal(dataset_builder_column(&b, "late", 4), 1);       /* declared after a row */
    assert_int_equal(dataset_builder_column(&b, "x", 1), 0);          /* a name is stored once */
    assert_int_equal(dataset_builder_attr(&b, 1, "v", 1), 0);
    assert_int_equal(dataset_builder_attr(&b, 0, "v", 1), 0);
    assert_int_equal(dataset_builder_attr(&b, 0, "w", 1), DF_EINVAL); /* set twice */
    dataset_builder_free(&b);
    char name[16];
    for (unsigned i = 0; i <= DATASET_COLS_LIMIT; i++) {
        int n = snprintf(name, sizeof name, "c%u", i);
        assert_int_equal(dataset_builder_column(&b, name, (size_t)n),
                         i < DATASET_COLS_LIMIT ? (int)i : DF_EINVAL);
    }
    assert_int_equal(dataset_builder_column(&b, "c7", 2), 7); /* known names still found */
    dataset_builder_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_many_keys),
        cmocka_unit_test(test_first_row_wins),
        cmocka_unit_test(test_builder_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
