/* libFuzzer target: extension:file_storage's dataset parsers
 * (fs_dataset_parse), which read files from outside. The first byte picks
 * the format of the rest (0 CSV, 1 JSON lines, 2 YAML; modulo 3), the key
 * field is "id". Beyond crashes and sanitizer reports it checks the
 * contract: a snapshot's rows each have a non-empty key that finds that
 * very row, equal to the row's "id" attribute, at most FS_COLUMNS_MAX
 * attributes of NUL-terminated names and values at most FS_FIELD_MAX
 * long; no two rows have the same key; a failure names a line within the
 * input (or 0) and says why. */
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
    struct fs_dataset *ds = fs_dataset_parse(buf, len, formats[data[0] % 3], "id", &e);
    if (!ds) {
        size_t lines = 2; /* YAML also breaks lines at NEL, LS and PS */
        for (size_t i = 0; i < len; i++)
            lines += strchr("\n\r\x85\xa8\xa9", buf[i]) && buf[i];
        if (!e.msg[0] || e.line > lines)
            abort();
        return 0;
    }
    for (size_t r = 0; r < ds->nrows; r++) {
        const struct fs_row *row = &ds->rows[r];
        if (!row->keylen || fs_dataset_find(ds, row->key, row->keylen) != row ||
            row->nattrs > FS_COLUMNS_MAX)
            abort();
        const char *id = NULL;
        for (size_t i = 0; i < row->nattrs; i++) {
            const struct df_dataset_attr *a = &row->attrs[i];
            if (!*a->key || strlen(a->key) > FS_FIELD_MAX || strlen(a->value) > FS_FIELD_MAX)
                abort();
            if (!strcmp(a->key, "id"))
                id = a->value;
        }
        if (!id || strlen(id) != row->keylen || memcmp(id, row->key, row->keylen))
            abort();
    }
    free(ds);
    return 0;
}
