/* Unit tests for ${env:...} substitution (config/env.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/env.h"
#include "df/arena.h"
#include "df/error.h"

struct fx {
    struct df_arena a;
    char err[256];
    char *out;
    size_t out_len;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    df_arena_init(&f->a);
    setenv("DF_T_HOST", "example.org", 1);
    setenv("DF_T_EMPTY", "", 1);
    unsetenv("DF_T_UNSET");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    df_arena_free(&f->a);
    free(f);
    unsetenv("DF_T_HOST");
    unsetenv("DF_T_EMPTY");
    return 0;
}

static int subst(struct fx *f, const char *in)
{
    f->out = NULL;
    f->out_len = 0;
    f->err[0] = '\0';
    return df_env_substitute(in, strlen(in), &f->a, &f->out, &f->out_len, f->err, sizeof f->err);
}

/* Substitutes `in` and expects success with `want`. */
static void expect(struct fx *f, const char *in, const char *want)
{
    int rc = subst(f, in);
    if (rc != 0)
        print_error("substituting '%s' failed: %s\n", in, f->err);
    assert_int_equal(rc, 0);
    assert_non_null(f->out);
    assert_string_equal(f->out, want);
    assert_int_equal(f->out_len, strlen(want));
}

/* Substitutes `in` and expects DF_EINVAL with a message containing `part`. */
static void expect_error(struct fx *f, const char *in, const char *part)
{
    int rc = subst(f, in);
    assert_int_equal(rc, DF_EINVAL);
    if (!strstr(f->err, part))
        print_error("error '%s' lacks '%s'\n", f->err, part);
    assert_non_null(strstr(f->err, part));
}

static void test_no_reference_copies(void **state)
{
    struct fx *f = *state;
    const char *in = "plain text: {braces} and more";
    expect(f, in, in);
    assert_ptr_not_equal(f->out, in);
    expect(f, "", "");
}

static void test_set_variable(void **state)
{
    struct fx *f = *state;
    expect(f, "${env:DF_T_HOST}", "example.org");
    expect(f, "http://${env:DF_T_HOST}:4317/v1", "http://example.org:4317/v1");
    expect(f, "${env:DF_T_HOST}${env:DF_T_HOST}", "example.orgexample.org");
    expect(f, "[${env:DF_T_EMPTY}]", "[]");
}

static void test_default(void **state)
{
    struct fx *f = *state;
    expect(f, "${env:DF_T_UNSET:-fallback}", "fallback");
    expect(f, "${env:DF_T_HOST:-fallback}", "example.org");
    expect(f, "a${env:DF_T_UNSET:-}b", "ab");
    /* Set but empty is not unset: the default applies only when unset. */
    expect(f, "${env:DF_T_EMPTY:-fallback}", "");
    /* A default may contain ':' (and ':-'), but not '}'. */
    expect(f, "${env:DF_T_UNSET:-http://localhost:4317}", "http://localhost:4317");
    expect(f, "${env:DF_T_UNSET:-a:-b}", "a:-b");
    expect(f, "${env:DF_T_UNSET:-x}y}", "xy}");
    /* The default is used as written, not substituted again. */
    expect(f, "${env:DF_T_UNSET:-$$}", "$$");
}

static void test_dollar_escape(void **state)
{
    struct fx *f = *state;
    expect(f, "$$", "$");
    expect(f, "cost: $$5", "cost: $5");
    expect(f, "$$$$", "$$");
    expect(f, "$${env:DF_T_HOST}", "${env:DF_T_HOST}");
    expect(f, "$$${env:DF_T_HOST}", "$example.org");
}

static void test_other_references_kept(void **state)
{
    struct fx *f = *state;
    expect(f, "${other:x}", "${other:x}");
    expect(f, "${file:/etc/x}-${env:DF_T_HOST}", "${file:/etc/x}-example.org");
    expect(f, "${VAR}", "${VAR}");
    expect(f, "${ENV:DF_T_HOST}", "${ENV:DF_T_HOST}");
    expect(f, "${other:$$}", "${other:$$}");
    expect(f, "${unterminated", "${unterminated");
    expect(f, "${", "${");
}

static void test_lone_dollar_kept(void **state)
{
    struct fx *f = *state;
    expect(f, "$", "$");
    expect(f, "a $ b", "a $ b");
    expect(f, "$5 and $HOME", "$5 and $HOME");
    expect(f, "end$", "end$");
    expect(f, "$env:DF_T_HOST", "$env:DF_T_HOST");
}

static void test_unset_variable_error(void **state)
{
    struct fx *f = *state;
    expect_error(f, "${env:DF_T_UNSET}", "DF_T_UNSET");
    expect_error(f, "x ${env:DF_T_UNSET} y", "not set");
}

static void test_invalid_name_error(void **state)
{
    struct fx *f = *state;
    expect_error(f, "${env:}", "invalid environment variable name");
    expect_error(f, "${env:1ABC}", "'1ABC'");
    expect_error(f, "${env:A-B}", "'A-B'");
    expect_error(f, "${env:A B}", "invalid");
    /* ':' not followed by '-' is part of the name, hence invalid. */
    expect_error(f, "${env:DF_T_HOST:x}", "'DF_T_HOST:x'");
    expect_error(f, "${env:DF_T_HOST:=x}", "invalid");
    expect(f, "${env:_ok9:-y}", "y");
}

static void test_unterminated_error(void **state)
{
    struct fx *f = *state;
    expect_error(f, "${env:DF_T_HOST", "unterminated");
    expect_error(f, "${env:", "unterminated");
    expect_error(f, "ok ${env:DF_T_HOST} then ${env:X:-y", "unterminated");
}

static void test_length_not_nul(void **state)
{
    struct fx *f = *state;
    /* Works on `len` bytes: an embedded NUL is kept, bytes past len ignored. */
    const char in[] = "a\0${env:DF_T_HOST}|ignored";
    size_t len = sizeof "a\0${env:DF_T_HOST}" - 1;
    int rc = df_env_substitute(in, len, &f->a, &f->out, &f->out_len, f->err, sizeof f->err);
    assert_int_equal(rc, 0);
    assert_int_equal(f->out_len, 2 + strlen("example.org"));
    assert_memory_equal(f->out, "a\0example.org", f->out_len + 1);
}

static void test_long_name(void **state)
{
    struct fx *f = *state;
    char name[400];
    memset(name, 'V', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    setenv(name, "long", 1);
    char in[450];
    snprintf(in, sizeof in, "${env:%s}", name);
    expect(f, in, "long");
    unsetenv(name);
    expect_error(f, in, "not set");
}

static void test_null_error_buffer(void **state)
{
    struct fx *f = *state;
    const char *in = "${env:DF_T_UNSET}";
    int rc = df_env_substitute(in, strlen(in), &f->a, &f->out, &f->out_len, NULL, 0);
    assert_int_equal(rc, DF_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_no_reference_copies, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_variable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_default, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dollar_escape, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_references_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lone_dollar_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unset_variable_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_name_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unterminated_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_length_not_nul, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_name, setup, teardown),
        cmocka_unit_test_setup_teardown(test_null_error_buffer, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
