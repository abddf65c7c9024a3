/* YAML/JSON text -> df_value tree (config/load.h), built from libyaml events.
 *
 * The tree is built without recursion: open sequences and mappings sit on an
 * explicit stack of at most MAX_DEPTH frames, and every finished node is
 * placed into the frame on top. Aliases share the anchored subtree; each
 * anchor remembers its subtree's height so that an alias cannot make the
 * tree deeper than MAX_DEPTH either, which keeps every later recursive walk
 * bounded. Errors are collected and loading goes on, except after a libyaml
 * syntax error (libyaml cannot resume), a nest deeper than MAX_DEPTH (libyaml
 * takes time quadratic in nesting depth) or memory exhaustion. libyaml's own
 * state is the only memory outside the arena and is released on every path. */
#include "config/load.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <yaml.h>

#include "config/env.h"

#define MAX_DEPTH     256
#define MAX_FILE_SIZE ((size_t)64 << 20)
#define SMALL_MAP     8 /* mappings up to this size check duplicates by scanning */

#define ENV_HINT "set the variable or give a default: ${env:VAR:-value} (write $$ for a literal $)"

enum { GO = 0, STOP = 1 }; /* handler results; negative values are DF_E* codes */

/* String -> size_t table, open addressing, grown by doubling in the arena. */
struct strtab_slot {
    const char *key;
    size_t val;
};

struct strtab {
    struct strtab_slot *slots;
    size_t cap; /* 0 or a power of two */
    size_t count;
};

struct anchor {
    struct df_value *value;
    uint32_t height; /* containers on the longest path down, 0 for a scalar */
    bool open;       /* its container is still being built */
};

struct frame {
    struct df_value *v;
    bool dropped;    /* in a rejected key or the value of one: not substituted */
    size_t anchor;   /* index + 1 into loader.anchors, 0 when not anchored */
    uint32_t height; /* 1 + the tallest child so far */
    size_t count, cap;
    struct df_value **items;        /* sequences */
    struct df_value_entry *entries; /* mappings */
    struct strtab keys;             /* mappings above SMALL_MAP entries */
    bool have_key;                  /* the next node is the value of `key` */
    bool drop_value;                /* ... and is dropped (its key was rejected) */
    const char *key;
    struct df_mark key_mark;
};

struct loader {
    struct df_arena *a;
    struct df_diags *d;
    const char *file;
    struct frame *frames; /* MAX_DEPTH of them */
    size_t depth;
    struct anchor *anchors;
    size_t nanchors, anchors_cap;
    struct strtab anchor_names;
    struct df_value *root;
    unsigned docs;
    size_t errors;
    bool syntax_error;
    bool nomem;
};

static void add_diag(struct df_diags *d, int code, const struct df_mark *m, const char *path,
                     const char *hint, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void add_diag(struct df_diags *d, int code, const struct df_mark *m, const char *path,
                     const char *hint, const char *fmt, ...)
{
    char msg[DF_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    size_t before = d->count;
    df_diags_add(d, m, path, "%s", msg);
    if (d->count == before)
        return; /* counted as dropped */
    d->items[d->count - 1].code = code;
    if (hint)
        df_diags_hint(d, "%s", hint);
}

/* ---- small helpers ---------------------------------------------------- */

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603u;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211u;
    }
    return h;
}

static struct strtab_slot *strtab_find(const struct strtab *t, const char *key)
{
    if (t->cap == 0)
        return NULL;
    size_t mask = t->cap - 1;
    for (size_t i = hash_str(key) & mask;; i = (i + 1) & mask) {
        struct strtab_slot *s = &t->slots[i];
        if (!s->key || strcmp(s->key, key) == 0)
            return s;
    }
}

/* Inserts or overwrites; 0 or DF_ENOMEM. */
static int strtab_put(struct df_arena *a, struct strtab *t, const char *key, size_t val)
{
    if ((t->count + 1) * 2 > t->cap) {
        size_t ncap = t->cap ? t->cap * 2 : 16;
        if (ncap > SIZE_MAX / sizeof(struct strtab_slot))
            return DF_ENOMEM;
        struct strtab_slot *slots = df_arena_alloc(a, ncap * sizeof *slots);
        if (!slots)
            return DF_ENOMEM;
        struct strtab old = *t;
        *t = (struct strtab){.slots = slots, .cap = ncap};
        for (size_t i = 0; i < old.cap; i++) {
            if (old.slots[i].key) {
                *strtab_find(t, old.slots[i].key) = old.slots[i];
                t->count++;
            }
        }
    }
    struct strtab_slot *s = strtab_find(t, key);
    if (!s->key) {
        s->key = key;
        t->count++;
    }
    s->val = val;
    return 0;
}

