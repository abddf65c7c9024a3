/* HTTP(S) fetches on a libuv loop through libcurl's multi socket interface
 * (net/fetch.h).
 *
 * libcurl says which sockets to watch (on_socket) and when to call it back
 * (on_curl_timer); the loop reports readiness and expiry back through
 * curl_multi_socket_action, after which finished transfers are collected
 * from curl_multi_info_read. Results are never handed over from inside
 * libcurl or a df_fetch_* call: a finished, cancelled or failed request is
 * queued and its callback runs from the `deliver` timer, so a callback may
 * do anything the API allows (start, cancel, close) without re-entering
 * libcurl. */
#include "net/fetch.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <dlfcn.h>

#include <curl/curl.h>

#include "df/error.h"
#include "df/log.h"
#include "df_version.h"

/* One socket libcurl asked us to watch. Its uv_poll_t may not be reused
 * before its close callback, so a closing one stays allocated until then,
 * unknown to libcurl (curl_multi_assign'ed away); if libcurl hands the same
 * descriptor back meanwhile it gets a new struct sock. */
struct sock {
    uv_poll_t poll;
    struct df_fetch_client *c;
    curl_socket_t fd;
    bool closing;
    struct sock *prev, *next; /* the client's sockets not closing */
};

struct df_fetch_op {
    struct df_fetch_client *c;
    CURL *easy;
    struct curl_slist *headers; /* must outlive the easy handle's transfer */
    df_fetch_cb cb;
    void *ud;
    size_t max_body;
    uint64_t timeout_ms;
    bool in_multi;   /* added to the multi handle and not removed */
    bool done;       /* the outcome is fixed: queued, or being handed over */
    bool delivering; /* its callback runs */
    bool canceled;   /* hand over DF_ECANCELED whatever happened */
    bool too_big;    /* the write callback stopped the transfer: over max_body */
    bool nomem;      /* the write callback stopped the transfer: no memory */
    const char *cancel_why;
    /* The outcome. */
    int rc;
    long status;
    char *content_type;
    uint8_t *body; /* cap > len: room for the NUL */
    size_t len, cap;
    char error[DF_FETCH_ERROR_MAX];
    char curl_error[CURL_ERROR_SIZE];
    struct df_fetch_op *prev, *next; /* the client's requests not handed over */
    struct df_fetch_op *ready_next;  /* the queue of outcomes to hand over */
};

struct df_fetch_client {
    uv_loop_t *loop;
    CURLM *multi;
    uv_timer_t timer;   /* libcurl's timeout */
    uv_timer_t deliver; /* runs the callbacks of queued outcomes */
    struct sock *socks;
    struct df_fetch_op *ops;
    struct df_fetch_op *ready, *ready_tail;
    unsigned handles; /* uv handles not closed yet */
    bool closing;     /* df_fetch_client_close was called */
    bool finalized;   /* the multi handle is gone; the uv handles are closing */
    void (*closed)(void *);
    void *closed_ud;
};

/* ---- loading libcurl ------------------------------------------------------ */

/* libcurl is loaded with dlopen when the first client is made, not linked:
 * through its dependencies (GnuTLS by way of LDAP and RTMP, Kerberos,
 * p11-kit, libssh2; GnuTLS initialises itself from a constructor) linking
 * it made every df_engine process about 6 MiB larger, idle, although only
 * the few extensions that fetch documents ever use it. The header still
 * gives the types and constants; the functions come from the table below. */
#define CURL_FUNCTIONS(X)                                                                          \
    X(global_init)                                                                                 \
    X(easy_init)                                                                                   \
    X(easy_setopt)                                                                                 \
    X(easy_getinfo)                                                                                \
    X(easy_strerror)                                                                               \
    X(easy_cleanup)                                                                                \
    X(free)                                                                                        \
    X(multi_init)                                                                                  \
    X(multi_setopt)                                                                                \
    X(multi_add_handle)                                                                            \
    X(multi_remove_handle)                                                                         \
    X(multi_assign)                                                                                \
    X(multi_socket_action)                                                                         \
    X(multi_info_read)                                                                             \
    X(multi_cleanup)                                                                               \
    X(slist_append)                                                                                \
    X(slist_free_all)                                                                              \
    X(url)                                                                                         \
    X(url_set)                                                                                     \
    X(url_get)                                                                                     \
    X(url_cleanup)

