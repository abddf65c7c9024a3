/* extensions/common/dataset_table.h — an immutable keyed table of rows of
 * string attributes, the snapshot of every dataset_lookup provider
 * (extension:file_storage, extension:db_storage). Private to src/extensions/.
 *
 * A builder collects rows (a key and attributes whose keys are column names,
 * each name stored once) in growable buffers; dataset_table_finish turns them into
 * one allocation holding an open-addressing hash table (linear probing,
 * load factor at most 1/2), the rows, their attributes and every string.
 * The finished table is never written again: publish it with
 * df_snapshot_publish and read it from any thread without a lock.
 *
 * Duplicate keys: the first row with a key wins; later ones are dropped
 * (counted by dataset_table_finish) and take no room in the table.
 *
 * Memory of a table: about 64 bytes of header, then per row 8 bytes of hash
 * slots (two 4-byte slots at least), a 24-byte row record, 16 bytes per
 * attribute present, and the key's and values' bytes plus one NUL each;
 * column names are stored once.
 *
 * Thread: a builder is used by one thread at a time (a loader on the thread
 * pool); a finished table by any number of threads. */
#ifndef DF_EXTENSIONS_COMMON_DATASET_TABLE_H
#define DF_EXTENSIONS_COMMON_DATASET_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "df/capabilities/dataset_lookup.h"
#include "df/extension.h"

/* The most rows a table may hold (the hash slots are 32-bit) and the most
 * distinct column names. */
#define DATASET_ROWS_LIMIT 16000000u
#define DATASET_COLS_LIMIT 1024u

struct dataset_brow {
    size_t koff;    /* key's offset in strs */
    uint32_t klen;  /* key's length */
    uint32_t first; /* index of its first attribute in attrs */
    uint32_t nattrs;
    uint64_t hash;
};

struct dataset_battr {
    uint32_t col;
    uint32_t vlen;
    size_t voff;
};

struct dataset_bcol {
    size_t off, len; /* the column name's offset in strs, its length */
};

struct dataset_builder {
    char *strs; /* column names, keys and values, each NUL-terminated */
    size_t slen, scap;
    struct dataset_brow *rows;
    size_t nrows, rcap;
    struct dataset_battr *attrs;
    size_t nattrs, acap;
    struct dataset_bcol *cols;
    size_t ncols, ccap;
    uint16_t cslots[2 * DATASET_COLS_LIMIT]; /* column index + 1 by name hash, 0 = empty */
};

/* What dataset_table_finish dropped: `count` rows whose key an earlier row
 * had; the first of them is builder row `row` (0-based, in the order of
 * dataset_builder_row), which repeats the key of row `first`. */
struct dataset_dups {
    size_t count, row, first;
};

/* One row of a finished table. */
struct dataset_trow {
    const char *key;
    uint32_t klen;
    uint32_t nattrs;
    const struct df_dataset_attr *attrs;
};

struct dataset_table {
    size_t size;      /* of the one allocation */
    uint64_t version; /* df_dataset_row.snapshot of its rows */
    size_t nrows;
    uint32_t mask;         /* slots - 1 (a power of two) */
    const uint32_t *slots; /* row index + 1, 0 = empty */
    const struct dataset_trow *rows;
};

/* An empty builder (no allocation until the first column or row). */
void dataset_builder_init(struct dataset_builder *b);

/* Frees what the builder holds and makes it empty again. */
void dataset_builder_free(struct dataset_builder *b);

/* The index of column (attribute key) name[0..len), declared now if it is
 * new (indices count from 0 in the order of declaration); DF_EINVAL for a
 * new name past DATASET_COLS_LIMIT, or DF_ENOMEM. At any time. */
int dataset_builder_column(struct dataset_builder *b, const char *name, size_t len);

/* Starts a row with key `key[0..len)`. Returns 0, DF_EINVAL past
 * DATASET_ROWS_LIMIT rows or for a key of 4GiB or more, or DF_ENOMEM. */
int dataset_builder_row(struct dataset_builder *b, const char *key, size_t len);

/* Adds attribute `col` = value[0..len) to the row last started. Returns 0,
 * DF_EINVAL (no row, unknown column, or a column set twice in the row), or
 * DF_ENOMEM. */
int dataset_builder_attr(struct dataset_builder *b, size_t col, const char *value, size_t len);

/* The table of the rows collected so far, in one allocation (free it with
 * dataset_table_free, or let a snapshot cell made with that function do),
 * with `version` as its rows' snapshot number; fills *dups. NULL on
 * exhaustion. The builder is left as it was. */
struct dataset_table *dataset_table_finish(const struct dataset_builder *b, uint64_t version,
                                           struct dataset_dups *dups);

/* Only what dataset_table_finish would put in *dups, without building the
 * table (a caller that refuses repeated keys). Returns 0 or DF_ENOMEM. */
int dataset_builder_dups(const struct dataset_builder *b, struct dataset_dups *dups);

/* Frees a table (the free function of a snapshot cell of tables). */
void dataset_table_free(void *table);

/* The row with key `key[0..len)`, or NULL. Any thread; no allocation. */
const struct dataset_trow *dataset_table_find(const struct dataset_table *t, const char *key,
                                              size_t len);

/* After `ext` published a table of `rows` rows and `bytes` bytes: tells its
 * size (df_extension_state_size) and, after a large one (1 MiB or more),
 * returns the heap the load freed to the system (malloc_trim): the
 * engine's allocator otherwise keeps up to 64 MiB of it (docs/runtime.md,
 * Memory), about twice the table's size after a file's load. The
 * instance's loop. */
void dataset_table_published(struct df_extension *ext, size_t rows, size_t bytes);

/* A dataset_lookup answer from table `t`, the snapshot in force (NULL:
 * nothing loaded yet, an error): found (*row filled; it points into `t`),
 * or not found. Any thread; no allocation. */
enum df_dataset_outcome dataset_table_lookup(const struct dataset_table *t, const char *key,
                                             size_t len, struct df_dataset_row *row);

#endif
