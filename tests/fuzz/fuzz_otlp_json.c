/* libFuzzer target: OTLP/JSON <-> protobuf (otlp/json.h) on arbitrary bytes.
 * The first byte picks the signal, the rest is read twice:
 *   - as OTLP/JSON: when it decodes, the protobuf must be a valid request,
 *     and pb -> JSON -> pb must give back the very same bytes (the decoder's
 *     output is canonical); when it does not, there must be a message;
 *   - as protobuf: when df_otlp_count accepts it and it converts to JSON,
 *     that JSON must decode, and pb -> JSON -> pb -> JSON must give the same
 *     JSON text (the encoder's output is a fixed point). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "df/error.h"
#include "otlp/json.h"
#include "otlp/otlp.h"
#include "otlp/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* JSON -> protobuf that must succeed; aborts otherwise. */
static void must_decode(enum df_signal sig, const struct df_jbuf *j, struct df_pb_writer *w)
{
    char err[256];
    df_pb_writer_init(w);
    if (df_otlp_json_to_pb(sig, j->buf, j->len, w, err, sizeof err) != 0)
        abort();
    uint64_t items;
    if (df_otlp_count(sig, w->buf, w->len, &items) != 0)
        abort();
}

static void must_encode(enum df_signal sig, const struct df_pb_writer *w, struct df_jbuf *j)
{
    df_jbuf_init(j);
    if (df_otlp_pb_to_json(sig, w->buf, w->len, j) != 0)
        abort();
}

static void same_bytes(const struct df_pb_writer *a, const struct df_pb_writer *b)
{
    if (a->len != b->len || (a->len && memcmp(a->buf, b->buf, a->len) != 0))
        abort();
}

static void as_json(enum df_signal sig, const uint8_t *buf, size_t len)
{
    struct df_pb_writer pb, pb2;
    struct df_jbuf j;
    char err[256] = "";
    df_pb_writer_init(&pb);
    int rc = df_otlp_json_to_pb(sig, (const char *)buf, len, &pb, err, sizeof err);
    if (rc == DF_EPARSE) {
        if (err[0] == '\0' || pb.len != 0)
            abort();
        df_pb_writer_free(&pb);
        return;
    }
    if (rc != 0)
        abort();
    uint64_t items;
    if (df_otlp_count(sig, pb.buf, pb.len, &items) != 0)
        abort();
    must_encode(sig, &pb, &j);
    must_decode(sig, &j, &pb2);
    same_bytes(&pb, &pb2);
    df_jbuf_free(&j);
    df_pb_writer_free(&pb2);
    df_pb_writer_free(&pb);
}

static void as_protobuf(enum df_signal sig, const uint8_t *buf, size_t len)
{
    uint64_t items;
    if (df_otlp_count(sig, buf, len, &items) != 0)
        return;
    struct df_jbuf j1, j2;
    struct df_pb_writer pb2, pb3;
    df_jbuf_init(&j1);
    int rc = df_otlp_pb_to_json(sig, buf, len, &j1);
    if (rc == DF_EPARSE) { /* only for ids of the wrong size */
        if (j1.len != 0)
            abort();
        df_jbuf_free(&j1);
        return;
    }
    if (rc != 0)
        abort();
    must_decode(sig, &j1, &pb2);
    must_encode(sig, &pb2, &j2);
    if (j1.len != j2.len || memcmp(j1.buf, j2.buf, j1.len) != 0)
        abort();
    must_decode(sig, &j2, &pb3);
    same_bytes(&pb2, &pb3);
    df_pb_writer_free(&pb3);
    df_pb_writer_free(&pb2);
    df_jbuf_free(&j2);
    df_jbuf_free(&j1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    enum df_signal sig = (enum df_signal)(data[0] % DF_SIGNAL_COUNT);
    as_json(sig, data + 1, size - 1);
    as_protobuf(sig, data + 1, size - 1);
    return 0;
}
