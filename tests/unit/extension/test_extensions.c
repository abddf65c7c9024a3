/* The extension runtime: capability claims (once, at create, versioned,
 * optional), the lifecycle order of extensions around the nodes that use
 * them, readiness (waits in parallel, timeouts), failures (at start, while
 * running, an early exit), the stop deadline, shared sets attached per core,
 * and snapshot publication under concurrent readers (run under TSan too). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "df/capabilities/auth_check.h"
#include "extension/manager.h"
#include "tests/support/test_http_server.h"
#include "tests/support/test_extensions.h"
#include "tests/unit/runtime/rt_fixture.h"

#define EXT(id, type, cfg) "          " id ": {type: '" type "', config: " cfg "}\n"

/* gen -> enrich (bound to `lookup`) -> sink, with `exts` declared. */
#define ENRICH_PIPELINE(exts, enrich_cfg)                                                          \
    RT_HEADER RT_GROUP                                                                             \
        "        extensions:\n" exts "        nodes:\n"                                            \
        "          gen: {type: 'urn:test:receiver:gen'}\n"                                         \
        "          enrich:\n"                                                                      \
        "            type: 'urn:test:processor:enrich'\n"                                          \
        "            capabilities: {test_lookup: lookup}\n"                                        \
        "            config: " enrich_cfg "\n"                                                     \
        "          sink: {type: 'urn:test:exporter:sink'}\n"                                       \
        "        connections: [{from: gen, to: enrich}, {from: enrich, to: sink}]\n"

#define LOCAL_LOOKUP(cfg) EXT("lookup", "urn:test:extension:lookup_local", cfg)

static int setup(void **state)
{
    (void)state;
    test_journal_reset();
    memset(&test_enrich_seen, 0, sizeof test_enrich_seen);
    return 0;
}

static void journal_before(const char *a, const char *b)
{
    long i = test_journal_find(a), j = test_journal_find(b);
    if (i < 0 || j < 0 || i >= j) {
        for (size_t k = 0; k < test_journal_count(); k++) {
            char e[96];
            test_journal_get(k, e, sizeof e);
            fprintf(stderr, "  journal[%zu] %s\n", k, e);
        }
        fail_msg("expected '%s' (%ld) before '%s' (%ld)", a, i, b, j);
    }
}

static void inject_one(struct rt *t)
{
    struct df_bytes *b = rt_bytes();
    test_inject(0, DF_SIGNAL_LOGS, b, 1, 1);
    df_bytes_unref(b);
    rt_spin(t, 3);
}

/* Builds and expects failure; returns the error text (static). */
static const char *build_fails(const char *yaml)
{
    static char msg[DF_ERROR_MSG_MAX];
    struct rt t;
    rt_parse(&t, yaml);
    int rc = df_core_pipeline_build(&t.pl, "g", "p", rt_pipeline(&t), 0, 1000000000ull, NULL, NULL,
                                    NULL, 0);
    assert_true(rc < 0);
    assert_int_equal(df_core_pipeline_state(&t.pl), DF_PIPELINE_FAILED);
    snprintf(msg, sizeof msg, "%s", t.pl.error);
    rt_free(&t);
    return msg;
}

static void test_claim_and_call(void **state)
{
    (void)state;
    struct rt t;
    rt_start(&t, ENRICH_PIPELINE(LOCAL_LOOKUP("{entries: {k: v1}}"), "{min_version: 2}"));
    inject_one(&t);
    assert_int_equal(test_enrich_seen.found, 1);
    assert_string_equal(test_enrich_seen.last_value, "v1");
    assert_int_equal(test_enrich_seen.last_generation, 1);
    /* The runtime counted the call under the capability's first outcome. */
    const struct df_node *n = rt_node(&t, "enrich");
    assert_int_equal(n->ncaps, 1);
    assert_string_equal(n->caps[0].name, "test_lookup");
    assert_int_equal(n->caps[0].b.calls[TEST_LOOKUP_FOUND], 1);
    assert_int_equal(rt_finish(&t), 0);
}

