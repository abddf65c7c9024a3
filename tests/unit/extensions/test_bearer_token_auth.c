/* extension:bearer_token_auth: config errors through the config loader with
 * the real option table; auth_check decisions (missing, wrong scheme,
 * malformed, unknown and accepted tokens of every entry, error while
 * nothing is loaded); bearer_token_provider's token and version; token
 * files replaced by an atomic rename and by a Kubernetes-style `..data`
 * symlink swap while running; and readers on two threads while the files
 * rotate (run under TSan too). The instance is driven through the
 * extension manager, as the runtime does for a shared provider: build the
 * set, attach a slot, start, turn the loop. */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "df/capabilities/auth_check.h"
#include "df/capabilities/bearer_token_provider.h"
#include "extensions/bearer_token_auth/bearer_token_auth.h"
#include "tests/unit/extensions/ext_fixture.h"

/* ---- the config loader ------------------------------------------------------- */

static const char *yaml(const char *cfg)
{
    return ext_pipeline_yaml("auth", "extension:bearer_token_auth", cfg);
}

static void expect_rejected(const char *cfg, const char *want, const char *path, const char *secret)
{
    ext_expect_rejected(yaml(cfg), 7, want, path, secret); /* the extension's line */
}

static void test_config_errors(void **state)
{
    (void)state;
    char cfg[512];
    ext_write_file(ext_path("good"), "good-token\n");
    ext_write_file(ext_path("empty"), "");
    ext_write_file(ext_path("blank"), " \n\t\r\n");
    ext_write_file(ext_path("spaced"), "two words\n");
    static char big[BTA_TOKEN_MAX + 2];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    ext_write_file(ext_path("big"), big);

    expect_rejected("{}", "no token is configured", "auth.config", NULL);
    expect_rejected("{scheme: Bearer}", "no token is configured", "auth.config", NULL);
    snprintf(cfg, sizeof cfg, "{token: abc, file: '%s'}", ext_path("good"));
    expect_rejected(cfg, "token and file exclude each other", "auth.config.file", NULL);
    snprintf(cfg, sizeof cfg, "{tokens: [{token: abc, file: '%s'}]}", ext_path("good"));
    expect_rejected(cfg, "token and file exclude each other", "auth.config.tokens[0].file", NULL);
    expect_rejected("{tokens: [{token: abc}, {subject: ci}]}", "a tokens entry needs token or file",
                    "auth.config.tokens[1]", NULL);
    expect_rejected("{tokens: []}", "expected 1 to 256 items", "auth.config.tokens", NULL);
    snprintf(cfg, sizeof cfg, "{file: '%s'}", ext_path("empty"));
    expect_rejected(cfg, "is empty", "auth.config.file", NULL);
    snprintf(cfg, sizeof cfg, "{file: '%s'}", ext_path("blank"));
    expect_rejected(cfg, "is empty", "auth.config.file", NULL);
    snprintf(cfg, sizeof cfg, "{tokens: [{file: '%s', subject: a}]}", ext_path("empty"));
    expect_rejected(cfg, "is empty", "auth.config.tokens[0].file", NULL);
    snprintf(cfg, sizeof cfg, "{file: '%s'}", ext_path("spaced"));
    expect_rejected(cfg, "visible ASCII", "auth.config.file", "words");
    snprintf(cfg, sizeof cfg, "{file: '%s'}", ext_path("big"));
    expect_rejected(cfg, "larger than 16KiB", "auth.config.file", NULL);
    snprintf(cfg, sizeof cfg, "{file: '%s'}", ext_path("missing"));
    expect_rejected(cfg, "cannot read", "auth.config.file", NULL);
    expect_rejected("{token: ''}", "the token is empty", "auth.config.token", NULL);
    expect_rejected("{token: 'sec ret'}", "visible ASCII", "auth.config.token", "sec ret");
    expect_rejected("{tokens: [{token: abc, subject: ''}]}", "subject must not be empty",
                    "auth.config.tokens[0].subject", NULL);
    expect_rejected("{subject: ci, tokens: [{token: abc}]}",
                    "subject is set but token and file are not", "auth.config.subject", NULL);
    expect_rejected("{token: abc, scheme: 'Bear er'}", "not an HTTP token", "auth.config.scheme",
                    NULL);
    expect_rejected("{token: abc, header: ''}", "not an HTTP token", "auth.config.header", NULL);
    expect_rejected("{tokens: [{token: dup-s3cret}, {token: other}, {token: dup-s3cret}]}",
                    "the same token as tokens[0].token", "auth.config.tokens[2].token",
                    "dup-s3cret");
    expect_rejected("{token: dup-s3cret, tokens: [{token: dup-s3cret}]}", "the same token as token",
                    "auth.config.tokens[0].token", "dup-s3cret");
    expect_rejected("{token: abc, tokenz: [1]}", "unknown key 'tokenz'", "auth.config.tokenz",
                    NULL);
    expect_rejected("{token: abc, watch_interval: 1ms}", "out of range",
                    "auth.config.watch_interval", NULL);

    /* And what is accepted. */
    snprintf(cfg, sizeof cfg, "{file: '%s', tokens: [{token: abc}, {file: '%s', subject: b}]}",
             ext_path("good"), ext_path("good"));
    ext_expect_accepted(yaml(cfg));
}

