/* OTLP record filtering (otlp/filter.h).
 *
 * Every signal has the same three levels: request {1: resource-X} ->
 * resource-X {1: Resource, 2: scope-X} -> scope-X {2: record}. The scan
 * walks them in order and appends to `slots` one entry per resource-X and
 * scope-X it meets (pre-order): the body size it will have in the output, or
 * DROPPED; and one keep flag per record. The write walks the same request in
 * the same order, consuming the slots, so it needs no decisions of its own. */
#include "otlp/filter.h"

#include <ctype.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "df/error.h"
#include "otlp/wire.h"

#define DROPPED SIZE_MAX

/* Field numbers. */
#define F_REQ_RESOURCE   1 /* request -> ResourceX */
#define F_RES_RESOURCE   1 /* ResourceX -> Resource */
#define F_RES_SCOPES     2 /* ResourceX -> ScopeX */
#define F_SCOPE_ITEMS    2 /* ScopeX -> LogRecord / Span / Metric */
#define F_RESOURCE_ATTRS 1
#define F_LOG_SEVNUM     2
#define F_LOG_SEVTEXT    3
#define F_LOG_BODY       5
#define F_LOG_ATTRS      6
#define F_SPAN_NAME      5
#define F_SPAN_ATTRS     9
#define F_METRIC_NAME    1
#define F_KV_KEY         1
#define F_KV_VALUE       2

struct strs {
    size_t n;
    char **s;
    size_t *len;
    regex_t *re; /* regexp blocks only */
};

struct kvm {
    char *key;
    size_t klen;
    char *val; /* NULL: presence only */
    size_t vlen;
    bool has_re;
    regex_t re;
};

struct block {
    bool regexp;
    struct strs names, sevtexts;
    bool sev, sev_undef;
    int32_t sev_min;
    struct kvm *attrs, *res;
    size_t nattrs, nres;
};

struct df_filter {
    struct block *inc[DF_SIGNAL_COUNT], *exc[DF_SIGNAL_COUNT];
    /* Scratch of the last scan. */
    size_t *slots;
    size_t nslots, slots_cap;
    uint8_t *keep;
    size_t nkeep, keep_cap;
    char *tmp; /* NUL-terminated copies for regexec */
    size_t tmp_cap;
};

/* ---- building -------------------------------------------------------- */

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

static int compile(regex_t *re, const char *src, char *err, size_t errlen)
{
    int rc = regcomp(re, src, REG_EXTENDED | REG_NOSUB);
    if (rc) {
        char msg[128];
        regerror(rc, re, msg, sizeof msg);
        if (err)
            snprintf(err, errlen, "bad regular expression \"%s\": %s", src, msg);
        return DF_EINVAL;
    }
    return 0;
}

int df_filter_regex_check(const char *re, char *msg, size_t msglen)
{
    regex_t r;
    int rc = regcomp(&r, re, REG_EXTENDED | REG_NOSUB);
    if (rc) {
        regerror(rc, &r, msg, msglen);
        return DF_EINVAL;
    }
    regfree(&r);
    return 0;
}

static void free_strs(struct strs *s, bool regexp)
{
    for (size_t i = 0; i < s->n; i++) {
        if (regexp && s->re)
            regfree(&s->re[i]);
        free(s->s[i]);
    }
    free(s->s);
    free(s->len);
    free(s->re);
}

static void free_kvms(struct kvm *k, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (k[i].has_re)
            regfree(&k[i].re);
        free(k[i].key);
        free(k[i].val);
    }
    free(k);
}

static void free_block(struct block *b)
{
    if (!b)
        return;
    free_strs(&b->names, b->regexp);
    free_strs(&b->sevtexts, b->regexp);
    free_kvms(b->attrs, b->nattrs);
    free_kvms(b->res, b->nres);
    free(b);
}

/* Fills s->n entries one by one, so that a failure leaves a freeable state. */
static int build_strs(struct strs *s, const char *const *src, size_t n, bool regexp, char *err,
                      size_t errlen)
{
    if (!n)
        return 0;
    s->s = calloc(n, sizeof *s->s);
    s->len = calloc(n, sizeof *s->len);
    s->re = regexp ? calloc(n, sizeof *s->re) : NULL;
    if (!s->s || !s->len || (regexp && !s->re))
        return DF_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        char *d = dup_str(src[i]);
        if (!d)
            return DF_ENOMEM;
        if (regexp) {
            int rc = compile(&s->re[i], d, err, errlen);
            if (rc) {
                free(d);
                return rc;
            }
        }
        s->s[i] = d;
        s->len[i] = strlen(d);
        s->n = i + 1;
    }
    return 0;
}

