/* The core capabilities' registry entries (their ops tables and semantics
 * are in include/df/capabilities/). Only the core defines capabilities. */
#include <string.h>
#include <strings.h>

#include "df/capabilities/auth_check.h"
#include "df/capabilities/bearer_token_provider.h"
#include "df/capabilities/dataset_lookup.h"
#include "df/capabilities/request_headers.h"
#include "net/headers.h"

static const char *const auth_check_methods[] = {
    "check(request) -> allow(identity) | deny(reason, detail) | error(detail): decides one "
    "incoming request from its transport, method, path, headers, peer address and TLS client "
    "certificate, before its body is read",
    NULL};
static const char *const auth_check_outcomes[] = {"allow", "deny", "error", NULL};

DF_REGISTER_CAPABILITY(auth_check_cap, DF_AUTH_CHECK_NAME, DF_AUTH_CHECK_VERSION,
                       "Authenticates incoming requests. deny answers 401/UNAUTHENTICATED "
                       "(missing or invalid credential) or 403/PERMISSION_DENIED (forbidden); "
                       "error (could not decide) fails closed with 503/UNAVAILABLE. Never blocks.",
                       .methods = auth_check_methods, .outcomes = auth_check_outcomes);

static const char *const bearer_methods[] = {
    "token() -> ok(token, version) | none: the current token for outgoing requests, never one "
    "within the provider's safety margin of its expiry; the version changes with the token",
    NULL};
static const char *const bearer_outcomes[] = {"ok", "none", NULL};

DF_REGISTER_CAPABILITY(bearer_token_provider_cap, DF_BEARER_TOKEN_PROVIDER_NAME,
                       DF_BEARER_TOKEN_PROVIDER_VERSION,
                       "Supplies the bearer token exporters send (Authorization: Bearer ...), "
                       "refreshed by the provider's background task. Never blocks.",
                       .methods = bearer_methods, .outcomes = bearer_outcomes);

static const char *const dataset_methods[] = {
    "lookup(key) -> found(row) | not_found | error: the row of attributes for a key, from one "
    "consistent snapshot of the dataset",
    NULL};
static const char *const dataset_outcomes[] = {"found", "not_found", "error", NULL};

DF_REGISTER_CAPABILITY(dataset_lookup_cap, DF_DATASET_LOOKUP_NAME, DF_DATASET_LOOKUP_VERSION,
                       "Looks keys up in an external dataset (file, database) loaded by the "
                       "provider's background task. Never blocks.",
                       .methods = dataset_methods, .outcomes = dataset_outcomes);

static const char *const headers_methods[] = {
    "headers(sender) -> set(headers) | none: the headers to add to one outgoing request whose "
    "data came from `sender` (an identity, or none)",
    NULL};
static const char *const headers_outcomes[] = {"set", "none", NULL};

DF_REGISTER_CAPABILITY(request_headers_cap, DF_REQUEST_HEADERS_NAME, DF_REQUEST_HEADERS_VERSION,
                       "Adds headers to exporters' outgoing requests: static values, values of "
                       "files, or values of the request's sender (a tenant header). Never "
                       "blocks.",
                       .methods = headers_methods, .outcomes = headers_outcomes);

const char *df_auth_header_get(const struct df_auth_request *req, const char *name, size_t nth,
                               size_t *len)
{
    size_t nlen = strlen(name);
    for (size_t i = 0; i < req->nheaders; i++) {
        const struct df_auth_header *h = &req->headers[i];
        if (h->name_len == nlen && !strncasecmp(h->name, name, nlen) && nth-- == 0) {
            *len = h->value_len;
            return h->value;
        }
    }
    return NULL;
}

enum df_auth_credential df_auth_credential(const struct df_auth_request *req, const char *name,
                                           const char *scheme, const char **cred, size_t *len)
{
    size_t n = 0, other = 0;
    const char *s = df_auth_header_get(req, name, 0, &n);
    if (s && df_auth_header_get(req, name, 1, &other))
        return DF_AUTH_CREDENTIAL_SEVERAL;
    while (s && n && (*s == ' ' || *s == '\t'))
        s++, n--;
    while (s && n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    if (!s || !n)
        return DF_AUTH_CREDENTIAL_MISSING;
    size_t i = 0, slen = strlen(scheme);
    while (i < n && df_http_tchar((unsigned char)s[i]))
        i++;
    if (i != slen || strncasecmp(s, scheme, slen))
        return DF_AUTH_CREDENTIAL_OTHER_SCHEME;
    if (i == n || s[i] != ' ')
        return DF_AUTH_CREDENTIAL_MALFORMED;
    while (s[i] == ' ') /* the value does not end with a space */
        i++;
    for (size_t k = i; k < n; k++) {
        if ((unsigned char)s[k] < 0x21 || (unsigned char)s[k] > 0x7e)
            return DF_AUTH_CREDENTIAL_MALFORMED;
    }
    *cred = s + i;
    *len = n - i;
    return DF_AUTH_CREDENTIAL_OK;
}

const char *df_identity_get(const struct df_identity *id, const char *name)
{
    if (!id)
        return NULL;
    if (!strcmp(name, "subject"))
        return id->subject;
    if (!strcmp(name, "provider"))
        return id->provider;
    for (size_t i = 0; i < id->nattrs; i++) {
        if (id->attrs[i].key && !strcmp(id->attrs[i].key, name))
            return id->attrs[i].value;
    }
    return NULL;
}

const char *df_identity_ref(const char *ref)
{
    return !strncmp(ref, "auth.", 5) && ref[5] ? ref + 5 : NULL;
}
