/* The cost of calling a capability through its handle, next to a direct
 * call of the same function, measured in one process run:
 *
 *   direct  a call to the provider's function by name (not inlined)
 *   local   df_auth_check_call through a handle whose self is the provider
 *           state (a local instance): an indirect call, the outcome counted
 *   shared  the same through a handle whose self is a per-core snapshot view
 *           (a shared instance): the method reads the published state with
 *           df_snapshot_read (a relaxed load and a compare) first
 *
 * Two methods: `empty` does almost nothing (reads one field of the state),
 * which isolates what the handle adds; `token` does the work of a bearer
 * token check on a 40-byte token (find the Authorization header, compare in
 * constant time). Each variant runs `calls` times per round, the three
 * variants of a method back to back in every round; the median of `rounds`
 * rounds is printed in ns per call, with the difference to direct.
 *
 *     cap_bench [calls] [rounds]
 */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_time.h"
#include "df/capabilities/auth_check.h"
#include "df/extension.h"

struct token_state {
    char token[64];
    size_t len;
    struct df_identity who;
};

static enum df_auth_decision decide(const struct token_state *s, const struct df_auth_request *req,
                                    struct df_auth_result *out)
{
    size_t len;
    const char *v = df_auth_header_get(req, "authorization", 0, &len);
    if (!v || len != s->len + 7 || strncmp(v, "Bearer ", 7) ||
        CRYPTO_memcmp(v + 7, s->token, s->len)) {
        out->reason = DF_AUTH_INVALID_CREDENTIAL;
        return out->decision = DF_AUTH_DENY;
    }
    out->identity = &s->who;
    return out->decision = DF_AUTH_ALLOW;
}

static enum df_auth_decision empty(const struct token_state *s, const struct df_auth_request *req,
                                   struct df_auth_result *out)
{
    (void)req;
    return out->decision = s->len == 40 ? DF_AUTH_ALLOW : DF_AUTH_DENY;
}

/* Each method in its two shapes: local (self is the state) and shared
 * (self is a per-core view of published state). */
#define METHOD(name, work)                                                                         \
    __attribute__((noinline)) static enum df_auth_decision name##_local(                           \
        void *self, const struct df_auth_request *req, struct df_auth_result *out)                 \
    {                                                                                              \
        return work(self, req, out);                                                               \
    }                                                                                              \
    __attribute__((noinline)) static enum df_auth_decision name##_shared(                          \
        void *self, const struct df_auth_request *req, struct df_auth_result *out)                 \
    {                                                                                              \
        const struct token_state *s = df_snapshot_read(self);                                      \
        if (!s)                                                                                    \
            return out->decision = DF_AUTH_ERROR;                                                  \
        return work(s, req, out);                                                                  \
    }                                                                                              \
    static const struct df_auth_check_ops name##_local_ops = {.check = name##_local};              \
    static const struct df_auth_check_ops name##_shared_ops = {.check = name##_shared};

METHOD(empty, empty)
METHOD(token, decide)

int main(int argc, char **argv)
{
    long calls = argc > 1 ? atol(argv[1]) : 20000000;
    int rounds = argc > 2 ? atoi(argv[2]) : 7;
    if (calls <= 0 || rounds <= 0 || rounds > 64)
        return 2;
    struct token_state st = {.len = 40, .who = {.subject = "bench"}};
    memset(st.token, 'a', st.len);
    char value[64] = "Bearer ";
    memcpy(value + 7, st.token, st.len);
    struct df_auth_header hs[] = {
        {"content-type", 12, "application/grpc", 16},
        {"te", 2, "trailers", 8},
        {"authorization", 13, value, 7 + st.len},
    };
    struct df_auth_request req = {.transport = DF_AUTH_GRPC, .headers = hs, .nheaders = 3};

    struct token_state *published = malloc(sizeof *published);
    *published = st;
    struct df_snapshot *cell = df_snapshot_new(free);
    df_snapshot_publish(cell, published);
    struct df_snapshot_view view;
    df_snapshot_view_init(&view, cell);

    struct {
        const char *name;
        enum df_auth_decision (*direct)(void *, const struct df_auth_request *,
                                        struct df_auth_result *);
        const struct df_auth_check_ops *local, *shared;
    } methods[] = {{"empty", empty_local, &empty_local_ops, &empty_shared_ops},
                   {"token", token_local, &token_local_ops, &token_shared_ops}};
    printf("calls per round: %ld, rounds: %d (medians)\n", calls, rounds);
    for (size_t m = 0; m < sizeof methods / sizeof methods[0]; m++) {
        struct df_cap_binding lb = {.self = &st}, sb = {.self = &view};
        struct df_auth_check local = {.ops = methods[m].local, .b = &lb};
        struct df_auth_check shared = {.ops = methods[m].shared, .b = &sb};
        double t[3][64];
        unsigned long allowed = 0;
        for (int r = 0; r < rounds; r++) {
            struct df_auth_result out;
            double t0 = now_ns();
            for (long i = 0; i < calls; i++) {
                out.decision = DF_AUTH_ERROR; /* as df_auth_check_call prepares it */
                out.reason = DF_AUTH_MISSING_CREDENTIAL;
                out.identity = NULL;
                out.detail[0] = 0;
                out.challenge = NULL;
                allowed += methods[m].direct(&st, &req, &out) == DF_AUTH_ALLOW;
                __asm__ volatile("" ::: "memory");
            }
            double t1 = now_ns();
            for (long i = 0; i < calls; i++) {
                allowed += df_auth_check_call(local, &req, &out) == DF_AUTH_ALLOW;
                __asm__ volatile("" ::: "memory");
            }
            double t2 = now_ns();
            for (long i = 0; i < calls; i++) {
                allowed += df_auth_check_call(shared, &req, &out) == DF_AUTH_ALLOW;
                __asm__ volatile("" ::: "memory");
            }
            double t3 = now_ns();
            t[0][r] = (t1 - t0) / (double)calls;
            t[1][r] = (t2 - t1) / (double)calls;
            t[2][r] = (t3 - t2) / (double)calls;
        }
        if (allowed != 3ul * (unsigned long)calls * (unsigned long)rounds ||
            lb.calls[DF_AUTH_ALLOW] != (uint64_t)calls * (uint64_t)rounds) {
            fprintf(stderr, "cap_bench: a check did not allow (%lu)\n", allowed);
            return 1;
        }
        double med[3];
        for (int v = 0; v < 3; v++)
            med[v] = median(t[v], rounds);
        printf("%s  direct %6.2f ns  local %6.2f ns (%+.2f)  shared %6.2f ns (%+.2f)\n",
               methods[m].name, med[0], med[1], med[1] - med[0], med[2], med[2] - med[0]);
    }
    df_snapshot_view_close(&view);
    df_snapshot_free(cell);
    return 0;
}
