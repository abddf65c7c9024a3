/* Prometheus text exposition format 0.0.4 (admin/prom.h). */
#include "admin/prom.h"

#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "df/error.h"

void df_prom_init(struct df_prom *p)
{
    p->buf = NULL;
    p->len = p->cap = 0;
    p->err = 0;
}

void df_prom_free(struct df_prom *p)
{
    free(p->buf);
    p->buf = NULL;
    p->len = p->cap = 0;
}

char *df_prom_take(struct df_prom *p, size_t *len)
{
    char *buf = p->err || p->len == 0 ? NULL : p->buf;
    if (len)
        *len = buf ? p->len : 0;
    if (!buf)
        free(p->buf);
    p->buf = NULL;
    p->len = p->cap = 0;
    return buf;
}

static void set_err(struct df_prom *p, int err)
{
    if (!p->err)
        p->err = err;
}

/* Appends s[0..n), keeping the text NUL-terminated. DF_ENOMEM replaces an
 * earlier DF_EINVAL: it is the one that stops all writing. */
static void put(struct df_prom *p, const char *s, size_t n)
{
    if (p->err == DF_ENOMEM)
        return;
    if (p->cap - p->len <= n) {
        size_t cap = p->cap ? p->cap : 256;
        while (cap - p->len <= n) {
            if (cap > SIZE_MAX / 2) {
                p->err = DF_ENOMEM;
                return;
            }
            cap *= 2;
        }
        char *b = realloc(p->buf, cap);
        if (!b) {
            p->err = DF_ENOMEM;
            return;
        }
        p->buf = b;
        p->cap = cap;
    }
    memcpy(p->buf + p->len, s, n);
    p->len += n;
    p->buf[p->len] = '\0';
}

static void puts_(struct df_prom *p, const char *s)
{
    put(p, s, strlen(s));
}

/* Appends s with \\ and \n escaped, and also \" when `quote`. */
static void put_escaped(struct df_prom *p, const char *s, bool quote)
{
    const char *run = s;
    for (; *s; s++) {
        const char *esc = *s == '\\'           ? "\\\\"
                          : *s == '\n'         ? "\\n"
                          : quote && *s == '"' ? "\\\""
                                               : NULL;
        if (esc) {
            put(p, run, (size_t)(s - run));
            put(p, esc, 2);
            run = s + 1;
        }
    }
    put(p, run, (size_t)(s - run));
}

static bool name_char(char c, bool first, bool colon)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':') ||
           (!first && c >= '0' && c <= '9');
}

static bool valid_metric_name(const char *s)
{
    if (!s || !*s)
        return false;
    for (size_t i = 0; s[i]; i++)
        if (!name_char(s[i], i == 0, true))
            return false;
    return true;
}

static bool valid_label_name(const char *s)
{
    if (!s || !*s || (s[0] == '_' && s[1] == '_'))
        return false;
    for (size_t i = 0; s[i]; i++)
        if (!name_char(s[i], i == 0, false))
            return false;
    return true;
}

void df_prom_family(struct df_prom *p, const char *name, const char *type, const char *help)
{
    if (!valid_metric_name(name) || !type ||
        (strcmp(type, "counter") != 0 && strcmp(type, "gauge") != 0)) {
        set_err(p, DF_EINVAL);
        return;
    }
    if (help) {
        puts_(p, "# HELP ");
        puts_(p, name);
        puts_(p, " ");
        put_escaped(p, help, false);
        puts_(p, "\n");
    }
    puts_(p, "# TYPE ");
    puts_(p, name);
    puts_(p, " ");
    puts_(p, type);
    puts_(p, "\n");
}

/* Writes `name{labels} ` after checking every name; false when invalid. */
static bool put_series(struct df_prom *p, const char *name, const char *const *label_names,
                       const char *const *label_values, size_t nlabels)
{
    if (!valid_metric_name(name) || (nlabels && (!label_names || !label_values))) {
        set_err(p, DF_EINVAL);
        return false;
    }
    for (size_t i = 0; i < nlabels; i++) {
        if (!valid_label_name(label_names[i]) || !label_values[i]) {
            set_err(p, DF_EINVAL);
            return false;
        }
    }
    puts_(p, name);
    for (size_t i = 0; i < nlabels; i++) {
        puts_(p, i ? "," : "{");
        puts_(p, label_names[i]);
        puts_(p, "=\"");
        put_escaped(p, label_values[i], true);
        puts_(p, "\"");
    }
    puts_(p, nlabels ? "} " : " ");
    return true;
}

void df_prom_sample(struct df_prom *p, const char *name, const char *const *label_names,
                    const char *const *label_values, size_t nlabels, double value)
{
    if (!put_series(p, name, label_names, label_values, nlabels))
        return;
    char num[40];
    if (isnan(value)) {
        snprintf(num, sizeof num, "NaN");
    } else if (isinf(value)) {
        snprintf(num, sizeof num, value > 0 ? "+Inf" : "-Inf");
    } else {
        /* The shortest of 15, 16 or 17 significant digits that reads back
         * as the same double (15 digits always drops trailing zeros). */
        for (int prec = 15; prec <= 17; prec++) {
            snprintf(num, sizeof num, "%.*g", prec, value);
            if (strtod(num, NULL) == value)
                break;
        }
    }
    puts_(p, num);
    puts_(p, "\n");
}

void df_prom_sample_u64(struct df_prom *p, const char *name, const char *const *label_names,
                        const char *const *label_values, size_t nlabels, uint64_t value)
{
    if (!put_series(p, name, label_names, label_values, nlabels))
        return;
    char num[24];
    snprintf(num, sizeof num, "%" PRIu64 "\n", value);
    puts_(p, num);
}
