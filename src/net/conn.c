/* Listeners and server connections (net/conn.h). */
#include "net/conn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "df/error.h"
#include "net/addr.h"

#define READ_BUF (64 * 1024)

struct df_listener {
    uv_tcp_t tcp;
    uv_loop_t *loop;
    struct df_listener_opts opts;
    df_proto_select_fn select;
    void *ud;
    struct df_conn *conns; /* open connections */
    unsigned nconns;
    bool stopped;     /* the listening handle is closing or closed */
    bool handle_open; /* the listening handle is not closed yet */
    bool freeing;     /* df_listener_close was called */
    void (*done)(void *);
    void *done_ud;
    int port;
};

/* One read at a time per thread: every connection of a loop shares it. */
static _Thread_local uint8_t read_buf[READ_BUF];

struct df_conn {
    uv_tcp_t tcp;
    uv_timer_t idle;
    struct df_listener *l; /* NULL for a client connection */
    /* Client connections. */
    df_conn_event_fn on_event;
    void *ud;
    uv_getaddrinfo_t resolve;
    uv_connect_t connect;
    bool connected;
    bool resolving; /* a getaddrinfo request still refers to this */
    int end_status; /* reported with the final event */
    uint64_t idle_ms;
    size_t max_output;
    struct df_proto *proto;
    struct df_conn *prev, *next;
    struct sockaddr_storage peer;
    size_t unsent;    /* bytes handed to uv_write and not yet written */
    bool reading;     /* uv_read_start active */
    bool finishing;   /* close once the output is sent */
    bool closing;     /* uv_close called */
    unsigned handles; /* open handles (tcp, idle) */
};

struct write_req {
    uv_write_t req;
    struct df_conn *c;
    size_t len;
    uint8_t data[];
};

static void conn_close(struct df_conn *c);

/* Frees the listener once it was asked to and nothing of it is left. */
static void listener_maybe_done(struct df_listener *l)
{
    if (!l->freeing || l->nconns || l->handle_open)
        return;
    void (*done)(void *) = l->done;
    void *ud = l->done_ud;
    free(l);
    if (done)
        done(ud);
}

static void conn_free(struct df_conn *c)
{
    struct df_listener *l = c->l;
    if (!l) /* the owner may still look at its protocol */
        c->on_event(c->ud, c, c->end_status ? c->end_status : UV_ECANCELED);
    if (c->proto)
        c->proto->ops->destroy(c->proto);
    if (!l) {
        free(c);
        return;
    }
    if (c->prev)
        c->prev->next = c->next;
    else
        l->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    l->nconns--;
    free(c);
    listener_maybe_done(l);
}

static void conn_handle_closed(uv_handle_t *h)
{
    struct df_conn *c = h->data;
    if (--c->handles || c->resolving)
        return;
    conn_free(c);
}

static void conn_close_status(struct df_conn *c, int status)
{
    if (c->closing)
        return;
    c->closing = true;
    if (!c->end_status)
        c->end_status = status;
    uv_close((uv_handle_t *)&c->idle, conn_handle_closed);
    uv_close((uv_handle_t *)&c->tcp, conn_handle_closed);
}

static void conn_close(struct df_conn *c)
{
    conn_close_status(c, UV_ECANCELED);
}

void df_conn_close(struct df_conn *c)
{
    conn_close(c);
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    *buf = uv_buf_init((char *)read_buf, READ_BUF);
}

static void read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

static void set_reading(struct df_conn *c, bool on)
{
    if (c->closing || on == c->reading)
        return;
    if (on)
        uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, read_cb);
    else
        uv_read_stop((uv_stream_t *)&c->tcp);
    c->reading = on;
}

static void write_cb(uv_write_t *req, int status)
{
    struct write_req *w = (struct write_req *)req;
    struct df_conn *c = w->c;
    c->unsent -= w->len;
    free(w);
    if (c->closing)
        return;
    if (status < 0) {
        conn_close_status(c, status);
        return;
    }
    df_conn_flush(c);
}

