/* extensions/db_storage/db_storage.h — extension:db_storage's configuration
 * and the SQLite load shared by its config check (config.c) and its
 * runtime (db_storage.c). Private to this folder.
 *
 * Once parsed the config is read-only; any thread may read it. */
#ifndef DF_EXTENSIONS_DB_STORAGE_DB_STORAGE_H
#define DF_EXTENSIONS_DB_STORAGE_DB_STORAGE_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "df/options.h"
#include "extensions/common/dataset_table.h"

/* The longest key or value (bytes of SQLite's text of it). */
#define DBS_VALUE_MAX 4096
/* The most attribute columns (besides the key column). */
#define DBS_COLS_MAX 32
/* The largest max_rows (the default is 1000000). */
#define DBS_ROWS_MAX 10000000

struct dbs_config {
    const char *path;          /* the SQLite database file */
    const char *query;         /* SELECT key, attr... */
    uint64_t refresh_interval; /* ns between loads */
    uint64_t busy_timeout;     /* ns a load waits for a lock */
    int64_t max_rows;
};

extern const struct df_option_table dbs_table;

/* Opens `path` read-only (never creating it) with `busy_timeout_ns` and
 * prepares `query`, checking that it reads (sqlite3_stmt_readonly) and
 * that its columns fit: at least one (the key), at most DBS_COLS_MAX
 * attributes, names neither empty nor repeated. Returns SQLITE_OK with *db
 * and *stmt set, or an error with why[0..cap) filled (without the path:
 * the caller names it) and nothing left open; *offset is the byte offset
 * of a syntax error in `query`, or -1. Any thread (each call has its own
 * connection). */
int dbs_open(const char *path, const char *query, uint64_t busy_timeout_ns, sqlite3 **db,
             sqlite3_stmt **stmt, char *why, size_t cap, int *offset);

/* Runs the prepared `stmt` to its end into `b` (columns declared here),
 * bounded by `max_rows`. Values are SQLite's text of integers, reals and
 * text; NULL leaves the attribute out; a NULL key skips the row (counted
 * in *null_keys); a BLOB, a NUL byte or a value longer than DBS_VALUE_MAX
 * fails the load. Returns 0, or a negative code with why[0..cap). */
int dbs_read(sqlite3_stmt *stmt, int64_t max_rows, struct dataset_builder *b, size_t *null_keys,
             char *why, size_t cap);

#endif
