"""The examples in bindings/python/examples run, and print what they say they print.

Each runs as a script (``python3 examples/NAME.py HOSTDEMO.wasm``), with
the package from ``src`` and the library the suite tests.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import wasihost

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SRC = Path(__file__).resolve().parents[1] / "src"


def example(name: str, hostdemo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(SRC)
    env[wasihost.LIBRARY_ENV] = wasihost.library_path()
    return subprocess.run(
        [sys.executable, str(EXAMPLES / f"{name}.py"), str(hostdemo), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def test_deny_policy(guests: dict[str, Path]) -> None:
    p = example("deny_policy", guests["hostdemo"])
    assert (p.returncode, p.stderr) == (0, "")
    assert p.stdout == (
        "/data/notes.txt: 6 bytes\n"
        "/data/id.key: error Permission denied\n"
        "/data/sub/cert.pem: error Permission denied\n"
        "/data/missing.txt: error No such file or directory\n"
    )


def test_virtual_urandom(guests: dict[str, Path]) -> None:
    p = example("virtual_urandom", guests["hostdemo"])
    assert (p.returncode, p.stderr) == (0, "")
    # The bytes of random.Random(2024), the example's seed: one fd_read of 16.
    expected = random.Random(2024).randbytes(16).hex()
    assert p.stdout == (f"/dev/urandom: {expected}\n/dev/null: error No such file or directory\n")


def test_audit_log(guests: dict[str, Path]) -> None:
    p = example("audit_log", guests["hostdemo"])
    assert (p.returncode, p.stderr) == (0, "")
    guest = "/data/notes.txt: 6 bytes\n/data/nope.txt: error No such file or directory\n"
    audit = "".join(
        f"audit: #{k} {line}\n"
        for k in (1, 2)
        for line in (
            'path_open "notes.txt" -> success, fd 4',
            "fd_read fd 4 -> success, 6 bytes",
            "fd_read fd 4 -> success, 0 bytes",
            'path_open "nope.txt" -> noent',
        )
    )
    assert p.stdout == guest * 2 + audit + "audit: 8 records, 2 instances\n"


def test_reproducible_run(guests: dict[str, Path]) -> None:
    p = example("reproducible_run", guests["hostdemo"])
    assert (p.returncode, p.stderr) == (0, "")
    lines = p.stdout.splitlines()
    assert lines[:3] == [
        "wall: 946684800 s",
        "monotonic: 0 ns",
        "monotonic after sleeping 1.5 s: 1500000000 ns (+1500000000)",
    ]
    assert lines[3].startswith("random: ") and len(lines[3]) == len("random: ") + 16
    assert sorted(lines[4:7]) == ["entry: a.txt", "entry: b.txt", "entry: c.txt"]
    assert lines[7] == f"the two runs printed the same {len(p.stdout) - len(lines[7]) - 1} bytes"
    # Another seed, other random bytes; the same seed in another process, the
    # same (but for the order of the entries of another scratch directory).
    other = example("reproducible_run", guests["hostdemo"], "2")
    assert other.returncode == 0 and other.stdout.splitlines()[3] != lines[3]
    again = example("reproducible_run", guests["hostdemo"]).stdout.splitlines()
    assert again[:4] == lines[:4] and sorted(again[4:]) == sorted(lines[4:])
