/* Unit tests for the streaming attribute rewrite (otlp/attrs.h): every action
 * on hand-built requests of the three signals, apply_to resource and scope,
 * zero-copy when nothing changes, untouched bytes kept, per-list hooks
 * (upsert, drops emptying containers), malformed input, and
 * generated payloads. Results are checked by walking the output. */
#define _GNU_SOURCE /* memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "df/error.h"
#include "otlp/attrs.h"
#include "otlp/gen.h"
#include "otlp/otlp.h"
#include "otlp/wire.h"

/* ---- building requests --------------------------------------------------- */

static void kv_str(struct df_pb_writer *w, uint32_t field, const char *k, const char *v)
{
    size_t kv = df_pb_begin(w, field);
    df_pb_put_string(w, 1, k);
    size_t av = df_pb_begin(w, 2);
    df_pb_put_string(w, 1, v);
    df_pb_end(w, av);
    df_pb_end(w, kv);
}

static void kv_int(struct df_pb_writer *w, uint32_t field, const char *k, int64_t v)
{
    size_t kv = df_pb_begin(w, field);
    df_pb_put_string(w, 1, k);
    size_t av = df_pb_begin(w, 2);
    df_pb_put_varint(w, 3, (uint64_t)v);
    df_pb_end(w, av);
    df_pb_end(w, kv);
}

/* Resource {service.name=svc}, scope {name, scope.attr=x}. */
static void resource_and_scope_open(struct df_pb_writer *w, size_t *rl, size_t *sl)
{
    *rl = df_pb_begin(w, 1);
    size_t res = df_pb_begin(w, 1);
    kv_str(w, 1, "service.name", "svc");
    df_pb_end(w, res);
    *sl = df_pb_begin(w, 2);
    size_t sc = df_pb_begin(w, 1);
    df_pb_put_string(w, 1, "scope");
    kv_str(w, 3, "scope.attr", "x");
    df_pb_end(w, sc);
}

static void record_attrs(struct df_pb_writer *w, uint32_t field, int i)
{
    kv_str(w, field, "method", i ? "POST" : "GET");
    kv_int(w, field, "code", 200 + i);
    kv_str(w, field, "user", "alice");
}

/* Two log records with attributes {method, code, user}. */
static uint8_t *logs_req(size_t *len)
{
    struct df_pb_writer w;
    df_pb_writer_init(&w);
    size_t rl, sl;
    resource_and_scope_open(&w, &rl, &sl);
    for (int i = 0; i < 2; i++) {
        size_t rec = df_pb_begin(&w, 2);
        df_pb_put_fixed64(&w, 1, 1000 + (uint64_t)i);
        record_attrs(&w, 6, i);
        df_pb_put_string(&w, 3, "INFO");
        df_pb_end(&w, rec);
    }
    df_pb_end(&w, sl);
    df_pb_put_string(&w, 3, "https://schema"); /* ResourceLogs.schema_url */
    df_pb_end(&w, rl);
    return df_pb_writer_take(&w, len);
}

static uint8_t *traces_req(size_t *len)
{
    struct df_pb_writer w;
    df_pb_writer_init(&w);
    size_t rl, sl;
    resource_and_scope_open(&w, &rl, &sl);
    for (int i = 0; i < 2; i++) {
        size_t sp = df_pb_begin(&w, 2);
        uint8_t id[16] = {1, 2, 3, (uint8_t)i};
        df_pb_put_bytes(&w, 1, id, 16);
        df_pb_put_bytes(&w, 2, id, 8);
        df_pb_put_string(&w, 5, "span");
        record_attrs(&w, 9, i);
        df_pb_end(&w, sp);
    }
    df_pb_end(&w, sl);
    df_pb_end(&w, rl);
    return df_pb_writer_take(&w, len);
}

/* One metric of each kind with one data point each: gauge, sum, histogram,
 * exponential histogram, summary. */
static uint8_t *metrics_req(size_t *len)
{
    static const uint32_t kinds[] = {5, 7, 9, 10, 11};
    struct df_pb_writer w;
    df_pb_writer_init(&w);
    size_t rl, sl;
    resource_and_scope_open(&w, &rl, &sl);
    for (int i = 0; i < 5; i++) {
        uint32_t k = kinds[i];
        size_t m = df_pb_begin(&w, 2);
        df_pb_put_string(&w, 1, "m");
        size_t data = df_pb_begin(&w, k);
        size_t dp = df_pb_begin(&w, 1);
        df_pb_put_fixed64(&w, 3, 5000);
        record_attrs(&w, k == 9 ? 9 : k == 10 ? 1 : 7, i % 2);
        if (k == 5 || k == 7)
            df_pb_put_double(&w, 4, 1.5);
        else
            df_pb_put_fixed64(&w, 4, 3); /* count */
        df_pb_end(&w, dp);
        df_pb_end(&w, data);
        df_pb_end(&w, m);
    }
    df_pb_end(&w, sl);
    df_pb_end(&w, rl);
    return df_pb_writer_take(&w, len);
}

