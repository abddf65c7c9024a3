/* extension:db_storage: config errors through the config loader with the
 * real option table (blank query, bounds, a query SQLite rejects, checked
 * against a database that exists at config load; a missing one accepted);
 * lookups found and not found against a real SQLite database in a
 * temporary folder; error before the first load; a change of the table
 * seen after a refresh; a corrupt and a locked database keeping the last
 * snapshot and counting failed refreshes; a missing database and a BLOB
 * value failing the first load; duplicate keys (the first row wins); and
 * two reader threads looking up while the table is rewritten. The instance
 * is built through the extension manager, as the runtime builds a shared
 * provider. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "df/capabilities/dataset_lookup.h"
#include "tests/unit/extensions/ext_fixture.h"

#define DB_URN "extension:db_storage"

static const char *yaml(const char *cfg)
{
    return ext_pipeline_yaml("db", DB_URN, cfg);
}

/* Runs `sql` on the database at `path` (created when missing). */
static void db_exec(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK)
        fail_msg("%s: %s", sql, msg ? msg : "?");
    assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

static const char *const SEED =
    "CREATE TABLE hosts(name TEXT, region TEXT, rack INTEGER, load REAL, owner TEXT);"
    "INSERT INTO hosts VALUES('web-1', 'eu-west', 12, 0.5, 'alice');"
    "INSERT INTO hosts VALUES('web-2', 'us-east', 7, 1.25, NULL);"
    "INSERT INTO hosts VALUES(42, 'ap-south', -3, 2.0, 'bob');"
    "INSERT INTO hosts VALUES(NULL, 'nowhere', 0, 0, 'nobody');";

static const char *cfg_for(const char *path, const char *query, const char *more)
{
    static char buf[1024];
    snprintf(buf, sizeof buf, "{path: '%s', query: \"%s\"%s%s}", path, query, more ? ", " : "",
             more ? more : "");
    return buf;
}

static void expect_rejected(const char *cfg, const char *want)
{
    ext_expect_rejected(yaml(cfg), 7, want, NULL, NULL);
}

static void test_config_errors(void **state)
{
    (void)state;
    const char *db = ext_path("cfg.db");
    db_exec(db, SEED);
    expect_rejected("{path: x.db}", "missing required key 'query'");
    expect_rejected("{query: 'SELECT 1'}", "missing required key 'path'");
    expect_rejected(cfg_for(db, "  ", NULL), "the query is empty");
    expect_rejected(cfg_for(db, "SELECT name FROM hosts", "refresh_interval: 1ms"),
                    "is out of range");
    expect_rejected(cfg_for(db, "SELECT name FROM hosts", "busy_timeout: 2m"), "is out of range");
    expect_rejected(cfg_for(db, "SELECT name FROM hosts", "max_rows: 0"), "is out of range");
    expect_rejected(cfg_for(db, "SELEC name FROM hosts", NULL), "syntax error");
    expect_rejected(cfg_for(db, "SELECT name FROM nosuch", NULL), "no such table: nosuch");
    expect_rejected(cfg_for(db, "SELECT name, colour FROM hosts", NULL), "no such column");
    expect_rejected(cfg_for(db, "DELETE FROM hosts", NULL), "not read-only");
    expect_rejected(cfg_for(db, "SELECT name, region, owner AS region FROM hosts", NULL),
                    "two columns of the query are named 'region'");
    expect_rejected(cfg_for(db, "-- nothing", NULL), "the query is empty (only comments");
    /* Accepted: a good query, and a database that does not exist yet. */
    ext_expect_accepted(yaml(cfg_for(db, "SELECT name, region FROM hosts", NULL)));
    ext_expect_accepted(yaml(cfg_for(ext_path("later.db"), "SELECT name FROM hosts", NULL)));
    /* Nothing was created by the check. */
    assert_int_equal(access(ext_path("later.db"), F_OK), -1);
}

struct fx {
    struct ext_fx e;
    const struct df_dataset_lookup_ops *ops;
};