#define CURL_POINTER(name) __typeof__(curl_##name) *name;
static struct {
    CURL_FUNCTIONS(CURL_POINTER)
} lc;

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static int curl_load_rc = DF_EIO;

/* The soname of libcurl's ABI 4 (every libcurl since 7.16). */
#define LIBCURL "libcurl.so.4"

/* Loads libcurl and initialises it, once per process; logs why when it
 * cannot. Never undone: curl_global_cleanup would need every client on
 * every thread gone, and the process ends soon after that anyway. */
static void curl_load(void)
{
    void *lib = dlopen(LIBCURL, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        df_log(DF_LOG_ERROR, "fetch", NULL, "cannot load " LIBCURL ": %s; HTTP fetches fail",
               dlerror());
        return;
    }
#define CURL_RESOLVE(name)                                                                         \
    if (!(lc.name = (__typeof__(lc.name))dlsym(lib, "curl_" #name))) {                             \
        df_log(DF_LOG_ERROR, "fetch", NULL, LIBCURL " lacks curl_" #name "; HTTP fetches fail");   \
        return;                                                                                    \
    }
    CURL_FUNCTIONS(CURL_RESOLVE)
    CURLcode rc = lc.global_init(CURL_GLOBAL_DEFAULT);
    if (rc != CURLE_OK) {
        df_log(DF_LOG_ERROR, "fetch", NULL, "cannot initialise libcurl: %s; HTTP fetches fail",
               lc.easy_strerror(rc));
        return;
    }
    curl_load_rc = 0;
}

/* ---- handles --------------------------------------------------------------- */

/* One of the client's uv handles closed: the last one frees the client. */
static void handle_gone(struct df_fetch_client *c)
{
    if (--c->handles || !c->finalized)
        return;
    void (*closed)(void *) = c->closed;
    void *ud = c->closed_ud;
    free(c);
    if (closed)
        closed(ud);
}

static void timer_closed(uv_handle_t *h)
{
    handle_gone(h->data);
}

static void sock_closed(uv_handle_t *h)
{
    struct sock *s = h->data;
    struct df_fetch_client *c = s->c;
    free(s);
    handle_gone(c);
}

static void sock_close(struct sock *s)
{
    struct df_fetch_client *c = s->c;
    s->closing = true;
    if (s->prev)
        s->prev->next = s->next;
    else
        c->socks = s->next;
    if (s->next)
        s->next->prev = s->prev;
    uv_close((uv_handle_t *)&s->poll, sock_closed);
}

/* ---- outcomes --------------------------------------------------------------- */

static void on_deliver(uv_timer_t *t);

/* Fixes op's outcome and queues it for its callback. */
static void queue(struct df_fetch_op *op)
{
    struct df_fetch_client *c = op->c;
    op->done = true;
    op->ready_next = NULL;
    if (c->ready_tail)
        c->ready_tail->ready_next = op;
    else
        c->ready = op;
    c->ready_tail = op;
    uv_timer_start(&c->deliver, on_deliver, 0, 0);
}

static void fail(struct df_fetch_op *op, CURLcode code)
{
    const char *why = op->curl_error[0] ? op->curl_error : lc.easy_strerror(code);
    if (op->nomem || code == CURLE_OUT_OF_MEMORY) {
        op->rc = DF_ENOMEM;
        snprintf(op->error, sizeof op->error, "out of memory: %s", why);
    } else if (op->too_big || code == CURLE_FILESIZE_EXCEEDED) {
        /* Announced by Content-Length (libcurl's check), or received. */
        op->rc = DF_ERANGE;
        snprintf(op->error, sizeof op->error, "response body larger than max_body (%zu bytes): %s",
                 op->max_body, why);
    } else if (code == CURLE_OPERATION_TIMEDOUT) {
        op->rc = DF_ETIMEDOUT;
        snprintf(op->error, sizeof op->error, "request timeout (%llu ms) reached: %s",
                 (unsigned long long)op->timeout_ms, why);
    } else {
        op->rc = DF_EIO;
        snprintf(op->error, sizeof op->error, "%s", why);
    }
}

/* libcurl finished op's transfer with `code`. */
static void finish(struct df_fetch_op *op, CURLcode code)
{
    lc.easy_getinfo(op->easy, CURLINFO_RESPONSE_CODE, &op->status);
    if (code == CURLE_OK) {
        char *ct = NULL;
        lc.easy_getinfo(op->easy, CURLINFO_CONTENT_TYPE, &ct);
        /* Copied: libcurl's string lives only as long as the transfer. */
        if (ct && !(op->content_type = strdup(ct))) {
            op->nomem = true;
            fail(op, CURLE_OUT_OF_MEMORY);
        }
    } else {
        fail(op, code);
    }
    lc.multi_remove_handle(op->c->multi, op->easy);
    op->in_multi = false;
    queue(op);
}

/* Takes every finished transfer out of libcurl. */
static void collect(struct df_fetch_client *c)
{
    CURLMsg *m;
    int left;
    while ((m = lc.multi_info_read(c->multi, &left))) {
        if (m->msg != CURLMSG_DONE)
            continue;
        /* `m` dies with curl_multi_remove_handle: read it first. */
        CURL *easy = m->easy_handle;
        CURLcode code = m->data.result;
        char *priv = NULL;
        lc.easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
        finish((struct df_fetch_op *)priv, code);
    }
}

static void cancel(struct df_fetch_op *op, const char *why)
{
    if (op->done) {
        /* A real outcome waits for its callback: replaced, unless the
         * callback already runs. */
        if (!op->delivering && !op->canceled) {
            op->canceled = true;
            op->cancel_why = why;
        }
        return;
    }
    op->canceled = true;
    op->cancel_why = why;
    if (op->in_multi) {
        lc.multi_remove_handle(op->c->multi, op->easy);
        op->in_multi = false;
    }
    queue(op);
}

static void op_free(struct df_fetch_op *op)
{
    if (op->in_multi)
        lc.multi_remove_handle(op->c->multi, op->easy);
    if (op->easy)
        lc.easy_cleanup(op->easy);
    lc.slist_free_all(op->headers);
    free(op->content_type);
    free(op->body);
    free(op);
}

static void deliver(struct df_fetch_op *op)
{
    struct df_fetch_result r = {.rc = op->rc, .status = op->status, .body = (const uint8_t *)""};
    if (op->canceled) {
        r.rc = DF_ECANCELED;
        r.status = 0;
        snprintf(r.error, sizeof r.error, "%s", op->cancel_why);
    } else if (op->rc != 0) {
        snprintf(r.error, sizeof r.error, "%s", op->error);
    } else {
        r.content_type = op->content_type;
        if (op->body) {
            op->body[op->len] = 0;
            r.body = op->body;
            r.body_len = op->len;
        }
    }
    op->delivering = true;
    op->cb(op->ud, &r);
    op_free(op);
}

/* Ends the client once nothing is left to hand over: closes the sockets
 * first (their descriptors are still open), then lets libcurl close its
 * connections, then closes the timers. */
static void finalize(struct df_fetch_client *c)
{
    c->finalized = true;
    while (c->socks)
        sock_close(c->socks);
    lc.multi_cleanup(c->multi);
    c->multi = NULL;
    uv_close((uv_handle_t *)&c->timer, timer_closed);
    uv_close((uv_handle_t *)&c->deliver, timer_closed);
}

static void on_deliver(uv_timer_t *t)
{
    struct df_fetch_client *c = t->data;
    /* A callback may queue more (cancel, close): the loop takes them too. */
    while (c->ready) {
        struct df_fetch_op *op = c->ready;
        c->ready = op->ready_next;
        if (!c->ready)
            c->ready_tail = NULL;
        if (op->prev)
            op->prev->next = op->next;
        else
            c->ops = op->next;
        if (op->next)
            op->next->prev = op->prev;
        deliver(op);
    }
    if (c->closing && !c->finalized && !c->ops)
        finalize(c);
}

/* ---- libcurl's callbacks and the loop's ------------------------------------- */

static void on_poll(uv_poll_t *p, int status, int events)
{
    struct sock *s = p->data;
    struct df_fetch_client *c = s->c;
    int flags = 0;
    if (status < 0)
        flags = CURL_CSELECT_ERR;
    else
        flags = ((events & UV_READABLE) ? CURL_CSELECT_IN : 0) |
                ((events & UV_WRITABLE) ? CURL_CSELECT_OUT : 0);
    int running;
    /* `s` may be closed in there; it is not touched after. */
    lc.multi_socket_action(c->multi, s->fd, flags, &running);
    collect(c);
}

static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    struct df_fetch_client *c = userp;
    struct sock *s = socketp;
    if (c->finalized) /* curl_multi_cleanup: every socket is closing already */
        return 0;
    if (what == CURL_POLL_REMOVE) {
        if (s) {
            lc.multi_assign(c->multi, fd, NULL);
            sock_close(s);
        }
        return 0;
    }
    if (!s) {
        s = calloc(1, sizeof *s);
        if (!s)
            return -1; /* libcurl fails the transfers of this socket */
        if (uv_poll_init_socket(c->loop, &s->poll, fd) < 0) {
            free(s);
            return -1;
        }
        s->poll.data = s;
        s->c = c;
        s->fd = fd;
        s->next = c->socks;
        if (c->socks)
            c->socks->prev = s;
        c->socks = s;
        c->handles++;
        lc.multi_assign(c->multi, fd, s);
    }
    int events =
        ((what & CURL_POLL_IN) ? UV_READABLE : 0) | ((what & CURL_POLL_OUT) ? UV_WRITABLE : 0);
    if (!events)
        return uv_poll_stop(&s->poll) < 0 ? -1 : 0;
    return uv_poll_start(&s->poll, events, on_poll) < 0 ? -1 : 0;
}

static void on_timer(uv_timer_t *t)
{
    struct df_fetch_client *c = t->data;
    int running;
    lc.multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    collect(c);
}

/* libcurl wants on_timer in `ms` (-1: never). Not called back at once even
 * for 0: libcurl forbids socket actions from inside its callbacks. */
static int on_curl_timer(CURLM *multi, long ms, void *userp)
{
    struct df_fetch_client *c = userp;
    if (c->finalized)
        return 0;
    if (ms < 0)
        uv_timer_stop(&c->timer);
    else
        uv_timer_start(&c->timer, on_timer, (uint64_t)ms, 0);
    return 0;
}

/* Appends received body bytes; stops the transfer (returning less than
 * given) as soon as max_body would be passed. */
static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
    struct df_fetch_op *op = ud;
    size_t len = size * n;
    if (len > op->max_body - op->len) {
        op->too_big = true;
        return 0;
    }
    if (op->len + len >= op->cap) {
        size_t cap = op->cap ? op->cap : 16384;
        while (cap <= op->len + len)
            cap *= 2;
        if (cap > op->max_body + 1)
            cap = op->max_body + 1;
        uint8_t *b = realloc(op->body, cap);
        if (!b) {
            op->nomem = true;
            return 0;
        }
        op->body = b;
        op->cap = cap;
    }
    memcpy(op->body + op->len, data, len);
    op->len += len;
    return len;
}

/* ---- the API ------------------------------------------------------------------- */

int df_fetch_client_new(uv_loop_t *loop, struct df_fetch_client **out)
{
    pthread_once(&curl_once, curl_load);
    if (curl_load_rc < 0)
        return curl_load_rc;
    struct df_fetch_client *c = calloc(1, sizeof *c);
    if (!c)
        return DF_ENOMEM;
    c->loop = loop;
    c->multi = lc.multi_init();
    if (!c->multi) {
        free(c);
        return DF_ENOMEM;
    }
    lc.multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    lc.multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
    lc.multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
    lc.multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
    uv_timer_init(loop, &c->timer);
    uv_timer_init(loop, &c->deliver);
    c->timer.data = c->deliver.data = c;
    c->handles = 2;
    *out = c;
    return 0;
}

/* A header line: a token, a colon, then anything but CR and LF. */
static bool header_ok(const char *h)
{
    static const char tchar[] = "!#$%&'*+-.^_`|~";
    const char *p = h;
    while (*p && *p != ':' &&
           ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr(tchar, *p)))
        p++;
    return p != h && *p == ':' && !strpbrk(p, "\r\n");
}

