/* extensions/common/fetch_config: the http(s) scheme check in any case
 * (RFC 3986 §3.1) and what it leaves for the caller; the shared `tls`
 * table's keys and defaults. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "extensions/common/fetch_config.h"

static void test_http_url_rest(void **state)
{
    (void)state;
    assert_string_equal(ext_http_url_rest("https://a.example/t"), "a.example/t");
    assert_string_equal(ext_http_url_rest("http://a.example"), "a.example");
    assert_string_equal(ext_http_url_rest("HTTPS://a"), "a");
    assert_string_equal(ext_http_url_rest("hTtP://a"), "a");
    assert_string_equal(ext_http_url_rest("https://"), "");
    assert_null(ext_http_url_rest("ftp://a.example"));
    assert_null(ext_http_url_rest("https:/a.example"));
    assert_null(ext_http_url_rest("httpss://a"));
    assert_null(ext_http_url_rest("http"));
    assert_null(ext_http_url_rest(""));
    assert_null(ext_http_url_rest("/keys"));
}

static void test_tls_table(void **state)
{
    (void)state;
    const struct df_option_table *t = &ext_tls_table;
    assert_int_equal(t->size, sizeof(struct ext_tls_config));
    assert_int_equal(t->count, 2);
    assert_string_equal(t->options[0].name, "ca_file");
    assert_int_equal(t->options[0].type, DF_OPT_PATH);
    assert_true(t->options[0].flags & DF_OPT_MUST_EXIST);
    assert_null(t->options[0].def);
    assert_string_equal(t->options[1].name, "insecure_skip_verify");
    assert_int_equal(t->options[1].type, DF_OPT_BOOL);
    assert_string_equal(t->options[1].def, "false");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_url_rest),
        cmocka_unit_test(test_tls_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
