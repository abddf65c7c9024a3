/* Unit tests for the option-table walker and scalar parsers (df/options.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/load.h"
#include "df/arena.h"
#include "df/error.h"
#include "df/options.h"
#include "df/value.h"

#define MS  1000000ULL
#define SEC 1000000000ULL

struct fx {
    struct df_arena a;
    struct df_diags d;
    char dir[64];
    char file[128];
    const struct df_value *root;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    df_arena_init(&f->a);
    snprintf(f->dir, sizeof f->dir, "/tmp/df_test_options_XXXXXX");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    snprintf(f->file, sizeof f->file, "%s/ca.pem", f->dir);
    FILE *fp = fopen(f->file, "w");
    if (!fp) {
        rmdir(f->dir);
        free(f);
        return -1;
    }
    fputs("-----BEGIN CERTIFICATE-----\n", fp);
    fclose(fp);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    unlink(f->file);
    rmdir(f->dir);
    df_arena_free(&f->a);
    free(f);
    return 0;
}

/* Loads YAML text into a value tree; the text must be valid. */
static const struct df_value *load(struct fx *f, const char *yaml)
{
    struct df_value *v = NULL;
    int rc = df_config_load_buffer("t.yaml", yaml, strlen(yaml), &f->a, &v, &f->d);
    if (rc) {
        print_error("cannot load test YAML:\n%s\n", yaml);
        df_diags_print(&f->d, stderr);
    }
    assert_int_equal(rc, 0);
    assert_non_null(v);
    return v;
}

static const struct df_mark AT = {.file = "at.yaml", .line = 99, .col = 3};

/* Parses `yaml` (NULL: no value at all) against `t` into the zeroed `out`
 * at config path "cfg". */
static int run(struct fx *f, const struct df_option_table *t, const char *yaml, void *out)
{
    df_diags_reset(&f->d);
    memset(out, 0, t->size);
    f->root = yaml ? load(f, yaml) : NULL;
    return df_options_parse(t, f->root, &AT, out, "cfg", &f->a, &f->d);
}

static void dump(struct fx *f)
{
    df_diags_print(&f->d, stderr);
}

static void expect_clean(struct fx *f, int rc)
{
    if (rc != 0 || df_diags_total(&f->d) != 0) {
        print_error("expected a clean parse, rc=%d\n", rc);
        dump(f);
    }
    assert_int_equal(rc, 0);
    assert_int_equal(df_diags_total(&f->d), 0);
}

/* Returns the diagnostic at `path` whose message contains `part`. */
static const struct df_error *find_diag(struct fx *f, const char *path, const char *part)
{
    for (size_t i = 0; i < f->d.count; i++) {
        const struct df_error *e = &f->d.items[i];
        if (!strcmp(e->path, path) && strstr(e->msg, part))
            return e;
    }
    return NULL;
}

/* Asserts a diagnostic at `path` containing `part` exists, at line:col
 * (when line is not 0). */
static const struct df_error *expect_diag(struct fx *f, const char *path, const char *part,
                                          unsigned line, unsigned col)
{
    const struct df_error *e = find_diag(f, path, part);
    if (!e) {
        print_error("no diagnostic at '%s' containing '%s'; got:\n", path, part);
        dump(f);
    }
    assert_non_null(e);
    if (line) {
        if (e->mark.line != line || e->mark.col != col)
            print_error("'%s' at %u:%u, expected %u:%u\n", e->msg, e->mark.line, e->mark.col, line,
                        col);
        assert_int_equal(e->mark.line, line);
        assert_int_equal(e->mark.col, col);
        assert_non_null(e->mark.file);
        assert_string_equal(e->mark.file, "t.yaml");
    }
    return e;
}

/* Asserts the parse failed with exactly one diagnostic, as described. */
static const struct df_error *expect_one(struct fx *f, int rc, const char *path, const char *part)
{
    if (rc != DF_EINVAL || df_diags_total(&f->d) != 1) {
        print_error("expected one error (%s: %s), rc=%d, got:\n", path, part, rc);
        dump(f);
    }
    assert_int_equal(rc, DF_EINVAL);
    assert_int_equal(df_diags_total(&f->d), 1);
    return expect_diag(f, path, part, 0, 0);
}

/* ---- a table with one option of every scalar type ---------------------- */

static const char *const modes[] = {"fast", "safe", "paranoid", NULL};

struct scalars {
    const char *name;
    bool flag;
    int64_t count;
    int64_t offset;
    double ratio;
    uint64_t timeout;
    uint64_t buffer;
    int mode;
    struct df_sockaddr endpoint;
    const char *path;
    const char *ca;
    const struct df_value *extra;
    bool name_set, count_set, timeout_set, extra_set;
    const struct df_value *src;
};

#define S_OFF(f)     offsetof(struct scalars, f)
#define S_PRESENT(f) (offsetof(struct scalars, f) + 1)

static const struct df_option scalar_opts[] = {
    {.name = "name",
     .type = DF_OPT_STRING,
     .def = "hello",
     .offset = S_OFF(name),
     .present = S_PRESENT(name_set),
     .desc = "a name"},
    {.name = "flag", .type = DF_OPT_BOOL, .def = "true", .offset = S_OFF(flag)},
    {.name = "count",
     .type = DF_OPT_INT,
     .flags = DF_OPT_BOUNDED,
     .min = 1,
     .max = 100,
     .def = "10",
     .offset = S_OFF(count),
     .present = S_PRESENT(count_set)},
    {.name = "offset", .type = DF_OPT_INT, .offset = S_OFF(offset)},
    {.name = "ratio",
     .type = DF_OPT_FLOAT,
     .flags = DF_OPT_FBOUNDED,
     .fmin = 0.0,
     .fmax = 1.0,
     .def = "0.5",
     .offset = S_OFF(ratio)},
    {.name = "timeout",
     .type = DF_OPT_DURATION,
     .flags = DF_OPT_BOUNDED,
     .min = 1000000,
     .max = 3600000000000,
     .def = "5s",
     .offset = S_OFF(timeout),
     .present = S_PRESENT(timeout_set)},
    {.name = "buffer",
     .type = DF_OPT_SIZE,
     .flags = DF_OPT_BOUNDED,
     .min = 1024,
     .max = 1 << 30,
     .def = "4MiB",
     .offset = S_OFF(buffer)},
    {.name = "mode", .type = DF_OPT_ENUM, .enums = modes, .def = "safe", .offset = S_OFF(mode)},
    {.name = "endpoint",
     .type = DF_OPT_SOCKADDR,
     .def = "127.0.0.1:4317",
     .offset = S_OFF(endpoint)},
    {.name = "path", .type = DF_OPT_PATH, .offset = S_OFF(path)},
    {.name = "ca", .type = DF_OPT_PATH, .flags = DF_OPT_MUST_EXIST, .offset = S_OFF(ca)},
    {.name = "extra", .type = DF_OPT_ANY, .offset = S_OFF(extra), .present = S_PRESENT(extra_set)},
};

static const struct df_option_table scalar_table = {
    .name = "scalars",
    .size = sizeof(struct scalars),
    .options = scalar_opts,
    .count = DF_COUNTOF(scalar_opts),
    .src = offsetof(struct scalars, src) + 1,
};

static void expect_scalar_defaults(const struct scalars *s)
{
    assert_non_null(s->name);
    assert_string_equal(s->name, "hello");
    assert_true(s->flag);
    assert_int_equal(s->count, 10);
    assert_int_equal(s->offset, 0);
    assert_true(s->ratio == 0.5);
    assert_int_equal(s->timeout, 5 * SEC);
    assert_int_equal(s->buffer, 4u << 20);
    assert_int_equal(s->mode, 1);
    assert_non_null(s->endpoint.host);
    assert_string_equal(s->endpoint.host, "127.0.0.1");
    assert_int_equal(s->endpoint.port, 4317);
    assert_string_equal(s->endpoint.text, "127.0.0.1:4317");
    assert_null(s->path);
    assert_null(s->ca);
    assert_null(s->extra);
    assert_false(s->name_set);
    assert_false(s->count_set);
    assert_false(s->timeout_set);
    assert_false(s->extra_set);
}

