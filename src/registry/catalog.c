/* `df_engine catalog` (registry/catalog.h).
 *
 * The catalog is built once as a JSON document (the --format json output);
 * the text and markdown renderings walk that document, so the three forms
 * cannot disagree. */
#include "registry/catalog.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "registry/registry.h"

int df_catalog_format_parse(const char *name, enum df_catalog_format *out)
{
#define DF_CATALOG_FORMAT_MATCH(e, text)                                                           \
    if (!strcmp(name, text)) {                                                                     \
        *out = e;                                                                                  \
        return 0;                                                                                  \
    }
    DF_CATALOG_FORMATS(DF_CATALOG_FORMAT_MATCH)
#undef DF_CATALOG_FORMAT_MATCH
    return DF_EINVAL;
}

/* ---- building the JSON document ------------------------------------------ */

static json_t *options_json(const struct df_option_table *t);

static json_t *option_json(const struct df_option *o)
{
    json_t *j = json_object();
    if (o->name)
        json_object_set_new(j, "name", json_string(o->name));
    json_object_set_new(j, "type", json_string(df_opt_type_name(o->type)));
    if (o->flags & DF_OPT_REQUIRED)
        json_object_set_new(j, "required", json_true());
    if (o->flags & DF_OPT_NULLABLE)
        json_object_set_new(j, "nullable", json_true());
    if (o->def)
        json_object_set_new(j, "default", json_string(o->def));
    if (o->flags & DF_OPT_BOUNDED) {
        char lo[32], hi[32];
        df_format_bound(lo, sizeof lo, o, o->min);
        df_format_bound(hi, sizeof hi, o, o->max);
        const char *what = (o->type == DF_OPT_LIST || o->type == DF_OPT_MAP) ? "count" : "range";
        json_object_set_new(j, what, json_pack("[s,s]", lo, hi));
    }
    if (o->flags & DF_OPT_FBOUNDED)
        json_object_set_new(j, "range", json_pack("[f,f]", o->fmin, o->fmax));
    if (o->enums) {
        json_t *vals = json_array();
        for (const char *const *e = o->enums; *e; e++)
            json_array_append_new(vals, json_string(*e));
        json_object_set_new(j, "values", vals);
    }
    if (o->elem)
        json_object_set_new(j, "element", option_json(o->elem));
    if (o->type == DF_OPT_TABLE)
        json_object_set_new(j, "options", options_json(o->table));
    if (o->desc)
        json_object_set_new(j, "description", json_string(o->desc));
    return j;
}

static json_t *options_json(const struct df_option_table *t)
{
    json_t *arr = json_array();
    for (size_t i = 0; t && i < t->count; i++)
        json_array_append_new(arr, option_json(&t->options[i]));
    return arr;
}

static json_t *names_json(const char *const *list)
{
    json_t *arr = json_array();
    for (; list && *list; list++)
        json_array_append_new(arr, json_string(*list));
    return arr;
}

static json_t *ext_caps_json(const struct df_ext_capability *caps)
{
    json_t *arr = json_array();
    for (; caps && caps->name; caps++)
        json_array_append_new(arr, json_string(caps->name));
    return arr;
}

/* [{name, version}] of what a provider implements. */
static json_t *ext_implements_json(const struct df_ext_capability *caps)
{
    json_t *arr = json_array();
    for (; caps && caps->name; caps++)
        json_array_append_new(
            arr, json_pack("{s:s,s:i}", "name", caps->name, "version", (int)caps->version));
    return arr;
}

/* The readiness gate in whole milliseconds, rounded up so that a gate
 * never reads as 0 (none). */
static json_int_t ready_timeout_ms(const struct df_extension_desc *e)
{
    return (json_int_t)((e->ready_timeout_ns + 999999) / 1000000);
}

static int cmp_node(const void *a, const void *b)
{
    return strcmp((*(const struct df_node_desc *const *)a)->urn,
                  (*(const struct df_node_desc *const *)b)->urn);
}

static int cmp_ext(const void *a, const void *b)
{
    return strcmp((*(const struct df_extension_desc *const *)a)->urn,
                  (*(const struct df_extension_desc *const *)b)->urn);
}

static int cmp_cap(const void *a, const void *b)
{
    return strcmp((*(const struct df_capability_desc *const *)a)->name,
                  (*(const struct df_capability_desc *const *)b)->name);
}

