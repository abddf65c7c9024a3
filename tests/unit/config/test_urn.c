/* Unit tests for component type URNs (config/urn.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/urn.h"
#include "df/error.h"

#define ALL_KINDS (DF_URN_NODE_KINDS | DF_URN_EXTENSION_KINDS)

struct res {
    int rc;
    struct df_urn urn;
    char err[256];
    char hint[128];
};

static struct res parse(const char *raw, unsigned accepted)
{
    struct res r;
    memset(&r, 0, sizeof r);
    /* Garbage in the outputs: the parser must set the hint itself. */
    memset(r.hint, 'X', sizeof r.hint - 1);
    r.rc = df_urn_parse(raw, accepted, &r.urn, r.err, sizeof r.err, r.hint, sizeof r.hint);
    return r;
}

static void expect_ok(const char *raw, unsigned accepted, enum df_urn_kind kind,
                      const char *canonical)
{
    struct res r = parse(raw, accepted);
    if (r.rc != 0)
        print_error("'%s' failed: %s\n", raw, r.err);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.urn.kind, kind);
    assert_string_equal(r.urn.canonical, canonical);
    assert_string_equal(r.hint, "");
}

/* Expects DF_EINVAL with `part` in the message and an empty hint. */
static void expect_err(const char *raw, unsigned accepted, const char *part)
{
    struct res r = parse(raw, accepted);
    assert_int_equal(r.rc, DF_EINVAL);
    if (!strstr(r.err, part))
        print_error("'%s': error '%s' lacks '%s'\n", raw, r.err, part);
    assert_non_null(strstr(r.err, part));
    assert_string_equal(r.hint, "");
}

static void test_kind_names(void **state)
{
    (void)state;
    assert_string_equal(df_urn_kind_name(DF_URN_RECEIVER), "receiver");
    assert_string_equal(df_urn_kind_name(DF_URN_PROCESSOR), "processor");
    assert_string_equal(df_urn_kind_name(DF_URN_EXPORTER), "exporter");
    assert_string_equal(df_urn_kind_name(DF_URN_EXTENSION), "extension");
    assert_string_equal(df_urn_kind_name((enum df_urn_kind)42), "?");
    assert_int_equal(DF_URN_NODE_KINDS & DF_URN_EXTENSION_KINDS, 0);
    assert_true(DF_URN_NODE_KINDS & (1u << DF_URN_RECEIVER));
    assert_true(DF_URN_NODE_KINDS & (1u << DF_URN_PROCESSOR));
    assert_true(DF_URN_NODE_KINDS & (1u << DF_URN_EXPORTER));
    assert_true(DF_URN_EXTENSION_KINDS & (1u << DF_URN_EXTENSION));
}

static void test_short_form(void **state)
{
    (void)state;
    expect_ok("receiver:otlp", DF_URN_NODE_KINDS, DF_URN_RECEIVER, "urn:otel:receiver:otlp");
    expect_ok("processor:batch", DF_URN_NODE_KINDS, DF_URN_PROCESSOR, "urn:otel:processor:batch");
    expect_ok("exporter:debug", DF_URN_NODE_KINDS, DF_URN_EXPORTER, "urn:otel:exporter:debug");
    expect_ok("extension:health_check", DF_URN_EXTENSION_KINDS, DF_URN_EXTENSION,
              "urn:otel:extension:health_check");
    expect_ok("receiver:a.b_c-9", DF_URN_NODE_KINDS, DF_URN_RECEIVER, "urn:otel:receiver:a.b_c-9");
}

static void test_long_form(void **state)
{
    (void)state;
    expect_ok("urn:otel:receiver:otlp", DF_URN_NODE_KINDS, DF_URN_RECEIVER,
              "urn:otel:receiver:otlp");
    expect_ok("urn:acme:exporter:kafka", ALL_KINDS, DF_URN_EXPORTER, "urn:acme:exporter:kafka");
    expect_ok("urn:my-co.io_2:extension:auth.v2", DF_URN_EXTENSION_KINDS, DF_URN_EXTENSION,
              "urn:my-co.io_2:extension:auth.v2");
    expect_ok("urn:x:processor:0", DF_URN_NODE_KINDS, DF_URN_PROCESSOR, "urn:x:processor:0");
}

