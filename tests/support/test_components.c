/* Test-only components, linked into the unit tests and df_engine_test, never
 * into df_engine. They exercise registration, the catalog and config
 * validation with every kind of option, binding and port. Namespace `test`. */
#include <stddef.h>

#include "df/node.h"
#include "tests/support/test_components.h"
#include "tests/support/test_nodes.h"

static const char *const test_modes[] = {"fast", "safe", NULL};

static const struct df_option test_gen_opts[] = {
    {.name = "rate",
     .type = DF_OPT_INT,
     .flags = DF_OPT_BOUNDED | DF_OPT_NULLABLE,
     .min = 1,
     .max = 1000000,
     .offset = offsetof(struct test_gen_config, rate),
     .present = offsetof(struct test_gen_config, has_rate) + 1,
     .desc = "items per second; null = unlimited"},
    {.name = "batch",
     .type = DF_OPT_SIZE,
     .flags = DF_OPT_BOUNDED,
     .min = 1,
     .max = 64 << 20,
     .def = "4KiB",
     .offset = offsetof(struct test_gen_config, batch),
     .desc = "bytes per batch"},
    {.name = "interval",
     .type = DF_OPT_DURATION,
     .flags = DF_OPT_BOUNDED,
     .min = 1000000,
     .max = 3600000000000LL,
     .def = "250ms",
     .offset = offsetof(struct test_gen_config, interval),
     .desc = "time between batches"},
    {.name = "mode",
     .type = DF_OPT_ENUM,
     .enums = test_modes,
     .def = "fast",
     .offset = offsetof(struct test_gen_config, mode),
     .desc = "generation mode"},
    {.name = "ratio",
     .type = DF_OPT_FLOAT,
     .flags = DF_OPT_FBOUNDED,
     .fmin = 0,
     .fmax = 1,
     .def = "0.5",
     .offset = offsetof(struct test_gen_config, ratio),
     .desc = "a fraction"},
    {.name = "enabled",
     .type = DF_OPT_BOOL,
     .def = "true",
     .offset = offsetof(struct test_gen_config, enabled),
     .desc = "a switch"},
};

static const struct df_option_table test_gen_table =
    DF_OPTION_TABLE(struct test_gen_config, test_gen_opts, "Test generator options.");

DF_REGISTER_NODE(test_gen, "urn:test:receiver:gen", DF_NODE_RECEIVER,
                 "Test receiver with one option of each scalar type.",
                 "https://example.invalid/df_engine/test", .options = &test_gen_table,
                 .ops = &test_gen_ops);

static const struct df_option string_elem = {.type = DF_OPT_STRING};

static const struct df_option test_listen_protocol_opts[] = {
    {.name = "listening_addr",
     .type = DF_OPT_SOCKADDR,
     .flags = DF_OPT_REQUIRED,
     .offset = offsetof(struct test_listen_protocol, listening_addr),
     .desc = "address to bind"},
};

static const struct df_option_table test_listen_protocol_table = DF_OPTION_TABLE(
    struct test_listen_protocol, test_listen_protocol_opts, "One protocol listener.");

static const struct df_option test_listen_protocols_opts[] = {
    {.name = "grpc",
     .type = DF_OPT_TABLE,
     .flags = DF_OPT_BYREF,
     .table = &test_listen_protocol_table,
     .offset = offsetof(struct test_listen_protocols, grpc),
     .desc = "gRPC listener"},
    {.name = "http",
     .type = DF_OPT_TABLE,
     .flags = DF_OPT_BYREF,
     .table = &test_listen_protocol_table,
     .offset = offsetof(struct test_listen_protocols, http),
     .desc = "HTTP listener"},
};

static const struct df_option_table test_listen_protocols_table = DF_OPTION_TABLE(
    struct test_listen_protocols, test_listen_protocols_opts, "Listeners by protocol.");

static const struct df_option test_listen_opts[] = {
    {.name = "protocols",
     .type = DF_OPT_TABLE,
     .table = &test_listen_protocols_table,
     .offset = offsetof(struct test_listen_config, protocols),
     .desc = "listeners"},
    {.name = "tags",
     .type = DF_OPT_LIST,
     .elem = &string_elem,
     .flags = DF_OPT_ONE_OR_MANY,
     .offset = offsetof(struct test_listen_config, tags),
     .desc = "free tags"},
};

static const struct df_option_table test_listen_table =
    DF_OPTION_TABLE(struct test_listen_config, test_listen_opts, "Test listener options.");

static const char *const test_listen_consumes[] = {"test_auth", NULL};

DF_REGISTER_NODE(test_listen, "urn:test:receiver:listen", DF_NODE_RECEIVER,
                 "Test receiver with nested protocol tables and an auth binding.",
                 "https://example.invalid/df_engine/test", .options = &test_listen_table,
                 .consumes = test_listen_consumes);

DF_REGISTER_NODE(test_pass, "urn:test:processor:pass", DF_NODE_PROCESSOR,
                 "Test processor without options.", "https://example.invalid/df_engine/test",
                 .ops = &test_pass_ops);

DF_REGISTER_NODE(test_sink, "urn:test:exporter:sink", DF_NODE_EXPORTER,
                 "Test exporter without options.", "https://example.invalid/df_engine/test",
                 .ops = &test_sink_ops);
