/* Unit tests for OTLP record filtering (otlp/filter.h) on hand-built and
 * generated requests: every matcher in strict and regexp form, include and
 * exclude together, severity numbers with and without match_undefined,
 * attribute values of each type, resource attributes, the removal of emptied
 * scopes and resources, and malformed input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "df/error.h"
#include "otlp/filter.h"
#include "otlp/gen.h"
#include "otlp/otlp.h"
#include "otlp/wire.h"

/* ---- building requests ------------------------------------------------ */

struct kv {
    const char *key;
    char type; /* 's', 'i', 'b', 'd', 'x' (bytes) */
    const char *s;
    int64_t i;
    double d;
};

static void put_kvs(struct df_pb_writer *w, uint32_t field, const struct kv *kv)
{
    for (; kv && kv->key; kv++) {
        size_t m = df_pb_begin(w, field);
        df_pb_put_string(w, 1, kv->key);
        size_t av = df_pb_begin(w, 2);
        switch (kv->type) {
        case 's':
            df_pb_put_string(w, 1, kv->s);
            break;
        case 'i':
            df_pb_put_varint(w, 3, (uint64_t)kv->i);
            break;
        case 'b':
            df_pb_put_varint(w, 2, (uint64_t)kv->i);
            break;
        case 'd':
            df_pb_put_double(w, 4, kv->d);
            break;
        default:
            df_pb_put_bytes(w, 7, kv->s, strlen(kv->s));
            break;
        }
        df_pb_end(w, av);
        df_pb_end(w, m);
    }
}

#define KVS(...) ((const struct kv[]){__VA_ARGS__, {.key = NULL}})
#define S(k, v)                                                                                    \
    {                                                                                              \
        .key = k, .type = 's', .s = v                                                              \
    }
#define I(k, v)                                                                                    \
    {                                                                                              \
        .key = k, .type = 'i', .i = v                                                              \
    }
#define B(k, v)                                                                                    \
    {                                                                                              \
        .key = k, .type = 'b', .i = v                                                              \
    }
#define D(k, v)                                                                                    \
    {                                                                                              \
        .key = k, .type = 'd', .d = v                                                              \
    }
#define X(k, v)                                                                                    \
    {                                                                                              \
        .key = k, .type = 'x', .s = v                                                              \
    }

struct bld {
    struct df_pb_writer w;
    size_t res, scope;
};

static void res_begin(struct bld *b, const struct kv *attrs)
{
    b->res = df_pb_begin(&b->w, 1);
    size_t r = df_pb_begin(&b->w, 1);
    put_kvs(&b->w, 1, attrs);
    df_pb_end(&b->w, r);
}

static void res_end(struct bld *b)
{
    df_pb_end(&b->w, b->res);
}

static void scope_begin(struct bld *b)
{
    b->scope = df_pb_begin(&b->w, 2);
    size_t s = df_pb_begin(&b->w, 1);
    df_pb_put_string(&b->w, 1, "lib");
    df_pb_end(&b->w, s);
}

static void scope_end(struct bld *b)
{
    df_pb_put_string(&b->w, 3, "https://schema"); /* a field after the records */
    df_pb_end(&b->w, b->scope);
}

static void put_log(struct bld *b, int sev, const char *sevtext, const char *body,
                    const struct kv *attrs)
{
    size_t m = df_pb_begin(&b->w, 2);
    df_pb_put_fixed64(&b->w, 1, 1700000000000000000ull);
    if (sev)
        df_pb_put_varint(&b->w, 2, (uint64_t)sev);
    if (sevtext)
        df_pb_put_string(&b->w, 3, sevtext);
    if (body) {
        size_t av = df_pb_begin(&b->w, 5);
        df_pb_put_string(&b->w, 1, body);
        df_pb_end(&b->w, av);
    }
    put_kvs(&b->w, 6, attrs);
    df_pb_end(&b->w, m);
}

