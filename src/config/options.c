/* The generic option-table walker and scalar parsers (df/options.h). */
#include "df/options.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/load.h"
#include "core/suggest.h"

#define ERRLEN 200

const char *df_opt_type_name(enum df_opt_type type)
{
    switch (type) {
#define DF_OPT_TYPE_CASE(name, text)                                                               \
    case name:                                                                                     \
        return text;
        DF_OPT_TYPES(DF_OPT_TYPE_CASE)
#undef DF_OPT_TYPE_CASE
    }
    return "?";
}

/* ---- scalar parsers ---------------------------------------------------- */

int df_parse_bool(const char *s, bool *out, char *err, size_t errlen)
{
    if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE")) {
        *out = true;
        return 0;
    }
    if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE")) {
        *out = false;
        return 0;
    }
    snprintf(err, errlen, "expected true or false, found '%s'", s);
    return DF_EINVAL;
}

int df_parse_int(const char *s, int64_t *out, char *err, size_t errlen)
{
    const char *p = s;
    if (*p == '+' || *p == '-')
        p++;
    if (!isdigit((unsigned char)*p)) {
        snprintf(err, errlen, "expected an integer, found '%s'", s);
        return DF_EINVAL;
    }
    for (const char *q = p; *q; q++) {
        if (!isdigit((unsigned char)*q)) {
            snprintf(err, errlen, "expected an integer, found '%s'", s);
            return DF_EINVAL;
        }
    }
    errno = 0;
    long long v = strtoll(s, NULL, 10);
    if (errno == ERANGE) {
        snprintf(err, errlen, "integer '%s' does not fit in 64 bits", s);
        return DF_EINVAL;
    }
    *out = v;
    return 0;
}

int df_parse_float(const char *s, double *out, char *err, size_t errlen)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno == ERANGE || !isfinite(v)) {
        snprintf(err, errlen, "expected a finite number, found '%s'", s);
        return DF_EINVAL;
    }
    *out = v;
    return 0;
}

struct unit {
    const char *name;
    uint64_t mult;
};

static const struct unit duration_units[] = {
    {"ns", 1ULL},
    {"nsec", 1ULL},
    {"us", 1000ULL},
    {"usec", 1000ULL},
    {"ms", 1000000ULL},
    {"msec", 1000000ULL},
    {"s", 1000000000ULL},
    {"sec", 1000000000ULL},
    {"secs", 1000000000ULL},
    {"second", 1000000000ULL},
    {"seconds", 1000000000ULL},
    {"m", 60000000000ULL},
    {"min", 60000000000ULL},
    {"mins", 60000000000ULL},
    {"minute", 60000000000ULL},
    {"minutes", 60000000000ULL},
    {"h", 3600000000000ULL},
    {"hr", 3600000000000ULL},
    {"hour", 3600000000000ULL},
    {"hours", 3600000000000ULL},
    {"d", 86400000000000ULL},
    {"day", 86400000000000ULL},
    {"days", 86400000000000ULL},
};

static const struct unit *find_unit(const struct unit *units, size_t n, const char *name,
                                    size_t len, bool nocase)
{
    for (size_t i = 0; i < n; i++) {
        if (strlen(units[i].name) != len)
            continue;
        if (nocase ? !strncasecmp(units[i].name, name, len) : !strncmp(units[i].name, name, len))
            return &units[i];
    }
    return NULL;
}

