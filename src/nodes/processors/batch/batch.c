/* processor:batch — merges requests of one signal into larger ones.
 *
 * OTLP requests merge by concatenating their serialized bytes (a repeated
 * field's entries concatenate), so a batch is built without decoding: the
 * pending parts of each signal are copied one after the other into a new
 * buffer. A batch is sent once it holds `send_batch_size` items, or when
 * `timeout` has passed since its first part arrived. With
 * `send_batch_max_size`, no batch exceeds that many items: a request that
 * would is split at resource boundaries (a single resource holding more items
 * is sent whole — documented). When a batch would consist of one input's
 * contiguous bytes it is sent as a view of them, without copying; a request
 * already big enough passes straight through, its outcome going directly to
 * its upstream subscriber.
 *
 * Identities: requests carry the identity of their sender (an auth_check
 * extension's, in the pdata context). By default a batch never mixes them:
 * requests are batched per (signal, identity) — a partition — and a batch
 * carries its partition's identity. At most metadata_cardinality_limit
 * partitions exist at once; a new identity beyond that first sends the
 * partition whose batch is oldest and takes its place. With
 * partition_by_identity off, each signal has one partition and a batch
 * carries an identity only when all its parts had the same one.
 * Partitions are kept once made (with their parts arrays, so a steady set
 * of senders allocates nothing per batch) and found by a linear scan:
 * documented cost, fine for the tens of senders a pipeline sees.
 *
 * Ack/Nack: every input is held until each batch carrying a part of it has
 * been settled downstream; then the input is Acked, or Nacked with the first
 * Nack's kind and reason. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "df/capabilities/auth_check.h"
#include "df/node.h"
#include "nodes/processors/batch/batch.h"
#include "otlp/otlp.h"

/* An input held until every batch carrying part of it settles. */
struct input {
    struct df_pdata *pd;
    uint32_t parts_pending; /* parts not yet in a sent batch */
    uint32_t outstanding;   /* sent batches not yet settled */
    enum df_outcome outcome;
    char *reason; /* the first Nack's */
};

struct part {
    struct input *in;
    const uint8_t *data;
    size_t len;
    uint64_t items;
};

/* A sent batch: which inputs it carries (each once). */
struct sent {
    uint32_t ninputs;
    struct input *inputs[];
};

/* A partition: the parts waiting to be sent together. */
struct pending {
    enum df_signal signal;
    const struct df_identity *key; /* the partition's identity (compared only) */
    /* The identity the batch carries: its parts' one, NULL once they had
     * several (only without partition_by_identity; a part without one
     * keeps it NULL too). */
    const struct df_identity *identity;
    struct part *parts;
    uint32_t nparts, cap;
    uint64_t items;
    size_t bytes;
    uint64_t deadline; /* uv_hrtime() ns when it is sent; set while nparts */
};

struct batch {
    const struct batch_config *cfg;
    struct pending **parts; /* every partition made */
    uint32_t nparts, cap;
    struct pending *last;   /* the partition the last request went to */
    struct df_timer *timer; /* armed for `armed_for`, the earliest deadline */
    uint64_t armed_for;     /* 0 = not armed */
};

static void settle_input(struct df_node *node, struct input *in)
{
    if (in->outcome == DF_OUTCOME_ACK)
        df_node_ack(node, in->pd);
    else
        df_node_nack(node, in->pd, in->outcome, "%s", in->reason ? in->reason : "rejected");
    free(in->reason);
    free(in);
}

static void flush(struct df_node *node, struct pending *p)
{
    if (!p->nparts)
        return;
    enum df_signal s = p->signal;
    struct sent *sent = malloc(sizeof *sent + p->nparts * sizeof sent->inputs[0]);
    /* One input's contiguous bytes go out as a view of them. */
    bool contiguous = true;
    for (uint32_t i = 1; i < p->nparts && contiguous; i++)
        contiguous = p->parts[i].in == p->parts[0].in &&
                     p->parts[i].data == p->parts[i - 1].data + p->parts[i - 1].len;
    struct df_pdata *out = NULL;
    if (sent && contiguous) {
        struct df_pdata *src = p->parts[0].in->pd;
        out = df_pdata_new(node, s, src->bytes, p->parts[0].data, p->bytes, p->items);
    } else if (sent) {
        struct df_bytes *buf = df_bytes_new(p->bytes);
        if (buf) {
            size_t off = 0;
            for (uint32_t i = 0; i < p->nparts; i++) {
                memcpy(buf->data + off, p->parts[i].data, p->parts[i].len);
                off += p->parts[i].len;
            }
            out = df_pdata_new(node, s, buf, buf->data, buf->len, p->items);
            df_bytes_unref(buf);
        }
    }
    if (out)
        out->ctx.identity = p->identity;
    if (sent)
        sent->ninputs = 0;
    for (uint32_t i = 0; i < p->nparts; i++) {
        struct input *in = p->parts[i].in;
        in->parts_pending--;
        if (sent && (!sent->ninputs || sent->inputs[sent->ninputs - 1] != in)) {
            sent->inputs[sent->ninputs++] = in;
            in->outstanding++;
        }
    }
    p->nparts = 0;
    p->items = 0;
    p->bytes = 0;
    if (!out) {
        /* Out of memory: fail every input of this batch now. */
        for (uint32_t i = 0; sent && i < sent->ninputs; i++) {
            struct input *in = sent->inputs[i];
            in->outstanding--;
            if (in->outcome == DF_OUTCOME_ACK)
                in->outcome = DF_OUTCOME_NACK_TRANSIENT;
            if (!in->outstanding && !in->parts_pending)
                settle_input(node, in);
        }
        free(sent);
        df_node_log(node, DF_LOG_ERROR, "out of memory building a %s batch", df_signal_name(s));
        return;
    }
    df_pdata_subscribe(node, out, (uint64_t)(uintptr_t)sent);
    df_node_send(node, DF_PORT_DEFAULT, out);
}

