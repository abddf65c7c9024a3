/* extension:basic_auth: config errors through the config loader with the
 * real option table (never quoting a hash); the htpasswd parser and every
 * hash format with the right and a wrong password (real libxcrypt: a fixed
 * bcrypt vector, bcrypt made here with crypt_gensalt_rn, SHA-crypt made by
 * `openssl passwd`, {SHA}); the Basic decoder; auth_check decisions; the
 * cache (a second check computes no hash, failures are not cached, the TTL,
 * cache_ttl: 0) and its invalidation when the file changes; reloads by
 * atomic rename; a bad file keeping the last good users; fail-closed before
 * the first load. The instance is driven through the extension manager as
 * the runtime does for a local provider: build the core's set, start, turn
 * the loop. */
#include <crypt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "df/capabilities/auth_check.h"
#include "extensions/basic_auth/basic_auth.h"
#include "tests/unit/extensions/ext_fixture.h"

/* Hashes: the OpenBSD bcrypt test vector ("U*U"), and `openssl passwd`. */
#define BCRYPT_VECTOR "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"
#define SHA256_BOB    "$5$bobsalt$n4aZy26m9wBF1/LmjyhJI0fFFi0M4I17eSK4ZDbCmx2" /* bob-pass */
#define SHA512_CAROL                                                                               \
    "$6$carolsalt$sk7rzm090xLlbOYcOEpfy7n30reCU1uPOHVQCR94e4njQJRGynoNuTJOmQNvrYqLZ2MayfqZPkDMzy"  \
    "w7HfWs00" /* carol:pa:ss */
#define SHA512_ROUNDS                                                                              \
    "$6$rounds=6000$r$ulbRRUUYTyzVWEEO8KZ4rSrdYQqg3fURnqS0waJq2vxOkeUVknjszAcn."                   \
    "8XWpiujXaYwiOa3jCTC0"                                                                         \
    "sGGBZ7dI/"                                       /* carol2 */
#define SHA1_DAVE "{SHA}uE1+cBGmURe+4zihKsjfuHZgJbQ=" /* dave-pw */
#define SHA512_NEW                                                                                 \
    "$6$newsalt$tOdYTc2io6oxAxx7vsoAW0pmakrhnlSZpEfHzxSkUxdgrOKIKZ/pn/"                            \
    "y7jLzcLKDALFf9LZQLCCThNqzuLz"                                                                 \
    "3zG1" /* new-pass */

/* ---- files ----------------------------------------------------------------------- */

/* A bcrypt hash of `password` made by libxcrypt itself (cost 4: fast). */
static const char *bcrypt(const char *prefix, const char *password)
{
    static char out[4][128];
    static unsigned next;
    char setting[CRYPT_GENSALT_OUTPUT_SIZE];
    assert_non_null(crypt_gensalt_rn(prefix, 4, NULL, 0, setting, sizeof setting));
    struct crypt_data cd;
    memset(&cd, 0, sizeof cd);
    const char *h = crypt_rn(password, setting, &cd, sizeof cd);
    assert_non_null(h);
    assert_int_equal(strlen(h), 60);
    char *p = out[next++ % 4];
    snprintf(p, sizeof out[0], "%s", h);
    return p;
}

/* ---- the config loader ---------------------------------------------------------- */

static const char *yaml(const char *cfg)
{
    return ext_pipeline_yaml("auth", "extension:basic_auth", cfg);
}

/* A rejection at the extension's line, never quoting `secret`. */
static void expect_rejected(const char *cfg, const char *want, const char *path, const char *secret)
{
    ext_expect_rejected(yaml(cfg), 7, want, path, secret);
}

