/* One extension set built from a pipeline's YAML and driven by hand on the
 * test's thread, as the runtime drives the shared providers: build (create
 * hooks), attach core slots, start, turn the loop until a condition holds,
 * then detach, stop, close, destroy. Shared by the extension provider tests. */
#ifndef DF_TEST_EXT_FIXTURE_H
#define DF_TEST_EXT_FIXTURE_H

#include <stdio.h>
#include <string.h>
#include <uv.h>

#include "extension/manager.h"
#include "tests/unit/runtime/rt_fixture.h"

#ifndef EXT_FX_WAIT_NS
#define EXT_FX_WAIT_NS 5000000000ull
#endif

struct ext_fx {
    struct rt t; /* only its parsed config */
    uv_loop_t loop;
    struct df_ext_set set;
    struct df_extension *x; /* the instance named by ext_fx_build's `id` */
    void *self;             /* core slot 0's, this thread's */
};

/* Turns the loop until `cond` holds or EXT_FX_WAIT_NS passed; returns cond.
 * Never blocks in the loop for long: other threads (a server, readers) may
 * be what makes `cond` true. */
#define EXT_FX_RUN_UNTIL(f, cond)                                                                  \
    ({                                                                                             \
        uint64_t end_ = uv_hrtime() + EXT_FX_WAIT_NS;                                              \
        while (!(cond) && uv_hrtime() < end_) {                                                    \
            uv_run(&(f)->loop, UV_RUN_NOWAIT);                                                     \
            if (!(cond))                                                                           \
                usleep(200);                                                                       \
        }                                                                                          \
        (cond);                                                                                    \
    })

/* Builds the shared set of `yaml` with `nslots` core slots, attaches slot 0
 * and finds instance `id`, whose slot 0 `self` must be a per-core view. */
static inline void ext_fx_build(struct ext_fx *f, const char *yaml, const char *id, unsigned nslots)
{
    memset(f, 0, sizeof *f);
    rt_parse(&f->t, yaml);
    assert_int_equal(uv_loop_init(&f->loop), 0);
    int rc = df_ext_set_build(&f->set, "g", "p", rt_pipeline(&f->t), DF_EXEC_SHARED, -1, nslots,
                              &f->loop, NULL, NULL);
    if (rc)
        fprintf(stderr, "%s\n", f->set.error);
    assert_int_equal(rc, 0);
    f->x = df_ext_set_find(&f->set, id);
    assert_non_null(f->x);
    struct df_error err = {0};
    assert_int_equal(df_ext_set_attach(&f->set, 0, 0, &err), 0);
    f->self = df_ext_self(f->x, 0);
    assert_non_null(f->self);
    assert_ptr_not_equal(f->self, f->x->state);
}

/* Attaches core slot `slot` from the calling thread (a reader's own, as a
 * core's thread would) and returns its `self`, or NULL on failure. No
 * cmocka assertion: callable from any thread. */
static inline void *ext_fx_attach(struct ext_fx *f, unsigned slot)
{
    struct df_error err = {0};
    if (df_ext_set_attach(&f->set, slot, slot, &err) < 0)
        return NULL;
    return df_ext_self(f->x, slot);
}

/* Starts the set and waits until it is ready; a failure fails the test. */
static inline void ext_fx_start(struct ext_fx *f)
{
    assert_int_equal(df_ext_set_start(&f->set), 0);
    assert_true(EXT_FX_RUN_UNTIL(f, df_ext_set_ready(&f->set) || f->set.failed));
    if (f->set.failed)
        fail_msg("%s", f->set.error);
}

/* Detaches slot 0, stops (1 s deadline), closes and frees everything. */
static inline void ext_fx_finish(struct ext_fx *f)
{
    df_ext_set_detach(&f->set, 0);
    df_ext_set_stop(&f->set, 1000000000ull);
    assert_true(EXT_FX_RUN_UNTIL(f, df_ext_set_stopped(&f->set)));
    df_ext_set_close(&f->set);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    df_ext_set_destroy(&f->set);
    df_ext_set_free(&f->set);
    assert_int_equal(uv_loop_close(&f->loop), 0);
    df_config_free(f->t.cfg);
}

#endif
