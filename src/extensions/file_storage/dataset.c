/* extensions/file_storage/dataset.c — the dataset parsers (CSV, JSON lines,
 * YAML) and the snapshot they build. See dataset.h. A parser collects a
 * row's fields (their values in one growing buffer), then hands the row to
 * a dataset builder (extensions/common/dataset_table.h): its key field as
 * the key, the others as attributes; the builder makes the table. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <yaml.h>

#include "core/grow.h"
#include "df/error.h"
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

/* ---- the parser's state and rows ---------------------------------------- */

/* The column of the key field (not an attribute: the row's key). */
#define KEY_COL (-1)

/* A field of the row being read: its column and its value's place in text. */
struct pfield {
    int col;
    size_t off, len;
};

struct parser {
    const char *keyname;
    size_t keylen;
    struct fs_parse_error *err;
    struct dataset_builder b;
    char *text; /* the values of the row being read (a CSV field's too) */
    size_t tlen, tcap;
    struct pfield *fields; /* the fields of the row being read */
    size_t nfields, fcap;
    size_t *lines; /* each row's line, for the duplicate key error */
    size_t lcap;
};

static int fail(struct parser *p, size_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct parser *p, size_t line, const char *fmt, ...)
{
    p->err->line = line;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err->msg, sizeof p->err->msg, fmt, ap);
    va_end(ap);
    return -1;
}

/* Appends s[0..n) to the text of the row (allocated after, even for n = 0:
 * a field's value always points into it). */
static int put(struct parser *p, size_t line, const char *s, size_t n)
{
    if (df_grow(&p->text, &p->tcap, p->tlen + n + 1, 1) < 0)
        return fail(p, line, "out of memory");
    if (n)
        memcpy(p->text + p->tlen, s, n);
    p->tlen += n;
    return 0;
}

/* Refuses a name or value longer than FS_FIELD_MAX or holding a NUL. */
static int check_str(struct parser *p, size_t line, const char *s, size_t n, const char *what)
{
    if (n > FS_FIELD_MAX)
        return fail(p, line, "a %s is longer than 64KiB", what);
    if (memchr(s, 0, n))
        return fail(p, line, "a %s holds a NUL byte", what);
    return 0;
}

/* The column of field name[0..n) into *col: KEY_COL for the key field. */
static int column(struct parser *p, size_t line, const char *name, size_t n, int *col)
{
    if (check_str(p, line, name, n, "name") < 0)
        return -1;
    if (!n)
        return fail(p, line, "a field has an empty name");
    if (n == p->keylen && !memcmp(name, p->keyname, n)) {
        *col = KEY_COL;
        return 0;
    }
    *col = dataset_builder_column(&p->b, name, n);
    if (*col == DF_EINVAL)
        return fail(p, line, "the dataset has more than %u distinct field names",
                    DATASET_COLS_LIMIT);
    return *col < 0 ? fail(p, line, "out of memory") : 0;
}

/* Adds to the row the field of column `col` whose value is
 * text[off..p->tlen). */
static int field(struct parser *p, size_t line, int col, size_t off)
{
    if (check_str(p, line, p->text + off, p->tlen - off, "value") < 0)
        return -1;
    if (p->nfields >= FS_COLUMNS_MAX)
        return fail(p, line, "a row has more than %u fields", FS_COLUMNS_MAX);
    if (df_grow(&p->fields, &p->fcap, p->nfields + 1, sizeof *p->fields) < 0)
        return fail(p, line, "out of memory");
    p->fields[p->nfields++] = (struct pfield){.col = col, .off = off, .len = p->tlen - off};
    return 0;
}

/* Adds to the row the field of column `col` whose value is s[0..n). */
static int value(struct parser *p, size_t line, int col, const char *s, size_t n)
{
    size_t off = p->tlen;
    return put(p, line, s, n) < 0 ? -1 : field(p, line, col, off);
}

/* Ends the row read since the last one: its key field becomes its key, its
 * other fields its attributes. */
