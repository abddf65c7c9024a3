/* The link-time registry: the exact registered set of this test binary
 * (engine components + test components), look-ups, and the start-up check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "registry/registry.h"

/* Every node type and extension provider the engine itself registers. Later
 * issues add their components here; a component missing from the build (an
 * object dropped by the linker) or registered by accident fails this test. */
static const char *const engine_nodes[] = {
    "urn:otel:receiver:traffic_generator",
    "urn:otel:receiver:otlp",
    "urn:otel:processor:batch",
    "urn:otel:processor:attribute",
    "urn:otel:processor:enrich",
    "urn:otel:processor:filter",
    "urn:otel:processor:retry",
    "urn:otel:processor:type_router",
    "urn:otel:exporter:noop",
    "urn:otel:exporter:perf",
    "urn:otel:exporter:console",
    "urn:otel:exporter:error",
    "urn:otel:exporter:file",
    "urn:otel:exporter:otlp_grpc",
    "urn:otel:exporter:otlp_http",
    NULL,
};
static const char *const engine_extensions[] = {"urn:otel:extension:basic_auth",
                                                "urn:otel:extension:bearer_token_auth",
                                                "urn:otel:extension:db_storage",
                                                "urn:otel:extension:file_storage",
                                                "urn:otel:extension:file_storage_local",
                                                "urn:otel:extension:headers_setter",
                                                "urn:otel:extension:oauth2_client_auth",
                                                "urn:otel:extension:oidc_auth",
                                                NULL};
static const char *const engine_capabilities[] = {"auth_check", "bearer_token_provider",
                                                  "dataset_lookup", "request_headers", NULL};

static const char *const test_nodes[] = {
    "urn:test:receiver:gen",
    "urn:test:receiver:listen",
    "urn:test:processor:pass",
    "urn:test:processor:enrich",
    "urn:test:processor:authn",
    "urn:test:exporter:sink",
    NULL,
};
static const char *const test_extensions[] = {"urn:test:extension:auth",
                                              "urn:test:extension:lookup",
                                              "urn:test:extension:lookup_local",
                                              "urn:test:extension:heartbeat",
                                              "urn:test:extension:header_auth",
                                              "urn:test:extension:dataset",
                                              NULL};
static const char *const test_capabilities[] = {"test_auth", "test_lookup", NULL};

static size_t count(const char *const *list)
{
    size_t n = 0;
    while (list[n])
        n++;
    return n;
}

static void test_node_set(void **state)
{
    const struct df_node_desc *const *v;
    size_t n = df_registry_nodes(&v);
    assert_int_equal(n, count(engine_nodes) + count(test_nodes));
    for (size_t i = 0; i < n; i++)
        assert_true(df_registry_list_has(engine_nodes, v[i]->urn) ||
                    df_registry_list_has(test_nodes, v[i]->urn));
    for (const char *const *u = test_nodes; *u; u++)
        assert_non_null(df_registry_find_node(*u));
    for (const char *const *u = engine_nodes; *u; u++)
        assert_non_null(df_registry_find_node(*u));
}

static void test_extension_set(void **state)
{
    const struct df_extension_desc *const *v;
    size_t n = df_registry_extensions(&v);
    assert_int_equal(n, count(engine_extensions) + count(test_extensions));
    for (size_t i = 0; i < n; i++)
        assert_true(df_registry_list_has(engine_extensions, v[i]->urn) ||
                    df_registry_list_has(test_extensions, v[i]->urn));
}

static void test_capability_set(void **state)
{
    const struct df_capability_desc *const *v;
    size_t n = df_registry_capabilities(&v);
    assert_int_equal(n, count(engine_capabilities) + count(test_capabilities));
    for (size_t i = 0; i < n; i++) {
        assert_true(df_registry_list_has(engine_capabilities, v[i]->name) ||
                    df_registry_list_has(test_capabilities, v[i]->name));
        assert_true(v[i]->version >= 1);
    }
}

static void test_metadata(void **state)
{
    const struct df_node_desc *n = df_registry_find_node("urn:test:receiver:listen");
    assert_non_null(n);
    assert_int_equal(n->kind, DF_NODE_RECEIVER);
    assert_string_equal(df_node_kind_name(n->kind), "receiver");
    assert_true(df_registry_list_has(n->consumes, "test_auth"));
    assert_non_null(n->options);
    assert_non_null(strstr(n->def_file, "test_components.c"));
    assert_true(n->def_line > 0);

    const struct df_extension_desc *e = df_registry_find_extension("urn:test:extension:lookup");
    assert_non_null(e);
    assert_string_equal(df_exec_model_name(e->exec_model), "shared");
    assert_string_equal(df_lifecycle_name(e->lifecycle), "active");
    assert_non_null(df_extension_capability(e, "test_lookup"));

    assert_null(df_registry_find_node("urn:test:receiver:nope"));
    assert_null(df_registry_find_extension("urn:test:receiver:gen"));
    assert_null(df_registry_find_capability("nope"));
}

static void test_check_passes(void **state)
{
    static struct df_diags d;
    assert_int_equal(df_registry_check(&d), 0);
    assert_int_equal(df_diags_total(&d), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_node_set),       cmocka_unit_test(test_extension_set),
        cmocka_unit_test(test_capability_set), cmocka_unit_test(test_metadata),
        cmocka_unit_test(test_check_passes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
