/* Unit tests for the config model (config/model.h): df_config_parse on YAML
 * text with the test components (tests/support/test_components.c) linked in.
 * Covers policy resolution, resolved node and extension descriptors and
 * their parsed options, the embedded default, the graph checks, and the
 * marks, paths and collection of errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/model.h"
#include "df/error.h"
#include "tests/support/test_components.h"

#define NAME "model.yaml"

struct fx {
    struct df_diags d;
    struct df_config *cfg;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    df_config_free(f->cfg);
    free(f);
    return 0;
}

/* Prints the collected diagnostics without their file names (the file name
 * may live in the arena of a config that failed to load). */
static void dump(const struct df_diags *d)
{
    for (size_t i = 0; i < d->count; i++) {
        const struct df_error *e = &d->items[i];
        print_error("  %u:%u: %s: %s%s%s\n", e->mark.line, e->mark.col, e->path, e->msg,
                    e->hint[0] ? " | hint: " : "", e->hint);
    }
}

static struct df_config *parse(struct fx *f, const char *yaml)
{
    df_config_free(f->cfg);
    df_diags_reset(&f->d);
    f->cfg = df_config_parse(NAME, yaml, strlen(yaml), &f->d);
    return f->cfg;
}

/* Parses text that must be valid. */
static struct df_config *parse_ok(struct fx *f, const char *yaml)
{
    struct df_config *cfg = parse(f, yaml);
    if (!cfg || df_diags_total(&f->d)) {
        print_error("expected a valid config, got %zu error(s):\n", df_diags_total(&f->d));
        dump(&f->d);
    }
    assert_non_null(cfg);
    assert_int_equal(df_diags_total(&f->d), 0);
    return cfg;
}

/* Parses text that must be invalid with exactly `count` errors. */
static void parse_fail(struct fx *f, const char *yaml, size_t count)
{
    struct df_config *cfg = parse(f, yaml);
    assert_null(cfg);
    if (df_diags_total(&f->d) != count) {
        print_error("expected %zu error(s), got %zu:\n", count, df_diags_total(&f->d));
        dump(&f->d);
    }
    assert_int_equal(df_diags_total(&f->d), count);
}

/* Asserts that a diagnostic at line:col with exactly `path` has a message
 * containing `msg` (and, when `hint` is not NULL, a hint containing it). */
static void expect_diag(struct fx *f, unsigned line, unsigned col, const char *path,
                        const char *msg, const char *hint)
{
    for (size_t i = 0; i < f->d.count; i++) {
        const struct df_error *e = &f->d.items[i];
        if (e->mark.line == line && e->mark.col == col && !strcmp(e->path, path) &&
            strstr(e->msg, msg) && (!hint || strstr(e->hint, hint)))
            return;
    }
    print_error("no diagnostic %u:%u: %s: ...%s...%s%s among:\n", line, col, path, msg,
                hint ? " | hint: ..." : "", hint ? hint : "");
    dump(&f->d);
    fail();
}

static const struct df_pipeline_cfg *pipeline(const struct df_config *cfg, const char *group,
                                              const char *name)
{
    for (size_t g = 0; g < cfg->groups.count; g++) {
        if (strcmp(cfg->groups.keys[g], group))
            continue;
        const struct df_group_cfg *gc = DF_MAP_AT(cfg->groups, struct df_group_cfg, g);
        for (size_t p = 0; p < gc->pipelines.count; p++) {
            if (!strcmp(gc->pipelines.keys[p], name))
                return DF_MAP_AT(gc->pipelines, struct df_pipeline_cfg, p);
        }
    }
    print_error("no pipeline %s.%s\n", group, name);
    fail();
    return NULL;
}

static const struct df_node_cfg *node(const struct df_pipeline_cfg *pl, const char *id)
{
    for (size_t i = 0; i < pl->nodes.count; i++) {
        if (!strcmp(pl->nodes.keys[i], id))
            return DF_MAP_AT(pl->nodes, struct df_node_cfg, i);
    }
    print_error("no node %s\n", id);
    fail();
    return NULL;
}

static const struct df_extension_cfg *extension(const struct df_pipeline_cfg *pl, const char *id)
{
    for (size_t i = 0; i < pl->extensions.count; i++) {
        if (!strcmp(pl->extensions.keys[i], id))
            return DF_MAP_AT(pl->extensions, struct df_extension_cfg, i);
    }
    print_error("no extension %s\n", id);
    fail();
    return NULL;
}

static void expect_capacity(const struct df_pipeline_cfg *pl, int64_t pdata, int64_t node_,
                            int64_t pipeline_, int64_t completion)
{
    const struct df_channel_capacity *c = &pl->resolved.channel_capacity;
    assert_int_equal(c->pdata, pdata);
    assert_int_equal(c->control.node, node_);
    assert_int_equal(c->control.pipeline, pipeline_);
    assert_int_equal(c->control.completion, completion);
}

#define HEADER "version: otel_dataflow/v1\n"

/* A gen -> sink pipeline body at pipeline indentation (8 spaces). */
#define GEN_TO_SINK                                                                                \
    "        nodes:\n"                                                                             \
    "          gen: {type: urn:test:receiver:gen}\n"                                               \
    "          sink: {type: urn:test:exporter:sink}\n"                                             \
    "        connections:\n"                                                                       \
    "          - {from: gen, to: sink}\n"

/* ---- policies ------------------------------------------------------------ */