static void test_type_names_and_sizes(void **state)
{
    (void)state;
    assert_string_equal(df_opt_type_name(DF_OPT_STRING), "string");
    assert_string_equal(df_opt_type_name(DF_OPT_BOOL), "bool");
    assert_string_equal(df_opt_type_name(DF_OPT_INT), "integer");
    assert_string_equal(df_opt_type_name(DF_OPT_FLOAT), "float");
    assert_string_equal(df_opt_type_name(DF_OPT_DURATION), "duration");
    assert_string_equal(df_opt_type_name(DF_OPT_SIZE), "size");
    assert_string_equal(df_opt_type_name(DF_OPT_ENUM), "enum");
    assert_string_equal(df_opt_type_name(DF_OPT_LIST), "list");
    assert_string_equal(df_opt_type_name(DF_OPT_MAP), "map");
    assert_string_equal(df_opt_type_name(DF_OPT_TABLE), "table");
    assert_string_equal(df_opt_type_name(DF_OPT_SOCKADDR), "socket address");
    assert_string_equal(df_opt_type_name(DF_OPT_PATH), "file path");
    assert_string_equal(df_opt_type_name(DF_OPT_ANY), "any");
    assert_string_equal(df_opt_type_name((enum df_opt_type)99), "?");

    struct df_option o = {.type = DF_OPT_STRING};
    assert_int_equal(df_option_field_size(&o), sizeof(const char *));
    o.type = DF_OPT_BOOL;
    assert_int_equal(df_option_field_size(&o), sizeof(bool));
    o.type = DF_OPT_INT;
    assert_int_equal(df_option_field_size(&o), sizeof(int64_t));
    o.type = DF_OPT_FLOAT;
    assert_int_equal(df_option_field_size(&o), sizeof(double));
    o.type = DF_OPT_DURATION;
    assert_int_equal(df_option_field_size(&o), sizeof(uint64_t));
    o.type = DF_OPT_SIZE;
    assert_int_equal(df_option_field_size(&o), sizeof(uint64_t));
    o.type = DF_OPT_ENUM;
    assert_int_equal(df_option_field_size(&o), sizeof(int));
    o.type = DF_OPT_SOCKADDR;
    assert_int_equal(df_option_field_size(&o), sizeof(struct df_sockaddr));
    o.type = DF_OPT_LIST;
    assert_int_equal(df_option_field_size(&o), sizeof(struct df_list));
    o.type = DF_OPT_MAP;
    assert_int_equal(df_option_field_size(&o), sizeof(struct df_map));
    o.type = DF_OPT_PATH;
    assert_int_equal(df_option_field_size(&o), sizeof(const char *));
    o.type = DF_OPT_ANY;
    assert_int_equal(df_option_field_size(&o), sizeof(const struct df_value *));
    o.type = DF_OPT_TABLE;
    o.table = &scalar_table;
    assert_int_equal(df_option_field_size(&o), sizeof(struct scalars));
    o.flags = DF_OPT_BYREF;
    assert_int_equal(df_option_field_size(&o), sizeof(void *));
}

static void test_defaults_when_absent(void **state)
{
    struct fx *f = *state;
    struct scalars s;
    expect_clean(f, run(f, &scalar_table, NULL, &s));
    expect_scalar_defaults(&s);
    assert_null(s.src);
}

static void test_defaults_for_empty_mapping(void **state)
{
    struct fx *f = *state;
    struct scalars s;
    expect_clean(f, run(f, &scalar_table, "{}", &s));
    expect_scalar_defaults(&s);
    assert_ptr_equal(s.src, f->root);

    /* A null document (`config:` with nothing) is the same as absent. */
    expect_clean(f, run(f, &scalar_table, "~", &s));
    expect_scalar_defaults(&s);
}

static void test_all_values(void **state)
{
    struct fx *f = *state;
    struct scalars s;
    char yaml[512];
    snprintf(yaml, sizeof yaml,
             "name: \"8080\"\n"
             "flag: false\n"
             "count: 100\n"
             "offset: -42\n"
             "ratio: 1\n"
             "timeout: 1h\n"
             "buffer: 1GiB\n"
             "mode: paranoid\n"
             "endpoint: \"[::1]:4317\"\n"
             "path: /does/not/need/to/exist\n"
             "ca: %s\n"
             "extra: {a: [1, 2]}\n",
             f->file);
    expect_clean(f, run(f, &scalar_table, yaml, &s));
    assert_string_equal(s.name, "8080");
    assert_false(s.flag);
    assert_int_equal(s.count, 100);
    assert_int_equal(s.offset, -42);
    assert_true(s.ratio == 1.0);
    assert_int_equal(s.timeout, 3600 * SEC);
    assert_int_equal(s.buffer, 1u << 30);
    assert_int_equal(s.mode, 2);
    assert_string_equal(s.endpoint.host, "::1");
    assert_int_equal(s.endpoint.port, 4317);
    assert_string_equal(s.endpoint.text, "[::1]:4317");
    assert_string_equal(s.path, "/does/not/need/to/exist");
    assert_string_equal(s.ca, f->file);
    assert_non_null(s.extra);
    assert_ptr_equal(s.extra, df_value_get(f->root, "extra"));
    assert_int_equal(s.extra->kind, DF_VALUE_MAP);
    assert_true(s.name_set);
    assert_true(s.count_set);
    assert_true(s.timeout_set);
    assert_true(s.extra_set);
    assert_ptr_equal(s.src, f->root);
}

/* ---- defaults go through the same parser ------------------------------- */

struct defs {
    uint64_t d1, d2, d3;
    uint64_t s1, s2;
    struct df_sockaddr ep;
    struct df_list tags;
    int mode;
    bool flag;
    double ratio;
    const char *text;
};

#define D_OFF(f) offsetof(struct defs, f)

static const struct df_option def_str_elem = {.name = "tag", .type = DF_OPT_STRING};

static const struct df_option def_opts[] = {
    {.name = "d1", .type = DF_OPT_DURATION, .def = "250ms", .offset = D_OFF(d1)},
    {.name = "d2", .type = DF_OPT_DURATION, .def = "1h30m", .offset = D_OFF(d2)},
    {.name = "d3", .type = DF_OPT_DURATION, .def = "0", .offset = D_OFF(d3)},
    {.name = "s1", .type = DF_OPT_SIZE, .def = "1.5MiB", .offset = D_OFF(s1)},
    {.name = "s2", .type = DF_OPT_SIZE, .def = "10MB", .offset = D_OFF(s2)},
    /* Defaults are config syntax: a bracketed address needs YAML quotes,
     * as it would in a user's file. */
    {.name = "ep", .type = DF_OPT_SOCKADDR, .def = "'[::1]:80'", .offset = D_OFF(ep)},
    {.name = "tags",
     .type = DF_OPT_LIST,
     .elem = &def_str_elem,
     .def = "[x, y]",
     .offset = D_OFF(tags)},
    {.name = "mode", .type = DF_OPT_ENUM, .enums = modes, .def = "paranoid", .offset = D_OFF(mode)},
    {.name = "flag", .type = DF_OPT_BOOL, .def = "FALSE", .offset = D_OFF(flag)},
    {.name = "ratio", .type = DF_OPT_FLOAT, .def = "2.5e-1", .offset = D_OFF(ratio)},
    {.name = "text", .type = DF_OPT_STRING, .def = "'quoted: text'", .offset = D_OFF(text)},
};

static const struct df_option_table def_table = DF_OPTION_TABLE(struct defs, def_opts, "defaults");

static void test_defaults_parsed_like_input(void **state)
{
    struct fx *f = *state;
    struct defs s;
    memset(&s, 0xff, sizeof s); /* run() zeroes it */
    expect_clean(f, run(f, &def_table, NULL, &s));
    assert_int_equal(s.d1, 250 * MS);
    assert_int_equal(s.d2, 5400 * SEC);
    assert_int_equal(s.d3, 0);
    assert_int_equal(s.s1, 1572864);
    assert_int_equal(s.s2, 10000000);
    assert_string_equal(s.ep.host, "::1");
    assert_int_equal(s.ep.port, 80);
    assert_int_equal(s.tags.count, 2);
    assert_string_equal(((const char **)s.tags.items)[0], "x");
    assert_string_equal(((const char **)s.tags.items)[1], "y");
    assert_int_equal(s.mode, 2);
    assert_false(s.flag);
    assert_true(s.ratio == 0.25);
    assert_string_equal(s.text, "quoted: text");

    /* A given value replaces the default entirely. */
    expect_clean(f, run(f, &def_table, "tags: [z]\nd1: 1s\n", &s));
    assert_int_equal(s.tags.count, 1);
    assert_string_equal(((const char **)s.tags.items)[0], "z");
    assert_int_equal(s.d1, SEC);
    assert_int_equal(s.d2, 5400 * SEC);
}

struct one_dur {
    uint64_t d;
};

static const struct df_option bad_def_opts[] = {
    {.name = "d", .type = DF_OPT_DURATION, .def = "5", .offset = 0},
};
static const struct df_option_table bad_def_table =
    DF_OPTION_TABLE(struct one_dur, bad_def_opts, "a bad default");

static const struct df_option oob_def_opts[] = {
    {.name = "d",
     .type = DF_OPT_DURATION,
     .flags = DF_OPT_BOUNDED,
     .min = 0,
     .max = 1000000000,
     .def = "5s",
     .offset = 0},
};
static const struct df_option_table oob_def_table =
    DF_OPTION_TABLE(struct one_dur, oob_def_opts, "an out-of-range default");

static void test_bad_default_reported(void **state)
{
    struct fx *f = *state;
    struct one_dur s;
    /* The default's text goes through the duration parser: no unit, error. */
    const struct df_error *e =
        expect_one(f, run(f, &bad_def_table, NULL, &s), "cfg.d", "a number needs a unit");
    assert_non_null(e->mark.file);
    assert_string_equal(e->mark.file, "<default>");
    /* A user value is fine. */
    expect_clean(f, run(f, &bad_def_table, "d: 2s", &s));
    assert_int_equal(s.d, 2 * SEC);
    /* Bounds apply to defaults as well. */
    expect_one(f, run(f, &oob_def_table, NULL, &s), "cfg.d", "out of range");
}

/* ---- string, bool, int, float ------------------------------------------ */

static void test_string(void **state)
{
    struct fx *f = *state;
    struct scalars s;
    expect_clean(f, run(f, &scalar_table, "name: 8080", &s));
    assert_string_equal(s.name, "8080");
    expect_clean(f, run(f, &scalar_table, "name: ''", &s));
    assert_string_equal(s.name, "");
    assert_true(s.name_set);
    expect_clean(f, run(f, &scalar_table, "name: true", &s));
    assert_string_equal(s.name, "true");
    expect_one(f, run(f, &scalar_table, "name: [a]", &s), "cfg.name",
               "expected string, found sequence");
    expect_one(f, run(f, &scalar_table, "name: {a: 1}", &s), "cfg.name",
               "expected string, found mapping");
    assert_false(s.name_set);
}

