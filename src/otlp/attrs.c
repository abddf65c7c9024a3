/* Streaming attribute rewrites (otlp/attrs.h). Field numbers are those of the
 * OTLP v1 protos (see otlp/dump.c).
 *
 * The walk keeps one frame per open message, from the request down to the
 * attribute owner being read. Frames open lazily: the first change below a
 * message writes, in each ancestor not yet open, the bytes before the child's
 * field and its tag with room for the length (open_frame); from then on every
 * ancestor copies its remaining untouched fields in spans and writes its
 * length when it closes (end_frame). A message with no change below it is
 * never opened, so its parent copies it whole. */
#include "otlp/attrs.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "df/error.h"

const char *const df_attr_op_names[] = {
#define DF_ATTR_OP_NAME(name, text) text,
    DF_ATTR_OPS(DF_ATTR_OP_NAME)
#undef DF_ATTR_OP_NAME
        NULL,
};

#define HASH_VALUE_LEN 66 /* AnyValue{string_value: 64 hex digits} */

/* One entry of the attribute list being rewritten. */
struct df_attrs_ent {
    const uint8_t *key;
    size_t klen;
    const uint8_t *src; /* original KeyValue body: its non-key fields are copied */
    size_t slen;
    const uint8_t *val; /* the AnyValue body (NULL: none); written when src is NULL */
    size_t vlen;
    const uint8_t *orig; /* the whole original tagged field while untouched */
    size_t olen;
    bool deleted;
    uint8_t hbuf[HASH_VALUE_LEN];
};

void df_attrs_scratch_free(struct df_attrs_scratch *s)
{
    free(s->ents);
    s->ents = NULL;
    s->cap = 0;
}

/* ---- literal values ----------------------------------------------------- */

size_t df_attr_value_int(uint8_t *out, int64_t v)
{
    out[0] = 3 << 3 | DF_PB_VARINT;
    return 1 + df_pb_varint_encode(out + 1, (uint64_t)v);
}

size_t df_attr_value_double(uint8_t *out, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    out[0] = 4 << 3 | DF_PB_FIXED64;
    for (int i = 0; i < 8; i++)
        out[1 + i] = (uint8_t)(bits >> (8 * i));
    return 9;
}

size_t df_attr_value_bool(uint8_t *out, bool v)
{
    out[0] = 2 << 3 | DF_PB_VARINT;
    out[1] = v;
    return 2;
}

size_t df_attr_value_string(uint8_t *out, const char *s, size_t len)
{
    out[0] = 1 << 3 | DF_PB_LEN;
    size_t n = 1 + df_pb_varint_encode(out + 1, len);
    memcpy(out + n, s, len);
    return n + len;
}

/* ---- the walk ----------------------------------------------------------- */

enum kind { K_REQUEST, K_RESOURCE_X, K_SCOPE_X, K_METRIC, K_POINTS, K_OWNER };

struct frame {
    const uint8_t *body, *end;
    const uint8_t *copied; /* open: the next body byte not yet written */
    const uint8_t *fstart, *fnext;
    uint32_t num;
    bool open;
    size_t mark;         /* open: its df_pb_begin_sized mark */
    size_t pos;          /* open: the writer's length before this field's tag */
    uint64_t kept, gone; /* children kept / removed by drops */
};

#define MAX_FRAMES 8

struct ctx {
    const struct df_attrs *rules;
    enum df_signal signal;
    struct df_attrs_scratch *s;
    struct df_pb_writer *w;
    size_t in_len;
    uint64_t modified, dropped;
    struct frame fr[MAX_FRAMES];
};

struct df_attrs_list {
    struct df_attrs_scratch *s;
    size_t n;
    bool changed;
};

/* A rewritten message is opened with room for a length varint as wide as
 * its original length's (df_pb_begin_sized), and close_frame writes the
 * length there: adding or removing a few attributes seldom changes that
 * width, so a message's body is written once, not moved again at each
 * enclosing level. */
static void open_frame(struct ctx *c, int d)
{
    struct frame *f = &c->fr[d];
    if (f->open)
        return;
    f->open = true;
    f->copied = f->body;
    if (d == 0) { /* the first write: room for what the last rewrite grew to */
        uint32_t ratio = c->s->ratio ? c->s->ratio : 1024 + 128;
        df_pb_writer_reserve(c->w, (size_t)((uint64_t)c->in_len * ratio / 1024) + 256);
        return;
    }
    open_frame(c, d - 1);
    struct frame *p = &c->fr[d - 1];
    df_pb_put_raw(c->w, p->copied, (size_t)(f->fstart - p->copied));
    f->pos = c->w->len;
    f->mark = df_pb_begin_sized(c->w, f->num, (size_t)(f->end - f->body));
    p->copied = f->fnext;
}