void df_conn_flush(struct df_conn *c)
{
    if (c->closing || (!c->l && !c->connected))
        return;
    const uint8_t *data;
    size_t n;
    while (c->proto && (n = c->proto->ops->output(c->proto, &data)) > 0) {
        struct write_req *w = malloc(sizeof *w + n);
        if (!w) {
            conn_close(c);
            return;
        }
        memcpy(w->data, data, n);
        w->c = c;
        w->len = n;
        c->proto->ops->consumed(c->proto, n);
        uv_buf_t b = uv_buf_init((char *)w->data, (unsigned)n);
        if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, write_cb) < 0) {
            free(w);
            conn_close(c);
            return;
        }
        c->unsent += n;
    }
    if (c->proto && c->proto->ops->done(c->proto))
        c->finishing = true;
    if (c->finishing) {
        set_reading(c, false);
        if (!c->unsent)
            conn_close_status(c, UV_EOF);
        return;
    }
    /* A peer that does not read our answers cannot make us buffer more; a
     * protocol waiting on its own answers takes no more input. */
    bool want = !c->proto || !c->proto->ops->want_read || c->proto->ops->want_read(c->proto);
    set_reading(c, want && c->unsent < (c->max_output ? c->max_output : 4u << 20));
}

static void idle_cb(uv_timer_t *t)
{
    conn_close_status(t->data, UV_ETIMEDOUT);
}

static void read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    struct df_conn *c = s->data;
    if (nread == 0)
        return;
    if (nread < 0) {
        conn_close_status(c, (int)nread);
        return;
    }
    if (c->idle_ms)
        uv_timer_start(&c->idle, idle_cb, c->idle_ms, 0);
    const uint8_t *data = (const uint8_t *)buf->base;
    if (!c->proto) {
        c->proto = c->l->select(c->l->ud, c, data, (size_t)nread);
        if (!c->proto) {
            conn_close(c);
            return;
        }
    }
    if (c->proto->ops->feed(c->proto, data, (size_t)nread) < 0)
        c->finishing = true;
    df_conn_flush(c);
}

static void accept_cb(uv_stream_t *server, int status)
{
    struct df_listener *l = server->data;
    if (status < 0 || l->stopped)
        return;
    struct df_conn *c = calloc(1, sizeof *c);
    if (!c)
        return; /* the connection stays in the backlog; retried on the next accept */
    uv_tcp_init(l->loop, &c->tcp);
    uv_timer_init(l->loop, &c->idle);
    c->tcp.data = c->idle.data = c;
    c->l = l;
    c->handles = 2;
    c->idle_ms = l->opts.idle_timeout_ms;
    c->max_output = l->opts.max_output;
    c->next = l->conns;
    if (l->conns)
        l->conns->prev = c;
    l->conns = c;
    l->nconns++;
    if (uv_accept(server, (uv_stream_t *)&c->tcp) < 0) {
        conn_close(c);
        return;
    }
    if (l->opts.max_connections && l->nconns > l->opts.max_connections) {
        conn_close(c);
        return;
    }
    int len = sizeof c->peer;
    uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&c->peer, &len);
    if (l->opts.tcp_nodelay)
        uv_tcp_nodelay(&c->tcp, 1);
    if (c->idle_ms)
        uv_timer_start(&c->idle, idle_cb, c->idle_ms, 0);
    set_reading(c, true);
}

struct df_listener *df_listener_start(uv_loop_t *loop, const struct sockaddr *addr,
                                      const struct df_listener_opts *opts,
                                      df_proto_select_fn select, void *ud, char *err, size_t errlen)
{
    char where[128];
    df_sockaddr_format(addr, where, sizeof where);
    struct df_listener *l = calloc(1, sizeof *l);
    if (!l) {
        snprintf(err, errlen, "cannot listen on %s: out of memory", where);
        return NULL;
    }
    l->loop = loop;
    l->opts = *opts;
    l->select = select;
    l->ud = ud;
    int rc = uv_tcp_init_ex(loop, &l->tcp, addr->sa_family);
    l->tcp.data = l;
    if (rc == 0 && opts->reuseport) {
        uv_os_fd_t fd;
        int one = 1;
        rc = uv_fileno((uv_handle_t *)&l->tcp, &fd);
        if (rc == 0 && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0)
            rc = uv_translate_sys_error(errno);
    }
    if (rc == 0)
        rc = uv_tcp_bind(&l->tcp, addr, 0);
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&l->tcp, 511, accept_cb);
    l->handle_open = true;
    if (rc < 0) {
        snprintf(err, errlen, "cannot listen on %s: %s", where, uv_strerror(rc));
        /* The handle was initialised: the listener is freed once it closed. */
        df_listener_close(l, NULL, NULL);
        return NULL;
    }
    struct sockaddr_storage bound;
    int blen = sizeof bound;
    uv_tcp_getsockname(&l->tcp, (struct sockaddr *)&bound, &blen);
    l->port = ntohs(((struct sockaddr_in *)&bound)->sin_port);
    return l;
}

