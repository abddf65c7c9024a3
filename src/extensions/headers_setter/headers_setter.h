/* extensions/headers_setter/headers_setter.h — extension:headers_setter's
 * configuration, private to this folder: the structs its option table fills
 * and checks (config.c) and the provider reads (headers_setter.c).
 * Read-only once parsed; any thread may read it. */
#ifndef DF_EXTENSIONS_HEADERS_SETTER_HEADERS_SETTER_H
#define DF_EXTENSIONS_HEADERS_SETTER_HEADERS_SETTER_H

#include <stddef.h>
#include <stdint.h>

#include "df/capabilities/request_headers.h"
#include "df/options.h"

/* The longest value a header's file may hold (after trimming). */
#define HS_FILE_MAX (8 * 1024)

/* One entry of `headers`: a key and exactly one of value, file and
 * from_context (the check makes sure); default_value only with
 * from_context. */
struct hs_header_config {
    const char *key;
    const char *value;
    const char *file;         /* a file holding the value, reloaded on change */
    const char *from_context; /* "auth.<name>" */
    const char *default_value;
    const struct df_value *src;
};

struct hs_config {
    struct df_list headers;  /* struct hs_header_config, 1..DF_REQUEST_HEADERS_MAX */
    uint64_t watch_interval; /* ns between checks of the files */
};

/* Finds the value in a file's content buf[0..len): trims surrounding
 * spaces, tabs, CR and LF and checks what is left. Sets *start and *vlen
 * and returns NULL, or says why there is no usable value (a static string
 * that never quotes the content). Pure; any thread. */
const char *hs_value_find(const char *buf, size_t len, size_t *start, size_t *vlen);

/* The option table of `config:`; its checks refuse header names that are
 * not HTTP tokens or that the exporters' transports set themselves, values
 * with control or non-ASCII bytes, from_context references other than
 * auth.<name>, and the same key twice (in any case). */
extern const struct df_option_table hs_table;

#endif
