/* extensions/file_storage/dataset.c — the dataset parsers (CSV, JSON lines,
 * YAML) and the snapshot they build. See dataset.h. A parser feeds a
 * builder (the fields' strings in one growing buffer, the attributes and
 * rows as offsets into it); the builder then makes the snapshot in one
 * allocation and checks the keys while filling the hash table. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <yaml.h>

#include "extensions/file_storage/dataset.h"

const char *const fs_format_names[] = {
#define FS_FORMAT_NAME(name, text) text,
    FS_FORMATS(FS_FORMAT_NAME)
#undef FS_FORMAT_NAME
        NULL};

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcmp(s + n - k, suffix);
}

enum fs_format fs_format_of_path(const char *path)
{
    if (ends_with(path, ".csv"))
        return FS_FORMAT_CSV;
    if (ends_with(path, ".jsonl") || ends_with(path, ".ndjson"))
        return FS_FORMAT_JSONL;
    if (ends_with(path, ".yaml") || ends_with(path, ".yml"))
        return FS_FORMAT_YAML;
    return FS_FORMAT_AUTO;
}

/* ---- the builder ------------------------------------------------------------ */

struct battr {
    size_t name, value, vlen; /* offsets into strs */
};

struct brow {
    size_t first, n, line;
    size_t key; /* index of the key attribute */
};

struct builder {
    const char *keyname;
    struct fs_parse_error *err;
    char *strs;
    size_t slen, scap;
    struct battr *attrs;
    size_t nattrs, acap;
    struct brow *rows;
    size_t nrows, rcap;
    size_t row_first; /* first attribute of the row being read */
};

static int fail(struct builder *b, size_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct builder *b, size_t line, const char *fmt, ...)
{
    b->err->line = line;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b->err->msg, sizeof b->err->msg, fmt, ap);
    va_end(ap);
    return -1;
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap : 64;
    while (n < need)
        n *= 2;
    void *q = realloc(*p, n * elem);
    if (!q)
        return -1;
    *p = q;
    *cap = n;
    return 0;
}

/* Appends `n` bytes to the string buffer (not NUL-terminated yet). */
static int put(struct builder *b, size_t line, const char *s, size_t n)
{
    if (grow((void **)&b->strs, &b->scap, b->slen + n + 1, 1) < 0)
        return fail(b, line, "out of memory");
    memcpy(b->strs + b->slen, s, n);
    b->slen += n;
    return 0;
}

/* Ends the string that began at `start`: NUL-terminates it and checks it. */
static int end_str(struct builder *b, size_t line, size_t start, const char *what)
{
    size_t n = b->slen - start;
    if (n > FS_FIELD_MAX)
        return fail(b, line, "a %s is longer than 64KiB", what);
    if (memchr(b->strs + start, 0, n))
        return fail(b, line, "a %s holds a NUL byte", what);
    if (put(b, line, "", 0) < 0)
        return -1;
    b->strs[b->slen++] = 0;
    return 0;
}

static int str(struct builder *b, size_t line, const char *s, size_t n, const char *what,
               size_t *off)
{
    *off = b->slen;
    if (put(b, line, s, n) < 0)
        return -1;
    return end_str(b, line, *off, what);
}

static int attr(struct builder *b, size_t line, size_t name, size_t value)
{
    if (b->nattrs - b->row_first >= FS_COLUMNS_MAX)
        return fail(b, line, "a row has more than %u fields", FS_COLUMNS_MAX);
    if (grow((void **)&b->attrs, &b->acap, b->nattrs + 1, sizeof *b->attrs) < 0)
        return fail(b, line, "out of memory");
    b->attrs[b->nattrs++] =
        (struct battr){.name = name, .value = value, .vlen = strlen(b->strs + value)};
    return 0;
}

/* Ends the row begun at attribute row_first; `unique` checks that no two
 * fields have the same name (formats whose parser does not). */
