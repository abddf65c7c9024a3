/* extension:file_storage and extension:file_storage_local: the dataset
 * parsers (each format, their rules and the lines their errors name), the
 * config check reading the file at load, lookups found and not found, an
 * error before the first load, reloads on an atomic rename, a corrupted
 * replacement keeping the last snapshot (a failed refresh counted), the
 * local model, and readers on two threads while the file is replaced. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "df/capabilities/dataset_lookup.h"
#include "extensions/file_storage/dataset.h"
#include "tests/unit/extensions/ext_fixture.h"

/* ---- the parsers ------------------------------------------------------------------ */

static struct dataset_table *parse(enum fs_format fmt, const char *text)
{
    struct fs_parse_error e;
    struct dataset_table *ds = fs_dataset_parse(text, strlen(text), fmt, "id", 5, &e);
    if (!ds)
        fprintf(stderr, "line %zu: %s\n", e.line, e.msg);
    assert_non_null(ds);
    assert_int_equal(fs_dataset_check(text, strlen(text), fmt, "id", &e), 0);
    return ds;
}

/* The value of field `name` of the row keyed `key`, or NULL. */
static const char *field(const struct dataset_table *ds, const char *key, const char *name)
{
    const struct dataset_trow *r = dataset_table_find(ds, key, strlen(key));
    for (size_t i = 0; r && i < r->nattrs; i++) {
        if (!strcmp(r->attrs[i].key, name))
            return r->attrs[i].value;
    }
    return NULL;
}

static void expect_error(enum fs_format fmt, const char *text, size_t line, const char *want)
{
    struct fs_parse_error e;
    struct dataset_table *ds = fs_dataset_parse(text, strlen(text), fmt, "id", 1, &e);
    if (ds || e.line != line || !strstr(e.msg, want))
        fprintf(stderr, "want line %zu '%s', got line %zu '%s'\n", line, want, e.line, e.msg);
    assert_null(ds);
    assert_int_equal(e.line, line);
    assert_non_null(strstr(e.msg, want));
    assert_null(strstr(e.msg, "secret")); /* a field's value is never quoted */
    /* The config check (no table built) refuses it the same way. */
    struct fs_parse_error c;
    assert_int_equal(fs_dataset_check(text, strlen(text), fmt, "id", &c), -1);
    assert_int_equal(c.line, e.line);
    assert_string_equal(c.msg, e.msg);
}

/* A malformed input, the line its error names and what it says. */
struct bad {
    const char *text;
    size_t line;
    const char *want;
};

static void expect_errors(enum fs_format fmt, const struct bad *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        expect_error(fmt, b[i].text, b[i].line, b[i].want);
}

static void test_csv(void **state)
{
    (void)state;
    struct dataset_table *ds = parse(FS_FORMAT_CSV, "id,name,team\r\n"
                                                    "1,\"Alice \"\"A\"\"\",red\r\n"
                                                    "\n"
                                                    "2,Bob,\"blue\nteam, two\"\n"
                                                    "\"3\",,\"\"");
    assert_int_equal(ds->nrows, 3);
    assert_string_equal(field(ds, "1", "name"), "Alice \"A\"");
    assert_null(field(ds, "1", "id")); /* the key is the row's key, not an attribute */
    assert_int_equal(ds->version, 5);
    assert_string_equal(field(ds, "2", "team"), "blue\nteam, two");
    assert_string_equal(field(ds, "3", "name"), "");
    assert_null(dataset_table_find(ds, "4", 1));
    assert_null(dataset_table_find(ds, "1 ", 2));
    assert_int_equal(dataset_table_find(ds, "2", 1)->nattrs, 2);
    free(ds);
    ds = parse(FS_FORMAT_CSV, "\xef\xbb\xbfid,n\n1,a\n"); /* a BOM is not the name's */
    assert_string_equal(field(ds, "1", "n"), "a");
    free(ds);
    ds = parse(FS_FORMAT_JSONL, "\xef\xbb\xbf{\"id\": 1}\n");
    assert_non_null(dataset_table_find(ds, "1", 1));
    free(ds);
    ds = parse(FS_FORMAT_CSV, "name,id\n"); /* a header only: no rows */
    assert_int_equal(ds->nrows, 0);
    assert_null(dataset_table_find(ds, "x", 1));
    free(ds);

    static const struct bad bad[] = {
        {"", 0, "is empty"},
        {"key,name\n1,a\n", 1, "no key column 'id'"},
        {"id,id\n", 1, "names column 'id' twice"},
        {"id,n,n\n", 1, "names column 'n' twice"},
        {"id,\n", 1, "column 2 of the header has no name"},
        {"id,n\n1,a\n2,secret\"x\n", 3, "quote inside an unquoted"},
        {"id,n\n1,\"secret\"x\n", 2, "goes on after its closing quote"},
        {"id,n\n1,\"secret\n\n", 2, "not closed"},
        {"id,n\n1,secret,x\n", 2, "more fields than the header's 2"},
        {"id,n\n1\n", 2, "has 1 fields, the header 2"},
        {"id,n\n1,a\n2,b\n1,secret\n", 4, "same as the row's on line 2"},
        {"id,n\n,secret\n", 2, "key (field 'id') is empty"},
        {"id,n\n1,a\rb\n", 2, "a CR not followed by LF"},
    };
    expect_errors(FS_FORMAT_CSV, bad, DF_COUNTOF(bad));
}