static void test_canonicalisation(void **state)
{
    (void)state;
    expect_ok("URN:OTEL:RECEIVER:otlp", DF_URN_NODE_KINDS, DF_URN_RECEIVER,
              "urn:otel:receiver:otlp");
    expect_ok("Urn:AcMe:Exporter:kafka", DF_URN_NODE_KINDS, DF_URN_EXPORTER,
              "urn:acme:exporter:kafka");
    expect_ok("Receiver:otlp", DF_URN_NODE_KINDS, DF_URN_RECEIVER, "urn:otel:receiver:otlp");
    expect_ok("EXTENSION:auth", DF_URN_EXTENSION_KINDS, DF_URN_EXTENSION,
              "urn:otel:extension:auth");
    /* The canonical form parses to itself. */
    expect_ok("urn:acme:exporter:kafka", DF_URN_NODE_KINDS, DF_URN_EXPORTER,
              "urn:acme:exporter:kafka");
}

static void test_bad_segments(void **state)
{
    (void)state;
    /* The id is not case-folded. */
    expect_err("receiver:OTLP", DF_URN_NODE_KINDS, "id 'OTLP' must match [a-z0-9._-]+");
    expect_err("receiver:", DF_URN_NODE_KINDS, "id '' must match");
    expect_err("urn:otel:receiver:", DF_URN_NODE_KINDS, "id '' must match");
    expect_err("receiver:ot lp", DF_URN_NODE_KINDS, "id 'ot lp' must match");
    expect_err("receiver:otlp/2", DF_URN_NODE_KINDS, "id 'otlp/2' must match");
    expect_err("urn:ac me:receiver:x", DF_URN_NODE_KINDS, "namespace 'ac me' must match");
    expect_err("urn::receiver:x", DF_URN_NODE_KINDS, "namespace '' must match");
    expect_err("urn:ACME!:receiver:x", DF_URN_NODE_KINDS, "namespace 'acme!' must match");
    expect_err("uri:otel:receiver:x", DF_URN_NODE_KINDS, "the scheme must be 'urn'");
    expect_err("urns:otel:receiver:x", DF_URN_NODE_KINDS, "the scheme must be 'urn'");
    expect_err("ur:otel:receiver:x", DF_URN_NODE_KINDS, "the scheme must be 'urn'");
    expect_err(":otel:receiver:x", DF_URN_NODE_KINDS, "the scheme must be 'urn'");
}

static void test_wrong_segment_count(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "otlp",
        "urn:otel:receiver",
        "a:b:c",
        "urn:otel:receiver:otlp:extra",
        "a:b:c:d:e:f:g:h",
        ":::::::::",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_err(bad[i], ALL_KINDS, "expected urn:<namespace>:<kind>:<id> or <kind>:<id>");
    struct res r = parse("otlp", ALL_KINDS);
    assert_string_equal(r.err, "invalid type 'otlp': expected urn:<namespace>:<kind>:<id> or "
                               "<kind>:<id>");
}

static void test_unknown_kind(void **state)
{
    (void)state;
    expect_err("connector:x", ALL_KINDS,
               "unknown kind 'connector' (expected receiver, processor, exporter or extension)");
    expect_err("urn:otel:receivers:otlp", ALL_KINDS, "unknown kind 'receivers'");
    expect_err(":otlp", ALL_KINDS, "unknown kind ''");
    expect_err("urn:otel::otlp", ALL_KINDS, "unknown kind ''");
    expect_err("recv:otlp", DF_URN_NODE_KINDS, "unknown kind 'recv'");
}

static void test_extension_under_nodes(void **state)
{
    (void)state;
    struct res r = parse("extension:auth", DF_URN_NODE_KINDS);
    assert_int_equal(r.rc, DF_EINVAL);
    assert_string_equal(r.err, "'extension:auth' is an extension, which does not belong under "
                               "nodes:");
    assert_string_equal(r.hint, "declare it under the pipeline's extensions: instead");

    r = parse("urn:acme:extension:auth", DF_URN_NODE_KINDS);
    assert_int_equal(r.rc, DF_EINVAL);
    assert_non_null(strstr(r.err, "is an extension"));
    assert_string_equal(r.hint, "declare it under the pipeline's extensions: instead");
}

