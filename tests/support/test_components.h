/* Option structs of the test-only components (tests/support/test_components.c). */
#ifndef DF_TEST_COMPONENTS_H
#define DF_TEST_COMPONENTS_H

#include <stdbool.h>
#include <stdint.h>

#include "df/options.h"

struct test_gen_config {
    int64_t rate;
    bool has_rate;
    uint64_t batch;
    uint64_t interval;
    int mode;
    double ratio;
    bool enabled;
};

struct test_listen_protocol {
    struct df_sockaddr listening_addr;
};

struct test_listen_protocols {
    struct test_listen_protocol *grpc;
    struct test_listen_protocol *http;
};

struct test_listen_config {
    struct test_listen_protocols protocols;
    struct df_list tags;
};

/* urn:test:extension:auth (tests/support/test_extensions.c). */
struct test_auth_config {
    struct df_map users;
};

#endif
