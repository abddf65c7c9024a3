#!/usr/bin/env bash
# check_examples.sh BINARY DIR
#
# Validates every *.yaml, *.yml and *.json file of DIR (the repository's
# configs/ folder of runnable examples) with BINARY -c FILE
# --validate-and-exit; each must exit 0. An empty folder passes with a note,
# since the release binary has no node types yet. Prints one line per file
# and `N passed, M failed`; exits 1 on any failure. Writes only under a
# mktemp folder. Examples are run from the folder above DIR (the repository
# root: `build/df_engine -c configs/<file>`), so they are validated from
# there too: relative paths in them (a dataset file) resolve as when run.
set -euo pipefail

if [[ $# -ne 2 ]]; then
    echo "usage: $0 BINARY DIR" >&2
    exit 2
fi
binary=$1
dir=$2
if [[ ! -x $binary ]]; then
    echo "$0: $binary is not an executable" >&2
    exit 2
fi
if [[ ! -d $dir ]]; then
    echo "$0: $dir is not a folder" >&2
    exit 1
fi
binary=$(realpath "$binary")
dir=$(realpath "$dir")
cd "$dir/.."

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

files=()
while IFS= read -r f; do
    files+=("$f")
done < <(find "$dir" -maxdepth 1 -type f \( -name '*.yaml' -o -name '*.yml' -o -name '*.json' \) |
    LC_ALL=C sort)

if [[ ${#files[@]} -eq 0 ]]; then
    echo "note: $dir holds no example config yet (the release build has no node types); nothing to check"
    echo "0 passed, 0 failed"
    exit 0
fi

# Examples read their secrets from the environment (never from the file);
# a placeholder stands in for each when it is unset.
export DF_INGEST_TOKEN=${DF_INGEST_TOKEN:-example-token-for-validation}
export DF_OAUTH2_TOKEN_URL=${DF_OAUTH2_TOKEN_URL:-https://auth.example.com/oauth2/token}
export DF_OAUTH2_CLIENT_ID=${DF_OAUTH2_CLIENT_ID:-df-engine}
export DF_OAUTH2_CLIENT_SECRET=${DF_OAUTH2_CLIENT_SECRET:-example-secret-for-validation}

passed=0
failed=0
for file in "${files[@]}"; do
    rc=0
    "$binary" -c "$file" --validate-and-exit >"$tmp/stdout" 2>"$tmp/stderr" || rc=$?
    if [[ $rc -eq 0 ]]; then
        printf 'PASS %s\n' "$file"
        passed=$((passed + 1))
    else
        printf 'FAIL %s: exit code %d, expected 0\n' "$file" "$rc"
        sed -e 's/^/    | /' "$tmp/stderr" | head -n 40
        failed=$((failed + 1))
    fi
done

printf '%d passed, %d failed\n' "$passed" "$failed"
[[ $failed -eq 0 ]]