static int build_kvms(struct kvm **out, size_t *nout, const struct df_filter_kv *src, size_t n,
                      bool regexp, char *err, size_t errlen)
{
    if (!n)
        return 0;
    struct kvm *k = calloc(n, sizeof *k);
    if (!k)
        return DF_ENOMEM;
    *out = k;
    for (size_t i = 0; i < n; i++) {
        struct kvm *e = &k[i];
        if (!(e->key = dup_str(src[i].key ? src[i].key : "")))
            return DF_ENOMEM;
        *nout = i + 1;
        e->klen = strlen(e->key);
        if (src[i].value) {
            if (!(e->val = dup_str(src[i].value)))
                return DF_ENOMEM;
            e->vlen = strlen(e->val);
            if (regexp) {
                int rc = compile(&e->re, e->val, err, errlen);
                if (rc)
                    return rc;
                e->has_re = true;
            }
        }
    }
    return 0;
}

static int build_block(const struct df_filter_spec *sp, struct block **out, char *err,
                       size_t errlen)
{
    struct block *b = calloc(1, sizeof *b);
    if (!b)
        return DF_ENOMEM;
    *out = b;
    b->regexp = sp->match_type == DF_FILTER_REGEXP;
    b->sev = sp->severity;
    b->sev_min = sp->severity_min;
    b->sev_undef = sp->match_undefined;
    int rc = build_strs(&b->names, sp->names, sp->nnames, b->regexp, err, errlen);
    if (!rc)
        rc = build_strs(&b->sevtexts, sp->severity_texts, sp->nseverity_texts, b->regexp, err,
                        errlen);
    if (!rc)
        rc = build_kvms(&b->attrs, &b->nattrs, sp->attributes, sp->nattributes, b->regexp, err,
                        errlen);
    if (!rc)
        rc = build_kvms(&b->res, &b->nres, sp->resource_attributes, sp->nresource_attributes,
                        b->regexp, err, errlen);
    return rc;
}

int df_filter_new(const struct df_filter_config *cfg, struct df_filter **out, char *err,
                  size_t errlen)
{
    *out = NULL;
    struct df_filter *f = calloc(1, sizeof *f);
    if (!f)
        return DF_ENOMEM;
    int rc = 0;
    for (int s = 0; s < DF_SIGNAL_COUNT && !rc; s++) {
        if (cfg->include[s])
            rc = build_block(cfg->include[s], &f->inc[s], err, errlen);
        if (!rc && cfg->exclude[s])
            rc = build_block(cfg->exclude[s], &f->exc[s], err, errlen);
    }
    if (rc) {
        if (rc == DF_ENOMEM && err)
            snprintf(err, errlen, "out of memory");
        df_filter_free(f);
        return rc;
    }
    *out = f;
    return 0;
}

void df_filter_free(struct df_filter *f)
{
    if (!f)
        return;
    for (int s = 0; s < DF_SIGNAL_COUNT; s++) {
        free_block(f->inc[s]);
        free_block(f->exc[s]);
    }
    free(f->slots);
    free(f->keep);
    free(f->tmp);
    free(f);
}

bool df_filter_applies(const struct df_filter *f, enum df_signal signal)
{
    return (unsigned)signal < DF_SIGNAL_COUNT && (f->inc[signal] || f->exc[signal]);
}

int df_filter_severity_parse(const char *s, int32_t *out)
{
    static const char *const names[] = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"};
    char *end;
    long v = strtol(s, &end, 10);
    if (*s && end != s && !*end) {
        if (v < 0 || v > 24)
            return DF_EINVAL;
        *out = (int32_t)v;
        return 0;
    }
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        size_t n = strlen(names[i]);
        if (strncasecmp(s, names[i], n))
            continue;
        const char *rest = s + n;
        if (!*rest) {
            *out = (int32_t)(i * 4 + 1);
            return 0;
        }
        if (rest[0] >= '2' && rest[0] <= '4' && !rest[1]) {
            *out = (int32_t)(i * 4 + 1 + (unsigned)(rest[0] - '1'));
            return 0;
        }
    }
    return DF_EINVAL;
}

/* ---- matching -------------------------------------------------------- */

