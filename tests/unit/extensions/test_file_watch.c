/* extensions/common/file_watch: the rounds a provider's watched files are
 * read in — every file's result handed over once per round in the order
 * added, a path added twice read once, a read error beside good reads,
 * kicks during a round coalesced into one more round (also a kick from the
 * round's callback), a changed file read again, and the stop handshake: a
 * stop during a round completes when the round ends, its results dropped.
 * Driven through a test provider built on the helper. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "extensions/common/file_watch.h"
#include "tests/unit/extensions/ext_fixture.h"

/* ---- urn:test:extension:file_watch ------------------------------------------------- */

#define FW_MAX 4

struct fw_config {
    struct df_list paths;
    uint64_t watch_interval;
    bool kick_in_round; /* the first round's callback kicks once more */
};

static const struct df_option fw_string = {.type = DF_OPT_STRING};

static const struct df_option fw_opts[] = {
    {.name = "paths",
     .type = DF_OPT_LIST,
     .elem = &fw_string,
     .offset = offsetof(struct fw_config, paths),
     .desc = "the files"},
    EXT_OPT_WATCH_INTERVAL(struct fw_config, watch_interval, "the files are"),
    {.name = "kick_in_round",
     .type = DF_OPT_BOOL,
     .def = "false",
     .offset = offsetof(struct fw_config, kick_in_round),
     .desc = "kick from the first round's callback"},
};

static const struct df_option_table fw_table =
    DF_OPTION_TABLE(struct fw_config, fw_opts, "Test file_watch options.");

struct fw {
    const struct fw_config *c;
    struct ext_file_watch *w;
    size_t n;
    unsigned rounds;
    char got[FW_MAX][64]; /* the last round's: each file's content, or "!" and why */
    const struct ext_file_read *seen[FW_MAX];
};

static void fw_round(void *ud, const struct ext_file_read *const *files)
{
    struct fw *s = ud;
    s->rounds++;
    for (size_t i = 0; i < s->n; i++) {
        const struct ext_file_read *r = files[i];
        s->seen[i] = r;
        if (r->why)
            snprintf(s->got[i], sizeof s->got[i], "!%s", r->why);
        else
            snprintf(s->got[i], sizeof s->got[i], "%.*s", (int)r->len, r->buf);
    }
    if (s->c->kick_in_round && s->rounds == 1)
        ext_file_watch_kick(s->w);
}

static void fw_change(struct df_extension *ext, void *state)
{
    (void)ext;
    ext_file_watch_kick(((struct fw *)state)->w);
}

static void fw_destroy(struct df_extension *ext, void *state)
{
    (void)ext;
    struct fw *s = state;
    if (s)
        ext_file_watch_free(s->w);
    free(s);
}

static int fw_create(struct df_extension *ext, const void *options, void **state,
                     struct df_error *err)
{
    (void)err;
    const struct fw_config *c = options;
    struct fw *s = calloc(1, sizeof *s);
    *state = s;
    if (!s ||
        !(s->w = ext_file_watch_new(ext, "test file", 32, "it is larger than 32", fw_round, s)))
        return DF_ENOMEM;
    s->c = c;
    for (size_t i = 0; i < c->paths.count && i < FW_MAX; i++, s->n++) {
        if (ext_file_watch_add(s->w, *DF_LIST_AT(c->paths, const char *, i)) != (int)i)
            return DF_ENOMEM;
    }
    return 0;
}

static int fw_start(struct df_extension *ext, void *state, struct df_error *err)
{
    (void)ext;
    struct fw *s = state;
    int rc = ext_file_watch_start(s->w, s->c->watch_interval, fw_change, err);
    if (rc == 0)
        ext_file_watch_kick(s->w);
    return rc;
}

static void fw_stop(struct df_extension *ext, void *state)
{
    (void)ext;
    ext_file_watch_stop(((struct fw *)state)->w);
}

static const struct df_extension_ops fw_ops = {
    .create = fw_create, .start = fw_start, .stop = fw_stop, .destroy = fw_destroy};

DF_REGISTER_EXTENSION(test_file_watch_ext, "urn:test:extension:file_watch",
                      "Test provider: a watched set of files, its rounds recorded.",
                      "https://example.invalid/df_engine/test", DF_EXEC_SHARED,
                      DF_LIFECYCLE_BACKGROUND, .options = &fw_table, .ops = &fw_ops);

/* ---- tests ---------------------------------------------------------------------------- */

static struct fw *start(struct ext_fx *f, const char *paths, const char *more)
{
    char config[512];
    snprintf(config, sizeof config, "{paths: [%s], watch_interval: 10ms%s}", paths, more);
    ext_fx_start(f, ext_pipeline_yaml("fw", "urn:test:extension:file_watch", config), "fw");
    return f->x->state;
}

/* Turns the loop for `ms` (to see that nothing more happens). */
static void idle(struct ext_fx *f, unsigned ms)
{
    uint64_t until = uv_hrtime() + ms * 1000000ull;
    EXT_RUN_UNTIL_NS(f, uv_hrtime() >= until, ms * 2000000ull);
}

