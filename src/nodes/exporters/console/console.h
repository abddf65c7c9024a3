/* nodes/exporters/console/console.h — exporter:console's configuration,
 * private to this folder: the struct its option table fills (config.c) and
 * the runtime reads (console.c). The parsed struct is read-only once built,
 * so any core's thread may read it. */
#ifndef DF_NODES_EXPORTERS_CONSOLE_CONSOLE_H
#define DF_NODES_EXPORTERS_CONSOLE_CONSOLE_H

#include "df/options.h"

struct console_config {
    int verbosity; /* enum df_otlp_verbosity */
};

/* Options of exporter:console, filling a struct console_config. */
extern const struct df_option_table console_table;

#endif