/* Returns a malloc'd sorted copy of a registry section (NULL when empty). */
static void *sorted(const void *items, size_t n, int (*cmp)(const void *, const void *))
{
    if (!n)
        return NULL;
    void *copy = malloc(n * sizeof(void *));
    if (!copy)
        return NULL;
    memcpy(copy, items, n * sizeof(void *));
    qsort(copy, n, sizeof(void *), cmp);
    return copy;
}

/* One capability: its registry entry, plus who consumes it (node types
 * listing it in `consumes`) and who implements it (providers, with the
 * version each fills), from the sorted node and provider lists. */
static json_t *capability_json(const struct df_capability_desc *c,
                               const struct df_node_desc *const *nodes, size_t nnodes,
                               const struct df_extension_desc *const *exts, size_t nexts)
{
    json_t *consumers = json_array(), *providers = json_array();
    for (size_t i = 0; i < nnodes; i++) {
        if (df_registry_list_has(nodes[i]->consumes, c->name))
            json_array_append_new(consumers, json_string(nodes[i]->urn));
    }
    for (size_t i = 0; i < nexts; i++) {
        const struct df_ext_capability *ec = df_extension_capability(exts[i], c->name);
        if (ec)
            json_array_append_new(providers, json_pack("{s:s,s:i}", "urn", exts[i]->urn, "version",
                                                       (int)ec->version));
    }
    return json_pack("{s:s,s:i,s:s,s:o,s:o,s:o,s:o}", "name", c->name, "version", (int)c->version,
                     "description", c->description, "methods", names_json(c->methods), "outcomes",
                     names_json(c->outcomes), "consumed_by", consumers, "provided_by", providers);
}

static json_t *catalog_json(void)
{
    json_t *root = json_object();
    const struct df_capability_desc *const *caps;
    size_t ncaps = df_registry_capabilities(&caps);
    const struct df_capability_desc **scaps = sorted(caps, ncaps, cmp_cap);
    const struct df_extension_desc *const *exts;
    size_t nexts = df_registry_extensions(&exts);
    const struct df_extension_desc **sexts = sorted(exts, nexts, cmp_ext);
    const struct df_node_desc *const *nodes;
    size_t nnodes = df_registry_nodes(&nodes);
    const struct df_node_desc **snodes = sorted(nodes, nnodes, cmp_node);
    if ((ncaps && !scaps) || (nexts && !sexts) || (nnodes && !snodes)) {
        free(scaps);
        free(sexts);
        free(snodes);
        json_decref(root);
        return NULL;
    }

    json_t *jcaps = json_array();
    for (size_t i = 0; i < ncaps; i++)
        json_array_append_new(jcaps, capability_json(scaps[i], snodes, nnodes, sexts, nexts));
    free(scaps);
    json_object_set_new(root, "capabilities", jcaps);

    json_t *jexts = json_array();
    for (size_t i = 0; i < nexts; i++) {
        const struct df_extension_desc *e = sexts[i];
        json_array_append_new(
            jexts, json_pack("{s:s,s:s,s:s,s:o,s:o,s:s,s:s,s:I,s:o}", "urn", e->urn, "description",
                             e->description, "documentation_url", e->documentation_url,
                             "capabilities", ext_caps_json(e->capabilities), "implements",
                             ext_implements_json(e->capabilities), "execution_model",
                             df_exec_model_name(e->exec_model), "lifecycle",
                             df_lifecycle_name(e->lifecycle), "ready_timeout_ms",
                             ready_timeout_ms(e), "config", options_json(e->options)));
    }
    free(sexts);
    json_object_set_new(root, "extensions", jexts);

    json_t *jnodes = json_array();
    for (size_t i = 0; i < nnodes; i++) {
        const struct df_node_desc *n = snodes[i];
        json_array_append_new(
            jnodes, json_pack("{s:s,s:s,s:s,s:s,s:o,s:o}", "urn", n->urn, "kind",
                              df_node_kind_name(n->kind), "description", n->description,
                              "documentation_url", n->documentation_url, "consumes",
                              names_json(n->consumes), "config", options_json(n->options)));
    }
    free(snodes);
    json_object_set_new(root, "nodes", jnodes);
    return root;
}

/* ---- rendering ------------------------------------------------------------ */

