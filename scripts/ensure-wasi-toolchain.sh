#!/usr/bin/env bash
# Makes sure C guests can be compiled: clang with the wasm32-wasi target,
# wasm-ld and wasi-libc. Installs the Debian packages when run as root;
# otherwise prints the exact command and fails.
set -euo pipefail

PKGS="clang lld wasi-libc libclang-rt-14-dev-wasm32"

probe() {
    local dir
    dir=$(mktemp -d)
    printf 'int main(void){return 0;}\n' > "$dir/p.c"
    if clang --target=wasm32-wasi -O2 -o "$dir/p.wasm" "$dir/p.c" >/dev/null 2>&1; then
        rm -rf "$dir"; return 0
    fi
    rm -rf "$dir"; return 1
}

if command -v clang >/dev/null 2>&1 && probe; then
    exit 0
fi

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "ensure-wasi-toolchain: installing $PKGS" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq $PKGS >/dev/null
    if probe; then exit 0; fi
    echo "ensure-wasi-toolchain: installed $PKGS but clang --target=wasm32-wasi still fails" >&2
    exit 1
fi

echo "ensure-wasi-toolchain: clang cannot build wasm32-wasi programs. Run:" >&2
echo "  sudo apt-get install -y $PKGS" >&2
exit 1
