/* Shared by the extension providers' unit tests: a provider's instance
 * driven through the extension manager as the runtime drives it (shared:
 * build the set, attach a core slot on the test's thread; local: build the
 * core's set on the test's thread; then start and turn the loop by hand),
 * config rejections checked through the config loader, auth_check calls
 * made from header lists, and files in a fresh temporary folder per test. */
#ifndef DF_TEST_EXT_FIXTURE_H
#define DF_TEST_EXT_FIXTURE_H

#include <dirent.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "df/capabilities/auth_check.h"
#include "extension/manager.h"
#include "tests/support/test_loop.h"
#include "tests/unit/runtime/rt_fixture.h"

#ifndef EXT_WAIT_NS /* a test may wait longer */
#define EXT_WAIT_NS 5000000000ull
#endif

/* A pipeline with one extension, `id` of type `type` with `config` (a flow
 * mapping), on line 7 (where config errors are reported), and test nodes
 * that do not bind it. A static buffer. */
static inline const char *ext_pipeline_yaml(const char *id, const char *type, const char *config)
{
    static char buf[4096];
    snprintf(buf, sizeof buf,
             RT_HEADER RT_GROUP "        extensions:\n"
                                "          %s: {type: '%s', config: %s}\n"
                                "        nodes:\n"
                                "          gen: {type: 'urn:test:receiver:gen'}\n"
                                "          sink: {type: 'urn:test:exporter:sink'}\n"
                                "        connections: [{from: gen, to: sink}]\n",
             id, type, config);
    return buf;
}

struct ext_fx {
    struct rt t; /* only its parsed config */
    uv_loop_t loop;
    struct df_ext_set set;
    struct df_extension *x; /* the instance under test */
    void *self;             /* core slot 0, this thread's */
};

/* Builds the `model` set of the pipeline in `yaml`: shared with `nslots`
 * core slots, slot 0 attached; local as core 0 builds its own (`self` is
 * the instance state). `id` names the instance under test. */
static inline void ext_fx_build_model(struct ext_fx *f, const char *yaml, const char *id,
                                      enum df_exec_model model, unsigned nslots)
{
    memset(f, 0, sizeof *f);
    rt_parse(&f->t, yaml);
    assert_int_equal(uv_loop_init(&f->loop), 0);
    bool shared = model == DF_EXEC_SHARED;
    int rc = df_ext_set_build(&f->set, "g", "p", rt_pipeline(&f->t), model, shared ? -1 : 0,
                              shared ? nslots : 0, &f->loop, NULL, NULL);
    if (rc)
        fprintf(stderr, "%s\n", f->set.error);
    assert_int_equal(rc, 0);
    f->x = df_ext_set_find(&f->set, id);
    assert_non_null(f->x);
    struct df_error err = {0};
    if (shared)
        assert_int_equal(df_ext_set_attach(&f->set, 0, 0, &err), 0);
    f->self = df_ext_self(f->x, 0);
    assert_non_null(f->self);
}

/* Builds the shared set of the pipeline in `yaml` with `nslots` core slots
 * and attaches slot 0; `id` names the instance under test. */
static inline void ext_fx_build(struct ext_fx *f, const char *yaml, const char *id, unsigned nslots)
{
    ext_fx_build_model(f, yaml, id, DF_EXEC_SHARED, nslots);
}

/* The ops of capability `name` of the instance under test. */
static inline const void *ext_fx_ops(const struct ext_fx *f, const char *name)
{
    const struct df_ext_capability *c = df_extension_capability(f->x->desc, name);
    assert_non_null(c);
    return c->ops;
}

/* Turns the loop until `cond` holds or `ns` passed; returns cond. */
#define EXT_RUN_UNTIL_NS(f, cond, ns) TEST_RUN_UNTIL_NS(&(f)->loop, cond, ns)
#define EXT_RUN_UNTIL(f, cond)        EXT_RUN_UNTIL_NS(f, cond, EXT_WAIT_NS)

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

/* Starts the built set and waits until it is ready; a failure fails the
 * test with the set's error. */
static inline void ext_fx_run(struct ext_fx *f)
{
    assert_int_equal(df_ext_set_start(&f->set), 0);
    assert_true(EXT_RUN_UNTIL(f, df_ext_set_ready(&f->set) || f->set.failed));
    if (f->set.failed)
        fail_msg("%s", f->set.error);
}

/* Builds with `nslots` slots, starts, and waits for readiness. */
static inline void ext_fx_start_slots(struct ext_fx *f, const char *yaml, const char *id,
                                      unsigned nslots)
{
    ext_fx_build(f, yaml, id, nslots);
    ext_fx_run(f);
}

