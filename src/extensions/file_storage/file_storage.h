/* extensions/file_storage/file_storage.h — extension:file_storage's (and
 * extension:file_storage_local's) configuration, private to this folder:
 * the struct its option table fills and checks (config.c) and the provider
 * reads (file_storage.c). Read-only once parsed; any thread may read it. */
#ifndef DF_EXTENSIONS_FILE_STORAGE_FILE_STORAGE_H
#define DF_EXTENSIONS_FILE_STORAGE_FILE_STORAGE_H

#include <stdint.h>

#include "df/options.h"
#include "extensions/file_storage/dataset.h"

struct fs_config {
    const char *path;         /* the dataset file */
    const char *key;          /* the column / field whose value is the key */
    int format;               /* enum fs_format; AUTO: from the path's extension */
    uint64_t reload_interval; /* ns between unconditional re-reads; 0 = on change only */
    uint64_t watch_interval;  /* ns between checks of the file for a change */
};

/* The format to parse `c->path` with (AUTO resolved; AUTO again when the
 * extension says nothing, which the check refuses). */
enum fs_format fs_config_format(const struct fs_config *c);

/* The option table of `config:`. Its check resolves the format and reads
 * and parses the file once (config load, main thread), so that a missing
 * file, a missing key column or a malformed row fails the load with the
 * option's position and the dataset's line. */
extern const struct df_option_table fs_table;

#endif