int df_listener_port(const struct df_listener *l)
{
    return l->port;
}

unsigned df_listener_connections(const struct df_listener *l)
{
    return l->nconns;
}

static void listener_closed(uv_handle_t *h)
{
    struct df_listener *l = h->data;
    l->handle_open = false;
    listener_maybe_done(l);
}

void df_listener_stop_accepting(struct df_listener *l)
{
    if (l->stopped)
        return;
    l->stopped = true;
    uv_close((uv_handle_t *)&l->tcp, listener_closed);
}

void df_listener_close(struct df_listener *l, void (*done)(void *), void *done_ud)
{
    l->done = done;
    l->done_ud = done_ud;
    l->freeing = true;
    df_listener_stop_accepting(l);
    for (struct df_conn *c = l->conns; c; c = c->next)
        conn_close(c);
}

uv_loop_t *df_conn_loop(struct df_conn *c)
{
    return c->tcp.loop;
}

void df_listener_shutdown(struct df_listener *l, void (*done)(void *), void *done_ud)
{
    l->done = done;
    l->done_ud = done_ud;
    l->freeing = true;
    df_listener_stop_accepting(l);
    for (struct df_conn *c = l->conns, *next; c; c = next) {
        next = c->next; /* the flush may close and free c */
        c->finishing = true;
        df_conn_flush(c);
    }
    listener_maybe_done(l);
}

const struct sockaddr_storage *df_conn_peer(const struct df_conn *c)
{
    return &c->peer;
}

/* ---- client connections -------------------------------------------------- */

static void connect_cb(uv_connect_t *req, int status)
{
    struct df_conn *c = req->data;
    if (c->closing)
        return;
    if (status < 0) {
        conn_close_status(c, status);
        return;
    }
    uv_timer_stop(&c->idle);
    c->connected = true;
    if (c->idle_ms)
        uv_timer_start(&c->idle, idle_cb, c->idle_ms, 0);
    set_reading(c, true);
    c->on_event(c->ud, c, 0);
    df_conn_flush(c);
}

static void resolved_cb(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    struct df_conn *c = req->data;
    c->resolving = false;
    if (c->closing) {
        uv_freeaddrinfo(res);
        if (!c->handles)
            conn_free(c);
        return;
    }
    if (status < 0 || !res) {
        uv_freeaddrinfo(res);
        conn_close_status(c, status < 0 ? status : UV_EAI_NONAME);
        return;
    }
    c->connect.data = c;
    int rc = uv_tcp_connect(&c->connect, &c->tcp, res->ai_addr, connect_cb);
    if (rc == 0)
        memcpy(&c->peer, res->ai_addr, res->ai_addrlen);
    uv_freeaddrinfo(res);
    if (rc < 0)
        conn_close_status(c, rc);
}

static void connect_timeout_cb(uv_timer_t *t)
{
    conn_close_status(t->data, UV_ETIMEDOUT);
}

struct df_conn *df_conn_connect(uv_loop_t *loop, const struct df_conn_client_opts *o,
                                struct df_proto *proto, df_conn_event_fn on_event, void *ud)
{
    struct df_conn *c = calloc(1, sizeof *c);
    if (!c) {
        proto->ops->destroy(proto);
        return NULL;
    }
    c->proto = proto;
    c->on_event = on_event;
    c->ud = ud;
    c->idle_ms = o->idle_timeout_ms;
    c->max_output = o->max_output;
    uv_tcp_init(loop, &c->tcp);
    uv_timer_init(loop, &c->idle);
    c->tcp.data = c->idle.data = c->resolve.data = c;
    c->handles = 2;
    if (o->tcp_nodelay)
        uv_tcp_nodelay(&c->tcp, 1);
    if (o->connect_timeout_ms)
        uv_timer_start(&c->idle, connect_timeout_cb, o->connect_timeout_ms, 0);
    char port[8];
    snprintf(port, sizeof port, "%u", o->port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    c->resolving = true;
    int rc = uv_getaddrinfo(loop, &c->resolve, resolved_cb, o->host, port, &hints);
    if (rc < 0) {
        c->resolving = false;
        conn_close_status(c, rc);
    }
    return c;
}