/* ---- the instance, through the extension manager ------------------------------- */

struct fx {
    struct ext_fx e;
    const struct df_auth_check_ops *auth;
    const struct df_bearer_token_provider_ops *prov;
};

static void fx_build(struct fx *f, const char *cfg, unsigned nslots)
{
    memset(f, 0, sizeof *f);
    ext_fx_build(&f->e, yaml(cfg), "auth", nslots);
    assert_ptr_not_equal(f->e.self, f->e.x->state); /* a per-core view */
    f->auth = ext_fx_ops(&f->e, DF_AUTH_CHECK_NAME);
    f->prov = ext_fx_ops(&f->e, DF_BEARER_TOKEN_PROVIDER_NAME);
}

#define RUN_UNTIL(f, cond) EXT_RUN_UNTIL(&(f)->e, cond)

static void fx_start(struct fx *f, const char *cfg)
{
    fx_build(f, cfg, 1);
    ext_fx_run(&f->e);
}

static enum df_auth_decision check_value(struct fx *f, const char *value, struct df_auth_result *r)
{
    return ext_auth_check_value(f->auth, f->e.self, value, r);
}

static void expect_allow(struct fx *f, const char *value, const char *subject)
{
    assert_int_equal(ext_expect_allow(f->auth, f->e.self, value, subject)->nattrs, 0);
}

/* A denial for `reason` whose detail contains `detail` and never the
 * presented token. */
static void expect_deny(struct fx *f, const char *value, enum df_auth_reason reason,
                        const char *detail)
{
    struct df_auth_result r;
    ext_expect_deny(f->auth, f->e.self, value, reason, detail, false, &r);
    const char *sp = strrchr(value, ' ');
    if (sp && sp[1])
        assert_null(strstr(r.detail, sp + 1));
}

static void expect_token(struct fx *f, const char *want, uint64_t *version)
{
    struct df_bearer_token t = {0};
    assert_int_equal(f->prov->token(f->e.self, &t), DF_BEARER_TOKEN_OK);
    assert_int_equal(t.len, strlen(want));
    assert_memory_equal(t.value, want, t.len);
    assert_int_not_equal(t.version, 0);
    if (version)
        *version = t.version;
}

static uint64_t token_version(struct fx *f)
{
    struct df_bearer_token t = {0};
    return f->prov->token(f->e.self, &t) == DF_BEARER_TOKEN_OK ? t.version : 0;
}