static int row_end(struct parser *p, size_t line)
{
    const struct pfield *key = NULL;
    for (size_t i = 0; i < p->nfields; i++) {
        if (p->fields[i].col != KEY_COL)
            continue;
        if (key)
            return fail(p, line, "the field '%.64s' appears twice in the row", p->keyname);
        key = &p->fields[i];
    }
    if (!key)
        return fail(p, line, "the row has no key field '%.64s'", p->keyname);
    if (!key->len)
        return fail(p, line, "the row's key (field '%.64s') is empty", p->keyname);
    size_t row = p->b.nrows;
    if (row >= FS_ROWS_MAX)
        return fail(p, line, "the dataset has more than %u rows", FS_ROWS_MAX);
    if (df_grow(&p->lines, &p->lcap, row + 1, sizeof *p->lines) < 0 ||
        dataset_builder_row(&p->b, p->text + key->off, key->len) < 0)
        return fail(p, line, "out of memory");
    p->lines[row] = line;
    for (size_t i = 0; i < p->nfields; i++) {
        const struct pfield *f = &p->fields[i];
        if (f == key)
            continue;
        int rc = dataset_builder_attr(&p->b, (size_t)f->col, p->text + f->off, f->len);
        if (rc == DF_EINVAL) /* the column's second value in the row */
            return fail(p, line, "the field '%.64s' appears twice in the row",
                        p->b.strs + p->b.cols[f->col].off);
        if (rc < 0)
            return fail(p, line, "out of memory");
    }
    p->tlen = p->nfields = 0;
    return 0;
}

/* ---- CSV (RFC 4180) ------------------------------------------------------- */

struct csv {
    const char *p, *end;
    size_t line;
};

/* Reads one field, unquoted, onto the row's text from *off; *term is ',',
 * '\n' or 0 (end). */