/* A value's string form: points into the request (strings) or into `buf`. */
struct text {
    const uint8_t *p;
    size_t len;
    bool ok; /* false: no string form (bytes, array, map) */
};

static void shortest_double(double d, char *buf, size_t n)
{
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, n, "%.*g", prec, d);
        if (strtod(buf, NULL) == d)
            return;
    }
}

/* Reads AnyValue `p[0..len)` as text; `buf` holds at least 32 bytes. */
static int any_text(const uint8_t *p, size_t len, char *buf, struct text *t)
{
    struct df_pb_reader r = df_pb_reader_make(p, len);
    struct df_pb_field f;
    int rc;
    /* An empty AnyValue reads as "", like the Collector's empty value. */
    *t = (struct text){.p = (const uint8_t *)"", .len = 0, .ok = true};
    while ((rc = df_pb_next(&r, &f)) == 1) {
        switch (f.num) {
        case 1:
            if (f.wtype != DF_PB_LEN)
                return DF_EPARSE;
            *t = (struct text){.p = f.data, .len = f.len, .ok = true};
            break;
        case 2:
            if (f.wtype != DF_PB_VARINT)
                return DF_EPARSE;
            strcpy(buf, f.u64 ? "true" : "false");
            *t = (struct text){.p = (const uint8_t *)buf, .len = strlen(buf), .ok = true};
            break;
        case 3:
            if (f.wtype != DF_PB_VARINT)
                return DF_EPARSE;
            snprintf(buf, 32, "%lld", (long long)(int64_t)f.u64);
            *t = (struct text){.p = (const uint8_t *)buf, .len = strlen(buf), .ok = true};
            break;
        case 4:
            if (f.wtype != DF_PB_FIXED64)
                return DF_EPARSE;
            shortest_double(df_pb_double(f.u64), buf, 32);
            *t = (struct text){.p = (const uint8_t *)buf, .len = strlen(buf), .ok = true};
            break;
        case 5:
        case 6:
        case 7:
            if (f.wtype != DF_PB_LEN)
                return DF_EPARSE;
            t->ok = false;
            break;
        default:
            break;
        }
    }
    return rc;
}

/* Does text `t` match pattern i of `s`? */
static int str_match(struct df_filter *f, bool regexp, const char *lit, size_t litlen,
                     const regex_t *re, const struct text *t, bool *hit)
{
    *hit = false;
    if (!t->ok)
        return 0;
    if (!regexp) {
        *hit = t->len == litlen && !memcmp(t->p, lit, litlen);
        return 0;
    }
    if (t->len + 1 > f->tmp_cap) {
        size_t cap = f->tmp_cap ? f->tmp_cap : 256;
        while (cap < t->len + 1)
            cap *= 2;
        char *n = realloc(f->tmp, cap);
        if (!n)
            return DF_ENOMEM;
        f->tmp = n;
        f->tmp_cap = cap;
    }
    memcpy(f->tmp, t->p, t->len);
    f->tmp[t->len] = 0;
    *hit = regexec(re, f->tmp, 0, NULL, 0) == 0;
    return 0;
}

static int strs_match(struct df_filter *f, const struct strs *s, bool regexp, const struct text *t,
                      bool *hit)
{
    *hit = false;
    for (size_t i = 0; i < s->n && !*hit; i++) {
        int rc = str_match(f, regexp, s->s[i], s->len[i], regexp ? &s->re[i] : NULL, t, hit);
        if (rc)
            return rc;
    }
    return 0;
}

/* Finds attribute `key` among the KeyValue fields numbered `num` of message
 * p[0..len): *found and the value's AnyValue bytes. First occurrence wins. */
static int find_attr(const uint8_t *p, size_t len, uint32_t num, const char *key, size_t klen,
                     bool *found, const uint8_t **vp, size_t *vlen)
{
    struct df_pb_reader r = df_pb_reader_make(p, len);
    struct df_pb_field f;
    int rc;
    *found = false;
    while ((rc = df_pb_next(&r, &f)) == 1) {
        if (f.num != num)
            continue;
        if (f.wtype != DF_PB_LEN)
            return DF_EPARSE;
        struct df_pb_reader kr = df_pb_reader_make(f.data, f.len);
        struct df_pb_field k;
        const uint8_t *kp = NULL, *v = NULL;
        size_t kl = 0, vl = 0;
        int krc;
        while ((krc = df_pb_next(&kr, &k)) == 1) {
            if (k.num != F_KV_KEY && k.num != F_KV_VALUE)
                continue;
            if (k.wtype != DF_PB_LEN)
                return DF_EPARSE;
            if (k.num == F_KV_KEY) {
                kp = k.data;
                kl = k.len;
            } else {
                v = k.data;
                vl = k.len;
            }
        }
        if (krc < 0)
            return krc;
        if (kl == klen && (!klen || !memcmp(kp, key, klen))) {
            *found = true;
            *vp = v;
            *vlen = vl;
            return 0;
        }
    }
    return rc;
}