static void test_jsonl(void **state)
{
    (void)state;
    struct dataset_table *ds = parse(
        FS_FORMAT_JSONL, "{\"id\": \"a\", \"n\": 42, \"r\": 0.1, \"ok\": true, \"z\": null}\r\n"
                         "\n"
                         "{\"id\": 7, \"n\": -1, \"f\": false}\n");
    assert_int_equal(ds->nrows, 2);
    assert_string_equal(field(ds, "a", "n"), "42");
    assert_string_equal(field(ds, "a", "r"), "0.1");
    assert_string_equal(field(ds, "a", "ok"), "true");
    assert_null(field(ds, "a", "z")); /* null leaves the field out */
    assert_int_equal(dataset_table_find(ds, "a", 1)->nattrs, 3);
    assert_string_equal(field(ds, "7", "f"), "false");
    free(ds);

    static const struct bad bad[] = {
        {"{\"id\": 1}\n{\"id\": \"secret\"\n", 2, "not valid JSON"},
        {"[\"secret\"]\n", 1, "is not a JSON object"},
        {"{\"id\": 1, \"o\": {\"a\": \"secret\"}}\n", 1, "object or an array"},
        {"{\"id\": 1}\n{\"n\": \"secret\"}\n", 2, "no key field 'id'"},
        {"{\"id\": 1}\n{\"id\": null}\n", 2, "no key field 'id'"},
        {"{\"id\": 1}\n\n{\"id\": 1}\n", 3, "same as the row's on line 1"},
        {"{\"id\": 1, \"id\": 2}\n", 1, "not valid JSON"},
    };
    expect_errors(FS_FORMAT_JSONL, bad, DF_COUNTOF(bad));
}

static void test_yaml(void **state)
{
    (void)state;
    struct dataset_table *ds = parse(FS_FORMAT_YAML, "- {id: a, name: Alice}\n"
                                                     "- id: b\n"
                                                     "  name: \"Bob: B\"\n"
                                                     "  n: 3\n");
    assert_int_equal(ds->nrows, 2);
    assert_string_equal(field(ds, "a", "name"), "Alice");
    assert_string_equal(field(ds, "b", "name"), "Bob: B");
    assert_string_equal(field(ds, "b", "n"), "3");
    free(ds);
    ds = parse(FS_FORMAT_YAML, "[]\n");
    assert_int_equal(ds->nrows, 0);
    free(ds);

    static const struct bad bad[] = {
        {"id: 1\n", 1, "not a YAML sequence"},
        {"- {id: 1}\n- secret\n", 2, "a row is not a map"},
        {"- {id: 1}\n- {id: 2, n: [secret]}\n", 2, "is not a scalar"},
        {"- {id: &x 1}\n- {id: *x}\n", 2, "is not a scalar"},
        {"- {id: 1, n: a, n: secret}\n", 1, "'n' appears twice"},
        {"- {id: 1, n: a, id: 2}\n", 1, "'id' appears twice"},
        {"- {id: 1}\n- {id: '1'}\n", 2, "same as the row's on line 1"},
        {"- {id: 1}\n---\n- {id: 2}\n", 2, "more than one YAML document"},
        {"- {id: 1\n- x: [\n", 2, "is not valid YAML"},
    };
    expect_errors(FS_FORMAT_YAML, bad, DF_COUNTOF(bad));
}