static void test_builtin_defaults(void **state)
{
    struct fx *f = *state;
    struct df_config *cfg = parse_ok(f, HEADER "groups:\n"
                                               "  g:\n"
                                               "    pipelines:\n"
                                               "      p:\n" GEN_TO_SINK);
    assert_string_equal(cfg->version, DF_CONFIG_VERSION);
    const struct df_pipeline_cfg *pl = pipeline(cfg, "g", "p");
    expect_capacity(pl, 128, 256, 256, 512);
    assert_int_equal(pl->resolved.core_allocation.strategy, DF_CORES_ALL);
    assert_int_equal(pl->type, DF_PIPELINE_OTAP);
    /* Nothing declared: every scope's policies are NULL (inherit). */
    assert_null(cfg->policies.channel_capacity);
    assert_null(cfg->policies.resources);
    assert_null(pl->policies.channel_capacity);
    /* Engine defaults come from the option tables. */
    assert_string_equal(cfg->engine.http_admin.bind_address.host, "127.0.0.1");
    assert_int_equal(cfg->engine.http_admin.bind_address.port, 8080);
    assert_int_equal(cfg->engine.telemetry.logs.level, DF_LOG_INFO);
    assert_int_equal(cfg->engine.telemetry.reporting_interval, 1000000000ULL);
    assert_int_equal(cfg->engine.telemetry.resource.count, 0);
}

static const char policies_yaml[] =
    HEADER "policies:\n"
           "  channel_capacity:\n"
           "    control: {node: 100, pipeline: 101, completion: 102}\n"
           "    pdata: 64\n"
           "  resources:\n"
           "    core_allocation: {strategy: core_count, count: 2}\n"
           "groups:\n"
           "  g1:\n"
           "    policies:\n"
           "      channel_capacity:\n"
           "        pdata: 32\n"
           "    pipelines:\n"
           "      own:\n"
           "        policies:\n"
           "          resources:\n"
           "            core_allocation:\n"
           "              type: core_set\n"
           "              set: [{start: 0, end: 1}, {start: 4, end: 6}]\n" GEN_TO_SINK
           "      from_group:\n" GEN_TO_SINK "      own_capacity:\n"
           "        policies:\n"
           "          channel_capacity: {control: {node: 7}}\n" GEN_TO_SINK "  g2:\n"
           "    pipelines:\n"
           "      from_top:\n" GEN_TO_SINK;

static void test_policy_resolution(void **state)
{
    struct fx *f = *state;
    struct df_config *cfg = parse_ok(f, policies_yaml);

    /* Top level only: both families from the top. */
    const struct df_pipeline_cfg *top = pipeline(cfg, "g2", "from_top");
    expect_capacity(top, 64, 100, 101, 102);
    assert_int_equal(top->resolved.core_allocation.strategy, DF_CORES_COUNT);
    assert_int_equal(top->resolved.core_allocation.count, 2);

    /* The group's channel_capacity replaces the top's whole: its omitted
     * control capacities take the built-in defaults, not the top's. The
     * group declares no resources, so they come from the top. */
    const struct df_pipeline_cfg *grp = pipeline(cfg, "g1", "from_group");
    expect_capacity(grp, 32, 256, 256, 512);
    assert_int_equal(grp->resolved.core_allocation.strategy, DF_CORES_COUNT);
    assert_int_equal(grp->resolved.core_allocation.count, 2);

    /* The pipeline's own resources (the `type:` alias), the group's
     * channel capacity. */
    const struct df_pipeline_cfg *own = pipeline(cfg, "g1", "own");
    expect_capacity(own, 32, 256, 256, 512);
    const struct df_core_allocation *ca = &own->resolved.core_allocation;
    assert_int_equal(ca->strategy, DF_CORES_SET);
    assert_true(ca->has_type);
    assert_false(ca->has_strategy);
    assert_int_equal(ca->set.count, 2);
    const struct df_core_range *r = ca->set.items;
    assert_int_equal(r[0].start, 0);
    assert_int_equal(r[0].end, 1);
    assert_int_equal(r[1].start, 4);
    assert_int_equal(r[1].end, 6);

    /* The pipeline's own channel capacity, default-filled. */
    const struct df_pipeline_cfg *cap = pipeline(cfg, "g1", "own_capacity");
    expect_capacity(cap, 128, 7, 256, 512);
    assert_int_equal(cap->resolved.core_allocation.strategy, DF_CORES_COUNT);

    /* The declared scopes are kept as written. */
    assert_non_null(cfg->policies.channel_capacity);
    assert_int_equal(cfg->policies.channel_capacity->pdata, 64);
    assert_non_null(cfg->policies.resources);
    assert_non_null(cfg->policies.resources->core_allocation);
    assert_true(cfg->policies.resources->core_allocation->has_count);
}

static void test_policy_errors(void **state)
{
    struct fx *f = *state;
    parse_fail(f,
               HEADER "policies:\n"                           /* 2 */
                      "  channel_capacity:\n"                 /* 3 */
                      "    pdata: 0\n"                        /* 4 */
                      "  resources:\n"                        /* 5 */
                      "    core_allocation:\n"                /* 6 */
                      "      strategy: core_count\n"          /* 7 */
                      "groups:\n"                             /* 8 */
                      "  g:\n"                                /* 9 */
                      "    policies:\n"                       /* 10 */
                      "      resources:\n"                    /* 11 */
                      "        core_allocation:\n"            /* 12 */
                      "          strategy: core_set\n"        /* 13 */
                      "          set: [{start: 3, end: 1}]\n" /* 14 */
                      "    pipelines:\n"                      /* 15 */
                      "      p:\n" GEN_TO_SINK,
               3);
    expect_diag(f, 4, 12, "policies.channel_capacity.pdata", "value 0 is out of range", NULL);
    expect_diag(f, 7, 7, "policies.resources.core_allocation", "core_count needs 'count'", NULL);
    expect_diag(f, 14, 17, "groups.g.policies.resources.core_allocation.set[0]",
                "core range start 3 is after end 1", NULL);
}

/* ---- nodes and extensions ------------------------------------------------- */