int df_parse_duration(const char *s, uint64_t *ns, char *err, size_t errlen)
{
    const char *p = s;
    uint64_t total = 0;
    bool any = false;
    while (*p == ' ')
        p++;
    if (!strcmp(p, "0")) {
        *ns = 0;
        return 0;
    }
    while (*p) {
        if (!isdigit((unsigned char)*p)) {
            snprintf(err, errlen, "invalid duration '%s': expected a number followed by a unit", s);
            return DF_EINVAL;
        }
        uint64_t n = 0;
        while (isdigit((unsigned char)*p)) {
            if (n > (UINT64_MAX - 9) / 10)
                goto overflow;
            n = n * 10 + (uint64_t)(*p++ - '0');
        }
        if (*p == '.') {
            snprintf(err, errlen,
                     "invalid duration '%s': fractions are not supported; use a smaller unit "
                     "(1500ms rather than 1.5s)",
                     s);
            return DF_EINVAL;
        }
        while (*p == ' ')
            p++;
        const char *u = p;
        while (isalpha((unsigned char)*p))
            p++;
        if (p == u) {
            snprintf(err, errlen,
                     "invalid duration '%s': a number needs a unit (ns, us, ms, s, m, h, d)", s);
            return DF_EINVAL;
        }
        const struct unit *unit =
            find_unit(duration_units, DF_COUNTOF(duration_units), u, (size_t)(p - u), false);
        if (!unit) {
            snprintf(err, errlen,
                     "invalid duration '%s': unknown unit '%.*s' (use ns, us, ms, s, m, h, d)", s,
                     (int)(p - u), u);
            return DF_EINVAL;
        }
        if (n > UINT64_MAX / unit->mult || total > UINT64_MAX - n * unit->mult)
            goto overflow;
        total += n * unit->mult;
        any = true;
        while (*p == ' ')
            p++;
    }
    if (!any) {
        snprintf(err, errlen, "invalid duration '%s'", s);
        return DF_EINVAL;
    }
    *ns = total;
    return 0;
overflow:
    snprintf(err, errlen, "duration '%s' is too large", s);
    return DF_EINVAL;
}

static const struct unit size_units[] = {
    {"b", 1ULL},           {"kb", 1000ULL},          {"mb", 1000000ULL},
    {"gb", 1000000000ULL}, {"tb", 1000000000000ULL}, {"kib", 1ULL << 10},
    {"mib", 1ULL << 20},   {"gib", 1ULL << 30},      {"tib", 1ULL << 40},
};

int df_parse_size(const char *s, uint64_t *bytes, char *err, size_t errlen)
{
    const char *p = s;
    uint64_t whole = 0, frac = 0, frac_div = 1;
    if (!isdigit((unsigned char)*p))
        goto bad;
    while (isdigit((unsigned char)*p)) {
        if (whole > (UINT64_MAX - 9) / 10)
            goto overflow;
        whole = whole * 10 + (uint64_t)(*p++ - '0');
    }
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p))
            goto bad;
        while (isdigit((unsigned char)*p)) {
            if (frac_div < 1000000000ULL) {
                frac = frac * 10 + (uint64_t)(*p - '0');
                frac_div *= 10;
            }
            p++;
        }
    }
    while (*p == ' ')
        p++;
    uint64_t mult = 1;
    if (*p) {
        const struct unit *unit = find_unit(size_units, DF_COUNTOF(size_units), p, strlen(p), true);
        if (!unit) {
            snprintf(
                err, errlen,
                "invalid size '%s': unknown unit '%s' (use B, KiB, MiB, GiB, TiB, KB, MB, GB, TB)",
                s, p);
            return DF_EINVAL;
        }
        mult = unit->mult;
    } else if (frac_div > 1) {
        snprintf(err, errlen, "invalid size '%s': a fractional size needs a unit", s);
        return DF_EINVAL;
    }
    if (whole > UINT64_MAX / mult)
        goto overflow;
    /* frac / frac_div < 1, so the fractional part is below `mult`; it can
     * still carry whole * mult past UINT64_MAX (`18446744.9TB`). */
    uint64_t part = (uint64_t)((long double)frac * mult / frac_div);
    if (whole * mult > UINT64_MAX - part)
        goto overflow;
    *bytes = whole * mult + part;
    return 0;
bad:
    snprintf(err, errlen, "invalid size '%s': expected a number with an optional unit, like 4MiB",
             s);
    return DF_EINVAL;
overflow:
    snprintf(err, errlen, "size '%s' is too large", s);
    return DF_EINVAL;
}

static bool valid_hostname(const char *h)
{
    if (!*h || strlen(h) > 253)
        return false;
    for (const char *p = h; *p; p++) {
        if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.' && *p != '_')
            return false;
    }
    return true;
}

