/* extensions/basic_auth/config.c — extension:basic_auth's options and their
 * rules: htpasswd needs file and/or inline; each is parsed with the
 * runtime's parser (every line valid, at least one user); the file is read
 * once here, synchronously (config load, main thread), so that a missing,
 * unreadable or invalid file fails the load with its position; the runtime
 * reads it again. Messages name lines and users, never a hash. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "extensions/basic_auth/basic_auth.h"
#include "extensions/common/file_read.h"

static const struct df_value *key_value(const struct df_value *src, const char *key)
{
    return src ? df_value_get(src, key) : NULL;
}

static int check_file(const char *file, const struct df_value *src, const char *path,
                      struct df_diags *d)
{
    const struct df_value *v = key_value(src, "file");
    char p[DF_ERROR_PATH_MAX];
    snprintf(p, sizeof p, "%s.file", path);
    char *buf = malloc(BA_FILE_MAX + 1);
    if (!buf) {
        df_diags_add(d, v ? &v->mark : NULL, p, "out of memory reading '%s'", file);
        return DF_ENOMEM;
    }
    size_t len = 0;
    const char *err = ext_file_read_sync(file, buf, BA_FILE_MAX + 1, &len);
    char why[DF_ERROR_MSG_MAX - 64];
    struct ba_users users;
    int rc = 0;
    if (err) {
        df_diags_add(d, v ? &v->mark : NULL, p, "htpasswd file '%s' must be readable: %s", file,
                     err);
        rc = DF_EINVAL;
    } else if (len > BA_FILE_MAX) {
        df_diags_add(d, v ? &v->mark : NULL, p, "htpasswd file '%s' is larger than 1MiB", file);
        rc = DF_EINVAL;
    } else if ((rc = ba_htpasswd_parse(buf, len, &users, why, sizeof why)) < 0) {
        df_diags_add(d, v ? &v->mark : NULL, p, "htpasswd file '%s': %s", file, why);
        df_diags_hint(d, "lines of user:hash with bcrypt ($2y$), SHA-crypt ($5$, $6$) or {SHA} "
                         "hashes (htpasswd -B, openssl passwd -6)");
    } else {
        ba_users_free(&users);
    }
    OPENSSL_cleanse(buf, len < BA_FILE_MAX + 1 ? len : BA_FILE_MAX + 1);
    free(buf);
    return rc < 0 ? DF_EINVAL : 0;
}

static int check_htpasswd(void *obj, const struct df_value *src, const char *path,
                          struct df_diags *d)
{
    const struct ba_htpasswd_config *h = obj;
    if (!h->file && !h->text) {
        df_diags_add(d, src ? &src->mark : NULL, path, "htpasswd needs file or inline");
        df_diags_hint(d, "htpasswd: {file: /etc/df_engine/htpasswd} or {inline: \"user:$2y$...\"}");
        return DF_EINVAL;
    }
    int rc = 0;
    if (h->text) {
        struct ba_users users;
        char why[DF_ERROR_MSG_MAX - 64];
        if (ba_htpasswd_parse(h->text, strlen(h->text), &users, why, sizeof why) < 0) {
            const struct df_value *v = key_value(src, "inline");
            char p[DF_ERROR_PATH_MAX];
            snprintf(p, sizeof p, "%s.inline", path);
            df_diags_add(d, v ? &v->mark : NULL, p, "inline htpasswd: %s", why);
            rc = DF_EINVAL;
        } else {
            ba_users_free(&users);
        }
    }
    if (h->file && check_file(h->file, src, path, d))
        rc = DF_EINVAL;
    return rc;
}

static const struct df_option htpasswd_opts[] = {
    {.name = "file",
     .type = DF_OPT_PATH,
     .offset = offsetof(struct ba_htpasswd_config, file),
     .desc = "an htpasswd file (user:hash lines; bcrypt, SHA-crypt or {SHA}), reloaded when it "
             "changes"},
    {.name = "inline",
     .type = DF_OPT_STRING,
     .offset = offsetof(struct ba_htpasswd_config, text),
     .desc = "htpasswd lines written in the config; a user listed here and in `file` takes "
             "this entry"},
};

static const struct df_option_table htpasswd_table = {
    .name = "struct ba_htpasswd_config",
    .size = sizeof(struct ba_htpasswd_config),
    .options = htpasswd_opts,
    .count = DF_COUNTOF(htpasswd_opts),
    .check = check_htpasswd,
    .desc = "Where the users come from: file and/or inline.",
};

/* The realm goes into `Basic realm="..."`: visible ASCII without quotes
 * and backslashes, so it never needs escaping. */
static int check(void *obj, const struct df_value *src, const char *path, struct df_diags *d)
{
    const struct ba_config *c = obj;
    size_t len = strlen(c->realm);
    bool ok = len > 0 && len <= 64;
    for (size_t i = 0; ok && i < len; i++) {
        unsigned char ch = (unsigned char)c->realm[i];
        ok = ch >= 0x20 && ch <= 0x7e && ch != '"' && ch != '\\';
    }
    if (ok)
        return 0;
    const struct df_value *v = key_value(src, "realm");
    char p[DF_ERROR_PATH_MAX];
    snprintf(p, sizeof p, "%s.realm", path);
    df_diags_add(d, v ? &v->mark : NULL, p,
                 "the realm must be 1 to 64 printable ASCII characters without '\"' or '\\'");
    return DF_EINVAL;
}

static const struct df_option opts[] = {
    {.name = "htpasswd",
     .type = DF_OPT_TABLE,
     .flags = DF_OPT_REQUIRED,
     .table = &htpasswd_table,
     .offset = offsetof(struct ba_config, htpasswd),
     .desc = "the users: {file: PATH, inline: \"user:hash\\n...\"}, at least one of them"},
    {.name = "cache_ttl",
     .type = DF_OPT_DURATION,
     .flags = DF_OPT_BOUNDED,
     .min = 0,
     .max = 3600000000000LL,
     .def = "5m",
     .offset = offsetof(struct ba_config, cache_ttl),
     .desc = "how long a verified user:password is remembered (per core, 1024 entries) before "
             "its hash is computed again; 0 disables the cache"},
    {.name = "realm",
     .type = DF_OPT_STRING,
     .def = "df_engine",
     .offset = offsetof(struct ba_config, realm),
     .desc = "the realm of the 401 challenge, `Basic realm=\"<realm>\", charset=\"UTF-8\"`"},
    EXT_OPT_WATCH_INTERVAL(struct ba_config, watch_interval, "the htpasswd file is"),
};

const struct df_option_table ba_table = {
    .name = "struct ba_config",
    .size = sizeof(struct ba_config),
    .options = opts,
    .count = DF_COUNTOF(opts),
    .check = check,
    .desc = "extension:basic_auth options.",
};