/* ---- reading results ------------------------------------------------------ */

struct text {
    char s[65536];
    size_t n;
};

static void add(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct text *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(t->s + t->n, sizeof t->s - t->n, fmt, ap);
    va_end(ap);
    assert_true(n >= 0 && (size_t)n < sizeof t->s - t->n);
    t->n += (size_t)n;
}

/* Attribute list `field` of a message as "k=v,k=v;" (strings as they are,
 * ints with #, doubles with ~, bools as ?true). */
static void list(struct text *t, const uint8_t *p, size_t len, uint32_t field)
{
    struct df_pb_reader r = df_pb_reader_make(p, len);
    struct df_pb_field f, g;
    while (df_pb_next(&r, &f) == 1) {
        if (f.num != field)
            continue;
        struct df_pb_reader kr = df_pb_reader_make(f.data, f.len);
        while (df_pb_next(&kr, &g) == 1) {
            if (g.num == 1) {
                add(t, "%.*s=", (int)g.len, (const char *)g.data);
            } else if (g.num == 2) {
                struct df_pb_reader vr = df_pb_reader_make(g.data, g.len);
                struct df_pb_field v;
                while (df_pb_next(&vr, &v) == 1) {
                    if (v.num == 1)
                        add(t, "%.*s", (int)v.len, (const char *)v.data);
                    else if (v.num == 2)
                        add(t, "?%s", v.u64 ? "true" : "false");
                    else if (v.num == 3)
                        add(t, "#%lld", (long long)v.u64);
                    else if (v.num == 4)
                        add(t, "~%g", df_pb_double(v.u64));
                }
            }
        }
        add(t, ",");
    }
    add(t, ";");
}

