#!/usr/bin/env bash
# check_cli.sh DF_ENGINE DF_ENGINE_TEST
#
# The command-line contract of src/main.c, checked on both binaries (the
# release CLI and the same CLI with the test components): exit codes (0 ok,
# 2 invalid config or usage), --version, --help, option errors, a missing
# config file, `catalog` in every format, and the embedded default config.
# With DF_ENGINE_TEST, the catalog must show the test components' URNs and
# option names in each format. Prints one line per check and
# `N passed, M failed`; exits 1 on any failure. Writes only under a mktemp
# folder.
set -euo pipefail

if [[ $# -ne 2 ]]; then
    echo "usage: $0 DF_ENGINE DF_ENGINE_TEST" >&2
    exit 2
fi
df_engine=$1
df_engine_test=$2
for b in "$df_engine" "$df_engine_test"; do
    if [[ ! -x $b ]]; then
        echo "$0: $b is not an executable" >&2
        exit 2
    fi
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

passed=0
failed=0
name=
problems=()

# begin NAME: starts a check; problems are collected until end.
begin() {
    name=$1
    problems=()
}

problem() {
    problems+=("$1")
}

end() {
    if [[ ${#problems[@]} -eq 0 ]]; then
        printf 'PASS %s\n' "$name"
        passed=$((passed + 1))
    else
        printf 'FAIL %s\n' "$name"
        for p in "${problems[@]}"; do
            printf '    %s\n' "$p"
        done
        if [[ -s $tmp/stderr ]]; then
            printf '    stderr:\n'
            sed -e 's/^/    | /' "$tmp/stderr" | head -n 20
        fi
        failed=$((failed + 1))
    fi
}

# run WANT_RC CMD...: runs CMD with stdout/stderr in $tmp; records a problem
# when the exit code differs.
run() {
    local want=$1
    shift
    rc=0
    "$@" >"$tmp/stdout" 2>"$tmp/stderr" </dev/null || rc=$?
    if [[ $rc -ne $want ]]; then
        problem "exit code $rc, expected $want: $*"
    fi
}

# has STREAM TEXT: records a problem unless $tmp/STREAM contains TEXT.
has() {
    if ! grep -qF -- "$2" "$tmp/$1"; then
        problem "$1 lacks '$2'"
    fi
}

# nonempty STREAM
nonempty() {
    if [[ ! -s $tmp/$1 ]]; then
        problem "$1 is empty"
    fi
}

for bin in "$df_engine" "$df_engine_test"; do
    b=$(basename "$bin")

    begin "$b --version"
    run 0 "$bin" --version
    has stdout "df_engine "
    end

    begin "$b -V"
    run 0 "$bin" -V
    has stdout "df_engine "
    end

    begin "$b --help"
    run 0 "$bin" --help
    for opt in --config --validate-and-exit --num-cores --core-id-range --http-admin-bind \
        --help --version "catalog [--format text|json|markdown]" "Components in this build"; do
        has stdout "$opt"
    done
    end

    begin "$b --bogus (unknown option)"
    run 2 "$bin" --bogus
    nonempty stderr
    has stderr "bogus"
    end

    begin "$b unexpected argument"
    run 2 "$bin" stray
    has stderr "stray"
    end

    begin "$b --num-cores 0"
    run 2 "$bin" --num-cores 0
    has stderr "--num-cores"
    end

    begin "$b --num-cores x"
    run 2 "$bin" --num-cores x
    has stderr "--num-cores"
    has stderr "'x'"
    end

    begin "$b --core-id-range 3-1"
    run 2 "$bin" --core-id-range 3-1
    has stderr "--core-id-range"
    has stderr "3-1"
    end

    begin "$b --http-admin-bind nonsense"
    run 2 "$bin" --http-admin-bind nonsense
    has stderr "--http-admin-bind"
    has stderr "nonsense"
    end

    begin "$b --num-cores 2 --core-id-range 0-1"
    run 2 "$bin" --num-cores 2 --core-id-range 0-1
    has stderr "--num-cores"
    has stderr "--core-id-range"
    end

    begin "$b -c missing.yaml --validate-and-exit"
    run 2 "$bin" -c "$tmp/missing.yaml" --validate-and-exit
    has stderr "$tmp/missing.yaml"
    end

    for fmt in text json markdown; do
        begin "$b catalog --format $fmt"
        run 0 "$bin" catalog --format "$fmt"
        nonempty stdout
        cp "$tmp/stdout" "$tmp/catalog.$b.$fmt"
        if [[ $fmt == json ]] && ! python3 -m json.tool "$tmp/stdout" >/dev/null 2>"$tmp/json.err"; then
            problem "the JSON catalog does not parse: $(head -n 1 "$tmp/json.err")"
        fi
        end
    done

    begin "$b catalog (text is the default format)"
    run 0 "$bin" catalog
    if ! cmp -s "$tmp/stdout" "$tmp/catalog.$b.text"; then
        problem "catalog differs from catalog --format text"
    fi
    end

    begin "$b catalog --format xml"
    run 2 "$bin" catalog --format xml
    has stderr "xml"
    end

    begin "$b --validate-and-exit (no -c: the embedded default config)"
    run 0 "$bin" --validate-and-exit
    has stdout "the embedded default config: valid"
    end
done

# The test components, in every catalog format of DF_ENGINE_TEST.
b=$(basename "$df_engine_test")
urns=(urn:test:receiver:gen urn:test:receiver:listen urn:test:processor:pass
    urn:test:processor:enrich urn:test:processor:authn urn:test:exporter:sink
    urn:test:extension:auth urn:test:extension:lookup urn:test:extension:lookup_local
    urn:test:extension:heartbeat urn:test:extension:header_auth urn:test:extension:dataset)
options=(rate batch interval mode ratio enabled protocols protocols.grpc
    protocols.grpc.listening_addr protocols.http.listening_addr tags users)
caps=(test_auth:1 test_lookup:2)

begin "$b catalog --format text lists the test components"
cp "$tmp/catalog.$b.text" "$tmp/stdout"
for u in "${urns[@]}"; do has stdout "  $u"; done
for o in "${options[@]}"; do has stdout "      $o ("; done
for c in "${caps[@]}"; do has stdout "  ${c%:*} (v${c#*:})"; done
end

begin "$b catalog --format markdown lists the test components"
cp "$tmp/catalog.$b.markdown" "$tmp/stdout"
for u in "${urns[@]}"; do has stdout "### \`$u\`"; done
for o in "${options[@]}"; do has stdout "| \`$o\` |"; done
for c in "${caps[@]}"; do has stdout "| \`${c%:*}\` | ${c#*:} |"; done
end

begin "$b catalog --format json lists the test components"
if ! python3 - "$tmp/catalog.$b.json" "${urns[*]}" "rate batch interval mode ratio enabled protocols grpc http listening_addr tags users" "${caps[*]}" >"$tmp/stderr" 2>&1 <<'EOF'; then
import json, sys
doc = json.load(open(sys.argv[1]))
urns, opts, caps = (a.split() for a in sys.argv[2:5])
found_urns = {c["urn"] for c in doc.get("nodes", []) + doc.get("extensions", [])}
found_caps = {c["name"] for c in doc.get("capabilities", [])}
found_opts = set()
def walk(options):
    for o in options or []:
        if "name" in o:
            found_opts.add(o["name"])
        walk(o.get("options"))
        if "element" in o:
            walk(o["element"].get("options"))
for c in doc.get("nodes", []) + doc.get("extensions", []):
    walk(c.get("config"))
bad = [u for u in urns if u not in found_urns] + [o for o in opts if o not in found_opts] + \
      [c for c in caps if c.split(":")[0] not in found_caps]
if bad:
    print("missing from the JSON catalog:", " ".join(bad))
    sys.exit(1)
EOF
    problem "$(cat "$tmp/stderr")"
fi
: >"$tmp/stderr"
end

# Capabilities with their methods, outcomes, consumers and providers;
# providers with the versions they implement, their models and readiness
# gates.
begin "$b catalog --format text describes capabilities and providers"
cp "$tmp/catalog.$b.text" "$tmp/stdout"
has stdout "      generation() -> the snapshot's number"
has stdout "    outcomes: found, not_found, error"
has stdout "    consumed by: urn:test:processor:authn, urn:test:receiver:listen"
has stdout "    provided by: urn:test:extension:lookup (v2), urn:test:extension:lookup_local (v2)"
has stdout "    capabilities: test_lookup (v2)"
has stdout "    execution model: shared ("
has stdout "    lifecycle: background ("
has stdout "    readiness gate: 500 ms"
has stdout "    readiness gate: none"
end

begin "$b catalog --format markdown describes capabilities and providers"
cp "$tmp/catalog.$b.markdown" "$tmp/stdout"
has stdout "### \`test_lookup\`"
has stdout "  - \`lookup(key) -> found(value) | not_found | error\`"
has stdout "- outcomes (the \`outcome\` label of \`df_extension_calls_total\`): \`allow\`, \`deny\`"
has stdout "- consumed by: \`urn:test:processor:enrich\`"
has stdout "- provided by: \`urn:test:extension:auth\` (v1)"
has stdout "- capabilities: \`test_auth\` (v1)"
has stdout "- readiness gate: 500 ms"
end

begin "$b catalog --format json describes capabilities and providers"
if ! python3 - "$tmp/catalog.$b.json" >"$tmp/stderr" 2>&1 <<'EOF'; then
import json, sys
doc = json.load(open(sys.argv[1]))
caps = {c["name"]: c for c in doc["capabilities"]}
exts = {e["urn"]: e for e in doc["extensions"]}
lookup = caps["test_lookup"]
assert lookup["version"] == 2, lookup
assert lookup["methods"][1].startswith("generation()"), lookup
assert lookup["outcomes"] == ["found", "not_found", "error"], lookup
assert lookup["consumed_by"] == ["urn:test:processor:enrich"], lookup
assert lookup["provided_by"] == [{"urn": "urn:test:extension:lookup", "version": 2},
                                 {"urn": "urn:test:extension:lookup_local", "version": 2}], lookup
assert caps["auth_check"]["provided_by"] == [
    {"urn": "urn:otel:extension:basic_auth", "version": 1},
    {"urn": "urn:otel:extension:bearer_token_auth", "version": 1},
    {"urn": "urn:otel:extension:oidc_auth", "version": 1},
    {"urn": "urn:test:extension:header_auth", "version": 1}], caps["auth_check"]
assert caps["auth_check"]["consumed_by"] == ["urn:otel:receiver:otlp"], caps["auth_check"]
assert caps["dataset_lookup"]["provided_by"] == [
    {"urn": "urn:otel:extension:db_storage", "version": 1},
    {"urn": "urn:otel:extension:file_storage", "version": 1},
    {"urn": "urn:otel:extension:file_storage_local", "version": 1},
    {"urn": "urn:test:extension:dataset", "version": 1}], caps["dataset_lookup"]
f = exts["urn:otel:extension:file_storage"]
assert (f["execution_model"], f["lifecycle"]) == ("shared", "active"), f
f = exts["urn:otel:extension:file_storage_local"]
assert (f["execution_model"], f["lifecycle"]) == ("local", "active"), f
e = exts["urn:test:extension:lookup"]
assert e["capabilities"] == ["test_lookup"], e
assert e["implements"] == [{"name": "test_lookup", "version": 2}], e
assert (e["execution_model"], e["lifecycle"], e["ready_timeout_ms"]) == ("shared", "active", 500), e
d = exts["urn:otel:extension:db_storage"]
assert d["implements"] == [{"name": "dataset_lookup", "version": 1}], d
assert (d["execution_model"], d["lifecycle"], d["ready_timeout_ms"]) == ("shared", "active", 30000), d
b = exts["urn:test:extension:heartbeat"]
assert (b["lifecycle"], b["implements"], b["ready_timeout_ms"]) == ("background", [], 0), b
EOF
    problem "$(tail -n 3 "$tmp/stderr")"
fi
: >"$tmp/stderr"
end

begin "$(basename "$df_engine") catalog has no test components"
for fmt in text json markdown; do
    if grep -qF "urn:test:" "$tmp/catalog.$(basename "$df_engine").$fmt"; then
        problem "the $fmt catalog of the release binary names urn:test: components"
    fi
done
: >"$tmp/stderr"
end

printf '%d passed, %d failed\n' "$passed" "$failed"
[[ $failed -eq 0 ]]
