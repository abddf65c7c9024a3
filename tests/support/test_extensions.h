/* Test-only capabilities, extension providers and the nodes that consume
 * them (tests/support/test_extensions.c), linked into the unit tests and
 * df_engine_test, never into df_engine.
 *
 * Capabilities (namespace of the tests, registered like the core's):
 *   test_auth    v1, stateless: check(user, password) -> allow | deny.
 *   test_lookup  v2, stateful: lookup(key) -> found(value) | not_found |
 *                error (v1); generation() -> the snapshot's number (v2,
 *                appended: a node needing it asks for version 2).
 *
 * Providers:
 *   urn:test:extension:auth          local, passive: `users` (name -> password).
 *   urn:test:extension:lookup        shared, active, readiness gate (500 ms):
 *   urn:test:extension:lookup_local  the same provider, local variant.
 *     entries     map key -> value, published as generation 1 at readiness
 *     ready_after delay from start to the first publication (0 = at start)
 *     refresh     republish every interval with generation + 1 (0 = never);
 *                 values then read "<value>#<generation>"
 *     fail_after  call df_extension_fail after this many refreshes (0 = never)
 *     exit_early  report stopped on its own once ready (the task "exits")
 *     fail_start  the start hook fails
 *     stop_delay  the stop hook reports stopped after this long
 *     fetch_url   GET it at start with df_extension_fetch; the outcome is
 *                 journaled as "fetch <name> rc=<rc> status=<status>"
 *   urn:test:extension:dataset       local, passive: the core's dataset_lookup
 *     (v1) from `rows` (map key -> `col=value col=value ...`); with
 *     `unloaded: true` every lookup answers error (no dataset loaded).
 *   urn:test:extension:heartbeat     shared, background: a task and no
 *                                    capabilities (nothing binds it).
 *   urn:test:extension:header_auth  local, passive: the core's auth_check
 *     (v1) from `authorization: Bearer <token>` (header name and scheme
 *     compared case-insensitively, tokens in constant time):
 *     tokens       map token -> subject: allow, with that token's identity
 *                  (subject, provider = the instance's name; made at create,
 *                  valid for the instance's life)
 *     forbidden    tokens denied as forbidden
 *     error_token  a token answered with error (cannot decide)
 *     log_peer     log each request's TLS client subject and SANs (INFO)
 *     No header, or another scheme: deny missing_credential; an unknown
 *     token: deny invalid_credential; both with challenge "Bearer". The
 *     detail never holds the token.
 *
 * Nodes:
 *   urn:test:processor:enrich  claims test_lookup at create (`min_version`,
 *                              `optional`, `claim_twice`, `claim_late`: claim
 *                              again at start, which must fail); looks `key`
 *                              up for each pdata and forwards it.
 *   urn:test:processor:authn   claims test_auth; checks (`user`, `password`)
 *                              per pdata: forwards on allow, Nacks
 *                              (permanent) on deny.
 *
 * Every lifecycle step is logged to a process-wide, thread-safe journal that
 * tests read back in order. */
#ifndef DF_TEST_EXTENSIONS_H
#define DF_TEST_EXTENSIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "df/capability.h"

struct test_auth_ops {
    bool (*check)(void *self, const char *user, const char *password);
};

enum test_lookup_outcome { TEST_LOOKUP_FOUND, TEST_LOOKUP_NOT_FOUND, TEST_LOOKUP_ERROR };

struct test_lookup_ops {
    enum test_lookup_outcome (*lookup)(void *self, const char *key, const char **value); /* v1 */
    uint64_t (*generation)(void *self);                                                  /* v2 */
};

/* Journal: "create lookup", "start enrich core=0", ... */
#define TEST_JOURNAL_MAX 256
void test_journal_reset(void);
void test_journal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
size_t test_journal_count(void);
/* A copy of entry i ("" past the end). */
void test_journal_get(size_t i, char *buf, size_t n);
/* Index of the first entry equal to `s`, or -1. */
long test_journal_find(const char *s);

/* What enrich nodes saw (any core; atomics). */
struct test_enrich_seen {
    uint64_t found, not_found, error;
    uint64_t last_generation;
    char last_value[64]; /* core 0 only */
    int start_claim_rc;  /* what the late claim returned */
};
extern struct test_enrich_seen test_enrich_seen;

#endif
