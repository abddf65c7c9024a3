/* df/fetch.h — the request and result of an HTTP(S) fetch made by an
 * extension's background task (df_extension_fetch, df/extension.h): what a
 * provider needs from a web server now and then (a JWKS document, an OAuth2
 * token), never the telemetry data path. The engine's client is libcurl on
 * the instance's loop; the rules a request follows are in src/net/fetch.h:
 * http and https only, at most 3 redirects, bounded time and body, TLS
 * verified, no proxies. */
#ifndef DF_FETCH_H
#define DF_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DF_FETCH_DEFAULT_TIMEOUT_NS (30ull * 1000000000ull)
#define DF_FETCH_DEFAULT_MAX_BODY   ((size_t)1 << 20)
#define DF_FETCH_MAX_REDIRECTS      3
#define DF_FETCH_ERROR_MAX          256

/* A request. Everything is copied by df_fetch_start: the struct and the
 * memory it points to need not outlive the call. */
struct df_fetch_req {
    const char *method;         /* "GET" (also when NULL) or "POST"; nothing else */
    const char *url;            /* absolute http:// or https:// URL; required */
    const char *const *headers; /* "Name: value" lines without CR/LF, NULL-terminated; NULL =
                                   none. "Name:" with no value removes a header libcurl
                                   would send (Accept, User-Agent, ...). A POST without
                                   Content-Type is sent as application/x-www-form-urlencoded
                                   (libcurl's default) */
    const void *body;           /* POST body, body_len bytes (NULL when 0); GET has none */
    size_t body_len;
    uint64_t timeout_ns;       /* the whole request, redirects included; 0 = 30 s */
    size_t max_body;           /* a larger response body fails the request with DF_ERANGE, as
                                  soon as it is announced or received; 0 = 1 MiB */
    const char *ca_file;       /* PEM bundle: the only CAs trusted for https; NULL = the
                                  system's default trust store */
    bool insecure_skip_verify; /* accept any server certificate and name. Tests only */
};

/* The outcome of one request, valid only during the callback. */
struct df_fetch_result {
    /* 0: an HTTP response arrived (whatever its status). Else a negative
     * code: DF_ETIMEDOUT (timeout_ns passed), DF_ERANGE (body over
     * max_body), DF_ECANCELED (df_fetch_cancel or df_fetch_client_close),
     * DF_ENOMEM, DF_EIO (any transport failure: resolution, connection,
     * TLS, protocol, too many redirects, a redirect to another scheme). */
    int rc;
    long status;              /* HTTP status of the last response; 0 when none or DF_ECANCELED */
    const char *content_type; /* its Content-Type; NULL when absent or rc != 0 */
    const uint8_t *body;      /* never NULL; followed by a NUL not counted in body_len */
    size_t body_len;          /* 0 when rc != 0 */
    char error[DF_FETCH_ERROR_MAX]; /* when rc != 0: what happened, in words
                                       (libcurl's message, and which limit was hit);
                                       "" when rc == 0 */
};

/* Called exactly once per started request, from the loop (never inside a
 * df_fetch_* call). The result and everything it points to are valid only
 * during the call. The callback may start requests, cancel others, or close
 * the client. */
typedef void (*df_fetch_cb)(void *ud, const struct df_fetch_result *r);

#endif
