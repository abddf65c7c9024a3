/* Runtime behaviour of the test-only nodes (tests/support/test_nodes.c).
 *
 *   urn:test:receiver:gen      produces nothing by itself: a test injects
 *                              pdata with test_inject(); records outcomes
 *                              and resumes. With DF_TEST_GATE_FILE set in the
 *                              environment, its create hook waits (up to 60 s)
 *                              until that file exists: a pipeline that is
 *                              slow to build, for readiness tests. With
 *                              DF_TEST_START_FAIL set, its start hook fails.
 *   urn:test:processor:pass    forwards; with `test_probe.pass_subscribe`
 *                              it subscribes and records outcomes.
 *   urn:test:exporter:sink     settles as `test_probe.sink_mode` says, or
 *                              holds the pdata for test_sink_settle(); with
 *                              `sink_drain_hangs` its drain never finishes.
 *
 * pass and sink record the subject of each pdata's identity (the sender
 * authentication found: pd->ctx.identity) in `test_probe.last_subject`,
 * and log `identity subject=<s> provider=<p>` (INFO) whenever the identity
 * they see on their core changes, for the e2e tests.
 *
 * The probe is one global, for unit tests that run a pipeline on their own
 * thread; in multi-core runs only the gate is used. */
#ifndef DF_TEST_NODES_H
#define DF_TEST_NODES_H

#include <stdbool.h>
#include <stdint.h>

#include "df/node.h"

#define TEST_MAX 4096

struct test_event {
    const char *node; /* node id */
    uint64_t cookie;
    enum df_outcome outcome;
    char reason[128];
};

struct test_probe {
    struct df_node *receivers[8];
    unsigned nreceivers;
    unsigned resumes;
    bool gen_subscribe;  /* receivers subscribe to what they inject */
    bool pass_subscribe; /* pass subscribes too */
    int sink_mode;       /* DF_OUTCOME_ACK / _NACK_*, or DF_OUTCOME_NONE = hold */
    bool sink_drain_hangs;
    /* What sinks were handed, in order. */
    struct {
        struct df_node *node;
        struct df_pdata *pd; /* NULL once settled */
        uint64_t items;
        enum df_signal signal;
        const struct df_identity *identity; /* the pdata's sender */
    } sunk[TEST_MAX];
    unsigned nsunk;
    char last_subject[64]; /* of the last pdata with an identity */
    /* Outcomes seen by subscribers, in delivery order. */
    struct test_event events[TEST_MAX];
    unsigned nevents;
};

extern struct test_probe test_probe;

/* Resets the probe (sink_mode = ACK). */
void test_probe_reset(void);

/* Sends a pdata of `items` items viewing `bytes` from receiver `r` (index in
 * probe.receivers) with `cookie`; returns df_node_send's result. */
int test_inject(unsigned r, enum df_signal s, struct df_bytes *bytes, uint64_t items,
                uint64_t cookie);

/* test_inject with the sender's identity in the pdata's context. */
int test_inject_as(unsigned r, enum df_signal s, struct df_bytes *bytes, uint64_t items,
                   uint64_t cookie, const struct df_identity *identity);

/* Settles the i-th held sink pdata. */
void test_sink_settle(unsigned i, enum df_outcome o, const char *reason);

extern const struct df_node_ops test_gen_ops, test_pass_ops, test_sink_ops;

#endif