static void put_span(struct bld *b, const char *name, const struct kv *attrs)
{
    static const uint8_t id[16] = {1, 2, 3};
    size_t m = df_pb_begin(&b->w, 2);
    df_pb_put_bytes(&b->w, 1, id, 16);
    df_pb_put_bytes(&b->w, 2, id, 8);
    df_pb_put_string(&b->w, 5, name);
    put_kvs(&b->w, 9, attrs);
    df_pb_end(&b->w, m);
}

/* A gauge with `points` data points. */
static void put_metric(struct bld *b, const char *name, unsigned points)
{
    size_t m = df_pb_begin(&b->w, 2);
    df_pb_put_string(&b->w, 1, name);
    size_t g = df_pb_begin(&b->w, 5);
    for (unsigned i = 0; i < points; i++) {
        size_t p = df_pb_begin(&b->w, 1);
        df_pb_put_fixed64(&b->w, 3, 1700000000000000000ull + i);
        df_pb_put_double(&b->w, 4, i);
        df_pb_end(&b->w, p);
    }
    df_pb_end(&b->w, g);
    df_pb_end(&b->w, m);
}

/* ---- reading results --------------------------------------------------- */

/* Adds snprintf's result to n, stopping at the last byte of the buffer. */
static size_t clamp(size_t n, size_t cap, int wrote)
{
    n += wrote > 0 ? (size_t)wrote : 0;
    return n < cap ? n : cap - 1;
}

/* The records' names (log body, span name, metric name) of a request:
 * records joined by ',', scopes by ';', resources by '|'. */
static void names(enum df_signal sig, const uint8_t *buf, size_t len, char *out, size_t cap)
{
    size_t n = 0; /* clamped below cap - 1: long outputs are truncated */
    out[0] = 0;
    struct df_pb_reader rq = df_pb_reader_make(buf, len);
    struct df_pb_field a, b, c, d, e;
    bool first_res = true;
    while (df_pb_next(&rq, &a) == 1) {
        if (a.num != 1)
            continue;
        if (!first_res)
            n = clamp(n, cap, snprintf(out + n, cap - n, "|"));
        first_res = false;
        bool first_scope = true;
        struct df_pb_reader rr = df_pb_reader_make(a.data, a.len);
        while (df_pb_next(&rr, &b) == 1) {
            if (b.num != 2)
                continue;
            if (!first_scope)
                n = clamp(n, cap, snprintf(out + n, cap - n, ";"));
            first_scope = false;
            bool first = true;
            struct df_pb_reader rs = df_pb_reader_make(b.data, b.len);
            while (df_pb_next(&rs, &c) == 1) {
                if (c.num != 2)
                    continue;
                struct df_pb_reader rec = df_pb_reader_make(c.data, c.len);
                while (df_pb_next(&rec, &d) == 1) {
                    const uint8_t *p = NULL;
                    size_t l = 0;
                    if (sig == DF_SIGNAL_LOGS && d.num == 5) {
                        struct df_pb_reader av = df_pb_reader_make(d.data, d.len);
                        while (df_pb_next(&av, &e) == 1)
                            if (e.num == 1) {
                                p = e.data;
                                l = e.len;
                            }
                    } else if ((sig == DF_SIGNAL_TRACES && d.num == 5) ||
                               (sig == DF_SIGNAL_METRICS && d.num == 1)) {
                        p = d.data;
                        l = d.len;
                    }
                    if (p) {
                        n = clamp(n, cap,
                                  snprintf(out + n, cap - n, "%s%.*s", first ? "" : ",", (int)l,
                                           (const char *)p));
                        first = false;
                    }
                }
            }
        }
    }
}

/* Filters `buf` with the given blocks for `sig` and checks the invariants:
 * the output counts as items_kept, is the input when nothing is dropped.
 * Writes the kept names to `out` and returns the items kept. */