static const char nodes_yaml[] = HEADER "groups:\n"
                                        "  g:\n"
                                        "    pipelines:\n"
                                        "      p:\n"
                                        "        type: otlp\n"
                                        "        extensions:\n"
                                        "          auth:\n"
                                        "            type: urn:test:extension:auth\n"
                                        "            description: the users\n"
                                        "            config:\n"
                                        "              users: {alice: s3cret, bob: '1234'}\n"
                                        "          lookup:\n"
                                        "            type: URN:Test:Extension:lookup\n"
                                        "        nodes:\n"
                                        "          tuned:\n"
                                        "            type: urn:test:receiver:gen\n"
                                        "            description: every option\n"
                                        "            config:\n"
                                        "              rate: 500\n"
                                        "              batch: 2MiB\n"
                                        "              interval: 1m30s\n"
                                        "              mode: safe\n"
                                        "              ratio: 0.25\n"
                                        "              enabled: false\n"
                                        "          plain:\n"
                                        "            type: URN:TEST:Receiver:gen\n"
                                        "          unlimited:\n"
                                        "            type: urn:test:receiver:gen\n"
                                        "            config: {rate: null, batch: 1.5KiB}\n"
                                        "          listen:\n"
                                        "            type: urn:test:receiver:listen\n"
                                        "            config:\n"
                                        "              protocols:\n"
                                        "                grpc: {listening_addr: '[::1]:4317'}\n"
                                        "              tags: solo\n"
                                        "            capabilities: {test_auth: auth}\n"
                                        "          enrich:\n"
                                        "            type: urn:test:processor:enrich\n"
                                        "            capabilities: {test_lookup: lookup}\n"
                                        "            outputs: [main, rest]\n"
                                        "            default_output: main\n"
                                        "          sink:\n"
                                        "            type: urn:test:exporter:sink\n"
                                        "          rest_sink:\n"
                                        "            type: urn:test:exporter:sink\n"
                                        "        connections:\n"
                                        "          - from: [tuned, plain, unlimited, listen]\n"
                                        "            to: enrich\n"
                                        "          - from: enrich[\"main\"]\n"
                                        "            to: sink\n"
                                        "          - from: enrich['rest']\n"
                                        "            to: [rest_sink]\n"
                                        "            policies: {dispatch: broadcast}\n";

static void test_nodes_resolved(void **state)
{
    struct fx *f = *state;
    struct df_config *cfg = parse_ok(f, nodes_yaml);
    const struct df_pipeline_cfg *pl = pipeline(cfg, "g", "p");
    assert_int_equal(pl->type, DF_PIPELINE_OTLP);
    assert_int_equal(pl->nodes.count, 7);

    const struct df_node_cfg *tuned = node(pl, "tuned");
    assert_string_equal(tuned->id, "tuned");
    assert_string_equal(tuned->description, "every option");
    assert_non_null(tuned->desc);
    assert_string_equal(tuned->desc->urn, "urn:test:receiver:gen");
    assert_int_equal(tuned->desc->kind, DF_NODE_RECEIVER);
    assert_string_equal(tuned->urn.canonical, "urn:test:receiver:gen");
    assert_int_equal(tuned->urn.kind, DF_URN_RECEIVER);
    const struct test_gen_config *g = tuned->options;
    assert_non_null(g);
    assert_true(g->has_rate);
    assert_int_equal(g->rate, 500);
    assert_int_equal(g->batch, 2 << 20);
    assert_int_equal(g->interval, 90000000000ULL);
    assert_int_equal(g->mode, 1); /* safe */
    assert_true(g->ratio == 0.25);
    assert_false(g->enabled);

    /* Upper-case scheme, namespace and kind resolve to the canonical URN;
     * no config: every default, parsed from its text. */
    const struct df_node_cfg *plain = node(pl, "plain");
    assert_string_equal(plain->type, "URN:TEST:Receiver:gen");
    assert_string_equal(plain->urn.canonical, "urn:test:receiver:gen");
    assert_ptr_equal(plain->desc, tuned->desc);
    g = plain->options;
    assert_non_null(g);
    assert_false(g->has_rate);
    assert_int_equal(g->batch, 4096);
    assert_int_equal(g->interval, 250000000ULL);
    assert_int_equal(g->mode, 0); /* fast */
    assert_true(g->ratio == 0.5);
    assert_true(g->enabled);

    /* rate: null is accepted (nullable) and leaves it unset. */
    g = node(pl, "unlimited")->options;
    assert_false(g->has_rate);
    assert_int_equal(g->batch, 1536);

    /* Nested tables by reference: grpc given, http absent; a one-or-many
     * list given as one scalar. */
    const struct df_node_cfg *listen = node(pl, "listen");
    const struct test_listen_config *l = listen->options;
    assert_non_null(l);
    assert_non_null(l->protocols.grpc);
    assert_null(l->protocols.http);
    assert_string_equal(l->protocols.grpc->listening_addr.host, "::1");
    assert_int_equal(l->protocols.grpc->listening_addr.port, 4317);
    assert_int_equal(l->tags.count, 1);
    assert_string_equal(((const char **)l->tags.items)[0], "solo");
    assert_int_equal(listen->capabilities.count, 1);
    assert_string_equal(listen->capabilities.keys[0], "test_auth");
    assert_string_equal(*DF_MAP_AT(listen->capabilities, const char *, 0), "auth");

    /* Without `config:` the defaults are parsed; ports are kept. */
    const struct df_node_cfg *enrich = node(pl, "enrich");
    assert_string_equal(enrich->desc->urn, "urn:test:processor:enrich");
    assert_int_equal(enrich->desc->kind, DF_NODE_PROCESSOR);
    assert_non_null(enrich->options);
    assert_null(enrich->config);
    assert_int_equal(enrich->outputs.count, 2);
    assert_string_equal(((const char **)enrich->outputs.items)[1], "rest");
    assert_string_equal(enrich->default_output, "main");
    const struct df_node_cfg *sink = node(pl, "sink");
    assert_int_equal(sink->desc->kind, DF_NODE_EXPORTER);
    assert_int_equal(sink->urn.kind, DF_URN_EXPORTER);

    /* Connections as written. */
    assert_int_equal(pl->connections.count, 3);
    const struct df_connection_cfg *c0 = DF_LIST_AT(pl->connections, struct df_connection_cfg, 0);
    assert_int_equal(c0->from.count, 4);
    assert_int_equal(c0->to.count, 1);
    assert_int_equal(c0->policies.dispatch, DF_DISPATCH_ONE_OF);
    const struct df_connection_cfg *c2 = DF_LIST_AT(pl->connections, struct df_connection_cfg, 2);
    assert_string_equal(((const char **)c2->from.items)[0], "enrich['rest']");
    assert_int_equal(c2->policies.dispatch, DF_DISPATCH_BROADCAST);
}