static void test_claims_refused(void **state)
{
    (void)state;
    const char *m;
    m = build_fails(ENRICH_PIPELINE(LOCAL_LOOKUP("{}"), "{claim_twice: true}"));
    assert_non_null(strstr(m, "claimed capability 'test_lookup' twice"));
    m = build_fails(ENRICH_PIPELINE(LOCAL_LOOKUP("{}"), "{min_version: 3}"));
    assert_non_null(strstr(m, "needs capability 'test_lookup' version 3"));
    assert_non_null(strstr(m, "implements version 2"));
    /* Nothing bound and not optional. */
    m = build_fails(RT_HEADER RT_GROUP "        nodes:\n"
                                       "          gen: {type: 'urn:test:receiver:gen'}\n"
                                       "          enrich: {type: 'urn:test:processor:enrich'}\n"
                                       "          sink: {type: 'urn:test:exporter:sink'}\n"
                                       "        connections: [{from: gen, to: enrich}, "
                                       "{from: enrich, to: sink}]\n");
    assert_non_null(strstr(m, "needs capability 'test_lookup'"));
    assert_non_null(strstr(m, "capabilities: {test_lookup: <extension>}"));
}

static void test_optional_and_late_claims(void **state)
{
    (void)state;
    struct rt t;
    rt_start(&t, RT_HEADER RT_GROUP "        nodes:\n"
                                    "          gen: {type: 'urn:test:receiver:gen'}\n"
                                    "          enrich:\n"
                                    "            type: 'urn:test:processor:enrich'\n"
                                    "            config: {optional: true, claim_late: true}\n"
                                    "          sink: {type: 'urn:test:exporter:sink'}\n"
                                    "        connections: [{from: gen, to: enrich}, "
                                    "{from: enrich, to: sink}]\n");
    /* A claim outside create is refused. */
    assert_int_equal(test_enrich_seen.start_claim_rc, DF_EINVAL);
    inject_one(&t); /* no handle: the node passes data through */
    assert_int_equal(test_probe.nsunk, 1);
    assert_int_equal(test_enrich_seen.found + test_enrich_seen.error, 0);
    assert_int_equal(rt_finish(&t), 0);
}

static void test_lifecycle_order(void **state)
{
    (void)state;
    struct rt t;
    rt_start(&t, ENRICH_PIPELINE(LOCAL_LOOKUP("{entries: {k: v}}"), "{}"));
    assert_int_equal(rt_finish(&t), 0);
    journal_before("create lookup", "create enrich core=0");
    journal_before("create enrich core=0", "start lookup");
    journal_before("start lookup", "ready lookup");
    journal_before("ready lookup", "start enrich core=0");
    journal_before("start enrich core=0", "destroy enrich core=0");
    journal_before("destroy enrich core=0", "stop lookup");
    journal_before("stop lookup", "destroy lookup");
}

/* Extensions without a readiness gate are ready as they start: the nodes
 * start once, not once per event. */
static void test_ungated_start_once(void **state)
{
    (void)state;
    struct rt t;
    rt_start(&t, RT_HEADER RT_GROUP "        extensions:\n" EXT(
                     "auth", "urn:test:extension:auth",
                     "{users: {a: b}}") "        nodes:\n"
                                        "          gen: {type: 'urn:test:receiver:gen'}\n"
                                        "          enrich:\n"
                                        "            type: 'urn:test:processor:enrich'\n"
                                        "            config: {optional: true}\n"
                                        "          sink: {type: 'urn:test:exporter:sink'}\n"
                                        "        connections: [{from: gen, to: enrich}, "
                                        "{from: enrich, to: sink}]\n");
    assert_int_equal(df_core_pipeline_state(&t.pl), DF_PIPELINE_RUNNING);
    assert_int_equal(rt_finish(&t), 0);
    size_t starts = 0;
    for (size_t k = 0; k < test_journal_count(); k++) {
        char e[96];
        test_journal_get(k, e, sizeof e);
        starts += !strcmp(e, "start enrich core=0");
    }
    assert_int_equal(starts, 1);
    journal_before("create auth", "start enrich core=0");
}