static void close_frame(struct ctx *c, int d)
{
    struct frame *f = &c->fr[d];
    if (!f->open)
        return;
    df_pb_put_raw(c->w, f->copied, (size_t)(f->end - f->copied));
    f->copied = f->end;
    if (d > 0)
        df_pb_end(c->w, f->mark);
}

static bool key_is(const struct df_attrs_ent *e, const char *k, size_t klen)
{
    return !e->deleted && e->klen == klen && !memcmp(e->key, k, klen);
}

static long find(const struct df_attrs_ent *ents, size_t n, const char *k, size_t klen)
{
    for (size_t i = 0; i < n; i++) {
        if (key_is(&ents[i], k, klen))
            return (long)i;
    }
    return -1;
}

/* Gives `e` the value (val, vlen); `from`, when set, is the entry the value
 * comes from (its hash buffer is copied, as it may change later). Returns
 * whether the value differs. */
static bool set_value(struct df_attrs_ent *e, const uint8_t *val, size_t vlen,
                      const struct df_attrs_ent *from)
{
    if (e->val && val && e->vlen == vlen && !memcmp(e->val, val, vlen))
        return false;
    if (!e->val && !val)
        return false;
    if (from && val == from->hbuf) {
        memcpy(e->hbuf, from->hbuf, HASH_VALUE_LEN);
        val = e->hbuf;
    }
    e->val = val;
    e->vlen = vlen;
    e->src = NULL;
    e->orig = NULL;
    return true;
}

/* The string form of an AnyValue body into buf (scalars) or as a pointer
 * into the body (strings, bytes, arrays, maps). */
static int string_form(const uint8_t *val, size_t vlen, char *buf, size_t cap, const uint8_t **out,
                       size_t *outlen)
{
    struct df_pb_reader r = df_pb_reader_make(val, vlen);
    struct df_pb_field f, v = {0};
    int rc;
    while ((rc = df_pb_next(&r, &f)) == 1) {
        if (f.num >= 1 && f.num <= 7)
            v = f;
    }
    if (rc < 0)
        return rc;
    *out = (const uint8_t *)buf;
    *outlen = 0;
    int wt = v.num == 2 || v.num == 3 ? DF_PB_VARINT : v.num == 4 ? DF_PB_FIXED64 : DF_PB_LEN;
    if (v.num && v.wtype != wt)
        return DF_EPARSE;
    switch (v.num) {
    case 0:
        break;
    case 1:
    case 7:
        *out = v.data;
        *outlen = v.len;
        break;
    case 2:
        *outlen = (size_t)snprintf(buf, cap, "%s", v.u64 ? "true" : "false");
        break;
    case 3:
        *outlen = (size_t)snprintf(buf, cap, "%" PRId64, (int64_t)v.u64);
        break;
    case 4: {
        double d = df_pb_double(v.u64);
        for (int prec = 1; prec <= 17; prec++) {
            *outlen = (size_t)snprintf(buf, cap, "%.*g", prec, d);
            if (isnan(d) || strtod(buf, NULL) == d)
                break;
        }
        break;
    }
    default: /* arrays and maps: their encoding */
        *out = val;
        *outlen = vlen;
        break;
    }
    return 0;
}