static void test_extensions_resolved(void **state)
{
    struct fx *f = *state;
    struct df_config *cfg = parse_ok(f, nodes_yaml);
    const struct df_pipeline_cfg *pl = pipeline(cfg, "g", "p");
    assert_int_equal(pl->extensions.count, 2);

    const struct df_extension_cfg *auth = extension(pl, "auth");
    assert_string_equal(auth->id, "auth");
    assert_string_equal(auth->description, "the users");
    assert_non_null(auth->desc);
    assert_string_equal(auth->desc->urn, "urn:test:extension:auth");
    assert_int_equal(auth->desc->exec_model, DF_EXEC_LOCAL);
    assert_int_equal(auth->desc->lifecycle, DF_LIFECYCLE_PASSIVE);
    assert_int_equal(auth->urn.kind, DF_URN_EXTENSION);
    const struct test_auth_config *a = auth->options;
    assert_non_null(a);
    assert_int_equal(a->users.count, 2);
    assert_string_equal(a->users.keys[0], "alice");
    assert_string_equal(*DF_MAP_AT(a->users, const char *, 0), "s3cret");
    assert_string_equal(a->users.keys[1], "bob");
    assert_string_equal(*DF_MAP_AT(a->users, const char *, 1), "1234");

    const struct df_extension_cfg *lookup = extension(pl, "lookup");
    assert_string_equal(lookup->urn.canonical, "urn:test:extension:lookup");
    assert_non_null(lookup->desc);
    assert_int_equal(lookup->desc->exec_model, DF_EXEC_SHARED);
    assert_int_equal(lookup->desc->lifecycle, DF_LIFECYCLE_ACTIVE);
    assert_non_null(lookup->options); /* defaults */
}

static void test_env_substitution(void **state)
{
    struct fx *f = *state;
    setenv("DF_T_MODEL_RATE", "42", 1);
    unsetenv("DF_T_MODEL_UNSET");
    struct df_config *cfg =
        parse_ok(f, HEADER "groups:\n"
                           "  g:\n"
                           "    pipelines:\n"
                           "      p:\n"
                           "        nodes:\n"
                           "          gen:\n"
                           "            type: urn:test:receiver:gen\n"
                           "            config:\n"
                           "              rate: ${env:DF_T_MODEL_RATE}\n"
                           "              interval: ${env:DF_T_MODEL_UNSET:-3}s\n"
                           "          sink: {type: urn:test:exporter:sink}\n"
                           "        connections:\n"
                           "          - {from: gen, to: sink}\n");
    const struct test_gen_config *g = node(pipeline(cfg, "g", "p"), "gen")->options;
    assert_int_equal(g->rate, 42);
    assert_int_equal(g->interval, 3000000000ULL);
    unsetenv("DF_T_MODEL_RATE");
    parse_fail(f,
               HEADER "groups:\n"
                      "  g:\n"
                      "    pipelines:\n"
                      "      p:\n"
                      "        nodes:\n"
                      "          gen:\n"
                      "            type: urn:test:receiver:gen\n"
                      "            config:\n"
                      "              rate: ${env:DF_T_MODEL_UNSET}\n"
                      "          sink: {type: urn:test:exporter:sink}\n"
                      "        connections:\n"
                      "          - {from: gen, to: sink}\n",
               1);
    expect_diag(f, 10, 21, "groups.g.pipelines.p.nodes.gen.config.rate",
                "environment variable 'DF_T_MODEL_UNSET' is not set", "${env:VAR:-value}");
}

static void test_json_config(void **state)
{
    struct fx *f = *state;
    struct df_config *cfg = parse_ok(
        f, "{\"version\": \"otel_dataflow/v1\", \"engine\": {\"telemetry\": {\"logs\": "
           "{\"level\": \"debug\"}}}, \"groups\": {\"g\": {\"pipelines\": {\"p\": {\"nodes\": "
           "{\"gen\": {\"type\": \"urn:test:receiver:gen\", \"config\": {\"rate\": 7}}, "
           "\"sink\": {\"type\": \"urn:test:exporter:sink\"}}, \"connections\": [{\"from\": "
           "\"gen\", \"to\": [\"sink\"]}]}}}}}");
    assert_int_equal(cfg->engine.telemetry.logs.level, DF_LOG_DEBUG);
    const struct test_gen_config *g = node(pipeline(cfg, "g", "p"), "gen")->options;
    assert_int_equal(g->rate, 7);
}

/* ---- the embedded default ------------------------------------------------ */

/* Types this build lacks are named, with their kind; a capability nobody
 * defines is reported at its key. */
static void test_unknown_otel_types(void **state)
{
    struct fx *f = *state;
    parse_fail(f,
               HEADER "groups:\n"                                       /* 2 */
                      "  default:\n"                                    /* 3 */
                      "    pipelines:\n"                                /* 4 */
                      "      main:\n"                                   /* 5 */
                      "        extensions:\n"                           /* 6 */
                      "          auth: {type: extension:ldap_auth}\n"   /* 7 */
                      "        nodes:\n"                                /* 8 */
                      "          kafka:\n"                              /* 9 */
                      "            type: receiver:kafka\n"              /* 10 */
                      "            capabilities: {server_auth: auth}\n" /* 11 */
                      "          console: {type: exporter:console}\n"   /* 12 */
                      "        connections:\n"
                      "          - {from: kafka, to: console}\n",
               3);
    expect_diag(f, 7, 24, "groups.default.pipelines.main.extensions.auth.type",
                "unknown extension type 'extension:ldap_auth'", NULL);
    expect_diag(f, 10, 19, "groups.default.pipelines.main.nodes.kafka.type",
                "unknown receiver type 'receiver:kafka'", NULL);
    expect_diag(f, 11, 28, "groups.default.pipelines.main.nodes.kafka.capabilities.server_auth",
                "node 'kafka' binds unknown capability 'server_auth' (to extension 'auth')",
                "known capabilities: auth_check, bearer_token_provider, dataset_lookup, "
                "request_headers, test_auth, "
                "test_lookup");
}

