"""The compiled-module cache keeps its directory private, and a shared one needs an opt-in."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

import wasihost
from wasihost import CacheStatus, HostIOError, Module


def _mode(p: Path) -> int:
    return stat.S_IMODE(os.stat(p).st_mode)


def _shared_dir(tmp_path: Path, mode: int = 0o777) -> Path:
    d = tmp_path / "shared"
    d.mkdir()
    os.chmod(d, mode)
    return d


def test_a_shared_cache_dir_is_refused_unless_allowed(
    guests: dict[str, Path], tmp_path: Path
) -> None:
    wasm = guests["proc"].read_bytes()
    shared = _shared_dir(tmp_path)
    with pytest.raises(PermissionError) as info:
        Module.cached(wasm, cache_dir=shared)
    e = info.value
    assert isinstance(e, HostIOError)
    assert f'cache directory "{shared}"' in e.message
    assert "mode 0777" in e.message and "chmod 700" in e.message
    assert list(shared.iterdir()) == []

    # The opt-in, on every way in: Module.cached, Module.from_file, run().
    with Module.cached(wasm, cache_dir=shared, allow_shared_dir=True) as m:
        assert m.cache_status is CacheStatus.MISS
    with Module.from_file(guests["proc"], cache=shared, cache_allow_shared=True) as m:
        assert m.cache_status is CacheStatus.HIT
    with pytest.raises(PermissionError):
        Module.from_file(guests["proc"], cache=shared)
    with pytest.raises(PermissionError):
        wasihost.run(guests["proc"], ["hello", "x"], cache=shared)
    r = wasihost.run(guests["proc"], ["hello", "x"], cache=shared, cache_allow_shared=True)
    assert (r.exit_code, r.stdout) == (0, b"hello x\n")
    (entry,) = shared.glob("*.cwasm")
    assert _mode(entry) == 0o600
    assert _mode(shared) == 0o777

    with pytest.raises(TypeError):
        Module.cached(wasm, cache_dir=shared, allow_shared_dir="yes")  # type: ignore[arg-type]


def test_what_the_cache_creates_is_private_under_umask_000(
    guests: dict[str, Path], tmp_path: Path
) -> None:
    wasm = guests["proc"].read_bytes()
    d = tmp_path / "a" / "b"
    old = os.umask(0)
    try:
        with Module.cached(wasm, cache_dir=d) as m:
            assert m.cache_status is CacheStatus.MISS
    finally:
        os.umask(old)
    assert _mode(tmp_path / "a") == 0o700
    assert _mode(d) == 0o700
    (entry,) = d.glob("*.cwasm")
    assert _mode(entry) == 0o600
