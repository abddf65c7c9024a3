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
#include "extension/manager.h"
#include "tests/unit/runtime/rt_fixture.h"

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
    struct df_diags d;
    memset(&d, 0, sizeof d);
    const char *y = yaml(cfg);
    struct df_config *c = df_config_parse("hs.yaml", y, strlen(y), &d);
    assert_null(c);
    bool found = false;
    for (size_t i = 0; i < d.count && !found; i++)
        found = strstr(d.items[i].msg, want) && d.items[i].mark.line == 7;
    if (!found) {
        fprintf(stderr, "expected '%s' for %s\n", want, cfg);
        df_diags_print(&d, stderr);
    }
    assert_true(found);
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
    struct rt t;
    uv_loop_t loop;
    struct df_ext_set set;
    const struct df_request_headers_ops *ops;
    void *self;
};

static void fx_build(struct fx *f, const char *cfg)
{
    memset(f, 0, sizeof *f);
    rt_parse(&f->t, yaml(cfg));
    assert_int_equal(uv_loop_init(&f->loop), 0);
    assert_int_equal(df_ext_set_build(&f->set, "g", "p", rt_pipeline(&f->t), DF_EXEC_SHARED, -1, 1,
                                      &f->loop, NULL, NULL),
                     0);
    struct df_error err = {0};
    assert_int_equal(df_ext_set_attach(&f->set, 0, 0, &err), 0);
    struct df_extension *x = df_ext_set_find(&f->set, "hs");
    assert_non_null(x);
    f->ops = df_extension_capability(x->desc, DF_REQUEST_HEADERS_NAME)->ops;
    f->self = df_ext_self(x, 0);
}

static void fx_finish(struct fx *f)
{
    df_ext_set_detach(&f->set, 0);
    df_ext_set_close(&f->set);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    df_ext_set_destroy(&f->set);
    df_ext_set_free(&f->set);
    assert_int_equal(uv_loop_close(&f->loop), 0);
    df_config_free(f->t.cfg);
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