/* Doubles an arena array holding `count` elements; NULL on exhaustion. */
static void *grow(struct df_arena *a, void *old, size_t count, size_t *cap, size_t elem)
{
    size_t ncap = *cap ? *cap * 2 : 4;
    if (ncap < *cap || ncap > SIZE_MAX / elem)
        return NULL;
    void *p = df_arena_alloc(a, ncap * elem);
    if (!p)
        return NULL;
    if (count)
        memcpy(p, old, count * elem);
    *cap = ncap;
    return p;
}

static struct df_mark mark_of(const struct loader *ld, yaml_mark_t m)
{
    size_t line = m.line < UINT32_MAX - 1 ? m.line + 1 : UINT32_MAX;
    size_t col = m.column < UINT32_MAX - 1 ? m.column + 1 : UINT32_MAX;
    return (struct df_mark){.file = ld->file, .line = (uint32_t)line, .col = (uint32_t)col};
}

/* The config path of the node being handled: `a.b[2].c`. */
static void current_path(const struct loader *ld, char *buf, size_t size)
{
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < ld->depth && n < size; i++) {
        const struct frame *f = &ld->frames[i];
        int w = 0;
        if (f->v->kind == DF_VALUE_SEQ)
            w = snprintf(buf + n, size - n, "[%zu]", f->count);
        else if (f->have_key && !f->drop_value)
            w = snprintf(buf + n, size - n, "%s%s", n ? "." : "", f->key);
        else
            break; /* in key position: the path ends at this mapping */
        if (w < 0)
            break;
        n += (size_t)w;
    }
}

static void report(struct loader *ld, const struct df_mark *m, const char *hint, const char *fmt,
                   ...) __attribute__((format(printf, 4, 5)));

