#!/usr/bin/env bash
# The official WASI test suite (WebAssembly/wasi-testsuite, wasm32-wasip1,
# 72 tests; a copy in tests/wasi-testsuite) through each of the three CLIs,
# with the default errno checks and with strict (Linux) errnos:
#
#   scripts/wasi-testsuite.sh [c] [python] [go]     (default: all three)
#
# The CLIs must be built first (`make test-wasi-suite` builds them against
# the debug library). WASI_TESTSUITE points at another copy of the suite
# (e.g. ../shared/wasi-testsuite). Installs the runner's one dependency,
# colorama, with pip when it is missing. Prints one summary line per run
# and fails unless every run passes every test.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SUITE=${WASI_TESTSUITE:-$ROOT/tests/wasi-testsuite}
PY=${PYTHON:-python3}
LIB=${WASIHOST_LIBRARY:-$ROOT/build/lib/debug/libwasihost_core.so}

if ! "$PY" -c 'import colorama' 2>/dev/null; then
    echo "wasi-testsuite: installing colorama (the suite runner needs it)" >&2
    "$PY" -m pip install -q colorama
fi

declare -A CLI=(
    [c]="$ROOT/build/examples-c-debug/wasihost-run"
    [python]="env PYTHONPATH=$ROOT/bindings/python/src WASIHOST_LIBRARY=$LIB $PY -m wasihost"
    [go]="$ROOT/bindings/go/bin/wasihost-run"
)
which=("$@")
[[ ${#which[@]} -gt 0 ]] || which=(c python go)

# Compiled modules are cached between the runs (and across make test runs).
export WASIHOST_CACHE_DIR="$ROOT/build/wasi-testsuite-cache"
OUT="$ROOT/build/wasi-testsuite"
mkdir -p "$OUT"
failed=()
summary=()
for name in "${which[@]}"; do
    cmd=${CLI[$name]:?unknown CLI $name (c, python or go)}
    first=${cmd%% *}
    [[ "$first" == env || -x "$first" ]] || { echo "wasi-testsuite: $first is not built" >&2; exit 2; }
    for mode in default strict; do
        env_extra=""
        [[ $mode == strict ]] && env_extra="ERRNO_MODE_UNIX=1"
        log="$OUT/$name-$mode.log"
        echo "== wasi-testsuite: $name CLI, $mode errnos ($log)"
        set +e
        # shellcheck disable=SC2086 # the command is a word list on purpose
        WASI_TESTSUITE_ENV="$env_extra" WASI_RUNNER_NAME="wasihost-$name" \
            "$SUITE/run.sh" $cmd > "$log" 2>&1
        rc=$?
        set -e
        last=$(tail -n 1 "$log")
        summary+=("$name $mode: $last")
        if [[ $rc -ne 0 ]]; then
            failed+=("$name $mode")
            grep -E 'FAIL|fail' "$log" | tail -n 20 >&2 || true
        fi
    done
done
printf '%s\n' "${summary[@]}"
if [[ ${#failed[@]} -gt 0 ]]; then
    echo "wasi-testsuite: failed: ${failed[*]} (logs in $OUT)" >&2
    exit 1
fi
