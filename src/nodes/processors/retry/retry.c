/* processor:retry — resends a request when it comes back with a transient
 * Nack, after an exponential backoff with jitter, until it is Acked, Nacked
 * permanently, or `max_elapsed_time` has passed since its first attempt;
 * then the outcome goes on upstream as usual.
 *
 * Every request passing through is subscribed to. A request waiting to be
 * resent stays held here (its bytes counted against `max_pending_bytes`; past
 * that budget a transient Nack passes on at once instead of waiting). The
 * waiting requests are kept in due order and one timer fires for the
 * earliest. Resends bypass the input gating of the runtime, so the waiting
 * set is what bounds them, and it is bounded by the byte budget. On drain the
 * waiting requests are given up (their last Nack passes on) and the node is
 * drained once everything it sent has come back. */
#include <stdlib.h>
#include <uv.h>

#include "df/node.h"
#include "nodes/processors/retry/retry.h"

struct entry {
    struct df_pdata *pd; /* while waiting to be resent */
    uint64_t first_ns;   /* the first attempt */
    uint64_t wait_ns;    /* the last backoff */
    uint64_t due_ns;
    struct entry *next; /* in the waiting list, by due time */
};

struct retry {
    struct df_node *node;
    const struct retry_config *cfg;
    struct df_timer *timer;
    struct entry *waiting; /* sorted by due_ns */
    uint64_t waiting_bytes;
    uint32_t in_flight; /* sent and not yet come back */
    uint64_t rng;
    bool draining;
    struct df_metric *retries, *gave_up, *pending_bytes;
};

static uint64_t jitter(struct retry *r, uint64_t ns)
{
    /* xorshift64; +-20% */
    r->rng ^= r->rng << 13;
    r->rng ^= r->rng >> 7;
    r->rng ^= r->rng << 17;
    double f = 0.8 + 0.4 * (double)(r->rng % 1000000) / 1e6;
    return (uint64_t)((double)ns * f);
}

static void send_entry(struct retry *r, struct entry *e, struct df_pdata *pd)
{
    df_pdata_subscribe(r->node, pd, (uint64_t)(uintptr_t)e);
    r->in_flight++;
    df_node_send(r->node, DF_PORT_DEFAULT, pd);
}

static void arm(struct retry *r)
{
    if (!r->waiting) {
        df_timer_stop(r->timer);
        return;
    }
    uint64_t now = uv_hrtime();
    uint64_t due = r->waiting->due_ns;
    df_timer_start(r->timer, due > now ? due - now : 0, 0);
}

static void update_gauge(struct retry *r)
{
    df_metric_set(r->pending_bytes, (double)r->waiting_bytes);
}

/* Resends everything that is due. */
static void fire(struct df_node *node, void *state)
{
    struct retry *r = state;
    uint64_t now = uv_hrtime();
    while (r->waiting && r->waiting->due_ns <= now) {
        struct entry *e = r->waiting;
        r->waiting = e->next;
        struct df_pdata *pd = e->pd;
        e->pd = NULL;
        r->waiting_bytes -= pd->len;
        df_metric_add(r->retries, 1);
        send_entry(r, e, pd);
    }
    update_gauge(r);
    arm(r);
}

static void wait_for_resend(struct retry *r, struct entry *e, struct df_pdata *pd)
{
    const struct retry_config *c = r->cfg;
    e->wait_ns = e->wait_ns ? (uint64_t)((double)e->wait_ns * c->multiplier) : c->initial_interval;
    if (e->wait_ns > c->max_interval)
        e->wait_ns = c->max_interval;
    e->due_ns = uv_hrtime() + jitter(r, e->wait_ns);
    e->pd = pd;
    r->waiting_bytes += pd->len;
    struct entry **at = &r->waiting;
    while (*at && (*at)->due_ns <= e->due_ns)
        at = &(*at)->next;
    e->next = *at;
    *at = e;
    update_gauge(r);
    arm(r);
}