static uint64_t run(const struct df_filter_spec *inc, const struct df_filter_spec *exc,
                    enum df_signal sig, const uint8_t *buf, size_t len, char *out, size_t cap)
{
    struct df_filter_config cfg = {0};
    cfg.include[sig] = inc;
    cfg.exclude[sig] = exc;
    struct df_filter *f;
    char err[256];
    assert_int_equal(df_filter_new(&cfg, &f, err, sizeof err), 0);
    assert_true(df_filter_applies(f, sig));
    struct df_filter_result r;
    assert_int_equal(df_filter_scan(f, sig, buf, len, &r), 0);
    uint64_t in;
    assert_int_equal(df_otlp_count(sig, buf, len, &in), 0);
    assert_int_equal(r.items_in, in);
    assert_true(r.items_kept <= in);
    if (r.items_kept == in || r.items_kept == 0) {
        if (r.items_kept)
            names(sig, buf, len, out, cap);
        else
            out[0] = 0;
    } else {
        uint8_t *o = malloc(r.out_len);
        assert_non_null(o);
        assert_int_equal(df_filter_write(f, buf, len, o), r.out_len);
        uint64_t kept;
        assert_int_equal(df_otlp_count(sig, o, r.out_len, &kept), 0);
        assert_int_equal(kept, r.items_kept);
        names(sig, o, r.out_len, out, cap);
        /* Compacting the request in its own buffer gives the same bytes. */
        uint8_t *same = malloc(len);
        assert_non_null(same);
        memcpy(same, buf, len);
        assert_int_equal(df_filter_write(f, same, len, same), r.out_len);
        assert_memory_equal(same, o, r.out_len);
        free(same);
        free(o);
    }
    df_filter_free(f);
    return r.items_kept;
}

/* Three resources of logs:
 *   r1 {env=prod}: scope [a(INFO) b(WARN)] ; scope [c(ERROR)]
 *   r2 {env=dev}:  scope [d(unspecified) e(DEBUG)]
 *   r3 {}: scope [f(FATAL)]
 * with attributes of each value type. */
static uint8_t *sample_logs(size_t *len)
{
    struct bld b;
    df_pb_writer_init(&b.w);
    res_begin(&b, KVS(S("service.name", "shop"), S("env", "prod")));
    scope_begin(&b);
    put_log(&b, 9, "INFO", "a", KVS(I("http.status", 200), B("retry", 0), S("user", "ann")));
    put_log(&b, 13, "WARN", "b", KVS(I("http.status", 404), B("retry", 1), D("ratio", 0.5)));
    scope_end(&b);
    scope_begin(&b);
    put_log(&b, 17, "ERROR", "c", KVS(I("http.status", -1), X("blob", "404")));
    scope_end(&b);
    res_end(&b);
    res_begin(&b, KVS(S("service.name", "shop"), S("env", "dev")));
    scope_begin(&b);
    put_log(&b, 0, NULL, "d", KVS(S("user", "bob")));
    put_log(&b, 5, "DEBUG", "e", KVS(S("user", "ann")));
    scope_end(&b);
    res_end(&b);
    res_begin(&b, KVS(S("service.name", "cart")));
    scope_begin(&b);
    put_log(&b, 21, "FATAL", "f", KVS(I("http.status", 503)));
    scope_end(&b);
    res_end(&b);
    return df_pb_writer_take(&b.w, len);
}

static char got[1024];

static uint64_t logs_run(const struct df_filter_spec *inc, const struct df_filter_spec *exc)
{
    size_t len;
    uint8_t *buf = sample_logs(&len);
    uint64_t k = run(inc, exc, DF_SIGNAL_LOGS, buf, len, got, sizeof got);
    free(buf);
    return k;
}

static void test_bodies_strict_include(void **state)
{
    (void)state;
    struct df_filter_spec inc = {.match_type = DF_FILTER_STRICT};
    inc.names = (const char *const[]){"a", "c", "zz"};
    inc.nnames = 3;
    assert_int_equal(logs_run(&inc, NULL), 2);
    /* Scope [d e] emptied and its resource too: gone; r1 keeps both scopes. */
    assert_string_equal(got, "a;c");
}

static void test_bodies_regexp_exclude(void **state)
{
    (void)state;
    struct df_filter_spec exc = {.match_type = DF_FILTER_REGEXP};
    exc.names = (const char *const[]){"^[a-c]$"};
    exc.nnames = 1;
    assert_int_equal(logs_run(NULL, &exc), 3);
    assert_string_equal(got, "d,e|f"); /* r1 emptied and dropped */
    /* Strict does not treat the pattern as one. */
    exc.match_type = DF_FILTER_STRICT;
    assert_int_equal(logs_run(NULL, &exc), 6);
    assert_string_equal(got, "a,b;c|d,e|f");
}