/* The nodes start only once the extension's first state is in. */
static void test_readiness_holds_start(void **state)
{
    (void)state;
    struct rt t;
    rt_build(&t, ENRICH_PIPELINE(LOCAL_LOOKUP("{entries: {k: v}, ready_after: 100ms}"), "{}"));
    df_core_pipeline_post(&t.pl, DF_CMD_START);
    rt_spin(&t, 5);
    assert_int_equal(df_core_pipeline_state(&t.pl), DF_PIPELINE_BUILT);
    assert_true(test_journal_find("start enrich core=0") < 0);
    uint64_t end = uv_hrtime() + 3000000000ull;
    while (df_core_pipeline_state(&t.pl) != DF_PIPELINE_RUNNING && uv_hrtime() < end)
        uv_run(&t.pl.loop, UV_RUN_ONCE);
    assert_int_equal(df_core_pipeline_state(&t.pl), DF_PIPELINE_RUNNING);
    journal_before("ready lookup", "start enrich core=0");
    assert_int_equal(rt_finish(&t), 0);
}

/* Two gated extensions: both are started before either is ready. */
static void test_readiness_in_parallel(void **state)
{
    (void)state;
    struct rt t;
    rt_build(&t, ENRICH_PIPELINE(
                     LOCAL_LOOKUP("{ready_after: 50ms}")
                         EXT("other", "urn:test:extension:lookup_local", "{ready_after: 50ms}"),
                     "{}"));
    df_core_pipeline_post(&t.pl, DF_CMD_START);
    uint64_t end = uv_hrtime() + 3000000000ull;
    while (df_core_pipeline_state(&t.pl) != DF_PIPELINE_RUNNING && uv_hrtime() < end)
        uv_run(&t.pl.loop, UV_RUN_ONCE);
    assert_int_equal(df_core_pipeline_state(&t.pl), DF_PIPELINE_RUNNING);
    journal_before("start other", "ready lookup");
    journal_before("start lookup", "ready other");
    assert_int_equal(rt_finish(&t), 0);
}

/* Runs the loop until the core reports an error (the controller's cue), as
 * the controller would then abort it; the nodes never started. */
static void fail_then_abort(struct rt *t)
{
    uint64_t end = uv_hrtime() + 3000000000ull;
    while (!t->pl.error[0] && uv_hrtime() < end)
        uv_run(&t->pl.loop, UV_RUN_ONCE);
    assert_int_equal(df_core_pipeline_state(&t->pl), DF_PIPELINE_BUILT);
    df_core_pipeline_post(&t->pl, DF_CMD_ABORT);
    assert_int_equal(df_core_pipeline_run(&t->pl), 1);
}

static void test_readiness_timeout_fails_naming_extension(void **state)
{
    (void)state;
    struct rt t;
    rt_build(&t, ENRICH_PIPELINE(LOCAL_LOOKUP("{ready_after: 10s}"), "{}"));
    df_core_pipeline_post(&t.pl, DF_CMD_START);
    fail_then_abort(&t);
    assert_non_null(strstr(t.pl.error, "extension 'lookup'"));
    assert_non_null(strstr(t.pl.error, "not ready within 500 ms"));
    assert_true(test_journal_find("start enrich core=0") < 0);
    rt_free(&t);
    journal_before("stop lookup", "destroy lookup"); /* stopped even though it failed */
}

static void test_start_failure(void **state)
{
    (void)state;
    struct rt t;
    rt_build(&t, ENRICH_PIPELINE(LOCAL_LOOKUP("{fail_start: true}"), "{}"));
    df_core_pipeline_post(&t.pl, DF_CMD_START);
    fail_then_abort(&t);
    assert_non_null(strstr(t.pl.error, "failed to start: configured to fail at start"));
    assert_true(test_journal_find("start enrich core=0") < 0);
    rt_free(&t);
}

/* A running extension that fails sets the pipeline's error (the controller
 * then shuts the engine down with exit code 1). */
static void test_failure_while_running(void **state)
{
    (void)state;
    struct rt t;
    rt_start(&t, ENRICH_PIPELINE(LOCAL_LOOKUP("{refresh: 10ms, fail_after: 2}"), "{}"));
    uint64_t end = uv_hrtime() + 3000000000ull;
    while (!t.pl.error[0] && uv_hrtime() < end)
        uv_run(&t.pl.loop, UV_RUN_ONCE);
    assert_non_null(strstr(t.pl.error, "extension 'lookup'"));
    assert_non_null(strstr(t.pl.error, "refresh 2 failed"));
    const struct df_extension *x = df_ext_set_find(&t.pl.exts, "lookup");
    assert_int_equal(x->refreshes[0], 1);
    assert_int_equal(x->refreshes[1], 1);
    assert_int_equal(rt_finish(&t), 1);
}