static inline void ext_fx_start(struct ext_fx *f, const char *yaml, const char *id)
{
    ext_fx_start_slots(f, yaml, id, 1);
}

/* A local instance: builds core 0's set, starts, waits for readiness. */
static inline void ext_fx_start_local(struct ext_fx *f, const char *yaml, const char *id)
{
    ext_fx_build_model(f, yaml, id, DF_EXEC_LOCAL, 0);
    ext_fx_run(f);
}

/* Detaches slot 0 (shared), stops (a no-op for an instance never
 * started), closes and frees everything. */
static inline void ext_fx_finish(struct ext_fx *f)
{
    if (f->set.model == DF_EXEC_SHARED)
        df_ext_set_detach(&f->set, 0);
    df_ext_set_stop(&f->set, 1000000000ull);
    assert_true(EXT_RUN_UNTIL(f, df_ext_set_stopped(&f->set)));
    df_ext_set_close(&f->set);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    df_ext_set_destroy(&f->set);
    df_ext_set_free(&f->set);
    assert_int_equal(uv_loop_close(&f->loop), 0);
    df_config_free(f->t.cfg);
}

/* df_extension_refreshes_total{result="ok"} (failed = 0) or "failed". */
static inline uint64_t ext_fx_refreshes(const struct ext_fx *f, int failed)
{
    return __atomic_load_n(&f->x->refreshes[failed], __ATOMIC_RELAXED);
}

/* Loads `yaml` expecting a rejection with `want` in a message and `path`
 * in its config path, at line `line` (the walker's file:line:col). No
 * message or hint quotes `secret` when given. */
static inline void ext_expect_rejected(const char *yaml, int line, const char *want,
                                       const char *path, const char *secret)
{
    struct df_diags d;
    memset(&d, 0, sizeof d);
    struct df_config *c = df_config_parse("rt.yaml", yaml, strlen(yaml), &d);
    assert_null(c);
    bool found = false;
    for (size_t i = 0; i < d.count && !found; i++) {
        found = strstr(d.items[i].msg, want) && (!path || strstr(d.items[i].path, path));
        if (found) {
            assert_int_equal(d.items[i].mark.line, line);
            assert_true(d.items[i].mark.col > 0);
        }
        if (secret) {
            assert_null(strstr(d.items[i].msg, secret));
            assert_null(strstr(d.items[i].hint, secret));
        }
    }
    if (!found) {
        fprintf(stderr, "expected '%s' at '%s' in\n%s\n", want, path ? path : "", yaml);
        df_diags_print(&d, stderr);
    }
    assert_true(found);
}

/* Loads `yaml` expecting it to be valid. */
static inline void ext_expect_accepted(const char *yaml)
{
    struct df_diags d;
    memset(&d, 0, sizeof d);
    struct df_config *c = df_config_parse("rt.yaml", yaml, strlen(yaml), &d);
    if (!c)
        df_diags_print(&d, stderr);
    assert_non_null(c);
    df_config_free(c);
}

/* ---- auth_check ------------------------------------------------------------------ */

/* Checks, through `ops` and `self`, a request carrying `n` headers given
 * as name, value pairs (at most 4); the returned decision is out's. */
static inline enum df_auth_decision ext_auth_check(const struct df_auth_check_ops *ops, void *self,
                                                   struct df_auth_result *r, size_t n, ...)
{
    struct df_auth_header h[4];
    va_list ap;
    va_start(ap, n);
    for (size_t i = 0; i < n; i++) {
        const char *name = va_arg(ap, const char *), *value = va_arg(ap, const char *);
        h[i] = (struct df_auth_header){name, strlen(name), value, strlen(value)};
    }
    va_end(ap);
    struct df_auth_request req = {.transport = DF_AUTH_HTTP,
                                  .method = "POST",
                                  .path = "/v1/logs",
                                  .headers = n ? h : NULL,
                                  .nheaders = n};
    memset(r, 0, sizeof *r);
    enum df_auth_decision d = ops->check(self, &req, r);
    assert_int_equal(d, r->decision);
    return d;
}

/* The same for a request whose Authorization header is `value` (none when
 * NULL). */
static inline enum df_auth_decision ext_auth_check_value(const struct df_auth_check_ops *ops,
                                                         void *self, const char *value,
                                                         struct df_auth_result *r)
{
    return value ? ext_auth_check(ops, self, r, 1, "authorization", value)
                 : ext_auth_check(ops, self, r, 0);
}

/* Requires the Authorization header `value` to be allowed as `subject` of
 * the instance "auth"; returns the identity. */