static void test_severity_texts(void **state)
{
    (void)state;
    struct df_filter_spec inc = {.match_type = DF_FILTER_STRICT};
    inc.names = NULL;
    inc.severity_texts = (const char *const[]){"WARN", "FATAL"};
    inc.nseverity_texts = 2;
    assert_int_equal(logs_run(&inc, NULL), 2);
    assert_string_equal(got, "b|f");
    inc.match_type = DF_FILTER_REGEXP;
    inc.severity_texts = (const char *const[]){"^(ERR|DEB)"};
    inc.nseverity_texts = 1;
    assert_int_equal(logs_run(&inc, NULL), 2);
    assert_string_equal(got, "c|e");
}

static void test_severity_number(void **state)
{
    (void)state;
    int32_t warn;
    assert_int_equal(df_filter_severity_parse("warn", &warn), 0);
    assert_int_equal(warn, 13);
    struct df_filter_spec inc = {
        .match_type = DF_FILTER_STRICT, .severity = true, .severity_min = warn};
    assert_int_equal(logs_run(&inc, NULL), 3);
    assert_string_equal(got, "b;c|f");
    inc.match_undefined = true; /* d has no severity number */
    assert_int_equal(logs_run(&inc, NULL), 4);
    assert_string_equal(got, "b;c|d|f");
    /* As exclude: drop everything at or above INFO, keep undefined. */
    struct df_filter_spec exc = {.match_type = DF_FILTER_STRICT, .severity = true};
    assert_int_equal(df_filter_severity_parse("INFO", &exc.severity_min), 0);
    assert_int_equal(logs_run(NULL, &exc), 2);
    assert_string_equal(got, "d,e");
}

static void test_severity_parse(void **state)
{
    (void)state;
    int32_t v;
    assert_int_equal(df_filter_severity_parse("INFO3", &v), 0);
    assert_int_equal(v, 11);
    assert_int_equal(df_filter_severity_parse("fatal4", &v), 0);
    assert_int_equal(v, 24);
    assert_int_equal(df_filter_severity_parse("trace", &v), 0);
    assert_int_equal(v, 1);
    assert_int_equal(df_filter_severity_parse("17", &v), 0);
    assert_int_equal(v, 17);
    assert_int_equal(df_filter_severity_parse("25", &v), DF_EINVAL);
    assert_int_equal(df_filter_severity_parse("INFO5", &v), DF_EINVAL);
    assert_int_equal(df_filter_severity_parse("NOTICE", &v), DF_EINVAL);
    assert_int_equal(df_filter_severity_parse("", &v), DF_EINVAL);
}

static void test_attributes_by_type(void **state)
{
    (void)state;
    struct df_filter_spec inc = {.match_type = DF_FILTER_STRICT};
    /* int compared as its decimal form */
    inc.attributes = (const struct df_filter_kv[]){{"http.status", "404"}};
    inc.nattributes = 1;
    assert_int_equal(logs_run(&inc, NULL), 1);
    assert_string_equal(got, "b");
    /* negative int */
    inc.attributes = (const struct df_filter_kv[]){{"http.status", "-1"}};
    assert_int_equal(logs_run(&inc, NULL), 1);
    assert_string_equal(got, "c");
    /* bool as true/false */
    inc.attributes = (const struct df_filter_kv[]){{"retry", "false"}};
    assert_int_equal(logs_run(&inc, NULL), 1);
    assert_string_equal(got, "a");
    /* double in its shortest form */
    inc.attributes = (const struct df_filter_kv[]){{"ratio", "0.5"}};
    assert_int_equal(logs_run(&inc, NULL), 1);
    assert_string_equal(got, "b");
    /* bytes never match a value, even with the same text */
    inc.attributes = (const struct df_filter_kv[]){{"blob", "404"}};
    assert_int_equal(logs_run(&inc, NULL), 0);
    /* key alone: presence */
    inc.attributes = (const struct df_filter_kv[]){{"blob", NULL}};
    assert_int_equal(logs_run(&inc, NULL), 1);
    assert_string_equal(got, "c");
    /* several keys: all must match (AND) */
    inc.attributes = (const struct df_filter_kv[]){{"user", "ann"}, {"http.status", "200"}};
    inc.nattributes = 2;
    assert_int_equal(logs_run(&inc, NULL), 1);
    assert_string_equal(got, "a");
    /* regexp on the string form of an int */
    inc.match_type = DF_FILTER_REGEXP;
    inc.attributes = (const struct df_filter_kv[]){{"http.status", "^[45][0-9]{2}$"}};
    inc.nattributes = 1;
    assert_int_equal(logs_run(&inc, NULL), 2);
    assert_string_equal(got, "b|f");
    /* regexp on a bool */
    inc.attributes = (const struct df_filter_kv[]){{"retry", "^t"}};
    assert_int_equal(logs_run(&inc, NULL), 1);
    assert_string_equal(got, "b");
}