static void fx_build(struct fx *f, const char *cfg, unsigned nslots)
{
    memset(f, 0, sizeof *f);
    ext_fx_build(&f->e, yaml(cfg), "db", nslots);
    f->ops = ext_fx_ops(&f->e, DF_DATASET_LOOKUP_NAME);
}

static void fx_start(struct fx *f, const char *cfg)
{
    fx_build(f, cfg, 1);
    ext_fx_run(&f->e);
}

static enum df_dataset_outcome find(const struct df_dataset_lookup_ops *ops, void *self,
                                    const char *key, struct df_dataset_row *row)
{
    *row = (struct df_dataset_row){0};
    return ops->lookup(self, key, strlen(key), row);
}

/* The value of attribute `name` of `row`, or NULL. */
static const char *attr(const struct df_dataset_row *row, const char *name)
{
    for (size_t i = 0; i < row->nattrs; i++) {
        if (!strcmp(row->attrs[i].key, name))
            return row->attrs[i].value;
    }
    return NULL;
}

/* Turns the loop until looking `key` up finds attribute `name` = `want`
 * (at most 2 s); *row is the last lookup's. */
static bool wait_attr(struct fx *f, const char *key, const char *name, const char *want,
                      struct df_dataset_row *row)
{
    return EXT_RUN_UNTIL_NS(&f->e, ({
        const char *v =
            find(f->ops, f->e.self, key, row) == DF_DATASET_FOUND ? attr(row, name) : NULL;
        v && !strcmp(v, want);
    }),
                            2000000000ull);
}

static void test_lookups(void **state)
{
    (void)state;
    const char *db = ext_path("hosts.db");
    db_exec(db, SEED);
    struct fx f;
    fx_start(&f, cfg_for(db, "SELECT name, region, rack, load, owner FROM hosts", NULL));
    struct df_dataset_row row;
    assert_int_equal(find(f.ops, f.e.self, "web-1", &row), DF_DATASET_FOUND);
    assert_int_equal(row.nattrs, 4);
    assert_string_equal(attr(&row, "region"), "eu-west");
    assert_string_equal(attr(&row, "rack"), "12");
    assert_string_equal(attr(&row, "load"), "0.5");
    assert_string_equal(attr(&row, "owner"), "alice");
    assert_true(row.snapshot > 0);
    /* NULL columns are left out. */
    assert_int_equal(find(f.ops, f.e.self, "web-2", &row), DF_DATASET_FOUND);
    assert_int_equal(row.nattrs, 3);
    assert_null(attr(&row, "owner"));
    assert_string_equal(attr(&row, "load"), "1.25");
    /* An integer key is looked up by its text; a NULL key matches nothing. */
    assert_int_equal(find(f.ops, f.e.self, "42", &row), DF_DATASET_FOUND);
    assert_string_equal(attr(&row, "rack"), "-3");
    assert_string_equal(attr(&row, "load"), "2.0");
    assert_int_equal(find(f.ops, f.e.self, "", &row), DF_DATASET_NOT_FOUND);
    assert_int_equal(find(f.ops, f.e.self, "web-3", &row), DF_DATASET_NOT_FOUND);
    assert_int_equal(find(f.ops, f.e.self, "web-", &row), DF_DATASET_NOT_FOUND);
    /* Key lengths are honoured: "web-1" inside a longer buffer. */
    assert_int_equal(f.ops->lookup(f.e.self, "web-1xyz", 5, &row), DF_DATASET_FOUND);
    assert_int_equal(ext_fx_refreshes(&f.e, 0), 1);
    assert_int_equal(ext_fx_refreshes(&f.e, 1), 0);
    ext_fx_finish(&f.e);
}

static void test_error_before_first_load(void **state)
{
    (void)state;
    const char *db = ext_path("hosts.db");
    db_exec(db, SEED);
    struct fx f;
    fx_build(&f, cfg_for(db, "SELECT name, region FROM hosts", NULL), 1);
    struct df_dataset_row row;
    assert_int_equal(find(f.ops, f.e.self, "web-1", &row), DF_DATASET_ERROR);
    ext_fx_run(&f.e);
    assert_int_equal(find(f.ops, f.e.self, "web-1", &row), DF_DATASET_FOUND);
    ext_fx_finish(&f.e);
}