/* 0 when `url` parses as an http or https URL; DF_EINVAL, DF_ENOMEM. */
static int check_url(const char *url)
{
    CURLU *u = lc.url();
    if (!u)
        return DF_ENOMEM;
    char *scheme = NULL;
    int rc = DF_EINVAL;
    if (lc.url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        lc.url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        (!strcmp(scheme, "http") || !strcmp(scheme, "https")))
        rc = 0;
    lc.free(scheme);
    lc.url_cleanup(u);
    return rc;
}

static int check_req(const struct df_fetch_req *req, bool *post)
{
    if (!req->method || !strcmp(req->method, "GET"))
        *post = false;
    else if (!strcmp(req->method, "POST"))
        *post = true;
    else
        return DF_EINVAL;
    if ((req->body_len && !*post) || (req->body_len && !req->body) || !req->url)
        return DF_EINVAL;
    for (const char *const *h = req->headers; h && *h; h++)
        if (!header_ok(*h))
            return DF_EINVAL;
    return check_url(req->url);
}

/* The request's header list: the caller's lines, and for a POST an empty
 * Expect unless given (no 100-continue round trip before the body). */
static int make_headers(struct df_fetch_op *op, const struct df_fetch_req *req, bool post)
{
    bool expect = false;
    for (const char *const *h = req->headers; h && *h; h++) {
        struct curl_slist *l = lc.slist_append(op->headers, *h);
        if (!l)
            return DF_ENOMEM;
        op->headers = l;
        expect = expect || !strncasecmp(*h, "Expect:", 7);
    }
    if (post && !expect) {
        struct curl_slist *l = lc.slist_append(op->headers, "Expect:");
        if (!l)
            return DF_ENOMEM;
        op->headers = l;
    }
    return 0;
}