static void test_early_exit_fails(void **state)
{
    (void)state;
    struct rt t;
    rt_start(&t, ENRICH_PIPELINE(LOCAL_LOOKUP("{exit_early: true}"), "{}"));
    rt_spin(&t, 3);
    assert_non_null(strstr(t.pl.error, "ended before the engine asked it to stop"));
    assert_int_equal(rt_finish(&t), 1);
}

/* A stop that hangs is abandoned at the deadline. */
static void test_stop_deadline(void **state)
{
    (void)state;
    struct rt t;
    rt_start_deadline(&t, ENRICH_PIPELINE(LOCAL_LOOKUP("{stop_delay: 30s}"), "{}"), 100000000ull);
    uint64_t t0 = uv_hrtime();
    assert_int_equal(rt_finish(&t), 0);
    assert_true(uv_hrtime() - t0 < 10000000000ull);
    journal_before("stop lookup", "destroy lookup");
}

/* Values refresh under the reader: a node on the core sees each new
 * generation without any call of its own to refresh. */
static void test_refresh_seen_by_reader(void **state)
{
    (void)state;
    struct rt t;
    rt_start(&t,
             ENRICH_PIPELINE(LOCAL_LOOKUP("{entries: {k: v}, refresh: 20ms}"), "{min_version: 2}"));
    uint64_t end = uv_hrtime() + 3000000000ull;
    while (test_enrich_seen.last_generation < 3 && uv_hrtime() < end) {
        uv_run(&t.pl.loop, UV_RUN_ONCE);
        inject_one(&t);
    }
    assert_true(test_enrich_seen.last_generation >= 3);
    assert_non_null(strstr(test_enrich_seen.last_value, "v#"));
    assert_int_equal(rt_finish(&t), 0);
}

static int refusing_port(int *port)
{
    int fd = test_refusing_port(port);
    assert_true(fd >= 0);
    return fd;
}

/* A listening socket that never accepts or answers: a fetch to it hangs. */
static int silent_listener(int *port)
{
    int fd = refusing_port(port);
    assert_int_equal(listen(fd, 8), 0);
    return fd;
}

/* Fetches from the background task: a refused connection reports back on
 * the loop; one still running when the instance stops ends cancelled before
 * the instance is destroyed. */
static void test_fetch_from_task(void **state)
{
    (void)state;
    int port, fd = silent_listener(&port);
    int refused_port, refused_fd = refusing_port(&refused_port);
    char yaml[2048], cfg[256], other[256];
    snprintf(cfg, sizeof cfg, "{fetch_url: 'http://127.0.0.1:%d/hangs'}", port);
    snprintf(other, sizeof other, "{fetch_url: 'http://127.0.0.1:%d/refused'}", refused_port);
    snprintf(yaml, sizeof yaml,
             ENRICH_PIPELINE(
                 LOCAL_LOOKUP("%s") EXT("other", "urn:test:extension:lookup_local", "%s"), "{}"),
             cfg, other);
    struct rt t;
    rt_start(&t, yaml);
    uint64_t end = uv_hrtime() + 5000000000ull;
    while (test_journal_find("fetch other rc=-3 status=0") < 0 && uv_hrtime() < end)
        uv_run(&t.pl.loop, UV_RUN_ONCE);
    assert_true(test_journal_find("fetch other rc=-3 status=0") >= 0); /* DF_EIO */
    assert_true(test_journal_find("fetch lookup rc=-8 status=0") < 0);
    assert_int_equal(rt_finish(&t), 0);
    journal_before("stop lookup", "fetch lookup rc=-8 status=0"); /* DF_ECANCELED */
    journal_before("fetch lookup rc=-8 status=0", "destroy lookup");
    close(refused_fd);
    close(fd);
}

/* ---- shared sets, directly ------------------------------------------------ */

struct shared_fixture {
    struct rt t; /* only its parsed config */
    uv_loop_t loop;
    struct df_ext_set set;
    unsigned events;
};

