/* nodes/exporters/error/config.c — exporter:error's option table. */
#include <stddef.h>

#include "df/options.h"
#include "nodes/exporters/error/error.h"

static const char *const nack_kinds[] = {"transient", "permanent", NULL};

static const struct df_option error_opts[] = {
    {.name = "message",
     .type = DF_OPT_STRING,
     .offset = offsetof(struct error_config, message),
     .desc = "the Nack reason (default: \"rejected by exporter:error\")"},
    {.name = "nack",
     .type = DF_OPT_ENUM,
     .enums = nack_kinds,
     .def = "permanent",
     .offset = offsetof(struct error_config, kind),
     .desc = "transient (a retry may succeed) or permanent"},
};

const struct df_option_table error_exporter_table =
    DF_OPTION_TABLE(struct error_config, error_opts, "exporter:error options.");
