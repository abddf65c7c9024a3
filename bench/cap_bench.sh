#!/usr/bin/env bash
# Runs bench/cap_bench (built by `make`) pinned to the last core, three
# times: the cost of a capability call through a handle next to a direct
# call. Usage: bench/cap_bench.sh [build dir]
set -euo pipefail
build=${1:-build}
core=$(( $(nproc) - 1 ))
for _ in 1 2 3; do
    taskset -c "$core" "$build/cap_bench"
done
