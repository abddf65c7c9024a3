/* extension:headers_setter: config errors through the config loader with
 * the real option table; the headers of requests from different senders
 * (fixed values, from_context with and without default_value, identities
 * lacking the field or carrying bytes a header cannot); and an exporter
 * node claiming request_headers from it. The instance is built through the
 * extension manager, as the runtime does for a shared provider. */
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
    expect_rejected("{headers: [{key: x-a}]}", "one of value and from_context");
    expect_rejected("{headers: [{key: x-a, value: v, from_context: auth.subject}]}",
                    "one of value and from_context");
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_headers_per_sender),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