static void test_bool(void **state)
{
    struct fx *f = *state;
    struct scalars s;
    static const struct {
        const char *text;
        bool want;
    } ok[] = {{"true", true},   {"True", true},   {"TRUE", true},  {"false", false},
              {"False", false}, {"FALSE", false}, {"'true'", true}};
    char yaml[64];
    for (size_t i = 0; i < DF_COUNTOF(ok); i++) {
        snprintf(yaml, sizeof yaml, "flag: %s", ok[i].text);
        expect_clean(f, run(f, &scalar_table, yaml, &s));
        assert_int_equal(s.flag, ok[i].want);
    }
    static const char *const bad[] = {"yes", "1", "tru", "t", "on"};
    for (size_t i = 0; i < DF_COUNTOF(bad); i++) {
        snprintf(yaml, sizeof yaml, "flag: %s", bad[i]);
        const struct df_error *e =
            expect_one(f, run(f, &scalar_table, yaml, &s), "cfg.flag", "expected true or false");
        char msg[sizeof e->msg];
        snprintf(msg, sizeof msg, "%s", e->msg); /* (a copy keeps gcc's overread check quiet) */
        assert_non_null(strstr(msg, bad[i]));
        assert_int_equal(e->mark.line, 1);
        assert_int_equal(e->mark.col, 7);
    }

    bool b = true;
    char err[128];
    assert_int_equal(df_parse_bool("false", &b, err, sizeof err), 0);
    assert_false(b);
    assert_int_equal(df_parse_bool("", &b, err, sizeof err), DF_EINVAL);
    assert_string_equal(err, "expected true or false, found ''");
}

static void test_int(void **state)
{
    struct fx *f = *state;
    struct scalars s;
    expect_clean(f, run(f, &scalar_table, "count: 1\noffset: +7", &s));
    assert_int_equal(s.count, 1);
    assert_int_equal(s.offset, 7);
    expect_clean(f, run(f, &scalar_table, "count: 100\noffset: -9223372036854775808", &s));
    assert_int_equal(s.count, 100);
    assert_int_equal(s.offset, INT64_MIN);
    expect_clean(f, run(f, &scalar_table, "offset: 9223372036854775807", &s));
    assert_int_equal(s.offset, INT64_MAX);

    const struct df_error *e =
        expect_one(f, run(f, &scalar_table, "count: 0", &s), "cfg.count", "out of range");
    assert_string_equal(e->msg, "value 0 is out of range (1..100)");
    assert_int_equal(e->mark.line, 1);
    assert_int_equal(e->mark.col, 8);
    assert_int_equal(s.count, 0); /* not stored */
    assert_false(s.count_set);
    expect_one(f, run(f, &scalar_table, "count: 101", &s), "cfg.count",
               "value 101 is out of range (1..100)");
    expect_one(f, run(f, &scalar_table, "count: -5", &s), "cfg.count", "out of range");
    expect_one(f, run(f, &scalar_table, "count: abc", &s), "cfg.count",
               "expected an integer, found 'abc'");
    expect_one(f, run(f, &scalar_table, "count: 1.5", &s), "cfg.count", "expected an integer");
    expect_one(f, run(f, &scalar_table, "count: 0x10", &s), "cfg.count", "expected an integer");
    expect_one(f, run(f, &scalar_table, "count: '-'", &s), "cfg.count", "expected an integer");
    expect_one(f, run(f, &scalar_table, "count: 10 apples", &s), "cfg.count",
               "expected an integer");
    expect_one(f, run(f, &scalar_table, "offset: 9223372036854775808", &s), "cfg.offset",
               "does not fit in 64 bits");
    expect_one(f, run(f, &scalar_table, "offset: -99999999999999999999", &s), "cfg.offset",
               "does not fit in 64 bits");

    int64_t x = 0;
    char err[128];
    assert_int_equal(df_parse_int("-12", &x, err, sizeof err), 0);
    assert_int_equal(x, -12);
    assert_int_equal(df_parse_int("", &x, err, sizeof err), DF_EINVAL);
    assert_int_equal(df_parse_int("+", &x, err, sizeof err), DF_EINVAL);
    assert_int_equal(df_parse_int(" 1", &x, err, sizeof err), DF_EINVAL);
    assert_int_equal(x, -12);
}

static void test_float(void **state)
{
    struct fx *f = *state;
    struct scalars s;
    expect_clean(f, run(f, &scalar_table, "ratio: 0.25", &s));
    assert_true(s.ratio == 0.25);
    expect_clean(f, run(f, &scalar_table, "ratio: 0", &s));
    assert_true(s.ratio == 0.0);
    expect_clean(f, run(f, &scalar_table, "ratio: 1e-1", &s));
    assert_true(s.ratio == 0.1);
    const struct df_error *e =
        expect_one(f, run(f, &scalar_table, "ratio: 1.5", &s), "cfg.ratio", "out of range");
    assert_string_equal(e->msg, "value 1.5 is out of range (0..1)");
    expect_one(f, run(f, &scalar_table, "ratio: -0.1", &s), "cfg.ratio", "out of range");
    static const char *const bad[] = {"abc", "nan", "inf", "-inf", "1e400", "0.5x", "''"};
    char yaml[64];
    for (size_t i = 0; i < DF_COUNTOF(bad); i++) {
        snprintf(yaml, sizeof yaml, "ratio: %s", bad[i]);
        expect_one(f, run(f, &scalar_table, yaml, &s), "cfg.ratio", "expected a finite number");
    }

    double d = 0;
    char err[128];
    assert_int_equal(df_parse_float("-3.5e2", &d, err, sizeof err), 0);
    assert_true(d == -350.0);
    assert_int_equal(df_parse_float("NaN", &d, err, sizeof err), DF_EINVAL);
    assert_true(d == -350.0);
}

/* ---- durations --------------------------------------------------------- */

static void test_duration_parser(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        uint64_t ns;
    } ok[] = {
        {"250ms", 250 * MS},
        {"5s", 5 * SEC},
        {"1m", 60 * SEC},
        {"1h30m", 5400 * SEC},
        {"1m30s", 90 * SEC},
        {"2h", 7200 * SEC},
        {"1d", 86400 * SEC},
        {"100us", 100000},
        {"10ns", 10},
        {"0", 0},
        {"0s", 0},
        {"0ms", 0},
        {"1h 30m", 5400 * SEC},
        {"5 s", 5 * SEC},
        {"3sec", 3 * SEC},
        {"2min", 120 * SEC},
        {"1hour", 3600 * SEC},
        {"2days", 2 * 86400 * SEC},
        {"1s500ms", 1500 * MS},
        {"213503d", 213503ULL * 86400 * SEC},
        {"18446744073s", 18446744073ULL * SEC},
    };
    for (size_t i = 0; i < DF_COUNTOF(ok); i++) {
        uint64_t ns = 12345;
        char err[200] = "";
        int rc = df_parse_duration(ok[i].text, &ns, err, sizeof err);
        if (rc || ns != ok[i].ns)
            print_error("'%s': rc=%d ns=%llu err=%s\n", ok[i].text, rc, (unsigned long long)ns,
                        err);
        assert_int_equal(rc, 0);
        assert_int_equal(ns, ok[i].ns);
    }

    static const struct {
        const char *text;
        const char *err;
    } bad[] = {
        {"5", "a number needs a unit"},
        {"250", "a number needs a unit"},
        {"1h30", "a number needs a unit"},
        {"5x", "unknown unit 'x'"},
        {"5S", "unknown unit 'S'"},
        {"5 parsecs", "unknown unit 'parsecs'"},
        {"5s!", "expected a number followed by a unit"},
        {"-5s", "expected a number followed by a unit"},
        {"1.5s", "fractions are not supported"},
        {"ms", "expected a number followed by a unit"},
        {"", "invalid duration ''"},
        {"   ", "invalid duration '   '"},
        {"00", "a number needs a unit"},
        {"213504d", "is too large"},
        {"213503d24h", "is too large"},
        {"18446744074s", "is too large"},
        {"99999999999999999999ns", "is too large"},
        {"999999999999999999999999999999s", "is too large"},
    };
    for (size_t i = 0; i < DF_COUNTOF(bad); i++) {
        uint64_t ns = 777;
        char err[200] = "";
        int rc = df_parse_duration(bad[i].text, &ns, err, sizeof err);
        if (rc != DF_EINVAL || !strstr(err, bad[i].err))
            print_error("'%s': rc=%d err='%s', expected '%s'\n", bad[i].text, rc, err, bad[i].err);
        assert_int_equal(rc, DF_EINVAL);
        assert_non_null(strstr(err, bad[i].err));
        assert_int_equal(ns, 777); /* untouched on error */
    }
}