static int row_end(struct builder *b, size_t line, bool unique)
{
    size_t first = b->row_first, n = b->nattrs - first, key = SIZE_MAX;
    for (size_t i = first; i < b->nattrs; i++) {
        const char *name = b->strs + b->attrs[i].name;
        if (!*name)
            return fail(b, line, "a field has an empty name");
        for (size_t k = first; unique && k < i; k++) {
            if (!strcmp(name, b->strs + b->attrs[k].name))
                return fail(b, line, "the field '%.64s' appears twice in the row", name);
        }
        if (!strcmp(name, b->keyname))
            key = i;
    }
    if (key == SIZE_MAX)
        return fail(b, line, "the row has no key field '%.64s'", b->keyname);
    if (!b->attrs[key].vlen)
        return fail(b, line, "the row's key (field '%.64s') is empty", b->keyname);
    if (b->nrows >= FS_ROWS_MAX)
        return fail(b, line, "the dataset has more than %u rows", FS_ROWS_MAX);
    if (grow((void **)&b->rows, &b->rcap, b->nrows + 1, sizeof *b->rows) < 0)
        return fail(b, line, "out of memory");
    b->rows[b->nrows++] = (struct brow){.first = first, .n = n, .line = line, .key = key};
    b->row_first = b->nattrs;
    return 0;
}

static uint64_t hash(const char *s, size_t n)
{
    uint64_t h = 14695981039346656037ull; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h ^ (h >> 29);
}

const struct fs_row *fs_dataset_find(const struct fs_dataset *ds, const char *key, size_t len)
{
    for (uint32_t i = (uint32_t)hash(key, len) & ds->mask;; i = (i + 1) & ds->mask) {
        uint32_t slot = ds->slots[i];
        if (!slot)
            return NULL;
        const struct fs_row *r = &ds->rows[slot - 1];
        if (r->keylen == len && !memcmp(r->key, key, len))
            return r;
    }
}

/* Makes the snapshot: [header | rows | attrs | slots | strings]. */
static struct fs_dataset *build(struct builder *b)
{
    size_t nslots = 8;
    while (nslots < b->nrows * 2)
        nslots *= 2;
    size_t hdr = (sizeof(struct fs_dataset) + 15) & ~(size_t)15;
    size_t rows = b->nrows * sizeof(struct fs_row);
    size_t attrs = b->nattrs * sizeof(struct df_dataset_attr);
    size_t slots = nslots * sizeof(uint32_t);
    size_t total = hdr + rows + attrs + slots + b->slen;
    char *mem = calloc(1, total);
    if (!mem) {
        fail(b, 0, "out of memory (%zu bytes for the snapshot)", total);
        return NULL;
    }
    struct fs_dataset *ds = (struct fs_dataset *)mem;
    ds->rows = (struct fs_row *)(mem + hdr);
    struct df_dataset_attr *a = (struct df_dataset_attr *)(mem + hdr + rows);
    ds->slots = (uint32_t *)(mem + hdr + rows + attrs);
    char *s = mem + hdr + rows + attrs + slots;
    if (b->slen)
        memcpy(s, b->strs, b->slen);
    ds->nrows = b->nrows;
    ds->bytes = total;
    ds->mask = (uint32_t)(nslots - 1);
    for (size_t i = 0; i < b->nattrs; i++)
        a[i] = (struct df_dataset_attr){s + b->attrs[i].name, s + b->attrs[i].value};
    for (size_t r = 0; r < b->nrows; r++) {
        const struct brow *br = &b->rows[r];
        struct fs_row *row = &ds->rows[r];
        const struct battr *k = &b->attrs[br->key];
        *row = (struct fs_row){.key = s + k->value,
                               .keylen = (uint32_t)k->vlen,
                               .nattrs = (uint32_t)br->n,
                               .attrs = a + br->first};
        uint32_t i = (uint32_t)hash(row->key, row->keylen) & ds->mask;
        for (; ds->slots[i]; i = (i + 1) & ds->mask) {
            const struct fs_row *o = &ds->rows[ds->slots[i] - 1];
            if (o->keylen == row->keylen && !memcmp(o->key, row->key, row->keylen)) {
                fail(b, br->line, "the key is the same as the row's on line %zu",
                     b->rows[ds->slots[i] - 1].line);
                free(mem);
                return NULL;
            }
        }
        ds->slots[i] = (uint32_t)r + 1;
    }
    return ds;
}

