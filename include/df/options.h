/* df/options.h — declarative option tables.
 *
 * Every node and extension provider describes its `config:` with a
 * df_option_table: one df_option per key, giving the key's name, type,
 * default (as the text a user would write), the offset of the field that
 * receives it, bounds, and a description. One generic walker
 * (df_options_parse) checks a config value against the table and fills the
 * struct: unknown keys are rejected with the nearest valid name suggested,
 * wrong YAML kinds, out-of-range values and bad units are reported with
 * file:line:col and the config path, and defaults are parsed by the same code
 * as user input. The same tables generate the catalog's config reference.
 *
 * Field types by option type:
 *   DF_OPT_STRING, DF_OPT_PATH  const char *      (NULL when absent, no default)
 *   DF_OPT_BOOL                 bool
 *   DF_OPT_INT                  int64_t
 *   DF_OPT_FLOAT                double
 *   DF_OPT_DURATION             uint64_t          nanoseconds
 *   DF_OPT_SIZE                 uint64_t          bytes
 *   DF_OPT_ENUM                 int               index into `enums`
 *   DF_OPT_SOCKADDR             struct df_sockaddr
 *   DF_OPT_LIST                 struct df_list    items of the `elem` type
 *   DF_OPT_MAP                  struct df_map     string keys, `elem` values
 *   DF_OPT_TABLE                the table's struct, embedded; with
 *                               DF_OPT_BYREF a pointer to it, NULL when absent
 *   DF_OPT_ANY                  const struct df_value *, unchecked (NULL when absent)
 *
 * Everything the walker allocates lives in the arena it is given. It runs on
 * the main thread while a config is loaded. */
#ifndef DF_OPTIONS_H
#define DF_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "df/arena.h"
#include "df/error.h"
#include "df/value.h"

/* X-macro: option type, name shown in errors and in the catalog. */
#define DF_OPT_TYPES(X)                                                                            \
    X(DF_OPT_STRING, "string")                                                                     \
    X(DF_OPT_BOOL, "bool")                                                                         \
    X(DF_OPT_INT, "integer")                                                                       \
    X(DF_OPT_FLOAT, "float")                                                                       \
    X(DF_OPT_DURATION, "duration")                                                                 \
    X(DF_OPT_SIZE, "size")                                                                         \
    X(DF_OPT_ENUM, "enum")                                                                         \
    X(DF_OPT_LIST, "list")                                                                         \
    X(DF_OPT_MAP, "map")                                                                           \
    X(DF_OPT_TABLE, "table")                                                                       \
    X(DF_OPT_SOCKADDR, "socket address")                                                           \
    X(DF_OPT_PATH, "file path")                                                                    \
    X(DF_OPT_ANY, "any")

enum df_opt_type {
#define DF_OPT_TYPE_ENUM(name, text) name,
    DF_OPT_TYPES(DF_OPT_TYPE_ENUM)
#undef DF_OPT_TYPE_ENUM
};

/* Returns the display name of an option type. */
const char *df_opt_type_name(enum df_opt_type type);

/* Option flags. */
enum {
    DF_OPT_REQUIRED = 1u << 0,    /* the key must be present and not null */
    DF_OPT_NULLABLE = 1u << 1,    /* null is accepted and leaves the default */
    DF_OPT_ONE_OR_MANY = 1u << 2, /* LIST: a single element is a list of one */
    DF_OPT_BYREF = 1u << 3,       /* TABLE: field is a pointer, NULL when absent */
    DF_OPT_BOUNDED = 1u << 4,     /* INT, DURATION, SIZE: check [min, max];
                                     LIST, MAP: bounds on the element count */
    DF_OPT_FBOUNDED = 1u << 5,    /* FLOAT: check [fmin, fmax] */
    DF_OPT_MUST_EXIST = 1u << 6,  /* PATH: the file must exist and be readable */
};

struct df_option_table;