static int csv_field(struct parser *p, struct csv *c, size_t *off, char *term)
{
    *off = p->tlen;
    size_t line = c->line;
    if (c->p < c->end && *c->p == '"') {
        c->p++;
        for (;;) {
            const char *q = c->p;
            while (q < c->end && *q != '"')
                q++;
            for (const char *n = c->p; n < q; n++)
                c->line += *n == '\n';
            if (put(p, line, c->p, (size_t)(q - c->p)) < 0)
                return -1;
            if (q == c->end)
                return fail(p, line, "a quoted field is not closed");
            c->p = q + 1;
            if (c->p < c->end && *c->p == '"') {
                if (put(p, line, "\"", 1) < 0)
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
            return fail(p, c->line, "a quote inside an unquoted field (quote the whole field)");
        if (put(p, line, c->p, (size_t)(q - c->p)) < 0)
            return -1;
        c->p = q;
    }
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
        return fail(p, c->line,
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

/* The header row: the column of each field into cols[0..*ncols). */
static int csv_header(struct parser *p, struct csv *c, int *cols, size_t *ncols)
{
    size_t line = c->line, off;
    bool has_key = false;
    char term = ',';
    *ncols = 0;
    while (term == ',') {
        if (*ncols == FS_COLUMNS_MAX)
            return fail(p, line, "the header has more than %u columns", FS_COLUMNS_MAX);
        size_t before = p->b.ncols;
        int col;
        if (csv_field(p, c, &off, &term) < 0)
            return -1;
        if (off == p->tlen)
            return fail(p, line, "column %zu of the header has no name", *ncols + 1);
        if (column(p, line, p->text + off, p->tlen - off, &col) < 0)
            return -1;
        if ((col == KEY_COL && has_key) || (col != KEY_COL && (size_t)col < before))
            return fail(p, line, "the header names column '%.64s' twice",
                        col == KEY_COL ? p->keyname : p->b.strs + p->b.cols[col].off);
        has_key |= col == KEY_COL;
        cols[(*ncols)++] = col;
    }
    p->tlen = 0;
    if (!has_key)
        return fail(p, line, "the header has no key column '%.64s'", p->keyname);
    return 0;
}

static int parse_csv(struct parser *p, const char *buf, size_t len)
{
    struct csv c = {buf, buf + len, 1};
    int cols[FS_COLUMNS_MAX];
    size_t ncols, off;
    while (csv_blank_line(&c))
        ;
    if (c.p == c.end)
        return fail(p, 0, "has no header row");
    if (csv_header(p, &c, cols, &ncols) < 0)
        return -1;
    while (c.p < c.end) {
        if (csv_blank_line(&c))
            continue;
        size_t line = c.line, n = 0;
        char term = ',';
        while (term == ',') {
            if (csv_field(p, &c, &off, &term) < 0)
                return -1;
            if (n == ncols)
                return fail(p, line, "the record has more fields than the header's %zu", ncols);
            if (field(p, line, cols[n++], off) < 0)
                return -1;
        }
        if (n != ncols)
            return fail(p, line, "the record has %zu fields, the header %zu", n, ncols);
        if (row_end(p, line) < 0)
            return -1;
    }
    return 0;
}

/* ---- JSON lines ------------------------------------------------------------ */

/* A scalar's text into *s, *n: strings as they are, integers and booleans
 * as in JSON, reals in their shortest form that reads back the same (in
 * num). */
static int json_text(struct parser *p, size_t line, json_t *v, char num[40], const char **s,
                     size_t *n)
{
    *s = num;
    switch (json_typeof(v)) {
    case JSON_STRING:
        *s = json_string_value(v);
        *n = json_string_length(v);
        return 0;
    case JSON_INTEGER:
        *n = (size_t)snprintf(num, 40, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return 0;
    case JSON_REAL: {
        double d = json_real_value(v);
        for (int prec = 1; prec <= 17; prec++) {
            snprintf(num, 40, "%.*g", prec, d);
            if (strtod(num, NULL) == d)
                break;
        }
        *n = strlen(num);
        return 0;
    }
    case JSON_TRUE:
        *s = "true";
        *n = 4;
        return 0;
    case JSON_FALSE:
        *s = "false";
        *n = 5;
        return 0;
    default:
        return fail(p, line, "a field's value is an object or an array (values are scalars)");
    }
}

/* One line's object as a row. */
static int jsonl_row(struct parser *p, size_t line, json_t *obj)
{
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v)
    {
        char num[40];
        const char *text = NULL;
        size_t n = 0;
        int col;
        if (json_is_null(v))
            continue;
        if (column(p, line, k, strlen(k), &col) < 0 || json_text(p, line, v, num, &text, &n) < 0 ||
            value(p, line, col, text, n) < 0)
            return -1;
    }
    return row_end(p, line);
}

static int parse_jsonl(struct parser *p, const char *buf, size_t len)
{
    const char *at = buf, *end = buf + len;
    for (size_t line = 1; at < end; line++) {
        const char *nl = memchr(at, '\n', (size_t)(end - at));
        const char *e = nl ? nl : end;
        const char *q = at;
        while (q < e && (*q == ' ' || *q == '\t' || *q == '\r'))
            q++;
        if (q < e) {
            json_error_t jerr;
            json_t *obj = json_loadb(at, (size_t)(e - at), JSON_REJECT_DUPLICATES, &jerr);
            if (!obj || !json_is_object(obj)) {
                json_decref(obj);
                /* jerr.text may quote the line: only its position is told. */
                return fail(p, line, "is not a JSON object%s (column %d)",
                            obj ? "" : " or not valid JSON", obj ? 1 : jerr.column);
            }
            int rc = jsonl_row(p, line, obj);
            json_decref(obj);
            if (rc < 0)
                return -1;
        }
        at = nl ? nl + 1 : end;
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
static int y_next(struct parser *p, struct yp *y)
{
    if (y->have)
        yaml_event_delete(&y->ev);
    y->have = false;
    if (!yaml_parser_parse(&y->parser, &y->ev))
        return fail(p, y->parser.problem_mark.line + 1, "is not valid YAML: %s",
                    y->parser.problem ? y->parser.problem : "parse error");
    y->have = true;
    return 0;
}

static size_t y_line(const struct yp *y)
{
    return y->ev.start_mark.line + 1;
}

/* The current event's scalar into *s, *n. */
static int y_scalar(struct parser *p, struct yp *y, const char *what, const char **s, size_t *n)
{
    if (y->ev.type != YAML_SCALAR_EVENT)
        return fail(p, y_line(y), "a row's %s is not a scalar (a row is a map of scalars)", what);
    *s = (const char *)y->ev.data.scalar.value;
    *n = y->ev.data.scalar.length;
    return 0;
}

/* One map as a row (its start event read). */
static int y_row(struct parser *p, struct yp *y)
{
    size_t line = y_line(y);
    if (y->ev.type != YAML_MAPPING_START_EVENT)
        return fail(p, line, "a row is not a map");
    for (;;) {
        const char *s = NULL;
        size_t n = 0;
        int col;
        if (y_next(p, y) < 0)
            return -1;
        if (y->ev.type == YAML_MAPPING_END_EVENT)
            break;
        if (y_scalar(p, y, "field name", &s, &n) < 0 || column(p, y_line(y), s, n, &col) < 0 ||
            y_next(p, y) < 0 || y_scalar(p, y, "value", &s, &n) < 0 ||
            value(p, y_line(y), col, s, n) < 0)
            return -1;
    }
    return row_end(p, line);
}

static int y_rows(struct parser *p, struct yp *y)
{
    if (y_next(p, y) < 0 || y_next(p, y) < 0)
        return -1; /* stream start, document start */
    if (y->ev.type == YAML_STREAM_END_EVENT)
        return fail(p, 0, "holds no YAML document");
    if (y_next(p, y) < 0)
        return -1;
    if (y->ev.type != YAML_SEQUENCE_START_EVENT)
        return fail(p, y_line(y), "is not a YAML sequence (of maps, one per row)");
    for (;;) {
        if (y_next(p, y) < 0)
            return -1;
        if (y->ev.type == YAML_SEQUENCE_END_EVENT)
            break;
        if (y_row(p, y) < 0)
            return -1;
    }
    if (y_next(p, y) < 0 || y_next(p, y) < 0)
        return -1; /* document end, then the stream's end */
    if (y->ev.type != YAML_STREAM_END_EVENT)
        return fail(p, y_line(y), "holds more than one YAML document");
    return 0;
}

static int parse_yaml(struct parser *p, const char *buf, size_t len)
{
    struct yp y = {.have = false};
    if (!yaml_parser_initialize(&y.parser))
        return fail(p, 0, "out of memory");
    yaml_parser_set_input_string(&y.parser, (const unsigned char *)buf, len);
    int rc = y_rows(p, &y);
    if (y.have)
        yaml_event_delete(&y.ev);
    yaml_parser_delete(&y.parser);
    return rc;
}

/* ---- entry point ----------------------------------------------------------- */

static int parse(struct parser *p, const char *buf, size_t len, enum fs_format format)
{
    if (len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3)) { /* a UTF-8 BOM (spreadsheet exports) */
        buf += 3;
        len -= 3;
    }
    size_t i = 0;
    while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' || buf[i] == '\n'))
        i++;
    if (len > FS_FILE_MAX)
        return fail(p, 0, "is larger than 256MiB");
    if (i == len)
        return fail(p, 0, "is empty"); /* a truncated write never wipes the dataset */
    if (format == FS_FORMAT_CSV)
        return parse_csv(p, buf, len);
    if (format == FS_FORMAT_JSONL)
        return parse_jsonl(p, buf, len);
    if (format == FS_FORMAT_YAML)
        return parse_yaml(p, buf, len);
    return fail(p, 0, "has no known format");
}

/* Parses buf[0..len) into *out (a table), or with `out` NULL only checks
 * it (the repeated keys found without building the table). Returns 0 or -1
 * with *err filled. */
static int load(const char *buf, size_t len, enum fs_format format, const char *key,
                uint64_t version, struct fs_parse_error *err, struct dataset_table **out)
{
    struct parser p = {.keyname = key, .keylen = strlen(key), .err = err};
    *err = (struct fs_parse_error){0};
    dataset_builder_init(&p.b);
    struct dataset_dups dups = {0};
    int rc = parse(&p, buf, len, format);
    if (rc == 0 && out && !(*out = dataset_table_finish(&p.b, version, &dups)))
        rc = fail(&p, 0, "out of memory building the snapshot");
    else if (rc == 0 && !out && dataset_builder_dups(&p.b, &dups) < 0)
        rc = fail(&p, 0, "out of memory");
    if (rc == 0 && dups.count) {
        rc = fail(&p, p.lines[dups.row], "the key is the same as the row's on line %zu",
                  p.lines[dups.first]);
        if (out) {
            dataset_table_free(*out);
            *out = NULL;
        }
    }
    dataset_builder_free(&p.b);
    free(p.text);
    free(p.fields);
    free(p.lines);
    return rc;
}

struct dataset_table *fs_dataset_parse(const char *buf, size_t len, enum fs_format format,
                                       const char *key, uint64_t version,
                                       struct fs_parse_error *err)
{
    struct dataset_table *t = NULL;
    return load(buf, len, format, key, version, err, &t) == 0 ? t : NULL;
}

int fs_dataset_check(const char *buf, size_t len, enum fs_format format, const char *key,
                     struct fs_parse_error *err)
{
    return load(buf, len, format, key, 0, err, NULL);
}
