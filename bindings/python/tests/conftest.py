"""Shared fixtures: the compiled guests, one engine, modules compiled once per session.

The guests are C programs compiled with ``clang --target=wasm32-wasi -O2``
(``$CLANG`` to use another clang): ``guests/pyguest.c`` (this suite's
own) and, where they fit, the repository's ``tests/guests/*.c`` and
``examples/guests/hostdemo.c``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Callable

import pytest

HERE = Path(__file__).resolve().parent
PKG_ROOT = HERE.parent  # bindings/python
REPO = PKG_ROOT.parent.parent
sys.path.insert(0, str(PKG_ROOT / "src"))

import wasihost  # noqa: E402

# name -> (source, include dir)
GUEST_SOURCES = {
    "pyguest": (HERE / "guests" / "pyguest.c", None),
    "proc": (REPO / "tests" / "guests" / "proc.c", REPO / "tests" / "guests"),
    "args": (REPO / "tests" / "guests" / "args.c", REPO / "tests" / "guests"),
    "stdio": (REPO / "tests" / "guests" / "stdio.c", REPO / "tests" / "guests"),
    "limits": (REPO / "tests" / "guests" / "limits.c", REPO / "tests" / "guests"),
    # The programmable-host examples' guest (time, open, random modes).
    "hostdemo": (REPO / "examples" / "guests" / "hostdemo.c", None),
}


def pytest_report_header(config: pytest.Config) -> list[str]:
    try:
        return [f"wasihost {wasihost.version()} from {wasihost.library_path()}"]
    except wasihost.LibraryNotFoundError as e:
        return [f"wasihost library: NOT FOUND: {e}"]


def pytest_sessionstart(session: pytest.Session) -> None:
    try:
        wasihost.version()
    except wasihost.LibraryNotFoundError as e:
        pytest.exit(f"{e}", returncode=3)


@pytest.fixture(scope="session")
def guests(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """name -> compiled .wasm path."""
    clang = os.environ.get("CLANG", "clang")
    if shutil.which(clang) is None:
        pytest.fail(
            f"{clang} not found: the guests need clang with wasm32-wasi "
            "(`make deps` at the repository root installs it)"
        )
    out = tmp_path_factory.mktemp("guests")
    procs = []
    for name, (src, inc) in GUEST_SOURCES.items():
        cmd = [clang, "--target=wasm32-wasi", "-O2", "-o", str(out / f"{name}.wasm"), str(src)]
        if inc is not None:
            cmd[3:3] = ["-I", str(inc)]
        procs.append(
            (name, cmd, subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT))
        )
    for name, cmd, p in procs:
        text, _ = p.communicate(timeout=600)
        if p.returncode != 0:
            pytest.fail(f"compiling guest {name} failed: {' '.join(cmd)}\n{text.decode()}")
    return {name: out / f"{name}.wasm" for name in GUEST_SOURCES}


@pytest.fixture(scope="session")
def engine() -> wasihost.Engine:
    """An interruptible engine: many tests stop guests (interrupts, timeouts)."""
    with wasihost.Engine(interruptible=True) as e:
        yield e


@pytest.fixture(scope="session")
def module(guests: dict[str, Path], engine: wasihost.Engine) -> Callable[[str], wasihost.Module]:
    """module(name): the guest compiled once per session (modules are shared freely)."""
    cache: dict[str, wasihost.Module] = {}

    def get(name: str) -> wasihost.Module:
        if name not in cache:
            cache[name] = wasihost.Module.from_file(guests[name], engine=engine)
        return cache[name]

    yield get
    for m in cache.values():
        m.close()


@pytest.fixture
def pyguest(module: Callable[[str], wasihost.Module]) -> wasihost.Module:
    return module("pyguest")