static void test_decisions(void **state)
{
    (void)state;
    struct fx f;
    fx_start(&f, "{token: alpha-token, tokens: [{token: beta-token, subject: ci}, "
                 "{token: 'gamma/token+=='}]}");
    struct df_auth_result r;
    /* Missing: no header at all, another header, or a blank one. */
    assert_int_equal(ext_auth_check(f.auth, f.e.self, &r, 0), DF_AUTH_DENY);
    assert_int_equal(r.reason, DF_AUTH_MISSING_CREDENTIAL);
    assert_string_equal(r.challenge, "Bearer");
    assert_string_equal(r.detail, "no authorization header");
    assert_int_equal(ext_auth_check(f.auth, f.e.self, &r, 1, "x-other", "Bearer alpha-token"),
                     DF_AUTH_DENY);
    assert_int_equal(r.reason, DF_AUTH_MISSING_CREDENTIAL);
    expect_deny(&f, "  \t", DF_AUTH_MISSING_CREDENTIAL, "no authorization header");
    /* Wrong scheme, malformed. */
    expect_deny(&f, "Basic YWxwaGE6dG9rZW4=", DF_AUTH_INVALID_CREDENTIAL, "scheme is not Bearer");
    expect_deny(&f, "alpha-token", DF_AUTH_INVALID_CREDENTIAL, "scheme is not Bearer");
    expect_deny(&f, "Bearers alpha-token", DF_AUTH_INVALID_CREDENTIAL, "scheme is not Bearer");
    expect_deny(&f, "Bearer", DF_AUTH_INVALID_CREDENTIAL, "malformed authorization header");
    expect_deny(&f, "Bearer   ", DF_AUTH_INVALID_CREDENTIAL, "malformed authorization header");
    expect_deny(&f, "Bearer:alpha-token", DF_AUTH_INVALID_CREDENTIAL, "malformed");
    expect_deny(&f, "Bearer\talpha-token", DF_AUTH_INVALID_CREDENTIAL, "malformed");
    expect_deny(&f, "Bearer alpha token", DF_AUTH_INVALID_CREDENTIAL, "malformed");
    expect_deny(&f, "Bearer alpha-token\x7f", DF_AUTH_INVALID_CREDENTIAL, "malformed");
    /* Unknown tokens: the detail says so and nothing more. */
    expect_deny(&f, "Bearer wrong-token", DF_AUTH_INVALID_CREDENTIAL, "unknown token");
    check_value(&f, "Bearer wrong-token", &r);
    assert_string_equal(r.detail, "unknown token");
    assert_string_equal(r.challenge, "Bearer");
    /* Near misses: same length with the last or first byte changed, a
     * prefix, an extension, another case. */
    expect_deny(&f, "Bearer alpha-tokeN", DF_AUTH_INVALID_CREDENTIAL, "unknown token");
    expect_deny(&f, "Bearer Alpha-token", DF_AUTH_INVALID_CREDENTIAL, "unknown token");
    expect_deny(&f, "Bearer alpha-toke", DF_AUTH_INVALID_CREDENTIAL, "unknown token");
    expect_deny(&f, "Bearer alpha-tokenn", DF_AUTH_INVALID_CREDENTIAL, "unknown token");
    expect_deny(&f, "Bearer ALPHA-TOKEN", DF_AUTH_INVALID_CREDENTIAL, "unknown token");
    /* Two Authorization headers are refused even when one is right. */
    assert_int_equal(ext_auth_check(f.auth, f.e.self, &r, 2, "authorization", "Bearer alpha-token",
                                    "Authorization", "Bearer wrong"),
                     DF_AUTH_DENY);
    assert_int_equal(r.reason, DF_AUTH_INVALID_CREDENTIAL);
    assert_string_equal(r.detail, "several authorization headers");
    /* Every entry's token, with its identity. */
    expect_allow(&f, "Bearer alpha-token", "bearer");
    expect_allow(&f, "Bearer beta-token", "ci");
    expect_allow(&f, "Bearer gamma/token+==", "bearer-1");
    /* Scheme case, several spaces, surrounding blanks, header name case. */
    expect_allow(&f, "bearer alpha-token", "bearer");
    expect_allow(&f, "BEARER   beta-token", "ci");
    expect_allow(&f, " \tBearer alpha-token \t", "bearer");
    assert_int_equal(ext_auth_check(f.auth, f.e.self, &r, 2, "x-other", "1", "AUTHORIZATION",
                                    "Bearer beta-token"),
                     DF_AUTH_ALLOW);
    const struct df_identity *id = r.identity;
    check_value(&f, "Bearer beta-token", &r);
    assert_ptr_equal(r.identity, id); /* identities live as long as the instance */
    /* The provider hands out the first token. */
    uint64_t v;
    expect_token(&f, "alpha-token", &v);
    assert_int_equal(token_version(&f), v);
    /* Inline tokens only: ready at start, one publication, no refresh. */
    assert_int_equal(ext_fx_refreshes(&f.e, 0) + ext_fx_refreshes(&f.e, 1), 0);
    ext_fx_finish(&f.e);
}

