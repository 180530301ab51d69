#!/usr/bin/env bash
# The Go binding's checks, against the debug library (build/lib/debug):
#
#   make lib-debug && bindings/go/test.sh
#
# gofmt, go vet, go test (plain, -race, and with GODEBUG=cgocheck=1 GOGC=1),
# then builds cmd/wasihost-run into bindings/go/bin and runs the shared CLI
# cases (tests/cli/check.py) against it; then test_outside.sh builds a
# program in a module outside the repository (shared and wasihost_static,
# against a temporary install of build/lib/release, else build/lib/debug)
# and runs the static one elsewhere. The guests are compiled by the
# tests with clang --target=wasm32-wasi (`make deps` installs it).
# -count=1: go test would otherwise reuse results across library rebuilds.
set -euo pipefail
cd "$(dirname "$0")"

GO=${GO:-go}
if ! command -v "$GO" >/dev/null && [ -x /usr/local/go/bin/go ]; then
    GO=/usr/local/go/bin/go
fi
TAGS=wasihost_debug
LIB=../../build/lib/debug/libwasihost_core.so
if [ ! -e "$LIB" ]; then
    echo "bindings/go/test.sh: $LIB is missing: run \`make lib-debug\` at the top first" >&2
    exit 1
fi

step() { printf '\n== %s\n' "$*"; }

step gofmt
unformatted=$(gofmt -l .)
if [ -n "$unformatted" ]; then
    echo "not gofmt-formatted: $unformatted" >&2
    exit 1
fi

step go vet
"$GO" vet -tags "$TAGS" ./...

step go test
"$GO" test -tags "$TAGS" -count=1 ./...

step go test -race
"$GO" test -race -tags "$TAGS" -count=1 ./...

# Only the test binaries run with these (the compiler would crawl at GOGC=1).
step go test, GODEBUG=cgocheck=1 GOGC=1
"$GO" test -tags "$TAGS" -count=1 -exec "env GODEBUG=cgocheck=1 GOGC=1" ./...

step go build cmd/wasihost-run
"$GO" build -tags "$TAGS" -o bin/wasihost-run ./cmd/wasihost-run

CHECK=../../tests/cli/check.py
if [ -f "$CHECK" ]; then
    step tests/cli/check.py --cli bindings/go/bin/wasihost-run
    "${PYTHON:-python3}" "$CHECK" --cli bin/wasihost-run
else
    echo "tests/cli/check.py not found: CLI conformance not checked" >&2
fi
# A module outside the repository, with replace: shared and static
# builds against an installed prefix, the static ones run elsewhere.
step test_outside.sh
./test_outside.sh

echo "bindings/go: all checks passed"
