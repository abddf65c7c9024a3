/* A registry with mistakes: this binary registers a second node type with a
 * URN the test components already use, a non-canonical URN, a URN whose kind
 * disagrees with the descriptor, and a provider naming an unknown
 * capability. The start-up check must report each, naming both definitions
 * of the duplicate. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "registry/registry.h"

DF_REGISTER_NODE(dup_sink, "urn:test:exporter:sink", DF_NODE_EXPORTER, "A duplicate.",
                 "https://example.invalid/df_engine/test");
DF_REGISTER_NODE(short_urn, "exporter:short", DF_NODE_EXPORTER, "Not canonical.",
                 "https://example.invalid/df_engine/test");
DF_REGISTER_NODE(wrong_kind, "urn:test:processor:wrong", DF_NODE_EXPORTER, "Kind mismatch.",
                 "https://example.invalid/df_engine/test");

static const int ghost_ops;
static const struct df_ext_capability ghost_caps[] = {{"ghost", 1, &ghost_ops}, {0}};
DF_REGISTER_EXTENSION(ghost_ext, "urn:test:extension:ghost", "Names an unknown capability.",
                      "https://example.invalid/df_engine/test", DF_EXEC_LOCAL, DF_LIFECYCLE_PASSIVE,
                      .capabilities = ghost_caps);

static bool reported(const struct df_diags *d, const char *a, const char *b)
{
    for (size_t i = 0; i < d->count; i++) {
        if (strstr(d->items[i].msg, a) && (!b || strstr(d->items[i].msg, b)))
            return true;
    }
    return false;
}

static void test_check_reports_every_mistake(void **state)
{
    static struct df_diags d;
    assert_int_equal(df_registry_check(&d), DF_EINVAL);
    assert_int_equal(d.count, 4);
    /* The duplicate names both definitions: one in its mark, the other in
     * its message (which is which depends on link order). */
    bool both = false;
    for (size_t i = 0; i < d.count; i++) {
        const struct df_error *e = &d.items[i];
        if (!strstr(e->msg, "duplicate node type 'urn:test:exporter:sink'"))
            continue;
        both =
            (strstr(e->mark.file, "test_components.c") && strstr(e->msg, "test_registry_dup.c:")) ||
            (strstr(e->mark.file, "test_registry_dup.c") && strstr(e->msg, "test_components.c:"));
    }
    assert_true(both);
    assert_true(reported(&d, "'exporter:short' is not canonical", "urn:otel:exporter:short"));
    assert_true(reported(&d, "urn:test:processor:wrong", "declared kind exporter"));
    assert_true(reported(&d, "capability 'ghost'", NULL));
    bool marks_here = false;
    for (size_t i = 0; i < d.count; i++)
        marks_here |= d.items[i].mark.file && strstr(d.items[i].mark.file, "test_registry_dup.c");
    assert_true(marks_here);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_check_reports_every_mistake)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