static void test_duration_option(void **state)
{
    struct fx *f = *state;
    struct scalars s;
    expect_clean(f, run(f, &scalar_table, "timeout: 250ms", &s));
    assert_int_equal(s.timeout, 250 * MS);
    assert_true(s.timeout_set);
    expect_clean(f, run(f, &scalar_table, "timeout: 1ms", &s)); /* lower bound */
    assert_int_equal(s.timeout, MS);
    expect_clean(f, run(f, &scalar_table, "timeout: 60m", &s)); /* upper bound */
    assert_int_equal(s.timeout, 3600 * SEC);

    const struct df_error *e =
        expect_one(f, run(f, &scalar_table, "timeout: 1h30m", &s), "cfg.timeout", "out of range");
    assert_string_equal(e->msg, "duration 1h30m is out of range (1ms..1h)");
    assert_false(s.timeout_set);
    expect_one(f, run(f, &scalar_table, "timeout: 0", &s), "cfg.timeout", "out of range");
    expect_one(f, run(f, &scalar_table, "timeout: 999us", &s), "cfg.timeout", "out of range");

    e = expect_one(f, run(f, &scalar_table, "timeout: 5", &s), "cfg.timeout",
                   "a number needs a unit");
    assert_string_equal(e->hint, "write it like 250ms or 5s");
    assert_int_equal(e->mark.line, 1);
    assert_int_equal(e->mark.col, 10);
    e = expect_one(f, run(f, &scalar_table, "timeout: 5 fortnights", &s), "cfg.timeout",
                   "unknown unit 'fortnights'");
    assert_string_equal(e->hint, "write it like 250ms or 5s");
    e = expect_one(f, run(f, &scalar_table, "timeout: 300000d", &s), "cfg.timeout", "too large");
}

/* ---- sizes ------------------------------------------------------------- */

static void test_size_parser(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        uint64_t bytes;
    } ok[] = {
        {"512KiB", 512 * 1024},
        {"4MiB", 4u << 20},
        {"1GiB", 1u << 30},
        {"1TiB", 1ULL << 40},
        {"10MB", 10000000},
        {"1KB", 1000},
        {"2GB", 2000000000},
        {"1TB", 1000000000000ULL},
        {"1024", 1024},
        {"0", 0},
        {"2B", 2},
        {"1.5MiB", 1572864},
        {"0.5KiB", 512},
        {"2.25GB", 2250000000ULL},
        {"4 MiB", 4u << 20},
        {"4mib", 4u << 20},
        {"4Mb", 4000000},
        {"16777215TiB", 16777215ULL << 40},
        {"18446744TB", 18446744000000000000ULL},
        {"18446744.07TB", 18446744070000000000ULL},
        {"1844674407370955161", 1844674407370955161ULL},
    };
    for (size_t i = 0; i < DF_COUNTOF(ok); i++) {
        uint64_t b = 12345;
        char err[200] = "";
        int rc = df_parse_size(ok[i].text, &b, err, sizeof err);
        if (rc || b != ok[i].bytes)
            print_error("'%s': rc=%d bytes=%llu err=%s\n", ok[i].text, rc, (unsigned long long)b,
                        err);
        assert_int_equal(rc, 0);
        assert_int_equal(b, ok[i].bytes);
    }

    static const struct {
        const char *text;
        const char *err;
    } bad[] = {
        {"4XiB", "unknown unit 'XiB'"},
        {"4MiBs", "unknown unit 'MiBs'"},
        {"4 M", "unknown unit 'M'"},
        {"4k", "unknown unit 'k'"},
        {"MiB", "expected a number with an optional unit"},
        {"", "expected a number with an optional unit"},
        {"-1", "expected a number with an optional unit"},
        {"-1KiB", "expected a number with an optional unit"},
        {".5MiB", "expected a number with an optional unit"},
        {"1.MiB", "expected a number with an optional unit"},
        {"1.5", "a fractional size needs a unit"},
        {"16777216TiB", "is too large"},
        {"18446745TB", "is too large"},
        {"18446744.9TB", "is too large"},
        {"99999999999999999999", "is too large"},
    };
    for (size_t i = 0; i < DF_COUNTOF(bad); i++) {
        uint64_t b = 777;
        char err[200] = "";
        int rc = df_parse_size(bad[i].text, &b, err, sizeof err);
        if (rc != DF_EINVAL || !strstr(err, bad[i].err))
            print_error("'%s': rc=%d bytes=%llu err='%s', expected '%s'\n", bad[i].text, rc,
                        (unsigned long long)b, err, bad[i].err);
        assert_int_equal(rc, DF_EINVAL);
        assert_non_null(strstr(err, bad[i].err));
        assert_int_equal(b, 777);
    }
}

static void test_size_option(void **state)
{
    struct fx *f = *state;
    struct scalars s;
    expect_clean(f, run(f, &scalar_table, "buffer: 512KiB", &s));
    assert_int_equal(s.buffer, 512 * 1024);
    expect_clean(f, run(f, &scalar_table, "buffer: 1024", &s));
    assert_int_equal(s.buffer, 1024);
    expect_clean(f, run(f, &scalar_table, "buffer: 10MB", &s));
    assert_int_equal(s.buffer, 10000000);
    const struct df_error *e =
        expect_one(f, run(f, &scalar_table, "buffer: 1023", &s), "cfg.buffer", "out of range");
    assert_string_equal(e->msg, "size 1023 is out of range (1KiB..1GiB)");
    expect_one(f, run(f, &scalar_table, "buffer: 2GiB", &s), "cfg.buffer", "out of range");
    e = expect_one(f, run(f, &scalar_table, "buffer: 4 megs", &s), "cfg.buffer",
                   "unknown unit 'megs'");
    assert_string_equal(e->hint, "write it like 4MiB");
    e = expect_one(f, run(f, &scalar_table, "buffer: lots", &s), "cfg.buffer", "expected a number");
    assert_string_equal(e->hint, "write it like 4MiB");
}

/* ---- enum -------------------------------------------------------------- */

static void test_enum(void **state)
{
    struct fx *f = *state;
    struct scalars s;
    expect_clean(f, run(f, &scalar_table, "mode: fast", &s));
    assert_int_equal(s.mode, 0);
    expect_clean(f, run(f, &scalar_table, "mode: safe", &s));
    assert_int_equal(s.mode, 1);
    expect_clean(f, run(f, &scalar_table, "mode: paranoid", &s));
    assert_int_equal(s.mode, 2);

    const struct df_error *e =
        expect_one(f, run(f, &scalar_table, "mode: sfae", &s), "cfg.mode", "unknown value");
    assert_string_equal(e->msg, "unknown value 'sfae'; expected one of: fast, safe, paranoid");
    assert_string_equal(e->hint, "did you mean 'safe'?");
    assert_int_equal(e->mark.line, 1);
    assert_int_equal(e->mark.col, 7);
    e = expect_one(f, run(f, &scalar_table, "mode: Paranoid", &s), "cfg.mode",
                   "unknown value 'Paranoid'");
    assert_string_equal(e->hint, "did you mean 'paranoid'?");
    e = expect_one(f, run(f, &scalar_table, "mode: turbocharged", &s), "cfg.mode",
                   "unknown value 'turbocharged'");
    assert_string_equal(e->hint, "");
    expect_one(f, run(f, &scalar_table, "mode: [fast]", &s), "cfg.mode",
               "expected enum, found sequence");
}

/* ---- socket addresses -------------------------------------------------- */

static void test_sockaddr_parser(void **state)
{
    struct fx *f = *state;
    struct df_sockaddr sa;
    char err[200];
    static const struct {
        const char *text, *host;
        uint16_t port;
    } ok[] = {
        {"127.0.0.1:4317", "127.0.0.1", 4317},
        {"[::1]:4317", "::1", 4317},
        {"localhost:0", "localhost", 0},
        {"localhost:65535", "localhost", 65535},
        {"[2001:db8::7]:80", "2001:db8::7", 80},
        {"[::]:9000", "::", 9000},
        {"0.0.0.0:1", "0.0.0.0", 1},
        {"my-host_1.example.org:443", "my-host_1.example.org", 443},
    };
    for (size_t i = 0; i < DF_COUNTOF(ok); i++) {
        memset(&sa, 0, sizeof sa);
        int rc = df_parse_sockaddr(ok[i].text, &f->a, &sa, err, sizeof err);
        if (rc)
            print_error("'%s': %s\n", ok[i].text, err);
        assert_int_equal(rc, 0);
        assert_string_equal(sa.host, ok[i].host);
        assert_int_equal(sa.port, ok[i].port);
        assert_string_equal(sa.text, ok[i].text);
        assert_ptr_not_equal(sa.text, ok[i].text); /* copied into the arena */
    }

    static const struct {
        const char *text, *err;
    } bad[] = {
        {"localhost:65536", "port must be 0..65535"},
        {"localhost:-1", "port must be 0..65535"},
        {"localhost:+80", "port must be 0..65535"},
        {"localhost:", "port must be 0..65535"},
        {"localhost:http", "port must be 0..65535"},
        {"localhost:99999999999999999999", "port must be 0..65535"},
        {"[::1]:", "port must be 0..65535"},
        {"[::1]:70000", "port must be 0..65535"},
        {"localhost", "expected host:port"},
        {"", "expected host:port"},
        {"::1:4317", "write an IPv6 host in brackets, like [::1]:4317"},
        {"2001:db8::1:80", "write an IPv6 host in brackets"},
        {"[::1]4317", "expected [ipv6]:port"},
        {"[::1]", "expected [ipv6]:port"},
        {"[::1:4317", "expected [ipv6]:port"},
        {"[zz::1]:80", "'zz::1' is not an IPv6 address"},
        {"[127.0.0.1]:80", "is not an IPv6 address"},
        {"[]:80", "is not an IPv6 address"},
        {":4317", "'' is not a valid host"},
        {"bad host:80", "'bad host' is not a valid host"},
        {"a/b:80", "is not a valid host"},
    };
    for (size_t i = 0; i < DF_COUNTOF(bad); i++) {
        memset(&sa, 0, sizeof sa);
        err[0] = '\0';
        int rc = df_parse_sockaddr(bad[i].text, &f->a, &sa, err, sizeof err);
        if (rc != DF_EINVAL || !strstr(err, bad[i].err))
            print_error("'%s': rc=%d err='%s', expected '%s'\n", bad[i].text, rc, err, bad[i].err);
        assert_int_equal(rc, DF_EINVAL);
        assert_non_null(strstr(err, bad[i].err));
        assert_null(sa.host);
        assert_null(sa.text);
    }
}

