/* receiver:otlp's request admission (admit.h). */
#include "nodes/receivers/otlp/admit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "otlp/json.h"
#include "otlp/otlp.h"
#include "otlp/wire.h"

/* How long a client is told to wait when the pipeline is full. */
#define BUSY_RETRY_MS 1000

const char *otlp_verdict_name(enum otlp_verdict v)
{
    static const char *const names[] = {
#define NAME(name, text) text,
        OTLP_VERDICTS(NAME)
#undef NAME
    };
    return (unsigned)v < OTLP_VERDICT_COUNT ? names[v] : "unknown";
}

/* One counter per verdict, so that operators see why requests fail. */
static const char *const metric_names[OTLP_VERDICT_COUNT] = {
    "df_receiver_otlp_answered_ok_total",        "df_receiver_otlp_answered_invalid_total",
    "df_receiver_otlp_answered_too_large_total", "df_receiver_otlp_answered_unsupported_total",
    "df_receiver_otlp_answered_busy_total",      "df_receiver_otlp_answered_unavailable_total",
    "df_receiver_otlp_answered_failed_total",    "df_receiver_otlp_answered_timeout_total",
};

struct otlp_admit {
    struct df_node *node;
    uint32_t in_flight;
    bool refusing;
    struct df_metric *answered[OTLP_VERDICT_COUNT];
};

struct otlp_pending {
    struct otlp_admit *a;
    struct otlp_reply *reply; /* NULL once answered or cancelled */
    uv_timer_t timer;
    bool settled; /* the outcome arrived: free once the timer closed */
};

struct otlp_admit *otlp_admit_new(struct df_node *node)
{
    struct otlp_admit *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->node = node;
    for (int v = 0; v < OTLP_VERDICT_COUNT; v++) {
        a->answered[v] = df_node_metric(node, DF_METRIC_COUNTER, metric_names[v],
                                        "OTLP requests answered with this verdict.");
        if (!a->answered[v]) {
            free(a);
            return NULL;
        }
    }
    return a;
}

void otlp_admit_free(struct otlp_admit *a)
{
    free(a);
}

uint32_t otlp_admit_in_flight(const struct otlp_admit *a)
{
    return a->in_flight;
}

void otlp_admit_refuse(struct otlp_admit *a)
{
    a->refusing = true;
}

void otlp_admit_count(struct otlp_admit *a, enum otlp_verdict v)
{
    df_metric_add(a->answered[v], 1);
}

static void answer(struct otlp_admit *a, struct otlp_reply *r, enum otlp_verdict v, const char *msg,
                   uint32_t retry_ms)
{
    df_metric_add(a->answered[v], 1);
    r->answer(r, v, msg, retry_ms);
}

/* The request's bytes as protobuf: a copy of the body, or its transcoding
 * from OTLP/JSON. NULL with `why` filled when it cannot be had. */
static struct df_bytes *to_protobuf(enum df_signal signal, const uint8_t *body, size_t len,
                                    bool json, uint8_t *owned, char *why, size_t whylen, bool *oom)
{
    *oom = false;
    if (!json && owned) {
        struct df_bytes *b = df_bytes_wrap(owned, len); /* frees `owned` on failure */
        *oom = !b;
        return b;
    }
    if (!json) {
        struct df_bytes *b = df_bytes_new(len);
        if (!b) {
            *oom = true;
            return NULL;
        }
        memcpy(b->data, body, len);
        return b;
    }
    struct df_pb_writer w;
    df_pb_writer_init(&w);
    int rc = df_otlp_json_to_pb(signal, (const char *)body, len, &w, why, whylen);
    if (rc < 0 || w.err) {
        *oom = rc == DF_ENOMEM || (rc >= 0 && w.err);
        df_pb_writer_free(&w);
        return NULL;
    }
    size_t n = 0;
    uint8_t *buf = df_pb_writer_take(&w, &n);
    if (!buf) /* an empty request: nothing was written */
        return df_bytes_new(0);
    return df_bytes_wrap(buf, n);
}

static void timer_closed(uv_handle_t *h)
{
    free(h->data);
}

static void timeout_cb(uv_timer_t *t)
{
    struct otlp_pending *p = t->data;
    if (!p->reply)
        return;
    struct otlp_reply *r = p->reply;
    p->reply = NULL;
    answer(p->a, r, OTLP_TIMEOUT, "the pipeline did not acknowledge the data in time", 0);
}