int df_parse_sockaddr(const char *s, struct df_arena *a, struct df_sockaddr *out, char *err,
                      size_t errlen)
{
    const char *host, *host_end, *port;
    if (*s == '[') {
        host = s + 1;
        host_end = strchr(host, ']');
        if (!host_end || host_end[1] != ':') {
            snprintf(err, errlen, "invalid socket address '%s': expected [ipv6]:port", s);
            return DF_EINVAL;
        }
        port = host_end + 2;
    } else {
        host = s;
        host_end = strrchr(s, ':');
        if (!host_end) {
            snprintf(err, errlen, "invalid socket address '%s': expected host:port", s);
            return DF_EINVAL;
        }
        port = host_end + 1;
        if (memchr(host, ':', (size_t)(host_end - host))) {
            snprintf(err, errlen,
                     "invalid socket address '%s': write an IPv6 host in brackets, like [::1]:4317",
                     s);
            return DF_EINVAL;
        }
    }
    char *h = df_arena_strndup(a, host, (size_t)(host_end - host));
    if (!h)
        return DF_ENOMEM;
    if (*s == '[') {
        struct in6_addr in6;
        if (inet_pton(AF_INET6, h, &in6) != 1) {
            snprintf(err, errlen, "invalid socket address '%s': '%s' is not an IPv6 address", s, h);
            return DF_EINVAL;
        }
    } else if (!valid_hostname(h) || (strspn(h, "0123456789.") == strlen(h) &&
                                      inet_pton(AF_INET, h, &(struct in_addr){0}) != 1)) {
        snprintf(err, errlen, "invalid socket address '%s': '%s' is not a valid host", s, h);
        return DF_EINVAL;
    }
    int64_t p = -1;
    char perr[ERRLEN];
    if (!*port || df_parse_int(port, &p, perr, sizeof perr) || p < 0 || p > 65535 || *port == '+' ||
        *port == '-') {
        snprintf(err, errlen, "invalid socket address '%s': port must be 0..65535", s);
        return DF_EINVAL;
    }
    out->host = h;
    out->port = (uint16_t)p;
    out->text = df_arena_strdup(a, s);
    return out->text ? 0 : DF_ENOMEM;
}

/* ---- the walker -------------------------------------------------------- */

struct walk {
    struct df_arena *a;
    struct df_diags *d;
    bool oom;
};

static int parse_value(struct walk *w, const struct df_option *o, const struct df_value *v,
                       void *field, const char *path);
static int parse_table(struct walk *w, const struct df_option_table *t, const struct df_value *v,
                       const struct df_mark *at, void *out, const char *path);

size_t df_option_field_size(const struct df_option *o)
{
    switch (o->type) {
    case DF_OPT_STRING:
    case DF_OPT_PATH:
        return sizeof(const char *);
    case DF_OPT_BOOL:
        return sizeof(bool);
    case DF_OPT_INT:
        return sizeof(int64_t);
    case DF_OPT_FLOAT:
        return sizeof(double);
    case DF_OPT_DURATION:
    case DF_OPT_SIZE:
        return sizeof(uint64_t);
    case DF_OPT_ENUM:
        return sizeof(int);
    case DF_OPT_SOCKADDR:
        return sizeof(struct df_sockaddr);
    case DF_OPT_LIST:
        return sizeof(struct df_list);
    case DF_OPT_MAP:
        return sizeof(struct df_map);
    case DF_OPT_TABLE:
        return (o->flags & DF_OPT_BYREF) ? sizeof(void *) : o->table->size;
    case DF_OPT_ANY:
        return sizeof(const struct df_value *);
    }
    return 0;
}

static void child_path(char *buf, size_t n, const char *parent, const char *key)
{
    if (parent && *parent)
        snprintf(buf, n, "%s.%s", parent, key);
    else
        snprintf(buf, n, "%s", key);
}

