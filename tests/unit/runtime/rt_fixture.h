/* A pipeline on the test's own thread, built from YAML, whose loop the test
 * turns by hand (shared by the runtime and node unit tests). */
#ifndef DF_TEST_RT_FIXTURE_H
#define DF_TEST_RT_FIXTURE_H

#include <string.h>

#include "config/model.h"
#include "runtime/runtime.h"
#include "tests/support/test_nodes.h"

#define RT_HEADER "version: otel_dataflow/v1\n"
#define RT_GROUP  "groups:\n  g:\n    pipelines:\n      p:\n"

struct rt {
    struct df_diags d;
    struct df_config *cfg;
    struct df_core_pipeline pl;
};

static inline void rt_parse(struct rt *t, const char *yaml)
{
    memset(t, 0, sizeof *t);
    test_probe_reset();
    t->cfg = df_config_parse("rt.yaml", yaml, strlen(yaml), &t->d);
    if (!t->cfg)
        df_diags_print(&t->d, stderr);
    assert_non_null(t->cfg);
}

static inline const struct df_pipeline_cfg *rt_pipeline(const struct rt *t)
{
    const struct df_group_cfg *g = DF_MAP_AT(t->cfg->groups, struct df_group_cfg, 0);
    return DF_MAP_AT(g->pipelines, struct df_pipeline_cfg, 0);
}

static inline void rt_build_deadline(struct rt *t, const char *yaml, uint64_t deadline_ns)
{
    rt_parse(t, yaml);
    int rc = df_core_pipeline_build(&t->pl, "g", "p", rt_pipeline(t), 0, deadline_ns, NULL, NULL,
                                    NULL, 0);
    if (rc)
        fprintf(stderr, "build failed: %s\n", t->pl.error);
    assert_int_equal(rc, 0);
}

static inline void rt_build(struct rt *t, const char *yaml)
{
    rt_build_deadline(t, yaml, 5000000000ull);
}

/* Turns the loop `n` times without blocking. */
static inline void rt_spin(struct rt *t, int n)
{
    for (int i = 0; i < n; i++)
        uv_run(&t->pl.loop, UV_RUN_NOWAIT);
}

static inline void rt_start_deadline(struct rt *t, const char *yaml, uint64_t deadline_ns)
{
    rt_build_deadline(t, yaml, deadline_ns);
    df_core_pipeline_post(&t->pl, DF_CMD_START);
    for (int i = 0; i < 1000 && df_core_pipeline_state(&t->pl) != DF_PIPELINE_RUNNING; i++)
        rt_spin(t, 1);
    assert_int_equal(df_core_pipeline_state(&t->pl), DF_PIPELINE_RUNNING);
}

static inline void rt_start(struct rt *t, const char *yaml)
{
    rt_start_deadline(t, yaml, 5000000000ull);
}

/* Turns the loop, blocking for timers, until `*flag` is at least `want` or
 * about `ms` milliseconds passed. */
static inline void rt_wait(struct rt *t, const unsigned *flag, unsigned want, unsigned ms)
{
    uint64_t end = uv_hrtime() + (uint64_t)ms * 1000000u;
    while (*flag < want && uv_hrtime() < end)
        uv_run(&t->pl.loop, UV_RUN_ONCE);
}

static inline struct df_node *rt_node(struct rt *t, const char *id)
{
    for (uint32_t i = 0; i < t->pl.nnodes; i++) {
        if (!strcmp(t->pl.nodes[i].id, id))
            return &t->pl.nodes[i];
    }
    fail_msg("no node %s", id);
    return NULL;
}

/* A small buffer for nodes that do not read their input. */
static inline struct df_bytes *rt_bytes(void)
{
    struct df_bytes *b = df_bytes_new(8);
    memset(b->data, 0, 8);
    return b;
}

static inline void rt_free(struct rt *t)
{
    df_core_pipeline_free(&t->pl);
    df_config_free(t->cfg);
}

/* Drains, runs to the end and frees; returns df_core_pipeline_run's code. */
static inline int rt_finish(struct rt *t)
{
    df_core_pipeline_post(&t->pl, DF_CMD_DRAIN);
    int rc = df_core_pipeline_run(&t->pl);
    assert_int_equal(t->pl.pdata_live, 0);
    rt_free(t);
    return rc;
}

#endif