static void test_resource_attributes(void **state)
{
    (void)state;
    struct df_filter_spec exc = {.match_type = DF_FILTER_STRICT};
    exc.resource_attributes = (const struct df_filter_kv[]){{"env", "dev"}};
    exc.nresource_attributes = 1;
    assert_int_equal(logs_run(NULL, &exc), 4);
    assert_string_equal(got, "a,b;c|f");
    /* include: resources without the key are out */
    assert_int_equal(logs_run(&exc, NULL), 2);
    assert_string_equal(got, "d,e");
    /* AND of resource and record properties */
    struct df_filter_spec inc = {.match_type = DF_FILTER_REGEXP};
    inc.resource_attributes = (const struct df_filter_kv[]){{"service.name", "^sh"}};
    inc.nresource_attributes = 1;
    inc.attributes = (const struct df_filter_kv[]){{"user", "^an"}};
    inc.nattributes = 1;
    assert_int_equal(logs_run(&inc, NULL), 2);
    assert_string_equal(got, "a|e");
}

static void test_include_and_exclude(void **state)
{
    (void)state;
    /* Keep WARN and above, except bodies c and f. */
    struct df_filter_spec inc = {
        .match_type = DF_FILTER_STRICT, .severity = true, .severity_min = 13};
    struct df_filter_spec exc = {.match_type = DF_FILTER_STRICT};
    exc.names = (const char *const[]){"c", "f"};
    exc.nnames = 2;
    assert_int_equal(logs_run(&inc, &exc), 1);
    assert_string_equal(got, "b");
    /* Properties AND within a block: body a but severity WARN+: nothing. */
    inc.names = (const char *const[]){"a", "b"};
    inc.nnames = 2;
    assert_int_equal(logs_run(&inc, NULL), 1);
    assert_string_equal(got, "b");
}

static void test_nothing_and_everything(void **state)
{
    (void)state;
    struct df_filter_spec exc = {.match_type = DF_FILTER_STRICT};
    exc.names = (const char *const[]){"nope"};
    exc.nnames = 1;
    assert_int_equal(logs_run(NULL, &exc), 6);
    assert_int_equal(logs_run(&exc, NULL), 0);
    /* A rule for another signal: logs pass untouched. */
    struct df_filter_config cfg = {0};
    cfg.exclude[DF_SIGNAL_TRACES] = &exc;
    struct df_filter *f;
    assert_int_equal(df_filter_new(&cfg, &f, NULL, 0), 0);
    assert_false(df_filter_applies(f, DF_SIGNAL_LOGS));
    assert_true(df_filter_applies(f, DF_SIGNAL_TRACES));
    df_filter_free(f);
}