static void test_round_has_every_file(void **state)
{
    (void)state;
    ext_write_file(ext_path("a"), "alpha");
    ext_write_file(ext_path("b"), "beta");
    char paths[400];
    snprintf(paths, sizeof paths, "'%s', '%s', '%s', '%s'", ext_path("a"), ext_path("b"),
             ext_path("missing"), ext_path("a"));
    struct ext_fx f;
    struct fw *s = start(&f, paths, "");
    assert_true(EXT_RUN_UNTIL(&f, s->rounds >= 1));
    assert_string_equal(s->got[0], "alpha");
    assert_string_equal(s->got[1], "beta");
    assert_non_null(strstr(s->got[2], "no such file"));
    assert_string_equal(s->got[3], "alpha");
    assert_ptr_equal(s->seen[0], s->seen[3]); /* one read of a path added twice */
    assert_ptr_not_equal(s->seen[0], s->seen[1]);
    ext_fx_finish(&f);
}

static void test_kicks_coalesce(void **state)
{
    (void)state;
    ext_write_file(ext_path("a"), "alpha");
    char config[200];
    snprintf(config, sizeof config, "{paths: ['%s']}", ext_path("a"));
    struct ext_fx f;
    ext_fx_build(&f, ext_pipeline_yaml("fw", "urn:test:extension:file_watch", config), "fw", 1);
    assert_int_equal(df_ext_set_start(&f.set), 0); /* the first round is in flight */
    struct fw *s = f.x->state;
    ext_file_watch_kick(s->w);
    ext_file_watch_kick(s->w);
    ext_file_watch_kick(s->w);
    assert_int_equal(s->rounds, 0);
    assert_true(EXT_RUN_UNTIL(&f, s->rounds >= 2));
    idle(&f, 100);
    assert_int_equal(s->rounds, 2); /* three kicks, one more round */
    ext_fx_finish(&f);
}

static void test_kick_from_round(void **state)
{
    (void)state;
    ext_write_file(ext_path("a"), "alpha");
    char paths[200];
    snprintf(paths, sizeof paths, "'%s'", ext_path("a"));
    struct ext_fx f;
    struct fw *s = start(&f, paths, ", kick_in_round: true");
    assert_true(EXT_RUN_UNTIL(&f, s->rounds >= 2));
    idle(&f, 50);
    assert_int_equal(s->rounds, 2);
    assert_string_equal(s->got[0], "alpha");
    ext_fx_finish(&f);
}

static void test_change_reads_again(void **state)
{
    (void)state;
    ext_write_file(ext_path("a"), "alpha");
    ext_write_file(ext_path("b"), "beta");
    char paths[400];
    snprintf(paths, sizeof paths, "'%s', '%s'", ext_path("a"), ext_path("b"));
    struct ext_fx f;
    struct fw *s = start(&f, paths, "");
    assert_true(EXT_RUN_UNTIL(&f, s->rounds >= 1));
    unsigned before = s->rounds;
    ext_rotate(ext_path("b"), "gamma!");
    assert_true(EXT_RUN_UNTIL(&f, s->rounds > before && !strcmp(s->got[1], "gamma!")));
    assert_string_equal(s->got[0], "alpha"); /* every file, each round */
    ext_write_file(ext_path("a"), "far too long for the 32 bytes of this set");
    assert_true(EXT_RUN_UNTIL(&f, s->got[0][0] == '!'));
    assert_string_equal(s->got[0], "!it is larger than 32");
    ext_fx_finish(&f);
}

static void test_stop_during_round(void **state)
{
    (void)state;
    ext_write_file(ext_path("a"), "alpha");
    char paths[200];
    snprintf(paths, sizeof paths, "'%s'", ext_path("a"));
    struct ext_fx f;
    struct fw *s = start(&f, paths, "");
    assert_true(EXT_RUN_UNTIL(&f, s->rounds >= 1));
    idle(&f, 30);
    unsigned before = s->rounds;
    ext_file_watch_kick(s->w); /* a round in flight */
    df_ext_set_stop(&f.set, 1000000000ull);
    assert_false(df_ext_set_stopped(&f.set)); /* waits for the round */
    assert_true(EXT_RUN_UNTIL(&f, df_ext_set_stopped(&f.set)));
    assert_int_equal(s->rounds, before); /* its results dropped */
    ext_file_watch_kick(s->w);           /* no-op once stopping */
    idle(&f, 30);
    assert_int_equal(s->rounds, before);
    ext_fx_finish(&f);
}

static void test_stop_when_idle(void **state)
{
    (void)state;
    ext_write_file(ext_path("a"), "alpha");
    char paths[200];
    snprintf(paths, sizeof paths, "'%s'", ext_path("a"));
    struct ext_fx f;
    struct fw *s = start(&f, paths, "");
    assert_true(EXT_RUN_UNTIL(&f, s->rounds >= 1));
    idle(&f, 30);
    df_ext_set_stop(&f.set, 1000000000ull);
    assert_true(df_ext_set_stopped(&f.set)); /* nothing in flight: at once */
    ext_fx_finish(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_has_every_file, ext_dir_setup, ext_dir_teardown),
        cmocka_unit_test_setup_teardown(test_kicks_coalesce, ext_dir_setup, ext_dir_teardown),
        cmocka_unit_test_setup_teardown(test_kick_from_round, ext_dir_setup, ext_dir_teardown),
        cmocka_unit_test_setup_teardown(test_change_reads_again, ext_dir_setup, ext_dir_teardown),
        cmocka_unit_test_setup_teardown(test_stop_during_round, ext_dir_setup, ext_dir_teardown),
        cmocka_unit_test_setup_teardown(test_stop_when_idle, ext_dir_setup, ext_dir_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
