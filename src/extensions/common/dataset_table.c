/* extensions/common/dataset_table.c — building and probing the immutable
 * dataset tables of dataset_table.h. */
#include <malloc.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/grow.h"
#include "df/error.h"
#include "extensions/common/dataset_table.h"

/* A 64-bit hash read 8 bytes at a time (a multiply and a shift per word,
 * then a final mix), several times faster than a byte-wise one on the keys
 * datasets have (host names, ids: 10 to 60 bytes). The keys come from the
 * operator's own dataset, not from senders (a lookup inserts nothing), so
 * a keyed hash buys nothing here. */
static uint64_t hash(const char *s, size_t len)
{
    const uint64_t k = 0x9e3779b97f4a7c15ull;
    uint64_t h = (uint64_t)len * k, w;
    for (; len >= 8; s += 8, len -= 8) {
        memcpy(&w, s, 8);
        h = (h ^ w) * k;
        h ^= h >> 29;
    }
    if (len) {
        w = 0;
        memcpy(&w, s, len);
        h = (h ^ w) * k;
        h ^= h >> 29;
    }
    h ^= h >> 32;
    h *= 0xd6e8feb86659fd93ull;
    return h ^ (h >> 32);
}

/* Appends s[0..len) and a NUL to the strings; sets *off. */
static int add_str(struct dataset_builder *b, const char *s, size_t len, size_t *off)
{
    if (len >= SIZE_MAX - b->slen - 1)
        return DF_ENOMEM;
    if (df_grow(&b->strs, &b->scap, b->slen + len + 1, 1) < 0)
        return DF_ENOMEM;
    if (len)
        memcpy(b->strs + b->slen, s, len);
    b->strs[b->slen + len] = 0;
    *off = b->slen;
    b->slen += len + 1;
    return 0;
}

void dataset_builder_init(struct dataset_builder *b)
{
    memset(b, 0, sizeof *b);
}

void dataset_builder_free(struct dataset_builder *b)
{
    free(b->strs);
    free(b->cols);
    free(b->rows);
    free(b->attrs);
    dataset_builder_init(b);
}

int dataset_builder_column(struct dataset_builder *b, const char *name, size_t len)
{
    const size_t mask = 2 * DATASET_COLS_LIMIT - 1; /* cslots: load factor <= 1/2 */
    size_t at = hash(name, len) & mask;
    for (; b->cslots[at]; at = (at + 1) & mask) {
        const struct dataset_bcol *c = &b->cols[b->cslots[at] - 1];
        if (c->len == len && !memcmp(b->strs + c->off, name, len))
            return b->cslots[at] - 1;
    }
    if (b->ncols >= DATASET_COLS_LIMIT)
        return DF_EINVAL;
    if (df_grow(&b->cols, &b->ccap, b->ncols + 1, sizeof *b->cols) < 0)
        return DF_ENOMEM;
    struct dataset_bcol *c = &b->cols[b->ncols];
    if (add_str(b, name, len, &c->off) < 0)
        return DF_ENOMEM;
    c->len = len;
    b->cslots[at] = (uint16_t)++b->ncols;
    return (int)b->ncols - 1;
}

int dataset_builder_row(struct dataset_builder *b, const char *key, size_t len)
{
    if (b->nrows >= DATASET_ROWS_LIMIT || len >= UINT32_MAX)
        return DF_EINVAL;
    if (df_grow(&b->rows, &b->rcap, b->nrows + 1, sizeof *b->rows) < 0)
        return DF_ENOMEM;
    struct dataset_brow *r = &b->rows[b->nrows];
    if (add_str(b, key, len, &r->koff) < 0)
        return DF_ENOMEM;
    r->klen = (uint32_t)len;
    r->first = (uint32_t)b->nattrs;
    r->nattrs = 0;
    r->hash = hash(key, len);
    b->nrows++;
    return 0;
}