struct df_option {
    const char *name;
    enum df_opt_type type;
    unsigned flags;
    size_t offset;                       /* of the field in the table's struct */
    size_t present;                      /* offsetof + 1 of a bool set when a non-null value
                                            was given; 0 = not tracked */
    const char *def;                     /* default, as YAML text parsed like user input
                                            (quote what YAML would read otherwise, e.g.
                                            "'[::1]:80'"); NULL = zero value */
    int64_t min, max;                    /* see DF_OPT_BOUNDED */
    double fmin, fmax;                   /* see DF_OPT_FBOUNDED */
    const char *const *enums;            /* ENUM: NULL-terminated names */
    const struct df_option *elem;        /* LIST, MAP: the element type */
    const struct df_option_table *table; /* TABLE: the nested table */
    const char *desc;
};

struct df_option_table {
    const char *name;
    size_t size; /* sizeof the struct the table fills */
    const struct df_option *options;
    size_t count;
    size_t src; /* offsetof + 1 of a `const struct df_value *` receiving the
                   table's source value (for later marks); 0 = none */
    /* Optional cross-field check run after every key parsed without error.
     * Adds diagnostics and returns 0 or DF_EINVAL. */
    int (*check)(void *obj, const struct df_value *src, const char *path, struct df_diags *d);
    const char *desc;
};

/* A parsed list: `count` items of the element type, contiguous. */
struct df_list {
    size_t count;
    void *items;
    const struct df_value *src; /* the sequence (or the single scalar) */
};

/* A parsed map: `count` keys with values of the element type, contiguous,
 * in document order. */
struct df_map {
    size_t count;
    const char **keys;
    void *values;
    const struct df_value *src; /* the mapping */
};

/* Element i of a parsed list or map, as a pointer to its element type. */
#define DF_MAP_AT(map, type, i)   (&((type *)(map).values)[i])
#define DF_LIST_AT(list, type, i) (&((type *)(list).items)[i])

/* A socket address `host:port` / `[v6]:port`. Not resolved at parse time. */
struct df_sockaddr {
    const char *host; /* without brackets */
    uint16_t port;
    const char *text; /* as written */
};

#define DF_COUNTOF(a) (sizeof(a) / sizeof((a)[0]))

/* Declares a table over `type` from a df_option array. */
#define DF_OPTION_TABLE(type, opts, description)                                                   \
    {                                                                                              \
        .name = #type, .size = sizeof(type), .options = (opts), .count = DF_COUNTOF(opts),         \
        .desc = (description)                                                                      \
    }

/* Parses `v` (NULL or a null value: every key takes its default) into `out`,
 * a zeroed struct of t->size bytes. `path` is the config path of `v`;
 * `at` is where a missing value would have been written (for "required"
 * errors). Returns 0, or DF_EINVAL after adding diagnostics to `d`, or
 * DF_ENOMEM. */
int df_options_parse(const struct df_option_table *t, const struct df_value *v,
                     const struct df_mark *at, void *out, const char *path, struct df_arena *a,
                     struct df_diags *d);

/* Returns the size of the field an option fills. */
size_t df_option_field_size(const struct df_option *o);

/* Scalar parsers shared by the walker and the CLI. Each returns 0 or
 * DF_EINVAL with a reason in err[errlen]. */
int df_parse_bool(const char *s, bool *out, char *err, size_t errlen);
int df_parse_int(const char *s, int64_t *out, char *err, size_t errlen);
int df_parse_float(const char *s, double *out, char *err, size_t errlen);
/* `250ms`, `5s`, `1m30s`, `2h`, `1d`, `100us`, `10ns`; `0` alone is zero. */
int df_parse_duration(const char *s, uint64_t *ns, char *err, size_t errlen);
/* `512KiB`, `4MiB`, `1GiB`, `10MB`, `1024`, `2B`; binary and decimal units. */
int df_parse_size(const char *s, uint64_t *bytes, char *err, size_t errlen);
/* Formatting for messages and the catalog: the largest exact unit
 * (`90s` -> "90s", 5400e9 ns -> "90m", 4194304 -> "4MiB"). */
void df_format_duration(char *buf, size_t n, uint64_t ns);
void df_format_size(char *buf, size_t n, uint64_t bytes);
/* Formats an option's bound in the option's own unit. */
void df_format_bound(char *buf, size_t n, const struct df_option *o, int64_t v);

/* `host:port`, `[v6]:port`; the host is stored in the arena. */
int df_parse_sockaddr(const char *s, struct df_arena *a, struct df_sockaddr *out, char *err,
                      size_t errlen);

#endif
