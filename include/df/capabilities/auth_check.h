/* df/capabilities/auth_check.h — deciding whether one incoming request may
 * enter the pipeline.
 *
 * A receiver asks before it buffers the request's body: it passes what it
 * knows of the request (transport, method, path, headers, peer address, the
 * TLS client certificate's subject and SANs) and gets one of:
 *
 *   allow  with the sender's identity (a subject and a few attributes), which
 *          the receiver puts into the context of every pdata made from the
 *          request;
 *   deny   with a reason: missing_credential and invalid_credential answer
 *          401 / UNAUTHENTICATED, forbidden answers 403 / PERMISSION_DENIED;
 *          `detail` says why, for the engine's log only (never sent, never a
 *          metric label, and never containing a credential);
 *   error  the provider could not decide (no state loaded yet, a backend
 *          down): the receiver fails closed with 503 / UNAVAILABLE.
 *
 * Semantics every provider keeps: a decision depends only on the request
 * and the provider's current state; a call never blocks and never performs
 * I/O (state is refreshed by the provider's background task); credentials
 * are compared in constant time; a provider that cannot decide answers
 * error, never allow. Called on the receiver's core thread.
 *
 * Version 1: check. */
#ifndef DF_CAPABILITIES_AUTH_CHECK_H
#define DF_CAPABILITIES_AUTH_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "df/capability.h"
#include "df/error.h"

#define DF_AUTH_CHECK_NAME    "auth_check"
#define DF_AUTH_CHECK_VERSION 1

enum df_auth_transport { DF_AUTH_GRPC, DF_AUTH_HTTP };

/* One request header. Names are compared case-insensitively (HTTP/2 sends
 * them in lower case, HTTP/1.1 as the client wrote them); a header sent
 * several times appears several times. Not NUL-terminated. */
struct df_auth_header {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
};

struct df_auth_request {
    enum df_auth_transport transport;
    const char *method; /* "POST" */
    const char *path;   /* "/v1/logs", "/opentelemetry.proto...LogsService/Export" */
    const struct df_auth_header *headers;
    size_t nheaders;
    const struct sockaddr *peer; /* may be NULL */
    /* The verified TLS client certificate, when there is one (else NULL/0). */
    const char *tls_subject;     /* RFC 2253 form */
    const char *const *tls_sans; /* "DNS:a.example", "URI:spiffe://...", "email:..." */
    size_t ntls_sans;
};

/* Finds the `nth` (0-based) header named `name` (case-insensitive); NULL
 * when there is none. *len receives the value's length. */
const char *df_auth_header_get(const struct df_auth_request *req, const char *name, size_t nth,
                               size_t *len);

/* What a request's credential header holds (df_auth_credential). */
enum df_auth_credential {
    DF_AUTH_CREDENTIAL_OK,
    DF_AUTH_CREDENTIAL_MISSING,      /* no such header, or a blank one */
    DF_AUTH_CREDENTIAL_SEVERAL,      /* the header appears more than once */
    DF_AUTH_CREDENTIAL_OTHER_SCHEME, /* its first word is not the scheme */
    DF_AUTH_CREDENTIAL_MALFORMED,    /* the scheme without SP and a credential of
                                        visible ASCII */
};

/* Reads the one header `name` of `req` as `<scheme> <credential>` (RFC 9110
 * `auth-scheme 1*SP token68`): surrounding spaces and tabs are ignored, the
 * scheme is the value's leading run of tchars and is compared with `scheme`
 * case-insensitively, one or more spaces follow it, and the credential is
 * the rest, which must be visible ASCII (0x21-0x7e). On OK, *cred and *len
 * give the credential, inside the header's value (not NUL-terminated);
 * otherwise they are left alone. Several headers named `name` are refused
 * before anything else. Pure; any thread. */
enum df_auth_credential df_auth_credential(const struct df_auth_request *req, const char *name,
                                           const char *scheme, const char **cred, size_t *len);

/* One attribute of an identity ("tenant" = "a"). */
struct df_identity_attr {
    const char *key;
    const char *value;
};

/* Who sent a request. Immutable, owned by the provider instance, and valid
 * until that instance is destroyed, which happens only after every node that
 * could hold it (and every pdata) is gone; so receivers store the pointer in
 * pdata contexts without copying or counting references. */
struct df_identity {
    const char *subject;
    const struct df_identity_attr *attrs;
    size_t nattrs;
    const char *provider; /* the extension instance's name */
};

/* The value `name` of identity `id`: "subject", "provider", or the value
 * of its attribute `name`; NULL when absent or `id` is NULL. */
const char *df_identity_get(const struct df_identity *id, const char *name);

/* What a config's `from_context: auth.<name>` reference names: <name>, or
 * NULL when `ref` is not of that form (or <name> is empty). */
const char *df_identity_ref(const char *ref);

/* Outcomes, in the order of the capability's `outcomes` labels. */
enum df_auth_decision { DF_AUTH_ALLOW, DF_AUTH_DENY, DF_AUTH_ERROR };

#define DF_AUTH_REASONS(X)                                                                         \
    X(DF_AUTH_MISSING_CREDENTIAL, "missing_credential")                                            \
    X(DF_AUTH_INVALID_CREDENTIAL, "invalid_credential")                                            \
    X(DF_AUTH_FORBIDDEN, "forbidden")

enum df_auth_reason {
#define DF_AUTH_REASON_ENUM(name, text) name,
    DF_AUTH_REASONS(DF_AUTH_REASON_ENUM)
#undef DF_AUTH_REASON_ENUM
};

const char *df_auth_reason_name(enum df_auth_reason r);

struct df_auth_result {
    enum df_auth_decision decision;
    enum df_auth_reason reason;         /* deny only */
    const struct df_identity *identity; /* allow only; NULL = anonymous */
    /* For the engine's log; set for deny and error. */
    char detail[128];
    /* deny: the value of a 401's WWW-Authenticate header (e.g. "Bearer"),
     * a static string; NULL = none. */
    const char *challenge;
};

struct df_auth_check_ops {
    /* v1. Fills *out and returns out->decision. The caller set decision to
     * error, identity and challenge to NULL and detail to "" (the provider
     * writes only what it decides). */
    enum df_auth_decision (*check)(void *self, const struct df_auth_request *req,
                                   struct df_auth_result *out);
};

struct df_auth_check {
    const struct df_auth_check_ops *ops;
    struct df_cap_binding *b;
};

DF_CAP_CLAIMS(df_auth_check, struct df_auth_check, DF_AUTH_CHECK_NAME)

/* Decides `req`. Core thread of the node holding `h`. */
static inline enum df_auth_decision df_auth_check_call(struct df_auth_check h,
                                                       const struct df_auth_request *req,
                                                       struct df_auth_result *out)
{
    /* Field by field: clearing `detail` whole would cost more than the call. */
    out->decision = DF_AUTH_ERROR;
    out->reason = DF_AUTH_MISSING_CREDENTIAL;
    out->identity = NULL;
    out->detail[0] = 0;
    out->challenge = NULL;
    enum df_auth_decision d = h.ops->check(h.b->self, req, out);
    if ((unsigned)d > DF_AUTH_ERROR) /* a provider bug fails closed */
        d = out->decision = DF_AUTH_ERROR;
    df_cap_count(h.b, d);
    return d;
}

#endif