/* One-line type summary of an option: "list of string", "enum: a|b", ... */
static void type_summary(const json_t *o, char *buf, size_t n)
{
    const char *type = json_string_value(json_object_get(o, "type"));
    const json_t *elem = json_object_get(o, "element");
    const json_t *vals = json_object_get(o, "values");
    size_t len = 0;
    if (elem) {
        char inner[128];
        type_summary(elem, inner, sizeof inner);
        len = (size_t)snprintf(buf, n, "%s of %s", type, inner);
    } else if (vals) {
        len = (size_t)snprintf(buf, n, "%s", type);
        size_t i;
        const json_t *v;
        json_array_foreach(vals, i, v)
        {
            if (len < n)
                len += (size_t)snprintf(buf + len, n - len, "%s%s", i ? "|" : ": ",
                                        json_string_value(v));
        }
    } else {
        len = (size_t)snprintf(buf, n, "%s", type);
    }
    const json_t *range = json_object_get(o, "range");
    const json_t *count = json_object_get(o, "count");
    const json_t *b = range ? range : count;
    if (b && len < n) {
        const json_t *lo = json_array_get(b, 0), *hi = json_array_get(b, 1);
        if (json_is_string(lo))
            snprintf(buf + len, n - len, ", %s%s..%s", count ? "count " : "", json_string_value(lo),
                     json_string_value(hi));
        else
            snprintf(buf + len, n - len, ", %g..%g", json_real_value(lo), json_real_value(hi));
    }
}

/* Writes text into a markdown table cell, escaping the column separator. */
static void put_cell(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '|')
            fputc('\\', out);
        fputc(*s, out);
    }
}

/* Writes one row per option, recursing into tables with dotted names
 * (`a.b`), list elements (`a[].b`) and map values (`a.<name>.b`). */
static void render_options(FILE *out, const json_t *opts, const char *prefix, bool markdown,
                           int indent)
{
    size_t i;
    const json_t *o;
    json_array_foreach(opts, i, o)
    {
        char name[256], type[256];
        snprintf(name, sizeof name, "%s%s", prefix, json_string_value(json_object_get(o, "name")));
        type_summary(o, type, sizeof type);
        const char *def = json_string_value(json_object_get(o, "default"));
        const char *desc = json_string_value(json_object_get(o, "description"));
        bool req = json_is_true(json_object_get(o, "required"));
        if (markdown) {
            fprintf(out, "| `%s` | ", name);
            put_cell(out, type);
            fprintf(out, " | %s", def ? "`" : "");
            put_cell(out, def ? def : (req ? "required" : ""));
            fprintf(out, "%s | ", def ? "`" : "");
            put_cell(out, desc ? desc : "");
            fprintf(out, " |\n");
        } else {
            fprintf(out, "%*s%s (%s%s%s%s)%s%s\n", indent, "", name, type, req ? ", required" : "",
                    def ? ", default " : "", def ? def : "", desc ? " — " : "", desc ? desc : "");
        }
        const json_t *sub = json_object_get(o, "options");
        const json_t *elem = json_object_get(o, "element");
        const char *type_name = json_string_value(json_object_get(o, "type"));
        char p[300];
        if (sub) {
            snprintf(p, sizeof p, "%s.", name);
            render_options(out, sub, p, markdown, indent);
        } else if (elem && json_object_get(elem, "options")) {
            snprintf(p, sizeof p, "%s%s", name, !strcmp(type_name, "map") ? ".<name>." : "[].");
            render_options(out, json_object_get(elem, "options"), p, markdown, indent);
        }
    }
}

static void render_names(FILE *out, const json_t *arr)
{
    size_t i;
    const json_t *v;
    if (!json_array_size(arr))
        fprintf(out, "none");
    json_array_foreach(arr, i, v) fprintf(out, "%s%s", i ? ", " : "", json_string_value(v));
}

#define S(obj, key) json_string_value(json_object_get((obj), (key)))

/* What an execution model or lifecycle means, in a few words. */
static const char *gloss(const char *name)
{
    static const char *const glosses[][2] = {
        {"local", "one instance per core, touched only by that core"},
        {"shared", "one instance for the pipeline, called from every core"},
        {"passive", "capabilities, no background task"},
        {"active", "capabilities and a background task"},
        {"background", "a background task, no capabilities"},
    };
    for (size_t i = 0; i < sizeof glosses / sizeof glosses[0]; i++) {
        if (!strcmp(glosses[i][0], name))
            return glosses[i][1];
    }
    return "";
}

/* Writes "a (v1), b (v2)" from [{key, version}] (the names in backticks
 * with `code`), or "none". */