/* Starts an instance on a fresh hosts.db (SEED) selecting name and region
 * with `more` options; returns the database's path and sets *snapshot to
 * the first load's number. */
static const char *start_hosts(struct fx *f, const char *more, uint64_t *snapshot)
{
    const char *db = ext_path("hosts.db");
    db_exec(db, SEED);
    fx_start(f, cfg_for(db, "SELECT name, region FROM hosts", more));
    struct df_dataset_row row;
    assert_int_equal(find(f->ops, f->e.self, "web-1", &row), DF_DATASET_FOUND);
    assert_string_equal(attr(&row, "region"), "eu-west");
    *snapshot = row.snapshot;
    return db;
}

static void test_refresh_sees_changes(void **state)
{
    (void)state;
    struct fx f;
    uint64_t first;
    const char *db = start_hosts(&f, "refresh_interval: 50ms", &first);
    struct df_dataset_row row;
    db_exec(db, "UPDATE hosts SET region = 'eu-central' WHERE name = 'web-1';"
                "INSERT INTO hosts VALUES('web-9', 'sa-east', 1, 1, NULL);"
                "DELETE FROM hosts WHERE name = 'web-2';");
    assert_true(wait_attr(&f, "web-1", "region", "eu-central", &row));
    assert_true(row.snapshot > first);
    assert_int_equal(find(f.ops, f.e.self, "web-9", &row), DF_DATASET_FOUND);
    assert_string_equal(attr(&row, "region"), "sa-east");
    assert_int_equal(find(f.ops, f.e.self, "web-2", &row), DF_DATASET_NOT_FOUND);
    assert_int_equal(ext_fx_refreshes(&f.e, 1), 0);
    ext_fx_finish(&f.e);
}

static void test_corrupt_keeps_snapshot(void **state)
{
    (void)state;
    struct fx f;
    uint64_t snap;
    const char *db = start_hosts(&f, "refresh_interval: 50ms", &snap);
    struct df_dataset_row row;
    char junk[8192];
    memset(junk, 'x', sizeof junk - 1);
    junk[sizeof junk - 1] = 0;
    ext_write_file(db, junk);
    assert_true(EXT_RUN_UNTIL_NS(&f.e, ext_fx_refreshes(&f.e, 1) >= 2, 2000000000ull));
    assert_int_equal(find(f.ops, f.e.self, "web-1", &row), DF_DATASET_FOUND);
    assert_string_equal(attr(&row, "region"), "eu-west");
    assert_int_equal(row.snapshot, snap);
    /* Removed: still the last snapshot. */
    assert_int_equal(unlink(db), 0);
    uint64_t failed = ext_fx_refreshes(&f.e, 1);
    assert_true(EXT_RUN_UNTIL_NS(&f.e, ext_fx_refreshes(&f.e, 1) > failed, 2000000000ull));
    assert_int_equal(find(f.ops, f.e.self, "web-1", &row), DF_DATASET_FOUND);
    /* Restored: loaded again. */
    db_exec(db, "CREATE TABLE hosts(name TEXT, region TEXT);"
                "INSERT INTO hosts VALUES('web-1', 'restored');");
    assert_true(wait_attr(&f, "web-1", "region", "restored", &row));
    ext_fx_finish(&f.e);
}