/* A custom header and scheme; only `tokens`: the provider returns the first. */
static void test_custom_header_and_scheme(void **state)
{
    (void)state;
    struct fx f;
    fx_start(&f, "{header: X-Api-Key, scheme: ApiKey, tokens: [{token: k-one, subject: one}, "
                 "{token: k-two, subject: two}]}");
    struct df_auth_result r;
    assert_int_equal(ext_auth_check(f.auth, f.e.self, &r, 1, "x-api-key", "apikey k-two"),
                     DF_AUTH_ALLOW);
    assert_string_equal(r.identity->subject, "two");
    assert_int_equal(ext_auth_check(f.auth, f.e.self, &r, 1, "x-api-key", "Bearer k-two"),
                     DF_AUTH_DENY);
    assert_string_equal(r.detail, "scheme is not ApiKey");
    assert_string_equal(r.challenge, "ApiKey");
    assert_int_equal(ext_auth_check(f.auth, f.e.self, &r, 1, "authorization", "ApiKey k-two"),
                     DF_AUTH_DENY);
    assert_int_equal(r.reason, DF_AUTH_MISSING_CREDENTIAL);
    assert_string_equal(r.detail, "no X-Api-Key header");
    expect_token(&f, "k-one", NULL);
    ext_fx_finish(&f.e);
}

/* A token file replaced by an atomic rename is picked up while running; a
 * second file changing leaves the provider's version alone; a bad content
 * (empty) keeps the previous token and counts a failed refresh. */
static void test_file_rotation_by_rename(void **state)
{
    (void)state;
    char cfg[512];
    ext_write_file(ext_path("main"), "first-token\n");
    ext_write_file(ext_path("other"), "  other-1\r\n");
    snprintf(cfg, sizeof cfg,
             "{file: '%s', subject: main, watch_interval: 10ms, tokens: [{token: inline-x, "
             "subject: inline}, {file: '%s', subject: other}]}",
             ext_path("main"), ext_path("other"));
    struct fx f;
    fx_start(&f, cfg);
    expect_allow(&f, "Bearer first-token", "main");
    expect_allow(&f, "Bearer other-1", "other");
    expect_allow(&f, "Bearer inline-x", "inline");
    uint64_t v1;
    expect_token(&f, "first-token", &v1);
    assert_int_equal(ext_fx_refreshes(&f.e, 0), 1); /* the first load */
    assert_int_equal(ext_fx_refreshes(&f.e, 1), 0);

    ext_rotate(ext_path("main"), "second-token-longer\n");
    assert_true(RUN_UNTIL(&f, token_version(&f) != v1));
    uint64_t v2;
    expect_token(&f, "second-token-longer", &v2);
    expect_deny(&f, "Bearer first-token", DF_AUTH_INVALID_CREDENTIAL, "unknown token");
    expect_allow(&f, "Bearer second-token-longer", "main");
    expect_allow(&f, "Bearer inline-x", "inline");

    /* The other file: its token changes, the provider's version does not. */
    uint64_t ok = ext_fx_refreshes(&f.e, 0);
    ext_rotate(ext_path("other"), "other-22\n");
    struct df_auth_result r;
    assert_true(RUN_UNTIL(&f, check_value(&f, "Bearer other-22", &r) == DF_AUTH_ALLOW));
    assert_true(ext_fx_refreshes(&f.e, 0) > ok);
    expect_deny(&f, "Bearer other-1", DF_AUTH_INVALID_CREDENTIAL, "unknown token");
    assert_int_equal(token_version(&f), v2);

    /* Emptied: refused, the previous token stays, a failed refresh. */
    ext_rotate(ext_path("main"), "\n");
    assert_true(RUN_UNTIL(&f, ext_fx_refreshes(&f.e, 1) >= 1));
    expect_allow(&f, "Bearer second-token-longer", "main");
    expect_token(&f, "second-token-longer", NULL);
    assert_int_equal(token_version(&f), v2);
    /* Removed: the same. */
    uint64_t failed = ext_fx_refreshes(&f.e, 1);
    assert_int_equal(unlink(ext_path("main")), 0);
    assert_true(RUN_UNTIL(&f, ext_fx_refreshes(&f.e, 1) > failed));
    expect_allow(&f, "Bearer second-token-longer", "main");
    /* Restored with a new token: in force again. */
    ext_rotate(ext_path("main"), "third\n");
    assert_true(RUN_UNTIL(&f, token_version(&f) != v2));
    expect_token(&f, "third", NULL);
    expect_allow(&f, "Bearer third", "main");
    expect_deny(&f, "Bearer second-token-longer", DF_AUTH_INVALID_CREDENTIAL, "unknown token");
    ext_fx_finish(&f.e);
}

