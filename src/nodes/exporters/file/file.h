/* nodes/exporters/file/file.h — exporter:file's configuration, private to
 * this folder. Read-only once parsed. */
#ifndef DF_NODES_EXPORTERS_FILE_FILE_H
#define DF_NODES_EXPORTERS_FILE_FILE_H

#include <stdint.h>

#include "df/options.h"

enum file_format { FILE_JSON, FILE_PROTO, FILE_OTLP_JSON };
enum file_open_mode { FILE_APPEND, FILE_TRUNCATE };

struct file_exporter_config {
    const char *path; /* may hold {signal} and {core_id} */
    int format;       /* enum file_format; otlp_json = json */
    int open_mode;    /* enum file_open_mode */
};

extern const struct df_option_table file_exporter_table;

#endif