static int configure(struct df_fetch_op *op, const struct df_fetch_req *req, bool post)
{
    CURL *h = op->easy;
    CURLcode e = lc.easy_setopt(h, CURLOPT_PRIVATE, (char *)op);
    if (!e)
        e = lc.easy_setopt(h, CURLOPT_ERRORBUFFER, op->curl_error);
    if (!e)
        e = lc.easy_setopt(h, CURLOPT_URL, req->url);
    if (!e)
        e = lc.easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    if (!e)
        e = lc.easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    if (!e)
        e = lc.easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    if (!e)
        e = lc.easy_setopt(h, CURLOPT_MAXREDIRS, (long)DF_FETCH_MAX_REDIRECTS);
    if (!e)
        e = lc.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    if (!e) /* "" = no proxy, whatever the environment says */
        e = lc.easy_setopt(h, CURLOPT_PROXY, "");
    if (!e)
        e = lc.easy_setopt(h, CURLOPT_TIMEOUT_MS,
                           op->timeout_ms > LONG_MAX ? LONG_MAX : (long)op->timeout_ms);
    if (!e) /* fails at once when Content-Length announces too much */
        e = lc.easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)op->max_body);
    if (!e)
        e = lc.easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    if (!e)
        e = lc.easy_setopt(h, CURLOPT_WRITEDATA, op);
    if (!e)
        e = lc.easy_setopt(h, CURLOPT_USERAGENT, "df_engine/" DF_VERSION);
    if (!e && op->headers)
        e = lc.easy_setopt(h, CURLOPT_HTTPHEADER, op->headers);
    if (!e)
        e = lc.easy_setopt(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
    if (!e)
        e = lc.easy_setopt(h, CURLOPT_SSL_VERIFYPEER, req->insecure_skip_verify ? 0L : 1L);
    if (!e)
        e = lc.easy_setopt(h, CURLOPT_SSL_VERIFYHOST, req->insecure_skip_verify ? 0L : 2L);
    if (!e && req->ca_file)
        e = lc.easy_setopt(h, CURLOPT_CAINFO, req->ca_file);
    if (!e && req->ca_file) /* that bundle only, not also the system's folder */
        e = lc.easy_setopt(h, CURLOPT_CAPATH, NULL);
#if LIBCURL_VERSION_NUM >= 0x075700
    /* A request ended while its name is resolved must not wait for the
     * resolver thread (that would block the loop): the thread is left to
     * finish on its own. */
    if (!e)
        e = lc.easy_setopt(h, CURLOPT_QUICK_EXIT, 1L);
#endif
    if (!e && post)
        e = lc.easy_setopt(h, CURLOPT_POST, 1L);
    if (!e && post)
        e = lc.easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
    if (!e && post) /* copies POSTFIELDSIZE bytes, so the body may hold NULs */
        e = lc.easy_setopt(h, CURLOPT_COPYPOSTFIELDS, req->body_len ? req->body : "");
    if (e == CURLE_OUT_OF_MEMORY)
        return DF_ENOMEM;
    return e ? DF_EINVAL : 0;
}

