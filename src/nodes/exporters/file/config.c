/* nodes/exporters/file/config.c — exporter:file's options. `path` may hold
 * the Rust engine's {signal} and {core_id} tokens; `format: otlp_json` is
 * its name for json. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "nodes/exporters/file/file.h"

static const char *const formats[] = {"json", "proto", "otlp_json", NULL};
static const char *const modes[] = {"append", "truncate", NULL};

static int check(void *obj, const struct df_value *src, const char *path, struct df_diags *d)
{
    const struct file_exporter_config *c = obj;
    char p[DF_ERROR_PATH_MAX];
    const char *t = c->path;
    while ((t = strchr(t, '{')) != NULL) {
        const char *end = strchr(t, '}');
        size_t n = end ? (size_t)(end - t + 1) : strlen(t);
        if (!end || (strncmp(t, "{signal}", n) && strncmp(t, "{core_id}", n))) {
            const struct df_value *v = src ? df_value_get(src, "path") : NULL;
            snprintf(p, sizeof p, "%s.path", path);
            df_diags_add(d, v ? &v->mark : NULL, p, "unknown token '%.*s' in the path", (int)n, t);
            df_diags_hint(d, "the tokens are {signal} and {core_id}");
            return DF_EINVAL;
        }
        t += n;
    }
    return 0;
}

static const struct df_option opts[] = {
    {.name = "path",
     .type = DF_OPT_STRING,
     .flags = DF_OPT_REQUIRED,
     .offset = offsetof(struct file_exporter_config, path),
     .desc = "file to write; {signal} and {core_id} are replaced (without {core_id} every core "
             "appends to the same file, one whole record per write)"},
    {.name = "format",
     .type = DF_OPT_ENUM,
     .enums = formats,
     .def = "json",
     .offset = offsetof(struct file_exporter_config, format),
     .desc = "json: one OTLP/JSON request per line; proto: each request's protobuf bytes "
             "after a 4-byte big-endian length"},
    {.name = "open_mode",
     .type = DF_OPT_ENUM,
     .enums = modes,
     .def = "append",
     .offset = offsetof(struct file_exporter_config, open_mode),
     .desc = "append to an existing file, or truncate it when the engine starts"},
};

const struct df_option_table file_exporter_table = {
    .name = "struct file_exporter_config",
    .size = sizeof(struct file_exporter_config),
    .options = opts,
    .count = DF_COUNTOF(opts),
    .check = check,
    .desc = "exporter:file options.",
};