/* Kubernetes secret volumes: `token` -> `..data/token`, `..data` ->
 * `..<timestamp>`; an update writes a new timestamped folder and swaps the
 * `..data` symlink by a rename. */
static void test_file_rotation_by_symlink_swap(void **state)
{
    (void)state;
    assert_int_equal(mkdir(ext_path("..2024_01"), 0700), 0);
    ext_write_file(ext_path("..2024_01/token"), "k8s-one\n");
    assert_int_equal(symlink("..2024_01", ext_path("..data")), 0);
    assert_int_equal(symlink("..data/token", ext_path("token")), 0);
    char cfg[256];
    snprintf(cfg, sizeof cfg, "{file: '%s', watch_interval: 10ms}", ext_path("token"));
    struct fx f;
    fx_start(&f, cfg);
    expect_allow(&f, "Bearer k8s-one", "bearer");
    uint64_t v1;
    expect_token(&f, "k8s-one", &v1);

    assert_int_equal(mkdir(ext_path("..2024_02"), 0700), 0);
    ext_write_file(ext_path("..2024_02/token"), "k8s-two-rotated\n");
    assert_int_equal(symlink("..2024_02", ext_path("..data_tmp")), 0);
    assert_int_equal(rename(ext_path("..data_tmp"), ext_path("..data")), 0);
    assert_int_equal(remove(ext_path("..2024_01/token")), 0);
    assert_int_equal(remove(ext_path("..2024_01")), 0);
    assert_true(RUN_UNTIL(&f, token_version(&f) != v1));
    expect_token(&f, "k8s-two-rotated", NULL);
    expect_allow(&f, "Bearer k8s-two-rotated", "bearer");
    expect_deny(&f, "Bearer k8s-one", DF_AUTH_INVALID_CREDENTIAL, "unknown token");
    ext_fx_finish(&f.e);
}

/* A file that does not load: not ready, checks fail closed (error, not
 * deny), the provider has no token; once it appears, all is well. */
static void test_not_loaded_fails_closed(void **state)
{
    (void)state;
    ext_write_file(ext_path("late"), "late-token\n");
    char cfg[256];
    snprintf(cfg, sizeof cfg, "{file: '%s', watch_interval: 10ms, tokens: [{token: inline-y}]}",
             ext_path("late"));
    struct fx f;
    fx_build(&f, cfg, 1);
    assert_int_equal(unlink(ext_path("late")), 0); /* gone between the config load and the start */
    assert_int_equal(df_ext_set_start(&f.e.set), 0);
    assert_true(RUN_UNTIL(&f, ext_fx_refreshes(&f.e, 1) >= 1));
    assert_false(df_ext_set_ready(&f.e.set));
    assert_false(f.e.set.failed);
    struct df_auth_result r;
    /* Even an inline token is not accepted while the state is incomplete. */
    assert_int_equal(check_value(&f, "Bearer inline-y", &r), DF_AUTH_ERROR);
    assert_string_equal(r.detail, "no token loaded yet");
    assert_null(r.identity);
    assert_int_equal(check_value(&f, "Bearer late-token", &r), DF_AUTH_ERROR);
    /* What needs no state is still denied. */
    expect_deny(&f, "Basic abc", DF_AUTH_INVALID_CREDENTIAL, "scheme is not Bearer");
    struct df_bearer_token t;
    assert_int_equal(f.prov->token(f.e.self, &t), DF_BEARER_TOKEN_NONE);

    ext_write_file(ext_path("late"), "late-token\n");
    assert_true(RUN_UNTIL(&f, df_ext_set_ready(&f.e.set)));
    expect_allow(&f, "Bearer late-token", "bearer");
    expect_allow(&f, "Bearer inline-y", "bearer-0");
    expect_token(&f, "late-token", NULL);
    ext_fx_finish(&f.e);
}