static void test_config_errors(void **state)
{
    (void)state;
    char cfg[1024];
    ext_write_file(ext_path("good"), "# users\nalice:" SHA512_CAROL "\n\nbob:" SHA256_BOB "\n");
    ext_write_file(ext_path("md5"), "alice:" SHA256_BOB "\nbob:$apr1$x$n3KC.RJYHZhK50zaCOGff0\n");
    ext_write_file(ext_path("plain"), "alice:" SHA256_BOB "\n\n# x\neve:PlainS3cret\n");
    ext_write_file(ext_path("empty"), "# nobody\n\n");
    ext_write_file(ext_path("dup"),
                   "alice:" SHA256_BOB "\nbob:" SHA1_DAVE "\nalice:" SHA1_DAVE "\n");

    expect_rejected("{}", "missing required key 'htpasswd'", "auth.config", NULL);
    expect_rejected("{htpasswd: {}}", "htpasswd needs file or inline", "auth.config.htpasswd",
                    NULL);
    expect_rejected("{htpasswd: {inline: 'eve:PlainS3cret'}}",
                    "inline htpasswd: line 1 (user 'eve'): not a supported hash",
                    "auth.config.htpasswd.inline", "PlainS3cret");
    snprintf(cfg, sizeof cfg, "{htpasswd: {file: '%s'}}", ext_path("md5"));
    expect_rejected(cfg, "line 2 (user 'bob'): MD5 hashes ($apr1$, $1$) are not accepted",
                    "auth.config.htpasswd.file", "n3KC.RJYHZhK50zaCOGff0");
    snprintf(cfg, sizeof cfg, "{htpasswd: {file: '%s'}}", ext_path("plain"));
    expect_rejected(cfg, "line 4 (user 'eve'): not a supported hash", "auth.config.htpasswd.file",
                    "PlainS3cret");
    snprintf(cfg, sizeof cfg, "{htpasswd: {file: '%s'}}", ext_path("empty"));
    expect_rejected(cfg, "holds no user", "auth.config.htpasswd.file", NULL);
    snprintf(cfg, sizeof cfg, "{htpasswd: {file: '%s'}}", ext_path("dup"));
    expect_rejected(cfg, "line 3 (user 'alice'): the user appears twice (first on line 1)",
                    "auth.config.htpasswd.file", NULL);
    snprintf(cfg, sizeof cfg, "{htpasswd: {file: '%s'}}", ext_path("missing"));
    expect_rejected(cfg, "must be readable", "auth.config.htpasswd.file", NULL);
    expect_rejected("{htpasswd: {inline: 'nocolon'}}", "line 1: no ':'",
                    "auth.config.htpasswd.inline", "nocolon");
    expect_rejected("{htpasswd: {inline: 'x:$2y$13$abcdefghijklmnopqrstuukhlpt.kxMj79WPCKYuOTnF4AL"
                    "JzAljK'}}",
                    "bcrypt cost above 12", "auth.config.htpasswd.inline", "kxMj79");
    expect_rejected("{htpasswd: {inline: 'x:$2y$10$short'}}", "malformed bcrypt hash",
                    "auth.config.htpasswd.inline", NULL);
    expect_rejected("{htpasswd: {inline: 'x:$6$rounds=999999$r$abc'}}",
                    "SHA-crypt rounds above 500000", "auth.config.htpasswd.inline", NULL);
    expect_rejected("{htpasswd: {inline: 'x:$y$j9T$abc$def'}}", "unsupported hash scheme",
                    "auth.config.htpasswd.inline", NULL);
    expect_rejected("{htpasswd: {inline: 'x:{SHA}abc='}}", "malformed {SHA} hash",
                    "auth.config.htpasswd.inline", NULL);
    expect_rejected("{htpasswd: {inline: ':" SHA1_DAVE "'}}", "the user name is empty",
                    "auth.config.htpasswd.inline", NULL);
    expect_rejected("{htpasswd: {inline: 'dave:" SHA1_DAVE "'}, realm: 'a\"b'}",
                    "the realm must be", "auth.config.realm", NULL);
    expect_rejected("{htpasswd: {inline: 'dave:" SHA1_DAVE "'}, cache_ttl: 2h}", "out of range",
                    "auth.config.cache_ttl", NULL);
    expect_rejected("{htpasswd: {inline: 'dave:" SHA1_DAVE "'}, watch_interval: 1ms}",
                    "out of range", "auth.config.watch_interval", NULL);
    expect_rejected("{htpasswd: {inline: 'dave:" SHA1_DAVE "', files: x}}", "unknown key 'files'",
                    "auth.config.htpasswd.files", NULL);

    /* And what is accepted: file and inline, a user in both, cache off. */
    snprintf(cfg, sizeof cfg,
             "{htpasswd: {file: '%s', inline: \"dave:" SHA1_DAVE "\\nalice:" SHA1_DAVE
             "\\n\"}, cache_ttl: 0}",
             ext_path("good"));
    ext_expect_accepted(yaml(cfg));
}

/* ---- the parser and the hash formats ------------------------------------------------ */

static struct crypt_data cd;

static void expect_verify(const struct ba_users *u, const char *name, const char *good,
                          const char *bad)
{
    const struct ba_user *x = ba_users_find(u, name, strlen(name));
    assert_non_null(x);
    if (!ba_verify(x, good, strlen(good), &cd))
        fail_msg("%s: the right password is refused", name);
    if (ba_verify(x, bad, strlen(bad), &cd))
        fail_msg("%s: a wrong password is accepted", name);
}

