/* libFuzzer target: extension:file_storage's dataset parsers
 * (fs_dataset_parse), which read files from outside. The first byte picks
 * the format of the rest (0 CSV, 1 JSON lines, 2 YAML; modulo 3), the key
 * field is "id". Beyond crashes and sanitizer reports it checks the
 * contract: a snapshot's rows each have a non-empty key (the "id" field)
 * that finds that very row, fewer than FS_COLUMNS_MAX attributes (the
 * other fields), each of a non-empty name other than "id", names and values
 * NUL-terminated and at most FS_FIELD_MAX long, no name twice in a row; no
 * two rows have the same key; a failure names a line within the input (or
 * 0) and says why. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "extensions/file_storage/dataset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!size)
        return 0;
    static const enum fs_format formats[] = {FS_FORMAT_CSV, FS_FORMAT_JSONL, FS_FORMAT_YAML};
    const char *buf = (const char *)data + 1;
    size_t len = size - 1;
    struct fs_parse_error e;
    struct dataset_table *ds = fs_dataset_parse(buf, len, formats[data[0] % 3], "id", 1, &e);
    if (!ds) {
        size_t lines = 2; /* YAML also breaks lines at NEL, LS and PS */
        for (size_t i = 0; i < len; i++)
            lines += strchr("\n\r\x85\xa8\xa9", buf[i]) && buf[i];
        if (!e.msg[0] || e.line > lines)
            abort();
        return 0;
    }
    for (size_t r = 0; r < ds->nrows; r++) {
        const struct dataset_trow *row = &ds->rows[r];
        if (!row->klen || strlen(row->key) != row->klen ||
            dataset_table_find(ds, row->key, row->klen) != row || row->nattrs >= FS_COLUMNS_MAX)
            abort();
        for (size_t i = 0; i < row->nattrs; i++) {
            const struct df_dataset_attr *a = &row->attrs[i];
            if (!*a->key || !strcmp(a->key, "id") || strlen(a->key) > FS_FIELD_MAX ||
                strlen(a->value) > FS_FIELD_MAX)
                abort();
            for (size_t k = 0; k < i; k++) {
                if (!strcmp(a->key, row->attrs[k].key))
                    abort();
            }
        }
    }
    dataset_table_free(ds);
    return 0;
}