static void test_sockaddr_option(void **state)
{
    struct fx *f = *state;
    struct scalars s;
    expect_clean(f, run(f, &scalar_table, "endpoint: localhost:0", &s));
    assert_string_equal(s.endpoint.host, "localhost");
    assert_int_equal(s.endpoint.port, 0);
    expect_clean(f, run(f, &scalar_table, "endpoint: 10.1.2.3:4318", &s));
    assert_string_equal(s.endpoint.host, "10.1.2.3");
    assert_int_equal(s.endpoint.port, 4318);
    const struct df_error *e = expect_one(f, run(f, &scalar_table, "endpoint: ':::4317'", &s),
                                          "cfg.endpoint", "write an IPv6 host in brackets");
    assert_int_equal(e->mark.line, 1);
    assert_int_equal(e->mark.col, 11);
    expect_one(f, run(f, &scalar_table, "endpoint: localhost:123456", &s), "cfg.endpoint",
               "port must be 0..65535");
    expect_one(f, run(f, &scalar_table, "endpoint: 4317", &s), "cfg.endpoint",
               "expected host:port");
}

/* ---- paths and any ----------------------------------------------------- */

static void test_path(void **state)
{
    struct fx *f = *state;
    struct scalars s;
    char yaml[300];
    snprintf(yaml, sizeof yaml, "ca: '%s'", f->file);
    expect_clean(f, run(f, &scalar_table, yaml, &s));
    assert_string_equal(s.ca, f->file);

    snprintf(yaml, sizeof yaml, "ca: %s/missing.pem", f->dir);
    const struct df_error *e =
        expect_one(f, run(f, &scalar_table, yaml, &s), "cfg.ca", "cannot read '");
    assert_non_null(strstr(e->msg, "missing.pem': No such file or directory"));
    assert_null(s.ca);
    assert_int_equal(e->mark.line, 1);
    assert_int_equal(e->mark.col, 5);

    /* Without DF_OPT_MUST_EXIST the file is not looked at. */
    snprintf(yaml, sizeof yaml, "path: %s/missing.pem", f->dir);
    expect_clean(f, run(f, &scalar_table, yaml, &s));
    assert_non_null(strstr(s.path, "missing.pem"));

    expect_one(f, run(f, &scalar_table, "path: ''", &s), "cfg.path",
               "a file path must not be empty");
    expect_one(f, run(f, &scalar_table, "ca: \"\"", &s), "cfg.ca", "a file path must not be empty");
    expect_one(f, run(f, &scalar_table, "path: {a: b}", &s), "cfg.path",
               "expected file path, found mapping");
}

static void test_any(void **state)
{
    struct fx *f = *state;
    struct scalars s;
    expect_clean(f, run(f, &scalar_table, "extra: [1, {a: b}, ~]", &s));
    assert_non_null(s.extra);
    assert_int_equal(s.extra->kind, DF_VALUE_SEQ);
    assert_int_equal(s.extra->u.seq.count, 3);
    assert_true(s.extra_set);
    expect_clean(f, run(f, &scalar_table, "extra: text", &s));
    assert_int_equal(s.extra->kind, DF_VALUE_SCALAR);
    assert_string_equal(s.extra->u.scalar.text, "text");
    expect_clean(f, run(f, &scalar_table, "name: x", &s));
    assert_null(s.extra);
    assert_false(s.extra_set);
}

/* ---- lists ------------------------------------------------------------- */

struct item {
    int64_t c;
    const char *label;
};

static const struct df_option item_opts[] = {
    {.name = "c", .type = DF_OPT_INT, .offset = offsetof(struct item, c)},
    {.name = "label", .type = DF_OPT_STRING, .def = "none", .offset = offsetof(struct item, label)},
};
static const struct df_option_table item_table = DF_OPTION_TABLE(struct item, item_opts, "item");

static const struct df_option str_elem = {.name = "name", .type = DF_OPT_STRING};
static const struct df_option port_elem = {
    .name = "port", .type = DF_OPT_INT, .flags = DF_OPT_BOUNDED, .min = 1, .max = 65535};
static const struct df_option item_elem = {
    .name = "item", .type = DF_OPT_TABLE, .table = &item_table};

struct lists {
    struct df_list names;
    struct df_list ports;
    struct df_list one;
    struct df_list defl;
    struct df_list items;
    struct df_list one_item;
    struct df_list nullable;
};

#define L_OFF(f) offsetof(struct lists, f)

static const struct df_option list_opts[] = {
    {.name = "names",
     .type = DF_OPT_LIST,
     .elem = &str_elem,
     .flags = DF_OPT_BOUNDED,
     .min = 1,
     .max = 3,
     .offset = L_OFF(names)},
    {.name = "ports", .type = DF_OPT_LIST, .elem = &port_elem, .offset = L_OFF(ports)},
    {.name = "one",
     .type = DF_OPT_LIST,
     .elem = &str_elem,
     .flags = DF_OPT_ONE_OR_MANY,
     .offset = L_OFF(one)},
    {.name = "defl",
     .type = DF_OPT_LIST,
     .elem = &str_elem,
     .def = "[x, y]",
     .offset = L_OFF(defl)},
    {.name = "items", .type = DF_OPT_LIST, .elem = &item_elem, .offset = L_OFF(items)},
    {.name = "one_item",
     .type = DF_OPT_LIST,
     .elem = &item_elem,
     .flags = DF_OPT_ONE_OR_MANY,
     .offset = L_OFF(one_item)},
    {.name = "nullable",
     .type = DF_OPT_LIST,
     .elem = &str_elem,
     .flags = DF_OPT_NULLABLE,
     .def = "[d]",
     .offset = L_OFF(nullable)},
};
static const struct df_option_table list_table = DF_OPTION_TABLE(struct lists, list_opts, "lists");

static const char *str_at(const struct df_list *l, size_t i)
{
    assert_true(i < l->count);
    return ((const char *const *)l->items)[i];
}

static void test_list(void **state)
{
    struct fx *f = *state;
    struct lists l;
    expect_clean(f, run(f, &list_table, "names: [a, b, c]\nports: [80, 443]", &l));
    assert_int_equal(l.names.count, 3);
    assert_string_equal(str_at(&l.names, 0), "a");
    assert_string_equal(str_at(&l.names, 1), "b");
    assert_string_equal(str_at(&l.names, 2), "c");
    assert_ptr_equal(l.names.src, df_value_get(f->root, "names"));
    assert_int_equal(l.ports.count, 2);
    assert_int_equal(((int64_t *)l.ports.items)[0], 80);
    assert_int_equal(((int64_t *)l.ports.items)[1], 443);
    /* Absent without a default: empty. */
    assert_int_equal(l.one.count, 0);
    assert_null(l.one.items);
    assert_null(l.one.src);
    /* Absent with a default. */
    assert_int_equal(l.defl.count, 2);
    assert_string_equal(str_at(&l.defl, 0), "x");
    assert_string_equal(str_at(&l.defl, 1), "y");

    /* Block style. */
    expect_clean(f, run(f, &list_table, "names:\n  - one\n  - two\n", &l));
    assert_int_equal(l.names.count, 2);
    assert_string_equal(str_at(&l.names, 1), "two");
}

static void test_list_count_bounds(void **state)
{
    struct fx *f = *state;
    struct lists l;
    const struct df_error *e =
        expect_one(f, run(f, &list_table, "names: []", &l), "cfg.names", "items");
    assert_string_equal(e->msg, "expected 1 to 3 items, found 0");
    assert_int_equal(e->mark.line, 1);
    assert_int_equal(e->mark.col, 8);
    e = expect_one(f, run(f, &list_table, "names: [a, b, c, d]", &l), "cfg.names", "items");
    assert_string_equal(e->msg, "expected 1 to 3 items, found 4");
    expect_clean(f, run(f, &list_table, "names: [a]", &l));
    assert_int_equal(l.names.count, 1);
}

static void test_list_wrong_kinds(void **state)
{
    struct fx *f = *state;
    struct lists l;
    expect_one(f, run(f, &list_table, "names: a", &l), "cfg.names",
               "expected list, found a scalar");
    expect_one(f, run(f, &list_table, "names: {a: 1}", &l), "cfg.names",
               "expected list, found mapping");
    expect_one(f, run(f, &list_table, "one: {a: 1}", &l), "cfg.one",
               "expected list, found mapping");
    expect_one(f, run(f, &list_table, "names: [a, [b]]", &l), "cfg.names[1]",
               "expected string, found sequence");
}