static void test_embedded_default_config(void **state)
{
    struct fx *f = *state;
    df_diags_reset(&f->d);
    f->cfg = df_config_parse("<embedded default>", df_default_config, df_default_config_len, &f->d);
    if (!f->cfg)
        dump(&f->d);
    assert_non_null(f->cfg);
    assert_int_equal(strlen(df_default_config), df_default_config_len);
    assert_true(f->cfg->groups.count >= 1);
}

/* ---- the graph ------------------------------------------------------------ */

static void test_cycle_lists_nodes_in_order(void **state)
{
    struct fx *f = *state;
    parse_fail(f,
               HEADER "groups:\n"                                           /* 2 */
                      "  g:\n"                                              /* 3 */
                      "    pipelines:\n"                                    /* 4 */
                      "      p:\n"                                          /* 5 */
                      "        nodes:\n"                                    /* 6 */
                      "          gen: {type: urn:test:receiver:gen}\n"      /* 7 */
                      "          parse: {type: urn:test:processor:pass}\n"  /* 8 */
                      "          filter: {type: urn:test:processor:pass}\n" /* 9 */
                      "          enrich: {type: urn:test:processor:pass}\n" /* 10 */
                      "          sink: {type: urn:test:exporter:sink}\n"    /* 11 */
                      "        connections:\n"
                      "          - {from: gen, to: parse}\n"
                      "          - {from: parse, to: filter}\n"
                      "          - {from: filter, to: enrich}\n"
                      "          - {from: enrich, to: [sink, parse]}\n",
               1);
    expect_diag(f, 8, 11, "groups.g.pipelines.p",
                "the connections form a cycle: parse -> filter -> enrich -> parse",
                "directed acyclic graph");
}

static void test_unconnected_nodes(void **state)
{
    struct fx *f = *state;
    parse_fail(f,
               HEADER "groups:\n"                                           /* 2 */
                      "  g:\n"                                              /* 3 */
                      "    pipelines:\n"                                    /* 4 */
                      "      p:\n"                                          /* 5 */
                      "        nodes:\n"                                    /* 6 */
                      "          gen: {type: urn:test:receiver:gen}\n"      /* 7 */
                      "          idle: {type: urn:test:receiver:gen}\n"     /* 8 */
                      "          orphan: {type: urn:test:processor:pass}\n" /* 9 */
                      "          stub: {type: urn:test:processor:pass}\n"   /* 10 */
                      "          sink: {type: urn:test:exporter:sink}\n"    /* 11 */
                      "          spare: {type: urn:test:exporter:sink}\n"   /* 12 */
                      "        connections:\n"
                      "          - {from: gen, to: [sink, stub]}\n"
                      "          - {from: orphan, to: sink}\n",
               4);
    const char *hint = "connect it in groups.g.pipelines.p.connections or remove it";
    expect_diag(f, 8, 11, "groups.g.pipelines.p.nodes.idle", "receiver 'idle' sends to nothing",
                hint);
    expect_diag(f, 9, 11, "groups.g.pipelines.p.nodes.orphan",
                "processor 'orphan' receives from nothing", hint);
    expect_diag(f, 10, 11, "groups.g.pipelines.p.nodes.stub", "processor 'stub' sends to nothing",
                hint);
    expect_diag(f, 12, 11, "groups.g.pipelines.p.nodes.spare",
                "exporter 'spare' receives from nothing", hint);
}

static void test_ports(void **state)
{
    struct fx *f = *state;
    /* Declared ports, both quote styles, and "default" on a node without
     * outputs. */
    parse_ok(f, HEADER "groups:\n"
                       "  g:\n"
                       "    pipelines:\n"
                       "      p:\n"
                       "        nodes:\n"
                       "          gen: {type: urn:test:receiver:gen}\n"
                       "          route:\n"
                       "            type: urn:test:processor:pass\n"
                       "            outputs: [ok, err]\n"
                       "          a: {type: urn:test:exporter:sink}\n"
                       "          b: {type: urn:test:exporter:sink}\n"
                       "        connections:\n"
                       "          - {from: 'gen[\"default\"]', to: route}\n"
                       "          - {from: 'route[\"ok\"]', to: a}\n"
                       "          - {from: \"route['err']\", to: b}\n");

    parse_fail(f,
               HEADER "groups:\n"                                      /* 2 */
                      "  g:\n"                                         /* 3 */
                      "    pipelines:\n"                               /* 4 */
                      "      p:\n"                                     /* 5 */
                      "        nodes:\n"                               /* 6 */
                      "          gen: {type: urn:test:receiver:gen}\n" /* 7 */
                      "          route:\n"                             /* 8 */
                      "            type: urn:test:processor:pass\n"    /* 9 */
                      "            outputs: [ok, err]\n"               /* 10 */
                      "          a: {type: urn:test:exporter:sink}\n"  /* 11 */
                      "        connections:\n"                         /* 12 */
                      "          - from: gen[\"main\"]\n"              /* 13 */
                      "            to: route\n"                        /* 14 */
                      "          - from: route[\"okay\"]\n"            /* 15 */
                      "            to: a\n"                            /* 16 */
                      "          - from: route[ok]\n"                  /* 17 */
                      "            to: a\n",                           /* 18 */
               3);
    expect_diag(f, 13, 19, "groups.g.pipelines.p.connections[0].from",
                "node 'gen' has no output port 'main'", "outputs: [\"main\"]");
    expect_diag(f, 15, 19, "groups.g.pipelines.p.connections[1].from",
                "node 'route' has no output port 'okay'",
                "groups.g.pipelines.p.nodes.route.outputs");
    expect_diag(f, 17, 19, "groups.g.pipelines.p.connections[2].from", "the port must be quoted",
                NULL);
}

