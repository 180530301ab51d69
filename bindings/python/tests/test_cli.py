"""python -m wasihost: the CLI contract, and the same results as the C runner."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import wasihost

SRC = Path(__file__).resolve().parents[1] / "src"
REPO = Path(__file__).resolve().parents[3]
CHECK = REPO / "tests" / "cli" / "check.py"
# The C runner to compare with: $WASIHOST_C_CLI (set by `make test`, which
# then requires it), else the release build of `make examples-c`.
C_CLI = Path(os.environ.get("WASIHOST_C_CLI") or REPO / "build" / "examples-c" / "wasihost-run")


def cli_env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(SRC)
    env[wasihost.LIBRARY_ENV] = wasihost.library_path()
    env["WASIHOST_CACHE_DIR"] = str(tmp_path / "cache")
    return env


def pycli(tmp_path: Path, *args: str, stdin: bytes = b"") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "wasihost", *args],
        input=stdin,
        capture_output=True,
        env=cli_env(tmp_path),
        cwd=tmp_path,
        timeout=300,
    )


def test_help(tmp_path: Path) -> None:
    for flag in ("--help", "-h"):
        p = pycli(tmp_path, flag)
        assert p.returncode == 0 and p.stderr == b""
        assert p.stdout.startswith(b"usage: python -m wasihost [OPTIONS]")


@pytest.mark.parametrize(
    "args, message",
    [
        ([], b"missing FILE.wasm"),
        (["--bogus", "x.wasm"], b'unknown option "--bogus"'),
        (["--dir"], b'missing value for "--dir"'),
        (["--no-cache=1", "x.wasm"], b'no value allowed in "--no-cache=1"'),
        (["--dir", "::/g", "x.wasm"], b"--dir needs HOST[::GUEST]"),
        (["--env", "=x", "x.wasm"], b'--env "=x"'),
        (["--dir", "/no/such/dir", "x.wasm"], b"/no/such/dir"),
        (["no-such.wasm"], b"cannot read module no-such.wasm: No such file or directory"),
        (["--no-cache", "no-such.wasm"], b"no-such.wasm"),
    ],
)
def test_usage_and_load_errors_exit_2_with_one_line(
    tmp_path: Path, args: list[str], message: bytes
) -> None:
    p = pycli(tmp_path, *args)
    assert p.returncode == 2 and p.stdout == b""
    assert p.stderr.startswith(b"wasihost-run: ") and p.stderr.count(b"\n") == 1
    assert message in p.stderr


def test_not_a_command_exits_2(tmp_path: Path) -> None:
    (tmp_path / "lib.wat").write_text('(module (func (export "f")))')
    p = pycli(tmp_path, "lib.wat")
    assert p.returncode == 2 and b"no _start" in p.stderr


def test_exit_codes_pass_through(tmp_path: Path, guests: dict[str, Path]) -> None:
    for code, status in ((0, 0), (3, 3), (255, 255), (256, 0), (257, 1)):
        p = pycli(tmp_path, str(guests["pyguest"]), "exit", str(code))
        assert (p.returncode, p.stdout) == (status, b"before exit\n")


def test_trap_exits_134(tmp_path: Path, guests: dict[str, Path]) -> None:
    p = pycli(tmp_path, str(guests["pyguest"]), "trap")
    assert p.returncode == 134 and p.stdout == b"before trap\n"
    assert p.stderr.startswith(b"wasihost-run: trap: ") and b"unreachable" in p.stderr


def test_dirs_env_stdin_and_argv0(tmp_path: Path, guests: dict[str, Path]) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "in.txt").write_text("input file\n")
    out = tmp_path / "out"
    out.mkdir()
    wasm = str(guests["pyguest"])
    p = pycli(
        tmp_path,
        "--ro-dir",
        f"{data}::/data",
        "--dir",
        f"{out}::/out",
        "--stdin",
        str(data / "in.txt"),
        wasm,
        "upper",
    )
    assert (p.returncode, p.stdout) == (0, b"INPUT FILE\n")
    p = pycli(tmp_path, f"--dir={out}::/out", wasm, "write", "/out/x", "made")
    assert (out / "x").read_text() == "made"
    p = pycli(tmp_path, "--ro-dir", f"{data}::/data", wasm, "write", "/data/x", "no")
    assert p.stdout == b"write errno=76\n" and not (data / "x").exists()
    p = pycli(tmp_path, "--dir", str(data), wasm, "cat", f"{data}/in.txt")  # HOST alone
    assert p.stdout == b"input file\n"
    p = pycli(tmp_path, "--env", "A=1", "--env", "PATH", "--no-cache", wasm, "env")
    assert p.stdout == f"ENV=A=1\nENV=PATH={os.environ['PATH']}\n".encode()
    p = pycli(tmp_path, "--", wasm, "args", "--dir")
    assert p.stdout == f"argv[0]={wasm}\nargv[1]=args\nargv[2]=--dir\n".encode()
    p = pycli(tmp_path, wasm, "echo", stdin=b"inherited stdin")
    assert p.stdout == b"inherited stdin"


def test_the_cache_is_used_by_default(tmp_path: Path, guests: dict[str, Path]) -> None:
    wasm = str(guests["pyguest"])
    pycli(tmp_path, wasm, "exit", "0")
    assert len(list((tmp_path / "cache").glob("*.cwasm"))) == 1
    pycli(tmp_path, "--cache-dir", str(tmp_path / "mine"), wasm, "exit", "0")
    assert len(list((tmp_path / "mine").glob("*.cwasm"))) == 1
    pycli(tmp_path, "--no-cache", "--cache-dir", str(tmp_path / "none"), wasm, "exit", "0")
    assert not (tmp_path / "none").exists()


@pytest.mark.skipif(
    not C_CLI.exists() and "WASIHOST_C_CLI" not in os.environ,
    reason=f"the C runner is not built ({C_CLI}): make examples-c",
)
@pytest.mark.parametrize(
    "args",
    [
        ["exit", "42"],
        ["trap"],
        ["args", "a b", ""],
        ["env"],
        ["big", "70000"],
        ["cat", "/etc/passwd"],
        ["stderr", "to stderr\n"],
    ],
)
def test_same_as_the_c_runner(tmp_path: Path, guests: dict[str, Path], args: list[str]) -> None:
    cmd = ["--env", "X=1", str(guests["pyguest"]), *args]
    py = pycli(tmp_path, *cmd)
    c = subprocess.run(
        [str(C_CLI), *cmd], capture_output=True, env=cli_env(tmp_path), cwd=tmp_path, timeout=300
    )
    assert (py.returncode, py.stdout) == (c.returncode, c.stdout)
    # Same messages, apart from backtraces' addresses (none differ today).
    assert py.stderr == c.stderr


@pytest.mark.skipif(
    not C_CLI.exists() and "WASIHOST_C_CLI" not in os.environ,
    reason=f"the C runner is not built ({C_CLI}): make examples-c",
)
def test_help_is_the_c_runners(tmp_path: Path) -> None:
    """USAGE is the C runner's help, but for the program's name."""
    py = pycli(tmp_path, "--help").stdout.decode()
    c = subprocess.run(
        [str(C_CLI), "--help"], capture_output=True, env=cli_env(tmp_path), timeout=300
    ).stdout.decode()
    assert py.startswith("usage: python -m wasihost [OPTIONS]")
    assert "\n       python -m wasihost [--cache-dir DIR] --cache-clear\n" in py
    assert py.replace("python -m wasihost", "wasihost-run") == c


def _clear(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    return pycli(tmp_path, "--cache-dir", str(tmp_path / "c"), *args, "--cache-clear")


def test_cache_clear(tmp_path: Path, guests: dict[str, Path]) -> None:
    c = tmp_path / "c"
    p = _clear(tmp_path)
    assert (p.returncode, p.stdout, p.stderr) == (0, b"freed 0 bytes\n", b"")
    assert not c.exists()  # nothing made
    for args in (["hello", "x"], ["exit", "3"]):
        wasm = guests["proc"] if args[0] == "hello" else guests["pyguest"]
        pycli(tmp_path, "--cache-dir", str(c), str(wasm), *args)
    with wasihost.Cache(c) as cache:
        usage = cache.disk_usage()
    assert usage > 0 and len(list(c.glob("*.cwasm"))) == 2
    (c / "mine.txt").write_text("kept")
    p = _clear(tmp_path)
    assert (p.returncode, p.stdout, p.stderr) == (0, f"freed {usage} bytes\n".encode(), b"")
    assert list(c.glob("*.cwasm")) == [] and (c / "mine.txt").read_text() == "kept"
    assert _clear(tmp_path).stdout == b"freed 0 bytes\n"
    # The default directory, and options that do not matter to it.
    pycli(tmp_path, str(guests["proc"]), "hello", "x")
    assert len(list((tmp_path / "cache").glob("*.cwasm"))) == 1
    p = pycli(tmp_path, "--cache-max-size", "1K", "--no-cache", "--cache-clear")
    assert p.returncode == 0 and p.stdout.startswith(b"freed ") and p.stdout != b"freed 0 bytes\n"
    assert list((tmp_path / "cache").glob("*.cwasm")) == []


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["--cache-clear", "x.wasm"],
            b'--cache-clear takes no FILE.wasm, got "x.wasm" (try --help)',
        ),
        (["--cache-clear", "--", "x.wasm"], b'--cache-clear takes no FILE.wasm, got "x.wasm"'),
        (["--cache-clear=yes"], b'no value allowed in "--cache-clear=yes" (try --help)'),
        (["--cache-max-size", "12Q", "x.wasm"], b'(e.g. 512M), not "12Q" (try --help)'),
        (["--cache-max-size=-1", "x.wasm"], b"--cache-max-size needs BYTES"),
        (["--cache-max-size", "16777216T", "x.wasm"], b'not "16777216T"'),
        (["--cache-max-size"], b'missing value for "--cache-max-size"'),
        (["--cache-dir=", "--cache-clear"], b"--cache-clear: dir is empty"),
    ],
)
def test_cache_option_errors(tmp_path: Path, args: list[str], message: bytes) -> None:
    p = pycli(tmp_path, *args)
    assert (p.returncode, p.stdout) == (2, b"")
    assert p.stderr.startswith(b"wasihost-run: ") and p.stderr.count(b"\n") == 1
    assert message in p.stderr
    if C_CLI.exists():
        c = subprocess.run(
            [str(C_CLI), *args], capture_output=True, env=cli_env(tmp_path), timeout=300
        )
        assert (c.returncode, c.stdout, c.stderr) == (p.returncode, p.stdout, p.stderr)


def test_cache_clear_without_a_default_directory(tmp_path: Path) -> None:
    env = cli_env(tmp_path)
    for name in ("WASIHOST_CACHE_DIR", "XDG_CACHE_HOME", "HOME"):
        env.pop(name, None)
    p = subprocess.run(
        [sys.executable, "-m", "wasihost", "--cache-clear"],
        capture_output=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert (p.returncode, p.stdout) == (2, b"")
    assert p.stderr.startswith(b"wasihost-run: --cache-clear: no default cache directory")


def test_cache_max_size(tmp_path: Path, guests: dict[str, Path]) -> None:
    c = tmp_path / "c"
    a = ["--cache-dir", str(c), "--cache-max-size", "1K"]
    p = pycli(tmp_path, *a, str(guests["proc"]), "hello", "x")
    assert (p.returncode, p.stdout, p.stderr) == (0, b"hello x\n", b"")
    (first,) = c.glob("*.cwasm")  # kept, alone larger than 1 KiB
    assert first.stat().st_size > 1024
    p = pycli(tmp_path, *a, str(guests["pyguest"]), "exit", "4")
    assert p.returncode == 4
    (second,) = c.glob("*.cwasm")  # the first one was evicted
    assert second != first
    # 0: no bound.
    pycli(tmp_path, "--cache-dir", str(c), "--cache-max-size", "0", str(guests["proc"]), "hello")
    assert len(list(c.glob("*.cwasm"))) == 2


def _closed_pipe_status(cmd: list[str], env: dict[str, str], cwd: Path) -> int:
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, cwd=cwd)
    assert p.stdout is not None
    assert p.stdout.read(10) == b"x" * 10
    p.stdout.close()  # the guest goes on writing 10 MB: the next write hits a closed pipe
    return p.wait(timeout=300)


def test_a_closed_stdout_pipe_ends_the_run_as_for_the_c_runner(
    tmp_path: Path, guests: dict[str, Path]
) -> None:
    args = ["--no-cache", str(guests["pyguest"]), "big", "10000000"]
    status = _closed_pipe_status(
        [sys.executable, "-m", "wasihost", *args], cli_env(tmp_path), tmp_path
    )
    assert status == -signal.SIGPIPE
    if C_CLI.exists():
        assert _closed_pipe_status([str(C_CLI), *args], cli_env(tmp_path), tmp_path) == status


def test_sigint_stops_a_guest_that_never_returns(tmp_path: Path, guests: dict[str, Path]) -> None:
    p = subprocess.Popen(
        [sys.executable, "-m", "wasihost", "--no-cache", str(guests["pyguest"]), "spin"],
        stdout=subprocess.PIPE,
        env=cli_env(tmp_path),
        cwd=tmp_path,
    )
    assert p.stdout is not None
    assert p.stdout.readline() == b"spinning\n"  # in the guest's endless loop now
    p.send_signal(signal.SIGINT)
    assert p.wait(timeout=300) == -signal.SIGINT


@pytest.mark.skipif(not CHECK.exists(), reason=f"{CHECK} does not exist yet")
def test_the_shared_cli_case_table(tmp_path: Path) -> None:
    """tests/cli/check.py, the cases every runner (C, Python, Go) must pass."""
    env = cli_env(tmp_path)
    p = subprocess.run(
        [
            sys.executable,
            str(CHECK),
            "--cli",
            f"{sys.executable} -m wasihost",
            "-j",
            "2",
            "--guests-dir",
            str(tmp_path / "cli-guests"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=1800,
    )
    assert p.returncode == 0, p.stdout + p.stderr
    assert " cases passed" in p.stdout


# --- limits: --timeout, --fuel, --max-memory, --max-open-fds ----------------------

LIMITS_GUEST = "limits"
BIG_MEMORY_WAT = '(module (memory 100) (func (export "_start")))'  # 6.25 MiB


def test_help_lists_the_limits(tmp_path: Path) -> None:
    out = pycli(tmp_path, "--help").stdout
    for option in (b"--timeout DURATION", b"--fuel N", b"--max-memory BYTES", b"--max-open-fds N"):
        assert option in out
    for status in (b"124", b"152", b"137"):
        assert status in out


@pytest.mark.parametrize("duration", ["100ms", "0.1", ".1s", "100000us"])
def test_timeout_exits_124(tmp_path: Path, guests: dict[str, Path], duration: str) -> None:
    p = pycli(tmp_path, "--timeout", duration, str(guests[LIMITS_GUEST]), "spin")
    assert (p.returncode, p.stdout) == (124, b"")
    assert p.stderr == f"wasihost-run: timed out after {duration}\n".encode()


def test_timeout_covers_the_start_function_and_blocking_reads(
    tmp_path: Path, guests: dict[str, Path]
) -> None:
    start_loop = str(REPO / "tests" / "guests" / "start_loop.wat")
    p = pycli(tmp_path, "--timeout=50ms", start_loop)
    assert (p.returncode, p.stderr) == (124, b"wasihost-run: timed out after 50ms\n")
    p = pycli(tmp_path, "--timeout", "50ms", str(guests[LIMITS_GUEST]), "sleep", "100")
    assert (p.returncode, p.stderr) == (124, b"wasihost-run: timed out after 50ms\n")
    # stdin a pipe that stays open: the read never ends by itself.
    r, w = os.pipe()
    try:
        cmd = [sys.executable, "-m", "wasihost", "--timeout", "50ms"]
        p = subprocess.run(
            [*cmd, str(guests[LIMITS_GUEST]), "read"],
            stdin=r,
            capture_output=True,
            env=cli_env(tmp_path),
            cwd=tmp_path,
            timeout=300,
        )
    finally:
        os.close(r)
        os.close(w)
    assert (p.returncode, p.stderr) == (124, b"wasihost-run: timed out after 50ms\n")


def test_a_timeout_the_guest_keeps_is_no_error(tmp_path: Path, guests: dict[str, Path]) -> None:
    p = pycli(tmp_path, "--timeout", "10m", str(guests[LIMITS_GUEST]), "count", "1000")
    assert (p.returncode, p.stdout, p.stderr) == (0, b"counted 1000\n", b"")


def test_fuel_exits_152(tmp_path: Path, guests: dict[str, Path]) -> None:
    wasm = str(guests[LIMITS_GUEST])
    p = pycli(tmp_path, "--fuel", "10000", wasm, "count", "100000")
    assert (p.returncode, p.stderr) == (152, b"wasihost-run: out of fuel after 10000 units\n")
    p = pycli(tmp_path, "--fuel", "100000000", wasm, "count", "100000")
    assert (p.returncode, p.stdout, p.stderr) == (0, b"counted 100000\n", b"")


def test_max_memory(tmp_path: Path, guests: dict[str, Path]) -> None:
    wasm = str(guests[LIMITS_GUEST])
    p = pycli(tmp_path, "--max-memory", "64M", wasm, "grow", "1000")
    assert p.returncode == 3 and p.stdout.endswith(b" MiB, then refused\n")
    assert p.stderr == b"wasihost-run: note: the guest reached the --max-memory limit\n"
    p = pycli(tmp_path, "--max-memory", "64MiB", wasm, "grow", "10")
    assert (p.returncode, p.stdout, p.stderr) == (0, b"grew 10 MiB\n", b"")
    (tmp_path / "big.wat").write_text(BIG_MEMORY_WAT)
    p = pycli(tmp_path, "--max-memory", "1M", "big.wat")
    assert p.returncode == 137 and p.stderr.count(b"\n") == 1
    assert b"--max-memory" in p.stderr and p.stderr.startswith(b"wasihost-run: big.wat: ")
    assert pycli(tmp_path, "--max-memory", "7M", "big.wat").returncode == 0


def test_max_open_fds(tmp_path: Path, guests: dict[str, Path]) -> None:
    wasm = str(guests["pyguest"])
    assert pycli(tmp_path, "--max-open-fds", "3", wasm, "exit", "0").returncode == 0
    p = pycli(tmp_path, "--max-open-fds", "3", "--dir", str(tmp_path), wasm, "exit", "0")
    assert p.returncode == 2
    assert p.stderr == (
        b"wasihost-run: --max-open-fds must be at least 4 (stdio and 1 preopened directory),"
        b' not "3" (try --help)\n'
    )


@pytest.mark.parametrize(
    "option, value",
    [
        ("--timeout", "0"),
        ("--timeout", "0ms"),
        ("--timeout", "-1"),
        ("--timeout", "1x"),
        ("--timeout", "."),
        ("--timeout", " 1"),
        ("--timeout", "1e3"),
        ("--timeout", "99999999999999999999h"),
        ("--fuel", "0"),
        ("--fuel", "-5"),
        ("--fuel", "1.5"),
        ("--fuel", "18446744073709551616"),
        ("--max-memory", "64X"),
        ("--max-memory", "-1"),
        ("--max-memory", "M"),
        ("--max-memory", "64Mi"),
        ("--max-memory", "99999999999T"),
        ("--max-open-fds", "2"),
        ("--max-open-fds", "many"),
    ],
)
def test_bad_limit_values_are_usage_errors(tmp_path: Path, option: str, value: str) -> None:
    p = pycli(tmp_path, option, value, "x.wasm")
    assert p.returncode == 2 and p.stdout == b"" and p.stderr.count(b"\n") == 1
    assert p.stderr.startswith(f"wasihost-run: {option} ".encode())
    assert f'"{value}" (try --help)'.encode() in p.stderr


def test_duration_and_bytes_parsing() -> None:
    from wasihost.cli import parse_bytes, parse_duration

    assert parse_duration("1") == 10**9
    assert parse_duration("1.5s") == 1_500_000_000
    assert parse_duration("2m") == 120 * 10**9
    assert parse_duration("1h") == 3600 * 10**9
    assert parse_duration("250us") == 250_000
    assert parse_duration("0.0000000015") == 1  # finer than a nanosecond: dropped
    assert parse_duration("0.0000000001") is None  # 0 ns
    assert parse_duration("5.") == 5 * 10**9
    assert parse_duration("1S") is None and parse_duration("") is None
    assert parse_bytes("0") == 0 and parse_bytes("64M") == 64 << 20
    assert parse_bytes("2GiB") == 2 << 30 and parse_bytes("1T") == 1 << 40
    assert parse_bytes("1KiB") == 1024 and parse_bytes("1k") is None
    assert parse_bytes("16777215T") == 16777215 << 40 and parse_bytes("16777216T") is None


@pytest.mark.skipif(
    not C_CLI.exists() and "WASIHOST_C_CLI" not in os.environ,
    reason=f"the C runner is not built ({C_CLI}): make examples-c",
)
@pytest.mark.parametrize(
    "args",
    [
        ["--timeout", "100ms", "{limits}", "spin"],
        ["--fuel", "10000", "{limits}", "count", "100000"],
        ["--max-memory", "32M", "{limits}", "grow", "1000"],
        ["--timeout", "1.", "--fuel", "0", "{limits}", "spin"],
        ["--max-memory", "1G", "--max-open-fds", "2", "{limits}", "spin"],
    ],
)
def test_limits_same_as_the_c_runner(
    tmp_path: Path, guests: dict[str, Path], args: list[str]
) -> None:
    cmd = [a.replace("{limits}", str(guests[LIMITS_GUEST])) for a in args]
    py = pycli(tmp_path, *cmd)
    c = subprocess.run(
        [str(C_CLI), *cmd], capture_output=True, env=cli_env(tmp_path), cwd=tmp_path, timeout=300
    )
    if b"unknown option" in c.stderr:
        pytest.skip(f"{C_CLI} predates the limit options: rebuild it")
    assert (py.returncode, py.stdout, py.stderr) == (c.returncode, c.stdout, c.stderr)


# --- tracing and reproducible runs: --trace, --trace-filter, --deterministic ----------

HOSTDEMO = "hostdemo"


def test_help_lists_tracing_and_deterministic(tmp_path: Path) -> None:
    out = pycli(tmp_path, "--help").stdout
    for option in (b"--trace FILE", b"--trace-filter LIST", b"--deterministic[=SEED]"):
        assert option in out


@pytest.mark.parametrize(
    "args, message",
    [
        (["--trace-filter", "fs", "x.wasm"], b"--trace-filter needs --trace FILE (try --help)"),
        (["--trace=", "x.wasm"], b'--trace needs a FILE, not "" (try --help)'),
        (["--trace"], b'missing value for "--trace"'),
        (["--trace", "t", "--trace-filter", "fs,bogus", "x.wasm"], b"--trace: filter: unknown"),
        (["--trace", "t", "--trace-filter", ",", "x.wasm"], b"--trace: filter: the list"),
        (["--trace", "no/such/t", "x.wasm"], b"--trace: trace file no/such/t"),
        (
            ["--deterministic=soon", "x.wasm"],
            b'--deterministic=SEED needs an integer SEED, not "soon"',
        ),
        (["--deterministic=", "x.wasm"], b'--deterministic=SEED needs an integer SEED, not ""'),
        (["--deterministic=-1", "x.wasm"], b'not "-1"'),
        (["--deterministic=18446744073709551616", "x.wasm"], b"SEED"),
    ],
)
def test_tracing_usage_errors_exit_2(tmp_path: Path, args: list[str], message: bytes) -> None:
    p = pycli(tmp_path, *args)
    assert (p.returncode, p.stdout) == (2, b"")
    assert p.stderr.startswith(b"wasihost-run: ") and p.stderr.count(b"\n") == 1
    assert message in p.stderr
    assert not (tmp_path / "t").exists() or b"filter" not in message


def test_deterministic_takes_its_seed_only_after_equals(
    tmp_path: Path, guests: dict[str, Path]
) -> None:
    # "--deterministic 5": 5 is the module to run, not a seed.
    p = pycli(tmp_path, "--deterministic", "5", str(guests[HOSTDEMO]))
    assert (
        p.returncode == 2
        and p.stderr
        == b"wasihost-run: cannot read module 5: No such file or directory (os error 2)\n"
    )


def test_deterministic_runs_print_the_same(tmp_path: Path, guests: dict[str, Path]) -> None:
    d = tmp_path / "d"
    d.mkdir()
    (d / "a.txt").write_text("a")
    args = ["--dir", f"{d}::/d", str(guests[HOSTDEMO]), "time", "/d"]
    first = pycli(tmp_path, "--deterministic=42", *args)
    assert first.returncode == 0 and first.stderr == b""
    assert first.stdout.startswith(b"wall: 946684800 s\nmonotonic: 0 ns\n")
    assert pycli(tmp_path, "--deterministic=42", *args).stdout == first.stdout
    assert pycli(tmp_path, "--deterministic=43", *args).stdout != first.stdout
    assert pycli(tmp_path, "--deterministic", *args).stdout == (
        pycli(tmp_path, "--deterministic=0", *args).stdout
    )


def test_trace_file_and_filter(tmp_path: Path, guests: dict[str, Path]) -> None:
    d = tmp_path / "d"
    d.mkdir()
    (d / "a.txt").write_text("abc")
    wasm = str(guests[HOSTDEMO])
    p = pycli(tmp_path, "--trace", "t.jsonl", "--dir", f"{d}::/d", wasm, "open", "/d/a.txt")
    assert (p.returncode, p.stdout, p.stderr) == (0, b"/d/a.txt: 3 bytes\n", b"")
    lines = [json.loads(x) for x in (tmp_path / "t.jsonl").read_text().splitlines()]
    assert {"path_open", "fd_read", "fd_write"} <= {x["call"] for x in lines}
    p = pycli(
        tmp_path,
        "--trace=t.jsonl",
        "--trace-filter=path_open,fd_close",
        f"--dir={d}::/d",
        wasm,
        "open",
        "/d/a.txt",
    )
    lines = [json.loads(x) for x in (tmp_path / "t.jsonl").read_text().splitlines()]
    assert [(x["call"], x["errno"]) for x in lines] == [
        ("path_open", "success"),
        ("fd_close", "success"),
    ]
    assert lines[0]["args"]["path"] == "a.txt" and lines[0]["results"]["opened_fd"] >= 4


def _without_ns(text: str) -> list[Any]:
    out = []
    for line in text.splitlines():
        record = json.loads(line)
        record.pop("ns")
        out.append(record)
    return out


@pytest.mark.skipif(
    not C_CLI.exists() and "WASIHOST_C_CLI" not in os.environ,
    reason=f"the C runner is not built ({C_CLI}): make examples-c",
)
@pytest.mark.parametrize(
    "args",
    [
        ["--trace", "{tmp}/t.jsonl", "--dir", "{tmp}/d::/d", "{hostdemo}", "open", "/d/a", "/d/b"],
        ["--trace", "{tmp}/t.jsonl", "--trace-filter", "fs", "{hostdemo}", "random", "/x", "3"],
        [
            "--deterministic=9",
            "--trace={tmp}/t.jsonl",
            "--trace-filter=clock,random,poll",
            "--dir",
            "{tmp}/d::/d",
            "{hostdemo}",
            "time",
            "/d",
        ],
        ["--deterministic", "--dir", "{tmp}/d::/d", "{hostdemo}", "time", "/d"],
        ["--trace-filter", "fs", "{hostdemo}", "open"],
        ["--trace", "{tmp}/t.jsonl", "--trace-filter", "fs,nope", "{hostdemo}", "open"],
        ["--trace", "{tmp}/no/t.jsonl", "{hostdemo}", "open"],
        ["--deterministic=x", "{hostdemo}", "open"],
        ["--trace", "{tmp}/t.jsonl", "missing.wasm"],
    ],
)
def test_tracing_same_as_the_c_runner(
    tmp_path: Path, guests: dict[str, Path], args: list[str]
) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a").write_text("x" * 10)
    cmd = [
        a.replace("{tmp}", str(tmp_path)).replace("{hostdemo}", str(guests[HOSTDEMO])) for a in args
    ]
    trace = tmp_path / "t.jsonl"
    outcomes = []
    for runner in ([str(C_CLI)], [sys.executable, "-m", "wasihost"]):
        trace.unlink(missing_ok=True)
        p = subprocess.run(
            [*runner, *cmd], capture_output=True, env=cli_env(tmp_path), cwd=tmp_path, timeout=300
        )
        if b"unknown option" in p.stderr and runner[0] == str(C_CLI):
            pytest.skip(f"{C_CLI} predates the tracing options: rebuild it")
        lines = _without_ns(trace.read_text()) if trace.exists() else None
        outcomes.append((p.returncode, p.stdout, p.stderr, lines))
    assert outcomes[0] == outcomes[1]