static int hash_value(struct df_attrs_ent *e)
{
    char buf[40];
    const uint8_t *p;
    size_t n;
    int rc = string_form(e->val, e->val ? e->vlen : 0, buf, sizeof buf, &p, &n);
    if (rc < 0)
        return rc;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    if (!EVP_Digest(n ? p : (const uint8_t *)"", n, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32)
        return DF_ENOMEM;
    uint8_t h[HASH_VALUE_LEN];
    static const char hex[] = "0123456789abcdef";
    h[0] = 1 << 3 | DF_PB_LEN;
    h[1] = 64;
    for (unsigned i = 0; i < 32; i++) {
        h[2 + 2 * i] = (uint8_t)hex[md[i] >> 4];
        h[3 + 2 * i] = (uint8_t)hex[md[i] & 15];
    }
    if (e->val && e->vlen == HASH_VALUE_LEN && !memcmp(e->val, h, HASH_VALUE_LEN))
        return 0;
    memcpy(e->hbuf, h, HASH_VALUE_LEN);
    e->val = e->hbuf;
    e->vlen = HASH_VALUE_LEN;
    e->src = NULL;
    e->orig = NULL;
    return 1;
}

/* Appends an entry (room was reserved). */
static struct df_attrs_ent *append(struct df_attrs_ent *ents, size_t *n, const char *k, size_t klen)
{
    struct df_attrs_ent *e = &ents[(*n)++];
    memset(e, 0, offsetof(struct df_attrs_ent, hbuf));
    e->key = (const uint8_t *)k;
    e->klen = klen;
    return e;
}

/* Applies every action to ents[0..*n). Returns 1 when the list changed, 0
 * when not, or a negative error. */
static int apply(const struct df_attrs *rules, struct df_attrs_ent *ents, size_t *n)
{
    bool changed = false;
    for (size_t a = 0; a < rules->count; a++) {
        const struct df_attr_action *act = &rules->actions[a];
        long at = find(ents, *n, act->key, act->key_len);
        switch (act->op) {
        case DF_ATTR_INSERT:
        case DF_ATTR_UPDATE:
        case DF_ATTR_UPSERT: {
            if ((act->op == DF_ATTR_INSERT && at >= 0) || (act->op == DF_ATTR_UPDATE && at < 0))
                break;
            const uint8_t *val = act->value;
            size_t vlen = act->value_len;
            const struct df_attrs_ent *from = NULL;
            if (act->to) {
                long fi = find(ents, *n, act->to, act->to_len);
                if (fi < 0)
                    break;
                from = &ents[fi];
                val = from->val;
                vlen = from->vlen;
            }
            if (at < 0) {
                struct df_attrs_ent *e = append(ents, n, act->key, act->key_len);
                set_value(e, val, vlen, from);
                changed = true;
                break;
            }
            for (size_t i = (size_t)at; i < *n; i++) {
                if (key_is(&ents[i], act->key, act->key_len) && &ents[i] != from)
                    changed |= set_value(&ents[i], val, vlen, from);
            }
            break;
        }
        case DF_ATTR_DELETE:
            for (size_t i = at < 0 ? *n : (size_t)at; i < *n; i++) {
                if (key_is(&ents[i], act->key, act->key_len)) {
                    ents[i].deleted = true;
                    changed = true;
                }
            }
            break;
        case DF_ATTR_HASH:
            for (size_t i = at < 0 ? *n : (size_t)at; i < *n; i++) {
                if (key_is(&ents[i], act->key, act->key_len)) {
                    int rc = hash_value(&ents[i]);
                    if (rc < 0)
                        return rc;
                    changed |= rc > 0;
                }
            }
            break;
        case DF_ATTR_RENAME: {
            if (at < 0 || (act->key_len == act->to_len && !memcmp(act->key, act->to, act->to_len)))
                break;
            struct df_attrs_ent *old = &ents[at];
            for (size_t i = 0; i < *n; i++) {
                if (key_is(&ents[i], act->to, act->to_len) ||
                    key_is(&ents[i], act->key, act->key_len))
                    ents[i].deleted = true;
            }
            struct df_attrs_ent *e = append(ents, n, act->to, act->to_len);
            e->src = old->src;
            e->slen = old->slen;
            e->val = old->val;
            e->vlen = old->vlen;
            if (old->val == old->hbuf) {
                memcpy(e->hbuf, old->hbuf, HASH_VALUE_LEN);
                e->val = e->hbuf;
            }
            changed = true;
            break;
        }
        }
    }
    return changed;
}

static int reserve(struct df_attrs_scratch *s, size_t need);

bool df_attrs_list_find(const struct df_attrs_list *l, const char *key, size_t klen,
                        const uint8_t **val, size_t *vlen)
{
    long at = find(l->s->ents, l->n, key, klen);
    if (at < 0)
        return false;
    *val = l->s->ents[at].val;
    *vlen = l->s->ents[at].vlen;
    return true;
}

int df_attrs_list_upsert(struct df_attrs_list *l, const char *key, size_t klen, const uint8_t *val,
                         size_t vlen)
{
    long at = find(l->s->ents, l->n, key, klen);
    if (at < 0) {
        if (reserve(l->s, l->n + 1) < 0)
            return DF_ENOMEM;
        set_value(append(l->s->ents, &l->n, key, klen), val, vlen, NULL);
        l->changed = true;
        return 0;
    }
    l->changed |= set_value(&l->s->ents[at], val, vlen, NULL);
    for (size_t i = (size_t)at + 1; i < l->n; i++) {
        if (key_is(&l->s->ents[i], key, klen)) {
            l->s->ents[i].deleted = true;
            l->changed = true;
        }
    }
    return 0;
}

static int reserve(struct df_attrs_scratch *s, size_t need)
{
    if (need <= s->cap)
        return 0;
    size_t cap = s->cap ? s->cap : 16;
    while (cap < need)
        cap *= 2;
    struct df_attrs_ent *p = realloc(s->ents, cap * sizeof *p);
    if (!p)
        return DF_ENOMEM;
    s->ents = p;
    s->cap = cap;
    return 0;
}

/* Reads KeyValue `f` into a new entry. */
static int read_kv(const struct df_pb_field *f, struct df_attrs_ent *e)
{
    if (f->wtype != DF_PB_LEN)
        return DF_EPARSE;
    memset(e, 0, offsetof(struct df_attrs_ent, hbuf));
    e->src = f->data;
    e->slen = f->len;
    e->orig = f->start;
    e->olen = (size_t)(f->next - f->start);
    e->key = (const uint8_t *)"";
    struct df_pb_reader r = df_pb_reader_make(f->data, f->len);
    struct df_pb_field g;
    int rc;
    while ((rc = df_pb_next(&r, &g)) == 1) {
        if (g.num != 1 && g.num != 2)
            continue;
        if (g.wtype != DF_PB_LEN)
            return DF_EPARSE;
        if (g.num == 1) {
            e->key = g.data;
            e->klen = g.len;
        } else {
            e->val = g.data;
            e->vlen = g.len;
        }
    }
    return rc;
}

static void write_ent(struct df_pb_writer *w, uint32_t field, const struct df_attrs_ent *e)
{
    if (e->orig) {
        df_pb_put_raw(w, e->orig, e->olen);
        return;
    }
    /* A set value (what hooks add, record by record): the KeyValue is
     * assembled here and written with one call when it is short. */
    uint8_t one[256];
    if (!e->src && e->val && e->klen + e->vlen <= sizeof one - 4 * DF_PB_VARINT_MAX) {
        size_t body =
            2 + df_pb_varint_size(e->klen) + e->klen + df_pb_varint_size(e->vlen) + e->vlen;
        size_t n = df_pb_varint_encode(one, (uint64_t)field << 3 | DF_PB_LEN);
        n += df_pb_varint_encode(one + n, body);
        one[n++] = 1 << 3 | DF_PB_LEN;
        n += df_pb_varint_encode(one + n, e->klen);
        memcpy(one + n, e->key, e->klen);
        n += e->klen;
        one[n++] = 2 << 3 | DF_PB_LEN;
        n += df_pb_varint_encode(one + n, e->vlen);
        memcpy(one + n, e->val, e->vlen);
        df_pb_put_raw(w, one, n + e->vlen);
        return;
    }
    size_t kv = df_pb_begin(w, field);
    df_pb_put_bytes(w, 1, e->key, e->klen);
    if (e->src) {
        struct df_pb_reader r = df_pb_reader_make(e->src, e->slen);
        struct df_pb_field g;
        while (df_pb_next(&r, &g) == 1) {
            if (g.num != 1)
                df_pb_put_raw(w, g.start, (size_t)(g.next - g.start));
        }
    } else if (e->val) {
        df_pb_put_bytes(w, 2, e->val, e->vlen);
    }
    df_pb_end(w, kv);
}

/* The message of frame d owns attribute list `field` (of kind `which`).
 * Returns 0, DF_ATTRS_DROP when the hook drops a resource or scope (the
 * caller removes its container) or a negative error. A dropped record is
 * removed here. */
static int owner(struct ctx *c, int d, uint32_t field, unsigned which)
{
    struct frame *fr = &c->fr[d];
    struct df_attrs_scratch *s = c->s;
    size_t n = 0;
    struct df_pb_reader r = df_pb_reader_make(fr->body, (size_t)(fr->end - fr->body));
    struct df_pb_field f;
    int rc;
    while ((rc = df_pb_next(&r, &f)) == 1) {
        if (f.num != field)
            continue;
        if (n == s->cap && reserve(s, n + 1) < 0)
            return DF_ENOMEM;
        rc = read_kv(&f, &s->ents[n]);
        if (rc < 0)
            return rc;
        n++;
    }
    if (rc < 0)
        return rc;
    if (reserve(s, n + c->rules->count) < 0)
        return DF_ENOMEM;
    rc = apply(c->rules, s->ents, &n);
    if (rc < 0)
        return rc;
    if (c->rules->hook) {
        struct df_attrs_list l = {.s = s, .n = n, .changed = rc > 0};
        int hr = c->rules->hook->fn(c->rules->hook->arg, which, &l);
        if (hr < 0)
            return hr;
        if (hr == DF_ATTRS_DROP) {
            c->dropped++;
            if (which != DF_ATTR_SIGNAL)
                return DF_ATTRS_DROP;
            struct frame *p = &c->fr[d - 1];
            open_frame(c, d - 1);
            df_pb_put_raw(c->w, p->copied, (size_t)(fr->fstart - p->copied));
            p->copied = fr->fnext;
            p->gone++;
            return 0;
        }
        n = l.n;
        rc = l.changed;
    }
    c->fr[d - 1].kept++;
    if (!rc)
        return 0;
    c->modified++;
    open_frame(c, d);
    r = df_pb_reader_make(fr->body, (size_t)(fr->end - fr->body));
    while (df_pb_next(&r, &f) == 1) {
        if (f.num != field)
            continue;
        df_pb_put_raw(c->w, fr->copied, (size_t)(f.start - fr->copied));
        fr->copied = f.next;
    }
    df_pb_put_raw(c->w, fr->copied, (size_t)(fr->end - fr->copied));
    fr->copied = fr->end;
    /* Untouched entries that were adjacent in the input go in one copy. */
    for (size_t i = 0; i < n; i++) {
        const struct df_attrs_ent *e = &s->ents[i];
        if (e->deleted)
            continue;
        if (!e->orig) {
            write_ent(c->w, field, e);
            continue;
        }
        const uint8_t *run = e->orig, *end = e->orig + e->olen;
        while (i + 1 < n && !s->ents[i + 1].deleted && s->ents[i + 1].orig == end) {
            i++;
            end += s->ents[i].olen;
        }
        df_pb_put_raw(c->w, run, (size_t)(end - run));
    }
    return 0;
}

/* What field `num` of a `k` message is: its kind (and for owners the
 * attribute field), or -1 for a field the walk does not enter. */
static int child(const struct ctx *c, enum kind k, uint32_t num, uint32_t data, uint32_t *attr,
                 unsigned *which)
{
    *which = DF_ATTR_SIGNAL;
    unsigned to = c->rules->apply_to;
    switch (k) {
    case K_REQUEST:
        return num == 1 ? K_RESOURCE_X : -1;
    case K_RESOURCE_X:
        if (num == 1 && (to & DF_ATTR_RESOURCE)) {
            *attr = 1; /* Resource.attributes */
            *which = DF_ATTR_RESOURCE;
            return K_OWNER;
        }
        return num == 2 && (to & (DF_ATTR_SCOPE | DF_ATTR_SIGNAL)) ? K_SCOPE_X : -1;
    case K_SCOPE_X:
        if (num == 1 && (to & DF_ATTR_SCOPE)) {
            *attr = 3; /* InstrumentationScope.attributes */
            *which = DF_ATTR_SCOPE;
            return K_OWNER;
        }
        if (num != 2 || !(to & DF_ATTR_SIGNAL))
            return -1;
        if (c->signal == DF_SIGNAL_METRICS)
            return K_METRIC;
        *attr = c->signal == DF_SIGNAL_LOGS ? 6 : 9; /* LogRecord / Span .attributes */
        return K_OWNER;
    case K_METRIC:
        /* gauge, sum, histogram, exponential_histogram, summary */
        return num == 5 || num == 7 || num == 9 || num == 10 || num == 11 ? K_POINTS : -1;
    case K_POINTS:
        if (num != 1)
            return -1;
        *attr = data == 9 ? 9 : data == 10 ? 1 : 7;
        return K_OWNER;
    case K_OWNER:
        break;
    }
    return -1;
}

/* A ResourceX of frame d without a Resource: the hook sees an empty
 * resource list; what it adds goes into a Resource appended to the
 * ResourceX. Returns 0, DF_ATTRS_DROP or a negative error. */
static int no_resource(struct ctx *c, int d)
{
    struct frame *fr = &c->fr[d];
    struct df_attrs_list l = {.s = c->s};
    int rc = c->rules->hook->fn(c->rules->hook->arg, DF_ATTR_RESOURCE, &l);
    if (rc < 0)
        return rc;
    if (rc == DF_ATTRS_DROP) {
        c->dropped++;
        return DF_ATTRS_DROP;
    }
    if (!l.changed)
        return 0;
    c->modified++;
    open_frame(c, d);
    df_pb_put_raw(c->w, fr->copied, (size_t)(fr->end - fr->copied));
    fr->copied = fr->end;
    size_t m = df_pb_begin(c->w, 1); /* ResourceX.resource */
    for (size_t i = 0; i < l.n; i++) {
        if (!c->s->ents[i].deleted)
            write_ent(c->w, 1, &c->s->ents[i]); /* Resource.attributes */
    }
    df_pb_end(c->w, m);
    return 0;
}

static int walk(struct ctx *c, int d, enum kind k)
{
    struct frame *fr = &c->fr[d];
    struct df_pb_reader r = df_pb_reader_make(fr->body, (size_t)(fr->end - fr->body));
    struct df_pb_field f;
    int rc;
    bool resource = false;
    while ((rc = df_pb_next(&r, &f)) == 1) {
        uint32_t attr = 0;
        unsigned which;
        int ck = child(c, k, f.num, fr->num, &attr, &which);
        if (ck < 0)
            continue;
        if (f.wtype != DF_PB_LEN)
            return DF_EPARSE;
        c->fr[d + 1] = (struct frame){.body = f.data,
                                      .end = f.data + f.len,
                                      .fstart = f.start,
                                      .fnext = f.next,
                                      .num = f.num};
        struct frame *ch = &c->fr[d + 1];
        resource |= ck == K_OWNER && which == DF_ATTR_RESOURCE;
        if (ck == K_RESOURCE_X && c->rules->hook) {
            rc = c->rules->hook->fn(c->rules->hook->arg, 0, NULL);
            if (rc < 0)
                return rc;
        }
        rc = ck == K_OWNER ? owner(c, d + 1, attr, which) : walk(c, d + 1, (enum kind)ck);
        if (rc < 0)
            return rc;
        if (rc == DF_ATTRS_DROP && ck == K_OWNER)
            return DF_ATTRS_DROP; /* a resource or scope: its container goes */
        if (rc == DF_ATTRS_DROP || (ck != K_OWNER && ch->gone && !ch->kept)) {
            /* Remove the child: unwrite it when it was opened, else skip it. */
            if (ch->open) {
                c->w->len = ch->pos;
            } else {
                open_frame(c, d);
                df_pb_put_raw(c->w, fr->copied, (size_t)(ch->fstart - fr->copied));
            }
            fr->copied = ch->fnext;
            fr->gone++;
            continue;
        }
        close_frame(c, d + 1);
        if (ck != K_OWNER)
            fr->kept++;
    }
    if (rc == 0 && k == K_RESOURCE_X && !resource && c->rules->hook &&
        (c->rules->apply_to & DF_ATTR_RESOURCE))
        return no_resource(c, d);
    return rc;
}

int df_attrs_rewrite(const struct df_attrs *rules, enum df_signal signal, const uint8_t *in,
                     size_t len, struct df_attrs_scratch *scratch, struct df_pb_writer *out,
                     struct df_attrs_result *res)
{
    *res = (struct df_attrs_result){0};
    if ((unsigned)signal >= DF_SIGNAL_COUNT)
        return DF_EINVAL;
    if ((!rules->count && !rules->hook) || !rules->apply_to)
        return 0;
    struct ctx c = {.rules = rules, .signal = signal, .s = scratch, .w = out, .in_len = len};
    c.fr[0] = (struct frame){.body = in, .end = in ? in + len : in};
    int rc = walk(&c, 0, K_REQUEST);
    if (rc < 0)
        return rc;
    close_frame(&c, 0);
    if (out->err)
        return DF_ENOMEM;
    res->changed = c.fr[0].open;
    if (res->changed && len) /* between 1/4 and 4 times the input */
        scratch->ratio = (uint32_t)(out->len >= 4 * len   ? 4096
                                    : out->len <= len / 4 ? 256
                                                          : (uint64_t)out->len * 1024 / len);
    res->modified = c.modified;
    res->dropped = c.dropped;
    return 0;
}
