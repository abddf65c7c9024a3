/* exporter:file — writes every request to a file, for debugging and tests:
 * OTLP/JSON, one request per line, or the protobuf bytes after a 4-byte
 * big-endian length.
 *
 * Files are opened when the node is created (before any core starts, so
 * `open_mode: truncate` never truncates what another core wrote) with
 * O_APPEND, and each record is written with one write(2), so records from
 * several cores sharing a file never interleave. The write happens on the
 * core's thread: a write to the page cache, fine for debugging and tests, not
 * meant for production volumes. A request is Acked once written, Nacked
 * (transient, with the reason) if the write fails. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "df/node.h"
#include "nodes/exporters/file/file.h"
#include "otlp/json.h"

struct file_exporter {
    const struct file_exporter_config *cfg;
    int fds[DF_SIGNAL_COUNT]; /* several signals may share one fd */
};

/* Expands {signal} and {core_id}. */
static void expand(const char *tmpl, enum df_signal s, unsigned core, char *out, size_t len)
{
    size_t o = 0;
    for (const char *t = tmpl; *t && o + 1 < len;) {
        if (!strncmp(t, "{signal}", 8)) {
            o += (size_t)snprintf(out + o, len - o, "%s", df_signal_name(s));
            t += 8;
        } else if (!strncmp(t, "{core_id}", 9)) {
            o += (size_t)snprintf(out + o, len - o, "%u", core);
            t += 9;
        } else {
            out[o++] = *t++;
        }
    }
    out[o < len ? o : len - 1] = 0;
}

static int file_create(struct df_node *node, const void *options, void **state,
                       struct df_error *err)
{
    struct file_exporter *f = calloc(1, sizeof *f);
    if (!f)
        return DF_ENOMEM;
    *state = f;
    f->cfg = options;
    char paths[DF_SIGNAL_COUNT][1024];
    for (int s = 0; s < DF_SIGNAL_COUNT; s++) {
        f->fds[s] = -1;
        expand(f->cfg->path, (enum df_signal)s, df_node_core(node), paths[s], sizeof paths[s]);
        for (int o = 0; o < s && f->fds[s] < 0; o++) {
            if (!strcmp(paths[o], paths[s]))
                f->fds[s] = f->fds[o];
        }
        if (f->fds[s] >= 0)
            continue;
        int flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC;
        if (f->cfg->open_mode == FILE_TRUNCATE)
            flags |= O_TRUNC;
        f->fds[s] = open(paths[s], flags, 0644);
        if (f->fds[s] < 0) {
            snprintf(err->msg, sizeof err->msg, "cannot open %s: %s", paths[s], strerror(errno));
            return DF_EIO;
        }
    }
    return 0;
}

/* Writes one record with one writev(2): O_APPEND makes it land whole after
 * whatever another core wrote. Returns 0 or an errno. */
static int write_record(int fd, const struct iovec *iov, int n)
{
    size_t want = 0;
    for (int i = 0; i < n; i++)
        want += iov[i].iov_len;
    ssize_t w;
    do
        w = writev(fd, iov, n);
    while (w < 0 && errno == EINTR);
    if (w < 0)
        return errno;
    return (size_t)w == want ? 0 : ENOSPC;
}

static void file_process(struct df_node *node, void *state, struct df_pdata *pd)
{
    struct file_exporter *f = state;
    int fd = f->fds[pd->signal], err;
    if (f->cfg->format == FILE_PROTO) {
        uint8_t prefix[4] = {(uint8_t)(pd->len >> 24), (uint8_t)(pd->len >> 16),
                             (uint8_t)(pd->len >> 8), (uint8_t)pd->len};
        struct iovec iov[2] = {{prefix, 4}, {(void *)pd->data, pd->len}};
        err = write_record(fd, iov, 2);
    } else {
        struct df_jbuf j;
        df_jbuf_init(&j);
        int rc = df_otlp_pb_to_json(pd->signal, pd->data, pd->len, &j);
        if (rc < 0 || j.err) {
            df_jbuf_free(&j);
            df_node_nack(
                node, pd, rc == DF_EPARSE ? DF_OUTCOME_NACK_PERMANENT : DF_OUTCOME_NACK_TRANSIENT,
                "exporter:file: %s", rc == DF_EPARSE ? "malformed request" : "out of memory");
            return;
        }
        struct iovec iov[2] = {{j.buf, j.len}, {(void *)"\n", 1}};
        err = write_record(fd, iov, 2);
        df_jbuf_free(&j);
    }
    if (err)
        df_node_nack(node, pd, DF_OUTCOME_NACK_TRANSIENT, "exporter:file: write failed: %s",
                     strerror(err));
    else
        df_node_ack(node, pd);
}

static void file_destroy(struct df_node *node, void *state)
{
    struct file_exporter *f = state;
    for (int s = 0; s < DF_SIGNAL_COUNT; s++) {
        bool shared = false;
        for (int o = 0; o < s; o++)
            shared |= f->fds[o] == f->fds[s];
        if (f->fds[s] >= 0 && !shared)
            close(f->fds[s]);
    }
    free(f);
}

static const struct df_node_ops file_ops = {
    .create = file_create, .process = file_process, .destroy = file_destroy};

DF_REGISTER_NODE(file_exporter, "urn:otel:exporter:file", DF_NODE_EXPORTER,
                 "Writes every request to a file as OTLP/JSON lines or length-prefixed protobuf.",
                 "docs/nodes.md#exporterfile", .options = &file_exporter_table, .ops = &file_ops);
