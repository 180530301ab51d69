"""Finding the shared library: $WASIHOST_LIBRARY, next to the package, the repository's build."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import wasihost

SRC = Path(__file__).resolve().parents[1] / "src"
REPO = Path(__file__).resolve().parents[3]

PROBE = "import wasihost; print(wasihost.library_path()); print(wasihost.version())"


def python(code: str, pythonpath: Path, **env_changes: str | None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(pythonpath)
    for k, v in env_changes.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300, cwd="/"
    )


def test_the_environment_variable_names_the_library() -> None:
    lib = wasihost.library_path()
    p = python(PROBE, SRC, WASIHOST_LIBRARY=lib)
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines() == [lib, wasihost.version()]


def test_a_bad_environment_variable_is_not_silently_ignored(tmp_path: Path) -> None:
    bad = str(tmp_path / "nope.so")
    p = python(PROBE, SRC, WASIHOST_LIBRARY=bad)
    assert p.returncode != 0
    assert (
        "LibraryNotFoundError" in p.stderr and "$WASIHOST_LIBRARY" in p.stderr and bad in p.stderr
    )


def test_the_repository_build_is_found_from_the_source_tree() -> None:
    p = python(PROBE, SRC, WASIHOST_LIBRARY=None)
    assert p.returncode == 0, p.stderr
    found = Path(p.stdout.splitlines()[0])
    assert found.parent in (REPO / "build/lib/release", REPO / "build/lib/debug")


def test_a_copy_without_a_library_says_where_it_looked(tmp_path: Path) -> None:
    shutil.copytree(SRC / "wasihost", tmp_path / "wasihost")
    p = python(PROBE, tmp_path, WASIHOST_LIBRARY=None, LD_LIBRARY_PATH=None)
    if p.returncode == 0:  # installed system-wide (make install): found there
        assert "libwasihost_core" in p.stdout
        return
    err = p.stderr
    assert "cannot find the wasihost library" in err
    assert "$WASIHOST_LIBRARY (not set)" in err
    assert str(tmp_path / "wasihost" / "libwasihost_core.so") in err
    assert "the system library path" in err


def test_a_library_next_to_the_package_is_found(tmp_path: Path) -> None:
    shutil.copytree(SRC / "wasihost", tmp_path / "wasihost")
    shutil.copy(wasihost.library_path(), tmp_path / "wasihost" / "libwasihost_core.so")
    p = python(PROBE, tmp_path, WASIHOST_LIBRARY=None)
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines()[0] == str(tmp_path / "wasihost" / "libwasihost_core.so")


def test_importing_does_not_load_the_library(tmp_path: Path) -> None:
    # `import wasihost` works without the library; the first use says what is missing.
    p = python("import wasihost; print('imported')", SRC, WASIHOST_LIBRARY=str(tmp_path / "x.so"))
    assert p.returncode == 0 and p.stdout == "imported\n"
