#!/usr/bin/env bash
# Runs bench/cap_bench (built by `make`) pinned to the last core, three
# times: the cost of a capability call through a handle next to a direct
# call. Usage: bench/cap_bench.sh [build dir]
exec "$(dirname "$0")/run_pinned.sh" cap_bench "$@"