static void test_node_under_extensions(void **state)
{
    (void)state;
    struct res r = parse("receiver:otlp", DF_URN_EXTENSION_KINDS);
    assert_int_equal(r.rc, DF_EINVAL);
    assert_string_equal(r.err, "'receiver:otlp' is a receiver, which does not belong under "
                               "extensions:");
    assert_string_equal(r.hint, "declare it under the pipeline's nodes: instead");

    r = parse("processor:batch", DF_URN_EXTENSION_KINDS);
    assert_int_equal(r.rc, DF_EINVAL);
    assert_non_null(strstr(r.err, "is a processor, which"));
    assert_string_equal(r.hint, "declare it under the pipeline's nodes: instead");

    r = parse("urn:otel:exporter:debug", DF_URN_EXTENSION_KINDS);
    assert_int_equal(r.rc, DF_EINVAL);
    assert_string_equal(r.err, "'urn:otel:exporter:debug' is an exporter, which does not belong "
                               "under extensions:");
    assert_string_equal(r.hint, "declare it under the pipeline's nodes: instead");
}

static void test_hint_empty_on_other_errors(void **state)
{
    (void)state;
    /* expect_err checks the hint was reset to "" despite the garbage. */
    expect_err("bogus", DF_URN_NODE_KINDS, "expected");
    expect_err("connector:x", DF_URN_EXTENSION_KINDS, "unknown kind");
    expect_err("uri:a:receiver:x", DF_URN_EXTENSION_KINDS, "scheme");
}

static void test_long_input(void **state)
{
    (void)state;
    char raw[1024], want[1024];
    char ns[128];

    /* A 63-byte namespace is the longest accepted. */
    memset(ns, 'n', 63);
    ns[63] = '\0';
    snprintf(raw, sizeof raw, "urn:%s:receiver:x", ns);
    expect_ok(raw, DF_URN_NODE_KINDS, DF_URN_RECEIVER, raw);
    memset(ns, 'n', 64);
    ns[64] = '\0';
    snprintf(raw, sizeof raw, "urn:%s:receiver:x", ns);
    expect_err(raw, DF_URN_NODE_KINDS, "namespace too long");

    /* The canonical form must fit DF_URN_MAX - 1 bytes. */
    const size_t prefix = strlen("urn:otel:receiver:");
    char id[DF_URN_MAX + 8];
    size_t idlen = DF_URN_MAX - 1 - prefix;
    memset(id, 'i', idlen);
    id[idlen] = '\0';
    snprintf(raw, sizeof raw, "receiver:%s", id);
    snprintf(want, sizeof want, "urn:otel:receiver:%s", id);
    assert_int_equal(strlen(want), DF_URN_MAX - 1);
    expect_ok(raw, DF_URN_NODE_KINDS, DF_URN_RECEIVER, want);
    id[idlen] = 'i';
    id[idlen + 1] = '\0';
    snprintf(raw, sizeof raw, "receiver:%s", id);
    expect_err(raw, DF_URN_NODE_KINDS, "too long");

    /* Very long input: no overflow, error truncated to the buffer. */
    static char huge[8192];
    memcpy(huge, "receiver:", 9);
    memset(huge + 9, 'z', sizeof huge - 10);
    huge[sizeof huge - 1] = '\0';
    struct res r = parse(huge, DF_URN_NODE_KINDS);
    assert_int_equal(r.rc, DF_EINVAL);
    assert_int_equal(strlen(r.err), sizeof r.err - 1);
    assert_string_equal(r.hint, "");
}

static void test_small_buffers(void **state)
{
    (void)state;
    struct df_urn u;
    char err[8], hint[4];
    int rc =
        df_urn_parse("extension:auth", DF_URN_NODE_KINDS, &u, err, sizeof err, hint, sizeof hint);
    assert_int_equal(rc, DF_EINVAL);
    assert_int_equal(strlen(err), sizeof err - 1);
    assert_int_equal(strlen(hint), sizeof hint - 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kind_names),
        cmocka_unit_test(test_short_form),
        cmocka_unit_test(test_long_form),
        cmocka_unit_test(test_canonicalisation),
        cmocka_unit_test(test_bad_segments),
        cmocka_unit_test(test_wrong_segment_count),
        cmocka_unit_test(test_unknown_kind),
        cmocka_unit_test(test_extension_under_nodes),
        cmocka_unit_test(test_node_under_extensions),
        cmocka_unit_test(test_hint_empty_on_other_errors),
        cmocka_unit_test(test_long_input),
        cmocka_unit_test(test_small_buffers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