static void test_list_one_or_many(void **state)
{
    struct fx *f = *state;
    struct lists l;
    expect_clean(f, run(f, &list_table, "one: solo", &l));
    assert_int_equal(l.one.count, 1);
    assert_string_equal(str_at(&l.one, 0), "solo");
    assert_ptr_equal(l.one.src, df_value_get(f->root, "one"));
    assert_int_equal(l.one.src->kind, DF_VALUE_SCALAR);
    expect_clean(f, run(f, &list_table, "one: [a, b]", &l));
    assert_int_equal(l.one.count, 2);
    assert_string_equal(str_at(&l.one, 1), "b");

    /* A single table element written as a mapping is a list of one. */
    expect_clean(f, run(f, &list_table, "one_item: {c: 5}", &l));
    assert_int_equal(l.one_item.count, 1);
    const struct item *it = l.one_item.items;
    assert_int_equal(it[0].c, 5);
    assert_string_equal(it[0].label, "none");
    expect_clean(f, run(f, &list_table, "one_item: [{c: 1}, {c: 2, label: z}]", &l));
    assert_int_equal(l.one_item.count, 2);
    it = l.one_item.items;
    assert_int_equal(it[1].c, 2);
    assert_string_equal(it[1].label, "z");
    /* ... but a scalar is not a table. */
    expect_one(f, run(f, &list_table, "one_item: 5", &l), "cfg.one_item",
               "expected list, found a scalar");
}

static void test_list_element_errors(void **state)
{
    struct fx *f = *state;
    struct lists l;
    int rc = run(f, &list_table,
                 "ports:\n"
                 "  - 80\n"
                 "  - http\n"
                 "  - 70000\n"
                 "  - 443\n",
                 &l);
    assert_int_equal(rc, DF_EINVAL);
    assert_int_equal(df_diags_total(&f->d), 2);
    expect_diag(f, "cfg.ports[1]", "expected an integer, found 'http'", 3, 5);
    expect_diag(f, "cfg.ports[2]", "value 70000 is out of range (1..65535)", 4, 5);

    /* Table elements: unknown keys and bad values inside them. */
    rc = run(f, &list_table, "items: [{c: 1}, {c: x}, {d: 3}]", &l);
    assert_int_equal(rc, DF_EINVAL);
    assert_int_equal(df_diags_total(&f->d), 2);
    expect_diag(f, "cfg.items[1].c", "expected an integer", 1, 21);
    const struct df_error *e = expect_diag(f, "cfg.items[2].d", "unknown key 'd'", 1, 26);
    assert_string_equal(e->hint, "did you mean 'c'?");

    expect_clean(f, run(f, &list_table, "items: [{c: 1}, {c: 2, label: two}]", &l));
    assert_int_equal(l.items.count, 2);
    const struct item *it = l.items.items;
    assert_int_equal(it[0].c, 1);
    assert_string_equal(it[0].label, "none");
    assert_int_equal(it[1].c, 2);
    assert_string_equal(it[1].label, "two");
}

static void test_list_null(void **state)
{
    struct fx *f = *state;
    struct lists l;
    /* Nullable: null keeps the default. */
    expect_clean(f, run(f, &list_table, "nullable: ~", &l));
    assert_int_equal(l.nullable.count, 1);
    assert_string_equal(str_at(&l.nullable, 0), "d");
    expect_clean(f, run(f, &list_table, "nullable: [e, f]", &l));
    assert_int_equal(l.nullable.count, 2);
    /* A null element is an error at its index. */
    expect_one(f, run(f, &list_table, "names: [a, ~]", &l), "cfg.names[1]",
               "expected string, found null");
}

/* ---- maps -------------------------------------------------------------- */

static const struct df_option int_elem = {.name = "value", .type = DF_OPT_INT};

struct maps {
    struct df_map labels;
    struct df_map small;
};

static const struct df_option map_opts[] = {
    {.name = "labels",
     .type = DF_OPT_MAP,
     .elem = &int_elem,
     .offset = offsetof(struct maps, labels)},
    {.name = "small",
     .type = DF_OPT_MAP,
     .elem = &str_elem,
     .flags = DF_OPT_BOUNDED,
     .min = 1,
     .max = 2,
     .offset = offsetof(struct maps, small)},
};
static const struct df_option_table map_table = DF_OPTION_TABLE(struct maps, map_opts, "maps");

static void test_map(void **state)
{
    struct fx *f = *state;
    struct maps m;
    expect_clean(f, run(f, &map_table, "labels: {zeta: 1, alpha: -2, mid: 3}", &m));
    assert_int_equal(m.labels.count, 3);
    /* Document order, not sorted. */
    assert_string_equal(m.labels.keys[0], "zeta");
    assert_string_equal(m.labels.keys[1], "alpha");
    assert_string_equal(m.labels.keys[2], "mid");
    const int64_t *vals = m.labels.values;
    assert_int_equal(vals[0], 1);
    assert_int_equal(vals[1], -2);
    assert_int_equal(vals[2], 3);
    assert_ptr_equal(m.labels.src, df_value_get(f->root, "labels"));
    assert_int_equal(m.small.count, 0);
    assert_null(m.small.keys);

    expect_clean(f, run(f, &map_table, "labels: {}", &m));
    assert_int_equal(m.labels.count, 0);

    expect_one(f, run(f, &map_table, "labels: [1, 2]", &m), "cfg.labels",
               "expected map, found sequence");
    expect_one(f, run(f, &map_table, "labels: x", &m), "cfg.labels",
               "expected map, found a scalar");

    int rc = run(f, &map_table, "labels:\n  a: 1\n  b: two\n  c: {x: 1}\n", &m);
    assert_int_equal(rc, DF_EINVAL);
    assert_int_equal(df_diags_total(&f->d), 2);
    expect_diag(f, "cfg.labels.b", "expected an integer, found 'two'", 3, 6);
    expect_diag(f, "cfg.labels.c", "expected integer, found mapping", 4, 6);

    const struct df_error *e =
        expect_one(f, run(f, &map_table, "small: {a: x, b: y, c: z}", &m), "cfg.small", "entries");
    assert_string_equal(e->msg, "expected 1 to 2 entries, found 3");
    expect_one(f, run(f, &map_table, "small: {}", &m), "cfg.small",
               "expected 1 to 2 entries, found 0");
    expect_clean(f, run(f, &map_table, "small: {a: x, b: y}", &m));
    assert_int_equal(m.small.count, 2);
    assert_string_equal(((const char **)m.small.values)[1], "y");
}

/* ---- nested tables ----------------------------------------------------- */

struct inner {
    int64_t port;
    const char *host;
    const struct df_value *src;
};

static const struct df_option inner_opts[] = {
    {.name = "port",
     .type = DF_OPT_INT,
     .flags = DF_OPT_BOUNDED,
     .min = 1,
     .max = 65535,
     .def = "80",
     .offset = offsetof(struct inner, port)},
    {.name = "host",
     .type = DF_OPT_STRING,
     .def = "localhost",
     .offset = offsetof(struct inner, host)},
};
static const struct df_option_table inner_table = {
    .name = "inner",
    .size = sizeof(struct inner),
    .options = inner_opts,
    .count = DF_COUNTOF(inner_opts),
    .src = offsetof(struct inner, src) + 1,
};

struct outer {
    int64_t before;
    struct inner emb;
    struct inner *ref;
    struct inner *nref;
    bool emb_set, ref_set;
};

static const struct df_option outer_opts[] = {
    {.name = "before", .type = DF_OPT_INT, .offset = offsetof(struct outer, before)},
    {.name = "emb",
     .type = DF_OPT_TABLE,
     .table = &inner_table,
     .offset = offsetof(struct outer, emb),
     .present = offsetof(struct outer, emb_set) + 1},
    {.name = "ref",
     .type = DF_OPT_TABLE,
     .flags = DF_OPT_BYREF,
     .table = &inner_table,
     .offset = offsetof(struct outer, ref),
     .present = offsetof(struct outer, ref_set) + 1},
    {.name = "nref",
     .type = DF_OPT_TABLE,
     .flags = DF_OPT_BYREF | DF_OPT_NULLABLE,
     .table = &inner_table,
     .offset = offsetof(struct outer, nref)},
};
static const struct df_option_table outer_table =
    DF_OPTION_TABLE(struct outer, outer_opts, "outer");

static void test_nested_absent(void **state)
{
    struct fx *f = *state;
    struct outer o;
    expect_clean(f, run(f, &outer_table, "before: 1", &o));
    /* Embedded: defaults applied in place. */
    assert_int_equal(o.emb.port, 80);
    assert_string_equal(o.emb.host, "localhost");
    assert_null(o.emb.src);
    assert_false(o.emb_set);
    /* By reference: NULL when absent. */
    assert_null(o.ref);
    assert_false(o.ref_set);
    assert_null(o.nref);

    expect_clean(f, run(f, &outer_table, NULL, &o));
    assert_int_equal(o.emb.port, 80);
    assert_null(o.ref);

    /* Nullable by reference: null is like absent. */
    expect_clean(f, run(f, &outer_table, "nref: ~", &o));
    assert_null(o.nref);
}

static void test_nested_present(void **state)
{
    struct fx *f = *state;
    struct outer o;
    expect_clean(f, run(f, &outer_table, "emb: {port: 8080}\nref: {host: example.org}\n", &o));
    assert_int_equal(o.emb.port, 8080);
    assert_string_equal(o.emb.host, "localhost");
    assert_ptr_equal(o.emb.src, df_value_get(f->root, "emb"));
    assert_true(o.emb_set);
    assert_non_null(o.ref);
    assert_int_equal(o.ref->port, 80);
    assert_string_equal(o.ref->host, "example.org");
    assert_ptr_equal(o.ref->src, df_value_get(f->root, "ref"));
    assert_true(o.ref_set);

    /* An empty mapping still allocates, with defaults. */
    expect_clean(f, run(f, &outer_table, "ref: {}\nnref: {port: 1}", &o));
    assert_non_null(o.ref);
    assert_int_equal(o.ref->port, 80);
    assert_string_equal(o.ref->host, "localhost");
    assert_non_null(o.nref);
    assert_int_equal(o.nref->port, 1);
}