static void test_format_of_path(void **state)
{
    (void)state;
    assert_int_equal(fs_format_of_path("/a/b.csv"), FS_FORMAT_CSV);
    assert_int_equal(fs_format_of_path("b.jsonl"), FS_FORMAT_JSONL);
    assert_int_equal(fs_format_of_path("b.ndjson"), FS_FORMAT_JSONL);
    assert_int_equal(fs_format_of_path("b.yml"), FS_FORMAT_YAML);
    assert_int_equal(fs_format_of_path("b.yaml"), FS_FORMAT_YAML);
    assert_int_equal(fs_format_of_path("b.txt"), FS_FORMAT_AUTO);
}

/* ---- the config ------------------------------------------------------------------- */

static const char *yaml_of(const char *type, const char *cfg)
{
    return ext_pipeline_yaml("ds", type, cfg);
}

/* A config that fails: its `config:` (the file's path for %s), the
 * message and the config path of the error. */
struct bad_config {
    const char *type, *cfg, *file, *want, *at;
};

#define FS    "extension:file_storage"
#define LOCAL "extension:file_storage_local"

static void test_config_errors(void **state)
{
    (void)state;
    static const struct bad_config bad[] = {
        {FS, "{path: '%s', key: name}", "d.csv", "line 1: the header has no key column 'name'",
         "config.path"},
        {LOCAL, "{path: '%s', key: id}", "bad.csv", "line 3: a quote inside an unquoted field",
         "config.path"},
        {FS, "{path: '%s', key: id}", "missing.csv", "No such file or directory", "config.path"},
        {FS, "{path: '%s', key: id, format: xml}", "d.csv", "xml", "config.format"},
        {FS, "{path: '%s', key: id}", "d.txt", "cannot tell the format", "config.path"},
        {FS, "{path: '%s', key: ''}", "d.csv", "must not be empty", "config.key"},
        {FS, "{path: '%s'}", "d.csv", "missing required key 'key'", NULL},
    };
    char cfg[512];
    ext_write_file(ext_path("d.csv"), "id,n\n1,a\n");
    ext_write_file(ext_path("bad.csv"), "id,n\n1,a\n2,sec\"ret\n");
    ext_write_file(ext_path("d.txt"), "id,n\n1,a\n");
    for (size_t i = 0; i < DF_COUNTOF(bad); i++) {
        snprintf(cfg, sizeof cfg, bad[i].cfg, ext_path(bad[i].file));
        ext_expect_rejected(yaml_of(bad[i].type, cfg), 7, bad[i].want, bad[i].at, "ret");
    }
    snprintf(cfg, sizeof cfg, "{path: '%s', key: id, format: csv}", ext_path("d.txt"));
    ext_expect_accepted(yaml_of(FS, cfg));
}

/* ---- running instances ------------------------------------------------------------- */

static enum df_dataset_outcome lookup(const struct ext_fx *f, void *self, const char *key,
                                      struct df_dataset_row *row)
{
    const struct df_dataset_lookup_ops *ops = ext_fx_ops(f, DF_DATASET_LOOKUP_NAME);
    *row = (struct df_dataset_row){0};
    return ops->lookup(self, key, strlen(key), row);
}

static const char *row_value(const struct df_dataset_row *row, const char *name)
{
    for (size_t i = 0; i < row->nattrs; i++) {
        if (!strcmp(row->attrs[i].key, name))
            return row->attrs[i].value;
    }
    return NULL;
}

/* `key`'s field `name` through the instance (NULL when not found). */
static const char *value_of(struct ext_fx *f, const char *key, const char *name)
{
    struct df_dataset_row row;
    return lookup(f, f->self, key, &row) == DF_DATASET_FOUND ? row_value(&row, name) : NULL;
}