/* Arms the timer for the earliest deadline of a partition with parts, or
 * stops it when none has any. Invariant: the timer is armed (armed_for set)
 * whenever a partition has parts. */
static void arm(struct batch *b)
{
    uint64_t first = 0;
    for (uint32_t i = 0; i < b->nparts; i++) {
        const struct pending *p = b->parts[i];
        if (p->nparts && (!first || p->deadline < first))
            first = p->deadline;
    }
    if (first == b->armed_for)
        return;
    b->armed_for = first;
    if (!first) {
        df_timer_stop(b->timer);
        return;
    }
    uint64_t now = uv_hrtime();
    df_timer_start(b->timer, first > now ? first - now : 0, 0);
}

/* Sends every batch whose time has come. The timer counts milliseconds:
 * a deadline within the next one counts as come. */
static void on_timer(struct df_node *node, void *state)
{
    struct batch *b = state;
    uint64_t now = uv_hrtime() + 1000000;
    b->armed_for = 0;
    for (uint32_t i = 0; i < b->nparts; i++) {
        if (b->parts[i]->nparts && b->parts[i]->deadline <= now)
            flush(node, b->parts[i]);
    }
    arm(b);
}

/* The partition of (signal, `key`), made when missing; NULL when out of
 * memory. At the cardinality limit the partition with the oldest batch (or
 * an empty one) is sent and given to `key`. */
static struct pending *partition(struct df_node *node, struct batch *b, enum df_signal s,
                                 const struct df_identity *key)
{
    if (b->last && b->last->signal == s && b->last->key == key)
        return b->last; /* consecutive requests of one sender: no scan */
    for (uint32_t i = 0; i < b->nparts; i++) {
        if (b->parts[i]->signal == s && b->parts[i]->key == key)
            return b->last = b->parts[i];
    }
    struct pending *p;
    if (b->nparts >= (uint32_t)b->cfg->metadata_cardinality_limit) {
        p = b->parts[0];
        for (uint32_t i = 1; i < b->nparts && p->nparts; i++) {
            if (!b->parts[i]->nparts || b->parts[i]->deadline < p->deadline)
                p = b->parts[i];
        }
        flush(node, p);
    } else {
        if (b->nparts == b->cap) {
            uint32_t cap = b->cap ? b->cap * 2 : 4;
            struct pending **np = realloc(b->parts, cap * sizeof *np);
            if (!np)
                return NULL;
            b->parts = np;
            b->cap = cap;
        }
        if (!(p = calloc(1, sizeof *p)))
            return NULL;
        b->parts[b->nparts++] = p;
    }
    p->signal = s;
    p->key = key;
    return b->last = p;
}

static int add_part(struct pending *p, struct input *in, const uint8_t *data, size_t len,
                    uint64_t items)
{
    if (p->nparts == p->cap) {
        uint32_t cap = p->cap ? p->cap * 2 : 16;
        struct part *np = realloc(p->parts, cap * sizeof *np);
        if (!np)
            return DF_ENOMEM;
        p->parts = np;
        p->cap = cap;
    }
    const struct df_identity *id = in->pd->ctx.identity;
    if (!p->nparts)
        p->identity = id;
    else if (id != p->identity)
        p->identity = NULL; /* several: the batch carries none */
    p->parts[p->nparts++] = (struct part){.in = in, .data = data, .len = len, .items = items};
    p->items += items;
    p->bytes += len;
    in->parts_pending++;
    return 0;
}

