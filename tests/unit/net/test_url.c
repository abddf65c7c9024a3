/* Endpoint URL parsing (src/net/url.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "df/error.h"
#include "net/url.h"

static void test_good(void **state)
{
    struct df_url u;
    char err[256];
    assert_int_equal(df_url_parse("http://127.0.0.1:4317", &u, err, sizeof err), 0);
    assert_false(u.tls);
    assert_string_equal(u.host, "127.0.0.1");
    assert_int_equal(u.port, 4317);
    assert_string_equal(u.path, "");
    assert_string_equal(u.authority, "127.0.0.1:4317");
    assert_int_equal(df_url_parse("https://collector.example.com/otlp/", &u, err, sizeof err), 0);
    assert_true(u.tls);
    assert_int_equal(u.port, 443);
    assert_string_equal(u.path, "/otlp/");
    assert_string_equal(u.authority, "collector.example.com");
    assert_int_equal(df_url_parse("http://[::1]:4318/v1/logs", &u, err, sizeof err), 0);
    assert_string_equal(u.host, "::1");
    assert_int_equal(u.port, 4318);
    assert_string_equal(u.path, "/v1/logs");
    assert_string_equal(u.authority, "[::1]:4318");
    assert_int_equal(df_url_parse("http://localhost", &u, err, sizeof err), 0);
    assert_int_equal(u.port, 80);
    assert_string_equal(u.authority, "localhost");
}

static void expect_bad(const char *s, const char *why)
{
    struct df_url u;
    char err[256];
    assert_int_equal(df_url_parse(s, &u, err, sizeof err), DF_EINVAL);
    if (!strstr(err, why))
        fail_msg("'%s': got '%s', want '%s'", s, err, why);
}

static void test_bad(void **state)
{
    expect_bad("127.0.0.1:4317", "expected http:// or https://");
    expect_bad("grpc://x:1", "expected http:// or https://");
    expect_bad("http://", "no host");
    expect_bad("http://:80", "no host");
    expect_bad("http://h:0", "bad port");
    expect_bad("http://h:65536", "bad port");
    expect_bad("http://h:12x", "bad port");
    expect_bad("http://user:pw@h", "user information");
    expect_bad("http://h/p?q=1", "query");
    expect_bad("http://h?q", "query or fragment");
    expect_bad("http://[::1", "unclosed");
    expect_bad("http://h%41", "bad character");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),
        cmocka_unit_test(test_bad),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