static void maybe_drained(struct retry *r)
{
    if (r->draining && !r->in_flight && !r->waiting)
        df_node_drained(r->node);
}

static bool retry_outcome(struct df_node *node, void *state, struct df_pdata *pd, uint64_t cookie)
{
    struct retry *r = state;
    struct entry *e = (struct entry *)(uintptr_t)cookie;
    r->in_flight--;
    const struct retry_config *c = r->cfg;
    bool elapsed = c->max_elapsed_time && uv_hrtime() - e->first_ns >= c->max_elapsed_time;
    bool room = r->waiting_bytes + pd->len <= c->max_pending_bytes;
    if (pd->outcome == DF_OUTCOME_NACK_TRANSIENT && !elapsed && room && !r->draining) {
        wait_for_resend(r, e, pd);
        return true; /* kept: resent later */
    }
    if (pd->outcome == DF_OUTCOME_NACK_TRANSIENT)
        df_metric_add(r->gave_up, 1);
    free(e);
    maybe_drained(r);
    return false; /* the outcome goes on upstream */
}

static void retry_process(struct df_node *node, void *state, struct df_pdata *pd)
{
    struct retry *r = state;
    struct entry *e = calloc(1, sizeof *e);
    if (!e) { /* no retries for this one, but it still flows */
        df_node_send(node, DF_PORT_DEFAULT, pd);
        return;
    }
    e->first_ns = uv_hrtime();
    send_entry(r, e, pd);
}

static int retry_create(struct df_node *node, const void *options, void **state,
                        struct df_error *err)
{
    struct retry *r = calloc(1, sizeof *r);
    if (!r)
        return DF_ENOMEM;
    *state = r;
    r->node = node;
    r->cfg = options;
    r->rng = uv_hrtime() | 1;
    r->timer = df_node_timer(node, fire);
    r->retries = df_node_metric(node, DF_METRIC_COUNTER, "df_processor_retry_resent_total",
                                "Requests resent after a transient Nack.");
    r->gave_up = df_node_metric(node, DF_METRIC_COUNTER, "df_processor_retry_gave_up_total",
                                "Transient Nacks passed on: time or byte budget spent, or "
                                "draining.");
    r->pending_bytes = df_node_metric(node, DF_METRIC_GAUGE, "df_processor_retry_pending_bytes",
                                      "Bytes of requests waiting to be resent.");
    if (!r->timer || !r->retries || !r->gave_up || !r->pending_bytes)
        return DF_ENOMEM;
    return 0;
}

/* Gives up every waiting request: its last Nack goes on upstream. */
static void give_up_waiting(struct retry *r)
{
    while (r->waiting) {
        struct entry *e = r->waiting;
        r->waiting = e->next;
        struct df_pdata *pd = e->pd;
        r->waiting_bytes -= pd->len;
        free(e);
        df_metric_add(r->gave_up, 1);
        df_node_nack(r->node, pd, DF_OUTCOME_NACK_TRANSIENT, "%s",
                     pd->reason ? pd->reason : "retry abandoned: shutting down");
    }
    update_gauge(r);
    df_timer_stop(r->timer);
}

static void retry_drain(struct df_node *node, void *state)
{
    struct retry *r = state;
    r->draining = true;
    give_up_waiting(r);
    maybe_drained(r);
}

static void retry_destroy(struct df_node *node, void *state)
{
    struct retry *r = state;
    if (!r)
        return;
    give_up_waiting(r);
    free(r);
}

static const struct df_node_ops retry_ops = {.create = retry_create,
                                             .process = retry_process,
                                             .outcome = retry_outcome,
                                             .drain = retry_drain,
                                             .destroy = retry_destroy};

DF_REGISTER_NODE(retry_processor, "urn:otel:processor:retry", DF_NODE_PROCESSOR,
                 "Resends requests that come back with a transient Nack, with backoff.",
                 "docs/processors/retry.md", .options = &retry_table, .ops = &retry_ops);