/* ---- readers on other threads ------------------------------------------------------ */

struct reader {
    struct fx *f;
    const uint64_t *stop; /* the last version the main thread published */
    uint64_t calls, allowed, max_version;
    int bad;
    struct ext_reader thread;
};

/* One read: the provider's token, then a check with it. Versions never go
 * back; the provider's token is accepted unless a newer version came in
 * between; identities are the file's. */
static bool reader_step(void *self, void *ud)
{
    struct reader *r = ud;
    char value[64];
    struct df_bearer_token t;
    if (r->f->prov->token(self, &t) != DF_BEARER_TOKEN_OK || t.version < r->max_version ||
        t.len > 40) {
        r->bad = 1;
        return false;
    }
    r->max_version = t.version;
    snprintf(value, sizeof value, "Bearer %.*s", (int)t.len, t.value);
    struct df_auth_header h = {"authorization", 13, value, strlen(value)};
    struct df_auth_request req = {.headers = &h, .nheaders = 1};
    struct df_auth_result res;
    memset(&res, 0, sizeof res);
    enum df_auth_decision d = r->f->auth->check(self, &req, &res);
    r->calls++;
    if (d == DF_AUTH_ALLOW) {
        r->allowed++;
        if (strcmp(res.identity->subject, "rotating"))
            r->bad = 1;
    } else {
        struct df_bearer_token again;
        r->f->prov->token(self, &again);
        if (d != DF_AUTH_DENY || again.version == t.version)
            r->bad = 1;
    }
    return t.version < __atomic_load_n(r->stop, __ATOMIC_ACQUIRE);
}

static void test_concurrent_readers(void **state)
{
    (void)state;
    ext_write_file(ext_path("rot"), "rot-0\n");
    char cfg[256];
    snprintf(cfg, sizeof cfg, "{file: '%s', subject: rotating, watch_interval: 10ms}",
             ext_path("rot"));
    struct fx f;
    fx_build(&f, cfg, 3);
    assert_int_equal(df_ext_set_start(&f.e.set), 0);
    assert_true(RUN_UNTIL(&f, df_ext_set_ready(&f.e.set)));
    uint64_t stop = UINT64_MAX;
    struct reader r[2] = {{.f = &f, .stop = &stop}, {.f = &f, .stop = &stop}};
    for (unsigned i = 0; i < 2; i++)
        ext_reader_start(&r[i].thread, &f.e, i + 1, reader_step, &r[i]);
    /* Rotations, each seen before the next (the length changes each time,
     * so even a reused inode with equal times is a different file). */
    uint64_t v = token_version(&f);
    char content[64];
    for (int k = 1; k <= 12; k++) {
        int n = snprintf(content, sizeof content, "rot-%d-", k);
        for (int i = 0; i < k; i++)
            content[n++] = 'x';
        content[n] = 0;
        ext_rotate(ext_path("rot"), content);
        assert_true(RUN_UNTIL(&f, token_version(&f) != v));
        v = token_version(&f);
    }
    __atomic_store_n(&stop, v, __ATOMIC_RELEASE);
    for (int i = 0; i < 2; i++)
        ext_reader_join(&r[i].thread);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(r[i].bad, 0);
        assert_int_equal(r[i].max_version, v);
        assert_true(r[i].allowed > 0);
    }
    ext_fx_finish(&f.e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_config_errors, ext_dir_setup, ext_dir_teardown),
        cmocka_unit_test_setup_teardown(test_decisions, ext_dir_setup, ext_dir_teardown),
        cmocka_unit_test_setup_teardown(test_custom_header_and_scheme, ext_dir_setup,
                                        ext_dir_teardown),
        cmocka_unit_test_setup_teardown(test_file_rotation_by_rename, ext_dir_setup,
                                        ext_dir_teardown),
        cmocka_unit_test_setup_teardown(test_file_rotation_by_symlink_swap, ext_dir_setup,
                                        ext_dir_teardown),
        cmocka_unit_test_setup_teardown(test_not_loaded_fails_closed, ext_dir_setup,
                                        ext_dir_teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_readers, ext_dir_setup, ext_dir_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