/* Every rule of `k` holds for the attributes (fields `num`) of p[0..len). */
static int attrs_match(struct df_filter *f, const struct kvm *k, size_t n, bool regexp,
                       const uint8_t *p, size_t len, uint32_t num, bool *hit)
{
    *hit = true;
    for (size_t i = 0; i < n; i++) {
        bool found;
        const uint8_t *v = NULL;
        size_t vl = 0;
        int rc = find_attr(p, len, num, k[i].key, k[i].klen, &found, &v, &vl);
        if (rc)
            return rc;
        if (!found) {
            *hit = false;
            return 0;
        }
        if (!k[i].val)
            continue;
        char buf[32];
        struct text t;
        if ((rc = any_text(v, vl, buf, &t)) < 0)
            return rc;
        bool ok;
        if ((rc = str_match(f, regexp, k[i].val, k[i].vlen, &k[i].re, &t, &ok)))
            return rc;
        if (!ok) {
            *hit = false;
            return 0;
        }
    }
    return 0;
}

/* Resource attribute rules: every Resource message (field 1 of the
 * resource-X, merged as protobuf does) is searched. */
static int res_match(struct df_filter *f, const struct block *b, const uint8_t *p, size_t len,
                     bool *hit)
{
    *hit = true;
    if (!b || !b->nres)
        return 0;
    for (size_t i = 0; i < b->nres; i++) {
        struct df_pb_reader r = df_pb_reader_make(p, len);
        struct df_pb_field fl;
        int rc;
        bool ok = false;
        while (!ok && (rc = df_pb_next(&r, &fl)) == 1) {
            if (fl.num != F_RES_RESOURCE)
                continue;
            if (fl.wtype != DF_PB_LEN)
                return DF_EPARSE;
            bool found;
            const uint8_t *v = NULL;
            size_t vl = 0;
            rc = find_attr(fl.data, fl.len, F_RESOURCE_ATTRS, b->res[i].key, b->res[i].klen, &found,
                           &v, &vl);
            if (rc)
                return rc;
            if (!found)
                continue;
            if (!b->res[i].val) {
                ok = true;
                break;
            }
            char buf[32];
            struct text t;
            if ((rc = any_text(v, vl, buf, &t)) < 0)
                return rc;
            if ((rc = str_match(f, b->regexp, b->res[i].val, b->res[i].vlen, &b->res[i].re, &t,
                                &ok)))
                return rc;
            break; /* the first occurrence of the key decides */
        }
        if (rc < 0)
            return rc;
        if (!ok) {
            *hit = false;
            return 0;
        }
    }
    return 0;
}

/* What the rules read of one record. `buf` backs `name` when the body is a
 * number or a bool; it is written only then, so a record is set up without
 * clearing it. */
struct rec {
    const uint8_t *p; /* the record's message body */
    size_t len;
    struct text name; /* body, span name or metric name */
    bool has_name;
    struct text sevtext;
    int32_t sevnum;
    uint64_t items;
    char buf[32];
};

/* `body`: whether a rule reads the body (its AnyValue is decoded only then). */
static int read_log(const uint8_t *p, size_t len, bool body, struct rec *r)
{
    struct df_pb_reader rd = df_pb_reader_make(p, len);
    struct df_pb_field f;
    int rc;
    while ((rc = df_pb_next(&rd, &f)) == 1) {
        switch (f.num) {
        case F_LOG_SEVNUM:
            if (f.wtype != DF_PB_VARINT)
                return DF_EPARSE;
            r->sevnum = (int32_t)f.u64;
            break;
        case F_LOG_SEVTEXT:
            if (f.wtype != DF_PB_LEN)
                return DF_EPARSE;
            r->sevtext = (struct text){.p = f.data, .len = f.len, .ok = true};
            break;
        case F_LOG_BODY:
            if (f.wtype != DF_PB_LEN)
                return DF_EPARSE;
            if (body && (rc = any_text(f.data, f.len, r->buf, &r->name)) < 0)
                return rc;
            r->has_name = true;
            break;
        case F_LOG_ATTRS:
            if (f.wtype != DF_PB_LEN)
                return DF_EPARSE;
            break;
        default:
            break;
        }
    }
    return rc;
}