static void report(struct loader *ld, const struct df_mark *m, const char *hint, const char *fmt,
                   ...)
{
    char msg[DF_ERROR_MSG_MAX];
    char path[DF_ERROR_PATH_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    current_path(ld, path, sizeof path);
    ld->errors++;
    add_diag(ld->d, DF_EINVAL, m, path, hint, "%s", msg);
}

static int nomem(struct loader *ld)
{
    ld->nomem = true;
    return DF_ENOMEM;
}

static struct frame *top(struct loader *ld)
{
    return ld->depth ? &ld->frames[ld->depth - 1] : NULL;
}

static bool at_key(const struct frame *f)
{
    return f && f->v->kind == DF_VALUE_MAP && !f->have_key;
}

/* Whether the next node will be thrown away (it is a rejected key, the value
 * of one, or inside either): still checked for structure, not substituted. */
static bool next_dropped(const struct frame *f)
{
    return f && (f->dropped || at_key(f) || (f->v->kind == DF_VALUE_MAP && f->drop_value));
}

static struct df_value *new_value(struct loader *ld, enum df_value_kind kind, struct df_mark m)
{
    struct df_value *v = df_arena_alloc(ld->a, sizeof *v);
    if (v) {
        v->kind = kind;
        v->mark = m;
    }
    return v;
}

/* ---- building --------------------------------------------------------- */

static int add_anchor(struct loader *ld, const yaml_char_t *name, struct df_value *v,
                      uint32_t height, bool open, size_t *index)
{
    if (ld->nanchors == ld->anchors_cap) {
        struct anchor *n =
            grow(ld->a, ld->anchors, ld->nanchors, &ld->anchors_cap, sizeof *ld->anchors);
        if (!n)
            return nomem(ld);
        ld->anchors = n;
    }
    char *key = df_arena_strdup(ld->a, (const char *)name);
    if (!key || strtab_put(ld->a, &ld->anchor_names, key, ld->nanchors) != 0)
        return nomem(ld);
    ld->anchors[ld->nanchors] = (struct anchor){.value = v, .height = height, .open = open};
    if (index)
        *index = ld->nanchors;
    ld->nanchors++;
    return GO;
}

/* Looks a key up among the entries of a mapping frame. */
static const struct df_value_entry *find_key(const struct frame *f, const char *key)
{
    if (f->keys.cap) {
        const struct strtab_slot *s = strtab_find(&f->keys, key);
        return s && s->key ? &f->entries[s->val] : NULL;
    }
    for (size_t i = 0; i < f->count; i++) {
        if (strcmp(f->entries[i].key, key) == 0)
            return &f->entries[i];
    }
    return NULL;
}

static int append_entry(struct loader *ld, struct frame *f, struct df_value *v)
{
    if (f->count == f->cap) {
        struct df_value_entry *n = grow(ld->a, f->entries, f->count, &f->cap, sizeof *n);
        if (!n)
            return nomem(ld);
        f->entries = n;
    }
    f->entries[f->count] =
        (struct df_value_entry){.key = f->key, .key_mark = f->key_mark, .value = v};
    f->count++;
    if (f->count > SMALL_MAP) {
        /* Index every entry once the mapping outgrows a linear scan. */
        size_t from = f->keys.cap ? f->count - 1 : 0;
        for (size_t i = from; i < f->count; i++) {
            if (strtab_put(ld->a, &f->keys, f->entries[i].key, i) != 0)
                return nomem(ld);
        }
    }
    return GO;
}

/* Places a finished node of the given height into its parent (or as root). */
static int place(struct loader *ld, struct df_value *v, uint32_t height)
{
    struct frame *f = top(ld);
    if (!f) {
        ld->root = v;
        return GO;
    }
    if (f->height < height + 1)
        f->height = height + 1;
    if (f->v->kind == DF_VALUE_SEQ) {
        if (f->count == f->cap) {
            struct df_value **n = grow(ld->a, f->items, f->count, &f->cap, sizeof *n);
            if (!n)
                return nomem(ld);
            f->items = n;
        }
        f->items[f->count++] = v;
        return GO;
    }
    if (!f->have_key) {
        /* A node in key position that is not a scalar: already reported,
         * and its value goes with it. */
        f->have_key = true;
        f->drop_value = true;
        return GO;
    }
    f->have_key = false;
    if (f->drop_value) {
        f->drop_value = false;
        return GO;
    }
    return append_entry(ld, f, v);
}

static bool plain_null(const yaml_event_t *ev)
{
    const char *t = (const char *)ev->data.scalar.value;
    size_t n = ev->data.scalar.length;
    if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return false;
    if (ev->data.scalar.tag && strcmp((const char *)ev->data.scalar.tag, YAML_STR_TAG) == 0)
        return false; /* `!!str null` is the text "null" */
    return n == 0 || (n == 1 && t[0] == '~') ||
           (n == 4 &&
            (memcmp(t, "null", 4) == 0 || memcmp(t, "Null", 4) == 0 || memcmp(t, "NULL", 4) == 0));
}

/* Builds the node of a scalar event; substitution errors are reported and the
 * raw text kept so that loading can go on. NULL on exhaustion. */
static struct df_value *scalar_value(struct loader *ld, const yaml_event_t *ev, struct df_mark m,
                                     bool substitute)
{
    if (plain_null(ev))
        return new_value(ld, DF_VALUE_NULL, m);
    struct df_value *v = new_value(ld, DF_VALUE_SCALAR, m);
    if (!v)
        return NULL;
    const char *raw = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    char *text = NULL;
    size_t text_len = 0;
    if (substitute) {
        char err[DF_ERROR_MSG_MAX - 64];
        int rc = df_env_substitute(raw, len, ld->a, &text, &text_len, err, sizeof err);
        if (rc == DF_ENOMEM)
            return NULL;
        if (rc != 0) {
            report(ld, &m, ENV_HINT, "environment substitution: %s", err);
            text = NULL;
        }
    }
    if (!text) {
        text = df_arena_strndup(ld->a, raw, len);
        if (!text)
            return NULL;
        text_len = len;
    }
    v->u.scalar.text = text;
    v->u.scalar.len = text_len;
    v->u.scalar.quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
    return v;
}

static int on_key(struct loader *ld, struct frame *f, const yaml_event_t *ev, struct df_mark m)
{
    const char *raw = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    if (ev->data.scalar.anchor) {
        /* An anchored key can be aliased as a value: keep it as written. */
        struct df_value *v = scalar_value(ld, ev, m, false);
        if (!v)
            return nomem(ld);
        int rc = add_anchor(ld, ev->data.scalar.anchor, v, 0, false, NULL);
        if (rc)
            return rc;
    }
    f->have_key = true;
    f->drop_value = true; /* until the key is accepted */
    if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && len == 2 && memcmp(raw, "<<", 2) == 0) {
        report(ld, &m, "write the merged keys out in this mapping",
               "merge keys (<<) are not supported");
        return GO;
    }
    char *key = df_arena_strndup(ld->a, raw, len);
    if (!key)
        return nomem(ld);
    const struct df_value_entry *first = find_key(f, key);
    if (first) {
        report(ld, &m, "remove or rename one of them", "duplicate key '%s' (first at line %u)", key,
               first->key_mark.line);
        return GO;
    }
    f->drop_value = false;
    f->key = key;
    f->key_mark = m;
    return GO;
}

