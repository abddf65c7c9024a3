#!/usr/bin/env bash
# Installs every Debian package df_engine needs to build, test and run.
# Idempotent: installs only what is missing, so it is cheap to run again.
# Works as root on a fresh machine; uses sudo otherwise.
set -euo pipefail

packages=(
    # toolchain
    build-essential cmake pkg-config clang libclang-rt-14-dev clang-format git python3
    # libraries (ARCHITECTURE.md §2)
    libuv1-dev libnghttp2-dev libhttp-parser-dev libssl-dev libcrypt-dev libyaml-dev
    libjansson-dev libcurl4-openssl-dev zlib1g-dev libzstd-dev libsqlite3-dev
    # tests and benchmarks
    libcmocka-dev nghttp2-client openssl
)
# The conformance tests run the OpenTelemetry JS SDK: Node.js >= 18.19 with
# npm. Machines that have a newer Node.js already keep it; others get
# Debian's.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo=()
if [ "$(id -u)" -ne 0 ]; then
    sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
