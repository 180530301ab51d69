#!/bin/sh
# Runs the Python binding's tests (pytest) against the library the
# repository built: `make lib-debug` first (or set WASIHOST_LIBRARY).
#
#   bindings/python/test.sh [PYTEST ARGS...]
#
# Needs Python >= 3.10 with pytest (installed with pip when missing) and
# clang for wasm32-wasi (scripts/ensure-wasi-toolchain.sh installs it).
# tests/test_wheel.py also builds the wheel (cargo build --release --lib,
# strip) and installs it with auditwheel from PyPI into temporary
# virtualenvs; it is skipped, saying why, when pip cannot reach an index.
set -eu
cd "$(dirname "$0")"
PY=${PYTHON:-python3}
WASIHOST_LIBRARY=${WASIHOST_LIBRARY:-../../build/lib/debug/libwasihost_core.so}
export WASIHOST_LIBRARY

if [ ! -e "$WASIHOST_LIBRARY" ]; then
    echo "bindings/python/test.sh: no library at $WASIHOST_LIBRARY: run \`make lib-debug\` at the top (or set WASIHOST_LIBRARY)" >&2
    exit 1
fi
if [ -x ../../scripts/ensure-wasi-toolchain.sh ]; then
    ../../scripts/ensure-wasi-toolchain.sh
fi
if ! "$PY" -c 'import pytest' 2>/dev/null; then
    echo "bindings/python/test.sh: pytest is missing; running: $PY -m pip install pytest" >&2
    if ! "$PY" -m pip install -q pytest; then
        echo "bindings/python/test.sh: could not install pytest; install it with: $PY -m pip install pytest" >&2
        exit 1
    fi
fi
exec "$PY" -m pytest -q tests "$@"
