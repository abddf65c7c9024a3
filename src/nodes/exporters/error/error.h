/* nodes/exporters/error/error.h — exporter:error's configuration, private to
 * this folder: the struct its option table fills (config.c) and the runtime
 * reads (error.c). The parsed struct is read-only once built, so any core's
 * thread may read it. */
#ifndef DF_NODES_EXPORTERS_ERROR_ERROR_H
#define DF_NODES_EXPORTERS_ERROR_ERROR_H

#include "df/options.h"

struct error_config {
    const char *message;
    int kind; /* 0 transient, 1 permanent */
};

/* Options of exporter:error, filling a struct error_config. */
extern const struct df_option_table error_exporter_table;

#endif
