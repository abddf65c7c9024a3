/* extensions/common/file_read.c — whole-file reads of small secret files,
 * blocking (config checks) or with libuv's thread pool (background tasks).
 * See file_read.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "extensions/common/file_read.h"

#define FIRST_CAP 4096

const char *ext_file_read_sync(const char *path, char *buf, size_t cap, size_t *len)
{
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return strerror(errno);
    const char *why = NULL;
    while (*len < cap) {
        ssize_t r = read(fd, buf + *len, cap - *len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            why = strerror(errno);
            break;
        }
        if (r == 0)
            break;
        *len += (size_t)r;
    }
    close(fd);
    return why;
}

struct ext_file_read *ext_file_read_new(uv_loop_t *loop, size_t max, const char *too_large_why)
{
    struct ext_file_read *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->cap = max + 1 < FIRST_CAP ? max + 1 : FIRST_CAP;
    if (!(r->buf = malloc(r->cap))) {
        free(r);
        return NULL;
    }
    r->loop = loop;
    r->max = max;
    r->too_large_why = too_large_why;
    return r;
}

static void destroy(struct ext_file_read *r)
{
    OPENSSL_cleanse(r->buf, r->cap);
    free(r->buf);
    free(r);
}

static void finish(struct ext_file_read *r)
{
    r->busy = false;
    size_t len = r->len;
    if (!r->done) {
        destroy(r);
        return;
    }
    r->done(r, r->ud);
    if (!r->busy && !r->held) {
        OPENSSL_cleanse(r->buf, len < r->cap ? len : r->cap);
        r->len = 0;
    }
}

void ext_file_read_hold(struct ext_file_read *r)
{
    r->held = true;
}

void ext_file_read_release(struct ext_file_read *r)
{
    OPENSSL_cleanse(r->buf, r->len < r->cap ? r->len : r->cap);
    r->len = 0;
    r->held = false;
}

static void on_close(uv_fs_t *req)
{
    uv_fs_req_cleanup(req);
    finish(req->data);
}

static void close_with(struct ext_file_read *r, const char *why)
{
    if (!r->why)
        r->why = why;
    if (uv_fs_close(r->loop, &r->req, r->fd, on_close) < 0)
        finish(r);
}

/* Doubles the buffer up to max + 1, wiping the old one. */
static bool grow(struct ext_file_read *r)
{
    size_t cap = r->cap * 2 < r->max + 1 ? r->cap * 2 : r->max + 1;
    char *buf = malloc(cap);
    if (!buf)
        return false;
    memcpy(buf, r->buf, r->len);
    OPENSSL_cleanse(r->buf, r->cap);
    free(r->buf);
    r->buf = buf;
    r->cap = cap;
    return true;
}

static void on_read(uv_fs_t *req);

static void read_more(struct ext_file_read *r)
{
    if (r->len == r->cap && !grow(r)) {
        close_with(r, "out of memory");
        return;
    }
    uv_buf_t buf = uv_buf_init(r->buf + r->len, (unsigned)(r->cap - r->len));
    int rc = uv_fs_read(r->loop, &r->req, r->fd, &buf, 1, -1, on_read);
    if (rc < 0)
        close_with(r, uv_strerror(rc));
}

static void on_read(uv_fs_t *req)
{
    struct ext_file_read *r = req->data;
    ssize_t n = req->result;
    uv_fs_req_cleanup(req);
    if (n < 0) {
        close_with(r, uv_strerror((int)n));
    } else if (n == 0) {
        close_with(r, NULL);
    } else if ((r->len += (size_t)n) > r->max) {
        r->too_large = true;
        close_with(r, r->too_large_why);
    } else {
        read_more(r);
    }
}

static void on_open(uv_fs_t *req)
{
    struct ext_file_read *r = req->data;
    ssize_t n = req->result;
    uv_fs_req_cleanup(req);
    if (n < 0) {
        r->why = uv_strerror((int)n);
        finish(r);
        return;
    }
    r->fd = (uv_file)n;
    read_more(r);
}

void ext_file_read_start(struct ext_file_read *r, const char *path, ext_file_read_fn done, void *ud)
{
    OPENSSL_cleanse(r->buf, r->len); /* a previous read's, when started from its callback */
    r->done = done;
    r->ud = ud;
    r->busy = true;
    r->held = false;
    r->too_large = false;
    r->why = NULL;
    r->len = 0;
    r->req.data = r;
    int rc = uv_fs_open(r->loop, &r->req, path, O_RDONLY | O_CLOEXEC | O_NONBLOCK, 0, on_open);
    if (rc < 0) {
        r->why = uv_strerror(rc);
        finish(r);
    }
}

void ext_file_read_free(struct ext_file_read *r)
{
    if (!r)
        return;
    if (r->busy) {
        r->done = NULL; /* finishes on its own */
        return;
    }
    destroy(r);
}

static bool blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

void ext_file_trim(const char *buf, size_t len, size_t *start, size_t *n)
{
    size_t a = 0, b = len;
    while (a < b && blank(buf[a]))
        a++;
    while (b > a && blank(buf[b - 1]))
        b--;
    *start = a;
    *n = b - a;
}