static void test_nested_errors(void **state)
{
    struct fx *f = *state;
    struct outer o;
    const struct df_error *e =
        expect_one(f, run(f, &outer_table, "emb: 5", &o), "cfg.emb", "expected a mapping");
    assert_string_equal(e->msg, "expected a mapping, found a scalar");
    assert_false(o.emb_set);
    expect_one(f, run(f, &outer_table, "ref: [1]", &o), "cfg.ref",
               "expected a mapping, found sequence");
    assert_false(o.ref_set);

    e = expect_one(f, run(f, &outer_table, "emb:\n  prot: 1\n", &o), "cfg.emb.prot",
                   "unknown key 'prot'");
    assert_string_equal(e->hint, "did you mean 'port'?");
    assert_int_equal(e->mark.line, 2);
    assert_int_equal(e->mark.col, 3);

    e = expect_one(f, run(f, &outer_table, "ref:\n  port: 0\n", &o), "cfg.ref.port",
                   "out of range");
    assert_int_equal(e->mark.line, 2);
    assert_int_equal(e->mark.col, 9);
}

/* ---- required, nullable, null ------------------------------------------ */

struct req {
    const char *id;
    int64_t n;
    uint64_t timeout;
    uint64_t wait;
    bool timeout_set;
};

static const struct df_option req_opts[] = {
    {.name = "id",
     .type = DF_OPT_STRING,
     .flags = DF_OPT_REQUIRED,
     .offset = offsetof(struct req, id),
     .desc = "the component id"},
    {.name = "n", .type = DF_OPT_INT, .offset = offsetof(struct req, n)},
    {.name = "timeout",
     .type = DF_OPT_DURATION,
     .flags = DF_OPT_NULLABLE,
     .def = "5s",
     .offset = offsetof(struct req, timeout),
     .present = offsetof(struct req, timeout_set) + 1},
    {.name = "wait", .type = DF_OPT_DURATION, .def = "2s", .offset = offsetof(struct req, wait)},
};
static const struct df_option_table req_table = DF_OPTION_TABLE(struct req, req_opts, "req");

static void test_required(void **state)
{
    struct fx *f = *state;
    struct req r;
    expect_clean(f, run(f, &req_table, "id: abc", &r));
    assert_string_equal(r.id, "abc");

    const struct df_error *e =
        expect_one(f, run(f, &req_table, "n: 1\n", &r), "cfg", "missing required key 'id'");
    assert_string_equal(e->hint, "id: the component id");
    assert_int_equal(e->mark.line, 1); /* the mapping that lacks it */
    assert_int_equal(e->mark.col, 1);
    assert_int_equal(r.n, 1); /* the other keys are still parsed */

    /* No value at all: the mark is where it would have been written. */
    e = expect_one(f, run(f, &req_table, NULL, &r), "cfg", "missing required key 'id'");
    assert_string_equal(e->mark.file, "at.yaml");
    assert_int_equal(e->mark.line, 99);
    assert_int_equal(e->mark.col, 3);

    e = expect_one(f, run(f, &req_table, "n: 2\nid: ~\n", &r), "cfg.id", "must not be null");
    assert_string_equal(e->msg, "'id' must not be null");
    assert_string_equal(e->hint, "id: the component id");
    assert_int_equal(e->mark.line, 2); /* at the key */
    assert_int_equal(e->mark.col, 1);
    expect_one(f, run(f, &req_table, "id:\n", &r), "cfg.id", "must not be null");
}

static void test_nullable_and_null(void **state)
{
    struct fx *f = *state;
    struct req r;
    expect_clean(f, run(f, &req_table, "id: a\ntimeout: ~", &r));
    assert_int_equal(r.timeout, 5 * SEC);
    assert_false(r.timeout_set);
    expect_clean(f, run(f, &req_table, "id: a\ntimeout: null", &r));
    assert_int_equal(r.timeout, 5 * SEC);
    expect_clean(f, run(f, &req_table, "id: a\ntimeout: 1s", &r));
    assert_int_equal(r.timeout, SEC);
    assert_true(r.timeout_set);

    /* Not nullable: null is an error with a hint naming the default. */
    const struct df_error *e =
        expect_one(f, run(f, &req_table, "id: a\nwait: ~", &r), "cfg.wait", "found null");
    assert_string_equal(e->msg, "expected duration, found null");
    assert_string_equal(e->hint, "remove the key to use the default (2s)");
    assert_int_equal(e->mark.line, 2);
    assert_int_equal(e->mark.col, 7);
    e = expect_one(f, run(f, &req_table, "id: a\nn:", &r), "cfg.n", "found null");
    assert_string_equal(e->msg, "expected integer, found null");
    assert_string_equal(e->hint, "remove the key to use the default");

    struct scalars s;
    e = expect_one(f, run(f, &scalar_table, "mode: ~", &s), "cfg.mode", "found null");
    assert_string_equal(e->hint, "remove the key to use the default (safe)");
}

static void test_present_flag(void **state)
{
    struct fx *f = *state;
    struct scalars s;
    expect_clean(f, run(f, &scalar_table, "count: 5", &s));
    assert_true(s.count_set);
    assert_false(s.name_set);
    assert_false(s.timeout_set);
    /* A value equal to the default is still "given". */
    expect_clean(f, run(f, &scalar_table, "count: 10\ntimeout: 5s", &s));
    assert_true(s.count_set);
    assert_true(s.timeout_set);
    /* An invalid value is not. */
    run(f, &scalar_table, "count: 0\nname: x", &s);
    assert_false(s.count_set);
    assert_true(s.name_set);
}

/* ---- the check hook ---------------------------------------------------- */

struct range {
    int64_t lo, hi;
    struct inner in;
};

static int check_calls;
static const void *check_obj;
static const struct df_value *check_src;
static char check_path[64];

static int range_check(void *obj, const struct df_value *src, const char *path, struct df_diags *d)
{
    struct range *r = obj;
    check_calls++;
    check_obj = obj;
    check_src = src;
    snprintf(check_path, sizeof check_path, "%s", path);
    if (r->lo > r->hi) {
        df_diags_add(d, src ? &src->mark : NULL, path, "lo (%lld) must not exceed hi (%lld)",
                     (long long)r->lo, (long long)r->hi);
        return DF_EINVAL;
    }
    return 0;
}

static int inner_check_calls;

static int inner_check(void *obj, const struct df_value *src, const char *path, struct df_diags *d)
{
    struct inner *in = obj;
    inner_check_calls++;
    if (in->port == 7) {
        df_diags_add(d, src ? &src->mark : NULL, path, "port 7 is reserved");
        return DF_EINVAL;
    }
    return 0;
}

static const struct df_option checked_inner_opts[] = {
    {.name = "port", .type = DF_OPT_INT, .def = "80", .offset = offsetof(struct inner, port)},
};
static const struct df_option_table checked_inner_table = {
    .name = "checked_inner",
    .size = sizeof(struct inner),
    .options = checked_inner_opts,
    .count = DF_COUNTOF(checked_inner_opts),
    .check = inner_check,
};

static const struct df_option range_opts[] = {
    {.name = "lo", .type = DF_OPT_INT, .def = "0", .offset = offsetof(struct range, lo)},
    {.name = "hi", .type = DF_OPT_INT, .def = "10", .offset = offsetof(struct range, hi)},
    {.name = "in",
     .type = DF_OPT_TABLE,
     .table = &checked_inner_table,
     .offset = offsetof(struct range, in)},
};
static const struct df_option_table range_table = {
    .name = "range",
    .size = sizeof(struct range),
    .options = range_opts,
    .count = DF_COUNTOF(range_opts),
    .check = range_check,
};

static void reset_check(void)
{
    check_calls = 0;
    inner_check_calls = 0;
    check_obj = NULL;
    check_src = NULL;
    check_path[0] = '\0';
}

static void test_check_hook(void **state)
{
    struct fx *f = *state;
    struct range r;

    reset_check();
    expect_clean(f, run(f, &range_table, "lo: 1\nhi: 2", &r));
    assert_int_equal(check_calls, 1);
    assert_int_equal(inner_check_calls, 1); /* defaults of the embedded table */
    assert_ptr_equal(check_obj, &r);
    assert_ptr_equal(check_src, f->root);
    assert_string_equal(check_path, "cfg");

    /* Runs on defaults too (no value at all). */
    reset_check();
    expect_clean(f, run(f, &range_table, NULL, &r));
    assert_int_equal(check_calls, 1);
    assert_null(check_src);

    /* A failing check: its diagnostic, DF_EINVAL. */
    reset_check();
    const struct df_error *e =
        expect_one(f, run(f, &range_table, "lo: 5\nhi: 2", &r), "cfg", "must not exceed");
    assert_string_equal(e->msg, "lo (5) must not exceed hi (2)");
    assert_int_equal(check_calls, 1);

    /* Not run when a key of the table failed. */
    reset_check();
    expect_one(f, run(f, &range_table, "lo: x\nhi: 2", &r), "cfg.lo", "expected an integer");
    assert_int_equal(check_calls, 0);

    /* ... nor after an unknown key. */
    reset_check();
    expect_one(f, run(f, &range_table, "lo: 1\nhigh: 2", &r), "cfg.high", "unknown key");
    assert_int_equal(check_calls, 0);

    /* ... nor when a nested table failed (its own check included). */
    reset_check();
    expect_one(f, run(f, &range_table, "in: {port: x}", &r), "cfg.in.port", "expected an");
    assert_int_equal(inner_check_calls, 0);
    assert_int_equal(check_calls, 0);
    reset_check();
    expect_one(f, run(f, &range_table, "in: {port: 7}", &r), "cfg.in", "port 7 is reserved");
    assert_int_equal(inner_check_calls, 1);
    assert_int_equal(check_calls, 0);
}