static void test_shared_reload(void **state)
{
    (void)state;
    const char *path = ext_path("hosts.yaml");
    ext_write_file(path, "- {id: web-1, team: red}\n- {id: web-2, team: blue}\n");
    char cfg[256];
    snprintf(cfg, sizeof cfg, "{path: '%s', key: id, watch_interval: 10ms}", path);
    struct ext_fx f;
    ext_fx_build(&f, yaml_of("extension:file_storage", cfg), "ds", 1);
    struct df_dataset_row row;
    assert_int_equal(lookup(&f, f.self, "web-1", &row), DF_DATASET_ERROR); /* before the load */
    ext_fx_run(&f);
    assert_int_equal(ext_fx_refreshes(&f, 0), 1);
    assert_int_equal(lookup(&f, f.self, "web-1", &row), DF_DATASET_FOUND);
    assert_int_equal(row.snapshot, 1);
    assert_int_equal(row.nattrs, 1); /* team: the key is not an attribute */
    assert_string_equal(row_value(&row, "team"), "red");
    assert_int_equal(lookup(&f, f.self, "web-3", &row), DF_DATASET_NOT_FOUND);

    /* An atomic rename: the new rows within 2 s. */
    ext_rotate(path, "- {id: web-1, team: green}\n- {id: web-3, team: blue}\n");
    assert_true(EXT_RUN_UNTIL_NS(&f, value_of(&f, "web-3", "team") != NULL, 2000000000ull));
    assert_string_equal(value_of(&f, "web-1", "team"), "green");
    assert_null(value_of(&f, "web-2", "team"));
    assert_int_equal(lookup(&f, f.self, "web-1", &row), DF_DATASET_FOUND);
    assert_int_equal(row.snapshot, 2);

    /* A corrupted replacement: a failed refresh, the last snapshot stays. */
    uint64_t failed = ext_fx_refreshes(&f, 1);
    ext_rotate(path, "- {id: web-1, team: green}\n- {id: web-1, team: twice}\n");
    assert_true(EXT_RUN_UNTIL(&f, ext_fx_refreshes(&f, 1) > failed));
    assert_string_equal(value_of(&f, "web-1", "team"), "green");
    assert_string_equal(value_of(&f, "web-3", "team"), "blue");
    ext_rotate(path, "");
    assert_true(EXT_RUN_UNTIL(&f, ext_fx_refreshes(&f, 1) > failed + 1));
    assert_int_equal(lookup(&f, f.self, "web-1", &row), DF_DATASET_FOUND);
    assert_int_equal(row.snapshot, 2);
    /* Removed: unreadable, the same. */
    assert_int_equal(unlink(path), 0);
    assert_true(EXT_RUN_UNTIL(&f, ext_fx_refreshes(&f, 1) > failed + 2));
    assert_string_equal(value_of(&f, "web-3", "team"), "blue");
    /* Restored: loaded again. */
    ext_write_file(path, "- {id: web-4, team: red}\n");
    assert_true(EXT_RUN_UNTIL(&f, value_of(&f, "web-4", "team") != NULL));
    assert_int_equal(lookup(&f, f.self, "web-3", &row), DF_DATASET_NOT_FOUND);
    ext_fx_finish(&f);
}

static void test_local(void **state)
{
    (void)state;
    const char *path = ext_path("d.jsonl");
    ext_write_file(path, "{\"id\": \"10.0.0.1\", \"zone\": \"a\"}\n");
    char cfg[256];
    snprintf(cfg, sizeof cfg, "{path: '%s', key: id, watch_interval: 10ms, reload_interval: 20ms}",
             path);
    struct ext_fx f;
    ext_fx_build_model(&f, yaml_of("extension:file_storage_local", cfg), "ds", DF_EXEC_LOCAL, 0);
    struct df_dataset_row row;
    assert_int_equal(lookup(&f, f.self, "10.0.0.1", &row), DF_DATASET_ERROR); /* not loaded */
    ext_fx_run(&f);
    assert_string_equal(value_of(&f, "10.0.0.1", "zone"), "a");
    assert_null(value_of(&f, "10.0.0.2", "zone"));
    /* reload_interval re-reads the unchanged file: ok refreshes, and the
     * same snapshot (an unchanged content makes none). */
    uint64_t ok = ext_fx_refreshes(&f, 0);
    assert_true(EXT_RUN_UNTIL(&f, ext_fx_refreshes(&f, 0) >= ok + 2));
    assert_int_equal(lookup(&f, f.self, "10.0.0.1", &row), DF_DATASET_FOUND);
    assert_int_equal(row.snapshot, 1);
    ext_rotate(path, "{\"id\": \"10.0.0.1\", \"zone\": \"b\"}\n");
    assert_true(
        EXT_RUN_UNTIL_NS(&f, !strcmp(value_of(&f, "10.0.0.1", "zone"), "b"), 2000000000ull));
    ext_fx_finish(&f);
}