/* Each field `num` of a message, in order. */
#define EACH(p, len, want, f)                                                                      \
    for (struct df_pb_reader r_##f = df_pb_reader_make(p, len); df_pb_next(&r_##f, &f) == 1;)      \
        if (f.num == (want))

/* "R:<resource attrs> S:<scope attrs> <record attrs>..." per resource/scope. */
static void describe(struct text *t, enum df_signal sig, const uint8_t *buf, size_t len)
{
    struct df_pb_field rl, x, sl, rec, d, dp;
    t->n = 0;
    t->s[0] = 0;
    EACH(buf, len, 1, rl)
    {
        EACH(rl.data, rl.len, 1, x)
        {
            add(t, "R:");
            list(t, x.data, x.len, 1);
        }
        EACH(rl.data, rl.len, 2, sl)
        {
            EACH(sl.data, sl.len, 1, x)
            {
                add(t, " S:");
                list(t, x.data, x.len, 3);
            }
            EACH(sl.data, sl.len, 2, rec)
            {
                add(t, " ");
                if (sig == DF_SIGNAL_LOGS)
                    list(t, rec.data, rec.len, 6);
                else if (sig == DF_SIGNAL_TRACES)
                    list(t, rec.data, rec.len, 9);
                else {
                    struct df_pb_reader mr = df_pb_reader_make(rec.data, rec.len);
                    while (df_pb_next(&mr, &d) == 1) {
                        if (d.num != 5 && d.num != 7 && d.num != 9 && d.num != 10 && d.num != 11)
                            continue;
                        EACH(d.data, d.len, 1, dp)
                        list(t, dp.data, dp.len, d.num == 9 ? 9 : d.num == 10 ? 1 : 7);
                    }
                }
            }
        }
    }
}

/* ---- running rules ------------------------------------------------------- */

#define ACT(op_, k)                                                                                \
    {                                                                                              \
        .op = (op_), .key = (k), .key_len = sizeof(k) - 1                                          \
    }
/* v: an encoded AnyValue string, "\x0a<len>" "text" */
#define STRV(op_, k, v)                                                                            \
    {                                                                                              \
        .op = (op_), .key = (k), .key_len = sizeof(k) - 1, .value = (const uint8_t *)(v),          \
        .value_len = sizeof(v) - 1                                                                 \
    }
#define TO(op_, k, t)                                                                              \
    {                                                                                              \
        .op = (op_), .key = (k), .key_len = sizeof(k) - 1, .to = (t), .to_len = sizeof(t) - 1      \
    }

struct run {
    struct df_attrs_result res;
    struct text t;
    uint8_t *out;
    size_t len;
};

/* Rewrites `in` and describes the result (the input when unchanged); the
 * output must validate with the input's count. */
static int rewrite(struct run *r, enum df_signal sig, const uint8_t *in, size_t len,
                   const struct df_attr_action *acts, size_t n, unsigned apply_to)
{
    struct df_attrs rules = {.actions = acts, .count = n, .apply_to = apply_to};
    struct df_attrs_scratch s = {0};
    struct df_pb_writer w;
    df_pb_writer_init(&w);
    int rc = df_attrs_rewrite(&rules, sig, in, len, &s, &w, &r->res);
    df_attrs_scratch_free(&s);
    if (rc < 0) {
        df_pb_writer_free(&w);
        return rc;
    }
    free(r->out);
    r->out = NULL;
    r->len = 0;
    if (!r->res.changed) {
        assert_int_equal(w.len, 0); /* nothing written: the input stands */
        describe(&r->t, sig, in, len);
        df_pb_writer_free(&w);
        return 0;
    }
    r->out = df_pb_writer_take(&w, &r->len);
    uint64_t want = 0, got = 0;
    assert_int_equal(df_otlp_count(sig, in, len, &want), 0);
    assert_int_equal(df_otlp_count(sig, r->out, r->len, &got), 0);
    assert_int_equal(got, want);
    describe(&r->t, sig, r->out, r->len);
    return 0;
}

#define ORIGINAL "R:service.name=svc,; S:scope.attr=x,;"

static void test_each_action_on_logs(void **state)
{
    (void)state;
    size_t len;
    uint8_t *in = logs_req(&len);
    struct run r = {0};

    struct df_attr_action ins[] = {STRV(DF_ATTR_INSERT, "env",
                                        "\x0a\x01"
                                        "p"),
                                   STRV(DF_ATTR_INSERT, "user",
                                        "\x0a\x03"
                                        "bob")};
    assert_int_equal(rewrite(&r, DF_SIGNAL_LOGS, in, len, ins, 2, DF_ATTR_SIGNAL), 0);
    assert_true(r.res.changed);
    assert_int_equal(r.res.modified, 2);
    assert_string_equal(r.t.s, ORIGINAL " method=GET,code=#200,user=alice,env=p,;"
                                        " method=POST,code=#201,user=alice,env=p,;");

    struct df_attr_action upd[] = {STRV(DF_ATTR_UPDATE, "user",
                                        "\x0a\x03"
                                        "bob"),
                                   STRV(DF_ATTR_UPDATE, "absent",
                                        "\x0a\x01"
                                        "z")};
    assert_int_equal(rewrite(&r, DF_SIGNAL_LOGS, in, len, upd, 2, DF_ATTR_SIGNAL), 0);
    assert_string_equal(r.t.s, ORIGINAL " method=GET,code=#200,user=bob,;"
                                        " method=POST,code=#201,user=bob,;");

    struct df_attr_action ups[] = {STRV(DF_ATTR_UPSERT, "code",
                                        "\x0a\x01"
                                        "x"),
                                   STRV(DF_ATTR_UPSERT, "new",
                                        "\x0a\x01"
                                        "y")};
    assert_int_equal(rewrite(&r, DF_SIGNAL_LOGS, in, len, ups, 2, DF_ATTR_SIGNAL), 0);
    assert_string_equal(r.t.s, ORIGINAL " method=GET,code=x,user=alice,new=y,;"
                                        " method=POST,code=x,user=alice,new=y,;");

    struct df_attr_action del[] = {ACT(DF_ATTR_DELETE, "code"), ACT(DF_ATTR_DELETE, "nope")};
    assert_int_equal(rewrite(&r, DF_SIGNAL_LOGS, in, len, del, 2, DF_ATTR_SIGNAL), 0);
    assert_string_equal(r.t.s, ORIGINAL " method=GET,user=alice,; method=POST,user=alice,;");

    /* sha256("GET") and sha256("200"): the string forms. */
    struct df_attr_action hash[] = {ACT(DF_ATTR_HASH, "method"), ACT(DF_ATTR_HASH, "code")};
    assert_int_equal(rewrite(&r, DF_SIGNAL_LOGS, in, len, hash, 2, DF_ATTR_SIGNAL), 0);
    assert_non_null(strstr(
        r.t.s, " method=14e30cd163c732912e048c4c837e15c4e90c062ebb795ab947d57706e2d10dd8,code="
               "27badc983df1780b60c2b3fa9d3a19a00e46aac798451f0febdca52920faaddf,user=alice,;"));

    struct df_attr_action ren[] = {TO(DF_ATTR_RENAME, "method", "http.method"),
                                   TO(DF_ATTR_RENAME, "code", "user")};
    assert_int_equal(rewrite(&r, DF_SIGNAL_LOGS, in, len, ren, 2, DF_ATTR_SIGNAL), 0);
    assert_string_equal(r.t.s, ORIGINAL " http.method=GET,user=#200,;"
                                        " http.method=POST,user=#201,;");

    /* Actions run in order: insert from an attribute, then delete it. */
    struct df_attr_action from[] = {TO(DF_ATTR_INSERT, "who", "user"), ACT(DF_ATTR_DELETE, "user"),
                                    TO(DF_ATTR_UPSERT, "code", "method"),
                                    TO(DF_ATTR_INSERT, "x", "missing")};
    assert_int_equal(rewrite(&r, DF_SIGNAL_LOGS, in, len, from, 4, DF_ATTR_SIGNAL), 0);
    assert_string_equal(r.t.s, ORIGINAL " method=GET,code=GET,who=alice,;"
                                        " method=POST,code=POST,who=alice,;");
    free(r.out);
    free(in);
}

static void test_untouched_is_zero_copy(void **state)
{
    (void)state;
    size_t len;
    uint8_t *in = logs_req(&len);
    struct run r = {0};
    /* Nothing matches; update to the same value changes nothing either. */
    struct df_attr_action none[] = {STRV(DF_ATTR_UPDATE, "absent",
                                         "\x0a\x01"
                                         "z"),
                                    ACT(DF_ATTR_DELETE, "gone"),
                                    ACT(DF_ATTR_HASH, "nope"),
                                    TO(DF_ATTR_RENAME, "a", "b"),
                                    STRV(DF_ATTR_UPDATE, "user",
                                         "\x0a\x05"
                                         "alice"),
                                    TO(DF_ATTR_RENAME, "user", "user")};
    assert_int_equal(rewrite(&r, DF_SIGNAL_LOGS, in, len, none, 6, DF_ATTR_SIGNAL), 0);
    assert_false(r.res.changed);
    assert_int_equal(r.res.modified, 0);
    assert_null(r.out);
    /* A resource-only rule set never looks at records. */
    struct df_attr_action ins[] = {STRV(DF_ATTR_INSERT, "method",
                                        "\x0a\x01"
                                        "z")};
    assert_int_equal(rewrite(&r, DF_SIGNAL_LOGS, in, len, ins, 1, DF_ATTR_RESOURCE), 0);
    assert_true(r.res.changed);
    assert_string_equal(r.t.s, "R:service.name=svc,method=z,; S:scope.attr=x,;"
                               " method=GET,code=#200,user=alice,; method=POST,code=#201,user="
                               "alice,;");
    free(r.out);
    free(in);
}

/* The scratch remembers how much a rewrite grew the request; the next
 * output buffer is sized from it at once. A rewrite that changes nothing
 * leaves the ratio as it was. */
static void test_output_sized_from_last_ratio(void **state)
{
    (void)state;
    size_t len;
    uint8_t *in = logs_req(&len);
    struct df_attr_action ins[] = {STRV(DF_ATTR_INSERT, "a-rather-long-attribute-name",
                                        "\x0a\x20"
                                        "0123456789abcdef0123456789abcdef")};
    struct df_attrs rules = {.actions = ins, .count = 1, .apply_to = DF_ATTR_SIGNAL};
    struct df_attrs_scratch s = {0};
    struct df_attrs_result res;
    struct df_pb_writer w;
    df_pb_writer_init(&w);
    assert_int_equal(df_attrs_rewrite(&rules, DF_SIGNAL_LOGS, in, len, &s, &w, &res), 0);
    assert_true(res.changed && w.len > len);
    uint32_t ratio = s.ratio;
    assert_int_equal(ratio, (uint32_t)((uint64_t)w.len * 1024 / len));
    size_t first = w.len;
    df_pb_writer_free(&w);
    /* The second output fits the buffer reserved before its first byte. */
    assert_int_equal(df_attrs_rewrite(&rules, DF_SIGNAL_LOGS, in, len, &s, &w, &res), 0);
    assert_int_equal(w.len, first);
    assert_true(w.cap >= (size_t)((uint64_t)len * ratio / 1024) + 256);
    df_pb_writer_free(&w);
    struct df_attr_action none[] = {ACT(DF_ATTR_DELETE, "absent")};
    rules.actions = none;
    assert_int_equal(df_attrs_rewrite(&rules, DF_SIGNAL_LOGS, in, len, &s, &w, &res), 0);
    assert_false(res.changed);
    assert_int_equal(s.ratio, ratio);
    df_attrs_scratch_free(&s);
    free(in);
}

static void test_apply_to_resource_and_scope(void **state)
{
    (void)state;
    size_t len;
    uint8_t *in = traces_req(&len);
    struct run r = {0};
    struct df_attr_action acts[] = {STRV(DF_ATTR_UPSERT, "user",
                                         "\x0a\x01"
                                         "b"),
                                    TO(DF_ATTR_RENAME, "service.name", "svc")};
    assert_int_equal(
        rewrite(&r, DF_SIGNAL_TRACES, in, len, acts, 2, DF_ATTR_RESOURCE | DF_ATTR_SCOPE), 0);
    assert_int_equal(r.res.modified, 2);
    assert_string_equal(r.t.s, "R:user=b,svc=svc,; S:scope.attr=x,user=b,;"
                               " method=GET,code=#200,user=alice,;"
                               " method=POST,code=#201,user=alice,;");
    assert_int_equal(rewrite(&r, DF_SIGNAL_TRACES, in, len, acts, 2,
                             DF_ATTR_RESOURCE | DF_ATTR_SCOPE | DF_ATTR_SIGNAL),
                     0);
    assert_int_equal(r.res.modified, 4);
    assert_string_equal(r.t.s, "R:user=b,svc=svc,; S:scope.attr=x,user=b,;"
                               " method=GET,code=#200,user=b,;"
                               " method=POST,code=#201,user=b,;");
    free(r.out);
    free(in);
}

static void test_spans_keep_other_fields(void **state)
{
    (void)state;
    size_t len;
    uint8_t *in = traces_req(&len);
    struct run r = {0};
    struct df_attr_action acts[] = {ACT(DF_ATTR_DELETE, "user")};
    assert_int_equal(rewrite(&r, DF_SIGNAL_TRACES, in, len, acts, 1, DF_ATTR_SIGNAL), 0);
    assert_string_equal(r.t.s, ORIGINAL " method=GET,code=#200,; method=POST,code=#201,;");
    /* The deleted KeyValues are the only difference: 2 x (2 + 16 + 2 + 2 + 5). */
    size_t kv = 2 + (2 + 4) + (2 + 2 + 5);
    assert_int_equal(r.len, len - 2 * kv);
    /* Undoing it by hand: the span bytes other than attributes are the same. */
    assert_non_null(memmem(r.out, r.len, "span", 4));
    free(r.out);
    free(in);
}

static void test_every_data_point_kind(void **state)
{
    (void)state;
    size_t len;
    uint8_t *in = metrics_req(&len);
    struct run r = {0};
    struct df_attr_action acts[] = {TO(DF_ATTR_RENAME, "method", "m"), STRV(DF_ATTR_INSERT, "k",
                                                                            "\x0a\x01"
                                                                            "v")};
    assert_int_equal(rewrite(&r, DF_SIGNAL_METRICS, in, len, acts, 2, DF_ATTR_SIGNAL), 0);
    assert_int_equal(r.res.modified, 5);
    assert_string_equal(r.t.s, ORIGINAL " code=#200,user=alice,m=GET,k=v,;"
                                        " code=#201,user=alice,m=POST,k=v,;"
                                        " code=#200,user=alice,m=GET,k=v,;"
                                        " code=#201,user=alice,m=POST,k=v,;"
                                        " code=#200,user=alice,m=GET,k=v,;");
    free(r.out);
    free(in);
}

static void test_literal_values(void **state)
{
    (void)state;
    uint8_t v[4][DF_ATTR_VALUE_MAX];
    struct df_attr_action acts[] = {
        {.op = DF_ATTR_UPSERT, .key = "i", .key_len = 1, .value = v[0]},
        {.op = DF_ATTR_UPSERT, .key = "d", .key_len = 1, .value = v[1]},
        {.op = DF_ATTR_UPSERT, .key = "b", .key_len = 1, .value = v[2]},
        {.op = DF_ATTR_UPSERT, .key = "s", .key_len = 1, .value = v[3]},
        {.op = DF_ATTR_HASH, .key = "b", .key_len = 1},
    };
    acts[0].value_len = df_attr_value_int(v[0], -7);
    acts[1].value_len = df_attr_value_double(v[1], 2.5);
    acts[2].value_len = df_attr_value_bool(v[2], true);
    acts[3].value_len = df_attr_value_string(v[3], "abc", 3);
    size_t len;
    uint8_t *in = logs_req(&len);
    struct run r = {0};
    assert_int_equal(rewrite(&r, DF_SIGNAL_LOGS, in, len, acts, 4, DF_ATTR_SIGNAL), 0);
    assert_non_null(strstr(r.t.s, "user=alice,i=#-7,d=~2.5,b=?true,s=abc,;"));
    /* sha256("true") */
    assert_int_equal(rewrite(&r, DF_SIGNAL_LOGS, in, len, acts, 5, DF_ATTR_SIGNAL), 0);
    assert_non_null(
        strstr(r.t.s, "b=b5bea41b6c623f7c09f1bf24dcae58ebab3c0cdd90ad966bc43a45b44867e12b,"));
    free(r.out);
    free(in);
}

/* ---- hooks ----------------------------------------------------------------- */

/* Drops records whose method is GET and, in `which_drop` lists, every
 * owner; upserts x=v into the others. */
struct hook_env {
    unsigned which_drop;
    unsigned calls[8];
};

static int test_hook(void *arg, unsigned which, struct df_attrs_list *l)
{
    struct hook_env *e = arg;
    e->calls[which]++;
    if (!which)
        return 0;
    if (which & e->which_drop)
        return DF_ATTRS_DROP;
    const uint8_t *val;
    size_t vlen;
    if (df_attrs_list_find(l, "method", 6, &val, &vlen) && vlen == 5 && !memcmp(val + 2, "GET", 3))
        return DF_ATTRS_DROP;
    return df_attrs_list_upsert(l, "x", 1, (const uint8_t *)"\x0a\x01v", 3);
}

static int hook_rewrite(struct run *r, enum df_signal sig, const uint8_t *in, size_t len,
                        struct hook_env *e, unsigned apply_to)
{
    struct df_attrs_hook h = {.fn = test_hook, .arg = e};
    struct df_attrs rules = {.apply_to = apply_to, .hook = &h};
    struct df_attrs_scratch s = {0};
    struct df_pb_writer w;
    df_pb_writer_init(&w);
    int rc = df_attrs_rewrite(&rules, sig, in, len, &s, &w, &r->res);
    df_attrs_scratch_free(&s);
    free(r->out);
    r->out = df_pb_writer_take(&w, &r->len);
    if (rc == 0 && r->res.changed)
        describe(&r->t, sig, r->out, r->len);
    return rc;
}

static void test_hook_upsert_and_drop(void **state)
{
    (void)state;
    size_t len;
    uint8_t *in = logs_req(&len);
    struct run r = {0};
    struct hook_env e = {0};
    assert_int_equal(hook_rewrite(&r, DF_SIGNAL_LOGS, in, len, &e, DF_ATTR_SIGNAL), 0);
    assert_int_equal(e.calls[0], 1); /* one ResourceLogs */
    assert_int_equal(e.calls[DF_ATTR_SIGNAL], 2);
    assert_int_equal(r.res.dropped, 1);
    assert_int_equal(r.res.modified, 1);
    assert_string_equal(r.t.s, ORIGINAL " method=POST,code=#201,user=alice,x=v,;");
    uint64_t n = 0;
    assert_int_equal(df_otlp_count(DF_SIGNAL_LOGS, r.out, r.len, &n), 0);
    assert_int_equal(n, 1);
    /* The resource list gains x; its records stay as they are. */
    assert_int_equal(hook_rewrite(&r, DF_SIGNAL_LOGS, in, len, &e, DF_ATTR_RESOURCE), 0);
    assert_string_equal(r.t.s, "R:service.name=svc,x=v,; S:scope.attr=x,;"
                               " method=GET,code=#200,user=alice,;"
                               " method=POST,code=#201,user=alice,;");
    free(r.out);
    free(in);
}

/* Dropping every point of every metric, or the scope, or the resource,
 * leaves nothing: emptied containers go. */
static void test_hook_empties_containers(void **state)
{
    (void)state;
    static const unsigned drops[] = {DF_ATTR_SIGNAL, DF_ATTR_SCOPE, DF_ATTR_RESOURCE};
    size_t len;
    uint8_t *in = metrics_req(&len);
    for (size_t i = 0; i < sizeof drops / sizeof drops[0]; i++) {
        struct run r = {0};
        struct hook_env e = {.which_drop = drops[i]};
        assert_int_equal(hook_rewrite(&r, DF_SIGNAL_METRICS, in, len, &e, drops[i]), 0);
        assert_true(r.res.changed);
        assert_int_equal(r.len, 0);
        assert_int_equal(r.res.dropped, drops[i] == DF_ATTR_SIGNAL ? 5 : 1);
        free(r.out);
    }
    free(in);
}

/* Upsert keeps one entry of a key: later duplicates are removed; a value
 * already equal is no change. */
static void test_hook_upsert_dedups(void **state)
{
    (void)state;
    struct df_pb_writer w;
    df_pb_writer_init(&w);
    size_t rl, sl;
    resource_and_scope_open(&w, &rl, &sl);
    size_t rec = df_pb_begin(&w, 2);
    kv_str(&w, 6, "x", "a");
    kv_str(&w, 6, "user", "bob");
    kv_str(&w, 6, "x", "b");
    df_pb_end(&w, rec);
    rec = df_pb_begin(&w, 2);
    kv_str(&w, 6, "x", "v");
    df_pb_end(&w, rec);
    df_pb_end(&w, sl);
    df_pb_end(&w, rl);
    size_t len;
    uint8_t *in = df_pb_writer_take(&w, &len);
    struct run r = {0};
    struct hook_env e = {0};
    assert_int_equal(hook_rewrite(&r, DF_SIGNAL_LOGS, in, len, &e, DF_ATTR_SIGNAL), 0);
    assert_int_equal(r.res.modified, 1);
    assert_string_equal(r.t.s, ORIGINAL " x=v,user=bob,; x=v,;");
    free(r.out);
    free(in);
}

static void test_malformed(void **state)
{
    (void)state;
    struct df_attr_action acts[] = {STRV(DF_ATTR_INSERT, "a",
                                         "\x0a\x01"
                                         "b")};
    struct df_attrs rules = {.actions = acts, .count = 1, .apply_to = DF_ATTR_SIGNAL};
    struct df_attrs_scratch s = {0};
    struct df_pb_writer w;
    struct df_attrs_result res;
    static const uint8_t bad[][8] = {
        {0x0a, 0x05, 0x12},                               /* truncated */
        {0x08, 0x01},                                     /* resource_logs as a varint */
        {0x0a, 0x02, 0x12, 0x05},                         /* scope_logs past its parent */
        {0x0a, 0x04, 0x12, 0x02, 0x10, 0x01},             /* a log record as a varint */
        {0x0a, 0x06, 0x12, 0x04, 0x12, 0x02, 0x30, 0x01}, /* attribute as a varint */
    };
    static const size_t lens[] = {3, 2, 4, 6, 8};
    for (size_t i = 0; i < sizeof lens / sizeof *lens; i++) {
        df_pb_writer_init(&w);
        assert_int_equal(df_attrs_rewrite(&rules, DF_SIGNAL_LOGS, bad[i], lens[i], &s, &w, &res),
                         DF_EPARSE);
        df_pb_writer_free(&w);
    }
    df_attrs_scratch_free(&s);
    /* Empty requests and records are fine. */
    df_pb_writer_init(&w);
    assert_int_equal(df_attrs_rewrite(&rules, DF_SIGNAL_LOGS, NULL, 0, &s, &w, &res), 0);
    assert_false(res.changed);
    static const uint8_t empty_rec[] = {0x0a, 0x04, 0x12, 0x02, 0x12, 0x00};
    assert_int_equal(
        df_attrs_rewrite(&rules, DF_SIGNAL_LOGS, empty_rec, sizeof empty_rec, &s, &w, &res), 0);
    assert_true(res.changed);
    uint64_t n = 0;
    assert_int_equal(df_otlp_count(DF_SIGNAL_LOGS, w.buf, w.len, &n), 0);
    assert_int_equal(n, 1);
    df_pb_writer_free(&w);
    df_attrs_scratch_free(&s);
}

/* One log record (no resource, no scope) with attributes pad = `pad`
 * bytes and, when `extra`, extra = 24 bytes. */
static uint8_t *padded_req(size_t pad, bool extra, size_t *len)
{
    char v[200];
    memset(v, 'p', pad);
    v[pad] = 0;
    struct df_pb_writer w;
    df_pb_writer_init(&w);
    size_t rl = df_pb_begin(&w, 1), sl = df_pb_begin(&w, 2), rec = df_pb_begin(&w, 2);
    kv_str(&w, 6, "pad", v);
    if (extra)
        kv_str(&w, 6, "extra", "eeeeeeeeeeeeeeeeeeeeeeee");
    df_pb_end(&w, rec);
    df_pb_end(&w, sl);
    df_pb_end(&w, rl);
    return df_pb_writer_take(&w, len);
}

/* A rewrite whose record, ScopeLogs and ResourceLogs lengths cross 128
 * bytes (their length varints one byte wide, then two, then one again)
 * gives exactly the encoding of the request built directly. */
static void test_length_width_changes(void **state)
{
    (void)state;
    size_t small_len, big_len;
    uint8_t *small = padded_req(100, false, &small_len);
    uint8_t *big = padded_req(100, true, &big_len);
    assert_true(small_len < 128);   /* every length one byte */
    assert_true(big_len - 8 > 128); /* the record's more than 128 */
    struct run r = {0};
    struct df_attr_action ins[] = {STRV(DF_ATTR_INSERT, "extra",
                                        "\x0a\x18"
                                        "eeeeeeeeeeeeeeeeeeeeeeee")};
    assert_int_equal(rewrite(&r, DF_SIGNAL_LOGS, small, small_len, ins, 1, DF_ATTR_SIGNAL), 0);
    assert_int_equal(r.len, big_len);
    assert_memory_equal(r.out, big, big_len);
    struct df_attr_action del[] = {ACT(DF_ATTR_DELETE, "extra")};
    assert_int_equal(rewrite(&r, DF_SIGNAL_LOGS, big, big_len, del, 1, DF_ATTR_SIGNAL), 0);
    assert_int_equal(r.len, small_len);
    assert_memory_equal(r.out, small, small_len);
    free(r.out);
    free(small);
    free(big);
}

/* Generated requests of every signal: rename the generator's
 * http.request.method everywhere; counts hold and the old key is gone. */
static void test_generated(void **state)
{
    (void)state;
    struct df_attr_action acts[] = {TO(DF_ATTR_RENAME, "http.request.method", "http.method"),
                                    ACT(DF_ATTR_DELETE, "thread.id"),
                                    STRV(DF_ATTR_INSERT, "service.name",
                                         "\x0a\x01"
                                         "x")};
    for (int s = 0; s < DF_SIGNAL_COUNT; s++) {
        struct df_pb_writer w;
        df_pb_writer_init(&w);
        struct df_otlp_gen_opts o = {
            .items = 50, .log_body_size = 30, .num_attributes = 12, .seed = 7};
        assert_int_equal(df_otlp_gen((enum df_signal)s, &o, &w), 0);
        assert_int_equal(df_otlp_gen((enum df_signal)s, &o, &w), 0); /* two resources */
        size_t len;
        uint8_t *in = df_pb_writer_take(&w, &len);
        struct run r = {0};
        assert_int_equal(
            rewrite(&r, (enum df_signal)s, in, len, acts, 3, DF_ATTR_SIGNAL | DF_ATTR_RESOURCE), 0);
        assert_true(r.res.changed);
        assert_int_equal(r.res.modified, 100); /* resources already have service.name */
        /* Records only: span events keep theirs. */
        assert_null(strstr(r.t.s, "http.request.method"));
        assert_null(strstr(r.t.s, "thread.id"));
        assert_non_null(strstr(r.t.s, "http.method="));
        if (s != DF_SIGNAL_TRACES)
            assert_null(memmem(r.out, r.len, "http.request.method", 19));
        free(r.out);
        free(in);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_action_on_logs),
        cmocka_unit_test(test_untouched_is_zero_copy),
        cmocka_unit_test(test_output_sized_from_last_ratio),
        cmocka_unit_test(test_apply_to_resource_and_scope),
        cmocka_unit_test(test_spans_keep_other_fields),
        cmocka_unit_test(test_every_data_point_kind),
        cmocka_unit_test(test_literal_values),
        cmocka_unit_test(test_hook_upsert_and_drop),
        cmocka_unit_test(test_hook_empties_containers),
        cmocka_unit_test(test_hook_upsert_dedups),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_length_width_changes),
        cmocka_unit_test(test_generated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
