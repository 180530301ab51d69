#!/usr/bin/env python3
"""The call-handler benchmark: what a WASI call costs with no handler, and
with one pass-through handler (it calls the default and returns its
errno) from C, Python and Go, on clock_time_get and on path_open+fd_close.

    python3 bench/hooks/run.py [--rounds R] [--clock-n N] [--open-n N]
                               [--before DIR] [--sides a,b,...]

Sides (each prints the guest's mean ns per call, measured inside the
guest over N calls; see bench/hooks/calls.c):

  cli       the C CLI (build/examples-c/wasihost-run), no handler
  before    the C CLI of another checkout (--before DIR: its
            build/examples-c/wasihost-run), no handler: the baseline
            "today's main" of issue 12
  c0 / c1   the C driver (bench_c.c), no handler / pass-through handler
  py0 / py1 the Python driver (bench_python.py), likewise
  go0 / go1 the Go driver (cmd/wasihost-bench-hooks), likewise

Rounds interleave the sides (in a rotated order each round); the report
gives each side's median and its min-max spread, and the per-call cost of
each trampoline: median(passthrough) - median(none). Machines are noisy:
compare within one run only.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BUILD = os.path.join(ROOT, "build", "bench-hooks")
RELEASE_LIB = os.path.join(ROOT, "build", "lib", "release")


def sh(cmd, **kw):
    subprocess.run(cmd, check=True, **kw)


def build(go):
    os.makedirs(BUILD, exist_ok=True)
    sh(["make", "-s", "-C", ROOT, "lib", "examples-c"])
    sh(["clang", "--target=wasm32-wasi", "-O2", "-Wall", "-Wextra", "-Werror",
        "-o", os.path.join(BUILD, "calls.wasm"), os.path.join(HERE, "calls.c")])
    sh(["cc", "-std=c11", "-O2", "-Wall", "-Wextra", "-Werror",
        "-I" + os.path.join(ROOT, "include"), "-o", os.path.join(BUILD, "bench_c"),
        os.path.join(HERE, "bench_c.c"), "-L" + RELEASE_LIB,
        "-Wl,-rpath," + RELEASE_LIB, "-lwasihost_core"])
    if go:
        env = dict(os.environ, CGO_ENABLED="1")
        sh(["go", "build", "-tags", "wasihost_dev", "-o", os.path.join(BUILD, "bench_go"),
            "./cmd/wasihost-bench-hooks"], cwd=os.path.join(ROOT, "bindings", "go"), env=env)


def commands(args, wasm, data):
    cli = os.path.join(ROOT, "build", "examples-c", "wasihost-run")
    py_env = dict(os.environ,
                  WASIHOST_LIBRARY=os.path.join(RELEASE_LIB, "libwasihost_core.so"),
                  PYTHONPATH=os.path.join(ROOT, "bindings", "python", "src"))

    def runner(mode, n):
        sides = {
            "cli": ([cli, "--dir", data + "::/b", wasm, mode, str(n)], None),
            "c0": ([os.path.join(BUILD, "bench_c"), wasm, data, mode, str(n), "none"], None),
            "c1": ([os.path.join(BUILD, "bench_c"), wasm, data, mode, str(n), "passthrough"], None),
            "py0": ([sys.executable, os.path.join(HERE, "bench_python.py"), wasm, data, mode,
                     str(n), "none"], py_env),
            "py1": ([sys.executable, os.path.join(HERE, "bench_python.py"), wasm, data, mode,
                     str(n), "passthrough"], py_env),
            "go0": ([os.path.join(BUILD, "bench_go"), wasm, data, mode, str(n), "none"], None),
            "go1": ([os.path.join(BUILD, "bench_go"), wasm, data, mode, str(n), "passthrough"],
                    None),
        }
        if args.before:
            before = os.path.join(args.before, "build", "examples-c", "wasihost-run")
            sides["before"] = ([before, "--dir", data + "::/b", wasm, mode, str(n)], None)
        return sides
    return runner


def measure(cmd, env):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
    for line in out.splitlines():
        if line.startswith("ns_per_call="):
            return float(line.split("=", 1)[1])
    raise RuntimeError("no ns_per_call in the output of %s: %r" % (cmd, out))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=11)
    ap.add_argument("--clock-n", type=int, default=2_000_000)
    ap.add_argument("--open-n", type=int, default=100_000)
    ap.add_argument("--before", help="a checkout of the baseline with its C CLI built")
    ap.add_argument("--sides", default="cli,before,c0,c1,py0,py1,go0,go1")
    ap.add_argument("--no-build", action="store_true")
    args = ap.parse_args()
    sides = [s for s in args.sides.split(",") if s != "before" or args.before]
    if not args.no_build:
        build(go=any(s.startswith("go") for s in sides))
    wasm = os.path.join(BUILD, "calls.wasm")
    data = tempfile.mkdtemp(prefix="wasihost-bench-hooks-")
    open(os.path.join(data, "f"), "w").close()
    runner = commands(args, wasm, data)
    results = {}
    for mode, n in (("clock", args.clock_n), ("open", args.open_n)):
        cmds = runner(mode, n)
        times = {s: [] for s in sides}
        for r in range(args.rounds):
            order = sides[r % len(sides):] + sides[:r % len(sides)]
            if r % 2:
                order.reverse()
            for s in order:
                cmd, env = cmds[s]
                times[s].append(measure(cmd, env))
        results[mode] = times
    call = {"clock": "clock_time_get", "open": "path_open+fd_close"}
    print("\n%d rounds, interleaved; ns per call: median (min-max)" % args.rounds)
    for mode, times in results.items():
        print("\n%s:" % call[mode])
        med = {s: statistics.median(v) for s, v in times.items()}
        for s, v in times.items():
            print("  %-7s %10.1f  (%.1f-%.1f)" % (s, med[s], min(v), max(v)))
        if "before" in med and "cli" in med:
            print("  cli/before (no handler, this tree vs the baseline): %.3f"
                  % (med["cli"] / med["before"]))
        for lang in ("c", "py", "go"):
            if lang + "0" in med and lang + "1" in med:
                print("  %s pass-through handler: +%.1f ns per call"
                      % ({"c": "C", "py": "Python", "go": "Go"}[lang],
                         med[lang + "1"] - med[lang + "0"]))


if __name__ == "__main__":
    main()