static void render_versioned(FILE *out, const json_t *arr, const char *key, bool code)
{
    size_t i;
    const json_t *v;
    const char *q = code ? "`" : "";
    if (!json_array_size(arr))
        fprintf(out, "none");
    json_array_foreach(arr, i, v)
    {
        fprintf(out, "%s%s%s%s (v%d)", i ? ", " : "", q, S(v, key), q,
                (int)json_integer_value(json_object_get(v, "version")));
    }
}

/* "readiness gate: 500 ms" or "readiness gate: none". */
static void render_gate(FILE *out, const json_t *ext)
{
    json_int_t ms = json_integer_value(json_object_get(ext, "ready_timeout_ms"));
    if (ms > 0)
        fprintf(out, "readiness gate: %" JSON_INTEGER_FORMAT " ms", ms);
    else
        fprintf(out, "readiness gate: none");
}

static void render_text(FILE *out, const json_t *root)
{
    size_t i;
    const json_t *v;
    fprintf(out, "Capabilities:\n");
    json_array_foreach(json_object_get(root, "capabilities"), i, v)
    {
        fprintf(out, "  %s (v%d) — %s\n", S(v, "name"),
                (int)json_integer_value(json_object_get(v, "version")), S(v, "description"));
        size_t k;
        const json_t *m;
        fprintf(out, "    methods:\n");
        json_array_foreach(json_object_get(v, "methods"), k, m)
            fprintf(out, "      %s\n", json_string_value(m));
        fprintf(out, "    outcomes: ");
        render_names(out, json_object_get(v, "outcomes"));
        fprintf(out, "\n    consumed by: ");
        render_names(out, json_object_get(v, "consumed_by"));
        fprintf(out, "\n    provided by: ");
        render_versioned(out, json_object_get(v, "provided_by"), "urn", false);
        fprintf(out, "\n");
    }
    if (!json_array_size(json_object_get(root, "capabilities")))
        fprintf(out, "  (none)\n");
    fprintf(out, "\nExtension providers:\n");
    json_array_foreach(json_object_get(root, "extensions"), i, v)
    {
        fprintf(out, "  %s\n    %s\n    capabilities: ", S(v, "urn"), S(v, "description"));
        render_versioned(out, json_object_get(v, "implements"), "name", false);
        fprintf(out, "\n    execution model: %s (%s)\n    lifecycle: %s (%s)\n    ",
                S(v, "execution_model"), gloss(S(v, "execution_model")), S(v, "lifecycle"),
                gloss(S(v, "lifecycle")));
        render_gate(out, v);
        fprintf(out, "\n    documentation: %s\n", S(v, "documentation_url"));
        render_options(out, json_object_get(v, "config"), "", false, 6);
    }
    if (!json_array_size(json_object_get(root, "extensions")))
        fprintf(out, "  (none)\n");
    fprintf(out, "\nNodes:\n");
    json_array_foreach(json_object_get(root, "nodes"), i, v)
    {
        fprintf(out, "  %s (%s)\n    %s\n    documentation: %s\n", S(v, "urn"), S(v, "kind"),
                S(v, "description"), S(v, "documentation_url"));
        if (json_array_size(json_object_get(v, "consumes"))) {
            fprintf(out, "    consumes: ");
            render_names(out, json_object_get(v, "consumes"));
            fprintf(out, "\n");
        }
        render_options(out, json_object_get(v, "config"), "", false, 6);
    }
    if (!json_array_size(json_object_get(root, "nodes")))
        fprintf(out, "  (none)\n");
}

/* Writes "`a`, `b`", or "none". */
static void render_code_names(FILE *out, const json_t *arr)
{
    size_t i;
    const json_t *v;
    if (!json_array_size(arr))
        fprintf(out, "none");
    json_array_foreach(arr, i, v) fprintf(out, "%s`%s`", i ? ", " : "", json_string_value(v));
}

/* A method, "name(args) -> result: meaning", as a nested list item with
 * the signature in code. */
static void render_method(FILE *out, const char *m)
{
    const char *colon = strstr(m, ": ");
    if (colon)
        fprintf(out, "  - `%.*s`: %s\n", (int)(colon - m), m, colon + 2);
    else
        fprintf(out, "  - `%s`\n", m);
}

static void render_markdown_config(FILE *out, const json_t *config)
{
    if (!json_array_size(config)) {
        fprintf(out, "Takes no `config:` keys.\n\n");
        return;
    }
    fprintf(out, "| key | type | default | description |\n|---|---|---|---|\n");
    render_options(out, config, "", true, 0);
    fprintf(out, "\n");
}