static void test_hash_formats(void **state)
{
    (void)state;
    char text[2048], why[192];
    snprintf(text, sizeof text,
             "vector:%s\r\n  yuser:%s\nbuser:%s\nbob:%s\ncarol:%s\ncarol2:%s\ndave:%s\n"
             "# comment\n\n \t\n",
             BCRYPT_VECTOR, bcrypt("$2y$", "y pass:1"), bcrypt("$2b$", "b-pass"), SHA256_BOB,
             SHA512_CAROL, SHA512_ROUNDS, SHA1_DAVE);
    struct ba_users u;
    int rc = ba_htpasswd_parse(text, strlen(text), &u, why, sizeof why);
    if (rc)
        fail_msg("%s", why);
    assert_int_equal(u.n, 7);
    expect_verify(&u, "vector", "U*U", "U*V");
    expect_verify(&u, "yuser", "y pass:1", "y pass:2");
    expect_verify(&u, "buser", "b-pass", "B-pass");
    expect_verify(&u, "bob", "bob-pass", "bob-pas");
    expect_verify(&u, "carol", "carol:pa:ss", "carol:pa:s");
    expect_verify(&u, "carol2", "carol2", "carol3");
    expect_verify(&u, "dave", "dave-pw", "dave-pw ");
    assert_int_equal(ba_users_find(&u, "vector", 6)->kind, BA_HASH_BCRYPT);
    assert_int_equal(ba_users_find(&u, "bob", 3)->kind, BA_HASH_SHA256_CRYPT);
    assert_int_equal(ba_users_find(&u, "carol", 5)->kind, BA_HASH_SHA512_CRYPT);
    assert_int_equal(ba_users_find(&u, "dave", 4)->kind, BA_HASH_SHA1);
    assert_int_equal(ba_users_find(&u, "carol2", 6)->line, 6);
    assert_null(ba_users_find(&u, "caro", 4));
    assert_null(ba_users_find(&u, "carol22", 7));
    /* A hash used for another user's password is another user's. */
    const struct ba_user *bob = ba_users_find(&u, "bob", 3);
    assert_false(ba_verify(bob, "carol:pa:ss", 11, &cd));
    ba_users_free(&u);

    /* Errors name the line and user, never the hash. */
    static const struct {
        const char *text, *want, *secret;
    } bad[] = {
        {"a:" SHA1_DAVE "\nb:$1$abc$def\n", "line 2 (user 'b'): MD5", "abc$def"},
        {"a:" SHA1_DAVE "\nb\n", "line 2: no ':'", NULL},
        {"a:" SHA1_DAVE "\nb:\n", "line 2 (user 'b'): no hash", NULL},
        {"a:" SHA1_DAVE "\nb\x01:" SHA1_DAVE "\n", "line 2: the user name", NULL},
        {"a:$5$rounds=500$s$"
         "n4aZy26m9wBF1/LmjyhJI0fFFi0M4I17eSK4ZDbCmx2",
         "rounds below 1000", NULL},
        {"a:$2y$03$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", "cost below 4", NULL},
        {"a:$5$bobsalt$n4aZy26m9wBF1/LmjyhJI0fFFi0M4I17eSK4ZDbCmx", "wrong length", NULL},
        {"a:{SHA}uE1+cBGmURe+4zihKsjfuHZgJbQ", "malformed {SHA}", "uE1+"},
        {"", "holds no user", NULL},
    };
    for (size_t i = 0; i < DF_COUNTOF(bad); i++) {
        rc = ba_htpasswd_parse(bad[i].text, strlen(bad[i].text), &u, why, sizeof why);
        assert_int_equal(rc, DF_EINVAL);
        if (!strstr(why, bad[i].want))
            fail_msg("%zu: '%s' lacks '%s'", i, why, bad[i].want);
        if (bad[i].secret)
            assert_null(strstr(why, bad[i].secret));
        assert_null(u.v);
    }
}

/* ---- the header ------------------------------------------------------------------------ */

static enum ba_header decode(const char *value, char *cred, size_t *clen, size_t *ulen)
{
    return ba_header_decode(value, strlen(value), cred, clen, ulen);
}