struct otlp_pending *otlp_admit_request(struct otlp_admit *a, const struct otlp_policy *pol,
                                        enum df_signal signal, const uint8_t *body, size_t len,
                                        bool json, uint8_t *owned,
                                        const struct df_identity *identity,
                                        struct otlp_reply *reply)
{
    if (a->refusing) {
        free(owned);
        answer(a, reply, OTLP_UNAVAILABLE, "the collector is shutting down", 0);
        return NULL;
    }
    if (a->in_flight >= pol->max_in_flight || !df_node_can_send(a->node)) {
        free(owned);
        answer(a, reply, OTLP_BUSY, "the pipeline is full; retry later", BUSY_RETRY_MS);
        return NULL;
    }
    char why[256] = "";
    bool oom;
    /* A protobuf body handed over becomes the pdata's bytes; JSON is read
     * from `body` and the handed buffer freed. */
    struct df_bytes *bytes =
        to_protobuf(signal, body, len, json, json ? NULL : owned, why, sizeof why, &oom);
    if (json)
        free(owned);
    uint64_t items = 0;
    if (bytes && df_otlp_count(signal, bytes->data, bytes->len, &items) < 0) {
        snprintf(why, sizeof why, "not a valid Export%sServiceRequest",
                 signal == DF_SIGNAL_LOGS      ? "Logs"
                 : signal == DF_SIGNAL_METRICS ? "Metrics"
                                               : "Trace");
        df_bytes_unref(bytes);
        bytes = NULL;
    }
    if (!bytes) {
        if (oom)
            answer(a, reply, OTLP_BUSY, "out of memory; retry later", BUSY_RETRY_MS);
        else
            answer(a, reply, OTLP_INVALID, why[0] ? why : "undecodable request", 0);
        return NULL;
    }
    if (!items) { /* nothing to deliver: an empty request succeeds */
        df_bytes_unref(bytes);
        answer(a, reply, OTLP_OK, NULL, 0);
        return NULL;
    }
    struct df_pdata *pd = df_pdata_new(a->node, signal, bytes, bytes->data, bytes->len, items);
    df_bytes_unref(bytes); /* the pdata holds it */
    if (pd)
        pd->ctx.identity = identity;
    struct otlp_pending *p = pol->wait && pd ? calloc(1, sizeof *p) : NULL;
    if (!pd || (pol->wait && !p)) {
        if (pd)
            df_node_nack(a->node, pd, DF_OUTCOME_NACK_TRANSIENT, "out of memory");
        answer(a, reply, OTLP_BUSY, "out of memory; retry later", BUSY_RETRY_MS);
        return NULL;
    }
    if (!pol->wait) {
        df_node_send(a->node, DF_PORT_DEFAULT, pd);
        answer(a, reply, OTLP_OK, NULL, 0);
        return NULL;
    }
    p->a = a;
    p->reply = reply;
    uv_timer_init(df_node_loop(a->node), &p->timer);
    p->timer.data = p;
    uv_timer_start(&p->timer, timeout_cb, (pol->timeout_ns + 999999) / 1000000, 0);
    df_pdata_subscribe(a->node, pd, (uint64_t)(uintptr_t)p);
    a->in_flight++;
    df_node_send(a->node, DF_PORT_DEFAULT, pd);
    return p;
}

void otlp_admit_cancel(struct otlp_pending *p)
{
    p->reply = NULL;
}

bool otlp_admit_outcome(struct otlp_admit *a, struct df_pdata *pd, uint64_t cookie)
{
    struct otlp_pending *p = (struct otlp_pending *)(uintptr_t)cookie;
    a->in_flight--;
    if (p->reply) {
        struct otlp_reply *r = p->reply;
        p->reply = NULL;
        if (pd->outcome == DF_OUTCOME_ACK)
            answer(a, r, OTLP_OK, NULL, 0);
        else
            answer(a, r, pd->outcome == DF_OUTCOME_NACK_PERMANENT ? OTLP_FAILED : OTLP_UNAVAILABLE,
                   pd->reason ? pd->reason : "rejected downstream", 0);
    }
    uv_close((uv_handle_t *)&p->timer, timer_closed);
    return false;
}