/* ---- CSV (RFC 4180) ------------------------------------------------------- */

struct csv {
    const char *p, *end;
    size_t line;
};

/* Reads one field into the string buffer; *term is ',', '\n' or 0 (end). */
static int csv_field(struct builder *b, struct csv *c, size_t *off, char *term)
{
    *off = b->slen;
    size_t line = c->line;
    if (c->p < c->end && *c->p == '"') {
        c->p++;
        for (;;) {
            const char *q = c->p;
            while (q < c->end && *q != '"')
                q++;
            for (const char *n = c->p; n < q; n++)
                c->line += *n == '\n';
            if (put(b, line, c->p, (size_t)(q - c->p)) < 0)
                return -1;
            if (q == c->end)
                return fail(b, line, "a quoted field is not closed");
            c->p = q + 1;
            if (c->p < c->end && *c->p == '"') {
                if (put(b, line, "\"", 1) < 0)
                    return -1;
                c->p++;
                continue;
            }
            break;
        }
    } else {
        const char *q = c->p;
        while (q < c->end && *q != ',' && *q != '\n' && *q != '\r' && *q != '"')
            q++;
        if (q < c->end && *q == '"')
            return fail(b, c->line, "a quote inside an unquoted field (quote the whole field)");
        if (put(b, line, c->p, (size_t)(q - c->p)) < 0)
            return -1;
        c->p = q;
    }
    if (end_str(b, line, *off, "field") < 0)
        return -1;
    if (c->p == c->end) {
        *term = 0;
    } else if (*c->p == ',') {
        *term = ',';
        c->p++;
    } else if (*c->p == '\n' || (*c->p == '\r' && c->p + 1 < c->end && c->p[1] == '\n')) {
        *term = '\n';
        c->p += *c->p == '\r' ? 2 : 1;
        c->line++;
    } else {
        return fail(b, c->line,
                    *c->p == '\r' ? "a CR not followed by LF"
                                  : "a quoted field goes on after its closing quote");
    }
    return 0;
}

static bool csv_blank_line(struct csv *c)
{
    if (c->p < c->end && *c->p == '\n') {
        c->p++;
    } else if (c->end - c->p >= 2 && c->p[0] == '\r' && c->p[1] == '\n') {
        c->p += 2;
    } else {
        return false;
    }
    c->line++;
    return true;
}

static int parse_csv(struct builder *b, const char *buf, size_t len)
{
    struct csv c = {buf, buf + len, 1};
    size_t names[FS_COLUMNS_MAX], ncols = 0, off;
    char term = ',';
    while (csv_blank_line(&c))
        ;
    if (c.p == c.end)
        return fail(b, 0, "has no header row");
    size_t hline = c.line;
    while (term == ',') {
        if (ncols == FS_COLUMNS_MAX)
            return fail(b, hline, "the header has more than %u columns", FS_COLUMNS_MAX);
        if (csv_field(b, &c, &off, &term) < 0)
            return -1;
        if (!b->strs[off])
            return fail(b, hline, "column %zu of the header has no name", ncols + 1);
        for (size_t k = 0; k < ncols; k++) {
            if (!strcmp(b->strs + names[k], b->strs + off))
                return fail(b, hline, "the header names column '%.64s' twice", b->strs + off);
        }
        names[ncols++] = off;
    }
    bool has_key = false;
    for (size_t k = 0; k < ncols && !has_key; k++)
        has_key = !strcmp(b->strs + names[k], b->keyname);
    if (!has_key)
        return fail(b, hline, "the header has no key column '%.64s'", b->keyname);
    while (c.p < c.end) {
        if (csv_blank_line(&c))
            continue;
        size_t line = c.line, n = 0;
        term = ',';
        while (term == ',') {
            if (csv_field(b, &c, &off, &term) < 0)
                return -1;
            if (n == ncols)
                return fail(b, line, "the record has more fields than the header's %zu", ncols);
            if (attr(b, line, names[n++], off) < 0)
                return -1;
        }
        if (n != ncols)
            return fail(b, line, "the record has %zu fields, the header %zu", n, ncols);
        if (row_end(b, line, false) < 0)
            return -1;
    }
    return 0;
}

