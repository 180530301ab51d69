#!/usr/bin/env bash
# Builds a Go program the way a user of the module would, outside the
# repository, and checks that the static build is self-contained:
#
#   bindings/go/test_outside.sh          (run by bindings/go/test.sh)
#
# 1. installs the library into a temporary prefix (scripts/install.sh, from
#    build/lib/release when it is there, else build/lib/debug;
#    $WASIHOST_GO_OUTSIDE_LIB names another);
# 2. runs the README's "Getting started" blocks with this test's paths: a
#    temporary module outside the repository whose go.mod gets
#    `replace wasihost.dev/wasihost => <repo>/bindings/go`, with
#    testdata/outside/main.go, built with PKG_CONFIG_PATH at the prefix
#    with no tag (wasihost.pc: shared, rpath to the prefix) and with
#    -tags wasihost_static (wasihost-static.pc); a second one through a
#    go.work; the top README's "Getting started in Go" (its block and its
#    main.go: go mod init, replace, static); then the first again after
#    `go mod vendor` (-mod=vendor, static);
# 3. checks with readelf that the static binaries need no libwasihost and
#    carry no rpath, copies them to another directory, deletes the prefix,
#    and runs them there with an empty environment (no LD_LIBRARY_PATH, no
#    PKG_CONFIG_PATH) on testdata/outside/hello.wat, checking their output
#    and exit status (the shared one is run before the prefix goes).
set -euo pipefail
cd "$(dirname "$0")"
GODIR=$PWD
ROOT=$(cd ../.. && pwd)

GO=${GO:-go}
if ! command -v "$GO" >/dev/null && [ -x /usr/local/go/bin/go ]; then
    GO=/usr/local/go/bin/go
fi
GO=$(command -v "$GO")

LIBDIR=${WASIHOST_GO_OUTSIDE_LIB:-}
if [ -z "$LIBDIR" ]; then
    for p in release debug; do
        if [ -e "$ROOT/build/lib/$p/libwasihost_core.a" ]; then
            LIBDIR=$ROOT/build/lib/$p
            break
        fi
    done