static void test_locked_keeps_snapshot(void **state)
{
    (void)state;
    struct fx f;
    uint64_t snap;
    const char *db = start_hosts(&f, "refresh_interval: 50ms, busy_timeout: 10ms", &snap);
    uint64_t ok = ext_fx_refreshes(&f.e, 0);
    /* A writer holds an exclusive lock with a change not committed. */
    sqlite3 *w = NULL;
    assert_int_equal(sqlite3_open(db, &w), SQLITE_OK);
    assert_int_equal(sqlite3_exec(w,
                                  "BEGIN EXCLUSIVE; UPDATE hosts SET region = 'pending' "
                                  "WHERE name = 'web-1';",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    assert_true(EXT_RUN_UNTIL_NS(&f.e, ext_fx_refreshes(&f.e, 1) >= 2, 2000000000ull));
    struct df_dataset_row row;
    assert_int_equal(find(f.ops, f.e.self, "web-1", &row), DF_DATASET_FOUND);
    assert_string_equal(attr(&row, "region"), "eu-west");
    assert_int_equal(row.snapshot, snap);
    /* Committed: the next load sees it. */
    assert_int_equal(sqlite3_exec(w, "COMMIT;", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_close(w), SQLITE_OK);
    assert_true(wait_attr(&f, "web-1", "region", "pending", &row));
    assert_true(ext_fx_refreshes(&f.e, 0) > ok);
    ext_fx_finish(&f.e);
}

/* Starts an instance expecting its first load to fail with `want` in the
 * set's error. */
static void expect_start_fails(const char *cfg, const char *want)
{
    struct fx f;
    fx_build(&f, cfg, 1);
    assert_int_equal(df_ext_set_start(&f.e.set), 0);
    assert_true(EXT_RUN_UNTIL(&f.e, f.e.set.failed || df_ext_set_ready(&f.e.set)));
    assert_true(f.e.set.failed);
    if (!strstr(f.e.set.error, want))
        fail_msg("'%s' lacks '%s'", f.e.set.error, want);
    assert_int_equal(ext_fx_refreshes(&f.e, 1), 1);
    struct df_dataset_row row;
    assert_int_equal(find(f.ops, f.e.self, "web-1", &row), DF_DATASET_ERROR);
    ext_fx_finish(&f.e);
}

static void test_first_load_failures(void **state)
{
    (void)state;
    const char *missing = ext_path("missing.db");
    char want[256];
    snprintf(want, sizeof want, "first load of database '%s' failed: cannot open it", missing);
    expect_start_fails(cfg_for(missing, "SELECT name FROM hosts", NULL), want);
    assert_int_equal(access(missing, F_OK), -1); /* opened read-only: not created */
    const char *db = ext_path("blob.db");
    db_exec(db, "CREATE TABLE t(k TEXT, v BLOB); INSERT INTO t VALUES('a', x'00ff');");
    expect_start_fails(cfg_for(db, "SELECT k, v FROM t", NULL), "column 'v' is a BLOB");
    db_exec(db, "CREATE TABLE big(k TEXT); INSERT INTO big VALUES('a'), ('b'), ('c');");
    expect_start_fails(cfg_for(db, "SELECT k FROM big", "max_rows: 2"), "more than max_rows (2)");
    db_exec(db, "CREATE TABLE long(k TEXT, v TEXT);"
                "INSERT INTO long VALUES('a', printf('%.*c', 4097, 'x'));");
    expect_start_fails(cfg_for(db, "SELECT k, v FROM long", NULL), "longer than 4096 bytes");
}

static void test_duplicates_first_wins(void **state)
{
    (void)state;
    const char *db = ext_path("dups.db");
    db_exec(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, k TEXT, v TEXT);"
                "INSERT INTO t(k, v) VALUES('a', 'first'), ('b', 'only'), ('a', 'second');"
                "INSERT INTO t(k, v) VALUES('x', hex(x'00ff')), ('y', CAST(x'6869' AS TEXT));");
    struct fx f;
    fx_start(&f, cfg_for(db, "SELECT k, v AS value FROM t ORDER BY id", NULL));
    struct df_dataset_row row;
    assert_int_equal(find(f.ops, f.e.self, "a", &row), DF_DATASET_FOUND);
    assert_string_equal(attr(&row, "value"), "first");
    assert_int_equal(find(f.ops, f.e.self, "b", &row), DF_DATASET_FOUND);
    assert_string_equal(attr(&row, "value"), "only");
    assert_int_equal(find(f.ops, f.e.self, "x", &row), DF_DATASET_FOUND);
    assert_string_equal(attr(&row, "value"), "00FF");
    assert_int_equal(find(f.ops, f.e.self, "y", &row), DF_DATASET_FOUND);
    assert_string_equal(attr(&row, "value"), "hi");
    ext_fx_finish(&f.e);
}

/* ---- readers on two threads while the table changes ----------------------------- */

enum { KEYS = 64 };

struct reader_ud {
    const struct df_dataset_lookup_ops *ops;
    bool stop; /* set by the test's thread (atomic) */
    uint64_t lookups, last_snapshot;
    bool mixed; /* a row whose two attributes disagree, or a snapshot going back */
};

/* Every row holds a = b = the generation that wrote it (one UPDATE per
 * generation); a row mixing two generations, or a snapshot number going
 * back, would be a torn read. */
static bool read_rows(void *self, void *p)
{
    struct reader_ud *u = p;
    char key[16];
    snprintf(key, sizeof key, "k%llu", (unsigned long long)(u->lookups % KEYS));
    struct df_dataset_row row = {0};
    enum df_dataset_outcome o = u->ops->lookup(self, key, strlen(key), &row);
    if (o == DF_DATASET_FOUND) {
        if (row.nattrs != 2 || strcmp(attr(&row, "a"), attr(&row, "b")) ||
            row.snapshot < u->last_snapshot)
            u->mixed = true;
        u->last_snapshot = row.snapshot;
    } else {
        u->mixed = true;
    }
    u->lookups++;
    return !__atomic_load_n(&u->stop, __ATOMIC_RELAXED);
}

static void test_readers_while_refreshing(void **state)
{
    (void)state;
    const char *db = ext_path("gen.db");
    char sql[256];
    db_exec(db, "CREATE TABLE t(k TEXT PRIMARY KEY, a TEXT, b TEXT);");
    for (int i = 0; i < KEYS; i++) {
        snprintf(sql, sizeof sql, "INSERT INTO t VALUES('k%d', 'g0', 'g0');", i);
        db_exec(db, sql);
    }
    struct fx f;
    fx_build(&f, cfg_for(db, "SELECT k, a, b FROM t", "refresh_interval: 10ms"), 3);
    ext_fx_run(&f.e);
    struct reader_ud u[2] = {{.ops = f.ops}, {.ops = f.ops}};
    struct ext_reader r[2];
    ext_reader_start(&r[0], &f.e, 1, read_rows, &u[0]);
    ext_reader_start(&r[1], &f.e, 2, read_rows, &u[1]);
    struct df_dataset_row row;
    for (int g = 1; g <= 5; g++) {
        snprintf(sql, sizeof sql, "UPDATE t SET a = 'g%d', b = 'g%d';", g, g);
        db_exec(db, sql);
        char want[8];
        snprintf(want, sizeof want, "g%d", g);
        assert_true(wait_attr(&f, "k0", "a", want, &row));
    }
    __atomic_store_n(&u[0].stop, true, __ATOMIC_RELAXED);
    __atomic_store_n(&u[1].stop, true, __ATOMIC_RELAXED);
    ext_reader_join(&r[0]);
    ext_reader_join(&r[1]);
    for (int i = 0; i < 2; i++) {
        assert_false(u[i].mixed);
        assert_true(u[i].lookups > 0);
    }
    ext_fx_finish(&f.e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_config_errors, ext_dir_setup, ext_dir_teardown),
        cmocka_unit_test_setup_teardown(test_lookups, ext_dir_setup, ext_dir_teardown),
        cmocka_unit_test_setup_teardown(test_error_before_first_load, ext_dir_setup,
                                        ext_dir_teardown),
        cmocka_unit_test_setup_teardown(test_refresh_sees_changes, ext_dir_setup, ext_dir_teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_keeps_snapshot, ext_dir_setup,
                                        ext_dir_teardown),
        cmocka_unit_test_setup_teardown(test_locked_keeps_snapshot, ext_dir_setup,
                                        ext_dir_teardown),
        cmocka_unit_test_setup_teardown(test_first_load_failures, ext_dir_setup, ext_dir_teardown),
        cmocka_unit_test_setup_teardown(test_duplicates_first_wins, ext_dir_setup,
                                        ext_dir_teardown),
        cmocka_unit_test_setup_teardown(test_readers_while_refreshing, ext_dir_setup,
                                        ext_dir_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