static void on_event(struct df_ext_set *set, void *ud)
{
    (void)set;
    ((struct shared_fixture *)ud)->events++;
}

struct reader {
    struct df_ext_set *set;
    unsigned slot;
    uint64_t reads, max_generation;
    int bad;
};

static void *reader_main(void *arg)
{
    struct reader *r = arg;
    struct df_error err = {0};
    if (df_ext_set_attach(r->set, r->slot, r->slot, &err) < 0) {
        r->bad = 1;
        return NULL;
    }
    const struct df_extension *x = df_ext_set_find(r->set, "lookup");
    const struct test_lookup_ops *ops = df_extension_capability(x->desc, "test_lookup")->ops;
    void *self = df_ext_self(x, r->slot);
    while (__atomic_load_n(&r->max_generation, __ATOMIC_RELAXED) < 50) {
        const char *v = NULL;
        uint64_t g0 = ops->generation(self);
        enum test_lookup_outcome o = ops->lookup(self, "k", &v);
        uint64_t g = ops->generation(self);
        r->reads++;
        /* Before the first publication there is nothing: error, not a miss. */
        if (g < r->max_generation || (g0 && o != TEST_LOOKUP_FOUND) ||
            (!g && o != TEST_LOOKUP_ERROR))
            r->bad = 1;
        if (g0 == g && o == TEST_LOOKUP_FOUND) {
            /* Read within one snapshot: the value is that generation's. */
            char want[64];
            if (g > 1)
                snprintf(want, sizeof want, "v#%llu", (unsigned long long)g);
            else
                snprintf(want, sizeof want, "v");
            if (strcmp(v, want))
                r->bad = 1;
        }
        __atomic_store_n(&r->max_generation, g, __ATOMIC_RELAXED);
    }
    df_ext_set_detach(r->set, r->slot);
    return NULL;
}

/* One shared instance for two "cores": each attaches its own view on its
 * own thread; the instance republishes on the control loop while both read;
 * every read is consistent and generations never go backwards. */
static void test_shared_set_concurrent_readers(void **state)
{
    (void)state;
    struct shared_fixture f;
    memset(&f, 0, sizeof f);
    rt_parse(&f.t, RT_HEADER RT_GROUP "        extensions:\n" EXT(
                       "lookup", "urn:test:extension:lookup", "{entries: {k: v}, refresh: 1ms}")
                       EXT("auth", "urn:test:extension:auth",
                           "{users: {a: b}}") "        nodes:\n"
                                              "          gen: {type: "
                                              "'urn:test:receiver:gen'}\n"
                                              "          sink: {type: "
                                              "'urn:test:exporter:sink'}"
                                              "\n"
                                              "        connections: "
                                              "[{from: gen, to: sink}]\n");
    uv_loop_init(&f.loop);
    assert_int_equal(df_ext_set_build(&f.set, "g", "p", rt_pipeline(&f.t), DF_EXEC_SHARED, -1, 2,
                                      &f.loop, on_event, &f),
                     0);
    assert_int_equal(f.set.n, 1); /* the local auth provider is not in the shared set */
    assert_int_equal(df_ext_set_start(&f.set), 0);
    struct reader r[2] = {{.set = &f.set, .slot = 0}, {.set = &f.set, .slot = 1}};
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&th[i], NULL, reader_main, &r[i]);
    uint64_t end = uv_hrtime() + 10000000000ull;
    while ((__atomic_load_n(&r[0].max_generation, __ATOMIC_RELAXED) < 50 ||
            __atomic_load_n(&r[1].max_generation, __ATOMIC_RELAXED) < 50) &&
           uv_hrtime() < end)
        uv_run(&f.loop, UV_RUN_ONCE);
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(r[i].bad, 0);
        assert_true(r[i].max_generation >= 50);
    }
    df_ext_set_stop(&f.set, 1000000000ull);
    assert_true(df_ext_set_stopped(&f.set));
    df_ext_set_close(&f.set);
    uv_run(&f.loop, UV_RUN_DEFAULT);
    df_ext_set_destroy(&f.set);
    df_ext_set_free(&f.set);
    uv_loop_close(&f.loop);
    df_config_free(f.t.cfg);
    assert_true(test_journal_find("attach lookup core=0") >= 0);
    assert_true(test_journal_find("attach lookup core=1") >= 0);
    journal_before("detach lookup", "destroy lookup");
}