static void test_header_decode(void **state)
{
    (void)state;
    char cred[BA_CRED_MAX + 1];
    size_t clen = 0, ulen = 0;
    /* "alice:pa:ss" */
    assert_int_equal(decode("Basic YWxpY2U6cGE6c3M=", cred, &clen, &ulen), BA_HEADER_OK);
    assert_int_equal(clen, 11);
    assert_int_equal(ulen, 5);
    assert_string_equal(cred, "alice:pa:ss");
    assert_int_equal(decode(" \tbasic   YWxpY2U6cGE6c3M= \t", cred, &clen, &ulen), BA_HEADER_OK);
    assert_int_equal(decode("BASIC YWxpY2U6", cred, &clen, &ulen), BA_HEADER_OK); /* "alice:" */
    assert_int_equal(clen, 6);
    assert_int_equal(decode("", cred, &clen, &ulen), BA_HEADER_MISSING);
    assert_int_equal(decode(" \t ", cred, &clen, &ulen), BA_HEADER_MISSING);
    assert_int_equal(decode("Bearer YWxpY2U6cGE6c3M=", cred, &clen, &ulen), BA_HEADER_OTHER_SCHEME);
    assert_int_equal(decode("Basically YWxpY2U6cGE6c3M=", cred, &clen, &ulen),
                     BA_HEADER_OTHER_SCHEME);
    assert_int_equal(decode("YWxpY2U6cGE6c3M=", cred, &clen, &ulen), BA_HEADER_OTHER_SCHEME);
    static const char *const malformed[] = {
        "Basic",
        "Basic ",
        "Basic\tYWxpY2U6cGE6c3M=",
        "Basic:YWxpY2U6cGE6c3M=",
        "Basic YWxpY2U6cGE6c3M",   /* no padding */
        "Basic YWxpY2U6cGE6c3M==", /* too much */
        "Basic YWxp=2U6cGE6c3M=",  /* '=' inside */
        "Basic YWxpY2U6cGE6c3M= x",
        "Basic YWxpY2U6cGE6c3M*",
        "Basic YWxpY2U6cGE6c3N=", /* non-zero padding bits */
        "Basic YWxpY2U=",         /* "alice": no ':' */
        "Basic OnB3",             /* ":pw": no user */
        "Basic YQFiOnB3",         /* "a\x01b:pw" */
        "Basic YTpwAHc=",         /* "a:p\0w" */
        "Basic YTpwdw0K",         /* "a:pw\r\n" */
    };
    for (size_t i = 0; i < DF_COUNTOF(malformed); i++) {
        if (decode(malformed[i], cred, &clen, &ulen) != BA_HEADER_MALFORMED)
            fail_msg("'%s' is not malformed", malformed[i]);
    }
    /* The size bound: up to BA_CRED_MAX decoded bytes fit. "YTp4" is "a:x",
     * "eHh4" "xxx". */
    static char big[8 + 4 * (BA_CRED_MAX / 3 + 2)];
    for (size_t groups = BA_CRED_MAX / 3 - 1; groups <= BA_CRED_MAX / 3 + 1; groups++) {
        size_t o = (size_t)snprintf(big, sizeof big, "Basic YTp4");
        for (size_t g = 1; g < groups; g++)
            o += (size_t)snprintf(big + o, sizeof big - o, "eHh4");
        enum ba_header h = decode(big, cred, &clen, &ulen);
        assert_int_equal(h, 3 * groups <= BA_CRED_MAX ? BA_HEADER_OK : BA_HEADER_MALFORMED);
        if (h == BA_HEADER_OK)
            assert_int_equal(clen, 3 * groups);
    }
}

/* ---- the instance, through the extension manager ----------------------------------------- */

struct fx {
    struct ext_fx e; /* a local instance: self is its state */
    const struct df_auth_check_ops *auth;
};

#define RUN_UNTIL(f, cond) EXT_RUN_UNTIL(&(f)->e, cond)

static void fx_build(struct fx *f, const char *cfg)
{
    memset(f, 0, sizeof *f);
    ext_fx_build_model(&f->e, yaml(cfg), "auth", DF_EXEC_LOCAL, 0);
    assert_ptr_equal(f->e.self, f->e.x->state);
    f->auth = ext_fx_ops(&f->e, DF_AUTH_CHECK_NAME);
}

static void fx_start(struct fx *f, const char *cfg)
{
    fx_build(f, cfg);
    ext_fx_run(&f->e);
}

static struct ba_stats stats(const struct fx *f)
{
    struct ba_stats s;
    ba_stats_get(f->e.self, &s);
    return s;
}

/* The Authorization value for user:password. */
static const char *basic(const char *user, const char *password)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    static char out[4][512];
    static unsigned next;
    char in[256];
    size_t n = (size_t)snprintf(in, sizeof in, "%s:%s", user, password), o = 0;
    char *p = out[next++ % 4];
    o += (size_t)snprintf(p, 512, "Basic ");
    for (size_t i = 0; i < n; i += 3) {
        unsigned long w = (unsigned long)(unsigned char)in[i] << 16;
        if (i + 1 < n)
            w |= (unsigned long)(unsigned char)in[i + 1] << 8;
        if (i + 2 < n)
            w |= (unsigned char)in[i + 2];
        p[o++] = tab[w >> 18 & 63];
        p[o++] = tab[w >> 12 & 63];
        p[o++] = i + 1 < n ? tab[w >> 6 & 63] : '=';
        p[o++] = i + 2 < n ? tab[w & 63] : '=';
    }
    p[o] = 0;
    return p;
}

