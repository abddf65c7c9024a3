/* extensions/file_storage/config.c — extension:file_storage's options and
 * their check (file_storage.h). */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "extensions/common/file_read.h"
#include "extensions/file_storage/file_storage.h"

#define OFF(field) offsetof(struct fs_config, field)

enum fs_format fs_config_format(const struct fs_config *c)
{
    return c->format != FS_FORMAT_AUTO ? (enum fs_format)c->format : fs_format_of_path(c->path);
}

/* Reads and parses the dataset as the runtime will; says what is wrong. */
static int check_file(const struct fs_config *c, const struct df_value *src, const char *path,
                      struct df_diags *d)
{
    const struct df_value *v = src ? df_value_get(src, "path") : NULL;
    const struct df_mark *m = v ? &v->mark : src ? &src->mark : NULL;
    char p[DF_ERROR_PATH_MAX];
    snprintf(p, sizeof p, "%s.path", path);
    struct stat st;
    if (stat(c->path, &st) < 0) {
        df_diags_add(d, m, p, "cannot read dataset '%s': %s", c->path, strerror(errno));
        return DF_EINVAL;
    }
    if (st.st_size > (off_t)FS_FILE_MAX) {
        df_diags_add(d, m, p, "dataset '%s' is larger than 256MiB", c->path);
        return DF_EINVAL;
    }
    size_t cap = (size_t)st.st_size + 1, len = 0;
    char *buf = malloc(cap);
    if (!buf) {
        df_diags_add(d, m, p, "cannot read dataset '%s': out of memory", c->path);
        return DF_EINVAL;
    }
    const char *why = ext_file_read_sync(c->path, buf, cap, &len);
    if (why) {
        df_diags_add(d, m, p, "cannot read dataset '%s': %s", c->path, why);
        free(buf);
        return DF_EINVAL;
    }
    struct fs_parse_error e;
    int rc = fs_dataset_check(buf, len, fs_config_format(c), c->key, &e);
    free(buf);
    if (rc == 0)
        return 0;
    if (e.line)
        df_diags_add(d, m, p, "dataset '%s' line %zu: %s", c->path, e.line, e.msg);
    else
        df_diags_add(d, m, p, "dataset '%s' %s", c->path, e.msg);
    return DF_EINVAL;
}

static int check(void *obj, const struct df_value *src, const char *path, struct df_diags *d)
{
    const struct fs_config *c = obj;
    if (!*c->key) {
        const struct df_value *v = src ? df_value_get(src, "key") : NULL;
        char p[DF_ERROR_PATH_MAX];
        snprintf(p, sizeof p, "%s.key", path);
        df_diags_add(d, v ? &v->mark : NULL, p, "the key field must not be empty");
        return DF_EINVAL;
    }
    if (fs_config_format(c) == FS_FORMAT_AUTO) {
        const struct df_value *v = src ? df_value_get(src, "path") : NULL;
        char p[DF_ERROR_PATH_MAX];
        snprintf(p, sizeof p, "%s.path", path);
        df_diags_add(d, v ? &v->mark : NULL, p, "cannot tell the format of dataset '%s'", c->path);
        df_diags_hint(d, "set format: csv, jsonl or yaml (or name the file .csv, .jsonl, "
                         ".ndjson, .yaml or .yml)");
        return DF_EINVAL;
    }
    return check_file(c, src, path, d);
}

static const struct df_option fs_opts[] = {
    {.name = "path",
     .type = DF_OPT_PATH,
     .flags = DF_OPT_REQUIRED,
     .offset = OFF(path),
     .desc = "the dataset file, re-read when it changes (written in place, atomic rename, "
             "symlink swap)"},
    {.name = "key",
     .type = DF_OPT_STRING,
     .flags = DF_OPT_REQUIRED,
     .offset = OFF(key),
     .desc = "the column (CSV) or field (JSON lines, YAML) whose value is the lookup key; "
             "every row has it, non-empty and unique"},
    {.name = "format",
     .type = DF_OPT_ENUM,
     .def = "auto",
     .enums = fs_format_names,
     .offset = OFF(format),
     .desc = "csv (a header row, RFC 4180), jsonl (one object per line) or yaml (a sequence "
             "of maps); auto: from the path's extension"},
    {.name = "reload_interval",
     .type = DF_OPT_DURATION,
     .flags = DF_OPT_BOUNDED,
     .min = 0,
     .max = 86400000000000LL,
     .def = "0s",
     .offset = OFF(reload_interval),
     .desc = "also re-read the file this often, changed or not; 0s: only when it changes"},
    EXT_OPT_WATCH_INTERVAL(struct fs_config, watch_interval, "the dataset file is"),
};

const struct df_option_table fs_table = {
    .name = "struct fs_config",
    .size = sizeof(struct fs_config),
    .options = fs_opts,
    .count = DF_COUNTOF(fs_opts),
    .check = check,
    .desc = "extension:file_storage options.",
};