static void test_spans(void **state)
{
    (void)state;
    struct bld b;
    df_pb_writer_init(&b.w);
    res_begin(&b, KVS(S("service.name", "api")));
    scope_begin(&b);
    put_span(&b, "GET /users", KVS(S("http.method", "GET"), I("code", 200)));
    put_span(&b, "POST /orders", KVS(S("http.method", "POST"), I("code", 500)));
    put_span(&b, "healthcheck", KVS(I("code", 200)));
    scope_end(&b);
    res_end(&b);
    size_t len;
    uint8_t *buf = df_pb_writer_take(&b.w, &len);
    struct df_filter_spec exc = {.match_type = DF_FILTER_STRICT};
    exc.names = (const char *const[]){"healthcheck"};
    exc.nnames = 1;
    assert_int_equal(run(NULL, &exc, DF_SIGNAL_TRACES, buf, len, got, sizeof got), 2);
    assert_string_equal(got, "GET /users,POST /orders");
    struct df_filter_spec inc = {.match_type = DF_FILTER_REGEXP};
    inc.names = (const char *const[]){"^(GET|POST) "};
    inc.nnames = 1;
    inc.attributes = (const struct df_filter_kv[]){{"code", "^5"}};
    inc.nattributes = 1;
    assert_int_equal(run(&inc, NULL, DF_SIGNAL_TRACES, buf, len, got, sizeof got), 1);
    assert_string_equal(got, "POST /orders");
    free(buf);
}

static void test_metrics(void **state)
{
    (void)state;
    struct bld b;
    df_pb_writer_init(&b.w);
    res_begin(&b, KVS(S("host", "h1")));
    scope_begin(&b);
    put_metric(&b, "cpu.usage", 3);
    put_metric(&b, "mem.usage", 2);
    scope_end(&b);
    scope_begin(&b);
    put_metric(&b, "cpu.temp", 4);
    scope_end(&b);
    res_end(&b);
    size_t len;
    uint8_t *buf = df_pb_writer_take(&b.w, &len);
    struct df_filter_spec inc = {.match_type = DF_FILTER_REGEXP};
    inc.names = (const char *const[]){"^cpu\\."};
    inc.nnames = 1;
    /* Items are data points: 3 + 4 kept of 9. */
    assert_int_equal(run(&inc, NULL, DF_SIGNAL_METRICS, buf, len, got, sizeof got), 7);
    assert_string_equal(got, "cpu.usage;cpu.temp");
    struct df_filter_spec exc = {.match_type = DF_FILTER_STRICT};
    exc.names = (const char *const[]){"cpu.temp"};
    exc.nnames = 1;
    assert_int_equal(run(NULL, &exc, DF_SIGNAL_METRICS, buf, len, got, sizeof got), 5);
    assert_string_equal(got, "cpu.usage,mem.usage"); /* second scope emptied */
    exc.names = NULL;
    exc.nnames = 0;
    exc.resource_attributes = (const struct df_filter_kv[]){{"host", "h1"}};
    exc.nresource_attributes = 1;
    assert_int_equal(run(NULL, &exc, DF_SIGNAL_METRICS, buf, len, got, sizeof got), 0);
    free(buf);
}

/* Counts the records of a logs request whose attribute `key` (an int) is
 * 4xx or 5xx, and checks every record of `buf` when `none` is set. */
static uint64_t count_errors(const uint8_t *buf, size_t len)
{
    uint64_t n = 0;
    struct df_pb_reader rq = df_pb_reader_make(buf, len);
    struct df_pb_field a, b, c, d, e, g;
    while (df_pb_next(&rq, &a) == 1) {
        struct df_pb_reader rr = df_pb_reader_make(a.data, a.len);
        while (df_pb_next(&rr, &b) == 1) {
            if (b.num != 2)
                continue;
            struct df_pb_reader rs = df_pb_reader_make(b.data, b.len);
            while (df_pb_next(&rs, &c) == 1) {
                if (c.num != 2)
                    continue;
                struct df_pb_reader rec = df_pb_reader_make(c.data, c.len);
                while (df_pb_next(&rec, &d) == 1) {
                    if (d.num != 6)
                        continue;
                    struct df_pb_reader kv = df_pb_reader_make(d.data, d.len);
                    bool is_status = false;
                    while (df_pb_next(&kv, &e) == 1) {
                        if (e.num == 1)
                            is_status =
                                e.len == 25 && !memcmp(e.data, "http.response.status_code", 25);
                        if (e.num == 2 && is_status) {
                            struct df_pb_reader av = df_pb_reader_make(e.data, e.len);
                            while (df_pb_next(&av, &g) == 1)
                                if (g.num == 3 && g.u64 >= 400)
                                    n++;
                        }
                    }
                }
            }
        }
    }
    return n;
}