static void wrong_kind(struct walk *w, const struct df_option *o, const struct df_value *v,
                       const char *path)
{
    df_diags_add(w->d, &v->mark, path, "expected %s, found %s", df_opt_type_name(o->type),
                 v->kind == DF_VALUE_SCALAR ? "a scalar" : df_value_kind_name(v->kind));
    if (o->type == DF_OPT_ENUM) {
        size_t n = 0;
        while (o->enums[n])
            n++;
        char list[DF_ERROR_HINT_MAX - 24];
        df_join_names(list, sizeof list, o->enums, n);
        df_diags_hint(w->d, "one of: %s", list);
    }
}

void df_format_duration(char *buf, size_t n, uint64_t ns)
{
    static const struct unit units[] = {{"d", 86400000000000ULL}, {"h", 3600000000000ULL},
                                        {"m", 60000000000ULL},    {"s", 1000000000ULL},
                                        {"ms", 1000000ULL},       {"us", 1000ULL}};
    for (size_t i = 0; i < DF_COUNTOF(units); i++) {
        if (ns >= units[i].mult && ns % units[i].mult == 0) {
            snprintf(buf, n, "%" PRIu64 "%s", ns / units[i].mult, units[i].name);
            return;
        }
    }
    snprintf(buf, n, "%" PRIu64 "%s", ns, ns ? "ns" : "");
}

void df_format_size(char *buf, size_t n, uint64_t bytes)
{
    static const struct unit units[] = {
        {"TiB", 1ULL << 40}, {"GiB", 1ULL << 30}, {"MiB", 1ULL << 20}, {"KiB", 1ULL << 10}};
    for (size_t i = 0; i < DF_COUNTOF(units); i++) {
        if (bytes >= units[i].mult && bytes % units[i].mult == 0) {
            snprintf(buf, n, "%" PRIu64 "%s", bytes / units[i].mult, units[i].name);
            return;
        }
    }
    snprintf(buf, n, "%" PRIu64, bytes);
}

void df_format_bound(char *buf, size_t n, const struct df_option *o, int64_t v)
{
    if (o->type == DF_OPT_DURATION)
        df_format_duration(buf, n, (uint64_t)v);
    else if (o->type == DF_OPT_SIZE)
        df_format_size(buf, n, (uint64_t)v);
    else
        snprintf(buf, n, "%" PRId64, v);
}

static void out_of_range(struct walk *w, const struct df_option *o, const struct df_value *v,
                         const char *path, const char *what)
{
    char lo[32], hi[32];
    df_format_bound(lo, sizeof lo, o, o->min);
    df_format_bound(hi, sizeof hi, o, o->max);
    df_diags_add(w->d, &v->mark, path, "%s %s is out of range (%s..%s)", what, v->u.scalar.text, lo,
                 hi);
}