static inline const struct df_identity *ext_expect_allow(const struct df_auth_check_ops *ops,
                                                         void *self, const char *value,
                                                         const char *subject)
{
    struct df_auth_result r;
    enum df_auth_decision d = ext_auth_check_value(ops, self, value, &r);
    if (d != DF_AUTH_ALLOW)
        fail_msg("'%s': expected allow, got %d (%s)", value, d, r.detail);
    assert_non_null(r.identity);
    assert_string_equal(r.identity->subject, subject);
    assert_string_equal(r.identity->provider, "auth");
    return r.identity;
}

/* Requires the Authorization header `value` to be denied for `reason`
 * with a detail that contains `detail` (is it, when `exact`), no identity
 * and a challenge; leaves the result in *r for the caller's own checks. */
static inline void ext_expect_deny(const struct df_auth_check_ops *ops, void *self,
                                   const char *value, enum df_auth_reason reason,
                                   const char *detail, bool exact, struct df_auth_result *r)
{
    enum df_auth_decision d = ext_auth_check_value(ops, self, value, r);
    if (d != DF_AUTH_DENY || r->reason != reason ||
        (exact ? strcmp(r->detail, detail) != 0 : !strstr(r->detail, detail)))
        fail_msg("'%s': expected deny %s '%s', got %d %s '%s'", value, df_auth_reason_name(reason),
                 detail, d, df_auth_reason_name(r->reason), r->detail);
    assert_null(r->identity);
    assert_non_null(r->challenge);
}

/* ---- readers on other threads ---------------------------------------------------- */

/* A reader on a thread of its own, as a core is: it attaches core slot
 * `slot`, calls read(self, ud) until that returns false (yielding between
 * calls to leave the control loop a core), and detaches. */
struct ext_reader {
    struct ext_fx *f;
    unsigned slot;
    bool (*read)(void *self, void *ud);
    void *ud;
    pthread_t thread;
    bool attach_failed;
};

static inline void *ext_reader_main(void *arg)
{
    struct ext_reader *r = arg;
    struct df_error err = {0};
    if (df_ext_set_attach(&r->f->set, r->slot, r->slot, &err) < 0) {
        r->attach_failed = true;
        return NULL;
    }
    void *self = df_ext_self(r->f->x, r->slot);
    while (r->read(self, r->ud))
        sched_yield();
    df_ext_set_detach(&r->f->set, r->slot);
    return NULL;
}

static inline void ext_reader_start(struct ext_reader *r, struct ext_fx *f, unsigned slot,
                                    bool (*read)(void *self, void *ud), void *ud)
{
    *r = (struct ext_reader){.f = f, .slot = slot, .read = read, .ud = ud};
    assert_int_equal(pthread_create(&r->thread, NULL, ext_reader_main, r), 0);
}

static inline void ext_reader_join(struct ext_reader *r)
{
    assert_int_equal(pthread_join(r->thread, NULL), 0);
    assert_false(r->attach_failed);
}

/* ---- files in a temporary folder ------------------------------------------------ */

static char ext_dir[64];

/* Removes `path` and, for a folder (not a symlink to one), what is in it. */
static inline int ext_rm_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return -1;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *e;
        while (d && (e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            char sub[320];
            snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
            ext_rm_tree(sub);
        }
        if (d)
            closedir(d);
        return rmdir(path);
    }
    return unlink(path);
}

/* cmocka setup and teardown: a fresh folder for the test, removed after. */
static inline int ext_dir_setup(void **state)
{
    (void)state;
    snprintf(ext_dir, sizeof ext_dir, "/tmp/df_ext.XXXXXX");
    return mkdtemp(ext_dir) ? 0 : -1;
}

static inline int ext_dir_teardown(void **state)
{
    (void)state;
    return ext_rm_tree(ext_dir);
}

/* ext_dir/name, in a static ring (a few live at once). */
static inline const char *ext_path(const char *name)
{
    static char ring[8][160];
    static unsigned next;
    char *p = ring[next++ % 8];
    snprintf(p, sizeof ring[0], "%s/%s", ext_dir, name);
    return p;
}

static inline void ext_write_file(const char *path, const char *content)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(content, 1, strlen(content), f), strlen(content));
    assert_int_equal(fclose(f), 0);
}

/* Replaces `path` by an atomic rename, as a secret rotation does. */
static inline void ext_rotate(const char *path, const char *content)
{
    char tmp[200];
    snprintf(tmp, sizeof tmp, "%s.new", path);
    ext_write_file(tmp, content);
    assert_int_equal(rename(tmp, path), 0);
}

#endif