static int on_scalar(struct loader *ld, const yaml_event_t *ev)
{
    struct df_mark m = mark_of(ld, ev->start_mark);
    struct frame *f = top(ld);
    if (at_key(f))
        return on_key(ld, f, ev, m);
    struct df_value *v = scalar_value(ld, ev, m, !next_dropped(f));
    if (!v)
        return nomem(ld);
    if (ev->data.scalar.anchor) {
        int rc = add_anchor(ld, ev->data.scalar.anchor, v, 0, false, NULL);
        if (rc)
            return rc;
    }
    return place(ld, v, 0);
}

static int on_alias(struct loader *ld, const yaml_event_t *ev)
{
    struct df_mark m = mark_of(ld, ev->start_mark);
    const char *name = (const char *)ev->data.alias.anchor;
    struct frame *f = top(ld);
    if (at_key(f)) {
        report(ld, &m, "write the key out", "an alias (*%s) cannot be a mapping key", name);
        return place(ld, NULL, 0);
    }
    const struct strtab_slot *s = strtab_find(&ld->anchor_names, name);
    const struct anchor *an = s && s->key ? &ld->anchors[s->val] : NULL;
    if (!an) {
        report(ld, &m, "define the anchor (&name) before the alias (*name)", "unknown alias '*%s'",
               name);
    } else if (an->open) {
        report(ld, &m, "an alias cannot refer to a node that contains it",
               "alias '*%s' is recursive", name);
    } else if (ld->depth + an->height > MAX_DEPTH) {
        report(ld, &m, "flatten the config", "alias '*%s' nests the config deeper than %d levels",
               name, MAX_DEPTH);
    } else {
        return place(ld, an->value, an->height);
    }
    struct df_value *v = new_value(ld, DF_VALUE_NULL, m);
    if (!v)
        return nomem(ld);
    return place(ld, v, 0);
}

static int on_start(struct loader *ld, const yaml_event_t *ev, enum df_value_kind kind)
{
    struct df_mark m = mark_of(ld, ev->start_mark);
    bool dropped = next_dropped(top(ld));
    if (at_key(top(ld)))
        report(ld, &m, "mapping keys are plain names", "a mapping key must be a scalar, not a %s",
               df_value_kind_name(kind));
    if (ld->depth == MAX_DEPTH) {
        report(ld, &m, "flatten the config", "the config nests deeper than %d levels", MAX_DEPTH);
        /* Stop here: libyaml's scanner is quadratic in flow nesting depth,
         * so reading on through a deep nest would be a denial of service. */
        return STOP;
    }
    struct df_value *v = new_value(ld, kind, m);
    if (!v)
        return nomem(ld);
    const yaml_char_t *anchor =
        kind == DF_VALUE_SEQ ? ev->data.sequence_start.anchor : ev->data.mapping_start.anchor;
    size_t index = 0;
    if (anchor) {
        int rc = add_anchor(ld, anchor, v, 0, true, &index);
        if (rc)
            return rc;
        index++;
    }
    ld->frames[ld->depth++] =
        (struct frame){.v = v, .dropped = dropped, .anchor = index, .height = 1};
    return GO;
}