static int parse_scalar(struct walk *w, const struct df_option *o, const struct df_value *v,
                        void *field, const char *path)
{
    char err[ERRLEN];
    const char *s = v->u.scalar.text;
    int rc = 0;
    switch (o->type) {
    case DF_OPT_STRING:
        *(const char **)field = s;
        return 0;
    case DF_OPT_PATH:
        if (!*s) {
            df_diags_add(w->d, &v->mark, path, "a file path must not be empty");
            return DF_EINVAL;
        }
        if ((o->flags & DF_OPT_MUST_EXIST) && access(s, R_OK) != 0) {
            df_diags_add(w->d, &v->mark, path, "cannot read '%s': %s", s, strerror(errno));
            return DF_EINVAL;
        }
        *(const char **)field = s;
        return 0;
    case DF_OPT_BOOL:
        rc = df_parse_bool(s, field, err, sizeof err);
        break;
    case DF_OPT_INT: {
        int64_t x;
        rc = df_parse_int(s, &x, err, sizeof err);
        if (!rc && (o->flags & DF_OPT_BOUNDED) && (x < o->min || x > o->max)) {
            out_of_range(w, o, v, path, "value");
            return DF_EINVAL;
        }
        if (!rc)
            *(int64_t *)field = x;
        break;
    }
    case DF_OPT_FLOAT: {
        double x;
        rc = df_parse_float(s, &x, err, sizeof err);
        if (!rc && (o->flags & DF_OPT_FBOUNDED) && (x < o->fmin || x > o->fmax)) {
            df_diags_add(w->d, &v->mark, path, "value %s is out of range (%g..%g)", s, o->fmin,
                         o->fmax);
            return DF_EINVAL;
        }
        if (!rc)
            *(double *)field = x;
        break;
    }
    case DF_OPT_DURATION:
    case DF_OPT_SIZE: {
        uint64_t x;
        rc = o->type == DF_OPT_DURATION ? df_parse_duration(s, &x, err, sizeof err)
                                        : df_parse_size(s, &x, err, sizeof err);
        if (!rc && (o->flags & DF_OPT_BOUNDED) && (x < (uint64_t)o->min || x > (uint64_t)o->max)) {
            out_of_range(w, o, v, path, o->type == DF_OPT_DURATION ? "duration" : "size");
            return DF_EINVAL;
        }
        if (!rc)
            *(uint64_t *)field = x;
        break;
    }
    case DF_OPT_ENUM: {
        size_t n = 0;
        for (; o->enums[n]; n++) {
            if (!strcmp(o->enums[n], s)) {
                *(int *)field = (int)n;
                return 0;
            }
        }
        char list[256];
        df_join_names(list, sizeof list, o->enums, n);
        df_diags_add(w->d, &v->mark, path, "unknown value '%s'; expected one of: %s", s, list);
        const char *near = df_suggest(s, o->enums, n);
        if (near)
            df_diags_hint(w->d, "did you mean '%s'?", near);
        return DF_EINVAL;
    }
    case DF_OPT_SOCKADDR:
        rc = df_parse_sockaddr(s, w->a, field, err, sizeof err);
        if (rc == DF_ENOMEM) {
            w->oom = true;
            return rc;
        }
        break;
    default:
        wrong_kind(w, o, v, path);
        return DF_EINVAL;
    }
    if (rc) {
        df_diags_add(w->d, &v->mark, path, "%s", err);
        if (o->type == DF_OPT_SIZE || o->type == DF_OPT_DURATION)
            df_diags_hint(w->d, "write it like %s",
                          o->type == DF_OPT_SIZE ? "4MiB" : "250ms or 5s");
    }
    return rc;
}

/* DF_OPT_ONE_OR_MANY: whether `v` (not a sequence, not null) can stand for
 * a list of one element of type `elem`. */
static bool one_element(const struct df_option *elem, const struct df_value *v)
{
    switch (elem->type) {
    case DF_OPT_TABLE:
    case DF_OPT_MAP:
        return v->kind == DF_VALUE_MAP;
    case DF_OPT_LIST:
        return false;
    case DF_OPT_ANY:
        return true;
    default:
        return v->kind == DF_VALUE_SCALAR;
    }
}

static int parse_list(struct walk *w, const struct df_option *o, const struct df_value *v,
                      struct df_list *out, const char *path)
{
    const struct df_value *const *items;
    size_t count;
    const struct df_value *one = v;
    if (v->kind == DF_VALUE_SEQ) {
        items = (const struct df_value *const *)v->u.seq.items;
        count = v->u.seq.count;
    } else if ((o->flags & DF_OPT_ONE_OR_MANY) && one_element(o->elem, v)) {
        items = &one;
        count = 1;
    } else {
        wrong_kind(w, o, v, path);
        return DF_EINVAL;
    }
    if ((o->flags & DF_OPT_BOUNDED) && ((int64_t)count < o->min || (int64_t)count > o->max)) {
        df_diags_add(w->d, &v->mark, path, "expected %" PRId64 " to %" PRId64 " items, found %zu",
                     o->min, o->max, count);
        return DF_EINVAL;
    }
    size_t esize = df_option_field_size(o->elem);
    unsigned char *mem = count ? df_arena_alloc(w->a, esize * count) : NULL;
    if (count && !mem) {
        w->oom = true;
        return DF_ENOMEM;
    }
    int rc = 0;
    for (size_t i = 0; i < count; i++) {
        char p[DF_ERROR_PATH_MAX];
        snprintf(p, sizeof p, "%s[%zu]", path, i);
        int r = parse_value(w, o->elem, items[i], mem + i * esize, p);
        if (r)
            rc = r;
    }
    out->count = count;
    out->items = mem;
    out->src = v;
    return rc;
}