/* df_auth_credential: one header, the scheme as a word, SP, visible ASCII. */
static enum df_auth_credential credential(const char *value, const char **cred, size_t *len)
{
    struct df_auth_header h[2] = {{"X-Other", 7, "Bearer x", 8},
                                  {"Authorization", 13, value, value ? strlen(value) : 0}};
    struct df_auth_request req = {.headers = h, .nheaders = value ? 2 : 1};
    return df_auth_credential(&req, "authorization", "Bearer", cred, len);
}

static void test_auth_credential(void **state)
{
    (void)state;
    const char *cred = NULL;
    size_t len = 0;
    assert_int_equal(credential(" \tbearer   tok/en+== \t", &cred, &len), DF_AUTH_CREDENTIAL_OK);
    assert_int_equal(len, 9);
    assert_memory_equal(cred, "tok/en+==", 9);
    static const struct {
        const char *value;
        enum df_auth_credential want;
    } cases[] = {
        {NULL, DF_AUTH_CREDENTIAL_MISSING},
        {"", DF_AUTH_CREDENTIAL_MISSING},
        {" \t ", DF_AUTH_CREDENTIAL_MISSING},
        {"Basic YTpi", DF_AUTH_CREDENTIAL_OTHER_SCHEME},
        {"Bearers tok", DF_AUTH_CREDENTIAL_OTHER_SCHEME},
        {"tok", DF_AUTH_CREDENTIAL_OTHER_SCHEME},
        {"Bearer", DF_AUTH_CREDENTIAL_MALFORMED},
        {"Bearer   ", DF_AUTH_CREDENTIAL_MALFORMED},
        {"Bearer\ttok", DF_AUTH_CREDENTIAL_MALFORMED},
        {"Bearer:tok", DF_AUTH_CREDENTIAL_MALFORMED},
        {"Bearer to k", DF_AUTH_CREDENTIAL_MALFORMED},
        {"Bearer \ttok", DF_AUTH_CREDENTIAL_MALFORMED},
        {"Bearer tok\x7f", DF_AUTH_CREDENTIAL_MALFORMED},
        {"Bearer t\xc3\xa9", DF_AUTH_CREDENTIAL_MALFORMED},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cred = NULL;
        if (credential(cases[i].value, &cred, &len) != cases[i].want)
            fail_msg("'%s': not %d", cases[i].value ? cases[i].value : "(none)", cases[i].want);
        assert_null(cred); /* left alone */
    }
    /* Two of them, even both good; names compared case-insensitively. */
    struct df_auth_header two[2] = {{"authorization", 13, "Bearer a", 8},
                                    {"AUTHORIZATION", 13, "Bearer a", 8}};
    struct df_auth_request req = {.headers = two, .nheaders = 2};
    assert_int_equal(df_auth_credential(&req, "authorization", "Bearer", &cred, &len),
                     DF_AUTH_CREDENTIAL_SEVERAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_claim_and_call, setup),
        cmocka_unit_test_setup(test_claims_refused, setup),
        cmocka_unit_test_setup(test_optional_and_late_claims, setup),
        cmocka_unit_test_setup(test_lifecycle_order, setup),
        cmocka_unit_test_setup(test_ungated_start_once, setup),
        cmocka_unit_test_setup(test_readiness_holds_start, setup),
        cmocka_unit_test_setup(test_readiness_in_parallel, setup),
        cmocka_unit_test_setup(test_readiness_timeout_fails_naming_extension, setup),
        cmocka_unit_test_setup(test_start_failure, setup),
        cmocka_unit_test_setup(test_failure_while_running, setup),
        cmocka_unit_test_setup(test_early_exit_fails, setup),
        cmocka_unit_test_setup(test_stop_deadline, setup),
        cmocka_unit_test_setup(test_refresh_seen_by_reader, setup),
        cmocka_unit_test_setup(test_fetch_from_task, setup),
        cmocka_unit_test_setup(test_shared_set_concurrent_readers, setup),
        cmocka_unit_test(test_auth_credential),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