/* ---- JSON lines ------------------------------------------------------------ */

/* A scalar's text: strings as they are, integers and booleans as in JSON,
 * reals in their shortest form that reads back the same. */
static int json_text(struct builder *b, size_t line, json_t *v, size_t *off)
{
    char num[40];
    const char *s = num;
    size_t n;
    switch (json_typeof(v)) {
    case JSON_STRING:
        s = json_string_value(v);
        n = json_string_length(v);
        break;
    case JSON_INTEGER:
        n = (size_t)snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        break;
    case JSON_REAL: {
        double d = json_real_value(v);
        for (int prec = 1; prec <= 17; prec++) {
            snprintf(num, sizeof num, "%.*g", prec, d);
            if (strtod(num, NULL) == d)
                break;
        }
        n = strlen(num);
        break;
    }
    case JSON_TRUE:
        s = "true";
        n = 4;
        break;
    case JSON_FALSE:
        s = "false";
        n = 5;
        break;
    default:
        return fail(b, line, "a field's value is an object or an array (values are scalars)");
    }
    return str(b, line, s, n, "value", off);
}

static int parse_jsonl(struct builder *b, const char *buf, size_t len)
{
    const char *p = buf, *end = buf + len;
    for (size_t line = 1; p < end; line++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        const char *q = p;
        while (q < e && (*q == ' ' || *q == '\t' || *q == '\r'))
            q++;
        if (q < e) {
            json_error_t jerr;
            json_t *obj = json_loadb(p, (size_t)(e - p), JSON_REJECT_DUPLICATES, &jerr);
            if (!obj || !json_is_object(obj)) {
                json_decref(obj);
                /* jerr.text may quote the line: only its position is told. */
                return fail(b, line, "is not a JSON object%s (column %d)",
                            obj ? "" : " or not valid JSON", obj ? 1 : jerr.column);
            }
            const char *k;
            json_t *v;
            int rc = 0;
            json_object_foreach(obj, k, v)
            {
                size_t name = 0, value = 0;
                if (json_is_null(v))
                    continue;
                if ((rc = str(b, line, k, strlen(k), "name", &name)) < 0 ||
                    (rc = json_text(b, line, v, &value)) < 0 ||
                    (rc = attr(b, line, name, value)) < 0)
                    break;
            }
            json_decref(obj);
            if (rc < 0 || row_end(b, line, false) < 0)
                return -1;
        }
        p = nl ? nl + 1 : end;
    }
    return 0;
}

/* ---- YAML ------------------------------------------------------------------ */

struct yp {
    yaml_parser_t parser;
    yaml_event_t ev;
    bool have;
};

/* The next event into y->ev (the previous one deleted). */
static int y_next(struct builder *b, struct yp *y)
{
    if (y->have)
        yaml_event_delete(&y->ev);
    y->have = false;
    if (!yaml_parser_parse(&y->parser, &y->ev))
        return fail(b, y->parser.problem_mark.line + 1, "is not valid YAML: %s",
                    y->parser.problem ? y->parser.problem : "parse error");
    y->have = true;
    return 0;
}