static int parse_map(struct walk *w, const struct df_option *o, const struct df_value *v,
                     struct df_map *out, const char *path)
{
    if (v->kind != DF_VALUE_MAP) {
        wrong_kind(w, o, v, path);
        return DF_EINVAL;
    }
    size_t count = v->u.map.count;
    if ((o->flags & DF_OPT_BOUNDED) && ((int64_t)count < o->min || (int64_t)count > o->max)) {
        df_diags_add(w->d, &v->mark, path, "expected %" PRId64 " to %" PRId64 " entries, found %zu",
                     o->min, o->max, count);
        return DF_EINVAL;
    }
    size_t esize = df_option_field_size(o->elem);
    unsigned char *mem = count ? df_arena_alloc(w->a, esize * count) : NULL;
    const char **keys = count ? df_arena_alloc(w->a, sizeof *keys * count) : NULL;
    if (count && (!mem || !keys)) {
        w->oom = true;
        return DF_ENOMEM;
    }
    int rc = 0;
    for (size_t i = 0; i < count; i++) {
        const struct df_value_entry *e = &v->u.map.entries[i];
        char p[DF_ERROR_PATH_MAX];
        child_path(p, sizeof p, path, e->key);
        keys[i] = e->key;
        int r = parse_value(w, o->elem, e->value, mem + i * esize, p);
        if (r)
            rc = r;
    }
    out->count = count;
    out->keys = keys;
    out->values = mem;
    out->src = v;
    return rc;
}

/* Parses a present, non-null value. */
static int parse_value(struct walk *w, const struct df_option *o, const struct df_value *v,
                       void *field, const char *path)
{
    switch (o->type) {
    case DF_OPT_ANY:
        *(const struct df_value **)field = v;
        return 0;
    case DF_OPT_LIST:
        if (v->kind == DF_VALUE_NULL)
            return 0;
        return parse_list(w, o, v, field, path);
    case DF_OPT_MAP:
        if (v->kind == DF_VALUE_NULL)
            return 0;
        return parse_map(w, o, v, field, path);
    case DF_OPT_TABLE: {
        void *obj = field;
        if (o->flags & DF_OPT_BYREF) {
            obj = df_arena_alloc(w->a, o->table->size);
            if (!obj) {
                w->oom = true;
                return DF_ENOMEM;
            }
            *(void **)field = obj;
        }
        return parse_table(w, o->table, v, &v->mark, obj, path);
    }
    default:
        if (v->kind != DF_VALUE_SCALAR) {
            if (v->kind == DF_VALUE_NULL) {
                df_diags_add(w->d, &v->mark, path, "expected %s, found null",
                             df_opt_type_name(o->type));
                df_diags_hint(w->d, "remove the key to use the default%s%s%s", o->def ? " (" : "",
                              o->def ? o->def : "", o->def ? ")" : "");
                return DF_EINVAL;
            }
            wrong_kind(w, o, v, path);
            return DF_EINVAL;
        }
        return parse_scalar(w, o, v, field, path);
    }
}

/* Applies an option's default (its text parsed like user input). */
static int apply_default(struct walk *w, const struct df_option *o, void *field, const char *path)
{
    if (o->type == DF_OPT_TABLE && !(o->flags & DF_OPT_BYREF))
        return parse_table(w, o->table, NULL, NULL, field, path);
    if (!o->def)
        return 0;
    struct df_value *dv = NULL;
    int rc = df_config_load_buffer("<default>", o->def, strlen(o->def), w->a, &dv, w->d);
    if (rc == DF_ENOMEM)
        w->oom = true;
    if (rc)
        return rc;
    return parse_value(w, o, dv, field, path);
}