static void test_generated_half_by_attribute(void **state)
{
    (void)state;
    struct df_pb_writer w;
    df_pb_writer_init(&w);
    struct df_otlp_gen_opts o = {.items = 512, .log_body_size = 64, .num_attributes = 4, .seed = 7};
    assert_int_equal(df_otlp_gen(DF_SIGNAL_LOGS, &o, &w), 0);
    size_t len;
    uint8_t *buf = df_pb_writer_take(&w, &len);
    uint64_t errors = count_errors(buf, len);
    assert_true(errors > 200 && errors < 312);
    struct df_filter_spec exc = {.match_type = DF_FILTER_REGEXP};
    exc.attributes =
        (const struct df_filter_kv[]){{"http.response.status_code", "^[45][0-9][0-9]$"}};
    exc.nattributes = 1;
    struct df_filter_config cfg = {0};
    cfg.exclude[DF_SIGNAL_LOGS] = &exc;
    struct df_filter *f;
    assert_int_equal(df_filter_new(&cfg, &f, NULL, 0), 0);
    struct df_filter_result r;
    assert_int_equal(df_filter_scan(f, DF_SIGNAL_LOGS, buf, len, &r), 0);
    assert_int_equal(r.items_in, 512);
    assert_int_equal(r.items_kept, 512 - errors);
    uint8_t *out = malloc(r.out_len);
    assert_int_equal(df_filter_write(f, buf, len, out), r.out_len);
    uint64_t kept;
    assert_int_equal(df_otlp_count(DF_SIGNAL_LOGS, out, r.out_len, &kept), 0);
    assert_int_equal(kept, 512 - errors);
    assert_int_equal(count_errors(out, r.out_len), 0);
    /* The same filter again (scratch reused) gives the same bytes. */
    struct df_filter_result r2;
    assert_int_equal(df_filter_scan(f, DF_SIGNAL_LOGS, buf, len, &r2), 0);
    uint8_t *out2 = malloc(r2.out_len);
    assert_int_equal(df_filter_write(f, buf, len, out2), r.out_len);
    assert_memory_equal(out, out2, r.out_len);
    free(out2);
    free(out);
    df_filter_free(f);
    free(buf);
}

static void test_generated_by_severity(void **state)
{
    (void)state;
    struct df_pb_writer w;
    df_pb_writer_init(&w);
    struct df_otlp_gen_opts o = {.items = 512, .log_body_size = 32, .seed = 3};
    /* Two resources: concatenated requests. */
    assert_int_equal(df_otlp_gen(DF_SIGNAL_LOGS, &o, &w), 0);
    o.seed = 4;
    assert_int_equal(df_otlp_gen(DF_SIGNAL_LOGS, &o, &w), 0);
    size_t len;
    uint8_t *buf = df_pb_writer_take(&w, &len);
    struct df_filter_spec inc = {.match_type = DF_FILTER_STRICT,
                                 .severity = true,
                                 .severity_min = 10}; /* above plain INFO: WARN, ERROR, FATAL */
    uint64_t kept = run(&inc, NULL, DF_SIGNAL_LOGS, buf, len, got, sizeof got);
    /* 3 of the generator's 8 severities. */
    assert_true(kept > 1024 * 3 / 8 - 100 && kept < 1024 * 3 / 8 + 100);
    free(buf);
}

static void test_generated_traces_and_metrics(void **state)
{
    (void)state;
    static const enum df_signal sigs[] = {DF_SIGNAL_TRACES, DF_SIGNAL_METRICS};
    for (unsigned i = 0; i < 2; i++) {
        struct df_pb_writer w;
        df_pb_writer_init(&w);
        struct df_otlp_gen_opts o = {.items = 100, .num_attributes = 3, .seed = 9};
        assert_int_equal(df_otlp_gen(sigs[i], &o, &w), 0);
        size_t len;
        uint8_t *buf = df_pb_writer_take(&w, &len);
        struct df_filter_spec exc = {.match_type = DF_FILTER_REGEXP};
        exc.names = (const char *const[]){"^(http|GET)"};
        exc.nnames = 1;
        static char big[16384];
        uint64_t kept = run(NULL, &exc, sigs[i], buf, len, big, sizeof big);
        assert_true(kept < 100);
        free(buf);
    }
}