static enum df_auth_decision check_creds(struct fx *f, const char *user, const char *password,
                                         struct df_auth_result *r)
{
    return ext_auth_check_value(f->auth, f->e.self, basic(user, password), r);
}

static void expect_allow(struct fx *f, const char *user, const char *password)
{
    const struct df_identity *id =
        ext_expect_allow(f->auth, f->e.self, basic(user, password), user);
    assert_int_equal(id->nattrs, 0);
}

static void expect_refused(struct fx *f, const char *user, const char *password)
{
    struct df_auth_result r;
    ext_expect_deny(f->auth, f->e.self, basic(user, password), DF_AUTH_INVALID_CREDENTIAL,
                    "invalid user name or password", true, &r);
    assert_string_equal(r.challenge, "Basic realm=\"df_engine\", charset=\"UTF-8\"");
}

static void expect_deny(struct fx *f, const char *value, enum df_auth_reason reason,
                        const char *detail)
{
    struct df_auth_result r;
    ext_expect_deny(f->auth, f->e.self, value, reason, detail, true, &r);
    assert_true(!strncmp(r.challenge, "Basic realm=", 12));
}

static void test_decisions(void **state)
{
    (void)state;
    char cfg[2048];
    ext_write_file(ext_path("users"),
                   "bob:" SHA256_BOB "\ncarol:" SHA512_CAROL "\nalice:" SHA1_DAVE "\n");
    snprintf(cfg, sizeof cfg,
             "{htpasswd: {file: '%s', inline: \"dave:" SHA1_DAVE "\\nvector:" BCRYPT_VECTOR
             "\\nalice:" SHA256_BOB "\"}}",
             ext_path("users"));
    struct fx f;
    fx_start(&f, cfg);
    struct df_auth_result r;
    /* Missing, several, other scheme, malformed. */
    assert_int_equal(ext_auth_check(f.auth, f.e.self, &r, 0), DF_AUTH_DENY);
    assert_int_equal(r.reason, DF_AUTH_MISSING_CREDENTIAL);
    assert_string_equal(r.detail, "no authorization header");
    assert_string_equal(r.challenge, "Basic realm=\"df_engine\", charset=\"UTF-8\"");
    expect_deny(&f, " ", DF_AUTH_MISSING_CREDENTIAL, "no authorization header");
    assert_int_equal(ext_auth_check(f.auth, f.e.self, &r, 2, "authorization",
                                    basic("bob", "bob-pass"), "Authorization",
                                    basic("bob", "bob-pass")),
                     DF_AUTH_DENY);
    assert_int_equal(r.reason, DF_AUTH_INVALID_CREDENTIAL);
    assert_string_equal(r.detail, "several authorization headers");
    expect_deny(&f, "Bearer abc", DF_AUTH_INVALID_CREDENTIAL, "scheme is not Basic");
    expect_deny(&f, "Basic !!!!", DF_AUTH_INVALID_CREDENTIAL, "malformed authorization header");
    expect_deny(&f, "Basic Ym9i", DF_AUTH_INVALID_CREDENTIAL, "malformed authorization header");
    assert_int_equal(stats(&f).hashes, 0); /* nothing hashed for those */
    /* Every user and format: the right password, a wrong one. */
    expect_allow(&f, "bob", "bob-pass");
    expect_allow(&f, "carol", "carol:pa:ss");
    expect_allow(&f, "dave", "dave-pw");
    expect_allow(&f, "vector", "U*U");
    expect_refused(&f, "bob", "bob-pas");
    expect_refused(&f, "carol", "carol");
    expect_refused(&f, "vector", "U*V");
    expect_refused(&f, "dave", "");
    /* alice is in both: the inline entry (bob's hash) wins. */
    expect_allow(&f, "alice", "bob-pass");
    expect_refused(&f, "alice", "dave-pw");
    /* Case matters in user names; an unknown user costs a hash as well. */
    uint64_t hashes = stats(&f).hashes;
    expect_refused(&f, "Bob", "bob-pass");
    expect_refused(&f, "mallory", "x");
    assert_int_equal(stats(&f).hashes, hashes + 2);
    /* The header name is case-insensitive; other headers are ignored. */
    assert_int_equal(ext_auth_check(f.auth, f.e.self, &r, 2, "x-other", "1", "AUTHORIZATION",
                                    basic("dave", "dave-pw")),
                     DF_AUTH_ALLOW);
    const struct df_identity *id = r.identity;
    assert_ptr_equal(ext_expect_allow(f.auth, f.e.self, basic("dave", "dave-pw"), "dave"), id);
    assert_int_equal(ext_fx_refreshes(&f.e, 0), 1); /* the first load */
    ext_fx_finish(&f.e);
}

