#!/usr/bin/env bash
# Runs bench/auth_bench (built by `make`) pinned to the last core, three
# times: one auth_check call of each real provider (bearer_token_auth,
# basic_auth, oidc_auth against a local issuer) with a credential already
# verified, the cache misses, and an empty call for reference. The
# instances' log lines go to stderr. Usage: bench/auth_bench.sh [build dir]
exec "$(dirname "$0")/run_pinned.sh" auth_bench "$@"