static void test_bad_regexp(void **state)
{
    (void)state;
    struct df_filter_spec inc = {.match_type = DF_FILTER_REGEXP};
    inc.names = (const char *const[]){"ok", "(unclosed"};
    inc.nnames = 2;
    struct df_filter_config cfg = {0};
    cfg.include[DF_SIGNAL_LOGS] = &inc;
    struct df_filter *f = (struct df_filter *)1;
    char err[256];
    assert_int_equal(df_filter_new(&cfg, &f, err, sizeof err), DF_EINVAL);
    assert_null(f);
    assert_non_null(strstr(err, "(unclosed"));
    char msg[128];
    assert_int_equal(df_filter_regex_check("a[", msg, sizeof msg), DF_EINVAL);
    assert_true(msg[0] != 0);
    assert_int_equal(df_filter_regex_check("^a+(b|c)$", msg, sizeof msg), 0);
}

static void test_malformed(void **state)
{
    (void)state;
    struct df_filter_spec exc = {.match_type = DF_FILTER_STRICT};
    exc.names = (const char *const[]){"a"};
    exc.nnames = 1;
    struct df_filter_config cfg = {0};
    cfg.exclude[DF_SIGNAL_LOGS] = &exc;
    struct df_filter *f;
    assert_int_equal(df_filter_new(&cfg, &f, NULL, 0), 0);
    struct df_filter_result r;
    size_t len;
    uint8_t *buf = sample_logs(&len);
    /* Truncated anywhere inside the first resource: a framing error. */
    struct df_pb_reader rd = df_pb_reader_make(buf, len);
    struct df_pb_field first;
    assert_int_equal(df_pb_next(&rd, &first), 1);
    for (size_t cut = 1; cut < (size_t)(first.next - buf); cut++)
        assert_int_equal(df_filter_scan(f, DF_SIGNAL_LOGS, buf, cut, &r), DF_EPARSE);
    /* Field 1 of the request as a varint. */
    static const uint8_t bad[] = {0x08, 0x01};
    assert_int_equal(df_filter_scan(f, DF_SIGNAL_LOGS, bad, sizeof bad, &r), DF_EPARSE);
    /* A body of the wrong wire type. */
    static const uint8_t badbody[] = {0x0a, 0x06, 0x12, 0x04, 0x12, 0x02, 0x28, 0x01};
    assert_int_equal(df_filter_scan(f, DF_SIGNAL_LOGS, badbody, sizeof badbody, &r), DF_EPARSE);
    assert_int_equal(df_filter_scan(f, (enum df_signal)7, buf, len, &r), DF_EINVAL);
    /* Empty request: nothing in, nothing kept. */
    assert_int_equal(df_filter_scan(f, DF_SIGNAL_LOGS, NULL, 0, &r), 0);
    assert_int_equal(r.items_in, 0);
    free(buf);
    df_filter_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bodies_strict_include),
        cmocka_unit_test(test_bodies_regexp_exclude),
        cmocka_unit_test(test_severity_texts),
        cmocka_unit_test(test_severity_number),
        cmocka_unit_test(test_severity_parse),
        cmocka_unit_test(test_attributes_by_type),
        cmocka_unit_test(test_resource_attributes),
        cmocka_unit_test(test_include_and_exclude),
        cmocka_unit_test(test_nothing_and_everything),
        cmocka_unit_test(test_spans),
        cmocka_unit_test(test_metrics),
        cmocka_unit_test(test_generated_half_by_attribute),
        cmocka_unit_test(test_generated_by_severity),
        cmocka_unit_test(test_generated_traces_and_metrics),
        cmocka_unit_test(test_bad_regexp),
        cmocka_unit_test(test_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