static void test_connection_kinds(void **state)
{
    struct fx *f = *state;
    parse_fail(f,
               HEADER "groups:\n"                                        /* 2 */
                      "  g:\n"                                           /* 3 */
                      "    pipelines:\n"                                 /* 4 */
                      "      p:\n"                                       /* 5 */
                      "        nodes:\n"                                 /* 6 */
                      "          gen: {type: urn:test:receiver:gen}\n"   /* 7 */
                      "          relay: {type: urn:test:receiver:gen}\n" /* 8 */
                      "          sink: {type: urn:test:exporter:sink}\n" /* 9 */
                      "          copy: {type: urn:test:exporter:sink}\n" /* 10 */
                      "        connections:\n"                           /* 11 */
                      "          - {from: gen, to: [relay, sink]}\n"     /* 12 */
                      "          - {from: [relay, sink], to: copy}\n"    /* 13 */
                      "          - {from: gen, to: snik}\n"              /* 14 */
                      "          - from: gen\n"                          /* 15 */
                      "            to: [sink, copy]\n"                   /* 16 */
                      "            policies: {dispatch: broadcast}\n",   /* 17 */
               4);
    expect_diag(f, 12, 30, "groups.g.pipelines.p.connections[0].to",
                "'relay' is a receiver and cannot be a connection destination", NULL);
    expect_diag(f, 13, 28, "groups.g.pipelines.p.connections[1].from",
                "'sink' is an exporter and cannot be a connection source", NULL);
    expect_diag(f, 14, 29, "groups.g.pipelines.p.connections[2].to", "unknown node 'snik'",
                "did you mean 'sink'?");
    expect_diag(f, 15, 13, "groups.g.pipelines.p.connections[3]",
                "broadcast to several destinations is not supported yet", NULL);
}

/* ---- errors: marks, paths, collection -------------------------------------- */

static void test_error_marks_and_paths(void **state)
{
    struct fx *f = *state;
    parse_fail(f,
               HEADER "groups:\n"                                         /* 2 */
                      "  g:\n"                                            /* 3 */
                      "    pipelines:\n"                                  /* 4 */
                      "      p:\n"                                        /* 5 */
                      "        extensions:\n"                             /* 6 */
                      "          auth: {type: urn:test:extension:auth}\n" /* 7 */
                      "        nodes:\n"                                  /* 8 */
                      "          gen:\n"                                  /* 9 */
                      "            type: urn:test:receiver:gen\n"         /* 10 */
                      "            config:\n"                             /* 11 */
                      "              rat: 5\n"                            /* 12 */
                      "          listen:\n"                               /* 13 */
                      "            type: urn:test:receiver:listen\n"      /* 14 */
                      "            capabilities:\n"                       /* 15 */
                      "              test_lookup: auth\n"                 /* 16 */
                      "          pass:\n"                                 /* 17 */
                      "            type: urn:test:processor:pass\n"       /* 18 */
                      "            config: {x: 1}\n"                      /* 19 */
                      "          sink: {type: urn:test:exporter:sink}\n"  /* 20 */
                      "        connections:\n"                            /* 21 */
                      "          - {from: [gen, listen], to: pass}\n"     /* 22 */
                      "          - {from: pass, to: sink}\n",             /* 23 */
               4);
    expect_diag(f, 12, 15, "groups.g.pipelines.p.nodes.gen.config.rat", "unknown key 'rat'",
                "did you mean 'rate'?");
    expect_diag(f, 16, 28, "groups.g.pipelines.p.nodes.listen.capabilities.test_lookup",
                "node 'listen' binds capability 'test_lookup' to extension 'auth', whose provider "
                "urn:test:extension:auth does not implement it",
                "'test_lookup' is implemented by urn:test:extension:lookup, "
                "urn:test:extension:lookup_local");
    expect_diag(f, 16, 15, "groups.g.pipelines.p.nodes.listen.capabilities.test_lookup",
                "node 'listen' (urn:test:receiver:listen) does not consume capability "
                "'test_lookup'",
                "urn:test:receiver:listen consumes only: test_auth");
    expect_diag(f, 19, 21, "groups.g.pipelines.p.nodes.pass.config",
                "'urn:test:processor:pass' takes no config", "remove the config: key");

    /* Shape errors: unknown keys at the top and in the engine, a wrong
     * kind, an out-of-range value, each with its own path. */
    parse_fail(f,
               HEADER "grups: {}\n"                      /* 2 */
                      "engine:\n"                        /* 3 */
                      "  http_admin: {bind_adress: x}\n" /* 4 */
                      "  telemetry:\n"                   /* 5 */
                      "    reporting_interval: 5ms\n"    /* 6 */
                      "groups:\n"                        /* 7 */
                      "  g:\n"                           /* 8 */
                      "    pipelines:\n"                 /* 9 */
                      "      p:\n"                       /* 10 */
                      "        nodes: [gen]\n",          /* 11 */
               4);
    expect_diag(f, 2, 1, "grups", "unknown key 'grups'", "did you mean 'groups'?");
    expect_diag(f, 4, 16, "engine.http_admin.bind_adress", "unknown key 'bind_adress'",
                "did you mean 'bind_address'?");
    expect_diag(f, 6, 25, "engine.telemetry.reporting_interval",
                "duration 5ms is out of range (100ms..1h)", NULL);
    expect_diag(f, 11, 16, "groups.g.pipelines.p.nodes", "expected map, found sequence", NULL);

    /* Version problems. */
    parse_fail(f, "version: otel_dataflow/v2\ngroups: {}\n", 1);
    expect_diag(f, 1, 10, "version", "unsupported version 'otel_dataflow/v2'",
                "write version: otel_dataflow/v1");
    parse_fail(f, "\ngroups: {}\n", 1);
    expect_diag(f, 2, 1, "", "missing required key 'version'", NULL);

    /* No pipeline, an empty pipeline. */
    parse_fail(f, HEADER "groups:\n  g:\n    pipelines:\n      p: {nodes: {}}\n", 1);
    expect_diag(f, 5, 10, "groups.g.pipelines.p", "pipeline has no nodes", NULL);
    parse_fail(f, HEADER "groups: {}\n", 1);
    expect_diag(f, 2, 9, "groups", "the config declares no pipeline", NULL);
    parse_fail(f, HEADER, 1);
    expect_diag(f, 1, 1, "groups", "the config declares no pipeline", NULL);
}