/* A second check with the same credentials computes no hash; failures are
 * never cached; an entry expires after cache_ttl. */
static void test_cache(void **state)
{
    (void)state;
    char cfg[1024];
    snprintf(cfg, sizeof cfg, "{htpasswd: {inline: 'y:%s'}, cache_ttl: 300ms}",
             bcrypt("$2y$", "y-pass"));
    struct fx f;
    fx_start(&f, cfg);
    expect_allow(&f, "y", "y-pass");
    struct ba_stats s = stats(&f);
    assert_int_equal(s.hashes, 1);
    assert_int_equal(s.misses, 1);
    assert_int_equal(s.hits, 0);
    for (int i = 0; i < 5; i++)
        expect_allow(&f, "y", "y-pass");
    s = stats(&f);
    assert_int_equal(s.hashes, 1);
    assert_int_equal(s.hits, 5);
    /* Wrong passwords: hashed every time, never remembered. */
    expect_refused(&f, "y", "y-pasS");
    expect_refused(&f, "y", "y-pasS");
    assert_int_equal(stats(&f).hashes, 3);
    /* Expired. */
    usleep(350000);
    expect_allow(&f, "y", "y-pass");
    assert_int_equal(stats(&f).hashes, 4);
    expect_allow(&f, "y", "y-pass");
    assert_int_equal(stats(&f).hashes, 4);
    ext_fx_finish(&f.e);

    /* cache_ttl: 0 disables it. */
    snprintf(cfg, sizeof cfg, "{htpasswd: {inline: 'dave:" SHA1_DAVE "'}, cache_ttl: 0}");
    fx_start(&f, cfg);
    expect_allow(&f, "dave", "dave-pw");
    expect_allow(&f, "dave", "dave-pw");
    s = stats(&f);
    assert_int_equal(s.hashes, 2);
    assert_int_equal(s.hits + s.misses, 0);
    ext_fx_finish(&f.e);

    /* Failures leave the cache alone: many wrong passwords, then the right
     * one is remembered. */
    snprintf(cfg, sizeof cfg, "{htpasswd: {inline: 'dave:" SHA1_DAVE "'}}");
    fx_start(&f, cfg);
    char pw[32];
    for (int i = 0; i < BA_CACHE_ENTRIES + 10; i++) {
        snprintf(pw, sizeof pw, "wrong-%d", i);
        expect_refused(&f, "dave", pw);
    }
    expect_allow(&f, "dave", "dave-pw");
    expect_allow(&f, "dave", "dave-pw");
    assert_int_equal(stats(&f).hits, 1);
    ext_fx_finish(&f.e);
}

/* {SHA} of `password`, as htpasswd -s writes it. */
static void sha1_hash(const char *password, char *out, size_t n)
{
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int dn = 0;
    assert_true(EVP_Digest(password, strlen(password), d, &dn, EVP_sha1(), NULL));
    assert_int_equal(dn, 20);
    assert_true(n > 5 + 28);
    memcpy(out, "{SHA}", 5);
    assert_int_equal(EVP_EncodeBlock((unsigned char *)out + 5, d, 20), 28);
}

/* More users than entries: the oldest entries go, the newest stay. */
static void test_cache_eviction(void **state)
{
    (void)state;
    enum { USERS = BA_CACHE_ENTRIES + 76 };
    FILE *fp = fopen(ext_path("many"), "w");
    assert_non_null(fp);
    char user[32], pw[32], hash[64];
    for (int i = 0; i < USERS; i++) {
        snprintf(pw, sizeof pw, "pw-%d", i);
        sha1_hash(pw, hash, sizeof hash);
        fprintf(fp, "u%d:%s\n", i, hash);
    }
    assert_int_equal(fclose(fp), 0);
    char cfg[256];
    snprintf(cfg, sizeof cfg, "{htpasswd: {file: '%s'}}", ext_path("many"));
    struct fx f;
    fx_start(&f, cfg);
    for (int i = 0; i < USERS; i++) {
        snprintf(user, sizeof user, "u%d", i);
        snprintf(pw, sizeof pw, "pw-%d", i);
        expect_allow(&f, user, pw);
    }
    struct ba_stats s = stats(&f);
    assert_int_equal(s.misses, USERS);
    assert_int_equal(s.hits, 0);
    /* The newest BA_CACHE_ENTRIES are there... */
    for (int i = USERS - 1; i >= USERS - BA_CACHE_ENTRIES; i--) {
        snprintf(user, sizeof user, "u%d", i);
        snprintf(pw, sizeof pw, "pw-%d", i);
        expect_allow(&f, user, pw);
    }
    s = stats(&f);
    assert_int_equal(s.hits, BA_CACHE_ENTRIES);
    assert_int_equal(s.hashes, USERS);
    /* ...the oldest are not. */
    expect_allow(&f, "u0", "pw-0");
    assert_int_equal(stats(&f).hashes, USERS + 1);
    ext_fx_finish(&f.e);
}

