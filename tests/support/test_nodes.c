/* Runtime hooks of the test-only nodes (tests/support/test_nodes.h). */
#include "tests/support/test_nodes.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "df/capabilities/auth_check.h"

struct test_probe test_probe;

void test_probe_reset(void)
{
    memset(&test_probe, 0, sizeof test_probe);
    test_probe.sink_mode = DF_OUTCOME_ACK;
}

static void record(struct df_node *node, struct df_pdata *pd, uint64_t cookie)
{
    if (test_probe.nevents >= TEST_MAX)
        return;
    struct test_event *e = &test_probe.events[test_probe.nevents++];
    e->node = df_node_name(node);
    e->cookie = cookie;
    e->outcome = pd->outcome;
    snprintf(e->reason, sizeof e->reason, "%s", pd->reason ? pd->reason : "");
}

static int gen_create(struct df_node *node, const void *options, void **state, struct df_error *err)
{
    const char *gate = getenv("DF_TEST_GATE_FILE");
    for (int i = 0; gate && i < 6000 && access(gate, F_OK); i++)
        usleep(10000);
    /* Several cores may build at once in df_engine_test. */
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_lock(&lock);
    if (test_probe.nreceivers < 8)
        test_probe.receivers[test_probe.nreceivers++] = node;
    pthread_mutex_unlock(&lock);
    return 0;
}

static int gen_start(struct df_node *node, void *state, struct df_error *err)
{
    if (!getenv("DF_TEST_START_FAIL"))
        return 0;
    snprintf(err->msg, sizeof err->msg, "refusing to start (DF_TEST_START_FAIL)");
    return DF_EINVAL;
}

static bool gen_outcome(struct df_node *node, void *state, struct df_pdata *pd, uint64_t cookie)
{
    record(node, pd, cookie);
    return false;
}

static void gen_resume(struct df_node *node, void *state)
{
    test_probe.resumes++;
}

const struct df_node_ops test_gen_ops = {
    .create = gen_create, .start = gen_start, .outcome = gen_outcome, .resume = gen_resume};

int test_inject(unsigned r, enum df_signal s, struct df_bytes *bytes, uint64_t items,
                uint64_t cookie)
{
    return test_inject_as(r, s, bytes, items, cookie, NULL);
}

int test_inject_as(unsigned r, enum df_signal s, struct df_bytes *bytes, uint64_t items,
                   uint64_t cookie, const struct df_identity *identity)
{
    struct df_node *node = test_probe.receivers[r];
    struct df_pdata *pd = df_pdata_new(node, s, bytes, bytes->data, bytes->len, items);
    if (!pd)
        return DF_ENOMEM;
    pd->ctx.identity = identity;
    if (test_probe.gen_subscribe)
        df_pdata_subscribe(node, pd, cookie);
    return df_node_send(node, DF_PORT_DEFAULT, pd);
}

static int plain_create(struct df_node *node, const void *options, void **state,
                        struct df_error *err)
{
    return 0;
}

/* Records who sent `pd` (see test_nodes.h). */
static void note_identity(struct df_node *node, const struct df_pdata *pd)
{
    static _Thread_local const struct df_identity *last;
    const struct df_identity *id = pd->ctx.identity;
    if (!id)
        return;
    snprintf(test_probe.last_subject, sizeof test_probe.last_subject, "%s",
             id->subject ? id->subject : "");
    if (id != last) {
        last = id;
        df_node_log(node, DF_LOG_INFO, "identity subject=%s provider=%s",
                    id->subject ? id->subject : "", id->provider ? id->provider : "");
    }
}

static void pass_process(struct df_node *node, void *state, struct df_pdata *pd)
{
    note_identity(node, pd);
    if (test_probe.pass_subscribe)
        df_pdata_subscribe(node, pd, 1000 + pd->items);
    df_node_send(node, DF_PORT_DEFAULT, pd);
}

static bool pass_outcome(struct df_node *node, void *state, struct df_pdata *pd, uint64_t cookie)
{
    record(node, pd, cookie);
    return false;
}

const struct df_node_ops test_pass_ops = {
    .create = plain_create, .process = pass_process, .outcome = pass_outcome};

static void sink_process(struct df_node *node, void *state, struct df_pdata *pd)
{
    note_identity(node, pd);
    unsigned i = test_probe.nsunk < TEST_MAX ? test_probe.nsunk++ : TEST_MAX - 1;
    test_probe.sunk[i].node = node;
    test_probe.sunk[i].items = pd->items;
    test_probe.sunk[i].signal = pd->signal;
    test_probe.sunk[i].identity = pd->ctx.identity;
    test_probe.sunk[i].pd = NULL;
    switch (test_probe.sink_mode) {
    case DF_OUTCOME_ACK:
        df_node_ack(node, pd);
        break;
    case DF_OUTCOME_NACK_TRANSIENT:
    case DF_OUTCOME_NACK_PERMANENT:
        df_node_nack(node, pd, test_probe.sink_mode, "sink says no");
        break;
    default:
        test_probe.sunk[i].pd = pd;
    }
}

static void sink_drain(struct df_node *node, void *state)
{
    if (!test_probe.sink_drain_hangs)
        df_node_drained(node);
}

const struct df_node_ops test_sink_ops = {
    .create = plain_create, .process = sink_process, .drain = sink_drain};

void test_sink_settle(unsigned i, enum df_outcome o, const char *reason)
{
    struct df_pdata *pd = test_probe.sunk[i].pd;
    test_probe.sunk[i].pd = NULL;
    if (o == DF_OUTCOME_ACK)
        df_node_ack(test_probe.sunk[i].node, pd);
    else
        df_node_nack(test_probe.sunk[i].node, pd, o, "%s", reason);
}
