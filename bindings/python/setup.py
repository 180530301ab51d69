"""The build step of the wheel: bundles the release library, stripped, next to the package.

``pip wheel bindings/python`` and ``pip install bindings/python`` run
setuptools (``pyproject.toml``) with the commands below:

* ``build_py`` also builds the library with ``cargo build --release --lib``
  in the repository around this folder (incremental: a few seconds when
  ``make lib`` is up to date, minutes after a source change) and writes it
  as ``wasihost/libwasihost_core.so`` with its debug info removed
  (``strip --strip-debug``: 85 MB -> 17 MB). ``$WASIHOST_WHEEL_LIBRARY``
  names a library to bundle instead (a prebuilt one, or a build from an
  sdist, which holds no Rust sources); ``$CARGO`` and ``$STRIP`` name the
  tools.
* The wheel is tagged ``py3-none-<platform>`` (``linux_x86_64`` here): the
  package is pure Python loading the library with ``ctypes``, so any
  Python 3 of the platform can use it, and the library is not portable
  beyond the platform. ``auditwheel repair`` turns the tag into the
  ``manylinux_2_N`` one that the library's glibc symbol versions allow
  (``tests/test_wheel.py`` does so).
* Everything setuptools writes (``build/``, ``*.egg-info``) goes to a
  temporary directory removed when the build ends: the tree stays clean.

The installed package finds the library next to itself with no setting
(``wasihost._ffi.candidates``).
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from setuptools import setup
from setuptools.command.bdist_wheel import bdist_wheel
from setuptools.command.build import build
from setuptools.command.build_py import build_py
from setuptools.command.egg_info import egg_info
from setuptools.dist import Distribution

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
SONAME = "libwasihost_core.so"
LIBRARY_ENV = "WASIHOST_WHEEL_LIBRARY"

_scratch: str | None = None


def scratch() -> str:
    """A temporary directory for setuptools' own output, removed at exit."""
    global _scratch
    if _scratch is None:
        _scratch = tempfile.mkdtemp(prefix="wasihost-py-build-")
        atexit.register(shutil.rmtree, _scratch, True)
    return _scratch


def _say(msg: str) -> None:
    print(f"wasihost build: {msg}", file=sys.stderr, flush=True)


def cargo_build() -> Path:
    """Builds the release library with cargo and returns its path."""
    manifest = REPO / "Cargo.toml"
    if not manifest.is_file():
        raise SystemExit(
            f"wasihost build: no Rust sources at {REPO} (this is not the repository's"
            f" bindings/python): set ${LIBRARY_ENV} to a built {SONAME} to bundle it"
        )
    cargo = os.environ.get("CARGO", "cargo")
    if shutil.which(cargo) is None:
        raise SystemExit(
            f"wasihost build: {cargo!r} not found: building the wheel compiles the library"
            f" with Rust (https://rustup.rs), or set ${LIBRARY_ENV} to a built {SONAME}"
        )
    cmd = [
        cargo,
        "build",
        "--release",
        "--lib",
        "--manifest-path",
        str(manifest),
        "--message-format=json-render-diagnostics",
    ]
    _say(" ".join(cmd))
    p = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, cwd=REPO)
    if p.returncode != 0:
        raise SystemExit(f"wasihost build: cargo failed (exit {p.returncode})")
    found: Path | None = None
    for line in p.stdout.splitlines():
        try:
            msg = json.loads(line)
        except ValueError:
            continue
        if msg.get("reason") != "compiler-artifact":
            continue
        if "cdylib" not in msg.get("target", {}).get("kind", []):
            continue
        for f in msg.get("filenames", []):
            if f.endswith(SONAME):
                found = Path(f)
    if found is None or not found.is_file():
        raise SystemExit(f"wasihost build: cargo reported no {SONAME}")
    return found


def strip_into(src: Path, dest: Path) -> None:
    """Writes ``src`` without its debug info to ``dest``."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    strip = os.environ.get("STRIP", "strip")
    if shutil.which(strip) is None:
        raise SystemExit(
            f"wasihost build: {strip!r} not found (binutils): the wheel bundles the"
            " library without its debug info"
        )
    dest.unlink(missing_ok=True)
    subprocess.run([strip, "--strip-debug", "-o", str(dest), str(src)], check=True)
    dest.chmod(0o755)
    _say(f"bundled {src} ({src.stat().st_size} bytes) as {dest} ({dest.stat().st_size} bytes)")


class BuildPyWithLibrary(build_py):
    """``build_py``, then the release library next to the package."""

    def run(self) -> None:
        super().run()
        explicit = os.environ.get(LIBRARY_ENV)
        if explicit:
            src = Path(explicit).resolve()
            if not src.is_file():
                raise SystemExit(f"wasihost build: ${LIBRARY_ENV}={explicit!r}: no such file")
        else:
            src = cargo_build()
        strip_into(src, Path(self.build_lib) / "wasihost" / SONAME)

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        lib = os.path.join(self.build_lib, "wasihost", SONAME)
        return [*super().get_outputs(include_bytecode), lib]


class BuildInScratch(build):
    """``build`` into a temporary directory (not ``bindings/python/build``)."""

    def initialize_options(self) -> None:
        super().initialize_options()
        self.build_base = os.path.join(scratch(), "build")


class EggInfoInScratch(egg_info):
    """``egg_info`` into a temporary directory (not ``src/wasihost.egg-info``)."""

    def initialize_options(self) -> None:
        super().initialize_options()
        self.egg_base = scratch()


class PlatformWheel(bdist_wheel):
    """``py3-none-<platform>``: any Python 3, this platform (the library is native)."""

    def finalize_options(self) -> None:
        super().finalize_options()
        self.root_is_pure = False

    def get_tag(self) -> tuple[str, str, str]:
        _, _, plat = super().get_tag()
        return "py3", "none", plat


class BinaryDistribution(Distribution):
    """A distribution with native code: installed to platlib, tagged by platform."""

    def has_ext_modules(self) -> bool:
        return True


cmdclass: dict[str, Any] = {
    "build": BuildInScratch,
    "build_py": BuildPyWithLibrary,
    "egg_info": EggInfoInScratch,
    "bdist_wheel": PlatformWheel,
}

setup(cmdclass=cmdclass, distclass=BinaryDistribution)