/* A full cache where a reload dropped an entry: the next verified
 * credential takes the dropped one's place, and the oldest entry stays; the
 * one after that replaces the oldest. */
static void test_cache_reuses_dropped_entry(void **state)
{
    (void)state;
    enum { USERS = BA_CACHE_ENTRIES + 2 };
    static char text[USERS * 48];
    char user[32], pw[32], hash[64];
    size_t o = 0;
    for (int i = 0; i < USERS; i++) {
        snprintf(pw, sizeof pw, "pw-%d", i);
        sha1_hash(pw, hash, sizeof hash);
        o += (size_t)snprintf(text + o, sizeof text - o, "u%d:%.33s\n", i, hash);
    }
    ext_write_file(ext_path("many"), text);
    char cfg[256];
    snprintf(cfg, sizeof cfg, "{htpasswd: {file: '%s'}, watch_interval: 10ms}", ext_path("many"));
    struct fx f;
    fx_start(&f, cfg);
    for (int i = 0; i < BA_CACHE_ENTRIES; i++) {
        snprintf(user, sizeof user, "u%d", i);
        snprintf(pw, sizeof pw, "pw-%d", i);
        expect_allow(&f, user, pw);
    }
    assert_int_equal(stats(&f).hashes, BA_CACHE_ENTRIES);
    /* u7 gets another password: its entry is dropped. */
    sha1_hash("other", hash, sizeof hash);
    char *line = strstr(text, "\nu7:") + 1;
    memcpy(line + 3, hash, 33);
    uint64_t ok = ext_fx_refreshes(&f.e, 0);
    ext_rotate(ext_path("many"), text);
    assert_true(RUN_UNTIL(&f, ext_fx_refreshes(&f.e, 0) > ok));
    assert_int_equal(stats(&f).invalidated, 1);
    snprintf(pw, sizeof pw, "pw-%d", BA_CACHE_ENTRIES);
    snprintf(user, sizeof user, "u%d", BA_CACHE_ENTRIES);
    expect_allow(&f, user, pw); /* into u7's entry */
    expect_allow(&f, "u0", "pw-0");
    assert_int_equal(stats(&f).hashes, BA_CACHE_ENTRIES + 1); /* u0 still cached */
    snprintf(pw, sizeof pw, "pw-%d", BA_CACHE_ENTRIES + 1);
    snprintf(user, sizeof user, "u%d", BA_CACHE_ENTRIES + 1);
    expect_allow(&f, user, pw); /* in place of u0, the oldest */
    expect_allow(&f, "u1", "pw-1");
    assert_int_equal(stats(&f).hashes, BA_CACHE_ENTRIES + 2);
    expect_allow(&f, "u0", "pw-0");
    assert_int_equal(stats(&f).hashes, BA_CACHE_ENTRIES + 3);
    ext_fx_finish(&f.e);
}

/* The file replaced by an atomic rename: a changed user's cache entry is
 * dropped (the old password is refused at once), an unchanged user's stays;
 * a bad file keeps the last good users and counts a failed refresh; a
 * removed user is refused. */
