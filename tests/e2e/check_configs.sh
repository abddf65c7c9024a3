#!/usr/bin/env bash
# check_configs.sh BINARY CONFIGS_DIR
#
# Runs BINARY -c FILE --validate-and-exit on every file of CONFIGS_DIR/valid
# (each must exit 0) and CONFIGS_DIR/invalid (each must exit exactly 2 and
# print every fragment its leading `# expect: <fragment>` comment lines give).
# A valid file may have `# expect:` lines too, for the warnings it must
# print; one without them must print no warning.
#
# Fragments are matched as fixed strings against stderr. A fragment that
# starts with `:` (`:12:5: error: ...`) must follow the file's path as given
# to BINARY, so the diagnostic's mark names the file. The two characters `\n`
# in a fragment stand for a newline, to tie a hint line to its error.
#
# An invalid file without `# expect:` lines fails, and so does an empty
# folder. Prints one line per file and `N passed, M failed`; exits 1 on any
# failure. Writes only under a mktemp folder.
set -euo pipefail

if [[ $# -ne 2 ]]; then
    echo "usage: $0 BINARY CONFIGS_DIR" >&2
    exit 2
fi
binary=$1
dir=$2
if [[ ! -x $binary ]]; then
    echo "$0: $binary is not an executable" >&2
    exit 2
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The environment the configs are written against (see valid/05_env.yaml and
# invalid/env_unset.yaml).
export DF_E2E_RATE=250
export DF_E2E_MODE=safe
unset DF_E2E_UNSET DF_E2E_UNSET_TOO DF_E2E_UNSET_PORT || true

passed=0
failed=0

pass() {
    printf 'PASS %s\n' "$1"
    passed=$((passed + 1))
}

fail() {
    printf 'FAIL %s: %s\n' "$1" "$2"
    failed=$((failed + 1))
}

# Prints stderr of the last run, indented, after a failure.
show_stderr() {
    sed -e 's/^/    | /' "$tmp/stderr" | head -n 40
}

# run FILE: runs the binary on FILE, stores the exit code in $rc.
run() {
    rc=0
    if command -v timeout >/dev/null; then
        timeout 60 "$binary" -c "$1" --validate-and-exit >"$tmp/stdout" 2>"$tmp/stderr" || rc=$?
    else
        "$binary" -c "$1" --validate-and-exit >"$tmp/stdout" 2>"$tmp/stderr" || rc=$?
    fi
}

# list FOLDER: every regular file of FOLDER, sorted, one per line.
list() {
    find "$1" -maxdepth 1 -type f | LC_ALL=C sort
}

# expects FILE: sets frags to the `# expect:` lines of FILE's leading
# comment block.
expects() {
    frags=()
    while IFS= read -r line; do
        [[ $line == \#* ]] || break
        if [[ $line == '# expect: '* ]]; then
            frags+=("${line#'# expect: '}")
        fi
    done <"$1"
}

# check_frags FILE: passes FILE when stderr has every fragment of frags.
check_frags() {
    local err want m
    err=$(cat "$tmp/stderr")
    missing=()
    for frag in "${frags[@]}"; do
        want=${frag//\\n/$'\n'}
        if [[ $want == :* ]]; then
            want=$1$want
        fi
        if [[ $err != *"$want"* ]]; then
            missing+=("$want")
        fi
    done
    if [[ ${#missing[@]} -eq 0 ]]; then
        pass "$1"
    else
        fail "$1" "stderr lacks ${#missing[@]} of ${#frags[@]} expected fragment(s):"
        for m in "${missing[@]}"; do
            printf '    want: %s\n' "${m//$'\n'/\\n}"
        done
        show_stderr
    fi
}

for sub in valid invalid; do
    if [[ ! -d $dir/$sub ]] || [[ -z $(list "$dir/$sub") ]]; then
        fail "$dir/$sub" "the folder is missing or empty"
    fi
done

if [[ -d $dir/valid ]]; then
    while IFS= read -r file; do
        expects "$file"
        run "$file"
        if [[ $rc -ne 0 ]]; then
            fail "$file" "exit code $rc, expected 0"
            show_stderr
        elif [[ ${#frags[@]} -gt 0 ]]; then
            check_frags "$file"
        elif grep -qE '(^|: )warning: ' "$tmp/stderr"; then
            fail "$file" "a warning, and no '# expect:' line for it"
            show_stderr
        else
            pass "$file"
        fi
    done < <(list "$dir/valid")
fi

if [[ -d $dir/invalid ]]; then
    while IFS= read -r file; do
        expects "$file"
        if [[ ${#frags[@]} -eq 0 ]]; then
            fail "$file" "no '# expect:' line at the start of the file"
            continue
        fi
        run "$file"
        if [[ $rc -ne 2 ]]; then
            fail "$file" "exit code $rc, expected 2"
            show_stderr
            continue
        fi
        check_frags "$file"
    done < <(list "$dir/invalid")
fi

printf '%d passed, %d failed\n' "$passed" "$failed"
[[ $failed -eq 0 ]]