static size_t y_line(const struct yp *y)
{
    return y->ev.start_mark.line + 1;
}

static int y_scalar(struct builder *b, struct yp *y, const char *what, size_t *off)
{
    if (y->ev.type != YAML_SCALAR_EVENT)
        return fail(b, y_line(y), "a row's %s is not a scalar (a row is a map of scalars)", what);
    return str(b, y_line(y), (const char *)y->ev.data.scalar.value, y->ev.data.scalar.length, what,
               off);
}

static int y_rows(struct builder *b, struct yp *y)
{
    if (y_next(b, y) < 0 || y_next(b, y) < 0)
        return -1; /* stream start, document start */
    if (y->ev.type == YAML_STREAM_END_EVENT)
        return fail(b, 0, "holds no YAML document");
    if (y_next(b, y) < 0)
        return -1;
    if (y->ev.type != YAML_SEQUENCE_START_EVENT)
        return fail(b, y_line(y), "is not a YAML sequence (of maps, one per row)");
    for (;;) {
        if (y_next(b, y) < 0)
            return -1;
        if (y->ev.type == YAML_SEQUENCE_END_EVENT)
            break;
        size_t line = y_line(y);
        if (y->ev.type != YAML_MAPPING_START_EVENT)
            return fail(b, line, "a row is not a map");
        for (;;) {
            size_t name = 0, value = 0;
            if (y_next(b, y) < 0)
                return -1;
            if (y->ev.type == YAML_MAPPING_END_EVENT)
                break;
            if (y_scalar(b, y, "field name", &name) < 0 || y_next(b, y) < 0 ||
                y_scalar(b, y, "value", &value) < 0 || attr(b, y_line(y), name, value) < 0)
                return -1;
        }
        if (row_end(b, line, true) < 0)
            return -1;
    }
    if (y_next(b, y) < 0 || y_next(b, y) < 0)
        return -1; /* document end, then the stream's end */
    if (y->ev.type != YAML_STREAM_END_EVENT)
        return fail(b, y_line(y), "holds more than one YAML document");
    return 0;
}

static int parse_yaml(struct builder *b, const char *buf, size_t len)
{
    struct yp y = {.have = false};
    if (!yaml_parser_initialize(&y.parser))
        return fail(b, 0, "out of memory");
    yaml_parser_set_input_string(&y.parser, (const unsigned char *)buf, len);
    int rc = y_rows(b, &y);
    if (y.have)
        yaml_event_delete(&y.ev);
    yaml_parser_delete(&y.parser);
    return rc;
}

/* ---- entry point ----------------------------------------------------------- */

struct fs_dataset *fs_dataset_parse(const char *buf, size_t len, enum fs_format format,
                                    const char *key, struct fs_parse_error *err)
{
    struct builder b = {.keyname = key, .err = err};
    *err = (struct fs_parse_error){0};
    if (len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3)) { /* a UTF-8 BOM (spreadsheet exports) */
        buf += 3;
        len -= 3;
    }
    size_t i = 0;
    while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' || buf[i] == '\n'))
        i++;
    int rc;
    if (len > FS_FILE_MAX)
        rc = fail(&b, 0, "is larger than 256MiB");
    else if (i == len)
        rc = fail(&b, 0, "is empty"); /* a truncated write never wipes the dataset */
    else if (format == FS_FORMAT_CSV)
        rc = parse_csv(&b, buf, len);
    else if (format == FS_FORMAT_JSONL)
        rc = parse_jsonl(&b, buf, len);
    else if (format == FS_FORMAT_YAML)
        rc = parse_yaml(&b, buf, len);
    else
        rc = fail(&b, 0, "has no known format");
    struct fs_dataset *ds = rc < 0 ? NULL : build(&b);
    free(b.strs);
    free(b.attrs);
    free(b.rows);
    return ds;
}