static int on_end(struct loader *ld)
{
    if (ld->depth == 0)
        return GO; /* cannot happen with a balanced event stream */
    struct frame f = ld->frames[--ld->depth];
    if (f.v->kind == DF_VALUE_SEQ) {
        f.v->u.seq.items = f.items;
        f.v->u.seq.count = f.count;
    } else {
        f.v->u.map.entries = f.entries;
        f.v->u.map.count = f.count;
    }
    if (f.anchor) {
        ld->anchors[f.anchor - 1].height = f.height;
        ld->anchors[f.anchor - 1].open = false;
    }
    return place(ld, f.v, f.height);
}

static int on_event(struct loader *ld, const yaml_event_t *ev)
{
    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
        if (++ld->docs > 1) {
            struct df_mark m = mark_of(ld, ev->start_mark);
            report(ld, &m, "remove the '---' separator and keep one document per file",
                   "a config holds one document");
            return STOP;
        }
        return GO;
    case YAML_SCALAR_EVENT:
        return on_scalar(ld, ev);
    case YAML_ALIAS_EVENT:
        return on_alias(ld, ev);
    case YAML_SEQUENCE_START_EVENT:
        return on_start(ld, ev, DF_VALUE_SEQ);
    case YAML_MAPPING_START_EVENT:
        return on_start(ld, ev, DF_VALUE_MAP);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        return on_end(ld);
    case YAML_STREAM_END_EVENT:
        if (!ld->root) {
            /* No document at all (empty text or only comments). */
            ld->root = new_value(ld, DF_VALUE_NULL, (struct df_mark){ld->file, 1, 1});
            if (!ld->root)
                return nomem(ld);
        }
        return STOP;
    default:
        return GO;
    }
}

/* The line and column of a byte offset, for reader errors, which libyaml
 * reports by offset only. Columns count bytes here. */
static struct df_mark offset_mark(const struct loader *ld, const char *buf, size_t len,
                                  size_t offset)
{
    yaml_mark_t m = {0};
    if (offset > len)
        offset = len;
    for (size_t i = 0; i < offset; i++) {
        if (buf[i] == '\n') {
            m.line++;
            m.column = 0;
        } else {
            m.column++;
        }
    }
    return mark_of(ld, m);
}

/* Reports libyaml's error; syntax errors carry no config path, as the
 * structure around them is in doubt. */
static void report_syntax(struct loader *ld, const yaml_parser_t *p, const char *buf, size_t len)
{
    if (p->error == YAML_MEMORY_ERROR) {
        nomem(ld);
        return;
    }
    ld->syntax_error = true;
    const char *problem = p->problem ? p->problem : "invalid YAML";
    const char *path = NULL;
    if (p->error == YAML_READER_ERROR) {
        struct df_mark m = offset_mark(ld, buf, len, p->problem_offset);
        if (p->problem_value != -1)
            add_diag(ld->d, DF_EPARSE, &m, path, "save the file as UTF-8 text",
                     "%s: #%X at byte offset %zu", problem, (unsigned)p->problem_value,
                     p->problem_offset);
        else
            add_diag(ld->d, DF_EPARSE, &m, path, "save the file as UTF-8 text",
                     "%s at byte offset %zu", problem, p->problem_offset);
        return;
    }
    struct df_mark m = mark_of(ld, p->problem_mark);
    if (p->context) {
        struct df_mark cm = mark_of(ld, p->context_mark);
        add_diag(ld->d, DF_EPARSE, &m, path, "check the indentation and quoting around here",
                 "%s (%s at line %u, column %u)", problem, p->context, cm.line, cm.col);
    } else {
        add_diag(ld->d, DF_EPARSE, &m, path, "check the indentation and quoting around here", "%s",
                 problem);
    }
}