static int read_span(const uint8_t *p, size_t len, struct rec *r)
{
    struct df_pb_reader rd = df_pb_reader_make(p, len);
    struct df_pb_field f;
    int rc;
    while ((rc = df_pb_next(&rd, &f)) == 1) {
        if (f.num == F_SPAN_NAME || f.num == F_SPAN_ATTRS) {
            if (f.wtype != DF_PB_LEN)
                return DF_EPARSE;
            if (f.num == F_SPAN_NAME)
                r->name = (struct text){.p = f.data, .len = f.len, .ok = true};
        }
    }
    return rc;
}

/* A metric's name and data points (field 1 of each data message). */
static int read_metric(const uint8_t *p, size_t len, struct rec *r)
{
    struct df_pb_reader rd = df_pb_reader_make(p, len);
    struct df_pb_field f;
    int rc;
    r->items = 0;
    while ((rc = df_pb_next(&rd, &f)) == 1) {
        switch (f.num) {
        case F_METRIC_NAME:
            if (f.wtype != DF_PB_LEN)
                return DF_EPARSE;
            r->name = (struct text){.p = f.data, .len = f.len, .ok = true};
            break;
        case 5:  /* gauge */
        case 7:  /* sum */
        case 9:  /* histogram */
        case 10: /* exponential histogram */
        case 11: /* summary */ {
            if (f.wtype != DF_PB_LEN)
                return DF_EPARSE;
            struct df_pb_reader dr = df_pb_reader_make(f.data, f.len);
            struct df_pb_field d;
            int drc;
            while ((drc = df_pb_next(&dr, &d)) == 1) {
                if (d.num != 1)
                    continue;
                if (d.wtype != DF_PB_LEN)
                    return DF_EPARSE;
                r->items++;
            }
            if (drc < 0)
                return drc;
            break;
        }
        default:
            break;
        }
    }
    return rc;
}

static int block_match(struct df_filter *f, const struct block *b, enum df_signal sig,
                       const struct rec *r, bool *hit)
{
    int rc;
    *hit = false;
    if (b->names.n) {
        bool ok;
        struct text none = {.ok = false};
        if ((rc = strs_match(f, &b->names, b->regexp,
                             sig == DF_SIGNAL_LOGS && !r->has_name ? &none : &r->name, &ok)))
            return rc;
        if (!ok)
            return 0;
    }
    if (sig == DF_SIGNAL_LOGS) {
        if (b->sevtexts.n) {
            bool ok;
            if ((rc = strs_match(f, &b->sevtexts, b->regexp, &r->sevtext, &ok)))
                return rc;
            if (!ok)
                return 0;
        }
        if (b->sev && (r->sevnum == 0 ? !b->sev_undef : r->sevnum < b->sev_min))
            return 0;
    }
    if (b->nattrs && sig != DF_SIGNAL_METRICS) {
        bool ok;
        uint32_t num = sig == DF_SIGNAL_LOGS ? F_LOG_ATTRS : F_SPAN_ATTRS;
        if ((rc = attrs_match(f, b->attrs, b->nattrs, b->regexp, r->p, r->len, num, &ok)))
            return rc;
        if (!ok)
            return 0;
    }
    *hit = true;
    return 0;
}

/* ---- scan ------------------------------------------------------------ */

/* A LEN field with a one-byte tag (fields 1 and 2) and `body` bytes. */
static size_t len_field_size(size_t body)
{
    return 1 + df_pb_varint_size(body) + body;
}

static int push_slot(struct df_filter *f, size_t *idx)
{
    if (f->nslots == f->slots_cap) {
        size_t cap = f->slots_cap ? f->slots_cap * 2 : 64;
        size_t *n = realloc(f->slots, cap * sizeof *n);
        if (!n)
            return DF_ENOMEM;
        f->slots = n;
        f->slots_cap = cap;
    }
    *idx = f->nslots++;
    return 0;
}