int df_fetch_start(struct df_fetch_client *c, const struct df_fetch_req *req, df_fetch_cb cb,
                   void *ud, struct df_fetch_op **out)
{
    bool post;
    if (!c || c->closing || !req || !cb)
        return DF_EINVAL;
    int rc = check_req(req, &post);
    if (rc)
        return rc;
    struct df_fetch_op *op = calloc(1, sizeof *op);
    if (!op)
        return DF_ENOMEM;
    op->c = c;
    op->cb = cb;
    op->ud = ud;
    /* Halved so that max_body + 1 (the NUL) cannot overflow. */
    op->max_body = req->max_body ? req->max_body : DF_FETCH_DEFAULT_MAX_BODY;
    if (op->max_body > SIZE_MAX / 2)
        op->max_body = SIZE_MAX / 2;
    uint64_t ns = req->timeout_ns ? req->timeout_ns : DF_FETCH_DEFAULT_TIMEOUT_NS;
    op->timeout_ms = (ns + 999999) / 1000000;
    op->easy = lc.easy_init();
    rc = op->easy ? make_headers(op, req, post) : DF_ENOMEM;
    if (!rc)
        rc = configure(op, req, post);
    if (!rc) {
        CURLMcode m = lc.multi_add_handle(c->multi, op->easy);
        rc = m == CURLM_OK ? 0 : m == CURLM_OUT_OF_MEMORY ? DF_ENOMEM : DF_EIO;
    }
    if (rc) {
        op_free(op);
        return rc;
    }
    op->in_multi = true;
    op->next = c->ops;
    if (c->ops)
        c->ops->prev = op;
    c->ops = op;
    if (out)
        *out = op;
    return 0;
}

void df_fetch_cancel(struct df_fetch_op *op)
{
    if (op)
        cancel(op, "canceled");
}

void df_fetch_client_close(struct df_fetch_client *c, void (*closed)(void *ud), void *ud)
{
    c->closing = true;
    c->closed = closed;
    c->closed_ud = ud;
    for (struct df_fetch_op *op = c->ops; op; op = op->next)
        cancel(op, "canceled: the client was closed");
    /* Finalizes from the loop even when nothing is in flight. */
    uv_timer_start(&c->deliver, on_deliver, 0, 0);
}