fi
[ -n "$LIBDIR" ] || { echo "test_outside.sh: no build/lib/{release,debug}: run \`make lib\` first" >&2; exit 1; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/wasihost-go-outside.XXXXXX")
# (go's module and build caches are read-only files)
trap 'chmod -R u+w "$TMP" 2>/dev/null; rm -rf "$TMP"' EXIT
case $TMP in "$ROOT"/*) echo "test_outside.sh: $TMP is inside the repository" >&2; exit 1 ;; esac

fail() {
    echo "test_outside.sh: FAIL: $*" >&2
    exit 1
}

echo "-- install $LIBDIR into a temporary prefix"
"$ROOT/scripts/install.sh" "$TMP/prefix" "$LIBDIR" "$ROOT/include" >/dev/null

# The README's "Getting started" blocks (those after a `<!-- test_outside.sh
# runs` line), with this test's paths: the prefix, the checkout, the module.
snippet() {
    awk -v n="$1" '/^<!-- test_outside.sh runs/ { m++; next }
        m == n && /^```sh$/ { inblock = 1; next }
        inblock && /^```$/ { exit }
        inblock && !/^\.\// { print }' README.md |
        sed -e "s|\$HOME/.local/wasihost|$TMP/prefix|g" -e "s|\$HOME/src/wasihost|$ROOT|g" \
            -e "s|~/src/wasihost|$ROOT|g" -e "s|~/src/myapp|$2|g"
}
# newmodule DIR: what `go mod init` and the user's main.go make.
newmodule() {
    mkdir -p "$1"
    printf 'module example.com/myapp\n\ngo 1.22\n' >"$1/go.mod"
    cp testdata/outside/main.go "$1/main.go"
}
# A build as a new user's: no network, no CGO_* flags, and an empty build
# cache: Go's cache does not key packages by pkg-config's output
# (golang/go#24544), so with the user's cache a package built against an
# earlier run's (deleted) prefix would be linked again.
export GOCACHE=$TMP/gocache
runsnippet() {
    local script
    script=$(snippet "$1" "$2")
    [ -n "$script" ] || fail "README.md has no block $1 after a '<!-- test_outside.sh runs' line"
    if echo "$script" | grep -q '\$HOME\|~'; then fail "README block $1 has a path this test does not replace: $script"; fi
    echo "$script" | sed 's/^/    /'
    env -u GOWORK GOFLAGS= GOPROXY=off CGO_ENABLED=1 CGO_CFLAGS= CGO_LDFLAGS= \
        PATH="$(dirname "$GO"):$PATH" bash -euo pipefail -c "$script"
}
cp testdata/outside/hello.wat "$TMP/hello.wat"

echo "-- README: a module outside the repository, with replace"
newmodule "$TMP/mod"
runsnippet 1 "$TMP/mod"
mv "$TMP/mod/myapp" "$TMP/out-shared"
mv "$TMP/mod/myapp-static" "$TMP/out-static"

echo "-- README: a module outside the repository, with go.work"
newmodule "$TMP/mod-work"
runsnippet 2 "$TMP/mod-work"
mv "$TMP/mod-work/myapp" "$TMP/out-work"

echo "-- the top README's Getting started in Go: its main.go, static"
mkdir -p "$TMP/top"
awk '/^\/\/ main\.go:/{on=1} on&&/^```/{exit} on{print}' "$ROOT/README.md" >"$TMP/top/main.go"
[ -s "$TMP/top/main.go" ] || fail "README.md has no main.go in Getting started in Go"
script=$(awk '/^<!-- test_outside.sh runs/ { m = 1; next }
    m && /^```sh$/ { inblock = 1; next }
    inblock && /^```$/ { exit }
    inblock && !/^\.\// { print }' "$ROOT/README.md" |
    sed -e "s|\$HOME/.local/wasihost|$TMP/prefix|g" -e "s|\$HOME/src/wasihost|$ROOT|g" -e "s|~/src/hello|$TMP/top|g")
[ -n "$script" ] || fail "README.md has no block after a '<!-- test_outside.sh runs' line"
if echo "$script" | grep -q '\$HOME\|~'; then fail "README's Go block has a path this test does not replace: $script"; fi
echo "$script" | sed 's/^/    /'
env -u GOWORK GOFLAGS= GOPROXY=off CGO_ENABLED=1 CGO_CFLAGS= CGO_LDFLAGS= \
    PATH="$(dirname "$GO"):$PATH" bash -euo pipefail -c "$script"
mv "$TMP/top/hello" "$TMP/out-top"

echo "-- the first module, vendored (go mod vendor), static"
(cd "$TMP/mod" && env -u GOWORK GOFLAGS= GOPROXY=off "$GO" mod vendor)
[ -f "$TMP/mod/vendor/wasihost.dev/wasihost/wasihost.h" ] || fail "go mod vendor did not copy wasihost.h"
(cd "$TMP/mod" && env -u GOWORK GOFLAGS= GOPROXY=off CGO_ENABLED=1 CGO_CFLAGS= CGO_LDFLAGS= \
    PKG_CONFIG_PATH="$TMP/prefix/lib/pkgconfig" \
    "$GO" build -mod=vendor -tags wasihost_static -o "$TMP/out-vendored" .)

# What each binary needs from the dynamic linker.
needs() { readelf -d "$1" | sed -n 's/.*(\(NEEDED\|RPATH\|RUNPATH\)).*\[\(.*\)\]/\1 \2/p'; }

expect="wasihost $(sed -n 's/^#define WASIHOST_VERSION_STRING "\(.*\)"/\1/p' "$ROOT/include/wasihost.h")
hello from the guest"

# run NAME BINARY: in $TMP/elsewhere, with an empty environment.
run() {
    local status=0 out
    out=$(cd "$TMP/elsewhere" && env -i "./$1" hello.wat 2>&1) || status=$?
    [ "$status" = 7 ] || fail "$1 exited $status, expected 7 (the guest's exit code); output:
$out"
    [ "$out" = "$expect" ] || fail "$1 printed
$out
expected
$expect"
    echo "$1: ran, exit status 7, output as expected"
}

mkdir "$TMP/elsewhere"
cp "$TMP/hello.wat" "$TMP/elsewhere/"

echo "-- the shared builds: linked to the prefix through wasihost.pc's rpath"
for b in shared work; do
    needs "$TMP/out-$b" | grep -q 'NEEDED libwasihost_core' || fail "out-$b does not link libwasihost_core.so"
    needs "$TMP/out-$b" | grep -q "PATH $TMP/prefix/lib" || fail "out-$b has no rpath to the prefix: $(needs "$TMP/out-$b")"
    cp "$TMP/out-$b" "$TMP/elsewhere/$b"
    run "$b"
done

echo "-- the static builds: self-contained"
for b in static vendored top; do
    n=$(needs "$TMP/out-$b")
    echo "$b: $(echo "$n" | tr '\n' ' ')"
    if echo "$n" | grep -q 'wasihost'; then fail "out-$b depends on libwasihost: $n"; fi
    if echo "$n" | grep -q 'PATH'; then fail "out-$b has an rpath: $n"; fi
    if ldd "$TMP/out-$b" | grep -q 'not found\|wasihost'; then fail "ldd out-$b: $(ldd "$TMP/out-$b")"; fi
    cp "$TMP/out-$b" "$TMP/elsewhere/$b"
done
# Nothing of the prefix is left to find, and the shared binary now fails.
rm -rf "$TMP/prefix" "$TMP/mod" "$TMP/mod-work" "$TMP/gocache"
for b in static vendored; do run "$b"; done
out=$(cd "$TMP/elsewhere" && env -i ./top 2>&1) || fail "the README's Go program failed: $out"
[ "$out" = "hello from wasm" ] || fail "the README's Go program printed '$out', expected 'hello from wasm'"
echo "top: ran, printed hello from wasm"
if (cd "$TMP/elsewhere" && env -i ./shared hello.wat >/dev/null 2>&1); then
    fail "the shared binary still runs without its prefix: the check proves nothing"
fi
echo "static binary: $(du -h "$TMP/elsewhere/static" | cut -f1) ($(stat -c %s "$TMP/elsewhere/static") bytes), from $LIBDIR"
echo "test_outside.sh: passed"
