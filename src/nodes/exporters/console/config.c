/* nodes/exporters/console/config.c — exporter:console's option table. */
#include <stddef.h>

#include "df/options.h"
#include "nodes/exporters/console/console.h"

static const char *const verbosities[] = {"basic", "normal", "detailed", NULL};

static const struct df_option console_opts[] = {
    {.name = "verbosity",
     .type = DF_OPT_ENUM,
     .enums = verbosities,
     .def = "normal",
     .offset = offsetof(struct console_config, verbosity),
     .desc = "basic: a line per request; normal: a line per record; detailed: every field"},
};

const struct df_option_table console_table =
    DF_OPTION_TABLE(struct console_config, console_opts, "exporter:console options.");
