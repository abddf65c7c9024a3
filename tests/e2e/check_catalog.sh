#!/usr/bin/env bash
# check_catalog.sh DF_ENGINE CATALOG_MD
#
# Fails when `DF_ENGINE catalog --format markdown` differs from the committed
# CATALOG_MD (docs/catalog.md), printing the diff and the command that
# regenerates it. Writes only under a mktemp folder.
set -euo pipefail

if [[ $# -ne 2 ]]; then
    echo "usage: $0 DF_ENGINE CATALOG_MD" >&2
    exit 2
fi
df_engine=$1
committed=$2
regen="build/df_engine catalog --format markdown > docs/catalog.md"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [[ ! -f $committed ]]; then
    echo "FAIL $committed does not exist; create it with: $regen"
    exit 1
fi
rc=0
"$df_engine" catalog --format markdown >"$tmp/catalog.md" 2>"$tmp/stderr" || rc=$?
if [[ $rc -ne 0 ]]; then
    echo "FAIL $df_engine catalog --format markdown exited with $rc:"
    sed -e 's/^/    | /' "$tmp/stderr"
    exit 1
fi
if ! diff -u --label "$committed (committed)" --label "catalog --format markdown (this build)" \
    "$committed" "$tmp/catalog.md" >"$tmp/diff"; then
    echo "FAIL $committed is stale:"
    cat "$tmp/diff"
    echo "Regenerate it with a release build: $regen"
    exit 1
fi
echo "PASS $committed matches catalog --format markdown"
