#!/usr/bin/env python3
"""The Python driver of the call-handler benchmark (bench/hooks/run.py):

    bench_python.py WASM DIR MODE N none|passthrough

Runs bench/hooks/calls.c (MODE clock or open, N calls) with DIR preopened
at /b and its stdout captured, and prints the guest's "ns_per_call=X"
line. With `passthrough`, one handler for clock_time_get and path_open
calls the default and returns its errno: the cost of the Python
trampoline (ctypes into Python, a wasihost.Call, the handler, ctypes back
into the default).

Uses the binding of this tree (bindings/python/src) and, unless
$WASIHOST_LIBRARY names another, the release library (`make lib`).
"""

from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "bindings", "python", "src"))
os.environ.setdefault(
    "WASIHOST_LIBRARY", os.path.join(ROOT, "build", "lib", "release", "libwasihost_core.so")
)

import wasihost  # noqa: E402


def passthrough(call: wasihost.Call) -> wasihost.Errno:
    return call.call_default()


def main(argv: list[str]) -> int:
    if len(argv) != 6 or argv[5] not in ("none", "passthrough"):
        sys.stderr.write("usage: bench_python.py WASM DIR MODE N none|passthrough\n")
        return 2
    wasm, data, mode, n, handler = argv[1:]
    try:
        with (
            wasihost.Module.from_file(wasm) as module,
            wasihost.Config(
                args=["calls", mode, n], dirs={"/b": data}, stdout=wasihost.Capture(4096)
            ) as config,
        ):
            if handler == "passthrough":
                config.on_call("clock_time_get,path_open", passthrough)
            with wasihost.Instance(module, config) as instance:
                code = instance.run()
                out = instance.captured("stdout").data
    except wasihost.WasiHostError as e:
        sys.stderr.write(f"bench_python: {e}\n")
        return 1
    for line in out.decode(errors="replace").splitlines():
        if line.startswith("ns_per_call="):
            print(line)
            break
    else:
        sys.stdout.write(out.decode(errors="replace"))
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv))
