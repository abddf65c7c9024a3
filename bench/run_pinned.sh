#!/usr/bin/env bash
# Runs a benchmark program of the build three times, pinned to the last
# core. Usage: bench/run_pinned.sh program [build dir]
set -euo pipefail
prog=$1
build=${2:-build}
core=$(( $(nproc) - 1 ))
for _ in 1 2 3; do
    taskset -c "$core" "$build/$prog"
done
