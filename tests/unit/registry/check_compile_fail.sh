#!/usr/bin/env bash
# check_compile_fail.sh CC INCLUDE_DIR FILE...
# Each FILE must fail to compile, with its `expect:` text in the compiler's
# output: registration metadata is enforced at compile time.
set -uo pipefail
cc=$1 inc=$2
shift 2
pass=0 fail=0
for f in "$@"; do
    want=$(sed -n 's|^/\* expect: \(.*\) \*/$|\1|p' "$f")
    if out=$("$cc" -std=gnu17 -fsyntax-only -I "$inc" "$f" 2>&1); then
        echo "FAIL $f: compiled"; fail=$((fail + 1))
    elif ! grep -qF -- "$want" <<<"$out"; then
        echo "FAIL $f: no '$want' in:"; echo "$out"; fail=$((fail + 1))
    else
        echo "ok   $f"; pass=$((pass + 1))
    fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
