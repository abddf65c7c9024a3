/* libFuzzer target: OTLP record filtering (otlp/filter.h). The first byte
 * picks the signal and whether the rule is an include or an exclude, the
 * second picks one small rule (strict or regexp, on names, severities,
 * record or resource attributes); the rest is the request. Beyond crashes
 * and sanitizer reports it checks that a request df_otlp_count accepts is
 * scanned without error into an output df_otlp_count accepts too, holding
 * exactly the items the scan says were kept and no more than the input,
 * and that compacting the request in place writes the same bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "df/error.h"
#include "otlp/filter.h"
#include "otlp/otlp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const names[] = {"a", "GET /users", "system.cpu.utilization", "^h.*$", "(x|y)+"};
static const char *const texts[] = {"INFO", "ERR|WARN"};
static const struct df_filter_kv attrs[] = {
    {"http.response.status_code", "^[45]"}, {"error", "true"}, {"url.path", NULL}, {"k", ""}};
static const struct df_filter_kv res[] = {{"service.name", "df_engine.traffic_generator"}};

#define NRULES 8

static void rule(unsigned pick, struct df_filter_spec *sp)
{
    *sp = (struct df_filter_spec){.match_type = (pick & 8) ? DF_FILTER_REGEXP : DF_FILTER_STRICT};
    switch (pick % NRULES) {
    case 0:
        sp->names = names;
        sp->nnames = 3;
        break;
    case 1:
        sp->names = names + 3;
        sp->nnames = 2;
        break;
    case 2:
        sp->severity_texts = texts;
        sp->nseverity_texts = 2;
        break;
    case 3:
        sp->severity = true;
        sp->severity_min = (int32_t)(pick >> 4);
        sp->match_undefined = pick & 16;
        break;
    case 4:
        sp->attributes = attrs;
        sp->nattributes = 2;
        break;
    case 5:
        sp->attributes = attrs + 2;
        sp->nattributes = 2;
        break;
    case 6:
        sp->resource_attributes = res;
        sp->nresource_attributes = 1;
        break;
    default:
        sp->names = names;
        sp->nnames = 5;
        sp->attributes = attrs;
        sp->nattributes = 1;
        sp->resource_attributes = res;
        sp->nresource_attributes = 1;
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct df_filter *filters[2 * 256];
    if (size < 2)
        return 0;
    enum df_signal sig = (enum df_signal)((data[0] & 0x7f) % DF_SIGNAL_COUNT);
    bool exclude = data[0] & 0x80;
    unsigned pick = data[1];
    const uint8_t *buf = data + 2;
    size_t len = size - 2;

    /* Filters are built once per (mode, rule) and reused, as on a core. */
    struct df_filter **slot = &filters[(exclude ? 256 : 0) + pick];
    if (!*slot) {
        struct df_filter_spec *sp = malloc(sizeof *sp);
        if (!sp)
            abort();
        rule(pick, sp);
        struct df_filter_config cfg = {0};
        for (int s = 0; s < DF_SIGNAL_COUNT; s++) {
            if (exclude)
                cfg.exclude[s] = sp;
            else
                cfg.include[s] = sp;
        }
        if (df_filter_new(&cfg, slot, NULL, 0) != 0)
            abort();
        free(sp); /* the filter copied what it needs */
    }
    struct df_filter *f = *slot;

    uint64_t items = 0;
    int vrc = df_otlp_count(sig, buf, len, &items);
    struct df_filter_result r;
    int rc = df_filter_scan(f, sig, buf, len, &r);
    if (rc != 0 && rc != DF_EPARSE)
        abort();
    if (vrc == 0) {
        if (rc != 0 || r.items_in != items || r.items_kept > items)
            abort();
    }
    if (rc == 0 && r.items_kept != r.items_in && r.items_kept != 0) {
        uint8_t *out = malloc(r.out_len ? r.out_len : 1);
        if (!out)
            abort();
        if (df_filter_write(f, buf, len, out) != r.out_len)
            abort();
        uint64_t kept = 0;
        if (vrc == 0 && (df_otlp_count(sig, out, r.out_len, &kept) != 0 || kept != r.items_kept))
            abort();
        /* Compacting in place gives the same bytes. */
        uint8_t *in = malloc(len ? len : 1);
        if (!in)
            abort();
        memcpy(in, buf, len);
        if (df_filter_write(f, in, len, in) != r.out_len || memcmp(in, out, r.out_len))
            abort();
        free(in);
        free(out);
    }
    return 0;
}
