/* extension:headers_setter — provides request_headers: the headers an
 * exporter adds to each outgoing request, fixed (`value`) or taken from the
 * request's sender (`from_context: auth.subject`), the multi-tenant case:
 * a backend told which tenant each batch belongs to by the identity the
 * receiver's auth_check gave it.
 *
 * Shared and passive: the instance is the parsed list with its names
 * lowercased, immutable once created, so every core calls it at once with
 * no per-core state. Values from an identity are checked on each call: one
 * with a byte a header cannot carry (a CR or LF from a token's claim) is
 * never sent; the default value, or no header, goes instead. */
#include <stdlib.h>
#include <string.h>

#include "df/capabilities/request_headers.h"
#include "df/extension.h"
#include "extensions/headers_setter/headers_setter.h"
#include "net/headers.h"

struct hs_header {
    char *name;          /* lowercased */
    const char *value;   /* fixed value, or NULL */
    const char *context; /* the identity field from_context names, or NULL */
    const char *fallback;
};

struct hs {
    struct hs_header *h;
    size_t n;
};

static size_t hs_headers(void *self, const struct df_identity *sender,
                         struct df_request_header *out)
{
    const struct hs *s = self;
    size_t n = 0;
    for (size_t i = 0; i < s->n; i++) {
        const struct hs_header *h = &s->h[i];
        const char *v = h->value;
        if (h->context) {
            v = df_identity_get(sender, h->context);
            if (!v || !df_header_value_ok(v))
                v = h->fallback;
        }
        if (v)
            out[n++] = (struct df_request_header){h->name, v};
    }
    return n;
}

static const struct df_request_headers_ops hs_ops_cap = {.headers = hs_headers};

static void hs_free(struct hs *s)
{
    for (size_t i = 0; s && i < s->n; i++)
        free(s->h[i].name);
    if (s)
        free(s->h);
    free(s);
}

static int hs_create(struct df_extension *ext, const void *options, void **state,
                     struct df_error *err)
{
    (void)ext;
    (void)err;
    const struct hs_config *c = options;
    const struct hs_header_config *in = c->headers.items;
    struct hs *s = calloc(1, sizeof *s);
    if (!s || !(s->h = calloc(c->headers.count, sizeof *s->h))) {
        free(s);
        return DF_ENOMEM;
    }
    for (size_t i = 0; i < c->headers.count; i++, s->n++) {
        struct hs_header *h = &s->h[i];
        if (!(h->name = strdup(in[i].key))) {
            hs_free(s);
            return DF_ENOMEM;
        }
        for (char *p = h->name; *p; p++)
            *p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
        h->value = in[i].value;
        h->context = in[i].from_context ? df_identity_ref(in[i].from_context) : NULL;
        h->fallback = in[i].default_value;
    }
    *state = s;
    return 0;
}

static void hs_destroy(struct df_extension *ext, void *state)
{
    (void)ext;
    hs_free(state);
}

static const struct df_extension_ops hs_ops = {.create = hs_create, .destroy = hs_destroy};

static const struct df_ext_capability hs_caps[] = {
    {DF_REQUEST_HEADERS_NAME, 1, &hs_ops_cap},
    {0},
};

DF_REGISTER_EXTENSION(headers_setter, "urn:otel:extension:headers_setter",
                      "Adds headers to exporters' outgoing requests: fixed values, or values of "
                      "the request's sender (from_context: auth.subject), e.g. a tenant header.",
                      "docs/extensions/headers_setter.md", DF_EXEC_SHARED, DF_LIFECYCLE_PASSIVE,
                      .capabilities = hs_caps, .options = &hs_table, .ops = &hs_ops);
