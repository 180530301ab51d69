"""Compiled modules: serialize/deserialize and the compiled-module cache."""

from __future__ import annotations

from pathlib import Path

import pytest

import wasihost
from wasihost import CacheStatus, Engine, Module


def test_serialize_round_trip(guests: dict[str, Path], engine: Engine) -> None:
    with Module.from_file(guests["pyguest"], engine=engine) as m:
        data = m.serialize()
    assert isinstance(data, bytes) and len(data) > 1000
    with Module.deserialize(data, engine=engine) as m2:
        assert m2.has_export("_start")
        assert wasihost.run(m2, ["exit", "5"]).exit_code == 5
    # Another engine of the same settings loads it as well.
    assert engine.interruptible and not engine.fuel
    with (
        Engine(interruptible=True) as other,
        Module.deserialize(bytearray(data), engine=other) as m3,
    ):
        assert wasihost.run(m3, ["args"], argv0="z").stdout == b"argv[0]=z\nargv[1]=args\n"
    # One of other settings refuses it: the code differs.
    with Engine() as plain, pytest.raises(wasihost.ModuleError, match="engine settings"):
        Module.deserialize(data, engine=plain)


def test_a_changed_byte_is_refused(guests: dict[str, Path]) -> None:
    with Module.from_file(guests["pyguest"]) as m:
        data = bytearray(m.serialize())
    data[len(data) // 2] ^= 0x40
    with pytest.raises(wasihost.ModuleError):
        Module.deserialize(bytes(data))
    with pytest.raises(wasihost.ModuleError):
        Module.deserialize(b"")


def test_cache_miss_then_hit_then_rebuilt(guests: dict[str, Path], tmp_path: Path) -> None:
    wasm = guests["pyguest"].read_bytes()
    cache = tmp_path / "cache"
    with Module.cached(wasm, cache_dir=cache) as m:
        assert m.cache_status is CacheStatus.MISS
    (entry,) = cache.glob("*.cwasm")
    with Module.cached(wasm, cache_dir=str(cache)) as m:
        assert m.cache_status is CacheStatus.HIT
        assert wasihost.run(m, ["exit", "6"]).exit_code == 6
    with open(entry, "r+b") as f:
        f.seek(100)
        f.write(b"corrupted")
    with Module.cached(wasm, cache_dir=cache) as m:
        assert m.cache_status is CacheStatus.REBUILT
        assert wasihost.run(m, ["exit", "8"]).exit_code == 8


def test_cache_that_cannot_be_written(guests: dict[str, Path], tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with Module.cached(guests["pyguest"].read_bytes(), cache_dir=blocker / "sub") as m:
        assert m.cache_status is CacheStatus.NOT_STORED
        assert wasihost.run(m, ["exit", "2"]).exit_code == 2


def test_from_file_through_the_cache(guests: dict[str, Path], tmp_path: Path) -> None:
    with Module.from_file(guests["pyguest"], cache=tmp_path) as m:
        assert m.cache_status is CacheStatus.MISS
    with Module.from_file(guests["pyguest"], cache=tmp_path) as m:
        assert m.cache_status is CacheStatus.HIT
    with Module.from_file(guests["pyguest"]) as m:
        assert m.cache_status is None


def test_invalid_wasm_through_the_cache(tmp_path: Path) -> None:
    with pytest.raises(wasihost.ModuleError):
        Module.cached(b"\0asm junk", cache_dir=tmp_path)
    assert not list(tmp_path.glob("*.cwasm"))


def test_an_empty_cache_dir_does_not_write_into_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    try:
        Module.cached(b"(module)", cache_dir="").close()
    except wasihost.WasiHostError:
        pass  # refusing the path is fine
    assert list(tmp_path.glob("*.cwasm")) == []