static int push_keep(struct df_filter *f, uint8_t keep)
{
    if (f->nkeep == f->keep_cap) {
        size_t cap = f->keep_cap ? f->keep_cap * 2 : 256;
        uint8_t *n = realloc(f->keep, cap);
        if (!n)
            return DF_ENOMEM;
        f->keep = n;
        f->keep_cap = cap;
    }
    f->keep[f->nkeep++] = keep;
    return 0;
}

struct scan {
    enum df_signal sig;
    const struct block *inc, *exc;
    bool inc_res, exc_res; /* the resource rules of each block hold */
    bool names;            /* a block reads names (log bodies) */
    struct df_filter_result *res;
};

static int scan_record(struct df_filter *f, struct scan *s, const uint8_t *p, size_t len,
                       bool *keep)
{
    struct rec r;
    r.p = p;
    r.len = len;
    r.name = r.sevtext = (struct text){0};
    r.has_name = false;
    r.sevnum = 0;
    r.items = 1;
    int rc = s->sig == DF_SIGNAL_LOGS     ? read_log(p, len, s->names, &r)
             : s->sig == DF_SIGNAL_TRACES ? read_span(p, len, &r)
                                          : read_metric(p, len, &r);
    if (rc < 0)
        return rc;
    bool k = true, hit;
    if (s->inc) {
        if (!s->inc_res)
            k = false;
        else if ((rc = block_match(f, s->inc, s->sig, &r, &hit)))
            return rc;
        else
            k = hit;
    }
    if (k && s->exc && s->exc_res) {
        if ((rc = block_match(f, s->exc, s->sig, &r, &hit)))
            return rc;
        k = !hit;
    }
    s->res->items_in += r.items;
    if (k)
        s->res->items_kept += r.items;
    *keep = k;
    return push_keep(f, k);
}

/* Scans one scope-X body; *out is its output body size or DROPPED. */
static int scan_scope(struct df_filter *f, struct scan *s, const uint8_t *p, size_t len,
                      size_t *out)
{
    struct df_pb_reader r = df_pb_reader_make(p, len);
    struct df_pb_field fl;
    int rc;
    size_t body = 0, kept = 0;
    while ((rc = df_pb_next(&r, &fl)) == 1) {
        size_t whole = (size_t)(fl.next - fl.start);
        if (fl.num != F_SCOPE_ITEMS) {
            body += whole;
            continue;
        }
        if (fl.wtype != DF_PB_LEN)
            return DF_EPARSE;
        bool keep = false;
        if ((rc = scan_record(f, s, fl.data, fl.len, &keep)) < 0)
            return rc;
        if (keep) {
            body += whole;
            kept++;
        }
    }
    if (rc < 0)
        return rc;
    *out = kept ? body : DROPPED;
    return 0;
}

static int scan_resource(struct df_filter *f, struct scan *s, const uint8_t *p, size_t len,
                         size_t *out)
{
    int rc;
    if ((rc = res_match(f, s->inc, p, len, &s->inc_res)) ||
        (rc = res_match(f, s->exc, p, len, &s->exc_res)))
        return rc;
    size_t slot;
    if ((rc = push_slot(f, &slot)))
        return rc;
    struct df_pb_reader r = df_pb_reader_make(p, len);
    struct df_pb_field fl;
    size_t body = 0, scopes = 0;
    while ((rc = df_pb_next(&r, &fl)) == 1) {
        if (fl.num == F_RES_RESOURCE && fl.wtype != DF_PB_LEN)
            return DF_EPARSE;
        if (fl.num != F_RES_SCOPES) {
            body += (size_t)(fl.next - fl.start);
            continue;
        }
        if (fl.wtype != DF_PB_LEN)
            return DF_EPARSE;
        size_t sslot = 0, sbody = 0;
        if ((rc = push_slot(f, &sslot)) || (rc = scan_scope(f, s, fl.data, fl.len, &sbody)) < 0)
            return rc;
        f->slots[sslot] = sbody;
        if (sbody != DROPPED) {
            body += len_field_size(sbody);
            scopes++;
        }
    }
    if (rc < 0)
        return rc;
    *out = f->slots[slot] = scopes ? body : DROPPED;
    return 0;
}