/* ---- readers on other threads ------------------------------------------------------ */

struct reader {
    struct ext_fx *f;
    const int *stop; /* the last version of the file the main thread saw loaded */
    uint64_t calls, max_snapshot;
    long max_gen;
    int bad;
    struct ext_reader thread;
};

/* Version k of the file says k in both fields of every row: a row never
 * mixes two loads, and neither snapshots nor versions go back. */
static bool reader_step(void *self, void *ud)
{
    struct reader *r = ud;
    struct df_dataset_row row;
    const char *key = r->calls % 2 ? "a" : "b";
    if (lookup(r->f, self, key, &row) != DF_DATASET_FOUND || row.snapshot < r->max_snapshot ||
        row.nattrs != 2) {
        r->bad = 1;
        return false;
    }
    const char *g1 = row_value(&row, "g1"), *g2 = row_value(&row, "g2");
    long gen = g1 ? strtol(g1, NULL, 10) : -1;
    if (!g1 || !g2 || strcmp(g1, g2) || gen < r->max_gen)
        r->bad = 1;
    r->max_snapshot = row.snapshot;
    r->max_gen = gen;
    r->calls++;
    return !r->bad && gen < __atomic_load_n(r->stop, __ATOMIC_ACQUIRE);
}

static void write_gen(const char *path, int k, bool rotate)
{
    char content[256];
    snprintf(content, sizeof content, "id,g1,g2\na,%d,%d\nb,%d,%d\n", k, k, k, k);
    if (rotate)
        ext_rotate(path, content);
    else
        ext_write_file(path, content);
}

static void test_concurrent_readers(void **state)
{
    (void)state;
    const char *path = ext_path("gen.csv");
    write_gen(path, 0, false);
    char cfg[256];
    snprintf(cfg, sizeof cfg, "{path: '%s', key: id, watch_interval: 10ms}", path);
    struct ext_fx f;
    ext_fx_start_slots(&f, yaml_of("extension:file_storage", cfg), "ds", 3);
    int stop = 1 << 30;
    struct reader r[2] = {{.f = &f, .stop = &stop}, {.f = &f, .stop = &stop}};
    for (unsigned i = 0; i < 2; i++)
        ext_reader_start(&r[i].thread, &f, i + 1, reader_step, &r[i]);
    char want[16];
    for (int k = 1; k <= 10; k++) {
        write_gen(path, k, true);
        snprintf(want, sizeof want, "%d", k);
        assert_true(EXT_RUN_UNTIL(&f, !strcmp(value_of(&f, "a", "g1"), want)));
    }
    __atomic_store_n(&stop, 10, __ATOMIC_RELEASE);
    for (int i = 0; i < 2; i++)
        ext_reader_join(&r[i].thread);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(r[i].bad, 0);
        assert_int_equal(r[i].max_gen, 10);
        assert_true(r[i].max_snapshot >= 11);
    }
    ext_fx_finish(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv),
        cmocka_unit_test(test_jsonl),
        cmocka_unit_test(test_yaml),
        cmocka_unit_test(test_format_of_path),
        cmocka_unit_test_setup_teardown(test_config_errors, ext_dir_setup, ext_dir_teardown),
        cmocka_unit_test_setup_teardown(test_shared_reload, ext_dir_setup, ext_dir_teardown),
        cmocka_unit_test_setup_teardown(test_local, ext_dir_setup, ext_dir_teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_readers, ext_dir_setup, ext_dir_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
