/* extension:headers_setter: config errors through the config loader with
 * the real option table; the headers of requests from different senders
 * (fixed values, from_context with and without default_value, identities
 * lacking the field or carrying bytes a header cannot); values read from
 * files, replaced while running (a bad replacement keeps the value in
 * force); and an exporter node claiming request_headers from it. The
 * instance is built through the extension manager, as the runtime does for
 * a shared provider. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "df/capabilities/request_headers.h"
#include "tests/unit/extensions/ext_fixture.h"

#define PIPELINE_FMT                                                                               \
    RT_HEADER RT_GROUP "        extensions:\n"                                                     \
                       "          hs: {type: 'extension:headers_setter', config: %s}\n"            \
                       "        nodes:\n"                                                          \
                       "          gen: {type: 'urn:test:receiver:gen'}\n"                          \
                       "          out:\n"                                                          \
                       "            type: exporter:otlp_http\n"                                    \
                       "            capabilities: {request_headers: hs}\n"                         \
                       "            config: {endpoint: 'http://127.0.0.1:9'}\n"                    \
                       "        connections: [{from: gen, to: out}]\n"

static const char *yaml(const char *cfg)
{
    static char buf[2048];
    snprintf(buf, sizeof buf, PIPELINE_FMT, cfg);
    return buf;
}

static void expect_rejected(const char *cfg, const char *want)
{
    ext_expect_rejected(yaml(cfg), 7, want, NULL, NULL);
}

static void test_config_errors(void **state)
{
    (void)state;
    expect_rejected("{}", "missing required key 'headers'");
    expect_rejected("{headers: []}", "expected 1 to 16 items");
    expect_rejected("{headers: [{key: x-a}]}", "one of value, file and from_context");
    expect_rejected("{headers: [{key: x-a, value: v, from_context: auth.subject}]}",
                    "one of value, file and from_context");
    expect_rejected("{headers: [{key: x-a, from_context: subject}]}",
                    "names nothing a request carries");
    expect_rejected("{headers: [{key: x-a, value: v, default_value: d}]}",
                    "default_value goes with from_context");
    expect_rejected("{headers: [{key: 'bad name', value: v}]}", "is not a valid header name");
    expect_rejected("{headers: [{key: Content-Type, value: v}]}", "is set by the transport");
    expect_rejected("{headers: [{key: grpc-timeout, value: v}]}", "reserved by gRPC");
    expect_rejected("{headers: [{key: x-a, value: \"a\\nb\"}]}", "control or non-ASCII");
    expect_rejected("{headers: [{key: X-A, value: v}, {key: x-a, value: w}]}", "is set twice");
}

static void test_file_config_errors(void **state)
{
    (void)state;
    char cfg[512];
    ext_write_file(ext_path("ok"), "key-1\n");
    ext_write_file(ext_path("empty"), " \n");
    ext_write_file(ext_path("ctl"), "a\x01b\n");
    snprintf(cfg, sizeof cfg, "{headers: [{key: x-a, file: '%s', value: v}]}", ext_path("ok"));
    expect_rejected(cfg, "one of value, file and from_context");
    snprintf(cfg, sizeof cfg, "{headers: [{key: x-a, file: '%s'}]}", ext_path("empty"));
    expect_rejected(cfg, "is empty");
    snprintf(cfg, sizeof cfg, "{headers: [{key: x-a, file: '%s'}]}", ext_path("ctl"));
    expect_rejected(cfg, "holds a control or non-ASCII byte");
    snprintf(cfg, sizeof cfg, "{headers: [{key: x-a, file: '%s'}]}", ext_path("missing"));
    expect_rejected(cfg, "No such file or directory");
}

struct fx {
    struct ext_fx e;
    const struct df_request_headers_ops *ops;
    void *self;
};

static void fx_build(struct fx *f, const char *cfg)
{
    memset(f, 0, sizeof *f);
    ext_fx_build(&f->e, yaml(cfg), "hs", 1);
    f->ops = ext_fx_ops(&f->e, DF_REQUEST_HEADERS_NAME);
    f->self = f->e.self;
}

static void fx_finish(struct fx *f)
{
    ext_fx_finish(&f->e);
}

/* The value of header `name` among out[0..n), or NULL. */
static const char *value_of(const struct df_request_header *out, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(out[i].name, name))
            return out[i].value;
    }
    return NULL;
}