/* ---- unknown keys, collected errors, wrong kinds ------------------------ */

static void test_unknown_keys(void **state)
{
    struct fx *f = *state;
    struct scalars s;
    int rc = run(f, &scalar_table,
                 "tiemout: 5s\n"
                 "name: ok\n"
                 "zzzzzzzzzzzz: 1\n"
                 "endpiont: x:1\n",
                 &s);
    assert_int_equal(rc, DF_EINVAL);
    assert_int_equal(df_diags_total(&f->d), 3);
    /* In document order, at the key. */
    assert_string_equal(f->d.items[0].path, "cfg.tiemout");
    assert_string_equal(f->d.items[0].msg, "unknown key 'tiemout'");
    assert_string_equal(f->d.items[0].hint, "did you mean 'timeout'?");
    assert_int_equal(f->d.items[0].mark.line, 1);
    assert_int_equal(f->d.items[0].mark.col, 1);
    assert_string_equal(f->d.items[1].path, "cfg.zzzzzzzzzzzz");
    assert_non_null(strstr(f->d.items[1].hint, "valid keys here: name"));
    assert_int_equal(f->d.items[1].mark.line, 3);
    assert_string_equal(f->d.items[2].path, "cfg.endpiont");
    assert_string_equal(f->d.items[2].hint, "did you mean 'endpoint'?");
    /* Known keys are still parsed. */
    assert_string_equal(s.name, "ok");

    /* At the root (empty path) the key is the whole path. */
    df_diags_reset(&f->d);
    memset(&s, 0, sizeof s);
    const struct df_value *v = load(f, "cont: 1");
    rc = df_options_parse(&scalar_table, v, NULL, &s, NULL, &f->a, &f->d);
    assert_int_equal(rc, DF_EINVAL);
    assert_int_equal(df_diags_total(&f->d), 1);
    assert_string_equal(f->d.items[0].path, "cont");
    assert_string_equal(f->d.items[0].hint, "did you mean 'count'?");
}

/* a: {b: [ {c: int} ], x?}, num: int[0..10] */
struct leaf {
    int64_t c;
};
static const struct df_option leaf_opts[] = {
    {.name = "c", .type = DF_OPT_INT, .offset = offsetof(struct leaf, c)},
};
static const struct df_option_table leaf_table = DF_OPTION_TABLE(struct leaf, leaf_opts, "leaf");
static const struct df_option leaf_elem = {
    .name = "leaf", .type = DF_OPT_TABLE, .table = &leaf_table};
struct mid {
    struct df_list b;
    bool flag;
};
static const struct df_option mid_opts[] = {
    {.name = "b", .type = DF_OPT_LIST, .elem = &leaf_elem, .offset = offsetof(struct mid, b)},
    {.name = "flag", .type = DF_OPT_BOOL, .offset = offsetof(struct mid, flag)},
};
static const struct df_option_table mid_table = DF_OPTION_TABLE(struct mid, mid_opts, "mid");
struct top {
    struct mid a;
    int64_t num;
    const char *name;
};
static const struct df_option top_opts[] = {
    {.name = "a", .type = DF_OPT_TABLE, .table = &mid_table, .offset = offsetof(struct top, a)},
    {.name = "num",
     .type = DF_OPT_INT,
     .flags = DF_OPT_BOUNDED,
     .min = 0,
     .max = 10,
     .offset = offsetof(struct top, num)},
    {.name = "name",
     .type = DF_OPT_STRING,
     .flags = DF_OPT_REQUIRED,
     .offset = offsetof(struct top, name)},
};
static const struct df_option_table top_table = DF_OPTION_TABLE(struct top, top_opts, "top");

static void test_errors_collected(void **state)
{
    struct fx *f = *state;
    struct top t;
    df_diags_reset(&f->d);
    memset(&t, 0, sizeof t);
    const struct df_value *v = load(f, "a:\n"
                                       "  b:\n"
                                       "    - c: 1\n"
                                       "    - c: nope\n"
                                       "    - {c: 3, d: 4}\n"
                                       "  x: 1\n"
                                       "  flag: maybe\n"
                                       "num: 500\n");
    int rc = df_options_parse(&top_table, v, NULL, &t, "", &f->a, &f->d);
    assert_int_equal(rc, DF_EINVAL);
    if (df_diags_total(&f->d) != 6)
        dump(f);
    assert_int_equal(df_diags_total(&f->d), 6);
    expect_diag(f, "a.b[1].c", "expected an integer, found 'nope'", 4, 10);
    expect_diag(f, "a.b[2].d", "unknown key 'd'", 5, 14);
    expect_diag(f, "a.x", "unknown key 'x'", 6, 3);
    expect_diag(f, "a.flag", "expected true or false, found 'maybe'", 7, 9);
    expect_diag(f, "num", "value 500 is out of range (0..10)", 8, 6);
    expect_diag(f, "", "missing required key 'name'", 1, 1);
    /* What parsed is stored. */
    assert_int_equal(t.a.b.count, 3);
    assert_int_equal(((struct leaf *)t.a.b.items)[0].c, 1);
    assert_int_equal(((struct leaf *)t.a.b.items)[2].c, 3);

    /* The same under a non-empty path, printed. */
    rc = run(f, &top_table, "a: {b: [{c: 1}, {c: x}]}\nname: n", &t);
    assert_int_equal(rc, DF_EINVAL);
    expect_diag(f, "cfg.a.b[1].c", "expected an integer", 1, 21);
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    assert_non_null(fp);
    df_diags_print(&f->d, fp);
    fclose(fp);
    assert_string_equal(buf, "t.yaml:1:21: error: cfg.a.b[1].c: expected an integer, found 'x'\n"
                             "1 error\n");
    free(buf);
}

static void test_many_errors_overflow(void **state)
{
    struct fx *f = *state;
    struct lists l;
    char yaml[2048] = "ports: [";
    for (int i = 0; i < 100; i++)
        strcat(yaml, i ? ", x" : "x");
    strcat(yaml, "]");
    int rc = run(f, &list_table, yaml, &l);
    assert_int_equal(rc, DF_EINVAL);
    assert_int_equal(f->d.count, DF_DIAGS_MAX);
    assert_int_equal(f->d.dropped, 100 - DF_DIAGS_MAX);
    assert_string_equal(f->d.items[63].path, "cfg.ports[63]");
}

static void test_wrong_kinds(void **state)
{
    struct fx *f = *state;
    struct scalars s;
    static const struct {
        const char *yaml, *path, *msg;
    } cases[] = {
        {"count: {a: 1}", "cfg.count", "expected integer, found mapping"},
        {"count: [1]", "cfg.count", "expected integer, found sequence"},
        {"flag: [true]", "cfg.flag", "expected bool, found sequence"},
        {"ratio: {}", "cfg.ratio", "expected float, found mapping"},
        {"timeout: [5s]", "cfg.timeout", "expected duration, found sequence"},
        {"buffer: {size: 4MiB}", "cfg.buffer", "expected size, found mapping"},
        {"endpoint: [localhost, 80]", "cfg.endpoint", "expected socket address, found sequence"},
    };
    for (size_t i = 0; i < DF_COUNTOF(cases); i++) {
        const struct df_error *e =
            expect_one(f, run(f, &scalar_table, cases[i].yaml, &s), cases[i].path, cases[i].msg);
        assert_string_equal(e->msg, cases[i].msg);
        assert_int_equal(e->mark.line, 1);
    }

    /* The value itself must be a mapping. */
    const struct df_error *e =
        expect_one(f, run(f, &scalar_table, "just text", &s), "cfg", "expected a mapping");
    assert_string_equal(e->msg, "expected a mapping, found a scalar");
    e = expect_one(f, run(f, &scalar_table, "[1, 2]", &s), "cfg", "expected a mapping");
    assert_string_equal(e->msg, "expected a mapping, found sequence");
    assert_null(s.src);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_type_names_and_sizes),
        T(test_defaults_when_absent),
        T(test_defaults_for_empty_mapping),
        T(test_all_values),
        T(test_defaults_parsed_like_input),
        T(test_bad_default_reported),
        T(test_string),
        T(test_bool),
        T(test_int),
        T(test_float),
        T(test_duration_parser),
        T(test_duration_option),
        T(test_size_parser),
        T(test_size_option),
        T(test_enum),
        T(test_sockaddr_parser),
        T(test_sockaddr_option),
        T(test_path),
        T(test_any),
        T(test_list),
        T(test_list_count_bounds),
        T(test_list_wrong_kinds),
        T(test_list_one_or_many),
        T(test_list_element_errors),
        T(test_list_null),
        T(test_map),
        T(test_nested_absent),
        T(test_nested_present),
        T(test_nested_errors),
        T(test_required),
        T(test_nullable_and_null),
        T(test_present_flag),
        T(test_check_hook),
        T(test_unknown_keys),
        T(test_errors_collected),
        T(test_many_errors_overflow),
        T(test_wrong_kinds),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