static int parse_table(struct walk *w, const struct df_option_table *t, const struct df_value *v,
                       const struct df_mark *at, void *out, const char *path)
{
    size_t before = df_diags_total(w->d);
    if (v && v->kind != DF_VALUE_MAP && v->kind != DF_VALUE_NULL) {
        df_diags_add(w->d, &v->mark, path, "expected a mapping, found %s",
                     v->kind == DF_VALUE_SCALAR ? "a scalar" : df_value_kind_name(v->kind));
        return DF_EINVAL;
    }
    size_t nentries = v && v->kind == DF_VALUE_MAP ? v->u.map.count : 0;
    const char *names[128];
    size_t nnames = t->count < DF_COUNTOF(names) ? t->count : DF_COUNTOF(names);
    for (size_t i = 0; i < nnames; i++)
        names[i] = t->options[i].name;

    /* Unknown keys first, so they are reported in document order. */
    for (size_t e = 0; e < nentries; e++) {
        const struct df_value_entry *ent = &v->u.map.entries[e];
        bool known = false;
        for (size_t i = 0; i < t->count && !known; i++)
            known = !strcmp(t->options[i].name, ent->key);
        if (known)
            continue;
        char p[DF_ERROR_PATH_MAX];
        child_path(p, sizeof p, path, ent->key);
        df_diags_add(w->d, &ent->key_mark, p, "unknown key '%s'", ent->key);
        const char *near = df_suggest(ent->key, names, nnames);
        if (near)
            df_diags_hint(w->d, "did you mean '%s'?", near);
        else if (t->count) {
            char list[DF_ERROR_HINT_MAX - 24];
            df_join_names(list, sizeof list, names, nnames);
            df_diags_hint(w->d, "valid keys here: %s", list);
        }
    }

    for (size_t i = 0; i < t->count; i++) {
        const struct df_option *o = &t->options[i];
        void *field = (unsigned char *)out + o->offset;
        char p[DF_ERROR_PATH_MAX];
        child_path(p, sizeof p, path, o->name);
        const struct df_value *ov = NULL;
        const struct df_mark *key_mark = NULL;
        for (size_t e = 0; e < nentries; e++) {
            if (!strcmp(v->u.map.entries[e].key, o->name)) {
                ov = v->u.map.entries[e].value;
                key_mark = &v->u.map.entries[e].key_mark;
                break;
            }
        }
        bool is_null = !ov || ov->kind == DF_VALUE_NULL;
        if (is_null && (o->flags & DF_OPT_REQUIRED)) {
            if (ov)
                df_diags_add(w->d, key_mark, p, "'%s' must not be null", o->name);
            else
                df_diags_add(w->d, v ? &v->mark : at, path, "missing required key '%s'", o->name);
            if (o->desc)
                df_diags_hint(w->d, "%s: %s", o->name, o->desc);
            continue;
        }
        if (!ov || (ov->kind == DF_VALUE_NULL && (o->flags & DF_OPT_NULLABLE))) {
            apply_default(w, o, field, p);
            continue;
        }
        if (parse_value(w, o, ov, field, p) == 0 && o->present && ov->kind != DF_VALUE_NULL)
            *((bool *)((unsigned char *)out + o->present - 1)) = true;
    }
    if (t->src)
        *(const struct df_value **)((unsigned char *)out + t->src - 1) = v;
    if (df_diags_total(w->d) != before)
        return DF_EINVAL;
    if (t->check)
        return t->check(out, v, path, w->d);
    return 0;
}

int df_options_parse(const struct df_option_table *t, const struct df_value *v,
                     const struct df_mark *at, void *out, const char *path, struct df_arena *a,
                     struct df_diags *d)
{
    struct walk w = {.a = a, .d = d};
    size_t before = df_diags_total(d);
    int rc = parse_table(&w, t, v, at, out, path ? path : "");
    if (w.oom)
        return DF_ENOMEM;
    if (rc || df_diags_total(d) != before)
        return DF_EINVAL;
    return 0;
}