static int load(const char *file, const char *buf, size_t len, struct df_arena *a,
                struct df_value **out, struct df_diags *d)
{
    struct loader ld = {.a = a, .d = d, .file = file};
    ld.frames = df_arena_alloc(a, MAX_DEPTH * sizeof *ld.frames);
    if (!ld.frames) {
        add_diag(d, DF_ENOMEM, NULL, NULL, NULL, "out of memory loading the config");
        return DF_ENOMEM;
    }
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) {
        add_diag(d, DF_ENOMEM, NULL, NULL, NULL, "out of memory loading the config");
        return DF_ENOMEM;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)(buf ? buf : ""), buf ? len : 0);
    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            report_syntax(&ld, &parser, buf, buf ? len : 0);
            yaml_event_delete(&ev); /* zeroed by a failed parse: a no-op */
            break;
        }
        int rc = on_event(&ld, &ev);
        yaml_event_delete(&ev);
        if (rc != GO)
            break;
    }
    yaml_parser_delete(&parser);

    if (ld.nomem) {
        add_diag(d, DF_ENOMEM, NULL, NULL, NULL, "out of memory loading the config");
        return DF_ENOMEM;
    }
    if (ld.syntax_error)
        return DF_EPARSE;
    if (ld.errors || !ld.root)
        return DF_EINVAL;
    *out = ld.root;
    return 0;
}

int df_config_load_buffer(const char *name, const char *buf, size_t len, struct df_arena *a,
                          struct df_value **out, struct df_diags *d)
{
    *out = NULL;
    const char *file = df_arena_strdup(a, name ? name : "<config>");
    if (!file) {
        add_diag(d, DF_ENOMEM, NULL, NULL, NULL, "out of memory loading the config");
        return DF_ENOMEM;
    }
    return load(file, buf, len, a, out, d);
}

/* Reads a whole file into a malloc'd buffer (freed by the caller): the raw
 * text is not kept, so it does not belong in the config arena. Returns 0, or
 * an errno value, or EFBIG above MAX_FILE_SIZE. */
static int read_all(FILE *fp, char **out, size_t *out_len)
{
    char *buf = NULL;
    size_t len = 0, cap = 0;
    struct stat st;
    if (fstat(fileno(fp), &st) == 0 && S_ISREG(st.st_mode) && (uintmax_t)st.st_size > MAX_FILE_SIZE)
        return EFBIG;
    for (;;) {
        if (len == cap) {
            if (cap > MAX_FILE_SIZE) {
                free(buf);
                return EFBIG;
            }
            size_t ncap = cap ? cap * 2 : 64 * 1024;
            if (ncap > MAX_FILE_SIZE + 1)
                ncap = MAX_FILE_SIZE + 1;
            char *n = realloc(buf, ncap);
            if (!n) {
                free(buf);
                return ENOMEM;
            }
            buf = n;
            cap = ncap;
        }
        errno = 0;
        size_t want = cap - len;
        size_t got = fread(buf + len, 1, want, fp);
        len += got;
        if (got < want) {
            if (ferror(fp)) {
                int err = errno ? errno : EIO;
                free(buf);
                return err;
            }
            break;
        }
    }
    if (len > MAX_FILE_SIZE) {
        free(buf);
        return EFBIG;
    }
    *out = buf;
    *out_len = len;
    return 0;
}

int df_config_load_file(const char *path, struct df_arena *a, struct df_value **out,
                        struct df_diags *d)
{
    *out = NULL;
    const char *file = df_arena_strdup(a, path ? path : "<config>");
    if (!file) {
        add_diag(d, DF_ENOMEM, NULL, NULL, NULL, "out of memory loading the config");
        return DF_ENOMEM;
    }
    struct df_mark m = {.file = file};
    FILE *fp = fopen(file, "rb");
    if (!fp) {
        add_diag(d, DF_EIO, &m, NULL, "check the path and its permissions",
                 "cannot read config file: %s", strerror(errno));
        return DF_EIO;
    }
    char *buf = NULL;
    size_t len = 0;
    int err = read_all(fp, &buf, &len);
    fclose(fp);
    if (err == ENOMEM) {
        add_diag(d, DF_ENOMEM, &m, NULL, NULL, "out of memory reading the config file");
        return DF_ENOMEM;
    }
    if (err == EFBIG) {
        add_diag(d, DF_EIO, &m, NULL, "a config is text; split it or check the path",
                 "cannot read config file: larger than %zu MiB", MAX_FILE_SIZE >> 20);
        return DF_EIO;
    }
    if (err) {
        add_diag(d, DF_EIO, &m, NULL, "check the path and its permissions",
                 "cannot read config file: %s", strerror(err));
        return DF_EIO;
    }
    int rc = load(file, buf, len, a, out, d);
    free(buf);
    return rc;
}
