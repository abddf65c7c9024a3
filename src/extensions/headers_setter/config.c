/* extensions/headers_setter/config.c — extension:headers_setter's options
 * and their rules (headers_setter.h). */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "df/capabilities/auth_check.h"
#include "extensions/common/file_read.h"
#include "extensions/headers_setter/headers_setter.h"
#include "net/headers.h"

#define OFF(field) offsetof(struct hs_header_config, field)

const char *hs_value_find(const char *buf, size_t len, size_t *start, size_t *vlen)
{
    ext_file_trim(buf, len, start, vlen);
    if (!*vlen)
        return "is empty";
    if (*vlen > HS_FILE_MAX)
        return "holds more than 8KiB";
    if (!df_header_value_ok(buf + *start, *vlen))
        return "holds a control or non-ASCII byte (a header value is visible ASCII)";
    return NULL;
}

/* Reads the header's file as the runtime will; says what is wrong. */
static int check_file(const struct hs_header_config *h, const struct df_mark *m, const char *path,
                      struct df_diags *d)
{
    static char buf[HS_FILE_MAX * 2 + 1];
    size_t len = 0, start, vlen;
    const char *why = ext_file_read_sync(h->file, buf, sizeof buf, &len);
    if (!why && len == sizeof buf)
        why = "is larger than 16KiB";
    if (!why)
        why = hs_value_find(buf, len, &start, &vlen);
    OPENSSL_cleanse(buf, len); /* a static buffer: no value is left in it */
    if (!why)
        return 0;
    df_diags_add(d, m, path, "the value file '%s' of header '%s' %s", h->file, h->key ? h->key : "",
                 why);
    df_diags_hint(d, "the file holds the header's value on one line, visible ASCII");
    return DF_EINVAL;
}

static int check_header(void *obj, const struct df_value *src, const char *path, struct df_diags *d)
{
    const struct hs_header_config *h = obj;
    const struct df_mark *m = src ? &src->mark : NULL;
    int rc = 0;
    /* Whichever exporter binds it: the gRPC rules are the stricter. */
    const char *why = h->key ? df_header_name_problem(h->key, true) : "is missing";
    if (why) {
        df_diags_add(d, m, path, "header key '%s' %s", h->key ? h->key : "", why);
        rc = DF_EINVAL;
    }
    if (!!h->value + !!h->file + !!h->from_context != 1) {
        df_diags_add(d, m, path,
                     "a header needs one of value, file and from_context (exactly one)");
        rc = DF_EINVAL;
    } else if (h->file && check_file(h, m, path, d) < 0) {
        rc = DF_EINVAL;
    }
    if (h->from_context && !df_identity_ref(h->from_context)) {
        df_diags_add(d, m, path, "from_context '%s' names nothing a request carries",
                     h->from_context);
        df_diags_hint(d, "use auth.subject, auth.provider or auth.<attribute> (an attribute of "
                         "the sender's identity, such as a claim)");
        rc = DF_EINVAL;
    }
    if (h->default_value && !h->from_context) {
        df_diags_add(d, m, path, "default_value goes with from_context");
        rc = DF_EINVAL;
    }
    const char *values[] = {h->value, h->default_value};
    for (size_t i = 0; i < 2; i++) {
        if (values[i] && !df_header_value_ok(values[i], strlen(values[i]))) {
            df_diags_add(d, m, path, "the %s of header '%s' has a control or non-ASCII byte",
                         i ? "default_value" : "value", h->key ? h->key : "");
            rc = DF_EINVAL;
        }
    }
    return rc;
}

static int check_config(void *obj, const struct df_value *src, const char *path, struct df_diags *d)
{
    (void)src;
    const struct hs_config *c = obj;
    const struct hs_header_config *h = c->headers.items;
    int rc = 0;
    for (size_t i = 0; i < c->headers.count; i++) {
        for (size_t k = 0; k < i; k++) {
            if (h[i].key && h[k].key && !strcasecmp(h[i].key, h[k].key)) {
                char p[DF_ERROR_PATH_MAX];
                snprintf(p, sizeof p, "%s.headers[%zu]", path, i);
                df_diags_add(d, h[i].src ? &h[i].src->mark : NULL, p,
                             "header '%s' is set twice (also headers[%zu])", h[i].key, k);
                rc = DF_EINVAL;
                break;
            }
        }
    }
    return rc;
}

static const struct df_option header_opts[] = {
    {.name = "key",
     .type = DF_OPT_STRING,
     .flags = DF_OPT_REQUIRED,
     .offset = OFF(key),
     .desc = "the header's name (sent lowercased)"},
    {.name = "value",
     .type = DF_OPT_STRING,
     .offset = OFF(value),
     .desc = "a fixed value (write a secret as ${env:NAME}, not into the file)"},
    {.name = "file",
     .type = DF_OPT_PATH,
     .offset = OFF(file),
     .desc = "a file holding the value (surrounding whitespace ignored), reloaded when it "
             "changes (atomic rename, Kubernetes secret volume)"},
    {.name = "from_context",
     .type = DF_OPT_STRING,
     .offset = OFF(from_context),
     .desc = "the value from the request's sender: auth.subject, auth.provider or "
             "auth.<attribute> of the identity an auth_check extension gave its data"},
    {.name = "default_value",
     .type = DF_OPT_STRING,
     .offset = OFF(default_value),
     .desc = "with from_context: the value when the sender has none (or one that cannot be "
             "sent); absent: the header is left out then"},
};

static const struct df_option_table header_table = {
    .name = "struct hs_header_config",
    .size = sizeof(struct hs_header_config),
    .options = header_opts,
    .count = DF_COUNTOF(header_opts),
    .src = OFF(src) + 1,
    .check = check_header,
    .desc = "One header.",
};

static const struct df_option header_elem = {.type = DF_OPT_TABLE, .table = &header_table};

static const struct df_option hs_opts[] = {
    {.name = "headers",
     .type = DF_OPT_LIST,
     .elem = &header_elem,
     .flags = DF_OPT_REQUIRED | DF_OPT_BOUNDED,
     .min = 1,
     .max = DF_REQUEST_HEADERS_MAX,
     .offset = offsetof(struct hs_config, headers),
     .desc = "headers added to each outgoing request: {key, value}, {key, file} or {key, "
             "from_context, default_value}"},
    EXT_OPT_WATCH_INTERVAL(struct hs_config, watch_interval, "the value files are"),
};

const struct df_option_table hs_table = {
    .name = "struct hs_config",
    .size = sizeof(struct hs_config),
    .options = hs_opts,
    .count = DF_COUNTOF(hs_opts),
    .check = check_config,
    .desc = "extension:headers_setter options.",
};