static void test_errors_are_collected(void **state)
{
    struct fx *f = *state;
    /* Validation problems in two groups: none hides another. */
    parse_fail(f,
               HEADER "groups:\n"                                                /* 2 */
                      "  a:\n"                                                   /* 3 */
                      "    pipelines:\n"                                         /* 4 */
                      "      p:\n"                                               /* 5 */
                      "        nodes:\n"                                         /* 6 */
                      "          gen: {type: urn:test:receiver:gne}\n"           /* 7 */
                      "          tuned:\n"                                       /* 8 */
                      "            type: urn:test:receiver:gen\n"                /* 9 */
                      "            config: {rate: 0, mode: slow, interval: 5}\n" /* 10 */
                      "          sink: {type: urn:test:exporter:sink}\n"         /* 11 */
                      "        connections:\n"                                   /* 12 */
                      "          - {from: [gen, tuned], to: sinc}\n"             /* 13 */
                      "  b:\n"                                                   /* 14 */
                      "    pipelines:\n"                                         /* 15 */
                      "      q:\n"                                               /* 16 */
                      "        extensions:\n"                                    /* 17 */
                      "          x: {type: urn:test:extension:nope}\n"           /* 18 */
                      "        nodes:\n"                                         /* 19 */
                      "          gen: {type: urn:test:receiver:gen}\n"           /* 20 */
                      "          e: {type: urn:test:extension:auth}\n"           /* 21 */
                      "          sink: {type: urn:test:exporter:sink}\n"         /* 22 */
                      "        connections:\n"                                   /* 23 */
                      "          - {from: gen, to: sink}\n",                     /* 24 */
               7);
    expect_diag(f, 7, 23, "groups.a.pipelines.p.nodes.gen.type",
                "unknown receiver type 'urn:test:receiver:gne'",
                "did you mean 'urn:test:receiver:gen'?");
    expect_diag(f, 10, 28, "groups.a.pipelines.p.nodes.tuned.config.rate",
                "value 0 is out of range (1..1000000)", NULL);
    expect_diag(f, 10, 37, "groups.a.pipelines.p.nodes.tuned.config.mode", "unknown value 'slow'",
                NULL);
    expect_diag(f, 10, 53, "groups.a.pipelines.p.nodes.tuned.config.interval",
                "a number needs a unit", NULL);
    expect_diag(f, 13, 38, "groups.a.pipelines.p.connections[0].to", "unknown node 'sinc'",
                "did you mean 'sink'?");
    expect_diag(f, 18, 21, "groups.b.pipelines.q.extensions.x.type",
                "unknown extension type 'urn:test:extension:nope'", NULL);
    expect_diag(f, 21, 21, "groups.b.pipelines.q.nodes.e.type",
                "'urn:test:extension:auth' is an extension, which does not belong under nodes:",
                "extensions:");

    /* More problems than the collector holds: the rest are counted. */
    enum { BIG = 64 * 1024 };
    char *big = malloc(BIG);
    assert_non_null(big);
    size_t len = (size_t)snprintf(big, BIG,
                                  HEADER "groups:\n  g:\n    pipelines:\n"
                                         "      p:\n        nodes:\n"
                                         "          sink: {type: urn:test:exporter:sink}\n");
    for (int i = 0; i < 100; i++)
        len +=
            (size_t)snprintf(big + len, BIG - len,
                             "          n%d: {type: urn:test:receiver:gen, config: {x: 1}}\n", i);
    len += (size_t)snprintf(big + len, BIG - len,
                            "        connections:\n          - to: sink\n"
                            "            from:\n");
    for (int i = 0; i < 100; i++)
        len += (size_t)snprintf(big + len, BIG - len, "              - n%d\n", i);
    assert_true(len < BIG - 1);
    parse_fail(f, big, 100);
    free(big);
    assert_int_equal(f->d.count, DF_DIAGS_MAX);
    assert_int_equal(f->d.dropped, 100 - DF_DIAGS_MAX);
    expect_diag(f, 8, 54, "groups.g.pipelines.p.nodes.n0.config.x", "unknown key 'x'", NULL);
}

/* ---- extensions: node keys, unbound instances ------------------------------ */

/* An extension declaration with the keys only nodes have: one error each,
 * at the key, saying why, not the walker's "unknown key". */
static void test_extension_node_keys(void **state)
{
    struct fx *f = *state;
    parse_fail(f,
               HEADER "groups:\n"                                        /* 2 */
                      "  g:\n"                                           /* 3 */
                      "    pipelines:\n"                                 /* 4 */
                      "      p:\n"                                       /* 5 */
                      "        extensions:\n"                            /* 6 */
                      "          auth:\n"                                /* 7 */
                      "            type: urn:test:extension:auth\n"      /* 8 */
                      "            capabilities: {test_auth: auth}\n"    /* 9 */
                      "            outputs: [a]\n"                       /* 10 */
                      "            default_output: a\n"                  /* 11 */
                      "          bare:\n"                                /* 12 */
                      "            type: urn:test:extension:auth\n"      /* 13 */
                      "            capabilities: {}\n"                   /* 14 */
                      "        nodes:\n"                                 /* 15 */
                      "          listen:\n"                              /* 16 */
                      "            type: urn:test:receiver:listen\n"     /* 17 */
                      "            capabilities: {test_auth: auth}\n"    /* 18 */
                      "          sink: {type: urn:test:exporter:sink}\n" /* 19 */
                      "        connections:\n"
                      "          - {from: listen, to: sink}\n",
               4);
    const char *why = "extensions do not bind capabilities or have outputs; only nodes do";
    expect_diag(f, 9, 13, "groups.g.pipelines.p.extensions.auth.capabilities",
                "extension 'auth' has 'capabilities': ", "capabilities: {test_auth: auth}");
    expect_diag(f, 9, 13, "groups.g.pipelines.p.extensions.auth.capabilities", why, NULL);
    expect_diag(f, 10, 13, "groups.g.pipelines.p.extensions.auth.outputs",
                "extension 'auth' has 'outputs': ", "output ports are declared on nodes");
    expect_diag(f, 11, 13, "groups.g.pipelines.p.extensions.auth.default_output", why,
                "output ports are declared on nodes");
    expect_diag(f, 14, 13, "groups.g.pipelines.p.extensions.bare.capabilities",
                "extension 'bare' has 'capabilities': ", "{<capability>: bare}");
    for (size_t i = 0; i < f->d.count; i++)
        assert_null(strstr(f->d.items[i].msg, "unknown key"));
}