int dataset_builder_attr(struct dataset_builder *b, size_t col, const char *value, size_t len)
{
    if (!b->nrows || col >= b->ncols || len >= UINT32_MAX || b->nattrs >= UINT32_MAX)
        return DF_EINVAL;
    struct dataset_brow *r = &b->rows[b->nrows - 1];
    for (size_t i = r->first; i < b->nattrs; i++) {
        if (b->attrs[i].col == col)
            return DF_EINVAL;
    }
    if (df_grow(&b->attrs, &b->acap, b->nattrs + 1, sizeof *b->attrs) < 0)
        return DF_ENOMEM;
    struct dataset_battr *a = &b->attrs[b->nattrs];
    if (add_str(b, value, len, &a->voff) < 0)
        return DF_ENOMEM;
    a->col = (uint32_t)col;
    a->vlen = (uint32_t)len;
    b->nattrs++;
    r->nattrs++;
    return 0;
}

static size_t align8(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

/* The slot count for `n` rows: a power of two, at least 2n (load <= 1/2). */
static size_t slots_for(size_t n)
{
    size_t nslots = 2;
    while (nslots < 2 * n)
        nslots *= 2;
    return nslots;
}

/* What the first pass over a builder's rows found: the kept rows (the
 * first of each key) as builder row index + 1 in a scratch hash table of
 * `tslots` slots, how many, and the room their attributes and strings
 * take. */
struct kept {
    uint32_t *tmp;
    size_t tslots, nrows, nattrs, sbytes;
};

/* The first pass: which rows are the first of their key; fills *dups.
 * Returns 0 or DF_ENOMEM. */
static int first_pass(const struct dataset_builder *b, struct kept *out, struct dataset_dups *dups)
{
    *dups = (struct dataset_dups){0};
    size_t tslots = slots_for(b->nrows);
    uint32_t tmask = (uint32_t)(tslots - 1);
    uint32_t *tmp = calloc(tslots, sizeof *tmp);
    if (!tmp)
        return DF_ENOMEM;
    size_t nrows = 0, nattrs = 0, sbytes = 0;
    for (size_t i = 0; i < b->nrows; i++) {
        const struct dataset_brow *r = &b->rows[i];
        size_t at = r->hash & tmask;
        bool dup = false;
        while (tmp[at]) {
            const struct dataset_brow *o = &b->rows[tmp[at] - 1];
            if (o->hash == r->hash && o->klen == r->klen &&
                !memcmp(b->strs + o->koff, b->strs + r->koff, r->klen)) {
                dup = true;
                break;
            }
            at = (at + 1) & tmask;
        }
        if (dup) {
            if (!dups->count++)
                *dups = (struct dataset_dups){.count = 1, .row = i, .first = tmp[at] - 1};
            continue;
        }
        tmp[at] = (uint32_t)(i + 1);
        nrows++;
        nattrs += r->nattrs;
        sbytes += r->klen + 1;
        for (size_t k = 0; k < r->nattrs; k++)
            sbytes += b->attrs[r->first + k].vlen + 1;
    }
    for (size_t c = 0; c < b->ncols; c++)
        sbytes += b->cols[c].len + 1;
    *out = (struct kept){
        .tmp = tmp, .tslots = tslots, .nrows = nrows, .nattrs = nattrs, .sbytes = sbytes};
    return 0;
}

int dataset_builder_dups(const struct dataset_builder *b, struct dataset_dups *dups)
{
    struct kept k;
    if (first_pass(b, &k, dups) < 0)
        return DF_ENOMEM;
    free(k.tmp);
    return 0;
}

struct dataset_table *dataset_table_finish(const struct dataset_builder *b, uint64_t version,
                                           struct dataset_dups *dups)
{
    struct kept kp;
    if (first_pass(b, &kp, dups) < 0)
        return NULL;
    uint32_t *tmp = kp.tmp;
    size_t tslots = kp.tslots, nrows = kp.nrows, nattrs = kp.nattrs, sbytes = kp.sbytes;
    /* The kept rows' indices, packed at the front of tmp. */
    size_t kept = 0;
    for (size_t at = 0; at < tslots; at++) {
        if (tmp[at])
            tmp[kept++] = tmp[at];
    }
    size_t nslots = slots_for(nrows); /* dropped rows take no slots */
    uint32_t mask = (uint32_t)(nslots - 1);
    /* One allocation: header, slots, rows, attributes, strings. */
    size_t o_slots = align8(sizeof(struct dataset_table));
    size_t o_rows = align8(o_slots + nslots * sizeof(uint32_t));
    size_t o_attrs = o_rows + nrows * sizeof(struct dataset_trow);
    size_t o_strs = o_attrs + nattrs * sizeof(struct df_dataset_attr);
    size_t size = o_strs + sbytes;
    char *mem = malloc(size);
    if (!mem) {
        free(tmp);
        return NULL;
    }
    struct dataset_table *t = (struct dataset_table *)mem;
    uint32_t *slots = (uint32_t *)(mem + o_slots);
    struct dataset_trow *rows = (struct dataset_trow *)(mem + o_rows);
    struct df_dataset_attr *attrs = (struct df_dataset_attr *)(mem + o_attrs);
    char *strs = mem + o_strs;
    const char *cols[DATASET_COLS_LIMIT];
    for (size_t c = 0; c < b->ncols; c++) {
        memcpy(strs, b->strs + b->cols[c].off, b->cols[c].len + 1);
        cols[c] = strs;
        strs += b->cols[c].len + 1;
    }
    /* Second pass: the kept rows, renumbered, into a table sized for them
     * (their keys are distinct: no comparison needed). */
    memset(slots, 0, nslots * sizeof *slots);
    size_t na = 0;
    for (size_t nr = 0; nr < kept; nr++) {
        const struct dataset_brow *r = &b->rows[tmp[nr] - 1];
        struct dataset_trow *out = &rows[nr];
        memcpy(strs, b->strs + r->koff, r->klen + 1);
        *out = (struct dataset_trow){
            .key = strs, .klen = r->klen, .nattrs = r->nattrs, .attrs = &attrs[na]};
        strs += r->klen + 1;
        for (size_t k = 0; k < r->nattrs; k++) {
            const struct dataset_battr *a = &b->attrs[r->first + k];
            memcpy(strs, b->strs + a->voff, a->vlen + 1);
            attrs[na++] = (struct df_dataset_attr){.key = cols[a->col], .value = strs};
            strs += a->vlen + 1;
        }
        size_t at = r->hash & mask;
        while (slots[at])
            at = (at + 1) & mask;
        slots[at] = (uint32_t)(nr + 1);
    }
    free(tmp);
    *t = (struct dataset_table){.size = size,
                                .version = version,
                                .nrows = nrows,
                                .mask = mask,
                                .slots = slots,
                                .rows = rows};
    return t;
}

const struct dataset_trow *dataset_table_find(const struct dataset_table *t, const char *key,
                                              size_t len)
{
    uint64_t h = hash(key, len);
    for (size_t at = h & t->mask;; at = (at + 1) & t->mask) {
        uint32_t i = t->slots[at];
        if (!i)
            return NULL; /* load factor <= 1/2: an empty slot always ends the probe */
        const struct dataset_trow *r = &t->rows[i - 1];
        if (r->klen == len && !memcmp(r->key, key, len))
            return r;
    }
}

void dataset_table_published(struct df_extension *ext, size_t rows, size_t bytes)
{
    df_extension_state_size(ext, rows, bytes);
    if (bytes >= (1u << 20))
        malloc_trim(0);
}

void dataset_table_free(void *table)
{
    free(table);
}

enum df_dataset_outcome dataset_table_lookup(const struct dataset_table *t, const char *key,
                                             size_t len, struct df_dataset_row *row)
{
    if (!t)
        return DF_DATASET_ERROR;
    const struct dataset_trow *r = dataset_table_find(t, key, len);
    if (!r)
        return DF_DATASET_NOT_FOUND;
    *row = (struct df_dataset_row){.attrs = r->attrs, .nattrs = r->nattrs, .snapshot = t->version};
    return DF_DATASET_FOUND;
}
