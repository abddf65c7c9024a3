/* Core placement (src/runtime/placement.c): strategies against an available
 * set, errors, and the compact core-list format. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "runtime/placement.h"

static const unsigned avail[] = {0, 1, 2, 3, 6, 7};

static size_t select_(const struct df_core_allocation *a, unsigned *out, char *err)
{
    size_t n = 99;
    int rc = df_placement_select(a, avail, DF_COUNTOF(avail), out, &n, err, 256);
    return rc ? (size_t)-1 : n;
}

static void test_all_cores(void **state)
{
    unsigned out[16];
    char err[256];
    struct df_core_allocation a = {.strategy = DF_CORES_ALL};
    assert_int_equal(select_(&a, out, err), 6);
    assert_memory_equal(out, avail, sizeof avail);
}

static void test_core_count(void **state)
{
    unsigned out[16];
    char err[256];
    struct df_core_allocation a = {.strategy = DF_CORES_COUNT, .count = 2};
    assert_int_equal(select_(&a, out, err), 2);
    assert_int_equal(out[0], 0);
    assert_int_equal(out[1], 1);
    a.count = 0; /* all */
    assert_int_equal(select_(&a, out, err), 6);
    a.count = 7;
    assert_int_equal(select_(&a, out, err), (size_t)-1);
    assert_string_equal(err, "core_count 7 exceeds the 6 available cores (0-3,6-7)");
}

static void test_core_set(void **state)
{
    unsigned out[16];
    char err[256];
    struct df_core_range r[] = {{2, 3}, {7, 7}};
    struct df_core_allocation a = {.strategy = DF_CORES_SET, .set = {.count = 2, .items = r}};
    assert_int_equal(select_(&a, out, err), 3);
    assert_int_equal(out[0], 2);
    assert_int_equal(out[1], 3);
    assert_int_equal(out[2], 7);
    struct df_core_range bad[] = {{3, 5}};
    a.set = (struct df_list){.count = 1, .items = bad};
    assert_int_equal(select_(&a, out, err), (size_t)-1);
    assert_string_equal(err, "core 4 is not available to this process (available: 0-3,6-7)");
}

static void test_available_and_format(void **state)
{
    unsigned cores[DF_MAX_CORES];
    size_t n = df_placement_available(cores, DF_MAX_CORES);
    assert_true(n >= 1);
    for (size_t i = 1; i < n; i++)
        assert_true(cores[i] > cores[i - 1]);
    char buf[64];
    unsigned one[] = {5};
    assert_string_equal(df_placement_format(one, 1, buf, sizeof buf), "5");
    unsigned mixed[] = {0, 2, 3, 4, 9, 10};
    assert_string_equal(df_placement_format(mixed, 6, buf, sizeof buf), "0,2-4,9-10");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_cores),
        cmocka_unit_test(test_core_count),
        cmocka_unit_test(test_core_set),
        cmocka_unit_test(test_available_and_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