static void render_markdown(FILE *out, const json_t *root)
{
    size_t i;
    const json_t *v;
    fprintf(out, "# df_engine catalog\n\n"
                 "Generated by `df_engine catalog --format markdown`; do not edit by hand.\n\n"
                 "## Capabilities\n\n");
    if (json_array_size(json_object_get(root, "capabilities")))
        fprintf(out, "| name | version | description |\n|---|---|---|\n");
    else
        fprintf(out, "None in this build.\n");
    json_array_foreach(json_object_get(root, "capabilities"), i, v)
        fprintf(out, "| `%s` | %d | %s |\n", S(v, "name"),
                (int)json_integer_value(json_object_get(v, "version")), S(v, "description"));
    json_array_foreach(json_object_get(root, "capabilities"), i, v)
    {
        fprintf(out, "\n### `%s`\n\n%s\n\n- version: %d\n- methods:\n", S(v, "name"),
                S(v, "description"), (int)json_integer_value(json_object_get(v, "version")));
        size_t k;
        const json_t *m;
        json_array_foreach(json_object_get(v, "methods"), k, m)
            render_method(out, json_string_value(m));
        fprintf(out, "- outcomes (the `outcome` label of `df_extension_calls_total`): ");
        render_code_names(out, json_object_get(v, "outcomes"));
        fprintf(out, "\n- consumed by: ");
        render_code_names(out, json_object_get(v, "consumed_by"));
        fprintf(out, "\n- provided by: ");
        render_versioned(out, json_object_get(v, "provided_by"), "urn", true);
        fprintf(out, "\n");
    }
    fprintf(out, "\n## Extension providers\n\n");
    if (!json_array_size(json_object_get(root, "extensions")))
        fprintf(out, "None in this build.\n\n");
    json_array_foreach(json_object_get(root, "extensions"), i, v)
    {
        fprintf(out, "### `%s`\n\n%s\n\n- capabilities: ", S(v, "urn"), S(v, "description"));
        render_versioned(out, json_object_get(v, "implements"), "name", true);
        fprintf(out, "\n- execution model: %s (%s)\n- lifecycle: %s (%s)\n- ",
                S(v, "execution_model"), gloss(S(v, "execution_model")), S(v, "lifecycle"),
                gloss(S(v, "lifecycle")));
        render_gate(out, v);
        fprintf(out, "\n- documentation: %s\n\n", S(v, "documentation_url"));
        render_markdown_config(out, json_object_get(v, "config"));
    }
    fprintf(out, "## Nodes\n\n");
    if (!json_array_size(json_object_get(root, "nodes")))
        fprintf(out, "None in this build.\n\n");
    json_array_foreach(json_object_get(root, "nodes"), i, v)
    {
        fprintf(out, "### `%s`\n\n%s\n\n- kind: %s\n- documentation: %s\n", S(v, "urn"),
                S(v, "description"), S(v, "kind"), S(v, "documentation_url"));
        if (json_array_size(json_object_get(v, "consumes"))) {
            fprintf(out, "- consumes: ");
            render_names(out, json_object_get(v, "consumes"));
            fprintf(out, "\n");
        }
        fprintf(out, "\n");
        render_markdown_config(out, json_object_get(v, "config"));
    }
}

int df_catalog_write(FILE *out, enum df_catalog_format fmt)
{
    json_t *root = catalog_json();
    if (!root)
        return DF_ENOMEM;
    int rc = 0;
    switch (fmt) {
    case DF_CATALOG_JSON:
        rc = json_dumpf(root, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER) ? DF_EIO : 0;
        fputc('\n', out);
        break;
    case DF_CATALOG_TEXT:
        render_text(out, root);
        break;
    case DF_CATALOG_MARKDOWN: {
        /* Rendered into memory first so the file ends with exactly one
         * newline (editors that trim trailing blank lines keep it fresh). */
        char *buf = NULL;
        size_t len = 0;
        FILE *mem = open_memstream(&buf, &len);
        if (!mem) {
            rc = DF_ENOMEM;
            break;
        }
        render_markdown(mem, root);
        fclose(mem);
        while (len > 0 && buf[len - 1] == '\n')
            len--;
        fwrite(buf, 1, len, out);
        fputc('\n', out);
        free(buf);
        break;
    }
    }
    json_decref(root);
    if (ferror(out))
        rc = DF_EIO;
    return rc;
}
