/* extensions/file_storage/dataset.h — a dataset file parsed into an
 * immutable snapshot with O(1) lookups by key. Private to
 * src/extensions/file_storage/ (and its tests and fuzz target).
 *
 * The parsers read outside input: they are pure functions (bytes in, a
 * snapshot or an error with a line number out), allocate nothing that
 * outlives a failed call, and never quote the content in an error (column
 * names of a CSV header excepted: they are the file's schema, not data).
 * Any thread. A snapshot is a dataset table (extensions/common/
 * dataset_table.h): one allocation holding the rows, their attributes, their
 * strings and the hash table over the keys. */
#ifndef DF_EXTENSIONS_FILE_STORAGE_DATASET_H
#define DF_EXTENSIONS_FILE_STORAGE_DATASET_H

#include <stddef.h>
#include <stdint.h>

#include "extensions/common/dataset_table.h"

/* Bounds of a dataset file (documented in docs/extensions/file_storage.md). */
#define FS_FILE_MAX    (256u * 1024 * 1024) /* bytes */
#define FS_ROWS_MAX    (4u * 1024 * 1024)
#define FS_COLUMNS_MAX 256u         /* attributes of a row */
#define FS_FIELD_MAX   (64u * 1024) /* bytes of one name or value */

#define FS_FORMATS(X)                                                                              \
    X(FS_FORMAT_AUTO, "auto")                                                                      \
    X(FS_FORMAT_CSV, "csv")                                                                        \
    X(FS_FORMAT_JSONL, "jsonl")                                                                    \
    X(FS_FORMAT_YAML, "yaml")

enum fs_format {
#define FS_FORMAT_ENUM(name, text) name,
    FS_FORMATS(FS_FORMAT_ENUM)
#undef FS_FORMAT_ENUM
};

/* NULL-terminated names, in enum order. */
extern const char *const fs_format_names[];

/* The format `path`'s extension implies (.csv; .jsonl, .ndjson; .yaml,
 * .yml), or FS_FORMAT_AUTO when it implies none. */
enum fs_format fs_format_of_path(const char *path);

/* Why a parse failed: the 1-based line (0 when it concerns the whole file)
 * and a message that never holds a field's value. */
struct fs_parse_error {
    size_t line;
    char msg[160];
};

/* Parses buf[0..len) in `format` (not AUTO), the rows keyed by the field
 * named `key`; a row's attributes are its other fields, named as in the
 * file. Rules: every row has the key, non-empty, and no two rows the same
 * one; CSV (RFC 4180: a header row, quoted fields with "" for a quote, CRLF
 * or LF, every record as many fields as the header, empty lines skipped);
 * JSON lines (one object per line, empty lines skipped: strings as they
 * are, numbers and booleans as their JSON text, null leaves the field out,
 * objects and arrays refused); YAML (one document, a sequence of maps of
 * scalars; aliases refused). A leading UTF-8 BOM is skipped. Bounds: the
 * FS_*_MAX above, and at most DATASET_COLS_LIMIT distinct field names.
 * Returns the table, its rows' snapshot number `version` (free it with
 * dataset_table_free), or NULL with *err filled. */
struct dataset_table *fs_dataset_parse(const char *buf, size_t len, enum fs_format format,
                                       const char *key, uint64_t version,
                                       struct fs_parse_error *err);

/* As fs_dataset_parse, without building the table: 0, or -1 with *err
 * filled (the config check). */
int fs_dataset_check(const char *buf, size_t len, enum fs_format format, const char *key,
                     struct fs_parse_error *err);

#endif
