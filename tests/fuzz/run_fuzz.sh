#!/usr/bin/env bash
# run_fuzz.sh TARGET SEED_CORPUS [SECONDS]
# Runs a libFuzzer target for a fixed time over a copy of its committed seed
# corpus (new inputs go to a temporary folder, never into the repository).
set -euo pipefail
target=$1 seeds=$2 secs=${3:-30}
[ -d "$seeds" ] && [ -n "$(ls -A "$seeds")" ] || { echo "no seed corpus in $seeds"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/corpus"
cd "$work"
dict=()
name=$(basename "$seeds")
[ -f "$seeds/../../$name.dict" ] && dict=(-dict="$(cd "$seeds/../.." && pwd)/$name.dict")
"$target" "${dict[@]}" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=16384 \
    -print_final_stats=1 "$work/corpus" "$seeds"