int df_filter_scan(struct df_filter *f, enum df_signal signal, const uint8_t *buf, size_t len,
                   struct df_filter_result *res)
{
    *res = (struct df_filter_result){0};
    if ((unsigned)signal >= DF_SIGNAL_COUNT)
        return DF_EINVAL;
    f->nslots = f->nkeep = 0;
    struct scan s = {.sig = signal, .inc = f->inc[signal], .exc = f->exc[signal], .res = res};
    s.names = (s.inc && s.inc->names.n) || (s.exc && s.exc->names.n);
    struct df_pb_reader r = df_pb_reader_make(buf, len);
    struct df_pb_field fl;
    int rc;
    size_t out = 0;
    while ((rc = df_pb_next(&r, &fl)) == 1) {
        if (fl.num != F_REQ_RESOURCE) {
            out += (size_t)(fl.next - fl.start);
            continue;
        }
        if (fl.wtype != DF_PB_LEN)
            return DF_EPARSE;
        size_t body = 0;
        if ((rc = scan_resource(f, &s, fl.data, fl.len, &body)) < 0)
            return rc;
        if (body != DROPPED)
            out += len_field_size(body);
    }
    if (rc < 0)
        return rc;
    res->out_len = out;
    return 0;
}

/* ---- write ----------------------------------------------------------- */

/* Output cursor. Kept fields that lie back to back in the input are moved
 * as one run (one memmove per run rather than per record). */
struct out {
    uint8_t *p;
    const uint8_t *run; /* pending run of input bytes to emit at p */
    size_t runlen;
    size_t slot, rec;
};

static void flush(struct out *o)
{
    if (o->runlen && o->p != o->run)
        memmove(o->p, o->run, o->runlen); /* o->p <= o->run: in place is safe */
    o->p += o->runlen;
    o->runlen = 0;
}

static void put_len_header(struct out *o, uint32_t num, size_t body)
{
    flush(o);
    *o->p++ = (uint8_t)(num << 3 | DF_PB_LEN);
    uint64_t v = body;
    while (v >= 0x80) {
        *o->p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *o->p++ = (uint8_t)v;
}

static void put_whole(struct out *o, const struct df_pb_field *fl, bool emit)
{
    if (!emit)
        return;
    size_t n = (size_t)(fl->next - fl->start);
    if (o->runlen && o->run + o->runlen == fl->start) {
        o->runlen += n;
        return;
    }
    flush(o);
    o->run = fl->start;
    o->runlen = n;
}

/* The scan validated the framing of everything walked here.
 *
 * In place (out == buf): every field is written at or before the place it
 * was read from, and only after its own header was read, because the kept
 * part shrinks and a rewritten length is never longer than the original
 * (minimal varints; the tags written are one byte). Reads run ahead of
 * writes (a pending run is read only when it is moved, before anything is
 * written past it), so compacting the request inside its own buffer is
 * exact. */
static void write_scope(struct df_filter *f, struct out *o, const uint8_t *p, size_t len, bool emit)
{
    struct df_pb_reader r = df_pb_reader_make(p, len);
    struct df_pb_field fl;
    while (df_pb_next(&r, &fl) == 1) {
        if (fl.num == F_SCOPE_ITEMS) {
            bool keep = f->keep[o->rec++]; /* consumed even when not emitting */
            put_whole(o, &fl, emit && keep);
        } else
            put_whole(o, &fl, emit);
    }
}

static void write_resource(struct df_filter *f, struct out *o, const uint8_t *p, size_t len,
                           bool emit)
{
    struct df_pb_reader r = df_pb_reader_make(p, len);
    struct df_pb_field fl;
    while (df_pb_next(&r, &fl) == 1) {
        if (fl.num != F_RES_SCOPES) {
            put_whole(o, &fl, emit);
            continue;
        }
        size_t body = f->slots[o->slot++];
        bool e = emit && body != DROPPED;
        if (e)
            put_len_header(o, F_RES_SCOPES, body);
        write_scope(f, o, fl.data, fl.len, e);
    }
}

size_t df_filter_write(struct df_filter *f, const uint8_t *buf, size_t len, uint8_t *out)
{
    struct out o = {.p = out};
    struct df_pb_reader r = df_pb_reader_make(buf, len);
    struct df_pb_field fl;
    while (df_pb_next(&r, &fl) == 1) {
        if (fl.num != F_REQ_RESOURCE) {
            put_whole(&o, &fl, true);
            continue;
        }
        size_t body = f->slots[o.slot++];
        bool e = body != DROPPED;
        if (e)
            put_len_header(&o, F_REQ_RESOURCE, body);
        write_resource(f, &o, fl.data, fl.len, e);
    }
    flush(&o);
    return (size_t)(o.p - out);
}