static void batch_process(struct df_node *node, void *state, struct df_pdata *pd)
{
    struct batch *b = state;
    const struct batch_config *c = b->cfg;
    uint64_t max = (uint64_t)c->send_batch_max_size;
    struct pending *p =
        partition(node, b, pd->signal, c->partition_by_identity ? pd->ctx.identity : NULL);
    /* Already a whole batch: pass it through untouched. */
    if (p && !p->nparts && pd->items >= (uint64_t)c->send_batch_size &&
        (!max || pd->items <= max)) {
        df_node_send(node, DF_PORT_DEFAULT, pd);
        return;
    }
    struct input *in = p ? calloc(1, sizeof *in) : NULL;
    if (!in) {
        df_node_nack(node, pd, DF_OUTCOME_NACK_TRANSIENT, "batch processor: out of memory");
        return;
    }
    in->pd = pd;
    in->outcome = DF_OUTCOME_ACK;
    struct df_otlp_part one = {.off = 0, .len = pd->len, .items = pd->items}, stack[64];
    struct df_otlp_part *parts = &one, *heap = NULL;
    size_t n = 1;
    if (max && p->items + pd->items > max) {
        int rc = df_otlp_parts(pd->signal, pd->data, pd->len, stack, DF_COUNTOF(stack), &n);
        parts = stack;
        if (rc == DF_ERANGE && (heap = malloc(n * sizeof *heap)) != NULL) {
            parts = heap;
            rc = df_otlp_parts(pd->signal, pd->data, pd->len, heap, n, &n);
        }
        if (rc < 0) {
            free(heap);
            free(in);
            df_node_nack(node, pd,
                         rc == DF_EPARSE ? DF_OUTCOME_NACK_PERMANENT : DF_OUTCOME_NACK_TRANSIENT,
                         "batch processor: cannot split a %s request: %s",
                         df_signal_name(pd->signal), df_strerror(rc));
            return;
        }
    }
    /* Guard so that flushes below cannot settle `in` before all its parts
     * are placed. */
    in->parts_pending++;
    int err = 0;
    for (size_t i = 0; i < n && !err; i++) {
        if (max && p->nparts && p->items + parts[i].items > max)
            flush(node, p);
        if (!p->nparts)
            p->deadline = uv_hrtime() + c->timeout;
        err = add_part(p, in, pd->data + parts[i].off, parts[i].len, parts[i].items);
        if (!err && p->items >= (uint64_t)c->send_batch_size)
            flush(node, p);
    }
    free(heap);
    if (err) {
        in->outcome = DF_OUTCOME_NACK_TRANSIENT;
        in->reason = strdup("batch processor: out of memory");
    }
    /* Every partition waits the same timeout, so a batch begun now is due
     * after any the timer is armed for: it needs arming only when idle (when
     * it fires it flushes what is due and re-arms for the next deadline). No
     * scan of the partitions per request. */
    if (p->nparts && !b->armed_for) {
        uint64_t now = uv_hrtime();
        b->armed_for = p->deadline;
        df_timer_start(b->timer, p->deadline > now ? p->deadline - now : 0, 0);
    }
    if (--in->parts_pending == 0 && !in->outstanding)
        settle_input(node, in);
}

static bool batch_outcome(struct df_node *node, void *state, struct df_pdata *pd, uint64_t cookie)
{
    struct sent *sent = (struct sent *)(uintptr_t)cookie;
    for (uint32_t i = 0; i < sent->ninputs; i++) {
        struct input *in = sent->inputs[i];
        if (pd->outcome != DF_OUTCOME_ACK && in->outcome == DF_OUTCOME_ACK) {
            in->outcome = pd->outcome;
            in->reason = pd->reason ? strdup(pd->reason) : NULL;
        }
        if (--in->outstanding == 0 && !in->parts_pending)
            settle_input(node, in);
    }
    free(sent);
    return false; /* the batch itself has no subscriber left: released */
}

static int batch_create(struct df_node *node, const void *options, void **state,
                        struct df_error *err)
{
    struct batch *b = calloc(1, sizeof *b);
    if (!b)
        return DF_ENOMEM;
    *state = b;
    b->cfg = options;
    if (!(b->timer = df_node_timer(node, on_timer)))
        return DF_ENOMEM;
    return 0;
}

static void batch_drain(struct df_node *node, void *state)
{
    struct batch *b = state;
    for (uint32_t i = 0; i < b->nparts; i++)
        flush(node, b->parts[i]);
    arm(b);
    df_node_drained(node);
}

/* Parts still pending (an aborted start, a forced drain): their inputs are
 * Nacked; batches in flight were settled by the runtime before this. */
static void batch_destroy(struct df_node *node, void *state)
{
    struct batch *b = state;
    for (uint32_t k = 0; k < b->nparts; k++) {
        struct pending *p = b->parts[k];
        for (uint32_t i = 0; i < p->nparts; i++) {
            struct input *in = p->parts[i].in;
            if (in->outcome == DF_OUTCOME_ACK)
                in->outcome = DF_OUTCOME_NACK_TRANSIENT;
            if (!in->reason)
                in->reason = strdup("the engine stopped before the batch was sent");
            if (--in->parts_pending == 0 && !in->outstanding)
                settle_input(node, in);
        }
        free(p->parts);
        free(p);
    }
    free(b->parts);
    free(b);
}

static const struct df_node_ops batch_ops = {.create = batch_create,
                                             .process = batch_process,
                                             .outcome = batch_outcome,
                                             .drain = batch_drain,
                                             .destroy = batch_destroy};

DF_REGISTER_NODE(batch_processor, "urn:otel:processor:batch", DF_NODE_PROCESSOR,
                 "Merges requests of one signal into batches by size and time.",
                 "docs/nodes.md#processorbatch", .options = &batch_table, .ops = &batch_ops);