/* Returns the only diagnostic, which must be a warning. */
static const struct df_error *only_warning(struct fx *f)
{
    if (f->d.count != 1)
        dump(&f->d);
    assert_int_equal(f->d.count, 1);
    assert_int_equal(f->d.warnings, 1);
    assert_true(f->d.items[0].warning);
    return &f->d.items[0];
}

/* An instance no node binds: the config is valid, with one warning at the
 * instance's key. Background providers are never bound and get none; nor
 * does a pipeline whose bindings already failed (the warning would repeat
 * the error). */
static void test_unbound_extension_warns(void **state)
{
    struct fx *f = *state;
    struct df_config *cfg = parse(f, HEADER "groups:\n"             /* 2 */
                                            "  g:\n"                /* 3 */
                                            "    pipelines:\n"      /* 4 */
                                            "      p:\n"            /* 5 */
                                            "        extensions:\n" /* 6 */
                                            "          auth: {type: urn:test:extension:auth}\n"
                                            "          spare: {type: urn:test:extension:lookup}\n"
                                            "          beat: {type: urn:test:extension:heartbeat}\n"
                                            "        nodes:\n"
                                            "          listen:\n"
                                            "            type: urn:test:receiver:listen\n"
                                            "            capabilities: {test_auth: auth}\n"
                                            "          sink: {type: urn:test:exporter:sink}\n"
                                            "        connections:\n"
                                            "          - {from: listen, to: sink}\n");
    assert_non_null(cfg);
    assert_int_equal(df_diags_total(&f->d), 0);
    const struct df_error *w = only_warning(f);
    assert_int_equal(w->mark.line, 8);
    assert_int_equal(w->mark.col, 11);
    assert_string_equal(w->path, "groups.g.pipelines.p.extensions.spare");
    assert_string_equal(w->msg, "extension 'spare' (urn:test:extension:lookup) is not bound by "
                                "any node; it runs, but nothing calls it");
    assert_string_equal(w->hint, "bind it on a node, capabilities: {test_lookup: spare}, or "
                                 "remove it");

    /* Bound by a node that is not the first: no warning. */
    parse_ok(f, HEADER "groups:\n  g:\n    pipelines:\n      p:\n"
                       "        extensions:\n"
                       "          lookup: {type: urn:test:extension:lookup}\n"
                       "          beat: {type: urn:test:extension:heartbeat}\n"
                       "        nodes:\n"
                       "          gen: {type: urn:test:receiver:gen}\n"
                       "          a: {type: urn:test:processor:pass}\n"
                       "          b:\n"
                       "            type: urn:test:processor:enrich\n"
                       "            capabilities: {test_lookup: lookup}\n"
                       "          sink: {type: urn:test:exporter:sink}\n"
                       "        connections:\n"
                       "          - {from: gen, to: a}\n"
                       "          - {from: a, to: b}\n"
                       "          - {from: b, to: sink}\n");
    assert_int_equal(f->d.count, 0);
    assert_int_equal(f->d.warnings, 0);

    /* A misnamed binding: the error, and no warning for the instance it
     * meant. */
    parse_fail(f,
               HEADER "groups:\n  g:\n    pipelines:\n      p:\n"
                      "        extensions:\n"
                      "          auth: {type: urn:test:extension:auth}\n"
                      "        nodes:\n"
                      "          listen:\n"
                      "            type: urn:test:receiver:listen\n"
                      "            capabilities: {test_auth: auht}\n"
                      "          sink: {type: urn:test:exporter:sink}\n"
                      "        connections:\n"
                      "          - {from: listen, to: sink}\n",
               1);
    assert_int_equal(f->d.warnings, 0);

    /* Warnings in one pipeline do not fail validation, and errors in
     * another are still counted as errors only. */
    parse_fail(f,
               HEADER "groups:\n  g:\n    pipelines:\n"
                      "      p:\n"
                      "        extensions:\n"
                      "          spare: {type: urn:test:extension:auth}\n" GEN_TO_SINK "      q:\n"
                      "        nodes:\n"
                      "          gen: {type: urn:test:receiver:gen, config: {rate: 0}}\n"
                      "          sink: {type: urn:test:exporter:sink}\n"
                      "        connections:\n"
                      "          - {from: gen, to: sink}\n",
               1);
    assert_int_equal(f->d.warnings, 1);
    assert_int_equal(f->d.count, 2);
}

/* A diagnostic's mark names the file, and the name stays readable after
 * df_config_parse returned NULL (the caller prints the diagnostics after the
 * failed config is gone). */
static void test_error_marks_name_the_file(void **state)
{
    struct fx *f = *state;
    parse_fail(f, HEADER "groups:\n  g:\n    pipelines:\n      p: {nodes: {}}\n", 1);
    assert_non_null(f->d.items[0].mark.file);
    assert_string_equal(f->d.items[0].mark.file, NAME);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_builtin_defaults),
        T(test_policy_resolution),
        T(test_policy_errors),
        T(test_nodes_resolved),
        T(test_extensions_resolved),
        T(test_env_substitution),
        T(test_json_config),
        T(test_unknown_otel_types),
        T(test_embedded_default_config),
        T(test_cycle_lists_nodes_in_order),
        T(test_unconnected_nodes),
        T(test_ports),
        T(test_connection_kinds),
        T(test_error_marks_and_paths),
        T(test_errors_are_collected),
        T(test_extension_node_keys),
        T(test_unbound_extension_warns),
        /* Last: it reads the file name of a failed config's marks. */
        T(test_error_marks_name_the_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
