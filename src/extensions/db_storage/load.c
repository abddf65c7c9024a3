/* extensions/db_storage/load.c — opening the database read-only, checking
 * the query's shape and reading its rows into a dataset builder (see
 * db_storage.h). Used by the config check (main thread) and by each load
 * (a libuv thread-pool thread); every call has its own connection. */
#include <stdio.h>
#include <string.h>

#include "df/error.h"
#include "extensions/db_storage/db_storage.h"

int dbs_open(const char *path, const char *query, uint64_t busy_timeout_ns, sqlite3 **db,
             sqlite3_stmt **stmt, char *why, size_t cap, int *offset)
{
    *db = NULL;
    *stmt = NULL;
    *offset = -1;
    /* READONLY: never created, never written; NOMUTEX: this connection is
     * used by one thread only. */
    int rc = sqlite3_open_v2(path, db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        snprintf(why, cap, "cannot open it: %s", *db ? sqlite3_errmsg(*db) : sqlite3_errstr(rc));
        goto fail;
    }
    sqlite3_extended_result_codes(*db, 1);
    sqlite3_busy_timeout(*db, (int)(busy_timeout_ns / 1000000));
    rc = sqlite3_prepare_v2(*db, query, -1, stmt, NULL);
    if (rc != SQLITE_OK) {
        *offset = sqlite3_error_offset(*db);
        snprintf(why, cap, "cannot prepare the query: %s", sqlite3_errmsg(*db));
        goto fail;
    }
    if (!*stmt) {
        rc = SQLITE_MISUSE;
        snprintf(why, cap, "the query is empty (only comments or spaces)");
        goto fail;
    }
    if (!sqlite3_stmt_readonly(*stmt)) {
        rc = SQLITE_MISUSE;
        snprintf(why, cap, "the query is not read-only (a SELECT is expected)");
        goto fail;
    }
    int n = sqlite3_column_count(*stmt);
    if (n < 1) {
        rc = SQLITE_MISUSE;
        snprintf(why, cap, "the query returns no columns (a SELECT is expected)");
        goto fail;
    }
    if (n - 1 > DBS_COLS_MAX) {
        rc = SQLITE_TOOBIG;
        snprintf(why, cap, "the query returns %d attribute columns, more than %d", n - 1,
                 DBS_COLS_MAX);
        goto fail;
    }
    for (int i = 1; i < n; i++) {
        const char *name = sqlite3_column_name(*stmt, i);
        if (!name || !*name) {
            rc = SQLITE_MISUSE;
            snprintf(why, cap, "column %d of the query has no name (add AS <name>)", i + 1);
            goto fail;
        }
        for (int k = 1; k < i; k++) {
            if (!strcmp(name, sqlite3_column_name(*stmt, k))) {
                rc = SQLITE_MISUSE;
                snprintf(why, cap, "two columns of the query are named '%s' (rename one with AS)",
                         name);
                goto fail;
            }
        }
    }
    return SQLITE_OK;
fail:
    sqlite3_finalize(*stmt);
    sqlite3_close_v2(*db);
    *stmt = NULL;
    *db = NULL;
    return rc == SQLITE_OK ? SQLITE_ERROR : rc;
}

/* The text of column `i` of the current row into *s, *len; returns NULL,
 * or why it cannot be a key or value. */
static const char *text_of(sqlite3_stmt *stmt, int i, const char **s, size_t *len)
{
    switch (sqlite3_column_type(stmt, i)) {
    case SQLITE_NULL:
        *s = NULL;
        return NULL;
    case SQLITE_BLOB:
        return "is a BLOB (select hex(column) or CAST(column AS TEXT))";
    default:
        break;
    }
    *s = (const char *)sqlite3_column_text(stmt, i); /* integers and reals converted */
    if (!*s)
        return "cannot be converted to text (out of memory)";
    *len = (size_t)sqlite3_column_bytes(stmt, i);
    if (*len > DBS_VALUE_MAX)
        return "is longer than 4096 bytes";
    if (memchr(*s, 0, *len))
        return "holds a NUL byte";
    return NULL;
}

int dbs_read(sqlite3_stmt *stmt, int64_t max_rows, struct dataset_builder *b, size_t *null_keys,
             char *why, size_t cap)
{
    *null_keys = 0;
    int n = sqlite3_column_count(stmt);
    for (int i = 1; i < n; i++) {
        const char *name = sqlite3_column_name(stmt, i);
        if (dataset_builder_column(b, name, strlen(name)) < 0) {
            snprintf(why, cap, "out of memory");
            return DF_ENOMEM;
        }
    }
    int64_t rows = 0;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        const char *s;
        size_t len = 0;
        const char *bad = text_of(stmt, 0, &s, &len);
        if (bad) {
            snprintf(why, cap, "row %lld: the key %s", (long long)rows + 1, bad);
            return DF_EINVAL;
        }
        if (!s) {
            ++*null_keys;
            continue;
        }
        if (++rows > max_rows) {
            snprintf(why, cap, "the query returns more than max_rows (%lld) rows",
                     (long long)max_rows);
            return DF_EINVAL;
        }
        if (dataset_builder_row(b, s, len) < 0) {
            snprintf(why, cap, "out of memory");
            return DF_ENOMEM;
        }
        for (int i = 1; i < n; i++) {
            if ((bad = text_of(stmt, i, &s, &len))) {
                snprintf(why, cap, "row %lld: column '%s' %s", (long long)rows,
                         sqlite3_column_name(stmt, i), bad);
                return DF_EINVAL;
            }
            if (s && dataset_builder_attr(b, (size_t)(i - 1), s, len) < 0) {
                snprintf(why, cap, "out of memory");
                return DF_ENOMEM;
            }
        }
    }
    if (rc != SQLITE_DONE) {
        snprintf(why, cap, "reading the rows failed: %s", sqlite3_errmsg(sqlite3_db_handle(stmt)));
        return DF_EIO;
    }
    return 0;
}