static void test_headers_per_sender(void **state)
{
    (void)state;
    struct fx f;
    fx_build(&f, "{headers: [{key: X-Scope-OrgID, from_context: auth.subject, "
                 "default_value: anonymous}, {key: X-Env, value: prod}, "
                 "{key: X-Team, from_context: auth.team}]}");
    static const struct df_identity_attr red[] = {{"team", "red"}};
    static const struct df_identity alice = {.subject = "alice", .attrs = red, .nattrs = 1};
    static const struct df_identity bob = {.subject = "bob"};
    static const struct df_identity evil = {.subject = "eve\r\nx-admin: 1"};
    struct df_request_header out[DF_REQUEST_HEADERS_MAX];

    size_t n = f.ops->headers(f.self, &alice, out);
    assert_int_equal(n, 3);
    assert_string_equal(value_of(out, n, "x-scope-orgid"), "alice"); /* names lowercased */
    assert_string_equal(value_of(out, n, "x-env"), "prod");
    assert_string_equal(value_of(out, n, "x-team"), "red");

    n = f.ops->headers(f.self, &bob, out); /* no team: that header is left out */
    assert_int_equal(n, 2);
    assert_string_equal(value_of(out, n, "x-scope-orgid"), "bob");
    assert_null(value_of(out, n, "x-team"));

    n = f.ops->headers(f.self, NULL, out); /* no sender: the default */
    assert_int_equal(n, 2);
    assert_string_equal(value_of(out, n, "x-scope-orgid"), "anonymous");

    n = f.ops->headers(f.self, &evil, out); /* a value that would split a header */
    assert_string_equal(value_of(out, n, "x-scope-orgid"), "anonymous");
    fx_finish(&f);
}

static void test_file_values(void **state)
{
    (void)state;
    char cfg[512];
    const char *path = ext_path("api-key");
    ext_write_file(path, "  key-1\r\n");
    snprintf(cfg, sizeof cfg,
             "{headers: [{key: X-Api-Key, file: '%s'}, {key: X-Env, value: prod}], "
             "watch_interval: 20ms}",
             path);
    struct fx f;
    fx_build(&f, cfg);
    ext_fx_run(&f.e); /* ready once the file was read */
    struct df_request_header out[DF_REQUEST_HEADERS_MAX];
    size_t n = f.ops->headers(f.self, NULL, out);
    assert_int_equal(n, 2);
    assert_string_equal(value_of(out, n, "x-api-key"), "key-1"); /* trimmed */
    assert_string_equal(value_of(out, n, "x-env"), "prod");

    /* Replaced by an atomic rename: in force without a restart. */
    uint64_t t0 = uv_hrtime();
    ext_rotate(path, "key-2\n");
    assert_true(EXT_RUN_UNTIL(&f.e, ({
        n = f.ops->headers(f.self, NULL, out);
        !strcmp(value_of(out, n, "x-api-key"), "key-2");
    })));
    assert_true(uv_hrtime() - t0 < 2000000000ull);

    /* A replacement that cannot be a header value: the last one stays. */
    uint64_t failed = ext_fx_refreshes(&f.e, 1);
    ext_rotate(path, "two\nlines\x01\n");
    assert_true(EXT_RUN_UNTIL(&f.e, ext_fx_refreshes(&f.e, 1) > failed));
    n = f.ops->headers(f.self, NULL, out);
    assert_string_equal(value_of(out, n, "x-api-key"), "key-2");
    ext_rotate(path, "key-3");
    assert_true(EXT_RUN_UNTIL(&f.e, ({
        n = f.ops->headers(f.self, NULL, out);
        !strcmp(value_of(out, n, "x-api-key"), "key-3");
    })));
    fx_finish(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_errors),
        cmocka_unit_test_setup_teardown(test_file_config_errors, ext_dir_setup, ext_dir_teardown),
        cmocka_unit_test(test_headers_per_sender),
        cmocka_unit_test_setup_teardown(test_file_values, ext_dir_setup, ext_dir_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