static void test_reload(void **state)
{
    (void)state;
    char cfg[512], text[1024];
    const char *y1 = bcrypt("$2y$", "y-one");
    snprintf(text, sizeof text, "y:%s\nbob:%s\n", y1, SHA256_BOB);
    ext_write_file(ext_path("ht"), text);
    snprintf(cfg, sizeof cfg, "{htpasswd: {file: '%s'}, watch_interval: 10ms}", ext_path("ht"));
    struct fx f;
    fx_start(&f, cfg);
    expect_allow(&f, "y", "y-one");
    expect_allow(&f, "bob", "bob-pass");
    assert_int_equal(stats(&f).hashes, 2);
    expect_allow(&f, "y", "y-one");
    expect_allow(&f, "bob", "bob-pass");
    assert_int_equal(stats(&f).hashes, 2); /* both cached */

    /* y gets a new password; bob is unchanged (the line moves). */
    uint64_t ok = ext_fx_refreshes(&f.e, 0);
    snprintf(text, sizeof text, "# rotated\nbob:%s\ny:%s\n", SHA256_BOB, SHA512_NEW);
    ext_rotate(ext_path("ht"), text);
    assert_true(RUN_UNTIL(&f, ext_fx_refreshes(&f.e, 0) > ok));
    assert_int_equal(stats(&f).invalidated, 1);
    expect_refused(&f, "y", "y-one");
    expect_allow(&f, "y", "new-pass");
    uint64_t hashes = stats(&f).hashes;
    expect_allow(&f, "bob", "bob-pass");
    assert_int_equal(stats(&f).hashes, hashes); /* still cached */

    /* A bad file (an MD5 line): the last good users stay. */
    uint64_t failed = ext_fx_refreshes(&f.e, 1);
    snprintf(text, sizeof text, "bob:%s\nmd5:$apr1$x$n3KC.RJYHZhK50zaCOGff0\n", SHA1_DAVE);
    ext_rotate(ext_path("ht"), text);
    assert_true(RUN_UNTIL(&f, ext_fx_refreshes(&f.e, 1) > failed));
    expect_allow(&f, "y", "new-pass");
    expect_allow(&f, "bob", "bob-pass");
    expect_refused(&f, "bob", "dave-pw");
    /* Removed, then unreadable: the same. */
    failed = ext_fx_refreshes(&f.e, 1);
    assert_int_equal(unlink(ext_path("ht")), 0);
    assert_true(RUN_UNTIL(&f, ext_fx_refreshes(&f.e, 1) > failed));
    expect_allow(&f, "y", "new-pass");
    /* Restored without y: y is refused, even from the cache. */
    ok = ext_fx_refreshes(&f.e, 0);
    snprintf(text, sizeof text, "bob:%s\n", SHA256_BOB);
    ext_rotate(ext_path("ht"), text);
    assert_true(RUN_UNTIL(&f, ext_fx_refreshes(&f.e, 0) > ok));
    expect_refused(&f, "y", "new-pass");
    expect_allow(&f, "bob", "bob-pass");
    ext_fx_finish(&f.e);
}

/* A file that does not load: not ready, checks fail closed (error), what
 * needs no users is still denied; once it appears, all is well. */
static void test_not_loaded_fails_closed(void **state)
{
    (void)state;
    ext_write_file(ext_path("late"), "bob:" SHA256_BOB "\n");
    char cfg[512];
    snprintf(cfg, sizeof cfg,
             "{htpasswd: {file: '%s', inline: 'dave:" SHA1_DAVE "'}, watch_interval: 10ms}",
             ext_path("late"));
    struct fx f;
    fx_build(&f, cfg);
    assert_int_equal(unlink(ext_path("late")), 0); /* gone between the config load and the start */
    assert_int_equal(df_ext_set_start(&f.e.set), 0);
    assert_true(RUN_UNTIL(&f, ext_fx_refreshes(&f.e, 1) >= 1));
    assert_false(df_ext_set_ready(&f.e.set));
    assert_false(f.e.set.failed);
    struct df_auth_result r;
    assert_int_equal(check_creds(&f, "dave", "dave-pw", &r), DF_AUTH_ERROR);
    assert_string_equal(r.detail, "htpasswd file not loaded yet");
    assert_null(r.identity);
    expect_deny(&f, "Bearer x", DF_AUTH_INVALID_CREDENTIAL, "scheme is not Basic");
    ext_write_file(ext_path("late"), "bob:" SHA256_BOB "\n");
    assert_true(RUN_UNTIL(&f, df_ext_set_ready(&f.e.set)));
    expect_allow(&f, "bob", "bob-pass");
    expect_allow(&f, "dave", "dave-pw");
    ext_fx_finish(&f.e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_config_errors, ext_dir_setup, ext_dir_teardown),
        cmocka_unit_test(test_hash_formats),
        cmocka_unit_test(test_header_decode),
        cmocka_unit_test_setup_teardown(test_decisions, ext_dir_setup, ext_dir_teardown),
        cmocka_unit_test_setup_teardown(test_cache, ext_dir_setup, ext_dir_teardown),
        cmocka_unit_test_setup_teardown(test_cache_eviction, ext_dir_setup, ext_dir_teardown),
        cmocka_unit_test_setup_teardown(test_cache_reuses_dropped_entry, ext_dir_setup,
                                        ext_dir_teardown),
        cmocka_unit_test_setup_teardown(test_reload, ext_dir_setup, ext_dir_teardown),
        cmocka_unit_test_setup_teardown(test_not_loaded_fails_closed, ext_dir_setup,
                                        ext_dir_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
