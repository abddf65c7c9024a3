/* extensions/db_storage/config.c — extension:db_storage's options and their
 * check. The query must not be blank. When the database file exists at
 * config load, it is opened read-only and the query prepared once (main
 * thread, config load), so a syntax error, a missing table or column, a
 * statement that writes, or columns that do not fit fail the load at the
 * query's file:line:col. A database that does not exist yet is only a
 * warning (it may be created between validation and start); the first load
 * at start then decides. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "extensions/db_storage/db_storage.h"

static int check(void *obj, const struct df_value *src, const char *path, struct df_diags *d)
{
    const struct dbs_config *c = obj;
    const struct df_value *qv = src ? df_value_get(src, "query") : NULL;
    const struct df_value *pv = src ? df_value_get(src, "path") : NULL;
    char p[DF_ERROR_PATH_MAX];
    snprintf(p, sizeof p, "%s.query", path);
    size_t i = 0;
    while (c->query[i] == ' ' || c->query[i] == '\t' || c->query[i] == '\r' || c->query[i] == '\n')
        i++;
    if (!c->query[i]) {
        df_diags_add(d, qv ? &qv->mark : NULL, p, "the query is empty");
        df_diags_hint(d, "SELECT key_column, attribute_column, ... FROM table");
        return DF_EINVAL;
    }
    if (access(c->path, F_OK) < 0) {
        char pp[DF_ERROR_PATH_MAX];
        snprintf(pp, sizeof pp, "%s.path", path);
        df_diags_warn(d, pv ? &pv->mark : NULL, pp,
                      "database '%s' does not exist (yet): the query is not checked; the "
                      "first load at start fails if it is still missing",
                      c->path);
        return 0;
    }
    sqlite3 *db;
    sqlite3_stmt *stmt;
    char why[DF_ERROR_MSG_MAX / 2];
    int offset;
    int rc = dbs_open(c->path, c->query, c->busy_timeout, &db, &stmt, why, sizeof why, &offset);
    if (rc == SQLITE_OK) {
        sqlite3_finalize(stmt);
        sqlite3_close_v2(db);
        return 0;
    }
    if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) {
        df_diags_warn(d, qv ? &qv->mark : NULL, p,
                      "database '%s': %s: the query is checked at start", c->path, why);
        return 0;
    }
    df_diags_add(d, qv ? &qv->mark : NULL, p, "database '%s': %s", c->path, why);
    if (offset >= 0)
        df_diags_hint(d, "at byte %d of the query: '%.40s'", offset, c->query + offset);
    else
        df_diags_hint(d, "the first column is the key, the others (by their names) the "
                         "attributes; the database is opened read-only");
    return DF_EINVAL;
}

static const struct df_option opts[] = {
    {.name = "path",
     .type = DF_OPT_PATH,
     .flags = DF_OPT_REQUIRED,
     .offset = offsetof(struct dbs_config, path),
     .desc = "the SQLite database file, opened read-only (never created)"},
    {.name = "query",
     .type = DF_OPT_STRING,
     .flags = DF_OPT_REQUIRED,
     .offset = offsetof(struct dbs_config, query),
     .desc = "a SELECT whose first column is the key and whose other columns are the "
             "attributes, named by the columns' names (use AS)"},
    {.name = "refresh_interval",
     .type = DF_OPT_DURATION,
     .flags = DF_OPT_BOUNDED,
     .min = 10000000,
     .max = 86400000000000LL,
     .def = "30s",
     .offset = offsetof(struct dbs_config, refresh_interval),
     .desc = "how often the query runs again; a load still running delays the next"},
    {.name = "busy_timeout",
     .type = DF_OPT_DURATION,
     .flags = DF_OPT_BOUNDED,
     .min = 0,
     .max = 60000000000LL,
     .def = "1s",
     .offset = offsetof(struct dbs_config, busy_timeout),
     .desc = "how long a load waits for a database locked by a writer before it fails"},
    {.name = "max_rows",
     .type = DF_OPT_INT,
     .flags = DF_OPT_BOUNDED,
     .min = 1,
     .max = DBS_ROWS_MAX,
     .def = "1000000",
     .offset = offsetof(struct dbs_config, max_rows),
     .desc = "the most rows a load may return; more fails the load (the last snapshot stays)"},
};

const struct df_option_table dbs_table = {
    .name = "struct dbs_config",
    .size = sizeof(struct dbs_config),
    .options = opts,
    .count = DF_COUNTOF(opts),
    .check = check,
    .desc = "extension:db_storage options.",
};
